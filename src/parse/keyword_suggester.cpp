#include "keyword_suggester.hpp"

#include <algorithm>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {

std::optional<std::string> KeywordSuggester::suggest(const std::string& word) {
    if (word.size() > 48) return std::nullopt;  // too far from every keyword anyway
    const auto it = suggestions_.find(word);
    if (it != suggestions_.end()) return it->second;
    if (suggestions_.size() >= 32) return std::nullopt;  // hostile input: stop guessing
    // Only keywords close enough in length can be within util::nearest()'s reach.
    const std::size_t reach = std::max<std::size_t>(2, word.size() / 3);
    std::vector<std::string> candidates;
    for (const auto& k : keywords_)
        if (k.size() + reach >= word.size() && word.size() + reach >= k.size()) candidates.push_back(k);
    return suggestions_[word] = util::nearest(word, candidates);
}

}  // namespace nbd::parse
