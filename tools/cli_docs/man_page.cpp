#include <regex>
#include <set>
#include <stdexcept>

#include "renderers.hpp"

namespace nbd::cli_docs {
namespace {

// Text for a roff line: backslashes escaped, `code` in bold, every '-' a real minus when it
// belongs to an option or an id (so a pasted --flag works), a leading '.' or '\'' neutralised.
std::string roff(const std::string& text, bool minus_everywhere = false) {
    std::string out;
    bool bold = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\\')
            out += "\\e";
        else if (c == '`') {
            out += bold ? "\\fR" : "\\fB";
            bold = !bold;
        } else if (c == '-' &&
                   (minus_everywhere || bold || (i + 1 < text.size() && text[i + 1] == '-') ||
                    (i > 0 && text[i - 1] == '-') ||
                    ((i == 0 || text[i - 1] == ' ' || text[i - 1] == '(') && i + 1 < text.size() &&
                     text[i + 1] != ' ')))
            out += "\\-";
        else
            out += c;
    }
    if (bold) out += "\\fR";
    if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
    return out;
}

std::string option_heading(const OptionDescription& o) {
    std::string h;
    if (!o.short_name.empty()) h += "\\fB\\-" + roff(o.short_name, true) + "\\fR, ";
    h += "\\fB\\-\\-" + roff(o.long_name, true) + "\\fR";
    if (!o.argument.empty()) h += " \\fI" + roff(o.argument, true) + "\\fR";
    return h;
}

std::string options_section(const CliDescription& d) {
    std::string out;
    for (const auto& o : d.options) {
        out += ".TP\n" + option_heading(o) + "\n" + roff(o.help);
        std::string notes;
        if (!o.default_value.empty())
            notes = "default: \\fB" + roff(o.default_value, true) + "\\fR";
        if (o.repeatable && o.help.find("repeatable") == std::string::npos)
            notes += std::string(notes.empty() ? "" : "; ") + "repeatable";
        out += notes.empty() ? "\n" : " (" + notes + ")\n";
    }
    return out;
}

std::string commands_section(const CliDescription& d) {
    std::string out;
    for (const auto& c : d.commands) {
        out += ".TP\n\\fB" + roff(c.name, true) + "\\fR";
        if (!c.arguments.empty()) out += " \\fI" + roff(c.arguments, true) + "\\fR";
        out += "\n" + roff(c.help) + "\n";
    }
    return out;
}

std::string exit_status_section(const CliDescription& d) {
    std::string out;
    for (const auto& e : d.exit_codes) out += ".TP\n.B " + e.code + "\n" + roff(e.meaning) + "\n";
    return out;
}

std::string rules_section(const CliDescription& d) {
    std::string out;
    for (const auto& r : d.rules)
        out +=
            ".TP\n\\fB" + roff(r.id, true) + "\\fR (" + r.severity + ")\n" + roff(r.title) + "\n";
    return out;
}

void replace(std::string& text, const std::string& placeholder, const std::string& value) {
    const auto at = text.find(placeholder);
    if (at == std::string::npos)
        throw std::runtime_error("the man page template has no " + placeholder);
    text.replace(at, placeholder.size(), value);
}

// A generated section replaces its placeholder line whole (the line and its newline).
void replace_line(std::string& text, const std::string& placeholder, const std::string& value) {
    replace(text, placeholder + "\n", value);
}

}  // namespace

std::string render_man_page(const CliDescription& d, const std::string& page_template) {
    static const std::regex placeholder("@[A-Z_]+@");
    const std::set<std::string> known = {"@VERSION@", "@SUMMARY@",     "@SYNOPSIS@", "@COMMANDS@",
                                         "@OPTIONS@", "@EXIT_STATUS@", "@RULES@"};
    for (std::sregex_iterator it(page_template.begin(), page_template.end(), placeholder), end;
         it != end; ++it)
        if (!known.count(it->str()))
            throw std::runtime_error("unknown placeholder " + it->str() +
                                     " in the man page template");
    std::string page = page_template;
    replace(page, "@VERSION@", d.version);
    std::string summary = d.summary;  // a man page's NAME line ends without a full stop
    if (!summary.empty() && summary.back() == '.') summary.pop_back();
    replace(page, "@SUMMARY@", roff(summary));
    replace(page, "@SYNOPSIS@", roff(d.usage, true));
    replace_line(page, "@COMMANDS@", commands_section(d));
    replace_line(page, "@OPTIONS@", options_section(d));
    replace_line(page, "@EXIT_STATUS@", exit_status_section(d));
    replace_line(page, "@RULES@", rules_section(d));
    return generated_notice(".\\\" ") + page;
}

}  // namespace nbd::cli_docs
