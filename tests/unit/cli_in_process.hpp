// Runs the command line in this process (nbd::cli::run with string streams), for CLI tests.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "nix_builder_doctor/cli/run.hpp"

namespace nbd::test {

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

inline CliResult run_in_process(std::vector<std::string> args) {
    args.insert(args.begin(), "nix-builder-doctor");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    CliResult r;
    r.exit_code = nbd::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

}  // namespace nbd::test
