#include "nix_builder_doctor/explain/analyzer.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

#include "nix_builder_doctor/explain/finding_text.hpp"
#include "nix_builder_doctor/explain/log_reader.hpp"
#include "nix_builder_doctor/explain/log_structure.hpp"
#include "nix_builder_doctor/explain/ranking.hpp"
#include "nix_builder_doctor/util/redact.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::explain {
namespace {

// Bounds that keep memory constant whatever the log holds.
constexpr std::size_t kMaxHits = 4096;      // distinct (rule, builder) pairs
constexpr std::size_t kMaxBlocks = 1024;    // `cannot build on` lines remembered
constexpr std::size_t kMaxBuilders = 1024;  // builders named
// ssh's stderr appended to a `cannot build on` line ends at Nix's next message, or here.
constexpr int kMaxBlockLines = 64;

std::vector<ExplainSpec> parse_specs(const std::vector<engine::Rule>& rules) {
    std::vector<ExplainSpec> specs;
    std::vector<std::string> problems;
    for (const auto& r : rules) specs.push_back(parse_explain_spec(r, problems));
    if (!problems.empty()) throw std::invalid_argument("bad explain data in rules: " + util::join(problems, "; "));
    return specs;
}

// The rules again, each with its explain.patterns_with_builder as its log patterns.
std::vector<engine::Rule> with_builder_patterns(const std::vector<engine::Rule>& rules, const std::vector<ExplainSpec>& specs) {
    std::vector<engine::Rule> out = rules;
    for (std::size_t r = 0; r < out.size(); ++r) out[r].log_patterns = specs[r].patterns_with_builder;
    return out;
}

// Where the log's own copy command sends paths: into this machine from another store, into a
// local directory store, or elsewhere (a remote store; the default).
enum class CopyInto { elsewhere, this_machine, local_directory };

// A `nix copy` or `nix-copy-closure` command line and where it copies to; nullopt for other lines.
std::optional<CopyInto> copy_command(std::string_view text) {
    if (text.find("nix copy") == std::string_view::npos && text.find("nix-copy-closure") == std::string_view::npos) return std::nullopt;
    if (text.find("--from") != std::string_view::npos) return CopyInto::this_machine;
    for (const std::string_view to : {std::string_view("--to "), std::string_view("--to=")}) {
        const std::size_t at = text.find(to);
        if (at == std::string_view::npos) continue;
        std::string_view dest = text.substr(at + to.size());
        while (!dest.empty() && (dest.front() == ' ' || dest.front() == '\'' || dest.front() == '"')) dest.remove_prefix(1);
        if (dest.starts_with("/") || dest.starts_with("file://") || dest.starts_with("local")) return CopyInto::local_directory;
        return CopyInto::elsewhere;
    }
    return std::nullopt;
}

struct Block {
    std::string builder;
    long long line = 0;
    std::string text;
    bool explained = false;  // a cause or vague pattern matched inside it
};

// The state of one pass over a log.
class Scan {
public:
    Scan(const std::vector<engine::Rule>& rules, const std::vector<ExplainSpec>& specs, const RuleMatcher& matcher,
         const RuleMatcher& builder_matcher)
        : m_rules(rules), m_specs(specs), m_matcher(matcher), m_builder_matcher(builder_matcher) {}

    void feed(const LogLine& line);
    // Hits for the `cannot build on` lines no pattern explained, then everything in log order.
    std::vector<Hit> finish();
    const std::vector<std::string>& builders() const { return m_builders; }

private:
    void note_builder(const std::string& b) {
        if (b.empty() || m_builders.size() >= kMaxBuilders) return;
        if (std::find(m_builders.begin(), m_builders.end(), b) == m_builders.end()) m_builders.push_back(b);
    }
    void record(Hit hit) {
        const auto key = std::make_pair(hit.rule, hit.builder);
        if (auto it = m_seen.find(key); it != m_seen.end()) {
            Hit& first = m_hits[it->second];
            if (!hit.needs_builder) first.needs_builder = false;  // a pattern of its own confirms it
            first.last_line = std::max(first.last_line, hit.line);
            return;
        }
        if (m_seen.size() >= kMaxHits) return;
        m_seen.emplace(key, m_hits.size());
        m_hits.push_back(std::move(hit));
    }

    const std::vector<engine::Rule>& m_rules;
    const std::vector<ExplainSpec>& m_specs;
    const RuleMatcher& m_matcher;
    const RuleMatcher& m_builder_matcher;
    std::vector<Hit> m_hits;
    std::map<std::pair<std::size_t, std::string>, std::size_t> m_seen;
    std::vector<Block> m_blocks;
    std::vector<std::string> m_builders;
    int m_block = kNoBlock;  // the block the current line belongs to
    int m_block_lines_left = 0;
    std::string m_building_on;  // the builder of the last `building '...' on '...'`
    CopyInto m_copy = CopyInto::elsewhere;  // the last copy command's destination
    std::string m_previous;
    int m_key_lines_left = 0;  // inside a private key pasted into the log
};

// A private key pasted into a log: the lines after its BEGIN armor (to its END, at most this many)
// are noted as secrets, so no evidence line can quote them, not even the short last one.
constexpr int kMaxKeyLines = 256;

void Scan::feed(const LogLine& line) {
    const std::string& text = line.text;
    // One literal search per line; the rest only inside a key.
    const bool armor = text.find("PRIVATE KEY") != std::string::npos;
    if (m_key_lines_left > 0) {
        if (armor) m_key_lines_left = 0;
        else {
            util::note_key_line(text);
            --m_key_lines_left;
        }
    } else if (armor && text.find("BEGIN") != std::string::npos && util::contains_private_key(text)) {
        m_key_lines_left = kMaxKeyLines;
    }
    std::string_view match_text = text;
    std::string named;  // the builder this line is about, if it says
    if (auto failure = parse_builder_failure(text)) {
        note_builder(failure->builder);
        named = failure->builder;
        match_text = std::string_view(text).substr(failure->cause_offset);
        m_block = kNoBlock;
        if (m_blocks.size() < kMaxBlocks) {
            m_blocks.push_back({failure->builder, line.number, text, false});
            m_block = static_cast<int>(m_blocks.size()) - 1;
            m_block_lines_left = kMaxBlockLines;
        }
    } else {
        if (m_block != kNoBlock && (starts_nix_message(text) || --m_block_lines_left <= 0)) m_block = kNoBlock;
        if (auto on = parse_building_on(text)) {
            m_building_on = *on;
            m_copy = CopyInto::elsewhere;  // a remote build started after the copy
            note_builder(*on);
        }
        if (auto copy = copy_command(text)) m_copy = *copy;
        if (m_block != kNoBlock) named = m_blocks[static_cast<std::size_t>(m_block)].builder;
        else if (auto b = builder_named_in(text)) {
            named = *b;
            note_builder(*b);
        }
    }
    auto take = [&](std::size_t r, bool needs_builder) {
        if (m_copy != CopyInto::elsewhere && named.empty() && !m_specs[r].when_copying_in.empty()) {
            if (m_copy == CopyInto::local_directory) return;  // a local directory store's own refusal
            const std::string& other = m_specs[r].when_copying_in;
            for (std::size_t o = 0; o < m_rules.size(); ++o)
                if (m_rules[o].id == other) r = o;
        }
        const ExplainSpec& spec = m_specs[r];
        const bool about_builder = spec.scope == Scope::builder || spec.scope == Scope::builder_line;
        std::string builder = named;
        if (builder.empty() && about_builder) builder = m_building_on;
        if (spec.scope == Scope::builder_line && builder.empty()) return;
        if (spec.scope == Scope::local && !named.empty()) return;
        if (m_block != kNoBlock && spec.role != Role::consequence) m_blocks[static_cast<std::size_t>(m_block)].explained = true;
        Hit hit{r, builder, line.number, text, m_block, line.build_log};
        hit.needs_builder = needs_builder;
        record(std::move(hit));
    };
    for (std::size_t r : m_matcher.match(match_text, m_previous)) take(r, false);
    for (std::size_t r : m_builder_matcher.match(match_text, m_previous)) take(r, true);
    m_previous = text;
}

std::vector<Hit> Scan::finish() {
    std::size_t fallback = m_rules.size();
    for (std::size_t r = 0; r < m_rules.size() && fallback == m_rules.size(); ++r)
        if (m_specs[r].fallback) fallback = r;
    if (fallback < m_rules.size())
        for (std::size_t b = 0; b < m_blocks.size(); ++b)
            if (!m_blocks[b].explained)
                record(Hit{fallback, m_blocks[b].builder, m_blocks[b].line, m_blocks[b].text, static_cast<int>(b), false});
    // Without a builder in the log no remote build was tried: the local machine's own refusal
    // ("..., but I am a 'x86_64-linux'") is then no builder's fault.
    if (m_builders.empty())
        m_hits.erase(std::remove_if(m_hits.begin(), m_hits.end(), [](const Hit& h) { return h.needs_builder; }), m_hits.end());
    // Builders named, none failed: the match stands for another rule (none of them fits).
    if (!m_builders.empty() && m_blocks.empty())
        for (auto& h : m_hits) {
            const std::string& other = m_specs[h.rule].when_builders_named;
            if (other.empty()) continue;
            for (std::size_t r = 0; r < m_rules.size(); ++r)
                if (m_rules[r].id == other) h.rule = r;
        }
    std::stable_sort(m_hits.begin(), m_hits.end(), [](const Hit& a, const Hit& b) { return a.line < b.line; });
    return std::move(m_hits);
}

}  // namespace

Explainer::Explainer(std::vector<engine::Rule> rules)
    : m_rules(std::move(rules)),
      m_specs(parse_specs(m_rules)),
      m_matcher(m_rules),
      m_builder_matcher(with_builder_patterns(m_rules, m_specs)) {}

ExplainResult Explainer::explain(std::istream& log) const {
    LogReader reader(log);
    Scan scan(m_rules, m_specs, m_matcher, m_builder_matcher);
    while (auto line = reader.next()) scan.feed(*line);
    std::vector<Hit> hits = scan.finish();

    ExplainResult result;
    result.lines = reader.physical_lines();
    result.read_error = reader.read_error();
    result.builders = scan.builders();
    for (const auto& ranked : rank_hits(std::move(hits), m_rules, m_specs, scan.builders()))
        result.findings.push_back(compose_finding(ranked, m_rules[ranked.hit.rule], m_specs[ranked.hit.rule]));
    return result;
}

}  // namespace nbd::explain
