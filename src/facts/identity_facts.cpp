#include "nix_builder_doctor/facts/identity_facts.hpp"

#include "nix_builder_doctor/facts/context.hpp"
#include "nix_builder_doctor/parse/private_key.hpp"
#include "nix_builder_doctor/parse/ssh_public_key.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

std::string legacy_reason(const std::string& type, unsigned bits) {
    if (type == "ssh-dss") return "a DSA key: OpenSSH 7.0 and later refuse DSA by default, and 9.8 removed it";
    if (type == "ssh-rsa" && bits > 0 && bits < 1024) return "an RSA key of " + std::to_string(bits) + " bits: OpenSSH refuses RSA keys under 1024 bits";
    if (type == "ssh-rsa" && bits > 0 && bits < 2048) return "an RSA key of " + std::to_string(bits) + " bits: under 2048 bits is considered weak";
    return "";
}

}  // namespace

std::string identity_public_line(const nlohmann::json& identity) { return identity.value("public_key", ""); }

nlohmann::json describe_identity(FileSystem& fs, const std::string& path, unsigned owner_uid, const std::string& source) {
    nlohmann::json j = describe_file(fs, path);
    j["source"] = source;
    j["in_store"] = util::starts_with(path, "/nix/store/");
    j["public_key"] = "";
    j["fingerprint"] = "";
    j["usable"] = false;
    const bool exists = j.value("exists", false);
    // OpenSSH (authfile.c) ignores a private key whose owner is the running uid and whose mode
    // lets group or others do anything.
    j["too_open"] = exists && j.value("uid", 0u) == owner_uid && j.value("group_or_other_any", false);
    const parse::ReadResult read = exists ? fs.read(path) : parse::ReadResult{};
    j["read"] = read.status == parse::ReadStatus::ok ? "ok"
                : read.status == parse::ReadStatus::unreadable ? "unreadable"
                : read.status == parse::ReadStatus::too_large ? "too_large"
                : read.status == parse::ReadStatus::not_regular ? "not_regular"
                                                                : "missing";
    std::optional<parse::PublicKey> public_half;
    if (read.status == parse::ReadStatus::ok) {
        const auto info = parse::parse_private_key(read.text, path);
        j["format"] = std::string(parse::to_string(info.format));
        j["type"] = info.type;
        j["bits"] = info.bits;
        j["encrypted"] = info.encrypted;
        j["cipher"] = info.cipher;
        j["loadable"] = info.openssh_can_load;
        if (!info.diagnostics.empty()) j["problem"] = info.diagnostics.front().message;
        public_half = info.public_key;
        j["legacy_reason"] = legacy_reason(info.type, info.bits);
    }
    // The companion .pub: what ssh offers first, and what a passphrase-protected PEM key has.
    const std::string pub_path = path + ".pub";
    const auto pub_read = fs.read(pub_path);
    j["pub_path"] = pub_path;
    j["pub_exists"] = pub_read.status == parse::ReadStatus::ok;
    j["pub_matches"] = nullptr;
    if (pub_read.status == parse::ReadStatus::ok) {
        const auto pub = parse::parse_public_key_file(pub_read.text);
        if (pub.key) {
            if (public_half) j["pub_matches"] = parse::same_public_key(*pub.key, *public_half);
            else public_half = pub.key;
            if (!j.contains("legacy_reason") || j["legacy_reason"] == "")
                j["legacy_reason"] = legacy_reason(pub.key->plain_type, pub.key->bits);
        }
    }
    if (public_half) {
        j["public_key"] = parse::public_key_line(*public_half);
        j["fingerprint"] = public_half->fingerprint;
        j["key_type"] = public_half->plain_type;
    }
    j["usable"] = exists && !j["too_open"].get<bool>() && j.value("loadable", false) && !j.value("encrypted", false);
    return j;
}

}  // namespace nbd::facts
