#include "nix_builder_doctor/route/route_inputs.hpp"

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::route {
namespace {

bool is_darwin(const std::string& system) { return util::ends_with(system, "-darwin"); }

const nlohmann::json* local_settings(const nlohmann::json& facts) {
    if (!facts.contains("nix_confs") || !facts["nix_confs"].is_array()) return nullptr;
    for (const auto& conf : facts["nix_confs"])  // a reference into `facts`, never a copy
        if (conf.value("side", "") == "local" && conf.contains("settings")) return &conf["settings"];
    return nullptr;
}

// The setting's tokens; `fallback` when unset; appended to `fallback` when only extra- set it.
std::vector<std::string> tokens_or(const nlohmann::json* settings, const std::string& name, std::vector<std::string> fallback) {
    if (!settings || !settings->contains(name)) return fallback;
    const auto& s = (*settings)[name];
    std::vector<std::string> tokens = s.value("tokens", std::vector<std::string>{});
    if (!s.value("appended", false)) return tokens;
    fallback.insert(fallback.end(), tokens.begin(), tokens.end());
    return fallback;
}

// Settings::getDefaultExtraPlatforms (docs/route-logic.md §7).
std::vector<std::string> default_extra_platforms(const NixLogic& logic, const std::string& system) {
    std::vector<std::string> out;
    if (system == "x86_64-linux") {
        out.push_back("i686-linux");
        if (logic.flavor == "Lix" || logic.at_least(2, 8))
            for (const char* level : {"x86_64-v1-linux", "x86_64-v2-linux", "x86_64-v3-linux", "x86_64-v4-linux"}) out.push_back(level);
    } else if (system == "aarch64-darwin") {
        out.push_back("x86_64-darwin");  // when Rosetta 2 is installed
    }
    return out;
}

}  // namespace

std::vector<std::string> default_system_features(const NixLogic& logic, const std::string& system) {
    if (logic.no_local_features) return {};
    std::vector<std::string> f = {"benchmark", "big-parallel", "nixos-test"};
    if (logic.flavor != "Lix" && logic.major == 2 && logic.minor == 4) f.push_back("recursive-nix");
    if ((logic.flavor == "Lix" || logic.at_least(2, 12)) && !is_darwin(system)) f.push_back("uid-range");
    return f;
}

LocalInputs local_from_facts(const nlohmann::json& facts, const NixLogic& logic, const HostCapabilities& host) {
    LocalInputs in;
    Local& l = in.local;
    l.system = facts.value("/system/value"_json_pointer, std::string("x86_64-linux"));
    const auto* settings = local_settings(facts);

    const auto extra = tokens_or(settings, "extra-platforms", default_extra_platforms(logic, l.system));
    l.extra_platforms.insert(extra.begin(), extra.end());

    auto defaults = default_system_features(logic, l.system);
    const bool explicit_features = settings && settings->contains("system-features") &&
                                   !(*settings)["system-features"].value("appended", false);
    if (!explicit_features && !logic.no_local_features && !is_darwin(l.system)) {
        if (host.kvm.value_or(false)) defaults.push_back("kvm");
        else if (!host.kvm) in.notes.push_back("kvm is not counted among the local system-features: /dev/kvm is not looked at under --root");
    }
    const auto features = tokens_or(settings, "system-features", defaults);
    l.features.insert(features.begin(), features.end());
    if (logic.at_least(2, 4) || logic.flavor == "Lix") {
        // The store adds the features of enabled experimental features (StoreConfig::getDefaultSystemFeatures).
        const auto xp = tokens_or(settings, "experimental-features", {});
        for (const char* name : {"ca-derivations", "recursive-nix"})
            if (std::find(xp.begin(), xp.end(), name) != xp.end() && !explicit_features) l.features.insert(name);
    }

    const auto& jobs = facts.value("/nixconf/max_jobs"_json_pointer, nlohmann::json(1));
    if (jobs.is_number_unsigned() || jobs.is_number_integer()) {
        l.max_jobs = jobs.get<unsigned>();
    } else if (jobs.is_string() && jobs.get<std::string>() == "auto") {
        l.max_jobs = host.cores.value_or(1);
        in.notes.push_back(host.cores ? "max-jobs = auto: " + std::to_string(*host.cores) + " cores here"
                                      : "max-jobs = auto is taken as at least 1 (the cores of the machine under --root are unknown)");
    }
    return in;
}

std::vector<Machine> machines_from_facts(const nlohmann::json& facts) {
    std::vector<Machine> out;
    for (const auto& b : facts.value("builders", nlohmann::json::array())) {
        Machine m;
        m.uri = b.value("uri", "");
        m.file = b.value("file", "");
        m.line = b.value("line", 0);
        if (b.value("systems_set", false)) m.systems = b.value("systems", std::vector<std::string>{});
        m.max_jobs = b.value("max_jobs", 1u);
        m.speed_factor = b.value("speed_factor", 1.0);
        m.speed_factor_integral = b.value("speed_factor_integral", true);
        for (const auto& f : b.value("supported_features", std::vector<std::string>{})) m.supported.insert(f);
        for (const auto& f : b.value("mandatory_features", std::vector<std::string>{})) m.mandatory.insert(f);
        out.push_back(std::move(m));
    }
    return out;
}

std::optional<std::string> machines_list_error(const nlohmann::json& facts) {
    const auto& errors = facts.value("/machines/errors"_json_pointer, nlohmann::json::array());
    if (errors.empty()) return std::nullopt;
    const auto& e = errors.front();
    const int line = e.value("line", 0);
    return e.value("file", std::string()) + (line > 0 ? ":" + std::to_string(line) : "") + ": " + e.value("message", std::string());
}

}  // namespace nbd::route
