// RootedFileSystem: everything is read inside --root (absolute symlinks re-rooted, `..` stops at
// the root), reads are bounded and never block, and every read is recorded once.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string>

#include "nix_builder_doctor/facts/filesystem.hpp"

namespace {

namespace fs = std::filesystem;
using nbd::facts::kMaxFileSize;
using nbd::facts::normalize_path;
using nbd::facts::parent_directory;
using nbd::facts::RootedFileSystem;
using nbd::parse::ReadStatus;

constexpr uid_t kNobody = 65534;

// A temporary directory holding `root/` (the machine's /) and files beside it (outside the root).
class FsTree {
public:
    FsTree() {
        std::string templ = (fs::temp_directory_path() / "nbd-fs-XXXXXX").string();
        m_base = ::mkdtemp(templ.data());
        fs::create_directories(m_base / "root");
        // Traversable by an unprivileged child (see as_unprivileged).
        ::chmod(m_base.c_str(), 0755);
        ::chmod((m_base / "root").c_str(), 0755);
    }
    ~FsTree() {
        std::error_code ec;
        for (const auto& e : fs::recursive_directory_iterator(m_base, fs::directory_options::skip_permission_denied, ec))
            if (e.is_directory(ec) && !e.is_symlink(ec)) ::chmod(e.path().c_str(), 0755);
        fs::remove_all(m_base, ec);
    }
    fs::path base() const { return m_base; }
    fs::path root() const { return m_base / "root"; }
    // Host path of a machine path.
    fs::path host(const std::string& machine_path) const { return root() / machine_path.substr(1); }

    void write(const std::string& machine_path, const std::string& text, mode_t mode = 0644) const {
        write_host(host(machine_path), text, mode);
    }
    static void write_host(const fs::path& p, const std::string& text, mode_t mode = 0644) {
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        ::chmod(p.c_str(), mode);
    }
    void mkdir(const std::string& machine_path, mode_t mode = 0755) const {
        fs::create_directories(host(machine_path));
        ::chmod(host(machine_path).c_str(), mode);
    }
    void symlink(const std::string& target, const std::string& machine_path) const {
        fs::create_directories(host(machine_path).parent_path());
        ASSERT_EQ(0, ::symlink(target.c_str(), host(machine_path).c_str())) << std::strerror(errno);
    }

private:
    fs::path m_base;
};

// Runs `check` as an unprivileged user and returns what it returns (0: all good). As root the
// check runs in a child that dropped to nobody, because root reads everything.
int as_unprivileged(const std::function<int()>& check) {
    if (::geteuid() != 0) return check();
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(100);
        ::_exit(check());
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -3;
}

// ---------------------------------------------------------------- paths

TEST(FileSystemPaths, NormalizePath) {
    EXPECT_EQ("/a/c", normalize_path("/a/b/../c"));
    EXPECT_EQ("/a/b", normalize_path("/a//./b/"));
    EXPECT_EQ("/x", normalize_path("/../../x")) << "`..` stops at /";
    EXPECT_EQ("/", normalize_path("/"));
    EXPECT_EQ("/", normalize_path("/.."));
    EXPECT_EQ("/etc/ssh/sshd_config.d/a.conf", normalize_path("sshd_config.d/a.conf", "/etc/ssh"));
    EXPECT_EQ("/etc/x", normalize_path("../x", "/etc/ssh"));
    EXPECT_EQ("/abs", normalize_path("/abs", "/etc/ssh")) << "absolute paths ignore the base";
}

TEST(FileSystemPaths, ParentDirectory) {
    EXPECT_EQ("/etc/nix", parent_directory("/etc/nix/nix.conf"));
    EXPECT_EQ("/", parent_directory("/etc"));
    EXPECT_EQ("/", parent_directory("/"));
    EXPECT_EQ("/", parent_directory("relative"));
}

// ---------------------------------------------------------------- reading inside the root

TEST(RootedFileSystem, ReadsAFileUnderTheRoot) {
    FsTree t;
    t.write("/etc/nix/nix.conf", "max-jobs = 0\n");
    RootedFileSystem fs(t.root().string());
    const auto r = fs.read("/etc/nix/nix.conf");
    EXPECT_EQ(ReadStatus::ok, r.status);
    EXPECT_EQ("max-jobs = 0\n", r.text);
    EXPECT_EQ(ReadStatus::missing, fs.read("/etc/nix/machines").status);
}

TEST(RootedFileSystem, TrailingSlashInTheRootIsIgnored) {
    FsTree t;
    t.write("/etc/hostname", "inside\n");
    RootedFileSystem fs(t.root().string() + "///");
    EXPECT_EQ(t.root().string(), fs.root());
    EXPECT_EQ("inside\n", fs.read("/etc/hostname").text);
}

TEST(RootedFileSystem, AbsoluteSymlinkTargetIsReRooted) {
    FsTree t;
    // /etc/passwd exists on every host: reading the host's would be the bug.
    t.write("/etc/passwd", "alice:x:1000:1000::/home/alice:/bin/sh\n");
    t.symlink("/etc/passwd", "/link-to-passwd");
    RootedFileSystem fs(t.root().string());
    const auto r = fs.read("/link-to-passwd");
    EXPECT_EQ(ReadStatus::ok, r.status);
    EXPECT_EQ("alice:x:1000:1000::/home/alice:/bin/sh\n", r.text);
    const auto host = fs.resolve("/link-to-passwd");
    ASSERT_TRUE(host.has_value());
    EXPECT_EQ((t.root() / "etc/passwd").string(), *host);
}

TEST(RootedFileSystem, AbsoluteSymlinkToAMissingTargetIsMissingNotTheHostFile) {
    FsTree t;
    t.symlink("/etc/passwd", "/link-to-passwd");  // no etc/passwd under the root
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ(ReadStatus::missing, fs.read("/link-to-passwd").status);
    EXPECT_FALSE(fs.stat("/link-to-passwd").has_value());
}

TEST(RootedFileSystem, SymlinkedDirectoryLikeNixOsEtcStatic) {
    FsTree t;
    t.write("/nix/store/abc-etc/nix/nix.conf", "trusted-users = root\n");
    t.symlink("/nix/store/abc-etc", "/etc/static");
    t.symlink("/etc/static/nix/nix.conf", "/etc/nix/nix.conf");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ("trusted-users = root\n", fs.read("/etc/nix/nix.conf").text);
}

// nix-darwin: /etc/nix/nix.conf -> /etc/static/nix/nix.conf, /etc/static -> the system's etc in
// the store, whose entry links to the store file; macOS's /etc is itself a link to private/etc.
TEST(RootedFileSystem, NixDarwinEtcChainUnderMacOSPrivateEtc) {
    FsTree t;
    t.write("/nix/store/bbb-nix.conf", "build-users-group = nixbld\n");
    t.symlink("/nix/store/bbb-nix.conf", "/nix/store/aaa-etc/etc/nix/nix.conf");
    // A store link that tries to climb out of the root ends at the root's own file.
    t.symlink("../../../../../../../../etc/passwd", "/nix/store/aaa-etc/etc/passwd-escape");
    t.write("/private/etc/passwd", "root:*:0:0:System Administrator:/var/root:/bin/sh\n");
    t.symlink("private/etc", "/etc");
    t.symlink("/nix/store/aaa-etc/etc", "/private/etc/static");
    t.symlink("/etc/static/nix/nix.conf", "/private/etc/nix/nix.conf");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ("build-users-group = nixbld\n", fs.read("/etc/nix/nix.conf").text);
    EXPECT_EQ("root:*:0:0:System Administrator:/var/root:/bin/sh\n", fs.read("/etc/static/passwd-escape").text);
    const auto info = fs.lstat("/etc/nix/nix.conf");
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->is_symlink);
    EXPECT_EQ("/etc/static/nix/nix.conf", info->symlink_target);
}

TEST(RootedFileSystem, RelativeSymlinkTarget) {
    FsTree t;
    t.write("/etc/static/nix.conf", "relative\n");
    t.symlink("../static/nix.conf", "/etc/nix/nix.conf");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ("relative\n", fs.read("/etc/nix/nix.conf").text);
}

TEST(RootedFileSystem, DotDotCannotEscapeTheRoot) {
    FsTree t;
    FsTree::write_host(t.base() / "secret.txt", "outside\n");
    t.write("/secret.txt", "inside\n");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ("inside\n", fs.read("/../secret.txt").text);
    EXPECT_EQ("inside\n", fs.read("/etc/../../../secret.txt").text);
}

TEST(RootedFileSystem, RelativeSymlinkCannotClimbOutOfTheRoot) {
    FsTree t;
    FsTree::write_host(t.base() / "secret.txt", "outside\n");
    t.symlink("../secret.txt", "/up");
    t.symlink("../../../../../secret.txt", "/a/b/deep");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ(ReadStatus::missing, fs.read("/up").status) << "../secret.txt from / is /secret.txt under the root";
    EXPECT_EQ(ReadStatus::missing, fs.read("/a/b/deep").status);
    t.write("/secret.txt", "inside\n");
    RootedFileSystem fresh(t.root().string());
    EXPECT_EQ("inside\n", fresh.read("/up").text);
    EXPECT_EQ("inside\n", fresh.read("/a/b/deep").text);
}

TEST(RootedFileSystem, SymlinkThroughAMissingDirectoryCannotClimbOut) {
    FsTree t;
    FsTree::write_host(t.base() / "secret.txt", "outside\n");
    t.symlink("missing/../../secret.txt", "/trick");
    t.symlink("/missing/../../secret.txt", "/trick-absolute");
    RootedFileSystem fs(t.root().string());
    EXPECT_NE("outside\n", fs.read("/trick").text);
    EXPECT_NE(ReadStatus::ok, fs.read("/trick").status);
    EXPECT_NE(ReadStatus::ok, fs.read("/trick-absolute").status);
    EXPECT_FALSE(fs.stat("/trick").has_value());
}

TEST(RootedFileSystem, SymlinkLoopsEnd) {
    FsTree t;
    t.symlink("b", "/a");
    t.symlink("a", "/b");
    t.symlink("/self", "/self");
    t.symlink("grow/grow", "/grow");
    RootedFileSystem fs(t.root().string());
    auto fut = std::async(std::launch::async, [&] {
        return std::vector<ReadStatus>{fs.read("/a").status, fs.read("/self").status, fs.read("/grow/x").status};
    });
    ASSERT_EQ(std::future_status::ready, fut.wait_for(std::chrono::seconds(10))) << "symlink loop did not end";
    // A loop is there (it is no absence): "not a regular file", with the reason recorded.
    for (const auto s : fut.get()) EXPECT_EQ(ReadStatus::not_regular, s);
    EXPECT_NE(std::string::npos, fs.read("/a").reason.find("symlink loop"));
    EXPECT_FALSE(fs.resolve("/a").has_value());
    EXPECT_FALSE(fs.stat("/a").has_value());
    const auto link = fs.lstat("/a");
    ASSERT_TRUE(link.has_value()) << "lstat does not follow the last link";
    EXPECT_TRUE(link->is_symlink);
    EXPECT_EQ("b", link->symlink_target);
}

TEST(RootedFileSystem, FifoIsNotRegularAndDoesNotBlock) {
    FsTree t;
    t.mkdir("/etc/nix");
    ASSERT_EQ(0, ::mkfifo(t.host("/etc/nix/machines").c_str(), 0644)) << std::strerror(errno);
    t.symlink("/etc/nix/machines", "/etc/nix/link-to-fifo");
    RootedFileSystem fs(t.root().string());
    auto fut = std::async(std::launch::async, [&] {
        return std::make_pair(fs.read("/etc/nix/machines").status, fs.read("/etc/nix/link-to-fifo").status);
    });
    if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        // Unblock the reader so the test fails instead of hanging.
        for (int i = 0; i < 2; ++i) {
            const int fd = ::open(t.host("/etc/nix/machines").c_str(), O_WRONLY | O_NONBLOCK);
            if (fd >= 0) ::close(fd);
        }
        fut.wait();
        FAIL() << "reading a FIFO blocked";
    }
    const auto [direct, via_link] = fut.get();
    EXPECT_EQ(ReadStatus::not_regular, direct);
    EXPECT_EQ(ReadStatus::not_regular, via_link);
}

TEST(RootedFileSystem, DirectoryIsNotRegular) {
    FsTree t;
    t.mkdir("/etc/nix");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ(ReadStatus::not_regular, fs.read("/etc/nix").status);
}

TEST(RootedFileSystem, FileOverSixteenMebibytesIsTooLarge) {
    FsTree t;
    t.write("/big", "");
    ASSERT_EQ(0, ::truncate(t.host("/big").c_str(), static_cast<off_t>(kMaxFileSize) + 1));  // sparse: fast
    RootedFileSystem fs(t.root().string());
    const auto r = fs.read("/big");
    EXPECT_EQ(ReadStatus::too_large, r.status);
    EXPECT_TRUE(r.text.empty());
    ASSERT_EQ(1u, fs.records().size());
    EXPECT_EQ(ReadStatus::too_large, fs.records()[0].status);
}

TEST(RootedFileSystem, FileOfExactlySixteenMebibytesIsRead) {
    FsTree t;
    t.write("/edge", "");
    ASSERT_EQ(0, ::truncate(t.host("/edge").c_str(), static_cast<off_t>(kMaxFileSize)));
    RootedFileSystem fs(t.root().string());
    const auto r = fs.read("/edge");
    EXPECT_EQ(ReadStatus::ok, r.status);
    EXPECT_EQ(kMaxFileSize, r.text.size());
}

TEST(RootedFileSystem, UnreadableFile) {
    FsTree t;
    t.write("/root/.ssh/id_ed25519", "PRIVATE\n", 0600);
    ::chmod(t.host("/root/.ssh").c_str(), 0755);
    ::chmod(t.host("/root").c_str(), 0755);
    if (::geteuid() != 0) ::chmod(t.host("/root/.ssh/id_ed25519").c_str(), 0000);
    else ASSERT_EQ(0, ::chown(t.host("/root/.ssh/id_ed25519").c_str(), 0, 0));
    const std::string root = t.root().string();
    const int code = as_unprivileged([&root] {
        RootedFileSystem fs(root);
        const auto r = fs.read("/root/.ssh/id_ed25519");
        if (r.status != ReadStatus::unreadable) return 1;
        if (!r.text.empty()) return 2;
        if (fs.records().size() != 1) return 3;
        const auto& rec = fs.records()[0];
        if (rec.status != ReadStatus::unreadable || rec.error != std::strerror(EACCES)) return 4;
        if (!rec.info || (rec.info->mode != 0600 && rec.info->mode != 0)) return 5;  // stat works; open does not
        if (!fs.stat("/root/.ssh/id_ed25519")) return 6;
        return 0;
    });
    EXPECT_EQ(0, code) << "1 status, 2 text, 3 records, 4 record, 5 info, 6 stat, 100 could not drop to nobody";
}

TEST(RootedFileSystem, AccessDeniedInsideAClosedDirectory) {
    FsTree t;
    t.write("/root/.ssh/id_ed25519", "PRIVATE\n", 0600);
    t.write("/etc/nix/nix.conf", "x = y\n");
    ::chmod(t.host("/root").c_str(), 0700);
    if (::geteuid() != 0) ::chmod(t.host("/root").c_str(), 0000);
    const std::string root = t.root().string();
    const int code = as_unprivileged([&root] {
        RootedFileSystem fs(root);
        if (fs.stat("/root/.ssh/id_ed25519")) return 1;
        if (!fs.access_denied("/root/.ssh/id_ed25519")) return 2;
        if (fs.access_denied("/etc/nix/nix.conf")) return 3;
        if (fs.access_denied("/etc/nix/missing")) return 4;
        if (fs.records().size() != 1 || fs.records()[0].status != ReadStatus::unreadable ||
            fs.records()[0].path != "/root/.ssh/id_ed25519")
            return 5;
        if (fs.read("/root/.ssh/id_ed25519").status != ReadStatus::unreadable) return 6;
        if (fs.records().size() != 1) return 7;
        return 0;
    });
    EXPECT_EQ(0, code) << "1 stat, 2 denied, 3 readable, 4 missing, 5 record, 6 read, 7 recorded twice, 100 no nobody";
}

TEST(RootedFileSystem, AccessDeniedIsFalseForReadableAndMissingPaths) {
    FsTree t;
    t.write("/etc/nix/nix.conf", "x = y\n");
    RootedFileSystem fs(t.root().string());
    EXPECT_FALSE(fs.access_denied("/etc/nix/nix.conf"));
    EXPECT_FALSE(fs.access_denied("/etc/nix/machines"));
    EXPECT_FALSE(fs.access_denied("/no/such/dir/file"));
    EXPECT_TRUE(fs.records().empty());
}

// ---------------------------------------------------------------- stat / lstat / list

TEST(RootedFileSystem, StatAndLstat) {
    FsTree t;
    t.write("/etc/ssh/ssh_config", "Host *\n", 0640);
    t.symlink("/etc/ssh/ssh_config", "/etc/ssh/link");
    RootedFileSystem fs(t.root().string());
    const auto followed = fs.stat("/etc/ssh/link");
    ASSERT_TRUE(followed.has_value());
    EXPECT_TRUE(followed->is_regular);
    EXPECT_FALSE(followed->is_symlink);
    EXPECT_EQ(0640u, followed->mode);
    EXPECT_EQ(7u, followed->size);
    const auto link = fs.lstat("/etc/ssh/link");
    ASSERT_TRUE(link.has_value());
    EXPECT_TRUE(link->is_symlink);
    EXPECT_EQ("/etc/ssh/ssh_config", link->symlink_target) << "the target as written";
    const auto dir = fs.stat("/etc/ssh");
    ASSERT_TRUE(dir.has_value());
    EXPECT_TRUE(dir->is_directory);
    EXPECT_FALSE(fs.stat("/etc/ssh/nothing").has_value());
    EXPECT_FALSE(fs.lstat("/etc/ssh/nothing").has_value());
}

TEST(RootedFileSystem, ListDirectoryIsSorted) {
    FsTree t;
    for (const char* n : {"c", "a", ".hidden", "b"}) t.write(std::string("/d/") + n, "");
    t.symlink("/d", "/link-to-d");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ((std::vector<std::string>{".hidden", "a", "b", "c"}), fs.list_directory("/d"));
    EXPECT_EQ((std::vector<std::string>{".hidden", "a", "b", "c"}), fs.list_directory("/link-to-d"));
    EXPECT_TRUE(fs.list_directory("/d/a").empty()) << "a file is not a directory";
    EXPECT_TRUE(fs.list_directory("/nothing").empty());
}

// ---------------------------------------------------------------- glob

TEST(RootedFileSystemGlob, StarAndQuestionMark) {
    FsTree t;
    for (const char* n : {"a.conf", "b.conf", "ab.conf", ".hidden.conf", "a.txt"}) t.write(std::string("/etc/ssh/sshd_config.d/") + n, "");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ((std::vector<std::string>{"/etc/ssh/sshd_config.d/a.conf", "/etc/ssh/sshd_config.d/ab.conf",
                                        "/etc/ssh/sshd_config.d/b.conf"}),
              fs.glob("/etc/ssh/sshd_config.d/*.conf"))
        << "sorted, hidden files not matched by *";
    EXPECT_EQ((std::vector<std::string>{"/etc/ssh/sshd_config.d/a.conf", "/etc/ssh/sshd_config.d/b.conf"}),
              fs.glob("/etc/ssh/sshd_config.d/?.conf"));
    EXPECT_EQ((std::vector<std::string>{"/etc/ssh/sshd_config.d/a.conf", "/etc/ssh/sshd_config.d/a.txt"}),
              fs.glob("/etc/ssh/sshd_config.d/a.*"));
    EXPECT_EQ((std::vector<std::string>{"/etc/ssh/sshd_config.d/.hidden.conf"}), fs.glob("/etc/ssh/sshd_config.d/.*.conf"));
    EXPECT_EQ((std::vector<std::string>{"/etc/ssh/sshd_config.d/a.conf", "/etc/ssh/sshd_config.d/b.conf"}),
              fs.glob("/etc/ssh/sshd_config.d/[ab].conf"));
}

TEST(RootedFileSystemGlob, WildcardsInDirectories) {
    FsTree t;
    t.write("/home/alice/.ssh/config", "");
    t.write("/home/bob/.ssh/config", "");
    t.write("/home/carol/notes", "");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ((std::vector<std::string>{"/home/alice/.ssh/config", "/home/bob/.ssh/config"}), fs.glob("/home/*/.ssh/config"));
    EXPECT_EQ((std::vector<std::string>{"/home/alice/.ssh/config"}), fs.glob("/home/?lice/.ssh/*"));
}

TEST(RootedFileSystemGlob, NoWildcardAndNoMatch) {
    FsTree t;
    t.write("/etc/ssh/ssh_config", "");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ(std::vector<std::string>{"/etc/ssh/ssh_config"}, fs.glob("/etc/ssh/ssh_config"));
    EXPECT_TRUE(fs.glob("/etc/ssh/nothing").empty());
    EXPECT_TRUE(fs.glob("/etc/ssh/*.nothing").empty());
    EXPECT_TRUE(fs.glob("/nothing/*/x").empty());
    EXPECT_TRUE(fs.glob("/").empty());
}

TEST(RootedFileSystemGlob, StaysInsideTheRoot) {
    FsTree t;
    FsTree::write_host(t.base() / "outside.conf", "");
    t.write("/inside.conf", "");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ(std::vector<std::string>{"/inside.conf"}, fs.glob("/../*.conf"));
}

TEST(RootedFileSystemGlob, ThroughASymlinkedDirectory) {
    FsTree t;
    t.write("/nix/store/abc-etc/ssh/ssh_config.d/10.conf", "");
    t.symlink("/nix/store/abc-etc/ssh", "/etc/ssh");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ(std::vector<std::string>{"/etc/ssh/ssh_config.d/10.conf"}, fs.glob("/etc/ssh/ssh_config.d/*.conf"))
        << "paths as the machine sees them";
}

TEST(RootedFileSystemGlob, ManyDirectoriesNeverYieldNonMatches) {
    // Past 10000 intermediate matches, glob used to stop and return the directories themselves.
    FsTree t;
    t.mkdir("/many");
    for (int i = 0; i <= 10000; ++i) ASSERT_EQ(0, ::mkdir(t.host("/many/d" + std::to_string(i)).c_str(), 0755));
    t.write("/many/d7/x.conf", "");
    RootedFileSystem fs(t.root().string());
    const auto matches = fs.glob("/many/*/x.conf");
    for (const auto& m : matches) EXPECT_EQ("x.conf", m.substr(m.size() - 6)) << "not a match: " << m;
    EXPECT_LE(matches.size(), 1u);
}

// ---------------------------------------------------------------- records

TEST(RootedFileSystemRecords, EachReadOnceInOrderWithModeAndOwner) {
    FsTree t;
    t.write("/etc/nix/nix.conf", "a = b\n", 0640);
    t.write("/etc/nix/machines", "ssh://x\n", 0600);
    const unsigned uid = ::geteuid() == 0 ? 1234 : ::geteuid();
    const unsigned gid = ::geteuid() == 0 ? 5678 : ::getegid();
    ASSERT_EQ(0, ::chown(t.host("/etc/nix/nix.conf").c_str(), uid, gid));
    RootedFileSystem fs(t.root().string());
    fs.read("/etc/nix/nix.conf");
    fs.read("/etc/nix/machines");
    fs.read("/etc/nix/nix.conf");
    fs.read("/etc//nix/./nix.conf");
    fs.read("/etc/nix/missing");
    fs.read("/etc/nix/missing");
    const auto& recs = fs.records();
    ASSERT_EQ(3u, recs.size());
    EXPECT_EQ("/etc/nix/nix.conf", recs[0].path);
    EXPECT_EQ(ReadStatus::ok, recs[0].status);
    ASSERT_TRUE(recs[0].info.has_value());
    EXPECT_EQ(0640u, recs[0].info->mode);
    EXPECT_EQ(uid, recs[0].info->uid);
    EXPECT_EQ(gid, recs[0].info->gid);
    EXPECT_EQ(6u, recs[0].info->size);
    EXPECT_EQ("/etc/nix/machines", recs[1].path);
    EXPECT_EQ(0600u, recs[1].info->mode);
    EXPECT_EQ("/etc/nix/missing", recs[2].path);
    EXPECT_EQ(ReadStatus::missing, recs[2].status);
    EXPECT_FALSE(recs[2].info.has_value());
    EXPECT_TRUE(recs[2].error.empty());
}

TEST(RootedFileSystemRecords, StatAndGlobAreNotReads) {
    FsTree t;
    t.write("/etc/nix/nix.conf", "");
    RootedFileSystem fs(t.root().string());
    fs.stat("/etc/nix/nix.conf");
    fs.lstat("/etc/nix/nix.conf");
    fs.glob("/etc/nix/*");
    fs.list_directory("/etc/nix");
    EXPECT_TRUE(fs.records().empty());
}

TEST(RootedFileSystemRecords, ReadsAreCached) {
    FsTree t;
    t.write("/f", "first\n");
    RootedFileSystem fs(t.root().string());
    EXPECT_EQ("first\n", fs.read("/f").text);
    t.write("/f", "second\n");
    EXPECT_EQ("first\n", fs.read("/f").text) << "one run sees one version of a file";
}

TEST(RootedFileSystem, IncludeSourceReadsThroughTheFileSystem) {
    FsTree t;
    t.write("/etc/ssh/ssh_config.d/a.conf", "A\n");
    RootedFileSystem fs(t.root().string());
    const auto source = nbd::facts::include_source(fs);
    EXPECT_EQ("A\n", source.read("/etc/ssh/ssh_config.d/a.conf").text);
    EXPECT_EQ(std::vector<std::string>{"/etc/ssh/ssh_config.d/a.conf"}, source.glob("/etc/ssh/ssh_config.d/*"));
    EXPECT_EQ(1u, fs.records().size());
}

}  // namespace
