// `route`: which builder Nix's build hook would choose for a derivation, and why not the others.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "nix_builder_doctor/cli/commands.hpp"
#include "nix_builder_doctor/cli/gather_options.hpp"
#include "nix_builder_doctor/cli/program_output.hpp"
#include "nix_builder_doctor/cli/route_live.hpp"
#include "nix_builder_doctor/cli/route_need.hpp"
#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/route/route_inputs.hpp"
#include "nix_builder_doctor/route/route_report.hpp"
#include "nix_builder_doctor/route/slot_locks.hpp"
#include "nix_builder_doctor/util/output.hpp"

namespace nbd::cli {
namespace {

std::atomic<bool>& route_interrupted() {
    static std::atomic<bool> flag{false};
    return flag;
}

extern "C" void on_route_interrupt(int) { route_interrupted().store(true); }

// --nix-version, else the Nix the store links name, else the `nix` on PATH (live root only).
route::NixLogic local_logic(const Options& options, const nlohmann::json& facts) {
    if (options.nix_version) {
        if (auto l = route::logic_from_version_text(*options.nix_version)) return *l;
        throw UsageError("--nix-version: '" + *options.nix_version + "' has no version number (e.g. 2.8.0 or 'Lix 2.93.0')");
    }
    const auto& local_nix = facts.value("/machines/local_nix"_json_pointer, nlohmann::json::object());
    const std::string version = local_nix.value("version", "");
    if (!version.empty())
        if (auto l = route::logic_from_version_text(local_nix.value("flavor", "") == "determinate"
                                                        ? "nix (Determinate Nix " + version + ") " + local_nix.value("nix_version", "")
                                                        : (local_nix.value("flavor", "") == "lix" ? "Lix " : "Nix ") + version))
            return *l;
    if (options.root == "/") {
        const auto run = run_program({"nix", "--version"}, std::chrono::seconds(10));
        if (run.started && run.exit_code == 0)
            if (auto l = route::logic_from_version_text(run.out)) return *l;
    }
    return route::newest_logic();
}

route::HostCapabilities host_capabilities(const Options& options) {
    route::HostCapabilities host;
    if (options.root != "/") return host;
    host.kvm = ::access("/dev/kvm", R_OK | W_OK) == 0;
    if (const unsigned n = std::thread::hardware_concurrency(); n > 0) host.cores = n;
    return host;
}

// Slots in use now, from the kernel's lock list (live root only).
void read_loads(const Options& options, const route::NixLogic& logic, std::vector<route::Machine>& machines,
                std::vector<std::string>& notes) {
    if (machines.empty()) return;
    if (options.root != "/") {
        notes.push_back("slots in use are not read under --root: every builder is taken as idle");
        return;
    }
    std::ifstream in("/proc/locks");
    if (!in) {
        notes.push_back("slots in use are unknown (no /proc/locks here): every builder is taken as idle");
        return;
    }
    std::stringstream text;
    text << in.rdbuf();
    const auto locked = route::parse_proc_locks(text.str());
    const std::string dir = "/nix/var/nix/current-load";
    for (auto& m : machines) m.load = route::held_slots(dir, m.uri, m.max_jobs, logic, locked);
}

}  // namespace

int run_route_command(const Options& options, std::ostream& out, std::ostream& err) {
    std::signal(SIGINT, on_route_interrupt);
    std::signal(SIGTERM, on_route_interrupt);
    const auto rules = load_rules_or_throw(options);
    std::error_code ec;
    if (!std::filesystem::is_directory(options.root, ec)) throw UsageError("--root: '" + options.root + "' is not a directory");

    // In route, --system is the derivation's system, not the local one.
    Options gathering = options;
    gathering.system.reset();
    // The derivation first: a mistake in it should not wait for the probes.
    facts::GatherOptions offline = gather_options_for(gathering, &route_interrupted());
    offline.live = false;
    const nlohmann::json file_facts = facts::gather_facts(offline);
    const route::NixLogic logic = local_logic(options, file_facts);
    const RouteNeed need = route_need_for(options, file_facts.value("/system/value"_json_pointer, std::string("x86_64-linux")), logic, err);

    const nlohmann::json facts = options.offline ? file_facts : facts::gather_facts(gather_options_for(gathering, &route_interrupted()));
    if (route_interrupted().load()) {
        err << "nix-builder-doctor: interrupted; no answer\n";
        return kExitInterrupted;
    }

    route::RouteReport report;
    report.need = need.need;
    report.from = need.from;
    report.logic = logic;
    report.live = !options.offline;
    auto local = route::local_from_facts(facts, logic, host_capabilities(options));
    report.local = local.local;
    report.notes = local.notes;
    report.machines = route::machines_from_facts(facts);
    if (!options.offline) mark_live(report.machines, facts, engine::evaluate_rules(rules, facts));
    else report.notes.push_back("--offline: builders were not probed, so one that is down is not known");
    read_loads(options, logic, report.machines, report.notes);
    if (auto error = route::machines_list_error(facts))
        report.notes.push_back("the machines list has a line Nix rejects (" + *error + "); run `nix-builder-doctor check`");
    report.route = route::decide(report.need, report.machines, report.local, report.logic);

    if (options.format == Format::json) out << util::dump_json(route::route_json(report)) << "\n";
    else out << util::safe_text(route::render_route_text(report));
    const bool builds = report.route.lands_on.has_value() || ((report.route.reply == route::Reply::decline || report.route.reply == route::Reply::decline_permanently) &&
                         report.route.local.possible) ||
                        (report.route.reply == route::Reply::postpone && !report.route.waits_forever);
    const bool fails_there = report.route.lands_on && report.machines[*report.route.lands_on].live == route::Live::build_fails;
    return builds && !fails_there ? kExitClean : kExitFindings;
}

}  // namespace nbd::cli
