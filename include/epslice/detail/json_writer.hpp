// SPDX-License-Identifier: Apache-2.0
// Writes Kubernetes JSON straight from the typed model: Go's field order, omitempty and escaping.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "../types.hpp"

namespace epslice::detail {

// Byte classes for Go's encoding/json string escaping (with HTML escaping on, as the API server's
// encoder has it): 0 = copy, 1 = needs an escape, 2 = lead byte of a multi-byte UTF-8 sequence.
struct escape_table {
  std::uint8_t cls[256]{};
  constexpr escape_table() {
    for (int c = 0; c < 0x20; ++c) cls[c] = 1;
    cls[static_cast<unsigned char>('"')] = 1;
    cls[static_cast<unsigned char>('\\')] = 1;
    cls[static_cast<unsigned char>('<')] = 1;
    cls[static_cast<unsigned char>('>')] = 1;
    cls[static_cast<unsigned char>('&')] = 1;
    for (int c = 0x80; c < 0x100; ++c) cls[c] = 2;
  }
};
inline constexpr escape_table json_escapes{};

inline void append_u_escape(std::string& out, unsigned cp) {
  static constexpr char hex[] = "0123456789abcdef";
  out += "\\u";
  out += hex[(cp >> 12) & 15];
  out += hex[(cp >> 8) & 15];
  out += hex[(cp >> 4) & 15];
  out += hex[cp & 15];
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;
    if (b0 == 0xF4 && b1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}

/// Word-at-a-time tests of Go's escape classes: a byte is flagged when it is >= 0x80, < 0x20 or
/// one of `"` `&` `<` `>` `\`. The zero-byte tests can also flag a byte just above a true match,
/// never one below it, and never flag a word without a match: so a word's flags are non-zero
/// exactly when it holds a byte that needs care, and its lowest flagged byte is the first such.
[[nodiscard, gnu::always_inline]] constexpr std::uint64_t json_care_flags(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const auto zero_byte = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  // A byte below 0x20 sets its high bit when 0x20 is taken from it, one from 0x80 up has it set;
  // `"` (0x22) and `&` (0x26) differ only in bit 2, `<` (0x3C) and `>` (0x3E) only in bit 1.
  return (((w - ones * 0x20) | w) & highs) | zero_byte((w | ones * 0x04) ^ (ones * '&')) |
         zero_byte((w | ones * 0x02) ^ (ones * '>')) | zero_byte(w ^ (ones * '\\'));
}

/// Non-zero exactly when some byte of `s` is not copied as it is by Go's encoder (class 0 above).
/// Branch-light: short strings are padded with a plain byte, long ones end with an overlapping
/// word, so that sizes of many strings can be summed and checked once.
[[nodiscard, gnu::always_inline]] inline std::uint64_t json_care_bits(std::string_view s) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    const std::size_t n = s.size();
    const auto byte = [&s](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])); };
    if (n < 8) {
      if (n >= 4) {  // two overlapping 4-byte loads cover the string
        std::uint32_t lo, hi;
        std::memcpy(&lo, s.data(), 4);
        std::memcpy(&hi, s.data() + n - 4, 4);
        return json_care_flags(lo | (static_cast<std::uint64_t>(hi) << 32));
      }
      if (n == 0) return 0;
      // 1 to 3 bytes: the first, middle and last, the other five bytes an 'A' (plain).
      return json_care_flags(byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16 | 0x4141414141000000ULL);
    }
    std::uint64_t w;
    std::uint64_t flags = 0;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::memcpy(&w, s.data() + i, 8);
      flags |= json_care_flags(w);
    }
    if (i < s.size()) {
      std::memcpy(&w, s.data() + s.size() - 8, 8);
      flags |= json_care_flags(w);
    }
    return flags;
  } else {
    for (const char ch : s)
      if (json_escapes.cls[static_cast<unsigned char>(ch)] != 0) return 1;
    return 0;
  }
}

/// The number of bytes at the start of `s` that Go's encoder copies as they are (class 0 above).
[[nodiscard]] inline std::size_t plain_json_prefix(std::string_view s) noexcept {
  std::size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (const std::uint64_t flagged = json_care_flags(w); flagged != 0)
        return i + static_cast<std::size_t>(std::countr_zero(flagged)) / 8;
    }
  }
  while (i < s.size() && json_escapes.cls[static_cast<unsigned char>(s[i])] == 0) ++i;
  return i;
}

/// Append `s` as a JSON string the way Go's encoding/json writes it: `"` `\` and control
/// characters escaped (\n \r \t \b \f short, others \u00XX), `<` `>` `&` as \u003c \u003e \u0026,
/// U+2028/U+2029 escaped, invalid UTF-8 replaced by \ufffd.
inline void write_json_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t start = 0;
  for (std::size_t i = plain_json_prefix(s); i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::uint8_t k = json_escapes.cls[c];
    if (k == 0) {
      i += 1 + plain_json_prefix(s.substr(i + 1));
      continue;
    }
    if (k == 2) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 3 && c == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
          (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
        out.append(s.data() + start, i - start);
        append_u_escape(out, static_cast<unsigned char>(s[i + 2]) == 0xA8 ? 0x2028u : 0x2029u);
        i += 3;
        start = i;
        continue;
      }
      if (n != 0) {
        i += n;
        continue;
      }
      out.append(s.data() + start, i - start);
      out += "\\ufffd";
      ++i;
      start = i;
      continue;
    }
    out.append(s.data() + start, i - start);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: append_u_escape(out, c); break;
    }
    ++i;
    start = i;
  }
  out.append(s.data() + start, s.size() - start);
  out += '"';
}

inline void write_int(std::string& out, std::int64_t v) {
  char buf[24];
  int n = 0;
  std::uint64_t u = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) out += '-';
  while (n > 0) out += buf[--n];
}

/// Writes the members of one JSON object, inserting commas.
class object_writer {
 public:
  explicit object_writer(std::string& out) : out_(out) { out_ += '{'; }
  object_writer(const object_writer&) = delete;
  object_writer& operator=(const object_writer&) = delete;
  ~object_writer() = default;
  void close() { out_ += '}'; }

  // `key` must be a plain ASCII key that needs no escaping (all Kubernetes field names).
  std::string& key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += key;
    out_ += "\":";
    return out_;
  }
  void string(std::string_view k, std::string_view v) { write_json_string(key(k), v); }
  void string_omitempty(std::string_view k, std::string_view v) {
    if (!v.empty()) string(k, v);
  }
  template <class Optional>  // std::optional<std::string> or heap_optional<std::string>
  void optional_string(std::string_view k, const Optional& v) {
    if (v) string(k, *v);
  }
  void boolean(std::string_view k, bool v) { key(k) += v ? "true" : "false"; }
  void optional_bool(std::string_view k, const std::optional<bool>& v) {
    if (v) boolean(k, *v);
  }
  void integer(std::string_view k, std::int64_t v) { write_int(key(k), v); }
  void raw(std::string_view k, std::string_view json) { key(k) += json; }
  // A key that may need escaping (map keys, unknown fields).
  std::string& any_key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    write_json_string(out_, k);
    out_ += ':';
    return out_;
  }

 private:
  std::string& out_;
  bool first_ = true;
};

inline void write_string_map(std::string& out, const string_map& m) {
  object_writer w(out);
  for (const auto& [k, v] : m) write_json_string(w.any_key(k), v);
  w.close();
}

inline void write_unknown(object_writer& w, const unknown_fields& extra) {
  for (const auto& f : extra) w.any_key(f.key) += f.json;
}

// The position of each ObjectMeta field in Go's struct, so that unmodelled fields kept in
// `extra` are written back where the API server writes them.
inline int object_meta_rank(std::string_view key) noexcept {
  static constexpr std::string_view order[] = {
      "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
      "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
      "annotations", "ownerReferences", "finalizers", "managedFields"};
  for (int i = 0; i < static_cast<int>(std::size(order)); ++i)
    if (order[i] == key) return i;
  return 100;
}

inline void write_owner_reference(std::string& out, const owner_reference& r) {
  object_writer w(out);
  w.string("apiVersion", r.api_version);
  w.string("kind", r.kind);
  w.string("name", r.name);
  w.string("uid", r.uid);
  w.optional_bool("controller", r.controller);
  w.optional_bool("blockOwnerDeletion", r.block_owner_deletion);
  write_unknown(w, r.extra);
  w.close();
}

inline void write_object_meta(std::string& out, const object_meta& m) {
  object_writer w(out);
  // Unmodelled fields kept in `extra` are written at their Go position; fields Go's ObjectMeta
  // does not have go last, in the order they were read.
  auto extra_at = [&](int rank) {
    for (const auto& f : m.extra)
      if (object_meta_rank(f.key) == rank) w.any_key(f.key) += f.json;
  };
  w.string_omitempty("name", m.name);
  w.string_omitempty("generateName", m.generate_name);
  w.string_omitempty("namespace", m.namespace_);
  if (!m.extra.empty()) extra_at(3);  // selfLink
  w.string_omitempty("uid", m.uid);
  w.string_omitempty("resourceVersion", m.resource_version);
  if (m.generation != 0) w.integer("generation", m.generation);
  if (m.creation_timestamp) w.string("creationTimestamp", *m.creation_timestamp);
  else if (!m.extra.empty()) extra_at(7);  // e.g. an explicit null
  if (m.deletion_timestamp) w.string("deletionTimestamp", *m.deletion_timestamp);
  else if (!m.extra.empty()) extra_at(8);
  if (!m.extra.empty()) extra_at(9);  // deletionGracePeriodSeconds
  if (!m.labels.empty()) write_string_map(w.key("labels"), m.labels);
  if (!m.annotations.empty()) write_string_map(w.key("annotations"), m.annotations);
  if (!m.owner_references.empty()) {
    std::string& o = w.key("ownerReferences");
    o += '[';
    for (std::size_t i = 0; i < m.owner_references.size(); ++i) {
      if (i) o += ',';
      write_owner_reference(o, m.owner_references[i]);
    }
    o += ']';
  }
  if (!m.extra.empty()) {
    extra_at(13);  // finalizers
    extra_at(14);  // managedFields
    extra_at(100);
  }
  w.close();
}

inline void write_object_reference(std::string& out, const object_reference& r) {
  object_writer w(out);
  w.string_omitempty("kind", r.kind);
  w.string_omitempty("namespace", r.namespace_);
  w.string_omitempty("name", r.name);
  w.string_omitempty("uid", r.uid);
  w.string_omitempty("apiVersion", r.api_version);
  w.string_omitempty("resourceVersion", r.resource_version);
  w.string_omitempty("fieldPath", r.field_path);
  write_unknown(w, r.extra);
  w.close();
}

inline void write_conditions(std::string& out, const endpoint_conditions& c) {
  object_writer w(out);
  w.optional_bool("ready", c.ready);
  w.optional_bool("serving", c.serving);
  w.optional_bool("terminating", c.terminating);
  w.close();
}

template <class Named>
inline void write_named_list(std::string& out, const std::vector<Named>& v) {
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += "{\"name\":";
    write_json_string(out, v[i].name);
    out += '}';
  }
  out += ']';
}

inline void write_hints(std::string& out, const endpoint_hints& h) {
  object_writer w(out);
  if (!h.for_zones.empty()) write_named_list(w.key("forZones"), h.for_zones);
  if (!h.for_nodes.empty()) write_named_list(w.key("forNodes"), h.for_nodes);
  write_unknown(w, h.extra);
  w.close();
}

inline void write_endpoint_port(std::string& out, const endpoint_port& p) {
  object_writer w(out);
  w.optional_string("name", p.name);
  w.optional_string("protocol", p.protocol);
  if (p.port) w.integer("port", *p.port);
  w.optional_string("appProtocol", p.app_protocol);
  write_unknown(w, p.extra);
  w.close();
}

/// A list with a nil flag (nullable_vector, address_list): `null` when nil, else an array.
template <class List, class Fn>
inline void write_nullable_list(std::string& out, const List& v, Fn&& item) {
  if (v.is_nil()) {
    out += "null";
    return;
  }
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    item(out, v[i]);
  }
  out += ']';
}

template <class F>
inline void write_endpoint(std::string& out, const basic_endpoint<F>& e) {
  object_writer w(out);
  write_nullable_list(w.key("addresses"), e.addresses, [](std::string& o, const typename F::address& a) {
    if constexpr (std::is_same_v<F, ipv4> || std::is_same_v<F, ipv6>) {
      o += '"';  // IP text never needs escaping
      F::format(o, a);
      o += '"';
    } else {
      write_json_string(o, a);
    }
  });
  write_conditions(w.key("conditions"), e.conditions);
  w.optional_string("hostname", e.hostname);
  if (e.target_ref) write_object_reference(w.key("targetRef"), *e.target_ref);
  if (!e.deprecated_topology.empty()) write_string_map(w.key("deprecatedTopology"), e.deprecated_topology);
  w.optional_string("nodeName", e.node_name);
  w.optional_string("zone", e.zone);
  if (e.hints) write_hints(w.key("hints"), *e.hints);
  write_unknown(w, e.extra);
  w.close();
}

/// Write a slice; `kind` / `api_version` false leave those fields out (fields a decoded object
/// took from its list, written back only on request).
template <class F>
inline void write_endpoint_slice(std::string& out, const basic_endpoint_slice<F>& s, bool kind = true,
                                 bool api_version = true) {
  object_writer w(out);
  if (kind) w.string_omitempty("kind", s.kind);
  if (api_version) w.string_omitempty("apiVersion", s.api_version);
  write_object_meta(w.key("metadata"), s.metadata);
  if constexpr (std::is_same_v<F, raw>) {
    // addressType has no omitempty: an absent one is written as "".
    w.string("addressType", s.address_type ? std::string_view(*s.address_type) : std::string_view());
  } else {
    w.string("addressType", F::name);
  }
  write_nullable_list(w.key("endpoints"), s.endpoints,
                      [](std::string& o, const basic_endpoint<F>& e) { write_endpoint(o, e); });
  write_nullable_list(w.key("ports"), s.ports,
                      [](std::string& o, const endpoint_port& p) { write_endpoint_port(o, p); });
  write_unknown(w, s.extra);
  w.close();
}

inline void write_endpoint_address(std::string& out, const endpoint_address& a) {
  object_writer w(out);
  w.string("ip", a.ip);
  w.string_omitempty("hostname", a.hostname);
  w.optional_string("nodeName", a.node_name);
  if (a.target_ref) write_object_reference(w.key("targetRef"), *a.target_ref);
  write_unknown(w, a.extra);
  w.close();
}

inline void write_endpoints_port(std::string& out, const endpoints_port& p) {
  object_writer w(out);
  w.string_omitempty("name", p.name);
  w.integer("port", p.port);
  w.string_omitempty("protocol", p.protocol);
  w.optional_string("appProtocol", p.app_protocol);
  write_unknown(w, p.extra);
  w.close();
}

template <class T, class Fn>
inline void write_list_omitempty(object_writer& w, std::string_view key, const std::vector<T>& v, Fn&& item) {
  if (v.empty()) return;
  std::string& o = w.key(key);
  o += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) o += ',';
    item(o, v[i]);
  }
  o += ']';
}

/// Write an Endpoints object; `kind` / `api_version` as for write_endpoint_slice.
inline void write_endpoints(std::string& out, const endpoints& e, bool kind = true, bool api_version = true) {
  object_writer w(out);
  if (kind) w.string_omitempty("kind", e.kind);
  if (api_version) w.string_omitempty("apiVersion", e.api_version);
  write_object_meta(w.key("metadata"), e.metadata);
  write_list_omitempty(w, "subsets", e.subsets, [](std::string& o, const endpoint_subset& s) {
    object_writer sw(o);
    write_list_omitempty(sw, "addresses", s.addresses, write_endpoint_address);
    write_list_omitempty(sw, "notReadyAddresses", s.not_ready_addresses, write_endpoint_address);
    write_list_omitempty(sw, "ports", s.ports, write_endpoints_port);
    write_unknown(sw, s.extra);
    sw.close();
  });
  write_unknown(w, e.extra);
  w.close();
}

}  // namespace epslice::detail
