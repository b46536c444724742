// The users and groups of one filesystem tree, for owner names, home directories, login shells
// and group membership: /etc/passwd and /etc/group, or on macOS the local directory node
// (/var/db/dslocal/nodes/Default/{users,groups}/*.plist). Both feed the same entries, so
// producers and rules do not care about the platform. When the platform's source is not all
// in the tree, lookups still use what is there, but absence is unknown (`complete()` is false):
// a group that is not found is then never reported missing.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nix_builder_doctor/facts/filesystem.hpp"
#include "nix_builder_doctor/facts/platform.hpp"

namespace nbd::facts {

struct Account {
    std::string name;
    unsigned uid = 0;
    unsigned gid = 0;
    std::string home;
    std::string shell;
    int line = 0;
    std::vector<std::string> aliases;  // macOS records may have more than one name
};

// The local directory node of macOS, where its accounts live.
inline constexpr const char* kDslocalNode = "/var/db/dslocal/nodes/Default";

class Accounts {
public:
    static Accounts load(FileSystem& fs, const Platform& platform = {});

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
    // Parse problems of the account files (file, line, message).
    const nlohmann::json& errors() const { return m_errors; }

    // Every user (group) record of the platform's source was read: a name not found is absent.
    bool users_complete() const { return m_users_complete; }
    bool groups_complete() const { return m_groups_complete; }
    bool complete() const { return m_users_complete && m_groups_complete; }
    bool has_passwd() const { return complete(); }  // the older name of complete()
    // "passwd" (/etc/passwd and /etc/group), "dslocal" (macOS's local node), or "passwd
    // (partial)": macOS's own /etc/passwd, which lacks the people and nixbld.
    const std::string& source() const { return m_source; }
    // Where a group would be, for messages: "/etc/group" or the dslocal groups directory.
    const std::string& groups_location() const { return m_groups_location; }
    // Why absence cannot be told ("" when complete()).
    const std::string& unknown_reason() const { return m_unknown_reason; }
    // Record files that were read but are not account records (malformed property lists).
    struct Unusable {
        std::string path;
        std::string why;
    };
    const std::vector<Unusable>& unusable() const { return m_unusable; }

    // The login user as a live builder reported itself (id, $HOME, $SHELL, id -Gn): added when
    // the files do not have it (a macOS builder's directory node is not readable over SSH), its
    // groups joined to what the files say.
    void add_observed(const Account& account, const std::vector<std::string>& groups);

private:
    struct Group {
        std::string name;
        unsigned gid = 0;
        std::vector<std::string> members;
    };
    void load_passwd(FileSystem& fs);
    void load_dslocal(FileSystem& fs);

    std::vector<Account> m_users;
    std::vector<Group> m_groups;
    std::map<std::string, std::vector<std::string>> m_observed_groups;
    nlohmann::json m_errors = nlohmann::json::array();
    bool m_users_complete = false;
    bool m_groups_complete = false;
    std::string m_source = "passwd";
    std::string m_groups_location = "/etc/group";
    std::string m_unknown_reason;
    std::vector<Unusable> m_unusable;
};

// For the Facts: {source, users_complete, groups_complete, groups_location, unknown_reason}.
nlohmann::json describe_accounts(const Accounts& accounts);

}  // namespace nbd::facts
