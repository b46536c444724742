// nix.conf as Nix reads it (libutil configuration.cc / config.cc): lines split on '\n', `#`
// anywhere starts a comment, tokens on blanks, `name = value` with `=` as its own token, value =
// remaining tokens joined by one space, `include P` / `!include P` relative to the including
// file and flattened in place, a repeated key replaces, `extra-NAME` appends to appendable
// settings only, deprecated aliases map to their canonical names, everything else is an unknown
// setting. Unlike Nix (which stops at the first bad line) the parser reports every problem.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::parse {

struct NixConfLocation {
    std::string file;
    int line = 0;
};

// One `name = value` line, in the order Nix applies them (includes flattened in place).
struct NixConfAssignment {
    std::string name;       // as written, e.g. "extra-binary-caches"
    std::string canonical;  // setting it changes, e.g. "substituters"; == name when unknown
    std::string value;      // tokens after `=` joined by one space ("" for `name =`)
    std::vector<std::string> tokens;
    std::string file;
    int line = 0;
    bool is_extra = false;  // `extra-NAME` appending to an appendable setting
    bool known = false;     // false: also listed in unknown_settings
};

// The value a setting ends up with after every line was applied.
struct NixConfEffective {
    std::string value;  // as `nix show-config` prints it (sets sorted, maps `k=v` sorted)
    std::vector<std::string> tokens;
    // The assignment that set the base value (the last plain one), or the first `extra-` line
    // when the setting was only ever appended to.
    std::string file;
    int line = 0;
    // Only `extra-` lines: Nix appends them to its built-in default, which is not in `tokens`.
    bool appended_to_default = false;
    std::vector<NixConfLocation> sources;  // every line that contributed, in order
};

struct NixConfUnknownSetting {
    std::string name;
    std::string file;
    int line = 0;
    std::optional<std::string> suggestion;  // did you mean ...?
    // `extra-NAME` where NAME is a known setting that cannot be appended to (`extra-builders`).
    bool extra_of_non_appendable = false;
};

struct NixConfDeprecatedSetting {
    std::string alias;      // as written ("build-max-jobs", "extra-binary-caches")
    std::string canonical;  // what Nix applies it to ("max-jobs", "extra-substituters")
    std::string file;
    int line = 0;
};

// Every file the parser looked at, the top one first.
struct NixConfFile {
    std::string path;
    ReadStatus status = ReadStatus::ok;
    std::string included_from;  // empty for the top file
    int included_line = 0;
    bool optional = false;  // `!include`: a missing file is fine
    int depth = 0;
    std::string reason;  // why an existing file was not read (a FIFO, a symlink loop, ...)
};

struct NixConf {
    std::string file;
    std::vector<NixConfAssignment> assignments;
    std::map<std::string, NixConfEffective> effective;  // canonical name -> value
    std::vector<NixConfUnknownSetting> unknown_settings;
    std::vector<NixConfDeprecatedSetting> deprecated_settings;
    std::vector<Diagnostic> errors;
    std::vector<NixConfFile> files;
    std::vector<LimitReached> limits;  // bounds reached: what lies past them was not read

    // nullptr when the files never set `canonical_name`.
    const NixConfEffective* get(std::string_view canonical_name) const;
};

// `file` is the absolute path of `text` (used for messages and to resolve relative includes).
NixConf parse_nix_conf(std::string_view text, const std::string& file,
                       const IncludeSource& includes);

// Lexical path helpers shared with other parsers: the directory part of `path` ("." when none)
// and `p` resolved against `dir` with `.`, `..` and repeated `/` removed (like Nix's absPath).
std::string nix_dir_of(std::string_view path);
std::string nix_resolve_path(std::string_view p, std::string_view dir);

}  // namespace nbd::parse
