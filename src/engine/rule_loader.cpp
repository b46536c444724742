#include "nix_builder_doctor/engine/rule_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "nix_builder_doctor/engine/condition.hpp"
#include "nix_builder_doctor/engine/embedded_rules.hpp"
#include "nix_builder_doctor/engine/fact_path.hpp"
#include "nix_builder_doctor/engine/facts_schema.hpp"
#include "nix_builder_doctor/engine/schema_validator.hpp"

namespace nbd::engine {
namespace {

constexpr std::uintmax_t kMaxRuleFileSize = 1 << 20;

std::vector<std::string> string_list(const nlohmann::json& j, const char* key) {
    std::vector<std::string> out;
    if (j.contains(key))
        for (const auto& e : j[key]) out.push_back(e.get<std::string>());
    return out;
}

std::string string_field(const nlohmann::json& j, const char* key) {
    return j.contains(key) ? j[key].get<std::string>() : std::string();
}

}  // namespace

std::string rule_family(const std::string& id) { return id.substr(0, id.find('.')); }

const nlohmann::json& rule_schema() {
    static const nlohmann::json schema = [] {
        for (const auto& f : embedded_rule_files())
            if (f.name == "schema.json") return nlohmann::json::parse(f.text);
        return nlohmann::json::object();
    }();
    return schema;
}

std::optional<Rule> load_rule(const std::string& text, const std::string& source, std::vector<std::string>& errors) {
    return load_rule(text, source, errors, builtin_facts_schema());
}

std::optional<Rule> load_rule(const std::string& text, const std::string& source, std::vector<std::string>& errors,
                              const FactsSchema& facts) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        errors.push_back(source + ": not valid JSON: " + e.what());
        return std::nullopt;
    }
    const auto problems = validate_against_schema(j, rule_schema());
    if (!problems.empty()) {
        for (const auto& p : problems) errors.push_back(source + ": " + (p.empty() ? "/" : p));
        return std::nullopt;
    }
    Rule r;
    r.id = j["id"].get<std::string>();
    const std::string stem = std::filesystem::path(source).stem().string();
    if (source.size() > 5 && source.substr(source.size() - 5) == ".json" && stem != r.id) {
        errors.push_back(source + ": the file name must be the rule id (" + r.id + ".json)");
        return std::nullopt;
    }
    r.title = j["title"].get<std::string>();
    r.severity = *parse_severity(j["severity"].get<std::string>());
    r.where = string_list(j, "where");
    r.for_each = string_field(j, "for_each");
    r.when = j.contains("when") ? j["when"] : nlohmann::json();
    r.message = j["message"].get<std::string>();
    r.fix = j["fix"].get<std::string>();
    r.rationale = j["rationale"].get<std::string>();
    r.references = string_list(j, "references");
    r.builder = string_field(j, "builder");
    if (j.contains("location")) {
        r.location_file = string_field(j["location"], "file");
        r.location_line = string_field(j["location"], "line");
    }
    r.log_patterns = string_list(j, "log_patterns");
    r.explain = j.contains("explain") ? j["explain"] : nlohmann::json();
    r.source = source;
    try {
        if (!r.for_each.empty()) check_path_syntax(r.for_each, true);
        if (!r.when.is_null()) check_condition(r.when);
        for (const auto& p : r.log_patterns) std::regex(p, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::exception& e) {
        errors.push_back(source + ": " + e.what());
        return std::nullopt;
    }
    // A path no producer writes makes a rule that can never fire.
    if (!facts.errors().empty()) {
        errors.push_back(source + ": cannot check its fact paths: the facts schema is broken: " + facts.errors().front());
        return std::nullopt;
    }
    const auto unknown = facts.check_rule(r);
    for (const auto& p : unknown) errors.push_back(source + ": " + p);
    if (!unknown.empty()) return std::nullopt;
    return r;
}

RuleLoadResult load_builtin_rules() {
    RuleLoadResult result;
    for (const auto& f : embedded_rule_files()) {
        if (f.name == "schema.json") continue;
        if (auto r = load_rule(f.text, "rules/" + f.name, result.errors)) result.rules.push_back(std::move(*r));
    }
    return result;
}

RuleLoadResult load_rules_from_directory(const std::string& dir) {
    RuleLoadResult result;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        result.errors.push_back(dir + ": not a directory");
        return result;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().extension() == ".json" && entry.path().filename() != "schema.json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
        if (std::filesystem::file_size(path, ec) > kMaxRuleFileSize) {
            result.errors.push_back(path.string() + ": larger than 1 MiB");
            continue;
        }
        std::ifstream in(path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        if (!in) {
            result.errors.push_back(path.string() + ": cannot be read");
            continue;
        }
        if (auto r = load_rule(text.str(), path.string(), result.errors)) result.rules.push_back(std::move(*r));
    }
    return result;
}

RuleLoadResult load_all_rules(const std::vector<std::string>& extra_dirs) {
    RuleLoadResult all = load_builtin_rules();
    for (const auto& dir : extra_dirs) {
        RuleLoadResult more = load_rules_from_directory(dir);
        all.errors.insert(all.errors.end(), more.errors.begin(), more.errors.end());
        for (auto& r : more.rules) {
            auto same = std::find_if(all.rules.begin(), all.rules.end(), [&](const Rule& x) { return x.id == r.id; });
            if (same != all.rules.end()) *same = std::move(r);
            else all.rules.push_back(std::move(r));
        }
    }
    std::sort(all.rules.begin(), all.rules.end(), [](const Rule& a, const Rule& b) { return a.id < b.id; });
    return all;
}

}  // namespace nbd::engine
