#include <algorithm>
#include <cstdio>

#include "nix_builder_doctor/facts/context.hpp"

namespace nbd::facts {

std::string octal_mode(unsigned mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", mode & 07777);
    return buffer;
}

const char* read_status_name(parse::ReadStatus s) {
    switch (s) {
        case parse::ReadStatus::ok: return "ok";
        case parse::ReadStatus::missing: return "missing";
        case parse::ReadStatus::unreadable: return "unreadable";
        case parse::ReadStatus::too_large: return "too_large";
        case parse::ReadStatus::not_regular: return "not_regular";
    }
    return "missing";
}

void add_limit(nlohmann::json& facts, const parse::LimitReached& l, const std::string& builder) {
    if (!facts.contains("limits") || !facts["limits"].is_array()) facts["limits"] = nlohmann::json::array();
    auto& list = facts["limits"];
    // `at`: "file:line: ", "file: " or "" (for the message).
    const std::string at = l.file.empty() ? std::string()
                           : l.line > 0   ? l.file + ":" + std::to_string(l.line) + ": "
                                          : l.file + ": ";
    nlohmann::json entry = {{"bound", l.bound}, {"value", l.value}, {"file", l.file}, {"line", l.line},
                            {"what", l.what},   {"builder", builder}, {"at", at}};
    // The same cut seen twice (a file parsed for two views) is one entry.
    if (std::find(list.begin(), list.end(), entry) == list.end()) list.push_back(std::move(entry));
}

void add_limits(GatherContext& ctx, const std::vector<parse::LimitReached>& limits, const std::string& builder) {
    for (const auto& l : limits) add_limit(ctx.facts, l, builder);
}

nlohmann::json describe_file(FileSystem& fs, const std::string& path) {
    nlohmann::json j = {{"path", path}};
    const auto info = fs.stat(path);
    j["exists"] = info.has_value();
    j["denied"] = !info && fs.access_denied(path);
    if (!info) return j;
    j["mode"] = octal_mode(info->mode);
    j["uid"] = info->uid;
    j["gid"] = info->gid;
    j["is_regular"] = info->is_regular;
    j["is_directory"] = info->is_directory;
    j["group_or_other_readable"] = (info->mode & 044) != 0;
    j["group_or_other_writable"] = (info->mode & 022) != 0;
    j["group_or_other_any"] = (info->mode & 077) != 0;
    if (const auto link = fs.lstat(path); link && link->is_symlink) j["symlink_target"] = link->symlink_target;
    return j;
}

}  // namespace nbd::facts
