#include "nix_builder_doctor/cli/route_need.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "nix_builder_doctor/cli/program_output.hpp"
#include "nix_builder_doctor/facts/filesystem.hpp"
#include "nix_builder_doctor/parse/derivation.hpp"
#include "nix_builder_doctor/util/output.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::cli {
namespace {

constexpr std::chrono::seconds kEvaluationLimit{300};

// Reads only attributes of the derivation (never drvPath), so nothing is instantiated or written.
const char* kDescribe =
    "d: let f = d.requiredSystemFeatures or []; in {"
    " system = d.system;"
    " name = d.name or \"\";"
    " features = if builtins.isList f then f else builtins.filter (x: builtins.isString x && x != \"\") (builtins.split \"[ \\t\\n]+\" f);"
    " floating = (d.__contentAddressed or false) && !(d ? outputHash);"
    " }";

RouteNeed from_drv(const Options& options, const std::string& path, const route::NixLogic& logic) {
    facts::RootedFileSystem fs(options.root);
    const auto read = fs.read(path);
    if (read.status != parse::ReadStatus::ok) {
        const auto& records = fs.records();
        const std::string why = records.empty() || records.back().error.empty() ? "it does not exist" : records.back().error;
        throw UsageError("route: cannot read " + path + ": " + why);
    }
    const auto parsed = parse::parse_derivation(read.text, path);
    if (parsed.error) throw UsageError("route: " + parse::format_derivation_error(*parsed.error));
    const auto& d = *parsed.derivation;
    RouteNeed r;
    r.need.system = d.system;
    r.need.drv = path;
    // Nix 2.4+ also requires ca-derivations of a derivation whose output paths are not known yet.
    const auto features = (logic.flavor == "Lix" || logic.major > 2 || logic.minor >= 4) ? parse::features_nix_requires(d)
                                                                                          : d.required_system_features;
    r.need.features.insert(features.begin(), features.end());
    r.from = path;
    return r;
}

RouteNeed from_evaluation(const std::string& what, const route::NixLogic& logic, std::ostream& err) {
    std::vector<std::string> argv;
    std::error_code ec;
    const bool is_file = std::filesystem::exists(what, ec);
    if (is_file) {
        const std::string file = std::filesystem::absolute(what, ec).lexically_normal().string();
        argv = {"nix-instantiate", "--eval", "--strict", "--json", "--argstr", "file", file, "--expr",
                std::string("{ file }: let v = import file; d = if builtins.isFunction v then v {} else v; in (") + kDescribe + ") d"};
        err << "nix-builder-doctor: evaluating " << util::safe_text(what)
            << " with nix-instantiate --eval (read-only: nothing is written to the store)\n";
    } else {
        argv = {"nix", "--extra-experimental-features", "nix-command flakes", "eval", "--json", what, "--apply", kDescribe};
        err << "nix-builder-doctor: evaluating " << util::safe_text(what) << " with nix eval (no derivation is instantiated; a flake's source is copied to the store, as nix eval always does)\n";
    }
    const auto run = run_program(argv, kEvaluationLimit);
    if (!run.started) throw UsageError("route: cannot run " + argv.front() + ": " + run.start_error);
    if (run.timed_out) throw UsageError("route: evaluating " + what + " took more than " + std::to_string(kEvaluationLimit.count()) + " s");
    if (run.exit_code != 0) {
        std::string tail = std::string(util::trim(run.err));
        if (tail.size() > 2000) tail = "..." + tail.substr(tail.size() - 2000);
        throw UsageError("route: " + argv.front() + " could not evaluate " + what + " to a derivation:\n" + tail);
    }
    nlohmann::json j = nlohmann::json::parse(run.out, nullptr, false);
    if (!j.is_object() || !j.contains("system") || !j["system"].is_string() || !j.contains("features") || !j["features"].is_array())
        throw UsageError("route: " + what + " is not a derivation (" + argv.front() + " printed " + run.out.substr(0, 200) + ")");
    RouteNeed r;
    r.need.system = j["system"].get<std::string>();
    for (const auto& f : j["features"])
        if (f.is_string()) r.need.features.insert(f.get<std::string>());
    if (j.value("floating", false) && (logic.flavor == "Lix" || logic.major > 2 || logic.minor >= 4)) r.need.features.insert("ca-derivations");
    r.from = "evaluated " + what + (j.value("name", std::string()).empty() ? "" : " (" + j["name"].get<std::string>() + ")");
    return r;
}

}  // namespace

RouteNeed route_need_for(const Options& options, const std::string& local_system, const route::NixLogic& logic, std::ostream& err) {
    if (!options.positional.empty()) {
        const std::string& what = options.positional.front();
        if (util::ends_with(what, ".drv")) return from_drv(options, what, logic);
        return from_evaluation(what, logic, err);
    }
    RouteNeed r;
    r.need.system = options.system.value_or(local_system);
    r.need.features.insert(options.features.begin(), options.features.end());
    r.from = "--system/--features";
    return r;
}

}  // namespace nbd::cli
