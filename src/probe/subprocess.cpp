#include "nix_builder_doctor/probe/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace nbd::probe {
namespace {

constexpr std::size_t kMaxStderr = 64 * 1024;

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 100));  // slices, to notice cancel
}

// write(2) to the child's stdin. A child that has gone makes it fail with EPIPE here, not raise a
// SIGPIPE that would end the doctor: SIGPIPE is blocked in this thread for the call, and one it
// raised is taken off the thread's pending signals before the old mask comes back.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
    const ssize_t n = ::write(fd, data, size);
    const int saved = errno;
    if (n < 0 && saved == EPIPE && !sigismember(&old, SIGPIPE)) {
        const timespec now{0, 0};
        while (::sigtimedwait(&pipe_only, nullptr, &now) == SIGPIPE) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = saved;
    return n;
}

}  // namespace

Subprocess::Subprocess(const std::vector<std::string>& argv, const std::vector<std::string>& unset_env,
                       const std::vector<std::string>& set_env) {
    // Everything the child needs is prepared here, in this process.
    std::vector<std::string> env_strings;
    for (char** e = environ; e && *e; ++e) {
        const std::string entry = *e;
        const std::string name = entry.substr(0, entry.find('='));
        bool drop = false;
        for (const auto& u : unset_env) drop = drop || u == name;
        for (const auto& s : set_env) drop = drop || s.substr(0, s.find('=')) == name;
        if (!drop) env_strings.push_back(entry);
    }
    for (const auto& s : set_env) env_strings.push_back(s);
    std::vector<char*> env_pointers, argv_pointers;
    for (auto& s : env_strings) env_pointers.push_back(s.data());
    env_pointers.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& s : argv_copy) argv_pointers.push_back(s.data());
    argv_pointers.push_back(nullptr);

    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        m_start_error = std::string("pipe: ") + std::strerror(errno);
        return;
    }
    // posix_spawn (glibc: clone with CLONE_VM | CLONE_VFORK) rather than fork: no copy of this
    // process's page tables per ssh started, which is most of a fork's cost in a large,
    // many-threaded process. In a session of its own: no controlling terminal, so ssh cannot
    // prompt, and the group can be killed. A program that cannot be run is an error here.
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    ::posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    ::posix_spawnattr_init(&attributes);
    sigset_t no_signals, default_signals;
    sigemptyset(&no_signals);
    sigemptyset(&default_signals);
    sigaddset(&default_signals, SIGPIPE);  // as a fresh process: SIGPIPE kills, whatever ours does
    ::posix_spawnattr_setsigmask(&attributes, &no_signals);
    ::posix_spawnattr_setsigdefault(&attributes, &default_signals);
    ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, argv_pointers[0], &actions, &attributes, argv_pointers.data(), env_pointers.data());
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
    if (spawned != 0) {
        m_start_error = std::string(argv.empty() ? "" : argv[0]) + ": " + std::strerror(spawned);
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) ::close(fd);
        return;
    }
    m_pid = pid;
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    m_stdin = in[1];
    m_stdout = out[0];
    m_stderr = err[0];
    for (int fd : {m_stdin, m_stdout, m_stderr}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

Subprocess::~Subprocess() { finish(std::chrono::milliseconds(0)); }

void Subprocess::pump_stderr() {
    if (m_stderr < 0) return;
    char buffer[4096];
    while (true) {
        const ssize_t n = ::read(m_stderr, buffer, sizeof buffer);
        if (n > 0) {
            if (m_stderr_text.size() < kMaxStderr)
                m_stderr_text.append(buffer, std::min<std::size_t>(static_cast<std::size_t>(n), kMaxStderr - m_stderr_text.size()));
            continue;
        }
        if (n == 0) close_fd(m_stderr);
        return;
    }
}

const std::string& Subprocess::stderr_text() {
    pump_stderr();
    return m_stderr_text;
}

Subprocess::Status Subprocess::wait_readable(int fd, Clock::time_point deadline, const std::atomic<bool>* cancel) {
    while (true) {
        if (cancel && cancel->load()) return Status::cancelled;
        if (Clock::now() >= deadline) return Status::timeout;
        pollfd fds[2] = {{fd, POLLIN, 0}, {m_stderr, POLLIN, 0}};
        const int n = ::poll(fds, m_stderr >= 0 ? 2 : 1, remaining_ms(deadline));
        if (n < 0 && errno != EINTR) return Status::error;
        if (m_stderr >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) pump_stderr();
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) return Status::ok;
    }
}

Subprocess::Status Subprocess::read_stdout(std::size_t n, std::string& out, Clock::time_point deadline,
                                           const std::atomic<bool>* cancel) {
    while (m_stdout_buffer.size() < n) {
        if (m_stdout < 0) {
            out = std::move(m_stdout_buffer);
            m_stdout_buffer.clear();
            return Status::eof;
        }
        const auto s = wait_readable(m_stdout, deadline, cancel);
        if (s != Status::ok) return s;
        char buffer[4096];
        const ssize_t got = ::read(m_stdout, buffer, sizeof buffer);
        if (got > 0) m_stdout_buffer.append(buffer, static_cast<std::size_t>(got));
        else if (got == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(m_stdout);
    }
    out = m_stdout_buffer.substr(0, n);
    m_stdout_buffer.erase(0, n);
    return Status::ok;
}

Subprocess::Status Subprocess::read_line(std::string& out, std::size_t limit, Clock::time_point deadline,
                                         const std::atomic<bool>* cancel) {
    while (true) {
        if (const auto nl = m_stdout_buffer.find('\n'); nl != std::string::npos) {
            out = m_stdout_buffer.substr(0, nl);
            m_stdout_buffer.erase(0, nl + 1);
            return Status::ok;
        }
        if (m_stdout_buffer.size() >= limit || m_stdout < 0) {
            out = std::move(m_stdout_buffer);
            m_stdout_buffer.clear();
            return m_stdout < 0 ? Status::eof : Status::ok;
        }
        const auto s = wait_readable(m_stdout, deadline, cancel);
        if (s != Status::ok) return s;
        char buffer[4096];
        const ssize_t got = ::read(m_stdout, buffer, sizeof buffer);
        if (got > 0) m_stdout_buffer.append(buffer, static_cast<std::size_t>(got));
        else if (got == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(m_stdout);
    }
}

std::string Subprocess::drain_stdout(std::size_t limit, Clock::time_point deadline) {
    std::string out = std::move(m_stdout_buffer);
    m_stdout_buffer.clear();
    while (out.size() < limit && m_stdout >= 0 && Clock::now() < deadline) {
        if (wait_readable(m_stdout, deadline, nullptr) != Status::ok) break;
        char buffer[4096];
        const ssize_t got = ::read(m_stdout, buffer, sizeof buffer);
        if (got > 0) out.append(buffer, static_cast<std::size_t>(got));
        else if (got == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(m_stdout);
    }
    if (out.size() > limit) out.resize(limit);
    return out;
}

void Subprocess::close_stdin() { close_fd(m_stdin); }

Subprocess::Status Subprocess::write_stdin(const std::string& data, Clock::time_point deadline, const std::atomic<bool>* cancel) {
    std::size_t written = 0;
    while (written < data.size()) {
        if (cancel && cancel->load()) return Status::cancelled;
        if (Clock::now() >= deadline) return Status::timeout;
        pollfd fd = {m_stdin, POLLOUT, 0};
        if (::poll(&fd, 1, remaining_ms(deadline)) <= 0) continue;
        const ssize_t n = write_without_sigpipe(m_stdin, data.data() + written, data.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        else if (errno != EAGAIN && errno != EINTR) return Status::error;
    }
    return Status::ok;
}

int Subprocess::finish(std::chrono::milliseconds grace) {
    if (m_pid <= 0 || m_reaped) return m_exit_code;
    close_fd(m_stdin);
    const auto until = Clock::now() + grace;
    int status = 0;
    while (true) {
        const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) break;
        if (Clock::now() >= until) {
            ::kill(-m_pid, SIGKILL);  // the whole session: ssh and what it started
            ::waitpid(m_pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(-m_pid, SIGKILL);  // stragglers of the group (LocalCommand, proxies)
    pump_stderr();
    m_reaped = true;
    m_exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    close_fd(m_stdout);
    close_fd(m_stderr);
    return m_exit_code;
}

}  // namespace nbd::probe
