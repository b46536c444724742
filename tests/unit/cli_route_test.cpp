// `route` through the command line: a tree's machines and nix.conf, a real .drv written by Nix
// 2.8, an expression evaluated by the real nix-instantiate, the JSON shape and usage errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_in_process.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const auto run = nbd::test::run_in_process;

class RouteTree : public ::testing::Test {
protected:
    void SetUp() override {
        root = fs::temp_directory_path() / ("nbd-route-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(root / "etc/nix");
        fs::create_directories(root / "nix/store");
        write("etc/nix/nix.conf", "max-jobs = 0\nbuilders = @/etc/nix/machines\nsystem = x86_64-linux\n");
        write("etc/nix/machines",
              "ssh://fast x86_64-linux,aarch64-linux - 4 8 kvm,big-parallel\n"
              "ssh://slow aarch64-linux - 2 1 big-parallel\n"
              "ssh://bench - - 1 20 - benchmark\n");
    }
    void TearDown() override { fs::remove_all(root); }
    void write(const std::string& rel, const std::string& text) {
        fs::create_directories((root / rel).parent_path());
        std::ofstream(root / rel, std::ios::binary) << text;
    }
    json route_json(std::vector<std::string> extra, int want_exit) {
        std::vector<std::string> args = {"route", "--offline", "--root", root.string(), "--nix-version", "2.8.0", "--format", "json"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run(args);
        EXPECT_EQ(r.exit_code, want_exit) << r.err << r.out;
        return json::parse(r.out, nullptr, false);
    }
    fs::path root;
};

}  // namespace

TEST_F(RouteTree, SystemAndFeaturesGiven) {
    const auto j = route_json({"--system", "aarch64-linux", "--features", "big-parallel"}, 0);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["choice"], "ssh://fast");
    EXPECT_EQ(j["logic"]["version"], "2.8.0");
    ASSERT_EQ(j["builders"].size(), 3u);
    EXPECT_EQ(j["builders"][0]["rank"], 1);
    EXPECT_EQ(j["builders"][1]["rank"], 2);
    EXPECT_EQ(j["builders"][2]["verdict"], "wrong-system");  // its unset systems column: the local system only
    EXPECT_FALSE(j["local"]["possible"]);
    EXPECT_EQ(j["local"]["why_not"][0], "max-jobs is 0 here: local builds are off");
}

TEST_F(RouteTree, ARealDrvNamesItsSystemAndFeatures) {
    const std::string drv = "/nix/store/6ygymdggrh1zcxjwrlbirxhxnq3fw3mh-nbd-features.drv";
    std::ifstream in(std::string(NBD_SOURCE_DIR) + "/tests/derivations/features.drv", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    write(drv.substr(1), text.str());
    const auto j = route_json({drv}, 0);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["need"]["system"], "aarch64-linux");
    EXPECT_EQ(j["need"]["features"], json({"big-parallel", "kvm"}));
    EXPECT_EQ(j["need"]["drv"], drv);
    EXPECT_EQ(j["choice"], "ssh://fast");
    EXPECT_EQ(j["builders"][1]["verdict"], "missing-features");
    EXPECT_EQ(j["builders"][2]["verdict"], "wrong-system");
}

TEST_F(RouteTree, NoBuilderQualifiesExitsOneAndPrintsNixsListing) {
    const auto r = run({"route", "--offline", "--root", root.string(), "--nix-version", "2.8.0", "--features", "cuda"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.out.find("no builder qualifies"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("| Failed to find a machine for remote build!"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("| (x86_64-linux, aarch64-linux, 4, big-parallel, kvm, )"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("lacks feature cuda"), std::string::npos) << r.out;
}

TEST_F(RouteTree, MandatoryFeatureMachineTakesOnlyItsDerivations) {
    const auto j = route_json({"--features", "benchmark"}, 0);
    EXPECT_EQ(j["choice"], "ssh://bench");
    const auto plain = route_json({}, 0);
    EXPECT_EQ(plain["choice"], "ssh://fast");
    EXPECT_EQ(plain["builders"][2]["verdict"], "mandatory-features");
}

TEST_F(RouteTree, NoBuildersButALocalBuildExitsZero) {
    write("etc/nix/nix.conf", "max-jobs = 2\nsystem = x86_64-linux\n");
    write("etc/nix/machines", "");
    const auto j = route_json({}, 0);
    EXPECT_EQ(j["reply"], "decline-permanently");
    EXPECT_TRUE(j["local"]["possible"]);
    EXPECT_EQ(j["choice"], nullptr);
}

TEST_F(RouteTree, MalformedDrvIsAUsageErrorWithPosition) {
    write("nix/store/bad.drv", "Derive([(\"out\",\"/nix/store/x\",\"\",\"\")],[],[],\"x86_64-linux\"");
    const auto r = run({"route", "--offline", "--root", root.string(), "/nix/store/bad.drv"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("/nix/store/bad.drv:1:"), std::string::npos) << r.err;
}

TEST_F(RouteTree, MissingDrvIsAUsageError) {
    const auto r = run({"route", "--offline", "--root", root.string(), "/nix/store/none.drv"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("cannot read /nix/store/none.drv"), std::string::npos) << r.err;
}

TEST(RouteUsage, OptionsBelongToTheirCommands) {
    EXPECT_EQ(run({"check", "--features", "kvm"}).exit_code, 2);
    EXPECT_EQ(run({"check", "--nix-version", "2.8"}).exit_code, 2);
    EXPECT_EQ(run({"route", "--format", "junit"}).exit_code, 2);
    EXPECT_EQ(run({"route", "/nix/store/x.drv", "--system", "x86_64-linux"}).exit_code, 2);
    const auto r = run({"route", "--offline", "--nix-version", "latest"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--nix-version"), std::string::npos);
}

// The real nix-instantiate evaluates an expression file read-only (no .drv is written).
TEST_F(RouteTree, EvaluatesAnExpressionWithTheRealNix) {
    if (std::system("command -v nix-instantiate >/dev/null 2>&1") != 0) {
        if (std::getenv("CI")) FAIL() << "nix-instantiate is missing (scripts/install-deps.sh --test installs nix-bin)";
        GTEST_SKIP() << "no nix-instantiate";
    }
    const fs::path expr = root / "pkg.nix";
    std::ofstream(expr) << "{ }: derivation { name = \"nbd-route-eval\"; system = \"aarch64-linux\"; builder = \"/bin/sh\";"
                           " requiredSystemFeatures = [ \"big-parallel\" ]; }\n";
    const auto j = route_json({expr.string()}, 0);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["need"]["system"], "aarch64-linux");
    EXPECT_EQ(j["need"]["features"], json({"big-parallel"}));
    EXPECT_EQ(j["need"]["drv"], nullptr);
    EXPECT_EQ(j["choice"], "ssh://fast");
    EXPECT_NE(j["need"]["from"].get<std::string>().find("nbd-route-eval"), std::string::npos);
}
