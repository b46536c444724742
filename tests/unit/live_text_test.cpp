// What remote.protocol-mismatch says the builder sent: never an empty quote.
#include "nix_builder_doctor/facts/live_text.hpp"

#include <gtest/gtest.h>

using nbd::facts::describe_unexpected_output;

TEST(LiveText, NothingIsSaidAsSuch) {
    EXPECT_EQ(describe_unexpected_output(""), "nothing: the remote command ended without a word");
}

TEST(LiveText, ShellNoiseIsQuotedOnOneLine) {
    EXPECT_EQ(describe_unexpected_output("Welcome to builder\nlast login\n"), "\"Welcome to builder last login\"");
}

TEST(LiveText, AWrongMagicIsShownInHex) {
    const std::string magic("\x63\x78\x69\x6e\x00\x00\x00\x00", 8);
    EXPECT_EQ(describe_unexpected_output(magic),
              "8 bytes of binary data (63 78 69 6e 00 00 00 00), not the magic number Nix expects");
}

TEST(LiveText, LongTextIsCut) {
    const auto text = describe_unexpected_output(std::string(1000, 'a'));
    EXPECT_LT(text.size(), 320u);
    EXPECT_NE(text.find("...\""), std::string::npos);
}
