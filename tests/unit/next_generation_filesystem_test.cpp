// NextGenerationFileSystem (check --next): the root's files, except the /etc files the next
// generation's etc tree places (NixOS setup-etc.pl and nix-darwin's activation rules). Each test
// builds a real tree: a root whose running generation links /etc/X -> /etc/static/X, and a
// RESULT outside it whose etc/ links into a "store" beside it, as make-etc.sh builds it.
#include "nix_builder_doctor/facts/next_generation_filesystem.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "nix_builder_doctor/engine/facts_schema.hpp"
#include "nix_builder_doctor/facts/gather.hpp"

namespace {

namespace fs = std::filesystem;
using nbd::facts::NextGenerationFileSystem;
using nbd::facts::RootedFileSystem;
using nbd::facts::SystemKind;
using nbd::parse::ReadStatus;

class Generations {
  public:
    Generations() {
        std::string templ = (fs::temp_directory_path() / "nbd-next-XXXXXX").string();
        m_dir = ::mkdtemp(templ.data());
        fs::create_directories(root());
        fs::create_directories(m_dir / "result");
        // RESULT/etc -> the etc derivation's etc, as a system toplevel links it.
        fs::create_directories(m_dir / "store/next-etc/etc");
        fs::create_symlink(m_dir / "store/next-etc/etc", m_dir / "result/etc");
        // The running generation's etc inside the root, and /etc/static pointing at it.
        fs::create_directories(root() / "nix/store/running-etc/etc");
        fs::create_directories(root() / "etc");
        fs::create_symlink("/nix/store/running-etc/etc", root() / "etc/static");
    }
    ~Generations() {
        std::error_code ec;
        fs::remove_all(m_dir, ec);
    }
    fs::path root() const { return m_dir / "root"; }
    std::string result() const { return (m_dir / "result").string(); }

    static void write(const fs::path& p, const std::string& text, mode_t mode = 0644) {
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        ::chmod(p.c_str(), mode);
    }
    // The running generation manages /etc/REL: its etc has it, /etc/REL links to /etc/static/REL.
    void running(const std::string& rel, const std::string& text) const {
        write(root() / "nix/store/running-etc/etc" / rel, text, 0444);
        fs::create_directories((root() / "etc" / rel).parent_path());
        fs::create_symlink("/etc/static/" + rel, root() / "etc" / rel);
    }
    // A file of the root the generations do not manage.
    void own(const std::string& rel, const std::string& text, mode_t mode = 0644) const {
        write(root() / rel, text, mode);
    }
    // The next generation's etc has REL: a link to a store file (make-etc.sh), maybe with .mode.
    void next(const std::string& rel, const std::string& text, const std::string& mode = "") const {
        const fs::path source = m_dir / "store/sources" / rel;
        write(source, text, 0444);
        const fs::path link = m_dir / "store/next-etc/etc" / rel;
        fs::create_directories(link.parent_path());
        fs::create_symlink(source, link);
        if (!mode.empty()) {
            write(link.string() + ".mode", mode + "\n");
            write(link.string() + ".uid", "+0\n");
            write(link.string() + ".gid", "+0\n");
        }
    }
    void result_file(const std::string& rel, const std::string& text) const {
        write(m_dir / "result" / rel, text);
    }

  private:
    fs::path m_dir;
};

struct Views {
    explicit Views(const Generations& g, SystemKind kind = SystemKind::nixos)
        : base(g.root().string()), host("/"), next(base, host, g.result() + "/etc", kind) {}
    RootedFileSystem base;
    RootedFileSystem host;
    NextGenerationFileSystem next;
};

const nbd::facts::FileRecord* record_of(const NextGenerationFileSystem& fs,
                                        const std::string& path) {
    for (const auto& r : fs.records())
        if (r.path == path) return &r;
    return nullptr;
}

TEST(NextGenerationFileSystem, ManagedFilesComeFromTheNextGeneration) {
    Generations g;
    g.running("nix/machines", "ssh://old x86_64-linux\n");
    g.next("nix/machines", "ssh://new x86_64-linux\n");
    Views v(g);
    EXPECT_EQ("ssh://old x86_64-linux\n", v.base.read("/etc/nix/machines").text)
        << "the running view";
    const auto r = v.next.read("/etc/nix/machines");
    EXPECT_EQ(ReadStatus::ok, r.status);
    EXPECT_EQ("ssh://new x86_64-linux\n", r.text);
    const auto* rec = record_of(v.next, "/etc/nix/machines");
    ASSERT_NE(nullptr, rec);
    EXPECT_TRUE(rec->from_next);
    // As setup-etc.pl leaves it: a link to /etc/static/X, and /etc/static is RESULT/etc.
    const auto link = v.next.lstat("/etc/nix/machines");
    ASSERT_TRUE(link);
    EXPECT_TRUE(link->is_symlink);
    EXPECT_EQ("/etc/static/nix/machines", link->symlink_target);
    EXPECT_EQ("ssh://new x86_64-linux\n", v.next.read("/etc/static/nix/machines").text);
}

TEST(NextGenerationFileSystem, AFileTheNextGenerationAddsReplacesTheRootsOwn) {
    Generations g;
    g.own("etc/ssh/ssh_known_hosts", "old-host ssh-ed25519 AAAA\n");
    g.next("ssh/ssh_known_hosts", "new-host ssh-ed25519 BBBB\n");
    Views v(g);
    EXPECT_EQ("new-host ssh-ed25519 BBBB\n", v.next.read("/etc/ssh/ssh_known_hosts").text)
        << "setup-etc.pl renames the link over it";
}

TEST(NextGenerationFileSystem, WhatTheNextGenerationDoesNotManageIsTheRoots) {
    Generations g;
    g.own("etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA host\n");
    g.own("root/.ssh/id_ed25519.pub", "ssh-ed25519 CCCC root\n");
    g.next("ssh/ssh_known_hosts", "b ssh-ed25519 BBBB\n");
    Views v(g);
    EXPECT_EQ("ssh-ed25519 AAAA host\n", v.next.read("/etc/ssh/ssh_host_ed25519_key.pub").text);
    EXPECT_EQ("ssh-ed25519 CCCC root\n", v.next.read("/root/.ssh/id_ed25519.pub").text);
    const auto* rec = record_of(v.next, "/root/.ssh/id_ed25519.pub");
    ASSERT_NE(nullptr, rec);
    EXPECT_FALSE(rec->from_next);
    EXPECT_EQ(ReadStatus::missing, v.next.read("/etc/nix/machines").status) << "in neither";
    EXPECT_FALSE(record_of(v.next, "/etc/nix/machines")->from_next);
}

TEST(NextGenerationFileSystem, AManagedFileTheNextGenerationDropsIsGone) {
    Generations g;
    g.running("nix/machines", "ssh://old x86_64-linux\n");
    g.running("ssh/ssh_known_hosts", "old ssh-ed25519 AAAA\n");
    g.next("nix/nix.conf", "builders =\n");  // no ssh/ directory at all in the next etc
    Views v(g);
    EXPECT_EQ(ReadStatus::missing, v.next.read("/etc/nix/machines").status);
    EXPECT_TRUE(record_of(v.next, "/etc/nix/machines")->from_next);
    EXPECT_EQ(ReadStatus::missing, v.next.read("/etc/ssh/ssh_known_hosts").status);
    EXPECT_FALSE(v.next.lstat("/etc/nix/machines"));
    EXPECT_FALSE(v.next.stat("/etc/ssh/ssh_known_hosts"));
}

TEST(NextGenerationFileSystem, ACopyListedInEtcCleanIsGoneWhenDropped) {
    Generations g;
    g.own("etc/.clean", "nix/copied.key\n");
    g.own("etc/nix/copied.key", "secret\n", 0600);
    g.own("etc/nix/hand-made", "mine\n");
    g.next("nix/nix.conf", "max-jobs = 1\n");
    Views v(g);
    EXPECT_EQ(ReadStatus::missing, v.next.read("/etc/nix/copied.key").status);
    EXPECT_EQ("mine\n", v.next.read("/etc/nix/hand-made").text);
}

TEST(NextGenerationFileSystem, ModeMakesACopyWithThatModeAndOwner) {
    Generations g;
    g.next("nix/builder_key", "key\n", "0600");
    g.next("nix/direct", "direct\n", "direct-symlink");
    Views v(g);
    const auto info = v.next.stat("/etc/nix/builder_key");
    ASSERT_TRUE(info);
    EXPECT_EQ(0600u, info->mode);
    EXPECT_EQ(0u, info->uid);
    const auto link = v.next.lstat("/etc/nix/builder_key");
    ASSERT_TRUE(link);
    EXPECT_FALSE(link->is_symlink) << "a copy, not a link";
    EXPECT_TRUE(link->is_regular);
    EXPECT_EQ("key\n", v.next.read("/etc/nix/builder_key").text);
    EXPECT_EQ("0600", [&] {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "%04o",
                      record_of(v.next, "/etc/nix/builder_key")->info->mode);
        return std::string(buffer);
    }());
    const auto direct = v.next.lstat("/etc/nix/direct");
    ASSERT_TRUE(direct);
    EXPECT_TRUE(direct->is_symlink);
    EXPECT_NE(std::string::npos, direct->symlink_target.find("store/sources/nix/direct"))
        << "straight into the store";
}

TEST(NextGenerationFileSystem, DirectoriesJoinBothAndDropTheGoneAndTheModeFiles) {
    Generations g;
    g.running("nix/old.conf", "x\n");
    g.running("nix/nix.conf", "max-jobs = 1\n");
    g.own("etc/nix/local.conf", "y\n");
    g.next("nix/nix.conf", "max-jobs = 2\n");
    g.next("nix/key", "k\n", "0600");
    Views v(g);
    const std::vector<std::string> expected = {"key", "local.conf", "nix.conf"};
    EXPECT_EQ(expected, v.next.list_directory("/etc/nix"));
    const std::vector<std::string> globbed = {"/etc/nix/key", "/etc/nix/local.conf",
                                              "/etc/nix/nix.conf"};
    EXPECT_EQ(globbed, v.next.glob("/etc/nix/*"));
    g.next("ssh/ssh_config.d/10-builders.conf", "Host b\n");
    EXPECT_EQ(std::vector<std::string>{"/etc/ssh/ssh_config.d/10-builders.conf"},
              v.next.glob("/etc/ssh/ssh_config.d/*.conf"))
        << "a directory only the next generation has";
}

TEST(NextGenerationFileSystem, DarwinKeepsAnExistingFileWithUnknownContent) {
    Generations g;
    g.own("etc/nix/nix.conf", "build-users-group = nixbld\n");
    g.next("nix/nix.conf", "builders = @/etc/nix/machines\n");
    g.result_file("darwin-version", "25.05");
    {
        Views v(g, SystemKind::darwin);
        EXPECT_EQ("build-users-group = nixbld\n", v.next.read("/etc/nix/nix.conf").text)
            << "nix-darwin: not linking environment.etc.\"nix/nix.conf\" because /etc/nix/nix.conf "
               "already exists";
        EXPECT_EQ(std::set<std::string>{"/etc/nix/nix.conf"}, v.next.kept_files());
        EXPECT_FALSE(record_of(v.next, "/etc/nix/nix.conf")->from_next);
    }
    // sha256 of "build-users-group = nixbld\n", listed as a known hash: moved to .orig and linked.
    g.result_file("activate",
                  "etcSha256Hashes['/etc/nix/nix.conf']='0000 "
                  "6a6b1b35ae07a5c6e3a24b2d8b1abae1ce3a1f1c9d6b3d2dfbe4d0b9c7c1a0c2'\n");
    {
        Views v(g, SystemKind::darwin);
        // The hash above is not the file's: still kept.
        EXPECT_EQ("build-users-group = nixbld\n", v.next.read("/etc/nix/nix.conf").text);
    }
}

TEST(NextGenerationFileSystem, DarwinReplacesAFileWhoseHashItKnows) {
    Generations g;
    g.own("etc/nix/nix.conf", "abc");
    g.next("nix/nix.conf", "builders = @/etc/nix/machines\n");
    // sha256("abc")
    g.result_file(
        "activate",
        "etcSha256Hashes['/etc/nix/"
        "nix.conf']='ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'\n");
    Views v(g, SystemKind::darwin);
    EXPECT_EQ("builders = @/etc/nix/machines\n", v.next.read("/etc/nix/nix.conf").text);
    EXPECT_TRUE(v.next.kept_files().empty());
}

TEST(NextGenerationFileSystem, SystemKindFromTheToplevel) {
    Generations g;
    RootedFileSystem host("/");
    EXPECT_FALSE(nbd::facts::system_kind_of(host, g.result()));
    g.result_file("nixos-version", "24.05");
    EXPECT_EQ(SystemKind::nixos, nbd::facts::system_kind_of(host, g.result()));
    g.result_file("darwin-version", "25.05");
    EXPECT_EQ(SystemKind::darwin, nbd::facts::system_kind_of(host, g.result()));
}

TEST(NextGenerationFileSystem, DiffersFromRunning) {
    Generations g;
    g.running("ssh/ssh_known_hosts", "a ssh-ed25519 AAAA\n");
    g.running("ssh/ssh_config", "Host *\n");
    g.next("ssh/ssh_known_hosts", "b ssh-ed25519 BBBB\n");
    g.next("ssh/ssh_config", "Host *\n");
    Views v(g);
    EXPECT_TRUE(v.next.differs_from_running("/etc/ssh/ssh_known_hosts"));
    EXPECT_FALSE(v.next.differs_from_running("/etc/ssh/ssh_config"));
    EXPECT_FALSE(v.next.differs_from_running("/etc/ssh/ssh_known_hosts2"));
}

}  // namespace

// ---------------------------------------------------------------- the Facts with --next

namespace {

TEST(NextGenerationFacts, AreDeclaredAndSayWhichFilesCameFromTheNextGeneration) {
    Generations g;
    g.running("nix/machines", "ssh://root@old x86_64-linux\n");
    g.next("nix/machines", "ssh://root@new x86_64-linux\n");
    g.next("nix/nix.conf", "builders = @/etc/nix/machines\n");
    g.own("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    nbd::facts::GatherOptions options;
    options.root = g.root().string();
    options.next_result = g.result();
    const auto facts = nbd::facts::gather_facts(options);
    const auto problems = nbd::engine::builtin_facts_schema().validate(facts);
    std::string joined;
    for (const auto& p : problems) joined += p + "\n";
    EXPECT_EQ("", joined);
    EXPECT_EQ(g.result(), facts["next"]["result"]);
    EXPECT_EQ("nixos", facts["next"]["kind"]);
    ASSERT_EQ(1u, facts["builders"].size());
    EXPECT_EQ("ssh://root@new", facts["builders"][0]["uri"]);
    bool machines_from_next = false, passwd_from_root = false;
    for (const auto& f : facts["files"]) {
        if (f["path"] == "/etc/nix/machines") machines_from_next = f["from_next"] == true;
        if (f["path"] == "/etc/passwd") passwd_from_root = f["from_next"] == false;
    }
    EXPECT_TRUE(machines_from_next);
    EXPECT_TRUE(passwd_from_root);
}

}  // namespace
