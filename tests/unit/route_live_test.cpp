// How `route` turns a builder's live facts and findings into its live state and one-line reason.
#include <gtest/gtest.h>

#include "nix_builder_doctor/cli/route_live.hpp"

namespace {

using nbd::route::Live;

std::vector<nbd::route::Machine> one_machine() {
    nbd::route::Machine m;
    m.uri = "ssh://root@b1";
    return {m};
}

nlohmann::json builder_with(const nlohmann::json& stages, const nlohmann::json& truth = nlohmann::json::object()) {
    return {{"builders", {{{"uri", "ssh://root@b1"}, {"stages", stages}, {"live", {{"ground_truth", truth}}}}}}};
}

nbd::engine::Finding error(const std::string& rule, const std::string& title) {
    nbd::engine::Finding f;
    f.rule = rule;
    f.builder = "ssh://root@b1";
    f.title = title;
    return f;
}

TEST(RouteLive, NixOkIsOkEvenWhenAnXrayStageFailed) {
    auto machines = one_machine();
    nbd::cli::mark_live(machines, builder_with({{"tcp", "ok"}, {"publickey", "denied"}, {"nix", "ok"}}), {});
    EXPECT_EQ(machines[0].live, Live::ok);
    EXPECT_EQ(machines[0].live_reason, "");
}

TEST(RouteLive, AFailureARuleExplainsNamesTheRule) {
    auto machines = one_machine();
    nbd::cli::mark_live(machines, builder_with({{"tcp", "ok"}, {"publickey", "denied"}, {"nix", "ssh_failed"}}),
                        {error("auth.key-not-authorized", "the builder does not accept root's key")});
    EXPECT_EQ(machines[0].live, Live::connect_fails);
    EXPECT_EQ(machines[0].live_reason, "the builder does not accept root's key [auth.key-not-authorized]");
}

TEST(RouteLive, AnUnexplainedFailureQuotesWhatTheRemoteSaid) {
    auto machines = one_machine();
    nbd::cli::mark_live(machines,
                        builder_with({{"tcp", "ok"}, {"nix", "remote_error"}},
                                     {{"remote_error", ""}, {"ssh_error", "error: creating symlink '/nix/var/nix/gcroots/profiles': File exists"}}),
                        {});
    EXPECT_EQ(machines[0].live, Live::connect_fails);
    EXPECT_EQ(machines[0].live_reason,
              "the connection fails (nix: remote_error: error: creating symlink '/nix/var/nix/gcroots/profiles': File exists)");
}

TEST(RouteLive, TheRemoteNixsOwnErrorComesBeforeSshsStderr) {
    auto machines = one_machine();
    nbd::cli::mark_live(machines, builder_with({{"nix", "remote_error"}}, {{"remote_error", "database is locked"}, {"ssh_error", "noise"}}),
                        {});
    EXPECT_EQ(machines[0].live_reason, "the connection fails (nix: remote_error: database is locked)");
}

TEST(RouteLive, AnUnexplainedFailureWithNothingSaidKeepsTheStage) {
    auto machines = one_machine();
    nbd::cli::mark_live(machines, builder_with({{"tcp", "refused"}}), {});
    EXPECT_EQ(machines[0].live, Live::connect_fails);
    EXPECT_EQ(machines[0].live_reason, "the connection fails (tcp: refused)");
}

TEST(RouteLive, AProblemAfterTheHookAcceptsIsABuildFailure) {
    auto machines = one_machine();
    nbd::cli::mark_live(machines, builder_with({{"nix", "ok"}}), {error("remote.user-not-trusted", "root is not a trusted user")});
    EXPECT_EQ(machines[0].live, Live::build_fails);
    EXPECT_EQ(machines[0].live_reason, "root is not a trusted user [remote.user-not-trusted]");
}

TEST(RouteLive, AnUnprobedBuilderStaysUnknown) {
    auto machines = one_machine();
    nbd::cli::mark_live(machines, builder_with(nlohmann::json::object()), {});
    EXPECT_EQ(machines[0].live, Live::unknown);
}

}  // namespace
