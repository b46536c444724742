// The live probes' progress hook (GatherOptions::progress): called, one call at a time, when a
// builder's probes start and end, with done/total and the builders still running. Two builders
// on loopback ports where a listener accepts and says nothing, so both run until --timeout.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "nix_builder_doctor/facts/gather.hpp"

namespace {

namespace fs = std::filesystem;

// A listening socket on 127.0.0.1 (the kernel accepts for it; nothing is ever sent).
struct SilentListener {
    int fd = -1;
    int port = 0;
    SilentListener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd, 8) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
            port = ntohs(a.sin_port);
    }
    ~SilentListener() { ::close(fd); }
};

TEST(LiveProgress, CalledAsBuildersStartAndEnd) {
    SilentListener one, two;
    ASSERT_GT(one.port, 0);
    ASSERT_GT(two.port, 0);
    char tmpl[] = "/tmp/nbd-progress-XXXXXX";
    const fs::path root = ::mkdtemp(tmpl);
    fs::create_directories(root / "etc" / "nix");
    std::ofstream(root / "etc" / "passwd") << "root:x:0:0:root:/root:/bin/sh\n";
    std::ofstream(root / "etc" / "group") << "root:x:0:\n";

    nbd::facts::GatherOptions options;
    options.root = root.string();
    options.user = "root";
    options.live = true;
    options.timeout_seconds = 0.6;
    options.builders_spec = "ssh://root@127.0.0.1:" + std::to_string(one.port) + " x86_64-linux; ssh://root@localhost:" +
                            std::to_string(two.port) + " x86_64-linux";
    std::mutex mutex;
    std::atomic<int> inside{0};
    bool overlapped = false;
    std::vector<nbd::facts::LiveProgress> seen;
    options.progress = [&](const nbd::facts::LiveProgress& p) {
        if (inside++ != 0) overlapped = true;
        {
            std::lock_guard<std::mutex> lock(mutex);
            seen.push_back(p);
        }
        --inside;
    };
    const auto start = std::chrono::steady_clock::now();
    const auto facts = nbd::facts::gather_facts(options);
    const auto took = std::chrono::steady_clock::now() - start;
    fs::remove_all(root);

    ASSERT_EQ(2u, facts["builders"].size());
    EXPECT_FALSE(overlapped);
    ASSERT_GE(seen.size(), 4u);  // two starts, two ends (and ticks while they wait)
    EXPECT_EQ(0u, seen.front().done);
    EXPECT_EQ(1u, seen.front().running.size());
    EXPECT_EQ(2u, seen.back().done);
    EXPECT_TRUE(seen.back().running.empty());
    bool both_running = false, tick_while_running = false;
    std::size_t last_done = 0;
    for (const auto& p : seen) {
        EXPECT_EQ(2u, p.total);
        EXPECT_GE(p.done, last_done);  // serialized: never goes back
        last_done = p.done;
        EXPECT_EQ(p.done + p.running.size() <= 2, true);
        if (p.running.size() == 2) {
            both_running = true;
            EXPECT_LE(p.running[0].started, p.running[1].started);  // oldest first
            EXPECT_TRUE((p.running[0].host == "127.0.0.1" && p.running[1].host == "localhost") ||
                        (p.running[0].host == "localhost" && p.running[1].host == "127.0.0.1"));
        }
    }
    // 600 ms of silence each, probed at once: the 250 ms tick came while both waited.
    tick_while_running = seen.size() > 4;
    EXPECT_TRUE(both_running);
    EXPECT_TRUE(tick_while_running);
    EXPECT_LT(took, std::chrono::milliseconds(3000));
}

}  // namespace
