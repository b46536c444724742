// The machine as it will be after switching to a built, not yet active system (`check --next
// RESULT`): the root's files, except the /etc files the system activation links from the
// system's `etc` tree, which come from RESULT/etc. The rule, from NixOS's setup-etc.pl and
// nix-darwin's etc activation:
//
//   - /etc/static is RESULT/etc.
//   - /etc/X that RESULT/etc has (a leaf of the tree: a link into the store, or a file) is read
//     from RESULT/etc/X. On NixOS it is a link to /etc/static/X, or a copy with the mode, user and
//     group of `X.mode`/`.uid`/`.gid` (environment.etc.<name>.mode), or a direct link to the
//     store (mode `direct-symlink`). nix-darwin links it only when /etc/X is missing, already a
//     link to /etc/static/X, or a file whose SHA-256 the activate script lists as known; any
//     other file stays (the activation says "not linking ... skipping").
//   - /etc/X that RESULT/etc does not have, but that the running system manages (a link to
//     /etc/static/..., or a NixOS copy listed in /etc/.clean), is gone.
//   - Everything else (root's ~/.ssh, /etc/ssh host keys, /var, the store) is the root's.
//
// RESULT is a path on this machine (its links resolve in this machine's store), read through
// `next` (a RootedFileSystem of "/"); the root's files are read through `base`.
#pragma once

#include <map>
#include <set>

#include "nix_builder_doctor/facts/filesystem.hpp"

namespace nbd::facts {

enum class SystemKind { nixos, darwin };

class NextGenerationFileSystem : public FileSystem {
  public:
    // `next_etc` is RESULT/etc as `next` names it; `kind` says whose activation rules apply.
    NextGenerationFileSystem(FileSystem& base, FileSystem& next, std::string next_etc,
                             SystemKind kind);

    std::optional<FileInfo> stat(const std::string& path) override;
    std::optional<FileInfo> lstat(const std::string& path) override;
    parse::ReadResult read(const std::string& path) override;
    std::vector<std::string> glob(const std::string& pattern) override;
    std::vector<std::string> list_directory(const std::string& path) override;
    const std::vector<FileRecord>& records() const override { return m_records; }
    bool access_denied(const std::string& path) override;

    // Where a machine path is read from in the next generation.
    struct Place {
        enum class From { base, next, gone } from = From::base;
        std::string path;     // in `base` (a machine path) or in `next`
        std::string managed;  // the /etc path the next generation manages ("" when none)
        bool leaf = false;    // `path` is at or below a leaf of RESULT/etc
        std::optional<unsigned> copy_mode;  // a NixOS copy: its mode (and owner below)
        unsigned copy_uid = 0, copy_gid = 0;
        bool direct_link = false;  // NixOS `direct-symlink`
    };
    Place place(const std::string& path);

    // /etc files nix-darwin's activation would not replace (they exist with unknown content).
    const std::set<std::string>& kept_files() const { return m_kept; }
    // The root's own filesystem (the running generation).
    FileSystem& running() { return m_base; }
    // True when the file reads differently in the next generation than in the running one.
    bool differs_from_running(const std::string& path);

  private:
    void sync_limits();
    std::optional<unsigned> owner_id(const std::string& text, bool group);
    bool running_manages(const std::string& etc_path);
    bool darwin_replaces(const std::string& etc_path);
    void record(FileRecord r);

    FileSystem& m_base;
    FileSystem& m_next;
    std::string m_next_etc;
    SystemKind m_kind;
    std::vector<FileRecord> m_records;
    std::map<std::string, std::size_t> m_record_index;
    std::optional<std::set<std::string>> m_clean;  // /etc/.clean, read on first use
    std::optional<std::map<std::string, std::vector<std::string>>>
        m_darwin_hashes;  // from RESULT/activate
    std::set<std::string> m_kept;
};

// "nixos" or "darwin" for a system toplevel (nixos-version / darwin-version in it), else nullopt.
std::optional<SystemKind> system_kind_of(FileSystem& next, const std::string& result);

}  // namespace nbd::facts
