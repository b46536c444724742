// explain's text for people: the root cause, its fix and the line that shows it, readable in
// five seconds; then the other findings, one line each.
#pragma once

#include <string>

#include "nix_builder_doctor/explain/analyzer.hpp"

namespace nbd::explain {

struct TextOptions {
    bool color = false;
    std::string source = "standard input";  // where the log came from
};

std::string render_explain_text(const ExplainResult& result, const TextOptions& options);

}  // namespace nbd::explain
