// The argument header of a NixOS module and the references to `lib` in its body.
#include "nix_builder_doctor/parse/nixos_module.hpp"

#include <optional>

#include "nixos_module_lexer.hpp"

namespace nbd::parse {
namespace {

using detail::NixLexer;
using detail::NixTok;
using detail::NixToken;

constexpr std::size_t kMaxListed = 1000;
constexpr std::size_t kMaxModuleErrors = 20;
// Nix's bison parser gives up at this depth ("memory exhausted"); so do we.
constexpr std::size_t kMaxDepth = 10000;

bool is_punct(const NixToken& t, std::string_view p) {
    return t.kind == NixTok::punct && t.text == p;
}
bool is_ident(const NixToken& t, std::string_view p) {
    return t.kind == NixTok::ident && t.text == p;
}

bool is_keyword(std::string_view s) {
    for (std::string_view k :
         {"let", "in", "rec", "with", "inherit", "assert", "if", "then", "else", "or"})
        if (s == k) return true;
    return false;
}

// Tokens with one token of lookahead, counting how many were taken.
class Stream {
  public:
    explicit Stream(std::string_view text) : m_lexer(text) {}
    NixToken next() {
        ++m_taken;
        if (m_peeked) {
            m_peeked.reset();
            return m_peek;
        }
        return m_lexer.next();
    }
    const NixToken& peek() {
        if (!m_peeked) {
            m_peek = m_lexer.next();
            m_peeked = true;
        }
        return m_peek;
    }
    std::size_t taken() const { return m_taken; }
    const NixLexer& lexer() const { return m_lexer; }

  private:
    NixLexer m_lexer;
    NixToken m_peek;
    std::optional<bool> m_peeked;
    std::size_t m_taken = 0;
};

// Skip a formal's default expression up to the `,` or `}` that ends it (left unconsumed).
bool skip_default(Stream& s) {
    int depth = 0;
    while (true) {
        const NixToken& t = s.peek();
        if (t.kind == NixTok::eof) return false;
        if (depth == 0 && (is_punct(t, ",") || is_punct(t, "}"))) return true;
        if (t.kind == NixTok::interp_open || is_punct(t, "{") || is_punct(t, "(") ||
            is_punct(t, "["))
            ++depth;
        if (t.kind == NixTok::interp_close || is_punct(t, "}") || is_punct(t, ")") ||
            is_punct(t, "]"))
            --depth;
        s.next();
    }
}

// `{ a, b ? x, ... }` after the `{`; fills h.formals. False when this is no formal set.
bool parse_formals(Stream& s, NixosModuleHeader& h) {
    while (true) {
        const NixToken t = s.next();
        if (is_punct(t, "}")) return true;
        if (is_punct(t, "...")) {
            h.has_ellipsis = true;
            const NixToken after = s.next();
            if (is_punct(after, "}")) return true;
            if (!is_punct(after, ",")) return false;
            continue;
        }
        if (t.kind != NixTok::ident || is_keyword(t.text)) return false;
        NixosFormal f{std::string(t.text), false, t.line};
        NixToken after = s.next();
        if (is_punct(after, "?")) {
            f.has_default = true;
            if (!skip_default(s)) return false;
            after = s.next();
        }
        h.formals.push_back(std::move(f));
        if (is_punct(after, "}")) return true;
        if (!is_punct(after, ",")) return false;
    }
}

// Parses `ARG:`, `{...}:`, `ARG@{...}:` or `{...}@ARG:`; returns the number of tokens of the header
// (0 when the file is not a function).
std::size_t parse_header(std::string_view text, NixosModuleHeader& h) {
    Stream s(text);
    const NixToken first = s.next();
    bool ok = false;
    if (first.kind == NixTok::ident && !is_keyword(first.text)) {
        if (is_punct(s.peek(), ":")) {
            s.next();
            h.simple_arg = std::string(first.text);
            h.header_line = first.line;
            ok = true;
        } else if (is_punct(s.peek(), "@")) {
            s.next();
            if (is_punct(s.next(), "{") && parse_formals(s, h)) {
                const NixToken colon = s.next();
                if (is_punct(colon, ":")) {
                    h.at_binding = std::string(first.text);
                    h.has_formals = true;
                    h.header_line = colon.line;
                    ok = true;
                }
            }
        }
    } else if (is_punct(first, "{")) {
        if (parse_formals(s, h)) {
            NixToken t = s.next();
            std::string at;
            if (is_punct(t, "@")) {
                const NixToken name = s.next();
                if (name.kind == NixTok::ident && !is_keyword(name.text))
                    at = std::string(name.text);
                t = s.next();
                if (at.empty()) t = NixToken{};
            }
            if (is_punct(t, ":")) {
                h.has_formals = true;
                h.at_binding = at;
                h.header_line = t.line;
                ok = true;
            }
        }
    }
    if (!ok) {
        h.formals.clear();
        h.has_ellipsis = false;
        h.simple_arg.clear();
        h.at_binding.clear();
        h.header_line = 0;
        return 0;
    }
    h.is_function = true;
    for (const auto& f : h.formals) h.binds_lib |= f.name == "lib";
    h.binds_lib |= h.simple_arg == "lib" || h.at_binding == "lib";
    return s.taken();
}

enum class LevelType { root, set, rec_set, let, paren, bracket, interp };

struct Level {
    LevelType type = LevelType::root;
    int line = 0;
    std::vector<bool> pending;  // open `with` (true) / `assert` (false) waiting for their `;`
    int active = 0;             // scopes covering the rest of the current binding's expression
    bool own_binds = false;     // a `let` or `rec` level that binds lib itself
    bool binding_start = false;
    bool inherit = false;
    bool inherit_has_source = false;
    bool inherit_source = false;  // this paren is the `(expr)` of an inherit
    bool formals_lib = false;     // this brace is formals naming lib
};

class BodyAnalyser {
  public:
    BodyAnalyser(NixosModuleHeader& h, std::string_view text, std::size_t skip)
        : m_h(h), m_stream(text) {
        for (std::size_t i = 0; i < skip; ++i) m_stream.next();
        m_levels.push_back(Level{});
    }

    void run() {
        while (true) {
            const NixToken t = m_stream.next();
            if (t.kind == NixTok::eof || m_stop) break;
            step(t);
            m_prev = t;
        }
        for (const auto& [line, message] : m_stream.lexer().errors()) error(line, message);
        if (m_levels.size() > 1 && !m_stop) {
            const Level& open = m_levels[1];
            error(open.line, std::string("unexpected end of file: '") + opener(open.type) +
                                 "' is never closed");
        }
        m_h.binds_lib_in_body = !m_h.lib_scopes.empty() || m_scope_count > 0;
    }

  private:
    static const char* opener(LevelType t) {
        switch (t) {
            case LevelType::set:
            case LevelType::rec_set:
                return "{";
            case LevelType::let:
                return "let";
            case LevelType::paren:
                return "(";
            case LevelType::bracket:
                return "[";
            case LevelType::interp:
                return "${";
            case LevelType::root:
                break;
        }
        return "";
    }

    void error(int line, std::string message) {
        if (m_h.errors.size() < kMaxModuleErrors)
            m_h.errors.push_back({m_h.file, line, std::move(message)});
    }

    Level& top() { return m_levels.back(); }

    void push(LevelType type, int line) {
        if (m_levels.size() >= kMaxDepth) {
            error(line, "expression nested more than " + std::to_string(kMaxDepth) +
                            " deep; not analysed further");
            m_stop = true;
            return;
        }
        Level l;
        l.type = type;
        l.line = line;
        m_levels.push_back(std::move(l));
    }

    void pop() {
        Level& l = m_levels.back();
        m_cover -= l.active + (l.own_binds ? 1 : 0);
        m_levels.pop_back();
    }

    // Pop up to and including the nearest level of one of the given types; false if none.
    template <typename Pred>
    bool pop_to(Pred pred, Level* popped) {
        std::size_t i = m_levels.size();
        while (i > 1 && !pred(m_levels[i - 1].type)) --i;
        if (i <= 1) return false;
        if (m_levels.size() > i) {
            const Level& inner = m_levels.back();
            error(inner.line, std::string("'") + opener(inner.type) + "' is never closed");
        }
        while (m_levels.size() > i) pop();
        if (popped) *popped = m_levels.back();
        pop();
        return true;
    }

    void activate(Level& l) {
        ++l.active;
        ++m_cover;
    }

    void scope(int line, std::string kind, std::string text = {}) {
        ++m_scope_count;
        if (m_h.lib_scopes.size() < kMaxListed)
            m_h.lib_scopes.push_back({line, std::move(kind), std::move(text)});
    }

    void use(const NixToken& t, std::string kind) {
        const bool covered = m_cover > 0;
        ++m_h.lib_use_count;
        if (!m_h.uses_lib) {
            m_h.uses_lib = true;
            m_h.first_lib_use_line = t.line;
        }
        if (kind == "select" && !m_h.uses_lib_select) {
            m_h.uses_lib_select = true;
            m_h.first_lib_select_line = t.line;
        }
        if (!covered && m_h.first_uncovered_lib_use_line == 0) {
            m_h.first_uncovered_lib_use_line = t.line;
            m_h.first_uncovered_lib_use_column = t.column;
        }
        if (m_h.lib_uses.size() < kMaxListed)
            m_h.lib_uses.push_back({t.line, t.column, std::move(kind), covered});
    }

    static bool is_binding_level(LevelType t) {
        return t == LevelType::set || t == LevelType::rec_set || t == LevelType::let;
    }

    void on_lib(const NixToken& t, bool was_binding_start) {
        Level& l = top();
        const NixToken& next = m_stream.peek();
        if (is_punct(m_prev, ".")) return;  // an attribute name: x.lib
        if (l.inherit) {
            if (!l.inherit_has_source) {
                use(t, "inherit");  // `inherit lib;` refers to the variable lib
            } else if (l.type == LevelType::let || l.type == LevelType::rec_set) {
                if (!l.own_binds) {
                    l.own_binds = true;
                    ++m_cover;
                }
                scope(t.line, l.type == LevelType::let ? "let-inherit" : "rec");
            }
            return;
        }
        const bool formal_next = is_punct(next, ",") || is_punct(next, "?") || is_punct(next, "}");
        if (was_binding_start && is_binding_level(l.type)) {
            if (is_punct(next, "=") || is_punct(next, ".")) {
                if ((l.type == LevelType::let || l.type == LevelType::rec_set) && !l.own_binds) {
                    l.own_binds = true;
                    ++m_cover;
                    scope(t.line, l.type == LevelType::let ? "let" : "rec");
                }
                return;
            }
        }
        if ((l.type == LevelType::set || l.type == LevelType::rec_set) && formal_next &&
            (was_binding_start || is_punct(m_prev, ","))) {
            l.formals_lib = true;
            return;
        }
        if (is_punct(next, ":") || is_punct(next, "@") || is_punct(m_prev, "@")) {
            activate(l);
            scope(t.line, "lambda");
            return;
        }
        use(t, is_punct(next, ".") ? "select" : "bare");
    }

    void step(const NixToken& t) {
        Level& l = top();
        const bool was_binding_start = l.binding_start;
        l.binding_start = false;
        const bool rec = m_rec_pending;
        m_rec_pending = false;

        switch (t.kind) {
            case NixTok::interp_open:
                push(LevelType::interp, t.line);
                return;
            case NixTok::interp_close:
                pop_to([](LevelType x) { return x == LevelType::interp; }, nullptr);
                return;
            case NixTok::ident:
                break;
            case NixTok::punct:
                on_punct(t, rec);
                return;
            default:
                return;
        }
        const std::string_view w = t.text;
        if (w == "lib") {
            on_lib(t, was_binding_start);
        } else if (w == "rec") {
            m_rec_pending = true;
        } else if (w == "let") {
            push(LevelType::let, t.line);
            top().binding_start = true;
        } else if (w == "in") {
            if (l.type == LevelType::let) {
                const bool binds = l.own_binds;
                pop();
                if (binds) activate(top());
            }
        } else if (w == "with" || w == "assert") {
            l.pending.push_back(w == "with");
            if (w == "with") {
                const NixToken& next = m_stream.peek();
                scope(t.line, "with", std::string(next.text.substr(0, 64)));
            }
        } else if (w == "inherit" && is_binding_level(l.type)) {
            l.inherit = true;
            l.inherit_has_source = false;
        }
    }

    void on_punct(const NixToken& t, bool rec) {
        Level& l = top();
        const std::string_view p = t.text;
        if (p == "{") {
            push(rec ? LevelType::rec_set : LevelType::set, t.line);
            top().binding_start = true;
        } else if (p == "}") {
            Level popped;
            if (!pop_to([](LevelType x) { return x == LevelType::set || x == LevelType::rec_set; },
                        &popped)) {
                error(t.line, "unexpected '}'");
                return;
            }
            const NixToken& next = m_stream.peek();
            if (popped.formals_lib && (is_punct(next, ":") || is_punct(next, "@"))) {
                activate(top());
                scope(popped.line, "formals");
            }
        } else if (p == "(") {
            const bool source = l.inherit && is_ident(m_prev, "inherit");
            push(LevelType::paren, t.line);
            top().inherit_source = source;
        } else if (p == ")") {
            Level popped;
            if (!pop_to([](LevelType x) { return x == LevelType::paren; }, &popped)) {
                error(t.line, "unexpected ')'");
                return;
            }
            if (popped.inherit_source) top().inherit_has_source = true;
        } else if (p == "[") {
            push(LevelType::bracket, t.line);
        } else if (p == "]") {
            if (!pop_to([](LevelType x) { return x == LevelType::bracket; }, nullptr))
                error(t.line, "unexpected ']'");
        } else if (p == ";") {
            if (!l.pending.empty()) {
                const bool with = l.pending.back();
                l.pending.pop_back();
                if (with) activate(l);
            } else if (is_binding_level(l.type)) {
                m_cover -= l.active;
                l.active = 0;
                l.inherit = false;
                l.binding_start = true;
            }
        }
    }

    NixosModuleHeader& m_h;
    Stream m_stream;
    std::vector<Level> m_levels;
    NixToken m_prev;
    bool m_rec_pending = false;
    bool m_stop = false;
    long m_cover = 0;  // scopes covering the current position
    std::size_t m_scope_count = 0;
};

}  // namespace

NixosModuleHeader parse_nixos_module_header(std::string_view text, const std::string& file) {
    NixosModuleHeader h;
    h.file = file;
    const std::size_t header_tokens = parse_header(text, h);
    BodyAnalyser body(h, text, header_tokens);
    body.run();
    return h;
}

}  // namespace nbd::parse
