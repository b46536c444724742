#include "nix_builder_doctor/route/route_report.hpp"

#include <sstream>

#include "nix_builder_doctor/route/listing_text.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::route {
namespace {

std::string live_name(Live l) {
    switch (l) {
        case Live::unknown: return "not-probed";
        case Live::ok: return "ok";
        case Live::connect_fails: return "connect-fails";
        case Live::build_fails: return "build-fails";
    }
    return "not-probed";
}

std::string machine_line(const RouteReport& r, std::size_t i) {
    const auto& m = r.machines[i];
    const auto& v = r.route.machines[i];
    std::string rank = v.rank ? "#" + std::to_string(*v.rank) : "--";
    std::string line = "  " + rank + std::string(rank.size() < 4 ? 4 - rank.size() : 1, ' ') + m.uri + "\n       ";
    if (v.verdict == Verdict::candidate) {
        line += "qualifies: load " + std::to_string(m.load.value_or(0)) + " of " + std::to_string(m.max_jobs) + ", speed factor " +
                number(m.speed_factor) + " (score " + number(v.score) + ")";
        if (m.live == Live::connect_fails) line += "\n       live: the connection fails: " + m.live_reason;
        else if (m.live == Live::build_fails) line += "\n       live: connects, but the build would fail: " + m.live_reason;
        else if (m.live == Live::ok) line += "\n       live: Nix's own connection works";
    } else {
        line += verdict_name(v.verdict) + ": " + v.reason;
    }
    if (!m.file.empty() && m.file != "--builders") line += "\n       (" + m.file + (m.line > 0 ? ":" + std::to_string(m.line) : "") + ")";
    return line + "\n";
}

}  // namespace

std::string render_route_text(const RouteReport& r) {
    std::ostringstream o;
    o << "Route for " << r.need.system << " with features " << braces(r.need.features) << " (" << r.from << ")\n";
    o << "Decided as " << r.logic.describe() << " does; docs/route-logic.md has the rules\n\n";
    if (r.machines.empty()) {
        o << "Builders: none configured\n";
    } else {
        o << "Builders, in the order Nix reads them (#N: the order the hook tries them):\n";
        for (std::size_t i = 0; i < r.machines.size(); ++i) o << machine_line(r, i);
    }
    o << "\nLocal build: " << (r.route.local.possible ? "possible" : "not possible: " + util::join(r.route.local.why_not, "; ")) << "\n";
    o << "\n=> " << r.route.outcome << "\n";
    if (!r.route.nix_says.empty()) {
        o << "\nNix would print:\n";
        for (const auto& line : r.route.nix_says) o << "  | " << line << "\n";
    }
    if (!r.notes.empty()) {
        o << "\nNotes:\n";
        for (const auto& n : r.notes) o << "  - " << n << "\n";
    }
    return o.str();
}

nlohmann::json route_json(const RouteReport& r) {
    nlohmann::json j;
    j["version"] = 1;
    j["need"] = {{"system", r.need.system},
                 {"features", std::vector<std::string>(r.need.features.begin(), r.need.features.end())},
                 {"drv", r.need.drv.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.need.drv)},
                 {"from", r.from}};
    j["logic"] = {{"flavor", r.logic.flavor}, {"version", r.logic.version}, {"assumed", r.logic.assumed}, {"describe", r.logic.describe()}};
    j["choice"] = r.route.lands_on ? nlohmann::json(r.machines[*r.route.lands_on].uri) : nlohmann::json(nullptr);
    j["first_choice"] = r.route.choice ? nlohmann::json(r.machines[*r.route.choice].uri) : nlohmann::json(nullptr);
    j["reply"] = reply_name(r.route.reply);
    j["outcome"] = r.route.outcome;
    j["local"] = {{"possible", r.route.local.possible},
                  {"why_not", r.route.local.why_not},
                  {"system", r.local.system},
                  {"extra_platforms", std::vector<std::string>(r.local.extra_platforms.begin(), r.local.extra_platforms.end())},
                  {"system_features", std::vector<std::string>(r.local.features.begin(), r.local.features.end())},
                  {"max_jobs", r.local.max_jobs}};
    j["builders"] = nlohmann::json::array();
    for (std::size_t i = 0; i < r.machines.size(); ++i) {
        const auto& m = r.machines[i];
        const auto& v = r.route.machines[i];
        j["builders"].push_back({{"uri", m.uri},
                                 {"file", m.file},
                                 {"line", m.line},
                                 {"verdict", verdict_name(v.verdict)},
                                 {"reason", v.reason},
                                 {"rank", v.rank ? nlohmann::json(*v.rank) : nlohmann::json(nullptr)},
                                 {"score", v.verdict == Verdict::candidate ? nlohmann::json(v.score) : nlohmann::json(nullptr)},
                                 {"load", m.load ? nlohmann::json(*m.load) : nlohmann::json(nullptr)},
                                 {"max_jobs", m.max_jobs},
                                 {"speed_factor", m.speed_factor},
                                 {"systems", effective_systems(m, r.local)},
                                 {"tried", v.tried},
                                 {"live", {{"state", live_name(m.live)}, {"reason", m.live_reason}}}});
    }
    j["nix_says"] = r.route.nix_says;
    j["notes"] = r.notes;
    return j;
}

}  // namespace nbd::route
