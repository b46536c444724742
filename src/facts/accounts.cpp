#include "nix_builder_doctor/facts/accounts.hpp"

#include <algorithm>

#include "nix_builder_doctor/facts/context.hpp"
#include "nix_builder_doctor/parse/dslocal.hpp"
#include "nix_builder_doctor/parse/passwd.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

// The record files of one dslocal directory, and whether all of them were read: the directory
// is there, lists something (root's record at least: an empty list is a directory this run
// could not look into) and every file read.
struct RecordFiles {
    std::vector<std::pair<std::string, std::string>> files;  // path, bytes
    bool complete = false;
    std::string why_incomplete;
};

RecordFiles record_files(FileSystem& fs, const std::string& dir) {
    RecordFiles r;
    const auto info = fs.stat(dir);
    if (!info) {
        r.why_incomplete = "the tree has no " + dir + " (macOS keeps its accounts there, readable by root only)";
        return r;
    }
    if (!info->is_directory) {
        r.why_incomplete = dir + " is not a directory";
        return r;
    }
    const auto names = fs.list_directory(dir);
    if (names.empty()) {
        r.why_incomplete = dir + " lists no record (this run may not read it: run as root)";
        return r;
    }
    r.complete = true;
    for (const auto& name : names) {
        if (!util::ends_with(name, ".plist") || name[0] == '.') continue;
        const std::string path = dir + "/" + name;
        auto read = fs.read(path);
        if (read.status != parse::ReadStatus::ok) {
            // The filesystem records why (doctor.cannot-read); the record may be the one asked for.
            r.complete = false;
            r.why_incomplete = path + " could not be read (" + std::string(read_status_name(read.status)) + ")";
            continue;
        }
        r.files.emplace_back(path, std::move(read.text));
    }
    return r;
}

}  // namespace

Accounts Accounts::load(FileSystem& fs, const Platform& platform) {
    Accounts a;
    if (platform.is_darwin()) a.load_dslocal(fs);
    else a.load_passwd(fs);
    return a;
}

void Accounts::load_passwd(FileSystem& fs) {
    const auto passwd_read = fs.read("/etc/passwd");
    const auto group_read = fs.read("/etc/group");
    m_users_complete = m_groups_complete =
        passwd_read.status == parse::ReadStatus::ok && group_read.status == parse::ReadStatus::ok;
    if (!m_users_complete) m_unknown_reason = "the tree has no readable /etc/passwd and /etc/group";
    const auto passwd = parse::parse_passwd(passwd_read.text, "/etc/passwd");
    const auto group = parse::parse_group(group_read.text, "/etc/group");
    for (const auto& e : passwd.entries) m_users.push_back({e.name, e.uid, e.gid, e.home, e.shell, e.line, {}});
    for (const auto& e : group.entries) m_groups.push_back({e.name, e.gid, e.members});
    for (const auto* errors : {&passwd.errors, &group.errors})
        for (const auto& d : *errors) m_errors.push_back({{"file", d.file}, {"line", d.line}, {"message", d.message}});
}

void Accounts::load_dslocal(FileSystem& fs) {
    const std::string users_dir = std::string(kDslocalNode) + "/users";
    const std::string groups_dir = std::string(kDslocalNode) + "/groups";
    auto users = record_files(fs, users_dir);
    auto groups = record_files(fs, groups_dir);
    if (!users.complete && !groups.complete && users.files.empty() && groups.files.empty()) {
        // No directory node in the tree: macOS's /etc/passwd and /etc/group still name root and
        // the system accounts truly, but not the people or nixbld.
        load_passwd(fs);
        m_source = "passwd (partial)";
        m_groups_location = groups_dir;
        m_users_complete = m_groups_complete = false;
        m_unknown_reason = users.why_incomplete;
        return;
    }
    m_source = "dslocal";
    m_groups_location = groups_dir;
    m_users_complete = users.complete;
    m_groups_complete = groups.complete;
    m_unknown_reason = !users.complete ? users.why_incomplete : groups.why_incomplete;
    auto unusable = [&](const std::string& path, const std::string& why) {
        m_unusable.push_back({path, why});
        m_errors.push_back({{"file", path}, {"line", 0}, {"message", why}});
    };
    std::map<std::string, std::string> name_of_uuid;
    for (const auto& [path, bytes] : users.files) {
        auto r = parse::parse_dslocal_user(bytes);
        if (!r.record) {
            unusable(path, "not an account record: " + r.error);
            m_users_complete = false;
            m_unknown_reason = path + " is not an account record";
            continue;
        }
        const auto& e = r.record->entry;
        m_users.push_back({e.name, e.uid, e.gid, e.home, e.shell, 0, r.record->aliases});
        if (!r.record->generated_uid.empty()) name_of_uuid[util::to_lower(r.record->generated_uid)] = e.name;
    }
    for (const auto& [path, bytes] : groups.files) {
        auto r = parse::parse_dslocal_group(bytes);
        if (!r.record) {
            unusable(path, "not a group record: " + r.error);
            m_groups_complete = false;
            if (m_unknown_reason.empty()) m_unknown_reason = path + " is not a group record";
            continue;
        }
        Group g{r.record->entry.name, r.record->entry.gid, r.record->entry.members};
        for (const auto& uuid : r.record->member_uuids)
            if (const auto it = name_of_uuid.find(util::to_lower(uuid)); it != name_of_uuid.end())
                if (std::find(g.members.begin(), g.members.end(), it->second) == g.members.end()) g.members.push_back(it->second);
        m_groups.push_back(std::move(g));
    }
    if (complete()) m_unknown_reason.clear();
}

void Accounts::add_observed(const Account& account, const std::vector<std::string>& groups) {
    if (account.name.empty()) return;
    if (!by_name(account.name)) m_users.push_back(account);
    auto& list = m_observed_groups[account.name];
    for (const auto& g : groups)
        if (std::find(list.begin(), list.end(), g) == list.end()) list.push_back(g);
}

nlohmann::json describe_accounts(const Accounts& accounts) {
    return {{"source", accounts.source()},
            {"users_complete", accounts.users_complete()},
            {"groups_complete", accounts.groups_complete()},
            {"groups_location", accounts.groups_location()},
            {"unknown_reason", accounts.unknown_reason()}};
}

const Account* Accounts::by_name(const std::string& name) const {
    for (const auto& u : m_users)
        if (u.name == name) return &u;
    for (const auto& u : m_users)
        if (std::find(u.aliases.begin(), u.aliases.end(), name) != u.aliases.end()) return &u;
    return nullptr;
}

const Account* Accounts::by_uid(unsigned uid) const {
    for (const auto& u : m_users)
        if (u.uid == uid) return &u;
    return nullptr;
}

std::string Accounts::user_name(unsigned uid) const {
    if (const auto* u = by_uid(uid)) return u->name;
    return uid == 0 ? "root" : std::to_string(uid);
}

std::string Accounts::group_name(unsigned gid) const {
    for (const auto& g : m_groups)
        if (g.gid == gid) return g.name;
    return gid == 0 ? "root" : std::to_string(gid);
}

bool Accounts::group_exists(const std::string& name) const { return group_id(name).has_value(); }

std::optional<unsigned> Accounts::group_id(const std::string& name) const {
    for (const auto& g : m_groups)
        if (g.name == name) return g.gid;
    return std::nullopt;
}

std::vector<std::string> Accounts::groups_of(const std::string& user) const {
    std::vector<std::string> out;
    const auto* u = by_name(user);
    if (u) out.push_back(group_name(u->gid));
    const std::string& name = u ? u->name : user;
    for (const auto& g : m_groups)
        for (const auto& m : g.members)
            if (m == name && std::find(out.begin(), out.end(), g.name) == out.end()) out.push_back(g.name);
    if (const auto it = m_observed_groups.find(name); it != m_observed_groups.end())
        for (const auto& g : it->second)
            if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    return out;
}

std::vector<std::string> Accounts::user_names() const {
    std::vector<std::string> names;
    for (const auto& u : m_users) names.push_back(u.name);
    return names;
}

}  // namespace nbd::facts
