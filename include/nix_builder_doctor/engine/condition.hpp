// The small condition language of rules: all / any / not over leaf comparisons of a fact path:
// eq, ne, in, contains, matches, exists, lt, gt, empty.
#pragma once

#include <nlohmann/json.hpp>

#include "nix_builder_doctor/engine/fact_path.hpp"

namespace nbd::engine {

bool evaluate_condition(const nlohmann::json& condition, const Scope& scope);

// Throws std::invalid_argument naming what is wrong (used at rule load).
void check_condition(const nlohmann::json& condition);

}  // namespace nbd::engine
