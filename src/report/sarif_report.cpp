// SARIF 2.1.0: one run, the rules that ran as tool.driver.rules, one result per finding with a
// physical location (the finding's file:line, else the builder's machines line) and a
// partialFingerprint over rule, builder, file and line only, so it is stable across runs.
#include <cctype>
#include <cstdio>
#include <map>

#include "nix_builder_doctor/report/project_uri.hpp"
#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/report/stage_outcome.hpp"
#include "nix_builder_doctor/util/encoding.hpp"
#include "nix_builder_doctor/util/output.hpp"
#include "nix_builder_doctor/util/redact.hpp"

namespace nbd::report {
namespace {

std::string level(engine::Severity s) {
    switch (s) {
        case engine::Severity::error: return "error";
        case engine::Severity::warning: return "warning";
        case engine::Severity::info: return "note";
    }
    return "none";
}

// An absolute path becomes a file:// URI, anything else a relative reference; every byte outside
// RFC 3986's unreserved set and '/' is percent-encoded (after redaction: encoded bytes would hide
// a secret from dump_json's pass).
std::string file_uri(const std::string& path) {
    std::string out = !path.empty() && path[0] == '/' ? "file://" : "";
    for (const unsigned char c : util::redact(path)) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

std::string fingerprint(const engine::Finding& f, const std::string& file, int line) {
    const std::string key = f.rule + '\0' + f.builder + '\0' + file + '\0' + std::to_string(line);
    const util::Bytes digest = util::sha256(util::to_bytes(key));
    std::string hex;
    for (const auto b : digest) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", b);
        hex += buf;
    }
    return hex;
}

nlohmann::json rule_descriptor(const engine::Rule& rule, const std::string& version) {
    nlohmann::json d = {{"id", rule.id},
                        {"shortDescription", {{"text", rule.title}}},
                        {"defaultConfiguration", {{"level", level(rule.severity)}}}};
    if (!rule.rationale.empty()) d["fullDescription"] = {{"text", rule.rationale}};
    std::string help = rule.rationale;
    if (!rule.fix.empty()) help += (help.empty() ? "" : "\n\n") + std::string("Fix: ") + rule.fix;
    for (const auto& ref : rule.references) help += "\n- " + ref;
    if (!help.empty()) d["help"] = {{"text", help}};
    // Only built-in rules have a page; a --rules DIR file has none we can name.
    if (rule.source == "rules/" + rule.id + ".json") d["helpUri"] = rule_help_uri(version, rule.id);
    d["properties"] = {{"tags", rule.where}};
    return d;
}

}  // namespace

std::string render_sarif(const Report& r) {
    nlohmann::json rules = nlohmann::json::array();
    std::map<std::string, int> index;
    for (const auto& rule : r.rules) {
        if (index.count(rule.id)) continue;
        index[rule.id] = static_cast<int>(rules.size());
        rules.push_back(rule_descriptor(rule, r.tool_version));
    }
    std::map<std::string, const BuilderStatus*> builders;
    for (const auto& b : r.builders) builders[b.uri] = &b;

    nlohmann::json results = nlohmann::json::array();
    for (const auto& f : r.findings) {
        if (!index.count(f.rule)) {  // a finding of a rule not in the list still gets a descriptor
            index[f.rule] = static_cast<int>(rules.size());
            rules.push_back({{"id", f.rule}, {"shortDescription", {{"text", f.title}}}});
        }
        std::string file;
        int line = 0;
        if (f.location) {
            file = f.location->file;
            line = f.location->line;
        } else if (const auto b = builders.find(f.builder); b != builders.end()) {
            file = b->second->file;
            line = b->second->line;
        }
        std::string text = f.message;
        if (!f.fix.empty()) text += "\nFix: " + f.fix;
        nlohmann::json result = {{"ruleId", f.rule},
                                 {"ruleIndex", index[f.rule]},
                                 {"level", level(f.severity)},
                                 {"message", {{"text", text}}},
                                 {"partialFingerprints", {{"nixBuilderDoctor/v1", fingerprint(f, file, line)}}},
                                 {"properties", {{"builder", f.builder.empty() ? kThisMachine : f.builder}, {"title", f.title}}}};
        if (!file.empty()) {
            nlohmann::json physical = {{"artifactLocation", {{"uri", file_uri(file)}}}};
            if (line > 0) physical["region"] = {{"startLine", line}};
            result["locations"] = nlohmann::json::array({{{"physicalLocation", physical}}});
        }
        results.push_back(std::move(result));
    }

    nlohmann::json driver = {{"name", "nix-builder-doctor"},
                             {"version", r.tool_version},
                             {"semanticVersion", r.tool_version},
                             {"informationUri", kInformationUri},
                             {"rules", rules}};
    nlohmann::json log = {{"$schema", "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"},
                          {"version", "2.1.0"},
                          {"runs", nlohmann::json::array({{{"tool", {{"driver", driver}}}, {"results", results}}})}};
    return util::dump_json(log) + "\n";
}

}  // namespace nbd::report
