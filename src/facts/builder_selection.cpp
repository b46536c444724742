// --builder PATTERN: which builders this run checks. The others stay in /builders (rules about
// the whole configuration, such as "no builder for this system", still see them) but are not
// probed, and the report leaves them out.
#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

// A pattern names a builder by its host, its URI as completed or as written (OpenSSH-style
// `*` and `?` wildcards, case-sensitive as Nix compares them).
bool names_builder(const std::string& pattern, const nlohmann::json& b) {
    for (const char* key : {"host", "uri", "written"}) {
        const std::string value = b.value(key, std::string());
        if (!value.empty() && util::wildcard_match(value, pattern)) return true;
    }
    return false;
}

}  // namespace

void select_builders(GatherContext& ctx) {
    const auto& patterns = ctx.options.builder_patterns;
    auto unmatched = nlohmann::json::array();
    std::vector<bool> used(patterns.size(), false);
    for (auto& b : ctx.facts["builders"]) {
        bool selected = patterns.empty();
        for (std::size_t i = 0; i < patterns.size(); ++i)
            if (names_builder(patterns[i], b)) selected = used[i] = true;
        b["selected"] = selected;
    }
    for (std::size_t i = 0; i < patterns.size(); ++i)
        if (!used[i]) unmatched.push_back(patterns[i]);
    ctx.facts["unmatched_builder_patterns"] = unmatched;
}

}  // namespace nbd::facts
