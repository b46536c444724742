// `explain [FILE|-]`: the findings a failed build's log supports, root cause first, in the same
// text and JSON shapes as `check` (JSON findings carry `evidence` and keep their rank order).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "nix_builder_doctor/cli/commands.hpp"
#include "nix_builder_doctor/cli/explain_check.hpp"
#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/explain/analyzer.hpp"
#include "nix_builder_doctor/explain/text_output.hpp"
#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/util/output.hpp"

#ifndef NBD_VERSION
#define NBD_VERSION "0.0.0"
#endif

namespace nbd::cli {
namespace {

explain::ExplainResult explain_input(const explain::Explainer& explainer, const std::string& file, std::ostream& err) {
    if (file == "-") {
        if (::isatty(STDIN_FILENO) == 1) err << "nix-builder-doctor: reading the build log from standard input (end it with Ctrl-D)\n";
        return explainer.explain(std::cin);
    }
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw UsageError("explain: '" + file + "' is a directory, not a build log");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw UsageError("explain: cannot read '" + file + "': " + std::strerror(errno));
    return explainer.explain(in);
}

// --select, --ignore and --severity, keeping the rank order.
int apply_selection(std::vector<explain::ExplainedFinding>& findings, const Options& options) {
    int suppressed = 0;
    std::vector<explain::ExplainedFinding> kept;
    auto any_match = [](const std::vector<std::string>& selectors, const std::string& id) {
        for (const auto& s : selectors)
            if (engine::selector_matches(s, id)) return true;
        return false;
    };
    for (auto& e : findings) {
        const std::string& id = e.finding.rule;
        if ((!options.select.empty() && !any_match(options.select, id)) || any_match(options.ignore, id)) {
            ++suppressed;
            continue;
        }
        for (const auto& [selector, severity] : options.severity_overrides)
            if (selector != id && engine::selector_matches(selector, id)) e.finding.severity = severity;
        if (auto exact = options.severity_overrides.find(id); exact != options.severity_overrides.end()) e.finding.severity = exact->second;
        kept.push_back(std::move(e));
    }
    findings = std::move(kept);
    return suppressed;
}

}  // namespace

int run_explain_command(const Options& options, std::ostream& out, std::ostream& err) {
    const auto rules = load_rules_or_throw(options);
    check_selectors(options, rules);
    std::optional<explain::Explainer> explainer;
    try {
        explainer.emplace(rules);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
    const std::string file = options.positional.empty() ? "-" : options.positional.front();
    explain::ExplainResult result = explain_input(*explainer, file, err);
    if (result.read_error) throw UsageError("explain: error while reading '" + file + "'");
    const int suppressed = apply_selection(result.findings, options);
    std::optional<LiveCheck> live;
    if (options.explain_check) {
        static std::atomic<bool> never_cancelled{false};
        live = live_check_for(options, rules, result, &never_cancelled);
        merge_live_check(result, *live);
    }

    if (options.format == Format::json) {
        report::Report r;
        r.tool_version = NBD_VERSION;
        r.principal = "unknown";
        for (const auto& e : result.findings) r.findings.push_back(e.finding);
        r.summary = engine::summarize(r.findings, suppressed);
        nlohmann::json j = report::render_json(r);
        if (live) {
            const auto checked = report::render_json(live->report);
            j["live_check"] = {{"builders", checked["builders"]},
                               {"findings", checked["findings"]},
                               {"not_configured", live->not_configured},
                               {"notes", live->notes}};
        }
        out << util::dump_json(j) << "\n";
    } else {
        explain::TextOptions text;
        text.color = options.color == ColorMode::always ||
                     (options.color == ColorMode::automatic && &out == &std::cout && report::should_use_color(STDOUT_FILENO));
        text.source = file == "-" ? "standard input" : "'" + file + "'";
        out << explain::render_explain_text(result, text);
        if (live) out << util::safe_text(render_live_check_text(*live));
    }
    if (!options.fail_on) return kExitClean;
    for (const auto& e : result.findings)
        if (e.finding.severity >= *options.fail_on) return kExitFindings;
    return kExitClean;
}

}  // namespace nbd::cli
