// macOS accounts: dslocal records (binary and XML property lists, written here with libplist as
// macOS writes them: every attribute an array of strings), the accounts they give a tree, and
// what stays unknown when the tree lacks them.
#include "nix_builder_doctor/parse/dslocal.hpp"

#include <gtest/gtest.h>
#include <plist/plist.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "nix_builder_doctor/facts/accounts.hpp"
#include "nix_builder_doctor/facts/platform.hpp"

namespace {

namespace fs = std::filesystem;
using nbd::parse::parse_dslocal_group;
using nbd::parse::parse_dslocal_id;
using nbd::parse::parse_dslocal_user;

using Record = std::map<std::string, std::vector<std::string>>;

// A record as the local node stores it, in binary (bplist00) or XML form.
std::string plist_bytes(const Record& record, bool binary) {
    plist_t dict = plist_new_dict();
    for (const auto& [key, values] : record) {
        plist_t array = plist_new_array();
        for (const auto& v : values) plist_array_append_item(array, plist_new_string(v.c_str()));
        plist_dict_set_item(dict, key.c_str(), array);
    }
    char* out = nullptr;
    uint32_t length = 0;
    if (binary)
        plist_to_bin(dict, &out, &length);
    else
        plist_to_xml(dict, &out, &length);
    std::string bytes(out, length);
    if (binary)
        plist_to_bin_free(out);
    else
        plist_to_xml_free(out);
    plist_free(dict);
    return bytes;
}

const Record kAlice = {{"name", {"alice"}},
                       {"uid", {"501"}},
                       {"gid", {"20"}},
                       {"home", {"/Users/alice"}},
                       {"shell", {"/bin/zsh"}},
                       {"realname", {"Alice"}},
                       {"generateduid", {"6A1C1E4E-5B7B-4C47-9F53-0E3C5E2D8C11"}}};

TEST(DslocalUser, BinaryAndXmlGiveTheSameEntry) {
    for (const bool binary : {true, false}) {
        const auto r = parse_dslocal_user(plist_bytes(kAlice, binary));
        ASSERT_TRUE(r.record) << r.error;
        EXPECT_EQ("alice", r.record->entry.name);
        EXPECT_EQ(501u, r.record->entry.uid);
        EXPECT_EQ(20u, r.record->entry.gid);
        EXPECT_EQ("/Users/alice", r.record->entry.home);
        EXPECT_EQ("/bin/zsh", r.record->entry.shell);
        EXPECT_EQ("6A1C1E4E-5B7B-4C47-9F53-0E3C5E2D8C11", r.record->generated_uid);
    }
}

TEST(DslocalUser, NegativeIdsWrapAsGetpwnamGivesThem) {
    // nobody is uid -2 in the local node; getpwnam returns 4294967294.
    const auto r = parse_dslocal_user(
        plist_bytes({{"name", {"nobody"}}, {"uid", {"-2"}}, {"gid", {"-2"}}}, true));
    ASSERT_TRUE(r.record) << r.error;
    EXPECT_EQ(4294967294u, r.record->entry.uid);
    EXPECT_EQ(std::nullopt, parse_dslocal_id("12abc"));
    EXPECT_EQ(std::nullopt, parse_dslocal_id(""));
    EXPECT_EQ(std::nullopt, parse_dslocal_id("99999999999"));
    EXPECT_EQ(0u, parse_dslocal_id("0"));
}

TEST(DslocalUser, MoreNamesAreAliases) {
    const auto r = parse_dslocal_user(plist_bytes({{"name", {"root", "BUILTIN\\Local System"}},
                                                   {"uid", {"0"}},
                                                   {"gid", {"0"}},
                                                   {"home", {"/var/root"}},
                                                   {"shell", {"/bin/sh"}}},
                                                  true));
    ASSERT_TRUE(r.record) << r.error;
    EXPECT_EQ("root", r.record->entry.name);
    EXPECT_EQ(std::vector<std::string>{"BUILTIN\\Local System"}, r.record->aliases);
}

TEST(DslocalUser, MalformedRecordsAreErrorsNotCrashes) {
    EXPECT_EQ("empty, not a property list", parse_dslocal_user("").error);
    EXPECT_EQ("not a property list (neither binary nor XML)",
              parse_dslocal_user("root:*:0:0::/var/root:/bin/sh\n").error);
    EXPECT_EQ("not a property list (neither binary nor XML)",
              parse_dslocal_user("bplist00\xff\xff\xff").error);
    EXPECT_EQ(
        "not a property list (neither binary nor XML)",
        parse_dslocal_user("<?xml version=\"1.0\"?><plist><dict><key>name</key><array><string>x")
            .error);
    EXPECT_EQ("has no `name`", parse_dslocal_user(plist_bytes({{"uid", {"1"}}}, true)).error);
    EXPECT_EQ("has no `uid`", parse_dslocal_user(plist_bytes({{"name", {"x"}}}, true)).error);
    EXPECT_EQ("`uid` is not a number: 'five'",
              parse_dslocal_user(plist_bytes({{"name", {"x"}}, {"uid", {"five"}}}, false)).error);
    EXPECT_EQ("larger than 1 MiB, not an account record",
              parse_dslocal_user(std::string(nbd::parse::kMaxDslocalRecordSize + 1, 'x')).error);
    // A property list that is not a dictionary.
    plist_t array = plist_new_array();
    char* out = nullptr;
    uint32_t length = 0;
    plist_to_bin(array, &out, &length);
    const std::string bytes(out, length);
    plist_to_bin_free(out);
    plist_free(array);
    EXPECT_EQ("a property list, but not a dictionary of attributes",
              parse_dslocal_user(bytes).error);
}

// 60000 arrays nested in each other: libplist 2.2 takes ~13 s over them (it checks each object
// against all above it), so a record of more objects than any real one has is refused first.
TEST(DslocalUser, DeeplyNestedBinaryListIsRefusedQuickly) {
    const uint32_t n = 60000;
    std::string body;
    std::vector<uint32_t> offsets;
    auto be32 = [](std::string& out, uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((v >> shift) & 0xff));
    };
    for (uint32_t i = 0; i < n; ++i) {
        offsets.push_back(8 + static_cast<uint32_t>(body.size()));
        if (i + 1 < n) {
            body.push_back(static_cast<char>(0xA1));  // an array of one reference
            be32(body, i + 1);
        } else {
            body.push_back(static_cast<char>(0xA0));
        }
    }
    std::string data = "bplist00" + body;
    const uint32_t table_offset = static_cast<uint32_t>(data.size());
    for (const auto o : offsets) be32(data, o);
    std::string trailer(6, '\0');
    trailer += '\4';  // offset size
    trailer += '\4';  // reference size
    for (const uint64_t v : {uint64_t(n), uint64_t(0), uint64_t(table_offset)})
        for (int shift = 56; shift >= 0; shift -= 8)
            trailer.push_back(static_cast<char>((v >> shift) & 0xff));
    data += trailer;
    const auto start = std::chrono::steady_clock::now();
    const auto r = parse_dslocal_user(data);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    EXPECT_EQ("a binary property list of 60000 objects, more than an account record has (4096)",
              r.error);
}

TEST(DslocalGroup, MembersByNameAndByGeneratedUid) {
    const auto r = parse_dslocal_group(plist_bytes({{"name", {"nixbld"}},
                                                    {"gid", {"350"}},
                                                    {"users", {"_nixbld1", "_nixbld2"}},
                                                    {"groupmembers", {"ABC"}}},
                                                   true));
    ASSERT_TRUE(r.record) << r.error;
    EXPECT_EQ("nixbld", r.record->entry.name);
    EXPECT_EQ(350u, r.record->entry.gid);
    EXPECT_EQ((std::vector<std::string>{"_nixbld1", "_nixbld2"}), r.record->entry.members);
    EXPECT_EQ(std::vector<std::string>{"ABC"}, r.record->member_uuids);
    EXPECT_EQ("has no `gid`", parse_dslocal_group(plist_bytes({{"name", {"staff"}}}, false)).error);
}

// A tree on disk, removed at the end.
struct Tree {
    fs::path dir = fs::temp_directory_path() /
                   ("nbd-dslocal-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    static inline int counter = 0;
    Tree() { fs::create_directories(dir); }
    ~Tree() { fs::remove_all(dir); }
    void write(const std::string& path, const std::string& bytes) {
        const fs::path p = dir / path;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << bytes;
    }
    void user(const Record& r) {
        write("var/db/dslocal/nodes/Default/users/" + r.at("name")[0] + ".plist",
              plist_bytes(r, true));
    }
    void group(const Record& r) {
        write("var/db/dslocal/nodes/Default/groups/" + r.at("name")[0] + ".plist",
              plist_bytes(r, false));
    }
};

const nbd::facts::Platform kDarwin{"darwin", "test"};

void macos_base(Tree& t) {
    t.user({{"name", {"root"}},
            {"uid", {"0"}},
            {"gid", {"0"}},
            {"home", {"/var/root"}},
            {"shell", {"/bin/sh"}}});
    t.user(kAlice);
    t.user({{"name", {"_nixbld1"}},
            {"uid", {"351"}},
            {"gid", {"350"}},
            {"home", {"/var/empty"}},
            {"shell", {"/sbin/nologin"}},
            {"generateduid", {"ABCDEF01-0000-0000-0000-000000000001"}}});
    t.group({{"name", {"wheel"}}, {"gid", {"0"}}, {"users", {"root"}}});
    t.group({{"name", {"staff"}}, {"gid", {"20"}}, {"users", {"root"}}});
    t.group({{"name", {"admin"}}, {"gid", {"80"}}, {"users", {"root", "alice"}}});
    t.group({{"name", {"nixbld"}},
             {"gid", {"350"}},
             {"groupmembers", {"abcdef01-0000-0000-0000-000000000001"}}});
    // macOS's own /etc/passwd: system accounts only, consulted in single-user mode.
    t.write("etc/passwd",
            "##\n# User Database\n# ... this information is provided by Open Directory.\n##\n"
            "nobody:*:-2:-2:Unprivileged User:/var/empty:/usr/bin/false\nroot:*:0:0:System "
            "Administrator:/var/root:/bin/sh\n");
    t.write("etc/group", "nobody:*:-2:\nwheel:*:0:root\n");
}

TEST(DarwinAccounts, TheLocalNodeIsTheTruth) {
    Tree t;
    macos_base(t);
    nbd::facts::RootedFileSystem rfs(t.dir.string());
    const auto a = nbd::facts::Accounts::load(rfs, kDarwin);
    EXPECT_EQ("dslocal", a.source());
    EXPECT_TRUE(a.complete()) << a.unknown_reason();
    ASSERT_NE(nullptr, a.by_name("alice"));
    EXPECT_EQ("/Users/alice", a.by_name("alice")->home);
    EXPECT_EQ("/var/root", a.by_name("root")->home);
    EXPECT_TRUE(a.group_exists("nixbld"));
    EXPECT_EQ((std::vector<std::string>{"staff", "admin"}), a.groups_of("alice"));
    // groupmembers name members by generateduid, in any case.
    EXPECT_EQ((std::vector<std::string>{"nixbld"}), a.groups_of("_nixbld1"));
    EXPECT_EQ("/var/db/dslocal/nodes/Default/groups", a.groups_location());
}

TEST(DarwinAccounts, WithoutTheLocalNodeAbsenceIsUnknown) {
    Tree t;
    macos_base(t);
    fs::remove_all(t.dir / "var/db");
    nbd::facts::RootedFileSystem rfs(t.dir.string());
    const auto a = nbd::facts::Accounts::load(rfs, kDarwin);
    EXPECT_EQ("passwd (partial)", a.source());
    EXPECT_FALSE(a.complete());
    EXPECT_FALSE(a.group_exists("nixbld"));
    EXPECT_NE(std::string::npos, a.unknown_reason().find("/var/db/dslocal/nodes/Default/users"))
        << a.unknown_reason();
    // What /etc/passwd does say is still used.
    ASSERT_NE(nullptr, a.by_name("root"));
    EXPECT_EQ("/var/root", a.by_name("root")->home);
}

TEST(DarwinAccounts, AMalformedRecordIsReportedAndMakesAbsenceUnknown) {
    Tree t;
    macos_base(t);
    t.write("var/db/dslocal/nodes/Default/groups/broken.plist",
            "<?xml version=\"1.0\"?><plist><dict><key>name");
    nbd::facts::RootedFileSystem rfs(t.dir.string());
    const auto a = nbd::facts::Accounts::load(rfs, kDarwin);
    EXPECT_TRUE(a.users_complete());
    EXPECT_FALSE(a.groups_complete());
    ASSERT_EQ(1u, a.unusable().size());
    EXPECT_EQ("/var/db/dslocal/nodes/Default/groups/broken.plist", a.unusable()[0].path);
    EXPECT_EQ("not a group record: not a property list (neither binary nor XML)",
              a.unusable()[0].why);
    EXPECT_TRUE(a.group_exists("nixbld"));  // the others are still read
}

TEST(DarwinAccounts, ObservedLoginUserJoinsWhatTheFilesSay) {
    Tree t;
    t.write("etc/passwd", "root:*:0:0:System Administrator:/var/root:/bin/sh\n");
    nbd::facts::RootedFileSystem rfs(t.dir.string());
    auto a = nbd::facts::Accounts::load(rfs, kDarwin);
    EXPECT_EQ(nullptr, a.by_name("builder"));
    a.add_observed({"builder", 502, 20, "/Users/builder", "/bin/zsh", 0, {}},
                   {"staff", "nixtrusted"});
    ASSERT_NE(nullptr, a.by_name("builder"));
    EXPECT_EQ("/bin/zsh", a.by_name("builder")->shell);
    const auto groups = a.groups_of("builder");
    EXPECT_NE(groups.end(), std::find(groups.begin(), groups.end(), "nixtrusted"));
}

TEST(Platform, DecidedByFilesOnlyThatSystemHas) {
    using nbd::facts::detect_platform;
    {
        Tree t;
        t.write("System/Library/CoreServices/SystemVersion.plist",
                plist_bytes({{"ProductName", {"macOS"}}}, false));
        nbd::facts::RootedFileSystem rfs(t.dir.string());
        const auto p = detect_platform(rfs);
        EXPECT_EQ("darwin", p.name);
        EXPECT_EQ("/System/Library/CoreServices/SystemVersion.plist", p.evidence);
    }
    {
        Tree t;
        t.write("etc/os-release", "ID=debian\n");
        nbd::facts::RootedFileSystem rfs(t.dir.string());
        EXPECT_EQ("linux", detect_platform(rfs).name);
    }
    {
        Tree t;  // a copy of /etc/nix only: the setting is all there is
        t.write("etc/nix/nix.conf", "system = aarch64-darwin\n");
        nbd::facts::RootedFileSystem rfs(t.dir.string());
        EXPECT_EQ("unknown", detect_platform(rfs).name);
        EXPECT_EQ("darwin", detect_platform(rfs, "aarch64-darwin").name);
    }
    {
        Tree t;
        t.write("etc/passwd", "root:*:0:0:System Administrator:/var/root:/bin/sh\n");
        nbd::facts::RootedFileSystem rfs(t.dir.string());
        EXPECT_EQ("darwin", detect_platform(rfs).name);
    }
    {
        Tree t;  // both: not guessed
        t.write("etc/os-release", "ID=debian\n");
        t.write("Library/LaunchDaemons/org.nixos.nix-daemon.plist", "x");
        nbd::facts::RootedFileSystem rfs(t.dir.string());
        EXPECT_EQ("unknown", detect_platform(rfs).name);
    }
    EXPECT_EQ("darwin", nbd::facts::platform_from_uname("Darwin").name);
    EXPECT_EQ("linux", nbd::facts::platform_from_uname("Linux").name);
    EXPECT_EQ("unknown", nbd::facts::platform_from_uname("").name);
    EXPECT_EQ("/var/root", nbd::facts::default_root_home({"darwin", ""}));
    EXPECT_EQ("/root", nbd::facts::default_root_home({"unknown", ""}));
}

}  // namespace
