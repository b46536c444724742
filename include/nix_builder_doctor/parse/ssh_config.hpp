// The OpenSSH client configuration (ssh_config(5)), as OpenSSH 9.2's ssh reads it: `Host`
// sections with `*`/`?` patterns and `!` negation, `Match` sections (all, canonical, final,
// exec, host, originalhost, user, localuser, each maybe `!`-negated), `Include` with globs read
// in place (relative to ~/.ssh for a user's config, /etc/ssh for the system one), and for every
// keyword the first value obtained wins, across sections and across files (the user's
// ~/.ssh/config before /etc/ssh/ssh_config), except IdentityFile, which accumulates.
// parse_ssh_config() turns text into items; evaluate_ssh_config() computes what `ssh -G` would
// print for one destination, with the file:line every value came from. The doctor never runs
// commands, so `Match exec` is taken as not matching (and noted).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"
#include "nix_builder_doctor/parse/ssh_config_lexer.hpp"

namespace nbd::parse {

struct SshHostPattern {
    std::string pattern;  // without the `!`
    bool negated = false;
};

struct SshMatchCriterion {
    std::string
        name;  // lower-case: all, canonical, final, exec, host, originalhost, user, localuser
    bool negated = false;  // `!name`
    std::string argument;  // empty for all, canonical, final
};

enum class SshConfigItemKind {
    option,         // any other keyword
    host,           // `Host patterns...`
    match,          // `Match criteria...`
    include_begin,  // the items of `included_file` follow ...
    include_end,    // ... up to here
};

struct SshConfigItem {
    SshConfigItemKind kind = SshConfigItemKind::option;
    SshDirective directive;  // the line (for include_begin/end: the Include line)
    bool known = true;       // option: a keyword OpenSSH 9.2's ssh knows
    std::vector<SshHostPattern> host_patterns;  // kind == host
    std::vector<SshMatchCriterion> criteria;    // kind == match
    bool match_valid = true;                    // false: ssh rejects the line (Bad Match condition)
    std::string included_file;                  // include_begin / include_end
};

struct SshConfig {
    std::string file;
    bool user_config = true;                  // a user's ~/.ssh/config (else the system-wide one)
    std::vector<SshConfigItem> items;         // reading order, included files spliced in place
    std::vector<std::string> included_files;  // every file read through Include, in order
    std::vector<LimitReached> limits;         // bounds reached: what lies past them was not read
    // What ssh itself rejects ("Bad configuration option: ...", "Bad Match condition", ...);
    // any of them makes ssh stop with "terminating, N bad configuration options".
    std::vector<Diagnostic> diagnostics;
    // What the doctor could not follow (an unreadable included file, `~user` paths, ...).
    std::vector<Diagnostic> notes;
};

// `include_base_dir` is where relative Include paths live: the user's ~/.ssh (as an absolute
// path, e.g. /root/.ssh) for a user config, /etc/ssh for the system one. When it ends in
// "/.ssh" the file is a user config, its parent is the home used for `~/` in Include, and `~`
// paths are allowed; otherwise they are an error, as in ssh.
SshConfig parse_ssh_config(std::string_view text, const std::string& file,
                           const IncludeSource& includes, const std::string& include_base_dir);

// The destination and the local account, as ssh sees them.
struct SshTarget {
    std::string host;                           // as given (`ssh HOST`, the machines file's host)
    std::optional<std::string> user;            // remote user from `user@host` or -l
    std::optional<int> port;                    // -p
    std::vector<std::string> identity_files;    // -i (Nix passes the machines file's key so)
    std::string local_user;                     // the account running ssh (root under nix-daemon)
    std::string local_home;                     // its passwd home (not $HOME)
    std::optional<unsigned> local_uid;          // for %i (left unexpanded when unknown)
    std::optional<std::string> local_hostname;  // for %l, %L, %C (idem)
    // `Match exec` is never run: false takes it as not matching, true as matching (what ssh may
    // do; the caller evaluates both when `match_exec_seen` says it matters).
    bool assume_match_exec = false;
};

struct SshIdentityFile {
    std::string as_written;      // "~/.ssh/id_%h"
    std::string path;            // `~` and %-tokens expanded
    bool fully_expanded = true;  // false: a token needed unknown data (%l, ${VAR}, ~otheruser)
    bool is_default = false;     // one of ssh's default names (no IdentityFile anywhere)
    SshOrigin origin;
};

struct SshClientOptions {
    SshSetting hostname;  // HostName, %h expanded, lower-cased; default: the host
    SshSetting user;      // default: the local user
    SshSetting port;      // default "22"
    std::vector<SshIdentityFile> identity_files;  // -i first, then config order; else defaults
    SshSetting identities_only;                   // "yes" / "no"
    SshListSetting user_known_hosts_files;        // expanded; default ~/.ssh/known_hosts{,2}
    SshListSetting global_known_hosts_files;      // default /etc/ssh/ssh_known_hosts{,2}
    SshSetting strict_host_key_checking;          // "yes", "no", "ask" (default), "accept-new"
    SshSetting host_key_alias;                    // lower-cased, as ssh uses it; unset by default
    SshSetting check_host_ip;                     // "yes" / "no" (default since 8.5)
    SshSetting update_host_keys;                  // "yes", "no", "ask"; unset: ssh's default (yes
                                                  // unless UserKnownHostsFile is overridden)
    SshSetting proxy_jump;             // as written; ProxyJump and ProxyCommand: first one wins
    SshSetting proxy_command;          // as written
    SshSetting control_master;         // "yes", "no" (default), "auto", "ask", "autoask"
    SshSetting control_path;           // value: `~`/%-expanded; as_written: raw
    SshSetting identity_agent;         // idem
    SshSetting batch_mode;             // "yes" / "no"
    SshSetting connect_timeout;        // seconds, or "none" (default)
    SshSetting canonicalize_hostname;  // "no" (default), "yes", "always"
    // Host and Match lines that took effect, in order (both passes when a final pass ran).
    std::vector<SshAppliedBlock> applied_blocks;
    // The destination matched a Host pattern other than a bare `*`: the name is known to this
    // configuration (an alias, or a pattern written for it). The lines are listed too.
    bool host_matched_specific_pattern = false;
    std::vector<SshAppliedBlock> specific_host_matches;
    bool final_pass = false;  // `Match final` or CanonicalizeHostname made ssh read it all twice
    std::vector<Diagnostic> notes;  // Match exec not run, unknown %-tokens, ...
    bool match_exec_seen = false;   // a Match exec criterion was reached (and not run)
};

// Evaluate the configurations in the order ssh reads them (the user's, then the system's) for
// one destination.
SshClientOptions evaluate_ssh_config(const std::vector<const SshConfig*>& in_order,
                                     const SshTarget& target);

// The keywords OpenSSH 9.2 (Debian build) ssh accepts, lower-case.
const std::vector<std::string>& ssh_client_keywords();
bool is_ssh_client_keyword(std::string_view lower_keyword);

// `~` and %-token expansion as ssh applies it to IdentityFile, UserKnownHostsFile, ControlPath
// and IdentityAgent (tilde_expand_filename + percent_dollar_expand). `tokens` maps a token
// letter to its value; unknown tokens, `${VAR}` and `~otheruser` are kept as written and make
// `*complete` false.
struct SshExpansionToken {
    char letter;
    std::string value;
};
std::string ssh_expand_path(std::string_view path, const std::string& home,
                            const std::vector<SshExpansionToken>& tokens, bool* complete);

}  // namespace nbd::parse
