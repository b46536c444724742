#include "nix_builder_doctor/cli/options.hpp"
#include "nix_builder_doctor/cli/option_table.hpp"

#include <algorithm>
#include <cxxopts.hpp>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::cli {
namespace {

const std::vector<std::string> kCommands = {"check", "route", "explain", "rules", "help", "version"};
const std::vector<std::string> kFormats = {"text", "json", "junit", "sarif", "github", "prometheus", "machines"};

cxxopts::Options make_parser() {
    cxxopts::Options o("nix-builder-doctor", "Find why Nix remote builds over SSH fail, and how to fix it.");
    o.custom_help("[check|route [DRV|INSTALLABLE]|explain [FILE|-]|rules [ID]] [OPTIONS]");
    o.positional_help("");
    o.add_options()
        ("root", "read the machine's files under DIR (default: the real root)", cxxopts::value<std::string>(), "DIR")
        ("user", "the person whose view is compared with root's (default: $SUDO_USER, else the invoking user)",
         cxxopts::value<std::string>(), "NAME")
        ("system", "the local Nix system (default: nix.conf `system`, else this machine's); route: the derivation's", cxxopts::value<std::string>(), "SYSTEM")
        ("builders", "use SPEC (nix.conf `builders` syntax, @file allowed) instead of the configured builders",
         cxxopts::value<std::string>(), "SPEC")
        ("next", "check the built, not yet active system RESULT (./result of nixos-rebuild build) as it will be after switching",
         cxxopts::value<std::string>(), "RESULT")
        ("flake", "build REF's nixosConfigurations (or darwinConfigurations) HOST with nix build, then check it as --next does",
         cxxopts::value<std::string>(), "REF#HOST")
        ("remote-root", "builder HOST's files are under DIR: lint them without a connection (repeatable)",
         cxxopts::value<std::vector<std::string>>(), "HOST=DIR")
        ("offline", "no network at all; only what files can tell")
        ("features", "route: the required system features, comma-separated (with --system, instead of a derivation)",
         cxxopts::value<std::vector<std::string>>(), "F,...")
        ("check", "explain: also run the live checks of the builders the log names, and merge their verdicts")
        ("nix-version", "route: decide as this Nix does, e.g. 2.8.0, 'Lix 2.93.0' (default: the local Nix's)",
         cxxopts::value<std::string>(), "VERSION")
        ("format", "output format: text, json, junit, sarif, github, prometheus or machines (explain: text or json)",
         cxxopts::value<std::string>()->default_value("text"), "FORMAT")
        ("report", "also write a report in FORMAT to FILE, replaced atomically (repeatable)",
         cxxopts::value<std::vector<std::string>>(), "FORMAT=FILE")
        ("builder", "check only the builders whose host or URI matches PATTERN (* and ? wildcards; repeatable)",
         cxxopts::value<std::vector<std::string>>(), "PATTERN")
        ("fail-on", "exit 1 when a finding reaches this level: error, warning, info or never",
         cxxopts::value<std::string>()->default_value("error"), "LEVEL")
        ("select", "only these rules: ids or family prefixes, comma-separated (e.g. hostkey.)",
         cxxopts::value<std::vector<std::string>>(), "ID,...")
        ("ignore", "drop these rules: ids or family prefixes, comma-separated", cxxopts::value<std::vector<std::string>>(), "ID,...")
        ("severity", "change a rule's severity, e.g. keys.legacy-type=error (repeatable)",
         cxxopts::value<std::vector<std::string>>(), "ID=LEVEL")
        ("rules", "also load rule files from DIR (repeatable)", cxxopts::value<std::vector<std::string>>(), "DIR")
        ("timeout", "seconds per builder for all live stages together", cxxopts::value<double>()->default_value("10"), "SECONDS")
        ("jobs", "builders probed at once: auto (every builder, up to 64 and the open-file limit allows; at most 3 of one host) or N",
         cxxopts::value<std::string>()->default_value("auto"), "N")
        ("build-test", "also build a tiny derivation on each builder through Nix itself (writes to the stores)")
        ("dump-facts", "print the Facts document the rules see, as JSON, and exit")
        ("color", "colour: auto, always or never (auto honours NO_COLOR)", cxxopts::value<std::string>()->default_value("auto"), "WHEN")
        ("h,help", "show this help")
        ("version", "print the version")
        ("positional", "", cxxopts::value<std::vector<std::string>>());
    o.parse_positional({"positional"});
    return o;
}

std::vector<std::string> option_names() {
    return {"--root", "--user", "--system", "--builders", "--remote-root", "--next", "--flake", "--offline", "--features", "--nix-version", "--check", "--format", "--report", "--builder", "--fail-on",
            "--select", "--ignore", "--severity", "--rules", "--timeout", "--jobs", "--dump-facts", "--build-test", "--color",
            "--help", "--version"};
}

std::string suggest(const std::string& word, const std::vector<std::string>& candidates) {
    if (auto near = util::nearest(word, candidates)) return " (did you mean " + *near + "?)";
    return "";
}

Format parse_format(const std::string& text, const std::string& what) {
    for (std::size_t i = 0; i < kFormats.size(); ++i)
        if (kFormats[i] == text) return static_cast<Format>(i);
    throw UsageError(what + ": '" + text + "' is not one of " + util::join(kFormats, ", ") + suggest(text, kFormats));
}

// --report FORMAT=FILE; the file's folder must exist (it is written there, then renamed).
ReportTarget parse_report_target(const std::string& spec) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
        throw UsageError("--report wants FORMAT=FILE (e.g. junit=report.xml), got '" + spec + "'");
    ReportTarget target{parse_format(spec.substr(0, eq), "--report"), spec.substr(eq + 1)};
    if (target.path.back() == '/') throw UsageError("--report " + spec + ": '" + target.path + "' names a folder, not a file");
    return target;
}

engine::Severity parse_level(const std::string& text, const std::string& what) {
    if (auto s = engine::parse_severity(text)) return *s;
    throw UsageError(what + ": '" + text + "' is not error, warning or info" + suggest(text, {"error", "warning", "info"}));
}

std::vector<std::string> comma_list(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (const auto& v : values)
        for (const auto& item : util::split_tokens(v, ", ")) out.push_back(item);
    return out;
}

}  // namespace

cxxopts::Options option_table() { return make_parser(); }
const std::vector<std::string>& command_words() { return kCommands; }
const std::vector<std::string>& format_words() { return kFormats; }

std::string format_name(Format format) { return kFormats.at(static_cast<std::size_t>(format)); }

std::string usage_text() {
    auto parser = make_parser();
    return parser.help({""}) +
           "\nCommands:\n"
           "  check              lint the local config, probe every builder, report (the default)\n"
           "  route [DRV|INST]   which builder Nix would choose for a derivation, and why not the others\n"
           "  explain [FILE|-]   diagnose the log of a failed build\n"
           "  rules [ID]         list the rules, or show one\n"
           "\nExit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error,\n"
           "3 internal error.\n";
}

Options parse_options(int argc, const char* const* argv) {
    auto parser = make_parser();
    // Unknown long options first, with our own message and suggestion.
    const auto known = option_names();
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") break;
        if (arg.rfind("--", 0) != 0) continue;
        const std::string name = arg.substr(0, arg.find('='));
        if (std::find(known.begin(), known.end(), name) == known.end())
            throw UsageError("unknown option " + name + suggest(name, known));
    }
    cxxopts::ParseResult result;
    try {
        result = parser.parse(argc, argv);
    } catch (const cxxopts::exceptions::no_such_option& e) {
        std::string bad = e.what();
        // cxxopts says: Option 'xyz' does not exist
        const auto a = bad.find('\''), b = bad.rfind('\'');
        std::string name = (a != std::string::npos && b > a) ? bad.substr(a + 1, b - a - 1) : bad;
        throw UsageError("unknown option --" + name + suggest("--" + name, option_names()));
    } catch (const cxxopts::exceptions::exception& e) {
        throw UsageError(e.what());
    }
    Options o;
    std::vector<std::string> positional;
    if (result.count("positional")) positional = result["positional"].as<std::vector<std::string>>();
    if (!positional.empty()) {
        const std::string& first = positional.front();
        if (first == "check") o.command = Command::check;
        else if (first == "route") o.command = Command::route;
        else if (first == "explain") o.command = Command::explain;
        else if (first == "rules") o.command = Command::rules;
        else if (first == "help") o.command = Command::help;
        else if (first == "version") o.command = Command::version;
        else throw UsageError("unknown command '" + first + "'" + suggest(first, kCommands));
        positional.erase(positional.begin());
    }
    o.positional = positional;
    if (o.command == Command::check && !o.positional.empty())
        throw UsageError("check takes no arguments, got '" + o.positional.front() + "'");
    if (o.positional.size() > 1) throw UsageError("too many arguments: '" + o.positional[1] + "'");
    if (result.count("help")) o.command = Command::help;
    if (result.count("version")) o.command = Command::version;

    if (result.count("root")) o.root = result["root"].as<std::string>();
    if (result.count("user")) o.user = result["user"].as<std::string>();
    if (result.count("system")) o.system = result["system"].as<std::string>();
    if (result.count("builders")) o.builders = result["builders"].as<std::string>();
    if (result.count("remote-root")) {
        for (const auto& spec : result["remote-root"].as<std::vector<std::string>>()) {
            const auto eq = spec.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
                throw UsageError("--remote-root wants HOST=DIR, got '" + spec + "'");
            o.remote_roots[spec.substr(0, eq)] = spec.substr(eq + 1);
        }
    }
    if (result.count("next")) o.next_result = result["next"].as<std::string>();
    if (result.count("flake")) {
        o.flake = result["flake"].as<std::string>();
        const auto hash = o.flake->rfind('#');
        if (hash == std::string::npos || hash == 0 || hash + 1 == o.flake->size())
            throw UsageError("--flake wants REF#HOST (e.g. .#myhost or /etc/nixos#myhost), got '" + *o.flake + "'");
    }
    if (o.next_result && o.flake) throw UsageError("--next and --flake cannot be combined: --flake builds the system --next names");
    if ((o.next_result || o.flake) && o.command != Command::check)
        throw UsageError(std::string(o.next_result ? "--next" : "--flake") + " is for check");
    if (o.next_result && o.next_result->empty()) throw UsageError("--next wants a built system (e.g. ./result), got ''");
    o.offline = result.count("offline") > 0;
    if (result.count("features")) {
        if (o.command != Command::route) throw UsageError("--features is for route");
        o.features = comma_list(result["features"].as<std::vector<std::string>>());
        o.features_given = true;
    }
    if (result.count("check")) {
        if (o.command != Command::explain) throw UsageError("--check is for explain (check itself always checks)");
        o.explain_check = true;
    }
    if (result.count("nix-version")) {
        if (o.command != Command::route) throw UsageError("--nix-version is for route");
        o.nix_version = result["nix-version"].as<std::string>();
    }
    if (o.command == Command::route && !o.positional.empty() && (o.features_given || o.system))
        throw UsageError("route takes a derivation or --system/--features, not both: the derivation names its own");
    o.format = parse_format(result["format"].as<std::string>(), "--format");
    if ((o.command == Command::explain || o.command == Command::rules || o.command == Command::route) && o.format != Format::text &&
        o.format != Format::json)
        throw UsageError("--format " + format_name(o.format) + " is for check; route, explain and rules print text or json");
    if (result.count("report")) {
        if (o.command != Command::check) throw UsageError("--report is for check");
        for (const auto& spec : result["report"].as<std::vector<std::string>>()) o.reports.push_back(parse_report_target(spec));
    }
    if (result.count("builder")) {
        if (o.command != Command::check) throw UsageError("--builder is for check");
        for (const auto& pattern : result["builder"].as<std::vector<std::string>>()) {
            if (pattern.empty()) throw UsageError("--builder wants a host, URI or pattern, got ''");
            o.builder_patterns.push_back(pattern);
        }
    }
    const std::string fail_on = result["fail-on"].as<std::string>();
    o.fail_on = fail_on == "never" ? std::nullopt : std::optional(parse_level(fail_on, "--fail-on"));
    if (result.count("select")) o.select = comma_list(result["select"].as<std::vector<std::string>>());
    if (result.count("ignore")) o.ignore = comma_list(result["ignore"].as<std::vector<std::string>>());
    if (result.count("severity")) {
        for (const auto& spec : comma_list(result["severity"].as<std::vector<std::string>>())) {
            const auto eq = spec.find('=');
            if (eq == std::string::npos) throw UsageError("--severity wants ID=LEVEL, got '" + spec + "'");
            o.severity_overrides[spec.substr(0, eq)] = parse_level(spec.substr(eq + 1), "--severity " + spec.substr(0, eq));
        }
    }
    if (result.count("rules")) o.rule_dirs = result["rules"].as<std::vector<std::string>>();
    o.timeout_seconds = result["timeout"].as<double>();
    if (!(o.timeout_seconds > 0 && o.timeout_seconds <= 3600)) throw UsageError("--timeout must be between 0 and 3600 seconds");
    const std::string jobs = result["jobs"].as<std::string>();
    if (jobs == "auto") {
        o.jobs = 0;
    } else {
        std::size_t used = 0;
        try {
            o.jobs = std::stoi(jobs, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != jobs.size() || o.jobs < 1 || o.jobs > 1024)
            throw UsageError("--jobs must be auto or a number between 1 and 1024, got '" + jobs + "'");
    }
    o.dump_facts = result.count("dump-facts") > 0;
    if (o.dump_facts && !o.reports.empty()) throw UsageError("--report cannot be combined with --dump-facts");
    o.build_test = result.count("build-test") > 0;
    if (o.build_test && o.offline) throw UsageError("--build-test needs the network: it cannot be combined with --offline");
    const std::string color = result["color"].as<std::string>();
    if (color == "auto") o.color = ColorMode::automatic;
    else if (color == "always") o.color = ColorMode::always;
    else if (color == "never") o.color = ColorMode::never;
    else throw UsageError("--color: '" + color + "' is not auto, always or never" + suggest(color, {"auto", "always", "never"}));
    return o;
}

}  // namespace nbd::cli
