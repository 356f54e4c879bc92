// SPDX-License-Identifier: Apache-2.0
// Speed of json.hpp: typed decode and byte-exact encode, side by side with nlohmann's DOM and SAX.
//
// Inputs are the objects of scenarios.md "The world": the EndpointSlice of pods 0..N-1 (N = 100
// is the 24,363-byte slice of "Sizes") and the legacy Endpoints object of N addresses. Bytes/s is
// over the compact JSON text; items/s counts objects.
#include <epslice/json.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace {

std::string pod_ip(int i) {
  return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
}

epslice::object_reference pod_ref(int i) {
  char uid[64];
  std::snprintf(uid, sizeof uid, "00000000-0000-4000-8000-%012x", static_cast<unsigned>(i));
  epslice::object_reference r;
  r.kind = "Pod";
  r.namespace_ = "default";
  r.name = "pod-" + std::to_string(i);
  r.uid = uid;
  return r;
}

epslice::endpoint_slice_v4 world_slice(int n) {
  using namespace epslice;
  endpoint_slice_v4 s;
  s.metadata.name = "svc-00000";
  s.metadata.generate_name = "svc-";
  s.metadata.namespace_ = "default";
  s.metadata.labels.emplace(std::string(well_known::service_name_label), "svc");
  s.metadata.labels.emplace(std::string(well_known::managed_by_label), std::string(well_known::endpointslice_controller));
  s.metadata.annotations.emplace(std::string(well_known::trigger_time_annotation), "2024-01-01T00:00:00Z");
  owner_reference o;
  o.api_version = "v1";
  o.kind = "Service";
  o.name = "svc";
  o.uid = "11111111-2222-4333-8444-555555555555";
  o.controller = true;
  o.block_owner_deletion = true;
  s.metadata.owner_references.push_back(o);
  static constexpr const char* zones[] = {"zone-a", "zone-b", "zone-c"};
  for (int i = 0; i < n; ++i) {
    endpoint_v4 e;
    e.addresses.push_back(*ipv4::parse(pod_ip(i)));
    e.conditions = endpoint_conditions{true, true, false};
    e.target_ref = pod_ref(i);
    e.node_name = "node-" + std::to_string(i % 100);
    e.zone = zones[(i % 100) % 3];
    s.endpoints.push_back(std::move(e));
  }
  endpoint_port p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 80;
  s.ports.push_back(p);
  return s;
}

epslice::endpoints world_endpoints(int n) {
  using namespace epslice;
  endpoints e;
  e.metadata.name = "svc";
  e.metadata.namespace_ = "default";
  endpoint_subset sub;
  for (int i = 0; i < n; ++i) {
    endpoint_address a;
    a.ip = pod_ip(i);
    a.node_name = "node-" + std::to_string(i % 100);
    a.target_ref = pod_ref(i);
    sub.addresses.push_back(std::move(a));
  }
  endpoints_port p;
  p.name = "http";
  p.port = 80;
  p.protocol = "TCP";
  sub.ports.push_back(p);
  e.subsets.push_back(std::move(sub));
  return e;
}

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

}  // namespace

// 100 endpoints is the controller's default slice (24,363 bytes); 1000 is the API maximum.
BENCHMARK(BM_slice_decode_typed)->Arg(100)->Arg(1000);
BENCHMARK(BM_slice_decode_document)->Arg(100);
BENCHMARK(BM_slice_encode)->Arg(100)->Arg(1000);
BENCHMARK(BM_slice_encode_reused_buffer)->Arg(100);
BENCHMARK(BM_slice_nlohmann_dom_parse)->Arg(100);
BENCHMARK(BM_slice_nlohmann_dom_dump)->Arg(100);
BENCHMARK(BM_slice_nlohmann_sax_null)->Arg(100);
// 1000 addresses: the most an Endpoints object holds before the controller truncates it.
BENCHMARK(BM_endpoints_decode)->Arg(100)->Arg(1000);
BENCHMARK(BM_endpoints_encode)->Arg(100)->Arg(1000);
BENCHMARK(BM_endpoints_nlohmann_dom_parse)->Arg(1000);
BENCHMARK(BM_endpoints_nlohmann_dom_dump)->Arg(1000);
BENCHMARK(BM_endpoints_nlohmann_sax_null)->Arg(1000);

BENCHMARK_MAIN();
