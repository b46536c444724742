#include "nix_builder_doctor/util/encoding.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace nbd::util {
namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// Decode a canonical, fully padded base64 string with libcrypto.
std::optional<Bytes> decode_padded(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    if (text.empty()) return Bytes{};
    Bytes out(text.size() / 4 * 3);
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    std::size_t padding = 0;
    if (text.back() == '=') ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

}  // namespace

std::optional<Bytes> base64_decode(std::string_view text) {
    std::size_t data_end = text.size();
    while (data_end > 0 && text[data_end - 1] == '=') --data_end;
    if (text.size() - data_end > 2) return std::nullopt;
    for (std::size_t i = 0; i < data_end; ++i)
        if (!is_base64_char(text[i])) return std::nullopt;
    std::string padded(text.substr(0, data_end));
    if (padded.size() % 4 == 1) return std::nullopt;
    if (text.size() != data_end && (text.size() % 4) != 0) return std::nullopt;
    while (padded.size() % 4 != 0) padded += '=';
    return decode_padded(padded);
}

std::optional<Bytes> base64_decode_nix(std::string_view text) {
    std::string clean;
    clean.reserve(text.size());
    for (char c : text) {
        if (c == '=') break;
        if (c == '\n') continue;
        if (!is_base64_char(c)) return std::nullopt;
        clean += c;
    }
    // Nix drops a trailing partial sextet group silently; so do we.
    if (clean.size() % 4 == 1) clean.pop_back();
    while (clean.size() % 4 != 0) clean += '=';
    return decode_padded(clean);
}

std::string base64_encode(const Bytes& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64_encode(std::string_view bytes) { return base64_encode(to_bytes(bytes)); }

Bytes sha256(const Bytes& data) {
    Bytes out(SHA256_DIGEST_LENGTH);
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
    out.resize(len);
    return out;
}

Bytes hmac_sha1(const Bytes& key, std::string_view message) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
    out.resize(len);
    return out;
}

std::string sha256_fingerprint(const Bytes& key_blob) {
    std::string b64 = base64_encode(sha256(key_blob));
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    return "SHA256:" + b64;
}

std::string to_string(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace nbd::util
