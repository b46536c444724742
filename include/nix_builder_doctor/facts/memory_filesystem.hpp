// A filesystem held in memory: the snapshot of a builder's files that the read-only script
// fetched over SSH. Files that were not fetched read as "unreadable" (not "missing"), so a
// parser never mistakes what the doctor did not look at for a file that does not exist.
#pragma once

#include <map>

#include "nix_builder_doctor/facts/filesystem.hpp"

namespace nbd::facts {

class MemoryFileSystem : public FileSystem {
public:
    struct Entry {
        FileInfo info;
        bool has_content = false;
        std::string content;
    };

    void add(const std::string& path, const FileInfo& info, std::optional<std::string> content);
    void mark_missing(const std::string& path);

    std::optional<FileInfo> stat(const std::string& path) override;
    std::optional<FileInfo> lstat(const std::string& path) override { return stat(path); }
    parse::ReadResult read(const std::string& path) override;
    std::vector<std::string> glob(const std::string& pattern) override;
    std::vector<std::string> list_directory(const std::string& path) override;
    const std::vector<FileRecord>& records() const override { return m_records; }
    bool access_denied(const std::string&) override { return false; }

private:
    std::map<std::string, Entry> m_entries;
    std::map<std::string, bool> m_missing;
    std::vector<FileRecord> m_records;
};

// The fixed read-only shell script run on a builder (`sh -s`), and the parser of its output
// into a MemoryFileSystem. The script prints, for each path it looks at, a header line
// "@@nbd <mode-octal> <uid> <gid> <size> <type> <path>" (or "@@nbd-missing <path>") followed,
// for regular files it may read, by their base64 between "@@nbd-begin" and "@@nbd-end".
const std::string& builder_snapshot_script();
struct BuilderSnapshot {
    MemoryFileSystem fs;
    std::string user;            // id -un
    std::vector<std::string> groups;  // id -Gn
    std::string home;
    std::optional<unsigned> uid;  // id -u
    std::optional<unsigned> gid;  // id -g
    std::string shell;           // $SHELL: sshd sets it to the login shell
    std::string uname;           // uname -s: "Linux", "Darwin"
    std::string nix_version;     // nix-store --version
    std::string path;            // $PATH of a non-interactive ssh command
    long long daemon_started = 0;     // epoch seconds, 0 when unknown
    long long nix_conf_changed = 0;   // epoch seconds, 0 when unknown
    bool complete = false;       // the end marker arrived
};
BuilderSnapshot parse_builder_snapshot(const std::string& output);

}  // namespace nbd::facts
