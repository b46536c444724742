// Shared vocabulary of the parsers: diagnostics with file:line, and the callbacks through which
// a parser that follows includes (nix.conf `include`, machines `@file`, ssh `Include`) asks its
// caller for another file. Parsers never touch the filesystem themselves.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace nbd::parse {

// A problem in an input file. `line` is 1-based; 0 means "the whole file".
struct Diagnostic {
    std::string file;
    int line = 0;
    std::string message;
};

// "file:line: message" (or "file: message" when line is 0).
std::string format_diagnostic(const Diagnostic& d);

enum class ReadStatus { ok, missing, unreadable, too_large, not_regular };

struct ReadResult {
    ReadStatus status = ReadStatus::missing;
    std::string text;
};

// How a parser reaches files it is told to include. Paths given to both callbacks are absolute
// as the machine sees them (not prefixed by any --root); the caller maps them.
struct IncludeSource {
    std::function<ReadResult(const std::string& absolute_path)> read;
    // Sorted list of existing paths matching a glob with `*`, `?` and `[...]` (may be empty).
    std::function<std::vector<std::string>(const std::string& absolute_pattern)> glob;
};

// Upper bound on nesting of includes for every parser (OpenSSH uses 16).
inline constexpr int kMaxIncludeDepth = 16;

}  // namespace nbd::parse
