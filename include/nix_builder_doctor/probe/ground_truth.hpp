// The OpenSSH ground truth: runs the real `ssh` the way Nix runs it for one builder (same
// identity, pinned host key, NIX_SSHOPTS, the `echo started` readiness line), then speaks the
// first message of the protocol Nix would use: `nix-store --serve --write` (ssh://) or
// `nix-daemon --stdio` (ssh-ng://). It sees ssh_config aliases, ProxyJump, rsa-sha2 keys and
// forced commands exactly as Nix will. Read-only: no temporary files (the pinned key is given
// with KnownHostsCommand), UpdateHostKeys off, no control master created, never a prompt.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nbd::probe {

enum class RemoteProtocol { serve, worker };

struct GroundTruthTarget {
    RemoteProtocol protocol = RemoteProtocol::serve;
    std::string destination;            // "user@host" or "host", as Nix passes it
    std::optional<int> port;            // -p when the URI has one
    std::optional<std::string> identity_file;        // machines column 3, else ?ssh-key= (-i)
    std::optional<std::string> pinned_known_host;    // "host type base64" from column 8 (or the URI's)
    bool compress = false;                           // ?compress=true (-C)
    std::vector<std::string> ssh_options;            // NIX_SSHOPTS, already split
    std::vector<std::string> remote_program;         // default nix-store / nix-daemon
    std::optional<std::string> remote_store;         // ?remote-store= (--store X)
    // The effective configuration would accept an unknown host key (accept-new / no): kept for
    // the report. The ground truth always passes StrictHostKeyChecking=yes first, whatever this.
    bool forbid_host_key_writes = false;
    std::string ssh_program = "ssh";
    std::chrono::milliseconds deadline{10000};
};

struct GroundTruthResult {
    // ok | ssh_failed | timeout | protocol_mismatch | nix_not_found | remote_error | exec_failed |
    // cancelled | refused (not run: `detail` says which value made it unsafe)
    std::string outcome;
    std::string detail;
    int ssh_exit_code = -1;
    std::string ssh_stderr;       // bounded, as ssh printed it
    bool started_seen = false;    // the LocalCommand line arrived: ssh authenticated
    // The last stage that began: "ssh" (before `started`), "shell" (logged in, nothing came
    // back yet), "handshake" (the remote program answered something, the handshake is not done),
    // "done" (the handshake finished or failed with an answer).
    std::string stage;
    std::uint64_t bytes_after_started = 0;  // stdout bytes after the `started` line
    std::string unexpected_output;  // bytes where the protocol magic should be (shell noise)
    std::uint64_t protocol_version = 0;  // (major << 8) | minor
    std::string daemon_version;   // ssh-ng, daemon protocol >= 1.33
    int trusted = -1;             // ssh-ng, protocol >= 1.35: 1 trusted, 0 not, -1 unknown
    std::string remote_error;     // an error the remote Nix sent instead of an answer
    long elapsed_ms = 0;
    std::vector<std::string> argv;  // the ssh command line, for the report
};

std::vector<std::string> ground_truth_argv(const GroundTruthTarget& target);

// Why the ground truth must not run for this target ("" when it may): a destination Nix itself
// refuses ("invalid SSH host name": empty or starting with '-'), a NIX_SSHOPTS word ssh would take
// as something other than an option before the destination, or an ssh flag whose effect the
// doctor's own leading -o options cannot override (-f -M -S -E -N -O -W -G -V -Q -w, `--`).
std::string ground_truth_refusal(const GroundTruthTarget& target);
// The NIX_SSHOPTS part of the above (also used for --build-test, where the daemon passes them).
std::string ssh_options_refusal(const std::vector<std::string>& words);
// Why a remote-program or remote-store value must not be sent to the builder's shell ("" if fine).
std::string remote_command_refusal(const std::vector<std::string>& program, const std::optional<std::string>& store);
// Nix's own checks of the ssh destination, every version's: not empty, not starting with '-'
// (SSHMaster); no empty user or host, no host starting with '-' (newer checkValidAuthority).
bool nix_accepts_ssh_host(const std::string& destination);
// The options the doctor puts first on every ssh command line (ssh keeps the first value of an
// option): never a prompt, never a known_hosts write, no control master, socket or background.
const std::vector<std::string>& forced_ssh_options();
// `on_login`, when given, is called exactly once, as soon as it is known whether ssh logged in:
// true when the `started` line arrived, false when ssh ended, failed or ran out of time before it
// (or the ground truth was refused). It lets a caller start work that needs the login without
// waiting for the handshake.
GroundTruthResult run_ground_truth(const GroundTruthTarget& target, const std::atomic<bool>* cancel = nullptr,
                                   const std::function<void(bool logged_in)>& on_login = {});

// Runs `sh -s` on the builder over the same ssh command line and feeds it `script` (a fixed,
// read-only script): what it printed (bounded to `limit` bytes), or "" when ssh failed. Only the
// preference order of its key exchanges differs (curve25519 first, when allowed: far less CPU).
// `may_send`, when given, is asked once ssh has logged in and before the script is sent (it may
// wait, within the deadline): false ends ssh there, with nothing run on the builder.
struct RemoteScriptResult {
    bool ok = false;
    std::string output;
    std::string ssh_stderr;
    bool timed_out = false;  // the deadline passed before the script's output ended
    long elapsed_ms = 0;
};
RemoteScriptResult run_remote_script(const GroundTruthTarget& target, const std::string& script, std::size_t limit,
                                     const std::atomic<bool>* cancel = nullptr,
                                     const std::function<bool(std::chrono::steady_clock::time_point deadline)>& may_send = {});

}  // namespace nbd::probe
