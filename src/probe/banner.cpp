// The server's identification line (RFC 4253 4.2), read with MSG_PEEK so that libssh2 can read it
// again for the handshake. libssh2 1.10 takes the first line it sees as the banner, so lines
// before the identification line (allowed by the RFC) are consumed here.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "nix_builder_doctor/probe/net.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::probe {
namespace {

// How long to wait for an identification line after the server sent a line that is not one.
constexpr std::chrono::milliseconds kPreBannerGrace{1000};
// How often to look again while a partial line sits unread (poll would return at once).
constexpr std::chrono::milliseconds kPartialLineRecheck{20};
constexpr std::size_t kMaxShownLine = 120;

std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, kMaxShownLine)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u != 0x7f) ? c : '?';
    }
    if (s.size() > kMaxShownLine) out += "...";
    return out;
}

// Text lines only: a byte below 0x20 other than CR, LF and TAB means a binary protocol.
bool has_binary(std::string_view s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\r' && c != '\n' && c != '\t') || u == 0x7f) return true;
    }
    return false;
}

std::string_view strip_cr(std::string_view line) {
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

// What OpenSSH's sshd writes before closing a connection it refuses to serve (MaxStartups,
// PerSourcePenalties): the connection was closed by an sshd, not answered by something else.
bool is_sshd_refusal(std::string_view first_line) {
    return util::starts_with(first_line, "Exceeded MaxStartups") ||
           util::starts_with(first_line, "Not allowed at this time");
}

// What the server answered, for a detail: its first line in quotes, or its first bytes in hex
// when that line is empty or binary (a TLS record, another protocol's magic number), so that the
// detail never shows "" or a row of question marks.
std::string answer(std::string_view seen) {
    const std::size_t nl = seen.find('\n');
    const std::string_view line = strip_cr(seen.substr(0, nl));
    if (!line.empty() && !has_binary(line)) return "\"" + printable(line) + "\"";
    if (line.empty() && !has_binary(seen)) return "an empty line";
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < seen.size() && i < 16; ++i) {
        const auto u = static_cast<unsigned char>(seen[i]);
        if (!hex.empty()) hex += ' ';
        hex += kHex[u >> 4];
        hex += kHex[u & 0xf];
    }
    return std::to_string(seen.size()) + " bytes of binary data (" + hex +
           (seen.size() > 16 ? " ..." : "") + ")";
}

}  // namespace

BannerScan scan_banner(std::string_view received) {
    BannerScan scan;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t nl = received.find('\n', pos);
        const std::string_view line =
            strip_cr(received.substr(pos, nl == std::string_view::npos ? nl : nl - pos));
        if (pos == 0) scan.first_line = printable(line);
        if (nl == std::string_view::npos) break;
        if (util::starts_with(line, "SSH-")) {
            scan.line = std::string(line);
            const bool v2 =
                util::starts_with(line, "SSH-2.0-") || util::starts_with(line, "SSH-1.99-");
            scan.kind = v2 && line.find('\0') == std::string_view::npos ? BannerScan::Kind::ssh
                                                                        : BannerScan::Kind::not_ssh;
            scan.offset = pos;
            return scan;
        }
        pos = nl + 1;
    }
    if (has_binary(received) || received.size() >= kMaxBannerSearch)
        scan.kind = BannerScan::Kind::not_ssh;
    return scan;
}

BannerResult read_banner(int fd, const Deadline& deadline) {
    BannerResult result;
    std::string seen;
    std::optional<Deadline::Clock::time_point> grace_end;
    auto not_ssh = [&](const std::string& why) {
        result.outcome = "not_ssh";
        result.detail = why;
        return result;
    };
    for (;;) {
        short revents = 0;
        const auto until = grace_end.value_or(Deadline::Clock::time_point::max());
        const WaitResult waited = wait_fd(fd, POLLIN | POLLRDHUP, deadline, &revents, until);
        if (waited == WaitResult::cancelled) {
            result.outcome = "cancelled";
            result.detail = "cancelled while waiting for the SSH identification";
            return result;
        }
        if (waited == WaitResult::timeout) {
            if (seen.empty()) {
                result.outcome = "timeout";
                result.detail = "the server sent nothing before the deadline";
                return result;
            }
            return not_ssh("the server sent " + answer(seen) + " and no SSH identification line");
        }

        char buf[kMaxBannerSearch];
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK);
        if (n < 0) {
            const int err = errno;
            if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) continue;
            result.outcome = "closed";
            result.detail = (err == ECONNRESET ? std::string("the server reset the connection")
                                               : "the connection failed (" +
                                                     std::string(std::strerror(err)) + ")") +
                            " before an SSH identification line";
            return result;
        }
        if (n == 0) {
            result.outcome = "closed";
            result.detail = "the server closed the connection without sending anything";
            return result;
        }
        seen.assign(buf, static_cast<std::size_t>(n));
        const BannerScan scan = scan_banner(seen);
        if (scan.kind == BannerScan::Kind::ssh) {
            // Consume the lines before the identification line; they are already here.
            std::size_t left = scan.offset;
            while (left > 0) {
                const ssize_t got = ::recv(fd, buf, left, 0);
                if (got <= 0 && errno != EINTR) break;
                if (got > 0) left -= static_cast<std::size_t>(got);
            }
            result.outcome = "ok";
            result.banner = scan.line;
            result.detail = scan.offset == 0
                                ? scan.line
                                : scan.line + " (after " + std::to_string(scan.offset) +
                                      " bytes of other text)";
            return result;
        }
        if (scan.kind == BannerScan::Kind::not_ssh) {
            if (!scan.line.empty())
                return not_ssh("the server identified as \"" + printable(scan.line) +
                               "\", a protocol version other than SSH 2");
            return not_ssh("the server answered " + answer(seen) + ", not SSH");
        }
        if ((revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
            // Everything the server sent is in `seen`, and no identification line was in it.
            if (is_sshd_refusal(scan.first_line)) {
                result.outcome = "closed";
                result.detail = "the server said \"" + scan.first_line + "\" and closed";
                return result;
            }
            return not_ssh("the server answered " + answer(seen) + " and closed");
        }
        if (!grace_end && seen.find('\n') != std::string::npos)
            grace_end = Deadline::Clock::now() + kPreBannerGrace;
        // Unread data keeps poll returning at once: look again a little later instead. A cancel
        // or the deadline during the sleep is reported by wait_fd at the top of the loop.
        sleep_for(kPartialLineRecheck, deadline);
    }
}

}  // namespace nbd::probe
