// The rule condition language: all / any / not over leaf comparisons, and the load-time check
// that rejects malformed conditions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "nix_builder_doctor/engine/condition.hpp"
#include "nix_builder_doctor/engine/fact_path.hpp"

namespace {

using nlohmann::json;
using nbd::engine::check_condition;
using nbd::engine::evaluate_condition;
using nbd::engine::Scope;

const json kFacts = json::parse(R"({
  "flag": true,
  "off": false,
  "name": "builder1.example.org",
  "other_name": "builder1.example.org",
  "user": "nixbuild",
  "port": 22,
  "big_port": 2222,
  "ratio": 1.5,
  "zero": 0,
  "empty_string": "",
  "empty_list": [],
  "empty_object": {},
  "null_value": null,
  "systems": ["x86_64-linux", "aarch64-linux"],
  "allowed": ["root", "nixbuild"],
  "numbers": [1, 2, 3],
  "version": "2.18.1",
  "builders": [
    {"uri": "ssh://a", "jobs": 4, "features": ["kvm", "big-parallel"]},
    {"uri": "ssh://b", "jobs": 1, "features": []}
  ]
})");

// A scope whose current item is the document itself.
Scope root_scope() {
    Scope s;
    s.chain.push_back(&kFacts);
    return s;
}

bool eval(const char* condition) { return evaluate_condition(json::parse(condition), root_scope()); }

// ---------------------------------------------------------------- combinators

TEST(EngineCondition, NullConditionAlwaysHolds) { EXPECT_TRUE(evaluate_condition(json(), root_scope())); }

TEST(EngineCondition, AllNeedsEveryChild) {
    EXPECT_TRUE(eval(R"({"all": [{"path": "/flag", "eq": true}, {"path": "/port", "eq": 22}]})"));
    EXPECT_FALSE(eval(R"({"all": [{"path": "/flag", "eq": true}, {"path": "/port", "eq": 23}]})"));
    EXPECT_FALSE(eval(R"({"all": [{"path": "/flag", "eq": false}, {"path": "/port", "eq": 22}]})"));
}

TEST(EngineCondition, AnyNeedsOneChild) {
    EXPECT_TRUE(eval(R"({"any": [{"path": "/flag", "eq": false}, {"path": "/port", "eq": 22}]})"));
    EXPECT_TRUE(eval(R"({"any": [{"path": "/flag", "eq": true}, {"path": "/port", "eq": 23}]})"));
    EXPECT_FALSE(eval(R"({"any": [{"path": "/flag", "eq": false}, {"path": "/port", "eq": 23}]})"));
}

TEST(EngineCondition, NotInverts) {
    EXPECT_FALSE(eval(R"({"not": {"path": "/flag", "eq": true}})"));
    EXPECT_TRUE(eval(R"({"not": {"path": "/flag", "eq": false}})"));
    EXPECT_TRUE(eval(R"({"not": {"not": {"path": "/flag", "eq": true}}})"));
}

TEST(EngineCondition, NestedCombinators) {
    EXPECT_TRUE(eval(R"({"all": [{"any": [{"path": "/port", "eq": 1}, {"path": "/port", "eq": 22}]},
                                 {"not": {"path": "/user", "eq": "root"}}]})"));
    EXPECT_FALSE(eval(R"({"all": [{"any": [{"path": "/port", "eq": 1}, {"path": "/port", "eq": 22}]},
                                  {"not": {"path": "/user", "eq": "nixbuild"}}]})"));
}

// ---------------------------------------------------------------- eq / ne

TEST(EngineCondition, EqComparesTypedValues) {
    EXPECT_TRUE(eval(R"({"path": "/user", "eq": "nixbuild"})"));
    EXPECT_FALSE(eval(R"({"path": "/user", "eq": "root"})"));
    EXPECT_TRUE(eval(R"({"path": "/port", "eq": 22})"));
    EXPECT_FALSE(eval(R"({"path": "/port", "eq": "22"})")) << "a number is not equal to its text";
    EXPECT_TRUE(eval(R"({"path": "/systems", "eq": ["x86_64-linux", "aarch64-linux"]})"));
    EXPECT_TRUE(eval(R"({"path": "/null_value", "eq": null})"));
}

TEST(EngineCondition, EqOnMissingFactIsFalse) {
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "eq": true})"));
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "eq": null})")) << "missing is not the same as null";
}

TEST(EngineCondition, NeComparesValues) {
    EXPECT_TRUE(eval(R"({"path": "/user", "ne": "root"})"));
    EXPECT_FALSE(eval(R"({"path": "/user", "ne": "nixbuild"})"));
    EXPECT_TRUE(eval(R"({"path": "/port", "ne": "22"})"));
}

TEST(EngineCondition, NeOnMissingFactIsFalse) {
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "ne": "root"})"));
    EXPECT_FALSE(eval(R"({"path": "/user", "ne": {"path": "/no/such/fact"}})"));
}

TEST(EngineCondition, OperandCanNameAnotherFact) {
    EXPECT_TRUE(eval(R"({"path": "/name", "eq": {"path": "/other_name"}})"));
    EXPECT_FALSE(eval(R"({"path": "/name", "eq": {"path": "/user"}})"));
    EXPECT_TRUE(eval(R"({"path": "/name", "ne": {"path": "/user"}})"));
    EXPECT_TRUE(eval(R"({"path": "/user", "in": {"path": "/allowed"}})"));
    EXPECT_FALSE(eval(R"({"path": "/version", "in": {"path": "/allowed"}})"));
    EXPECT_TRUE(eval(R"({"path": "/systems", "contains": {"path": "/systems/1"}})"));
    EXPECT_TRUE(eval(R"({"path": "/port", "lt": {"path": "/big_port"}})"));
    EXPECT_FALSE(eval(R"({"path": "/port", "gt": {"path": "/big_port"}})"));
}

TEST(EngineCondition, OperandPathIsRelativeToTheCurrentItem) {
    const auto scopes = nbd::engine::expand_for_each(kFacts, "/builders");
    ASSERT_EQ(2u, scopes.size());
    const auto c = json::parse(R"({"path": "jobs", "gt": {"path": "/port"}})");
    EXPECT_FALSE(evaluate_condition(c, scopes[0]));
    const auto d = json::parse(R"({"path": "uri", "eq": {"path": "../builders/1/uri"}})");
    EXPECT_FALSE(evaluate_condition(d, scopes[0]));
    EXPECT_TRUE(evaluate_condition(d, scopes[1]));
}

// ---------------------------------------------------------------- in / contains

TEST(EngineCondition, InLooksForTheFactInAList) {
    EXPECT_TRUE(eval(R"({"path": "/user", "in": ["root", "nixbuild"]})"));
    EXPECT_FALSE(eval(R"({"path": "/user", "in": ["root", "alice"]})"));
    EXPECT_FALSE(eval(R"({"path": "/user", "in": []})"));
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "in": ["root"]})"));
    EXPECT_FALSE(eval(R"({"path": "/user", "in": "nixbuild"})")) << "a string operand is not a list";
}

TEST(EngineCondition, ContainsOnArraysLooksForAnElement) {
    EXPECT_TRUE(eval(R"({"path": "/systems", "contains": "aarch64-linux"})"));
    EXPECT_FALSE(eval(R"({"path": "/systems", "contains": "aarch64"})")) << "no substring match inside elements";
    EXPECT_TRUE(eval(R"({"path": "/numbers", "contains": 2})"));
    EXPECT_FALSE(eval(R"({"path": "/numbers", "contains": "2"})"));
    EXPECT_FALSE(eval(R"({"path": "/empty_list", "contains": "x"})"));
}

TEST(EngineCondition, ContainsOnStringsLooksForASubstring) {
    EXPECT_TRUE(eval(R"({"path": "/name", "contains": ".example."})"));
    EXPECT_TRUE(eval(R"({"path": "/name", "contains": ""})"));
    EXPECT_FALSE(eval(R"({"path": "/name", "contains": "EXAMPLE"})")) << "case-sensitive";
    EXPECT_FALSE(eval(R"({"path": "/port", "contains": "2"})")) << "numbers are not strings";
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "contains": "x"})"));
}

// ---------------------------------------------------------------- matches

TEST(EngineCondition, MatchesSearchesWithARegex) {
    EXPECT_TRUE(eval(R"({"path": "/version", "matches": "^2\\.1[0-9]\\."})"));
    EXPECT_TRUE(eval(R"({"path": "/name", "matches": "example"})")) << "a search, not a full match";
    EXPECT_FALSE(eval(R"({"path": "/version", "matches": "^3\\."})"));
    EXPECT_FALSE(eval(R"({"path": "/port", "matches": "22"})")) << "only strings match";
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "matches": ".*"})"));
}

// ---------------------------------------------------------------- exists / empty

TEST(EngineCondition, ExistsTrue) {
    EXPECT_TRUE(eval(R"({"path": "/flag", "exists": true})"));
    EXPECT_TRUE(eval(R"({"path": "/off", "exists": true})")) << "false is a value";
    EXPECT_TRUE(eval(R"({"path": "/empty_string", "exists": true})"));
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "exists": true})"));
    EXPECT_FALSE(eval(R"({"path": "/null_value", "exists": true})")) << "null counts as absent";
}

TEST(EngineCondition, ExistsFalse) {
    EXPECT_TRUE(eval(R"({"path": "/no/such/fact", "exists": false})"));
    EXPECT_TRUE(eval(R"({"path": "/null_value", "exists": false})"));
    EXPECT_FALSE(eval(R"({"path": "/flag", "exists": false})"));
}

TEST(EngineCondition, Empty) {
    EXPECT_TRUE(eval(R"({"path": "/empty_string", "empty": true})"));
    EXPECT_TRUE(eval(R"({"path": "/empty_list", "empty": true})"));
    EXPECT_TRUE(eval(R"({"path": "/empty_object", "empty": true})"));
    EXPECT_TRUE(eval(R"({"path": "/null_value", "empty": true})"));
    EXPECT_TRUE(eval(R"({"path": "/no/such/fact", "empty": true})"));
    EXPECT_FALSE(eval(R"({"path": "/systems", "empty": true})"));
    EXPECT_FALSE(eval(R"({"path": "/zero", "empty": true})")) << "0 is a value, not emptiness";
    EXPECT_FALSE(eval(R"({"path": "/off", "empty": true})"));
    EXPECT_TRUE(eval(R"({"path": "/systems", "empty": false})"));
    EXPECT_FALSE(eval(R"({"path": "/empty_list", "empty": false})"));
}

// ---------------------------------------------------------------- lt / gt

TEST(EngineCondition, LtGtOnNumbers) {
    EXPECT_TRUE(eval(R"({"path": "/port", "lt": 23})"));
    EXPECT_FALSE(eval(R"({"path": "/port", "lt": 22})")) << "strict";
    EXPECT_FALSE(eval(R"({"path": "/port", "gt": 22})")) << "strict";
    EXPECT_TRUE(eval(R"({"path": "/port", "gt": 21})"));
    EXPECT_TRUE(eval(R"({"path": "/ratio", "gt": 1})")) << "float against integer";
    EXPECT_TRUE(eval(R"({"path": "/ratio", "lt": 1.6})"));
    EXPECT_TRUE(eval(R"({"path": "/zero", "gt": -1})"));
}

TEST(EngineCondition, LtGtOnStringsCompareLexically) {
    EXPECT_TRUE(eval(R"({"path": "/user", "lt": "root"})"));
    EXPECT_FALSE(eval(R"({"path": "/user", "gt": "root"})"));
    EXPECT_TRUE(eval(R"({"path": "/version", "gt": "2.1"})"));
}

TEST(EngineCondition, LtGtAcrossTypesOrMissingAreFalse) {
    EXPECT_FALSE(eval(R"({"path": "/port", "lt": "100"})"));
    EXPECT_FALSE(eval(R"({"path": "/port", "gt": "1"})"));
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "lt": 100})"));
    EXPECT_FALSE(eval(R"({"path": "/no/such/fact", "gt": -100})"));
    EXPECT_FALSE(eval(R"({"path": "/flag", "gt": 0})"));
}

// ---------------------------------------------------------------- check_condition

void expect_rejected(const char* condition, const char* why) {
    EXPECT_THROW(check_condition(json::parse(condition)), std::invalid_argument) << why << ": " << condition;
}

TEST(EngineConditionCheck, AcceptsWellFormedConditions) {
    for (const char* ok : {
             R"({"path": "a", "eq": 1})",
             R"({"path": "/a/b", "ne": "x"})",
             R"({"path": "../a", "in": [1, 2]})",
             R"({"path": "a", "contains": "x"})",
             R"({"path": "a", "matches": "^x+$"})",
             R"({"path": "a", "exists": true})",
             R"({"path": "a", "empty": false})",
             R"({"path": "a", "lt": 3})",
             R"({"path": "a", "gt": {"path": "/b"}})",
             R"({"all": [{"path": "a", "eq": 1}]})",
             R"({"any": [{"path": "a", "eq": 1}, {"not": {"path": "b", "exists": true}}]})",
         }) {
        EXPECT_NO_THROW(check_condition(json::parse(ok))) << ok;
    }
}

TEST(EngineConditionCheck, RejectsNoOperator) {
    expect_rejected(R"({"path": "a"})", "no operator");
    expect_rejected(R"({"path": "a", "equals": 1})", "unknown operator only");
}

TEST(EngineConditionCheck, RejectsTwoOperators) {
    expect_rejected(R"({"path": "a", "eq": 1, "ne": 2})", "two operators");
    expect_rejected(R"({"path": "a", "exists": true, "empty": false})", "two operators");
}

TEST(EngineConditionCheck, RejectsMissingOrNonStringPath) {
    expect_rejected(R"({"eq": 1})", "no path");
    expect_rejected(R"({"path": 3, "eq": 1})", "path not a string");
}

TEST(EngineConditionCheck, RejectsWildcardInConditionPath) {
    expect_rejected(R"({"path": "/builders/*/uri", "eq": 1})", "* only in for_each");
}

TEST(EngineConditionCheck, RejectsBadRegex) {
    expect_rejected(R"({"path": "a", "matches": "(unclosed"})", "bad regex");
    expect_rejected(R"({"path": "a", "matches": "[z-a]"})", "bad range");
    expect_rejected(R"({"path": "a", "matches": 5})", "regex not a string");
}

TEST(EngineConditionCheck, RejectsEmptyOrNonArrayGroups) {
    expect_rejected(R"({"all": []})", "empty all");
    expect_rejected(R"({"any": []})", "empty any");
    expect_rejected(R"({"all": {"path": "a", "eq": 1}})", "all not an array");
}

TEST(EngineConditionCheck, RejectsMalformedChildren) {
    expect_rejected(R"({"all": [{"path": "a", "eq": 1}, {"path": "b"}]})", "bad child of all");
    expect_rejected(R"({"any": [{"path": "a", "eq": 1}, 7]})", "child not an object");
    expect_rejected(R"({"not": {"path": "a"}})", "bad child of not");
    expect_rejected(R"({"not": [{"path": "a", "eq": 1}]})", "not takes one condition");
}

TEST(EngineConditionCheck, RejectsNonBooleanExistsAndEmpty) {
    expect_rejected(R"({"path": "a", "exists": "yes"})", "exists takes a boolean");
    expect_rejected(R"({"path": "a", "empty": 1})", "empty takes a boolean");
}

TEST(EngineConditionCheck, RejectsNonObjects) {
    expect_rejected(R"([])", "array");
    expect_rejected(R"("a")", "string");
    expect_rejected(R"(null)", "null");
}

TEST(EngineConditionCheck, RejectsTwoGroupOperatorsInOneObject) {
    expect_rejected(R"({"all": [{"path": "a", "eq": 1}], "any": [{"path": "b", "eq": 1}]})", "all and any");
    expect_rejected(R"({"not": {"path": "a", "eq": 1}, "path": "b", "eq": 2})", "not and a comparison");
    expect_rejected(R"({"all": [{"path": "a", "eq": 1}], "path": "b", "eq": 2})", "all and a comparison");
}

TEST(EngineConditionCheck, RejectsOperandWhosePathIsNotAString) {
    // Such an operand used to pass the check and make evaluate_condition throw (exit 3).
    expect_rejected(R"({"path": "a", "eq": {"path": 5}})", "operand path not a string");
    expect_rejected(R"({"path": "a", "eq": {"file": "x"}})", "object operand without path");
    EXPECT_NO_THROW(check_condition(json::parse(R"({"path": "a", "eq": {"path": "/b"}})")));
}

TEST(EngineConditionCheck, RejectsWildcardInOperandPath) {
    expect_rejected(R"({"path": "a", "in": {"path": "/x/*"}})", "operand path with *");
}

}  // namespace
