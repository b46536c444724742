// explain --check's merge: a live finding among the alternatives replaces the guess, the log's
// line stays the evidence, a healthy builder is said to be healthy now.
#include <gtest/gtest.h>

#include "nix_builder_doctor/cli/explain_check.hpp"

using namespace nbd;

namespace {

explain::ExplainResult guessed(const std::string& builder) {
    explain::ExplainResult r;
    explain::ExplainedFinding e;
    e.finding.rule = "auth.key-not-authorized";
    e.finding.builder = builder;
    e.finding.severity = engine::Severity::error;
    e.finding.evidence = engine::Evidence{10, "Permission denied (publickey)."};
    e.alternatives = {"auth.root-login-refused: sshd has PermitRootLogin no", "keys.passphrase-protected: ..."};
    e.check_command = "sudo nix-builder-doctor check --select auth.";
    r.findings.push_back(e);
    r.builders = {builder};
    return r;
}

cli::LiveCheck live_with(const std::string& uri, const std::string& host, std::vector<engine::Finding> findings, bool probed) {
    cli::LiveCheck live;
    report::BuilderStatus b;
    b.uri = uri;
    b.host = host;
    b.probed = probed;
    b.probe_ran = true;
    live.report.builders.push_back(b);
    live.report.findings = std::move(findings);
    return live;
}

}  // namespace

TEST(ExplainCheck, LiveFindingAmongAlternativesReplacesTheGuess) {
    auto result = guessed("ssh://root@b1");
    engine::Finding live_finding;
    live_finding.rule = "auth.root-login-refused";
    live_finding.builder = "ssh://root@b1";
    live_finding.severity = engine::Severity::error;
    live_finding.title = "The builder refuses root logins";
    auto live = live_with("ssh://root@b1", "b1", {live_finding}, false);
    cli::merge_live_check(result, live);
    const auto& e = result.findings.front();
    EXPECT_EQ(e.finding.rule, "auth.root-login-refused");
    EXPECT_TRUE(e.alternatives.empty());
    EXPECT_TRUE(e.check_command.empty());
    ASSERT_TRUE(e.finding.evidence);
    EXPECT_EQ(e.finding.evidence->line, 10);
    EXPECT_NE(e.cause.find("confirmed by the live check"), std::string::npos);
    ASSERT_EQ(live.notes.size(), 1u);
    EXPECT_NE(live.notes[0].find("decides"), std::string::npos);
}

TEST(ExplainCheck, BuilderNamedByUserAtHostIsMatchedByHost) {
    auto result = guessed("root@b1");
    engine::Finding live_finding;
    live_finding.rule = "auth.key-not-authorized";
    live_finding.builder = "ssh://root@b1";
    live_finding.severity = engine::Severity::error;
    live_finding.title = "key not authorized";
    auto live = live_with("ssh://root@b1", "b1", {live_finding}, false);
    cli::merge_live_check(result, live);
    EXPECT_TRUE(result.findings.front().alternatives.empty());
    EXPECT_EQ(result.findings.front().finding.builder, "ssh://root@b1");
}

TEST(ExplainCheck, UnrelatedLiveErrorKeepsTheGuess) {
    auto result = guessed("ssh://root@b1");
    engine::Finding other;
    other.rule = "keys.legacy-type";
    other.builder = "ssh://root@b1";
    other.severity = engine::Severity::error;
    auto live = live_with("ssh://root@b1", "b1", {other}, false);
    cli::merge_live_check(result, live);
    EXPECT_EQ(result.findings.front().finding.rule, "auth.key-not-authorized");
    EXPECT_EQ(result.findings.front().alternatives.size(), 2u);
}

TEST(ExplainCheck, HealthyBuilderIsSaidToBeHealthyNow) {
    auto result = guessed("ssh://root@b1");
    auto live = live_with("ssh://root@b1", "b1", {}, true);
    cli::merge_live_check(result, live);
    ASSERT_EQ(live.notes.size(), 1u);
    EXPECT_NE(live.notes[0].find("passes every live check now"), std::string::npos);
    EXPECT_EQ(result.findings.front().alternatives.size(), 2u);
}
