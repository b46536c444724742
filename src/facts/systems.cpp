#include <sys/utsname.h>

#include <algorithm>

#include "nix_builder_doctor/facts/gather.hpp"
#include "nix_builder_doctor/facts/systems.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

const std::vector<std::string> kArchitectures = {
    "x86_64", "i686", "i586", "i486", "i386", "aarch64", "armv5tel", "armv6l", "armv7l", "armv7a", "riscv64", "riscv32",
    "powerpc64", "powerpc64le", "powerpc", "mips64el", "mipsel", "mips", "mips64", "s390x", "s390", "loongarch64",
    "m68k", "microblaze", "or1k", "sparc64", "wasm32", "wasm64", "x86_64-v1", "x86_64-v2", "x86_64-v3", "x86_64-v4"};
const std::vector<std::string> kKernels = {"linux", "darwin", "freebsd", "netbsd", "openbsd", "cygwin", "windows", "none",
                                           "genode", "redox", "wasi", "illumos", "solaris"};

}  // namespace

const std::vector<std::string>& known_systems() {
    static const std::vector<std::string> systems = [] {
        std::vector<std::string> all = {"builtin"};
        for (const auto& arch : kArchitectures)
            for (const auto& kernel : kKernels) all.push_back(arch + "-" + kernel);
        return all;
    }();
    return systems;
}

bool is_known_system(const std::string& system) {
    const auto& all = known_systems();
    return std::binary_search(all.begin(), all.end(), system) || std::find(all.begin(), all.end(), system) != all.end();
}

std::string host_system() {
    utsname u{};
    if (::uname(&u) != 0) return "x86_64-linux";
    std::string machine = u.machine;
    if (machine == "arm64") machine = "aarch64";
    std::string kernel = util::to_lower(u.sysname);
    return machine + "-" + kernel;
}

}  // namespace nbd::facts
