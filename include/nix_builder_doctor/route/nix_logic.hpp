// Which Nix build hook decides: the flavour and version of the local Nix, and the parts of
// build-remote.cc's machine choice that changed between versions (docs/route-logic.md).
#pragma once

#include <optional>
#include <string>

namespace nbd::route {

struct NixLogic {
    std::string flavor = "Nix";  // "Nix", "Lix" or "Determinate Nix"
    std::string version;         // the Nix-compatible version, e.g. "2.8.0"
    int major = 2, minor = 0, patch = 0;
    bool assumed = false;      // no version was found: the newest logic known is applied
    bool builtin_any = true;   // system `builtin` matches every machine (Nix >= 2.4)
    bool integer_speed = false;  // speed factors are unsigned ints, load/speed truncates (< 2.20)
    bool listing = true;         // the hook prints "Failed to find a machine..." (>= 2.4)
    bool brackets = true;        // the listing brackets its lists (>= 2.12)
    bool sorted_systems = true;  // the listing sorts each machine's systems (>= 2.20)
    bool max_jobs_in_could = true;  // couldBuildLocally also needs max-jobs > 0 (>= 2.14)
    bool lix_slot_names = false;    // Lix names slot lock files with a hash of the URI
    bool no_local_features = false;  // < 2.2: local builds do not check features

    // Is this Nix-compatible version at least major.minor?
    bool at_least(int at_least_major, int at_least_minor) const;
    // "Nix 2.8.0 (the build hook of Nix 2.4-2.19)"
    std::string describe() const;
};

// From `nix --version` output: "nix (Nix) 2.8.0", "nix (Lix, like Nix) 2.93.3",
// "nix (Determinate Nix 3.6.2) 2.29.0". nullopt when no version is in the text.
std::optional<NixLogic> logic_from_version_text(const std::string& text);
// The newest logic known (Nix 2.35), for when the local version is unknown.
NixLogic newest_logic();

}  // namespace nbd::route
