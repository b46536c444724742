// The live snapshot: the fixed script run on a builder over SSH, and the parser of what it
// prints (Linux's GNU stat and macOS's BSD stat, the login user as the builder reports it).
#include <gtest/gtest.h>

#include "nix_builder_doctor/facts/memory_filesystem.hpp"
#include "nix_builder_doctor/util/encoding.hpp"

namespace {

using nbd::facts::builder_snapshot_script;
using nbd::facts::parse_builder_snapshot;

TEST(BuilderSnapshotScript, IsFixedAndReadOnly) {
    const std::string& script = builder_snapshot_script();
    EXPECT_EQ(&script,
              &builder_snapshot_script());  // one constant, never built from a config value
    for (const char* word :
         {" rm ", " mv ", " cp ", ">>", "tee ", "chmod", "chown", "mkdir", "touch", "sudo", "eval"})
        EXPECT_EQ(std::string::npos, script.find(word)) << word;
    // Redirections go to /dev/null only.
    for (std::size_t at = script.find('>'); at != std::string::npos; at = script.find('>', at + 1))
        EXPECT_EQ(0u, script.compare(at, 10, ">/dev/null"))
            << script.substr(at > 10 ? at - 10 : 0, 30);
    for (const char* marker : {"@@nbd-uname $(uname -s)", "@@nbd-id $(id -u) $(id -g)",
                               "@@nbd-shell $SHELL", "@@nbd-done"})
        EXPECT_NE(std::string::npos, script.find(marker)) << marker;
}

std::string b64(const std::string& text) {
    return nbd::util::base64_encode(std::string_view(text));
}

TEST(BuilderSnapshotParse, MacOSBuilder) {
    const std::string out =
        "@@nbd-user builder\n@@nbd-groups staff everyone nixtrusted\n@@nbd-id 502 20\n@@nbd-home "
        "/Users/builder\n"
        "@@nbd-shell /bin/zsh\n@@nbd-uname Darwin\n@@nbd-path "
        "/usr/bin:/bin:/usr/sbin:/sbin\n@@nbd-nix \n"
        // BSD stat -f '%Lp %u %g %z %HT'
        "@@nbd 644 0 0 42 Regular File|/etc/nix/nix.conf\n@@nbd-begin\n" +
        b64("trusted-users = root builder\n") +
        "\n@@nbd-end\n@@nbd 755 502 20 192 Directory|/Users/builder\n"
        "@@nbd-missing /etc/ssh/sshd_config.d/*\n@@nbd-done\n";
    auto s = parse_builder_snapshot(out);
    EXPECT_TRUE(s.complete);
    EXPECT_EQ("builder", s.user);
    EXPECT_EQ(502u, s.uid);
    EXPECT_EQ(20u, s.gid);
    EXPECT_EQ("/bin/zsh", s.shell);
    EXPECT_EQ("Darwin", s.uname);
    EXPECT_EQ("", s.nix_version);
    EXPECT_EQ((std::vector<std::string>{"staff", "everyone", "nixtrusted"}), s.groups);
    EXPECT_EQ("trusted-users = root builder\n", s.fs.read("/etc/nix/nix.conf").text);
    const auto home = s.fs.stat("/Users/builder");
    ASSERT_TRUE(home);
    EXPECT_TRUE(home->is_directory);
    EXPECT_EQ(0755u, home->mode);
    // Not fetched is not missing.
    EXPECT_EQ(nbd::parse::ReadStatus::unreadable,
              s.fs.read("/var/db/dslocal/nodes/Default/users/builder.plist").status);
}

TEST(BuilderSnapshotParse, LinuxBuilderAndOlderOutput) {
    // GNU stat -c '%a %u %g %s %F'; an older script printed no id, shell or uname.
    auto s = parse_builder_snapshot(
        "@@nbd-user nixbuild\n@@nbd-home /home/nixbuild\n@@nbd-nix nix-store (Nix) 2.8.0\n"
        "@@nbd 600 1001 1001 96 regular file|/home/nixbuild/.ssh/authorized_keys\n@@nbd-done\n");
    EXPECT_TRUE(s.complete);
    EXPECT_EQ(std::nullopt, s.uid);
    EXPECT_EQ("", s.uname);
    EXPECT_EQ("nix-store (Nix) 2.8.0", s.nix_version);
    EXPECT_EQ(nbd::parse::ReadStatus::unreadable,
              s.fs.read("/home/nixbuild/.ssh/authorized_keys").status);  // stat only, no content
}

TEST(BuilderSnapshotParse, HostileIdLinesAreIgnored) {
    for (const char* line :
         {"@@nbd-id 502\n", "@@nbd-id x y\n", "@@nbd-id 99999999999 1\n", "@@nbd-id -1 -1\n"}) {
        auto s = parse_builder_snapshot(std::string(line) + "@@nbd-done\n");
        EXPECT_EQ(std::nullopt, s.uid) << line;
        EXPECT_TRUE(s.complete);
    }
}

}  // namespace
