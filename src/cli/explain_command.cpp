#include "nix_builder_doctor/cli/commands.hpp"

namespace nbd::cli {

int run_explain_command(const Options&, std::ostream&, std::ostream&) {
    throw UsageError("'explain' is not part of this version yet; run 'nix-builder-doctor check'");
}

}  // namespace nbd::cli
