#include "nix_builder_doctor/cli/next_system.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "nix_builder_doctor/facts/generation_changes.hpp"
#include "nix_builder_doctor/probe/subprocess.hpp"
#include "nix_builder_doctor/util/strings.hpp"

extern char** environ;

namespace nbd::cli {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kNixFlakes = {"nix", "--extra-experimental-features",
                                             "nix-command flakes"};

void check_result(const std::string& path, const std::string& what) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw NextSystemError(what + ": '" + path +
                              "' does not exist (build it first: nixos-rebuild build)");
    if (!fs::is_directory(fs::path(path) / "etc", ec))
        throw NextSystemError(what + ": '" + path +
                              "' has no etc/ directory: it is not a built system (./result of "
                              "nixos-rebuild build or darwin-rebuild build, or a system profile)");
}

// The names in REF#SET (`nix eval --json --apply builtins.attrNames`); nullopt when the flake
// has no such output (or nix could not evaluate it: `error` keeps nix's last line).
std::optional<std::vector<std::string>> configuration_names(const std::string& ref,
                                                            const std::string& set,
                                                            std::string& error) {
    std::vector<std::string> argv = kNixFlakes;
    for (const char* a :
         {"eval", "--json", "--no-write-lock-file", "--apply", "builtins.attrNames"})
        argv.push_back(a);
    argv.push_back(ref + "#" + set);
    probe::Subprocess nix(argv, {}, {});
    if (!nix.started()) throw NextSystemError("--flake: cannot run nix: " + nix.start_error());
    nix.close_stdin();
    const auto deadline = probe::Clock::now() + std::chrono::minutes(10);
    const std::string out = nix.drain_stdout(16u << 20, deadline);
    const std::string messages = nix.stderr_text();
    if (nix.finish(std::chrono::milliseconds(2000)) != 0) {
        const auto lines = util::split_lines(util::trim(messages));
        error = lines.empty() ? std::string("nix eval failed") : std::string(lines.back());
        return std::nullopt;
    }
    try {
        return nlohmann::json::parse(out).get<std::vector<std::string>>();
    } catch (const std::exception&) {
        error = "nix eval printed something that is not a list of names";
        return std::nullopt;
    }
}

// Runs the user's `nix build`: stdout (the --json result) is read, stderr is nix's own.
std::string run_nix_build(const std::string& installable) {
    std::vector<std::string> args = kNixFlakes;
    for (const char* a : {"build", "--no-link", "--no-write-lock-file", "--json"})
        args.push_back(a);
    args.push_back(installable);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0)
        throw NextSystemError(std::string("--flake: pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, "nix", &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        throw NextSystemError(std::string("--flake: cannot run nix: ") + std::strerror(rc));
    }
    std::string text;
    char buffer[4096];
    while (true) {
        const ssize_t n = ::read(out[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (text.size() < (16u << 20)) text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw NextSystemError("--flake: nix build " + installable + " failed" +
                              (WIFEXITED(status)
                                   ? " (exit " + std::to_string(WEXITSTATUS(status)) + ")"
                                   : " (killed)") +
                              "; nix's messages are above");
    try {
        const auto built = nlohmann::json::parse(text);
        for (const auto& b : built)
            if (const auto path = b.value("/outputs/out"_json_pointer, std::string());
                !path.empty())
                return path;
    } catch (const std::exception&) {
    }
    throw NextSystemError("--flake: nix build " + installable + " did not print the path it built");
}

std::string build_flake(const std::string& flake, std::ostream& err, std::string& installable) {
    const auto hash = flake.rfind('#');
    const std::string ref = flake.substr(0, hash), host = flake.substr(hash + 1);
    std::vector<std::string> all_names;
    std::string set, errors;
    for (const char* candidate : {"nixosConfigurations", "darwinConfigurations"}) {
        std::string error;
        const auto names = configuration_names(ref, candidate, error);
        if (!names) {
            errors += std::string(errors.empty() ? "" : "; ") + candidate + ": " + error;
            continue;
        }
        if (std::find(names->begin(), names->end(), host) != names->end()) {
            set = candidate;
            break;
        }
        all_names.insert(all_names.end(), names->begin(), names->end());
    }
    if (set.empty()) {
        std::string message = "--flake: " + ref + " has no nixosConfigurations." + host +
                              " nor darwinConfigurations." + host;
        if (auto near = util::nearest(host, all_names))
            message += " (did you mean " + ref + "#" + *near + "?)";
        else if (!all_names.empty())
            message += " (it has " + util::join(all_names, ", ") + ")";
        else if (!errors.empty())
            message += " (" + errors + ")";
        throw NextSystemError(message);
    }
    installable = flake_toplevel_installable(ref, set, host);
    err << "nix-builder-doctor: building " << installable
        << " with nix build (this may take a while)\n";
    err.flush();
    return run_nix_build(installable);
}

}  // namespace

std::string flake_toplevel_installable(const std::string& ref, const std::string& set,
                                       const std::string& host) {
    const bool plain = std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '\'';
    });
    return ref + "#" + set + "." + (plain ? host : "\"" + host + "\"") +
           ".config.system.build.toplevel";
}

NextSystem resolve_next_system(const Options& options, std::ostream& err) {
    NextSystem system;
    if (options.flake) {
        if (options.flake->find('"') != std::string::npos)
            throw NextSystemError("--flake: a host name with \" cannot be built");
        system.store_path = build_flake(*options.flake, err, system.flake);
        system.given = system.store_path;
        system.path = system.store_path;
        check_result(system.path, "--flake: nix build printed");
        return system;
    }
    system.given = *options.next_result;
    check_result(system.given, "--next");
    std::error_code ec;
    system.path = fs::absolute(system.given, ec).lexically_normal().string();
    while (system.path.size() > 1 && system.path.back() == '/') system.path.pop_back();
    system.store_path = fs::canonical(system.given, ec).string();
    if (ec) system.store_path = system.path;
    return system;
}

nlohmann::json next_report_section(const NextSystem& system, const nlohmann::json& running,
                                   const nlohmann::json& next) {
    nlohmann::json section = {{"result", system.given}, {"store_path", system.store_path}};
    if (!system.flake.empty()) section["flake"] = system.flake;
    nlohmann::json from = nlohmann::json::array(), gone = nlohmann::json::array();
    for (const auto& f : next.value("files", nlohmann::json::array())) {
        if (!f.value("from_next", false)) continue;
        (f.value("status", std::string()) == "missing" ? gone : from)
            .push_back(f.value("path", std::string()));
    }
    section["from_next"] = from;
    section["gone"] = gone;
    section["kept"] = next.value("/next/kept"_json_pointer, nlohmann::json::array());
    section["changes"] = facts::generation_changes(running, next);
    return section;
}

}  // namespace nbd::cli
