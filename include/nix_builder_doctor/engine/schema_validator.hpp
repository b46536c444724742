// A validator for the subset of JSON Schema (2020-12) that rules/schema.json uses: type, enum,
// required, properties, additionalProperties (boolean), items, minItems, minLength, pattern and
// local $ref ("#/$defs/name"). Unknown keywords are rejected so the schema cannot silently
// promise more than is checked.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nbd::engine {

// Each problem as "<json pointer>: <what is wrong>"; empty when the document is valid.
std::vector<std::string> validate_against_schema(const nlohmann::json& document, const nlohmann::json& schema);

}  // namespace nbd::engine
