#include "nix_builder_doctor/util/output.hpp"

#include "nix_builder_doctor/util/redact.hpp"

namespace nbd::util {
namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

// Length of the valid UTF-8 sequence at s[i] (1-4), or 0 when it is not valid (overlong forms,
// surrogates and code points above U+10FFFF are invalid, as in RFC 3629).
std::size_t utf8_length(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    std::size_t n;
    char32_t min;
    if ((c & 0xe0) == 0xc0) {
        n = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

void hex_escape(std::string& out, unsigned value) {
    static const char digits[] = "0123456789abcdef";
    out += "\\x";
    out += digits[(value >> 4) & 0xf];
    out += digits[value & 0xf];
}

void hex_escape_digits(std::string& out, unsigned value) {
    static const char digits[] = "0123456789abcdef";
    for (int shift = 12; shift >= 0; shift -= 4) out += digits[(value >> shift) & 0xf];
}

}  // namespace

std::string dump_json(nlohmann::json j, int indent) {
    redact_json(j);
    return dump_json_raw(j, indent);
}

std::string dump_json_raw(const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp;
        const std::size_t n = utf8_length(text, i, cp);
        if (n == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string safe_text(std::string_view text) {
    const std::string redacted = redact(text);
    std::string out;
    out.reserve(redacted.size());
    for (std::size_t i = 0; i < redacted.size();) {
        char32_t cp;
        const std::size_t n = utf8_length(redacted, i, cp);
        if (n == 0) {
            out += kReplacement;
            ++i;
            continue;
        }
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
            hex_escape(out, static_cast<unsigned>(cp));
        } else if (cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
            // Bidirectional overrides would make a path or host read differently from what it is.
            out += "\\u";
            hex_escape_digits(out, static_cast<unsigned>(cp));
        } else {
            out.append(redacted, i, n);
        }
        i += n;
    }
    return out;
}

}  // namespace nbd::util
