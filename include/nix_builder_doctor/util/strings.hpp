// Small string helpers shared by every layer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbd::util {

// Characters Nix and OpenSSH treat as blanks when tokenising a line.
inline constexpr std::string_view kBlank = " \t\r\n";

// Spaces and tabs only: what OpenSSH's key files (known_hosts, authorized_keys) separate fields with.
inline constexpr std::string_view kSpaceTab = " \t";

std::string_view trim(std::string_view s, std::string_view chars = kBlank);
// Without the leading `chars`.
std::string_view trim_start(std::string_view s, std::string_view chars = kBlank);
// Split on any run of `separators`; empty tokens are dropped.
std::vector<std::string> split_tokens(std::string_view s, std::string_view separators = kBlank);
// Split on every occurrence of `separator`; empty fields are kept.
std::vector<std::string> split_fields(std::string_view s, char separator);
// Lines of a text, without their terminators ("\n", "\r\n"); a trailing newline adds no line.
std::vector<std::string_view> split_lines(std::string_view text);
std::string to_lower(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// Levenshtein distance, for "did you mean ...?".
std::size_t edit_distance(std::string_view a, std::string_view b);
// The candidate nearest to `word` if it is close enough to be a likely typo.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& candidates);

// OpenSSH's match_pattern: `*` and `?` wildcards, case-sensitive as given.
bool wildcard_match(std::string_view text, std::string_view pattern);

// Parse a whole string as an unsigned decimal; nullopt on any other character or overflow.
std::optional<unsigned long long> parse_unsigned(std::string_view s);

}  // namespace nbd::util
