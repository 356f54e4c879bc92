// SPDX-License-Identifier: Apache-2.0
// flat_index: an open-addressing index from hashes to 32-bit values whose keys the caller keeps
// (the reconciler's endpoint identities, the endpoint cache's slice names).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace epslice::detail {

/// An index from 64-bit hashes to 32-bit values (linear probing, backward-shift deletion, at most
/// half full, shrinking when under an eighth). Each entry is 8 bytes: the low half of the hash
/// (the tag) and the value. The keys stay with the caller: a lookup walks the entries from the
/// tag's home and, where a tag matches, asks the caller whether that value is the one sought.
/// Insertions may move entries; values are what the caller holds on to.
class flat_index {
 public:
  static constexpr std::uint32_t npos = 0xffffffffU;

  flat_index() = default;
  explicit flat_index(std::size_t expected) { reserve(expected); }

  /// Empty the index and prepare room for `expected` entries without growing.
  void reserve(std::size_t expected) {
    std::size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;
    entries_.assign(cap, entry{});
    size_ = 0;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Bytes held, for memory reports.
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return entries_.capacity() * sizeof(entry); }

  /// The value of an entry filed under `h` for which `same(value)` holds, or npos.
  template <class Same>
  [[nodiscard]] std::uint32_t find(std::uint64_t h, Same&& same) const {
    if (entries_.empty()) return npos;
    const auto tag = static_cast<std::uint32_t>(h);
    const std::size_t mask = entries_.size() - 1;
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
      const entry& e = entries_[i];
      if (e.value == npos) return npos;
      if (e.tag == tag && same(e.value)) return e.value;
    }
  }

  /// File `v` under `h` unless an entry for which `same(value)` holds is there; returns the value
  /// now filed for that key (`v`, or the one found).
  template <class Same>
  std::uint32_t insert(std::uint64_t h, std::uint32_t v, Same&& same) {
    if ((size_ + 1) * 2 > entries_.size()) resize(entries_.empty() ? 16 : entries_.size() * 2);
    const auto tag = static_cast<std::uint32_t>(h);
    const std::size_t mask = entries_.size() - 1;
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
      entry& e = entries_[i];
      if (e.value == npos) {
        e = entry{tag, v};
        ++size_;
        return v;
      }
      if (e.tag == tag && same(e.value)) return e.value;
    }
  }
  /// File `v` under `h`, known to be absent.
  void insert_new(std::uint64_t h, std::uint32_t v) {
    if ((size_ + 1) * 2 > entries_.size()) resize(entries_.empty() ? 16 : entries_.size() * 2);
    place(entry{static_cast<std::uint32_t>(h), v});
    ++size_;
  }

  /// Remove the entry (h, v) if present.
  void erase(std::uint64_t h, std::uint32_t v) {
    if (entries_.empty()) return;
    const std::size_t mask = entries_.size() - 1;
    std::size_t hole = static_cast<std::uint32_t>(h) & mask;
    for (;; hole = (hole + 1) & mask) {
      if (entries_[hole].value == npos) return;
      if (entries_[hole].value == v) break;
    }
    for (std::size_t j = (hole + 1) & mask; entries_[j].value != npos; j = (j + 1) & mask) {
      // The entry at j may fill the hole unless its home is cyclically within (hole, j].
      const std::size_t home = entries_[j].tag & mask;
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (stays) continue;
      entries_[hole] = entries_[j];
      hole = j;
    }
    entries_[hole] = entry{};
    --size_;
    if (entries_.size() > 16 && size_ * 8 < entries_.size()) resize(entries_.size() / 4);
  }

  /// Hint that `h` is looked up or inserted soon (loads its home entry into the cache).
  void prefetch(std::uint64_t h) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
    if (!entries_.empty()) __builtin_prefetch(entries_.data() + (static_cast<std::uint32_t>(h) & (entries_.size() - 1)));
#else
    (void)h;
#endif
  }

  /// File every value again under `rehash(value)`.
  template <class Rehash>
  void rekey(Rehash&& rehash) {
    std::vector<entry> old(entries_.size());
    old.swap(entries_);
    for (const entry& e : old)
      if (e.value != npos) place(entry{static_cast<std::uint32_t>(rehash(e.value)), e.value});
  }

 private:
  struct entry {
    std::uint32_t tag = 0;
    std::uint32_t value = npos;
  };

  void place(entry e) noexcept {
    const std::size_t mask = entries_.size() - 1;
    std::size_t i = e.tag & mask;
    while (entries_[i].value != npos) i = (i + 1) & mask;
    entries_[i] = e;
  }
  void resize(std::size_t capacity) {
    std::vector<entry> old(capacity < 16 ? 16 : capacity);
    old.swap(entries_);
    for (const entry& e : old)
      if (e.value != npos) place(e);
  }

  std::vector<entry> entries_;
  std::size_t size_ = 0;
};

}  // namespace epslice::detail
