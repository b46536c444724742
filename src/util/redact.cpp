#include "nix_builder_doctor/util/redact.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <vector>

#include "nix_builder_doctor/util/encoding.hpp"

namespace nbd::util {
namespace {

constexpr std::string_view kPrivateKey = "PRIVATE KEY";
constexpr std::string_view kOpensshBody = "b3BlbnNzaC1rZXktdjE";  // base64("openssh-key-v1")
constexpr std::string_view kArmorBase64 = "LS0tLS1CRUdJTi";       // base64("-----BEGIN")
constexpr std::string_view kPutty = "PuTTY-User-Key-File-";
constexpr std::string_view kPuttyPrivate = "Private-Lines:";
constexpr std::string_view kPuttyMac = "Private-MAC:";
constexpr std::string_view kAccessTokens = "access-tokens";
constexpr std::string_view kTokenPrefixes[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-"};

bool is_b64(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}
bool is_word(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'; }
bool is_token_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

struct Span {
    std::size_t begin, end;
    std::string_view marker;
};

// Secrets noted while reading, lower-cased.
struct Registry {
    std::mutex mutex;
    std::vector<std::string> secrets;
    std::atomic<std::size_t> count{0};
};

Registry& registry() {
    static Registry r;
    return r;
}

std::size_t line_start(std::string_view t, std::size_t p) {
    const auto nl = t.rfind('\n', p);
    return nl == std::string_view::npos ? 0 : nl + 1;
}
std::size_t line_end(std::string_view t, std::size_t p) {
    const auto nl = t.find('\n', p);
    return nl == std::string_view::npos ? t.size() : nl;
}

// An armor line around the "PRIVATE KEY" at p: `----- BEGIN|END ... PRIVATE KEY -----`.
struct Armor {
    bool found = false;
    bool begin = false;
    std::size_t start = 0, end = 0;
};

Armor armor_at(std::string_view t, std::size_t p) {
    Armor a;
    const std::size_t ls = line_start(t, p);
    const std::string_view before = t.substr(ls, p - ls);
    // The dash run nearest before the label (a key flattened onto one line has both armors).
    auto dashes = before.rfind("----");
    if (dashes == std::string_view::npos) return a;
    while (dashes > 0 && before[dashes - 1] == '-') --dashes;
    const std::string_view label = before.substr(dashes);
    const bool begin = label.find("BEGIN") != std::string_view::npos;
    const bool end = label.find("END") != std::string_view::npos;
    if (!begin && !end) return a;
    a.found = true;
    a.begin = begin;
    a.start = ls + dashes;
    a.end = p + kPrivateKey.size();
    const std::size_t le = line_end(t, p);
    std::size_t e = a.end;
    while (e < le && t[e] == ' ') ++e;  // SSH2 writes `PRIVATE KEY ----`
    if (e < le && t[e] == '-') {
        while (e < le && t[e] == '-') ++e;
        a.end = e;
    }
    return a;
}

void find_armor(std::string_view t, std::vector<Span>& out) {
    std::size_t pos = 0;
    while ((pos = t.find(kPrivateKey, pos)) != std::string_view::npos) {
        const Armor a = armor_at(t, pos);
        if (!a.found) {
            pos += kPrivateKey.size();
            continue;
        }
        if (!a.begin) {
            out.push_back({a.start, a.end, kRedactedPrivateKey});
            pos = a.end;
            continue;
        }
        // To the matching END line, or to the end of the text when there is none.
        std::size_t block_end = t.size();
        for (std::size_t q = a.end; (q = t.find(kPrivateKey, q)) != std::string_view::npos; q += kPrivateKey.size()) {
            const Armor e = armor_at(t, q);
            if (e.found && !e.begin) {
                block_end = e.end;
                break;
            }
        }
        out.push_back({a.start, block_end, kRedactedPrivateKey});
        pos = block_end;
    }
}

void find_putty(std::string_view t, std::vector<Span>& out) {
    if (auto p = t.find(kPutty); p != std::string_view::npos) out.push_back({p, t.size(), kRedactedPrivateKey});
    if (auto p = t.find(kPuttyPrivate); p != std::string_view::npos) out.push_back({p, t.size(), kRedactedPrivateKey});
    if (auto p = t.find(kPuttyMac); p != std::string_view::npos) out.push_back({p, line_end(t, p), kRedactedPrivateKey});
}

void find_access_tokens(std::string_view t, std::vector<Span>& out) {
    for (std::size_t p = 0; (p = t.find(kAccessTokens, p)) != std::string_view::npos;) {
        std::size_t q = p + kAccessTokens.size();
        while (q < t.size() && (t[q] == ' ' || t[q] == '\t')) ++q;
        if (q < t.size() && t[q] == '=') {
            ++q;
            while (q < t.size() && (t[q] == ' ' || t[q] == '\t')) ++q;
            const std::size_t e = line_end(t, q);
            if (e > q) out.push_back({q, e, kRedactedToken});
            p = e;
        } else {
            p = q;
        }
    }
    for (const auto prefix : kTokenPrefixes) {
        for (std::size_t p = 0; (p = t.find(prefix, p)) != std::string_view::npos;) {
            std::size_t q = p + prefix.size();
            while (q < t.size() && is_token_char(t[q])) ++q;
            if (q - p - prefix.size() >= 16 && (p == 0 || !is_token_char(t[p - 1]))) out.push_back({p, q, kRedactedToken});
            p = q;
        }
    }
}

bool mixed_case(std::string_view run) {
    bool upper = false, lower_seen = false;
    for (char c : run) {
        upper = upper || (c >= 'A' && c <= 'Z');
        lower_seen = lower_seen || (c >= 'a' && c <= 'z');
    }
    return upper && lower_seen;
}

// Is this run of base64 characters (with its padding) key material? Its marker, or empty.
std::string_view judge_run(std::string_view run) {
    std::size_t core = run.size();
    while (core > 0 && run[core - 1] == '=') --core;
    if (core < 19) return {};
    if (run.substr(0, kOpensshBody.size()) == kOpensshBody) return kRedactedPrivateKey;
    if (run.substr(0, kArmorBase64.size()) == kArmorBase64) {
        if (auto bytes = base64_decode_nix(run); bytes && contains_private_key(to_string(*bytes))) return kRedactedPrivateKey;
        return {};
    }
    // A full line of a wrapped private key (PEM wraps at 64, OpenSSH at 70).
    if ((core == 64 || core == 70) && mixed_case(run)) return kRedactedPrivateKey;
    if (core == 86 && run.size() == 88)
        if (auto bytes = base64_decode(run); bytes && is_nix_secret_key_bytes(bytes->data(), bytes->size()))
            return kRedactedNixSecretKey;
    return {};
}

// Runs of base64 characters (with their `=` padding), each judged on its own; a run that starts
// with `/` is judged with and without its leading slashes (`ssh://` + a key line).
void find_base64_runs(std::string_view t, std::vector<Span>& out) {
    std::size_t i = 0;
    while (i < t.size()) {
        if (!is_b64(t[i])) {
            ++i;
            continue;
        }
        const std::size_t s = i;
        while (i < t.size() && is_b64(t[i])) ++i;
        const std::size_t core_end = i;
        while (i < t.size() && t[i] == '=' && i - core_end < 2) ++i;
        if (i - s < 19) continue;
        std::string_view marker = judge_run(t.substr(s, i - s));
        std::size_t from = s;
        if (marker.empty() && t[s] == '/') {
            while (from < i && t[from] == '/') ++from;
            marker = judge_run(t.substr(from, i - from));
        }
        if (!marker.empty()) out.push_back({from, i, marker});
    }
}

void find_noted(std::string_view t, std::vector<Span>& out) {
    Registry& r = registry();
    if (r.count.load(std::memory_order_acquire) == 0) return;
    std::string lowered(t);
    for (auto& c : lowered) c = lower(c);
    std::lock_guard lock(r.mutex);
    for (const auto& secret : r.secrets) {
        for (std::size_t p = 0; (p = lowered.find(secret, p)) != std::string::npos; ++p) {
            const std::size_t e = p + secret.size();
            if ((p > 0 && is_word(lowered[p - 1])) || (e < lowered.size() && is_word(lowered[e]))) continue;
            out.push_back({p, e, kRedactedPrivateKey});
        }
    }
}

std::vector<Span> find_secrets(std::string_view t) {
    std::vector<Span> spans;
    find_armor(t, spans);
    find_putty(t, spans);
    find_access_tokens(t, spans);
    find_base64_runs(t, spans);
    find_noted(t, spans);
    return spans;
}

std::string replace_spans(std::string_view t, std::vector<Span> spans) {
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin || (a.begin == b.begin && a.end > b.end); });
    std::string out;
    out.reserve(t.size());
    std::size_t at = 0;
    for (const auto& s : spans) {
        if (s.end <= at) continue;  // inside a span already replaced
        if (s.begin >= at) {
            out.append(t.substr(at, s.begin - at));
            out.append(s.marker);
        }
        // Overlapping the previous span: extend it without a second marker.
        at = s.end;
    }
    out.append(t.substr(at));
    return out;
}

void note_line_impl(std::string_view line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.size() < 4) return;
    for (char c : line)
        if (!is_b64(c) && c != '=') return;
    note_secret(line);
    // Also without its padding: a parser may split `name=value` there and quote the name.
    while (!line.empty() && line.back() == '=') line.remove_suffix(1);
    note_secret(line);
}

}  // namespace

void note_key_line(std::string_view line) { note_line_impl(line); }

bool is_nix_secret_key_bytes(const unsigned char* data, std::size_t size) {
    if (size != 64) return false;
    EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, data, 32);
    if (!key) return false;
    unsigned char pub[32];
    std::size_t len = sizeof pub;
    const bool ok = EVP_PKEY_get_raw_public_key(key, pub, &len) == 1 && len == 32 && std::memcmp(pub, data + 32, 32) == 0;
    EVP_PKEY_free(key);
    return ok;
}

bool contains_private_key(std::string_view text) {
    for (std::size_t p = 0; (p = text.find(kPrivateKey, p)) != std::string_view::npos; p += kPrivateKey.size())
        if (armor_at(text, p).found) return true;
    return text.find(kPutty) != std::string_view::npos || text.find(kOpensshBody) != std::string_view::npos;
}

bool is_private_key_file(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return false;
    text.remove_prefix(first);
    if (text.substr(0, kPutty.size()) == kPutty) return true;
    const std::string_view line = text.substr(0, line_end(text, 0));
    const auto p = line.find(kPrivateKey);
    if (p == std::string_view::npos) return false;
    const Armor a = armor_at(line, p);
    return a.found && a.begin && a.start == 0;
}

bool note_secrets_in(std::string_view text) {
    if (!contains_private_key(text)) return false;
    // Each line of every armored block.
    for (std::size_t pos = 0; (pos = text.find(kPrivateKey, pos)) != std::string_view::npos;) {
        const Armor a = armor_at(text, pos);
        pos += kPrivateKey.size();
        if (!a.found || !a.begin) continue;
        std::size_t block_end = text.size();
        for (std::size_t q = a.end; (q = text.find(kPrivateKey, q)) != std::string_view::npos; q += kPrivateKey.size()) {
            const Armor e = armor_at(text, q);
            if (e.found && !e.begin) {
                block_end = line_start(text, q);
                break;
            }
        }
        for (std::size_t ls = line_end(text, a.end) + 1; ls < block_end; ls = line_end(text, ls) + 1)
            note_line_impl(text.substr(ls, std::min(line_end(text, ls), block_end) - ls));
        pos = block_end;
    }
    // A PuTTY file: its base64 lines; an unarmored openssh-key-v1 body: its lines from the start.
    const auto putty = text.find(kPutty);
    const auto body = text.find(kOpensshBody);
    const auto from = std::min(putty, body);
    if (from != std::string_view::npos)
        for (std::size_t ls = line_start(text, from); ls < text.size(); ls = line_end(text, ls) + 1)
            note_line_impl(text.substr(ls, line_end(text, ls) - ls));
    return true;
}

void note_secret(std::string_view secret) {
    if (secret.size() < 4) return;
    std::string s(secret);
    for (auto& c : s) c = lower(c);
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (std::find(r.secrets.begin(), r.secrets.end(), s) != r.secrets.end()) return;
    r.secrets.push_back(std::move(s));
    r.count.store(r.secrets.size(), std::memory_order_release);
}

bool blank_private_keys(std::string& text) {
    bool any = false;
    for (const auto& s : find_secrets(text)) {
        if (s.marker != kRedactedPrivateKey) continue;
        for (std::size_t i = s.begin; i < s.end; ++i)
            if (text[i] != '\n') text[i] = ' ';
        any = true;
    }
    return any;
}

void forget_noted_secrets() {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.secrets.clear();
    r.count.store(0, std::memory_order_release);
}

std::string redact(std::string_view text) {
    auto spans = find_secrets(text);
    if (spans.empty()) return std::string(text);
    return replace_spans(text, std::move(spans));
}

bool redact_in_place(std::string& text) {
    auto spans = find_secrets(text);
    if (spans.empty()) return false;
    text = replace_spans(text, std::move(spans));
    return true;
}

void redact_json(nlohmann::json& j) {
    if (j.is_string()) {
        redact_in_place(j.get_ref<std::string&>());
    } else if (j.is_array()) {
        for (auto& e : j) redact_json(e);
    } else if (j.is_object()) {
        bool keys_changed = false;
        for (auto it = j.begin(); it != j.end(); ++it) {
            redact_json(it.value());
            keys_changed = keys_changed || !find_secrets(it.key()).empty();
        }
        if (keys_changed) {
            nlohmann::json copy = nlohmann::json::object();
            for (auto it = j.begin(); it != j.end(); ++it) copy[redact(it.key())] = std::move(it.value());
            j = std::move(copy);
        }
    }
}

}  // namespace nbd::util
