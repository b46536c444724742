// libFuzzer target: OpenSSH public key lines, .pub files and raw wire blobs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nix_builder_doctor/parse/ssh_public_key.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    using namespace nbd::parse;
    if (auto key = parse_public_key(text)) (void)public_key_line(*key.key);
    (void)parse_public_key_file(text);
    if (auto key = parse_public_key_blob(nbd::util::Bytes(data, data + size)))
        (void)same_public_key(*key.key, *key.key);
    return 0;
}
