#include "nix_builder_doctor/parse/dslocal.hpp"

#include <plist/plist.h>

#include <charconv>
#include <cstdint>
#include <memory>

namespace nbd::parse {
namespace {

struct PlistFree {
    void operator()(void* node) const { plist_free(static_cast<plist_t>(node)); }
};
using PlistPtr = std::unique_ptr<void, PlistFree>;

// The bytes as a dictionary, or why not. libplist tells binary (`bplist00`) from XML itself.
PlistPtr parse_dictionary(std::string_view data, std::string* error) {
    if (data.size() > kMaxDslocalRecordSize) {
        *error = "larger than " + std::to_string(kMaxDslocalRecordSize >> 20) +
                 " MiB, not an account record";
        return nullptr;
    }
    if (data.empty()) {
        *error = "empty, not a property list";
        return nullptr;
    }
    // libplist 2.2's binary reader checks each nested object against every object above it:
    // thousands of nested arrays take seconds. A record has a few dozen objects.
    if (data.size() >= 40 && data.substr(0, 8) == "bplist00") {
        const auto trailer = data.substr(data.size() - 32);
        uint64_t objects = 0;
        for (int i = 8; i < 16; ++i)
            objects = (objects << 8) | static_cast<unsigned char>(trailer[i]);
        if (objects > kMaxDslocalObjects) {
            *error = "a binary property list of " + std::to_string(objects) +
                     " objects, more than an account record has (" +
                     std::to_string(kMaxDslocalObjects) + ")";
            return nullptr;
        }
    }
    plist_t root = nullptr;
    plist_from_memory(data.data(), static_cast<uint32_t>(data.size()), &root);
    PlistPtr owner(root);
    if (!root) {
        *error = "not a property list (neither binary nor XML)";
        return nullptr;
    }
    if (plist_get_node_type(root) != PLIST_DICT) {
        *error = "a property list, but not a dictionary of attributes";
        return nullptr;
    }
    return owner;
}

std::optional<std::string> string_of(plist_t node) {
    if (!node) return std::nullopt;
    switch (plist_get_node_type(node)) {
        case PLIST_STRING: {
            uint64_t length = 0;
            const char* text = plist_get_string_ptr(node, &length);
            if (!text) return std::string();
            return std::string(text, static_cast<std::size_t>(length));
        }
        case PLIST_UINT: {
            uint64_t value = 0;
            plist_get_uint_val(node, &value);
            return std::to_string(value);
        }
        default:
            return std::nullopt;
    }
}

// An attribute's values: dslocal writes an array of strings; a bare string or number is taken
// as one value. Other types yield nothing.
std::vector<std::string> values(plist_t dict, const char* key) {
    std::vector<std::string> out;
    plist_t node = plist_dict_get_item(dict, key);
    if (!node) return out;
    if (plist_get_node_type(node) == PLIST_ARRAY) {
        const uint32_t n = plist_array_get_size(node);
        for (uint32_t i = 0; i < n; ++i)
            if (auto s = string_of(plist_array_get_item(node, i))) out.push_back(std::move(*s));
        return out;
    }
    if (auto s = string_of(node)) out.push_back(std::move(*s));
    return out;
}

std::string first(const std::vector<std::string>& v) {
    return v.empty() ? std::string() : v.front();
}

// The id attribute `key`, or an error naming it.
std::optional<unsigned> id_of(plist_t dict, const char* key, std::string* error) {
    const auto v = values(dict, key);
    if (v.empty()) {
        *error = std::string("has no `") + key + "`";
        return std::nullopt;
    }
    const auto id = parse_dslocal_id(v.front());
    if (!id)
        *error = std::string("`") + key + "` is not a number: '" + v.front().substr(0, 40) + "'";
    return id;
}

// A record's dictionary and its `name` values (the first is the short name), or an error.
struct NamedRecord {
    PlistPtr dict;
    std::vector<std::string> names;
};

std::optional<NamedRecord> named_record(std::string_view data, std::string* error) {
    NamedRecord rec{parse_dictionary(data, error), {}};
    if (!rec.dict) return std::nullopt;
    rec.names = values(rec.dict.get(), "name");
    if (rec.names.empty() || rec.names.front().empty()) {
        *error = "has no `name`";
        return std::nullopt;
    }
    return rec;
}

}  // namespace

std::optional<unsigned> parse_dslocal_id(std::string_view text) {
    if (text.empty() || text.size() > 20) return std::nullopt;
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    if (value < INT32_MIN || value > static_cast<long long>(UINT32_MAX)) return std::nullopt;
    return static_cast<unsigned>(static_cast<uint32_t>(value));  // -2 wraps as getpwnam's uid_t
}

DslocalResult<DslocalUser> parse_dslocal_user(std::string_view data) {
    DslocalResult<DslocalUser> r;
    const auto rec = named_record(data, &r.error);
    if (!rec) return r;
    plist_t d = rec->dict.get();
    const auto& names = rec->names;
    DslocalUser u;
    u.entry.name = names.front();
    u.aliases.assign(names.begin() + 1, names.end());
    const auto uid = id_of(d, "uid", &r.error);
    if (!uid) return r;
    const auto gid = id_of(d, "gid", &r.error);
    if (!gid) return r;
    u.entry.uid = *uid;
    u.entry.gid = *gid;
    u.entry.home = first(values(d, "home"));
    u.entry.shell = first(values(d, "shell"));
    u.entry.gecos = first(values(d, "realname"));
    u.generated_uid = first(values(d, "generateduid"));
    r.record = std::move(u);
    return r;
}

DslocalResult<DslocalGroup> parse_dslocal_group(std::string_view data) {
    DslocalResult<DslocalGroup> r;
    const auto rec = named_record(data, &r.error);
    if (!rec) return r;
    plist_t d = rec->dict.get();
    const auto& names = rec->names;
    DslocalGroup g;
    g.entry.name = names.front();
    const auto gid = id_of(d, "gid", &r.error);
    if (!gid) return r;
    g.entry.gid = *gid;
    // `users` is dscl's GroupMembership (short names); some tools write `groupmembership`.
    for (const char* key : {"users", "groupmembership"})
        for (auto& m : values(d, key))
            if (!m.empty()) g.entry.members.push_back(std::move(m));
    g.member_uuids = values(d, "groupmembers");
    r.record = std::move(g);
    return r;
}

}  // namespace nbd::parse
