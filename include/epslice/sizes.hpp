// SPDX-License-Identifier: Apache-2.0
// Exact serialized sizes: Kubernetes JSON and the API server's protobuf, objects and watch events.
//
// JSON sizes are the byte counts of the encoder in detail/json_writer.hpp (the bytes `encode()`
// writes). Protobuf bytes are computed from the field numbers of Kubernetes' generated.proto files
// (discovery.k8s.io/v1, core/v1, meta/v1, runtime) and the presence rules of Kubernetes' generated
// Go marshallers; no protobuf library is involved.
//
// What the API server sends to a protobuf client (`application/vnd.kubernetes.protobuf`), and what
// this header counts:
//
//   object   = "k8s\0" Unknown
//   Unknown  = typeMeta(1): TypeMeta{apiVersion(1), kind(2)}   (the object's apiVersion and kind)
//              raw(2): the object's own message
//              contentEncoding(3): "" and contentType(4): ""  (always present, empty)
//
// so an object costs its message plus 4 + (2 + |TypeMeta|) + (1 + varint(|message|)) + 2 + 2 bytes:
// 47 + varint(|message|) for a discovery.k8s.io/v1 EndpointSlice, 26 + varint(|message|) for a v1
// Endpoints object.
// A watch stream frames each event: protobuf as a 4-byte big-endian length followed by
// WatchEvent{type(1): "ADDED"|"MODIFIED"|"DELETED", object(2): RawExtension{raw(1): object}}; JSON as
// `{"type":"MODIFIED","object":<object>}` and a newline.
//
// Wire rules followed (proto2 as Kubernetes generates it): fields in field-number order; a Go value
// field (string, int, nested struct) is always written, empty or zero included; a Go pointer field
// only when set; repeated fields one entry each; maps as entries {key(1), value(2)} in byte-wise key
// order; varints as unsigned LEB128, negative int32/int64 sign-extended to ten bytes. A zero
// creationTimestamp is an empty message; a set one is Timestamp{seconds(1), nanos(2) = 0}.
//
// What is counted:
// - Every field the model holds. The ObjectMeta fields it keeps as JSON text in `object_meta::extra`
//   (selfLink, deletionGracePeriodSeconds, finalizers, managedFields) are read from that text and
//   counted too, as Go's decoder reads them (null is Go's zero value; a value of the wrong JSON type
//   is an epslice::error naming the field, as the API server would refuse the object).
// - kind and apiVersion as the API server sends them: the object's own, also when encode() leaves
//   them out (type fields a List item inherits from its List), and those of the C++ type
//   (EndpointSlice, discovery.k8s.io/v1; Endpoints, v1) when the object has none.
// - Unknown fields (those Kubernetes' types do not have) are in the JSON sizes, which measure the
//   object as given, and not in the protobuf sizes, which cannot carry them. The API server drops
//   them, so an object as it is stored and sent has none.
// The server-set fields (uid, resourceVersion, generation, creationTimestamp, managedFields) are
// counted when the object carries them; simulate.hpp adds them to the objects it measures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "detail/json_writer.hpp"
#include "detail/utf8.hpp"
#include "error.hpp"
#include "time.hpp"
#include "types.hpp"

namespace epslice {

/// etcd's default request size limit (`--max-request-bytes`, 1.5 MiB): an object whose stored form
/// approaches it can no longer be written.
inline constexpr std::size_t etcd_request_limit = 1572864;

/// The kind of a watch event.
enum class watch_event_type : std::uint8_t {
  added,     ///< `ADDED`: a create
  modified,  ///< `MODIFIED`: an update
  deleted,   ///< `DELETED`: a delete, carrying the object's last state
  bookmark,  ///< `BOOKMARK`: a resourceVersion the watch has reached; its object is not a state
  error,     ///< `ERROR`: the watch failed; its object is a Status (e.g. 410 Gone)
};

/// `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR`.
[[nodiscard]] constexpr std::string_view to_string(watch_event_type t) noexcept {
  switch (t) {
    case watch_event_type::added: return "ADDED";
    case watch_event_type::modified: return "MODIFIED";
    case watch_event_type::deleted: return "DELETED";
    case watch_event_type::bookmark: return "BOOKMARK";
    case watch_event_type::error: return "ERROR";
  }
  return "ADDED";
}

/// The sizes of one object in both encodings.
struct object_sizes {
  std::size_t json = 0;      ///< compact Kubernetes JSON
  std::size_t protobuf = 0;  ///< protobuf with the server's envelope (`k8s\0` + runtime.Unknown)
  friend bool operator==(const object_sizes&, const object_sizes&) = default;
};

namespace detail::pb {

/// Bytes of `v` as a varint.
[[nodiscard]] constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>(static_cast<unsigned char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out += static_cast<char>(static_cast<unsigned char>(v));
}

// Wire types: 0 varint, 2 length-delimited.
[[nodiscard]] constexpr std::uint64_t tag(std::uint32_t field, std::uint32_t wire) noexcept {
  return (static_cast<std::uint64_t>(field) << 3) | wire;
}

/// A sink that only counts bytes.
struct sizer {
  std::size_t n = 0;
  void varint(std::uint32_t field, std::uint64_t v) noexcept { n += varint_size(tag(field, 0)) + varint_size(v); }
  void bytes(std::uint32_t field, std::string_view s) noexcept {
    n += varint_size(tag(field, 2)) + varint_size(s.size()) + s.size();
  }
  template <class Body>
  void message(std::uint32_t field, Body&& body) {
    sizer inner;
    body(inner);
    n += varint_size(tag(field, 2)) + varint_size(inner.n) + inner.n;
  }
};

/// A sink that writes the bytes. A nested message is sized first, then written.
struct writer {
  std::string& out;
  void varint(std::uint32_t field, std::uint64_t v) {
    put_varint(out, tag(field, 0));
    put_varint(out, v);
  }
  void bytes(std::uint32_t field, std::string_view s) {
    put_varint(out, tag(field, 2));
    put_varint(out, s.size());
    out.append(s.data(), s.size());
  }
  template <class Body>
  void message(std::uint32_t field, Body&& body) {
    sizer s;
    body(s);
    put_varint(out, tag(field, 2));
    put_varint(out, s.n);
    body(*this);
  }
};

template <class Sink, class Optional>  // std::optional<std::string> or heap_optional<std::string>
void optional_string(Sink& s, std::uint32_t field, const Optional& v) {
  if (v) s.bytes(field, *v);
}
template <class Sink>
void optional_bool(Sink& s, std::uint32_t field, const std::optional<bool>& v) {
  if (v) s.varint(field, *v ? 1 : 0);
}
// int32 and int64 go on the wire as their 64-bit two's complement (negative values take ten bytes).
[[nodiscard]] constexpr std::uint64_t int_bits(std::int64_t v) noexcept { return static_cast<std::uint64_t>(v); }

template <class Sink>
void string_map_entries(Sink& s, std::uint32_t field, const string_map& m) {
  for (const auto& kv : m)  // not a structured binding: clang 14 cannot capture one in a lambda
    s.message(field, [&](auto& e) {
      e.bytes(1, kv.first);
      e.bytes(2, kv.second);
    });
}

template <class Sink>
void time_fields(Sink& s, std::string_view text) {
  // Only whole seconds go on the wire (Kubernetes' Time drops nanoseconds); the zero time (year 1)
  // is an empty message.
  const auto secs = epslice::rfc3339_seconds(text);
  if (!secs || *secs == -62135596800) return;
  s.varint(1, int_bits(*secs));
  s.varint(2, 0);
}

template <class Sink>
void owner_reference_fields(Sink& s, const owner_reference& r) {
  s.bytes(1, r.kind);
  s.bytes(3, r.name);
  s.bytes(4, r.uid);
  s.bytes(5, r.api_version);
  optional_bool(s, 6, r.controller);
  optional_bool(s, 7, r.block_owner_deletion);
}

// ---- ObjectMeta fields kept as JSON text ---------------------------------------------------------

/// One managedFields entry as Go decodes it: strings default to "", `time` and `fieldsV1` are
/// pointers (absent or null: not written).
struct managed_fields_entry_view {
  std::string manager;
  std::string operation;
  std::string api_version;
  std::optional<std::string> time;
  std::string fields_type;
  std::optional<std::string_view> fields_v1;  ///< the raw JSON text, which is what Raw holds
  std::string subresource;
};

/// The ObjectMeta fields of generated.proto that object_meta keeps in `extra`.
struct meta_extra {
  std::string self_link;
  std::optional<std::int64_t> deletion_grace_period_seconds;
  std::vector<std::string> finalizers;
  std::vector<managed_fields_entry_view> managed_fields;
};

/// A reader of one JSON value kept in `extra` (compact as the decoder captured it, though
/// whitespace is accepted). Errors name the field; the path is built only when one is thrown.
class extra_value_reader {
 public:
  extra_value_reader(std::string_view text, std::string_view field) : text_(text), field_(field) {}

  /// True (and the literal consumed) when the next value is null.
  [[nodiscard]] bool null() {
    skip_ws();
    if (text_.substr(at_, 4) != "null") return false;
    at_ += 4;
    return true;
  }
  [[nodiscard]] char peek() {
    skip_ws();
    return at_ < text_.size() ? text_[at_] : '\0';
  }
  [[nodiscard]] bool eat(char c) {
    if (peek() != c) return false;
    ++at_;
    return true;
  }
  void expect(char c, std::string_view sub, std::size_t index = npos) {
    if (!eat(c)) fail(sub, index, "not JSON: expected '" + std::string(1, c) + "'");
  }
  void end() {
    if (peek() != '\0') fail({}, npos, "not JSON: unexpected text after the value");
  }

  /// A JSON string, unescaped as Go does (a lone surrogate becomes U+FFFD).
  [[nodiscard]] std::string string(std::string_view sub = {}, std::size_t index = npos) {
    if (peek() != '"') fail(sub, index, "must be a string");
    ++at_;
    std::string out;
    for (;;) {
      const std::size_t stop = text_.find_first_of("\"\\", at_);
      if (stop == std::string_view::npos) fail(sub, index, "not JSON: unterminated string");
      out.append(text_.data() + at_, stop - at_);
      at_ = stop + 1;
      if (text_[stop] == '"') return out;
      if (at_ >= text_.size()) fail(sub, index, "not JSON: unterminated string");
      const char e = text_[at_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4(sub, index);
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(at_, 2) == "\\u") {
            const std::size_t save = at_;
            at_ += 2;
            const std::uint32_t low = hex4(sub, index);
            if (low >= 0xDC00 && low <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else at_ = save;  // the next escape stands on its own
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
          append_utf8(out, cp);
          break;
        }
        default: fail(sub, index, "not JSON: invalid escape");
      }
    }
  }

  /// A JSON string or null (Go's "").
  [[nodiscard]] std::string nullable_string(std::string_view sub = {}, std::size_t index = npos) {
    return null() ? std::string() : string(sub, index);
  }

  /// A JSON integer that fits an int64 (Go refuses fractions and exponents for integer fields).
  [[nodiscard]] std::int64_t int64(std::string_view sub = {}) {
    skip_ws();
    const bool negative = at_ < text_.size() && text_[at_] == '-';
    std::size_t i = at_ + (negative ? 1 : 0);
    const std::size_t first = i;
    std::uint64_t v = 0;
    const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    for (; i < text_.size() && text_[i] >= '0' && text_[i] <= '9'; ++i) {
      const auto digit = static_cast<std::uint64_t>(text_[i] - '0');
      if (v > (limit - digit) / 10) fail(sub, npos, "must be an integer that fits 64 bits");
      v = v * 10 + digit;
    }
    if (i == first || (i < text_.size() && (text_[i] == '.' || text_[i] == 'e' || text_[i] == 'E')))
      fail(sub, npos, "must be an integer");
    at_ = i;
    return negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
  }

  /// Any JSON value, returned as its text. Nesting is followed with a counter, not recursion, so
  /// that no depth can exhaust the stack.
  [[nodiscard]] std::string_view value(std::string_view sub = {}, std::size_t index = npos) {
    skip_ws();
    const std::size_t start = at_;
    std::size_t depth = 0;
    do {
      if (at_ >= text_.size()) fail(sub, index, "not JSON: unexpected end");
      const char c = text_[at_];
      if (c == '"') {
        (void)string(sub, index);
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
        ++at_;
      } else if (c == '}' || c == ']') {
        if (depth == 0) fail(sub, index, "not JSON: unexpected '" + std::string(1, c) + "'");
        --depth;
        ++at_;
      } else if (depth > 0) {
        ++at_;  // separators, whitespace and scalars inside a container
      } else {
        while (at_ < text_.size() && std::string_view(",}] \t\r\n").find(text_[at_]) == std::string_view::npos)
          ++at_;
        if (at_ == start) fail(sub, index, "not JSON: missing value");
      }
    } while (depth > 0);
    return text_.substr(start, at_ - start);
  }

  /// Throws epslice::error at `metadata.<field>[index].<sub>`.
  [[noreturn]] void fail(std::string_view sub, std::size_t index, const std::string& reason) const {
    std::string path = "metadata.";
    path += field_;
    if (index != npos) path += "[" + std::to_string(index) + "]";
    if (!sub.empty()) {
      path += '.';
      path += sub;
    }
    throw_error(std::move(path), reason);
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  void skip_ws() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r'))
      ++at_;
  }
  std::uint32_t hex4(std::string_view sub, std::size_t index) {
    if (text_.size() - at_ < 4) fail(sub, index, "not JSON: invalid \\u escape");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[at_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else fail(sub, index, "not JSON: invalid \\u escape");
    }
    return v;
  }

  std::string_view text_;
  std::string_view field_;
  std::size_t at_ = 0;
};

inline managed_fields_entry_view read_managed_fields_entry(extra_value_reader& r, std::size_t index) {
  managed_fields_entry_view e;
  if (r.null()) return e;  // Go's zero entry
  if (r.peek() != '{') r.fail({}, index, "must be an object");
  r.expect('{', {}, index);
  if (r.eat('}')) return e;
  do {
    const std::string key = r.string({}, index);
    r.expect(':', key, index);
    // Keys are matched case-sensitively, as the API server's decoder does; a repeated key keeps
    // its last value; keys ManagedFieldsEntry does not have are dropped.
    if (key == "manager") e.manager = r.nullable_string(key, index);
    else if (key == "operation") e.operation = r.nullable_string(key, index);
    else if (key == "apiVersion") e.api_version = r.nullable_string(key, index);
    else if (key == "fieldsType") e.fields_type = r.nullable_string(key, index);
    else if (key == "subresource") e.subresource = r.nullable_string(key, index);
    else if (key == "time") {
      if (r.null()) {
        e.time.reset();
      } else {
        e.time = r.string(key, index);
        if (!epslice::rfc3339_seconds(*e.time)) r.fail(key, index, "not an RFC 3339 time: " + quote_value(*e.time));
      }
    } else if (key == "fieldsV1") {
      if (r.null()) e.fields_v1.reset();
      else e.fields_v1 = r.value(key, index);
    } else {
      (void)r.value(key, index);
    }
  } while (r.eat(','));
  r.expect('}', {}, index);
  return e;
}

/// The ObjectMeta fields of generated.proto kept in `extra`, read from their JSON text (the last
/// of repeated keys wins). Throws epslice::error when a value is not what Go's decoder accepts.
[[nodiscard]] inline meta_extra read_meta_extra(const unknown_fields& extra) {
  meta_extra x;
  for (const auto& f : extra) {
    if (f.key == "selfLink") {
      extra_value_reader r(f.json, f.key);
      x.self_link = r.nullable_string();
      r.end();
    } else if (f.key == "deletionGracePeriodSeconds") {
      extra_value_reader r(f.json, f.key);
      if (r.null()) x.deletion_grace_period_seconds.reset();
      else x.deletion_grace_period_seconds = r.int64();
      r.end();
    } else if (f.key == "finalizers") {
      extra_value_reader r(f.json, f.key);
      x.finalizers.clear();
      if (!r.null()) {
        if (r.peek() != '[') r.fail({}, extra_value_reader::npos, "must be a list of strings");
        r.expect('[', {});
        if (!r.eat(']')) {
          do x.finalizers.push_back(r.nullable_string({}, x.finalizers.size()));
          while (r.eat(','));
          r.expect(']', {});
        }
      }
      r.end();
    } else if (f.key == "managedFields") {
      extra_value_reader r(f.json, f.key);
      x.managed_fields.clear();
      if (!r.null()) {
        if (r.peek() != '[') r.fail({}, extra_value_reader::npos, "must be a list of objects");
        r.expect('[', {});
        if (!r.eat(']')) {
          do x.managed_fields.push_back(read_managed_fields_entry(r, x.managed_fields.size()));
          while (r.eat(','));
          r.expect(']', {});
        }
      }
      r.end();
    } else if (f.key == "creationTimestamp" || f.key == "deletionTimestamp") {
      // Kept here only when not given as a string: null is Go's zero time, anything else Go refuses.
      extra_value_reader r(f.json, f.key);
      if (!r.null()) r.fail({}, extra_value_reader::npos, "must be an RFC 3339 time string or null");
      r.end();
    }
  }
  return x;
}

template <class Sink>
void managed_fields_entry_fields(Sink& s, const managed_fields_entry_view& e) {
  s.bytes(1, e.manager);
  s.bytes(2, e.operation);
  s.bytes(3, e.api_version);
  if (e.time) s.message(4, [&](auto& t) { time_fields(t, *e.time); });
  s.bytes(6, e.fields_type);
  if (e.fields_v1)
    s.message(7, [&](auto& f) {
      if (!e.fields_v1->empty()) f.bytes(1, *e.fields_v1);
    });
  s.bytes(8, e.subresource);
}

template <class Sink>
void object_meta_fields(Sink& s, const object_meta& m) {
  const meta_extra x = m.extra.empty() ? meta_extra{} : read_meta_extra(m.extra);
  s.bytes(1, m.name);
  s.bytes(2, m.generate_name);
  s.bytes(3, m.namespace_);
  s.bytes(4, x.self_link);
  s.bytes(5, m.uid);
  s.bytes(6, m.resource_version);
  s.varint(7, int_bits(m.generation));
  s.message(8, [&](auto& t) {
    if (m.creation_timestamp) time_fields(t, *m.creation_timestamp);
  });
  if (m.deletion_timestamp) s.message(9, [&](auto& t) { time_fields(t, *m.deletion_timestamp); });
  if (x.deletion_grace_period_seconds) s.varint(10, int_bits(*x.deletion_grace_period_seconds));
  string_map_entries(s, 11, m.labels);
  string_map_entries(s, 12, m.annotations);
  for (const auto& r : m.owner_references) s.message(13, [&](auto& o) { owner_reference_fields(o, r); });
  for (const auto& f : x.finalizers) s.bytes(14, f);
  for (const auto& e : x.managed_fields) s.message(17, [&](auto& w) { managed_fields_entry_fields(w, e); });
}

template <class Sink>
void object_reference_fields(Sink& s, const object_reference& r) {
  s.bytes(1, r.kind);
  s.bytes(2, r.namespace_);
  s.bytes(3, r.name);
  s.bytes(4, r.uid);
  s.bytes(5, r.api_version);
  s.bytes(6, r.resource_version);
  s.bytes(7, r.field_path);
}

template <class Sink, class F>
void endpoint_fields(Sink& s, const basic_endpoint<F>& e, std::string& scratch) {
  for (const auto& a : e.addresses) {
    scratch.clear();
    F::format(scratch, a);
    s.bytes(1, scratch);
  }
  s.message(2, [&](auto& c) {
    optional_bool(c, 1, e.conditions.ready);
    optional_bool(c, 2, e.conditions.serving);
    optional_bool(c, 3, e.conditions.terminating);
  });
  optional_string(s, 3, e.hostname);
  if (e.target_ref) s.message(4, [&](auto& r) { object_reference_fields(r, *e.target_ref); });
  string_map_entries(s, 5, e.deprecated_topology);
  optional_string(s, 6, e.node_name);
  optional_string(s, 7, e.zone);
  if (e.hints)
    s.message(8, [&](auto& h) {
      for (const auto& z : e.hints->for_zones) h.message(1, [&](auto& x) { x.bytes(1, z.name); });
      for (const auto& n : e.hints->for_nodes) h.message(2, [&](auto& x) { x.bytes(1, n.name); });
    });
}

template <class Sink>
void endpoint_port_fields(Sink& s, const endpoint_port& p) {
  optional_string(s, 1, p.name);
  optional_string(s, 2, p.protocol);
  if (p.port) s.varint(3, int_bits(*p.port));
  optional_string(s, 4, p.app_protocol);
}

template <class Sink, class F>
void endpoint_slice_fields(Sink& s, const basic_endpoint_slice<F>& slice) {
  std::string scratch;
  s.message(1, [&](auto& m) { object_meta_fields(m, slice.metadata); });
  for (const auto& e : slice.endpoints) s.message(2, [&](auto& x) { endpoint_fields(x, e, scratch); });
  for (const auto& p : slice.ports) s.message(3, [&](auto& x) { endpoint_port_fields(x, p); });
  s.bytes(4, address_type_name(slice));
}

template <class Sink>
void endpoint_address_fields(Sink& s, const endpoint_address& a) {
  s.bytes(1, a.ip);
  if (a.target_ref) s.message(2, [&](auto& r) { object_reference_fields(r, *a.target_ref); });
  s.bytes(3, a.hostname);
  optional_string(s, 4, a.node_name);
}

template <class Sink>
void endpoints_port_fields(Sink& s, const endpoints_port& p) {
  s.bytes(1, p.name);
  s.varint(2, int_bits(p.port));
  s.bytes(3, p.protocol);
  optional_string(s, 4, p.app_protocol);
}

template <class Sink>
void endpoint_subset_fields(Sink& s, const endpoint_subset& sub) {
  for (const auto& a : sub.addresses) s.message(1, [&](auto& x) { endpoint_address_fields(x, a); });
  for (const auto& a : sub.not_ready_addresses) s.message(2, [&](auto& x) { endpoint_address_fields(x, a); });
  for (const auto& p : sub.ports) s.message(3, [&](auto& x) { endpoints_port_fields(x, p); });
}

template <class Sink>
void endpoints_fields(Sink& s, const endpoints& e) {
  s.message(1, [&](auto& m) { object_meta_fields(m, e.metadata); });
  for (const auto& sub : e.subsets) s.message(2, [&](auto& x) { endpoint_subset_fields(x, sub); });
}

template <class Sink, class T>
void object_fields(Sink& s, const T& x) {
  if constexpr (std::is_same_v<T, endpoints>)
    endpoints_fields(s, x);
  else
    endpoint_slice_fields(s, x);
}

inline constexpr std::string_view magic{"k8s\0", 4};

}  // namespace detail::pb

// ---------------------------------------------------------------------------------------------
// JSON

/// The kind the API server sends an object with: its own, or that of its C++ type when it has none.
template <class T>
[[nodiscard]] std::string_view sent_kind(const T& x) noexcept {
  if (!x.kind.empty()) return x.kind;
  return std::is_same_v<T, endpoints> ? std::string_view("Endpoints") : std::string_view("EndpointSlice");
}
/// The apiVersion the API server sends an object with: its own, or that of its C++ type when it
/// has none.
template <class T>
[[nodiscard]] std::string_view sent_api_version(const T& x) noexcept {
  if (!x.api_version.empty()) return x.api_version;
  return std::is_same_v<T, endpoints> ? std::string_view("v1") : std::string_view("discovery.k8s.io/v1");
}

namespace detail {

// Bytes of the `"kind":...,` and `"apiVersion":...,` members that `written` (an object encode()
// wrote, whose type members come first when it writes them) lacks: the API server always sends
// both, while encode() leaves out empty ones and, for fmt's exact round trip, inherited ones.
[[nodiscard]] inline std::size_t missing_type_members(std::string_view written, std::string_view kind,
                                                      std::string_view api_version) {
  std::size_t at = 1, missing = 0;  // after the `{`
  std::string member;
  for (const auto& [key, value] : {std::pair{std::string_view("kind"), kind}, std::pair{std::string_view("apiVersion"), api_version}}) {
    member.assign(1, '"');
    member += key;
    member += "\":";
    write_json_string(member, value);
    if (written.compare(at, member.size(), member) == 0) at += member.size() + 1;  // and its comma
    else missing += member.size() + 1;
  }
  return missing;
}

}  // namespace detail

/// Exact bytes of a slice's compact Kubernetes JSON as the API server sends it: the bytes json.hpp's
/// encode() writes, plus kind and apiVersion when encode() leaves them out (see sent_kind,
/// sent_api_version). Unknown fields are counted as given. Does not throw except std::bad_alloc.
template <class F>
[[nodiscard]] std::size_t json_size(const basic_endpoint_slice<F>& s) {
  std::string out;
  detail::write_endpoint_slice(out, s);
  return out.size() + detail::missing_type_members(out, sent_kind(s), sent_api_version(s));
}
/// json_size() for a slice of any family.
[[nodiscard]] inline std::size_t json_size(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) { return json_size(x); }, s);
}
/// json_size() for a legacy Endpoints object.
[[nodiscard]] inline std::size_t json_size(const endpoints& e) {
  std::string out;
  detail::write_endpoints(out, e);
  return out.size() + detail::missing_type_members(out, sent_kind(e), sent_api_version(e));
}

// ---------------------------------------------------------------------------------------------
// Protobuf

/// Append the protobuf message of a slice (no envelope) to `out`. Throws epslice::error when an
/// ObjectMeta field kept as JSON text is not what Go's decoder accepts (see the header comment).
template <class F>
void protobuf_message_to(std::string& out, const basic_endpoint_slice<F>& s) {
  detail::pb::writer w{out};
  detail::pb::endpoint_slice_fields(w, s);
}
/// Append the protobuf message of a legacy Endpoints object (no envelope) to `out`.
inline void protobuf_message_to(std::string& out, const endpoints& e) {
  detail::pb::writer w{out};
  detail::pb::endpoints_fields(w, e);
}

/// The protobuf message of an object (no envelope): a slice of any typed or raw family, or Endpoints.
template <class T>
[[nodiscard]] std::string protobuf_message(const T& x) {
  std::string out;
  protobuf_message_to(out, x);
  return out;
}

/// protobuf_message() for a slice of any family.
[[nodiscard]] inline std::string protobuf_message(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) { return protobuf_message(x); }, s);
}

/// Bytes of protobuf_message(x), computed without writing them.
template <class T>
[[nodiscard]] std::size_t protobuf_message_size(const T& x) {
  detail::pb::sizer s;
  detail::pb::object_fields(s, x);
  return s.n;
}
/// protobuf_message_size() for a slice of any family.
[[nodiscard]] inline std::size_t protobuf_message_size(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) { return protobuf_message_size(x); }, s);
}

/// Bytes the envelope adds to a message of `message_size` bytes: the `k8s\0` magic and the
/// runtime.Unknown fields around it (see the header comment).
[[nodiscard]] inline std::size_t protobuf_envelope_overhead(std::string_view api_version, std::string_view kind,
                                                            std::size_t message_size) noexcept {
  using detail::pb::varint_size;
  detail::pb::sizer type_meta;
  type_meta.bytes(1, api_version);
  type_meta.bytes(2, kind);
  return detail::pb::magic.size() + 1 + varint_size(type_meta.n) + type_meta.n + 1 + varint_size(message_size) +
         2 + 2;
}

/// The bytes the API server writes for an object to a protobuf client: `k8s\0` and runtime.Unknown
/// holding the object's apiVersion and kind (sent_api_version, sent_kind), its message, and empty
/// contentEncoding/contentType. Throws as protobuf_message_to().
template <class T>
[[nodiscard]] std::string protobuf_encode(const T& x) {
  std::string out(detail::pb::magic);
  detail::pb::writer w{out};
  w.message(1, [&](auto& t) {
    t.bytes(1, sent_api_version(x));
    t.bytes(2, sent_kind(x));
  });
  w.message(2, [&](auto& m) { detail::pb::object_fields(m, x); });
  w.bytes(3, std::string_view());
  w.bytes(4, std::string_view());
  return out;
}
/// protobuf_encode() for a slice of any family.
[[nodiscard]] inline std::string protobuf_encode(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) { return protobuf_encode(x); }, s);
}

/// Bytes of protobuf_encode(x), computed without writing them.
template <class T>
[[nodiscard]] std::size_t protobuf_size(const T& x) {
  const std::size_t m = protobuf_message_size(x);
  return m + protobuf_envelope_overhead(sent_api_version(x), sent_kind(x), m);
}
/// protobuf_size() for a slice of any family.
[[nodiscard]] inline std::size_t protobuf_size(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) { return protobuf_size(x); }, s);
}

/// Both sizes of an object.
template <class T>
[[nodiscard]] object_sizes sizes_of(const T& x) {
  return object_sizes{json_size(x), protobuf_size(x)};
}

// ---------------------------------------------------------------------------------------------
// Watch events

/// Bytes of one JSON watch event carrying an object of `object_json_size` bytes:
/// `{"type":"<TYPE>","object":` + object + `}` + newline.
[[nodiscard]] constexpr std::size_t json_watch_event_size(watch_event_type t, std::size_t object_json_size) noexcept {
  return std::string_view(R"({"type":"",)").size() + to_string(t).size() + std::string_view(R"("object":})").size() +
         object_json_size + 1;
}

/// Bytes of one protobuf watch event carrying an enveloped object of `object_protobuf_size` bytes:
/// the 4-byte frame length, then WatchEvent{type(1), object(2): RawExtension{raw(1)}}.
[[nodiscard]] constexpr std::size_t protobuf_watch_event_size(watch_event_type t,
                                                              std::size_t object_protobuf_size) noexcept {
  using detail::pb::varint_size;
  const std::size_t raw_ext = 1 + varint_size(object_protobuf_size) + object_protobuf_size;
  const std::size_t type = to_string(t).size();
  return 4 + (1 + varint_size(type) + type) + (1 + varint_size(raw_ext) + raw_ext);
}

/// Both sizes of one watch event carrying an object of the given sizes.
[[nodiscard]] constexpr object_sizes watch_event_sizes(watch_event_type t, object_sizes object) noexcept {
  return object_sizes{json_watch_event_size(t, object.json), protobuf_watch_event_size(t, object.protobuf)};
}

}  // namespace epslice
