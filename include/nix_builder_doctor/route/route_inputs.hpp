// The route model's inputs, read from the Facts document: the machines in Nix's order, and the
// local daemon's settings with the defaults of the Nix version that applies.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nix_builder_doctor/route/route.hpp"

namespace nbd::route {

// What files cannot tell about this machine; known only when the doctor looks at the live root.
struct HostCapabilities {
    std::optional<bool> kvm;         // /dev/kvm readable and writable by the daemon
    std::optional<unsigned> cores;   // for max-jobs = auto
};

struct LocalInputs {
    Local local;
    std::vector<std::string> notes;  // assumptions made ("max-jobs = auto: 2 cores here")
};

LocalInputs local_from_facts(const nlohmann::json& facts, const NixLogic& logic, const HostCapabilities& host);
std::vector<Machine> machines_from_facts(const nlohmann::json& facts);
// "file:line: message" of the first machines line Nix rejects (it then uses no builder at all).
std::optional<std::string> machines_list_error(const nlohmann::json& facts);
// Nix's default system-features for `logic` on `system` (kvm and the experimental ones aside).
std::vector<std::string> default_system_features(const NixLogic& logic, const std::string& system);

}  // namespace nbd::route
