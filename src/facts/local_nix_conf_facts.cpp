#include <algorithm>

#include "nix_builder_doctor/facts/nix_conf_facts.hpp"
#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

// Settings a daemon ignores when an untrusted client sets them (NixOS/nix daemon.cc).
const std::vector<std::string> kRestrictedForUntrusted = {"builders", "builders-use-substitutes", "trusted-public-keys",
                                                          "trusted-substituters", "require-sigs", "post-build-hook"};

nlohmann::json user_restricted_settings(GatherContext& ctx, const std::vector<std::string>& system_substituters) {
    nlohmann::json list = nlohmann::json::array();
    if (!ctx.user) return list;
    const std::string path = ctx.user->home + "/.config/nix/nix.conf";
    const auto read = ctx.fs.read(path);
    if (read.status != parse::ReadStatus::ok) return list;
    const auto conf = parse::parse_nix_conf(read.text, path, include_source(ctx.fs));
    add_limits(ctx, conf.limits);
    for (const auto& a : conf.assignments) {
        bool restricted = std::find(kRestrictedForUntrusted.begin(), kRestrictedForUntrusted.end(), a.canonical) !=
                          kRestrictedForUntrusted.end();
        // Substituters are fine for untrusted users when the system already lists them.
        if (a.canonical == "substituters")
            for (const auto& s : a.tokens)
                restricted = restricted || std::find(system_substituters.begin(), system_substituters.end(), s) ==
                                               system_substituters.end();
        if (restricted) list.push_back({{"name", a.name}, {"file", a.file}, {"line", a.line}});
    }
    return list;
}

}  // namespace

void gather_local_nix_conf(GatherContext& ctx) {
    auto view = describe_nix_conf(ctx.fs, std::move(ctx.local_nix_conf), ctx.accounts, "local", "", ctx.multi_user);
    ctx.local_nix_conf = std::move(view.conf);
    ctx.facts["nix_confs"] = nlohmann::json::array({view.facts});
    const auto& conf = ctx.local_nix_conf;
    add_limits(ctx, conf.limits);
    nlohmann::json n;
    n["path"] = "/etc/nix/nix.conf";
    n["exists"] = view.facts["exists"];

    // max-jobs: default 1; "auto" is the number of cores.
    n["max_jobs"] = 1;
    n["max_jobs_zero"] = false;
    if (const auto* e = conf.get("max-jobs")) {
        n["max_jobs_location"] = {{"file", e->file}, {"line", e->line}};
        if (auto v = util::parse_unsigned(e->value)) {
            n["max_jobs"] = *v;
            n["max_jobs_zero"] = *v == 0;
        } else {
            n["max_jobs"] = e->value;
        }
    }

    nlohmann::json builders = {{"set", false}, {"value", "@/etc/nix/machines"}, {"empty", false}};
    if (ctx.options.builders_spec) {
        builders = {{"set", true}, {"value", *ctx.options.builders_spec}, {"empty", util::trim(*ctx.options.builders_spec).empty()},
                    {"file", "--builders"}, {"line", 0}, {"from_command_line", true}};
    } else if (const auto* e = conf.get("builders")) {
        builders = {{"set", true}, {"value", e->value}, {"empty", util::trim(e->value).empty()}, {"file", e->file}, {"line", e->line}};
    }
    n["builders"] = builders;

    const auto features = setting_tokens(conf, "experimental-features", {});
    n["nix_command_enabled"] = std::find(features.begin(), features.end(), "nix-command") != features.end();
    const auto trusted = setting_tokens(conf, "trusted-users", {"root"});
    n["trusted_users"] = trusted;
    const auto substituters = setting_tokens(conf, "substituters", {"https://cache.nixos.org/"});
    n["substituters"] = nlohmann::json::array();
    for (const auto& a : conf.assignments)
        if (a.canonical == "substituters")
            for (const auto& s : a.tokens) n["substituters"].push_back({{"uri", s}, {"file", a.file}, {"line", a.line}});
    if (const auto* e = conf.get("system")) n["system"] = e->value;
    ctx.facts["nixconf"] = n;

    if (ctx.user) {
        auto& user = ctx.facts["user"];
        user["trusted"] = nix_user_listed(trusted, ctx.user->name, ctx.accounts);
        auto trusted_substituters = setting_tokens(conf, "trusted-substituters", {});
        trusted_substituters.insert(trusted_substituters.end(), substituters.begin(), substituters.end());
        user["restricted_settings"] = user_restricted_settings(ctx, trusted_substituters);
        user["uses_builders_option"] = ctx.options.builders_spec.has_value();
    }
}

}  // namespace nbd::facts
