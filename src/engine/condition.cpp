#include "nix_builder_doctor/engine/condition.hpp"

#include <regex>
#include <stdexcept>

namespace nbd::engine {
namespace {

const char* const kOperators[] = {"eq", "ne", "in", "contains", "matches", "exists", "lt", "gt", "empty"};

bool is_empty_value(const nlohmann::json* v) {
    if (!v || v->is_null()) return true;
    if (v->is_string()) return v->get_ref<const std::string&>().empty();
    if (v->is_array() || v->is_object()) return v->empty();
    return false;
}

bool compare_less(const nlohmann::json& a, const nlohmann::json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() < b.get<double>();
    if (a.is_string() && b.is_string()) return a.get<std::string>() < b.get<std::string>();
    return false;
}

bool leaf(const nlohmann::json& c, const Scope& scope) {
    const nlohmann::json* v = resolve_path(scope, c.at("path").get<std::string>());
    // The comparison value may itself name a fact: {"path": "a", "eq": {"path": "b"}}.
    auto operand = [&](const char* op) -> const nlohmann::json* {
        const auto& raw = c.at(op);
        if (raw.is_object() && raw.contains("path")) return resolve_path(scope, raw["path"].get<std::string>());
        return &raw;
    };
    if (c.contains("exists")) return (v != nullptr && !v->is_null()) == c["exists"].get<bool>();
    if (c.contains("empty")) return is_empty_value(v) == c["empty"].get<bool>();
    if (c.contains("eq")) {
        const auto* o = operand("eq");
        return v && o && *v == *o;
    }
    if (c.contains("ne")) {
        // A missing fact is not "different": rules compare facts that exist.
        const auto* o = operand("ne");
        return v && o && *v != *o;
    }
    if (c.contains("in")) {
        const auto* o = operand("in");
        if (!v || !o || !o->is_array()) return false;
        for (const auto& e : *o)
            if (e == *v) return true;
        return false;
    }
    if (c.contains("contains")) {
        const auto* o = operand("contains");
        if (!v || !o) return false;
        if (v->is_array()) {
            for (const auto& e : *v)
                if (e == *o) return true;
            return false;
        }
        if (v->is_string() && o->is_string())
            return v->get<std::string>().find(o->get<std::string>()) != std::string::npos;
        return false;
    }
    if (c.contains("matches")) {
        if (!v || !v->is_string()) return false;
        const std::regex re(c["matches"].get<std::string>(), std::regex::ECMAScript);
        return std::regex_search(v->get<std::string>(), re);
    }
    if (c.contains("lt")) {
        const auto* o = operand("lt");
        return v && o && compare_less(*v, *o);
    }
    if (c.contains("gt")) {
        const auto* o = operand("gt");
        return v && o && compare_less(*o, *v);
    }
    return false;
}

}  // namespace

bool evaluate_condition(const nlohmann::json& condition, const Scope& scope) {
    if (condition.is_null()) return true;
    if (condition.contains("all")) {
        for (const auto& c : condition["all"])
            if (!evaluate_condition(c, scope)) return false;
        return true;
    }
    if (condition.contains("any")) {
        for (const auto& c : condition["any"])
            if (evaluate_condition(c, scope)) return true;
        return false;
    }
    if (condition.contains("not")) return !evaluate_condition(condition["not"], scope);
    return leaf(condition, scope);
}

void check_condition(const nlohmann::json& c) {
    if (!c.is_object()) throw std::invalid_argument("a condition must be an object");
    const int groups = (c.contains("all") ? 1 : 0) + (c.contains("any") ? 1 : 0) + (c.contains("not") ? 1 : 0);
    if (groups > 1 || (groups == 1 && c.size() != 1))
        throw std::invalid_argument("all, any and not each stand alone in their object: " + c.dump());
    for (const char* group : {"all", "any"}) {
        if (c.contains(group)) {
            if (!c[group].is_array() || c[group].empty())
                throw std::invalid_argument(std::string("'") + group + "' needs a non-empty array");
            for (const auto& sub : c[group]) check_condition(sub);
            return;
        }
    }
    if (c.contains("not")) return check_condition(c["not"]);
    if (!c.contains("path") || !c["path"].is_string())
        throw std::invalid_argument("a comparison needs a string 'path': " + c.dump());
    check_path_syntax(c["path"].get<std::string>(), false);
    int operators = 0;
    for (const char* op : kOperators) operators += c.contains(op) ? 1 : 0;
    if (operators != 1) throw std::invalid_argument("a comparison needs exactly one operator: " + c.dump());
    if (c.contains("matches")) {
        try {
            std::regex(c["matches"].get<std::string>(), std::regex::ECMAScript);
        } catch (const std::exception& e) {
            throw std::invalid_argument("bad regex in 'matches': " + c["matches"].dump());
        }
    }
    for (const char* op : kOperators)
        if (c.contains(op) && c[op].is_object()) {
            if (!c[op].contains("path") || !c[op]["path"].is_string())
                throw std::invalid_argument(std::string("the operand of '") + op + "' must be a value or {\"path\": \"...\"}");
            check_path_syntax(c[op]["path"].get<std::string>(), false);
        }
    for (const char* op : {"exists", "empty"})
        if (c.contains(op) && !c[op].is_boolean()) throw std::invalid_argument(std::string("'") + op + "' takes true or false");
}

}  // namespace nbd::engine
