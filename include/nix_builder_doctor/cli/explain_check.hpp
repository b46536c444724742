// `explain --check`: after a log is explained, the live checks of the builders it names, merged
// into the answer. A live finding that is one of an explained finding's alternatives (or the
// finding itself) replaces the guess; a builder that is healthy now is said to be so.
#pragma once

#include <atomic>
#include <ostream>
#include <string>
#include <vector>

#include "nix_builder_doctor/cli/options.hpp"
#include "nix_builder_doctor/engine/rule.hpp"
#include "nix_builder_doctor/explain/analyzer.hpp"
#include "nix_builder_doctor/report/report.hpp"

namespace nbd::cli {

struct LiveCheck {
    report::Report report;                // the live check of the named builders (builders, findings)
    std::vector<std::string> not_configured;  // builders the log names that this machine does not list
    std::vector<std::string> notes;       // what the check changed or could not do, one line each
};

// Runs the live checks of `result.builders` (by host) with the check command's options.
LiveCheck live_check_for(const Options& options, const std::vector<engine::Rule>& rules, const explain::ExplainResult& result,
                         const std::atomic<bool>* cancel);

// Replaces guesses with what the live check found, and notes healthy builders.
void merge_live_check(explain::ExplainResult& result, LiveCheck& live);

std::string render_live_check_text(const LiveCheck& live);

}  // namespace nbd::cli
