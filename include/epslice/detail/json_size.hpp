// SPDX-License-Identifier: Apache-2.0
// Exact compact JSON sizes of endpoints and slices, in agreement with json_writer.hpp's encoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "../address.hpp"
#include "../types.hpp"
#include "json_writer.hpp"

namespace epslice::detail {

/// The compact JSON size of a slice as write_endpoint_slice() encodes it, encoded into `buffer`
/// (cleared first; reused between calls so that measuring allocates nothing once it has grown).
template <class F>
[[nodiscard]] std::size_t encoded_json_size(const basic_endpoint_slice<F>& s, std::string& buffer) {
  buffer.clear();
  write_endpoint_slice(buffer, s);
  return buffer.size();
}

/// The size of `"key":` as object_writer writes it: a comma before every member but the first.
[[nodiscard]] constexpr std::size_t json_key_size(std::string_view key, bool first) noexcept {
  return key.size() + 3 + (first ? 0 : 1);
}

/// The decimal length of an octet.
[[nodiscard]] constexpr std::size_t octet_digits(std::uint8_t v) noexcept { return v >= 100 ? 3 : v >= 10 ? 2 : 1; }

/// The exact compact JSON size of one endpoint as write_endpoint() encodes it. It is computed
/// without writing when no string needs an escape and the endpoint has no hints, deprecated
/// topology or unknown fields (the fields an endpoint written by the controller has); otherwise
/// the endpoint is encoded into `buffer`. The field order and the omitted fields follow
/// write_endpoint(): a change there must be made here too (the tests compare both on every field
/// and escape).
template <class F>
[[nodiscard]] std::size_t endpoint_json_size(const basic_endpoint<F>& e, std::string& buffer) {
  const auto encoded = [&] {
    buffer.clear();
    write_endpoint(buffer, e);
    return buffer.size();
  };
  if (e.hints || !e.deprecated_topology.empty() || !e.extra.empty() || (e.target_ref && !e.target_ref->extra.empty()))
    return encoded();
  std::uint64_t care = 0;  // non-zero when some string needs an escape: then encode instead
  const auto text = [&care](std::string_view v) {
    care |= json_care_bits(v);
    return v.size() + 2;
  };
  std::size_t n = 2 + json_key_size("addresses", true);
  if (e.addresses.is_nil()) {
    n += 4;
  } else {
    n += 2 + (e.addresses.empty() ? 0 : e.addresses.size() - 1);
    for (const auto& a : e.addresses) {
      if constexpr (std::is_same_v<F, ipv4>) {
        n += 5 + octet_digits(a.bytes[0]) + octet_digits(a.bytes[1]) + octet_digits(a.bytes[2]) + octet_digits(a.bytes[3]);
      } else if constexpr (std::is_same_v<F, ipv6>) {
        buffer.clear();
        F::format(buffer, a);
        n += buffer.size() + 2;
      } else {
        n += text(a);
      }
    }
  }
  n += json_key_size("conditions", false) + 2;
  {
    bool first = true;
    const auto cond = [&](std::string_view k, const std::optional<bool>& v) {
      if (!v) return;
      n += json_key_size(k, first) + (*v ? 4 : 5);
      first = false;
    };
    cond("ready", e.conditions.ready);
    cond("serving", e.conditions.serving);
    cond("terminating", e.conditions.terminating);
  }
  if (e.hostname) n += json_key_size("hostname", false) + text(*e.hostname);
  if (e.target_ref) {
    const object_reference& r = *e.target_ref;
    n += json_key_size("targetRef", false) + 2;
    bool first = true;
    const auto field = [&](std::string_view k, const std::string& v) {
      if (v.empty()) return;
      n += json_key_size(k, first) + text(v);
      first = false;
    };
    field("kind", r.kind);
    field("namespace", r.namespace_);
    field("name", r.name);
    field("uid", r.uid);
    field("apiVersion", r.api_version);
    field("resourceVersion", r.resource_version);
    field("fieldPath", r.field_path);
  }
  if (e.node_name) n += json_key_size("nodeName", false) + text(*e.node_name);
  if (e.zone) n += json_key_size("zone", false) + text(*e.zone);
  return care == 0 ? n : encoded();
}

/// The compact JSON size of a slice whose endpoint list is not nil, given the size of the slice
/// with an empty list (`header`) and the sizes of its `count` endpoints (`endpoint_bytes`): the
/// endpoints go between the brackets, with a comma between two.
[[nodiscard]] constexpr std::size_t slice_json_size(std::size_t header, std::size_t count, std::size_t endpoint_bytes) noexcept {
  return header + endpoint_bytes + (count > 0 ? count - 1 : 0);
}

}  // namespace epslice::detail
