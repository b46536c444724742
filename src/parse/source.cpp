#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::parse {

std::string format_diagnostic(const Diagnostic& d) {
    if (d.line > 0) return d.file + ":" + std::to_string(d.line) + ": " + d.message;
    return d.file + ": " + d.message;
}

}  // namespace nbd::parse
