// The rules' explain data: every rule with log patterns says in its own words what the log means
// and how to fix it (no check-mode placeholders), names only real rules, resolves without cycles,
// and its patterns recognise the wording of every Nix version (2.0 to 2.34) and of OpenSSH.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/explain/analyzer.hpp"
#include "nix_builder_doctor/explain/explain_spec.hpp"
#include "nix_builder_doctor/explain/literal_index.hpp"

namespace {

using namespace nbd;
using namespace nbd::explain;

const std::vector<engine::Rule>& rules() {
    static const std::vector<engine::Rule> r = [] {
        auto loaded = engine::load_builtin_rules();
        EXPECT_TRUE(loaded.errors.empty());
        return loaded.rules;
    }();
    return r;
}

const Explainer& explainer() {
    static const Explainer e(rules());
    return e;
}

ExplainSpec spec_of(const engine::Rule& r) {
    std::vector<std::string> problems;
    ExplainSpec s = parse_explain_spec(r, problems);
    EXPECT_TRUE(problems.empty()) << r.id << ": " << (problems.empty() ? "" : problems.front());
    return s;
}

std::set<std::string> placeholders(const std::string& text) {
    std::set<std::string> out;
    static const std::regex placeholder(R"(\{([^{}\s]*)\})");
    for (std::sregex_iterator it(text.begin(), text.end(), placeholder), end; it != end; ++it) out.insert((*it)[1]);
    return out;
}

TEST(ExplainRules, EveryRuleWithPatternsSaysWhatTheLogMeansAndHowToFixIt) {
    int with_patterns = 0;
    for (const auto& r : rules()) {
        const ExplainSpec s = spec_of(r);
        if (r.log_patterns.empty() && s.patterns_with_builder.empty()) {
            EXPECT_TRUE(r.explain.is_null()) << r.id << " has explain data but no log patterns";
            continue;
        }
        ++with_patterns;
        EXPECT_FALSE(s.cause.empty()) << r.id;
        EXPECT_FALSE(s.fix.empty()) << r.id;
        EXPECT_EQ(std::string::npos, s.cause.find('\n')) << r.id << ": the cause is one line";
        std::vector<std::string> texts = {s.cause, s.fix};
        for (const auto& a : s.alternatives) texts.push_back(a.tell);
        for (const auto& t : texts)
            for (const auto& p : placeholders(t))
                EXPECT_TRUE(std::count(kExplainPlaceholders.begin(), kExplainPlaceholders.end(), p)) << r.id << ": {" << p << "} in " << t;
    }
    EXPECT_GE(with_patterns, 40);
}

TEST(ExplainRules, NamesOnlyRulesThatExist) {
    std::set<std::string> ids;
    for (const auto& r : rules()) ids.insert(r.id);
    for (const auto& r : rules()) {
        const ExplainSpec s = spec_of(r);
        for (const auto& a : s.alternatives) {
            EXPECT_TRUE(ids.count(a.rule)) << r.id << " names " << a.rule;
            EXPECT_NE(r.id, a.rule);
        }
        for (const auto& id : s.resolved_by) {
            EXPECT_TRUE(ids.count(id)) << r.id << " names " << id;
            EXPECT_NE(r.id, id);
            const auto other = std::find_if(rules().begin(), rules().end(), [&](const engine::Rule& x) { return x.id == id; });
            ASSERT_NE(other, rules().end());
            EXPECT_FALSE(other->log_patterns.empty()) << r.id << ": " << id << " has no patterns to resolve it with";
        }
        if (!s.when_builders_named.empty()) {
            EXPECT_TRUE(ids.count(s.when_builders_named)) << r.id << " names " << s.when_builders_named;
            EXPECT_NE(r.id, s.when_builders_named);
        }
        if (!s.when_copying_in.empty()) {
            EXPECT_TRUE(ids.count(s.when_copying_in)) << r.id << " names " << s.when_copying_in;
            EXPECT_NE(r.id, s.when_copying_in);
        }
        for (const auto& prefix : s.yields_to_later)
            EXPECT_TRUE(std::any_of(ids.begin(), ids.end(), [&](const std::string& id) { return id.rfind(prefix, 0) == 0; }))
                << r.id << ": no rule id starts with " << prefix;
        if (!s.check.empty()) {
            std::istringstream selectors(s.check);
            for (std::string sel; std::getline(selectors, sel, ',');) {
                bool any = false;
                for (const auto& id : ids) any = any || id.rfind(sel, 0) == 0;
                EXPECT_TRUE(any) << r.id << ": check selector " << sel;
            }
        }
    }
}

TEST(ExplainRules, ResolvedByHasNoCycles) {
    std::map<std::string, std::vector<std::string>> edges;
    for (const auto& r : rules()) edges[r.id] = spec_of(r).resolved_by;
    std::map<std::string, int> state;  // 1 on the path, 2 done
    std::function<bool(const std::string&)> cyclic = [&](const std::string& id) {
        if (state[id] == 1) return true;
        if (state[id] == 2) return false;
        state[id] = 1;
        for (const auto& next : edges[id])
            if (cyclic(next)) return true;
        state[id] = 2;
        return false;
    };
    for (const auto& [id, _] : edges) EXPECT_FALSE(cyclic(id)) << "a resolved_by cycle through " << id;
}

TEST(ExplainRules, EveryPatternHasALiteralForThePrefilter) {
    for (const auto& r : rules())
        for (const auto& p : r.log_patterns) EXPECT_GE(required_literal(p).size(), 4u) << r.id << ": " << p;
}

TEST(ExplainRules, OneFallbackForFailuresNoPatternRecognises) {
    int fallbacks = 0;
    for (const auto& r : rules()) {
        const ExplainSpec s = spec_of(r);
        if (!s.fallback) continue;
        ++fallbacks;
        EXPECT_EQ(Role::vague, s.role) << r.id;
    }
    EXPECT_EQ(1, fallbacks);
}

std::string first_rule(const std::string& log) {
    std::istringstream in(log);
    const auto result = explainer().explain(in);
    return result.findings.empty() ? "none" : result.findings.front().finding.rule;
}

// The wording of each message across Nix versions (failure-modes.md §1-§3) and OpenSSH.
TEST(ExplainRules, RecogniseEveryVersionsWording) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        // Signatures: 2.0-2.11, then 2.12+.
        {"error: cannot add path '/nix/store/a-b.drv' because it lacks a valid signature", "remote.user-not-trusted"},
        {"error: cannot add path '/nix/store/a-b' because it lacks a signature by a trusted key", "remote.user-not-trusted"},
        {"error: you are not privileged to build derivations", "remote.user-not-trusted"},
        {"error: you are not privileged to build input-addressed derivations", "remote.user-not-trusted"},
        // Who refuses depends on where the log's copy command sends the paths: into this machine
        // (`--from`: the local daemon), into a local directory store (its own require-sigs: no
        // rule), or to a remote store; a remote build after the copy is the builder's again.
        {"$ nix copy --from ssh://ben@h /nix/store/a-b\nerror: cannot add path '/nix/store/a-c' because it lacks a valid signature", "nixconf.user-not-trusted"},
        {"Step 3/4 : RUN nix copy --to /nix-emacs $(type -p emacs)\n ---> Running in a2bb\nerror: cannot add path '/nix/store/a-b' because it lacks a valid signature", "none"},
        {"$ nix copy --to ssh://h /nix/store/a-b\nerror: cannot add path '/nix/store/a-b' because it lacks a valid signature", "remote.user-not-trusted"},
        {"$ nix-copy-closure --from h /nix/store/a-b\nbuilding '/nix/store/c.drv' on 'ssh://h'...\nerror: cannot add path '/nix/store/a-b' because it lacks a signature by a trusted key", "remote.user-not-trusted"},
        // The ssh-ng connection dropping: up to 2.19, then 2.20+, and 2.15+'s readiness check.
        {"cannot build on 'ssh-ng://b': error: cannot open connection to remote store 'ssh-ng://b': error: unexpected end-of-file", "remote.connection-failed"},
        // 2.20+: ssh got through (2.15+ checks that first), then the remote program was gone at once.
        {"cannot build on 'ssh-ng://b': error: cannot open connection to remote store 'ssh-ng://b': error: Nix daemon disconnected unexpectedly (maybe it crashed?)", "remote.nix-not-found"},
        {"error: Nix daemon disconnected unexpectedly (maybe it crashed?)", "none"},
        {"error: failed to start SSH connection to 'b'", "remote.connection-failed"},
        {"error: failed to start SSH master connection to 'b'", "remote.connection-failed"},
        {"unable to open SSH connection to 'ssh://b': cannot connect to 'b'; trying other available machines...", "remote.connection-failed"},
        // A `cannot build on` line no pattern knows still names its builder.
        {"cannot build on 'ssh://b': some new message", "remote.connection-failed"},
        // The local fallback after remote building was tried: 2.0/2.1, 2.2-2.29, 2.30-2.33, 2.34+.
        {"copying 0 paths to 'ssh://b'\nerror: a 'aarch64-linux' is required to build '/nix/store/a.drv', but I am a 'x86_64-linux'", "machines.no-builder-for-system"},
        {"building '/nix/store/b.drv' on 'ssh://b'\nerror: a 'aarch64-linux' with features {} is required to build '/nix/store/a.drv', but I am a 'x86_64-linux' with features {}", "machines.no-builder-for-system"},
        {"building '/nix/store/b.drv' on 'ssh://b'\nerror: Cannot build '/nix/store/a.drv'.\n       Reason: required system or feature not available\n       Required system: 'aarch64-linux' with features {}\n       Current system: 'x86_64-linux' with features {kvm}", "machines.no-builder-for-system"},
        // The same with no builder in the log: no remote build was tried (no builder at all for a
        // foreign system is not a builder fault the catalog names).
        {"error: a 'aarch64-linux' is required to build '/nix/store/a.drv', but I am a 'x86_64-linux'", "none"},
        {"error: Cannot build '/nix/store/a.drv'.\n       Reason: required system or feature not available\n       Required system: 'aarch64-linux' with features {}\n       Current system: 'x86_64-linux' with features {kvm}", "none"},
        {"error: Cannot build '/nix/store/a.drv'.\n       Reason: required system or feature not available\n       Required system: 'x86_64-linux' with features {}\n       Current system: 'x86_64-linux' with features {kvm}", "nixconf.no-usable-builders"},
        {"building '/nix/store/b.drv' on 'ssh://b'\nerror: Cannot build '/nix/store/a.drv'.\n       Reason: platform mismatch", "machines.no-builder-for-system"},
        {"building '/nix/store/b.drv' on 'ssh://b'\nerror: Cannot build '/nix/store/a.drv'.\n       Reason: missing system features", "machines.no-builder-for-system"},
        {"error: Cannot build '/nix/store/a.drv'.\n       Reason: local builds are disabled (max-jobs = 0)", "nixconf.no-usable-builders"},
        // max-jobs = 0: 2.0-2.3, 2.4-2.21, 2.22+.
        {"error: unable to start any build; either increase '--max-jobs' or enable remote builds", "nixconf.no-usable-builders"},
        // ... with a builder named that did not fail: there were builders, none fits.
        {"$ nix-store --realise --builders 'ssh://root@b x86_64-linux' -j0 /nix/store/a.drv\nerror: unable to start any build; either increase '--max-jobs' or enable remote builds", "machines.no-builder-for-system"},
        {"error: unable to start any build; either increase '--max-jobs' or enable remote builds.", "nixconf.no-usable-builders"},
        {"error: Unable to start any build; either increase '--max-jobs' or enable remote builds.", "nixconf.no-usable-builders"},
        {"error: unable to start any build; remote machines may not have all required system features.", "machines.no-builder-for-system"},
        {"error: Unable to build with a primary store that isn't a local store; either pass a different '--store' or enable remote builds.", "nixconf.no-usable-builders"},
        {"Failed to find a machine for remote build!", "machines.no-builder-for-system"},
        // nologin: 2.4+ and <= 2.3, ssh:// and ssh-ng://.
        {"error: 'nix-store --serve' protocol mismatch from 'nix@b', got 'This account is currently not available.'", "auth.login-shell-unusable"},
        {"error: serialised integer 7161674624452356180 is too large for type 'j'", "auth.login-shell-unusable"},
        {"error: protocol mismatch, got 'This account is currently not available.'", "auth.login-shell-unusable"},
        {"error: 'nix-store --serve' protocol mismatch from 'nix@b', got 'hello'", "remote.protocol-mismatch"},
        {"error: serialised integer 1234 is too large for type 'j'", "remote.protocol-mismatch"},
        // The 8 bytes are text: "hello wo" (a startup file's echo), "error: c" (the remote Nix's
        // refusal of unsigned paths, before NixOS/nix#15503 decoded it).
        {"error: serialised integer 8031924123371070824 is too large for type 'j'", "remote.protocol-mismatch"},
        {"error: serialised integer 7142773272180060773 is too large for type 'j'", "remote.user-not-trusted"},
        // Wordings read from the sources (1.11 build-remote.pl and its Perl bindings, 2.3, 2.23+,
        // Lix 2.95), not yet seen in a report.
        {"unable to connect to \u2018builder.example.org\u2019", "remote.connection-failed"},
        {"got EOF while expecting 8 bytes from remote side", "remote.connection-failed"},
        {"error: opening a connection to remote store 'ssh-ng://builder' previously failed", "remote.connection-failed"},
        {"did not get valid handshake from remote host", "remote.protocol-mismatch"},
        {"error: cannot build on 'ssh://builder': protocol mismatch with 'nix-store --serve' on 'builder'", "remote.protocol-mismatch"},
        {"error: cannot open connection to remote store 'ssh-ng://builder': error: nix-daemon protocol mismatch from", "remote.protocol-mismatch"},
        {"cannot build on 'ssh-ng://nix@b': error: the Nix client version is too old", "remote.version-skew"},
        {"error: cannot open connection to remote store 'daemon': error: could not connect to any lix socket (tried /nix/var/nix/daemon-socket/socket)", "install.daemon-not-running"},
        {"warning: ignoring the user-specified setting 'builders', because it is a restricted setting and you are not a trusted user", "nixconf.user-not-trusted"},
        {"cannot build on 'sshng://nix@b': error: don't know how to open Nix store with scheme 'sshng'", "machines.unknown-scheme"},
        // Daemon sockets: <= 2.3 and 2.4+.
        {"error: cannot connect to daemon at '/nix/var/nix/daemon-socket/socket': Connection refused", "install.daemon-not-running"},
        {"error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused", "install.daemon-not-running"},
        // A non-root user on the local store (daemon down): 2.34+'s chmod wording, and the big
        // lock that 2.27+ reach first when per-user is already 0755 (2.33+ quote it with "); 2.31+
        // add the trace "single-user Nix installation, or the Nix daemon may have crashed", and
        // install.single-user's text names both.
        {"error: setting permissions on \"/nix/var/nix/profiles/per-user\": Operation not permitted", "install.daemon-not-running"},
        {"error: opening lock file '/nix/var/nix/db/big-lock': Permission denied", "install.single-user"},
        {"error: opening lock file \"/nix/var/nix/db/big-lock\": Permission denied", "install.single-user"},
        {"cannot build on 'ssh://nix@b': error: opening lock file \"/nix/var/nix/db/big-lock\": Permission denied", "install.single-user"},
        // systemd's journal: socket activation could not start the daemon (the client then sees
        // its connection reset), or the service failed.
        {"error: cannot open connection to remote store 'daemon': reading from file: Connection reset by peer\nsystemd[1]: nix-daemon.socket: Failed with result 'resources'.", "install.daemon-not-running"},
        {"systemd[1]: Failed to start nix-daemon.service - Nix Daemon.", "install.daemon-not-running"},
        {"systemd[1]: Failed to start Nix Daemon.", "install.daemon-not-running"},
        {"cannot build on 'ssh://nix@b': error: cannot connect to 'nix@b': error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': Connection refused", "remote.daemon-not-running"},
        // Trust of the client: the builders setting (2.3+) and substituters (<= 2.13, 2.14+).
        {"warning: ignoring the client-specified setting 'builders', because it is a restricted setting and you are not a trusted user", "nixconf.user-not-trusted"},
        {"warning: ignoring untrusted substituter 'https://c.example.org'", "nixconf.user-not-trusted"},
        // Experimental features: 2.4-2.18 and 2.19+.
        {"error: experimental Nix feature 'nix-command' is disabled; use '--extra-experimental-features nix-command' to override", "nixconf.nix-command-disabled"},
        {"error: experimental Nix feature 'nix-command' is disabled; add '--extra-experimental-features nix-command' to enable it", "nixconf.nix-command-disabled"},
        // Column 8: 2.5-2.2x and 2.28+; and version skew's empty character.
        {"error: bad machine specification: a column #7 in a row: 'ssh://b x86_64-linux - 1 1 - - xx' is not valid base64 string: x", "machines.host-key-malformed"},
        {"error: invalid character in Base64 string: '-'", "machines.host-key-malformed"},
        {"possibly transient failure building '/nix/store/a.drv' on 'root@b': error: invalid character in Base64 string: ''", "remote.version-skew"},
        {"error: bad machine specification: failed to convert column #3 in a row: 'ssh://b x86_64-linux - fast' to 'unsigned int'", "machines.parse-error"},
        // OpenSSH.
        {"root@b: Permission denied (publickey).", "auth.key-not-authorized"},
        {"root@b: Permission denied (publickey,password,keyboard-interactive).", "auth.key-not-authorized"},
        {"root@b: Permission denied (password,keyboard-interactive).", "auth.publickey-not-offered"},
        {"root@b: Permission denied ().", "auth.publickey-not-offered"},
        {"No ED25519 host key is known for b and you have requested strict checking.", "hostkey.unknown-to-root"},
        {"Host key verification failed.", "hostkey.unknown-to-root"},
        {"Host key for b has changed and you have requested strict checking.", "hostkey.changed"},
        {"ED25519 host key for b was revoked and you have requested strict checking.", "hostkey.revoked"},
        {"ssh: connect to host b port 22: Connection timed out", "net.unreachable"},
        {"ssh: connect to host b port 22: No route to host", "net.unreachable"},
        {"ssh: Could not resolve hostname build.example.org: Name or service not known", "net.dns-failure"},
        {"ssh: Could not resolve hostname builder: Name or service not known", "sshconfig.alias-only-for-user"},
        {"ssh: Could not resolve hostname builder: nodename nor servname provided, or not known", "sshconfig.alias-only-for-user"},
        {"kex_exchange_identification: Connection closed by remote host", "net.not-ssh"},
        {"ssh_exchange_identification: read: Connection reset by peer", "net.not-ssh"},
        {"mux_client_request_session: session request failed: Session open refused by peer", "remote.sshd-session-limits"},
        {"Warning: Identity file /root/.ssh/builder not accessible: No such file or directory.", "machines.identity-missing"},
        {"Enter passphrase for key '/root/.ssh/id_ed25519':", "keys.passphrase-protected"},
        {"Bad owner or permissions on /root/.ssh/config", "keys.ssh-dir-permissions"},
        {"fish: Unknown command: nix-store", "remote.nix-not-found"},
        {"  \xe2\x94\x82   \xe2\x95\xb0\xe2\x94\x80\xe2\x94\x80 Command `nix-store` not found", "remote.nix-not-found"},
        {"zsh:1: command not found: nix-daemon", "remote.nix-not-found"},
        // ssh connection sharing (NixOS/nix#14132, #8329); $SHELL for LocalCommand (#8750).
        {"error: cannot open connection to remote store 'ssh-ng://foo@b': error: protocol mismatch, got 'started", "sshconfig.control-master-breaks-ssh-ng"},
        {"cannot build on 'ssh://r@b': error: 'nix-store --serve' protocol mismatch from 'b', got 'started", "sshconfig.control-master-breaks-ssh-ng"},
        {"debug1: auto-mux: Trying existing master", "sshconfig.control-master-breaks-ssh-ng"},
        {"Couldn't execute /Users/u/.nix-profile/bin/zsh -c \"echo started\": No such file or directory", "install.shell-unusable"},
        // A ProxyJump host refusing the key: ssh's kex_exchange_identification is its consequence.
        {"jump@bastion: Permission denied (publickey).\nkex_exchange_identification: Connection closed by remote host\nConnection closed by UNKNOWN port 65535\ncannot build on 'ssh://nix@b': error: cannot connect to 'nix@b'", "auth.key-not-authorized"},
        {"cannot build on 'ssh-ng://nix@b': error: failed to start SSH connection to 'nix@b': jump@bastion: Permission denied (publickey).\nkex_exchange_identification: Connection closed by remote host", "auth.key-not-authorized"},
        // A newer client's feature that an older builder does not know (ca-references, 2.4pre).
        {"cannot build on 'ssh-ng://nix@b': error: experimental Nix feature 'ca-references' is disabled; use '--extra-experimental-features ca-references' to override", "remote.version-skew"},
        {"error: experimental Nix feature 'ca-references' is disabled; use '--experimental-features ca-references' to override", "none"},
        // Nix (Machine::Machine, 2.x and Lix) takes an entry without ssh:// that starts with local/remote/auto as a store URI.
        {"cannot build on 'localbuilder': error: don't know how to open Nix store 'localbuilder'", "machines.unknown-scheme"},
        {"error: don't know how to open Nix store 'foo'", "none"},
        // A git forge refusing a git+ssh input (the user `git`) is not a builder login.
        {"git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.", "none"},
        {"nix@b: Permission denied (publickey).\nerror: cannot connect to 'nix@b'", "auth.key-not-authorized"},
        // An ssh:// URI Nix could not parse (a raw IPv6 address, nixUnstable 2021) is no scheme problem.
        {"[ERROR] error: --- Error --- nix-copy-closure\n[ERROR] don't know how to open Nix store 'ssh://root@2a10:4a80:407:3::1?compress=true'", "none"},
        {"cannot build on 'ssh-ng://[fd00::1]': error: don't know how to open Nix store 'ssh-ng://[fd00::1]'", "remote.connection-failed"},
        // An old nix-store first on the builder's PATH; the same words with no builder are local.
        {"error: current Nix store schema is version 10, but I only support 7\nerror: cannot connect to 'root@b'", "remote.old-nix-on-path"},
        {"error: current Nix store schema is version 10, but I only support 7", "none"},
        {"sh: 1: nix-daemon: not found", "remote.nix-not-found"},
        {"error: unable to execute 'ssh': No such file or directory", "install.ssh-missing"},
        // sshd's own log on the builder.
        {"ROOT LOGIN REFUSED FROM 10.0.0.1 port 50000", "auth.root-login-refused"},
        {"User nix from 10.0.0.1 not allowed because none of user's groups are listed in AllowGroups", "auth.user-not-allowed"},
        {"Authentication refused: bad ownership or modes for directory /home/nix/.ssh", "auth.authorized-keys-permissions"},
        {"drop connection #10 from [10.0.0.1]:50000 on [10.0.0.2]:22 past MaxStartups", "remote.sshd-session-limits"},
    };
    for (const auto& [log, rule] : cases) EXPECT_EQ(rule, first_rule(log + "\n")) << log;
}

// A refused connection, then that host's sshd refusing the key: the network worked by then.
TEST(ExplainRules, AFailureTheSameHostGotPastLaterRanksBelowIt) {
    const std::string refused = "ssh: connect to host b port 22: Connection refused\n";
    const std::string denied = "root@b: Permission denied (publickey).\n";
    EXPECT_EQ("auth.key-not-authorized", first_rule(refused + refused + denied + denied));
    // The other way round the refusal is the last state (sshd stopped after the key was refused).
    EXPECT_EQ("net.connection-refused", first_rule(denied + refused));
    // Another host's later failure says nothing about this one.
    EXPECT_EQ("net.connection-refused",
              first_rule("cannot build on 'ssh://root@a': error: cannot connect to 'root@a': ssh: connect to host a port 22: Connection refused\n"
                         "cannot build on 'ssh://root@b': error: cannot connect to 'root@b': root@b: Permission denied (publickey).\n"));
}

TEST(ExplainRules, LoaderRejectsBadExplainData) {
    engine::Rule r;
    r.id = "test.bad-explain";
    r.explain = nlohmann::json::parse(R"({"role": "symptom", "rank": 500, "alternatives": [{"rule": 1}], "colour": "red", "yields_to_later": ["auth"]})");
    std::vector<std::string> problems;
    parse_explain_spec(r, problems);
    EXPECT_EQ(5u, problems.size());
    r.log_patterns = {"valid pattern"};
    EXPECT_THROW(Explainer({r}), std::invalid_argument);
    r.explain = nullptr;
    r.log_patterns = {"unclosed ("};
    EXPECT_THROW(Explainer({r}), std::invalid_argument);
}

}  // namespace
