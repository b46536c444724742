// Reading nix.conf lines and following includes; the settings logic is in nix_conf_settings.cpp.
#include "nix_builder_doctor/parse/nix_conf.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "nix_builder_doctor/util/strings.hpp"
#include "nix_conf_internal.hpp"

namespace nbd::parse {
namespace {

// Bounds against include fan-out (Nix has none): files opened and bytes parsed in total.
constexpr int kMaxIncludedFiles = 256;
constexpr std::size_t kMaxIncludedBytes = 64u << 20;
constexpr std::size_t kMaxQuotedLine = 256;
// Bounds on what hostile input can make us keep (real files have a few dozen lines).
constexpr std::size_t kMaxNixConfErrors = 1000;
constexpr std::size_t kMaxAssignments = 100000;
constexpr std::size_t kMaxWords = 100000;  // per line

// Blank-separated words of a line, at most `max` of them; `more` tells if some were left out.
std::vector<std::string> split_words(std::string_view line, std::size_t max, bool& more) {
    std::vector<std::string> out;
    more = false;
    std::size_t pos = 0;
    while (true) {
        const auto start = line.find_first_not_of(util::kBlank, pos);
        if (start == std::string_view::npos) break;
        if (out.size() == max) {
            more = true;
            break;
        }
        auto end = line.find_first_of(util::kBlank, start);
        if (end == std::string_view::npos) end = line.size();
        out.emplace_back(line.substr(start, end - start));
        pos = end;
    }
    return out;
}

std::string quoted_line(std::string_view line) {
    if (line.size() <= kMaxQuotedLine) return std::string(line);
    return std::string(line.substr(0, kMaxQuotedLine)) + "...";
}

// One line of a file, split once: a file included many times (an include fan-out) is read and
// split once per parse, and its lines replayed.
struct Line {
    int line_no = 0;
    std::string_view text;  // without the comment
    std::vector<std::string> tokens;
    bool more = false;  // words past kMaxWords were left out
};

std::vector<Line> split_lines(std::string_view text) {
    std::vector<Line> lines;
    int line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        const auto hash = line.find('#');
        if (hash != std::string_view::npos) line = line.substr(0, hash);
        Line l;
        l.line_no = line_no;
        l.tokens = split_words(line, kMaxWords, l.more);
        if (l.tokens.empty()) continue;
        l.text = line;
        lines.push_back(std::move(l));
    }
    return lines;
}

struct CachedFile {
    ReadResult read;
    std::vector<Line> lines;  // of read.text
};

struct Reader {
    const IncludeSource& includes;
    NixConf& conf;
    // Every file read, by path (the same path gives the same bytes within one parse).
    std::map<std::string, CachedFile> cache{};
    std::map<std::pair<std::string, std::string>, std::string> resolved{};  // (from, target) -> path
    std::vector<std::string> stack{};  // files being read, outermost first
    int included_files = 0;
    std::size_t included_bytes = 0;
    bool budget_reported = false;

    bool assignments_capped = false;

    void limit(std::string bound, std::uint64_t value, const std::string& file, int line,
               std::string what) {
        conf.limits.push_back({std::move(bound), value, file, line, std::move(what)});
    }

    void error(const std::string& file, int line, std::string message) {
        if (conf.errors.size() < kMaxNixConfErrors) {
            conf.errors.push_back({file, line, std::move(message)});
        } else if (conf.errors.size() == kMaxNixConfErrors) {
            conf.errors.push_back({file, line, "too many errors; further ones are not reported"});
            limit("errors reported", kMaxNixConfErrors, file, line,
                  "errors from this line on are not reported");
        }
    }

    void syntax_error(const std::string& file, int line_no, std::string_view line,
                      const std::vector<std::string>& tokens) {
        if (conf.errors.size() > kMaxNixConfErrors) return;  // past the cut-off: nothing is kept
        std::string msg =
            "illegal configuration line '" + quoted_line(line) + "' in '" + file + "'";
        const auto eq = tokens[0].find('=');
        if (tokens[0] == "include" || tokens[0] == "!include") {
            msg += ": '" + tokens[0] + "' takes exactly one path";
        } else if (tokens.size() == 1 && eq != std::string::npos && eq > 0) {
            msg += ": write 'name = value' with spaces around '=' (" + tokens[0].substr(0, eq) +
                   " = " + tokens[0].substr(eq + 1) + ")";
        } else if (tokens.size() >= 2 &&
                   (util::ends_with(tokens[0], "=") || util::starts_with(tokens[1], "="))) {
            msg += ": '=' must be a word of its own, with spaces around it";
        } else {
            msg += ": expected 'name = value'";
        }
        error(file, line_no, std::move(msg));
    }

    void include(const std::string& from, int line_no, const std::string& target, bool optional,
                 int depth) {
        // The same include line replayed (a fan-out) resolves to the same path: once per parse.
        auto key = std::make_pair(from, target);
        auto resolved_it = resolved.find(key);
        if (resolved_it == resolved.end())
            resolved_it = resolved.emplace(std::move(key), nix_resolve_path(target, nix_dir_of(from))).first;
        const std::string& path = resolved_it->second;
        if (std::find(stack.begin(), stack.end(), path) != stack.end()) {
            if (conf.errors.size() <= kMaxNixConfErrors)  // past the cut-off nothing is kept
                error(from, line_no,
                      "include cycle: '" + path +
                          "' is already being read (Nix recurses until it crashes)");
            return;
        }
        NixConfFile record{path, ReadStatus::missing, from, line_no, optional, depth, {}};
        if (depth > kMaxIncludeDepth) {
            error(from, line_no,
                  "includes nested more than " + std::to_string(kMaxIncludeDepth) +
                      " deep; not following '" + path + "'");
            limit("include depth", kMaxIncludeDepth, from, line_no, path + " was not read");
            return;
        }
        if (included_files >= kMaxIncludedFiles || included_bytes >= kMaxIncludedBytes) {
            if (!budget_reported) {
                budget_reported = true;
                error(from, line_no,
                      "too many included files; not following '" + path + "' and later includes");
                const bool by_count = included_files >= kMaxIncludedFiles;
                limit(by_count ? "included files" : "bytes of included files",
                      by_count ? static_cast<std::uint64_t>(kMaxIncludedFiles) : kMaxIncludedBytes,
                      from, line_no, path + " and every later include were not read");
            }
            return;
        }
        ++included_files;
        auto cached = cache.find(path);
        if (cached == cache.end()) {
            CachedFile file;
            if (includes.read) {
                file.read = includes.read(path);
            } else {
                file.read.status = ReadStatus::unreadable;
            }
            if (file.read.status == ReadStatus::ok) file.lines = split_lines(file.read.text);
            cached = cache.emplace(path, std::move(file)).first;
        }
        const ReadResult& read = cached->second.read;
        record.status = read.status;
        record.reason = read.reason;
        conf.files.push_back(record);
        if (read.status == ReadStatus::missing) {
            if (!optional)
                error(from, line_no, "file '" + path + "' included from '" + from + "' not found");
            return;
        }
        // Nix silently ignores an included file it cannot read (SysError is caught).
        if (read.status != ReadStatus::ok) return;
        included_bytes += read.text.size();
        parse_lines(cached->second.lines, path, depth);
    }

    void parse_text(std::string_view text, const std::string& file, int depth) {
        parse_lines(split_lines(text), file, depth);
    }

    void parse_lines(const std::vector<Line>& lines, const std::string& file, int depth) {
        stack.push_back(file);
        for (const Line& l : lines) {
            const int line_no = l.line_no;
            const std::string_view line = l.text;
            const std::vector<std::string>& tokens = l.tokens;
            if (l.more) {
                error(file, line_no,
                      "line has more than " + std::to_string(kMaxWords) +
                          " words; the rest of it is not read");
                limit("words per line", kMaxWords, file, line_no,
                      "the words past the first " + std::to_string(kMaxWords) + " were not read");
            }
            if (tokens.size() < 2) {
                syntax_error(file, line_no, line, tokens);
                continue;
            }
            if (tokens[0] == "include" || tokens[0] == "!include") {
                if (tokens.size() != 2) {
                    syntax_error(file, line_no, line, tokens);
                    continue;
                }
                include(file, line_no, tokens[1], tokens[0] == "!include", depth + 1);
                continue;
            }
            if (tokens[1] != "=") {
                syntax_error(file, line_no, line, tokens);
                continue;
            }
            if (conf.assignments.size() >= kMaxAssignments) {
                if (!assignments_capped) {
                    assignments_capped = true;
                    error(file, line_no,
                          "more than " + std::to_string(kMaxAssignments) +
                              " settings; the rest is not read");
                    limit("settings", kMaxAssignments, file, line_no,
                          "this setting and every later one were not read");
                }
                continue;
            }
            NixConfAssignment a;
            a.name = tokens[0];
            a.tokens.assign(tokens.begin() + 2, tokens.end());
            a.value = util::join(a.tokens, " ");
            a.file = file;
            a.line = line_no;
            conf.assignments.push_back(std::move(a));
        }
        stack.pop_back();
    }
};

}  // namespace

std::string nix_dir_of(std::string_view path) {
    const auto pos = path.rfind('/');
    if (pos == std::string_view::npos) return ".";
    if (pos == 0) return "/";
    return std::string(path.substr(0, pos));
}

std::string nix_resolve_path(std::string_view p, std::string_view dir) {
    std::string joined;
    if (!p.empty() && p[0] == '/') {
        joined = std::string(p);
    } else {
        joined = std::string(dir) + "/" + std::string(p);
    }
    const bool absolute = !joined.empty() && joined[0] == '/';
    std::vector<std::string> parts;
    for (auto& part : util::split_tokens(joined, "/")) {
        if (part == ".") continue;
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..") {
                parts.pop_back();
            } else if (!absolute) {
                parts.push_back(part);
            }
            continue;
        }
        parts.push_back(std::move(part));
    }
    std::string out = util::join(parts, "/");
    if (absolute) return "/" + out;
    return out.empty() ? "." : out;
}

const NixConfEffective* NixConf::get(std::string_view canonical_name) const {
    auto it = effective.find(std::string(canonical_name));
    return it == effective.end() ? nullptr : &it->second;
}

NixConf parse_nix_conf(std::string_view text, const std::string& file,
                       const IncludeSource& includes) {
    NixConf conf;
    conf.file = file;
    conf.files.push_back({file, ReadStatus::ok, "", 0, false, 0, {}});
    Reader reader{includes, conf};
    reader.parse_text(text, file, 0);
    detail::apply_nix_conf_settings(conf);
    return conf;
}

}  // namespace nbd::parse
