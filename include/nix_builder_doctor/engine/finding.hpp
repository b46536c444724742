// One result of a rule over the Facts, and the stable order in which findings are reported.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/severity.hpp"

namespace nbd::engine {

struct Location {
    std::string file;
    int line = 0;  // 0: the whole file
};

struct Evidence {
    long long line = 0;
    std::string text;
};

struct Finding {
    std::string rule;
    Severity severity = Severity::error;
    std::string builder;  // empty: not about one builder
    std::string title;
    std::string message;
    std::string fix;
    std::optional<Location> location;
    std::optional<Evidence> evidence;  // explain mode: the matched log line
};

// Sort by severity (highest first), builder, rule, file, line, message; drop exact duplicates.
void sort_and_deduplicate(std::vector<Finding>& findings);

nlohmann::json to_json(const Finding& f);

struct Summary {
    int error = 0;
    int warning = 0;
    int info = 0;
    int suppressed = 0;
};

Summary summarize(const std::vector<Finding>& findings, int suppressed);

}  // namespace nbd::engine
