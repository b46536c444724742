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

// Which builder a match is about. A line inside a `cannot build on` block, or one that names a
// builder, is about that builder whatever the scope.
enum class Scope {
    any,           // otherwise about no builder
    builder,       // otherwise about the builder of the last `building ... on` line, the builder
                   // whose host the line mentions, or the only builder the log names
    builder_line,  // as builder, but only lines tied to a builder (block, name, remote build)
    local,         // only lines about no builder (the local machine)
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
    std::string after_cause;  // a consequence's cause line when a cause is ranked above it
    std::vector<Alternative> alternatives;
    std::vector<std::string> resolved_by;  // rules whose match explains this one better
    // Rule-id prefixes ("auth.", "remote.") whose match for the same builder on a LATER line shows
    // that this failure passed: "Connection refused" while sshd restarted, then "Permission
    // denied" from that sshd. Such a match ranks below the later one instead of above it.
    std::vector<std::string> yields_to_later;
    std::string check;                     // selectors for `check --select` that decide it
    bool fallback = false;  // stands for a `cannot build on` failure no pattern recognises
    // Patterns that are the local machine's own refusal ("... is required to build ..., but I am
    // a ..."): they count for this rule only when the log names a builder, since without one no
    // remote build was tried (no builder at all for a foreign system: no catalog rule).
    std::vector<std::string> patterns_with_builder;
    // Another rule that stands for this match when the log names builders and none of them
    // failed ("unable to start any build" with `--builders 'ssh://h x86_64-linux'`: none fits).
    std::string when_builders_named;
    // Another rule that stands for this match when the log's `nix copy` / `nix-copy-closure`
    // command copies into this machine (`--from STORE`): the refusal is then the local daemon's.
    // When it copies into a local directory store (`--to /DIR`, `file://`, `local`), no rule fits.
    std::string when_copying_in;
};

// The spec of a rule; problems with the `explain` object are appended as "id: problem".
ExplainSpec parse_explain_spec(const engine::Rule& rule, std::vector<std::string>& problems);

// The placeholders explain texts may use.
inline const std::vector<std::string> kExplainPlaceholders = {"builder", "host", "user"};

}  // namespace nbd::explain
