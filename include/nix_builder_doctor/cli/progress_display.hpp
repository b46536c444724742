// Live progress on a terminal's stderr while builders are probed: "checking builders: 12 of 40
// done; slowest still running: mac-mini (4.2 s)". Drawn on one line, redrawn on each update
// (gather_live sends one as builders start and finish, and every 250 ms), and erased before the
// report is printed. Never drawn when stderr is
// not a terminal (a pipe, a CI log) or TERM is "dumb"; it never reaches stdout.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "nix_builder_doctor/facts/gather.hpp"

namespace nbd::cli {

// What gather_live reports as builders start and finish, and every 250 ms.
using ProgressState = facts::LiveProgress;

// The line for a state at `now`, at most `width` columns (the host is shortened to fit).
std::string progress_line(const ProgressState& state, std::chrono::steady_clock::time_point now, std::size_t width);

// Whether progress would be drawn on this descriptor (a terminal, TERM not dumb).
bool progress_wanted(int fd);

class ProgressDisplay {
public:
    explicit ProgressDisplay(int fd);  // inactive unless progress_wanted(fd)
    ~ProgressDisplay();
    ProgressDisplay(const ProgressDisplay&) = delete;
    ProgressDisplay& operator=(const ProgressDisplay&) = delete;

    bool active() const { return active_; }
    void update(const ProgressState& state);  // thread-safe
    void finish();                     // erase the line; idempotent

private:
    void draw_locked();

    int fd_;
    bool active_;
    bool finished_ = false;
    bool drawn_ = false;
    ProgressState state_;
    std::mutex mutex_;
};

}  // namespace nbd::cli
