#include "nix_builder_doctor/cli/explain_check.hpp"

#include <algorithm>

#include "nix_builder_doctor/cli/gather_options.hpp"
#include "nix_builder_doctor/cli/report_builder.hpp"
#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/explain/log_structure.hpp"
#include "nix_builder_doctor/facts/gather.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::cli {
namespace {

std::string host_of(const std::string& builder) { return explain::builder_host(builder); }

// The log names builders by URI or by `user@host` (ssh's own messages): the host decides.
bool same_builder(const report::BuilderStatus& b, const std::string& named) {
    const std::string host = host_of(named);
    return b.uri == named || (!host.empty() && b.host == host);
}

const report::BuilderStatus* builder_for(const report::Report& r, const std::string& named) {
    for (const auto& b : r.builders)
        if (same_builder(b, named)) return &b;
    return nullptr;
}

// "rule.id: how to tell" -> "rule.id"
std::string alternative_rule(const std::string& alternative) { return alternative.substr(0, alternative.find(": ")); }

}  // namespace

LiveCheck live_check_for(const Options& options, const std::vector<engine::Rule>& rules, const explain::ExplainResult& result,
                         const std::atomic<bool>* cancel) {
    LiveCheck live;
    if (result.builders.empty()) {
        live.notes.push_back("--check: the log names no builder, so there is nothing to check live");
        return live;
    }
    Options check = options;
    check.builder_patterns.clear();
    for (const auto& b : result.builders) {
        const std::string host = host_of(b);
        if (!host.empty() && std::find(check.builder_patterns.begin(), check.builder_patterns.end(), host) == check.builder_patterns.end())
            check.builder_patterns.push_back(host);
    }
    facts::GatherOptions gather = gather_options_for(check, cancel);
    gather.live = !options.offline;
    const nlohmann::json facts = facts::gather_facts(gather);
    for (const auto& pattern : facts.value("unmatched_builder_patterns", nlohmann::json::array()))
        for (const auto& b : result.builders)
            if (host_of(b) == pattern.get<std::string>()) live.not_configured.push_back(b);
    engine::Selection selection{options.select, options.ignore, options.severity_overrides};
    live.report = make_report(facts, engine::apply_selection(engine::evaluate_rules(rules, facts), selection), rules);
    std::erase_if(live.report.builders, [&](const report::BuilderStatus& b) {
        return std::none_of(result.builders.begin(), result.builders.end(), [&](const std::string& n) { return same_builder(b, n); });
    });
    std::erase_if(live.report.findings, [&](const engine::Finding& f) {
        return f.builder.empty() || std::none_of(live.report.builders.begin(), live.report.builders.end(),
                                                 [&](const report::BuilderStatus& b) { return b.uri == f.builder; });
    });
    live.report.summary = engine::summarize(live.report.findings, 0);
    for (const auto& n : live.not_configured)
        live.notes.push_back("--check: the log names " + n + ", which this machine's builders do not list (not checked)");
    if (options.offline) live.notes.push_back("--check with --offline: only the files were checked, not the builders themselves");
    return live;
}

void merge_live_check(explain::ExplainResult& result, LiveCheck& live) {
    for (auto& e : result.findings) {
        if (e.finding.builder.empty()) continue;
        const auto* b = builder_for(live.report, e.finding.builder);
        if (!b) continue;
        std::vector<std::string> candidates = {e.finding.rule};
        for (const auto& a : e.alternatives) candidates.push_back(alternative_rule(a));
        const auto confirmed = std::find_if(live.report.findings.begin(), live.report.findings.end(), [&](const engine::Finding& f) {
            return f.builder == b->uri && f.severity == engine::Severity::error &&
                   std::find(candidates.begin(), candidates.end(), f.rule) != candidates.end();
        });
        if (confirmed != live.report.findings.end()) {
            const bool replaced = confirmed->rule != e.finding.rule || !e.alternatives.empty();
            const auto evidence = e.finding.evidence;
            e.finding = *confirmed;
            e.finding.evidence = evidence;  // the log line stays the evidence
            e.cause = confirmed->title + " (confirmed by the live check)";
            e.alternatives.clear();
            e.check_command.clear();
            if (replaced)
                for (auto& other : result.findings)  // consequences now follow from the live cause
                    if (other.after == candidates.front()) {
                        other.after = confirmed->rule;
                        for (std::string* text : {&other.cause, &other.finding.fix, &other.finding.message})
                            if (const auto at = text->find(candidates.front()); at != std::string::npos)
                                text->replace(at, candidates.front().size(), confirmed->rule);
                    }
            if (replaced) live.notes.push_back("--check: " + b->uri + ": the live check decides the log's " + candidates.front() +
                                               " as " + confirmed->rule);
            continue;
        }
        if (report::builder_verdict(live.report, *b) == "ok")
            live.notes.push_back("--check: " + b->uri + " passes every live check now: the failure in the log was transient or has been fixed since");
    }
}

std::string render_live_check_text(const LiveCheck& live) {
    std::string out = "\nLive check of the builders the log names (--check):\n";
    for (const auto& b : live.report.builders) {
        out += "  " + b.uri + ": " + report::builder_verdict(live.report, b) + "\n";
        for (const auto& f : live.report.findings)
            if (f.builder == b.uri && f.severity >= engine::Severity::warning)
                out += "    " + std::string(engine::to_string(f.severity)) + " " + f.rule + ": " + f.title + "\n";
    }
    for (const auto& n : live.notes) out += "  " + n + "\n";
    return out;
}

}  // namespace nbd::cli
