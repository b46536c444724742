// check --next RESULT and --flake REF#HOST: the built system to check as the next generation.
// `--flake` runs the user's own `nix eval` (which configuration set has HOST) and `nix build
// --no-link` of its toplevel: the flake reference is the user's argument, not a config value.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <stdexcept>
#include <string>

#include "nix_builder_doctor/cli/options.hpp"

namespace nbd::cli {

// RESULT missing, without etc/, or a build that failed: exit 2 with this message.
struct NextSystemError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct NextSystem {
    std::string given;       // as the user wrote it (--next), or the store path (--flake)
    std::string path;        // absolute
    std::string store_path;  // every link resolved
    std::string flake;       // REF#nixosConfigurations.HOST.config.system.build.toplevel, or ""
};

// Validates --next, or builds --flake (saying so on `err` before it starts; nix's own messages
// go to stderr as nix prints them).
NextSystem resolve_next_system(const Options& options, std::ostream& err);

// The installable --flake builds for a configuration set ("nixosConfigurations") and HOST.
std::string flake_toplevel_installable(const std::string& ref, const std::string& set,
                                       const std::string& host);

// The JSON report's `next` object: the system, the files read from it (or gone in it), and
// the changes from the running generation (facts::generation_changes).
nlohmann::json next_report_section(const NextSystem& system, const nlohmann::json& running,
                                   const nlohmann::json& next);

}  // namespace nbd::cli
