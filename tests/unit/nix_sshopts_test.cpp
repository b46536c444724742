// NIX_SSHOPTS is split the way the local Nix splits it: on blanks before 2.26, like a shell from
// 2.26 on (shellSplitString, NixOS/nix#12020); undecided -> blanks, with a note when they differ.
#include <gtest/gtest.h>

#include "nix_builder_doctor/facts/nix_sshopts.hpp"
#include "nix_builder_doctor/probe/ground_truth.hpp"

using nbd::facts::shell_split;
using nbd::facts::split_nix_sshopts;
using Words = std::vector<std::string>;

TEST(ShellSplit, QuotesAndEscapesAsNix226) {
    std::string error;
    EXPECT_EQ(shell_split(R"(-o ProxyCommand="ssh -W %h:%p bastion" -p 2222)", &error),
              (Words{"-o", "ProxyCommand=ssh -W %h:%p bastion", "-p", "2222"}));
    EXPECT_EQ(error, "");
    EXPECT_EQ(shell_split(R"('a b'c d\ e)", &error), (Words{"a bc", "d e"}));
    // In double quotes a backslash escapes only $ ` " and itself.
    EXPECT_EQ(shell_split(R"("\$\n\"")", &error), (Words{"$\\n\""}));
    EXPECT_EQ(shell_split("''", &error), (Words{""}));  // an empty quoted word is a word
    EXPECT_EQ(shell_split("a\nb", &error), (Words{"a\nb"}));  // only space and tab separate
    EXPECT_EQ(shell_split("  -v\t-4  ", &error), (Words{"-v", "-4"}));
    EXPECT_EQ(error, "");
}

TEST(ShellSplit, UnterminatedQuoteIsAnError) {
    std::string error;
    shell_split("-o 'ProxyCommand=x", &error);
    EXPECT_EQ(error, "unterminated single quote");
    error.clear();
    shell_split("-o \"ProxyCommand=x\\", &error);
    EXPECT_EQ(error, "unterminated double quote");
}

TEST(NixSshopts, NewNixSplitsLikeAShell) {
    const auto r = split_nix_sshopts(R"(-o "ServerAliveInterval 30")", "nix", "2.26.3");
    EXPECT_EQ(r.method, "shell");
    EXPECT_EQ(r.words, (Words{"-o", "ServerAliveInterval 30"}));
    EXPECT_EQ(r.note, "");
    EXPECT_EQ(split_nix_sshopts("-o 'A B'", "nix", "3.0").words, (Words{"-o", "A B"}));
}

TEST(NixSshopts, OldNixSplitsOnBlanks) {
    const auto r = split_nix_sshopts(R"(-o "ServerAliveInterval 30")", "nix", "2.8.1");
    EXPECT_EQ(r.method, "whitespace");
    EXPECT_EQ(r.words, (Words{"-o", "\"ServerAliveInterval", "30\""}));
    EXPECT_EQ(r.note, "");  // the version is known: nothing undecided
    EXPECT_EQ(split_nix_sshopts("-v\n-4", "nix", "2.25.0").words, (Words{"-v", "-4"}));
}

TEST(NixSshopts, UnknownVersionUsesBlanksAndSaysWhenTheSplitsDiffer) {
    const auto r = split_nix_sshopts("-o 'ServerAliveInterval 30'", "", "");
    EXPECT_EQ(r.method, "whitespace");
    EXPECT_EQ(r.words, (Words{"-o", "'ServerAliveInterval", "30'"}));
    EXPECT_NE(r.note.find("Nix before 2.26"), std::string::npos) << r.note;
    EXPECT_NE(r.note.find("`ServerAliveInterval 30`"), std::string::npos) << r.note;
    // Lix splits on blanks in every release read (2.90.0, 2.93.0, 2.95.3): decided, no note.
    const auto lix = split_nix_sshopts("-o 'A B'", "lix", "2.91.1");
    EXPECT_EQ(lix.words, (Words{"-o", "'A", "B'"}));
    EXPECT_EQ(lix.note, "");
    // No quotes, no escapes: both splits agree and nothing is said.
    const auto plain = split_nix_sshopts("-oServerAliveInterval=30 -v", "", "");
    EXPECT_EQ(plain.words, (Words{"-oServerAliveInterval=30", "-v"}));
    EXPECT_EQ(plain.note, "");
}

TEST(NixSshopts, NewNixRefusesAnUnterminatedQuote) {
    const auto r = split_nix_sshopts("-o 'A B", "nix", "2.28.0");
    EXPECT_EQ(r.error, "unterminated single quote");
    EXPECT_NE(r.note.find("refuses it"), std::string::npos) << r.note;
    EXPECT_EQ(r.words, (Words{"-o", "'A", "B"}));
}

// The safety checks run on the words as split: a quoted -M is still one word beginning with -M.
TEST(NixSshopts, SafetyChecksSeeTheWordsAsSplit) {
    const auto shell = split_nix_sshopts(R"(-o "ControlPath x" '-M')", "nix", "2.26.0");
    EXPECT_EQ(shell.words, (Words{"-o", "ControlPath x", "-M"}));
    EXPECT_NE(nbd::probe::ssh_options_refusal(shell.words).find("-M"), std::string::npos);
    // Shell-split, `"x y"` is one word that is not an option; on blanks it is two.
    const auto word = split_nix_sshopts(R"("x y")", "nix", "2.26.0");
    EXPECT_NE(nbd::probe::ssh_options_refusal(word.words).find("`x y`"), std::string::npos);
}
