// Rules evaluated over Facts into findings, then the user's selection: --select / --ignore by id
// or family, severity overrides, the suppressed count, the stable order and de-duplication.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/engine/finding.hpp"

namespace {

using nlohmann::json;
using namespace nbd::engine;

const json kSelectionFacts = json::parse(R"({
  "principal": {"name": "root"},
  "builders": [
    {"uri": "ssh://a", "file": "/etc/nix/machines", "line": 1, "host_key_unknown": true, "keys": ["k1", "k2"]},
    {"uri": "ssh://b", "file": "/etc/nix/machines", "line": 2, "host_key_unknown": false, "keys": []},
    {"uri": "ssh://c", "file": "", "line": "not a number", "host_key_unknown": true}
  ]
})");

Rule make_rule(const std::string& id, const std::string& for_each, const json& when) {
    Rule r;
    r.id = id;
    r.title = "title of " + id;
    r.severity = Severity::error;
    r.for_each = for_each;
    r.when = when;
    r.message = "{uri}: something about {/principal/name}";
    r.fix = "fix {uri|the machine}";
    return r;
}

Finding make_finding(const std::string& rule, Severity s, const std::string& builder = "", const std::string& file = "",
                     int line = 0, const std::string& message = "m") {
    Finding f;
    f.rule = rule;
    f.severity = s;
    f.builder = builder;
    f.message = message;
    if (!file.empty()) f.location = Location{file, line};
    return f;
}

// ---------------------------------------------------------------- evaluate_rules

TEST(EngineEvaluate, OneFindingPerMatchingItem) {
    Rule r = make_rule("hostkey.unknown-to-root", "/builders", json::parse(R"({"path": "host_key_unknown", "eq": true})"));
    r.builder = "{uri}";
    const auto findings = evaluate_rules({r}, kSelectionFacts);
    ASSERT_EQ(2u, findings.size());
    EXPECT_EQ("ssh://a", findings[0].builder);
    EXPECT_EQ("ssh://c", findings[1].builder);
    EXPECT_EQ("hostkey.unknown-to-root", findings[0].rule);
    EXPECT_EQ(Severity::error, findings[0].severity);
    EXPECT_EQ("title of hostkey.unknown-to-root", findings[0].title);
    EXPECT_EQ("ssh://a: something about root", findings[0].message);
    EXPECT_EQ("fix ssh://a", findings[0].fix);
}

TEST(EngineEvaluate, NoFindingWhenTheConditionNeverHolds) {
    const Rule r = make_rule("x.never", "/builders", json::parse(R"({"path": "uri", "eq": "ssh://zzz"})"));
    EXPECT_TRUE(evaluate_rules({r}, kSelectionFacts).empty());
}

TEST(EngineEvaluate, NoFindingWhenForEachIsMissing) {
    const Rule r = make_rule("x.nothing", "/no/such/list", json());
    EXPECT_TRUE(evaluate_rules({r}, kSelectionFacts).empty());
}

TEST(EngineEvaluate, NullConditionWithoutForEachFiresOnce) {
    const Rule r = make_rule("x.always", "", json());
    const auto findings = evaluate_rules({r}, kSelectionFacts);
    ASSERT_EQ(1u, findings.size());
    EXPECT_EQ(": something about root", findings[0].message);
    EXPECT_EQ("fix the machine", findings[0].fix);
    EXPECT_TRUE(findings[0].builder.empty()) << "no builder template, no builder";
    EXPECT_FALSE(findings[0].location.has_value());
}

TEST(EngineEvaluate, LocationFromTemplates) {
    Rule r = make_rule("x.loc", "/builders", json());
    r.location_file = "{file}";
    r.location_line = "{line}";
    const auto findings = evaluate_rules({r}, kSelectionFacts);
    ASSERT_EQ(3u, findings.size());
    ASSERT_TRUE(findings[0].location.has_value());
    EXPECT_EQ("/etc/nix/machines", findings[0].location->file);
    EXPECT_EQ(1, findings[0].location->line);
    ASSERT_TRUE(findings[1].location.has_value());
    EXPECT_EQ(2, findings[1].location->line);
    EXPECT_FALSE(findings[2].location.has_value()) << "an empty file renders no location";
}

TEST(EngineEvaluate, LocationLineThatIsNotANumberIsZero) {
    Rule r = make_rule("x.loc", "/builders/2", json());
    r.location_file = "/etc/nix/nix.conf";
    r.location_line = "{line}";
    const auto findings = evaluate_rules({r}, kSelectionFacts);
    ASSERT_EQ(1u, findings.size());
    ASSERT_TRUE(findings[0].location.has_value());
    EXPECT_EQ("/etc/nix/nix.conf", findings[0].location->file);
    EXPECT_EQ(0, findings[0].location->line);
}

TEST(EngineEvaluate, LocationWithoutLineTemplate) {
    Rule r = make_rule("x.loc", "/builders/0", json());
    r.location_file = "{file}";
    const auto findings = evaluate_rules({r}, kSelectionFacts);
    ASSERT_EQ(1u, findings.size());
    ASSERT_TRUE(findings[0].location.has_value());
    EXPECT_EQ(0, findings[0].location->line);
}

TEST(EngineEvaluate, BuilderFromTheEnclosingItem) {
    Rule r = make_rule("keys.x", "/builders/*/keys", json());
    r.builder = "{../uri}";
    r.message = "key {.} of {../uri}";
    const auto findings = evaluate_rules({r}, kSelectionFacts);
    ASSERT_EQ(2u, findings.size());
    EXPECT_EQ("ssh://a", findings[0].builder);
    EXPECT_EQ("key k1 of ssh://a", findings[0].message);
    EXPECT_EQ("key k2 of ssh://a", findings[1].message);
}

TEST(EngineEvaluate, SeveralRulesInOrder) {
    const Rule a = make_rule("a.one", "", json());
    Rule b = make_rule("b.two", "", json());
    b.severity = Severity::info;
    const auto findings = evaluate_rules({a, b}, kSelectionFacts);
    ASSERT_EQ(2u, findings.size());
    EXPECT_EQ("a.one", findings[0].rule);
    EXPECT_EQ("b.two", findings[1].rule);
    EXPECT_EQ(Severity::info, findings[1].severity);
}

// ---------------------------------------------------------------- selector_matches

TEST(EngineSelector, MatchesIdAndFamily) {
    EXPECT_TRUE(selector_matches("hostkey.changed", "hostkey.changed"));
    EXPECT_TRUE(selector_matches("hostkey", "hostkey.changed"));
    EXPECT_TRUE(selector_matches("hostkey.", "hostkey.changed"));
    EXPECT_FALSE(selector_matches("host", "hostkey.changed")) << "a family is a whole word";
    EXPECT_FALSE(selector_matches("hostkey.chan", "hostkey.changed")) << "not a prefix of the slug";
    EXPECT_FALSE(selector_matches("keys", "hostkey.changed"));
    EXPECT_FALSE(selector_matches("hostkey.changed", "hostkey"));
    EXPECT_FALSE(selector_matches("", "hostkey.changed"));
    EXPECT_FALSE(selector_matches(".", "hostkey.changed"));
}

// ---------------------------------------------------------------- apply_selection

std::vector<Finding> sample() {
    return {make_finding("hostkey.unknown-to-root", Severity::error, "ssh://a"),
            make_finding("hostkey.revoked", Severity::error, "ssh://a"),
            make_finding("keys.legacy-type", Severity::warning),
            make_finding("nixconf.unknown-setting", Severity::warning, "", "/etc/nix/nix.conf", 4),
            make_finding("doctor.cannot-read", Severity::info, "", "/root/.ssh/id_ed25519")};
}

std::vector<std::string> rules_of(const SelectedFindings& s) {
    std::vector<std::string> out;
    for (const auto& f : s.findings) out.push_back(f.rule);
    return out;
}

TEST(EngineSelection, EmptySelectionKeepsEverything) {
    const auto s = apply_selection(sample(), {});
    EXPECT_EQ(5u, s.findings.size());
    EXPECT_EQ(0, s.suppressed);
}

TEST(EngineSelection, SelectById) {
    Selection sel;
    sel.select = {"hostkey.revoked"};
    const auto s = apply_selection(sample(), sel);
    EXPECT_EQ(std::vector<std::string>{"hostkey.revoked"}, rules_of(s));
    EXPECT_EQ(4, s.suppressed);
}

TEST(EngineSelection, SelectByFamilyWithAndWithoutDot) {
    for (const std::string family : {"hostkey", "hostkey."}) {
        Selection sel;
        sel.select = {family};
        const auto s = apply_selection(sample(), sel);
        EXPECT_EQ((std::vector<std::string>{"hostkey.revoked", "hostkey.unknown-to-root"}), rules_of(s)) << family;
        EXPECT_EQ(3, s.suppressed) << family;
    }
}

TEST(EngineSelection, SeveralSelectors) {
    Selection sel;
    sel.select = {"keys.", "doctor.cannot-read"};
    const auto s = apply_selection(sample(), sel);
    EXPECT_EQ((std::vector<std::string>{"keys.legacy-type", "doctor.cannot-read"}), rules_of(s));
    EXPECT_EQ(3, s.suppressed);
}

TEST(EngineSelection, IgnoreByIdAndFamily) {
    Selection sel;
    sel.ignore = {"hostkey.", "doctor.cannot-read"};
    const auto s = apply_selection(sample(), sel);
    EXPECT_EQ((std::vector<std::string>{"keys.legacy-type", "nixconf.unknown-setting"}), rules_of(s));
    EXPECT_EQ(3, s.suppressed);
}

TEST(EngineSelection, IgnoreWinsOverSelect) {
    Selection sel;
    sel.select = {"hostkey"};
    sel.ignore = {"hostkey.revoked"};
    const auto s = apply_selection(sample(), sel);
    EXPECT_EQ(std::vector<std::string>{"hostkey.unknown-to-root"}, rules_of(s));
    EXPECT_EQ(4, s.suppressed);
}

TEST(EngineSelection, SelectorThatMatchesNothingSuppressesAll) {
    Selection sel;
    sel.select = {"net"};
    const auto s = apply_selection(sample(), sel);
    EXPECT_TRUE(s.findings.empty());
    EXPECT_EQ(5, s.suppressed);
}

TEST(EngineSelection, SeverityOverrideById) {
    Selection sel;
    sel.severity_overrides = {{"keys.legacy-type", Severity::error}};
    const auto s = apply_selection(sample(), sel);
    ASSERT_EQ(5u, s.findings.size());
    for (const auto& f : s.findings) {
        if (f.rule == "keys.legacy-type") {
            EXPECT_EQ(Severity::error, f.severity);
        } else if (f.rule == "nixconf.unknown-setting") {
            EXPECT_EQ(Severity::warning, f.severity) << "others untouched";
        }
    }
    EXPECT_EQ(0, s.suppressed);
}

TEST(EngineSelection, SeverityOverrideByFamily) {
    Selection sel;
    sel.severity_overrides = {{"hostkey.", Severity::info}};
    const auto s = apply_selection(sample(), sel);
    int seen = 0;
    for (const auto& f : s.findings) {
        if (f.rule.rfind("hostkey.", 0) != 0) continue;
        ++seen;
        EXPECT_EQ(Severity::info, f.severity) << f.rule;
    }
    EXPECT_EQ(2, seen);
}

TEST(EngineSelection, ExactOverrideBeatsFamily) {
    // Both orders of the map: "hostkey" sorts before "hostkey.revoked", "zz" family after.
    Selection sel;
    sel.severity_overrides = {{"hostkey", Severity::info}, {"hostkey.revoked", Severity::warning}};
    auto s = apply_selection(sample(), sel);
    for (const auto& f : s.findings) {
        if (f.rule == "hostkey.revoked") {
            EXPECT_EQ(Severity::warning, f.severity);
        }
        if (f.rule == "hostkey.unknown-to-root") {
            EXPECT_EQ(Severity::info, f.severity);
        }
    }
    std::vector<Finding> fs = {make_finding("zz.rule", Severity::error)};
    Selection sel2;
    sel2.severity_overrides = {{"zz.rule", Severity::warning}, {"zz.", Severity::info}};
    s = apply_selection(fs, sel2);
    ASSERT_EQ(1u, s.findings.size());
    EXPECT_EQ(Severity::warning, s.findings[0].severity);
}

TEST(EngineSelection, OverriddenSeverityIsSortedAgain) {
    Selection sel;
    sel.severity_overrides = {{"doctor.cannot-read", Severity::error}};
    const auto s = apply_selection(sample(), sel);
    ASSERT_FALSE(s.findings.empty());
    EXPECT_EQ("doctor.cannot-read", s.findings[0].rule) << "an error with no builder sorts first";
}

TEST(EngineSelection, SortOrderIsSeverityBuilderRuleFileLine) {
    std::vector<Finding> fs = {
        make_finding("b.rule", Severity::info),
        make_finding("a.rule", Severity::warning, "ssh://b"),
        make_finding("b.rule", Severity::error, "ssh://b", "/f", 10),
        make_finding("b.rule", Severity::error, "ssh://b", "/f", 9),
        make_finding("b.rule", Severity::error, "ssh://b", "/e", 20),
        make_finding("a.rule", Severity::error, "ssh://b"),
        make_finding("z.rule", Severity::error, "ssh://a"),
        make_finding("z.rule", Severity::error),
    };
    const auto s = apply_selection(fs, {});
    ASSERT_EQ(8u, s.findings.size());
    auto describe = [](const Finding& f) {
        return std::string(to_string(f.severity)) + " " + f.builder + " " + f.rule + " " +
               (f.location ? f.location->file + ":" + std::to_string(f.location->line) : "-");
    };
    std::vector<std::string> got;
    for (const auto& f : s.findings) got.push_back(describe(f));
    EXPECT_EQ((std::vector<std::string>{
                  "error  z.rule -",
                  "error ssh://a z.rule -",
                  "error ssh://b a.rule -",
                  "error ssh://b b.rule /e:20",
                  "error ssh://b b.rule /f:9",
                  "error ssh://b b.rule /f:10",
                  "warning ssh://b a.rule -",
                  "info  b.rule -",
              }),
              got);
}

TEST(EngineSelection, DuplicatesAreDroppedOnce) {
    std::vector<Finding> fs = {make_finding("a.rule", Severity::error, "ssh://a", "/f", 1),
                               make_finding("a.rule", Severity::error, "ssh://a", "/f", 1),
                               make_finding("a.rule", Severity::error, "ssh://a", "/f", 2),
                               make_finding("a.rule", Severity::error, "ssh://a", "/f", 1, "another message")};
    const auto s = apply_selection(fs, {});
    EXPECT_EQ(3u, s.findings.size());
    EXPECT_EQ(0, s.suppressed) << "duplicates are not suppressions";
}

TEST(EngineSelection, SuppressedCountsDistinctFindings) {
    std::vector<Finding> fs = {make_finding("a.rule", Severity::error), make_finding("a.rule", Severity::error),
                               make_finding("b.rule", Severity::error)};
    Selection sel;
    sel.ignore = {"a"};
    const auto s = apply_selection(fs, sel);
    EXPECT_EQ(1u, s.findings.size());
    EXPECT_EQ(1, s.suppressed);
}

TEST(EngineSelection, SummaryCountsBySeverity) {
    Selection sel;
    sel.ignore = {"doctor"};
    const auto s = apply_selection(sample(), sel);
    const Summary sum = summarize(s.findings, s.suppressed);
    EXPECT_EQ(2, sum.error);
    EXPECT_EQ(2, sum.warning);
    EXPECT_EQ(0, sum.info);
    EXPECT_EQ(1, sum.suppressed);
}

// ---------------------------------------------------------------- finding JSON

TEST(EngineFindingJson, OptionalPartsOnlyWhereTheyApply) {
    Finding f = make_finding("a.rule", Severity::warning);
    f.fix = "do it";
    json j = to_json(f);
    EXPECT_EQ("a.rule", j["rule"]);
    EXPECT_EQ("warning", j["severity"]);
    EXPECT_EQ("m", j["message"]);
    EXPECT_EQ("do it", j["fix"]);
    EXPECT_FALSE(j.contains("builder"));
    EXPECT_FALSE(j.contains("location"));
    EXPECT_FALSE(j.contains("evidence"));

    f = make_finding("a.rule", Severity::error, "ssh://a", "/etc/nix/machines", 3);
    j = to_json(f);
    EXPECT_EQ("ssh://a", j["builder"]);
    EXPECT_EQ(json::parse(R"({"file": "/etc/nix/machines", "line": 3})"), j["location"]);

    f = make_finding("a.rule", Severity::error, "", "/etc/nix/nix.conf", 0);
    EXPECT_EQ(json::parse(R"({"file": "/etc/nix/nix.conf"})"), to_json(f)["location"]) << "line 0: the whole file";

    f.evidence = Evidence{12, "Host key verification failed."};
    EXPECT_EQ(json::parse(R"({"line": 12, "text": "Host key verification failed."})"), to_json(f)["evidence"]);
}

}  // namespace
