// The SSH wire encoding of RFC 4251 section 5 (big-endian uint32/uint64, length-prefixed
// strings, mpints) as used inside key blobs, certificates and openssh-key-v1 private key
// envelopes. The reader is bounds-checked and never reads past its buffer: a failed read leaves
// it failed with a short reason ("truncated", "negative mpint", ...) in the words OpenSSH's
// sshbuf uses. The writer builds canonical blobs (minimal mpints) the way OpenSSH serialises them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nbd::parse {

using ByteSpan = std::span<const std::uint8_t>;

class SshReader {
  public:
    explicit SshReader(ByteSpan data) : m_data(data) {}

    bool read_u8(std::uint8_t& out);
    bool read_u32(std::uint32_t& out);
    bool read_u64(std::uint64_t& out);
    // A length-prefixed string, as a view into the buffer.
    bool read_string(ByteSpan& out);
    // A length-prefixed string that must not contain NUL (sshbuf_get_cstring).
    bool read_cstring(std::string& out);
    bool skip_string();
    // A non-negative mpint of at most 16384 bits (sshbuf_get_bignum2); `magnitude` is the value
    // without leading zero bytes (empty for zero).
    bool read_mpint(ByteSpan& magnitude);

    bool failed() const { return !m_error.empty(); }
    // Why the first failed read failed; empty when none failed.
    const std::string& error() const { return m_error; }
    std::size_t remaining() const { return m_data.size() - m_pos; }
    std::size_t offset() const { return m_pos; }

  private:
    bool fail(std::string_view why);

    ByteSpan m_data;
    std::size_t m_pos = 0;
    std::string m_error;
};

class SshWriter {
  public:
    void put_u8(std::uint8_t v);
    void put_u32(std::uint32_t v);
    void put_string(ByteSpan bytes);
    void put_string(std::string_view text);
    // Minimal two's-complement encoding of a non-negative magnitude (leading zeros stripped, a
    // 0x00 prepended when the top bit is set), like sshbuf_put_bignum2_bytes.
    void put_mpint(ByteSpan magnitude);

    const std::vector<std::uint8_t>& bytes() const { return m_bytes; }
    std::vector<std::uint8_t> take() { return std::move(m_bytes); }

  private:
    std::vector<std::uint8_t> m_bytes;
};

// Number of significant bits of a big-endian magnitude (BN_num_bits).
unsigned bit_length(ByteSpan magnitude);

}  // namespace nbd::parse
