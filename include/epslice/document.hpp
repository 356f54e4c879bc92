// SPDX-License-Identifier: Apache-2.0
// What the JSON readers hand out: decoded objects, watch events, list headers, limits, syntax errors.
//
// These are plain value types; the readers that produce them are in stream.hpp (the incremental
// decoder) and json.hpp (whole documents and single objects). No JSON library is needed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "error.hpp"
#include "sizes.hpp"
#include "types.hpp"

namespace epslice {

/// The limits of the JSON readers. Each applies to one object (a top-level object, one watch
/// event, one item of a List or of a bare array, or a List's own fields), never to a whole stream.
/// An object over a limit is a problem of that object, with its field path and the limit's name;
/// the reader skips to the end of that object, storing nothing of it, and goes on with the next.
struct decode_limits {
  /// The largest object in bytes of JSON text, as written in the input (64 MiB by default; the
  /// API server takes requests of at most 3 MiB and etcd stores objects of at most 1.5 MiB).
  /// At least 1.
  std::size_t max_object_bytes = std::size_t{64} << 20;
  /// The deepest nesting of arrays and objects, counted from the top-level value (1000 by
  /// default; Kubernetes objects nest less than 20 deep). From 1 to max_depth_limit.
  std::size_t max_depth = 1000;

  /// The largest max_depth the readers accept.
  static constexpr std::size_t max_depth_limit = 100000;
};

/// Check that `limits` is in range. Throws epslice::error naming the limit (`max_depth` outside
/// 1..100000, `max_object_bytes` of 0).
inline void check_limits(const decode_limits& limits) {
  if (limits.max_depth < 1 || limits.max_depth > decode_limits::max_depth_limit)
    detail::throw_error("max_depth", "must be between 1 and " + std::to_string(decode_limits::max_depth_limit) +
                                         ", not " + std::to_string(limits.max_depth));
  if (limits.max_object_bytes < 1) detail::throw_error("max_object_bytes", "must be at least 1");
}

/// An object of a kind epslice does not model as a slice or Endpoints (Pod, Service, Node, Status,
/// ...), kept as compact JSON so that it can be passed through or decoded into a view later.
/// `kind` and `apiVersion` are the object's own, or those it takes from its typed list.
struct raw_object {
  std::string kind;
  std::string api_version;
  std::string json;
  friend bool operator==(const raw_object&, const raw_object&) = default;
};

/// The value of a decoded object: an EndpointSlice of any family, a legacy Endpoints object or a
/// raw object. Held out of line (the size of two pointers), so that a small object costs memory
/// in proportion to its content. A default value is an empty raw object.
///
/// Read it with get_if<T>() / holds<T>() / get<T>(), where T is any_endpoint_slice, endpoints or
/// raw_object (the std::variant accessors of earlier versions: `std::get_if<T>(&o.value)` is now
/// `o.value.get_if<T>()`).
class object_value {
 public:
  object_value() = default;
  object_value(any_endpoint_slice s) : v_(std::in_place_index<0>, std::move(s)) {}  // NOLINT: implicit
  object_value(endpoints e) : v_(std::in_place_index<1>, std::move(e)) {}           // NOLINT: implicit
  object_value(raw_object r) : v_(std::in_place_index<2>, std::move(r)) {}          // NOLINT: implicit

  /// The value if it is a T, else nullptr.
  template <class T>
  [[nodiscard]] const T* get_if() const noexcept {
    if constexpr (std::is_same_v<T, raw_object>) {
      if (const auto* r = std::get_if<2>(&v_)) return r->has_value() ? &**r : &empty_raw();
      return nullptr;
    } else {
      const auto* box = std::get_if<heap_optional<T>>(&v_);
      return box && box->has_value() ? &**box : nullptr;
    }
  }
  /// The value if it is a T, else nullptr.
  template <class T>
  [[nodiscard]] T* get_if() noexcept {
    if constexpr (std::is_same_v<T, raw_object>) {
      auto* r = std::get_if<2>(&v_);
      if (!r) return nullptr;
      if (!r->has_value()) r->emplace();
      return &**r;
    } else {
      auto* box = std::get_if<heap_optional<T>>(&v_);
      return box && box->has_value() ? &**box : nullptr;
    }
  }
  /// True when the value is a T.
  template <class T>
  [[nodiscard]] bool holds() const noexcept {
    return get_if<T>() != nullptr;
  }
  /// The value as a T. Throws epslice::error when it is something else.
  template <class T>
  [[nodiscard]] const T& get() const {
    if (const T* x = get_if<T>()) return *x;
    detail::throw_error("", "the decoded object holds another kind of value");
  }
  /// The value as a T. Throws epslice::error when it is something else.
  template <class T>
  [[nodiscard]] T& get() {
    if (T* x = get_if<T>()) return *x;
    detail::throw_error("", "the decoded object holds another kind of value");
  }

  friend bool operator==(const object_value& a, const object_value& b) {
    if (a.v_.index() != b.v_.index()) return false;
    switch (a.v_.index()) {
      case 0: return *a.get_if<any_endpoint_slice>() == *b.get_if<any_endpoint_slice>();
      case 1: return *a.get_if<endpoints>() == *b.get_if<endpoints>();
      default: return *a.get_if<raw_object>() == *b.get_if<raw_object>();
    }
  }

 private:
  static const raw_object& empty_raw() noexcept {
    static const raw_object none{};  // immutable: what an unset value reads as
    return none;
  }
  // Each alternative is set when its index is active, except the raw one, which may be empty.
  std::variant<heap_optional<any_endpoint_slice>, heap_optional<endpoints>, heap_optional<raw_object>> v_{
      std::in_place_index<2>};
};

/// One object read from the input.
struct decoded_object {
  /// Where it stands in its top-level value: "" for the value itself, `items[2]` in a list,
  /// `object` (or `Object`) in a watch event, `[3]` in a bare array.
  std::string location;
  /// Index of its top-level value in a stream of concatenated values (0 for a single document).
  std::size_t document = 0;
  /// The object.
  object_value value;
  /// Problems found while decoding (wrong JSON types, numbers out of range, a limit passed),
  /// paths relative to the object. Empty when the object decoded cleanly. Such an object holds
  /// what could be read; the API server would refuse it.
  heap_value<field_errors> problems;
  /// Every key that appeared more than once in one JSON object of this object, as a `duplicate`
  /// field error whose path is the repeated field's and whose value is the quoted key
  /// (`metadata.labels.app: Duplicate value: "app"`). The last value of a repeated key is the one
  /// kept; these are not problems of decoding (the API server keeps the last value too), only of
  /// its strict field validation (see validate(const decoded_object&)).
  heap_value<field_errors> duplicates;
  /// True when the object has no `kind` of its own and took it from its typed list
  /// (`PodList` -> `Pod`): it is used for typing and sizes but not written back by encode().
  bool kind_inferred = false;
  /// True when the object has no `apiVersion` of its own and took it from its typed list, or from
  /// its kind (`EndpointSlice` -> `discovery.k8s.io/v1`, `Endpoints` -> `v1`); like kind_inferred.
  bool api_version_inferred = false;

  /// The object's kind (`EndpointSlice`, `Endpoints`, or the kind of a raw object), possibly
  /// inferred; empty when it has none.
  [[nodiscard]] std::string_view kind() const noexcept {
    if (const auto* s = value.get_if<any_endpoint_slice>())
      return std::visit([](const auto& x) -> std::string_view { return x.kind; }, *s);
    if (const auto* e = value.get_if<endpoints>()) return e->kind;
    return value.get_if<raw_object>()->kind;
  }
  /// The object's apiVersion, possibly inferred; empty when it has none.
  [[nodiscard]] std::string_view api_version() const noexcept {
    if (const auto* s = value.get_if<any_endpoint_slice>())
      return std::visit([](const auto& x) -> std::string_view { return x.api_version; }, *s);
    if (const auto* e = value.get_if<endpoints>()) return e->api_version;
    return value.get_if<raw_object>()->api_version;
  }
};

/// Which shape of input an event was read from (each shape kubectl or a client prints).
enum class stream_shape : std::uint8_t {
  object,          ///< a top-level object, as `kubectl get -o json [--watch]` prints (an upsert)
  watch_event,     ///< `{"type":"ADDED","object":{...}}`, as `kubectl --output-watch-events` prints
  go_watch_event,  ///< `{"Type":"ADDED","Object":{...}}`, Go's field names, as client-go programs print
  list_item,       ///< an item of a `List` or a typed list (`EndpointSliceList`, `PodList`, ...): an upsert
  array_item,      ///< an element of a top-level JSON array (an upsert)
};

/// `object`, `watch_event`, `go_watch_event`, `list_item` or `array_item`.
[[nodiscard]] constexpr std::string_view to_string(stream_shape s) noexcept {
  switch (s) {
    case stream_shape::object: return "object";
    case stream_shape::watch_event: return "watch_event";
    case stream_shape::go_watch_event: return "go_watch_event";
    case stream_shape::list_item: return "list_item";
    case stream_shape::array_item: return "array_item";
  }
  return "object";
}

/// The Status an `ERROR` watch event carries (metav1.Status): why the watch ended.
struct api_status {
  std::string status;   ///< `Failure` (or `Success`)
  std::string message;  ///< e.g. `too old resource version: 123 (456)`
  std::string reason;   ///< e.g. `Expired`, `Gone`
  std::int32_t code = 0;  ///< the HTTP code, e.g. 410
  friend bool operator==(const api_status&, const api_status&) = default;
};

/// One event of an input stream. Every shape is read as events: plain objects, list items and
/// array elements are `added` (an upsert: the object's state as of this point of the stream);
/// watch events carry their own type.
struct watch_event {
  watch_event_type type = watch_event_type::added;
  stream_shape shape = stream_shape::object;
  /// The object. For `bookmark` it is a raw object, never decoded or validated as its kind; for
  /// `error` it is the Status as a raw object.
  decoded_object object;
  /// `bookmark`: the resourceVersion the watch has reached (`object.metadata.resourceVersion`).
  std::string resource_version;
  /// `error`: the decoded Status (code, reason, message).
  heap_optional<api_status> status;
};

/// The fields of a List or typed list (`kind`, `apiVersion`, `metadata` with the resourceVersion a
/// client resumes a watch from) without its items, which are read one by one as events.
struct list_header {
  std::string kind;         ///< `List`, `EndpointSliceList`, `PodList`, ... (empty when absent)
  std::string api_version;  ///< e.g. `v1`, `discovery.k8s.io/v1`
  object_meta metadata;
  /// Index of its top-level value in the stream.
  std::size_t document = 0;
  /// How many items it held.
  std::size_t items = 0;
  /// Repeated keys among the list's own fields, as in decoded_object::duplicates. (Problems of
  /// the list's own fields are problems outside any object: see decoded_document::problems.)
  heap_value<field_errors> duplicates;
};

/// A syntax error: where the text stops being JSON.
struct syntax_error_info {
  std::size_t offset = 0;  ///< byte offset in the whole input
  std::size_t line = 1;    ///< 1-based
  std::size_t column = 1;  ///< 1-based, in bytes
  std::string message;
};

/// Everything read from one input: its events in order, its lists, and the syntax error that
/// stopped the reading, if any (events before it are still returned).
struct decoded_document {
  /// Every object read, as events in input order (see watch_event).
  std::vector<watch_event> events;
  /// The Lists read (their own fields; their items are in `events`).
  std::vector<list_header> lists;
  /// Number of top-level JSON values read.
  std::size_t values = 0;
  /// True when any top-level value was a list (`List`, `EndpointSliceList`, ... or an array).
  bool had_list = false;
  /// Problems outside any object (a List's own fields, an item that is not an object, a watch
  /// event without a known type, a repeated key of a watch event's wrapper, ...), with paths from
  /// their top-level value.
  field_errors problems;
  std::optional<syntax_error_info> syntax_error;
};

}  // namespace epslice
