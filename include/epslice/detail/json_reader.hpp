// SPDX-License-Identifier: Apache-2.0
// The SAX handler that decodes Kubernetes JSON straight into the typed model, with field paths.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "../error.hpp"
#include "../types.hpp"
#include "json_writer.hpp"

#include <nlohmann/json.hpp>

namespace epslice {

/// An object of a kind epslice does not model as a slice or Endpoints (Pod, Service, Node, ...),
/// kept as compact JSON so that it can be passed through or decoded into a view later.
struct raw_object {
  std::string kind;
  std::string api_version;
  std::string json;
  friend bool operator==(const raw_object&, const raw_object&) = default;
};

/// One object read from a document.
struct decoded_object {
  /// Where it stands in its top-level value: "" for the value itself, `items[2]` in a list,
  /// `object` in a watch event, `[3]` in a bare array.
  std::string location;
  /// Index of the top-level value in a stream of concatenated values (0 for a single document).
  std::size_t document = 0;
  /// For objects read from `--output-watch-events` streams: ADDED, MODIFIED, DELETED, ...
  std::string watch_type;
  std::variant<any_endpoint_slice, endpoints, raw_object> value;
  /// Problems found while decoding (wrong JSON types, values out of range), paths relative to the
  /// object. Empty when the object decoded cleanly.
  field_errors problems;

  /// The object's kind (`EndpointSlice`, `Endpoints`, or the kind of a raw object).
  [[nodiscard]] std::string_view kind() const noexcept {
    if (const auto* s = std::get_if<any_endpoint_slice>(&value))
      return std::visit([](const auto& x) -> std::string_view { return x.kind; }, *s);
    if (const auto* e = std::get_if<endpoints>(&value)) return e->kind;
    return std::get<raw_object>(value).kind;
  }
};

/// A syntax error: where the text stops being JSON.
struct syntax_error_info {
  std::size_t offset = 0;  ///< byte offset in the whole input
  std::size_t line = 1;    ///< 1-based
  std::size_t column = 1;  ///< 1-based, in bytes
  std::string message;
};

/// Everything read from one input: its objects in order, and the syntax error that stopped the
/// reading, if any (objects before it are still returned).
struct decoded_document {
  std::vector<decoded_object> objects;
  /// Number of top-level JSON values read.
  std::size_t values = 0;
  /// True when any top-level value was a list (`List`, `EndpointSliceList`, ... or an array).
  bool had_list = false;
  /// Problems outside any object (e.g. `items` that is not an array), with document paths.
  field_errors problems;
  std::optional<syntax_error_info> syntax_error;
};

namespace detail {

enum class ctx : std::uint8_t {
  generic,        // an object whose kind is not known yet (events are buffered)
  list,           // a List object
  list_items,     // its items
  top_array,      // a bare top-level array of objects
  watch,          // {"type": ..., "object": ...}
  slice,
  meta,
  string_map,     // labels, annotations, deprecatedTopology
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
  capture,        // copying a value as JSON text
  skip,           // dropping a value
};

enum class ev : std::uint8_t { null_v, boolean, integer, unsigned_v, floating, string, object, array };

struct event {
  ev type = ev::null_v;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  std::string* s = nullptr;  // string text, or the literal text of a float
};

struct buffered_event {
  enum class kind : std::uint8_t { null_v, boolean, integer, unsigned_v, floating, string, key,
                                   start_object, end_object, start_array, end_array };
  kind k = kind::null_v;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string s;
};

// Field names per context; the index is the field id.
inline constexpr std::string_view slice_fields[] = {"kind", "apiVersion", "metadata", "addressType", "endpoints", "ports"};
inline constexpr std::string_view meta_fields[] = {"name", "generateName", "namespace", "uid", "resourceVersion",
                                                   "generation", "creationTimestamp", "deletionTimestamp",
                                                   "labels", "annotations", "ownerReferences"};
inline constexpr std::string_view owner_fields[] = {"apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"};
inline constexpr std::string_view endpoint_fields[] = {"addresses", "conditions", "hostname", "targetRef",
                                                       "deprecatedTopology", "nodeName", "zone", "hints"};
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
inline constexpr std::string_view watch_fields[] = {"type", "object"};

template <std::size_t N>
inline int find_field(const std::string_view (&names)[N], std::string_view key) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i].size() == key.size() && names[i] == key) return static_cast<int>(i);
  return -1;
}

struct frame {
  ctx c = ctx::generic;
  bool object_root = false;  // paths of problems start below this frame
  bool keeps_unknown = false;
  int field = -1;            // current field id in object contexts (-1: unknown field)
  std::uint32_t index = 0;   // elements seen so far in array contexts
  int depth = 0;             // nesting inside capture/skip frames
  int map_target = 0;        // which string map (string_map frames) / which list (for_list)
  std::string key;           // current key text (maps and unknown fields)
};

enum class slice_mode : std::uint8_t { v4, v6, fqdn, raw };

/// Decodes one top-level JSON value; call the SAX methods (nlohmann's interface) or feed a DOM.
class reader {
 public:
  using string_t = std::string;

  explicit reader(decoded_document& doc, std::size_t document_index)
      : doc_(doc), document_index_(document_index) {
    frames_.reserve(32);
  }

  // ---- nlohmann SAX interface ------------------------------------------------------------
  bool null() { return value(event{ev::null_v}); }
  bool boolean(bool v) {
    event e{ev::boolean};
    e.b = v;
    return value(e);
  }
  bool number_integer(std::int64_t v) {
    event e{ev::integer};
    e.i = v;
    return value(e);
  }
  bool number_unsigned(std::uint64_t v) {
    event e{ev::unsigned_v};
    e.u = v;
    return value(e);
  }
  bool number_float(double d, const std::string& text) {
    scratch_ = text.empty() ? format_double(d) : text;
    event e{ev::floating};
    e.s = &scratch_;
    return value(e);
  }
  bool string(std::string& v) {
    event e{ev::string};
    e.s = &v;
    return value(e);
  }
  template <class Binary>
  bool binary(Binary&) {
    return value(event{ev::null_v});
  }
  bool start_object(std::size_t = std::size_t(-1)) { return value(event{ev::object}); }
  bool start_array(std::size_t = std::size_t(-1)) { return value(event{ev::array}); }
  bool key(std::string& k);
  bool end_object();
  bool end_array();
  template <class Exception>
  bool parse_error(std::size_t position, const std::string&, const Exception& ex) {
    error_position_ = position;
    error_message_ = ex.what();
    return false;
  }

  // After a parse: where it failed (byte offset within the parsed text), if it did.
  [[nodiscard]] std::optional<std::size_t> error_position() const { return error_position_; }
  [[nodiscard]] const std::string& error_message() const { return error_message_; }

 private:
  // ---- state ----
  decoded_document& doc_;
  std::size_t document_index_;
  std::vector<frame> frames_;
  std::string scratch_;

  // buffering for objects whose kind is not known yet
  bool buffering_ = false;
  int buffer_depth_ = 0;
  bool buffer_kind_next_ = false;
  std::vector<buffered_event> buffer_;

  // capture
  std::string capture_;
  std::string raw_kind_;
  std::string raw_api_version_;
  int raw_pending_key_ = 0;  // 1: the value of `kind` comes next, 2: of `apiVersion`

  // the object being decoded
  std::string location_;
  std::string watch_type_;
  std::string pending_watch_type_;
  field_errors problems_;
  slice_mode mode_ = slice_mode::raw;
  endpoint_slice_raw sr_;
  endpoint_slice_v4 s4_;
  endpoint_slice_v6 s6_;
  endpoint_slice_fqdn sf_;
  endpoints ep_;
  std::string inferred_item_kind_;

  std::optional<std::size_t> error_position_;
  std::string error_message_;

  // ---- helpers ----
  static std::string format_double(double d) {
    std::string s = std::to_string(d);
    return s;
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
      case ctx::watch: return pick(watch_fields);
      default: return {};
    }
  }

  static bool is_array_ctx(ctx c) {
    switch (c) {
      case ctx::list_items: case ctx::top_array: case ctx::owner_refs: case ctx::endpoints_arr:
      case ctx::addresses: case ctx::for_list: case ctx::ports: case ctx::subsets:
      case ctx::sub_addresses: case ctx::sub_ports:
        return true;
      default:
        return false;
    }
  }

  // Path of the value being read, relative to the innermost object root (or to the document
  // when `absolute`).
  std::string current_path(bool absolute = false) const {
    std::size_t start = 0;
    if (!absolute) {
      for (std::size_t i = frames_.size(); i-- > 0;)
        if (frames_[i].object_root) {
          start = i;
          break;
        }
    }
    std::string p;
    for (std::size_t i = start; i < frames_.size(); ++i) {
      const frame& f = frames_[i];
      if (f.c == ctx::capture || f.c == ctx::skip) break;
      if (is_array_ctx(f.c)) {
        if (f.index == 0) continue;
        p += '[';
        p += std::to_string(f.index - 1);
        p += ']';
      } else if (f.c == ctx::string_map || f.field < 0) {
        if (f.key.empty() && f.field < 0) continue;
        if (!p.empty()) p += '.';
        p += f.key;
      } else {
        if (!p.empty()) p += '.';
        p += field_name(f.c, f.field);
      }
    }
    return p;
  }

  static std::string event_text(const event& e) {
    switch (e.type) {
      case ev::null_v: return "null";
      case ev::boolean: return e.b ? "true" : "false";
      case ev::integer: return std::to_string(e.i);
      case ev::unsigned_v: return std::to_string(e.u);
      case ev::floating: return *e.s;
      case ev::string: return quote_value(*e.s);
      case ev::object: return {};
      case ev::array: return {};
    }
    return {};
  }

  static std::string_view event_type_name(const event& e) {
    switch (e.type) {
      case ev::null_v: return "null";
      case ev::boolean: return "a boolean";
      case ev::integer: case ev::unsigned_v: case ev::floating: return "a number";
      case ev::string: return "a string";
      case ev::object: return "an object";
      case ev::array: return "an array";
    }
    return "a value";
  }

  void problem(const event& e, error_type t, std::string detail) {
    problems_.push_back(field_error{current_path(), t, event_text(e), std::move(detail)});
  }

  // A value of the wrong JSON type: report it and skip it.
  bool type_error(const event& e, std::string_view expected) {
    std::string detail = "must be ";
    detail += expected;
    detail += ", not ";
    detail += event_type_name(e);
    problem(e, error_type::invalid, std::move(detail));
    if (e.type == ev::object || e.type == ev::array) {
      frame& f = push(ctx::skip);
      f.depth = 1;
    }
    return true;
  }

  bool read_string(const event& e, std::string& dst) {
    if (e.type == ev::string) dst = *e.s;  // a copy: moving would take the parser's buffer, which it then grows again
    else if (e.type != ev::null_v) type_error(e, "a string");
    return true;
  }
  template <class Optional>  // std::optional<std::string> or heap_optional<std::string>
  bool read_opt_string(const event& e, Optional& dst) {
    if (e.type == ev::string) dst = *e.s;
    else if (e.type == ev::null_v) dst.reset();
    else type_error(e, "a string");
    return true;
  }
  bool read_opt_bool(const event& e, std::optional<bool>& dst) {
    if (e.type == ev::boolean) dst = e.b;
    else if (e.type == ev::null_v) dst.reset();
    else type_error(e, "a boolean");
    return true;
  }
  bool read_int(const event& e, std::int64_t lo, std::int64_t hi, std::optional<std::int64_t>& dst) {
    if (e.type == ev::integer && e.i >= lo && e.i <= hi) {
      dst = e.i;
    } else if (e.type == ev::unsigned_v && e.u <= static_cast<std::uint64_t>(hi)) {
      dst = static_cast<std::int64_t>(e.u);
    } else if (e.type == ev::integer || e.type == ev::unsigned_v) {
      problem(e, error_type::invalid, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    } else if (e.type == ev::floating) {
      problem(e, error_type::invalid, "must be an integer");
    } else if (e.type != ev::null_v) {
      type_error(e, "an integer");
    }
    return true;
  }
  bool read_int32(const event& e, std::optional<std::int32_t>& dst) {
    std::optional<std::int64_t> v;
    read_int(e, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), v);
    if (v) dst = static_cast<std::int32_t>(*v);
    else if (e.type == ev::null_v) dst.reset();
    return true;
  }
  bool read_int32(const event& e, std::int32_t& dst) {
    std::optional<std::int32_t> v;
    read_int32(e, v);
    if (v) dst = *v;
    return true;
  }
  bool read_map(const event& e, int target) {
    if (e.type == ev::object) {
      frame& f = push(ctx::string_map);
      f.map_target = target;
    } else if (e.type != ev::null_v) {
      type_error(e, "an object");
    }
    return true;
  }
  bool open(const event& e, ctx c, bool keeps_unknown = false, std::string_view expected = "an object") {
    const bool want_array = is_array_ctx(c);
    if ((want_array && e.type == ev::array) || (!want_array && e.type == ev::object)) {
      push(c, false, keeps_unknown);
      return true;
    }
    if (e.type == ev::null_v) return true;
    return type_error(e, want_array ? "an array" : expected);
  }

  // ---- capture of values as JSON text ----
  void capture_sep() {
    if (capture_.empty()) return;
    const char last = capture_.back();
    if (last != '{' && last != '[' && last != ':') capture_ += ',';
  }
  void capture_scalar(const event& e) {
    capture_sep();
    switch (e.type) {
      case ev::null_v: capture_ += "null"; break;
      case ev::boolean: capture_ += e.b ? "true" : "false"; break;
      case ev::integer: write_int(capture_, e.i); break;
      case ev::unsigned_v: capture_ += std::to_string(e.u); break;
      case ev::floating: capture_ += *e.s; break;
      case ev::string: write_json_string(capture_, *e.s); break;
      case ev::object: capture_ += '{'; break;
      case ev::array: capture_ += '['; break;
    }
  }
  // Begin capturing the value `e` (for unknown fields and raw objects). Scalars finish at once.
  void begin_capture(const event& e) {
    capture_.clear();
    capture_scalar(e);
    if (e.type == ev::object || e.type == ev::array) {
      frame& f = push(ctx::capture);
      f.depth = 1;
    } else {
      finish_capture();
    }
  }
  void finish_capture();
  // An unknown field: kept as JSON text where the context keeps unknown fields, else dropped.
  bool unknown_value(const frame& f, const event& e) {
    if (f.keeps_unknown) {
      begin_capture(e);
    } else if (e.type == ev::object || e.type == ev::array) {
      frame& s = push(ctx::skip);
      s.depth = 1;
    }
    return true;
  }

  // ---- the object being decoded ----
  void reset_object() {
    problems_.clear();
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
  void begin_object_of_kind(frame& f, std::string_view kind);
  void finish_slice();
  void finish_endpoints();
  void finish_raw_object(std::string json, std::string kind, std::string api_version);

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
  bool add_address(basic_endpoint<F>& e, std::string& text) {
    if constexpr (std::is_same_v<F, raw>) {
      e.addresses.push_back(std::move(text));
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
  bool value(const event& e);
  bool buffer_event(buffered_event::kind k, const event* e, const std::string* key_text);
  void resolve_generic(std::string_view kind, bool watch);
  void replay(std::vector<buffered_event>& events);

  bool on_slice(frame& f, const event& e);
  bool on_meta(frame& f, const event& e);
  bool on_string_map(frame& f, const event& e);
  bool on_owner_ref(frame& f, const event& e);
  bool on_endpoint(frame& f, const event& e);
  bool on_conditions(frame& f, const event& e);
  bool on_target_ref(frame& f, const event& e);
  bool on_hints(frame& f, const event& e);
  bool on_for_item(frame& f, const event& e);
  bool on_port(frame& f, const event& e);
  bool on_ep_object(frame& f, const event& e);
  bool on_subset(frame& f, const event& e);
  bool on_sub_address(frame& f, const event& e);
  bool on_sub_port(frame& f, const event& e);
  bool on_list(frame& f, const event& e);
  bool on_watch(frame& f, const event& e);
  bool on_array_element(frame& f, const event& e);

  object_meta& current_meta() {
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

inline bool reader::key(std::string& k) {
  if (buffering_) return buffer_event(buffered_event::kind::key, nullptr, &k);
  frame& f = top();
  switch (f.c) {
    case ctx::capture:
      capture_sep();
      write_json_string(capture_, k);
      capture_ += ':';
      raw_pending_key_ = 0;
      if (f.object_root && f.depth == 1) raw_pending_key_ = k == "kind" ? 1 : k == "apiVersion" ? 2 : 0;
      return true;
    case ctx::skip:
      return true;
    case ctx::string_map:
      f.key = std::move(k);
      return true;
    case ctx::slice: f.field = find_field(slice_fields, k); break;
    case ctx::meta: f.field = find_field(meta_fields, k); break;
    case ctx::owner_ref: f.field = find_field(owner_fields, k); break;
    case ctx::endpoint: f.field = find_field(endpoint_fields, k); break;
    case ctx::conditions: f.field = find_field(condition_fields, k); break;
    case ctx::target_ref: f.field = find_field(ref_fields, k); break;
    case ctx::hints: f.field = find_field(hint_fields, k); break;
    case ctx::for_item: f.field = find_field(name_fields, k); break;
    case ctx::port: f.field = find_field(port_fields, k); break;
    case ctx::ep_object: f.field = find_field(ep_object_fields, k); break;
    case ctx::subset: f.field = find_field(subset_fields, k); break;
    case ctx::sub_address: f.field = find_field(address_fields, k); break;
    case ctx::sub_port: f.field = find_field(sub_port_fields, k); break;
    case ctx::list: f.field = find_field(list_fields, k); break;
    case ctx::watch: f.field = find_field(watch_fields, k); break;
    default: f.field = -1; break;
  }
  if (f.field < 0) f.key = std::move(k);
  return true;
}

inline bool reader::value(const event& e) {
  if (buffering_) {
    buffered_event::kind k = buffered_event::kind::null_v;
    switch (e.type) {
      case ev::null_v: k = buffered_event::kind::null_v; break;
      case ev::boolean: k = buffered_event::kind::boolean; break;
      case ev::integer: k = buffered_event::kind::integer; break;
      case ev::unsigned_v: k = buffered_event::kind::unsigned_v; break;
      case ev::floating: k = buffered_event::kind::floating; break;
      case ev::string: k = buffered_event::kind::string; break;
      case ev::object: k = buffered_event::kind::start_object; break;
      case ev::array: k = buffered_event::kind::start_array; break;
    }
    return buffer_event(k, &e, nullptr);
  }
  if (frames_.empty()) {
    // The top-level value.
    if (e.type == ev::object) {
      frame& f = push(ctx::generic, true);
      (void)f;
      location_.clear();
      buffering_ = true;
      buffer_depth_ = 0;
      buffer_.clear();
      return true;
    }
    if (e.type == ev::array) {
      push(ctx::top_array);
      doc_.had_list = true;
      return true;
    }
    doc_.problems.push_back(field_error{{}, error_type::invalid, event_text(e),
                                        "a document must hold objects, not " + std::string(event_type_name(e))});
    return true;
  }
  frame& f = top();
  switch (f.c) {
    case ctx::capture:
      capture_scalar(e);
      if (raw_pending_key_ != 0 && e.type == ev::string) (raw_pending_key_ == 1 ? raw_kind_ : raw_api_version_) = *e.s;
      raw_pending_key_ = 0;
      if (e.type == ev::object || e.type == ev::array) ++f.depth;
      return true;
    case ctx::skip:
      if (e.type == ev::object || e.type == ev::array) ++f.depth;
      return true;
    case ctx::string_map: return on_string_map(f, e);
    case ctx::slice: return on_slice(f, e);
    case ctx::meta: return on_meta(f, e);
    case ctx::owner_ref: return on_owner_ref(f, e);
    case ctx::endpoint: return on_endpoint(f, e);
    case ctx::conditions: return on_conditions(f, e);
    case ctx::target_ref: return on_target_ref(f, e);
    case ctx::hints: return on_hints(f, e);
    case ctx::for_item: return on_for_item(f, e);
    case ctx::port: return on_port(f, e);
    case ctx::ep_object: return on_ep_object(f, e);
    case ctx::subset: return on_subset(f, e);
    case ctx::sub_address: return on_sub_address(f, e);
    case ctx::sub_port: return on_sub_port(f, e);
    case ctx::list: return on_list(f, e);
    case ctx::watch: return on_watch(f, e);
    case ctx::generic: return true;  // not reached: generic frames buffer
    default: return on_array_element(f, e);
  }
}

inline unknown_fields* reader::extra_for(ctx c) {
  switch (c) {
    case ctx::slice: return &sr_.extra;
    case ctx::meta: return &current_meta().extra;
    case ctx::owner_ref: return &current_meta().owner_references.back().extra;
    case ctx::endpoint: return with_endpoint([](auto& ep) { return &ep.extra.edit(); });
    case ctx::target_ref: return &current_ref().extra;
    case ctx::hints: return with_endpoint([](auto& ep) { return &ep.hints->extra; });
    case ctx::port: return &sr_.ports.back().extra;
    case ctx::ep_object: return &ep_.extra;
    case ctx::subset: return &ep_.subsets.back().extra;
    case ctx::sub_address: return &current_sub_address().extra;
    case ctx::sub_port: return &ep_.subsets.back().ports.back().extra;
    default: return nullptr;
  }
}

inline void reader::finish_capture() {
  // The frame that owns the captured value is the one below the capture frame (or the top when
  // the value was a scalar).
  if (frames_.empty()) return;
  frame& f = frames_.back();
  if (f.c == ctx::generic) return;
  if (f.c == ctx::list_items || f.c == ctx::top_array || f.c == ctx::watch) return;
  if (f.c == ctx::meta && f.field == 6) {
    // creationTimestamp given as something other than a string (e.g. null): keep it as given.
    current_meta().extra.push_back(unknown_field{"creationTimestamp", capture_});
    return;
  }
  if (unknown_fields* x = extra_for(f.c)) x->push_back(unknown_field{f.key, capture_});
}

inline bool reader::on_string_map(frame& f, const event& e) {
  if (e.type != ev::string) {
    if (e.type == ev::null_v) return true;  // Go leaves a null map value as ""
    return type_error(e, "a string");
  }
  string_map* m = nullptr;
  switch (f.map_target) {
    case 0: m = &current_meta().labels; break;
    case 1: m = &current_meta().annotations; break;
    default: m = with_endpoint([](auto& ep) { return &ep.deprecated_topology.edit(); }); break;
  }
  m->insert_or_assign(std::move(f.key), std::move(*e.s));
  f.key.clear();
  return true;
}

inline bool reader::on_slice(frame& f, const event& e) {
  switch (f.field) {
    case 0: return read_string(e, sr_.kind);
    case 1: return read_string(e, sr_.api_version);
    case 2: return open(e, ctx::meta, true);
    case 3:
      // Go cannot tell an absent addressType from "" (and writes "" for both): both read as absent,
      // so that decode(encode(x)) == x.
      if (e.type == ev::string && !e.s->empty()) sr_.address_type = std::move(*e.s);
      else if (e.type == ev::null_v || e.type == ev::string) sr_.address_type.reset();
      else type_error(e, "a string");
      return true;
    case 4:
      if (e.type == ev::array) {
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
        return true;
      }
      if (e.type == ev::null_v) {
        mode_ = slice_mode::raw;
        sr_.endpoints.set_nil();
        return true;
      }
      return type_error(e, "an array");
    case 5:
      if (e.type == ev::array) {
        sr_.ports.clear();
        sr_.ports.set_empty_not_nil();
        push(ctx::ports);
        return true;
      }
      if (e.type == ev::null_v) {
        sr_.ports.set_nil();
        return true;
      }
      return type_error(e, "an array");
    default: return unknown_value(f, e);
  }
}

inline bool reader::on_meta(frame& f, const event& e) {
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
      return true;
    }
    case 6:
      // A repeated key: the last one wins, as in Go.
      std::erase_if(m.extra, [](const unknown_field& x) { return x.key == "creationTimestamp"; });
      if (e.type == ev::string) {
        m.creation_timestamp = std::move(*e.s);
        return true;
      }
      m.creation_timestamp.reset();
      if (e.type == ev::null_v) {
        begin_capture(e);  // kept as an explicit null
        return true;
      }
      return type_error(e, "a string");
    case 7: return read_opt_string(e, m.deletion_timestamp);
    case 8: return read_map(e, 0);
    case 9: return read_map(e, 1);
    case 10: return open(e, ctx::owner_refs);
    default: return unknown_value(f, e);
  }
}

inline bool reader::on_owner_ref(frame& f, const event& e) {
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

inline bool reader::on_endpoint(frame& f, const event& e) {
  switch (f.field) {
    case 0:
      if (e.type == ev::array) {
        with_endpoint([](auto& ep) { ep.addresses.clear(); ep.addresses.set_empty_not_nil(); });
        push(ctx::addresses);
        return true;
      }
      if (e.type == ev::null_v) {
        with_endpoint([](auto& ep) { ep.addresses.set_nil(); });
        return true;
      }
      return type_error(e, "an array");
    case 1: return open(e, ctx::conditions);
    case 2: return with_endpoint([&](auto& ep) { return read_opt_string(e, ep.hostname); });
    case 3:
      if (e.type == ev::object) {
        with_endpoint([](auto& ep) { ep.target_ref.emplace(); });
        push(ctx::target_ref, false, true);
        return true;
      }
      if (e.type == ev::null_v) {
        with_endpoint([](auto& ep) { ep.target_ref.reset(); });
        return true;
      }
      return type_error(e, "an object");
    case 4: return read_map(e, 2);
    case 5: return with_endpoint([&](auto& ep) { return read_opt_string(e, ep.node_name); });
    case 6: return with_endpoint([&](auto& ep) { return read_opt_string(e, ep.zone); });
    case 7:
      if (e.type == ev::object) {
        with_endpoint([](auto& ep) { ep.hints.emplace(); });
        push(ctx::hints, false, true);
        return true;
      }
      if (e.type == ev::null_v) {
        with_endpoint([](auto& ep) { ep.hints.reset(); });
        return true;
      }
      return type_error(e, "an object");
    default: return unknown_value(f, e);
  }
}

inline bool reader::on_conditions(frame& f, const event& e) {
  return with_endpoint([&](auto& ep) {
    switch (f.field) {
      case 0: return read_opt_bool(e, ep.conditions.ready);
      case 1: return read_opt_bool(e, ep.conditions.serving);
      case 2: return read_opt_bool(e, ep.conditions.terminating);
      default: break;
    }
    if (e.type == ev::object || e.type == ev::array) {
      frame& s = push(ctx::skip);
      s.depth = 1;
    }
    return true;
  });
}

inline object_reference& reader::current_ref() {
  // The frame below the target_ref frame says whose reference it is.
  const frame& owner = frames_[frames_.size() - 2];
  if (owner.c == ctx::sub_address) return *current_sub_address().target_ref;
  return *with_endpoint([](auto& ep) { return &*ep.target_ref; });
}

inline bool reader::on_target_ref(frame& f, const event& e) {
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

inline bool reader::on_hints(frame& f, const event& e) {
  if (f.field == 0 || f.field == 1) {
    if (e.type == ev::array) {
      const int which = f.field;
      frame& l = push(ctx::for_list);
      l.map_target = which;
      return true;
    }
    if (e.type == ev::null_v) return true;
    return type_error(e, "an array");
  }
  return unknown_value(f, e);
}

inline bool reader::on_for_item(frame& f, const event& e) {
  const int which = frames_[frames_.size() - 2].map_target;
  if (f.field == 0) {
    return with_endpoint([&](auto& ep) {
      std::string& name = which == 0 ? ep.hints->for_zones.back().name : ep.hints->for_nodes.back().name;
      return read_string(e, name);
    });
  }
  if (e.type == ev::object || e.type == ev::array) {
    frame& s = push(ctx::skip);
    s.depth = 1;
  }
  return true;
}

inline bool reader::on_port(frame& f, const event& e) {
  endpoint_port& p = sr_.ports.back();
  switch (f.field) {
    case 0: return read_opt_string(e, p.name);
    case 1: return read_opt_string(e, p.protocol);
    case 2: return read_int32(e, p.port);
    case 3: return read_opt_string(e, p.app_protocol);
    default: return unknown_value(f, e);
  }
}

inline bool reader::on_ep_object(frame& f, const event& e) {
  switch (f.field) {
    case 0: return read_string(e, ep_.kind);
    case 1: return read_string(e, ep_.api_version);
    case 2: return open(e, ctx::meta, true);
    case 3: return open(e, ctx::subsets);
    default: return unknown_value(f, e);
  }
}

inline bool reader::on_subset(frame& f, const event& e) {
  switch (f.field) {
    case 0: case 1: {
      const int which = f.field;
      const bool ok = open(e, ctx::sub_addresses);
      if (e.type == ev::array) top().map_target = which;
      return ok;
    }
    case 2: return open(e, ctx::sub_ports);
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

inline bool reader::on_sub_address(frame& f, const event& e) {
  endpoint_address& a = current_sub_address();
  switch (f.field) {
    case 0: return read_string(e, a.ip);
    case 1: return read_string(e, a.hostname);
    case 2: return read_opt_string(e, a.node_name);
    case 3:
      if (e.type == ev::object) {
        a.target_ref.emplace();
        push(ctx::target_ref, false, true);
        return true;
      }
      if (e.type == ev::null_v) {
        a.target_ref.reset();
        return true;
      }
      return type_error(e, "an object");
    default: return unknown_value(f, e);
  }
}

inline bool reader::on_sub_port(frame& f, const event& e) {
  endpoints_port& p = ep_.subsets.back().ports.back();
  switch (f.field) {
    case 0: return read_string(e, p.name);
    case 1: return read_int32(e, p.port);
    case 2: return read_string(e, p.protocol);
    case 3: return read_opt_string(e, p.app_protocol);
    default: return unknown_value(f, e);
  }
}

inline bool reader::on_list(frame& f, const event& e) {
  switch (f.field) {
    case 0:
      if (e.type == ev::string) {
        const std::string_view k = *e.s;
        if (k == "EndpointSliceList") inferred_item_kind_ = "EndpointSlice";
        else if (k == "EndpointsList") inferred_item_kind_ = "Endpoints";
        return true;
      }
      if (e.type == ev::object || e.type == ev::array) {
        frame& s = push(ctx::skip);  // a repeated `kind` that is not a string
        s.depth = 1;
      }
      return true;
    case 3:
      if (e.type == ev::array) {
        push(ctx::list_items);
        return true;
      }
      if (e.type == ev::null_v) return true;
      doc_.problems.push_back(field_error{"items", error_type::invalid, event_text(e),
                                          "must be an array, not " + std::string(event_type_name(e))});
      if (e.type == ev::object) {
        frame& s = push(ctx::skip);
        s.depth = 1;
      }
      return true;
    default:
      if (e.type == ev::object || e.type == ev::array) {
        frame& s = push(ctx::skip);
        s.depth = 1;
      }
      return true;
  }
}

inline bool reader::on_watch(frame& f, const event& e) {
  if (f.field == 0) {
    if (e.type == ev::string) {
      pending_watch_type_ = *e.s;
      // `type` after `object`: the object is already out.
      if (!doc_.objects.empty() && doc_.objects.back().document == document_index_ &&
          doc_.objects.back().location == "object")
        doc_.objects.back().watch_type = pending_watch_type_;
    } else if (e.type == ev::object || e.type == ev::array) {
      frame& s = push(ctx::skip);
      s.depth = 1;
    }
    return true;
  }
  if (f.field == 1 && e.type == ev::object) {
    location_ = "object";
    watch_type_ = pending_watch_type_;
    frame& g = push(ctx::generic, true);
    (void)g;
    buffering_ = true;
    buffer_depth_ = 0;
    buffer_.clear();
    return true;
  }
  if (e.type == ev::object || e.type == ev::array) {
    frame& s = push(ctx::skip);
    s.depth = 1;
  }
  return true;
}

inline bool reader::on_array_element(frame& f, const event& e) {
  ++f.index;
  const std::size_t i = f.index - 1;
  switch (f.c) {
    case ctx::list_items:
    case ctx::top_array: {
      if (e.type != ev::object) {
        doc_.problems.push_back(field_error{
            (f.c == ctx::list_items ? "items[" : "[") + std::to_string(i) + "]", error_type::invalid,
            event_text(e), "must be an object, not " + std::string(event_type_name(e))});
        if (e.type == ev::array) {
          frame& s = push(ctx::skip);
          s.depth = 1;
        }
        return true;
      }
      location_ = (f.c == ctx::list_items ? "items[" : "[") + std::to_string(i) + "]";
      watch_type_.clear();
      // Items of typed lists may lack kind and apiVersion (the API server omits them); other
      // items are buffered until their own kind is known.
      if (f.c == ctx::list_items && (inferred_item_kind_ == "EndpointSlice" || inferred_item_kind_ == "Endpoints")) {
        frame& g = push(ctx::generic, true);
        reset_object();
        begin_object_of_kind(g, inferred_item_kind_);
        return true;
      }
      push(ctx::generic, true);
      buffering_ = true;
      buffer_depth_ = 0;
      buffer_.clear();
      return true;
    }
    case ctx::owner_refs:
      if (e.type == ev::object) {
        current_meta().owner_references.emplace_back();
        push(ctx::owner_ref, false, true);
        return true;
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
        return true;
      }
      return type_error(e, "an object");
    case ctx::addresses:
      if (e.type == ev::string) {
        const bool ok = with_endpoint([&](auto& ep) { return add_address(ep, *e.s); });
        if (!ok) {
          demote_to_raw();
          sr_.endpoints.back().addresses.push_back(std::move(*e.s));
        }
        return true;
      }
      return type_error(e, "a string");
    case ctx::for_list:
      if (e.type == ev::object) {
        with_endpoint([&](auto& ep) {
          if (f.map_target == 0) ep.hints->for_zones.emplace_back();
          else ep.hints->for_nodes.emplace_back();
        });
        push(ctx::for_item);
        return true;
      }
      return type_error(e, "an object");
    case ctx::ports:
      if (e.type == ev::object) {
        sr_.ports.emplace_back();
        push(ctx::port, false, true);
        return true;
      }
      return type_error(e, "an object");
    case ctx::subsets:
      if (e.type == ev::object) {
        ep_.subsets.emplace_back();
        push(ctx::subset, false, true);
        return true;
      }
      return type_error(e, "an object");
    case ctx::sub_addresses:
      if (e.type == ev::object) {
        auto& s = ep_.subsets.back();
        (f.map_target == 0 ? s.addresses : s.not_ready_addresses).emplace_back();
        push(ctx::sub_address, false, true);
        return true;
      }
      return type_error(e, "an object");
    case ctx::sub_ports:
      if (e.type == ev::object) {
        ep_.subsets.back().ports.emplace_back();
        push(ctx::sub_port, false, true);
        return true;
      }
      return type_error(e, "an object");
    default:
      return true;
  }
}

inline bool reader::end_object() {
  if (buffering_) return buffer_event(buffered_event::kind::end_object, nullptr, nullptr);
  if (frames_.empty()) return true;
  frame& f = top();
  if (f.c == ctx::capture) {
    capture_ += '}';
    if (--f.depth == 0) {
      const bool whole_object = f.object_root;
      frames_.pop_back();
      if (whole_object) finish_raw_object(std::move(capture_), std::move(raw_kind_), std::move(raw_api_version_));
      else finish_capture();
      capture_.clear();
      raw_kind_.clear();
      raw_api_version_.clear();
    }
    return true;
  }
  if (f.c == ctx::skip) {
    if (--f.depth == 0) frames_.pop_back();
    return true;
  }
  const ctx c = f.c;
  frames_.pop_back();
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
  return true;
}

inline bool reader::end_array() {
  if (buffering_) return buffer_event(buffered_event::kind::end_array, nullptr, nullptr);
  if (frames_.empty()) return true;
  frame& f = top();
  if (f.c == ctx::capture) {
    capture_ += ']';
    if (--f.depth == 0) {
      frames_.pop_back();
      finish_capture();
    }
    return true;
  }
  if (f.c == ctx::skip) {
    if (--f.depth == 0) frames_.pop_back();
    return true;
  }
  frames_.pop_back();
  return true;
}

inline bool reader::buffer_event(buffered_event::kind k, const event* e, const std::string* key_text) {
  using K = buffered_event::kind;
  if (k == K::end_object && buffer_depth_ == 0) {
    // The object ended without a kind: keep it as a raw object without a kind.
    buffering_ = false;
    std::vector<buffered_event> events = std::move(buffer_);
    buffer_.clear();
    frame& f = top();
    f.c = ctx::capture;
    f.depth = 1;
    f.object_root = true;
    capture_ = "{";
    raw_kind_.clear();
    raw_api_version_.clear();
    replay(events);
    end_object();
    return true;
  }
  buffered_event b;
  b.k = k;
  if (e) {
    b.b = e->b;
    b.i = e->i;
    b.u = e->u;
    if (e->s) b.s = *e->s;
  }
  if (key_text) b.s = *key_text;
  const bool at_top = buffer_depth_ == 0;
  if (k == K::start_object || k == K::start_array) ++buffer_depth_;
  if (k == K::end_object || k == K::end_array) --buffer_depth_;
  const bool kind_value = at_top && buffer_kind_next_;
  buffer_kind_next_ = false;
  buffer_.push_back(std::move(b));
  if (at_top && k == K::key) {
    if (buffer_.back().s == "kind") buffer_kind_next_ = true;
    else if (buffer_.back().s == "object" && frames_.size() == 1) {
      resolve_generic({}, true);
      return true;
    }
  }
  if (kind_value && k == K::string) resolve_generic(buffer_.back().s, false);
  return true;
}

inline void reader::begin_object_of_kind(frame& f, std::string_view kind) {
  f.object_root = true;
  if (kind == "EndpointSlice") {
    f.c = ctx::slice;
    f.keeps_unknown = true;
  } else if (kind == "Endpoints") {
    f.c = ctx::ep_object;
    f.keeps_unknown = true;
  } else if (kind == "List" || (kind.size() > 4 && kind.substr(kind.size() - 4) == "List")) {
    f.c = ctx::list;
    f.object_root = false;
    doc_.had_list = true;
    inferred_item_kind_.clear();
  } else {
    f.c = ctx::capture;
    f.depth = 1;
    capture_ = "{";
    raw_kind_.clear();
    raw_api_version_.clear();
  }
}

inline void reader::resolve_generic(std::string_view kind, bool watch) {
  buffering_ = false;
  std::vector<buffered_event> events = std::move(buffer_);
  buffer_.clear();
  frame& f = top();
  if (watch) {
    f.c = ctx::watch;
    f.object_root = false;
  } else {
    reset_object();
    begin_object_of_kind(f, kind);
  }
  replay(events);
}

inline void reader::replay(std::vector<buffered_event>& events) {
  using K = buffered_event::kind;
  for (auto& b : events) {
    switch (b.k) {
      case K::null_v: null(); break;
      case K::boolean: boolean(b.b); break;
      case K::integer: number_integer(b.i); break;
      case K::unsigned_v: number_unsigned(b.u); break;
      case K::floating: number_float(b.d, b.s); break;
      case K::string: string(b.s); break;
      case K::key: key(b.s); break;
      case K::start_object: start_object(); break;
      case K::end_object: end_object(); break;
      case K::start_array: start_array(); break;
      case K::end_array: end_array(); break;
    }
  }
}

inline void reader::finish_raw_object(std::string json, std::string kind, std::string api_version) {
  decoded_object o;
  o.location = location_;
  o.document = document_index_;
  o.watch_type = watch_type_;
  o.value = raw_object{std::move(kind), std::move(api_version), std::move(json)};
  doc_.objects.push_back(std::move(o));
}

template <class F>
inline void move_common(endpoint_slice_raw& from, basic_endpoint_slice<F>& to) {
  to.api_version = std::move(from.api_version);
  to.kind = std::move(from.kind);
  to.metadata = std::move(from.metadata);
  to.ports = std::move(from.ports);
  to.extra = std::move(from.extra);
}

// discovery.k8s.io/v1beta1 endpoints carry `topology` instead of deprecatedTopology and zone.
template <class F>
inline void convert_v1beta1_topology(basic_endpoint<F>& ep, field_errors& problems, const std::string& path) {
  if (ep.extra.empty()) return;
  unknown_fields& extra = ep.extra.edit();
  auto it = extra.begin();
  while (it != extra.end() && it->key != "topology") ++it;
  if (it == extra.end()) return;
  const std::string text = std::move(it->json);
  extra.erase(it);
  const nlohmann::json topology = nlohmann::json::parse(text, nullptr, false);
  if (topology.is_null()) return;
  if (!topology.is_object()) {
    problems.push_back(field_error{path + ".topology", error_type::invalid,
                                   topology.is_string() ? quote_value(topology.template get<std::string>())
                                   : topology.is_structured() ? std::string() : text,
                                   "must be an object of strings"});
    return;
  }
  string_map m;
  for (const auto& [k, v] : topology.items()) {
    if (!v.is_string()) {
      problems.push_back(field_error{path + ".topology." + k, error_type::invalid,
                                     v.is_structured() ? std::string() : v.dump(), "must be a string"});
      continue;
    }
    m.insert_or_assign(k, v.template get<std::string>());
  }
  // v1beta1 -> v1: the zone label becomes `zone`; the hostname label goes when it repeats nodeName.
  if (auto z = m.find(well_known::zone_label); z != m.end()) {
    ep.zone = z->second;
    m.erase(z);
  }
  if (auto h = m.find(well_known::hostname_label); h != m.end() && ep.node_name && *ep.node_name == h->second)
    m.erase(h);
  for (auto& [k, v] : m) ep.deprecated_topology.edit().insert_or_assign(k, std::move(v));
}

inline void reader::finish_slice() {
  decoded_object o;
  o.location = location_;
  o.document = document_index_;
  o.watch_type = watch_type_;
  any_endpoint_slice result;
  // The endpoints were read typed by the addressType seen before them; a different addressType
  // after them wins (as in Go), and to_typed below decides again.
  const auto family_changed = [&](std::string_view name) { return !sr_.address_type || *sr_.address_type != name; };
  if ((mode_ == slice_mode::v4 && family_changed(ipv4::name)) || (mode_ == slice_mode::v6 && family_changed(ipv6::name)) ||
      (mode_ == slice_mode::fqdn && family_changed(fqdn::name)))
    demote_to_raw();
  const bool beta = sr_.api_version == "discovery.k8s.io/v1beta1";
  auto finish = [&](auto& s) {
    if (beta) {
      for (std::size_t i = 0; i < s.endpoints.size(); ++i)
        convert_v1beta1_topology(s.endpoints[i], problems_, "endpoints[" + std::to_string(i) + "]");
      s.api_version = "discovery.k8s.io/v1";
    }
  };
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
  o.value = std::move(result);
  o.problems = std::move(problems_);
  problems_.clear();
  doc_.objects.push_back(std::move(o));
  sr_ = endpoint_slice_raw{};
  s4_ = endpoint_slice_v4{};
  s6_ = endpoint_slice_v6{};
  sf_ = endpoint_slice_fqdn{};
  mode_ = slice_mode::raw;
}

inline void reader::finish_endpoints() {
  decoded_object o;
  o.location = location_;
  o.document = document_index_;
  o.watch_type = watch_type_;
  o.value = std::move(ep_);
  o.problems = std::move(problems_);
  problems_.clear();
  doc_.objects.push_back(std::move(o));
  ep_ = endpoints{};
}

}  // namespace detail
}  // namespace epslice
