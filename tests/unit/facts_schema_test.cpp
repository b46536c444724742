// The facts schema (src/facts/facts-schema.json) is the contract between the producers and the
// rules: every producer's output over every golden case and example (and the live captures in
// tests/facts/) must be declared with its type; every rule must read only declared facts; and
// docs/facts.md is generated from it (NBD_UPDATE_DOCS=1 rewrites it).
#include "nix_builder_doctor/engine/facts_schema.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "case_runner.hpp"
#include "nix_builder_doctor/engine/embedded_rules.hpp"
#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace nbd::engine;

const fs::path kSource = NBD_SOURCE_DIR;

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += "  " + s + "\n";
    return out;
}

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
    for (const auto& s : v)
        if (s.find(needle) != std::string::npos) return true;
    return false;
}

// ---------------------------------------------------------------- the schema file

TEST(FactsSchemaFile, ParsesWithoutErrors) {
    const auto& schema = builtin_facts_schema();
    EXPECT_EQ("", joined(schema.errors()));
    EXPECT_GT(schema.entries().size(), 300u);
    std::cout << "facts schema: " << schema.entries().size() << " facts ("
              << schema.all_patterns().size() << " paths with implied containers)\n";
}

TEST(FactsSchemaFile, EmbeddedCopyIsTheFileOnDisk) {
    EXPECT_EQ(nbd_test::read_file(kSource / "src/facts/facts-schema.json"), embedded_facts_schema())
        << "stale embedded copy: rebuild";
}

TEST(FactsSchemaFile, EveryProducerIsAFileInSrcFacts) {
    for (const auto& e : builtin_facts_schema().entries())
        for (const auto& producer : nbd::util::split_tokens(e.producer, ", "))
            EXPECT_TRUE(fs::exists(kSource / "src/facts" / producer))
                << e.path << ": producer " << producer;
}

// ---------------------------------------------------------------- producers against the schema

std::string how_to_fix() {
    return "\nThe facts schema is the contract: declare each new fact in "
           "src/facts/facts-schema.json (one entry under "
           "\"facts\", or in the shape it belongs to), fill in where, producer and meaning, then "
           "set NBD_UPDATE_DOCS=1 "
           "and run FactsDocs.UpToDate to regenerate docs/facts.md.\n";
}

class ProducedFacts : public ::testing::TestWithParam<fs::path> {};

TEST_P(ProducedFacts, AreAllDeclaredWithTheirType) {
    const fs::path source = GetParam();
    const nbd_test::PreparedCase prepared(source, "facts");
    ASSERT_TRUE(prepared.ok()) << source;
    const auto result = prepared.run_doctor("--dump-facts");
    ASSERT_EQ(0, result.exit_code) << result.out.substr(0, 2000);
    json facts;
    ASSERT_NO_THROW(facts = json::parse(result.out)) << result.out.substr(0, 2000);
    const auto problems = builtin_facts_schema().validate(facts);
    EXPECT_TRUE(problems.empty()) << "case " << nbd_test::case_name(source)
                                  << " produces facts the schema does not have:\n"
                                  << joined(problems) << how_to_fix();
}

INSTANTIATE_TEST_SUITE_P(Cases, ProducedFacts, ::testing::ValuesIn(nbd_test::all_cases()),
                         [](const auto& info) {
                             std::string name = info.param.parent_path().filename().string() + "_" +
                                                info.param.filename().string();
                             for (auto& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

// Live facts need real builders: tests/facts/*.json are --dump-facts captures from the lab
// (tests/lab/test_doctor_vs_real_build.py with NBD_LAB_FACTS_DIR=tests/facts).
TEST(ProducedFacts, LiveCapturesAreDeclaredWithTheirType) {
    const fs::path dir = kSource / "tests/facts";
    ASSERT_TRUE(fs::is_directory(dir));
    int captures = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".json") continue;
        ++captures;
        const json facts = json::parse(nbd_test::read_file(e.path()));
        const auto problems = builtin_facts_schema().validate(facts);
        EXPECT_TRUE(problems.empty())
            << "live capture " << e.path().filename() << " has facts the schema does not have:\n"
            << joined(problems) << how_to_fix();
    }
    EXPECT_GT(captures, 0);
}

// ---------------------------------------------------------------- validate()

const char* kSmallSchema = R"({
  "facts": {
    "/name": {"type": "string", "where": ["O"], "producer": "gather.cpp", "meaning": "a name"},
    "/count": {"type": ["integer", "null"], "where": ["O"], "producer": "gather.cpp", "meaning": "a count"},
    "/stage": {"type": "string", "enum": ["ok", "failed"], "where": ["L"], "producer": "live_facts.cpp", "meaning": "an outcome"},
    "/tags": {"type": "array", "items": "string", "where": ["O"], "producer": "gather.cpp", "meaning": "tags"},
    "/list/*/uri": {"type": "string", "where": ["O"], "producer": "gather.cpp", "meaning": "a URI"},
    "/list/*/key": {"type": ["object", "null"], "shape": "key", "where": ["O"], "producer": "gather.cpp", "meaning": "a key"},
    "/settings/<name>/value": {"type": "string", "where": ["O"], "producer": "gather.cpp", "meaning": "a setting"}
  },
  "shapes": {
    "stat": {"/mode": {"type": "string", "meaning": "mode"}},
    "key": {"": {"shape": "stat"}, "/type": {"type": "string", "producer": "identity_facts.cpp", "meaning": "type"}}
  }
})";

TEST(FactsSchemaValidate, AcceptsDeclaredFacts) {
    const auto s = FactsSchema::parse(kSmallSchema);
    ASSERT_EQ("", joined(s.errors()));
    const json facts = json::parse(R"({"name": "x", "count": null, "stage": "ok", "tags": ["a"],
        "list": [{"uri": "ssh://a", "key": {"mode": "0600", "type": "ssh-ed25519"}}, {"uri": "ssh://b", "key": null}],
        "settings": {"max-jobs": {"value": "4"}, "cores": {"value": "0"}}})");
    EXPECT_EQ("", joined(s.validate(facts)));
}

TEST(FactsSchemaValidate, ShapesAreExpandedWithInheritedWhereAndProducer) {
    const auto s = FactsSchema::parse(kSmallSchema);
    const FactEntry* mode = s.entry("/list/*/key/mode");
    ASSERT_NE(nullptr, mode);
    EXPECT_EQ("gather.cpp", mode->producer);
    EXPECT_EQ(std::vector<std::string>{"O"}, mode->where);
    EXPECT_EQ("stat", mode->from_shape);
    ASSERT_NE(nullptr, s.entry("/list/*/key/type"));
    EXPECT_EQ("identity_facts.cpp", s.entry("/list/*/key/type")->producer);
}

TEST(FactsSchemaValidate, UndeclaredFactNamesTheEntryToAdd) {
    const auto s = FactsSchema::parse(kSmallSchema);
    const auto problems = s.validate(json::parse(
        R"({"name": "x", "list": [{"uri": "u", "port": 22, "key": {"bits": 256}}], "limits": [{"name": "a"}]})"));
    ASSERT_EQ(3u, problems.size()) << joined(problems);
    EXPECT_EQ(
        "/limits/*/name: not in the facts schema; add to src/facts/facts-schema.json: "
        "\"/limits/*/name\": "
        "{\"type\":\"string\",\"where\":[\"O\"],\"producer\":\"<file in "
        "src/facts>.cpp\",\"meaning\":\"<what it says>\"}",
        problems[0]);
    // A new field of a shape's object: the shape is where it belongs.
    EXPECT_EQ(
        "/list/*/key/bits: not in the facts schema; add to src/facts/facts-schema.json under "
        "\"shapes\" \"key\" (the shape "
        "of /list/*/key): \"/bits\": {\"type\":\"integer\",\"meaning\":\"<what it says>\"}, or "
        "under \"facts\": "
        "\"/list/*/key/bits\": {\"type\":\"integer\",\"where\":[\"O\"],\"producer\":\"<file in "
        "src/facts>.cpp\",\"meaning\":\"<what it says>\"}",
        problems[1]);
    EXPECT_NE(std::string::npos, problems[2].find("\"/list/*/port\": {\"type\":\"integer\""))
        << problems[2];
}

TEST(FactsSchemaValidate, WrongTypeAndValueOutsideTheEnum) {
    const auto s = FactsSchema::parse(kSmallSchema);
    const auto problems =
        s.validate(json::parse(R"({"name": 3, "stage": "timeout", "tags": [1], "list": {}})"));
    EXPECT_TRUE(any_contains(problems, "/name: an integer (3), but the schema says string"))
        << joined(problems);
    EXPECT_TRUE(any_contains(problems, "/stage: \"timeout\" is not one of [\"ok\",\"failed\"]"))
        << joined(problems);
    EXPECT_TRUE(any_contains(problems, "/tags/*: an integer (1), but the schema says string"))
        << joined(problems);
    EXPECT_TRUE(any_contains(problems, "/list: an object, but the schema implies an array"))
        << joined(problems);
}

TEST(FactsSchemaParse, RejectsBadEntries) {
    const auto s = FactsSchema::parse(R"({"facts": {
        "/a": {"type": "text", "where": ["O"], "producer": "x.cpp", "meaning": "m"},
        "/b": {"type": "string", "where": ["X"], "producer": "x.cpp"},
        "/c": {"type": "string", "where": ["O"], "meaning": "m", "colour": 1},
        "/d": {"type": "object", "shape": "nope", "where": ["O"], "producer": "x.cpp", "meaning": "m"},
        "/e": {"type": "string", "where": ["O"], "producer": "x.cpp", "meaning": "m"},
        "/e/f": {"type": "string", "where": ["O"], "producer": "x.cpp", "meaning": "m"}}})");
    const auto& e = s.errors();
    EXPECT_TRUE(any_contains(e, "facts /a: type: unknown type 'text'")) << joined(e);
    EXPECT_TRUE(any_contains(e, "facts /b: where is a list of O, R, L")) << joined(e);
    EXPECT_TRUE(any_contains(e, "facts /b: missing \"meaning\"")) << joined(e);
    EXPECT_TRUE(any_contains(e, "facts /c: unknown property 'colour'")) << joined(e);
    EXPECT_TRUE(any_contains(e, "facts /c: missing \"producer\"")) << joined(e);
    EXPECT_TRUE(any_contains(e, "facts /d: no shape 'nope'")) << joined(e);
    EXPECT_TRUE(any_contains(e, "facts /e/f: its parent /e is not an object")) << joined(e);
}

// ---------------------------------------------------------------- rules against the schema

json rule_with(const json& changes) {
    json j = json::parse(R"({
      "id": "test.schema-rule", "title": "A rule for the schema tests", "severity": "warning", "where": ["L"],
      "for_each": "/builders",
      "when": {"path": "live/xray/stages/banner", "eq": "not_ssh"},
      "message": "{uri}: {live/xray/banner|no banner}", "fix": "nothing to fix here", "rationale": "For the facts schema tests.",
      "references": ["none"], "builder": "{uri}", "location": {"file": "{file}", "line": "{line}"}
    })");
    for (const auto& [key, value] : changes.items()) j[key] = value;
    return j;
}

const std::string kRuleSource = "/tmp/my-rules/test.schema-rule.json";

std::vector<std::string> load_errors(const json& j) {
    std::vector<std::string> errors;
    load_rule(j.dump(), kRuleSource, errors);
    return errors;
}

TEST(RuleFactPaths, BuiltinRulesReadOnlyDeclaredFacts) {
    int checked = 0;
    for (const auto& f : embedded_rule_files()) {
        if (f.name == "schema.json") continue;
        std::vector<std::string> errors;
        EXPECT_TRUE(load_rule(f.text, "rules/" + f.name, errors).has_value()) << joined(errors);
        ++checked;
    }
    EXPECT_GT(checked, 60);
    std::cout << "built-in rules checked against the facts schema: " << checked << "\n";
}

TEST(RuleFactPaths, AcceptsDeclaredPaths) {
    EXPECT_EQ("", joined(load_errors(rule_with(json::object()))));
}

TEST(RuleFactPaths, RejectsATypoWithTheFileThePathAndTheNearestFact) {
    const auto errors =
        load_errors(rule_with({{"when", {{"path", "live/xray/stage/banner"}, {"eq", "not_ssh"}}}}));
    ASSERT_EQ(1u, errors.size()) << joined(errors);
    EXPECT_EQ(
        kRuleSource +
            ": when: no fact 'live/xray/stage/banner' (/builders/*/live/xray/stage/banner) in the "
            "facts schema; "
            "the nearest fact is 'live/xray/stages/banner' (/builders/*/live/xray/stages/banner)",
        errors[0]);
}

TEST(RuleFactPaths, ChecksPlaceholdersInEveryText) {
    auto errors = load_errors(rule_with({{"message", "{urii} is down"}}));
    ASSERT_EQ(1u, errors.size()) << joined(errors);
    EXPECT_NE(std::string::npos, errors[0].find(": message: no fact 'urii'")) << errors[0];
    EXPECT_NE(std::string::npos, errors[0].find("the nearest fact is 'uri'")) << errors[0];
    errors = load_errors(rule_with({{"fix", "see {live/ground_truth/ssh_eror|nothing}"}}));
    EXPECT_TRUE(any_contains(errors, "fix: no fact 'live/ground_truth/ssh_eror'"))
        << joined(errors);
    errors = load_errors(rule_with({{"location", {{"file", "{fille}"}}}}));
    EXPECT_TRUE(any_contains(errors, "location.file: no fact 'fille'")) << joined(errors);
    errors = load_errors(rule_with({{"builder", "{/builders/0/uri}"}}));  // indexes read as items
    EXPECT_EQ("", joined(errors));
    EXPECT_EQ("", joined(load_errors(rule_with({{"message", "literal {{braces}} and {uri}"}}))));
}

TEST(RuleFactPaths, ResolvesClimbsAgainstTheForEachScope) {
    json j = rule_with(
        {{"for_each", "/builders/*/ssh/identities"},
         {"when",
          {{"all", {{{"path", "usable"}, {"eq", false}}, {{"path", "../uri"}, {"exists", true}}}}}},
         {"message", "{path} for {../uri}"},
         {"builder", "{../uri}"},
         {"location", {{"file", "{../file}"}, {"line", "{../line}"}}}});
    EXPECT_EQ("", joined(load_errors(j)));
    j["message"] = "{../../uri}";  // the document root has no uri
    auto errors = load_errors(j);
    EXPECT_TRUE(any_contains(errors, "message: no fact '../../uri' (/uri)")) << joined(errors);
    j["message"] = "{../../../uri}";
    errors = load_errors(j);
    EXPECT_TRUE(any_contains(
        errors, "message: the fact path '../../../uri' climbs above the document root"))
        << joined(errors);
    j["message"] = "{../urii}";
    errors = load_errors(j);
    EXPECT_TRUE(any_contains(errors, "the nearest fact is '../uri' (/builders/*/uri)"))
        << joined(errors);
}

TEST(RuleFactPaths, ChecksForEachAndOperandPaths) {
    auto errors = load_errors(rule_with({{"for_each", "/builder"}}));
    ASSERT_EQ(1u, errors.size()) << joined(errors);
    EXPECT_NE(
        std::string::npos,
        errors[0].find(
            "for_each: no fact '/builder' in the facts schema; the nearest fact is '/builders'"))
        << errors[0];
    errors =
        load_errors(rule_with({{"when", {{"path", "host"}, {"eq", {{"path", "/system/valu"}}}}}}));
    EXPECT_TRUE(any_contains(errors, "when: no fact '/system/valu'")) << joined(errors);
}

TEST(RuleFactPaths, MapKeysAndIndexesMatch) {
    json j = rule_with({{"for_each", "/nix_confs"},
                        {"when", {{"path", "settings/max-jobs/value"}, {"eq", "0"}}},
                        {"message", "{path}: {settings/max-jobs/file}"},
                        {"builder", "{builder}"},
                        {"location", {{"file", "{path}"}, {"line", "{settings/max-jobs/line}"}}}});
    EXPECT_EQ("", joined(load_errors(j)));
}

TEST(RuleFactPaths, RejectsLiteralsOutsideAnEnum) {
    auto errors = load_errors(
        rule_with({{"when", {{"path", "live/xray/stages/banner"}, {"eq", "not-ssh"}}}}));
    ASSERT_EQ(1u, errors.size()) << joined(errors);
    EXPECT_NE(
        std::string::npos,
        errors[0].find("when: 'live/xray/stages/banner' is never \"not-ssh\": its values are"))
        << errors[0];
    errors = load_errors(
        rule_with({{"when", {{"path", "stages/tcp"}, {"in", {"refused", "timed_out"}}}}}));
    EXPECT_TRUE(any_contains(errors, "'stages/tcp' is never \"timed_out\"")) << joined(errors);
}

TEST(RuleFactPaths, UserRulesWithAnUnknownPathAreAUsageError) {
    const fs::path dir =
        fs::temp_directory_path() / ("nbd-facts-rules-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "test.schema-rule.json")
        << rule_with({{"when", {{"path", "live/xray/stage/banner"}, {"eq", "ok"}}}}).dump(2);
    const auto r =
        nbd_test::run(std::string(NBD_BINARY) + " rules --rules '" + dir.string() + "' 2>&1");
    fs::remove_all(dir);
    EXPECT_EQ(2, r.exit_code) << r.out;
    EXPECT_NE(std::string::npos, r.out.find((dir / "test.schema-rule.json").string() +
                                            ": when: no fact 'live/xray/stage/banner'"))
        << r.out;
    EXPECT_NE(std::string::npos, r.out.find("the nearest fact is 'live/xray/stages/banner'"))
        << r.out;
}

// ---------------------------------------------------------------- docs/facts.md

std::string type_text(const FactEntry& e) {
    std::string t = nbd::util::join(e.types, " or ");
    if (!e.items.empty()) t += " of " + nbd::util::join(e.items, " or ");
    return t;
}

std::string cell(std::string s) {
    std::string out;
    for (char c : s) {
        if (c == '|')
            out += "\\|";
        else if (c == '\n')
            out += ' ';
        else
            out += c;
    }
    return out;
}

std::string values_text(const FactEntry& e) {
    if (!e.enum_values.is_array()) return "";
    std::vector<std::string> v;
    for (const auto& x : e.enum_values) v.push_back("`" + x.dump() + "`");
    return nbd::util::join(v, ", ");
}

std::string render_facts_markdown(const FactsSchema& s) {
    std::string out =
        "# The Facts\n\n"
        "<!-- Generated from src/facts/facts-schema.json by tests/unit/facts_schema_test.cpp: edit "
        "the schema, then run\n"
        "     NBD_UPDATE_DOCS=1 build/nbd_tests --gtest_filter=FactsDocs.* -->\n\n"
        "The producers in `src/facts` fill one JSON document, the Facts (`nix-builder-doctor check "
        "--dump-facts`\n"
        "prints it); rules read only these facts, and a rule (built-in or `--rules DIR`) that "
        "reads a path\n"
        "not listed here is rejected when it loads. Paths are JSON pointers: `*` is any item of an "
        "array (as\n"
        "in `for_each`), `<name>` any key of an object used as a map. *Where*: O this machine's "
        "files, R the\n"
        "builder's files (`--remote-root` or the live snapshot), L the live probe. Producers are "
        "files in\n"
        "`src/facts`. Objects marked with a shape have that shape's facts too (see Shapes).\n\n"
        "A fact may be absent when its producer did not run (`--offline`, no `--remote-root`, not "
        "an SSH\n"
        "builder) or did not get that far (a probe stage after a failed one).\n";
    std::string section;
    for (const auto& e : s.entries()) {
        if (!e.from_shape.empty()) continue;
        const auto segments = pointer_segments(e.path);
        const std::string top = segments.empty() ? "" : segments[0];
        if (top != section) {
            section = top;
            out += "\n## /" + top +
                   "\n\n| Fact | Type | Where | Producer | Meaning |\n|---|---|---|---|---|\n";
        }
        std::string meaning = e.meaning;
        if (!e.shape.empty()) meaning += " (shape [" + e.shape + "](#shape-" + e.shape + "))";
        if (const auto values = values_text(e); !values.empty()) meaning += "; values: " + values;
        out += "| `" + cell(e.path) + "` | " + type_text(e) + " | " +
               nbd::util::join(e.where, " ") + " | " + cell(e.producer) + " | " + cell(meaning) +
               " |\n";
    }
    out +=
        "\n## Shapes\n\nGroups of facts that recur; their paths are relative to the object that "
        "has the shape, and they\n"
        "take its Where (and its Producer unless they name one).\n";
    for (const auto& [name, members] : s.shapes()) {
        out += "\n### Shape " + name + "\n\n<a id=\"shape-" + name +
               "\"></a>\n\n| Fact | Type | Producer | Meaning |\n|---|---|---|---|\n";
        for (const auto& m : members) {
            if (m.path.empty()) {
                out += "| *(all of [" + m.shape + "](#shape-" + m.shape + "))* | | | |\n";
                continue;
            }
            std::string meaning = m.meaning;
            if (!m.shape.empty()) meaning += " (shape [" + m.shape + "](#shape-" + m.shape + "))";
            if (const auto values = values_text(m); !values.empty())
                meaning += "; values: " + values;
            out += "| `" + cell(m.path) + "` | " + type_text(m) + " | " + cell(m.producer) + " | " +
                   cell(meaning) + " |\n";
        }
    }
    return out;
}

TEST(FactsDocs, UpToDate) {
    const auto& schema = builtin_facts_schema();
    ASSERT_EQ("", joined(schema.errors()));
    const std::string wanted = render_facts_markdown(schema);
    const fs::path docs = kSource / "docs/facts.md";
    if (const char* update = std::getenv("NBD_UPDATE_DOCS"); update && *update == '1') {
        std::ofstream(docs, std::ios::binary) << wanted;
        GTEST_SKIP() << "wrote " << docs;
    }
    EXPECT_TRUE(wanted == nbd_test::read_file(docs))
        << "docs/facts.md is not what src/facts/facts-schema.json generates: run NBD_UPDATE_DOCS=1 "
           "build/nbd_tests "
           "--gtest_filter=FactsDocs.UpToDate (after a rebuild) and commit the result";
}

}  // namespace
