// Every examples/<case> and tests/golden/<case> is run through the real binary, offline, and
// its error and warning findings must be exactly the case's `expected` list (info findings are
// ignored). The exit code must follow: 1 when an error is expected, else 0.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "case_runner.hpp"

namespace {

using nbd_test::all_cases;
using nbd_test::read_file;
namespace fs = std::filesystem;

class GoldenCase : public ::testing::TestWithParam<fs::path> {};

TEST_P(GoldenCase, FindingsAreExactlyTheExpectedOnes) {
    const fs::path source = GetParam();
    nbd_test::RunResult result;
    {
        const nbd_test::PreparedCase prepared(source);
        ASSERT_TRUE(prepared.ok()) << source;
        result = prepared.run_doctor("--format json");
    }
    nlohmann::json report;
    ASSERT_NO_THROW(report = nlohmann::json::parse(result.out)) << result.out;

    std::multiset<std::string> actual, expected;
    bool error_expected = false;
    const std::string expected_text = read_file(source / "expected");
    // Info findings count only in cases that expect one.
    const bool compare_info = expected_text.find("info ") != std::string::npos;
    for (const auto& f : report["findings"]) {
        if (f["severity"] == "info" && !compare_info) continue;
        actual.insert(f["severity"].get<std::string>() + " " + f["rule"].get<std::string>() +
                      (f.contains("builder") ? " " + f["builder"].get<std::string>() : ""));
    }
    std::istringstream lines(expected_text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#') continue;
        expected.insert(line);
        error_expected = error_expected || line.rfind("error ", 0) == 0;
    }
    EXPECT_EQ(expected, actual) << "case " << source << "\n" << report["findings"].dump(2);
    EXPECT_EQ(error_expected ? 1 : 0, result.exit_code);
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenCase, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                             std::string name = info.param.parent_path().filename().string() + "_" + info.param.filename().string();
                             for (auto& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name;
                         });

}  // namespace
