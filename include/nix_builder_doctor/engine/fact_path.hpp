// Paths into the Facts document as rules write them. "/a/b" is absolute (a JSON pointer);
// "a/b" is relative to the current item of a for_each; "../a" climbs to the enclosing item.
// A pointer in for_each may contain `*` segments, which iterate every element of an array.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nbd::engine {

// The chain of items a for_each walked through: front is the document root, back the item.
struct Scope {
    std::vector<const nlohmann::json*> chain;
};

// nullptr when the path does not exist.
const nlohmann::json* resolve_path(const Scope& scope, const std::string& path);

// Every item a for_each pointer designates, each with its scope. An empty pointer yields the
// root itself once. Paths that do not exist yield nothing; a non-array at the end yields itself.
std::vector<Scope> expand_for_each(const nlohmann::json& root, const std::string& pointer);

// Throws std::invalid_argument when the path is not well formed (used at rule load).
void check_path_syntax(const std::string& path, bool allow_wildcards);

}  // namespace nbd::engine
