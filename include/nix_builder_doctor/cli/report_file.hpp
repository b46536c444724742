// Writes a report file the user named (--report FORMAT=FILE): the only file the doctor writes.
// The text goes to a new temporary file in the same folder, is flushed to disk, and is renamed
// over FILE, so a reader (a Prometheus textfile collector, a CI step) sees the old file or the
// new one, never half of one.
#pragma once

#include <string>

namespace nbd::cli {

// Throws std::runtime_error naming the file and the reason when it cannot be written.
void write_report_file(const std::string& path, const std::string& text);

// Throws UsageError when FILE cannot be written at all (its folder is missing or not a
// folder, FILE is a folder): checked before any probe runs.
void check_report_path(const std::string& path);

}  // namespace nbd::cli
