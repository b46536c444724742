// The X-ray: a staged libssh2 probe of one builder, every stage with a recorded outcome, all
// stages together within one deadline. It never logs in: for each candidate public key it asks
// the server whether the key WOULD be accepted (an SSH "publickey" request without a signature;
// the server answers PK_OK or FAILURE), so no private key is read and nothing is signed. It never
// accepts or stores a host key: it only reports the key the server presented.
//
// The probe knows nothing of rules or of the Facts document; it returns plain structs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace nbd::probe {

struct CandidateKey {
    std::string path;             // where the key came from, e.g. "/root/.ssh/id_ed25519.pub"
    std::string public_key_line;  // "type base64" (a comment after it is ignored)
    std::string source;           // free text for the caller, copied to nothing; e.g. "identity"
};

struct XrayTarget {
    std::string host;  // name, IPv4 or IPv6 literal ("::1" or "[::1]")
    int port = 22;
    std::string user;  // the remote login name (Nix under the daemon: root's view)
    std::vector<CandidateKey> keys;
    std::chrono::milliseconds deadline{10000};  // for all stages together
    // Host key algorithms to ask for, most preferred first (e.g. the types root's known_hosts
    // holds for this host, as OpenSSH does). Empty: kDefaultHostKeyAlgorithms. Names libssh2
    // 1.10 does not know are dropped.
    std::vector<std::string> host_key_algorithms;
    std::size_t read_budget = 0;  // 0: kReadBudget (below); tests set less
};

// OpenSSH's client order, restricted to what libssh2 1.10 can verify. libssh2 1.10 knows no
// rsa-sha2-256/512 host keys: a server with only an RSA host key fails at kex.
inline const std::vector<std::string> kDefaultHostKeyAlgorithms = {
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"};

// Stage names, in order. A probe stops at the first stage that is not "ok" (or "skipped"); the
// stages after it are absent from XrayResult::stages.
//   dns:          ok | no_such_host | dns_timeout | error
//   tcp:          ok | refused | timeout | no_route | network_unreachable | error
//   banner:       ok | not_ssh (something answered, not "SSH-2.0-") | closed (EOF or reset
//                 before an identification line, e.g. sshd's MaxStartups) | timeout
//   kex:          ok | failed (no common algorithm, bad signature, ...) | closed | timeout |
//                 flood
//   hostkey:      ok | error
//   auth_methods: ok (list in XrayResult::auth_methods) | closed | timeout | error | flood |
//                 skipped (no user given)
//   publickey:    ok (every key has a verdict) | skipped (no keys, or the server does not offer
//                 publickey) | timeout | error (could not reconnect to ask the remaining keys) |
//                 flood
// Any stage may also end "cancelled" when the cancel flag was set. "flood": the server sent more
// than the read budget (kReadBudget) in all without the answer the stage waits for (endless
// KEXINIT, SSH_MSG_USERAUTH_BANNER, SSH_MSG_IGNORE packets, ...); the detail says how much and
// during what. A "timeout" reached while the server kept sending says so in its detail.
inline constexpr const char* kStageNames[] = {"dns",     "tcp",          "banner",   "kex",
                                              "hostkey", "auth_methods", "publickey"};

struct Stage {
    std::string name;
    std::string outcome;
    std::string detail;  // for people: addresses tried, errno text, libssh2's message, ...
    long elapsed_ms = 0;
};

struct KeyVerdict {
    std::string path;
    std::string source;
    std::string type;         // from the key blob, e.g. "ssh-ed25519"
    std::string fingerprint;  // "SHA256:..." as ssh-keygen -l prints it
    // accepted: the server answered PK_OK (the key is authorized for the user)
    // refused:  the server answered FAILURE (or does not offer publickey at all)
    // unknown:  no answer worth trusting; `reason` says why (RSA with libssh2 1.10, the deadline,
    //           a malformed key line, the key limit, a lost connection)
    std::string verdict;
    std::string reason;
};

struct XrayResult {
    std::vector<Stage> stages;
    std::vector<std::string> addresses;  // every address DNS gave, "127.0.0.1:22", "[::1]:22"
    std::string connected_address;       // the one TCP connected to
    std::string banner;                  // the server's identification line, no CR LF
    std::string host_key_line;           // "type base64" as presented
    std::string host_key_type;
    std::string host_key_fingerprint;  // "SHA256:..."
    std::vector<std::string> auth_methods;
    std::vector<KeyVerdict> keys;    // one per candidate, in the order given
    int connections = 0;             // TCP connections attempted (a lost one is replaced, bounded)
    std::size_t bytes_received = 0;  // by libssh2 over every connection (at most the budget)
    // The first stage that did not end ok or skipped ("" when none), and a clause saying what
    // happened there, for people, starting with its subject in lower case and without a final
    // full stop, e.g. `the server identified as "SSH-2.0-X", then the key exchange did not
    // finish before the deadline`. It reads after "<host>:<port> accepted the connection, but".
    std::string stopped_stage;
    std::string failure;
    long elapsed_ms = 0;
    bool cancelled = false;
    // False when the deadline or the cancel flag cut the probe short.
    bool completed_within_deadline = true;

    // The stage with this name, or nullptr when the probe did not get that far.
    const Stage* stage(const std::string& name) const;
};

// The read budget per builder (XrayTarget::read_budget): what libssh2 may read from it over all
// its connections; past it the stage ends "flood". A real exchange (identification, kex, auth
// answers, a few reconnects) is a few KB; sshd's `Banner` may be up to 1 MiB
// (auth2_read_banner()), although libssh2 1.10 refuses any packet over 40000 bytes. 4 MiB lets
// four such banners through and bounds libssh2's queue of unread packets (about 4 bytes of
// memory per byte received when the packets are tiny) to a few tens of MiB.
inline constexpr std::size_t kReadBudget = 4u << 20;

// At most this many keys are asked per target; the rest get verdict "unknown".
inline constexpr std::size_t kMaxKeys = 8;
// At most this many TCP connections per target. OpenSSH disconnects after MaxAuthTries (6)
// refused keys, and a key answered PK_OK does not count, so one connection usually suffices.
inline constexpr int kMaxConnections = 4;

inline constexpr const char* kRsaUnknownReason =
    "libssh2 1.10 cannot ask with rsa-sha2-256/512; see the OpenSSH ground truth";

// Thread-safe: any number of run_xray calls may run at once on different threads.
XrayResult run_xray(const XrayTarget& target, const std::atomic<bool>* cancel = nullptr);

}  // namespace nbd::probe
