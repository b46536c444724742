// explain for nixconf.ca-derivations-legacy-ssh (explain-only): the error of NixOS/nix#8957, as
// `nix copy --to ssh://remote.example` prints it with ca-derivations enabled (Nix 2.17.0).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

nlohmann::json explain_json(const std::string& log) {
    const fs::path file = fs::temp_directory_path() / ("nbd-conf-explain-" + std::to_string(::getpid()) + ".log");
    std::ofstream(file) << log;
    std::string out;
    FILE* pipe = ::popen((std::string(NBD_BINARY) + " explain --format json " + file.string()).c_str(), "r");
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    ::pclose(pipe);
    fs::remove(file);
    return nlohmann::json::parse(out);
}

TEST(ConfRulesExplain, RegisterDrvOutputOnTheLegacySshStoreIsCaDerivations) {
    const auto report =
        explain_json("error: operation 'registerDrvOutput' is not supported by store 'ssh://remote.example'\n");
    ASSERT_FALSE(report["findings"].empty()) << report.dump(2);
    EXPECT_EQ("nixconf.ca-derivations-legacy-ssh", report["findings"][0]["rule"]) << report.dump(2);
}

TEST(ConfRulesExplain, OtherUnsupportedOperationsAreNotCaDerivations) {
    const auto report = explain_json("error: operation 'addToStore' is not supported by store 'ssh://remote.example'\n");
    for (const auto& f : report["findings"]) EXPECT_NE("nixconf.ca-derivations-legacy-ssh", f["rule"]) << report.dump(2);
}

}  // namespace
