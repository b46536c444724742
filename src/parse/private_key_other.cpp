// Identity files ssh cannot use but whose public half is readable: PuTTY .ppk (versions 1-3)
// and RFC 4716 "SSH2" public keys.
#include "nix_builder_doctor/util/strings.hpp"
#include "private_key_formats.hpp"

namespace nbd::parse::private_key_detail {
namespace {

// `Name: value` of a PuTTY or RFC 4716 header line; false when the line is not one.
bool header(std::string_view line, std::string_view& name, std::string_view& value) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    name = util::trim(line.substr(0, colon));
    value = util::trim(line.substr(colon + 1));
    return true;
}

void set_public_key(PublicKeyResult pub, int line, PrivateKeyInfo& info) {
    if (!pub) {
        add_diagnostic(info, line, "the public key in the file is invalid: " + pub.error);
        return;
    }
    info.public_key = std::move(pub.key);
    info.type = info.public_key->type;
    info.bits = info.public_key->bits;
}

}  // namespace

void read_putty_key(std::string_view text, PrivateKeyInfo& info) {
    info.format = PrivateKeyFormat::putty;
    const auto lines = util::split_lines(text);
    std::string stated_type;
    int version = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string_view name, value;
        if (!header(lines[i], name, value)) continue;
        const int line = static_cast<int>(i + 1);
        if (util::starts_with(name, "PuTTY-User-Key-File-")) {
            version = name.back() - '0';
            stated_type = std::string(value.substr(0, 128));
        } else if (name == "Encryption") {
            info.cipher = std::string(value.substr(0, 64));
            info.encrypted = value != "none";
        } else if (name == "Comment") {
            info.comment = std::string(value.substr(0, 4096));
        } else if (name == "Key-Derivation") {
            info.kdf = std::string(value.substr(0, 64));
        } else if (name == "Argon2-Passes") {
            if (auto n = util::parse_unsigned(value); n && *n <= 0xffffffffULL)
                info.kdf_rounds = static_cast<unsigned>(*n);
        } else if (name == "Public-Lines" && !info.public_key) {
            const auto count = util::parse_unsigned(value);
            if (!count || *count > lines.size() - i - 1) {
                add_diagnostic(info, line, "bad Public-Lines count");
                continue;
            }
            std::string b64;
            for (std::size_t k = 1; k <= *count; ++k) b64 += util::trim(lines[i + k]);
            auto blob = b64.size() % 4 == 0 ? util::base64_decode(b64) : std::nullopt;
            if (!blob) {
                add_diagnostic(info, line, "the public key lines are not valid base64");
                continue;
            }
            set_public_key(parse_public_key_blob(*blob), line, info);
            i += *count;
        }
    }
    if (info.encrypted && info.kdf.empty()) info.kdf = version >= 3 ? "Argon2id" : "sha1";
    if (!info.encrypted && info.kdf.empty()) info.kdf = "none";
    if (info.public_key && !stated_type.empty() && info.public_key->type != stated_type)
        add_diagnostic(
            info, 1,
            "the header says " + stated_type + " but the public key is " + info.public_key->type);
    if (info.type.empty()) info.type = stated_type;
    add_diagnostic(info, 1,
                   "PuTTY private key (.ppk): " + std::string(kCannotLoad) +
                       "; convert it with `puttygen FILE -O private-openssh -o OUT`");
}

void read_rfc4716_public_key(std::string_view block, int begin_line, PrivateKeyInfo& info) {
    info.format = PrivateKeyFormat::rfc4716_public;
    const auto lines = util::split_lines(block);
    std::string b64;
    bool continued = false, ended = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto line = util::trim(lines[i]);
        if (util::starts_with(line, "---- END SSH2 PUBLIC KEY ----")) {
            ended = true;
            break;
        }
        std::string_view name, value;
        if (continued || (b64.empty() && header(line, name, value))) {
            continued = !line.empty() && line.back() == '\\';
            if (name == "Comment")
                info.comment = std::string(util::trim(value, " \t\"").substr(0, 4096));
            continue;
        }
        b64 += line;
    }
    auto blob = ended && b64.size() % 4 == 0 ? util::base64_decode(b64) : std::nullopt;
    if (!blob) {
        add_diagnostic(info, begin_line,
                       "RFC 4716 public key with an invalid or unterminated body");
    } else {
        set_public_key(parse_public_key_blob(*blob), begin_line, info);
        if (info.public_key) info.public_key->comment = info.comment;
    }
    add_diagnostic(
        info, begin_line,
        "this is an RFC 4716 (SSH2) public key, not a private key; " + std::string(kCannotLoad));
}

}  // namespace nbd::parse::private_key_detail
