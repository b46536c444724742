// Runs a program the user's command asks for (their own `nix`), without a shell, and collects
// its output under a deadline.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace nbd::cli {

struct ProgramOutput {
    bool started = false;
    bool timed_out = false;
    int exit_code = -1;
    std::string out;  // stdout, at most 16 MiB
    std::string err;  // stderr, at most 64 KiB
    std::string start_error;
};

ProgramOutput run_program(const std::vector<std::string>& argv, std::chrono::seconds limit);

}  // namespace nbd::cli
