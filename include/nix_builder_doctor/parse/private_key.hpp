// SSH identity (private key) files, read WITHOUT any passphrase: which format the file is in,
// whether it is encrypted (and with what cipher/KDF), its key type and bits, and its public half
// where that is available without decrypting: from the clear-text public blob of an
// openssh-key-v1 file (PROTOCOL.key) or a PuTTY .ppk, or derived with OpenSSL from an
// unencrypted PEM / PKCS#8 key. Also recognises a public key put where the private key should
// be, RFC 4716 and ssh.com files, and garbage. The result never holds private key material;
// decoded buffers that held it are wiped with OPENSSL_cleanse.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"
#include "nix_builder_doctor/parse/ssh_public_key.hpp"

namespace nbd::parse {

enum class PrivateKeyFormat {
    openssh,          // -----BEGIN OPENSSH PRIVATE KEY----- (openssh-key-v1)
    pem,              // -----BEGIN RSA/EC/DSA PRIVATE KEY----- (traditional OpenSSL PEM)
    pkcs8,            // -----BEGIN PRIVATE KEY-----
    pkcs8_encrypted,  // -----BEGIN ENCRYPTED PRIVATE KEY-----
    putty,            // PuTTY-User-Key-File-N (ssh cannot read it)
    sshcom,           // ---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ---- (ssh cannot read it)
    public_key,       // an OpenSSH public key line (the .pub given as the identity)
    rfc4716_public,   // ---- BEGIN SSH2 PUBLIC KEY ----
    empty,            // nothing but blanks
    unknown,          // none of the above
};

std::string_view to_string(PrivateKeyFormat format);

struct PrivateKeyInfo {
    std::string file;
    PrivateKeyFormat format = PrivateKeyFormat::unknown;
    std::string type;         // SSH key type ("ssh-ed25519", "ssh-rsa", ...) when known
    unsigned bits = 0;        // as `ssh-keygen -l` would print, when known
    bool encrypted = false;   // a passphrase is needed to use it
    std::string cipher;       // "none", "aes256-ctr", "AES-128-CBC", ... ("" when unknown)
    std::string kdf;          // "none", "bcrypt", "PBKDF2", "md5" (legacy PEM), ...
    unsigned kdf_rounds = 0;  // bcrypt rounds of openssh-key-v1
    std::string comment;      // openssh-key-v1 (unencrypted only) or PuTTY comment
    std::optional<PublicKey> public_key;  // the public half, when known without a passphrase
    // Whether OpenSSH (given the passphrase when encrypted) can load this file as an identity.
    bool openssh_can_load = false;
    std::vector<Diagnostic> diagnostics;  // why it cannot be used, oddities
};

PrivateKeyInfo parse_private_key(std::string_view text, std::string_view file);

}  // namespace nbd::parse
