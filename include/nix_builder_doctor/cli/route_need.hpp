// What `route` is asked about: a .drv read with the derivation parser, an expression or flake
// installable evaluated (read-only) by the local Nix, or --system and --features.
#pragma once

#include <ostream>
#include <string>

#include "nix_builder_doctor/cli/options.hpp"
#include "nix_builder_doctor/route/nix_logic.hpp"
#include "nix_builder_doctor/route/route.hpp"

namespace nbd::cli {

struct RouteNeed {
    route::Need need;
    std::string from;  // "/nix/store/...drv", "evaluated ./hello.nix", "--system/--features"
};

// `local_system` is the default for --system. Usage problems (an unreadable or malformed .drv, a
// failed evaluation) are thrown as UsageError; `err` gets one line before an evaluation starts.
RouteNeed route_need_for(const Options& options, const std::string& local_system, const route::NixLogic& logic, std::ostream& err);

}  // namespace nbd::cli
