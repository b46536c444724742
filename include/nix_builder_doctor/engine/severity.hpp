// Finding severities and their order (error > warning > info).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nbd::engine {

enum class Severity { info = 0, warning = 1, error = 2 };

std::string_view to_string(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

}  // namespace nbd::engine
