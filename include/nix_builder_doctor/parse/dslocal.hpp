// macOS accounts: the local Open Directory node keeps one property list per record,
// /var/db/dslocal/nodes/Default/users/NAME.plist and groups/NAME.plist, binary (`bplist00`) or
// XML, read here with libplist. Every attribute is an array of strings (`name`, `uid`, `gid`,
// `home`, `shell`, `generateduid`; a group's `users` lists short names, `groupmembers` the
// members' generateduid). macOS keeps `nixbld` and the people there, never in /etc/passwd or
// /etc/group (those hold a few system accounts, read in single-user mode only).
// The records become the same PasswdEntry / GroupEntry the /etc/passwd parser yields, so the
// accounts layer and the rules do not care which platform the tree is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/passwd.hpp"

namespace nbd::parse {

// A record file larger than this is not parsed (real ones are a few KiB).
inline constexpr std::size_t kMaxDslocalRecordSize = 1u << 20;
// Nor one of more objects than this (binary form): real records have a few dozen, and libplist's
// reader is quadratic in nesting.
inline constexpr std::uint64_t kMaxDslocalObjects = 4096;

struct DslocalUser {
    PasswdEntry entry;                 // name, uid, gid, home, shell (line is 0)
    std::vector<std::string> aliases;  // further `name` values (also looked up by sshd and Nix)
    std::string generated_uid;         // `generateduid`, what groups' `groupmembers` lists
};

struct DslocalGroup {
    GroupEntry entry;                       // name, gid, members from `users` (line is 0)
    std::vector<std::string> member_uuids;  // `groupmembers`: generateduid of each member
};

// Either a record or why the bytes are not one ("not a property list", "no `uid`", ...).
template <typename T>
struct DslocalResult {
    std::optional<T> record;
    std::string error;
};

DslocalResult<DslocalUser> parse_dslocal_user(std::string_view data);
DslocalResult<DslocalGroup> parse_dslocal_group(std::string_view data);

// "501" -> 501, "-2" -> 4294967294 (nobody, as getpwnam gives it); nullopt when not a number.
std::optional<unsigned> parse_dslocal_id(std::string_view text);

}  // namespace nbd::parse
