// SARIF 2.1.0: valid against the OASIS schema (python3-jsonschema), the rules that ran as
// tool.driver.rules with help pages, results pointing at file:line with a level per severity,
// fingerprints that depend on rule, builder, file and line only.
#include <nlohmann/json.hpp>

#include "nix_builder_doctor/report/project_uri.hpp"
#include "report_formats_fixture.hpp"

namespace {

using namespace report_fixture;
using nbd::report::render_sarif;
using nlohmann::json;

Validation sarif_schema(const std::string& text) {
    const std::string script =
        "import json, sys, jsonschema\n"
        "schema = json.load(open(sys.argv[1]))\n"
        "cls = jsonschema.validators.validator_for(schema)\n"
        "cls.check_schema(schema)\n"
        "errors = list(cls(schema).iter_errors(json.load(open(sys.argv[2], encoding='utf-8'))))\n"
        "for e in errors: print(list(e.absolute_path), e.message)\n"
        "sys.exit(1 if errors else 0)\n";
    return run_validator("python3 -c " + shell_quote(script) + " " + shell_quote(source_path("tests/report/sarif-schema-2.1.0.json")),
                         text, ".sarif");
}

bool have_jsonschema() { return std::system("python3 -c 'import jsonschema' >/dev/null 2>&1") == 0; }

#define REQUIRE_JSONSCHEMA()                                                                  \
    if (!have_jsonschema()) {                                                                 \
        GTEST_SKIP() << "python3 jsonschema is not installed (Debian python3-jsonschema)";    \
    }

TEST(ReportSarif, TheSchemaRejectsADriverWithoutName) {
    REQUIRE_JSONSCHEMA();
    EXPECT_NE(sarif_schema(R"({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})").status, 0);
}

TEST(ReportSarif, HealthyIsValidWithTheRulesAndNoResults) {
    REQUIRE_JSONSCHEMA();
    const std::string text = render_sarif(healthy());
    const auto v = sarif_schema(text);
    EXPECT_EQ(v.status, 0) << v.output;
    const json j = json::parse(text);
    EXPECT_EQ(j["version"], "2.1.0");
    const json& driver = j["runs"][0]["tool"]["driver"];
    EXPECT_EQ(driver["name"], "nix-builder-doctor");
    EXPECT_EQ(driver["version"], "0.1.0");
    EXPECT_EQ(driver["informationUri"], nbd::report::kInformationUri);
    EXPECT_EQ(driver["rules"].size(), healthy().rules.size());
    EXPECT_TRUE(j["runs"][0]["results"].empty());
    bool seen = false;
    for (const auto& rule : driver["rules"]) {
        if (rule["id"] != "net.connection-refused") continue;
        seen = true;
        EXPECT_EQ(rule["helpUri"], std::string(nbd::report::kInformationUri) + "/blob/v0.1.0/rules/net.connection-refused.json");
        EXPECT_FALSE(rule["shortDescription"]["text"].get<std::string>().empty());
        EXPECT_FALSE(rule["fullDescription"]["text"].get<std::string>().empty());
        EXPECT_NE(rule["help"]["text"].get<std::string>().find("Fix: "), std::string::npos);
        EXPECT_EQ(rule["defaultConfiguration"]["level"], "error");
    }
    EXPECT_TRUE(seen);
}

TEST(ReportSarif, BrokenBuilderIsAnErrorResultAtItsLine) {
    REQUIRE_JSONSCHEMA();
    const Report r = broken();
    const std::string text = render_sarif(r);
    const auto v = sarif_schema(text);
    EXPECT_EQ(v.status, 0) << v.output;
    const json j = json::parse(text);
    const json& results = j["runs"][0]["results"];
    ASSERT_EQ(results.size(), 2u);
    const json& e = results[0];
    EXPECT_EQ(e["ruleId"], "net.connection-refused");
    EXPECT_EQ(e["level"], "error");
    EXPECT_EQ(j["runs"][0]["tool"]["driver"]["rules"][e["ruleIndex"].get<int>()]["id"], "net.connection-refused");
    EXPECT_EQ(e["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "file:///etc/nix/machines");
    EXPECT_EQ(e["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
    EXPECT_EQ(e["properties"]["builder"], "ssh://nix@beta");
    EXPECT_EQ(e["partialFingerprints"]["nixBuilderDoctor/v1"].get<std::string>().size(), 64u);
    EXPECT_EQ(results[1]["level"], "warning");
    EXPECT_EQ(results[1]["properties"]["builder"], "this machine");
}

TEST(ReportSarif, InfoIsANoteAndABuilderFindingWithoutLocationPointsAtItsLine) {
    Report r = warnings_only();
    r.findings.push_back(finding("remote.user-not-trusted", nbd::engine::Severity::warning, "ssh://nix@beta", "not trusted"));
    const json results = json::parse(render_sarif(r))["runs"][0]["results"];
    EXPECT_EQ(results[1]["level"], "note");
    EXPECT_FALSE(results[1].contains("locations"));  // about this machine, no file
    EXPECT_EQ(results[2]["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
}

TEST(ReportSarif, FingerprintsIgnoreMessageTextButNotLocation) {
    Report a = broken(), b = broken(), c = broken();
    b.findings[0].message = "ssh://nix@beta: refused after 1234 ms";  // timing text changes
    c.findings[0].location->line = 3;
    const auto fp = [](const Report& r) {
        return json::parse(render_sarif(r))["runs"][0]["results"][0]["partialFingerprints"]["nixBuilderDoctor/v1"];
    };
    EXPECT_EQ(fp(a), fp(b));
    EXPECT_NE(fp(a), fp(c));
}

TEST(ReportSarif, RulesFromADirectoryHaveNoHelpUri) {
    Report r = broken();
    for (auto& rule : r.rules)
        if (rule.id == "net.connection-refused") rule.source = "/etc/my-rules/net.connection-refused.json";
    const json j = json::parse(render_sarif(r));
    for (const auto& rule : j["runs"][0]["tool"]["driver"]["rules"])
        if (rule["id"] == "net.connection-refused") {
            EXPECT_FALSE(rule.contains("helpUri"));
        }
}

TEST(ReportSarif, HostileStringsStayValid) {
    REQUIRE_JSONSCHEMA();
    const std::string text = render_sarif(hostile());
    const auto v = sarif_schema(text);
    EXPECT_EQ(v.status, 0) << v.output;
    const json j = json::parse(text);
    const json& results = j["runs"][0]["results"];
    // A finding of a rule the run did not list still gets a descriptor its ruleIndex names.
    EXPECT_EQ(j["runs"][0]["tool"]["driver"]["rules"][results[1]["ruleIndex"].get<int>()]["id"], results[1]["ruleId"]);
    const std::string uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    EXPECT_EQ(uri.rfind("file:///etc/nix/machines%20x%22%27%3C%26%3E%5D%5D%3E%25%3A%2C%3D%5C%20%0D%0A", 0), 0u) << uri;
    EXPECT_EQ(results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>().rfind("relative%20", 0),
              0u);
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
}

}  // namespace
