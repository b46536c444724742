#include "nix_builder_doctor/cli/progress_display.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "nix_builder_doctor/util/output.hpp"

namespace nbd::cli {
namespace {

std::size_t terminal_width(int fd) {
    winsize size{};
    if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col;
    return 80;
}

void write_all(int fd, const std::string& text) {
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n <= 0) return;  // a closed terminal: progress is not worth an error
        written += static_cast<std::size_t>(n);
    }
}

}  // namespace

std::string progress_line(const ProgressState& state, std::chrono::steady_clock::time_point now, std::size_t width) {
    std::string line = "checking builders: " + std::to_string(state.done) + " of " + std::to_string(state.total) + " done";
    const ProgressState::Running* slowest = nullptr;
    for (const auto& r : state.running)
        if (!slowest || r.started < slowest->started) slowest = &r;
    if (slowest) {
        const double seconds = std::chrono::duration<double>(now - slowest->started).count();
        char elapsed[32];
        std::snprintf(elapsed, sizeof elapsed, " (%.1f s)", seconds < 0 ? 0.0 : seconds);
        const std::string prefix = line + "; slowest still running: ";
        // A hostile host name must not move the cursor: shown as the report shows it.
        std::string host = util::safe_text(slowest->host);
        const std::size_t room = width > prefix.size() + std::strlen(elapsed) + 1 ? width - prefix.size() - std::strlen(elapsed) - 1 : 0;
        if (host.size() > room) host = room > 3 ? host.substr(0, room - 3) + "..." : "";
        if (!host.empty()) line = prefix + host + elapsed;
    }
    if (line.size() >= width) line.resize(width - 1);
    return line;
}

bool progress_wanted(int fd) {
    if (!::isatty(fd)) return false;
    const char* term = std::getenv("TERM");
    return !(term && std::strcmp(term, "dumb") == 0);
}

ProgressDisplay::ProgressDisplay(int fd) : fd_(fd), active_(progress_wanted(fd)) {}

ProgressDisplay::~ProgressDisplay() { finish(); }

void ProgressDisplay::update(const ProgressState& state) {
    if (!active_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    state_ = state;
    draw_locked();
}

void ProgressDisplay::draw_locked() {
    // Carriage return, the line, then erase to the end of the line: one line, redrawn in place.
    write_all(fd_, "\r" + progress_line(state_, std::chrono::steady_clock::now(), terminal_width(fd_)) + "\x1b[K");
    drawn_ = true;
}

void ProgressDisplay::finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
    if (drawn_) write_all(fd_, "\r\x1b[K");
}

}  // namespace nbd::cli
