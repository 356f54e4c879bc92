// SPDX-License-Identifier: Apache-2.0
// Fuzz target: decoding of every kind and stream shape, with the round-trip invariant.
//
// The input is any text. It goes through every decoding entry point:
//  1. decode_document(text) never throws; a syntax error has a position inside the input and a
//     one-line message;
//  2. every object it yields round-trips: encode, decode again, and the result is the same object
//     whose encoding is the same text (decode -> encode -> decode is a fixed point); raw objects
//     (Service, Pod, ...) keep compact JSON that decodes to the same raw object; the encoder's
//     output is always JSON; the protobuf sizes agree with the protobuf encoding; a slice's raw
//     form converts back to the slice;
//  3. decode_endpoint_slice, decode_endpoint_slice_as<F> and decode_endpoints throw nothing but
//     epslice::error, and what they return is the document's one object;
//  4. the DOM entry points (decode_document(const nlohmann::json&), j.get<...>()) and the Service,
//     Node and Pod views throw nothing but epslice::error.
//
// Known open defects (issue #13), filtered so that they are reported once, not rediscovered:
//  - defect 6, repeated keys: the round-trip comparison of step 2 is skipped for input with a
//    repeated key (fuzz_json.hpp); the encoder must still write JSON;
//  - defects 1 and 2, recursion on deep nesting in the DOM entry points and the views: step 4
//    runs only for input nested at most dom_depth_cap deep (the nesting limit issue #13 decides
//    for the readers). Reproducers are in tests/fuzz/pending/fuzz_decode/. Remove both filters
//    when the reader rewrite lands.
// And one found by this target (tests/fuzz/pending/fuzz_decode/list-item-*.json):
//  - an item of an EndpointSliceList or EndpointsList is decoded as that type whatever its own
//    `kind` says, and keeps that kind, or none (the API server writes typed-list items without
//    kind and apiVersion); encoded alone it then decodes as a raw object. The round-trip
//    comparison is skipped for an object whose kind is not its type's until that is fixed.
#include <epslice/json.hpp>
#include <epslice/sizes.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_json.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace epslice;

// Deepest nesting the DOM entry points are fed until defects 1 and 2 of issue #13 are fixed.
constexpr std::size_t dom_depth_cap = 1000;

std::string describe(const decoded_document& d) {
  std::string out = std::to_string(d.objects.size()) + " objects, " + std::to_string(d.values) + " values";
  if (d.syntax_error) out += ", syntax error: " + d.syntax_error->message;
  for (const auto& p : d.problems) out += ", problem: " + p.message();
  for (const auto& o : d.objects)
    for (const auto& p : o.problems) out += ", object problem: " + p.message();
  return out;
}

// The one object of a document made by encode(): no syntax error, no problem, one value.
const decoded_object& sole_object(const decoded_document& d, const std::string& text) {
  EPSLICE_FUZZ_CHECK(!d.syntax_error && d.problems.empty() && d.values == 1 && d.objects.size() == 1 && !d.had_list,
                     "encoded text " + text + " decodes to " + describe(d));
  const decoded_object& o = d.objects.front();
  EPSLICE_FUZZ_CHECK(o.problems.empty() && o.location.empty() && o.watch_type.empty(),
                     "encoded text " + text + " decodes to " + describe(d));
  return o;
}

std::string_view kind_of(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) -> std::string_view { return x.kind; }, s);
}
std::string_view kind_of(const endpoints& e) { return e.kind; }

template <class T>
void check_round_trip(const T& x, bool duplicate_keys) {
  const std::string text = encode(x);
  EPSLICE_FUZZ_CHECK(nlohmann::json::accept(text), "the encoder wrote text that is not JSON: " + text);
  EPSLICE_FUZZ_CHECK(encoded_size(x) == text.size(), text);
  if (duplicate_keys) return;  // issue #13 defect 6 (see the header comment)
  // A typed-list item of another kind or none (see the header comment).
  if (kind_of(x) != (std::is_same_v<T, endpoints> ? "Endpoints" : "EndpointSlice")) return;
  decoded_document again;
  EPSLICE_FUZZ_NO_THROW("decode_document(encode(x))", [&] { again = decode_document(text); });
  const decoded_object& o = sole_object(again, text);
  const T* y = nullptr;
  if constexpr (std::is_same_v<T, any_endpoint_slice>) {
    y = std::get_if<any_endpoint_slice>(&o.value);
  } else {
    y = std::get_if<endpoints>(&o.value);
  }
  EPSLICE_FUZZ_CHECK(y != nullptr, "encoded text " + text + " decodes to another kind of object");
  const std::string text2 = encode(*y);
  EPSLICE_FUZZ_CHECK(text2 == text, "encode(decode(encode(x))) differs: " + text + " then " + text2);
  EPSLICE_FUZZ_CHECK(*y == x, "decode(encode(x)) != x although both encode to " + text);
}

void check_sizes(const any_endpoint_slice& s) {
  EPSLICE_FUZZ_CHECK(protobuf_message_size(s) == protobuf_message(s).size(), encode(s));
  EPSLICE_FUZZ_CHECK(protobuf_size(s) == protobuf_encode(s).size(), encode(s));
}
void check_sizes(const endpoints& e) {
  EPSLICE_FUZZ_CHECK(protobuf_message_size(e) == protobuf_message(e).size(), encode(e));
  EPSLICE_FUZZ_CHECK(protobuf_size(e) == protobuf_encode(e).size(), encode(e));
}

void check_raw_forms(const any_endpoint_slice& s) {
  const endpoint_slice_raw r = std::visit([](const auto& x) { return to_raw(x); }, s);
  EPSLICE_FUZZ_CHECK(to_typed(r) == s, "to_typed(to_raw(s)) != s for " + encode(s));
}

void check_raw_object(const raw_object& r, bool duplicate_keys) {
  EPSLICE_FUZZ_CHECK(nlohmann::json::accept(r.json), "a raw object's text is not JSON: " + r.json);
  if (duplicate_keys) return;  // issue #13 defect 6
  decoded_document again;
  EPSLICE_FUZZ_NO_THROW("decode_document(raw.json)", [&] { again = decode_document(r.json); });
  const decoded_object& o = sole_object(again, r.json);
  const auto* y = std::get_if<raw_object>(&o.value);
  EPSLICE_FUZZ_CHECK(y != nullptr, "a raw object's text " + r.json + " decodes to a slice or Endpoints");
  EPSLICE_FUZZ_CHECK(*y == r, "a raw object's text decodes to another raw object: " + r.json + " then " + y->json);
}

void check_views(const raw_object& r) {
  if (r.kind == "Service") {
    EPSLICE_FUZZ_MAY_REJECT("decode_service", [&] { (void)decode_service(r); });
  } else if (r.kind == "Node") {
    EPSLICE_FUZZ_MAY_REJECT("decode_node", [&] { (void)decode_node(r); });
  } else if (r.kind == "Pod") {
    EPSLICE_FUZZ_MAY_REJECT("decode_pod", [&] { (void)decode_pod(r); });
  }
}

void check_syntax_error(const syntax_error_info& e, std::string_view text) {
  EPSLICE_FUZZ_CHECK(e.offset <= text.size(), "syntax error offset " + std::to_string(e.offset));
  EPSLICE_FUZZ_CHECK(e.line >= 1 && e.column >= 1, e.message);
  EPSLICE_FUZZ_CHECK(!e.message.empty(), "a syntax error without a message");
  EPSLICE_FUZZ_CHECK(e.message.find('\n') == std::string::npos, "a syntax error message spans lines: " + e.message);
}

// The single-object decoders agree with decode_document.
void check_single_decoders(std::string_view text, const decoded_document& doc) {
  const bool one_clean_object = !doc.syntax_error && doc.problems.empty() && !doc.had_list && doc.objects.size() == 1 &&
                                doc.objects.front().problems.empty();
  any_endpoint_slice s;
  if (EPSLICE_FUZZ_MAY_REJECT("decode_endpoint_slice", [&] { s = decode_endpoint_slice(text); })) {
    EPSLICE_FUZZ_CHECK(one_clean_object, "decode_endpoint_slice accepted " + describe(doc));
    const auto* x = std::get_if<any_endpoint_slice>(&doc.objects.front().value);
    EPSLICE_FUZZ_CHECK(x != nullptr && *x == s, "decode_endpoint_slice and decode_document disagree");
  } else if (one_clean_object && std::holds_alternative<any_endpoint_slice>(doc.objects.front().value)) {
    epslice_fuzz::fail(__FILE__, __LINE__, "decode_endpoint_slice", "rejected the one clean slice of " + describe(doc));
  }
  endpoints e;
  if (EPSLICE_FUZZ_MAY_REJECT("decode_endpoints", [&] { e = decode_endpoints(text); })) {
    EPSLICE_FUZZ_CHECK(one_clean_object, "decode_endpoints accepted " + describe(doc));
    const auto* x = std::get_if<endpoints>(&doc.objects.front().value);
    EPSLICE_FUZZ_CHECK(x != nullptr && *x == e, "decode_endpoints and decode_document disagree");
  } else if (one_clean_object && std::holds_alternative<endpoints>(doc.objects.front().value)) {
    epslice_fuzz::fail(__FILE__, __LINE__, "decode_endpoints", "rejected the one clean Endpoints of " + describe(doc));
  }
  const auto typed = [&](auto family) {
    using F = decltype(family);
    basic_endpoint_slice<F> t;
    if (EPSLICE_FUZZ_MAY_REJECT("decode_endpoint_slice_as", [&] { t = decode_endpoint_slice_as<F>(text); })) {
      EPSLICE_FUZZ_CHECK(one_clean_object, "decode_endpoint_slice_as accepted " + describe(doc));
      const auto* x = std::get_if<any_endpoint_slice>(&doc.objects.front().value);
      EPSLICE_FUZZ_CHECK(x != nullptr && std::holds_alternative<basic_endpoint_slice<F>>(*x) &&
                             std::get<basic_endpoint_slice<F>>(*x) == t,
                         "decode_endpoint_slice_as and decode_document disagree");
    }
  };
  typed(ipv4{});
  typed(ipv6{});
  typed(fqdn{});
}

// The DOM entry points: nothing but epslice::error escapes.
void check_dom(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return;
  EPSLICE_FUZZ_NO_THROW("decode_document(json)", [&] { (void)decode_document(j); });
  EPSLICE_FUZZ_MAY_REJECT("json.get<any_endpoint_slice>", [&] { (void)j.get<any_endpoint_slice>(); });
  EPSLICE_FUZZ_MAY_REJECT("json.get<endpoint_slice_v4>", [&] { (void)j.get<endpoint_slice_v4>(); });
  EPSLICE_FUZZ_MAY_REJECT("json.get<endpoints>", [&] { (void)j.get<endpoints>(); });
  if (j.is_object()) {
    EPSLICE_FUZZ_MAY_REJECT("decode_service(json)", [&] { (void)decode_service(j); });
    EPSLICE_FUZZ_MAY_REJECT("decode_node(json)", [&] { (void)decode_node(j); });
    EPSLICE_FUZZ_MAY_REJECT("decode_pod(json)", [&] { (void)decode_pod(j); });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool duplicate_keys = epslice_fuzz::has_duplicate_keys(text);
  const bool shallow = epslice_fuzz::nesting_depth(text) <= dom_depth_cap;

  decoded_document doc;
  EPSLICE_FUZZ_NO_THROW("decode_document(text)", [&] { doc = decode_document(text); });
  if (doc.syntax_error) check_syntax_error(*doc.syntax_error, text);
  else EPSLICE_FUZZ_CHECK(doc.values >= 1, describe(doc));

  for (const auto& o : doc.objects) {
    if (const auto* s = std::get_if<any_endpoint_slice>(&o.value)) {
      check_round_trip(*s, duplicate_keys);
      check_sizes(*s);
      check_raw_forms(*s);
    } else if (const auto* e = std::get_if<endpoints>(&o.value)) {
      check_round_trip(*e, duplicate_keys);
      check_sizes(*e);
    } else {
      const auto& r = std::get<raw_object>(o.value);
      check_raw_object(r, duplicate_keys);
      if (shallow) check_views(r);
    }
  }
  check_single_decoders(text, doc);
  if (shallow) check_dom(text);
  return 0;
}
