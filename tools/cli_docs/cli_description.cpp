#include "cli_description.hpp"

#include <regex>
#include <sstream>
#include <stdexcept>

#include "nix_builder_doctor/cli/option_table.hpp"
#include "nix_builder_doctor/cli/options.hpp"
#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/engine/severity.hpp"

namespace nbd::cli_docs {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// The lines of --help's section `title` ("Commands:"), up to the next blank line.
std::vector<std::string> section(const std::vector<std::string>& lines, const std::string& title) {
    std::vector<std::string> out;
    bool in = false;
    for (const auto& line : lines) {
        if (!in) {
            if (line.rfind(title, 0) == 0) {
                in = true;
                if (line.size() > title.size()) out.push_back(line.substr(title.size()));
            }
            continue;
        }
        if (line.find_first_not_of(' ') == std::string::npos) break;
        out.push_back(line);
    }
    if (!in) throw std::runtime_error("--help has no '" + title + "' section");
    return out;
}

std::vector<CommandDescription> parse_commands(const std::vector<std::string>& lines) {
    // "  route [DRV|INST]   which builder ..."
    static const std::regex row(R"(^  (\S+)( (\S.*?))?  +(\S.*)$)");
    std::vector<CommandDescription> out;
    for (const auto& line : section(lines, "Commands:")) {
        std::smatch m;
        if (!std::regex_match(line, m, row))
            throw std::runtime_error("cannot read the --help command line '" + line + "'");
        out.push_back({m[1], m[3], m[4]});
    }
    return out;
}

std::vector<ExitCode> parse_exit_codes(const std::vector<std::string>& lines) {
    // "Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error,\n3
    // internal error."
    std::string text;
    for (const auto& line : section(lines, "Exit codes:")) text += (text.empty() ? "" : " ") + line;
    static const std::regex item(R"((?:^|,)\s*(\d+) ([^,]*?)\.?(?=,\s*\d+ |$))");
    std::vector<ExitCode> out;
    for (std::sregex_iterator it(text.begin(), text.end(), item), end; it != end; ++it)
        out.push_back({(*it)[1], (*it)[2]});
    if (out.empty()) throw std::runtime_error("cannot read --help's exit codes '" + text + "'");
    return out;
}

ValueKind value_kind(const OptionDescription& o) {
    if (o.argument.empty()) return ValueKind::none;
    if (!o.choices.empty()) return ValueKind::choice;
    if (o.argument == "DIR") return ValueKind::directory;
    if (o.argument == "FILE" || o.argument == "RESULT") return ValueKind::file;
    if (o.argument == "ID,...") return ValueKind::rule_list;
    if (o.argument == "ID=LEVEL") return ValueKind::rule_severity;
    if (o.argument == "FORMAT=FILE") return ValueKind::report_target;
    return ValueKind::free_text;
}

ArgumentKind argument_kind(const std::string& arguments) {
    if (arguments.find("FILE") != std::string::npos || arguments.find("DRV") != std::string::npos)
        return ArgumentKind::file;
    if (arguments.find("ID") != std::string::npos) return ArgumentKind::rule;
    return ArgumentKind::none;
}

}  // namespace

std::vector<std::string> choices_from_help(const std::string& help) {
    std::string text = help.substr(0, help.find('('));
    const auto colon = text.rfind(": ");
    if (colon == std::string::npos) return {};
    text = text.substr(colon + 2);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    static const std::regex list(R"(^([a-z][a-z-]*(?:, [a-z][a-z-]*)*) or ([a-z][a-z-]*)$)");
    std::smatch m;
    if (!std::regex_match(text, m, list)) return {};
    std::vector<std::string> out;
    std::istringstream words(m[1].str());
    for (std::string w; std::getline(words, w, ',');)
        out.push_back(w.substr(w.find_first_not_of(' ')));
    out.push_back(m[2]);
    return out;
}

CliDescription describe_cli(const std::string& version) {
    CliDescription d;
    d.program = "nix-builder-doctor";
    d.version = version;
    d.command_words = cli::command_words();
    d.formats = cli::format_words();

    const auto table = cli::option_table();
    const auto help_lines = lines_of(cli::usage_text());
    // cxxopts' help begins "SUMMARY\nUsage:\n  PROGRAM USAGE\n".
    if (help_lines.size() < 3 || help_lines[1] != "Usage:")
        throw std::runtime_error("--help does not begin with a usage line");
    d.summary = help_lines[0];
    const std::string& usage = help_lines[2];
    const auto after_program = usage.find(d.program + " ");
    d.usage = after_program == std::string::npos
                  ? ""
                  : usage.substr(after_program + d.program.size() + 1);

    for (const auto& group : table.groups()) {
        for (const auto& o : table.group_help(group).options) {
            if (o.desc.empty()) continue;  // the positional arguments' holder
            OptionDescription od;
            for (const auto& name : o.l)
                if (od.long_name.empty() || name.size() > od.long_name.size()) od.long_name = name;
            od.short_name = o.s;
            od.help = o.desc;
            od.repeatable = o.is_container;
            if (!o.is_boolean) {
                od.argument = o.arg_help.empty() ? "ARG" : o.arg_help;
                if (o.has_default) od.default_value = o.default_value;
                od.choices = od.long_name == "format" ? d.formats : choices_from_help(o.desc);
            }
            od.kind = value_kind(od);
            d.options.push_back(od);
        }
    }
    d.commands = parse_commands(help_lines);
    for (auto& c : d.commands) c.argument_kind = argument_kind(c.arguments);
    for (auto s : {engine::Severity::error, engine::Severity::warning, engine::Severity::info})
        d.severities.emplace_back(engine::to_string(s));
    d.exit_codes = parse_exit_codes(help_lines);

    auto rules = engine::load_builtin_rules();
    if (!rules.errors.empty())
        throw std::runtime_error("the built-in rules do not load: " + rules.errors.front());
    for (const auto& r : rules.rules)
        d.rules.push_back({r.id, std::string(engine::to_string(r.severity)), r.title});
    return d;
}

}  // namespace nbd::cli_docs
