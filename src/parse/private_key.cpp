// Recognising the format of an identity file and dispatching to the reader for it.
#include "nix_builder_doctor/parse/private_key.hpp"

#include "nix_builder_doctor/util/strings.hpp"
#include "private_key_formats.hpp"

namespace nbd::parse {

namespace private_key_detail {
void add_diagnostic(PrivateKeyInfo& info, int line, std::string message) {
    info.diagnostics.push_back({info.file, line, std::move(message)});
}
}  // namespace private_key_detail

namespace {

using namespace private_key_detail;

bool is_private_pem_label(std::string_view label) {
    return label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY" || label == "DSA PRIVATE KEY" ||
           label == "PRIVATE KEY" || label == "ENCRYPTED PRIVATE KEY";
}

// The label of a `-----BEGIN LABEL-----` line, or "".
std::string_view pem_label(std::string_view line) {
    constexpr std::string_view kBegin = "-----BEGIN ";
    if (!util::starts_with(line, kBegin) || !util::ends_with(line, "-----") ||
        line.size() < kBegin.size() + 5)
        return {};
    return line.substr(kBegin.size(), line.size() - kBegin.size() - 5);
}

}  // namespace

std::string_view to_string(PrivateKeyFormat format) {
    switch (format) {
        case PrivateKeyFormat::openssh:
            return "openssh-key-v1";
        case PrivateKeyFormat::pem:
            return "pem";
        case PrivateKeyFormat::pkcs8:
            return "pkcs8";
        case PrivateKeyFormat::pkcs8_encrypted:
            return "pkcs8-encrypted";
        case PrivateKeyFormat::putty:
            return "putty";
        case PrivateKeyFormat::sshcom:
            return "ssh.com";
        case PrivateKeyFormat::public_key:
            return "public-key";
        case PrivateKeyFormat::rfc4716_public:
            return "rfc4716-public-key";
        case PrivateKeyFormat::empty:
            return "empty";
        case PrivateKeyFormat::unknown:
            return "unknown";
    }
    return "unknown";
}

PrivateKeyInfo parse_private_key(std::string_view text, std::string_view file) {
    PrivateKeyInfo info;
    info.file = std::string(file);
    if (util::trim(text).empty()) {
        info.format = PrivateKeyFormat::empty;
        add_diagnostic(info, 0, "the key file is empty");
        return info;
    }
    if (util::starts_with(util::trim(text), "PuTTY-User-Key-File-")) {
        read_putty_key(text, info);
        return info;
    }

    std::string_view other_label;
    int other_line = 0;
    int line_number = 0;
    for (auto raw : util::split_lines(text)) {
        ++line_number;
        const std::size_t line_offset = static_cast<std::size_t>(raw.data() - text.data());
        const std::string_view line = util::trim(raw);
        if (line == "-----BEGIN OPENSSH PRIVATE KEY-----") {
            read_openssh_key(text, line_offset, line_number, info);
            return info;
        }
        if (const auto label = pem_label(line); !label.empty()) {
            if (is_private_pem_label(label)) {
                read_pem_key(text.substr(line_offset), label, line_number, info);
                return info;
            }
            if (other_label.empty()) {
                other_label = label;
                other_line = line_number;
            }
            continue;
        }
        if (line == "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----") {
            info.format = PrivateKeyFormat::sshcom;
            info.encrypted = true;
            add_diagnostic(info, line_number,
                           "ssh.com (SECSH) private key: " + std::string(kCannotLoad) +
                               "; convert it with `ssh-keygen -i -f FILE`");
            return info;
        }
        if (line == "---- BEGIN SSH2 PUBLIC KEY ----") {
            read_rfc4716_public_key(text.substr(line_offset), line_number, info);
            return info;
        }
    }

    if (auto pub = parse_public_key_file(text)) {
        info.format = PrivateKeyFormat::public_key;
        info.public_key = std::move(pub.key);
        info.type = info.public_key->type;
        info.bits = info.public_key->bits;
        add_diagnostic(
            info, 0,
            "this is a public key, not a private key: ssh can only use it through an agent "
            "that holds the private key (was the .pub file given as the identity?)");
        return info;
    }
    if (!other_label.empty()) {
        add_diagnostic(info, other_line,
                       "PEM block '" + std::string(other_label.substr(0, 64)) +
                           "' is not a private key; " + std::string(kCannotLoad));
        return info;
    }
    add_diagnostic(info, 0, "not a private key file: " + std::string(kCannotLoad));
    return info;
}

}  // namespace nbd::parse
