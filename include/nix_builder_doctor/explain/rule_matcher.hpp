// The rules' log patterns, compiled once: which rules match a line. Regexes run only on lines
// that contain their required literal, over a bounded window of the line.
#pragma once

#include <cstddef>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/engine/rule.hpp"
#include "nix_builder_doctor/explain/literal_index.hpp"

namespace nbd::explain {

class RuleMatcher {
public:
    // Throws std::regex_error (with the rule id) for a pattern that does not compile.
    explicit RuleMatcher(const std::vector<engine::Rule>& rules);

    // Indices (into the constructor's rules) of the rules with a pattern matching `text`. A
    // pattern containing `\n` is matched against `previous + "\n" + text`.
    std::vector<std::size_t> match(std::string_view text, std::string_view previous) const;

    std::size_t pattern_count() const { return m_patterns.size(); }

private:
    struct Pattern {
        std::size_t rule;
        std::regex regex;
        bool two_line = false;
    };

    bool pattern_matches(const Pattern& p, std::string_view text, std::size_t end, std::string_view previous) const;

    std::vector<Pattern> m_patterns;
    LiteralIndex m_index;
    std::vector<std::vector<std::size_t>> m_by_literal;  // literal -> patterns
    std::vector<std::size_t> m_without_literal;           // patterns run on every line
};

}  // namespace nbd::explain
