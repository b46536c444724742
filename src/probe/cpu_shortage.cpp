#include "nix_builder_doctor/probe/cpu_shortage.hpp"

#include <charconv>
#include <fstream>
#include <vector>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::probe {

namespace {

constexpr std::size_t kReadLimit = 4096;  // /proc/stat grows with the CPUs: its first line is enough

std::string read_bounded(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    std::string text(kReadLimit, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

std::optional<std::uint64_t> to_number(std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::string_view first_line_starting(std::string_view text, std::string_view prefix) {
    for (const auto line : util::split_lines(text))
        if (util::starts_with(line, prefix)) return line;
    return {};
}

}  // namespace

std::optional<std::uint64_t> parse_pressure_some_total(std::string_view text) {
    const auto line = first_line_starting(text, "some ");
    for (const auto& w : util::split_tokens(line, " \t"))
        if (w.rfind("total=", 0) == 0) return to_number(std::string_view(w).substr(6));
    return std::nullopt;
}

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
    const auto parts = util::split_tokens(first_line_starting(text, "cpu "), " \t");
    // cpu user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is
    // already counted in user and nice.
    if (parts.size() < 5) return std::nullopt;
    CpuTimes t;
    for (std::size_t i = 1; i < parts.size() && i <= 8; ++i) {
        const auto v = to_number(parts[i]);
        if (!v) return std::nullopt;
        if (*v > UINT64_MAX - t.total) return std::nullopt;
        t.total += *v;
        if (i == 4 || i == 5) t.idle += *v;
    }
    return t;
}

std::string parse_cgroup_v2_path(std::string_view text) {
    const auto line = first_line_starting(text, "0::");
    if (line.empty()) return "";
    std::string path(line.substr(3));
    if (path.empty() || path[0] != '/' || path.find("/..") != std::string::npos || path.find('\0') != std::string::npos)
        return "";
    return path;
}

CpuSample sample_cpu() {
    CpuSample s;
    s.at = std::chrono::steady_clock::now();
    const auto cgroup = parse_cgroup_v2_path(read_bounded("/proc/self/cgroup"));
    if (!cgroup.empty()) s.waiting_us = parse_pressure_some_total(read_bounded("/sys/fs/cgroup" + cgroup + "/cpu.pressure"));
    if (!s.waiting_us) s.waiting_us = parse_pressure_some_total(read_bounded("/proc/pressure/cpu"));
    if (!s.waiting_us) s.times = parse_proc_stat(read_bounded("/proc/stat"));
    return s;
}

std::optional<double> cpu_shortage(const CpuSample& before, const CpuSample& after) {
    const auto wall_us = std::chrono::duration_cast<std::chrono::microseconds>(after.at - before.at).count();
    if (before.waiting_us && after.waiting_us && wall_us > 0 && *after.waiting_us >= *before.waiting_us)
        return std::min(1.0, static_cast<double>(*after.waiting_us - *before.waiting_us) / static_cast<double>(wall_us));
    if (before.times && after.times && after.times->total > before.times->total && after.times->idle >= before.times->idle) {
        const double total = static_cast<double>(after.times->total - before.times->total);
        const double idle = static_cast<double>(after.times->idle - before.times->idle);
        return std::max(0.0, std::min(1.0, 1.0 - idle / total));
    }
    return std::nullopt;
}

CpuHistory::CpuHistory() {
    m_samples.push_back(sample_cpu());
    m_thread = std::thread([this] { run(); });
}

CpuHistory::~CpuHistory() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stop = true;
    }
    m_stop_signal.notify_all();
    m_thread.join();
}

void CpuHistory::run() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (!m_stop_signal.wait_for(lock, kInterval, [this] { return m_stop; })) {
        lock.unlock();
        auto sample = sample_cpu();
        lock.lock();
        m_samples.push_back(std::move(sample));
        if (m_samples.size() > kKept) m_samples.pop_front();
    }
}

std::optional<double> CpuHistory::shortage_until(std::chrono::steady_clock::time_point from,
                                                 std::chrono::steady_clock::time_point to) {
    CpuSample first, last;
    bool have_last = false;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        first = m_samples.front();
        for (const auto& s : m_samples) {
            if (s.at <= from) first = s;
            if (s.at >= to) {
                last = s;
                have_last = true;
                break;
            }
        }
    }
    return cpu_shortage(first, have_last ? last : sample_cpu());
}

}  // namespace nbd::probe
