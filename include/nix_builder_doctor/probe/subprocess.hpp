// A child process with pipes on stdin/stdout/stderr, in a session of its own (no controlling
// terminal, so nothing it runs can prompt), read and written under a deadline, and killed with
// its whole process group when it is done or too slow.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace nbd::probe {

using Clock = std::chrono::steady_clock;

class Subprocess {
public:
    // `unset_env` names variables the child must not inherit; `set_env` are "NAME=value".
    Subprocess(const std::vector<std::string>& argv, const std::vector<std::string>& unset_env,
               const std::vector<std::string>& set_env);
    ~Subprocess();
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;

    bool started() const { return m_pid > 0; }
    const std::string& start_error() const { return m_start_error; }

    enum class Status { ok, eof, timeout, cancelled, error };
    // Exactly n bytes of stdout (what arrived before an EOF is kept in `out`).
    Status read_stdout(std::size_t n, std::string& out, Clock::time_point deadline, const std::atomic<bool>* cancel);
    // One line of stdout without its '\n' (at most `limit` bytes).
    Status read_line(std::string& out, std::size_t limit, Clock::time_point deadline, const std::atomic<bool>* cancel);
    Status write_stdin(const std::string& data, Clock::time_point deadline, const std::atomic<bool>* cancel);
    // End of input for the child.
    void close_stdin();
    // Whatever stdout still holds, without waiting beyond `deadline` (bounded by `limit`).
    std::string drain_stdout(std::size_t limit, Clock::time_point deadline);

    // Stderr collected so far (bounded to 64 KiB); reads pending stderr without blocking.
    const std::string& stderr_text();
    // Kill the process group, reap the child; the exit code (-1 when killed by a signal).
    int finish(std::chrono::milliseconds grace);

private:
    Status wait_readable(int fd, Clock::time_point deadline, const std::atomic<bool>* cancel);
    void pump_stderr();

    pid_t m_pid = -1;
    int m_stdin = -1;
    int m_stdout = -1;
    int m_stderr = -1;
    std::string m_stdout_buffer;
    std::string m_stderr_text;
    std::string m_start_error;
    int m_exit_code = -1;
    bool m_reaped = false;
};

}  // namespace nbd::probe
