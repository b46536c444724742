// /etc/passwd and /etc/group lines.
#include "nix_builder_doctor/parse/passwd.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <set>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {
namespace {

constexpr std::size_t kMaxPasswdErrors = 1000;
constexpr std::size_t kMaxQuoted = 128;

std::string quoted(std::string_view s) {
    if (s.size() <= kMaxQuoted) return std::string(s);
    return std::string(s.substr(0, kMaxQuoted)) + "...";
}

void add_error(std::vector<Diagnostic>& errors, const std::string& file, int line,
               std::string message) {
    if (errors.size() < kMaxPasswdErrors) {
        errors.push_back({file, line, std::move(message)});
    } else if (errors.size() == kMaxPasswdErrors) {
        errors.push_back({file, line, "too many errors; further ones are not reported"});
    }
}

std::optional<unsigned> parse_id(std::string_view s) {
    const auto v = util::parse_unsigned(s);
    if (!v || *v > std::numeric_limits<unsigned>::max()) return std::nullopt;
    return static_cast<unsigned>(*v);
}

constexpr std::size_t kMaxMembers = 65536;

// At most `max` fields separated by `sep`, the last one holding the rest of the line;
// `total` is the number of fields the whole line has.
std::vector<std::string> split_limited(std::string_view line, char sep, std::size_t max,
                                       std::size_t& total) {
    std::vector<std::string> out;
    total = static_cast<std::size_t>(std::count(line.begin(), line.end(), sep)) + 1;
    std::size_t start = 0;
    while (out.size() + 1 < max) {
        const auto end = line.find(sep, start);
        if (end == std::string_view::npos) break;
        out.emplace_back(line.substr(start, end - start));
        start = end + 1;
    }
    out.emplace_back(line.substr(start));
    return out;
}

// Calls `fn(line_number, line)` for each line that is an entry (not blank, `#` or NIS compat).
template <typename Fn>
void for_each_entry_line(std::string_view text, Fn fn) {
    int line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        // glibc skips leading blanks, then blank and comment lines.
        const auto first = line.find_first_not_of(" \t\v\f\r");
        if (first == std::string_view::npos || line[first] == '#') continue;
        line.remove_prefix(first);
        if (line[0] == '+' || line[0] == '-') continue;  // NIS compat entries
        fn(line_no, line);
    }
}

}  // namespace

Passwd parse_passwd(std::string_view text, const std::string& file) {
    Passwd out;
    out.file = file;
    for_each_entry_line(text, [&](int line_no, std::string_view line) {
        std::size_t total = 0;
        // glibc still reads a line with missing or extra fields when uid and gid are there:
        // missing fields are empty and the shell is the rest of the line.
        auto f = split_limited(line, ':', 7, total);
        if (total != 7) {
            add_error(out.errors, file, line_no,
                      "passwd entry '" + quoted(line) + "' has " + std::to_string(total) +
                          " fields separated by ':', expected 7 "
                          "(name:password:uid:gid:gecos:home:shell)");
            if (total < 4) return;
            f.resize(7);
        }
        if (f[0].empty()) {
            add_error(out.errors, file, line_no,
                      "passwd entry '" + quoted(line) + "' has an empty user name");
            return;
        }
        const auto uid = parse_id(f[2]);
        const auto gid = parse_id(f[3]);
        if (!uid || !gid) {
            add_error(out.errors, file, line_no,
                      "passwd entry for '" + quoted(f[0]) + "' has an invalid " +
                          (uid ? "gid '" + quoted(f[3]) : "uid '" + quoted(f[2])) + "'");
            return;
        }
        out.entries.push_back({f[0], f[1], *uid, *gid, f[4], f[5], f[6], line_no});
    });
    return out;
}

Group parse_group(std::string_view text, const std::string& file) {
    Group out;
    out.file = file;
    for_each_entry_line(text, [&](int line_no, std::string_view line) {
        std::size_t total = 0;
        auto f = split_limited(line, ':', 4, total);
        if (total != 4) {
            add_error(out.errors, file, line_no,
                      "group entry '" + quoted(line) + "' has " + std::to_string(total) +
                          " fields separated by ':', expected 4 (name:password:gid:members)");
            if (total < 3) return;
            f.resize(4);
        }
        if (f[0].empty()) {
            add_error(out.errors, file, line_no,
                      "group entry '" + quoted(line) + "' has an empty group name");
            return;
        }
        const auto gid = parse_id(f[2]);
        if (!gid) {
            add_error(
                out.errors, file, line_no,
                "group entry for '" + quoted(f[0]) + "' has an invalid gid '" + quoted(f[2]) + "'");
            return;
        }
        GroupEntry g{f[0], f[1], *gid, {}, line_no};
        std::size_t start = 0;
        const std::string_view list = f[3];
        while (start <= list.size()) {
            auto end = list.find(',', start);
            if (end == std::string_view::npos) end = list.size();
            const auto t = util::trim(list.substr(start, end - start), " \t");
            if (!t.empty()) {
                if (g.members.size() == kMaxMembers) {
                    add_error(out.errors, file, line_no,
                              "group '" + quoted(f[0]) + "' lists more than " +
                                  std::to_string(kMaxMembers) + " members; the rest is not read");
                    break;
                }
                g.members.emplace_back(t);
            }
            start = end + 1;
        }
        out.entries.push_back(std::move(g));
    });
    return out;
}

const PasswdEntry* Passwd::find_name(std::string_view name) const {
    for (const auto& e : entries)
        if (e.name == name) return &e;
    return nullptr;
}

const PasswdEntry* Passwd::find_uid(unsigned uid) const {
    for (const auto& e : entries)
        if (e.uid == uid) return &e;
    return nullptr;
}

const GroupEntry* Group::find_name(std::string_view name) const {
    for (const auto& e : entries)
        if (e.name == name) return &e;
    return nullptr;
}

const GroupEntry* Group::find_gid(unsigned gid) const {
    for (const auto& e : entries)
        if (e.gid == gid) return &e;
    return nullptr;
}

std::vector<std::string> groups_of(const Passwd& passwd, const Group& group,
                                   std::string_view user) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    auto add = [&](const std::string& name) {
        if (seen.insert(name).second) out.push_back(name);
    };
    if (const auto* pw = passwd.find_name(user)) {
        const auto* g = group.find_gid(pw->gid);
        add(g ? g->name : std::to_string(pw->gid));
    }
    for (const auto& g : group.entries)
        if (std::find(g.members.begin(), g.members.end(), user) != g.members.end()) add(g.name);
    return out;
}

}  // namespace nbd::parse
