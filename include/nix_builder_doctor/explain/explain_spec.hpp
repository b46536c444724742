// What a rule's optional `explain` object says about its log patterns: whether a match is a
// cause, a vague sign or a consequence of another failure, how likely it is among causes the log
// cannot tell apart, which rules resolve it, and the texts explain prints instead of the
// check-mode message and fix (which need facts explain does not have).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/rule.hpp"

namespace nbd::explain {

enum class Role {
    cause,        // names what is wrong (ranked first)
    vague,        // a failure whose reason the log hides (ranked after causes, dropped for one)
    consequence,  // follows from another failure (ranked last)
};

enum class Scope {
    any,
    builder,  // only lines about a builder (a `cannot build on` block, or a line naming one)
    local,    // only lines about no builder
};

struct Alternative {
    std::string rule;
    std::string tell;  // how to tell this cause apart from the rule's own
};

struct ExplainSpec {
    Role role = Role::cause;
    Scope scope = Scope::any;
    int rank = 50;  // lower: likelier among causes of the same standing
    std::string cause;
    std::string fix;
    std::vector<Alternative> alternatives;
    std::vector<std::string> resolved_by;  // rules whose match explains this one better
    std::string check;                     // selectors for `check --select` that decide it
    bool fallback = false;  // stands for a `cannot build on` failure no pattern recognises
};

// The spec of a rule; problems with the `explain` object are appended as "id: problem".
ExplainSpec parse_explain_spec(const engine::Rule& rule, std::vector<std::string>& problems);

// The placeholders explain texts may use.
inline const std::vector<std::string> kExplainPlaceholders = {"builder", "host", "user"};

}  // namespace nbd::explain
