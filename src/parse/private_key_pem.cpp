// Traditional PEM and PKCS#8 private keys. Encryption is read from the armor (Proc-Type /
// DEK-Info, or the PKCS#8 algorithm identifiers); an unencrypted key is loaded with OpenSSL to
// derive its public half as an SSH wire blob (what sshkey_parse_private_pem_fileblob accepts).
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "nix_builder_doctor/parse/ssh_wire.hpp"
#include "nix_builder_doctor/util/strings.hpp"
#include "private_key_formats.hpp"

namespace nbd::parse::private_key_detail {
namespace {

// Refuses every passphrase request: we never decrypt, and OpenSSL must not prompt on a tty.
int refuse_passphrase(char*, int, int, void*) { return -1; }

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bio memory_bio(std::string_view block) {
    if (block.size() > static_cast<std::size_t>(INT32_MAX)) return nullptr;
    return Bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
}

// A public BIGNUM parameter as big-endian bytes; empty when absent.
util::Bytes bn_param(const EVP_PKEY* pkey, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return {};
    Bn bn(raw);
    util::Bytes out(static_cast<std::size_t>(BN_num_bytes(bn.get())));
    BN_bn2bin(bn.get(), out.data());
    return out;
}

std::string_view ssh_curve(std::string_view group) {
    if (group == "prime256v1" || group == "P-256") return "nistp256";
    if (group == "secp384r1" || group == "P-384") return "nistp384";
    if (group == "secp521r1" || group == "P-521") return "nistp521";
    return {};
}

// The SSH public blob of an OpenSSL key, or an error message.
std::string ssh_blob(EVP_PKEY* pkey, util::Bytes& blob) {
    SshWriter w;
    switch (EVP_PKEY_get_base_id(pkey)) {
        case EVP_PKEY_RSA: {
            const auto e = bn_param(pkey, OSSL_PKEY_PARAM_RSA_E),
                       n = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N);
            if (e.empty() || n.empty()) return "cannot read the RSA public key";
            w.put_string("ssh-rsa");
            w.put_mpint(e);
            w.put_mpint(n);
            break;
        }
        case EVP_PKEY_DSA: {
            const auto p = bn_param(pkey, OSSL_PKEY_PARAM_FFC_P),
                       q = bn_param(pkey, OSSL_PKEY_PARAM_FFC_Q),
                       g = bn_param(pkey, OSSL_PKEY_PARAM_FFC_G),
                       y = bn_param(pkey, OSSL_PKEY_PARAM_PUB_KEY);
            if (p.empty() || q.empty() || g.empty() || y.empty())
                return "cannot read the DSA public key";
            w.put_string("ssh-dss");
            for (const auto* part : {&p, &q, &g, &y}) w.put_mpint(*part);
            break;
        }
        case EVP_PKEY_EC: {
            char group[64] = {};
            std::size_t group_len = 0;
            if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                               sizeof group, &group_len) != 1)
                return "EC key with explicit curve parameters; OpenSSH supports only "
                       "nistp256/384/521";
            const auto curve = ssh_curve(group);
            if (curve.empty())
                return "EC key on curve " + std::string(group) +
                       "; OpenSSH supports only nistp256/384/521";
            EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                           OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED);
            unsigned char point[160];
            std::size_t point_len = 0;
            if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                                &point_len) != 1)
                return "cannot read the EC public key";
            w.put_string("ecdsa-sha2-" + std::string(curve));
            w.put_string(curve);
            w.put_string(ByteSpan(point, point_len));
            break;
        }
        case EVP_PKEY_ED25519: {
            unsigned char pk[32];
            std::size_t pk_len = sizeof pk;
            if (EVP_PKEY_get_raw_public_key(pkey, pk, &pk_len) != 1 || pk_len != sizeof pk)
                return "cannot read the Ed25519 public key";
            w.put_string("ssh-ed25519");
            w.put_string(ByteSpan(pk, pk_len));
            break;
        }
        default: {
            const char* name = EVP_PKEY_get0_type_name(pkey);
            return std::string("key type ") + (name != nullptr ? name : "unknown") +
                   " is not supported by OpenSSH";
        }
    }
    blob = w.take();
    return "";
}

// Proc-Type / DEK-Info headers right after the BEGIN line of a traditional PEM block.
void read_pem_headers(std::string_view block, PrivateKeyInfo& info) {
    auto lines = util::split_lines(block.substr(0, std::min<std::size_t>(block.size(), 4096)));
    for (std::size_t i = 1; i < lines.size() && i < 8; ++i) {
        const auto line = util::trim(lines[i]);
        if (line.find(':') == std::string_view::npos) break;
        if (util::starts_with(line, "Proc-Type:") &&
            line.find("ENCRYPTED") != std::string_view::npos)
            info.encrypted = true;
        if (util::starts_with(line, "DEK-Info:")) {
            const auto value = util::trim(line.substr(9));
            info.cipher = std::string(value.substr(0, value.find(',')).substr(0, 64));
        }
    }
    if (info.encrypted) {
        info.kdf = "md5";  // OpenSSL's legacy EVP_BytesToKey
    } else {
        info.cipher = "none";
        info.kdf = "none";
    }
}

// Cipher and KDF of an EncryptedPrivateKeyInfo, from its algorithm identifiers.
void read_pkcs8_algorithms(std::string_view block, PrivateKeyInfo& info) {
    Bio bio = memory_bio(block);
    if (!bio) return;
    X509_SIG* sig = PEM_read_bio_PKCS8(bio.get(), nullptr, refuse_passphrase, nullptr);
    if (sig == nullptr) return;
    const X509_ALGOR* alg = nullptr;
    X509_SIG_get0(sig, &alg, nullptr);
    const ASN1_OBJECT* oid = nullptr;
    int ptype = 0;
    const void* pval = nullptr;
    X509_ALGOR_get0(&oid, &ptype, &pval, alg);
    const int nid = OBJ_obj2nid(oid);
    if (nid == NID_pbes2 && ptype == V_ASN1_SEQUENCE) {
        auto* pbe2 = static_cast<PBE2PARAM*>(
            ASN1_item_unpack(static_cast<const ASN1_STRING*>(pval), ASN1_ITEM_rptr(PBE2PARAM)));
        if (pbe2 != nullptr) {
            const int cipher_nid = OBJ_obj2nid(pbe2->encryption->algorithm);
            const int kdf_nid = OBJ_obj2nid(pbe2->keyfunc->algorithm);
            info.cipher = cipher_nid != NID_undef ? OBJ_nid2sn(cipher_nid) : "unknown";
            info.kdf = kdf_nid != NID_undef ? OBJ_nid2sn(kdf_nid) : "unknown";
            if (kdf_nid == NID_id_pbkdf2 && pbe2->keyfunc->parameter != nullptr &&
                pbe2->keyfunc->parameter->type == V_ASN1_SEQUENCE) {
                auto* kdf = static_cast<PBKDF2PARAM*>(ASN1_item_unpack(
                    pbe2->keyfunc->parameter->value.sequence, ASN1_ITEM_rptr(PBKDF2PARAM)));
                std::int64_t iter = 0;
                if (kdf != nullptr && ASN1_INTEGER_get_int64(&iter, kdf->iter) == 1 && iter > 0 &&
                    iter <= INT32_MAX)
                    info.kdf_rounds = static_cast<unsigned>(iter);
                PBKDF2PARAM_free(kdf);
            }
            PBE2PARAM_free(pbe2);
        }
    } else if (nid != NID_undef) {
        info.cipher = OBJ_nid2sn(nid);  // PKCS#5 v1 / PKCS#12 PBE scheme
        info.kdf = "legacy-pbe";  // the scheme fixes its own key derivation
    }
    X509_SIG_free(sig);
}

std::string_view type_from_label(std::string_view label) {
    if (label == "RSA PRIVATE KEY") return "ssh-rsa";
    if (label == "DSA PRIVATE KEY") return "ssh-dss";
    if (label == "EC PRIVATE KEY") return "ecdsa";
    return {};
}

}  // namespace

void read_pem_key(std::string_view block, std::string_view label, int begin_line,
                  PrivateKeyInfo& info) {
    const std::string cannot_load(kCannotLoad);
    info.format = label == "PRIVATE KEY"             ? PrivateKeyFormat::pkcs8
                  : label == "ENCRYPTED PRIVATE KEY" ? PrivateKeyFormat::pkcs8_encrypted
                                                     : PrivateKeyFormat::pem;
    info.type = std::string(type_from_label(label));
    if (info.format == PrivateKeyFormat::pkcs8_encrypted) {
        info.encrypted = true;
        read_pkcs8_algorithms(block, info);
        ERR_clear_error();
        info.openssh_can_load = true;
        return;
    }
    if (info.format == PrivateKeyFormat::pem) {
        read_pem_headers(block, info);
    } else {
        info.cipher = "none";
        info.kdf = "none";
    }
    if (info.encrypted) {
        info.openssh_can_load = true;
        return;
    }

    Bio bio = memory_bio(block);
    Pkey pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr)
                  : nullptr);
    ERR_clear_error();
    if (!pkey) {
        add_diagnostic(info, begin_line,
                       "the " + std::string(label) + " block cannot be decoded; " + cannot_load);
        return;
    }
    util::Bytes blob;
    const std::string error = ssh_blob(pkey.get(), blob);
    ERR_clear_error();
    if (!error.empty()) {
        add_diagnostic(info, begin_line, error + "; " + cannot_load);
        return;
    }
    PublicKeyResult pub = parse_public_key_blob(blob);
    if (!pub) {
        add_diagnostic(info, begin_line,
                       "the derived public key is invalid: " + pub.error + "; " + cannot_load);
        return;
    }
    info.public_key = std::move(pub.key);
    info.type = info.public_key->type;
    info.bits = info.public_key->bits;
    info.openssh_can_load = info.public_key->refused_reason.empty();
    if (!info.public_key->refused_reason.empty())
        add_diagnostic(info, begin_line, info.public_key->refused_reason);
    if (info.type == "ssh-ed25519")
        add_diagnostic(
            info, begin_line,
            "an Ed25519 key in PKCS#8 PEM: OpenSSH before 9.6 cannot load it (invalid format); "
            "`ssh-keygen -p -f FILE` rewrites it in OpenSSH format");
}

}  // namespace nbd::parse::private_key_detail
