// SPDX-License-Identifier: Apache-2.0
// Benchmarks: JSON and protobuf encoding and sizing per layout and size, JSON decoding, the simulator.
#include <benchmark/benchmark.h>

#include <epslice/convert.hpp>
#include <epslice/json.hpp>
#include <epslice/simulate.hpp>
#include <epslice/sizes.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace epslice;

// One slice of `n` scenario endpoints as the controller writes it (n <= 1000).
endpoint_slice_v4 make_slice(std::size_t n) {
  desired_state<ipv4> d = scenario_service();
  for (std::uint64_t i = 0; i < n; ++i) d.groups[0].endpoints.push_back(scenario_endpoint(i));
  reconcile_options o;
  o.max_endpoints_per_slice = 1000;
  o.trigger_time = "2024-01-01T00:00:00Z";
  return epslice::apply(reconcile(d, {}, o), {}).front();
}

// The untruncated legacy Endpoints object of `n` scenario endpoints.
endpoints make_endpoints(std::size_t n) {
  endpoints ep;
  ep.metadata.name = "svc";
  ep.metadata.namespace_ = "default";
  endpoint_subset sub;
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto e = scenario_endpoint(i);
    endpoint_address a;
    a.ip = to_string(e.addresses[0]);
    a.node_name = e.node_name;
    a.target_ref = e.target_ref;
    sub.addresses.push_back(std::move(a));
  }
  sub.ports.push_back(endpoints_port{"http", 80, "TCP", std::nullopt, {}});
  ep.subsets.push_back(std::move(sub));
  return ep;
}

template <class T>
void count(benchmark::State& state, const T& x, std::size_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters["object_json"] = static_cast<double>(json_size(x));
  state.counters["object_protobuf"] = static_cast<double>(protobuf_size(x));
}

void bm_slice_encode_json(benchmark::State& state) {
  const auto s = make_slice(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(encode(s));
  count(state, s, json_size(s));
}
void bm_slice_encode_protobuf(benchmark::State& state) {
  const auto s = make_slice(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(protobuf_encode(s));
  count(state, s, protobuf_size(s));
}
void bm_slice_size_protobuf(benchmark::State& state) {
  const auto s = make_slice(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(protobuf_size(s));
  count(state, s, protobuf_size(s));
}
void bm_slice_decode_json(benchmark::State& state) {
  const auto s = make_slice(static_cast<std::size_t>(state.range(0)));
  const std::string text = encode(s);
  for (auto _ : state) benchmark::DoNotOptimize(decode_document(text));
  count(state, s, text.size());
}
void bm_endpoints_encode_json(benchmark::State& state) {
  const auto e = make_endpoints(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(encode(e));
  count(state, e, json_size(e));
}
void bm_endpoints_encode_protobuf(benchmark::State& state) {
  const auto e = make_endpoints(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(protobuf_encode(e));
  count(state, e, protobuf_size(e));
}
void bm_endpoints_decode_json(benchmark::State& state) {
  const auto e = make_endpoints(static_cast<std::size_t>(state.range(0)));
  const std::string text = encode(e);
  for (auto _ : state) benchmark::DoNotOptimize(decode_document(text));
  count(state, e, text.size());
}

// The simulator: a 1% random churn step of a service of N endpoints, per layout, measuring the
// objects as stored (the default) or bare; stored and bare of one layout run side by side.
void simulate_churn(benchmark::State& state, simulation_layout layout, std::size_t max, bool bytes,
                    measured_form form = measured_form::stored) {
  simulation_options o;
  o.scenario = scenario_kind::churn;
  o.endpoints = static_cast<std::size_t>(state.range(0));
  o.steps = 10;
  o.layout = layout;
  o.watchers = 3000;
  o.measure_bytes = bytes;
  o.form = form;
  o.reconcile.max_endpoints_per_slice = max;
  o.reconcile.trigger_time = "2024-01-01T00:00:00Z";
  std::size_t writes = 0;
  for (auto _ : state) {
    const auto r = simulate(o);
    writes = r.writes;
    benchmark::DoNotOptimize(r.bytes_delivered_json);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 10);  // steps
  state.counters["writes"] = static_cast<double>(writes);
}
void bm_simulate_churn_endpoints(benchmark::State& state) { simulate_churn(state, simulation_layout::endpoints, 100, true); }
void bm_simulate_churn_endpoints_bare(benchmark::State& state) {
  simulate_churn(state, simulation_layout::endpoints, 100, true, measured_form::bare);
}
void bm_simulate_churn_slices100(benchmark::State& state) { simulate_churn(state, simulation_layout::slices, 100, true); }
void bm_simulate_churn_slices100_bare(benchmark::State& state) {
  simulate_churn(state, simulation_layout::slices, 100, true, measured_form::bare);
}
void bm_simulate_churn_slices100_no_bytes(benchmark::State& state) {
  simulate_churn(state, simulation_layout::slices, 100, false);
}
void bm_simulate_churn_slices1(benchmark::State& state) { simulate_churn(state, simulation_layout::slices, 1, true); }
void bm_simulate_churn_slices1_bare(benchmark::State& state) {
  simulate_churn(state, simulation_layout::slices, 1, true, measured_form::bare);
}

// A whole rolling update (N steps of one pod) through the endpoints layout: the time per step
// stays flat as N grows (each step costs the pods it changes, not the N it keeps).
void bm_simulate_rolling_endpoints(benchmark::State& state) {
  simulation_options o;
  o.scenario = scenario_kind::rolling_update;
  o.endpoints = static_cast<std::size_t>(state.range(0));
  o.batch = 1;
  o.layout = simulation_layout::endpoints;
  o.watchers = 3000;
  for (auto _ : state) benchmark::DoNotOptimize(simulate(o).bytes_delivered_json);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));  // steps
}

}  // namespace

BENCHMARK(bm_slice_encode_json)->RangeMultiplier(10)->Range(1, 1000);
BENCHMARK(bm_slice_encode_protobuf)->RangeMultiplier(10)->Range(1, 1000);
BENCHMARK(bm_slice_size_protobuf)->RangeMultiplier(10)->Range(1, 1000);
BENCHMARK(bm_slice_decode_json)->RangeMultiplier(10)->Range(1, 1000);
BENCHMARK(bm_endpoints_encode_json)->RangeMultiplier(10)->Range(10, 10000);
BENCHMARK(bm_endpoints_encode_protobuf)->RangeMultiplier(10)->Range(10, 10000);
BENCHMARK(bm_endpoints_decode_json)->RangeMultiplier(10)->Range(10, 10000);
BENCHMARK(bm_simulate_churn_endpoints)->RangeMultiplier(10)->Range(1000, 10000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_simulate_churn_endpoints_bare)->RangeMultiplier(10)->Range(1000, 10000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_simulate_churn_slices100)->RangeMultiplier(10)->Range(1000, 10000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_simulate_churn_slices100_bare)->RangeMultiplier(10)->Range(1000, 10000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_simulate_churn_slices100_no_bytes)->RangeMultiplier(10)->Range(1000, 10000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_simulate_churn_slices1)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_simulate_churn_slices1_bare)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(bm_simulate_rolling_endpoints)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
