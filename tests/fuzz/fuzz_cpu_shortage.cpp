// libFuzzer target: the kernel files the CPU-shortage check reads (cpu.pressure, /proc/stat,
// /proc/self/cgroup). None may crash; a share is always within 0..1.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nix_builder_doctor/probe/cpu_shortage.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    nbd::probe::CpuSample a, b;
    a.waiting_us = nbd::probe::parse_pressure_some_total(text);
    a.times = nbd::probe::parse_proc_stat(text);
    b = a;
    b.at = a.at + std::chrono::milliseconds(1 + static_cast<int>(size % 1000));
    if (b.waiting_us) *b.waiting_us += size;
    if (b.times) b.times->total += size;
    if (const auto share = nbd::probe::cpu_shortage(a, b); share && (*share < 0.0 || *share > 1.0)) std::abort();
    const auto path = nbd::probe::parse_cgroup_v2_path(text);
    if (!path.empty() && (path[0] != '/' || path.find("/..") != std::string::npos)) std::abort();
    return 0;
}
