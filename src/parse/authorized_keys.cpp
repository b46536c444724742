// authorized_keys lines (auth2-pubkeyfile.c auth_check_authkeys_file / auth_check_authkey_line).
#include "nix_builder_doctor/parse/authorized_keys.hpp"

#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::parse {
namespace {


// sshkey_advance_past_options: the end of the first unquoted blank; npos for an unterminated
// quote.
std::size_t end_of_options(std::string_view s) {
    bool quoted = false;
    std::size_t i = 0;
    for (; i < s.size() && (quoted || (s[i] != ' ' && s[i] != '\t')); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '"')
            ++i;
        else if (s[i] == '"')
            quoted = !quoted;
    }
    if (i >= s.size() && quoted) return std::string_view::npos;
    return std::min(i, s.size());
}

// Why a line with no readable key is not one, in the most useful words. `key_text` is what
// follows the option list (empty when nothing does).
std::string no_key_reason(std::string_view line, std::string_view key_text, bool explain) {
    if (util::starts_with(line, "-----BEGIN") || util::starts_with(line, "-----END"))
        return "this is PEM text (a private key?); authorized_keys needs the public key (the .pub "
               "file)";
    if (util::starts_with(line, "---- BEGIN SSH2") || util::starts_with(line, "---- END SSH2"))
        return "RFC 4716 (SSH2) key text; convert it with `ssh-keygen -i -f FILE`";
    const auto first = line.substr(0, line.find_first_of(util::kSpaceTab));
    const auto comma = first.rfind(',');
    if (comma != std::string_view::npos && find_key_type(first.substr(comma + 1)))
        return "the options run into the key type: put a blank before '" +
               std::string(first.substr(comma + 1)) + "'";
    // A line starting with a key type is a broken key; otherwise report what follows the options.
    if (find_key_type(first) || key_text.empty()) return parse_public_key(line, explain).error;
    return parse_public_key(key_text, explain).error;
}

AuthorizedKeyEntry parse_line(std::string_view line, int line_number, bool explain,
                              std::string& diagnostic) {
    AuthorizedKeyEntry entry;
    entry.line = line_number;
    // Like sshd: first the whole line as a key, then options followed by a key. The costly
    // explanations are only worked out for a line that has no key at all.
    PublicKeyResult bare = parse_public_key(line, false);
    if (bare) {
        entry.key = std::move(bare.key);
        return entry;
    }
    const std::size_t options_end = end_of_options(line);
    if (options_end == std::string_view::npos) {
        diagnostic =
            "bad key options: unterminated quote (invalid key option string); sshd skips this line";
        entry.error = "unterminated quote in the options";
        return entry;
    }
    const std::string_view key_text = util::trim_start(line.substr(options_end), util::kSpaceTab);
    PublicKeyResult with_options =
        key_text.empty() ? PublicKeyResult{std::nullopt, ""} : parse_public_key(key_text, false);
    if (!with_options) {
        entry.error = no_key_reason(line, key_text, explain);
        diagnostic = "not a valid key line: " + entry.error + "; sshd skips this line";
        return entry;
    }
    entry.key = std::move(with_options.key);
    entry.options_text = std::string(line.substr(0, options_end));
    const std::string error = parse_authorized_key_options(line, entry);
    if (!error.empty()) {
        entry.error = "bad key options: " + error;
        diagnostic = entry.error + "; sshd ignores this key";
    }
    return entry;
}

}  // namespace

AuthorizedKeys parse_authorized_keys(std::string_view text, std::string_view file) {
    AuthorizedKeys result;
    result.file = std::string(file);
    int line_number = 0;
    std::size_t unreported = 0;
    for (auto raw : util::split_lines(text)) {
        ++line_number;
        const std::string_view line = util::trim(util::trim_start(raw, util::kSpaceTab));
        if (line.empty() || line.front() == '#') continue;
        const bool report = result.diagnostics.size() < kMaxLineErrors;
        std::string diagnostic;
        AuthorizedKeyEntry entry = parse_line(line, line_number, report, diagnostic);
        if (!diagnostic.empty()) {
            if (!report) {
                ++unreported;
                if (!entry.key) continue;  // keep every line that holds a key
            } else {
                result.diagnostics.push_back({result.file, line_number, diagnostic});
            }
        }
        result.entries.push_back(std::move(entry));
    }
    if (unreported > 0)
        result.diagnostics.push_back(
            {result.file, 0,
             std::to_string(unreported) + " more malformed lines not reported; sshd skips them"});
    return result;
}

}  // namespace nbd::parse
