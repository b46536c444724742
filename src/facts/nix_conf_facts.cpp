#include "nix_builder_doctor/facts/nix_conf_facts.hpp"

#include "nix_builder_doctor/facts/context.hpp"

#include <algorithm>

#include "nix_builder_doctor/util/encoding.hpp"
#include "nix_builder_doctor/util/redact.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

constexpr const char* kNixConf = "/etc/nix/nix.conf";

nlohmann::json where(const std::string& file, int line) { return {{"file", file}, {"line", line}}; }

// Why a trusted-public-keys entry is not `name:base64(32-byte ed25519 key)`, or "".
std::string public_key_problem(const std::string& entry) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos) return "it has no ':' between the key name and the key";
    if (colon == 0) return "the key name before ':' is empty";
    const std::string data = entry.substr(colon + 1);
    if (data.empty()) return "the key after ':' is empty";
    const auto bytes = util::base64_decode(data);
    if (!bytes) return "the part after ':' is not base64";
    if (bytes->size() == 64)
        return "it is a Nix signing secret key (64 bytes), not a public key (32); it is not shown here. Anyone who can read "
               "this file can sign store paths with it: generate a new pair with `nix-store --generate-binary-cache-key` "
               "and list only the public half";
    if (bytes->size() != 32)
        return "it decodes to " + std::to_string(bytes->size()) + " bytes; an ed25519 public key has 32";
    return "";
}

// `name:base64` whose key part is 64 bytes: the secret form of a signing key, never to be quoted.
bool is_secret_key_entry(const std::string& entry) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos) return false;
    const auto bytes = util::base64_decode(entry.substr(colon + 1));
    return bytes && bytes->size() == 64;
}

// access-tokens, extra-access-tokens (and an old github-access-token) carry credentials.
bool is_access_tokens(const std::string& name) { return name.find("access-token") != std::string::npos; }

// access-tokens is `host=token ...`: the hosts stay, the tokens never reach the Facts.
std::vector<std::string> redacted_access_tokens(const std::vector<std::string>& tokens) {
    std::vector<std::string> out;
    for (const auto& t : tokens) {
        const auto eq = t.find('=');
        out.push_back((eq == std::string::npos ? std::string() : t.substr(0, eq + 1)) + std::string(util::kRedactedToken));
    }
    return out;
}

bool is_false(const std::string& value) { return value == "false" || value == "no" || value == "0"; }

}  // namespace

std::vector<std::string> setting_tokens(const parse::NixConf& conf, const std::string& name,
                                        const std::vector<std::string>& fallback) {
    const auto* e = conf.get(name);
    if (!e) return fallback;
    if (e->appended_to_default) {
        std::vector<std::string> all = fallback;
        all.insert(all.end(), e->tokens.begin(), e->tokens.end());
        return all;
    }
    return e->tokens;
}

bool has_build_users_group(const parse::NixConf& conf) {
    const auto* e = conf.get("build-users-group");
    return e && !e->value.empty();
}

bool nix_user_listed(const std::vector<std::string>& list, const std::string& user, const Accounts& accounts) {
    const auto groups = accounts.groups_of(user);
    for (const auto& item : list) {
        if (item == "*" || item == user) return true;
        if (item.size() > 1 && item[0] == '@' && std::find(groups.begin(), groups.end(), item.substr(1)) != groups.end())
            return true;
    }
    return false;
}

parse::NixConf read_nix_conf(FileSystem& fs) {
    const auto read = fs.read(kNixConf);
    if (read.status != parse::ReadStatus::ok) return {};
    return parse::parse_nix_conf(read.text, kNixConf, include_source(fs));
}

NixConfView describe_nix_conf(FileSystem& fs, parse::NixConf conf_in, const Accounts& accounts, const std::string& side,
                              const std::string& builder, bool multi_user) {
    NixConfView view;
    view.conf = std::move(conf_in);
    auto& j = view.facts;
    j = {{"side", side}, {"builder", builder}, {"path", kNixConf}};
    const auto top = fs.read(kNixConf);
    j["exists"] = top.status == parse::ReadStatus::ok;
    // "not_regular" (a FIFO, a directory, a symlink loop), "unreadable", "too_large": the file is
    // there but was not read, which is not the same as no nix.conf (see /cannot_read).
    j["read"] = read_status_name(top.status);
    j["read_reason"] = top.reason;
    const auto& conf = view.conf;

    j["errors"] = nlohmann::json::array();
    for (const auto& e : conf.errors) j["errors"].push_back({{"file", e.file}, {"line", e.line}, {"message", e.message}});
    j["unknown"] = nlohmann::json::array();
    for (const auto& u : conf.unknown_settings) {
        std::string hint;
        if (u.extra_of_non_appendable)
            hint = "; '" + u.name.substr(6) + "' cannot be appended to with 'extra-': set '" + u.name.substr(6) + " = ...' instead";
        else if (u.suggestion)
            hint = " (did you mean '" + *u.suggestion + "'?)";
        j["unknown"].push_back({{"name", u.name}, {"file", u.file}, {"line", u.line}, {"hint", hint},
                                {"suggestion", u.suggestion.value_or("")}});
    }
    j["deprecated"] = nlohmann::json::array();
    for (const auto& d : conf.deprecated_settings)
        j["deprecated"].push_back({{"alias", d.alias}, {"canonical", d.canonical}, {"file", d.file}, {"line", d.line}});

    j["require_sigs_false"] = nlohmann::json::array();
    if (const auto* e = conf.get("require-sigs"); e && is_false(e->value)) j["require_sigs_false"].push_back(where(e->file, e->line));

    j["malformed_public_keys"] = nlohmann::json::array();
    for (const auto& a : conf.assignments) {
        if (is_access_tokens(a.canonical)) {
            for (const auto& token : a.tokens) {
                const auto eq = token.find('=');
                util::note_secret(eq == std::string::npos ? token : token.substr(eq + 1));
            }
            continue;
        }
        if (a.canonical != "trusted-public-keys") continue;
        for (const auto& token : a.tokens) {
            auto problem = public_key_problem(token);
            if (problem.empty()) continue;
            const bool secret = is_secret_key_entry(token);
            const std::string value = secret ? token.substr(0, token.find(':') + 1) + std::string(util::kRedactedNixSecretKey) : token;
            if (secret) util::note_secret(token.substr(token.find(':') + 1));
            j["malformed_public_keys"].push_back(
                {{"value", value}, {"reason", problem}, {"secret_key", secret}, {"file", a.file}, {"line", a.line}});
        }
    }

    j["quoted_values"] = quoted_values(conf);
    j["substituter_keys_missing"] = substituter_keys_missing(conf);

    // The group is looked up where the platform keeps groups (/etc/group, or macOS's local
    // directory node); when that is not all in the tree, a group not found is unknown, not missing.
    j["build_users_group_missing"] = nlohmann::json::array();
    j["build_users_group_unknown"] = nlohmann::json::array();
    {
        const auto* e = conf.get("build-users-group");
        nlohmann::json wanted;
        if (e && !e->value.empty()) wanted = {{"name", e->value}, {"file", e->file}, {"line", e->line}};
        else if (!e && multi_user) wanted = {{"name", "nixbld"}, {"file", kNixConf}, {"line", 0}, {"default", true}};
        if (!wanted.is_null() && !accounts.group_exists(wanted["name"])) {
            const bool dslocal = accounts.source() != "passwd";
            wanted["groups_location"] = accounts.groups_location();
            wanted["create_hint"] =
                dslocal ? "macOS: `sudo dseditgroup -o create -i 350 " + wanted["name"].get<std::string>() +
                              "`, then `sudo dseditgroup -o edit -a _nixbld1 -t user " + wanted["name"].get<std::string>() +
                              "` for each build user"
                        : "`groupadd -r " + wanted["name"].get<std::string>() + "` and nixbld1..32 members";
            if (accounts.groups_complete()) {
                j["build_users_group_missing"].push_back(wanted);
            } else {
                wanted["why"] = accounts.unknown_reason();
                j["build_users_group_unknown"].push_back(wanted);
            }
        }
    }

    j["settings"] = nlohmann::json::object();
    for (const auto& [name, e] : conf.effective) {
        if (is_access_tokens(name)) {
            const auto tokens = redacted_access_tokens(e.tokens);
            j["settings"][name] = {{"value", util::join(tokens, " ")}, {"tokens", tokens}, {"file", e.file}, {"line", e.line},
                                  {"appended", e.appended_to_default}};
            continue;
        }
        j["settings"][name] = {
            {"value", e.value}, {"tokens", e.tokens}, {"file", e.file}, {"line", e.line}, {"appended", e.appended_to_default}};
    }
    return view;
}

}  // namespace nbd::facts
