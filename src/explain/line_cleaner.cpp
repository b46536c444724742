#include "nix_builder_doctor/explain/log_reader.hpp"
#include "nix_builder_doctor/explain/protocol_text.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::explain {
namespace {

// Length of a valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned min = 0;
    if (c >= 0xc2 && c <= 0xdf) n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, min = 0x10000;
    else return 0;
    if (i + n > s.size()) return 0;
    unsigned code = c & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xc0) != 0x80) return 0;
        code = (code << 6) | (cc & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return n;
}

bool blank(std::string_view s) { return util::trim(s, " \t").empty(); }

}  // namespace

std::string strip_ansi(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\x1b') {
            out += text[i];
            continue;
        }
        if (i + 1 >= text.size()) break;
        const char kind = text[i + 1];
        if (kind == '[') {  // CSI: parameters, intermediates, one final byte
            std::size_t j = i + 2;
            while (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x20 && static_cast<unsigned char>(text[j]) <= 0x3f) ++j;
            while (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x20 && static_cast<unsigned char>(text[j]) <= 0x2f) ++j;
            i = j < text.size() ? j : text.size();
        } else if (kind == ']') {  // OSC: up to BEL or ESC backslash
            std::size_t j = i + 2;
            while (j < text.size() && text[j] != '\a' && !(text[j] == '\x1b' && j + 1 < text.size() && text[j + 1] == '\\')) ++j;
            i = j < text.size() && text[j] == '\x1b' ? j + 1 : j;
        } else {  // ESC, intermediate bytes (ESC ( B), one final byte
            std::size_t j = i + 1;
            while (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x20 && static_cast<unsigned char>(text[j]) <= 0x2f) ++j;
            i = j < text.size() ? j : text.size();
        }
    }
    return out;
}

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (c == '\t') out += '\t';
            else if (c == 0 || c == 0x7f) {
            } else if (c < 0x20) out += ' ';
            else out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (const std::size_t n = utf8_sequence(text, i)) {
            out.append(text.substr(i, n));
            i += n;
        } else {
            out += '?';
            ++i;
        }
    }
    return out;
}

std::string normalize_quotes(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        // U+2018 and U+2019 (Nix 1.x and some 2.x messages): "cannot connect to ‘host’".
        if (c == '\xe2' && i + 2 < text.size() && text[i + 1] == '\x80' && (text[i + 2] == '\x98' || text[i + 2] == '\x99')) {
            out += '\'';
            i += 2;
            continue;
        }
        // Older Nix 1.x quoted as `this': a backquote that an apostrophe closes (not a Markdown `span`).
        if (c == '`') {
            const std::size_t close = text.find_first_of("`'", i + 1);
            if (close != std::string_view::npos && text[close] == '\'' && close > i + 1) {
                out += '\'';
                continue;
            }
        }
        out += c;
    }
    return out;
}

CleanLine clean_line(std::string_view raw) {
    while (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    // A progress bar redraws with "\r\x1b[K": what stays on screen is the last non-blank part.
    std::string visible;
    std::size_t end = raw.size();
    for (;;) {
        const std::size_t cr = end == 0 ? std::string_view::npos : raw.rfind('\r', end - 1);
        const std::size_t begin = cr == std::string_view::npos ? 0 : cr + 1;
        visible = strip_ansi(raw.substr(begin, end - begin));
        if (!blank(visible) || cr == std::string_view::npos) break;
        end = cr;
    }
    CleanLine out;
    const std::string clean = normalize_quotes(sanitize_utf8(visible));
    std::string_view text = util::trim(clean, " \t");
    // A builder's own log as Nix 2.4+ quotes it: "       > text".
    if (text == ">" || util::starts_with(text, "> ")) {
        out.build_log = true;
        text = util::trim(text.substr(1), " \t");
    }
    out.text = reveal_protocol_text(text);
    return out;
}

}  // namespace nbd::explain
