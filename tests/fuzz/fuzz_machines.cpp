// libFuzzer target: a machines file, parsed both as a file and as the `builders` value, with
// every `@file` served the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nix_builder_doctor/parse/machines.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    nbd::parse::IncludeSource includes;
    includes.read = [&text](const std::string& path) {
        nbd::parse::ReadResult r;
        r.status =
            path.size() % 5 == 0 ? nbd::parse::ReadStatus::missing : nbd::parse::ReadStatus::ok;
        if (r.status == nbd::parse::ReadStatus::ok) r.text = text;
        return r;
    };
    auto as_file = nbd::parse::parse_machines(text, "/etc/nix/machines", 0, includes);
    auto as_setting = nbd::parse::parse_machines(text, "/etc/nix/nix.conf", 3, includes);
    for (const auto& m : as_file.machines) (void)m.store.param("ssh-key");
    return 0;
}
