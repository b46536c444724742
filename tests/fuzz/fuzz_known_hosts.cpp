// libFuzzer target: known_hosts files, plus lookups of host names taken from the input itself.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nix_builder_doctor/parse/known_hosts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto known_hosts = nbd::parse::parse_known_hosts(text, "known_hosts");
    // Look up the first word and a fixed name, on the default and a custom port.
    const std::string_view first =
        text.substr(0, std::min<std::size_t>(text.find_first_of(" \t\n,"), 256));
    for (std::string_view host : {first, std::string_view("builder")}) {
        (void)nbd::parse::lookup_known_hosts(known_hosts, host, 22);
        (void)nbd::parse::find_known_hosts(known_hosts, host, 2222);
    }
    return 0;
}
