// Internal to the private key parser: one reader per file format, each filling PrivateKeyInfo.
#pragma once

#include <string>
#include <string_view>

#include "nix_builder_doctor/parse/private_key.hpp"

namespace nbd::parse::private_key_detail {

// Words ssh uses when it cannot load an identity.
inline constexpr std::string_view kCannotLoad =
    "OpenSSH cannot load it (Load key: invalid format / error in libcrypto)";

void add_diagnostic(PrivateKeyInfo& info, int line, std::string message);

// openssh-key-v1: `text` is the whole file, `begin_offset` the offset of the BEGIN line and
// `begin_line` its 1-based number.
void read_openssh_key(std::string_view text, std::size_t begin_offset, int begin_line,
                      PrivateKeyInfo& info);
// PEM / PKCS#8: `block` runs from the BEGIN line to the end of the file; `label` is the text
// between "-----BEGIN " and "-----".
void read_pem_key(std::string_view block, std::string_view label, int begin_line,
                  PrivateKeyInfo& info);
void read_putty_key(std::string_view text, PrivateKeyInfo& info);
void read_rfc4716_public_key(std::string_view block, int begin_line, PrivateKeyInfo& info);

}  // namespace nbd::parse::private_key_detail
