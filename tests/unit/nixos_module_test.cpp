// NixOS module header and `lib` scope analysis.
//
// Verified against the real Nix 2.8.0: each snippet of kNixVerdicts was written to a file and
// checked with `nix-instantiate --parse FILE`, which runs Nix's static scope check. "lib" means
// Nix printed `error: undefined variable 'lib' at FILE:1:COL`; "ok" means it parsed. (Cases 12
// and 23 failed on `mylib` / `lib-x` instead - other variables; 28 failed on `a` first.)
#include "nix_builder_doctor/parse/nixos_module.hpp"

#include <gtest/gtest.h>

namespace nbd::parse {
namespace {

NixosModuleHeader parse(std::string_view text) {
    return parse_nixos_module_header(text, "/etc/nixos/configuration.nix");
}

// What a rule decides: Nix rejects the file for `lib`.
bool rejected_for_lib(const NixosModuleHeader& h) {
    return !h.binds_lib && h.first_uncovered_lib_use_line != 0;
}

struct Verdict {
    const char* text;
    bool nix_rejects_lib;
    int column;  // column Nix printed (0 when it parsed)
};

const Verdict kNixVerdicts[] = {
    {"{ config, pkgs, ... }: { x = lib.mkForce 1; }", true, 30},
    {"{ config, pkgs, ... }: with pkgs; { x = lib.mkForce 1; }", false, 0},
    {"{ pkgs, ... }: let lib = pkgs.lib; in { x = lib.a; }", false, 0},
    {"args@{ pkgs, ... }: { x = lib.a; }", true, 27},
    {"{ pkgs, ... }@args: { x = \"${lib.a}\"; }", true, 30},
    {"{ pkgs, ... }: { x = \"lib.a\"; y = ''lib.b''; z = ./lib.nix; w = <nixpkgs/lib>; v = "
     "https://x/lib.nix; }",
     false, 0},
    {"{ pkgs, ... }: { lib.foo = 1; }", false, 0},
    {"{ pkgs, ...}: rec { lib = 1; x = lib.a; }", false, 0},
    {"{ pkgs, ... }: { imports = [ ({ lib, ... }: { x = lib.a; }) ]; }", false, 0},
    {"{ pkgs, ... }: { inherit (lib) a; }", true, 27},
    {"{ pkgs, ... }: let inherit (pkgs) lib; in { x = lib.a; }", false, 0},
    {"{ pkgs, ... }: { x = pkgs.lib.a; y = mylib.b; }", false, 0},
    {"{ pkgs, lib ? pkgs.lib, ... }: { x = lib.a; }", false, 0},
    {"{ pkgs, ... }: { x = \"${\"${lib.a}\"}\"; }", true, 28},
    {"{ pkgs, ... }: { x = ''${lib.a}''; }", true, 26},
    {"{ pkgs, ... }: { x = ''''${lib.a}''; }", false, 0},
    {"{ pkgs, ... }: { x = \"$${lib.a}\"; }", false, 0},
    {"{ pkgs, ... }: { x = \"\\${lib.a}\"; }", false, 0},
    {"{ pkgs, ... }: { x = lib: lib.a; }", false, 0},
    {"{ pkgs, ... }: { x = { lib }: lib.a; }", false, 0},
    {"{ pkgs, ... }: { x = a: lib.a; } # lib.x in comment", true, 25},
    {"{ pkgs, ... }: /* lib.y */ { inherit lib; }", true, 38},
    {"{ pkgs, ... }: { x = lib'.a; y = lib-x.a; z = lib_2.a; }", false, 0},
    {"{ pkgs, ... }: { x = pkgs . lib . a; }", false, 0},
    {"{ pkgs, ... }: let x = lib; in x", true, 24},
    {"{ pkgs, ... }: { imports = [ ./hardware-configuration.nix ]; boot.loader.grub.device = "
     "\"/dev/sda\"; }",
     false, 0},
    {"{ pkgs, ... }: { x = ./foo/${lib.a}/b; }", true, 30},
    {"{ pkgs, ... }: { x = a.lib or lib.b; }", true, 31},
    {"{ pkgs, ... }: { \"lib\" = 1; x = { a = 1; }.lib; }", false, 0},
    {"{ pkgs, ... }: assert true; { x = lib.a; }", true, 35},
};

TEST(NixosModule, AgreesWithNixInstantiateParse) {
    int i = 0;
    for (const auto& v : kNixVerdicts) {
        ++i;
        auto h = parse(v.text);
        EXPECT_TRUE(h.errors.empty()) << "case " << i << ": " << v.text;
        EXPECT_EQ(rejected_for_lib(h), v.nix_rejects_lib) << "case " << i << ": " << v.text;
        // Nix reports the inherit case at `lib` itself and walks attributes in its own order; the
        // other columns are the first uncovered use.
        if (v.nix_rejects_lib && i != 22) {
            EXPECT_EQ(h.first_uncovered_lib_use_column, v.column) << "case " << i << ": " << v.text;
        }
    }
}

TEST(NixosModule, TypicalConfigurationWithoutLib) {
    auto h = parse(
        "# Edit this configuration file\n"
        "{ config, pkgs, ... }:\n"
        "\n"
        "{\n"
        "  imports = [ ./hardware-configuration.nix ];\n"
        "  nix.settings.trusted-users = lib.mkForce [ \"root\" \"alice\" ];\n"
        "  services.openssh.enable = true;\n"
        "  nix.buildMachines = [ { hostName = \"builder\"; system = \"x86_64-linux\"; } ];\n"
        "}\n");
    EXPECT_TRUE(h.is_function);
    EXPECT_TRUE(h.has_formals);
    ASSERT_EQ(h.formals.size(), 2u);
    EXPECT_EQ(h.formals[0].name, "config");
    EXPECT_EQ(h.formals[0].line, 2);
    EXPECT_EQ(h.formals[1].name, "pkgs");
    EXPECT_TRUE(h.has_ellipsis);
    EXPECT_FALSE(h.binds_lib);
    EXPECT_EQ(h.header_line, 2);
    EXPECT_TRUE(h.uses_lib);
    EXPECT_TRUE(h.uses_lib_select);
    EXPECT_EQ(h.first_lib_use_line, 6);
    EXPECT_EQ(h.first_lib_select_line, 6);
    EXPECT_EQ(h.first_uncovered_lib_use_line, 6);
    EXPECT_EQ(h.first_uncovered_lib_use_column, 32);
    EXPECT_FALSE(h.binds_lib_in_body);
    ASSERT_EQ(h.lib_uses.size(), 1u);
    EXPECT_EQ(h.lib_uses[0].kind, "select");
    EXPECT_FALSE(h.lib_uses[0].covered);
}

TEST(NixosModule, LibInFormals) {
    auto h = parse("{ config, lib, pkgs, ... }: { x = lib.mkDefault 1; }");
    EXPECT_TRUE(h.binds_lib);
    EXPECT_TRUE(h.uses_lib_select);
    EXPECT_FALSE(rejected_for_lib(h));
}

TEST(NixosModule, FormalsWithDefaultsAndComments) {
    auto h = parse(
        "/* header */ { # the args\n pkgs ? import <nixpkgs> { config = { }; }, lib ? pkgs.lib\n, "
        "... }\n"
        "@ args :\nargs");
    EXPECT_TRUE(h.is_function);
    ASSERT_EQ(h.formals.size(), 2u);
    EXPECT_TRUE(h.formals[0].has_default);
    EXPECT_EQ(h.formals[1].name, "lib");
    EXPECT_EQ(h.formals[1].line, 2);
    EXPECT_TRUE(h.binds_lib);
    EXPECT_EQ(h.at_binding, "args");
    EXPECT_EQ(h.header_line, 4);
    // `lib` in a default is not part of the body.
    EXPECT_FALSE(h.uses_lib);
}

TEST(NixosModule, SimpleArgument) {
    auto h = parse("args: { x = args.lib.y; }");
    EXPECT_TRUE(h.is_function);
    EXPECT_FALSE(h.has_formals);
    EXPECT_EQ(h.simple_arg, "args");
    EXPECT_FALSE(h.uses_lib);
    auto h2 = parse("lib: lib.x");
    EXPECT_TRUE(h2.binds_lib);
}

TEST(NixosModule, NotAFunction) {
    auto h = parse("{ imports = [ ./a.nix ]; x = lib.y; }");
    EXPECT_FALSE(h.is_function);
    EXPECT_FALSE(h.has_formals);
    EXPECT_TRUE(h.formals.empty());
    EXPECT_TRUE(rejected_for_lib(h));
    auto empty_set = parse("{ }");
    EXPECT_FALSE(empty_set.is_function);
    auto empty_formals = parse("{ }: { }");
    EXPECT_TRUE(empty_formals.is_function);
    EXPECT_TRUE(empty_formals.has_formals);
    auto let_file = parse("let a = 1; in { }");
    EXPECT_FALSE(let_file.is_function);
}

TEST(NixosModule, EllipsisDoesNotBindLib) {
    auto h = parse("{ ... }: { x = lib.y; }");
    EXPECT_TRUE(h.has_ellipsis);
    EXPECT_TRUE(h.formals.empty());
    EXPECT_FALSE(h.binds_lib);
    EXPECT_TRUE(rejected_for_lib(h));
}

TEST(NixosModule, ScopesReported) {
    auto h = parse(
        "{ pkgs, ... }:\nlet\n  lib = pkgs.lib;\nin\nwith pkgs;\n{\n  a = lib.x;\n  b = { lib, ... "
        "}: lib.y;\n}\n");
    ASSERT_EQ(h.lib_scopes.size(), 3u);
    EXPECT_EQ(h.lib_scopes[0].kind, "let");
    EXPECT_EQ(h.lib_scopes[0].line, 3);
    EXPECT_EQ(h.lib_scopes[1].kind, "with");
    EXPECT_EQ(h.lib_scopes[1].text, "pkgs");
    EXPECT_EQ(h.lib_scopes[2].kind, "formals");
    EXPECT_TRUE(h.binds_lib_in_body);
    EXPECT_EQ(h.first_uncovered_lib_use_line, 0);
}

TEST(NixosModule, WithLibItselfNeedsLib) {
    auto h = parse("{ pkgs, ... }: with lib; { x = mkForce 1; }");
    EXPECT_TRUE(h.binds_lib_in_body);
    EXPECT_TRUE(rejected_for_lib(h));
    ASSERT_EQ(h.lib_uses.size(), 1u);
    EXPECT_EQ(h.lib_uses[0].kind, "bare");
    EXPECT_EQ(h.lib_scopes[0].text, "lib");
}

TEST(NixosModule, WithEndsWithItsBinding) {
    auto h = parse("{ pkgs, ... }: { a = with pkgs; hello; b = lib.x; }");
    EXPECT_TRUE(rejected_for_lib(h));
    auto h2 = parse("{ pkgs, ... }: { a = (with pkgs; hello); b = [ (x: lib.x) ]; }");
    EXPECT_TRUE(rejected_for_lib(h2));
}

TEST(NixosModule, LetScopeEndsWithItsBinding) {
    auto h = parse("{ pkgs, ... }: { a = let lib = pkgs.lib; in lib.x; b = lib.y; }");
    ASSERT_EQ(h.lib_uses.size(), 2u);
    EXPECT_TRUE(h.lib_uses[0].covered);
    EXPECT_FALSE(h.lib_uses[1].covered);
    EXPECT_TRUE(rejected_for_lib(h));
}

TEST(NixosModule, PlainSetInheritFromDoesNotBind) {
    auto h = parse("{ pkgs, ... }: { inherit (pkgs) lib; x = lib.y; }");
    EXPECT_TRUE(rejected_for_lib(h));
    auto rec = parse("{ pkgs, ... }: rec { inherit (pkgs) lib; x = lib.y; }");
    EXPECT_FALSE(rejected_for_lib(rec));
}

TEST(NixosModule, UnterminatedThingsAreReported) {
    auto h = parse("{ pkgs, ... }: { x = \"abc; }");
    ASSERT_FALSE(h.errors.empty());
    EXPECT_EQ(h.errors[0].message, "unterminated \"...\" string");
    auto c = parse("{ pkgs, ... }: /* lib.x");
    ASSERT_FALSE(c.errors.empty());
    EXPECT_EQ(c.errors[0].message, "unterminated /* comment");
    EXPECT_FALSE(c.uses_lib);
    auto b = parse("{ pkgs, ... }: { x = [ 1 2 ; }");
    ASSERT_EQ(b.errors.size(), 1u);
    EXPECT_EQ(b.errors[0].message, "'[' is never closed");
    auto s = parse("{ pkgs, ... }: { } } )");
    ASSERT_EQ(s.errors.size(), 2u);
    EXPECT_EQ(s.errors[0].message, "unexpected '}'");
}

TEST(NixosModule, LinesAndColumnsAcrossStrings) {
    auto h = parse(
        "{ pkgs, ... }:\n{\n  x = ''\n    multi\n    ${pkgs.hello}\n  '';\n  y = \"a\nb\"; z = "
        "lib.q;\n}\n");
    EXPECT_EQ(h.first_lib_use_line, 8);
    EXPECT_EQ(h.first_uncovered_lib_use_column, 9);
}

TEST(NixosModule, DeepNestingStops) {
    auto h = parse("{ pkgs, ... }: " + std::string(20000, '(') + "lib.x");
    ASSERT_EQ(h.errors.size(), 1u);
    EXPECT_EQ(h.errors[0].message, "expression nested more than 10000 deep; not analysed further");
}

TEST(NixosModule, HostileInputIsLinear) {
    std::string text = "{ pkgs, ... }: ";
    for (int i = 0; i < 200000; ++i) text += "a.";
    text += "\n";
    for (int i = 0; i < 5000; ++i) text += "(";
    for (int i = 0; i < 4000; ++i) text += "{ x = lib.y; ";
    for (int i = 0; i < 100000; ++i) text += "\"${";
    text += std::string(100000, '/') + "''" + std::string(1000, '\'');
    auto h = parse(text);
    EXPECT_LE(h.lib_uses.size(), 1000u);
    EXPECT_EQ(h.lib_use_count, 4000u);
    EXPECT_FALSE(h.errors.empty());
}

}  // namespace
}  // namespace nbd::parse
