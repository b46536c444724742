// Reading a build log: lines as a person saw them on the terminal (ANSI colours, CRLF, progress
// bar redraws, `> ` build-log lines), OpenSSH's @@@@ banners joined, junk made printable, and a
// bounded line length whatever comes in.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "nix_builder_doctor/explain/log_reader.hpp"

namespace {

using namespace nbd::explain;

std::vector<LogLine> read_all(const std::string& text, std::size_t max_length = kMaxLineLength) {
    std::istringstream in(text);
    LogReader reader(in, max_length);
    std::vector<LogLine> lines;
    while (auto line = reader.next()) lines.push_back(*line);
    return lines;
}

TEST(ExplainReader, StripsNixColours) {
    EXPECT_EQ("error: unable to start any build", clean_line("\x1b[31;1merror:\x1b[0m unable to start any build").text);
    EXPECT_EQ("title", strip_ansi("\x1b]0;title\x07title"));
    EXPECT_EQ("ab", strip_ansi("a\x1b(Bb"));
    EXPECT_EQ("cut", strip_ansi("cut\x1b["));  // a sequence cut off at the end of the line
}

TEST(ExplainReader, DropsCarriageReturnsAndKeepsWhatAProgressBarLeftOnScreen) {
    EXPECT_EQ("Host key verification failed.", clean_line("Host key verification failed.\r").text);
    EXPECT_EQ("cannot build on 'ssh://x': boom", clean_line("[0/1 built] querying\r\x1b[Kcannot build on 'ssh://x': boom").text);
    EXPECT_EQ("[1/2 built]", clean_line("[1/2 built]\r\x1b[K").text);  // nothing after the last redraw
}

TEST(ExplainReader, MarksAndStripsBuildLogLines) {
    const CleanLine c = clean_line("       > error: you are not privileged to build input-addressed derivations");
    EXPECT_TRUE(c.build_log);
    EXPECT_EQ("error: you are not privileged to build input-addressed derivations", c.text);
    EXPECT_FALSE(clean_line("error: builder for '/nix/store/x.drv' failed with exit code 1;").build_log);
    EXPECT_FALSE(clean_line("a > b").build_log);
}

TEST(ExplainReader, MakesBinaryJunkPrintableUtf8) {
    const std::string junk = std::string("a\0b\x01\x7f", 5) + "\xff\xfe" + "\xc3\xa9" + "\xe2\x82";
    const std::string clean = sanitize_utf8(junk);
    EXPECT_EQ("ab ??\xc3\xa9??", clean);
    EXPECT_EQ("\xf0\x9f\x98\x80", sanitize_utf8("\xf0\x9f\x98\x80"));  // a valid 4-byte character stays
    EXPECT_EQ("???", sanitize_utf8("\xed\xa0\x80"));                     // a UTF-16 surrogate does not
}

TEST(ExplainReader, ReadsNix1QuotesAsTodaysQuotes) {
    // Nix 1.x: "\u2018nixbld\u2019" and older "`root@host'"; a Markdown `span` and other text stay.
    EXPECT_EQ("error: the group 'nixbld' specified in 'build-users-group' does not exist",
              clean_line("error: the group \xe2\x80\x98nixbld\xe2\x80\x99 specified in \xe2\x80\x98" "build-users-group\xe2\x80\x99 does not exist").text);
    EXPECT_EQ("building '/nix/store/x.drv' on 'buildfarm@kyle'", clean_line("building `/nix/store/x.drv' on `buildfarm@kyle'").text);
    EXPECT_EQ("Building profile `system` for node `laptop`", clean_line("Building profile `system` for node `laptop`").text);
    EXPECT_EQ("\xe2\x80\x9cquoted\xe2\x80\x9d", clean_line("\xe2\x80\x9cquoted\xe2\x80\x9d").text);
}

TEST(ExplainReader, CountsPhysicalLinesAndHandlesCrlf) {
    const auto lines = read_all("one\r\ntwo\r\n\r\nfour");
    ASSERT_EQ(4u, lines.size());
    EXPECT_EQ(1, lines[0].number);
    EXPECT_EQ("two", lines[1].text);
    EXPECT_EQ("", lines[2].text);
    EXPECT_EQ(4, lines[3].number);
    EXPECT_EQ("four", lines[3].text);
    EXPECT_TRUE(read_all("").empty());
}

TEST(ExplainReader, CutsLongLinesAndGoesOn) {
    const std::string text = std::string(1000, 'x') + "\nnext\n";
    const auto lines = read_all(text, 100);
    ASSERT_EQ(2u, lines.size());
    EXPECT_EQ(100u, lines[0].text.size());
    EXPECT_EQ("next", lines[1].text);
    EXPECT_EQ(2, lines[1].number);
}

TEST(ExplainReader, ReadsLinesLongerThanItsBuffer) {
    const std::string text = std::string(200 * 1024, 'y') + "\n" + std::string(70 * 1024, 'z') + "\nend";
    const auto lines = read_all(text);
    ASSERT_EQ(3u, lines.size());
    EXPECT_EQ(kMaxLineLength, lines[0].text.size());
    EXPECT_EQ(kMaxLineLength, lines[1].text.size());
    EXPECT_EQ('z', lines[1].text.front());
    EXPECT_EQ("end", lines[2].text);
}

TEST(ExplainReader, JoinsAnOpenSshBannerIntoTheLineBeforeIt) {
    const auto lines = read_all(
        "cannot build on 'ssh://root@b': error: cannot connect to 'root@b': @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n");
    ASSERT_EQ(2u, lines.size());
    EXPECT_EQ("cannot build on 'ssh://root@b': error: cannot connect to 'root@b': WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!",
              lines[0].text);
    EXPECT_EQ(1, lines[0].number);
    EXPECT_EQ(4, lines[1].number);
}

TEST(ExplainReader, JoinsAStandaloneBanner) {
    const auto lines = read_all(
        "accepted connection\n@@@@@@@@@@@@@@@@@@@@@@@\n@ WARNING: UNPROTECTED PRIVATE KEY FILE! @\n@@@@@@@@@@@@@@@@@@@@@@@\nPermissions 0644");
    ASSERT_EQ(3u, lines.size());
    EXPECT_EQ("WARNING: UNPROTECTED PRIVATE KEY FILE!", lines[1].text);
    EXPECT_EQ(2, lines[1].number);
    EXPECT_EQ(5, lines[2].number);
}

TEST(ExplainReader, LeavesAtSignsAloneWhenTheyAreNotABanner) {
    const auto lines = read_all("user@@@@@@@@@@@@@host\n@@@@@@@@@@@@@@\nplain\n");
    ASSERT_EQ(3u, lines.size());
    EXPECT_EQ("@@@@@@@@@@@@@@", lines[1].text);
    const auto cut = read_all("@@@@@@@@@@@@@@@@\n@ half a banner @");
    ASSERT_EQ(2u, cut.size());
}

}  // namespace
