// JUnit XML: one <testsuite> per builder and one for this machine; a <testcase> per live stage
// (time from stage_ms) and per finding. Errors are <failure>; warnings and infos pass and carry
// their text in <system-out> (GitLab and Jenkins count every <failure> as a failed test, and
// neither has a warning state: see docs/formats.md).
#include <ctime>
#include <sstream>

#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/report/stage_outcome.hpp"
#include "nix_builder_doctor/report/xml_text.hpp"

namespace nbd::report {
namespace {

std::string seconds(long long ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%03lld", ms / 1000, ms % 1000);
    return buf;
}

std::string iso_utc(double unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return buf;
}

struct Case {
    std::string name;
    long long ms = 0;
    enum { passed, failed, skipped } result = passed;
    std::string failure_type;  // "error", "stage"
    std::string message;       // the failure's message attribute
    std::string body;          // failure text, or system-out for a passing case
};

struct Suite {
    std::string name;
    std::vector<std::pair<std::string, std::string>> properties;
    std::vector<Case> cases;
};

Case finding_case(const engine::Finding& f) {
    Case c;
    c.name = f.rule;
    std::string text = f.title + "\n" + f.message;
    if (f.location) text += "\nat " + f.location->file + (f.location->line > 0 ? ":" + std::to_string(f.location->line) : "");
    if (!f.fix.empty()) text += "\nfix: " + f.fix;
    if (f.severity == engine::Severity::error) {
        c.result = Case::failed;
        c.failure_type = "error";
        c.message = f.message;
        c.body = text;
    } else {
        c.body = std::string(engine::to_string(f.severity)) + ": " + text;
    }
    return c;
}

void write_suite(std::ostream& out, const Suite& s, const std::string& timestamp) {
    long long ms = 0;
    int failures = 0, skipped = 0;
    for (const auto& c : s.cases) {
        ms += c.ms;
        failures += c.result == Case::failed;
        skipped += c.result == Case::skipped;
    }
    out << "  <testsuite name=\"" << xml_attribute(s.name) << "\" tests=\"" << s.cases.size() << "\" failures=\"" << failures
        << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << seconds(ms) << "\" timestamp=\"" << timestamp << "\">\n";
    out << "    <properties>\n";
    for (const auto& [name, value] : s.properties)
        out << "      <property name=\"" << xml_attribute(name) << "\" value=\"" << xml_attribute(value) << "\"/>\n";
    out << "    </properties>\n";
    for (const auto& c : s.cases) {
        out << "    <testcase classname=\"" << xml_attribute(s.name) << "\" name=\"" << xml_attribute(c.name) << "\" time=\""
            << seconds(c.ms) << "\"";
        if (c.result == Case::passed && c.body.empty()) {
            out << "/>\n";
            continue;
        }
        out << ">\n";
        if (c.result == Case::failed)
            out << "      <failure type=\"" << c.failure_type << "\" message=\"" << xml_attribute(c.message) << "\">"
                << xml_text(c.body) << "</failure>\n";
        else if (c.result == Case::skipped)
            out << "      <skipped message=\"" << xml_attribute(c.message) << "\"/>\n";
        else
            out << "      <system-out>" << xml_text(c.body) << "</system-out>\n";
        out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
}

}  // namespace

std::string render_junit(const Report& r) {
    std::vector<Suite> suites;
    Suite local{kThisMachine, {{"principal", r.principal}, {"context", r.context}}, {}};
    for (const auto& f : r.findings)
        if (f.builder.empty()) local.cases.push_back(finding_case(f));
    suites.push_back(std::move(local));
    for (const auto& b : r.builders) {
        Suite s{b.uri, {{"verdict", builder_verdict(r, b)}, {"where", b.where}}, {}};
        for (const auto& stage : stages_in_probe_order(b.stages)) {
            const std::string outcome = stage_outcome(b.stages, stage);
            Case c;
            c.name = stage;
            if (const auto ms = b.stage_ms.find(stage); ms != b.stage_ms.end() && ms->is_number_integer() && ms->get<long long>() > 0)
                c.ms = ms->get<long long>();
            if (stage_skipped(outcome)) {
                c.result = Case::skipped;
                c.message = stage + ": " + outcome;
            } else if (!stage_passed(outcome)) {
                c.result = Case::failed;
                c.failure_type = "stage";
                c.message = stage + ": " + outcome;
                c.body = b.uri + ": the " + stage + " stage ended \"" + outcome + "\"";
            }
            s.cases.push_back(std::move(c));
        }
        for (const auto& f : r.findings)
            if (f.builder == b.uri) s.cases.push_back(finding_case(f));
        suites.push_back(std::move(s));
    }
    // Findings about a builder that is not in the list (a duplicate line, say) go with this machine.
    for (const auto& f : r.findings) {
        if (f.builder.empty()) continue;
        bool listed = false;
        for (const auto& b : r.builders) listed = listed || b.uri == f.builder;
        if (!listed) {
            Case c = finding_case(f);
            c.name = f.rule + " (" + f.builder + ")";
            suites.front().cases.push_back(std::move(c));
        }
    }

    long long ms = 0;
    std::size_t tests = 0;
    int failures = 0;
    for (const auto& s : suites)
        for (const auto& c : s.cases) {
            ms += c.ms;
            ++tests;
            failures += c.result == Case::failed;
        }
    const std::string timestamp = iso_utc(r.run_timestamp_seconds);
    std::ostringstream out;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << "<testsuites name=\"nix-builder-doctor " << xml_attribute(r.tool_version) << "\" tests=\"" << tests << "\" failures=\""
        << failures << "\" errors=\"0\" time=\"" << seconds(ms) << "\">\n";
    for (const auto& s : suites) write_suite(out, s, timestamp);
    out << "</testsuites>\n";
    return out.str();
}

}  // namespace nbd::report
