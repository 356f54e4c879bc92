// SPDX-License-Identifier: Apache-2.0
// Reconcile internals over identity.hpp: "equal beyond identity" and the identity index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include "../types.hpp"
#include "flat_index.hpp"
#include "identity.hpp"

namespace epslice::detail {

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
    const basic_endpoint<F>& e = endpoints_[i];
    keys_[i % ahead] = index_.key(e);
    index_.prefetch(keys_[i % ahead]);
#if defined(__GNUC__) || defined(__clang__)
    // Measuring the endpoint reads its strings, which may live anywhere on the heap (the key just
    // read the reference itself, so asking for its uid costs no wait).
    if (e.target_ref) __builtin_prefetch(e.target_ref->uid.data());
    if (e.node_name) __builtin_prefetch(e.node_name->data());
#endif
  }

  const identity_index<F>& index_;
  std::span<const basic_endpoint<F>> endpoints_;
  bool full_;
  std::uint64_t keys_[ahead] = {};
};

}  // namespace epslice::detail
