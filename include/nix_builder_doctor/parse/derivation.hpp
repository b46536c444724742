// Nix store derivations (`/nix/store/<hash>-<name>.drv`) in Nix's ATerm form, read without Nix
// (NixOS/nix src/libstore/derivation/aterm.cc, doc/manual/source/protocols/derivation-aterm.md):
//   Derive([outputs],[inputDrvs],[inputSrcs],"system","builder",[args],[env])
// with outputs ("name","path","hashAlgo","hash"), inputDrvs ("drvPath",["out",...]), env
// ("name","value"), strings with the escapes \" \\ \n \r \t. The dynamic-derivations form
// DrvWithVersion("xp-dyn-drv",...) is read too: there an inputDrvs entry may instead be
// ("drvPath",(["out",...],[("output",<entry>),...])), the outputs of derivations that an output
// of drvPath is. Any other version is rejected, naming it.
//
// Stricter than Nix's reader only where Nix's writer never produces the input: lists must be
// `[a,b]` (Nix also takes `[,a]` and `[a b]`), the only escapes are the five above (Nix reads
// `\q` as `q`), output and env names may not repeat (checked among the entries kept), and
// only blanks may follow the closing `)`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"

namespace nbd::parse {

inline constexpr std::size_t kMaxDerivationSize = 64u << 20;  // bytes of one .drv file
// Entries kept per list (outputs, inputDrvs, inputSrcs, args, env, an entry's output names);
// the rest is still checked but not kept, and a LimitReached says so.
inline constexpr std::size_t kMaxDerivationListEntries = 1u << 16;
// Nesting of xp-dyn-drv inputDrvs entries (Derive(...) has none); deeper is an error.
inline constexpr int kMaxDynamicInputDepth = 32;
// Nesting of arrays and objects in the structured attributes' JSON; deeper is an error.
inline constexpr int kMaxStructuredAttrsDepth = 256;

enum class DerivationOutputKind {
    input_addressed,  // path set, no hash algorithm
    deferred,         // no path, no hash algorithm (ca-derivations: known once built)
    fixed,            // hash algorithm and hash: a fixed-output derivation
    floating,         // hash algorithm only: content-addressed, path known once built
    impure,           // hash "impure"
};

struct DerivationOutput {
    std::string name;       // "out", "dev", ...
    std::string path;       // the store path; empty unless input-addressed or fixed
    std::string hash_algo;  // "" | "sha256" (flat) | "r:sha256" (recursive) | "text:sha256"
    std::string hash;       // fixed: base-16 hash; impure: "impure"; else ""
    DerivationOutputKind kind = DerivationOutputKind::input_addressed;
};

// The outputs of a derivation that an output of an input derivation is (xp-dyn-drv only).
struct DynamicDerivationInput {
    std::string output;                           // the output of the outer derivation
    std::vector<std::string> outputs;             // outputs of the derivation it is
    std::vector<DynamicDerivationInput> dynamic;  // and deeper
};

struct DerivationInput {
    std::string path;                             // /nix/store/...-name.drv
    std::vector<std::string> outputs;             // the outputs this derivation uses
    std::vector<DynamicDerivationInput> dynamic;  // xp-dyn-drv only
};

struct Derivation {
    std::string version;  // "" for Derive(...); "xp-dyn-drv" for DrvWithVersion(...)
    std::vector<DerivationOutput> outputs;
    std::vector<DerivationInput> input_drvs;
    std::vector<std::string> input_srcs;
    std::string system;  // "x86_64-linux", "builtin", ...
    std::string builder;
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;  // in file order, `__json` included
    bool structured_attrs = false;                         // env has `__json`
    // As Nix reads them (a sorted set): the JSON list `requiredSystemFeatures` in `__json` when
    // structured, else the env value split on blanks.
    std::vector<std::string> required_system_features;

    const std::string* env_value(std::string_view name) const;
};

// Where and why a derivation could not be read. `line` and `column` are 1-based byte positions
// (a .drv is one line, so the column is what points at the problem).
struct DerivationError {
    std::string file;
    int line = 1;
    int column = 1;
    std::string message;
};

// "file:line:column: message".
std::string format_derivation_error(const DerivationError& e);

struct DerivationParse {
    std::optional<Derivation> derivation;  // set exactly when `error` is not
    std::optional<DerivationError> error;
    std::vector<LimitReached> limits;  // bounds reached: what lies past them was not kept
};

DerivationParse parse_derivation(std::string_view text, std::string_view file);

// The features a builder must offer for Nix to send it this derivation: the required ones,
// plus "ca-derivations" when an output's path is not known before the build (deferred,
// floating, impure), as Nix's getRequiredSystemFeatures adds it. Sorted, no repeats.
std::vector<std::string> features_nix_requires(const Derivation& d);

// The ATerm text Nix would write for `d` (Derive(...), or DrvWithVersion(...) when `version`
// is set); parse_derivation of a file Nix wrote, written back, gives the same bytes.
std::string write_derivation(const Derivation& d);

}  // namespace nbd::parse
