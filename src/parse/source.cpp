#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::parse {

std::string format_diagnostic(const Diagnostic& d) {
    if (d.line > 0) return d.file + ":" + std::to_string(d.line) + ": " + d.message;
    return d.file + ": " + d.message;
}

std::string format_limit(const LimitReached& l) {
    std::string where = l.file.empty() ? std::string() : (l.line > 0 ? l.file + ":" + std::to_string(l.line) : l.file) + ": ";
    return where + l.bound + " bound (" + std::to_string(l.value) + ") reached: " + l.what;
}

}  // namespace nbd::parse
