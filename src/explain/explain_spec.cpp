#include "nix_builder_doctor/explain/explain_spec.hpp"

#include <set>

namespace nbd::explain {
namespace {

const std::set<std::string> kKnownKeys = {"role", "scope", "rank", "cause", "fix", "alternatives", "resolved_by", "check", "fallback", "after_cause", "patterns_with_builder", "when_builders_named", "when_copying_in", "yields_to_later"};

std::string text_field(const nlohmann::json& j, const char* key, const std::string& id, std::vector<std::string>& problems) {
    if (!j.contains(key)) return "";
    if (!j[key].is_string()) {
        problems.push_back(id + ": explain." + key + " must be a string");
        return "";
    }
    return j[key].get<std::string>();
}

}  // namespace

ExplainSpec parse_explain_spec(const engine::Rule& rule, std::vector<std::string>& problems) {
    ExplainSpec spec;
    const nlohmann::json& j = rule.explain;
    if (j.is_null()) return spec;
    const std::string& id = rule.id;
    if (!j.is_object()) {
        problems.push_back(id + ": explain must be an object");
        return spec;
    }
    for (const auto& [key, _] : j.items())
        if (!kKnownKeys.count(key)) problems.push_back(id + ": explain." + key + " is not a known key");

    const std::string role = text_field(j, "role", id, problems);
    if (role == "consequence") spec.role = Role::consequence;
    else if (role == "vague") spec.role = Role::vague;
    else if (!role.empty() && role != "cause") problems.push_back(id + ": explain.role must be cause, vague or consequence");

    const std::string scope = text_field(j, "scope", id, problems);
    if (scope == "builder") spec.scope = Scope::builder;
    else if (scope == "builder-line") spec.scope = Scope::builder_line;
    else if (scope == "local") spec.scope = Scope::local;
    else if (!scope.empty() && scope != "any") problems.push_back(id + ": explain.scope must be any, builder, builder-line or local");

    if (j.contains("rank")) {
        if (j["rank"].is_number_integer() && j["rank"].get<int>() >= 0 && j["rank"].get<int>() <= 100) spec.rank = j["rank"].get<int>();
        else problems.push_back(id + ": explain.rank must be an integer from 0 to 100");
    }
    spec.cause = text_field(j, "cause", id, problems);
    spec.fix = text_field(j, "fix", id, problems);
    spec.check = text_field(j, "check", id, problems);
    spec.after_cause = text_field(j, "after_cause", id, problems);
    spec.when_builders_named = text_field(j, "when_builders_named", id, problems);
    spec.when_copying_in = text_field(j, "when_copying_in", id, problems);
    if (j.contains("patterns_with_builder")) {
        bool ok = j["patterns_with_builder"].is_array();
        if (ok)
            for (const auto& p : j["patterns_with_builder"]) {
                if (p.is_string() && p.get<std::string>().size() >= 3) spec.patterns_with_builder.push_back(p.get<std::string>());
                else ok = false;
            }
        if (!ok) problems.push_back(id + ": explain.patterns_with_builder must be an array of regexes (3 characters or more)");
    }
    if (j.contains("fallback")) {
        if (j["fallback"].is_boolean()) spec.fallback = j["fallback"].get<bool>();
        else problems.push_back(id + ": explain.fallback must be true or false");
    }
    if (j.contains("alternatives")) {
        if (!j["alternatives"].is_array()) problems.push_back(id + ": explain.alternatives must be an array");
        else
            for (const auto& a : j["alternatives"]) {
                if (!a.is_object() || !a.contains("rule") || !a["rule"].is_string() || !a.contains("tell") || !a["tell"].is_string()) {
                    problems.push_back(id + ": each explain.alternatives entry needs a string rule and tell");
                    continue;
                }
                spec.alternatives.push_back({a["rule"].get<std::string>(), a["tell"].get<std::string>()});
            }
    }
    if (j.contains("resolved_by")) {
        if (!j["resolved_by"].is_array()) problems.push_back(id + ": explain.resolved_by must be an array of rule ids");
        else
            for (const auto& r : j["resolved_by"]) {
                if (r.is_string()) spec.resolved_by.push_back(r.get<std::string>());
                else problems.push_back(id + ": explain.resolved_by must be an array of rule ids");
            }
    }
    if (j.contains("yields_to_later")) {
        bool ok = j["yields_to_later"].is_array();
        if (ok)
            for (const auto& p : j["yields_to_later"]) {
                if (p.is_string() && p.get<std::string>().size() >= 2 && p.get<std::string>().back() == '.') spec.yields_to_later.push_back(p.get<std::string>());
                else ok = false;
            }
        if (!ok) problems.push_back(id + ": explain.yields_to_later must be an array of rule-id prefixes ending in '.' (\"auth.\")");
    }
    return spec;
}

}  // namespace nbd::explain
