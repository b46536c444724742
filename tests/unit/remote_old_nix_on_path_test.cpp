// remote.old-nix-on-path decided from the live snapshot: the store schema the builder's
// /nix/var/nix/db/schema records against what the first nix-store on its PATH supports.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "nix_builder_doctor/engine/evaluator.hpp"
#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/facts/memory_filesystem.hpp"

namespace {

using namespace nbd;

std::vector<engine::Finding> run(const nlohmann::json& remote) {
    const auto loaded = engine::load_builtin_rules();
    std::vector<engine::Rule> rules;
    for (const auto& r : loaded.rules)
        if (r.id == "remote.old-nix-on-path") rules.push_back(r);
    EXPECT_EQ(1u, rules.size());
    nlohmann::json facts;
    facts["builders"] = nlohmann::json::array(
        {{{"uri", "ssh://root@old"}, {"host", "old"}, {"file", "/etc/nix/machines"}, {"line", 1}, {"remote", remote}}});
    return engine::evaluate_rules(rules, facts);
}

TEST(RemoteOldNixOnPath, FiresWhenTheStoreIsNewerThanThePathsNixStore) {
    const auto findings = run({{"nix_version", "nix-store (Nix) 1.11.16"}, {"store_schema", 10}, {"path_nix_schema_supported", 7}, {"old_nix_on_path", true}});
    ASSERT_EQ(1u, findings.size());
    EXPECT_EQ("ssh://root@old", findings[0].builder);
    EXPECT_NE(std::string::npos, findings[0].message.find("nix-store (Nix) 1.11.16")) << findings[0].message;
    EXPECT_NE(std::string::npos, findings[0].message.find("schema 10")) << findings[0].message;
}

TEST(RemoteOldNixOnPath, SilentWhenTheVersionsAgreeOrAreUnknown) {
    EXPECT_TRUE(run({{"nix_version", "nix-store (Nix) 2.18.1"}, {"store_schema", 10}, {"path_nix_schema_supported", 10}, {"old_nix_on_path", false}}).empty());
    EXPECT_TRUE(run({{"nix_version", ""}, {"store_schema", 0}, {"path_nix_schema_supported", 0}, {"old_nix_on_path", false}}).empty());
}

TEST(RemoteOldNixOnPath, TheSnapshotReadsTheStoreSchemaFile) {
    // The script asks for the schema file; its output carries it like any other file it reads.
    EXPECT_NE(std::string::npos, facts::builder_snapshot_script().find("/nix/var/nix/db/schema"));
    const auto s = facts::parse_builder_snapshot(
        "@@nbd-nix nix-store (Nix) 1.11.16\n@@nbd 644 0 0 2 regular file|/nix/var/nix/db/schema\n@@nbd-begin\nMTA=\n@@nbd-end\n@@nbd-done\n");
    ASSERT_TRUE(s.complete);
    EXPECT_EQ("nix-store (Nix) 1.11.16", s.nix_version);
    auto fs = s.fs;
    EXPECT_EQ("10", fs.read("/nix/var/nix/db/schema").text);
}

}  // namespace
