#include "nix_builder_doctor/engine/finding.hpp"

#include <algorithm>
#include <tuple>

namespace nbd::engine {
namespace {

auto sort_key(const Finding& f) {
    const std::string file = f.location ? f.location->file : std::string();
    const int line = f.location ? f.location->line : 0;
    return std::make_tuple(-static_cast<int>(f.severity), f.builder, f.rule, file, line, f.message);
}

}  // namespace

void sort_and_deduplicate(std::vector<Finding>& findings) {
    std::stable_sort(findings.begin(), findings.end(),
                     [](const Finding& a, const Finding& b) { return sort_key(a) < sort_key(b); });
    findings.erase(std::unique(findings.begin(), findings.end(),
                               [](const Finding& a, const Finding& b) { return sort_key(a) == sort_key(b); }),
                   findings.end());
}

nlohmann::json to_json(const Finding& f) {
    nlohmann::json j = {{"rule", f.rule}, {"severity", to_string(f.severity)}};
    if (!f.builder.empty()) j["builder"] = f.builder;
    j["title"] = f.title;
    j["message"] = f.message;
    j["fix"] = f.fix;
    if (f.location) {
        j["location"] = {{"file", f.location->file}};
        if (f.location->line > 0) j["location"]["line"] = f.location->line;
    }
    if (f.evidence) j["evidence"] = {{"line", f.evidence->line}, {"text", f.evidence->text}};
    return j;
}

Summary summarize(const std::vector<Finding>& findings, int suppressed) {
    Summary s;
    for (const auto& f : findings) {
        if (f.severity == Severity::error) ++s.error;
        else if (f.severity == Severity::warning) ++s.warning;
        else ++s.info;
    }
    s.suppressed = suppressed;
    return s;
}

}  // namespace nbd::engine
