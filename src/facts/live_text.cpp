#include "nix_builder_doctor/facts/live_text.hpp"

#include <algorithm>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {

std::string describe_unexpected_output(const std::string& bytes) {
    if (bytes.empty()) return "nothing: the remote command ended without a word";
    const bool binary = std::any_of(bytes.begin(), bytes.end(), [](unsigned char c) {
        return (c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f;
    });
    if (!binary) {
        std::string text(util::trim(bytes.substr(0, 300)));
        for (auto& c : text)
            if (c == '\n' || c == '\r' || c == '\t') c = ' ';
        return "\"" + text + (bytes.size() > 300 ? "...\"" : "\"");
    }
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < bytes.size() && i < 16; ++i) {
        const auto u = static_cast<unsigned char>(bytes[i]);
        if (!hex.empty()) hex += ' ';
        hex += kHex[u >> 4];
        hex += kHex[u & 0xf];
    }
    return std::to_string(bytes.size()) + " bytes of binary data (" + hex + (bytes.size() > 16 ? " ...)" : ")") +
           ", not the magic number Nix expects";
}

}  // namespace nbd::facts
