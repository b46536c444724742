#include "nix_builder_doctor/cli/run.hpp"

#include <exception>

#include "nix_builder_doctor/cli/commands.hpp"
#include "nix_builder_doctor/cli/options.hpp"
#include "nix_builder_doctor/util/output.hpp"

#ifndef NBD_VERSION
#define NBD_VERSION "0.0.0"
#endif

namespace nbd::cli {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    try {
        const Options options = parse_options(argc, argv);
        switch (options.command) {
            case Command::help: out << usage_text(); return kExitClean;
            case Command::version: out << "nix-builder-doctor " << NBD_VERSION << "\n"; return kExitClean;
            case Command::rules: return run_rules_command(options, out);
            case Command::route: return run_route_command(options, out, err);
            case Command::explain: return run_explain_command(options, out, err);
            case Command::check: return run_check_command(options, out, err);
        }
        return kExitInternal;
    } catch (const UsageError& e) {
        err << "nix-builder-doctor: error: " << util::safe_text(e.what()) << "\n"
            << "Run 'nix-builder-doctor --help' for the options.\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        err << "nix-builder-doctor: internal error (a bug, please report it): " << util::safe_text(e.what()) << "\n";
        return kExitInternal;
    }
}

}  // namespace nbd::cli
