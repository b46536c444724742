// Finds many literal strings in one pass over a line (Aho-Corasick over lower-cased bytes), so
// the rules' regexes only run on the few lines that contain their required text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nbd::explain {

// The longest run of literal text every match of an ECMAScript `pattern` must contain,
// lower-cased; empty when there is none (a top-level `|`, or no literal character at all).
// Only the part after the pattern's last top-level `\n` is considered, so a two-line pattern's
// literal is always in its last line.
std::string required_literal(std::string_view pattern);

class LiteralIndex {
public:
    struct Occurrence {
        std::size_t literal;
        std::size_t end;  // offset just past the first occurrence
    };

    // Returns the literal's id; adding the same text twice gives the same id.
    std::size_t add(const std::string& literal);
    void build();
    std::size_t size() const { return m_literals.size(); }
    // The first occurrence of each literal found in `text` (compared case-insensitively, ASCII).
    std::vector<Occurrence> scan(std::string_view text) const;

private:
    std::vector<std::string> m_literals;
    std::vector<std::int32_t> m_next;                  // state * 256 + byte -> state
    std::vector<std::vector<std::size_t>> m_outputs;   // state -> literals ending here
    bool m_built = false;
};

}  // namespace nbd::explain
