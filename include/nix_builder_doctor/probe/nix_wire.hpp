// Nix's wire framing: unsigned 64-bit little-endian words (strings are a length word, the
// bytes, and zero padding to a multiple of 8).
#pragma once

#include <cstdint>
#include <string>

namespace nbd::probe {

inline std::string encode_u64(std::uint64_t v) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
}

inline std::uint64_t decode_u64(const std::string& bytes) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0 && static_cast<std::size_t>(i) < bytes.size(); --i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
    return v;
}

}  // namespace nbd::probe
