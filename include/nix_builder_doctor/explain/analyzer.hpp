// `explain`: reads a failed build's log and returns the findings its rules' patterns support,
// the likeliest root cause first. Knows rules, not facts: no file or builder is consulted.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/finding.hpp"
#include "nix_builder_doctor/engine/rule.hpp"
#include "nix_builder_doctor/explain/explain_spec.hpp"
#include "nix_builder_doctor/explain/rule_matcher.hpp"

namespace nbd::explain {

struct ExplainedFinding {
    engine::Finding finding;  // message and fix composed for explain; evidence set
    Role role = Role::cause;
    std::string cause;                      // the one-line cause
    std::vector<std::string> alternatives;  // "rule: how to tell", for causes the log cannot separate
    std::string check_command;              // the command that decides between them
    std::string after;                      // for a consequence: the rule it follows from
};

struct ExplainResult {
    std::vector<ExplainedFinding> findings;  // rank order
    std::vector<std::string> builders;       // every builder the log names, as written, first seen first
    long long lines = 0;                     // physical lines read
    bool read_error = false;
};

class Explainer {
public:
    // Compiles the rules' patterns once; throws std::invalid_argument naming the rule when a
    // pattern or an `explain` object is bad.
    explicit Explainer(std::vector<engine::Rule> rules);
    ExplainResult explain(std::istream& log) const;
    const std::vector<engine::Rule>& rules() const { return m_rules; }

private:
    std::vector<engine::Rule> m_rules;
    std::vector<ExplainSpec> m_specs;
    RuleMatcher m_matcher;
    RuleMatcher m_builder_matcher;  // each rule's explain.patterns_with_builder, same rule indices
};

}  // namespace nbd::explain
