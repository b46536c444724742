// openssh-key-v1 private keys (PROTOCOL.key; sshkey.c private2_uudecode, private2_decrypt,
// sshkey_parse_private2_pubkey): the public half and the cipher without the passphrase.
#include <openssl/crypto.h>

#include "nix_builder_doctor/parse/ssh_wire.hpp"
#include "nix_builder_doctor/util/strings.hpp"
#include "private_key_formats.hpp"

namespace nbd::parse::private_key_detail {
namespace {

constexpr std::string_view kMagic{"openssh-key-v1\0", 15};
constexpr std::string_view kBeginLine = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kEndLine = "-----END OPENSSH PRIVATE KEY-----";

struct CipherInfo {
    std::string_view name;
    std::size_t block_size;
    std::size_t auth_len;
};

// cipher.c ciphers[] (the ones a key file may name).
constexpr CipherInfo kCiphers[] = {
    {"none", 8, 0},
    {"3des-cbc", 8, 0},
    {"aes128-cbc", 16, 0},
    {"aes192-cbc", 16, 0},
    {"aes256-cbc", 16, 0},
    {"aes128-ctr", 16, 0},
    {"aes192-ctr", 16, 0},
    {"aes256-ctr", 16, 0},
    {"aes128-gcm@openssh.com", 16, 16},
    {"aes256-gcm@openssh.com", 16, 16},
    {"chacha20-poly1305@openssh.com", 8, 16},
};

const CipherInfo* find_cipher(std::string_view name) {
    for (const auto& c : kCiphers)
        if (c.name == name) return &c;
    return nullptr;
}

// Wipes a buffer that held decoded key material when it goes out of scope.
struct Wipe {
    util::Bytes& bytes;
    ~Wipe() {
        if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
    }
};

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

// Reads the public key fields of one private-section key and returns its public blob, skipping
// (never copying) the private fields. Empty on a format error.
util::Bytes read_private_entry(SshReader& r, std::string& type) {
    if (!r.read_cstring(type)) return {};
    const KeyTypeInfo* info = find_key_type(type);
    if (info == nullptr || info->certificate) return {};
    SshWriter pub;
    pub.put_string(info->plain);
    ByteSpan a, b, c, d;
    switch (info->algorithm) {
        case KeyAlgorithm::rsa:  // n e d iqmp p q
            if (!r.read_mpint(a) || !r.read_mpint(b)) return {};
            pub.put_mpint(b);
            pub.put_mpint(a);
            for (int i = 0; i < 4; ++i)
                if (!r.read_mpint(c)) return {};
            break;
        case KeyAlgorithm::dsa:  // p q g y x
            if (!r.read_mpint(a) || !r.read_mpint(b) || !r.read_mpint(c) || !r.read_mpint(d))
                return {};
            for (auto part : {a, b, c, d}) pub.put_mpint(part);
            if (!r.read_mpint(a)) return {};
            break;
        case KeyAlgorithm::ecdsa:     // curve Q d
        case KeyAlgorithm::ecdsa_sk:  // curve Q application flags handle reserved
            if (!r.read_string(a) || !r.read_string(b)) return {};
            pub.put_string(a);
            pub.put_string(b);
            if (info->algorithm == KeyAlgorithm::ecdsa && !r.read_mpint(c)) return {};
            break;
        case KeyAlgorithm::ed25519:          // pk sk
        case KeyAlgorithm::mldsa44_ed25519:  // pk sk
        case KeyAlgorithm::ed25519_sk:       // pk application flags handle reserved
            if (!r.read_string(a)) return {};
            pub.put_string(a);
            if (info->algorithm != KeyAlgorithm::ed25519_sk && !r.read_string(b)) return {};
            break;
    }
    if (info->algorithm == KeyAlgorithm::ecdsa_sk || info->algorithm == KeyAlgorithm::ed25519_sk) {
        std::uint8_t flags = 0;
        if (!r.read_string(a) || !r.read_u8(flags) || !r.skip_string() || !r.skip_string())
            return {};
        pub.put_string(a);
    }
    if (r.failed()) return {};
    return pub.take();
}

// The clear-text private section of an unencrypted key: check bytes, the key (whose public part
// must equal the envelope's), the comment and the padding (sshkey_parse_private2).
void read_clear_section(ByteSpan section, PrivateKeyInfo& info, int line) {
    SshReader r(section);
    std::uint32_t check1 = 0, check2 = 0;
    if (!r.read_u32(check1) || !r.read_u32(check2)) {
        add_diagnostic(info, line, "private section is truncated; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
        return;
    }
    if (check1 != check2) {
        add_diagnostic(
            info, line,
            "check bytes of the unencrypted private section differ (corrupt key); OpenSSH "
            "cannot load it (incorrect passphrase supplied to decrypt private key)");
        info.openssh_can_load = false;
        return;
    }
    std::string type;
    util::Bytes pub = read_private_entry(r, type);
    std::string comment;
    if (pub.empty() || !r.read_cstring(comment)) {
        add_diagnostic(info, line, "private section is malformed; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
        return;
    }
    info.comment = comment.substr(0, 4096);
    if (info.public_key) {
        const auto inner = parse_public_key_blob(pub);
        if (!inner || !same_public_key(*inner.key, *info.public_key)) {
            add_diagnostic(info, line,
                           "the private key does not match the public key stored beside it in the "
                           "file; " +
                               std::string(kCannotLoad));
            info.openssh_can_load = false;
        }
    }
    for (std::uint8_t expected = 1; r.remaining() > 0; ++expected) {
        std::uint8_t pad = 0;
        r.read_u8(pad);
        if (pad != expected) {
            add_diagnostic(info, line,
                           "bad padding after the private section; " + std::string(kCannotLoad));
            info.openssh_can_load = false;
            return;
        }
    }
}

// Armor checks that make OpenSSH reject a file we can still read: private2_uudecode wants the
// file to start with the BEGIN line plus "\n", and the END line right after a "\n" and followed
// by "\n".
void check_armor(std::string_view text, std::size_t begin_offset, int begin_line,
                 std::size_t end_offset, PrivateKeyInfo& info) {
    const std::string cannot_load(kCannotLoad);
    bool crlf = false;
    if (begin_offset != 0) {
        add_diagnostic(info, begin_line, "text before the BEGIN line; " + cannot_load);
        info.openssh_can_load = false;
    }
    const auto after_begin = text.substr(begin_offset + kBeginLine.size());
    if (text.substr(begin_offset, kBeginLine.size()) != kBeginLine || after_begin.empty() ||
        after_begin.front() != '\n') {
        crlf = util::starts_with(after_begin, "\r\n");
        add_diagnostic(
            info, begin_line,
            crlf ? "CRLF (Windows) line endings; " + cannot_load + "; convert with `dos2unix`"
                 : "the BEGIN line is not exactly '" + std::string(kBeginLine) + "'; " +
                       cannot_load);
        info.openssh_can_load = false;
    }
    if (end_offset == std::string_view::npos) return;
    const auto after_end =
        text.substr(end_offset + std::min(kEndLine.size(), text.size() - end_offset));
    const bool end_ok = text[end_offset - 1] == '\n' &&
                        text.substr(end_offset, kEndLine.size()) == kEndLine &&
                        !after_end.empty() && after_end.front() == '\n';
    if (end_ok) return;
    info.openssh_can_load = false;
    if (text.substr(end_offset, kEndLine.size()) == kEndLine && after_end.empty()) {
        add_diagnostic(
            info, 0,
            "no newline after the END line (the file was probably pasted or stored without "
            "its final newline); " +
                cannot_load);
    } else if (!crlf) {
        add_diagnostic(info, 0,
                       "the END line is not exactly '" + std::string(kEndLine) +
                           "' on a line of its own; " + cannot_load);
    }
}

}  // namespace

void read_openssh_key(std::string_view text, std::size_t begin_offset, int begin_line,
                      PrivateKeyInfo& info) {
    info.format = PrivateKeyFormat::openssh;
    info.openssh_can_load = true;

    // Locate the END line and collect the base64 between, ignoring whitespace like b64_pton.
    const std::size_t body_start = text.find('\n', begin_offset);
    std::size_t end_offset = std::string_view::npos;
    std::string b64;
    bool bad_char = false;
    if (body_start != std::string_view::npos) {
        b64.reserve(text.size() - body_start);  // no reallocation: old buffers are not wiped
        std::size_t pos = body_start + 1;
        while (pos < text.size()) {
            std::size_t eol = text.find('\n', pos);
            if (eol == std::string_view::npos) eol = text.size();
            const auto line = util::trim(text.substr(pos, eol - pos));
            if (util::starts_with(line, "-----END")) {
                end_offset = static_cast<std::size_t>(line.data() - text.data());
                break;
            }
            for (char ch : line) {
                if (ch == ' ' || ch == '\t' || ch == '\r') continue;
                if (!is_base64_char(ch)) bad_char = true;
                b64 += ch;
            }
            pos = eol + 1;
        }
    }
    check_armor(text, begin_offset, begin_line, end_offset, info);
    if (end_offset == std::string_view::npos) {
        add_diagnostic(info, begin_line,
                       "no '" + std::string(kEndLine) + "' line (truncated file?); " +
                           std::string(kCannotLoad));
        info.openssh_can_load = false;
    }
    if (bad_char) {
        add_diagnostic(info, begin_line,
                       "invalid base64 in the key body; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
        OPENSSL_cleanse(b64.data(), b64.size());
        return;
    }
    // A truncated body still yields the public blob near its start: decode whole groups.
    const bool partial = b64.size() % 4 != 0;
    std::optional<util::Bytes> decoded =
        util::base64_decode(std::string_view(b64).substr(0, b64.size() / 4 * 4));
    OPENSSL_cleanse(b64.data(), b64.size());
    if (!decoded) {
        add_diagnostic(info, begin_line,
                       "invalid base64 in the key body; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
        return;
    }
    util::Bytes bytes = std::move(*decoded);
    Wipe wipe{bytes};
    if (partial) {
        add_diagnostic(info, begin_line,
                       "the base64 body is cut short; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
    }

    if (bytes.size() < kMagic.size() ||
        std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size()) != kMagic) {
        add_diagnostic(
            info, begin_line,
            "the body does not start with 'openssh-key-v1'; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
        return;
    }
    SshReader r(ByteSpan(bytes).subspan(kMagic.size()));
    ByteSpan kdf_options;
    std::uint32_t key_count = 0;
    if (!r.read_cstring(info.cipher) || !r.read_cstring(info.kdf) || !r.read_string(kdf_options) ||
        !r.read_u32(key_count)) {
        add_diagnostic(info, begin_line,
                       "the key header is truncated; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
        return;
    }
    constexpr std::size_t kMaxName = 64;  // real names are short; keep hostile ones small
    if (info.cipher.size() > kMaxName) info.cipher.resize(kMaxName);
    if (info.kdf.size() > kMaxName) info.kdf.resize(kMaxName);
    info.encrypted = info.cipher != "none";
    if (info.kdf == "bcrypt") {
        SshReader k(kdf_options);
        std::uint32_t rounds = 0;
        if (k.skip_string() && k.read_u32(rounds)) info.kdf_rounds = rounds;
    }
    const CipherInfo* cipher = find_cipher(info.cipher);
    if (cipher == nullptr) {
        add_diagnostic(info, begin_line,
                       "unknown cipher '" + info.cipher +
                           "'; OpenSSH cannot load it (key encrypted using unsupported cipher)");
        info.openssh_can_load = false;
    }
    if (info.kdf != "none" && info.kdf != "bcrypt") {
        add_diagnostic(info, begin_line,
                       "unknown KDF '" + info.kdf +
                           "'; OpenSSH cannot load it (key encrypted using unsupported cipher)");
        info.openssh_can_load = false;
    } else if (info.kdf == "none" && info.encrypted && cipher != nullptr) {
        add_diagnostic(info, begin_line,
                       "cipher '" + info.cipher + "' without a KDF; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
    }
    if (key_count != 1) {
        add_diagnostic(info, begin_line,
                       "the file holds " + std::to_string(key_count) +
                           " keys; OpenSSH supports exactly 1 (invalid format)");
        info.openssh_can_load = false;
        if (key_count == 0) return;
    }

    ByteSpan public_blob;
    if (!r.read_string(public_blob)) {
        add_diagnostic(info, begin_line,
                       "the public key in the file is truncated; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
        return;
    }
    PublicKeyResult pub =
        parse_public_key_blob(util::Bytes(public_blob.begin(), public_blob.end()));
    if (!pub) {
        add_diagnostic(info, begin_line, "the public key in the file is invalid: " + pub.error);
        info.openssh_can_load = false;
        return;
    }
    info.public_key = std::move(pub.key);
    info.type = info.public_key->type;
    info.bits = info.public_key->bits;
    if (!info.public_key->refused_reason.empty()) {
        add_diagnostic(info, begin_line, info.public_key->refused_reason);
        info.openssh_can_load = false;
    }
    if (key_count != 1) return;

    ByteSpan section;
    if (!r.read_string(section)) {
        if (!partial && end_offset != std::string_view::npos)
            add_diagnostic(info, begin_line,
                           "the private section is truncated; " + std::string(kCannotLoad));
        info.openssh_can_load = false;
        return;
    }
    if (cipher != nullptr) {
        if (section.size() < cipher->block_size || section.size() % cipher->block_size != 0 ||
            r.remaining() != cipher->auth_len) {
            add_diagnostic(info, begin_line,
                           "the private section has a bad length; " + std::string(kCannotLoad));
            info.openssh_can_load = false;
            return;
        }
    }
    if (!info.encrypted) read_clear_section(section, info, begin_line);
}

}  // namespace nbd::parse::private_key_detail
