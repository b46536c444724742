// nixconf.quoted-value and nixconf.substituter-key-missing facts (src/facts/nix_conf_checks.cpp).
//
// Checked with the real Nix 2.8.0 (`NIX_CONF_DIR=$d nix --extra-experimental-features nix-command
// show-config`), one line per nix.conf:
//  * `experimental-features = "nix-command flakes"` -> `warning: unknown experimental feature
//    '"nix-command'` (and `'flakes"'`): neither is enabled; `'nix-command'` (single quotes) the same.
//  * `trusted-users = "root alice"` -> `trusted-users = "root alice"`: the entries are `"root` and
//    `alice"`; `builders = "@/etc/nix/machines"`, `system = "x86_64-linux"`, `build-users-group =
//    "nixbld"`, `trusted-public-keys = "cache.nixos.org-1:..."` are kept with their quotes.
//  * `sandbox = "true"` -> `error: option 'sandbox' has invalid value '"true"'`; `require-sigs =
//    "false"`, `fallback = "true"` -> `error: Boolean setting '...' has invalid value ...`;
//    `max-jobs = "4"` -> `error: configuration setting 'max-jobs' should be 'auto' or an integer`;
//    `cores = "2"` -> `error: setting 'cores' has invalid value '"2"'`. The same error stops
//    `nix-store` and `nix-instantiate`: every command fails.
//  * `binary-cache-public-keys = hydra.iohk.io:...` -> `trusted-public-keys = hydra.iohk.io:...`
//    alone: the alias replaces the default cache.nixos.org-1 key.
#include <gtest/gtest.h>

#include "nix_builder_doctor/facts/nix_conf_facts.hpp"
#include "nix_builder_doctor/parse/nix_conf.hpp"

namespace nbd::facts {
namespace {

parse::NixConf conf_of(const std::string& text) {
    parse::IncludeSource none;
    none.read = [](const std::string&) { return parse::ReadResult{}; };
    none.glob = [](const std::string&) { return std::vector<std::string>{}; };
    return parse::parse_nix_conf(text, "/etc/nix/nix.conf", none);
}

const std::string kHydraKey = "hydra.iohk.io:f/Ea+s+dFdN+3Y/G+FDgSq+a5NEWhJGzdjvKNGv0/EQ=";
const std::string kNixosKey = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

TEST(QuotedValues, ExperimentalFeaturesInQuotesEnableNeither) {
    const auto q = quoted_values(conf_of("experimental-features = \"nix-command flakes\"\n"));
    ASSERT_EQ(1u, q.size());
    EXPECT_EQ("experimental-features", q[0]["name"]);
    EXPECT_EQ(1, q[0]["line"]);
    const std::string effect = q[0]["effect"];
    EXPECT_NE(std::string::npos, effect.find("'\"nix-command', 'flakes\"'")) << effect;
    EXPECT_NE(std::string::npos, effect.find("enables none of nix-command, flakes")) << effect;
}

TEST(QuotedValues, BooleansAndNumbersAreRejected) {
    const auto q = quoted_values(conf_of("sandbox = \"true\"\nmax-jobs = '4'\n"));
    ASSERT_EQ(2u, q.size());
    for (const auto& item : q)
        EXPECT_NE(std::string::npos, item["effect"].get<std::string>().find("every Nix command fails")) << item.dump();
}

TEST(QuotedValues, StringsAndListsKeepTheQuotes) {
    const auto q = quoted_values(conf_of("builders = \"@/etc/nix/machines\"\ntrusted-users = \"root alice\"\n"));
    ASSERT_EQ(2u, q.size());
    EXPECT_NE(std::string::npos, q[0]["effect"].get<std::string>().find("builders is '\"@/etc/nix/machines\"'")) << q[0].dump();
    EXPECT_NE(std::string::npos, q[1]["effect"].get<std::string>().find("'\"root', 'alice\"'")) << q[1].dump();
}

TEST(QuotedValues, AMessageNamesAtMostEightWords) {
    std::string line = "trusted-users =";
    for (int i = 0; i < 20; ++i) line += " \"u" + std::to_string(i) + "\"";
    const auto q = quoted_values(conf_of(line + "\n"));
    ASSERT_EQ(1u, q.size());
    const std::string effect = q[0]["effect"];
    EXPECT_NE(std::string::npos, effect.find("'\"u7\"' and 12 more")) << effect;
    EXPECT_EQ(std::string::npos, effect.find("u8")) << effect;
}

TEST(QuotedValues, CommentsInnerQuotesUnknownSettingsAndTokensAreNotReported) {
    const auto q = quoted_values(conf_of("# experimental-features = \"nix-command\"\n"
                                         "experimental-features = nix-command # \"x\"\n"
                                         "bash-prompt-prefix = it\"s\n"
                                         "no-such-setting = \"x\"\n"
                                         "access-tokens = github.com=\"secret\"\n"));
    EXPECT_TRUE(q.empty()) << q.dump();
}

TEST(SubstituterKeys, ReplacedListWithoutTheDefaultKeyRefusesCacheNixosOrg) {
    const auto m = substituter_keys_missing(conf_of("substituters = https://cache.nixos.org https://hydra.iohk.io\n"
                                                    "binary-cache-public-keys = " + kHydraKey + "\n"));
    ASSERT_EQ(1u, m.size()) << m.dump();
    EXPECT_EQ("https://cache.nixos.org", m[0]["uri"]);
    EXPECT_EQ("cache.nixos.org-1", m[0]["wanted"]);
    EXPECT_EQ(2, m[0]["line"]) << "the line that replaced the key list";
}

TEST(SubstituterKeys, TheDefaultSubstituterCountsWhenNotSet) {
    const auto m = substituter_keys_missing(conf_of("trusted-public-keys = " + kHydraKey + "\n"));
    ASSERT_EQ(1u, m.size()) << m.dump();
    EXPECT_EQ("https://cache.nixos.org/", m[0]["uri"]);
}

TEST(SubstituterKeys, CachixNeedsItsOwnKeyName) {
    const auto missing = substituter_keys_missing(conf_of("extra-substituters = https://nix-community.cachix.org\n"));
    ASSERT_EQ(1u, missing.size()) << missing.dump();
    EXPECT_EQ("nix-community.cachix.org-1", missing[0]["wanted"]);
    EXPECT_EQ(1, missing[0]["line"]);
    const auto present = substituter_keys_missing(
        conf_of("extra-substituters = https://nix-community.cachix.org\n"
                "extra-trusted-public-keys = nix-community.cachix.org-1:mB9FSh9qf2dCimDSUo8Zy7bkq5CX+/rkCWyvRCYg3Fs=\n"));
    EXPECT_TRUE(present.empty()) << present.dump();
}

TEST(SubstituterKeys, SshStoreWithOnlyWellKnownKeysIsRefusedItsOwnPaths) {
    const auto m = substituter_keys_missing(conf_of("substituters = ssh-ng://remotebuild@alfa?ssh-key=/etc/ssh/ssh_host_ed25519_key\n"));
    ASSERT_EQ(1u, m.size()) << m.dump();
    EXPECT_EQ("alfa's own signing key", m[0]["wanted"]);
    // A key that may be its own: not judged. Marked trusted: no key needed.
    EXPECT_TRUE(substituter_keys_missing(conf_of("substituters = ssh-ng://alfa\nextra-trusted-public-keys = alfa-1:" +
                                                 kHydraKey.substr(kHydraKey.find(':') + 1) + "\n"))
                    .empty());
    EXPECT_TRUE(substituter_keys_missing(conf_of("substituters = ssh://alfa?trusted=1\n")).empty());
}

TEST(SubstituterKeys, NothingIsCertainForOtherCachesOrWithoutRequireSigs) {
    EXPECT_TRUE(substituter_keys_missing(conf_of("substituters = https://cache.example.org https://mirror.example.net/nix\n")).empty());
    EXPECT_TRUE(substituter_keys_missing(conf_of("require-sigs = false\ntrusted-public-keys = " + kHydraKey + "\n")).empty());
    EXPECT_TRUE(substituter_keys_missing(conf_of("trusted-public-keys = " + kNixosKey + " " + kHydraKey + "\n")).empty());
    EXPECT_TRUE(substituter_keys_missing(conf_of("trusted-public-keys = cache.nixos.org-2:" +
                                                 kHydraKey.substr(kHydraKey.find(':') + 1) + "\n"))
                    .empty())
        << "a key of that name is present: not ours to judge its bytes";
}

}  // namespace
}  // namespace nbd::facts
