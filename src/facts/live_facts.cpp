// Live facts: every SSH builder is probed at once (bounded by --jobs), each within --timeout for
// all its stages: the libssh2 X-ray, the OpenSSH ground truth and the file snapshot side by side. The results
// become /builders/*/live and the builder's `stages`, with what they mean for the rules.
#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "nix_builder_doctor/facts/memory_filesystem.hpp"
#include "nix_builder_doctor/facts/live_text.hpp"
#include "nix_builder_doctor/facts/nix_sshopts.hpp"
#include "nix_builder_doctor/facts/producers.hpp"
#include "nix_builder_doctor/probe/build_test.hpp"
#include "nix_builder_doctor/probe/cpu_shortage.hpp"
#include "nix_builder_doctor/probe/ground_truth.hpp"
#include "nix_builder_doctor/probe/xray.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {

// The ssh command Nix runs for this builder, as a ground-truth target: destination, `-p`, `-i`
// (column 3, else `?ssh-key=`), the pinned host key (column 8, else the URI's), `-C`, the
// remote program and store (docs/store-uris.md).
probe::GroundTruthTarget ground_truth_target(const nlohmann::json& b, const parse::Machine& machine) {
    probe::GroundTruthTarget t;
    t.protocol = b["scheme"] == "ssh" ? probe::RemoteProtocol::serve : probe::RemoteProtocol::worker;
    t.destination = (machine.store.has_user ? machine.store.user + "@" : "") + machine.store.host;
    // A Nix that does not know `host:port` gives ssh the whole authority as the host name.
    if (b.value("port_misread_host", false))
        t.destination = (machine.store.has_user ? machine.store.user + "@" : "") +
                        (machine.store.bracketed_ipv6 ? "[" + machine.store.host + "]" : machine.store.host) + ":" +
                        machine.store.port_text;
    if (machine.store.port) t.port = static_cast<int>(*machine.store.port);
    if (machine.identity_file) t.identity_file = *machine.identity_file;
    if (b["host_key"].value("valid", false))
        t.pinned_known_host = machine.store.host + " " + b["host_key"]["key_line"].get<std::string>();
    if (const auto* program = machine.store.param("remote-program")) t.remote_program = util::split_tokens(*program, " ");
    if (const auto* store = machine.store.param("remote-store")) t.remote_store = *store;
    if (const auto* compress = machine.store.param("compress"))
        t.compress = *compress == "true" || *compress == "yes" || *compress == "1";
    return t;
}

namespace {

struct Job {
    bool run_truth = false;
    bool build_test = false;
    std::string build_test_refusal;  // why --build-test did not run for this builder
    bool snapshot_out_of_time = false;
    std::string machines_line;
    std::string system;
    probe::BuildTestResult build;
    bool fetch_files = false;
    probe::RemoteScriptResult snapshot;
    probe::XrayTarget xray;
    probe::GroundTruthTarget truth;
    probe::XrayResult xray_result;
    probe::GroundTruthResult truth_result;
    // The first probe ran out of time while this machine was short of CPU: its share (0..1), and
    // what to tell about the probe made again (doctor.probed-again); "" when probed once.
    double first_shortage = 0;
    std::string cpu_retry;
    std::chrono::steady_clock::time_point probes_ended;  // the X-ray, ground truth and snapshot
};

// Whether any stage of the probe ended at the deadline.
bool ran_out_of_time(const Job& job) {
    if (job.truth_result.outcome == "timeout" || job.snapshot_out_of_time) return true;
    for (const auto& st : job.xray_result.stages)
        if (st.outcome == "timeout") return true;
    return false;
}

// A probe that ran out of time while this machine's tasks waited for a CPU at least this share
// of the last half of its deadline is made again, with fewer builders at once: its timeout may
// be this machine's.
constexpr double kShortOfCpu = 0.5;

std::string percent(double share) { return std::to_string(static_cast<int>(share * 100 + 0.5)) + "%"; }

// The store schema a `nix-store --version` line's Nix reads: 7 for Nix 1.x, 10 since 2.0 (the
// version of local-store.hh's nixSchemaVersion); 0 when the line names no version.
int schema_supported(const std::string& version_line) {
    const auto close = version_line.find(") ");
    const std::string version = close == std::string::npos ? "" : version_line.substr(close + 2);
    if (version.empty() || !std::isdigit(static_cast<unsigned char>(version[0]))) return 0;
    return std::atoi(version.c_str()) >= 2 ? 10 : 7;
}

// The schema the builder's store is at (/nix/var/nix/db/schema); 0 when unknown.
int store_schema(MemoryFileSystem& fs) {
    const auto r = fs.read("/nix/var/nix/db/schema");
    if (r.status != parse::ReadStatus::ok) return 0;
    const std::string text(util::trim(r.text));
    if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::atoi(text.c_str());
}

std::vector<probe::CandidateKey> candidate_keys(const nlohmann::json& view) {
    std::vector<probe::CandidateKey> keys;
    if (view.is_null() || !view.contains("identities")) return keys;
    for (const auto& id : view["identities"]) {
        const std::string line = id.value("public_key", "");
        if (line.empty() || !id.value("exists", false)) continue;
        keys.push_back({id["path"].get<std::string>(), line, id.value("source", "")});
    }
    return keys;
}

Job make_job(const nlohmann::json& b, const parse::Machine& machine, std::chrono::milliseconds deadline) {
    Job job;
    const auto& ssh = b["ssh"];
    job.xray.host = ssh["hostname"]["value"].get<std::string>();
    job.xray.port = std::atoi(ssh["port"]["value"].get<std::string>().c_str());
    job.xray.user = ssh["user"]["value"].get<std::string>();
    job.xray.keys = candidate_keys(ssh);
    job.xray.deadline = deadline;
    // Like OpenSSH, prefer the host key types already known for this host.
    for (const auto& k : ssh["known_hosts"]["keys"]) {
        const std::string type = k.value("type", "");
        if (k["marker"] == "" && std::find(job.xray.host_key_algorithms.begin(), job.xray.host_key_algorithms.end(), type) ==
                                     job.xray.host_key_algorithms.end())
            job.xray.host_key_algorithms.push_back(type);
    }
    if (!job.xray.host_key_algorithms.empty())
        for (const auto& a : probe::kDefaultHostKeyAlgorithms)
            if (std::find(job.xray.host_key_algorithms.begin(), job.xray.host_key_algorithms.end(), a) == job.xray.host_key_algorithms.end())
                job.xray.host_key_algorithms.push_back(a);

    job.truth = ground_truth_target(b, machine);
    auto& t = job.truth;
    // ssh would write an unknown key to known_hosts under accept-new / no. The ground truth passes
    // StrictHostKeyChecking=yes first in any case (ground_truth.cpp); this is kept for the report.
    t.forbid_host_key_writes = ssh.value("accepts_unknown_host_keys", false);
    t.deadline = deadline;
    return job;
}

nlohmann::json xray_json(const probe::XrayResult& r) {
    nlohmann::json stages = nlohmann::json::object();
    nlohmann::json details = nlohmann::json::object();
    for (const auto& s : r.stages) {
        stages[s.name] = s.outcome;
        details[s.name] = s.detail;
    }
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& k : r.keys)
        keys.push_back({{"path", k.path}, {"type", k.type}, {"fingerprint", k.fingerprint}, {"verdict", k.verdict}, {"reason", k.reason}});
    return {{"stages", stages},         {"details", details},         {"banner", r.banner},
            {"addresses", r.addresses}, {"host_key_line", r.host_key_line}, {"host_key_type", r.host_key_type},
            {"host_key_fingerprint", r.host_key_fingerprint}, {"auth_methods", r.auth_methods}, {"keys", keys},
            {"completed_within_deadline", r.completed_within_deadline},
            {"stopped_stage", r.stopped_stage}, {"failure", r.failure}, {"bytes_received", r.bytes_received}};
}

nlohmann::json truth_json(const probe::GroundTruthResult& r) {
    const std::uint64_t v = r.protocol_version;
    return {{"outcome", r.outcome},
            {"detail", r.detail},
            {"ssh_exit_code", r.ssh_exit_code},
            {"ssh_stderr", r.ssh_stderr},
            {"ssh_error", util::trim(r.ssh_stderr.substr(r.ssh_stderr.rfind('\n', r.ssh_stderr.size() > 1 ? r.ssh_stderr.size() - 2 : 0) + 1))},
            {"started", r.started_seen},
            {"unexpected_output", r.unexpected_output},
            {"unexpected_output_text", describe_unexpected_output(r.unexpected_output)},
            {"protocol_version", v ? std::to_string(v >> 8) + "." + std::to_string(v & 0xff) : ""},
            {"daemon_version", r.daemon_version},
            {"trusted", r.trusted},
            {"remote_error", r.remote_error},
            {"elapsed_ms", r.elapsed_ms},
            {"command", util::join(r.argv, " ")}};
}

bool is_private_address(const std::string& address) {
    in_addr v4{};
    if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) {
        const std::uint32_t a = ntohl(v4.s_addr);
        return (a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168) ||
               (a >> 22) == (100u << 2 | 1);  // 100.64.0.0/10 (CGNAT, Tailscale)
    }
    return util::starts_with(util::to_lower(address), "fd");
}

// VPN interfaces the kernel lists (WireGuard, OpenConnect/OpenVPN tun, Tailscale, ZeroTier).
bool vpn_interface_up() {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/sys/class/net", ec)) {
        const std::string name = e.path().filename().string();
        for (const char* prefix : {"wg", "tun", "tailscale", "zt", "utun", "ppp", "nebula"})
            if (util::starts_with(name, prefix)) return true;
    }
    return false;
}

// What the presented host key means for the principal.
std::string host_key_status(const nlohmann::json& b, const std::string& presented) {
    if (presented.empty()) return "";
    const auto& known = b["ssh"]["known_hosts"]["keys"];
    bool any_plain = false;
    for (const auto& k : known) {
        if (k.value("key_line", "") != presented) continue;
        if (k["marker"] == "revoked") return "revoked";
    }
    // The X-ray negotiates the types libssh2 knows; a recorded key of another type (RSA, which
    // libssh2 1.10 cannot use) is not comparable, and OpenSSH would use that type instead.
    const std::string presented_type = presented.substr(0, presented.find(' '));
    bool other_types_only = false;
    for (const auto& k : known) {
        if (k["marker"] != "") continue;
        if (k.value("key_line", "") == presented) return "known";
        if (k.value("type", "") == presented_type) any_plain = true;
        else other_types_only = true;
    }
    const auto& pin = b["host_key"];
    if (pin.value("valid", false) && pin["key_line"] != presented && pin.value("type", "") == presented_type) return "pinned_mismatch";
    if (any_plain) return "changed";
    return other_types_only || pin.value("valid", false) ? "not_comparable" : "unknown";
}

void record(nlohmann::json& b, Job& job, bool vpn_up) {
    nlohmann::json live;
    live["xray"] = xray_json(job.xray_result);
    live["ground_truth"] = job.run_truth ? truth_json(job.truth_result) : nlohmann::json{{"outcome", "not_run"}};
    const auto& stages = live["xray"]["stages"];
    const std::string presented = job.xray_result.host_key_line;
    live["host_key_status"] = host_key_status(b, presented);

    // Keys: what the server said about each key the principal offers.
    int accepted = 0, refused = 0, unknown = 0;
    for (const auto& k : job.xray_result.keys) {
        if (k.verdict == "accepted") ++accepted;
        else if (k.verdict == "refused") ++refused;
        else ++unknown;
    }
    std::vector<std::string> summary;
    for (const auto& k : job.xray_result.keys)
        summary.push_back(k.path + ": " + k.verdict + (k.verdict == "unknown" && !k.reason.empty() ? " (" + k.reason + ")" : ""));
    live["keys_summary"] = util::join(summary, ", ");
    live["keys_accepted"] = accepted;
    live["keys_refused"] = refused;
    live["keys_unknown"] = unknown;
    const bool auth_reached = stages.value("auth_methods", "") == "ok";
    const auto& methods = job.xray_result.auth_methods;
    live["publickey_offered"] = !auth_reached || std::find(methods.begin(), methods.end(), "publickey") != methods.end();
    // Every key was asked and refused, and OpenSSH itself was refused too.
    const auto& truth = job.truth_result;
    const bool truth_denied = truth.ssh_stderr.find("Permission denied") != std::string::npos;
    live["all_keys_refused"] = auth_reached && live["publickey_offered"].get<bool>() && accepted == 0 && refused > 0 &&
                               (unknown == 0 || truth_denied);
    live["nologin"] = truth.unexpected_output.find("This account is currently not available") != std::string::npos;
    live["shell_noise"] = truth.outcome == "protocol_mismatch" && !live["nologin"].get<bool>();
    live["daemon_unreachable"] = truth.ssh_stderr.find("cannot connect to socket") != std::string::npos ||
                                 truth.ssh_stderr.find("cannot connect to daemon") != std::string::npos ||
                                 truth.remote_error.find("cannot connect to socket") != std::string::npos;
    live["untrusted"] = truth.trusted == 0;
    live["private_address_without_vpn"] = false;
    for (const auto& a : job.xray_result.addresses)
        if (is_private_address(a) && !vpn_up) live["private_address_without_vpn"] = true;
    live["vpn_hint"] = live["private_address_without_vpn"].get<bool>()
                           ? "; the address is private and no VPN interface is up here: connect the VPN (WireGuard, Tailscale, OpenConnect) first"
                           : "";
    // The two probes disagree about whether root can log in.
    const bool xray_says_in = accepted > 0;
    const bool truth_in = truth.started_seen;
    const bool truth_decided = job.run_truth && truth.outcome != "timeout" && truth.outcome != "cancelled" &&
                               truth.outcome != "exec_failed" && truth.outcome != "refused";
    live["probe_disagreement"] = "";
    // sshd answers the key query for root even under PermitRootLogin no, and refuses only the
    // signed attempt: an accepted key with OpenSSH denied, as root, is that.
    const bool as_root = job.xray.user == "root";
    live["root_login_refused"] = truth_decided && as_root && xray_says_in && !truth_in && truth_denied;
    if (live["root_login_refused"].get<bool>()) {
        // explained: not a disagreement
    } else if (truth_decided && stages.value("hostkey", "") == "ok" && xray_says_in && !truth_in && truth_denied)
        live["probe_disagreement"] = "the X-ray saw the builder accept one of the keys, but OpenSSH was refused: " +
                                     live["ground_truth"]["ssh_error"].get<std::string>();
    else if (truth_decided && truth_in && auth_reached && accepted == 0 && unknown == 0 && refused > 0)
        live["probe_disagreement"] = "OpenSSH logged in, but the X-ray saw every key refused";
    // Protocol versions below what current Nix clients accept.
    live["version_skew"] = "";
    const std::uint64_t v = truth.protocol_version;
    if (v && b["scheme"] == "ssh" && (v >> 8) == 2 && (v & 0xff) < 5)
        live["version_skew"] = "the builder's nix-store speaks serve protocol 2." + std::to_string(v & 0xff) + " (Nix 2.0); current Nix needs 2.5 or later";
    if (v && b["scheme"] != "ssh" && (v >> 8) == 1 && (v & 0xff) < 18)
        live["version_skew"] = "the builder's nix-daemon speaks protocol 1." + std::to_string(v & 0xff) + "; current Nix needs 1.18 or later";
    // What a probe did not do, and why (doctor.probe-skipped).
    std::vector<std::string> skipped;
    if (truth.outcome == "refused") skipped.push_back("the OpenSSH ground truth did not run: " + truth.detail);
    const bool accepts_unknown = b["ssh"].value("accepts_unknown_host_keys", false);
    if (job.run_truth && accepts_unknown && truth.ssh_stderr.find("Host key verification failed") != std::string::npos)
        skipped.push_back("the ground truth ran with StrictHostKeyChecking=yes and stopped at the unknown host key; under " +
                          b["ssh"].value("accepts_unknown_how", std::string("StrictHostKeyChecking accept-new")) +
                          " Nix's ssh would instead write the key to root's known_hosts on its first connection and sign in, "
                          "so nothing after the host key was probed");
    if (!job.build_test_refusal.empty()) skipped.push_back("--build-test did not run: " + job.build_test_refusal);
    if (job.snapshot_out_of_time) skipped.push_back("the builder's files were not read: the deadline was used up");
    live["probe_skipped"] = util::join(skipped, "; ");

    // A stage after the key exchange that began and did not finish (remote.stage-stalled).
    const bool kex_done = stages.value("hostkey", "") == "ok" || stages.value("kex", "") == "ok";
    const bool truth_timed_out = truth.outcome == "timeout";
    std::string stalled, stalled_detail;
    if (job.run_truth && truth_timed_out && truth.stage == "ssh" && kex_done) {
        stalled = "authentication";
        stalled_detail = "the key exchange finished, but ssh had not logged in when the deadline passed (sshd's "
                         "AuthorizedKeysCommand, PAM or a DNS lookup on the builder may hang)";
    } else if (job.run_truth && truth_timed_out && truth.stage == "shell") {
        stalled = "login shell / remote Nix start";
        stalled_detail = "ssh logged in, but not one byte came back from the login shell or from `" +
                         std::string(b["scheme"] == "ssh" ? "nix-store --serve" : "nix-daemon --stdio") +
                         "` (a shell startup file that waits, or a remote Nix that never answers)";
    } else if (job.run_truth && truth_timed_out && truth.stage == "handshake") {
        stalled = "Nix handshake";
        stalled_detail = "the remote Nix answered " + std::to_string(truth.bytes_after_started) +
                         " bytes and then stopped before the handshake was done";
    } else if (job.run_truth && truth.outcome == "ssh_failed" && !truth.started_seen && kex_done &&
               truth.ssh_stderr.find("Permission denied") == std::string::npos &&
               truth.ssh_stderr.find("Host key verification failed") == std::string::npos &&
               (truth.ssh_stderr.find("Connection closed") != std::string::npos ||
                truth.ssh_stderr.find("Connection reset") != std::string::npos)) {
        stalled = "authentication";
        stalled_detail = "the builder closed the connection after the key exchange, before ssh logged in";
    } else if (!job.run_truth && stages.value("auth_methods", "") == "timeout") {
        stalled = "authentication";
        stalled_detail = "the server did not answer the authentication request within the deadline";
    }
    live["stalled_stage"] = stalled;
    live["stalled_detail"] = stalled_detail;
    live["cpu_retry"] = job.cpu_retry;
    b["live"] = live;

    // The builder's stages for the report: the X-ray's, then the ground truth's protocol stage.
    nlohmann::json out = stages;
    if (job.run_truth) out["nix"] = truth.outcome;
    b["stages"] = out;
    // How long each stage took, for people and for fleet metrics (JSON v1's stage_ms).
    nlohmann::json ms = nlohmann::json::object();
    for (const auto& st : job.xray_result.stages) ms[st.name] = st.elapsed_ms;
    if (job.run_truth) ms["nix"] = truth.elapsed_ms;
    if (!job.snapshot.output.empty() || job.snapshot.elapsed_ms > 0) ms["snapshot"] = job.snapshot.elapsed_ms;
    b["stage_ms"] = ms;
    // "ok" needs both probes through: every X-ray stage passed, and OpenSSH spoke Nix's protocol.
    bool xray_ok = !job.xray_result.stages.empty();
    for (const auto& st : job.xray_result.stages) xray_ok = xray_ok && (st.outcome == "ok" || st.outcome == "skipped");
    b["probed"] = xray_ok && live["keys_accepted"].get<int>() + live["keys_unknown"].get<int>() > 0 &&
                  (!job.run_truth || truth.outcome == "ok");
}

// Builders probed at once. The work is mostly waiting on the network: --jobs 0 (auto) probes up
// to kAutoJobs builders at once. Each costs about kFdsPerBuilder descriptors (the ground truth's
// and the snapshot's ssh with three pipes each, the X-ray's socket, pipes being set up) and three
// threads, so the open-file limit caps it too, also under an explicit --jobs.
constexpr std::size_t kAutoJobs = 64;
constexpr std::size_t kFdsPerBuilder = 16;
constexpr std::size_t kFdsReserved = 64;

std::size_t worker_count(int requested, std::size_t builders) {
    std::size_t by_fds = 1024;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        by_fds = limit.rlim_cur > kFdsReserved + kFdsPerBuilder ? (limit.rlim_cur - kFdsReserved) / kFdsPerBuilder : 1;
    const std::size_t wanted = requested > 0 ? static_cast<std::size_t>(requested) : kAutoJobs;
    return std::max<std::size_t>(1, std::min({wanted, builders, by_fds}));
}

// At most this many builders of one host:port are probed at once, each with up to three
// connections: under sshd's MaxStartups 10 (unauthenticated connections it starts dropping at),
// whatever the number of workers.
constexpr std::size_t kPerHost = 3;

// Whether the ground truth's ssh logged in, for the snapshot waiting to send its script.
class LoginSignal {
public:
    void set(bool logged_in) {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_state == State::unknown) m_state = logged_in ? State::in : State::out;
        }
        m_changed.notify_all();
    }
    // True once the ground truth logged in; false when it did not, on cancel, or at `until`.
    bool wait(std::chrono::steady_clock::time_point until, const std::atomic<bool>* cancel) {
        std::unique_lock<std::mutex> lock(m_mutex);
        while (m_state == State::unknown) {
            const auto now = std::chrono::steady_clock::now();
            if ((cancel && cancel->load()) || now >= until) return false;
            m_changed.wait_until(lock, std::min(until, now + std::chrono::milliseconds(100)));  // to see a cancel
        }
        return m_state == State::in;
    }

private:
    enum class State { unknown, in, out };
    std::mutex m_mutex;
    std::condition_variable m_changed;
    State m_state = State::unknown;
};

// Hands builders to the workers (not more than kPerHost of one host at once) and tells the
// progress hook, under one mutex, when a builder starts and ends, and on a tick while waiting.
class Schedule {
public:
    // Hands out the jobs numbered in `which`, in that order. The progress counts every job: those
    // not in `which` (a second pass re-probes a few) are done already.
    Schedule(const std::vector<Job>& jobs, const nlohmann::json& builders, const std::vector<std::size_t>& indexes,
             const std::vector<std::size_t>& which, std::function<void(const LiveProgress&)> progress)
        : m_progress(std::move(progress)), m_started(jobs.size()), m_done_before(jobs.size() - which.size()), m_total(which.size()) {
        for (std::size_t j = 0; j < jobs.size(); ++j) {
            m_endpoint.push_back(jobs[j].xray.host + ":" + std::to_string(jobs[j].xray.port));
            m_name.push_back(builders[indexes[j]].value("host", jobs[j].xray.host));
        }
        m_pending.assign(which.begin(), which.end());
    }
    // The next builder to probe; false when none is left.
    bool next(std::size_t& job) {
        std::unique_lock<std::mutex> lock(m_mutex);
        while (true) {
            if (m_pending.empty()) return false;
            for (auto it = m_pending.begin(); it != m_pending.end(); ++it)
                if (m_in_flight[m_endpoint[*it]] < kPerHost) {
                    job = *it;
                    m_pending.erase(it);
                    ++m_in_flight[m_endpoint[job]];
                    m_started[job] = std::chrono::steady_clock::now();
                    m_running.push_back(job);
                    tell();
                    return true;
                }
            m_changed.wait(lock);  // every pending builder's host is busy: wait for one to end
        }
    }
    void finished(std::size_t job) {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            --m_in_flight[m_endpoint[job]];
            m_running.erase(std::find(m_running.begin(), m_running.end(), job));
            ++m_done;
            tell();
        }
        m_changed.notify_all();
    }
    // Returns when every builder is done; meanwhile the progress hook hears every 250 ms.
    void wait_all_done() {
        std::unique_lock<std::mutex> lock(m_mutex);
        while (m_done < m_total) {
            if (m_progress) {
                m_changed.wait_for(lock, std::chrono::milliseconds(250));
                tell();
            } else {
                m_changed.wait(lock);
            }
        }
    }

private:
    void tell() {
        if (!m_progress) return;
        LiveProgress p;
        p.done = m_done_before + m_done;
        p.total = m_done_before + m_total;
        for (const auto j : m_running) p.running.push_back({m_name[j], m_started[j]});  // oldest first
        m_progress(p);
    }
    std::function<void(const LiveProgress&)> m_progress;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::size_t> m_pending;
    std::vector<std::string> m_endpoint, m_name;
    std::map<std::string, std::size_t> m_in_flight;
    std::vector<std::chrono::steady_clock::time_point> m_started;
    std::vector<std::size_t> m_running;
    std::size_t m_done_before = 0;
    std::size_t m_total = 0;
    std::size_t m_done = 0;
};

// NIX_SSHOPTS as the running nix-daemon sees it (its environment, not ours): the daemon is the
// process that runs ssh. Readable only as root on the real root; empty otherwise.
// Split as the local Nix splits it (nix_sshopts.cpp); the split and any note go to /ground_truth.
std::vector<std::string> daemon_ssh_options(GatherContext& ctx) {
    auto& truth = ctx.facts["ground_truth"];
    truth["daemon_nix_sshopts_split"] = "";
    truth["daemon_nix_sshopts_note"] = "";
    if (ctx.options.root != "/" || ::geteuid() != 0) return {};
    for (const auto& entry : ctx.fs.list_directory("/proc")) {
        if (entry.find_first_not_of("0123456789") != std::string::npos) continue;
        if (util::trim(ctx.fs.read("/proc/" + entry + "/comm").text) != "nix-daemon") continue;
        const std::string environ = ctx.fs.read("/proc/" + entry + "/environ").text;
        for (const auto& variable : util::split_fields(environ, '\0'))
            if (util::starts_with(variable, "NIX_SSHOPTS=")) {
                const auto& local = ctx.facts["machines"]["local_nix"];
                auto split = split_nix_sshopts(variable.substr(12), local.value("flavor", std::string()),
                                               local.value("version", std::string()));
                truth["daemon_nix_sshopts_split"] = split.method;
                truth["daemon_nix_sshopts_note"] = split.note;
                return split.words;
            }
        return {};
    }
    return {};
}

// The first value NIX_SSHOPTS gives the -o option `key` (lower-case), as ssh keeps it; "" when unset.
std::string sshopts_value(const std::vector<std::string>& words, const std::string& key) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string o = words[i];
        if (o == "-o" && i + 1 < words.size()) o = words[++i];
        else if (util::starts_with(o, "-o")) o = o.substr(2);
        else continue;
        const auto eq = o.find_first_of("= ");
        if (util::to_lower(o.substr(0, eq)) == key) return eq == std::string::npos ? "" : util::to_lower(util::trim(o.substr(eq + 1)));
    }
    return "";
}

// Why the real `nix-build` through the daemon must not run for this builder ("" when it may):
// the daemon's ssh runs with the daemon's NIX_SSHOPTS and root's ssh_config, and none of the
// doctor's own options, so it could teach root a host key, sign for an unverified host or leave
// a control master behind.
std::string build_test_refusal(const nlohmann::json& b, const std::vector<std::string>& daemon_sshopts) {
    if (const auto why = probe::ssh_options_refusal(daemon_sshopts); !why.empty()) return "the daemon's " + why;
    for (std::size_t i = 0; i < daemon_sshopts.size(); ++i) {
        std::string o = daemon_sshopts[i];
        if (o == "-o" && i + 1 < daemon_sshopts.size()) o = daemon_sshopts[++i];
        else if (util::starts_with(o, "-o")) o = o.substr(2);
        else continue;
        const auto eq = o.find_first_of("= ");
        const std::string key = util::to_lower(o.substr(0, eq));
        const std::string value = eq == std::string::npos ? "" : util::to_lower(util::trim(o.substr(eq + 1)));
        const bool writes = (key == "stricthostkeychecking" && value != "yes" && value != "ask" && value != "true") ||
                            (key == "checkhostip" && value != "no") || (key == "updatehostkeys" && value != "no") ||
                            (key == "controlmaster" && value != "no") || (key == "controlpersist" && value != "no") ||
                            (key == "controlpath" && value != "none") || key == "forkafterauthentication";
        if (writes)
            return "the daemon's NIX_SSHOPTS has -o" + o +
                   " (its ssh could write root's known_hosts, accept an unverified host or leave a control master running)";
    }
    const bool pinned = b["host_key"].value("valid", false);
    const auto& ssh = b["ssh"];
    if (!pinned && ssh.value("accepts_unknown_host_keys", false) && !ssh["known_hosts"].value("has_key", false))
        return ssh.value("accepts_unknown_how", std::string("StrictHostKeyChecking accept-new")) +
               " and no known key for the builder: the daemon's ssh would write the builder's key to root's known_hosts "
               "and sign in without verifying it";
    const std::string cm = ssh["control_master"].value("value", std::string("no"));
    if (cm != "no" && cm != "false" && !cm.empty())
        return "ControlMaster " + cm + " (" + ssh["control_master"].value("origin", std::string("ssh_config")) +
               "): the daemon's ssh could create a control socket and leave a master running";
    if (!pinned) {
        const std::string uhk = ssh["update_host_keys"].value("value", std::string(""));
        if (uhk != "no" && uhk != "false")
            return "UpdateHostKeys " + (uhk.empty() ? std::string("yes (OpenSSH's default)") : uhk) +
                   " and no pinned key (machines column 8): the daemon's ssh may add the builder's other host keys to "
                   "root's known_hosts";
    }
    return "";
}

// With --next: the first file OpenSSH reads that the next generation changes ("" when none). The
// real ssh would read the running system's, so it cannot stand for the next one.
std::string next_generation_ssh_change(GatherContext& ctx) {
    if (!ctx.next) return "";
    std::vector<std::string> paths = {"/etc/ssh/ssh_config", "/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"};
    for (auto* fs : {static_cast<FileSystem*>(ctx.next), &ctx.next->running()})
        for (const auto& p : fs->glob("/etc/ssh/ssh_config.d/*")) paths.push_back(p);
    for (const auto& p : paths)
        if (ctx.next->differs_from_running(p)) return p;
    return "";
}

}  // namespace

void gather_live(GatherContext& ctx) {
    auto& builders = ctx.facts["builders"];
    const auto deadline = std::chrono::milliseconds(static_cast<long long>(ctx.options.timeout_seconds * 1000));
    const std::string next_ssh_change = next_generation_ssh_change(ctx);
    const bool truth_possible = ctx.options.root == "/" && ::geteuid() == ctx.principal_uid && next_ssh_change.empty();
    ctx.facts["ground_truth"] = {{"ran", truth_possible},
                                 {"why_not", truth_possible ? ""
                                             : ctx.options.root != "/" ? "--root: OpenSSH would read this machine's files, not the tree's"
                                             : !next_ssh_change.empty()
                                                 ? "--next: the next generation changes " + next_ssh_change +
                                                       ", and OpenSSH would read the running system's"
                                                 : "not running as " + ctx.principal + ": run with sudo"}};
    const auto sshopts = daemon_ssh_options(ctx);
    ctx.facts["ground_truth"]["daemon_nix_sshopts"] = util::join(sshopts, " ");
    // NIX_SSHOPTS come before ssh_config: the daemon's StrictHostKeyChecking wins over the files'.
    const std::string daemon_strict = sshopts_value(sshopts, "stricthostkeychecking");
    if (daemon_strict == "accept-new" || daemon_strict == "no" || daemon_strict == "off")
        for (auto& b : builders) {
            if (!b.value("is_ssh", false) || !b.contains("ssh")) continue;
            b["ssh"]["accepts_unknown_host_keys"] = true;
            b["ssh"]["accepts_unknown_how"] = "StrictHostKeyChecking=" + daemon_strict + " (the nix-daemon's NIX_SSHOPTS)";
            b["host_key_unknown_to_principal"] = false;
        }
    std::vector<std::size_t> indexes;
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < builders.size(); ++i) {
        if (!builders[i].value("is_ssh", false) || !builders[i].contains("ssh")) continue;
        if (!builders[i].value("selected", true)) continue;  // --builder named others
        indexes.push_back(i);
        jobs.push_back(make_job(builders[i], ctx.machines[i], deadline));
        // OpenSSH reads the files of the account it runs as: only the principal's run, on the
        // real root, is the daemon's truth.
        jobs.back().run_truth = truth_possible;
        jobs.back().truth.ssh_options = sshopts;
        jobs.back().build_test = ctx.options.build_test;
        if (ctx.options.build_test) jobs.back().build_test_refusal = build_test_refusal(builders[i], sshopts);
        jobs.back().machines_line = builders[i]["entry"];
        jobs.back().system = builders[i]["systems"].empty() ? std::string("x86_64-linux") : builders[i]["systems"][0].get<std::string>();
        jobs.back().fetch_files = truth_possible && !builders[i].contains("remote");
    }
    const std::size_t workers = worker_count(ctx.options.jobs, jobs.size());
    // The snapshots' memory together stays where 16 workers of 24 MiB each put it.
    const std::size_t snapshot_limit = std::max<std::size_t>(4u << 20, std::min<std::size_t>(24u << 20, (384u << 20) / workers));
    auto probe_builder = [&](Job& job) {
        job.snapshot = {};
        job.snapshot_out_of_time = false;
        job.build = {};
        // One budget for the whole builder: the X-ray, the ground truth and the file
        // snapshot side by side. The snapshot's ssh logs in while the ground truth's does, and
        // sends its script only once the ground truth has logged in (never otherwise).
        const auto job_deadline = std::chrono::steady_clock::now() + deadline;
        LoginSignal login;
        std::thread truth, snapshot;
        if (job.run_truth)
            truth = std::thread([&job, &ctx, &login] {
                job.truth_result = probe::run_ground_truth(job.truth, ctx.options.cancel, [&login](bool in) { login.set(in); });
            });
        if (job.fetch_files && job.run_truth)
            snapshot = std::thread([&job, &ctx, &login, job_deadline, snapshot_limit] {
                auto target = job.truth;
                target.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(job_deadline - std::chrono::steady_clock::now());
                job.snapshot = probe::run_remote_script(
                    target, builder_snapshot_script(), snapshot_limit, ctx.options.cancel,
                    [&login, &ctx](std::chrono::steady_clock::time_point until) { return login.wait(until, ctx.options.cancel); });
            });
        job.xray_result = probe::run_xray(job.xray, ctx.options.cancel);
        if (truth.joinable()) truth.join();
        if (snapshot.joinable()) snapshot.join();
        job.probes_ended = std::chrono::steady_clock::now();
        // What the doctor's own ssh would not run, the daemon's ssh must not run either.
        if (job.build_test && job.build_test_refusal.empty() && job.truth_result.outcome == "refused")
            job.build_test_refusal = job.truth_result.detail;
        if (job.build_test && job.build_test_refusal.empty())
            job.build = probe::run_build_test(job.machines_line, job.system,
                                              std::chrono::milliseconds(std::max<long long>(30000, 3 * job.xray.deadline.count())),
                                              ctx.options.cancel);
        // The builder's files count only when OpenSSH logged in and every stage answered:
        // after a stall the snapshot's shell may have stalled the same way.
        const bool answered = job.truth_result.outcome != "timeout" && job.truth_result.outcome != "cancelled";
        if (!job.fetch_files || !job.truth_result.started_seen || !answered) {
            job.snapshot = {};
        } else if (job.snapshot.timed_out) {
            job.snapshot_out_of_time = true;
            job.snapshot.output.clear();
        }
    };
    // Probes every job in `which` with `count` workers; returns those whose probe ran out of time
    // while this machine was short of CPU (their share in first_shortage, or the note in cpu_retry
    // when `again`).
    auto probe_all = [&](const std::vector<std::size_t>& which, std::size_t count, bool again) {
        Schedule schedule(jobs, builders, indexes, which, ctx.options.progress);
        std::mutex starved_mutex;
        std::vector<std::size_t> starved;
        probe::CpuHistory cpu;
        auto worker = [&] {
            for (std::size_t i; schedule.next(i);) {
                Job& job = jobs[i];
                probe_builder(job);
                // The last half of its deadline: where a starved ssh missed it, while a builder that
                // hangs waits the same whatever the load of the first seconds.
                const auto share = cpu.shortage_until(job.probes_ended - deadline / 2, job.probes_ended);
                if (share && *share >= kShortOfCpu && ran_out_of_time(job) && !(ctx.options.cancel && ctx.options.cancel->load())) {
                    std::lock_guard<std::mutex> lock(starved_mutex);
                    starved.push_back(i);
                    if (again)
                        job.cpu_retry += "; the second probe was short of CPU too (" + percent(*share) +
                                         "): what it says about the builder may be this machine's slowness";
                    else
                        job.first_shortage = *share;
                }
                schedule.finished(i);
            }
        };
        std::vector<std::thread> pool;
        for (std::size_t w = 0; w < count; ++w) pool.emplace_back(worker);
        schedule.wait_all_done();
        for (auto& t : pool) t.join();
        std::sort(starved.begin(), starved.end());
        return starved;
    };
    std::vector<std::size_t> all(jobs.size());
    for (std::size_t j = 0; j < jobs.size(); ++j) all[j] = j;
    const auto starved = probe_all(all, workers, false);
    if (!starved.empty()) {
        // Once more, with fewer at once: what starved the first probes was this machine's CPU.
        const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
        const std::size_t again = std::max<std::size_t>(1, std::min({starved.size(), workers, std::max<std::size_t>(2, 2 * cores)}));
        for (const auto j : starved)
            jobs[j].cpu_retry = "the first probe ran out of time while this machine was short of CPU " +
                                percent(jobs[j].first_shortage) + " of the last half of its deadline (" + std::to_string(workers) +
                                " builders at once on " + std::to_string(cores) + " cores), so the builder was probed again with at most " +
                                std::to_string(again) + " at once; the findings are the second probe's";
        probe_all(starved, again, true);
    }
    const bool vpn_up = vpn_interface_up();
    for (std::size_t j = 0; j < jobs.size(); ++j) {
        auto& b = builders[indexes[j]];
        record(b, jobs[j], vpn_up);
        if (jobs[j].build_test && !jobs[j].build_test_refusal.empty()) {
            b["live"]["build_test"] = {{"outcome", "refused"}, {"last_error", jobs[j].build_test_refusal}, {"elapsed_ms", 0}};
            b["stages"]["build"] = "refused";
            b["probed"] = false;
        } else if (jobs[j].build_test) {
            const auto& bt = jobs[j].build;
            b["live"]["build_test"] = {{"outcome", bt.outcome}, {"last_error", bt.last_error}, {"elapsed_ms", bt.elapsed_ms}};
            b["stages"]["build"] = bt.outcome;
            b["stage_ms"]["build"] = bt.elapsed_ms;
            if (bt.outcome != "ok") b["probed"] = false;
        }
        if (!jobs[j].fetch_files || jobs[j].snapshot.output.empty()) continue;
        auto snapshot = parse_builder_snapshot(jobs[j].snapshot.output);
        if (!snapshot.complete) continue;  // a forced command or a shell that ran something else
        RemoteObserved observed;
        observed.platform = platform_from_uname(snapshot.uname);
        observed.account = Account{snapshot.user, snapshot.uid.value_or(0), snapshot.gid.value_or(0), snapshot.home, snapshot.shell, 0, {}};
        if (!snapshot.uid) observed.account.name.clear();  // an older snapshot: nothing to add
        observed.groups = snapshot.groups;
        observed.path = snapshot.path;
        observed.nix_version = snapshot.nix_version;
        auto remote = describe_remote(ctx, snapshot.fs, b, "ssh", snapshot.user, &observed);
        remote["nix_version"] = snapshot.nix_version;
        remote["path"] = snapshot.path;
        // An old nix-store first on the PATH of ssh commands refuses a store a newer Nix upgraded.
        remote["store_schema"] = store_schema(snapshot.fs);
        remote["path_nix_schema_supported"] = schema_supported(snapshot.nix_version);
        remote["old_nix_on_path"] = remote["store_schema"].get<int>() > 0 && remote["path_nix_schema_supported"].get<int>() > 0 &&
                                    remote["store_schema"].get<int>() > remote["path_nix_schema_supported"].get<int>();
        remote["stale_daemon_config"] = snapshot.daemon_started > 0 && snapshot.nix_conf_changed > snapshot.daemon_started;
        // What the probes saw beats what the files suggest (sshd may run with another config
        // file than /etc/ssh/sshd_config): file verdicts stand only where the probes are silent.
        const auto& live = b["live"];
        if (!live["xray"]["host_key_line"].get<std::string>().empty()) remote["pinned_key_mismatch"] = false;
        if (live["keys_accepted"].get<int>() + live["keys_refused"].get<int>() > 0) {
            remote["key_not_authorized"] = false;
            remote["key_type_mismatch"] = false;
        }
        if (jobs[j].truth_result.started_seen) {  // OpenSSH logged in
            remote["publickey_refused"] = false;
            remote["root_login_refused"] = false;
            remote["key_not_authorized"] = false;
            remote["key_type_mismatch"] = false;
            remote["authorized_keys_problems"] = nlohmann::json::array();
            remote["sshd"]["user_allowed"] = true;
            if (jobs[j].truth_result.outcome == "ok") remote["login_shell"]["unusable"] = false;
        }
        b["remote"] = remote;
    }
}

}  // namespace nbd::facts
