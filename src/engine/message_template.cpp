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

// Calls `placeholder(path, fallback)` for each placeholder and `literal(c)` for other text.
template <typename Placeholder, typename Literal>
void scan_template(const std::string& text, Placeholder placeholder, Literal literal) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            literal(c);
            ++i;
        } else if (c == '{') {
            const auto close = text.find('}', i);
            if (close == std::string::npos) {
                for (; i < text.size(); ++i) literal(text[i]);
                break;
            }
            std::string inner = text.substr(i + 1, close - i - 1);
            std::string fallback;
            if (const auto bar = inner.find('|'); bar != std::string::npos) {
                fallback = inner.substr(bar + 1);
                inner = inner.substr(0, bar);
            }
            placeholder(inner, fallback);
            i = close;
        } else {
            literal(c);
        }
    }
}

}  // namespace

std::vector<std::string> template_paths(const std::string& text) {
    std::vector<std::string> out;
    scan_template(text, [&](const std::string& path, const std::string&) { out.push_back(path); }, [](char) {});
    return out;
}

std::string display_template(const std::string& text) {
    std::string out;
    scan_template(
        text, [&](const std::string& path, const std::string&) { out += "{" + path + "}"; }, [&](char c) { out += c; });
    return out;
}

std::string render_template(const std::string& text, const Scope& scope) {
    std::string out;
    scan_template(
        text,
        [&](const std::string& path, const std::string& fallback) {
            const nlohmann::json* v = resolve_path(scope, path);
            std::string rendered = v ? value_text(*v) : "";
            out += rendered.empty() ? fallback : rendered;
        },
        [&](char c) { out += c; });
    return out;
}

}  // namespace nbd::engine
