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
// Objects are measured as the controllers write them. Fields the model keeps only as JSON text
// (`extra`: unknown fields, managedFields, finalizers, ...) are counted by the JSON sizes and not by
// the protobuf sizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "detail/json_writer.hpp"
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

/// Seconds since the Unix epoch of an RFC 3339 time (`2024-01-01T00:00:00Z`, fraction and offset
/// allowed); nullopt when the text is not such a time.
[[nodiscard]] inline std::optional<std::int64_t> rfc3339_seconds(std::string_view t) noexcept {
  const auto digits = [&](std::size_t at, std::size_t count) -> std::optional<std::int64_t> {
    if (at + count > t.size()) return std::nullopt;
    std::int64_t v = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  const auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
             se = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !se || t.size() < 20 || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60) return std::nullopt;
  std::size_t i = 19;
  if (t[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    const auto oh = digits(i + 1, 2), om = digits(i + 4, 2);
    if (!oh || !om || i + 6 > t.size() || t[i + 3] != ':') return std::nullopt;
    offset = (*oh * 60 + *om) * 60 * (t[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
  const std::int64_t yy = *y - (*mo <= 2 ? 1 : 0);
  const std::int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  const std::int64_t yoe = yy - era * 400;
  const std::int64_t doy = (153 * (*mo + (*mo > 2 ? -3 : 9)) + 2) / 5 + *d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + *h * 3600 + *mi * 60 + *se - offset;
}

template <class Sink>
void time_fields(Sink& s, const std::string& text) {
  // Only whole seconds go on the wire (Kubernetes' Time drops nanoseconds); the zero time (year 1)
  // is an empty message.
  const auto secs = rfc3339_seconds(text);
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

template <class Sink>
void object_meta_fields(Sink& s, const object_meta& m) {
  s.bytes(1, m.name);
  s.bytes(2, m.generate_name);
  s.bytes(3, m.namespace_);
  s.bytes(4, std::string_view());  // selfLink
  s.bytes(5, m.uid);
  s.bytes(6, m.resource_version);
  s.varint(7, int_bits(m.generation));
  s.message(8, [&](auto& t) {
    if (m.creation_timestamp) time_fields(t, *m.creation_timestamp);
  });
  if (m.deletion_timestamp) s.message(9, [&](auto& t) { time_fields(t, *m.deletion_timestamp); });
  string_map_entries(s, 11, m.labels);
  string_map_entries(s, 12, m.annotations);
  for (const auto& r : m.owner_references) s.message(13, [&](auto& o) { owner_reference_fields(o, r); });
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

/// Exact bytes of the compact Kubernetes JSON of a slice (the bytes json.hpp's encode() writes).
template <class F>
[[nodiscard]] std::size_t json_size(const basic_endpoint_slice<F>& s) {
  std::string out;
  detail::write_endpoint_slice(out, s);
  return out.size();
}
/// Exact bytes of the compact Kubernetes JSON of a slice of any family.
[[nodiscard]] inline std::size_t json_size(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) { return json_size(x); }, s);
}
/// Exact bytes of the compact Kubernetes JSON of a legacy Endpoints object.
[[nodiscard]] inline std::size_t json_size(const endpoints& e) {
  std::string out;
  detail::write_endpoints(out, e);
  return out.size();
}

// ---------------------------------------------------------------------------------------------
// Protobuf

/// Append the protobuf message of a slice (no envelope) to `out`.
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
/// holding the object's apiVersion and kind, its message, and empty contentEncoding/contentType.
template <class T>
[[nodiscard]] std::string protobuf_encode(const T& x) {
  std::string out(detail::pb::magic);
  detail::pb::writer w{out};
  w.message(1, [&](auto& t) {
    t.bytes(1, x.api_version);
    t.bytes(2, x.kind);
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
  return m + protobuf_envelope_overhead(x.api_version, x.kind, m);
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
