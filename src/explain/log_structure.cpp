#include "nix_builder_doctor/explain/log_structure.hpp"

#include <algorithm>
#include <array>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::explain {
namespace {

// The text between the quotes that follow `marker`, and the index just past the closing quote.
std::optional<std::pair<std::string, std::size_t>> quoted_after(std::string_view line, std::string_view marker, std::size_t from = 0) {
    const std::size_t at = line.find(marker, from);
    if (at == std::string_view::npos) return std::nullopt;
    const std::size_t open = at + marker.size();
    const std::size_t close = line.find('\'', open);
    if (close == std::string_view::npos || close == open) return std::nullopt;
    return std::make_pair(std::string(line.substr(open, close - open)), close + 1);
}

bool is_bare_scheme(std::string_view s) { return s == "ssh://" || s == "ssh-ng://"; }

}  // namespace

std::optional<BuilderFailure> parse_builder_failure(std::string_view line) {
    for (std::string_view marker : {"cannot build on '", "unable to open SSH connection to '"}) {
        const auto quoted = quoted_after(line, marker);
        if (!quoted) continue;
        std::size_t offset = quoted->second;
        if (offset < line.size() && line[offset] == ':') ++offset;
        while (offset < line.size() && (line[offset] == ' ' || line[offset] == '\t')) ++offset;
        return BuilderFailure{quoted->first, std::string(line.substr(offset)), offset};
    }
    return std::nullopt;
}

std::optional<std::string> parse_building_on(std::string_view line) {
    const std::size_t building = line.find("building '");
    if (building == std::string_view::npos) return std::nullopt;
    const std::size_t drv_end = line.find('\'', building + 10);
    if (drv_end == std::string_view::npos) return std::nullopt;
    const auto target = quoted_after(line, " on '", drv_end);
    if (!target || line.find(" on '", drv_end) != drv_end + 1) return std::nullopt;
    return target->first;
}

std::optional<std::string> builder_named_in(std::string_view line) {
    for (std::string_view scheme : {"'ssh-ng://", "'ssh://"}) {
        for (std::size_t at = line.find(scheme); at != std::string_view::npos; at = line.find(scheme, at + 1)) {
            const std::size_t close = line.find('\'', at + 1);
            if (close == std::string_view::npos) break;
            // "in a row: 'ssh://host x86_64-linux ...'": the URI is the first word.
            std::string_view uri = line.substr(at + 1, close - at - 1);
            uri = uri.substr(0, uri.find_first_of(" \t"));
            if (!is_bare_scheme(uri)) return std::string(uri);
        }
    }
    if (auto on = parse_building_on(line)) return on;
    for (std::string_view marker : {"SSH connection to '", "SSH master connection to '", "protocol mismatch from '", "cannot connect to '"})
        if (auto quoted = quoted_after(line, marker)) return quoted->first;
    // OpenSSH: "user@host: Permission denied (publickey)." (after a deploy tool's "[host] " prefix).
    const std::size_t colon = line.find(": Permission denied");
    if (colon != std::string_view::npos && colon > 0) {
        std::string_view who = line.substr(0, colon);
        if (const std::size_t space = who.find_last_of(" \t"); space != std::string_view::npos) who.remove_prefix(space + 1);
        if (who.find('@') != std::string_view::npos && who.find_first_of(" \t'") == std::string_view::npos) return std::string(who);
    }
    return std::nullopt;
}

bool starts_nix_message(std::string_view line) {
    static constexpr std::array<std::string_view, 22> kStarts = {
        "cannot build on '", "unable to open SSH connection", "Failed to find a machine", "error:", "error (ignored):",
        "warning:", "building '", "copying ", "these ", "this derivation", "this path", "derivation:",
        "required (system", "(systems, maxjobs", "# ", "trace:", "note:", "waiting for", "don't know how to build",
        "possibly transient failure", "Cannot build '", "Reason:"};
    for (std::string_view s : kStarts)
        if (util::starts_with(line, s)) return true;
    return false;
}

std::string builder_host(std::string_view builder) {
    std::string_view s = builder;
    if (const std::size_t scheme = s.find("://"); scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
    if (const std::size_t at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
    s = s.substr(0, s.find_first_of("?/"));
    if (util::starts_with(s, "[")) return std::string(s.substr(1, s.find(']') == std::string_view::npos ? s.size() - 1 : s.find(']') - 1));
    if (std::count(s.begin(), s.end(), ':') == 1) s = s.substr(0, s.find(':'));
    return std::string(s);
}

std::string builder_user(std::string_view builder) {
    std::string_view s = builder;
    if (const std::size_t scheme = s.find("://"); scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
    const std::size_t at = s.rfind('@');
    return at == std::string_view::npos ? std::string() : std::string(s.substr(0, at));
}

}  // namespace nbd::explain
