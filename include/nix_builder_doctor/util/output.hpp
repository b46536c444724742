// The boundary where text leaves the program: one helper for JSON, one for terminal text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nbd::util {

// Secrets redacted (util/redact.hpp), then serialized with invalid UTF-8 replaced by U+FFFD
// (never the type_error.316 nlohmann throws by default). Every JSON output goes through this.
std::string dump_json(nlohmann::json j, int indent = 2);
// Serialization only (no redaction), still never throwing on invalid UTF-8.
std::string dump_json_raw(const nlohmann::json& j, int indent = -1);

// Secrets redacted, invalid UTF-8 replaced by U+FFFD, and C0 controls (but newline and tab),
// DEL and the C1 range (ESC and CSI included) shown as `\xNN`, so a hostile configuration cannot
// move the cursor, clear the screen or set the title through our output; bidirectional
// overrides (U+202A-202E, U+2066-2069, U+200E/F) shown as `\uNNNN`. Apply to every value
// before it is styled (the renderer's own colour sequences are added afterwards).
std::string safe_text(std::string_view text);

// Invalid UTF-8 replaced by U+FFFD; everything else unchanged.
std::string valid_utf8(std::string_view text);

}  // namespace nbd::util
