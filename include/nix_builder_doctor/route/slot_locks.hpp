// How many build slots of each machine are in use now. Nix's hook holds an exclusive flock on
// <state>/current-load/<name>-<slot> for every remote build it runs; the doctor reads the kernel's
// list of locks (/proc/locks) and never takes one itself.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "nix_builder_doctor/route/nix_logic.hpp"

namespace nbd::route {

// The (device major, device minor, inode) of every granted flock.
using LockedFiles = std::set<std::tuple<unsigned, unsigned, unsigned long>>;
LockedFiles parse_proc_locks(std::string_view text);

// The slot files' name before "-<slot>": Nix escapes '/' as '_' in the store URI; Lix cuts
// that to 48 bytes and adds 16 nix-base32 characters of the URI's sha256.
std::string slot_file_prefix(const std::string& uri, const NixLogic& logic);

// Slots 0..max_jobs-1 of `uri` held now, with the lock files in `dir`; nullopt when a slot file
// cannot be looked at.
std::optional<unsigned> held_slots(const std::string& dir, const std::string& uri, unsigned max_jobs, const NixLogic& logic,
                                   const LockedFiles& locked);

// Nix's base-32 (the store path alphabet) of raw bytes.
std::string nix_base32(const std::string& bytes);

}  // namespace nbd::route
