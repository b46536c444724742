// A thin, deadline-bound wrapper over one libssh2 session (libssh2 stays inside src/probe/).
// The session runs in libssh2's non-blocking mode and every call is driven by wait_fd(), so a
// silent or slow server can never hold it past the deadline or past a cancel.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nix_builder_doctor/probe/deadline.hpp"
#include "nix_builder_doctor/util/encoding.hpp"

namespace nbd::probe {

// libssh2_init, once per process (std::call_once); safe to call from any thread.
void ensure_libssh2_initialised();

// What libssh2 may read from one builder, shared by the probe's connections to it. Every byte
// libssh2 reads goes through a recv callback that counts it and fails the read once the budget
// is spent or the deadline has passed: libssh2 1.10 keeps reading (and queueing) as long as
// packets arrive, so without it a server sending endless packets holds the probe past its
// deadline and grows its memory without end.
struct ReadLimit {
    std::size_t budget = 0;
    std::size_t received = 0;     // by libssh2, over every connection of the probe
    std::size_t stage_start = 0;  // `received` when the current step began
};

struct StepResult {
    std::string outcome;
    std::string detail;
};

enum class KeyAnswer {
    accepted,       // PK_OK: the server would accept a signature from this key
    refused,        // USERAUTH_FAILURE
    authenticated,  // USERAUTH_SUCCESS without a signature (the session is now logged in)
    lost,           // the connection broke or the server disconnected (e.g. MaxAuthTries)
    flood,          // the read budget was spent before an answer
    timeout,
    cancelled,
    error  // libssh2 rejected the request locally (malformed blob, ...)
};

struct KeyQuery {
    KeyAnswer answer = KeyAnswer::error;
    std::string detail;
};

class SshSession {
  public:
    // `limit` must outlive the session.
    explicit SshSession(ReadLimit& limit);
    ~SshSession();  // frees the libssh2 session; the socket belongs to the caller
    SshSession(const SshSession&) = delete;
    SshSession& operator=(const SshSession&) = delete;

    // Key exchange on a connected socket whose identification line is waiting to be read.
    // outcome: ok | failed | closed | timeout | cancelled | flood (the read budget was spent)
    StepResult handshake(int fd, const std::vector<std::string>& host_key_algorithms,
                         const Deadline& deadline);
    // The host key blob the server presented (valid after a successful handshake).
    util::Bytes host_key() const;
    std::string remote_banner() const;

    // outcome: ok | closed | timeout | cancelled | error | flood. `none_accepted` is set when the
    // server let the user in with the "none" method.
    StepResult auth_methods(const std::string& user, const Deadline& deadline,
                            std::vector<std::string>& methods, bool& none_accepted);

    // Asks whether `blob` would be accepted for `user`; never signs anything.
    KeyQuery query_publickey(const std::string& user, const util::Bytes& blob,
                             const Deadline& deadline);

    bool authenticated() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace nbd::probe
