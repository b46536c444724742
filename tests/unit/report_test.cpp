// The renderers: text grouped by builder with one verdict line each, a "This machine" section
// and a summary line; JSON version 1 with exactly the contract's keys.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "nix_builder_doctor/report/report.hpp"

namespace {

using nlohmann::json;
using nbd::engine::Finding;
using nbd::engine::Location;
using nbd::engine::Severity;
using namespace nbd::report;

Finding finding(const std::string& rule, Severity s, const std::string& builder, const std::string& message,
                const std::string& file = "", int line = 0) {
    Finding f;
    f.rule = rule;
    f.severity = s;
    f.builder = builder;
    f.title = "title of " + rule;
    f.message = message;
    f.fix = "fix for " + rule;
    if (!file.empty()) f.location = Location{file, line};
    return f;
}

BuilderStatus builder(const std::string& uri, const std::string& host, const std::string& where, bool probed = false) {
    BuilderStatus b;
    b.uri = uri;
    b.host = host;
    b.where = where;
    b.probed = probed;
    return b;
}

Report sample() {
    Report r;
    r.tool_version = "0.1.0";
    r.principal = "root";
    r.context = "principal root (multi-user install), system x86_64-linux";
    r.builders = {builder("ssh://nix@a", "a", "/etc/nix/machines:1"), builder("ssh://nix@b", "b", "/etc/nix/machines:2"),
                  builder("ssh-ng://nix@c", "c", "/etc/nix/machines:3", true)};
    r.builders[2].stages = {{"dns", "ok"}, {"tcp", "ok"}};
    r.findings = {
        finding("hostkey.unknown-to-root", Severity::error, "ssh://nix@a", "ssh://nix@a: root has no key for a",
                "/etc/nix/machines", 1),
        finding("machines.features-split-by-space", Severity::warning, "ssh://nix@b", "features split", "/etc/nix/machines", 2),
        finding("nixconf.unknown-setting", Severity::warning, "", "unknown setting 'trusted-user'", "/etc/nix/nix.conf", 4),
        finding("doctor.cannot-read", Severity::info, "", "cannot read /root/.ssh/id_ed25519"),
    };
    r.summary = nbd::engine::summarize(r.findings, 2);
    return r;
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The text between a builder's header line and the next blank line.
std::string section(const std::string& text, const std::string& header) {
    const auto start = text.find("\n" + header);
    if (start == std::string::npos) return "";
    const auto end = text.find("\n\n", start + 1);
    return text.substr(start + 1, end == std::string::npos ? std::string::npos : end - start);
}

// ---------------------------------------------------------------- verdicts

TEST(ReportVerdict, BrokenOkUnknown) {
    const Report r = sample();
    EXPECT_EQ("broken", builder_verdict(r, r.builders[0])) << "an error names it";
    EXPECT_EQ("unknown", builder_verdict(r, r.builders[1])) << "a warning, and not probed";
    EXPECT_EQ("ok", builder_verdict(r, r.builders[2])) << "probed, nothing wrong";
}

TEST(ReportVerdict, WarningsDoNotBreakAProbedBuilder) {
    Report r = sample();
    r.findings.push_back(finding("remote.missing-features", Severity::warning, "ssh-ng://nix@c", "m"));
    EXPECT_EQ("ok", builder_verdict(r, r.builders[2]));
    r.findings.push_back(finding("auth.key-not-authorized", Severity::error, "ssh-ng://nix@c", "m"));
    EXPECT_EQ("broken", builder_verdict(r, r.builders[2]));
}

// ---------------------------------------------------------------- text

TEST(ReportText, HeaderWithVersionAndContext) {
    const std::string text = render_text(sample(), {});
    EXPECT_EQ(0u, text.find("nix-builder-doctor 0.1.0: principal root (multi-user install), system x86_64-linux\n")) << text;
}

TEST(ReportText, OneVerdictLinePerBuilder) {
    const std::string text = render_text(sample(), {});
    EXPECT_EQ(3u, count(text, "  verdict: ")) << text;
    EXPECT_NE(std::string::npos, section(text, "ssh://nix@a").find("  verdict: broken: 1 error\n")) << text;
    EXPECT_NE(std::string::npos, section(text, "ssh://nix@b").find("  verdict: no errors in the files, 1 warning (not probed live)"))
        << text;
    EXPECT_NE(std::string::npos, section(text, "ssh-ng://nix@c").find("  verdict: ok\n")) << text;
}

TEST(ReportText, UnprobedCleanBuilder) {
    Report r = sample();
    r.findings.clear();
    r.summary = nbd::engine::summarize(r.findings, 0);
    const std::string text = render_text(r, {});
    EXPECT_NE(std::string::npos, section(text, "ssh://nix@a").find("  verdict: no problems found in the files (not probed live)"))
        << text;
}

// Issue 7.4: a builder that was probed live and did not pass every stage (a stalled login
// shell) was called "(not probed live)".
TEST(ReportText, ProbedButNotPassingBuilderIsNeverCalledUnprobed) {
    Report r = sample();
    r.findings.clear();
    r.summary = nbd::engine::summarize(r.findings, 0);
    r.builders[0].probe_ran = true;
    r.builders[0].probed = false;
    const std::string text = render_text(r, {});
    const std::string a = section(text, "ssh://nix@a");
    EXPECT_EQ(std::string::npos, a.find("not probed live")) << a;
    EXPECT_NE(std::string::npos, a.find("(probed live: not every stage passed)")) << a;
}

TEST(ReportText, FindingsAreGroupedUnderTheirBuilder) {
    const std::string text = render_text(sample(), {});
    const std::string a = section(text, "ssh://nix@a");
    const std::string b = section(text, "ssh://nix@b");
    EXPECT_EQ(0u, a.find("ssh://nix@a  (/etc/nix/machines:1)\n")) << a;
    EXPECT_NE(std::string::npos, a.find("hostkey.unknown-to-root")) << a;
    EXPECT_EQ(std::string::npos, a.find("machines.features-split-by-space")) << a;
    EXPECT_NE(std::string::npos, b.find("machines.features-split-by-space")) << b;
    EXPECT_EQ(std::string::npos, b.find("hostkey.unknown-to-root")) << b;
    EXPECT_LT(text.find("ssh://nix@a  ("), text.find("ssh://nix@b  (")) << "builders in the report's order";
    EXPECT_LT(text.find("ssh://nix@b  ("), text.find("ssh-ng://nix@c  ("));
}

TEST(ReportText, FindingShowsLocationMessageAndFix) {
    const std::string a = section(render_text(sample(), {}), "ssh://nix@a");
    EXPECT_NE(std::string::npos, a.find("  error    hostkey.unknown-to-root\n")) << a;
    // The builder's name is not repeated inside its own group.
    EXPECT_NE(std::string::npos, a.find("           /etc/nix/machines:1: root has no key for a\n")) << a;
    EXPECT_NE(std::string::npos, a.find("           fix: fix for hostkey.unknown-to-root\n")) << a;
}

TEST(ReportText, ThisMachineSectionForBuilderLessFindings) {
    const std::string text = render_text(sample(), {});
    const auto machine = text.find("\nThis machine\n");
    ASSERT_NE(std::string::npos, machine) << text;
    EXPECT_GT(machine, text.find("ssh-ng://nix@c  (")) << "after the builders";
    const std::string s = section(text, "This machine");
    EXPECT_NE(std::string::npos, s.find("nixconf.unknown-setting")) << s;
    EXPECT_NE(std::string::npos, s.find("/etc/nix/nix.conf:4: unknown setting 'trusted-user'")) << s;
    EXPECT_NE(std::string::npos, s.find("  info     doctor.cannot-read")) << s;
    EXPECT_NE(std::string::npos, s.find("           cannot read /root/.ssh/id_ed25519\n")) << "no location, no prefix: " << s;
    EXPECT_EQ(std::string::npos, s.find("verdict")) << s;
}

TEST(ReportText, NoThisMachineSectionWithoutSuchFindings) {
    Report r = sample();
    r.findings.resize(2);
    EXPECT_EQ(std::string::npos, render_text(r, {}).find("This machine"));
}

TEST(ReportText, FindingForAnUnlistedBuilderGoesToThisMachineAndKeepsItsBuilder) {
    Report r = sample();
    r.findings = {finding("machines.duplicate-builder", Severity::warning, "ssh://nix@gone", "ssh://nix@gone: listed twice")};
    const std::string s = section(render_text(r, {}), "This machine");
    EXPECT_NE(std::string::npos, s.find("ssh://nix@gone")) << s;
}

TEST(ReportText, MultiLineMessagesAreIndented) {
    Report r = sample();
    r.findings = {finding("x.multi", Severity::error, "", "first line\nsecond line")};
    const std::string text = render_text(r, {});
    EXPECT_NE(std::string::npos, text.find("           first line\n           second line\n")) << text;
}

TEST(ReportText, SummaryLine) {
    const std::string text = render_text(sample(), {});
    EXPECT_EQ(text.size() - std::string("\n1 error, 2 warnings, 1 info (2 suppressed)\n").size(),
              text.rfind("\n1 error, 2 warnings, 1 info (2 suppressed)\n"))
        << text;
    Report r = sample();
    r.findings.clear();
    r.summary = nbd::engine::summarize(r.findings, 0);
    const std::string clean = render_text(r, {});
    EXPECT_NE(std::string::npos, clean.find("\n0 errors, 0 warnings, 0 info\n")) << "no suppressed part when 0: " << clean;
}

TEST(ReportText, NotesUnderTheHeader) {
    Report r = sample();
    r.builders.clear();
    r.findings.resize(0);
    r.notes = {"no remote builders are configured"};
    const std::string text = render_text(r, {});
    EXPECT_NE(std::string::npos, text.find("\n  no remote builders are configured\n")) << text;
    EXPECT_EQ(0u, count(text, "verdict:"));
}

TEST(ReportText, ColourOnlyWhenAsked) {
    const std::string plain = render_text(sample(), {});
    EXPECT_EQ(std::string::npos, plain.find('\x1b'));
    TextStyle style;
    style.color = true;
    const std::string coloured = render_text(sample(), style);
    EXPECT_NE(std::string::npos, coloured.find("\x1b[31m")) << "errors in red";
    EXPECT_NE(std::string::npos, coloured.find("\x1b[0m"));
}

// ---------------------------------------------------------------- should_use_color

class ColourEnv : public ::testing::Test {
protected:
    void SetUp() override {
        save("NO_COLOR");
        save("CLICOLOR_FORCE");
        ::unsetenv("NO_COLOR");
        ::unsetenv("CLICOLOR_FORCE");
    }
    void TearDown() override {
        for (const auto& [name, value] : m_saved)
            if (value) ::setenv(name.c_str(), value->c_str(), 1);
            else ::unsetenv(name.c_str());
    }

private:
    void save(const char* name) {
        const char* v = std::getenv(name);
        m_saved.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> m_saved;
};

TEST_F(ColourEnv, PipeIsNotATerminal) {
    int fds[2];
    ASSERT_EQ(0, ::pipe(fds));
    EXPECT_FALSE(should_use_color(fds[1]));
    ::setenv("CLICOLOR_FORCE", "1", 1);
    EXPECT_TRUE(should_use_color(fds[1])) << "CLICOLOR_FORCE forces colour";
    ::setenv("CLICOLOR_FORCE", "0", 1);
    EXPECT_FALSE(should_use_color(fds[1])) << "CLICOLOR_FORCE=0 does not";
    ::setenv("CLICOLOR_FORCE", "1", 1);
    ::setenv("NO_COLOR", "1", 1);
    EXPECT_FALSE(should_use_color(fds[1])) << "NO_COLOR wins";
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_F(ColourEnv, TerminalUnlessNoColor) {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) GTEST_SKIP() << "no pseudo-terminal available";
    const char* name = ::ptsname(master);
    ASSERT_NE(nullptr, name);
    const int tty = ::open(name, O_RDWR | O_NOCTTY);
    ASSERT_GE(tty, 0);
    EXPECT_TRUE(should_use_color(tty));
    ::setenv("NO_COLOR", "", 1);
    EXPECT_TRUE(should_use_color(tty)) << "an empty NO_COLOR is not set (no-color.org)";
    ::setenv("NO_COLOR", "1", 1);
    EXPECT_FALSE(should_use_color(tty));
    ::close(tty);
    ::close(master);
}

// ---------------------------------------------------------------- JSON

std::set<std::string> keys(const json& j) {
    std::set<std::string> out;
    for (const auto& [k, _] : j.items()) out.insert(k);
    return out;
}

TEST(ReportJson, TopLevelKeysAreTheContract) {
    const json j = render_json(sample());
    EXPECT_EQ((std::set<std::string>{"version", "tool", "principal", "builders", "findings", "summary"}), keys(j));
    EXPECT_EQ(1, j["version"]);
    EXPECT_EQ(json::parse(R"({"name": "nix-builder-doctor", "version": "0.1.0"})"), j["tool"]);
    EXPECT_EQ("root", j["principal"]);
}

TEST(ReportJson, Builders) {
    const json j = render_json(sample());
    ASSERT_EQ(3u, j["builders"].size());
    for (const auto& b : j["builders"]) EXPECT_EQ((std::set<std::string>{"uri", "host", "verdict", "stages"}), keys(b)) << b;
    EXPECT_EQ("ssh://nix@a", j["builders"][0]["uri"]);
    EXPECT_EQ("a", j["builders"][0]["host"]);
    EXPECT_EQ("broken", j["builders"][0]["verdict"]);
    EXPECT_EQ("unknown", j["builders"][1]["verdict"]);
    EXPECT_EQ("ok", j["builders"][2]["verdict"]);
    EXPECT_TRUE(j["builders"][0]["stages"].is_object());
    EXPECT_EQ(json::parse(R"({"dns": "ok", "tcp": "ok"})"), j["builders"][2]["stages"]);
}

TEST(ReportJson, Findings) {
    const json j = render_json(sample());
    ASSERT_EQ(4u, j["findings"].size());
    const json& first = j["findings"][0];
    EXPECT_EQ("hostkey.unknown-to-root", first["rule"]);
    EXPECT_EQ("error", first["severity"]);
    EXPECT_EQ("ssh://nix@a", first["builder"]);
    EXPECT_EQ("ssh://nix@a: root has no key for a", first["message"]) << "JSON keeps the whole message";
    EXPECT_EQ("fix for hostkey.unknown-to-root", first["fix"]);
    EXPECT_EQ(json::parse(R"({"file": "/etc/nix/machines", "line": 1})"), first["location"]);
    const json& last = j["findings"][3];
    EXPECT_FALSE(last.contains("builder"));
    EXPECT_FALSE(last.contains("location"));
    const std::set<std::string> allowed = {"rule", "severity", "builder", "title", "message", "fix", "location", "evidence"};
    for (const auto& f : j["findings"])
        for (const auto& k : keys(f)) EXPECT_TRUE(allowed.count(k)) << "unexpected finding key " << k;
}

TEST(ReportJson, Summary) {
    const json j = render_json(sample());
    EXPECT_EQ(json::parse(R"({"error": 1, "warning": 2, "info": 1, "suppressed": 2})"), j["summary"]);
}

TEST(ReportJson, EmptyReportHasEmptyArrays) {
    Report r;
    r.tool_version = "0.1.0";
    r.principal = "alice";
    const json j = render_json(r);
    EXPECT_TRUE(j["builders"].is_array());
    EXPECT_TRUE(j["builders"].empty());
    EXPECT_TRUE(j["findings"].is_array());
    EXPECT_TRUE(j["findings"].empty());
    EXPECT_EQ("alice", j["principal"]);
    EXPECT_EQ(json::parse(R"({"error": 0, "warning": 0, "info": 0, "suppressed": 0})"), j["summary"]);
}

}  // namespace
