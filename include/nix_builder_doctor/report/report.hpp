// What a report shows: the run's context, the builders with their verdicts, the findings.
// Renderers (text for people, JSON version 1 for machines) take only this.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/finding.hpp"

namespace nbd::report {

struct BuilderStatus {
    std::string uri;
    std::string host;
    std::string where;                   // "/etc/nix/machines:3"
    nlohmann::json stages = nlohmann::json::object();  // stage name -> outcome
    nlohmann::json stage_ms = nlohmann::json::object();  // stage name -> milliseconds (live only)
    bool probed = false;                 // every live stage passed (so "ok" can be claimed)
    bool probe_ran = false;              // a live probe ran at all (passed or not)
};

struct Report {
    std::string tool_version;
    std::string principal;
    std::string context;                 // one line: install kind, system, root
    std::vector<BuilderStatus> builders;
    std::vector<engine::Finding> findings;  // sorted
    engine::Summary summary;
    std::vector<std::string> notes;      // shown under the header in text only
};

// "broken" when an error finding names the builder; "ok" when it was probed and nothing is
// wrong; otherwise "unknown" (files alone cannot prove a builder works).
std::string builder_verdict(const Report& r, const BuilderStatus& b);

nlohmann::json render_json(const Report& r);

struct TextStyle {
    bool color = false;
};
std::string render_text(const Report& r, const TextStyle& style);

// The report in a named format: text json junit sarif github prometheus machines.
std::string render(const Report& r, const std::string& format, const TextStyle& style);

// Colour when stdout is a TTY, unless NO_COLOR is set; CLICOLOR_FORCE forces it.
bool should_use_color(int fd);

}  // namespace nbd::report
