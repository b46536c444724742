// Tests of the sshd_config parser and evaluator.
//
// Verified against the real server, OpenSSH_9.2p1 Debian-2+deb12u10: `sshd -T -f CONF` and
// `sshd -T -f CONF -C user=U,host=H,addr=A,lport=P` print the effective configuration (with a
// host key `HostKey /tmp/x/hk` from `ssh-keygen -t ed25519 -N '' -f /tmp/x/hk`, and /run/sshd
// present; every `Match LocalPort` needs lport= in -C or sshd stops: "'Match LocalPort' in
// configuration but 'lport' not in connection test specification."). Users nixbld1 and
// nixbld2 exist with group nixbld. The exact files are in the tests; what sshd printed:
//
//   * defaults (a file with only HostKey): port 22, usepam no, maxauthtries 6, maxsessions 10,
//     permitrootlogin without-password (sshd prints the alias), pubkeyauthentication yes,
//     passwordauthentication yes, kbdinteractiveauthentication yes, strictmodes yes,
//     authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2, authorizedkeyscommand none,
//     maxstartups 10:30:100, permituserenvironment no, forcecommand none, pubkeyacceptedalgorithms
//     (the 16 names of sshd_default_pubkey_algorithms()).
//   * allow.conf (AllowUsersAndFirstValueWins): without -C: passwordauthentication no,
//     allowusers alice, allowusers bob@10.0.0.0/8, maxstartups 7:50:7 (the second MaxStartups
//     line overwrites, and keeps the rate of the first), authorizedkeysfile
//     /root/.ssh/authorized_keys %h/.ssh/k_%u (sshd expands `~` itself, to root's home);
//     user=nixbld1: passwordauthentication yes, maxauthtries 3, authorizedkeysfile
//     /etc/ssh/keys/%u, allowusers nixbld1, carol, dave (the lists of all matching blocks,
//     replacing the global list); user=nixbld2: passwordauthentication no, allowusers carol, dave.
//   * algo.conf (PermitRootLoginAndPubkeyAlgorithms): addr=192.168.5.5 -> permitrootlogin no,
//     pubkeyacceptedalgorithms ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,
//     ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256; addr=192.168.1.5 (negated) -> permitrootlogin
//     without-password and the default list + ssh-rsa,ssh-dss-cert-v01@openssh.com;
//     addr=2001:db8::1 -> forced-commands-only, ssh-rsa first then the default list;
//     host=x.example.org,lport=2222 -> ssh-ed25519,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,
//     rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com.
//   * inc.conf with /etc/ssh/sshd_config.d bind-mounted (private mount namespace) over a
//     directory holding 10-hard.conf, 20-soft.conf, skip.txt (IncludeAtTopOverridesLaterLines):
//     without -C: maxsessions 3, permitrootlogin no, passwordauthentication no,
//     kbdinteractiveauthentication yes; user=nixbld1: the same but kbdinteractiveauthentication
//     no; user=nixbld2: permitrootlogin yes; user=root: as without -C.
//   * env.conf (ListsAndForceCommand): port 22, port 2222; listenaddress 127.0.0.1:22,
//     127.0.0.1:2222, [::1]:2200; acceptenv LANG, LC_*, NIX_*; setenv PATH=/run/current-system/
//     sw/bin, A=1 (only the first SetEnv line); forcecommand /usr/bin/restricted; permitrootlogin
//     no and denyusers mallory (Match all); user=nixbld1: acceptenv ONLY_THIS, forcecommand none,
//     setenv PATH=/nix/var/nix/profiles/default/bin (a repeated name is dropped).
//   * `Match all` followed by Port 2022: accepted, port 2022. An Include inside `Match User x`
//     of a file with `UsePAM yes`: "glob-only.inc line 1: Directive 'UsePAM' is not allowed
//     within a Match block".
//   * `sshd -t` messages: "line 2: Bad configuration option: PasswordAuthenticaton",
//     "Badly formatted port number.", "keyword Port extra arguments at end of line",
//     "Invalid MaxStartups spec.", "Bad key types 'ssh-foo'.", "invalid AllowUsers pattern:
//     \"bob@10.0.0.1/8\"", "unsupported option \"maybe\".", "MaxAuthTries integer value invalid.",
//     "AuthorizedKeysCommand must be an absolute path", "line 3: Directive 'Port' is not allowed
//     within a Match block", "Invalid Match address argument '10.0.0.1/8' at line 2",
//     "Missing Match criteria for User" + "Bad Match condition", "'all' cannot be combined with
//     other Match attributes", "Unsupported Match attribute Foo", "invalid quotes".
//
// sshd_user_allowed() follows auth.c allowed_user() (read, not run against a live server): the
// log lines are sshd's.
#include "nix_builder_doctor/parse/sshd_config.hpp"

#include <gtest/gtest.h>

#include <map>

#include "include_source_fixture.hpp"

using namespace nbd::parse;

namespace {

using include_fixture::MemFs;
using include_fixture::messages;

const std::string kHostKey = "HostKey /tmp/x/hk\n";

SshdConfig parse(const std::string& text, MemFs* fs = nullptr) {
    static MemFs empty;
    return parse_sshd_config(text, "/etc/ssh/sshd_config", (fs ? *fs : empty).source());
}

SshdMatchContext connection(const std::string& user, const std::string& addr = "1.2.3.4",
                            std::vector<std::string> groups = {}) {
    SshdMatchContext c;
    c.user = user;
    c.host = "h";
    c.address = addr;
    c.local_port = 22;
    c.groups = std::move(groups);
    return c;
}


std::vector<std::string> values(const std::vector<SshListEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.value);
    return out;
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

const std::string kDefaultAlgorithms =
    "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,"
    "sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,"
    "rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-"
    "nistp256,"
    "ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@"
    "openssh.com,"
    "rsa-sha2-512,rsa-sha2-256";

}  // namespace

// ----- parse ------------------------------------------------------------------------------------

TEST(SshdConfigParse, UnknownKeywordLikeSshdT) {
    const auto c =
        parse(kHostKey + "PasswordAuthenticaton no\nFrobnicate 1\nPerSourcePenalties yes\n");
    EXPECT_EQ(
        messages(c.diagnostics),
        (std::vector<std::string>{
            "/etc/ssh/sshd_config:2: Bad configuration option: PasswordAuthenticaton (did you mean "
            "passwordauthentication?)",
            "/etc/ssh/sshd_config:3: Bad configuration option: Frobnicate",
            "/etc/ssh/sshd_config:4: Bad configuration option: PerSourcePenalties (known to "
            "OpenSSH 9.8 and "
            "later)"}));
    EXPECT_FALSE(c.items[1].known);
}

TEST(SshdConfigParse, DeprecatedAndDebianKeywordsAreNotErrors) {
    const auto c = parse(
        "UsePrivilegeSeparation sandbox\nProtocol 2\nRSAAuthentication yes\nDebianBanner no\n"
        "GSSAPIKeyExchange no\nChallengeResponseAuthentication no\nKerberosGetAFSToken no\n");
    EXPECT_TRUE(c.diagnostics.empty());
    EXPECT_EQ(messages(c.notes),
              (std::vector<std::string>{
                  "/etc/ssh/sshd_config:1: Deprecated option UsePrivilegeSeparation",
                  "/etc/ssh/sshd_config:3: Deprecated option RSAAuthentication",
                  "/etc/ssh/sshd_config:7: Unsupported option KerberosGetAFSToken"}));
    EXPECT_EQ(c.items[5].keyword, "kbdinteractiveauthentication");  // alias resolved
}

TEST(SshdConfigParse, ValueErrorsAsSshdT) {
    const auto c = parse(
        "Port 0\nPort 22 23\nMaxStartups 10:30\nPubkeyAcceptedAlgorithms ssh-foo\nAllowUsers "
        "bob@10.0.0.1/8\n"
        "User \"x\nPermitRootLogin maybe\nMaxAuthTries x\nAuthorizedKeysCommand bin/x\nAcceptEnv "
        "A=B\n"
        "SetEnv NOVALUE\nListenAddress [::1\nListenAddress 1.2.3.4:http\nPubkeyAuthentication "
        "maybe\n"
        "MaxStartups 20:30:10\nMaxSessions -1\n");
    EXPECT_EQ(messages(c.diagnostics),
              (std::vector<std::string>{
                  "/etc/ssh/sshd_config:6: invalid quotes",
                  "/etc/ssh/sshd_config:1: Badly formatted port number.",
                  "/etc/ssh/sshd_config:2: keyword Port extra arguments at end of line",
                  "/etc/ssh/sshd_config:3: Invalid MaxStartups spec.",
                  "/etc/ssh/sshd_config:4: Bad key types 'ssh-foo'.",
                  "/etc/ssh/sshd_config:5: invalid AllowUsers pattern: \"bob@10.0.0.1/8\"",
                  "/etc/ssh/sshd_config:7: unsupported option \"maybe\".",
                  "/etc/ssh/sshd_config:8: MaxAuthTries integer value invalid.",
                  "/etc/ssh/sshd_config:9: AuthorizedKeysCommand must be an absolute path",
                  "/etc/ssh/sshd_config:10: Invalid environment name.",
                  "/etc/ssh/sshd_config:11: Invalid environment.",
                  "/etc/ssh/sshd_config:12: bad address:port usage",
                  "/etc/ssh/sshd_config:13: bad port number",
                  "/etc/ssh/sshd_config:14: unsupported option \"maybe\".",
                  "/etc/ssh/sshd_config:15: Invalid MaxStartups spec.",
                  "/etc/ssh/sshd_config:16: MaxSessions integer value too small."}));
}

TEST(SshdConfigParse, AcceptedValues) {
    const auto c = parse(
        "PubkeyAcceptedAlgorithms +ssh-rsa,ssh-dss-cert*\nPubkeyAcceptedKeyTypes "
        "-*-cert-v01@openssh.com\n"
        "HostbasedAcceptedAlgorithms ^rsa-sha2-*\nMaxStartups 7\nListenAddress ::1\nListenAddress "
        "[::1]:22\n"
        "ListenAddress 0.0.0.0 rdomain x\nPermitRootLogin without-password\nAuthorizedKeysCommand "
        "none\n"
        "AllowUsers nix@10.0.0.0/8 root@*.lan\nPort ssh\nPasswordAuthentication YES\n");
    EXPECT_EQ(messages(c.diagnostics), std::vector<std::string>{});
}

TEST(SshdConfigParse, GlobalDirectiveInsideMatch) {
    const auto c = parse(
        "Match User a\n  Port 2222\n  UsePAM yes\n  PasswordAuthentication no\nMatch all\n  Port "
        "2022\n");
    EXPECT_EQ(
        messages(c.diagnostics),
        (std::vector<std::string>{
            "/etc/ssh/sshd_config:2: Directive 'Port' is not allowed within a Match block",
            "/etc/ssh/sshd_config:3: Directive 'UsePAM' is not allowed within a Match block"}));
}

TEST(SshdConfigParse, MatchConditions) {
    const auto c = parse(
        "Match Address 10.0.0.1/8\nMatch User\nMatch all User a\nMatch Foo bar\nMatch LocalPort x\n"
        "Match User=nix Group nixbld Address 10.0.0.0/8,!10.0.0.1 LocalAddress ::1 LocalPort 22 "
        "Host *.lan RDomain x\nMatch Invalid-User\nMatch Version OpenSSH_9.*\nMatch all # x\n");
    EXPECT_EQ(
        messages(c.diagnostics),
        (std::vector<std::string>{
            "/etc/ssh/sshd_config:1: Invalid Match address argument '10.0.0.1/8'",
            "/etc/ssh/sshd_config:2: Bad Match condition: Missing Match criteria for User",
            "/etc/ssh/sshd_config:3: Bad Match condition: 'all' cannot be combined with other "
            "Match attributes",
            "/etc/ssh/sshd_config:4: Bad Match condition: Unsupported Match attribute Foo",
            "/etc/ssh/sshd_config:5: Bad Match condition: Invalid LocalPort 'x' on Match line"}));
    ASSERT_EQ(c.items.size(), 9u);
    EXPECT_EQ(c.items[5].criteria.size(), 7u);
    EXPECT_EQ(c.items[5].criteria[0].argument, "nix");
    EXPECT_EQ(messages(c.notes),
              (std::vector<std::string>{"/etc/ssh/sshd_config:7: Match Invalid-User needs OpenSSH "
                                        "9.9 or later (older sshd stops: "
                                        "Unsupported Match attribute)",
                                        "/etc/ssh/sshd_config:8: Match Version needs OpenSSH 10.0 "
                                        "or later (older sshd stops: Unsupported "
                                        "Match attribute)"}));
}

TEST(SshdConfigParse, IncludeRelativeToEtcSshInPlaceAndInsideMatch) {
    MemFs fs;
    fs.files["/etc/ssh/sshd_config.d/50-nix.conf"] = "PasswordAuthentication no\n";
    fs.files["/etc/ssh/only-global.conf"] = "UsePAM yes\n";
    const auto c = parse(
        "Include sshd_config.d/*.conf\nMatch User x\n  Include /etc/ssh/only-global.conf\n"
        "Include ~/nope\nInclude missing/*.conf\n",
        &fs);
    EXPECT_EQ(c.included_files, (std::vector<std::string>{"/etc/ssh/sshd_config.d/50-nix.conf",
                                                          "/etc/ssh/only-global.conf"}));
    EXPECT_EQ(messages(c.diagnostics),
              (std::vector<std::string>{"/etc/ssh/only-global.conf:1: Directive 'UsePAM' is not "
                                        "allowed within a Match block"}));
    EXPECT_EQ(
        messages(c.notes),
        (std::vector<std::string>{
            "/etc/ssh/sshd_config:4: Include ~/nope: sshd does not expand ~ here; not followed"}));
    ASSERT_GE(c.items.size(), 3u);
    EXPECT_EQ(c.items[0].kind, SshdConfigItemKind::include_begin);
    EXPECT_EQ(c.items[1].directive.file, "/etc/ssh/sshd_config.d/50-nix.conf");
    EXPECT_EQ(c.items[2].kind, SshdConfigItemKind::include_end);
}

TEST(SshdConfigParse, IncludeCycleAndDepth) {
    MemFs fs;
    fs.files["/etc/ssh/a"] = "Include b\n";
    fs.files["/etc/ssh/b"] = "Include a\n";
    const auto c = parse("Include a\n", &fs);
    EXPECT_EQ(messages(c.diagnostics),
              (std::vector<std::string>{"/etc/ssh/b:1: Too many recursive configuration includes "
                                        "(/etc/ssh/a includes itself)"}));
    MemFs deep;
    for (int i = 0; i < 20; ++i)
        deep.files["/etc/ssh/d" + std::to_string(i)] = "Include d" + std::to_string(i + 1) + "\n";
    const auto d = parse("Include d0\n", &deep);
    EXPECT_EQ(
        messages(d.diagnostics),
        (std::vector<std::string>{
            "/etc/ssh/d15:1: Too many recursive configuration includes (including /etc/ssh/d16)"}));
}

// ----- evaluate ---------------------------------------------------------------------------------

TEST(SshdConfigEvaluate, Defaults) {
    const auto e = evaluate_sshd_config(parse(kHostKey), {});
    EXPECT_EQ(e.pubkey_authentication.value, "yes");
    EXPECT_EQ(e.pubkey_authentication.origin.describe(), "default");
    EXPECT_EQ(e.password_authentication.value, "yes");
    EXPECT_EQ(e.kbd_interactive_authentication.value, "yes");
    EXPECT_EQ(e.permit_root_login.value, "prohibit-password");
    EXPECT_EQ(e.authorized_keys_files.values,
              (std::vector<std::string>{".ssh/authorized_keys", ".ssh/authorized_keys2"}));
    EXPECT_EQ(e.authorized_keys_command.value, "none");
    EXPECT_EQ(e.strict_modes.value, "yes");
    EXPECT_EQ(e.max_startups.start, 10);
    EXPECT_EQ(e.max_startups.rate, 30);
    EXPECT_EQ(e.max_startups.full, 100);
    EXPECT_FALSE(e.max_startups.set);
    EXPECT_EQ(e.max_sessions.value, "10");
    EXPECT_EQ(e.max_auth_tries.value, "6");
    EXPECT_EQ(e.pubkey_accepted_algorithms.value, kDefaultAlgorithms);
    EXPECT_EQ(e.permit_user_environment.value, "no");
    EXPECT_EQ(e.force_command.value, "");
    EXPECT_EQ(e.use_pam.value, "no");
    EXPECT_EQ(values(e.ports), (std::vector<std::string>{"22"}));
    EXPECT_EQ(values(e.host_keys), (std::vector<std::string>{"/tmp/x/hk"}));
    EXPECT_TRUE(e.allow_users.empty());
    EXPECT_TRUE(e.applied_match_blocks.empty());
}

TEST(SshdConfigEvaluate, AllowUsersAndFirstValueWins) {
    const std::string allow =
        kHostKey +
        "AllowUsers alice bob@10.0.0.0/8\nPasswordAuthentication no\nMaxStartups 5:50:20\n"
        "MaxStartups 7\nAuthorizedKeysFile ~/.ssh/authorized_keys %h/.ssh/k_%u\n"
        "Match User nixbld1\n  AllowUsers nixbld1\n  PasswordAuthentication yes\n"
        "  AuthorizedKeysFile /etc/ssh/keys/%u\nMatch Group nixbld\n  AllowUsers carol\n"
        "  PasswordAuthentication no\n  MaxAuthTries 3\nAllowUsers dave\n";
    const auto c = parse_sshd_config(allow, "allow.conf", {});
    ASSERT_TRUE(c.diagnostics.empty());

    const auto g = evaluate_sshd_config(c, {});
    EXPECT_EQ(g.password_authentication.value, "no");
    EXPECT_EQ(g.password_authentication.origin.describe(), "allow.conf:3");
    EXPECT_EQ(values(g.allow_users), (std::vector<std::string>{"alice", "bob@10.0.0.0/8"}));
    EXPECT_EQ(g.max_startups.start, 7);
    EXPECT_EQ(g.max_startups.rate, 50);
    EXPECT_EQ(g.max_startups.full, 7);
    EXPECT_EQ(g.max_startups.origin.describe(), "allow.conf:5");
    EXPECT_EQ(g.authorized_keys_files.values,
              (std::vector<std::string>{"~/.ssh/authorized_keys", "%h/.ssh/k_%u"}));
    EXPECT_EQ(sshd_expand_authorized_keys_path(g.authorized_keys_files.values[0], "/home/nix",
                                               "nix", 1000),
              "/root/.ssh/authorized_keys");
    EXPECT_EQ(sshd_expand_authorized_keys_path(g.authorized_keys_files.values[1], "/home/nix",
                                               "nix", 1000),
              "/home/nix/.ssh/k_nix");
    ASSERT_EQ(g.notes.size(), 2u);  // Match User and Match Group without a user
    EXPECT_EQ(format_diagnostic(g.notes[0]),
              "allow.conf:7: Match User not evaluated: no user given for the connection; taken as "
              "not matching");

    const auto n1 = evaluate_sshd_config(c, connection("nixbld1", "10.1.2.3", {"nixbld"}));
    EXPECT_EQ(n1.password_authentication.value, "yes");
    EXPECT_EQ(n1.password_authentication.origin.describe(), "allow.conf:9");
    EXPECT_EQ(n1.max_auth_tries.value, "3");
    EXPECT_EQ(n1.authorized_keys_files.values, (std::vector<std::string>{"/etc/ssh/keys/%u"}));
    EXPECT_EQ(values(n1.allow_users), (std::vector<std::string>{"nixbld1", "carol", "dave"}));
    EXPECT_EQ(n1.allow_users[2].origin.describe(), "allow.conf:15");
    ASSERT_EQ(n1.applied_match_blocks.size(), 2u);
    EXPECT_EQ(n1.applied_match_blocks[1].text, "Match Group nixbld");
    EXPECT_TRUE(n1.notes.empty());

    const auto n2 = evaluate_sshd_config(c, connection("nixbld2", "10.1.2.3", {"nixbld"}));
    EXPECT_EQ(n2.password_authentication.value, "no");
    EXPECT_EQ(values(n2.allow_users), (std::vector<std::string>{"carol", "dave"}));
    EXPECT_EQ(n2.authorized_keys_files.values,
              (std::vector<std::string>{"~/.ssh/authorized_keys", "%h/.ssh/k_%u"}));
}

TEST(SshdConfigEvaluate, PermitRootLoginAndPubkeyAlgorithms) {
    const std::string algo =
        kHostKey +
        "PermitRootLogin without-password\nPubkeyAcceptedAlgorithms +ssh-rsa,ssh-dss-cert*\n"
        "Match Address 192.168.0.0/16,!192.168.1.0/24\n"
        "  PubkeyAcceptedAlgorithms -*-cert-v01@openssh.com,sk-*\n  PermitRootLogin no\n"
        "Match Address 2001:db8::/32\n  PubkeyAcceptedAlgorithms ^ssh-rsa\n"
        "  PermitRootLogin forced-commands-only\nMatch LocalPort 2222 Host *.example.org\n"
        "  PubkeyAcceptedKeyTypes ssh-ed25519,rsa-sha2-*\n";
    const auto c = parse_sshd_config(algo, "algo.conf", {});
    ASSERT_TRUE(c.diagnostics.empty());

    const auto lan = evaluate_sshd_config(c, connection("u", "192.168.5.5"));
    EXPECT_EQ(lan.permit_root_login.value, "no");
    EXPECT_EQ(lan.pubkey_accepted_algorithms.value,
              "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-"
              "512,rsa-sha2-256");
    EXPECT_EQ(lan.pubkey_accepted_algorithms.origin.describe(), "algo.conf:5");

    const auto excluded = evaluate_sshd_config(c, connection("u", "192.168.1.5"));
    EXPECT_EQ(excluded.permit_root_login.value, "prohibit-password");
    EXPECT_EQ(excluded.permit_root_login.as_written, "without-password");
    EXPECT_EQ(excluded.permit_root_login.origin.describe(), "algo.conf:2");
    EXPECT_EQ(excluded.pubkey_accepted_algorithms.value,
              kDefaultAlgorithms + ",ssh-rsa,ssh-dss-cert-v01@openssh.com");
    EXPECT_TRUE(excluded.applied_match_blocks.empty());

    const auto v6 = evaluate_sshd_config(c, connection("u", "2001:db8::1"));
    EXPECT_EQ(v6.permit_root_login.value, "forced-commands-only");
    EXPECT_EQ(v6.pubkey_accepted_algorithms.value, "ssh-rsa," + kDefaultAlgorithms);

    SshdMatchContext port = connection("u", "10.0.0.1");
    port.host = "x.example.org";
    port.local_port = 2222;
    const auto p = evaluate_sshd_config(c, port);
    EXPECT_EQ(join(p.pubkey_accepted_algorithm_list),
              "ssh-ed25519,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-"
              "512-cert-v01@openssh.com");
    port.local_port = 22;
    EXPECT_EQ(evaluate_sshd_config(c, port).pubkey_accepted_algorithms.value,
              kDefaultAlgorithms + ",ssh-rsa,ssh-dss-cert-v01@openssh.com");
}

TEST(SshdConfigEvaluate, IncludeAtTopOverridesLaterLines) {
    // inc.conf with the drop-in directory as verified (Debian's layout).
    MemFs fs;
    fs.files["/etc/ssh/sshd_config.d/10-hard.conf"] =
        "PasswordAuthentication no\nPermitRootLogin no\n";
    fs.files["/etc/ssh/sshd_config.d/20-soft.conf"] =
        "PasswordAuthentication yes\nMaxSessions 3\nMatch User nixbld2\n  PermitRootLogin yes\n";
    fs.files["/etc/ssh/sshd_config.d/skip.txt"] = "MaxSessions 99\n";
    const auto c = parse_sshd_config(
        "Include sshd_config.d/*.conf\nHostKey /tmp/x/hk\nPasswordAuthentication yes\n"
        "PermitRootLogin prohibit-password\nMaxSessions 5\nMatch User nixbld1\n  Include "
        "sshd_config.d/*.conf\n"
        "  KbdInteractiveAuthentication no\n",
        "inc.conf", fs.source());
    ASSERT_TRUE(c.diagnostics.empty());

    const auto g = evaluate_sshd_config(c, {});
    EXPECT_EQ(g.max_sessions.value, "3");
    EXPECT_EQ(g.max_sessions.origin.describe(), "/etc/ssh/sshd_config.d/20-soft.conf:2");
    EXPECT_EQ(g.permit_root_login.value, "no");
    EXPECT_EQ(g.password_authentication.value, "no");
    EXPECT_EQ(g.password_authentication.origin.describe(), "/etc/ssh/sshd_config.d/10-hard.conf:1");
    EXPECT_EQ(g.kbd_interactive_authentication.value, "yes");

    const auto n1 = evaluate_sshd_config(c, connection("nixbld1"));
    EXPECT_EQ(n1.max_sessions.value, "3");
    EXPECT_EQ(n1.permit_root_login.value, "no");
    EXPECT_EQ(n1.password_authentication.value, "no");
    EXPECT_EQ(n1.kbd_interactive_authentication.value, "no");
    EXPECT_EQ(n1.kbd_interactive_authentication.origin.describe(), "inc.conf:8");

    const auto n2 = evaluate_sshd_config(c, connection("nixbld2"));
    EXPECT_EQ(n2.permit_root_login.value, "yes");
    EXPECT_EQ(n2.permit_root_login.origin.describe(), "/etc/ssh/sshd_config.d/20-soft.conf:4");
    EXPECT_EQ(n2.kbd_interactive_authentication.value, "yes");

    const auto root = evaluate_sshd_config(c, connection("root"));
    EXPECT_EQ(root.permit_root_login.value, "no");
    EXPECT_EQ(root.password_authentication.value, "no");
}

TEST(SshdConfigEvaluate, ListsAndForceCommand) {
    const std::string env =
        kHostKey +
        "Port 22\nPort 2222\nListenAddress 127.0.0.1\nListenAddress [::1]:2200\n"
        "AcceptEnv LANG LC_*\nAcceptEnv NIX_*\nSetEnv PATH=/run/current-system/sw/bin A=1\n"
        "SetEnv B=2\nForceCommand /usr/bin/restricted\nDenyGroups wheel\nMatch User nixbld1\n"
        "  AcceptEnv ONLY_THIS\n  ForceCommand none\n"
        "  SetEnv PATH=/nix/var/nix/profiles/default/bin PATH=/dup\nMatch all\n"
        "  PermitRootLogin no\n  DenyUsers mallory\n";
    const auto c = parse_sshd_config(env, "env.conf", {});
    ASSERT_TRUE(c.diagnostics.empty());
    const auto g = evaluate_sshd_config(c, connection("nixbld2"));
    EXPECT_EQ(values(g.ports), (std::vector<std::string>{"22", "2222"}));
    EXPECT_EQ(values(g.listen_addresses), (std::vector<std::string>{"127.0.0.1", "[::1]:2200"}));
    EXPECT_EQ(values(g.accept_env), (std::vector<std::string>{"LANG", "LC_*", "NIX_*"}));
    EXPECT_EQ(g.set_env.values,
              (std::vector<std::string>{"PATH=/run/current-system/sw/bin", "A=1"}));
    EXPECT_EQ(g.force_command.value, "/usr/bin/restricted");
    EXPECT_EQ(g.permit_root_login.value, "no");
    EXPECT_EQ(values(g.deny_users), (std::vector<std::string>{"mallory"}));
    EXPECT_EQ(values(g.deny_groups), (std::vector<std::string>{"wheel"}));

    const auto n1 = evaluate_sshd_config(c, connection("nixbld1"));
    EXPECT_EQ(values(n1.accept_env), (std::vector<std::string>{"ONLY_THIS"}));
    EXPECT_EQ(n1.force_command.value, "");
    EXPECT_EQ(n1.force_command.as_written, "none");
    EXPECT_EQ(n1.set_env.values,
              (std::vector<std::string>{"PATH=/nix/var/nix/profiles/default/bin"}));
}

TEST(SshdConfigEvaluate, MatchAllIsGlobalToo) {
    const auto c = parse(kHostKey + "Match all\n  Port 2022\n  PasswordAuthentication no\n");
    EXPECT_TRUE(c.diagnostics.empty());
    const auto e = evaluate_sshd_config(c, {});
    EXPECT_EQ(values(e.ports), (std::vector<std::string>{"2022"}));
    EXPECT_EQ(e.password_authentication.value, "no");
}

TEST(SshdConfigEvaluate, MatchCriteria) {
    const auto c = parse(
        "Match Group nixbld,!wheel\n  MaxSessions 1\nMatch Address 10.0.0.0/8 LocalAddress "
        "192.0.2.1\n  MaxAuthTries 2\n"
        "Match RDomain vrf*\n  Banner /b\nMatch Invalid-User\n  PasswordAuthentication no\n"
        "Match Version OpenSSH_9.*\n  PubkeyAuthentication no\nMatch Host *.LAN\n  PermitRootLogin "
        "no\n");
    auto ctx = connection("nixbld1", "10.2.3.4", {"nixbld"});
    ctx.local_address = "192.0.2.1";
    ctx.host = "b.lan";
    auto e = evaluate_sshd_config(c, ctx);
    EXPECT_EQ(e.max_sessions.value, "1");
    EXPECT_EQ(e.max_auth_tries.value, "2");
    EXPECT_EQ(e.password_authentication.value, "yes");
    EXPECT_EQ(e.pubkey_authentication.value, "no");  // OpenSSH_9.2p1
    EXPECT_EQ(e.permit_root_login.value, "no");      // host patterns are case-insensitive
    ASSERT_EQ(e.notes.size(), 1u);                   // no routing domain given
    EXPECT_EQ(format_diagnostic(e.notes[0]),
              "/etc/ssh/sshd_config:5: Match RDomain not evaluated: no routing domain given for "
              "the connection; taken "
              "as not matching");

    ctx.groups = {"nixbld", "wheel"};  // a negated group wins
    ctx.user_invalid = true;
    ctx.version = "OpenSSH_8.9p1";
    e = evaluate_sshd_config(c, ctx);
    EXPECT_EQ(e.max_sessions.value, "10");
    EXPECT_EQ(e.password_authentication.value, "no");
    EXPECT_EQ(e.pubkey_authentication.value, "yes");
}

TEST(SshdConfigEvaluate, BadAlgorithmListIsNoted) {
    const auto e =
        evaluate_sshd_config(parse("PubkeyAcceptedAlgorithms ssh-ed25519,!ssh-rsa\n"), {});
    ASSERT_EQ(e.notes.size(), 1u);
    EXPECT_EQ(e.pubkey_accepted_algorithms.value, kDefaultAlgorithms);
}

// ----- algorithms, access, paths ----------------------------------------------------------------

TEST(SshdAlgorithms, Assembly) {
    EXPECT_EQ(join(*sshd_assemble_pubkey_algorithms("")), kDefaultAlgorithms);
    EXPECT_EQ(join(*sshd_assemble_pubkey_algorithms("-ssh-ed25519*,ecdsa*,sk-*,rsa-sha2-512*")),
              "rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-256");
    EXPECT_EQ(join(*sshd_assemble_pubkey_algorithms("+ssh-rsa,,ssh-dss")),
              kDefaultAlgorithms + ",ssh-rsa");
    EXPECT_EQ(join(*sshd_assemble_pubkey_algorithms("ssh-ed25519,,ssh-dss")),
              "ssh-ed25519,ssh-dss");
    std::string error;
    EXPECT_FALSE(sshd_assemble_pubkey_algorithms("nothing-matches-*", &error));
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(sshd_known_pubkey_algorithms().size(), 21u);
}

TEST(SshdAccess, OrderOfChecks) {
    SshdEffective e;
    std::string why;
    EXPECT_TRUE(sshd_user_allowed(e, "nix", {"nix"}, "10.0.0.1", "10.0.0.1", &why));

    e.deny_users = {{"mallory", {}}, {"*@192.168.*", {"f", 3}}};
    EXPECT_FALSE(sshd_user_allowed(e, "mallory", {}, "10.0.0.1", "10.0.0.1", &why));
    EXPECT_EQ(why, "User mallory from 10.0.0.1 not allowed because listed in DenyUsers (default)");
    EXPECT_FALSE(sshd_user_allowed(e, "nix", {}, "192.168.1.1", "192.168.1.1", &why));
    EXPECT_EQ(why, "User nix from 192.168.1.1 not allowed because listed in DenyUsers (f:3)");

    e.allow_users = {{"nix@10.0.0.0/8", {}}, {"root", {}}};
    EXPECT_TRUE(sshd_user_allowed(e, "nix", {"nix"}, "10.0.0.1", "10.0.0.1", &why));
    EXPECT_FALSE(sshd_user_allowed(e, "nix", {"nix"}, "172.16.0.1", "172.16.0.1", &why));
    EXPECT_EQ(why, "User nix from 172.16.0.1 not allowed because not listed in AllowUsers");

    e.deny_groups = {{"wheel", {}}};
    EXPECT_FALSE(sshd_user_allowed(e, "root", {"root", "wheel"}, "h", "10.0.0.1", &why));
    EXPECT_EQ(why, "User root from h not allowed because a group is listed in DenyGroups");
    EXPECT_FALSE(sshd_user_allowed(e, "root", {}, "h", "10.0.0.1", &why));
    EXPECT_EQ(why, "User root from h not allowed because not in any group");

    e.allow_groups = {{"nix*", {}}};
    EXPECT_FALSE(sshd_user_allowed(e, "root", {"root"}, "h", "10.0.0.1", &why));
    EXPECT_EQ(
        why,
        "User root from h not allowed because none of user's groups are listed in AllowGroups");
    EXPECT_TRUE(sshd_user_allowed(e, "root", {"root", "nixbld"}, "h", "10.0.0.1", nullptr));
}

TEST(SshdAccess, EffectiveListsFeedTheCheck) {
    const auto c = parse("AllowUsers alice\nMatch Address 10.0.0.0/8\n  AllowUsers nix\n");
    const auto far = evaluate_sshd_config(c, connection("nix", "192.0.2.1"));
    EXPECT_FALSE(sshd_user_allowed(far, "nix", {"nix"}, "192.0.2.1", "192.0.2.1", nullptr));
    const auto near = evaluate_sshd_config(c, connection("nix", "10.0.0.9"));
    EXPECT_TRUE(sshd_user_allowed(near, "nix", {"nix"}, "10.0.0.9", "10.0.0.9", nullptr));
    EXPECT_FALSE(sshd_user_allowed(near, "alice", {"alice"}, "10.0.0.9", "10.0.0.9", nullptr));
}

TEST(SshdPaths, AuthorizedKeysExpansion) {
    bool ok = false;
    EXPECT_EQ(
        sshd_expand_authorized_keys_path(".ssh/authorized_keys", "/home/nix", "nix", 1000, &ok),
        "/home/nix/.ssh/authorized_keys");
    EXPECT_TRUE(ok);
    EXPECT_EQ(
        sshd_expand_authorized_keys_path("/etc/ssh/keys/%u.%U%%", "/home/nix", "nix", 1000, &ok),
        "/etc/ssh/keys/nix.1000%");
    EXPECT_EQ(sshd_expand_authorized_keys_path("%h/k", "/var/empty", "x", 1), "/var/empty/k");
    EXPECT_EQ(sshd_expand_authorized_keys_path("~/k", "/home/nix", "nix", 1000, &ok, "/var/root"),
              "/var/root/k");
    sshd_expand_authorized_keys_path("/k/%x", "/h", "u", 1, &ok);
    EXPECT_FALSE(ok);
}

TEST(SshdConfigParse, HostileInput) {
    std::string text;
    for (int i = 0; i < 20000; ++i)
        text += "Match Address " + std::string(200, '*') + "\nAllowUsers a@b\n";
    text += std::string(1u << 20, '!') + "\n";
    const auto c = parse(text);
    const auto e = evaluate_sshd_config(c, connection("a"));
    EXPECT_EQ(e.allow_users.size(), 20000u);
}
