// Expanding the builders list (`;`, newlines, comments, `@file`) and parsing each machine line.
#include "nix_builder_doctor/parse/machines.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "machines_internal.hpp"
#include "nix_builder_doctor/parse/nix_conf.hpp"
#include "nix_builder_doctor/util/encoding.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {
namespace {

constexpr int kMaxFiles = 256;
constexpr std::size_t kMaxBytes = 64u << 20;
constexpr std::size_t kMaxQuoted = 256;
// Bounds on what hostile input can make us keep (real lists have a few dozen builders).
constexpr std::size_t kMaxMachines = 10000;
constexpr std::size_t kMaxMachinesErrors = 1000;
constexpr std::size_t kMaxQuirks = 1000;
constexpr std::size_t kMaxKeptColumns = 64;

// Blank-separated columns; only the first `keep` are stored, all are counted.
std::vector<std::string> split_columns(std::string_view entry, std::size_t keep,
                                       std::size_t& count) {
    std::vector<std::string> out;
    count = 0;
    std::size_t pos = 0;
    while (true) {
        const auto start = entry.find_first_not_of(util::kBlank, pos);
        if (start == std::string_view::npos) break;
        auto end = entry.find_first_of(util::kBlank, start);
        if (end == std::string_view::npos) end = entry.size();
        if (count < keep) out.emplace_back(entry.substr(start, end - start));
        ++count;
        pos = end;
    }
    return out;
}

void add_error(std::vector<Diagnostic>& errors, const std::string& file, int line,
               std::string message) {
    if (errors.size() < kMaxMachinesErrors) {
        errors.push_back({file, line, std::move(message)});
    } else if (errors.size() == kMaxMachinesErrors) {
        errors.push_back({file, line, "too many errors; further ones are not reported"});
    }
}

std::string quoted(std::string_view s) {
    if (s.size() <= kMaxQuoted) return std::string(s);
    return std::string(s.substr(0, kMaxQuoted)) + "...";
}

// Calls fn(field) for each `sep`-separated field of `s`, empty ones included.
template <typename Fn>
void for_each_field(std::string_view s, char sep, Fn fn) {
    std::size_t start = 0;
    while (true) {
        const auto end = s.find(sep, start);
        fn(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return;
        start = end + 1;
    }
}

// A comma list (empty items dropped, duplicates dropped, at most 1024 items kept).
std::vector<std::string> comma_list(std::string_view column) {
    std::vector<std::string> out;
    std::set<std::string, std::less<>> seen;
    for_each_field(column, ',', [&](std::string_view item) {
        if (item.empty() || out.size() >= 1024) return;
        if (seen.insert(std::string(item)).second) out.emplace_back(item);
    });
    return out;
}

bool is_blank(char c) { return util::kBlank.find(c) != std::string_view::npos; }

Machine parse_machine_line(std::string_view entry, const std::string& file, int line,
                           std::vector<Diagnostic>& errors) {
    Machine m;
    m.file = file;
    m.line = line;
    m.entry = std::string(entry);
    m.columns = split_columns(entry, kMaxKeptColumns, m.column_count);
    const auto& c = m.columns;
    auto is_set = [&](std::size_t i) { return c.size() > i && !c[i].empty() && c[i] != "-"; };
    auto fail = [&](std::string message) {
        m.valid = false;
        add_error(errors, file, line, std::move(message));
    };
    // Only a failing line needs its quote (most lines are fine: no copy for them).
    const auto row = [&] { return "in a row: '" + quoted(entry) + "'"; };

    if (!is_set(0)) {
        fail("bad machine specification: store URL was not found at the first column of a row: '" +
             quoted(entry) + "'");
    } else {
        m.store = detail::parse_machine_store_uri(c[0]);
    }
    if (is_set(1)) {
        m.systems_set = true;
        m.systems = comma_list(c[1]);
    }
    if (is_set(2)) m.ssh_key = c[2];
    if (is_set(3)) {
        m.max_jobs_set = true;
        if (auto v = detail::nix_string_to_unsigned(c[3])) {
            m.max_jobs = *v;
        } else {
            fail("bad machine specification: failed to convert column #3 " + row() +
                 " to 'unsigned int'");
        }
    }
    if (is_set(4)) {
        m.speed_factor_set = true;
        m.speed_factor_integral = detail::nix_string_to_unsigned(c[4]).has_value();
        if (auto v = detail::nix_string_to_float(c[4])) {
            if (*v < 0.0f) {
                fail("speed factor must be >= 0 (column #4 " + row() + ")");
            } else {
                m.speed_factor = *v == 0.0f ? 1.0f : *v;
            }
        } else {
            fail("bad machine specification: failed to convert column #4 " + row() + " to 'float'");
        }
    }
    if (is_set(5)) m.supported_features = comma_list(c[5]);
    if (is_set(6)) m.mandatory_features = comma_list(c[6]);
    if (is_set(7)) {
        m.host_key_set = true;
        m.host_key_base64 = c[7];
        if (auto bad = detail::nix_base64_bad_char(c[7])) {
            fail(std::string("invalid character in Base64 string: '") + *bad +
                 "' (while parsing machine specification at a column #7 " + row() + ")");
        } else if (auto decoded = util::base64_decode_nix(c[7])) {
            m.host_key_decodes = true;
            m.host_key_decoded = util::to_string(*decoded);
        }
    }
    // What the store opens with: Machine::openStore sets column 3 and column 8 over the URI's
    // own `?ssh-key=` / `?base64-ssh-public-host-key=` (ssh:// and ssh-ng:// only).
    const bool column_keys = m.store.scheme == "ssh" || m.store.scheme == "ssh-ng";
    if (m.ssh_key && column_keys) {
        m.identity_file = m.ssh_key;
        m.identity_source = "column 3";
    } else if (const auto* key = m.store.param("ssh-key"); key && !key->empty()) {
        m.identity_file = *key;
        m.identity_source = "?ssh-key=";
    }
    if (m.host_key_set) {
        m.host_key_source = "column 8";
    } else if (const auto* key = m.store.param("base64-ssh-public-host-key"); key && !key->empty()) {
        m.host_key_set = true;
        m.host_key_source = "?base64-ssh-public-host-key=";
        m.host_key_base64 = *key;
        // Decoded when the store opens (no parse error of the list; the connection fails).
        if (!detail::nix_base64_bad_char(*key)) {
            if (auto decoded = util::base64_decode_nix(*key)) {
                m.host_key_decodes = true;
                m.host_key_decoded = util::to_string(*decoded);
            }
        }
    }
    return m;
}

struct Expander {
    const IncludeSource& includes;
    Machines& out;
    std::vector<std::string> stack{};
    int files_read = 0;
    std::size_t bytes_read = 0;
    bool budget_reported = false;
    bool machines_capped = false;
    bool quirks_capped = false;
    std::map<std::string, ReadResult> reads{};
    std::map<std::string, std::string, std::less<>> resolved{};  // `@` target -> path

    void quirk(const std::string& file, int line, std::string message) {
        if (out.legacy_quirks.size() < kMaxQuirks) {
            out.legacy_quirks.push_back({file, line, std::move(message)});
        } else if (!quirks_capped) {
            quirks_capped = true;
            out.limits.push_back({"legacy quirks reported", kMaxQuirks, file, line,
                                  "differences with Nix before 2.29 from this line on are not reported"});
        }
    }

    // Nix < 2.29 split on "\n;" first, cut `#` per entry and ignored its own trim().
    void legacy_quirks(std::string_view line, const std::string& file, int line_no) {
        bool in_comment = false;
        for_each_field(line, ';', [&](std::string_view e) {
            const auto hash = e.find('#');
            const std::string_view cut = e.substr(0, hash);
            const std::string_view t = util::trim(cut);
            if (in_comment && !t.empty()) {
                quirk(file, line_no,
                      "Nix before 2.29 ends a '#' comment at ';' and reads '" + quoted(t) +
                          "' as a builder");
            } else if (!cut.empty() && t.empty()) {
                quirk(file, line_no,
                      "Nix before 2.29 fails on this blank entry: bad machine specification: store "
                      "URL was not "
                      "found at the first column of a row: '" +
                          quoted(cut) + "'");
            } else if (!t.empty() && is_blank(cut[0]) && t[0] == '@') {
                quirk(file, line_no,
                      "Nix before 2.29 does not read an indented '@file' entry as a file");
            }
            if (hash != std::string_view::npos) in_comment = true;
        });
    }

    void include(const std::string& from, int line, std::string_view target, int depth) {
        // readFile() of a relative path resolves against the cwd, which is "/" for the daemon.
        // An `@file` entry replayed by a fan-out resolves to the same path: once per parse.
        auto resolved_it = resolved.find(target);
        if (resolved_it == resolved.end())
            resolved_it = resolved.emplace(std::string(target), target.empty() ? std::string() : nix_resolve_path(target, "/")).first;
        const std::string& path = resolved_it->second;
        MachinesFile record{path, ReadStatus::missing, from, line, depth};
        if (std::find(stack.begin(), stack.end(), path) != stack.end()) {
            add_error(out.errors, from, line,
                      "include cycle: machines file '" + path +
                          "' is already being read (Nix recurses without end)");
            return;
        }
        if (depth > kMaxIncludeDepth) {
            add_error(out.errors, from, line,
                      "machines files nested more than " + std::to_string(kMaxIncludeDepth) +
                          " deep; not following '" + path + "'");
            out.limits.push_back({"machines file depth", static_cast<std::uint64_t>(kMaxIncludeDepth),
                                  from, line, path + " was not read"});
            return;
        }
        if (files_read >= kMaxFiles || bytes_read >= kMaxBytes) {
            if (!budget_reported) {
                budget_reported = true;
                add_error(out.errors, from, line,
                          "too many machines files; not following '" + path + "' and later ones");
                const bool by_count = files_read >= kMaxFiles;
                out.limits.push_back({by_count ? "machines files" : "bytes of machines files",
                                      by_count ? static_cast<std::uint64_t>(kMaxFiles) : kMaxBytes,
                                      from, line, path + " and every later @file were not read"});
            }
            return;
        }
        ++files_read;
        // Each path is read once per parse (the same path gives the same bytes).
        auto cached = reads.find(path);
        if (cached == reads.end()) {
            ReadResult r;
            if (path.empty()) {
                r.status = ReadStatus::missing;
            } else if (includes.read) {
                r = includes.read(path);
            } else {
                r.status = ReadStatus::unreadable;
            }
            cached = reads.emplace(path, std::move(r)).first;
        }
        const ReadResult& read = cached->second;
        record.status = read.status;
        out.files.push_back(record);
        switch (read.status) {
            case ReadStatus::ok:
                bytes_read += read.text.size();
                expand(read.text, path, 0, depth);
                return;
            case ReadStatus::missing:
                out.missing_files.push_back({path, from, line});
                return;
            case ReadStatus::too_large:
                add_error(out.errors, from, line,
                          "machines file '" + path + "' is too large to read");
                return;
            case ReadStatus::unreadable:
            case ReadStatus::not_regular:
                // Only ENOENT is skipped; any other error makes Nix fail.
                add_error(out.errors, from, line,
                          "cannot read machines file '" + path + "'" +
                              (read.reason.empty() ? std::string() : ": " + read.reason) +
                              " (Nix fails on any error but a missing file)");
                return;
        }
    }

    void expand(std::string_view text, const std::string& file, int fixed_line, int depth) {
        stack.push_back(file);
        int counted = 0;
        std::size_t pos = 0;
        while (pos < text.size()) {
            auto end = text.find('\n', pos);
            if (end == std::string_view::npos) end = text.size();
            std::string_view line = text.substr(pos, end - pos);
            pos = end + 1;
            ++counted;
            const int line_no = fixed_line > 0 ? fixed_line : counted;
            legacy_quirks(line, file, line_no);
            line = line.substr(0, line.find('#'));
            for_each_field(line, ';', [&](std::string_view field) {
                const std::string_view entry = util::trim(field);
                if (entry.empty()) return;
                if (entry[0] == '@') {
                    // Past the builders bound (reported once) a file could only add builders
                    // that are not kept: it is not read.
                    if (!machines_capped) include(file, line_no, util::trim(entry.substr(1)), depth + 1);
                } else if (out.machines.size() < kMaxMachines) {
                    out.machines.push_back(parse_machine_line(entry, file, line_no, out.errors));
                } else if (!machines_capped) {
                    machines_capped = true;
                    add_error(out.errors, file, line_no,
                              "more than " + std::to_string(kMaxMachines) +
                                  " builders; the rest is not read");
                    out.limits.push_back({"builders", kMaxMachines, file, line_no,
                                          "this builder and every later one were not read"});
                }
            });
        }
        stack.pop_back();
    }
};

}  // namespace

Machines parse_machines(std::string_view spec, const std::string& origin, int origin_line,
                        const IncludeSource& includes) {
    Machines out;
    Expander expander{includes, out};
    expander.expand(spec, origin, origin_line, 0);
    if (out.errors.size() > kMaxMachinesErrors) {
        const auto& cut = out.errors.back();
        out.limits.push_back({"errors reported", kMaxMachinesErrors, cut.file, cut.line,
                              "errors from this line on are not reported"});
    }
    return out;
}

}  // namespace nbd::parse
