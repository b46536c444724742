// What a report shows: the run's context, the builders with their verdicts, the findings.
// Renderers take only this (text for people, JSON version 1 for machines, and the CI/fleet
// formats of docs/formats.md: JUnit, SARIF, GitHub workflow commands, Prometheus, machines).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/engine/finding.hpp"
#include "nix_builder_doctor/engine/rule.hpp"

namespace nbd::report {

struct BuilderStatus {
    std::string uri;
    std::string host;
    std::string where;                   // "/etc/nix/machines:3"
    std::string file;                    // the machines file ("" for --builders)
    int line = 0;                        // its line
    std::string entry;                   // the machines line as written
    int max_jobs = 1;                    // column 4
    double speed_factor = 1;             // column 5
    std::vector<std::string> systems;    // column 2
    std::vector<std::string> supported_features;  // column 6
    std::vector<std::string> mandatory_features;  // column 7
    nlohmann::json stages = nlohmann::json::object();  // stage name -> outcome
    nlohmann::json stage_ms = nlohmann::json::object();  // stage name -> milliseconds (live only)
    bool probed = false;                 // every live stage passed (so "ok" can be claimed)
    bool probe_ran = false;              // a live probe ran at all (passed or not)
    std::string nix_version;             // live: `nix --version` there (snapshot), or ""
    std::string daemon_version;          // live, ssh-ng: the daemon's version, or ""
    std::string protocol_version;        // live: the protocol spoken ("2.7"), or ""
    int trusted = -1;                    // live, ssh-ng: 1 trusted, 0 not, -1 unknown
};

struct Report {
    std::string tool_version;
    std::string principal;
    std::string context;                 // one line: install kind, system, root
    std::vector<BuilderStatus> builders;
    std::vector<engine::Finding> findings;  // sorted
    engine::Summary summary;
    std::vector<std::string> notes;      // shown under the header in text only
    std::vector<engine::Rule> rules;     // the rules that ran (SARIF's tool.driver.rules)
    double run_timestamp_seconds = 0;    // when the run ended (Unix time)
    // check --next / --flake: {result, store_path, flake?, from_next, gone, changes} (null
    // otherwise); the JSON report's `next` object, a block under the header in text.
    nlohmann::json next;
};

// "broken" when an error finding names the builder; "ok" when it was probed and nothing is
// wrong; otherwise "unknown" (files alone cannot prove a builder works).
std::string builder_verdict(const Report& r, const BuilderStatus& b);

nlohmann::json render_json(const Report& r);

struct TextStyle {
    bool color = false;
};
std::string render_text(const Report& r, const TextStyle& style);

// One function per format; each renders the same Report (no rule logic here).
std::string render_junit(const Report& r);       // JUnit XML (junit_report.cpp)
std::string render_sarif(const Report& r);       // SARIF 2.1.0 JSON (sarif_report.cpp)
std::string render_github(const Report& r);      // GitHub Actions workflow commands
std::string render_prometheus(const Report& r);  // node_exporter textfile metrics
std::string render_machines(const Report& r);    // machines lines of the "ok" builders

// GitHub workflow-command escaping (github_report.cpp): data escapes % CR LF, a property
// value also ':' and ','. Both apply util::safe_text first.
std::string escape_workflow_data(std::string_view text);
std::string escape_workflow_property(std::string_view text);
// A Prometheus label value (backslash, double quote, newline), after util::safe_text.
std::string escape_label_value(std::string_view text);

// The report in FORMAT (text json junit sarif github prometheus machines), ready to print or
// write (JSON ends with a newline like the others). Throws std::invalid_argument for another name.
std::string render(const Report& r, const std::string& format, const TextStyle& style);

// Colour when stdout is a TTY, unless NO_COLOR is set; CLICOLOR_FORCE forces it.
bool should_use_color(int fd);

}  // namespace nbd::report
