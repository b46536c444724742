// The rules that golden cases cannot show because they depend on file owners or on who runs
// the doctor: install.single-user (a store owned by another user) and doctor.cannot-read (a
// file the run may not read). Both need root to set up; they skip visibly otherwise.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct Tree {
    fs::path dir = fs::temp_directory_path() / ("nbd-install-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    static inline int counter = 0;
    Tree() { fs::create_directories(dir); }
    ~Tree() { fs::remove_all(dir); }
    void write(const std::string& path, const std::string& text, fs::perms mode = fs::perms(0644)) {
        const fs::path p = dir / path;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        fs::permissions(p, mode);
    }
};

std::string run(const std::string& command, int* exit_code) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    const int status = ::pclose(pipe);
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
}

std::vector<std::string> rules_of(const std::string& json_text) {
    std::vector<std::string> ids;
    const auto report = nlohmann::json::parse(json_text);  // kept alive for the loop
    for (const auto& f : report["findings"]) ids.push_back(f["rule"].get<std::string>());
    return ids;
}

bool has(const std::vector<std::string>& ids, const std::string& id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

TEST(InstallFacts, StoreOwnedByAnotherUserIsASingleUserInstallTheUserCannotUse) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to give /nix/store another owner";
    Tree t;
    t.write("etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n");
    t.write("etc/group", "root:x:0:\nalice:x:1000:\nbob:x:1001:\n");
    t.write("etc/nix/nix.conf", "max-jobs = auto\n");  // no build-users-group: a single-user install
    fs::create_directories(t.dir / "nix/store");
    ASSERT_EQ(0, ::chown((t.dir / "nix/store").c_str(), 1000, 1000));
    int code = 0;
    const auto bob = run(std::string(NBD_BINARY) + " --offline --format json --root " + t.dir.string() + " --user bob", &code);
    EXPECT_TRUE(has(rules_of(bob), "install.single-user")) << bob;
    EXPECT_EQ(1, code);
    // The owner herself is fine: a single-user install works for the one who owns it.
    const auto alice = run(std::string(NBD_BINARY) + " --offline --format json --root " + t.dir.string() + " --user alice", &code);
    EXPECT_FALSE(has(rules_of(alice), "install.single-user")) << alice;
    EXPECT_EQ("alice", nlohmann::json::parse(alice)["principal"]) << "the store's owner runs ssh in a single-user install";
}

TEST(InstallFacts, RootOwnedStoreIsMultiUser) {
    Tree t;
    t.write("etc/passwd", "root:x:0:0::/root:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n");
    t.write("etc/group", "root:x:0:\nbob:x:1001:\nnixbld:x:30000:\n");
    t.write("etc/nix/nix.conf", "build-users-group = nixbld\n");
    fs::create_directories(t.dir / "nix/store");
    int code = 0;
    const auto out = run(std::string(NBD_BINARY) + " --offline --format json --root " + t.dir.string() + " --user bob", &code);
    EXPECT_FALSE(has(rules_of(out), "install.single-user")) << out;
    EXPECT_EQ("root", nlohmann::json::parse(out)["principal"]);
}

TEST(InstallFacts, AFileTheRunCannotReadIsReportedNotGuessed) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the doctor as another user";
    if (std::system("command -v setpriv >/dev/null") != 0) GTEST_SKIP() << "setpriv is not installed";
    Tree t;
    t.write("etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    t.write("etc/group", "root:x:0:\nnixbld:x:30000:\n");
    t.write("etc/nix/nix.conf", "build-users-group = nixbld\n");
    t.write("etc/nix/machines", "ssh://nix@builder x86_64-linux /root/.ssh/nixbuild 1 1 - - -\n");
    t.write("root/.ssh/nixbuild", "-----BEGIN OPENSSH PRIVATE KEY-----\n", fs::perms(0600));
    fs::permissions(t.dir / "root", fs::perms(0700));
    fs::permissions(t.dir, fs::perms(0755));
    int code = 0;
    const auto out = run("setpriv --reuid=65534 --regid=65534 --clear-groups " + std::string(NBD_BINARY) +
                             " --offline --format json --root " + t.dir.string(),
                         &code);
    const auto ids = rules_of(out);
    EXPECT_TRUE(has(ids, "doctor.cannot-read")) << out;
    // What cannot be seen is not reported as missing.
    EXPECT_FALSE(has(ids, "machines.identity-missing")) << out;
    EXPECT_FALSE(has(ids, "keys.no-identity")) << out;
}

}  // namespace
