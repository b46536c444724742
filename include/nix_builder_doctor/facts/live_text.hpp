// Texts the live facts give the rules' messages.
#pragma once

#include <string>

namespace nbd::facts {

// What came instead of Nix's handshake, as a reader can take it in: the text quoted, binary
// bytes in hex, or nothing at all said as such (never an empty string).
std::string describe_unexpected_output(const std::string& bytes);

}  // namespace nbd::facts
