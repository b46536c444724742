// A builder's own files, given offline with --remote-root HOST=DIR: its nix.conf (trust,
// systems, features), its sshd configuration for the builder user, that user's
// authorized_keys, login shell and host keys. The same facts a live probe gathers over SSH.
#include <algorithm>
#include <map>
#include <set>

#include "nix_builder_doctor/facts/nix_conf_facts.hpp"
#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/facts/remote_path.hpp"
#include "nix_builder_doctor/parse/authorized_keys.hpp"
#include "nix_builder_doctor/parse/private_key.hpp"
#include "nix_builder_doctor/parse/sshd_config.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

const std::vector<std::string> kDefaultLinuxFeatures = {"nixos-test", "benchmark", "big-parallel", "uid-range"};
// Nix on macOS: no uid-range; apple-virt when the hardware has it, which files cannot tell.
const std::vector<std::string> kDefaultDarwinFeatures = {"nixos-test", "benchmark", "big-parallel"};

nlohmann::json origin(const parse::SshSetting& s) {
    return {{"value", s.value}, {"origin", s.origin.describe()}, {"file", s.origin.file}, {"line", s.origin.line}};
}

// The signature algorithms a key type can be used with.
std::vector<std::string> algorithms_for(const std::string& key_type) {
    if (key_type == "ssh-rsa") return {"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"};
    return {key_type};
}

nlohmann::json login_shell(FileSystem& rfs, const Account& account) {
    nlohmann::json shell = {{"path", account.shell}, {"unusable", false}, {"reason", ""}};
    const std::string base = account.shell.substr(account.shell.find_last_of('/') + 1);
    if (base == "nologin" || base == "false") {
        shell["unusable"] = true;
        shell["reason"] = "is " + account.shell + ", which refuses every command (\"This account is currently not available.\")";
    } else if (!account.shell.empty() && account.shell[0] == '/' && !rfs.stat(account.shell) &&
               rfs.stat(parent_directory(account.shell))) {
        shell["unusable"] = true;
        shell["reason"] = "is " + account.shell + ", which does not exist on the builder";
    }
    return shell;
}

// StrictModes (misc.c safe_path): the file and every directory up to the home (or /) must be
// owned by the user or root and not writable by group or others.
std::string strict_modes_problem(FileSystem& rfs, const Accounts& accounts, const std::string& file, const std::string& home,
                                 unsigned uid) {
    std::string path = file;
    for (int depth = 0; depth < 64; ++depth) {
        const auto info = rfs.stat(path);
        if (info) {
            if (info->uid != 0 && info->uid != uid)
                return path + " is owned by " + accounts.user_name(info->uid) + " (bad ownership)";
            if (info->mode & 022) return path + " is writable by group or others (mode " + octal_mode(info->mode) + ")";
        }
        if (path == home || path == "/") break;
        path = parent_directory(path);
    }
    return "";
}

struct RemoteContext {
    GatherContext& ctx;
    FileSystem& rfs;
    Platform platform;
    Accounts accounts;
    nlohmann::json& builder;
    std::vector<std::string> host_key_paths{};  // sshd's HostKey lines (none: its defaults)
    parse::SshdEffective sshd;  // for the login user, filled by add_sshd_facts
};

// The builder's `?remote-program=`, from the machines entry the builder came from.
std::string remote_program_of(const GatherContext& ctx, const nlohmann::json& b) {
    for (const auto& m : ctx.machines)
        if (m.store.completed == b.value("uri", std::string()) && m.line == b.value("line", 0) && m.file == b.value("file", std::string()))
            if (const auto* program = m.store.param("remote-program")) return *program;
    return "";
}

void add_nix_facts(RemoteContext& rc, nlohmann::json& r, const std::string& user, bool multi_user) {
    auto view = describe_nix_conf(rc.rfs, read_nix_conf(rc.rfs), rc.accounts, "builder", rc.builder["uri"], multi_user);
    rc.ctx.facts["nix_confs"].push_back(view.facts);
    const auto& conf = view.conf;
    add_limits(rc.ctx, conf.limits, rc.builder.value("uri", std::string()));
    r["nix_conf_exists"] = view.facts["exists"];
    const auto trusted_users = setting_tokens(conf, "trusted-users", {"root"});
    const auto allowed_users = setting_tokens(conf, "allowed-users", {"*"});
    r["trusted_users"] = trusted_users;
    r["allowed_users"] = allowed_users;
    const bool trusted = user == "root" || nix_user_listed(trusted_users, user, rc.accounts);
    r["user_trusted"] = trusted;
    r["user_allowed"] = trusted || nix_user_listed(allowed_users, user, rc.accounts);
    const auto* trusted_entry = conf.get("trusted-users");
    r["trusted_users_location"] = trusted_entry ? nlohmann::json{{"file", trusted_entry->file}, {"line", trusted_entry->line}}
                                                : nlohmann::json{{"file", "/etc/nix/nix.conf"}, {"line", 0}};
    const auto* allowed_entry = conf.get("allowed-users");
    r["allowed_users_location"] = allowed_entry ? nlohmann::json{{"file", allowed_entry->file}, {"line", allowed_entry->line}}
                                                : nlohmann::json{{"file", "/etc/nix/nix.conf"}, {"line", 0}};

    // Systems: only decidable when the builder's nix.conf names its system.
    r["missing_systems"] = nlohmann::json::array();
    if (const auto* system = conf.get("system")) {
        auto platforms = setting_tokens(conf, "extra-platforms", {});
        platforms.push_back(system->value);
        for (const auto& s : rc.builder["systems"])
            if (std::find(platforms.begin(), platforms.end(), s.get<std::string>()) == platforms.end() && s != "builtin" &&
                s != "unknown")  // an entry without systems on a Mac tree whose system is unknown
                r["missing_systems"].push_back(s);
        r["platforms"] = platforms;
    }
    // Features: Nix's defaults unless system-features replaces them; kvm depends on /dev/kvm,
    // which files cannot tell, so it is only judged when the list is explicit.
    const auto* features_entry = conf.get("system-features");
    const bool explicit_features = features_entry && !features_entry->appended_to_default;
    auto features = setting_tokens(conf, "system-features", rc.platform.is_darwin() ? kDefaultDarwinFeatures : kDefaultLinuxFeatures);
    r["system_features"] = features;
    r["missing_features"] = nlohmann::json::array();
    std::set<std::string> wanted;
    for (const auto& f : rc.builder["supported_features"]) wanted.insert(f);
    for (const auto& f : rc.builder["mandatory_features"]) wanted.insert(f);
    for (const auto& f : wanted) {
        if (std::find(features.begin(), features.end(), f) != features.end()) continue;
        if (!explicit_features && (f == "kvm" || f == "apple-virt")) continue;
        r["missing_features"].push_back(f);
    }
}

// The one local port / address every connection arrives on, when Port and ListenAddress leave
// only one (`ListenAddress host:port` uses its own port, a bare address every Port).
bool is_address_literal(const std::string& host) {
    if (host.empty() || host == "0.0.0.0" || host == "::" || host == "*") return false;
    if (host.find(':') != std::string::npos) return true;  // IPv6
    return host.find_first_not_of("0123456789.") == std::string::npos;
}

void knowable_local_endpoint(const parse::SshdEffective& e, parse::SshdMatchContext& match) {
    std::set<int> ports;
    std::set<std::string> hosts;
    bool any_host = e.listen_addresses.empty();
    auto all_ports = [&] {
        for (const auto& p : e.ports)
            if (auto v = parse::ssh_parse_port(p.value)) ports.insert(*v);
    };
    if (e.listen_addresses.empty()) all_ports();
    for (const auto& l : e.listen_addresses) {
        std::string word = l.value.substr(0, l.value.find_first_of(" \t"));
        std::string host = word;
        std::optional<int> port;
        if (!word.empty() && word[0] == '[') {
            const auto close = word.find(']');
            host = word.substr(1, close == std::string::npos ? std::string::npos : close - 1);
            if (close != std::string::npos && close + 1 < word.size() && word[close + 1] == ':')
                port = parse::ssh_parse_port(word.substr(close + 2));
        } else if (std::count(word.begin(), word.end(), ':') == 1) {
            host = word.substr(0, word.find(':'));
            port = parse::ssh_parse_port(word.substr(word.find(':') + 1));
        }
        if (port) {
            ports.insert(*port);
        } else {
            all_ports();
        }
        if (is_address_literal(host)) hosts.insert(host);
        else any_host = true;
    }
    if (ports.size() == 1) match.local_port = *ports.begin();
    if (!any_host && hosts.size() == 1) match.local_address = *hosts.begin();
}

// What decides a login for `user`, in words, to compare two evaluations.
std::map<std::string, std::string> login_verdict(const parse::SshdEffective& e, const std::string& user,
                                                 const std::vector<std::string>& groups) {
    std::string reason;
    const bool allowed = parse::sshd_user_allowed(e, user, groups, "", "", &reason);
    std::map<std::string, std::string> v = {
        {"access", allowed ? "allowed" : reason},
        {"PubkeyAuthentication", e.pubkey_authentication.value},
        {"AuthorizedKeysFile", util::join(e.authorized_keys_files.values, " ")},
        {"AuthorizedKeysCommand", e.authorized_keys_command.value},
        {"StrictModes", e.strict_modes.value},
        {"ForceCommand", e.force_command.value},
        {"AuthenticationMethods", e.authentication_methods.value}};
    if (user == "root") v["PermitRootLogin"] = e.permit_root_login.value;
    return v;
}

// Match LocalPort / LocalAddress blocks the files cannot decide, and what changes for `user`
// when the connection does arrive there.
nlohmann::json undecided_local_matches(const parse::SshdConfig& config, const parse::SshdMatchContext& match,
                                       const parse::SshdEffective& base, const std::string& user) {
    nlohmann::json out = nlohmann::json::array();
    const auto before = login_verdict(base, user, match.groups);
    for (const auto& item : config.items) {
        if (item.kind != parse::SshdConfigItemKind::match || !item.match_valid) continue;
        for (const auto& c : item.criteria) {
            parse::SshdMatchContext variant = match;
            std::string datum;
            if (c.name == "localport" && !match.local_port) {
                const auto port = parse::ssh_parse_port(c.argument);
                if (!port) continue;
                variant.local_port = *port;
                datum = "the connection arrives on port " + c.argument;
            } else if (c.name == "localaddress" && !match.local_address) {
                const std::string first = c.argument.substr(0, c.argument.find(','));
                if (!is_address_literal(first) || first[0] == '!' || first.find_first_of("*?/") != std::string::npos) continue;
                variant.local_address = first;
                datum = "the connection arrives at address " + first;
            } else {
                continue;
            }
            const auto after = login_verdict(parse::evaluate_sshd_config(config, variant), user, match.groups);
            std::vector<std::string> changes;
            for (const auto& [what, value] : after) {
                const auto it = before.find(what);
                const std::string old = it == before.end() ? "" : it->second;
                if (old == value) continue;
                if (what == "access") {
                    // The files give no client address: drop sshd's empty "from " part.
                    std::string line = value == "allowed" ? user + " is allowed" : value;
                    if (const auto at = line.find(" from  "); at != std::string::npos) line.erase(at, 6);
                    changes.push_back(line);
                }
                else changes.push_back(what + " " + (value.empty() ? "(none)" : value) + " instead of " + (old.empty() ? "(none)" : old));
            }
            if (changes.empty()) continue;
            const std::string criterion = c.name == "localport" ? "LocalPort " + c.argument : "LocalAddress " + c.argument;
            out.push_back({{"criterion", criterion},
                           {"file", item.directive.file},
                           {"line", item.directive.line},
                           {"when", datum},
                           {"changes", util::join(changes, "; ")}});
        }
    }
    return out;
}

void add_sshd_facts(RemoteContext& rc, nlohmann::json& r, const Account* account, const std::string& user) {
    const auto read = rc.rfs.read("/etc/ssh/sshd_config");
    r["sshd_config_exists"] = read.status == parse::ReadStatus::ok;
    const auto config = parse::parse_sshd_config(read.status == parse::ReadStatus::ok ? read.text : "", "/etc/ssh/sshd_config",
                                                 include_source(rc.rfs));
    parse::SshdMatchContext match;
    match.user = user;
    match.groups = rc.accounts.groups_of(user);
    match.user_invalid = account == nullptr;
    add_limits(rc.ctx, config.limits, rc.builder.value("uri", std::string()));
    // Port and ListenAddress cannot be set in Match: the global evaluation gives them.
    knowable_local_endpoint(parse::evaluate_sshd_config(config, match), match);
    rc.sshd = parse::evaluate_sshd_config(config, match);
    const auto& e = rc.sshd;
    for (const auto& k : e.host_keys) rc.host_key_paths.push_back(k.value);
    nlohmann::json s;
    s["errors"] = nlohmann::json::array();
    for (const auto& d : config.diagnostics) s["errors"].push_back({{"file", d.file}, {"line", d.line}, {"message", d.message}});
    s["pubkey_authentication"] = origin(e.pubkey_authentication);
    s["permit_root_login"] = origin(e.permit_root_login);
    s["strict_modes"] = origin(e.strict_modes);
    s["authorized_keys_command"] = origin(e.authorized_keys_command);
    s["max_sessions"] = origin(e.max_sessions);
    s["max_startups"] = {{"start", e.max_startups.start}, {"full", e.max_startups.full}, {"origin", e.max_startups.origin.describe()},
                         {"file", e.max_startups.origin.file}, {"line", e.max_startups.origin.line}};
    s["pubkey_accepted_algorithms"] = e.pubkey_accepted_algorithm_list;
    std::string reason;
    s["user_allowed"] = parse::sshd_user_allowed(e, user, match.groups, "", "", &reason);
    s["user_denied_reason"] = reason;
    s["local_port"] = match.local_port ? nlohmann::json(*match.local_port) : nlohmann::json();
    s["local_address"] = match.local_address ? nlohmann::json(*match.local_address) : nlohmann::json();
    s["undecided_matches"] = undecided_local_matches(config, match, e, user);
    r["sshd"] = s;

    // authorized_keys: what sshd will read for this user, and what the principal offers.
    r["authorized_keys_files"] = nlohmann::json::array();
    std::vector<std::string> authorized_lines;
    std::set<std::string> authorized_types;
    bool keys_decidable = e.authorized_keys_command.value == "none" || e.authorized_keys_command.value.empty();
    const bool strict = e.strict_modes.value != "no";
    r["authorized_keys_problems"] = nlohmann::json::array();
    r["forced_commands"] = nlohmann::json::array();
    if (account) {
        for (const auto& pattern : e.authorized_keys_files.values) {
            if (pattern == "none") continue;
            bool ok = true;
            // sshd expands a leading `~` with its own account's home: root's (/var/root on macOS).
            const auto* root = rc.accounts.by_name("root");
            const std::string path = parse::sshd_expand_authorized_keys_path(pattern, account->home, user, account->uid, &ok,
                                                                             root ? root->home : default_root_home(rc.platform));
            const auto file_read = rc.rfs.read(path);
            nlohmann::json fj = {{"path", path}, {"exists", file_read.status == parse::ReadStatus::ok}, {"keys", 0},
                                 {"read", read_status_name(file_read.status)}, {"reason", file_read.reason}};
            if (file_read.status == parse::ReadStatus::ok) {
                const auto keys = parse::parse_authorized_keys(file_read.text, path);
                int count = 0;
                for (const auto& entry : keys.entries) {
                    if (!entry.error.empty() || !entry.key || entry.cert_authority) continue;
                    ++count;
                    authorized_lines.push_back(parse::public_key_line(*entry.key));
                    authorized_types.insert(entry.key->plain_type);
                    if (entry.command) r["forced_commands"].push_back({{"file", path}, {"line", entry.line}, {"command", *entry.command}});
                }
                fj["keys"] = count;
                if (strict)
                    if (auto problem = strict_modes_problem(rc.rfs, rc.accounts, path, account->home, account->uid); !problem.empty())
                        r["authorized_keys_problems"].push_back({{"file", path}, {"problem", problem}});
            } else if (file_read.status != parse::ReadStatus::missing) {
                // A FIFO, a directory, a symlink loop, an unreadable file: not an empty list.
                keys_decidable = false;
            }
            r["authorized_keys_files"].push_back(fj);
        }
    } else {
        keys_decidable = false;
    }
    r["authorized_types"] = std::vector<std::string>(authorized_types.begin(), authorized_types.end());

    auto offered = [&](const nlohmann::json* view) {
        nlohmann::json out = {{"known", false}, {"authorized", false}, {"types", nlohmann::json::array()}, {"refused_types", nlohmann::json::array()}};
        if (!view || view->is_null()) return out;
        std::set<std::string> types;
        for (const auto& id : (*view)["identities"]) {
            const std::string line = id.value("public_key", "");
            if (line.empty()) continue;
            out["known"] = true;
            types.insert(id.value("key_type", ""));
            if (std::find(authorized_lines.begin(), authorized_lines.end(), line) != authorized_lines.end()) out["authorized"] = true;
        }
        for (const auto& t : types) {
            out["types"].push_back(t);
            bool accepted = false;
            for (const auto& alg : algorithms_for(t))
                accepted = accepted || std::find(e.pubkey_accepted_algorithm_list.begin(), e.pubkey_accepted_algorithm_list.end(), alg) !=
                                           e.pubkey_accepted_algorithm_list.end();
            if (!accepted) out["refused_types"].push_back(t);
        }
        std::vector<std::string> offered_paths;
        for (const auto& id : (*view)["identities"])
            if (!id.value("public_key", std::string()).empty()) offered_paths.push_back(id["path"].get<std::string>());
        out["summary"] = util::join(offered_paths, ", ") + " not in " +
                         (authorized_lines.empty() ? std::string("an empty or missing authorized_keys") : "authorized_keys");
        bool disjoint = !authorized_types.empty() && !types.empty();
        for (const auto& t : types) disjoint = disjoint && !authorized_types.count(t);
        out["types_disjoint"] = disjoint;
        return out;
    };
    const nlohmann::json* principal_view = rc.builder.contains("ssh") ? &rc.builder["ssh"] : nullptr;
    const nlohmann::json* user_view = rc.builder.contains("user_view") ? &rc.builder["user_view"] : nullptr;
    r["principal_keys"] = offered(principal_view);
    r["user_keys"] = offered(user_view);
    r["keys_decidable"] = keys_decidable;
    const auto& pk = r["principal_keys"];
    r["key_not_authorized"] = keys_decidable && pk["known"].get<bool>() && !pk["authorized"].get<bool>() &&
                              !pk["types_disjoint"].get<bool>() && pk["refused_types"].size() < pk["types"].size();
    r["key_type_mismatch"] = keys_decidable && pk["known"].get<bool>() && !pk["authorized"].get<bool>() &&
                             (pk["types_disjoint"].get<bool>() || pk["refused_types"].size() == pk["types"].size());
    const auto& uk = r["user_keys"];
    r["user_key_not_authorized"] = keys_decidable && uk["known"].get<bool>() && !uk["authorized"].get<bool>();

    r["publickey_refused"] = e.pubkey_authentication.value == "no";
    const std::string prl = e.permit_root_login.value;
    r["root_login_refused"] = user == "root" && (prl == "no" || (prl == "forced-commands-only" && r["forced_commands"].empty()));
    // Too many concurrent connections for sshd: each build slot opens one.
    const unsigned max_jobs = rc.builder["max_jobs"].get<unsigned>();
    r["session_limit_problem"] = "";
    // sshd's default 10:30:100 drops only some of many simultaneous handshakes, and Nix rarely
    // starts that many at once: judge an explicit MaxStartups, or one that max-jobs exceeds in full.
    if ((e.max_startups.set && max_jobs > static_cast<unsigned>(e.max_startups.start)) ||
        max_jobs > static_cast<unsigned>(e.max_startups.full))
        r["session_limit_problem"] = "max-jobs " + std::to_string(max_jobs) + " in the machines entry exceeds sshd MaxStartups " +
                                     std::to_string(e.max_startups.start) + " (" + e.max_startups.origin.describe() +
                                     "): sshd drops concurrent unauthenticated connections beyond it";
}

void add_host_keys(RemoteContext& rc, nlohmann::json& r) {
    r["host_keys"] = nlohmann::json::array();
    std::vector<std::string> lines;
    // sshd offers the keys its HostKey lines name, wherever they are (/var/lib/ssh/...), and only
    // those; without any, its defaults in /etc/ssh.
    std::vector<std::string> paths;
    if (rc.host_key_paths.empty()) {
        for (const auto& pub : rc.rfs.glob("/etc/ssh/ssh_host_*_key.pub")) paths.push_back(pub.substr(0, pub.size() - 4));
    } else {
        for (const auto& p : rc.host_key_paths) paths.push_back(p.empty() || p[0] == '/' ? p : "/" + p);
    }
    for (const auto& path : paths) {
        std::optional<parse::PublicKey> key;
        std::string shown = path + ".pub";
        if (const auto pub = rc.rfs.read(shown); pub.status == parse::ReadStatus::ok) {
            if (auto parsed = parse::parse_public_key_file(pub.text); parsed.key) key = parsed.key;
        }
        if (!key) {
            // No usable .pub beside it: the public half of the private key file.
            if (const auto priv = rc.rfs.read(path); priv.status == parse::ReadStatus::ok) {
                auto info = parse::parse_private_key(priv.text, path);
                if (info.public_key) {
                    key = info.public_key;
                    shown = path;
                }
            }
        }
        if (!key) continue;
        lines.push_back(parse::public_key_line(*key));
        r["host_keys"].push_back({{"path", shown}, {"type", key->plain_type}, {"fingerprint", key->fingerprint}});
    }
    const auto& pin = rc.builder["host_key"];
    r["pinned_key_mismatch"] = !lines.empty() && pin.value("valid", false) &&
                               std::find(lines.begin(), lines.end(), pin["key_line"].get<std::string>()) == lines.end();
}

}  // namespace

nlohmann::json describe_remote(GatherContext& ctx, FileSystem& rfs, nlohmann::json& b, const std::string& source,
                               const std::string& login_user, const RemoteObserved* observed) {
    Platform platform;
    if (observed) {
        platform = observed->platform;
    } else {
        const auto conf = read_nix_conf(rfs);
        const auto* system = conf.get("system");
        platform = detect_platform(rfs, system ? system->value : "");
    }
    RemoteContext rc{ctx, rfs, platform, Accounts::load(rfs, platform), b, {}, {}};
    if (observed) rc.accounts.add_observed(observed->account, observed->groups);
    nlohmann::json r = {{"root", source}};
    r["platform"] = {{"name", platform.name}, {"evidence", platform.evidence}};
    r["accounts"] = describe_accounts(rc.accounts);
    std::string user = login_user;
    if (user.empty()) user = b.value("effective_user", std::string());
    if (user.empty()) user = b["has_user"].get<bool>() ? b["user"].get<std::string>() : ctx.principal;
    r["user"] = user;
    const Account* account = rc.accounts.by_name(user);
    r["user_exists"] = account != nullptr;
    r["login_shell"] = account ? login_shell(rfs, *account) : nlohmann::json{{"unusable", false}};
    const auto store = rfs.stat("/nix/store");
    // A launchd or systemd service that starts nix-daemon makes it multi-user too.
    const auto service = describe_daemon_service(rfs, platform);
    const bool multi_user = !store || store->uid == 0 || has_build_users_group(read_nix_conf(rfs)) || service["found"].get<bool>();
    r["install"] = {{"kind", multi_user ? "multi-user" : "single-user"},
                    {"store_owner", store ? rc.accounts.user_name(store->uid) : "root"}};
    r["single_user_not_owner"] = !multi_user && account && store->uid != account->uid && user != "root";
    add_nix_facts(rc, r, user, multi_user);
    add_sshd_facts(rc, r, account, user);
    add_host_keys(rc, r);
    const std::string remote_program = remote_program_of(ctx, b);
    if (observed && !(!remote_program.empty() && remote_program[0] == '/')) {
        // The live snapshot ran a command over SSH as Nix does: its PATH and `nix-store --version`
        // are the answer itself.
        r["nix_path"] = {{"state", observed->nix_version.empty() ? "not_on_path" : "on_path"},
                         {"program", b.value("nix_program", std::string("nix-store"))},
                         {"shell", account ? account->shell : ""},
                         {"files_read", nlohmann::json::array()},
                         {"path", observed->path},
                         {"why", observed->nix_version.empty() ? "`nix-store --version` over SSH printed nothing"
                                                               : "`nix-store --version` over SSH printed " + observed->nix_version},
                         {"source", "live"}};
    } else {
        r["nix_path"] = describe_remote_nix_path(rfs, platform, account, rc.sshd, b.value("nix_program", std::string("nix-store")),
                                                 remote_program);
    }
    // What this tree's files held that was not read: reported, never taken as absence.
    const std::string uri = b.value("uri", std::string());
    add_limits(ctx, rfs.limits(), uri);
    if (!ctx.facts.contains("cannot_read")) ctx.facts["cannot_read"] = nlohmann::json::array();
    for (const auto& u : rc.accounts.unusable()) {
        nlohmann::json entry = {{"path", u.path}, {"why", u.why}, {"builder", uri},
                                {"hint", "check the record on the builder (`plutil -lint " + u.path + "`)"}};
        auto& list = ctx.facts["cannot_read"];
        if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(std::move(entry));
    }
    for (const auto& rec : rfs.records()) {
        if (rec.status == parse::ReadStatus::ok || rec.status == parse::ReadStatus::missing) continue;
        nlohmann::json entry = {{"path", rec.path},
                                {"why", rec.error.empty() ? std::string(read_status_name(rec.status)) : rec.error},
                                {"builder", uri},
                                {"hint", rec.status == parse::ReadStatus::unreadable
                                             ? "run as root on the builder to see its files"
                                             : "make it a regular file on the builder (or a symlink to one)"}};
        auto& list = ctx.facts["cannot_read"];
        if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(std::move(entry));
    }
    return r;
}

void gather_remote_roots(GatherContext& ctx) {
    ctx.facts["unmatched_remote_roots"] = nlohmann::json::array();
    for (const auto& [host, dir] : ctx.options.remote_roots) {
        RootedFileSystem rfs(dir);
        bool matched = false;
        for (auto& b : ctx.facts["builders"]) {
            if (b["host"] != host && b["uri"] != host && b["written"] != host) continue;
            matched = true;
            b["remote"] = describe_remote(ctx, rfs, b, dir, "");
        }
        if (!matched) ctx.facts["unmatched_remote_roots"].push_back({{"host", host}, {"dir", dir}});
    }
}

}  // namespace nbd::facts
