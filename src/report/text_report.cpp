#include <unistd.h>

#include <cstdlib>
#include <map>

#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/util/output.hpp"

namespace nbd::report {
namespace {

struct Palette {
    std::string red, yellow, blue, green, bold, dim, reset;
};

Palette palette(const TextStyle& style) {
    if (!style.color) return {};
    return {"\x1b[31m", "\x1b[33m", "\x1b[34m", "\x1b[32m", "\x1b[1m", "\x1b[2m", "\x1b[0m"};
}

std::string severity_label(engine::Severity s, const Palette& p) {
    switch (s) {
        case engine::Severity::error: return p.red + p.bold + "error  " + p.reset;
        case engine::Severity::warning: return p.yellow + p.bold + "warning" + p.reset;
        case engine::Severity::info: return p.blue + "info   " + p.reset;
    }
    return "";
}

// Continuation lines of a finding are indented under its message.
std::string indent(const std::string& text, const std::string& pad) {
    std::string out;
    for (char c : text) {
        out += c;
        if (c == '\n') out += pad;
    }
    return out;
}

// Every value is made safe (secrets redacted, controls escaped) before the palette styles it.
void render_finding(std::string& out, const engine::Finding& f, const Palette& p, bool in_builder_group) {
    const std::string pad = "           ";
    out += "  " + severity_label(f.severity, p) + "  " + p.bold + util::safe_text(f.rule) + p.reset + "\n";
    std::string where;
    if (f.location) {
        where = util::safe_text(f.location->file);
        if (f.location->line > 0) where += ":" + std::to_string(f.location->line);
        where += ": ";
    }
    // Inside a builder's group the message need not repeat the builder.
    std::string message = f.message;
    if (in_builder_group && !f.builder.empty() && message.rfind(f.builder + ": ", 0) == 0)
        message = message.substr(f.builder.size() + 2);
    out += pad + indent(where + util::safe_text(message), pad) + "\n";
    if (!f.fix.empty()) out += pad + p.green + "fix: " + p.reset + indent(util::safe_text(f.fix), pad + "     ") + "\n";
}

std::string plural(int n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

std::string path_list(const nlohmann::json& paths) {
    std::string out;
    for (const auto& p : paths) out += (out.empty() ? "" : ", ") + util::safe_text(p.get<std::string>());
    return out;
}

// check --next: which system is checked, which files came from it, what changes for remote builds.
void render_next(std::string& out, const nlohmann::json& next, const Palette& p) {
    const std::string result = next.value("result", std::string());
    const std::string store_path = next.value("store_path", std::string());
    const std::string flake = next.value("flake", std::string());
    out += "\n" + p.bold + "Next generation" + p.reset + " " + util::safe_text(store_path.empty() ? result : store_path);
    if (!flake.empty()) out += " (built from " + util::safe_text(flake) + ")";
    else if (!store_path.empty() && store_path != result) out += " (" + util::safe_text(result) + ")";
    out += ": checked as it will be after switching\n";
    const auto& from = next.value("from_next", nlohmann::json::array());
    const auto& gone = next.value("gone", nlohmann::json::array());
    out += "  files from it: " + (from.empty() ? std::string("none") : path_list(from)) + "\n";
    if (!gone.empty()) out += "  gone in it: " + path_list(gone) + "\n";
    if (const auto& kept = next.value("kept", nlohmann::json::array()); !kept.empty())
        out += "  " + p.yellow + "not replaced by the activation (existing files): " + p.reset + path_list(kept) + "\n";
    const auto& changes = next.value("changes", nlohmann::json::array());
    if (changes.empty()) {
        out += "  no changes for remote builds from the running generation\n";
        return;
    }
    out += "  changes for remote builds (running -> next):\n";
    for (const auto& c : changes) {
        const std::string kind = c.value("kind", std::string());
        const char* mark = kind == "builder_added" ? "+" : kind == "builder_removed" ? "-" : "~";
        out += "    " + std::string(mark) + " " + util::safe_text(c.value("text", std::string())) + "\n";
    }
}

}  // namespace

bool should_use_color(int fd) {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    const char* force = std::getenv("CLICOLOR_FORCE");
    if (force && *force && std::string(force) != "0") return true;
    return ::isatty(fd) == 1;
}

std::string render_text(const Report& r, const TextStyle& style) {
    const Palette p = palette(style);
    std::string out;
    out += p.bold + "nix-builder-doctor " + r.tool_version + p.reset + ": " + util::safe_text(r.context) + "\n";
    for (const auto& note : r.notes) out += p.dim + "  " + util::safe_text(note) + p.reset + "\n";
    if (!r.next.is_null()) render_next(out, r.next, p);

    std::map<std::string, std::vector<const engine::Finding*>> by_builder;
    for (const auto& f : r.findings) by_builder[f.builder].push_back(&f);

    for (const auto& b : r.builders) {
        out += "\n" + p.bold + util::safe_text(b.uri) + p.reset + (b.where.empty() ? "" : p.dim + "  (" + util::safe_text(b.where) + ")" + p.reset) + "\n";
        int errors = 0, warnings = 0;
        for (const auto* f : by_builder[b.uri]) {
            render_finding(out, *f, p, true);
            errors += f->severity == engine::Severity::error;
            warnings += f->severity == engine::Severity::warning;
        }
        const std::string verdict = builder_verdict(r, b);
        std::string line;
        if (verdict == "broken") line = p.red + p.bold + "broken" + p.reset + ": " + plural(errors, "error");
        else if (verdict == "ok") line = p.green + p.bold + "ok" + p.reset;
        else if (warnings) line = p.yellow + "no errors in the files" + p.reset + ", " + plural(warnings, "warning");
        else line = p.green + "no problems found in the files" + p.reset;
        if (!(b.probe_ran || b.probed) && verdict != "broken") line += p.dim + " (not probed live)" + p.reset;
        else if (!b.probed && verdict != "broken") line += p.dim + " (probed live: not every stage passed)" + p.reset;
        out += "  verdict: " + line + "\n";
        by_builder.erase(b.uri);
    }
    // Findings that belong to no listed builder: the local machine's configuration.
    std::vector<const engine::Finding*> general;
    for (const auto& [builder, list] : by_builder) general.insert(general.end(), list.begin(), list.end());
    if (!general.empty()) {
        out += "\n" + p.bold + "This machine" + p.reset + "\n";
        for (const auto* f : general) render_finding(out, *f, p, false);
    }
    out += "\n" + plural(r.summary.error, "error") + ", " + plural(r.summary.warning, "warning") + ", " +
           std::to_string(r.summary.info) + " info";
    if (r.summary.suppressed) out += " (" + std::to_string(r.summary.suppressed) + " suppressed)";
    out += "\n";
    return out;
}

}  // namespace nbd::report
