// Runs rules over the Facts document and applies the user's selection: --select, --ignore (ids
// or family prefixes) and severity overrides. Findings removed by the selection are counted.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/finding.hpp"
#include "nix_builder_doctor/engine/rule.hpp"

namespace nbd::engine {

// Every finding of every rule, unfiltered and unsorted.
std::vector<Finding> evaluate_rules(const std::vector<Rule>& rules, const nlohmann::json& facts);

struct Selection {
    std::vector<std::string> select;  // empty: everything
    std::vector<std::string> ignore;
    std::map<std::string, Severity> severity_overrides;  // id or family -> severity
};

// "hostkey.changed" matches itself, "hostkey" and "hostkey.".
bool selector_matches(const std::string& selector, const std::string& rule_id);

struct SelectedFindings {
    std::vector<Finding> findings;  // sorted and deduplicated
    int suppressed = 0;
};

SelectedFindings apply_selection(std::vector<Finding> findings, const Selection& selection);

}  // namespace nbd::engine
