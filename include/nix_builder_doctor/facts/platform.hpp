// Which operating system a tree (--root, --remote-root) or a live builder is: "linux", "darwin"
// or "unknown", decided from files only that system has, and the file that decided it. The
// platform says where accounts live (/etc/passwd or Open Directory), root's home, the daemon's
// service and which shell files a non-interactive SSH command reads. "unknown" keeps the
// behaviour that needs no platform (passwd and group files, /root).
#pragma once

#include <string>

#include "nix_builder_doctor/facts/filesystem.hpp"

namespace nbd::facts {

struct Platform {
    std::string name = "unknown";  // "linux", "darwin", "unknown"
    std::string
        evidence;  // what decided it, e.g. "/System/Library/CoreServices/SystemVersion.plist"
    bool is_darwin() const { return name == "darwin"; }
    bool is_linux() const { return name == "linux"; }
};

// From the tree's files. `nix_system` is nix.conf's `system` when set: a weak marker, used only
// when no file of either system is there.
Platform detect_platform(FileSystem& fs, const std::string& nix_system = "");
// From a live builder's `uname -s` ("Darwin", "Linux").
Platform platform_from_uname(const std::string& uname);

// root's home when the accounts do not say: /var/root on macOS, /root elsewhere.
std::string default_root_home(const Platform& platform);

}  // namespace nbd::facts
