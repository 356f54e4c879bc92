// SPDX-License-Identifier: Apache-2.0
// The simdjson On-Demand walk behind simdjson_decoder: fills the typed model, or gives up.
//
// The walk decodes exactly what json.hpp's reader decodes, field for field (unknown fields kept as
// the same compact, Go-escaped text, metadata fields in Go's order, nil and empty lists apart,
// addresses typed by the addressType read before them, raw slices for addresses that do not
// parse, v1beta1 converted, an absent apiVersion inferred from the kind). It never reports a
// problem itself: anything the reader would report, and anything unusual (a repeated key, a known
// key spelled with escapes, a null label, deep nesting, a watch event, a typed-list item that takes
// its type from the list), makes it return false with a reason, and the caller hands the same
// bytes to the reader, which owns every error message.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "../json.hpp"
#include "../types.hpp"
#include "json_writer.hpp"

namespace epslice {

/// Why simdjson_decoder handed a document to the nlohmann reader (see simdjson.hpp).
enum class simdjson_fallback : std::uint8_t {
  none,           ///< the fast path decoded the document
  syntax,         ///< simdjson found text that is not JSON, or more than one top-level value
  type,           ///< a value of a JSON type its field does not take (the reader reports it)
  number,         ///< a number its field cannot hold as it is (a fraction, out of range)
  duplicate_key,  ///< a key given twice in one object
  limit,          ///< a document larger or nested deeper than the fast path reads
  shape,          ///< a form the fast path leaves to the reader (watch event, stream, bare array,
                  ///< byte order mark, nested list, typed-list item without its own kind or
                  ///< apiVersion, known key spelled with escapes, null map value)
  family,         ///< decode_endpoint_slice_as found another address family (the reader says so)
};

namespace detail::sj {

namespace od = simdjson::ondemand;

// Field names per object, in the reader's terms; the index is the field id.
inline constexpr std::string_view slice_keys[] = {"kind", "apiVersion", "metadata", "addressType", "endpoints", "ports"};
inline constexpr std::string_view meta_keys[] = {"name", "generateName", "namespace", "uid", "resourceVersion",
                                                 "generation", "creationTimestamp", "deletionTimestamp",
                                                 "labels", "annotations", "ownerReferences"};
inline constexpr std::string_view owner_keys[] = {"apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"};
inline constexpr std::string_view endpoint_keys[] = {"addresses", "conditions", "hostname", "targetRef",
                                                     "deprecatedTopology", "nodeName", "zone", "hints"};
inline constexpr std::string_view condition_keys[] = {"ready", "serving", "terminating"};
inline constexpr std::string_view ref_keys[] = {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"};
inline constexpr std::string_view hint_keys[] = {"forZones", "forNodes"};
inline constexpr std::string_view name_keys[] = {"name"};
inline constexpr std::string_view port_keys[] = {"name", "protocol", "port", "appProtocol"};
inline constexpr std::string_view endpoints_keys[] = {"kind", "apiVersion", "metadata", "subsets"};
inline constexpr std::string_view subset_keys[] = {"addresses", "notReadyAddresses", "ports"};
inline constexpr std::string_view address_keys[] = {"ip", "hostname", "nodeName", "targetRef"};
inline constexpr std::string_view sub_port_keys[] = {"name", "port", "protocol", "appProtocol"};
inline constexpr std::string_view list_keys[] = {"kind", "apiVersion", "metadata", "items"};

template <std::size_t N>
[[nodiscard]] constexpr int key_index(const std::string_view (&names)[N], std::string_view key) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i].size() == key.size() && names[i] == key) return static_cast<int>(i);
  return -1;
}

// The index of a key of the model, as a constant: what `known` handlers of walker::fields get.
template <int I>
using key_id = std::integral_constant<int, I>;

// Nesting the fast path reads (the reader's default limit is far deeper; deeper documents go there).
inline constexpr int max_depth = 128;

// Levels kept below a caller's max_depth: the walk counts nesting where it captures values, and a
// document it reads must stay clear of the reader's limit (falling back early is always right).
inline constexpr int depth_margin = 8;

// The largest document the fast path reads: the reader's limit per object (larger ones go there).
inline constexpr std::size_t max_bytes = std::size_t{64} << 20;

[[nodiscard]] constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The text of a JSON string from just after its opening quote, when it holds no escape; false when
// it does. The input is valid JSON text up to a closing quote (stage 1 checked it) and padded, so
// reading up to seven bytes past that quote stays inside the buffer.
[[nodiscard]] inline bool plain_string_at(const char* p, std::string_view& out) noexcept {
  const char* q = p;
  if constexpr (std::endian::native == std::endian::little) {
    // Eight bytes at a time: the lowest byte flagged by the zero-byte test is the first `"` or `\`.
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    for (;; q += 8) {
      std::uint64_t w;
      std::memcpy(&w, q, 8);
      const std::uint64_t quote = w ^ (ones * '"');
      const std::uint64_t slash = w ^ (ones * '\\');
      const std::uint64_t hit = ((quote - ones) & ~quote & highs) | ((slash - ones) & ~slash & highs);
      if (hit != 0) {
        q += std::countr_zero(hit) / 8;
        break;
      }
    }
  } else {
    while (*q != '"' && *q != '\\') ++q;
  }
  out = std::string_view(p, static_cast<std::size_t>(q - p));
  return *q == '"';
}

// Whether the JSON string from just after its opening quote reads `want` (short ASCII) once its
// escapes are resolved, without writing the resolved text anywhere.
[[nodiscard]] inline bool string_reads(const char* p, std::string_view want) noexcept {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::size_t n = 0;
  while (*p != '"') {
    char c = *p++;
    if (c == '\\') {
      const char e = *p++;
      switch (e) {
        case '"': case '\\': case '/': c = e; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
          int cp = 0;
          for (int k = 0; k < 4; ++k) {
            const int h = hex(*p++);
            if (h < 0) return false;
            cp = cp * 16 + h;
          }
          if (cp >= 0x80) return false;  // want is ASCII
          c = static_cast<char>(cp);
          break;
        }
        default: return false;
      }
    }
    if (n >= want.size() || want[n] != c) return false;
    ++n;
  }
  return n == want.size();
}

// The keys of one object, to find repeats: a linear scan while the object is small, a hash set
// once it is not, so that an object of n keys costs O(n). Scopes nest on one shared vector.
class key_scope {
 public:
  explicit key_scope(std::vector<std::string_view>& keys) noexcept : keys_(keys), start_(keys.size()) {}
  key_scope(const key_scope&) = delete;
  key_scope& operator=(const key_scope&) = delete;
  ~key_scope() {
    if (keys_.size() != start_) keys_.resize(start_);
  }

  // False when `k` was inserted before.
  bool insert(std::string_view k) {
    if (big_) return big_->insert(k).second;
    for (std::size_t i = start_; i < keys_.size(); ++i)
      if (keys_[i] == k) return false;
    keys_.push_back(k);
    if (keys_.size() - start_ > small_limit) {
      big_.emplace(keys_.begin() + static_cast<std::ptrdiff_t>(start_), keys_.end());
      keys_.resize(start_);
    }
    return true;
  }

 private:
  static constexpr std::size_t small_limit = 16;
  std::vector<std::string_view>& keys_;
  std::size_t start_;
  std::optional<std::unordered_set<std::string_view>> big_;
};

// Where addresses go once one of a typed slice did not parse: the slice becomes raw, addresses
// read before it keep their canonical text and the rest keep theirs, exactly as the reader does.
struct address_tail {
  bool demoted = false;
  std::vector<std::pair<std::uint32_t, std::string>> texts;  // (endpoint index, address text) in order
};

/// The walk of one document (reusable: it keeps its scratch space between documents).
class walker {
 public:
  /// Why the last walk gave up (none after a walk that succeeded).
  [[nodiscard]] simdjson_fallback reason() const noexcept { return why_; }
  /// Forget the reason of an earlier walk; the next walk reads nesting up to `depth_limit`
  /// levels (at most max_depth) and gives up past it.
  void reset(int depth_limit = max_depth) noexcept {
    why_ = simdjson_fallback::none;
    depth_limit_ = std::min(depth_limit, max_depth);
  }

  /// Decode a whole document that must be one EndpointSlice.
  bool slice_document(od::document& doc, any_endpoint_slice& out) {
    od::object o;
    if (auto e = doc.get_object().get(o)) return fail(e);
    return slice_object(o, out, true, false, 1) && at_end(doc);
  }

  /// Decode a whole document that must be one Endpoints object.
  bool endpoints_document(od::document& doc, endpoints& out) {
    od::object o;
    if (auto e = doc.get_object().get(o)) return fail(e);
    return endpoints_object(o, out, true, false, 1) && at_end(doc);
  }

  /// Decode one object a stream_decoder framed, with the type fields it settled (`f`), as its
  /// reader would. The framer has checked the object's text and limits.
  bool framed(od::document& doc, const framed_object& f, decoded_object& out) {
    od::object o;
    if (auto e = doc.get_object().get(o)) return fail(e);
    if (f.kind_inferred && f.kind != "EndpointSlice" && f.kind != "Endpoints") return miss(simdjson_fallback::shape);
    const std::string_view list_api = f.typed_list_item && f.api_version_inferred ? f.api_version : std::string_view();
    if (!object_taking(o, f.kind, out, f.top_level, f.typed_list_item, 1, f.kind_inferred, list_api) || !at_end(doc))
      return false;
    // The walker settled the apiVersion by the same rules; a disagreement is the reader's to word.
    if (out.api_version_inferred != f.api_version_inferred || out.api_version() != f.api_version)
      return miss(simdjson_fallback::shape);
    out.kind_inferred = f.kind_inferred;
    return true;
  }

  /// Decode a whole document holding one object or one list, as decode_document does.
  bool any_document(od::document& doc, decoded_document& out) {
    std::string_view kind;
    bool has_kind = false;
    {
      od::object o;
      if (auto e = doc.get_object().get(o)) return fail(e);
      if (!find_kind(o, true, kind, has_kind)) return false;
    }
    doc.rewind();
    od::object o;
    if (auto e = doc.get_object().get(o)) return fail(e);
    if (has_kind && is_list_kind(kind)) {
      out.had_list = true;
      if (!list_object(o, out)) return false;
    } else {
      watch_event& ev = out.events.emplace_back();
      ev.shape = stream_shape::object;
      if (!object_of_kind(o, has_kind ? kind : std::string_view(), ev.object, true, false, 1)) return false;
    }
    if (!at_end(doc)) return false;
    out.values = 1;
    return true;
  }

 private:
  simdjson_fallback why_ = simdjson_fallback::none;
  int depth_limit_ = max_depth;
  // What the last object read said of its apiVersion: whether it had one of its own (present and
  // not "", as the reader counts it) and whether one was inferred from its kind.
  bool api_own_ = false;
  bool api_inferred_ = false;
  // Whether the slice being read is discovery.k8s.io/v1beta1, as far as its apiVersion was read.
  enum class beta_state : std::uint8_t { unknown, yes, no };
  beta_state beta_ = beta_state::unknown;
  // While an item of a typed list is read (list_object): whether it has no kind of its own and
  // takes its list's item kind, and the list's apiVersion, which an item without one takes ("":
  // none was given, and the kind's applies).
  bool list_kind_ = false;
  std::string_view list_api_;
  std::vector<std::string_view> keys_;
  std::string scratch_;
  // Sizes of the last lists read, to size the next ones: endpoints of a slice, addresses and
  // not-ready addresses of an Endpoints subset. At most 1000 (the API's maximum per slice, and
  // where the controller truncates an Endpoints object).
  std::size_t endpoints_hint_ = 0;
  std::size_t addresses_hint_ = 0;
  std::size_t not_ready_hint_ = 0;
  static constexpr std::size_t max_list_hint = 1000;

  bool miss(simdjson_fallback r) noexcept {
    if (why_ == simdjson_fallback::none) why_ = r;
    return false;
  }
  bool fail(simdjson::error_code e) noexcept {
    switch (e) {
      case simdjson::INCORRECT_TYPE: return miss(simdjson_fallback::type);
      case simdjson::NUMBER_ERROR:
      case simdjson::NUMBER_OUT_OF_RANGE: return miss(simdjson_fallback::number);
      case simdjson::DEPTH_ERROR:
      case simdjson::CAPACITY: return miss(simdjson_fallback::limit);
      default: return miss(simdjson_fallback::syntax);
    }
  }

  // Nothing after the top-level value but whitespace (a second value is a stream: the reader's).
  bool at_end(od::document& doc) {
    if (doc.current_location().error() == simdjson::OUT_OF_BOUNDS) return true;
    return miss(simdjson_fallback::shape);
  }

  static bool is_list_kind(std::string_view kind) noexcept {
    return kind == "List" || (kind.size() > 4 && kind.substr(kind.size() - 4) == "List");
  }

  // A key of a top-level object that can change what the reader makes of it: `object` / `Object`
  // (a watch event, when the kind is not its own) and `items` (a List, when it comes before the
  // kind). Such objects are left to the reader whatever their kind.
  static bool reshapes(std::string_view key) noexcept { return key == "object" || key == "Object" || key == "items"; }

  // The kind of an object, read ahead without unescaping anything (so that no string is unescaped
  // twice into the parser's buffer, which holds each string once): the value of the first `kind`
  // key. At the top level, a key `object` or `Object` before it may make the object a watch event.
  bool find_kind(od::object& o, bool top_level, std::string_view& kind, bool& found) {
    found = false;
    for (auto fr : o) {
      if (auto e = fr.error()) return fail(e);
      od::field& f = fr.value_unsafe();  // not copied out (see fields())
      std::string_view key;
      const char* raw_key = f.key().raw();
      const bool plain = plain_string_at(raw_key, key);
      if (plain ? key == "kind" : string_reads(raw_key, "kind")) {
        od::raw_json_string raw;
        if (auto e = f.value().get_raw_json_string().get(raw)) return fail(e);
        if (!plain_string_at(raw.raw(), kind)) return miss(simdjson_fallback::shape);
        found = true;
        return true;
      }
      if (top_level && (plain ? key == "object" || key == "Object"
                              : string_reads(raw_key, "object") || string_reads(raw_key, "Object")))
        return miss(simdjson_fallback::shape);
    }
    return true;
  }

  // ---- fields of an object -------------------------------------------------------------------

  // Calls known(key_id<I>{}, value) for the key Names[I] and unknown(key, value) for the others;
  // gives up on a repeated key or a known key spelled with escapes. Two things here are for
  // speed, measured on the world slice: the key's index reaches `known` as a constant, so that
  // each key gets its own code instead of a jump table on a run-time index (6% of the decode);
  // and fields and array elements are used where simdjson's iterator holds them, not copied out
  // with get(): the copy was a 16-byte load of two smaller fresh stores, which the CPU cannot
  // forward, and stalled on every field (40% of the decode).
  template <const auto& Names, class Known, class Unknown>
  bool fields(od::object& o, Known&& known, Unknown&& unknown) {
    static_assert(std::size(Names) <= 32);
    std::uint32_t seen = 0;
    key_scope others(keys_);
    for (auto fr : o) {
      if (auto e = fr.error()) return fail(e);
      od::field& f = fr.value_unsafe();  // not copied out (see fields())
      const char* raw_key = f.key().raw();
      const int handled = known_key<Names>(raw_key, f.value(), seen, known, std::make_index_sequence<std::size(Names)>{});
      if (handled == 0) return false;
      if (handled > 0) continue;
      std::string_view key;
      if (!plain_string_at(raw_key, key)) {
        if (auto e = f.unescaped_key().get(key)) return fail(e);
        if (key_index(Names, key) >= 0) return miss(simdjson_fallback::shape);
      }
      if (!others.insert(key)) return miss(simdjson_fallback::duplicate_key);
      if (!unknown(key, f.value())) return false;
    }
    return true;
  }

  // 1 when the key at `raw_key` is Names[I] for some I and known() took its value, 0 when that
  // gave up (or the key repeats), -1 when the key is none of Names.
  template <const auto& Names, class Known, std::size_t... I>
  int known_key(const char* raw_key, od::value& v, std::uint32_t& seen, Known& known, std::index_sequence<I...>) {
    int handled = -1;
    (void)((std::memcmp(raw_key, Names[I].data(), Names[I].size()) == 0 && raw_key[Names[I].size()] == '"'
                ? (handled = take_known<I>(v, seen, known), true)
                : false) ||
           ...);
    return handled;
  }
  template <std::size_t I, class Known>
  int take_known(od::value& v, std::uint32_t& seen, Known& known) {
    constexpr std::uint32_t bit = std::uint32_t{1} << I;
    if (seen & bit) {
      miss(simdjson_fallback::duplicate_key);
      return 0;
    }
    seen |= bit;
    return known(key_id<static_cast<int>(I)>{}, v) ? 1 : 0;
  }

  // An unknown field kept as JSON text.
  bool keep(unknown_fields& extra, std::string_view key, od::value& v, int depth) {
    std::string json;
    if (!capture(v, json, depth)) return false;
    extra.push_back(unknown_field{std::string(key), std::move(json)});
    return true;
  }
  // A field the reader drops: read (so that it is checked) and forgotten.
  bool drop(od::value& v, int depth) {
    scratch_.clear();
    return capture(v, scratch_, depth);
  }

  // ---- scalars ---------------------------------------------------------------------------------

  static bool null_here(od::value& v) noexcept {
    bool n = false;
    return !v.is_null().get(n) && n;
  }
  bool expect_null(od::value& v) {
    bool n = false;
    if (auto e = v.is_null().get(n)) return fail(e);
    return n ? true : miss(simdjson_fallback::type);
  }
  // The text of a string value (INCORRECT_TYPE, nothing consumed, when it is not a string). A
  // string without escapes (nearly all) is used where it lies, not copied into simdjson's string
  // buffer: the input is valid UTF-8 without raw control characters (stage 1 checked all of it).
  simdjson::error_code text_of(od::value& v, std::string_view& s) {
    const std::string_view token = v.raw_json_token();
    if (!token.empty() && token[0] == '"' && plain_string_at(token.data() + 1, s)) {
      od::raw_json_string consumed;
      return v.get_raw_json_string().get(consumed);
    }
    return v.get_string().get(s);
  }
  // A string, or null (`is_null` set); anything else gives up.
  bool string_or_null(od::value& v, std::string_view& s, bool& is_null) {
    const simdjson::error_code e = text_of(v, s);
    if (e == simdjson::SUCCESS) {
      is_null = false;
      return true;
    }
    if (e != simdjson::INCORRECT_TYPE) return fail(e);
    is_null = true;
    return expect_null(v);
  }
  // A Go string: null leaves it as it is.
  template <class String>  // std::string or heap_string
  bool read_string(od::value& v, String& dst) {
    std::string_view s;
    bool is_null = false;
    if (!string_or_null(v, s, is_null)) return false;
    if (!is_null) dst.assign(s);
    return true;
  }
  // A Go *string: null resets it.
  template <class Optional>  // std::optional<std::string> or heap_optional<std::string>
  bool read_opt_string(od::value& v, Optional& dst) {
    std::string_view s;
    bool is_null = false;
    if (!string_or_null(v, s, is_null)) return false;
    if (is_null) dst.reset();
    else dst = s;
    return true;
  }
  bool read_opt_bool(od::value& v, std::optional<bool>& dst) {
    auto r = v.get_bool();
    if (!r.error()) {
      dst = r.value_unsafe();
      return true;
    }
    if (r.error() != simdjson::INCORRECT_TYPE) return fail(r.error());
    if (!expect_null(v)) return false;
    dst.reset();
    return true;
  }
  // An integer in [lo, hi]; null gives nullopt. Fractions and numbers out of range give up.
  bool read_int(od::value& v, std::int64_t lo, std::int64_t hi, std::optional<std::int64_t>& dst) {
    auto r = v.get_int64();
    if (!r.error()) {
      const std::int64_t x = r.value_unsafe();
      if (x < lo || x > hi) return miss(simdjson_fallback::number);
      dst = x;
      return true;
    }
    if (r.error() != simdjson::INCORRECT_TYPE) return fail(r.error());
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail(e);
    if (t == od::json_type::number) return miss(simdjson_fallback::number);
    if (!expect_null(v)) return false;
    dst.reset();
    return true;
  }
  bool read_opt_int32(od::value& v, std::optional<std::int32_t>& dst) {
    std::optional<std::int64_t> x;
    if (!read_int(v, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), x)) return false;
    if (x) dst = static_cast<std::int32_t>(*x);
    else dst.reset();
    return true;
  }

  // ---- values kept as JSON text ----------------------------------------------------------------

  // Append `v` to `out` as the reader captures it: compact, keys and strings re-escaped as Go
  // escapes them, integers in their shortest form, other numbers as written.
  bool capture(od::value& v, std::string& out, int depth) {
    if (depth > depth_limit_) return miss(simdjson_fallback::limit);
    od::json_type t{};
    if (auto e = v.type().get(t)) return fail(e);
    switch (t) {
      case od::json_type::object: {
        od::object o;
        if (auto e = v.get_object().get(o)) return fail(e);
        out += '{';
        key_scope keys(keys_);
        bool first = true;
        for (auto fr : o) {
          if (auto e = fr.error()) return fail(e);
          od::field& f = fr.value_unsafe();  // not copied out (see fields())
          std::string_view key;
          if (!plain_string_at(f.key().raw(), key))
            if (auto e = f.unescaped_key().get(key)) return fail(e);
          if (!keys.insert(key)) return miss(simdjson_fallback::duplicate_key);
          if (!first) out += ',';
          first = false;
          write_json_string(out, key);
          out += ':';
          if (!capture(f.value(), out, depth + 1)) return false;
        }
        out += '}';
        return true;
      }
      case od::json_type::array: {
        od::array a;
        if (auto e = v.get_array().get(a)) return fail(e);
        out += '[';
        bool first = true;
        for (auto er : a) {
          if (auto e = er.error()) return fail(e);
          od::value& x = er.value_unsafe();
          if (!first) out += ',';
          first = false;
          if (!capture(x, out, depth + 1)) return false;
        }
        out += ']';
        return true;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = text_of(v, s)) return fail(e);
        write_json_string(out, s);
        return true;
      }
      case od::json_type::number: {
        std::string_view token = v.raw_json_token();
        od::number n;
        if (auto e = v.get_number().get(n)) return fail(e);
        switch (n.get_number_type()) {
          case od::number_type::signed_integer: write_int(out, n.get_int64()); break;
          case od::number_type::unsigned_integer: out += std::to_string(n.get_uint64()); break;
          default:
            // The reader keeps a fraction or exponent as it was written.
            while (!token.empty() && is_space(token.back())) token.remove_suffix(1);
            out += token;
            break;
        }
        return true;
      }
      case od::json_type::boolean: {
        bool b = false;
        if (auto e = v.get_bool().get(b)) return fail(e);
        out += b ? "true" : "false";
        return true;
      }
      case od::json_type::null:
        if (!expect_null(v)) return false;
        out += "null";
        return true;
    }
    return miss(simdjson_fallback::syntax);
  }

  // ---- metadata --------------------------------------------------------------------------------

  // labels, annotations, deprecatedTopology. Go writes maps in key order, so keys usually arrive
  // sorted and go in at the end.
  bool read_map(od::value& v, string_map& m) {
    od::object o;
    if (auto e = v.get_object().get(o)) {
      if (e != simdjson::INCORRECT_TYPE) return fail(e);
      return expect_null(v);
    }
    for (auto fr : o) {
      if (auto e = fr.error()) return fail(e);
      od::field& f = fr.value_unsafe();  // not copied out (see fields())
      std::string_view key;
      if (!plain_string_at(f.key().raw(), key))
        if (auto e = f.unescaped_key().get(key)) return fail(e);
      std::string_view s;
      bool is_null = false;
      if (!string_or_null(f.value(), s, is_null)) return false;
      if (is_null) return miss(simdjson_fallback::shape);  // the reader skips it; so rare it is not worth a path
      if (m.empty() || m.rbegin()->first < key) {
        m.emplace_hint(m.end(), key, s);
      } else {
        if (m.find(key) != m.end()) return miss(simdjson_fallback::duplicate_key);
        m.emplace(key, s);
      }
    }
    return true;
  }

  bool owner_references(od::value& v, std::vector<owner_reference>& refs, int depth) {
    od::array a;
    if (auto e = v.get_array().get(a)) {
      if (e != simdjson::INCORRECT_TYPE) return fail(e);
      return expect_null(v);
    }
    for (auto er : a) {
      if (auto e = er.error()) return fail(e);
      od::value& x = er.value_unsafe();
      od::object o;
      if (auto e = x.get_object().get(o)) return fail(e);
      owner_reference& r = refs.emplace_back();
      const bool ok = fields<owner_keys>(
          o,
          [&](auto id, od::value& y) {
            constexpr int k = decltype(id)::value;
            if constexpr (k == 0) {
              return read_string(y, r.api_version);
            } else if constexpr (k == 1) {
              return read_string(y, r.kind);
            } else if constexpr (k == 2) {
              return read_string(y, r.name);
            } else if constexpr (k == 3) {
              return read_string(y, r.uid);
            } else if constexpr (k == 4) {
              return read_opt_bool(y, r.controller);
            } else {
              return read_opt_bool(y, r.block_owner_deletion);
            }
          },
          [&](std::string_view key, od::value& y) { return keep(r.extra, key, y, depth + 2); });
      if (!ok) return false;
    }
    return true;
  }

  bool meta(od::value& v, object_meta& m, int depth) {
    od::object o;
    if (auto e = v.get_object().get(o)) {
      if (e != simdjson::INCORRECT_TYPE) return fail(e);
      return expect_null(v);
    }
    const bool ok = fields<meta_keys>(
        o,
        [&](auto id, od::value& x) {
          constexpr int k = decltype(id)::value;
          if constexpr (k == 0) {
            return read_string(x, m.name);
          } else if constexpr (k == 1) {
            return read_string(x, m.generate_name);
          } else if constexpr (k == 2) {
            return read_string(x, m.namespace_);
          } else if constexpr (k == 3) {
            return read_string(x, m.uid);
          } else if constexpr (k == 4) {
            return read_string(x, m.resource_version);
          } else if constexpr (k == 5) {
            std::optional<std::int64_t> g;
            if (!read_int(x, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), g)) return false;
            if (g) m.generation = *g;
            return true;
          } else if constexpr (k == 6) {
            // A null creationTimestamp is kept as given (an explicit null).
            std::string_view s;
            bool is_null = false;
            if (!string_or_null(x, s, is_null)) return false;
            if (is_null) m.extra.push_back(unknown_field{"creationTimestamp", "null"});
            else m.creation_timestamp.emplace(s);
            return true;
          } else if constexpr (k == 7) {
            return read_opt_string(x, m.deletion_timestamp);
          } else if constexpr (k == 8) {
            return read_map(x, m.labels);
          } else if constexpr (k == 9) {
            return read_map(x, m.annotations);
          } else {
            return owner_references(x, m.owner_references, depth + 1);
          }
        },
        [&](std::string_view key, od::value& x) { return keep(m.extra, key, x, depth + 1); });
    if (!ok) return false;
    // Unmodelled fields in Go's order, unknown ones last in the order read, as the reader keeps them.
    if (m.extra.size() > 1)
      std::stable_sort(m.extra.begin(), m.extra.end(), [](const unknown_field& a, const unknown_field& b) {
        return object_meta_rank(a.key) < object_meta_rank(b.key);
      });
    return true;
  }

  bool object_reference_value(od::value& v, object_reference& r, int depth) {
    od::object o;
    if (auto e = v.get_object().get(o)) return fail(e);
    return fields<ref_keys>(
        o,
        [&](auto id, od::value& x) {
          constexpr int k = decltype(id)::value;
          if constexpr (k == 0) {
            return read_string(x, r.kind);
          } else if constexpr (k == 1) {
            return read_string(x, r.namespace_);
          } else if constexpr (k == 2) {
            return read_string(x, r.name);
          } else if constexpr (k == 3) {
            return read_string(x, r.uid);
          } else if constexpr (k == 4) {
            return read_string(x, r.api_version);
          } else if constexpr (k == 5) {
            return read_string(x, r.resource_version);
          } else {
            return read_string(x, r.field_path);
          }
        },
        [&](std::string_view key, od::value& x) { return keep(r.extra.edit(), key, x, depth + 1); });
  }

  // ---- EndpointSlice ---------------------------------------------------------------------------

  template <class F>
  bool add_address(basic_endpoint<F>& ep, std::string_view text, std::uint32_t index, address_tail& tail) {
    if constexpr (std::is_same_v<F, raw>) {
      ep.addresses.push_back(std::string(text));
    } else {
      if (!tail.demoted) {
        if (auto a = F::parse(text)) {
          ep.addresses.push_back(std::move(*a));
          return true;
        }
        tail.demoted = true;
      }
      tail.texts.emplace_back(index, std::string(text));
    }
    return true;
  }

  template <class F>
  bool endpoint(od::object& o, basic_endpoint<F>& ep, std::uint32_t index, address_tail& tail, int depth) {
    return fields<endpoint_keys>(
        o,
        [&](auto id, od::value& x) {
          constexpr int k = decltype(id)::value;
          if constexpr (k == 0) {
            od::array a;
            if (auto e = x.get_array().get(a)) {
              if (e != simdjson::INCORRECT_TYPE) return fail(e);
              if (!expect_null(x)) return false;
              ep.addresses.set_nil();
              return true;
            }
            ep.addresses.clear();
            ep.addresses.set_empty_not_nil();
            for (auto er : a) {
              if (auto e = er.error()) return fail(e);
              od::value& y = er.value_unsafe();
              std::string_view s;
              if (auto e = text_of(y, s)) return fail(e);
              if (!add_address(ep, s, index, tail)) return false;
            }
            return true;
          } else if constexpr (k == 1) {
            od::object c;
            if (auto e = x.get_object().get(c)) {
              if (e != simdjson::INCORRECT_TYPE) return fail(e);
              return expect_null(x);
            }
            return fields<condition_keys>(
                c,
                [&](auto cid, od::value& y) {
                  constexpr int ck = decltype(cid)::value;
                  if constexpr (ck == 0) {
                    return read_opt_bool(y, ep.conditions.ready);
                  } else if constexpr (ck == 1) {
                    return read_opt_bool(y, ep.conditions.serving);
                  } else {
                    return read_opt_bool(y, ep.conditions.terminating);
                  }
                },
                [&](std::string_view, od::value& y) { return drop(y, depth + 2); });
          } else if constexpr (k == 2) {
            return read_opt_string(x, ep.hostname);
          } else if constexpr (k == 3) {
            if (null_here(x)) {
              ep.target_ref.reset();
              return true;
            }
            return object_reference_value(x, heap_access::fresh(ep.target_ref), depth + 1);
          } else if constexpr (k == 4) {
            string_map m;
            if (!read_map(x, m)) return false;
            ep.deprecated_topology = std::move(m);  // allocated only when not empty
            return true;
          } else if constexpr (k == 5) {
            return read_opt_string(x, ep.node_name);
          } else if constexpr (k == 6) {
            return read_opt_string(x, ep.zone);
          } else {
            if (null_here(x)) {
              ep.hints.reset();
              return true;
            }
            od::object h;
            if (auto e = x.get_object().get(h)) return fail(e);
            endpoint_hints& hints = heap_access::fresh(ep.hints);
            return fields<hint_keys>(
                h,
                [&](auto hid, od::value& y) {
                  if constexpr (decltype(hid)::value == 0) return named_list(y, hints.for_zones, depth + 2);
                  else return named_list(y, hints.for_nodes, depth + 2);
                },
                [&](std::string_view key, od::value& y) { return keep(hints.extra, key, y, depth + 2); });
          }
        },
        [&](std::string_view key, od::value& x) {
          // `topology` is a field of v1beta1 only (the reader knows the apiVersion up front; the
          // walk knows it once read, and leaves a topology before it to the reader).
          if (key == "topology" && beta_ != beta_state::no) {
            if (beta_ == beta_state::unknown) return miss(simdjson_fallback::shape);
            string_map m;
            if (!read_map(x, m)) return false;
            ep.deprecated_topology = std::move(m);
            return true;
          }
          return keep(ep.extra.edit(), key, x, depth + 1);
        });
  }

  // hints.forZones / hints.forNodes: [{name}], other keys of an item dropped as the reader drops them.
  template <class Named>
  bool named_list(od::value& v, std::vector<Named>& out, int depth) {
    od::array a;
    if (auto e = v.get_array().get(a)) {
      if (e != simdjson::INCORRECT_TYPE) return fail(e);
      return expect_null(v);
    }
    for (auto er : a) {
      if (auto e = er.error()) return fail(e);
      od::value& x = er.value_unsafe();
      od::object o;
      if (auto e = x.get_object().get(o)) return fail(e);
      Named& item = out.emplace_back();
      const bool ok = fields<name_keys>(
          o, [&](auto, od::value& y) { return read_string(y, item.name); },
          [&](std::string_view, od::value& y) { return drop(y, depth + 2); });
      if (!ok) return false;
    }
    return true;
  }

  template <class F>
  bool endpoint_list(od::array& a, nullable_vector<basic_endpoint<F>>& out, address_tail& tail, int depth) {
    out.clear();
    out.set_empty_not_nil();
    // Slices of one stream are alike: room for as many endpoints as the last one had saves the
    // vector's regrowth (7% of the decode); a guess far too large is given back below.
    out.reserve(std::min(endpoints_hint_, max_list_hint));
    std::uint32_t index = 0;
    for (auto er : a) {
      if (auto e = er.error()) return fail(e);
      od::value& x = er.value_unsafe();
      od::object o;
      if (auto e = x.get_object().get(o)) return fail(e);
      if (!endpoint(o, out.emplace_back(), index, tail, depth + 1)) return false;
      ++index;
    }
    endpoints_hint_ = out.size();
    if (out.capacity() > 2 * out.size() + 16) out.shrink_to_fit();
    return true;
  }

  bool slice_ports(od::value& v, nullable_vector<endpoint_port>& ports, int depth) {
    od::array a;
    if (auto e = v.get_array().get(a)) {
      if (e != simdjson::INCORRECT_TYPE) return fail(e);
      if (!expect_null(v)) return false;
      ports.set_nil();
      return true;
    }
    ports.clear();
    ports.set_empty_not_nil();
    for (auto er : a) {
      if (auto e = er.error()) return fail(e);
      od::value& x = er.value_unsafe();
      od::object o;
      if (auto e = x.get_object().get(o)) return fail(e);
      endpoint_port& p = ports.emplace_back();
      const bool ok = fields<port_keys>(
          o,
          [&](auto id, od::value& y) {
            constexpr int k = decltype(id)::value;
            if constexpr (k == 0) {
              return read_opt_string(y, p.name);
            } else if constexpr (k == 1) {
              return read_opt_string(y, p.protocol);
            } else if constexpr (k == 2) {
              return read_opt_int32(y, p.port);
            } else {
              return read_opt_string(y, p.app_protocol);
            }
          },
          [&](std::string_view key, od::value& y) { return keep(p.extra, key, y, depth + 2); });
      if (!ok) return false;
    }
    return true;
  }

  // discovery.k8s.io/v1beta1: each endpoint's topology (read into deprecated_topology) becomes
  // zone and deprecatedTopology, with the reader's own conversion.
  template <class F>
  static void convert_v1beta1(basic_endpoint_slice<F>& s) {
    for (auto& ep : s.endpoints) convert_v1beta1_topology(ep);
    s.api_version = "discovery.k8s.io/v1";
  }

  // The typed slice of family F, or its raw form when an address did not parse.
  template <class F>
  bool finish_typed(endpoint_slice_raw& head, nullable_vector<basic_endpoint<F>>& eps, address_tail& tail, bool beta,
                    any_endpoint_slice& out) {
    basic_endpoint_slice<F> s;
    move_common(head, s);  // the standard reader's own move
    s.endpoints = std::move(eps);
    if (!tail.demoted) {
      if (beta) convert_v1beta1(s);
      out = std::move(s);
      return true;
    }
    endpoint_slice_raw r = to_raw(s);
    for (auto& [index, text] : tail.texts) r.endpoints[index].addresses.push_back(std::move(text));
    if (beta) convert_v1beta1(r);
    out = to_typed(std::move(r));
    return true;
  }

  // `typed_list`: an item of a typed list, whose missing apiVersion comes from the list (see
  // infer_api_version); elsewhere a missing one is the kind's.
  bool slice_object(od::object& o, any_endpoint_slice& out, bool top_level, bool typed_list, int depth) {
    enum class mode : std::uint8_t { v4, v6, fqdn, raw };
    beta_ = beta_state::unknown;
    endpoint_slice_raw head;  // everything but typed endpoints
    head.api_version.clear();
    head.kind.clear();
    nullable_vector<endpoint_v4> e4;
    nullable_vector<endpoint_v6> e6;
    nullable_vector<endpoint_fqdn> ef;
    address_tail tail;
    mode m = mode::raw;
    const bool ok = fields<slice_keys>(
        o,
        [&](auto id, od::value& x) {
          constexpr int k = decltype(id)::value;
          if constexpr (k == 0) {
            return read_string(x, head.kind);
          } else if constexpr (k == 1) {
            if (!read_api_version(x, head.api_version)) return false;
            beta_ = head.api_version == "discovery.k8s.io/v1beta1" ? beta_state::yes : beta_state::no;
            return true;
          } else if constexpr (k == 2) {
            return meta(x, head.metadata, depth + 1);
          } else if constexpr (k == 3) {
            // Go cannot tell an absent addressType from "": both read as absent.
            std::string_view s;
            bool is_null = false;
            if (!string_or_null(x, s, is_null)) return false;
            if (is_null || s.empty()) head.address_type.reset();
            else head.address_type.emplace(s);
            return true;
          } else if constexpr (k == 4) {
            od::array a;
            if (auto e = x.get_array().get(a)) {
              if (e != simdjson::INCORRECT_TYPE) return fail(e);
              if (!expect_null(x)) return false;
              m = mode::raw;
              head.endpoints.set_nil();
              return true;
            }
            // Typed by the addressType read so far (the reader's rule); raw otherwise.
            m = mode::raw;
            if (head.address_type) {
              if (*head.address_type == ipv4::name) m = mode::v4;
              else if (*head.address_type == ipv6::name) m = mode::v6;
              else if (*head.address_type == fqdn::name) m = mode::fqdn;
            }
            switch (m) {
              case mode::v4: return endpoint_list(a, e4, tail, depth + 1);
              case mode::v6: return endpoint_list(a, e6, tail, depth + 1);
              case mode::fqdn: return endpoint_list(a, ef, tail, depth + 1);
              case mode::raw: break;
            }
            return endpoint_list(a, head.endpoints, tail, depth + 1);
          } else {
            return slice_ports(x, head.ports, depth + 1);
          }
        },
        [&](std::string_view key, od::value& x) {
          if (top_level && reshapes(key)) return miss(simdjson_fallback::shape);
          return keep(head.extra, key, x, depth);
        });
    if (!ok) return false;
    if (list_kind_ && head.kind.empty()) head.kind = "EndpointSlice";  // no kind key: the list's
    if (head.kind != "EndpointSlice") return miss(simdjson_fallback::shape);
    if (!infer_api_version(head.api_version, "discovery.k8s.io/v1", typed_list)) return false;
    // A typed read stands only if the addressType did not change after the endpoints (a repeated
    // addressType gave up above, so it cannot have).
    const bool beta = head.api_version == "discovery.k8s.io/v1beta1";
    switch (m) {
      case mode::v4: return finish_typed(head, e4, tail, beta, out);
      case mode::v6: return finish_typed(head, e6, tail, beta, out);
      case mode::fqdn: return finish_typed(head, ef, tail, beta, out);
      case mode::raw: break;
    }
    if (beta) convert_v1beta1(head);
    out = to_typed(std::move(head));
    return true;
  }

  // ---- legacy Endpoints ------------------------------------------------------------------------

  // `hint`: how many the last list of its kind held (as for a slice's endpoints; an address is
  // large, so regrowth costs even more here).
  bool endpoint_addresses(od::value& v, std::vector<endpoint_address>& out, std::size_t& hint, int depth) {
    od::array a;
    if (auto e = v.get_array().get(a)) {
      if (e != simdjson::INCORRECT_TYPE) return fail(e);
      return expect_null(v);
    }
    out.reserve(std::min(hint, max_list_hint));
    for (auto er : a) {
      if (auto e = er.error()) return fail(e);
      od::value& x = er.value_unsafe();
      od::object o;
      if (auto e = x.get_object().get(o)) return fail(e);
      endpoint_address& ad = out.emplace_back();
      const bool ok = fields<address_keys>(
          o,
          [&](auto id, od::value& y) {
            constexpr int k = decltype(id)::value;
            if constexpr (k == 0) {
              return read_string(y, ad.ip);
            } else if constexpr (k == 1) {
              return read_string(y, ad.hostname);
            } else if constexpr (k == 2) {
              return read_opt_string(y, ad.node_name);
            } else {
              if (null_here(y)) {
                ad.target_ref.reset();
                return true;
              }
              return object_reference_value(y, ad.target_ref.emplace(), depth + 2);
            }
          },
          [&](std::string_view key, od::value& y) { return keep(ad.extra, key, y, depth + 2); });
      if (!ok) return false;
    }
    hint = out.size();
    if (out.capacity() > 2 * out.size() + 16) out.shrink_to_fit();
    return true;
  }

  bool endpoints_ports(od::value& v, std::vector<endpoints_port>& out, int depth) {
    od::array a;
    if (auto e = v.get_array().get(a)) {
      if (e != simdjson::INCORRECT_TYPE) return fail(e);
      return expect_null(v);
    }
    for (auto er : a) {
      if (auto e = er.error()) return fail(e);
      od::value& x = er.value_unsafe();
      od::object o;
      if (auto e = x.get_object().get(o)) return fail(e);
      endpoints_port& p = out.emplace_back();
      const bool ok = fields<sub_port_keys>(
          o,
          [&](auto id, od::value& y) {
            constexpr int k = decltype(id)::value;
            if constexpr (k == 0) {
              return read_string(y, p.name);
            } else if constexpr (k == 1) {
              std::optional<std::int32_t> port;
              if (!read_opt_int32(y, port)) return false;
              if (port) p.port = *port;
              return true;
            } else if constexpr (k == 2) {
              return read_string(y, p.protocol);
            } else {
              return read_opt_string(y, p.app_protocol);
            }
          },
          [&](std::string_view key, od::value& y) { return keep(p.extra, key, y, depth + 2); });
      if (!ok) return false;
    }
    return true;
  }

  bool endpoints_object(od::object& o, endpoints& out, bool top_level, bool typed_list, int depth) {
    out.api_version.clear();
    out.kind.clear();
    const bool ok = fields<endpoints_keys>(
        o,
        [&](auto id, od::value& x) {
          constexpr int k = decltype(id)::value;
          if constexpr (k == 0) {
            return read_string(x, out.kind);
          } else if constexpr (k == 1) {
            return read_api_version(x, out.api_version);
          } else if constexpr (k == 2) {
            return meta(x, out.metadata, depth + 1);
          } else {
            od::array a;
            if (auto e = x.get_array().get(a)) {
              if (e != simdjson::INCORRECT_TYPE) return fail(e);
              return expect_null(x);
            }
            for (auto er : a) {
              if (auto e = er.error()) return fail(e);
              od::value& y = er.value_unsafe();
              od::object so;
              if (auto e = y.get_object().get(so)) return fail(e);
              endpoint_subset& sub = out.subsets.emplace_back();
              const bool sub_ok = fields<subset_keys>(
                  so,
                  [&](auto sid, od::value& z) {
                    constexpr int sk = decltype(sid)::value;
                    if constexpr (sk == 0) {
                      return endpoint_addresses(z, sub.addresses, addresses_hint_, depth + 2);
                    } else if constexpr (sk == 1) {
                      return endpoint_addresses(z, sub.not_ready_addresses, not_ready_hint_, depth + 2);
                    } else {
                      return endpoints_ports(z, sub.ports, depth + 2);
                    }
                  },
                  [&](std::string_view key, od::value& z) { return keep(sub.extra, key, z, depth + 3); });
              if (!sub_ok) return false;
            }
            return true;
          }
        },
        [&](std::string_view key, od::value& x) {
          if (top_level && reshapes(key)) return miss(simdjson_fallback::shape);
          return keep(out.extra, key, x, depth);
        });
    if (!ok) return false;
    if (list_kind_ && out.kind.empty()) out.kind = "Endpoints";  // no kind key: the list's
    if (out.kind != "Endpoints") return miss(simdjson_fallback::shape);
    return infer_api_version(out.api_version, "v1", typed_list);
  }

  // ---- other kinds, lists ----------------------------------------------------------------------

  // An object of another kind (or of none), kept whole as compact JSON with its kind and apiVersion.
  bool raw_object_value(od::object& o, raw_object& out, bool top_level, int depth) {
    std::string json = "{";
    key_scope keys(keys_);
    bool first = true;
    bool api_present = false;
    bool api_empty = false;
    for (auto fr : o) {
      if (auto e = fr.error()) return fail(e);
      od::field& f = fr.value_unsafe();  // not copied out (see fields())
      std::string_view key;
      if (!plain_string_at(f.key().raw(), key))
        if (auto e = f.unescaped_key().get(key)) return fail(e);
      if (!keys.insert(key)) return miss(simdjson_fallback::duplicate_key);
      if (top_level && reshapes(key)) return miss(simdjson_fallback::shape);
      if (!first) json += ',';
      first = false;
      write_json_string(json, key);
      json += ':';
      od::value& x = f.value();
      if (key == "apiVersion") api_present = true;
      if (key == "kind" || key == "apiVersion") {
        // The reader takes both from the object's own string values.
        std::string_view s;
        const simdjson::error_code e = text_of(x, s);
        if (e == simdjson::SUCCESS) {
          if (key == "apiVersion") api_empty = s.empty();
          (key == "kind" ? out.kind : out.api_version).assign(s);
          write_json_string(json, s);
          continue;
        }
        if (e != simdjson::INCORRECT_TYPE) return fail(e);
      }
      if (!capture(x, json, depth + 1)) return false;
    }
    json += '}';
    out.json = std::move(json);
    // A raw object keeps its text, so only an absent apiVersion is inferred (from its kind); an
    // empty one of its own stays.
    api_own_ = api_present && !api_empty;
    api_inferred_ = false;
    if (!api_present) {
      const std::string_view d = default_api_version(out.kind);
      if (!d.empty()) {
        out.api_version.assign(d);
        api_inferred_ = true;
      }
    }
    return true;
  }

  // One object whose kind is known (read ahead), as a decoded_object with its inferred apiVersion.
  bool object_of_kind(od::object& o, std::string_view kind, decoded_object& d, bool top_level, bool typed_list,
                      int depth) {
    if (kind == "EndpointSlice") {
      any_endpoint_slice s;
      if (!slice_object(o, s, top_level, typed_list, depth)) return false;
      d.value = std::move(s);
    } else if (kind == "Endpoints") {
      endpoints e;
      if (!endpoints_object(o, e, top_level, typed_list, depth)) return false;
      d.value = std::move(e);
    } else {
      if (is_list_kind(kind)) return miss(simdjson_fallback::shape);  // a list inside a list
      raw_object r;
      if (!raw_object_value(o, r, top_level, depth)) return false;
      // An item of a typed list without an apiVersion would take the list's.
      if (typed_list && !api_own_) return miss(simdjson_fallback::shape);
      d.value = std::move(r);
    }
    d.api_version_inferred = api_inferred_;
    return true;
  }

  // object_of_kind for an object that may take what it lacks from its typed list: its kind
  // (`list_kind`: it has none) and its apiVersion (`list_api`; "" for its kind's).
  bool object_taking(od::object& o, std::string_view kind, decoded_object& d, bool top_level, bool typed_list, int depth,
                     bool list_kind, std::string_view list_api) {
    list_kind_ = list_kind;
    list_api_ = list_api;
    const bool ok = object_of_kind(o, kind, d, top_level, typed_list, depth);
    list_kind_ = false;
    list_api_ = {};
    return ok;
  }

  // A List or a typed list (EndpointSliceList, PodList, ...): its items as events, each an object
  // of its own kind, and its own fields as a list_header.
  bool list_object(od::object& o, decoded_document& out) {
    list_header h;
    bool typed = false;        // a typed list: an item without its own type fields takes the list's
    bool kind_before = false;  // the list's kind came before its items
    bool api_before = false;   // so did its apiVersion
    std::size_t count = 0;
    // Items without their own kind or apiVersion that came before the list's kind: the reader
    // holds them until the list ends, so their events follow the list's other items.
    std::vector<watch_event> held;
    const bool ok = fields<list_keys>(
        o,
        [&](auto id, od::value& x) {
          constexpr int k = decltype(id)::value;
          if constexpr (k == 0) {
            if (!read_string(x, h.kind)) return false;
            typed = !item_kind_of(h.kind).empty();
            kind_before = true;
            return true;
          } else if constexpr (k == 1) {
            api_before = true;
            return read_string(x, h.api_version);
          } else if constexpr (k == 2) {
            if (null_here(x)) return true;
            h.metadata = object_meta{};
            return meta(x, h.metadata, 2);
          } else {
            od::array a;
            if (auto e = x.get_array().get(a)) {
              if (e != simdjson::INCORRECT_TYPE) return fail(e);
              return expect_null(x);
            }
            // The reader takes the list's type fields as they stand when an item comes; an item
            // that needs them before they are known is held back (see `held`).
            const bool list_known = kind_before;
            for (auto er : a) {
              if (auto e = er.error()) return fail(e);
              od::value& y = er.value_unsafe();
              od::object item;
              if (auto e = y.get_object().get(item)) return fail(e);
              std::string_view kind;
              bool found = false;
              if (!find_kind(item, false, kind, found)) return false;
              const bool kind_own = found && !kind.empty();
              // The API server writes a typed list's items without kind and apiVersion: they take
              // the list's (its item kind, its apiVersion), known here when the list gave both
              // before its items. An empty kind, another typed list or raw items are the reader's.
              const std::string_view list_item_kind = typed ? item_kind_of(h.kind) : std::string_view();
              if (typed && !kind_own) {
                if (found || !api_before || (list_item_kind != "EndpointSlice" && list_item_kind != "Endpoints"))
                  return miss(simdjson_fallback::shape);
                kind = list_item_kind;
              }
              if (auto e = item.reset().error()) return fail(e);
              watch_event ev;
              ev.shape = stream_shape::list_item;
              ev.object.location = "items[" + std::to_string(count++) + "]";
              ev.object.kind_inferred = typed && !kind_own;
              const std::string_view list_api = typed && api_before ? std::string_view(h.api_version) : std::string_view();
              if (!object_taking(item, found || ev.object.kind_inferred ? kind : std::string_view(), ev.object, false, typed,
                                 3, ev.object.kind_inferred, list_api))
                return false;
              // An item without an apiVersion before its typed list's: the reader holds it.
              if (typed && !api_own_ && !api_before) return miss(simdjson_fallback::shape);
              if ((!kind_own || !api_own_) && !list_known) held.push_back(std::move(ev));
              else out.events.push_back(std::move(ev));
            }
            return true;
          }
        },
        [&](std::string_view, od::value& x) { return drop(x, 2); });
    if (!ok) return false;
    // A held item of a typed list takes its type fields from the list: left to the reader.
    if (!held.empty() && typed) return miss(simdjson_fallback::shape);
    for (auto& ev : held) out.events.push_back(std::move(ev));
    h.items = count;
    out.lists.push_back(std::move(h));
    return true;
  }

  // A Go string field that is an object's apiVersion: null is left to the reader (which tells it
  // apart from an absent one when inferring).
  bool read_api_version(od::value& v, std::string& dst) {
    std::string_view s;
    bool is_null = false;
    if (!string_or_null(v, s, is_null)) return false;
    if (is_null) return miss(simdjson_fallback::shape);
    dst.assign(s);
    return true;
  }

  // The apiVersion of a slice or Endpoints object once read: absent or "" (Go cannot tell them
  // apart) takes its kind's, or in a typed list the list's when it gave one (list_api_). A
  // v1beta1 slice is read differently from the start (beta_): one that takes the list's
  // discovery.k8s.io/v1beta1 is left to the reader.
  bool infer_api_version(std::string& api_version, std::string_view of_kind, bool typed_list) {
    api_own_ = !api_version.empty();
    api_inferred_ = false;
    if (api_own_) return true;
    const std::string_view from = typed_list && !list_api_.empty() ? list_api_ : of_kind;
    if (from == "discovery.k8s.io/v1beta1") return miss(simdjson_fallback::shape);
    api_version.assign(from);
    api_inferred_ = true;
    return true;
  }
};

}  // namespace detail::sj
}  // namespace epslice
