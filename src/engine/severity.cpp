#include "nix_builder_doctor/engine/severity.hpp"

namespace nbd::engine {

std::string_view to_string(Severity s) {
    switch (s) {
        case Severity::error: return "error";
        case Severity::warning: return "warning";
        case Severity::info: return "info";
    }
    return "info";
}

std::optional<Severity> parse_severity(std::string_view s) {
    if (s == "error") return Severity::error;
    if (s == "warning") return Severity::warning;
    if (s == "info") return Severity::info;
    return std::nullopt;
}

}  // namespace nbd::engine
