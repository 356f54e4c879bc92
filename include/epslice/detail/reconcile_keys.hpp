// SPDX-License-Identifier: Apache-2.0
// Endpoint identity, "equal beyond identity", port-set keys and the identity index (reconcile internals).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "../address.hpp"
#include "../types.hpp"
#include "flat_index.hpp"

namespace epslice::detail {

/// The last 1 to 7 bytes of a string as one word, with fixed-size loads (a variable-length copy
/// is a library call): two overlapping 4-byte words, or the first, middle and last byte; 0 when
/// there are none. For a given count, different bytes give different words.
[[nodiscard]] inline std::uint64_t tail_word(const char* p, std::size_t rest) noexcept {
  if (rest >= 4) {
    std::uint32_t lo = 0, hi = 0;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + rest - 4, 4);
    return lo | (static_cast<std::uint64_t>(hi) << 32);
  }
  if (rest == 0) return 0;
  const auto byte = [p](std::size_t at) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[at])); };
  return byte(0) | byte(rest / 2) << 8 | byte(rest - 1) << 16;
}

/// Hash a byte string (8 bytes at a time, finished with mix64). Never formats anything.
[[nodiscard]] inline std::uint64_t hash_bytes(std::string_view s, std::uint64_t seed) noexcept {
  std::uint64_t h = mix64(seed ^ (s.size() * 0x9E3779B97F4A7C15ULL));
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, s.data() + i, 8);
    h = mix64(h ^ chunk) + 0x632BE59BD9B4E019ULL;
  }
  if (i < s.size()) h = mix64(h ^ tail_word(s.data() + i, s.size() - i) ^ 0xA0761D6478BD642FULL);
  return h;
}

/// Hash of one address of a typed family.
template <class Address>
[[nodiscard]] std::uint64_t hash_address(const Address& a) noexcept {
  if constexpr (std::is_same_v<Address, std::string>) {
    return hash_bytes(a, 0x51ED270B27A3A2F1ULL);
  } else {
    return mix64(static_cast<std::uint64_t>(std::hash<Address>{}(a)) ^ 0x2545F4914F6CDD1DULL);
  }
}

[[nodiscard]] inline std::string_view target_ref_namespace(const heap_optional<object_reference>& r) noexcept {
  return r ? std::string_view(r->namespace_) : std::string_view();
}
[[nodiscard]] inline std::string_view target_ref_name(const heap_optional<object_reference>& r) noexcept {
  return r ? std::string_view(r->name) : std::string_view();
}

/// Fold a byte string into a running hash: one multiply per 8 bytes, the length in the last
/// step (so that consecutive fields cannot run into each other). Never formats anything.
[[nodiscard]] inline std::uint64_t fold_bytes(std::uint64_t h, std::string_view s) noexcept {
  constexpr std::uint64_t k = 0x9E3779B97F4A7C15ULL;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t chunk = 0;
    std::memcpy(&chunk, s.data() + i, 8);
    h = (h ^ chunk) * k;
    h ^= h >> 29;
  }
  const std::uint64_t tail = tail_word(s.data() + i, s.size() - i);
  h = (h ^ tail ^ (static_cast<std::uint64_t>(s.size()) << 56)) * k;
  return h ^ (h >> 29);
}

/// The inline part of an endpoint's identity folded into a running hash: the multiset of addresses
/// (order does not matter, as upstream sorts them first) and the hostname (nil == "").
template <class F>
[[nodiscard]] std::uint64_t fold_inline_identity(const basic_endpoint<F>& e) noexcept {
  std::uint64_t h = 0;
  if (e.addresses.size() == 1) {
    h = hash_address(e.addresses[0]);
  } else {
    std::uint64_t sum = 0;
    for (const auto& a : e.addresses) sum += mix64(hash_address(a));
    h = sum + e.addresses.size() * 0xD6E8FEB86659FD93ULL;
  }
  return fold_bytes(h, e.hostname ? std::string_view(*e.hostname) : std::string_view());
}

/// The identity hash of an endpoint (upstream's hashEndpoint, staging/src/k8s.io/endpointslice/
/// util/endpointset.go): addresses, hostname, and the targetRef's namespace and name.
template <class F>
[[nodiscard]] std::uint64_t endpoint_identity_hash(const basic_endpoint<F>& e) noexcept {
  std::uint64_t h = fold_inline_identity(e);
  h = fold_bytes(h, target_ref_namespace(e.target_ref));
  h = fold_bytes(h, target_ref_name(e.target_ref));
  return mix64(h);
}

/// A coarser identity hash: addresses and hostname only. Equal identities give equal values, and
/// computing it reads nothing outside the endpoint object when there is no hostname (the target
/// reference lives on the heap, a cache miss per endpoint in large groups).
template <class F>
[[nodiscard]] std::uint64_t endpoint_address_hash(const basic_endpoint<F>& e) noexcept {
  return mix64(fold_inline_identity(e));
}

/// Two endpoints have the same identity (full comparison behind endpoint_identity_hash).
template <class F>
[[nodiscard]] bool same_endpoint_identity(const basic_endpoint<F>& a, const basic_endpoint<F>& b) {
  const std::string_view ha = a.hostname ? std::string_view(*a.hostname) : std::string_view();
  const std::string_view hb = b.hostname ? std::string_view(*b.hostname) : std::string_view();
  if (ha != hb) return false;
  if (target_ref_namespace(a.target_ref) != target_ref_namespace(b.target_ref)) return false;
  if (target_ref_name(a.target_ref) != target_ref_name(b.target_ref)) return false;
  const std::size_t n = a.addresses.size();
  if (n != b.addresses.size()) return false;
  if (n == 1) return a.addresses[0] == b.addresses[0];
  // Multiset comparison; an endpoint has few addresses (at most 100 by validation).
  std::vector<bool> used(n, false);
  for (const auto& x : a.addresses) {
    bool matched = false;
    for (std::size_t k = 0; k < n; ++k) {
      if (!used[k] && b.addresses[k] == x) {
        used[k] = true;
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

/// Object references equal in every field but resourceVersion (nil equals only nil).
[[nodiscard]] inline bool target_refs_equal_ignoring_version(const heap_optional<object_reference>& a,
                                                             const heap_optional<object_reference>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->kind == b->kind && a->namespace_ == b->namespace_ && a->name == b->name && a->uid == b->uid &&
         a->api_version == b->api_version && a->field_path == b->field_path && a->extra == b->extra;
}

/// Upstream's EndpointsEqualBeyondHash: node name, zone, the three conditions (nil differs from
/// set) and targetRef ignoring resourceVersion. Hints are not compared.
template <class F>
[[nodiscard]] bool endpoints_equal_beyond_identity(const basic_endpoint<F>& a, const basic_endpoint<F>& b) {
  return a.node_name == b.node_name && a.zone == b.zone && a.conditions == b.conditions &&
         target_refs_equal_ignoring_version(a.target_ref, b.target_ref);
}

[[nodiscard]] inline std::uint64_t hash_optional_string(const std::optional<std::string>& s, std::uint64_t seed) noexcept {
  return s ? hash_bytes(*s, seed) : mix64(seed * 0x9E3779B97F4A7C15ULL + 7);
}

/// Hash of one port: name, protocol, port, appProtocol, nil distinguished from empty.
[[nodiscard]] inline std::uint64_t port_hash(const endpoint_port& p) noexcept {
  std::uint64_t h = hash_optional_string(p.name, 11);
  h = mix64(h ^ hash_optional_string(p.protocol, 12));
  h = mix64(h ^ (p.port ? static_cast<std::uint64_t>(static_cast<std::uint32_t>(*p.port)) + 1 : 0));
  h = mix64(h ^ hash_optional_string(p.app_protocol, 13));
  return h;
}

[[nodiscard]] inline bool same_port(const endpoint_port& a, const endpoint_port& b) noexcept {
  return a.name == b.name && a.protocol == b.protocol && a.port == b.port && a.app_protocol == b.app_protocol;
}

/// The port-set key (upstream's NewPortMapKey, staging/src/k8s.io/endpointslice/util/
/// controller_utils.go): an order-insensitive multiset of ports; nil == empty.
[[nodiscard]] inline std::uint64_t port_set_hash(const std::vector<endpoint_port>& ports) noexcept {
  std::uint64_t sum = 0;
  for (const auto& p : ports) sum += mix64(port_hash(p));
  return mix64(sum ^ (ports.size() * 0xC2B2AE3D27D4EB4FULL));
}

/// Full comparison behind port_set_hash.
[[nodiscard]] inline bool same_port_set(const std::vector<endpoint_port>& a, const std::vector<endpoint_port>& b) {
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const auto& x : a) {
    bool matched = false;
    for (std::size_t k = 0; k < b.size(); ++k) {
      if (!used[k] && same_port(b[k], x)) {
        used[k] = true;
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

/// The identity index of a group of endpoints: from key to the group's 32-bit record numbers.
///
/// Keys start as endpoint_address_hash(), so that building the index of a large group reads only
/// the endpoint objects. Two endpoints with the same addresses and hostname but different target
/// references share a key; that is rare (a reused IP), but input could make a group of thousands.
/// When an insertion passes more than `crowd_limit` entries with its key (and another identity),
/// the index is "crowded", and settle() re-keys it by the full endpoint_identity_hash(). Runs of
/// equal keys only grow by insertion, so no lookup passes more than about crowd_limit of them and
/// no input makes the index quadratic. Results never depend on the keying, only the time does;
/// lookups write nothing (const use from several threads is safe).
template <class F>
class identity_index {
 public:
  using endpoint_type = basic_endpoint<F>;
  static constexpr std::uint32_t npos = flat_index::npos;
  static constexpr std::uint32_t crowd_limit = 16;

  /// Empty the index and prepare room for `expected` entries (the keying is kept).
  void reserve(std::size_t expected) { index_.reserve(expected); }
  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }
  /// True once the index keys entries by the full identity hash.
  [[nodiscard]] bool full_keys() const noexcept { return full_; }

  /// The key of `e` under the current keying (stale once settle() has re-keyed the index).
  [[nodiscard]] std::uint64_t key(const endpoint_type& e) const noexcept {
    return full_ ? endpoint_identity_hash(e) : endpoint_address_hash(e);
  }
  void prefetch(std::uint64_t k) const noexcept { index_.prefetch(k); }

  /// The value of an entry with key `k` for which `same(value)` holds, or npos.
  template <class Same>
  [[nodiscard]] std::uint32_t find(std::uint64_t k, Same&& same) const {
    return index_.find(k, std::forward<Same>(same));
  }
  /// Insert (k, v) unless an entry for which `same(value)` holds exists; returns the value stored.
  /// Call settle() before the next lookup.
  template <class Same>
  std::uint32_t insert(std::uint64_t k, std::uint32_t v, Same&& same) {
    std::uint32_t misses = 0;
    const std::uint32_t at = index_.insert(k, v, counting(same, misses));
    if (misses > crowd_limit && !full_) crowded_ = true;
    return at;
  }
  /// Remove the entry (k, v) if present.
  void erase(std::uint64_t k, std::uint32_t v) { index_.erase(k, v); }  // may shrink (allocates)

  /// When crowded, re-key every entry by its full identity (`endpoint_of(v)` is the endpoint of
  /// value v). Keys computed before are then stale (full_keys() tells which keying is current).
  template <class EndpointOf>
  void settle(EndpointOf&& endpoint_of) {
    if (!crowded_ || full_) return;
    full_ = true;
    crowded_ = false;
    index_.rekey([&](std::uint32_t v) { return endpoint_identity_hash(endpoint_of(v)); });
  }

 private:
  template <class Same>
  static auto counting(Same& same, std::uint32_t& misses) {
    return [&same, &misses](std::uint32_t v) {
      if (same(v)) return true;
      ++misses;
      return false;
    };
  }
  flat_index index_;
  bool full_ = false;
  bool crowded_ = false;
};

/// The keys of a run of endpoints in an identity_index, each computed `ahead` positions early with
/// its index entry prefetched, so that a large group does not wait on a cache miss per endpoint.
/// Keys computed before the index re-keyed itself (settle()) are computed again.
template <class F>
class lookahead_keys {
 public:
  static constexpr std::size_t ahead = 8;

  lookahead_keys(const identity_index<F>& index, std::span<const basic_endpoint<F>> endpoints)
      : index_(index), endpoints_(endpoints), full_(index.full_keys()) {
    for (std::size_t i = 0; i < ahead; ++i) load(i);
  }

  /// The key of endpoint i; call it for every i in turn, from 0.
  [[nodiscard]] std::uint64_t next(std::size_t i) noexcept {
    if (index_.full_keys() != full_) {
      full_ = index_.full_keys();
      for (std::size_t k = i; k < i + ahead; ++k) load(k);
    }
    const std::uint64_t key = keys_[i % ahead];
    load(i + ahead);
    return key;
  }

 private:
  void load(std::size_t i) noexcept {
    if (i >= endpoints_.size()) return;
    keys_[i % ahead] = index_.key(endpoints_[i]);
    index_.prefetch(keys_[i % ahead]);
  }

  const identity_index<F>& index_;
  std::span<const basic_endpoint<F>> endpoints_;
  bool full_;
  std::uint64_t keys_[ahead] = {};
};

}  // namespace epslice::detail
