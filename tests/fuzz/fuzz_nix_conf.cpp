// libFuzzer target: nix.conf text, with every include served the same bytes (exercises
// recursion, cycles and the include budget).
#include <cstddef>
#include <cstdint>
#include <string>

#include "nix_builder_doctor/parse/nix_conf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    nbd::parse::IncludeSource includes;
    includes.read = [&text](const std::string& path) {
        nbd::parse::ReadResult r;
        r.status =
            path.size() % 7 == 0 ? nbd::parse::ReadStatus::missing : nbd::parse::ReadStatus::ok;
        if (r.status == nbd::parse::ReadStatus::ok) r.text = text;
        return r;
    };
    auto conf = nbd::parse::parse_nix_conf(text, "/etc/nix/nix.conf", includes);
    (void)conf.get("builders");
    return 0;
}
