// Who sshd lets try to log in (auth.c allowed_user(): DenyUsers, AllowUsers, DenyGroups,
// AllowGroups, in that order) and where it looks for a user's authorized keys
// (auth.c expand_authorized_keys()).
#include <algorithm>

#include "nix_builder_doctor/parse/sshd_config.hpp"

namespace nbd::parse {

namespace {

bool refuse(std::string* reason, std::string text) {
    if (reason) *reason = std::move(text);
    return false;
}

// ga_match(): does any of the user's groups match any pattern (no negation here)?
bool any_group_matches(const std::vector<std::string>& groups,
                       const std::vector<SshListEntry>& patterns) {
    for (const auto& g : groups)
        for (const auto& p : patterns)
            if (ssh_match_pattern(g, p.value)) return true;
    return false;
}

}  // namespace

bool sshd_user_allowed(const SshdEffective& effective, const std::string& user,
                       const std::vector<std::string>& groups, const std::string& host,
                       const std::string& address, std::string* reason) {
    const std::string who = "User " + user + " from " + host + " not allowed because ";
    for (const auto& p : effective.deny_users) {
        const int r = ssh_match_user(user, host, address, p.value);
        if (r < 0)
            return refuse(reason, "Invalid DenyUsers pattern \"" + p.value + "\" (" +
                                      p.origin.describe() + ")");
        if (r != 0)
            return refuse(reason, who + "listed in DenyUsers (" + p.origin.describe() + ")");
    }
    if (!effective.allow_users.empty()) {
        bool listed = false;
        for (const auto& p : effective.allow_users) {
            const int r = ssh_match_user(user, host, address, p.value);
            if (r < 0)
                return refuse(reason, "Invalid AllowUsers pattern \"" + p.value + "\" (" +
                                          p.origin.describe() + ")");
            if (r == 1) {
                listed = true;
                break;
            }
        }
        if (!listed) return refuse(reason, who + "not listed in AllowUsers");
    }
    if (!effective.deny_groups.empty() || !effective.allow_groups.empty()) {
        if (groups.empty()) return refuse(reason, who + "not in any group");
        if (any_group_matches(groups, effective.deny_groups))
            return refuse(reason, who + "a group is listed in DenyGroups");
        if (!effective.allow_groups.empty() && !any_group_matches(groups, effective.allow_groups))
            return refuse(reason, who + "none of user's groups are listed in AllowGroups");
    }
    return true;
}

std::string sshd_expand_authorized_keys_path(std::string_view pattern, const std::string& home,
                                             const std::string& user, unsigned uid, bool* ok,
                                             const std::string& sshd_home) {
    bool good = true;
    std::string path(pattern);
    // sshd expands `~` with its own account's home when it reads sshd_config.
    if (!path.empty() && path.front() == '~') {
        const std::string after = path.substr(1);
        if (after.empty() || after.front() == '/') {
            const auto rest = after.substr(std::min(after.size(), after.find_first_not_of('/')));
            path = sshd_home + (!sshd_home.empty() && sshd_home.back() == '/' ? "" : "/") + rest;
        } else {
            good = false;  // ~otheruser
        }
    }
    std::string out;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (path[i] != '%') {
            out.push_back(path[i]);
            continue;
        }
        const char letter = i + 1 < path.size() ? path[i + 1] : '\0';
        switch (letter) {
            case '%':
                out.push_back('%');
                break;
            case 'h':
                out.append(home);
                break;
            case 'u':
                out.append(user);
                break;
            case 'U':
                out.append(std::to_string(uid));
                break;
            default:
                good = false;  // sshd stops: percent_expand: unknown key
                out.push_back('%');
                if (letter) out.push_back(letter);
        }
        if (letter) ++i;
    }
    if (out.empty() || out.front() != '/') out = home + "/" + out;
    if (ok) *ok = good;
    return out;
}

}  // namespace nbd::parse
