#include "nix_builder_doctor/facts/nix_sshopts.hpp"

#include <cstdlib>

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::facts {
namespace {

std::string quoted_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + ("`" + w + "`");
    return out.empty() ? "nothing" : out;
}

// Nix >= 2.26 (the first release with shellSplitString); false for an unknown version. Lix
// splits on blanks (tokenizeString in lix/libstore/ssh.cc, read in 2.90.0, 2.93.0 and 2.95.3).
bool splits_like_shell(const std::string& flavor, const std::string& version, bool& known) {
    known = flavor == "lix" || flavor == "determinate";
    if (flavor == "determinate") return true;  // every 3.x is based on Nix 2.26 or later
    if (flavor != "nix" || version.empty()) return false;
    char* end = nullptr;
    const long major = std::strtol(version.c_str(), &end, 10);
    if (end == version.c_str() || *end != '.') return false;
    const char* minor_start = end + 1;
    const long minor = std::strtol(minor_start, &end, 10);
    if (end == minor_start) return false;
    known = true;
    return major > 2 || (major == 2 && minor >= 26);
}

}  // namespace

std::vector<std::string> shell_split(std::string_view s, std::string* error) {
    std::vector<std::string> out;
    std::string current;
    bool started = false;
    std::size_t i = 0;
    const auto push = [&] {
        if (started) out.push_back(current);
        current.clear();
        started = false;
    };
    while (i < s.size()) {
        const char c = s[i++];
        if (c == '\\') {
            if (i < s.size()) {  // a trailing backslash is dropped, as Nix does
                current += s[i++];
                started = true;
            }
        } else if (c == ' ' || c == '\t') {
            push();
        } else if (c == '\'') {
            started = true;
            const auto close = s.find('\'', i);
            if (close == std::string_view::npos) {
                if (error) *error = "unterminated single quote";
                current.append(s.substr(i));
                i = s.size();
                break;
            }
            current.append(s.substr(i, close - i));
            i = close + 1;
        } else if (c == '"') {
            started = true;
            bool closed = false;
            while (i < s.size()) {
                const char d = s[i++];
                if (d == '\\' && i < s.size()) {
                    const char e = s[i++];
                    if (e != '$' && e != '`' && e != '"' && e != '\\') current += '\\';
                    current += e;
                } else if (d == '\\') {
                    // a backslash just before the end: the quote is not closed
                } else if (d == '"') {
                    closed = true;
                    break;
                } else {
                    current += d;
                }
            }
            if (!closed) {
                if (error) *error = "unterminated double quote";
                break;
            }
        } else {
            current += c;
            started = true;
        }
    }
    push();
    return out;
}

SshoptsSplit split_nix_sshopts(std::string_view value, const std::string& flavor, const std::string& version) {
    SshoptsSplit r;
    const auto blank_words = util::split_tokens(value);
    std::string error;
    const auto shell_words = shell_split(value, &error);
    bool known = false;
    const bool shell = splits_like_shell(flavor, version, known);
    const std::string who = flavor.empty() ? "the local Nix" : flavor + " " + version;
    if (known && shell) {
        r.method = "shell";
        if (!error.empty()) {
            r.error = error;
            r.words = blank_words;
            r.note = "NIX_SSHOPTS has an " + error + ": " + who +
                     " splits it like a shell and refuses it (`while splitting NIX_SSHOPTS`), so every ssh builder fails";
        } else {
            r.words = shell_words;
        }
        return r;
    }
    r.method = "whitespace";
    r.words = blank_words;
    if (known) return r;  // Nix before 2.26: blanks only, quotes are part of the words
    if (!error.empty() || shell_words != blank_words)
        r.note = "NIX_SSHOPTS splits differently by Nix version and the doctor could not tell which runs here (" +
                 (flavor.empty() ? std::string("unknown") : who) + "): Nix before 2.26 splits it on blanks (" +
                 quoted_words(blank_words) + "), Nix 2.26 and later like a shell (" +
                 (error.empty() ? quoted_words(shell_words) : "refused: " + error) +
                 "); the doctor used the split on blanks";
    return r;
}

}  // namespace nbd::facts
