// The X-ray against things that are not (working) SSH servers, all on 127.0.0.1: a closed port,
// a listener that never speaks, one that answers HTTP, one that resets; the deadline and the
// cancel flag must hold against each, also with several probes at once.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nix_builder_doctor/probe/xray.hpp"
#include "hostile_peer.hpp"

namespace nbd::probe {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long listener_ms_since(Clock::time_point t) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

// A TCP listener on 127.0.0.1 that treats every connection the same way.
class FakeServer {
  public:
    enum class Mode {
        silent,  // accepts and never speaks
        text,    // sends `reply` and closes
        reset,   // accepts and resets (SO_LINGER 0)
        linger   // sends `reply` and keeps the connection open
    };

    explicit FakeServer(Mode mode, std::string reply = "")
        : m_mode(mode), m_reply(std::move(reply)) {
        m_listen = nbd_test::listen_on_loopback(64, m_port);
        EXPECT_GE(m_listen, 0);
        m_thread = std::thread([this] { serve(); });
    }
    ~FakeServer() {
        m_stop = true;
        m_thread.join();
        for (int fd : m_held) ::close(fd);
        ::close(m_listen);
    }
    int port() const { return m_port; }

  private:
    void serve() {
        pollfd p{m_listen, POLLIN, 0};
        while (!m_stop) {
            if (::poll(&p, 1, 20) <= 0) continue;
            const int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            switch (m_mode) {
                case Mode::silent:
                    m_held.push_back(fd);
                    break;
                case Mode::text:
                    ::send(fd, m_reply.data(), m_reply.size(), MSG_NOSIGNAL);
                    ::shutdown(fd, SHUT_WR);
                    m_held.push_back(fd);  // closed at the end: no RST from unread data
                    break;
                case Mode::reset: {
                    linger l{1, 0};
                    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                    ::close(fd);
                    break;
                }
                case Mode::linger:
                    ::send(fd, m_reply.data(), m_reply.size(), MSG_NOSIGNAL);
                    m_held.push_back(fd);
                    break;
            }
        }
    }

    Mode m_mode;
    std::string m_reply;
    int m_listen = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::vector<int> m_held;
    std::thread m_thread;
};

XrayTarget listener_target(int port, std::chrono::milliseconds deadline) {
    XrayTarget t;
    t.host = "127.0.0.1";
    t.port = port;
    t.user = "root";
    t.deadline = deadline;
    t.keys.push_back(
        {"/k.pub",
         "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWenVNa3",
         "test"});
    return t;
}

const Stage& last(const XrayResult& r) { return r.stages.back(); }

int closed_port() {
    // Bound and released: nothing listens there now.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

TEST(ProbeXrayListener, ClosedPortIsRefusedQuickly) {
    const auto start = Clock::now();
    const XrayResult r = run_xray(listener_target(closed_port(), 10s));
    EXPECT_LT(listener_ms_since(start), 1000);
    ASSERT_EQ(r.stages.size(), 2u);
    EXPECT_EQ(r.stages[0].name, "dns");
    EXPECT_EQ(r.stages[0].outcome, "ok");
    EXPECT_EQ(last(r).name, "tcp");
    EXPECT_EQ(last(r).outcome, "refused") << last(r).detail;
    EXPECT_TRUE(r.completed_within_deadline);
    EXPECT_TRUE(r.keys.empty());
}

TEST(ProbeXrayListener, LocalhostIsLookedUpAndEveryAddressTried) {
    const int port = closed_port();
    XrayTarget t = listener_target(port, 5s);
    t.host = "localhost";
    const XrayResult r = run_xray(t);
    ASSERT_GE(r.stages.size(), 2u);
    EXPECT_EQ(r.stages[0].outcome, "ok") << r.stages[0].detail;
    EXPECT_FALSE(r.addresses.empty());
    EXPECT_EQ(last(r).outcome, "refused") << last(r).detail;
    for (const std::string& a : r.addresses)
        EXPECT_NE(last(r).detail.find(a), std::string::npos) << a << " not tried";
}

TEST(ProbeXrayListener, SilentListenerIsBannerTimeoutAtTheDeadline) {
    FakeServer server(FakeServer::Mode::silent);
    const auto start = Clock::now();
    const XrayResult r = run_xray(listener_target(server.port(), 1500ms));
    const long elapsed = listener_ms_since(start);
    EXPECT_GE(elapsed, 1400);
    EXPECT_LT(elapsed, 5000);
    EXPECT_EQ(last(r).name, "banner");
    EXPECT_EQ(last(r).outcome, "timeout") << last(r).detail;
    EXPECT_FALSE(r.completed_within_deadline);
    EXPECT_FALSE(r.cancelled);
}

TEST(ProbeXrayListener, HttpAnswerIsNotSsh) {
    FakeServer server(FakeServer::Mode::text, "HTTP/1.0 400 Bad Request\r\n");
    const XrayResult r = run_xray(listener_target(server.port(), 5s));
    EXPECT_EQ(last(r).name, "banner");
    EXPECT_EQ(last(r).outcome, "not_ssh") << last(r).detail;
    EXPECT_NE(last(r).detail.find("HTTP/1.0 400 Bad Request"), std::string::npos);
    EXPECT_TRUE(r.completed_within_deadline);
}

TEST(ProbeXrayListener, TextThatStaysOpenIsNotSshSoonAfterTheFirstLine) {
    FakeServer server(FakeServer::Mode::linger, "220 mail.example.org ESMTP\r\n");
    const auto start = Clock::now();
    const XrayResult r = run_xray(listener_target(server.port(), 10s));
    EXPECT_LT(listener_ms_since(start), 3000);
    EXPECT_EQ(last(r).outcome, "not_ssh") << last(r).detail;
    EXPECT_NE(last(r).detail.find("220 mail.example.org"), std::string::npos);
}

TEST(ProbeXrayListener, BinaryAnswerIsNotSshAtOnce) {
    FakeServer server(FakeServer::Mode::linger, std::string("\x15\x03\x01\x00\x02\x02\x46", 7));
    const auto start = Clock::now();
    const XrayResult r = run_xray(listener_target(server.port(), 10s));
    EXPECT_LT(listener_ms_since(start), 2000);
    EXPECT_EQ(last(r).outcome, "not_ssh") << last(r).detail;
}

TEST(ProbeXrayListener, OldProtocolVersionIsNotSsh) {
    FakeServer server(FakeServer::Mode::linger, "SSH-1.5-OldServer\r\n");
    const XrayResult r = run_xray(listener_target(server.port(), 5s));
    EXPECT_EQ(last(r).outcome, "not_ssh") << last(r).detail;
    EXPECT_NE(last(r).detail.find("SSH-1.5-OldServer"), std::string::npos);
}

TEST(ProbeXrayListener, ResetBeforeBannerIsClosed) {
    FakeServer server(FakeServer::Mode::reset);
    const XrayResult r = run_xray(listener_target(server.port(), 5s));
    EXPECT_EQ(last(r).name, "banner");
    EXPECT_EQ(last(r).outcome, "closed") << last(r).detail;
    EXPECT_TRUE(r.completed_within_deadline);
}

TEST(ProbeXrayListener, BannerThenSilenceIsKexTimeout) {
    FakeServer server(FakeServer::Mode::linger, "SSH-2.0-Fake_1.0\r\n");
    const auto start = Clock::now();
    const XrayResult r = run_xray(listener_target(server.port(), 1500ms));
    EXPECT_LT(listener_ms_since(start), 5000);
    ASSERT_NE(r.stage("banner"), nullptr);
    EXPECT_EQ(r.stage("banner")->outcome, "ok");
    EXPECT_EQ(r.banner, "SSH-2.0-Fake_1.0");
    EXPECT_EQ(last(r).name, "kex");
    EXPECT_EQ(last(r).outcome, "timeout") << last(r).detail;
}

TEST(ProbeXrayListener, BannerThenGarbageIsKexFailedOrClosed) {
    FakeServer server(FakeServer::Mode::text,
                      "SSH-2.0-Fake_1.0\r\nthis is no binary packet at all\r\n");
    const XrayResult r = run_xray(listener_target(server.port(), 5s));
    EXPECT_EQ(last(r).name, "kex");
    EXPECT_TRUE(last(r).outcome == "failed" || last(r).outcome == "closed")
        << last(r).outcome << ": " << last(r).detail;
}

TEST(ProbeXrayListener, CancelStopsAProbeOfASilentListenerEarly) {
    FakeServer server(FakeServer::Mode::silent);
    std::atomic<bool> cancel{false};
    std::thread canceller([&] {
        std::this_thread::sleep_for(300ms);
        cancel = true;
    });
    const auto start = Clock::now();
    const XrayResult r = run_xray(listener_target(server.port(), 10s), &cancel);
    const long elapsed = listener_ms_since(start);
    canceller.join();
    EXPECT_LT(elapsed, 2000);
    EXPECT_EQ(last(r).outcome, "cancelled");
    EXPECT_TRUE(r.cancelled);
    EXPECT_FALSE(r.completed_within_deadline);
}

TEST(ProbeXrayListener, AlreadyCancelledDoesNothing) {
    std::atomic<bool> cancel{true};
    const XrayResult r = run_xray(listener_target(closed_port(), 10s), &cancel);
    EXPECT_TRUE(r.cancelled);
    EXPECT_LT(r.elapsed_ms, 500);
}

TEST(ProbeXrayListener, EightParallelProbesOfASilentListenerTakeOneDeadline) {
    FakeServer server(FakeServer::Mode::silent);
    std::vector<XrayResult> results(8);
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (XrayResult& r : results)
        threads.emplace_back([&r, &server] { r = run_xray(listener_target(server.port(), 1500ms)); });
    for (std::thread& t : threads) t.join();
    const long elapsed = listener_ms_since(start);
    EXPECT_LT(elapsed, 5000);  // one deadline (1.5 s) and a margin, not eight
    for (const XrayResult& r : results) {
        EXPECT_EQ(last(r).name, "banner");
        EXPECT_EQ(last(r).outcome, "timeout");
    }
}

std::size_t listener_open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

TEST(ProbeXrayListener, EverySocketIsClosedOnEveryPath) {
    const std::size_t before = listener_open_fds();
    {
        std::atomic<bool> cancel{false};
        FakeServer silent(FakeServer::Mode::silent);
        FakeServer http(FakeServer::Mode::text, "HTTP/1.0 400 Bad Request\r\n");
        FakeServer reset(FakeServer::Mode::reset);
        FakeServer fake_ssh(FakeServer::Mode::linger, "SSH-2.0-Fake_1.0\r\n");
        run_xray(listener_target(closed_port(), 1s));
        run_xray(listener_target(silent.port(), 300ms));
        run_xray(listener_target(http.port(), 1s));
        run_xray(listener_target(reset.port(), 1s));
        run_xray(listener_target(fake_ssh.port(), 300ms));
        std::thread canceller([&] {
            std::this_thread::sleep_for(100ms);
            cancel = true;
        });
        run_xray(listener_target(fake_ssh.port(), 10s), &cancel);
        canceller.join();
    }
    EXPECT_EQ(listener_open_fds(), before);
}

}  // namespace
}  // namespace nbd::probe
