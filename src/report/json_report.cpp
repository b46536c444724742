#include "nix_builder_doctor/report/report.hpp"

namespace nbd::report {

nlohmann::json render_json(const Report& r) {
    nlohmann::json j;
    j["version"] = 1;
    j["tool"] = {{"name", "nix-builder-doctor"}, {"version", r.tool_version}};
    j["principal"] = r.principal;
    j["builders"] = nlohmann::json::array();
    for (const auto& b : r.builders) {
        nlohmann::json entry = {{"uri", b.uri}, {"host", b.host}, {"verdict", builder_verdict(r, b)}, {"stages", b.stages}};
        if (!b.stage_ms.empty()) entry["stage_ms"] = b.stage_ms;
        j["builders"].push_back(entry);
    }
    j["findings"] = nlohmann::json::array();
    for (const auto& f : r.findings) j["findings"].push_back(engine::to_json(f));
    if (!r.next.is_null()) j["next"] = r.next;
    j["summary"] = {{"error", r.summary.error},
                    {"warning", r.summary.warning},
                    {"info", r.summary.info},
                    {"suppressed", r.summary.suppressed}};
    return j;
}

}  // namespace nbd::report
