// The command line described as data, read from the tables the program itself uses: the cxxopts
// option table (what --help prints), the command and format words, the Commands and Exit codes
// sections of --help, and the built-in rules. The man page and completions are rendered from it,
// so none of them keeps a second copy that could rot.
#pragma once

#include <string>
#include <vector>

namespace nbd::cli_docs {

// What an option's value is, for completion: read from its argument name in the table
// (DIR, FILE, ID,..., ID=LEVEL, FORMAT=FILE) or its fixed choices.
enum class ValueKind {
    none,
    choice,
    directory,
    file,
    rule_list,
    rule_severity,
    report_target,
    free_text
};

struct OptionDescription {
    std::string long_name;   // "root"
    std::string short_name;  // "h", or empty
    std::string argument;    // "DIR"; empty for a flag
    std::string help;
    std::string default_value;  // empty when none is shown
    bool repeatable = false;
    std::vector<std::string>
        choices;  // the fixed words the value is one of (from the help text), or empty
    ValueKind kind = ValueKind::none;
};

// What a command's argument is: a file (explain FILE, route DRV), a rule id (rules ID), or none.
enum class ArgumentKind { none, file, rule };

struct CommandDescription {
    std::string name;       // "explain"
    std::string arguments;  // "[FILE|-]"
    std::string help;
    ArgumentKind argument_kind = ArgumentKind::none;
};

struct ExitCode {
    std::string code;  // "0"
    std::string meaning;
};

struct RuleSummary {
    std::string id, severity, title;
};

struct CliDescription {
    std::string program;
    std::string summary;
    std::string usage;  // the synopsis after the program name
    std::string version;
    std::vector<OptionDescription> options;
    std::vector<CommandDescription> commands;  // the documented ones
    std::vector<std::string> command_words;    // every word the parser accepts (also help, version)
    std::vector<std::string> formats;
    std::vector<std::string> severities;  // error, warning, info
    std::vector<ExitCode> exit_codes;
    std::vector<RuleSummary> rules;
};

CliDescription describe_cli(const std::string& version);

// "a, b, c or d" after the help text's last ':' before any '(' -> {a, b, c, d}; empty when the
// help names no such fixed list.
std::vector<std::string> choices_from_help(const std::string& help);

}  // namespace nbd::cli_docs
