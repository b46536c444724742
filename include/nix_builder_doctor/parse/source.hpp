// Shared vocabulary of the parsers: diagnostics with file:line, and the callbacks through which
// a parser that follows includes (nix.conf `include`, machines `@file`, ssh `Include`) asks its
// caller for another file. Parsers never touch the filesystem themselves.
#pragma once

#include <cstdint>
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
    // Why a file that exists was not read (status unreadable, too_large, not_regular), e.g.
    // "a FIFO", "a directory", "a symlink loop", "larger than 16 MiB"; empty otherwise.
    std::string reason;
};

// A bound the doctor stopped at: what lies past it was not checked. Every bound a parser or a
// fact producer reaches is reported this way (facts `/limits`, rule doctor.limit-reached),
// never cut silently.
struct LimitReached {
    std::string bound;        // what is bounded: "included files", "file size", "builders", ...
    std::uint64_t value = 0;  // the bound itself (256 files, 16777216 bytes, ...)
    std::string file;         // where it was reached ("" when not tied to a file)
    int line = 0;             // 0: the whole file, or unknown
    std::string what;         // what was not checked because of it
};

// "bound", "value", "file", "line" and "what" joined for a message; for tests and notes.
std::string format_limit(const LimitReached& l);

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
