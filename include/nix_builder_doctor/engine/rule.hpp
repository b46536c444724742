// A declarative rule as loaded from rules/<id>.json: what to iterate over in the Facts, when it
// fires, and the texts of the finding it produces. See rules/schema.json for the file format.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/severity.hpp"

namespace nbd::engine {

struct Rule {
    std::string id;
    std::string title;
    Severity severity = Severity::error;
    std::vector<std::string> where;    // catalog tags: O, R, L, E
    std::string for_each;              // JSON pointer with `*` segments; empty: evaluate once
    nlohmann::json when;               // condition tree; null: always
    std::string message;               // templates: {path} placeholders
    std::string fix;
    std::string rationale;
    std::vector<std::string> references;
    std::string builder;               // template giving the finding's builder URI (optional)
    std::string location_file;         // template (optional)
    std::string location_line;         // template (optional)
    std::vector<std::string> log_patterns;  // ECMAScript regexes for `explain`
    nlohmann::json explain;            // optional extra data for explain (rank, alternatives)
    std::string source;                // where the rule was loaded from
};

// The family of a rule id: the part before the first dot ("hostkey" for hostkey.changed).
std::string rule_family(const std::string& id);

}  // namespace nbd::engine
