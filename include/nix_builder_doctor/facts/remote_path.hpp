// Whether `nix-store` (ssh://) or `nix-daemon` (ssh-ng://) is on the PATH of the command Nix runs
// over SSH on a builder, told from the builder's files. sshd runs the login shell with `-c CMD`:
// neither interactive nor a login shell, so it reads only what such a shell reads, and the PATH
// starts as sshd's default (macOS: /usr/bin:/bin:/usr/sbin:/sbin) or sshd_config's `SetEnv PATH=`.
//   zsh (macOS's default shell): /etc/zshenv and ~/.zshenv only. The Nix installer's lines are in
//     /etc/zshrc (interactive shells only); nix-darwin's /etc/zshenv sources its set-environment,
//     which puts /run/current-system/sw/bin and /nix/var/nix/profiles/default/bin on the PATH;
//     Determinate's installer adds a block sourcing nix-daemon.sh to /etc/zshenv.
//   bash: `bash -c` reads no file, except ~/.bashrc when bash was built with SSH_SOURCE_BASHRC
//     (Debian's is, Apple's /bin/bash is not known to be) or when stdin is a socket: a ~/.bashrc
//     that adds Nix leaves the answer unknown.
//   sh (/bin/sh, root's shell on macOS): reads nothing ($ENV is for interactive shells).
// Judged on macOS builders only; elsewhere, and wherever a file that decides is not in the tree,
// the state is "unknown", never "not_on_path".
#pragma once

#include <nlohmann/json.hpp>

#include "nix_builder_doctor/facts/accounts.hpp"
#include "nix_builder_doctor/facts/platform.hpp"
#include "nix_builder_doctor/parse/sshd_config.hpp"

namespace nbd::facts {

// {state: on_path | not_on_path | unknown | not_needed, program, shell, files_read, path, why}.
// `remote_program` is the machines entry's `?remote-program=` ("" when absent).
nlohmann::json describe_remote_nix_path(FileSystem& fs, const Platform& platform,
                                        const Account* account, const parse::SshdEffective& sshd,
                                        const std::string& program,
                                        const std::string& remote_program);

// The lines of a shell file that are not comments mention a way Nix gets on the PATH: the
// default profile's bin, its profile scripts, nix-darwin's system profile or a per-user profile.
bool shell_text_adds_nix(const std::string& text);

}  // namespace nbd::facts
