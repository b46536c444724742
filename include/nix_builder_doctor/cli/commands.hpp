// The subcommands. Each returns an exit code; usage problems are thrown as UsageError.
#pragma once

#include <ostream>
#include <vector>

#include "nix_builder_doctor/cli/options.hpp"
#include "nix_builder_doctor/cli/run.hpp"
#include "nix_builder_doctor/engine/rule.hpp"

namespace nbd::cli {

int run_check_command(const Options& options, std::ostream& out, std::ostream& err);
int run_route_command(const Options& options, std::ostream& out, std::ostream& err);
int run_explain_command(const Options& options, std::ostream& out, std::ostream& err);
int run_rules_command(const Options& options, std::ostream& out);

// Built-in rules plus --rules directories; a bad extra rule file is a usage error.
std::vector<engine::Rule> load_rules_or_throw(const Options& options);
// Every --select/--ignore/--severity selector must name a rule or a family.
void check_selectors(const Options& options, const std::vector<engine::Rule>& rules);

}  // namespace nbd::cli
