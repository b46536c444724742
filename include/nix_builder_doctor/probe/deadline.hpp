// One deadline for every stage of a probe, plus the caller's cancel flag (Ctrl-C). Every wait in
// probe/ goes through wait_fd(), which polls in slices of at most kSlice so that a cancel is seen
// within that time and no wait ever outlives the deadline.
#pragma once

#include <atomic>
#include <chrono>

namespace nbd::probe {

class Deadline {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kSlice{100};

    Deadline(std::chrono::milliseconds budget, const std::atomic<bool>* cancel = nullptr)
        : m_start(Clock::now()), m_end(m_start + budget), m_cancel(cancel) {}

    bool expired() const { return Clock::now() >= m_end; }
    bool cancelled() const { return m_cancel != nullptr && m_cancel->load(); }
    // True when the probe must stop waiting: the deadline passed or the caller cancelled.
    bool stop() const { return cancelled() || expired(); }
    std::chrono::milliseconds remaining() const;
    Clock::time_point end() const { return m_end; }
    // Milliseconds since the deadline was created.
    long elapsed_ms() const;

  private:
    Clock::time_point m_start;
    Clock::time_point m_end;
    const std::atomic<bool>* m_cancel;
};

enum class WaitResult { ready, timeout, cancelled };

// Polls `fd` for `events` until it is ready, the deadline passes, the cancel flag is set, or
// `until` (an earlier limit of the caller's, e.g. one address's share of the deadline) passes.
// `revents` receives poll's revents when ready.
WaitResult wait_fd(int fd, short events, const Deadline& deadline, short* revents = nullptr,
                   Deadline::Clock::time_point until = Deadline::Clock::time_point::max());

// Sleeps at most `duration` in slices, returning early on cancel or at the deadline.
WaitResult sleep_for(std::chrono::milliseconds duration, const Deadline& deadline);

}  // namespace nbd::probe
