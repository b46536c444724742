// `<type> <base64> [comment]` key lines (sshkey_read) and .pub files (sshkey_try_load_public).
#include "nix_builder_doctor/parse/ssh_public_key.hpp"

#include <algorithm>
#include <cctype>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {
namespace {


PublicKeyResult failure(std::string message) {
    return PublicKeyResult{std::nullopt, std::move(message)};
}

// OpenSSH's b64_pton needs whole 4-character groups; the shared decoder is stricter otherwise.
std::optional<util::Bytes> decode_key_base64(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    return util::base64_decode(text);
}

// When the first field is not a key type: explain the likely mistake.
std::string explain_unknown_type(std::string_view token) {
    if (util::starts_with(token, "-----BEGIN") || util::starts_with(token, "----"))
        return "this is PEM/armored text (a private key or an RFC 4716 key), not an OpenSSH public "
               "key line";
    if (auto blob = decode_key_base64(token)) {
        if (auto key = parse_public_key_blob(*blob))
            return "the key type is missing: the first field is already the base64 blob of an " +
                   key.key->type + " key";
        const std::string decoded = util::to_string(*blob);
        const std::string_view inner = util::trim(decoded);
        const auto space = inner.find_first_of(util::kSpaceTab);
        if (space != std::string_view::npos && find_key_type(inner.substr(0, space)))
            return "the field is base64 of a whole key line ('" +
                   std::string(inner.substr(0, space)) + " AAAA...'); decode it first";
    }
    std::string message = "unknown key type '" + std::string(token.substr(0, 64)) + "'";
    // util::nearest accepts at most max(2, size/3) edits: skip names that cannot be that close.
    const std::size_t limit = std::max<std::size_t>(2, token.size() / 3);
    std::vector<std::string> names;
    for (const auto& info : key_types()) {
        const std::size_t diff = info.name.size() > token.size() ? info.name.size() - token.size()
                                                                 : token.size() - info.name.size();
        if (info.name == info.canonical && diff <= limit) names.emplace_back(info.name);
    }
    const bool plausible =
        token.size() <= 64 && std::all_of(token.begin(), token.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '@' ||
                   c == '.' || c == '_';
        });
    if (plausible && !names.empty())
        if (auto guess = util::nearest(token, names))
            message += " (did you mean '" + *guess + "'?)";
    return message;
}

}  // namespace

PublicKeyResult parse_public_key(std::string_view line, bool explain_errors) {
    line = util::trim(line);
    if (line.empty()) return failure("empty key line");
    const auto type_end = line.find_first_of(util::kSpaceTab);
    const std::string_view type = line.substr(0, type_end);
    const KeyTypeInfo* info = find_key_type(type);
    if (info == nullptr)
        return failure(explain_errors
                           ? explain_unknown_type(type)
                           : "unknown key type '" + std::string(type.substr(0, 64)) + "'");
    if (type_end == std::string_view::npos)
        return failure("key type '" + std::string(type) + "' is not followed by a key");

    std::string_view rest = util::trim(line.substr(type_end), util::kSpaceTab);
    const auto b64_end = rest.find_first_of(util::kSpaceTab);
    const std::string_view b64 = rest.substr(0, b64_end);
    const std::string_view comment =
        b64_end == std::string_view::npos ? std::string_view{} : util::trim(rest.substr(b64_end));

    auto blob = decode_key_base64(b64);
    if (!blob) {
        if (explain_errors && b64.size() % 4 != 0 &&
            decode_key_base64(b64.substr(0, b64.size() / 4 * 4)))
            return failure("invalid base64 in key: length " + std::to_string(b64.size()) +
                           " is not a multiple of 4 (truncated or wrapped key?)");
        return failure("invalid base64 in key");
    }
    PublicKeyResult result = parse_public_key_blob(*blob);
    if (!result) {
        if (result.error.find("truncated") != std::string::npos)
            return failure("invalid key: " + result.error + " (was the key cut off when copied?)");
        return failure("invalid key: " + result.error);
    }
    if (result.key->type != info->canonical)
        return failure("key type mismatch: the line says " + std::string(type) +
                       " but the key blob is " + result.key->type);
    result.key->comment = std::string(comment);
    return result;
}

PublicKeyResult parse_public_key_file(std::string_view text) {
    std::optional<PublicKeyResult> first_failure;
    for (auto line : util::split_lines(text)) {
        const auto trimmed = util::trim(line);
        if (trimmed.empty() || trimmed.front() == '#') continue;
        if (util::starts_with(trimmed, "---- BEGIN SSH2 PUBLIC KEY ----"))
            return failure(
                "RFC 4716 (SSH2) public key: OpenSSH cannot read it; convert it with "
                "`ssh-keygen -i -f FILE`");
        if (util::starts_with(trimmed, "-----BEGIN ") &&
            trimmed.find("PRIVATE KEY") != std::string_view::npos)
            return failure("this is a private key, not a public key");
        auto result = parse_public_key(trimmed, !first_failure);
        if (result) return result;
        if (!first_failure) first_failure = std::move(result);
    }
    if (first_failure) return *first_failure;
    return failure("no public key in file");
}

std::string public_key_line(const PublicKey& key) { return key.type + " " + key.base64; }

bool same_public_key(const PublicKey& a, const PublicKey& b) {
    return !a.fingerprint.empty() && a.fingerprint == b.fingerprint;
}

}  // namespace nbd::parse
