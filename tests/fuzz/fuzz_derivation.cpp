// libFuzzer target: Nix store derivations (ATerm). Whatever parses must write back to text
// that parses to the same derivation, and every error must carry a position inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "nix_builder_doctor/parse/derivation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto first = nbd::parse::parse_derivation(text, "fuzz.drv");
    if (first.error) {
        (void)nbd::parse::format_derivation_error(*first.error);
        if (first.error->line < 1 || first.error->column < 1 ||
            static_cast<std::size_t>(first.error->column) > size + 1)
            std::abort();
        return 0;
    }
    if (!first.limits.empty()) return 0;  // entries were dropped: the text written is shorter
    const auto& d = *first.derivation;
    (void)nbd::parse::features_nix_requires(d);
    const auto written = nbd::parse::write_derivation(d);
    const auto again = nbd::parse::parse_derivation(written, "written.drv");
    if (!again.derivation || nbd::parse::write_derivation(*again.derivation) != written)
        std::abort();
    return 0;
}
