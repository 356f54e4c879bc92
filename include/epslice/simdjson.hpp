// SPDX-License-Identifier: Apache-2.0
// The fast decode path: simdjson On-Demand into the typed model, epslice's reader for the rest.
//
// Part of the opt-in target `epslice::simdjson` (it links Debian's libsimdjson); the core target
// stays nlohmann-only and does not see this header. A simdjson_decoder returns exactly what
// json.hpp's decode_endpoint_slice, decode_endpoints and decode_document return: the same values
// for every input, and for every input those reject, the same exception or syntax error, because
// anything the fast path finds wrong or unusual goes to that reader unchanged.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <simdjson.h>

#include "detail/simdjson_walk.hpp"
#include "error.hpp"
#include "document.hpp"
#include "json.hpp"
#include "stream.hpp"
#include "types.hpp"

namespace epslice {

namespace detail::sj {

/// A simdjson On-Demand parser with a padded copy of its input, sized for the largest text it
/// has read and reused for the next.
class padded_parser {
 public:
  /// Copy `text` into the padded buffer and index it; false when simdjson refuses it.
  bool iterate(std::string_view text, od::document& doc) {
    const std::size_t need = text.size() + simdjson::SIMDJSON_PADDING;
    if (need > capacity_) {
      const std::size_t grown = std::max(need, capacity_ + capacity_ / 2);
      buffer_ = std::make_unique_for_overwrite<char[]>(grown);
      capacity_ = grown;
    }
    if (!text.empty()) std::memcpy(buffer_.get(), text.data(), text.size());
    // simdjson reads into the padding; its bytes must be defined.
    std::memset(buffer_.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    return parser_.iterate(buffer_.get(), text.size(), capacity_).get(doc) == simdjson::SUCCESS;
  }

 private:
  od::parser parser_;
  std::unique_ptr<char[]> buffer_;  // the input, followed by simdjson's padding
  std::size_t capacity_ = 0;        // bytes of buffer_, padding included
};

/// What both fast-path decoders hold: the padded parser, the walker, and the counts of decodes
/// and fallbacks with the reason of the last one.
class fast_path {
 public:
  /// Number of decodes so far (every call of a decode function).
  [[nodiscard]] std::uint64_t decodes() const noexcept { return decodes_; }
  /// Number of those that the nlohmann reader decoded instead of the fast path.
  [[nodiscard]] std::uint64_t fallbacks() const noexcept { return fallbacks_; }
  /// Why the last decode fell back (simdjson_fallback::none when it took the fast path).
  [[nodiscard]] simdjson_fallback last_fallback() const noexcept { return last_; }

 protected:
  padded_parser input_;
  walker walker_;
  std::uint64_t decodes_ = 0;
  std::uint64_t fallbacks_ = 0;
  simdjson_fallback last_ = simdjson_fallback::none;

  // Count a fallback; its reason is the one noted, else the walker's, else a syntax error.
  void fell_back() noexcept {
    ++fallbacks_;
    if (last_ == simdjson_fallback::none) last_ = walker_.reason();
    if (last_ == simdjson_fallback::none) last_ = simdjson_fallback::syntax;
  }
};

}  // namespace detail::sj

/// A reusable decoder of Kubernetes JSON through simdjson's On-Demand API. It holds a simdjson
/// parser and a padded copy of its input, sized for the largest document it has decoded (about
/// seven bytes per byte of it: the copy, simdjson's index and string buffer) and reused for the
/// next ones, so keep one decoder for many documents.
///
/// Every decode gives the result of the matching json.hpp function on the same text and limits.
/// The fast path decodes one top-level EndpointSlice (every family, v1beta1 converted, raw slices
/// for addresses that do not parse), Endpoints object or object of another kind (kept as
/// raw_object), or one List or typed list of those, with every field a stored object carries
/// (uid, resourceVersion, generation, creationTimestamp, managedFields), unknown fields kept as
/// the same compact, Go-escaped text, and an absent kind or apiVersion inferred as the reader
/// infers it (an apiVersion from the kind; the items of an EndpointSliceList or EndpointsList as
/// the API server writes them, without either, from the list). Anything else (a syntax error, a
/// byte order mark, a value of the wrong type or out of range, a repeated key, nesting deeper than
/// 128 levels or than the limits allow, a document larger than max_object_bytes, a watch event, a
/// stream of several values, a bare array; a typed-list item without its own kind or apiVersion
/// that comes before the list's own, belongs to a list of another kind such as PodList, or would
/// take discovery.k8s.io/v1beta1) is decoded by epslice's reader from the same bytes, so every
/// error, problem and repeated key is reported as it reports them; fallbacks() counts those
/// decodes and last_fallback() says why.
///
/// Not thread-safe: use one decoder per thread. Movable, not copyable.
class simdjson_decoder : public detail::sj::fast_path {
 public:
  simdjson_decoder() = default;
  simdjson_decoder(const simdjson_decoder&) = delete;
  simdjson_decoder& operator=(const simdjson_decoder&) = delete;
  simdjson_decoder(simdjson_decoder&&) noexcept = default;
  simdjson_decoder& operator=(simdjson_decoder&&) noexcept = default;
  ~simdjson_decoder() = default;

  /// Decode exactly one EndpointSlice, as epslice::decode_endpoint_slice does (throws
  /// epslice::error with the same message when that does, also when `limits` is out of range).
  [[nodiscard]] any_endpoint_slice decode_endpoint_slice(std::string_view text, const decode_limits& limits = {}) {
    check_limits(limits);
    ++decodes_;
    if (simdjson::ondemand::document doc; load(text, limits, doc)) {
      any_endpoint_slice out;
      if (walker_.slice_document(doc, out)) return out;
    }
    fell_back();
    return epslice::decode_endpoint_slice(text, limits);
  }

  /// Decode exactly one EndpointSlice of family F, as epslice::decode_endpoint_slice_as<F> does
  /// (throws epslice::error with the same message when that does).
  template <class F>
  [[nodiscard]] basic_endpoint_slice<F> decode_endpoint_slice_as(std::string_view text, const decode_limits& limits = {}) {
    check_limits(limits);
    ++decodes_;
    if (simdjson::ondemand::document doc; load(text, limits, doc)) {
      any_endpoint_slice out;
      if (walker_.slice_document(doc, out)) {
        if (auto* s = std::get_if<basic_endpoint_slice<F>>(&out)) return std::move(*s);
        last_ = simdjson_fallback::family;  // the reader words the mismatch
        ++fallbacks_;
        return epslice::decode_endpoint_slice_as<F>(text, limits);
      }
    }
    fell_back();
    return epslice::decode_endpoint_slice_as<F>(text, limits);
  }

  /// Decode exactly one legacy Endpoints object, as epslice::decode_endpoints does (throws
  /// epslice::error with the same message when that does).
  [[nodiscard]] endpoints decode_endpoints(std::string_view text, const decode_limits& limits = {}) {
    check_limits(limits);
    ++decodes_;
    if (simdjson::ondemand::document doc; load(text, limits, doc)) {
      endpoints out;
      if (walker_.endpoints_document(doc, out)) return out;
    }
    fell_back();
    return epslice::decode_endpoints(text, limits);
  }

  /// Decode every object of a document, as epslice::decode_document does: its events (with
  /// their types and shapes), lists, inferred type fields, repeated keys and problems. Never
  /// throws for bad content (syntax errors and problems are in the result); throws
  /// epslice::error only when `limits` is out of range.
  [[nodiscard]] decoded_document decode_document(std::string_view text, const decode_limits& limits = {}) {
    check_limits(limits);
    ++decodes_;
    if (simdjson::ondemand::document doc; load(text, limits, doc)) {
      decoded_document out;
      if (walker_.any_document(doc, out)) return out;
    }
    fell_back();
    return epslice::decode_document(text, limits);
  }

  // decodes(), fallbacks() and last_fallback() count these calls (detail::sj::fast_path).

 private:
  // Copy `text` into the padded buffer and index it; false (with the reason noted) when simdjson
  // refuses it or it could pass the fast path's size or the caller's limits. Every object of a
  // document is at most the whole text, so a text within max_object_bytes cannot pass it.
  bool load(std::string_view text, const decode_limits& limits, simdjson::ondemand::document& doc) {
    last_ = simdjson_fallback::none;
    constexpr auto margin = static_cast<std::size_t>(detail::sj::depth_margin);
    // A depth limit this small is left to the reader whole (Kubernetes objects nest deeper).
    if (text.size() > std::min(detail::sj::max_bytes, limits.max_object_bytes) || limits.max_depth <= 2 * margin) {
      last_ = simdjson_fallback::limit;
      return false;
    }
    walker_.reset(static_cast<int>(std::min(limits.max_depth - margin, static_cast<std::size_t>(detail::sj::max_depth))));
    // One top-level object: arrays, scalars, a byte order mark and empty input are the reader's.
    std::size_t first = 0;
    while (first < text.size() && detail::sj::is_space(text[first])) ++first;
    if (first == text.size() || text[first] != '{') {
      last_ = simdjson_fallback::shape;
      return false;
    }
    if (!input_.iterate(text, doc)) {
      last_ = simdjson_fallback::syntax;
      return false;
    }
    return true;
  }
};

/// The simdjson fast path for a stream_decoder: give one to its constructor and every object it
/// frames (slices, Endpoints and other objects, at the top level, as List items or in ADDED,
/// MODIFIED and DELETED events) is decoded through simdjson first, and by the stream decoder's
/// own reader when the fast path does not take it (see simdjson_decoder for what it leaves to
/// the reader), so the events are the same as without it. Memory: about seven bytes per byte of
/// the largest object decoded, kept for the next.
///
///   epslice::simdjson_object_decoder fast;
///   epslice::stream_decoder decoder({}, &fast);  // `fast` must outlive `decoder`
///
/// Not thread-safe: one per stream decoder. Movable, but not while a stream decoder holds its
/// address.
class simdjson_object_decoder final : public framed_object_decoder, public detail::sj::fast_path {
 public:
  simdjson_object_decoder() = default;
  simdjson_object_decoder(const simdjson_object_decoder&) = delete;
  simdjson_object_decoder& operator=(const simdjson_object_decoder&) = delete;
  simdjson_object_decoder(simdjson_object_decoder&&) noexcept = default;
  simdjson_object_decoder& operator=(simdjson_object_decoder&&) noexcept = default;
  ~simdjson_object_decoder() override = default;

  bool decode(const framed_object& object, decoded_object& out) override {
    ++decodes_;
    last_ = simdjson_fallback::none;
    walker_.reset();
    simdjson::ondemand::document doc;
    if (object.text.size() > detail::sj::max_bytes) {
      last_ = simdjson_fallback::limit;
    } else if (!input_.iterate(object.text, doc)) {
      last_ = simdjson_fallback::syntax;
    } else if (walker_.framed(doc, object, out)) {
      return true;
    }
    fell_back();
    out = decoded_object{};
    return false;
  }
  // decodes() counts the objects offered, fallbacks() those left to the stream decoder's reader
  // (detail::sj::fast_path).
};

}  // namespace epslice
