// Checks over one parsed nix.conf that need code: values wrapped in quotes (Nix keeps them), and
// substituters whose signing key is not trusted. Both feed lists in /nix_confs/*.
#include <algorithm>
#include <set>

#include "nix_builder_doctor/facts/nix_conf_facts.hpp"
#include "nix_builder_doctor/parse/nix_settings.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

constexpr std::size_t kMaxShownValue = 200;
constexpr std::size_t kMaxListedEntries = 8;  // quoted words named in one message
constexpr const char* kDefaultSubstituter = "https://cache.nixos.org/";
constexpr const char* kDefaultPublicKey = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

// Settings whose value Nix 2.8 parses as a Boolean or a number (`nix show-config` defaults):
// a quoted value there is rejected ("invalid value") and every Nix command fails.
const std::set<std::string> kBooleanSettings = {
    "accept-flake-config", "allow-dirty", "allow-import-from-derivation", "allow-new-privileges",
    "allow-symlinked-store", "allow-unsafe-native-code-during-evaluation", "auto-optimise-store",
    "builders-use-substitutes", "compress-build-log", "enforce-determinism", "eval-cache", "fallback",
    "filter-syscalls", "fsync-metadata", "http2", "impersonate-linux-26", "keep-build-log", "keep-derivations",
    "keep-env-derivations", "keep-failed", "keep-going", "keep-outputs", "preallocate-contents", "print-missing",
    "pure-eval", "require-sigs", "restrict-eval", "run-diff-hook", "sandbox", "sandbox-fallback", "show-trace",
    "substitute", "sync-before-registering", "trace-function-calls", "use-case-hack", "use-registries",
    "use-sqlite-wal", "warn-dirty"};
const std::set<std::string> kNumberSettings = {
    "build-poll-interval", "connect-timeout", "cores", "download-attempts", "gc-reserved-space",
    "http-connections", "log-lines", "max-build-log-size", "max-free", "max-jobs", "max-silent-time", "min-free",
    "min-free-check-interval", "nar-buffer-size", "narinfo-cache-negative-ttl", "narinfo-cache-positive-ttl",
    "repeat", "stalled-download-timeout", "tarball-ttl", "timeout"};

bool is_quote(char c) { return c == '"' || c == '\''; }

bool has_quote_at_edge(const std::string& token) {
    return !token.empty() && (is_quote(token.front()) || is_quote(token.back()));
}

std::string strip_surrounding_quotes(std::string t) {
    while (!t.empty() && is_quote(t.front())) t.erase(t.begin());
    while (!t.empty() && is_quote(t.back())) t.pop_back();
    return t;
}

std::string shown(const std::string& value) {
    if (value.size() <= kMaxShownValue) return value;
    return value.substr(0, kMaxShownValue) + "...";
}

// What Nix does with the quoted value of `setting` (verified with Nix 2.8 `nix show-config`).
std::string quoted_effect(const parse::NixConfAssignment& a) {
    const auto* info = parse::find_nix_setting(a.canonical);
    const parse::SettingKind kind = info ? info->kind : parse::SettingKind::scalar;
    if (kind == parse::SettingKind::scalar) {
        if (kBooleanSettings.count(a.canonical) || kNumberSettings.count(a.canonical))
            return "Nix rejects it ('" + a.canonical + "' has invalid value '" + shown(a.value) +
                   "'), so every Nix command fails until the quotes are removed";
        return "Nix keeps the quotes as part of the value, so " + a.canonical + " is '" + shown(a.value) +
               "', not '" + shown(strip_surrounding_quotes(a.value)) + "'";
    }
    std::vector<std::string> affected;
    std::vector<std::string> meant;
    std::size_t more = 0;
    for (const auto& t : a.tokens)
        if (has_quote_at_edge(t)) {
            if (affected.size() == kMaxListedEntries) {
                ++more;
                continue;
            }
            affected.push_back("'" + shown(t) + "'");
            meant.push_back(shown(strip_surrounding_quotes(t)));
        }
    const std::string tail = more ? " and " + std::to_string(more) + " more" : "";
    const std::string entries = util::join(affected, ", ") + tail;
    if (a.canonical == "experimental-features")
        return "Nix reads the feature names with the quotes (" + entries + "), so it enables none of " +
               util::join(meant, ", ") + tail + " (it warns: unknown experimental feature)";
    return "Nix keeps the quotes as part of the entries (" + entries + ") instead of reading " + util::join(meant, ", ") +
           tail;
}

// The host of a substituter URI, lower-case ("" when it has none).
std::string uri_host(const std::string& uri) {
    const auto scheme = uri.find("://");
    if (scheme == std::string::npos) return "";
    std::string rest = uri.substr(scheme + 3);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (const auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
    if (!rest.empty() && rest[0] == '[') {
        const auto close = rest.find(']');
        rest = rest.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    } else if (const auto colon = rest.find(':'); colon != std::string::npos) {
        rest = rest.substr(0, colon);
    }
    return util::to_lower(rest);
}

std::string uri_scheme(const std::string& uri) {
    const auto scheme = uri.find("://");
    return scheme == std::string::npos ? "" : util::to_lower(uri.substr(0, scheme));
}

// `?trusted=1`: Nix takes the store's paths without checking signatures.
bool marked_trusted(const std::string& uri) {
    const auto q = uri.find('?');
    if (q == std::string::npos) return false;
    for (const auto& param : util::split_tokens(uri.substr(q + 1), "&"))
        if (param == "trusted=1" || param == "trusted=true") return true;
    return false;
}

// The key-name prefix a well-known cache signs with, or "" when the URI does not tell.
std::string expected_key_prefix(const std::string& host) {
    if (host == "cache.nixos.org") return "cache.nixos.org-";
    static const std::string cachix = ".cachix.org";
    if (host.size() > cachix.size() && util::ends_with(host, cachix) &&
        host.find('.') == host.size() - cachix.size())
        return host + "-";
    return "";
}

bool is_well_known_key(const std::string& name) {
    return util::starts_with(name, "cache.nixos.org-") || name.find(".cachix.org-") != std::string::npos;
}

struct Substituter {
    std::string uri;
    std::string file;
    int line = 0;
};

}  // namespace

nlohmann::json quoted_values(const parse::NixConf& conf) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : conf.assignments) {
        if (!a.known || a.canonical.find("access-token") != std::string::npos) continue;
        if (std::none_of(a.tokens.begin(), a.tokens.end(), has_quote_at_edge)) continue;
        out.push_back({{"name", a.name}, {"value", shown(a.value)}, {"file", a.file}, {"line", a.line},
                       {"effect", quoted_effect(a)}});
    }
    return out;
}

nlohmann::json substituter_keys_missing(const parse::NixConf& conf) {
    nlohmann::json out = nlohmann::json::array();
    if (const auto* e = conf.get("require-sigs");
        e && (e->value == "false" || e->value == "no" || e->value == "0"))
        return out;
    // The effective substituters, each with the line that added it (Nix's default has none).
    std::vector<Substituter> subs = {{kDefaultSubstituter, "", 0}};
    for (const auto& a : conf.assignments) {
        if (a.canonical != "substituters") continue;
        if (!a.is_extra) subs.clear();
        for (const auto& t : a.tokens) subs.push_back({t, a.file, a.line});
    }
    const auto keys = setting_tokens(conf, "trusted-public-keys", {kDefaultPublicKey});
    std::vector<std::string> names;
    for (const auto& k : keys) names.push_back(k.substr(0, k.find(':')));
    const bool only_well_known = std::all_of(names.begin(), names.end(), is_well_known_key);
    const auto* keys_entry = conf.get("trusted-public-keys");
    const bool keys_replaced = keys_entry && !keys_entry->appended_to_default;
    const std::string keys_where =
        keys_replaced ? keys_entry->file + ":" + std::to_string(keys_entry->line) : std::string();
    const std::string listed = names.empty() ? "no key at all" : "only " + util::join(names, ", ");

    std::set<std::string> seen;
    for (const auto& s : subs) {
        if (!seen.insert(s.uri).second || marked_trusted(s.uri)) continue;
        const std::string host = uri_host(s.uri);
        const std::string scheme = uri_scheme(s.uri);
        std::string reason;
        std::string wanted;
        if (const auto prefix = expected_key_prefix(host); !prefix.empty()) {
            const bool present = std::any_of(names.begin(), names.end(),
                                             [&](const std::string& n) { return util::starts_with(n, prefix); });
            if (present) continue;
            wanted = prefix + "1";
            reason = "trusted-public-keys has " + listed + (keys_replaced ? " (set at " + keys_where + ", which replaces Nix's default list)" : "") +
                     " and no " + wanted + " key, so every path from " + s.uri + " is refused (lacks a signature by a trusted key)";
        } else if ((scheme == "ssh" || scheme == "ssh-ng") && only_well_known) {
            wanted = host + "'s own signing key";
            reason = "trusted-public-keys has " + listed + ", none of which can be " + host +
                     "'s own, so every path " + host + " built itself is refused (lacks a signature by a trusted key)";
        } else {
            continue;
        }
        nlohmann::json item = {{"uri", s.uri}, {"wanted", wanted}, {"reason", reason}};
        // Where to fix it: the line that replaced the key list, else the substituter's own line.
        if (keys_replaced && !util::starts_with(wanted, host + "'s")) {
            item["file"] = keys_entry->file;
            item["line"] = keys_entry->line;
        } else if (!s.file.empty()) {
            item["file"] = s.file;
            item["line"] = s.line;
        } else {
            item["file"] = keys_entry ? keys_entry->file : conf.file;
            item["line"] = keys_entry ? keys_entry->line : 0;
        }
        out.push_back(std::move(item));
    }
    return out;
}

}  // namespace nbd::facts
