// Message templates: {path} placeholders, arrays joined with ", ", {path|fallback}, {{ and }}.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nix_builder_doctor/engine/fact_path.hpp"
#include "nix_builder_doctor/engine/message_template.hpp"

namespace {

using nlohmann::json;
using nbd::engine::expand_for_each;
using nbd::engine::display_template;
using nbd::engine::render_template;
using nbd::engine::Scope;

const json kTemplateFacts = json::parse(R"({
  "principal": {"name": "root"},
  "builders": [
    {"uri": "ssh://nix@a", "line": 3, "speed": 1.5, "kvm": true,
     "features": ["kvm", "big-parallel"], "empty": "", "none": null, "nothing": [],
     "numbers": [1, 2], "nested": [["x", "y"], "z"]}
  ]
})");

Scope builder_scope() { return expand_for_each(kTemplateFacts, "/builders").at(0); }

std::string render(const std::string& text) { return render_template(text, builder_scope()); }

TEST(EngineTemplate, PlainTextIsUnchanged) {
    EXPECT_EQ("no placeholders here", render("no placeholders here"));
    EXPECT_EQ("", render(""));
}

TEST(EngineTemplate, RelativeAndAbsolutePlaceholders) {
    EXPECT_EQ("ssh://nix@a: root cannot log in", render("{uri}: {/principal/name} cannot log in"));
    EXPECT_EQ("root", render("{../principal/name}"));
}

TEST(EngineTemplate, NumbersAndBooleans) {
    EXPECT_EQ("line 3", render("line {line}"));
    EXPECT_EQ("1.5", render("{speed}"));
    EXPECT_EQ("true", render("{kvm}"));
}

TEST(EngineTemplate, ArraysAreJoinedWithCommaSpace) {
    EXPECT_EQ("features: kvm, big-parallel.", render("features: {features}."));
    EXPECT_EQ("1, 2", render("{numbers}"));
    EXPECT_EQ("x, y, z", render("{nested}")) << "nested arrays are flattened";
}

TEST(EngineTemplate, MissingAndEmptyRenderAsNothing) {
    EXPECT_EQ("[]", render("[{nope}]"));
    EXPECT_EQ("[]", render("[{empty}]"));
    EXPECT_EQ("[]", render("[{none}]"));
    EXPECT_EQ("[]", render("[{nothing}]"));
}

TEST(EngineTemplate, FallbackWhenMissingOrEmpty) {
    EXPECT_EQ("port 22", render("port {port|22}"));
    EXPECT_EQ("(unset)", render("{empty|(unset)}"));
    EXPECT_EQ("(none)", render("{none|(none)}"));
    EXPECT_EQ("no features", render("{nothing|no features}"));
    EXPECT_EQ("ssh://nix@a", render("{uri|fallback}")) << "a present value wins over the fallback";
    EXPECT_EQ("", render("{nope|}")) << "an empty fallback";
    EXPECT_EQ("a b", render("{nope|a b}")) << "fallbacks may contain spaces";
}

TEST(EngineTemplate, DoubledBracesAreLiteral) {
    EXPECT_EQ("{uri}", render("{{uri}}"));
    EXPECT_EQ("{ssh://nix@a}", render("{{{uri}}}"));
    EXPECT_EQ("set = {}", render("set = {{}}"));
}

TEST(EngineTemplate, LoneClosingBraceIsKept) {
    EXPECT_EQ("a } b", render("a } b"));
}

TEST(EngineTemplate, UnterminatedBraceIsKeptAsText) {
    EXPECT_EQ("see {uri", render("see {uri"));
    EXPECT_EQ("ssh://nix@a then {line", render("{uri} then {line"));
    EXPECT_EQ("{", render("{"));
}

TEST(EngineTemplate, AdjacentPlaceholders) {
    EXPECT_EQ("ssh://nix@a3", render("{uri}{line}"));
}

TEST(EngineTemplate, EmptyScopeRendersPlaceholdersAsNothing) {
    EXPECT_EQ("x  y fb", render_template("x {a} y {b|fb}", Scope{}));
}

TEST(EngineTemplate, DisplayShowsPlaceholdersAndResolvesEscapes) {
    EXPECT_EQ("at {file}: `{ config, lib, ... }:` as {/principal/name}",
              display_template("at {file}: `{{ config, lib, ... }}:` as {/principal/name|root}"));
}

}  // namespace
