// libFuzzer target: the same bytes as /etc/passwd and /etc/group, then the lookups.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nix_builder_doctor/parse/passwd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto passwd = nbd::parse::parse_passwd(text, "/etc/passwd");
    auto group = nbd::parse::parse_group(text, "/etc/group");
    if (!passwd.entries.empty()) {
        (void)nbd::parse::groups_of(passwd, group, passwd.entries.front().name);
        (void)passwd.find_uid(passwd.entries.back().uid);
    }
    (void)nbd::parse::groups_of(passwd, group, "root");
    return 0;
}
