#include "nix_builder_doctor/explain/text_output.hpp"

#include "nix_builder_doctor/engine/severity.hpp"

namespace nbd::explain {
namespace {

struct Style {
    std::string bold, dim, red, yellow, reset;
};

Style style_for(bool color) {
    if (!color) return {};
    return {"\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[33m", "\x1b[0m"};
}

// Continuation lines line up under the text after the label.
std::string indented(const std::string& text, const std::string& pad) {
    std::string out;
    for (char c : text) {
        out += c;
        if (c == '\n') out += pad;
    }
    return out;
}

std::string who(const engine::Finding& f) { return f.rule + (f.builder.empty() ? "" : ", " + f.builder); }

std::string evidence(const engine::Finding& f) {
    return f.evidence ? "line " + std::to_string(f.evidence->line) + ": " + f.evidence->text : "";
}

std::string plural(int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

std::string render_explain_text(const ExplainResult& result, const TextOptions& options) {
    const Style s = style_for(options.color);
    const std::string lines = plural(static_cast<int>(result.lines), "line");
    if (result.findings.empty())
        return "nix-builder-doctor: no known remote-build failure in this log (" + options.source + ", " + lines + " read).\n"
               "If a remote build still fails, run `sudo nix-builder-doctor check` to probe the builders.\n";

    const ExplainedFinding& top = result.findings.front();
    const engine::Finding& f = top.finding;
    const std::string pad = "          ";
    const std::string colour = f.severity == engine::Severity::error ? s.red : s.yellow;
    std::string out;
    out += s.bold + colour + "Cause:" + s.reset + "    " + s.bold + top.cause + s.reset + "  " + s.dim + "(" + who(f) + ")" + s.reset + "\n";
    out += s.bold + "Fix:" + s.reset + "      " + indented(f.fix, pad) + "\n";
    if (f.evidence) out += s.bold + "Evidence:" + s.reset + " " + evidence(f) + "\n";
    if (!top.alternatives.empty()) {
        out += s.bold + "Could also be:" + s.reset + "\n";
        for (const auto& a : top.alternatives) out += "  - " + a + "\n";
    }
    if (result.findings.size() > 1) {
        out += "\n" + s.bold + "Also in this log:" + s.reset + "\n";
        for (std::size_t i = 1; i < result.findings.size(); ++i) {
            const ExplainedFinding& e = result.findings[i];
            std::string note;
            if (e.role == Role::consequence && !e.after.empty()) note = " (follows from " + e.after + ")";
            out += "  - " + e.cause + "  " + s.dim + "(" + who(e.finding) + ")" + s.reset + note + "\n";
            if (e.finding.evidence) out += "    " + s.dim + evidence(e.finding) + s.reset + "\n";
        }
    }
    int errors = 0, warnings = 0, infos = 0;
    for (const auto& e : result.findings) {
        errors += e.finding.severity == engine::Severity::error;
        warnings += e.finding.severity == engine::Severity::warning;
        infos += e.finding.severity == engine::Severity::info;
    }
    out += "\n" + plural(errors, "error") + ", " + plural(warnings, "warning") + ", " + std::to_string(infos) + " info (" + lines + " read)\n";
    return out;
}

}  // namespace nbd::explain
