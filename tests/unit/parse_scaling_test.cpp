// Include fan-outs (a file included many times, directly or through others) must cost work in
// the distinct files, not in the number of times they are included: each file is read and split
// once per parse. These count the reads (a work counter, not a timer: robust on a loaded
// machine); before the fix every include re-read and re-split its file, up to the 256-file
// budget, and that kept the fuzzers at a few dozen runs a second.
#include <gtest/gtest.h>

#include <string>

#include "nix_builder_doctor/parse/machines.hpp"
#include "nix_builder_doctor/parse/nix_conf.hpp"

namespace {

using namespace nbd::parse;

// /f/0 includes /f/1 twice, /f/1 includes /f/2 twice, ...: 2^depth include events, depth+1 files.
std::string fan_out_file(int i, int depth, const std::string& keyword, std::size_t filler_lines) {
    std::string text;
    for (std::size_t k = 0; k < filler_lines; ++k) text += keyword == "include" ? "max-jobs = 4\n" : "ssh://b x86_64-linux\n";
    if (i < depth)
        for (int twice = 0; twice < 2; ++twice)
            text += (keyword == "include" ? "include /f/" : "@/f/") + std::to_string(i + 1) + "\n";
    return text;
}

TEST(ParseScaling, NixConfReadsEachIncludedFileOnce) {
    constexpr int kDepth = 12;  // 2^12 include events, cut by the 256-file budget
    int reads = 0;
    IncludeSource s;
    s.read = [&](const std::string& path) {
        ++reads;
        return ReadResult{ReadStatus::ok, fan_out_file(std::stoi(path.substr(3)), kDepth, "include", 200), {}};
    };
    const auto c = parse_nix_conf(fan_out_file(0, kDepth, "include", 0), "/etc/nix/nix.conf", s);
    EXPECT_EQ(kDepth, reads);  // /f/1 ... /f/12, once each
    // The result is still the one of every include followed (up to the budget, which is named).
    EXPECT_EQ(257u, c.files.size());
    ASSERT_FALSE(c.limits.empty());
    EXPECT_EQ("included files", c.limits.front().bound);
    EXPECT_EQ(256u * 200u, c.assignments.size());
}

TEST(ParseScaling, MachinesReadsEachAtFileOnce) {
    constexpr int kDepth = 12;
    int reads = 0;
    IncludeSource s;
    s.read = [&](const std::string& path) {
        ++reads;
        return ReadResult{ReadStatus::ok, fan_out_file(std::stoi(path.substr(3)), kDepth, "@", 2), {}};
    };
    const auto m = parse_machines(fan_out_file(0, kDepth, "@", 0), "/etc/nix/machines", 0, s);
    EXPECT_EQ(kDepth, reads);
    EXPECT_EQ(256u * 2u, m.machines.size());
    ASSERT_FALSE(m.limits.empty());
    EXPECT_EQ("machines files", m.limits.front().bound);
}

TEST(ParseScaling, MachinesPastTheBuildersBoundReadNoMoreFiles) {
    // 10000 builders fill the bound; the `@file` lines after it could only add builders that are
    // not kept, so they are not read (the bound itself is reported).
    std::string text;
    for (int i = 0; i < 10001; ++i) text += "ssh://b" + std::to_string(i) + " x86_64-linux\n";
    for (int i = 0; i < 200; ++i) text += "@/f/" + std::to_string(i) + "\n";
    int reads = 0;
    IncludeSource s;
    s.read = [&](const std::string&) {
        ++reads;
        return ReadResult{ReadStatus::ok, text, {}};
    };
    const auto m = parse_machines(text, "/etc/nix/machines", 0, s);
    EXPECT_EQ(0, reads);
    EXPECT_EQ(10000u, m.machines.size());
    ASSERT_EQ(1u, m.limits.size());
    EXPECT_EQ("builders", m.limits[0].bound);
}

TEST(ParseScaling, NixConfOfOneMebibyteOfSettingsParses) {
    // 1 MiB of settings with the same few names (each resolved once), under the CTest timeout.
    std::string text;
    while (text.size() < (1u << 20)) text += "extra-substituters = https://a.example https://b.example\nmax-jobs = 4\n";
    const auto c = parse_nix_conf(text, "/etc/nix/nix.conf", {});
    EXPECT_GT(c.assignments.size(), 10000u);
    ASSERT_NE(nullptr, c.get("max-jobs"));
    EXPECT_EQ("4", c.get("max-jobs")->value);
}

}  // namespace
