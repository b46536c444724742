// The 8 bytes of text behind Nix's `serialised integer N is too large` are shown.
#include <gtest/gtest.h>

#include "nix_builder_doctor/explain/protocol_text.hpp"

namespace {

using nbd::explain::reveal_protocol_text;

TEST(ProtocolText, NologinsMessageIsRevealed) {
    EXPECT_EQ(reveal_protocol_text("error: serialised integer 7161674624452356180 is too large for type 'j'"),
              "error: serialised integer 7161674624452356180 is too large for type 'j' (its 8 bytes as text: 'This acc')");
}

TEST(ProtocolText, ControlCharactersAreEscaped) {
    // "hi\nthere"
    EXPECT_EQ(reveal_protocol_text("serialised integer 7310016644473579880 is too large"),
              "serialised integer 7310016644473579880 is too large (its 8 bytes as text: 'hi\\nthere')");
}

TEST(ProtocolText, BinaryNumbersStayAsTheyAre) {
    EXPECT_EQ(reveal_protocol_text("error: serialised integer 1234 is too large for type 'j'"),
              "error: serialised integer 1234 is too large for type 'j'");
    // 0x80 in the top byte: not ASCII.
    EXPECT_EQ(reveal_protocol_text("serialised integer 9259542123273814144 is too large"),
              "serialised integer 9259542123273814144 is too large");
}

TEST(ProtocolText, MalformedNumbersStayAsTheyAre) {
    for (const char* line : {"serialised integer 99999999999999999999999 is too large", "serialised integer  is too large",
                             "serialised integer -5 is too large", "serialised integer ", "no number here"})
        EXPECT_EQ(reveal_protocol_text(line), line) << line;
}

}  // namespace
