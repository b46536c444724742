// The X-ray against hostile servers on 127.0.0.1 that never stop sending: a valid identification
// line and a real KEXINIT, then endless SSH_MSG_USERAUTH_BANNER, KEXINIT or SSH_MSG_IGNORE
// packets (all before NEWKEYS, so plain text), or bytes trickled forever (slowloris), and a
// listener whose accept queue is full (the TCP stage). libssh2 1.10 keeps reading and queueing
// while packets arrive, so before the read budget (ssh_session.hpp) such a server held the probe
// past its deadline and grew it by gigabytes. Each probe runs in a child process so that its peak
// memory can be measured alone (VmHWM) and capped (RLIMIT_AS) in case the bound breaks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <exception>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nix_builder_doctor/probe/ssh_session.hpp"
#include "nix_builder_doctor/probe/xray.hpp"
#include "hostile_peer.hpp"

namespace nbd::probe {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long ms_since(Clock::time_point t) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

// --- SSH packets before NEWKEYS: no encryption, no MAC, block size 8 (RFC 4253 6) ---

using nbd_test::kexinit;
using nbd_test::packet;
using nbd_test::ssh_string;
using nbd_test::u32;

std::string userauth_banner(const std::string& text) {
    return packet('\x35' + ssh_string(text) + ssh_string(""));  // SSH_MSG_USERAUTH_BANNER
}
std::string ignore_packet() { return packet('\x02' + ssh_string("x")); }  // SSH_MSG_IGNORE

const std::string kIdentification = "SSH-2.0-Hostile_1.0\r\n";

// --- A listener that sends `prefix`, then `chunk` again and again (at most every `interval`
// when one is given; byte by byte with `trickle`) until the client goes or the test ends. ---
class FloodServer {
  public:
    struct Script {
        std::string prefix;
        std::string chunk;
        std::chrono::milliseconds interval{0};
        bool trickle = false;  // one byte of the endless chunk stream per interval
    };

    // Listens at once (a client may connect into the backlog); serves from start(). A probe
    // child is forked before start(): forking while a thread runs can leave the child a held
    // allocator lock (ASan's leak checker deadlocked on one).
    explicit FloodServer(Script script) : m_script(std::move(script)) {
        m_listen = nbd_test::listen_on_loopback(16, m_port);
        EXPECT_GE(m_listen, 0);
    }
    void start() {
        if (!m_thread.joinable()) m_thread = std::thread([this] { serve(); });
    }
    ~FloodServer() {
        m_stop = true;
        if (m_thread.joinable()) m_thread.join();
        ::close(m_listen);
    }
    int port() const { return m_port; }
    std::uint64_t sent() const { return m_sent; }

  private:
    void serve() {
        pollfd p{m_listen, POLLIN, 0};
        while (!m_stop) {
            if (::poll(&p, 1, 20) <= 0) continue;
            const int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) continue;
            feed(fd);
            ::close(fd);
        }
    }

    // Sends all of `data`; false when the client went away or the test ends.
    bool send_all(int fd, const char* data, std::size_t size) {
        while (size > 0 && !m_stop) {
            char scratch[4096];  // what the client says is read and dropped
            while (::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
            }
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            if ((p.revents & (POLLERR | POLLHUP)) != 0) return false;
            const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
            if (n > 0) {
                data += n;
                size -= static_cast<std::size_t>(n);
                m_sent += static_cast<std::uint64_t>(n);
            }
        }
        return size == 0;
    }

    void feed(int fd) {
        if (!send_all(fd, m_script.prefix.data(), m_script.prefix.size())) return;
        std::size_t at = 0;  // the trickle's position in the chunk
        while (!m_stop) {
            if (m_script.interval.count() > 0) std::this_thread::sleep_for(m_script.interval);
            const bool ok = m_script.trickle
                                ? send_all(fd, &m_script.chunk[at++ % m_script.chunk.size()], 1)
                                : send_all(fd, m_script.chunk.data(), m_script.chunk.size());
            if (!ok) return;
        }
    }

    Script m_script;
    int m_listen = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<std::uint64_t> m_sent{0};
    std::thread m_thread;
};

// The same chunk `count` times over: fewer, larger sends.
std::string repeat(const std::string& s, std::size_t count) {
    std::string out;
    out.reserve(s.size() * count);
    for (std::size_t i = 0; i < count; ++i) out += s;
    return out;
}

// --- One probe in a child process ---

struct Measured {
    bool ended = false;        // the child reported back (false: killed after the hard limit)
    long elapsed_ms = 0;       // measured by the parent
    long peak_growth_kib = 0;  // the child's VmHWM at the end minus its VmRSS before the probe
    std::string last_stage, last_outcome, last_detail;
};

long status_kib(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
    return -1;
}

constexpr long kMemoryBoundKib = 64 * 1024;  // the bound the tests hold the probe to
constexpr long kChildCapKib = 1024 * 1024;   // RLIMIT_AS headroom: a broken bound fails fast

// The server starts serving once the child exists, so the fork happens with no other thread.
Measured run_in_child(FloodServer& server, const XrayTarget& target, std::chrono::milliseconds hard_limit) {
    Measured m;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return m;
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
#ifndef NBD_SANITIZED  // ASan reserves terabytes of address space
        rlimit cap{};
        const long vm = status_kib("VmSize:");
        cap.rlim_cur = cap.rlim_max = static_cast<rlim_t>(vm + kChildCapKib) * 1024;
        ::setrlimit(RLIMIT_AS, &cap);
#endif
        std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current RSS
        const long before = status_kib("VmRSS:");
        std::string text;
        try {  // nothing may escape into gtest, which would go on running tests in this child
            const XrayResult r = run_xray(target);
            const long peak = status_kib("VmHWM:");
            std::string detail = r.stages.empty() ? "" : r.stages.back().detail;
            for (char& c : detail)
                if (c == '\n') c = ' ';
            std::ostringstream out;
            out << (peak - before) << "\n"
                << (r.stages.empty() ? "-" : r.stages.back().name) << "\n"
                << (r.stages.empty() ? "-" : r.stages.back().outcome) << "\n"
                << detail << "\n";
            text = out.str();
        } catch (const std::exception& e) {
            text = std::to_string(status_kib("VmHWM:") - before) + "\n-\nexception\n" + e.what() +
                   "\n";
        }
        [[maybe_unused]] const ssize_t n = ::write(fds[1], text.data(), text.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    server.start();
    std::string text;
    const auto limit = start + hard_limit;
    while (Clock::now() < limit) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[4096];
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;  // the child finished (or died)
        text.append(buf, static_cast<std::size_t>(n));
    }
    m.elapsed_ms = ms_since(start);
    ::kill(pid, SIGKILL);  // a no-op when it has exited
    ::waitpid(pid, nullptr, 0);
    ::close(fds[0]);
    std::istringstream in(text);
    std::string growth;
    if (std::getline(in, growth) && std::getline(in, m.last_stage) &&
        std::getline(in, m.last_outcome) && std::getline(in, m.last_detail)) {
        m.ended = true;
        m.peak_growth_kib = std::stol(growth);
    }
    return m;
}

XrayTarget target(int port, std::chrono::milliseconds deadline) {
    XrayTarget t;
    t.host = "127.0.0.1";
    t.port = port;
    t.user = "root";
    t.deadline = deadline;
    return t;
}

constexpr auto kDeadline = 3000ms;
constexpr long kSlackMs = 1500;
constexpr auto kHardLimit = 20s;  // the parent gives up on the child here

// Ends before deadline + slack with memory under the bound, and says so in the test log.
void expect_bounded(const Measured& m, const FloodServer& server) {
    std::cout << "  ended=" << m.ended << " elapsed_ms=" << m.elapsed_ms
              << " peak_growth_kib=" << m.peak_growth_kib << " server_sent=" << server.sent()
              << "\n  " << m.last_stage << ": " << m.last_outcome << ": " << m.last_detail << "\n";
    ASSERT_TRUE(m.ended) << "the probe was still running after " << m.elapsed_ms << " ms";
    EXPECT_LT(m.elapsed_ms, static_cast<long>(kDeadline.count()) + kSlackMs);
#ifndef NBD_SANITIZED  // ASan's shadow memory and quarantine make the figure meaningless
    EXPECT_LT(m.peak_growth_kib, kMemoryBoundKib) << "KiB of peak memory growth";
#endif
}

TEST(ProbeXrayFlood, UserauthBannerFloodIsCutAtTheReadBudget) {
    FloodServer server({kIdentification + kexinit(), repeat(userauth_banner("x"), 512)});
    const Measured m = run_in_child(server, target(server.port(), kDeadline), kHardLimit);
    expect_bounded(m, server);
    EXPECT_EQ(m.last_stage, "kex");
    EXPECT_EQ(m.last_outcome, "flood");
    EXPECT_NE(m.last_detail.find("more than 4 MiB"), std::string::npos) << m.last_detail;
    EXPECT_NE(m.last_detail.find("SSH_MSG_USERAUTH_BANNER packets"), std::string::npos)
        << m.last_detail;
}

TEST(ProbeXrayFlood, BigUserauthBannersAreCutAtTheReadBudgetToo) {
    FloodServer server({kIdentification + kexinit(), userauth_banner(std::string(30000, 'b'))});
    const Measured m = run_in_child(server, target(server.port(), kDeadline), kHardLimit);
    expect_bounded(m, server);
    EXPECT_EQ(m.last_outcome, "flood");
    EXPECT_NE(m.last_detail.find("SSH_MSG_USERAUTH_BANNER packets"), std::string::npos)
        << m.last_detail;
}

TEST(ProbeXrayFlood, KexinitFloodIsCutAtTheReadBudget) {
    FloodServer server({kIdentification, repeat(kexinit(), 64)});
    const Measured m = run_in_child(server, target(server.port(), kDeadline), kHardLimit);
    expect_bounded(m, server);
    EXPECT_EQ(m.last_stage, "kex");
    EXPECT_EQ(m.last_outcome, "flood");
    EXPECT_NE(m.last_detail.find("KEXINIT"), std::string::npos) << m.last_detail;
}

TEST(ProbeXrayFlood, IgnoreFloodIsNamed) {
    // libssh2 drops SSH_MSG_IGNORE, so memory stays small; the time did not.
    FloodServer server({kIdentification + kexinit(), repeat(ignore_packet(), 512)});
    const Measured m = run_in_child(server, target(server.port(), kDeadline), kHardLimit);
    expect_bounded(m, server);
    EXPECT_EQ(m.last_outcome, "flood");
    EXPECT_NE(m.last_detail.find("SSH_MSG_IGNORE"), std::string::npos) << m.last_detail;
}

TEST(ProbeXrayFlood, SlowFloodEndsAtTheDeadlineNamingWhatCame) {
    // About 400 KB/s: under the budget within the deadline, and never a pause long enough for
    // libssh2 to return to the probe's own wait.
    FloodServer server({kIdentification + kexinit(), repeat(userauth_banner("slow"), 64), 2ms});
    const Measured m = run_in_child(server, target(server.port(), kDeadline), kHardLimit);
    expect_bounded(m, server);
    EXPECT_GE(m.elapsed_ms, static_cast<long>(kDeadline.count()) - 100);
    EXPECT_EQ(m.last_stage, "kex");
    EXPECT_EQ(m.last_outcome, "timeout");
    EXPECT_NE(m.last_detail.find("bytes"), std::string::npos) << m.last_detail;
}

TEST(ProbeXrayFlood, SlowlorisDuringTheKeyExchangeEndsAtTheDeadline) {
    FloodServer server({kIdentification + kexinit(), ignore_packet(), 20ms, true});
    const Measured m = run_in_child(server, target(server.port(), kDeadline), kHardLimit);
    expect_bounded(m, server);
    EXPECT_GE(m.elapsed_ms, static_cast<long>(kDeadline.count()) - 100);
    EXPECT_EQ(m.last_stage, "kex");
    EXPECT_EQ(m.last_outcome, "timeout");
}

TEST(ProbeXrayFlood, SlowlorisIdentificationLineEndsAtTheDeadline) {
    FloodServer server({"SSH-2.0-", "slowly", 20ms, true});
    const Measured m = run_in_child(server, target(server.port(), kDeadline), kHardLimit);
    expect_bounded(m, server);
    EXPECT_GE(m.elapsed_ms, static_cast<long>(kDeadline.count()) - 100);
    EXPECT_EQ(m.last_stage, "banner");
    EXPECT_EQ(m.last_outcome, "not_ssh") << "a partial line and no identification";
}

TEST(ProbeXrayFlood, EndlessPreBannerTextIsNotSsh) {
    FloodServer server({"", repeat("not yet\r\n", 1024)});
    const Measured m = run_in_child(server, target(server.port(), kDeadline), kHardLimit);
    expect_bounded(m, server);
    EXPECT_EQ(m.last_stage, "banner");
    EXPECT_EQ(m.last_outcome, "not_ssh");
}

// A listener that never accepts, its accept queue full: the kernel drops further SYNs, so a
// connect neither succeeds nor fails, like a black-holed address.
TEST(ProbeXrayFlood, FullAcceptQueueIsTcpTimeoutAtTheDeadline) {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 0), 0);
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    std::vector<int> fillers;
    for (int i = 0; i < 4; ++i) {  // backlog 0 holds one; the rest stay in SYN_SENT
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        fillers.push_back(fd);
    }
    std::this_thread::sleep_for(100ms);
    const auto start = Clock::now();
    const XrayResult r = run_xray(target(ntohs(a.sin_port), 1500ms));
    const long elapsed = ms_since(start);
    for (int fd : fillers) ::close(fd);
    ::close(listener);
    EXPECT_LT(elapsed, 1500 + kSlackMs);
    ASSERT_FALSE(r.stages.empty());
    EXPECT_EQ(r.stages.back().name, "tcp");
    EXPECT_EQ(r.stages.back().outcome, "timeout") << r.stages.back().detail;
    EXPECT_FALSE(r.completed_within_deadline);
}

TEST(ProbeXrayFlood, EightParallelFloodsStayWithinOneDeadline) {
    FloodServer server({kIdentification + kexinit(), repeat(userauth_banner("x"), 512)});
    server.start();
    std::vector<XrayResult> results(8);
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    for (XrayResult& r : results)
        threads.emplace_back([&r, &server] { r = run_xray(target(server.port(), kDeadline)); });
    for (std::thread& t : threads) t.join();
    EXPECT_LT(ms_since(start), static_cast<long>(kDeadline.count()) + kSlackMs);
    for (const XrayResult& r : results) {
        ASSERT_FALSE(r.stages.empty());
        EXPECT_EQ(r.stages.back().outcome, "flood") << r.stages.back().detail;
        EXPECT_LE(r.bytes_received, kReadBudget);
    }
}

}  // namespace
}  // namespace nbd::probe
