#include "nix_builder_doctor/explain/log_reader.hpp"

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::explain {
namespace {

constexpr std::size_t kMinBannerAts = 10;

std::size_t trailing_ats(std::string_view s) {
    std::size_t n = 0;
    while (n < s.size() && s[s.size() - 1 - n] == '@') ++n;
    return n;
}

bool all_ats(std::string_view s) { return s.size() >= kMinBannerAts && trailing_ats(s) == s.size(); }

// "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @"
bool banner_middle(std::string_view s) {
    return s.size() > 2 && s.front() == '@' && s.back() == '@' && !util::trim(s, "@ \t").empty();
}

}  // namespace

LogReader::LogReader(std::istream& in, std::size_t max_length) : m_source(in, max_length) {}

bool LogReader::pull() {
    if (!m_source.next(m_raw)) return false;
    ++m_physical;
    CleanLine clean = clean_line(m_raw);
    m_lookahead.push_back(LogLine{m_physical, std::move(clean.text), clean.build_log});
    return true;
}

std::optional<LogLine> LogReader::next() {
    if (m_lookahead.empty() && !pull()) return std::nullopt;
    // OpenSSH's warnings are a banner of three lines; the first may follow Nix's own text
    // ("cannot build on '...': cannot connect to '...': @@@@@@@@").
    if (trailing_ats(m_lookahead.front().text) >= kMinBannerAts) {
        while (m_lookahead.size() < 3 && pull()) {
        }
        if (m_lookahead.size() >= 3 && banner_middle(m_lookahead[1].text) && all_ats(m_lookahead[2].text)) {
            LogLine joined = std::move(m_lookahead.front());
            std::string_view head = joined.text;
            head.remove_suffix(trailing_ats(head));
            std::string text(util::trim(head, " \t"));
            const std::string_view middle = util::trim(m_lookahead[1].text, "@ \t");
            if (!text.empty()) text += ' ';
            text += middle;
            joined.text = std::move(text);
            m_lookahead.erase(m_lookahead.begin(), m_lookahead.begin() + 3);
            return joined;
        }
    }
    LogLine line = std::move(m_lookahead.front());
    m_lookahead.pop_front();
    return line;
}

}  // namespace nbd::explain
