#include "nix_builder_doctor/explain/finding_text.hpp"

#include <regex>

#include "nix_builder_doctor/explain/log_structure.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::explain {
namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
}

// Cut at a UTF-8 character boundary.
std::string shorten(const std::string& text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) --cut;
    return text.substr(0, cut) + "...";
}

}  // namespace

std::string fill_placeholders(const std::string& text, const std::string& builder) {
    std::string out = text;
    const std::string host = builder.empty() ? "" : builder_host(builder);
    const std::string user = builder.empty() ? "" : builder_user(builder);
    replace_all(out, "{builder}", builder.empty() ? "the builder" : builder);
    replace_all(out, "{host}", host.empty() ? "the builder" : host);
    replace_all(out, "{user}", user.empty() ? "the login user" : user);
    return out;
}

bool has_placeholder(const std::string& text) {
    static const std::regex placeholder(R"(\{[^{}\s]+\})");
    return std::regex_search(text, placeholder);
}

ExplainedFinding compose_finding(const RankedHit& ranked, const engine::Rule& rule, const ExplainSpec& spec) {
    const Hit& hit = ranked.hit;
    ExplainedFinding out;
    out.role = spec.role;
    out.after = ranked.after;
    engine::Finding& f = out.finding;
    f.rule = rule.id;
    f.severity = rule.severity;
    f.builder = hit.builder;
    f.title = rule.title;

    // A consequence below a cause only needs to say so; alone, it says what it means.
    const bool follows = spec.role == Role::consequence && !out.after.empty();
    if (follows) {
        out.cause = (spec.after_cause.empty() ? "A consequence of the failure above" : fill_placeholders(spec.after_cause, hit.builder)) +
                    " (" + out.after + ")";
        f.message = out.cause + ".";
        f.fix = "Nothing of its own: it goes away once " + out.after + " is fixed.";
        f.evidence = engine::Evidence{hit.line, shorten(hit.text, kMaxEvidenceLength)};
        return out;
    }
    out.cause = spec.cause.empty() ? rule.title : fill_placeholders(spec.cause, hit.builder);
    f.message = out.cause;
    for (const auto& a : spec.alternatives) out.alternatives.push_back(a.rule + ": " + fill_placeholders(a.tell, hit.builder));
    if (!out.alternatives.empty()) f.message += " Other possible causes: " + util::join(out.alternatives, "; ");

    // Check-mode fix texts are templates over the facts; explain has none to fill them with.
    if (!spec.fix.empty()) f.fix = fill_placeholders(spec.fix, hit.builder);
    else if (!has_placeholder(rule.fix)) f.fix = rule.fix;
    else f.fix = "See `nix-builder-doctor rules " + rule.id + "` for how to fix it.";
    if (!spec.check.empty()) {
        out.check_command = "sudo nix-builder-doctor check --select " + spec.check;
        f.fix += (out.alternatives.empty() ? "\nTo confirm: " : "\nTo tell which: ") + out.check_command;
    }
    f.evidence = engine::Evidence{hit.line, shorten(hit.text, kMaxEvidenceLength)};
    return out;
}

}  // namespace nbd::explain
