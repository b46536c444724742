// The build hook's machine choice, against the cases run on the real Nix 2.8 (docs/route-logic.md §8)
// and the version differences read from Nix's sources.
#include <gtest/gtest.h>

#include "nix_builder_doctor/route/route.hpp"

using namespace nbd::route;

namespace {

Machine machine(const std::string& uri, std::vector<std::string> systems, unsigned jobs, double speed,
                std::set<std::string> supported = {}, std::set<std::string> mandatory = {}) {
    Machine m;
    m.uri = uri;
    m.file = "/etc/nix/machines";
    m.systems = std::move(systems);
    m.max_jobs = jobs;
    m.speed_factor = speed;
    m.speed_factor_integral = speed == static_cast<double>(static_cast<unsigned>(speed));
    m.supported = std::move(supported);
    m.mandatory = std::move(mandatory);
    return m;
}

Local local_x86(unsigned jobs = 1) {
    Local l;
    l.system = "x86_64-linux";
    l.extra_platforms = {"i686-linux"};
    l.features = {"benchmark", "big-parallel", "kvm", "nixos-test"};
    l.max_jobs = jobs;
    return l;
}

NixLogic route_nix(const std::string& v) { return *logic_from_version_text("nix (Nix) " + v); }

}  // namespace

TEST(NixLogic, ReadsEveryFlavour) {
    auto l = logic_from_version_text("nix (Nix) 2.8.0\n");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->flavor, "Nix");
    EXPECT_EQ(l->version, "2.8.0");
    EXPECT_TRUE(l->integer_speed);
    EXPECT_FALSE(l->brackets);
    auto lix = logic_from_version_text("nix (Lix, like Nix) 2.93.3");
    ASSERT_TRUE(lix);
    EXPECT_EQ(lix->flavor, "Lix");
    EXPECT_FALSE(lix->integer_speed);
    EXPECT_TRUE(lix->lix_slot_names);
    auto det = logic_from_version_text("nix (Determinate Nix 3.6.2) 2.29.0");
    ASSERT_TRUE(det);
    EXPECT_EQ(det->flavor, "Determinate Nix");
    EXPECT_EQ(det->version, "2.29.0");
    EXPECT_FALSE(det->integer_speed);
    EXPECT_FALSE(logic_from_version_text("command not found"));
    // Found by fuzz_proc_locks: a part too long for an int.
    const auto huge = logic_from_version_text("nix (Nix) 2.29888888888888888888888888888");
    ASSERT_TRUE(huge);
    EXPECT_EQ(huge->minor, 298888);
    EXPECT_TRUE(route_nix("2.3.18").no_local_features == false);
    EXPECT_FALSE(route_nix("2.3.18").builtin_any);
    EXPECT_TRUE(route_nix("2.1").no_local_features);
}

// T1: a required feature no machine has; the listing of 2.8 (no brackets, systems in config order).
TEST(Route, NoMachineHasTheFeatureAndNoLocalBuild) {
    std::vector<Machine> ms = {machine("ssh://127.0.0.1", {"x86_64-linux", "aarch64-linux"}, 2, 1, {"big-parallel", "kvm"}, {"benchmark"}),
                               machine("ssh://nbd-none@127.0.0.2", {}, 1, 2)};
    Need need{"x86_64-linux", {"no-such-feature"}, "/nix/store/ak68kk59ih38q0sghbmq4527cp4d8g0i-route-probe.drv"};
    const auto r = decide(need, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_FALSE(r.choice);
    EXPECT_EQ(r.reply, Reply::decline);
    EXPECT_EQ(r.machines[0].verdict, Verdict::missing_features);
    EXPECT_EQ(r.machines[1].verdict, Verdict::missing_features);
    ASSERT_GE(r.nix_says.size(), 8u);
    EXPECT_EQ(r.nix_says[0], "Failed to find a machine for remote build!");
    EXPECT_EQ(r.nix_says[1], "derivation: ak68kk59ih38q0sghbmq4527cp4d8g0i-route-probe.drv");
    EXPECT_EQ(r.nix_says[2], "required (system, features): (x86_64-linux, no-such-feature)");
    EXPECT_EQ(r.nix_says[5], "(x86_64-linux, aarch64-linux, 2, big-parallel, kvm, benchmark)");
    EXPECT_EQ(r.nix_says[6], "(x86_64-linux, 1, , )");
    EXPECT_EQ(r.nix_says[7], "error: unable to start any build; remote machines may not have all required system features.");
    EXPECT_EQ(r.nix_says[8], "       https://nixos.org/manual/nix/stable/advanced-topics/distributed-builds.html");
    EXPECT_FALSE(r.local.possible);
}

TEST(Route, ListingHasBracketsFrom212AndSortsSystemsFrom220) {
    std::vector<Machine> ms = {machine("ssh://a", {"x86_64-linux", "aarch64-linux"}, 2, 1, {"kvm"})};
    Need need{"riscv64-linux", {}, ""};
    auto r = decide(need, ms, local_x86(0), route_nix("2.12.0"));
    EXPECT_EQ(r.nix_says[5], "([x86_64-linux, aarch64-linux], 2, [kvm], [])");
    r = decide(need, ms, local_x86(0), route_nix("2.24.0"));
    EXPECT_EQ(r.nix_says[5], "([aarch64-linux, x86_64-linux], 2, [kvm], [])");
    EXPECT_EQ(r.machines[0].verdict, Verdict::wrong_system);
}

// T2: -j1 but the feature is missing here too: the daemon's own error.
TEST(Route, LocalBuildLacksTheFeature) {
    std::vector<Machine> ms = {machine("ssh://a", {}, 1, 1)};
    Need need{"x86_64-linux", {"no-such-feature"}, "/nix/store/x-y.drv"};
    const auto r = decide(need, ms, local_x86(1), route_nix("2.8.0"));
    ASSERT_FALSE(r.nix_says.empty());
    EXPECT_EQ(r.nix_says.back(),
              "error: a 'x86_64-linux' with features {no-such-feature} is required to build '/nix/store/x-y.drv', but I am a "
              "'x86_64-linux' with features {benchmark, big-parallel, kvm, nixos-test}");
}

// T4: the machine lacks the feature, but this machine has it: built locally, no listing shown.
TEST(Route, DeclinedAndBuiltLocally) {
    std::vector<Machine> ms = {machine("ssh://127.0.0.1", {}, 1, 1, {"big-parallel"})};
    const auto r = decide({"x86_64-linux", {"nixos-test"}, ""}, ms, local_x86(1), route_nix("2.8.0"));
    EXPECT_EQ(r.reply, Reply::decline);
    EXPECT_TRUE(r.local.possible);
    EXPECT_TRUE(r.nix_says.empty());
    EXPECT_NE(r.outcome.find("built locally"), std::string::npos);
}

// T5: the only matching machine has max-jobs 0 and nothing builds locally: postponed forever.
TEST(Route, MaxJobsZeroMachineMakesNixWaitForever) {
    std::vector<Machine> ms = {machine("ssh://127.0.0.1", {}, 0, 1, {"no-such-feature"})};
    const auto r = decide({"x86_64-linux", {"no-such-feature"}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(r.reply, Reply::postpone);
    EXPECT_EQ(r.machines[0].verdict, Verdict::no_jobs);
    EXPECT_NE(r.outcome.find("waits forever"), std::string::npos);
    EXPECT_TRUE(r.waits_forever);
}

// T7: all idle, speed factors 1, 3, 2: tried in the order 3, 2, 1.
TEST(Route, RanksBySpeedFactorWhenIdle) {
    std::vector<Machine> ms = {machine("ssh://127.0.0.3", {}, 1, 1), machine("ssh://127.0.0.4", {}, 1, 3), machine("ssh://127.0.0.5", {}, 1, 2)};
    const auto r = decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    ASSERT_TRUE(r.choice);
    EXPECT_EQ(*r.choice, 1u);
    EXPECT_EQ(r.machines[1].rank, 1);
    EXPECT_EQ(r.machines[2].rank, 2);
    EXPECT_EQ(r.machines[0].rank, 3);
}

// T8: load 2 at speed factor 3 truncates to 0 before 2.20 and beats an idle machine of speed 1;
// with float division (2.20+, Lix) the idle machine wins.
TEST(Route, IntegerDivisionBefore220) {
    auto idle = machine("ssh://127.0.0.7", {}, 4, 1);
    idle.load = 0;
    auto loaded = machine("ssh://127.0.0.6", {}, 4, 3);
    loaded.load = 2;
    std::vector<Machine> ms = {idle, loaded};
    EXPECT_EQ(*decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0")).choice, 1u);
    EXPECT_EQ(*decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.20.0")).choice, 0u);
    EXPECT_EQ(*decide({"x86_64-linux", {}, ""}, ms, local_x86(0), *logic_from_version_text("nix (Lix, like Nix) 2.91.1")).choice, 0u);
}

TEST(Route, TiesGoToTheEarlierMachine) {
    std::vector<Machine> ms = {machine("ssh://first", {}, 2, 2), machine("ssh://second", {}, 2, 2)};
    EXPECT_EQ(*decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0")).choice, 0u);
}

TEST(Route, MandatoryFeaturesKeepOtherDerivationsAway) {
    std::vector<Machine> ms = {machine("ssh://bench", {}, 1, 10, {}, {"benchmark"}), machine("ssh://plain", {}, 1, 1)};
    auto r = decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(r.machines[0].verdict, Verdict::mandatory_unmet);
    EXPECT_EQ(*r.choice, 1u);
    // A mandatory feature also counts as supported.
    r = decide({"x86_64-linux", {"benchmark"}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(*r.choice, 0u);
    EXPECT_EQ(r.machines[1].verdict, Verdict::missing_features);
}

TEST(Route, BuiltinMatchesAnyMachineFrom24) {
    std::vector<Machine> ms = {machine("ssh://arm", {"aarch64-linux"}, 1, 1)};
    EXPECT_TRUE(decide({"builtin", {}, ""}, ms, local_x86(0), route_nix("2.8.0")).choice);
    EXPECT_FALSE(decide({"builtin", {}, ""}, ms, local_x86(0), route_nix("2.3.18")).choice);
}

TEST(Route, UnsetSystemsMeanTheLocalSystemOnlyNotExtraPlatforms) {
    std::vector<Machine> ms = {machine("ssh://b", {}, 1, 1)};
    const auto r = decide({"i686-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(r.machines[0].verdict, Verdict::wrong_system);
    EXPECT_NE(r.machines[0].reason.find("local system only"), std::string::npos);
}

TEST(Route, ConnectFailureMovesOnLikeTheHook) {
    std::vector<Machine> ms = {machine("ssh://fast", {}, 1, 4), machine("ssh://slow", {}, 1, 1)};
    ms[0].live = Live::connect_fails;
    ms[0].live_reason = "connection refused";
    const auto r = decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(*r.choice, 0u);
    EXPECT_EQ(*r.lands_on, 1u);
    EXPECT_TRUE(r.machines[0].tried);
    EXPECT_NE(r.outcome.find("after the connection to ssh://fast (connection refused) fails"), std::string::npos);
}

TEST(Route, BuildFailureAfterAcceptIsNotRetried) {
    std::vector<Machine> ms = {machine("ssh://untrusting", {}, 1, 4), machine("ssh://other", {}, 1, 1)};
    ms[0].live = Live::build_fails;
    ms[0].live_reason = "the builder does not trust you";
    const auto r = decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(*r.lands_on, 0u);
    EXPECT_FALSE(r.machines[1].tried);
    EXPECT_NE(r.outcome.find("fails there"), std::string::npos);
}

TEST(Route, AllCandidatesDownThenLocalOrError) {
    std::vector<Machine> ms = {machine("ssh://a", {}, 1, 1)};
    ms[0].live = Live::connect_fails;
    ms[0].live_reason = "timeout";
    auto r = decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_FALSE(r.lands_on);
    EXPECT_EQ(r.reply, Reply::decline);
    EXPECT_EQ(r.nix_says.end()[-2], "error: unable to start any build; remote machines may not have all required system features.");
    r = decide({"x86_64-linux", {}, ""}, ms, local_x86(4), route_nix("2.8.0"));
    EXPECT_TRUE(r.local.possible);
    EXPECT_NE(r.outcome.find("built locally"), std::string::npos);
}

TEST(Route, BusyMachineAndNoLocalMeansWait) {
    auto m = machine("ssh://a", {}, 2, 1);
    m.load = 2;
    const auto r = decide({"x86_64-linux", {}, ""}, {m}, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(r.machines[0].verdict, Verdict::busy);
    EXPECT_EQ(r.reply, Reply::postpone);
    EXPECT_NE(r.outcome.find("until a slot"), std::string::npos);
    EXPECT_FALSE(r.waits_forever);
}

TEST(Route, FractionalSpeedFactorBreaksTheListBefore220) {
    std::vector<Machine> ms = {machine("ssh://a", {}, 1, 1.5)};
    auto r = decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(r.machines[0].verdict, Verdict::rejected_list);
    EXPECT_FALSE(r.choice);
    r = decide({"x86_64-linux", {}, ""}, ms, local_x86(0), route_nix("2.20.0"));
    EXPECT_TRUE(r.choice);
}

TEST(Route, NoMachinesAtAll) {
    const auto r = decide({"x86_64-linux", {}, ""}, {}, local_x86(0), route_nix("2.8.0"));
    EXPECT_EQ(r.reply, Reply::decline_permanently);
    EXPECT_EQ(r.nix_says.end()[-2], "error: unable to start any build; either increase '--max-jobs' or enable remote builds.");
}

// The daemon's own error changed wording in 2.21, 2.30 and 2.34 (docs/route-logic.md §6).
TEST(Route, LocalFailureTextFollowsTheVersion) {
    std::vector<Machine> ms = {machine("ssh://arm", {"aarch64-linux"}, 1, 1)};
    const Need need{"x86_64-linux", {"uid-range"}, "/nix/store/x-y.drv"};
    auto local = local_x86(2);
    auto r = decide(need, ms, local, route_nix("2.34.0"));
    ASSERT_GE(r.nix_says.size(), 4u);
    EXPECT_EQ(r.nix_says.end()[-4], "error: Cannot build '/nix/store/x-y.drv'.");
    EXPECT_EQ(r.nix_says.end()[-3], "       Reason: missing system features");
    EXPECT_EQ(r.nix_says.end()[-2], "       Required features: {uid-range}");
    r = decide(need, ms, local, route_nix("2.30.0"));
    EXPECT_EQ(r.nix_says.end()[-3], "       Reason: required system or feature not available");
    r = decide(need, ms, local_x86(0), route_nix("2.24.0"));
    EXPECT_EQ(r.nix_says.end()[-4], "error: Unable to start any build;");
    r = decide(need, ms, local_x86(0), route_nix("2.34.0"));
    EXPECT_EQ(r.nix_says.end()[-2], "       Reason: local builds are disabled (max-jobs = 0)");
    r = decide(need, ms, local_x86(0), *logic_from_version_text("nix (Lix, like Nix) 2.93.0"));
    EXPECT_EQ(r.nix_says.end()[-2], "error: unable to start any build; remote machines may not have all required system features.");
}
