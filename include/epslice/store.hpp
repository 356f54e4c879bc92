// SPDX-License-Identifier: Apache-2.0
// The object store: watch events applied as the API server means them, last state wins.
//
// A stream of objects (a `--watch` capture, several files, a List followed by its watch) may name
// the same object many times. object_store reduces it to the final state: objects keyed by kind,
// namespace and name; an upsert (ADDED, MODIFIED, a plain object or a list item) replaces what the
// store holds under that key; DELETED removes it (a DELETED for an object never seen is ignored);
// a change of `metadata.uid` under the same key is a replacement (the object was deleted and
// created again). BOOKMARK and ERROR events hold no object of the stream and change nothing; the
// store remembers the last bookmark's resourceVersion and the first ERROR's Status, since a stream
// that reported an error is incomplete. `resourceVersion` is never compared: stream order decides.
//
// Example:
//
//   epslice::object_store store;
//   for (auto& event : epslice::decode_document(text).events) store.apply(std::move(event));
//   for (const epslice::decoded_object& o : store.objects()) ...  // in order of first appearance
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "document.hpp"
#include "sizes.hpp"
#include "types.hpp"

namespace epslice {

/// What identifies an object in a store: its kind, namespace and name, plus its uid (which tells
/// a replacement from an update). An object without a name (one still to be created, such as
/// the creates of a reconcile plan) has its generateName followed by `*` as name and `unnamed`
/// set: the API server would give it a new name, so a store never takes it for another object.
struct object_identity {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  bool unnamed = false;
  friend bool operator==(const object_identity&, const object_identity&) = default;
};

namespace detail {

// Collects metadata.namespace / name / generateName / uid from the JSON text of a raw object
// without building a DOM (nlohmann's SAX interface is iterative, so depth costs no stack).
class identity_sax : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit identity_sax(object_identity& out) : out_(out) {}
  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t& s) override {
    if (depth_ == 2 && in_metadata_) {
      if (key_ == "namespace") out_.namespace_ = s;
      else if (key_ == "name") out_.name = s;
      else if (key_ == "generateName") generate_name_ = s;
      else if (key_ == "uid") out_.uid = s;
    }
    return value();
  }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    ++depth_;
    if (depth_ == 2) in_metadata_ = key_ == "metadata";
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ <= 2) key_ = k;
    return true;
  }
  bool end_object() override {
    if (depth_ == 2) in_metadata_ = false;
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  [[nodiscard]] const std::string& generate_name() const noexcept { return generate_name_; }

 private:
  bool value() noexcept { return true; }
  object_identity& out_;
  std::string key_;
  std::string generate_name_;
  int depth_ = 0;
  bool in_metadata_ = false;
};

}  // namespace detail

/// The identity of a decoded object: kind (possibly inferred), namespace, name (or generateName
/// followed by `*` when it has no name) and uid. A raw object's metadata is read from its JSON
/// text; text that does not parse gives empty fields.
[[nodiscard]] inline object_identity identity_of(const decoded_object& o) {
  object_identity id;
  id.kind = std::string(o.kind());
  const object_meta* m = nullptr;
  if (const auto* s = o.value.get_if<any_endpoint_slice>()) m = &metadata_of(*s);
  else if (const auto* e = o.value.get_if<endpoints>()) m = &e->metadata;
  if (m) {
    id.namespace_ = m->namespace_;
    id.name = m->display_name();
    id.unnamed = m->name.empty();
    id.uid = m->uid;
    return id;
  }
  const auto& raw = *o.value.get_if<raw_object>();
  detail::identity_sax sax(id);
  (void)nlohmann::json::sax_parse(raw.json, &sax, nlohmann::json::input_format_t::json, false);
  if (id.name.empty()) {
    id.unnamed = true;
    if (!sax.generate_name().empty()) id.name = sax.generate_name() + "*";
  }
  return id;
}

/// What object_store::apply did with an event.
enum class store_change : std::uint8_t {
  added,      ///< an object the store did not hold
  updated,    ///< a new state of an object it held (same uid, or either uid empty)
  replaced,   ///< an object of the same key but another uid: deleted and created again
  deleted,    ///< DELETED of an object it held
  ignored,    ///< DELETED of an object it did not hold (or without a name), or a BOOKMARK
  error,      ///< an ERROR event: the stream is incomplete from here (see object_store::error())
};

/// `added`, `updated`, `replaced`, `deleted`, `ignored` or `error`.
[[nodiscard]] constexpr std::string_view to_string(store_change c) noexcept {
  switch (c) {
    case store_change::added: return "added";
    case store_change::updated: return "updated";
    case store_change::replaced: return "replaced";
    case store_change::deleted: return "deleted";
    case store_change::ignored: return "ignored";
    case store_change::error: return "error";
  }
  return "ignored";
}

/// The final state of a stream of watch events (see the header comment for the rules). Objects
/// are kept in the order they first appeared (an object deleted and added again counts from its
/// new appearance). Applying an event costs O(1) expected plus the size of its key; memory is the
/// live objects plus one slot per object deleted since the last compaction (slots are reclaimed
/// once they outnumber the live objects).
class object_store {
 public:
  /// Applies one event; returns what it did. `tag` is kept with the object's latest state and
  /// passed back by for_each (e.g. the index of the input it came from).
  store_change apply(watch_event event, std::size_t tag = 0) {
    switch (event.type) {
      case watch_event_type::bookmark:
        last_bookmark_ = std::move(event.resource_version);
        return store_change::ignored;
      case watch_event_type::error:
        if (!error_) error_ = event.status ? *std::as_const(event.status) : api_status{};
        return store_change::error;
      case watch_event_type::deleted: {
        const object_identity id = identity_of(event.object);
        return id.unnamed ? store_change::ignored : remove(id);
      }
      case watch_event_type::added:
      case watch_event_type::modified: break;
    }
    object_identity id = identity_of(event.object);
    std::string key = key_of(id);
    if (id.unnamed) {
      // Never the same as another object: keyed by its position as well.
      key.push_back('\0');
      key += std::to_string(unnamed_++);
    } else if (auto it = index_.find(key); it != index_.end()) {
      slot& s = slots_[it->second];
      const bool replaced = !s.uid.empty() && !id.uid.empty() && s.uid != id.uid;
      s.uid = std::move(id.uid);
      s.object = std::move(event.object);
      s.tag = tag;
      return replaced ? store_change::replaced : store_change::updated;
    }
    index_.emplace(key, slots_.size());
    slots_.push_back(slot{std::move(key), std::move(id.uid), std::move(event.object), tag, true});
    ++live_;
    return store_change::added;
  }

  /// Live objects.
  [[nodiscard]] std::size_t size() const noexcept { return live_; }
  /// True when the store holds no object.
  [[nodiscard]] bool empty() const noexcept { return live_ == 0; }

  /// Calls fn(const decoded_object&) for every live object, in order of first appearance (or
  /// fn(const decoded_object&, std::size_t tag) with the tag of its latest state).
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const slot& s : slots_)
      if (s.live) {
        if constexpr (std::is_invocable_v<Fn&, const decoded_object&, std::size_t>) fn(s.object, s.tag);
        else fn(s.object);
      }
  }
  /// The live objects in order of first appearance (a copy; drain() moves them out).
  [[nodiscard]] std::vector<decoded_object> objects() const {
    std::vector<decoded_object> out;
    out.reserve(live_);
    for_each([&](const decoded_object& o) { out.push_back(o); });
    return out;
  }

  /// Calls fn(decoded_object&&, std::size_t tag) for every live object in order of first
  /// appearance, moving it out, and empties the store (the last bookmark and the error stay).
  template <class Fn>
  void drain(Fn&& fn) {
    for (slot& s : slots_)
      if (s.live) fn(std::move(s.object), s.tag);
    slots_.clear();
    index_.clear();
    live_ = 0;
  }

  /// The Status of the first ERROR event applied, if any: the state reflects the events before it
  /// and those after it, but the stream behind it was cut (e.g. `code 410 Expired`).
  [[nodiscard]] const std::optional<api_status>& error() const noexcept { return error_; }
  /// The resourceVersion of the last BOOKMARK event applied (empty when none).
  [[nodiscard]] const std::string& last_bookmark() const noexcept { return last_bookmark_; }

 private:
  struct slot {
    std::string key;
    std::string uid;
    decoded_object object;
    std::size_t tag = 0;
    bool live = false;
  };

  // kind, namespace and name joined by a byte no Kubernetes name holds.
  [[nodiscard]] static std::string key_of(const object_identity& id) {
    std::string key;
    key.reserve(id.kind.size() + id.namespace_.size() + id.name.size() + 2);
    key.append(id.kind).push_back('\0');
    key.append(id.namespace_).push_back('\0');
    key.append(id.name);
    return key;
  }

  store_change remove(const object_identity& id) {
    const auto it = index_.find(key_of(id));
    if (it == index_.end()) return store_change::ignored;
    slot& s = slots_[it->second];
    s.live = false;
    s.object = decoded_object{};
    s.key.clear();
    s.uid.clear();
    index_.erase(it);
    --live_;
    if (slots_.size() >= 2 * live_ + 64) compact();
    return store_change::deleted;
  }

  // Drops the slots of deleted objects, keeping the order of the live ones.
  void compact() {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].live) {
        if (kept != i) slots_[kept] = std::move(slots_[i]);
        ++kept;
      }
    slots_.resize(kept);
    index_.clear();
    for (std::size_t i = 0; i < slots_.size(); ++i) index_.emplace(slots_[i].key, i);
  }

  std::vector<slot> slots_;
  std::unordered_map<std::string, std::size_t> index_;
  std::size_t live_ = 0;
  std::uint64_t unnamed_ = 0;
  std::optional<api_status> error_;
  std::string last_bookmark_;
};

}  // namespace epslice
