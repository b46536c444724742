// JUnit XML: valid against Jenkins' xUnit plugin schema (xmllint --schema), one suite per
// builder plus this machine, failures only for errors and failed stages, warnings in
// system-out, times from stage_ms, hostile bytes still well-formed XML 1.0.
#include "report_formats_fixture.hpp"

namespace {

using namespace report_fixture;
using nbd::report::render_junit;

Validation xmllint_schema(const std::string& xml) {
    return run_validator("xmllint --noout --schema " + shell_quote(source_path("tests/report/junit-10.xsd")), xml, ".xml");
}

#define REQUIRE_XMLLINT()                                                              \
    if (!have_program("xmllint")) {                                                    \
        GTEST_SKIP() << "xmllint is not installed (Debian libxml2-utils)";             \
    }

TEST(ReportJunit, TheSchemaRejectsASuiteWithoutCounts) {
    REQUIRE_XMLLINT();
    EXPECT_NE(xmllint_schema("<testsuites><testsuite name=\"x\"/></testsuites>\n").status, 0);
}

TEST(ReportJunit, HealthyIsValidAndPasses) {
    REQUIRE_XMLLINT();
    const std::string xml = render_junit(healthy());
    const auto v = xmllint_schema(xml);
    EXPECT_EQ(v.status, 0) << v.output << xml;
    EXPECT_EQ(xml.find("<failure"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<testsuite name=\"this machine\" tests=\"0\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("<testsuite name=\"ssh-ng://nix@alpha\" tests=\"8\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"1.300\""),
              std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<testcase classname=\"ssh://nix@beta\" name=\"nix\" time=\"1.234\"/>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("timestamp=\"2025-12-02T18:26:40\""), std::string::npos) << xml;
}

TEST(ReportJunit, BrokenBuilderFailsItsStageAndItsFinding) {
    REQUIRE_XMLLINT();
    const std::string xml = render_junit(broken());
    const auto v = xmllint_schema(xml);
    EXPECT_EQ(v.status, 0) << v.output << xml;
    EXPECT_NE(xml.find("<testsuites name=\"nix-builder-doctor 0.1.0\" tests=\"12\" failures=\"2\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("<testsuite name=\"ssh://nix@beta\" tests=\"3\" failures=\"2\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("<failure type=\"stage\" message=\"tcp: refused\">"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<testcase classname=\"ssh://nix@beta\" name=\"net.connection-refused\""), std::string::npos) << xml;
    EXPECT_NE(xml.find("<failure type=\"error\" message=\"ssh://nix@beta: beta:22 refused the connection\">"), std::string::npos)
        << xml;
    EXPECT_NE(xml.find("<property name=\"verdict\" value=\"broken\"/>"), std::string::npos) << xml;
    // The warning about this machine passes, its text in system-out.
    EXPECT_NE(xml.find("<testcase classname=\"this machine\" name=\"nixconf.unknown-setting\" time=\"0.000\">\n"
                       "      <system-out>warning: title of nixconf.unknown-setting"),
              std::string::npos)
        << xml;
}

TEST(ReportJunit, WarningsOnlyHasNoFailure) {
    REQUIRE_XMLLINT();
    const std::string xml = render_junit(warnings_only());
    EXPECT_EQ(xmllint_schema(xml).status, 0) << xml;
    EXPECT_EQ(xml.find("<failure"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<system-out>warning: title of machines.features-split-by-space"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<system-out>info: title of doctor.cannot-read"), std::string::npos) << xml;
}

TEST(ReportJunit, HostileStringsStayWellFormedXml10) {
    REQUIRE_XMLLINT();
    const std::string xml = render_junit(hostile());
    const auto v = xmllint_schema(xml);
    EXPECT_EQ(v.status, 0) << v.output << xml;
    // No raw control byte but newline; no U+FFFE; markup only ours.
    for (const unsigned char c : xml) EXPECT_TRUE(c >= 0x20 || c == '\n') << static_cast<int>(c);
    EXPECT_EQ(xml.find("\xef\xbf\xbe"), std::string::npos);
    EXPECT_EQ(xml.find("]]>"), std::string::npos);
    EXPECT_NE(xml.find("x&quot;'&lt;&amp;&gt;]]&gt;%:,=\\ \\x0d&#10;::error::owned&#10;"), std::string::npos) << xml;
    EXPECT_NE(xml.find("\\x1b[2J\\x01\\x00"), std::string::npos) << xml;
}

TEST(ReportJunit, SecretsAreRedacted) {
    Report r = broken();
    r.findings[0].message = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
                            "-----END OPENSSH PRIVATE KEY-----";
    const std::string xml = render_junit(r);
    EXPECT_EQ(xml.find("b3BlbnNzaC1rZXktdjE"), std::string::npos) << xml;
    EXPECT_NE(xml.find("[redacted: private key]"), std::string::npos) << xml;
}

}  // namespace
