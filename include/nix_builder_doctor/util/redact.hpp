// Secret material never leaves the program. Every text that is printed (findings, --dump-facts,
// explain's evidence, error messages) goes through `redact` at the output boundary, which
// replaces, by a marker and never in part:
//   - PEM / OpenSSH / SSH2 private key blocks (`-----BEGIN ... PRIVATE KEY-----` to its END line)
//     and lone armor lines, PuTTY key files (from `PuTTY-User-Key-File-` or `Private-Lines:` on);
//   - base64 body lines of a private key seen alone: an openssh-key-v1 body start
//     (`b3BlbnNzaC1rZXktdjE`), base64 of a PEM armor (`LS0tLS1CRUdJTi`) that decodes to a private
//     key, and any run of exactly 64 or 70 base64 characters (the widths PEM and OpenSSH wrap at);
//   - a Nix signing secret key (`name:base64` of 64 bytes whose second half is the ed25519 public
//     key of its first half; signatures, also 64 bytes, are left alone);
//   - the values after `access-tokens =` and GitHub/GitLab token shapes (ghp_..., glpat-...);
//   - every secret the program noted while reading files (`note_secrets_in`: each line of a
//     private key block, so even a short last line printed on its own is caught), compared
//     case-insensitively as a whole token.
// The check is one linear pass with literal tests; only candidates are decoded.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nbd::util {

inline constexpr std::string_view kRedactedPrivateKey = "[redacted: private key]";
inline constexpr std::string_view kRedactedNixSecretKey = "[redacted: Nix signing secret key]";
inline constexpr std::string_view kRedactedToken = "[redacted: access token]";
inline constexpr std::string_view kRedactedSecret = "[redacted: secret]";

// Does the text hold a private key (PEM/OpenSSH armor, PuTTY file, openssh-key-v1 body)?
bool contains_private_key(std::string_view text);
// Is the whole text, once blanks are trimmed, a private key file?
bool is_private_key_file(std::string_view text);

// Remember the secrets in a text read from anywhere (every line of each private key block);
// thread-safe. Returns true when the text holds a private key.
bool note_secrets_in(std::string_view text);
// Remember one line of a private key body (ignored unless it is base64, at least 4 characters).
void note_key_line(std::string_view line);
// Remember one value known to be secret (an access token); ignored below 4 characters.
void note_secret(std::string_view secret);
// Tests only: forget what was noted.
void forget_noted_secrets();

// Private key material overwritten with spaces, newlines kept (so a parser still counts lines
// right and sees nothing of the key). True when something was blanked.
bool blank_private_keys(std::string& text);

// The text with every secret replaced by a marker.
std::string redact(std::string_view text);
// Redacts in place; true when something was replaced.
bool redact_in_place(std::string& text);
// Every string in the document, object keys included.
void redact_json(nlohmann::json& j);

// Is this the 64-byte form of a Nix signing secret key (seed followed by its public key)?
bool is_nix_secret_key_bytes(const unsigned char* data, std::size_t size);

}  // namespace nbd::util
