// libFuzzer target: a machines file, parsed both as a file and as the `builders` value, with
// every `@file` served the same bytes (recursion, cycles, depth).
#include <cstddef>
#include <cstdint>
#include <string>

#include "nix_builder_doctor/parse/machines.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    nbd::parse::IncludeSource includes;
    // Serve the bytes for a few dozen files (enough for cycles and depth, 16), then "missing",
    // as the ssh targets do: without that every input fans out to the 256-file budget, 256
    // copies of itself, and the target runs a few dozen inputs a second. The budget itself is
    // covered by the unit tests (limits_test, parse_scaling_test).
    int reads = 0;
    includes.read = [&text, &reads](const std::string& path) {
        nbd::parse::ReadResult r;
        r.status = path.size() % 5 == 0 || ++reads > 40 ? nbd::parse::ReadStatus::missing
                                                         : nbd::parse::ReadStatus::ok;
        if (r.status == nbd::parse::ReadStatus::ok) r.text = text;
        return r;
    };
    auto as_file = nbd::parse::parse_machines(text, "/etc/nix/machines", 0, includes);
    reads = 0;
    auto as_setting = nbd::parse::parse_machines(text, "/etc/nix/nix.conf", 3, includes);
    for (const auto& m : as_file.machines) {
        (void)m.store.param("ssh-key");
        if (m.identity_file && m.identity_file->empty()) __builtin_trap();  // never an empty -i
        if (m.host_key_set && m.host_key_source.empty()) __builtin_trap();
    }
    return 0;
}
