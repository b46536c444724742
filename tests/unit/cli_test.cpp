// The command line as users and CI scripts see it: the real binary's exit codes, "did you mean"
// suggestions, --fail-on / --severity / --select, `rules`, --dump-facts, the JSON contract and
// colour. Trees come from examples/ through examples/prepare.sh.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_in_process.hpp"
#include "nix_builder_doctor/cli/run.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs the real binary. `env` is a prefix like "NO_COLOR=1 "; the environment is otherwise
// cleaned of colour variables so the tests do not depend on the caller's.
Result run_binary(const std::vector<std::string>& args, const std::string& env = "") {
    const fs::path err_file = fs::temp_directory_path() / ("nbd-cli-err-" + std::to_string(::getpid()));
    std::string command = "env -u NO_COLOR -u CLICOLOR_FORCE " + env + quote(NBD_BINARY);
    for (const auto& a : args) command += " " + quote(a);
    command += " 2>" + quote(err_file.string()) + " </dev/null";
    Result r;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_text(err_file);
    fs::remove(err_file);
    return r;
}

// Runs nbd::cli::run in this process with string streams.
Result run_in_process(std::vector<std::string> args) {
    const auto r = nbd::test::run_in_process(std::move(args));
    return Result{r.exit_code, r.out, r.err};
}

std::string describe(const Result& r) { return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err; }

// Prepared example trees, once for the whole suite.
class Cli : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::string templ = (fs::temp_directory_path() / "nbd-cli-XXXXXX").string();
        s_base = ::mkdtemp(templ.data());
        for (const char* name : {"healthy", "root-host-key-unknown", "features-split-by-space"}) {
            const std::string cmd = quote(std::string(NBD_SOURCE_DIR) + "/examples/prepare.sh") + " " + name + " " +
                                    quote((s_base / name).string());
            s_prepared[name] = std::system(cmd.c_str()) == 0;
        }
    }
    static void TearDownTestSuite() {
        std::error_code ec;
        fs::remove_all(s_base, ec);
    }

    // The example's arguments as its README runs it: --offline --root DIR/root plus its `args`.
    static std::vector<std::string> example(const std::string& name) {
        EXPECT_TRUE(s_prepared[name]) << "examples/prepare.sh " << name << " failed";
        const fs::path dir = s_base / name;
        std::vector<std::string> args = {"--offline", "--root", (dir / "root").string()};
        std::istringstream in(read_text(dir / "args"));
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            for (auto at = line.find("@DIR@"); at != std::string::npos; at = line.find("@DIR@")) line.replace(at, 5, dir.string());
            args.push_back(line);
        }
        return args;
    }
    static std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
        args.insert(args.end(), more.begin(), more.end());
        return args;
    }

    static inline fs::path s_base;
    static inline std::map<std::string, bool> s_prepared;
};

// ---------------------------------------------------------------- exit codes

TEST_F(Cli, CleanExampleExitsZero) {
    const auto r = run_binary(example("healthy"));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.out.find("0 errors, 0 warnings")) << describe(r);
}

TEST_F(Cli, ErrorFindingExitsOne) {
    const auto r = run_binary(example("root-host-key-unknown"));
    EXPECT_EQ(1, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.out.find("hostkey.unknown-to-root")) << describe(r);
    EXPECT_TRUE(r.err.empty()) << describe(r);
}

TEST_F(Cli, UsageErrorExitsTwo) {
    const auto r = run_binary({"--no-such-option"});
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_EQ(0u, r.err.find("nix-builder-doctor: error: ")) << describe(r);
    EXPECT_TRUE(r.out.empty()) << describe(r);
}

TEST_F(Cli, HelpAndVersionExitZero) {
    auto r = run_binary({"--help"});
    EXPECT_EQ(0, r.exit_code) << describe(r);
    for (const char* option : {"--root", "--offline", "--format", "--fail-on", "--select", "--ignore", "--severity",
                               "--rules", "--timeout", "--jobs", "--dump-facts", "--color"})
        EXPECT_NE(std::string::npos, r.out.find(option)) << option;
    r = run_binary({"help"});
    EXPECT_EQ(0, r.exit_code) << describe(r);
    r = run_binary({"--version"});
    EXPECT_EQ(0, r.exit_code);
    EXPECT_EQ("nix-builder-doctor 0.1.0\n", r.out);
}

// ---------------------------------------------------------------- suggestions

TEST_F(Cli, UnknownOptionSuggestsTheNearest) {
    const auto r = run_binary({"--ofline"});
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("unknown option --ofline (did you mean --offline?)")) << describe(r);
}

TEST_F(Cli, UnknownOptionIsNamed) {
    const auto r = run_binary({"--zzzzzzzz"});
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("zzzzzzzz")) << describe(r);
    EXPECT_EQ(std::string::npos, r.err.find("did you mean")) << "nothing is near: " << describe(r);
}

TEST_F(Cli, UnknownCommandSuggests) {
    auto r = run_binary({"chek"});
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("unknown command 'chek' (did you mean check?)")) << describe(r);
    r = run_binary({"explian"});
    EXPECT_NE(std::string::npos, r.err.find("did you mean explain?")) << describe(r);
    r = run_binary({"zzzzzzzzzz"});
    EXPECT_EQ(2, r.exit_code);
    EXPECT_EQ(std::string::npos, r.err.find("did you mean")) << describe(r);
}

TEST_F(Cli, CheckTakesNoArguments) {
    const auto r = run_binary(with(example("healthy"), {"check", "extra"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
}

TEST_F(Cli, SelectWithUnknownRuleSuggests) {
    const auto r = run_binary(with(example("healthy"), {"--select", "hostkey.unknown-to-rot"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos,
              r.err.find("--select: no rule or family 'hostkey.unknown-to-rot' (did you mean hostkey.unknown-to-root?)"))
        << describe(r);
}

TEST_F(Cli, IgnoreAndSeverityWithUnknownRuleAreUsageErrors) {
    auto r = run_binary(with(example("healthy"), {"--ignore", "hostkye."}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("did you mean hostkey.?")) << describe(r);
    r = run_binary(with(example("healthy"), {"--severity", "keys.legacy-typ=error"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("did you mean keys.legacy-type?")) << describe(r);
}

TEST_F(Cli, FamilySelectorsAreAccepted) {
    for (const char* family : {"hostkey", "hostkey."}) {
        const auto r = run_binary(with(example("healthy"), {"--select", family}));
        EXPECT_EQ(0, r.exit_code) << family << "\n" << describe(r);
    }
}

// ---------------------------------------------------------------- --format, --fail-on, --severity

TEST_F(Cli, FormatXmlIsRejected) {
    const auto r = run_binary(with(example("healthy"), {"--format", "xml"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("--format: 'xml' is not one of text, json, junit, sarif, github, prometheus, machines")) << describe(r);
    EXPECT_TRUE(r.out.empty());
}

TEST_F(Cli, FormatsOtherThanTextAndJsonAreForCheckOnly) {
    for (const char* command : {"explain", "rules"}) {
        const auto r = run_binary({command, "--format", "sarif"});
        EXPECT_EQ(2, r.exit_code) << describe(r);
        EXPECT_NE(std::string::npos, r.err.find("--format sarif is for check")) << describe(r);
    }
    const auto r = run_binary({"explain", "--report", "json=/tmp/x.json"});
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("--report is for check")) << describe(r);
}

// ---------------------------------------------------------------- --report FORMAT=FILE

TEST_F(Cli, ReportFileHoldsTheSameReportAndLeavesNoTemporaryFile) {
    const fs::path folder = s_base / "reports-same";
    fs::create_directories(folder);
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--report", "json=" + (folder / "r.json").string()}));
    EXPECT_EQ(1, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.out.find("hostkey.unknown-to-root")) << "stdout keeps the text report";
    json j;
    ASSERT_NO_THROW(j = json::parse(read_text(folder / "r.json")));
    EXPECT_EQ("hostkey.unknown-to-root", j["findings"][0]["rule"]);
    const auto stdout_json = json::parse(run_binary(with(example("root-host-key-unknown"), {"--format", "json"})).out);
    EXPECT_EQ(stdout_json, j) << "the file and --format json are the same report";
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(folder)) names.push_back(e.path().filename().string());
    EXPECT_EQ(std::vector<std::string>{"r.json"}, names) << "only the named file, no temporary left behind";
}

TEST_F(Cli, ReportReplacesALinkAtTheNameNotItsTarget) {
    const fs::path folder = s_base / "reports-link";
    fs::create_directories(folder);
    std::ofstream(folder / "precious") << "keep me\n";
    fs::create_symlink(folder / "precious", folder / "r.txt");
    const auto r = run_binary(with(example("healthy"), {"--report", "text=" + (folder / "r.txt").string()}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    EXPECT_EQ("keep me\n", read_text(folder / "precious")) << "the doctor writes only the file named, never through a link";
    EXPECT_FALSE(fs::is_symlink(folder / "r.txt"));
    EXPECT_NE(std::string::npos, read_text(folder / "r.txt").find("0 errors, 0 warnings"));
}

TEST_F(Cli, ReportIntoAMissingFolderIsAUsageErrorBeforeAnyCheck) {
    const auto r = run_binary(with(example("healthy"), {"--report", "json=" + (s_base / "no-such-folder" / "r.json").string()}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("does not exist")) << describe(r);
    EXPECT_TRUE(r.out.empty()) << describe(r);
    for (const char* bad : {"json", "=x", "json=", "xml=r.xml"}) {
        const auto b = run_binary(with(example("healthy"), {"--report", bad}));
        EXPECT_EQ(2, b.exit_code) << bad << "\n" << describe(b);
    }
    const auto folder = run_binary(with(example("healthy"), {"--report", "json=" + s_base.string()}));
    EXPECT_EQ(2, folder.exit_code) << describe(folder);
}

TEST_F(Cli, ReportIntoAFolderThatCannotBeWrittenFailsWithTheFileNamed) {
    // /proc takes no new files, even from root (the suite runs as root in CI).
    const auto r = run_binary(with(example("healthy"), {"--report", "json=/proc/nbd-report.json"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("cannot write report /proc/nbd-report.json: creating /proc/.nbd-report.json.tmp-")) << describe(r);
    EXPECT_NE(std::string::npos, r.out.find("0 errors")) << "stdout's report is still printed\n" << describe(r);
}

// ---------------------------------------------------------------- --builder PATTERN

TEST_F(Cli, BuilderPatternChecksOnlyTheBuildersItNames) {
    // The example's own builder (its --remote-root names it) and a second one with a missing key.
    std::string healthy_line = read_text(s_base / "healthy/root/etc/nix/machines");
    healthy_line = healthy_line.substr(0, healthy_line.find('\n'));
    const std::string two = healthy_line + "; ssh://nix@beta.example.org x86_64-linux /root/.ssh/missing-key";
    const auto all = run_binary(with(example("healthy"), {"--builders", two, "--format", "json"}));
    const json everything = json::parse(all.out);
    ASSERT_EQ(2u, everything["builders"].size()) << describe(all);
    bool beta_finding = false;
    for (const auto& f : everything["findings"]) beta_finding = beta_finding || f.value("builder", "") == "ssh://nix@beta.example.org";
    ASSERT_TRUE(beta_finding) << "the missing key of beta is a finding without --builder";

    const auto alpha = run_binary(with(example("healthy"), {"--builders", two, "--format", "json", "--builder", "builder.*"}));
    const json j = json::parse(alpha.out);
    ASSERT_EQ(1u, j["builders"].size()) << describe(alpha);
    EXPECT_EQ("builder.example.org", j["builders"][0]["host"]);
    for (const auto& f : j["findings"]) EXPECT_NE("ssh://nix@beta.example.org", f.value("builder", "")) << f.dump();
    const auto text = run_binary(with(example("healthy"), {"--builders", two, "--builder", "ssh-ng://nixbuild@builder.example.org"}));
    EXPECT_NE(std::string::npos, text.out.find("1 builder is not checked (--builder)")) << describe(text);
    EXPECT_EQ(std::string::npos, text.out.find("beta.example.org")) << describe(text);
}

TEST_F(Cli, BuilderPatternThatMatchesNothingSuggests) {
    const auto r = run_binary(with(example("healthy"), {"--builder", "builder.exmple.org"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("--builder: 'builder.exmple.org' matches no configured builder (did you mean builder.example.org?)"))
        << describe(r);
}

TEST_F(Cli, FailOnNever) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--fail-on", "never"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.out.find("hostkey.unknown-to-root")) << "findings are still shown";
}

TEST_F(Cli, FailOnWarning) {
    const auto base = example("features-split-by-space");
    auto r = run_binary(base);
    EXPECT_EQ(0, r.exit_code) << "a warning is below the default error level\n" << describe(r);
    r = run_binary(with(base, {"--fail-on", "warning"}));
    EXPECT_EQ(1, r.exit_code) << describe(r);
    r = run_binary(with(base, {"--fail-on", "info"}));
    EXPECT_EQ(1, r.exit_code) << describe(r);
    r = run_binary(with(base, {"--fail-on", "error"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
}

TEST_F(Cli, FailOnInfo) {
    const auto base = with(example("root-host-key-unknown"), {"--severity", "hostkey.unknown-to-root=info"});
    auto r = run_binary(base);
    EXPECT_EQ(0, r.exit_code) << describe(r);
    r = run_binary(with(base, {"--fail-on", "warning"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    r = run_binary(with(base, {"--fail-on", "info"}));
    EXPECT_EQ(1, r.exit_code) << describe(r);
}

TEST_F(Cli, FailOnBadLevelSuggests) {
    const auto r = run_binary(with(example("healthy"), {"--fail-on", "warnings"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("did you mean warning?")) << describe(r);
}

TEST_F(Cli, SeverityOverrideChangesTheFindingAndTheSummary) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--format", "json", "--severity", "hostkey.unknown-to-root=warning"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    const json j = json::parse(r.out);
    ASSERT_EQ(1u, j["findings"].size()) << r.out;
    EXPECT_EQ("warning", j["findings"][0]["severity"]);
    EXPECT_EQ(0, j["summary"]["error"]);
    EXPECT_EQ(1, j["summary"]["warning"]);
    EXPECT_EQ("unknown", j["builders"][0]["verdict"]) << "a warning does not break the builder";
}

TEST_F(Cli, SeverityOverrideByFamily) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--format", "json", "--severity", "hostkey.=info"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    EXPECT_EQ("info", json::parse(r.out)["findings"][0]["severity"]);
}

TEST_F(Cli, SeverityNeedsIdEqualsLevel) {
    auto r = run_binary(with(example("healthy"), {"--severity", "hostkey.unknown-to-root"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("ID=LEVEL")) << describe(r);
    r = run_binary(with(example("healthy"), {"--severity", "hostkey.unknown-to-root=eror"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("did you mean error?")) << describe(r);
}

TEST_F(Cli, IgnoreCountsAsSuppressed) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--format", "json", "--ignore", "hostkey.unknown-to-root"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    const json j = json::parse(r.out);
    EXPECT_TRUE(j["findings"].empty());
    EXPECT_EQ(1, j["summary"]["suppressed"]);
}

TEST_F(Cli, SelectOtherFamilySuppresses) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--select", "keys.,machines"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.out.find("(1 suppressed)")) << describe(r);
}

TEST_F(Cli, OutOfRangeNumbersAreUsageErrors) {
    for (const std::vector<std::string>& extra : std::vector<std::vector<std::string>>{
             {"--timeout", "0"}, {"--timeout", "-1"}, {"--jobs", "0"}, {"--jobs", "100000"}, {"--jobs", "many"}}) {
        const auto r = run_binary(with(example("healthy"), extra));
        EXPECT_EQ(2, r.exit_code) << extra[0] << " " << extra[1] << "\n" << describe(r);
    }
}

// ---------------------------------------------------------------- --root, --user, --rules

TEST_F(Cli, RootThatIsNotADirectory) {
    const fs::path file = s_base / "healthy" / "args";
    auto r = run_binary({"--offline", "--root", file.string()});
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("is not a directory")) << describe(r);
    r = run_binary({"--offline", "--root", (s_base / "does-not-exist").string()});
    EXPECT_EQ(2, r.exit_code) << describe(r);
}

// --remote-root HOST that no builder has: the message names what is configured, never "(builders: )".
TEST_F(Cli, RemoteRootWithoutAMatchingBuilderNamesWhatIsConfigured) {
    const auto args = example("healthy");
    const fs::path copy = s_base / "healthy-builders-broken";
    fs::remove_all(copy);
    fs::copy(s_base / "healthy", copy, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    std::vector<std::string> moved;
    for (auto a : args) {
        for (auto at = a.find((s_base / "healthy").string()); at != std::string::npos; at = std::string::npos)
            a.replace(at, (s_base / "healthy").string().size(), copy.string());
        moved.push_back(a);
    }
    const fs::path conf = copy / "root/etc/nix/nix.conf";
    const std::string original = read_text(conf);
    auto write_builders = [&](const std::string& line) {
        std::string text = original;
        const auto at = text.find("builders = @/etc/nix/machines");
        ASSERT_NE(std::string::npos, at);
        text.replace(at, std::string("builders = @/etc/nix/machines").size(), line);
        std::ofstream(conf, std::ios::trunc) << text;
    };
    // Without `@` the only builder is a local store with no host.
    write_builders("builders = /etc/nix/machines");
    auto r = run_binary(moved);
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_EQ(std::string::npos, r.err.find("(builders: )")) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("'/etc/nix/machines' (no host)")) << describe(r);
    // Without --remote-root: the finding's fix says to write the `@`.
    std::vector<std::string> local;
    for (std::size_t i = 0; i < moved.size(); ++i) {
        if (moved[i] == "--remote-root") {
            ++i;
            continue;
        }
        local.push_back(moved[i]);
    }
    local.insert(local.end(), {"--format", "json"});
    r = run_binary(local);
    EXPECT_EQ(1, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.out.find("Write `builders = @/etc/nix/machines` in /etc/nix/nix.conf")) << describe(r);
    // A line Nix rejects: the message says so, with file:line.
    write_builders("builders = ssh://builder.example.org x86_64-linux - notanumber");
    r = run_binary(moved);
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("no builder could be read: /etc/nix/nix.conf:5: bad machine specification")) << describe(r);
    fs::remove_all(copy);
}

TEST_F(Cli, UnknownUserSuggests) {
    auto args = example("healthy");
    for (auto& a : args)
        if (a == "alice") a = "alcie";
    const auto r = run_binary(args);
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("did you mean alice?")) << describe(r);
}

TEST_F(Cli, BadRulesDirectoryFileIsAUsageError) {
    const fs::path dir = s_base / "bad-rules";
    fs::create_directories(dir);
    std::ofstream(dir / "test.broken.json") << "{";
    const auto r = run_binary(with(example("healthy"), {"--rules", dir.string()}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("test.broken.json")) << describe(r);
}

TEST_F(Cli, RulesDirectoryOverridesABuiltinRule) {
    const fs::path dir = s_base / "override-rules";
    fs::create_directories(dir);
    json j = json::parse(read_text(fs::path(NBD_SOURCE_DIR) / "rules" / "hostkey.unknown-to-root.json"));
    j["severity"] = "warning";
    std::ofstream(dir / "hostkey.unknown-to-root.json") << j.dump();
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--rules", dir.string(), "--format", "json"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    EXPECT_EQ("warning", json::parse(r.out)["findings"][0]["severity"]);
}

// ---------------------------------------------------------------- rules

std::set<std::string> rule_ids_on_disk() {
    std::set<std::string> ids;
    for (const auto& e : fs::directory_iterator(fs::path(NBD_SOURCE_DIR) / "rules"))
        if (e.path().extension() == ".json" && e.path().filename() != "schema.json") ids.insert(e.path().stem().string());
    return ids;
}

TEST_F(Cli, RulesListsEveryRule) {
    const auto r = run_binary({"rules"});
    EXPECT_EQ(0, r.exit_code) << describe(r);
    const auto ids = rule_ids_on_disk();
    const std::string listing = "\n" + r.out;
    for (const auto& id : ids) EXPECT_NE(std::string::npos, listing.find("\n" + id + " ")) << id;
    EXPECT_NE(std::string::npos, r.out.find("\n" + std::to_string(ids.size()) + " rules.")) << r.out;
}

TEST_F(Cli, RulesAsJson) {
    const auto r = run_binary({"rules", "--format", "json"});
    EXPECT_EQ(0, r.exit_code) << describe(r);
    const json j = json::parse(r.out);
    ASSERT_TRUE(j.is_array());
    std::set<std::string> ids;
    for (const auto& rule : j) ids.insert(rule["id"].get<std::string>());
    EXPECT_EQ(rule_ids_on_disk(), ids);
}

TEST_F(Cli, RulesShowsOne) {
    const auto r = run_binary({"rules", "hostkey.unknown-to-root"});
    EXPECT_EQ(0, r.exit_code) << describe(r);
    EXPECT_EQ(0u, r.out.find("hostkey.unknown-to-root (error)\n")) << r.out;
    const json rule = json::parse(read_text(fs::path(NBD_SOURCE_DIR) / "rules" / "hostkey.unknown-to-root.json"));
    EXPECT_NE(std::string::npos, r.out.find(rule["rationale"].get<std::string>())) << "the rationale";
    EXPECT_NE(std::string::npos, r.out.find(rule["fix"].get<std::string>())) << "the fix";
    for (const auto& ref : rule["references"]) EXPECT_NE(std::string::npos, r.out.find(ref.get<std::string>()));
}

TEST_F(Cli, RulesIdShowsLiteralBracesOnce) {
    const auto r = run_binary({"rules", "nixos.lib-not-in-scope"});
    EXPECT_EQ(0, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.out.find("`{ config, pkgs, lib, ... }:`")) << r.out;
    EXPECT_EQ(std::string::npos, r.out.find("{{")) << r.out;
}

TEST_F(Cli, RulesWithAMisspelledIdSuggests) {
    const auto r = run_binary({"rules", "hostkey.unknwn-to-root"});
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("no rule 'hostkey.unknwn-to-root' (did you mean hostkey.unknown-to-root?)"))
        << describe(r);
}

TEST_F(Cli, RulesWithATruncatedMisspelledIdSuggests) {
    const auto r = run_binary({"rules", "hostkey.unknwn"});
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("did you mean hostkey.unknown-to-root?")) << describe(r);
}

TEST_F(Cli, RulesTakesOneId) {
    const auto r = run_binary({"rules", "a.b", "c.d"});
    EXPECT_EQ(2, r.exit_code) << describe(r);
}

// ---------------------------------------------------------------- --dump-facts

TEST_F(Cli, DumpFactsPrintsTheFactsDocument) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--dump-facts"}));
    EXPECT_EQ(0, r.exit_code) << "dumping is not judging\n" << describe(r);
    json j;
    ASSERT_NO_THROW(j = json::parse(r.out)) << r.out;
    ASSERT_TRUE(j.contains("builders"));
    ASSERT_TRUE(j["builders"].is_array());
    ASSERT_EQ(1u, j["builders"].size());
    EXPECT_EQ("ssh-ng://nixbuild@builder.example.org", j["builders"][0]["uri"]);
    EXPECT_FALSE(j.contains("findings")) << "facts, not findings";
}

// ---------------------------------------------------------------- JSON contract

std::set<std::string> keys(const json& j) {
    std::set<std::string> out;
    for (const auto& [k, _] : j.items()) out.insert(k);
    return out;
}

TEST_F(Cli, JsonOutputHasExactlyTheContractKeys) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--format", "json"}));
    EXPECT_EQ(1, r.exit_code) << describe(r);
    json j;
    ASSERT_NO_THROW(j = json::parse(r.out)) << r.out;
    EXPECT_EQ((std::set<std::string>{"version", "tool", "principal", "builders", "findings", "summary"}), keys(j));
    EXPECT_EQ(1, j["version"]);
    EXPECT_EQ((std::set<std::string>{"name", "version"}), keys(j["tool"]));
    EXPECT_EQ("nix-builder-doctor", j["tool"]["name"]);
    EXPECT_EQ("0.1.0", j["tool"]["version"]);
    EXPECT_EQ("root", j["principal"]);
    ASSERT_EQ(1u, j["builders"].size());
    EXPECT_EQ((std::set<std::string>{"uri", "host", "verdict", "stages"}), keys(j["builders"][0]));
    EXPECT_EQ("builder.example.org", j["builders"][0]["host"]);
    EXPECT_EQ("broken", j["builders"][0]["verdict"]);
    EXPECT_TRUE(j["builders"][0]["stages"].is_object());
    ASSERT_EQ(1u, j["findings"].size());
    const json& f = j["findings"][0];
    for (const char* k : {"rule", "severity", "builder", "message", "fix", "location"}) EXPECT_TRUE(f.contains(k)) << k;
    EXPECT_EQ("hostkey.unknown-to-root", f["rule"]);
    EXPECT_EQ("error", f["severity"]);
    EXPECT_EQ("ssh-ng://nixbuild@builder.example.org", f["builder"]);
    EXPECT_EQ(json::parse(R"({"file": "/etc/nix/machines", "line": 1})"), f["location"]) << "as the machine sees it, not under --root";
    EXPECT_EQ((std::set<std::string>{"error", "warning", "info", "suppressed"}), keys(j["summary"]));
    EXPECT_EQ(json::parse(R"({"error": 1, "warning": 0, "info": 0, "suppressed": 0})"), j["summary"]);
}

TEST_F(Cli, JsonOfACleanRun) {
    const auto r = run_binary(with(example("healthy"), {"--format", "json"}));
    EXPECT_EQ(0, r.exit_code) << describe(r);
    const json j = json::parse(r.out);
    EXPECT_TRUE(j["findings"].is_array());
    EXPECT_EQ("unknown", j["builders"][0]["verdict"]) << "offline: files alone cannot prove it works";
}

TEST_F(Cli, NoRootPrefixInOutput) {
    const auto args = example("root-host-key-unknown");
    for (const char* format : {"text", "json"}) {
        const auto r = run_binary(with(args, {"--format", format}));
        // The context line of the text report names the root once; findings never do.
        const std::string body = std::string(format) == "text" ? r.out.substr(r.out.find('\n')) : r.out;
        EXPECT_EQ(std::string::npos, body.find(s_base.string())) << format << "\n" << r.out;
    }
}

// ---------------------------------------------------------------- colour

bool has_escape(const std::string& s) { return s.find('\x1b') != std::string::npos; }

TEST_F(Cli, ColorAlwaysProducesEscapes) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--color", "always"}));
    EXPECT_TRUE(has_escape(r.out)) << r.out;
}

TEST_F(Cli, ColorNeverAndNoColorProduceNone) {
    const auto args = example("root-host-key-unknown");
    EXPECT_FALSE(has_escape(run_binary(with(args, {"--color", "never"}), "CLICOLOR_FORCE=1 ").out));
    EXPECT_FALSE(has_escape(run_binary(args, "NO_COLOR=1 CLICOLOR_FORCE=1 ").out));
    EXPECT_FALSE(has_escape(run_binary(args).out)) << "a pipe is not a terminal";
    EXPECT_TRUE(has_escape(run_binary(args, "CLICOLOR_FORCE=1 ").out)) << "auto honours CLICOLOR_FORCE";
}

TEST_F(Cli, JsonNeverHasEscapes) {
    const auto r = run_binary(with(example("root-host-key-unknown"), {"--format", "json", "--color", "always"}));
    EXPECT_FALSE(has_escape(r.out));
    json j;
    EXPECT_NO_THROW(j = json::parse(r.out));
}

TEST_F(Cli, BadColorValueSuggests) {
    const auto r = run_binary(with(example("healthy"), {"--color", "allways"}));
    EXPECT_EQ(2, r.exit_code) << describe(r);
    EXPECT_NE(std::string::npos, r.err.find("did you mean always?")) << describe(r);
}

// ---------------------------------------------------------------- in process

TEST_F(Cli, RunInProcessWithStringStreams) {
    auto r = run_in_process(with(example("root-host-key-unknown"), {"--format", "json"}));
    EXPECT_EQ(1, r.exit_code) << describe(r);
    EXPECT_EQ(1, json::parse(r.out)["summary"]["error"]);
    r = run_in_process({"--format", "xml"});
    EXPECT_EQ(2, r.exit_code);
    EXPECT_NE(std::string::npos, r.err.find("--format: 'xml' is not one of text, json, junit, sarif, github, prometheus, machines"));
    r = run_in_process({"rules", "keys.legacy-type"});
    EXPECT_EQ(0, r.exit_code);
    EXPECT_EQ(0u, r.out.find("keys.legacy-type (warning)\n")) << r.out;
}

TEST_F(Cli, InProcessAutomaticColourIsOffForStringStreams) {
    const char* before = std::getenv("CLICOLOR_FORCE");
    const std::optional<std::string> saved = before ? std::optional<std::string>(before) : std::nullopt;
    ::setenv("CLICOLOR_FORCE", "1", 1);
    const auto r = run_in_process(example("root-host-key-unknown"));
    if (saved) ::setenv("CLICOLOR_FORCE", saved->c_str(), 1);
    else ::unsetenv("CLICOLOR_FORCE");
    EXPECT_FALSE(has_escape(r.out)) << "only std::cout can be a terminal";
}

}  // namespace

// Ctrl-C during live probes: the run stops at once (not at --timeout) and says so.
TEST(CliInterrupt, SigintStopsLiveProbesPromptly) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(0, ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address));
    ASSERT_EQ(0, ::listen(listener, 8));  // accepts (the kernel does) and never speaks
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    const std::string spec = "ssh://nix@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + " x86_64-linux - 1 1 - - -";
    int out_pipe[2];
    ASSERT_EQ(0, ::pipe(out_pipe));
    const pid_t doctor = ::fork();
    if (doctor == 0) {
        ::dup2(out_pipe[1], 2);
        ::dup2(out_pipe[1], 1);
        ::execl(NBD_BINARY, NBD_BINARY, "--builders", spec.c_str(), "--timeout", "60", "--select", "net", nullptr);
        ::_exit(127);
    }
    ::close(out_pipe[1]);
    // Interrupt once the probe has connected (a slow start-up, e.g. under ASan on a loaded
    // machine, must not make the test send SIGINT before the probes run), at most 30 s.
    pollfd incoming{listener, POLLIN, 0};
    const int ready = ::poll(&incoming, 1, 30000);
    EXPECT_EQ(1, ready) << "the doctor never connected";
    const int accepted = ready == 1 ? ::accept(listener, nullptr, nullptr) : -1;
    const auto connected = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(doctor, SIGINT);
    int status = 0;
    ::waitpid(doctor, &status, 0);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - connected).count();
    if (accepted >= 0) ::close(accepted);
    std::string output;
    char buffer[4096];
    for (ssize_t n; (n = ::read(out_pipe[0], buffer, sizeof buffer)) > 0;) output.append(buffer, static_cast<std::size_t>(n));
    ::close(out_pipe[0]);
    ::close(listener);
    ASSERT_TRUE(WIFEXITED(status)) << output;
    EXPECT_EQ(130, WEXITSTATUS(status)) << output;
    EXPECT_LT(seconds, 10.0) << "the probe should stop at its next 100 ms slice, not at --timeout 60";
    EXPECT_NE(std::string::npos, output.find("interrupted")) << output;
}

namespace {

// A loopback listener that accepts (the kernel does) and never speaks; its port.
int silent_listener(int& port) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 8) != 0)
        return -1;
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    return listener;
}

}  // namespace

TEST(CliProgress, DrawnOnATerminalAndErasedBeforeTheReport) {
    if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "util-linux script is not installed";
    int port = 0;
    const int listener = silent_listener(port);
    ASSERT_GE(listener, 0);
    const std::string spec = "ssh://nix@127.0.0.1:" + std::to_string(port) + " x86_64-linux - 1 1 - - -";
    // script(1) gives the doctor a terminal for stdout and stderr and copies what it drew.
    const std::string doctor = quote(NBD_BINARY) + " --builders " + quote(spec) + " --timeout 1.5 --select net --color never";
    FILE* pipe = ::popen(("TERM=xterm script -qec " + quote(doctor) + " /dev/null </dev/null").c_str(), "r");
    ASSERT_NE(nullptr, pipe);
    std::string drawn;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) drawn.append(buffer, n);
    ::pclose(pipe);
    ::close(listener);
    const auto progress = drawn.find("checking builders: 0 of 1 done; slowest still running: 127.0.0.1 (");
    ASSERT_NE(std::string::npos, progress) << drawn;
    const auto header = drawn.find("nix-builder-doctor 0.1.0:");
    ASSERT_NE(std::string::npos, header) << drawn;
    EXPECT_LT(progress, header);
    EXPECT_EQ("\r\x1b[K", drawn.substr(header - 4, 4)) << "the line is erased right before the report";
    EXPECT_EQ(std::string::npos, drawn.find("checking builders", header)) << "nothing is drawn after the report starts";
}

TEST(CliProgress, NeverOnAPipe) {
    int port = 0;
    const int listener = silent_listener(port);
    ASSERT_GE(listener, 0);
    const std::string spec = "ssh://nix@127.0.0.1:" + std::to_string(port) + " x86_64-linux - 1 1 - - -";
    const std::string command = "TERM=xterm " + quote(NBD_BINARY) + " --builders " + quote(spec) + " --timeout 1 --select net --format json 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(nullptr, pipe);
    std::string output;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    ::pclose(pipe);
    ::close(listener);
    EXPECT_EQ(std::string::npos, output.find("checking builders")) << output;
    EXPECT_NO_THROW((void)json::parse(output)) << "stdout and stderr together are the JSON alone\n" << output;
}
