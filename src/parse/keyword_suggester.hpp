// "did you mean" for a mistyped ssh or sshd keyword, bounded for hostile input: once per word,
// at most 32 different words per parse, only keywords close enough in length to be in reach.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nbd::parse {

class KeywordSuggester {
public:
    explicit KeywordSuggester(const std::vector<std::string>& keywords) : keywords_(keywords) {}
    std::optional<std::string> suggest(const std::string& word);

private:
    const std::vector<std::string>& keywords_;
    std::map<std::string, std::optional<std::string>> suggestions_;
};

}  // namespace nbd::parse
