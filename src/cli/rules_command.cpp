#include "nix_builder_doctor/cli/commands.hpp"
#include "nix_builder_doctor/engine/message_template.hpp"
#include "nix_builder_doctor/engine/rule_loader.hpp"
#include "nix_builder_doctor/util/output.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::cli {

int run_rules_command(const Options& options, std::ostream& out) {
    const auto rules = load_rules_or_throw(options);
    if (options.positional.empty()) {
        if (options.format == Format::json) {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& r : rules)
                list.push_back({{"id", r.id}, {"severity", engine::to_string(r.severity)}, {"title", r.title}, {"where", r.where}});
            out << util::dump_json_raw(list, 2) << "\n";
            return kExitClean;
        }
        for (const auto& r : rules) {
            std::string id = r.id;
            id.resize(std::max<std::size_t>(id.size(), 42), ' ');
            std::string severity(engine::to_string(r.severity));
            severity.resize(8, ' ');
            out << id << " " << severity << r.title << "\n";
        }
        out << "\n" << rules.size() << " rules. 'nix-builder-doctor rules ID' shows one.\n";
        return kExitClean;
    }
    const std::string& wanted = options.positional.front();
    std::vector<std::string> ids;
    for (const auto& r : rules) {
        ids.push_back(r.id);
        if (r.id != wanted) continue;
        if (options.format == Format::json) {
            out << util::dump_json_raw(nlohmann::json({{"id", r.id}, {"severity", engine::to_string(r.severity)}, {"title", r.title},
                                                       {"where", r.where}, {"rationale", r.rationale}, {"fix", r.fix},
                                                       {"references", r.references}, {"log_patterns", r.log_patterns}}),
                                       2)
                << "\n";
            return kExitClean;
        }
        out << r.id << " (" << engine::to_string(r.severity) << ")\n" << r.title << "\n\n";
        out << "Why:\n  " << engine::display_template(r.rationale)
            << "\n\nFix ({placeholders} are filled from the facts):\n  " << engine::display_template(r.fix) << "\n";
        if (!r.where.empty()) out << "\nDecided from: " << util::join(r.where, ", ") << "  (O files, R builder files, L live probe, E explain)\n";
        if (!r.references.empty()) {
            out << "\nReferences:\n";
            for (const auto& ref : r.references) out << "  " << ref << "\n";
        }
        return kExitClean;
    }
    std::string message = "no rule '" + wanted + "'";
    if (auto near = util::nearest(wanted, ids)) message += " (did you mean " + *near + "?)";
    throw UsageError(message);
}

}  // namespace nbd::cli
