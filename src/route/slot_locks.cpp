#include "nix_builder_doctor/route/slot_locks.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <sstream>

#include "nix_builder_doctor/util/encoding.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::route {

LockedFiles parse_proc_locks(std::string_view text) {
    LockedFiles out;
    for (const auto line : util::split_lines(text)) {
        // "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters are marked "->".
        const auto fields = util::split_tokens(line);
        if (fields.size() < 6 || fields[1] == "->" || fields[1] != "FLOCK") continue;
        const auto& id = fields[5];
        const auto a = id.find(':'), b = id.find(':', a == std::string::npos ? a : a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        try {
            std::size_t used = 0;
            const unsigned long major = std::stoul(id.substr(0, a), &used, 16);
            const unsigned long minor = std::stoul(id.substr(a + 1, b - a - 1), &used, 16);
            const unsigned long inode = std::stoul(id.substr(b + 1), &used, 10);
            out.emplace(static_cast<unsigned>(major), static_cast<unsigned>(minor), inode);
        } catch (const std::exception&) {
            continue;  // not a line of the kernel's format
        }
    }
    return out;
}

std::string nix_base32(const std::string& bytes) {
    static const char* chars = "0123456789abcdfghijklmnpqrsvwxyz";
    if (bytes.empty()) return "";
    const std::size_t len = (bytes.size() * 8 - 1) / 5 + 1;
    std::string out;
    out.reserve(len);
    for (std::size_t n = len; n-- > 0;) {
        const std::size_t b = n * 5, i = b / 8, j = b % 8;
        unsigned c = static_cast<unsigned char>(bytes[i]) >> j;
        if (i + 1 < bytes.size()) c |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << (8 - j);
        out.push_back(chars[c & 0x1f]);
    }
    return out;
}

std::string slot_file_prefix(const std::string& uri, const NixLogic& logic) {
    std::string escaped = uri;
    for (auto& c : escaped)
        if (c == '/') c = '_';
    if (!logic.lix_slot_names) return escaped;
    const std::string digest = util::to_string(util::sha256(util::to_bytes(uri)));
    return escaped.substr(0, 48) + "-" + nix_base32(digest).substr(0, 16);
}

std::optional<unsigned> held_slots(const std::string& dir, const std::string& uri, unsigned max_jobs, const NixLogic& logic,
                                   const LockedFiles& locked) {
    const std::string prefix = dir + "/" + slot_file_prefix(uri, logic) + "-";
    unsigned held = 0;
    for (unsigned slot = 0; slot < max_jobs && slot < 4096; ++slot) {
        struct stat st {};
        if (::lstat((prefix + std::to_string(slot)).c_str(), &st) != 0) {
            if (errno == ENOENT) continue;  // never used: free
            return std::nullopt;
        }
        if (locked.count({major(st.st_dev), minor(st.st_dev), static_cast<unsigned long>(st.st_ino)})) ++held;
    }
    return held;
}

}  // namespace nbd::route
