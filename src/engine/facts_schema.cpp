#include "nix_builder_doctor/engine/facts_schema.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "nix_builder_doctor/engine/condition.hpp"
#include "nix_builder_doctor/engine/embedded_rules.hpp"
#include "nix_builder_doctor/engine/message_template.hpp"
#include "nix_builder_doctor/util/strings.hpp"

namespace nbd::engine {

struct FactsSchema::Node {
    std::map<std::string, std::unique_ptr<Node>> children;  // "*": the items of an array
    const FactEntry* entry = nullptr;
};

namespace {

using Node = FactsSchema::Node;

const std::set<std::string> kTypes = {"string", "integer", "number", "boolean",
                                      "array",  "object",  "null"};
const std::set<std::string> kWhere = {"O", "R", "L"};

std::string escape(const std::string& token) {
    std::string out;
    for (char c : token) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string join_pattern(const std::vector<std::string>& segments) {
    std::string out;
    for (const auto& s : segments) out += "/" + escape(s);
    return out;
}

bool has_type(const std::vector<std::string>& types, const char* t) {
    return std::find(types.begin(), types.end(), t) != types.end();
}

bool value_has_type(const nlohmann::json& v, const std::vector<std::string>& types) {
    for (const auto& t : types) {
        if (t == "string" && v.is_string()) return true;
        if (t == "integer" && v.is_number_integer()) return true;
        if (t == "number" && v.is_number()) return true;
        if (t == "boolean" && v.is_boolean()) return true;
        if (t == "array" && v.is_array()) return true;
        if (t == "object" && v.is_object()) return true;
        if (t == "null" && v.is_null()) return true;
    }
    return false;
}

std::string type_of(const nlohmann::json& v) {
    if (v.is_string()) return "string";
    if (v.is_number_integer()) return "integer";
    if (v.is_number()) return "number";
    if (v.is_boolean()) return "boolean";
    if (v.is_array()) return "array";
    if (v.is_object()) return "object";
    return "null";
}

// "a string", "an integer".
std::string a_type(const std::string& t) {
    return (t == "integer" || t == "array" || t == "object" ? "an " : "a ") + t;
}

std::string types_text(const std::vector<std::string>& types) { return util::join(types, " or "); }

// "type": "string" or ["string", "null"].
std::vector<std::string> read_types(const nlohmann::json& j, const std::string& where,
                                    std::vector<std::string>& errors) {
    std::vector<std::string> out;
    if (j.is_string())
        out.push_back(j.get<std::string>());
    else if (j.is_array())
        for (const auto& t : j)
            if (t.is_string()) out.push_back(t.get<std::string>());
    if (out.empty() || (j.is_array() && out.size() != j.size()))
        errors.push_back(where + ": a type name or a list of them");
    for (const auto& t : out)
        if (!kTypes.count(t))
            errors.push_back(where + ": unknown type '" + t +
                             "' (string integer number boolean array object null)");
    return out;
}

bool is_index(const std::string& token) {
    return !token.empty() && util::parse_unsigned(token).has_value();
}

bool is_map_key(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '<' && segment.back() == '>';
}

// The child of `node` that `token` designates: the exact name, else `*` for an index, else the
// `<name>` child of an object used as a map. `*` itself only ever designates `*`.
const std::pair<const std::string, std::unique_ptr<Node>>* child_for(const Node* node,
                                                                     const std::string& token) {
    if (!node) return nullptr;
    if (auto it = node->children.find(token); it != node->children.end()) return &*it;
    if (token == "*") return nullptr;
    if (is_index(token))
        if (auto it = node->children.find("*"); it != node->children.end()) return &*it;
    for (const auto& c : node->children)
        if (is_map_key(c.first)) return &c;
    return nullptr;
}

const Node* find_node(const Node* root, const std::vector<std::string>& segments,
                      std::string* canonical = nullptr) {
    const Node* node = root;
    std::vector<std::string> out;
    for (const auto& s : segments) {
        const auto* child = child_for(node, s);
        if (!child) return nullptr;
        out.push_back(child->first);
        node = child->second.get();
    }
    if (canonical) *canonical = join_pattern(out);
    return node;
}

void collect_patterns(const Node& node, const std::string& prefix, std::vector<std::string>& out) {
    for (const auto& [name, child] : node.children) {
        const std::string p = prefix + "/" + escape(name);
        out.push_back(p);
        collect_patterns(*child, p, out);
    }
}

// The entry to add for an undeclared value, in the schema file's own order of keys.
std::string suggestion(const std::string& pattern, const nlohmann::json& v, bool in_shape) {
    nlohmann::ordered_json entry = {{"type", type_of(v)}};
    if (v.is_array() && !v.empty() && !v[0].is_object() && !v[0].is_array())
        entry["items"] = type_of(v[0]);
    if (!in_shape) {
        entry["where"] = {"O"};
        entry["producer"] = "<file in src/facts>.cpp";
    }
    entry["meaning"] = "<what it says>";
    return "\"" + pattern + "\": " + entry.dump();
}

// The nearest declared object with a shape above an undeclared value: new fields of an
// identity, an ssh view... belong in the shape, so every user of it gets them.
struct Owner {
    const FactEntry* entry = nullptr;
    std::string pattern;
};

// An undeclared value: its leaves (and empty containers) are what needs declaring.
void report_undeclared(const nlohmann::json& v, const std::string& pattern, const Owner& owner,
                       std::map<std::string, std::string>& problems) {
    const bool scalar_array = v.is_array() && !v.empty() && !v[0].is_object() && !v[0].is_array();
    if (v.is_object() && !v.empty()) {
        for (const auto& [k, child] : v.items())
            report_undeclared(child, pattern + "/" + escape(k), owner, problems);
        return;
    }
    if (v.is_array() && !v.empty() && !scalar_array) {
        for (const auto& child : v) report_undeclared(child, pattern + "/*", owner, problems);
        return;
    }
    std::string text = pattern + ": not in the facts schema; add to src/facts/facts-schema.json";
    if (owner.entry)
        text += " under \"shapes\" \"" + owner.entry->shape + "\" (the shape of " + owner.pattern +
                "): " + suggestion(pattern.substr(owner.pattern.size()), v, true) +
                ", or under \"facts\"";
    problems.emplace(pattern, text + ": " + suggestion(pattern, v, false));
}

void validate_value(const nlohmann::json& v, const Node* node, const std::string& pattern,
                    Owner owner, std::map<std::string, std::string>& problems) {
    if (!node) return report_undeclared(v, pattern, owner, problems);
    if (node->entry && !node->entry->shape.empty()) owner = {node->entry, pattern};
    if (const FactEntry* e = node->entry) {
        if (!value_has_type(v, e->types)) {
            problems.emplace(pattern, pattern + ": " + a_type(type_of(v)) + " (" +
                                          v.dump().substr(0, 80) + "), but the schema says " +
                                          types_text(e->types));
            return;
        }
        if (!v.is_null() && e->enum_values.is_array() && e->items.empty() &&
            std::find(e->enum_values.begin(), e->enum_values.end(), v) == e->enum_values.end()) {
            problems.emplace(pattern, pattern + ": " + v.dump() + " is not one of " +
                                          e->enum_values.dump() +
                                          " (add the value to the entry's enum if it is new)");
            return;
        }
    } else {
        // An implied container: an array when its child is `*`, else an object.
        const bool array = node->children.count("*") > 0;
        if (array ? !v.is_array() : !v.is_object()) {
            problems.emplace(pattern, pattern + ": " + a_type(type_of(v)) +
                                          ", but the schema implies " +
                                          (array ? "an array" : "an object"));
            return;
        }
    }
    if (v.is_object()) {
        for (const auto& [k, child] : v.items()) {
            const auto* c = k == "*" ? nullptr : child_for(node, k);
            validate_value(child, c ? c->second.get() : nullptr,
                           pattern + "/" + escape(c ? c->first : k), owner, problems);
        }
    } else if (v.is_array()) {
        auto it = node->children.find("*");
        for (const auto& child : v)
            validate_value(child, it == node->children.end() ? nullptr : it->second.get(),
                           pattern + "/*", owner, problems);
    }
}

}  // namespace

std::vector<std::string> pointer_segments(const std::string& path) {
    std::vector<std::string> out;
    const std::string body = !path.empty() && path[0] == '/' ? path.substr(1) : path;
    if (body.empty()) return out;
    for (const auto& raw : util::split_fields(body, '/')) {
        std::string token;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
                token += raw[i + 1] == '0' ? '~' : '/';
                ++i;
            } else {
                token += raw[i];
            }
        }
        out.push_back(token);
    }
    return out;
}

namespace {

constexpr int kMaxShapeDepth = 8;

// One entry of "facts" or of a shape. Shape entries may leave where and producer to the user.
FactEntry read_entry(const std::string& path, const nlohmann::json& e, const std::string& where,
                     bool in_shape, std::vector<std::string>& errors) {
    FactEntry f;
    f.path = path;
    if (!e.is_object()) {
        errors.push_back(where + ": an entry is an object");
        return f;
    }
    for (const auto& [key, _] : e.items())
        if (key != "type" && key != "items" && key != "enum" && key != "meaning" &&
            key != "producer" && key != "where" && key != "shape")
            errors.push_back(where + ": unknown property '" + key + "'");
    if (!e.contains("type"))
        errors.push_back(where + ": missing \"type\"");
    else
        f.types = read_types(e["type"], where + ": type", errors);
    if (e.contains("items")) {
        f.items = read_types(e["items"], where + ": items", errors);
        if (!has_type(f.types, "array")) errors.push_back(where + ": \"items\" is only for arrays");
    }
    if (e.contains("enum")) {
        if (!e["enum"].is_array() || e["enum"].empty())
            errors.push_back(where + ": enum is a non-empty list of values");
        else
            f.enum_values = e["enum"];
    }
    if (e.contains("shape")) {
        if (!e["shape"].is_string())
            errors.push_back(where + ": shape is the name of an entry of \"shapes\"");
        else
            f.shape = e["shape"].get<std::string>();
        if (!f.shape.empty() && !has_type(f.types, "object"))
            errors.push_back(where + ": a shape is for objects");
    }
    if (!e.contains("meaning") || !e["meaning"].is_string() ||
        e["meaning"].get<std::string>().empty())
        errors.push_back(where + ": missing \"meaning\" (a non-empty string)");
    else
        f.meaning = e["meaning"].get<std::string>();
    if (e.contains("producer") &&
        (!e["producer"].is_string() || e["producer"].get<std::string>().empty()))
        errors.push_back(where + ": \"producer\" is a non-empty string");
    else if (!e.contains("producer") && !in_shape)
        errors.push_back(where + ": missing \"producer\" (the src/facts file that writes it)");
    f.producer = e.value("producer", "");
    if (e.contains("where")) {
        if (!e["where"].is_array() || e["where"].empty())
            errors.push_back(where + ": where is a non-empty list of O, R, L");
        else
            for (const auto& w : e["where"]) {
                if (!w.is_string() || !kWhere.count(w.get<std::string>()))
                    errors.push_back(where + ": where is a list of O, R, L");
                else
                    f.where.push_back(w.get<std::string>());
            }
    } else if (!in_shape) {
        errors.push_back(where + ": missing \"where\" (a list of O, R, L)");
    }
    return f;
}

// Adds `shape`'s entries under `base` (inheriting where and producer), recursively.
void expand_shape(const std::map<std::string, std::vector<FactEntry>>& shapes,
                  const FactEntry& base, const std::string& shape, int depth,
                  std::vector<FactEntry>& out, std::vector<std::string>& errors) {
    const auto it = shapes.find(shape);
    if (it == shapes.end()) {
        errors.push_back("facts " + base.path + ": no shape '" + shape + "' in \"shapes\"");
        return;
    }
    if (depth > kMaxShapeDepth) {
        errors.push_back("facts " + base.path + ": shapes nest deeper than " +
                         std::to_string(kMaxShapeDepth) + " (a cycle?)");
        return;
    }
    for (const auto& member : it->second) {
        if (member.path.empty()) {  // {"": {"shape": X}}: include X
            expand_shape(shapes, base, member.shape, depth + 1, out, errors);
            continue;
        }
        FactEntry f = member;
        f.path = base.path + member.path;
        f.where = base.where;
        if (f.producer.empty()) f.producer = base.producer;
        f.from_shape = shape;
        out.push_back(f);
        if (!f.shape.empty()) expand_shape(shapes, f, f.shape, depth + 1, out, errors);
    }
}

}  // namespace

FactsSchema FactsSchema::parse(const std::string& text) {
    FactsSchema s;
    s.m_root = std::make_shared<Node>();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        s.m_errors.push_back(std::string("not valid JSON: ") + e.what());
        return s;
    }
    if (!j.is_object() || !j.contains("facts") || !j["facts"].is_object()) {
        s.m_errors.push_back("needs an object \"facts\": {\"/pointer\": {entry}, ...}");
        return s;
    }
    for (const auto& [key, _] : j.items())
        if (key != "facts" && key != "shapes" && key != "$comment")
            s.m_errors.push_back("unknown top-level property '" + key + "'");
    if (j.contains("shapes")) {
        if (!j["shapes"].is_object())
            s.m_errors.push_back("\"shapes\" is an object of name -> {\"/relative\": {entry}}");
        else
            for (const auto& [name, members] : j["shapes"].items()) {
                auto& list = s.m_shapes[name];
                if (!members.is_object()) {
                    s.m_errors.push_back("shapes " + name +
                                         ": an object of \"/relative pointer\" -> entry");
                    continue;
                }
                for (const auto& [path, e] : members.items()) {
                    const std::string where = "shapes " + name + " " + path;
                    if (path.empty()) {
                        if (!e.is_object() || e.size() != 1 || !e.contains("shape") ||
                            !e["shape"].is_string())
                            s.m_errors.push_back(
                                where +
                                ": the entry \"\" only includes another shape: {\"shape\": NAME}");
                        else {
                            FactEntry include;
                            include.shape = e["shape"].get<std::string>();
                            list.push_back(include);
                        }
                        continue;
                    }
                    if (path[0] != '/')
                        s.m_errors.push_back(where +
                                             ": a shape's entries are pointers relative to its "
                                             "user, starting with '/'");
                    list.push_back(read_entry(path, e, where, true, s.m_errors));
                }
            }
    }
    std::vector<FactEntry> entries;
    for (const auto& [path, e] : j["facts"].items()) {
        const std::string where = "facts " + path;
        if (path.empty() || path[0] != '/') {
            s.m_errors.push_back(where + ": a fact is an absolute pointer starting with '/'");
            continue;
        }
        FactEntry f = read_entry(path, e, where, false, s.m_errors);
        entries.push_back(f);
        if (!f.shape.empty()) expand_shape(s.m_shapes, f, f.shape, 0, entries, s.m_errors);
    }
    std::sort(entries.begin(), entries.end(),
              [](const FactEntry& a, const FactEntry& b) { return a.path < b.path; });
    for (std::size_t i = 1; i < entries.size(); ++i)
        if (entries[i].path == entries[i - 1].path)
            s.m_errors.push_back("facts " + entries[i].path + ": declared twice" +
                                 (entries[i].from_shape.empty() && entries[i - 1].from_shape.empty()
                                      ? ""
                                      : " (once through a shape)"));
    s.m_entries = std::move(entries);
    for (const auto& f : s.m_entries) {
        Node* node = s.m_root.get();
        const auto segments = pointer_segments(f.path);
        for (std::size_t i = 0; i < segments.size(); ++i) {
            if (node->entry && !node->entry->types.empty()) {
                const bool needs_array = segments[i] == "*";
                if (!has_type(node->entry->types, needs_array ? "array" : "object"))
                    s.m_errors.push_back("facts " + f.path + ": its parent " + node->entry->path +
                                         " is not " + (needs_array ? "an array" : "an object"));
            }
            auto& child = node->children[segments[i]];
            if (!child) child = std::make_unique<Node>();
            node = child.get();
        }
        node->entry = &f;
    }
    // An array's children are its items; a map's its values; "items" says the same as a `/*`.
    for (const auto& f : s.m_entries) {
        Node* n = const_cast<Node*>(find_node(s.m_root.get(), pointer_segments(f.path)));
        if (!n) continue;
        if (!f.items.empty() && n->children.count("*"))
            s.m_errors.push_back("facts " + f.path + ": declares \"items\" and also has " + f.path +
                                 "/* entries");
        if (!f.items.empty() && !n->children.count("*")) {
            // The items of an "items" array are facts too ("systems/0"), not listed in entries().
            FactEntry& item = s.m_item_entries.emplace_back();
            item.path = f.path + "/*";
            item.types = f.items;
            item.enum_values = f.enum_values;
            item.meaning = "an item of " + f.path;
            item.producer = f.producer;
            item.where = f.where;
            auto& child = n->children["*"];
            child = std::make_unique<Node>();
            child->entry = &item;
        }
        bool map = false;
        for (const auto& c : n->children) map = map || is_map_key(c.first);
        if ((n->children.count("*") || map) && n->children.size() > 1)
            s.m_errors.push_back("facts " + f.path +
                                 ": an array's only child is /*, a map's only child is /<name>");
    }
    return s;
}

std::optional<std::string> FactsSchema::match(const std::vector<std::string>& segments) const {
    std::string canonical;
    if (!find_node(m_root.get(), segments, &canonical)) return std::nullopt;
    return canonical;
}

const FactEntry* FactsSchema::entry(const std::string& pattern) const {
    const Node* n = find_node(m_root.get(), pointer_segments(pattern));
    return n ? n->entry : nullptr;
}

bool FactsSchema::is_array(const std::string& pattern) const {
    const Node* n = find_node(m_root.get(), pointer_segments(pattern));
    if (!n) return false;
    if (n->children.count("*")) return true;
    return n->entry && has_type(n->entry->types, "array") && !has_type(n->entry->types, "object");
}

std::vector<std::string> FactsSchema::all_patterns() const {
    std::vector<std::string> out;
    collect_patterns(*m_root, "", out);
    return out;
}

std::vector<std::string> FactsSchema::validate(const nlohmann::json& facts) const {
    std::map<std::string, std::string> problems;
    validate_value(facts, m_root.get(), "", Owner{}, problems);
    std::vector<std::string> out;
    for (auto& [_, p] : problems) out.push_back(std::move(p));
    return out;
}

namespace {

// The patterns of a rule's scope: front the document root (""), back the item a for_each
// yields, in between each item a `*` walked through; as expand_for_each builds Scope::chain.
std::vector<std::string> scope_chain(const FactsSchema& schema, const std::string& for_each) {
    std::vector<std::string> chain = {""};
    if (for_each.empty()) return chain;
    std::string current;
    for (const auto& s : pointer_segments(for_each)) {
        current += "/" + escape(s);
        if (s == "*") chain.push_back(current);
    }
    chain.push_back(schema.is_array(current) ? current + "/*" : current);
    return chain;
}

// A path relative to the scope, for messages: the shortest "../"-climb from the chain.
std::string relative_form(const std::string& pattern, const std::vector<std::string>& chain) {
    for (std::size_t up = 0; up + 1 < chain.size(); ++up) {
        const std::string& base = chain[chain.size() - 1 - up];
        if (pattern.size() > base.size() && pattern.compare(0, base.size(), base) == 0 &&
            pattern[base.size()] == '/') {
            std::string out;
            for (std::size_t i = 0; i < up; ++i) out += "../";
            return out + pattern.substr(base.size() + 1);
        }
    }
    return pattern;
}

struct Resolved {
    std::optional<std::string> pattern;  // the fact, when declared
    std::string attempted;               // the absolute pattern the path would be
    std::string error;                   // a path that cannot be resolved at all
};

Resolved resolve(const FactsSchema& schema, const std::vector<std::string>& chain,
                 const std::string& path) {
    Resolved r;
    std::vector<std::string> segments;
    std::size_t depth = chain.size() - 1;
    if (!path.empty() && path[0] == '/') {
        segments = pointer_segments(path);
    } else {
        segments = pointer_segments(chain[depth]);
        for (const auto& token : pointer_segments(path)) {
            if (token == "..") {
                if (depth == 0) {
                    r.error = "climbs above the document root";
                    return r;
                }
                segments = pointer_segments(chain[--depth]);
            } else if (token != ".") {
                segments.push_back(token);
            }
        }
    }
    r.attempted = join_pattern(segments);
    // Written indexes read as items: "/nix_confs/0" is "/nix_confs/*".
    std::vector<std::string> shown;
    for (const auto& s : segments) shown.push_back(is_index(s) ? "*" : s);
    r.attempted = join_pattern(shown);
    r.pattern = schema.match(segments);
    return r;
}

std::string nearest_pattern(const FactsSchema& schema, const std::string& attempted) {
    std::string best;
    std::size_t best_distance = std::numeric_limits<std::size_t>::max();
    for (const auto& p : schema.all_patterns()) {
        const std::size_t d = util::edit_distance(attempted, p);
        if (d < best_distance) {
            best_distance = d;
            best = p;
        }
    }
    return best;
}

void collect_leaves(const nlohmann::json& c, std::vector<const nlohmann::json*>& out) {
    if (!c.is_object()) return;
    for (const char* group : {"all", "any"})
        if (c.contains(group) && c[group].is_array()) {
            for (const auto& sub : c[group]) collect_leaves(sub, out);
            return;
        }
    if (c.contains("not")) return collect_leaves(c["not"], out);
    if (c.contains("path") && c["path"].is_string()) out.push_back(&c);
}

}  // namespace

std::vector<std::string> FactsSchema::check_rule(const Rule& rule) const {
    std::vector<std::string> problems;
    const auto chain = scope_chain(*this, rule.for_each);
    auto check = [&](const std::string& field,
                     const std::string& path) -> std::optional<std::string> {
        const Resolved r = resolve(*this, chain, path);
        if (!r.error.empty()) {
            problems.push_back(field + ": the fact path '" + path + "' " + r.error);
            return std::nullopt;
        }
        if (r.pattern) return r.pattern;
        std::string message = field + ": no fact '" + path + "'";
        if (path != r.attempted) message += " (" + r.attempted + ")";
        message += " in the facts schema";
        const std::string near = nearest_pattern(*this, r.attempted);
        if (!near.empty())
            message +=
                "; the nearest fact is '" + (path[0] == '/' ? near : relative_form(near, chain)) +
                "'" +
                (path[0] == '/' || near == relative_form(near, chain) ? "" : " (" + near + ")");
        problems.push_back(message);
        return std::nullopt;
    };
    if (!rule.for_each.empty() && !check("for_each", rule.for_each)) return problems;

    std::vector<const nlohmann::json*> leaves;
    collect_leaves(rule.when, leaves);
    for (const auto* leaf : leaves) {
        const auto pattern = check("when", (*leaf)["path"].get<std::string>());
        for (const auto& [op, operand] : leaf->items())
            if (operand.is_object() && operand.contains("path") && operand["path"].is_string())
                check("when", operand["path"].get<std::string>());
        // A literal outside a closed set of values can never match.
        const FactEntry* e = pattern ? entry(*pattern) : nullptr;
        if (!e || !e->enum_values.is_array()) continue;
        auto allowed = [&](const nlohmann::json& v) {
            return std::find(e->enum_values.begin(), e->enum_values.end(), v) !=
                   e->enum_values.end();
        };
        // eq/ne/in compare the value itself; contains looks for an item of a list.
        const bool list = !e->items.empty();
        for (const char* op : {"eq", "ne", "contains"})
            if (leaf->contains(op) && (std::string(op) == "contains") == list &&
                !(*leaf)[op].is_object() && !allowed((*leaf)[op]))
                problems.push_back("when: '" + (*leaf)["path"].get<std::string>() + "' is never " +
                                   (*leaf)[op].dump() + ": its values are " +
                                   e->enum_values.dump());
        if (!list && leaf->contains("in") && (*leaf)["in"].is_array())
            for (const auto& v : (*leaf)["in"])
                if (!allowed(v))
                    problems.push_back("when: '" + (*leaf)["path"].get<std::string>() +
                                       "' is never " + v.dump() + ": its values are " +
                                       e->enum_values.dump());
    }
    const std::pair<const char*, const std::string*> texts[] = {
        {"message", &rule.message},
        {"fix", &rule.fix},
        {"title", &rule.title},
        {"builder", &rule.builder},
        {"location.file", &rule.location_file},
        {"location.line", &rule.location_line}};
    for (const auto& [field, text] : texts)
        for (const auto& path : template_paths(*text)) check(field, path);
    return problems;
}

const FactsSchema& builtin_facts_schema() {
    static const FactsSchema schema = FactsSchema::parse(embedded_facts_schema());
    return schema;
}

}  // namespace nbd::engine
