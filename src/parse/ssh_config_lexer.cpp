// Tokenising of ssh_config / sshd_config lines, as OpenSSH 9.2's process_config_line() and
// process_server_config_line() do it: strdelim() for the keyword, argv_split() for arguments.
#include "nix_builder_doctor/parse/ssh_config_lexer.hpp"

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {

namespace {

constexpr std::string_view kWhitespace = " \t\r\n";

std::string_view skip_whitespace(std::string_view s) {
    const auto n = s.find_first_not_of(kWhitespace);
    return n == std::string_view::npos ? std::string_view{} : s.substr(n);
}

// One step of strdelim_internal(s, split_equals=1). `s` is nullopt once OpenSSH's pointer is
// NULL. Returns nullopt where strdelim returns NULL (no closing quote, or already at the end).
std::optional<std::string> strdelim(std::optional<std::string_view>& s) {
    if (!s) return std::nullopt;
    const std::string_view old = *s;
    const auto p = old.find_first_of(" \t\r\n\"=");
    if (p == std::string_view::npos) {
        s.reset();
        return std::string(old);
    }
    if (old[p] == '"') {
        // The opening quote is removed; the token runs to the next quote.
        const auto q = old.find('"', p + 1);
        if (q == std::string_view::npos) {
            s.reset();
            return std::nullopt;
        }
        std::string token(old.substr(0, p));
        token.append(old.substr(p + 1, q - p - 1));
        s = skip_whitespace(old.substr(q + 1));
        return token;
    }
    const bool was_equals = old[p] == '=';
    std::string token(old.substr(0, p));
    std::string_view rest = skip_whitespace(old.substr(p + 1));
    if (!was_equals && !rest.empty() && rest.front() == '=') rest = skip_whitespace(rest.substr(1));
    s = rest;
    return token;
}

// argv_split(s, terminate_on_comment=1). False on an unterminated quote.
bool argv_split(std::string_view s, std::vector<std::string>& out) {
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] == ' ' || s[i] == '\t') {
            ++i;
            continue;
        }
        if (s[i] == '#') break;
        std::string arg;
        char quote = 0;
        for (; i < s.size(); ++i) {
            const char c = s[i];
            if (c == '\\') {
                const char next = i + 1 < s.size() ? s[i + 1] : '\0';
                if (next == '\'' || next == '"' || next == '\\' || (quote == 0 && next == ' ')) {
                    ++i;
                    arg.push_back(next);
                } else {
                    arg.push_back(c);
                }
            } else if (quote == 0 && (c == ' ' || c == '\t')) {
                break;
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (quote != 0 && c == quote) {
                quote = 0;
            } else {
                arg.push_back(c);
            }
        }
        if (i >= s.size() && quote != 0) return false;
        out.push_back(std::move(arg));
    }
    return true;
}

}  // namespace

std::string SshOrigin::describe() const {
    if (file.empty()) return "default";
    if (line <= 0) return file;
    return file + ":" + std::to_string(line);
}

std::vector<std::string> ssh_strdelim_split(std::string_view s) {
    std::vector<std::string> out;
    std::optional<std::string_view> cursor = s;
    while (true) {
        auto token = strdelim(cursor);
        if (!token || token->empty()) break;
        out.push_back(std::move(*token));
    }
    return out;
}

SshLexResult lex_ssh_config(std::string_view text, const std::string& file) {
    SshLexResult result;
    int line_number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(start, end - start);
        start = end + 1;
        ++line_number;

        // C strings end at a NUL byte.
        if (const auto nul = line.find('\0'); nul != std::string_view::npos)
            line = line.substr(0, nul);
        // Strip trailing whitespace (and form feeds), never the first character.
        while (line.size() > 1 &&
               std::string_view(" \t\r\n\f").find(line.back()) != std::string_view::npos)
            line.remove_suffix(1);
        if (line.empty()) continue;

        std::optional<std::string_view> cursor = line;
        auto keyword = strdelim(cursor);
        if (keyword && keyword->empty()) keyword = strdelim(cursor);
        if (!keyword || keyword->empty() || keyword->front() == '#' || keyword->front() == '\n')
            continue;

        SshDirective d;
        d.keyword_as_written = *keyword;
        d.keyword = util::to_lower(*keyword);
        d.file = file;
        d.line = line_number;
        std::string_view rest = cursor ? skip_whitespace(*cursor) : std::string_view{};
        if (rest.empty()) {
            result.diagnostics.push_back(
                {file, line_number, "no argument after keyword \"" + d.keyword_as_written + "\""});
            continue;
        }
        d.rest = std::string(rest);
        if (!argv_split(rest, d.args)) {
            result.diagnostics.push_back({file, line_number, "invalid quotes"});
            continue;
        }
        result.directives.push_back(std::move(d));
    }
    return result;
}

}  // namespace nbd::parse
