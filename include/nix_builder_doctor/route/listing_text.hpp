// How the build hook writes sets and numbers in its listing and how route's report repeats them.
#pragma once

#include <set>
#include <string>

namespace nbd::route {

// "{a, b}": a set as the hook's listing brackets it (Nix >= 2.12), in sorted order.
std::string braces(const std::set<std::string>& s);
// A number as `std::ostream <<` writes it: 2, 0.5, 1e+06 (the hook prints speed factors so).
std::string number(double v);

}  // namespace nbd::route
