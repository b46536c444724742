#include "ssh_include.hpp"

#include <algorithm>

namespace nbd::parse {

IncludeStep read_included_file(const IncludeSource& source, IncludeBudget& budget, const std::string& path, int depth,
                               const std::vector<std::string>& stack, const SshDirective& d, const IncludeWording& wording,
                               IncludeReport report) {
    const auto error = [&](std::string message) { report.diagnostics.push_back({d.file, d.line, std::move(message)}); };
    const auto note = [&](std::string message) { report.notes.push_back({d.file, d.line, std::move(message)}); };
    using Next = IncludeStep::Next;
    if (depth + 1 > kMaxIncludeDepth) {
        error("Too many recursive configuration includes (including " + path + ")");
        return {Next::stop, {}};
    }
    if (std::find(stack.begin(), stack.end(), path) != stack.end()) {
        error("Too many recursive configuration includes (" + path + " includes itself)");
        return {Next::skip, {}};
    }
    if (budget.files_read >= kMaxIncludedFiles || budget.bytes_read >= kMaxIncludedBytes) {
        if (!budget.reported) {
            const bool by_count = budget.files_read >= kMaxIncludedFiles;
            note("too many included files; the rest is not read");
            report.limits.push_back({by_count ? "included files" : "bytes of included files",
                                     by_count ? kMaxIncludedFiles : kMaxIncludedBytes, d.file, d.line,
                                     path + " and every later included file were not read"});
        }
        budget.reported = true;
        return {Next::stop, {}};
    }
    ReadResult r = source.read(path);
    ++budget.files_read;
    switch (r.status) {
        case ReadStatus::ok:
            break;
        case ReadStatus::missing:  // gone since the glob
            if (wording.missing_is_error) error(path + ": No such file or directory");
            return {Next::skip, {}};
        case ReadStatus::unreadable:
            error(wording.unreadable_prefix + path + ": Permission denied");
            return {Next::skip, {}};
        case ReadStatus::too_large:
            note("included file " + path + " is too large to read");
            return {Next::skip, {}};
        case ReadStatus::not_regular:
            note("included file " + path + " is not a regular file" + (r.reason.empty() ? std::string() : " (" + r.reason + ")") +
                 "; not read");
            return {Next::skip, {}};
    }
    budget.bytes_read += r.text.size();
    return {Next::read, std::move(r.text)};
}

}  // namespace nbd::parse
