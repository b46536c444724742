// The fact producers, in the order gather_facts runs them. Each fills its part of ctx.facts
// and may read what earlier ones wrote; none knows about rules.
#pragma once

#include "nix_builder_doctor/facts/context.hpp"

namespace nbd::facts {

void gather_install(GatherContext& ctx);     // /install, /principal, /user, /nixos, /passwd_names
void gather_local_nix_conf(GatherContext& ctx);  // /nixconf, /nix_confs[0]
void gather_builders(GatherContext& ctx);    // /machines, /builders (columns, keys, host keys)
void gather_ssh_views(GatherContext& ctx);   // /builders/*/ssh, identities, known_hosts; /keys
void gather_remote_roots(GatherContext& ctx);  // /builders/*/remote from --remote-root trees
void gather_live(GatherContext& ctx);        // /builders/*/live: X-ray and ground truth (not --offline)
void gather_nixos(GatherContext& ctx);       // /nixos configuration facts
void gather_file_records(GatherContext& ctx);  // /files, /cannot_read

}  // namespace nbd::facts
