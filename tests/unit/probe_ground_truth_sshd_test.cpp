// The ground truth built from a machines line, run with the real ssh against a real sshd on
// 127.0.0.1 (needs root for sshd's privilege separation): a key named only by the store URI's
// `?ssh-key=` is the one ssh offers (`-i`), as Nix 2.8 does; without it the login fails.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/parse/machines.hpp"
#include "nix_builder_doctor/probe/ground_truth.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
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

class GroundTruthSshd : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root: sshd's privilege separation";
        if (::access("/usr/sbin/sshd", X_OK) != 0 || ::access("/usr/bin/ssh", X_OK) != 0) GTEST_SKIP() << "no sshd or ssh";
        char tmpl[] = "/tmp/nbd-gt-sshd-XXXXXX";
        m_dir = ::mkdtemp(tmpl);
        ::mkdir("/run/sshd", 0755);
        for (const char* name : {"host", "client", "other"})
            ASSERT_EQ(0, std::system(("ssh-keygen -q -t ed25519 -N '' -C " + std::string(name) + " -f " + (m_dir / name).string() +
                                      " </dev/null >/dev/null 2>&1")
                                         .c_str()));
        fs::copy_file(m_dir / "client.pub", m_dir / "authorized_keys");
        for (int attempt = 0; attempt < 3 && m_pid <= 0; ++attempt) start();
        ASSERT_GT(m_pid, 0) << slurp(m_dir / "sshd.log");
    }
    void TearDown() override {
        if (m_pid > 0) {
            ::kill(-m_pid, SIGTERM);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (HasFailure()) std::cerr << "sshd log:\n" << slurp(m_dir / "sshd.log") << "\n";
        std::error_code ec;
        if (!m_dir.empty()) fs::remove_all(m_dir, ec);
    }

    void start() {
        m_port = free_port();
        {
            std::ofstream conf(m_dir / "sshd_config", std::ios::trunc);
            conf << "ListenAddress 127.0.0.1\nPort " << m_port << "\nHostKey " << (m_dir / "host").string() << "\nPidFile "
                 << (m_dir / "sshd.pid").string() << "\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                 << "AuthorizedKeysFile " << (m_dir / "authorized_keys").string() << "\nStrictModes no\nAllowUsers root\nLogLevel DEBUG1\n";
        }
        const std::string conf = (m_dir / "sshd_config").string(), log = (m_dir / "sshd.log").string();
        m_pid = ::fork();
        if (m_pid == 0) {
            ::setpgid(0, 0);
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::setpgid(m_pid, m_pid);
        const std::string ready = "Server listening on 127.0.0.1 port " + std::to_string(m_port);
        for (int i = 0; i < 500; ++i) {
            if (slurp(m_dir / "sshd.log").find(ready) != std::string::npos) return;
            if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) break;
            std::this_thread::sleep_for(20ms);
        }
        ::kill(-m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
        m_pid = -1;
    }

    // The target for a machines line: as the doctor builds it (the host key pinned like column 8).
    nbd::probe::GroundTruthTarget target_for(const std::string& line) {
        const auto parsed = nbd::parse::parse_machines(line, "/etc/nix/machines", 0, {});
        EXPECT_EQ(parsed.machines.size(), 1u);
        const auto& m = parsed.machines.at(0);
        std::istringstream pub(slurp(m_dir / "host.pub"));
        std::string type, blob;
        pub >> type >> blob;
        const nlohmann::json b = {{"scheme", m.store.scheme},
                                  {"host_key", {{"valid", true}, {"key_line", type + " " + blob}}},
                                  {"port_misread_host", false}};
        auto t = nbd::facts::ground_truth_target(b, m);
        // Pinned as Nix writes it ("127.0.0.1 KEY"); from a known_hosts file OpenSSH 9.2 accepts
        // that off port 22 too, so the ground truth must (before: "Host key verification failed").
        EXPECT_EQ(t.pinned_known_host.value_or(""), "127.0.0.1 " + type + " " + blob);
        t.port = m_port;
        t.ssh_program = "/usr/bin/ssh";
        t.deadline = 8000ms;
        return t;
    }

    fs::path m_dir;
    int m_port = 0;
    pid_t m_pid = -1;
};

TEST_F(GroundTruthSshd, KeyNamedOnlyByTheStoreUriLogsIn) {
    const auto t = target_for("ssh://root@127.0.0.1?ssh-key=" + (m_dir / "client").string() + " x86_64-linux");
    ASSERT_TRUE(t.identity_file.has_value());
    const auto r = nbd::probe::run_ground_truth(t);
    EXPECT_TRUE(r.started_seen) << r.outcome << ": " << r.detail << "\n" << r.ssh_stderr;
    // The login used the key from ?ssh-key=: sshd names its fingerprint.
    FILE* p = ::popen(("ssh-keygen -l -f " + (m_dir / "client.pub").string()).c_str(), "r");
    char buf[512] = {};
    ASSERT_NE(p, nullptr);
    ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
    ::pclose(p);
    std::istringstream fields(buf);
    std::string bits, fingerprint;
    fields >> bits >> fingerprint;
    bool logged = false;
    for (int i = 0; i < 100 && !logged; ++i, std::this_thread::sleep_for(50ms))
        logged = slurp(m_dir / "sshd.log").find("Accepted publickey for root") != std::string::npos &&
                 slurp(m_dir / "sshd.log").find(fingerprint) != std::string::npos;
    EXPECT_TRUE(logged) << fingerprint;
}

TEST_F(GroundTruthSshd, Column3WinsOverTheStoreUriKey) {
    // Column 3 names a key sshd does not accept: ssh offers it, not the URI's, and the login fails.
    const auto t = target_for("ssh://root@127.0.0.1?ssh-key=" + (m_dir / "client").string() + " x86_64-linux " +
                              (m_dir / "other").string());
    ASSERT_TRUE(t.identity_file.has_value());
    EXPECT_EQ(*t.identity_file, (m_dir / "other").string());
    const auto r = nbd::probe::run_ground_truth(t);
    EXPECT_FALSE(r.started_seen) << r.outcome << ": " << r.detail;
    EXPECT_NE(r.ssh_stderr.find("Permission denied"), std::string::npos) << r.ssh_stderr;
}

}  // namespace
