// Base64 and hashes, all through OpenSSL's libcrypto (no hand-written crypto).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbd::util {

using Bytes = std::vector<std::uint8_t>;

// Strict standard-alphabet base64 (A-Z a-z 0-9 + /, `=` padding only at the end, length a
// multiple of 4 once padded). nullopt when the text is not base64.
std::optional<Bytes> base64_decode(std::string_view text);
// Lenient decoder with Nix's semantics (machines column 8): standard alphabet only, stops at the
// first `=`, skips '\n', padding not checked. nullopt on an invalid character.
std::optional<Bytes> base64_decode_nix(std::string_view text);
std::string base64_encode(const Bytes& bytes);
std::string base64_encode(std::string_view bytes);

Bytes sha256(const Bytes& data);
Bytes hmac_sha1(const Bytes& key, std::string_view message);

// `ssh-keygen -l` form: "SHA256:" + base64 without padding.
std::string sha256_fingerprint(const Bytes& key_blob);

std::string to_string(const Bytes& bytes);
Bytes to_bytes(std::string_view s);

}  // namespace nbd::util
