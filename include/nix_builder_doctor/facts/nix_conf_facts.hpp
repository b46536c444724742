// Facts of one nix.conf (local or a builder's): its problems as lists rules can iterate, and
// its effective settings. Shared by the local and the remote producers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nix_builder_doctor/facts/accounts.hpp"
#include "nix_builder_doctor/facts/filesystem.hpp"
#include "nix_builder_doctor/parse/nix_conf.hpp"

namespace nbd::facts {

struct NixConfView {
    parse::NixConf conf;
    nlohmann::json facts;  // the entry for /nix_confs
};

// /etc/nix/nix.conf of `fs`, parsed (empty when it cannot be read).
parse::NixConf read_nix_conf(FileSystem& fs);

// `side` is "local" or "builder"; `builder` the builder URI for the latter.
NixConfView describe_nix_conf(FileSystem& fs, parse::NixConf conf, const Accounts& accounts, const std::string& side,
                              const std::string& builder, bool multi_user);

// Whether the conf names a build users group: the mark of a multi-user install.
bool has_build_users_group(const parse::NixConf& conf);

// The effective value of a list setting, or `fallback` when the files never set it.
std::vector<std::string> setting_tokens(const parse::NixConf& conf, const std::string& name,
                                        const std::vector<std::string>& fallback);

// Nix's matching of trusted-users / allowed-users (daemon.cc): `*`, the name, `@group` with the
// user's primary or supplementary group.
// Lines whose value has a quote at either end of a word: Nix keeps the quotes (nix_conf_checks.cpp).
nlohmann::json quoted_values(const parse::NixConf& conf);

// Effective substituters whose signing key is certainly not in trusted-public-keys: a well-known
// cache (cache.nixos.org, NAME.cachix.org) without its key name, or an SSH store when only
// well-known caches' keys are trusted. Empty with `require-sigs = false`.
nlohmann::json substituter_keys_missing(const parse::NixConf& conf);

bool nix_user_listed(const std::vector<std::string>& list, const std::string& user, const Accounts& accounts);

}  // namespace nbd::facts
