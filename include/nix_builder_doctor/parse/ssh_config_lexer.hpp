// Lexer and pattern matching shared by ssh_config(5) and sshd_config(5), modelled on OpenSSH 9.2
// (misc.c strdelim/argv_split, match.c, addrmatch.c). A line is `keyword args` or
// `keyword=args`; the keyword is case-insensitive; arguments may be "double" or 'single' quoted
// and use `\` escapes; `#` starts a comment only at the start of an argument. Every directive
// keeps its file and 1-based line. Also the small vocabulary both evaluators report in: where an
// effective value came from (file:line, the command line, or OpenSSH's default).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::parse {

// One `keyword arguments` line.
struct SshDirective {
    std::string keyword;             // lower-cased
    std::string keyword_as_written;  // as in the file (sshd quotes it so in its messages)
    // Arguments after quote removal and `\` escapes, up to a `#` that starts an argument.
    std::vector<std::string> args;
    // The text after the keyword and its separator (blanks, or one `=`), trailing blanks removed,
    // quotes kept. ProxyCommand, ProxyJump, ForceCommand and AuthorizedKeysCommand take this.
    std::string rest;
    std::string file;
    int line = 0;
};

struct SshLexResult {
    std::vector<SshDirective> directives;
    // "no argument after keyword", "invalid quotes": the messages ssh and sshd print.
    std::vector<Diagnostic> diagnostics;
};

// Split a whole file into directives. Comments and blank lines produce nothing.
SshLexResult lex_ssh_config(std::string_view text, const std::string& file);

// OpenSSH's strdelim(): tokens separated by blanks or a single `=`, `"..."` quoting. OpenSSH 9.2
// tokenises `Match` criteria this way (so `Match user=alice` works there too).
std::vector<std::string> ssh_strdelim_split(std::string_view s);

// ----- Where a value came from -------------------------------------------------------------------

struct SshOrigin {
    std::string file;  // empty: OpenSSH's built-in default
    int line = 0;      // 0 with a file name: a whole source such as "command line"
    // "file:line", "command line" or "default".
    std::string describe() const;
    bool is_default() const { return file.empty(); }
};

// An effective scalar setting.
struct SshSetting {
    std::string value;       // normalised effective value ("" when unset and without default)
    std::string as_written;  // the argument as written (before normalising/expanding)
    bool set = false;        // false: OpenSSH's default (or unset)
    SshOrigin origin;
};

// An effective list setting that a single line sets as a whole (first line wins).
struct SshListSetting {
    std::vector<std::string> values;
    bool set = false;
    SshOrigin origin;
};

// One element of a list that several lines add to.
struct SshListEntry {
    std::string value;
    SshOrigin origin;
};

// A Host or Match line that took effect.
struct SshAppliedBlock {
    std::string file;
    int line = 0;
    std::string text;  // e.g. "Host builder *.lan"
};

// ----- OpenSSH pattern matching (match.c, addrmatch.c)
// --------------------------------------------

// match_pattern(): `*` and `?` wildcards, case-sensitive.
bool ssh_match_pattern(std::string_view s, std::string_view pattern);
// match_pattern_list(): comma-separated patterns, each maybe `!`-negated. Returns -1 when a
// negated pattern matches, 1 on a positive match, 0 otherwise. `lower_patterns` lower-cases the
// patterns first (match_hostname does, for a lower-case subject).
int ssh_match_pattern_list(std::string_view s, std::string_view list, bool lower_patterns);
// match_hostname(): case-insensitive pattern list match of a host name.
int ssh_match_hostname(std::string_view host, std::string_view list);
// addr_match_list(): comma-separated addresses, CIDR blocks or wildcard patterns, each maybe
// `!`-negated. 1 match, 0 no match (also when `addr` is not an address), -1 negated match,
// -2 malformed list (empty entry, host bits set, bad prefix length). With no `addr` it only
// checks the list (0 or -2).
int ssh_addr_match_list(std::optional<std::string_view> addr, std::string_view list);
// match_user(): `user` or `user@host-or-address-list`. 1 match, 0 no match, -1 invalid
// pattern. With no user, host and address it only validates the pattern (0 or -1).
int ssh_match_user(std::optional<std::string_view> user, std::optional<std::string_view> host,
                   std::optional<std::string_view> address, std::string_view pattern);
// Is `s` a numeric IPv4 or IPv6 address as OpenSSH accepts it?
bool ssh_is_address(std::string_view s);
// a2port(): 0..65535, or the service name "ssh"; nullopt otherwise (callers reject 0 where
// OpenSSH does).
std::optional<int> ssh_parse_port(std::string_view s);
// convtime(): "90", "1h30m", "2d" ... in seconds; nullopt when malformed.
std::optional<long long> ssh_parse_time(std::string_view s);

}  // namespace nbd::parse
