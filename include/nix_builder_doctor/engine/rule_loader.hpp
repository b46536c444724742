// Loading rules: the built-in ones embedded in the binary, and extra rule files from a
// directory (--rules DIR). Each file is validated against rules/schema.json and its conditions,
// paths and patterns are checked; every fact path it reads (for_each, conditions, {placeholders})
// must be in the facts schema (src/facts/facts-schema.json). Problems are reported with the file
// name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/rule.hpp"

namespace nbd::engine {

class FactsSchema;

struct RuleLoadResult {
    std::vector<Rule> rules;
    std::vector<std::string> errors;  // "file: problem"
};

// The schema every rule file must satisfy (the embedded rules/schema.json).
const nlohmann::json& rule_schema();

// One rule from the text of its file. Problems go to `errors`; nothing is returned then.
std::optional<Rule> load_rule(const std::string& text, const std::string& source, std::vector<std::string>& errors);
// The same, checking fact paths against `facts` instead of the built-in facts schema.
std::optional<Rule> load_rule(const std::string& text, const std::string& source, std::vector<std::string>& errors,
                              const FactsSchema& facts);

RuleLoadResult load_builtin_rules();
// Every *.json except schema.json in `dir`, sorted by name. A rule id that is already in
// `existing` replaces it (a local override) and is reported in `errors` only if the file is bad.
RuleLoadResult load_rules_from_directory(const std::string& dir);

// Built-in rules plus the rules of each directory (later ones override earlier ids).
RuleLoadResult load_all_rules(const std::vector<std::string>& extra_dirs);

}  // namespace nbd::engine
