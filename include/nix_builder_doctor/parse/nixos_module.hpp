// The argument header of a NixOS module such as /etc/nixos/configuration.nix, and whether its
// body can see `lib`. A module is usually a function of a formal set, `{ config, pkgs, ... }:`;
// `...` accepts more arguments but does not bind them, so a body that says `lib.mkForce` without
// `lib` among the formals fails with "undefined variable 'lib'" - unless something in the body
// binds it (`let lib = ...; in`, `let inherit (pkgs) lib; in`, `rec { lib = ...; }`, a nested
// function `{ lib, ... }:` or `lib:`) or a `with` makes variable lookup dynamic. The file is
// tokenised like Nix does (comments, "..." and ''...'' strings with `${...}` interpolations,
// paths, URIs), so `"lib.x"`, `./lib.nix`, `# lib.x`, `pkgs.lib.x` and `mylib.x` are not uses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::parse {

struct NixosFormal {
    std::string name;
    bool has_default = false;  // `name ? default`
    int line = 0;
};

// A reference to the variable `lib` in the body.
struct NixosLibUse {
    int line = 0;
    int column = 0;
    // "select" (lib.x), "bare" (lib as a value, `with lib;`), "inherit" (inherit lib;)
    std::string kind;
    bool covered = false;  // inside a body binding of lib or a `with`, so Nix does not reject it
};

// Something in the body that brings `lib` into scope (or, for `with`, makes lookups dynamic).
struct NixosLibScope {
    int line = 0;
    std::string kind;  // "with", "let", "let-inherit", "rec", "lambda", "formals"
    std::string text;  // for "with": the first token of its expression ("pkgs", "lib", ...)
};

struct NixosModuleHeader {
    std::string file;
    bool is_function = false;  // the file is `ARGS: BODY`
    bool has_formals = false;  // ARGS is a formal set `{ ... }`
    std::vector<NixosFormal> formals;
    bool has_ellipsis = false;
    std::string simple_arg;  // `args: ...` (not a formal set)
    std::string at_binding;  // `args@{ ... }:` or `{ ... }@args:`
    int header_line = 0;     // line of the `:` that ends the header
    bool binds_lib = false;  // a formal (or the argument itself) is named `lib`

    bool uses_lib = false;  // any reference to the variable lib in the body
    int first_lib_use_line = 0;
    bool uses_lib_select = false;  // `lib.` specifically
    int first_lib_select_line = 0;
    // The first reference that nothing in the body covers: with binds_lib false, Nix rejects the
    // file ("undefined variable 'lib'"). 0 when there is none.
    int first_uncovered_lib_use_line = 0;
    int first_uncovered_lib_use_column = 0;
    std::vector<NixosLibUse> lib_uses;  // the first 1000
    std::size_t lib_use_count = 0;

    bool binds_lib_in_body = false;         // some scope below exists
    std::vector<NixosLibScope> lib_scopes;  // the first 1000

    std::vector<Diagnostic> errors;  // unterminated strings or comments, unbalanced brackets
};

NixosModuleHeader parse_nixos_module_header(std::string_view text, const std::string& file);

}  // namespace nbd::parse
