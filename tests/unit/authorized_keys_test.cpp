// Tests of authorized_keys parsing (src/parse/authorized_keys*.cpp).
//
// Verified against a throwaway OpenSSH 9.2p1 sshd on 127.0.0.1:2299 (`sshd -f cfg -ddd -r -E log`,
// AuthorizedKeysFile pointing at a one-line file, StrictModes no) and
// `ssh -i ed25519 -p 2299 root@127.0.0.1 true` with the throwaway ed25519 key below, one line at
// a time. sshd's verdicts (log line after "authorized_keys:1:") were:
//   command="nix-store --serve --write",restrict,from="127.0.0.0/8" KEY nix  -> accepted,
//       forced command: "nix-store --serve --write"
//   RESTRICT,No-Pty KEY; restrict,,pty KEY; restrict,,  KEY; tunnel="any" KEY;
//   permitlisten="8080" KEY; permitopen="[::1]:22" KEY; environment="1BAD=x" KEY;
//   command="a \"b\" c" KEY (ran `a "b" c`)                                   -> accepted
//   restrict,pty,command="true" KEY                -> accepted, "key options: command pty"
//   restrictx KEY; no-cert-authority KEY           -> "bad key options: unknown key option"
//   from=127.0.0.1 KEY                             -> "bad key options: missing start quote"
//   environment="NOEQ" KEY                         -> "bad key options: invalid environment string"
//   permitopen="host" KEY; permitopen="host:0" KEY -> "bad key options: invalid permission port"
//   expiry-time="2020010" KEY                      -> "bad key options: invalid expires time"
//   tunnel="x" KEY                                 -> "bad key options: invalid tun device"
//   command="x",command="y" KEY                    -> "bad key options: multiple "command" clauses"
//   restrict,KEY (no blank); bogus; a bare base64 blob; rsa-sha2-512 <ed25519 blob>
//                                                  -> "advance: ..." (no key: line skipped)
//   command="unterminated KEY                      -> refused (invalid key option string)
//   cert-authority KEY                             -> refused for the plain key
//   expiry-time="20200101" KEY                     -> "entry expired at 2020-01-01T00:00:00"
//   from="10.0.0.0/8" KEY                          -> "not from a permitted host"
// The last three parse fine: they are decisions at login time, left to the caller.
#include "nix_builder_doctor/parse/authorized_keys.hpp"

#include <gtest/gtest.h>

namespace nbd::parse {
namespace {

// A throwaway key generated for the tests.
const std::string kKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWenVNa3";
const std::string kBlob = "AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWenVNa3";
const std::string kFingerprint = "SHA256:ZNPAIVghs6+iJ4tMGplVTSANVBj90SnqqsT7pt4/PZ8";

AuthorizedKeyEntry one(const std::string& line) {
    const auto ak = parse_authorized_keys(line + "\n", "ak");
    EXPECT_EQ(ak.entries.size(), 1u) << line;
    return ak.entries.empty() ? AuthorizedKeyEntry{} : ak.entries[0];
}

std::string error_of(const std::string& line) { return one(line).error; }

TEST(AuthorizedKeys, PlainKeysCommentsAndBlankLines) {
    const std::string text =
        "# keys for nix\n\n" + kKey + " alice@laptop\r\n   \t\n  " + kKey + "\n   # indented\n";
    const auto ak = parse_authorized_keys(text, "/home/nix/.ssh/authorized_keys");
    EXPECT_TRUE(ak.diagnostics.empty());
    ASSERT_EQ(ak.entries.size(), 2u);
    EXPECT_EQ(ak.entries[0].line, 3);
    EXPECT_EQ(ak.entries[0].key->comment, "alice@laptop");
    EXPECT_EQ(ak.entries[0].key->fingerprint, kFingerprint);
    EXPECT_TRUE(ak.entries[0].options.empty());
    EXPECT_EQ(ak.entries[0].options_text, "");
    EXPECT_EQ(ak.entries[1].line, 5);
    EXPECT_TRUE(ak.entries[1].error.empty());
    EXPECT_EQ(ak.file, "/home/nix/.ssh/authorized_keys");
}

TEST(AuthorizedKeys, NixStoreServeLine) {
    const auto e =
        one("command=\"nix-store --serve --write\",restrict,from=\"127.0.0.0/8\" " + kKey + " nix");
    EXPECT_TRUE(e.error.empty()) << e.error;
    EXPECT_EQ(e.options_text,
              "command=\"nix-store --serve --write\",restrict,from=\"127.0.0.0/8\"");
    EXPECT_EQ(e.command, "nix-store --serve --write");
    EXPECT_EQ(e.from, "127.0.0.0/8");
    EXPECT_TRUE(e.restrict);
    EXPECT_TRUE(e.no_pty);
    EXPECT_TRUE(e.no_port_forwarding);
    EXPECT_TRUE(e.no_agent_forwarding);
    EXPECT_TRUE(e.no_x11_forwarding);
    EXPECT_TRUE(e.no_user_rc);
    ASSERT_EQ(e.options.size(), 3u);
    EXPECT_EQ(e.options[0].name, "command");
    EXPECT_EQ(e.options[0].value, "nix-store --serve --write");
    EXPECT_EQ(e.options[1].name, "restrict");
    EXPECT_FALSE(e.options[1].value);
    EXPECT_EQ(e.key->comment, "nix");
}

TEST(AuthorizedKeys, FlagsAreCaseInsensitiveAndOrdered) {
    auto e = one("RESTRICT,No-Pty " + kKey);
    EXPECT_TRUE(e.error.empty());
    EXPECT_TRUE(e.restrict);
    EXPECT_TRUE(e.no_pty);
    EXPECT_EQ(e.options[1].name, "no-pty");
    e = one("restrict,pty,command=\"true\" " + kKey);
    EXPECT_FALSE(e.no_pty);  // "key options: command pty"
    EXPECT_TRUE(e.no_port_forwarding);
    e =
        one("no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc,no-touch-required,"
            "verify-required " +
            kKey);
    EXPECT_TRUE(e.error.empty()) << e.error;
    EXPECT_FALSE(e.restrict);
    EXPECT_FALSE(e.no_pty);
    EXPECT_TRUE(e.no_port_forwarding && e.no_agent_forwarding && e.no_x11_forwarding &&
                e.no_user_rc);
    EXPECT_TRUE(e.no_touch_required);
    EXPECT_TRUE(e.verify_required);
}

TEST(AuthorizedKeys, EmptyOptionsAndTrailingCommaBeforeTheKey) {
    EXPECT_EQ(error_of("restrict,,pty " + kKey), "");
    EXPECT_EQ(error_of("restrict,,  " + kKey), "");
    EXPECT_EQ(error_of("restrict, " + kKey), "");
}

TEST(AuthorizedKeys, QuotedValuesWithCommasBlanksAndEscapes) {
    const auto e = one("command=\"a \\\"b\\\" c, d\",environment=\"A=1 2\" " + kKey);
    EXPECT_TRUE(e.error.empty()) << e.error;
    EXPECT_EQ(e.command, "a \"b\" c, d");
    EXPECT_EQ(e.environment, (std::vector<std::string>{"A=1 2"}));
}

TEST(AuthorizedKeys, ValuedOptions) {
    const auto e = one(
        "cert-authority,principals=\"nix,root\",expiry-time=\"20991231\",expiry-time=\"20990101Z\","
        "environment=\"PATH=/bin\",environment=\"PATH=/usr/"
        "bin\",environment=\"1BAD=x\",permitopen=\"[::1]:22\","
        "permitopen=\"host:*\",permitlisten=\"8080\",tunnel=\"any\" " +
        kKey);
    EXPECT_TRUE(e.error.empty()) << e.error;
    EXPECT_TRUE(e.cert_authority);
    EXPECT_EQ(e.principals, "nix,root");
    EXPECT_EQ(e.expiry_time, "20990101Z");  // the earliest wins
    EXPECT_EQ(e.environment, (std::vector<std::string>{"PATH=/bin", "1BAD=x"}));  // first per name
    EXPECT_EQ(e.permitopen, (std::vector<std::string>{"[::1]:22", "host:*"}));
    EXPECT_EQ(e.permitlisten, (std::vector<std::string>{"*:8080"}));
    EXPECT_EQ(e.tunnel, "any");
}

TEST(AuthorizedKeys, BadOptionsAsSshdReportsThem) {
    EXPECT_EQ(error_of("restrictx " + kKey), "bad key options: unknown key option 'restrictx'");
    EXPECT_EQ(error_of("no-cert-authority " + kKey),
              "bad key options: unknown key option 'no-cert-authority'");
    EXPECT_EQ(error_of("from=127.0.0.1 " + kKey), "bad key options: missing start quote");
    EXPECT_EQ(error_of("environment=\"NOEQ\" " + kKey),
              "bad key options: invalid environment string");
    EXPECT_EQ(error_of("environment=\"A-B=1\" " + kKey),
              "bad key options: invalid environment string");
    EXPECT_EQ(error_of("permitopen=\"host\" " + kKey), "bad key options: invalid permission port");
    EXPECT_EQ(error_of("permitopen=\"host:0\" " + kKey),
              "bad key options: invalid permission port");
    EXPECT_EQ(error_of("permitopen=\"[::1\" " + kKey),
              "bad key options: invalid permission hostname");
    EXPECT_EQ(error_of("expiry-time=\"2020010\" " + kKey), "bad key options: invalid expires time");
    EXPECT_EQ(error_of("expiry-time=\"20201301\" " + kKey),
              "bad key options: invalid expires time");
    EXPECT_EQ(error_of("tunnel=\"x\" " + kKey), "bad key options: invalid tun device");
    EXPECT_EQ(error_of("command=\"x\",command=\"y\" " + kKey),
              "bad key options: multiple \"command\" clauses");
    EXPECT_EQ(error_of("from=\"a\",from=\"b\" " + kKey),
              "bad key options: multiple \"from\" clauses");
}

TEST(AuthorizedKeys, BadOptionsKeepTheKeyAndSayWhy) {
    const auto ak =
        parse_authorized_keys("\nrestrictx " + kKey + " bob\n", "/root/.ssh/authorized_keys");
    ASSERT_EQ(ak.entries.size(), 1u);
    ASSERT_TRUE(ak.entries[0].key);
    EXPECT_EQ(ak.entries[0].key->fingerprint, kFingerprint);
    ASSERT_EQ(ak.diagnostics.size(), 1u);
    EXPECT_EQ(format_diagnostic(ak.diagnostics[0]),
              "/root/.ssh/authorized_keys:2: bad key options: unknown key option 'restrictx'; sshd "
              "ignores this key");
}

TEST(AuthorizedKeys, LinesWithoutAKey) {
    const std::string text = "bogus\n" + kBlob + "\nrestrict," + kKey + "\nrsa-sha2-512 " + kBlob +
                             "\ncommand=\"unterminated " + kKey +
                             "\n-----BEGIN OPENSSH PRIVATE KEY-----\n";
    const auto ak = parse_authorized_keys(text, "ak");
    ASSERT_EQ(ak.diagnostics.size(), 6u);
    EXPECT_EQ(ak.diagnostics[0].message,
              "not a valid key line: unknown key type 'bogus'; sshd skips this line");
    EXPECT_EQ(ak.diagnostics[1].message,
              "not a valid key line: the key type is missing: the first field is already the "
              "base64 blob of an "
              "ssh-ed25519 key; sshd skips this line");
    EXPECT_EQ(ak.diagnostics[2].message,
              "not a valid key line: the options run into the key type: put a blank before "
              "'ssh-ed25519'; sshd "
              "skips this line");
    EXPECT_EQ(
        ak.diagnostics[3].message,
        "not a valid key line: key type mismatch: the line says rsa-sha2-512 but the key blob is "
        "ssh-ed25519; sshd skips this line");
    EXPECT_EQ(
        ak.diagnostics[4].message,
        "bad key options: unterminated quote (invalid key option string); sshd skips this line");
    EXPECT_EQ(ak.diagnostics[5].message,
              "not a valid key line: this is PEM text (a private key?); authorized_keys needs the "
              "public key (the "
              ".pub file); sshd skips this line");
    EXPECT_EQ(ak.diagnostics[5].line, 6);
    for (const auto& e : ak.entries) {
        EXPECT_FALSE(e.key) << e.line;
        EXPECT_FALSE(e.error.empty());
    }
}

TEST(AuthorizedKeys, OptionsParserAlone) {
    AuthorizedKeyEntry e;
    EXPECT_EQ(parse_authorized_key_options("no-pty,command=\"x\"", e), "");
    EXPECT_TRUE(e.no_pty);
    EXPECT_EQ(e.command, "x");
    AuthorizedKeyEntry f;
    EXPECT_EQ(parse_authorized_key_options("pty,", f), "unexpected end-of-options");
    AuthorizedKeyEntry g;
    EXPECT_EQ(parse_authorized_key_options("command=\"x", g), "missing end quote");
}

TEST(AuthorizedKeys, HostileInput) {
    std::string big;
    for (int i = 0; i < 5000; ++i)
        big += std::string(100, ',') + " " + kKey + "\ncommand=\"" + std::string(200, 'x') +
               "\n\"\"\"\" x\n";
    const auto ak = parse_authorized_keys(big, "ak");
    // Every line with a key is kept; malformed lines are reported up to kMaxLineErrors.
    EXPECT_EQ(ak.entries.size(), 5000u + kMaxLineErrors);
    ASSERT_EQ(ak.diagnostics.size(), kMaxLineErrors + 1);
    EXPECT_EQ(format_diagnostic(ak.diagnostics.back()),
              "ak: 9000 more malformed lines not reported; sshd skips them");
    const auto quotes = parse_authorized_keys(std::string(1 << 20, '"'), "ak");
    EXPECT_EQ(quotes.entries.size(), 1u);
    const auto nul = parse_authorized_keys(std::string("a\0b\n\0\n", 6), "ak");
    EXPECT_EQ(nul.entries.size(), 2u);
}

}  // namespace
}  // namespace nbd::parse
