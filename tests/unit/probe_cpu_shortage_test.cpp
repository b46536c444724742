// The CPU-shortage check: the kernel files it reads, and the share it computes from two samples.
#include <gtest/gtest.h>

#include <thread>

#include "nix_builder_doctor/probe/cpu_shortage.hpp"

using namespace nbd::probe;

TEST(CpuShortage, ReadsPressureSomeTotal) {
    EXPECT_EQ(parse_pressure_some_total("some avg10=1.00 avg60=0.50 avg300=0.10 total=123456\n"
                                        "full avg10=0.00 avg60=0.00 avg300=0.00 total=99\n"),
              123456u);
    // Kernels before 5.13 print no "full" line for cpu; the order of fields is not relied on.
    EXPECT_EQ(parse_pressure_some_total("some total=7 avg10=0.00"), 7u);
}

TEST(CpuShortage, RejectsPressureWithoutANumber) {
    EXPECT_FALSE(parse_pressure_some_total(""));
    EXPECT_FALSE(parse_pressure_some_total("full avg10=0.00 total=5\n"));
    EXPECT_FALSE(parse_pressure_some_total("some avg10=0.00 total=\n"));
    EXPECT_FALSE(parse_pressure_some_total("some total=12x\n"));
    EXPECT_FALSE(parse_pressure_some_total("some total=99999999999999999999999\n"));
}

TEST(CpuShortage, ReadsProcStatAggregateLine) {
    const auto t = parse_proc_stat("cpu  100 5 50 800 20 1 2 3 40 0\ncpu0 50 2 25 400 10 0 1 1 20 0\n");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->idle, 820u);   // idle + iowait
    EXPECT_EQ(t->total, 981u);  // guest columns are inside user and nice already
    EXPECT_FALSE(parse_proc_stat("cpu0 1 2 3 4\n"));
    EXPECT_FALSE(parse_proc_stat("cpu  1 2 3\n"));
    EXPECT_FALSE(parse_proc_stat("cpu  1 2 x 4 5\n"));
}

TEST(CpuShortage, ReadsCgroupV2PathOnly) {
    EXPECT_EQ(parse_cgroup_v2_path("12:cpu:/a\n0::/system.slice/nix-daemon.service\n"), "/system.slice/nix-daemon.service");
    EXPECT_EQ(parse_cgroup_v2_path("0::/\n"), "/");
    EXPECT_EQ(parse_cgroup_v2_path("1:name=systemd:/\n"), "");
    EXPECT_EQ(parse_cgroup_v2_path("0::/a/../../etc\n"), "");
    EXPECT_EQ(parse_cgroup_v2_path("0::relative\n"), "");
}

TEST(CpuShortage, ShareFromPressureOverWallTime) {
    CpuSample a, b;
    a.waiting_us = 1'000'000;
    b.waiting_us = 1'000'000 + 3'000'000;
    b.at = a.at + std::chrono::seconds(4);
    const auto share = cpu_shortage(a, b);
    ASSERT_TRUE(share);
    EXPECT_DOUBLE_EQ(*share, 0.75);
    b.waiting_us = 1'000'000 + 9'000'000;  // several tasks' waits never make more than all of it
    EXPECT_DOUBLE_EQ(*cpu_shortage(a, b), 1.0);
}

TEST(CpuShortage, FallsBackToBusyShareWithoutPressure) {
    CpuSample a, b;
    a.times = CpuTimes{100, 1000};
    b.times = CpuTimes{150, 1400};  // 400 jiffies passed, 50 of them idle
    b.at = a.at + std::chrono::seconds(2);
    EXPECT_DOUBLE_EQ(*cpu_shortage(a, b), 0.875);
    b.times = a.times;
    EXPECT_FALSE(cpu_shortage(a, b));  // no time passed on the CPUs
    EXPECT_FALSE(cpu_shortage(CpuSample{}, CpuSample{}));
}

TEST(CpuShortage, SamplesThisMachine) {
    const auto a = sample_cpu();
    EXPECT_TRUE(a.waiting_us || a.times) << "neither /proc/pressure/cpu nor /proc/stat was readable";
}

TEST(CpuShortage, HistoryAnswersForTheLastStretch) {
    CpuHistory history;
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    const auto end = std::chrono::steady_clock::now();
    const auto share = history.shortage_until(start + std::chrono::milliseconds(100), end);
    ASSERT_TRUE(share);
    EXPECT_GE(*share, 0.0);
    EXPECT_LE(*share, 1.0);
    // A stretch before the first sample is measured from the first sample.
    EXPECT_TRUE(history.shortage_until(start - std::chrono::hours(1), end));
}
