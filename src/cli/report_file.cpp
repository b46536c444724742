#include "nix_builder_doctor/cli/report_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "nix_builder_doctor/cli/options.hpp"

namespace nbd::cli {
namespace {

std::filesystem::path folder_of(const std::string& path) {
    const auto parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? std::filesystem::path(".") : parent;
}

std::string temporary_name(const std::string& path) {
    std::random_device seed;
    const auto name = std::filesystem::path(path).filename().string();
    return (folder_of(path) / ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(seed() & 0xffffff))).string();
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
    throw std::runtime_error("cannot write report " + path + ": " + what + ": " + std::strerror(error));
}

}  // namespace

void check_report_path(const std::string& path) {
    std::error_code ec;
    const auto folder = folder_of(path);
    if (!std::filesystem::is_directory(folder, ec))
        throw UsageError("--report: the folder of " + path + " (" + folder.string() + ") does not exist");
    if (std::filesystem::is_directory(path, ec)) throw UsageError("--report: " + path + " is a folder");
}

void write_report_file(const std::string& path, const std::string& text) {
    const std::string temporary = temporary_name(path);
    // O_EXCL|O_NOFOLLOW: never through a link or over a file someone placed there.
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) fail(path, "creating " + temporary, errno);
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : EIO;
            ::close(fd);
            ::unlink(temporary.c_str());
            fail(path, "writing " + temporary, error);
        }
        written += static_cast<std::size_t>(n);
    }
    const int synced = ::fsync(fd) == 0 ? 0 : errno;
    const int closed = ::close(fd) == 0 ? 0 : errno;
    if (synced != 0 || closed != 0) {
        const int error = synced != 0 ? synced : closed;
        ::unlink(temporary.c_str());
        fail(path, "flushing " + temporary, error);
    }
    // rename replaces FILE itself (a link at FILE is replaced, its target untouched).
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        fail(path, "renaming " + temporary + " into place", error);
    }
}

}  // namespace nbd::cli
