#include "nix_builder_doctor/report/report.hpp"

namespace nbd::report {

std::string builder_verdict(const Report& r, const BuilderStatus& b) {
    for (const auto& f : r.findings)
        if (f.builder == b.uri && f.severity == engine::Severity::error) return "broken";
    return b.probed ? "ok" : "unknown";
}

}  // namespace nbd::report
