// How the CI and fleet formats read a live stage's outcome ("ok", "refused", "skipped", ...).
#pragma once

#include <string>

namespace nbd::report {

// The name used for findings that are about no builder (JUnit suite, SARIF property, ...).
inline constexpr const char* kThisMachine = "this machine";

inline bool stage_passed(const std::string& outcome) { return outcome == "ok"; }
inline bool stage_skipped(const std::string& outcome) { return outcome == "skipped"; }

}  // namespace nbd::report
