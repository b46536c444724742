// Where the project and its rule pages live on the web: SARIF's informationUri and helpUri.
// helpUri is the rule's file at the release tag of the running version, so the page a result
// links to is the rule text that produced it (docs/formats.md, "SARIF").
#pragma once

#include <string>

namespace nbd::report {

#ifndef NBD_PROJECT_URL  // set by CMake's NBD_PROJECT_URL
#define NBD_PROJECT_URL "https://github.com/nix-builder-doctor/nix-builder-doctor"
#endif
inline constexpr const char* kInformationUri = NBD_PROJECT_URL;

inline std::string rule_help_uri(const std::string& version, const std::string& rule_id) {
    return std::string(kInformationUri) + "/blob/v" + version + "/rules/" + rule_id + ".json";
}

}  // namespace nbd::report
