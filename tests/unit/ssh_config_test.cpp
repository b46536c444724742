// Tests of the shared ssh_config/sshd_config lexer, OpenSSH's pattern matching, and the
// ssh_config parser and evaluator.
//
// Verified against the real client, OpenSSH_9.2p1 Debian-2+deb12u10 (`ssh -G -F FILE HOST`
// prints the configuration ssh would use; run as root, passwd home /root). The configurations
// below are the exact files used; what ssh printed is quoted next to each test:
//
//   * case.conf (`Host Foo` / `Host foo`): `ssh -G -F case.conf foo` -> user lower,
//     `... FOO` -> user root (no block), `... Foo` -> user upper; hostname printed lower-case
//     (foo) in all three. Host patterns are case-sensitive; HostName is lower-cased.
//   * hn.conf: `ssh -G -F hn.conf b1` -> hostname real.example.b1 (HostName REAL.Example.%h),
//     user matched (Match host sees the HostName so far, case-insensitively), port 2222
//     (Match originalhost B1 sees the name given).
//   * fvw.conf: builder -> user first, port 2201, identityfile ~/.ssh/id_builder_%r_%h,
//     %d/.ssh/second_%u, /keys/with space (the repeated IdentityFile is dropped);
//     builder2 -> user second, port 2202, %d/.ssh/second_%u first; other -> user negated
//     (`Host * !builder`), port 22; `-l joe -p 9 builder` -> user joe, port 9.
//     `ssh -vvv -F fvw.conf -o ProxyCommand=... builder` logs
//     "identity file /root/.ssh/id_builder_first_builder", "/root/.ssh/second_root",
//     "/keys/with space": `~`, %r, %h, %d, %u expanded so.
//   * match.conf: `-l nix b1` -> port 2001, batchmode yes, hostkeyalias final-alias,
//     identityfile /keys/not-exec, /keys/all; `-l alice b1` and `b1` -> port 2003;
//     `-l nix other` -> port 22, batchmode yes (Match final forces a second pass in which
//     `Match canonical` holds), hostkeyalias unset.
//   * inc/main.conf (Include /…/conf.d/*.conf before Host builder): builder -> user from10,
//     port 2020, hostkeyalias inc-alias, identityfile /keys/10, /keys/20, /keys/main (the
//     .txt file is not included); other -> user root, hostkeyalias inc-alias (Match all in an
//     included file), the seven default identity files.
//   * relative Include: ~/.ssh/config with `Include conf.d/*` (run in a private mount namespace
//     with a directory bind-mounted over /root): `ssh -G builder` -> user relative, so relative
//     paths are under ~/.ssh.
//   * user + system config (bind-mounted over /root and /etc/ssh/ssh_config), see
//     TwoFilesFirstValueWins: user system-user, hostname builder.internal, controlmaster auto,
//     controlpath /root/.ssh/cm-system-user@builder.internal:22, stricthostkeychecking false,
//     userknownhostsfile /dev/null, connecttimeout 90, proxycommand nc %h %p (the system
//     ProxyJump is ignored), identityfile ~/.ssh/nix_builder twice (user and system).
//   * Include inside a block: `Host elsewhere` + `Include inc2` (inc2: `User from-inactive`,
//     `Host *`, `Port 3`) -> `ssh -G builder`: user root, port 22 (an included file under a block
//     that does not apply contributes nothing, not even through its own `Host *`);
//     `Host builder` + `Include inc1` (inc1: `Host other`, `Port 1`) + `User still-builder` ->
//     user still-builder, port 22 (the included file cannot end the including block).
//   * c1 (defaults): identityfile ~/.ssh/id_rsa, id_ecdsa, id_ecdsa_sk, id_ed25519,
//     id_ed25519_sk, id_xmss, id_dsa; userknownhostsfile /root/.ssh/known_hosts
//     /root/.ssh/known_hosts2; globalknownhostsfile /etc/ssh/ssh_known_hosts
//     /etc/ssh/ssh_known_hosts2; stricthostkeychecking ask; checkhostip no; batchmode no;
//     connecttimeout none; port 22; user root.
//   * err.conf: "err.conf: line 2: Bad configuration option: identityfle", "err.conf line 3:
//     invalid quotes", "err.conf line 5: Bad port '0'.", "err.conf line 6: keyword host empty
//     argument", "Unsupported Match attribute foo" + "err.conf line 7: Bad Match condition";
//     `Match host a all` (line 4) is accepted.
#include "nix_builder_doctor/parse/ssh_config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "include_source_fixture.hpp"

using namespace nbd::parse;

namespace {

using include_fixture::MemFs;
using include_fixture::messages;

SshConfig parse_user(const std::string& text, MemFs* fs = nullptr) {
    static MemFs empty;
    MemFs& f = fs ? *fs : empty;
    return parse_ssh_config(text, "/root/.ssh/config", f.source(), "/root/.ssh");
}

SshTarget target(const std::string& host) {
    SshTarget t;
    t.host = host;
    t.local_user = "root";
    t.local_home = "/root";
    return t;
}

SshClientOptions eval(const SshConfig& c, const SshTarget& t) {
    return evaluate_ssh_config({&c}, t);
}


std::vector<std::string> identity_paths(const SshClientOptions& o) {
    std::vector<std::string> out;
    for (const auto& i : o.identity_files) out.push_back(i.path);
    return out;
}

std::vector<std::string> identities_as_written(const SshClientOptions& o) {
    std::vector<std::string> out;
    for (const auto& i : o.identity_files) out.push_back(i.as_written);
    return out;
}

}  // namespace

// ----- lexer ------------------------------------------------------------------------------------

TEST(SshLexer, KeywordAndArgumentsWithBlanksOrEquals) {
    const auto r = lex_ssh_config("Host a b\n  User=alice\nPort = 22\n\tHostName\t=  x\n", "f");
    ASSERT_TRUE(r.diagnostics.empty());
    ASSERT_EQ(r.directives.size(), 4u);
    EXPECT_EQ(r.directives[0].keyword, "host");
    EXPECT_EQ(r.directives[0].args, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(r.directives[1].keyword, "user");
    EXPECT_EQ(r.directives[1].args, (std::vector<std::string>{"alice"}));
    EXPECT_EQ(r.directives[2].args, (std::vector<std::string>{"22"}));
    EXPECT_EQ(r.directives[3].keyword, "hostname");
    EXPECT_EQ(r.directives[3].args, (std::vector<std::string>{"x"}));
    EXPECT_EQ(r.directives[3].line, 4);
    EXPECT_EQ(r.directives[3].file, "f");
}

TEST(SshLexer, KeywordIsCaseInsensitiveAndKeptAsWritten) {
    const auto r = lex_ssh_config("IdentityFILE ~/.ssh/K\n", "f");
    ASSERT_EQ(r.directives.size(), 1u);
    EXPECT_EQ(r.directives[0].keyword, "identityfile");
    EXPECT_EQ(r.directives[0].keyword_as_written, "IdentityFILE");
    EXPECT_EQ(r.directives[0].args[0], "~/.ssh/K");  // arguments keep their case
}

TEST(SshLexer, CommentsAndBlankLinesProduceNothingButCountLines) {
    const auto r =
        lex_ssh_config("# comment\n\n   \n\t# indented comment\nUser a # trailing\n", "f");
    ASSERT_EQ(r.directives.size(), 1u);
    EXPECT_EQ(r.directives[0].line, 5);
    EXPECT_EQ(r.directives[0].args, (std::vector<std::string>{"a"}));
}

TEST(SshLexer, HashInsideAnArgumentIsNotAComment) {
    const auto r = lex_ssh_config("IdentityFile /k#1 #c\n", "f");
    ASSERT_EQ(r.directives.size(), 1u);
    EXPECT_EQ(r.directives[0].args, (std::vector<std::string>{"/k#1"}));
}

TEST(SshLexer, QuotesAndEscapes) {
    const auto r =
        lex_ssh_config(R"(IdentityFile "/keys/with space" 'single q' a\ b "x\"y" c\d)", "f");
    ASSERT_EQ(r.directives.size(), 1u);
    EXPECT_EQ(r.directives[0].args,
              (std::vector<std::string>{"/keys/with space", "single q", "a b", "x\"y", "c\\d"}));
    EXPECT_EQ(r.directives[0].rest, R"("/keys/with space" 'single q' a\ b "x\"y" c\d)");
}

TEST(SshLexer, UnterminatedQuoteIsADiagnostic) {
    const auto r = lex_ssh_config("User ok\nIdentityFile \"/no/end\nPort 22\n", "cfg");
    EXPECT_EQ(messages(r.diagnostics), (std::vector<std::string>{"cfg:2: invalid quotes"}));
    ASSERT_EQ(r.directives.size(), 2u);
    EXPECT_EQ(r.directives[1].line, 3);
}

TEST(SshLexer, KeywordWithoutArgument) {
    const auto r = lex_ssh_config("Host\nUser   \n", "cfg");
    EXPECT_EQ(messages(r.diagnostics),
              (std::vector<std::string>{"cfg:1: no argument after keyword \"Host\"",
                                        "cfg:2: no argument after keyword \"User\""}));
    EXPECT_TRUE(r.directives.empty());
}

TEST(SshLexer, CrLfAndTrailingBlanks) {
    const auto r = lex_ssh_config("User a\r\nPort 22 \t\r\n", "f");
    ASSERT_EQ(r.directives.size(), 2u);
    EXPECT_EQ(r.directives[0].args, (std::vector<std::string>{"a"}));
    EXPECT_EQ(r.directives[1].rest, "22");
}

TEST(SshLexer, NulByteEndsTheLine) {
    const auto r = lex_ssh_config(std::string("User a\0junk\nPort 2\n", 19), "f");
    ASSERT_EQ(r.directives.size(), 2u);
    EXPECT_EQ(r.directives[0].args, (std::vector<std::string>{"a"}));
}

TEST(SshLexer, StrdelimSplitsOnEqualsAndQuotes) {
    EXPECT_EQ(ssh_strdelim_split("user=alice host \"a b\""),
              (std::vector<std::string>{"user", "alice", "host", "a b"}));
    EXPECT_EQ(ssh_strdelim_split("exec \"test -f /x\"  all"),
              (std::vector<std::string>{"exec", "test -f /x", "all"}));
    EXPECT_TRUE(ssh_strdelim_split("").empty());
}

TEST(SshLexer, HostileInputStaysLinear) {
    std::string big(4u << 20, 'a');
    big += "\n" + std::string(1u << 20, '"') + "\n" + std::string(1u << 20, ' ') + "x\n";
    const auto r = lex_ssh_config(big, "f");
    EXPECT_FALSE(r.diagnostics.empty());
}

// ----- patterns ---------------------------------------------------------------------------------

TEST(SshPatterns, PatternListWithNegation) {
    EXPECT_EQ(ssh_match_pattern_list("builder1", "builder*,!builder2", false), 1);
    EXPECT_EQ(ssh_match_pattern_list("builder2", "builder*,!builder2", false), -1);
    EXPECT_EQ(ssh_match_pattern_list("other", "builder*", false), 0);
    EXPECT_EQ(ssh_match_pattern_list("b?", "b?", false), 1);
    EXPECT_EQ(ssh_match_pattern_list("x", "", false), 0);
}

TEST(SshPatterns, HostnamesAreCaseInsensitive) {
    EXPECT_EQ(ssh_match_hostname("Builder.EXAMPLE.org", "*.example.ORG"), 1);
    EXPECT_TRUE(ssh_match_pattern("Foo", "Foo"));
    EXPECT_FALSE(ssh_match_pattern("foo", "Foo"));
}

TEST(SshPatterns, AddressListsWithCidrAndNegation) {
    EXPECT_EQ(ssh_addr_match_list("192.168.5.5", "192.168.0.0/16,!192.168.1.0/24"), 1);
    EXPECT_EQ(ssh_addr_match_list("192.168.1.5", "192.168.0.0/16,!192.168.1.0/24"), -1);
    EXPECT_EQ(ssh_addr_match_list("10.0.0.1", "192.168.0.0/16"), 0);
    EXPECT_EQ(ssh_addr_match_list("2001:db8::1", "2001:db8::/32"), 1);
    EXPECT_EQ(ssh_addr_match_list("2001:db9::1", "2001:db8::/32"), 0);
    EXPECT_EQ(ssh_addr_match_list("10.1.2.3", "10.1.2.*"), 1);  // wildcard when not CIDR
    EXPECT_EQ(ssh_addr_match_list("not-an-address", "10.0.0.0/8"), 0);
    EXPECT_EQ(ssh_addr_match_list("10.0.0.1", "10.0.0.1/8"), -2);  // host bits set
    EXPECT_EQ(ssh_addr_match_list(std::nullopt, "10.0.0.0/33"), -2);
    EXPECT_EQ(ssh_addr_match_list(std::nullopt, "a,,b"), -2);
    EXPECT_EQ(ssh_addr_match_list(std::nullopt, "10.0.0.0/8,*.lan"), 0);
}

TEST(SshPatterns, UserAtHostPatterns) {
    EXPECT_EQ(ssh_match_user("bob", "10.1.1.1", "10.1.1.1", "bob@10.0.0.0/8"), 1);
    EXPECT_EQ(ssh_match_user("bob", "h.lan", "192.168.0.1", "bob@10.0.0.0/8"), 0);
    EXPECT_EQ(ssh_match_user("bob", "h.lan", "192.168.0.1", "bob@*.lan"), 1);
    EXPECT_EQ(ssh_match_user("alice", "h", "1.2.3.4", "bob"), 0);
    EXPECT_EQ(ssh_match_user("nixbld1", "h", "1.2.3.4", "nixbld*"), 1);
    EXPECT_EQ(ssh_match_user(std::nullopt, std::nullopt, std::nullopt, "bob@10.0.0.1/8"), -1);
    EXPECT_EQ(ssh_match_user(std::nullopt, std::nullopt, std::nullopt, "bob@10.0.0.0/8"), 0);
}

TEST(SshPatterns, PortsAndTimes) {
    EXPECT_EQ(ssh_parse_port("2222"), 2222);
    EXPECT_EQ(ssh_parse_port("ssh"), 22);
    EXPECT_EQ(ssh_parse_port("0"), 0);
    EXPECT_FALSE(ssh_parse_port("65536"));
    EXPECT_FALSE(ssh_parse_port("22x"));
    EXPECT_EQ(ssh_parse_time("90"), 90);
    EXPECT_EQ(ssh_parse_time("1m30s"), 90);
    EXPECT_EQ(ssh_parse_time("2H"), 7200);
    EXPECT_FALSE(ssh_parse_time("5x"));
    EXPECT_FALSE(ssh_parse_time(""));
    EXPECT_FALSE(ssh_parse_time("99999999999"));
}

// ----- parse: diagnostics -----------------------------------------------------------------------

TEST(SshConfigParse, ErrorsAsSshReportsThem) {
    // err.conf, verified with `ssh -G -F err.conf a` (see the top of this file).
    const auto c = parse_ssh_config(
        "Host a\n  IdentityFle x\n  User \"unterminated\nMatch host a all\n  Port 0\n"
        "Host \"\"\nMatch foo bar\n",
        "err.conf", {}, "/root/.ssh");
    EXPECT_EQ(messages(c.diagnostics),
              (std::vector<std::string>{
                  "err.conf:3: invalid quotes",
                  "err.conf:2: Bad configuration option: identityfle (did you mean identityfile?)",
                  "err.conf:5: Bad port '0'.", "err.conf:6: keyword host empty argument",
                  "err.conf:7: Bad Match condition: Unsupported Match attribute foo"}));
}

TEST(SshConfigParse, UnknownKeywordIsKeptAsAnUnknownItem) {
    const auto c = parse_user("Frobnicate yes\n");
    ASSERT_EQ(c.items.size(), 1u);
    EXPECT_FALSE(c.items[0].known);
    EXPECT_EQ(
        messages(c.diagnostics),
        (std::vector<std::string>{"/root/.ssh/config:1: Bad configuration option: frobnicate"}));
}

TEST(SshConfigParse, NewerKeywordsSayWhichVersionKnowsThem) {
    const auto c = parse_user("Tag x\n");
    EXPECT_EQ(messages(c.diagnostics),
              (std::vector<std::string>{"/root/.ssh/config:1: Bad configuration option: tag (known "
                                        "to OpenSSH 9.4 and later)"}));
}

TEST(SshConfigParse, IgnoreUnknownSilencesMatchingKeywords) {
    const auto c =
        parse_user("IgnoreUnknown UseKeychain,AddKeys*\nUseKeychain yes\nAddKeysFoo x\nOther y\n");
    EXPECT_EQ(messages(c.diagnostics),
              (std::vector<std::string>{"/root/.ssh/config:4: Bad configuration option: other"}));
}

TEST(SshConfigParse, DebianKeywordsAndDeprecatedOnesAreNotErrors) {
    const auto c = parse_user("GSSAPIKeyExchange yes\nProtocol 2\nUseRoaming no\nSetupTimeOut 5\n");
    EXPECT_TRUE(c.diagnostics.empty());
    const auto u = parse_user("KerberosAuthentication no\n");
    EXPECT_TRUE(u.diagnostics.empty());
    EXPECT_EQ(messages(u.notes),
              (std::vector<std::string>{
                  "/root/.ssh/config:1: Unsupported option \"kerberosauthentication\" (ssh prints "
                  "this every time)"}));
}

TEST(SshConfigParse, ValueChecks) {
    const auto c = parse_user(
        "StrictHostKeyChecking maybe\nBatchMode 1\nConnectTimeout soon\nControlMaster "
        "sometimes\nPort 22 23\n"
        "UserKnownHostsFile none /x\nPort http\nProxyJump a,,b\nUser a b\nIdentitiesOnly TRUE\n");
    EXPECT_EQ(
        messages(c.diagnostics),
        (std::vector<std::string>{
            "/root/.ssh/config:1: unsupported option \"maybe\".",
            "/root/.ssh/config:2: unsupported option \"1\".",
            "/root/.ssh/config:3: invalid time value.",
            "/root/.ssh/config:4: unsupported option \"sometimes\".",
            "/root/.ssh/config:5: keyword port extra arguments at end of line",
            "/root/.ssh/config:6: keyword userknownhostsfile \"none\" argument must appear alone.",
            "/root/.ssh/config:7: Bad port 'http'.",
            "/root/.ssh/config:8: Invalid ProxyJump \"a,,b\"",
            "/root/.ssh/config:9: keyword user extra arguments at end of line"}));
}

TEST(SshConfigParse, MatchConditions) {
    const auto c = parse_user(
        "Match\nMatch all host x\nMatch host\nMatch !host a !user b\nMatch user=nix\nMatch tagged "
        "x\nMatch host a all\n"
        "Match exec \"test -f /x\" final\n");
    EXPECT_EQ(messages(c.diagnostics),
              (std::vector<std::string>{
                  "/root/.ssh/config:1: no argument after keyword \"Match\"",
                  "/root/.ssh/config:2: Bad Match condition: 'all' cannot be combined with other "
                  "Match attributes",
                  "/root/.ssh/config:3: Bad Match condition: Missing Match criteria for host",
                  "/root/.ssh/config:6: Bad Match condition: Unsupported Match attribute tagged "
                  "(known to OpenSSH 9.4 "
                  "and later)"}));
    ASSERT_EQ(c.items.size(), 7u);
    const auto& neg = c.items[2].criteria;
    ASSERT_EQ(neg.size(), 2u);
    EXPECT_TRUE(neg[0].negated);
    EXPECT_EQ(neg[0].name, "host");
    EXPECT_EQ(neg[1].name, "user");
    EXPECT_EQ(c.items[3].criteria[0].argument, "nix");  // strdelim splits at '='
    EXPECT_TRUE(c.items[5].match_valid);                // `Match host a all` is accepted
    EXPECT_EQ(c.items[6].criteria[0].argument, "test -f /x");
}

TEST(SshConfigParse, HostPatterns) {
    const auto c = parse_user("Host builder *.lan !bad.lan\n");
    ASSERT_EQ(c.items.size(), 1u);
    ASSERT_EQ(c.items[0].kind, SshConfigItemKind::host);
    const auto& p = c.items[0].host_patterns;
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[2].pattern, "bad.lan");
    EXPECT_TRUE(p[2].negated);
}

// ----- parse: Include ---------------------------------------------------------------------------

TEST(SshConfigInclude, RelativeGlobUnderDotSshReadInPlace) {
    MemFs fs;
    fs.files["/root/.ssh/conf.d/10-a.conf"] = "Host builder\n  User from10\n";
    fs.files["/root/.ssh/conf.d/20-b.conf"] = "Host builder\n  User from20\n  Port 2020\n";
    fs.files["/root/.ssh/conf.d/x.txt"] = "User never\n";
    const auto c = parse_user("Include conf.d/*.conf\nHost builder\n  User main\n", &fs);
    EXPECT_TRUE(c.diagnostics.empty());
    EXPECT_EQ(fs.globbed, (std::vector<std::string>{"/root/.ssh/conf.d/*.conf"}));
    EXPECT_EQ(c.included_files, (std::vector<std::string>{"/root/.ssh/conf.d/10-a.conf",
                                                          "/root/.ssh/conf.d/20-b.conf"}));
    const auto o = eval(c, target("builder"));
    EXPECT_EQ(o.user.value, "from10");
    EXPECT_EQ(o.user.origin.describe(), "/root/.ssh/conf.d/10-a.conf:2");
    EXPECT_EQ(o.port.value, "2020");
}

TEST(SshConfigInclude, AbsoluteGlobAsVerified) {
    // inc/main.conf, verified with ssh -G (see the top of this file).
    MemFs fs;
    fs.files["/inc/conf.d/10-a.conf"] = "Host builder\n  User from10\n  IdentityFile /keys/10\n";
    fs.files["/inc/conf.d/20-b.conf"] =
        "Host builder\n  User from20\n  Port 2020\n  IdentityFile /keys/20\nMatch all\n  "
        "HostKeyAlias inc-alias\n";
    fs.files["/inc/conf.d/30-c.txt"] = "User ignored-not-conf\n";
    const auto c = parse_ssh_config(
        "Include /inc/conf.d/*.conf\nHost builder\n  User main\n  IdentityFile /keys/main\n",
        "/inc/main.conf", fs.source(), "/root/.ssh");
    const auto b = eval(c, target("builder"));
    EXPECT_EQ(b.user.value, "from10");
    EXPECT_EQ(b.port.value, "2020");
    EXPECT_EQ(b.host_key_alias.value, "inc-alias");
    EXPECT_EQ(identity_paths(b), (std::vector<std::string>{"/keys/10", "/keys/20", "/keys/main"}));
    const auto other = eval(c, target("other"));
    EXPECT_EQ(other.user.value, "root");
    EXPECT_EQ(other.host_key_alias.value, "inc-alias");
    EXPECT_EQ(other.identity_files.size(), 7u);
}

TEST(SshConfigInclude, TildeInUserConfigAndRejectedInSystemConfig) {
    MemFs fs;
    fs.files["/root/extra.conf"] = "User tilde\n";
    const auto user = parse_user("Include ~/extra.conf\n", &fs);
    EXPECT_EQ(eval(user, target("h")).user.value, "tilde");
    const auto system =
        parse_ssh_config("Include ~/extra.conf\n", "/etc/ssh/ssh_config", fs.source(), "/etc/ssh");
    EXPECT_EQ(messages(system.diagnostics),
              (std::vector<std::string>{"/etc/ssh/ssh_config:1: bad include path ~/extra.conf."}));
    fs.globbed.clear();
    parse_ssh_config("Include ssh_config.d/*.conf\n", "/etc/ssh/ssh_config", fs.source(),
                     "/etc/ssh");
    EXPECT_EQ(fs.globbed, (std::vector<std::string>{"/etc/ssh/ssh_config.d/*.conf"}));
}

TEST(SshConfigInclude, NoMatchIsSilentUnreadableIsAnError) {
    MemFs fs;
    fs.files["/root/.ssh/locked"] = "<unreadable>";
    const auto c = parse_user("Include nothing/*\nInclude locked\n", &fs);
    EXPECT_EQ(messages(c.diagnostics),
              (std::vector<std::string>{
                  "/root/.ssh/config:2: Can't open user config file /root/.ssh/locked: "
                  "Permission denied"}));
}

TEST(SshConfigInclude, IncludedFilesCannotChangeTheIncludingBlock) {
    MemFs fs;
    fs.files["/root/.ssh/inc"] = "Host other\n  Port 1\n";
    // After the include, `Host builder` is still the active block.
    const auto c = parse_user("Host builder\n  Include inc\n  User still-builder\n", &fs);
    const auto o = eval(c, target("builder"));
    EXPECT_EQ(o.user.value, "still-builder");
    EXPECT_EQ(o.port.value, "22");
    // An Include inside a block that does not apply contributes nothing.
    fs.files["/root/.ssh/inc2"] = "User from-inactive\nHost *\n  Port 3\n";
    const auto c2 = parse_user("Host elsewhere\n  Include inc2\n", &fs);
    const auto o2 = eval(c2, target("builder"));
    EXPECT_EQ(o2.user.value, "root");
    EXPECT_EQ(o2.port.value, "22");
}

TEST(SshConfigInclude, CyclesAndDepthAreBounded) {
    MemFs fs;
    fs.files["/root/.ssh/a"] = "Include b\n";
    fs.files["/root/.ssh/b"] = "Include a\nUser in-b\n";
    const auto c = parse_user("Include a\n", &fs);
    ASSERT_EQ(c.diagnostics.size(), 1u);
    EXPECT_EQ(
        format_diagnostic(c.diagnostics[0]),
        "/root/.ssh/b:1: Too many recursive configuration includes (/root/.ssh/a includes itself)");
    EXPECT_EQ(eval(c, target("h")).user.value, "in-b");

    MemFs deep;
    for (int i = 0; i < 20; ++i)
        deep.files["/root/.ssh/d" + std::to_string(i)] = "Include d" + std::to_string(i + 1) + "\n";
    const auto d = parse_user("Include d0\n", &deep);
    ASSERT_EQ(d.diagnostics.size(), 1u);
    EXPECT_EQ(
        format_diagnostic(d.diagnostics[0]),
        "/root/.ssh/d15:1: Too many recursive configuration includes (including /root/.ssh/d16)");
}

TEST(SshConfigInclude, FanOutIsBounded) {
    // Every file includes every file under another name: without a budget this explodes.
    IncludeSource s;
    int reads = 0;
    s.read = [&](const std::string&) {
        ++reads;
        return ReadResult{ReadStatus::ok, "Include x*\nInclude y*\nUser u\n", ""};
    };
    int fresh = 0;
    s.glob = [&](const std::string& p) {
        fresh += 2;
        return std::vector<std::string>{p + std::to_string(fresh - 1), p + std::to_string(fresh)};
    };
    const auto c = parse_ssh_config("Include x*\n", "/root/.ssh/config", s, "/root/.ssh");
    EXPECT_LE(reads, 10000);
    EXPECT_FALSE(c.notes.empty());
    // The bound is named, with the Include line where it was reached.
    ASSERT_FALSE(c.limits.empty());
    EXPECT_EQ("included files", c.limits[0].bound);
    EXPECT_EQ(10000u, c.limits[0].value);
}

// ----- evaluate ---------------------------------------------------------------------------------

TEST(SshConfigEvaluate, Defaults) {
    // c1, verified with `ssh -G -F c1 foo`.
    const auto c = parse_user("Host foo\n  HostName real.example\n  User alice\n");
    const auto o = eval(c, target("other"));
    EXPECT_EQ(o.hostname.value, "other");
    EXPECT_EQ(o.hostname.origin.describe(), "default");
    EXPECT_EQ(o.user.value, "root");
    EXPECT_EQ(o.port.value, "22");
    EXPECT_EQ(identities_as_written(o),
              (std::vector<std::string>{"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ecdsa_sk",
                                        "~/.ssh/id_ed25519", "~/.ssh/id_ed25519_sk",
                                        "~/.ssh/id_xmss", "~/.ssh/id_dsa"}));
    EXPECT_EQ(o.identity_files[0].path, "/root/.ssh/id_rsa");
    EXPECT_TRUE(o.identity_files[0].is_default);
    EXPECT_EQ(o.user_known_hosts_files.values,
              (std::vector<std::string>{"/root/.ssh/known_hosts", "/root/.ssh/known_hosts2"}));
    EXPECT_EQ(o.global_known_hosts_files.values,
              (std::vector<std::string>{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}));
    EXPECT_EQ(o.strict_host_key_checking.value, "ask");
    EXPECT_EQ(o.check_host_ip.value, "no");
    EXPECT_EQ(o.batch_mode.value, "no");
    EXPECT_EQ(o.identities_only.value, "no");
    EXPECT_EQ(o.control_master.value, "no");
    EXPECT_EQ(o.connect_timeout.value, "none");
    EXPECT_FALSE(o.host_key_alias.set);
    EXPECT_FALSE(o.proxy_jump.set);
    EXPECT_FALSE(o.host_matched_specific_pattern);
    EXPECT_TRUE(o.applied_blocks.empty());

    const auto f = eval(c, target("foo"));
    EXPECT_EQ(f.hostname.value, "real.example");
    EXPECT_EQ(f.hostname.origin.describe(), "/root/.ssh/config:2");
    EXPECT_EQ(f.user.value, "alice");
    EXPECT_TRUE(f.host_matched_specific_pattern);
}

TEST(SshConfigEvaluate, HostPatternsAreCaseSensitive) {
    // case.conf, verified with ssh -G foo / FOO / Foo.
    const auto c = parse_user("Host Foo\n  User upper\nHost foo\n  User lower\n");
    EXPECT_EQ(eval(c, target("foo")).user.value, "lower");
    const auto upper = eval(c, target("FOO"));
    EXPECT_EQ(upper.user.value, "root");
    EXPECT_EQ(upper.hostname.value, "foo");
    EXPECT_EQ(eval(c, target("Foo")).user.value, "upper");
}

TEST(SshConfigEvaluate, MatchHostSeesHostNameSoFarOriginalHostTheGivenName) {
    // hn.conf, verified with `ssh -G -F hn.conf b1`.
    const auto c = parse_user(
        "Host b1\n  HostName REAL.Example.%h\nMatch host real.example.b1\n  User matched\nMatch "
        "originalhost B1\n"
        "  Port 2222\n");
    const auto o = eval(c, target("b1"));
    EXPECT_EQ(o.hostname.value, "real.example.b1");
    EXPECT_EQ(o.hostname.as_written, "REAL.Example.%h");
    EXPECT_EQ(o.user.value, "matched");
    EXPECT_EQ(o.port.value, "2222");
}

TEST(SshConfigEvaluate, FirstValueWinsNegationAndIdentityAccumulation) {
    // fvw.conf, verified with ssh -G (see the top of this file).
    const std::string fvw =
        "# first value wins\nHost builder\n  User first\n  Port 2201\n  IdentityFile "
        "~/.ssh/id_builder_%r_%h\n"
        "Host build*\n  User second\n  Port 2202\n  IdentityFile %d/.ssh/second_%u\n"
        "  IdentityFile ~/.ssh/id_builder_%r_%h\nHost * !builder\n  User negated\nHost *\n  "
        "User=star\n"
        "  StrictHostKeyChecking=accept-new\n  IdentitiesOnly yes\n  IdentityFile \"/keys/with "
        "space\"\n";
    const auto c = parse_ssh_config(fvw, "fvw.conf", {}, "/root/.ssh");
    ASSERT_TRUE(c.diagnostics.empty());

    const auto b = eval(c, target("builder"));
    EXPECT_EQ(b.user.value, "first");
    EXPECT_EQ(b.user.origin.describe(), "fvw.conf:3");
    EXPECT_EQ(b.port.value, "2201");
    EXPECT_EQ(identities_as_written(b),
              (std::vector<std::string>{"~/.ssh/id_builder_%r_%h", "%d/.ssh/second_%u",
                                        "/keys/with space"}));
    EXPECT_EQ(identity_paths(b),
              (std::vector<std::string>{"/root/.ssh/id_builder_first_builder",
                                        "/root/.ssh/second_root", "/keys/with space"}));
    EXPECT_EQ(b.identity_files[1].origin.describe(), "fvw.conf:9");
    EXPECT_EQ(b.identities_only.value, "yes");
    EXPECT_EQ(b.strict_host_key_checking.value, "accept-new");
    EXPECT_EQ(b.strict_host_key_checking.origin.describe(), "fvw.conf:15");
    ASSERT_EQ(b.applied_blocks.size(), 3u);
    EXPECT_EQ(b.applied_blocks[0].text, "Host builder");
    EXPECT_EQ(b.applied_blocks[2].line, 13);
    EXPECT_TRUE(b.host_matched_specific_pattern);

    const auto b2 = eval(c, target("builder2"));
    EXPECT_EQ(b2.user.value, "second");
    EXPECT_EQ(b2.port.value, "2202");
    EXPECT_EQ(identities_as_written(b2),
              (std::vector<std::string>{"%d/.ssh/second_%u", "~/.ssh/id_builder_%r_%h",
                                        "/keys/with space"}));

    const auto other = eval(c, target("other"));
    EXPECT_EQ(other.user.value, "negated");
    EXPECT_EQ(other.port.value, "22");
    EXPECT_EQ(identities_as_written(other), (std::vector<std::string>{"/keys/with space"}));
    EXPECT_FALSE(other.host_matched_specific_pattern);  // only `*` matched

    SshTarget joe = target("builder");
    joe.user = "joe";
    joe.port = 9;
    const auto j = eval(c, joe);
    EXPECT_EQ(j.user.value, "joe");
    EXPECT_EQ(j.user.origin.describe(), "command line");
    EXPECT_EQ(j.port.value, "9");
    EXPECT_EQ(j.identity_files[0].path, "/root/.ssh/id_builder_joe_builder");
}

TEST(SshConfigEvaluate, MatchCriteriaAndFinalPass) {
    // match.conf, verified with ssh -G for `-l nix b1`, `-l alice b1`, `b1`, `-l nix other`.
    const std::string text =
        "Host b1\n  HostName 10.0.0.5\nMatch host 10.0.0.* user nix\n  Port 2001\n"
        "Match !host 10.0.0.5 originalhost b1\n  Port 2002\nMatch originalhost b1 !user nix\n  "
        "Port 2003\n"
        "Match localuser root exec \"exit 1\"\n  IdentityFile /keys/exec-failed\n"
        "Match localuser root !exec \"exit 1\"\n  IdentityFile /keys/not-exec\n"
        "Match final host 10.0.0.5\n  HostKeyAlias final-alias\nMatch canonical\n  BatchMode yes\n"
        "Match all\n  IdentityFile /keys/all\n";
    const auto c = parse_ssh_config(text, "match.conf", {}, "/root/.ssh");
    ASSERT_TRUE(c.diagnostics.empty());
    SshTarget nix = target("b1");
    nix.user = "nix";
    const auto n = eval(c, nix);
    EXPECT_EQ(n.port.value, "2001");
    EXPECT_EQ(n.batch_mode.value, "yes");
    EXPECT_EQ(n.host_key_alias.value, "final-alias");
    EXPECT_EQ(identity_paths(n), (std::vector<std::string>{"/keys/not-exec", "/keys/all"}));
    EXPECT_TRUE(n.final_pass);
    ASSERT_EQ(n.notes.size(), 2u);  // the two exec criteria, each noted once
    EXPECT_EQ(format_diagnostic(n.notes[0]),
              "match.conf:9: Match exec \"exit 1\" was not run (the doctor runs no commands); "
              "taken as not matching, and its settings as possibly in effect");

    SshTarget alice = target("b1");
    alice.user = "alice";
    EXPECT_EQ(eval(c, alice).port.value, "2003");
    EXPECT_EQ(eval(c, target("b1")).port.value, "2003");  // Match user sees the local user then

    SshTarget other = target("other");
    other.user = "nix";
    const auto o = eval(c, other);
    EXPECT_EQ(o.port.value, "22");
    EXPECT_EQ(o.batch_mode.value, "yes");
    EXPECT_FALSE(o.host_key_alias.set);
}

TEST(SshConfigEvaluate, NoFinalPassWithoutMatchFinal) {
    const auto c = parse_user("Match canonical\n  BatchMode yes\n");
    const auto o = eval(c, target("h"));
    EXPECT_FALSE(o.final_pass);
    EXPECT_EQ(o.batch_mode.value, "no");
}

TEST(SshConfigEvaluate, TwoFilesFirstValueWins) {
    // The user + system configuration verified with ssh -G builder / ssh -G other.
    const auto user = parse_user(
        "Host builder\n  HostName builder.internal\n  IdentityFile ~/.ssh/nix_builder\n  "
        "ProxyCommand nc %h %p\n"
        "Host *\n  ConnectTimeout 1m30s\n  ControlMaster auto\n  ControlPath ~/.ssh/cm-%r@%h:%p\n");
    const auto system = parse_ssh_config(
        "Host *\n  User system-user\n  IdentityFile ~/.ssh/nix_builder\n  ProxyJump jump.example\n"
        "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  BatchMode yes\n  "
        "ConnectTimeout 5\n",
        "/etc/ssh/ssh_config", {}, "/etc/ssh");
    const auto o = evaluate_ssh_config({&user, &system}, target("builder"));
    EXPECT_EQ(o.user.value, "system-user");
    EXPECT_EQ(o.user.origin.describe(), "/etc/ssh/ssh_config:2");
    EXPECT_EQ(o.hostname.value, "builder.internal");
    EXPECT_EQ(o.control_master.value, "auto");
    EXPECT_EQ(o.control_path.value, "/root/.ssh/cm-system-user@builder.internal:22");
    EXPECT_EQ(o.control_path.as_written, "~/.ssh/cm-%r@%h:%p");
    EXPECT_EQ(o.strict_host_key_checking.value, "no");
    EXPECT_EQ(o.user_known_hosts_files.values, (std::vector<std::string>{"/dev/null"}));
    EXPECT_EQ(o.user_known_hosts_files.origin.describe(), "/etc/ssh/ssh_config:6");
    EXPECT_EQ(o.connect_timeout.value, "90");
    EXPECT_EQ(o.batch_mode.value, "yes");
    EXPECT_EQ(o.proxy_command.value, "nc %h %p");
    EXPECT_FALSE(o.proxy_jump.set);
    // Same path from the user and the system file: ssh keeps both.
    EXPECT_EQ(identities_as_written(o),
              (std::vector<std::string>{"~/.ssh/nix_builder", "~/.ssh/nix_builder"}));

    const auto other = evaluate_ssh_config({&user, &system}, target("other"));
    EXPECT_EQ(other.proxy_jump.value, "jump.example");
    EXPECT_FALSE(other.proxy_command.set);
    EXPECT_EQ(other.control_path.value, "/root/.ssh/cm-system-user@other:22");
    EXPECT_EQ(identities_as_written(other), (std::vector<std::string>{"~/.ssh/nix_builder"}));
}

TEST(SshConfigEvaluate, AliasOnlyInOneConfig) {
    // The shape of sshconfig.alias-only-for-user: the user's config knows `builder`, root's not.
    const auto alice = parse_ssh_config("Host builder\n  HostName 10.0.0.5\n",
                                        "/home/alice/.ssh/config", {}, "/home/alice/.ssh");
    const auto root = parse_user("Host *\n  ServerAliveInterval 10\n");
    EXPECT_TRUE(eval(alice, target("builder")).host_matched_specific_pattern);
    const auto r = eval(root, target("builder"));
    EXPECT_FALSE(r.host_matched_specific_pattern);
    EXPECT_EQ(r.hostname.value, "builder");
    const auto pattern = eval(parse_user("Host *.lan !bad.lan\n  User x\n"), target("good.lan"));
    ASSERT_EQ(pattern.specific_host_matches.size(), 1u);
    EXPECT_EQ(pattern.specific_host_matches[0].text, "Host *.lan");
}

TEST(SshConfigEvaluate, CommandLineIdentityComesFirstAndReplacesDefaults) {
    SshTarget t = target("builder");
    t.identity_files = {"/etc/nix/builder_ed25519"};
    const auto o = eval(parse_user("IdentityFile ~/.ssh/other\n"), t);
    EXPECT_EQ(identity_paths(o),
              (std::vector<std::string>{"/etc/nix/builder_ed25519", "/root/.ssh/other"}));
    EXPECT_EQ(o.identity_files[0].origin.describe(), "command line");
    const auto d = eval(parse_user(""), t);
    EXPECT_EQ(d.identity_files.size(), 1u);
}

TEST(SshConfigEvaluate, Normalisation) {
    const auto o =
        eval(parse_user("StrictHostKeyChecking off\nCheckHostIP TRUE\nControlMaster autoask\n"
                        "HostKeyAlias MyAlias\nConnectTimeout none\nCanonicalizeHostname no\n"),
             target("h"));
    EXPECT_EQ(o.strict_host_key_checking.value, "no");
    EXPECT_EQ(o.strict_host_key_checking.as_written, "off");
    EXPECT_EQ(o.check_host_ip.value, "yes");
    EXPECT_EQ(o.control_master.value, "autoask");
    EXPECT_EQ(o.host_key_alias.value, "myalias");
    EXPECT_EQ(o.connect_timeout.value, "none");
    EXPECT_FALSE(o.final_pass);
}

TEST(SshConfigEvaluate, ExpansionOfUnknownTokensIsFlagged) {
    SshTarget t = target("b");
    const auto o = eval(
        parse_user("IdentityFile ~/.ssh/%l_key\nIdentityFile ${HOME}/k\nIdentityFile ~bob/k\n"), t);
    ASSERT_EQ(o.identity_files.size(), 3u);
    EXPECT_EQ(o.identity_files[0].path, "/root/.ssh/%l_key");
    EXPECT_FALSE(o.identity_files[0].fully_expanded);
    EXPECT_FALSE(o.identity_files[1].fully_expanded);
    EXPECT_FALSE(o.identity_files[2].fully_expanded);
    t.local_hostname = "client.example";
    t.local_uid = 0;
    const auto e =
        eval(parse_user("IdentityFile ~/.ssh/%L_%i_%%_%n_%k_%p\nControlPath /tmp/%C\n"), t);
    EXPECT_EQ(e.identity_files[0].path, "/root/.ssh/client_0_%_b_b_22");
    EXPECT_TRUE(e.identity_files[0].fully_expanded);
    EXPECT_EQ(e.control_path.value.size(), 5u + 40u);  // hex SHA1
}

TEST(SshConfigEvaluate, UserKnownHostsFileIsExpanded) {
    const auto o =
        eval(parse_user("UserKnownHostsFile ~/.ssh/kh_%h %d/kh2\nGlobalKnownHostsFile ~/g\n"),
             target("B"));
    EXPECT_EQ(o.user_known_hosts_files.values,
              (std::vector<std::string>{"/root/.ssh/kh_b", "/root/kh2"}));
    EXPECT_EQ(o.global_known_hosts_files.values, (std::vector<std::string>{"/root/g"}));
}

TEST(SshConfigEvaluate, InvalidMatchNeverApplies) {
    const auto o = eval(parse_user("Match all host x\n  User never\n"), target("x"));
    EXPECT_EQ(o.user.value, "root");
}

TEST(SshConfigEvaluate, HostNameWithUnknownTokenIsNoted) {
    const auto o = eval(parse_user("HostName %z.example\n"), target("h"));
    ASSERT_EQ(o.notes.size(), 1u);
    EXPECT_NE(o.notes[0].message.find("unknown key"), std::string::npos);
}

TEST(SshConfigEvaluate, AddressesKeepTheirCase) {
    const auto o = eval(parse_user("HostName FE80::1\n"), target("h"));
    EXPECT_EQ(o.hostname.value, "FE80::1");
}
