#include "nix_builder_doctor/cli/gather_options.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "nix_builder_doctor/util/redact.hpp"

namespace nbd::cli {
namespace {

// Only an explicit --user must exist (the caller checks it against the facts).
std::optional<std::string> default_user() {
    if (const char* sudo_user = std::getenv("SUDO_USER"); sudo_user && *sudo_user) return std::string(sudo_user);
    if (const passwd* pw = ::getpwuid(::getuid())) return std::string(pw->pw_name);
    return std::nullopt;
}

}  // namespace

facts::GatherOptions gather_options_for(const Options& options, const std::atomic<bool>* cancel) {
    facts::GatherOptions gather;
    gather.root = options.root;
    gather.user = options.user ? options.user : default_user();
    gather.system = options.system;
    gather.builders_spec = options.builders;
    // A key pasted into --builders is remembered like one read from a file, so no output quotes it.
    if (options.builders) util::note_secrets_in(*options.builders);
    gather.remote_roots = options.remote_roots;
    gather.builder_patterns = options.builder_patterns;
    gather.live = !options.offline;
    gather.timeout_seconds = options.timeout_seconds;
    gather.jobs = options.jobs;
    gather.build_test = options.build_test;
    gather.cancel = cancel;
    return gather;
}

}  // namespace nbd::cli
