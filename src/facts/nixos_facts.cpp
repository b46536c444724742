#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/parse/nixos_module.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

constexpr std::size_t kMaxNixosFiles = 200;

// A module function that refers to `lib` where nothing binds it.
void check_lib_scope(GatherContext& ctx, const std::string& path, nlohmann::json& out) {
    const auto read = ctx.fs.read(path);
    if (read.status != parse::ReadStatus::ok) return;
    const auto header = parse::parse_nixos_module_header(read.text, path);
    if (!header.is_function || !header.has_formals || header.binds_lib || header.first_uncovered_lib_use_line == 0) return;
    std::vector<std::string> names;
    for (const auto& f : header.formals) names.push_back(f.name);
    if (header.has_ellipsis) names.push_back("...");
    out.push_back({{"file", path}, {"line", header.first_uncovered_lib_use_line}, {"formals", util::join(names, ", ")}});
}

}  // namespace

void gather_nixos(GatherContext& ctx) {
    auto& n = ctx.facts["nixos"];
    const auto& conf = n["nix_conf"];
    // NixOS links /etc/nix/nix.conf into the store and heads it "WARNING: this file is generated
    // from the nix.* options ..."; a copy of a managed file keeps that header.
    const std::string text = ctx.fs.read("/etc/nix/nix.conf").text;
    const bool generated = text.find("is generated from the nix.") != std::string::npos ||
                           text.find("Do not edit it!") != std::string::npos;
    n["nix_conf_not_managed"] =
        n["is_nixos"].get<bool>() && conf.value("exists", false) && !conf.contains("symlink_target") && !generated;
    n["lib_not_in_scope"] = nlohmann::json::array();
    std::size_t checked = 0;
    for (const auto& name : ctx.fs.list_directory("/etc/nixos")) {
        if (!util::ends_with(name, ".nix") || ++checked > kMaxNixosFiles) continue;
        check_lib_scope(ctx, "/etc/nixos/" + name, n["lib_not_in_scope"]);
    }
}

}  // namespace nbd::facts
