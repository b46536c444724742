// Line parsing of known_hosts files (hostfile.c hostkeys_foreach_file, check_markers,
// extract_salt).
#include "nix_builder_doctor/parse/known_hosts.hpp"

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {
namespace {

constexpr std::string_view kIgnored = "; ssh ignores this line";
constexpr std::size_t kSaltBytes = 20;        // SHA-1 HMAC key length
constexpr std::size_t kMaxSaltBase64 = 1024;  // extract_salt sanity check
constexpr std::size_t kMaxMarker = 31;        // check_markers' char marker[32]

std::string shorten(std::string_view s) {
    return s.size() <= 40 ? std::string(s) : std::string(s.substr(0, 37)) + "...";
}

// check_markers. Note ssh's quirk: the marker ends at the first space of the line, or at the
// first tab only if the line has no space at all.
bool read_marker(std::string_view& rest, KnownHostEntry& entry) {
    while (!rest.empty() && rest.front() == '@') {
        if (entry.marker != KnownHostMarker::none) {
            entry.error = "more than one marker";
            return false;
        }
        auto end = rest.find(' ');
        if (end == std::string_view::npos) end = rest.find('\t');
        if (end == std::string_view::npos) {
            entry.error = "marker '" + shorten(rest) + "' is not followed by host names";
            return false;
        }
        const auto marker = rest.substr(0, end);
        if (marker.size() > kMaxMarker || marker.size() < 2) {
            entry.error = "invalid marker '" + shorten(marker) + "'";
            return false;
        }
        if (marker == "@cert-authority") {
            entry.marker = KnownHostMarker::cert_authority;
        } else if (marker == "@revoked") {
            entry.marker = KnownHostMarker::revoked;
        } else {
            entry.error = "invalid marker '" + shorten(marker) +
                          "': only @cert-authority and @revoked are allowed";
            if (marker.find('\t') != std::string_view::npos)
                entry.error +=
                    " (ssh ends a marker at the first space of the line; use a space, not a tab)";
            return false;
        }
        rest = util::trim_start(rest.substr(end), util::kSpaceTab);
    }
    return true;
}

// extract_salt and the HMAC part of `|1|salt|hmac`.
void read_hashed(KnownHostEntry& entry) {
    const std::string_view hosts = entry.hosts;
    if (!util::starts_with(hosts, "|1|")) {
        entry.error = "hashed host name '" + shorten(hosts) + "' does not start with |1|";
        return;
    }
    const auto body = hosts.substr(3);
    const auto delim = body.find('|');
    if (delim == std::string_view::npos) {
        entry.error = "hashed host name has no '|' after the salt";
        return;
    }
    const auto salt_b64 = body.substr(0, delim);
    if (salt_b64.empty() || salt_b64.size() > kMaxSaltBase64) {
        entry.error = "hashed host name has a bad salt length";
        return;
    }
    auto salt = salt_b64.size() % 4 == 0 ? util::base64_decode(salt_b64) : std::nullopt;
    if (!salt) {
        entry.error = "hashed host name's salt is not valid base64";
        return;
    }
    if (salt->size() != kSaltBytes) {
        entry.error = "hashed host name's salt decodes to " + std::to_string(salt->size()) +
                      " bytes; it must be 20";
        return;
    }
    entry.salt = std::move(*salt);
    const auto hmac_b64 = body.substr(delim + 1);
    auto hmac = hmac_b64.size() % 4 == 0 ? util::base64_decode(hmac_b64) : std::nullopt;
    if (!hmac || hmac->size() != kSaltBytes) {
        entry.error = "hashed host name's HMAC is not base64 of 20 bytes, so it can never match";
        return;
    }
    entry.hmac = std::move(*hmac);
}

// Patterns that are well formed for ssh but can never match a lookup name.
void check_patterns(const KnownHostEntry& entry, std::string_view file,
                    std::vector<Diagnostic>& out) {
    bool empty_reported = false;
    for (const auto& raw : entry.patterns) {
        if (out.size() >= kMaxLineErrors) return;
        std::string_view p = raw;
        if (!p.empty() && p.front() == '!') p.remove_prefix(1);
        if (p.empty()) {
            if (!empty_reported)
                out.push_back({std::string(file), entry.line,
                               "empty host pattern in '" + shorten(entry.hosts) + "'"});
            empty_reported = true;
            continue;
        }
        if (p.front() != '[') continue;
        const auto close = p.find("]:");
        if (close == std::string_view::npos) {
            out.push_back(
                {std::string(file), entry.line,
                 "host pattern '" + shorten(raw) +
                     "' never matches: the bracketed form is [host]:port (for port 22 write "
                     "just the host)"});
        } else if (p.substr(close + 2) == "22") {
            out.push_back({std::string(file), entry.line,
                           "host pattern '" + shorten(raw) +
                               "' never matches: ssh looks up port 22 as the plain host name"});
        }
    }
}

KnownHostEntry parse_line(std::string_view rest, int line_number, bool explain) {
    KnownHostEntry entry;
    entry.line = line_number;
    if (!read_marker(rest, entry)) return entry;

    const auto hosts_end = rest.find_first_of(util::kSpaceTab);
    entry.hosts = std::string(rest.substr(0, hosts_end));
    if (hosts_end == std::string_view::npos) {
        entry.error = "truncated line: no key after the host names";
        return entry;
    }
    const std::string_view key_text = util::trim_start(rest.substr(hosts_end), util::kSpaceTab);
    if (key_text.empty() || key_text.front() == '#') {
        entry.error = "truncated line: no key after the host names";
        return entry;
    }

    std::string host_error;
    if (entry.hosts.front() == '|') {
        entry.hashed = true;
        read_hashed(entry);
        host_error = std::move(entry.error);
        entry.error.clear();
    } else {
        entry.patterns = util::split_fields(entry.hosts, ',');
    }

    const std::string_view type = key_text.substr(0, key_text.find_first_of(util::kSpaceTab));
    if (!type.empty() && type.size() < 8 && util::parse_unsigned(type)) {
        entry.error = "SSH protocol 1 RSA key (not supported since OpenSSH 7.4)";
        return entry;
    }
    PublicKeyResult key = parse_public_key(key_text, explain);
    if (key) entry.key = std::move(key.key);
    if (!host_error.empty()) {
        entry.error = host_error;
    } else if (!key) {
        entry.error = key.error;
    }
    return entry;
}

}  // namespace

KnownHosts parse_known_hosts(std::string_view text, std::string_view file) {
    KnownHosts result;
    result.file = std::string(file);
    int line_number = 0;
    std::size_t unreported = 0;
    for (auto line : util::split_lines(text)) {
        ++line_number;
        const std::string_view rest = util::trim_start(line, util::kSpaceTab);
        if (rest.empty() || rest.front() == '#') continue;
        const bool report = result.diagnostics.size() < kMaxLineErrors;
        KnownHostEntry entry = parse_line(rest, line_number, report);
        if (!entry.error.empty()) {
            if (!report) {
                ++unreported;
                if (!entry.key) continue;  // keep every line that holds a key
            } else {
                result.diagnostics.push_back(
                    {result.file, line_number, entry.error + std::string(kIgnored)});
            }
        } else if (!entry.hashed && report) {
            check_patterns(entry, file, result.diagnostics);
        }
        result.entries.push_back(std::move(entry));
    }
    if (unreported > 0)
        result.diagnostics.push_back(
            {result.file, 0,
             std::to_string(unreported) + " more malformed lines not reported; ssh ignores them"});
    return result;
}

}  // namespace nbd::parse
