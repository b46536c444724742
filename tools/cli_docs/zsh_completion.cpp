#include "renderers.hpp"

namespace nbd::cli_docs {
namespace {

// Inside a single-quoted _arguments spec: quotes closed and reopened, brackets escaped.
std::string spec_text(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else if (c == '[' || c == ']' || c == '\\')
            out += std::string("\\") + c;
        else
            out += c;
    }
    return out;
}

std::string zsh_quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string action(const std::string& prefix, const OptionDescription& o) {
    const std::string message = ":" + spec_text(o.argument) + ":";
    switch (o.kind) {
        case ValueKind::none:
            return "";
        case ValueKind::choice:
            return message + "(" + join_words(o.choices) + ")";
        case ValueKind::directory:
            return message + "_files -/";
        case ValueKind::file:
            return message + "_files";
        case ValueKind::rule_list:
            return message + "_sequence compadd -a " + prefix + "_rules";
        case ValueKind::rule_severity:
            return message + prefix + "_severity";
        case ValueKind::report_target:
            return message + prefix + "_report";
        case ValueKind::free_text:
            return message + " ";
    }
    return "";
}

}  // namespace

std::string render_zsh_completion(const CliDescription& d) {
    const std::string p = "_" + shell_function_name(d);
    std::string s = "#compdef " + d.program + "\n" + generated_notice("# ");
    std::vector<std::string> quoted_rules, quoted_formats, quoted_severities;
    for (const auto& id : rule_ids(d)) quoted_rules.push_back(zsh_quoted(id));
    for (const auto& f : d.formats) quoted_formats.push_back(zsh_quoted(f));
    for (const auto& v : d.severities) quoted_severities.push_back(zsh_quoted(v));
    s += "local -a " + p + "_rules=(" + join_words(quoted_rules) + ")\n";
    s += "local -a " + p + "_formats=(" + join_words(quoted_formats) + ")\n";
    s += "local -a " + p + "_severities=(" + join_words(quoted_severities) + ")\n";
    s += p + "_severity() {\n    if compset -P '*='; then compadd -a " + p +
         "_severities; else compadd -S = -a " + p + "_rules; fi\n}\n";
    s += p + "_report() {\n    if compset -P '*='; then _files; else compadd -S = -a " + p +
         "_formats; fi\n}\n";
    s += "local -a " + p + "_commands=(\n";
    for (const auto& c : d.commands) s += "    " + zsh_quoted(c.name + ":" + c.help) + "\n";
    for (const auto& w : d.command_words) {
        bool documented = false;
        for (const auto& c : d.commands) documented = documented || c.name == w;
        if (!documented) s += "    " + zsh_quoted(w) + "\n";
    }
    s += ")\n";
    s += "local context state state_descr line\ntypeset -A opt_args\n";
    s += "_arguments -s -S \\\n";
    for (const auto& o : d.options) {
        const std::string repeat = o.repeatable ? "*" : "";
        const std::string eq = o.argument.empty() ? "" : "=";
        const std::string help = "[" + spec_text(o.help) + "]";
        if (!o.short_name.empty()) {
            const std::string excl = "(-" + o.short_name + " --" + o.long_name + ")";
            s += "    '" + excl + "-" + o.short_name + help + action(p, o) + "' \\\n";
            s += "    '" + excl + "--" + o.long_name + eq + help + action(p, o) + "' \\\n";
        } else {
            s += "    '" + repeat + "--" + o.long_name + eq + help + action(p, o) + "' \\\n";
        }
    }
    s += "    '1: :->command' \\\n    '*:: :->argument' && return 0\n";
    s += "case $state in\n";
    s += "    command) _describe -t commands command " + p + "_commands ;;\n";
    s += "    argument)\n        case $line[1] in\n";
    for (const auto& c : d.commands) {
        if (c.argument_kind == ArgumentKind::rule)
            s += "            " + c.name + ") compadd -a " + p + "_rules ;;\n";
        if (c.argument_kind == ArgumentKind::file) s += "            " + c.name + ") _files ;;\n";
    }
    s += "        esac ;;\n";
    s += "esac\n";
    return s;
}

}  // namespace nbd::cli_docs
