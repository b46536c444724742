// evaluate_ssh_config(): what OpenSSH 9.2's ssh obtains from its configuration files for one
// destination (ssh.c process_config_files, readconf.c process_config_line_depth).
#include <openssl/evp.h>

#include <map>
#include <set>

#include "nix_builder_doctor/parse/ssh_config.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {

namespace {

const SshOrigin kCommandLine{"command line", 0};

struct Value {
    std::vector<std::string> args;
    std::string rest;
    SshOrigin origin;
};

struct Identity {
    std::string as_written;
    bool user_provided = false;
    SshOrigin origin;
};

std::string block_text(const SshDirective& d) { return d.keyword_as_written + " " + d.rest; }

std::string hex(const unsigned char* data, unsigned length) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < length; ++i) {
        out.push_back(digits[data[i] >> 4]);
        out.push_back(digits[data[i] & 15]);
    }
    return out;
}

// ssh_connection_hash(): hex SHA1 of local host name, remote host, port and remote user.
std::string connection_hash(const std::string& thishost, const std::string& host,
                            const std::string& port, const std::string& user) {
    const std::string message = thishost + host + port + user;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned length = 0;
    if (EVP_Digest(message.data(), message.size(), digest, &length, EVP_sha1(), nullptr) != 1)
        return {};
    return hex(digest, length);
}

// percent_expand(hostname, "h", host): only %h and %%; anything else stops ssh.
std::string expand_hostname(const std::string& value, const std::string& host, bool* complete) {
    std::string out;
    *complete = true;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '%') {
            out.push_back(value[i]);
        } else if (i + 1 < value.size() && value[i + 1] == '%') {
            out.push_back('%');
            ++i;
        } else if (i + 1 < value.size() && value[i + 1] == 'h') {
            out.append(host);
            ++i;
        } else {
            out.push_back('%');
            *complete = false;
        }
    }
    return out;
}

class Evaluator {
  public:
    Evaluator(const SshTarget& target, SshClientOptions& out) : m_target(target), m_out(out) {
        if (target.user) m_values["user"] = {{*target.user}, *target.user, kCommandLine};
        if (target.port) {
            const std::string port = std::to_string(*target.port);
            m_values["port"] = {{port}, port, kCommandLine};
        }
        for (const auto& path : target.identity_files) add_identity(path, true, kCommandLine);
    }

    void run_pass(const std::vector<const SshConfig*>& configs, bool final_pass) {
        m_final = final_pass;
        for (const SshConfig* config : configs) {
            if (!config) continue;
            run_file(*config);
        }
    }

    bool want_final_pass() const {
        if (m_want_final) return true;
        const auto it = m_values.find("canonicalizehostname");
        return it != m_values.end() && !it->second.args.empty() &&
               util::to_lower(it->second.args.front()) != "no" &&
               util::to_lower(it->second.args.front()) != "false";
    }

    // ssh.c: before the final pass the host becomes the (lower-cased) HostName.
    void prepare_final_pass() {
        m_host_for_blocks = final_hostname();
        m_hostname_fixed = true;
    }

    void finish();

  private:
    struct Frame {
        bool active;
        bool never_match;
    };

    void run_file(const SshConfig& config) {
        bool active = true;
        bool never_match = false;
        std::vector<Frame> frames;
        for (const auto& item : config.items) {
            switch (item.kind) {
                case SshConfigItemKind::include_begin:
                    frames.push_back({active, never_match});
                    if (!active) never_match = true;
                    break;
                case SshConfigItemKind::include_end:
                    if (!frames.empty()) {
                        active = frames.back().active;
                        never_match = frames.back().never_match;
                        frames.pop_back();
                    }
                    break;
                case SshConfigItemKind::host:
                    active = !never_match && host_matches(item);
                    if (active)
                        m_out.applied_blocks.push_back(
                            {item.directive.file, item.directive.line, block_text(item.directive)});
                    break;
                case SshConfigItemKind::match: {
                    const bool matched = match_matches(item);
                    active = !never_match && matched;
                    if (active)
                        m_out.applied_blocks.push_back(
                            {item.directive.file, item.directive.line, block_text(item.directive)});
                    break;
                }
                case SshConfigItemKind::option:
                    if (active && item.known) apply(item.directive, config.user_config);
                    break;
            }
        }
    }

    bool host_matches(const SshConfigItem& item) {
        bool active = false;
        std::vector<std::string> specific;
        for (const auto& p : item.host_patterns) {
            if (!ssh_match_pattern(m_host_for_blocks, p.pattern)) continue;
            if (p.negated) return false;
            active = true;
            if (p.pattern != "*") specific.push_back(p.pattern);
        }
        if (active && !specific.empty() && !m_final) {
            m_out.host_matched_specific_pattern = true;
            m_out.specific_host_matches.push_back(
                {item.directive.file, item.directive.line, "Host " + util::join(specific, " ")});
        }
        return active;
    }

    // The host name Match host compares: HostName so far, %h expanded (final pass: as fixed).
    std::string match_host() {
        if (m_final) return m_host_for_blocks;
        const auto it = m_values.find("hostname");
        if (it == m_values.end()) return m_target.host;
        bool complete = true;
        return expand_hostname(it->second.args.front(), m_target.host, &complete);
    }

    std::string remote_user() const {
        const auto it = m_values.find("user");
        return it == m_values.end() ? m_target.local_user : it->second.args.front();
    }

    bool match_matches(const SshConfigItem& item) {
        if (!item.match_valid) return false;
        bool result = true;
        for (const auto& c : item.criteria) {
            if (c.name == "final" && !m_final) m_want_final = true;
        }
        for (const auto& c : item.criteria) {
            bool r = false;
            if (c.name == "all") {
                if (result) result = !c.negated;
                return result;
            }
            if (c.name == "canonical" || c.name == "final") {
                r = m_final;
            } else if (c.name == "host") {
                r = ssh_match_hostname(match_host(), c.argument) == 1;
            } else if (c.name == "originalhost") {
                r = ssh_match_hostname(m_target.host, c.argument) == 1;
            } else if (c.name == "user") {
                r = ssh_match_pattern_list(remote_user(), c.argument, false) == 1;
            } else if (c.name == "localuser") {
                r = ssh_match_pattern_list(m_target.local_user, c.argument, false) == 1;
            } else if (c.name == "exec") {
                if (!result) continue;  // ssh skips the command once an earlier criterion failed
                m_out.match_exec_seen = true;
                add_note(item.directive.file, item.directive.line,
                         "Match exec \"" + c.argument + "\" was not run (the doctor runs no commands); taken as " +
                             (m_target.assume_match_exec ? "matching" : "not matching") +
                             ", and its settings as possibly in effect");
                r = m_target.assume_match_exec;
            }
            if (r == c.negated) result = false;
        }
        return result;
    }

    void add_note(const std::string& file, int line, std::string message) {
        if (!m_noted.insert(file + '\n' + std::to_string(line) + '\n' + message).second) return;
        m_out.notes.push_back({file, line, std::move(message)});
    }

    void add_identity(const std::string& path, bool user_provided, const SshOrigin& origin) {
        for (const auto& id : m_identities)
            if (id.user_provided == user_provided && id.as_written == path) return;
        if (m_identities.size() >= 100) {
            add_note(origin.file, origin.line, "Too many identity files specified (max 100).");
            return;
        }
        m_identities.push_back({path, user_provided, origin});
    }

    void apply(const SshDirective& d, bool user_config) {
        std::string kw = d.keyword;
        if (kw == "identityfile2") kw = "identityfile";
        if (d.args.empty() && kw != "proxycommand") return;
        const SshOrigin origin{d.file, d.line};
        if (kw == "identityfile") {
            if (!d.args.front().empty()) add_identity(d.args.front(), user_config, origin);
            return;
        }
        if (kw == "proxycommand" || kw == "proxyjump") {
            // ProxyCommand is ignored once ProxyJump is set and vice versa: one slot.
            if (m_values.count("proxy")) return;
            std::string spec =
                d.rest.substr(std::min(d.rest.size(), d.rest.find_first_not_of(" \t\r\n=")));
            if (kw == "proxyjump") {
                if (const auto hash = spec.find('#'); hash != std::string::npos) spec.erase(hash);
                spec = std::string(util::trim(spec));
            }
            m_values["proxy"] = {{kw}, spec, origin};
            return;
        }
        if (kw == "hostname" && m_hostname_fixed) return;
        if (m_values.count(kw)) return;
        m_values[kw] = {d.args, d.rest, origin};
    }

    std::string final_hostname() {
        std::string host = m_target.host;
        const auto it = m_values.find("hostname");
        if (it != m_values.end()) {
            bool complete = true;
            host = expand_hostname(it->second.args.front(), m_target.host, &complete);
            if (!complete)
                add_note(it->second.origin.file, it->second.origin.line,
                         "HostName " + it->second.args.front() +
                             " has a %-token ssh does not know there (ssh stops: percent_expand: "
                             "unknown key)");
        }
        if (!ssh_is_address(host)) host = util::to_lower(host);
        return host;
    }

    SshSetting setting(const std::string& kw, const std::string& default_value) const {
        SshSetting s;
        const auto it = m_values.find(kw);
        if (it == m_values.end()) {
            s.value = default_value;
            return s;
        }
        s.set = true;
        s.as_written = it->second.args.empty() ? it->second.rest : it->second.args.front();
        s.value = s.as_written;
        s.origin = it->second.origin;
        return s;
    }

    // Map a multistate argument to its canonical spelling.
    SshSetting choice(const std::string& kw, const std::string& default_value,
                      const std::map<std::string, std::string>& table) const {
        SshSetting s = setting(kw, default_value);
        if (s.set) {
            const auto it = table.find(util::to_lower(s.as_written));
            s.value = it == table.end() ? s.as_written : it->second;
        }
        return s;
    }

    const SshTarget& m_target;
    SshClientOptions& m_out;
    std::map<std::string, Value> m_values;
    std::vector<Identity> m_identities;
    std::set<std::string> m_noted;  // notes already given (both passes meet the same lines)
    std::string m_host_for_blocks = m_target.host;
    bool m_final = false;
    bool m_want_final = false;
    bool m_hostname_fixed = false;
};

void Evaluator::finish() {
    static const std::map<std::string, std::string> flag = {
        {"yes", "yes"}, {"true", "yes"}, {"no", "no"}, {"false", "no"}};
    static const std::map<std::string, std::string> strict = {{"yes", "yes"},
                                                              {"true", "yes"},
                                                              {"no", "no"},
                                                              {"false", "no"},
                                                              {"off", "no"},
                                                              {"ask", "ask"},
                                                              {"accept-new", "accept-new"}};
    static const std::map<std::string, std::string> master = {
        {"yes", "yes"},   {"true", "yes"}, {"no", "no"},          {"false", "no"},
        {"auto", "auto"}, {"ask", "ask"},  {"autoask", "autoask"}};
    static const std::map<std::string, std::string> canonical = {
        {"yes", "yes"}, {"true", "yes"}, {"no", "no"}, {"false", "no"}, {"always", "always"}};

    SshClientOptions& o = m_out;
    const std::string host = final_hostname();
    o.hostname = setting("hostname", host);
    if (o.hostname.set) o.hostname.value = host;
    o.user = setting("user", m_target.local_user);
    o.port = setting("port", "22");
    if (o.port.set) {
        if (const auto port = ssh_parse_port(o.port.as_written))
            o.port.value = std::to_string(*port);
    }
    o.identities_only = choice("identitiesonly", "no", flag);
    o.strict_host_key_checking = choice("stricthostkeychecking", "ask", strict);
    o.host_key_alias = setting("hostkeyalias", "");
    o.host_key_alias.value = util::to_lower(o.host_key_alias.value);
    o.check_host_ip = choice("checkhostip", "no", flag);
    {
        static const std::map<std::string, std::string> update = {
            {"yes", "yes"}, {"true", "yes"}, {"no", "no"}, {"false", "no"}, {"ask", "ask"}};
        o.update_host_keys = choice("updatehostkeys", "", update);
    }
    o.control_master = choice("controlmaster", "no", master);
    o.batch_mode = choice("batchmode", "no", flag);
    o.canonicalize_hostname = choice("canonicalizehostname", "no", canonical);
    o.connect_timeout = setting("connecttimeout", "none");
    if (o.connect_timeout.set && o.connect_timeout.as_written != "none") {
        if (const auto secs = ssh_parse_time(o.connect_timeout.as_written))
            o.connect_timeout.value = std::to_string(*secs);
    }
    if (const auto it = m_values.find("proxy"); it != m_values.end()) {
        SshSetting& target =
            it->second.args.front() == "proxyjump" ? o.proxy_jump : o.proxy_command;
        target.set = true;
        target.value = target.as_written = it->second.rest;
        target.origin = it->second.origin;
    }

    // The %-tokens of ssh.c's DEFAULT_CLIENT_PERCENT_EXPAND_ARGS.
    const std::string& remote_user = o.user.value;
    std::vector<SshExpansionToken> tokens = {
        {'d', m_target.local_home},
        {'h', host},
        {'k', o.host_key_alias.set ? o.host_key_alias.value : m_target.host},
        {'n', m_target.host},
        {'p', o.port.value},
        {'r', remote_user},
        {'u', m_target.local_user},
    };
    if (m_target.local_uid) tokens.push_back({'i', std::to_string(*m_target.local_uid)});
    if (m_target.local_hostname) {
        const std::string& thishost = *m_target.local_hostname;
        tokens.push_back({'l', thishost});
        tokens.push_back({'L', thishost.substr(0, thishost.find('.'))});
        tokens.push_back({'C', connection_hash(thishost, host, o.port.value, remote_user)});
    }
    const auto expand = [&](const std::string& path, bool* complete) {
        return ssh_expand_path(path, m_target.local_home, tokens, complete);
    };

    if (m_identities.empty()) {
        for (const char* name : {"id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk",
                                 "id_xmss", "id_dsa"}) {
            SshIdentityFile id;
            id.as_written = std::string("~/.ssh/") + name;
            id.path = expand(id.as_written, &id.fully_expanded);
            id.is_default = true;
            o.identity_files.push_back(std::move(id));
        }
    }
    for (const auto& identity : m_identities) {
        SshIdentityFile id;
        id.as_written = identity.as_written;
        id.path = expand(identity.as_written, &id.fully_expanded);
        id.origin = identity.origin;
        o.identity_files.push_back(std::move(id));
    }

    const auto list = [&](const std::string& kw, std::vector<std::string> defaults, bool percent) {
        SshListSetting s;
        const auto it = m_values.find(kw);
        std::vector<std::string> values = defaults;
        if (it != m_values.end()) {
            s.set = true;
            s.origin = it->second.origin;
            values = it->second.args;
        }
        for (auto& v : values) {
            if (util::to_lower(v) == "none") continue;
            bool complete = true;
            v = percent ? expand(v, &complete)
                        : ssh_expand_path(v, m_target.local_home, {}, &complete);
        }
        s.values = std::move(values);
        return s;
    };
    o.user_known_hosts_files =
        list("userknownhostsfile", {"~/.ssh/known_hosts", "~/.ssh/known_hosts2"}, true);
    o.global_known_hosts_files = list(
        "globalknownhostsfile", {"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}, false);

    for (SshSetting* path : {&o.control_path, &o.identity_agent}) {
        *path = setting(path == &o.control_path ? "controlpath" : "identityagent", "");
        if (path->set && util::to_lower(path->as_written) != "none") {
            bool complete = true;
            path->value = expand(path->as_written, &complete);
        }
    }
}

}  // namespace

std::string ssh_expand_path(std::string_view path, const std::string& home,
                            const std::vector<SshExpansionToken>& tokens, bool* complete) {
    bool ok = true;
    std::string out;
    std::string_view s = path;
    if (!s.empty() && s.front() == '~' && !home.empty()) {
        const std::string_view after = s.substr(1);
        if (after.empty() || after.front() == '/') {
            const auto rest = after.substr(std::min(after.size(), after.find_first_not_of('/')));
            out = home;
            if (out.back() != '/') out.push_back('/');
            s = rest;  // %-tokens are expanded after the tilde
        } else {
            ok = false;  // ~otheruser: their home is unknown here
        }
    }
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') {
            const auto close = s.find('}', i + 2);
            const std::size_t end = close == std::string_view::npos ? s.size() : close + 1;
            out.append(s.substr(i, end - i));  // the environment is not known here
            ok = false;
            i = end - 1;
            continue;
        }
        if (c != '%') {
            out.push_back(c);
            continue;
        }
        if (i + 1 >= s.size()) {
            out.push_back('%');
            ok = false;
            continue;
        }
        const char letter = s[++i];
        if (letter == '%') {
            out.push_back('%');
            continue;
        }
        bool found = false;
        for (const auto& t : tokens) {
            if (t.letter == letter) {
                out.append(t.value);
                found = true;
                break;
            }
        }
        if (!found) {
            out.push_back('%');
            out.push_back(letter);
            ok = false;
        }
    }
    if (complete) *complete = ok;
    return out;
}

SshClientOptions evaluate_ssh_config(const std::vector<const SshConfig*>& in_order,
                                     const SshTarget& target) {
    SshClientOptions out;
    Evaluator evaluator(target, out);
    evaluator.run_pass(in_order, false);
    if (evaluator.want_final_pass()) {
        out.final_pass = true;
        evaluator.prepare_final_pass();
        evaluator.run_pass(in_order, true);
    }
    evaluator.finish();
    return out;
}

}  // namespace nbd::parse
