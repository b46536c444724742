#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "nix_builder_doctor/facts/nix_conf_facts.hpp"
#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

constexpr const char* kDaemonSocket = "/nix/var/nix/daemon-socket/socket";
// Determinate Nix on macOS: launchd holds the daemon's socket here (determinate-nixd).
constexpr const char* kDeterminateSocket = "/var/run/nix-daemon.socket";

// The service files that start nix-daemon: launchd on macOS (the Nix installer's, which
// nix-darwin keeps, and Determinate's), systemd elsewhere (the installer links the unit from
// the default profile; NixOS links it from the store; Debian's nix-setup-systemd ships one).
struct DaemonService {
    const char* path;
    const char* manager;
    const char* label;
};
const std::vector<DaemonService> kDaemonServices = {
    {"/Library/LaunchDaemons/org.nixos.nix-daemon.plist", "launchd", "org.nixos.nix-daemon"},
    {"/Library/LaunchDaemons/systems.determinate.nix-daemon.plist", "launchd", "systems.determinate.nix-daemon"},
    {"/etc/systemd/system/nix-daemon.service", "systemd", "nix-daemon"},
    {"/etc/systemd/system/nix-daemon.socket", "systemd", "nix-daemon"},
    {"/lib/systemd/system/nix-daemon.service", "systemd", "nix-daemon"},
    {"/usr/lib/systemd/system/nix-daemon.service", "systemd", "nix-daemon"},
};

std::string restart_command(const std::string& manager, const std::string& label, const Platform& platform) {
    if (manager == "launchd") return "sudo launchctl kickstart -k system/" + label;
    if (manager == "systemd" || !platform.is_darwin()) return "sudo systemctl restart nix-daemon";
    return "sudo launchctl kickstart -k system/org.nixos.nix-daemon";
}

}  // namespace

nlohmann::json describe_daemon_service(FileSystem& fs, const Platform& platform) {
    nlohmann::json j = {{"found", false}, {"searched", nlohmann::json::array()}};
    for (const auto& s : kDaemonServices) {
        j["searched"].push_back(s.path);
        // A link into a store the tree does not hold still shows the service was installed.
        if (j["found"] == false && (fs.stat(s.path) || fs.lstat(s.path)))
            j.update({{"found", true}, {"path", s.path}, {"manager", s.manager}, {"label", s.label}});
    }
    j["restart"] = restart_command(j.value("manager", std::string()), j.value("label", std::string()), platform);
    return j;
}

namespace {

// Places nix-daemon (and a user's nix) find `ssh`: the daemon's PATH on NixOS and in the
// installers' service files, and the usual system directories.
const std::vector<std::string> kSshLocations = {
    "/run/current-system/sw/bin/ssh", "/nix/var/nix/profiles/default/bin/ssh", "/usr/bin/ssh", "/bin/ssh",
    "/usr/local/bin/ssh", "/opt/homebrew/bin/ssh", "/opt/local/bin/ssh", "/etc/profiles/per-user/root/bin/ssh",
    "/root/.nix-profile/bin/ssh", "/var/root/.nix-profile/bin/ssh"};

// Whether something accepts connections on the local daemon socket. Only for the real root:
// the socket of a tree under --root belongs to no running daemon.
bool socket_accepts(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

bool is_nixos(FileSystem& fs) {
    if (fs.stat("/etc/NIXOS")) return true;
    const auto os_release = fs.read("/etc/os-release");
    for (const auto& line : util::split_lines(os_release.text))
        if (line == "ID=nixos" || line == "ID=\"nixos\"") return true;
    return false;
}

}  // namespace

void gather_install(GatherContext& ctx) {
    auto& f = ctx.facts;
    ctx.local_nix_conf = read_nix_conf(ctx.fs);
    const auto* system = ctx.local_nix_conf.get("system");
    ctx.platform = detect_platform(ctx.fs, system ? system->value : "");
    f["platform"] = {{"name", ctx.platform.name}, {"evidence", ctx.platform.evidence}};
    ctx.accounts = Accounts::load(ctx.fs, ctx.platform);
    f["passwd_names"] = ctx.accounts.user_names();
    f["account_errors"] = ctx.accounts.errors();
    f["accounts"] = describe_accounts(ctx.accounts);
    if (!f.contains("cannot_read")) f["cannot_read"] = nlohmann::json::array();
    for (const auto& u : ctx.accounts.unusable())
        f["cannot_read"].push_back({{"path", u.path}, {"why", u.why}, {"builder", ""},
                                    {"hint", "check the record on the Mac (`plutil -lint " + u.path + "`)"}});

    // The install kind decides who runs ssh: nix-daemon (root) in a multi-user install, the
    // store's owner in a single-user one.
    nlohmann::json install;
    install["store"] = describe_file(ctx.fs, "/nix/store");
    install["daemon_service"] = describe_daemon_service(ctx.fs, ctx.platform);
    const bool has_service = install["daemon_service"]["found"].get<bool>();
    const auto store = ctx.fs.stat("/nix/store");
    if (has_service && (!store || store->uid != 0)) {
        // A service that starts nix-daemon is a multi-user install, whoever the tree's copy of
        // the store belongs to.
        install["kind"] = "multi-user";
        install["assumed"] = false;
    } else if (!store) {
        install["kind"] = "multi-user";
        install["assumed"] = true;  // no /nix in the tree: the common case (NixOS, installers)
    } else if (store->uid == 0 || has_build_users_group(ctx.local_nix_conf)) {
        // Multi-user installs own the store by root and name a build users group; a tree
        // copied by a normal user keeps the group setting even when it loses the owner.
        install["kind"] = "multi-user";
        install["assumed"] = store->uid != 0;
    } else {
        install["kind"] = "single-user";
        install["assumed"] = false;
        install["store_owner"] = ctx.accounts.user_name(store->uid);
    }
    ctx.multi_user = install["kind"] == "multi-user";

    nlohmann::json socket = {{"path", kDaemonSocket}};
    const auto socket_info = ctx.fs.lstat(kDaemonSocket);
    socket["exists"] = socket_info.has_value();
    socket["live_system"] = ctx.options.root == "/";
    // Only the machine we run on has a daemon to ask; a tree under --root has none.
    if (ctx.options.root == "/" && store) {
        bool accepts = socket_info.has_value() && socket_accepts(kDaemonSocket);
        bool exists = socket_info.has_value();
        // Determinate's launchd socket serves the same daemon.
        if (!accepts && install["daemon_service"].value("label", std::string()) == "systems.determinate.nix-daemon" &&
            ctx.fs.lstat(kDeterminateSocket)) {
            exists = true;
            accepts = socket_accepts(kDeterminateSocket);
        }
        socket["accepts"] = accepts;
        socket["state"] = !exists ? "does not exist" : accepts ? "accepts connections" : "refuses connections";
    }
    install["daemon_socket"] = socket;
    f["install"] = install;

    if (ctx.multi_user) {
        ctx.principal = "root";
        ctx.principal_uid = 0;
    } else {
        ctx.principal = install["store_owner"].get<std::string>();
        ctx.principal_uid = store->uid;
    }
    if (const auto* a = ctx.accounts.by_name(ctx.principal)) ctx.principal_home = a->home;
    else if (ctx.principal != "root") ctx.principal_home = (ctx.platform.is_darwin() ? "/Users/" : "/home/") + ctx.principal;
    else ctx.principal_home = default_root_home(ctx.platform);
    f["principal"] = {{"name", ctx.principal},
                      {"uid", ctx.principal_uid},
                      {"home", ctx.principal_home},
                      {"why", ctx.multi_user ? "nix-daemon runs ssh as root in a multi-user install"
                                             : "a single-user install runs ssh as the store's owner"}};

    nlohmann::json user = nullptr;
    if (ctx.options.user) {
        user = {{"name", *ctx.options.user}, {"exists", false}};
        const Account* a = ctx.accounts.by_name(*ctx.options.user);
        std::optional<Account> from_home;
        if (!a && !ctx.accounts.users_complete() && ctx.platform.is_darwin()) {
            // A macOS tree without its directory node: the home under /Users, owned by the
            // person, is what the files tell of them.
            const std::string home = "/Users/" + *ctx.options.user;
            if (const auto info = ctx.fs.stat(home); info && info->is_directory && info->uid != 0) {
                from_home = Account{*ctx.options.user, info->uid, info->gid, home, "", 0, {}};
                a = &*from_home;
                user["from_home_directory"] = true;
            }
        }
        if (a) {
            ctx.user = *a;
            user["exists"] = true;
            user["uid"] = a->uid;
            user["home"] = a->home;
            user["is_principal"] = a->name == ctx.principal;
            user["owns_store"] = store && store->uid == a->uid;
        }
    }
    f["user"] = user;

    const bool nixos = is_nixos(ctx.fs);
    f["nixos"] = {{"is_nixos", nixos}};
    f["nixos"]["nix_conf"] = describe_file(ctx.fs, "/etc/nix/nix.conf");

    // ssh: only decidable on a tree that holds a system (a shell at least), not a config snapshot.
    nlohmann::json ssh = {{"searched", kSshLocations}, {"found", false}};
    // A NixOS tree only has ssh under /run/current-system, which a copy of /etc never holds.
    ssh["decidable"] = (ctx.fs.stat("/bin/sh").has_value() || ctx.fs.stat("/usr/bin/env").has_value()) &&
                       (!nixos || ctx.fs.stat("/run/current-system/sw/bin").has_value());
    for (const auto& path : kSshLocations) {
        if (const auto info = ctx.fs.stat(path); info && info->is_regular) {
            ssh["found"] = true;
            ssh["path"] = path;
            break;
        }
    }
    f["ssh_binary"] = ssh;
}

}  // namespace nbd::facts
