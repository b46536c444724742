// libFuzzer target: authorized_keys files (options + keys).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nix_builder_doctor/parse/authorized_keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto keys = nbd::parse::parse_authorized_keys(text, "authorized_keys");
    for (const auto& d : keys.diagnostics) (void)nbd::parse::format_diagnostic(d);
    return 0;
}
