// The parsed command line. Parsing never exits or prints: it returns options or a usage error
// with a "did you mean ...?" suggestion where one is near.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/severity.hpp"

namespace nbd::cli {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Command { check, route, explain, rules, help, version };
enum class Format { text, json, junit, sarif, github, prometheus, machines };

// The name as the command line writes it ("junit").
std::string format_name(Format format);

// --report FORMAT=FILE: an extra report written to FILE (atomically) beside stdout's.
struct ReportTarget {
    Format format = Format::text;
    std::string path;
};
enum class ColorMode { automatic, always, never };

struct Options {
    Command command = Command::check;
    std::string root = "/";
    std::optional<std::string> user;
    std::optional<std::string> system;
    std::optional<std::string> builders;
    std::map<std::string, std::string> remote_roots;
    std::optional<std::string> next_result;  // --next RESULT: a built system checked as the next generation
    std::optional<std::string> flake;        // --flake REF#HOST: built with nix build, then as --next
    bool offline = false;
    Format format = Format::text;
    std::vector<ReportTarget> reports;          // --report FORMAT=FILE (repeatable)
    std::vector<std::string> builder_patterns;  // --builder PATTERN (repeatable): check only these
    std::optional<engine::Severity> fail_on = engine::Severity::error;  // nullopt: never
    std::vector<std::string> select;
    std::vector<std::string> ignore;
    std::map<std::string, engine::Severity> severity_overrides;
    std::vector<std::string> rule_dirs;
    double timeout_seconds = 10;
    int jobs = 0;  // 0: auto (live_facts.cpp sizes the pool)
    bool dump_facts = false;
    bool build_test = false;
    ColorMode color = ColorMode::automatic;
    std::vector<std::string> features;    // route --features
    bool features_given = false;
    std::optional<std::string> nix_version;  // route --nix-version
    bool explain_check = false;              // explain --check
    std::vector<std::string> positional;  // explain FILE, rules ID, route DRV
};

Options parse_options(int argc, const char* const* argv);
std::string usage_text();

}  // namespace nbd::cli
