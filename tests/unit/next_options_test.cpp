// check --next RESULT / --flake REF#HOST: the options, the installable --flake builds, and the
// validation of RESULT (missing, or not a built system).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "nix_builder_doctor/cli/next_system.hpp"
#include "nix_builder_doctor/cli/options.hpp"
#include "nix_builder_doctor/cli/run.hpp"

namespace {

using nbd::cli::parse_options;
using nbd::cli::UsageError;

nbd::cli::Options parse(std::vector<const char*> args) {
    args.insert(args.begin(), "nix-builder-doctor");
    return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(NextOptions, NextAndFlake) {
    EXPECT_EQ("./result", *parse({"check", "--next", "./result"}).next_result);
    EXPECT_EQ(".#myhost", *parse({"--flake", ".#myhost"}).flake);
    EXPECT_FALSE(parse({"check"}).next_result);
    EXPECT_THROW(parse({"--next", "./result", "--flake", ".#x"}), UsageError);
    EXPECT_THROW(parse({"--flake", ".#"}), UsageError);
    EXPECT_THROW(parse({"--flake", "myhost"}), UsageError);
    EXPECT_THROW(parse({"explain", "--next", "./result"}), UsageError);
    try {
        parse({"--nxt", "./result"});
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string::npos, std::string(e.what()).find("did you mean --next?"))
            << e.what();
    }
}

TEST(NextOptions, FlakeInstallable) {
    EXPECT_EQ("/etc/nixos#nixosConfigurations.web-1.config.system.build.toplevel",
              nbd::cli::flake_toplevel_installable("/etc/nixos", "nixosConfigurations", "web-1"));
    EXPECT_EQ(".#darwinConfigurations.\"mac.local\".config.system.build.toplevel",
              nbd::cli::flake_toplevel_installable(".", "darwinConfigurations", "mac.local"));
}

int run(std::vector<const char*> args, std::string& err) {
    args.insert(args.begin(), "nix-builder-doctor");
    std::ostringstream out, e;
    const int code = nbd::cli::run(static_cast<int>(args.size()), args.data(), out, e);
    err = e.str();
    return code;
}

TEST(NextOptions, ResultMustBeABuiltSystem) {
    namespace fs = std::filesystem;
    std::string templ = (fs::temp_directory_path() / "nbd-next-opt-XXXXXX").string();
    const fs::path dir = ::mkdtemp(templ.data());
    const std::string missing = (dir / "result").string();
    std::string err;
    EXPECT_EQ(2,
              run({"check", "--offline", "--root", dir.c_str(), "--next", missing.c_str()}, err));
    EXPECT_NE(std::string::npos, err.find("--next: '" + missing + "' does not exist")) << err;
    fs::create_directories(dir / "result");
    EXPECT_EQ(2,
              run({"check", "--offline", "--root", dir.c_str(), "--next", missing.c_str()}, err));
    EXPECT_NE(std::string::npos, err.find("has no etc/ directory")) << err;
    fs::remove_all(dir);
}

}  // namespace
