// PubkeyAcceptedAlgorithms as OpenSSH 9.2's sshd assembles it (kex.c kex_assemble_names()).
// Both lists are the Debian 12 build's: the default from `sshd -T` with an empty
// configuration, the known algorithms from `ssh -Q PubkeyAcceptedAlgorithms` (same order).
#include <algorithm>
#include <unordered_set>

#include "nix_builder_doctor/parse/sshd_config.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {

namespace {

// kex_names_cat(): `b` appended to `a`, names already in `a` skipped.
void append_unique(std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::unordered_set<std::string> seen(a.begin(), a.end());
    for (const auto& name : b)
        if (seen.insert(name).second) a.push_back(name);
}

}  // namespace

const std::vector<std::string>& sshd_default_pubkey_algorithms() {
    static const std::vector<std::string> list = {
        "ssh-ed25519-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com",
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "rsa-sha2-512-cert-v01@openssh.com",
        "rsa-sha2-256-cert-v01@openssh.com",
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "rsa-sha2-512",
        "rsa-sha2-256",
    };
    return list;
}

const std::vector<std::string>& sshd_known_pubkey_algorithms() {
    static const std::vector<std::string> list = {
        "ssh-ed25519",
        "ssh-ed25519-cert-v01@openssh.com",
        "sk-ssh-ed25519@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-dss",
        "ssh-dss-cert-v01@openssh.com",
        "ssh-rsa",
        "ssh-rsa-cert-v01@openssh.com",
        "rsa-sha2-256",
        "rsa-sha2-256-cert-v01@openssh.com",
        "rsa-sha2-512",
        "rsa-sha2-512-cert-v01@openssh.com",
    };
    return list;
}

std::optional<std::vector<std::string>> sshd_assemble_pubkey_algorithms(std::string_view spec,
                                                                        std::string* error) {
    const auto& defaults = sshd_default_pubkey_algorithms();
    const auto& known = sshd_known_pubkey_algorithms();
    const auto fail = [&](std::string message) -> std::optional<std::vector<std::string>> {
        if (error) *error = std::move(message);
        return std::nullopt;
    };
    if (spec.empty()) return defaults;
    if (spec.front() == '-') {
        // Remove from the default list whatever the pattern list matches.
        std::vector<std::string> out;
        for (const auto& name : defaults)
            if (ssh_match_pattern_list(name, spec.substr(1), false) != 1) out.push_back(name);
        return out;
    }
    std::vector<std::string> names;
    auto given =
        util::split_fields(spec.front() == '+' || spec.front() == '^' ? spec.substr(1) : spec, ',');
    if (spec.front() == '+') {
        // kex_names_cat() stops reading the appended list at an empty element.
        const auto empty = std::find(given.begin(), given.end(), std::string());
        given.erase(empty, given.end());
        names = defaults;
        append_unique(names, given);
    } else if (spec.front() == '^') {
        names = std::move(given);
        append_unique(names, defaults);
    } else {
        names = std::move(given);
    }
    // Each name is a pattern over every known algorithm.
    std::vector<std::string> out;
    for (const auto& pattern : names) {
        if (!pattern.empty() && pattern.front() == '!')
            return fail("negated pattern '" + pattern + "' is not allowed here");
        std::vector<std::string> matching;
        for (const auto& alg : known)
            if (ssh_match_pattern_list(alg, pattern, false) == 1) matching.push_back(alg);
        append_unique(out, matching);
    }
    if (out.empty()) return fail("no algorithm left in '" + std::string(spec) + "'");
    return out;
}

}  // namespace nbd::parse
