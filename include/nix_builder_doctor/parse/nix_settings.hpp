// What Nix knows about its nix.conf settings: every setting name any Nix from 2.3 to current
// master accepts (extracted from the Setting<...> declarations of each release and checked
// against `nix show-config` of Nix 2.8), which of them take `extra-NAME` (appendable list, set
// and map settings), and the deprecated aliases (`binary-caches` -> `substituters`, ...).
// Versions are "MAJOR.MINOR" strings; "2.3" as a first version means "2.3 or earlier", "master"
// means not yet released.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbd::parse {

// How a setting's value combines when it is appended to (`extra-NAME`) and how Nix prints it.
enum class SettingKind {
    scalar,  // bool, number, string, path: not appendable; a repeated key replaces
    list,    // Strings: values appended in order, duplicates kept
    set,     // StringSet and friends: printed sorted, duplicates dropped
    map,     // StringMap: `key=value` tokens; on append the first value of a key wins
};

struct NixSettingInfo {
    std::string name;
    std::string since;  // first release that has it ("2.3" = 2.3 or earlier, "master")
    std::string until;  // last release that has it; empty while current
    SettingKind kind = SettingKind::scalar;
    // Releases in which `extra-NAME` works (empty = no bound); only meaningful when appendable.
    std::string append_since;
    std::string append_until;
};

struct NixSettingAlias {
    std::string alias;
    std::string canonical;  // may itself be `extra-X` for the 2.3-only `build-extra-*` aliases
    std::string since;
    std::string until;  // last release that accepts the alias; empty while current
};

// Every canonical setting name known to some Nix release from 2.3 to master, sorted.
const std::vector<std::string>& known_nix_settings();
const std::vector<NixSettingInfo>& nix_settings_info();
const std::vector<NixSettingAlias>& nix_setting_aliases();

// nullptr when `name` is not a canonical setting name.
const NixSettingInfo* find_nix_setting(std::string_view name);
// True when `extra-NAME` appends to NAME in at least one release (NAME canonical or an alias).
bool is_appendable_setting(std::string_view name);
// The canonical name for a deprecated alias (`build-max-jobs` -> `max-jobs`), else nullopt.
std::optional<std::string> canonical_for_alias(std::string_view name);

}  // namespace nbd::parse
