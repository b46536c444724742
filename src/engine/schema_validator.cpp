#include "nix_builder_doctor/engine/schema_validator.hpp"

#include <regex>
#include <set>

namespace nbd::engine {
namespace {

const std::set<std::string> kKeywords = {"$schema", "$id",        "title",    "description", "$defs",
                                         "type",    "enum",       "required", "properties",  "additionalProperties",
                                         "items",   "minItems",   "minLength", "pattern",    "$ref"};

bool has_type(const nlohmann::json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_boolean();
    if (type == "integer") return v.is_number_integer();
    if (type == "number") return v.is_number();
    if (type == "null") return v.is_null();
    return false;
}

class Validator {
public:
    explicit Validator(const nlohmann::json& root) : m_root(root) {}

    void check(const nlohmann::json& v, const nlohmann::json& schema, const std::string& where) {
        if (m_depth > 64) {
            m_errors.push_back(where + ": schema nesting too deep");
            return;
        }
        ++m_depth;
        check_inner(v, schema, where);
        --m_depth;
    }

    std::vector<std::string> m_errors;

private:
    void check_inner(const nlohmann::json& v, const nlohmann::json& schema, const std::string& where) {
        if (!schema.is_object()) {
            m_errors.push_back(where + ": schema is not an object");
            return;
        }
        for (const auto& [key, _] : schema.items())
            if (!kKeywords.count(key)) m_errors.push_back(where + ": unsupported schema keyword '" + key + "'");
        if (schema.contains("$ref")) {
            const std::string ref = schema["$ref"].get<std::string>();
            const std::string prefix = "#/$defs/";
            if (ref.rfind(prefix, 0) != 0 || !m_root.contains("$defs") || !m_root["$defs"].contains(ref.substr(prefix.size()))) {
                m_errors.push_back(where + ": unresolvable $ref " + ref);
                return;
            }
            check(v, m_root["$defs"][ref.substr(prefix.size())], where);
        }
        if (schema.contains("type")) {
            const auto& t = schema["type"];
            bool ok = false;
            if (t.is_string()) ok = has_type(v, t.get<std::string>());
            else
                for (const auto& one : t) ok = ok || has_type(v, one.get<std::string>());
            if (!ok) {
                m_errors.push_back(where + ": expected " + t.dump() + ", got " + v.type_name());
                return;
            }
        }
        if (schema.contains("enum")) {
            bool found = false;
            for (const auto& e : schema["enum"]) found = found || e == v;
            if (!found) m_errors.push_back(where + ": " + v.dump() + " is not one of " + schema["enum"].dump());
        }
        if (v.is_string()) {
            if (schema.contains("minLength") && v.get<std::string>().size() < schema["minLength"].get<std::size_t>())
                m_errors.push_back(where + ": string shorter than " + schema["minLength"].dump());
            if (schema.contains("pattern") &&
                !std::regex_search(v.get<std::string>(), std::regex(schema["pattern"].get<std::string>())))
                m_errors.push_back(where + ": " + v.dump() + " does not match " + schema["pattern"].dump());
        }
        if (v.is_array()) {
            if (schema.contains("minItems") && v.size() < schema["minItems"].get<std::size_t>())
                m_errors.push_back(where + ": fewer than " + schema["minItems"].dump() + " items");
            if (schema.contains("items"))
                for (std::size_t i = 0; i < v.size(); ++i) check(v[i], schema["items"], where + "/" + std::to_string(i));
        }
        if (v.is_object()) {
            if (schema.contains("required"))
                for (const auto& name : schema["required"])
                    if (!v.contains(name.get<std::string>()))
                        m_errors.push_back(where + ": missing required property '" + name.get<std::string>() + "'");
            const nlohmann::json empty = nlohmann::json::object();
            const auto& props = schema.contains("properties") ? schema["properties"] : empty;
            for (const auto& [key, value] : v.items()) {
                if (props.contains(key)) check(value, props[key], where + "/" + key);
                else if (schema.contains("additionalProperties") && schema["additionalProperties"] == false)
                    m_errors.push_back(where + ": unknown property '" + key + "'");
            }
        }
    }

    const nlohmann::json& m_root;
    int m_depth = 0;
};

}  // namespace

std::vector<std::string> validate_against_schema(const nlohmann::json& document, const nlohmann::json& schema) {
    Validator validator(schema);
    validator.check(document, schema, "");
    return validator.m_errors;
}

}  // namespace nbd::engine
