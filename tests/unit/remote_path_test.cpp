// Whether Nix is on the PATH of `ssh builder CMD` on a macOS builder, from its files: what zsh,
// bash and sh read when sshd runs them with -c, and "unknown" wherever a file that decides is
// not in the tree.
#include "nix_builder_doctor/facts/remote_path.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;
using nbd::facts::describe_remote_nix_path;

struct Tree {
    fs::path dir = fs::temp_directory_path() /
                   ("nbd-path-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    static inline int counter = 0;
    Tree() { fs::create_directories(dir); }
    ~Tree() { fs::remove_all(dir); }
    void write(const std::string& path, const std::string& text) {
        const fs::path p = dir / path;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }
};

const nbd::facts::Platform kDarwin{"darwin", "test"};
const nbd::facts::Account kBuilder{"builder", 502, 20, "/Users/builder", "/bin/zsh", 0, {}};

nlohmann::json judge(Tree& t, const nbd::facts::Account& account = kBuilder,
                     const nbd::parse::SshdEffective& sshd = {},
                     const std::string& remote_program = "",
                     const nbd::facts::Platform& platform = kDarwin) {
    nbd::facts::RootedFileSystem rfs(t.dir.string());
    return describe_remote_nix_path(rfs, platform, &account, sshd, "nix-daemon", remote_program);
}

// What the Nix installer writes on macOS: only /etc/zshrc and /etc/bashrc. And the login
// user's home, which a tree must hold for its startup files to count as absent.
void installer_rc_files(Tree& t) {
    fs::create_directories(t.dir / "Users/builder");
    const std::string block =
        "# Nix\nif [ -e '/nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh' ]; then\n"
        "  . '/nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh'\nfi\n# End Nix\n";
    t.write("etc/zshrc", block);
    t.write("etc/bashrc", block);
}

TEST(RemoteNixPath, StockInstallWithZshIsNotOnThePath) {
    Tree t;
    installer_rc_files(t);
    const auto j = judge(t);
    EXPECT_EQ("not_on_path", j["state"]) << j.dump();
    EXPECT_EQ("/bin/zsh", j["shell"]);
    EXPECT_EQ((nlohmann::json{"/etc/zshenv (absent)", "/Users/builder/.zshenv (absent)"}),
              j["files_read"]);
    EXPECT_NE(std::string::npos,
              j["why"].get<std::string>().find("/etc/zshrc are for interactive shells"))
        << j["why"];
}

TEST(RemoteNixPath, DeterminateZshenvPutsNixOnThePath) {
    Tree t;
    installer_rc_files(t);
    t.write("etc/zshenv",
            "\n# Set up Nix only on SSH connections\n"
            "if [ -e '/nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh' ] && [ -n "
            "\"${SSH_CONNECTION:-}\" ] && [ \"${SHLVL:-0}\" -eq 1 ]; then\n"
            "    . '/nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh'\nfi\n# End Nix\n");
    EXPECT_EQ("on_path", judge(t)["state"]);
}

TEST(RemoteNixPath, NixDarwinZshenvIsFollowedIntoTheStore) {
    Tree t;
    installer_rc_files(t);
    t.write("nix/store/aaaa-etc-zshenv",
            "# /etc/zshenv: DO NOT EDIT -- this file has been generated automatically.\nif [[ -o "
            "rcs ]]; then\n"
            "  if [ -z \"${__NIX_DARWIN_SET_ENVIRONMENT_DONE-}\" ]; then\n    . "
            "/nix/store/bbbb-set-environment\n  fi\nfi\n"
            "if test -f /etc/zshenv.local; then\n  source /etc/zshenv.local\nfi\n");
    fs::create_directories(t.dir / "etc");
    fs::create_symlink("/nix/store/aaaa-etc-zshenv", t.dir / "etc/zshenv");
    // The set-environment the tree lacks: unknown, not "not on the PATH".
    auto j = judge(t);
    EXPECT_EQ("unknown", j["state"]) << j.dump();
    EXPECT_NE(std::string::npos,
              j["why"].get<std::string>().find("/nix/store/bbbb-set-environment"))
        << j["why"];
    t.write("nix/store/bbbb-set-environment",
            "export "
            "PATH=$HOME/.nix-profile/bin:/run/current-system/sw/bin:/nix/var/nix/profiles/default/"
            "bin:/usr/local/bin:/usr/bin:/bin\n");
    j = judge(t);
    EXPECT_EQ("on_path", j["state"]) << j.dump();
    EXPECT_EQ("/nix/store/bbbb-set-environment puts Nix on the PATH", j["why"]);
}

TEST(RemoteNixPath, CommentedOutLinesDoNotCount) {
    Tree t;
    installer_rc_files(t);
    t.write(
        "etc/zshenv",
        "# . /nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh\nexport LANG=en_US.UTF-8\n");
    EXPECT_EQ("not_on_path", judge(t)["state"]);
}

TEST(RemoteNixPath, APartialTreeSaysNothing) {
    Tree t;  // only /etc/nix and /etc/ssh were copied: no shell file, no home
    t.write("etc/nix/nix.conf", "build-users-group = nixbld\n");
    auto j = judge(t);
    EXPECT_EQ("unknown", j["state"]);
    EXPECT_NE(std::string::npos, j["why"].get<std::string>().find("/etc/zshrc")) << j["why"];
    installer_rc_files(t);
    fs::remove_all(t.dir / "Users");
    j = judge(t);
    EXPECT_EQ("unknown", j["state"]);
    EXPECT_EQ("the tree does not hold builder's home (/Users/builder)", j["why"]);
}

TEST(RemoteNixPath, RootsShellShReadsNothing) {
    Tree t;
    installer_rc_files(t);
    t.write("var/root/.profile", ". /nix/var/nix/profiles/default/etc/profile.d/nix-daemon.sh\n");
    const auto j = judge(t, {"root", 0, 0, "/var/root", "/bin/sh", 0, {}});
    EXPECT_EQ("not_on_path", j["state"]) << j.dump();
    EXPECT_EQ(nlohmann::json::array(), j["files_read"]);
}

TEST(RemoteNixPath, BashrcThatAddsNixLeavesItUnknown) {
    Tree t;
    installer_rc_files(t);
    const nbd::facts::Account bash_user{"builder", 502, 20, "/Users/builder", "/bin/bash", 0, {}};
    EXPECT_EQ("not_on_path", judge(t, bash_user)["state"]);
    t.write("Users/builder/.bashrc", "export PATH=/nix/var/nix/profiles/default/bin:$PATH\n");
    EXPECT_EQ("unknown", judge(t, bash_user)["state"]);
}

TEST(RemoteNixPath, SshdSetEnvAndRemoteProgramDecide) {
    Tree t;
    installer_rc_files(t);
    nbd::parse::SshdEffective sshd;
    sshd.set_env.values = {"LANG=C", "PATH=/nix/var/nix/profiles/default/bin:/usr/bin:/bin"};
    sshd.set_env.set = true;
    EXPECT_EQ("on_path", judge(t, kBuilder, sshd)["state"]);
    EXPECT_EQ("not_needed",
              judge(t, kBuilder, {}, "/nix/var/nix/profiles/default/bin/nix-daemon")["state"]);
    // A relative remote-program is looked up on the PATH like the default.
    EXPECT_EQ("not_on_path", judge(t, kBuilder, {}, "nix-daemon")["state"]);
    nbd::parse::SshdEffective forced;
    forced.force_command.value = "/usr/local/bin/nix-daemon --stdio";
    EXPECT_EQ("unknown", judge(t, kBuilder, forced)["state"]);
    nbd::parse::SshdEffective user_env;
    user_env.permit_user_environment.value = "yes";
    EXPECT_EQ("unknown", judge(t, kBuilder, user_env)["state"]);
}

TEST(RemoteNixPath, OnlyMacOSIsJudgedAndUnknownShellsStayUnknown) {
    Tree t;
    installer_rc_files(t);
    EXPECT_EQ("unknown", judge(t, kBuilder, {}, "", {"linux", "test"})["state"]);
    EXPECT_EQ(
        "unknown",
        judge(t, {"builder", 502, 20, "/Users/builder", "/opt/homebrew/bin/fish", 0, {}})["state"]);
    t.write("etc/zshenv", "export ZDOTDIR=$HOME/.config/zsh\n");
    EXPECT_EQ("unknown", judge(t)["state"]);
}

}  // namespace
