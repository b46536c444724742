#include "nix_builder_doctor/engine/fact_path.hpp"

#include <stdexcept>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::engine {
namespace {

std::string unescape(std::string token) {
    std::string out;
    for (std::size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
            out += token[i + 1] == '0' ? '~' : '/';
            ++i;
        } else {
            out += token[i];
        }
    }
    return out;
}

const nlohmann::json* step(const nlohmann::json* node, const std::string& token) {
    if (!node) return nullptr;
    if (node->is_object()) {
        const auto it = node->find(token);
        return it == node->end() ? nullptr : &*it;
    }
    if (node->is_array()) {
        const auto index = util::parse_unsigned(token);
        if (!index || *index >= node->size()) return nullptr;
        return &(*node)[static_cast<std::size_t>(*index)];
    }
    return nullptr;
}

std::vector<std::string> segments(const std::string& path) {
    std::vector<std::string> out;
    for (auto& s : util::split_fields(path, '/')) out.push_back(unescape(s));
    return out;
}

void expand(const nlohmann::json* node, const std::vector<std::string>& segs, std::size_t i, Scope scope,
            std::vector<Scope>& out) {
    if (!node) return;
    if (i == segs.size()) {
        if (node->is_array()) {
            for (const auto& element : *node) {
                Scope s = scope;
                s.chain.push_back(&element);
                out.push_back(std::move(s));
            }
        } else {
            scope.chain.push_back(node);
            out.push_back(std::move(scope));
        }
        return;
    }
    if (segs[i] == "*") {
        if (!node->is_array()) return;
        for (const auto& element : *node) {
            Scope s = scope;
            s.chain.push_back(&element);
            expand(&element, segs, i + 1, std::move(s), out);
        }
        return;
    }
    expand(step(node, segs[i]), segs, i + 1, std::move(scope), out);
}

}  // namespace

const nlohmann::json* resolve_path(const Scope& scope, const std::string& path) {
    if (scope.chain.empty()) return nullptr;
    if (!path.empty() && path[0] == '/') {
        const nlohmann::json* node = scope.chain.front();
        for (const auto& token : segments(path.substr(1))) node = step(node, token);
        return node;
    }
    std::size_t depth = scope.chain.size() - 1;
    const nlohmann::json* node = scope.chain[depth];
    if (path.empty() || path == ".") return node;
    for (const auto& token : segments(path)) {
        if (token == "..") {
            if (depth == 0) return nullptr;
            node = scope.chain[--depth];
        } else if (token != ".") {
            node = step(node, token);
        }
    }
    return node;
}

std::vector<Scope> expand_for_each(const nlohmann::json& root, const std::string& pointer) {
    std::vector<Scope> out;
    Scope base;
    base.chain.push_back(&root);
    if (pointer.empty()) {
        out.push_back(base);
        return out;
    }
    expand(&root, segments(pointer.substr(1)), 0, base, out);
    // The root must stay at the front of each chain; `expand` pushes items after it.
    return out;
}

void check_path_syntax(const std::string& path, bool allow_wildcards) {
    if (allow_wildcards && !path.empty() && path[0] != '/')
        throw std::invalid_argument("for_each must be an absolute pointer starting with '/': " + path);
    for (const auto& token : segments(path.empty() || path[0] != '/' ? path : path.substr(1))) {
        if (token == "*" && !allow_wildcards) throw std::invalid_argument("'*' is only allowed in for_each: " + path);
    }
}

}  // namespace nbd::engine
