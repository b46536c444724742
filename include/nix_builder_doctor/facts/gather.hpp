// Builds the Facts document: everything the rules may look at, gathered from the files under
// the root (and, for builders given with --remote-root, from their own trees). The Facts are
// plain JSON so that users can see them (--dump-facts) and rules can only read, never compute.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nbd::facts {

// Where the live probes are, for a progress line: builders done of all, and those still running
// with the time each started (oldest first).
struct LiveProgress {
    struct Running {
        std::string host;
        std::chrono::steady_clock::time_point started;
    };
    std::size_t done = 0;
    std::size_t total = 0;
    std::vector<Running> running;
};

struct GatherOptions {
    std::string root = "/";
    std::optional<std::string> user;           // --user; else the caller decides ($SUDO_USER...)
    std::optional<std::string> system;         // --system
    std::optional<std::string> builders_spec;  // --builders
    std::map<std::string, std::string> remote_roots;  // --remote-root HOST=DIR
    std::vector<std::string> builder_patterns;        // --builder: only these are probed and reported
    // check --next: a built system (RESULT, an absolute path on this machine) whose etc stands in
    // for the running system's (next_generation_filesystem.hpp).
    std::optional<std::string> next_result;
    bool live = false;            // probe the builders (not --offline)
    double timeout_seconds = 10;  // per builder, every stage together
    int jobs = 0;                 // builders probed at once; 0: as many as sensible (live_facts.cpp)
    bool build_test = false;      // --build-test: a real build through each builder
    const std::atomic<bool>* cancel = nullptr;  // set on Ctrl-C
    // Called (one call at a time, from the probing threads) when a builder's probes start and end,
    // and every 250 ms while they run; may be empty. It must return quickly.
    std::function<void(const LiveProgress&)> progress;
};

nlohmann::json gather_facts(const GatherOptions& options);

// Systems Nix knows (doubles like x86_64-linux), for validation and did-you-mean.
const std::vector<std::string>& known_systems();

}  // namespace nbd::facts
