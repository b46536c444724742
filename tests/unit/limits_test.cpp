// Every bound reached is reported (a LimitReached with file:line), and a file that exists but is
// not a regular file (FIFO, directory, symlink loop) is "cannot read" with the reason, never
// "missing". Each test here failed before the bounds were reported.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "nix_builder_doctor/facts/filesystem.hpp"
#include "nix_builder_doctor/parse/machines.hpp"
#include "nix_builder_doctor/parse/nix_conf.hpp"
#include "nix_builder_doctor/parse/ssh_config.hpp"
#include "nix_builder_doctor/parse/sshd_config.hpp"

namespace {

namespace fs = std::filesystem;
using namespace nbd::parse;
using nbd::facts::RootedFileSystem;

// N files /etc/ssh/d/0001.conf ... served from memory; `last` is the text of the last one.
IncludeSource many_files(int n, const std::string& last, const std::string& other = "# empty\n") {
    auto names = std::make_shared<std::vector<std::string>>();
    for (int i = 1; i <= n; ++i) {
        char name[64];
        std::snprintf(name, sizeof name, "/etc/ssh/d/%05d.conf", i);
        names->push_back(name);
    }
    IncludeSource s;
    s.glob = [names](const std::string&) { return *names; };
    s.read = [names, last, other](const std::string& path) {
        return ReadResult{ReadStatus::ok, path == names->back() ? last : other, {}};
    };
    return s;
}

const LimitReached* find_limit(const std::vector<LimitReached>& limits, const std::string& bound) {
    for (const auto& l : limits)
        if (l.bound == bound) return &l;
    return nullptr;
}

TEST(Limits, SshdReadsThe300thIncludedFileLikeSshdT) {
    // sshd -T -f CONF with 300 files in one Include glob prints the DenyUsers of the 300th.
    const auto c = parse_sshd_config("Include /etc/ssh/d/*.conf\n", "/etc/ssh/sshd_config",
                                     many_files(300, "DenyUsers nix\n"));
    EXPECT_EQ(300u, c.included_files.size());
    EXPECT_TRUE(c.limits.empty());
    SshdMatchContext m;
    m.user = "nix";
    const auto e = evaluate_sshd_config(c, m);
    ASSERT_EQ(1u, e.deny_users.size());
    EXPECT_FALSE(sshd_user_allowed(e, "nix", {}, "", "", nullptr));
}

TEST(Limits, SshdIncludedFilesBoundIsReportedWithTheIncludeLine) {
    const auto c = parse_sshd_config("Port 22\nInclude /etc/ssh/d/*.conf\n", "/etc/ssh/sshd_config",
                                     many_files(10001, "DenyUsers nix\n"));
    EXPECT_EQ(10000u, c.included_files.size());
    const auto* l = find_limit(c.limits, "included files");
    ASSERT_NE(nullptr, l);
    EXPECT_EQ(10000u, l->value);
    EXPECT_EQ("/etc/ssh/sshd_config", l->file);
    EXPECT_EQ(2, l->line);
    EXPECT_NE(std::string::npos, l->what.find("/etc/ssh/d/10001.conf"));
}

TEST(Limits, SshClientReadsThe300thIncludedFile) {
    // ssh -G with 3000 files in one Include glob takes the User of the 3000th.
    const auto c = parse_ssh_config("Include /etc/ssh/d/*.conf\n", "/etc/ssh/ssh_config",
                                    many_files(300, "User zed\n"), "/etc/ssh");
    EXPECT_EQ(300u, c.included_files.size());
    EXPECT_TRUE(c.limits.empty());
    const auto big = parse_ssh_config("Include /etc/ssh/d/*.conf\n", "/etc/ssh/ssh_config",
                                      many_files(10001, "User zed\n"), "/etc/ssh");
    const auto* l = find_limit(big.limits, "included files");
    ASSERT_NE(nullptr, l);
    EXPECT_EQ(1, l->line);
}

TEST(Limits, NotRegularIncludedFileIsNamedWithItsReason) {
    IncludeSource s;
    s.glob = [](const std::string& p) { return std::vector<std::string>{p}; };
    s.read = [](const std::string&) {
        return ReadResult{ReadStatus::not_regular, {}, "a FIFO (named pipe), not a regular file"};
    };
    const auto c = parse_sshd_config("Include /etc/ssh/x.conf\n", "/etc/ssh/sshd_config", s);
    ASSERT_EQ(1u, c.notes.size());
    EXPECT_NE(std::string::npos, c.notes[0].message.find("FIFO"));
}

TEST(Limits, NixConfIncludeDepthAndBudgetAreLimits) {
    IncludeSource s;
    s.read = [](const std::string& path) {
        // /d/N includes /d/N+1: deeper than the bound.
        const int n = std::stoi(path.substr(3));
        return ReadResult{ReadStatus::ok, "include /d/" + std::to_string(n + 1) + "\n", {}};
    };
    const auto c = parse_nix_conf("include /d/1\n", "/etc/nix/nix.conf", s);
    const auto* l = find_limit(c.limits, "include depth");
    ASSERT_NE(nullptr, l);
    EXPECT_EQ(static_cast<std::uint64_t>(kMaxIncludeDepth), l->value);
    EXPECT_EQ("/d/16", l->file);
    EXPECT_EQ(1, l->line);
}

TEST(Limits, NixConfUnreadableIncludeKeepsItsReason) {
    IncludeSource s;
    s.read = [](const std::string&) { return ReadResult{ReadStatus::not_regular, {}, "a directory, not a file"}; };
    const auto c = parse_nix_conf("include /etc/nix/extra.conf\n", "/etc/nix/nix.conf", s);
    ASSERT_EQ(2u, c.files.size());
    EXPECT_EQ("a directory, not a file", c.files[1].reason);
}

TEST(Limits, MachinesBuildersBoundIsReported) {
    std::string text;
    for (int i = 0; i < 10001; ++i) text += "ssh://b" + std::to_string(i) + " x86_64-linux\n";
    const auto m = parse_machines(text, "/etc/nix/machines", 0, {});
    EXPECT_EQ(10000u, m.machines.size());
    const auto* l = find_limit(m.limits, "builders");
    ASSERT_NE(nullptr, l);
    EXPECT_EQ(10001, l->line);
}

TEST(Limits, MachinesFileThatIsASymlinkLoopIsAnErrorWithTheReason) {
    IncludeSource s;
    s.read = [](const std::string&) { return ReadResult{ReadStatus::not_regular, {}, "a symlink loop"}; };
    const auto m = parse_machines("@/etc/nix/machines", "/etc/nix/nix.conf", 4, s);
    EXPECT_TRUE(m.missing_files.empty());
    ASSERT_EQ(1u, m.errors.size());
    EXPECT_NE(std::string::npos, m.errors[0].message.find("symlink loop"));
    EXPECT_EQ(4, m.errors[0].line);
}

class LimitsTree : public ::testing::Test {
protected:
    void SetUp() override {
        std::string templ = (fs::temp_directory_path() / "nbd-limits-XXXXXX").string();
        base = ::mkdtemp(templ.data());
        fs::create_directories(base / "etc/nix");
    }
    void TearDown() override { fs::remove_all(base); }
    fs::path base;
};

TEST_F(LimitsTree, SymlinkLoopIsNotMissing) {
    fs::create_symlink("machines.next", base / "etc/nix/machines");
    fs::create_symlink("machines", base / "etc/nix/machines.next");
    RootedFileSystem rfs(base.string());
    const auto r = rfs.read("/etc/nix/machines");
    EXPECT_EQ(ReadStatus::not_regular, r.status);
    EXPECT_NE(std::string::npos, r.reason.find("symlink loop"));
    ASSERT_EQ(1u, rfs.records().size());
    EXPECT_NE(std::string::npos, rfs.records()[0].error.find("symlink loop"));
}

TEST_F(LimitsTree, FifoAndDirectoryNameWhatTheyAre) {
    ASSERT_EQ(0, ::mkfifo((base / "etc/nix/nix.conf").c_str(), 0644));
    fs::create_directories(base / "etc/nix/machines");
    RootedFileSystem rfs(base.string());
    const auto fifo = rfs.read("/etc/nix/nix.conf");
    EXPECT_EQ(ReadStatus::not_regular, fifo.status);
    EXPECT_NE(std::string::npos, fifo.reason.find("FIFO"));
    const auto dir = rfs.read("/etc/nix/machines");
    EXPECT_EQ(ReadStatus::not_regular, dir.status);
    EXPECT_NE(std::string::npos, dir.reason.find("directory"));
}

TEST_F(LimitsTree, FileSizeBoundIsALimit) {
    std::ofstream(base / "etc/nix/nix.conf").close();
    ASSERT_EQ(0, ::truncate((base / "etc/nix/nix.conf").c_str(), static_cast<off_t>(nbd::facts::kMaxFileSize) + 1));
    RootedFileSystem rfs(base.string());
    EXPECT_EQ(ReadStatus::too_large, rfs.read("/etc/nix/nix.conf").status);
    ASSERT_EQ(1u, rfs.limits().size());
    EXPECT_EQ("file size", rfs.limits()[0].bound);
    EXPECT_EQ(nbd::facts::kMaxFileSize, rfs.limits()[0].value);
    EXPECT_EQ("/etc/nix/nix.conf", rfs.limits()[0].file);
}

TEST_F(LimitsTree, GlobMatchesBoundIsALimit) {
    fs::create_directories(base / "etc/ssh/d");
    const std::size_t n = nbd::facts::kMaxGlobMatches + 1;
    for (std::size_t i = 0; i < n; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "%06zu.conf", i);
        std::ofstream(base / "etc/ssh/d" / name).close();
    }
    RootedFileSystem rfs(base.string());
    const auto matches = rfs.glob("/etc/ssh/d/*.conf");
    EXPECT_EQ(nbd::facts::kMaxGlobMatches, matches.size());
    EXPECT_EQ("/etc/ssh/d/000000.conf", matches.front());  // the first ones by name are kept
    ASSERT_EQ(1u, rfs.limits().size());
    EXPECT_EQ("glob matches", rfs.limits()[0].bound);
    EXPECT_EQ("/etc/ssh/d/*.conf", rfs.limits()[0].file);
}

}  // namespace
