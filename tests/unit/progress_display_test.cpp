// The progress line drawn on a terminal's stderr during live checks (cli/progress_display).
#include "nix_builder_doctor/cli/progress_display.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace {

using nbd::cli::ProgressState;
using namespace std::chrono_literals;

TEST(ProgressLine, SaysHowManyAreDoneAndWhichIsSlowest) {
    const auto now = std::chrono::steady_clock::now();
    ProgressState state;
    state.done = 12;
    state.total = 40;
    state.running = {{"fast.example.org", now - 1s}, {"mac-mini", now - 4200ms}};
    EXPECT_EQ("checking builders: 12 of 40 done; slowest still running: mac-mini (4.2 s)", nbd::cli::progress_line(state, now, 120));
}

TEST(ProgressLine, NothingRunningShowsTheCountOnly) {
    ProgressState state;
    state.done = 40;
    state.total = 40;
    EXPECT_EQ("checking builders: 40 of 40 done", nbd::cli::progress_line(state, std::chrono::steady_clock::now(), 80));
}

TEST(ProgressLine, FitsTheTerminalAndShowsHostileNamesInert) {
    const auto now = std::chrono::steady_clock::now();
    ProgressState state;
    state.done = 1;
    state.total = 2;
    state.running = {{"evil\x1b]0;pwned\x07" + std::string(200, 'a'), now - 1s}};
    const std::string line = nbd::cli::progress_line(state, now, 60);
    EXPECT_LT(line.size(), 60u);
    EXPECT_EQ(std::string::npos, line.find('\x1b')) << line;
    EXPECT_EQ(std::string::npos, line.find('\x07')) << line;
}

TEST(ProgressDisplay, DrawsNothingWhenStderrIsNotATerminal) {
    int fds[2];
    ASSERT_EQ(0, ::pipe(fds));
    {
        nbd::cli::ProgressDisplay display(fds[1]);
        EXPECT_FALSE(display.active()) << "a pipe never gets progress";
        ProgressState state;
        state.total = 3;
        display.update(state);
        display.finish();
    }
    ::close(fds[1]);
    char c;
    EXPECT_EQ(0, ::read(fds[0], &c, 1)) << "nothing was written to the pipe";
    ::close(fds[0]);
}

}  // namespace
