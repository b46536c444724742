#include "nix_builder_doctor/facts/gather.hpp"

#include "nix_builder_doctor/facts/next_generation_filesystem.hpp"
#include "nix_builder_doctor/facts/producers.hpp"

namespace nbd::facts {
namespace {

void run_producers(GatherContext& ctx) {
    ctx.facts["root"] = ctx.options.root;
    ctx.facts["limits"] = nlohmann::json::array();  // any producer appends (add_limit)
    gather_install(ctx);
    gather_local_nix_conf(ctx);
    gather_builders(ctx);
    select_builders(ctx);
    gather_ssh_views(ctx);
    gather_remote_roots(ctx);
    if (ctx.options.live) gather_live(ctx);
    gather_install_problems(ctx);
    gather_nixos(ctx);
    gather_file_records(ctx);
}

}  // namespace

nlohmann::json gather_facts(const GatherOptions& options) {
    RootedFileSystem base(options.root);
    if (!options.next_result) {
        GatherContext ctx(base, options);
        run_producers(ctx);
        return ctx.facts;
    }
    // RESULT is on this machine: its links resolve in this machine's store, whatever the root.
    RootedFileSystem host("/");
    const std::string& result = *options.next_result;
    const SystemKind kind = system_kind_of(host, result).value_or(SystemKind::nixos);
    NextGenerationFileSystem fs(base, host, result + "/etc", kind);
    GatherContext ctx(fs, options);
    ctx.next = &fs;
    run_producers(ctx);
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& path : fs.kept_files()) kept.push_back(path);
    ctx.facts["next"] = {{"result", result}, {"kind", kind == SystemKind::darwin ? "darwin" : "nixos"}, {"kept", kept}};
    return ctx.facts;
}

}  // namespace nbd::facts
