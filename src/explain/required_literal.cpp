#include <cctype>
#include <string_view>

#include "nix_builder_doctor/explain/literal_index.hpp"

namespace nbd::explain {
namespace {

// Escapes that stand for a class, an assertion or a back-reference, not for one literal byte.
bool escape_is_special(char c) {
    return std::string_view("dDwWsSbBnrtfv0cxuk").find(c) != std::string_view::npos || std::isdigit(static_cast<unsigned char>(c));
}

// The index just past the character class starting at `i` ('[').
std::size_t skip_class(std::string_view p, std::size_t i) {
    ++i;
    if (i < p.size() && p[i] == '^') ++i;
    if (i < p.size() && p[i] == ']') ++i;
    while (i < p.size() && p[i] != ']') i += p[i] == '\\' ? 2 : 1;
    return std::min(i + 1, p.size());
}

// The index just past the group starting at `i` ('(').
std::size_t skip_group(std::string_view p, std::size_t i) {
    int depth = 0;
    while (i < p.size()) {
        if (p[i] == '\\') i += 2;
        else if (p[i] == '[') i = skip_class(p, i);
        else {
            if (p[i] == '(') ++depth;
            if (p[i] == ')' && --depth == 0) return i + 1;
            ++i;
        }
    }
    return p.size();
}

// The index just past a quantifier at `i` (none: `i`), and whether it allows zero repetitions.
std::size_t skip_quantifier(std::string_view p, std::size_t i, bool& optional, bool& repeats) {
    optional = repeats = false;
    if (i >= p.size()) return i;
    if (p[i] == '?' || p[i] == '*') {
        optional = true;
        repeats = p[i] == '*';
        ++i;
    } else if (p[i] == '+') {
        repeats = true;
        ++i;
    } else if (p[i] == '{') {
        const std::size_t close = p.find('}', i);
        if (close == std::string_view::npos) return i;
        optional = p.substr(i + 1, 1) == "0" || p.substr(i + 1, 1) == ",";
        repeats = true;
        i = close + 1;
    } else {
        return i;
    }
    if (i < p.size() && p[i] == '?') ++i;  // lazy
    return i;
}

// Where the last line of a two-line pattern starts: just past its last top-level `\n`.
std::size_t last_line_start(std::string_view p) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < p.size();) {
        if (p[i] == '\\') {
            if (i + 1 < p.size() && p[i + 1] == 'n') start = i + 2;
            i += 2;
        } else if (p[i] == '[') i = skip_class(p, i);
        else if (p[i] == '(') i = skip_group(p, i);
        else ++i;
    }
    return start;
}

}  // namespace

std::string required_literal(std::string_view pattern) {
    const std::string_view p = pattern.substr(last_line_start(pattern));
    std::string best, run;
    auto flush = [&] {
        if (run.size() > best.size()) best = run;
        run.clear();
    };
    for (std::size_t i = 0; i < p.size();) {
        const char c = p[i];
        int literal = -1;
        if (c == '|') return "";  // an alternative at the top level: nothing is required
        if (c == '\\') {
            if (i + 1 >= p.size()) break;
            if (escape_is_special(p[i + 1])) {
                flush();
                bool optional, repeats;
                i = skip_quantifier(p, i + 2, optional, repeats);
                continue;
            }
            literal = static_cast<unsigned char>(p[i + 1]);
            i += 2;
        } else if (c == '[' || c == '(') {
            flush();
            i = c == '[' ? skip_class(p, i) : skip_group(p, i);
            bool optional, repeats;
            i = skip_quantifier(p, i, optional, repeats);
            continue;
        } else if (c == '.' || c == '^' || c == '$' || static_cast<unsigned char>(c) >= 0x80) {
            flush();
            bool optional, repeats;
            i = skip_quantifier(p, i + 1, optional, repeats);
            continue;
        } else {
            literal = static_cast<unsigned char>(c);
            ++i;
        }
        bool optional, repeats;
        i = skip_quantifier(p, i, optional, repeats);
        if (optional) {
            flush();
            continue;
        }
        run += static_cast<char>(std::tolower(literal));
        if (repeats) flush();
    }
    flush();
    return best;
}

}  // namespace nbd::explain
