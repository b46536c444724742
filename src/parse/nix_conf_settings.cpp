// nix.conf settings semantics (Config::set): known names, aliases, `extra-` appends, unknown
// names with a did-you-mean, and the effective value of every setting.
#include <map>
#include <set>
#include <unordered_map>

#include "nix_builder_doctor/parse/nix_settings.hpp"
#include "nix_builder_doctor/util/strings.hpp"
#include "nix_conf_internal.hpp"

namespace nbd::parse::detail {
namespace {

// Suggestions cost an edit distance against every known name: bound the work on hostile input.
constexpr std::size_t kMaxSuggestedNames = 1000;
constexpr std::size_t kMaxSuggestLength = 80;

struct Resolved {
    std::string canonical;
    bool known = false;
    bool is_extra = false;
    bool extra_of_non_appendable = false;
    std::optional<std::string> deprecated_as;  // what to report as the canonical spelling
};

// A canonical name or an alias, to its canonical name.
std::optional<std::string> resolve_plain(const std::string& name) {
    if (find_nix_setting(name)) return name;
    return canonical_for_alias(name);
}

Resolved resolve(const std::string& name) {
    Resolved r;
    r.canonical = name;
    if (find_nix_setting(name)) {
        r.known = true;
        return r;
    }
    if (auto target = canonical_for_alias(name)) {
        r.deprecated_as = *target;
        if (util::starts_with(*target, "extra-")) {
            // 2.3's build-extra-sandbox-paths: an alias of the old extra-sandbox-paths setting.
            r.canonical = target->substr(6);
            r.is_extra = true;
        } else {
            r.canonical = *target;
        }
        r.known = true;
        return r;
    }
    if (util::starts_with(name, "extra-") && name.size() > 6) {
        const std::string rest = name.substr(6);
        if (auto base = resolve_plain(rest)) {
            if (is_appendable_setting(*base)) {
                r.canonical = *base;
                r.known = true;
                r.is_extra = true;
                if (*base != rest) r.deprecated_as = "extra-" + *base;
            } else {
                r.extra_of_non_appendable = true;
            }
        }
    }
    return r;
}

std::optional<std::string> suggest(const std::string& name) {
    if (name.size() > kMaxSuggestLength) return std::nullopt;
    static const std::vector<std::string> appendable = [] {
        std::vector<std::string> v;
        for (const auto& s : nix_settings_info())
            if (s.kind != SettingKind::scalar) v.push_back(s.name);
        return v;
    }();
    if (util::starts_with(name, "extra-") && name.size() > 6) {
        if (auto base = util::nearest(name.substr(6), appendable)) return "extra-" + *base;
    }
    return util::nearest(name, known_nix_settings());
}

struct Accumulator {
    SettingKind kind = SettingKind::scalar;
    std::vector<std::string> list;
    std::set<std::string> set;
    std::map<std::string, std::string> map;
    NixConfEffective eff;

    void add(const std::vector<std::string>& tokens, bool append) {
        switch (kind) {
            case SettingKind::scalar:
            case SettingKind::list:
                if (!append) list.clear();
                list.insert(list.end(), tokens.begin(), tokens.end());
                break;
            case SettingKind::set:
                if (!append) set.clear();
                set.insert(tokens.begin(), tokens.end());
                break;
            case SettingKind::map:
                if (!append) map.clear();
                for (const auto& t : tokens) {
                    const auto eq = t.find('=');
                    if (eq != std::string::npos) map.emplace(t.substr(0, eq), t.substr(eq + 1));
                }
                break;
        }
    }

    NixConfEffective finish() {
        switch (kind) {
            case SettingKind::scalar:
            case SettingKind::list:
                eff.tokens = std::move(list);
                break;
            case SettingKind::set:
                eff.tokens.assign(set.begin(), set.end());
                break;
            case SettingKind::map:
                for (const auto& [k, v] : map) eff.tokens.push_back(k + "=" + v);
                break;
        }
        eff.value = util::join(eff.tokens, " ");
        return std::move(eff);
    }
};

}  // namespace

void apply_nix_conf_settings(NixConf& conf) {
    std::map<std::string, Accumulator> acc;
    std::unordered_map<std::string, std::optional<std::string>> suggestions;
    // A name is resolved once: an include fan-out repeats the same few names many times.
    std::unordered_map<std::string, Resolved> resolved;
    for (auto& a : conf.assignments) {
        auto found = resolved.find(a.name);
        if (found == resolved.end()) found = resolved.emplace(a.name, resolve(a.name)).first;
        const Resolved& r = found->second;
        a.canonical = r.canonical;
        a.known = r.known;
        a.is_extra = r.is_extra;
        if (r.deprecated_as)
            conf.deprecated_settings.push_back({a.name, *r.deprecated_as, a.file, a.line});
        if (!r.known) {
            NixConfUnknownSetting u{a.name, a.file, a.line, std::nullopt,
                                    r.extra_of_non_appendable};
            if (!r.extra_of_non_appendable) {
                auto it = suggestions.find(a.name);
                if (it != suggestions.end()) {
                    u.suggestion = it->second;
                } else if (suggestions.size() < kMaxSuggestedNames) {
                    u.suggestion = suggest(a.name);
                    suggestions.emplace(a.name, u.suggestion);
                }
            }
            conf.unknown_settings.push_back(std::move(u));
            continue;
        }
        auto [it, inserted] = acc.try_emplace(r.canonical);
        Accumulator& s = it->second;
        if (inserted) {
            const auto* info = find_nix_setting(r.canonical);
            s.kind = info ? info->kind : SettingKind::scalar;
        }
        const NixConfLocation here{a.file, a.line};
        if (!r.is_extra) {
            s.eff.file = a.file;
            s.eff.line = a.line;
            s.eff.appended_to_default = false;
            s.eff.sources.clear();
        } else if (inserted) {
            s.eff.file = a.file;
            s.eff.line = a.line;
            s.eff.appended_to_default = true;
        }
        s.eff.sources.push_back(here);
        s.add(a.tokens, r.is_extra);
    }
    for (auto& [name, s] : acc) conf.effective.emplace(name, s.finish());
}

}  // namespace nbd::parse::detail
