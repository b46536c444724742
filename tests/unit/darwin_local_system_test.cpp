// A Mac's tree read on this (Linux) machine: the local system comes from the tree's files, never
// from the doctor's own uname; unknown when no file says which Mac it is. And nix-darwin's
// linux-builder key, missing before the VM's first start, gets the fix that writes it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "case_runner.hpp"

namespace {

namespace fs = std::filesystem;

fs::path golden(const std::string& name) { return fs::path(NBD_SOURCE_DIR) / "tests" / "golden" / name; }

nlohmann::json facts_of(const std::string& name) {
    const nbd_test::PreparedCase prepared(golden(name), "darwin-system");
    EXPECT_TRUE(prepared.ok());
    return nlohmann::json::parse(prepared.run_doctor("--dump-facts").out);
}

TEST(DarwinLocalSystem, UnknownWithoutEvidenceAndTheHeaderSaysSo) {
    const auto facts = facts_of("darwin-max-jobs-0-mac-builder");
    EXPECT_EQ(facts["system"]["value"], "unknown");
    EXPECT_EQ(facts["system"]["source"], "unknown");
    EXPECT_EQ(facts["system"]["candidates"], (nlohmann::json{"aarch64-darwin", "x86_64-darwin"}));
    const nbd_test::PreparedCase prepared(golden("darwin-nix-darwin-healthy"), "darwin-text");
    const auto text = prepared.run_doctor("--format text").out;
    EXPECT_NE(text.find("system unknown (aarch64-darwin or x86_64-darwin"), std::string::npos) << text;
    EXPECT_EQ(text.find("x86_64-linux,"), std::string::npos) << text;
}

TEST(DarwinLocalSystem, NixDarwinsCurrentSystemSaysWhichMac) {
    const auto facts = facts_of("darwin-max-jobs-0-current-system-says");
    EXPECT_EQ(facts["system"]["value"], "aarch64-darwin");
    EXPECT_EQ(facts["system"]["source"], "nix-darwin");
}

TEST(DarwinLocalSystem, ALinuxTreeKeepsTheDoctorsOwnSystem) {
    // A Linux tree keeps the doctor's own uname (the golden cases were written on x86_64-linux).
    const auto facts = facts_of("darwin-builder-nix-darwin-zshenv");
    EXPECT_NE(facts["system"]["value"], "unknown");
}

TEST(LinuxBuilderKey, MissingBeforeFirstStartSaysToStartTheVm) {
    const nbd_test::PreparedCase prepared(golden("darwin-linux-builder-not-started"), "linux-builder");
    ASSERT_TRUE(prepared.ok());
    const auto report = nlohmann::json::parse(prepared.run_doctor("--format json").out);
    bool seen = false;
    for (const auto& f : report["findings"]) {
        if (f["rule"] != "machines.identity-missing") continue;
        seen = true;
        const std::string fix = f["fix"];
        EXPECT_EQ(fix.rfind("Start the linux-builder once (`sudo launchctl kickstart -k system/org.nixos.linux-builder`) — it writes this key", 0), 0u) << fix;
    }
    EXPECT_TRUE(seen);
    const auto facts = facts_of("darwin-linux-builder-not-started");
    EXPECT_EQ(facts["builders"][0]["identity_written_by"], "nix-darwin linux-builder");
}

TEST(LinuxBuilderKey, OtherMissingKeysKeepTheUsualFix) {
    const nbd_test::PreparedCase prepared(golden("machines-identity-missing"), "identity-missing");
    ASSERT_TRUE(prepared.ok());
    const auto report = nlohmann::json::parse(prepared.run_doctor("--format json").out);
    for (const auto& f : report["findings"])
        if (f["rule"] == "machines.identity-missing") {
            EXPECT_EQ(f["fix"].get<std::string>().rfind("Create the key as ", 0), 0u);
        }
}

}  // namespace
