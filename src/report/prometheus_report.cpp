// node_exporter textfile metrics (Prometheus text exposition format 0.0.4), every name prefixed
// nix_builder_doctor_, base units (seconds), label values escaped. One gauge per fact a fleet
// operator charts: up, verdict, stage outcomes and durations, the remote Nix, trust, the
// builder's configured capacity (Hydra's machine status keeps the same columns), findings.
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>

#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/report/stage_outcome.hpp"
#include "nix_builder_doctor/util/output.hpp"

namespace nbd::report {
namespace {

constexpr const char* kPrefix = "nix_builder_doctor_";

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

class Exposition {
public:
    // HELP and TYPE once per family, then its samples (the format wants them together).
    void family(const std::string& name, const std::string& help) {
        m_out << "# HELP " << kPrefix << name << " " << help << "\n# TYPE " << kPrefix << name << " gauge\n";
        m_name = name;
    }
    void sample(const Labels& labels, double value) {
        m_out << kPrefix << m_name;
        if (!labels.empty()) {
            m_out << "{";
            for (std::size_t i = 0; i < labels.size(); ++i)
                m_out << (i ? "," : "") << labels[i].first << "=\"" << escape_label_value(labels[i].second) << "\"";
            m_out << "}";
        }
        m_out << " " << number(value) << "\n";
    }
    std::string str() const { return m_out.str(); }

private:
    std::ostringstream m_out;
    std::string m_name;
};

}  // namespace

std::string escape_label_value(std::string_view text) {
    std::string out;
    for (const char c : util::safe_text(text)) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string render_prometheus(const Report& r) {
    Exposition e;
    e.family("last_run_timestamp_seconds", "Unix time the check finished.");
    e.sample({}, r.run_timestamp_seconds);
    e.family("builders", "Builders in the machines list Nix reads.");
    e.sample({}, static_cast<double>(r.builders.size()));

    if (!r.builders.empty()) {
        e.family("builder_up", "1 when every live probe stage got through (the builder was verified), else 0.");
        for (const auto& b : r.builders) e.sample({{"builder", b.uri}, {"host", b.host}}, b.probed ? 1 : 0);
        e.family("builder_verdict", "1 for the builder's verdict (ok, broken, unknown), 0 for the others.");
        for (const auto& b : r.builders) {
            const std::string verdict = builder_verdict(r, b);
            for (const char* v : {"ok", "broken", "unknown"}) e.sample({{"builder", b.uri}, {"verdict", v}}, verdict == v ? 1 : 0);
        }
        e.family("builder_info", "The builder's configuration and what the live probe learnt about its Nix (value 1).");
        for (const auto& b : r.builders)
            e.sample({{"builder", b.uri},
                      {"host", b.host},
                      {"systems", join(b.systems)},
                      {"supported_features", join(b.supported_features)},
                      {"mandatory_features", join(b.mandatory_features)},
                      {"nix_version", b.nix_version},
                      {"daemon_version", b.daemon_version},
                      {"protocol_version", b.protocol_version}},
                     1);
        e.family("builder_max_jobs", "Jobs Nix runs on the builder at once (machines column 4).");
        for (const auto& b : r.builders) e.sample({{"builder", b.uri}}, b.max_jobs);
        e.family("builder_speed_factor", "The builder's speed factor (machines column 5).");
        for (const auto& b : r.builders) e.sample({{"builder", b.uri}}, b.speed_factor);
    }

    bool any_trust = false;
    for (const auto& b : r.builders) any_trust = any_trust || b.trusted >= 0;
    if (any_trust) {
        e.family("builder_trusted", "1 when the builder's daemon trusts the user Nix logs in as, 0 when not (ssh-ng, protocol 1.35+).");
        for (const auto& b : r.builders)
            if (b.trusted >= 0) e.sample({{"builder", b.uri}}, b.trusted);
    }

    bool any_stage = false;
    for (const auto& b : r.builders) any_stage = any_stage || !b.stages.empty();
    if (any_stage) {
        e.family("stage_ok", "1 when the live stage passed, 0 when it failed or was skipped.");
        for (const auto& b : r.builders)
            for (const auto& stage : stages_in_probe_order(b.stages))
                e.sample({{"builder", b.uri}, {"stage", stage}}, stage_passed(stage_outcome(b.stages, stage)) ? 1 : 0);
        e.family("stage_outcome", "The live stage's outcome as a label (value 1).");
        for (const auto& b : r.builders)
            for (const auto& stage : stages_in_probe_order(b.stages))
                e.sample({{"builder", b.uri}, {"stage", stage}, {"outcome", stage_outcome(b.stages, stage)}}, 1);
    }
    bool any_timing = false;
    for (const auto& b : r.builders) any_timing = any_timing || !b.stage_ms.empty();
    if (any_timing) {
        e.family("stage_duration_seconds", "Time the live stage took.");
        for (const auto& b : r.builders)
            for (const auto& stage : stages_in_probe_order(b.stage_ms))
                if (const auto& ms = b.stage_ms.at(stage); ms.is_number())
                    e.sample({{"builder", b.uri}, {"stage", stage}}, ms.get<double>() / 1000.0);
    }

    e.family("findings", "Findings of this run by severity (after --select/--ignore).");
    e.sample({{"severity", "error"}}, r.summary.error);
    e.sample({{"severity", "warning"}}, r.summary.warning);
    e.sample({{"severity", "info"}}, r.summary.info);
    e.family("suppressed_findings", "Findings dropped by --select/--ignore.");
    e.sample({}, r.summary.suppressed);
    if (!r.findings.empty()) {
        std::map<std::tuple<std::string, std::string, std::string>, int> counts;
        for (const auto& f : r.findings) ++counts[{f.rule, std::string(engine::to_string(f.severity)), f.builder}];
        e.family("rule_findings", "Findings of this run by rule, severity and builder (builder \"\": this machine).");
        for (const auto& [key, n] : counts)
            e.sample({{"rule", std::get<0>(key)}, {"severity", std::get<1>(key)}, {"builder", std::get<2>(key)}}, n);
    }
    return e.str();
}

}  // namespace nbd::report
