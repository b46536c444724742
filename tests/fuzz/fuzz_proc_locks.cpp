// libFuzzer target: the kernel's lock list (/proc/locks) as route reads it, and the version
// text of `nix --version`. Neither may crash on any input; every lock kept is a granted FLOCK.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nix_builder_doctor/route/nix_logic.hpp"
#include "nix_builder_doctor/route/slot_locks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto locks = nbd::route::parse_proc_locks(text);
    if (locks.size() > size) std::abort();  // one line per lock at least
    if (const auto logic = nbd::route::logic_from_version_text(text)) {
        if (logic->version.empty()) std::abort();
        (void)logic->describe();
    }
    (void)nbd::route::nix_base32(text);
    return 0;
}
