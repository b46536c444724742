// --format machines: the lines of the builders whose verdict is "ok", as written; nothing when
// none is ok, so `builders = @FILE` never lists a builder the probe could not verify.
#include "report_formats_fixture.hpp"

namespace {

using namespace report_fixture;
using nbd::report::render_machines;

TEST(ReportMachines, ListsOnlyVerifiedBuilders) {
    const Report h = healthy();
    EXPECT_EQ(render_machines(h), h.builders[0].entry + "\n" + h.builders[1].entry + "\n");
    const Report b = broken();
    EXPECT_EQ(render_machines(b), b.builders[0].entry + "\n");
}

TEST(ReportMachines, UnknownIsNotOk) {
    Report r = healthy();
    for (auto& b : r.builders) b.probed = false;  // offline: files alone cannot prove a builder works
    EXPECT_EQ(render_machines(r), "");
}

TEST(ReportMachines, AWarningKeepsTheBuilder) {
    const Report r = warnings_only();
    EXPECT_EQ(render_machines(r), r.builders[0].entry + "\n" + r.builders[1].entry + "\n");
}

TEST(ReportMachines, AnEntryWithALineBreakIsLeftOut) {
    Report r = hostile();
    r.findings.clear();
    r.builders[0].probed = true;
    EXPECT_EQ(render_machines(r), "");  // its "evil 1" line would be another builder to Nix
}

TEST(ReportMachines, ControlBytesAreShownNotWritten) {
    Report r = healthy();
    r.builders[1].entry = "ssh://nix@beta\x1b]0;title\x07 x86_64-linux";
    EXPECT_EQ(render_machines(r), r.builders[0].entry + "\nssh://nix@beta\\x1b]0;title\\x07 x86_64-linux\n");
}

}  // namespace
