#include <algorithm>
#include <array>
#include <cctype>
#include <regex>
#include <set>
#include <tuple>

#include "nix_builder_doctor/facts/identity_facts.hpp"
#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/facts/systems.hpp"
#include "nix_builder_doctor/parse/ssh_public_key.hpp"
#include "nix_builder_doctor/probe/ground_truth.hpp"
#include "nix_builder_doctor/util/redact.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

// Store types Nix can offload builds to.
const std::set<std::string> kBuildSchemes = {"ssh", "ssh-ng", "mounted-ssh-ng", "unix"};
const std::vector<std::string> kKnownSchemes = {"ssh", "ssh-ng", "mounted-ssh-ng", "unix", "local", "daemon", "auto",
                                                "file", "http", "https", "s3", "dummy", "local-overlay"};
// Features that are about what a machine can do, never sensibly required of every derivation.
const std::set<std::string> kCapabilityFeatures = {"big-parallel", "kvm", "nixos-test", "uid-range", "apple-virt",
                                                   "ca-derivations", "recursive-nix"};

nlohmann::json describe_host_key(const parse::Machine& m) {
    nlohmann::json h = {{"set", m.host_key_set}, {"raw", m.host_key_base64}, {"valid", false}, {"kind", "unset"},
                        {"source", m.host_key_source.empty() ? "column 8" : m.host_key_source}};
    if (!m.host_key_set) return h;
    const bool looks_like_type = parse::find_key_type(m.host_key_base64) != nullptr;
    if (looks_like_type) {
        h["kind"] = "raw_key_line";
        h["problem"] = "it holds the key line '" + m.host_key_base64 + " ...' itself, not its base64 encoding";
        return h;
    }
    if (!m.host_key_decodes) {
        h["kind"] = "not_base64";
        h["problem"] = "it is not base64";
        return h;
    }
    const std::string& decoded = m.host_key_decoded;
    // The first line of the decoded text is what Nix writes into its temporary known_hosts.
    const std::string first_line(util::trim(decoded.substr(0, decoded.find('\n'))));
    if (const auto key = parse::parse_public_key(first_line); key.key) {
        h["kind"] = "key_line";
        h["valid"] = true;
        h["key_line"] = parse::public_key_line(*key.key);
        h["type"] = key.key->plain_type;
        h["fingerprint"] = key.key->fingerprint;
        return h;
    }
    if (const auto blob = parse::parse_public_key_blob(util::to_bytes(decoded)); blob.key) {
        h["kind"] = "blob";
        h["problem"] = "it is the base64 of the binary key blob only; Nix needs the base64 of the whole line '" +
                       parse::public_key_line(*blob.key) + "'";
        h["fingerprint"] = blob.key->fingerprint;
        h["key_line"] = parse::public_key_line(*blob.key);
        return h;
    }
    h["kind"] = "garbage";
    h["problem"] = "it decodes to something that is not an OpenSSH public key line";
    return h;
}

// The heuristics of machines.features-split-by-space: a blank inside a feature list shifts the
// rest into the mandatory column (and beyond).
std::string features_split_reason(const parse::Machine& m) {
    for (const auto& f : m.mandatory_features)
        if (kCapabilityFeatures.count(f))
            return "'" + f + "' landed in the mandatory-features column, so only derivations that require it can use this builder";
    if (m.host_key_set && !m.host_key_decodes && std::regex_match(m.host_key_base64, std::regex("[a-z][a-z0-9-]*")) &&
        parse::find_key_type(m.host_key_base64) == nullptr)
        return "'" + m.host_key_base64 + "' landed in the host-key column";
    return "";
}

// The Nix that builds here, from where its binaries are linked (`/nix/store/HASH-nix-2.18.1/bin/nix`).
struct LocalNix {
    std::string flavor;  // "nix" | "lix" | "determinate" | "" (unknown)
    int major = 0, minor = 0;  // of the Nix it is (Determinate: the upstream Nix it is based on)
    std::string version, from;  // version: its own (Determinate: "3.22.2")
    std::string nix_version;    // the Nix version that decides behaviour ("2.35" for Determinate 3.22)
};

// The upstream Nix release each Determinate Nix minor release is based on, from the first tag of
// each (DeterminateSystems/nix-src: `.version` at v3.0.0, v3.1.0, ...; read at v3.22.2). Later
// 3.x releases are at least the last one.
std::pair<int, int> determinate_base(int major, int minor) {
    static constexpr std::array<std::array<int, 2>, 10> kFirstMinorToNix = {{
        {0, 26}, {1, 27}, {3, 28}, {6, 29}, {8, 30}, {10, 31}, {12, 32}, {15, 33}, {19, 34}, {22, 35}}};
    if (major > 3) return {2, kFirstMinorToNix.back()[1]};
    int base = kFirstMinorToNix.front()[1];
    for (const auto& [first, nix_minor] : kFirstMinorToNix)
        if (minor >= first) base = nix_minor;
    return {2, base};
}

// Follows symlinks inside the root (at most 40), returning the last path reached as a string: a
// store path in a link target names the package even when the store itself is not in the tree.
std::string follow_links(FileSystem& fs, std::string path) {
    for (int hops = 0; hops < 40; ++hops) {
        bool changed = false;
        std::size_t pos = 1;
        while (pos <= path.size()) {
            const auto end = std::min(path.find('/', pos), path.size());
            const std::string prefix = path.substr(0, end);
            const auto info = fs.lstat(prefix);
            if (!info) return path;
            if (info->is_symlink && !info->symlink_target.empty()) {
                const std::string& t = info->symlink_target;
                const std::string base = prefix.substr(0, prefix.rfind('/'));
                path = normalize_path((t[0] == '/' ? t : (base.empty() ? "" : base) + "/" + t) + path.substr(end));
                changed = true;
                break;
            }
            pos = end + 1;
        }
        if (!changed) return path;
    }
    return path;
}

LocalNix detect_local_nix(FileSystem& fs) {
    // Determinate Nix's packages are named determinate-nix-3.x.y (packaging/components.nix).
    static const std::regex store_name("^/nix/store/[0-9a-z]{32}-(determinate-nix|nix|lix)-([0-9]{1,6})\\.([0-9]{1,6})([0-9a-z.+-]*)(/|$)");
    for (const char* path : {"/nix/var/nix/profiles/default/bin/nix-daemon", "/run/current-system/sw/bin/nix-daemon",
                             "/nix/var/nix/profiles/default/bin/nix", "/run/current-system/sw/bin/nix"}) {
        if (!fs.lstat(path) && !fs.lstat(std::string(path).substr(0, std::string(path).rfind("/bin/")))) continue;
        const std::string target = follow_links(fs, path);
        std::smatch match;
        if (!std::regex_search(target, match, store_name)) continue;
        LocalNix n;
        n.flavor = match[1];
        n.major = std::atoi(match[2].str().c_str());
        n.minor = std::atoi(match[3].str().c_str());
        n.version = match[2].str() + "." + match[3].str() + match[4].str();
        n.nix_version = n.version;
        n.from = path;
        if (n.flavor == "determinate-nix") {
            n.flavor = "determinate";
            std::tie(n.major, n.minor) = determinate_base(n.major, n.minor);
            n.nix_version = std::to_string(n.major) + "." + std::to_string(n.minor);
        }
        return n;
    }
    return {};
}

// Ports Nix would not use as written: `ssh://host:2222` (Nix >= 2.31 only) and `?port=` (Lix only).
// Sets `port_used` to what ssh then connects to (the host name misread or the port ignored: 22).
std::string port_problem(const parse::Machine& m, const LocalNix& local, bool& misread_host, int& port_used) {
    const auto& s = m.store;
    misread_host = false;
    port_used = s.port ? static_cast<int>(*s.port) : 22;
    const std::string destination = (s.has_user ? s.user + "@" : "") + (s.bracketed_ipv6 ? "[" + s.host + "]" : s.host);
    const std::string who = local.flavor.empty() ? ""
                            : local.flavor == "determinate"
                                ? "Determinate Nix " + local.version + " (based on Nix " + local.nix_version + ", " + local.from + ")"
                                : (local.flavor == "lix" ? "Lix " : "Nix ") + local.version + " (" + local.from + ")";
    std::string out;
    if (!s.port_text.empty()) {
        const bool new_nix = (local.flavor == "nix" || local.flavor == "determinate") && (local.major > 2 || (local.major == 2 && local.minor >= 31));
        if (!new_nix) {
            const std::string misread = "ssh `" + destination + ":" + s.port_text +
                                        "` as the host name, which does not resolve (`Could not resolve hostname`)";
            if (!local.flavor.empty()) {
                misread_host = true;
                port_used = 22;
                out = who + " gives " + misread + "; only Nix 2.31 and later pass the port in `" + s.written + "` to ssh as `-p`";
            } else {
                out = "only Nix 2.31 and later pass the port in `" + s.written + "` to ssh as `-p`; older Nix and Lix give " + misread +
                      " (the doctor could not tell which Nix runs here)";
            }
        }
    }
    if (const auto* p = s.param("port")) {
        if (local.flavor == "lix") {
            if (auto v = util::parse_unsigned(*p); v && *v > 0 && *v <= 65535) port_used = static_cast<int>(*v);
        } else {
            const std::string ignored = "Nix ignores `?port=" + *p + "` (`warning: unknown setting 'port'`), so ssh is not given that port; only Lix passes it as `-p`";
            if (!out.empty()) out += "; and ";
            out += local.flavor.empty() ? ignored + " (the doctor could not tell which Nix runs here)" : who + ": " + ignored;
        }
    }
    return out;
}

// `ssh://ssh://builder@localhost` (nix.buildMachines' hostName with the scheme in it): Nix 2.8
// (run here) and 2.15 (a user's log) give ssh `//ssh://builder@localhost` as the destination,
// which ssh splits at its last `@` into user `//ssh://builder` and host `localhost`, port 22.
std::string scheme_written_twice(const parse::MachineStoreUri& s) {
    // The parser has the outer scheme; is what follows `scheme://` another `scheme://`?
    if (s.scheme.empty() || s.scheme_added || s.written.compare(0, s.scheme.size() + 3, s.scheme + "://") != 0) return "";
    std::string rest = s.written.substr(s.scheme.size() + 3);
    std::size_t i = 0;
    if (rest.empty() || !std::isalpha(static_cast<unsigned char>(rest[0]))) return "";
    while (i < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[i])) || rest[i] == '+' || rest[i] == '.' || rest[i] == '-')) ++i;
    if (rest.compare(i, 3, "://") != 0) return "";
    const std::size_t schemes_length = s.scheme.size() + 3 + i + 3;
    rest = rest.substr(0, rest.find('?'));  // the store settings are Nix's, not ssh's
    const std::string destination = "//" + rest;
    const std::size_t at = destination.rfind('@');
    const std::string host = at == std::string::npos ? destination : destination.substr(at + 1);
    std::string reading;
    if (at == std::string::npos) reading = "a host name that does not resolve (`Could not resolve hostname`)";
    else if (host.find(':') != std::string::npos)
        reading = "user `" + destination.substr(0, at) + "` at host `" + host + "`, a name that does not resolve (ssh takes no port from it)";
    else reading = "user `" + destination.substr(0, at) + "` at `" + host + "` port 22, a user that does not exist there";
    return "the scheme is written twice (`" + s.written.substr(0, schemes_length) + "`): Nix (2.8, 2.15) hands ssh `" + destination +
           "` as the destination, which ssh reads as " + reading;
}

nlohmann::json describe_machine(GatherContext& ctx, const parse::Machine& m, const std::string& local_system,
                                const LocalNix& local_nix) {
    nlohmann::json b;
    const auto& s = m.store;
    b["uri"] = s.completed;
    b["written"] = s.written;
    b["scheme"] = s.scheme.empty() ? s.special : s.scheme;
    b["host"] = s.host;
    b["user"] = s.has_user ? s.user : "";
    b["has_user"] = s.has_user;
    b["port"] = s.port ? static_cast<int>(*s.port) : 22;
    b["file"] = m.file;
    b["line"] = m.line;
    b["entry"] = m.entry;
    b["column_count"] = m.column_count;
    b["systems"] = m.systems_set ? m.systems : std::vector<std::string>{local_system};
    b["systems_set"] = m.systems_set;
    b["max_jobs"] = m.max_jobs;
    b["speed_factor"] = m.speed_factor;
    b["speed_factor_integral"] = m.speed_factor_integral;
    b["supported_features"] = m.supported_features;
    b["mandatory_features"] = m.mandatory_features;
    // `auto`, `daemon`, `local` and a directory path are stores on this machine that Nix can build
    // in (Nix 2.8 prints `building ... on '/srv/store'`): accepted, with a note, never probed.
    const bool local_store = s.special == "auto" || s.special == "daemon" || s.special == "local" ||
                             (s.special == "path" && [&] { const auto i = ctx.fs.stat(s.path); return i && i->is_directory; }());
    b["scheme_supported"] = kBuildSchemes.count(s.scheme) > 0 || local_store;
    b["scheme_fix"] = "Use ssh://USER@HOST (nix-store --serve) or ssh-ng://USER@HOST (nix-daemon --stdio).";
    if (!b["scheme_supported"].get<bool>()) {
        const std::string scheme = b["scheme"];
        auto near = util::nearest(scheme, {"ssh", "ssh-ng"});
        b["scheme_hint"] = near ? " (did you mean " + *near + "://?)" : "";
    }
    // `builders = /etc/nix/machines`: without `@` the path is a store URI (a local store rooted
    // there), not a file to read; Nix then fails with `'/etc/nix/machines' is not a directory`.
    if (s.special == "path" && m.column_count == 1) {
        const auto info = ctx.fs.stat(s.path);
        if (!info || !info->is_directory) {
            const auto& setting = ctx.facts["nixconf"]["builders"];
            const bool in_setting = setting.value("set", false) && setting.value("file", std::string()) == m.file &&
                                    setting.value("line", 0) == m.line;
            b["scheme_hint"] = std::string(": without `@` the path is a local store rooted at ") + s.path +
                               (info ? ", which is a file (Nix: `cannot build on '" + s.path + "': error: '" + s.path + "' is not a directory`)"
                                     : ", which does not exist (Nix would create a store there)") +
                               ", not a file of builders";
            b["scheme_fix"] = in_setting ? "Write `builders = @" + s.path + "` in " + m.file +
                                               ": with `@` Nix reads the file as a list of builders; without it the path is opened as a store."
                                         : "Write `@" + s.path + "` on line " + std::to_string(m.line) + " of " + m.file +
                                               ": with `@` Nix reads the file as a list of builders; without it the path is opened as a store.";
        }
    }
    b["nix_program"] = s.scheme == "ssh" ? "nix-store" : "nix-daemon";
    b["is_ssh"] = s.scheme == "ssh" || s.scheme == "ssh-ng" || s.scheme == "mounted-ssh-ng";
    b["scheme_written_twice"] = b["is_ssh"].get<bool>() ? scheme_written_twice(s) : "";
    // Nothing else about it is what ssh will be given: one finding, no ssh checks.
    if (b["scheme_written_twice"] != "") b["is_ssh"] = false;
    // SSHMaster runs the remote command with `bash -c` instead of ssh when the destination is
    // exactly `localhost` (no user, no port): no key, no host key, no sshd is involved.
    b["fake_ssh"] = b["is_ssh"].get<bool>() && !s.has_user && s.host == "localhost" && s.port_text.empty() && !s.bracketed_ipv6;
    b["store_note"] = "";
    if (b["fake_ssh"].get<bool>()) {
        b["is_ssh"] = false;
        b["store_note"] = "`" + s.written + "` is run without ssh: Nix starts `" + b["nix_program"].get<std::string>() +
                          "` on this machine as the daemon's user (`bash -c`), so no key, host key or sshd is checked for it";
    } else if (s.scheme == "local" || s.scheme == "unix" || (s.scheme.empty() && b["scheme_supported"].get<bool>())) {
        const std::string kind = s.special == "path" ? "a local store rooted at " + s.path
                                 : s.special == "auto" ? "the local store (auto)"
                                 : s.scheme == "unix" || s.special == "daemon" ? "the local nix-daemon"
                                                                               : "the local store";
        b["store_note"] = "`" + s.written + "` is " + kind + ", not an ssh builder: nothing is checked over ssh for it";
    }
    b["port_written"] = s.port_text;
    b["port_param"] = s.param("port") ? *s.param("port") : "";
    bool misread_host = false;
    int port_used = 22;
    b["port_problem"] = b["is_ssh"].get<bool>() ? port_problem(m, local_nix, misread_host, port_used) : "";
    b["port_misread_host"] = misread_host;
    if (b["is_ssh"].get<bool>()) b["port"] = port_used;
    b["unknown_systems"] = nlohmann::json::array();
    for (const auto& system : m.systems) {
        if (is_known_system(system)) continue;
        auto near = util::nearest(system, known_systems());
        b["unknown_systems"].push_back({{"system", system}, {"hint", near ? " (did you mean " + *near + "?)" : ""}});
    }
    b["features_split_reason"] = features_split_reason(m);
    b["extra_columns"] = m.column_count > 8 ? m.column_count - 8 : 0;
    b["host_key"] = describe_host_key(m);
    b["ssh_key"] = nullptr;
    if (m.identity_file && b["is_ssh"].get<bool>()) {  // `localhost` (no ssh) uses no key
        const std::string& path = *m.identity_file;
        auto key = describe_identity(ctx.fs, path, ctx.principal_uid, "machines");
        key["named_by"] = m.identity_source == "column 3" ? "in column 3" : "named by ?ssh-key= in the store URI";
        key["absolute"] = !path.empty() && path[0] == '/';
        key["principal_can_read"] = key.value("exists", false) && ctx.principal_uid == 0;
        if (ctx.principal_uid != 0 && key.value("exists", false)) {
            const unsigned mode = std::stoul(key.value("mode", std::string("0")), nullptr, 8);
            key["principal_can_read"] = (key.value("uid", 1u) == ctx.principal_uid && (mode & 0400)) || (mode & 0004);
        }
        b["ssh_key"] = key;
    }
    // nix-darwin's linux-builder: the key in its machines entry is written by the VM's first start
    // (create-builder), so before that it is missing and no ssh-keygen is the fix.
    b["identity_written_by"] = "";
    b["identity_first_step"] = "";
    if (m.identity_file && *m.identity_file == "/etc/nix/builder_ed25519" && s.host == "linux-builder" && s.user == "builder" &&
        b["is_ssh"].get<bool>() && !ctx.platform.is_linux()) {
        b["identity_written_by"] = "nix-darwin linux-builder";
        if (!b["ssh_key"].value("exists", false))
            b["identity_first_step"] =
                "Start the linux-builder once (`sudo launchctl kickstart -k system/org.nixos.linux-builder`) — it writes this key "
                "on its first start. Only if it is still missing after that: ";
    }
    b["probed"] = false;
    b["stages"] = nlohmann::json::object();
    return b;
}

// Private keys where Nix reads its builders list (`builders = @/root/.ssh/id_rsa`, or a key
// pasted into a machines file): Nix parses the key's lines as machines and quotes them in its
// errors. The key's lines are blanked before parsing (line numbers kept), so none of it becomes a
// builder, an error text or any other fact; each such file is reported once.
struct KeyInMachines {
    std::string path;
    bool whole_file = false;
};

std::string without_keys(std::string text, const std::string& path, std::vector<KeyInMachines>* found) {
    if (!util::contains_private_key(text)) return text;
    const bool whole = util::is_private_key_file(text);
    util::blank_private_keys(text);
    if (found && std::none_of(found->begin(), found->end(), [&](const KeyInMachines& k) { return k.path == path; }))
        found->push_back({path, whole});
    return text;
}

parse::IncludeSource machines_source(GatherContext& ctx, std::vector<KeyInMachines>* found) {
    parse::IncludeSource source = include_source(ctx.fs);
    source.read = [&ctx, found](const std::string& path) {
        auto r = ctx.fs.read(path);
        if (r.status == parse::ReadStatus::ok) r.text = without_keys(std::move(r.text), path, found);
        return r;
    };
    return source;
}

unsigned count_entries(GatherContext& ctx, const std::string& path) {
    const auto read = ctx.fs.read(path);
    if (read.status != parse::ReadStatus::ok) return 0;
    const auto machines =
        parse::parse_machines(without_keys(read.text, path, nullptr), path, 0, machines_source(ctx, nullptr));
    add_limits(ctx, machines.limits);
    return static_cast<unsigned>(machines.machines.size());
}

struct SystemFromFiles {
    std::string system, source, evidence;
};

// What a Mac's own files say about its system when nix.conf does not: nix-darwin writes the
// system it was built for to `system` in the system's store path (/run/current-system); an
// `extra-platforms` with x86_64-darwin but not aarch64-darwin is Rosetta on Apple silicon. A
// store path named `*-darwin*` or the linux-builder's machines entry says nothing about the host.
SystemFromFiles darwin_system_from_files(GatherContext& ctx) {
    for (const char* path : {"/run/current-system/system", "/nix/var/nix/profiles/system/system"}) {
        const auto read = ctx.fs.read(path);
        if (read.status != parse::ReadStatus::ok) continue;
        const std::string system(util::trim(read.text));
        if (util::ends_with(system, "-darwin") && is_known_system(system))
            return {system, "nix-darwin", std::string(path) + " (nix-darwin): " + system};
    }
    if (const auto* extra = ctx.local_nix_conf.get("extra-platforms")) {
        const auto platforms = util::split_tokens(extra->value);
        const auto has = [&](const char* s) { return std::find(platforms.begin(), platforms.end(), s) != platforms.end(); };
        if (has("x86_64-darwin") && !has("aarch64-darwin"))
            return {"aarch64-darwin", "extra-platforms",
                    extra->file + ":" + std::to_string(extra->line) +
                        ": extra-platforms has x86_64-darwin (Rosetta), so this Mac is Apple silicon"};
    }
    return {};
}

}  // namespace

void gather_builders(GatherContext& ctx) {
    auto& f = ctx.facts;
    std::string local_system = host_system();
    std::string system_source = "this machine";
    std::string evidence = "uname";
    // The systems Nix's thisSystem may be when the files do not say (a Mac tree read elsewhere).
    std::vector<std::string> candidates;
    if (ctx.options.system) {
        local_system = *ctx.options.system;
        system_source = "--system";
        evidence = "--system " + local_system;
    } else if (f["nixconf"].contains("system")) {
        local_system = f["nixconf"]["system"];
        system_source = "nix.conf";
        evidence = "nix.conf system = " + local_system;
    } else if (ctx.platform.is_darwin() && !util::ends_with(local_system, "-darwin")) {
        // A Mac's tree read on another machine: this machine's uname says nothing about it.
        if (auto from_files = darwin_system_from_files(ctx); !from_files.system.empty()) {
            local_system = from_files.system;
            system_source = from_files.source;
            evidence = from_files.evidence;
        } else {
            local_system = "unknown";
            system_source = "unknown";
            evidence = "a macOS tree whose nix.conf sets no `system`, and no file says which Mac it is";
            candidates = {"aarch64-darwin", "x86_64-darwin"};
        }
    }
    const std::string described =
        candidates.empty() ? local_system
                           : "unknown (aarch64-darwin or x86_64-darwin: nix.conf sets no `system` and the tree does not say which)";
    f["system"] = {{"value", local_system}, {"source", system_source}, {"evidence", evidence},
                   {"candidates", candidates}, {"described", described}};

    const auto& builders_setting = f["nixconf"]["builders"];
    parse::Machines machines;
    std::vector<KeyInMachines> keys;
    std::string top_file = "/etc/nix/machines";
    int top_line = 0;
    if (builders_setting["set"].get<bool>()) {
        top_file = builders_setting["file"].get<std::string>();
        top_line = builders_setting["line"].get<int>();
        machines = parse::parse_machines(without_keys(builders_setting["value"].get<std::string>(), top_file, &keys), top_file,
                                         top_line, machines_source(ctx, &keys));
    } else {
        const auto read = ctx.fs.read("/etc/nix/machines");
        if (read.status == parse::ReadStatus::ok) {
            machines = parse::parse_machines(without_keys(read.text, top_file, &keys), top_file, 0, machines_source(ctx, &keys));
        } else if (read.status != parse::ReadStatus::missing && read.status != parse::ReadStatus::too_large) {
            // The default `builders` is `@/etc/nix/machines`: Nix skips it only when it does not
            // exist, and fails on a FIFO, a directory or a symlink loop.
            machines.errors.push_back({top_file, 0,
                                       "cannot read machines file '" + top_file + "'" +
                                           (read.reason.empty() ? std::string() : ": " + read.reason) +
                                           " (Nix fails on any error but a missing file)"});
        }
    }

    add_limits(ctx, machines.limits);
    nlohmann::json m;
    m["private_keys"] = nlohmann::json::array();
    for (const auto& k : keys) {
        std::string file = top_file;
        int line = top_line;
        for (const auto& record : machines.files)
            if (record.path == k.path && !record.referenced_from.empty()) {
                file = record.referenced_from;
                line = record.referenced_line;
                break;
            }
        const bool referenced = k.path != top_file;
        std::string what;
        if (k.whole_file) what = k.path + " is a private key, not a list of builders";
        else if (referenced) what = k.path + ", read as a list of builders, has a private key pasted into it";
        else what = "a private key is pasted into the builders list";
        m["private_keys"].push_back({{"path", k.path}, {"whole_file", k.whole_file}, {"file", file}, {"line", line}, {"what", what}});
    }
    m["errors"] = nlohmann::json::array();
    for (const auto& e : machines.errors) m["errors"].push_back({{"file", e.file}, {"line", e.line}, {"message", e.message}});
    m["missing_files"] = nlohmann::json::array();
    for (const auto& missing : machines.missing_files)
        m["missing_files"].push_back({{"path", missing.path}, {"file", missing.file}, {"line", missing.line}});
    m["etc_machines_entries"] = count_entries(ctx, "/etc/nix/machines");

    const LocalNix local_nix = detect_local_nix(ctx.fs);
    m["local_nix"] = {{"flavor", local_nix.flavor}, {"version", local_nix.version}, {"nix_version", local_nix.nix_version}, {"from", local_nix.from}};
    m["notes"] = nlohmann::json::array();
    f["builders"] = nlohmann::json::array();
    std::set<std::string> seen;
    unsigned for_system = 0;
    for (const auto& machine : machines.machines) {
        // A line Nix rejects only for its host key column is still checked as a builder, so the
        // precise machines.host-key-malformed replaces the generic parse error.
        const bool bad_host_key_only = !machine.valid && machine.host_key_set && !machine.host_key_decodes &&
                                       !machine.store.completed.empty();
        if (!machine.valid && !bad_host_key_only) continue;
        if (bad_host_key_only) {
            auto& errors = m["errors"];
            for (auto it = errors.begin(); it != errors.end();)
                it = ((*it)["file"] == machine.file && (*it)["line"] == machine.line &&
                      (*it)["message"].get<std::string>().find("ase64") != std::string::npos)
                         ? errors.erase(it)
                         : it + 1;
        }
        auto b = describe_machine(ctx, machine, local_system, local_nix);
        // Nix's SSHMaster refuses an empty destination or one that begins with '-' (ssh would
        // take `-oProxyCommand=...@host` as an option and run it): the builder can never be used.
        if (b.value("is_ssh", false)) {
            const std::string destination = (machine.store.has_user ? machine.store.user + "@" : "") + machine.store.host;
            if (!probe::nix_accepts_ssh_host(destination)) {
                m["errors"].push_back({{"file", machine.file},
                                       {"line", machine.line},
                                       {"message", "Nix refuses `" + machine.store.written + "`: invalid SSH host name '" + destination +
                                                       "' (a user or host that is empty or begins with '-'; ssh would take it as an option)"}});
                continue;  // never a builder: nothing about it is probed or reported as a host
            }
        }
        b["duplicate"] = !seen.insert(b["uri"].get<std::string>()).second;
        if (b["duplicate"].get<bool>()) {
            m.emplace("duplicates", nlohmann::json::array());
            m["duplicates"].push_back({{"uri", b["uri"]}, {"file", b["file"]}, {"line", b["line"]}});
            continue;  // the same builder twice: report it once, check it once
        }
        const auto& systems = b["systems"];
        // An unknown local system counts every system it may be: no finding rests on a guess.
        const bool for_local = candidates.empty()
                                   ? std::find(systems.begin(), systems.end(), local_system) != systems.end()
                                   : !machine.systems_set || std::any_of(candidates.begin(), candidates.end(), [&](const std::string& c) {
                                         return std::find(systems.begin(), systems.end(), c) != systems.end();
                                     });
        if (for_local && machine.max_jobs > 0) ++for_system;
        if (b["store_note"] != "")
            m["notes"].push_back(b["file"].get<std::string>() + (machine.line > 0 ? ":" + std::to_string(machine.line) : "") + ": " +
                                 b["store_note"].get<std::string>());
        // What ssh is given: the port Lix takes from `?port=`, none when the host name is misread.
        parse::Machine used = machine;
        if (b.value("is_ssh", false)) {
            if (b["port_misread_host"].get<bool>()) used.store.port.reset();
            else if (!b["port_param"].get<std::string>().empty() && local_nix.flavor == "lix") used.store.port = static_cast<unsigned>(b["port"].get<int>());
        }
        ctx.machines.push_back(std::move(used));
        f["builders"].push_back(std::move(b));
    }
    if (!m.contains("duplicates")) m["duplicates"] = nlohmann::json::array();
    m["entry_count"] = f["builders"].size();
    m["builders_for_system"] = for_system;
    f["machines"] = m;

    // A builder's store also used as a substituter: when the builder is down every command fails.
    nlohmann::json ssh_substituters = nlohmann::json::array();
    for (const auto& s : f["nixconf"]["substituters"]) {
        const std::string uri = s["uri"];
        if (!util::starts_with(uri, "ssh://") && !util::starts_with(uri, "ssh-ng://")) continue;
        std::string builder;
        for (const auto& b : f["builders"]) {
            const std::string host = b["host"];
            if (!host.empty() && uri.find(host) != std::string::npos) builder = b["uri"];
        }
        ssh_substituters.push_back({{"uri", uri}, {"file", s["file"]}, {"line", s["line"]}, {"builder", builder}});
    }
    f["nixconf"]["ssh_substituters"] = ssh_substituters;
}

}  // namespace nbd::facts
