#include "nix_builder_doctor/cli/program_output.hpp"

#include "nix_builder_doctor/probe/subprocess.hpp"

namespace nbd::cli {

ProgramOutput run_program(const std::vector<std::string>& argv, std::chrono::seconds limit) {
    ProgramOutput r;
    probe::Subprocess child(argv, {}, {});
    if (!child.started()) {
        r.start_error = child.start_error();
        return r;
    }
    r.started = true;
    child.close_stdin();
    const auto deadline = probe::Clock::now() + limit;
    r.out = child.drain_stdout(16u << 20, deadline);
    r.timed_out = probe::Clock::now() >= deadline;
    r.err = child.stderr_text();
    r.exit_code = child.finish(std::chrono::milliseconds(r.timed_out ? 0 : 5000));
    r.err = child.stderr_text();
    return r;
}

}  // namespace nbd::cli
