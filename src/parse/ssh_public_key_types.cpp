// The key type names of OpenSSH's sshkey.c keyimpls[] table (with ssh-dss from <= 9.9).
#include "nix_builder_doctor/parse/ssh_public_key.hpp"

namespace nbd::parse {

const std::vector<KeyTypeInfo>& key_types() {
    using A = KeyAlgorithm;
    static const std::vector<KeyTypeInfo> types = {
        {"ssh-ed25519", "ssh-ed25519", "ssh-ed25519", "ED25519", A::ed25519, false, "", 256},
        {"ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519",
         "ED25519-CERT", A::ed25519, true, "", 256},
        {"sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519@openssh.com",
         "ED25519-SK", A::ed25519_sk, false, "", 256},
        {"sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com",
         "sk-ssh-ed25519@openssh.com", "ED25519-SK-CERT", A::ed25519_sk, true, "", 256},
        {"ssh-mldsa44-ed25519@openssh.com", "ssh-mldsa44-ed25519@openssh.com",
         "ssh-mldsa44-ed25519@openssh.com", "MLDSA44-ED25519", A::mldsa44_ed25519, false, "", 256},
        {"ssh-mldsa44-ed25519-cert-v01@openssh.com", "ssh-mldsa44-ed25519-cert-v01@openssh.com",
         "ssh-mldsa44-ed25519@openssh.com", "MLDSA44-ED25519-CERT", A::mldsa44_ed25519, true, "",
         256},
        {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", "ECDSA", A::ecdsa,
         false, "nistp256", 256},
        {"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
         "ecdsa-sha2-nistp256", "ECDSA-CERT", A::ecdsa, true, "nistp256", 256},
        {"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", "ECDSA", A::ecdsa,
         false, "nistp384", 384},
        {"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
         "ecdsa-sha2-nistp384", "ECDSA-CERT", A::ecdsa, true, "nistp384", 384},
        {"ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", "ECDSA", A::ecdsa,
         false, "nistp521", 521},
        {"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
         "ecdsa-sha2-nistp521", "ECDSA-CERT", A::ecdsa, true, "nistp521", 521},
        {"sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
         "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", A::ecdsa_sk, false, "nistp256", 256},
        {"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
         "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
         "ECDSA-SK-CERT", A::ecdsa_sk, true, "nistp256", 256},
        {"webauthn-sk-ecdsa-sha2-nistp256@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
         "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", A::ecdsa_sk, false, "nistp256", 256},
        {"webauthn-sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
         "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
         "ECDSA-SK-CERT", A::ecdsa_sk, true, "nistp256", 256},
        {"ssh-rsa", "ssh-rsa", "ssh-rsa", "RSA", A::rsa, false, "", 0},
        {"ssh-rsa-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "ssh-rsa", "RSA-CERT",
         A::rsa, true, "", 0},
        {"rsa-sha2-256", "ssh-rsa", "ssh-rsa", "RSA", A::rsa, false, "", 0},
        {"rsa-sha2-512", "ssh-rsa", "ssh-rsa", "RSA", A::rsa, false, "", 0},
        {"rsa-sha2-256-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "ssh-rsa", "RSA-CERT",
         A::rsa, true, "", 0},
        {"rsa-sha2-512-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "ssh-rsa", "RSA-CERT",
         A::rsa, true, "", 0},
        {"ssh-dss", "ssh-dss", "ssh-dss", "DSA", A::dsa, false, "", 0},
        {"ssh-dss-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com", "ssh-dss", "DSA-CERT",
         A::dsa, true, "", 0},
    };
    return types;
}

const KeyTypeInfo* find_key_type(std::string_view name) {
    for (const auto& info : key_types())
        if (info.name == name) return &info;
    return nullptr;
}

}  // namespace nbd::parse
