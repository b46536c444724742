#include "nix_builder_doctor/probe/build_test.hpp"

#include <random>

#include "nix_builder_doctor/probe/subprocess.hpp"

namespace nbd::probe {
namespace {

std::string nonce() {
    std::random_device device;
    std::uniform_int_distribution<unsigned long long> dist;
    return std::to_string(dist(device));
}

bool is_error_line(const std::string& line) {
    return line.find("error:") != std::string::npos || line.find("cannot build on") != std::string::npos ||
           line.find("Failed to find a machine") != std::string::npos;
}

}  // namespace

BuildTestResult run_build_test(const std::string& machines_line, const std::string& system,
                               std::chrono::milliseconds deadline_ms, const std::atomic<bool>* cancel) {
    BuildTestResult result;
    const auto start = Clock::now();
    const auto deadline = start + deadline_ms;
    // A new derivation every time (the nonce), buildable anywhere with /bin/sh, no network.
    const std::string expr = "derivation { name = \"nix-builder-doctor-build-test-" + nonce() + "\"; system = \"" + system +
                             "\"; builder = \"/bin/sh\"; args = [ \"-c\" \"echo ok > $out\" ]; }";
    const std::vector<std::string> argv = {"nix-build", "-j0", "--no-out-link", "--option", "builders", machines_line,
                                           "--option", "builders-use-substitutes", "false", "-E", expr};
    Subprocess process(argv, {"SSH_AUTH_SOCK"}, {});
    if (!process.started()) {
        result.outcome = "exec_failed";
        result.last_error = process.start_error();
        return result;
    }
    std::string output;
    const auto status = process.read_line(output, 1u << 16, deadline, cancel);
    std::string rest = process.drain_stdout(1u << 20, deadline);
    const bool timed_out = Clock::now() >= deadline;
    const int code = process.finish(std::chrono::milliseconds(200));
    output += "\n" + rest;
    const std::string err = process.stderr_text();
    std::size_t pos = 0;
    while (pos < err.size()) {
        const auto end = err.find('\n', pos);
        const std::string line = err.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (is_error_line(line)) {
            result.last_error = line;
            if (line.find("cannot build on") != std::string::npos) break;  // the cause, not a consequence
        }
        if (end == std::string::npos) break;
        pos = end + 1;
    }
    if (status == Subprocess::Status::cancelled) result.outcome = "cancelled";
    else if (timed_out) result.outcome = "timeout";
    else if (code == 0 && output.find("/nix/store/") != std::string::npos) result.outcome = "ok";
    else result.outcome = "failed";
    result.elapsed_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    return result;
}

}  // namespace nbd::probe
