// libFuzzer target: a NixOS module's text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nix_builder_doctor/parse/nixos_module.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto header = nbd::parse::parse_nixos_module_header(text, "/etc/nixos/configuration.nix");
    (void)header;
    return 0;
}
