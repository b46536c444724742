// Decoding of public key wire blobs and certificates (sshkey_from_blob_internal, cert_parse).
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "nix_builder_doctor/parse/ssh_public_key.hpp"
#include "nix_builder_doctor/parse/ssh_wire.hpp"

namespace nbd::parse {
namespace {

constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kMldsa44Ed25519KeyBytes = 1312 + 32;
constexpr std::size_t kMaxEcPointBytes = (528 * 2 / 8) + 1;  // SSHBUF_MAX_ECPOINT
constexpr std::size_t kMaxPrincipals = 256;                  // SSHKEY_CERT_MAX_PRINCIPALS
constexpr unsigned kRsaMinimumBits = 1024;                   // SSH_RSA_MINIMUM_MODULUS_SIZE

PublicKeyResult blob_failure(std::string message) {
    return PublicKeyResult{std::nullopt, std::move(message)};
}

std::string wire_error(const SshReader& reader, std::string_view what) {
    if (reader.error() == "truncated")
        return "key blob is truncated (in " + std::string(what) + ")";
    return "invalid " + std::string(what) + " in key blob: " + reader.error();
}

const char* openssl_group(std::string_view curve) {
    if (curve == "nistp256") return "prime256v1";
    if (curve == "nistp384") return "secp384r1";
    if (curve == "nistp521") return "secp521r1";
    return nullptr;
}

// Whether `point` is an uncompressed point on the named curve (sshbuf_get_ec + EC validation).
bool valid_ec_point(std::string_view curve, ByteSpan point) {
    const char* group = openssl_group(curve);
    if (group == nullptr) return false;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    if (ctx == nullptr) return false;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                          const_cast<std::uint8_t*>(point.data()), point.size()),
        OSSL_PARAM_construct_end()};
    EVP_PKEY* pkey = nullptr;
    const bool ok = EVP_PKEY_fromdata_init(ctx) == 1 &&
                    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

// Reads the key material after the type (and nonce), writing the plain blob's fields to
// `plain` and filling bits/sk_application. Returns an error message or "".
std::string read_key_fields(SshReader& r, const KeyTypeInfo& info, SshWriter& plain,
                            PublicKey& key) {
    switch (info.algorithm) {
        case KeyAlgorithm::rsa: {
            ByteSpan e, n;
            if (!r.read_mpint(e)) return wire_error(r, "RSA exponent");
            if (!r.read_mpint(n)) return wire_error(r, "RSA modulus");
            plain.put_mpint(e);
            plain.put_mpint(n);
            key.bits = bit_length(n);
            if (key.bits < kRsaMinimumBits)
                key.refused_reason =
                    "RSA key of " + std::to_string(key.bits) +
                    " bits is below OpenSSH's minimum of 1024 bits (Invalid key length)";
            return "";
        }
        case KeyAlgorithm::dsa: {
            ByteSpan p, q, g, y;
            if (!r.read_mpint(p) || !r.read_mpint(q) || !r.read_mpint(g) || !r.read_mpint(y))
                return wire_error(r, "DSA parameters");
            for (auto part : {p, q, g, y}) plain.put_mpint(part);
            key.bits = bit_length(p);
            return "";
        }
        case KeyAlgorithm::ecdsa:
        case KeyAlgorithm::ecdsa_sk: {
            std::string curve;
            if (!r.read_cstring(curve)) return wire_error(r, "ECDSA curve name");
            if (curve != info.curve)
                return "ECDSA curve '" + curve + "' in key blob does not match key type " +
                       std::string(info.canonical) + " (" + std::string(info.curve) + ")";
            ByteSpan point;
            if (!r.read_string(point)) return wire_error(r, "ECDSA public point");
            if (point.empty() || point.size() > kMaxEcPointBytes)
                return "ECDSA public point has a bad length";
            if (point[0] != 0x04) return "ECDSA public point is not in uncompressed form";
            if (!valid_ec_point(curve, point)) return "ECDSA public point is not on curve " + curve;
            plain.put_string(curve);
            plain.put_string(point);
            key.bits = info.fixed_bits;
            break;
        }
        case KeyAlgorithm::ed25519:
        case KeyAlgorithm::ed25519_sk:
        case KeyAlgorithm::mldsa44_ed25519: {
            const std::size_t want = info.algorithm == KeyAlgorithm::mldsa44_ed25519
                                         ? kMldsa44Ed25519KeyBytes
                                         : kEd25519KeyBytes;
            ByteSpan pk;
            if (!r.read_string(pk)) return wire_error(r, "public key");
            if (pk.size() != want)
                return "public key in blob is " + std::to_string(pk.size()) + " bytes, " +
                       std::string(info.plain) + " needs " + std::to_string(want);
            plain.put_string(pk);
            key.bits = info.fixed_bits;
            break;
        }
    }
    if (info.algorithm == KeyAlgorithm::ecdsa_sk || info.algorithm == KeyAlgorithm::ed25519_sk) {
        if (!r.read_cstring(key.sk_application)) return wire_error(r, "security key application");
        plain.put_string(key.sk_application);
    }
    return "";
}

PublicKeyResult parse_blob(ByteSpan blob, bool allow_cert);

// The certificate body after the key fields (cert_parse). Returns an error message or "".
std::string read_certificate(SshReader& r, Certificate& cert) {
    ByteSpan principals, critical, extensions, signature_key, signature;
    if (!r.read_u64(cert.serial) || !r.read_u32(cert.cert_type) || !r.read_cstring(cert.key_id) ||
        !r.read_string(principals) || !r.read_u64(cert.valid_after) ||
        !r.read_u64(cert.valid_before) || !r.read_string(critical) || !r.read_string(extensions) ||
        !r.skip_string() || !r.read_string(signature_key) || !r.read_string(signature))
        return wire_error(r, "certificate");
    if (cert.cert_type != Certificate::kUser && cert.cert_type != Certificate::kHost)
        return "unknown certificate type " + std::to_string(cert.cert_type) +
               " (must be 1 user or 2 host)";
    SshReader pr(principals);
    while (pr.remaining() > 0) {
        if (cert.principals.size() >= kMaxPrincipals)
            return "certificate has more than 256 principals";
        std::string principal;
        if (!pr.read_cstring(principal)) return wire_error(pr, "certificate principals");
        cert.principals.push_back(std::move(principal));
    }
    for (auto [section, names] :
         {std::pair{critical, &cert.critical_options}, std::pair{extensions, &cert.extensions}}) {
        SshReader sr(section);
        while (sr.remaining() > 0) {
            ByteSpan name;
            if (!sr.read_string(name) || !sr.skip_string())
                return wire_error(sr, "certificate options");
            names->emplace_back(name.begin(), name.end());
        }
    }
    PublicKeyResult ca = parse_blob(signature_key, false);
    if (!ca) return "invalid CA key in certificate: " + ca.error;
    cert.signature_key_type = ca.key->type;
    cert.signature_key_fingerprint = ca.key->fingerprint;
    return "";
}

PublicKeyResult parse_blob(ByteSpan blob, bool allow_cert) {
    SshReader r(blob);
    std::string name;
    if (!r.read_cstring(name)) return blob_failure(wire_error(r, "key type"));
    const KeyTypeInfo* info = find_key_type(name);
    if (info == nullptr) return blob_failure("unknown key type '" + name + "' in key blob");
    if (info->certificate && !allow_cert)
        return blob_failure("a certificate cannot sign another certificate");

    PublicKey key;
    key.type = std::string(info->canonical);
    key.plain_type = std::string(info->plain);
    key.short_type = std::string(info->short_name);
    if (info->certificate && !r.skip_string()) return blob_failure(wire_error(r, "certificate nonce"));

    SshWriter plain;
    plain.put_string(info->plain);
    if (auto error = read_key_fields(r, *info, plain, key); !error.empty()) return blob_failure(error);
    if (info->certificate) {
        Certificate cert;
        if (auto error = read_certificate(r, cert); !error.empty()) return blob_failure(error);
        key.certificate = std::move(cert);
    }
    if (r.remaining() != 0)
        return blob_failure(std::to_string(r.remaining()) +
                       " bytes of trailing data after the key in the blob");

    key.blob.assign(blob.begin(), blob.end());
    key.base64 = util::base64_encode(key.blob);
    key.fingerprint = util::sha256_fingerprint(plain.bytes());
    return PublicKeyResult{std::move(key), ""};
}

}  // namespace

PublicKeyResult parse_public_key_blob(const util::Bytes& blob) { return parse_blob(blob, true); }

}  // namespace nbd::parse
