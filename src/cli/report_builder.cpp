#include "nix_builder_doctor/cli/report_builder.hpp"

#ifndef NBD_VERSION
#define NBD_VERSION "0.0.0"
#endif

namespace nbd::cli {

report::Report make_report(const nlohmann::json& facts, engine::SelectedFindings selected) {
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
        status.where = b.value("file", "") + (b.value("line", 0) > 0 ? ":" + std::to_string(b.value("line", 0)) : "");
        status.stages = b.value("stages", nlohmann::json::object());
        status.stage_ms = b.value("stage_ms", nlohmann::json::object());
        status.probed = b.value("probed", false);
        status.probe_ran = b.contains("live");
        r.builders.push_back(status);
    }
    if (r.builders.empty()) r.notes.push_back("no remote builders are configured");
    for (const auto& note : facts.value("/machines/notes"_json_pointer, nlohmann::json::array()))
        if (note.is_string()) r.notes.push_back(note.get<std::string>());
    if (const auto note = facts.value("/ground_truth/daemon_nix_sshopts_note"_json_pointer, std::string()); !note.empty())
        r.notes.push_back(note);
    r.findings = std::move(selected.findings);
    r.summary = engine::summarize(r.findings, selected.suppressed);
    return r;
}

}  // namespace nbd::cli
