// The command line's own tables, for tools that describe it (the man page and shell completion
// generator in tools/cli_docs). The same table parses the command line and prints --help.
#pragma once

#include <cxxopts.hpp>
#include <string>
#include <vector>

namespace nbd::cli {

cxxopts::Options option_table();                  // what --help prints
const std::vector<std::string>& command_words();  // check, route, ...
const std::vector<std::string>& format_words();   // text, json, ...

}  // namespace nbd::cli
