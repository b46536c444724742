#include "nix_builder_doctor/engine/evaluator.hpp"

#include "nix_builder_doctor/engine/condition.hpp"
#include "nix_builder_doctor/engine/message_template.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::engine {

std::vector<Finding> evaluate_rules(const std::vector<Rule>& rules, const nlohmann::json& facts) {
    std::vector<Finding> findings;
    for (const auto& rule : rules) {
        // A rule decided only from build logs has nothing to look at in the Facts.
        if (rule.where.size() == 1 && rule.where.front() == "E") continue;
        for (const auto& scope : expand_for_each(facts, rule.for_each)) {
            if (!evaluate_condition(rule.when, scope)) continue;
            Finding& f = findings.emplace_back();
            f.rule = rule.id;
            f.severity = rule.severity;
            f.title = rule.title;
            f.message = render_template(rule.message, scope);
            f.fix = render_template(rule.fix, scope);
            if (!rule.builder.empty()) f.builder = render_template(rule.builder, scope);
            if (!rule.location_file.empty()) {
                Location loc;
                loc.file = render_template(rule.location_file, scope);
                if (!rule.location_line.empty()) {
                    const auto line = util::parse_unsigned(render_template(rule.location_line, scope));
                    loc.line = line && *line < 1u << 30 ? static_cast<int>(*line) : 0;
                }
                if (!loc.file.empty()) f.location = loc;
            }
        }
    }
    return findings;
}

bool selector_matches(const std::string& selector, const std::string& rule_id) {
    if (selector == rule_id) return true;
    std::string family = selector;
    if (!family.empty() && family.back() == '.') family.pop_back();
    return rule_id.size() > family.size() && rule_id.compare(0, family.size(), family) == 0 &&
           rule_id[family.size()] == '.';
}

SelectedFindings apply_selection(std::vector<Finding> findings, const Selection& selection) {
    sort_and_deduplicate(findings);
    SelectedFindings out;
    auto any_match = [](const std::vector<std::string>& selectors, const std::string& id) {
        for (const auto& s : selectors)
            if (selector_matches(s, id)) return true;
        return false;
    };
    for (auto& f : findings) {
        const bool selected = selection.select.empty() || any_match(selection.select, f.rule);
        if (!selected || any_match(selection.ignore, f.rule)) {
            ++out.suppressed;
            continue;
        }
        // The most specific override wins: an exact id over a family.
        for (const auto& [selector, severity] : selection.severity_overrides)
            if (selector_matches(selector, f.rule) && selector != f.rule) f.severity = severity;
        if (auto exact = selection.severity_overrides.find(f.rule); exact != selection.severity_overrides.end())
            f.severity = exact->second;
        out.findings.push_back(std::move(f));
    }
    sort_and_deduplicate(out.findings);
    return out;
}

}  // namespace nbd::engine
