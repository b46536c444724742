// libFuzzer target: identity files (openssh-key-v1, PEM, PKCS#8, PuTTY, public keys, garbage).
// The seed keys in corpus/private_key are throwaway keys generated for the tests only.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nix_builder_doctor/parse/private_key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto info = nbd::parse::parse_private_key(text, "id_key");
    (void)nbd::parse::to_string(info.format);
    return 0;
}
