// Host matching for known_hosts (match.c match_pattern_list, hostfile.c match_maybe_hashed,
// sshconnect.c "checking without port identifier").
#include "nix_builder_doctor/parse/known_hosts.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {
namespace {

constexpr std::size_t kMaxSubpattern = 1023;  // match_pattern_list's char sub[1024]

// match_pattern_list(name, patterns, dolower=1): 1 positive, -1 negated match, 0 none.
int match_pattern_list(std::string_view name, std::string_view patterns) {
    bool positive = false;
    std::size_t i = 0;
    while (i < patterns.size()) {
        const bool negated = patterns[i] == '!';
        if (negated) ++i;
        auto end = patterns.find(',', i);
        if (end == std::string_view::npos) end = patterns.size();
        if (end - i >= kMaxSubpattern) return 0;
        const std::string sub = util::to_lower(patterns.substr(i, end - i));
        i = end < patterns.size() ? end + 1 : end;
        if (util::wildcard_match(name, sub)) {
            if (negated) return -1;
            positive = true;
        }
    }
    return positive ? 1 : 0;
}

}  // namespace

std::string known_hosts_name(std::string_view host, int port) {
    const std::string lowered = util::to_lower(host);
    if (port == 0 || port == 22) return lowered;
    return "[" + lowered + "]:" + std::to_string(port);
}

std::string hash_known_host_name(const util::Bytes& salt, std::string_view name) {
    return "|1|" + util::base64_encode(salt) + "|" +
           util::base64_encode(util::hmac_sha1(salt, name));
}

bool known_host_names_match(const KnownHostEntry& entry, std::string_view name) {
    if (entry.hashed)
        return !entry.salt.empty() && hash_known_host_name(entry.salt, name) == entry.hosts;
    return match_pattern_list(name, entry.hosts) == 1;
}

bool known_host_entry_matches(const KnownHostEntry& entry, std::string_view host, int port) {
    return entry.error.empty() && entry.key &&
           known_host_names_match(entry, known_hosts_name(host, port));
}

KnownHostsLookup find_known_hosts(const KnownHosts& known_hosts, std::string_view host, int port) {
    KnownHostsLookup lookup;
    auto collect = [&](const std::string& name) {
        lookup.name = name;
        for (const auto& entry : known_hosts.entries)
            if (entry.error.empty() && entry.key && known_host_names_match(entry, name))
                lookup.entries.push_back(&entry);
    };
    collect(known_hosts_name(host, port));
    if (lookup.entries.empty() && port != 0 && port != 22) {
        collect(known_hosts_name(host, 0));
        lookup.without_port = !lookup.entries.empty();
    }
    return lookup;
}

std::vector<const KnownHostEntry*> lookup_known_hosts(const KnownHosts& known_hosts,
                                                      std::string_view host, int port) {
    return find_known_hosts(known_hosts, host, port).entries;
}

}  // namespace nbd::parse
