// Nix lexer (after src/libexpr/lexer.l): just the token boundaries.
#include "nixos_module_lexer.hpp"

namespace nbd::parse::detail {
namespace {

bool is_path_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '+';
}
bool is_id_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_id_char(char c) {
    return is_id_start(c) || (c >= '0' && c <= '9') || c == '\'' || c == '-';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_scheme_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '+' ||
           c == '-' || c == '.';
}
bool is_uri_char(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
    switch (c) {
        case '%':
        case '/':
        case '?':
        case ':':
        case '@':
        case '&':
        case '=':
        case '+':
        case '$':
        case ',':
        case '-':
        case '_':
        case '.':
        case '!':
        case '~':
        case '*':
        case '\'':
            return true;
        default:
            return false;
    }
}

}  // namespace

void NixLexer::skip(std::size_t n) {
    const std::size_t end = std::min(m_text.size(), m_pos + n);
    for (; m_pos < end; ++m_pos) {
        if (m_text[m_pos] == '\n') {
            ++m_line;
            m_line_start = m_pos + 1;
        }
    }
}

void NixLexer::error(int line, std::string message) {
    if (m_errors.size() < 100) m_errors.emplace_back(line, std::move(message));
}

NixToken NixLexer::make(NixTok kind, std::size_t start, std::size_t end, int line, int column) {
    NixToken t;
    t.kind = kind;
    t.text = m_text.substr(start, end - start);
    t.line = line;
    t.column = column;
    return t;
}

// PATH {PATH_CHAR}*(\/{PATH_CHAR}+)+\/?  and  PATH_SEG {PATH_CHAR}*\/ followed by `${`;
// HPATH starts with `~`. Returns the end of the match (p when none).
std::size_t NixLexer::match_path(std::size_t p, bool& open_interp) const {
    open_interp = false;
    std::size_t q = p;
    if (at(q, '~')) {
        ++q;
        if (!at(q, '/')) return p;
    } else {
        while (q < m_text.size() && is_path_char(m_text[q])) ++q;
    }
    std::size_t end = p;
    while (at(q, '/') && q + 1 < m_text.size() && is_path_char(m_text[q + 1])) {
        ++q;
        while (q < m_text.size() && is_path_char(m_text[q])) ++q;
        end = q;
    }
    if (at(q, '/') && at(q + 1, '$') && at(q + 2, '{')) {
        open_interp = true;
        return q + 1;
    }
    if (end != p && at(end, '$') && at(end + 1, '{')) open_interp = true;
    if (end != p && at(end, '/')) ++end;  // trailing slash
    return end;
}

std::size_t NixLexer::match_uri(std::size_t p) const {
    std::size_t q = p;
    if (q >= m_text.size() ||
        !((m_text[q] >= 'a' && m_text[q] <= 'z') || (m_text[q] >= 'A' && m_text[q] <= 'Z')))
        return p;
    ++q;
    while (q < m_text.size() && is_scheme_char(m_text[q])) ++q;
    if (!at(q, ':')) return p;
    ++q;
    const std::size_t body = q;
    while (q < m_text.size() && is_uri_char(m_text[q])) ++q;
    return q == body ? p : q;
}

std::size_t NixLexer::match_spath(std::size_t p) const {
    std::size_t q = p + 1;
    const std::size_t first = q;
    while (q < m_text.size() && is_path_char(m_text[q])) ++q;
    if (q == first) return p;
    while (at(q, '/') && q + 1 < m_text.size() && is_path_char(m_text[q + 1])) {
        ++q;
        while (q < m_text.size() && is_path_char(m_text[q])) ++q;
    }
    return at(q, '>') ? q + 1 : p;
}

NixToken NixLexer::next() {
    if (m_done) return make(NixTok::eof, m_text.size(), m_text.size(), m_line, 1);
    switch (m_mode) {
        case Mode::dq:
            return lex_string(false);
        case Mode::ind:
            return lex_string(true);
        case Mode::path:
            return lex_path_continuation();
        case Mode::code:
            break;
    }
    return lex_code();
}

NixToken NixLexer::lex_path_continuation() {
    const int line = m_line;
    const int column = static_cast<int>(m_pos - m_line_start) + 1;
    if (at(m_pos, '$') && at(m_pos + 1, '{')) {
        const std::size_t start = m_pos;
        skip(2);
        m_stack.push_back(Frame::interp_path);
        m_mode = Mode::code;
        return make(NixTok::interp_open, start, m_pos, line, column);
    }
    const std::size_t start = m_pos;
    while (m_pos < m_text.size() && (is_path_char(m_text[m_pos]) || m_text[m_pos] == '/')) ++m_pos;
    if (!(at(m_pos, '$') && at(m_pos + 1, '{'))) m_mode = Mode::code;
    if (m_pos > start) return make(NixTok::path, start, m_pos, line, column);
    return lex_code();
}

NixToken NixLexer::lex_string(bool indented) {
    while (m_pos < m_text.size()) {
        const char c = m_text[m_pos];
        const int line = m_line;
        const int column = static_cast<int>(m_pos - m_line_start) + 1;
        if (c == '$') {
            if (at(m_pos + 1, '{')) {
                const std::size_t start = m_pos;
                skip(2);
                m_stack.push_back(indented ? Frame::interp_ind : Frame::interp_dq);
                m_mode = Mode::code;
                return make(NixTok::interp_open, start, m_pos, line, column);
            }
            skip(at(m_pos + 1, '$') ? 2 : 1);
            continue;
        }
        if (!indented) {
            if (c == '\\') {
                skip(2);
                continue;
            }
            if (c == '"') {
                const std::size_t start = m_pos;
                skip(1);
                m_mode = Mode::code;
                return make(NixTok::str_close, start, m_pos, line, column);
            }
            skip(1);
            continue;
        }
        if (c == '\'' && at(m_pos + 1, '\'')) {
            if (at(m_pos + 2, '\'') || at(m_pos + 2, '$')) {
                skip(3);
                continue;
            }
            if (at(m_pos + 2, '\\')) {
                skip(4);
                continue;
            }
            const std::size_t start = m_pos;
            skip(2);
            m_mode = Mode::code;
            return make(NixTok::str_close, start, m_pos, line, column);
        }
        skip(1);
    }
    error(m_line, indented ? "unterminated ''...'' string" : "unterminated \"...\" string");
    m_done = true;
    return make(NixTok::eof, m_text.size(), m_text.size(), m_line, 1);
}

NixToken NixLexer::lex_code() {
    while (m_pos < m_text.size()) {
        const char c = m_text[m_pos];
        const int line = m_line;
        const int column = static_cast<int>(m_pos - m_line_start) + 1;
        const std::size_t start = m_pos;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            skip(1);
            continue;
        }
        if (c == '#') {
            const auto nl = m_text.find('\n', m_pos);
            skip((nl == std::string_view::npos ? m_text.size() : nl) - m_pos);
            continue;
        }
        if (c == '/' && at(m_pos + 1, '*')) {
            const auto close = m_text.find("*/", m_pos + 2);
            if (close == std::string_view::npos) {
                error(line, "unterminated /* comment");
                m_done = true;
                skip(m_text.size() - m_pos);
                break;
            }
            skip(close + 2 - m_pos);
            continue;
        }
        if (c == '"') {
            skip(1);
            m_mode = Mode::dq;
            return make(NixTok::str_open, start, m_pos, line, column);
        }
        if (c == '\'' && at(m_pos + 1, '\'')) {
            skip(2);
            m_mode = Mode::ind;
            return make(NixTok::str_open, start, m_pos, line, column);
        }
        if (c == '$' && at(m_pos + 1, '{')) {
            skip(2);
            m_stack.push_back(Frame::interp_code);
            return make(NixTok::interp_open, start, m_pos, line, column);
        }
        if (c == '{') {
            skip(1);
            m_stack.push_back(Frame::brace);
            return make(NixTok::punct, start, m_pos, line, column);
        }
        if (c == '}') {
            skip(1);
            if (m_stack.empty()) return make(NixTok::punct, start, m_pos, line, column);
            const Frame f = m_stack.back();
            m_stack.pop_back();
            switch (f) {
                case Frame::brace:
                    return make(NixTok::punct, start, m_pos, line, column);
                case Frame::interp_code:
                    break;
                case Frame::interp_dq:
                    m_mode = Mode::dq;
                    break;
                case Frame::interp_ind:
                    m_mode = Mode::ind;
                    break;
                case Frame::interp_path:
                    m_mode = Mode::path;
                    break;
            }
            return make(NixTok::interp_close, start, m_pos, line, column);
        }
        if (c == '<') {
            const auto end = match_spath(m_pos);
            if (end != m_pos) {
                skip(end - m_pos);
                return make(NixTok::path, start, m_pos, line, column);
            }
        }
        if (is_path_char(c) || c == '/' || c == '~') {
            // A run of path characters that no '/' follows holds no path (and a run of scheme
            // characters that no ':' follows holds no URI), whichever of its characters the
            // match starts at: remember that, so runs like "a.a.a.a..." stay linear.
            std::size_t uri_end = m_pos;
            if (m_pos >= m_no_uri_before) {
                uri_end = match_uri(m_pos);
                if (uri_end == m_pos) {
                    std::size_t q = m_pos;
                    while (q < m_text.size() && is_scheme_char(m_text[q])) ++q;
                    if (!at(q, ':') || q + 1 >= m_text.size() || !is_uri_char(m_text[q + 1])) {
                        m_no_uri_before = q;
                    } else {
                        // Only a letter can start a URI: the first one in the run will.
                        std::size_t l = m_pos;
                        while (l < q && !((m_text[l] >= 'a' && m_text[l] <= 'z') ||
                                          (m_text[l] >= 'A' && m_text[l] <= 'Z')))
                            ++l;
                        m_no_uri_before = l;
                    }
                }
            }
            std::size_t path_end = m_pos;
            bool open_interp = false;
            if (m_pos >= m_no_path_before) {
                path_end = match_path(m_pos, open_interp);
                if (path_end == m_pos && c != '~') {
                    std::size_t q = m_pos;
                    while (q < m_text.size() && is_path_char(m_text[q])) ++q;
                    m_no_path_before = q;
                }
            }
            if (path_end > m_pos && path_end >= uri_end) {
                skip(path_end - m_pos);
                if (open_interp) m_mode = Mode::path;
                return make(NixTok::path, start, m_pos, line, column);
            }
            if (uri_end > m_pos) {
                skip(uri_end - m_pos);
                return make(NixTok::uri, start, m_pos, line, column);
            }
        }
        if (is_id_start(c)) {
            std::size_t q = m_pos + 1;
            while (q < m_text.size() && is_id_char(m_text[q])) ++q;
            skip(q - m_pos);
            return make(NixTok::ident, start, m_pos, line, column);
        }
        if (is_digit(c)) {
            std::size_t q = m_pos + 1;
            while (q < m_text.size() && (is_digit(m_text[q]) || m_text[q] == '.')) ++q;
            if (q < m_text.size() && (m_text[q] == 'e' || m_text[q] == 'E')) {
                std::size_t r = q + 1;
                if (at(r, '+') || at(r, '-')) ++r;
                if (r < m_text.size() && is_digit(m_text[r])) {
                    while (r < m_text.size() && is_digit(m_text[r])) ++r;
                    q = r;
                }
            }
            skip(q - m_pos);
            return make(NixTok::number, start, m_pos, line, column);
        }
        if (c == '.' && at(m_pos + 1, '.') && at(m_pos + 2, '.')) {
            skip(3);
            return make(NixTok::punct, start, m_pos, line, column);
        }
        skip(1);
        return make(NixTok::punct, start, m_pos, line, column);
    }
    m_done = true;
    return make(NixTok::eof, m_text.size(), m_text.size(), m_line, 1);
}

}  // namespace nbd::parse::detail
