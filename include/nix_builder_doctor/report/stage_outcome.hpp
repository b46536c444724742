// How the CI and fleet formats read a live stage's outcome ("ok", "refused", "skipped", ...).
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nbd::report {

// The name used for findings that are about no builder (JUnit suite, SARIF property, ...).
inline constexpr const char* kThisMachine = "this machine";

inline bool stage_passed(const std::string& outcome) { return outcome == "ok"; }
inline bool stage_skipped(const std::string& outcome) { return outcome == "skipped"; }

// The stage names of a builder's `stages` in the order the probes run them (the JSON object
// keeps them sorted by name); names this list does not know come last, by name.
inline std::vector<std::string> stages_in_probe_order(const nlohmann::json& stages) {
    static const std::vector<std::string> order = {"dns", "tcp", "banner", "kex", "hostkey", "auth_methods",
                                                   "publickey", "nix", "snapshot", "build"};
    std::vector<std::string> names;
    for (const auto& [name, outcome] : stages.items()) names.push_back(name);
    const auto rank = [](const std::string& n) {
        return static_cast<std::size_t>(std::find(order.begin(), order.end(), n) - order.begin());
    };
    std::stable_sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
    return names;
}

// A stage's outcome as text (outcomes are strings; anything else is shown as JSON).
inline std::string stage_outcome(const nlohmann::json& stages, const std::string& name) {
    const auto& v = stages.at(name);
    return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace nbd::report
