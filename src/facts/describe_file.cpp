#include <cstdio>

#include "nix_builder_doctor/facts/context.hpp"

namespace nbd::facts {

std::string octal_mode(unsigned mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", mode & 07777);
    return buffer;
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
