// sshd's authorized_keys files (sshd(8) "AUTHORIZED_KEYS FILE FORMAT", auth2-pubkeyfile.c,
// auth-options.c): each line is an optional comma-separated option list (values in double
// quotes may hold commas, blanks and \" escapes: `command="nix-store --serve --write",restrict`)
// followed by a public key. Like sshd, a line is first read as a bare key and only then as
// options + key; blank and `#` lines are skipped. Every other line becomes an entry; one sshd
// would skip (no key, bad options) also gets a Diagnostic with file:line and keeps its reason in
// `error`, with its key when the key could be read, so a caller can still say "your key is there
// but sshd ignores that line". Past kMaxLineErrors malformed lines, key-less ones are only
// counted. A `cert-authority` line never authorises its own key, only certificates it signed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"
#include "nix_builder_doctor/parse/ssh_public_key.hpp"

namespace nbd::parse {

struct AuthorizedKeyOption {
    std::string name;                  // lower-case canonical name: "command", "no-pty", "restrict"
    std::optional<std::string> value;  // unquoted value of name="value" options
};

struct AuthorizedKeyEntry {
    int line = 0;
    std::string options_text;  // the option list as written ("" when none)
    std::vector<AuthorizedKeyOption> options;
    std::optional<PublicKey> key;  // absent only when the line has no readable key
    std::string error;             // non-empty: sshd ignores this line, and why

    // Convenience views of `options` (sshauthopt_parse semantics).
    std::optional<std::string> command;      // command="..."
    std::optional<std::string> from;         // from="pattern-list"
    std::optional<std::string> principals;   // principals="..." (with cert-authority)
    std::optional<std::string> expiry_time;  // expiry-time="YYYYMMDD[HHMM[SS]][Z]"
    std::optional<std::string> tunnel;       // tunnel="n"
    std::vector<std::string> environment;    // environment="NAME=value", first per name wins
    std::vector<std::string> permitopen;
    std::vector<std::string> permitlisten;
    bool restrict = false;
    bool cert_authority = false;
    bool verify_required = false;
    bool no_touch_required = false;
    // Effective denials after `restrict` and the individual flags, in order.
    bool no_pty = false;
    bool no_port_forwarding = false;
    bool no_agent_forwarding = false;
    bool no_x11_forwarding = false;
    bool no_user_rc = false;
};

struct AuthorizedKeys {
    std::string file;
    std::vector<AuthorizedKeyEntry> entries;
    std::vector<Diagnostic> diagnostics;
};

AuthorizedKeys parse_authorized_keys(std::string_view text, std::string_view file);

// Parse an option list alone into `entry` (sshauthopt_parse); returns "" or sshd's reason
// ("unknown key option", "missing end quote", ...).
std::string parse_authorized_key_options(std::string_view options, AuthorizedKeyEntry& entry);

}  // namespace nbd::parse
