#include "nix_builder_doctor/cli/report_builder.hpp"

#include <chrono>

#ifndef NBD_VERSION
#define NBD_VERSION "0.0.0"
#endif

namespace nbd::cli {
namespace {

std::vector<std::string> strings(const nlohmann::json& object, const char* key) {
    std::vector<std::string> out;
    for (const auto& v : object.value(key, nlohmann::json::array()))
        if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

}  // namespace

report::Report make_report(const nlohmann::json& facts, engine::SelectedFindings selected,
                           const std::vector<engine::Rule>& rules) {
    report::Report r;
    r.tool_version = NBD_VERSION;
    r.principal = facts.value("/principal/name"_json_pointer, std::string("root"));
    const std::string install = facts.value("/install/kind"_json_pointer, std::string("unknown"));
    r.context = "principal " + r.principal + " (" + install + " install), system " +
                facts.value("/system/described"_json_pointer, facts.value("/system/value"_json_pointer, std::string("?")));
    if (facts.value("/root"_json_pointer, std::string("/")) != "/") r.context += ", root " + facts["root"].get<std::string>();
    for (const auto& b : facts.value("/builders"_json_pointer, nlohmann::json::array())) {
        report::BuilderStatus status;
        status.uri = b.value("uri", "");
        status.host = b.value("host", "");
        status.file = b.value("file", "");
        status.line = b.value("line", 0);
        status.where = status.file + (status.line > 0 ? ":" + std::to_string(status.line) : "");
        status.entry = b.value("entry", "");
        status.max_jobs = b.value("max_jobs", 1);
        status.speed_factor = b.value("speed_factor", 1.0);
        status.systems = strings(b, "systems");
        status.supported_features = strings(b, "supported_features");
        status.mandatory_features = strings(b, "mandatory_features");
        status.stages = b.value("stages", nlohmann::json::object());
        status.stage_ms = b.value("stage_ms", nlohmann::json::object());
        status.probed = b.value("probed", false);
        status.probe_ran = b.contains("live");
        status.nix_version = b.value("/remote/nix_version"_json_pointer, std::string());
        status.daemon_version = b.value("/live/ground_truth/daemon_version"_json_pointer, std::string());
        status.protocol_version = b.value("/live/ground_truth/protocol_version"_json_pointer, std::string());
        status.trusted = b.value("/live/ground_truth/trusted"_json_pointer, -1);
        r.builders.push_back(status);
    }
    if (r.builders.empty()) r.notes.push_back("no remote builders are configured");
    for (const auto& note : facts.value("/machines/notes"_json_pointer, nlohmann::json::array()))
        if (note.is_string()) r.notes.push_back(note.get<std::string>());
    if (const auto note = facts.value("/ground_truth/daemon_nix_sshopts_note"_json_pointer, std::string()); !note.empty())
        r.notes.push_back(note);
    r.findings = std::move(selected.findings);
    r.summary = engine::summarize(r.findings, selected.suppressed);
    r.rules = rules;
    r.run_timestamp_seconds =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    return r;
}

}  // namespace nbd::cli
