#include "nix_builder_doctor/explain/protocol_text.hpp"

#include <charconv>
#include <cstdint>
#include <optional>

namespace nbd::explain {
namespace {

constexpr std::string_view kMarker = "serialised integer ";

// The 8 bytes of `value`, least significant first, as escaped text; nothing when one is not text.
std::optional<std::string> as_text(std::uint64_t value) {
    std::string out;
    for (int i = 0; i < 8; ++i) {
        const auto c = static_cast<unsigned char>(value >> (8 * i));
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
        else return std::nullopt;
    }
    return out;
}

}  // namespace

std::string reveal_protocol_text(std::string_view line) {
    const std::size_t at = line.find(kMarker);
    if (at == std::string_view::npos) return std::string(line);
    const char* first = line.data() + at + kMarker.size();
    const char* last = line.data() + line.size();
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(first, last, value);
    if (error != std::errc() || end == first) return std::string(line);
    const auto text = as_text(value);
    if (!text) return std::string(line);
    return std::string(line) + " (its 8 bytes as text: '" + *text + "')";
}

}  // namespace nbd::explain
