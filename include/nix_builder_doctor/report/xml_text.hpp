// Text made safe for XML 1.0: through util::safe_text (secrets redacted, invalid UTF-8 replaced,
// control characters shown as \xNN), then the characters XML reserves escaped, and the
// noncharacters XML 1.0 forbids (U+FFFE, U+FFFF) replaced by U+FFFD.
#pragma once

#include <string>
#include <string_view>

namespace nbd::report {

std::string xml_text(std::string_view text);       // element content (newlines kept)
std::string xml_attribute(std::string_view text);  // attribute value in double quotes

}  // namespace nbd::report
