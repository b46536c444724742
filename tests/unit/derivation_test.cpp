// Tests of the ATerm derivation parser (src/parse/derivation.cpp) on .drv files that Nix 2.8
// wrote (tests/derivations/, made as SOURCES.md there says) and on hostile text: every prefix
// of a real file, bad escapes, unknown versions, huge counts.
#include "nix_builder_doctor/parse/derivation.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace nbd::parse {
namespace {

using Strings = std::vector<std::string>;

std::string read_drv(const std::string& name) {
    std::ifstream in(std::string(NBD_SOURCE_DIR) + "/tests/derivations/" + name, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    EXPECT_TRUE(in) << name;
    return s.str();
}

Derivation parsed(const std::string& name) {
    const auto text = read_drv(name);
    const auto p = parse_derivation(text, name);
    EXPECT_FALSE(p.error) << format_derivation_error(*p.error);
    EXPECT_TRUE(p.limits.empty());
    EXPECT_TRUE(p.derivation);
    return p.derivation ? *p.derivation : Derivation{};
}

// The error for `text`, as "line:column: message" (fails the test when it parses).
std::string drv_error_of(std::string_view text) {
    const auto p = parse_derivation(text, "t.drv");
    if (!p.error) {
        ADD_FAILURE() << "parsed: " << text;
        return {};
    }
    EXPECT_FALSE(p.derivation);
    return format_derivation_error(*p.error).substr(6);  // without "t.drv:"
}

const std::string kPlainOut = "/nix/store/9w1ix5fizlwpmcj9qi36hgxcms0jdzyx-nbd-plain";

TEST(Derivation, ReadsPlainDerivationFieldByField) {
    const auto d = parsed("plain.drv");
    EXPECT_EQ(d.version, "");
    ASSERT_EQ(d.outputs.size(), 1u);
    EXPECT_EQ(d.outputs[0].name, "out");
    EXPECT_EQ(d.outputs[0].path, kPlainOut);
    EXPECT_EQ(d.outputs[0].hash_algo, "");
    EXPECT_EQ(d.outputs[0].hash, "");
    EXPECT_EQ(d.outputs[0].kind, DerivationOutputKind::input_addressed);
    EXPECT_TRUE(d.input_drvs.empty());
    EXPECT_TRUE(d.input_srcs.empty());
    EXPECT_EQ(d.system, "x86_64-linux");
    EXPECT_EQ(d.builder, "/bin/sh");
    EXPECT_EQ(d.args, (Strings{"-c", "echo hello > $out"}));
    const std::vector<std::pair<std::string, std::string>> env = {{"builder", "/bin/sh"},
                                                                  {"name", "nbd-plain"},
                                                                  {"out", kPlainOut},
                                                                  {"system", "x86_64-linux"}};
    EXPECT_EQ(d.env, env);
    EXPECT_FALSE(d.structured_attrs);
    EXPECT_TRUE(d.required_system_features.empty());
    EXPECT_TRUE(features_nix_requires(d).empty());
    ASSERT_TRUE(d.env_value("name"));
    EXPECT_EQ(*d.env_value("name"), "nbd-plain");
    EXPECT_FALSE(d.env_value("nope"));
}

TEST(Derivation, ReadsRequiredSystemFeaturesAndEscapesFromEnv) {
    const auto d = parsed("features.drv");
    EXPECT_EQ(d.system, "aarch64-linux");
    // Nix wrote "kvm big-parallel"; Nix reads it as a sorted set.
    EXPECT_EQ(*d.env_value("requiredSystemFeatures"), "kvm big-parallel");
    EXPECT_EQ(d.required_system_features, (Strings{"big-parallel", "kvm"}));
    EXPECT_EQ(features_nix_requires(d), (Strings{"big-parallel", "kvm"}));
    EXPECT_EQ(*d.env_value("escapes"),
              "quote \" backslash \\ newline \n tab \t return \r dollar ${x} end");
}

TEST(Derivation, ReadsStructuredAttrsFeaturesFromJson) {
    const auto d = parsed("structured.drv");
    EXPECT_TRUE(d.structured_attrs);
    EXPECT_EQ(d.required_system_features, (Strings{"benchmark", "nixos-test"}));
    EXPECT_FALSE(d.env_value("requiredSystemFeatures"));  // only inside __json
    ASSERT_TRUE(d.env_value("__json"));
    EXPECT_EQ(d.env_value("__json")->substr(0, 36), R"({"builder":"/bin/sh","count":3,"name)");
    EXPECT_EQ(d.args[1], ". .attrs.sh; echo $name > ${outputs[out]}");
    EXPECT_EQ(d.env.size(), 2u);
}

TEST(Derivation, ReadsMultipleOutputsInputDrvsAndInputSrcs) {
    const auto d = parsed("multi.drv");
    ASSERT_EQ(d.outputs.size(), 3u);
    EXPECT_EQ(d.outputs[0].name, "dev");
    EXPECT_EQ(d.outputs[0].path, "/nix/store/yz4dc8r16w0p9c4zax1h4v6w3q966vfr-nbd-multi-dev");
    EXPECT_EQ(d.outputs[1].name, "doc");
    EXPECT_EQ(d.outputs[2].name, "out");
    EXPECT_EQ(d.outputs[2].path, "/nix/store/lcd5f854gvsqgfc7ql1jzxy0q7vffmzl-nbd-multi");
    ASSERT_EQ(d.input_drvs.size(), 1u);
    EXPECT_EQ(d.input_drvs[0].path, "/nix/store/xhfhgknnb8d2m2p3n62s8h3nfgsf2ahv-nbd-plain.drv");
    EXPECT_EQ(d.input_drvs[0].outputs, (Strings{"out"}));
    EXPECT_TRUE(d.input_drvs[0].dynamic.empty());
    const Strings srcs = {"/nix/store/y21h15jjz1mz2sz1hiyca48vnnmhp9ph-builder.sh"};
    EXPECT_EQ(d.input_srcs, srcs);
    EXPECT_EQ(d.args, srcs);
    EXPECT_EQ(d.system, "x86_64-darwin");
    EXPECT_EQ(*d.env_value("dep"), kPlainOut);
}

TEST(Derivation, ReadsFixedOutputs) {
    const auto flat = parsed("fixed.drv");
    ASSERT_EQ(flat.outputs.size(), 1u);
    EXPECT_EQ(flat.outputs[0].kind, DerivationOutputKind::fixed);
    EXPECT_EQ(flat.outputs[0].hash_algo, "sha256");
    EXPECT_EQ(flat.outputs[0].hash,
              "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    EXPECT_EQ(flat.outputs[0].path, "/nix/store/3xkfqgz5byfgcdwd4c9g14rbpx2wnnsl-nbd-fixed");
    EXPECT_TRUE(features_nix_requires(flat).empty());  // the path is known: no ca-derivations

    const auto nar = parsed("fixed-recursive.drv");
    EXPECT_EQ(nar.outputs[0].kind, DerivationOutputKind::fixed);
    EXPECT_EQ(nar.outputs[0].hash_algo, "r:sha256");
    // Nix wrote the SRI hash of fixed-recursive.nix in base 16.
    EXPECT_EQ(nar.outputs[0].hash,
              "a50a5ab6d992f5598edd92105059fae9acfc192981e08bd88534c2167e92526a");
}

TEST(Derivation, ReadsNixDynamicDerivationsForm) {
    const auto d = parsed("upstream-dyn-dep-derivation.drv");
    EXPECT_EQ(d.version, "xp-dyn-drv");
    ASSERT_EQ(d.input_drvs.size(), 1u);
    const auto& in = d.input_drvs[0];
    EXPECT_EQ(in.path, "/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-dep2.drv");
    EXPECT_EQ(in.outputs, (Strings{"cat", "dog"}));
    ASSERT_EQ(in.dynamic.size(), 2u);
    EXPECT_EQ(in.dynamic[0].output, "cat");
    EXPECT_EQ(in.dynamic[0].outputs, (Strings{"kitten"}));
    EXPECT_EQ(in.dynamic[1].output, "goose");
    EXPECT_EQ(in.dynamic[1].outputs, (Strings{"gosling"}));
    EXPECT_EQ(d.system, "wasm-sel4");
    EXPECT_EQ(*d.env_value("BIG_BAD"), "WOLF");
}

TEST(Derivation, RejectsUnknownVersionNamingIt) {
    EXPECT_EQ(drv_error_of(read_drv("upstream-bad-version.drv")),
              "1:16: unknown derivation ATerm format version 'invalid-version': only "
              "Derive(...) and DrvWithVersion(\"xp-dyn-drv\", ...) are known");
}

TEST(Derivation, RejectsDynamicEntryInPlainDerive) {
    auto text = read_drv("upstream-dyn-dep-derivation.drv");
    text.replace(0, std::string("DrvWithVersion(\"xp-dyn-drv\",").size(), "Derive(");
    EXPECT_NE(drv_error_of(text).find("has the dynamic-derivations form"), std::string::npos);
}

TEST(Derivation, WritesBackTheBytesNixWrote) {
    for (const auto* name : {"plain.drv", "features.drv", "structured.drv", "multi.drv",
                             "fixed.drv", "fixed-recursive.drv", "upstream-dyn-dep-derivation.drv"})
        EXPECT_EQ(write_derivation(parsed(name)), read_drv(name)) << name;
}

TEST(Derivation, EveryTruncationIsAnErrorWithAPosition) {
    for (const auto* name : {"multi.drv", "structured.drv", "upstream-dyn-dep-derivation.drv"}) {
        const auto text = read_drv(name);
        for (std::size_t n = 0; n < text.size(); ++n) {
            const auto p = parse_derivation(std::string_view(text).substr(0, n), name);
            ASSERT_TRUE(p.error) << name << " cut at " << n;
            EXPECT_FALSE(p.derivation);
            EXPECT_EQ(p.error->line, 1);
            EXPECT_GE(p.error->column, 1);
            EXPECT_LE(p.error->column, static_cast<int>(n) + 1);
            EXPECT_FALSE(p.error->message.empty());
        }
    }
}

TEST(Derivation, ErrorMessagesPointAtTheProblem) {
    EXPECT_EQ(drv_error_of(""),
              "1:1: not a Nix derivation: it does not start with 'Derive(' or "
              "'DrvWithVersion('");
    EXPECT_EQ(drv_error_of("Deri"), "1:1: the file ends before 'Derive(' is complete");
    EXPECT_EQ(drv_error_of("Derive([],[],[],\"x86_64-linux\""),
              "1:31: expected ',' after the system, found the end of the file");
    EXPECT_EQ(drv_error_of("Derive([],[],[],\"sys"),
              "1:17: the string for the system starting here is not closed before the end "
              "of the file");
    EXPECT_EQ(drv_error_of("Derive([],[],[],\"a\\qb\",\"b\",[],[])"),
              "1:19: unknown escape '\\q' in the system (Nix writes only \\\" \\\\ \\n \\r \\t)");
    EXPECT_EQ(drv_error_of("Derive([],[],[],\"s\",\"b\",[\"x\" \"y\"],[])"),
              "1:29: expected ',' or ']' after an entry of the builder's args, found ' '");
    EXPECT_EQ(drv_error_of("Derive([],[],[],\"s\",\"b\",[],[]) x"),
              "1:32: unexpected text after the derivation's closing ')'");
    EXPECT_EQ(drv_error_of("Derive([],[],[\"relative\"],\"s\",\"b\",[],[])"),
              "1:15: an inputSrcs path 'relative' is not an absolute path");
    EXPECT_EQ(drv_error_of("Derive([],[(\"/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-dep\",[\"out\"])"
                       "],[],\"s\",\"b\",[],[])"),
              "1:13: the inputDrvs path '/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-dep' "
              "does not end in .drv");
    EXPECT_EQ(drv_error_of("Derive([(\"out\",\"\",\"sha257\",\"ab\")],[],[],\"s\",\"b\",[],[])"),
              "1:19: output 'out' has an unknown hash algorithm 'sha257'");
    EXPECT_EQ(drv_error_of("Derive([],[],[],\"s\",\"b\",[],[(\"a\",\"1\"),(\"a\",\"2\")])"),
              "1:40: env 'a' appears twice");
    // A second line: the position counts lines too.
    EXPECT_EQ(drv_error_of("Derive([],[],[],\"s\nt\",\"b\",[],[(\"a\",\"1\")"),
              "2:21: expected ',' or ']' after an entry of the env list, found the end of the "
              "file");
    // Trailing blanks (an editor's newline) are fine; Nix writes none.
    EXPECT_TRUE(parse_derivation("Derive([],[],[],\"s\",\"b\",[],[])\n", "t").derivation);
}

TEST(Derivation, FloatingOutputsNeedCaDerivations) {
    const auto p = parse_derivation(
        "Derive([(\"out\",\"\",\"r:sha256\",\"\")],[],[],\"x86_64-linux\",\"b\",[],"
        "[(\"requiredSystemFeatures\",\" kvm\\tkvm \")])",
        "t");
    ASSERT_TRUE(p.derivation) << format_derivation_error(*p.error);
    EXPECT_EQ(p.derivation->outputs[0].kind, DerivationOutputKind::floating);
    EXPECT_EQ(p.derivation->required_system_features, (Strings{"kvm"}));
    EXPECT_EQ(features_nix_requires(*p.derivation), (Strings{"ca-derivations", "kvm"}));
}

TEST(Derivation, RejectsBadStructuredAttrs) {
    const auto with_json = [](const std::string& json) {
        return "Derive([],[],[],\"s\",\"b\",[],[(\"__json\",\"" + json + "\")])";
    };
    EXPECT_EQ(drv_error_of(with_json("{\\\"a\\\":")).substr(0, 70),
              "1:39: the structured attributes (__json) are not valid JSON: [json.exc");
    EXPECT_EQ(drv_error_of(with_json("[]")),
              "1:39: the structured attributes (__json) are not a JSON object");
    EXPECT_EQ(drv_error_of(with_json("{\\\"requiredSystemFeatures\\\":\\\"kvm\\\"}")),
              "1:39: requiredSystemFeatures in the structured attributes (__json) is not a "
              "list of strings");
    EXPECT_EQ(drv_error_of(with_json(std::string(100000, '[') + std::string(100000, ']'))),
              "1:39: the structured attributes (__json) nest deeper than 256 levels");
}

TEST(Derivation, DeepDynamicInputsAreAnErrorAndALimit) {
    std::string node = "[\"out\"]";
    for (int i = 0; i < 100; ++i) node = "([],[(\"o\"," + node + ")])";
    const auto p = parse_derivation(
        "DrvWithVersion(\"xp-dyn-drv\",[],[(\"/nix/store/"
        "c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-a.drv\"," +
            node + ")],[],\"s\",\"b\",[],[])",
        "t");
    ASSERT_TRUE(p.error);
    EXPECT_NE(p.error->message.find("nested deeper than 32 levels"), std::string::npos);
    ASSERT_EQ(p.limits.size(), 1u);
    EXPECT_EQ(p.limits[0].bound, "dynamic inputDrvs depth");
}

TEST(Derivation, HugeCountsAreCheckedButNotKept) {
    std::string args;
    for (std::size_t i = 0; i < kMaxDerivationListEntries + 10; ++i) args += i ? ",\"a\"" : "\"a\"";
    const auto p = parse_derivation("Derive([],[],[],\"s\",\"b\",[" + args + "],[])", "t.drv");
    ASSERT_TRUE(p.derivation);
    EXPECT_EQ(p.derivation->args.size(), kMaxDerivationListEntries);
    ASSERT_EQ(p.limits.size(), 1u);
    EXPECT_EQ(p.limits[0].bound, "derivation list entries");
    EXPECT_EQ(p.limits[0].value, kMaxDerivationListEntries);
    EXPECT_EQ(format_limit(p.limits[0]),
              "t.drv:1: derivation list entries bound (65536) reached: the builder's args past "
              "the 65536th were checked but not kept");
    // ... and a bad entry past the bound is still an error.
    const auto bad =
        parse_derivation("Derive([],[],[],\"s\",\"b\",[" + args + ",\"\\z\"],[])", "t");
    EXPECT_TRUE(bad.error);
}

TEST(Derivation, RefusesFilesOver64MiB) {
    const std::string big(kMaxDerivationSize + 1, ' ');
    const auto p = parse_derivation(big, "big.drv");
    ASSERT_TRUE(p.error);
    EXPECT_EQ(format_derivation_error(*p.error),
              "big.drv:1:1: the derivation is larger than 64 MiB; it was not read");
    ASSERT_EQ(p.limits.size(), 1u);
    EXPECT_EQ(p.limits[0].bound, "derivation size");
}

TEST(Derivation, RejectsOutputsNixRejects) {
    EXPECT_EQ(drv_error_of("Derive([(\"out\",\"/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-a\","
                       "\"sha256\",\"impure\")],[],[],\"s\",\"b\",[],[])"),
              "1:16: output 'out' is content-addressed without a fixed hash, so it cannot have "
              "a path before it is built");
    EXPECT_EQ(drv_error_of("Derive([(\"out\",\"\",\"\",\"\"),(\"out\",\"\",\"\",\"\")],[],[],\"s\","
                       "\"b\",[],[])"),
              "1:26: output 'out' appears twice");
    EXPECT_EQ(drv_error_of("Derive([],[(\"/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-a.drv\",[])],"
                       "[],\"s\",\"b\",[],[])"),
              "1:13: the inputDrvs entry for input derivation "
              "'/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-a.drv' names no outputs");
}

}  // namespace
}  // namespace nbd::parse
