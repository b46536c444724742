#include "nix_builder_doctor/util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace nbd::util {

std::string_view trim(std::string_view s, std::string_view chars) {
    const auto first = s.find_first_not_of(chars);
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(chars);
    return s.substr(first, last - first + 1);
}

std::string_view trim_start(std::string_view s, std::string_view chars) {
    const auto first = s.find_first_not_of(chars);
    return first == std::string_view::npos ? std::string_view{} : s.substr(first);
}

std::vector<std::string> split_tokens(std::string_view s, std::string_view separators) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < s.size()) {
        const auto start = s.find_first_not_of(separators, pos);
        if (start == std::string_view::npos) break;
        auto end = s.find_first_of(separators, start);
        if (end == std::string_view::npos) end = s.size();
        out.emplace_back(s.substr(start, end - start));
        pos = end;
    }
    return out;
}

std::vector<std::string> split_fields(std::string_view s, char separator) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const auto end = s.find(separator, start);
        if (end == std::string_view::npos) {
            out.emplace_back(s.substr(start));
            return out;
        }
        out.emplace_back(s.substr(start, end - start));
        start = end + 1;
    }
}

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        auto line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out += separator;
        out += parts[i];
    }
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    const std::string lowered = to_lower(word);
    for (const auto& candidate : candidates) {
        const auto d = edit_distance(lowered, to_lower(candidate));
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    // Close enough to be a typo: at most a third of the word, and at least 1 or 2 edits.
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    if (best && best_distance > 0 && best_distance <= limit) return best;
    // A word typed only in part ("hostkey.unknwn" for hostkey.unknown-to-root): compare it with
    // the start of each candidate.
    std::optional<std::string> prefix_best;
    std::size_t prefix_distance = std::numeric_limits<std::size_t>::max();
    if (word.size() >= 4) {
        for (const auto& candidate : candidates) {
            if (candidate.size() <= word.size()) continue;
            const auto d = edit_distance(lowered, to_lower(candidate.substr(0, word.size())));
            if (d < prefix_distance) {
                prefix_distance = d;
                prefix_best = candidate;
            }
        }
    }
    if (prefix_best && prefix_distance <= std::max<std::size_t>(1, word.size() / 6)) return prefix_best;
    return std::nullopt;
}

bool wildcard_match(std::string_view text, std::string_view pattern) {
    // Iterative glob with single backtrack point: linear in practice, no recursion.
    std::size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++t;
            ++p;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::optional<unsigned long long> parse_unsigned(std::string_view s) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    unsigned long long value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const unsigned digit = static_cast<unsigned>(c - '0');
        if (value > (std::numeric_limits<unsigned long long>::max() - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

}  // namespace nbd::util
