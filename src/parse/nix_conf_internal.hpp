// Private glue between the two halves of the nix.conf parser.
#pragma once

#include "nix_builder_doctor/parse/nix_conf.hpp"

namespace nbd::parse::detail {

// Classify conf.assignments (known / alias / extra- / unknown) and fill effective,
// unknown_settings and deprecated_settings.
void apply_nix_conf_settings(NixConf& conf);

}  // namespace nbd::parse::detail
