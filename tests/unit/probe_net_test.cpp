// The parts of the probe below SSH that need no server: identification-line scanning, name
// resolution with a deadline (with a resolver that stalls, as getaddrinfo does when the DNS
// server does not answer), and the deadline itself.
#include <gtest/gtest.h>
#include <netdb.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "nix_builder_doctor/probe/deadline.hpp"
#include "nix_builder_doctor/probe/net.hpp"

namespace nbd::probe {
namespace {

using namespace std::chrono_literals;
using Kind = BannerScan::Kind;

TEST(ProbeBannerScan, IdentificationLine) {
    const BannerScan s = scan_banner("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n");
    EXPECT_EQ(s.kind, Kind::ssh);
    EXPECT_EQ(s.offset, 0u);
    EXPECT_EQ(s.line, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10");
}

TEST(ProbeBannerScan, BareLfAndProtocol199AreAccepted) {
    EXPECT_EQ(scan_banner("SSH-2.0-dropbear\n").kind, Kind::ssh);
    EXPECT_EQ(scan_banner("SSH-1.99-Cisco-1.25\r\n").kind, Kind::ssh);
}

TEST(ProbeBannerScan, PartialLineNeedsMore) {
    EXPECT_EQ(scan_banner("").kind, Kind::need_more);
    EXPECT_EQ(scan_banner("SSH-2.0-Open").kind, Kind::need_more);
    EXPECT_EQ(scan_banner("Welcome\r\n").kind, Kind::need_more);  // may precede the line
}

TEST(ProbeBannerScan, LinesBeforeTheIdentificationLine) {
    const std::string text = "Welcome\r\nNo trespassing\r\nSSH-2.0-X\r\n";
    const BannerScan s = scan_banner(text);
    EXPECT_EQ(s.kind, Kind::ssh);
    EXPECT_EQ(s.offset, text.find("SSH-"));
    EXPECT_EQ(s.line, "SSH-2.0-X");
    EXPECT_EQ(s.first_line, "Welcome");
}

TEST(ProbeBannerScan, OtherProtocolsAreNotSsh) {
    EXPECT_EQ(scan_banner("SSH-1.5-Old\r\n").kind, Kind::not_ssh);
    EXPECT_EQ(scan_banner(std::string("\x16\x03\x01\x00", 4)).kind, Kind::not_ssh);
    EXPECT_EQ(scan_banner(std::string(kMaxBannerSearch, 'x')).kind, Kind::not_ssh);
    const BannerScan http = scan_banner("HTTP/1.0 400 Bad Request\r\n");
    EXPECT_EQ(http.kind, Kind::need_more);  // decided by what follows: more text, close, time
    EXPECT_EQ(http.first_line, "HTTP/1.0 400 Bad Request");
}

TEST(ProbeBannerScan, FirstLineIsPrintableAndShort) {
    const BannerScan s = scan_banner(std::string(300, 'a') + "\x1b[31m\n");
    EXPECT_LE(s.first_line.size(), 130u);
    EXPECT_EQ(s.first_line.find('\x1b'), std::string::npos);
}

TEST(ProbeResolve, LiteralsNeedNoLookup) {
    const Deadline d(1s);
    int calls = 0;
    Resolver counting = [&calls](const char* h, const char* s, const addrinfo* hints,
                                 addrinfo** r) {
        ++calls;
        return ::getaddrinfo(h, s, hints, r);
    };
    ResolveResult r = resolve("127.0.0.2", 22, d, counting);
    EXPECT_EQ(r.outcome, "ok");
    ASSERT_EQ(r.addresses.size(), 1u);
    EXPECT_EQ(r.addresses[0].text, "127.0.0.2:22");
    r = resolve("[::1]", 2222, d, counting);
    EXPECT_EQ(r.outcome, "ok");
    ASSERT_EQ(r.addresses.size(), 1u);
    EXPECT_EQ(r.addresses[0].text, "[::1]:2222");
    EXPECT_EQ(calls, 0);
}

TEST(ProbeResolve, NameFromHostsFile) {
    const ResolveResult r = resolve("localhost", 22, Deadline(5s));
    EXPECT_EQ(r.outcome, "ok") << r.detail;
    EXPECT_FALSE(r.addresses.empty());
}

TEST(ProbeResolve, FailuresAreClassified) {
    Resolver noname = [](const char*, const char*, const addrinfo*, addrinfo**) {
        return EAI_NONAME;
    };
    Resolver again = [](const char*, const char*, const addrinfo*, addrinfo**) {
        return EAI_AGAIN;
    };
    EXPECT_EQ(resolve("builder.invalid", 22, Deadline(5s), noname).outcome, "no_such_host");
    EXPECT_EQ(resolve("builder.invalid", 22, Deadline(5s), again).outcome, "dns_timeout");
    EXPECT_EQ(resolve("", 22, Deadline(5s)).outcome, "error");
    EXPECT_EQ(resolve("127.0.0.1", 0, Deadline(5s)).outcome, "error");
    EXPECT_EQ(resolve("127.0.0.1", 65536, Deadline(5s)).outcome, "error");
}

// Stands for getaddrinfo when the DNS server does not answer.
int stalled_resolver(const char*, const char*, const addrinfo*, addrinfo**) {
    std::this_thread::sleep_for(1500ms);
    return EAI_AGAIN;
}

TEST(ProbeResolve, StalledLookupEndsAtTheDeadline) {
    const auto start = std::chrono::steady_clock::now();
    const ResolveResult r = resolve("builder.example", 22, Deadline(200ms), stalled_resolver);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
    EXPECT_EQ(r.outcome, "dns_timeout");
}

TEST(ProbeResolve, StalledLookupEndsOnCancel) {
    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(100ms);
        cancel = true;
    });
    const auto start = std::chrono::steady_clock::now();
    const ResolveResult r =
        resolve("builder.example", 22, Deadline(10s, &cancel), stalled_resolver);
    canceller.join();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
    EXPECT_EQ(r.outcome, "cancelled");
}

TEST(ProbeDeadline, RemainingNeverNegative) {
    const Deadline d(0ms);
    EXPECT_TRUE(d.expired());
    EXPECT_EQ(d.remaining().count(), 0);
    EXPECT_EQ(sleep_for(50ms, d), WaitResult::timeout);
}

TEST(ProbeDeadline, SleepIsCutByCancel) {
    std::atomic<bool> cancel{true};
    const Deadline d(10s, &cancel);
    EXPECT_TRUE(d.stop());
    EXPECT_EQ(sleep_for(5s, d), WaitResult::cancelled);
}

}  // namespace
}  // namespace nbd::probe
