// libFuzzer target: the same bytes as a macOS user record and a group record
// (/var/db/dslocal/nodes/Default/{users,groups}/NAME.plist, binary or XML property lists read by
// libplist). Malformed input must give an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nix_builder_doctor/parse/dslocal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const auto user = nbd::parse::parse_dslocal_user(bytes);
    if (user.record) (void)nbd::parse::parse_dslocal_id(user.record->generated_uid);
    const auto group = nbd::parse::parse_dslocal_group(bytes);
    if (group.record && !group.record->entry.members.empty())
        (void)group.record->entry.members.front().size();
    return 0;
}
