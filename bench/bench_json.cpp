// SPDX-License-Identifier: Apache-2.0
// Speed of json.hpp: typed decode and byte-exact encode, side by side with nlohmann's DOM and SAX.
//
// *_epslice_check_null runs epslice's checking pass alone (the framer: RFC 8259 with UTF-8, cut
// into objects); *_epslice_lex_null adds the second pass that reads the checked text into
// tokens, with a handler that does nothing: together the lexing cost of a decode, the
// counterpart of *_nlohmann_sax_null.
//
// Inputs are the objects of docs/scenarios.md#the-world: the EndpointSlice of pods 0..N-1 (N = 100 is
// the 24,363-byte slice of docs/scenarios.md#sizes) and the legacy Endpoints object of N addresses.
// Bytes/s is over the compact JSON text; items/s counts objects.
#include <epslice/json.hpp>
#include <epslice/stream.hpp>

#include <benchmark/benchmark.h>

#include "../tests/world_fixture.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

using epslice_test::world_endpoints;
using epslice_test::world_slice;

void set_rates(benchmark::State& state, std::size_t bytes) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["json_bytes"] = static_cast<double>(bytes);
}

std::string slice_text(benchmark::State& state) { return epslice::encode(world_slice(static_cast<int>(state.range(0)))); }
std::string endpoints_text(benchmark::State& state) {
  return epslice::encode(world_endpoints(static_cast<int>(state.range(0))));
}

// A SAX handler that does nothing: the cost of nlohmann's lexer and parser alone.
struct null_sax {
  using number_integer_t = nlohmann::json::number_integer_t;
  using number_unsigned_t = nlohmann::json::number_unsigned_t;
  using number_float_t = nlohmann::json::number_float_t;
  using string_t = nlohmann::json::string_t;
  using binary_t = nlohmann::json::binary_t;
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(number_integer_t) { return true; }
  bool number_unsigned(number_unsigned_t) { return true; }
  bool number_float(number_float_t, const string_t&) { return true; }
  bool string(string_t&) { return true; }
  bool binary(binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
};

// A framer sink and a parser handler that do nothing: the cost of epslice's lexing alone.
struct null_units {
  void on_unit(const epslice::detail::framed_unit&) {}
};
struct null_tokens {
  void start_object() {}
  void end_object() {}
  void start_array() {}
  void end_array() {}
  void key(std::string_view, bool) {}
  void string(std::string_view) {}
  void number(const epslice::detail::json_number&) {}
  void boolean(bool) {}
  void null() {}
};

void check_null(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    epslice::detail::framer f(epslice::decode_limits{});
    null_units u;
    f.feed(text, u);
    f.finish(u);
    benchmark::DoNotOptimize(f.values());
  }
  set_rates(state, text.size());
}

void lex_null(benchmark::State& state, const std::string& text) {
  epslice::detail::validated_parser p;
  null_tokens h;
  for (auto _ : state) {
    epslice::detail::framer f(epslice::decode_limits{});
    null_units u;
    f.feed(text, u);
    f.finish(u);
    benchmark::DoNotOptimize(p.parse(text, h));
  }
  set_rates(state, text.size());
}

// ---- EndpointSlice --------------------------------------------------------------------------

void BM_slice_decode_typed(benchmark::State& state) {
  const std::string text = slice_text(state);
  for (auto _ : state) {
    auto s = epslice::decode_endpoint_slice_as<epslice::ipv4>(text);
    benchmark::DoNotOptimize(s);
  }
  set_rates(state, text.size());
}

void BM_slice_decode_document(benchmark::State& state) {
  const std::string text = slice_text(state);
  for (auto _ : state) {
    auto d = epslice::decode_document(text);
    benchmark::DoNotOptimize(d);
  }
  set_rates(state, text.size());
}

void BM_slice_encode(benchmark::State& state) {
  const auto s = world_slice(static_cast<int>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out = epslice::encode(s);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  set_rates(state, bytes);
}

void BM_slice_encode_reused_buffer(benchmark::State& state) {
  const auto s = world_slice(static_cast<int>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    epslice::encode_to(out, s);
    benchmark::DoNotOptimize(out.data());
  }
  set_rates(state, out.size());
}

void BM_slice_nlohmann_dom_parse(benchmark::State& state) {
  const std::string text = slice_text(state);
  for (auto _ : state) {
    auto j = nlohmann::json::parse(text);
    benchmark::DoNotOptimize(j);
  }
  set_rates(state, text.size());
}

void BM_slice_nlohmann_dom_dump(benchmark::State& state) {
  const std::string text = slice_text(state);
  const auto j = nlohmann::json::parse(text);
  for (auto _ : state) {
    std::string out = j.dump();
    benchmark::DoNotOptimize(out);
  }
  set_rates(state, text.size());
}

void BM_slice_nlohmann_sax_null(benchmark::State& state) {
  const std::string text = slice_text(state);
  for (auto _ : state) {
    null_sax h;
    bool ok = nlohmann::json::sax_parse(text, &h);
    benchmark::DoNotOptimize(ok);
  }
  set_rates(state, text.size());
}

void BM_slice_epslice_check_null(benchmark::State& state) { check_null(state, slice_text(state)); }
void BM_slice_epslice_lex_null(benchmark::State& state) { lex_null(state, slice_text(state)); }

// ---- legacy Endpoints -----------------------------------------------------------------------

void BM_endpoints_decode(benchmark::State& state) {
  const std::string text = endpoints_text(state);
  for (auto _ : state) {
    auto e = epslice::decode_endpoints(text);
    benchmark::DoNotOptimize(e);
  }
  set_rates(state, text.size());
}

void BM_endpoints_encode(benchmark::State& state) {
  const auto e = world_endpoints(static_cast<int>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string out = epslice::encode(e);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  set_rates(state, bytes);
}

void BM_endpoints_nlohmann_dom_parse(benchmark::State& state) {
  const std::string text = endpoints_text(state);
  for (auto _ : state) {
    auto j = nlohmann::json::parse(text);
    benchmark::DoNotOptimize(j);
  }
  set_rates(state, text.size());
}

void BM_endpoints_nlohmann_dom_dump(benchmark::State& state) {
  const std::string text = endpoints_text(state);
  const auto j = nlohmann::json::parse(text);
  for (auto _ : state) {
    std::string out = j.dump();
    benchmark::DoNotOptimize(out);
  }
  set_rates(state, text.size());
}

void BM_endpoints_nlohmann_sax_null(benchmark::State& state) {
  const std::string text = endpoints_text(state);
  for (auto _ : state) {
    null_sax h;
    bool ok = nlohmann::json::sax_parse(text, &h);
    benchmark::DoNotOptimize(ok);
  }
  set_rates(state, text.size());
}

void BM_endpoints_epslice_check_null(benchmark::State& state) { check_null(state, endpoints_text(state)); }
void BM_endpoints_epslice_lex_null(benchmark::State& state) { lex_null(state, endpoints_text(state)); }

}  // namespace

// 100 endpoints is the controller's default slice (24,363 bytes); 1000 is the API maximum.
BENCHMARK(BM_slice_decode_typed)->Arg(100)->Arg(1000);
BENCHMARK(BM_slice_decode_document)->Arg(100);
BENCHMARK(BM_slice_encode)->Arg(100)->Arg(1000);
BENCHMARK(BM_slice_encode_reused_buffer)->Arg(100);
BENCHMARK(BM_slice_nlohmann_dom_parse)->Arg(100);
BENCHMARK(BM_slice_nlohmann_dom_dump)->Arg(100);
BENCHMARK(BM_slice_nlohmann_sax_null)->Arg(100);
BENCHMARK(BM_slice_epslice_check_null)->Arg(100);
BENCHMARK(BM_slice_epslice_lex_null)->Arg(100);
// 1000 addresses: the most an Endpoints object holds before the controller truncates it.
BENCHMARK(BM_endpoints_decode)->Arg(100)->Arg(1000);
BENCHMARK(BM_endpoints_encode)->Arg(100)->Arg(1000);
BENCHMARK(BM_endpoints_nlohmann_dom_parse)->Arg(1000);
BENCHMARK(BM_endpoints_nlohmann_dom_dump)->Arg(1000);
BENCHMARK(BM_endpoints_nlohmann_sax_null)->Arg(1000);
BENCHMARK(BM_endpoints_epslice_check_null)->Arg(1000);
BENCHMARK(BM_endpoints_epslice_lex_null)->Arg(1000);

BENCHMARK_MAIN();

// ---- the simdjson fast path (epslice::simdjson), where simdjson is installed ------------------
//
// Beside the nlohmann figures above, in the same binary: simdjson_decoder on the same texts, and
// a simdjson reference: an On-Demand walk that reads every field of the slice into plain structs
// of strings and numbers, each address parsed with epslice's own parser, as a simdjson user would
// write it by hand (from an already padded buffer, so it does not pay the copy the decoder makes).
// Run these with --benchmark_enable_random_interleaving=true --benchmark_repetitions=N to compare.
#if defined(EPSLICE_BENCH_SIMDJSON)

#include <epslice/simdjson.hpp>

#include <map>
#include <vector>

namespace {

namespace simdjson_reference {

namespace od = simdjson::ondemand;

struct target_ref {
  std::string kind, namespace_, name, uid;
};
struct endpoint {
  std::vector<epslice::ipv4_address> addresses;
  bool ready = false, serving = false, terminating = false;
  target_ref target;
  std::string node_name, zone;
};
struct port {
  std::string name, protocol;
  std::int64_t number = 0;
};
struct owner {
  std::string api_version, kind, name, uid;
  bool controller = false, block_owner_deletion = false;
};
struct metadata {
  std::string name, generate_name, namespace_;
  std::map<std::string, std::string, std::less<>> labels, annotations;
  std::vector<owner> owners;
};
struct slice {
  std::string kind, api_version, address_type;
  metadata meta;
  std::vector<endpoint> endpoints;
  std::vector<port> ports;
};

simdjson::error_code read(od::value v, std::string& out) {
  std::string_view s;
  if (auto e = v.get_string().get(s)) return e;
  out.assign(s);
  return simdjson::SUCCESS;
}
simdjson::error_code read(od::value v, std::map<std::string, std::string, std::less<>>& out) {
  od::object o;
  if (auto e = v.get_object().get(o)) return e;
  for (auto f : o) {
    std::string_view key, value;
    if (auto e = f.unescaped_key().get(key)) return e;
    if (auto e = f.value().get_string().get(value)) return e;
    out.emplace(key, value);
  }
  return simdjson::SUCCESS;
}
// Calls fn(key, value) for each field of the object `v`.
template <class Fn>
simdjson::error_code each_field(od::value v, Fn&& fn) {
  od::object o;
  if (auto e = v.get_object().get(o)) return e;
  for (auto f : o) {
    od::raw_json_string key;
    if (auto e = f.key().get(key)) return e;
    od::value value;
    if (auto e = f.value().get(value)) return e;
    if (auto e = fn(key, value)) return e;
  }
  return simdjson::SUCCESS;
}
template <class Fn>
simdjson::error_code each_element(od::value v, Fn&& fn) {
  od::array a;
  if (auto e = v.get_array().get(a)) return e;
  for (auto x : a) {
    od::value value;
    if (auto e = x.get(value)) return e;
    if (auto e = fn(value)) return e;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code read_endpoint(od::value v, endpoint& ep) {
  return each_field(v, [&](od::raw_json_string key, od::value x) -> simdjson::error_code {
    if (key == "addresses")
      return each_element(x, [&](od::value a) -> simdjson::error_code {
        std::string_view text;
        if (auto e = a.get_string().get(text)) return e;
        const auto parsed = epslice::parse_ipv4(text);
        if (!parsed) return simdjson::INCORRECT_TYPE;
        ep.addresses.push_back(*parsed);
        return simdjson::SUCCESS;
      });
    if (key == "conditions")
      return each_field(x, [&](od::raw_json_string c, od::value b) -> simdjson::error_code {
        bool* dst = c == "ready" ? &ep.ready : c == "serving" ? &ep.serving : c == "terminating" ? &ep.terminating : nullptr;
        if (!dst) return simdjson::SUCCESS;
        return b.get_bool().get(*dst);
      });
    if (key == "targetRef")
      return each_field(x, [&](od::raw_json_string k, od::value s) -> simdjson::error_code {
        if (k == "kind") return read(s, ep.target.kind);
        if (k == "namespace") return read(s, ep.target.namespace_);
        if (k == "name") return read(s, ep.target.name);
        if (k == "uid") return read(s, ep.target.uid);
        return simdjson::SUCCESS;
      });
    if (key == "nodeName") return read(x, ep.node_name);
    if (key == "zone") return read(x, ep.zone);
    return simdjson::SUCCESS;
  });
}

simdjson::error_code read_metadata(od::value v, metadata& m) {
  return each_field(v, [&](od::raw_json_string key, od::value x) -> simdjson::error_code {
    if (key == "name") return read(x, m.name);
    if (key == "generateName") return read(x, m.generate_name);
    if (key == "namespace") return read(x, m.namespace_);
    if (key == "labels") return read(x, m.labels);
    if (key == "annotations") return read(x, m.annotations);
    if (key == "ownerReferences")
      return each_element(x, [&](od::value r) {
        owner& o = m.owners.emplace_back();
        return each_field(r, [&](od::raw_json_string k, od::value s) -> simdjson::error_code {
          if (k == "apiVersion") return read(s, o.api_version);
          if (k == "kind") return read(s, o.kind);
          if (k == "name") return read(s, o.name);
          if (k == "uid") return read(s, o.uid);
          if (k == "controller") return s.get_bool().get(o.controller);
          if (k == "blockOwnerDeletion") return s.get_bool().get(o.block_owner_deletion);
          return simdjson::SUCCESS;
        });
      });
    return simdjson::SUCCESS;
  });
}

simdjson::error_code decode(od::parser& parser, const simdjson::padded_string& text, slice& s) {
  od::document doc;
  if (auto e = parser.iterate(text).get(doc)) return e;
  od::value root;
  if (auto e = doc.get_value().get(root)) return e;
  return each_field(root, [&](od::raw_json_string key, od::value x) -> simdjson::error_code {
    if (key == "kind") return read(x, s.kind);
    if (key == "apiVersion") return read(x, s.api_version);
    if (key == "addressType") return read(x, s.address_type);
    if (key == "metadata") return read_metadata(x, s.meta);
    if (key == "endpoints") return each_element(x, [&](od::value e) { return read_endpoint(e, s.endpoints.emplace_back()); });
    if (key == "ports")
      return each_element(x, [&](od::value p) {
        port& out = s.ports.emplace_back();
        return each_field(p, [&](od::raw_json_string k, od::value y) -> simdjson::error_code {
          if (k == "name") return read(y, out.name);
          if (k == "protocol") return read(y, out.protocol);
          if (k == "port") return y.get_int64().get(out.number);
          return simdjson::SUCCESS;
        });
      });
    return simdjson::SUCCESS;
  });
}

}  // namespace simdjson_reference

// The stored form of the world slice: what the API server keeps and serves (uid, resourceVersion,
// generation, creationTimestamp, managedFields).
std::string stored_slice_text(benchmark::State& state) {
  epslice::endpoint_slice_v4 s = world_slice(static_cast<int>(state.range(0)));
  s.metadata.uid = "0b7e1203-9d1a-4e55-a0c4-7f3b2d1e9c07";
  s.metadata.resource_version = "481203";
  s.metadata.generation = 7;
  s.metadata.creation_timestamp = "2024-01-01T00:00:00Z";
  s.metadata.extra.push_back(epslice::unknown_field{
      "managedFields",
      R"([{"manager":"kube-controller-manager","operation":"Update","apiVersion":"discovery.k8s.io/v1",)"
      R"("time":"2024-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:addressType":{},"f:endpoints":{},)"
      R"("f:metadata":{"f:annotations":{".":{},"f:endpoints.kubernetes.io/last-change-trigger-time":{}},)"
      R"("f:generateName":{},"f:labels":{".":{},"f:endpointslice.kubernetes.io/managed-by":{},)"
      R"("f:kubernetes.io/service-name":{}},"f:ownerReferences":{".":{},)"
      R"("k:{\"uid\":\"11111111-2222-4333-8444-555555555555\"}":{}}},"f:ports":{}}}])"});
  return epslice::encode(s);
}

// Fails the benchmark when the fast path fell back (the figure would be the reader's).
void require_fast_path(benchmark::State& state, const epslice::simdjson_decoder& d) {
  if (d.fallbacks() != 0) state.SkipWithError("the simdjson decoder fell back to the nlohmann reader");
}

void BM_slice_simdjson_decode_typed(benchmark::State& state) {
  const std::string text = slice_text(state);
  epslice::simdjson_decoder decoder;
  for (auto _ : state) {
    auto s = decoder.decode_endpoint_slice_as<epslice::ipv4>(text);
    benchmark::DoNotOptimize(s);
  }
  require_fast_path(state, decoder);
  set_rates(state, text.size());
}

void BM_slice_simdjson_typed_reference(benchmark::State& state) {
  const std::string text = slice_text(state);
  const simdjson::padded_string padded(text);
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    simdjson_reference::slice s;
    if (simdjson_reference::decode(parser, padded, s) != simdjson::SUCCESS) state.SkipWithError("reference walk failed");
    benchmark::DoNotOptimize(s);
  }
  set_rates(state, text.size());
}

void BM_slice_stored_decode_typed(benchmark::State& state) {
  const std::string text = stored_slice_text(state);
  for (auto _ : state) {
    auto s = epslice::decode_endpoint_slice_as<epslice::ipv4>(text);
    benchmark::DoNotOptimize(s);
  }
  set_rates(state, text.size());
}

void BM_slice_stored_simdjson_decode_typed(benchmark::State& state) {
  const std::string text = stored_slice_text(state);
  epslice::simdjson_decoder decoder;
  for (auto _ : state) {
    auto s = decoder.decode_endpoint_slice_as<epslice::ipv4>(text);
    benchmark::DoNotOptimize(s);
  }
  require_fast_path(state, decoder);
  set_rates(state, text.size());
}

void BM_endpoints_simdjson_decode(benchmark::State& state) {
  const std::string text = endpoints_text(state);
  epslice::simdjson_decoder decoder;
  for (auto _ : state) {
    auto e = decoder.decode_endpoints(text);
    benchmark::DoNotOptimize(e);
  }
  require_fast_path(state, decoder);
  set_rates(state, text.size());
}

// A relist: an EndpointSliceList of N world slices of 100 endpoints, in kubectl's key order.
std::string slice_list_text(benchmark::State& state) {
  std::string items;
  const std::string one = epslice::encode(world_slice(100));
  for (std::int64_t i = 0; i < state.range(0); ++i) items += (i ? "," : "") + one;
  return R"({"apiVersion":"discovery.k8s.io/v1","items":[)" + items +
         R"(],"kind":"EndpointSliceList","metadata":{"resourceVersion":"481203"}})";
}

// The same relist as the API server writes it: the list's kind and apiVersion first, the items
// without their own (they take the list's).
std::string api_slice_list_text(benchmark::State& state) {
  std::string one = epslice::encode(world_slice(100));
  for (const std::string_view field : {R"("kind":"EndpointSlice",)", R"("apiVersion":"discovery.k8s.io/v1",)"}) {
    const auto at = one.find(field);
    if (at == std::string::npos) state.SkipWithError("the encoded slice lacks a type field");
    else one.erase(at, field.size());
  }
  std::string items;
  for (std::int64_t i = 0; i < state.range(0); ++i) items += (i ? "," : "") + one;
  return R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"481203"},"items":[)" +
         items + "]}";
}

void decode_list(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto d = epslice::decode_document(text);
    benchmark::DoNotOptimize(d);
  }
  set_rates(state, text.size());
}

void simdjson_decode_list(benchmark::State& state, const std::string& text) {
  epslice::simdjson_decoder decoder;
  for (auto _ : state) {
    auto d = decoder.decode_document(text);
    benchmark::DoNotOptimize(d);
  }
  require_fast_path(state, decoder);
  set_rates(state, text.size());
}

void BM_list_decode_document(benchmark::State& state) { decode_list(state, slice_list_text(state)); }
void BM_list_simdjson_decode_document(benchmark::State& state) { simdjson_decode_list(state, slice_list_text(state)); }
void BM_apilist_decode_document(benchmark::State& state) { decode_list(state, api_slice_list_text(state)); }
void BM_apilist_simdjson_decode_document(benchmark::State& state) {
  simdjson_decode_list(state, api_slice_list_text(state));
}

}  // namespace

BENCHMARK(BM_slice_simdjson_decode_typed)->Arg(100)->Arg(1000);
BENCHMARK(BM_slice_simdjson_typed_reference)->Arg(100)->Arg(1000);
BENCHMARK(BM_slice_stored_decode_typed)->Arg(100);
BENCHMARK(BM_slice_stored_simdjson_decode_typed)->Arg(100);
BENCHMARK(BM_endpoints_simdjson_decode)->Arg(100)->Arg(1000);
// 100 slices of 100 endpoints: 2.4 MB, a relist of a large Service.
BENCHMARK(BM_list_decode_document)->Arg(100);
BENCHMARK(BM_list_simdjson_decode_document)->Arg(100);
// The same as the API server lists them (items without kind and apiVersion).
BENCHMARK(BM_apilist_decode_document)->Arg(100);
BENCHMARK(BM_apilist_simdjson_decode_document)->Arg(100);

#endif  // EPSLICE_BENCH_SIMDJSON
