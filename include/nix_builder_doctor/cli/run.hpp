// The command line: parses arguments, runs `check`, `explain` or `rules`, and maps the outcome
// to the exit codes of the contract (0 clean, 1 findings at --fail-on, 2 usage, 3 internal).
#pragma once

#include <ostream>

namespace nbd::cli {

inline constexpr int kExitClean = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 3;
inline constexpr int kExitInterrupted = 130;  // Ctrl-C: 128 + SIGINT, as shells report it

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace nbd::cli
