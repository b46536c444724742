// The stages of a probe below SSH: name resolution, TCP connect and the server's identification
// line. Each returns an outcome word (see xray.hpp) and a human detail; none waits past the
// deadline or ignores the cancel flag.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/probe/deadline.hpp"

struct addrinfo;

namespace nbd::probe {

// A file descriptor that is closed when its owner goes away.
class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    int release();
    void reset(int fd = -1);

  private:
    int m_fd = -1;
};

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
    std::string text;  // "127.0.0.1:22", "[::1]:22"
};

// getaddrinfo's signature, so that tests can put a slow or failing resolver in its place.
using Resolver = std::function<int(const char* host, const char* service, const addrinfo* hints,
                                   addrinfo** result)>;

struct ResolveResult {
    std::string outcome;  // ok | no_such_host | dns_timeout | error | cancelled
    std::string detail;
    std::vector<Address> addresses;  // in getaddrinfo's order, IPv4 and IPv6
};

// IP literals (also "[::1]") are converted without a lookup. Names are looked up on a detached
// worker thread, because getaddrinfo cannot be interrupted: when the deadline passes first, the
// result is dns_timeout and the worker finishes (and frees everything) on its own later.
ResolveResult resolve(std::string_view host, int port, const Deadline& deadline,
                      Resolver resolver = nullptr);

struct ConnectResult {
    std::string outcome;  // ok | refused | timeout | no_route | network_unreachable | error |
                          // cancelled
    std::string detail;   // every address tried and what happened
    UniqueFd fd;          // non-blocking, connected when outcome is ok
    std::string address;  // the address connected to
};

// Tries each address in order until one connects. Each address gets an equal share of what is
// left of the deadline, so a black-holed first address still leaves time for the next.
ConnectResult tcp_connect(const std::vector<Address>& addresses, const Deadline& deadline);

struct BannerResult {
    std::string outcome;  // ok | not_ssh | closed | timeout | cancelled
    std::string detail;
    std::string banner;  // the identification line without CR LF ("SSH-2.0-OpenSSH_9.2p1 ...")
};

// Waits for the server's identification line WITHOUT consuming it (MSG_PEEK), so that libssh2
// reads it itself afterwards; lines before it (RFC 4253 4.2 allows them) are consumed.
BannerResult read_banner(int fd, const Deadline& deadline);

// The pure part of read_banner: what the bytes received so far say.
struct BannerScan {
    enum class Kind {
        need_more,  // no complete identification line yet
        ssh,        // "SSH-2.0-" or "SSH-1.99-" line found at `offset`
        not_ssh     // an "SSH-" line of another version, or too much text without one
    };
    Kind kind = Kind::need_more;
    std::size_t offset = 0;  // bytes of lines before the identification line
    std::string line;        // the identification line (ssh, or the bad SSH- line), no CR LF
    std::string first_line;  // the first line received, printable, truncated (for details)
};
BannerScan scan_banner(std::string_view received);

// The largest amount of text read while looking for the identification line.
inline constexpr std::size_t kMaxBannerSearch = 8192;

}  // namespace nbd::probe
