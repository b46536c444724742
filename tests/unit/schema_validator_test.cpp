// The JSON Schema subset used by rules/schema.json, keyword by keyword, each problem reported as
// "<json pointer>: <what is wrong>".
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nix_builder_doctor/engine/schema_validator.hpp"

namespace {

using nlohmann::json;
using nbd::engine::validate_against_schema;

std::vector<std::string> validate(const char* document, const char* schema) {
    return validate_against_schema(json::parse(document), json::parse(schema));
}

std::string validator_joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + "\n";
    return out;
}

// Exactly one problem, at `where`, whose text contains `what`.
void expect_one_problem(const std::vector<std::string>& problems, const std::string& where, const std::string& what) {
    ASSERT_EQ(1u, problems.size()) << validator_joined(problems);
    EXPECT_EQ(0u, problems[0].rfind(where + ": ", 0)) << problems[0];
    EXPECT_NE(std::string::npos, problems[0].find(what)) << problems[0];
}

TEST(SchemaValidator, EmptySchemaAcceptsAnything) {
    for (const char* doc : {"1", "\"x\"", "null", "[]", "{}", "true"}) EXPECT_TRUE(validate(doc, "{}").empty()) << doc;
}

TEST(SchemaValidator, Type) {
    EXPECT_TRUE(validate(R"("x")", R"({"type": "string"})").empty());
    expect_one_problem(validate("3", R"({"type": "string"})"), "", "expected \"string\"");
    EXPECT_TRUE(validate("3", R"({"type": "integer"})").empty());
    EXPECT_FALSE(validate("3.5", R"({"type": "integer"})").empty());
    EXPECT_TRUE(validate("3.5", R"({"type": "number"})").empty());
    EXPECT_TRUE(validate("3", R"({"type": "number"})").empty());
    EXPECT_TRUE(validate("true", R"({"type": "boolean"})").empty());
    EXPECT_FALSE(validate("1", R"({"type": "boolean"})").empty());
    EXPECT_TRUE(validate("null", R"({"type": "null"})").empty());
    EXPECT_TRUE(validate("[]", R"({"type": "array"})").empty());
    EXPECT_FALSE(validate("{}", R"({"type": "array"})").empty());
    EXPECT_TRUE(validate("{}", R"({"type": "object"})").empty());
    EXPECT_FALSE(validate("[]", R"({"type": "object"})").empty());
}

TEST(SchemaValidator, TypeList) {
    EXPECT_TRUE(validate(R"("x")", R"({"type": ["string", "null"]})").empty());
    EXPECT_TRUE(validate("null", R"({"type": ["string", "null"]})").empty());
    expect_one_problem(validate("1", R"({"type": ["string", "null"]})"), "", "expected");
}

TEST(SchemaValidator, Enum) {
    const char* schema = R"({"enum": ["error", "warning", "info"]})";
    EXPECT_TRUE(validate(R"("warning")", schema).empty());
    expect_one_problem(validate(R"("fatal")", schema), "", "\"fatal\" is not one of");
    EXPECT_FALSE(validate(R"("Error")", schema).empty()) << "case matters";
    EXPECT_FALSE(validate("1", R"({"enum": ["1"]})").empty()) << "types matter";
}

TEST(SchemaValidator, Required) {
    const char* schema = R"({"type": "object", "required": ["id", "title"]})";
    EXPECT_TRUE(validate(R"({"id": 1, "title": 2})", schema).empty());
    expect_one_problem(validate(R"({"id": 1})", schema), "", "missing required property 'title'");
    EXPECT_EQ(2u, validate("{}", schema).size()) << "every missing property is reported";
}

TEST(SchemaValidator, PropertiesAreCheckedWithTheirPointer) {
    const char* schema = R"({"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}})";
    EXPECT_TRUE(validate(R"({"id": "x", "n": 2})", schema).empty());
    expect_one_problem(validate(R"({"id": 3, "n": 2})", schema), "/id", "expected \"string\"");
    EXPECT_EQ(2u, validate(R"({"id": 3, "n": "2"})", schema).size());
}

TEST(SchemaValidator, AdditionalPropertiesFalse) {
    const char* closed = R"({"type": "object", "additionalProperties": false, "properties": {"id": {}}})";
    EXPECT_TRUE(validate(R"({"id": 1})", closed).empty());
    expect_one_problem(validate(R"({"id": 1, "idd": 2})", closed), "", "unknown property 'idd'");
    const char* open = R"({"type": "object", "properties": {"id": {}}})";
    EXPECT_TRUE(validate(R"({"id": 1, "idd": 2})", open).empty()) << "open by default";
    const char* explicitly_open = R"({"type": "object", "additionalProperties": true, "properties": {"id": {}}})";
    EXPECT_TRUE(validate(R"({"idd": 2})", explicitly_open).empty());
}

TEST(SchemaValidator, AdditionalPropertiesInNestedObjects) {
    const char* schema = R"({"properties": {"location": {"type": "object", "additionalProperties": false,
                                                         "properties": {"file": {}}}}})";
    expect_one_problem(validate(R"({"location": {"file": "x", "col": 1}})", schema), "/location", "unknown property 'col'");
}

TEST(SchemaValidator, Pattern) {
    const char* schema = R"({"type": "string", "pattern": "^[a-z]+\\.[a-z0-9-]+$"})";
    EXPECT_TRUE(validate(R"("hostkey.changed")", schema).empty());
    expect_one_problem(validate(R"("Hostkey.changed")", schema), "", "does not match");
    EXPECT_TRUE(validate(R"("xx/abc")", R"({"pattern": "/a"})").empty()) << "a search, not a full match";
    EXPECT_TRUE(validate("12", R"({"pattern": "^x$"})").empty()) << "pattern only applies to strings";
}

TEST(SchemaValidator, MinLength) {
    EXPECT_TRUE(validate(R"("abc")", R"({"minLength": 3})").empty());
    expect_one_problem(validate(R"("ab")", R"({"minLength": 3})"), "", "shorter than 3");
    EXPECT_TRUE(validate("[1]", R"({"minLength": 3})").empty()) << "minLength only applies to strings";
}

TEST(SchemaValidator, MinItems) {
    EXPECT_TRUE(validate("[1]", R"({"minItems": 1})").empty());
    expect_one_problem(validate("[]", R"({"minItems": 1})"), "", "fewer than 1 items");
    EXPECT_TRUE(validate(R"("")", R"({"minItems": 1})").empty()) << "minItems only applies to arrays";
}

TEST(SchemaValidator, ItemsWithIndexedPointers) {
    const char* schema = R"({"type": "array", "items": {"enum": ["O", "R", "L", "E"]}})";
    EXPECT_TRUE(validate(R"(["O", "E"])", schema).empty());
    expect_one_problem(validate(R"(["O", "X", "E"])", schema), "/1", "\"X\" is not one of");
    const char* nested = R"({"properties": {"where": {"items": {"type": "string"}}}})";
    expect_one_problem(validate(R"({"where": ["a", 2]})", nested), "/where/1", "expected \"string\"");
}

TEST(SchemaValidator, LocalRef) {
    const char* schema = R"({"$defs": {"name": {"type": "string", "minLength": 2}},
                             "properties": {"a": {"$ref": "#/$defs/name"}, "b": {"$ref": "#/$defs/name"}}})";
    EXPECT_TRUE(validate(R"({"a": "xy", "b": "zz"})", schema).empty());
    expect_one_problem(validate(R"({"a": "xy", "b": "z"})", schema), "/b", "shorter than 2");
    expect_one_problem(validate(R"({"a": 1})", schema), "/a", "expected \"string\"");
}

TEST(SchemaValidator, RecursiveRef) {
    const char* schema = R"({"$defs": {"tree": {"type": "object", "additionalProperties": false,
                                                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/tree"}}}}},
                             "$ref": "#/$defs/tree"})";
    EXPECT_TRUE(validate(R"({"kids": [{"kids": []}, {}]})", schema).empty());
    expect_one_problem(validate(R"({"kids": [{"kids": [{"leaf": 1}]}]})", schema), "/kids/0/kids/0", "unknown property 'leaf'");
}

TEST(SchemaValidator, UnresolvableRef) {
    expect_one_problem(validate("1", R"({"$ref": "#/$defs/nothing"})"), "", "unresolvable $ref #/$defs/nothing");
    expect_one_problem(validate("1", R"({"$ref": "other.json#/x", "$defs": {}})"), "", "unresolvable $ref");
}

TEST(SchemaValidator, UnknownKeywordIsReported) {
    expect_one_problem(validate("1", R"({"maximum": 3})"), "", "unsupported schema keyword 'maximum'");
    const auto problems = validate(R"({"a": "x"})", R"({"properties": {"a": {"type": "string", "format": "uri"}}})");
    expect_one_problem(problems, "/a", "unsupported schema keyword 'format'");
}

TEST(SchemaValidator, AnnotationsAreAllowed) {
    EXPECT_TRUE(validate("1", R"({"$schema": "x", "$id": "y", "title": "t", "description": "d"})").empty());
}

TEST(SchemaValidator, TypeMismatchStopsFurtherChecksOfThatValue) {
    // A wrong type yields one clear problem, not a cascade.
    const auto problems = validate("5", R"({"type": "object", "required": ["a"], "minLength": 3})");
    expect_one_problem(problems, "", "expected \"object\"");
}

}  // namespace
