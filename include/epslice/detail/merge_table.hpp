// SPDX-License-Identifier: Apache-2.0
// Internals of merge.hpp: an interning pool and an open-addressing endpoint table.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../address.hpp"
#include "identity.hpp"

namespace epslice::detail {

/// Hash of a text (no allocation): identity.hpp's byte-string hash.
[[nodiscard]] inline std::uint64_t hash_text(std::string_view s) noexcept { return hash_bytes(s, 0x8EBC6AF09C88C6E3ULL); }

/// Hash of a sequence of 32-bit ids.
[[nodiscard]] inline std::uint64_t hash_ids(std::span<const std::uint32_t> ids) noexcept {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ ids.size();
  for (std::uint32_t v : ids) h = mix64(h ^ v) + 0x9e3779b97f4a7c15ULL;
  return h;
}

/// Text equality for short names, compared inline a word at a time (a call to memcmp costs
/// more than the comparison of a node name).
[[nodiscard, gnu::always_inline]] inline bool same_text(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x = 0, y = 0;
    std::memcpy(&x, a.data() + i, sizeof x);
    std::memcpy(&y, b.data() + i, sizeof y);
    if (x != y) return false;
  }
  if (i + 4 <= n) {
    std::uint32_t x = 0, y = 0;
    std::memcpy(&x, a.data() + i, sizeof x);
    std::memcpy(&y, b.data() + i, sizeof y);
    if (x != y) return false;
    i += 4;
  }
  for (; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// Traits of the two interned value kinds: text (node names, zones, port names, ...) and id
/// sequences (hint sets).
struct text_traits {
  using value_type = std::string;
  using query_type = std::string_view;
  static std::uint64_t hash(query_type q) noexcept { return hash_text(q); }
  static bool equal(const value_type& v, query_type q) noexcept { return std::string_view(v) == q; }
  static value_type make(query_type q) { return std::string(q); }
  static std::size_t heap_bytes(const value_type& v) noexcept {
    return v.capacity() > 15 ? v.capacity() + 1 : 0;  // SSO strings live inline
  }
};
struct ids_traits {
  using value_type = std::vector<std::uint32_t>;
  using query_type = std::span<const std::uint32_t>;
  static std::uint64_t hash(query_type q) noexcept { return hash_ids(q); }
  static bool equal(const value_type& v, query_type q) noexcept {
    return v.size() == q.size() && std::equal(v.begin(), v.end(), q.begin());
  }
  static value_type make(query_type q) { return value_type(q.begin(), q.end()); }
  static std::size_t heap_bytes(const value_type& v) noexcept { return v.capacity() * sizeof(std::uint32_t); }
};

/// Interning pool: each distinct value is stored once and named by a dense 32-bit id. Id 0 is the
/// empty value. Values are never released (the pool holds names, which are few).
template <class Traits>
class interner {
 public:
  using value_type = typename Traits::value_type;
  using query_type = typename Traits::query_type;
  static constexpr std::uint32_t npos = 0xffffffffU;

  interner() { (void)intern(query_type{}); }

  /// The id of `q`, adding it when new.
  [[nodiscard]] std::uint32_t intern(query_type q) {
    const std::uint64_t h = Traits::hash(q);
    if (const std::uint32_t id = find_hashed(q, h); id != npos) return id;
    if ((values_.size() + 1) * 5 > slots_.size() * 4) grow();
    const auto id = static_cast<std::uint32_t>(values_.size());
    values_.push_back(Traits::make(q));
    hashes_.push_back(h);
    place(id, h);
    return id;
  }
  /// The id of `q`, or npos when it was never interned.
  [[nodiscard]] std::uint32_t find(query_type q) const noexcept { return find_hashed(q, Traits::hash(q)); }
  /// The value of an id (precondition: the id was returned by this pool).
  [[nodiscard]] const value_type& operator[](std::uint32_t id) const noexcept { return values_[id]; }
  [[nodiscard]] std::size_t size() const noexcept { return values_.size(); }
  /// Bytes held (capacities), for memory reports.
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    std::size_t n = values_.capacity() * sizeof(value_type) + hashes_.capacity() * sizeof(std::uint64_t) +
                    slots_.capacity() * sizeof(std::uint32_t);
    for (const auto& v : values_) n += Traits::heap_bytes(v);
    return n;
  }

 private:
  [[nodiscard]] std::uint32_t find_hashed(query_type q, std::uint64_t h) const noexcept {
    if (slots_.empty()) return npos;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
      const std::uint32_t id = slots_[i];
      if (id == npos) return npos;
      if (hashes_[id] == h && Traits::equal(values_[id], q)) return id;
    }
  }
  void place(std::uint32_t id, std::uint64_t h) noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (slots_[i] != npos) i = (i + 1) & mask;
    slots_[i] = id;
  }
  void grow() {
    slots_.assign(slots_.empty() ? 16 : slots_.size() * 2, npos);
    for (std::size_t id = 0; id < values_.size(); ++id) place(static_cast<std::uint32_t>(id), hashes_[id]);
  }

  std::vector<value_type> values_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint32_t> slots_;  // open addressing over ids; npos = free
};

/// Address equality as whole words (the defaulted comparison of the byte arrays may become a
/// call to memcmp on the hottest paths).
[[nodiscard]] inline bool same_address(const ipv4_address& a, const ipv4_address& b) noexcept {
  std::uint32_t x = 0, y = 0;
  std::memcpy(&x, a.bytes.data(), sizeof x);
  std::memcpy(&y, b.bytes.data(), sizeof y);
  return x == y;
}
[[nodiscard]] inline bool same_address(const ipv6_address& a, const ipv6_address& b) noexcept {
  std::uint64_t x[2] = {}, y[2] = {};
  std::memcpy(x, a.bytes.data(), sizeof x);
  std::memcpy(y, b.bytes.data(), sizeof y);
  // The written form counts: addresses are endpoints of the same text, as upstream keys them.
  return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (a.written ^ b.written)) == 0;
}

/// Hash of an endpoint key (address, port number) without formatting it.
[[nodiscard, gnu::always_inline]] inline std::uint64_t hash_endpoint_key(const ipv4_address& a, std::int32_t port) noexcept {
  return mix64((std::uint64_t{a.to_uint()} << 32) | static_cast<std::uint32_t>(port));
}
[[nodiscard, gnu::always_inline]] inline std::uint64_t hash_endpoint_key(const ipv6_address& a, std::int32_t port) noexcept {
  std::uint64_t hi = 0, lo = 0;
  for (std::size_t k = 0; k < 8; ++k) hi = (hi << 8) | a.bytes[k];
  for (std::size_t k = 8; k < 16; ++k) lo = (lo << 8) | a.bytes[k];
  return mix64(hi ^ mix64(lo ^ (std::uint64_t{static_cast<std::uint32_t>(port)} << 7)));
}

/// One entry of an endpoint table: the key (address, port) and the winning candidate, named by
/// the slice slot and the endpoint's position in that slice's compact endpoint list, with the
/// candidate's rank (0 = serves best, see merge.hpp). 16 bytes for IPv4, 28 for IPv6.
template <class Address>
struct endpoint_slot {
  static constexpr std::uint32_t empty_slot = 0xffffffffU;  ///< the table slot is free
  static constexpr std::uint32_t no_slice = 0xfffffffeU;    ///< key kept (touched) but no candidate
  static constexpr std::uint32_t dup_bit = 0x80000000U;     ///< more candidates, see the side set
  static constexpr std::uint32_t touched_bit = 0x40000000U; ///< before-value logged since checkout
  static constexpr std::uint32_t rank_shift = 28;
  static constexpr std::uint32_t rank_mask = 0x30000000U;   ///< the candidate's rank, 0..3
  static constexpr std::uint32_t index_mask = 0x0fffffffU;

  Address address{};
  std::int32_t port = 0;
  std::uint32_t slice = empty_slot;
  std::uint32_t bits = 0;  // dup, touched, rank, endpoint index

  [[nodiscard]] bool is_free() const noexcept { return slice == empty_slot; }
  [[nodiscard]] bool has_candidate() const noexcept { return slice < no_slice; }
  [[nodiscard]] std::uint32_t index() const noexcept { return bits & index_mask; }
  [[nodiscard]] std::uint32_t rank() const noexcept { return (bits & rank_mask) >> rank_shift; }
  [[nodiscard]] bool dup() const noexcept { return (bits & dup_bit) != 0; }
  [[nodiscard]] bool touched() const noexcept { return (bits & touched_bit) != 0; }
  /// Name the winning candidate: slice slot `s`, position `i` (at most index_mask), rank `r` (0..3).
  void set_candidate(std::uint32_t s, std::uint32_t i, std::uint32_t r) noexcept {
    slice = s;
    bits = (bits & ~(index_mask | rank_mask)) | (i & index_mask) | ((r << rank_shift) & rank_mask);
  }
  /// Change the rank of the candidate already named.
  void set_rank(std::uint32_t r) noexcept { bits = (bits & ~rank_mask) | ((r << rank_shift) & rank_mask); }
};

/// Open-addressing table (linear probing, backward-shift deletion, load at most 0.8) from
/// (address, port) to an endpoint_slot. Pointers into it are invalidated by insert and erase.
template <class Address>
class endpoint_table {
 public:
  using slot_type = endpoint_slot<Address>;

  [[nodiscard]] slot_type* find(const Address& a, std::int32_t port) noexcept {
    return find(a, port, hash_endpoint_key(a, port));
  }
  /// find, given the key's hash (hash_endpoint_key).
  [[nodiscard]] slot_type* find(const Address& a, std::int32_t port, std::uint64_t hash) noexcept {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
      slot_type& s = slots_[i];
      if (s.is_free()) return nullptr;
      if (s.port == port && same_address(s.address, a)) return &s;
    }
  }
  [[nodiscard]] const slot_type* find(const Address& a, std::int32_t port) const noexcept {
    return const_cast<endpoint_table*>(this)->find(a, port);
  }
  /// The entry of the key, inserted (without candidate) when absent.
  /// One probe sequence: the table grows first when an insertion would pass the load limit.
  [[nodiscard]] slot_type& find_or_insert(const Address& a, std::int32_t port) {
    return find_or_insert(a, port, hash_endpoint_key(a, port));
  }
  /// find_or_insert, given the key's hash (hash_endpoint_key).
  [[nodiscard]] slot_type& find_or_insert(const Address& a, std::int32_t port, std::uint64_t hash) {
    if ((size_ + 1) * 5 > slots_.size() * 4) rehash(slots_.empty() ? 8 : slots_.size() * 2);
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(hash) & mask;
    for (; !slots_[i].is_free(); i = (i + 1) & mask)
      if (slots_[i].port == port && same_address(slots_[i].address, a)) return slots_[i];
    slots_[i].address = a;
    slots_[i].port = port;
    slots_[i].slice = slot_type::no_slice;
    slots_[i].bits = 0;
    ++size_;
    return slots_[i];
  }
  /// Hint that the entry of a key will be looked up soon: fetch its home slot into the CPU
  /// caches, so that several lookups can wait for memory at the same time.
  /// Always inlined: GCC takes an out-of-line function whose only effect is a prefetch for a
  /// pure one and deletes its calls.
  [[gnu::always_inline]] inline void prefetch(const Address& a, std::int32_t port) const noexcept {
    prefetch(hash_endpoint_key(a, port));
  }
  /// prefetch, given the key's hash (hash_endpoint_key). For writing: the entry is about to be
  /// edited.
  [[gnu::always_inline]] inline void prefetch(std::uint64_t hash) const noexcept {
    if (slots_.empty()) return;
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(&slots_[static_cast<std::size_t>(hash) & (slots_.size() - 1)], 1);
#else
    (void)hash;
#endif
  }
  /// Remove the entry of a key if present.
  void erase(const Address& a, std::int32_t port) noexcept {
    if (slot_type* s = find(a, port)) erase(s);
  }
  /// Remove an entry (precondition: `s` points into this table, as returned by find).
  void erase(slot_type* s) noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::size_t hole = static_cast<std::size_t>(s - slots_.data());
    for (std::size_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
      if (slots_[j].is_free()) break;
      const std::size_t home = static_cast<std::size_t>(hash_endpoint_key(slots_[j].address, slots_[j].port)) & mask;
      // Move j into the hole when its home is not in (hole, j] (cyclically).
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = slot_type{};
    --size_;
    // Shrink a table that has become mostly empty, so memory follows the service's size.
    if (slots_.size() > 8 && size_ * 10 < slots_.size()) rehash(slots_.size() / 4 < 8 ? 8 : slots_.size() / 4);
  }
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const slot_type& s : slots_)
      if (!s.is_free()) fn(s);
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return slots_.capacity() * sizeof(slot_type); }

 private:
  void rehash(std::size_t capacity) {
    std::vector<slot_type> old;
    old.swap(slots_);
    slots_.assign(capacity, slot_type{});
    slots_.shrink_to_fit();
    const std::size_t mask = capacity - 1;
    for (const slot_type& s : old) {
      if (s.is_free()) continue;
      std::size_t i = static_cast<std::size_t>(hash_endpoint_key(s.address, s.port)) & mask;
      while (!slots_[i].is_free()) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<slot_type> slots_;
  std::size_t size_ = 0;
};

}  // namespace epslice::detail
