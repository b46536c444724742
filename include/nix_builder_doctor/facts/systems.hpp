// Nix system doubles: which ones exist, and this machine's.
#pragma once

#include <string>
#include <vector>

namespace nbd::facts {

bool is_known_system(const std::string& system);
std::string host_system();  // e.g. "x86_64-linux", from uname

}  // namespace nbd::facts
