// Prometheus textfile metrics: `promtool check metrics` passes (format and lint), builder_up
// says which builder is down, durations in seconds, label values escaped.
#include "report_formats_fixture.hpp"

namespace {

using namespace report_fixture;
using nbd::report::escape_label_value;
using nbd::report::render_prometheus;

Validation promtool(const std::string& text) {
    // promtool reads the metrics on stdin.
    return run_validator("sh -c 'promtool check metrics < \"$1\"' promtool", text, ".prom");
}

#define REQUIRE_PROMTOOL()                                                        \
    if (!have_program("promtool")) {                                              \
        GTEST_SKIP() << "promtool is not installed (Debian prometheus)";          \
    }

bool has_line(const std::string& text, const std::string& line) { return ("\n" + text).find("\n" + line + "\n") != std::string::npos; }

TEST(ReportPrometheus, PromtoolRejectsACounterWithoutHelp) {
    REQUIRE_PROMTOOL();
    EXPECT_NE(promtool("foo_total 1\n").status, 0);
}

TEST(ReportPrometheus, HealthyPassesPromtool) {
    REQUIRE_PROMTOOL();
    const std::string text = render_prometheus(healthy());
    const auto v = promtool(text);
    EXPECT_EQ(v.status, 0) << v.output << text;
    EXPECT_EQ(v.output, "") << text;  // no lint complaint either
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_builder_up{builder=\"ssh-ng://nix@alpha\",host=\"alpha\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_stage_duration_seconds{builder=\"ssh://nix@beta\",stage=\"nix\"} 1.234")) << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_builder_trusted{builder=\"ssh://nix@beta\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_last_run_timestamp_seconds 1764700000.5")) << text;
    EXPECT_TRUE(has_line(text,
                         "nix_builder_doctor_builder_info{builder=\"ssh-ng://nix@alpha\",host=\"alpha\",systems=\"x86_64-linux\","
                         "supported_features=\"kvm,big-parallel\",mandatory_features=\"\",nix_version=\"nix (Nix) 2.18.1\","
                         "daemon_version=\"2.18.1\",protocol_version=\"1.35\"} 1"))
        << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_findings{severity=\"error\"} 0")) << text;
}

TEST(ReportPrometheus, BrokenSaysWhichBuilderIsDown) {
    REQUIRE_PROMTOOL();
    const std::string text = render_prometheus(broken());
    const auto v = promtool(text);
    EXPECT_EQ(v.status, 0) << v.output << text;
    EXPECT_EQ(v.output, "") << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_builder_up{builder=\"ssh-ng://nix@alpha\",host=\"alpha\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_builder_up{builder=\"ssh://nix@beta\",host=\"beta\"} 0")) << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_builder_verdict{builder=\"ssh://nix@beta\",verdict=\"broken\"} 1")) << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_stage_ok{builder=\"ssh://nix@beta\",stage=\"tcp\"} 0")) << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_stage_outcome{builder=\"ssh://nix@beta\",stage=\"tcp\",outcome=\"refused\"} 1"))
        << text;
    EXPECT_TRUE(has_line(text,
                         "nix_builder_doctor_rule_findings{rule=\"net.connection-refused\",severity=\"error\",builder=\"ssh://nix@beta\"} 1"))
        << text;
    EXPECT_TRUE(has_line(text, "nix_builder_doctor_suppressed_findings 1")) << text;
    // Trust is unknown for beta: no sample rather than a made-up value.
    EXPECT_EQ(text.find("builder_trusted{builder=\"ssh://nix@beta\"}"), std::string::npos) << text;
}

TEST(ReportPrometheus, OfflineAndEmptyStillPass) {
    REQUIRE_PROMTOOL();
    Report r = base();
    r.summary = nbd::engine::summarize(r.findings, 0);
    const auto v = promtool(render_prometheus(r));
    EXPECT_EQ(v.status, 0) << v.output;
    EXPECT_EQ(v.output, "");
}

TEST(ReportPrometheus, LabelValuesAreEscaped) {
    EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    REQUIRE_PROMTOOL();
    const std::string text = render_prometheus(hostile());
    const auto v = promtool(text);
    EXPECT_EQ(v.status, 0) << v.output << text;
    // The would-be metric lines stay inside a label value.
    EXPECT_EQ(text.find("\nevil 1"), std::string::npos) << text;
    EXPECT_EQ(text.find("\n# TYPE evil"), std::string::npos) << text;
}

}  // namespace
