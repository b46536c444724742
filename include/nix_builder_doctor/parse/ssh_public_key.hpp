// OpenSSH public keys: the `<type> <base64-blob> [comment]` line of a .pub file, authorized_keys
// and known_hosts, and the binary wire blob inside it. Parsing follows sshkey_read and
// sshkey_from_blob (OpenSSH 9.2 .. 10.x): the type named on the line must be the type inside the
// blob, RSA/DSA mpints must be non-negative and at most 16384 bits, ECDSA curve names and points
// must agree with the type, ed25519 keys are 32 bytes, certificates are parsed up to the CA key
// (whose signature is NOT verified). The fingerprint and bits are what `ssh-keygen -l` prints;
// for a certificate both are those of the certified plain key, as ssh-keygen does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/util/encoding.hpp"

namespace nbd::parse {

enum class KeyAlgorithm { rsa, dsa, ecdsa, ed25519, ecdsa_sk, ed25519_sk, mldsa44_ed25519 };

// One key type name OpenSSH knows (sshkey.c keyimpls[]).
struct KeyTypeInfo {
    std::string_view name;        // as written: "ssh-ed25519", "rsa-sha2-512", ...
    std::string_view canonical;   // the key type it denotes ("rsa-sha2-512" -> "ssh-rsa")
    std::string_view plain;       // the non-certificate type ("ssh-rsa" for "ssh-rsa-cert-v01@...")
    std::string_view short_name;  // ssh-keygen -l's "(RSA)", "(ED25519-CERT)", ...
    KeyAlgorithm algorithm;
    bool certificate;
    std::string_view curve;  // "nistp256" etc. for ECDSA types, else empty
    unsigned fixed_bits;     // bits for fixed-size types; 0 when computed from the key (RSA, DSA)
};

// Every type name OpenSSH accepts on a key line, including signature-only aliases
// (rsa-sha2-256/512, webauthn-sk-...) that sshkey_read also accepts for the matching key.
const std::vector<KeyTypeInfo>& key_types();
const KeyTypeInfo* find_key_type(std::string_view name);

// An OpenSSH certificate's body (PROTOCOL.certkeys). Times are seconds since the epoch;
// valid_before of UINT64_MAX means "forever".
struct Certificate {
    static constexpr std::uint32_t kUser = 1;
    static constexpr std::uint32_t kHost = 2;

    std::uint64_t serial = 0;
    std::uint32_t cert_type = 0;  // kUser or kHost
    std::string key_id;
    std::vector<std::string> principals;
    std::uint64_t valid_after = 0;
    std::uint64_t valid_before = 0;
    std::vector<std::string> critical_options;  // names only ("force-command", ...)
    std::vector<std::string> extensions;        // names only ("permit-pty", ...)
    std::string signature_key_type;             // the CA key's type
    std::string signature_key_fingerprint;      // the CA key's "SHA256:..."
};

struct PublicKey {
    std::string type;  // canonical type of the blob, e.g. "ssh-ed25519"
    std::string
        plain_type;  // type without certificate: "ssh-ed25519" for "ssh-ed25519-cert-v01@..."
    std::string short_type;      // "ED25519", "RSA-CERT", ... as `ssh-keygen -l` prints in brackets
    std::string base64;          // base64 of `blob`
    util::Bytes blob;            // the wire blob exactly as given
    std::string comment;         // rest of the line after the blob, trimmed; empty when none
    std::string fingerprint;     // "SHA256:..." exactly as `ssh-keygen -l` prints it
    unsigned bits = 0;           // RSA modulus bits, DSA p bits, ECDSA curve bits, 256 for ed25519
    std::string sk_application;  // FIDO application ("ssh:") for sk-* keys
    std::optional<Certificate> certificate;  // set for *-cert-v01@openssh.com keys
    // Non-empty when the key is well formed but OpenSSH refuses to load it (RSA under 1024
    // bits: "Invalid key length").
    std::string refused_reason;
};

// How many malformed lines a file parser reports in detail (diagnostics, and entries that hold
// no key); the rest are only counted, so hostile input cannot make the result huge.
inline constexpr std::size_t kMaxLineErrors = 1000;

// Either a key or the reason there is none.
struct PublicKeyResult {
    std::optional<PublicKey> key;
    std::string error;
    explicit operator bool() const { return key.has_value(); }
};

// One `<type> <base64> [comment]` line (leading/trailing blanks ignored), like sshkey_read.
// `explain_errors` spends extra work on a helpful error (did-you-mean for the type, spotting a
// blob without its type); parsers of many lines turn it off once kMaxLineErrors are reported.
PublicKeyResult parse_public_key(std::string_view line, bool explain_errors = true);
// A whole .pub file: the first non-blank, non-`#` line that parses (sshkey_try_load_public);
// otherwise the error of the first candidate line.
PublicKeyResult parse_public_key_file(std::string_view text);
// A wire blob alone (machines column 8 decoded, a host key received from a server).
PublicKeyResult parse_public_key_blob(const util::Bytes& blob);

// "<type> <base64>" (no comment), the form Nix and known_hosts want.
std::string public_key_line(const PublicKey& key);

// Same public key (certificates compare by the certified key), like sshkey_equal_public.
bool same_public_key(const PublicKey& a, const PublicKey& b);

}  // namespace nbd::parse
