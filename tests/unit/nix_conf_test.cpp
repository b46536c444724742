// nix.conf parser, message by message.
//
// Verified against the real Nix 2.8.0 (Debian nix-bin) by writing nix.conf files into a temp dir
// and running `NIX_CONF_DIR=$d NIX_USER_CONF_FILES=/x nix show-config
// --extra-experimental-features nix-command` (each case below says what Nix printed):
//  * `max-jobs = 3`, `max-jobs = 5` -> `max-jobs = 5` (last wins).
//  * `trusted-users = root alice`, `trusted-users = bob`, `extra-trusted-users = carol   dave`
//    -> `trusted-users = bob carol dave` (replace, then append; blanks collapse).
//  * `substituters = a # comment` -> `substituters = a`.
//  * `max-jobs=0` -> `error: illegal configuration line 'max-jobs=0' in '<d>/nix.conf'`.
//  * `max-jobs =0  # x` -> `error: illegal configuration line 'max-jobs =0  ' in '...'` (the line
//    after the comment is cut, not trimmed).
//  * `x` alone, `include a b`, `include` alone -> `illegal configuration line '...'`.
//  * `include missing.conf` -> `error: file '<d>/missing.conf' included from '<d>/nix.conf' not
//    found`; `!include missing.conf` is silent and later lines still apply.
//  * include chain nix.conf(max-jobs = 1; include sub/a.conf; extra-trusted-users = zed; cores = 9)
//    -> sub/a.conf(max-jobs = 4; trusted-users = inc; include ../b.conf; cores = 2)
//    -> b.conf(cores = 3; build-max-jobs = 11)
//    printed `cores = 9`, `max-jobs = 11`, `trusted-users = inc zed`: flattened in place,
//    relative to the including file's directory, alias applied.
//  * self-include (`include self.conf` in self.conf): Nix 2.8 crashes (exit 139, stack overflow).
//  * `binary-caches = http://x`, `extra-binary-caches = http://y`, `build-cores = 6`,
//    `build-use-sandbox = false` -> `substituters = http://x http://y`, `cores = 6`,
//    `sandbox = false`; no warning about the aliases.
//  * `extra-builders = foo`, `extra-max-jobs = 3`, `max-jobz = 2`, `extra-build-hook = x`,
//    `build-extra-sandbox-paths = /e` -> `warning: unknown setting '...'` for each.
//  * `system-features = z b a a` + `extra-system-features = a c` -> `system-features = a b c z`
//    (sets print sorted); `trusted-users = b a a` -> `b a a` (lists keep order and duplicates).
//  * `extra-access-tokens = github.com=abc`, `access-tokens = gitlab.com=x`,
//    `extra-access-tokens = a=b a=c` -> `access-tokens = a=b gitlab.com=x` (maps: first wins).
//  * `substituters = "http://q"  x` -> `substituters = "http://q" x` (quotes are kept).
#include "nix_builder_doctor/parse/nix_conf.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "nix_builder_doctor/parse/nix_settings.hpp"

namespace nbd::parse {
namespace {

struct NixConfFakeFs {
    std::map<std::string, std::string> files;
    std::map<std::string, ReadStatus> statuses;
    std::optional<std::string> fallback;  // served for any other path
    int reads = 0;
    IncludeSource source() {
        IncludeSource s;
        s.read = [this](const std::string& path) {
            ++reads;
            ReadResult r;
            if (auto st = statuses.find(path); st != statuses.end()) {
                r.status = st->second;
                return r;
            }
            auto it = files.find(path);
            if (it == files.end() && !fallback) return r;
            r.status = ReadStatus::ok;
            r.text = it == files.end() ? *fallback : it->second;
            return r;
        };
        s.glob = [](const std::string&) { return std::vector<std::string>{}; };
        return s;
    }
};

NixConf parse(std::string_view text, NixConfFakeFs* fs = nullptr) {
    static NixConfFakeFs empty;
    NixConfFakeFs& f = fs ? *fs : empty;
    return parse_nix_conf(text, "/etc/nix/nix.conf", f.source());
}

std::string value_of(const NixConf& c, const std::string& name) {
    const auto* e = c.get(name);
    return e ? e->value : "<unset>";
}

TEST(NixConf, SimpleAssignment) {
    auto c = parse("max-jobs = 4\nbuilders = @/etc/nix/machines\n");
    ASSERT_TRUE(c.errors.empty());
    ASSERT_EQ(c.assignments.size(), 2u);
    EXPECT_EQ(c.assignments[0].name, "max-jobs");
    EXPECT_EQ(c.assignments[0].canonical, "max-jobs");
    EXPECT_EQ(c.assignments[0].value, "4");
    EXPECT_EQ(c.assignments[0].line, 1);
    EXPECT_EQ(c.assignments[0].file, "/etc/nix/nix.conf");
    EXPECT_TRUE(c.assignments[0].known);
    EXPECT_FALSE(c.assignments[0].is_extra);
    EXPECT_EQ(value_of(c, "builders"), "@/etc/nix/machines");
    EXPECT_EQ(c.get("builders")->line, 2);
    EXPECT_TRUE(c.unknown_settings.empty());
    EXPECT_TRUE(c.deprecated_settings.empty());
    ASSERT_EQ(c.files.size(), 1u);
    EXPECT_EQ(c.files[0].status, ReadStatus::ok);
}

TEST(NixConf, ValueTokensCollapseAndCommentsCut) {
    auto c = parse("  trusted-users   =   root    alice\t bob  # the admins\n# whole line\n\n");
    ASSERT_TRUE(c.errors.empty());
    ASSERT_EQ(c.assignments.size(), 1u);
    EXPECT_EQ(c.assignments[0].value, "root alice bob");
    EXPECT_EQ(c.assignments[0].tokens, (std::vector<std::string>{"root", "alice", "bob"}));
}

TEST(NixConf, HashInsideValueStartsComment) {
    auto c = parse("substituters = https://cache.example/#frag\n");
    EXPECT_EQ(value_of(c, "substituters"), "https://cache.example/");
}

TEST(NixConf, QuotesAreKeptLiterally) {
    auto c = parse("substituters = \"http://q\"  x\n");
    EXPECT_EQ(value_of(c, "substituters"), "\"http://q\" x");
}

TEST(NixConf, EmptyValue) {
    auto c = parse("builders =\n");
    ASSERT_TRUE(c.errors.empty());
    ASSERT_NE(c.get("builders"), nullptr);
    EXPECT_EQ(c.get("builders")->value, "");
    EXPECT_TRUE(c.get("builders")->tokens.empty());
}

TEST(NixConf, RepeatedKeyLastWins) {
    auto c = parse("max-jobs = 3\nmax-jobs = 5\n");
    EXPECT_EQ(value_of(c, "max-jobs"), "5");
    EXPECT_EQ(c.get("max-jobs")->line, 2);
    ASSERT_EQ(c.get("max-jobs")->sources.size(), 1u);
}

TEST(NixConf, ExtraAppendsAfterReplace) {
    auto c = parse(
        "trusted-users = root alice\ntrusted-users = bob\nextra-trusted-users = carol   dave\n");
    EXPECT_EQ(value_of(c, "trusted-users"), "bob carol dave");
    const auto* e = c.get("trusted-users");
    EXPECT_EQ(e->line, 2);
    EXPECT_FALSE(e->appended_to_default);
    ASSERT_EQ(e->sources.size(), 2u);
    EXPECT_EQ(e->sources[1].line, 3);
    EXPECT_TRUE(c.assignments[2].is_extra);
    EXPECT_EQ(c.assignments[2].canonical, "trusted-users");
}

TEST(NixConf, ExtraOnlyAppendsToDefault) {
    auto c = parse("extra-trusted-users = alice\nextra-trusted-users = bob\n");
    const auto* e = c.get("trusted-users");
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->appended_to_default);
    EXPECT_EQ(e->value, "alice bob");
    EXPECT_EQ(e->line, 1);
}

TEST(NixConf, PlainAfterExtraReplaces) {
    auto c = parse("extra-substituters = https://a\nsubstituters = https://b\n");
    EXPECT_EQ(value_of(c, "substituters"), "https://b");
    EXPECT_FALSE(c.get("substituters")->appended_to_default);
    EXPECT_EQ(c.get("substituters")->line, 2);
}

TEST(NixConf, SetsPrintSortedListsKeepDuplicates) {
    auto c =
        parse("trusted-users = b a a\nsystem-features = z b a a\nextra-system-features = a c\n");
    EXPECT_EQ(value_of(c, "trusted-users"), "b a a");
    EXPECT_EQ(value_of(c, "system-features"), "a b c z");
}

TEST(NixConf, MapsFirstValueOfAKeyWins) {
    auto c = parse(
        "extra-access-tokens = github.com=abc\naccess-tokens = gitlab.com=x\n"
        "extra-access-tokens = a=b a=c novalue\n");
    EXPECT_EQ(value_of(c, "access-tokens"), "a=b gitlab.com=x");
}

TEST(NixConf, ExtraPlatformsIsARealName) {
    auto c = parse("extra-platforms = aarch64-linux\nextra-extra-platforms = i686-linux\n");
    ASSERT_TRUE(c.unknown_settings.empty());
    EXPECT_FALSE(c.assignments[0].is_extra);
    EXPECT_TRUE(c.assignments[1].is_extra);
    EXPECT_EQ(value_of(c, "extra-platforms"), "aarch64-linux i686-linux");
}

// --- syntax errors -------------------------------------------------------------------------

TEST(NixConf, KeyEqualsValueWithoutSpaces) {
    auto c = parse("max-jobs=0\nbuilders = x\n");
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_EQ(c.errors[0].line, 1);
    EXPECT_EQ(c.errors[0].file, "/etc/nix/nix.conf");
    EXPECT_EQ(
        c.errors[0].message,
        "illegal configuration line 'max-jobs=0' in '/etc/nix/nix.conf': write 'name = value' "
        "with spaces around '=' (max-jobs = 0)");
    // The rest is still parsed.
    EXPECT_EQ(value_of(c, "builders"), "x");
    EXPECT_EQ(c.get("max-jobs"), nullptr);
}

TEST(NixConf, EqualsGluedToValue) {
    auto c = parse("max-jobs =0  # x\n");
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_EQ(
        c.errors[0].message,
        "illegal configuration line 'max-jobs =0  ' in '/etc/nix/nix.conf': '=' must be a word of "
        "its own, with spaces around it");
}

TEST(NixConf, EqualsGluedToName) {
    auto c = parse("max-jobs= 0\n");
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_NE(c.errors[0].message.find("'=' must be a word of its own"), std::string::npos);
}

TEST(NixConf, SingleWord) {
    auto c = parse("\n\nsandbox\n");
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_EQ(c.errors[0].line, 3);
    EXPECT_EQ(
        c.errors[0].message,
        "illegal configuration line 'sandbox' in '/etc/nix/nix.conf': expected 'name = value'");
}

TEST(NixConf, SecondWordNotEquals) {
    auto c = parse("max jobs = 1\n");
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_NE(c.errors[0].message.find("expected 'name = value'"), std::string::npos);
}

TEST(NixConf, IncludeWithTwoPathsOrNone) {
    auto c = parse("include a b\ninclude\n!include = x\n");
    ASSERT_EQ(c.errors.size(), 3u);
    EXPECT_EQ(c.errors[0].message,
              "illegal configuration line 'include a b' in '/etc/nix/nix.conf': 'include' takes "
              "exactly one "
              "path");
    EXPECT_EQ(c.errors[1].line, 2);
    EXPECT_EQ(c.errors[2].line, 3);
}

TEST(NixConf, NoErrorsOnCleanFile) {
    auto c = parse("# nothing\n   \n\t\nkey = = x\n");
    EXPECT_TRUE(c.errors.empty());
    EXPECT_EQ(c.assignments[0].value, "= x");
}

TEST(NixConf, CrLfLineEndings) {
    auto c = parse("max-jobs = 2\r\ncores = 4\r\n");
    EXPECT_TRUE(c.errors.empty());
    EXPECT_EQ(value_of(c, "max-jobs"), "2");
    EXPECT_EQ(value_of(c, "cores"), "4");
}

// --- includes ------------------------------------------------------------------------------

TEST(NixConf, IncludesFlattenedInPlaceRelativeToIncludingFile) {
    NixConfFakeFs fs;
    fs.files["/etc/nix/sub/a.conf"] =
        "max-jobs = 4\ntrusted-users = inc\ninclude ../b.conf\ncores = 2\n";
    fs.files["/etc/nix/b.conf"] = "cores = 3\nbuild-max-jobs = 11\n";
    auto c = parse("max-jobs = 1\ninclude sub/a.conf\nextra-trusted-users = zed\ncores = 9\n", &fs);
    ASSERT_TRUE(c.errors.empty());
    EXPECT_EQ(value_of(c, "cores"), "9");
    EXPECT_EQ(value_of(c, "max-jobs"), "11");
    EXPECT_EQ(c.get("max-jobs")->file, "/etc/nix/b.conf");
    EXPECT_EQ(c.get("max-jobs")->line, 2);
    EXPECT_EQ(value_of(c, "trusted-users"), "inc zed");
    ASSERT_EQ(c.files.size(), 3u);
    EXPECT_EQ(c.files[1].path, "/etc/nix/sub/a.conf");
    EXPECT_EQ(c.files[1].included_from, "/etc/nix/nix.conf");
    EXPECT_EQ(c.files[1].included_line, 2);
    EXPECT_EQ(c.files[1].depth, 1);
    EXPECT_EQ(c.files[2].path, "/etc/nix/b.conf");
    EXPECT_EQ(c.files[2].depth, 2);
    ASSERT_EQ(c.deprecated_settings.size(), 1u);
    EXPECT_EQ(c.deprecated_settings[0].alias, "build-max-jobs");
    EXPECT_EQ(c.deprecated_settings[0].canonical, "max-jobs");
    EXPECT_EQ(c.deprecated_settings[0].file, "/etc/nix/b.conf");
}

TEST(NixConf, IncludeAbsolutePath) {
    NixConfFakeFs fs;
    fs.files["/srv/extra.conf"] = "cores = 7\n";
    auto c = parse("include /srv//./extra.conf\n", &fs);
    EXPECT_EQ(value_of(c, "cores"), "7");
    EXPECT_EQ(c.files[1].path, "/srv/extra.conf");
}

TEST(NixConf, MissingIncludeIsAnError) {
    auto c = parse("include missing.conf\nmax-jobs = 7\n");
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_EQ(c.errors[0].message,
              "file '/etc/nix/missing.conf' included from '/etc/nix/nix.conf' not found");
    EXPECT_EQ(c.errors[0].line, 1);
    ASSERT_EQ(c.files.size(), 2u);
    EXPECT_EQ(c.files[1].status, ReadStatus::missing);
    EXPECT_FALSE(c.files[1].optional);
}

TEST(NixConf, MissingBangIncludeIsSilent) {
    auto c = parse("!include missing.conf\nmax-jobs = 7\n");
    EXPECT_TRUE(c.errors.empty());
    EXPECT_EQ(value_of(c, "max-jobs"), "7");
    ASSERT_EQ(c.files.size(), 2u);
    EXPECT_EQ(c.files[1].status, ReadStatus::missing);
    EXPECT_TRUE(c.files[1].optional);
}

TEST(NixConf, UnreadableIncludeIsSilentlyIgnored) {
    NixConfFakeFs fs;
    fs.statuses["/etc/nix/secret.conf"] = ReadStatus::unreadable;
    auto c = parse("include secret.conf\n", &fs);
    EXPECT_TRUE(c.errors.empty());
    EXPECT_EQ(c.files[1].status, ReadStatus::unreadable);
}

TEST(NixConf, IncludeCycleIsReportedNotFollowed) {
    NixConfFakeFs fs;
    fs.files["/etc/nix/self.conf"] = "cores = 1\ninclude self.conf\n";
    auto c = parse("include self.conf\n", &fs);
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_EQ(c.errors[0].file, "/etc/nix/self.conf");
    EXPECT_EQ(c.errors[0].line, 2);
    EXPECT_NE(c.errors[0].message.find("include cycle"), std::string::npos);
    EXPECT_EQ(value_of(c, "cores"), "1");
    EXPECT_EQ(c.files.size(), 2u);  // the top file and self.conf, read once
}

TEST(NixConf, IncludeDepthIsBounded) {
    NixConfFakeFs fs;
    for (int i = 0; i < 40; ++i)
        fs.files["/etc/nix/d" + std::to_string(i) + ".conf"] =
            "include d" + std::to_string(i + 1) + ".conf\n";
    auto c = parse("include d0.conf\n", &fs);
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_NE(c.errors[0].message.find("nested more than 16"), std::string::npos);
}

TEST(NixConf, IncludeFanOutIsBounded) {
    NixConfFakeFs fs;
    std::string body;
    for (int i = 0; i < 8; ++i) body += "include f" + std::to_string(i) + ".conf\n";
    for (int i = 0; i < 8; ++i) fs.files["/etc/nix/f" + std::to_string(i) + ".conf"] = body;
    auto c = parse(body, &fs);
    EXPECT_LE(fs.reads, 256);
    // Every file includes every other one: the cycles alone fill the (bounded) error list.
    EXPECT_LE(c.errors.size(), 1001u);
    EXPECT_EQ(c.errors.back().message, "too many errors; further ones are not reported");
}

TEST(NixConf, IncludeTreeIsBounded) {
    NixConfFakeFs fs;
    fs.fallback = "include a/x.conf\ninclude b/x.conf\ncores = 1\n";
    auto c = parse(*fs.fallback, &fs);
    EXPECT_EQ(fs.reads, 256);
    int budget = 0;
    for (const auto& e : c.errors)
        budget += e.message.find("too many included files") != std::string::npos;
    EXPECT_EQ(budget, 1);
    EXPECT_EQ(value_of(c, "cores"), "1");
}

TEST(NixConf, NoIncludeCallbackMeansUnreadable) {
    auto c = parse_nix_conf("include x.conf\n", "/etc/nix/nix.conf", IncludeSource{});
    EXPECT_TRUE(c.errors.empty());
    EXPECT_EQ(c.files[1].status, ReadStatus::unreadable);
}

// --- unknown, extra-, aliases -----------------------------------------------------------------

TEST(NixConf, UnknownSettingWithSuggestion) {
    auto c = parse("trusted-user = alice\n");
    ASSERT_EQ(c.unknown_settings.size(), 1u);
    EXPECT_EQ(c.unknown_settings[0].name, "trusted-user");
    EXPECT_EQ(c.unknown_settings[0].line, 1);
    ASSERT_TRUE(c.unknown_settings[0].suggestion);
    EXPECT_EQ(*c.unknown_settings[0].suggestion, "trusted-users");
    EXPECT_FALSE(c.assignments[0].known);
    EXPECT_EQ(c.get("trusted-user"), nullptr);
    EXPECT_EQ(c.get("trusted-users"), nullptr);
}

TEST(NixConf, UnknownWithoutCloseSuggestion) {
    auto c = parse("completely-made-up-thing = 1\n");
    ASSERT_EQ(c.unknown_settings.size(), 1u);
    EXPECT_FALSE(c.unknown_settings[0].suggestion);
}

TEST(NixConf, ExtraOfNonAppendableIsUnknown) {
    auto c = parse("extra-builders = ssh://a\nextra-max-jobs = 3\n");
    ASSERT_EQ(c.unknown_settings.size(), 2u);
    EXPECT_EQ(c.unknown_settings[0].name, "extra-builders");
    EXPECT_TRUE(c.unknown_settings[0].extra_of_non_appendable);
    EXPECT_TRUE(c.unknown_settings[1].extra_of_non_appendable);
    EXPECT_EQ(c.get("builders"), nullptr);
}

TEST(NixConf, ExtraTypoSuggestsExtraName) {
    auto c = parse("extra-trusted-user = alice\nextra-substituter = https://x\n");
    ASSERT_EQ(c.unknown_settings.size(), 2u);
    EXPECT_EQ(c.unknown_settings[0].suggestion.value_or(""), "extra-trusted-users");
    EXPECT_EQ(c.unknown_settings[1].suggestion.value_or(""), "extra-substituters");
}

TEST(NixConf, AliasesMapAndAreReported) {
    auto c = parse(
        "binary-caches = http://x\nextra-binary-caches = http://y\nbuild-cores = "
        "6\nbuild-use-sandbox = "
        "false\n");
    EXPECT_TRUE(c.unknown_settings.empty());
    EXPECT_EQ(value_of(c, "substituters"), "http://x http://y");
    EXPECT_EQ(value_of(c, "cores"), "6");
    EXPECT_EQ(value_of(c, "sandbox"), "false");
    ASSERT_EQ(c.deprecated_settings.size(), 4u);
    EXPECT_EQ(c.deprecated_settings[0].alias, "binary-caches");
    EXPECT_EQ(c.deprecated_settings[0].canonical, "substituters");
    EXPECT_EQ(c.deprecated_settings[1].alias, "extra-binary-caches");
    EXPECT_EQ(c.deprecated_settings[1].canonical, "extra-substituters");
    EXPECT_EQ(c.deprecated_settings[2].canonical, "cores");
    EXPECT_EQ(c.deprecated_settings[3].line, 4);
    EXPECT_EQ(c.assignments[0].name, "binary-caches");
    EXPECT_EQ(c.assignments[0].canonical, "substituters");
}

TEST(NixConf, AliasAndCanonicalShareOneEffectiveValue) {
    auto c = parse(
        "build-sandbox-paths = /c\nextra-sandbox-paths = /d\nbuild-max-jobs = 2\nmax-jobs = 3\n");
    EXPECT_EQ(value_of(c, "sandbox-paths"), "/c /d");
    EXPECT_EQ(value_of(c, "max-jobs"), "3");
}

TEST(NixConf, Old23ExtraAliasAppends) {
    auto c = parse("sandbox-paths = /a\nbuild-extra-sandbox-paths = /e\n");
    ASSERT_EQ(c.deprecated_settings.size(), 1u);
    EXPECT_EQ(c.deprecated_settings[0].canonical, "extra-sandbox-paths");
    EXPECT_EQ(value_of(c, "sandbox-paths"), "/a /e");
}

TEST(NixConf, SettingsFromOtherReleasesAreKnown) {
    auto c = parse("repeat = 1\nexternal-builders = []\nbuild-hook-kill-timeout = 3\n");
    EXPECT_TRUE(c.unknown_settings.empty());
}

TEST(NixConf, StoreUrlParamsAreNotSettings) {
    auto c = parse("remote-program = /x/nix-store\nssh-key = /root/.ssh/id\n");
    EXPECT_EQ(c.unknown_settings.size(), 2u);
}

// --- the settings table ----------------------------------------------------------------------

TEST(NixSettings, KnownListHasNix28Names) {
    // All 91 names printed by Nix 2.8.0's `nix show-config` on Linux.
    for (const char* n : {"accept-flake-config",
                          "access-tokens",
                          "allow-dirty",
                          "allow-import-from-derivation",
                          "allow-new-privileges",
                          "allow-symlinked-store",
                          "allow-unsafe-native-code-during-evaluation",
                          "allowed-impure-host-deps",
                          "allowed-uris",
                          "allowed-users",
                          "auto-optimise-store",
                          "bash-prompt",
                          "bash-prompt-suffix",
                          "build-hook",
                          "build-poll-interval",
                          "build-users-group",
                          "builders",
                          "builders-use-substitutes",
                          "compress-build-log",
                          "connect-timeout",
                          "cores",
                          "diff-hook",
                          "enforce-determinism",
                          "eval-cache",
                          "experimental-features",
                          "extra-platforms",
                          "fallback",
                          "filter-syscalls",
                          "flake-registry",
                          "fsync-metadata",
                          "gc-reserved-space",
                          "hashed-mirrors",
                          "http-connections",
                          "http2",
                          "ignored-acls",
                          "impersonate-linux-26",
                          "keep-build-log",
                          "keep-derivations",
                          "keep-env-derivations",
                          "keep-failed",
                          "keep-going",
                          "keep-outputs",
                          "log-lines",
                          "max-build-log-size",
                          "max-free",
                          "max-jobs",
                          "max-silent-time",
                          "min-free",
                          "min-free-check-interval",
                          "nar-buffer-size",
                          "narinfo-cache-negative-ttl",
                          "narinfo-cache-positive-ttl",
                          "netrc-file",
                          "nix-path",
                          "plugin-files",
                          "post-build-hook",
                          "pre-build-hook",
                          "preallocate-contents",
                          "print-missing",
                          "pure-eval",
                          "repeat",
                          "require-sigs",
                          "restrict-eval",
                          "run-diff-hook",
                          "sandbox",
                          "sandbox-build-dir",
                          "sandbox-dev-shm-size",
                          "sandbox-fallback",
                          "sandbox-paths",
                          "secret-key-files",
                          "show-trace",
                          "stalled-download-timeout",
                          "store",
                          "substitute",
                          "substituters",
                          "sync-before-registering",
                          "system",
                          "system-features",
                          "tarball-ttl",
                          "timeout",
                          "trace-function-calls",
                          "trusted-public-keys",
                          "trusted-substituters",
                          "trusted-users",
                          "use-case-hack",
                          "use-registries",
                          "use-sqlite-wal",
                          "user-agent-suffix",
                          "warn-dirty"}) {
        EXPECT_NE(find_nix_setting(n), nullptr) << n;
    }
    // 2.8's commit-lockfile-summary and download-attempts are aliases now.
    EXPECT_EQ(canonical_for_alias("commit-lockfile-summary").value_or(""),
              "commit-lock-file-summary");
    EXPECT_EQ(canonical_for_alias("download-attempts").value_or(""), "filetransfer-retry-attempts");
    const auto& names = known_nix_settings();
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_GT(names.size(), 130u);
}

TEST(NixSettings, Appendable) {
    for (const char* n :
         {"trusted-users", "allowed-users", "trusted-public-keys", "secret-key-files", "build-hook",
          "system-features", "extra-platforms", "experimental-features", "substituters",
          "trusted-substituters", "sandbox-paths", "nix-path", "hashed-mirrors", "plugin-files",
          "binary-caches", "access-tokens"}) {
        EXPECT_TRUE(is_appendable_setting(n)) << n;
    }
    for (const char* n :
         {"builders", "max-jobs", "builders-use-substitutes", "require-sigs", "cores", "nope"}) {
        EXPECT_FALSE(is_appendable_setting(n)) << n;
    }
    EXPECT_EQ(find_nix_setting("build-hook")->append_since, "2.17");
    EXPECT_EQ(find_nix_setting("plugin-files")->append_until, "2.33");
}

TEST(NixSettings, AliasesTable) {
    EXPECT_EQ(canonical_for_alias("binary-cache-public-keys").value_or(""), "trusted-public-keys");
    EXPECT_EQ(canonical_for_alias("gc-keep-outputs").value_or(""), "keep-outputs");
    EXPECT_EQ(canonical_for_alias("build-use-chroot").value_or(""), "sandbox");
    EXPECT_EQ(canonical_for_alias("substitution-max-jobs").value_or(""), "max-substitution-jobs");
    EXPECT_FALSE(canonical_for_alias("max-jobs"));
}

// --- hostile input -----------------------------------------------------------------------------

TEST(NixConf, HostileInputStaysBounded) {
    std::string text;
    for (int i = 0; i < 20000; ++i) text += "unknown-" + std::to_string(i) + " = x\n";
    text += std::string(100000, 'a') + " = b\n";
    text += std::string(5000, '=') + "\n";
    text += std::string(1, '\0') + " = \xff\xfe\n";
    auto c = parse(text);
    EXPECT_EQ(c.unknown_settings.size(), 20002u);
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_LT(c.errors[0].message.size(), 400u);
}

TEST(NixConf, HugeValueIsCut) {
    std::string text = "trusted-users =";
    for (int i = 0; i < 100005; ++i) text += " u";
    auto c = parse(text + "\n");
    ASSERT_EQ(c.errors.size(), 1u);
    EXPECT_EQ(c.errors[0].message, "line has more than 100000 words; the rest of it is not read");
    EXPECT_EQ(c.get("trusted-users")->tokens.size(), 99998u);
}

TEST(NixPaths, Resolve) {
    EXPECT_EQ(nix_dir_of("/etc/nix/nix.conf"), "/etc/nix");
    EXPECT_EQ(nix_dir_of("/nix.conf"), "/");
    EXPECT_EQ(nix_dir_of("nix.conf"), ".");
    EXPECT_EQ(nix_resolve_path("a/../b/./c", "/etc/nix"), "/etc/nix/b/c");
    EXPECT_EQ(nix_resolve_path("../../../../x", "/etc/nix"), "/x");
    EXPECT_EQ(nix_resolve_path("/abs//p/", "/etc"), "/abs/p");
    EXPECT_EQ(nix_resolve_path("x", "."), "x");
}

}  // namespace
}  // namespace nbd::parse
