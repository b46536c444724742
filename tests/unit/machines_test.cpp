// Machines file / `builders` parser, message by message.
//
// Semantics are those of Nix >= 2.29 (libstore/machines.cc at NixOS/nix 88b09c64fb, read for
// this): expandBuilderLines (split on '\n', cut '#', split on ';', trim, `@file` read with only
// ENOENT skipped), parseBuilderLine (8 blank-separated columns, `-` = unset, messages with 0-based
// column numbers), Machine::Machine (`ssh://` prepended unless "://", "/", auto/daemon/local,
// `?`; speed factor 0 -> 1, < 0 -> "speed factor must be >= 0"), string2Int<unsigned int> (boost
// lexical_cast after rejecting a leading '-'), base64::decode ("invalid character in Base64
// string: '%c'"). Legacy quirks follow `git show 2.18.9:src/libstore/machines.cc`.
#include "nix_builder_doctor/parse/machines.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "nix_builder_doctor/util/encoding.hpp"

namespace nbd::parse {
namespace {

struct FakeFs {
    std::map<std::string, std::string> files;
    std::map<std::string, ReadStatus> statuses;
    IncludeSource source() {
        IncludeSource s;
        s.read = [this](const std::string& path) {
            ReadResult r;
            if (auto st = statuses.find(path); st != statuses.end()) {
                r.status = st->second;
                return r;
            }
            auto it = files.find(path);
            if (it == files.end()) return r;
            r.status = ReadStatus::ok;
            r.text = it->second;
            return r;
        };
        return s;
    }
};

Machines parse_file(std::string_view text, FakeFs* fs = nullptr) {
    FakeFs empty;
    return parse_machines(text, "/etc/nix/machines", 0, (fs ? fs : &empty)->source());
}

Machines parse_setting(std::string_view text, FakeFs* fs = nullptr) {
    FakeFs empty;
    return parse_machines(text, "/etc/nix/nix.conf", 7, (fs ? fs : &empty)->source());
}

const std::string kPub =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOxn8mhrbb0U5nqtBqVUCh3zcDuXK7TUIIGWNkrR6r8n root@b\n";

TEST(Machines, FullLine) {
    const std::string key = util::base64_encode(kPub);
    auto r = parse_file(
        "nix@builder1 x86_64-linux,aarch64-linux /root/.ssh/id_b 8 2.5 big-parallel,kvm "
        "benchmark " +
        key + "\n");
    ASSERT_TRUE(r.errors.empty());
    ASSERT_EQ(r.machines.size(), 1u);
    const Machine& m = r.machines[0];
    EXPECT_TRUE(m.valid);
    EXPECT_EQ(m.file, "/etc/nix/machines");
    EXPECT_EQ(m.line, 1);
    EXPECT_EQ(m.column_count, 8u);
    EXPECT_EQ(m.store.written, "nix@builder1");
    EXPECT_EQ(m.store.completed, "ssh://nix@builder1");
    EXPECT_TRUE(m.store.scheme_added);
    EXPECT_EQ(m.store.scheme, "ssh");
    EXPECT_TRUE(m.store.has_user);
    EXPECT_EQ(m.store.user, "nix");
    EXPECT_EQ(m.store.host, "builder1");
    EXPECT_FALSE(m.store.port);
    EXPECT_TRUE(m.systems_set);
    EXPECT_EQ(m.systems, (std::vector<std::string>{"x86_64-linux", "aarch64-linux"}));
    EXPECT_EQ(m.ssh_key.value_or(""), "/root/.ssh/id_b");
    EXPECT_EQ(m.max_jobs, 8u);
    EXPECT_FLOAT_EQ(m.speed_factor, 2.5f);
    EXPECT_FALSE(m.speed_factor_integral);
    EXPECT_EQ(m.supported_features, (std::vector<std::string>{"big-parallel", "kvm"}));
    EXPECT_EQ(m.mandatory_features, (std::vector<std::string>{"benchmark"}));
    EXPECT_TRUE(m.host_key_set);
    EXPECT_TRUE(m.host_key_decodes);
    EXPECT_EQ(m.host_key_decoded, kPub);
}

TEST(Machines, DefaultsWhenColumnsMissingOrDash) {
    auto r = parse_file("ssh://b - - - - - - -\nssh-ng://c\n");
    ASSERT_TRUE(r.errors.empty());
    ASSERT_EQ(r.machines.size(), 2u);
    for (const auto& m : r.machines) {
        EXPECT_FALSE(m.systems_set);
        EXPECT_FALSE(m.ssh_key);
        EXPECT_FALSE(m.max_jobs_set);
        EXPECT_EQ(m.max_jobs, 1u);
        EXPECT_FALSE(m.speed_factor_set);
        EXPECT_EQ(m.speed_factor, 1.0f);
        EXPECT_TRUE(m.supported_features.empty());
        EXPECT_FALSE(m.host_key_set);
    }
    EXPECT_EQ(r.machines[0].column_count, 8u);
    EXPECT_EQ(r.machines[1].column_count, 1u);
    EXPECT_EQ(r.machines[1].store.scheme, "ssh-ng");
    EXPECT_FALSE(r.machines[1].store.scheme_added);
}

TEST(Machines, ExtraColumnsAreKeptAndCounted) {
    auto r = parse_file("ssh://b x86_64-linux - 1 1 - - - surplus more\n");
    ASSERT_TRUE(r.errors.empty());
    EXPECT_EQ(r.machines[0].column_count, 10u);
    EXPECT_EQ(r.machines[0].columns[9], "more");
}

TEST(Machines, SeparatorsCommentsAndLines) {
    auto r = parse_file(
        "# header ; not-a-builder\n\n  ssh://a ; ssh://b # trailing ; ssh://c\n\t;;\nssh://d\r\n");
    ASSERT_TRUE(r.errors.empty());
    ASSERT_EQ(r.machines.size(), 3u);
    EXPECT_EQ(r.machines[0].store.host, "a");
    EXPECT_EQ(r.machines[0].line, 3);
    EXPECT_EQ(r.machines[1].store.host, "b");
    EXPECT_EQ(r.machines[1].line, 3);
    EXPECT_EQ(r.machines[2].store.host, "d");
    EXPECT_EQ(r.machines[2].line, 5);
    EXPECT_EQ(r.machines[0].entry, "ssh://a");
}

TEST(Machines, BuildersSettingUsesTheNixConfLine) {
    auto r = parse_setting("ssh://a x86_64-linux ; ssh://b aarch64-linux");
    ASSERT_EQ(r.machines.size(), 2u);
    EXPECT_EQ(r.machines[0].file, "/etc/nix/nix.conf");
    EXPECT_EQ(r.machines[0].line, 7);
    EXPECT_EQ(r.machines[1].line, 7);
}

TEST(Machines, EmptySpecHasNoMachines) {
    auto r = parse_setting("");
    EXPECT_TRUE(r.machines.empty());
    EXPECT_TRUE(r.errors.empty());
}

// --- @file -------------------------------------------------------------------------------------

TEST(Machines, AtFileIsReadWithItsOwnLines) {
    FakeFs fs;
    fs.files["/etc/nix/machines"] = "# builders\nssh://a\n@/etc/nix/more\n";
    fs.files["/etc/nix/more"] = "\n\nssh://b\n";
    auto r = parse_setting("@/etc/nix/machines ; ssh://c", &fs);
    ASSERT_TRUE(r.errors.empty());
    ASSERT_EQ(r.machines.size(), 3u);
    EXPECT_EQ(r.machines[0].file, "/etc/nix/machines");
    EXPECT_EQ(r.machines[0].line, 2);
    EXPECT_EQ(r.machines[1].file, "/etc/nix/more");
    EXPECT_EQ(r.machines[1].line, 3);
    EXPECT_EQ(r.machines[2].file, "/etc/nix/nix.conf");
    EXPECT_EQ(r.machines[2].line, 7);
    ASSERT_EQ(r.files.size(), 2u);
    EXPECT_EQ(r.files[0].path, "/etc/nix/machines");
    EXPECT_EQ(r.files[0].referenced_from, "/etc/nix/nix.conf");
    EXPECT_EQ(r.files[0].referenced_line, 7);
    EXPECT_EQ(r.files[1].depth, 2);
}

TEST(Machines, AtFileWithSpaceAfterAtAndRelativePath) {
    FakeFs fs;
    fs.files["/etc/nix/m"] = "ssh://a\n";
    auto r = parse_setting("@ etc/nix/m", &fs);
    ASSERT_EQ(r.machines.size(), 1u);
    EXPECT_EQ(r.files[0].path, "/etc/nix/m");
}

TEST(Machines, MissingAtFileIsSilentButRecorded) {
    auto r = parse_setting("@/etc/nix/nope ; ssh://a");
    EXPECT_TRUE(r.errors.empty());
    ASSERT_EQ(r.missing_files.size(), 1u);
    EXPECT_EQ(r.missing_files[0].path, "/etc/nix/nope");
    EXPECT_EQ(r.missing_files[0].file, "/etc/nix/nix.conf");
    EXPECT_EQ(r.missing_files[0].line, 7);
    EXPECT_EQ(r.machines.size(), 1u);
}

TEST(Machines, UnreadableAtFileIsAnError) {
    FakeFs fs;
    fs.statuses["/etc/nix/machines"] = ReadStatus::unreadable;
    auto r = parse_setting("@/etc/nix/machines", &fs);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].message,
              "cannot read machines file '/etc/nix/machines' (Nix fails on any error but a missing "
              "file)");
    EXPECT_TRUE(r.missing_files.empty());
}

TEST(Machines, AtFileCycle) {
    FakeFs fs;
    fs.files["/etc/nix/machines"] = "ssh://a\n@/etc/nix/machines\n";
    auto r = parse_setting("@/etc/nix/machines", &fs);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].file, "/etc/nix/machines");
    EXPECT_EQ(r.errors[0].line, 2);
    EXPECT_NE(r.errors[0].message.find("include cycle"), std::string::npos);
    EXPECT_EQ(r.machines.size(), 1u);
}

TEST(Machines, AtFileDepthBounded) {
    FakeFs fs;
    for (int i = 0; i < 30; ++i)
        fs.files["/m" + std::to_string(i)] = "@/m" + std::to_string(i + 1) + "\n";
    auto r = parse_setting("@/m0", &fs);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].message.find("nested more than 16"), std::string::npos);
}

// --- errors ------------------------------------------------------------------------------------

TEST(Machines, StoreUrlMissing) {
    auto r = parse_file("- x86_64-linux\nssh://ok\n");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].line, 1);
    EXPECT_EQ(r.errors[0].message,
              "bad machine specification: store URL was not found at the first column of a row: '- "
              "x86_64-linux'");
    ASSERT_EQ(r.machines.size(), 2u);
    EXPECT_FALSE(r.machines[0].valid);
    EXPECT_TRUE(r.machines[1].valid);
}

TEST(Machines, MaxJobsNotUnsigned) {
    for (const char* bad : {"eight", "-1", "1.5", "4294967296", "0x10", "+"}) {
        auto r = parse_file(std::string("ssh://b - - ") + bad + "\n");
        ASSERT_EQ(r.errors.size(), 1u) << bad;
        EXPECT_EQ(r.errors[0].message,
                  std::string("bad machine specification: failed to convert column #3 in a "
                              "row: 'ssh://b - - ") +
                      bad + "' to 'unsigned int'");
    }
    auto ok = parse_file("ssh://b - - +4\nssh://c - - 0\nssh://d - - 4294967295\n");
    ASSERT_TRUE(ok.errors.empty());
    EXPECT_EQ(ok.machines[0].max_jobs, 4u);
    EXPECT_EQ(ok.machines[1].max_jobs, 0u);
    EXPECT_TRUE(ok.machines[1].max_jobs_set);
    EXPECT_EQ(ok.machines[2].max_jobs, 4294967295u);
}

TEST(Machines, SpeedFactor) {
    auto r = parse_file(
        "ssh://a - - 1 three\nssh://b - - 1 -1\nssh://c - - 1 0\nssh://d - - 1 2\nssh://e - - 1 "
        "1e1\n");
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_EQ(r.errors[0].message,
              "bad machine specification: failed to convert column #4 in a row: 'ssh://a - - 1 "
              "three' to 'float'");
    EXPECT_EQ(r.errors[1].message,
              "speed factor must be >= 0 (column #4 in a row: 'ssh://b - - 1 -1')");
    EXPECT_EQ(r.machines[2].speed_factor, 1.0f);
    EXPECT_EQ(r.machines[3].speed_factor, 2.0f);
    EXPECT_TRUE(r.machines[3].speed_factor_integral);
    EXPECT_EQ(r.machines[4].speed_factor, 10.0f);
    EXPECT_FALSE(r.machines[4].speed_factor_integral);
}

TEST(Machines, HostKeyInvalidBase64) {
    auto r = parse_file("ssh://b - - - - - - c3NoLWVkMjU1MTk_\n");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].message,
              "invalid character in Base64 string: '_' (while parsing machine specification at a "
              "column #7 in a "
              "row: 'ssh://b - - - - - - c3NoLWVkMjU1MTk_')");
    EXPECT_FALSE(r.machines[0].host_key_decodes);
}

TEST(Machines, HostKeyStopsAtFirstEquals) {
    auto r = parse_file("ssh://b - - - - - - c3NoLWVkMjU1MTk=!!!\n");
    ASSERT_TRUE(r.errors.empty());
    EXPECT_TRUE(r.machines[0].host_key_decodes);
    EXPECT_EQ(r.machines[0].host_key_decoded, "ssh-ed25519");
}

TEST(Machines, HostKeyThatIsARawBlob) {
    // base64 of the binary key blob (starts with \0\0\0\x0b): decodes, but is not "TYPE BASE64".
    auto r = parse_file(
        "ssh://b - - - - - - "
        "AAAAC3NzaC1lZDI1NTE5AAAAIOxn8mhrbb0U5nqtBqVUCh3zcDuXK7TUIIGWNkrR6r8n\n");
    ASSERT_TRUE(r.errors.empty());
    ASSERT_TRUE(r.machines[0].host_key_decodes);
    EXPECT_EQ(r.machines[0].host_key_decoded.substr(0, 4), std::string("\0\0\0\x0b", 4));
}

TEST(Machines, SeveralErrorsInOneLineAllReported) {
    auto r = parse_file("ssh://b - - x y - - @@\n");
    EXPECT_EQ(r.errors.size(), 3u);
    EXPECT_FALSE(r.machines[0].valid);
}

// --- store URIs --------------------------------------------------------------------------------

TEST(MachinesUri, Completion) {
    auto r = parse_file(
        "host\nuser@host:2222\nauto\ndaemon\nlocal\nlocal?root=/x\n?a=b\nuser@host/x\n/nix/store2\n"
        "ssh-ng://h\nunix:///tmp/s\n");
    ASSERT_TRUE(r.errors.empty());
    const auto& m = r.machines;
    EXPECT_EQ(m[0].store.completed, "ssh://host");
    EXPECT_EQ(m[1].store.completed, "ssh://user@host:2222");
    EXPECT_EQ(m[1].store.port.value_or(0), 2222u);
    EXPECT_EQ(m[1].store.port_text, "2222");
    EXPECT_EQ(m[2].store.completed, "auto");
    EXPECT_EQ(m[2].store.special, "auto");
    EXPECT_EQ(m[3].store.special, "daemon");
    EXPECT_EQ(m[4].store.special, "local");
    EXPECT_EQ(m[5].store.special, "local");
    EXPECT_EQ(*m[5].store.param("root"), "/x");
    EXPECT_EQ(m[6].store.completed, "?a=b");
    EXPECT_EQ(m[6].store.special, "auto");
    // A '/' without a scheme makes it a local store path, not ssh.
    EXPECT_EQ(m[7].store.completed, "user@host/x");
    EXPECT_EQ(m[7].store.special, "path");
    EXPECT_EQ(m[7].store.scheme, "");
    EXPECT_EQ(m[8].store.special, "path");
    EXPECT_EQ(m[9].store.scheme, "ssh-ng");
    EXPECT_EQ(m[10].store.scheme, "unix");
    EXPECT_EQ(m[10].store.path, "/tmp/s");
}

TEST(MachinesUri, Ipv6AndParams) {
    auto r = parse_file(
        "ssh://[2001:db8::1]:22\nssh://root@[::1]\nssh://2001:db8::1\n"
        "ssh-ng://u@h?ssh-key=/root/.ssh/id%5Fx&remote-program=/nix/bin/nix-daemon&compress=true\n"
        "ssh://h:notaport\nssh://h:99999\n");
    ASSERT_TRUE(r.errors.empty());
    const auto& m = r.machines;
    EXPECT_TRUE(m[0].store.bracketed_ipv6);
    EXPECT_EQ(m[0].store.host, "2001:db8::1");
    EXPECT_EQ(m[0].store.port.value_or(0), 22u);
    EXPECT_EQ(m[1].store.user, "root");
    EXPECT_EQ(m[1].store.host, "::1");
    EXPECT_FALSE(m[1].store.port);
    EXPECT_TRUE(m[2].store.unbracketed_ipv6);
    EXPECT_EQ(m[2].store.host, "2001:db8::1");
    EXPECT_FALSE(m[2].store.port);
    EXPECT_EQ(m[3].store.host, "h");
    EXPECT_EQ(*m[3].store.param("ssh-key"), "/root/.ssh/id_x");
    EXPECT_EQ(*m[3].store.param("remote-program"), "/nix/bin/nix-daemon");
    EXPECT_EQ(m[3].store.params.size(), 3u);
    EXPECT_EQ(m[3].store.param("nope"), nullptr);
    EXPECT_EQ(m[4].store.port_text, "notaport");
    EXPECT_FALSE(m[4].store.port);
    EXPECT_FALSE(m[5].store.port);
}

TEST(Machines, SystemsAndFeaturesCommaLists) {
    auto r = parse_file("ssh://b x86_64-linux,,x86_64-linux,i686-linux - 1 1 a,b,,a c\n");
    EXPECT_EQ(r.machines[0].systems, (std::vector<std::string>{"x86_64-linux", "i686-linux"}));
    EXPECT_EQ(r.machines[0].supported_features, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(r.machines[0].mandatory_features, (std::vector<std::string>{"c"}));
}

// --- legacy (< 2.29) quirks -------------------------------------------------------------------

TEST(MachinesLegacy, CommentEndsAtSemicolonBefore229) {
    auto r = parse_file("ssh://a # old builder ; ssh://old\n");
    ASSERT_EQ(r.machines.size(), 1u);
    ASSERT_EQ(r.legacy_quirks.size(), 1u);
    EXPECT_EQ(r.legacy_quirks[0].message,
              "Nix before 2.29 ends a '#' comment at ';' and reads 'ssh://old' as a builder");
}

TEST(MachinesLegacy, BlankEntriesAndIndentedAtFile) {
    auto r = parse_file("ssh://a ; \n   \n  @/etc/nix/other\n  # indented comment\nssh://b\n");
    ASSERT_EQ(r.legacy_quirks.size(), 4u);
    EXPECT_EQ(r.legacy_quirks[0].line, 1);
    EXPECT_NE(r.legacy_quirks[0].message.find("fails on this blank entry"), std::string::npos);
    EXPECT_EQ(r.legacy_quirks[1].line, 2);
    EXPECT_EQ(r.legacy_quirks[2].message,
              "Nix before 2.29 does not read an indented '@file' entry as a file");
    EXPECT_EQ(r.legacy_quirks[3].line, 4);
}

TEST(MachinesLegacy, CleanFileHasNoQuirks) {
    auto r = parse_file("# comment\nssh://a x86_64-linux\n\nssh://b ; ssh://c\n@/etc/nix/m2\n");
    EXPECT_TRUE(r.legacy_quirks.empty());
}

// --- what the store opens with: column 3 / 8 over the URI's parameters (docs/store-uris.md) ----

TEST(Machines, SshKeyParameterIsTheIdentityWhenColumn3IsUnset) {
    auto r = parse_file("ssh://bob@host?ssh-key=/root/.ssh/id_nix x86_64-linux\n");
    ASSERT_EQ(r.machines.size(), 1u);
    const auto& m = r.machines[0];
    EXPECT_EQ(m.store.host, "host");
    EXPECT_FALSE(m.ssh_key.has_value());
    ASSERT_TRUE(m.identity_file.has_value());
    EXPECT_EQ(*m.identity_file, "/root/.ssh/id_nix");
    EXPECT_EQ(m.identity_source, "?ssh-key=");
}

TEST(Machines, Column3WinsOverTheSshKeyParameter) {
    // Nix 2.8 inserts the URI's query without overwriting column 3; master assigns column 3 over it.
    auto r = parse_file("ssh-ng://host?ssh-key=/a x86_64-linux /b\n");
    ASSERT_EQ(r.machines.size(), 1u);
    EXPECT_EQ(*r.machines[0].identity_file, "/b");
    EXPECT_EQ(r.machines[0].identity_source, "column 3");
}

TEST(Machines, Column3IsIgnoredForNonSshStores) {
    auto r = parse_file("unix:///run/nix.sock x86_64-linux /b\n/srv/store x86_64-linux /c\n");
    ASSERT_EQ(r.machines.size(), 2u);
    EXPECT_FALSE(r.machines[0].identity_file.has_value());
    EXPECT_FALSE(r.machines[1].identity_file.has_value());
}

TEST(Machines, HostKeyParameterStandsForColumn8) {
    const std::string key = "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUVUaGQyRDJmK1JHYzhXVVpQL0FlMUlHMUM1ZmlZVDdXQ1BseTZEelhBRHcK";
    auto r = parse_file("ssh://host?base64-ssh-public-host-key=" + key + " x86_64-linux\n");
    ASSERT_EQ(r.machines.size(), 1u);
    const auto& m = r.machines[0];
    EXPECT_TRUE(m.valid);
    EXPECT_TRUE(m.host_key_set);
    EXPECT_EQ(m.host_key_source, "?base64-ssh-public-host-key=");
    EXPECT_TRUE(m.host_key_decodes);
    EXPECT_EQ(m.host_key_decoded.substr(0, 12), "ssh-ed25519 ");
    // Column 8 wins over the parameter.
    auto both = parse_file("ssh://host?base64-ssh-public-host-key=" + key + " - - - - - - " + key + "\n");
    EXPECT_EQ(both.machines[0].host_key_source, "column 8");
}

TEST(Machines, OtherStoreParametersAreKept) {
    auto r = parse_file("ssh://host?remote-program=/run/current-system/sw/bin/nix-store&remote-store=local%3Froot%3D/mnt&compress=true\n");
    ASSERT_EQ(r.machines.size(), 1u);
    const auto& s = r.machines[0].store;
    ASSERT_NE(s.param("remote-program"), nullptr);
    EXPECT_EQ(*s.param("remote-program"), "/run/current-system/sw/bin/nix-store");
    EXPECT_EQ(*s.param("remote-store"), "local?root=/mnt");
    EXPECT_EQ(*s.param("compress"), "true");
}

TEST(Machines, HostForms) {
    auto r = parse_file(
        "host:2222\nssh://u@[::1]\nssh://u@[fe80::1%eth0]:22\nlocalhost\nlocal\nlocal-builder\nremote1\nautobuilder\nauto?x=1\n"
        "ssh://h?port=2222\n");
    ASSERT_EQ(r.machines.size(), 10u);
    EXPECT_EQ(r.machines[0].store.completed, "ssh://host:2222");
    EXPECT_EQ(r.machines[0].store.host, "host");
    EXPECT_EQ(r.machines[0].store.port_text, "2222");
    EXPECT_EQ(r.machines[1].store.host, "::1");
    EXPECT_TRUE(r.machines[1].store.bracketed_ipv6);
    EXPECT_EQ(r.machines[2].store.host, "fe80::1%eth0");
    EXPECT_EQ(r.machines[2].store.port_text, "22");
    // Only the exact words are special: everything else gets ssh:// like Nix does.
    EXPECT_EQ(r.machines[3].store.completed, "ssh://localhost");
    EXPECT_EQ(r.machines[4].store.special, "local");
    EXPECT_EQ(r.machines[5].store.completed, "ssh://local-builder");
    EXPECT_EQ(r.machines[6].store.completed, "ssh://remote1");
    EXPECT_EQ(r.machines[7].store.completed, "ssh://autobuilder");
    EXPECT_EQ(r.machines[8].store.special, "auto");
    EXPECT_EQ(r.machines[9].store.port_text, "");
    ASSERT_NE(r.machines[9].store.param("port"), nullptr);
    EXPECT_EQ(*r.machines[9].store.param("port"), "2222");
}

// --- hostile input -----------------------------------------------------------------------------

TEST(Machines, ManyColumnsCountedButFewKept) {
    std::string text = "ssh://a";
    for (int i = 0; i < 1000; ++i) text += " -";
    auto r = parse_file(text);
    ASSERT_EQ(r.machines.size(), 1u);
    EXPECT_EQ(r.machines[0].column_count, 1001u);
    EXPECT_EQ(r.machines[0].columns.size(), 64u);
    EXPECT_TRUE(r.machines[0].valid);
}

TEST(Machines, HostileInputStaysBounded) {
    std::string text;
    for (int i = 0; i < 200000; ++i) text += "- ;";
    text += "\n" + std::string(1 << 20, 'x') + " " + std::string(1 << 16, '9') + "\n";
    text += std::string(100000, ';') + "\n" + std::string(3, '\0') + "\n";
    auto r = parse_file(text);
    EXPECT_LE(r.machines.size(), 10000u);
    EXPECT_LE(r.errors.size(), 1001u);
    EXPECT_LE(r.legacy_quirks.size(), 1000u);
    for (const auto& e : r.errors) EXPECT_LT(e.message.size(), 700u);
}

}  // namespace
}  // namespace nbd::parse
