// Every wording of Nix's remote-build, remote-store and daemon-connection messages, read from the
// sources of Nix 1.11-2.35, Lix 2.90-2.95 and Determinate Nix 3.0-3.22 (tests/explain/nix-wordings.tsv):
// explain ranks the listed rule first for each example line, or names none.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/explain/analyzer.hpp"

namespace {

using namespace nbd;

struct Wording {
    int line = 0;
    std::string versions, example, first;
};

std::vector<Wording> read_wordings() {
    std::ifstream in(std::filesystem::path(NBD_SOURCE_DIR) / "tests" / "explain" / "nix-wordings.tsv");
    std::vector<Wording> out;
    int number = 0;
    bool header = true;
    for (std::string line; std::getline(in, line);) {
        ++number;
        if (line.empty() || line[0] == '#') continue;
        if (header) {
            header = false;
            continue;
        }
        std::vector<std::string> cells;
        std::istringstream fields(line);
        for (std::string cell; std::getline(fields, cell, '\t');) cells.push_back(cell);
        EXPECT_EQ(5u, cells.size()) << "nix-wordings.tsv:" << number;
        if (cells.size() != 5) continue;
        std::string example;
        for (std::size_t i = 0; i < cells[3].size(); ++i) {
            if (cells[3][i] == '\\' && i + 1 < cells[3].size() && cells[3][i + 1] == 'n') {
                example += '\n';
                ++i;
            } else {
                example += cells[3][i];
            }
        }
        out.push_back({number, cells[1], example, cells[4]});
    }
    return out;
}

TEST(ExplainWordings, EveryVersionsMessageNamesItsRule) {
    auto loaded = engine::load_builtin_rules();
    ASSERT_TRUE(loaded.errors.empty());
    std::set<std::string> ids = {"none"};
    for (const auto& r : loaded.rules) ids.insert(r.id);
    const explain::Explainer explainer(loaded.rules);
    const auto wordings = read_wordings();
    ASSERT_GE(wordings.size(), 200u);
    std::size_t named = 0;
    for (const auto& w : wordings) {
        EXPECT_TRUE(ids.count(w.first)) << "nix-wordings.tsv:" << w.line << ": no rule " << w.first;
        std::istringstream in(w.example + "\n");
        const auto result = explainer.explain(in);
        const std::string got = result.findings.empty() ? "none" : result.findings.front().finding.rule;
        EXPECT_EQ(w.first, got) << "nix-wordings.tsv:" << w.line << " (" << w.versions << "): " << w.example;
        named += w.first != "none";
    }
    // Most lines need the rest of the log; the ones that name a cause by themselves stay named.
    EXPECT_GE(named, 50u);
}

}  // namespace
