// SPDX-License-Identifier: Apache-2.0
// The typed model: EndpointSlice (discovery.k8s.io/v1), legacy Endpoints, Service and Node views.
//
// This header does not depend on any JSON library (json.hpp adds the encoding). Field names mirror
// the Kubernetes API in snake_case; a field Kubernetes keeps as a pointer is a std::optional (or,
// for an endpoint's large and rare fields, a heap_optional), so that absent and empty stay apart
// where Kubernetes keeps them apart.
#pragma once

#include <algorithm>
#include <atomic>
#include <compare>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "address.hpp"
#include "address_list.hpp"

namespace epslice {

/// Well-known label and annotation keys and values (exact strings of the Kubernetes API).
namespace well_known {
inline constexpr std::string_view service_name_label = "kubernetes.io/service-name";
inline constexpr std::string_view managed_by_label = "endpointslice.kubernetes.io/managed-by";
inline constexpr std::string_view skip_mirror_label = "endpointslice.kubernetes.io/skip-mirror";
inline constexpr std::string_view headless_label = "service.kubernetes.io/headless";
inline constexpr std::string_view trigger_time_annotation = "endpoints.kubernetes.io/last-change-trigger-time";
inline constexpr std::string_view over_capacity_annotation = "endpoints.kubernetes.io/over-capacity";
inline constexpr std::string_view topology_mode_annotation = "service.kubernetes.io/topology-mode";
inline constexpr std::string_view topology_aware_hints_annotation = "service.kubernetes.io/topology-aware-hints";
inline constexpr std::string_view zone_label = "topology.kubernetes.io/zone";
inline constexpr std::string_view hostname_label = "kubernetes.io/hostname";
inline constexpr std::string_view endpointslice_controller = "endpointslice-controller.k8s.io";
inline constexpr std::string_view mirroring_controller = "endpointslicemirroring-controller.k8s.io";
inline constexpr std::string_view last_applied_annotation = "kubectl.kubernetes.io/last-applied-configuration";
inline constexpr std::string_view leader_annotation = "control-plane.alpha.kubernetes.io/leader";
inline constexpr std::string_view control_plane_label = "node-role.kubernetes.io/control-plane";
inline constexpr std::string_view master_label = "node-role.kubernetes.io/master";
}  // namespace well_known

/// A field the model does not know, kept as compact JSON text so that decode + encode loses
/// nothing. Encoders write unknown fields after the known ones, in the order they were read.
struct unknown_field {
  std::string key;
  std::string json;
  friend bool operator==(const unknown_field&, const unknown_field&) = default;
};
using unknown_fields = std::vector<unknown_field>;

namespace detail {
/// The box of a heap_optional: the value, the number of heap_optionals sharing it, and whether a
/// mutable reference to the value was handed out (then the box is never shared again).
template <class T>
struct shared_box {
  template <class... Args>
  explicit shared_box(Args&&... args) : value(std::forward<Args>(args)...) {}
  std::atomic<std::uint32_t> owners{1};
  bool pinned = false;
  T value;
};
/// Internal access to a heap_optional's box for code that fills a value it just made, before
/// anything copies it (the decoders): writes that do not pin the box.
struct heap_access;
}  // namespace detail

/// An optional value kept on the heap: the size of one pointer whether empty or not, with value
/// semantics and the interface of std::optional that the model uses (has_value, bool, *, ->,
/// value, value_or, emplace, reset, comparisons with nullopt, T and another heap_optional). It
/// holds fields that most objects lack or that are large, so that an endpoint stays small: moving
/// one copies a few words instead of a few hundred bytes.
///
/// Copies share the value until one of them is written (copy on write): copying an endpoint, as a
/// plan does for every endpoint it writes, costs a count increment instead of allocating and
/// copying a few strings. The count is atomic, so copies may live on different threads. Writing
/// goes through the non-const accessors (`*`, `->`, value(), emplace()), which first give this
/// heap_optional a value of its own when the box is shared; the mutable reference they return
/// stays valid as for std::optional, because a box whose value was handed out mutably is copied
/// deeply from then on. One difference from std::optional remains: a const reference to the value,
/// taken while the box is shared, keeps reading the shared value after a write through a
/// non-const accessor (which moves this heap_optional to a copy), and lives only as long as some
/// heap_optional still shares that value.
template <class T>
class heap_optional {
  using box = detail::shared_box<T>;

 public:
  using value_type = T;
  constexpr heap_optional() noexcept = default;
  constexpr heap_optional(std::nullopt_t) noexcept {}
  heap_optional(const T& v) : p_(new box(v)) {}             // NOLINT: implicit, as std::optional
  heap_optional(T&& v) : p_(new box(std::move(v))) {}       // NOLINT: implicit, as std::optional
  /// From anything T is built from (e.g. a string literal for heap_optional<std::string>).
  template <class U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
             !std::is_same_v<std::remove_cvref_t<U>, heap_optional> && !std::is_same_v<std::remove_cvref_t<U>, std::optional<T>> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t>)
  explicit(!std::is_convertible_v<U&&, T>) heap_optional(U&& v) : p_(new box(std::forward<U>(v))) {}  // NOLINT: as std::optional
  heap_optional(const std::optional<T>& v) : p_(v ? new box(*v) : nullptr) {}  // NOLINT
  heap_optional(std::optional<T>&& v) : p_(v ? new box(std::move(*v)) : nullptr) {}  // NOLINT
  heap_optional(const heap_optional& o) : p_(share(o.p_)) {}
  heap_optional(heap_optional&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ~heap_optional() { release(p_); }

  heap_optional& operator=(const heap_optional& o) {
    if (p_ != o.p_) {
      box* n = share(o.p_);
      release(p_);
      p_ = n;
    }
    return *this;
  }
  heap_optional& operator=(heap_optional&& o) noexcept {
    if (this != &o) {
      release(p_);
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  heap_optional& operator=(std::nullopt_t) noexcept {
    reset();
    return *this;
  }
  heap_optional& operator=(const T& v) {
    if (sole_owner()) p_->value = v;
    else replace(new box(v));
    return *this;
  }
  heap_optional& operator=(T&& v) {
    if (sole_owner()) p_->value = std::move(v);
    else replace(new box(std::move(v)));
    return *this;
  }
  template <class U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
             !std::is_same_v<std::remove_cvref_t<U>, heap_optional> && !std::is_same_v<std::remove_cvref_t<U>, std::optional<T>> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::nullopt_t>)
  heap_optional& operator=(U&& v) {
    return *this = T(std::forward<U>(v));
  }

  /// Replace the value with one built from `args`; returns it.
  template <class... Args>
  T& emplace(Args&&... args) {
    replace(new box(std::forward<Args>(args)...));
    p_->pinned = true;
    return p_->value;
  }
  void reset() noexcept { replace(nullptr); }

  [[nodiscard]] bool has_value() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  /// The value for writing (see the class comment: the box becomes this heap_optional's own).
  T& operator*() { return writable(); }
  const T& operator*() const noexcept { return p_->value; }
  T* operator->() { return &writable(); }
  const T* operator->() const noexcept { return &p_->value; }
  /// The value; throws std::bad_optional_access when empty.
  T& value() {
    if (!p_) throw std::bad_optional_access();
    return writable();
  }
  [[nodiscard]] const T& value() const {
    if (!p_) throw std::bad_optional_access();
    return p_->value;
  }
  template <class U>
  [[nodiscard]] T value_or(U&& fallback) const {
    return p_ ? p_->value : static_cast<T>(std::forward<U>(fallback));
  }
  /// A std::optional copy of the value (implicit, so that either kind assigns to the other).
  operator std::optional<T>() const { return p_ ? std::optional<T>(p_->value) : std::nullopt; }  // NOLINT

  friend void swap(heap_optional& a, heap_optional& b) noexcept { std::swap(a.p_, b.p_); }
  friend bool operator==(const heap_optional& a, const heap_optional& b) {
    if (a.p_ == b.p_) return true;
    if (!a.p_ || !b.p_) return false;
    return a.p_->value == b.p_->value;
  }
  friend bool operator==(const heap_optional& a, std::nullopt_t) noexcept { return !a.p_; }
  friend bool operator==(const heap_optional& a, const T& v) { return a.p_ && a.p_->value == v; }
  friend bool operator==(const heap_optional& a, const std::optional<T>& b) {
    if (!a.p_ || !b) return !a.p_ && !b;
    return a.p_->value == *b;
  }
  /// A string value compared with text (e.g. a string literal), as std::optional<std::string> does.
  template <class U>
    requires(std::is_same_v<T, std::string> && !std::is_same_v<U, T> && std::is_convertible_v<const U&, std::string_view>)
  friend bool operator==(const heap_optional& a, const U& v) {
    return a.p_ && std::string_view(a.p_->value) == std::string_view(v);
  }

 private:
  friend struct detail::heap_access;
  // A box shared far beyond any real use is copied rather than counted further.
  static constexpr std::uint32_t max_owners = 1u << 30;

  [[nodiscard]] static box* share(box* b) {
    if (!b) return nullptr;  // the common case of a rare field, decided without a call
    return share_box(b);
  }
  [[nodiscard]] static box* share_box(box* b) {
    if (b->pinned || b->owners.load(std::memory_order_relaxed) >= max_owners) return new box(b->value);
    b->owners.fetch_add(1, std::memory_order_relaxed);
    return b;
  }
  static void release(box* b) noexcept {
    if (b && b->owners.fetch_sub(1, std::memory_order_acq_rel) == 1) delete b;
  }
  [[nodiscard]] bool sole_owner() const noexcept { return p_ && p_->owners.load(std::memory_order_acquire) == 1; }
  void replace(box* n) noexcept {
    release(p_);
    p_ = n;
  }
  // The value, in a box of this heap_optional's own (copied out of a shared one), unpinned.
  T& own() {
    if (!sole_owner()) replace(new box(std::as_const(p_->value)));
    return p_->value;
  }
  T& writable() {
    T& v = own();
    p_->pinned = true;
    return v;
  }

  box* p_ = nullptr;
};

namespace detail {
struct heap_access {
  /// The value of `h` for writing without pinning its box: only for a value that is not copied
  /// while the reference is in use. `h` must hold a value.
  template <class T>
  static T& fill(heap_optional<T>& h) {
    return h.own();
  }
  /// Read the count of `h`'s value (0 when empty): a load whose only purpose is to bring the
  /// value's memory close before `h` is copied (see warm_references()).
  template <class T>
  [[nodiscard]] static std::uint32_t touch(const heap_optional<T>& h) noexcept {
    return h.p_ ? h.p_->owners.load(std::memory_order_relaxed) : 0;
  }
  /// A new value built from `args`, for filling (see fill()).
  template <class T, class... Args>
  static T& fresh(heap_optional<T>& h, Args&&... args) {
    h.replace(new typename heap_optional<T>::box(std::forward<Args>(args)...));
    return h.p_->value;
  }
};
}  // namespace detail

/// A container (a map or a list) kept on the heap and allocated only when first written to: the
/// size of one pointer while empty. Reads see the container (an empty one while nothing is
/// allocated): empty(), size(), begin()/end(), find(), count(), get(), -> on a const object, and an
/// implicit conversion to `const T&`. Writes go through edit() (or ->, [] on a non-const object),
/// which allocates on first use. It holds endpoint fields that nearly every object leaves empty
/// (deprecatedTopology, unknown fields), so that an endpoint stays small. Copies are deep; an
/// unallocated box equals an allocated empty one.
template <class T>
class heap_value {
 public:
  using value_type = T;
  using const_iterator = typename T::const_iterator;
  using size_type = typename T::size_type;

  constexpr heap_value() noexcept = default;
  heap_value(const T& v) : p_(v.empty() ? nullptr : new T(v)) {}                 // NOLINT: implicit
  heap_value(T&& v) : p_(v.empty() ? nullptr : new T(std::move(v))) {}         // NOLINT: implicit
  heap_value(std::initializer_list<typename T::value_type> il) : heap_value(T(il)) {}  // NOLINT
  heap_value(const heap_value& o) : p_(o.p_ && !o.p_->empty() ? new T(*o.p_) : nullptr) {}
  heap_value(heap_value&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ~heap_value() { delete p_; }

  heap_value& operator=(const heap_value& o) {
    if (this != &o) *this = o.get();
    return *this;
  }
  heap_value& operator=(heap_value&& o) noexcept {
    if (this != &o) {
      delete p_;
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  heap_value& operator=(const T& v) {
    if (p_) *p_ = v;
    else if (!v.empty()) p_ = new T(v);
    return *this;
  }
  heap_value& operator=(T&& v) {
    if (p_) *p_ = std::move(v);
    else if (!v.empty()) p_ = new T(std::move(v));
    return *this;
  }
  heap_value& operator=(std::initializer_list<typename T::value_type> il) { return *this = T(il); }

  /// The container (a shared empty one while nothing is allocated).
  [[nodiscard]] const T& get() const noexcept { return p_ ? *p_ : empty_value(); }
  operator const T&() const noexcept { return get(); }  // NOLINT: implicit, reads as the container
  /// The container for writing; allocated on first use.
  T& edit() {
    if (!p_) p_ = new T();
    return *p_;
  }
  const T* operator->() const noexcept { return &get(); }
  T* operator->() { return &edit(); }
  /// Map element access for writing (allocates), as T::operator[].
  template <class K>
  auto& operator[](K&& key) {
    return edit()[std::forward<K>(key)];
  }

  [[nodiscard]] bool empty() const noexcept { return !p_ || p_->empty(); }
  [[nodiscard]] size_type size() const noexcept { return p_ ? p_->size() : 0; }
  [[nodiscard]] const_iterator begin() const noexcept { return get().begin(); }
  [[nodiscard]] const_iterator end() const noexcept { return get().end(); }
  template <class K>
  [[nodiscard]] const_iterator find(const K& key) const {
    return get().find(key);
  }
  template <class K>
  [[nodiscard]] size_type count(const K& key) const {
    return get().count(key);
  }
  /// Empty the container and give its memory back.
  void clear() noexcept {
    delete p_;
    p_ = nullptr;
  }

  friend void swap(heap_value& a, heap_value& b) noexcept { std::swap(a.p_, b.p_); }
  friend bool operator==(const heap_value& a, const heap_value& b) { return a.get() == b.get(); }
  friend bool operator==(const heap_value& a, const T& b) { return a.get() == b; }

 private:
  static const T& empty_value() noexcept {
    static const T none{};  // immutable: the value every unallocated box reads as
    return none;
  }
  T* p_ = nullptr;
};

/// A string kept on the heap once non-empty: the size of one pointer while empty. It holds the
/// fields of an object reference that an endpoint nearly never sets (apiVersion,
/// resourceVersion, fieldPath), so that the reference every pod endpoint allocates stays within
/// three cache lines. It reads as the string (`const std::string&` and `std::string_view`
/// conversions, str(), empty(), size(), data(), begin()/end(), comparisons with anything that
/// converts to a string_view) and is written by assignment, assign(), edit() or clear(). Copies
/// are deep; an unallocated string equals an allocated empty one.
class heap_string {
 public:
  heap_string() noexcept = default;
  heap_string(std::string_view v) : p_(v.empty() ? nullptr : new std::string(v)) {}    // NOLINT: implicit
  heap_string(const char* v) : heap_string(std::string_view(v)) {}                      // NOLINT: implicit
  heap_string(const std::string& v) : heap_string(std::string_view(v)) {}               // NOLINT: implicit
  heap_string(std::string&& v) : p_(v.empty() ? nullptr : new std::string(std::move(v))) {}  // NOLINT: implicit
  heap_string(const heap_string& o) : heap_string(o.view()) {}
  heap_string(heap_string&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  ~heap_string() { delete p_; }

  heap_string& operator=(const heap_string& o) {
    if (this != &o) assign(o.view());
    return *this;
  }
  heap_string& operator=(heap_string&& o) noexcept {
    if (this != &o) {
      delete p_;
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  heap_string& operator=(std::string_view v) { return assign(v); }
  heap_string& operator=(const char* v) { return assign(std::string_view(v)); }
  heap_string& operator=(const std::string& v) { return assign(std::string_view(v)); }
  heap_string& operator=(std::string&& v) {
    if (p_) *p_ = std::move(v);
    else if (!v.empty()) p_ = new std::string(std::move(v));
    return *this;
  }
  heap_string& assign(std::string_view v) {
    if (p_) p_->assign(v);
    else if (!v.empty()) p_ = new std::string(v);
    return *this;
  }

  /// The string (a shared empty one while nothing is allocated).
  [[nodiscard]] const std::string& str() const noexcept { return p_ ? *p_ : empty_value(); }
  [[nodiscard]] std::string_view view() const noexcept { return p_ ? std::string_view(*p_) : std::string_view(); }
  operator const std::string&() const noexcept { return str(); }  // NOLINT: implicit, reads as the string
  operator std::string_view() const noexcept { return view(); }   // NOLINT: implicit, reads as the string
  /// The string for writing; allocated on first use.
  std::string& edit() {
    if (!p_) p_ = new std::string();
    return *p_;
  }
  /// Empty the string and give its memory back.
  void clear() noexcept {
    delete p_;
    p_ = nullptr;
  }

  [[nodiscard]] bool empty() const noexcept { return !p_ || p_->empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return p_ ? p_->size() : 0; }
  [[nodiscard]] const char* data() const noexcept { return str().data(); }
  [[nodiscard]] const char* c_str() const noexcept { return str().c_str(); }
  [[nodiscard]] std::string::const_iterator begin() const noexcept { return str().begin(); }
  [[nodiscard]] std::string::const_iterator end() const noexcept { return str().end(); }

  friend void swap(heap_string& a, heap_string& b) noexcept { std::swap(a.p_, b.p_); }
  friend bool operator==(const heap_string& a, const heap_string& b) noexcept { return a.view() == b.view(); }
  friend std::strong_ordering operator<=>(const heap_string& a, const heap_string& b) noexcept {
    return a.view() <=> b.view();
  }
  // Templates, so that a string literal or std::string compares without becoming a heap_string.
  template <class S>
    requires(!std::is_same_v<std::remove_cvref_t<S>, heap_string> && std::is_convertible_v<const S&, std::string_view>)
  friend bool operator==(const heap_string& a, const S& b) noexcept {
    return a.view() == std::string_view(b);
  }
  template <class S>
    requires(!std::is_same_v<std::remove_cvref_t<S>, heap_string> && std::is_convertible_v<const S&, std::string_view>)
  friend std::strong_ordering operator<=>(const heap_string& a, const S& b) noexcept {
    return a.view() <=> std::string_view(b);
  }

 private:
  static const std::string& empty_value() noexcept {
    static const std::string none;  // immutable: the value every unallocated string reads as
    return none;
  }
  std::string* p_ = nullptr;
};

/// A JSON list that Kubernetes writes even when nil (no `omitempty`): a std::vector that also
/// remembers whether an empty list was `null` (nil) or `[]` (empty). The flag only matters while
/// the list is empty; a non-empty list is always written as an array. Equality compares it too.
template <class T>
class nullable_vector : public std::vector<T> {
 public:
  using std::vector<T>::vector;
  nullable_vector() = default;
  nullable_vector(std::vector<T> v) : std::vector<T>(std::move(v)) {}  // NOLINT: implicit by design

  /// True when the list is empty and was (or is to be written as) `null`.
  [[nodiscard]] bool is_nil() const noexcept { return nil_ && this->empty(); }
  /// Mark the list as nil (`null`); clears it.
  void set_nil() noexcept {
    this->clear();
    nil_ = true;
  }
  /// Mark the list as empty-but-present (`[]`) when it is empty.
  void set_empty_not_nil() noexcept { nil_ = false; }

  friend bool operator==(const nullable_vector& a, const nullable_vector& b) {
    return a.is_nil() == b.is_nil() &&
           static_cast<const std::vector<T>&>(a) == static_cast<const std::vector<T>&>(b);
  }

 private:
  bool nil_ = true;  // a default-constructed list is nil, as a Go nil slice is
};

/// Labels and annotations. Ordered by key, as the Kubernetes JSON encoder writes maps.
using string_map = std::map<std::string, std::string, std::less<>>;

/// A reference to an owning object (metadata.ownerReferences[]).
struct owner_reference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
  unknown_fields extra;
  friend bool operator==(const owner_reference&, const owner_reference&) = default;
};

/// Object metadata. Keeps the fields the algorithms use and every other field it was given (in
/// `extra`, written back at its Kubernetes position), so a decoded object re-encodes unchanged.
struct object_meta {
  std::string name;
  std::string generate_name;
  std::string namespace_;  ///< `namespace` (a C++ keyword)
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::optional<std::string> creation_timestamp;  ///< RFC 3339 text, kept as given
  std::optional<std::string> deletion_timestamp;  ///< RFC 3339 text, kept as given
  string_map labels;
  string_map annotations;
  std::vector<owner_reference> owner_references;
  unknown_fields extra;  ///< selfLink, finalizers, managedFields, ... and unknown fields
  friend bool operator==(const object_meta&, const object_meta&) = default;

  /// `name`, or `generateName` followed by `*` when the object has no name yet.
  [[nodiscard]] std::string display_name() const {
    if (!name.empty() || generate_name.empty()) return name;
    return generate_name + "*";
  }
};

/// The conditions of an endpoint. nil means "unknown": consumers read nil `ready` as ready,
/// nil `serving` as serving (kube-proxy) and nil `terminating` as not terminating.
struct endpoint_conditions {
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
  friend bool operator==(const endpoint_conditions&, const endpoint_conditions&) = default;
};

/// One zone an endpoint is hinted for (`hints.forZones[].name`).
struct for_zone {
  std::string name;
  friend auto operator<=>(const for_zone&, const for_zone&) = default;
};
/// One node an endpoint is hinted for (`hints.forNodes[].name`).
struct for_node {
  std::string name;
  friend auto operator<=>(const for_node&, const for_node&) = default;
};

/// Topology hints of an endpoint.
struct endpoint_hints {
  std::vector<for_zone> for_zones;
  std::vector<for_node> for_nodes;
  unknown_fields extra;
  friend bool operator==(const endpoint_hints&, const endpoint_hints&) = default;
};

/// A reference to the object behind an endpoint (usually a Pod). Kubernetes' ObjectReference
/// fields are plain strings with omitempty: empty and absent are the same.
struct object_reference {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  heap_string api_version;       ///< on the heap: endpoints nearly never set it
  heap_string resource_version;  ///< on the heap: endpoints nearly never set it
  heap_string field_path;        ///< on the heap: endpoints nearly never set it
  heap_value<unknown_fields> extra;  ///< on the heap once written: nearly always empty
  friend bool operator==(const object_reference&, const object_reference&) = default;
};

/// A port of an EndpointSlice. nil `port` means "all ports"; nil `name` is defaulted to "" by
/// the API server, nil `protocol` to TCP.
struct endpoint_port {
  std::optional<std::string> name;
  std::optional<std::string> protocol;
  std::optional<std::int32_t> port;
  std::optional<std::string> app_protocol;
  unknown_fields extra;
  friend bool operator==(const endpoint_port&, const endpoint_port&) = default;
};

/// One endpoint of a slice of family F. Addresses are held in the family's compact form.
template <class F>
struct basic_endpoint {
  using family_type = F;
  using address_type = typename F::address;

  // The first address is held inline (address_list); [[no_unique_address]] lets the conditions
  // sit in the padding after the list's nil flag.
  [[no_unique_address]] address_list<address_type> addresses;
  [[no_unique_address]] endpoint_conditions conditions;
  heap_optional<std::string> hostname;         ///< on the heap: only StatefulSet-style pods have one
  heap_optional<object_reference> target_ref;  ///< on the heap: the reference is large
  heap_value<string_map> deprecated_topology;  ///< on the heap once written: deprecated, nearly always empty
  std::optional<std::string> node_name;
  std::optional<std::string> zone;
  heap_optional<endpoint_hints> hints;  ///< on the heap: most endpoints have none
  heap_value<unknown_fields> extra;     ///< on the heap once written: nearly always empty
  friend bool operator==(const basic_endpoint&, const basic_endpoint&) = default;
};

namespace detail {
/// The address type of a typed slice is its family; it takes no room.
struct fixed_address_type {
  friend bool operator==(const fixed_address_type&, const fixed_address_type&) = default;
};
template <class F>
struct slice_address_type_field {
  using type = fixed_address_type;
};
template <>
struct slice_address_type_field<raw> {
  using type = std::optional<std::string>;  // as given, or absent
};
}  // namespace detail

/// An EndpointSlice whose addresses are of family F (ipv4, ipv6, fqdn or raw).
template <class F>
struct basic_endpoint_slice {
  using family_type = F;
  using endpoint_type = basic_endpoint<F>;

  std::string api_version = "discovery.k8s.io/v1";
  std::string kind = "EndpointSlice";
  object_meta metadata;
  /// For typed families an empty tag (the family is the address type); for raw slices the
  /// `addressType` text as given, or nullopt when absent or empty (Go does not tell them apart).
  [[no_unique_address]] typename detail::slice_address_type_field<F>::type address_type{};
  nullable_vector<endpoint_type> endpoints;
  nullable_vector<endpoint_port> ports;
  unknown_fields extra;
  friend bool operator==(const basic_endpoint_slice&, const basic_endpoint_slice&) = default;
};

using endpoint_v4 = basic_endpoint<ipv4>;
using endpoint_v6 = basic_endpoint<ipv6>;
using endpoint_fqdn = basic_endpoint<fqdn>;
using endpoint_raw = basic_endpoint<raw>;
using endpoint_slice_v4 = basic_endpoint_slice<ipv4>;
using endpoint_slice_v6 = basic_endpoint_slice<ipv6>;
using endpoint_slice_fqdn = basic_endpoint_slice<fqdn>;
using endpoint_slice_raw = basic_endpoint_slice<raw>;

/// A slice whose address type is known only at run time.
using any_endpoint_slice =
    std::variant<endpoint_slice_v4, endpoint_slice_v6, endpoint_slice_fqdn, endpoint_slice_raw>;

/// The `addressType` text of a slice: the family's name, or the raw text (empty when absent).
template <class F>
[[nodiscard]] std::string_view address_type_name(const basic_endpoint_slice<F>& s) noexcept {
  if constexpr (std::is_same_v<F, raw>) {
    return s.address_type ? std::string_view(*s.address_type) : std::string_view();
  } else {
    return F::name;
  }
}
[[nodiscard]] inline std::string_view address_type_name(const any_endpoint_slice& s) noexcept {
  return std::visit([](const auto& x) { return address_type_name(x); }, s);
}
/// The metadata of a slice of any family.
[[nodiscard]] inline const object_meta& metadata_of(const any_endpoint_slice& s) noexcept {
  return std::visit([](const auto& x) -> const object_meta& { return x.metadata; }, s);
}

/// A Service by namespace and name, as kube-proxy names it apart from its ports; for a slice, its
/// namespace and its `kubernetes.io/service-name` label (service_of).
struct service_name {
  std::string namespace_;  ///< `namespace` (a C++ keyword)
  std::string name;
  friend auto operator<=>(const service_name&, const service_name&) = default;
  friend bool operator==(const service_name&, const service_name&) = default;
  /// `<namespace>/<name>`, as messages and kubectl name it (the name alone without a namespace).
  [[nodiscard]] std::string to_string() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
};

/// The Service named by a slice's `kubernetes.io/service-name` label (in the slice's namespace),
/// or nullopt when the label is absent or empty: such a slice belongs to no Service (kube-proxy
/// and the controllers skip it).
[[nodiscard]] inline std::optional<service_name> service_of(const object_meta& m) {
  const auto it = m.labels.find(well_known::service_name_label);
  if (it == m.labels.end() || it->second.empty()) return std::nullopt;
  return service_name{m.namespace_, it->second};
}
template <class F>
[[nodiscard]] std::optional<service_name> service_of(const basic_endpoint_slice<F>& s) {
  return service_of(s.metadata);
}
[[nodiscard]] inline std::optional<service_name> service_of(const any_endpoint_slice& s) {
  return service_of(metadata_of(s));
}

/// Slices grouped by the Service they belong to (see group_by_service).
struct service_groups {
  struct group {
    service_name service;
    std::vector<std::size_t> positions;  ///< positions in the input, in input order
  };
  std::vector<group> groups;                  ///< in order of each Service's first slice
  std::vector<std::size_t> without_service;  ///< positions of slices without a service-name label
};

/// Groups the slices of `slices` (any_endpoint_slice, a typed family, or anything `metadata(x)`
/// gives an object_meta of) by service_of, by position, so that the caller keeps its own objects.
/// Linear in the slices (one ordered lookup per slice).
template <class T, class Metadata>
[[nodiscard]] service_groups group_by_service(const std::vector<T>& slices, Metadata metadata) {
  service_groups out;
  std::map<service_name, std::size_t> index;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    auto svc = service_of(static_cast<const object_meta&>(metadata(slices[i])));
    if (!svc) {
      out.without_service.push_back(i);
      continue;
    }
    const auto [it, inserted] = index.try_emplace(*svc, out.groups.size());
    if (inserted) out.groups.push_back({std::move(*svc), {}});
    out.groups[it->second].positions.push_back(i);
  }
  return out;
}
template <class T>
[[nodiscard]] service_groups group_by_service(const std::vector<T>& slices) {
  return group_by_service(slices, [](const T& s) -> const object_meta& {
    if constexpr (std::is_same_v<T, any_endpoint_slice>) {
      return metadata_of(s);
    } else {
      return s.metadata;
    }
  });
}

/// Copy everything of a slice but its endpoints: apiVersion, kind, metadata, ports (nil or empty
/// as they are), unknown fields, and the address type when both slices are of one family.
template <class To, class From>
void copy_slice_header(const basic_endpoint_slice<From>& from, basic_endpoint_slice<To>& to) {
  to.api_version = from.api_version;
  to.kind = from.kind;
  to.metadata = from.metadata;
  to.ports = from.ports;
  to.extra = from.extra;
  if constexpr (std::is_same_v<To, From>) to.address_type = from.address_type;
}

/// Copy every field of an endpoint but its addresses (which differ in type across families).
template <class To, class From>
void copy_endpoint_fields(const basic_endpoint<From>& from, basic_endpoint<To>& to) {
  to.conditions = from.conditions;
  to.hostname = from.hostname;
  to.target_ref = from.target_ref;
  to.deprecated_topology = from.deprecated_topology;
  to.node_name = from.node_name;
  to.zone = from.zone;
  to.hints = from.hints;
  to.extra = from.extra;
}

/// The raw form of a slice: same content, addresses and address type as text.
template <class F>
[[nodiscard]] endpoint_slice_raw to_raw(const basic_endpoint_slice<F>& s) {
  if constexpr (std::is_same_v<F, raw>) {
    return s;
  } else {
    endpoint_slice_raw out;
    copy_slice_header(s, out);
    out.address_type = std::string(F::name);
    if (s.endpoints.is_nil()) out.endpoints.set_nil(); else out.endpoints.set_empty_not_nil();
    out.endpoints.reserve(s.endpoints.size());
    for (const auto& e : s.endpoints) {
      endpoint_raw r;
      if (e.addresses.is_nil()) r.addresses.set_nil(); else r.addresses.set_empty_not_nil();
      r.addresses.reserve(e.addresses.size());
      for (const auto& a : e.addresses) {
        std::string text;
        F::format(text, a);
        r.addresses.push_back(std::move(text));
      }
      copy_endpoint_fields(e, r);
      out.endpoints.push_back(std::move(r));
    }
    return out;
  }
}

/// Convert a raw slice to family F when its address type is F's and every address parses;
/// nullopt otherwise.
template <class F>
[[nodiscard]] std::optional<basic_endpoint_slice<F>> from_raw(const endpoint_slice_raw& s) {
  static_assert(is_typed_family_v<F>);
  if (!s.address_type || *s.address_type != F::name) return std::nullopt;
  basic_endpoint_slice<F> out;
  copy_slice_header(s, out);
  if (s.endpoints.is_nil()) out.endpoints.set_nil(); else out.endpoints.set_empty_not_nil();
  out.endpoints.reserve(s.endpoints.size());
  for (const auto& r : s.endpoints) {
    basic_endpoint<F> e;
    if (r.addresses.is_nil()) e.addresses.set_nil(); else e.addresses.set_empty_not_nil();
    e.addresses.reserve(r.addresses.size());
    for (const auto& text : r.addresses) {
      auto a = F::parse(text);
      if (!a) return std::nullopt;
      e.addresses.push_back(std::move(*a));
    }
    copy_endpoint_fields(r, e);
    out.endpoints.push_back(std::move(e));
  }
  return out;
}

/// The typed form of a raw slice when it has one (an address type of v1 and addresses that all
/// parse), else the raw slice itself.
[[nodiscard]] inline any_endpoint_slice to_typed(endpoint_slice_raw s) {
  if (s.address_type) {
    if (*s.address_type == ipv4::name) {
      if (auto t = from_raw<ipv4>(s)) return std::move(*t);
    } else if (*s.address_type == ipv6::name) {
      if (auto t = from_raw<ipv6>(s)) return std::move(*t);
    } else if (*s.address_type == fqdn::name) {
      if (auto t = from_raw<fqdn>(s)) return std::move(*t);
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Legacy core/v1 Endpoints.

/// One address of a legacy Endpoints subset.
struct endpoint_address {
  std::string ip;  ///< as given (Endpoints may mix families); validation checks it
  std::string hostname;
  std::optional<std::string> node_name;
  std::optional<object_reference> target_ref;
  unknown_fields extra;
  friend bool operator==(const endpoint_address&, const endpoint_address&) = default;
};

/// One port of a legacy Endpoints subset (core/v1 EndpointPort).
struct endpoints_port {
  std::string name;
  std::int32_t port = 0;
  std::string protocol;
  std::optional<std::string> app_protocol;
  unknown_fields extra;
  friend bool operator==(const endpoints_port&, const endpoints_port&) = default;
};

/// A subset: every address offers every port.
struct endpoint_subset {
  std::vector<endpoint_address> addresses;
  std::vector<endpoint_address> not_ready_addresses;
  std::vector<endpoints_port> ports;
  unknown_fields extra;
  friend bool operator==(const endpoint_subset&, const endpoint_subset&) = default;
};

/// The legacy Endpoints object of a Service: all of its addresses in one object.
struct endpoints {
  std::string api_version = "v1";
  std::string kind = "Endpoints";
  object_meta metadata;
  std::vector<endpoint_subset> subsets;
  unknown_fields extra;
  friend bool operator==(const endpoints&, const endpoints&) = default;
};

// ---------------------------------------------------------------------------------------------
// Service and Node views: only what the algorithms need. Decoding accepts and ignores the rest.

/// An int-or-string value (a Service port's targetPort).
using int_or_string = std::variant<std::int32_t, std::string>;

/// A Service port.
struct service_port {
  std::string name;
  std::string protocol = "TCP";
  std::int32_t port = 0;
  std::optional<int_or_string> target_port;
  std::optional<std::string> app_protocol;
  std::int32_t node_port = 0;
  friend bool operator==(const service_port&, const service_port&) = default;
};

/// The parts of a Service the endpoint algorithms read.
struct service {
  object_meta metadata;
  std::optional<string_map> selector;  ///< nil: no selector (slices come from elsewhere)
  std::string type;                    ///< ClusterIP, NodePort, LoadBalancer, ExternalName
  std::string cluster_ip;
  std::vector<std::string> cluster_ips;
  std::vector<std::string> ip_families;
  std::vector<service_port> ports;
  bool publish_not_ready_addresses = false;
  std::optional<std::string> traffic_distribution;
  std::optional<std::string> internal_traffic_policy;
  std::optional<std::string> external_traffic_policy;
  std::vector<std::string> external_ips;
  std::vector<std::string> load_balancer_ips;  ///< status.loadBalancer.ingress[].ip
  friend bool operator==(const service&, const service&) = default;

  /// No cluster IP: `clusterIP` empty or `None`.
  [[nodiscard]] bool is_headless() const noexcept { return cluster_ip.empty() || cluster_ip == "None"; }
};

/// The parts of a Node the topology algorithms read.
struct node {
  object_meta metadata;
  bool ready = false;  ///< a `Ready` condition with status `True`
  std::optional<std::int64_t> allocatable_cpu_millis;  ///< status.allocatable.cpu in millicores
  friend bool operator==(const node&, const node&) = default;

  /// The zone label, or empty.
  [[nodiscard]] std::string_view zone() const noexcept {
    auto it = metadata.labels.find(well_known::zone_label);
    return it == metadata.labels.end() ? std::string_view() : std::string_view(it->second);
  }
};

/// Parse a Kubernetes quantity (`4`, `3500m`, `1.5`, `2k`, `1Ki`, `5e3`, `250u`) and return it in
/// thousandths, rounded up as Kubernetes' MilliValue does. nullopt for text that is not a
/// quantity or does not fit in 64 bits.
[[nodiscard]] inline std::optional<std::int64_t> parse_quantity_millis(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    ++i;
  }
  // Mantissa digits as an exact decimal: integer digits, fraction digits.
  std::string digits;
  int frac_digits = 0;
  bool seen_dot = false, any_digit = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      any_digit = true;
      if (seen_dot) ++frac_digits;
      if (!digits.empty() || c != '0') digits += c;  // significant digits only, none dropped
    } else if (c == '.' && !seen_dot) {
      seen_dot = true;
    } else {
      break;
    }
  }
  if (!any_digit) return std::nullopt;
  // Suffix: decimal SI, binary SI, or a decimal exponent.
  const std::string_view suffix = s.substr(i);
  int exp10 = 0;        // power of ten
  std::int64_t mul = 1; // binary multiplier
  if (suffix.empty()) {
  } else if (suffix == "n") exp10 = -9;
  else if (suffix == "u") exp10 = -6;
  else if (suffix == "m") exp10 = -3;
  else if (suffix == "k") exp10 = 3;
  else if (suffix == "M") exp10 = 6;
  else if (suffix == "G") exp10 = 9;
  else if (suffix == "T") exp10 = 12;
  else if (suffix == "P") exp10 = 15;
  else if (suffix == "E") exp10 = 18;
  else if (suffix == "Ki") mul = std::int64_t{1} << 10;
  else if (suffix == "Mi") mul = std::int64_t{1} << 20;
  else if (suffix == "Gi") mul = std::int64_t{1} << 30;
  else if (suffix == "Ti") mul = std::int64_t{1} << 40;
  else if (suffix == "Pi") mul = std::int64_t{1} << 50;
  else if (suffix == "Ei") mul = std::int64_t{1} << 60;
  else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::size_t k = 1;
    bool eneg = false;
    if (k < suffix.size() && (suffix[k] == '+' || suffix[k] == '-')) {
      eneg = suffix[k] == '-';
      ++k;
    }
    if (k == suffix.size()) return std::nullopt;
    int e = 0;
    for (; k < suffix.size(); ++k) {
      if (suffix[k] < '0' || suffix[k] > '9') return std::nullopt;
      e = std::min(e * 10 + (suffix[k] - '0'), 100000);  // saturate: the result is 0, 1 or too large
    }
    exp10 = eneg ? -e : e;
  } else {
    return std::nullopt;
  }
  // value = digits * 10^(exp10 - frac_digits + 3) * mul, in millis, rounded up (away from zero
  // for the magnitude; Kubernetes rounds the scaled value up).
  const int scale = exp10 - frac_digits + 3;
  // Strip leading zeros to keep the digit count meaningful.
  if (digits.empty()) return 0;
  if (mul > 1) {
    // Exact product with the binary multiplier first, so that rounding up sees the whole value.
    std::uint64_t carry = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      const std::uint64_t x = static_cast<std::uint64_t>(*it - '0') * static_cast<std::uint64_t>(mul) + carry;
      *it = static_cast<char>('0' + x % 10);
      carry = x / 10;
    }
    for (; carry != 0; carry /= 10) digits.insert(digits.begin(), static_cast<char>('0' + carry % 10));
  }
  const std::string_view d(digits);
  constexpr std::uint64_t limit = static_cast<std::uint64_t>(INT64_MAX);
  std::uint64_t value = 0;
  const auto push = [&](unsigned digit) {
    if (value > (limit - digit) / 10) return false;
    value = value * 10 + digit;
    return true;
  };
  if (scale >= 0) {
    for (char c : d)
      if (!push(static_cast<unsigned>(c - '0'))) return std::nullopt;
    for (int k = 0; k < scale; ++k)
      if (!push(0)) return std::nullopt;
  } else {
    const std::size_t drop = static_cast<std::size_t>(-scale);
    const std::size_t keep = d.size() > drop ? d.size() - drop : 0;
    for (std::size_t k = 0; k < keep; ++k)
      if (!push(static_cast<unsigned>(d[k] - '0'))) return std::nullopt;
    bool remainder = false;
    for (std::size_t k = keep; k < d.size(); ++k)
      if (d[k] != '0') remainder = true;
    if (remainder) {
      if (value == limit) return std::nullopt;
      ++value;  // round up, as Kubernetes' MilliValue does
    }
  }
  const auto v = static_cast<std::int64_t>(value);
  return negative ? -v : v;
}

}  // namespace epslice
