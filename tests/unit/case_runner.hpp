// Running the examples/<case> and tests/golden/<case> directories through the real binary: the
// copy with the modes git does not keep (as examples/prepare.sh makes it) and the case's args.
// Shared by the golden test and the facts schema test.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace nbd_test {

namespace fs = std::filesystem;

struct RunResult {
    int exit_code = -1;
    std::string out;
};

inline RunResult run(const std::string& command) {
    RunResult r;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return r;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
    const int status = ::pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Every case directory that has an `expected` file, sorted.
inline std::vector<fs::path> all_cases() {
    std::vector<fs::path> cases;
    for (const char* dir : {"examples", "tests/golden"}) {
        const fs::path base = fs::path(NBD_SOURCE_DIR) / dir;
        if (!fs::is_directory(base)) continue;
        for (const auto& e : fs::directory_iterator(base))
            if (e.is_directory() && fs::exists(e.path() / "expected")) cases.push_back(e.path());
    }
    std::sort(cases.begin(), cases.end());
    return cases;
}

// "examples/healthy", for messages.
inline std::string case_name(const fs::path& source) {
    return source.parent_path().filename().string() + "/" + source.filename().string();
}

// A prepared copy of a case, removed again at the end of its scope.
class PreparedCase {
  public:
    explicit PreparedCase(const fs::path& source, const std::string& tag = "golden")
        : m_work(fs::temp_directory_path() / ("nbd-" + tag + "-" + source.filename().string() +
                                              "-" + std::to_string(::getpid()))) {
        fs::remove_all(m_work);
        const std::string copy =
            "cp -R '" + source.string() + "' '" + m_work.string() + "' && cd '" + m_work.string() +
            "' && find . -type d -exec chmod 0755 {} + && find . -type f -exec chmod 0644 {} + &&" +
            " while read -r p m; do if [ -n \"$p\" ]; then chmod \"$m\" \"$p\"; fi; done < modes" +
            // What git cannot keep (FIFOs, devices, hundreds of generated files): the case's
            // `setup` script makes it in the copy.
            " && if [ -f setup ]; then sh ./setup; fi";
        m_ok = std::system(copy.c_str()) == 0;
        std::istringstream in(read_file(m_work / "args"));
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            for (auto at = line.find("@DIR@"); at != std::string::npos; at = line.find("@DIR@"))
                line.replace(at, 5, m_work.string());
            m_args += " '" + line + "'";
        }
    }
    ~PreparedCase() {
        std::error_code ec;
        fs::remove_all(m_work, ec);
    }
    PreparedCase(const PreparedCase&) = delete;
    PreparedCase& operator=(const PreparedCase&) = delete;

    bool ok() const { return m_ok; }
    // The binary, offline, on the case's root with its args, plus `extra` options.
    RunResult run_doctor(const std::string& extra) const {
        return run(std::string(NBD_BINARY) + " --offline " + extra + " --root '" +
                   (m_work / "root").string() + "'" + m_args);
    }

  private:
    fs::path m_work;
    std::string m_args;
    bool m_ok = false;
};

}  // namespace nbd_test
