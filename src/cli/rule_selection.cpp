#include <set>

#include "nix_builder_doctor/cli/commands.hpp"
#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::cli {

std::vector<engine::Rule> load_rules_or_throw(const Options& options) {
    auto loaded = engine::load_all_rules(options.rule_dirs);
    if (!loaded.errors.empty()) {
        std::string text = "bad rule files:";
        for (const auto& e : loaded.errors) text += "\n  " + e;
        throw UsageError(text);
    }
    return loaded.rules;
}

void check_selectors(const Options& options, const std::vector<engine::Rule>& rules) {
    std::vector<std::string> names;
    std::set<std::string> families;
    for (const auto& r : rules) {
        names.push_back(r.id);
        families.insert(engine::rule_family(r.id));
    }
    for (const auto& f : families) names.push_back(f + ".");
    auto check = [&](const std::string& selector, const char* option) {
        for (const auto& r : rules)
            if (engine::selector_matches(selector, r.id)) return;
        std::string message = std::string(option) + ": no rule or family '" + selector + "'";
        if (auto near = util::nearest(selector, names)) message += " (did you mean " + *near + "?)";
        throw UsageError(message);
    };
    for (const auto& s : options.select) check(s, "--select");
    for (const auto& s : options.ignore) check(s, "--ignore");
    for (const auto& [s, _] : options.severity_overrides) check(s, "--severity");
}

}  // namespace nbd::cli
