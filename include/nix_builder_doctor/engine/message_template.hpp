// Renders rule texts: "{path}" is replaced by the fact at that path (as in conditions); arrays
// are joined with ", "; "{path|fallback}" uses fallback when the fact is missing or empty;
// "{{" and "}}" are literal braces.
#pragma once

#include <string>
#include <vector>

#include "nix_builder_doctor/engine/fact_path.hpp"

namespace nbd::engine {

std::string render_template(const std::string& text, const Scope& scope);

// The template as a reader sees it before any facts: each placeholder shown as "{path}" (its
// fallback dropped), "{{" and "}}" shown as single braces.
std::string display_template(const std::string& text);

// The fact paths a template reads, in order (the part of each placeholder before '|').
std::vector<std::string> template_paths(const std::string& text);

}  // namespace nbd::engine
