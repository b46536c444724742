#include "nix_builder_doctor/facts/producers.hpp"

namespace nbd::facts {

void gather_nixos(GatherContext& ctx) {
    auto& n = ctx.facts["nixos"];
    const auto& conf = n["nix_conf"];
    n["nix_conf_not_managed"] = n["is_nixos"].get<bool>() && conf.value("exists", false) && !conf.contains("symlink_target");
    n["lib_not_in_scope"] = nlohmann::json::array();
}

}  // namespace nbd::facts
