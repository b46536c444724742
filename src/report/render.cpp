#include <stdexcept>

#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/util/output.hpp"

namespace nbd::report {

std::string render(const Report& r, const std::string& format, const TextStyle& style) {
    if (format == "text") return render_text(r, style);
    if (format == "json") return util::dump_json(render_json(r)) + "\n";
    if (format == "junit") return render_junit(r);
    if (format == "sarif") return render_sarif(r);
    if (format == "github") return render_github(r);
    if (format == "prometheus") return render_prometheus(r);
    if (format == "machines") return render_machines(r);
    throw std::invalid_argument("unknown report format '" + format + "'");
}

}  // namespace nbd::report
