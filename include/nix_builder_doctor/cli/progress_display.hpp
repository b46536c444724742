// Live progress on a terminal's stderr while builders are probed: "checking builders: 12 of 40
// done; slowest still running: mac-mini (4.2 s)". Drawn on one line, redrawn as builders finish
// and every quarter second, and erased before the report is printed. Never drawn when stderr is
// not a terminal (a pipe, a CI log) or TERM is "dumb"; it never reaches stdout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nbd::cli {

struct ProgressState {
    std::size_t done = 0;
    std::size_t total = 0;
    struct Running {
        std::string host;
        std::chrono::steady_clock::time_point started;
    };
    std::vector<Running> running;
};

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
    void update(ProgressState state);  // thread-safe
    void finish();                     // erase the line; idempotent

private:
    void draw_locked();
    void tick();

    int fd_;
    bool active_;
    bool finished_ = false;
    bool drawn_ = false;
    ProgressState state_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread ticker_;
};

}  // namespace nbd::cli
