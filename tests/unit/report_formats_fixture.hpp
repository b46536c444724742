// Hand-built Reports for the CI/fleet format tests (healthy, broken, warnings only, hostile
// strings) and a helper that runs a format's own validator on a rendered text.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/report/report.hpp"

namespace report_fixture {

using nbd::engine::Finding;
using nbd::engine::Location;
using nbd::engine::Severity;
using nbd::report::BuilderStatus;
using nbd::report::Report;

inline Finding finding(const std::string& rule, Severity s, const std::string& builder, const std::string& message,
                       const std::string& file = "", int line = 0) {
    Finding f;
    f.rule = rule;
    f.severity = s;
    f.builder = builder;
    f.title = "title of " + rule;
    f.message = message;
    f.fix = "fix for " + rule;
    if (!file.empty()) f.location = Location{file, line};
    return f;
}

inline BuilderStatus probed_builder(const std::string& uri, const std::string& host, int line) {
    BuilderStatus b;
    b.uri = uri;
    b.host = host;
    b.file = "/etc/nix/machines";
    b.line = line;
    b.where = b.file + ":" + std::to_string(line);
    b.entry = uri + " x86_64-linux /root/.ssh/id_ed25519 4 2 kvm,big-parallel - -";
    b.max_jobs = 4;
    b.speed_factor = 2;
    b.systems = {"x86_64-linux"};
    b.supported_features = {"kvm", "big-parallel"};
    b.stages = {{"dns", "ok"}, {"tcp", "ok"}, {"banner", "ok"}, {"kex", "ok"}, {"hostkey", "ok"},
                {"auth_methods", "ok"}, {"publickey", "ok"}, {"nix", "ok"}};
    b.stage_ms = {{"dns", 1}, {"tcp", 2}, {"banner", 15}, {"kex", 40}, {"hostkey", 0},
                  {"auth_methods", 3}, {"publickey", 5}, {"nix", 1234}};
    b.probed = true;
    b.probe_ran = true;
    b.nix_version = "nix (Nix) 2.18.1";
    b.daemon_version = "2.18.1";
    b.protocol_version = "1.35";
    b.trusted = 1;
    return b;
}

inline const std::vector<nbd::engine::Rule>& builtin_rules() {
    static const std::vector<nbd::engine::Rule> rules = nbd::engine::load_builtin_rules().rules;
    return rules;
}

inline Report base() {
    Report r;
    r.tool_version = "0.1.0";
    r.principal = "root";
    r.context = "principal root (multi-user install), system x86_64-linux";
    r.rules = builtin_rules();
    r.run_timestamp_seconds = 1764700000.5;
    return r;
}

// Two builders, both verified, nothing wrong.
inline Report healthy() {
    Report r = base();
    r.builders = {probed_builder("ssh-ng://nix@alpha", "alpha", 1), probed_builder("ssh://nix@beta", "beta", 2)};
    r.summary = nbd::engine::summarize(r.findings, 0);
    return r;
}

// alpha verified; beta refuses the connection (tcp), with an error finding; a warning here.
inline Report broken() {
    Report r = healthy();
    BuilderStatus& beta = r.builders[1];
    beta.stages = {{"dns", "ok"}, {"tcp", "refused"}};
    beta.stage_ms = {{"dns", 1}, {"tcp", 0}};
    beta.probed = false;
    beta.nix_version = beta.daemon_version = beta.protocol_version = "";
    beta.trusted = -1;
    r.findings = {finding("net.connection-refused", Severity::error, "ssh://nix@beta",
                          "ssh://nix@beta: beta:22 refused the connection", "/etc/nix/machines", 2),
                  finding("nixconf.unknown-setting", Severity::warning, "", "unknown setting 'trusted-user'",
                          "/etc/nix/nix.conf", 4)};
    r.summary = nbd::engine::summarize(r.findings, 1);
    return r;
}

// Only warnings and infos: every builder stays usable.
inline Report warnings_only() {
    Report r = healthy();
    r.findings = {finding("machines.features-split-by-space", Severity::warning, "ssh://nix@beta", "features split",
                          "/etc/nix/machines", 2),
                  finding("doctor.cannot-read", Severity::info, "", "cannot read /root/.ssh/id_ed25519")};
    r.summary = nbd::engine::summarize(r.findings, 0);
    return r;
}

// Every string a configuration controls, made as hostile as we can: markup, quotes, the
// formats' own separators, newlines and CR, ESC, NUL, invalid UTF-8, U+FFFE, a bidi override,
// a would-be workflow command and a would-be metric line.
inline const std::string kHostile =
    std::string("x\"'<&>]]>%:,=\\ \r\n::error::owned\n# TYPE evil gauge\nevil 1\x1b[2J\x01") + '\0' + "\xff\xfe\xc3(" +
    "\xef\xbf\xbe\xe2\x80\xae{}";

inline Report hostile() {
    Report r = base();
    BuilderStatus b = probed_builder("ssh://nix@" + kHostile, kHostile, 7);
    b.file = "/etc/nix/machines " + kHostile;
    b.where = b.file + ":7";
    b.entry = "ssh://nix@h" + kHostile;
    b.stages = {{"dns", "ok"}, {"tcp", kHostile}};
    b.stage_ms = {{"dns", 1}, {"tcp", 3}};
    b.probed = false;
    b.nix_version = kHostile;
    r.builders = {b};
    Finding f = finding("net.connection-refused", Severity::error, b.uri, "refused " + kHostile, b.file, 7);
    f.title = kHostile;
    f.fix = kHostile;
    r.findings = {f, finding("custom." + kHostile, Severity::warning, "", kHostile, "relative " + kHostile, 0)};
    r.principal = kHostile;
    r.context = kHostile;
    r.tool_version = "0.1.0";
    r.summary = nbd::engine::summarize(r.findings, 0);
    return r;
}

struct Validation {
    int status = -1;     // the validator's exit status; 127 when it is not installed
    std::string output;  // what it printed (stdout and stderr)
};

inline std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Writes `text` to a temporary file and runs `command` with it as the last argument.
inline Validation run_validator(const std::string& command, const std::string& text, const std::string& suffix) {
    char dir_template[] = "/tmp/nbd-report-XXXXXX";
    const char* dir = mkdtemp(dir_template);
    if (!dir) return {};
    const std::string path = std::string(dir) + "/report" + suffix;
    std::ofstream(path, std::ios::binary) << text;
    Validation v;
    FILE* p = popen((command + " " + shell_quote(path) + " 2>&1").c_str(), "r");
    if (p) {
        char buf[4096];
        for (std::size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) v.output.append(buf, n);
        const int st = pclose(p);
        v.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    std::filesystem::remove_all(dir);
    return v;
}

inline bool have_program(const std::string& name) {
    return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

inline std::string source_path(const std::string& relative) { return std::string(NBD_SOURCE_DIR) + "/" + relative; }

}  // namespace report_fixture
