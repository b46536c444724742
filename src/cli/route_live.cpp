#include "nix_builder_doctor/cli/route_live.hpp"

#include <algorithm>
#include <string>

namespace nbd::cli {
namespace {

// Problems that show only once the hook has accepted the builder: the remote Nix refuses or
// cannot run the build (docs/route-logic.md §5: after `# accept` no other machine is tried).
const std::vector<std::string> kAfterAccept = {"remote.user-not-trusted", "remote.missing-features", "remote.missing-system",
                                               "remote.build-test-failed", "nixconf.ca-derivations-legacy-ssh"};

bool after_accept(const std::string& rule) { return std::find(kAfterAccept.begin(), kAfterAccept.end(), rule) != kAfterAccept.end(); }

// The rule families that explain a failed stage, most telling first.
std::vector<std::string> families_for(const std::string& stage) {
    if (stage == "dns" || stage == "tcp" || stage == "banner") return {"net.", "remote."};
    if (stage == "kex" || stage == "hostkey") return {"hostkey.", "machines.", "net."};
    if (stage == "auth_methods" || stage == "publickey") return {"auth.", "keys.", "machines."};
    return {"remote.", "auth.", "hostkey.", "keys.", "net.", "install.", "sshconfig."};
}

// The finding that best explains a failed connection: one of the failed stage's families, else any.
const engine::Finding* explaining(const std::vector<const engine::Finding*>& errors, const std::string& stage) {
    for (const auto& family : families_for(stage))
        for (const auto* f : errors)
            if (f->rule.rfind(family, 0) == 0 && !after_accept(f->rule)) return f;
    for (const auto* f : errors)
        if (!after_accept(f->rule)) return f;
    return nullptr;
}

// No rule explains the failure: the stage and outcome, and what the remote side said, if anything.
std::string unexplained_failure(const nlohmann::json& builder, const std::string& stage, const std::string& outcome) {
    std::string said = builder.value("/live/ground_truth/remote_error"_json_pointer, std::string());
    if (said.empty()) said = builder.value("/live/ground_truth/ssh_error"_json_pointer, std::string());
    if (said.size() > 300) said = said.substr(0, 300) + "...";
    return "the connection fails (" + stage + ": " + outcome + (said.empty() ? "" : ": " + said) + ")";
}

}  // namespace

void mark_live(std::vector<route::Machine>& machines, const nlohmann::json& facts, const std::vector<engine::Finding>& findings) {
    const auto& builders = facts.value("builders", nlohmann::json::array());
    for (std::size_t i = 0; i < machines.size() && i < builders.size(); ++i) {
        auto& m = machines[i];
        const auto& stages = builders[i].value("stages", nlohmann::json::object());
        if (stages.empty()) continue;  // not probed (--offline, or not an ssh builder)
        std::vector<const engine::Finding*> errors;
        for (const auto& f : findings)
            if (f.builder == m.uri && f.severity == engine::Severity::error) errors.push_back(&f);
        // The ground truth connects as Nix does; without it, the first stage that failed decides.
        // The ground truth connects as Nix does, so it decides whether the connection fails; the
        // first X-ray stage that failed says best why (the object's keys are sorted, not in order).
        const bool nix_probed = stages.contains("nix");
        std::string failed_stage, outcome_text;
        for (const char* stage : {"dns", "tcp", "banner", "kex", "hostkey", "auth_methods", "publickey", "nix"})
            if (stages.contains(stage) && stages[stage] != "ok" && stages[stage] != "skipped") {
                failed_stage = stage, outcome_text = stages[stage].get<std::string>();
                break;
            }
        if (nix_probed && stages["nix"] == "ok") failed_stage.clear();
        if (!failed_stage.empty()) {
            m.live = route::Live::connect_fails;
            const auto* why = explaining(errors, failed_stage);
            m.live_reason = why ? why->title + " [" + why->rule + "]" : unexplained_failure(builders[i], failed_stage, outcome_text);
            continue;
        }
        const auto fatal = std::find_if(errors.begin(), errors.end(), [](const engine::Finding* f) { return after_accept(f->rule); });
        if (fatal != errors.end()) {
            m.live = route::Live::build_fails;
            m.live_reason = (*fatal)->title + " [" + (*fatal)->rule + "]";
        } else {
            m.live = route::Live::ok;
        }
    }
}

}  // namespace nbd::cli
