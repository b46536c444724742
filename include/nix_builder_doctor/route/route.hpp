// Which builder Nix's build hook would choose for one derivation, and why not the others: a pure
// model of build-remote.cc's machine loop and of the daemon's local-build fallback, per version
// (docs/route-logic.md has every rule with its source).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nix_builder_doctor/route/nix_logic.hpp"

namespace nbd::route {

// What the derivation needs.
struct Need {
    std::string system;
    std::set<std::string> features;  // requiredSystemFeatures
    std::string drv;                 // its store path, when known (messages only)
};

// What the live probes said about a builder, as far as the hook's choice is concerned.
enum class Live {
    unknown,        // not probed (--offline)
    ok,             // Nix's own connection works and no error was found
    connect_fails,  // opening the store fails: the hook disables it and tries the next one
    build_fails,    // the hook would accept it, and the build would fail there
};

struct Machine {
    std::string uri;  // the store URI as Nix shows it
    std::string file;
    int line = 0;
    std::vector<std::string> systems;  // the systems column in order; empty: not set
    unsigned max_jobs = 1;
    double speed_factor = 1;
    bool speed_factor_integral = true;
    std::set<std::string> supported;
    std::set<std::string> mandatory;
    std::optional<unsigned> load;  // slots held now; nullopt: unknown (taken as 0)
    Live live = Live::unknown;
    std::string live_reason;  // why connect_fails / build_fails, one line
};

// The local side: the daemon's settings.
struct Local {
    std::string system;
    std::set<std::string> extra_platforms;
    std::set<std::string> features;  // the store's system-features
    unsigned max_jobs = 1;
};

enum class Verdict {
    candidate,         // qualifies and has a free slot
    wrong_system,      // its systems do not include the derivation's
    missing_features,  // a required feature is neither supported nor mandatory there
    mandatory_unmet,   // it has a mandatory feature the derivation does not require
    no_jobs,           // max-jobs 0: never chosen, but makes the hook wait
    busy,              // every slot is in use now
    rejected_list,     // this Nix rejects the whole machines list (e.g. a fractional speed factor before 2.20)
};
std::string verdict_name(Verdict v);  // "candidate", "wrong-system", ...

struct MachineRoute {
    Verdict verdict = Verdict::candidate;
    std::string reason;           // one line; empty for a candidate
    std::optional<int> rank;      // 1 = the hook's first choice, among candidates
    double score = 0;             // load / speed factor, as this Nix computes it
    bool tried = false;           // the hook would connect to it (live: in order until one works)
};

enum class Reply { accept, decline, decline_permanently, postpone };
std::string reply_name(Reply r);

struct LocalBuild {
    bool possible = false;          // the daemon would build it here after a decline
    std::vector<std::string> why_not;  // one line per unmet condition
};

struct Route {
    std::vector<MachineRoute> machines;         // in config order, as given
    std::optional<std::size_t> choice;          // the hook's first choice (before any connection)
    std::optional<std::size_t> lands_on;        // where it is built, live failures skipped
    Reply reply = Reply::decline;               // the hook's answer after its attempts
    LocalBuild local;
    bool waits_forever = false;                 // postponed, and no slot will ever free up (max-jobs 0 only)
    std::string outcome;                        // one sentence: where the build goes, or how it fails
    std::vector<std::string> nix_says;          // what this Nix prints (listing, error), when it fails or waits
};

Route decide(const Need& need, const std::vector<Machine>& machines, const Local& local, const NixLogic& logic);

// The systems a machine accepts: its column, or the local system when the column is unset.
std::vector<std::string> effective_systems(const Machine& m, const Local& local);

}  // namespace nbd::route
