#include "nix_builder_doctor/route/route.hpp"

#include <algorithm>
#include <cmath>

#include "nix_builder_doctor/route/listing_text.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::route {
namespace {

std::string join_set(const std::set<std::string>& s, const std::string& sep = ", ") {
    return util::join(std::vector<std::string>(s.begin(), s.end()), sep);
}

std::string base_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// load / speed factor, truncated like the unsigned division of Nix < 2.20.
double score_of(unsigned load, double speed, const NixLogic& logic) {
    if (logic.integer_speed) {
        const auto sf = static_cast<unsigned long long>(speed < 1 ? 1 : speed);
        return static_cast<double>(load / sf);
    }
    return load / speed;
}

// build-remote.cc: is `m` better than the best so far?
bool better(const Machine& m, double score, unsigned load, const Machine& best, double best_score, unsigned best_load) {
    if (score < best_score) return true;
    if (score > best_score) return false;
    if (m.speed_factor > best.speed_factor) return true;
    return m.speed_factor == best.speed_factor && load < best_load;
}

void judge(const Need& need, const Machine& m, const Local& local, const NixLogic& logic, MachineRoute& r) {
    const auto systems = effective_systems(m, local);
    const bool system_ok = (logic.builtin_any && need.system == "builtin") ||
                           std::find(systems.begin(), systems.end(), need.system) != systems.end();
    if (!system_ok) {
        r.verdict = Verdict::wrong_system;
        r.reason = "builds " + util::join(systems, ", ") + (m.systems.empty() ? " (systems column unset: the local system only)" : "") +
                   ", not " + need.system;
        return;
    }
    std::set<std::string> missing;
    for (const auto& f : need.features)
        if (!m.supported.count(f) && !m.mandatory.count(f)) missing.insert(f);
    if (!missing.empty()) {
        r.verdict = Verdict::missing_features;
        r.reason = "lacks feature" + std::string(missing.size() > 1 ? "s " : " ") + join_set(missing) +
                   " (supported: " + (m.supported.empty() ? "none" : join_set(m.supported)) + ")";
        return;
    }
    std::set<std::string> unmet;
    for (const auto& f : m.mandatory)
        if (!need.features.count(f)) unmet.insert(f);
    if (!unmet.empty()) {
        r.verdict = Verdict::mandatory_unmet;
        r.reason = "takes only derivations that require " + join_set(unmet) + " (mandatory feature" + (unmet.size() > 1 ? "s" : "") + ")";
        return;
    }
    if (m.max_jobs == 0) {
        r.verdict = Verdict::no_jobs;
        r.reason = "max-jobs is 0: Nix never picks it, but waits for it";
        return;
    }
    const unsigned load = m.load.value_or(0);
    if (load >= m.max_jobs) {
        r.verdict = Verdict::busy;
        r.reason = "all " + std::to_string(m.max_jobs) + " slot" + (m.max_jobs > 1 ? "s are" : " is") + " in use now";
        return;
    }
    r.verdict = Verdict::candidate;
    r.score = score_of(load, m.speed_factor, logic);
}

LocalBuild local_build(const Need& need, const Local& local, const NixLogic& logic) {
    LocalBuild b;
    if (local.max_jobs == 0 && need.system != "builtin") b.why_not.push_back("max-jobs is 0 here: local builds are off");
    const bool platform = need.system == local.system || local.extra_platforms.count(need.system) || need.system == "builtin";
    if (!platform)
        b.why_not.push_back("this machine is " + local.system +
                            (local.extra_platforms.empty() ? "" : " (extra-platforms: " + join_set(local.extra_platforms) + ")") +
                            ", not " + need.system);
    if (!logic.no_local_features) {
        std::set<std::string> missing;
        for (const auto& f : need.features)
            if (!local.features.count(f)) missing.insert(f);
        if (!missing.empty())
            b.why_not.push_back("system-features here lack " + join_set(missing) + " (they are " +
                                (local.features.empty() ? "empty" : join_set(local.features)) + ")");
    }
    b.possible = b.why_not.empty();
    return b;
}

// The hook's own "could I build it here" (no `builtin` special case), for postpone and the listing level.
bool hook_can_build_locally(const Need& need, const Local& local, const NixLogic& logic) {
    if (local.max_jobs == 0) return false;  // amWilling is 0 with max-jobs 0
    if (!(need.system == local.system || local.extra_platforms.count(need.system))) return false;
    if (logic.no_local_features) return true;
    for (const auto& f : need.features)
        if (!local.features.count(f)) return false;
    return true;
}

std::vector<std::string> listing(const Need& need, const std::vector<Machine>& machines, const Local& local, const NixLogic& logic) {
    std::vector<std::string> out;
    if (!logic.listing) return out;
    const std::string open = logic.brackets ? "[" : "", close = logic.brackets ? "]" : "";
    out.push_back("Failed to find a machine for remote build!");
    out.push_back("derivation: " + (need.drv.empty() ? std::string("<the .drv>") : base_name(need.drv)));
    out.push_back("required (system, features): (" + need.system + ", " + open + join_set(need.features) + close + ")");
    out.push_back(std::to_string(machines.size()) + " available machines:");
    out.push_back("(systems, maxjobs, supportedFeatures, mandatoryFeatures)");
    for (const auto& m : machines) {
        auto systems = effective_systems(m, local);
        if (logic.sorted_systems) {
            std::set<std::string> sorted(systems.begin(), systems.end());
            systems.assign(sorted.begin(), sorted.end());
        }
        out.push_back("(" + open + util::join(systems, ", ") + close + ", " + std::to_string(m.max_jobs) + ", " + open +
                      join_set(m.supported) + close + ", " + open + join_set(m.mandatory) + close + ")");
    }
    return out;
}

// The daemon's error when the hook declined and the local build is impossible, line by line as
// this version prints it (docs/route-logic.md §6): the first line after "error: ", the others
// indented by Nix's 7 spaces.
std::vector<std::string> local_failure_lines(const Need& need, const std::vector<Machine>& machines, const Local& local,
                                             const NixLogic& logic) {
    const bool lix = logic.flavor == "Lix";
    const auto at_least = [&](int major, int minor) { return logic.major > major || (logic.major == major && logic.minor >= minor); };
    const std::string drv = need.drv.empty() ? "<the .drv>" : need.drv;
    const std::string in = "       ";
    if (local.max_jobs == 0 && need.system != "builtin") {
        if (!lix && at_least(2, 34))
            return {"Cannot build '" + drv + "'.", in + "Reason: local builds are disabled (max-jobs = 0)",
                    in + "Hint: set 'max-jobs' to a non-zero value to enable local builds, or configure remote builders via 'builders'"};
        const bool none = machines.empty();
        if (lix && at_least(2, 93))
            return {none ? "unable to start any build; either set '--max-jobs' to a non-zero value or enable remote builds."
                         : "unable to start any build; remote machines may not have all required system features.",
                    in + "https://docs.lix.systems/manual/lix/stable/advanced-topics/distributed-builds.html"};
        if (!lix && !at_least(2, 4)) return {"unable to start any build; either increase '--max-jobs' or enable remote builds"};
        if (!lix && at_least(2, 30))
            return {std::string("Unable to start any build; ") +
                        (none ? "either increase '--max-jobs' or enable remote builds." : "remote machines may not have all required system features."),
                    "", in + "For more information run 'man nix.conf' and search for '/machines'."};
        if (!lix && at_least(2, 21))
            return {"Unable to start any build;",
                    in + (none ? "either increase '--max-jobs' or enable remote builds." : "remote machines may not have all required system features."), "",
                    in + "For more information run 'man nix.conf' and search for '/machines'."};
        return {none ? "unable to start any build; either increase '--max-jobs' or enable remote builds."
                     : "unable to start any build; remote machines may not have all required system features.",
                in + "https://nixos.org/manual/nix/stable/advanced-topics/distributed-builds.html"};
    }
    const bool platform = need.system == local.system || local.extra_platforms.count(need.system) || need.system == "builtin";
    if (!lix && at_least(2, 34)) {
        if (!platform)
            return {"Cannot build '" + drv + "'.", in + "Reason: platform mismatch", in + "Required system: '" + need.system + "'",
                    in + "Current system: '" + local.system + "'"};
        return {"Cannot build '" + drv + "'.", in + "Reason: missing system features", in + "Required features: " + braces(need.features),
                in + "Available features: " + braces(local.features)};
    }
    if (!lix && at_least(2, 30))
        return {"Cannot build '" + drv + "'.", in + "Reason: required system or feature not available",
                in + "Required system: '" + need.system + "' with features " + braces(need.features),
                in + "Current system: '" + local.system + "' with features " + braces(local.features)};
    if (!lix && !at_least(2, 2)) return {"a '" + need.system + "' is required to build '" + drv + "', but I am a '" + local.system + "'"};
    return {"a '" + need.system + "' with features " + braces(need.features) + " is required to build '" + drv + "', but I am a '" +
            local.system + "' with features " + braces(local.features)};
}

}  // namespace

std::string verdict_name(Verdict v) {
    switch (v) {
        case Verdict::candidate: return "candidate";
        case Verdict::wrong_system: return "wrong-system";
        case Verdict::missing_features: return "missing-features";
        case Verdict::mandatory_unmet: return "mandatory-features";
        case Verdict::no_jobs: return "max-jobs-zero";
        case Verdict::busy: return "busy";
        case Verdict::rejected_list: return "list-rejected";
    }
    return "candidate";
}

std::string reply_name(Reply r) {
    switch (r) {
        case Reply::accept: return "accept";
        case Reply::decline: return "decline";
        case Reply::decline_permanently: return "decline-permanently";
        case Reply::postpone: return "postpone";
    }
    return "decline";
}

std::vector<std::string> effective_systems(const Machine& m, const Local& local) {
    return m.systems.empty() ? std::vector<std::string>{local.system} : m.systems;
}

Route decide(const Need& need, const std::vector<Machine>& machines, const Local& local, const NixLogic& logic) {
    Route route;
    route.machines.resize(machines.size());
    route.local = local_build(need, local, logic);

    // Nix < 2.20 reads speed factors as unsigned integers: one fractional value fails the whole list.
    const Machine* fractional = nullptr;
    if (logic.integer_speed)
        for (const auto& m : machines)
            if (!m.speed_factor_integral) fractional = fractional ? fractional : &m;
    if (fractional) {
        for (auto& r : route.machines) {
            r.verdict = Verdict::rejected_list;
            r.reason = logic.flavor + " " + logic.version + " rejects the whole machines list: the speed factor of " + fractional->uri +
                       " (" + fractional->file + ":" + std::to_string(fractional->line) + ") is not an unsigned integer";
        }
        route.reply = Reply::decline;
        route.outcome = "no builder: " + route.machines.front().reason;
        route.nix_says.push_back("bad machine specification: failed to convert column #4 in a row: '" + number(fractional->speed_factor) +
                                 "' to 'unsigned int'");
        return route;
    }

    for (std::size_t i = 0; i < machines.size(); ++i) judge(need, machines[i], local, logic, route.machines[i]);

    // Rank the candidates the way the hook's loop picks its best, repeatedly: each time the best
    // one is taken out, as a failed connection disables it and the selection runs again.
    std::vector<std::size_t> left;
    for (std::size_t i = 0; i < machines.size(); ++i)
        if (route.machines[i].verdict == Verdict::candidate) left.push_back(i);
    int rank = 0;
    while (!left.empty()) {
        std::size_t best_at = 0;
        for (std::size_t k = 1; k < left.size(); ++k) {
            const auto i = left[k], b = left[best_at];
            if (better(machines[i], route.machines[i].score, machines[i].load.value_or(0), machines[b], route.machines[b].score,
                       machines[b].load.value_or(0)))
                best_at = k;
        }
        route.machines[left[best_at]].rank = ++rank;
        left.erase(left.begin() + static_cast<long>(best_at));
    }

    std::vector<std::size_t> order(machines.size());
    std::size_t ranked = 0;
    for (std::size_t i = 0; i < machines.size(); ++i)
        if (route.machines[i].rank) {
            order[static_cast<std::size_t>(*route.machines[i].rank - 1)] = i;
            ++ranked;
        }
    order.resize(ranked);
    if (!order.empty()) route.choice = order.front();
    for (const auto i : order) {
        route.machines[i].tried = true;
        if (machines[i].live != Live::connect_fails) {
            route.lands_on = i;
            break;
        }
    }

    const bool right_type = std::any_of(route.machines.begin(), route.machines.end(), [](const MachineRoute& r) {
        return r.verdict == Verdict::no_jobs || r.verdict == Verdict::busy;
    });
    const bool hook_local = hook_can_build_locally(need, local, logic);

    if (route.lands_on) {
        route.reply = Reply::accept;
        const auto& m = machines[*route.lands_on];
        std::string skipped;
        for (const auto i : order) {
            if (i == *route.lands_on) break;
            skipped += (skipped.empty() ? "" : ", ") + machines[i].uri + " (" + machines[i].live_reason + ")";
        }
        route.outcome = "it goes to " + m.uri;
        if (!skipped.empty()) route.outcome += ", after the connection to " + skipped + " fails";
        if (m.live == Live::build_fails) route.outcome += "; the build then fails there: " + m.live_reason;
        return route;
    }

    std::string failed_all;
    for (const auto i : order) failed_all += (failed_all.empty() ? "" : ", ") + machines[i].uri + " (" + machines[i].live_reason + ")";
    const std::string after = failed_all.empty() ? "" : "every builder that qualifies fails to connect: " + failed_all + "; ";
    if (machines.empty()) {
        route.reply = Reply::decline_permanently;
    } else if (right_type && !hook_local) {
        route.reply = Reply::postpone;
        const bool forever = std::none_of(route.machines.begin(), route.machines.end(),
                                          [](const MachineRoute& r) { return r.verdict == Verdict::busy; });
        route.waits_forever = forever;
        route.outcome = after + (forever ? "Nix waits forever (\"waiting for a machine to build\"): the only builders that qualify have max-jobs 0"
                                         : "Nix waits until a slot of a busy builder is free (\"waiting for a machine to build\")");
        return route;
    } else {
        route.reply = Reply::decline;
        route.nix_says = listing(need, machines, local, logic);
    }
    if (route.local.possible) {
        route.outcome = after + (machines.empty() ? "no builders are configured; " : failed_all.empty() ? "no builder qualifies; " : "so ") +
                        "it is built locally";
        route.nix_says.clear();  // the listing is at chatty level when Nix can build it here
        return route;
    }
    route.outcome = after + (machines.empty() ? "no builders are configured" : failed_all.empty() ? "no builder qualifies" : "no builder is left") +
                    ", and it cannot be built locally: " + util::join(route.local.why_not, "; ");
    auto error = local_failure_lines(need, machines, local, logic);
    error.front() = "error: " + error.front();
    route.nix_says.insert(route.nix_says.end(), error.begin(), error.end());
    return route;
}

}  // namespace nbd::route
