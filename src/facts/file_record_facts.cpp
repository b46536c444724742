#include <map>

#include "nix_builder_doctor/facts/producers.hpp"

namespace nbd::facts {
namespace {

const char* status_name(parse::ReadStatus s) {
    switch (s) {
        case parse::ReadStatus::ok: return "ok";
        case parse::ReadStatus::missing: return "missing";
        case parse::ReadStatus::unreadable: return "unreadable";
        case parse::ReadStatus::too_large: return "too_large";
        case parse::ReadStatus::not_regular: return "not_regular";
    }
    return "missing";
}

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
        files.push_back(j);
        if (r.status == parse::ReadStatus::unreadable) {
            denied_by_directory[parent_directory(r.path)].push_back(r.path);
        } else if (r.status == parse::ReadStatus::too_large) {
            cannot_read.push_back({{"path", r.path}, {"why", "it is larger than 16 MiB, so it was not read"},
                                   {"hint", "check why the file is so large"}});
        }
    }
    for (const auto& [directory, paths] : denied_by_directory) {
        const bool one = paths.size() == 1;
        cannot_read.push_back({{"path", one ? paths.front() : directory},
                               {"why", one ? "permission denied" : "permission denied: this run cannot look inside it"},
                               {"hint", "run as root (sudo) to see root's view"}});
    }
    ctx.facts["files"] = files;
    ctx.facts["cannot_read"] = cannot_read;
}

}  // namespace nbd::facts
