// /single_user_installs: every single-user install (a store owned by a normal user, no daemon)
// that someone else must use: this machine's for --user, and each builder's for its login user.
// One list, so install.single-user reads both sides; it runs after the builders' files and
// live snapshots are known.
#include "nix_builder_doctor/facts/producers.hpp"

namespace nbd::facts {
namespace {

std::string text(const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

bool flag(const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

}  // namespace

void gather_install_problems(GatherContext& ctx) {
    auto list = nlohmann::json::array();
    const auto& install = ctx.facts["install"];
    const auto& user = ctx.facts.contains("user") ? ctx.facts["user"] : nlohmann::json();
    if (text(install, "kind") == "single-user" && flag(user, "exists") && user.contains("owns_store") &&
        !flag(user, "owns_store") && text(user, "name") != "root") {
        const std::string owner = text(install, "store_owner");
        const std::string name = text(user, "name");
        list.push_back({{"builder", ""},
                        {"side", "local"},
                        {"store_owner", owner},
                        {"user", name},
                        {"place", "/nix/store"},
                        {"consequence", name + " cannot build, locally or remotely"},
                        {"fix_where", ""},
                        {"alternative", "run Nix as " + owner}});
    }
    if (ctx.facts.contains("builders"))
        for (const auto& b : ctx.facts["builders"]) {
            if (!b.contains("remote") || !flag(b["remote"], "single_user_not_owner")) continue;
            const auto& r = b["remote"];
            const std::string owner = r.contains("install") ? text(r["install"], "store_owner") : std::string();
            const std::string login = text(r, "user");
            list.push_back(
                {{"builder", text(b, "uri")},
                 {"side", "builder"},
                 {"store_owner", owner},
                 {"user", login},
                 {"place", "the builder's /nix/store"},
                 {"consequence", "every build sent to it as " + login + " fails (could not set permissions on '/nix/var/nix/profiles/per-user')"},
                 {"fix_where", " on the builder"},
                 {"alternative", "log in as " + owner + " (the user part of the machines entry: " + owner + "@" + text(b, "host") + ")"}});
        }
    ctx.facts["single_user_installs"] = std::move(list);
}

}  // namespace nbd::facts
