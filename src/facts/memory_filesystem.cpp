#include "nix_builder_doctor/facts/memory_filesystem.hpp"

#include <fnmatch.h>

#include "nix_builder_doctor/util/encoding.hpp"
#include "nix_builder_doctor/util/redact.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {

void MemoryFileSystem::add(const std::string& path, const FileInfo& info, std::optional<std::string> content) {
    Entry e;
    e.info = info;
    e.has_content = content.has_value();
    if (content) e.content = std::move(*content);
    m_entries[normalize_path(path)] = std::move(e);
}

void MemoryFileSystem::mark_missing(const std::string& path) { m_missing[normalize_path(path)] = true; }

std::optional<FileInfo> MemoryFileSystem::stat(const std::string& path) {
    const auto it = m_entries.find(normalize_path(path));
    if (it == m_entries.end()) return std::nullopt;
    return it->second.info;
}

parse::ReadResult MemoryFileSystem::read(const std::string& machine_path) {
    const std::string path = normalize_path(machine_path);
    parse::ReadResult r;
    FileRecord rec{path, parse::ReadStatus::missing, std::nullopt, ""};
    if (const auto it = m_entries.find(path); it != m_entries.end()) {
        rec.info = it->second.info;
        if (!it->second.info.is_regular) r.status = parse::ReadStatus::not_regular;
        else if (it->second.has_content) {
            r.status = parse::ReadStatus::ok;
            r.text = it->second.content;
            util::note_secrets_in(r.text);  // never printed, whatever the file is
        } else {
            r.status = parse::ReadStatus::unreadable;
        }
    } else {
        r.status = m_missing.count(path) ? parse::ReadStatus::missing : parse::ReadStatus::unreadable;
    }
    rec.status = r.status;
    m_records.push_back(rec);
    return r;
}

std::vector<std::string> MemoryFileSystem::glob(const std::string& pattern) {
    std::vector<std::string> out;
    const std::string p = normalize_path(pattern);
    for (const auto& [path, e] : m_entries)
        if (::fnmatch(p.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) out.push_back(path);
    return out;
}

std::vector<std::string> MemoryFileSystem::list_directory(const std::string& dir) {
    std::vector<std::string> out;
    const std::string prefix = normalize_path(dir) == "/" ? "/" : normalize_path(dir) + "/";
    for (const auto& [path, e] : m_entries)
        if (util::starts_with(path, prefix) && path.find('/', prefix.size()) == std::string::npos) out.push_back(path.substr(prefix.size()));
    return out;
}

const std::string& builder_snapshot_script() {
    // POSIX sh, read-only: stat, cat (through base64) and a few commands that print versions.
    static const std::string script = R"SH(
exec 2>/dev/null
nbd_stat() { stat -L -c '%a %u %g %s %F' "$1" 2>/dev/null || stat -L -f '%Lp %u %g %z %HT' "$1" 2>/dev/null; }
nbd_entry() {
  s=$(nbd_stat "$1") || { echo "@@nbd-missing $1"; return; }
  [ -n "$s" ] || { echo "@@nbd-missing $1"; return; }
  echo "@@nbd $s|$1"
  if [ "$2" = read ] && [ -f "$1" ] && [ -r "$1" ]; then
    echo "@@nbd-begin"; head -c 4194304 "$1" | base64; echo "@@nbd-end"
  fi
}
echo "@@nbd-user $(id -un)"
echo "@@nbd-groups $(id -Gn)"
echo "@@nbd-id $(id -u) $(id -g)"
echo "@@nbd-home $HOME"
echo "@@nbd-shell $SHELL"
echo "@@nbd-uname $(uname -s)"
echo "@@nbd-path $PATH"
echo "@@nbd-nix $(nix-store --version 2>/dev/null | head -n 1)"
for f in /etc/nix/nix.conf /nix/var/nix/db/schema /etc/passwd /etc/group /etc/ssh/sshd_config /etc/ssh/sshd_config.d/* /etc/ssh/ssh_host_*_key.pub \
         "$HOME/.ssh/authorized_keys" "$HOME/.ssh/authorized_keys2"; do
  nbd_entry "$f" read
done
for f in / /home "$HOME" "$HOME/.ssh" /nix/store /nix/var/nix/daemon-socket/socket /bin/sh /usr/sbin/nologin \
         /Library/LaunchDaemons/org.nixos.nix-daemon.plist /Library/LaunchDaemons/systems.determinate.nix-daemon.plist; do
  nbd_entry "$f"
done
shell=$(getent passwd "$(id -un)" 2>/dev/null | cut -d: -f7)
[ -n "$shell" ] || shell=$SHELL
[ -n "$shell" ] && nbd_entry "$shell"
pid=$(pgrep -o -x nix-daemon)
[ -n "$pid" ] && echo "@@nbd-daemon-started $(stat -c %Y /proc/$pid 2>/dev/null)"
echo "@@nbd-nix-conf-changed $(stat -L -c %Y /etc/nix/nix.conf 2>/dev/null)"
echo "@@nbd-done"
)SH";
    return script;
}

BuilderSnapshot parse_builder_snapshot(const std::string& output) {
    BuilderSnapshot s;
    const auto lines = util::split_lines(output);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string line(lines[i]);
        auto value = [&](const char* key) { return std::string(util::trim(line.substr(std::string(key).size()))); };
        if (util::starts_with(line, "@@nbd-user ")) s.user = value("@@nbd-user ");
        else if (util::starts_with(line, "@@nbd-groups ")) s.groups = util::split_tokens(value("@@nbd-groups "));
        else if (util::starts_with(line, "@@nbd-home ")) s.home = value("@@nbd-home ");
        else if (util::starts_with(line, "@@nbd-shell ")) s.shell = value("@@nbd-shell ");
        else if (util::starts_with(line, "@@nbd-uname ")) s.uname = value("@@nbd-uname ");
        else if (util::starts_with(line, "@@nbd-id ")) {
            const auto ids = util::split_tokens(value("@@nbd-id "));
            if (ids.size() == 2) {
                const auto uid = util::parse_unsigned(ids[0]);
                const auto gid = util::parse_unsigned(ids[1]);
                if (uid && gid && *uid <= 0xffffffffull && *gid <= 0xffffffffull) {
                    s.uid = static_cast<unsigned>(*uid);
                    s.gid = static_cast<unsigned>(*gid);
                }
            }
        }
        else if (util::starts_with(line, "@@nbd-path ")) s.path = value("@@nbd-path ");
        else if (util::starts_with(line, "@@nbd-nix ")) s.nix_version = value("@@nbd-nix ");
        else if (util::starts_with(line, "@@nbd-daemon-started ")) s.daemon_started = std::atoll(value("@@nbd-daemon-started ").c_str());
        else if (util::starts_with(line, "@@nbd-nix-conf-changed ")) s.nix_conf_changed = std::atoll(value("@@nbd-nix-conf-changed ").c_str());
        else if (line == "@@nbd-done") s.complete = true;
        else if (util::starts_with(line, "@@nbd-missing ")) s.fs.mark_missing(value("@@nbd-missing "));
        else if (util::starts_with(line, "@@nbd ")) {
            const auto bar = line.find('|');
            if (bar == std::string::npos) continue;
            const auto fields = util::split_tokens(line.substr(6, bar - 6));
            const std::string path = line.substr(bar + 1);
            if (fields.size() < 5) continue;
            FileInfo info;
            info.mode = static_cast<unsigned>(std::strtoul(fields[0].c_str(), nullptr, 8));
            info.uid = static_cast<unsigned>(std::strtoul(fields[1].c_str(), nullptr, 10));
            info.gid = static_cast<unsigned>(std::strtoul(fields[2].c_str(), nullptr, 10));
            info.size = std::strtoull(fields[3].c_str(), nullptr, 10);
            const std::string type = util::to_lower(util::join(std::vector<std::string>(fields.begin() + 4, fields.end()), " "));
            info.is_regular = type.find("regular") != std::string::npos;
            info.is_directory = type.find("directory") != std::string::npos;
            std::optional<std::string> content;
            if (i + 1 < lines.size() && lines[i + 1] == "@@nbd-begin") {
                std::string b64;
                std::size_t j = i + 2;
                for (; j < lines.size() && lines[j] != "@@nbd-end"; ++j) b64 += util::trim(lines[j]);
                if (auto bytes = util::base64_decode(b64)) content = util::to_string(*bytes);
                i = j;
            }
            s.fs.add(path, info, std::move(content));
        }
    }
    return s;
}

}  // namespace nbd::facts
