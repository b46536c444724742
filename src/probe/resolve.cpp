// Name resolution with a deadline. getaddrinfo cannot be interrupted, so a name is looked up on a
// detached worker thread that shares only a reference-counted result with the caller: when the
// caller gives up (deadline or cancel), the worker still finishes and frees everything itself.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "nix_builder_doctor/probe/net.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::probe {
namespace {

std::string address_text(const sockaddr* sa) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (sa->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (sa->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
        return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    return "(address family " + std::to_string(sa->sa_family) + ")";
}

std::vector<Address> to_addresses(const addrinfo* list) {
    std::vector<Address> out;
    for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
        Address a;
        std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
        a.length = ai->ai_addrlen;
        a.text = address_text(ai->ai_addr);
        bool duplicate = false;
        for (const Address& seen : out) duplicate = duplicate || seen.text == a.text;
        if (!duplicate) out.push_back(std::move(a));
    }
    return out;
}

std::string list_text(const std::vector<Address>& addresses) {
    std::vector<std::string> texts;
    for (const Address& a : addresses) texts.push_back(a.text);
    return util::join(texts, ", ");
}

// What the worker and the caller share; whoever is last frees it.
struct Lookup {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    int rc = 0;
    int saved_errno = 0;
    std::vector<Address> addresses;
};

void classify_failure(int rc, int saved_errno, ResolveResult& result) {
    std::string text = rc == EAI_SYSTEM ? std::strerror(saved_errno) : gai_strerror(rc);
    switch (rc) {
        case EAI_NONAME:
#ifdef EAI_NODATA
        case EAI_NODATA:
#endif
            result.outcome = "no_such_host";
            break;
        case EAI_AGAIN:  // what glibc returns when the resolver does not answer in time
            result.outcome = "dns_timeout";
            break;
        default:
            result.outcome = "error";
    }
    result.detail = "getaddrinfo: " + text;
}

}  // namespace

ResolveResult resolve(std::string_view host_in, int port, const Deadline& deadline,
                      Resolver resolver) {
    ResolveResult result;
    std::string host(host_in);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.empty() || port < 1 || port > 65535) {
        result.outcome = "error";
        result.detail = host.empty() ? "no host name" : "invalid port " + std::to_string(port);
        return result;
    }
    const std::string service = std::to_string(port);

    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* literal = nullptr;
    if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &literal) == 0) {
        result.addresses = to_addresses(literal);
        ::freeaddrinfo(literal);
        result.outcome = "ok";
        result.detail = "IP literal, no lookup";
        return result;
    }

    hints.ai_flags = AI_NUMERICSERV;
    auto lookup = std::make_shared<Lookup>();
    try {
        std::thread([lookup, host, service, hints, resolver] {
            addrinfo* list = nullptr;
            const int rc = resolver ? resolver(host.c_str(), service.c_str(), &hints, &list)
                                    : ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
            const int saved_errno = errno;
            std::vector<Address> addresses;
            if (rc == 0) addresses = to_addresses(list);
            if (list != nullptr) ::freeaddrinfo(list);
            std::lock_guard lock(lookup->mutex);
            lookup->rc = rc;
            lookup->saved_errno = saved_errno;
            lookup->addresses = std::move(addresses);
            lookup->done = true;
            lookup->done_cv.notify_all();
        }).detach();
    } catch (const std::system_error& e) {
        result.outcome = "error";
        result.detail = std::string("cannot start a resolver thread: ") + e.what();
        return result;
    }

    std::unique_lock lock(lookup->mutex);
    for (;;) {
        if (deadline.cancelled()) {
            result.outcome = "cancelled";
            result.detail = "cancelled while looking up " + host;
            return result;
        }
        const auto slice = std::min(Deadline::Clock::now() + Deadline::kSlice, deadline.end());
        if (lookup->done_cv.wait_until(lock, slice, [&] { return lookup->done; })) break;
        if (deadline.expired()) {
            result.outcome = "dns_timeout";
            result.detail = "no answer for " + host + " before the deadline";
            return result;
        }
    }
    if (lookup->rc != 0) {
        classify_failure(lookup->rc, lookup->saved_errno, result);
        return result;
    }
    if (lookup->addresses.empty()) {
        result.outcome = "no_such_host";
        result.detail = host + " has no IPv4 or IPv6 address";
        return result;
    }
    result.addresses = lookup->addresses;
    result.outcome = "ok";
    result.detail = host + " -> " + list_text(result.addresses);
    return result;
}

}  // namespace nbd::probe
