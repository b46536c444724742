// The X-ray against a real OpenSSH sshd on 127.0.0.1, one sshd per test (needs root for sshd's
// privilege separation; skipped otherwise).
//
// Verified with OpenSSH 9.2p1 (Debian 12) and libssh2 1.10.0:
//  - an authorized ed25519 or ecdsa key: the unsigned query gets PK_OK ("Postponed publickey" in
//    the sshd log), libssh2 calls the sign callback, the callback refuses, nothing is signed;
//  - an unauthorized key: USERAUTH_FAILURE;
//  - an RSA key, authorized or not: libssh2 1.10 asks with "ssh-rsa" and sshd logs "signature
//    algorithm ssh-rsa not in PubkeyAcceptedAlgorithms": a refusal that says nothing;
//  - PK_OK answers do not count towards MaxAuthTries; the 6th refusal on one connection is
//    answered with "Disconnecting ...: Too many authentication failures";
//  - with MaxStartups exceeded sshd writes "Exceeded MaxStartups\r\n" and closes;
//  - a server with only an RSA host key cannot be probed: libssh2 1.10 knows no rsa-sha2-*
//    host key algorithm and OpenSSH 9.2 no longer offers ssh-rsa.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nix_builder_doctor/probe/net.hpp"
#include "nix_builder_doctor/probe/xray.hpp"
#include "nix_builder_doctor/util/encoding.hpp"

namespace nbd::probe {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSshd = "/usr/sbin/sshd";

std::string sshd_unavailable_reason() {
    if (::geteuid() != 0) return "needs root: sshd's privilege separation";
    if (::access(kSshd, X_OK) != 0) return std::string(kSshd) + " is not installed";
    if (std::system("command -v ssh-keygen >/dev/null 2>&1") != 0)
        return "ssh-keygen is not installed";
    return "";
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Output of a shell command (paths here are our own temp dirs, no quoting issues).
std::string run(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) return out;
    std::array<char, 512> buf{};
    while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
    ::pclose(p);
    return out;
}

// "type base64" of a .pub file.
std::string key_line(const fs::path& pub) {
    std::istringstream in(read_file(pub));
    std::string type, base64;
    in >> type >> base64;
    return type + " " + base64;
}

// The SHA256 fingerprint as ssh-keygen -l prints it.
std::string keygen_fingerprint(const fs::path& pub) {
    std::istringstream in(run("ssh-keygen -l -f " + pub.string()));
    std::string bits, fingerprint;
    in >> bits >> fingerprint;
    return fingerprint;
}

std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

int free_port() {
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

// A temp dir with keys, and an sshd (its own process group) serving from it.
class SshdLab {
  public:
    SshdLab() {
        char tmpl[] = "/tmp/nbd-probe-XXXXXX";
        m_dir = ::mkdtemp(tmpl);
        ::mkdir("/run/sshd", 0755);
    }
    ~SshdLab() {
        stop();
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }

    const fs::path& dir() const { return m_dir; }
    int port() const { return m_port; }

    // A new key pair; returns the .pub path.
    fs::path make_key(const std::string& name, const std::string& type) {
        const fs::path key = m_dir / name;
        run("ssh-keygen -q -t " + type + " -N '' -C " + name + " -f " + key.string() +
            " </dev/null 2>&1");
        return fs::path(key.string() + ".pub");
    }
    void authorize(const fs::path& pub) {
        std::ofstream(m_dir / "authorized_keys", std::ios::app) << read_file(pub);
    }

    // Starts sshd with these host key types and extra config lines; false (with the log in
    // `why`) when it did not come up within 10 s.
    bool start(const std::vector<std::string>& host_key_types = {"ed25519"},
               const std::vector<std::string>& extra = {}, std::string* why = nullptr) {
        std::ofstream(m_dir / "authorized_keys", std::ios::app).flush();
        for (const std::string& type : host_key_types)
            if (!fs::exists(m_dir / ("host_" + type))) make_key("host_" + type, type);
        for (int attempt = 0; attempt < 3; ++attempt) {
            m_port = free_port();
            std::ofstream conf(m_dir / "sshd_config", std::ios::trunc);
            for (const std::string& line : extra) conf << line << "\n";  // first value wins
            conf << "ListenAddress 127.0.0.1\nPort " << m_port << "\n";
            for (const std::string& type : host_key_types)
                conf << "HostKey " << (m_dir / ("host_" + type)).string() << "\n";
            conf << "PidFile " << (m_dir / "sshd.pid").string() << "\n"
                 << "UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                 << "AuthorizedKeysFile " << (m_dir / "authorized_keys").string() << "\n"
                 << "StrictModes no\nAllowUsers root\nLogLevel DEBUG1\n";
            conf.close();
            if (launch()) return true;
            stop();
        }
        if (why != nullptr) *why = log();
        return false;
    }

    std::string log() const { return read_file(m_dir / "sshd.log"); }
    // sshd's per-connection processes write their log lines after the probe has returned.
    bool log_shows(const std::string& text) const {
        for (int i = 0; i < 250; ++i) {  // 5 s
            if (log().find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    void stop() {
        if (m_pid <= 0) return;
        ::kill(-m_pid, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
                m_pid = -1;
                return;
            }
            std::this_thread::sleep_for(20ms);
        }
        ::kill(-m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
        m_pid = -1;
    }

  private:
    bool launch() {
        const std::string conf = (m_dir / "sshd_config").string();
        const std::string log_path = (m_dir / "sshd.log").string();
        m_pid = ::fork();
        if (m_pid == 0) {
            ::setpgid(0, 0);
            const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(fd, 2);
            ::dup2(fd, 1);
            ::execl(kSshd, kSshd, "-D", "-e", "-f", conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::setpgid(m_pid, m_pid);  // also from here, so stop() works whoever runs first
        const std::string ready = "Server listening on 127.0.0.1 port " + std::to_string(m_port);
        for (int i = 0; i < 500; ++i) {  // 10 s
            if (log().find(ready) != std::string::npos) return true;
            if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
                m_pid = -1;
                return false;
            }
            std::this_thread::sleep_for(20ms);
        }
        return false;
    }

    fs::path m_dir;
    int m_port = 0;
    pid_t m_pid = -1;
};

class ProbeXraySshd : public ::testing::Test {
  protected:
    void SetUp() override {
        const std::string reason = sshd_unavailable_reason();
        if (!reason.empty()) GTEST_SKIP() << reason;
        lab = std::make_unique<SshdLab>();
    }
    void TearDown() override {
        if (HasFailure() && lab) std::cerr << "sshd log:\n" << lab->log() << "\n";
        lab.reset();
    }

    void start(const std::vector<std::string>& host_key_types = {"ed25519"},
               const std::vector<std::string>& extra = {}) {
        std::string why;
        ASSERT_TRUE(lab->start(host_key_types, extra, &why)) << why;
    }

    XrayTarget target(const std::vector<fs::path>& pubs = {}) const {
        XrayTarget t;
        t.host = "127.0.0.1";
        t.port = lab->port();
        t.user = "root";
        t.deadline = 10s;
        for (const fs::path& pub : pubs) t.keys.push_back({pub.string(), key_line(pub), "test"});
        return t;
    }

    static void expect_all_ok(const XrayResult& r) {
        for (const Stage& s : r.stages) {
            const bool no_keys = s.name == "publickey" && s.outcome == "skipped";
            EXPECT_TRUE(s.outcome == "ok" || no_keys)
                << s.name << ": " << s.outcome << ": " << s.detail;
        }
        EXPECT_EQ(r.stages.size(), 7u);
        EXPECT_TRUE(r.completed_within_deadline);
    }

    std::unique_ptr<SshdLab> lab;
};

TEST_F(ProbeXraySshd, AuthorizedEd25519KeyIsAccepted) {
    const fs::path key = lab->make_key("id_ed25519", "ed25519");
    lab->authorize(key);
    start();
    const XrayResult r = run_xray(target({key}));
    expect_all_ok(r);
    EXPECT_EQ(r.banner.rfind("SSH-2.0-OpenSSH_", 0), 0u) << r.banner;
    EXPECT_EQ(r.connected_address, "127.0.0.1:" + std::to_string(lab->port()));
    EXPECT_EQ(r.auth_methods, std::vector<std::string>{"publickey"});
    ASSERT_EQ(r.keys.size(), 1u);
    EXPECT_EQ(r.keys[0].verdict, "accepted") << r.keys[0].reason;
    EXPECT_EQ(r.keys[0].type, "ssh-ed25519");
    EXPECT_EQ(r.keys[0].fingerprint, keygen_fingerprint(key));
    EXPECT_EQ(r.keys[0].path, key.string());
    EXPECT_EQ(r.connections, 1);
    // The query was answered PK_OK and never followed by a signature: sshd never logged in.
    EXPECT_TRUE(lab->log_shows("Postponed publickey for root"));
    EXPECT_TRUE(lab->log_shows("Received disconnect from 127.0.0.1"));
    EXPECT_EQ(lab->log().find("Accepted publickey for root"), std::string::npos);
}

TEST_F(ProbeXraySshd, UnauthorizedEd25519KeyIsRefused) {
    lab->authorize(lab->make_key("authorized", "ed25519"));
    const fs::path other = lab->make_key("other", "ed25519");
    start();
    const XrayResult r = run_xray(target({other}));
    expect_all_ok(r);
    ASSERT_EQ(r.keys.size(), 1u);
    EXPECT_EQ(r.keys[0].verdict, "refused") << r.keys[0].reason;
    EXPECT_EQ(r.keys[0].fingerprint, keygen_fingerprint(other));
}

TEST_F(ProbeXraySshd, AuthorizedEcdsaKeyIsAccepted) {
    const fs::path key = lab->make_key("id_ecdsa", "ecdsa");
    lab->authorize(key);
    start();
    const XrayResult r = run_xray(target({key}));
    expect_all_ok(r);
    ASSERT_EQ(r.keys.size(), 1u);
    EXPECT_EQ(r.keys[0].verdict, "accepted") << r.keys[0].reason;
    EXPECT_EQ(r.keys[0].type, "ecdsa-sha2-nistp256");
    EXPECT_EQ(r.keys[0].fingerprint, keygen_fingerprint(key));
}

// A FIDO key's public half (no authenticator needed to ask about it): "type base64" of
// sk-ssh-ed25519@openssh.com with a made-up point and the default application "ssh:".
fs::path write_sk_key(const fs::path& dir, const std::string& name, std::uint8_t fill) {
    auto put = [](util::Bytes& out, const util::Bytes& field) {
        const auto n = static_cast<std::uint32_t>(field.size());
        out.insert(out.end(), {std::uint8_t(n >> 24), std::uint8_t(n >> 16), std::uint8_t(n >> 8),
                               std::uint8_t(n)});
        out.insert(out.end(), field.begin(), field.end());
    };
    const std::string type = "sk-ssh-ed25519@openssh.com";
    util::Bytes blob;
    put(blob, util::to_bytes(type));
    put(blob, util::Bytes(32, fill));
    put(blob, util::to_bytes("ssh:"));
    const fs::path pub = dir / (name + ".pub");
    std::ofstream(pub) << type << " " << util::base64_encode(blob) << " " << name << "\n";
    return pub;
}

TEST_F(ProbeXraySshd, SecurityKeyIsAskedLikeAnyOther) {
    const fs::path authorized = write_sk_key(lab->dir(), "sk_authorized", 0x11);
    const fs::path other = write_sk_key(lab->dir(), "sk_other", 0x22);
    lab->authorize(authorized);
    start();
    const XrayResult r = run_xray(target({authorized, other}));
    expect_all_ok(r);
    ASSERT_EQ(r.keys.size(), 2u);
    EXPECT_EQ(r.keys[0].verdict, "accepted") << r.keys[0].reason;
    EXPECT_EQ(r.keys[1].verdict, "refused") << r.keys[1].reason;
    EXPECT_EQ(r.keys[0].type, "sk-ssh-ed25519@openssh.com");
    EXPECT_EQ(r.keys[0].fingerprint, keygen_fingerprint(authorized));
}

TEST_F(ProbeXraySshd, RsaKeyIsUnknownNeverRefused) {
    const fs::path authorized = lab->make_key("id_rsa", "rsa -b 2048");
    const fs::path other = lab->make_key("other_rsa", "rsa -b 2048");
    lab->authorize(authorized);
    start();
    const XrayResult r = run_xray(target({authorized, other}));
    expect_all_ok(r);
    ASSERT_EQ(r.keys.size(), 2u);
    for (const KeyVerdict& k : r.keys) {
        EXPECT_EQ(k.verdict, "unknown") << k.path;
        EXPECT_EQ(k.reason, kRsaUnknownReason);
        EXPECT_EQ(k.type, "ssh-rsa");
    }
    EXPECT_EQ(r.keys[0].fingerprint, keygen_fingerprint(authorized));
    // Why: libssh2 1.10 asks with ssh-rsa (SHA-1), which OpenSSH 9.2 refuses for any key.
    EXPECT_TRUE(lab->log_shows("ssh-rsa not in PubkeyAcceptedAlgorithms"));
}

TEST_F(ProbeXraySshd, PubkeyAuthenticationNoLeavesPublickeyOut) {
    const fs::path key = lab->make_key("id_ed25519", "ed25519");
    lab->authorize(key);
    start({"ed25519"}, {"PubkeyAuthentication no"});
    const XrayResult r = run_xray(target({key}));
    ASSERT_NE(r.stage("auth_methods"), nullptr);
    EXPECT_EQ(r.stage("auth_methods")->outcome, "ok");
    EXPECT_EQ(std::find(r.auth_methods.begin(), r.auth_methods.end(), "publickey"),
              r.auth_methods.end());
    ASSERT_NE(r.stage("publickey"), nullptr);
    EXPECT_EQ(r.stage("publickey")->outcome, "skipped");
    ASSERT_EQ(r.keys.size(), 1u);
    EXPECT_EQ(r.keys[0].verdict, "refused");
    EXPECT_NE(r.keys[0].reason.find("does not offer publickey"), std::string::npos);
}

TEST_F(ProbeXraySshd, HostKeyIsReportedAsSshKeygenPrintsIt) {
    start({"ed25519"});
    const XrayResult r = run_xray(target());
    expect_all_ok(r);
    const fs::path pub = lab->dir() / "host_ed25519.pub";
    EXPECT_EQ(r.host_key_type, "ssh-ed25519");
    EXPECT_EQ(r.host_key_line, key_line(pub));
    EXPECT_EQ(r.host_key_fingerprint, keygen_fingerprint(pub));
    EXPECT_EQ(r.stage("publickey")->outcome, "skipped");  // no candidate keys
}

TEST_F(ProbeXraySshd, HostKeyAlgorithmPreferenceChoosesTheKey) {
    start({"ed25519", "ecdsa"});
    // Default order is OpenSSH's: ed25519 first (libssh2's own default would pick ECDSA).
    XrayResult r = run_xray(target());
    EXPECT_EQ(r.host_key_type, "ssh-ed25519");
    EXPECT_EQ(r.host_key_fingerprint, keygen_fingerprint(lab->dir() / "host_ed25519.pub"));
    // As for a known_hosts that only holds the ECDSA key.
    XrayTarget t = target();
    t.host_key_algorithms = {"ecdsa-sha2-nistp256"};
    r = run_xray(t);
    EXPECT_EQ(r.host_key_type, "ecdsa-sha2-nistp256");
    EXPECT_EQ(r.host_key_fingerprint, keygen_fingerprint(lab->dir() / "host_ecdsa.pub"));
}

TEST_F(ProbeXraySshd, RsaOnlyHostKeyFailsKexWithLibssh2_1_10) {
    start({"rsa"});
    const XrayResult r = run_xray(target());
    ASSERT_NE(r.stage("kex"), nullptr);
    EXPECT_EQ(r.stage("kex")->outcome, "failed") << r.stage("kex")->detail;
    EXPECT_EQ(r.stage("hostkey"), nullptr);
    EXPECT_TRUE(r.completed_within_deadline);
}

TEST_F(ProbeXraySshd, ManyRefusedKeysSurviveMaxAuthTries) {
    std::vector<fs::path> keys;
    for (int i = 0; i < 7; ++i)
        keys.push_back(lab->make_key("unauthorized" + std::to_string(i), "ed25519"));
    const fs::path good = lab->make_key("good", "ed25519");
    lab->authorize(good);
    keys.push_back(good);
    start();  // MaxAuthTries 6: the 6th refusal is a disconnect, then a fresh connection
    const std::size_t fds_before = open_fds();
    const XrayResult r = run_xray(target(keys));
    EXPECT_EQ(open_fds(), fds_before);  // both connections closed
    expect_all_ok(r);
    ASSERT_EQ(r.keys.size(), 8u);
    for (int i = 0; i < 7; ++i) EXPECT_EQ(r.keys[i].verdict, "refused") << i << r.keys[i].reason;
    EXPECT_EQ(r.keys[7].verdict, "accepted") << r.keys[7].reason;
    EXPECT_EQ(r.connections, 2);
    EXPECT_TRUE(lab->log_shows("Too many authentication failures"));
}

TEST_F(ProbeXraySshd, AtMostEightKeysAreAskedAndDuplicatesOnce) {
    std::vector<fs::path> keys;
    for (int i = 0; i < 9; ++i) {
        keys.push_back(lab->make_key("k" + std::to_string(i), "ed25519"));
        lab->authorize(keys.back());
    }
    keys.insert(keys.begin() + 1, keys[0]);  // a duplicate, e.g. the same key from two places
    start();
    const XrayResult r = run_xray(target(keys));
    ASSERT_EQ(r.keys.size(), 10u);
    for (int i = 0; i < 9; ++i) EXPECT_EQ(r.keys[i].verdict, "accepted") << i;
    EXPECT_EQ(r.keys[9].verdict, "unknown");
    EXPECT_NE(r.keys[9].reason.find("at most 8 keys"), std::string::npos);
    EXPECT_EQ(r.connections, 1);
}

TEST_F(ProbeXraySshd, MalformedKeyLineIsUnknown) {
    start();
    XrayTarget t = target();
    t.keys.push_back({"/x.pub", "ssh-ed25519 not-base64!", "test"});
    t.keys.push_back({"/y.pub", "ssh-ed25519", "test"});
    const XrayResult r = run_xray(t);
    ASSERT_EQ(r.keys.size(), 2u);
    EXPECT_EQ(r.keys[0].verdict, "unknown");
    EXPECT_EQ(r.keys[1].verdict, "unknown");
    EXPECT_EQ(r.stage("publickey")->outcome, "ok");
}

TEST_F(ProbeXraySshd, UserNotAllowedGetsEveryKeyRefused) {
    const fs::path key = lab->make_key("id_ed25519", "ed25519");
    lab->authorize(key);
    start();
    XrayTarget t = target({key});
    t.user = "nobody";  // AllowUsers root
    const XrayResult r = run_xray(t);
    ASSERT_EQ(r.keys.size(), 1u);
    EXPECT_EQ(r.keys[0].verdict, "refused");
}

TEST_F(ProbeXraySshd, MaxStartupsExceededIsBannerClosed) {
    start({"ed25519"}, {"MaxStartups 1"});
    // One unauthenticated connection holds the only startup slot.
    const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(lab->port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(holder, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    pollfd p{holder, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);  // sshd's banner: the connection is being served
    const XrayResult r = run_xray(target());
    ::close(holder);
    ASSERT_NE(r.stage("banner"), nullptr);
    EXPECT_EQ(r.stage("banner")->outcome, "closed") << r.stage("banner")->detail;
    EXPECT_NE(r.stage("banner")->detail.find("Exceeded MaxStartups"), std::string::npos);
}

// A relay that writes a line of its own before relaying sshd's bytes (RFC 4253 allows text
// before the identification line; libssh2 1.10 would take it as the banner).
class PreBannerRelay {
  public:
    explicit PreBannerRelay(int target_port) : m_target_port(target_port) {
        m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        ::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(m_listen, 4);
        ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~PreBannerRelay() {
        m_stop = true;
        m_thread.join();
        ::close(m_listen);
    }
    int port() const { return m_port; }

  private:
    void serve() {
        pollfd lp{m_listen, POLLIN, 0};
        while (!m_stop && ::poll(&lp, 1, 50) <= 0) {
        }
        if (m_stop) return;
        const int client = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(m_target_port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a);
        const std::string hello = "Welcome to the relay\r\nAuthorised use only\r\n";
        ::send(client, hello.data(), hello.size(), MSG_NOSIGNAL);
        pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        char buf[16384];
        while (!m_stop) {
            if (::poll(fds, 2, 50) <= 0) continue;
            bool done = false;
            for (int i = 0; i < 2; ++i) {
                if (fds[i].revents == 0) continue;
                const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
                if (n <= 0 || ::send(fds[1 - i].fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL) < 0)
                    done = true;
            }
            if (done) break;
        }
        ::close(client);
        ::close(server);
    }

    int m_target_port;
    int m_listen = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

TEST_F(ProbeXraySshd, TextBeforeTheIdentificationLineIsSkipped) {
    const fs::path key = lab->make_key("id_ed25519", "ed25519");
    lab->authorize(key);
    start();
    PreBannerRelay relay(lab->port());
    XrayTarget t = target({key});
    t.port = relay.port();
    const XrayResult r = run_xray(t);
    expect_all_ok(r);
    EXPECT_EQ(r.banner.rfind("SSH-2.0-OpenSSH_", 0), 0u) << r.banner;
    ASSERT_EQ(r.keys.size(), 1u);
    EXPECT_EQ(r.keys[0].verdict, "accepted");
}

TEST_F(ProbeXraySshd, ParallelProbesOfOneSshd) {
    const fs::path key = lab->make_key("id_ed25519", "ed25519");
    const fs::path other = lab->make_key("other", "ed25519");
    lab->authorize(key);
    start({"ed25519"}, {"MaxStartups 50"});
    const XrayTarget t = target({key, other});
    std::vector<XrayResult> results(6);
    std::vector<std::thread> threads;
    for (XrayResult& r : results) threads.emplace_back([&] { r = run_xray(t); });
    for (std::thread& th : threads) th.join();
    for (const XrayResult& r : results) {
        expect_all_ok(r);
        ASSERT_EQ(r.keys.size(), 2u);
        EXPECT_EQ(r.keys[0].verdict, "accepted");
        EXPECT_EQ(r.keys[1].verdict, "refused");
    }
}

// A relay to sshd that passes everything until sshd's NEWKEYS and the one message after it (the
// SERVICE_ACCEPT that libssh2's handshake waits for), then nothing more from sshd (or one byte
// per `trickle` interval): a server that finishes the key exchange and then stalls.
class StallAfterKexRelay {
  public:
    explicit StallAfterKexRelay(int target_port, std::chrono::milliseconds trickle = 0ms)
        : m_target_port(target_port), m_trickle(trickle) {
        m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        ::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a);
        ::listen(m_listen, 4);
        ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~StallAfterKexRelay() {
        m_stop = true;
        m_thread.join();
        ::close(m_listen);
    }
    int port() const { return m_port; }
    bool stalled() const { return m_stalled; }

  private:
    void serve() {
        pollfd lp{m_listen, POLLIN, 0};
        while (!m_stop && ::poll(&lp, 1, 50) <= 0) {
        }
        if (m_stop) return;
        const int client = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(m_target_port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a);
        std::string from_server;  // everything sshd sent
        std::size_t parsed = 0;   // identification line and plain-text packets up to here
        std::size_t sent = 0;     // passed on to the client up to here
        bool identified = false;
        bool accept_passed = false;
        auto last_trickle = std::chrono::steady_clock::now();
        pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        char buf[16384];
        while (!m_stop) {
            ::poll(fds, 2, 10);
            if ((fds[0].revents & POLLIN) != 0) {
                const ssize_t n = ::recv(client, buf, sizeof buf, 0);
                if (n <= 0 || ::send(server, buf, static_cast<size_t>(n), MSG_NOSIGNAL) < 0) break;
            }
            if ((fds[1].revents & POLLIN) != 0) {
                const ssize_t n = ::recv(server, buf, sizeof buf, 0);
                if (n <= 0) break;
                from_server.append(buf, static_cast<std::size_t>(n));
                // sshd writes SERVICE_ACCEPT (encrypted, so not parsed) in one piece.
                if (m_stalled && !accept_passed && parsed == sent) {
                    parsed = from_server.size();
                    accept_passed = true;
                }
            }
            while (!m_stalled) {  // find sshd's NEWKEYS (before it nothing is encrypted)
                if (!identified) {
                    const std::size_t nl = from_server.find('\n', parsed);
                    if (nl == std::string::npos) break;
                    parsed = nl + 1;
                    identified = true;
                    continue;
                }
                if (from_server.size() < parsed + 6) break;
                const auto* p = reinterpret_cast<const unsigned char*>(from_server.data() + parsed);
                const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                                           (std::size_t{p[2]} << 8) | p[3];
                if (from_server.size() < parsed + 4 + length) break;
                parsed += 4 + length;
                if (p[5] == 21) m_stalled = true;  // SSH_MSG_NEWKEYS
            }
            std::size_t until = parsed;
            const auto now = std::chrono::steady_clock::now();
            if (m_stalled && m_trickle.count() > 0 && now - last_trickle >= m_trickle &&
                sent < from_server.size()) {
                until = sent + 1;
                last_trickle = now;
            }
            if (until > sent) {
                if (::send(client, from_server.data() + sent, until - sent, MSG_NOSIGNAL) < 0)
                    break;
                sent = until;
                parsed = std::max(parsed, sent);
            }
        }
        ::close(client);
        ::close(server);
    }

    int m_target_port;
    std::chrono::milliseconds m_trickle;
    int m_listen = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<bool> m_stalled{false};
    std::thread m_thread;
};

long xray_ms_since(std::chrono::steady_clock::time_point t) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
            .count());
}

TEST_F(ProbeXraySshd, ServerStalledAfterTheKeyExchangeIsAuthMethodsTimeout) {
    start();
    StallAfterKexRelay relay(lab->port());
    XrayTarget t = target({lab->make_key("id_ed25519", "ed25519")});
    t.port = relay.port();
    t.deadline = 2s;
    const auto begin = std::chrono::steady_clock::now();
    const XrayResult r = run_xray(t);
    EXPECT_LT(xray_ms_since(begin), 3500);
    EXPECT_TRUE(relay.stalled());
    ASSERT_NE(r.stage("kex"), nullptr);
    EXPECT_EQ(r.stage("kex")->outcome, "ok");
    EXPECT_EQ(r.stages.back().name, "auth_methods");
    EXPECT_EQ(r.stages.back().outcome, "timeout") << r.stages.back().detail;
    EXPECT_EQ(r.stopped_stage, "auth_methods");
    EXPECT_FALSE(r.completed_within_deadline);
}

TEST_F(ProbeXraySshd, ServerTricklingAfterTheKeyExchangeEndsAtTheDeadline) {
    start();
    StallAfterKexRelay relay(lab->port(), 50ms);
    XrayTarget t = target({lab->make_key("id_ed25519", "ed25519")});
    t.port = relay.port();
    t.deadline = 2s;
    const auto begin = std::chrono::steady_clock::now();
    const XrayResult r = run_xray(t);
    EXPECT_LT(xray_ms_since(begin), 3500);
    EXPECT_EQ(r.stages.back().name, "auth_methods");
    EXPECT_EQ(r.stages.back().outcome, "timeout") << r.stages.back().detail;
}

TEST_F(ProbeXraySshd, PublickeyQueryNeverAnsweredEndsAtTheDeadline) {
    // sshd runs the AuthorizedKeysCommand for a key not in AuthorizedKeysFile and waits for it.
    // Its per-connection process calls setsid(), so stop() cannot reach it: the command ends by
    // itself 2 s after the probe's deadline, and that process with it.
    start({"ed25519"}, {"AuthorizedKeysCommand /bin/sleep 5", "AuthorizedKeysCommandUser root"});
    XrayTarget t = target({lab->make_key("id_ed25519", "ed25519")});
    t.deadline = 3s;
    const auto begin = std::chrono::steady_clock::now();
    const XrayResult r = run_xray(t);
    EXPECT_LT(xray_ms_since(begin), 4500);
    ASSERT_NE(r.stage("auth_methods"), nullptr);
    EXPECT_EQ(r.stage("auth_methods")->outcome, "ok") << r.stage("auth_methods")->detail;
    EXPECT_EQ(r.stages.back().name, "publickey");
    EXPECT_EQ(r.stages.back().outcome, "timeout") << r.stages.back().detail;
    ASSERT_EQ(r.keys.size(), 1u);
    EXPECT_EQ(r.keys[0].verdict, "unknown");
    EXPECT_NE(r.keys[0].reason.find("not answered"), std::string::npos) << r.keys[0].reason;
    EXPECT_EQ(r.stopped_stage, "publickey");
}

// sshd sends its `Banner` file (up to 1 MiB) as one SSH_MSG_USERAUTH_BANNER before the answer
// to the first auth request. Verified with OpenSSH 9.2p1: a banner over the monitor's 256 KiB
// message limit kills the pre-auth child ("mm_request_send: write: Broken pipe") and the
// connection closes; a smaller one over 40000 bytes is sent, and libssh2 1.10 refuses the packet.
void write_banner(const fs::path& path, std::size_t size) {
    std::ofstream out(path, std::ios::binary);
    const std::string line = "Authorised use only. All activity is logged.\n";  // 46 bytes
    for (std::size_t n = 0; n + line.size() <= size; n += line.size()) out << line;
}

TEST_F(ProbeXraySshd, OneMebibyteBannerIsAuthMethodsClosed) {
    write_banner(lab->dir() / "banner", 1u << 20);
    start({"ed25519"}, {"Banner " + (lab->dir() / "banner").string()});
    const auto begin = std::chrono::steady_clock::now();
    const XrayResult r = run_xray(target({lab->make_key("id_ed25519", "ed25519")}));
    EXPECT_LT(xray_ms_since(begin), 10000);
    ASSERT_NE(r.stage("kex"), nullptr);
    EXPECT_EQ(r.stage("kex")->outcome, "ok");
    ASSERT_EQ(r.stages.back().name, "auth_methods");
    EXPECT_EQ(r.stages.back().outcome, "closed") << r.stages.back().detail;
    EXPECT_NE(r.stages.back().detail.find("closed the connection before answering"),
              std::string::npos)
        << r.stages.back().detail;
    EXPECT_EQ(r.stopped_stage, "auth_methods");
    EXPECT_EQ(r.failure.rfind("when asked for the auth methods, the server closed the connection "
                              "before answering",
                              0),
              0u)
        << r.failure;
    EXPECT_TRUE(lab->log_shows("mm_request_send: write: Broken pipe"));
}

TEST_F(ProbeXraySshd, BannerOverLibssh2sPacketLimitIsNamed) {
    write_banner(lab->dir() / "banner", 100000);
    start({"ed25519"}, {"Banner " + (lab->dir() / "banner").string()});
    const XrayResult r = run_xray(target({lab->make_key("id_ed25519", "ed25519")}));
    ASSERT_EQ(r.stages.back().name, "auth_methods");
    EXPECT_EQ(r.stages.back().outcome, "error") << r.stages.back().detail;
    EXPECT_NE(r.stages.back().detail.find("40000 bytes"), std::string::npos)
        << r.stages.back().detail;
    EXPECT_NE(r.failure.find("40000 bytes"), std::string::npos) << r.failure;
    EXPECT_LE(r.bytes_received, kReadBudget);
}

TEST_F(ProbeXraySshd, BannerWithinLibssh2sLimitIsReadAndPassed) {
    write_banner(lab->dir() / "banner", 30000);
    const fs::path key = lab->make_key("id_ed25519", "ed25519");
    lab->authorize(key);
    start({"ed25519"}, {"Banner " + (lab->dir() / "banner").string()});
    const XrayResult r = run_xray(target({key}));
    expect_all_ok(r);
    EXPECT_GT(r.bytes_received, 30000u);
    EXPECT_EQ(r.keys[0].verdict, "accepted");
}

TEST_F(ProbeXraySshd, ReadBudgetHoldsAfterTheKeyExchangeToo) {
    // The same banner with a budget below it: the encrypted banner packet spends it during the
    // auth methods query, which ends "flood" and says so.
    write_banner(lab->dir() / "banner", 30000);
    start({"ed25519"}, {"Banner " + (lab->dir() / "banner").string()});
    XrayTarget t = target({lab->make_key("id_ed25519", "ed25519")});
    t.read_budget = 16 * 1024;
    const XrayResult r = run_xray(t);
    ASSERT_NE(r.stage("kex"), nullptr);
    EXPECT_EQ(r.stage("kex")->outcome, "ok");
    EXPECT_EQ(r.stages.back().name, "auth_methods");
    EXPECT_EQ(r.stages.back().outcome, "flood") << r.stages.back().detail;
    EXPECT_NE(r.stages.back().detail.find("more than 16384 bytes"), std::string::npos)
        << r.stages.back().detail;
    EXPECT_NE(r.stages.back().detail.find("SSH_MSG_USERAUTH_BANNER"), std::string::npos);
    EXPECT_EQ(r.bytes_received, 16u * 1024);
}

}  // namespace
}  // namespace nbd::probe
