// ATerm reading and writing of Nix store derivations (aterm.cc parse and unparse), and the
// structured attributes' requiredSystemFeatures (derivation-options.cc getStringSetAttr).
#include "nix_builder_doctor/parse/derivation.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

namespace nbd::parse {
namespace {

constexpr std::string_view kDynamicVersion = "xp-dyn-drv";
constexpr std::string_view kNix32 = "0123456789abcdfghijklmnpqrsvwxyz";
constexpr std::string_view kBlanks = " \t\n\r";

// A piece of input for a message: at most 160 bytes (a store path fits), unprintable bytes
// as \xNN.
std::string shown(std::string_view s) {
    std::string out;
    const bool cut = s.size() > 160;
    for (const char c : s.substr(0, 160)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
    return cut ? out + "..." : out;
}

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

// Nix's hash algorithms, after the content-address method prefix (`r:`, `text:`).
bool known_hash_algo(std::string_view s) {
    if (s.substr(0, 2) == "r:")
        s.remove_prefix(2);
    else if (s.substr(0, 5) == "text:")
        s.remove_prefix(5);
    return s == "md5" || s == "sha1" || s == "sha256" || s == "sha512" || s == "blake3";
}

// Why `s` is not `<dir>/<32 nix-base32 chars>-<name>` (empty when it is).
std::string store_path_problem(std::string_view s) {
    if (s.empty() || s.front() != '/') return "is not an absolute path";
    const auto base = s.substr(s.rfind('/') + 1);
    if (base.size() < 34 || base[32] != '-' ||
        base.substr(0, 32).find_first_not_of(kNix32) != std::string_view::npos)
        return "is not a store path (<store>/<32-character hash>-<name>)";
    for (const char c : base.substr(33))
        if (!std::isalnum(static_cast<unsigned char>(c)) &&
            std::string_view("+-._?=").find(c) == std::string_view::npos)
            return "has a character Nix does not allow in a store path name";
    return {};
}

class Reader {
  public:
    Reader(std::string_view text, std::string_view file, DerivationParse& out)
        : m_text(text), m_file(file), m_out(out) {}

    void read(Derivation& d);

  private:
    bool at_end() const { return m_pos >= m_text.size(); }
    char peek() const { return at_end() ? '\0' : m_text[m_pos]; }

    std::pair<int, int> line_column(std::size_t pos) const {
        const auto before = m_text.substr(0, std::min(pos, m_text.size()));
        const int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
        const auto nl = before.rfind('\n');
        const auto column = nl == std::string_view::npos ? pos + 1 : pos - nl;
        return {line, static_cast<int>(column)};
    }

    bool fail_at(std::size_t pos, std::string message) {
        if (!m_out.error) {
            const auto [line, column] = line_column(pos);
            m_out.error = DerivationError{std::string(m_file), line, column, std::move(message)};
        }
        return false;
    }

    std::string found() const {
        if (at_end()) return "the end of the file";
        return "'" + shown(m_text.substr(m_pos, 1)) + "'";
    }

    // The message is `context` followed by `subject`, joined only when it is needed.
    bool expect(char c, std::string_view context, std::string_view subject = {}) {
        if (peek() == c && !at_end()) {
            ++m_pos;
            return true;
        }
        return fail_at(m_pos, "expected '" + std::string(1, c) + "' " + std::string(context) +
                                  std::string(subject) + ", found " + found());
    }

    bool read_string(std::string& out, std::string_view what, std::string_view subject = {});
    bool read_store_path(std::string& out, std::string_view what, bool drv);
    template <class Item>
    bool read_list(std::string_view what, Item item);
    bool read_string_list(std::vector<std::string>& out, std::string_view what);
    bool read_output(Derivation& d, std::set<std::string>& names, bool keep);
    bool read_input_drv(Derivation& d, bool keep);
    bool read_input_node(std::vector<std::string>& outputs,
                         std::vector<DynamicDerivationInput>& dynamic, int depth,
                         const std::string& what);
    bool read_env(Derivation& d, std::set<std::string>& names, bool keep);
    bool read_structured_attrs(Derivation& d);

    std::string_view m_text;
    std::string_view m_file;
    DerivationParse& m_out;
    std::size_t m_pos = 0;
    bool m_dynamic = false;
    std::size_t m_json_pos = 0;  // where the `__json` value starts
};

bool Reader::read_string(std::string& out, std::string_view what_head, std::string_view subject) {
    const auto start = m_pos;
    if (peek() != '"' || at_end())
        return expect('"', "to start " + std::string(what_head), subject);
    ++m_pos;
    const auto what = [&] { return std::string(what_head) + std::string(subject); };
    out.clear();
    while (true) {
        const auto stop = m_text.find_first_of("\"\\", m_pos);
        if (stop == std::string_view::npos) {
            m_pos = m_text.size();
            return fail_at(start, "the string for " + what() +
                                      " starting here is not closed before the end of the file");
        }
        out.append(m_text.substr(m_pos, stop - m_pos));
        m_pos = stop + 1;
        if (m_text[stop] == '"') return true;
        if (at_end())
            return fail_at(start, "the string for " + what() +
                                      " starting here is not closed before the end of the file");
        switch (m_text[m_pos]) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            default:
                return fail_at(stop, "unknown escape '\\" + shown(m_text.substr(m_pos, 1)) +
                                         "' in " + what() +
                                         " (Nix writes only \\\" \\\\ \\n \\r \\t)");
        }
        ++m_pos;
    }
}

bool Reader::read_store_path(std::string& out, std::string_view what, bool drv) {
    const auto start = m_pos;
    if (!read_string(out, what)) return false;
    auto problem = store_path_problem(out);
    if (problem.empty() && drv && (out.size() < 4 || out.compare(out.size() - 4, 4, ".drv") != 0))
        problem = "does not end in .drv";
    if (!problem.empty())
        return fail_at(start, std::string(what) + " '" + shown(out) + "' " + problem);
    return true;
}

// `[item,item,...]`; item(keep) reads one entry and keeps it when `keep`.
template <class Item>
bool Reader::read_list(std::string_view what, Item item) {
    if (peek() != '[' || at_end()) return expect('[', "to start ", what);
    ++m_pos;
    if (peek() == ']') {
        ++m_pos;
        return true;
    }
    for (std::size_t count = 0;; ++count) {
        const bool keep = count < kMaxDerivationListEntries;
        if (count == kMaxDerivationListEntries) {
            m_out.limits.push_back({"derivation list entries", kMaxDerivationListEntries,
                                    std::string(m_file), line_column(m_pos).first,
                                    std::string(what) + " past the " +
                                        std::to_string(kMaxDerivationListEntries) +
                                        "th were checked but not kept"});
        }
        if (!item(keep)) return false;
        if (peek() == ']' && !at_end()) {
            ++m_pos;
            return true;
        }
        if (peek() != ',' || at_end())
            return fail_at(m_pos, "expected ',' or ']' after an entry of " + std::string(what) +
                                      ", found " + found());
        ++m_pos;
    }
}

bool Reader::read_string_list(std::vector<std::string>& out, std::string_view what) {
    const std::string entry = "an entry of " + std::string(what);
    return read_list(what, [&](bool keep) {
        std::string s;
        if (!read_string(s, entry)) return false;
        if (keep) out.push_back(std::move(s));
        return true;
    });
}

bool Reader::read_output(Derivation& d, std::set<std::string>& names, bool keep) {
    DerivationOutput o;
    const auto start = m_pos;
    if (!expect('(', "to start an output")) return false;
    if (!read_string(o.name, "an output name")) return false;
    const std::string of = "output '" + shown(o.name) + "'";
    if (!expect(',', "after the name of ", of)) return false;
    const auto path_pos = m_pos;
    if (!read_string(o.path, "the path of ", of)) return false;
    if (!expect(',', "after the path of ", of)) return false;
    const auto algo_pos = m_pos;
    if (!read_string(o.hash_algo, "the hash algorithm of ", of)) return false;
    if (!expect(',', "after the hash algorithm of ", of)) return false;
    const auto hash_pos = m_pos;
    if (!read_string(o.hash, "the hash of ", of)) return false;
    if (!expect(')', "after the hash of ", of)) return false;

    if (o.name.empty()) return fail_at(start, "an output has an empty name");
    if (keep && !names.insert(o.name).second) return fail_at(start, of + " appears twice");
    if (o.hash_algo.empty()) {
        if (!o.hash.empty()) return fail_at(hash_pos, of + " has a hash but no hash algorithm");
        o.kind =
            o.path.empty() ? DerivationOutputKind::deferred : DerivationOutputKind::input_addressed;
    } else {
        if (!known_hash_algo(o.hash_algo))
            return fail_at(algo_pos,
                           of + " has an unknown hash algorithm '" + shown(o.hash_algo) + "'");
        o.kind = o.hash == "impure" ? DerivationOutputKind::impure
                 : !o.hash.empty()  ? DerivationOutputKind::fixed
                                    : DerivationOutputKind::floating;
        if (o.kind != DerivationOutputKind::fixed && !o.path.empty())
            return fail_at(path_pos, of + " is content-addressed without a fixed hash, so it "
                                          "cannot have a path before it is built");
    }
    if (!o.path.empty()) {
        const auto problem = store_path_problem(o.path);
        if (!problem.empty())
            return fail_at(path_pos, "the path of " + of + " '" + shown(o.path) + "' " + problem);
    } else if (o.kind == DerivationOutputKind::fixed) {
        return fail_at(path_pos, "fixed-output " + of + " has no path");
    }
    if (keep) d.outputs.push_back(std::move(o));
    return true;
}

bool Reader::read_input_node(std::vector<std::string>& outputs,
                             std::vector<DynamicDerivationInput>& dynamic, int depth,
                             const std::string& what) {
    if (peek() == '[') return read_string_list(outputs, "the outputs of " + what);
    if (peek() != '(' || at_end())
        return fail_at(m_pos,
                       "expected '[' to start the outputs of " + what + ", found " + found());
    if (!m_dynamic)
        return fail_at(m_pos, "the entry for " + what +
                                  " has the dynamic-derivations form (outputs and "
                                  "(output, entry) pairs), which only DrvWithVersion(\"" +
                                  std::string(kDynamicVersion) +
                                  "\", ...) has; this file is Derive(...)");
    if (depth >= kMaxDynamicInputDepth) {
        m_out.limits.push_back(
            {"dynamic inputDrvs depth", static_cast<std::uint64_t>(kMaxDynamicInputDepth),
             std::string(m_file), line_column(m_pos).first, "the derivation was not read"});
        return fail_at(m_pos, "the inputDrvs entry for " + what + " is nested deeper than " +
                                  std::to_string(kMaxDynamicInputDepth) + " levels");
    }
    ++m_pos;
    if (!read_string_list(outputs, "the outputs of " + what)) return false;
    if (!expect(',', "after the outputs of ", what)) return false;
    const bool ok = read_list("the dynamic outputs of " + what, [&](bool keep) {
        DynamicDerivationInput child;
        if (!expect('(', "to start a dynamic output of ", what)) return false;
        if (!read_string(child.output, "a dynamic output name of ", what)) return false;
        const std::string inner = "output '" + shown(child.output) + "' of " + what;
        if (!expect(',', "after the name of ", inner)) return false;
        if (!read_input_node(child.outputs, child.dynamic, depth + 1, inner)) return false;
        if (!expect(')', "after the entry for ", inner)) return false;
        if (keep) dynamic.push_back(std::move(child));
        return true;
    });
    return ok && expect(')', "after the dynamic outputs of " + what);
}

bool Reader::read_input_drv(Derivation& d, bool keep) {
    DerivationInput in;
    if (!expect('(', "to start an inputDrvs entry")) return false;
    const auto start = m_pos;
    if (!read_store_path(in.path, "the inputDrvs path", true)) return false;
    const std::string what = "input derivation '" + shown(in.path) + "'";
    if (!expect(',', "after the path of ", what)) return false;
    if (!read_input_node(in.outputs, in.dynamic, 0, what)) return false;
    if (in.outputs.empty() && in.dynamic.empty())
        return fail_at(start, "the inputDrvs entry for " + what + " names no outputs");
    if (!expect(')', "after the entry for ", what)) return false;
    if (keep) d.input_drvs.push_back(std::move(in));
    return true;
}

bool Reader::read_env(Derivation& d, std::set<std::string>& names, bool keep) {
    if (!expect('(', "to start an env entry")) return false;
    const auto start = m_pos;
    std::string name, value;
    if (!read_string(name, "an env name")) return false;
    const std::string of = "env '" + shown(name) + "'";
    if (!expect(',', "after the name of ", of)) return false;
    const auto value_pos = m_pos;
    if (!read_string(value, "the value of ", of)) return false;
    if (!expect(')', "after the value of ", of)) return false;
    if (keep && !names.insert(name).second) return fail_at(start, of + " appears twice");
    if (name == "__json") m_json_pos = value_pos;
    if (keep) d.env.emplace_back(std::move(name), std::move(value));
    return true;
}

// How deeply `text` nests arrays and objects (strings skipped), so nothing recursive ever
// sees a hostile depth.
int json_depth(std::string_view text) {
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

bool Reader::read_structured_attrs(Derivation& d) {
    const std::string* text = d.env_value("__json");
    if (!text) {
        const auto features = d.env_value("requiredSystemFeatures");
        if (!features) return true;
        std::string_view rest = *features;
        while (true) {
            const auto begin = rest.find_first_not_of(kBlanks);
            if (begin == std::string_view::npos) break;
            rest.remove_prefix(begin);
            const auto end = std::min(rest.find_first_of(kBlanks), rest.size());
            d.required_system_features.emplace_back(rest.substr(0, end));
            rest.remove_prefix(end);
        }
        d.required_system_features = sorted_unique(std::move(d.required_system_features));
        return true;
    }
    d.structured_attrs = true;
    if (json_depth(*text) > kMaxStructuredAttrsDepth)
        return fail_at(m_json_pos, "the structured attributes (__json) nest deeper than " +
                                       std::to_string(kMaxStructuredAttrsDepth) + " levels");
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(*text);
    } catch (const nlohmann::json::exception& e) {
        return fail_at(m_json_pos, std::string("the structured attributes (__json) are not "
                                               "valid JSON: ") +
                                       e.what());
    }
    if (!json.is_object())
        return fail_at(m_json_pos, "the structured attributes (__json) are not a JSON object");
    const auto it = json.find("requiredSystemFeatures");
    if (it == json.end()) return true;
    if (!it->is_array())
        return fail_at(m_json_pos,
                       "requiredSystemFeatures in the structured attributes "
                       "(__json) is not a list of strings");
    for (const auto& f : *it) {
        if (!f.is_string())
            return fail_at(m_json_pos,
                           "requiredSystemFeatures in the structured attributes "
                           "(__json) is not a list of strings");
        d.required_system_features.push_back(f.get<std::string>());
    }
    d.required_system_features = sorted_unique(std::move(d.required_system_features));
    return true;
}

void Reader::read(Derivation& d) {
    constexpr std::string_view kDerive = "Derive(", kVersioned = "DrvWithVersion(";
    if (m_text.substr(0, kDerive.size()) == kDerive) {
        m_pos = kDerive.size();
    } else if (m_text.substr(0, kVersioned.size()) == kVersioned) {
        m_pos = kVersioned.size();
        const auto version_pos = m_pos;
        if (!read_string(d.version, "the ATerm format version")) return;
        if (d.version != kDynamicVersion) {
            fail_at(version_pos, "unknown derivation ATerm format version '" + shown(d.version) +
                                     "': only Derive(...) and DrvWithVersion(\"" +
                                     std::string(kDynamicVersion) + "\", ...) are known");
            return;
        }
        m_dynamic = true;
        if (!expect(',', "after the format version")) return;
    } else {
        const auto head = m_text.substr(0, kVersioned.size());
        const bool truncated = !head.empty() && (kDerive.substr(0, head.size()) == head ||
                                                 kVersioned.substr(0, head.size()) == head);
        fail_at(0, truncated ? "the file ends before 'Derive(' is complete"
                             : "not a Nix derivation: it does not start with 'Derive(' or "
                               "'DrvWithVersion('");
        return;
    }

    std::set<std::string> output_names;
    if (!read_list("the outputs list",
                   [&](bool keep) { return read_output(d, output_names, keep); }))
        return;
    if (!expect(',', "after the outputs list")) return;
    if (!read_list("the inputDrvs list", [&](bool keep) { return read_input_drv(d, keep); }))
        return;
    if (!expect(',', "after the inputDrvs list")) return;
    if (!read_list("the inputSrcs list", [&](bool keep) {
            std::string path;
            if (!read_store_path(path, "an inputSrcs path", false)) return false;
            if (keep) d.input_srcs.push_back(std::move(path));
            return true;
        }))
        return;
    if (!expect(',', "after the inputSrcs list")) return;
    if (!read_string(d.system, "the system")) return;
    if (!expect(',', "after the system")) return;
    if (!read_string(d.builder, "the builder")) return;
    if (!expect(',', "after the builder")) return;
    if (!read_string_list(d.args, "the builder's args")) return;
    if (!expect(',', "after the builder's args")) return;
    std::set<std::string> env_names;
    if (!read_list("the env list", [&](bool keep) { return read_env(d, env_names, keep); })) return;
    if (!expect(')', "to close the derivation")) return;
    const auto rest = m_text.find_first_not_of(kBlanks, m_pos);
    if (rest != std::string_view::npos) {
        fail_at(rest, "unexpected text after the derivation's closing ')'");
        return;
    }
    read_structured_attrs(d);
}

void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += c;
        }
    }
    out += '"';
}

template <class T, class Write>
void write_list(std::string& out, const std::vector<T>& items, Write write) {
    out += '[';
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        write(items[i]);
    }
    out += ']';
}

void write_strings(std::string& out, const std::vector<std::string>& items) {
    write_list(out, items, [&](const std::string& s) { write_string(out, s); });
}

void write_input_node(std::string& out, const std::vector<std::string>& outputs,
                      const std::vector<DynamicDerivationInput>& dynamic) {
    if (dynamic.empty()) return write_strings(out, outputs);
    out += '(';
    write_strings(out, outputs);
    out += ',';
    write_list(out, dynamic, [&](const DynamicDerivationInput& child) {
        out += '(';
        write_string(out, child.output);
        out += ',';
        write_input_node(out, child.outputs, child.dynamic);
        out += ')';
    });
    out += ')';
}

}  // namespace

const std::string* Derivation::env_value(std::string_view name) const {
    for (const auto& [key, value] : env)
        if (key == name) return &value;
    return nullptr;
}

std::string format_derivation_error(const DerivationError& e) {
    return e.file + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": " +
           e.message;
}

DerivationParse parse_derivation(std::string_view text, std::string_view file) {
    DerivationParse out;
    if (text.size() > kMaxDerivationSize) {
        out.limits.push_back({"derivation size", kMaxDerivationSize, std::string(file), 0,
                              "the derivation was not read"});
        out.error =
            DerivationError{std::string(file), 1, 1,
                            "the derivation is larger than " +
                                std::to_string(kMaxDerivationSize >> 20) + " MiB; it was not read"};
        return out;
    }
    Derivation d;
    Reader(text, file, out).read(d);
    if (!out.error) out.derivation = std::move(d);
    return out;
}

std::vector<std::string> features_nix_requires(const Derivation& d) {
    auto features = d.required_system_features;
    for (const auto& o : d.outputs)
        if (o.kind == DerivationOutputKind::deferred || o.kind == DerivationOutputKind::floating ||
            o.kind == DerivationOutputKind::impure)
            features.push_back("ca-derivations");
    return sorted_unique(std::move(features));
}

std::string write_derivation(const Derivation& d) {
    std::string out;
    if (d.version.empty()) {
        out += "Derive(";
    } else {
        out += "DrvWithVersion(";
        write_string(out, d.version);
        out += ',';
    }
    write_list(out, d.outputs, [&](const DerivationOutput& o) {
        out += '(';
        write_string(out, o.name);
        out += ',';
        write_string(out, o.path);
        out += ',';
        write_string(out, o.hash_algo);
        out += ',';
        write_string(out, o.hash);
        out += ')';
    });
    out += ',';
    write_list(out, d.input_drvs, [&](const DerivationInput& in) {
        out += '(';
        write_string(out, in.path);
        out += ',';
        write_input_node(out, in.outputs, in.dynamic);
        out += ')';
    });
    out += ',';
    write_strings(out, d.input_srcs);
    out += ',';
    write_string(out, d.system);
    out += ',';
    write_string(out, d.builder);
    out += ',';
    write_strings(out, d.args);
    out += ',';
    write_list(out, d.env, [&](const std::pair<std::string, std::string>& kv) {
        out += '(';
        write_string(out, kv.first);
        out += ',';
        write_string(out, kv.second);
        out += ')';
    });
    out += ')';
    return out;
}

}  // namespace nbd::parse
