// The authorized_keys option list, following auth-options.c sshauthopt_parse and misc.c
// opt_flag / opt_match / opt_dequote (names are case-insensitive prefixes, values are quoted).
#include <cctype>

#include "nix_builder_doctor/parse/authorized_keys.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {
namespace {

constexpr std::size_t kMaxEnvironment = 1024;              // SSH_AUTHOPT_ENV_MAX
constexpr std::size_t kMaxPermits = 4096;                  // SSH_AUTHOPT_PERMIT_MAX
constexpr std::size_t kMaxHostName = 1025;                 // NI_MAXHOST
constexpr unsigned long long kMaxTunnel = 0x7fffffff - 2;  // SSH_TUNID_MAX

bool iequal_prefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

// opt_flag: 1 set, 0 negated with "no-", -1 not this option.
int opt_flag(std::string_view name, bool allow_negate, std::string_view& opts) {
    std::string_view s = opts;
    bool negate = false;
    if (allow_negate && iequal_prefix(s, "no-")) {
        s.remove_prefix(3);
        negate = true;
    }
    if (!iequal_prefix(s, name)) return -1;
    opts = s.substr(name.size());
    return negate ? 0 : 1;
}

bool opt_match(std::string_view term, std::string_view& opts) {
    if (!iequal_prefix(opts, term) || opts.size() <= term.size() || opts[term.size()] != '=')
        return false;
    opts.remove_prefix(term.size() + 1);
    return true;
}

// opt_dequote: `"..."` with \" escapes; returns false and sets `error` on failure.
bool opt_dequote(std::string_view& opts, std::string& out, std::string& error) {
    if (opts.empty() || opts.front() != '"') {
        error = "missing start quote";
        return false;
    }
    out.clear();
    std::size_t i = 1;
    while (i < opts.size() && opts[i] != '"') {
        if (opts[i] == '\\' && i + 1 < opts.size() && opts[i + 1] == '"') ++i;
        out += opts[i++];
    }
    if (i >= opts.size()) {
        error = "missing end quote";
        return false;
    }
    opts.remove_prefix(i + 1);
    return true;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// parse_absolute_time's accepted forms: YYYYMMDD, YYYYMMDDHHMM, YYYYMMDDHHMMSS, optional Z/UTC.
bool valid_expiry_time(std::string_view s) {
    if (s.size() > 1 && (s.back() == 'Z' || s.back() == 'z')) {
        s.remove_suffix(1);
    } else if (s.size() > 3 && util::to_lower(s.substr(s.size() - 3)) == "utc") {
        s.remove_suffix(3);
    }
    if ((s.size() != 8 && s.size() != 12 && s.size() != 14) || !all_digits(s)) return false;
    auto field = [&](std::size_t pos) { return (s[pos] - '0') * 10 + (s[pos + 1] - '0'); };
    if (field(4) < 1 || field(4) > 12 || field(6) < 1 || field(6) > 31) return false;
    if (s.size() >= 12 && (field(8) > 23 || field(10) > 59)) return false;
    if (s.size() == 14 && field(12) > 61) return false;
    return s != "00000000";
}

bool valid_env_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

// handle_permit's syntax check of host:port (hpdelim2 + a2port).
std::string check_permit(std::string& value, bool allow_bare_port) {
    if (allow_bare_port && value.find(':') == std::string::npos) value = "*:" + value;
    std::string_view s = value;
    std::size_t delim;
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string_view::npos) return "invalid permission hostname";
        delim = close + 1;
        if (delim < s.size() && s[delim] != ':' && s[delim] != '/')
            return "invalid permission hostname";
    } else {
        delim = s.find_first_of(":/");
        if (delim == std::string_view::npos) delim = s.size();
    }
    if (delim >= kMaxHostName) return "invalid permission hostname";
    if (delim >= s.size()) return "invalid permission port";
    const auto port = s.substr(delim + 1);
    if (port == "*") return "";
    if (all_digits(port)) {
        const auto n = util::parse_unsigned(port);
        if (!n || *n == 0 || *n > 65535) return "invalid permission port";
        return "";
    }
    // a2port also accepts service names from /etc/services; only a name can be one.
    for (char c : port)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            return "invalid permission port";
    return port.empty() ? "invalid permission port" : "";
}

struct Flag {
    std::string_view name;
    bool allow_negate;
};

constexpr Flag kFlags[] = {{"restrict", false},       {"cert-authority", false},
                           {"port-forwarding", true}, {"agent-forwarding", true},
                           {"x11-forwarding", true},  {"touch-required", true},
                           {"verify-required", true}, {"pty", true},
                           {"user-rc", true}};

void apply_flag(std::string_view name, bool on, AuthorizedKeyEntry& e) {
    if (name == "restrict") {
        e.restrict = true;
        e.no_port_forwarding = e.no_agent_forwarding = e.no_x11_forwarding = e.no_pty =
            e.no_user_rc = true;
    } else if (name == "cert-authority") {
        e.cert_authority = true;
    } else if (name == "port-forwarding") {
        e.no_port_forwarding = !on;
    } else if (name == "agent-forwarding") {
        e.no_agent_forwarding = !on;
    } else if (name == "x11-forwarding") {
        e.no_x11_forwarding = !on;
    } else if (name == "touch-required") {
        e.no_touch_required = !on;
    } else if (name == "verify-required") {
        e.verify_required = on;
    } else if (name == "pty") {
        e.no_pty = !on;
    } else if (name == "user-rc") {
        e.no_user_rc = !on;
    }
}

// One valued option; returns false with `error` set on failure.
bool parse_valued(std::string_view name, std::string_view& opts, AuthorizedKeyEntry& e,
                  std::string& error) {
    std::string value;
    if (name == "command" || name == "principals" || name == "from") {
        auto& slot = name == "command" ? e.command : name == "principals" ? e.principals : e.from;
        if (slot) {
            error = "multiple \"" + std::string(name) + "\" clauses";
            return false;
        }
        if (!opt_dequote(opts, value, error)) return false;
        slot = value;
    } else if (name == "expiry-time") {
        if (!opt_dequote(opts, value, error)) return false;
        if (!valid_expiry_time(value)) {
            error = "invalid expires time";
            return false;
        }
        if (!e.expiry_time || value < *e.expiry_time) e.expiry_time = value;
    } else if (name == "environment") {
        if (e.environment.size() > kMaxEnvironment) {
            error = "too many environment strings";
            return false;
        }
        if (!opt_dequote(opts, value, error)) return false;
        const auto eq = value.find('=');
        if (eq == std::string::npos || !valid_env_name(std::string_view(value).substr(0, eq))) {
            error = "invalid environment string";
            return false;
        }
        bool seen = false;
        for (const auto& existing : e.environment)
            seen = seen || existing.compare(0, eq + 1, value, 0, eq + 1) == 0;
        if (!seen) e.environment.push_back(value);
    } else if (name == "permitopen" || name == "permitlisten") {
        auto& list = name == "permitopen" ? e.permitopen : e.permitlisten;
        if (list.size() > kMaxPermits) {
            error = "too many permission directives";
            return false;
        }
        if (!opt_dequote(opts, value, error)) return false;
        std::string checked = value;
        error = check_permit(checked, name == "permitlisten");
        if (!error.empty()) return false;
        list.push_back(checked);
    } else if (name == "tunnel") {
        if (!opt_dequote(opts, value, error)) return false;
        const auto n = util::parse_unsigned(value);
        if (util::to_lower(value) != "any" && (!n || *n > kMaxTunnel)) {
            error = "invalid tun device";
            return false;
        }
        e.tunnel = value;
    }
    e.options.push_back({std::string(name), std::move(value)});
    return true;
}

constexpr std::string_view kValued[] = {"command",     "principals", "from",         "expiry-time",
                                        "environment", "permitopen", "permitlisten", "tunnel"};

}  // namespace

std::string parse_authorized_key_options(std::string_view opts, AuthorizedKeyEntry& entry) {
    std::string error;
    while (!opts.empty() && opts.front() != ' ' && opts.front() != '\t') {
        const std::string_view before = opts;
        bool matched = false;
        for (const auto& flag : kFlags) {
            const int r = opt_flag(flag.name, flag.allow_negate, opts);
            if (r == -1) continue;
            apply_flag(flag.name, r == 1, entry);
            entry.options.push_back({(r == 0 ? "no-" : "") + std::string(flag.name), std::nullopt});
            matched = true;
            break;
        }
        for (std::size_t i = 0; !matched && i < std::size(kValued); ++i) {
            if (!opt_match(kValued[i], opts)) continue;
            if (!parse_valued(kValued[i], opts, entry, error)) return error;
            matched = true;
        }
        if (opts.empty() || opts.front() == ' ' || opts.front() == '\t') break;
        if (opts.front() != ',') {
            const std::string_view unknown = before.substr(0, before.find_first_of(", \t"));
            return "unknown key option '" + std::string(unknown.substr(0, 64)) + "'";
        }
        opts.remove_prefix(1);
        if (opts.empty()) return "unexpected end-of-options";
    }
    return "";
}

}  // namespace nbd::parse
