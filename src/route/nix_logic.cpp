#include "nix_builder_doctor/route/nix_logic.hpp"

#include <regex>

namespace nbd::route {
namespace {

void apply_version_rules(NixLogic& l) {
    const bool lix = l.flavor == "Lix";
    l.builtin_any = lix || l.at_least(2, 4);
    // Lix forked from Nix 2.18 with the 2.20 machine changes (float speed factors, sorted systems).
    l.integer_speed = !lix && !l.at_least(2, 20);
    l.listing = lix || l.at_least(2, 4);
    l.brackets = lix || l.at_least(2, 12);
    l.sorted_systems = lix || l.at_least(2, 20);
    l.max_jobs_in_could = lix || l.at_least(2, 14);
    l.lix_slot_names = lix;
    l.no_local_features = !lix && !l.at_least(2, 2);
}

std::string logic_era(const NixLogic& l) {
    if (l.flavor == "Lix") return "Lix's build hook (Nix 2.20-style machine choice)";
    if (!l.at_least(2, 4)) return "the build hook of Nix 2.0-2.3";
    if (!l.at_least(2, 20)) return "the build hook of Nix 2.4-2.19";
    return "the build hook of Nix 2.20 and later";
}

}  // namespace

bool NixLogic::at_least(int at_least_major, int at_least_minor) const {
    return major > at_least_major || (major == at_least_major && minor >= at_least_minor);
}

std::string NixLogic::describe() const {
    return flavor + " " + version + " (" + (assumed ? "assumed, the local version is unknown; " : "") + logic_era(*this) + ")";
}

std::optional<NixLogic> logic_from_version_text(const std::string& text) {
    // At most 6 digits a part: std::stoi never overflows on a hostile version text.
    static const std::regex version_re(R"((\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?)");
    NixLogic l;
    std::string rest = text;
    if (text.find("Lix") != std::string::npos) l.flavor = "Lix";
    else if (text.find("Determinate") != std::string::npos) l.flavor = "Determinate Nix";
    // Determinate prints its own version in the parentheses and the Nix version after them.
    const auto close = text.find(')');
    if (close != std::string::npos) rest = text.substr(close + 1);
    std::smatch m;
    if (!std::regex_search(rest, m, version_re) && !std::regex_search(text, m, version_re)) return std::nullopt;
    l.major = std::stoi(m[1].str());
    l.minor = std::stoi(m[2].str());
    l.patch = m[3].matched ? std::stoi(m[3].str()) : 0;
    l.version = m[0].str();
    apply_version_rules(l);
    return l;
}

NixLogic newest_logic() {
    NixLogic l;
    l.major = 2;
    l.minor = 35;
    l.patch = 0;
    l.version = "2.35";
    l.assumed = true;
    apply_version_rules(l);
    return l;
}

}  // namespace nbd::route
