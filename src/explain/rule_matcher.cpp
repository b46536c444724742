#include "nix_builder_doctor/explain/rule_matcher.hpp"

#include <algorithm>
#include <stdexcept>

namespace nbd::explain {
namespace {

// A regex sees at most this much of a line on either side of its literal: enough for any real
// message, and it bounds libstdc++'s recursive matcher on 64 KiB lines of junk.
constexpr std::size_t kWindow = 2048;
constexpr std::size_t kPreviousTail = 2048;

bool is_two_line(const std::string& pattern) {
    for (std::size_t i = 0; i + 1 < pattern.size(); ++i) {
        if (pattern[i] != '\\') continue;
        if (pattern[i + 1] == 'n') return true;
        ++i;
    }
    return false;
}

}  // namespace

RuleMatcher::RuleMatcher(const std::vector<engine::Rule>& rules) {
    std::vector<std::string> literals;
    for (std::size_t r = 0; r < rules.size(); ++r) {
        for (const auto& source : rules[r].log_patterns) {
            Pattern p;
            p.rule = r;
            try {
                p.regex = std::regex(source, std::regex::ECMAScript | std::regex::icase);
            } catch (const std::regex_error& e) {
                throw std::invalid_argument(rules[r].source + ": log pattern '" + source + "': " + e.what());
            }
            p.two_line = is_two_line(source);
            literals.push_back(required_literal(source));
            m_patterns.push_back(std::move(p));
        }
    }
    for (std::size_t i = 0; i < m_patterns.size(); ++i) {
        if (literals[i].empty()) {
            m_without_literal.push_back(i);
            continue;
        }
        const std::size_t id = m_index.add(literals[i]);
        if (m_by_literal.size() <= id) m_by_literal.resize(id + 1);
        m_by_literal[id].push_back(i);
    }
    m_index.build();
}

bool RuleMatcher::pattern_matches(const Pattern& p, std::string_view text, std::size_t end, std::string_view previous) const {
    const std::size_t from = end > kWindow ? end - kWindow : 0;
    const std::string_view window = text.substr(from, std::min(text.size() - from, 2 * kWindow));
    if (!p.two_line) return std::regex_search(window.begin(), window.end(), p.regex);
    std::string joined(previous.size() > kPreviousTail ? previous.substr(previous.size() - kPreviousTail) : previous);
    joined += '\n';
    joined.append(window);
    return std::regex_search(joined, p.regex);
}

std::vector<std::size_t> RuleMatcher::match(std::string_view text, std::string_view previous) const {
    std::vector<std::size_t> rules;
    auto try_pattern = [&](std::size_t index, std::size_t end) {
        const Pattern& p = m_patterns[index];
        if (std::find(rules.begin(), rules.end(), p.rule) != rules.end()) return;
        if (pattern_matches(p, text, end, previous)) rules.push_back(p.rule);
    };
    for (const auto& occurrence : m_index.scan(text))
        for (std::size_t index : m_by_literal[occurrence.literal]) try_pattern(index, occurrence.end);
    for (std::size_t index : m_without_literal) try_pattern(index, std::min(text.size(), kWindow));
    std::sort(rules.begin(), rules.end());
    return rules;
}

}  // namespace nbd::explain
