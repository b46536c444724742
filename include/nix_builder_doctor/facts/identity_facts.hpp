// Facts about SSH identity (private key) files: whether the principal can use each one, its
// public half and fingerprint, its .pub companion, and what ssh would complain about.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nix_builder_doctor/facts/filesystem.hpp"

namespace nbd::facts {

// `owner_uid` is the uid ssh will run as (OpenSSH only checks modes of files that uid owns).
// `source` says why the file is a candidate: "machines", "ssh_config", "default".
nlohmann::json describe_identity(FileSystem& fs, const std::string& path, unsigned owner_uid, const std::string& source);

// The public key line ("type base64") of an identity described above, or "" when unknown.
std::string identity_public_line(const nlohmann::json& identity);

}  // namespace nbd::facts
