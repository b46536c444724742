#include "nix_builder_doctor/probe/ground_truth.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <string_view>

#include "nix_builder_doctor/probe/nix_wire.hpp"
#include "nix_builder_doctor/probe/subprocess.hpp"

namespace nbd::probe {
namespace {

constexpr std::uint64_t kServeMagic1 = 0x390c9deb;
constexpr std::uint64_t kServeMagic2 = 0x5452eecb;
constexpr std::uint64_t kServeClientVersion = 0x205;  // 2.5: every Nix since 2.1 answers it
constexpr std::uint64_t kWorkerMagic1 = 0x6e697863;
constexpr std::uint64_t kWorkerMagic2 = 0x6478696f;
constexpr std::uint64_t kWorkerClientVersion = 0x125;  // 1.37: version string and trust, no feature list
constexpr std::uint64_t kStderrNext = 0x6f6c6d67;
constexpr std::uint64_t kStderrLast = 0x616c7473;
constexpr std::uint64_t kStderrError = 0x63787470;
constexpr std::uint64_t kStderrStartActivity = 0x53545254;
constexpr std::uint64_t kStderrStopActivity = 0x53544f50;
constexpr std::uint64_t kStderrResult = 0x52534c54;

bool contains(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

// How long ssh may take to exit on its own: `grace`, but never past the deadline.
std::chrono::milliseconds grace_until(Clock::time_point deadline, std::chrono::milliseconds grace) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(grace, left));
}

struct Session {
    Subprocess& process;
    Clock::time_point deadline;
    const std::atomic<bool>* cancel;
    GroundTruthResult& result;

    bool read_u64(std::uint64_t& value) {
        std::string bytes;
        const auto s = process.read_stdout(8, bytes, deadline, cancel);
        result.bytes_after_started += bytes.size();
        if (s != Subprocess::Status::ok) {
            fail(s, bytes);
            return false;
        }
        value = decode_u64(bytes);
        return true;
    }
    bool read_string(std::string& value) {
        std::uint64_t length = 0;
        if (!read_u64(length)) return false;
        if (length > (1u << 20)) {
            result.outcome = "protocol_mismatch";
            result.detail = "a string of " + std::to_string(length) + " bytes where a short one was expected";
            return false;
        }
        std::string bytes;
        const auto padded = (length + 7) / 8 * 8;
        const auto s = process.read_stdout(padded, bytes, deadline, cancel);
        result.bytes_after_started += bytes.size();
        if (s != Subprocess::Status::ok) {
            fail(s, bytes);
            return false;
        }
        value = bytes.substr(0, length);
        return true;
    }
    bool write(const std::string& bytes) {
        const auto s = process.write_stdin(bytes, deadline, cancel);
        if (s != Subprocess::Status::ok) fail(s == Subprocess::Status::error ? Subprocess::Status::eof : s, "");
        return s == Subprocess::Status::ok;
    }
    void fail(Subprocess::Status s, const std::string& partial) {
        if (!result.outcome.empty()) return;
        if (s == Subprocess::Status::timeout) result.outcome = "timeout";
        else if (s == Subprocess::Status::cancelled) result.outcome = "cancelled";
        else result.outcome = "eof";
        result.unexpected_output += partial;
    }
};

// The magic answer, or the text that came instead of it (shell noise, nologin's message).
bool expect_magic(Session& s, std::uint64_t magic) {
    std::string first;
    const auto status = s.process.read_stdout(8, first, s.deadline, s.cancel);
    s.result.bytes_after_started += first.size();
    if (status == Subprocess::Status::ok && decode_u64(first) == magic) return true;
    if (status == Subprocess::Status::timeout || status == Subprocess::Status::cancelled) {
        s.fail(status, first);
        return false;
    }
    s.result.unexpected_output = first + s.process.drain_stdout(1024, std::min(s.deadline, Clock::now() + std::chrono::milliseconds(500)));
    s.result.outcome = s.result.unexpected_output.empty() ? "eof" : "protocol_mismatch";
    return false;
}

void serve_handshake(Session& s) {
    if (!s.write(encode_u64(kServeMagic1) + encode_u64(kServeClientVersion))) return;
    if (!expect_magic(s, kServeMagic2)) return;
    if (!s.read_u64(s.result.protocol_version)) return;
    // QueryValidPaths of nothing: makes the remote nix-store open its store (its daemon, for a
    // non-root user), which the handshake alone does not.
    if (!s.write(encode_u64(1) + encode_u64(0) + encode_u64(0) + encode_u64(0))) return;
    std::uint64_t count = 0;
    if (!s.read_u64(count)) return;
    s.result.outcome = count == 0 ? "ok" : "protocol_mismatch";
}

void worker_handshake(Session& s) {
    if (!s.write(encode_u64(kWorkerMagic1) + encode_u64(kWorkerClientVersion))) return;
    if (!expect_magic(s, kWorkerMagic2)) return;
    if (!s.read_u64(s.result.protocol_version)) return;
    const std::uint64_t n = std::min(s.result.protocol_version, kWorkerClientVersion);
    std::string hello;
    if ((n & 0xff) >= 14) hello += encode_u64(0);  // obsolete CPU affinity
    if ((n & 0xff) >= 11) hello += encode_u64(0);  // obsolete reserveSpace
    if (!s.write(hello)) return;
    if ((n & 0xff) >= 33 && !s.read_string(s.result.daemon_version)) return;
    if ((n & 0xff) >= 35) {
        std::uint64_t trust = 0;
        if (!s.read_u64(trust)) return;
        s.result.trusted = trust == 1 ? 1 : trust == 2 ? 0 : -1;
    }
    // The daemon's stderr stream up to STDERR_LAST: warnings, or an error when it refuses us.
    for (int messages = 0; messages < 1000; ++messages) {
        std::uint64_t type = 0;
        if (!s.read_u64(type)) return;
        if (type == kStderrLast) {
            s.result.outcome = "ok";
            return;
        }
        if (type == kStderrNext) {
            std::string text;
            if (!s.read_string(text)) return;
            continue;
        }
        if (type == kStderrError) {
            std::string first, message;
            if (!s.read_string(first)) return;
            if ((n & 0xff) >= 26) {  // Error structure: type, level, name, message, ...
                std::uint64_t level = 0;
                std::string name;
                if (!s.read_u64(level) || !s.read_string(name) || !s.read_string(message)) return;
            } else {
                message = first;
            }
            s.result.remote_error = message;
            s.result.outcome = "remote_error";
            return;
        }
        if (type == kStderrStartActivity || type == kStderrStopActivity || type == kStderrResult) {
            s.result.outcome = "ok";  // activity messages: the daemon is talking protocol
            return;
        }
        s.result.outcome = "protocol_mismatch";
        s.result.detail = "unknown message type from the daemon";
        return;
    }
}

void classify_failure(GroundTruthResult& r, const GroundTruthTarget& target) {
    const std::string& err = r.ssh_stderr;
    if (r.outcome == "protocol_mismatch" || r.outcome == "ok" || r.outcome == "timeout" || r.outcome == "cancelled") return;
    std::string program = target.remote_program.empty()
                              ? (target.protocol == RemoteProtocol::serve ? "nix-store" : "nix-daemon")
                              : target.remote_program.front();
    program = program.substr(program.find_last_of('/') + 1);
    // bash: "nix-store: command not found"; dash: "sh: 1: nix-store: not found"; zsh: "command not found: nix-store".
    if (r.started_seen && r.unexpected_output.empty() &&
        (contains(err, "command not found") || contains(err, (program + ": not found").c_str()) ||
         contains(err, (program + ": No such file or directory").c_str()))) {
        r.outcome = "nix_not_found";
        return;
    }
    if (!r.started_seen) {
        r.outcome = "ssh_failed";
        return;
    }
    if (r.outcome == "eof" && !r.unexpected_output.empty()) r.outcome = "protocol_mismatch";
    else if (r.outcome == "eof") r.outcome = "remote_error";
}

}  // namespace

namespace {

// Everything up to the remote command. ssh keeps the FIRST value of an option, so the doctor's
// own options come first and win over ssh_config, Match blocks and NIX_SSHOPTS alike; then what
// Nix passes (NIX_SSHOPTS, -i, the pinned key, -p); then `--`, so the destination can never be
// taken as an option.
std::vector<std::string> ssh_prefix(const GroundTruthTarget& t) {
    std::vector<std::string> argv = {t.ssh_program};
    argv.insert(argv.end(), forced_ssh_options().begin(), forced_ssh_options().end());
    argv.push_back("-oConnectTimeout=" + std::to_string(std::max<long long>(1, t.deadline.count() / 1000)));
    argv.push_back("-x");
    argv.insert(argv.end(), t.ssh_options.begin(), t.ssh_options.end());
    if (t.identity_file) argv.insert(argv.end(), {"-i", *t.identity_file});
    if (t.compress) argv.push_back("-C");
    if (t.pinned_known_host) {
        // Nix writes "host key" to a temporary file given as UserKnownHostsFile; the same lookup,
        // without writing anything.
        // ssh matches a plain `host KEY` line of a known_hosts file also off port 22 (what Nix
        // relies on with `-p` or an ssh_config Port), but KnownHostsCommand output only under the
        // name it searches, `[host]:port`: both names are given (%p is the port ssh uses).
        argv.push_back("-oUserKnownHostsFile=/dev/null");
        const auto space = t.pinned_known_host->find(' ');
        std::string host = t.pinned_known_host->substr(0, space), escaped;
        for (char c : host) escaped += c == '%' ? std::string("%%") : std::string(1, c);
        const std::string key = space == std::string::npos ? std::string() : t.pinned_known_host->substr(space);
        argv.push_back("-oKnownHostsCommand=/bin/echo " + escaped + ",[" + escaped + "]:%p" + key);
    }
    if (t.port) argv.push_back("-p" + std::to_string(*t.port));
    argv.push_back("--");
    argv.push_back(t.destination);
    return argv;
}

// OpenSSH 9.2 ssh's getopt string: the letters that take an argument.
bool ssh_flag_takes_argument(char c) { return std::string_view("bceilmopBDEFIJLOPQRSwW").find(c) != std::string_view::npos; }

}  // namespace

const std::vector<std::string>& forced_ssh_options() {
    static const std::vector<std::string> options = {
        "-oBatchMode=yes",                 // never a prompt
        "-oStrictHostKeyChecking=yes",     // never accept (write) an unknown key, never sign for it
        "-oCheckHostIP=no",                // would add the address's entry even for a known host
        "-oUpdateHostKeys=no",             // would add the server's other host keys
        "-oControlMaster=no",              // no master, no socket, nothing left running
        "-oControlPath=none",
        "-oControlPersist=no",
        "-oForkAfterAuthentication=no",    // -f's option form: nothing in the background
        "-oSessionType=default",           // -N's option form: the remote command runs
        "-oStdinNull=no",
        "-oTunnel=no",
        "-oPermitLocalCommand=yes",        // Nix's readiness line, as Nix asks for it
        "-oLocalCommand=echo started",
    };
    return options;
}

// Nix 2.3-2.2x (SSHMaster): the destination must not be empty or begin with '-'. Newer Nix
// (checkValidAuthority) also refuses an empty user or host and a host that begins with '-'.
// The doctor refuses what any of them refuses.
bool nix_accepts_ssh_host(const std::string& destination) {
    if (destination.empty() || destination.front() == '-') return false;
    const auto at = destination.rfind('@');
    if (at == std::string::npos) return true;
    const std::string host = destination.substr(at + 1);
    return at > 0 && !host.empty() && host.front() != '-';
}

std::string ssh_options_refusal(const std::vector<std::string>& words) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "--") return "NIX_SSHOPTS word `--` would end ssh's options before the doctor's own";
        if (w.size() < 2 || w.front() != '-')
            return "NIX_SSHOPTS word `" + w + "` is not an option: ssh would take it as the destination";
        for (std::size_t k = 1; k < w.size(); ++k) {
            const char c = w[k];
            if (std::string_view("fMSENOWGVQw").find(c) != std::string_view::npos)
                return std::string("NIX_SSHOPTS flag -") + c + " (in `" + w + "`) " +
                       (c == 'f'   ? "would leave ssh running in the background"
                        : c == 'M' ? "would start a control master that can outlive the probe"
                        : c == 'S' ? "would use a control socket (an existing master, unverified)"
                        : c == 'E' ? "would write ssh's log to a file"
                        : c == 'w' ? "would create a tunnel device"
                                   : "would make ssh do something other than run the remote command");
            if (ssh_flag_takes_argument(c)) {
                if (k + 1 == w.size()) ++i;  // the argument is the next word
                break;
            }
        }
    }
    return "";
}

std::string remote_command_refusal(const std::vector<std::string>& program, const std::optional<std::string>& store) {
    // ssh joins the remote command's words with spaces and the builder's login shell parses the
    // result: a word with shell syntax in it is a command of its own. Nix would run it too, but the
    // doctor runs no command taken from a config value. Program paths, flags and store URIs need
    // none of it (a store URI's '?' is a glob that matches only a file of that odd name).
    const auto plain = [](const std::string& word, std::string_view extra) {
        return !word.empty() && std::all_of(word.begin(), word.end(), [extra](unsigned char c) {
            return std::isalnum(c) || std::string_view("/._+-=:,@%").find(static_cast<char>(c)) != std::string_view::npos ||
                   extra.find(static_cast<char>(c)) != std::string_view::npos;
        });
    };
    for (const auto& word : program)
        if (!plain(word, ""))
            return "remote-program word `" + word + "` is not a plain program path or flag: the builder's shell would run it as a command";
    if (store && !plain(*store, "?"))
        return "remote-store `" + *store + "` is not a plain store URI: the builder's shell would run part of it as a command";
    return "";
}

std::string ground_truth_refusal(const GroundTruthTarget& t) {
    if (!nix_accepts_ssh_host(t.destination))
        return "invalid SSH host name '" + t.destination + "' (Nix refuses it; ssh would read it as an option)";
    if (auto why = remote_command_refusal(t.remote_program, t.remote_store); !why.empty()) return why;
    return ssh_options_refusal(t.ssh_options);
}

std::vector<std::string> ground_truth_argv(const GroundTruthTarget& t) {
    std::vector<std::string> argv = ssh_prefix(t);
    std::vector<std::string> program = t.remote_program;
    if (program.empty()) program = {t.protocol == RemoteProtocol::serve ? "nix-store" : "nix-daemon"};
    argv.insert(argv.end(), program.begin(), program.end());
    if (t.protocol == RemoteProtocol::serve) argv.insert(argv.end(), {"--serve", "--write"});
    else argv.push_back("--stdio");
    if (t.remote_store) argv.insert(argv.end(), {"--store", *t.remote_store});
    return argv;
}

namespace {

// The snapshot's key exchange. OpenSSH 9.x puts sntrup761x25519 first, whose key generation costs
// its client about 170 ms of CPU (most of a login's); the snapshot is the doctor's own connection,
// not Nix's, so it asks for curve25519 first when the configuration allows it: `ssh -G` gives the
// effective list for this command line (ssh_config, Match blocks, NIX_SSHOPTS), and only its order
// changes. "" when the list is left as it is.
std::string cheap_kex_first(const std::vector<std::string>& prefix, Clock::time_point deadline, const std::atomic<bool>* cancel) {
    static const std::string kCheap = "curve25519-sha256";
    std::vector<std::string> argv = prefix;
    argv.insert(argv.begin() + 1, "-G");
    Subprocess process(argv, {"DISPLAY", "SSH_ASKPASS", "SSH_AUTH_SOCK", "SSH_ASKPASS_REQUIRE"}, {"SHELL=/bin/sh"});
    if (!process.started()) return "";
    process.close_stdin();
    std::string line, list;
    while (process.read_line(line, 65536, deadline, cancel) == Subprocess::Status::ok && !line.empty())
        if (line.rfind("kexalgorithms ", 0) == 0) list = line.substr(14);
    process.finish(std::chrono::milliseconds(0));
    std::vector<std::string> names;
    for (std::size_t pos = 0; pos <= list.size() && !list.empty();) {
        const auto comma = std::min(list.find(',', pos), list.size());
        names.push_back(list.substr(pos, comma - pos));
        pos = comma + 1;
    }
    const auto cheap = std::find(names.begin(), names.end(), kCheap);
    if (names.empty() || cheap == names.end() || cheap == names.begin()) return "";
    std::string reordered = kCheap;
    for (const auto& n : names)
        if (n != kCheap) reordered += "," + n;
    return "-oKexAlgorithms=" + reordered;
}

}  // namespace

RemoteScriptResult run_remote_script(const GroundTruthTarget& target, const std::string& script, std::size_t limit,
                                     const std::atomic<bool>* cancel,
                                     const std::function<bool(std::chrono::steady_clock::time_point deadline)>& may_send) {
    RemoteScriptResult result;
    if (!ground_truth_refusal(target).empty()) return result;
    auto argv = ssh_prefix(target);
    const auto start = Clock::now();
    const auto deadline = start + target.deadline;
    // After the forced options, before everything else: ssh keeps the first value.
    if (const auto kex = cheap_kex_first(argv, deadline, cancel); !kex.empty())
        argv.insert(argv.begin() + 1 + static_cast<long>(forced_ssh_options().size()), kex);
    argv.insert(argv.end(), {"sh", "-s"});
    const auto finish = [&] {
        result.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
        return result;
    };
    Subprocess process(argv, {"DISPLAY", "SSH_ASKPASS", "SSH_AUTH_SOCK", "SSH_ASKPASS_REQUIRE"}, {"SHELL=/bin/sh"});
    if (!process.started()) return finish();
    std::string line;
    const auto login = process.read_line(line, 4096, deadline, cancel);
    if (login != Subprocess::Status::ok || line != "started") {
        result.timed_out = login == Subprocess::Status::timeout;
        process.finish(std::chrono::milliseconds(0));
        result.ssh_stderr = process.stderr_text();
        return finish();
    }
    if (may_send && !may_send(deadline)) {
        result.timed_out = Clock::now() >= deadline;
        process.finish(std::chrono::milliseconds(0));
        return finish();
    }
    if (const auto sent = process.write_stdin(script, deadline, cancel); sent != Subprocess::Status::ok) {
        result.timed_out = sent == Subprocess::Status::timeout;
        process.finish(std::chrono::milliseconds(0));
        return finish();
    }
    process.close_stdin();
    result.output = process.drain_stdout(limit, deadline);
    result.timed_out = Clock::now() >= deadline;
    result.ok = process.finish(grace_until(deadline, std::chrono::milliseconds(500))) == 0;
    result.ssh_stderr = process.stderr_text();
    return finish();
}

GroundTruthResult run_ground_truth(const GroundTruthTarget& target, const std::atomic<bool>* cancel,
                                   const std::function<void(bool logged_in)>& on_login) {
    GroundTruthResult result;
    // Tells the caller once whether ssh logged in; whatever way this returns, it hears.
    struct LoginNotice {
        const std::function<void(bool)>& on_login;
        bool told = false;
        void operator()(bool logged_in) {
            if (told || !on_login) return;
            told = true;
            on_login(logged_in);
        }
        ~LoginNotice() { (*this)(false); }
    } tell{on_login};
    if (const auto why = ground_truth_refusal(target); !why.empty()) {
        result.outcome = "refused";
        result.detail = why;
        result.stage = "";
        return result;
    }
    result.argv = ground_truth_argv(target);
    const auto start = Clock::now();
    const auto deadline = start + target.deadline;
    // As nix-daemon runs it: no display or askpass, no agent of the person running the doctor,
    // SHELL=/bin/sh for LocalCommand.
    Subprocess process(result.argv, {"DISPLAY", "SSH_ASKPASS", "SSH_AUTH_SOCK", "SSH_ASKPASS_REQUIRE"}, {"SHELL=/bin/sh"});
    if (!process.started()) {
        result.outcome = "exec_failed";
        result.detail = process.start_error();
        return result;
    }
    Session session{process, deadline, cancel, result};
    std::string line;
    const auto status = process.read_line(line, 4096, deadline, cancel);
    result.stage = "ssh";
    if (status == Subprocess::Status::ok && line == "started") {
        result.started_seen = true;
        tell(true);
        result.stage = "shell";
        if (target.protocol == RemoteProtocol::serve) serve_handshake(session);
        else worker_handshake(session);
        if (result.outcome != "timeout" && result.outcome != "cancelled") result.stage = "done";
        else if (result.bytes_after_started > 0) result.stage = "handshake";
    } else if (status == Subprocess::Status::ok || status == Subprocess::Status::eof) {
        result.unexpected_output = line;
        result.outcome = "eof";
    } else {
        session.fail(status, line);
    }
    tell(false);
    result.ssh_exit_code = process.finish(grace_until(deadline, std::chrono::milliseconds(200)));
    result.ssh_stderr = process.stderr_text();
    classify_failure(result, target);
    result.elapsed_ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    return result;
}

}  // namespace nbd::probe
