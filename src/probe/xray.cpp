// The X-ray: the stages of one probe, in order, within one deadline.
#include "nix_builder_doctor/probe/xray.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include "nix_builder_doctor/probe/net.hpp"
#include "nix_builder_doctor/probe/ssh_session.hpp"
#include "nix_builder_doctor/util/encoding.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::probe {

const Stage* XrayResult::stage(const std::string& name) const {
    for (const Stage& s : stages)
        if (s.name == name) return &s;
    return nullptr;
}

namespace {

// One SSH connection. The session is declared after the socket so it is freed first.
struct Connection {
    explicit Connection(ReadLimit& limit) : ssh(limit) {}
    UniqueFd fd;
    SshSession ssh;
};

// The type string at the start of a key blob, or nullopt when the blob is not one.
std::optional<std::string> blob_type(const util::Bytes& blob) {
    if (blob.size() < 4) return std::nullopt;
    const std::size_t length = (std::size_t{blob[0]} << 24) | (std::size_t{blob[1]} << 16) |
                               (std::size_t{blob[2]} << 8) | std::size_t{blob[3]};
    if (length == 0 || length > blob.size() - 4) return std::nullopt;
    return std::string(blob.begin() + 4, blob.begin() + 4 + static_cast<long>(length));
}

bool is_rsa(const std::string& type) {
    return type == "ssh-rsa" || type == "ssh-rsa-cert-v01@openssh.com";
}

bool cuts_short(const std::string& outcome) {
    return outcome == "timeout" || outcome == "dns_timeout" || outcome == "cancelled";
}

// A candidate key ready to be asked about, or the reason it cannot be.
struct PreparedKey {
    util::Bytes blob;
    std::string error;
};

PreparedKey prepare(const CandidateKey& candidate, KeyVerdict& verdict) {
    PreparedKey prepared;
    const std::vector<std::string> tokens = util::split_tokens(candidate.public_key_line);
    if (tokens.size() < 2) {
        prepared.error = "not a public key line (expected \"type base64\")";
        return prepared;
    }
    const std::optional<util::Bytes> blob = util::base64_decode(tokens[1]);
    const std::optional<std::string> type = blob ? blob_type(*blob) : std::nullopt;
    if (!type) {
        prepared.error = "the key's base64 does not decode to a key blob";
        return prepared;
    }
    verdict.type = *type;
    verdict.fingerprint = util::sha256_fingerprint(*blob);
    if (tokens[0] != *type) {
        prepared.error = "the line says " + tokens[0] + " but the key is " + *type;
        return prepared;
    }
    prepared.blob = *blob;
    return prepared;
}

class Probe {
  public:
    Probe(const XrayTarget& target, const std::atomic<bool>* cancel)
        : m_target(target), m_deadline(target.deadline, cancel) {
        m_limit.budget = target.read_budget != 0 ? target.read_budget : kReadBudget;
    }

    XrayResult run();

  private:
    // Records a stage; false when the probe stops there.
    bool record(const char* name, const std::string& outcome, const std::string& detail,
                Deadline::Clock::time_point started);
    // TCP, banner and kex to `address`, for the keys after a lost connection.
    std::optional<std::string> reconnect(std::unique_ptr<Connection>& connection);
    void ask_keys(std::unique_ptr<Connection> connection);

    const XrayTarget& m_target;
    Deadline m_deadline;
    ReadLimit m_limit;  // shared by every connection to the builder
    XrayResult m_result;
    Address m_address;       // the address the first connection reached; reconnects use it
    util::Bytes m_host_key;  // the first connection's host key; a reconnect must see the same
    bool m_publickey_error = false;
    bool m_publickey_flood = false;
};

bool Probe::record(const char* name, const std::string& outcome, const std::string& detail,
                   Deadline::Clock::time_point started) {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Deadline::Clock::now() - started);
    m_result.stages.push_back({name, outcome, detail, static_cast<long>(elapsed.count())});
    if (cuts_short(outcome)) m_result.completed_within_deadline = false;
    if (outcome == "cancelled") m_result.cancelled = true;
    m_result.bytes_received = m_limit.received;
    return outcome == "ok";
}

XrayResult Probe::run() {
    auto now = Deadline::Clock::now;

    auto started = now();
    const ResolveResult resolved = resolve(m_target.host, m_target.port, m_deadline);
    for (const Address& a : resolved.addresses) m_result.addresses.push_back(a.text);
    if (!record("dns", resolved.outcome, resolved.detail, started)) return std::move(m_result);

    started = now();
    ConnectResult connected = tcp_connect(resolved.addresses, m_deadline);
    m_result.connected_address = connected.address;
    ++m_result.connections;
    if (!record("tcp", connected.outcome, connected.detail, started)) return std::move(m_result);
    for (const Address& a : resolved.addresses)
        if (a.text == connected.address) m_address = a;

    auto connection = std::make_unique<Connection>(m_limit);
    connection->fd = std::move(connected.fd);

    started = now();
    const BannerResult banner = read_banner(connection->fd.get(), m_deadline);
    m_result.banner = banner.banner;
    if (!record("banner", banner.outcome, banner.detail, started)) return std::move(m_result);

    started = now();
    const StepResult kex =
        connection->ssh.handshake(connection->fd.get(), m_target.host_key_algorithms, m_deadline);
    if (!record("kex", kex.outcome, kex.detail, started)) return std::move(m_result);

    started = now();
    const util::Bytes host_key = connection->ssh.host_key();
    const std::optional<std::string> host_key_type = blob_type(host_key);
    if (!host_key_type) {
        record("hostkey", "error", "libssh2 returned no usable host key", started);
        return std::move(m_result);
    }
    m_host_key = host_key;
    m_result.host_key_type = *host_key_type;
    m_result.host_key_line = *host_key_type + " " + util::base64_encode(host_key);
    m_result.host_key_fingerprint = util::sha256_fingerprint(host_key);
    record("hostkey", "ok", m_result.host_key_type + " " + m_result.host_key_fingerprint, started);

    started = now();
    if (m_target.user.empty()) {
        record("auth_methods", "skipped", "no user name given", started);
        return std::move(m_result);
    }
    bool none_accepted = false;
    const StepResult methods = connection->ssh.auth_methods(m_target.user, m_deadline,
                                                            m_result.auth_methods, none_accepted);
    if (!record("auth_methods", methods.outcome, methods.detail, started))
        return std::move(m_result);

    // One verdict per candidate, in order; filled in below.
    for (const CandidateKey& candidate : m_target.keys) {
        KeyVerdict verdict;
        verdict.path = candidate.path;
        verdict.source = candidate.source;
        m_result.keys.push_back(verdict);
    }
    started = now();
    if (m_target.keys.empty()) {
        record("publickey", "skipped", "no candidate keys", started);
    } else if (none_accepted) {
        for (std::size_t i = 0; i < m_target.keys.size(); ++i) {
            prepare(m_target.keys[i], m_result.keys[i]);
            m_result.keys[i].verdict = "unknown";
            m_result.keys[i].reason = "the server let the user in without any key";
        }
        record("publickey", "skipped", "the server needs no authentication", started);
    } else if (std::find(m_result.auth_methods.begin(), m_result.auth_methods.end(), "publickey") ==
               m_result.auth_methods.end()) {
        for (std::size_t i = 0; i < m_target.keys.size(); ++i) {
            KeyVerdict& v = m_result.keys[i];
            const PreparedKey prepared = prepare(m_target.keys[i], v);
            v.verdict = prepared.error.empty() ? "refused" : "unknown";
            v.reason = prepared.error.empty()
                           ? "the server does not offer publickey authentication (offers: " +
                                 util::join(m_result.auth_methods, ",") + ")"
                           : prepared.error;
        }
        record("publickey", "skipped", "the server does not offer publickey", started);
    } else {
        ask_keys(std::move(connection));
        std::size_t counts[3] = {0, 0, 0};
        for (const KeyVerdict& v : m_result.keys)
            ++counts[v.verdict == "accepted" ? 0 : v.verdict == "refused" ? 1 : 2];
        const std::string summary = std::to_string(counts[0]) + " accepted, " +
                                    std::to_string(counts[1]) + " refused, " +
                                    std::to_string(counts[2]) + " unknown, over " +
                                    std::to_string(m_result.connections) + " connection(s)";
        std::string outcome = "ok";
        if (m_result.cancelled || m_deadline.cancelled())
            outcome = "cancelled";
        else if (!m_result.completed_within_deadline)
            outcome = "timeout";
        else if (m_publickey_flood)
            outcome = "flood";
        else if (m_publickey_error)
            outcome = "error";
        record("publickey", outcome, summary, started);
    }
    return std::move(m_result);
}

std::optional<std::string> Probe::reconnect(std::unique_ptr<Connection>& connection) {
    auto fail = [&](const char* stage, const std::string& outcome, const std::string& detail) {
        if (cuts_short(outcome)) {
            m_result.completed_within_deadline = false;
            if (outcome == "cancelled") m_result.cancelled = true;
        } else if (outcome == "flood") {
            m_publickey_flood = true;
        } else {
            m_publickey_error = true;
        }
        return std::optional<std::string>("not asked: reconnecting failed at " +
                                          std::string(stage) + " (" + outcome + "): " + detail);
    };
    if (m_result.connections >= kMaxConnections) {
        m_publickey_error = true;
        return "not asked: at most " + std::to_string(kMaxConnections) +
               " connections are made per builder";
    }
    ++m_result.connections;
    ConnectResult connected = tcp_connect({m_address}, m_deadline);
    if (connected.outcome != "ok") return fail("tcp", connected.outcome, connected.detail);
    auto fresh = std::make_unique<Connection>(m_limit);
    fresh->fd = std::move(connected.fd);
    const BannerResult banner = read_banner(fresh->fd.get(), m_deadline);
    if (banner.outcome != "ok") return fail("banner", banner.outcome, banner.detail);
    const StepResult kex =
        fresh->ssh.handshake(fresh->fd.get(), m_target.host_key_algorithms, m_deadline);
    if (kex.outcome != "ok") return fail("kex", kex.outcome, kex.detail);
    if (fresh->ssh.host_key() != m_host_key)
        return fail("hostkey", "error", "the server presented another host key than before");
    connection = std::move(fresh);
    return std::nullopt;
}

void Probe::ask_keys(std::unique_ptr<Connection> connection) {
    const std::size_t n = m_target.keys.size();
    std::vector<PreparedKey> prepared;
    std::vector<std::size_t> to_ask;
    std::vector<std::size_t> same_as(n, n);  // a duplicate's verdict is its first copy's
    for (std::size_t i = 0; i < n; ++i) {
        KeyVerdict& v = m_result.keys[i];
        prepared.push_back(prepare(m_target.keys[i], v));
        if (!prepared[i].error.empty()) {
            v.verdict = "unknown";
            v.reason = prepared[i].error;
            continue;
        }
        for (std::size_t j : to_ask)
            if (prepared[j].blob == prepared[i].blob && same_as[i] == n) same_as[i] = j;
        if (same_as[i] != n) continue;
        if (to_ask.size() >= kMaxKeys) {
            v.verdict = "unknown";
            v.reason =
                "not asked: at most " + std::to_string(kMaxKeys) + " keys are asked per builder";
            continue;
        }
        to_ask.push_back(i);
    }

    std::string stop_reason;  // once set, the remaining keys are not asked
    for (std::size_t i : to_ask) {
        KeyVerdict& v = m_result.keys[i];
        v.verdict = "unknown";
        if (!stop_reason.empty()) {
            v.reason = stop_reason;
            continue;
        }
        for (int lost = 0;;) {
            if (!connection) {
                if (std::optional<std::string> failure = reconnect(connection)) {
                    stop_reason = v.reason = *failure;
                    break;
                }
            }
            const KeyQuery q =
                connection->ssh.query_publickey(m_target.user, prepared[i].blob, m_deadline);
            if (q.answer == KeyAnswer::accepted || q.answer == KeyAnswer::authenticated) {
                v.verdict = "accepted";
                v.reason = q.detail;
                // A logged-in session cannot ask about other keys.
                if (q.answer == KeyAnswer::authenticated) connection.reset();
            } else if (q.answer == KeyAnswer::refused) {
                // libssh2 1.10 asks with "ssh-rsa" (SHA-1) only, which OpenSSH >= 8.8 refuses
                // whatever authorized_keys says: the refusal says nothing about the key.
                v.verdict = is_rsa(v.type) ? "unknown" : "refused";
                v.reason = is_rsa(v.type) ? kRsaUnknownReason : q.detail;
            } else if (q.answer == KeyAnswer::timeout || q.answer == KeyAnswer::cancelled) {
                m_result.completed_within_deadline = false;
                if (q.answer == KeyAnswer::cancelled) m_result.cancelled = true;
                stop_reason = v.reason = "not answered: " + q.detail;
            } else if (q.answer == KeyAnswer::flood) {
                m_publickey_flood = true;
                stop_reason = v.reason = "not answered: " + q.detail;
            } else if (q.answer == KeyAnswer::lost) {
                // E.g. OpenSSH's MaxAuthTries: ask again on a fresh connection, once.
                connection.reset();
                if (++lost < 2) continue;
                v.reason = "the connection was lost twice while asking: " + q.detail;
            } else {
                v.reason = q.detail;
            }
            break;
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (same_as[i] == n) continue;
        m_result.keys[i].verdict = m_result.keys[same_as[i]].verdict;
        m_result.keys[i].reason = m_result.keys[same_as[i]].reason;
    }
}

bool finished(const std::string& outcome) { return outcome == "ok" || outcome == "skipped"; }

std::string quoted_banner(const XrayResult& r) {
    return "the server identified as \"" + r.banner + "\", then ";
}

// See XrayResult::failure.
std::string failure_clause(const Stage& s, const XrayResult& r) {
    const std::string& o = s.outcome;
    if (o == "cancelled") return "the probe was cancelled (" + s.name + "): " + s.detail;
    if (s.name == "dns") return "the name lookup failed (" + o + "): " + s.detail;
    if (s.name == "tcp") return "the TCP connection failed (" + o + "): " + s.detail;
    // The banner stage's details name the server and read as a clause.
    if (s.name == "banner") return s.detail;
    if (s.name == "kex") {
        if (o == "failed") return quoted_banner(r) + "the key exchange failed: " + s.detail;
        if (o == "closed")
            return quoted_banner(r) + "the connection closed during the key exchange: " + s.detail;
        return quoted_banner(r) + s.detail;  // timeout and flood details name the key exchange
    }
    if (s.name == "hostkey") return "the key exchange gave no usable host key: " + s.detail;
    if (s.name == "auth_methods") {
        if (o == "closed") return "when asked for the auth methods, " + s.detail;
        if (o == "error") return "asking for the auth methods failed: " + s.detail;
        return "after the key exchange, " + s.detail;
    }
    return "asking about the keys ended in " + o + ": " + s.detail;
}

}  // namespace

XrayResult run_xray(const XrayTarget& target, const std::atomic<bool>* cancel) {
    ensure_libssh2_initialised();
    Probe probe(target, cancel);
    const auto started = Deadline::Clock::now();
    XrayResult result = probe.run();
    for (const Stage& s : result.stages) {
        if (finished(s.outcome)) continue;
        result.stopped_stage = s.name;
        result.failure = failure_clause(s, result);
        break;
    }
    result.elapsed_ms = static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Deadline::Clock::now() - started)
            .count());
    return result;
}

}  // namespace nbd::probe
