#include "nix_builder_doctor/probe/deadline.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace nbd::probe {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

milliseconds Deadline::remaining() const {
    const auto left = duration_cast<milliseconds>(m_end - Clock::now());
    return std::max(left, milliseconds{0});
}

long Deadline::elapsed_ms() const {
    return static_cast<long>(duration_cast<milliseconds>(Clock::now() - m_start).count());
}

namespace {

// The next wait: at most one slice, never past `limit`; rounded up so that a wait of less than
// a millisecond does not become a busy loop of zero-timeout polls.
int slice_ms(Deadline::Clock::time_point limit) {
    const auto left = limit - Deadline::Clock::now();
    if (left <= Deadline::Clock::duration::zero()) return 0;
    const auto ms = std::chrono::ceil<milliseconds>(left);
    return static_cast<int>(std::min(ms, Deadline::kSlice).count());
}

}  // namespace

WaitResult wait_fd(int fd, short events, const Deadline& deadline, short* revents,
                   Deadline::Clock::time_point until) {
    const auto limit = std::min(until, deadline.end());
    for (;;) {
        if (deadline.cancelled()) return WaitResult::cancelled;
        const int timeout = slice_ms(limit);
        if (timeout == 0) return WaitResult::timeout;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, timeout);
        if (n > 0) {
            if (revents != nullptr) *revents = p.revents;
            return WaitResult::ready;
        }
        if (n < 0 && errno != EINTR) {
            // poll itself failed (EBADF, ENOMEM): report the fd as ready so the caller's next
            // read or write surfaces the real error instead of spinning here.
            if (revents != nullptr) *revents = POLLERR;
            return WaitResult::ready;
        }
    }
}

WaitResult sleep_for(milliseconds duration, const Deadline& deadline) {
    const auto limit = std::min(Deadline::Clock::now() + duration, deadline.end());
    for (;;) {
        if (deadline.cancelled()) return WaitResult::cancelled;
        const int timeout = slice_ms(limit);
        if (timeout == 0) return deadline.expired() ? WaitResult::timeout : WaitResult::ready;
        std::this_thread::sleep_for(milliseconds{timeout});
    }
}

}  // namespace nbd::probe
