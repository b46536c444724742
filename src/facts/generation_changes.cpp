#include "nix_builder_doctor/facts/generation_changes.hpp"

#include <map>
#include <set>

namespace nbd::facts {
namespace {

const nlohmann::json& builders_of(const nlohmann::json& facts) {
    static const nlohmann::json empty = nlohmann::json::array();
    const auto it = facts.find("builders");
    return it != facts.end() && it->is_array() ? *it : empty;
}

std::string where(const nlohmann::json& b) {
    const std::string file = b.value("file", std::string());
    const int line = b.value("line", 0);
    return file.empty() ? std::string()
                        : " (" + file + (line > 0 ? ":" + std::to_string(line) : "") + ")";
}

// A compact text of a value for sentences: strings bare, lists joined by blanks, null "(none)".
std::string shown(const nlohmann::json& v) {
    if (v.is_null()) return "(none)";
    if (v.is_string()) return v.get<std::string>().empty() ? "\"\"" : v.get<std::string>();
    if (v.is_array()) {
        if (v.empty()) return "(none)";
        std::string out;
        for (const auto& e : v) out += (out.empty() ? "" : " ") + shown(e);
        return out;
    }
    return v.dump();
}

nlohmann::json known_host_fingerprints(const nlohmann::json& b) {
    std::set<std::string> seen;
    for (const auto& k : b.value("/ssh/known_hosts/keys"_json_pointer, nlohmann::json::array()))
        if (k.value("marker", std::string()) != "revoked" && !k.value("pinned", false))
            seen.insert(k.value("type", std::string()) + " " +
                        k.value("fingerprint", std::string()));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : seen) out.push_back(s);
    return out;
}

// The fields of a builder compared, each as a value taken from its /builders[] entry.
struct Field {
    const char* what;
    const char* label;
    nlohmann::json (*get)(const nlohmann::json& b);
};

nlohmann::json pointer_or_null(const nlohmann::json& b, const char* pointer) {
    const nlohmann::json::json_pointer p(pointer);
    return b.contains(p) ? b.at(p) : nlohmann::json();
}

const std::vector<Field>& fields() {
    static const std::vector<Field> list = {
        {"systems", "systems",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/systems"); }},
        {"max_jobs", "max jobs",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/max_jobs"); }},
        {"speed_factor", "speed factor",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/speed_factor"); }},
        {"supported_features", "supported features",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/supported_features"); }},
        {"mandatory_features", "mandatory features",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/mandatory_features"); }},
        {"ssh_key", "ssh key (-i)",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/ssh_key/path"); }},
        {"pinned_host_key", "pinned host key (column 8)",
         [](const nlohmann::json& b) {
             return b.value("/host_key/set"_json_pointer, false)
                        ? pointer_or_null(b, "/host_key/raw")
                        : nlohmann::json();
         }},
        {"known_host_keys", "host keys root knows", known_host_fingerprints},
        {"hostname", "ssh HostName",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/ssh/hostname/value"); }},
        {"ssh_user", "ssh user",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/effective_user"); }},
        {"port", "ssh port",
         [](const nlohmann::json& b) { return pointer_or_null(b, "/ssh/port/value"); }},
    };
    return list;
}

nlohmann::json setting_value(const nlohmann::json& facts, const std::string& name) {
    const auto& confs = facts.value("nix_confs", nlohmann::json::array());
    if (confs.empty()) return nullptr;
    const auto& settings = confs[0].value("settings", nlohmann::json::object());
    const auto it = settings.find(name);
    return it == settings.end() ? nlohmann::json() : it->value("value", nlohmann::json());
}

nlohmann::json change(const char* kind, const std::string& builder, const std::string& what,
                      nlohmann::json running, nlohmann::json next, std::string text) {
    return {{"kind", kind},
            {"builder", builder},
            {"what", what},
            {"running", std::move(running)},
            {"next", std::move(next)},
            {"text", std::move(text)}};
}

}  // namespace

const std::vector<std::string>& compared_settings() {
    static const std::vector<std::string> list = {"builders",
                                                  "max-jobs",
                                                  "trusted-users",
                                                  "allowed-users",
                                                  "builders-use-substitutes",
                                                  "trusted-public-keys",
                                                  "extra-trusted-public-keys",
                                                  "substituters",
                                                  "extra-substituters",
                                                  "require-sigs",
                                                  "system",
                                                  "extra-platforms",
                                                  "system-features",
                                                  "experimental-features"};
    return list;
}

nlohmann::json generation_changes(const nlohmann::json& running, const nlohmann::json& next) {
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& name : compared_settings()) {
        const auto before = setting_value(running, name), after = setting_value(next, name);
        if (before == after) continue;
        const std::string text =
            before.is_null()  ? "nix.conf sets " + name + " = " + shown(after)
            : after.is_null() ? "nix.conf no longer sets " + name + " (was " + shown(before) + ")"
                              : "nix.conf " + name + ": " + shown(before) + " -> " + shown(after);
        changes.push_back(change("setting_changed", "", name, before, after, text));
    }
    std::map<std::string, const nlohmann::json*> before_by_uri, after_by_uri;
    for (const auto& b : builders_of(running))
        before_by_uri.emplace(b.value("uri", std::string()), &b);
    for (const auto& b : builders_of(next)) after_by_uri.emplace(b.value("uri", std::string()), &b);
    // In the next generation's order, then the removed ones in the running order.
    for (const auto& b : builders_of(next)) {
        const std::string uri = b.value("uri", std::string());
        const auto old = before_by_uri.find(uri);
        if (old == before_by_uri.end()) {
            changes.push_back(change("builder_added", uri, "", nullptr,
                                     b.value("entry", std::string()),
                                     "builder " + uri + " is added" + where(b)));
            continue;
        }
        for (const auto& f : fields()) {
            const auto before = f.get(*old->second), after = f.get(b);
            if (before == after) continue;
            changes.push_back(
                change("builder_changed", uri, f.what, before, after,
                       uri + ": " + f.label + " " + shown(before) + " -> " + shown(after)));
        }
    }
    for (const auto& b : builders_of(running)) {
        const std::string uri = b.value("uri", std::string());
        if (after_by_uri.count(uri)) continue;
        changes.push_back(change("builder_removed", uri, "", b.value("entry", std::string()),
                                 nullptr, "builder " + uri + " is removed" + where(b)));
    }
    return changes;
}

}  // namespace nbd::facts
