// SPDX-License-Identifier: Apache-2.0
// Speed of json.hpp: typed decode and byte-exact encode, side by side with nlohmann's DOM and SAX.
//
// *_epslice_check_null runs epslice's checking pass alone (the framer: RFC 8259 with UTF-8, cut
// into objects); *_epslice_lex_null adds the second pass that reads the checked text into
// tokens, with a handler that does nothing: together the lexing cost of a decode, the
// counterpart of *_nlohmann_sax_null.
//
// Inputs are the objects of scenarios.md "The world": the EndpointSlice of pods 0..N-1 (N = 100
// is the 24,363-byte slice of "Sizes") and the legacy Endpoints object of N addresses. Bytes/s is
// over the compact JSON text; items/s counts objects.
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
