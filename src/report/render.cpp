#include <stdexcept>

#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/util/output.hpp"

namespace nbd::report {

std::string render(const Report& r, const std::string& format, const TextStyle& style) {
    if (format == "text") return render_text(r, style);
    if (format == "json") return util::dump_json(render_json(r)) + "\n";
    throw std::invalid_argument("no renderer for the format '" + format + "'");
}

}  // namespace nbd::report
