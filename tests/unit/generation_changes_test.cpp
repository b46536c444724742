// generation_changes: what changes for remote builds between the running generation's Facts and
// the next one's (check --next), from two hand-written Facts documents.
#include "nix_builder_doctor/facts/generation_changes.hpp"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;

json builder(const std::string& uri, int max_jobs, json known_keys = json::array()) {
    return {{"uri", uri},
            {"entry", uri + " x86_64-linux"},
            {"file", "/etc/nix/machines"},
            {"line", 1},
            {"systems", {"x86_64-linux"}},
            {"max_jobs", max_jobs},
            {"speed_factor", 1},
            {"supported_features", json::array()},
            {"mandatory_features", json::array()},
            {"ssh_key", {{"path", "/root/.ssh/id_ed25519"}}},
            {"host_key", {{"set", false}, {"raw", ""}}},
            {"effective_user", "root"},
            {"ssh",
             {{"hostname", {{"value", "b"}}},
              {"port", {{"value", "22"}}},
              {"known_hosts", {{"keys", known_keys}}}}}};
}

json facts(json builders, json settings = json::object()) {
    return {{"builders", std::move(builders)},
            {"nix_confs", json::array({{{"settings", std::move(settings)}}})}};
}

std::vector<std::string> texts(const json& changes) {
    std::vector<std::string> out;
    for (const auto& c : changes) out.push_back(c["text"]);
    return out;
}

TEST(GenerationChanges, NothingChanges) {
    const auto f = facts(json::array({builder("ssh://a", 1)}), {{"max-jobs", {{"value", "0"}}}});
    EXPECT_TRUE(nbd::facts::generation_changes(f, f).empty());
}

TEST(GenerationChanges, BuildersAddedRemovedAndChanged) {
    const json key = {
        {"type", "ssh-ed25519"}, {"fingerprint", "SHA256:abc"}, {"marker", ""}, {"pinned", false}};
    const auto running =
        facts(json::array({builder("ssh://a", 1), builder("ssh://c", 1, json::array({key}))}));
    auto next = facts(json::array({builder("ssh://b", 2), builder("ssh://c", 4)}));
    const auto changes = nbd::facts::generation_changes(running, next);
    const std::vector<std::string> expected = {
        "builder ssh://b is added (/etc/nix/machines:1)",
        "ssh://c: max jobs 1 -> 4",
        "ssh://c: host keys root knows ssh-ed25519 SHA256:abc -> (none)",
        "builder ssh://a is removed (/etc/nix/machines:1)",
    };
    EXPECT_EQ(expected, texts(changes));
    EXPECT_EQ("builder_added", changes[0]["kind"]);
    EXPECT_EQ("ssh://b", changes[0]["builder"]);
    EXPECT_EQ("ssh://b x86_64-linux", changes[0]["next"]);
    EXPECT_TRUE(changes[0]["running"].is_null());
    EXPECT_EQ("builder_changed", changes[1]["kind"]);
    EXPECT_EQ("max_jobs", changes[1]["what"]);
    EXPECT_EQ(1, changes[1]["running"]);
    EXPECT_EQ(4, changes[1]["next"]);
    EXPECT_EQ("known_host_keys", changes[2]["what"]);
    EXPECT_EQ("builder_removed", changes[3]["kind"]);
}

TEST(GenerationChanges, TrustAndBuildersSettings) {
    const auto running = facts(json::array(), {{"trusted-users", {{"value", "root"}}},
                                               {"builders", {{"value", "@/etc/nix/machines"}}}});
    const auto next = facts(json::array(), {{"trusted-users", {{"value", "root alice"}}},
                                            {"builders-use-substitutes", {{"value", "true"}}}});
    const std::vector<std::string> expected = {
        "nix.conf no longer sets builders (was @/etc/nix/machines)",
        "nix.conf trusted-users: root -> root alice",
        "nix.conf sets builders-use-substitutes = true",
    };
    EXPECT_EQ(expected, texts(nbd::facts::generation_changes(running, next)));
}

TEST(GenerationChanges, AMissingSshKeyOrViewIsNull) {
    auto a = builder("ssh://a", 1);
    auto b = a;
    b["ssh_key"] = nullptr;
    b.erase("ssh");
    const auto changes =
        nbd::facts::generation_changes(facts(json::array({a})), facts(json::array({b})));
    std::vector<std::string> whats;
    for (const auto& c : changes) whats.push_back(c["what"]);
    const std::vector<std::string> expected = {"ssh_key", "hostname", "port"};
    EXPECT_EQ(expected, whats) << "known_host_keys: none before and after";
}

}  // namespace
