// The OpenSSH ground truth's command line (issue 7 items 1 and 2): hostile machines-file and
// NIX_SSHOPTS values never reach ssh as options, and the doctor's own safety options come first
// (ssh keeps the first value of an option), checked with the real `ssh -G` where installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/parse/machines.hpp"
#include "nix_builder_doctor/parse/ssh_config.hpp"
#include "nix_builder_doctor/probe/ground_truth.hpp"
#include "nix_builder_doctor/probe/subprocess.hpp"

namespace {

using namespace nbd::probe;
namespace fs = std::filesystem;

std::ptrdiff_t index_of(const std::vector<std::string>& argv, const std::string& word) {
    const auto it = std::find(argv.begin(), argv.end(), word);
    return it == argv.end() ? -1 : it - argv.begin();
}

GroundTruthTarget sample() {
    GroundTruthTarget t;
    t.destination = "nix@builder";
    t.ssh_options = {"-oStrictHostKeyChecking=accept-new", "-oControlMaster=auto", "-oControlPersist=60",
                     "-oControlPath=/tmp/nbd-cp-%C", "-oCheckHostIP=yes", "-oUpdateHostKeys=yes"};
    t.identity_file = "/root/.ssh/id_ed25519";
    t.deadline = std::chrono::milliseconds(3000);
    return t;
}

bool have_ssh() { return ::access("/usr/bin/ssh", X_OK) == 0; }

// `ssh -G` with the ground truth's exact options: what ssh would really use.
std::string ssh_g(const GroundTruthTarget& t) {
    auto argv = ground_truth_argv(t);
    argv[0] = "/usr/bin/ssh";
    argv.insert(argv.begin() + 1, "-G");
    Subprocess p(argv, {}, {});
    const auto out = p.drain_stdout(1 << 20, Clock::now() + std::chrono::seconds(5));
    p.finish(std::chrono::milliseconds(500));
    return out;
}

// --- the machines line as Nix turns it into ssh arguments (docs/store-uris.md) -----------------

nbd::parse::Machine machine_of(const std::string& line) {
    const auto parsed = nbd::parse::parse_machines(line, "/etc/nix/machines", 0, {});
    EXPECT_EQ(parsed.machines.size(), 1u);
    return parsed.machines.at(0);
}

nlohmann::json builder_of(const nbd::parse::Machine& m, bool port_misread_host = false) {
    return {{"scheme", m.store.scheme}, {"host_key", {{"valid", false}}}, {"port_misread_host", port_misread_host}};
}

// `grep '^key ' <(ssh -G ...)`: the values the real ssh would use.
std::string g_value(const std::string& g, const std::string& key) {
    const auto at = g.find("\n" + key + " ");
    if (at == std::string::npos) return "";
    const auto start = at + key.size() + 2;
    return g.substr(start, g.find('\n', start) - start);
}

TEST(GroundTruthFromMachines, SshKeyParameterBecomesDashI) {
    const auto m = machine_of("ssh://nix@builder?ssh-key=/root/.ssh/id_nix&compress=true x86_64-linux");
    auto t = nbd::facts::ground_truth_target(builder_of(m), m);
    ASSERT_TRUE(t.identity_file.has_value());
    EXPECT_EQ(*t.identity_file, "/root/.ssh/id_nix");
    EXPECT_TRUE(t.compress);
    EXPECT_EQ(t.destination, "nix@builder");
    const auto argv = ground_truth_argv(t);
    const auto i = index_of(argv, "-i");
    ASSERT_GE(i, 0);
    EXPECT_EQ(argv[i + 1], "/root/.ssh/id_nix");
    if (!have_ssh()) GTEST_SKIP() << "no /usr/bin/ssh";
    // ssh drops an -i file it cannot stat, so the real ssh gets one that exists.
    const fs::path key = fs::temp_directory_path() / ("nbd-gt-key-" + std::to_string(::getpid()));
    { std::ofstream(key) << "not a key\n"; }
    const auto m2 = machine_of("ssh://nix@builder?ssh-key=" + key.string() + "&compress=true x86_64-linux");
    const std::string g = ssh_g(nbd::facts::ground_truth_target(builder_of(m2), m2));
    fs::remove(key);
    // ssh -G lists the -i file first, then its defaults.
    EXPECT_EQ(g_value(g, "identityfile"), key.string()) << g;
    EXPECT_EQ(g_value(g, "compression"), "yes") << g;
}

TEST(GroundTruthFromMachines, Column3WinsOverTheParameter) {
    const auto m = machine_of("ssh-ng://nix@builder?ssh-key=/a x86_64-linux /b");
    const auto t = nbd::facts::ground_truth_target(builder_of(m), m);
    ASSERT_TRUE(t.identity_file.has_value());
    EXPECT_EQ(*t.identity_file, "/b");
}

TEST(GroundTruthFromMachines, HostPortIsDashPOrTheMisreadHostName) {
    const auto m = machine_of("ssh-ng://nix@builder:2222 x86_64-linux");
    // Nix 2.31 and later: -p.
    auto t = nbd::facts::ground_truth_target(builder_of(m), m);
    EXPECT_EQ(t.destination, "nix@builder");
    ASSERT_TRUE(t.port.has_value());
    EXPECT_EQ(*t.port, 2222);
    // Older Nix: the whole authority is the host name and there is no -p (the machine's port is
    // dropped by builders_facts.cpp then).
    auto old = m;
    old.store.port.reset();
    t = nbd::facts::ground_truth_target(builder_of(old, true), old);
    EXPECT_EQ(t.destination, "nix@builder:2222");
    EXPECT_FALSE(t.port.has_value());
    if (!have_ssh()) GTEST_SKIP() << "no /usr/bin/ssh";
    const std::string g = ssh_g(t);
    EXPECT_EQ(g_value(g, "hostname"), "builder:2222") << g;  // what ssh then fails to resolve
    EXPECT_EQ(g_value(g, "port"), "22") << g;
}

TEST(GroundTruthFromMachines, Ipv6LiteralWithoutBrackets) {
    const auto m = machine_of("ssh://nix@[fd00::2] x86_64-linux");
    const auto t = nbd::facts::ground_truth_target(builder_of(m), m);
    EXPECT_EQ(t.destination, "nix@fd00::2");
    if (!have_ssh()) GTEST_SKIP() << "no /usr/bin/ssh";
    EXPECT_EQ(g_value(ssh_g(t), "hostname"), "fd00::2");
}

TEST(GroundTruthArgv, DoctorOptionsComeFirstAndTheDestinationAfterDoubleDash) {
    const auto argv = ground_truth_argv(sample());
    const auto strict = index_of(argv, "-oStrictHostKeyChecking=yes");
    const auto theirs = index_of(argv, "-oStrictHostKeyChecking=accept-new");
    ASSERT_GE(strict, 1);
    ASSERT_GE(theirs, 1);
    EXPECT_LT(strict, theirs);
    for (const auto& o : forced_ssh_options()) EXPECT_LT(index_of(argv, o), theirs) << o;
    const auto dashdash = index_of(argv, "--");
    ASSERT_GE(dashdash, 0);
    EXPECT_EQ(argv[dashdash + 1], "nix@builder");
    EXPECT_LT(index_of(argv, "-i"), dashdash);
}

TEST(GroundTruthArgv, StrictHostKeyCheckingYesEvenWhenTheConfigDoesNotAcceptUnknownKeys) {
    auto t = sample();
    t.forbid_host_key_writes = false;  // before: =yes only when the files said accept-new
    EXPECT_GE(index_of(ground_truth_argv(t), "-oStrictHostKeyChecking=yes"), 0);
}

TEST(GroundTruthArgv, RealSshKeepsTheDoctorsValuesOverNixSshopts) {
    if (!have_ssh()) GTEST_SKIP() << "no /usr/bin/ssh";
    const std::string g = ssh_g(sample());
    EXPECT_NE(g.find("\nstricthostkeychecking true\n"), std::string::npos) << g;
    EXPECT_NE(g.find("\ncontrolmaster false\n"), std::string::npos) << g;
    EXPECT_NE(g.find("\ncontrolpersist no\n"), std::string::npos) << g;
    EXPECT_EQ(g.find("\ncontrolpath "), std::string::npos) << g;  // none: not printed
    EXPECT_NE(g.find("\ncheckhostip no\n"), std::string::npos) << g;
    EXPECT_NE(g.find("\nupdatehostkeys false\n"), std::string::npos) << g;
    EXPECT_NE(g.find("\nbatchmode yes\n"), std::string::npos) << g;
    EXPECT_NE(g.find("\nforkafterauthentication no\n"), std::string::npos) << g;
    EXPECT_NE(g.find("\nlocalcommand echo started\n"), std::string::npos) << g;
}

TEST(GroundTruthRefusal, NixsHostCheck) {
    EXPECT_FALSE(nix_accepts_ssh_host(""));
    EXPECT_FALSE(nix_accepts_ssh_host("-oProxyCommand=touch${IFS}pwned@host"));
    EXPECT_FALSE(nix_accepts_ssh_host("nix@-oProxyCommand=x"));  // newer Nix: host must not start with '-'
    EXPECT_FALSE(nix_accepts_ssh_host("@builder"));              // newer Nix: empty user
    EXPECT_FALSE(nix_accepts_ssh_host("nix@"));
    EXPECT_TRUE(nix_accepts_ssh_host("nix@builder"));
    EXPECT_TRUE(nix_accepts_ssh_host("builder"));
    auto t = sample();
    t.destination = "-oProxyCommand=x@host";
    EXPECT_NE(ground_truth_refusal(t).find("invalid SSH host name"), std::string::npos);
}

TEST(GroundTruthRefusal, NixSshoptsFlagsTheLeadingOptionsCannotOverride) {
    EXPECT_EQ(ssh_options_refusal({}), "");
    EXPECT_EQ(ssh_options_refusal({"-o", "ControlMaster=auto", "-oControlPersist=60", "-v", "-p22", "-i", "-M", "-F/x"}), "");
    EXPECT_EQ(ssh_options_refusal({"-4Cx"}), "");
    for (const std::vector<std::string>& bad :
         std::vector<std::vector<std::string>>{{"-M"}, {"-fN"}, {"-S", "/tmp/s"}, {"-E/tmp/log"}, {"-v", "-f"}, {"-oX=1", "--"},
                                               {"evilhost"}, {"-W", "h:22"}, {"-G"}, {"-w0"}, {"-CM"}})
        EXPECT_NE(ssh_options_refusal(bad), "") << bad.front();
}

// A remote-program or remote-store value reaches the builder's login shell as part of one command
// line: shell syntax in it would run a command of its own there.
TEST(GroundTruthRefusal, RemoteCommandWordsMustBePlain) {
    EXPECT_EQ(remote_command_refusal({"/run/current-system/sw/bin/nix-store"}, std::nullopt), "");
    EXPECT_EQ(remote_command_refusal({"/nix/var/nix/profiles/default/bin/nix-daemon"}, std::string("local?root=/nix2")), "");
    EXPECT_EQ(remote_command_refusal({"nix-store", "--option", "max-jobs", "2"}, std::string("daemon")), "");
    for (const char* bad : {"nix-store;touch /tmp/pwned", "$(touch x)", "`id`", "nix-store|sh", "a&b", "x>y", "a'b"})
        EXPECT_NE(remote_command_refusal({bad}, std::nullopt).find("remote-program"), std::string::npos) << bad;
    EXPECT_NE(remote_command_refusal({}, std::string("auto;touch /tmp/pwned")).find("remote-store"), std::string::npos);
    EXPECT_NE(remote_command_refusal({}, std::string("local&touch x")).find("remote-store"), std::string::npos);
    auto t = sample();
    t.remote_program = {"nix-store;touch", "/tmp/pwned"};
    EXPECT_NE(ground_truth_refusal(t).find("remote-program"), std::string::npos);
}

// Before the fix, the destination was argv[1]: ssh took `-oProxyCommand=...` as an option and
// ran the command (as root under sudo). Now nothing runs.
TEST(GroundTruthRun, HostileUserPartRunsNoCommand) {
    if (!have_ssh()) GTEST_SKIP() << "no /usr/bin/ssh";
    char dir_template[] = "/tmp/nbd-gt-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    const std::string dir = dir_template;
    GroundTruthTarget t;
    t.destination = "-oProxyCommand=touch${IFS}" + dir + "/pwned@host";
    t.ssh_program = "/usr/bin/ssh";
    t.deadline = std::chrono::milliseconds(3000);
    const auto r = run_ground_truth(t);
    EXPECT_EQ(r.outcome, "refused");
    EXPECT_NE(r.detail.find("invalid SSH host name"), std::string::npos) << r.detail;
    ::usleep(200 * 1000);
    EXPECT_TRUE(fs::is_empty(dir)) << "a command from the machines file ran";
    // The same value in NIX_SSHOPTS' place after the doctor's options would still be an
    // option; a stray word there is refused too.
    GroundTruthTarget u;
    u.destination = "host";
    u.ssh_options = {"-oProxyCommand=touch " + dir + "/pwned2", "nix-store"};
    EXPECT_EQ(run_ground_truth(u).outcome, "refused");
    EXPECT_TRUE(fs::is_empty(dir));
    fs::remove_all(dir);
}

TEST(SshConfigMatchExec, AssumedMatchingShowsWhatItsBlockSets) {
    using namespace nbd::parse;
    IncludeSource none;
    none.read = [](const std::string&) { return ReadResult{}; };
    none.glob = [](const std::string&) { return std::vector<std::string>{}; };
    const auto c = parse_ssh_config("Match exec \"true\"\n  StrictHostKeyChecking accept-new\n  ControlMaster auto\n",
                                    "/etc/ssh/ssh_config", none, "/etc/ssh");
    SshTarget t;
    t.host = "b";
    t.local_user = "root";
    t.local_home = "/root";
    const auto plain = evaluate_ssh_config({&c}, t);
    EXPECT_TRUE(plain.match_exec_seen);
    EXPECT_EQ(plain.strict_host_key_checking.value, "ask");
    t.assume_match_exec = true;
    const auto may = evaluate_ssh_config({&c}, t);
    EXPECT_EQ(may.strict_host_key_checking.value, "accept-new");
    EXPECT_EQ(may.control_master.value, "auto");
}

}  // namespace
