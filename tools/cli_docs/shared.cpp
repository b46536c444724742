#include "renderers.hpp"

namespace nbd::cli_docs {

std::string join_words(const std::vector<std::string>& words, const std::string& separator) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
    return out;
}

std::vector<std::string> rule_ids(const CliDescription& d) {
    std::vector<std::string> out;
    for (const auto& r : d.rules) out.push_back(r.id);
    return out;
}

std::string shell_function_name(const CliDescription& d) {
    std::string out = d.program;
    for (auto& c : out)
        if (c == '-') c = '_';
    return out;
}

std::string generated_notice(const std::string& comment) {
    return comment +
           "Generated at build time from nix-builder-doctor's option table by nbd-cli-docs "
           "(tools/cli_docs); do not edit.\n";
}

}  // namespace nbd::cli_docs
