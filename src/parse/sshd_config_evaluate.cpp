// evaluate_sshd_config(): the configuration OpenSSH 9.2's sshd uses for one connection. First
// pass (servconf.c parse_server_config without connection): the global values, first one wins.
// Second pass (parse_server_match_config): the files again with only matching Match blocks
// active (SSHCFG_MATCH_ONLY), into a fresh set whose values then override the global ones
// (copy_set_server_options).
#include <map>
#include <set>

#include "nix_builder_doctor/parse/sshd_config.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {

namespace {

struct Stored {
    std::vector<std::string> args;
    std::string rest;
    SshOrigin origin;
};

struct MaxStartups {
    long long start = -1, rate = -1, full = -1;
    SshOrigin origin;
};

// What one pass collected.
struct OptionSet {
    std::map<std::string, Stored> first;               // first value wins
    std::map<std::string, std::vector<Stored>> lists;  // every line adds
    std::optional<MaxStartups> max_startups;           // every line overwrites
};

bool accumulates(const std::string& kw) {
    static const std::set<std::string> keywords = {
        "port",      "listenaddress", "hostkey",    "hostcertificate", "allowusers",
        "denyusers", "allowgroups",   "denygroups", "acceptenv",       "subsystem"};
    return keywords.count(kw) > 0;
}

// Keywords whose argument is the raw rest of the line.
bool takes_rest(const std::string& kw) {
    return kw == "forcecommand" || kw == "authorizedkeyscommand" ||
           kw == "authorizedprincipalscommand" || kw == "versionaddendum";
}

int scan_ints(std::string_view s, long long out[3]) {
    int n = 0;
    std::size_t i = 0;
    while (n < 3) {
        if (n > 0) {
            if (i >= s.size() || s[i] != ':') break;
            ++i;
        }
        const std::size_t start = i;
        long long value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (value < 100000000000LL) value = value * 10 + (s[i] - '0');
            ++i;
        }
        if (i == start) break;
        out[n++] = value;
    }
    return n;
}

class Pass {
  public:
    // `version` is the server's own (SSH_RELEASE), known even before a connection.
    Pass(const SshdConfig& config, const SshdMatchContext* context, std::string version,
         SshdEffective& out)
        : m_config(config), m_context(context), m_version(std::move(version)), m_out(out) {}

    OptionSet run() {
        // Without a connection the global section is active; with one, nothing is until a
        // matching Match line (SSHCFG_MATCH_ONLY until the first Match of each file).
        bool active = m_context == nullptr;
        bool match_only = m_context != nullptr;
        bool never_match = false;
        struct Frame {
            bool active, match_only, never_match;
        };
        std::vector<Frame> frames;
        for (const auto& item : m_config.items) {
            switch (item.kind) {
                case SshdConfigItemKind::include_begin:
                    frames.push_back({active, match_only, never_match});
                    if (!match_only) never_match = never_match || !active;
                    break;
                case SshdConfigItemKind::include_end:
                    if (!frames.empty()) {
                        active = frames.back().active;
                        match_only = frames.back().match_only;
                        never_match = frames.back().never_match;
                        frames.pop_back();
                    }
                    break;
                case SshdConfigItemKind::match: {
                    const bool matched = evaluate(item, never_match ? nullptr : m_context);
                    active = !never_match && matched;
                    match_only = false;
                    if (active && m_context)
                        m_out.applied_match_blocks.push_back(
                            {item.directive.file, item.directive.line,
                             item.directive.keyword_as_written + " " + item.directive.rest});
                    break;
                }
                case SshdConfigItemKind::option:
                    if (!item.known) break;
                    if (!active) break;  // inactive, or a global directive already handled
                    apply(item);
                    break;
            }
        }
        return std::move(m_set);
    }

  private:
    void missing(const SshdConfigItem& item, const std::string& criterion,
                 const std::string& datum) {
        const std::string message = "Match " + criterion + " not evaluated: no " + datum +
                                    " given for the connection; taken as not matching";
        if (!m_noted
                 .insert(item.directive.file + '\n' + std::to_string(item.directive.line) + '\n' +
                         message)
                 .second)
            return;
        m_out.notes.push_back({item.directive.file, item.directive.line, message});
    }

    bool evaluate(const SshdConfigItem& item, const SshdMatchContext* ci) {
        if (!item.match_valid) return false;
        bool result = true;
        for (const auto& c : item.criteria) {
            if (c.name == "all") return true;
            if (c.name == "version") {
                if (ssh_match_pattern_list(m_version, c.argument, false) != 1) result = false;
                continue;
            }
            if (!ci) {
                result = false;
                continue;
            }
            if (c.name == "invalid-user") {
                if (!ci->user_invalid) result = false;
            } else if (c.name == "user") {
                if (!ci->user) {
                    missing(item, "User", "user");
                    result = false;
                } else if (ssh_match_pattern_list(*ci->user, c.argument, false) != 1) {
                    result = false;
                }
            } else if (c.name == "group") {
                if (!ci->user) {
                    missing(item, "Group", "user");
                    result = false;
                    continue;
                }
                bool found = false;
                bool negated = false;
                for (const auto& g : ci->groups) {
                    const int r = ssh_match_pattern_list(g, c.argument, false);
                    if (r == -1) negated = true;
                    if (r == 1) found = true;
                }
                if (ci->user_invalid || negated || !found) result = false;
            } else if (c.name == "host") {
                if (!ci->host) {
                    missing(item, "Host", "host name");
                    result = false;
                } else if (ssh_match_hostname(*ci->host, c.argument) != 1) {
                    result = false;
                }
            } else if (c.name == "address" || c.name == "localaddress") {
                const auto& addr = c.name == "address" ? ci->address : ci->local_address;
                if (!addr) {
                    missing(item, c.name == "address" ? "Address" : "LocalAddress",
                            c.name == "address" ? "address" : "local address");
                    result = false;
                } else if (ssh_addr_match_list(*addr, c.argument) != 1) {
                    result = false;
                }
            } else if (c.name == "localport") {
                const auto port = ssh_parse_port(c.argument);
                if (!ci->local_port) {
                    missing(item, "LocalPort", "local port");
                    result = false;
                } else if (!port || *port != *ci->local_port) {
                    result = false;
                }
            } else if (c.name == "rdomain") {
                if (!ci->rdomain) {
                    missing(item, "RDomain", "routing domain");
                    result = false;
                } else if (ssh_match_pattern_list(*ci->rdomain, c.argument, false) != 1) {
                    result = false;
                }
            } else {
                result = false;
            }
        }
        return result;
    }

    void apply(const SshdConfigItem& item) {
        const std::string& kw = item.keyword;
        const SshDirective& d = item.directive;
        const SshOrigin origin{d.file, d.line};
        if (kw == "maxstartups") {
            if (d.args.empty()) return;
            long long v[3] = {0, 0, 0};
            const int n = scan_ints(d.args.front(), v);
            MaxStartups m = m_set.max_startups.value_or(MaxStartups{});
            if (n == 3) {
                m.start = v[0];
                m.rate = v[1];
                m.full = v[2];
            } else if (n == 1) {
                m.start = m.full = v[0];  // the rate keeps whatever an earlier line set
            } else {
                return;
            }
            m.origin = origin;
            m_set.max_startups = m;
            return;
        }
        if (accumulates(kw)) {
            m_set.lists[kw].push_back({d.args, d.rest, origin});
            return;
        }
        if (m_set.first.count(kw)) return;
        if (!takes_rest(kw) && d.args.empty()) return;
        m_set.first[kw] = {d.args, d.rest, origin};
    }

    const SshdConfig& m_config;
    const SshdMatchContext* m_context;
    std::string m_version;
    SshdEffective& m_out;
    OptionSet m_set;
    std::set<std::string> m_noted;
};

class Builder {
  public:
    Builder(const SshdConfig& config, const OptionSet& global, const OptionSet& match,
            SshdEffective& out)
        : m_config(config), m_global(global), m_match(match), m_out(out) {}

    // The value sshd ends with: a matching Match block's if it may be set in Match, else the
    // global one.
    const Stored* find(const std::string& kw) const {
        const SshdKeywordInfo* info = sshd_keyword_info(kw);
        if (info && info->match_allowed) {
            if (const auto it = m_match.first.find(kw); it != m_match.first.end())
                return &it->second;
        }
        if (const auto it = m_global.first.find(kw); it != m_global.first.end()) return &it->second;
        return nullptr;
    }

    SshSetting scalar(const std::string& kw, const std::string& default_value) const {
        SshSetting s;
        s.value = default_value;
        if (const Stored* v = find(kw)) {
            s.set = true;
            s.as_written = takes_rest(kw) ? v->rest : v->args.front();
            s.value = s.as_written;
            s.origin = v->origin;
        }
        return s;
    }

    SshSetting flag(const std::string& kw, const std::string& default_value) const {
        SshSetting s = scalar(kw, default_value);
        s.value = util::to_lower(s.value);
        return s;
    }

    std::vector<SshListEntry> list(const std::string& kw, bool match_may_replace) const {
        const std::vector<Stored>* lines = nullptr;
        if (match_may_replace) {
            if (const auto it = m_match.lists.find(kw);
                it != m_match.lists.end() && !it->second.empty())
                lines = &it->second;
        }
        if (!lines) {
            if (const auto it = m_global.lists.find(kw); it != m_global.lists.end())
                lines = &it->second;
        }
        std::vector<SshListEntry> out;
        if (!lines) return out;
        for (const auto& line : *lines)
            for (const auto& arg : line.args) out.push_back({arg, line.origin});
        return out;
    }

    SshListSetting whole_list(const std::string& kw, std::vector<std::string> defaults) const {
        SshListSetting s;
        s.values = std::move(defaults);
        if (const Stored* v = find(kw)) {
            s.set = true;
            s.values = v->args;
            s.origin = v->origin;
        }
        return s;
    }

    void build();

  private:
    const SshdConfig& m_config;
    const OptionSet& m_global;
    const OptionSet& m_match;
    SshdEffective& m_out;
};

void Builder::build() {
    SshdEffective& e = m_out;
    e.pubkey_authentication = flag("pubkeyauthentication", "yes");
    e.password_authentication = flag("passwordauthentication", "yes");
    e.kbd_interactive_authentication = flag("kbdinteractiveauthentication", "yes");
    e.permit_root_login = flag("permitrootlogin", "prohibit-password");
    if (e.permit_root_login.value == "without-password")
        e.permit_root_login.value = "prohibit-password";
    e.authorized_keys_files =
        whole_list("authorizedkeysfile", {".ssh/authorized_keys", ".ssh/authorized_keys2"});
    e.authorized_keys_command = scalar("authorizedkeyscommand", "none");
    e.authorized_keys_command_user = scalar("authorizedkeyscommanduser", "none");
    e.strict_modes = flag("strictmodes", "yes");
    e.allow_users = list("allowusers", true);
    e.deny_users = list("denyusers", true);
    e.allow_groups = list("allowgroups", true);
    e.deny_groups = list("denygroups", true);
    e.accept_env = list("acceptenv", true);
    e.ports = list("port", false);
    if (e.ports.empty()) e.ports.push_back({"22", {}});
    e.listen_addresses = list("listenaddress", false);
    e.host_keys = list("hostkey", false);
    if (m_global.max_startups) {
        const MaxStartups& m = *m_global.max_startups;
        e.max_startups.set = true;
        e.max_startups.origin = m.origin;
        e.max_startups.start = static_cast<int>(m.start);
        e.max_startups.full = static_cast<int>(m.full);
        e.max_startups.rate = m.rate < 0 ? 30 : static_cast<int>(m.rate);
    }
    e.max_sessions = scalar("maxsessions", "10");
    e.max_auth_tries = scalar("maxauthtries", "6");
    for (SshSetting* number : {&e.max_sessions, &e.max_auth_tries}) {
        if (!number->set) continue;
        std::string_view digits = number->value;
        if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
        if (const auto v = util::parse_unsigned(digits)) number->value = std::to_string(*v);
    }

    e.pubkey_accepted_algorithms = scalar("pubkeyacceptedalgorithms", "");
    std::string error;
    auto algorithms =
        sshd_assemble_pubkey_algorithms(e.pubkey_accepted_algorithms.as_written, &error);
    if (!algorithms) {
        e.notes.push_back({e.pubkey_accepted_algorithms.origin.file,
                           e.pubkey_accepted_algorithms.origin.line,
                           "PubkeyAcceptedAlgorithms: " + error + " (sshd stops)"});
        algorithms = sshd_default_pubkey_algorithms();
    }
    e.pubkey_accepted_algorithm_list = *algorithms;
    e.pubkey_accepted_algorithms.value = util::join(*algorithms, ",");

    e.permit_user_environment = scalar("permituserenvironment", "no");
    e.set_env = whole_list("setenv", {});
    {
        // Later duplicates of a name in the one effective SetEnv line are ignored.
        std::vector<std::string> unique;
        std::set<std::string> names;
        for (const auto& v : e.set_env.values)
            if (names.insert(v.substr(0, v.find('='))).second) unique.push_back(v);
        e.set_env.values = std::move(unique);
    }
    e.force_command = scalar("forcecommand", "");
    if (util::to_lower(e.force_command.value) == "none") e.force_command.value.clear();
    e.chroot_directory = scalar("chrootdirectory", "");
    if (util::to_lower(e.chroot_directory.value) == "none") e.chroot_directory.value.clear();
    e.use_pam = flag("usepam", "no");
    e.use_dns = flag("usedns", "no");
    e.authentication_methods = scalar("authenticationmethods", "any");
    if (const Stored* v = find("authenticationmethods"))
        e.authentication_methods.value = util::join(v->args, " ");
    (void)m_config;
}

}  // namespace

SshdEffective evaluate_sshd_config(const SshdConfig& config, const SshdMatchContext& context) {
    SshdEffective out;
    const OptionSet global = Pass(config, nullptr, context.version, out).run();
    const OptionSet match = Pass(config, &context, context.version, out).run();
    Builder(config, global, match, out).build();
    return out;
}

}  // namespace nbd::parse
