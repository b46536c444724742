// Builds the Report the renderers take from the Facts, the selected findings and the rules that
// ran (SARIF lists them); the run's timestamp is the time it is called.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/engine/rule.hpp"
#include "nix_builder_doctor/report/report.hpp"

namespace nbd::cli {

report::Report make_report(const nlohmann::json& facts, engine::SelectedFindings selected,
                           const std::vector<engine::Rule>& rules);

}  // namespace nbd::cli
