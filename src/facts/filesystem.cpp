#include "nix_builder_doctor/facts/filesystem.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nix_builder_doctor/util/redact.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

constexpr int kMaxSymlinkHops = 40;

FileInfo info_from(const struct stat& st) {
    FileInfo info;
    info.is_regular = S_ISREG(st.st_mode);
    info.is_directory = S_ISDIR(st.st_mode);
    info.is_symlink = S_ISLNK(st.st_mode);
    info.mode = st.st_mode & 07777;
    info.uid = st.st_uid;
    info.gid = st.st_gid;
    info.size = static_cast<std::uintmax_t>(st.st_size);
    return info;
}

std::vector<std::string> components(const std::string& path) { return util::split_tokens(path, "/"); }

// What a path that is not a regular file is, for "cannot read" reports.
std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory, not a file";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe), not a regular file";
    if (S_ISCHR(mode)) return "a character device, not a regular file";
    if (S_ISBLK(mode)) return "a block device, not a regular file";
    if (S_ISSOCK(mode)) return "a socket, not a regular file";
    return "not a regular file";
}

std::string loop_reason() {
    return "a symlink loop (more than " + std::to_string(kMaxSymlinkHops) + " symbolic links to follow)";
}

}  // namespace

std::string normalize_path(const std::string& path, const std::string& base) {
    const std::string joined = (!path.empty() && path[0] == '/') ? path : base + "/" + path;
    std::vector<std::string> out;
    for (const auto& c : components(joined)) {
        if (c == ".") continue;
        if (c == "..") {
            if (!out.empty()) out.pop_back();
            continue;
        }
        out.push_back(c);
    }
    return "/" + util::join(out, "/");
}

std::string parent_directory(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos || slash == 0) return "/";
    return path.substr(0, slash);
}

RootedFileSystem::RootedFileSystem(std::string root) : m_root(std::move(root)) {
    while (!m_root.empty() && m_root.back() == '/') m_root.pop_back();
}

void FileSystem::note_limit(parse::LimitReached limit) {
    for (const auto& l : m_limits)
        if (l.bound == limit.bound && l.file == limit.file && l.line == limit.line) return;
    m_limits.push_back(std::move(limit));
}

std::optional<std::string> RootedFileSystem::resolve(const std::string& path, bool follow_last, int* error) const {
    if (error) *error = 0;
    std::vector<std::string> pending = components(normalize_path(path));
    std::reverse(pending.begin(), pending.end());  // a stack: back is the next component
    std::vector<std::string> done;
    int hops = 0;
    while (!pending.empty()) {
        std::string c = pending.back();
        pending.pop_back();
        if (c == "." || c.empty()) continue;
        if (c == "..") {
            if (!done.empty()) done.pop_back();
            continue;
        }
        done.push_back(c);
        const bool last = pending.empty();
        const std::string host = m_root + "/" + util::join(done, "/");
        struct stat st {};
        if (::lstat(host.c_str(), &st) != 0) {
            // Missing or unreachable: hand back the rest unresolved, so the caller's own stat()
            // reports the real errno (ENOENT, EACCES).
            std::string rest = host;
            for (auto it = pending.rbegin(); it != pending.rend(); ++it) rest += "/" + *it;
            return rest;
        }
        if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
            if (++hops > kMaxSymlinkHops) {
                if (error) *error = ELOOP;
                return std::nullopt;
            }
            char buffer[4096];
            const ssize_t n = ::readlink(host.c_str(), buffer, sizeof buffer - 1);
            if (n < 0) {
                if (error) *error = errno;
                return std::nullopt;
            }
            const std::string target(buffer, static_cast<std::size_t>(n));
            done.pop_back();
            if (!target.empty() && target[0] == '/') done.clear();
            auto more = components(target);
            for (auto it = more.rbegin(); it != more.rend(); ++it) pending.push_back(*it);
        }
    }
    return m_root + "/" + util::join(done, "/");
}

std::optional<FileInfo> RootedFileSystem::stat(const std::string& path) {
    const auto host = resolve(path, true);
    struct stat st {};
    if (!host || ::stat(host->c_str(), &st) != 0) return std::nullopt;
    return info_from(st);
}

bool RootedFileSystem::access_denied(const std::string& path) {
    const auto host = resolve(path, true);
    struct stat st {};
    if (!host || ::stat(host->c_str(), &st) == 0 || errno != EACCES) return false;
    FileRecord rec;
    rec.path = normalize_path(path);
    rec.status = parse::ReadStatus::unreadable;
    rec.error = std::strerror(EACCES);
    record(std::move(rec));
    return true;
}

std::optional<FileInfo> RootedFileSystem::lstat(const std::string& path) {
    const auto host = resolve(path, false);
    struct stat st {};
    if (!host || ::lstat(host->c_str(), &st) != 0) return std::nullopt;
    FileInfo info = info_from(st);
    if (info.is_symlink) {
        char buffer[4096];
        const ssize_t n = ::readlink(host->c_str(), buffer, sizeof buffer - 1);
        if (n >= 0) info.symlink_target.assign(buffer, static_cast<std::size_t>(n));
    }
    return info;
}

void RootedFileSystem::record(FileRecord r) {
    if (m_record_index.count(r.path)) return;
    m_record_index[r.path] = m_records.size();
    m_records.push_back(std::move(r));
}

parse::ReadResult RootedFileSystem::read(const std::string& machine_path) {
    const std::string path = normalize_path(machine_path);
    if (auto cached = m_cache.find(path); cached != m_cache.end()) return cached->second;
    parse::ReadResult result;
    FileRecord rec;
    rec.path = path;
    int resolve_error = 0;
    const auto host = resolve(path, true, &resolve_error);
    struct stat st {};
    if (!host && resolve_error == ELOOP) {
        // Not absence: the path exists, it just never ends in a file.
        result.status = parse::ReadStatus::not_regular;
        result.reason = loop_reason();
    } else if (!host || ::stat(host->c_str(), &st) != 0) {
        const int e = host ? errno : resolve_error;
        if (e == EACCES) {
            result.status = parse::ReadStatus::unreadable;
            result.reason = std::strerror(EACCES);
        } else if (e == ELOOP) {
            result.status = parse::ReadStatus::not_regular;
            result.reason = loop_reason();
        } else if (e == 0 || e == ENOENT || e == ENOTDIR) {
            result.status = parse::ReadStatus::missing;
        } else {
            result.status = parse::ReadStatus::unreadable;
            result.reason = std::strerror(e);
        }
    } else {
        rec.info = info_from(st);
        if (!S_ISREG(st.st_mode)) {
            result.status = parse::ReadStatus::not_regular;
            result.reason = kind_of(st.st_mode);
        } else if (static_cast<std::uintmax_t>(st.st_size) > kMaxFileSize) {
            result.status = parse::ReadStatus::too_large;
        } else {
            const int fd = ::open(host->c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
            if (fd < 0) {
                result.status = parse::ReadStatus::unreadable;
                result.reason = std::strerror(errno);
            } else {
                std::string text;
                char buffer[65536];
                bool too_large = false;
                while (true) {
                    const ssize_t n = ::read(fd, buffer, sizeof buffer);
                    if (n < 0 && errno == EINTR) continue;
                    if (n < 0) {
                        result.status = parse::ReadStatus::unreadable;
                        result.reason = std::strerror(errno);
                        break;
                    }
                    if (n == 0) {
                        result.status = parse::ReadStatus::ok;
                        break;
                    }
                    text.append(buffer, static_cast<std::size_t>(n));
                    if (text.size() > kMaxFileSize) {
                        too_large = true;
                        break;
                    }
                }
                ::close(fd);
                if (too_large) result.status = parse::ReadStatus::too_large;
                else if (result.status == parse::ReadStatus::ok) result.text = std::move(text);
                // Whatever file this is, the lines of a private key in it are never printed.
                util::note_secrets_in(result.text);
            }
        }
    }
    if (result.status == parse::ReadStatus::too_large) {
        result.reason = "larger than " + std::to_string(kMaxFileSize >> 20) + " MiB";
        note_limit({"file size", kMaxFileSize, path, 0, "the file was not read"});
    }
    rec.status = result.status;
    rec.error = result.reason;
    record(std::move(rec));
    m_cache[path] = result;
    return result;
}

std::vector<std::string> RootedFileSystem::list_directory(const std::string& path) {
    std::vector<std::string> names;
    const auto host = resolve(path, true);
    if (!host) return names;
    DIR* dir = ::opendir(host->c_str());
    if (!dir) return names;
    while (const dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        if (names.size() >= kMaxDirectoryEntries) {  // a bound no real directory reaches
            note_limit({"directory entries", kMaxDirectoryEntries, normalize_path(path), 0,
                        "the entries past the first " + std::to_string(kMaxDirectoryEntries) +
                            " (in the order the directory lists them) were not looked at"});
            break;
        }
        names.push_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> glob_through(FileSystem& fs, const std::string& pattern) {
    std::vector<std::string> matches = {"/"};
    for (const auto& c : components(normalize_path(pattern))) {
        std::vector<std::string> next;
        const bool wild = c.find_first_of("*?[") != std::string::npos;
        for (const auto& dir : matches) {
            const std::string prefix = dir == "/" ? "/" : dir + "/";
            if (!wild) {
                if (fs.stat(prefix + c) || fs.lstat(prefix + c)) next.push_back(prefix + c);
                continue;
            }
            for (const auto& name : fs.list_directory(dir)) {
                if (name[0] == '.' && c[0] != '.') continue;
                if (::fnmatch(c.c_str(), name.c_str(), FNM_PERIOD) == 0) next.push_back(prefix + name);
            }
        }
        // A bound on work: what is kept is still a real match, and the cut is reported.
        if (next.size() > kMaxGlobMatches) {
            std::sort(next.begin(), next.end());
            next.resize(kMaxGlobMatches);
            fs.note_limit({"glob matches", kMaxGlobMatches, normalize_path(pattern), 0,
                        "the matches past the first " + std::to_string(kMaxGlobMatches) +
                            " (by name) were not read"});
        }
        matches = std::move(next);
        if (matches.empty()) break;
    }
    if (matches.size() == 1 && matches[0] == "/") return {};
    std::sort(matches.begin(), matches.end());
    return matches;
}

std::vector<std::string> RootedFileSystem::glob(const std::string& pattern) { return glob_through(*this, pattern); }

parse::IncludeSource include_source(FileSystem& fs) {
    parse::IncludeSource source;
    source.read = [&fs](const std::string& path) { return fs.read(path); };
    source.glob = [&fs](const std::string& pattern) { return fs.glob(pattern); };
    return source;
}

}  // namespace nbd::facts
