// parse_sshd_config(): sshd_config text to items, with Include followed in place and each line
// checked the way OpenSSH 9.2's servconf.c checks it when sshd starts (`sshd -t`), with its
// messages.
#include "nix_builder_doctor/parse/sshd_config.hpp"

#include <algorithm>
#include <map>

#include "nix_builder_doctor/util/strings.hpp"
#include "keyword_suggester.hpp"
#include "ssh_include.hpp"

namespace nbd::parse {

namespace {

struct NewerKeyword {
    std::string_view name;
    std::string_view version;
};
constexpr NewerKeyword kNewerKeywords[] = {
    {"persourcepenalties", "9.8"}, {"persourcepenaltyexemptlist", "9.8"},
    {"sshdsessionpath", "9.8"},    {"refuseconnection", "9.9"},
    {"sshdauthpath", "10.0"},
};


bool is_one_of(std::string_view word, std::initializer_list<std::string_view> list) {
    return std::find(list.begin(), list.end(), word) != list.end();
}

// sscanf(arg, "%d:%d:%d"): how many leading integers were converted.
int scan_ints(std::string_view s, long long out[3]) {
    int n = 0;
    std::size_t i = 0;
    while (n < 3) {
        if (n > 0) {
            if (i >= s.size() || s[i] != ':') break;
            ++i;
        }
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        bool negative = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
        const std::size_t start = i;
        long long value = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (value < 100000000000LL) value = value * 10 + (s[i] - '0');
            ++i;
        }
        if (i == start) break;
        out[n++] = negative ? -value : value;
    }
    return n;
}

struct Parser {
    Parser(const IncludeSource& src, SshdConfig& config) : source(src), out(config) {}

    const IncludeSource& source;
    SshdConfig& out;
    std::vector<std::string> stack;
    IncludeBudget budget;  // included files and bytes, over the whole parse
    KeywordSuggester keywords{sshd_keywords()};  // did-you-mean

    void error(const SshDirective& d, std::string message) {
        out.diagnostics.push_back({d.file, d.line, std::move(message)});
    }
    void note(const SshDirective& d, std::string message) {
        out.notes.push_back({d.file, d.line, std::move(message)});
    }

    // `active` is sshd's *activep while it first reads the files (no connection yet): the
    // global section and `Match all` are active, other Match blocks are not.
    void parse_text(std::string_view text, const std::string& file, int depth, bool& active,
                    bool never_match);
    void parse_match(SshdConfigItem& item);
    void handle_include(const SshDirective& d, int depth, bool& active, bool never_match);
    void check_value(const SshDirective& d, const std::string& keyword);
};

void Parser::parse_text(std::string_view text, const std::string& file, int depth, bool& active,
                        bool never_match) {
    auto lexed = lex_ssh_config(text, file);
    for (auto& diag : lexed.diagnostics) out.diagnostics.push_back(std::move(diag));
    for (auto& d : lexed.directives) {
        SshdConfigItem item;
        const SshdKeywordInfo* info = sshd_keyword_info(d.keyword);
        if (!info) {
            item.known = false;
            item.keyword = d.keyword;
            std::string message = "Bad configuration option: " + d.keyword_as_written;
            const auto newer =
                std::find_if(std::begin(kNewerKeywords), std::end(kNewerKeywords),
                             [&](const NewerKeyword& n) { return n.name == d.keyword; });
            if (newer != std::end(kNewerKeywords)) {
                message += " (known to OpenSSH " + std::string(newer->version) + " and later)";
            } else if (auto guess = keywords.suggest(d.keyword)) {
                message += " (did you mean " + *guess + "?)";
            }
            error(d, std::move(message));
            item.directive = std::move(d);
            out.items.push_back(std::move(item));
            continue;
        }
        item.keyword = std::string(info->canonical);
        item.match_allowed = info->match_allowed;
        if (item.keyword == "include") {
            handle_include(d, depth, active, never_match);
            continue;
        }
        if (item.keyword == "match") {
            item.kind = SshdConfigItemKind::match;
            item.directive = std::move(d);
            parse_match(item);
            // Without a connection only `Match all` is active.
            const bool all =
                item.match_valid && !item.criteria.empty() && item.criteria.front().name == "all";
            active = !never_match && all;
            out.items.push_back(std::move(item));
            continue;
        }
        if (!active && !info->match_allowed)
            error(d,
                  "Directive '" + d.keyword_as_written + "' is not allowed within a Match block");
        switch (info->status) {
            case SshdKeywordStatus::active:
                check_value(d, item.keyword);
                break;
            case SshdKeywordStatus::deprecated:
                note(d, "Deprecated option " + d.keyword_as_written);
                break;
            case SshdKeywordStatus::unsupported:
                note(d, "Unsupported option " + d.keyword_as_written);
                break;
            case SshdKeywordStatus::ignored:
                break;
        }
        item.directive = std::move(d);
        out.items.push_back(std::move(item));
    }
}

void Parser::parse_match(SshdConfigItem& item) {
    const auto tokens = ssh_strdelim_split(item.directive.rest);
    int attributes = 0;
    std::string problem;
    std::size_t i = 0;
    while (i < tokens.size() && problem.empty()) {
        const std::string& attrib = tokens[i++];
        if (attrib.front() == '#') break;
        ++attributes;
        SshdMatchCriterion c;
        c.name = util::to_lower(attrib);
        if (c.name == "all") {
            if (attributes > 1 || (i < tokens.size() && tokens[i].front() != '#'))
                problem = "'all' cannot be combined with other Match attributes";
            else
                item.criteria.push_back(std::move(c));
            break;
        }
        if (c.name == "invalid-user") {
            note(item.directive,
                 "Match Invalid-User needs OpenSSH 9.9 or later (older sshd stops: Unsupported "
                 "Match attribute)");
            item.criteria.push_back(std::move(c));
            continue;
        }
        if (i >= tokens.size() || tokens[i].front() == '#') {
            problem = "Missing Match criteria for " + attrib;
            break;
        }
        c.argument = tokens[i++];
        if (c.name == "address" || c.name == "localaddress") {
            if (ssh_addr_match_list(std::nullopt, c.argument) != 0) {
                error(item.directive, "Invalid Match " + c.name + " argument '" + c.argument + "'");
                item.match_valid = false;
                return;
            }
        } else if (c.name == "localport") {
            if (!ssh_parse_port(c.argument)) {
                problem = "Invalid LocalPort '" + c.argument + "' on Match line";
                break;
            }
        } else if (c.name == "version") {
            note(item.directive,
                 "Match Version needs OpenSSH 10.0 or later (older sshd stops: Unsupported Match "
                 "attribute)");
        } else if (!is_one_of(c.name, {"user", "group", "host", "rdomain"})) {
            problem = "Unsupported Match attribute " + attrib;
            break;
        }
        item.criteria.push_back(std::move(c));
    }
    if (problem.empty() && attributes == 0) problem = "One or more attributes required for Match";
    if (!problem.empty()) {
        item.match_valid = false;
        error(item.directive, "Bad Match condition: " + problem);
    }
}

void Parser::handle_include(const SshDirective& d, int depth, bool& active, bool never_match) {
    if (d.args.empty()) return error(d, d.keyword_as_written + " missing filename argument");
    for (const auto& arg : d.args) {
        if (arg.empty()) return error(d, "keyword " + d.keyword_as_written + " empty argument");
        if (arg.front() == '~') {
            note(d, "Include " + arg + ": sshd does not expand ~ here; not followed");
            continue;
        }
        const std::string pattern = arg.front() == '/' ? arg : "/etc/ssh/" + arg;
        if (!source.glob || !source.read) {
            note(d, "Include " + pattern + " not followed (no file access)");
            continue;
        }
        // An included file cannot change the including file's Match state.
        const bool outer_active = active;
        for (const auto& path : source.glob(pattern)) {
            auto step = read_included_file(source, budget, path, depth, stack, d, {true, ""},
                                           {out.diagnostics, out.notes, out.limits});
            if (step.next == IncludeStep::Next::stop) return;
            if (step.next == IncludeStep::Next::skip) continue;
            out.included_files.push_back(path);
            SshdConfigItem begin;
            begin.kind = SshdConfigItemKind::include_begin;
            begin.keyword = "include";
            begin.directive = d;
            begin.included_file = path;
            out.items.push_back(begin);
            stack.push_back(path);
            parse_text(step.text, path, depth + 1, active, never_match || !outer_active);
            stack.pop_back();
            active = outer_active;
            begin.kind = SshdConfigItemKind::include_end;
            out.items.push_back(std::move(begin));
        }
    }
}

void Parser::check_value(const SshDirective& d, const std::string& kw) {
    const auto& args = d.args;
    const std::string& name = d.keyword_as_written;
    const std::string first = args.empty() ? std::string() : args.front();
    std::size_t max_args = 1;
    if (kw == "port") {
        if (first.empty()) return error(d, "missing port number.");
        const auto port = ssh_parse_port(first);
        if (!port || *port <= 0) return error(d, "Badly formatted port number.");
    } else if (kw == "listenaddress") {
        if (first.empty()) return error(d, "missing address");
        const auto colon = first.find(':');
        const bool bare_ipv6 = first.find('[') == std::string::npos && colon != std::string::npos &&
                               first.find(':', colon + 1) != std::string::npos;
        if (!bare_ipv6) {
            std::optional<std::string> port;
            if (first.front() == '[') {
                const auto close = first.find(']');
                if (close == std::string::npos ||
                    (close + 1 < first.size() && first[close + 1] != ':'))
                    return error(d, "bad address:port usage");
                if (close + 1 < first.size()) port = first.substr(close + 2);
            } else if (colon != std::string::npos) {
                port = first.substr(colon + 1);
            }
            if (port) {
                const auto p = ssh_parse_port(*port);
                if (!p || *p <= 0) return error(d, "bad port number");
            }
        }
        max_args = 3;
        if (args.size() > 1 && (args[1] != "rdomain" || args.size() < 3))
            return error(d, "bad ListenAddress syntax");
    } else if (is_one_of(kw, {"pubkeyauthentication", "passwordauthentication",
                              "kbdinteractiveauthentication", "strictmodes", "usepam", "usedns",
                              "permitemptypasswords", "hostbasedauthentication", "x11forwarding",
                              "allowagentforwarding", "printmotd", "tcpkeepalive",
                              "gssapiauthentication", "kerberosauthentication", "permittty",
                              "permituserrc", "disableforwarding", "exposeauthinfo"})) {
        if (first.empty()) return error(d, "missing argument.");
        if (!is_one_of(util::to_lower(first), {"yes", "no"}))
            return error(d, "unsupported option \"" + first + "\".");
    } else if (kw == "permitrootlogin") {
        if (first.empty()) return error(d, "missing argument.");
        if (!is_one_of(util::to_lower(first), {"yes", "no", "without-password", "prohibit-password",
                                               "forced-commands-only"}))
            return error(d, "unsupported option \"" + first + "\".");
    } else if (kw == "maxauthtries" || kw == "maxsessions") {
        if (first.empty()) return error(d, name + " integer value missing.");
        if (first.front() == '-' && util::parse_unsigned(first.substr(1)))
            return error(d, name + " integer value too small.");
        const auto value = util::parse_unsigned(first.front() == '+' ? first.substr(1) : first);
        if (!value) return error(d, name + " integer value invalid.");
        if (*value > 2147483647ULL) return error(d, name + " integer value too large.");
    } else if (kw == "maxstartups") {
        if (first.empty()) return error(d, name + " missing argument.");
        long long v[3] = {0, 0, 0};
        const int n = scan_ints(first, v);
        bool bad = false;
        if (n == 3)
            bad = v[0] > v[2] || v[1] > 100 || v[1] < 1;
        else if (n != 1)
            bad = true;
        else
            v[2] = v[0];
        if (bad || v[2] <= 0 || v[0] <= 0) return error(d, "Invalid " + name + " spec.");
    } else if (kw == "pubkeyacceptedalgorithms" || kw == "hostbasedacceptedalgorithms" ||
               kw == "casignaturealgorithms" || kw == "hostkeyalgorithms") {
        if (first.empty()) return error(d, "Missing argument.");
        if (first.front() != '-') {
            const std::string_view names = first.front() == '+' || first.front() == '^'
                                               ? std::string_view(first).substr(1)
                                               : std::string_view(first);
            bool valid = !names.empty();
            for (const auto& n : util::split_fields(names, ',')) {
                if (n.empty()) break;
                bool known = false;
                for (const auto& alg : sshd_known_pubkey_algorithms())
                    if (ssh_match_pattern_list(alg, n, false) != 0) known = true;
                if (!known) valid = false;
            }
            if (!valid) return error(d, "Bad key types '" + first + "'.");
        }
    } else if (kw == "authorizedkeysfile") {
        max_args = args.size();
        for (const auto& a : args)
            if (a.empty()) return error(d, "keyword " + name + " empty argument");
    } else if (kw == "authorizedkeyscommand" || kw == "authorizedprincipalscommand") {
        max_args = args.size();
        if (d.rest.front() != '/' && util::to_lower(d.rest) != "none")
            return error(d, name + " must be an absolute path");
    } else if (kw == "forcecommand") {
        max_args = args.size();
    } else if (kw == "acceptenv") {
        max_args = args.size();
        for (const auto& a : args)
            if (a.empty() || a.find('=') != std::string::npos)
                return error(d, "Invalid environment name.");
    } else if (kw == "setenv") {
        max_args = args.size();
        for (const auto& a : args)
            if (a.empty() || a.find('=') == std::string::npos)
                return error(d, "Invalid environment.");
    } else if (kw == "allowusers" || kw == "denyusers") {
        max_args = args.size();
        for (const auto& a : args)
            if (a.empty() || ssh_match_user(std::nullopt, std::nullopt, std::nullopt, a) == -1)
                return error(d, "invalid " + name + " pattern: \"" + a + "\"");
    } else if (kw == "allowgroups" || kw == "denygroups") {
        max_args = args.size();
        for (const auto& a : args)
            if (a.empty()) return error(d, "empty " + name + " pattern");
    } else if (kw == "permituserenvironment" || kw == "authorizedkeyscommanduser" ||
               kw == "chrootdirectory") {
        if (first.empty()) return error(d, name + " missing argument.");
    } else if (kw == "hostkey") {
        if (first.empty()) return error(d, "missing file name.");
    } else if (kw == "authenticationmethods") {
        max_args = args.size();
    } else {
        return;  // other keywords: their values are not modelled
    }
    if (args.size() > max_args) error(d, "keyword " + name + " extra arguments at end of line");
}

}  // namespace

SshdConfig parse_sshd_config(std::string_view text, const std::string& file,
                             const IncludeSource& includes) {
    SshdConfig config;
    config.file = file;
    Parser parser(includes, config);
    parser.stack.push_back(file);
    bool active = true;
    parser.parse_text(text, file, 0, active, false);
    return config;
}

}  // namespace nbd::parse
