// Ranking: the root cause first. The first `cannot build on` line names the cause and the builder;
// `Failed to find a machine` and the local-fallback messages come after it; a vague failure yields
// to a named cause; a symptom another match explains better is folded into it; one finding per
// cause however often the log repeats it; and the texts carry no check-mode placeholders.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/explain/analyzer.hpp"
#include "nix_builder_doctor/explain/text_output.hpp"

namespace {

using namespace nbd;
using namespace nbd::explain;

const Explainer& ranking_explainer() {
    static const Explainer e(engine::load_builtin_rules().rules);
    return e;
}

ExplainResult explain(const std::string& log) {
    std::istringstream in(log);
    return ranking_explainer().explain(in);
}

std::vector<std::string> ids(const ExplainResult& r) {
    std::vector<std::string> out;
    for (const auto& f : r.findings) out.push_back(f.finding.rule);
    return out;
}

const std::string kCascade =
    "this derivation will be built:\n"
    "  /nix/store/a-hello.drv\n"
    "cannot build on 'ssh://root@b1': error: cannot connect to 'root@b1': Host key verification failed.\n"
    "Failed to find a machine for remote build!\n"
    "derivation: a-hello.drv\n"
    "required (system, features): (aarch64-linux, )\n"
    "error: a 'aarch64-linux' with features {} is required to build '/nix/store/a-hello.drv', but I am a 'x86_64-linux' with features {}\n";

TEST(ExplainRanking, TheFirstCannotBuildOnLineIsTheCause) {
    const auto r = explain(kCascade);
    ASSERT_EQ((std::vector<std::string>{"hostkey.unknown-to-root", "machines.no-builder-for-system"}), ids(r));
    const auto& top = r.findings[0];
    EXPECT_EQ("ssh://root@b1", top.finding.builder);
    ASSERT_TRUE(top.finding.evidence.has_value());
    EXPECT_EQ(3, top.finding.evidence->line);
    EXPECT_EQ(Role::consequence, r.findings[1].role);
    EXPECT_EQ("hostkey.unknown-to-root", r.findings[1].after);
    EXPECT_EQ("Nix then had no usable builder left for this derivation (hostkey.unknown-to-root).", r.findings[1].finding.message);
    EXPECT_EQ("Nothing of its own: it goes away once hostkey.unknown-to-root is fixed.", r.findings[1].finding.fix);
    EXPECT_EQ(4, r.findings[1].finding.evidence->line);  // the first line of the consequence
}

TEST(ExplainRanking, ConsequencesAloneSayWhatToCheck) {
    const auto r = explain("Failed to find a machine for remote build!\nrequired (system, features): (i686-linux, [])\n");
    ASSERT_EQ((std::vector<std::string>{"machines.no-builder-for-system"}), ids(r));
    EXPECT_TRUE(r.findings[0].after.empty());
    EXPECT_NE(std::string::npos, r.findings[0].finding.message.find("system and required features"));
    EXPECT_NE(std::string::npos, r.findings[0].finding.fix.find("column 2"));
}

TEST(ExplainRanking, ACauseLaterInTheLogStillOutranksAnEarlierConsequence) {
    const auto r = explain("error: unable to start any build; either increase '--max-jobs' or enable remote builds\n"
                           "warning: unknown setting 'trusted-user'\n");
    ASSERT_EQ((std::vector<std::string>{"nixconf.unknown-setting", "nixconf.no-usable-builders"}), ids(r));
    EXPECT_TRUE(r.findings[1].after.empty()) << "a typo in nix.conf is no builder failure to follow from";
}

TEST(ExplainRanking, RepeatedCausesAreOneFindingWithTheFirstEvidence) {
    std::string log;
    for (int i = 0; i < 500; ++i) log += "cannot build on 'ssh://root@b1': error: cannot connect to 'root@b1': Host key verification failed.\n";
    const auto r = explain(log);
    ASSERT_EQ(1u, r.findings.size());
    EXPECT_EQ(1, r.findings[0].finding.evidence->line);
    EXPECT_EQ(500, r.lines);
}

TEST(ExplainRanking, DistinctErrorsAreDistinctFindingsInLogOrderOfTheirBuilders) {
    const auto r = explain(
        "cannot build on 'ssh://root@b1': error: cannot connect to 'root@b1': ssh: connect to host b1 port 22: Connection refused\n"
        "cannot build on 'ssh://nix@b2': error: cannot connect to 'nix@b2': nix@b2: Permission denied (publickey).\n"
        "cannot build on 'ssh://root@b3': error: cannot connect to 'root@b3': Host key verification failed.\n"
        "Failed to find a machine for remote build!\n");
    ASSERT_EQ((std::vector<std::string>{"net.connection-refused", "auth.key-not-authorized", "hostkey.unknown-to-root",
                                        "machines.no-builder-for-system"}),
              ids(r));
    EXPECT_EQ("ssh://nix@b2", r.findings[1].finding.builder);
    EXPECT_EQ("ssh://root@b3", r.findings[2].finding.builder);
}

TEST(ExplainRanking, SshStderrAfterTheCannotBuildOnLineBelongsToItsBuilder) {
    const auto r = explain(
        "cannot build on 'ssh://root@b1': error: cannot connect to 'root@b1': Warning: Identity file /root/.ssh/k not accessible: No such file or directory.\n"
        "root@b1: Permission denied (publickey).\n"
        "Failed to find a machine for remote build!\n");
    // The missing key explains the refusal: one cause, not two.
    ASSERT_EQ((std::vector<std::string>{"machines.identity-missing", "machines.no-builder-for-system"}), ids(r));
    EXPECT_EQ("ssh://root@b1", r.findings[0].finding.builder);
}

TEST(ExplainRanking, AnAmbiguousMessageNamesItsAlternativesAndTheCommandThatDecides) {
    const auto r = explain("cannot build on 'ssh://root@b1': error: cannot connect to 'root@b1': root@b1: Permission denied (publickey).\n");
    ASSERT_EQ(1u, r.findings.size());
    const auto& top = r.findings[0];
    EXPECT_EQ("auth.key-not-authorized", top.finding.rule);
    EXPECT_GE(top.alternatives.size(), 3u);
    EXPECT_EQ(0u, top.alternatives[0].rfind("auth.root-login-refused: ", 0));
    EXPECT_NE(std::string::npos, top.alternatives[0].find("b1's sshd has `PermitRootLogin no`"));
    EXPECT_EQ("sudo nix-builder-doctor check --select auth.,keys.", top.check_command);
    EXPECT_NE(std::string::npos, top.finding.fix.find("To tell which: sudo nix-builder-doctor check --select auth.,keys."));
    EXPECT_NE(std::string::npos, top.finding.message.find("Other possible causes: auth.root-login-refused"));
    EXPECT_EQ("b1's sshd rejected every key root offered for root", top.cause);
}

TEST(ExplainRanking, DecisiveEvidenceElsewhereResolvesTheAmbiguity) {
    const auto r = explain(
        "cannot build on 'ssh://root@b1': error: cannot connect to 'root@b1': root@b1: Permission denied (publickey).\n"
        "# journalctl -u sshd\n"
        "ROOT LOGIN REFUSED FROM 10.0.0.1 port 50000\n");
    ASSERT_EQ((std::vector<std::string>{"auth.root-login-refused"}), ids(r));
    EXPECT_EQ("ssh://root@b1", r.findings[0].finding.builder);
    EXPECT_EQ(3, r.findings[0].finding.evidence->line);
}

TEST(ExplainRanking, AVagueFailureYieldsToANamedCauseForTheSameBuilder) {
    const auto r = explain(
        "cannot build on 'ssh-ng://root@b1': error: cannot open connection to remote store 'ssh-ng://root@b1': error: unexpected end-of-file\n"
        "Failed to find a machine for remote build!\n"
        "# journalctl -u nix-daemon\n"
        "root@b1: Permission denied (publickey).\n");
    ASSERT_EQ((std::vector<std::string>{"auth.key-not-authorized", "machines.no-builder-for-system"}), ids(r));
    EXPECT_EQ("ssh-ng://root@b1", r.findings[0].finding.builder);
}

TEST(ExplainRanking, AVagueFailureAloneSaysHowToFindTheReason) {
    const auto r = explain("cannot build on 'ssh-ng://root@b1': error: cannot open connection to remote store 'ssh-ng://root@b1': error: unexpected end-of-file\n");
    ASSERT_EQ((std::vector<std::string>{"remote.connection-failed"}), ids(r));
    EXPECT_NE(std::string::npos, r.findings[0].finding.fix.find("sudo ssh -v b1"));
    EXPECT_EQ(0u, r.findings[0].alternatives[0].rfind("hostkey.unknown-to-root", 0));
}

TEST(ExplainRanking, AnUnknownCannotBuildOnMessageStillNamesTheBuilder) {
    const auto r = explain("cannot build on 'ssh://root@b1': a message no version of Nix printed yet\n");
    ASSERT_EQ(1u, r.findings.size());
    EXPECT_EQ("remote.connection-failed", r.findings[0].finding.rule);
    EXPECT_EQ("ssh://root@b1", r.findings[0].finding.builder);
}

TEST(ExplainRanking, ARemoteBuildsOwnLogIsAttributedToItsBuilder) {
    const auto r = explain(
        "building '/nix/store/a.drv' on 'ssh://nix@b1'...\n"
        "error: builder for '/nix/store/a.drv' failed with exit code 1;\n"
        "       last 1 log lines:\n"
        "       > error: you are not privileged to build input-addressed derivations\n");
    ASSERT_EQ((std::vector<std::string>{"remote.user-not-trusted"}), ids(r));
    EXPECT_EQ("ssh://nix@b1", r.findings[0].finding.builder);
    EXPECT_EQ("error: you are not privileged to build input-addressed derivations", r.findings[0].finding.evidence->text);
    EXPECT_NE(std::string::npos, r.findings[0].finding.fix.find("extra-trusted-users = nix"));
}

TEST(ExplainRanking, LocalAndRemoteDaemonsAreToldApart) {
    EXPECT_EQ((std::vector<std::string>{"install.daemon-not-running"}),
              ids(explain("error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': No such file or directory\n")));
    EXPECT_EQ((std::vector<std::string>{"remote.daemon-not-running"}),
              ids(explain("building '/nix/store/a.drv' on 'ssh://nix@b1'...\n"
                          "error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused\n")));
}

TEST(ExplainRanking, AHostNameInTheLineFindsItsBuilder) {
    const auto r = explain(
        "cannot build on 'ssh-ng://root@alpha': error: cannot open connection to remote store 'ssh-ng://root@alpha': error: unexpected end-of-file\n"
        "cannot build on 'ssh-ng://root@beta': error: cannot open connection to remote store 'ssh-ng://root@beta': error: unexpected end-of-file\n"
        "root@beta: Permission denied (publickey).\n");
    // beta's own failure is named, alpha's stays unexplained: the named cause comes first.
    ASSERT_EQ(2u, r.findings.size());
    EXPECT_EQ("auth.key-not-authorized", r.findings[0].finding.rule);
    EXPECT_EQ("ssh-ng://root@beta", r.findings[0].finding.builder);
    EXPECT_EQ("remote.connection-failed", r.findings[1].finding.rule);
    EXPECT_EQ("ssh-ng://root@alpha", r.findings[1].finding.builder);
}

TEST(ExplainRanking, TextsHaveNoPlaceholdersLeft) {
    for (const char* log : {"Host key verification failed.\n", "root@b: Permission denied (publickey).\n",
                            "cannot build on 'ssh://b': error: cannot connect to 'b': b: Permission denied (publickey).\n"}) {
        const auto r = explain(log);
        ASSERT_FALSE(r.findings.empty()) << log;
        for (const auto& f : r.findings) {
            for (const std::string* text : {&f.finding.message, &f.finding.fix, &f.cause})
                EXPECT_EQ(std::string::npos, text->find('{')) << *text;
        }
    }
    // Without a user in the URI the text says "the login user", without a builder "the builder".
    EXPECT_NE(std::string::npos, explain("cannot build on 'ssh://b': error: cannot connect to 'b': b: Permission denied (publickey).\n")
                                     .findings[0].cause.find("for the login user"));
    EXPECT_EQ("root (the nix-daemon runs ssh as root) does not know the builder's host key",
              explain("Host key verification failed.\n").findings[0].cause);
}

TEST(ExplainRanking, TextOutputLeadsWithCauseFixAndEvidence) {
    const auto r = explain(kCascade);
    const std::string text = render_explain_text(r, TextOptions{});
    EXPECT_EQ(0u, text.rfind("Cause:    root (the nix-daemon runs ssh as root) does not know b1's host key  (hostkey.unknown-to-root, ssh://root@b1)\n", 0)) << text;
    EXPECT_NE(std::string::npos, text.find("\nFix:      Accept it once as root"));
    EXPECT_NE(std::string::npos, text.find("\nEvidence: line 3: cannot build on 'ssh://root@b1'"));
    EXPECT_NE(std::string::npos,
              text.find("\nAlso in this log:\n  - Nix then had no usable builder left for this derivation (hostkey.unknown-to-root)  "
                        "(machines.no-builder-for-system)\n    line 4: Failed to find a machine for remote build!\n"));
    EXPECT_NE(std::string::npos, text.find("2 errors, 0 warnings, 0 info (7 lines read)"));
    EXPECT_EQ(std::string::npos, text.find('\x1b'));
    EXPECT_NE(std::string::npos, render_explain_text(r, TextOptions{true, "x"}).find("\x1b[1m"));
}

TEST(ExplainRanking, NothingKnownSaysSo) {
    const auto r = explain("building '/nix/store/a.drv'...\nhello.c:3:1: error: expected declaration specifiers\n");
    EXPECT_TRUE(r.findings.empty());
    const std::string text = render_explain_text(r, TextOptions{false, "'build.log'"});
    EXPECT_NE(std::string::npos, text.find("no known remote-build failure in this log ('build.log', 2 lines read)"));
}

}  // namespace
