// OpenSSH's pattern matching (match.c, addrmatch.c, addr.c) and small value parsers (a2port,
// convtime), shared by the ssh_config and sshd_config evaluators.
#include <arpa/inet.h>

#include <array>
#include <climits>
#include <cstdint>
#include <cstring>

#include "nix_builder_doctor/parse/ssh_config_lexer.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {

namespace {

struct Address {
    int family = 0;  // 4 or 6
    std::array<std::uint8_t, 16> bytes{};
};

// addr_pton(): numeric IPv4 (inet_aton forms, as getaddrinfo accepts them) or IPv6.
std::optional<Address> parse_address(std::string_view s) {
    if (s.empty() || s.size() > 63 || s.find('\0') != std::string_view::npos) return std::nullopt;
    const std::string copy(s);
    Address a;
    in_addr v4{};
    if (copy.find(':') == std::string::npos) {
        if (inet_aton(copy.c_str(), &v4) == 0) return std::nullopt;
        a.family = 4;
        std::memcpy(a.bytes.data(), &v4, 4);
        return a;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, copy.c_str(), &v6) != 1) return std::nullopt;
    a.family = 6;
    std::memcpy(a.bytes.data(), &v6, 16);
    return a;
}

// Bits of the address beyond `masklen` are zero?
bool host_bits_zero(const Address& a, unsigned masklen) {
    const unsigned total = a.family == 4 ? 32 : 128;
    for (unsigned bit = masklen; bit < total; ++bit)
        if (a.bytes[bit / 8] & (0x80u >> (bit % 8))) return false;
    return true;
}

bool net_match(const Address& host, const Address& net, unsigned masklen) {
    if (host.family != net.family) return false;
    const unsigned total = host.family == 4 ? 32 : 128;
    for (unsigned bit = 0; bit < masklen && bit < total; ++bit) {
        const std::uint8_t m = static_cast<std::uint8_t>(0x80u >> (bit % 8));
        if ((host.bytes[bit / 8] & m) != (net.bytes[bit / 8] & m)) return false;
    }
    return true;
}

// addr_pton_cidr(): 0 ok, -1 not an address, -2 inconsistent (bad length or host bits set).
int parse_cidr(std::string_view s, Address& net, unsigned& masklen) {
    if (s.size() >= 64) return -1;
    std::string_view addr = s;
    unsigned long len = 999;
    const auto slash = s.find('/');
    if (slash != std::string_view::npos) {
        addr = s.substr(0, slash);
        const auto digits = s.substr(slash + 1);
        if (digits.empty() || digits.front() < '0' || digits.front() > '9') return -1;
        const auto value = util::parse_unsigned(digits);
        if (!value || *value > 128) return -1;
        len = static_cast<unsigned long>(*value);
    }
    const auto parsed = parse_address(addr);
    if (!parsed) return -1;
    if (slash == std::string_view::npos) len = parsed->family == 4 ? 32 : 128;
    if (len > (parsed->family == 4 ? 32u : 128u)) return -2;
    if (!host_bits_zero(*parsed, static_cast<unsigned>(len))) return -2;
    net = *parsed;
    masklen = static_cast<unsigned>(len);
    return 0;
}

int match_host_and_ip(std::optional<std::string_view> host, std::optional<std::string_view> ip,
                      std::string_view patterns) {
    const int mip = ssh_addr_match_list(ip, patterns);
    if (mip == -2) return -1;
    if (!host || !ip || mip == -1) return 0;
    const int mhost = ssh_match_hostname(*host, patterns);
    if (mhost == -1) return 0;
    if (mhost == 0 && mip == 0) return 0;
    return 1;
}

}  // namespace

bool ssh_match_pattern(std::string_view s, std::string_view pattern) {
    return util::wildcard_match(s, pattern);
}

int ssh_match_pattern_list(std::string_view s, std::string_view list, bool lower_patterns) {
    bool got_positive = false;
    std::size_t i = 0;
    const std::size_t len = list.size();
    while (i < len) {
        bool negated = false;
        if (list[i] == '!') {
            negated = true;
            ++i;
        }
        const auto comma = list.find(',', i);
        const std::size_t end = comma == std::string_view::npos ? len : comma;
        std::string_view sub = list.substr(i, end - i);
        // OpenSSH copies each sub-pattern into a 1024-byte buffer and gives up when it is longer.
        if (sub.size() >= 1023) return 0;
        i = end < len ? end + 1 : end;
        const bool hit =
            lower_patterns ? ssh_match_pattern(s, util::to_lower(sub)) : ssh_match_pattern(s, sub);
        if (hit) {
            if (negated) return -1;
            got_positive = true;
        }
    }
    return got_positive ? 1 : 0;
}

int ssh_match_hostname(std::string_view host, std::string_view list) {
    return ssh_match_pattern_list(util::to_lower(host), list, true);
}

int ssh_addr_match_list(std::optional<std::string_view> addr, std::string_view list) {
    std::optional<Address> subject;
    if (addr) {
        subject = parse_address(*addr);
        if (!subject) return 0;
    }
    int ret = 0;
    for (const auto& field : util::split_fields(list, ',')) {
        std::string_view entry = field;
        const bool negated = !entry.empty() && entry.front() == '!';
        if (negated) entry.remove_prefix(1);
        if (entry.empty()) return -2;
        Address net;
        unsigned masklen = 0;
        const int r = parse_cidr(entry, net, masklen);
        bool found = false;
        if (r == -2) return -2;
        if (r == 0) {
            found = subject && net_match(*subject, net, masklen);
        } else {
            found = addr && ssh_match_pattern(*addr, entry);
        }
        if (found) {
            if (negated) return -1;
            ret = 1;
        }
    }
    return ret;
}

int ssh_match_user(std::optional<std::string_view> user, std::optional<std::string_view> host,
                   std::optional<std::string_view> address, std::string_view pattern) {
    const auto at = pattern.find('@');
    if (!user && !host && !address) {
        if (at != std::string_view::npos &&
            match_host_and_ip(std::nullopt, std::nullopt, pattern.substr(at + 1)) < 0)
            return -1;
        return 0;
    }
    if (at == std::string_view::npos) return user && ssh_match_pattern(*user, pattern) ? 1 : 0;
    if (!user || !ssh_match_pattern(*user, pattern.substr(0, at))) return 0;
    return match_host_and_ip(host, address, pattern.substr(at + 1));
}

bool ssh_is_address(std::string_view s) { return parse_address(s).has_value(); }

std::optional<int> ssh_parse_port(std::string_view s) {
    if (s == "ssh") return 22;  // the one service name worth knowing; /etc/services is not read
    std::string_view digits = s;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    const auto value = util::parse_unsigned(digits);
    if (!value || *value > 65535) return std::nullopt;
    return static_cast<int>(*value);
}

std::optional<long long> ssh_parse_time(std::string_view s) {
    if (s.empty()) return std::nullopt;
    long long total = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t j = i;
        if (s[j] == '+') ++j;
        const std::size_t digits_start = j;
        long long secs = 0;
        while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
            secs = secs * 10 + (s[j] - '0');
            if (secs > INT_MAX) return std::nullopt;
            ++j;
        }
        if (j == digits_start) return std::nullopt;
        long long multiplier = 1;
        if (j < s.size()) {
            switch (s[j]) {
                case 's':
                case 'S':
                    multiplier = 1;
                    break;
                case 'm':
                case 'M':
                    multiplier = 60;
                    break;
                case 'h':
                case 'H':
                    multiplier = 3600;
                    break;
                case 'd':
                case 'D':
                    multiplier = 86400;
                    break;
                case 'w':
                case 'W':
                    multiplier = 604800;
                    break;
                default:
                    return std::nullopt;
            }
            ++j;
        }
        if (secs > INT_MAX / multiplier) return std::nullopt;
        secs *= multiplier;
        if (total > INT_MAX - secs) return std::nullopt;
        total += secs;
        i = j;
    }
    return total;
}

}  // namespace nbd::parse
