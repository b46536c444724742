#include <cstring>

#include "nix_builder_doctor/explain/log_reader.hpp"

namespace nbd::explain {

namespace {
constexpr std::size_t kBufferSize = 64 * 1024;
}

LineSource::LineSource(std::istream& in, std::size_t max_length)
    : m_in(in), m_max_length(max_length), m_buffer(kBufferSize) {}

bool LineSource::fill() {
    if (m_eof) return false;
    m_in.read(m_buffer.data(), static_cast<std::streamsize>(m_buffer.size()));
    m_pos = 0;
    m_end = static_cast<std::size_t>(m_in.gcount());
    if (m_in.bad()) m_read_error = true;
    if (!m_in) m_eof = true;
    return m_end > 0;
}

bool LineSource::next(std::string& line) {
    line.clear();
    bool any = false;
    for (;;) {
        if (m_pos == m_end && !fill()) return any;
        any = true;
        const char* start = m_buffer.data() + m_pos;
        const std::size_t available = m_end - m_pos;
        const void* newline = std::memchr(start, '\n', available);
        const std::size_t length = newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - start) : available;
        if (line.size() < m_max_length) line.append(start, std::min(length, m_max_length - line.size()));
        m_pos += length;
        if (newline) {
            ++m_pos;  // the '\n'
            return true;
        }
    }
}

}  // namespace nbd::explain
