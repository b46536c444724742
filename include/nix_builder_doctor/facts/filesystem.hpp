// The one way fact producers reach files: a filesystem seen through a root directory (`--root`).
// Every absolute path, and every absolute symlink target, resolves inside the root; `..` stops at
// the root, so nothing outside it is ever read. Reads are bounded in size and never block on
// FIFOs or devices. Each file looked at is recorded with its mode, owner and outcome.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::facts {

inline constexpr std::size_t kMaxFileSize = 16u << 20;  // 16 MiB

struct FileInfo {
    bool is_regular = false;
    bool is_directory = false;
    bool is_symlink = false;      // the path itself (lstat) is a symlink
    std::string symlink_target;   // as written in the link, when is_symlink
    unsigned mode = 0;            // permission bits, e.g. 0600
    unsigned uid = 0;
    unsigned gid = 0;
    std::uintmax_t size = 0;
};

// What happened when a file was read, for the Facts' "files" list.
struct FileRecord {
    std::string path;  // as the machine sees it
    parse::ReadStatus status = parse::ReadStatus::missing;
    std::optional<FileInfo> info;
    std::string error;  // why it was not read: strerror text, "a FIFO", "a symlink loop", ...
    bool from_next = false;  // read from the next generation's etc (check --next)
};

class FileSystem {
public:
    virtual ~FileSystem() = default;
    // Follows symlinks (inside the root). nullopt when the path does not exist.
    virtual std::optional<FileInfo> stat(const std::string& path) = 0;
    // Does not follow a symlink in the last component.
    virtual std::optional<FileInfo> lstat(const std::string& path) = 0;
    virtual parse::ReadResult read(const std::string& path) = 0;
    // Sorted absolute paths matching a glob (`*`, `?`, `[...]` per component).
    virtual std::vector<std::string> glob(const std::string& pattern) = 0;
    // Names in a directory, sorted; empty when it is not a readable directory.
    virtual std::vector<std::string> list_directory(const std::string& path) = 0;
    // Every read so far, in order, one record per path.
    virtual const std::vector<FileRecord>& records() const = 0;
    // True when the path (or a directory on the way) exists but this run may not look at it.
    virtual bool access_denied(const std::string& path) = 0;

    // Every bound reached so far (file size, directory entries, glob matches), once each.
    const std::vector<parse::LimitReached>& limits() const { return m_limits; }
    void note_limit(parse::LimitReached limit);

protected:
    std::vector<parse::LimitReached> m_limits;
};

// Bounds of RootedFileSystem besides kMaxFileSize: names read from one directory, and paths kept
// per component of a glob (sorted by name, the first ones are kept). Both are reported.
inline constexpr std::size_t kMaxDirectoryEntries = 100000;
inline constexpr std::size_t kMaxGlobMatches = 10000;

class RootedFileSystem : public FileSystem {
public:
    explicit RootedFileSystem(std::string root);

    std::optional<FileInfo> stat(const std::string& path) override;
    std::optional<FileInfo> lstat(const std::string& path) override;
    parse::ReadResult read(const std::string& path) override;
    std::vector<std::string> glob(const std::string& pattern) override;
    std::vector<std::string> list_directory(const std::string& path) override;
    const std::vector<FileRecord>& records() const override { return m_records; }
    bool access_denied(const std::string& path) override;

    // The host path for a machine path, symlinks resolved inside the root; nullopt when the
    // symlink chain is too long (a loop: `*error` = ELOOP) or a link cannot be read. A missing
    // component gives the unresolved rest, so the caller's stat() reports ENOENT.
    std::optional<std::string> resolve(const std::string& path, bool follow_last = true,
                                       int* error = nullptr) const;
    const std::string& root() const { return m_root; }

private:
    void record(FileRecord r);

    std::string m_root;  // host path without trailing slash ("" for /)
    std::vector<FileRecord> m_records;
    std::map<std::string, std::size_t> m_record_index;
    std::map<std::string, parse::ReadResult> m_cache;
};

// Glob through any FileSystem's stat, lstat and list_directory (what every implementation's
// glob() does), with the kMaxGlobMatches bound noted on `fs`.
std::vector<std::string> glob_through(FileSystem& fs, const std::string& pattern);

// An IncludeSource that reads through `fs` (for parsers that follow includes).
parse::IncludeSource include_source(FileSystem& fs);

// "/a/b/../c" -> "/a/c"; relative paths are joined to `base` first.
std::string normalize_path(const std::string& path, const std::string& base = "/");
std::string parent_directory(const std::string& path);

}  // namespace nbd::facts
