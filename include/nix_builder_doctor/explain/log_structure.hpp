// The lines of Nix's own output that give a log its structure: where a builder failed
// (`cannot build on '...': <cause>`, Nix 2.0's `unable to open SSH connection to '...'`), where a
// remote build ran, and which lines start a new message (ending the ssh output appended to a
// `cannot build on` line).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nbd::explain {

struct BuilderFailure {
    std::string builder;  // the store URI in quotes
    std::string cause;    // the text after `': `
    std::size_t cause_offset = 0;  // where `cause` starts in the line
};

// `cannot build on 'URI': CAUSE` (2.1+) or `unable to open SSH connection to 'URI': CAUSE` (2.0).
std::optional<BuilderFailure> parse_builder_failure(std::string_view line);
// `building '/nix/store/...drv' on 'URI'...` and `possibly transient failure building ... on 'X'`.
std::optional<std::string> parse_building_on(std::string_view line);
// A builder the line names: an ssh:// or ssh-ng:// URI in quotes (its first word), a remote
// build's target, the quoted host of `failed to start SSH connection to`, `protocol mismatch
// from` or `cannot connect to`, or ssh's `user@host: Permission denied`.
std::optional<std::string> builder_named_in(std::string_view line);
// Nix starts a new message here (so ssh's appended stderr has ended).
bool starts_nix_message(std::string_view line);
// "ssh://nix@host:22?x=y" -> "host"; "root@host" -> "host".
std::string builder_host(std::string_view builder);
// "ssh://nix@host" -> "nix"; empty when the URI names no user.
std::string builder_user(std::string_view builder);

}  // namespace nbd::explain
