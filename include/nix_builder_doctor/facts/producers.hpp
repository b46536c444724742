// The fact producers, in the order gather_facts runs them. Each fills its part of ctx.facts
// and may read what earlier ones wrote; none knows about rules.
#pragma once

#include "nix_builder_doctor/facts/context.hpp"
#include "nix_builder_doctor/probe/ground_truth.hpp"

namespace nbd::facts {

void gather_install(GatherContext& ctx);     // /install, /principal, /user, /nixos, /passwd_names
void gather_local_nix_conf(GatherContext& ctx);  // /nixconf, /nix_confs[0]
void gather_builders(GatherContext& ctx);    // /machines, /builders (columns, keys, host keys)
void select_builders(GatherContext& ctx);    // /builders/*/selected, /unmatched_builder_patterns (--builder)
void gather_ssh_views(GatherContext& ctx);   // /builders/*/ssh, identities, known_hosts; /keys
void gather_remote_roots(GatherContext& ctx);  // /builders/*/remote from --remote-root trees
// What a live builder said of itself in the snapshot, beyond its files.
struct RemoteObserved {
    Platform platform;                // from `uname -s`
    Account account;                  // the login user: id -un, id -u, id -g, $HOME, $SHELL
    std::vector<std::string> groups;  // id -Gn
    std::string path;                 // $PATH of a command run over SSH
    std::string nix_version;          // nix-store --version over SSH ("" when it printed nothing)
};
// The R facts of one builder from its files (a --remote-root tree or a live snapshot), as the
// login user `login_user` (empty: the user Nix logs in as).
nlohmann::json describe_remote(GatherContext& ctx, FileSystem& fs, nlohmann::json& builder, const std::string& source,
                               const std::string& login_user, const RemoteObserved* observed = nullptr);
// The service that starts nix-daemon (launchd on macOS, systemd): {found, path, manager, label,
// restart, searched}.
nlohmann::json describe_daemon_service(FileSystem& fs, const Platform& platform);
void gather_live(GatherContext& ctx);        // /builders/*/live: X-ray and ground truth (not --offline)
void gather_install_problems(GatherContext& ctx);  // /single_user_installs (local and builders)
void gather_nixos(GatherContext& ctx);       // /nixos configuration facts
void gather_file_records(GatherContext& ctx);  // /files, /cannot_read

// The ssh command Nix runs for one of /builders and its machine (live_facts.cpp): `-i` from
// column 3 else `?ssh-key=`, `-p` only where the local Nix passes it, `-C`, the pinned host key.
probe::GroundTruthTarget ground_truth_target(const nlohmann::json& builder, const parse::Machine& machine);

}  // namespace nbd::facts
