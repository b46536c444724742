// Ranking what the patterns found: the root cause first. The first `cannot build on` block names
// the cause; a match that another rule's match explains better is merged into it (`resolved_by`);
// a vague failure yields to a named cause for the same builder; consequences come last.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/rule.hpp"
#include "nix_builder_doctor/explain/explain_spec.hpp"

namespace nbd::explain {

inline constexpr int kNoBlock = 1 << 30;

struct Hit {
    std::size_t rule = 0;  // index into the rules
    std::string builder;   // empty: the log does not say
    long long line = 0;  // the first line that shows it
    std::string text;
    int block = kNoBlock;  // index of the `cannot build on` block it was found in
    bool build_log = false;
    bool needs_builder = false;  // found only by the rule's patterns_with_builder
    long long last_line = 0;     // the last line that shows it (0: `line`)
};

struct RankedHit {
    Hit hit;
    std::string after;  // a consequence: the id of the builder failure ranked above it
};

// `hits` holds at most one hit per (rule, builder), in log order. `builders` are the builders the
// log names, in order of appearance: a hit of a rule about a builder (`builder`
// scope) that names none is given the builder whose host its line mentions, or the only one.
std::vector<RankedHit> rank_hits(std::vector<Hit> hits, const std::vector<engine::Rule>& rules,
                                 const std::vector<ExplainSpec>& specs, const std::vector<std::string>& builders);

}  // namespace nbd::explain
