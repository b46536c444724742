// /etc/passwd and /etc/group as glibc's files backend reads them: one `:`-separated entry per
// line (`name:password:uid:gid:gecos:home:shell`, `name:password:gid:member,member`), blank and
// `#` lines ignored, NIS `+`/`-` compat lines skipped, malformed lines skipped with a diagnostic.
// Lookups return the first matching entry, like getpwnam/getgrgid. `groups_of` gives the
// primary group and the supplementary groups listing the user, which is what Nix's
// `trusted-users = @group` matching looks at.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::parse {

struct PasswdEntry {
    std::string name;
    std::string password;
    unsigned uid = 0;
    unsigned gid = 0;
    std::string gecos;
    std::string home;
    std::string shell;
    int line = 0;
};

struct GroupEntry {
    std::string name;
    std::string password;
    unsigned gid = 0;
    std::vector<std::string> members;
    int line = 0;
};

struct Passwd {
    std::string file;
    std::vector<PasswdEntry> entries;
    std::vector<Diagnostic> errors;

    const PasswdEntry* find_name(std::string_view name) const;
    const PasswdEntry* find_uid(unsigned uid) const;
};

struct Group {
    std::string file;
    std::vector<GroupEntry> entries;
    std::vector<Diagnostic> errors;

    const GroupEntry* find_name(std::string_view name) const;
    const GroupEntry* find_gid(unsigned gid) const;
};

Passwd parse_passwd(std::string_view text, const std::string& file);
Group parse_group(std::string_view text, const std::string& file);

// Group names of `user`: the primary group first (its gid as a number when /etc/group has no such
// group), then every group that lists the user as a member, in file order, without duplicates.
// Empty when the user is unknown to both files.
std::vector<std::string> groups_of(const Passwd& passwd, const Group& group, std::string_view user);

}  // namespace nbd::parse
