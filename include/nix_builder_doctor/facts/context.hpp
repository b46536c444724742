// State shared by the fact producers during one gathering: the filesystem, the options, and the
// document being filled. Producers are functions `void gather_X(GatherContext&)`; each fills
// its own part of the Facts and may read what earlier producers wrote.
#pragma once

#include <nlohmann/json.hpp>

#include "nix_builder_doctor/facts/accounts.hpp"
#include "nix_builder_doctor/facts/filesystem.hpp"
#include "nix_builder_doctor/facts/gather.hpp"
#include "nix_builder_doctor/facts/next_generation_filesystem.hpp"
#include "nix_builder_doctor/facts/platform.hpp"
#include "nix_builder_doctor/parse/machines.hpp"
#include "nix_builder_doctor/parse/nix_conf.hpp"

namespace nbd::facts {

struct GatherContext {
    GatherContext(FileSystem& file_system, const GatherOptions& gather_options)
        : fs(file_system), options(gather_options) {}

    FileSystem& fs;
    const GatherOptions& options;
    NextGenerationFileSystem* next = nullptr;  // fs itself, with check --next
    nlohmann::json facts = nlohmann::json::object();

    // Typed state the producers share (the JSON above is what rules see).
    Platform platform;  // this machine's (the tree under --root)
    Accounts accounts;
    bool multi_user = true;
    std::string principal;        // who runs ssh for builds
    unsigned principal_uid = 0;
    std::string principal_home = "/root";
    std::optional<Account> user;  // --user, when it exists
    parse::NixConf local_nix_conf;
    std::vector<parse::Machine> machines;  // valid entries, one per builder
};

// A JSON description of a file as a rule needs it: exists, mode ("0600"), owner, group.
nlohmann::json describe_file(FileSystem& fs, const std::string& path);
std::string octal_mode(unsigned mode);
// "ok", "missing", "unreadable", "too_large", "not_regular".
const char* read_status_name(parse::ReadStatus status);

// Appends bounds reached to the Facts' `/limits` list, the one every producer (parsers, the
// filesystem, live probes) reports a cut-off in: {bound, value, file, line, what, builder}
// (builder "" for this machine). Rule doctor.limit-reached reads it.
void add_limits(GatherContext& ctx, const std::vector<parse::LimitReached>& limits, const std::string& builder = "");
void add_limit(nlohmann::json& facts, const parse::LimitReached& limit, const std::string& builder = "");

}  // namespace nbd::facts
