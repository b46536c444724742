// The OpenSSH server configuration (sshd_config(5)) as OpenSSH 9.2's sshd reads it. Outside
// Match blocks the first value obtained for a keyword wins (Port, ListenAddress, HostKey,
// AllowUsers, DenyUsers, AllowGroups, DenyGroups and AcceptEnv accumulate). `Include` takes globs
// (relative to /etc/ssh), read in place, also inside Match; an included file cannot change the
// including file's Match state. A Match block lasts until the next Match or the end of its file;
// for a connection, sshd re-reads the files with only matching blocks active and their values
// override the global ones whatever their position (first occurrence among matching blocks
// wins; a list set in matching blocks replaces the global list). parse_sshd_config() turns text
// into items with sshd's own error messages ("Bad configuration option", like `sshd -t`);
// evaluate_sshd_config() gives what `sshd -T -C user=...,host=...,addr=...` prints, with the
// file:line of every value; sshd_user_allowed() applies DenyUsers, AllowUsers, DenyGroups and
// AllowGroups in sshd's order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"
#include "nix_builder_doctor/parse/ssh_config_lexer.hpp"

namespace nbd::parse {

struct SshdMatchCriterion {
    // Lower-case: all, user, group, host, address, localaddress, localport, rdomain, and the
    // newer invalid-user (OpenSSH 9.9) and version (10.0).
    std::string name;
    std::string argument;  // empty for all and invalid-user
};

enum class SshdConfigItemKind { option, match, include_begin, include_end };

struct SshdConfigItem {
    SshdConfigItemKind kind = SshdConfigItemKind::option;
    SshDirective directive;                    // the line (for include_begin/end: the Include line)
    std::string keyword;                       // canonical lower-case keyword (aliases resolved)
    bool known = true;                         // a keyword OpenSSH 9.2's sshd (Debian build) knows
    bool match_allowed = true;                 // the keyword may appear inside a Match block
    std::vector<SshdMatchCriterion> criteria;  // kind == match
    bool match_valid = true;                   // false: "Bad Match condition"
    std::string included_file;                 // include_begin / include_end
};

struct SshdConfig {
    std::string file;
    std::vector<SshdConfigItem> items;        // reading order, included files spliced in place
    std::vector<std::string> included_files;  // every file read through Include, in order
    std::vector<LimitReached> limits;         // bounds reached: what lies past them was not read
    // What `sshd -t` rejects; any of them keeps sshd from starting (or from re-reading its
    // configuration after a change).
    std::vector<Diagnostic> diagnostics;
    // Harmless messages sshd logs (deprecated options) and what the doctor could not follow.
    std::vector<Diagnostic> notes;
};

SshdConfig parse_sshd_config(std::string_view text, const std::string& file,
                             const IncludeSource& includes);

// The connection Match blocks are evaluated for. A criterion whose datum is missing does not
// match (and is noted), as with `sshd -T -C`.
struct SshdMatchContext {
    std::optional<std::string> user;
    std::vector<std::string> groups;  // the user's groups (primary and supplementary), by name
    std::optional<std::string> host;  // the client's host name (its address unless UseDNS yes)
    std::optional<std::string> address;
    std::optional<std::string> local_address;
    std::optional<int> local_port;
    std::optional<std::string> rdomain;
    bool user_invalid = false;              // the user does not exist (Match Invalid-User)
    std::string version = "OpenSSH_9.2p1";  // SSH_RELEASE, for Match Version
};

struct SshdMaxStartups {
    int start = 10;
    int rate = 30;
    int full = 100;
    bool set = false;
    SshOrigin origin;
};

struct SshdEffective {
    SshSetting pubkey_authentication;  // "yes" / "no"
    SshSetting password_authentication;
    SshSetting kbd_interactive_authentication;  // also ChallengeResponseAuthentication
    // "yes", "no", "prohibit-password" (also written without-password; the default),
    // "forced-commands-only".
    SshSetting permit_root_login;
    // As sshd keeps them: `%h`, `%u`, `%U` unexpanded, relative to the home; sshd itself expands
    // a leading `~` when it reads the file, to the home of the account sshd runs as (root), see
    // sshd_expand_authorized_keys_path(). "none" disables.
    SshListSetting authorized_keys_files;
    SshSetting authorized_keys_command;       // "none" by default
    SshSetting authorized_keys_command_user;  // "none" by default
    SshSetting strict_modes;
    std::vector<SshListEntry> allow_users;  // `user` or `user@host-or-address-list` patterns
    std::vector<SshListEntry> deny_users;
    std::vector<SshListEntry> allow_groups;
    std::vector<SshListEntry> deny_groups;
    SshdMaxStartups max_startups;
    SshSetting max_sessions;
    SshSetting max_auth_tries;
    // value: the resulting comma-separated list; as_written: the spec (`+...`, `-...`, `^...`).
    SshSetting pubkey_accepted_algorithms;
    std::vector<std::string> pubkey_accepted_algorithm_list;
    SshSetting permit_user_environment;  // "yes", "no" or a pattern list
    SshListSetting set_env;              // NAME=VALUE
    std::vector<SshListEntry> accept_env;
    SshSetting force_command;     // value "" when none
    SshSetting chroot_directory;  // value "" when none
    SshSetting use_pam;
    SshSetting use_dns;
    SshSetting authentication_methods;           // "any" by default
    std::vector<SshListEntry> ports;             // default 22
    std::vector<SshListEntry> listen_addresses;  // none listed: all addresses
    std::vector<SshListEntry> host_keys;
    std::vector<SshAppliedBlock> applied_match_blocks;
    std::vector<Diagnostic> notes;  // Match criteria that lacked data, algorithm list errors
};

SshdEffective evaluate_sshd_config(const SshdConfig& config, const SshdMatchContext& context);

// DenyUsers, AllowUsers, DenyGroups, AllowGroups, in auth.c allowed_user()'s order. `host` is
// what sshd compares (the address unless UseDNS yes). On refusal `reason` (if given) gets sshd's
// log line, e.g. "User nix from 10.0.0.1 not allowed because not listed in AllowUsers".
bool sshd_user_allowed(const SshdEffective& effective, const std::string& user,
                       const std::vector<std::string>& groups, const std::string& host,
                       const std::string& address, std::string* reason);

// An AuthorizedKeysFile entry for one account: `%%`, `%h`, `%u`, `%U` expanded, made absolute
// under `home` when relative, and a leading `~` taken as `sshd_home` (sshd expands it when it
// reads its configuration, with its own account's home). `ok` is false on a token sshd rejects.
std::string sshd_expand_authorized_keys_path(std::string_view pattern, const std::string& home,
                                             const std::string& user, unsigned uid,
                                             bool* ok = nullptr,
                                             const std::string& sshd_home = "/root");

// PubkeyAcceptedAlgorithms of OpenSSH 9.2 (Debian build): the default list, every algorithm it
// knows (`ssh -Q PubkeyAcceptedAlgorithms`), and kex_assemble_names() for a spec with `+`
// (append), `-` (remove, patterns allowed), `^` (prepend) or an explicit pattern list.
const std::vector<std::string>& sshd_default_pubkey_algorithms();
const std::vector<std::string>& sshd_known_pubkey_algorithms();
std::optional<std::vector<std::string>> sshd_assemble_pubkey_algorithms(
    std::string_view spec, std::string* error = nullptr);

// The keywords OpenSSH 9.2's sshd (Debian build) accepts, lower-case.
const std::vector<std::string>& sshd_keywords();

enum class SshdKeywordStatus {
    active,       // has an effect
    deprecated,   // sshd logs "Deprecated option" and ignores it
    unsupported,  // sshd logs "Unsupported option" and ignores it
    ignored,      // silently ignored (Protocol)
};
struct SshdKeywordInfo {
    std::string_view name;       // lower-case, as written in the table
    std::string_view canonical;  // the keyword it is an alias of (or itself)
    bool match_allowed = false;  // may appear inside Match
    SshdKeywordStatus status = SshdKeywordStatus::active;
};
// nullptr for a keyword sshd 9.2 does not know.
const SshdKeywordInfo* sshd_keyword_info(std::string_view lower_keyword);

}  // namespace nbd::parse
