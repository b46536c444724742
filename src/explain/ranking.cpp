#include "nix_builder_doctor/explain/ranking.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

#include "nix_builder_doctor/explain/log_structure.hpp"

namespace nbd::explain {
namespace {

bool host_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'; }

// `host` appears in `text` as a whole name, not as part of a longer one.
bool mentions_host(std::string_view text, const std::string& host) {
    if (host.empty()) return false;
    for (std::size_t at = text.find(host); at != std::string_view::npos; at = text.find(host, at + 1)) {
        const bool left = at == 0 || !host_char(text[at - 1]);
        const std::size_t end = at + host.size();
        const bool right = end == text.size() || !host_char(text[end]) || (text[end] == '.' && (end + 1 == text.size() || !host_char(text[end + 1])));
        if (left && right) return true;
    }
    return false;
}

// The builder a log names by this host, preferring a full store URI.
std::string canonical_builder(const std::string& builder, const std::vector<std::string>& builders) {
    if (builder.empty()) return builder;
    const std::string host = builder_host(builder);
    for (const auto& b : builders)
        if (b.find("://") != std::string::npos && builder_host(b) == host) return b;
    return builder;
}

std::string attribute(const Hit& hit, const std::vector<std::string>& builders) {
    std::vector<std::string> mentioned;
    for (const auto& b : builders)
        if (mentions_host(hit.text, builder_host(b)) && std::find(mentioned.begin(), mentioned.end(), b) == mentioned.end()) mentioned.push_back(b);
    if (mentioned.size() == 1) return mentioned.front();
    if (mentioned.empty() && builders.size() == 1) return builders.front();
    return "";
}

int role_order(Role r) { return r == Role::cause ? 0 : r == Role::vague ? 1 : 2; }

long long last_line_of(const Hit& h) { return std::max(h.line, h.last_line); }

bool compatible(const Hit& a, const Hit& b) { return a.builder.empty() || b.builder.empty() || a.builder == b.builder; }

// `into` absorbs `from`: the better position, and the builder if it had none.
void absorb(Hit& into, const Hit& from) {
    into.last_line = std::max({into.last_line, into.line, from.last_line, from.line});
    into.block = std::min(into.block, from.block);
    into.build_log = into.build_log && from.build_log;
    if (into.builder.empty()) into.builder = from.builder;
}

}  // namespace

std::vector<RankedHit> rank_hits(std::vector<Hit> hits, const std::vector<engine::Rule>& rules,
                                 const std::vector<ExplainSpec>& specs, const std::vector<std::string>& builders_in_log) {
    // One name per builder: "rosetta-builder" and "ssh-ng://rosetta-builder" are the same one.
    std::vector<std::string> builders;
    for (const auto& b : builders_in_log) {
        const std::string c = canonical_builder(b, builders_in_log);
        if (std::find(builders.begin(), builders.end(), c) == builders.end()) builders.push_back(c);
    }
    for (auto& h : hits) {
        h.builder = canonical_builder(h.builder, builders);
        const Scope scope = specs[h.rule].scope;
        if (h.builder.empty() && (scope == Scope::builder || scope == Scope::builder_line)) h.builder = attribute(h, builders);
    }

    // The same cause repeated (now that builders are known): one hit, the first evidence.
    std::vector<Hit> merged;
    std::map<std::pair<std::size_t, std::string>, std::size_t> seen;
    for (auto& h : hits) {
        const auto key = std::make_pair(h.rule, h.builder);
        if (auto it = seen.find(key); it != seen.end()) {
            Hit& first = merged[it->second];
            if (h.line < first.line) std::swap(first, h);
            absorb(first, h);
            continue;
        }
        seen[key] = merged.size();
        merged.push_back(std::move(h));
    }

    std::vector<bool> alive(merged.size(), true);
    // A match another rule's match explains better is folded into it ("Permission denied
    // (publickey)" into "ROOT LOGIN REFUSED"). resolved_by has no cycles (a test checks).
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t a = 0; a < merged.size(); ++a) {
            if (!alive[a]) continue;
            for (const auto& better : specs[merged[a].rule].resolved_by) {
                std::size_t b = 0;
                while (b < merged.size() && !(alive[b] && b != a && rules[merged[b].rule].id == better && compatible(merged[a], merged[b]))) ++b;
                if (b == merged.size()) continue;
                absorb(merged[b], merged[a]);
                alive[a] = false;
                changed = true;
                break;
            }
        }
    }
    // A failure whose reason the log hides yields to a named cause for the same builder.
    for (std::size_t v = 0; v < merged.size(); ++v) {
        if (!alive[v] || specs[merged[v].rule].role != Role::vague) continue;
        for (std::size_t c = 0; c < merged.size(); ++c) {
            if (!alive[c] || specs[merged[c].rule].role != Role::cause) continue;
            if (!merged[v].builder.empty() && merged[c].builder != merged[v].builder) continue;
            absorb(merged[c], merged[v]);
            alive[v] = false;
            break;
        }
    }

    // A failure the same builder got past later (a refused connection, then a refused key).
    std::vector<bool> passed(merged.size(), false);
    for (std::size_t a = 0; a < merged.size(); ++a) {
        // Without any builder named, every hit is about the one host the log talks to.
        if (!alive[a] || (merged[a].builder.empty() && !builders.empty())) continue;
        for (std::size_t b = 0; b < merged.size() && !passed[a]; ++b) {
            if (!alive[b] || b == a || merged[b].builder != merged[a].builder) continue;
            if (last_line_of(merged[b]) <= last_line_of(merged[a])) continue;
            for (const auto& prefix : specs[merged[a].rule].yields_to_later)
                if (rules[merged[b].rule].id.rfind(prefix, 0) == 0) passed[a] = true;
        }
    }

    std::vector<Hit> kept;
    std::vector<bool> kept_passed;
    for (std::size_t i = 0; i < merged.size(); ++i)
        if (alive[i]) {
            kept.push_back(std::move(merged[i]));
            kept_passed.push_back(passed[i]);
        }
    std::vector<std::size_t> order(kept.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto key = [&](std::size_t i) {
        const Hit& h = kept[i];
        const ExplainSpec& s = specs[h.rule];
        return std::make_tuple(role_order(s.role), static_cast<bool>(kept_passed[i]), h.block, h.build_log, s.rank, h.line);
    };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return key(a) < key(b); });

    std::vector<RankedHit> ranked;
    std::string first_cause;
    for (const std::size_t i : order) {
        RankedHit r{std::move(kept[i]), ""};
        const Role role = specs[r.hit.rule].role;
        // Consequences follow from a builder's failure, not from, say, a typo in nix.conf.
        if (role != Role::consequence && first_cause.empty() && !r.hit.builder.empty()) first_cause = rules[r.hit.rule].id;
        if (role == Role::consequence) r.after = first_cause;
        ranked.push_back(std::move(r));
    }
    return ranked;
}

}  // namespace nbd::explain
