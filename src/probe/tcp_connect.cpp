// Non-blocking TCP connect to each address in turn, within the deadline.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nix_builder_doctor/probe/net.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::probe {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
}

int UniqueFd::release() {
    const int fd = m_fd;
    m_fd = -1;
    return fd;
}

void UniqueFd::reset(int fd) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = fd;
}

namespace {

std::string outcome_for_errno(int err) {
    switch (err) {
        case ECONNREFUSED:
            return "refused";
        case ETIMEDOUT:
            return "timeout";
        case EHOSTUNREACH:
            return "no_route";
        case ENETUNREACH:
            return "network_unreachable";
        default:
            return "error";
    }
}

// When addresses fail differently, the most telling failure is the one reported: "refused"
// proves the host is up and nothing listens; "error" (say, no IPv6 on this machine) says least.
int rank(const std::string& outcome) {
    if (outcome == "refused") return 5;
    if (outcome == "timeout") return 4;
    if (outcome == "no_route") return 3;
    if (outcome == "network_unreachable") return 2;
    return 1;
}

struct Attempt {
    std::string outcome;
    std::string detail;
};

Attempt connect_one(const Address& address, const Deadline& deadline,
                    Deadline::Clock::time_point until, UniqueFd& fd) {
    fd.reset(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        const int err = errno;
        return {outcome_for_errno(err), std::string("socket: ") + std::strerror(err)};
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) ==
        0)
        return {"ok", "connected"};
    if (errno != EINPROGRESS) {
        const int err = errno;
        return {outcome_for_errno(err), std::strerror(err)};
    }
    short revents = 0;
    switch (wait_fd(fd.get(), POLLOUT, deadline, &revents, until)) {
        case WaitResult::cancelled:
            return {"cancelled", "cancelled while connecting"};
        case WaitResult::timeout:
            return {"timeout", "no answer to the TCP connect"};
        case WaitResult::ready:
            break;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0) return {"ok", "connected"};
    // Accepted and reset before we looked (a SYN answered by RST is ECONNREFUSED): TCP worked,
    // the reset is the banner stage's to report, and reading SO_ERROR has cleared it.
    if (err == ECONNRESET) return {"ok", "connected, then reset by the server"};
    return {outcome_for_errno(err), std::strerror(err)};
}

}  // namespace

ConnectResult tcp_connect(const std::vector<Address>& addresses, const Deadline& deadline) {
    ConnectResult result;
    std::vector<std::string> tried;
    std::string worst;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        if (deadline.stop()) {
            for (std::size_t j = i; j < addresses.size(); ++j)
                tried.push_back(addresses[j].text + ": not tried, deadline reached");
            break;
        }
        const auto left = static_cast<long>(addresses.size() - i);
        const Deadline::Clock::time_point until =
            left == 1 ? deadline.end() : Deadline::Clock::now() + deadline.remaining() / left;
        UniqueFd fd;
        const Attempt attempt = connect_one(addresses[i], deadline, until, fd);
        tried.push_back(addresses[i].text + ": " + attempt.detail);
        if (attempt.outcome == "ok") {
            result.outcome = "ok";
            result.fd = std::move(fd);
            result.address = addresses[i].text;
            result.detail = util::join(tried, "; ");
            return result;
        }
        if (attempt.outcome == "cancelled") {
            result.outcome = "cancelled";
            result.detail = util::join(tried, "; ");
            return result;
        }
        if (worst.empty() || rank(attempt.outcome) > rank(worst)) worst = attempt.outcome;
    }
    if (deadline.cancelled()) {
        result.outcome = "cancelled";
    } else if (worst.empty()) {
        result.outcome = addresses.empty() ? "error" : "timeout";
        if (addresses.empty()) tried.push_back("no address to connect to");
    } else {
        result.outcome = deadline.expired() && worst != "refused" ? "timeout" : worst;
    }
    result.detail = util::join(tried, "; ");
    return result;
}

}  // namespace nbd::probe
