// SPDX-License-Identifier: Apache-2.0
// Speed of topology.hpp: allocations and hint assignment for 100,000 endpoints, and hint churn over S5.
//
// Inputs are generated in-process, deterministically. For Z zones, zone z (`zone-00`, `zone-01`, ...)
// holds nodes of (1000 + 100 z) millicores in all, so the zones' ratios differ and redistribution
// has work to do; endpoint i is in zone i mod Z, 100 endpoints per slice.
//  - allocations: compute_allocations for N ready endpoints;
//  - hints_fresh: add_hints over slices to create whose endpoints have no hints yet;
//  - hints_rehint: the same slices, hinted once, then 1% of the endpoints replaced by new ones and
//    every slice written again (update): upstream mode re-assigns every hint, stable mode keeps
//    the valid ones. Counter `hint_changes`: endpoints whose hints differ from before.
//  - s5_hint_churn: scenario S5 of docs/scenarios.md with the Service's topology annotation on and
//    3 zones of equal CPU per node (100 nodes); reconcile, hint_plan, apply per step. Counters: hint
//    changes, writes and the writes caused by hints alone, per reconcile. The full scenario
//    (10,000 pods, 200 steps) runs only with EPSLICE_BENCH_FULL=1 in the environment; without it a
//    reduced one (1,000 pods, 20 steps of 1%) keeps the smoke pass short.
#include <epslice/simulate.hpp>
#include <epslice/topology.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace epslice;

std::string zone_name(std::int64_t z) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "zone-%02d", static_cast<int>(z));
  return buf;
}

zone_ratios ratios_for(std::int64_t zones) {
  std::vector<node> nodes;
  for (std::int64_t z = 0; z < zones; ++z) {
    node n;
    n.metadata.name = "node-" + std::to_string(z);
    n.metadata.labels.emplace(std::string(well_known::zone_label), zone_name(z));
    n.ready = true;
    n.allocatable_cpu_millis = 1000 + 100 * z;
    nodes.push_back(std::move(n));
  }
  return *compute_zone_capacity(nodes).ratios;
}

endpoint_v4 bench_endpoint(std::uint32_t i, std::int64_t zones) {
  endpoint_v4 e;
  e.addresses.push_back(ipv4_address::from_uint(0x0a000000u + i));
  e.conditions = endpoint_conditions{true, true, false};
  e.zone = zone_name(static_cast<std::int64_t>(i) % zones);
  return e;
}

std::vector<endpoint_slice_v4> bench_slices(std::uint32_t n, std::int64_t zones) {
  std::vector<endpoint_slice_v4> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i % 100 == 0) {
      out.emplace_back();
      out.back().metadata.name = "svc-" + std::to_string(i / 100);
    }
    out.back().endpoints.push_back(bench_endpoint(i, zones));
  }
  return out;
}

constexpr std::uint32_t endpoints_n = 100000;

void allocations(benchmark::State& state) {
  const auto ratios = std::optional<zone_ratios>(ratios_for(state.range(0)));
  for (auto _ : state) {
    auto a = compute_allocations(ratios, endpoints_n);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
}

void hints_fresh(benchmark::State& state) {
  const auto zones = state.range(0);
  const auto mode = state.range(1) ? hint_mode::stable : hint_mode::upstream;
  const std::optional<zone_ratios> ratios = ratios_for(zones);
  slice_set<ipv4> in;
  in.create = bench_slices(endpoints_n, zones);
  std::size_t changes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto copy = in;
    state.ResumeTiming();
    auto r = add_hints(std::move(copy), ratios, true, mode);
    changes = r.hint_changes;
    benchmark::DoNotOptimize(r);
  }
  state.counters["hint_changes"] = static_cast<double>(changes);
  state.SetItemsProcessed(state.iterations() * endpoints_n);
}

void hints_rehint(benchmark::State& state) {
  const auto zones = state.range(0);
  const auto mode = state.range(1) ? hint_mode::stable : hint_mode::upstream;
  const std::optional<zone_ratios> ratios = ratios_for(zones);
  slice_set<ipv4> first;
  first.create = bench_slices(endpoints_n, zones);
  auto hinted = add_hints(std::move(first), ratios, true, mode);
  slice_set<ipv4> in;
  in.update = std::move(hinted.slices.create);
  // Replace the first endpoint of every slice by a new one (new address, same zone, no hints).
  std::uint32_t next = endpoints_n;
  for (auto& s : in.update) {
    auto e = bench_endpoint(next++, zones);
    e.zone = s.endpoints[0].zone;
    s.endpoints[0] = std::move(e);
  }
  std::size_t changes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto copy = in;
    state.ResumeTiming();
    auto r = add_hints(std::move(copy), ratios, true, mode);
    changes = r.hint_changes;
    benchmark::DoNotOptimize(r);
  }
  state.counters["hint_changes"] = static_cast<double>(changes);
  state.SetItemsProcessed(state.iterations() * endpoints_n);
}

/// Totals of S5 with hints.
struct churn_totals {
  std::size_t reconciles = 0, hint_changes = 0, writes = 0, hint_writes = 0, fallbacks = 0;
};

churn_totals s5_hints(std::size_t n, std::size_t steps, hint_mode mode) {
  std::vector<node> nodes;
  for (int k = 0; k < 100; ++k) {
    node nd;
    nd.metadata.name = "node-" + std::to_string(k);
    static constexpr const char* zones[] = {"zone-a", "zone-b", "zone-c"};
    nd.metadata.labels.emplace(std::string(well_known::zone_label), zones[k % 3]);
    nd.ready = true;
    nd.allocatable_cpu_millis = 4000;
    nodes.push_back(std::move(nd));
  }
  const auto ratios = compute_zone_capacity(nodes).ratios;
  const string_map annotations{{std::string(well_known::topology_mode_annotation), "Auto"}};
  splitmix64 rng{42};
  std::vector<std::uint64_t> live;
  std::uint64_t next_pod = 0;
  std::vector<endpoint_slice_v4> slices;
  slice_namer namer;
  desired_state<ipv4> desired = scenario_service();
  plan_hints_options opt;
  opt.mode = mode;
  churn_totals t;
  const auto run = [&](bool counted) {
    auto& eps = desired.groups[0].endpoints;
    eps.clear();
    for (std::uint64_t i : live) eps.push_back(scenario_endpoint(i));
    auto h = hint_plan<ipv4>(reconcile(desired, slices), slices, annotations, std::nullopt, ratios, opt);
    opt.hints_populated = h.hints_populated;
    slices = epslice::apply(h.plan, slices, namer);
    if (!counted) return;
    ++t.reconciles;
    t.hint_changes += h.hint_changes;
    t.writes += h.plan.stats.writes;
    t.hint_writes += h.moved_to_update;
    t.fallbacks += h.stable_fallback ? 1 : 0;
  };
  for (std::size_t j = 0; j < n; ++j) live.push_back(next_pod++);
  run(false);
  const std::size_t k = (n + 50) / 100;  // 1% of N
  for (std::size_t s = 0; s < steps; ++s) {
    for (std::size_t j = 0; j < k && !live.empty(); ++j)
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(rng.below(live.size())));
    for (std::size_t j = 0; j < k; ++j) live.push_back(next_pod++);
    run(true);
  }
  return t;
}

void s5_hint_churn(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto steps = static_cast<std::size_t>(state.range(1));
  const auto mode = state.range(2) ? hint_mode::stable : hint_mode::upstream;
  churn_totals t;
  for (auto _ : state) t = s5_hints(n, steps, mode);
  const auto per = [&](std::size_t v) { return static_cast<double>(v) / static_cast<double>(t.reconciles); };
  state.counters["hint_changes"] = static_cast<double>(t.hint_changes);
  state.counters["hint_changes_per_reconcile"] = per(t.hint_changes);
  state.counters["writes"] = static_cast<double>(t.writes);
  state.counters["hint_only_writes"] = static_cast<double>(t.hint_writes);
  state.counters["stable_fallbacks"] = static_cast<double>(t.fallbacks);
}

}  // namespace

int main(int argc, char** argv) {
  for (std::int64_t zones : {3, 10, 30}) benchmark::RegisterBenchmark("allocations", allocations)->Arg(zones);
  for (auto* fn : {&hints_fresh, &hints_rehint}) {
    auto* b = benchmark::RegisterBenchmark(fn == &hints_fresh ? "hints_fresh" : "hints_rehint", fn);
    b->ArgNames({"zones", "stable"})->Unit(benchmark::kMillisecond);
    for (std::int64_t zones : {3, 10, 30})
      for (std::int64_t stable : {0, 1}) b->Args({zones, stable});
  }
  auto* s5 = benchmark::RegisterBenchmark("s5_hint_churn", s5_hint_churn);
  s5->ArgNames({"pods", "steps", "stable"})->Unit(benchmark::kMillisecond)->Iterations(1);
  const char* full = std::getenv("EPSLICE_BENCH_FULL");
  const bool all = full && std::string(full) == "1";
  for (std::int64_t stable : {0, 1}) s5->Args({all ? 10000 : 1000, all ? 200 : 20, stable});
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
