// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the simdjson fast path against epslice's own reader, on the same bytes.
//
// The input is any text. One simdjson_decoder serves every input of a run, so whatever a decode
// leaves in it (its padded buffer, simdjson's parser, the walker's depth limit and fallback
// reason) meets the next input. For each text:
//  1. dec.decode_document(text) and decode_document(text) agree in full: values, had_list, the
//     syntax error (offset, line, column, message), the document's problems, the events (type,
//     shape, resourceVersion, status) and each event's object (location, value, problems,
//     repeated keys, inferred kind and apiVersion), and the lists (header fields, items, repeated
//     keys); neither throws;
//  2. the same under limits the text chooses (its last byte plus its length, mod 256: a
//     max_depth from 1 to 60, 1000 or 100000, a max_object_bytes of the text's size, one byte
//     less or half of it, or the defaults), including limits out of range (a max_depth of 0 or
//     100001, a max_object_bytes of 0 for a text of one byte), where both throw epslice::error
//     with the same message and field errors;
//  3. decode_endpoint_slice, decode_endpoint_slice_as<F> for ipv4, ipv6, fqdn and raw, and
//     decode_endpoints, under the default and the chosen limits: both return equal values, or
//     both throw epslice::error with the same message and field errors; nothing else is thrown;
//  4. the decoder's counters: every call whose limits are in range adds one to decodes() and at
//     most one to fallbacks(), and last_fallback() is `none` exactly when it added none; a call
//     with limits out of range changes neither; fallbacks() never exceeds decodes(); a text
//     larger than max_object_bytes falls back with the reason `limit`;
//  5. a stream_decoder given a simdjson_object_decoder (one for the whole run too), fed the text
//     whole and in chunks the text chooses, under the default and the chosen limits, gives what
//     decode_document gives (the full comparison of step 1); the object decoder's counters never
//     show more fallbacks than objects offered.
// No filter masks a known defect.
#include <epslice/json.hpp>
#include <epslice/simdjson.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "document_compare.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace epslice;
using epslice_fuzz::describe;
using epslice_fuzz::difference;

// What one entry point did with the text: its value, or the epslice::error it threw.
template <class T>
struct outcome {
  std::optional<T> value;
  std::string message;  // what() of the error
  field_errors errors;  // errors() of the error
};

// Run `f`, which may throw epslice::error and nothing else, and keep what it did.
template <class T, class Fn>
outcome<T> attempt(const char* what, Fn&& f) {
  outcome<T> out;
  EPSLICE_FUZZ_MAY_REJECT(what, [&] {
    try {
      out.value.emplace(f());
    } catch (const epslice::error& e) {
      out.message = e.what();
      out.errors = e.errors();
      throw;  // checked once more by the helper: field errors present, one line each
    }
  });
  return out;
}

std::string describe_value(const decoded_document& d) { return describe(d); }
std::string describe_value(const endpoints& e) { return encode(e); }
std::string describe_value(const any_endpoint_slice& s) { return encode(s); }
template <class F>
std::string describe_value(const basic_endpoint_slice<F>& s) {
  return encode(any_endpoint_slice{s});
}

template <class T>
std::string describe_outcome(const outcome<T>& o) {
  return o.value ? "returned " + describe_value(*o.value) : "threw " + o.message;
}

bool in_range(const decode_limits& limits) {
  return limits.max_depth >= 1 && limits.max_depth <= decode_limits::max_depth_limit && limits.max_object_bytes >= 1;
}

std::string limits_text(const decode_limits& limits) {
  return "max_depth " + std::to_string(limits.max_depth) + ", max_object_bytes " +
         std::to_string(limits.max_object_bytes);
}

// Step 4: one call of the fast path, with the counters checked around it.
template <class T, class Fn>
outcome<T> fast(simdjson_decoder& dec, const char* what, std::string_view text, const decode_limits& limits, Fn&& f) {
  const std::uint64_t decodes = dec.decodes(), fallbacks = dec.fallbacks();
  outcome<T> out = attempt<T>(what, [&] { return f(); });
  const std::string at = std::string(what) + " (" + limits_text(limits) + ")";
  EPSLICE_FUZZ_CHECK(dec.fallbacks() <= dec.decodes(), at + ": more fallbacks than decodes");
  if (!in_range(limits)) {
    EPSLICE_FUZZ_CHECK(dec.decodes() == decodes && dec.fallbacks() == fallbacks,
                       at + ": a call with limits out of range counted as a decode");
    return out;
  }
  EPSLICE_FUZZ_CHECK(dec.decodes() == decodes + 1,
                     at + ": decodes() grew by " + std::to_string(dec.decodes() - decodes));
  const std::uint64_t fell = dec.fallbacks() - fallbacks;
  EPSLICE_FUZZ_CHECK(fell <= 1, at + ": fallbacks() grew by " + std::to_string(fell));
  EPSLICE_FUZZ_CHECK((fell == 0) == (dec.last_fallback() == simdjson_fallback::none),
                     at + ": last_fallback() disagrees with fallbacks(), which grew by " + std::to_string(fell));
  if (text.size() > limits.max_object_bytes)
    EPSLICE_FUZZ_CHECK(dec.last_fallback() == simdjson_fallback::limit,
                       at + ": a text of " + std::to_string(text.size()) +
                           " bytes, over max_object_bytes, was not left to the reader for its size");
  return out;
}

// Steps 1 to 3: the fast path and the reader did the same.
template <class T>
void agree(const char* what, const decode_limits& limits, const outcome<T>& f, const outcome<T>& r) {
  const std::string at = std::string(what) + " (" + limits_text(limits) + "): fast path ";
  EPSLICE_FUZZ_CHECK(f.value.has_value() == r.value.has_value(),
                     at + describe_outcome(f) + ", reader " + describe_outcome(r));
  if (f.value) {
    if constexpr (std::is_same_v<T, decoded_document>) {
      const std::string d = difference(*f.value, *r.value);
      EPSLICE_FUZZ_CHECK(d.empty(), at + "and reader differ: " + d + " (reader: " + describe(*r.value) + ")");
    } else {
      EPSLICE_FUZZ_CHECK(*f.value == *r.value, at + describe_outcome(f) + ", reader " + describe_outcome(r));
    }
  } else {
    EPSLICE_FUZZ_CHECK(f.message == r.message && f.errors == r.errors,
                       at + "threw " + f.message + ", reader threw " + r.message);
  }
}

void check_document(simdjson_decoder& dec, std::string_view text, const decode_limits& limits) {
  const auto f = fast<decoded_document>(dec, "decode_document", text, limits,
                                        [&] { return dec.decode_document(text, limits); });
  const auto r = attempt<decoded_document>("decode_document", [&] { return epslice::decode_document(text, limits); });
  agree("decode_document", limits, f, r);
  // Bad content is in the result, never thrown; only limits out of range throw.
  EPSLICE_FUZZ_CHECK(f.value.has_value() == in_range(limits),
                     "decode_document (" + limits_text(limits) + ") " + describe_outcome(f));
}

template <class F>
void check_family(simdjson_decoder& dec, std::string_view text, const decode_limits& limits) {
  using slice = basic_endpoint_slice<F>;
  const auto f = fast<slice>(dec, "decode_endpoint_slice_as", text, limits,
                             [&] { return dec.decode_endpoint_slice_as<F>(text, limits); });
  const auto r =
      attempt<slice>("decode_endpoint_slice_as", [&] { return epslice::decode_endpoint_slice_as<F>(text, limits); });
  agree("decode_endpoint_slice_as", limits, f, r);
}

void check_single(simdjson_decoder& dec, std::string_view text, const decode_limits& limits) {
  {
    const auto f = fast<any_endpoint_slice>(dec, "decode_endpoint_slice", text, limits,
                                            [&] { return dec.decode_endpoint_slice(text, limits); });
    const auto r = attempt<any_endpoint_slice>("decode_endpoint_slice",
                                               [&] { return epslice::decode_endpoint_slice(text, limits); });
    agree("decode_endpoint_slice", limits, f, r);
  }
  check_family<ipv4>(dec, text, limits);
  check_family<ipv6>(dec, text, limits);
  check_family<fqdn>(dec, text, limits);
  check_family<raw>(dec, text, limits);
  {
    const auto f = fast<endpoints>(dec, "decode_endpoints", text, limits,
                                   [&] { return dec.decode_endpoints(text, limits); });
    const auto r = attempt<endpoints>("decode_endpoints", [&] { return epslice::decode_endpoints(text, limits); });
    agree("decode_endpoints", limits, f, r);
  }
}

// Step 2: limits chosen by the text's last byte plus its length (mod 256), so that a text ending
// in `}` still reaches every choice. The low six bits pick max_depth: 1 to 16 leave the text to
// the reader whole, 17 to 60 let the fast path walk up to 8 levels fewer; 61 is the default,
// 62 the largest accepted, 0 and 63 are out of range. The high two bits pick max_object_bytes:
// the default, the text's size (the largest text the fast path may take), one byte less or half
// of it (left to the reader; 0, out of range, for a text of one byte).
std::optional<decode_limits> chosen_limits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const auto pick = static_cast<std::uint8_t>(static_cast<unsigned char>(text.back()) + text.size());
  decode_limits limits;
  switch (const unsigned depth = pick & 0x3fU) {
    case 0: limits.max_depth = 0; break;
    case 61: limits.max_depth = 1000; break;
    case 62: limits.max_depth = decode_limits::max_depth_limit; break;
    case 63: limits.max_depth = decode_limits::max_depth_limit + 1; break;
    default: limits.max_depth = depth;
  }
  switch (pick >> 6U) {
    case 1: limits.max_object_bytes = text.size(); break;
    case 2: limits.max_object_bytes = text.size() - 1; break;
    case 3: limits.max_object_bytes = text.size() / 2; break;
    default: break;
  }
  return limits;
}

// Step 5: the stream decoder with simdjson for its objects, fed whole (`chunk` 0) or in chunks of
// 1 to `chunk` bytes drawn from the text's own bytes.
decoded_document stream_decode(std::string_view text, const decode_limits& limits, simdjson_object_decoder& objects,
                               std::size_t chunk) {
  stream_decoder d(limits, &objects);
  return epslice_fuzz::feed_in_chunks(d, text, [&](std::size_t k) {
    return chunk == 0 ? text.size() : 1 + static_cast<unsigned char>(text[k % text.size()]) % chunk;
  });
}

void check_stream(simdjson_object_decoder& objects, std::string_view text, const decode_limits& limits) {
  if (!in_range(limits)) return;  // the stream decoder's constructor throws as decode_document does (step 2)
  const auto r = attempt<decoded_document>("decode_document", [&] { return epslice::decode_document(text, limits); });
  EPSLICE_FUZZ_CHECK(r.value.has_value(), "decode_document (" + limits_text(limits) + ") threw " + r.message);
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{61}}) {
    decoded_document f;
    EPSLICE_FUZZ_NO_THROW("stream_decoder with simdjson_object_decoder",
                          [&] { f = stream_decode(text, limits, objects, chunk); });
    const std::string d = difference(f, *r.value);
    EPSLICE_FUZZ_CHECK(d.empty(), "stream_decoder with simdjson_object_decoder (" + limits_text(limits) + ", chunks " +
                                      std::to_string(chunk) + ") and decode_document differ: " + d);
    EPSLICE_FUZZ_CHECK(objects.fallbacks() <= objects.decodes(), "more objects left to the reader than offered");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One decoder for the whole run: its buffers and state carry over from input to input.
  static simdjson_decoder dec;
  static simdjson_object_decoder objects;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  check_document(dec, text, decode_limits{});
  check_single(dec, text, decode_limits{});
  check_stream(objects, text, decode_limits{});
  if (const auto limits = chosen_limits(text)) {
    check_document(dec, text, *limits);
    check_single(dec, text, *limits);
    check_stream(objects, text, *limits);
  }
  return 0;
}
