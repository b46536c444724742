// Paths into the Facts: absolute JSON pointers, paths relative to a for_each item, "../" to the
// enclosing item, `*` in for_each, escapes and array indexes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "nix_builder_doctor/engine/fact_path.hpp"

namespace {

using nlohmann::json;
using nbd::engine::check_path_syntax;
using nbd::engine::expand_for_each;
using nbd::engine::resolve_path;
using nbd::engine::Scope;

const json kFactPathFacts = json::parse(R"({
  "principal": {"name": "root", "home": "/root"},
  "builders": [
    {"uri": "ssh://a", "keys": [{"type": "ed25519"}, {"type": "rsa"}], "systems": ["x86_64-linux"]},
    {"uri": "ssh://b", "keys": [], "systems": ["aarch64-linux", "x86_64-linux"]},
    {"uri": "ssh://c", "keys": [{"type": "dsa"}]}
  ],
  "matrix": [[1, 2], [3]],
  "a/b": "slash",
  "m~n": "tilde",
  "~1": "literal tilde one",
  "": "empty key",
  "scalar": 7
})");

Scope fact_path_root_scope() {
    Scope s;
    s.chain.push_back(&kFactPathFacts);
    return s;
}

// ---------------------------------------------------------------- resolve_path

TEST(EngineFactPath, AbsolutePointer) {
    const auto* v = resolve_path(fact_path_root_scope(), "/principal/name");
    ASSERT_NE(nullptr, v);
    EXPECT_EQ("root", *v);
    ASSERT_NE(nullptr, resolve_path(fact_path_root_scope(), "/principal"));
    EXPECT_TRUE(resolve_path(fact_path_root_scope(), "/principal")->is_object());
}

TEST(EngineFactPath, AbsolutePointerIgnoresTheCurrentItem) {
    const auto scopes = expand_for_each(kFactPathFacts, "/builders");
    ASSERT_EQ(3u, scopes.size());
    const auto* v = resolve_path(scopes[1], "/principal/name");
    ASSERT_NE(nullptr, v);
    EXPECT_EQ("root", *v);
}

TEST(EngineFactPath, ArrayIndexes) {
    const auto* v = resolve_path(fact_path_root_scope(), "/builders/1/uri");
    ASSERT_NE(nullptr, v);
    EXPECT_EQ("ssh://b", *v);
    const auto* k = resolve_path(fact_path_root_scope(), "/builders/0/keys/1/type");
    ASSERT_NE(nullptr, k);
    EXPECT_EQ("rsa", *k);
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/builders/3/uri")) << "past the end";
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/builders/-1/uri"));
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/builders/x/uri"));
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/builders/-")) << "'-' (past the end) names nothing";
}

TEST(EngineFactPath, MissingPathsAreNull) {
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/nothing"));
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/principal/nothing"));
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/nothing/deeper/still"));
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/scalar/inside")) << "a number has no members";
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/principal/name/0")) << "a string has no indexes";
    EXPECT_EQ(nullptr, resolve_path(Scope{}, "/principal")) << "an empty scope resolves nothing";
}

TEST(EngineFactPath, JsonPointerEscapes) {
    const auto* slash = resolve_path(fact_path_root_scope(), "/a~1b");
    ASSERT_NE(nullptr, slash);
    EXPECT_EQ("slash", *slash);
    const auto* tilde = resolve_path(fact_path_root_scope(), "/m~0n");
    ASSERT_NE(nullptr, tilde);
    EXPECT_EQ("tilde", *tilde);
    // RFC 6901: "~01" is "~1" (not "/"), because ~0 is decoded first and only once.
    const auto* tricky = resolve_path(fact_path_root_scope(), "/~01");
    ASSERT_NE(nullptr, tricky);
    EXPECT_EQ("literal tilde one", *tricky);
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "/a/b")) << "an unescaped / separates tokens";
}

TEST(EngineFactPath, SlashAloneIsTheEmptyKey) {
    const auto* v = resolve_path(fact_path_root_scope(), "/");
    ASSERT_NE(nullptr, v);
    EXPECT_EQ("empty key", *v);
}

TEST(EngineFactPath, RelativePathsStartAtTheCurrentItem) {
    const auto scopes = expand_for_each(kFactPathFacts, "/builders");
    ASSERT_EQ(3u, scopes.size());
    EXPECT_EQ("ssh://a", *resolve_path(scopes[0], "uri"));
    EXPECT_EQ("ssh://c", *resolve_path(scopes[2], "uri"));
    EXPECT_EQ("rsa", *resolve_path(scopes[0], "keys/1/type"));
    EXPECT_EQ(nullptr, resolve_path(scopes[2], "systems"));
    EXPECT_EQ(kFactPathFacts["builders"][1], *resolve_path(scopes[1], ""));
    EXPECT_EQ(kFactPathFacts["builders"][1], *resolve_path(scopes[1], "."));
    EXPECT_EQ("ssh://b", *resolve_path(scopes[1], "./uri"));
}

TEST(EngineFactPath, DotDotClimbsToTheEnclosingItem) {
    const auto scopes = expand_for_each(kFactPathFacts, "/builders/*/keys");
    ASSERT_EQ(3u, scopes.size());  // a's two keys, c's one key; b has none
    EXPECT_EQ("ed25519", *resolve_path(scopes[0], "type"));
    EXPECT_EQ("ssh://a", *resolve_path(scopes[0], "../uri"));
    EXPECT_EQ("ssh://a", *resolve_path(scopes[1], "../uri"));
    EXPECT_EQ("ssh://c", *resolve_path(scopes[2], "../uri"));
    EXPECT_EQ("root", *resolve_path(scopes[2], "../../principal/name"));
    EXPECT_EQ(nullptr, resolve_path(scopes[2], "../../../principal/name")) << "cannot climb above the document";
}

TEST(EngineFactPath, DotDotAtTheRootIsNull) {
    EXPECT_EQ(nullptr, resolve_path(fact_path_root_scope(), "../principal"));
}

// ---------------------------------------------------------------- expand_for_each

TEST(EngineFactPath, EmptyForEachYieldsTheRootOnce) {
    const auto scopes = expand_for_each(kFactPathFacts, "");
    ASSERT_EQ(1u, scopes.size());
    ASSERT_EQ(1u, scopes[0].chain.size());
    EXPECT_EQ(&kFactPathFacts, scopes[0].chain[0]);
}

TEST(EngineFactPath, ForEachOverAnArrayYieldsEachElement) {
    const auto scopes = expand_for_each(kFactPathFacts, "/builders");
    ASSERT_EQ(3u, scopes.size());
    for (std::size_t i = 0; i < scopes.size(); ++i) {
        ASSERT_EQ(2u, scopes[i].chain.size());
        EXPECT_EQ(&kFactPathFacts, scopes[i].chain.front()) << "the root stays at the front";
        EXPECT_EQ(&kFactPathFacts["builders"][i], scopes[i].chain.back());
    }
}

TEST(EngineFactPath, ForEachOverANonArrayYieldsItself) {
    const auto scopes = expand_for_each(kFactPathFacts, "/principal");
    ASSERT_EQ(1u, scopes.size());
    EXPECT_EQ("root", *resolve_path(scopes[0], "name"));
}

TEST(EngineFactPath, ForEachOverAMissingPathYieldsNothing) {
    EXPECT_TRUE(expand_for_each(kFactPathFacts, "/nothing").empty());
    EXPECT_TRUE(expand_for_each(kFactPathFacts, "/nothing/*/x").empty());
    EXPECT_TRUE(expand_for_each(kFactPathFacts, "/builders/*/nothing").empty());
}

TEST(EngineFactPath, ForEachOverAnEmptyArrayYieldsNothing) {
    EXPECT_TRUE(expand_for_each(kFactPathFacts, "/builders/1/keys").empty());
}

TEST(EngineFactPath, StarIteratesNestedArrays) {
    const auto scopes = expand_for_each(kFactPathFacts, "/builders/*/systems");
    // a: x86_64-linux; b: aarch64-linux, x86_64-linux; c has no systems.
    ASSERT_EQ(3u, scopes.size());
    EXPECT_EQ("x86_64-linux", *scopes[0].chain.back());
    EXPECT_EQ("aarch64-linux", *scopes[1].chain.back());
    EXPECT_EQ("x86_64-linux", *scopes[2].chain.back());
    EXPECT_EQ("ssh://b", *resolve_path(scopes[2], "../uri"));
    for (const auto& s : scopes) EXPECT_EQ(3u, s.chain.size()) << "root, builder, system";
}

TEST(EngineFactPath, StarOverAnArrayOfArrays) {
    const auto scopes = expand_for_each(kFactPathFacts, "/matrix/*/0");
    ASSERT_EQ(2u, scopes.size());
    EXPECT_EQ(1, *scopes[0].chain.back());
    EXPECT_EQ(3, *scopes[1].chain.back());
    EXPECT_EQ(kFactPathFacts["matrix"][0], *resolve_path(scopes[0], ".."));
}

TEST(EngineFactPath, StarOnANonArrayYieldsNothing) {
    EXPECT_TRUE(expand_for_each(kFactPathFacts, "/principal/*").empty());
    EXPECT_TRUE(expand_for_each(kFactPathFacts, "/scalar/*").empty());
}

TEST(EngineFactPath, ForEachWithEscapesAndIndexes) {
    const auto scopes = expand_for_each(kFactPathFacts, "/builders/0/keys");
    ASSERT_EQ(2u, scopes.size());
    EXPECT_EQ("rsa", *resolve_path(scopes[1], "type"));
    const auto escaped = expand_for_each(kFactPathFacts, "/a~1b");
    ASSERT_EQ(1u, escaped.size());
    EXPECT_EQ("slash", *escaped[0].chain.back());
}

// ---------------------------------------------------------------- check_path_syntax

TEST(EngineFactPathSyntax, ForEachMustBeAbsolute) {
    EXPECT_NO_THROW(check_path_syntax("/builders/*/keys", true));
    EXPECT_THROW(check_path_syntax("builders/*/keys", true), std::invalid_argument);
    EXPECT_THROW(check_path_syntax("../builders", true), std::invalid_argument);
}

TEST(EngineFactPathSyntax, StarOnlyInForEach) {
    EXPECT_THROW(check_path_syntax("/builders/*/uri", false), std::invalid_argument);
    EXPECT_THROW(check_path_syntax("keys/*", false), std::invalid_argument);
    EXPECT_NO_THROW(check_path_syntax("/builders/0/uri", false));
    EXPECT_NO_THROW(check_path_syntax("../uri", false));
    EXPECT_NO_THROW(check_path_syntax("a*b", false)) << "only a whole `*` segment is a wildcard";
}

}  // namespace
