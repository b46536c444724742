#include "nix_builder_doctor/facts/accounts.hpp"

#include <algorithm>

#include "nix_builder_doctor/parse/passwd.hpp"

namespace nbd::facts {

Accounts Accounts::load(FileSystem& fs) {
    Accounts a;
    const auto passwd_read = fs.read("/etc/passwd");
    a.m_has_passwd = passwd_read.status == parse::ReadStatus::ok && fs.read("/etc/group").status == parse::ReadStatus::ok;
    const auto passwd = parse::parse_passwd(passwd_read.text, "/etc/passwd");
    const auto group = parse::parse_group(fs.read("/etc/group").text, "/etc/group");
    for (const auto& e : passwd.entries) a.m_users.push_back({e.name, e.uid, e.gid, e.home, e.shell, e.line});
    for (const auto& e : group.entries) a.m_groups.push_back({e.name, e.gid, e.members});
    for (const auto* errors : {&passwd.errors, &group.errors})
        for (const auto& d : *errors) a.m_errors.push_back({{"file", d.file}, {"line", d.line}, {"message", d.message}});
    return a;
}

const Account* Accounts::by_name(const std::string& name) const {
    for (const auto& u : m_users)
        if (u.name == name) return &u;
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
    if (const auto* u = by_name(user)) out.push_back(group_name(u->gid));
    for (const auto& g : m_groups)
        for (const auto& m : g.members)
            if (m == user && std::find(out.begin(), out.end(), g.name) == out.end()) out.push_back(g.name);
    return out;
}

std::vector<std::string> Accounts::user_names() const {
    std::vector<std::string> names;
    for (const auto& u : m_users) names.push_back(u.name);
    return names;
}

}  // namespace nbd::facts
