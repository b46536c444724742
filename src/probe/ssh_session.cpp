// libssh2 in non-blocking mode, every call driven by wait_fd() so that the deadline and the
// cancel flag hold during the key exchange and authentication queries too.
#include "nix_builder_doctor/probe/ssh_session.hpp"

#include <libssh2.h>
#include <poll.h>

#include <algorithm>
#include <mutex>

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

// What libssh2's callbacks tell us; the session's abstract pointer points here.
struct Notes {
    std::string disconnect_message;  // the server's SSH_MSG_DISCONNECT text
};

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

SshSession::SshSession() : m_impl(std::make_unique<Impl>()) {
    ensure_libssh2_initialised();
    m_impl->session = libssh2_session_init_ex(nullptr, nullptr, nullptr, &m_impl->notes);
    if (m_impl->session == nullptr) return;
    libssh2_session_set_blocking(m_impl->session, 0);
    libssh2_session_callback_set(m_impl->session, LIBSSH2_CALLBACK_DISCONNECT,
                                 reinterpret_cast<void*>(&on_disconnect));
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
    if (rc == kCancelled) return {"cancelled", "cancelled during the key exchange"};
    if (rc == kTimedOut) return {"timeout", "the key exchange did not finish before the deadline"};
    const std::string detail = s.last_error() + " (libssh2 error " + std::to_string(rc) +
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
    if (rc == kCancelled) return {"cancelled", "cancelled while asking for the auth methods"};
    if (rc == kTimedOut) return {"timeout", "no list of auth methods before the deadline"};
    if (rc != 0) {
        const std::string detail = s.last_error();
        return {is_connection_error(rc) || !s.notes.disconnect_message.empty() ? "closed" : "error",
                detail};
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
    if (rc == kCancelled) return {KeyAnswer::cancelled, "cancelled before the server answered"};
    if (rc == kTimedOut) return {KeyAnswer::timeout, "no answer before the deadline"};
    // The blob was checked by the caller, so libssh2's PUBLICKEY_UNVERIFIED without a call of
    // the sign callback means "no reply": the connection broke or the server disconnected.
    return {KeyAnswer::lost, s.last_error()};
}

}  // namespace nbd::probe
