// libFuzzer target: nix.conf text, with every include served the same bytes (exercises
// recursion, cycles and depth).
#include <cstddef>
#include <cstdint>
#include <string>

#include "nix_builder_doctor/parse/nix_conf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    nbd::parse::IncludeSource includes;
    // Serve the bytes for a few dozen files (enough for cycles and depth, 16), then "missing",
    // as the ssh targets do: without that every input fans out to the 256-file budget. The
    // budget itself is covered by the unit tests (limits_test, parse_scaling_test).
    int reads = 0;
    includes.read = [&text, &reads](const std::string& path) {
        nbd::parse::ReadResult r;
        r.status = path.size() % 7 == 0 || ++reads > 40 ? nbd::parse::ReadStatus::missing
                                                         : nbd::parse::ReadStatus::ok;
        if (r.status == nbd::parse::ReadStatus::ok) r.text = text;
        return r;
    };
    auto conf = nbd::parse::parse_nix_conf(text, "/etc/nix/nix.conf", includes);
    (void)conf.get("builders");
    return 0;
}
