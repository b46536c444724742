// nbd-cli-docs: writes the man page or a shell completion, generated from the program's own
// option table (see cli_description.hpp). Run by the build; not installed.
//   nbd-cli-docs man TEMPLATE OUT | bash OUT | zsh OUT | fish OUT
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "cli_description.hpp"
#include "renderers.hpp"

#ifndef NBD_VERSION
#define NBD_VERSION "0.0.0"
#endif

namespace {

int usage() {
    std::cerr << "usage: nbd-cli-docs man TEMPLATE OUT | bash OUT | zsh OUT | fish OUT\n";
    return 2;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

int main(int argc, char** argv) {
    using namespace nbd::cli_docs;
    try {
        if (argc < 3) return usage();
        const std::string what = argv[1];
        const auto d = describe_cli(NBD_VERSION);
        std::string text, out;
        if (what == "man" && argc == 4)
            text = render_man_page(d, read_file(argv[2])), out = argv[3];
        else if (what == "bash" && argc == 3)
            text = render_bash_completion(d), out = argv[2];
        else if (what == "zsh" && argc == 3)
            text = render_zsh_completion(d), out = argv[2];
        else if (what == "fish" && argc == 3)
            text = render_fish_completion(d), out = argv[2];
        else
            return usage();
        std::ofstream file(out, std::ios::binary | std::ios::trunc);
        file << text;
        if (!file.flush()) throw std::runtime_error("cannot write " + out);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "nbd-cli-docs: " << e.what() << "\n";
        return 1;
    }
}
