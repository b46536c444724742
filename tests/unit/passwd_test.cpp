// passwd / group parser. Semantics from glibc's nss_files (files-parse.c, files-pwd.c,
// files-grp.c): leading blanks skipped, blank and `#` lines ignored, lines that do not parse are
// skipped, first match wins; `+`/`-` lines belong to nss_compat.
#include "nix_builder_doctor/parse/passwd.hpp"

#include <gtest/gtest.h>

namespace nbd::parse {
namespace {

const char* kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "# comment\n"
    "\n"
    "nixbld1:x:30001:30000:Nix build user 1:/var/empty:/usr/sbin/nologin\n"
    "alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh\n"
    "alice:x:1001:1001::/home/alice2:/bin/sh\n";

const char* kGroup =
    "root:x:0:\n"
    "wheel:x:10:alice, bob\n"
    "nixbld:x:30000:nixbld1,nixbld2\n"
    "alice:x:1000:\n"
    "trusted:x:2000:alice,carol,alice\n";

TEST(Passwd, ParsesEntries) {
    auto p = parse_passwd(kPasswd, "/etc/passwd");
    ASSERT_TRUE(p.errors.empty());
    ASSERT_EQ(p.entries.size(), 4u);
    const auto& root = p.entries[0];
    EXPECT_EQ(root.name, "root");
    EXPECT_EQ(root.uid, 0u);
    EXPECT_EQ(root.home, "/root");
    EXPECT_EQ(root.shell, "/bin/bash");
    EXPECT_EQ(root.line, 1);
    EXPECT_EQ(p.entries[1].gecos, "Nix build user 1");
    EXPECT_EQ(p.entries[1].line, 4);
    EXPECT_EQ(p.entries[1].shell, "/usr/sbin/nologin");
}

TEST(Passwd, LookupsReturnFirstMatch) {
    auto p = parse_passwd(kPasswd, "/etc/passwd");
    ASSERT_NE(p.find_name("alice"), nullptr);
    EXPECT_EQ(p.find_name("alice")->uid, 1000u);
    EXPECT_EQ(p.find_uid(30001)->name, "nixbld1");
    EXPECT_EQ(p.find_name("nobody"), nullptr);
    EXPECT_EQ(p.find_uid(4242), nullptr);
}

TEST(Passwd, MalformedLines) {
    auto p = parse_passwd(
        "bad-line-without-colons\nbob:x:12x:100::/home/bob:/bin/sh\ncarol:x:5:\n:x:1:1::/:/bin/sh\n"
        "dave:x:7:7:gecos:/home/dave\nerin:x:8:8:g:/h:/bin/sh:extra\n"
        "fred:x:99999999999:1::/:/bin/sh\n",
        "/etc/passwd");
    ASSERT_EQ(p.errors.size(), 8u);
    EXPECT_EQ(p.errors[0].line, 1);
    EXPECT_EQ(p.errors[0].message,
              "passwd entry 'bad-line-without-colons' has 1 fields separated by ':', expected 7 "
              "(name:password:uid:gid:gecos:home:shell)");
    EXPECT_EQ(p.errors[1].message, "passwd entry for 'bob' has an invalid uid '12x'");
    // carol: too few fields, and the empty gid makes glibc skip the line.
    EXPECT_EQ(p.errors[3].message, "passwd entry for 'carol' has an invalid gid ''");
    EXPECT_EQ(p.errors[4].message, "passwd entry ':x:1:1::/:/bin/sh' has an empty user name");
    EXPECT_EQ(p.errors[7].message, "passwd entry for 'fred' has an invalid uid '99999999999'");
    // glibc still reads short and long lines: the missing shell is empty, extra ':' join the shell.
    ASSERT_EQ(p.entries.size(), 2u);
    EXPECT_EQ(p.entries[0].name, "dave");
    EXPECT_EQ(p.entries[0].shell, "");
    EXPECT_EQ(p.entries[1].shell, "/bin/sh:extra");
}

TEST(Passwd, CompatAndIndentedLines) {
    auto p = parse_passwd("+@netgroup::::::\n-baduser\n   root:x:0:0::/root:/bin/sh\r\n\t# x\n",
                          "/etc/passwd");
    EXPECT_TRUE(p.errors.empty());
    ASSERT_EQ(p.entries.size(), 1u);
    EXPECT_EQ(p.entries[0].name, "root");
    EXPECT_EQ(p.entries[0].shell, "/bin/sh");
    EXPECT_EQ(p.entries[0].line, 3);
}

TEST(Group, ParsesEntriesAndMembers) {
    auto g = parse_group(kGroup, "/etc/group");
    ASSERT_TRUE(g.errors.empty());
    ASSERT_EQ(g.entries.size(), 5u);
    EXPECT_TRUE(g.entries[0].members.empty());
    EXPECT_EQ(g.entries[1].members, (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(g.find_name("nixbld")->gid, 30000u);
    EXPECT_EQ(g.find_gid(10)->name, "wheel");
    EXPECT_EQ(g.find_name("nope"), nullptr);
}

TEST(Group, MalformedLines) {
    auto g = parse_group("wheel:x\nstaff:x:abc:bob\nusers:x:100\n", "/etc/group");
    ASSERT_EQ(g.errors.size(), 3u);
    EXPECT_EQ(g.errors[0].message,
              "group entry 'wheel:x' has 2 fields separated by ':', expected 4 "
              "(name:password:gid:members)");
    EXPECT_EQ(g.errors[1].message, "group entry for 'staff' has an invalid gid 'abc'");
    EXPECT_EQ(g.errors[2].line, 3);
    ASSERT_EQ(g.entries.size(), 1u);
    EXPECT_EQ(g.entries[0].name, "users");
}

TEST(Groups, PrimaryThenSupplementary) {
    auto p = parse_passwd(kPasswd, "/etc/passwd");
    auto g = parse_group(kGroup, "/etc/group");
    EXPECT_EQ(groups_of(p, g, "alice"), (std::vector<std::string>{"alice", "wheel", "trusted"}));
    EXPECT_EQ(groups_of(p, g, "nixbld1"), (std::vector<std::string>{"nixbld"}));
    EXPECT_EQ(groups_of(p, g, "root"), (std::vector<std::string>{"root"}));
    // Only in /etc/group.
    EXPECT_EQ(groups_of(p, g, "bob"), (std::vector<std::string>{"wheel"}));
    EXPECT_TRUE(groups_of(p, g, "nobody").empty());
}

TEST(Groups, PrimaryGroupWithoutGroupEntryIsNumeric) {
    auto p = parse_passwd("x:x:5:4242::/:/bin/sh\n", "/etc/passwd");
    auto g = parse_group("", "/etc/group");
    EXPECT_EQ(groups_of(p, g, "x"), (std::vector<std::string>{"4242"}));
}

TEST(Group, HugeMemberListIsCut) {
    std::string text = "big:x:1:";
    for (int i = 0; i < 70000; ++i) text += "u" + std::to_string(i) + ",";
    auto g = parse_group(text, "/etc/group");
    ASSERT_EQ(g.entries.size(), 1u);
    EXPECT_EQ(g.entries[0].members.size(), 65536u);
    ASSERT_EQ(g.errors.size(), 1u);
    EXPECT_EQ(g.errors[0].message,
              "group 'big' lists more than 65536 members; the rest is not read");
}

TEST(Passwd, HostileInput) {
    std::string text(1 << 20, ':');
    text += "\n" + std::string(100000, '\n') + std::string(200000, 'x');
    for (int i = 0; i < 5000; ++i) text += "\nbad";
    auto p = parse_passwd(text, "/etc/passwd");
    EXPECT_LE(p.errors.size(), 1001u);
    auto g = parse_group(text, "/etc/group");
    EXPECT_LE(g.errors.size(), 1001u);
}

}  // namespace
}  // namespace nbd::parse
