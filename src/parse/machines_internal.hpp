// Private helpers of the machines parser: store URI splitting and Nix's number conversions.
#pragma once

#include <optional>
#include <string_view>

#include "nix_builder_doctor/parse/machines.hpp"

namespace nbd::parse::detail {

// Column 0 completed and split like Machine::Machine / StoreReference::parse do.
MachineStoreUri parse_machine_store_uri(std::string_view written);
// string2Int<unsigned int>: boost::lexical_cast, optional '+', no '-', no overflow.
std::optional<unsigned> nix_string_to_unsigned(std::string_view s);
// string2Float<float>: boost::lexical_cast (decimal, exponent, inf, nan).
std::optional<float> nix_string_to_float(std::string_view s);
// The first character Nix's base64 decoder rejects (it stops at the first '='), if any.
std::optional<char> nix_base64_bad_char(std::string_view s);

}  // namespace nbd::parse::detail
