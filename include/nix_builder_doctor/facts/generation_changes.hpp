// What changes for remote builds between two Facts documents: the running generation's (read
// from the root as it is) and the next one's (check --next). A pure function over the two
// documents: builders added, removed or changed (matched by store URI), the nix.conf settings
// remote builds depend on, and for each builder root's known host keys, its key and its ssh
// destination. Each change is one JSON object (the `next.changes` list of the JSON report):
//   {"kind": "builder_added" | "builder_removed" | "builder_changed" | "setting_changed",
//    "builder": URI ("" for a setting), "what": field or setting name,
//    "running": value or null, "next": value or null, "text": one sentence for people}
#pragma once

#include <nlohmann/json.hpp>

namespace nbd::facts {

nlohmann::json generation_changes(const nlohmann::json& running, const nlohmann::json& next);

// The nix.conf settings compared, in report order.
const std::vector<std::string>& compared_settings();

}  // namespace nbd::facts
