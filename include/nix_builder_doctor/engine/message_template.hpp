// Renders rule texts: "{path}" is replaced by the fact at that path (as in conditions); arrays
// are joined with ", "; "{path|fallback}" uses fallback when the fact is missing or empty;
// "{{" and "}}" are literal braces.
#pragma once

#include <string>

#include "nix_builder_doctor/engine/fact_path.hpp"

namespace nbd::engine {

std::string render_template(const std::string& text, const Scope& scope);

}  // namespace nbd::engine
