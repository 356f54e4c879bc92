// SPDX-License-Identifier: Apache-2.0
// The incremental stream decoder: bytes in, watch events out, one object at a time, within limits.
//
// Feed it the input as it arrives, in chunks of any size; take the events it completed after
// each chunk. Every shape kubectl and its clients print is read as events, in input order:
//
//   shape                                           events
//   {...}{...} (`kubectl get -o json [--watch]`)   one ADDED (an upsert) per object
//   {"type":"ADDED","object":{...}}                 its type (`--output-watch-events`)
//   {"Type":"ADDED","Object":{...}}                 its type (client-go's field names)
//   {"kind":"List"|"...List","items":[...]}         one ADDED per item, read one at a time
//   [{...},{...}]                                   one ADDED per element
//
// Memory is bounded by the largest object, never by the stream: a List is not one object (each
// item is), so `kubectl get endpointslices -A -o json` of 10,000 slices is read slice by slice.
// One exception: an item without `kind` or `apiVersion` of a List whose `kind` (or `apiVersion`)
// comes after its items (as `jq -S` sorts keys) is held until the List's kind is known, since its
// type comes from it.
//
// Typed lists: an item without `kind` takes it from its list (`PodList` -> `Pod`,
// `EndpointSliceList` -> `EndpointSlice`, ...), and `apiVersion` likewise; items of a `List` must
// carry their own. An object with `kind` but no `apiVersion` takes the apiVersion of its kind
// (`EndpointSlice` -> `discovery.k8s.io/v1`, `Endpoints`/`Service`/`Node`/`Pod` -> `v1`). Such
// fields are marked inferred (decoded_object::kind_inferred, api_version_inferred): they type the
// object, convert a `discovery.k8s.io/v1beta1` item to v1, and count in sizes, but encode(const
// decoded_object&) does not write them back, so that a round trip is exact.
//
// `BOOKMARK` events carry their resourceVersion and a raw object that is never decoded or
// validated as its kind; `ERROR` events carry the decoded Status. Problems of an object (wrong
// types, numbers out of range, a limit passed) travel with it; problems outside any object are
// taken with take_problems(); a syntax error stops the reading (syntax_error()).
//
// Every object framed (except the raw objects of BOOKMARK and ERROR events) can go to a faster
// decoder first, given to the constructor: see framed_object_decoder, and simdjson_object_decoder
// in <epslice/simdjson.hpp>. The events are the same with or without one.
//
// Example: follow a watch on standard input.
//
//   epslice::stream_decoder decoder;  // default limits: 64 MiB per object, depth 1000
//   char buf[65536];
//   std::size_t n;
//   while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0 && !decoder.syntax_error()) {
//     decoder.feed(std::string_view(buf, n));
//     while (auto event = decoder.next()) {
//       if (!event->object.problems.empty()) { /* report, skip */ continue; }
//       if (event->type == epslice::watch_event_type::error) { /* event->status->code, ... */ }
//       if (auto* slice = event->object.value.get_if<epslice::any_endpoint_slice>()) { /* ... */ }
//     }
//   }
//   decoder.finish();
//   while (auto event = decoder.next()) { /* the last events */ }
//   if (decoder.syntax_error()) { /* line, column, message */ }
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/json_framer.hpp"
#include "detail/json_reader.hpp"
#include "document.hpp"
#include "error.hpp"
#include "sizes.hpp"
#include "types.hpp"

namespace epslice {

namespace detail {

/// The kind of the items of a typed list (`PodList` -> `Pod`); empty for `List` and non-lists.
[[nodiscard]] constexpr std::string_view item_kind_of(std::string_view list_kind) noexcept {
  if (list_kind.size() > 4 && list_kind.substr(list_kind.size() - 4) == "List") return list_kind.substr(0, list_kind.size() - 4);
  return {};
}

/// The apiVersion an object of `kind` has when it does not say (the kinds epslice reads).
[[nodiscard]] constexpr std::string_view default_api_version(std::string_view kind) noexcept {
  if (kind == "EndpointSlice") return "discovery.k8s.io/v1";
  if (kind == "Endpoints" || kind == "Service" || kind == "Node" || kind == "Pod" || kind == "Status") return "v1";
  return {};
}

/// `ADDED`, ... as a watch_event_type.
[[nodiscard]] constexpr std::optional<watch_event_type> parse_watch_event_type(std::string_view s) noexcept {
  if (s == "ADDED") return watch_event_type::added;
  if (s == "MODIFIED") return watch_event_type::modified;
  if (s == "DELETED") return watch_event_type::deleted;
  if (s == "BOOKMARK") return watch_event_type::bookmark;
  if (s == "ERROR") return watch_event_type::error;
  return std::nullopt;
}

}  // namespace detail

/// An object a stream_decoder has framed and is about to decode: its checked text (valid JSON and
/// UTF-8, within the decoder's limits) and the type fields the decoder settled for it.
struct framed_object {
  std::string_view text;              ///< the object's JSON text, from `{` to `}`
  std::string_view kind;              ///< the kind that types it ("" when none)
  bool kind_inferred = false;         ///< it has no kind of its own: `kind` is its typed list's
  std::string_view api_version;       ///< its own apiVersion, or the one it takes
  bool api_version_inferred = false;  ///< it has no apiVersion of its own: `api_version` is taken
  bool top_level = false;             ///< a top-level value (not a list item or an event's object)
  bool typed_list_item = false;       ///< an item of a typed list (`EndpointSliceList`, ...)
};

/// A decoder that a stream_decoder tries before its own reader on every object it frames (except
/// BOOKMARK and ERROR events' objects), such as simdjson_object_decoder of
/// <epslice/simdjson.hpp>. It must give exactly what the reader gives for the object, or return
/// false to leave the object to the reader; the stream decoder sets the location and document.
class framed_object_decoder {
 public:
  virtual ~framed_object_decoder() = default;
  /// Decode `object` into `out` (a fresh decoded_object); false leaves it to the reader.
  virtual bool decode(const framed_object& object, decoded_object& out) = 0;

 protected:
  framed_object_decoder() = default;
  framed_object_decoder(const framed_object_decoder&) = default;
  framed_object_decoder& operator=(const framed_object_decoder&) = default;
};

/// Decodes a stream of JSON fed in chunks into watch events (see the file comment).
/// Not copyable (it may hold views of the chunk being read); movable.
class stream_decoder {
 public:
  /// A decoder with the given limits. Throws epslice::error when a limit is out of range.
  /// `objects`, when given, decodes each framed object first (see framed_object_decoder); it is
  /// not owned and must outlive the decoder.
  explicit stream_decoder(const decode_limits& limits = {}, framed_object_decoder* objects = nullptr)
      : limits_(limits), framer_(limits), objects_(objects) {}
  stream_decoder(const stream_decoder&) = delete;
  stream_decoder& operator=(const stream_decoder&) = delete;
  stream_decoder(stream_decoder&&) = default;
  stream_decoder& operator=(stream_decoder&&) = default;
  ~stream_decoder() = default;

  /// Read the next bytes of the input (any split: a chunk may end anywhere, even inside a
  /// UTF-8 sequence). Every event they complete is queued for next(), in input order. Input
  /// after a syntax error is ignored. Never throws for bad input.
  void feed(std::string_view bytes) {
    sink s{*this};
    framer_.feed(bytes, s);
  }

  /// The input has ended: completes what ends with it, or records the syntax error (an unexpected
  /// end of input, or "empty input" when there was no value at all). Held list items are decoded.
  void finish() {
    sink s{*this};
    framer_.finish(s);
    release_held({});
  }

  /// The next completed event, or nullopt when none is waiting.
  [[nodiscard]] std::optional<watch_event> next() {
    if (events_.empty()) return std::nullopt;
    watch_event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  /// The number of completed events waiting.
  [[nodiscard]] std::size_t pending() const noexcept { return events_.size(); }

  /// Problems outside any object found since the last call, with paths from their top-level value
  /// (a List's own fields, an item that is not an object, a watch event without a known type or
  /// object, a repeated key of a watch event's wrapper, a top-level value that is not an object).
  [[nodiscard]] field_errors take_problems() { return std::exchange(problems_, {}); }

  /// The Lists whose end has been read since the last call (their own fields; their items were
  /// events).
  [[nodiscard]] std::vector<list_header> take_lists() { return std::exchange(lists_, {}); }

  /// The syntax error that stopped the reading, if any.
  [[nodiscard]] const std::optional<syntax_error_info>& syntax_error() const noexcept { return framer_.syntax_error(); }
  /// The number of top-level JSON values begun so far.
  [[nodiscard]] std::size_t values() const noexcept { return framer_.values(); }
  /// True once a top-level value was a List or an array.
  [[nodiscard]] bool had_list() const noexcept { return had_list_; }

 private:
  struct sink {
    stream_decoder& d;
    void on_unit(const detail::framed_unit& u) { d.on_unit(u); }
  };
  struct held_item {
    std::string text;
    std::size_t document = 0;
    std::size_t index = 0;
    detail::type_fields types;
  };

  decode_limits limits_;
  detail::framer framer_;
  framed_object_decoder* objects_ = nullptr;
  detail::reader reader_;
  std::deque<watch_event> events_;
  field_errors problems_;
  std::vector<list_header> lists_;
  std::vector<held_item> held_;
  std::size_t list_items_ = 0;
  bool had_list_ = false;

  static std::string item_location(detail::unit_role role, std::size_t index) {
    return (role == detail::unit_role::list_item ? "items[" : "[") + std::to_string(index) + "]";
  }

  // An object over a limit: its problem, and what the framer read of its type.
  static decoded_object over_limit(const detail::framed_unit& u, std::string location) {
    decoded_object o;
    o.location = std::move(location);
    o.document = u.document;
    o.value = raw_object{std::string(u.types->kind.text()), std::string(u.types->api_version.text()), {}};
    o.problems.edit().push_back(*u.limit);
    return o;
  }

  // One framed object: through `objects_` when it takes it, else the reader.
  decoded_object read_object(std::string_view text, const detail::object_plan& plan, std::string location,
                             std::size_t document, bool top_level, bool typed_list_item) {
    if (objects_ && !plan.raw) {
      decoded_object o;
      const framed_object f{text, plan.kind, plan.kind_inferred, plan.api_version, plan.api_version_inferred,
                            top_level, typed_list_item};
      if (objects_->decode(f, o)) {
        o.location = std::move(location);
        o.document = document;
        return o;
      }
    }
    return reader_.read_object(text, plan, std::move(location), document);
  }

  void push_event(watch_event_type type, stream_shape shape, decoded_object o) {
    watch_event e;
    e.type = type;
    e.shape = shape;
    e.object = std::move(o);
    events_.push_back(std::move(e));
  }

  void on_unit(const detail::framed_unit& u) {
    using detail::unit_role;
    switch (u.role) {
      case unit_role::value: return on_value(u);
      case unit_role::list_item:
      case unit_role::array_item: return on_item(u);
      case unit_role::list_header: return on_list_end(u);
    }
  }

  void on_value(const detail::framed_unit& u) {
    const detail::type_fields& t = *u.types;
    if (u.limit) {
      const bool event = !t.kind.own() && (t.has_object || t.has_go_object);
      const auto type = detail::parse_watch_event_type(t.has_object ? t.type.text() : t.go_type.text());
      push_event(type.value_or(watch_event_type::added),
                 event ? (t.has_object ? stream_shape::watch_event : stream_shape::go_watch_event) : stream_shape::object,
                 over_limit(u, {}));
      return;
    }
    if (u.text.empty() || u.text.front() != '{') {
      problems_.push_back(field_error{{}, error_type::invalid, reader_.scalar_text(u.text),
                                      "a document must hold objects, not " +
                                          std::string(detail::reader::json_type_name(u.text))});
      return;
    }
    if (t.kind.st == detail::scanned_string::state::string && detail::is_list_kind(t.kind.text())) {
      // A List whose items were not read apart (none, or not an array).
      had_list_ = true;
      list_header h = reader_.read_list_header(u.text, u.document, false, problems_);
      lists_.push_back(std::move(h));
      return;
    }
    if (!t.kind.own() && (t.has_object || t.has_go_object)) return on_watch_event(u);
    detail::object_plan plan;
    plan.kind = t.kind.text();
    plan_api_version(plan, t.api_version, {}, false);
    push_event(watch_event_type::added, stream_shape::object, read_object(u.text, plan, {}, u.document, true, false));
  }

  // Whether a type field may be inferred: when the object has none of its own. A slice or an
  // Endpoints object is written without an empty kind or apiVersion (omitempty), so "" counts as
  // none there; a raw object keeps its text, so an empty value of its own stays.
  static bool may_infer(const detail::scanned_string& own, std::string_view kind) noexcept {
    const bool typed = kind == "EndpointSlice" || kind == "Endpoints";
    return typed ? !own.own() : !own.present();
  }

  // The apiVersion of an object: its own, else its list's (typed lists), else its kind's.
  static void plan_api_version(detail::object_plan& plan, const detail::scanned_string& own, std::string_view list_api,
                               bool typed_list) {
    if (!may_infer(own, plan.raw ? std::string_view() : plan.kind)) {
      plan.api_version = own.text();
      return;
    }
    plan.api_version = typed_list && !list_api.empty() ? list_api : detail::default_api_version(plan.kind);
    plan.api_version_inferred = !plan.api_version.empty();
  }

  void on_watch_event(const detail::framed_unit& u) {
    const detail::type_fields& t = *u.types;
    const bool go = !t.has_object;
    const std::string_view type_key = go ? "Type" : "type";
    const std::string_view object_key = go ? "Object" : "object";
    const detail::scanned_string& type_field = go ? t.go_type : t.type;
    const shape_and_type st{go ? stream_shape::go_watch_event : stream_shape::watch_event,
                            detail::parse_watch_event_type(type_field.text())};
    if (!st.type) {
      if (!type_field.present())
        problems_.push_back(field_error{std::string(type_key), error_type::required, {}, "a watch event needs a type"});
      else if (type_field.st != detail::scanned_string::state::string)
        problems_.push_back(field_error{std::string(type_key), error_type::invalid, {}, "must be a string"});
      else
        problems_.push_back(field_error{std::string(type_key), error_type::not_supported, quote_value(type_field.value),
                                        R"(supported values: "ADDED", "BOOKMARK", "DELETED", "ERROR", "MODIFIED")"});
      return;
    }
    detail::object_plan plan;
    plan.kind = (go ? t.go_object_kind : t.object_kind).text();
    plan_api_version(plan, go ? t.go_object_api_version : t.object_api_version, {}, false);
    plan.raw = *st.type == watch_event_type::bookmark || *st.type == watch_event_type::error;
    detail::raw_fields fields;
    std::optional<decoded_object> o = reader_.read_event(
        u.text, object_key, problems_, [&](std::string_view text, std::string location) {
          return plan.raw ? reader_.read_object(text, plan, std::move(location), u.document, &fields)
                          : read_object(text, plan, std::move(location), u.document, false, false);
        });
    if (!o) {
      problems_.push_back(field_error{std::string(object_key), error_type::required, {}, "a watch event needs an object"});
      return;
    }
    watch_event e;
    e.type = *st.type;
    e.shape = st.shape;
    e.object = std::move(*o);
    if (e.type == watch_event_type::bookmark) e.resource_version = std::move(fields.resource_version);
    if (e.type == watch_event_type::error) e.status = fields.status ? std::move(*fields.status) : api_status{};
    events_.push_back(std::move(e));
  }
  struct shape_and_type {
    stream_shape shape;
    std::optional<watch_event_type> type;
  };

  void on_item(const detail::framed_unit& u) {
    had_list_ = true;
    const bool list_item = u.role == detail::unit_role::list_item;
    if (list_item && u.index == 0) list_items_ = 0;
    if (list_item) ++list_items_;
    const stream_shape shape = list_item ? stream_shape::list_item : stream_shape::array_item;
    if (u.limit) {
      push_event(watch_event_type::added, shape, over_limit(u, item_location(u.role, u.index)));
      return;
    }
    if (u.text.empty() || u.text.front() != '{') {
      problems_.push_back(field_error{item_location(u.role, u.index), error_type::invalid, reader_.scalar_text(u.text),
                                      "must be an object, not " + std::string(detail::reader::json_type_name(u.text))});
      return;
    }
    const detail::type_fields& t = *u.types;
    if (!list_item && t.list_items) return on_nested_list(u);
    if (list_item && (!t.kind.own() || !t.api_version.own())) {
      // The item takes a type from its list: hold it until the list's type fields are known.
      const detail::type_fields& lt = framer_.list_types();
      const bool typed = lt.kind.st == detail::scanned_string::state::string && !detail::item_kind_of(lt.kind.text()).empty();
      const bool known = lt.kind.present() && (lt.api_version.present() || !typed);
      if (!known || !held_.empty()) {
        held_.push_back(held_item{std::string(u.text), u.document, u.index, t});
        return;
      }
    }
    decode_item(u.text, u.document, u.index, t, list_item ? &framer_.list_types() : nullptr);
  }

  void decode_item(std::string_view text, std::size_t document, std::size_t index, const detail::type_fields& t,
                   const detail::type_fields* list) {
    detail::object_plan plan;
    std::string_view list_kind, list_api;
    if (list && list->kind.st == detail::scanned_string::state::string) list_kind = list->kind.text();
    if (list && list->api_version.st == detail::scanned_string::state::string) list_api = list->api_version.text();
    const std::string_view item_kind = detail::item_kind_of(list_kind);
    if (!item_kind.empty() && may_infer(t.kind, item_kind)) {
      plan.kind = item_kind;
      plan.kind_inferred = true;
    } else {
      plan.kind = t.kind.text();
    }
    plan_api_version(plan, t.api_version, list_api, !item_kind.empty());
    const detail::unit_role role = list ? detail::unit_role::list_item : detail::unit_role::array_item;
    push_event(watch_event_type::added, list ? stream_shape::list_item : stream_shape::array_item,
               read_object(text, plan, item_location(role, index), document, false, !item_kind.empty()));
  }

  // A List as an element of a top-level array (as `jq -s` joins kubectl outputs): its items are
  // events too, located below the element (`[1].items[0]`). The element is in memory whole.
  void on_nested_list(const detail::framed_unit& u) {
    const std::string prefix = item_location(u.role, u.index);
    const auto below = [&](const std::string& path) { return path.empty() ? prefix : prefix + "." + path; };
    stream_decoder inner(limits_, objects_);
    inner.feed(u.text);
    inner.finish();
    while (auto e = inner.next()) {
      e->object.location = below(e->object.location);
      e->object.document = u.document;
      events_.push_back(std::move(*e));
    }
    for (field_error& p : inner.take_problems()) {
      p.path = below(p.path);
      problems_.push_back(std::move(p));
    }
    for (list_header& l : inner.take_lists()) {
      l.document = u.document;
      lists_.push_back(std::move(l));
    }
  }

  // Items held for their list's type: decoded now that it is known (or the list has ended).
  void release_held(const detail::type_fields* list) {
    if (held_.empty()) return;
    static const detail::type_fields none{};
    for (const held_item& h : held_) decode_item(h.text, h.document, h.index, h.types, list ? list : &none);
    held_.clear();
  }

  void on_list_end(const detail::framed_unit& u) {
    had_list_ = true;
    release_held(u.types);
    if (u.limit) {
      problems_.push_back(*u.limit);
      list_header h;
      h.kind = std::string(u.types->kind.text());
      h.api_version = std::string(u.types->api_version.text());
      h.document = u.document;
      h.items = list_items_;
      lists_.push_back(std::move(h));
      list_items_ = 0;
      return;
    }
    list_header h = reader_.read_list_header(u.text, u.document, u.split, problems_);
    h.items = list_items_;
    list_items_ = 0;
    if (u.split && !detail::is_list_kind(h.kind) && u.types->kind.st == detail::scanned_string::state::string)
      problems_.push_back(field_error{"kind", error_type::invalid, quote_value(h.kind),
                                      "an object whose items come before its kind is read as a list: its kind must "
                                      "be List or end in List"});
    lists_.push_back(std::move(h));
  }
};

}  // namespace epslice
