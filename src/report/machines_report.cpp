// The machines lines of the builders whose verdict is "ok", as written, one per line, so
// `builders = @FILE` uses only builders the live probe verified. Nothing when none is ok. An
// entry is one line of a machines file, so one with a line break (never from the parser) is
// left out rather than split into lines Nix would read as other builders.
#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/util/output.hpp"

namespace nbd::report {

std::string render_machines(const Report& r) {
    std::string out;
    for (const auto& b : r.builders)
        if (builder_verdict(r, b) == "ok" && !b.entry.empty() && b.entry.find_first_of("\r\n") == std::string::npos)
            out += util::safe_text(b.entry) + "\n";
    return out;
}

}  // namespace nbd::report
