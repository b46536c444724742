// --build-test: a real, minimal build forced onto one builder through the local Nix
// (`nix-build -j0` with only that builder), the final answer to "does it work end to end?".
// Opt-in, because it writes: a derivation and its output in the local and the remote store.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

namespace nbd::probe {

struct BuildTestResult {
    std::string outcome;  // ok | failed | timeout | cancelled | exec_failed
    std::string last_error;  // the last "error:" or "cannot build" line Nix printed
    long elapsed_ms = 0;
};

// `machines_line` is the builder's entry in machines syntax; `system` one of its systems.
BuildTestResult run_build_test(const std::string& machines_line, const std::string& system,
                               std::chrono::milliseconds deadline, const std::atomic<bool>* cancel = nullptr);

}  // namespace nbd::probe
