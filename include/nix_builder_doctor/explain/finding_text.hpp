// The texts of an explain finding: the rule's explain-specific cause and fix with {builder},
// {host} and {user} filled in (or, for a rule without them, its title and a pointer to
// `nix-builder-doctor rules ID`: check-mode templates need facts explain does not have).
#pragma once

#include <string>

#include "nix_builder_doctor/engine/rule.hpp"
#include "nix_builder_doctor/explain/analyzer.hpp"
#include "nix_builder_doctor/explain/explain_spec.hpp"
#include "nix_builder_doctor/explain/ranking.hpp"

namespace nbd::explain {

// Longest evidence text kept (the rest is cut with "...").
inline constexpr std::size_t kMaxEvidenceLength = 600;

std::string fill_placeholders(const std::string& text, const std::string& builder);
bool has_placeholder(const std::string& text);

ExplainedFinding compose_finding(const RankedHit& ranked, const engine::Rule& rule, const ExplainSpec& spec);

}  // namespace nbd::explain
