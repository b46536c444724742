// GitHub Actions workflow commands: one `::error|warning|notice file=F,line=L,title=T::message`
// per finding, escaped as actions/toolkit's command.ts does (data: % CR LF; properties also
// ':' and ','), after util::safe_text.
#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/util/output.hpp"

namespace nbd::report {
namespace {

std::string escape(std::string_view text, bool property) {
    std::string out;
    for (const char c : util::safe_text(text)) {
        switch (c) {
            case '%': out += "%25"; break;
            case '\r': out += "%0D"; break;
            case '\n': out += "%0A"; break;
            case ':': out += property ? "%3A" : ":"; break;
            case ',': out += property ? "%2C" : ","; break;
            default: out += c;
        }
    }
    return out;
}

std::string command(engine::Severity s) {
    switch (s) {
        case engine::Severity::error: return "error";
        case engine::Severity::warning: return "warning";
        case engine::Severity::info: return "notice";
    }
    return "notice";
}

}  // namespace

std::string escape_workflow_data(std::string_view text) { return escape(text, false); }
std::string escape_workflow_property(std::string_view text) { return escape(text, true); }

std::string render_github(const Report& r) {
    std::string out;
    for (const auto& f : r.findings) {
        std::vector<std::string> properties;
        if (f.location && !f.location->file.empty()) {
            properties.push_back("file=" + escape_workflow_property(f.location->file));
            if (f.location->line > 0) properties.push_back("line=" + std::to_string(f.location->line));
        }
        std::string title = f.rule + ": " + f.title;
        if (!f.builder.empty()) title += " (" + f.builder + ")";
        properties.push_back("title=" + escape_workflow_property(title));
        std::string message = f.message;
        if (!f.fix.empty()) message += "\nFix: " + f.fix;
        out += "::" + command(f.severity);
        for (std::size_t i = 0; i < properties.size(); ++i) out += (i == 0 ? " " : ",") + properties[i];
        out += "::" + escape_workflow_data(message) + "\n";
    }
    return out;
}

}  // namespace nbd::report
