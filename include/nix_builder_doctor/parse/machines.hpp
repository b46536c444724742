// The Nix builders list: the `builders` setting or a machines file, with the semantics of Nix
// >= 2.29 (libstore machines.cc): entries separated by newlines and `;`, `#` to the end of the
// line, entries trimmed, `@file` entries read recursively (a missing file is skipped silently),
// and each machine line split on blanks into 8 columns, `-` or absent meaning unset. Store URIs
// are completed like Nix does (`ssh://` prepended to a bare host) and split into scheme, user,
// host, port and query parameters. Bad lines become diagnostics with Nix's own wording; the
// rest is still parsed. Behaviour of older releases that differs is reported as legacy quirks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::parse {

// Column 0, the store URI.
struct MachineStoreUri {
    std::string written;    // as in the file
    std::string completed;  // what Nix opens: `ssh://` prepended where Nix does that
    bool scheme_added = false;
    // "ssh", "ssh-ng", "unix", ... ; empty for `auto`/`daemon`/`local` forms and local paths.
    std::string scheme;
    // No "://": `auto`, `daemon`, `local` (maybe with `?params`) or a local store path.
    std::string special;    // "auto" | "daemon" | "local" | "path" | ""
    std::string authority;  // between "://" and the first '/' or '?'
    std::string path;       // from the first '/' after the authority, before '?'
    bool has_user = false;
    std::string user;
    std::string host;              // without brackets for IPv6
    std::string port_text;         // as written after ':' ("" when absent)
    std::optional<unsigned> port;  // when port_text is a number 0..65535
    bool bracketed_ipv6 = false;
    bool unbracketed_ipv6 = false;  // accepted by Nix for compatibility; cannot carry a port
    std::vector<std::pair<std::string, std::string>> params;  // query, percent-decoded, in order
    const std::string* param(std::string_view key) const;
};

struct Machine {
    std::string file;  // where the entry is written (nix.conf for the `builders` value)
    int line = 0;
    std::string entry;                 // the trimmed entry text (Nix quotes it in errors)
    std::vector<std::string> columns;  // the blank-separated columns, extra ones too (first 64)
    std::size_t column_count = 0;      // more than 8: Nix silently ignores the rest
    MachineStoreUri store;
    bool systems_set = false;            // column 1; unset means only the local `system`
    std::vector<std::string> systems;    // comma list, empty items dropped, duplicates dropped
    std::optional<std::string> ssh_key;  // column 2
    // The key Nix gives ssh as `-i`: column 3, else the store URI's `?ssh-key=` (Nix sets the
    // column's value over the URI's). Column 3 only counts for ssh:// and ssh-ng:// stores.
    std::optional<std::string> identity_file;
    std::string identity_source;  // "column 3" | "?ssh-key=" | ""
    bool max_jobs_set = false;
    unsigned max_jobs = 1;  // column 3
    bool speed_factor_set = false;
    float speed_factor = 1.0f;                    // column 4; 0 becomes 1 like Nix
    bool speed_factor_integral = true;            // Nix < 2.20 accepted only unsigned integers here
    std::vector<std::string> supported_features;  // column 5
    std::vector<std::string> mandatory_features;  // column 6
    bool host_key_set = false;
    // "column 8", or "?base64-ssh-public-host-key=" when column 8 is unset and the URI has it.
    std::string host_key_source;
    std::string host_key_base64;    // column 7 (or the URI parameter) as written
    bool host_key_decodes = false;  // Nix's base64 decoder accepts it
    std::string host_key_decoded;   // the decoded bytes (should be "TYPE BASE64 [comment]")
    bool valid = true;  // false: Nix rejects this line (see errors) and fails the whole list
};

// An `@file` that does not exist: Nix skips it without a word.
struct MachinesMissingFile {
    std::string path;
    std::string file;  // where the `@file` entry is
    int line = 0;
};

struct MachinesFile {
    std::string path;
    ReadStatus status = ReadStatus::ok;
    std::string referenced_from;
    int referenced_line = 0;
    int depth = 0;
};

// Something that Nix before 2.29 reads differently (comment/`;` and whitespace handling).
struct MachinesLegacyQuirk {
    std::string file;
    int line = 0;
    std::string message;
};

struct Machines {
    std::vector<Machine> machines;  // every machine line, valid or not, in Nix's order
    std::vector<MachinesMissingFile> missing_files;
    std::vector<MachinesFile> files;  // every `@file` looked at
    std::vector<MachinesLegacyQuirk> legacy_quirks;
    std::vector<Diagnostic> errors;
    std::vector<LimitReached> limits;  // bounds reached: what lies past them was not read
};

// `spec` is either the `builders` value (origin = the nix.conf path, origin_line = its line; every
// entry then carries that line) or the whole text of a machines file (origin = its path,
// origin_line = 0; entries carry their own line). `@file` paths are resolved like Nix's daemon
// does (relative to "/") and read through `includes.read`.
Machines parse_machines(std::string_view spec, const std::string& origin, int origin_line,
                        const IncludeSource& includes);

}  // namespace nbd::parse
