// SPDX-License-Identifier: Apache-2.0
// The one definition of endpoint identity, port-set identity and text hashing (reconcile, topology, convert, merge).
//
// - Endpoint identity (upstream's hashEndpoint, staging/src/k8s.io/endpointslice/util/
//   endpointset.go): the multiset of addresses, the hostname (nil == ""), the targetRef's namespace
//   and name. same_endpoint_identity() decides it; endpoint_identity_hash() is its hash.
// - Port-set identity (upstream's NewPortMapKey, util/controller_utils.go): an order-insensitive
//   multiset of ports, each by name, protocol, port and appProtocol (nil distinguished from
//   empty); a nil list and an empty one are the same set. same_port_set() / port_set_hash().
// - Text: hash_bytes(), 8 bytes at a time, no allocation, no library call.
// Hashes never format anything and are the same on every run (no random seed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../address.hpp"
#include "../types.hpp"

namespace epslice::detail {

/// True when lists `a` and `b` hold the same elements under `eq`, each as often, in any order.
/// Lists in the same order are recognised in one pass; otherwise each element of `a` takes the
/// first unused equal element of `b` (quadratic: for the short lists of addresses and ports;
/// no allocation up to 64 elements).
template <class A, class B, class Eq>
[[nodiscard]] bool same_multiset(const A& a, const B& b, Eq&& eq) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  std::size_t i = 0;
  while (i < n && eq(a[i], b[i])) ++i;
  if (i == n) return true;
  const auto match_all = [&](auto&& is_used, auto&& use) {
    for (std::size_t j = i; j < n; ++j) {
      std::size_t k = i;
      while (k < n && (is_used(k) || !eq(a[j], b[k]))) ++k;
      if (k == n) return false;
      use(k);
    }
    return true;
  };
  if (n <= 64) {
    std::uint64_t used = 0;
    return match_all([&used](std::size_t k) { return ((used >> k) & 1U) != 0; },
                     [&used](std::size_t k) { used |= std::uint64_t{1} << k; });
  }
  std::vector<bool> used(n, false);
  return match_all([&used](std::size_t k) { return static_cast<bool>(used[k]); }, [&used](std::size_t k) { used[k] = true; });
}

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
  return same_multiset(a.addresses, b.addresses, std::equal_to<>());
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
  return same_multiset(a, b, [](const endpoint_port& x, const endpoint_port& y) { return same_port(x, y); });
}

/// endpoint_identity_hash() as a function object over endpoint pointers, for hash containers
/// keyed by endpoints that outlive them.
template <class F>
struct endpoint_identity_hasher {
  [[nodiscard]] std::size_t operator()(const basic_endpoint<F>* e) const noexcept {
    return static_cast<std::size_t>(endpoint_identity_hash(*e));
  }
};
/// same_endpoint_identity() as a function object over endpoint pointers.
template <class F>
struct endpoint_identity_equal {
  [[nodiscard]] bool operator()(const basic_endpoint<F>* a, const basic_endpoint<F>* b) const {
    return same_endpoint_identity(*a, *b);
  }
};

}  // namespace epslice::detail
