// libFuzzer target: the bytes as an sshd_config (every included path serves the same bytes, so
// Include recursion is exercised), then evaluation for a few connections and the access check.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nix_builder_doctor/parse/sshd_config.hpp"

using namespace nbd::parse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    IncludeSource source;
    // Serve the bytes for a few dozen includes (enough for cycles and depth), then "missing",
    // so one input stays fast; the 256-file budget itself is covered by the unit tests.
    int reads = 0;
    source.read = [&](const std::string&) {
        return ++reads <= 40 ? ReadResult{ReadStatus::ok, text}
                             : ReadResult{ReadStatus::missing, {}};
    };
    source.glob = [](const std::string& pattern) {
        std::vector<std::string> out{pattern};
        if (pattern.find('*') != std::string::npos) out.push_back(pattern + "2");
        return out;
    };
    const SshdConfig config = parse_sshd_config(text, "/etc/ssh/sshd_config", source);
    SshdMatchContext none;
    (void)evaluate_sshd_config(config, none);
    for (const char* addr : {"10.1.2.3", "2001:db8::1", "not-an-address"}) {
        SshdMatchContext c;
        c.user = "nix";
        c.groups = {"nixbld", "wheel"};
        c.host = "client.lan";
        c.address = addr;
        c.local_address = "192.0.2.1";
        c.local_port = 22;
        c.rdomain = "vrf1";
        const auto e = evaluate_sshd_config(config, c);
        std::string reason;
        (void)sshd_user_allowed(e, "nix", c.groups, "client.lan", addr, &reason);
        for (const auto& f : e.authorized_keys_files.values) {
            bool ok = true;
            (void)sshd_expand_authorized_keys_path(f, "/home/nix", "nix", 1000, &ok);
        }
    }
    (void)sshd_assemble_pubkey_algorithms(text.substr(0, 512));
    return 0;
}
