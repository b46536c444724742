// Column 0 of a machine line (store URI) and Nix's conversions of the numeric columns.
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "machines_internal.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {

const std::string* MachineStoreUri::param(std::string_view key) const {
    for (const auto& [k, v] : params)
        if (k == key) return &v;
    return nullptr;
}

namespace detail {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view q) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& item : util::split_fields(q, '&')) {
        if (item.empty()) continue;
        const auto eq = item.find('=');
        if (eq == std::string::npos) {
            out.emplace_back(percent_decode(item), "");
        } else {
            out.emplace_back(percent_decode(std::string_view(item).substr(0, eq)),
                             percent_decode(std::string_view(item).substr(eq + 1)));
        }
    }
    return out;
}

void split_host_port(MachineStoreUri& u, std::string_view hostport) {
    if (!hostport.empty() && hostport[0] == '[') {
        const auto close = hostport.find(']');
        if (close != std::string_view::npos) {
            u.bracketed_ipv6 = true;
            u.host = std::string(hostport.substr(1, close - 1));
            auto rest = hostport.substr(close + 1);
            if (!rest.empty() && rest[0] == ':') u.port_text = std::string(rest.substr(1));
        } else {
            u.host = std::string(hostport);
        }
    } else {
        const auto first = hostport.find(':');
        if (first == std::string_view::npos) {
            u.host = std::string(hostport);
        } else if (hostport.find(':', first + 1) != std::string_view::npos) {
            // Two or more colons: an unbracketed IPv6 address, taken whole.
            u.unbracketed_ipv6 = true;
            u.host = std::string(hostport);
        } else {
            u.host = std::string(hostport.substr(0, first));
            u.port_text = std::string(hostport.substr(first + 1));
        }
    }
    if (!u.port_text.empty()) {
        if (auto p = util::parse_unsigned(u.port_text); p && *p <= 65535)
            u.port = static_cast<unsigned>(*p);
    }
}

}  // namespace

MachineStoreUri parse_machine_store_uri(std::string_view written) {
    MachineStoreUri u;
    u.written = std::string(written);
    const bool keep = written.find("://") != std::string_view::npos ||
                      written.find('/') != std::string_view::npos || written == "auto" ||
                      written == "daemon" || written == "local" ||
                      util::starts_with(written, "auto?") ||
                      util::starts_with(written, "daemon?") ||
                      util::starts_with(written, "local?") || util::starts_with(written, "?");
    u.completed = keep ? u.written : "ssh://" + u.written;
    u.scheme_added = !keep;

    std::string_view rest = u.completed;
    std::string_view query;
    const auto sep = rest.find("://");
    if (sep == std::string_view::npos) {
        const auto q = rest.find('?');
        if (q != std::string_view::npos) {
            query = rest.substr(q + 1);
            rest = rest.substr(0, q);
        }
        if (rest.empty() || rest == "auto") {
            u.special = "auto";
        } else if (rest == "daemon" || rest == "local") {
            u.special = std::string(rest);
        } else {
            u.special = "path";
            u.path = std::string(rest);
        }
        u.params = parse_query(query);
        return u;
    }
    u.scheme = std::string(rest.substr(0, sep));
    rest = rest.substr(sep + 3);
    const auto q = rest.find('?');
    if (q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) u.path = std::string(rest.substr(slash));
    u.authority = std::string(authority);
    const auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        u.has_user = true;
        u.user = percent_decode(authority.substr(0, at));
        authority = authority.substr(at + 1);
    }
    split_host_port(u, authority);
    u.params = parse_query(query);
    return u;
}

std::optional<unsigned> nix_string_to_unsigned(std::string_view s) {
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    const auto v = util::parse_unsigned(s);
    if (!v || *v > std::numeric_limits<unsigned>::max()) return std::nullopt;
    return static_cast<unsigned>(*v);
}

std::optional<float> nix_string_to_float(std::string_view s) {
    bool negative = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty() || s[0] == '+' || s[0] == '-') return std::nullopt;
    const std::string lower = util::to_lower(s);
    if (lower == "inf" || lower == "infinity") {
        return negative ? -std::numeric_limits<float>::infinity()
                        : std::numeric_limits<float>::infinity();
    }
    if (lower == "nan") return std::numeric_limits<float>::quiet_NaN();
    // Plain decimal with an optional exponent; nothing else (no hex, no "nan(...)").
    for (char c : s)
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return std::nullopt;
    float value = 0;
    const auto [ptr, ec] =
        std::from_chars(s.data(), s.data() + s.size(), value, std::chars_format::general);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return negative ? -value : value;
}

std::optional<char> nix_base64_bad_char(std::string_view s) {
    for (char c : s) {
        if (c == '=') return std::nullopt;
        if (c == '\n') continue;
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok) return c;
    }
    return std::nullopt;
}

}  // namespace detail
}  // namespace nbd::parse
