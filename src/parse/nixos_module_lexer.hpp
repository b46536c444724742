// A small lexer for the Nix language, enough to find identifiers outside strings and comments:
// strings ("..." and ''...'') and comments are skipped, `${...}` interpolations inside strings
// and paths are lexed as code, paths and URIs are single tokens (so `./lib.nix` is no `lib`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nbd::parse::detail {

enum class NixTok {
    ident,
    punct,
    str_open,
    str_close,
    interp_open,
    interp_close,
    path,
    uri,
    number,
    eof
};

struct NixToken {
    NixTok kind = NixTok::eof;
    std::string_view text;
    int line = 1;
    int column = 1;
};

class NixLexer {
  public:
    explicit NixLexer(std::string_view text) : m_text(text) {}
    NixToken next();
    // Lexing problems (unterminated string or comment), with line numbers.
    const std::vector<std::pair<int, std::string>>& errors() const { return m_errors; }

  private:
    enum class Mode { code, dq, ind, path };
    // What a closing `}` returns to.
    enum class Frame { brace, interp_code, interp_dq, interp_ind, interp_path };

    NixToken make(NixTok kind, std::size_t start, std::size_t end, int line, int column);
    NixToken lex_code();
    NixToken lex_string(bool indented);
    NixToken lex_path_continuation();
    void skip(std::size_t n);
    bool at(std::size_t i, char c) const { return i < m_text.size() && m_text[i] == c; }
    std::size_t match_path(std::size_t p, bool& open_interp) const;
    std::size_t match_uri(std::size_t p) const;
    std::size_t match_spath(std::size_t p) const;
    void error(int line, std::string message);

    std::string_view m_text;
    std::size_t m_pos = 0;
    int m_line = 1;
    std::size_t m_line_start = 0;
    Mode m_mode = Mode::code;
    std::vector<Frame> m_stack;
    std::vector<std::pair<int, std::string>> m_errors;
    bool m_done = false;
    std::size_t m_no_path_before = 0;  // no path starts before this offset (see lex_code)
    std::size_t m_no_uri_before = 0;
};

}  // namespace nbd::parse::detail
