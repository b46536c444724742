#include <iostream>

#include "nix_builder_doctor/cli/run.hpp"

int main(int argc, char** argv) { return nbd::cli::run(argc, argv, std::cout, std::cerr); }
