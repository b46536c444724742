#include <cerrno>
#include <cstring>
#include <map>

#include "nix_builder_doctor/facts/producers.hpp"

namespace nbd::facts {
namespace {

const char* status_name(parse::ReadStatus s) { return read_status_name(s); }

}  // namespace

void gather_file_records(GatherContext& ctx) {
    nlohmann::json files = nlohmann::json::array();
    nlohmann::json cannot_read = nlohmann::json::array();
    std::map<std::string, std::vector<std::string>> denied_by_directory;  // one finding per directory
    for (const auto& r : ctx.fs.records()) {
        nlohmann::json j = {{"path", r.path}, {"status", status_name(r.status)}};
        if (r.info) {
            j["mode"] = octal_mode(r.info->mode);
            j["owner"] = ctx.accounts.user_name(r.info->uid);
            j["group"] = ctx.accounts.group_name(r.info->gid);
            j["size"] = r.info->size;
        }
        if (!r.error.empty()) j["error"] = r.error;
        if (ctx.next) j["from_next"] = r.from_next;
        files.push_back(j);
        if (r.status == parse::ReadStatus::unreadable && (r.error.empty() || r.error == std::strerror(EACCES))) {
            denied_by_directory[parent_directory(r.path)].push_back(r.path);
        } else if (r.status == parse::ReadStatus::unreadable) {
            cannot_read.push_back({{"path", r.path}, {"why", r.error}, {"builder", ""},
                                   {"hint", "check the file and the disk it is on"}});
        } else if (r.status == parse::ReadStatus::too_large) {
            // The bound itself is in /limits (doctor.limit-reached).
            cannot_read.push_back({{"path", r.path}, {"why", "it is larger than 16 MiB, so it was not read"}, {"builder", ""},
                                   {"hint", "check why the file is so large"}});
        } else if (r.status == parse::ReadStatus::not_regular) {
            // Not absence: a FIFO, a device, a directory or a symlink loop where a file belongs.
            cannot_read.push_back({{"path", r.path}, {"why", r.error.empty() ? "not a regular file" : r.error}, {"builder", ""},
                                   {"hint", "make it a regular file (or a symlink to one)"}});
        }
    }
    for (const auto& [directory, paths] : denied_by_directory) {
        const bool one = paths.size() == 1;
        cannot_read.push_back({{"path", one ? paths.front() : directory},
                               {"why", one ? "permission denied" : "permission denied: this run cannot look inside it"},
                               {"builder", ""},
                               {"hint", "run as root to see root's view: `sudo nix-builder-doctor`"}});
    }
    ctx.facts["files"] = files;
    // Producers that read other trees (a builder's files) may have added entries already.
    if (ctx.facts.contains("cannot_read") && ctx.facts["cannot_read"].is_array())
        for (auto& e : ctx.facts["cannot_read"]) cannot_read.push_back(e);
    ctx.facts["cannot_read"] = cannot_read;
    add_limits(ctx, ctx.fs.limits());
    if (!ctx.facts.contains("limits")) ctx.facts["limits"] = nlohmann::json::array();
}

}  // namespace nbd::facts
