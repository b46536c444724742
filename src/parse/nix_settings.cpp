#include "nix_builder_doctor/parse/nix_settings.hpp"

#include <algorithm>

namespace nbd::parse {
namespace {

// Extracted from the Setting<...>{this, default, "name", ...} declarations of the last patch
// release of every minor version 2.3 .. 2.35 and master (88b09c64fb), store URL parameters
// excluded. The 2.8 part equals `nix show-config` of Nix 2.8.0 (plus the Darwin-only
// darwin-log-sandbox-violations). Names that later became aliases (download-attempts,
// commit-lockfile-summary) are in the alias table instead.
std::vector<NixSettingInfo> make_settings() {
    std::vector<NixSettingInfo> v = {
        {"abort-on-warn", "2.23", "", SettingKind::scalar, "", ""},
        {"accept-flake-config", "2.5", "", SettingKind::scalar, "", ""},
        {"access-tokens", "2.4", "", SettingKind::map, "2.4", ""},
        {"allow-dirty", "2.4", "", SettingKind::scalar, "", ""},
        {"allow-dirty-locks", "2.26", "", SettingKind::scalar, "", ""},
        {"allow-import-from-derivation", "2.3", "", SettingKind::scalar, "", ""},
        {"allow-new-privileges", "2.3", "", SettingKind::scalar, "", ""},
        {"allow-symlinked-store", "2.4", "", SettingKind::scalar, "", ""},
        {"allow-unsafe-native-code-during-evaluation", "2.3", "", SettingKind::scalar, "", ""},
        {"allowed-impure-host-deps", "2.3", "", SettingKind::set, "2.4", "2.33"},
        {"allowed-uris", "2.3", "", SettingKind::list, "2.4", ""},
        {"allowed-users", "2.3", "", SettingKind::list, "2.4", ""},
        {"always-allow-substitutes", "2.19", "", SettingKind::scalar, "", ""},
        {"auto-allocate-uids", "2.12", "", SettingKind::scalar, "", ""},
        {"auto-optimise-store", "2.3", "", SettingKind::scalar, "", ""},
        {"bash-prompt", "2.4", "", SettingKind::scalar, "", ""},
        {"bash-prompt-prefix", "2.9", "", SettingKind::scalar, "", ""},
        {"bash-prompt-suffix", "2.4", "", SettingKind::scalar, "", ""},
        {"build-dir", "2.22", "", SettingKind::scalar, "", ""},
        {"build-hook", "2.3", "", SettingKind::list, "2.17", ""},
        {"build-hook-kill-timeout", "master", "", SettingKind::scalar, "", ""},
        {"build-poll-interval", "2.3", "", SettingKind::scalar, "", ""},
        {"build-users-group", "2.3", "", SettingKind::scalar, "", ""},
        {"builders", "2.3", "", SettingKind::scalar, "", ""},
        {"builders-use-substitutes", "2.3", "", SettingKind::scalar, "", ""},
        {"commit-lock-file-summary", "2.23", "", SettingKind::scalar, "", ""},
        {"compress-build-log", "2.3", "", SettingKind::scalar, "", ""},
        {"connect-timeout", "2.3", "", SettingKind::scalar, "", ""},
        {"cores", "2.3", "", SettingKind::scalar, "", ""},
        {"darwin-log-sandbox-violations", "2.3", "", SettingKind::scalar, "", ""},
        {"debugger-on-trace", "2.21", "", SettingKind::scalar, "", ""},
        {"debugger-on-warn", "2.23", "", SettingKind::scalar, "", ""},
        {"diff-hook", "2.3", "", SettingKind::scalar, "", ""},
        {"download-buffer-size", "2.21", "", SettingKind::scalar, "", ""},
        {"download-speed", "2.11", "", SettingKind::scalar, "", ""},
        {"enforce-determinism", "2.3", "2.12", SettingKind::scalar, "", ""},
        {"eval-attrset-update-layer-rhs-threshold", "2.32", "", SettingKind::scalar, "", ""},
        {"eval-cache", "2.4", "", SettingKind::scalar, "", ""},
        {"eval-profile-file", "2.30", "", SettingKind::scalar, "", ""},
        {"eval-profiler", "2.30", "", SettingKind::scalar, "", ""},
        {"eval-profiler-frequency", "2.30", "", SettingKind::scalar, "", ""},
        {"eval-system", "2.20", "", SettingKind::scalar, "", ""},
        {"experimental-features", "2.4", "", SettingKind::set, "2.4", ""},
        {"external-builders", "2.32", "", SettingKind::scalar, "", ""},
        {"extra-platforms", "2.3", "", SettingKind::set, "2.4", ""},
        {"fallback", "2.3", "", SettingKind::scalar, "", ""},
        {"filetransfer-retry-attempts", "2.35", "", SettingKind::scalar, "", ""},
        {"filetransfer-retry-delay", "2.35", "", SettingKind::scalar, "", ""},
        {"filetransfer-retry-delay-rate-limited", "2.35", "", SettingKind::scalar, "", ""},
        {"filetransfer-retry-jitter", "2.35", "", SettingKind::scalar, "", ""},
        {"filetransfer-retry-max-delay", "2.35", "", SettingKind::scalar, "", ""},
        {"filter-syscalls", "2.3", "", SettingKind::scalar, "", ""},
        {"flake-registry", "2.4", "", SettingKind::scalar, "", ""},
        {"fsync-metadata", "2.3", "", SettingKind::scalar, "", ""},
        {"fsync-store-paths", "2.25", "", SettingKind::scalar, "", ""},
        {"gc-check-reachability", "2.3", "2.3", SettingKind::scalar, "", ""},
        {"gc-reserved-space", "2.3", "", SettingKind::scalar, "", ""},
        {"hashed-mirrors", "2.3", "", SettingKind::list, "2.4", ""},
        {"http-connections", "2.3", "", SettingKind::scalar, "", ""},
        {"http2", "2.3", "", SettingKind::scalar, "", ""},
        {"http3", "2.35", "", SettingKind::scalar, "", ""},
        {"id-count", "2.12", "", SettingKind::scalar, "", ""},
        {"ignore-try", "2.10", "", SettingKind::scalar, "", ""},
        {"ignored-acls", "2.5", "", SettingKind::set, "2.4", ""},
        {"impersonate-linux-26", "2.3", "", SettingKind::scalar, "", ""},
        {"impure-env", "2.19", "", SettingKind::map, "2.4", ""},
        {"json-log-path", "2.30", "", SettingKind::scalar, "", ""},
        {"keep-build-log", "2.3", "", SettingKind::scalar, "", ""},
        {"keep-derivations", "2.3", "", SettingKind::scalar, "", ""},
        {"keep-env-derivations", "2.3", "", SettingKind::scalar, "", ""},
        {"keep-failed", "2.3", "", SettingKind::scalar, "", ""},
        {"keep-going", "2.3", "", SettingKind::scalar, "", ""},
        {"keep-outputs", "2.3", "", SettingKind::scalar, "", ""},
        {"lint-absolute-path-literals", "2.34", "", SettingKind::scalar, "", ""},
        {"lint-short-path-literals", "2.34", "", SettingKind::scalar, "", ""},
        {"lint-url-literals", "2.34", "", SettingKind::scalar, "", ""},
        {"log-lines", "2.3", "", SettingKind::scalar, "", ""},
        {"max-build-log-size", "2.3", "", SettingKind::scalar, "", ""},
        {"max-call-depth", "2.20", "", SettingKind::scalar, "", ""},
        {"max-free", "2.3", "", SettingKind::scalar, "", ""},
        {"max-jobs", "2.3", "", SettingKind::scalar, "", ""},
        {"max-silent-time", "2.3", "", SettingKind::scalar, "", ""},
        {"max-substitution-jobs", "2.16", "", SettingKind::scalar, "", ""},
        {"min-free", "2.3", "", SettingKind::scalar, "", ""},
        {"min-free-check-interval", "2.3", "", SettingKind::scalar, "", ""},
        {"nar-buffer-size", "2.4", "", SettingKind::scalar, "", ""},
        {"narinfo-cache-meta-ttl", "2.34", "", SettingKind::scalar, "", ""},
        {"narinfo-cache-negative-ttl", "2.3", "", SettingKind::scalar, "", ""},
        {"narinfo-cache-positive-ttl", "2.3", "", SettingKind::scalar, "", ""},
        {"netrc-file", "2.3", "", SettingKind::scalar, "", ""},
        {"nix-path", "2.4", "", SettingKind::list, "2.4", ""},
        {"nix-shell-always-looks-for-shell-nix", "2.24", "", SettingKind::scalar, "", ""},
        {"nix-shell-shebang-arguments-relative-to-script", "2.24", "", SettingKind::scalar, "", ""},
        {"plugin-files", "2.3", "", SettingKind::list, "2.4", "2.33"},
        {"post-build-hook", "2.3", "", SettingKind::scalar, "", ""},
        {"pre-build-hook", "2.3", "", SettingKind::scalar, "", ""},
        {"preallocate-contents", "2.4", "", SettingKind::scalar, "", ""},
        {"print-missing", "2.3", "", SettingKind::scalar, "", ""},
        {"pure-eval", "2.3", "", SettingKind::scalar, "", ""},
        {"repeat", "2.3", "2.12", SettingKind::scalar, "", ""},
        {"require-drop-supplementary-groups", "2.17", "", SettingKind::scalar, "", ""},
        {"require-sigs", "2.3", "", SettingKind::scalar, "", ""},
        {"restrict-eval", "2.3", "", SettingKind::scalar, "", ""},
        {"run-diff-hook", "2.3", "", SettingKind::scalar, "", ""},
        {"sandbox", "2.3", "", SettingKind::scalar, "", ""},
        {"sandbox-build-dir", "2.3", "", SettingKind::scalar, "", ""},
        {"sandbox-dev-shm-size", "2.3", "", SettingKind::scalar, "", ""},
        {"sandbox-fallback", "2.3", "", SettingKind::scalar, "", ""},
        {"sandbox-paths", "2.3", "", SettingKind::set, "2.4", ""},
        {"secret-key-files", "2.3", "", SettingKind::list, "2.4", ""},
        {"show-trace", "2.3", "", SettingKind::scalar, "", ""},
        {"ssl-cert-file", "2.15", "", SettingKind::scalar, "", ""},
        {"stalled-download-timeout", "2.3", "", SettingKind::scalar, "", ""},
        {"start-id", "2.12", "", SettingKind::scalar, "", ""},
        {"store", "2.3", "", SettingKind::scalar, "", ""},
        {"substitute", "2.3", "", SettingKind::scalar, "", ""},
        {"substituters", "2.3", "", SettingKind::list, "2.4", ""},
        {"sync-before-registering", "2.3", "", SettingKind::scalar, "", ""},
        {"system", "2.3", "", SettingKind::scalar, "", ""},
        {"system-features", "2.3", "", SettingKind::set, "2.4", ""},
        {"tarball-ttl", "2.3", "", SettingKind::scalar, "", ""},
        {"timeout", "2.3", "", SettingKind::scalar, "", ""},
        {"trace-function-calls", "2.3", "", SettingKind::scalar, "", ""},
        {"trace-import-from-derivation", "2.30", "", SettingKind::scalar, "", ""},
        {"trace-verbose", "2.10", "", SettingKind::scalar, "", ""},
        {"trust-tarballs-from-git-forges", "2.21", "", SettingKind::scalar, "", ""},
        {"trusted-public-keys", "2.3", "", SettingKind::list, "2.4", ""},
        {"trusted-substituters", "2.3", "", SettingKind::set, "2.4", ""},
        {"trusted-users", "2.3", "", SettingKind::list, "2.4", ""},
        {"upgrade-nix-store-path-url", "2.19", "", SettingKind::scalar, "", ""},
        {"use-case-hack", "2.3", "", SettingKind::scalar, "", ""},
        {"use-cgroups", "2.12", "", SettingKind::scalar, "", ""},
        {"use-registries", "2.4", "", SettingKind::scalar, "", ""},
        {"use-sqlite-wal", "2.3", "", SettingKind::scalar, "", ""},
        {"use-xdg-base-directories", "2.14", "", SettingKind::scalar, "", ""},
        {"user-agent-suffix", "2.3", "", SettingKind::scalar, "", ""},
        {"warn-dirty", "2.4", "", SettingKind::scalar, "", ""},
        {"warn-large-path-threshold", "2.23", "", SettingKind::scalar, "", ""},
        {"warn-short-path-literals", "2.31", "", SettingKind::scalar, "", ""},
    };
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return v;
}

std::vector<NixSettingAlias> make_aliases() {
    return {
        {"binary-cache-public-keys", "trusted-public-keys", "2.3", ""},
        {"binary-caches", "substituters", "2.3", ""},
        {"binary-caches-parallel-connections", "http-connections", "2.3", ""},
        {"build-chroot-dirs", "sandbox-paths", "2.3", ""},
        {"build-compress-log", "compress-build-log", "2.3", ""},
        {"build-cores", "cores", "2.3", ""},
        {"build-extra-chroot-dirs", "extra-sandbox-paths", "2.3", "2.3"},
        {"build-extra-sandbox-paths", "extra-sandbox-paths", "2.3", "2.3"},
        {"build-fallback", "fallback", "2.3", ""},
        {"build-impersonate-linux-26", "impersonate-linux-26", "2.3", ""},
        {"build-keep-log", "keep-build-log", "2.3", ""},
        {"build-max-jobs", "max-jobs", "2.3", ""},
        {"build-max-log-size", "max-build-log-size", "2.3", ""},
        {"build-max-silent-time", "max-silent-time", "2.3", ""},
        {"build-repeat", "repeat", "2.3", "2.12"},
        {"build-sandbox-paths", "sandbox-paths", "2.3", ""},
        {"build-timeout", "timeout", "2.3", ""},
        {"build-use-chroot", "sandbox", "2.3", ""},
        {"build-use-sandbox", "sandbox", "2.3", ""},
        {"build-use-substitutes", "substitute", "2.3", ""},
        // A setting of its own in 2.6 .. 2.22, an alias since 2.23.
        {"commit-lockfile-summary", "commit-lock-file-summary", "2.6", ""},
        // A setting of its own in 2.3 .. 2.34, an alias since 2.35.
        {"download-attempts", "filetransfer-retry-attempts", "2.3", ""},
        {"env-keep-derivations", "keep-env-derivations", "2.3", ""},
        {"gc-keep-derivations", "keep-derivations", "2.3", ""},
        {"gc-keep-outputs", "keep-outputs", "2.3", ""},
        {"substitution-max-jobs", "max-substitution-jobs", "2.16", ""},
        {"trusted-binary-caches", "trusted-substituters", "2.3", ""},
    };
}

const std::vector<NixSettingInfo>& settings() {
    static const std::vector<NixSettingInfo> v = make_settings();
    return v;
}

}  // namespace

const std::vector<NixSettingInfo>& nix_settings_info() { return settings(); }

const std::vector<NixSettingAlias>& nix_setting_aliases() {
    static const std::vector<NixSettingAlias> v = make_aliases();
    return v;
}

const std::vector<std::string>& known_nix_settings() {
    static const std::vector<std::string> v = [] {
        std::vector<std::string> names;
        for (const auto& s : settings()) names.push_back(s.name);
        return names;
    }();
    return v;
}

const NixSettingInfo* find_nix_setting(std::string_view name) {
    const auto& v = settings();
    auto it =
        std::lower_bound(v.begin(), v.end(), name,
                         [](const NixSettingInfo& s, std::string_view n) { return s.name < n; });
    if (it == v.end() || it->name != name) return nullptr;
    return &*it;
}

std::optional<std::string> canonical_for_alias(std::string_view name) {
    for (const auto& a : nix_setting_aliases())
        if (a.alias == name) return a.canonical;
    return std::nullopt;
}

bool is_appendable_setting(std::string_view name) {
    std::string canonical(name);
    if (auto c = canonical_for_alias(name)) canonical = *c;
    const auto* info = find_nix_setting(canonical);
    return info && info->kind != SettingKind::scalar;
}

}  // namespace nbd::parse
