#include "nix_builder_doctor/route/listing_text.hpp"

#include <sstream>
#include <vector>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::route {

std::string braces(const std::set<std::string>& s) { return "{" + util::join(std::vector<std::string>(s.begin(), s.end()), ", ") + "}"; }

std::string number(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

}  // namespace nbd::route
