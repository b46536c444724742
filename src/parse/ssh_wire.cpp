#include "nix_builder_doctor/parse/ssh_wire.hpp"

namespace nbd::parse {
namespace {

// OpenSSH's SSHBUF_MAX_BIGNUM: 16384 bits.
constexpr std::size_t kMaxMpintBytes = 16384 / 8;

}  // namespace

bool SshReader::fail(std::string_view why) {
    if (m_error.empty()) m_error = why;
    return false;
}

bool SshReader::read_u8(std::uint8_t& out) {
    if (failed()) return false;
    if (remaining() < 1) return fail("truncated");
    out = m_data[m_pos++];
    return true;
}

bool SshReader::read_u32(std::uint32_t& out) {
    if (failed()) return false;
    if (remaining() < 4) return fail("truncated");
    out = 0;
    for (int i = 0; i < 4; ++i) out = (out << 8) | m_data[m_pos++];
    return true;
}

bool SshReader::read_u64(std::uint64_t& out) {
    if (failed()) return false;
    if (remaining() < 8) return fail("truncated");
    out = 0;
    for (int i = 0; i < 8; ++i) out = (out << 8) | m_data[m_pos++];
    return true;
}

bool SshReader::read_string(ByteSpan& out) {
    std::uint32_t len = 0;
    if (!read_u32(len)) return false;
    if (len > remaining()) {
        m_pos -= 4;
        return fail("truncated");
    }
    out = m_data.subspan(m_pos, len);
    m_pos += len;
    return true;
}

bool SshReader::read_cstring(std::string& out) {
    ByteSpan bytes;
    if (!read_string(bytes)) return false;
    for (auto b : bytes)
        if (b == 0) return fail("string contains a NUL byte");
    out.assign(bytes.begin(), bytes.end());
    return true;
}

bool SshReader::skip_string() {
    ByteSpan ignored;
    return read_string(ignored);
}

bool SshReader::read_mpint(ByteSpan& magnitude) {
    ByteSpan raw;
    if (!read_string(raw)) return false;
    if (!raw.empty() && (raw[0] & 0x80) != 0) return fail("negative mpint");
    if (raw.size() > kMaxMpintBytes + 1 || (raw.size() == kMaxMpintBytes + 1 && raw[0] != 0))
        return fail("mpint too large");
    std::size_t skip = 0;
    while (skip < raw.size() && raw[skip] == 0) ++skip;
    magnitude = raw.subspan(skip);
    return true;
}

void SshWriter::put_u8(std::uint8_t v) { m_bytes.push_back(v); }

void SshWriter::put_u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        m_bytes.push_back(static_cast<std::uint8_t>(v >> shift));
}

void SshWriter::put_string(ByteSpan bytes) {
    put_u32(static_cast<std::uint32_t>(bytes.size()));
    m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
}

void SshWriter::put_string(std::string_view text) {
    put_u32(static_cast<std::uint32_t>(text.size()));
    m_bytes.insert(m_bytes.end(), text.begin(), text.end());
}

void SshWriter::put_mpint(ByteSpan magnitude) {
    std::size_t skip = 0;
    while (skip < magnitude.size() && magnitude[skip] == 0) ++skip;
    magnitude = magnitude.subspan(skip);
    const bool pad = !magnitude.empty() && (magnitude[0] & 0x80) != 0;
    put_u32(static_cast<std::uint32_t>(magnitude.size() + (pad ? 1 : 0)));
    if (pad) m_bytes.push_back(0);
    m_bytes.insert(m_bytes.end(), magnitude.begin(), magnitude.end());
}

unsigned bit_length(ByteSpan magnitude) {
    std::size_t i = 0;
    while (i < magnitude.size() && magnitude[i] == 0) ++i;
    if (i == magnitude.size()) return 0;
    unsigned top = 0;
    for (std::uint8_t b = magnitude[i]; b != 0; b >>= 1) ++top;
    return static_cast<unsigned>((magnitude.size() - i - 1) * 8) + top;
}

}  // namespace nbd::parse
