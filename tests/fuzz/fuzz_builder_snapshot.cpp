// The output of the snapshot script comes from the builder: hostile bytes must not crash the
// parser or make it read outside what it was given.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nix_builder_doctor/facts/memory_filesystem.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string output(reinterpret_cast<const char*>(data), size);
    auto snapshot = nbd::facts::parse_builder_snapshot(output);
    (void)snapshot.fs.read("/etc/nix/nix.conf");
    (void)snapshot.fs.glob("/etc/ssh/*");
    (void)snapshot.fs.list_directory("/etc");
    return 0;
}
