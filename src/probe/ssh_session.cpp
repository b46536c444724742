// libssh2 in non-blocking mode, every call driven by wait_fd() so that the deadline and the
// cancel flag hold during the key exchange and authentication queries too.
#include "nix_builder_doctor/probe/ssh_session.hpp"

#include <libssh2.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <optional>

#include "nix_builder_doctor/probe/xray.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::probe {

void ensure_libssh2_initialised() {
    static std::once_flag once;
    std::call_once(once, [] { libssh2_init(0); });
}

namespace {

// Results of drive() that are not libssh2 error codes.
constexpr int kTimedOut = -100000;
constexpr int kCancelled = -100001;

// Why the recv callback stopped libssh2's reads.
enum class Cut { none, deadline, cancelled, budget };

// Counts the server's packets by message type while they are plain text: from the identification
// line to the server's NEWKEYS (RFC 4253 6: uint32 length, byte padding, byte type, ...), so that
// a flood before the key exchange is done can be named. Bounded work per byte, no allocation.
class PlainPackets {
  public:
    void feed(const unsigned char* data, std::size_t size) {
        for (std::size_t i = 0; i < size && !m_done;) {
            if (m_in_identification) {
                if (data[i++] == '\n') m_in_identification = false;
            } else if (m_skip > 0) {
                const std::size_t n = std::min(m_skip, size - i);
                m_skip -= n;
                i += n;
            } else {
                m_header[m_have++] = data[i++];
                if (m_have < 6) continue;
                m_have = 0;
                const std::size_t length = (std::size_t{m_header[0]} << 24) |
                                           (std::size_t{m_header[1]} << 16) |
                                           (std::size_t{m_header[2]} << 8) | m_header[3];
                if (length < 2) {
                    m_done = true;  // not a packet: leave the diagnosis to libssh2
                    break;
                }
                ++m_count[m_header[5]];
                m_bytes[m_header[5]] += 4 + length;
                m_skip = length - 2;
                if (m_header[5] == 21) m_done = true;  // NEWKEYS: encrypted from here
            }
        }
    }
    struct Top {
        int type = 0;
        std::size_t count = 0;
        std::size_t bytes = 0;
    };
    // The type that took the most bytes.
    Top top() const {
        int type = 0;
        for (int t = 1; t < 256; ++t)
            if (m_bytes[t] > m_bytes[type]) type = t;
        return {type, m_count[type], m_bytes[type]};
    }

  private:
    bool m_in_identification = true;
    bool m_done = false;
    unsigned char m_header[6] = {};
    std::size_t m_have = 0;
    std::size_t m_skip = 0;
    std::size_t m_count[256] = {};
    std::size_t m_bytes[256] = {};
};

std::string message_name(int type) {
    switch (type) {
        case 2:
            return "SSH_MSG_IGNORE";
        case 4:
            return "SSH_MSG_DEBUG";
        case 20:
            return "KEXINIT";
        case 53:
            return "SSH_MSG_USERAUTH_BANNER";
        default:
            return "message type " + std::to_string(type);
    }
}

// What libssh2's callbacks tell us and need; the session's abstract pointer points here.
struct Notes {
    std::string disconnect_message;  // the server's SSH_MSG_DISCONNECT text
    ReadLimit* limit = nullptr;
    const Deadline* deadline = nullptr;  // the current step's
    Cut cut = Cut::none;                 // once set, every later read fails too
    std::size_t ignored = 0;             // SSH_MSG_IGNORE and SSH_MSG_DEBUG seen (and dropped)
    PlainPackets plain;                  // the packets before NEWKEYS, by type
};

// Every read libssh2 makes. libssh2 1.10 returns to the caller (EAGAIN) only when the socket has
// nothing more; while packets keep coming it keeps reading and queueing them, so the deadline
// and the byte budget are enforced here, where every byte passes. A negative errno makes
// libssh2 give up with LIBSSH2_ERROR_SOCKET_RECV; `cut` says why.
ssize_t limited_recv(libssh2_socket_t fd, void* buffer, size_t length, int flags, void** abstract) {
    auto* notes = static_cast<Notes*>(*abstract);
    if (notes->cut != Cut::none) return -ECONNABORTED;
    if (notes->deadline != nullptr && notes->deadline->cancelled()) {
        notes->cut = Cut::cancelled;
        return -ECANCELED;
    }
    if (notes->deadline != nullptr && notes->deadline->expired()) {
        notes->cut = Cut::deadline;
        return -ETIMEDOUT;
    }
    ReadLimit& limit = *notes->limit;
    if (limit.received >= limit.budget) {
        notes->cut = Cut::budget;
        return -EMSGSIZE;
    }
    const ssize_t n = ::recv(fd, buffer, std::min(length, limit.budget - limit.received), flags);
    if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    limit.received += static_cast<std::size_t>(n);
    notes->plain.feed(static_cast<const unsigned char*>(buffer), static_cast<std::size_t>(n));
    return n;
}

void on_ignore(LIBSSH2_SESSION*, const char*, int, void** abstract) {
    ++static_cast<Notes*>(*abstract)->ignored;
}

void on_debug(LIBSSH2_SESSION*, int, const char*, int, const char*, int, void** abstract) {
    ++static_cast<Notes*>(*abstract)->ignored;
}

std::string mib(std::size_t bytes) {
    return bytes % (1u << 20) == 0 ? std::to_string(bytes >> 20) + " MiB"
                                   : std::to_string(bytes) + " bytes";
}

void on_disconnect(LIBSSH2_SESSION*, int reason, const char* message, int message_len, const char*,
                   int, void** abstract) {
    auto* notes = static_cast<Notes*>(*abstract);
    std::string text = message != nullptr && message_len > 0
                           ? std::string(message, static_cast<std::size_t>(message_len))
                           : std::string();
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    notes->disconnect_message = text.empty() ? "reason " + std::to_string(reason) : text;
}

struct SignProbe {
    bool called = false;
};

// libssh2 calls this only after the server answered PK_OK to the unsigned query, i.e. the key
// would be accepted. It records that and refuses: no signature is ever made.
int refuse_to_sign(LIBSSH2_SESSION*, unsigned char** sig, size_t* sig_len, const unsigned char*,
                   size_t, void** abstract) {
    static_cast<SignProbe*>(*abstract)->called = true;
    *sig = nullptr;
    *sig_len = 0;
    return -1;
}

std::vector<std::string> supported_host_key_algorithms(LIBSSH2_SESSION* session) {
    std::vector<std::string> out;
    const char** algs = nullptr;
    const int n = libssh2_session_supported_algs(session, LIBSSH2_METHOD_HOSTKEY, &algs);
    for (int i = 0; i < n; ++i) out.emplace_back(algs[i]);
    if (algs != nullptr) libssh2_free(session, algs);
    return out;
}

// The caller's preference first (as OpenSSH puts the known_hosts types first), then the
// defaults, keeping only what this libssh2 knows.
std::string host_key_preference(LIBSSH2_SESSION* session, const std::vector<std::string>& wanted) {
    const std::vector<std::string> supported = supported_host_key_algorithms(session);
    std::vector<std::string> order;
    auto add = [&](const std::string& name) {
        const bool known = std::find(supported.begin(), supported.end(), name) != supported.end();
        if (known && std::find(order.begin(), order.end(), name) == order.end())
            order.push_back(name);
    };
    for (const std::string& name : wanted) add(name);
    for (const std::string& name : kDefaultHostKeyAlgorithms) add(name);
    return util::join(order, ",");
}

// libssh2 returns OUT_OF_BOUNDARY without a message for a packet over its 40000-byte limit.
constexpr const char* kPacketTooBig =
    "the server sent a packet over libssh2's limit of 40000 bytes (RFC 4253 only requires "
    "35000; an sshd `Banner` file of more than about 40 KB does this)";

bool is_connection_error(int rc) {
    return rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_RECV ||
           rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_BANNER_RECV ||
           rc == LIBSSH2_ERROR_SOCKET_TIMEOUT;
}

}  // namespace

struct SshSession::Impl {
    Notes notes;
    LIBSSH2_SESSION* session = nullptr;
    int fd = -1;
    bool handshaken = false;

    // Runs `call` until it stops answering EAGAIN, waiting on the socket in between.
    template <class Call>
    int drive(const Deadline& deadline, Call&& call) {
        notes.deadline = &deadline;
        notes.limit->stage_start = notes.limit->received;
        for (;;) {
            const int rc = call();
            if (rc != LIBSSH2_ERROR_EAGAIN) return rc;
            const int dirs = libssh2_session_block_directions(session);
            short events = 0;
            if ((dirs & LIBSSH2_SESSION_BLOCK_INBOUND) != 0) events |= POLLIN;
            if ((dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0) events |= POLLOUT;
            if (events == 0) events = POLLIN;
            switch (wait_fd(fd, events, deadline)) {
                case WaitResult::cancelled:
                    return kCancelled;
                case WaitResult::timeout:
                    return kTimedOut;
                case WaitResult::ready:
                    break;
            }
        }
    }

    std::size_t step_bytes() const { return notes.limit->received - notes.limit->stage_start; }

    // The result of a step the recv callback cut short, or nullopt. `step` names it ("the key
    // exchange"), `awaited` what the server should have sent instead.
    std::optional<StepResult> cut_result(const std::string& step,
                                         const std::string& awaited) const {
        const std::string got = std::to_string(step_bytes()) + " bytes during " + step;
        switch (notes.cut) {
            case Cut::none:
                return std::nullopt;
            case Cut::cancelled:
                return StepResult{"cancelled", "cancelled during " + step};
            case Cut::deadline:
                if (step_bytes() == 0)
                    return StepResult{"timeout", step + " did not finish before the deadline"};
                return StepResult{"timeout", step +
                                                 " did not finish before the deadline although "
                                                 "the builder kept sending (" +
                                                 got + ", never " + awaited + ")"};
            case Cut::budget:
                return StepResult{"flood", "the builder sent more than " +
                                               mib(notes.limit->budget) + " (" + got +
                                               ") without " + awaited + flood_hint(step)};
        }
        return std::nullopt;
    }

    std::string flood_hint(const std::string& step) const {
        if (const PlainPackets::Top top = notes.plain.top(); top.bytes * 2 > step_bytes())
            return ": a flood of " + std::to_string(top.count) + " " + message_name(top.type) +
                   " packets";
        if (notes.ignored > 1000)
            return ": a flood of " + std::to_string(notes.ignored) +
                   " SSH_MSG_IGNORE/SSH_MSG_DEBUG packets";
        if (step == "the key exchange") return " (a flood of KEXINIT or other packets?)";
        return " (a flood of SSH_MSG_USERAUTH_BANNER or other packets?)";
    }

    // " (N bytes received during it)" for a timeout, when anything came.
    std::string received_note() const {
        const std::size_t n = step_bytes();
        return n == 0 ? "" : " (" + std::to_string(n) + " bytes received during it)";
    }

    std::string last_error() const {
        char* message = nullptr;
        libssh2_session_last_error(session, &message, nullptr, 0);
        std::string text = message != nullptr ? message : "";
        if (!notes.disconnect_message.empty())
            text += (text.empty() ? "" : "; ") + std::string("the server disconnected: ") +
                    notes.disconnect_message;
        return text;
    }

    std::string methods_text() const {
        auto get = [&](int type) {
            const char* m = libssh2_session_methods(session, type);
            return std::string(m != nullptr ? m : "?");
        };
        return "kex " + get(LIBSSH2_METHOD_KEX) + ", host key " + get(LIBSSH2_METHOD_HOSTKEY) +
               ", cipher " + get(LIBSSH2_METHOD_CRYPT_SC) + ", mac " + get(LIBSSH2_METHOD_MAC_SC);
    }
};

SshSession::SshSession(ReadLimit& limit) : m_impl(std::make_unique<Impl>()) {
    ensure_libssh2_initialised();
    m_impl->notes.limit = &limit;
    m_impl->session = libssh2_session_init_ex(nullptr, nullptr, nullptr, &m_impl->notes);
    if (m_impl->session == nullptr) return;
    libssh2_session_set_blocking(m_impl->session, 0);
    libssh2_session_callback_set(m_impl->session, LIBSSH2_CALLBACK_DISCONNECT,
                                 reinterpret_cast<void*>(&on_disconnect));
    libssh2_session_callback_set(m_impl->session, LIBSSH2_CALLBACK_RECV,
                                 reinterpret_cast<void*>(&limited_recv));
    libssh2_session_callback_set(m_impl->session, LIBSSH2_CALLBACK_IGNORE,
                                 reinterpret_cast<void*>(&on_ignore));
    libssh2_session_callback_set(m_impl->session, LIBSSH2_CALLBACK_DEBUG,
                                 reinterpret_cast<void*>(&on_debug));
}

SshSession::~SshSession() {
    if (m_impl->session == nullptr) return;
    if (m_impl->handshaken && m_impl->notes.disconnect_message.empty()) {
        // One non-blocking attempt to say goodbye; if it would block, the close says it anyway.
        libssh2_session_disconnect(m_impl->session, "nix-builder-doctor probe done");
    }
    libssh2_session_free(m_impl->session);  // no channels: never blocks, never fails
}

StepResult SshSession::handshake(int fd, const std::vector<std::string>& host_key_algorithms,
                                 const Deadline& deadline) {
    Impl& s = *m_impl;
    if (s.session == nullptr) return {"failed", "libssh2_session_init failed"};
    s.fd = fd;
    const std::string preference = host_key_preference(s.session, host_key_algorithms);
    if (!preference.empty())
        libssh2_session_method_pref(s.session, LIBSSH2_METHOD_HOSTKEY, preference.c_str());
    // Only used by libssh2's blocking mode; our own waits keep the deadline in this mode.
    libssh2_session_set_timeout(s.session, static_cast<long>(deadline.remaining().count()));

    const int rc = s.drive(deadline, [&] { return libssh2_session_handshake(s.session, fd); });
    if (rc == 0) {
        s.handshaken = true;
        return {"ok", s.methods_text()};
    }
    if (auto cut = s.cut_result("the key exchange", "the key exchange reply")) return *cut;
    if (rc == kCancelled) return {"cancelled", "cancelled during the key exchange"};
    if (rc == kTimedOut)
        return {"timeout",
                "the key exchange did not finish before the deadline" + s.received_note()};
    const std::string why = rc == LIBSSH2_ERROR_OUT_OF_BOUNDARY ? kPacketTooBig : s.last_error();
    const std::string detail = why + " (libssh2 error " + std::to_string(rc) +
                               "; host key algorithms offered: " + preference + ")";
    if (is_connection_error(rc) || !s.notes.disconnect_message.empty()) return {"closed", detail};
    return {"failed", detail};
}

util::Bytes SshSession::host_key() const {
    if (m_impl->session == nullptr || !m_impl->handshaken) return {};
    std::size_t length = 0;
    int type = 0;
    const char* key = libssh2_session_hostkey(m_impl->session, &length, &type);
    if (key == nullptr) return {};
    return util::Bytes(reinterpret_cast<const std::uint8_t*>(key),
                       reinterpret_cast<const std::uint8_t*>(key) + length);
}

std::string SshSession::remote_banner() const {
    if (m_impl->session == nullptr) return {};
    const char* banner = libssh2_session_banner_get(m_impl->session);
    return banner != nullptr ? banner : "";
}

bool SshSession::authenticated() const {
    return m_impl->session != nullptr && libssh2_userauth_authenticated(m_impl->session) != 0;
}

StepResult SshSession::auth_methods(const std::string& user, const Deadline& deadline,
                                    std::vector<std::string>& methods, bool& none_accepted) {
    Impl& s = *m_impl;
    methods.clear();
    none_accepted = false;
    std::string list;
    const int rc = s.drive(deadline, [&] {
        const char* got =
            libssh2_userauth_list(s.session, user.c_str(), static_cast<unsigned int>(user.size()));
        if (got != nullptr) {
            list = got;
            return 0;
        }
        if (libssh2_userauth_authenticated(s.session) != 0) return 0;
        return libssh2_session_last_errno(s.session);
    });
    if (auto cut = s.cut_result("the auth methods query", "the list of auth methods")) return *cut;
    if (rc == kCancelled) return {"cancelled", "cancelled while asking for the auth methods"};
    if (rc == kTimedOut)
        return {"timeout", "no list of auth methods before the deadline" + s.received_note()};
    if (rc == LIBSSH2_ERROR_OUT_OF_BOUNDARY)
        return {"error", std::string(kPacketTooBig) + " instead of the list of auth methods"};
    if (rc != 0) {
        const std::string error = s.last_error();
        if (is_connection_error(rc) || !s.notes.disconnect_message.empty())
            return {"closed", "the server closed the connection before answering (" + error + "; " +
                                  std::to_string(s.step_bytes()) +
                                  " bytes received during the query)"};
        return {"error", error};
    }
    if (libssh2_userauth_authenticated(s.session) != 0) {
        none_accepted = true;
        return {"ok", "the server let " + user + " in without any authentication (method none)"};
    }
    methods = util::split_fields(list, ',');
    return {"ok", list};
}

KeyQuery SshSession::query_publickey(const std::string& user, const util::Bytes& blob,
                                     const Deadline& deadline) {
    Impl& s = *m_impl;
    SignProbe probe;
    void* abstract = &probe;
    const int rc = s.drive(deadline, [&] {
        return libssh2_userauth_publickey(s.session, user.c_str(), blob.data(), blob.size(),
                                          &refuse_to_sign, &abstract);
    });
    if (probe.called) return {KeyAnswer::accepted, "the server answered PK_OK"};
    if (rc == 0)
        return {KeyAnswer::authenticated, "the server logged the user in without a signature"};
    if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED)
        return {KeyAnswer::refused, "the server answered USERAUTH_FAILURE"};
    if (auto cut = s.cut_result("the publickey query", "an answer about the key")) {
        const KeyAnswer answer = cut->outcome == "flood"       ? KeyAnswer::flood
                                 : cut->outcome == "cancelled" ? KeyAnswer::cancelled
                                                               : KeyAnswer::timeout;
        return {answer, cut->detail};
    }
    if (rc == kCancelled) return {KeyAnswer::cancelled, "cancelled before the server answered"};
    if (rc == kTimedOut)
        return {KeyAnswer::timeout, "no answer before the deadline" + s.received_note()};
    if (rc == LIBSSH2_ERROR_OUT_OF_BOUNDARY) return {KeyAnswer::error, kPacketTooBig};
    // The blob was checked by the caller, so libssh2's PUBLICKEY_UNVERIFIED without a call of
    // the sign callback means "no reply": the connection broke or the server disconnected.
    return {KeyAnswer::lost, s.last_error()};
}

}  // namespace nbd::probe
