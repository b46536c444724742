// The Facts document's schema, as osquery declares its tables: every fact the producers write,
// with its type, meaning, producer and evidence (src/facts/facts-schema.json, embedded into the
// binary). The engine reads it as data: it checks the paths rules read at load time, and tests
// check every producer's output against it. docs/facts.md is generated from it.
//
// A fact is a JSON pointer pattern whose `*` segments stand for array items, the syntax of
// `for_each`: "/builders/*/live/xray/stages/banner". Containers above a declared fact are
// implied (an object, or an array when the next segment is `*`) and may be declared too, to
// document them. A `<name>` segment is any key of an object used as a map (nix.conf settings).
// An array of scalars may say its items' type with "items" instead of a `/*` entry. Groups of
// facts that recur (a file's stat, an identity, an ssh view) are "shapes", declared once.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nix_builder_doctor/engine/rule.hpp"

namespace nbd::engine {

struct FactEntry {
    std::string path;                // the pattern as written: "/builders/*/uri"
    std::vector<std::string> types;  // string integer number boolean array object null
    std::vector<std::string> items;  // arrays only: the items' types (a shorthand for "/*")
    nlohmann::json enum_values;  // array of allowed values (of the items, with "items"); null: any
    std::string meaning;
    std::string producer;            // src/facts file(s) that write it
    std::vector<std::string> where;  // O (this machine's files), R (builder files), L (live probe)
    std::string shape;       // objects: the shape whose entries it has (expanded into entries())
    std::string from_shape;  // the shape this entry was expanded from, "" when declared in "facts"
};

class FactsSchema {
  public:
    FactsSchema() = default;
    FactsSchema(const FactsSchema&) = delete;  // the tree points into m_entries
    FactsSchema& operator=(const FactsSchema&) = delete;
    FactsSchema(FactsSchema&&) = default;
    FactsSchema& operator=(FactsSchema&&) = default;

    // Parses the schema file's text; problems go to errors() and the entries that are fine stay.
    static FactsSchema parse(const std::string& text);

    const std::vector<std::string>& errors() const { return m_errors; }
    // Every fact, shapes expanded, sorted by path.
    const std::vector<FactEntry>& entries() const { return m_entries; }
    // The shapes as written: name -> entries with paths relative to their user ("/path"); an
    // entry with an empty path includes the shape it names.
    const std::map<std::string, std::vector<FactEntry>>& shapes() const { return m_shapes; }

    // The canonical pattern a concrete or pattern path designates ("/nix_confs/0/errors" ->
    // "/nix_confs/*/errors"), or nullopt when the schema has no such fact. Segments are
    // unescaped JSON pointer tokens.
    std::optional<std::string> match(const std::vector<std::string>& segments) const;
    // The declared entry of a canonical pattern; nullptr for implied containers and unknowns.
    const FactEntry* entry(const std::string& pattern) const;
    // Whether a canonical pattern is an array (declared so, or implied by a `*` child).
    bool is_array(const std::string& pattern) const;
    // Every pattern the schema knows, implied containers included.
    std::vector<std::string> all_patterns() const;

    // Every value of `facts` against the schema: "<pattern>: <problem>" for each undeclared fact
    // (with the entry to add) and each value of the wrong type or outside its enum. Each pattern
    // is reported once.
    std::vector<std::string> validate(const nlohmann::json& facts) const;

    // The paths `rule` reads (for_each, conditions, texts), each resolved against its for_each
    // scope and looked up: one problem per path the schema does not declare, naming the field,
    // the path and the nearest declared one; literal comparisons with an enum fact must use its
    // values.
    std::vector<std::string> check_rule(const Rule& rule) const;

    struct Node;

  private:
    std::shared_ptr<Node> m_root;
    std::vector<FactEntry> m_entries;
    std::deque<FactEntry> m_item_entries;  // the `/*` of "items" arrays (stable addresses)
    std::map<std::string, std::vector<FactEntry>> m_shapes;
    std::vector<std::string> m_errors;
};

// The embedded src/facts/facts-schema.json.
const FactsSchema& builtin_facts_schema();

// JSON pointer tokens of a path ("/a/b~1c" -> {"a", "b/c"}; "a/b" -> {"a", "b"}).
std::vector<std::string> pointer_segments(const std::string& path);

}  // namespace nbd::engine
