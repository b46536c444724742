#include "nix_builder_doctor/explain/literal_index.hpp"

#include <algorithm>
#include <cctype>
#include <queue>
#include <stdexcept>

namespace nbd::explain {
namespace {

constexpr std::size_t kAlphabet = 256;

unsigned char lower(unsigned char c) { return static_cast<unsigned char>(std::tolower(c)); }

}  // namespace

std::size_t LiteralIndex::add(const std::string& literal) {
    if (m_built) throw std::logic_error("LiteralIndex::add after build");
    std::string key;
    for (unsigned char c : literal) key += static_cast<char>(lower(c));
    const auto it = std::find(m_literals.begin(), m_literals.end(), key);
    if (it != m_literals.end()) return static_cast<std::size_t>(it - m_literals.begin());
    m_literals.push_back(key);
    return m_literals.size() - 1;
}

void LiteralIndex::build() {
    // The trie, with -1 for a missing edge.
    std::vector<std::int32_t> next(kAlphabet, -1);
    std::vector<std::vector<std::size_t>> outputs(1);
    for (std::size_t id = 0; id < m_literals.size(); ++id) {
        std::size_t state = 0;
        for (unsigned char c : m_literals[id]) {
            if (next[state * kAlphabet + c] < 0) {
                next[state * kAlphabet + c] = static_cast<std::int32_t>(outputs.size());
                outputs.emplace_back();
                next.resize(outputs.size() * kAlphabet, -1);
            }
            state = static_cast<std::size_t>(next[state * kAlphabet + c]);
        }
        outputs[state].push_back(id);
    }
    // Failure links in breadth-first order turn the trie into a complete automaton.
    std::vector<std::int32_t> fail(outputs.size(), 0);
    std::queue<std::size_t> queue;
    for (std::size_t c = 0; c < kAlphabet; ++c) {
        auto& edge = next[c];
        if (edge < 0) edge = 0;
        else queue.push(static_cast<std::size_t>(edge));
    }
    while (!queue.empty()) {
        const std::size_t state = queue.front();
        queue.pop();
        const auto& inherited = outputs[static_cast<std::size_t>(fail[state])];
        outputs[state].insert(outputs[state].end(), inherited.begin(), inherited.end());
        for (std::size_t c = 0; c < kAlphabet; ++c) {
            auto& edge = next[state * kAlphabet + c];
            const std::int32_t via_fail = next[static_cast<std::size_t>(fail[state]) * kAlphabet + c];
            if (edge < 0) {
                edge = via_fail;
            } else {
                fail[static_cast<std::size_t>(edge)] = via_fail;
                queue.push(static_cast<std::size_t>(edge));
            }
        }
    }
    m_next = std::move(next);
    m_outputs = std::move(outputs);
    m_built = true;
}

std::vector<LiteralIndex::Occurrence> LiteralIndex::scan(std::string_view text) const {
    std::vector<Occurrence> found;
    if (!m_built || m_literals.empty()) return found;
    std::vector<bool> seen(m_literals.size(), false);
    std::size_t state = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        state = static_cast<std::size_t>(m_next[state * kAlphabet + lower(static_cast<unsigned char>(text[i]))]);
        for (std::size_t id : m_outputs[state]) {
            if (seen[id]) continue;
            seen[id] = true;
            found.push_back({id, i + 1});
        }
    }
    return found;
}

}  // namespace nbd::explain
