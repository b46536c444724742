// The `route` answer as text and as JSON (docs/route-json.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nix_builder_doctor/route/route.hpp"

namespace nbd::route {

struct RouteReport {
    Need need;
    std::string from;  // where the need came from
    NixLogic logic;
    Local local;
    std::vector<Machine> machines;
    Route route;
    std::vector<std::string> notes;  // assumptions and caveats
    bool live = false;               // builders were probed
};

std::string render_route_text(const RouteReport& report);
nlohmann::json route_json(const RouteReport& report);

}  // namespace nbd::route
