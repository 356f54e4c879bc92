// SPDX-License-Identifier: Apache-2.0
// address_list<T>: an endpoint's addresses, the first one held inline.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace epslice {

/// The addresses of an endpoint. Nearly every endpoint has exactly one address (Kubernetes
/// consumers use only the first), so the list keeps its first element inside the object and moves
/// to the heap only from the second on: an endpoint with one address costs no allocation, and
/// reading its address touches no other memory. Like nullable_vector it remembers whether an empty
/// list was nil (`null`) or empty (`[]`); equality compares that too.
///
/// The interface is std::vector's where an address list needs it: iterators are pointers (a
/// contiguous range), and growing invalidates them, as with std::vector. T must be nothrow
/// move-constructible (every address type is). At most 2^32-1 elements.
template <class T>
class address_list {
  static_assert(std::is_nothrow_move_constructible_v<T> && std::is_nothrow_destructible_v<T>,
                "address_list needs an element type that moves without throwing");

 public:
  using value_type = T;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;
  using reverse_iterator = std::reverse_iterator<iterator>;
  using const_reverse_iterator = std::reverse_iterator<const_iterator>;

  address_list() noexcept : heap_(nullptr) {}
  address_list(std::initializer_list<T> items) : address_list() { append(items.begin(), items.end()); }
  template <std::input_iterator It>
  address_list(It first, It last) : address_list() {
    append(first, last);
  }
  /// From a std::vector (implicit, as nullable_vector's): a non-empty list is not nil.
  address_list(const std::vector<T>& v) : address_list(v.begin(), v.end()) {}  // NOLINT: implicit by design
  address_list(std::vector<T>&& v) : address_list(std::make_move_iterator(v.begin()), std::make_move_iterator(v.end())) {}  // NOLINT
  address_list(const address_list& o) : address_list() {
    append(o.begin(), o.end());
    nil_ = o.nil_;
  }
  address_list(address_list&& o) noexcept : address_list() { take(o); }
  ~address_list() { release(); }

  address_list& operator=(const address_list& o) {
    if (this != &o) {
      address_list copy(o);
      release();
      take(copy);
    }
    return *this;
  }
  address_list& operator=(address_list&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  address_list& operator=(std::initializer_list<T> items) {
    address_list copy(items);
    release();
    take(copy);
    return *this;
  }

  // ---- access --------------------------------------------------------------------------------------
  [[nodiscard]] T* data() noexcept { return cap_ > 1 ? heap_ : std::addressof(one_); }
  [[nodiscard]] const T* data() const noexcept { return cap_ > 1 ? heap_ : std::addressof(one_); }
  [[nodiscard]] iterator begin() noexcept { return data(); }
  [[nodiscard]] iterator end() noexcept { return data() + size_; }
  [[nodiscard]] const_iterator begin() const noexcept { return data(); }
  [[nodiscard]] const_iterator end() const noexcept { return data() + size_; }
  [[nodiscard]] const_iterator cbegin() const noexcept { return begin(); }
  [[nodiscard]] const_iterator cend() const noexcept { return end(); }
  [[nodiscard]] reverse_iterator rbegin() noexcept { return reverse_iterator(end()); }
  [[nodiscard]] reverse_iterator rend() noexcept { return reverse_iterator(begin()); }
  [[nodiscard]] const_reverse_iterator rbegin() const noexcept { return const_reverse_iterator(end()); }
  [[nodiscard]] const_reverse_iterator rend() const noexcept { return const_reverse_iterator(begin()); }

  [[nodiscard]] size_type size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] size_type capacity() const noexcept { return cap_; }
  [[nodiscard]] static constexpr size_type max_size() noexcept { return std::numeric_limits<std::uint32_t>::max(); }

  [[nodiscard]] T& operator[](size_type i) noexcept { return data()[i]; }
  [[nodiscard]] const T& operator[](size_type i) const noexcept { return data()[i]; }
  [[nodiscard]] T& at(size_type i) {
    if (i >= size_) throw std::out_of_range("address_list::at: index out of range");
    return data()[i];
  }
  [[nodiscard]] const T& at(size_type i) const {
    if (i >= size_) throw std::out_of_range("address_list::at: index out of range");
    return data()[i];
  }
  [[nodiscard]] T& front() noexcept { return data()[0]; }
  [[nodiscard]] const T& front() const noexcept { return data()[0]; }
  [[nodiscard]] T& back() noexcept { return data()[size_ - 1]; }
  [[nodiscard]] const T& back() const noexcept { return data()[size_ - 1]; }

  // ---- nil -----------------------------------------------------------------------------------------
  /// True when the list is empty and was (or is to be written as) `null`.
  [[nodiscard]] bool is_nil() const noexcept { return nil_ && size_ == 0; }
  /// Mark the list as nil (`null`); clears it.
  void set_nil() noexcept {
    clear();
    nil_ = true;
  }
  /// Mark the list as empty-but-present (`[]`) when it is empty.
  void set_empty_not_nil() noexcept { nil_ = false; }

  // ---- changes -------------------------------------------------------------------------------------
  void reserve(size_type n) {
    if (n > cap_) reallocate(n);
  }
  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size_ < cap_) {
      T* at = std::construct_at(data() + size_, std::forward<Args>(args)...);
      ++size_;
      return *at;
    }
    // Build the new element first: the arguments may refer to an element of this list.
    const size_type want = grown(size_ + size_type{1});
    T* fresh = allocate(want);
    try {
      std::construct_at(fresh + size_, std::forward<Args>(args)...);
    } catch (...) {
      std::allocator<T>().deallocate(fresh, want);
      throw;
    }
    adopt(fresh, want);
    ++size_;
    return fresh[size_ - 1];
  }
  void push_back(const T& v) { emplace_back(v); }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  void pop_back() noexcept { std::destroy_at(data() + --size_); }
  /// Remove every element (the capacity stays; the nil flag is unchanged).
  void clear() noexcept {
    std::destroy(begin(), end());
    size_ = 0;
  }
  /// Grow with value-initialised elements or shrink to `n` elements.
  void resize(size_type n) {
    while (size_ > n) pop_back();
    reserve(n);
    while (size_ < n) emplace_back();
  }
  iterator insert(const_iterator pos, const T& v) { return emplace(pos, v); }
  iterator insert(const_iterator pos, T&& v) { return emplace(pos, std::move(v)); }
  template <class... Args>
  iterator emplace(const_iterator pos, Args&&... args) {
    const auto at = pos - begin();
    emplace_back(std::forward<Args>(args)...);
    std::rotate(begin() + at, end() - 1, end());
    return begin() + at;
  }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    const auto from = first - cbegin(), count = last - first;
    if (count > 0) {
      T* out = std::move(begin() + from + count, end(), begin() + from);
      std::destroy(out, end());
      size_ -= static_cast<std::uint32_t>(count);
    }
    return begin() + from;
  }
  template <std::input_iterator It>
  void assign(It first, It last) {
    address_list copy(first, last);
    copy.nil_ = nil_;
    release();
    take(copy);
  }
  void assign(std::initializer_list<T> items) { assign(items.begin(), items.end()); }
  void swap(address_list& o) noexcept {
    address_list t(std::move(o));
    o = std::move(*this);
    *this = std::move(t);
  }
  friend void swap(address_list& a, address_list& b) noexcept { a.swap(b); }

  friend bool operator==(const address_list& a, const address_list& b) {
    return a.is_nil() == b.is_nil() && std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  [[nodiscard]] static T* allocate(size_type n) { return std::allocator<T>().allocate(n); }

  [[nodiscard]] size_type grown(size_type need) const {
    if (need > max_size()) throw std::length_error("address_list: too many elements");
    return std::min<size_type>(max_size(), std::max<size_type>(need, std::max<size_type>(4, size_type{cap_} * 2)));
  }

  // Move the elements into `fresh` (capacity `cap`) and make it the storage.
  void adopt(T* fresh, size_type cap) noexcept {
    T* old = data();
    for (std::uint32_t i = 0; i < size_; ++i) {
      std::construct_at(fresh + i, std::move(old[i]));
      std::destroy_at(old + i);
    }
    if (cap_ > 1) std::allocator<T>().deallocate(heap_, cap_);
    heap_ = fresh;
    cap_ = static_cast<std::uint32_t>(cap);
  }

  void reallocate(size_type n) {
    if (n > max_size()) throw std::length_error("address_list: too many elements");
    adopt(allocate(n), n);
  }

  template <class It>
  void append(It first, It last) {
    if constexpr (std::forward_iterator<It>) reserve(static_cast<size_type>(std::distance(first, last)));
    try {
      for (; first != last; ++first) emplace_back(*first);
    } catch (...) {
      release();
      throw;
    }
    if (size_ > 0) nil_ = false;
  }

  // Destroy the elements and free the heap storage: back to an empty inline list.
  void release() noexcept {
    clear();
    if (cap_ > 1) std::allocator<T>().deallocate(heap_, cap_);
    heap_ = nullptr;
    cap_ = 1;
  }

  // Take o's contents (this list is released); o is left empty, inline, its nil flag unchanged.
  void take(address_list& o) noexcept {
    nil_ = o.nil_;
    if (o.cap_ > 1) {
      heap_ = o.heap_;
      cap_ = o.cap_;
      size_ = o.size_;
      o.heap_ = nullptr;
      o.cap_ = 1;
      o.size_ = 0;
      return;
    }
    if (o.size_ == 1) {
      std::construct_at(std::addressof(one_), std::move(o.one_));
      std::destroy_at(std::addressof(o.one_));
      o.size_ = 0;
      size_ = 1;
    }
  }

  union {
    T one_;    // the element, while cap_ == 1 and size_ == 1
    T* heap_;  // the elements, while cap_ > 1
  };
  std::uint32_t size_ = 0;
  std::uint32_t cap_ = 1;
  bool nil_ = true;  // a default-constructed list is nil, as a Go nil slice is
};

}  // namespace epslice
