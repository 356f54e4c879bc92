// SPDX-License-Identifier: Apache-2.0
// Decodes one object's checked JSON text straight into the typed model, with field paths.
//
// The framer (json_framer.hpp) has checked the text and read its type fields, so the reader
// knows the object's kind before its first byte, whatever the key order. Its rules:
//  - a value of the wrong JSON type, or a number out of its field's range, is a problem with the
//    field path; the rest of the object is still read;
//  - a repeated key: the last value wins (a repeated object or list replaces the earlier one
//    whole), and each repetition is recorded as a `duplicate` field error on the object;
//  - fields the model does not know are kept as compact JSON text (`extra`), objects of kinds it
//    does not model as raw objects, both with their repeated keys resolved the same way.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "../document.hpp"
#include "../error.hpp"
#include "../types.hpp"
#include "json_lexer.hpp"
#include "json_writer.hpp"

namespace epslice::detail {

/// The keys of one JSON object seen so far, each with a number (where its value went), for
/// finding repeated keys in linear time: a list while small, hashed from 8 keys on. The keys'
/// texts must outlive the set (they point into the object's text or an arena).
class key_set {
 public:
  void clear() noexcept {
    entries_.clear();
    index_.clear();
  }
  /// The number of `key`, or nullptr when it is not in the set.
  [[nodiscard]] std::size_t* find(std::string_view key) noexcept {
    if (index_.empty()) {
      for (auto& e : entries_)
        if (e.first.size() == key.size() && e.first == key) return &e.second;
      return nullptr;
    }
    const std::size_t mask = index_.size() - 1;
    for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      const std::uint32_t slot = index_[i];
      if (slot == 0) return nullptr;
      auto& e = entries_[slot - 1];
      if (e.first == key) return &e.second;
    }
  }
  /// Add a key that is not in the set.
  void insert(std::string_view key, std::size_t value) {
    entries_.emplace_back(key, value);
    if (entries_.size() == linear_max + 1 || (!index_.empty() && entries_.size() * 2 > index_.size())) {
      rehash();
    } else if (!index_.empty()) {
      place(entries_.size() - 1);
    }
  }

 private:
  static constexpr std::size_t linear_max = 8;
  static std::size_t hash(std::string_view k) noexcept { return std::hash<std::string_view>{}(k); }
  void place(std::size_t entry) noexcept {
    const std::size_t mask = index_.size() - 1;
    std::size_t i = hash(entries_[entry].first) & mask;
    while (index_[i] != 0) i = (i + 1) & mask;
    index_[i] = static_cast<std::uint32_t>(entry + 1);
  }
  void rehash() {
    std::size_t n = 32;
    while (n < entries_.size() * 4) n *= 2;
    index_.assign(n, 0);
    for (std::size_t e = 0; e < entries_.size(); ++e) place(e);
  }
  std::vector<std::pair<std::string_view, std::size_t>> entries_;
  std::vector<std::uint32_t> index_;  // 0: empty, else entry + 1
};

enum class ctx : std::uint8_t {
  list,           // a List's own fields
  slice,
  meta,
  string_map,     // labels, annotations, deprecatedTopology, a v1beta1 topology
  owner_refs,
  owner_ref,
  endpoints_arr,
  endpoint,
  addresses,
  conditions,
  target_ref,
  hints,
  for_list,       // forZones / forNodes
  for_item,
  ports,
  port,
  ep_object,      // legacy Endpoints
  subsets,
  subset,
  sub_addresses,
  sub_address,
  sub_ports,
  sub_port,
  capture,        // a value kept as JSON text, or dropped
};

enum class ev : std::uint8_t { null_v, boolean, number, string, object, array };

struct event {
  constexpr explicit event(ev t) noexcept : type(t) {}
  ev type = ev::null_v;
  bool b = false;
  const json_number* n = nullptr;
  std::string_view s;  // string text
};

// Field names per context; the index is the field id (at most 64 per context).
inline constexpr std::string_view slice_fields[] = {"kind", "apiVersion", "metadata", "addressType", "endpoints", "ports"};
inline constexpr std::string_view meta_fields[] = {"name", "generateName", "namespace", "uid", "resourceVersion",
                                                   "generation", "creationTimestamp", "deletionTimestamp",
                                                   "labels", "annotations", "ownerReferences"};
inline constexpr std::string_view owner_fields[] = {"apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"};
inline constexpr std::string_view endpoint_fields[] = {"addresses", "conditions", "hostname", "targetRef",
                                                       "deprecatedTopology", "nodeName", "zone", "hints", "topology"};
inline constexpr std::string_view condition_fields[] = {"ready", "serving", "terminating"};
inline constexpr std::string_view ref_fields[] = {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"};
inline constexpr std::string_view hint_fields[] = {"forZones", "forNodes"};
inline constexpr std::string_view name_fields[] = {"name"};
inline constexpr std::string_view port_fields[] = {"name", "protocol", "port", "appProtocol"};
inline constexpr std::string_view ep_object_fields[] = {"kind", "apiVersion", "metadata", "subsets"};
inline constexpr std::string_view subset_fields[] = {"addresses", "notReadyAddresses", "ports"};
inline constexpr std::string_view address_fields[] = {"ip", "hostname", "nodeName", "targetRef"};
inline constexpr std::string_view sub_port_fields[] = {"name", "port", "protocol", "appProtocol"};
inline constexpr std::string_view list_fields[] = {"kind", "apiVersion", "metadata", "items"};

template <std::size_t N>
inline int find_field(const std::string_view (&names)[N], std::string_view key) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i].size() == key.size() && names[i] == key) return static_cast<int>(i);
  return -1;
}

inline constexpr std::uint32_t no_keys = static_cast<std::uint32_t>(-1);

struct frame {
  ctx c = ctx::capture;
  bool object_root = false;    // paths of problems start below this frame
  bool keeps_unknown = false;  // unknown fields are kept (else dropped)
  int field = -1;              // current field id in object contexts (-1: unknown field)
  std::uint32_t index = 0;     // elements seen so far in array contexts
  int map_target = 0;          // which string map (string_map frames) / which list (for_list, sub_addresses)
  std::uint64_t seen = 0;      // known fields read so far
  std::uint32_t keys = no_keys;  // key set of the unknown keys, once there is one
  std::size_t aux = static_cast<std::size_t>(-1);  // meta: the extra entry of a non-string creationTimestamp
  bool dead = false;           // some unknown fields were replaced by a repetition (emptied)
  std::string_view key;        // current key (maps, unknown fields), stable
};

// One level of nesting inside a captured or skipped value.
struct cap_level {
  bool object = false;
  std::uint32_t count = 0;        // elements (arrays) so far
  std::uint32_t keys = no_keys;   // key set of its members
  std::size_t member = 0;         // the current member (object): index into members_
  std::string_view key;           // the current key (object)
};

enum class slice_mode : std::uint8_t { v4, v6, fqdn, raw };

/// What the framer knows of an object before it is read.
struct object_plan {
  std::string_view kind;            ///< the kind that types it ("" when none)
  bool kind_inferred = false;       ///< it has no kind of its own: `kind` comes from elsewhere
  std::string_view api_version;     ///< its apiVersion as the framer read it, or the one it takes
  bool api_version_inferred = false;  ///< it has no apiVersion of its own: `api_version` comes from elsewhere
  bool raw = false;                 ///< keep it raw whatever its kind (a BOOKMARK's object)
};

/// What a raw object's top level says of a Status and of its resourceVersion.
struct raw_fields {
  std::optional<api_status> status;
  std::string resource_version;
};

/// Decodes objects, watch-event wrappers and List headers from checked JSON text.
class reader {
 public:
  // ---- entry points -------------------------------------------------------------------------

  /// Decode one object (its text begins with `{`).
  decoded_object read_object(std::string_view text, const object_plan& plan, std::string location,
                             std::size_t document, raw_fields* fields = nullptr) {
    begin_unit();
    result_ = decoded_object{};
    result_.location = std::move(location);
    result_.document = document;
    result_.kind_inferred = plan.kind_inferred;
    result_.api_version_inferred = plan.api_version_inferred;
    dups_ = &result_.duplicates.edit();
    probs_ = &result_.problems.edit();
    raw_fields_ = fields;
    plan_ = &plan;
    root_pending_ = true;
    parser_.parse(text, *this);
    finish_frames();
    if (result_.duplicates.get().empty()) result_.duplicates.clear();
    if (result_.problems.get().empty()) result_.problems.clear();
    plan_ = nullptr;
    raw_fields_ = nullptr;
    return std::move(result_);
  }

  /// Read a watch event's wrapper: its member `object_key` (`object` or `Object`) is decoded by
  /// `read(text, location)`; other members are skipped. Repeated keys of the wrapper and an
  /// object member that is not an object go to `outside`. Returns nullopt when there is no object
  /// member.
  template <class Read>
  std::optional<decoded_object> read_event(std::string_view text, std::string_view object_key, field_errors& outside,
                                           Read&& read) {
    std::optional<decoded_object> out;
    // The wrapper's members, found directly (the text is checked JSON); the object member's text
    // is decoded on its own, the others are only checked for repeated keys.
    std::size_t i = skip_space(text, 0);
    if (i >= text.size() || text[i] != '{') return out;
    ++i;
    std::vector<std::string> keys;  // a wrapper has a handful of members
    std::string key;
    while (true) {
      i = skip_space(text, i);
      if (i >= text.size() || text[i] == '}') break;
      if (text[i] == ',') {
        ++i;
        continue;
      }
      const std::size_t key_end = string_end(text, i);
      unescape_json_string(text.substr(i + 1, key_end - i - 2), key);
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
        outside.push_back(field_error{key, error_type::duplicate, quote_value(key), {}});
      } else if (keys.size() < 64) {
        keys.push_back(key);
      }
      i = skip_space(text, key_end);
      if (i < text.size() && text[i] == ':') ++i;
      i = skip_space(text, i);
      const std::size_t value_end = value_end_of(text, i);
      if (key == object_key) {
        const std::string_view value = text.substr(i, value_end - i);
        if (!value.empty() && value.front() == '{') {
          out = read(value, std::string(object_key));
        } else {
          out.reset();
          if (value != "null")
            outside.push_back(field_error{std::string(object_key), error_type::invalid, scalar_text(value),
                                          "must be an object, not " + std::string(json_type_name(value))});
        }
      }
      i = value_end;
    }
    return out;
  }

  /// Decode the own fields of a List (its items, read apart, are left out of `text`): kind,
  /// apiVersion, metadata. Problems go to `outside` (paths from the list).
  list_header read_list_header(std::string_view text, std::size_t document, bool split, field_errors& outside) {
    begin_unit();
    list_ = list_header{};
    list_.document = document;
    dups_ = &list_.duplicates.edit();
    probs_ = &outside;
    list_split_ = split;
    root_list_ = true;
    root_pending_ = true;
    parser_.parse(text, *this);
    finish_frames();
    root_list_ = false;
    if (list_.duplicates.get().empty()) list_.duplicates.clear();
    probs_ = nullptr;
    dups_ = nullptr;
    return std::move(list_);
  }

  /// The value of a scalar or container text for a message: strings quoted, numbers and literals
  /// as written, nothing for objects and arrays; cut at max_echoed_bytes.
  [[nodiscard]] std::string scalar_text(std::string_view value) {
    if (value.empty() || value.front() == '{' || value.front() == '[') return {};
    if (value.front() == '"') {
      std::string s;
      unescape_json_string(value.substr(1, value.size() >= 2 ? value.size() - 2 : 0), s);
      return quote_value(s);
    }
    return echo_value(value);
  }
  /// `an object`, `an array`, `a string`, `a number`, `a boolean` or `null` for a value's text.
  [[nodiscard]] static std::string_view json_type_name(std::string_view value) noexcept {
    if (value.empty()) return "a value";
    switch (value.front()) {
      case '{': return "an object";
      case '[': return "an array";
      case '"': return "a string";
      case 't':
      case 'f': return "a boolean";
      case 'n': return "null";
      default: return "a number";
    }
  }

  // ---- the parser's handler interface (validated_parser) ------------------------------------
  void null() { value(event{ev::null_v}); }
  void boolean(bool v) {
    event e{ev::boolean};
    e.b = v;
    value(e);
  }
  void number(const json_number& n) {
    event e{ev::number};
    e.n = &n;
    value(e);
  }
  void string(std::string_view s) {
    event e{ev::string};
    e.s = s;
    value(e);
  }
  void start_object() { value(event{ev::object}); }
  void start_array() { value(event{ev::array}); }
  void key(std::string_view k, bool stable);
  void end_object();
  void end_array();

 private:
  // ---- state --------------------------------------------------------------------------------
  validated_parser parser_;
  std::vector<frame> frames_;
  std::vector<key_set> key_sets_;
  std::uint32_t key_sets_used_ = 0;
  std::deque<std::string> arena_;  // keys that were escaped, for the unit's lifetime (a deque: growing it never moves the strings the reader holds views of)
  std::size_t arena_used_ = 0;

  // the object being read
  decoded_object result_;
  list_header list_;
  bool root_list_ = false;
  bool list_split_ = false;
  bool root_pending_ = false;
  const object_plan* plan_ = nullptr;
  raw_fields* raw_fields_ = nullptr;
  field_errors* dups_ = nullptr;
  field_errors* probs_ = nullptr;
  bool beta_ = false;
  slice_mode mode_ = slice_mode::raw;
  endpoint_slice_raw sr_;
  endpoint_slice_v4 s4_;
  endpoint_slice_v6 s6_;
  endpoint_slice_fqdn sf_;
  endpoints ep_;

  // capture
  std::string capture_;
  bool cap_keep_ = false;
  bool cap_raw_root_ = false;
  std::vector<cap_level> cap_levels_;
  std::vector<std::pair<std::size_t, std::size_t>> members_;  // [start, end) of captured members
  std::vector<std::pair<std::size_t, std::size_t>> dead_;     // members replaced by a later repetition
  std::string raw_kind_;
  std::string raw_api_version_;
  int raw_pending_ = 0;  // the value of a recorded root field comes next (see cap_value)

  // ---- helpers ------------------------------------------------------------------------------
  static std::size_t skip_space(std::string_view t, std::size_t i) noexcept {
    while (i < t.size() && is_json_space(t[i])) ++i;
    return i;
  }
  // One past the closing quote of the string that begins at t[i].
  static std::size_t string_end(std::string_view t, std::size_t i) noexcept {
    ++i;
    while (i < t.size()) {
      if (t[i] == '\\') i += 2;
      else if (t[i] == '"') return i + 1;
      else ++i;
    }
    return t.size();
  }

  // One past the value that begins at t[i], in checked JSON: strings are skipped whole and
  // brackets counted, without lexing (an event's object is most of the event).
  static std::size_t value_end_of(std::string_view t, std::size_t i) noexcept {
    std::size_t depth = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (c == '"') {
        i = string_end(t, i);
        if (depth == 0) return i;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) return i;  // the end of the enclosing value: an empty value
        if (--depth == 0) return i + 1;
      } else if (depth == 0 && (c == ',' || is_json_space(c))) {
        return i;  // the end of a scalar
      }
      ++i;
    }
    return i;
  }

  void begin_unit() {
    frames_.clear();
    key_sets_used_ = 0;
    arena_used_ = 0;
    cap_levels_.clear();
    members_.clear();
    dead_.clear();
    capture_.clear();
    raw_kind_.clear();
    raw_api_version_.clear();
    raw_pending_ = 0;
  }
  std::string_view stable_key(std::string_view k, bool stable) {
    if (stable) return k;
    if (arena_used_ == arena_.size()) arena_.emplace_back();
    std::string& s = arena_[arena_used_++];
    s.assign(k);
    return s;
  }
  std::uint32_t acquire_keys() {
    if (key_sets_used_ == key_sets_.size()) key_sets_.emplace_back();
    key_sets_[key_sets_used_].clear();
    return key_sets_used_++;
  }
  void release_keys(std::uint32_t id) noexcept {
    if (id != no_keys && id + 1 == key_sets_used_) --key_sets_used_;
  }

  frame& top() { return frames_.back(); }
  frame& push(ctx c, bool root = false, bool keeps_unknown = false) {
    frames_.emplace_back();
    frame& f = frames_.back();
    f.c = c;
    f.object_root = root;
    f.keeps_unknown = keeps_unknown;
    return f;
  }
  void pop() {
    release_keys(frames_.back().keys);
    frames_.pop_back();
  }

  static std::string_view field_name(ctx c, int field) {
    if (field < 0) return {};
    auto pick = [&](const auto& names) -> std::string_view {
      return static_cast<std::size_t>(field) < std::size(names) ? names[field] : std::string_view();
    };
    switch (c) {
      case ctx::slice: return pick(slice_fields);
      case ctx::meta: return pick(meta_fields);
      case ctx::owner_ref: return pick(owner_fields);
      case ctx::endpoint: return pick(endpoint_fields);
      case ctx::conditions: return pick(condition_fields);
      case ctx::target_ref: return pick(ref_fields);
      case ctx::hints: return pick(hint_fields);
      case ctx::for_item: return pick(name_fields);
      case ctx::port: return pick(port_fields);
      case ctx::ep_object: return pick(ep_object_fields);
      case ctx::subset: return pick(subset_fields);
      case ctx::sub_address: return pick(address_fields);
      case ctx::sub_port: return pick(sub_port_fields);
      case ctx::list: return pick(list_fields);
      default: return {};
    }
  }

  static bool is_array_ctx(ctx c) {
    switch (c) {
      case ctx::owner_refs: case ctx::endpoints_arr: case ctx::addresses: case ctx::for_list:
      case ctx::ports: case ctx::subsets: case ctx::sub_addresses: case ctx::sub_ports:
        return true;
      default:
        return false;
    }
  }

  // Path of the value being read, relative to the innermost object root.
  std::string current_path() const {
    std::size_t start = 0;
    for (std::size_t i = frames_.size(); i-- > 0;)
      if (frames_[i].object_root) {
        start = i;
        break;
      }
    std::string p;
    const auto add_key = [&p](std::string_view k) {
      if (!p.empty()) p += '.';
      p += k;
    };
    for (std::size_t i = start; i < frames_.size(); ++i) {
      const frame& f = frames_[i];
      if (f.c == ctx::capture) {
        // The levels inside the captured value; the innermost's current position is its last.
        for (const cap_level& l : cap_levels_) {
          if (l.object) {
            if (!l.key.empty() || l.count > 0) add_key(l.key);
          } else if (l.count > 0) {
            p += '[';
            p += std::to_string(l.count - 1);
            p += ']';
          }
        }
        break;
      }
      if (is_array_ctx(f.c)) {
        if (f.index == 0) continue;
        p += '[';
        p += std::to_string(f.index - 1);
        p += ']';
      } else if (f.c == ctx::string_map || f.field < 0) {
        if (f.key.empty() && f.field < 0) continue;
        add_key(f.key);
      } else {
        add_key(field_name(f.c, f.field));
      }
    }
    return p;
  }

  static std::string event_text(const event& e) {
    switch (e.type) {
      case ev::null_v: return "null";
      case ev::boolean: return e.b ? "true" : "false";
      case ev::number: return echo_value(e.n->text);
      case ev::string: return quote_value(e.s);
      case ev::object:
      case ev::array: return {};
    }
    return {};
  }

  static std::string_view event_type_name(const event& e) {
    switch (e.type) {
      case ev::null_v: return "null";
      case ev::boolean: return "a boolean";
      case ev::number: return "a number";
      case ev::string: return "a string";
      case ev::object: return "an object";
      case ev::array: return "an array";
    }
    return "a value";
  }

  void problem(const event& e, error_type t, std::string detail) {
    if (probs_) probs_->push_back(field_error{current_path(), t, event_text(e), std::move(detail)});
  }
  void duplicate(std::string_view key) {
    if (dups_) dups_->push_back(field_error{current_path(), error_type::duplicate, quote_value(key), {}});
  }

  // A value of the wrong JSON type: report it and skip it.
  void type_error(const event& e, std::string_view expected) {
    std::string detail = "must be ";
    detail += expected;
    detail += ", not ";
    detail += event_type_name(e);
    problem(e, error_type::invalid, std::move(detail));
    if (e.type == ev::object || e.type == ev::array) begin_capture(e, false, false);
  }
  void skip(const event& e) {
    if (e.type == ev::object || e.type == ev::array) begin_capture(e, false, false);
  }

  template <class String>  // std::string or heap_string
  void read_string(const event& e, String& dst) {
    if (e.type == ev::string) dst.assign(e.s);
    else if (e.type != ev::null_v) type_error(e, "a string");
  }
  template <class Optional>  // std::optional<std::string> or heap_optional<std::string>
  void read_opt_string(const event& e, Optional& dst) {
    if (e.type == ev::string) dst = std::string(e.s);
    else if (e.type == ev::null_v) dst.reset();
    else type_error(e, "a string");
  }
  void read_opt_bool(const event& e, std::optional<bool>& dst) {
    if (e.type == ev::boolean) dst = e.b;
    else if (e.type == ev::null_v) dst.reset();
    else type_error(e, "a boolean");
  }
  void read_int(const event& e, std::int64_t lo, std::int64_t hi, std::optional<std::int64_t>& dst) {
    if (e.type != ev::number) {
      if (e.type != ev::null_v) type_error(e, "an integer");
      return;
    }
    const json_number& n = *e.n;
    switch (n.k) {
      case json_number::kind::integer:
        if (n.i >= lo && n.i <= hi) {
          dst = n.i;
          return;
        }
        break;
      case json_number::kind::unsigned_integer:
        if (hi >= 0 && n.u <= static_cast<std::uint64_t>(hi)) {
          dst = static_cast<std::int64_t>(n.u);
          return;
        }
        break;
      case json_number::kind::floating:
        problem(e, error_type::invalid, "must be an integer");
        return;
      case json_number::kind::big_integer:
      case json_number::kind::overflow:
        break;
    }
    // Valid JSON, but no integer of the field's width holds it.
    problem(e, error_type::invalid, "out of range: must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  void read_int32(const event& e, std::optional<std::int32_t>& dst) {
    std::optional<std::int64_t> v;
    read_int(e, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), v);
    if (v) dst = static_cast<std::int32_t>(*v);
    else if (e.type == ev::null_v) dst.reset();
  }
  void read_int32(const event& e, std::int32_t& dst) {
    std::optional<std::int32_t> v;
    read_int32(e, v);
    if (v) dst = *v;
  }
  // A string map; `m` is emptied first (a repeated key replaces the earlier map; null clears it).
  void read_map(const event& e, int target, string_map& m, std::string_view expected = "an object") {
    if (e.type == ev::object) {
      m.clear();
      frame& f = push(ctx::string_map);
      f.map_target = target;
    } else if (e.type == ev::null_v) {
      m.clear();
    } else {
      type_error(e, expected);
    }
  }
  // Open an object or array context; null leaves the field as it is (Go's rule for a struct).
  bool open(const event& e, ctx c, bool keeps_unknown = false) {
    const bool want_array = is_array_ctx(c);
    if ((want_array && e.type == ev::array) || (!want_array && e.type == ev::object)) {
      push(c, false, keeps_unknown);
      return true;
    }
    if (e.type != ev::null_v) type_error(e, want_array ? "an array" : "an object");
    return false;
  }

  // ---- captured and skipped values ----------------------------------------------------------
  // Begin capturing (keep) or skipping the value `e` (an unknown field's, a raw object, a value
  // of the wrong type). Scalars finish at once.
  void begin_capture(const event& e, bool keep, bool raw_root) {
    frame& f = push(ctx::capture);
    f.keeps_unknown = keep;
    cap_keep_ = keep;
    cap_raw_root_ = raw_root;
    capture_.clear();
    cap_levels_.clear();
    members_.clear();
    dead_.clear();
    cap_value(e);
  }
  void cap_sep() {
    if (capture_.empty()) return;
    const char last = capture_.back();
    if (last != '{' && last != '[' && last != ':') capture_ += ',';
  }
  // A value (scalar or container start) inside a capture.
  void cap_value(const event& e) {
    if (!cap_levels_.empty() && !cap_levels_.back().object) ++cap_levels_.back().count;
    if (cap_keep_) {
      cap_sep();
      switch (e.type) {
        case ev::null_v: capture_ += "null"; break;
        case ev::boolean: capture_ += e.b ? "true" : "false"; break;
        case ev::number:
          // Integers as Go writes them back (`-0` is 0); other numbers as written.
          if (e.n->k == json_number::kind::integer) write_int(capture_, e.n->i);
          else capture_ += e.n->text;
          break;
        case ev::string: write_json_string(capture_, e.s); break;
        case ev::object: capture_ += '{'; break;
        case ev::array: capture_ += '['; break;
      }
    }
    if (raw_pending_ != 0) record_raw_field(e);
    if (e.type == ev::object || e.type == ev::array) {
      cap_level l;
      l.object = e.type == ev::object;
      cap_levels_.push_back(l);
      return;
    }
    cap_value_done();
  }
  // The value of the current member (or element) ended.
  void cap_value_done() {
    if (cap_levels_.empty()) {
      finish_capture();
      return;
    }
    cap_level& l = cap_levels_.back();
    if (l.object && cap_keep_ && l.member < members_.size()) members_[l.member].second = capture_.size();
  }
  void cap_key(std::string_view k) {
    cap_level& l = cap_levels_.back();
    l.key = k;
    std::size_t start = 0;
    if (cap_keep_) {
      cap_sep();
      start = capture_.size();
      write_json_string(capture_, k);
      capture_ += ':';
    }
    if (l.keys == no_keys) l.keys = acquire_keys();
    key_set& ks = key_sets_[l.keys];
    const std::size_t member = members_.size();
    if (cap_keep_) members_.emplace_back(start, start);
    if (std::size_t* prev = ks.find(k)) {
      duplicate(k);
      // The earlier member and the comma after it go (a later member always follows it).
      if (cap_keep_ && *prev < members_.size()) dead_.emplace_back(members_[*prev].first, members_[*prev].second + 1);
      *prev = member;
    } else {
      ks.insert(k, member);
    }
    l.member = member;
    raw_pending_ = 0;
    if (cap_raw_root_ && cap_levels_.size() == 1) {
      if (k == "kind") raw_pending_ = 1;
      else if (k == "apiVersion") raw_pending_ = 2;
      else if (k == "code") raw_pending_ = 3;
      else if (k == "reason") raw_pending_ = 4;
      else if (k == "message") raw_pending_ = 5;
      else if (k == "status") raw_pending_ = 6;
      else if (k == "metadata") raw_pending_ = 7;
    } else if (cap_raw_root_ && cap_levels_.size() == 2 && cap_levels_[0].key == "metadata" && k == "resourceVersion") {
      raw_pending_ = 8;
    }
  }
  void cap_end() {
    if (cap_keep_) capture_ += cap_levels_.back().object ? '}' : ']';
    release_keys(cap_levels_.back().keys);
    cap_levels_.pop_back();
    raw_pending_ = 0;
    cap_value_done();
  }
  void record_raw_field(const event& e) {
    const int which = raw_pending_;
    raw_pending_ = 0;
    if (which == 7) return;  // metadata: its resourceVersion is recorded below it
    if (which == 1 || which == 2) {
      // A kind or apiVersion that is not a string: none (the API server refuses it anyway).
      std::string& dst = which == 1 ? raw_kind_ : raw_api_version_;
      if (e.type == ev::string) dst.assign(e.s);
      else dst.clear();
      return;
    }
    if (!raw_fields_) return;
    if (which == 8) {
      if (e.type == ev::string) raw_fields_->resource_version.assign(e.s);
      return;
    }
    if (which == 3) {
      if (e.type == ev::number && e.n->k == json_number::kind::integer && e.n->i >= INT32_MIN && e.n->i <= INT32_MAX) {
        if (!raw_fields_->status) raw_fields_->status.emplace();
        raw_fields_->status->code = static_cast<std::int32_t>(e.n->i);
      }
      return;
    }
    if (e.type != ev::string) return;
    if (!raw_fields_->status) raw_fields_->status.emplace();
    api_status& st = *raw_fields_->status;
    (which == 4 ? st.reason : which == 5 ? st.message : st.status).assign(e.s);
  }
  // A captured value is complete: drop replaced members, hand it to its owner.
  void finish_capture() {
    const bool keep = cap_keep_;
    const bool raw_root = cap_raw_root_;
    pop();  // the capture frame
    if (!keep) return;
    if (!dead_.empty()) {
      std::sort(dead_.begin(), dead_.end());
      std::string out;
      out.reserve(capture_.size());
      std::size_t at = 0;
      for (const auto& [from, to] : dead_) {
        if (to <= at) continue;  // inside a range already dropped
        if (from > at) out.append(capture_, at, from - at);
        at = std::max(at, to);
      }
      if (at < capture_.size()) out.append(capture_, at, std::string::npos);
      capture_ = std::move(out);
      dead_.clear();
    }
    if (raw_root) {
      finish_raw_object();
      return;
    }
    if (frames_.empty()) return;
    frame& f = frames_.back();
    if (f.c == ctx::meta && f.field == 6) {
      // creationTimestamp given as something other than a string (e.g. null): keep it as given.
      auto& extra = current_meta().extra;
      f.aux = extra.size();
      extra.push_back(unknown_field{"creationTimestamp", capture_});
      return;
    }
    if (unknown_fields* x = extra_for(f.c)) {
      // A repeated unknown key replaces the earlier entry (marked with empty text, dropped when
      // the object ends).
      if (f.keys == no_keys) f.keys = acquire_keys();
      key_set& ks = key_sets_[f.keys];
      if (std::size_t* prev = ks.find(f.key)) {
        if (*prev < x->size()) (*x)[*prev].json.clear();
        f.dead = true;
        *prev = x->size();
      } else {
        ks.insert(f.key, x->size());
      }
      x->push_back(unknown_field{std::string(f.key), capture_});
    }
  }
  // An unknown field: kept as JSON text where the context keeps unknown fields, else dropped.
  void unknown_value(const frame& f, const event& e) {
    if (f.keeps_unknown) begin_capture(e, true, false);
    else skip(e);
  }

  // ---- the object being decoded -------------------------------------------------------------
  void reset_object() {
    sr_ = endpoint_slice_raw{};
    sr_.api_version.clear();
    sr_.kind.clear();
    s4_.endpoints.clear();
    s6_.endpoints.clear();
    sf_.endpoints.clear();
    mode_ = slice_mode::raw;
    ep_ = endpoints{};
    ep_.api_version.clear();
    ep_.kind.clear();
  }
  void begin_root();
  void finish_frames();
  void finish_slice();
  void finish_endpoints();
  void finish_raw_object();

  template <class Fn>
  decltype(auto) with_endpoint(Fn&& fn) {
    switch (mode_) {
      case slice_mode::v4: return fn(s4_.endpoints.back());
      case slice_mode::v6: return fn(s6_.endpoints.back());
      case slice_mode::fqdn: return fn(sf_.endpoints.back());
      case slice_mode::raw: break;
    }
    return fn(sr_.endpoints.back());
  }
  template <class F>
  void demote(basic_endpoint_slice<F>& s) {
    // Keep what was read so far as text; the rest of the slice is read raw.
    endpoint_slice_raw tmp = to_raw(s);
    sr_.endpoints = std::move(tmp.endpoints);
    s.endpoints.clear();
    mode_ = slice_mode::raw;
  }
  void demote_to_raw() {
    switch (mode_) {
      case slice_mode::v4: demote(s4_); break;
      case slice_mode::v6: demote(s6_); break;
      case slice_mode::fqdn: demote(sf_); break;
      case slice_mode::raw: break;
    }
  }
  template <class F>
  bool add_address(basic_endpoint<F>& e, std::string_view text) {
    if constexpr (std::is_same_v<F, raw>) {
      e.addresses.push_back(std::string(text));
      return true;
    } else {
      if (auto a = F::parse(text)) {
        e.addresses.push_back(std::move(*a));
        return true;
      }
      return false;
    }
  }

  // ---- dispatch ----
  void value(const event& e);
  void on_key_in(frame& f, std::string_view k, int field);
  void on_slice(frame& f, const event& e);
  void on_meta(frame& f, const event& e);
  void on_string_map(frame& f, const event& e);
  void on_owner_ref(frame& f, const event& e);
  void on_endpoint(frame& f, const event& e);
  void on_conditions(frame& f, const event& e);
  void on_target_ref(frame& f, const event& e);
  void on_hints(frame& f, const event& e);
  void on_for_item(frame& f, const event& e);
  void on_port(frame& f, const event& e);
  void on_ep_object(frame& f, const event& e);
  void on_subset(frame& f, const event& e);
  void on_sub_address(frame& f, const event& e);
  void on_sub_port(frame& f, const event& e);
  void on_list(frame& f, const event& e);
  void on_array_element(frame& f, const event& e);

  object_meta& current_meta() {
    if (root_list_) return list_.metadata;
    for (std::size_t i = frames_.size(); i-- > 0;) {
      if (frames_[i].c == ctx::slice) return sr_.metadata;
      if (frames_[i].c == ctx::ep_object) return ep_.metadata;
    }
    return sr_.metadata;
  }
  object_reference& current_ref();
  endpoint_address& current_sub_address();
  unknown_fields* extra_for(ctx c);
};

// ---------------------------------------------------------------------------------------------

inline void reader::begin_root() {
  root_pending_ = false;
  if (root_list_) {
    push(ctx::list, true);
    return;
  }
  reset_object();
  raw_kind_.clear();
  raw_api_version_.clear();
  const object_plan& plan = *plan_;
  const std::string_view beta = "discovery.k8s.io/v1beta1";
  if (!plan.raw && plan.kind == "EndpointSlice") {
    push(ctx::slice, true, true);
    if (plan.kind_inferred) sr_.kind = plan.kind;
    if (plan.api_version_inferred) sr_.api_version = plan.api_version;
    beta_ = plan.api_version == beta;
    return;
  }
  if (!plan.raw && plan.kind == "Endpoints") {
    push(ctx::ep_object, true, true);
    if (plan.kind_inferred) ep_.kind = plan.kind;
    if (plan.api_version_inferred) ep_.api_version = plan.api_version;
    return;
  }
  // Everything else is kept whole as a raw object.
  begin_capture(event{ev::object}, true, true);
  frames_.back().object_root = true;
}

inline void reader::key(std::string_view k_in, bool stable) {
  frame& f = top();
  if (f.c == ctx::capture) {
    cap_key(stable_key(k_in, stable));
    return;
  }
  const std::string_view k = stable_key(k_in, stable);
  if (f.c == ctx::string_map) {
    f.key = k;
    return;
  }
  int field = -1;
  switch (f.c) {
    case ctx::slice: field = find_field(slice_fields, k); break;
    case ctx::meta: field = find_field(meta_fields, k); break;
    case ctx::owner_ref: field = find_field(owner_fields, k); break;
    case ctx::endpoint:
      field = find_field(endpoint_fields, k);
      if (field == 8 && !beta_) field = -1;  // `topology` is a field of v1beta1 only
      break;
    case ctx::conditions: field = find_field(condition_fields, k); break;
    case ctx::target_ref: field = find_field(ref_fields, k); break;
    case ctx::hints: field = find_field(hint_fields, k); break;
    case ctx::for_item: field = find_field(name_fields, k); break;
    case ctx::port: field = find_field(port_fields, k); break;
    case ctx::ep_object: field = find_field(ep_object_fields, k); break;
    case ctx::subset: field = find_field(subset_fields, k); break;
    case ctx::sub_address: field = find_field(address_fields, k); break;
    case ctx::sub_port: field = find_field(sub_port_fields, k); break;
    case ctx::list: field = find_field(list_fields, k); break;
    default: break;
  }
  on_key_in(f, k, field);
}

inline void reader::on_key_in(frame& f, std::string_view k, int field) {
  f.field = field;
  f.key = k;
  if (field >= 0) {
    const std::uint64_t bit = std::uint64_t{1} << field;
    if (f.seen & bit) duplicate(k);
    f.seen |= bit;
    return;
  }
  // Unknown keys are checked when their value is kept (finish_capture); dropped ones here.
  if (!f.keeps_unknown) {
    if (f.keys == no_keys) f.keys = acquire_keys();
    key_set& ks = key_sets_[f.keys];
    if (ks.find(k)) duplicate(k);
    else ks.insert(k, 0);
  } else {
    if (f.keys != no_keys && key_sets_[f.keys].find(k)) duplicate(k);
  }
}

inline void reader::value(const event& e) {
  if (frames_.empty()) {
    if (root_pending_ && e.type == ev::object) begin_root();
    return;
  }
  frame& f = top();
  switch (f.c) {
    case ctx::capture: cap_value(e); return;
    case ctx::string_map: on_string_map(f, e); return;
    case ctx::slice: on_slice(f, e); return;
    case ctx::meta: on_meta(f, e); return;
    case ctx::owner_ref: on_owner_ref(f, e); return;
    case ctx::endpoint: on_endpoint(f, e); return;
    case ctx::conditions: on_conditions(f, e); return;
    case ctx::target_ref: on_target_ref(f, e); return;
    case ctx::hints: on_hints(f, e); return;
    case ctx::for_item: on_for_item(f, e); return;
    case ctx::port: on_port(f, e); return;
    case ctx::ep_object: on_ep_object(f, e); return;
    case ctx::subset: on_subset(f, e); return;
    case ctx::sub_address: on_sub_address(f, e); return;
    case ctx::sub_port: on_sub_port(f, e); return;
    case ctx::list: on_list(f, e); return;
    default: on_array_element(f, e); return;
  }
}

inline unknown_fields* reader::extra_for(ctx c) {
  switch (c) {
    case ctx::slice: return &sr_.extra;
    case ctx::meta: return &current_meta().extra;
    case ctx::owner_ref: return &current_meta().owner_references.back().extra;
    case ctx::endpoint: return with_endpoint([](auto& ep) { return &ep.extra.edit(); });
    case ctx::target_ref: return &current_ref().extra.edit();
    case ctx::hints: return with_endpoint([](auto& ep) { return &heap_access::fill(ep.hints).extra; });
    case ctx::port: return &sr_.ports.back().extra;
    case ctx::ep_object: return &ep_.extra;
    case ctx::subset: return &ep_.subsets.back().extra;
    case ctx::sub_address: return &current_sub_address().extra;
    case ctx::sub_port: return &ep_.subsets.back().ports.back().extra;
    default: return nullptr;
  }
}

inline void reader::on_string_map(frame& f, const event& e) {
  string_map* m = nullptr;
  switch (f.map_target) {
    case 0: m = &current_meta().labels; break;
    case 1: m = &current_meta().annotations; break;
    default: m = with_endpoint([](auto& ep) { return &ep.deprecated_topology.edit(); }); break;
  }
  if (f.keys == no_keys) f.keys = acquire_keys();
  key_set& ks = key_sets_[f.keys];
  if (ks.find(f.key)) duplicate(f.key);
  else ks.insert(f.key, 0);
  if (e.type != ev::string) {
    if (e.type == ev::null_v) return;  // not stored, as before (Go would store "")
    type_error(e, "a string");
    return;
  }
  if (auto it = m->find(f.key); it != m->end()) it->second.assign(e.s);
  else m->emplace(std::string(f.key), std::string(e.s));
}

// An empty kind or apiVersion is none (Go writes neither): an inferred one stays.
inline bool keeps_inferred(const event& e, bool inferred) noexcept { return inferred && e.type == ev::string && e.s.empty(); }

inline void reader::on_slice(frame& f, const event& e) {
  switch (f.field) {
    case 0: return keeps_inferred(e, plan_->kind_inferred) ? void() : read_string(e, sr_.kind);
    case 1: return keeps_inferred(e, plan_->api_version_inferred) ? void() : read_string(e, sr_.api_version);
    case 2:
      if (e.type == ev::object) sr_.metadata = object_meta{};
      open(e, ctx::meta, true);
      return;
    case 3:
      // Go cannot tell an absent addressType from "" (and writes "" for both): both read as absent,
      // so that decode(encode(x)) == x.
      if (e.type == ev::string && !e.s.empty()) sr_.address_type = std::string(e.s);
      else if (e.type == ev::null_v || e.type == ev::string) sr_.address_type.reset();
      else type_error(e, "a string");
      return;
    case 4:
      if (e.type == ev::array) {
        // Typed by the addressType read so far; a different one after the endpoints demotes the
        // slice to raw when it ends (finish_slice). A repeated key replaces earlier endpoints.
        s4_.endpoints.clear();
        s6_.endpoints.clear();
        sf_.endpoints.clear();
        sr_.endpoints.clear();
        mode_ = slice_mode::raw;
        if (sr_.address_type) {
          if (*sr_.address_type == ipv4::name) mode_ = slice_mode::v4;
          else if (*sr_.address_type == ipv6::name) mode_ = slice_mode::v6;
          else if (*sr_.address_type == fqdn::name) mode_ = slice_mode::fqdn;
        }
        switch (mode_) {
          case slice_mode::v4: s4_.endpoints.clear(); s4_.endpoints.set_empty_not_nil(); break;
          case slice_mode::v6: s6_.endpoints.clear(); s6_.endpoints.set_empty_not_nil(); break;
          case slice_mode::fqdn: sf_.endpoints.clear(); sf_.endpoints.set_empty_not_nil(); break;
          case slice_mode::raw: sr_.endpoints.clear(); sr_.endpoints.set_empty_not_nil(); break;
        }
        push(ctx::endpoints_arr);
        return;
      }
      if (e.type == ev::null_v) {
        s4_.endpoints.clear();
        s6_.endpoints.clear();
        sf_.endpoints.clear();
        mode_ = slice_mode::raw;
        sr_.endpoints.set_nil();
        return;
      }
      return type_error(e, "an array");
    case 5:
      if (e.type == ev::array) {
        sr_.ports.clear();
        sr_.ports.set_empty_not_nil();
        push(ctx::ports);
        return;
      }
      if (e.type == ev::null_v) {
        sr_.ports.set_nil();
        return;
      }
      return type_error(e, "an array");
    default: return unknown_value(f, e);
  }
}

inline void reader::on_meta(frame& f, const event& e) {
  object_meta& m = current_meta();
  switch (f.field) {
    case 0: return read_string(e, m.name);
    case 1: return read_string(e, m.generate_name);
    case 2: return read_string(e, m.namespace_);
    case 3: return read_string(e, m.uid);
    case 4: return read_string(e, m.resource_version);
    case 5: {
      std::optional<std::int64_t> v;
      read_int(e, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), v);
      if (v) m.generation = *v;
      return;
    }
    case 6:
      // A repeated key: the last one wins, as in Go; an earlier non-string value kept in `extra`
      // goes (its entry is emptied, and dropped when the metadata ends).
      if (f.aux < m.extra.size()) {
        m.extra[f.aux].json.clear();
        f.dead = true;
      }
      f.aux = static_cast<std::size_t>(-1);
      if (e.type == ev::string) {
        m.creation_timestamp = std::string(e.s);
        return;
      }
      m.creation_timestamp.reset();
      if (e.type == ev::null_v) {
        begin_capture(e, true, false);  // kept as an explicit null
        return;
      }
      return type_error(e, "a string");
    case 7: return read_opt_string(e, m.deletion_timestamp);
    case 8: return read_map(e, 0, m.labels);
    case 9: return read_map(e, 1, m.annotations);
    case 10:
      if (e.type == ev::array || e.type == ev::null_v) m.owner_references.clear();
      open(e, ctx::owner_refs);
      return;
    default: return unknown_value(f, e);
  }
}

inline void reader::on_owner_ref(frame& f, const event& e) {
  owner_reference& r = current_meta().owner_references.back();
  switch (f.field) {
    case 0: return read_string(e, r.api_version);
    case 1: return read_string(e, r.kind);
    case 2: return read_string(e, r.name);
    case 3: return read_string(e, r.uid);
    case 4: return read_opt_bool(e, r.controller);
    case 5: return read_opt_bool(e, r.block_owner_deletion);
    default: return unknown_value(f, e);
  }
}

inline void reader::on_endpoint(frame& f, const event& e) {
  switch (f.field) {
    case 0:
      if (e.type == ev::array) {
        with_endpoint([](auto& ep) {
          ep.addresses.clear();
          ep.addresses.set_empty_not_nil();
        });
        push(ctx::addresses);
        return;
      }
      if (e.type == ev::null_v) {
        with_endpoint([](auto& ep) { ep.addresses.set_nil(); });
        return;
      }
      return type_error(e, "an array");
    case 1:
      if (e.type == ev::object) with_endpoint([](auto& ep) { ep.conditions = endpoint_conditions{}; });
      open(e, ctx::conditions);
      return;
    case 2: return with_endpoint([&](auto& ep) { read_opt_string(e, ep.hostname); });
    case 3:
      if (e.type == ev::object) {
        with_endpoint([](auto& ep) { heap_access::fresh(ep.target_ref); });
        push(ctx::target_ref, false, true);
        return;
      }
      if (e.type == ev::null_v) {
        with_endpoint([](auto& ep) { ep.target_ref.reset(); });
        return;
      }
      return type_error(e, "an object");
    case 4:
    case 8: {
      // deprecatedTopology; in v1beta1 `topology`, converted when the slice ends.
      const bool topology = f.field == 8;
      if (e.type == ev::object || e.type == ev::null_v) with_endpoint([](auto& ep) { ep.deprecated_topology.clear(); });
      if (e.type == ev::object) {
        push(ctx::string_map).map_target = 2;
        return;
      }
      if (e.type != ev::null_v) type_error(e, topology ? "an object of strings" : "an object");
      return;
    }
    case 5: return with_endpoint([&](auto& ep) { read_opt_string(e, ep.node_name); });
    case 6: return with_endpoint([&](auto& ep) { read_opt_string(e, ep.zone); });
    case 7:
      if (e.type == ev::object) {
        with_endpoint([](auto& ep) { heap_access::fresh(ep.hints); });
        push(ctx::hints, false, true);
        return;
      }
      if (e.type == ev::null_v) {
        with_endpoint([](auto& ep) { ep.hints.reset(); });
        return;
      }
      return type_error(e, "an object");
    default: return unknown_value(f, e);
  }
}

inline void reader::on_conditions(frame& f, const event& e) {
  with_endpoint([&](auto& ep) {
    switch (f.field) {
      case 0: return read_opt_bool(e, ep.conditions.ready);
      case 1: return read_opt_bool(e, ep.conditions.serving);
      case 2: return read_opt_bool(e, ep.conditions.terminating);
      default: return skip(e);
    }
  });
}

inline object_reference& reader::current_ref() {
  // The frame below the target_ref frame says whose reference it is.
  const frame& owner = frames_[frames_.size() - 2];
  if (owner.c == ctx::sub_address) return *current_sub_address().target_ref;
  return *with_endpoint([](auto& ep) { return &heap_access::fill(ep.target_ref); });
}

inline void reader::on_target_ref(frame& f, const event& e) {
  object_reference& r = current_ref();
  switch (f.field) {
    case 0: return read_string(e, r.kind);
    case 1: return read_string(e, r.namespace_);
    case 2: return read_string(e, r.name);
    case 3: return read_string(e, r.uid);
    case 4: return read_string(e, r.api_version);
    case 5: return read_string(e, r.resource_version);
    case 6: return read_string(e, r.field_path);
    default: return unknown_value(f, e);
  }
}

inline void reader::on_hints(frame& f, const event& e) {
  if (f.field == 0 || f.field == 1) {
    const int which = f.field;
    if (e.type == ev::array || e.type == ev::null_v) {
      with_endpoint([&](auto& ep) {
        if (which == 0) heap_access::fill(ep.hints).for_zones.clear();
        else heap_access::fill(ep.hints).for_nodes.clear();
      });
    }
    if (e.type == ev::array) {
      frame& l = push(ctx::for_list);
      l.map_target = which;
      return;
    }
    if (e.type == ev::null_v) return;
    return type_error(e, "an array");
  }
  unknown_value(f, e);
}

inline void reader::on_for_item(frame& f, const event& e) {
  const int which = frames_[frames_.size() - 2].map_target;
  if (f.field == 0) {
    with_endpoint([&](auto& ep) {
      std::string& name = which == 0 ? heap_access::fill(ep.hints).for_zones.back().name : heap_access::fill(ep.hints).for_nodes.back().name;
      read_string(e, name);
    });
    return;
  }
  skip(e);
}

inline void reader::on_port(frame& f, const event& e) {
  endpoint_port& p = sr_.ports.back();
  switch (f.field) {
    case 0: return read_opt_string(e, p.name);
    case 1: return read_opt_string(e, p.protocol);
    case 2: return read_int32(e, p.port);
    case 3: return read_opt_string(e, p.app_protocol);
    default: return unknown_value(f, e);
  }
}

inline void reader::on_ep_object(frame& f, const event& e) {
  switch (f.field) {
    case 0: return keeps_inferred(e, plan_->kind_inferred) ? void() : read_string(e, ep_.kind);
    case 1: return keeps_inferred(e, plan_->api_version_inferred) ? void() : read_string(e, ep_.api_version);
    case 2:
      if (e.type == ev::object) ep_.metadata = object_meta{};
      open(e, ctx::meta, true);
      return;
    case 3:
      if (e.type == ev::array || e.type == ev::null_v) ep_.subsets.clear();
      open(e, ctx::subsets);
      return;
    default: return unknown_value(f, e);
  }
}

inline void reader::on_subset(frame& f, const event& e) {
  auto& s = ep_.subsets.back();
  switch (f.field) {
    case 0:
    case 1: {
      const int which = f.field;
      if (e.type == ev::array || e.type == ev::null_v) (which == 0 ? s.addresses : s.not_ready_addresses).clear();
      if (open(e, ctx::sub_addresses)) top().map_target = which;
      return;
    }
    case 2:
      if (e.type == ev::array || e.type == ev::null_v) s.ports.clear();
      open(e, ctx::sub_ports);
      return;
    default: return unknown_value(f, e);
  }
}

inline endpoint_address& reader::current_sub_address() {
  // Find the sub_addresses frame to know which list.
  for (std::size_t i = frames_.size(); i-- > 0;) {
    if (frames_[i].c == ctx::sub_addresses) {
      auto& s = ep_.subsets.back();
      return frames_[i].map_target == 0 ? s.addresses.back() : s.not_ready_addresses.back();
    }
  }
  return ep_.subsets.back().addresses.back();
}

inline void reader::on_sub_address(frame& f, const event& e) {
  endpoint_address& a = current_sub_address();
  switch (f.field) {
    case 0: return read_string(e, a.ip);
    case 1: return read_string(e, a.hostname);
    case 2: return read_opt_string(e, a.node_name);
    case 3:
      if (e.type == ev::object) {
        a.target_ref.emplace();
        push(ctx::target_ref, false, true);
        return;
      }
      if (e.type == ev::null_v) {
        a.target_ref.reset();
        return;
      }
      return type_error(e, "an object");
    default: return unknown_value(f, e);
  }
}

inline void reader::on_sub_port(frame& f, const event& e) {
  endpoints_port& p = ep_.subsets.back().ports.back();
  switch (f.field) {
    case 0: return read_string(e, p.name);
    case 1: return read_int32(e, p.port);
    case 2: return read_string(e, p.protocol);
    case 3: return read_opt_string(e, p.app_protocol);
    default: return unknown_value(f, e);
  }
}

inline void reader::on_list(frame& f, const event& e) {
  switch (f.field) {
    case 0: return read_string(e, list_.kind);
    case 1: return read_string(e, list_.api_version);
    case 2:
      if (e.type == ev::object) list_.metadata = object_meta{};
      open(e, ctx::meta, true);
      return;
    case 3:
      // Items read apart leave `[]` here; any other array is one the framer did not cut (a list
      // whose kind said otherwise before its items).
      if (e.type == ev::array) {
        if (!list_split_)
          problem(e, error_type::invalid, "not read: a list's items are read when its kind, if it comes first, ends in List");
        skip(e);
        return;
      }
      if (e.type == ev::null_v) return;
      return type_error(e, "an array");
    default: return skip(e);
  }
}

inline void reader::on_array_element(frame& f, const event& e) {
  ++f.index;
  switch (f.c) {
    case ctx::owner_refs:
      if (e.type == ev::object) {
        current_meta().owner_references.emplace_back();
        push(ctx::owner_ref, false, true);
        return;
      }
      return type_error(e, "an object");
    case ctx::endpoints_arr:
      if (e.type == ev::object) {
        switch (mode_) {
          case slice_mode::v4: s4_.endpoints.emplace_back(); break;
          case slice_mode::v6: s6_.endpoints.emplace_back(); break;
          case slice_mode::fqdn: sf_.endpoints.emplace_back(); break;
          case slice_mode::raw: sr_.endpoints.emplace_back(); break;
        }
        push(ctx::endpoint, false, true);
        return;
      }
      return type_error(e, "an object");
    case ctx::addresses:
      if (e.type == ev::string) {
        const bool ok = with_endpoint([&](auto& ep) { return add_address(ep, e.s); });
        if (!ok) {
          demote_to_raw();
          sr_.endpoints.back().addresses.push_back(std::string(e.s));
        }
        return;
      }
      return type_error(e, "a string");
    case ctx::for_list:
      if (e.type == ev::object) {
        with_endpoint([&](auto& ep) {
          if (f.map_target == 0) heap_access::fill(ep.hints).for_zones.emplace_back();
          else heap_access::fill(ep.hints).for_nodes.emplace_back();
        });
        push(ctx::for_item);
        return;
      }
      return type_error(e, "an object");
    case ctx::ports:
      if (e.type == ev::object) {
        sr_.ports.emplace_back();
        push(ctx::port, false, true);
        return;
      }
      return type_error(e, "an object");
    case ctx::subsets:
      if (e.type == ev::object) {
        ep_.subsets.emplace_back();
        push(ctx::subset, false, true);
        return;
      }
      return type_error(e, "an object");
    case ctx::sub_addresses:
      if (e.type == ev::object) {
        auto& s = ep_.subsets.back();
        (f.map_target == 0 ? s.addresses : s.not_ready_addresses).emplace_back();
        push(ctx::sub_address, false, true);
        return;
      }
      return type_error(e, "an object");
    case ctx::sub_ports:
      if (e.type == ev::object) {
        ep_.subsets.back().ports.emplace_back();
        push(ctx::sub_port, false, true);
        return;
      }
      return type_error(e, "an object");
    default:
      return skip(e);
  }
}

inline void reader::end_object() {
  if (frames_.empty()) return;
  frame& f = top();
  if (f.c == ctx::capture) {
    cap_end();
    return;
  }
  const ctx c = f.c;
  if (f.dead) {
    // Unknown fields replaced by a repetition were emptied: drop them now.
    if (unknown_fields* x = extra_for(c)) std::erase_if(*x, [](const unknown_field& u) { return u.json.empty(); });
  }
  pop();
  switch (c) {
    case ctx::meta: {
      // Unmodelled ObjectMeta fields in Go's order (unknown ones last, in the order read): the
      // order encode writes them in, so that decode(encode(x)) == x.
      auto& extra = current_meta().extra;
      if (extra.size() > 1)
        std::stable_sort(extra.begin(), extra.end(), [](const unknown_field& a, const unknown_field& b) {
          return object_meta_rank(a.key) < object_meta_rank(b.key);
        });
      break;
    }
    case ctx::slice: finish_slice(); break;
    case ctx::ep_object: finish_endpoints(); break;
    default: break;
  }
}

inline void reader::end_array() {
  if (frames_.empty()) return;
  if (top().c == ctx::capture) {
    cap_end();
    return;
  }
  pop();
}

inline void reader::finish_frames() {
  // A checked text closes every frame; anything left (only with unchecked text) is dropped.
  frames_.clear();
  key_sets_used_ = 0;
}

inline void reader::finish_raw_object() {
  raw_object r;
  r.kind = std::move(raw_kind_);
  r.api_version = std::move(raw_api_version_);
  if (r.kind.empty() && plan_ && plan_->kind_inferred) r.kind = std::string(plan_->kind);
  if (r.api_version.empty() && plan_ && plan_->api_version_inferred) r.api_version = std::string(plan_->api_version);
  r.json = std::move(capture_);
  capture_.clear();
  result_.value = std::move(r);
}

template <class F>
inline void move_common(endpoint_slice_raw& from, basic_endpoint_slice<F>& to) {
  to.api_version = std::move(from.api_version);
  to.kind = std::move(from.kind);
  to.metadata = std::move(from.metadata);
  to.ports = std::move(from.ports);
  to.extra = std::move(from.extra);
}

// discovery.k8s.io/v1beta1 endpoints carry `topology` (read into deprecated_topology): the zone
// label becomes `zone`, the hostname label goes when it repeats nodeName.
template <class F>
inline void convert_v1beta1_topology(basic_endpoint<F>& ep) {
  if (ep.deprecated_topology.empty()) return;
  string_map& m = ep.deprecated_topology.edit();
  if (auto z = m.find(well_known::zone_label); z != m.end()) {
    ep.zone = z->second;
    m.erase(z);
  }
  if (auto h = m.find(well_known::hostname_label); h != m.end() && ep.node_name && *ep.node_name == h->second)
    m.erase(h);
  if (m.empty()) ep.deprecated_topology.clear();
}

inline void reader::finish_slice() {
  // The endpoints were read typed by the addressType seen before them; a different addressType
  // after them wins (as in Go), and to_typed below decides again.
  const auto family_changed = [&](std::string_view name) { return !sr_.address_type || *sr_.address_type != name; };
  if ((mode_ == slice_mode::v4 && family_changed(ipv4::name)) || (mode_ == slice_mode::v6 && family_changed(ipv6::name)) ||
      (mode_ == slice_mode::fqdn && family_changed(fqdn::name)))
    demote_to_raw();
  const bool beta = beta_ && sr_.api_version == "discovery.k8s.io/v1beta1";
  auto finish = [&](auto& s) {
    if (beta) {
      for (auto& ep : s.endpoints) convert_v1beta1_topology(ep);
      s.api_version = "discovery.k8s.io/v1";
    }
  };
  any_endpoint_slice result;
  switch (mode_) {
    case slice_mode::v4: move_common(sr_, s4_); finish(s4_); result = std::move(s4_); break;
    case slice_mode::v6: move_common(sr_, s6_); finish(s6_); result = std::move(s6_); break;
    case slice_mode::fqdn: move_common(sr_, sf_); finish(sf_); result = std::move(sf_); break;
    case slice_mode::raw: {
      finish(sr_);
      result = to_typed(std::move(sr_));
      break;
    }
  }
  result_.value = std::move(result);
  sr_ = endpoint_slice_raw{};
  s4_ = endpoint_slice_v4{};
  s6_ = endpoint_slice_v6{};
  sf_ = endpoint_slice_fqdn{};
  mode_ = slice_mode::raw;
}

inline void reader::finish_endpoints() {
  result_.value = std::move(ep_);
  ep_ = endpoints{};
}

}  // namespace epslice::detail
