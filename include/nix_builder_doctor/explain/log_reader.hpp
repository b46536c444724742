// Reads a build log as logical lines in constant memory: physical lines are cut at a bounded
// length, cleaned (ANSI colours, CR and progress-bar redraws, control bytes, invalid UTF-8) and
// OpenSSH's three-line `@@@@` warning banners are joined into the line that precedes them.
#pragma once

#include <cstddef>
#include <deque>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbd::explain {

inline constexpr std::size_t kMaxLineLength = 64 * 1024;

// Physical lines from a stream, each at most `max_length` bytes (the rest of a longer line is
// skipped), through a fixed-size buffer.
class LineSource {
public:
    explicit LineSource(std::istream& in, std::size_t max_length = kMaxLineLength);
    // The next line without its '\n'; false at the end of the stream.
    bool next(std::string& line);
    bool read_error() const { return m_read_error; }

private:
    bool fill();

    std::istream& m_in;
    std::size_t m_max_length;
    std::vector<char> m_buffer;
    std::size_t m_pos = 0;
    std::size_t m_end = 0;
    bool m_eof = false;
    bool m_read_error = false;
};

struct CleanLine {
    std::string text;        // trimmed, printable UTF-8
    bool build_log = false;  // was a `> `-prefixed line of a builder's own log
};

// One physical line as a person would have seen it on a terminal.
CleanLine clean_line(std::string_view raw);
// ESC [ ... final, ESC ] ... BEL / ESC \, and two-byte ESC sequences removed.
std::string strip_ansi(std::string_view text);
// Invalid UTF-8 bytes become '?', control bytes become spaces (NUL and DEL are dropped).
std::string sanitize_utf8(std::string_view text);
// Nix 1.x quoting as today's: U+2018/U+2019 and a backquote closed by an apostrophe become '.
std::string normalize_quotes(std::string_view text);

struct LogLine {
    long long number = 0;  // 1-based physical line number of the line's first part
    std::string text;
    bool build_log = false;
};

class LogReader {
public:
    explicit LogReader(std::istream& in, std::size_t max_length = kMaxLineLength);
    std::optional<LogLine> next();
    long long physical_lines() const { return m_physical; }
    bool read_error() const { return m_source.read_error(); }

private:
    bool pull();  // one more cleaned physical line into the lookahead; false at the end

    LineSource m_source;
    std::deque<LogLine> m_lookahead;
    std::string m_raw;
    long long m_physical = 0;
};

}  // namespace nbd::explain
