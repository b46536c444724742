// The explain corpus (tests/explain/<case>.log with <case>.expected, sources in SOURCES.md): real
// Nix 2.8 / OpenSSH 9.2 logs from the lab and logs reconstructed from public reports for Nix 2.0
// to 2.34. Every case goes through the library, a few through the real binary; and the binary
// streams 200 MB from a pipe in bounded memory.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/explain/analyzer.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace nbd;

const fs::path kCorpus = fs::path(NBD_SOURCE_DIR) / "tests" / "explain";

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Expectation {
    std::string first;    // rule id, or "none"
    std::string builder;  // empty: not checked
    std::vector<std::pair<std::string, std::string>> also;
    std::vector<std::string> absent;
};

struct Case {
    std::string name;
    fs::path log;
    Expectation expected;
};

Expectation parse_expected(const std::string& text) {
    Expectation e;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(": ");
        if (colon == std::string::npos) continue;
        const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
        if (key == "first") e.first = value;
        else if (key == "builder") e.builder = value;
        else if (key == "also") {
            const auto space = value.find(' ');
            e.also.emplace_back(value.substr(0, space), space == std::string::npos ? "" : value.substr(space + 1));
        } else if (key == "not") e.absent.push_back(value);
    }
    return e;
}

const std::vector<Case>& corpus() {
    static const std::vector<Case> cases = [] {
        std::vector<Case> out;
        for (const auto& entry : fs::directory_iterator(kCorpus)) {
            if (entry.path().extension() != ".log") continue;
            Case c;
            c.name = entry.path().stem().string();
            c.log = entry.path();
            fs::path expected = entry.path();
            expected.replace_extension(".expected");
            c.expected = parse_expected(read_text(expected));
            out.push_back(c);
        }
        std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
        return out;
    }();
    return cases;
}

const explain::Explainer& explainer() {
    static const explain::Explainer e(engine::load_builtin_rules().rules);
    return e;
}

explain::ExplainResult explain_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return explainer().explain(in);
}

TEST(ExplainCorpus, EveryCaseHasItsExpectationAndSource) {
    const std::string sources = read_text(kCorpus / "SOURCES.md");
    ASSERT_GE(corpus().size(), 60u);
    for (const auto& c : corpus()) {
        EXPECT_FALSE(c.expected.first.empty()) << c.name << ".expected has no `first:` line";
        EXPECT_NE(std::string::npos, sources.find("| " + c.name + " |")) << c.name << " is not in SOURCES.md";
    }
    EXPECT_TRUE(fs::exists(kCorpus / "capture.sh"));
}

TEST(ExplainCorpus, EveryCaseRanksItsExpectedRuleFirst) {
    for (const auto& c : corpus()) {
        SCOPED_TRACE(c.name);
        const auto r = explain_file(c.log);
        EXPECT_FALSE(r.read_error);
        if (c.expected.first == "none") {
            EXPECT_TRUE(r.findings.empty()) << "first: " << r.findings.front().finding.rule;
            continue;
        }
        ASSERT_FALSE(r.findings.empty());
        const auto& top = r.findings.front().finding;
        EXPECT_EQ(c.expected.first, top.rule);
        if (!c.expected.builder.empty()) {
            EXPECT_EQ(c.expected.builder, top.builder);
        }
        ASSERT_TRUE(top.evidence.has_value());
        EXPECT_GT(top.evidence->line, 0);
        EXPECT_FALSE(top.evidence->text.empty());
        for (const auto& [rule, builder] : c.expected.also) {
            bool found = false;
            for (const auto& f : r.findings) found = found || (f.finding.rule == rule && (builder.empty() || f.finding.builder == builder));
            EXPECT_TRUE(found) << "also: " << rule << " " << builder;
        }
        for (const auto& rule : c.expected.absent) {
            for (const auto& f : r.findings) EXPECT_NE(rule, f.finding.rule) << "not: " << rule;
        }
    }
}

TEST(ExplainCorpus, EveryRuleWithLogPatternsIsFirstInSomeLog) {
    std::set<std::string> firsts;
    for (const auto& c : corpus()) firsts.insert(c.expected.first);
    for (const auto& r : engine::load_builtin_rules().rules) {
        if (r.log_patterns.empty()) continue;
        EXPECT_TRUE(firsts.count(r.id)) << r.id << " is first in no corpus log";
    }
}

TEST(ExplainCorpus, RealLabLogsCoverTheCommonFailures) {
    const std::map<std::string, std::string> required = {
        {"lab-host-key-unknown-ssh", "hostkey.unknown-to-root"},     {"lab-no-authorized-key-ssh", "auth.key-not-authorized"},
        {"lab-connection-refused-ssh", "net.connection-refused"},    {"lab-nix-not-found-ssh", "remote.nix-not-found"},
        {"lab-nologin-ssh", "auth.login-shell-unusable"},            {"lab-untrusted-ssh", "remote.user-not-trusted"},
        {"lab-untrusted-ssh-ng", "remote.user-not-trusted"},         {"lab-no-builders", "nixconf.no-usable-builders"},
        {"lab-no-machine-for-system", "machines.no-builder-for-system"},
    };
    std::map<std::string, std::string> firsts;
    for (const auto& c : corpus()) firsts[c.name] = c.expected.first;
    for (const auto& [name, rule] : required) EXPECT_EQ(rule, firsts[name]) << name;
}

TEST(ExplainCorpus, ReportsSpanTheNixVersions) {
    std::set<std::string> names;
    for (const auto& c : corpus()) names.insert(c.name);
    for (const char* version : {"nix-2.0-", "nix-2.3-", "nix-2.12-", "nix-2.20-", "nix-2.24-", "nix-2.34-"}) {
        bool found = false;
        for (const auto& n : names) found = found || (n.rfind("report-", 0) == 0 && n.find(version) != std::string::npos);
        EXPECT_TRUE(found) << "no report log for " << version;
    }
}

// ---------------------------------------------------------------- through the real binary

struct BinaryRun {
    int exit_code = -1;
    std::string out, err;
};

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// `shell` is run by sh; @BIN@ stands for the binary.
BinaryRun run_shell(std::string shell) {
    for (auto at = shell.find("@BIN@"); at != std::string::npos; at = shell.find("@BIN@")) shell.replace(at, 5, quote(NBD_BINARY));
    const fs::path err_file = fs::temp_directory_path() / ("nbd-explain-err-" + std::to_string(::getpid()));
    const std::string command = "env -u NO_COLOR -u CLICOLOR_FORCE sh -c " + quote(shell) + " 2>" + quote(err_file.string());
    BinaryRun r;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) r.out.append(buffer, n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_text(err_file);
    fs::remove(err_file);
    return r;
}

#ifndef NBD_SANITIZED  // (ASan's shadow memory makes the figure meaningless)
// The peak resident size (KiB) of the biggest process a shell command starts, its output
// discarded; -1 on failure. Measured by a small python3 parent: RUSAGE_CHILDREN is a high-water
// mark that also counts a child's size before its exec, and every child of this test process
// starts as a copy of it (and it holds what earlier tests allocated).
long peak_rss_kb(const std::string& shell) {
    const BinaryRun r = run_shell("python3 -c 'import resource, subprocess, sys; "
                                  "subprocess.run([\"sh\", \"-c\", sys.argv[1]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
                                  "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' " + quote(shell));
    try {
        return r.exit_code == 0 ? std::stol(r.out) : -1;
    } catch (const std::exception&) {
        return -1;
    }
}
#endif

BinaryRun explain_with_binary(const std::string& args) { return run_shell("@BIN@ explain " + args + " </dev/null"); }

TEST(ExplainCorpus, SomeCasesThroughTheRealBinary) {
    for (const char* name : {"lab-host-key-unknown-ssh", "lab-root-login-no-sshd-log", "report-rosetta-15-ssh-ng-cascade",
                             "report-2030-nix-2.0-unable-to-open-ssh", "robust-ansi-crlf", "robust-binary-junk"}) {
        SCOPED_TRACE(name);
        const auto it = std::find_if(corpus().begin(), corpus().end(), [&](const Case& c) { return c.name == name; });
        ASSERT_NE(it, corpus().end());
        const BinaryRun r = explain_with_binary("--format json " + quote(it->log.string()));
        EXPECT_EQ(1, r.exit_code) << r.err;
        const json j = json::parse(r.out);
        EXPECT_EQ(1, j["version"]);
        EXPECT_EQ("nix-builder-doctor", j["tool"]["name"]);
        EXPECT_EQ("unknown", j["principal"]);
        EXPECT_EQ(json::array(), j["builders"]);
        ASSERT_FALSE(j["findings"].empty());
        const json& top = j["findings"][0];
        EXPECT_EQ(it->expected.first, top["rule"]);
        if (!it->expected.builder.empty()) {
            EXPECT_EQ(it->expected.builder, top["builder"]);
        }
        EXPECT_EQ("error", top["severity"]);
        EXPECT_TRUE(top["evidence"]["line"].is_number_integer());
        EXPECT_TRUE(top["evidence"]["text"].is_string());
        EXPECT_FALSE(top["fix"].get<std::string>().empty());
        EXPECT_EQ(static_cast<int>(j["findings"].size()), j["summary"]["error"].get<int>() + j["summary"]["warning"].get<int>() +
                                                               j["summary"]["info"].get<int>());
        const BinaryRun text = explain_with_binary(quote(it->log.string()));
        EXPECT_EQ(0u, text.out.rfind("Cause:    ", 0)) << text.out;
        EXPECT_NE(std::string::npos, text.out.find("\nFix:      "));
        EXPECT_NE(std::string::npos, text.out.find("\nEvidence: line "));
    }
}

TEST(ExplainCorpus, ReadsStandardInput) {
    const std::string log = quote((kCorpus / "lab-nix-not-found-ssh.log").string());
    for (const std::string& shell : {"@BIN@ explain --format json - < " + log, "cat " + log + " | @BIN@ explain --format json"}) {
        const BinaryRun r = run_shell(shell);
        EXPECT_EQ(1, r.exit_code) << shell;
        EXPECT_EQ("remote.nix-not-found", json::parse(r.out)["findings"][0]["rule"]) << shell;
    }
}

TEST(ExplainCorpus, HealthyEmptyAndUnrelatedLogsSaySoAndExitZero) {
    for (const char* name : {"lab-healthy-ssh.log", "robust-empty.log", "lab-unrelated-build-failure.log"}) {
        const BinaryRun r = explain_with_binary(quote((kCorpus / name).string()));
        EXPECT_EQ(0, r.exit_code) << name << r.err;
        EXPECT_NE(std::string::npos, r.out.find("no known remote-build failure in this log")) << r.out;
        const BinaryRun j = explain_with_binary("--format json " + quote((kCorpus / name).string()));
        EXPECT_EQ(json::array(), json::parse(j.out)["findings"]);
    }
}

TEST(ExplainCorpus, UnreadableInputIsAUsageErrorNamingTheFile) {
    BinaryRun r = explain_with_binary("/nonexistent/build.log");
    EXPECT_EQ(2, r.exit_code);
    EXPECT_NE(std::string::npos, r.err.find("'/nonexistent/build.log'")) << r.err;
    EXPECT_NE(std::string::npos, r.err.find("No such file or directory")) << r.err;
    r = explain_with_binary(quote(kCorpus.string()));
    EXPECT_EQ(2, r.exit_code);
    EXPECT_NE(std::string::npos, r.err.find("is a directory")) << r.err;
    r = explain_with_binary("a.log b.log");
    EXPECT_EQ(2, r.exit_code);
}

TEST(ExplainCorpus, FailOnSelectIgnoreAndSeverity) {
    const std::string warning_only = quote((kCorpus / "lab-unknown-setting.log").string());
    EXPECT_EQ(0, explain_with_binary(warning_only).exit_code);
    EXPECT_EQ(1, explain_with_binary("--fail-on warning " + warning_only).exit_code);
    const std::string cascade = quote((kCorpus / "lab-host-key-unknown-ssh.log").string());
    EXPECT_EQ(0, explain_with_binary("--fail-on never " + cascade).exit_code);
    const BinaryRun ignored = explain_with_binary("--format json --ignore hostkey. " + cascade);
    const json j = json::parse(ignored.out);
    EXPECT_EQ("machines.no-builder-for-system", j["findings"][0]["rule"]);
    EXPECT_EQ(1, j["summary"]["suppressed"]);
    const BinaryRun lowered = explain_with_binary("--format json --severity hostkey.unknown-to-root=warning --select hostkey. " + cascade);
    const json k = json::parse(lowered.out);
    ASSERT_EQ(1u, k["findings"].size());
    EXPECT_EQ("warning", k["findings"][0]["severity"]);
    EXPECT_EQ(0, lowered.exit_code);
    EXPECT_EQ(2, explain_with_binary("--select hostkey.unknwon " + cascade).exit_code);
}

// 200 MB of build output from a pipe, with the failure at the very end: it completes, finds the
// cause on the right line, and the process stays small (the log is never held in memory).
TEST(ExplainCorpus, Streams200MegabytesThroughAPipe) {
    const std::string tail = quote((kCorpus / "lab-host-key-unknown-ssh.log").string());
    const std::string pipeline = "{ yes 'gcc -O2 -Wall -c src/some/file.c -o build/some/file.o   [ 42%] Building C object' | head -c 200000000; "
                                 "cat " + tail + "; } | @BIN@ explain --format json -";
    const BinaryRun r = run_shell(pipeline);
    ASSERT_EQ(1, r.exit_code) << r.err;
    const json j = json::parse(r.out);
    ASSERT_FALSE(j["findings"].empty());
    EXPECT_EQ("hostkey.unknown-to-root", j["findings"][0]["rule"]);
    EXPECT_GT(j["findings"][0]["evidence"]["line"].get<long long>(), 2'000'000);
#ifndef NBD_SANITIZED  // ASan's shadow memory and quarantine make the figure meaningless
    const long peak = peak_rss_kb(pipeline);
    EXPECT_GT(peak, 0);
    EXPECT_LT(peak, 128 * 1024) << "kilobytes: the biggest process of the pipeline";
#endif
}

// One line of 100 MB, then the failure: the reader keeps 64 KiB of it and goes on.
TEST(ExplainCorpus, AHugeLineIsCutNotHeld) {
    class Generator : public std::streambuf {
    public:
        explicit Generator(std::size_t size) : m_left(size), m_chunk(1 << 16, 'x') {}

    protected:
        int_type underflow() override {
            if (m_left == 0) {
                if (m_tail_done) return traits_type::eof();
                m_tail_done = true;
                setg(m_tail.data(), m_tail.data(), m_tail.data() + m_tail.size());
                return traits_type::to_int_type(m_tail[0]);
            }
            const std::size_t n = std::min(m_left, m_chunk.size());
            m_left -= n;
            setg(m_chunk.data(), m_chunk.data(), m_chunk.data() + n);
            return traits_type::to_int_type(m_chunk[0]);
        }

    private:
        std::size_t m_left;
        std::string m_chunk;
        std::string m_tail = "\ncannot build on 'ssh://root@b': error: cannot connect to 'root@b': Host key verification failed.\n";
        bool m_tail_done = false;
    };
    Generator generator(100u << 20);
    std::istream in(&generator);
    const auto r = explainer().explain(in);
    ASSERT_EQ(1u, r.findings.size());
    EXPECT_EQ("hostkey.unknown-to-root", r.findings[0].finding.rule);
    EXPECT_EQ(2, r.findings[0].finding.evidence->line);
    EXPECT_EQ(2, r.lines);
}

}  // namespace
