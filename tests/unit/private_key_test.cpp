// Tests of identity (private key) file parsing (src/parse/private_key*.cpp).
//
// EVERY KEY IN THIS FILE IS A THROWAWAY KEY GENERATED FOR THESE TESTS ONLY; none is used anywhere.
//
// Verified with OpenSSH 9.2p1 / OpenSSL 3.0 (Debian 12):
//   ssh-keygen -t ed25519 -N '' -C test-ed25519 -f ed25519            (kEd25519)
//   ssh-keygen -t ed25519 -N secret -f ed25519_enc                     (kEd25519Encrypted)
//   ssh-keygen -t ed25519 -N secret -Z chacha20-poly1305@openssh.com   (kEd25519Chacha)
//   ssh-keygen -t rsa -b 1024 -m PEM -N '' -f rsa1024_pem              (kRsaPem)
//   ssh-keygen -t ecdsa -m PEM -N '' -f ecdsa_pem                      (kEcdsaPem)
//   ssh-keygen -t ecdsa -m PEM -N secret -f ecdsa256_pem_enc           (kEcdsaPemEncrypted)
//   ssh-keygen -t ecdsa -m PKCS8 -N '' -f ecdsa_pkcs8                  (kEcdsaPkcs8)
//   ssh-keygen -t ecdsa -m PKCS8 -N secret -f ecdsa_pkcs8_enc          (kEcdsaPkcs8Encrypted)
//   openssl genpkey -algorithm ed25519 [-aes-256-cbc -pass pass:secret]
//   (kOpensslEd25519[Encrypted])
// For each unencrypted key and each openssh-key-v1 key (encrypted too) the derived public half's
// fingerprint equals `ssh-keygen -l -f KEY.pub` (the fingerprints below), and its
// "type base64" equals the first two fields of the .pub. The header of an openssh-key-v1 file
// decodes to none/none for -N '' and aes256-ctr/bcrypt with 16 rounds for -N secret (the
// ssh-keygen default). `ssh-keygen -y -P '' -f ed25519_enc` says "incorrect passphrase supplied
// to decrypt private key". For the OpenSSL Ed25519 PKCS#8 key, 9.2's `ssh-keygen -y` says
// "invalid format" (reading those arrived in 9.6); its fingerprint was computed from
// `openssl pkey -pubout -outform DER | tail -c 32` as an ssh-ed25519 blob and `ssh-keygen -l`.
// `ssh-keygen -y` on modified copies of kEd25519 (chmod 600) printed:
//   CRLF line endings; text before BEGIN; no newline after END; cut at 200 bytes
//                                      -> Load key "...": error in libcrypto
//   base64 lines indented / one long line; junk after the END line -> works
//   check bytes differ  -> "incorrect passphrase supplied to decrypt private key"
//   N=2, private key != stored public key, bad padding -> "error in libcrypto"
//   cipher name "nope"  -> "key encrypted using unsupported cipher"
//   the .pub given as the key -> "error in libcrypto"
//   a 768-bit RSA PEM key -> "Invalid key length"
#include "nix_builder_doctor/parse/private_key.hpp"

#include <gtest/gtest.h>
#include <openssl/rand.h>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {
namespace {

// Throwaway test key (ssh-keygen -t ed25519 -N '' -C test-ed25519).
const std::string kEd25519 = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDVAuHyaO8xMzJhpyH/6GolCktgKOPhtrTAISFnp1TWtwAAAJBSG993Uhvf
dwAAAAtzc2gtZWQyNTUxOQAAACDVAuHyaO8xMzJhpyH/6GolCktgKOPhtrTAISFnp1TWtw
AAAEC9b9rFTeT1ras7avn0AXOil8/g0KqWHsq+P2H2LeSrI9UC4fJo7zEzMmGnIf/oaiUK
S2Ao4+G2tMAhIWenVNa3AAAADHRlc3QtZWQyNTUxOQE=
-----END OPENSSH PRIVATE KEY-----
)";
const std::string kEd25519Pub =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWenVNa3";
const std::string kEd25519Fingerprint = "SHA256:ZNPAIVghs6+iJ4tMGplVTSANVBj90SnqqsT7pt4/PZ8";

// Throwaway test key, passphrase "secret".
const std::string kEd25519Encrypted = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABDikGlqzF
FGHpvjqwjpqSb6AAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIK2I4CW2T5kgwIju
QPMU+2turhTP0vZy1gyr0QbqYbn1AAAAoGOY+M5NMhCsDKqUZ6EEmbnS7FgvVubPRx5wna
OA+TCLwH2NSf5VrToQKfAc0geOTCeyRhm1p4R56Fh/Z8eEXvJ4tbXQyPX9iiasECLs4aor
MtCGxgHpjUzw4niAslq3pPIz5/nzFdGf42DpfHI11UvUX/oRX6UdAVM0kKojnNbmqMVx+w
DqYnJDzpXjVbW6Av2lPVsCisEckl7KOevLSMQ=
-----END OPENSSH PRIVATE KEY-----
)";

// Throwaway test key, passphrase "secret", chacha20-poly1305 (has a 16-byte tag after the data).
const std::string kEd25519Chacha = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAAHWNoYWNoYTIwLXBvbHkxMzA1QG9wZW5zc2guY29tAAAABm
JjcnlwdAAAABgAAAAQ1+OAnDWNsS0FYMUjTTp6igAAABAAAAABAAAAMwAAAAtzc2gtZWQy
NTUxOQAAACCGkqGEjy+BWIfdNPEFOt0+icR9MrufqWdOg4l4Ybu+JgAAAJA1d46EuPCHpl
04B6uhp3Cf/9BrxKsBr05J1le0f4Zwc4qxP672OIhc+0PEGAAX+kLzCnGSPtzVrTKYrryB
m5qqSgXYoKFp76kWxFd4QlINe9LUUzSw20NHv7+tSQVGkwICv2ef7/nAMfYiTGJXbWGG6J
SU4h4SdFZb/LJDZaeUiT/jIeC1E6e4gShGj9KgOo7Vhc9H5mWgrtsu7Xakwxbb
-----END OPENSSH PRIVATE KEY-----
)";

// Throwaway test key (ssh-keygen -t rsa -b 1024 -m PEM -N '').
const std::string kRsaPem = R"(-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQDAc9XzkU7eTG6humR7KWQ0i/i19RQgblCAcGlVFK88NfskUiOF
I6y1maMA2o8Mom6R5Us7u4Hg8jb7K7j9tQlgxrNix/nwdukiVTow5Cd+8a7zU+3N
RGam8F6DytI36L29G4dSoaOX8CHSIZZ0o/Sl5FppTrtLJpaC1XjlSCEvwwIDAQAB
AoGALCyqiHzrEIWUw1SoacjHcnRKg2Gc3BDWM5UZ6GiWDIkLe3vLIW1d4FVCoBiK
y0ihfqWWDkDs//g4/JA9pyad3w3b3pMn0wMoO98bp6cD8PxnMCI5LR+odnS2Ix51
FsLrDsGqk/Gli30wjOrQ5maC4rUEtW1HJ5zn5+7pV4Ef14kCQQDoUumRZT55y7SE
VVcwRIUa4YuZtm24CKLhGChuQMfP8CyahqCTJnAR7Oq94vRLX5Sn3Q0a+B5CK2mA
tQL2FrklAkEA1BC4ZnICjTw2vYTFghCvmejP1feZ8IHr8T7FEQoKNfDQZMxjomZm
iEhe2UfkwvTKCPyLUy89owbdyeUCxAD0xwJBAOaOEbj2ro+UNqr1PjdqaGWK201K
G4x9FZcosEbqBuE2yiz32bbueF1xrmuPJTz/t7j2yCCxhuXHy0WtXSj21/kCQBfl
fnIE3Oa/Z0e542vBp5gHVQw+Z3ljmovHz/sYj4f+h+0j3wJY2ar3xMBlSpDxdqbG
loicJSzuxCVRChu+I9cCQHIiNgI1htwNpcWiKUbRqc9Y3f3xjLz03PuHJdzSvVTY
B070iyb0e7P+XJYEWWsN0LOjMYMqMBN4ChPVUYsJzeA=
-----END RSA PRIVATE KEY-----
)";

// Throwaway test key (ssh-keygen -t ecdsa -m PEM -N '').
const std::string kEcdsaPem = R"(-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIO7uj/0X7h5hxnsswOTcbT6gIg+IxrG2t3Tg1c0grBB5oAoGCCqGSM49
AwEHoUQDQgAE6/h4Bx6JvNmw1Owg9gk66NVtYwm3TYkk7XGU1N8ZumQHSWmZh9RJ
3QUpNL0+IfisJ/9kk7WkFKJ3z50uYfxxKw==
-----END EC PRIVATE KEY-----
)";

// Throwaway test key, passphrase "secret".
const std::string kEcdsaPemEncrypted = R"(-----BEGIN EC PRIVATE KEY-----
Proc-Type: 4,ENCRYPTED
DEK-Info: AES-128-CBC,854751BD044C36AAD4089091041CC5FA

gyyxG9zIyHnvCRngZMI/Ciqz14gd+TcY6QqHoEhq27TEhI1DJvz0JVEov+6wJkrF
922IbbCTvsR+RsshLwDMWmLtUHo+4bhxffvN1E2hyX1WvBNK+Hpr4s/DeSxFU+fE
/8ZS5mXXENfZYOqyNPxRnP4Ow1UEyXTFxpUcup5WhPQ=
-----END EC PRIVATE KEY-----
)";

// Throwaway test key (ssh-keygen -t ecdsa -m PKCS8 -N '').
const std::string kEcdsaPkcs8 = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgGnD0M1RjV/e4tjx0
tGOI84rD/bqWF2WyYnm8h8mqDJmhRANCAAQ4cUIwhoUuaSB7B2hblM2JAqiOGBNw
g8ySKbaDLdje0Cz7MZN+tIO38heAN4e914P49cWbqFlO59/7Y97UDe2G
-----END PRIVATE KEY-----
)";

// Throwaway test key, passphrase "secret".
const std::string kEcdsaPkcs8Encrypted = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAhunKN1P1qh+AICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEECaMqcMGbqRlYpfDsQ4HkagEgZDl
NBTL/IUU4nYrvci4lkGGv2d/tZgwJHENGzxbeFXiCUwEn9D/zgaE+1878jF3mfpB
AcMZ/NELtzfgUXpirqNym+9l//+Aha3aFq/p3PjYdapinoa42jGZXFQcoHvGMJkL
johMfAtl9azotpl4AWSKlwnVUQguE7VcDWevL2C5nnxCl/wJIhG809x8C/4KxM0=
-----END ENCRYPTED PRIVATE KEY-----
)";

// Throwaway test keys (openssl genpkey -algorithm ed25519 [-aes-256-cbc -pass pass:secret]).
const std::string kOpensslEd25519 = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIEBFbl6Y3vAKY5ckG3FyxBdfFxB7XprgBr8IF2PMyqaX
-----END PRIVATE KEY-----
)";
const std::string kOpensslEd25519Encrypted = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjWpTrLYuJLhQICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEEzfNQj2H64yvUhXY/tH8EoEQMTu
rZf6r3D9wovlZgKR1WndQ6Gdj7oXRI/9IxKvwsW/vfghSYymUuzyzVRwezESfXN9
V5a8FWfGopWiWuBouak=
-----END ENCRYPTED PRIVATE KEY-----
)";

std::vector<std::string> messages(const PrivateKeyInfo& info) {
    std::vector<std::string> out;
    for (const auto& d : info.diagnostics) out.push_back(d.message);
    return out;
}

// kEd25519's decoded body, for crafting corrupt variants.
util::Bytes ed25519_body() {
    std::string b64;
    for (auto line : util::split_lines(kEd25519))
        if (!util::starts_with(line, "-----")) b64 += line;
    return *util::base64_decode(b64);
}

std::string armor(const util::Bytes& body) {
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + util::base64_encode(body) +
           "\n-----END OPENSSH PRIVATE KEY-----\n";
}

// Offsets in kEd25519's body: magic(15) "none"(8) "none"(8) ""(4) N(4) pubkey(4+51) section(4+...).
constexpr std::size_t kKeyCountOffset = 15 + 8 + 8 + 4;
constexpr std::size_t kSectionOffset = kKeyCountOffset + 4 + 4 + 51 + 4;

TEST(PrivateKey, OpensshUnencrypted) {
    const auto info = parse_private_key(kEd25519, "/root/.ssh/id_ed25519");
    EXPECT_EQ(info.format, PrivateKeyFormat::openssh);
    EXPECT_EQ(to_string(info.format), "openssh-key-v1");
    EXPECT_EQ(info.type, "ssh-ed25519");
    EXPECT_EQ(info.bits, 256u);
    EXPECT_FALSE(info.encrypted);
    EXPECT_EQ(info.cipher, "none");
    EXPECT_EQ(info.kdf, "none");
    EXPECT_EQ(info.kdf_rounds, 0u);
    EXPECT_EQ(info.comment, "test-ed25519");
    ASSERT_TRUE(info.public_key);
    EXPECT_EQ(public_key_line(*info.public_key), kEd25519Pub);
    EXPECT_EQ(info.public_key->fingerprint, kEd25519Fingerprint);
    EXPECT_TRUE(info.openssh_can_load);
    EXPECT_TRUE(info.diagnostics.empty()) << messages(info)[0];
}

TEST(PrivateKey, OpensshEncryptedGivesThePublicHalfWithoutPassphrase) {
    const auto info = parse_private_key(kEd25519Encrypted, "id");
    EXPECT_TRUE(info.encrypted);
    EXPECT_EQ(info.cipher, "aes256-ctr");
    EXPECT_EQ(info.kdf, "bcrypt");
    EXPECT_EQ(info.kdf_rounds, 16u);
    EXPECT_EQ(info.comment, "");  // only in the encrypted section
    ASSERT_TRUE(info.public_key);
    EXPECT_EQ(info.public_key->fingerprint, "SHA256:uJ5cgSznzrCoxcZLdEC7H2/dNnWnlEf/4GYkkOchSc0");
    EXPECT_TRUE(info.openssh_can_load);
    EXPECT_TRUE(info.diagnostics.empty());

    const auto chacha = parse_private_key(kEd25519Chacha, "id");
    EXPECT_EQ(chacha.cipher, "chacha20-poly1305@openssh.com");
    EXPECT_TRUE(chacha.encrypted);
    EXPECT_EQ(chacha.public_key->fingerprint, "SHA256:AU02zexgWKJFVQLmkPWyTBBKidPLLl5EnUJv+1oYKPE");
    EXPECT_TRUE(chacha.diagnostics.empty());
}

TEST(PrivateKey, PemRsaDerivesThePublicHalf) {
    const auto info = parse_private_key(kRsaPem, "id_rsa");
    EXPECT_EQ(info.format, PrivateKeyFormat::pem);
    EXPECT_EQ(info.type, "ssh-rsa");
    EXPECT_EQ(info.bits, 1024u);
    EXPECT_FALSE(info.encrypted);
    ASSERT_TRUE(info.public_key);
    EXPECT_EQ(info.public_key->fingerprint, "SHA256:3k0z2hqyeC6R3BGy7OSS5vMpiwkDAxMr7TLlNXZLk7I");
    EXPECT_TRUE(info.openssh_can_load);
}

TEST(PrivateKey, PemAndPkcs8Ecdsa) {
    const auto pem = parse_private_key(kEcdsaPem, "id_ecdsa");
    EXPECT_EQ(pem.type, "ecdsa-sha2-nistp256");
    EXPECT_EQ(pem.bits, 256u);
    EXPECT_EQ(pem.public_key->fingerprint, "SHA256:V/PsVSALgCtTM0j+kPo5hjACnE0r/Ef64HowPNQ4h8g");
    const auto pkcs8 = parse_private_key(kEcdsaPkcs8, "id_ecdsa");
    EXPECT_EQ(pkcs8.format, PrivateKeyFormat::pkcs8);
    EXPECT_EQ(pkcs8.type, "ecdsa-sha2-nistp256");
    EXPECT_EQ(pkcs8.public_key->fingerprint, "SHA256:ResQvOtP9KJnOGFsVAiiAxG77DijgkwNVM6tW0Su0/Y");
    EXPECT_EQ(pkcs8.cipher, "none");
    EXPECT_TRUE(pkcs8.diagnostics.empty());
}

TEST(PrivateKey, EncryptedPemAndPkcs8) {
    const auto pem = parse_private_key(kEcdsaPemEncrypted, "id");
    EXPECT_EQ(pem.format, PrivateKeyFormat::pem);
    EXPECT_TRUE(pem.encrypted);
    EXPECT_EQ(pem.type, "ecdsa");  // the curve is inside the encrypted data
    EXPECT_EQ(pem.cipher, "AES-128-CBC");
    EXPECT_EQ(pem.kdf, "md5");
    EXPECT_FALSE(pem.public_key);
    EXPECT_TRUE(pem.openssh_can_load);

    const auto pkcs8 = parse_private_key(kEcdsaPkcs8Encrypted, "id");
    EXPECT_EQ(pkcs8.format, PrivateKeyFormat::pkcs8_encrypted);
    EXPECT_TRUE(pkcs8.encrypted);
    EXPECT_EQ(pkcs8.type, "");
    EXPECT_EQ(pkcs8.cipher, "AES-128-CBC");
    EXPECT_EQ(pkcs8.kdf, "PBKDF2");
    EXPECT_EQ(pkcs8.kdf_rounds, 2048u);
    EXPECT_FALSE(pkcs8.public_key);

    const auto ossl = parse_private_key(kOpensslEd25519Encrypted, "id");
    EXPECT_EQ(ossl.cipher, "AES-256-CBC");
}

TEST(PrivateKey, OpensslEd25519Pkcs8) {
    const auto info = parse_private_key(kOpensslEd25519, "id");
    EXPECT_EQ(info.format, PrivateKeyFormat::pkcs8);
    EXPECT_EQ(info.type, "ssh-ed25519");
    EXPECT_EQ(info.public_key->fingerprint, "SHA256:oA36+qsYzkfHAlwaCgGL99lK5CddjAiir04gJTYUgNM");
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{
                  "an Ed25519 key in PKCS#8 PEM: OpenSSH before 9.6 cannot load it (invalid "
                  "format); `ssh-keygen -p -f FILE` rewrites it in OpenSSH format"}));
}

TEST(PrivateKey, ArmorMistakesOpensshRejects) {
    std::string crlf;
    for (char c : kEd25519) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    auto info = parse_private_key(crlf, "k");
    EXPECT_FALSE(info.openssh_can_load);
    EXPECT_EQ(info.public_key->fingerprint, kEd25519Fingerprint);  // still readable for us
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{
                  "CRLF (Windows) line endings; OpenSSH cannot load it (Load key: "
                  "invalid format / error in libcrypto); convert with `dos2unix`"}));

    info = parse_private_key("\n" + kEd25519, "k");
    EXPECT_FALSE(info.openssh_can_load);
    EXPECT_EQ(info.diagnostics[0].line, 2);
    EXPECT_EQ(info.diagnostics[0].message,
              "text before the BEGIN line; OpenSSH cannot load it (Load key: invalid format / "
              "error in libcrypto)");

    info = parse_private_key(kEd25519.substr(0, kEd25519.size() - 1), "k");
    EXPECT_FALSE(info.openssh_can_load);
    EXPECT_EQ(
        messages(info),
        (std::vector<std::string>{
            "no newline after the END line (the file was probably pasted or stored without its "
            "final newline); OpenSSH cannot load it (Load key: invalid format / error in "
            "libcrypto)"}));

    info = parse_private_key(kEd25519.substr(0, 200), "k");
    EXPECT_FALSE(info.openssh_can_load);
    EXPECT_EQ(info.public_key->fingerprint, kEd25519Fingerprint);  // the public blob comes first
    EXPECT_EQ(info.diagnostics.size(), 2u);
}

TEST(PrivateKey, ArmorVariantsOpensshAccepts) {
    std::string indented;
    for (auto line : util::split_lines(kEd25519))
        indented += (util::starts_with(line, "-----") ? "" : "  ") + std::string(line) + "\n";
    EXPECT_TRUE(parse_private_key(indented, "k").openssh_can_load);
    EXPECT_TRUE(parse_private_key(armor(ed25519_body()), "k").openssh_can_load);  // one long line
    const auto trailing = parse_private_key(kEd25519 + "junk after the key\n", "k");
    EXPECT_TRUE(trailing.openssh_can_load);
    EXPECT_TRUE(trailing.diagnostics.empty());
}

TEST(PrivateKey, CorruptPrivateSections) {
    auto body = ed25519_body();
    body[kSectionOffset] ^= 0xff;  // first check int
    auto info = parse_private_key(armor(body), "k");
    EXPECT_FALSE(info.openssh_can_load);
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{
                  "check bytes of the unencrypted private section differ (corrupt key); OpenSSH "
                  "cannot load it (incorrect passphrase supplied to decrypt private key)"}));

    body = ed25519_body();
    body[kKeyCountOffset + 3] = 2;
    info = parse_private_key(armor(body), "k");
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{
                  "the file holds 2 keys; OpenSSH supports exactly 1 (invalid format)"}));
    EXPECT_TRUE(info.public_key);

    body = ed25519_body();
    body[kSectionOffset - 5] ^= 1;  // last byte of the stored public key
    info = parse_private_key(armor(body), "k");
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{
                  "the private key does not match the public key stored beside it in the file; "
                  "OpenSSH cannot load it (Load key: invalid format / error in libcrypto)"}));

    body = ed25519_body();
    body.back() ^= 0x10;
    info = parse_private_key(armor(body), "k");
    EXPECT_EQ(messages(info), (std::vector<std::string>{
                                  "bad padding after the private section; OpenSSH cannot load "
                                  "it (Load key: invalid format / error in libcrypto)"}));

    body = ed25519_body();
    std::copy_n("nope", 4, body.begin() + 15 + 4);
    info = parse_private_key(armor(body), "k");
    EXPECT_TRUE(info.encrypted);
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{
                  "unknown cipher 'nope'; OpenSSH cannot load it (key encrypted using unsupported "
                  "cipher)"}));

    body = ed25519_body();
    body[0] = 'x';
    info = parse_private_key(armor(body), "k");
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{"the body does not start with 'openssh-key-v1'; OpenSSH "
                                        "cannot load it (Load key: invalid format / error in "
                                        "libcrypto)"}));
}

TEST(PrivateKey, PublicKeyGivenAsIdentity) {
    const auto info =
        parse_private_key(kEd25519Pub + " test-ed25519\n", "/root/.ssh/id_ed25519.pub");
    EXPECT_EQ(info.format, PrivateKeyFormat::public_key);
    EXPECT_EQ(info.type, "ssh-ed25519");
    EXPECT_EQ(info.public_key->fingerprint, kEd25519Fingerprint);
    EXPECT_FALSE(info.openssh_can_load);
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{
                  "this is a public key, not a private key: ssh can only use it through an agent "
                  "that holds the private key (was the .pub file given as the identity?)"}));
}

TEST(PrivateKey, Rfc4716PublicKey) {
    const std::string text =
        "---- BEGIN SSH2 PUBLIC KEY ----\n"
        "Comment: \"256-bit ED25519, converted by root@vm from OpenSSH\"\n"
        "AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWenVNa3\n"
        "---- END SSH2 PUBLIC KEY ----\n";
    const auto info = parse_private_key(text, "k");
    EXPECT_EQ(info.format, PrivateKeyFormat::rfc4716_public);
    EXPECT_EQ(info.public_key->fingerprint, kEd25519Fingerprint);
    EXPECT_EQ(info.comment, "256-bit ED25519, converted by root@vm from OpenSSH");
    EXPECT_FALSE(info.openssh_can_load);
}

TEST(PrivateKey, PuttyKeys) {
    // Hand-written .ppk layout around the throwaway ed25519 public key (private lines are dummies).
    const std::string ppk =
        "PuTTY-User-Key-File-3: ssh-ed25519\n"
        "Encryption: aes256-cbc\n"
        "Comment: eddsa-key-20240101\n"
        "Public-Lines: 2\n"
        "AAAAC3NzaC1lZDI1NTE5AAAAINUC4fJo7zEzMmGnIf/oaiUKS2Ao4+G2tMAhIWen\n"
        "VNa3\n"
        "Key-Derivation: Argon2id\n"
        "Argon2-Memory: 8192\n"
        "Argon2-Passes: 13\n"
        "Argon2-Parallelism: 1\n"
        "Argon2-Salt: 00112233445566778899aabbccddeeff\n"
        "Private-Lines: 1\n"
        "AAAA\n"
        "Private-MAC: 00\n";
    const auto info = parse_private_key(ppk, "key.ppk");
    EXPECT_EQ(info.format, PrivateKeyFormat::putty);
    EXPECT_TRUE(info.encrypted);
    EXPECT_EQ(info.cipher, "aes256-cbc");
    EXPECT_EQ(info.kdf, "Argon2id");
    EXPECT_EQ(info.kdf_rounds, 13u);
    EXPECT_EQ(info.comment, "eddsa-key-20240101");
    EXPECT_EQ(info.public_key->fingerprint, kEd25519Fingerprint);
    EXPECT_FALSE(info.openssh_can_load);
    EXPECT_EQ(messages(info).back(),
              "PuTTY private key (.ppk): OpenSSH cannot load it (Load key: invalid format / error "
              "in libcrypto); "
              "convert it with `puttygen FILE -O private-openssh -o OUT`");

    const auto v2 = parse_private_key(
        "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPublic-Lines: 9\n", "k");
    EXPECT_FALSE(v2.encrypted);
    EXPECT_EQ(v2.type, "ssh-rsa");
    EXPECT_EQ(messages(v2).front(), "bad Public-Lines count");
}

TEST(PrivateKey, SmallRsaIsRefused) {
    // A 768-bit RSA key (openssl genrsa 768; throwaway).
    const std::string key = R"(-----BEGIN PRIVATE KEY-----
MIIB5AIBADANBgkqhkiG9w0BAQEFAASCAc4wggHKAgEAAmEAqryUVoLJOmiK0G1y
kAQzi+RAH9q1ASWwg1FSYJarZ0eV4lZ3nx9B2YkacEWzPV1J9l1CTGgsTtc4hxjN
K7C6j3nQLkBo2G2eq/TdfIJriu40KKBvEs31Y2n/AtH5e5idAgMBAAECYQCUIaEh
nb8w6drmEs8+nCaMzK/F817va9/FTx0FqDN2G+mywgpvCBN9xTInDpIAP5qtGsN9
c6xPC3bktdl9b5hnI873tYMYYN01VAqKcatjUEy5iSj7jqVSEVaxgvzr4wECMQDY
7qrfEDAhn6aImo/5Q0t9OLxb2mPLGzoJrfnBvyikrNNsc8/jUVDPqYZMzBqLMW0C
MQDJfCG358MchgugiTuUUf9m/H02q9i5F9/Oe9ZIlXSwtzGK9v9MDRKAc7srgcyA
tfECMAxn+dWv81C49KkzTbCPrK2IpR0LrFFdSUBsdrAh4o0oZR76sJTrfZeitk+G
DK6RMQIwab/B/sEgka71GUwNvjoPP6FTosctF3ClYb1zaWMv/LQZx6L9uY++3zZe
zWXxzLgxAjBgPa7KxbBvTmBPo02jhswL6RSr5meTA4G8GZhkEIpE67Sebk60+xsG
bbXRkkAC9wA=
-----END PRIVATE KEY-----
)";
    const auto info = parse_private_key(key, "k");
    if (info.public_key) {  // only if this build of OpenSSL still loads 768-bit keys
        EXPECT_EQ(info.bits, 768u);
        EXPECT_FALSE(info.openssh_can_load);
        EXPECT_EQ(
            messages(info).back(),
            "RSA key of 768 bits is below OpenSSH's minimum of 1024 bits (Invalid key length)");
    }
}

TEST(PrivateKey, GarbageEmptyAndOtherPem) {
    auto info = parse_private_key("", "k");
    EXPECT_EQ(info.format, PrivateKeyFormat::empty);
    EXPECT_EQ(messages(info), (std::vector<std::string>{"the key file is empty"}));
    info = parse_private_key("hello world\n", "k");
    EXPECT_EQ(info.format, PrivateKeyFormat::unknown);
    EXPECT_EQ(messages(info),
              (std::vector<std::string>{"not a private key file: OpenSSH cannot load it (Load key: "
                                        "invalid format / error in libcrypto)"}));
    info = parse_private_key("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "k");
    EXPECT_EQ(info.diagnostics[0].line, 1);
    EXPECT_EQ(info.diagnostics[0].message,
              "PEM block 'CERTIFICATE' is not a private key; OpenSSH cannot load it (Load key: "
              "invalid format / error "
              "in libcrypto)");
    info = parse_private_key(
        "-----BEGIN RSA PRIVATE KEY-----\nnot base64 !!\n-----END RSA PRIVATE KEY-----\n", "k");
    EXPECT_EQ(info.format, PrivateKeyFormat::pem);
    EXPECT_FALSE(info.openssh_can_load);
    EXPECT_EQ(info.diagnostics[0].message,
              "the RSA PRIVATE KEY block cannot be decoded; OpenSSH cannot load it (Load key: "
              "invalid format / error "
              "in libcrypto)");
    info = parse_private_key("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nxx\n", "k");
    EXPECT_EQ(info.format, PrivateKeyFormat::sshcom);
}

TEST(PrivateKey, RandomBytesInsideTheArmor) {
    for (int i = 0; i < 200; ++i) {
        util::Bytes body(static_cast<std::size_t>(i * 7 % 300));
        RAND_bytes(body.data(), static_cast<int>(body.size()));
        auto good = ed25519_body();
        const std::size_t prefix = std::min<std::size_t>({body.size(), good.size(), 15u + i % 60u});
        if (i % 2) std::copy_n(good.begin(), prefix, body.begin());
        (void)parse_private_key(armor(body), "k");
    }
}

TEST(PrivateKey, NeverHoldsPrivateMaterial) {
    // The unencrypted ed25519 secret half starts with these bytes (from the key body); no field
    // of the result may contain them.
    const auto body = ed25519_body();
    const std::string secret(body.begin() + kSectionOffset + 8 + 4 + 11 + 4 + 32 + 4,
                             body.begin() + kSectionOffset + 8 + 4 + 11 + 4 + 32 + 4 + 16);
    const auto info = parse_private_key(kEd25519, "k");
    for (const auto* s :
         {&info.comment, &info.type, &info.cipher, &info.kdf, &info.public_key->comment})
        EXPECT_EQ(s->find(secret), std::string::npos);
    EXPECT_EQ(util::to_string(info.public_key->blob).find(secret), std::string::npos);
}

}  // namespace
}  // namespace nbd::parse
