#include "nix_builder_doctor/facts/remote_path.hpp"

#include <algorithm>
#include <initializer_list>

#include "nix_builder_doctor/facts/context.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

// sshd's PATH for a session before the shell runs (Apple's build of OpenSSH, _PATH_STDPATH).
constexpr const char* kDarwinSshdPath = "/usr/bin:/bin:/usr/sbin:/sbin";
constexpr int kMaxSourceDepth = 4;
constexpr std::size_t kMaxSourcedFiles = 32;

// Text that puts Nix on the PATH: the default profile's bin (or the scripts that add it, which
// the installers source), nix-darwin's system profile, a single-user profile.
const std::vector<std::string> kNixPathMarkers = {
    "/nix/var/nix/profiles/default/bin", "profile.d/nix-daemon.sh", "profile.d/nix.sh",
    "/run/current-system/sw/bin",        ".nix-profile/bin",
};

// Directories that hold Nix's programs when they are on the PATH.
bool is_nix_directory(const std::string& dir) {
    return dir == "/nix/var/nix/profiles/default/bin" || dir == "/run/current-system/sw/bin" ||
           util::ends_with(dir, "/.nix-profile/bin") || util::starts_with(dir, "/nix/store/");
}

std::string remove_quote_characters(std::string s) {
    s.erase(std::remove(s.begin(), s.end(), '\''), s.end());
    s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
    return s;
}

std::vector<std::string> code_lines(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& raw : util::split_lines(text)) {
        const auto line = util::trim(raw);
        if (line.empty() || line[0] == '#') continue;
        out.emplace_back(line);
    }
    return out;
}

// What a chain of sourced shell files does to the PATH.
struct Scan {
    FileSystem& fs;
    std::vector<std::string> read;  // files looked at, in order ("PATH (absent)" when missing)
    std::string adds;               // the file that puts Nix on the PATH
    std::string unknown;            // why the files cannot tell
    std::size_t files = 0;

    void file(const std::string& path, int depth, bool sourced) {
        if (!adds.empty() || files >= kMaxSourcedFiles) return;
        ++files;
        const auto r = fs.read(path);
        if (r.status == parse::ReadStatus::missing) {
            read.push_back(path + " (absent)");
            // A store path the tree lacks is not a file the builder lacks.
            if (sourced && util::starts_with(path, "/nix/store/") && unknown.empty())
                unknown = "it sources " + path + ", which the tree does not hold";
            return;
        }
        read.push_back(path);
        if (r.status != parse::ReadStatus::ok) {
            if (unknown.empty())
                unknown = path + " could not be read (" + read_status_name(r.status) + ")";
            return;
        }
        if (shell_text_adds_nix(r.text)) {
            adds = path;
            return;
        }
        if (depth >= kMaxSourceDepth) return;
        for (const auto& line : code_lines(r.text)) {
            const auto words = util::split_tokens(line, " \t;");
            for (std::size_t i = 0; i + 1 < words.size(); ++i) {
                if (words[i] != "." && words[i] != "source") continue;
                const std::string target = remove_quote_characters(words[i + 1]);
                if (target.find('$') != std::string::npos ||
                    target.find('`') != std::string::npos) {
                    if (unknown.empty())
                        unknown = path + " sources " + target + ", a path the files cannot resolve";
                    continue;
                }
                if (!target.empty() && target[0] == '/') file(target, depth + 1, true);
            }
        }
    }
};

std::vector<std::string> path_directories(const std::string& path) {
    return util::split_tokens(path, ":");
}

}  // namespace

bool shell_text_adds_nix(const std::string& text) {
    for (const auto& line : code_lines(text))
        for (const auto& marker : kNixPathMarkers)
            if (line.find(marker) != std::string::npos) return true;
    return false;
}

nlohmann::json describe_remote_nix_path(FileSystem& fs, const Platform& platform,
                                        const Account* account, const parse::SshdEffective& sshd,
                                        const std::string& program_in,
                                        const std::string& remote_program) {
    std::string program = program_in;
    nlohmann::json j = {{"state", "unknown"}, {"program", program},
                        {"shell", ""},        {"files_read", nlohmann::json::array()},
                        {"path", ""},         {"why", ""},
                        {"source", "files"}};
    auto result = [&](const char* state, std::string why) {
        j["state"] = state;
        j["why"] = std::move(why);
        return j;
    };
    if (!remote_program.empty()) {
        if (remote_program[0] == '/')
            return result("not_needed",
                          "the machines entry names the program: remote-program=" + remote_program);
        program = remote_program.substr(remote_program.find_last_of('/') + 1);
        j["program"] = program;
    }
    if (!platform.is_darwin())
        return result("unknown",
                      "judged from files on macOS builders only (this builder's platform: " +
                          platform.name + ")");
    if (!sshd.force_command.value.empty())
        return result("unknown", "sshd's ForceCommand (" + sshd.force_command.origin.describe() +
                                     ") runs instead of Nix's command");
    if (!account)
        return result("unknown", "the login user is not in the builder's accounts the tree holds");

    // The PATH the shell starts with.
    std::string path = kDarwinSshdPath;
    std::string path_origin = "sshd's default";
    for (const auto& v : sshd.set_env.values)
        if (util::starts_with(v, "PATH=")) {
            path = v.substr(5);
            path_origin = "sshd_config SetEnv (" + sshd.set_env.origin.describe() + ")";
            break;
        }
    j["path"] = path;
    for (const auto& dir : path_directories(path))
        if (is_nix_directory(dir) || fs.stat(dir + "/" + program))
            return result("on_path", path_origin + " PATH has " + dir);
    if (sshd.permit_user_environment.value != "no" && !sshd.permit_user_environment.value.empty())
        return result(
            "unknown",
            "sshd's PermitUserEnvironment lets ~/.ssh/environment or authorized_keys set the PATH");

    const std::string shell =
        account->shell.empty() ? "/bin/sh" : account->shell;  // sshd: _PATH_BSHELL
    j["shell"] = shell;
    const std::string base = shell.substr(shell.find_last_of('/') + 1);
    const std::string& home = account->home;
    // A tree that lacks what every Mac has (the shell's files in /etc, the user's home) is not
    // a copy that can say a startup file is absent.
    auto has_any = [&](std::initializer_list<const char*> paths) {
        for (const char* p : paths)
            if (fs.stat(p) || fs.lstat(p)) return true;
        return false;
    };
    const bool home_present = !home.empty() && fs.stat(home) && fs.stat(home)->is_directory;
    if (base == "zsh" && !has_any({"/etc/zshrc", "/etc/zprofile"}))
        return result("unknown",
                      "the tree has neither /etc/zshrc nor /etc/zprofile, which every Mac has: "
                      "its shell files are not in it");
    if (base == "bash" && !has_any({"/etc/bashrc", "/etc/profile"}))
        return result("unknown",
                      "the tree has neither /etc/bashrc nor /etc/profile, which every Mac has: "
                      "its shell files are not in it");
    if ((base == "zsh" || base == "bash") && !home_present)
        return result("unknown",
                      "the tree does not hold " + account->name + "'s home (" + home + ")");
    Scan scan{fs, {}, {}, {}, 0};
    std::string reads;
    bool bashrc_uncertain = false;
    if (base == "zsh") {
        scan.file("/etc/zshenv", 0, false);
        const auto zshenv = fs.read("/etc/zshenv");
        if (scan.adds.empty() && zshenv.status == parse::ReadStatus::ok &&
            zshenv.text.find("ZDOTDIR") != std::string::npos) {
            if (scan.unknown.empty())
                scan.unknown =
                    "/etc/zshenv sets ZDOTDIR, so where the user's .zshenv is cannot be told";
        } else {
            scan.file(home + "/.zshenv", 0, false);
        }
        reads =
            "`zsh -c` reads only /etc/zshenv and ~/.zshenv (the Nix installer's lines in "
            "/etc/zshrc are for interactive shells)";
    } else if (base == "bash") {
        scan.file(home + "/.bashrc", 0, false);
        // Whether bash reads ~/.bashrc for sshd depends on how it was built.
        bashrc_uncertain = !scan.adds.empty();
        if (bashrc_uncertain) scan.adds.clear();
        reads =
            "`bash -c` reads no startup file (at most ~/.bashrc, depending on how bash was built; "
            "/etc/bashrc is for interactive login shells)";
    } else if (base == "sh" || base == "dash") {
        reads = "`sh -c` reads no startup file";
    } else {
        return result("unknown", "the login shell " + shell +
                                     " is not one whose startup files the doctor knows");
    }
    for (const auto& f : scan.read) j["files_read"].push_back(f);
    if (!scan.adds.empty()) return result("on_path", scan.adds + " puts Nix on the PATH");
    if (bashrc_uncertain)
        return result("unknown", home +
                                     "/.bashrc puts Nix on the PATH, but whether `bash -c` under "
                                     "sshd reads it depends on how bash was built");
    if (!scan.unknown.empty()) return result("unknown", scan.unknown);
    return result("not_on_path", "the login user " + account->name + " has the shell " + shell +
                                     ": " + reads + ", and nothing there puts Nix on " +
                                     path_origin + " PATH (" + path + ")");
}

}  // namespace nbd::facts
