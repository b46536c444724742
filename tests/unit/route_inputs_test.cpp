// The route model's inputs: settings and defaults per Nix version, machines from the Facts, the
// kernel's lock list and the slot files' names.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "nix_builder_doctor/route/route_inputs.hpp"
#include "nix_builder_doctor/route/slot_locks.hpp"

using namespace nbd::route;
using nlohmann::json;

namespace {

NixLogic nix(const std::string& v) { return *logic_from_version_text("nix (Nix) " + v); }

json facts_with(json settings, json max_jobs = 1) {
    return json{{"system", {{"value", "x86_64-linux"}}},
                {"nixconf", {{"max_jobs", max_jobs}}},
                {"nix_confs", json::array({{{"side", "local"}, {"settings", settings}}})},
                {"builders", json::array()}};
}

json setting(std::vector<std::string> tokens, bool appended = false) {
    return {{"tokens", tokens}, {"appended", appended}, {"file", "/etc/nix/nix.conf"}, {"line", 1}};
}

}  // namespace

TEST(RouteInputs, DefaultFeaturesFollowTheVersion) {
    EXPECT_EQ(default_system_features(nix("2.8.0"), "x86_64-linux"), (std::vector<std::string>{"benchmark", "big-parallel", "nixos-test"}));
    EXPECT_EQ(default_system_features(nix("2.4"), "x86_64-linux").back(), "recursive-nix");
    EXPECT_EQ(default_system_features(nix("2.12.0"), "x86_64-linux").back(), "uid-range");
    EXPECT_EQ(default_system_features(nix("2.12.0"), "aarch64-darwin").back(), "nixos-test");
    EXPECT_TRUE(default_system_features(nix("2.1"), "x86_64-linux").empty());
}

TEST(RouteInputs, KvmCountsOnlyWhenKnownAndFeaturesNotExplicit) {
    auto in = local_from_facts(facts_with(json::object()), nix("2.8.0"), HostCapabilities{true, 4});
    EXPECT_TRUE(in.local.features.count("kvm"));
    in = local_from_facts(facts_with(json::object()), nix("2.8.0"), HostCapabilities{});
    EXPECT_FALSE(in.local.features.count("kvm"));
    ASSERT_FALSE(in.notes.empty());
    EXPECT_NE(in.notes[0].find("/dev/kvm"), std::string::npos);
    in = local_from_facts(facts_with({{"system-features", setting({"big-parallel"})}}), nix("2.8.0"), HostCapabilities{true, 4});
    EXPECT_EQ(in.local.features, (std::set<std::string>{"big-parallel"}));
}

TEST(RouteInputs, ExtraAssignmentsAppendToTheDefault) {
    auto in = local_from_facts(facts_with({{"system-features", setting({"gpu"}, true)}, {"extra-platforms", setting({"aarch64-linux"}, true)}}),
                               nix("2.8.0"), HostCapabilities{false, 2});
    EXPECT_TRUE(in.local.features.count("gpu"));
    EXPECT_TRUE(in.local.features.count("big-parallel"));
    EXPECT_TRUE(in.local.extra_platforms.count("aarch64-linux"));
    EXPECT_TRUE(in.local.extra_platforms.count("i686-linux"));
    EXPECT_TRUE(in.local.extra_platforms.count("x86_64-v3-linux"));
    // Before 2.8 the x86_64 levels were not there.
    in = local_from_facts(facts_with(json::object()), nix("2.7.0"), HostCapabilities{false, 2});
    EXPECT_EQ(in.local.extra_platforms, (std::set<std::string>{"i686-linux"}));
}

TEST(RouteInputs, ExperimentalFeaturesAddStoreFeatures) {
    const auto in = local_from_facts(facts_with({{"experimental-features", setting({"nix-command", "ca-derivations"})}}), nix("2.8.0"),
                                     HostCapabilities{false, 2});
    EXPECT_TRUE(in.local.features.count("ca-derivations"));
    EXPECT_FALSE(in.local.features.count("recursive-nix"));
}

TEST(RouteInputs, MaxJobsAutoIsTheCores) {
    EXPECT_EQ(local_from_facts(facts_with(json::object(), "auto"), nix("2.8.0"), HostCapabilities{false, 6}).local.max_jobs, 6u);
    EXPECT_EQ(local_from_facts(facts_with(json::object(), 0), nix("2.8.0"), HostCapabilities{false, 6}).local.max_jobs, 0u);
    const auto unknown = local_from_facts(facts_with(json::object(), "auto"), nix("2.8.0"), HostCapabilities{});
    EXPECT_EQ(unknown.local.max_jobs, 1u);
}

TEST(RouteInputs, MachinesKeepTheirOrderAndUnsetSystems) {
    json facts = facts_with(json::object());
    facts["builders"] = json::array({{{"uri", "ssh://a"}, {"file", "/etc/nix/machines"}, {"line", 1}, {"systems", {"x86_64-linux"}},
                                      {"systems_set", false}, {"max_jobs", 2}, {"speed_factor", 1.5}, {"speed_factor_integral", false},
                                      {"supported_features", {"kvm"}}, {"mandatory_features", json::array()}},
                                     {{"uri", "ssh://b"}, {"systems", {"aarch64-linux"}}, {"systems_set", true}}});
    const auto ms = machines_from_facts(facts);
    ASSERT_EQ(ms.size(), 2u);
    EXPECT_EQ(ms[0].uri, "ssh://a");
    EXPECT_TRUE(ms[0].systems.empty());  // unset: the local system, decided by the model
    EXPECT_EQ(ms[0].max_jobs, 2u);
    EXPECT_FALSE(ms[0].speed_factor_integral);
    EXPECT_TRUE(ms[0].supported.count("kvm"));
    EXPECT_EQ(ms[1].systems, (std::vector<std::string>{"aarch64-linux"}));
    EXPECT_EQ(ms[1].max_jobs, 1u);
}

TEST(SlotLocks, ReadsGrantedFlocksOnly) {
    const auto locks = parse_proc_locks(
        "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF\n"
        "2: POSIX  ADVISORY  READ 99 00:2a:11 0 EOF\n"
        "3: FLOCK  ADVISORY  WRITE 77 103:02:42 0 EOF\n"
        "3: -> FLOCK  ADVISORY  WRITE 78 103:02:43 0 EOF\n"
        "garbage line\n4: FLOCK ADVISORY WRITE 1 zz:yy:x 0 EOF\n");
    EXPECT_EQ(locks.size(), 2u);
    EXPECT_TRUE(locks.count({0xfd, 0x01, 5678}));
    EXPECT_TRUE(locks.count({0x103, 0x02, 42}));
}

TEST(SlotLocks, NamesAsNixAndLix) {
    EXPECT_EQ(slot_file_prefix("ssh://nbd@127.0.0.3", nix("2.8.0")), "ssh:__nbd@127.0.0.3");
    const auto lix = slot_file_prefix("ssh://nbd@127.0.0.3", *logic_from_version_text("nix (Lix, like Nix) 2.93.0"));
    EXPECT_EQ(lix.substr(0, 20), "ssh:__nbd@127.0.0.3-");
    EXPECT_EQ(lix.size(), 19u + 1 + 16);
}

// The alphabet and bit order of the real `nix hash to-base32` (Nix 2.8 on this machine).
TEST(SlotLocks, NixBase32MatchesNix) {
    std::string digest;
    const char* hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    for (int i = 0; i < 64; i += 2) digest.push_back(static_cast<char>(std::strtol(std::string(hex + i, 2).c_str(), nullptr, 16)));
    EXPECT_EQ(nix_base32(digest), "0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73");
}

// A real flock on a real file is found through the real /proc/locks.
TEST(SlotLocks, SeesARealLockHeldHere) {
    char dir[] = "/tmp/nbd-slots-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    const std::string uri = "ssh://nbd@b1";
    const std::string file = std::string(dir) + "/ssh:__nbd@b1-1";
    std::ofstream(file).put('\n');
    const int fd = ::open(file.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    std::ifstream in("/proc/locks");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(held_slots(dir, uri, 4, nix("2.8.0"), parse_proc_locks(text.str())), 1u);
    ::close(fd);
    std::ifstream again("/proc/locks");
    std::stringstream after;
    after << again.rdbuf();
    EXPECT_EQ(held_slots(dir, uri, 4, nix("2.8.0"), parse_proc_locks(after.str())), 0u);
    ::unlink(file.c_str());
    ::rmdir(dir);
}
