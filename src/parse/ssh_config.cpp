// parse_ssh_config(): ssh_config text to items, with Include followed in place and each line
// checked the way OpenSSH 9.2's readconf.c checks it (the messages are ssh's own).
#include "nix_builder_doctor/parse/ssh_config.hpp"

#include <algorithm>
#include <map>

#include "nix_builder_doctor/util/strings.hpp"
#include "keyword_suggester.hpp"
#include "ssh_include.hpp"

namespace nbd::parse {

namespace {

// Keywords newer OpenSSH clients know; 9.2 stops on them.
struct NewerKeyword {
    std::string_view name;
    std::string_view version;
};
constexpr NewerKeyword kNewerClientKeywords[] = {
    {"tag", "9.4"},
    {"obscurekeystroketiming", "9.5"},
    {"channeltimeout", "9.6"},
    {"versionaddendum", "10.0"},
    {"refuseconnection", "10.1"},
    {"warnweakcrypto", "10.1"},
};
constexpr NewerKeyword kNewerMatchCriteria[] = {
    {"tagged", "9.4"},       {"localnetwork", "9.4"}, {"version", "10.0"},
    {"sessiontype", "10.0"}, {"command", "10.0"},
};

constexpr std::string_view kDeprecated[] = {"cipher",
                                            "fallbacktorsh",
                                            "globalknownhostsfile2",
                                            "rhostsauthentication",
                                            "userknownhostsfile2",
                                            "useroaming",
                                            "usersh",
                                            "useprivilegedport",
                                            "useblacklistedkeys",
                                            "protocol"};
constexpr std::string_view kUnsupported[] = {"afstokenpassing",         "kerberosauthentication",
                                             "kerberostgtpassing",      "rsaauthentication",
                                             "rhostsrsaauthentication", "compressionlevel"};


template <std::size_t N>
bool contains(const std::string_view (&list)[N], std::string_view word) {
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

struct Parser {
    Parser(const IncludeSource& src, std::string base, std::optional<std::string> home_dir,
           SshConfig& config)
        : source(src), base_dir(std::move(base)), home(std::move(home_dir)), out(config) {}

    const IncludeSource& source;
    std::string base_dir;
    std::optional<std::string> home;
    SshConfig& out;
    std::vector<std::string> stack;  // files being read, outermost first
    IncludeBudget budget;  // included files and bytes, over the whole parse
    KeywordSuggester keywords{ssh_client_keywords()};  // did-you-mean
    std::optional<std::string> ignore_unknown;  // the first IgnoreUnknown list seen

    void error(const SshDirective& d, std::string message) {
        out.diagnostics.push_back({d.file, d.line, std::move(message)});
    }
    void note(const SshDirective& d, std::string message) {
        out.notes.push_back({d.file, d.line, std::move(message)});
    }

    void parse_text(std::string_view text, const std::string& file, int depth);
    void handle_directive(SshDirective d, int depth);
    void handle_include(const SshDirective& d, int depth);
    void parse_host(SshConfigItem& item);
    void parse_match(SshConfigItem& item);
    void check_option(const SshDirective& d);
};

void Parser::parse_text(std::string_view text, const std::string& file, int depth) {
    auto lexed = lex_ssh_config(text, file);
    for (auto& diag : lexed.diagnostics) out.diagnostics.push_back(std::move(diag));
    for (auto& d : lexed.directives) handle_directive(std::move(d), depth);
}

void Parser::handle_directive(SshDirective d, int depth) {
    if (d.keyword == "include") {
        handle_include(d, depth);
        return;
    }
    SshConfigItem item;
    item.directive = std::move(d);
    const std::string& kw = item.directive.keyword;
    if (kw == "host") {
        item.kind = SshConfigItemKind::host;
        parse_host(item);
    } else if (kw == "match") {
        item.kind = SshConfigItemKind::match;
        parse_match(item);
    } else if (!is_ssh_client_keyword(kw)) {
        item.known = false;
        const bool ignored =
            ignore_unknown && ssh_match_pattern_list(kw, *ignore_unknown, true) == 1;
        if (!ignored) {
            std::string message = "Bad configuration option: " + kw;
            const auto newer =
                std::find_if(std::begin(kNewerClientKeywords), std::end(kNewerClientKeywords),
                             [&](const NewerKeyword& n) { return n.name == kw; });
            if (newer != std::end(kNewerClientKeywords)) {
                message += " (known to OpenSSH " + std::string(newer->version) + " and later)";
            } else if (auto guess = keywords.suggest(kw)) {
                message += " (did you mean " + *guess + "?)";
            }
            error(item.directive, std::move(message));
        }
    } else {
        if (kw == "ignoreunknown" && !ignore_unknown && !item.directive.args.empty())
            ignore_unknown = item.directive.args.front();
        check_option(item.directive);
    }
    out.items.push_back(std::move(item));
}

void Parser::parse_host(SshConfigItem& item) {
    for (const auto& arg : item.directive.args) {
        if (arg.empty()) {
            error(item.directive, "keyword host empty argument");
            item.host_patterns.clear();
            return;
        }
        SshHostPattern p;
        p.negated = arg.front() == '!';
        p.pattern = p.negated ? arg.substr(1) : arg;
        item.host_patterns.push_back(std::move(p));
    }
}

void Parser::parse_match(SshConfigItem& item) {
    // OpenSSH 9.2 reads Match criteria with strdelim() from the raw rest of the line.
    const auto tokens = ssh_strdelim_split(item.directive.rest);
    int attributes = 0;
    std::string problem;
    std::size_t i = 0;
    while (i < tokens.size() && problem.empty()) {
        const std::string& attrib = tokens[i++];
        if (attrib.front() == '#') break;
        SshMatchCriterion c;
        c.negated = attrib.front() == '!';
        c.name = util::to_lower(c.negated ? std::string_view(attrib).substr(1)
                                          : std::string_view(attrib));
        if (c.name == "all") {
            if (attributes > 1 || (i < tokens.size() && tokens[i].front() != '#')) {
                problem = "'" + attrib + "' cannot be combined with other Match attributes";
            } else {
                item.criteria.push_back(std::move(c));
            }
            attributes = -1;  // "all" ends the line; the attribute count no longer matters
            break;
        }
        ++attributes;
        if (c.name == "canonical" || c.name == "final") {
            item.criteria.push_back(std::move(c));
            continue;
        }
        const std::string bare = c.negated ? attrib.substr(1) : attrib;
        if (i >= tokens.size() || tokens[i].front() == '#') {
            problem = "Missing Match criteria for " + bare;
            break;
        }
        c.argument = tokens[i++];
        if (c.name == "host" || c.name == "originalhost" || c.name == "user" ||
            c.name == "localuser" || c.name == "exec") {
            item.criteria.push_back(std::move(c));
            continue;
        }
        problem = "Unsupported Match attribute " + bare;
        const auto newer =
            std::find_if(std::begin(kNewerMatchCriteria), std::end(kNewerMatchCriteria),
                         [&](const NewerKeyword& n) { return n.name == c.name; });
        if (newer != std::end(kNewerMatchCriteria))
            problem += " (known to OpenSSH " + std::string(newer->version) + " and later)";
    }
    if (problem.empty() && attributes == 0) problem = "One or more attributes required for Match";
    if (!problem.empty()) {
        item.match_valid = false;
        error(item.directive, "Bad Match condition: " + problem);
    }
}

void Parser::handle_include(const SshDirective& d, int depth) {
    // Arguments are handled in order: files of earlier ones are read before a bad one stops.
    for (const auto& arg : d.args) {
        if (arg.empty()) {
            error(d, "keyword include empty argument");
            return;
        }
        if (arg.front() == '~' && !out.user_config) {
            error(d, "bad include path " + arg + ".");
            return;
        }
        std::string pattern;
        if (arg.front() == '/') {
            pattern = arg;
        } else if (arg.front() != '~') {
            pattern = base_dir + "/" + arg;
        } else if ((arg == "~" || util::starts_with(arg, "~/")) && home) {
            const auto rest = arg.substr(std::min(arg.size(), arg.find_first_not_of('/', 1)));
            pattern = *home + (util::ends_with(*home, "/") ? "" : "/") + rest;
        } else {
            note(d, "cannot expand " + arg + " (another user's home); Include not followed");
            continue;
        }
        if (!source.glob || !source.read) {
            note(d, "Include " + pattern + " not followed (no file access)");
            continue;
        }
        for (const auto& path : source.glob(pattern)) {
            auto step = read_included_file(source, budget, path, depth, stack, d, {false, "Can't open user config file "},
                                           {out.diagnostics, out.notes, out.limits});
            if (step.next == IncludeStep::Next::stop) return;
            if (step.next == IncludeStep::Next::skip) continue;
            out.included_files.push_back(path);
            SshConfigItem begin;
            begin.kind = SshConfigItemKind::include_begin;
            begin.directive = d;
            begin.included_file = path;
            out.items.push_back(begin);
            stack.push_back(path);
            parse_text(step.text, path, depth + 1);
            stack.pop_back();
            begin.kind = SshConfigItemKind::include_end;
            out.items.push_back(std::move(begin));
        }
    }
}

bool valid_choice(std::string_view value, std::initializer_list<std::string_view> choices) {
    const std::string lower = util::to_lower(value);
    return std::find(choices.begin(), choices.end(), lower) != choices.end();
}

void Parser::check_option(const SshDirective& d) {
    const std::string& kw = d.keyword;
    const auto& args = d.args;
    if (contains(kDeprecated, kw)) return;
    if (contains(kUnsupported, kw)) {
        note(d, "Unsupported option \"" + kw + "\" (ssh prints this every time)");
        return;
    }
    std::size_t max_args = 1;
    const std::string first = args.empty() ? std::string() : args.front();
    if (kw == "port") {
        if (first.empty()) return error(d, "Missing argument.");
        const auto port = ssh_parse_port(first);
        if (!port || *port <= 0) return error(d, "Bad port '" + first + "'.");
    } else if (kw == "user" || kw == "hostname" || kw == "hostkeyalias" || kw == "identityfile" ||
               kw == "identityfile2" || kw == "controlpath" || kw == "identityagent") {
        if (first.empty()) return error(d, "Missing argument.");
    } else if (kw == "identitiesonly" || kw == "checkhostip" || kw == "batchmode") {
        if (!valid_choice(first, {"yes", "no", "true", "false"}))
            return error(d, "unsupported option \"" + first + "\".");
    } else if (kw == "stricthostkeychecking") {
        if (!valid_choice(first, {"yes", "no", "true", "false", "ask", "off", "accept-new"}))
            return error(d, "unsupported option \"" + first + "\".");
    } else if (kw == "controlmaster") {
        if (!valid_choice(first, {"yes", "no", "true", "false", "auto", "ask", "autoask"}))
            return error(d, "unsupported option \"" + first + "\".");
    } else if (kw == "canonicalizehostname") {
        if (!valid_choice(first, {"yes", "no", "true", "false", "always"}))
            return error(d, "unsupported option \"" + first + "\".");
    } else if (kw == "connecttimeout") {
        if (first.empty()) return error(d, "missing time value.");
        if (first != "none" && !ssh_parse_time(first)) return error(d, "invalid time value.");
    } else if (kw == "userknownhostsfile" || kw == "globalknownhostsfile") {
        max_args = args.size();
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i].empty()) return error(d, "keyword " + kw + " empty argument");
            if (util::to_lower(args[i]) == "none" && args.size() > 1)
                return error(d, "keyword " + kw + " \"none\" argument must appear alone.");
        }
    } else if (kw == "proxyjump") {
        max_args = args.size();
        std::string spec =
            d.rest.substr(std::min(d.rest.size(), d.rest.find_first_not_of(" \t\r\n=")));
        if (const auto hash = spec.find('#'); hash != std::string::npos) spec.erase(hash);
        spec = std::string(util::trim(spec));
        for (const auto& hop : util::split_fields(spec, ','))
            if (hop.empty()) return error(d, "Invalid ProxyJump \"" + spec + "\"");
    } else {
        return;  // other keywords: their values are not modelled
    }
    if (args.size() > max_args) error(d, "keyword " + kw + " extra arguments at end of line");
}

}  // namespace

SshConfig parse_ssh_config(std::string_view text, const std::string& file,
                           const IncludeSource& includes, const std::string& include_base_dir) {
    SshConfig config;
    config.file = file;
    std::string base = include_base_dir;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    std::optional<std::string> home;
    if (util::ends_with(base, "/.ssh")) {
        home = base.substr(0, base.size() - 5);
        if (home->empty()) home = "/";
    }
    config.user_config = home.has_value();
    Parser parser(includes, base, home, config);
    parser.stack.push_back(file);
    parser.parse_text(text, file, 0);
    return config;
}

}  // namespace nbd::parse
