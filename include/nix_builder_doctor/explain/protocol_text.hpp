// Nix reads its wire protocol in 8-byte little-endian numbers. When something on the builder
// prints text where Nix expects one (a login shell's "This account is currently not available.",
// a shell startup file's echo, an error message), Nix says `serialised integer N is too large for
// type 'j'`: N is those 8 bytes of text. This reveals them, so that the cause can be read.
#pragma once

#include <string>
#include <string_view>

namespace nbd::explain {

// `line` with ` (its 8 bytes as text: 'This acc')` appended after the first `serialised integer N`
// whose bytes are printable text (tab, CR and LF shown as \t \r \n); otherwise `line` unchanged.
std::string reveal_protocol_text(std::string_view line);

}  // namespace nbd::explain
