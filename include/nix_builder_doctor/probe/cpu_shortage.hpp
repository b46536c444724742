// How short of CPU this machine was while a probe ran. A probe that ran out of time while this
// machine's tasks waited for a CPU most of that time may have been starved here (dozens of ssh
// key exchanges at once on two cores), not stalled on the builder: such a builder is probed
// again before anything is said about it. Read from the kernel's pressure stall information
// (the doctor's own cgroup's cpu.pressure, else
// /proc/pressure/cpu), else from the busy share of /proc/stat. Reads only; bounded reads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <string_view>

namespace nbd::probe {

// "some ... total=N" of a cpu.pressure file: microseconds during which at least one task waited
// for a CPU. nullopt when no such line is there or its number does not parse.
std::optional<std::uint64_t> parse_pressure_some_total(std::string_view text);

// Idle (idle + iowait) and total jiffies of /proc/stat's aggregate "cpu " line.
struct CpuTimes {
    std::uint64_t idle = 0;
    std::uint64_t total = 0;
};
std::optional<CpuTimes> parse_proc_stat(std::string_view text);

// The cgroup v2 path of "0::/path" in /proc/self/cgroup's text ("" when absent or unsafe).
std::string parse_cgroup_v2_path(std::string_view text);

struct CpuSample {
    std::chrono::steady_clock::time_point at;
    std::optional<std::uint64_t> waiting_us;  // PSI "some" total
    std::optional<CpuTimes> times;            // /proc/stat
};

// Reads the current figures of this machine.
CpuSample sample_cpu();

// The share (0..1) of the time between two samples during which this machine was short of CPU:
// PSI's waiting time over the wall time when both samples have it, else the busy share of all
// CPUs. nullopt when neither is known or no time passed.
std::optional<double> cpu_shortage(const CpuSample& before, const CpuSample& after);

// Samples this machine every kInterval while it lives (at most kKept samples, the oldest
// dropped), so that a probe that just ended can ask how short of CPU the machine was over
// the last part of its deadline: the stretch in which a starved ssh missed it.
class CpuHistory {
  public:
    static constexpr std::chrono::milliseconds kInterval{100};
    static constexpr std::size_t kKept = 6000;  // ten minutes

    CpuHistory();
    ~CpuHistory();
    CpuHistory(const CpuHistory&) = delete;
    CpuHistory& operator=(const CpuHistory&) = delete;

    // The shortage from the last sample taken at or before `from` (else the oldest) to the first
    // taken at or after `to` (else a sample taken now).
    std::optional<double> shortage_until(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to);

  private:
    void run();
    std::mutex m_mutex;
    std::condition_variable m_stop_signal;
    bool m_stop = false;
    std::deque<CpuSample> m_samples;
    std::thread m_thread;
};

}  // namespace nbd::probe
