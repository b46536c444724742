// The literal prefilter: the text every match of a pattern must contain (so a regex runs only on
// lines that have it), and the one-pass search for all of them.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "nix_builder_doctor/explain/literal_index.hpp"

namespace {

using namespace nbd::explain;

TEST(ExplainLiteral, TakesTheLongestRequiredRun) {
    EXPECT_EQ("host key verification failed", required_literal("Host key verification failed"));
    EXPECT_EQ("permission denied (publickey", required_literal(R"(Permission denied \(publickey[^)]*\))"));
    EXPECT_EQ(" not allowed because", required_literal(R"(User \S+ from \S+ not allowed because)"));
    EXPECT_EQ(" not accessible", required_literal("Identity file .* not accessible"));
    EXPECT_EQ("/host-key", required_literal(R"((Offending [A-Z0-9-]+ key|Add correct host key) in \S*/host-key\b)"));
}

TEST(ExplainLiteral, DropsWhatAQuantifierMakesOptional) {
    EXPECT_EQ("you are not privileged to build ", required_literal("you are not privileged to build (input-addressed )?derivations"));
    EXPECT_EQ("abc", required_literal("abcd?"));
    EXPECT_EQ("abc", required_literal("abcd*"));
    EXPECT_EQ("abcd", required_literal("abcd+e"));
    EXPECT_EQ("nix daemon", required_literal("x{0,3}nix daemon"));
}

TEST(ExplainLiteral, HasNoneForTopLevelAlternatives) {
    EXPECT_EQ("", required_literal("foo|bar"));
    EXPECT_EQ("", required_literal("[a-z]+"));
    EXPECT_EQ("", required_literal("a|b-"));
}

TEST(ExplainLiteral, UsesTheLastLineOfATwoLinePattern) {
    EXPECT_EQ("current system: '", required_literal(R"(Required system: '([^']+)'.*\nCurrent system: '\1')"));
}

TEST(ExplainLiteral, IsAlwaysInWhatThePatternMatches) {
    const char* patterns[] = {R"(Permission denied \((?![^)]*publickey)[^)]*\))", R"(connect to host \S+ port [0-9]+: Connection refused)",
                              "Could not resolve hostname [^.:\\s]+: ", R"(Load key \"[^\"]+\": bad permissions)"};
    const char* lines[] = {"root@b: Permission denied ().", "ssh: connect to host b port 22: Connection refused",
                           "ssh: Could not resolve hostname mybuilder: Name or service not known", "Load key \"/root/k\": bad permissions"};
    for (std::size_t i = 0; i < 4; ++i) {
        std::string lower = lines[i];
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        ASSERT_TRUE(std::regex_search(lines[i], std::regex(patterns[i], std::regex::ECMAScript | std::regex::icase))) << patterns[i];
        EXPECT_NE(std::string::npos, lower.find(required_literal(patterns[i]))) << patterns[i];
    }
}

TEST(ExplainLiteral, IndexFindsEveryLiteralOnceCaseInsensitively) {
    LiteralIndex index;
    const auto he = index.add("he");
    const auto she = index.add("SHE");
    const auto hers = index.add("hers");
    EXPECT_EQ(he, index.add("HE"));
    index.build();
    const auto found = index.scan("uShers and she");
    ASSERT_EQ(3u, found.size());
    std::vector<std::size_t> ids;
    for (const auto& o : found) ids.push_back(o.literal);
    EXPECT_EQ((std::vector<std::size_t>{she, he, hers}), ids);
    EXPECT_EQ(4u, found[0].end);  // "uShe"
    EXPECT_EQ(6u, found[2].end);  // "uShers"
    EXPECT_TRUE(index.scan("nothing here?").size() == 1);  // "he" in "here"
    EXPECT_TRUE(index.scan("").empty());
}

}  // namespace
