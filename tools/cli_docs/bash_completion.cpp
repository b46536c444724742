#include "renderers.hpp"

namespace nbd::cli_docs {
namespace {

std::string words_of_kind(const CliDescription& d, ValueKind kind) {
    std::vector<std::string> names;
    for (const auto& o : d.options)
        if (o.kind == kind) names.push_back("--" + o.long_name);
    return join_words(names, "|");
}

}  // namespace

std::string render_bash_completion(const CliDescription& d) {
    const std::string fn = "_" + shell_function_name(d);
    std::vector<std::string> option_words, value_options;
    for (const auto& o : d.options) {
        option_words.push_back("--" + o.long_name);
        if (!o.short_name.empty()) option_words.push_back("-" + o.short_name);
        if (!o.argument.empty()) value_options.push_back("--" + o.long_name);
    }
    std::vector<std::string> rule_commands, file_commands;
    for (const auto& c : d.commands) {
        if (c.argument_kind == ArgumentKind::rule) rule_commands.push_back(c.name);
        if (c.argument_kind == ArgumentKind::file) file_commands.push_back(c.name);
    }
    std::string s = "# bash completion for " + d.program + "\n" + generated_notice("# ");
    s += fn + "() {\n";
    s += "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} i command=\n";
    s += "    local commands='" + join_words(d.command_words) + "'\n";
    s += "    local options='" + join_words(option_words) + "'\n";
    s += "    local rules='" + join_words(rule_ids(d)) + "'\n";
    s += "    local formats='" + join_words(d.formats) + "'\n";
    s += "    local severities='" + join_words(d.severities) + "'\n";
    s += "    local IFS=$' \\t\\n'\n";
    s += "    COMPREPLY=()\n";
    // --opt=value: bash splits at '=' (COMP_WORDBREAKS), so the option is two words back.
    s += "    if [[ $cur == = ]]; then cur=; elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then "
         "prev=${COMP_WORDS[COMP_CWORD-2]}; fi\n";
    s += "    case $prev in\n";
    for (const auto& o : d.options)
        if (o.kind == ValueKind::choice)
            s += "        --" + o.long_name + ") COMPREPLY=($(compgen -W '" +
                 join_words(o.choices) + "' -- \"$cur\")); return ;;\n";
    if (auto w = words_of_kind(d, ValueKind::directory); !w.empty())
        s += "        " + w + ") COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n";
    if (auto w = words_of_kind(d, ValueKind::file); !w.empty())
        s += "        " + w + ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
    if (auto w = words_of_kind(d, ValueKind::rule_list); !w.empty())
        s += "        " + w +
             ")\n"
             "            local done=${cur%\"${cur##*,}\"}\n"
             "            COMPREPLY=($(compgen -P \"$done\" -W \"$rules\" -- \"${cur##*,}\")); "
             "return ;;\n";
    if (auto w = words_of_kind(d, ValueKind::rule_severity); !w.empty())
        s += "        " + w +
             ")\n"
             "            if [[ $cur == *=* ]]; then COMPREPLY=($(compgen -P \"${cur%%=*}=\" -W "
             "\"$severities\" -- \"${cur#*=}\"))\n"
             "            else COMPREPLY=($(compgen -S = -W \"$rules\" -- \"$cur\")); compopt -o "
             "nospace 2>/dev/null; fi\n"
             "            return ;;\n";
    if (auto w = words_of_kind(d, ValueKind::report_target); !w.empty())
        s += "        " + w +
             ")\n"
             "            if [[ $cur == *=* ]]; then COMPREPLY=($(compgen -P \"${cur%%=*}=\" -f -- "
             "\"${cur#*=}\"))\n"
             "            else COMPREPLY=($(compgen -S = -W \"$formats\" -- \"$cur\")); compopt -o "
             "nospace 2>/dev/null; fi\n"
             "            return ;;\n";
    if (auto w = words_of_kind(d, ValueKind::free_text); !w.empty())
        s += "        " + w + ") return ;;\n";
    s += "    esac\n";
    s += "    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$options\" -- \"$cur\")); "
         "return; fi\n";
    // The command is the first word that is neither an option nor an option's value.
    s += "    for ((i = 1; i < COMP_CWORD; i++)); do\n";
    s += "        case ${COMP_WORDS[i]} in\n";
    s += "            " + join_words(value_options, "|") +
         ") [[ ${COMP_WORDS[i+1]} == = ]] && ((i++)); ((i++)) ;;\n";
    s += "            -*|=) ;;\n";
    s += "            *) command=${COMP_WORDS[i]}; break ;;\n";
    s += "        esac\n";
    s += "    done\n";
    s += "    case $command in\n";
    s += "        '') COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")) ;;\n";
    if (!rule_commands.empty())
        s += "        " + join_words(rule_commands, "|") +
             ") COMPREPLY=($(compgen -W \"$rules\" -- \"$cur\")) ;;\n";
    if (!file_commands.empty())
        s += "        " + join_words(file_commands, "|") +
             ") COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n";
    s += "    esac\n";
    s += "}\n";
    s += "complete -F " + fn + " " + d.program + "\n";
    return s;
}

}  // namespace nbd::cli_docs
