// What the tests' hostile SSH peers share: a listening socket on 127.0.0.1, and SSH packets as
// they travel before NEWKEYS (no encryption, no MAC, block size 8: RFC 4253 section 6).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace nbd_test {

// A listening TCP socket on 127.0.0.1 with a port the kernel picks; `port` receives it.
inline int listen_on_loopback(int backlog, int& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0) return -1;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

inline std::string u32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}
inline std::string ssh_string(const std::string& s) { return u32(static_cast<std::uint32_t>(s.size())) + s; }

inline std::string packet(const std::string& payload) {
    std::size_t padding = 8 - (4 + 1 + payload.size()) % 8;
    if (padding < 4) padding += 8;
    return u32(static_cast<std::uint32_t>(1 + payload.size() + padding)) + static_cast<char>(padding) + payload +
           std::string(padding, '\0');
}

// A KEXINIT libssh2 1.10 agrees with, so that it goes on to wait for the key exchange reply.
inline std::string kexinit() {
    std::string p(1, '\x14');      // SSH_MSG_KEXINIT
    p += std::string(16, '\x42');  // cookie
    for (const char* list : {"ecdh-sha2-nistp256,curve25519-sha256,diffie-hellman-group14-sha256",
                             "ssh-ed25519,ecdsa-sha2-nistp256", "aes128-ctr", "aes128-ctr", "hmac-sha2-256",
                             "hmac-sha2-256", "none", "none", "", ""})
        p += ssh_string(list);
    p += '\0';    // first_kex_packet_follows
    p += u32(0);  // reserved
    return packet(p);
}

}  // namespace nbd_test
