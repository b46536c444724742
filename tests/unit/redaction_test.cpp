// Secrets never leave the program, and hostile bytes never crash an output (issue 7, items 5 and 6).
// Unit tests of util/redact and util/output, then the real binary over every golden case and
// example in every output format: no line of any private key in the case's trees (the keys under
// tests/golden/redact-* are generated for these tests only), and nothing listed in the case's
// `secrets` file, may appear in any output.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "nix_builder_doctor/util/encoding.hpp"
#include "nix_builder_doctor/util/output.hpp"
#include "nix_builder_doctor/util/redact.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace {

namespace fs = std::filesystem;
using namespace nbd;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const fs::path kGolden = fs::path(NBD_SOURCE_DIR) / "tests/golden";

std::string openssh_key() { return slurp(kGolden / "redact-builders-file-openssh-key/root/root/.ssh/id_ed25519"); }
std::string pem_key() { return slurp(kGolden / "redact-builders-file-pem-key/root/etc/nix/machines"); }
// The test-only Nix signing secret key written into that case's nix.conf.
std::string nix_secret_key() {
    const std::string conf = slurp(kGolden / "redact-nix-secret-key/root/etc/nix/nix.conf");
    for (auto line : util::split_lines(conf))
        if (util::starts_with(line, "trusted-public-keys")) return util::split_tokens(line).back();
    return "";
}

// The base64 lines inside every private key block of a text, without their `=` padding (a
// parser may split there), when at least 5 characters remain.
std::vector<std::string> key_lines(const std::string& text) {
    std::vector<std::string> out;
    bool inside = false;
    for (auto line : util::split_lines(text)) {
        const std::string l(util::trim(line));
        if (l.find("PRIVATE KEY") != std::string::npos && l.find("BEGIN") != std::string::npos) inside = true;
        else if (l.find("PRIVATE KEY") != std::string::npos && l.find("END") != std::string::npos) inside = false;
        else if (inside && l.find(':') == std::string::npos) {
            const std::string core(util::trim(l, "="));
            if (core.size() >= 5) out.push_back(core);
        }
    }
    return out;
}

std::string lower(std::string s) { return util::to_lower(s); }

TEST(Redact, OpenSshKeyBlockIsReplacedWhole) {
    const std::string key = openssh_key();
    const std::string out = util::redact("before\n" + key + "after");
    EXPECT_NE(out.find(util::kRedactedPrivateKey), std::string::npos);
    EXPECT_NE(out.find("before"), std::string::npos);
    EXPECT_NE(out.find("after"), std::string::npos);
    ASSERT_FALSE(key_lines(key).empty());
    for (const auto& l : key_lines(key)) EXPECT_EQ(out.find(l), std::string::npos) << l;
    EXPECT_EQ(out.find("BEGIN OPENSSH"), std::string::npos);
}

TEST(Redact, FullBodyLinesAloneAreRecognised) {
    util::forget_noted_secrets();
    for (const auto& key : {openssh_key(), pem_key()}) {
        const auto lines = key_lines(key);
        for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
            const std::string quoted = "/etc/nix/machines:" + std::to_string(i + 2) + ": bad machine line 'ssh://" + lines[i] + "'";
            const std::string out = util::redact(quoted);
            EXPECT_EQ(out.find(lines[i]), std::string::npos) << out;
            EXPECT_NE(out.find("/etc/nix/machines:"), std::string::npos);
        }
    }
}

TEST(Redact, NotedKeyLinesAreRecognisedEvenShortAndLowercased) {
    util::forget_noted_secrets();
    // A short last line (the keys in the golden cases happen to end on full lines).
    const std::string key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + key_lines(openssh_key())[0] + "\nZW5kc2hvcnQ=\n-----END OPENSSH PRIVATE KEY-----\n";
    const std::string last = "ZW5kc2hvcnQ=";
    EXPECT_EQ(util::redact("host " + last), "host " + last);  // not recognisable alone
    EXPECT_TRUE(util::note_secrets_in(key));
    EXPECT_EQ(util::redact("host " + last), "host " + std::string(util::kRedactedPrivateKey));
    EXPECT_EQ(util::redact("keyword " + lower(last)).find(lower(last)), std::string::npos);
    util::forget_noted_secrets();
}

TEST(Redact, ArmorLinesAndPuttyFiles) {
    EXPECT_EQ(util::redact("x '-----END RSA PRIVATE KEY-----' y"), "x '" + std::string(util::kRedactedPrivateKey) + "' y");
    EXPECT_EQ(util::redact("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nAAAA\n---- END SSH2 ENCRYPTED PRIVATE KEY ----"),
              std::string(util::kRedactedPrivateKey));
    EXPECT_EQ(util::redact("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAA"),
              std::string(util::kRedactedPrivateKey));
    EXPECT_TRUE(util::is_private_key_file("\n" + openssh_key()));
    EXPECT_TRUE(util::is_private_key_file(pem_key()));
    EXPECT_FALSE(util::is_private_key_file("ssh://a x86_64-linux\n" + pem_key()));
    EXPECT_TRUE(util::contains_private_key("ssh://a x86_64-linux\n" + pem_key()));
    // A key flattened onto one line (newlines lost in a paste).
    EXPECT_EQ(util::redact("a -----BEGIN OPENSSH PRIVATE KEY----- QUJD RE VG -----END OPENSSH PRIVATE KEY----- z"),
              "a " + std::string(util::kRedactedPrivateKey) + " z");
    // Prose about keys is not armor.
    EXPECT_EQ(util::redact("the PRIVATE KEY of root"), "the PRIVATE KEY of root");
}

TEST(Redact, Base64OfAKeyFile) {
    const std::string b64 = util::base64_encode(openssh_key());
    EXPECT_EQ(util::redact("column 8: " + b64), "column 8: " + std::string(util::kRedactedPrivateKey));
}

TEST(Redact, NixSecretKeyButNotPublicKeysOrSignatures) {
    const std::string secret = nix_secret_key();
    ASSERT_FALSE(secret.empty());
    const std::string name = secret.substr(0, secret.find(':') + 1);
    EXPECT_EQ(util::redact("entry '" + secret + "' is malformed"), "entry '" + name + std::string(util::kRedactedNixSecretKey) + "' is malformed");
    const std::string pub = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
    EXPECT_EQ(util::redact(pub), pub);
    // 64 bytes that are not seed||public: a signature has this shape and is public.
    const std::string sig = "cache.nixos.org-1:" + util::base64_encode(std::string(64, '\x5a'));
    EXPECT_EQ(util::redact(sig), sig);
    const std::string sri = "sha512-" + util::base64_encode(std::string(64, '\x11'));
    EXPECT_EQ(util::redact(sri), sri);
}

TEST(Redact, AccessTokens) {
    EXPECT_EQ(util::redact("nix.conf:3: access-tokens = github.com=abc gitlab.com=PAT:def\nnext"),
              "nix.conf:3: access-tokens = " + std::string(util::kRedactedToken) + "\nnext");
    EXPECT_EQ(util::redact("token ghp_0123456789abcdefABCDEF0123 end"), "token " + std::string(util::kRedactedToken) + " end");
}

TEST(Redact, PublicMaterialIsLeftAlone) {
    for (const std::string s : {
             "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEThd2D2f+RGc8WUZP/Ae1IG1C5fiYT7WCPly6DzXADw builder_host@example",
             "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
             "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-hello-2.12.1",
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             "ssh://nixbuild@builder.example.org x86_64-linux /root/.ssh/nixbuild 8 2 big-parallel - -",
         })
        EXPECT_EQ(util::redact(s), s);
}

TEST(Redact, JsonKeysAndValues) {
    const std::string line = key_lines(openssh_key())[1];
    nlohmann::json j = {{"builders", {{{"uri", "ssh://" + line}}}}, {line, 1}};
    util::redact_json(j);
    EXPECT_EQ(j.dump().find(line), std::string::npos) << j.dump();
}

TEST(SafeOutput, InvalidUtf8NeverThrows) {
    nlohmann::json j = {{"bad\xff key", "host\xfe\xc3"}};
    std::string out;
    ASSERT_NO_THROW(out = util::dump_json(j));
    EXPECT_TRUE(nlohmann::json::accept(out));
    EXPECT_NE(out.find("\xef\xbf\xbd"), std::string::npos) << out;
}

TEST(SafeOutput, TextEscapesControlsAndReplacesBadBytes) {
    EXPECT_EQ(util::safe_text("a\x1b[2Jb\n\tc\r\x07\x7f"), "a\\x1b[2Jb\n\tc\\x0d\\x07\\x7f");
    EXPECT_EQ(util::safe_text("bu\xffilder"), "bu\xef\xbf\xbdilder");
    EXPECT_EQ(util::safe_text("csi \xc2\x9b"), "csi \\x9b");
    EXPECT_EQ(util::safe_text("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
    EXPECT_EQ(util::safe_text("host \xe2\x80\xaegro.elpmaxe"), "host \\u202egro.elpmaxe");
    EXPECT_EQ(util::safe_text("overlong \xc0\xaf"), "overlong \xef\xbf\xbd\xef\xbf\xbd");
}

// ---- the real binary --------------------------------------------------------------------------

struct RunResult {
    int code = -1;
    std::string out;  // stdout and stderr
};

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

RunResult run(const std::string& command) {
    RunResult r;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
    const int status = ::pclose(pipe);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// Every secret of a case: the key lines of every file in its trees, and its `secrets` file.
std::vector<std::string> case_secrets(const fs::path& dir) {
    std::vector<std::string> out;
    for (const char* tree : {"root", "builder"}) {
        if (!fs::is_directory(dir / tree)) continue;
        for (const auto& e : fs::recursive_directory_iterator(dir / tree))
            if (!e.is_symlink() && e.is_regular_file())  // a symlink loop is a case of its own
                for (auto& l : key_lines(slurp(e.path()))) out.push_back(l);
    }
    const std::string listed = fs::exists(dir / "secrets") ? slurp(dir / "secrets") : "";
    for (auto line : util::split_lines(listed))
        if (!line.empty()) out.emplace_back(line);
    return out;
}

std::vector<fs::path> all_cases() {
    std::vector<fs::path> cases;
    for (const char* d : {"examples", "tests/golden"}) {
        const fs::path base = fs::path(NBD_SOURCE_DIR) / d;
        if (!fs::is_directory(base)) continue;
        for (const auto& e : fs::directory_iterator(base))
            if (e.is_directory() && fs::exists(e.path() / "args")) cases.push_back(e.path());
    }
    std::sort(cases.begin(), cases.end());
    return cases;
}

std::string case_args(const fs::path& dir, const fs::path& work) {
    std::string args;
    const std::string text = slurp(dir / "args");
    for (auto line : util::split_lines(text)) {
        if (line.empty()) continue;
        std::string l(line);
        for (auto at = l.find("@DIR@"); at != std::string::npos; at = l.find("@DIR@")) l.replace(at, 5, work.string());
        args += " " + quote(l);
    }
    return args;
}

void expect_no_secret(const std::string& output, const std::vector<std::string>& secrets, const std::string& what) {
    const std::string lowered = lower(output);
    for (const auto& s : secrets) {
        EXPECT_EQ(output.find(s), std::string::npos) << what << " prints the secret " << s;
        EXPECT_EQ(lowered.find(lower(s)), std::string::npos) << what << " prints the secret (lower-cased) " << s;
    }
}

TEST(RedactBinary, NoOutputOfAnyCaseContainsItsSecrets) {
    int with_secrets = 0;
    for (const auto& dir : all_cases()) {
        const auto secrets = case_secrets(dir);
        if (secrets.empty()) continue;
        ++with_secrets;
        const fs::path work = fs::temp_directory_path() / ("nbd-redact-" + dir.filename().string() + "-" + std::to_string(::getpid()));
        fs::remove_all(work);
        fs::copy(dir, work, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
        const std::string base = std::string(NBD_BINARY) + " --offline --root " + quote((work / "root").string()) + case_args(dir, work);
        for (const std::string format : {" --format json", " --format text --color always", " --dump-facts"}) {
            const RunResult r = run(base + format);
            EXPECT_TRUE(r.code == 0 || r.code == 1) << dir << format << " exit " << r.code << "\n" << r.out;
            expect_no_secret(r.out, secrets, dir.filename().string() + format);
        }
        fs::remove_all(work);
    }
    EXPECT_GE(with_secrets, 4);
}

TEST(RedactBinary, BuildersFileThatIsAPrivateKeyIsReportedAsSuch) {
    for (const char* name : {"redact-builders-file-openssh-key", "redact-builders-file-pem-key"}) {
        const fs::path dir = kGolden / name;
        const RunResult r = run(std::string(NBD_BINARY) + " --offline --format json --user alice --root " + quote((dir / "root").string()));
        ASSERT_EQ(1, r.code) << r.out;
        const auto j = nlohmann::json::parse(r.out);
        int found = 0;
        for (const auto& f : j["findings"]) {
            if (f["rule"] != "machines.builders-file-is-private-key") continue;
            ++found;
            EXPECT_NE(f["message"].get<std::string>().find("is a private key, not a list of builders"), std::string::npos) << f.dump();
        }
        EXPECT_EQ(1, found) << r.out;
        EXPECT_TRUE(j["builders"].empty()) << j["builders"].dump();  // no key line became a builder
    }
}

TEST(RedactBinary, BuildersOptionWithAPastedKey) {
    const std::string key = openssh_key();
    const std::string base = std::string(NBD_BINARY) + " --offline --root " + quote((kGolden / "machines-parse-error/root").string()) +
                             " --user alice";
    for (const std::string format : {" --format json", " --format text", " --dump-facts"}) {
        // After a builder line: parsed, the key blanked and reported.
        const RunResult r = run(base + " --builders " + quote("ssh://nixbuild@builder.example.org x86_64-linux\n" + key) + format);
        EXPECT_TRUE(r.code == 0 || r.code == 1) << format << " exit " << r.code << "\n" << r.out;
        expect_no_secret(r.out, key_lines(key), "--builders LINE+KEY" + format);
        if (format == " --format json") {
            EXPECT_NE(r.out.find("machines.builders-file-is-private-key"), std::string::npos) << r.out;
        }
        // Alone it starts with `-`: a usage error, which must not quote it either.
        const RunResult u = run(base + " --builders=" + quote(key) + format);
        EXPECT_EQ(2, u.code) << u.out;
        expect_no_secret(u.out, key_lines(key), "--builders=KEY" + format);
    }
}

TEST(RedactBinary, ExplainEvidenceNeverQuotesAKey) {
    const fs::path log = fs::temp_directory_path() / ("nbd-redact-log-" + std::to_string(::getpid()));
    const std::string key = openssh_key() + pem_key();
    {
        std::ofstream out(log, std::ios::binary);
        out << "building '/nix/store/abc-x.drv' on 'ssh://nixbuild@builder'...\n";
        out << key;  // pasted into the log by a user
        for (const auto& l : key_lines(key))
            out << "error: bad machine specification: failed to convert column #3 in a row: '" << l << "' to 'unsigned int'\n";
        out << "error: trusted-public-keys: " << nix_secret_key() << " key is corrupt\n";
    }
    std::vector<std::string> secrets = key_lines(key);
    const std::string nsk = nix_secret_key();
    secrets.push_back(nsk.substr(nsk.find(':') + 1));
    for (const std::string format : {" --format json", " --format text"}) {
        const RunResult r = run(std::string(NBD_BINARY) + " explain " + quote(log.string()) + format);
        EXPECT_TRUE(r.code == 0 || r.code == 1) << format << " exit " << r.code << "\n" << r.out;
        EXPECT_NE(r.out.find("machines.parse-error"), std::string::npos) << r.out;
        expect_no_secret(r.out, secrets, "explain" + format);
    }
    fs::remove(log);
}

// Item 6: invalid UTF-8 anywhere made every JSON output exit 3 (type_error.316).
TEST(HostileBytes, EveryOutputSurvivesInvalidUtf8AndEscapes) {
    const fs::path dir = kGolden / "hostile-bytes";
    const std::string base = std::string(NBD_BINARY) + " --offline --user alice --root " + quote((dir / "root").string());
    for (const std::string format : {" --format json", " --format text", " --dump-facts"}) {
        const RunResult r = run(base + format);
        EXPECT_TRUE(r.code == 0 || r.code == 1) << format << " exit " << r.code << "\n" << r.out;
        if (format != " --format text") EXPECT_TRUE(nlohmann::json::accept(r.out)) << format << "\n" << r.out;
        else EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
        EXPECT_EQ(r.out.find("type_error"), std::string::npos) << r.out;
    }
    // --builders with bad bytes and an escape sequence.
    for (const std::string format : {" --format json", " --format text", " --dump-facts"}) {
        const RunResult r = run(base + " --builders " + quote("ssh://nixbuild@b\xff\x1b[2Jx x86_64-linux") + format);
        EXPECT_TRUE(r.code == 0 || r.code == 1) << format << " exit " << r.code << "\n" << r.out;
        if (format == " --format text") EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
        else EXPECT_TRUE(nlohmann::json::accept(r.out)) << format << "\n" << r.out;
    }
    // An explain log line with bad bytes and escapes, as evidence.
    const fs::path log = fs::temp_directory_path() / ("nbd-hostile-log-" + std::to_string(::getpid()));
    std::ofstream(log, std::ios::binary) << "error: bad machine specification: \xff\xfe \x1b]0;pwned\x07 '\x1b[2J'\n";
    for (const std::string format : {" --format json", " --format text"}) {
        const RunResult r = run(std::string(NBD_BINARY) + " explain " + quote(log.string()) + format);
        EXPECT_TRUE(r.code == 0 || r.code == 1) << format << " exit " << r.code << "\n" << r.out;
        EXPECT_NE(r.out.find("machines.parse-error"), std::string::npos) << r.out;
        if (format == " --format json") EXPECT_TRUE(nlohmann::json::accept(r.out)) << r.out;
        else EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
    }
    fs::remove(log);
}

}  // namespace
