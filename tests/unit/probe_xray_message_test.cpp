// net.not-ssh's message, rendered from real X-ray results against listeners on 127.0.0.1 (one
// per way a server can fail to be SSH): each must read as one sentence that names what the
// server did, never glue the identification line to the next words or end on an empty quote.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/probe/xray.hpp"
#include "hostile_peer.hpp"

namespace nbd::probe {
namespace {

using namespace std::chrono_literals;

// A listener that answers every connection with `reply` (then holds it open, or resets it), or
// with `reply` followed by `flood` over and over.
class Listener {
  public:
    enum class Mode { hold, reset, flood };
    Listener(Mode mode, std::string reply, std::string flood = "")
        : m_mode(mode), m_reply(std::move(reply)), m_flood(std::move(flood)) {
        m_listen = nbd_test::listen_on_loopback(16, m_port);
        EXPECT_GE(m_listen, 0);
        m_thread = std::thread([this] { serve(); });
    }
    ~Listener() {
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
            if (m_mode == Mode::reset) {
                linger l{1, 0};
                ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                ::close(fd);
                continue;
            }
            ::send(fd, m_reply.data(), m_reply.size(), MSG_NOSIGNAL);
            if (m_mode == Mode::flood) {
                while (!m_stop) {
                    pollfd w{fd, POLLOUT, 0};
                    if (::poll(&w, 1, 20) <= 0) continue;
                    if (::send(fd, m_flood.data(), m_flood.size(), MSG_NOSIGNAL | MSG_DONTWAIT) <
                            0 &&
                        errno != EAGAIN)
                        break;
                }
            }
            m_held.push_back(fd);
        }
    }

    Mode m_mode;
    std::string m_reply, m_flood;
    int m_listen = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::vector<int> m_held;
    std::thread m_thread;
};

using nbd_test::kexinit;
using nbd_test::packet;
using nbd_test::u32;
std::string banners(std::size_t n) {
    std::string one = packet('\x35' + u32(1) + "x" + u32(0));
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += one;
    return out;
}

// The facts net.not-ssh reads, with live/xray as live_facts.cpp's xray_json() writes it.
nlohmann::json facts_for(const XrayResult& r, int port) {
    nlohmann::json stages = nlohmann::json::object(), details = nlohmann::json::object();
    for (const Stage& s : r.stages) {
        stages[s.name] = s.outcome;
        details[s.name] = s.detail;
    }
    nlohmann::json b = {
        {"uri", "ssh://builder"},
        {"file", "/etc/nix/machines"},
        {"line", 1},
        {"ssh", {{"hostname", {{"value", "127.0.0.1"}}}, {"port", {{"value", port}}}}},
        {"live",
         {{"xray",
           {{"stages", stages},
            {"details", details},
            {"banner", r.banner},
            {"stopped_stage", r.stopped_stage},
            {"failure", r.failure},
            {"bytes_received", r.bytes_received}}}}}};
    return {{"builders", nlohmann::json::array({b})}};
}

const engine::Rule& not_ssh_rule() {
    static const engine::RuleLoadResult loaded = engine::load_builtin_rules();
    for (const engine::Rule& rule : loaded.rules)
        if (rule.id == "net.not-ssh") return rule;
    throw std::runtime_error("net.not-ssh is not a built-in rule");
}

// The rendered message, or "" when the rule did not fire.
std::string message_for(int port, std::chrono::milliseconds deadline = 5s) {
    XrayTarget t;
    t.host = "127.0.0.1";
    t.port = port;
    t.user = "root";
    t.deadline = deadline;
    const XrayResult r = run_xray(t);
    const auto findings = engine::evaluate_rules({not_ssh_rule()}, facts_for(r, port));
    return findings.empty() ? "" : findings.front().message;
}

// What every rendering must be: one clause after "accepted the connection, but", no glued or
// empty parts.
void expect_sentence(const std::string& m, int port) {
    const std::string head =
        "ssh://builder: 127.0.0.1:" + std::to_string(port) + " accepted the connection, but ";
    std::cout << "  " << m << "\n";
    ASSERT_EQ(m.rfind(head, 0), 0u) << m;
    const std::string clause = m.substr(head.size());
    ASSERT_FALSE(clause.empty());
    EXPECT_TRUE(std::islower(static_cast<unsigned char>(clause[0]))) << m;
    EXPECT_EQ(m.find("\"\""), std::string::npos) << m;
    EXPECT_EQ(m.find("  "), std::string::npos) << m;
    EXPECT_NE(m.back(), ' ') << m;
    EXPECT_NE(m.back(), ':') << m;
    EXPECT_EQ(m.find("accepted the connection but"), std::string::npos) << m;
    EXPECT_EQ(m.find("X-ray stopped"), std::string::npos) << "the fallback: no failure fact";
    // The identification line is quoted and followed by a separator, never by a word.
    const auto id = m.find("SSH-");
    if (id != std::string::npos) {
        EXPECT_EQ(m[id - 1], '"') << m;
        const auto end = m.find('"', id);
        ASSERT_NE(end, std::string::npos) << m;
        EXPECT_TRUE(m[end + 1] == ',' || m[end + 1] == ' ') << m;
    }
}

TEST(ProbeXrayMessage, SilentListener) {
    Listener l(Listener::Mode::hold, "");
    const std::string m = message_for(l.port(), 1s);
    expect_sentence(m, l.port());
    EXPECT_NE(m.find("but the server sent nothing before the deadline"), std::string::npos) << m;
}

TEST(ProbeXrayMessage, HttpAnswer) {
    Listener l(Listener::Mode::hold, "HTTP/1.0 400 Bad Request\r\n\r\n");
    const std::string m = message_for(l.port());
    expect_sentence(m, l.port());
    EXPECT_NE(m.find("but the server sent \"HTTP/1.0 400 Bad Request\" and no SSH identification "
                     "line"),
              std::string::npos)
        << m;
}

TEST(ProbeXrayMessage, WrongMagicIsShownInHex) {
    // Nix's worker magic where SSH's identification should be: binary, no line.
    Listener l(Listener::Mode::hold, std::string("\x63\x78\x69\x6e\x00\x00\x00\x00", 8));
    const std::string m = message_for(l.port());
    expect_sentence(m, l.port());
    EXPECT_NE(m.find("8 bytes of binary data (63 78 69 6e 00 00 00 00), not SSH"),
              std::string::npos)
        << m;
}

TEST(ProbeXrayMessage, EmptyFirstLineIsNamed) {
    Listener l(Listener::Mode::hold, std::string("\r\n\x01\x02", 4));
    const std::string m = message_for(l.port());
    expect_sentence(m, l.port());
    EXPECT_NE(m.find("(0d 0a 01 02)"), std::string::npos) << m;
}

TEST(ProbeXrayMessage, Reset) {
    Listener l(Listener::Mode::reset, "");
    const std::string m = message_for(l.port());
    expect_sentence(m, l.port());
    EXPECT_TRUE(m.find("but the server reset the connection before") != std::string::npos ||
                m.find("but the server closed the connection without sending") != std::string::npos)
        << m;
}

TEST(ProbeXrayMessage, OldProtocolVersion) {
    Listener l(Listener::Mode::hold, "SSH-1.5-OldServer\r\n");
    const std::string m = message_for(l.port());
    expect_sentence(m, l.port());
    EXPECT_NE(m.find("but the server identified as \"SSH-1.5-OldServer\", a protocol version "
                     "other than SSH 2"),
              std::string::npos)
        << m;
}

TEST(ProbeXrayMessage, KeyExchangeTimeout) {
    Listener l(Listener::Mode::hold, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
    const std::string m = message_for(l.port(), 1500ms);
    expect_sentence(m, l.port());
    EXPECT_NE(m.find("but the server identified as \"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\", "
                     "then the key exchange did not finish before the deadline"),
              std::string::npos)
        << m;
}

TEST(ProbeXrayMessage, KeyExchangeGarbage) {
    Listener l(Listener::Mode::hold, "SSH-2.0-Fake_1.0\r\nthis is no binary packet at all\r\n");
    const std::string m = message_for(l.port());
    expect_sentence(m, l.port());
    EXPECT_TRUE(
        m.find("\"SSH-2.0-Fake_1.0\", then the key exchange failed: ") != std::string::npos ||
        m.find("\"SSH-2.0-Fake_1.0\", then the connection closed during the key exchange: ") !=
            std::string::npos)
        << m;
}

TEST(ProbeXrayMessage, FloodIsNamed) {
    Listener l(Listener::Mode::flood, "SSH-2.0-Hostile_1.0\r\n" + kexinit(), banners(512));
    const std::string m = message_for(l.port());
    expect_sentence(m, l.port());
    EXPECT_NE(m.find("\"SSH-2.0-Hostile_1.0\", then the builder sent more than 4 MiB ("),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("bytes during the key exchange) without the key exchange reply: a flood of "),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(" SSH_MSG_USERAUTH_BANNER packets"), std::string::npos) << m;
}

}  // namespace
}  // namespace nbd::probe
