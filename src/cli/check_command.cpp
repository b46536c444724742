#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "nix_builder_doctor/cli/commands.hpp"
#include "nix_builder_doctor/cli/gather_options.hpp"
#include "nix_builder_doctor/cli/next_system.hpp"
#include "nix_builder_doctor/cli/progress_display.hpp"
#include "nix_builder_doctor/cli/report_builder.hpp"
#include "nix_builder_doctor/cli/report_file.hpp"
#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/facts/gather.hpp"
#include "nix_builder_doctor/report/report.hpp"
#include "nix_builder_doctor/util/output.hpp"
#include "nix_builder_doctor/util/redact.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::cli {
namespace {

// Set by SIGINT/SIGTERM: probes stop at their next slice and the run ends cleanly.
std::atomic<bool>& interrupted() {
    static std::atomic<bool> flag{false};
    return flag;
}

extern "C" void on_interrupt(int) { interrupted().store(true); }

void check_system(const Options& options) {
    if (!options.system) return;
    const auto& systems = facts::known_systems();
    if (std::find(systems.begin(), systems.end(), *options.system) != systems.end()) return;
    if (auto near = util::nearest(*options.system, systems))
        throw UsageError("--system: '" + *options.system + "' is not a Nix system (did you mean " + *near + "?)");
}

void check_user(const Options& options, const nlohmann::json& facts) {
    if (!options.user || facts.value("/user/exists"_json_pointer, false)) return;
    // A tree whose accounts are not all there (a Mac's copy without its directory node) cannot
    // say the user does not exist: the checks of the user's own view are skipped instead.
    if (facts.value("/platform/name"_json_pointer, std::string()) == "darwin" &&
        !facts.value("/accounts/users_complete"_json_pointer, true))
        return;
    std::vector<std::string> names;
    for (const auto& n : facts.value("/passwd_names"_json_pointer, nlohmann::json::array())) names.push_back(n.get<std::string>());
    const bool dslocal = facts.value("/accounts/source"_json_pointer, std::string()) == "dslocal";
    std::string message = "--user: no user '" + *options.user + "' in " + options.root + (options.root == "/" ? "" : "/") +
                          (dslocal ? "var/db/dslocal/nodes/Default/users" : "etc/passwd");
    if (auto near = util::nearest(*options.user, names)) message += " (did you mean " + *near + "?)";
    throw UsageError(message);
}

// Each --remote-root HOST must name a configured builder.
void check_remote_roots(const nlohmann::json& facts) {
    const auto& unmatched = facts.value("/unmatched_remote_roots"_json_pointer, nlohmann::json::array());
    if (unmatched.empty()) return;
    std::vector<std::string> hosts, named;
    for (const auto& b : facts["builders"]) {
        const std::string h = b.value("host", "");
        if (!h.empty()) hosts.push_back(h);
        // A builder without a host (a local store path, `daemon`) is named as written.
        named.push_back(h.empty() ? "'" + b.value("written", std::string()) + "' (no host)" : h);
    }
    const std::string host = unmatched[0]["host"];
    std::string message = "--remote-root: no configured builder has the host '" + host + "'";
    if (auto near = util::nearest(host, hosts)) {
        message += " (did you mean " + *near + "?)";
    } else if (!named.empty()) {
        message += " (builders: " + util::join(named, ", ") + ")";
    } else {
        // Nothing usable: say what is configured and why it gave no builder.
        const auto where = [](const nlohmann::json& e) {
            const int line = e.value("line", 0);
            return e.value("file", std::string()) + (line > 0 ? ":" + std::to_string(line) : "");
        };
        const auto& errors = facts.value("/machines/errors"_json_pointer, nlohmann::json::array());
        const auto& missing = facts.value("/machines/missing_files"_json_pointer, nlohmann::json::array());
        const auto& setting = facts.value("/nixconf/builders"_json_pointer, nlohmann::json::object());
        if (!errors.empty()) {
            message += " (no builder could be read: " + where(errors[0]) + ": " + errors[0].value("message", std::string()) + ")";
        } else if (!missing.empty()) {
            message += " (no builder is configured: " + where(missing[0]) + " refers to " + missing[0].value("path", std::string()) +
                       ", which does not exist)";
        } else if (setting.value("set", false)) {
            const std::string value = setting.value("value", std::string());
            message += " (no builder is configured: " + where(setting) + " sets builders = " +
                       (util::contains_private_key(value) ? std::string("<a private key>")
                        : value.size() > 200             ? "'" + value.substr(0, 200) + "...'"
                                                          : "'" + value + "'") +
                       ")";
        } else {
            message += " (no builder is configured: builders is unset and /etc/nix/machines has none)";
        }
    }
    throw UsageError(message);
}

// Each --builder PATTERN must name a configured builder.
void check_builder_patterns(const nlohmann::json& facts) {
    const auto& unmatched = facts.value("/unmatched_builder_patterns"_json_pointer, nlohmann::json::array());
    if (unmatched.empty()) return;
    std::vector<std::string> hosts;
    for (const auto& b : facts["builders"])
        if (const std::string h = b.value("host", ""); !h.empty()) hosts.push_back(h);
    const std::string pattern = unmatched[0];
    std::string message = "--builder: '" + pattern + "' matches no configured builder";
    if (auto near = util::nearest(pattern, hosts)) message += " (did you mean " + *near + "?)";
    else if (!hosts.empty()) message += " (builders: " + util::join(hosts, ", ") + ")";
    else message += " (no builder is configured)";
    throw UsageError(message);
}

// With --builder, the builders left out are not reported, nor the findings that name them.
void keep_selected_builders(const nlohmann::json& facts, report::Report& report) {
    std::vector<std::string> left_out;
    for (const auto& b : facts.value("/builders"_json_pointer, nlohmann::json::array()))
        if (!b.value("selected", true)) left_out.push_back(b.value("uri", std::string()));
    if (left_out.empty()) return;
    const auto is_left_out = [&](const std::string& uri) {
        return std::find(left_out.begin(), left_out.end(), uri) != left_out.end();
    };
    std::erase_if(report.builders, [&](const report::BuilderStatus& b) { return is_left_out(b.uri); });
    std::erase_if(report.findings, [&](const engine::Finding& f) { return !f.builder.empty() && is_left_out(f.builder); });
    report.summary = engine::summarize(report.findings, report.summary.suppressed);
    report.notes.push_back(std::to_string(left_out.size()) + " builder" + (left_out.size() == 1 ? " is" : "s are") +
                           " not checked (--builder)");
}

int exit_code_for(const Options& options, const std::vector<engine::Finding>& findings) {
    if (!options.fail_on) return kExitClean;
    for (const auto& f : findings)
        if (f.severity >= *options.fail_on) return kExitFindings;
    return kExitClean;
}

}  // namespace

int run_check_command(const Options& options, std::ostream& out, std::ostream& err) {
    // First: Ctrl-C during start-up (rules, files) must end as cleanly as during the probes.
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    const auto rules = load_rules_or_throw(options);
    check_selectors(options, rules);
    check_system(options);
    std::error_code ec;
    if (!std::filesystem::is_directory(options.root, ec)) throw UsageError("--root: '" + options.root + "' is not a directory");
    for (const auto& [host, dir] : options.remote_roots)
        if (!std::filesystem::is_directory(dir, ec)) throw UsageError("--remote-root " + host + ": '" + dir + "' is not a directory");

    for (const auto& target : options.reports) check_report_path(target.path);
    std::optional<NextSystem> next_system;
    if (options.next_result || options.flake) {
        try {
            next_system = resolve_next_system(options, err);
        } catch (const NextSystemError& e) {
            err << "nix-builder-doctor: error: " << util::safe_text(e.what()) << "\n";
            return kExitUsage;
        }
    }

    facts::GatherOptions gather = gather_options_for(options, &interrupted());
    ProgressDisplay progress(STDERR_FILENO);
    if (progress.active() && &err == &std::cerr)
        gather.progress = [&progress](const facts::LiveProgress& state) { progress.update(state); };
    // --next: the running generation first, from files only, to compare with; then the next one.
    nlohmann::json running;
    if (next_system) {
        facts::GatherOptions offline = gather;
        offline.live = false;
        offline.build_test = false;
        offline.progress = {};
        running = facts::gather_facts(offline);
        gather.next_result = next_system->path;
    }
    const nlohmann::json facts = facts::gather_facts(gather);
    progress.finish();
    if (interrupted().load()) {
        err << "nix-builder-doctor: interrupted; no report\n";
        return kExitInterrupted;
    }
    check_user(options, facts);
    check_remote_roots(facts);
    check_builder_patterns(facts);

    if (options.dump_facts) {
        out << util::dump_json(facts) << "\n";
        return kExitClean;
    }
    engine::Selection selection{options.select, options.ignore, options.severity_overrides};
    auto selected = engine::apply_selection(engine::evaluate_rules(rules, facts), selection);
    report::Report report = make_report(facts, std::move(selected), rules);
    keep_selected_builders(facts, report);
    if (next_system) report.next = next_report_section(*next_system, running, facts);
    report::TextStyle style;
    style.color = options.format == Format::text &&
                  (options.color == ColorMode::always ||
                   (options.color == ColorMode::automatic && &out == &std::cout && report::should_use_color(STDOUT_FILENO)));
    out << report::render(report, format_name(options.format), style);
    out.flush();
    // Every named file is tried; one that cannot be written makes the run fail (exit 2).
    bool written = true;
    for (const auto& target : options.reports) {
        try {
            write_report_file(target.path, report::render(report, format_name(target.format), report::TextStyle{}));
        } catch (const std::runtime_error& e) {
            err << "nix-builder-doctor: error: " << util::safe_text(e.what()) << "\n";
            written = false;
        }
    }
    if (!written) return kExitUsage;
    return exit_code_for(options, report.findings);
}

}  // namespace nbd::cli
