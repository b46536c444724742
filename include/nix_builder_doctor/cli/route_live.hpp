// What the live probes mean for the build hook: a builder whose connection fails is skipped
// (the hook disables it and chooses again); one that connects but fails the build is not.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "nix_builder_doctor/engine/finding.hpp"
#include "nix_builder_doctor/route/route.hpp"

namespace nbd::cli {

// Sets each machine's `live` and `live_reason` from its builder facts (same order as
// /builders) and the error findings that name it.
void mark_live(std::vector<route::Machine>& machines, const nlohmann::json& facts, const std::vector<engine::Finding>& findings);

}  // namespace nbd::cli
