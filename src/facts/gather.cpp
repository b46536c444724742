#include "nix_builder_doctor/facts/gather.hpp"

#include "nix_builder_doctor/facts/producers.hpp"

namespace nbd::facts {

nlohmann::json gather_facts(const GatherOptions& options) {
    RootedFileSystem fs(options.root);
    GatherContext ctx(fs, options);
    ctx.facts["root"] = options.root;
    ctx.facts["limits"] = nlohmann::json::array();  // any producer appends (add_limit)
    gather_install(ctx);
    gather_local_nix_conf(ctx);
    gather_builders(ctx);
    select_builders(ctx);
    gather_ssh_views(ctx);
    gather_remote_roots(ctx);
    if (options.live) gather_live(ctx);
    gather_install_problems(ctx);
    gather_nixos(ctx);
    gather_file_records(ctx);
    return ctx.facts;
}

}  // namespace nbd::facts
