// What ssh's and sshd's `Include` do alike once the pattern is known: for each file the glob
// gave, the depth bound (16), a file that includes itself, the budget of included files and
// bytes for one parse (reported once in `limits`), and the read with its outcome. The two
// programs differ only in how they word a missing or unreadable file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"
#include "nix_builder_doctor/parse/ssh_config_lexer.hpp"

namespace nbd::parse {

// Total work allowed for one parse, includes included (a glob fan-out must not explode). ssh
// and sshd bound only the depth (16): `ssh -G` reads 3000 files of one glob, `sshd -T` 5000.
inline constexpr std::size_t kMaxIncludedFiles = 10000;
inline constexpr std::size_t kMaxIncludedBytes = 16u << 20;

struct IncludeBudget {
    std::size_t files_read = 0;
    std::size_t bytes_read = 0;
    bool reported = false;
};

struct IncludeWording {
    bool missing_is_error = false;  // sshd: "PATH: No such file or directory"; ssh skips it
    std::string unreadable_prefix;  // ssh: "Can't open user config file "; sshd: ""
};

// Where one parse reports what it found.
struct IncludeReport {
    std::vector<Diagnostic>& diagnostics;
    std::vector<Diagnostic>& notes;
    std::vector<LimitReached>& limits;
};

struct IncludeStep {
    enum class Next { read, skip, stop } next = Next::skip;
    std::string text;  // the file's text when `read`
};

// One file of the `Include` directive `d` at `depth`, with `stack` the files being read.
IncludeStep read_included_file(const IncludeSource& source, IncludeBudget& budget, const std::string& path, int depth,
                               const std::vector<std::string>& stack, const SshDirective& d, const IncludeWording& wording,
                               IncludeReport report);

}  // namespace nbd::parse
