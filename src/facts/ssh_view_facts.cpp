// For each builder, what ssh will do when the principal (and --user) connects: the effective
// client options, the identities offered, and the host keys known for the builder.
#include <algorithm>
#include <map>
#include <set>

#include "nix_builder_doctor/facts/identity_facts.hpp"
#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/parse/known_hosts.hpp"
#include "nix_builder_doctor/parse/ssh_config.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

struct Viewer {
    std::string role;  // "principal" or "user"
    std::string name;
    unsigned uid = 0;
    std::string home;
};

// A key file in the user's own home (~/.ssh/id_ed25519, ~/.ssh/id_local, ...): a personal key.
bool is_personal_key(const std::string& path, const std::string& home) {
    if (home.empty() || home == "/") return false;
    const std::string dir = home.back() == '/' ? home : home + "/";
    return path.compare(0, dir.size(), dir) == 0;
}

// Files parsed once per run, whatever the number of builders.
struct Caches {
    std::map<std::string, parse::KnownHosts> known_hosts;
    std::map<std::string, nlohmann::json> identities;  // key: uid + path
};

struct ParsedConfigs {
    parse::SshConfig user_config;
    parse::SshConfig system_config;
    nlohmann::json diagnostics = nlohmann::json::array();
};

ParsedConfigs load_configs(GatherContext& ctx, const Viewer& v) {
    ParsedConfigs c;
    const std::string user_path = v.home + "/.ssh/config";
    const auto user_read = ctx.fs.read(user_path);
    c.user_config = parse::parse_ssh_config(user_read.status == parse::ReadStatus::ok ? user_read.text : "", user_path,
                                            include_source(ctx.fs), v.home + "/.ssh");
    const auto system_read = ctx.fs.read("/etc/ssh/ssh_config");
    c.system_config = parse::parse_ssh_config(system_read.status == parse::ReadStatus::ok ? system_read.text : "",
                                              "/etc/ssh/ssh_config", include_source(ctx.fs), "/etc/ssh");
    for (const auto* conf : {&c.user_config, &c.system_config}) {
        for (const auto& d : conf->diagnostics)
            c.diagnostics.push_back({{"file", d.file}, {"line", d.line}, {"message", d.message}});
        add_limits(ctx, conf->limits);
    }
    return c;
}

nlohmann::json setting(const parse::SshSetting& s) {
    return {{"value", s.value}, {"set", s.set}, {"origin", s.origin.describe()}, {"file", s.origin.file}, {"line", s.origin.line}};
}

struct KnownKey {
    nlohmann::json facts;
    std::string key_line;
};

// Host keys for `name`/`port` in one known_hosts text.
void lookup_in(const parse::KnownHosts& known, const std::string& file, const std::string& name, int port, bool pinned,
               std::vector<KnownKey>& out) {
    const auto found = parse::find_known_hosts(known, name, port);
    for (const auto* e : found.entries) {
        if (!e->key) continue;
        const char* marker = e->marker == parse::KnownHostMarker::revoked          ? "revoked"
                             : e->marker == parse::KnownHostMarker::cert_authority ? "cert-authority"
                                                                                   : "";
        KnownKey k;
        k.key_line = parse::public_key_line(*e->key);
        k.facts = {{"file", file},          {"line", e->line},  {"marker", marker}, {"type", e->key->plain_type},
                   {"key_line", k.key_line},
                   {"fingerprint", e->key->fingerprint}, {"hashed", e->hashed}, {"pinned", pinned},
                   {"without_port", found.without_port}};
        out.push_back(std::move(k));
    }
}

struct HostKeyView {
    nlohmann::json facts;
    std::vector<KnownKey> keys;
};

HostKeyView known_host_keys(GatherContext& ctx, Caches& caches, const Viewer& v, const parse::SshClientOptions& o, const nlohmann::json& builder,
                            bool use_pin) {
    HostKeyView view;
    const std::string name = o.host_key_alias.set ? o.host_key_alias.value : o.hostname.value;
    const int port = std::atoi(o.port.value.c_str());
    std::vector<std::string> files;
    const auto& pin = builder["host_key"];
    const bool pinned = use_pin && pin.value("set", false);
    if (pinned) {
        // Nix writes "<machines host> <decoded column 8>" to a temporary file and passes it as
        // UserKnownHostsFile, replacing the principal's own files for this connection.
        if (pin.value("valid", false))
            lookup_in(parse::parse_known_hosts(builder["host"].get<std::string>() + " " + pin["key_line"].get<std::string>(),
                                               "(machines column 8)"),
                      "(machines column 8)", name, port, true, view.keys);
    } else {
        files = o.user_known_hosts_files.values;
    }
    for (const auto& g : o.global_known_hosts_files.values) files.push_back(g);
    nlohmann::json searched = nlohmann::json::array();
    int unreadable = 0;
    for (const auto& file : files) {
        if (file == "/dev/null") continue;
        const auto read = ctx.fs.read(file);
        searched.push_back({{"path", file}, {"exists", read.status == parse::ReadStatus::ok}, {"read", read_status_name(read.status)}});
        // A file this run may not read (root's, when not run as root), or one that is there but
        // is no regular file (a FIFO, a directory, a symlink loop): no verdict from absence.
        if ((read.status != parse::ReadStatus::ok && read.status != parse::ReadStatus::missing) || ctx.fs.access_denied(file))
            ++unreadable;
        if (read.status != parse::ReadStatus::ok) continue;
        auto cached = caches.known_hosts.find(file);
        if (cached == caches.known_hosts.end()) cached = caches.known_hosts.emplace(file, parse::parse_known_hosts(read.text, file)).first;
        lookup_in(cached->second, file, name, port, false, view.keys);
    }
    nlohmann::json keys = nlohmann::json::array();
    bool has_usable = false;
    for (const auto& k : view.keys) {
        keys.push_back(k.facts);
        if (k.facts["marker"] != "revoked") has_usable = true;
    }
    view.facts = {{"lookup_name", name}, {"port", port}, {"pinned", pinned}, {"files", searched}, {"keys", keys},
                  {"has_key", has_usable}, {"viewer", v.name}, {"unreadable_files", unreadable}};
    (void)ctx;
    return view;
}

nlohmann::json identities_for(GatherContext& ctx, Caches& caches, const Viewer& v, const parse::SshClientOptions& o,
                              const nlohmann::json& builder) {
    nlohmann::json list = nlohmann::json::array();
    std::set<std::string> seen;
    const std::string machines_key = builder["ssh_key"].is_null() ? "" : builder["ssh_key"]["path"].get<std::string>();
    for (const auto& id : o.identity_files) {
        if (!seen.insert(id.path).second) continue;
        const std::string source = (v.role == "principal" && id.path == machines_key) ? "machines"
                                   : id.is_default                                    ? "default"
                                                                                      : "ssh_config";
        const std::string cache_key = std::to_string(v.uid) + ":" + source + ":" + id.path;
        auto cached = caches.identities.find(cache_key);
        if (cached == caches.identities.end())
            cached = caches.identities.emplace(cache_key, describe_identity(ctx.fs, id.path, v.uid, source)).first;
        auto d = cached->second;
        d["origin"] = id.origin.describe();
        // Default names that do not exist are simply not offered; keep only real candidates.
        if (source == "default" && !d.value("exists", false) && !d.value("denied", false) && !d.value("pub_exists", false)) continue;
        list.push_back(std::move(d));
    }
    return list;
}

nlohmann::json identity_summary(const nlohmann::json& identities, const nlohmann::json& builder, bool principal,
                                const std::string& home) {
    int existing = 0, usable = 0, encrypted = 0, denied = 0;
    for (const auto& id : identities) {
        if (id.value("denied", false)) ++denied;
        if (!id.value("exists", false)) continue;
        ++existing;
        if (id.value("usable", false)) ++usable;
        if (id.value("encrypted", false)) ++encrypted;
    }
    const bool machines_key_encrypted = !builder["ssh_key"].is_null() && builder["ssh_key"].value("encrypted", false);
    // For keys.no-identity: what was looked at. An IdentityFile that names a missing file is said
    // as such (the message must not claim there is no IdentityFile).
    std::string missing_named;
    for (const auto& id : identities)
        if (id.value("source", std::string()) == "ssh_config" && !id.value("exists", false) && !id.value("denied", false)) {
            missing_named += std::string(missing_named.empty() ? "" : ", ") + id.value("path", std::string()) + " (IdentityFile, " +
                             id.value("origin", std::string()) + ")";
        }
    const std::string looked_at = missing_named.empty()
                                      ? "no key in column 3 or ?ssh-key=, no ~/.ssh/id_* under " + home + ", no IdentityFile in its ssh_config"
                                      : "no key in column 3 or ?ssh-key=, no ~/.ssh/id_* under " + home + ", and " + missing_named +
                                            " does not exist";
    return {{"existing", existing},
            {"looked_at", looked_at},
            {"usable", usable},
            {"encrypted", encrypted},
            {"denied", denied},
            // A key the machines entry names but that is missing is machines.identity-missing's
            // finding (one cause, one finding): "none" means nothing names a key at all.
            {"none", existing == 0 && denied == 0 && !(principal && !builder["ssh_key"].is_null())},
            // ssh can use none of them without a passphrase, and the daemon has no agent.
            {"passphrase_blocks", machines_key_encrypted || (existing > 0 && encrypted == existing)},
            {"machines_key_encrypted", machines_key_encrypted}};
}

bool in_etc_hosts(GatherContext& ctx, const std::string& host) {
    const auto read = ctx.fs.read("/etc/hosts");
    for (const auto& line : util::split_lines(read.text)) {
        auto tokens = util::split_tokens(line.substr(0, line.find('#')));
        for (std::size_t i = 1; i < tokens.size(); ++i)
            if (util::to_lower(tokens[i]) == util::to_lower(host)) return true;
    }
    return false;
}

struct ViewResult {
    nlohmann::json facts;
    std::vector<KnownKey> keys;
    parse::SshClientOptions options;
};

ViewResult view_builder(GatherContext& ctx, Caches& caches, const Viewer& v, const ParsedConfigs& configs, const nlohmann::json& builder,
                        const parse::Machine& machine) {
    parse::SshTarget target;
    target.host = builder["host"];
    if (machine.store.has_user) target.user = machine.store.user;
    if (machine.store.port) target.port = static_cast<int>(*machine.store.port);
    if (v.role == "principal" && machine.identity_file) target.identity_files.push_back(*machine.identity_file);
    target.local_user = v.name;
    target.local_home = v.home;
    target.local_uid = v.uid;
    const std::vector<const parse::SshConfig*> order = {&configs.user_config, &configs.system_config};
    ViewResult r;
    r.options = parse::evaluate_ssh_config(order, target);
    const auto& o = r.options;
    nlohmann::json j;
    j["hostname"] = setting(o.hostname);
    j["user"] = setting(o.user);
    j["port"] = setting(o.port);
    j["strict_host_key_checking"] = setting(o.strict_host_key_checking);
    j["host_key_alias"] = setting(o.host_key_alias);
    j["control_master"] = setting(o.control_master);
    j["proxy_jump"] = setting(o.proxy_jump);
    j["proxy_command"] = setting(o.proxy_command);
    j["identities_only"] = setting(o.identities_only);
    j["user_known_hosts_files"] = o.user_known_hosts_files.values;
    j["host_matched_specific_pattern"] = o.host_matched_specific_pattern;
    j["specific_blocks"] = nlohmann::json::array();
    for (const auto& b : o.specific_host_matches)
        j["specific_blocks"].push_back({{"file", b.file}, {"line", b.line}, {"text", b.text}});
    j["update_host_keys"] = setting(o.update_host_keys);
    const std::string strict = o.strict_host_key_checking.value;
    auto accepts = [](const std::string& v) { return v == "no" || v == "off" || v == "accept-new"; };
    j["accepts_unknown_host_keys"] = accepts(strict);
    j["accepts_unknown_how"] = accepts(strict) ? "StrictHostKeyChecking " + strict + " (" + o.strict_host_key_checking.origin.describe() + ")" : "";
    // `Match exec` is never run: ssh may find it matching, so what its blocks set may be in effect.
    j["match_exec_unresolved"] = o.match_exec_seen;
    if (o.match_exec_seen) {
        auto assumed_target = target;
        assumed_target.assume_match_exec = true;
        const auto may = parse::evaluate_ssh_config(order, assumed_target);
        const std::string may_strict = may.strict_host_key_checking.value;
        if (!accepts(strict) && accepts(may_strict)) {
            j["accepts_unknown_host_keys"] = true;
            j["accepts_unknown_how"] = "StrictHostKeyChecking " + may_strict + " (" + may.strict_host_key_checking.origin.describe() +
                                       ", under a Match exec the doctor does not run and so takes as possibly matching)";
        }
        if (o.control_master.value == "no" && may.control_master.value != "no") j["control_master"] = setting(may.control_master);
        if (o.update_host_keys.value != may.update_host_keys.value && may.update_host_keys.value != "no")
            j["update_host_keys"] = setting(may.update_host_keys);
    }
    // Connection sharing: ssh joins (or becomes) a master at ControlPath. A master Nix did not start
    // skips its `LocalCommand echo started` (NixOS/nix#8329, #14132): a hang, or "got 'started'".
    {
        const std::string master = util::to_lower(j["control_master"]["value"].get<std::string>());
        const bool path = o.control_path.set && !o.control_path.value.empty() && util::to_lower(o.control_path.value) != "none";
        j["control_path"] = setting(o.control_path);
        j["multiplexes"] = path && master != "no";
        j["multiplexes_how"] = path && master != "no"
                                   ? "ControlMaster " + j["control_master"]["value"].get<std::string>() + " (" + j["control_master"]["origin"].get<std::string>() +
                                         ") with ControlPath " + o.control_path.as_written + " (" + o.control_path.origin.describe() + ")"
                                   : "";
    }
    const bool dev_null = std::find(o.user_known_hosts_files.values.begin(), o.user_known_hosts_files.values.end(),
                                    "/dev/null") != o.user_known_hosts_files.values.end();
    j["host_key_checking_disabled"] = strict == "no" || strict == "off" || dev_null;
    j["host_key_checking_disabled_how"] = strict == "no" || strict == "off"
                                              ? "StrictHostKeyChecking " + strict + " (" + o.strict_host_key_checking.origin.describe() + ")"
                                              : dev_null ? "UserKnownHostsFile /dev/null (" + o.user_known_hosts_files.origin.describe() + ")" : "";
    // Settings that change where or how ssh connects, when the name is an alias.
    // Only what the viewer's own files say (not the shared /etc/ssh/ssh_config, not -p).
    const std::string own_prefix = v.home + "/";
    auto own = [&](const parse::SshSetting& x) { return x.set && x.origin.line > 0 && util::starts_with(x.origin.file, own_prefix); };
    std::vector<std::string> connection_settings;
    if (own(o.hostname) && util::to_lower(o.hostname.value) != util::to_lower(target.host))
        connection_settings.push_back("HostName " + o.hostname.value);
    if (own(o.port)) connection_settings.push_back("Port " + o.port.value);
    if (own(o.proxy_jump)) connection_settings.push_back("ProxyJump " + o.proxy_jump.value);
    if (own(o.proxy_command)) connection_settings.push_back("ProxyCommand " + o.proxy_command.value);
    bool own_block = false;
    for (const auto& b : o.specific_host_matches) own_block = own_block || util::starts_with(b.file, own_prefix);
    j["own_specific_block"] = own_block;
    j["alias_settings"] = connection_settings;
    j["effective_user"] = o.user.value;

    j["identities"] = identities_for(ctx, caches, v, o, builder);
    j["identity_summary"] = identity_summary(j["identities"], builder, v.role == "principal", v.home);
    auto keys = known_host_keys(ctx, caches, v, o, builder, v.role == "principal");
    j["known_hosts"] = keys.facts;
    r.keys = std::move(keys.keys);
    r.facts = std::move(j);
    return r;
}

std::set<std::string> usable_key_lines(const std::vector<KnownKey>& keys) {
    std::set<std::string> lines;
    for (const auto& k : keys)
        if (k.facts["marker"] == "") lines.insert(k.key_line);
    return lines;
}

void add_ssh_dir_problems(GatherContext& ctx, const Viewer& v, nlohmann::json& problems) {
    for (const std::string& path : {v.home + "/.ssh", v.home + "/.ssh/config"}) {
        const auto info = ctx.fs.stat(path);
        if (!info) continue;
        std::string problem;
        if ((info->mode & 022) != 0) problem = "is writable by group or others (mode " + octal_mode(info->mode) + ")";
        else if (info->uid != 0 && info->uid != v.uid)
            problem = "is owned by " + ctx.accounts.user_name(info->uid) + ", not " + v.name;
        if (!problem.empty())
            problems.push_back({{"path", path}, {"problem", problem}, {"viewer", v.name}, {"mode", octal_mode(info->mode)}});
    }
}

}  // namespace

void gather_ssh_views(GatherContext& ctx) {
    auto& f = ctx.facts;
    Viewer principal{"principal", ctx.principal, ctx.principal_uid, ctx.principal_home};
    std::optional<Viewer> user;
    if (ctx.user && ctx.user->name != ctx.principal) user = Viewer{"user", ctx.user->name, ctx.user->uid, ctx.user->home};

    const auto principal_configs = load_configs(ctx, principal);
    std::optional<ParsedConfigs> user_configs;
    if (user) user_configs = load_configs(ctx, *user);
    f["ssh_config_errors"] = principal_configs.diagnostics;

    Caches caches;
    std::map<std::string, nlohmann::json> principal_identities;  // path -> description
    // fingerprint -> the user's personal key with it: a key file in their home.
    // A key kept outside the user's home (/etc/nix/builder_ed25519, /root/.ssh/nixbuild named
    // in /etc/ssh/ssh_config) is shared on purpose, not a personal key copied to root.
    std::map<std::string, std::string> user_fingerprints;
    for (std::size_t i = 0; i < f["builders"].size(); ++i) {
        auto& b = f["builders"][i];
        const auto& machine = ctx.machines[i];
        if (!b["is_ssh"].get<bool>()) continue;
        auto p = view_builder(ctx, caches, principal, principal_configs, b, machine);
        for (const auto& id : p.facts["identities"])
            if (id.value("exists", false)) principal_identities.emplace(id["path"].get<std::string>(), id);
        b["ssh"] = p.facts;
        b["effective_user"] = p.facts["effective_user"];
        const auto principal_keys = usable_key_lines(p.keys);

        // The revoked keys that are otherwise trusted for this builder.
        b["revoked_keys"] = nlohmann::json::array();
        for (const auto& k : p.keys)
            if (k.facts["marker"] == "revoked") {
                const bool trusted = principal_keys.count(k.key_line) ||
                                     (b["host_key"].value("valid", false) && b["host_key"]["key_line"] == k.key_line);
                if (trusted) b["revoked_keys"].push_back(k.facts);
            }

        if (user) {
            auto u = view_builder(ctx, caches, *user, *user_configs, b, machine);
            // The user's own keys: under their home (nix-darwin's /etc/nix/builder_ed25519 or a
            // key kept for root alone is no personal key, whoever owns the file).
            for (const auto& id : u.facts["identities"])
                if (!id.value("fingerprint", std::string()).empty() && is_personal_key(id["path"].get<std::string>(), user->home))
                    user_fingerprints[id["fingerprint"]] = id["path"];
            const auto user_keys = usable_key_lines(u.keys);
            u.facts["has_key"] = !user_keys.empty();
            bool disjoint = !user_keys.empty() && !principal_keys.empty();
            for (const auto& k : user_keys) disjoint = disjoint && !principal_keys.count(k);
            // The user set up access of their own (a Host block for it): they will test with it.
            u.facts["expects_own_access"] = u.facts["own_specific_block"];
            b["user_view"] = u.facts;
            b["user_root_disagree"] = disjoint;
            b["user_known_hosts_has_key"] = !user_keys.empty();
            const bool principal_knows_alias = p.facts["host_matched_specific_pattern"].get<bool>();
            b["alias_only_for_user"] = !u.facts["alias_settings"].empty() && !principal_knows_alias &&
                                       !in_etc_hosts(ctx, b["host"].get<std::string>());
        } else {
            b["user_view"] = nullptr;
            b["user_root_disagree"] = false;
            b["user_known_hosts_has_key"] = false;
            b["alias_only_for_user"] = false;
        }
        b["user_known_hint"] = b["user_known_hosts_has_key"].get<bool>()
                                   ? " (" + ctx.user->name + "'s own known_hosts has a key for it: accepting it as " + ctx.user->name +
                                         " does not help root)"
                                   : "";
        // Whose ssh shares connections for this builder: root's under the daemon, --user's without it.
        b["multiplexing_how"] = "";
        if (b["ssh"]["multiplexes"].get<bool>()) b["multiplexing_how"] = ctx.principal + "'s ssh has " + b["ssh"]["multiplexes_how"].get<std::string>();
        else if (!b["user_view"].is_null() && b["user_view"]["multiplexes"].get<bool>())
            b["multiplexing_how"] = ctx.user->name + "'s ssh has " + b["user_view"]["multiplexes_how"].get<std::string>();
        const auto& known = b["ssh"]["known_hosts"];
        b["host_key_unknown_to_principal"] = !known["has_key"].get<bool>() && known["unreadable_files"].get<int>() == 0 &&
                                             !b["ssh"]["accepts_unknown_host_keys"].get<bool>() &&
                                             !(b["host_key"].value("set", false) && !b["host_key"].value("valid", false));
    }

    // A pinned "host key" that is really a client's own key.
    for (auto& b : f["builders"]) {
        auto& pin = b["host_key"];
        pin["client_key_owner"] = "";
        if (!pin.contains("key_line")) continue;
        const std::string line = pin["key_line"];
        for (const auto* view : {&b["ssh"], &b["user_view"]}) {
            if (view->is_null() || !view->contains("identities")) continue;
            for (const auto& id : (*view)["identities"])
                if (id.value("public_key", std::string()) == line)
                    pin["client_key_owner"] = view == &b["ssh"] ? ctx.principal : ctx.user->name;
        }
    }

    nlohmann::json keys;
    keys["principal_identities"] = nlohmann::json::array();
    keys["shared_with_user"] = nlohmann::json::array();
    for (const auto& [path, id] : principal_identities) {
        keys["principal_identities"].push_back(id);
        const std::string fp = id.value("fingerprint", "");
        if (!fp.empty() && user_fingerprints.count(fp))
            keys["shared_with_user"].push_back({{"path", path}, {"user_path", user_fingerprints[fp]}, {"fingerprint", fp}});
    }
    // Nix 2.15-2.24 has ssh run `echo started` as LocalCommand with $SHELL, which a login takes
    // from passwd. A shell that is gone (a removed ~/.nix-profile/bin/zsh) breaks every SSH store
    // for ssh run by that account (--user's nix copy; Nix without a daemon). Judged only for a
    // shell in the account's own home (a Nix profile) whose directory is there, so a partial tree
    // without /bin does not read as a missing /bin/bash.
    f["login_shells_missing"] = nlohmann::json::array();
    bool any_ssh = false;
    for (const auto& b : f["builders"]) any_ssh = any_ssh || b.value("is_ssh", false);
    std::vector<const Account*> runs_ssh;
    if (ctx.user) runs_ssh.push_back(&*ctx.user);
    if (ctx.principal != "root" && (!ctx.user || ctx.user->name != ctx.principal))
        if (const Account* p = ctx.accounts.by_name(ctx.principal)) runs_ssh.push_back(p);
    for (const Account* a : any_ssh ? runs_ssh : std::vector<const Account*>{}) {
        const std::string& shell = a->shell;
        if (a->home.size() < 2 || !util::starts_with(shell, a->home + "/")) continue;
        if (ctx.fs.stat(shell) || ctx.fs.access_denied(shell)) continue;
        const auto dir = ctx.fs.stat(shell.substr(0, shell.rfind('/') == 0 ? 1 : shell.rfind('/')));
        if (!dir || !dir->is_directory) continue;
        f["login_shells_missing"].push_back({{"user", a->name}, {"shell", shell}, {"file", "/etc/passwd"}, {"line", a->line}});
    }
    keys["ssh_dir_problems"] = nlohmann::json::array();
    if (!f["builders"].empty()) add_ssh_dir_problems(ctx, principal, keys["ssh_dir_problems"]);
    f["keys"] = keys;
}

}  // namespace nbd::facts
