// The facts gathering a command line asks for (check, route): root, user, builders, probes.
#pragma once

#include <atomic>

#include "nix_builder_doctor/cli/options.hpp"
#include "nix_builder_doctor/facts/gather.hpp"

namespace nbd::cli {

// --user, else $SUDO_USER, else the invoking user; live probes unless --offline.
facts::GatherOptions gather_options_for(const Options& options, const std::atomic<bool>* cancel);

}  // namespace nbd::cli
