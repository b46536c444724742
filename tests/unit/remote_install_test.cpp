// install.single-user on the builder side (issue 8 item 9): a builder whose store belongs to a
// normal user (a single-user install) that the machines entry logs in as someone else. Golden
// cases cannot hold file owners, so the store is chowned here; needs root, skips otherwise.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct Trees {
    fs::path dir = fs::temp_directory_path() / ("nbd-remote-install-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    static inline int counter = 0;
    Trees() { fs::create_directories(dir); }
    ~Trees() { fs::remove_all(dir); }
    void write(const std::string& path, const std::string& text) {
        const fs::path p = dir / path;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }
};

nlohmann::json run_json(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    ::pclose(pipe);
    return nlohmann::json::parse(out);
}

// A multi-user client with one ssh:// builder logging in as `nix`; the builder's store belongs to
// `owner_uid` and its nix.conf names no build users group.
nlohmann::json check_with_builder_store_owner(Trees& t, unsigned owner_uid) {
    t.write("local/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
    t.write("local/etc/group", "root:x:0:\nalice:x:1000:\nnixbld:x:30000:\n");
    t.write("local/etc/nix/nix.conf", "build-users-group = nixbld\n");
    t.write("local/etc/nix/machines", "ssh://nix@builder x86_64-linux - 1 1 - - -\n");
    fs::create_directories(t.dir / "local/nix/store");
    t.write("builder/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nnix:x:1001:1001::/home/nix:/bin/sh\n");
    t.write("builder/etc/group", "root:x:0:\nalice:x:1000:\nnix:x:1001:\n");
    t.write("builder/etc/nix/nix.conf", "max-jobs = auto\n");
    fs::create_directories(t.dir / "builder/nix/store");
    EXPECT_EQ(0, ::chown((t.dir / "builder/nix/store").c_str(), owner_uid, owner_uid));
    return run_json(std::string(NBD_BINARY) + " --offline --format json --root " + (t.dir / "local").string() +
                    " --remote-root builder=" + (t.dir / "builder").string() + " --user alice");
}

const nlohmann::json* finding_with_rule(const nlohmann::json& report, const std::string& rule) {
    for (const auto& f : report["findings"])
        if (f["rule"] == rule) return &f;
    return nullptr;
}

TEST(RemoteInstall, BuilderStoreOwnedByAnotherUserIsASingleUserInstallTheLoginUserCannotUse) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the builder's /nix/store another owner";
    Trees t;
    const auto report = check_with_builder_store_owner(t, 1000);
    const auto* f = finding_with_rule(report, "install.single-user");
    ASSERT_NE(nullptr, f) << report.dump(2);
    EXPECT_EQ("error", (*f)["severity"]);
    EXPECT_EQ("ssh://nix@builder", (*f)["builder"]);
    const std::string message = (*f)["message"];
    EXPECT_NE(std::string::npos, message.find("the builder's /nix/store belongs to alice")) << message;
    EXPECT_NE(std::string::npos, message.find("as nix fails")) << message;
}

TEST(RemoteInstall, BuilderStoreOwnedByTheLoginUserIsFine) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the builder's /nix/store another owner";
    Trees t;
    const auto report = check_with_builder_store_owner(t, 1001);
    EXPECT_EQ(nullptr, finding_with_rule(report, "install.single-user")) << report.dump(2);
}

}  // namespace
