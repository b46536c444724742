// Builds the Report the renderers take from the Facts and the selected findings.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/engine/rule.hpp"
#include "nix_builder_doctor/report/report.hpp"

namespace nbd::cli {

report::Report make_report(const nlohmann::json& facts, engine::SelectedFindings selected);

}  // namespace nbd::cli
