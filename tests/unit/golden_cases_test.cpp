// Every examples/<case> and tests/golden/<case> is run through the real binary, offline, and
// its error and warning findings must be exactly the case's `expected` list (info findings are
// ignored). The exit code must follow: 1 when an error is expected, else 0.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>

namespace {

namespace fs = std::filesystem;

struct RunResult {
    int exit_code = -1;
    std::string out;
};

RunResult run(const std::string& command) {
    RunResult r;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<fs::path> all_cases() {
    std::vector<fs::path> cases;
    for (const char* dir : {"examples", "tests/golden"}) {
        const fs::path base = fs::path(NBD_SOURCE_DIR) / dir;
        if (!fs::is_directory(base)) continue;
        for (const auto& e : fs::directory_iterator(base))
            if (e.is_directory() && fs::exists(e.path() / "expected")) cases.push_back(e.path());
    }
    std::sort(cases.begin(), cases.end());
    return cases;
}

class GoldenCase : public ::testing::TestWithParam<fs::path> {};

TEST_P(GoldenCase, FindingsAreExactlyTheExpectedOnes) {
    const fs::path source = GetParam();
    const fs::path work = fs::temp_directory_path() / ("nbd-golden-" + source.filename().string() + "-" + std::to_string(::getpid()));
    fs::remove_all(work);
    // The same preparation as examples/prepare.sh: a copy with the modes git does not keep.
    const std::string copy = "cp -R '" + source.string() + "' '" + work.string() + "' && cd '" + work.string() +
                             "' && find . -type d -exec chmod 0755 {} + && find . -type f -exec chmod 0644 {} + &&" +
                             " while read -r p m; do if [ -n \"$p\" ]; then chmod \"$m\" \"$p\"; fi; done < modes" +
                             // What git cannot keep (FIFOs, devices, hundreds of generated files): the case's
                             // `setup` script makes it in the copy.
                             " && if [ -f setup ]; then sh ./setup; fi";
    ASSERT_EQ(0, std::system(copy.c_str())) << copy;
    std::string args;
    for (std::string line; const auto& l : {read_file(work / "args")}) {
        std::istringstream in(l);
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            for (auto at = line.find("@DIR@"); at != std::string::npos; at = line.find("@DIR@")) line.replace(at, 5, work.string());
            args += " '" + line + "'";
        }
    }
    const auto result = run(std::string(NBD_BINARY) + " --offline --format json --root '" + (work / "root").string() + "'" + args);
    fs::remove_all(work);
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
