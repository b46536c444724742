// libFuzzer target: the bytes as an ssh_config (every included path serves the same bytes, so
// Include recursion is exercised), then evaluation for a few destinations.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nix_builder_doctor/parse/ssh_config.hpp"

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
    const SshConfig user = parse_ssh_config(text, "/root/.ssh/config", source, "/root/.ssh");
    reads = 0;
    const SshConfig system = parse_ssh_config(text, "/etc/ssh/ssh_config", source, "/etc/ssh");
    for (const char* host : {"builder", "10.0.0.5", "B1"}) {
        SshTarget t;
        t.host = host;
        t.local_user = "root";
        t.local_home = "/root";
        t.local_hostname = "client.example";
        t.local_uid = 0;
        const auto o = evaluate_ssh_config({&user, &system}, t);
        (void)o;
    }
    SshTarget t;
    t.host = text.substr(0, 64);
    t.user = "nix";
    t.port = 2222;
    t.local_user = "root";
    t.local_home = "/root";
    (void)evaluate_ssh_config({&user}, t);
    return 0;
}
