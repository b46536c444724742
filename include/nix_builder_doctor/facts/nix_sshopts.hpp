// NIX_SSHOPTS split into ssh's words the way the local Nix does: on blanks before Nix 2.26, like a
// shell (quotes and backslashes, shellSplitString, NixOS/nix#12020) from 2.26 on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nbd::facts {

struct SshoptsSplit {
    std::vector<std::string> words;  // what ssh is given (the whitespace split when undecided or refused)
    std::string method;              // "shell" | "whitespace"
    std::string error;               // Nix >= 2.26 refuses the value (an unterminated quote), else ""
    std::string note;                // why the words may differ from Nix's, else ""
};

// Nix 2.26's shellSplitString: blanks are spaces and tabs, '...' literal, "..." with \ escaping
// only $ ` " and \, a \ outside quotes escapes any character. `error` is set on an unterminated quote.
std::vector<std::string> shell_split(std::string_view value, std::string* error);

// `flavor` and `version` as in /machines/local_nix ("nix", "2.26.1"; "" when unknown).
SshoptsSplit split_nix_sshopts(std::string_view value, const std::string& flavor, const std::string& version);

}  // namespace nbd::facts
