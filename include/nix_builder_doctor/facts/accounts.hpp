// The users and groups of one filesystem tree (its /etc/passwd and /etc/group), for owner names,
// home directories, login shells and group membership.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nix_builder_doctor/facts/filesystem.hpp"

namespace nbd::facts {

struct Account {
    std::string name;
    unsigned uid = 0;
    unsigned gid = 0;
    std::string home;
    std::string shell;
    int line = 0;
};

class Accounts {
public:
    static Accounts load(FileSystem& fs);

    const Account* by_name(const std::string& name) const;
    const Account* by_uid(unsigned uid) const;
    // Name of a uid/gid, or the number as text when unknown.
    std::string user_name(unsigned uid) const;
    std::string group_name(unsigned gid) const;
    bool group_exists(const std::string& name) const;
    std::optional<unsigned> group_id(const std::string& name) const;
    // Primary group first, then supplementary groups.
    std::vector<std::string> groups_of(const std::string& user) const;
    std::vector<std::string> user_names() const;
    // Parse problems of /etc/passwd and /etc/group (file, line, message).
    const nlohmann::json& errors() const { return m_errors; }
    bool has_passwd() const { return m_has_passwd; }

private:
    struct Group {
        std::string name;
        unsigned gid = 0;
        std::vector<std::string> members;
    };
    std::vector<Account> m_users;
    std::vector<Group> m_groups;
    nlohmann::json m_errors = nlohmann::json::array();
    bool m_has_passwd = false;
};

}  // namespace nbd::facts
