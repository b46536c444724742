// The man page and the bash, zsh and fish completions, each rendered from the CliDescription.
#pragma once

#include <string>

#include "cli_description.hpp"

namespace nbd::cli_docs {

// `page_template` is roff with @NAME@ placeholders (packaging/man/nix-builder-doctor.1.in) for
// the generated sections: @VERSION@ @SUMMARY@ @SYNOPSIS@ @COMMANDS@ @OPTIONS@ @EXIT_STATUS@
// @RULES@.
std::string render_man_page(const CliDescription& d, const std::string& page_template);
std::string render_bash_completion(const CliDescription& d);
std::string render_zsh_completion(const CliDescription& d);
std::string render_fish_completion(const CliDescription& d);

// Helpers the renderers share.
std::string join_words(const std::vector<std::string>& words, const std::string& separator = " ");
std::vector<std::string> rule_ids(const CliDescription& d);
std::string shell_function_name(const CliDescription& d);  // nix_builder_doctor
std::string generated_notice(const std::string& comment);  // "# generated ... do not edit"

}  // namespace nbd::cli_docs
