#include "nix_builder_doctor/explain/text_output.hpp"

#include <algorithm>

#include "nix_builder_doctor/engine/severity.hpp"
#include "nix_builder_doctor/util/output.hpp"

namespace nbd::explain {
namespace {

// Beyond this many other findings the text only counts them.
constexpr std::size_t kMaxOthersShown = 15;

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

// Values from the log are made safe (secrets redacted, controls escaped) before styling.
std::string who(const engine::Finding& f) { return util::safe_text(f.rule + (f.builder.empty() ? "" : ", " + f.builder)); }

std::string evidence(const engine::Finding& f) {
    return f.evidence ? "line " + std::to_string(f.evidence->line) + ": " + util::safe_text(f.evidence->text) : "";
}

std::string plural(int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

std::string render_explain_text(const ExplainResult& result, const TextOptions& options) {
    const Style s = style_for(options.color);
    const std::string lines = plural(static_cast<int>(result.lines), "line");
    if (result.findings.empty())
        return "nix-builder-doctor: no known remote-build failure in this log (" + util::safe_text(options.source) + ", " + lines + " read).\n"
               "If a remote build still fails, run `sudo nix-builder-doctor check` to probe the builders.\n";

    const ExplainedFinding& top = result.findings.front();
    const engine::Finding& f = top.finding;
    const std::string pad = "          ";
    const std::string colour = f.severity == engine::Severity::error ? s.red : s.yellow;
    std::string out;
    out += s.bold + colour + "Cause:" + s.reset + "    " + s.bold + util::safe_text(top.cause) + s.reset + "  " + s.dim + "(" + who(f) + ")" + s.reset + "\n";
    out += s.bold + "Fix:" + s.reset + "      " + indented(util::safe_text(f.fix), pad) + "\n";
    if (f.evidence) out += s.bold + "Evidence:" + s.reset + " " + evidence(f) + "\n";
    if (!top.alternatives.empty()) {
        out += s.bold + "Could also be:" + s.reset + "\n";
        for (const auto& a : top.alternatives) out += "  - " + util::safe_text(a) + "\n";
    }
    if (result.findings.size() > 1) {
        out += "\n" + s.bold + "Also in this log:" + s.reset + "\n";
        const std::size_t shown = std::min(result.findings.size(), kMaxOthersShown + 1);
        for (std::size_t i = 1; i < shown; ++i) {
            const ExplainedFinding& e = result.findings[i];
            out += "  - " + util::safe_text(e.cause) + "  " + s.dim + "(" + who(e.finding) + ")" + s.reset + "\n";
            if (e.finding.evidence) out += "    " + s.dim + evidence(e.finding) + s.reset + "\n";
        }
        if (result.findings.size() > shown)
            out += "  ... and " + std::to_string(result.findings.size() - shown) + " more (--format json lists them all)\n";
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
