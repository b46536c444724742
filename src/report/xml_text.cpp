#include "nix_builder_doctor/report/xml_text.hpp"

#include "nix_builder_doctor/util/output.hpp"

namespace nbd::report {
namespace {

std::string escape(std::string_view text, bool attribute) {
    const std::string safe = util::safe_text(text);
    std::string out;
    out.reserve(safe.size() + safe.size() / 8);
    for (std::size_t i = 0; i < safe.size(); ++i) {
        const char c = safe[i];
        // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are valid UTF-8 but not XML 1.0 characters.
        if (c == '\xEF' && i + 2 < safe.size() && safe[i + 1] == '\xBF' && (safe[i + 2] == '\xBE' || safe[i + 2] == '\xBF')) {
            out += "\xEF\xBF\xBD";
            i += 2;
            continue;
        }
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += attribute ? "&quot;" : "\""; break;
            case '\n': out += attribute ? "&#10;" : "\n"; break;
            case '\t': out += attribute ? "&#9;" : "\t"; break;
            case '\r': out += "&#13;"; break;
            default: out += c;
        }
    }
    return out;
}

}  // namespace

std::string xml_text(std::string_view text) { return escape(text, false); }
std::string xml_attribute(std::string_view text) { return escape(text, true); }

}  // namespace nbd::report
