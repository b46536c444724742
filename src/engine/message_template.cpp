#include "nix_builder_doctor/engine/message_template.hpp"

#include "nix_builder_doctor/util/output.hpp"

namespace nbd::engine {
namespace {

std::string value_text(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    if (v.is_array()) {
        std::string out;
        for (const auto& e : v) {
            if (!out.empty()) out += ", ";
            out += value_text(e);
        }
        return out;
    }
    // Facts may hold invalid UTF-8 (a hostile config): never throw while rendering.
    return util::dump_json_raw(v);
}

}  // namespace

std::string render_template(const std::string& text, const Scope& scope) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
            out += '{';
            ++i;
        } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
            out += '}';
            ++i;
        } else if (c == '{') {
            const auto close = text.find('}', i);
            if (close == std::string::npos) {
                out += text.substr(i);
                break;
            }
            std::string inner = text.substr(i + 1, close - i - 1);
            std::string fallback;
            if (const auto bar = inner.find('|'); bar != std::string::npos) {
                fallback = inner.substr(bar + 1);
                inner = inner.substr(0, bar);
            }
            const nlohmann::json* v = resolve_path(scope, inner);
            std::string rendered = v ? value_text(*v) : "";
            out += rendered.empty() ? fallback : rendered;
            i = close;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace nbd::engine
