#include "renderers.hpp"

namespace nbd::cli_docs {
namespace {

std::string fish_quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

}  // namespace

std::string render_fish_completion(const CliDescription& d) {
    const std::string p = "__" + shell_function_name(d);
    const std::string c = "complete -c " + d.program;
    std::string s = "# fish completion for " + d.program + "\n" + generated_notice("# ");
    s += "function " + p + "_rules\n    printf '%s\\n' " + join_words(rule_ids(d)) + "\nend\n";
    // KEY=VALUE options: the keys first, then the values once a '=' is typed.
    s += "function " + p + "_assign --argument-names keys values\n";
    s += "    set -l token (commandline -ct)\n";
    s += "    if string match -q -- '*=*' $token\n";
    s += "        set -l key (string split -m 1 -- = $token)[1]\n";
    s += "        for value in (eval $values)\n            printf '%s=%s\\n' $key $value\n        "
         "end\n";
    s += "    else\n        for key in (eval $keys)\n            printf '%s=\\n' $key\n        "
         "end\n    end\nend\n";
    s += "function " + p + "_formats\n    printf '%s\\n' " + join_words(d.formats) + "\nend\n";
    s +=
        "function " + p + "_severities\n    printf '%s\\n' " + join_words(d.severities) + "\nend\n";
    s += c + " -f\n";
    std::vector<std::string> words;
    for (const auto& w : d.command_words) words.push_back(w);
    const std::string no_command = "-n 'not __fish_seen_subcommand_from " + join_words(words) + "'";
    for (const auto& w : d.command_words) {
        std::string help;
        for (const auto& cmd : d.commands)
            if (cmd.name == w) help = cmd.help;
        s += c + " " + no_command + " -a " + w + (help.empty() ? "" : " -d " + fish_quoted(help)) + "\n";
    }
    for (const auto& cmd : d.commands) {
        const std::string when = "-n '__fish_seen_subcommand_from " + cmd.name + "'";
        if (cmd.argument_kind == ArgumentKind::rule)
            s += c + " " + when + " -a '(" + p + "_rules)'\n";
        if (cmd.argument_kind == ArgumentKind::file) s += c + " " + when + " -F\n";
    }
    for (const auto& o : d.options) {
        std::string line = c;
        if (!o.short_name.empty()) line += " -s " + o.short_name;
        line += " -l " + o.long_name;
        switch (o.kind) {
            case ValueKind::none:
                break;
            case ValueKind::choice:
                line += " -x -a " + fish_quoted(join_words(o.choices));
                break;
            case ValueKind::directory:
                line += " -x -a '(__fish_complete_directories)'";
                break;
            case ValueKind::file:
                line += " -r -F";
                break;
            case ValueKind::rule_list:
                line += " -x -a '(__fish_complete_list , " + p + "_rules)'";
                break;
            case ValueKind::rule_severity:
                line += " -x -a '(" + p + "_assign " + p + "_rules " + p + "_severities)'";
                break;
            case ValueKind::report_target:
                line += " -r -a '(" + p + "_assign " + p + "_formats \"__fish_complete_path\")'";
                break;
            case ValueKind::free_text:
                line += " -x";
                break;
        }
        s += line + " -d " + fish_quoted(o.help) + "\n";
    }
    return s;
}

}  // namespace nbd::cli_docs
