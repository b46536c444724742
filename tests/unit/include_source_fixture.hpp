// An IncludeSource over files held in memory (ssh_config and sshd_config tests): `<unreadable>`
// as a file's text makes it unreadable, and every glob pattern asked for is recorded.
#pragma once

#include <fnmatch.h>

#include <map>
#include <string>
#include <vector>

#include "nix_builder_doctor/parse/source.hpp"

namespace include_fixture {

struct MemFs {
    std::map<std::string, std::string> files;
    std::vector<std::string> globbed;

    nbd::parse::IncludeSource source() {
        nbd::parse::IncludeSource s;
        s.read = [this](const std::string& path) {
            nbd::parse::ReadResult r;
            const auto it = files.find(path);
            if (it == files.end()) return r;
            if (it->second == "<unreadable>") {
                r.status = nbd::parse::ReadStatus::unreadable;
                return r;
            }
            r.status = nbd::parse::ReadStatus::ok;
            r.text = it->second;
            return r;
        };
        s.glob = [this](const std::string& pattern) {
            globbed.push_back(pattern);
            std::vector<std::string> out;
            for (const auto& [path, text] : files)
                if (fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) out.push_back(path);
            return out;
        };
        return s;
    }
};

inline std::vector<std::string> messages(const std::vector<nbd::parse::Diagnostic>& ds) {
    std::vector<std::string> out;
    for (const auto& d : ds) out.push_back(nbd::parse::format_diagnostic(d));
    return out;
}

}  // namespace include_fixture
