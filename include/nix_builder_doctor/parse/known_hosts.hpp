// OpenSSH known_hosts files (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT", hostfile.c): lines
// `[@marker] hostnames keytype base64 [comment]`, markers @cert-authority and @revoked, host
// patterns with `*`, `?`, `!negation` and `[host]:port`, and hashed names
// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. Every non-comment line becomes an entry; a
// line ssh would ignore keeps its reason in `error` (and a Diagnostic; past kMaxLineErrors such
// lines without a key are only counted). Lookup follows ssh:
// the name is `host` for port 22 (or 0) and `[host]:port` otherwise, lower-cased, and for a
// non-standard port ssh retries without the port when nothing matched.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"
#include "nix_builder_doctor/parse/ssh_public_key.hpp"
#include "nix_builder_doctor/util/encoding.hpp"

namespace nbd::parse {

enum class KnownHostMarker { none, cert_authority, revoked };

struct KnownHostEntry {
    int line = 0;
    KnownHostMarker marker = KnownHostMarker::none;
    std::string hosts;                  // the host-names field as written
    bool hashed = false;                // `|1|salt|hmac`
    std::vector<std::string> patterns;  // unhashed: the comma-separated patterns, `!` kept
    util::Bytes salt;                   // hashed: 20 bytes
    util::Bytes hmac;                   // hashed: HMAC-SHA1(salt, name), 20 bytes
    std::optional<PublicKey> key;       // the key (comment in key->comment)
    std::string error;                  // non-empty: ssh ignores this line, and why
};

struct KnownHosts {
    std::string file;
    std::vector<KnownHostEntry> entries;
    std::vector<Diagnostic> diagnostics;
};

KnownHosts parse_known_hosts(std::string_view text, std::string_view file);

// put_host_port: `host` for port 0 or 22, else `[host]:port`; lower-cased like ssh's host name.
std::string known_hosts_name(std::string_view host, int port);
// `|1|<salt>|<hmac>` for `name` with the given salt, as `ssh-keygen -H` writes it.
std::string hash_known_host_name(const util::Bytes& salt, std::string_view name);

// Whether the line's host names match an exact lookup name (as known_hosts_name returns),
// like hostfile.c match_maybe_hashed: a matching `!pattern` makes the line not match.
// Ignores `error` (so a caller can find a broken line for a host).
bool known_host_names_match(const KnownHostEntry& entry, std::string_view name);
// ssh's view of one line for host/port: names match and the line is valid.
bool known_host_entry_matches(const KnownHostEntry& entry, std::string_view host, int port);

struct KnownHostsLookup {
    std::string name;           // the name that matched (or was tried last)
    bool without_port = false;  // found only by ssh's "checking without port identifier" retry
    std::vector<const KnownHostEntry*> entries;  // in file order, all markers included
};

// All valid entries for host/port, with ssh's retry without the port for a non-standard port
// when nothing matched with it (ssh skips that retry when HostKeyAlias is set).
KnownHostsLookup find_known_hosts(const KnownHosts& known_hosts, std::string_view host, int port);
std::vector<const KnownHostEntry*> lookup_known_hosts(const KnownHosts& known_hosts,
                                                      std::string_view host, int port);

}  // namespace nbd::parse
