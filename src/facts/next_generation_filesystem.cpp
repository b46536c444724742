#include "nix_builder_doctor/facts/next_generation_filesystem.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <regex>

#include "nix_builder_doctor/parse/passwd.hpp"
#include "nix_builder_doctor/util/encoding.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

const std::string kStatic = "/etc/static";

bool under(const std::string& path, const std::string& dir) {
    return path.size() > dir.size() && path.rfind(dir + "/", 0) == 0;
}

std::string sha256_hex(const std::string& text) {
    std::string out;
    char byte[3];
    for (const auto b : util::sha256(util::to_bytes(text))) {
        std::snprintf(byte, sizeof byte, "%02x", static_cast<unsigned>(b));
        out += byte;
    }
    return out;
}

// make-etc.sh writes X.mode, X.uid and X.gid beside a copied X; setup-etc.pl never links them.
bool is_copy_helper(const std::string& name, const std::vector<std::string>& siblings) {
    for (const char* suffix : {".mode", ".uid", ".gid"}) {
        if (!util::ends_with(name, suffix)) continue;
        const std::string stem = name.substr(0, name.size() - std::strlen(suffix));
        if (std::find(siblings.begin(), siblings.end(), stem) != siblings.end()) return true;
    }
    return false;
}

}  // namespace

NextGenerationFileSystem::NextGenerationFileSystem(FileSystem& base, FileSystem& next,
                                                   std::string next_etc, SystemKind kind)
    : m_base(base), m_next(next), m_next_etc(normalize_path(next_etc)), m_kind(kind) {}

std::optional<SystemKind> system_kind_of(FileSystem& next, const std::string& result) {
    for (const char* marker : {"/darwin-version", "/darwin-version.json"})
        if (next.stat(result + marker)) return SystemKind::darwin;
    if (next.stat(result + "/nixos-version")) return SystemKind::nixos;
    return std::nullopt;
}

void NextGenerationFileSystem::sync_limits() {
    for (auto l : m_base.limits()) note_limit(l);
    for (auto l : m_next.limits()) {
        if (under(l.file, m_next_etc)) l.file = "/etc" + l.file.substr(m_next_etc.size());
        note_limit(l);
    }
}

void NextGenerationFileSystem::record(FileRecord r) {
    if (m_record_index.count(r.path)) return;
    m_record_index[r.path] = m_records.size();
    m_records.push_back(std::move(r));
}

// A `.uid`/`.gid` value: "+N" is a number, anything else a name looked up in the root's
// passwd/group; an unknown name is 0, as setup-etc.pl's `int(undef)` makes it.
std::optional<unsigned> NextGenerationFileSystem::owner_id(const std::string& text, bool group) {
    const std::string value(util::trim(text));
    if (value.empty()) return std::nullopt;
    if (value[0] == '+') {
        try {
            return static_cast<unsigned>(std::stoul(value.substr(1)));
        } catch (const std::exception&) {
            return 0u;
        }
    }
    if (group) {
        const auto file = m_base.read("/etc/group");
        const auto parsed = parse::parse_group(file.text, "/etc/group");
        if (const auto* g = parsed.find_name(value)) return g->gid;
    } else {
        const auto file = m_base.read("/etc/passwd");
        const auto parsed = parse::parse_passwd(file.text, "/etc/passwd");
        if (const auto* u = parsed.find_name(value)) return u->uid;
    }
    return 0u;
}

// The running system put this /etc path there: a link into /etc/static, or (NixOS) a copy
// listed in /etc/.clean. Both are removed by an activation whose etc no longer has it.
bool NextGenerationFileSystem::running_manages(const std::string& etc_path) {
    if (const auto info = m_base.lstat(etc_path); info && info->is_symlink) {
        const std::string& t = info->symlink_target;
        if (t == kStatic || under(t, kStatic)) return true;
    }
    if (m_kind != SystemKind::nixos) return false;
    if (!m_clean) {
        m_clean.emplace();
        const auto clean = m_base.read("/etc/.clean");
        for (const auto& line : util::split_lines(clean.text))
            if (const std::string name(util::trim(line)); !name.empty())
                m_clean->insert("/etc/" + name);
    }
    return m_clean->count(etc_path) > 0;
}

// nix-darwin links /etc/X only when it is missing, already the link to /etc/static/X, or a file
// whose SHA-256 the activate script lists (`etcSha256Hashes['/etc/X']='...'`, knownSha256Hashes).
bool NextGenerationFileSystem::darwin_replaces(const std::string& etc_path) {
    const auto link = m_base.lstat(etc_path);
    if (!link) return true;
    if (link->is_symlink && link->symlink_target == kStatic + etc_path.substr(4)) return true;
    const auto current = m_base.read(etc_path);
    if (current.status != parse::ReadStatus::ok) return false;
    if (current.text.find(kStatic) != std::string::npos) return false;  // the activation leaves it
    if (!m_darwin_hashes) {
        m_darwin_hashes.emplace();
        const std::string result = parent_directory(m_next_etc);
        const auto activate = m_next.read(result + "/activate");
        static const std::regex line(R"(etcSha256Hashes\['([^']+)'\]='([^']*)')");
        for (std::sregex_iterator it(activate.text.begin(), activate.text.end(), line), end;
             it != end; ++it)
            (*m_darwin_hashes)[(*it)[1]] = util::split_tokens((*it)[2].str());
    }
    const auto known = m_darwin_hashes->find(etc_path);
    if (known == m_darwin_hashes->end()) return false;
    const std::string hash = sha256_hex(current.text);
    return std::find(known->second.begin(), known->second.end(), hash) != known->second.end();
}

NextGenerationFileSystem::Place NextGenerationFileSystem::place(const std::string& machine_path) {
    const std::string path = normalize_path(machine_path);
    Place p;
    p.path = path;
    if (path == kStatic || under(path, kStatic)) {
        p.from = Place::From::next;
        p.path = m_next_etc + path.substr(kStatic.size());
        p.managed = kStatic;
        p.leaf = true;
        return p;
    }
    if (path == "/etc") {
        p.managed = path;  // RESULT/etc's top level joins the root's /etc
        return p;
    }
    if (!under(path, "/etc")) return p;
    const auto parts = util::split_tokens(path.substr(5), "/");
    std::string rel;
    for (std::size_t k = 0; k < parts.size(); ++k) {
        rel += (k ? "/" : "") + parts[k];
        const std::string etc_path = "/etc/" + rel;
        const std::string in_next = m_next_etc + "/" + rel;
        const auto info = m_next.lstat(in_next);
        if (info && info->is_directory) continue;
        if (!info) {
            // Not in the next generation's etc: gone if the running system put it (or a
            // directory on the way) there, else the root's own file.
            std::string deeper = etc_path;
            for (std::size_t j = k;; ++j) {
                if (running_manages(deeper)) {
                    p.from = Place::From::gone;
                    p.managed = deeper;
                    return p;
                }
                if (j + 1 >= parts.size()) break;
                deeper += "/" + parts[j + 1];
            }
            return p;
        }
        // A leaf of RESULT/etc: the next generation's file.
        if (m_kind == SystemKind::darwin && !darwin_replaces(etc_path)) {
            m_kept.insert(etc_path);
            return p;
        }
        p.from = Place::From::next;
        p.managed = etc_path;
        p.leaf = true;
        p.path = in_next;
        for (std::size_t j = k + 1; j < parts.size(); ++j) p.path += "/" + parts[j];
        if (m_kind == SystemKind::nixos && k + 1 == parts.size()) {
            const auto mode = m_next.read(in_next + ".mode");
            if (mode.status == parse::ReadStatus::ok) {
                const std::string value(util::trim(mode.text));
                if (value == "direct-symlink") {
                    p.direct_link = true;
                } else {
                    try {
                        p.copy_mode = static_cast<unsigned>(std::stoul(value, nullptr, 8)) & 07777;
                    } catch (const std::exception&) {
                        p.copy_mode = 0644;  // chmod of a bad mode leaves the copy as created
                    }
                    p.copy_uid = owner_id(m_next.read(in_next + ".uid").text, false).value_or(0);
                    p.copy_gid = owner_id(m_next.read(in_next + ".gid").text, true).value_or(0);
                }
            }
        }
        return p;
    }
    // Every component is a directory of RESULT/etc: the root's directory, or the one the
    // activation would create.
    p.managed = path;
    return p;
}

std::optional<FileInfo> NextGenerationFileSystem::stat(const std::string& path) {
    const Place p = place(path);
    std::optional<FileInfo> info;
    if (p.from == Place::From::next) {
        info = m_next.stat(p.path);
        if (info && p.copy_mode) {
            info->mode = *p.copy_mode;
            info->uid = p.copy_uid;
            info->gid = p.copy_gid;
        }
    } else if (p.from == Place::From::base) {
        info = m_base.stat(p.path);
        if (!info && !p.managed.empty()) info = m_next.stat(m_next_etc + p.managed.substr(4));
    }
    sync_limits();
    return info;
}

std::optional<FileInfo> NextGenerationFileSystem::lstat(const std::string& path) {
    const std::string normal = normalize_path(path);
    const Place p = place(normal);
    std::optional<FileInfo> info;
    if (p.from == Place::From::gone) return info;
    if (p.from == Place::From::base) {
        info = m_base.lstat(p.path);
        if (!info && !p.managed.empty()) info = m_next.lstat(m_next_etc + p.managed.substr(4));
        return info;
    }
    if (normal == kStatic) {
        info = m_next.stat(m_next_etc);
        if (info) {
            info->is_symlink = true;
            info->symlink_target = m_next_etc;
        }
        return info;
    }
    if (p.managed != normal || p.direct_link || p.managed == kStatic) return m_next.lstat(p.path);
    if (p.copy_mode) return stat(normal);
    // setup-etc.pl / nix-darwin: /etc/X -> /etc/static/X.
    info = m_next.lstat(p.path);
    if (info) {
        info->is_symlink = true;
        info->is_regular = info->is_directory = false;
        info->symlink_target = kStatic + normal.substr(4);
    }
    return info;
}

parse::ReadResult NextGenerationFileSystem::read(const std::string& machine_path) {
    const std::string path = normalize_path(machine_path);
    const Place p = place(path);
    FileRecord rec;
    rec.path = path;
    rec.from_next = p.from != Place::From::base;
    parse::ReadResult result;
    if (p.from == Place::From::gone) {
        result.status = parse::ReadStatus::missing;
    } else {
        result = p.from == Place::From::next ? m_next.read(p.path) : m_base.read(p.path);
        if (result.status != parse::ReadStatus::missing) rec.info = stat(path);
    }
    rec.status = result.status;
    rec.error = result.reason;
    record(std::move(rec));
    sync_limits();
    return result;
}

bool NextGenerationFileSystem::access_denied(const std::string& path) {
    const Place p = place(path);
    if (p.from == Place::From::gone) return false;
    const bool denied =
        p.from == Place::From::next ? m_next.access_denied(p.path) : m_base.access_denied(p.path);
    if (denied) {
        FileRecord rec;
        rec.path = normalize_path(path);
        rec.status = parse::ReadStatus::unreadable;
        rec.error = std::strerror(EACCES);
        rec.from_next = p.from == Place::From::next;
        record(std::move(rec));
    }
    return denied;
}

std::vector<std::string> NextGenerationFileSystem::list_directory(const std::string& machine_path) {
    const std::string path = normalize_path(machine_path);
    const Place p = place(path);
    std::vector<std::string> names;
    if (p.from == Place::From::gone) return names;
    if (p.from == Place::From::next) {
        names = m_next.list_directory(p.path);
    } else {
        std::set<std::string> all;
        for (auto& n : m_base.list_directory(path)) all.insert(n);
        if (!p.managed.empty()) {
            const auto in_next = m_next.list_directory(m_next_etc + p.managed.substr(4));
            for (const auto& n : in_next)
                if (!is_copy_helper(n, in_next)) all.insert(n);
        }
        const std::string prefix = path == "/" ? "/" : path + "/";
        for (const auto& n : all)
            if (place(prefix + n).from != Place::From::gone) names.push_back(n);
    }
    sync_limits();
    return names;
}

std::vector<std::string> NextGenerationFileSystem::glob(const std::string& pattern) {
    auto matches = glob_through(*this, pattern);
    sync_limits();
    return matches;
}

bool NextGenerationFileSystem::differs_from_running(const std::string& path) {
    const auto running = m_base.read(path);
    const auto next = read(path);
    return running.status != next.status || running.text != next.text;
}

}  // namespace nbd::facts
