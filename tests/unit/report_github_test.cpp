// GitHub workflow commands: one line per finding, error/warning/notice, file and line when the
// finding has them, and the escaping of actions/toolkit's command.ts (data: % CR LF; property
// values also ':' and ','), so no configured string can end the command or start another one.
#include "report_formats_fixture.hpp"

namespace {

using namespace report_fixture;
using nbd::report::escape_workflow_data;
using nbd::report::escape_workflow_property;
using nbd::report::render_github;

TEST(ReportGithub, EscapingIsTheToolkits) {
    EXPECT_EQ(escape_workflow_data("100% done\nnext: a,b"), "100%25 done%0Anext: a,b");
    EXPECT_EQ(escape_workflow_property("100% done\nnext: a,b"), "100%25 done%0Anext%3A a%2Cb");
    // util::safe_text shows CR as \x0D before the toolkit's escaping could see it.
    EXPECT_EQ(escape_workflow_data("a\rb"), "a\\x0db");
    EXPECT_EQ(escape_workflow_data("%0A"), "%250A");  // an already-escaped look-alike stays literal
}

TEST(ReportGithub, OneCommandPerFinding) {
    EXPECT_EQ(render_github(healthy()), "");
    EXPECT_EQ(render_github(broken()),
              "::error file=/etc/nix/machines,line=2,title=net.connection-refused%3A title of net.connection-refused "
              "(ssh%3A//nix@beta)::ssh://nix@beta: beta:22 refused the connection%0AFix: fix for net.connection-refused\n"
              "::warning file=/etc/nix/nix.conf,line=4,title=nixconf.unknown-setting%3A title of nixconf.unknown-setting"
              "::unknown setting 'trusted-user'%0AFix: fix for nixconf.unknown-setting\n");
    const std::string w = render_github(warnings_only());
    EXPECT_NE(w.find("::notice title=doctor.cannot-read%3A title of doctor.cannot-read::cannot read"), std::string::npos) << w;
}

TEST(ReportGithub, HostileStringsCannotInjectCommands) {
    const std::string out = render_github(hostile());
    // Exactly one line per finding, each starting with our command.
    std::size_t lines = 0;
    for (std::size_t start = 0; start < out.size();) {
        const std::size_t end = out.find('\n', start);
        ASSERT_NE(end, std::string::npos);
        const std::string line = out.substr(start, end - start);
        EXPECT_TRUE(line.rfind("::error ", 0) == 0 || line.rfind("::warning ", 0) == 0) << line;
        EXPECT_EQ(line.find('\r'), std::string::npos);
        // The properties end at the first "::" after the command: no property contains one.
        const std::size_t props_end = line.find("::", 2);
        const std::string props = line.substr(0, props_end);
        EXPECT_EQ(props.find("::", 2), std::string::npos) << props;
        ++lines;
        start = end + 1;
    }
    EXPECT_EQ(lines, 2u);
    EXPECT_EQ(out.find('\x1b'), std::string::npos);
    EXPECT_NE(out.find("\\x0d%0A%3A%3Aerror%3A%3Aowned%0A"), std::string::npos) << out;  // in the title property
    EXPECT_NE(out.find("\\x0d%0A::error::owned%0A"), std::string::npos) << out;          // in the message
}

}  // namespace
