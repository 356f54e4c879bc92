// SPDX-License-Identifier: Apache-2.0
// Speed of reconcile.hpp: plans from scratch, one change in a settled layout, and the incremental planner.
//
// Inputs are the endpoints of scenarios.md "The world" (pod i: IP 10.x.y.z, node, zone, targetRef),
// one port set, at most 100 endpoints per slice.
// - BM_Reconcile/<strategy>/<N>: a plan from no slices. The desired state is handed over (moved),
//   so endpoints move into the created slices; the copy of the input and the destruction of the
//   plan are not timed. BM_ReconcileCopy/<strategy>/<N> keeps the input (endpoints copied).
// - BM_ReconcileOneChange/<strategy>/<N>: one endpoint replaced in a settled layout of N.
// - BM_PlannerOneChange/<N> (kubernetes) and BM_PlannerOneChangeMinimal/<N>: the same change
//   through slice_planner. The time is the decision only; building the written slice's object is
//   reported apart in the counter `build_us` (it is proportional to that slice's size); committing
//   the plan to the planner is not timed.
// Counters: `writes` per plan, `bytes` written per plan (plan_stats::bytes_written).
#include <epslice/reconcile.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace epslice;

endpoint_v4 world_endpoint(std::uint64_t i) {
  endpoint_v4 e;
  e.addresses.push_back(ipv4_address{{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                      static_cast<std::uint8_t>(i)}});
  e.conditions = endpoint_conditions{true, true, false};
  const std::uint64_t node = i % 100;
  e.node_name = "node-" + std::to_string(node);
  static constexpr const char* zones[] = {"zone-a", "zone-b", "zone-c"};
  e.zone = std::string(zones[node % 3]);
  object_reference ref;
  ref.kind = "Pod";
  ref.namespace_ = "default";
  ref.name = "pod-" + std::to_string(i);
  ref.uid = "00000000-0000-4000-8000-";
  static constexpr char hex[] = "0123456789abcdef";
  for (int shift = 44; shift >= 0; shift -= 4) ref.uid += hex[(i >> shift) & 15];
  e.target_ref = std::move(ref);
  return e;
}

desired_state<ipv4> world_desired(std::size_t n) {
  desired_state<ipv4> d;
  d.service.namespace_ = "default";
  d.service.name = "svc";
  d.service.uid = "11111111-2222-4333-8444-555555555555";
  d.groups.emplace_back();
  endpoint_port p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 80;
  d.groups[0].ports.push_back(p);
  d.groups[0].endpoints.reserve(n);
  for (std::size_t i = 0; i < n; ++i) d.groups[0].endpoints.push_back(world_endpoint(i));
  return d;
}

reconcile_options options_for(reconcile_strategy s) {
  reconcile_options o;
  o.strategy = s;
  return o;
}

// The settled layout of N endpoints (what a reconcile from scratch writes), built once per N.
struct settled {
  desired_state<ipv4> desired;
  std::vector<endpoint_slice_v4> slices;
  slice_namer namer;
};
const settled& settled_layout(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<settled>> cache;
  auto& slot = cache[n];
  if (!slot) {
    slot = std::make_unique<settled>();
    slot->desired = world_desired(n);
    const std::vector<endpoint_slice_v4> none;
    slot->slices = epslice::apply(reconcile(slot->desired, none, options_for(reconcile_strategy::kubernetes)), none, slot->namer);
  }
  return *slot;
}

void bm_reconcile(benchmark::State& state, std::size_t n, reconcile_strategy strategy, bool move) {
  const desired_state<ipv4>& desired = settled_layout(n).desired;
  const std::vector<endpoint_slice_v4> none;
  const reconcile_options o = options_for(strategy);
  std::size_t writes = 0, bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto input = std::make_unique<desired_state<ipv4>>(desired);
    state.ResumeTiming();
    auto plan = std::make_unique<slice_plan<ipv4>>(move ? reconcile(std::move(*input), none, o) : reconcile(*input, none, o));
    state.PauseTiming();
    writes = plan->stats.writes;
    bytes = plan->stats.bytes_written;
    plan.reset();
    input.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.counters["writes"] = static_cast<double>(writes);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["ns_per_endpoint"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void bm_one_change(benchmark::State& state, std::size_t n, reconcile_strategy strategy) {
  const settled& s = settled_layout(n);
  desired_state<ipv4> changed = s.desired;
  changed.groups[0].endpoints.erase(changed.groups[0].endpoints.begin() + static_cast<std::ptrdiff_t>(n / 2));
  changed.groups[0].endpoints.push_back(world_endpoint(n + 1));
  const reconcile_options o = options_for(strategy);
  std::size_t writes = 0, bytes = 0;
  for (auto _ : state) {
    auto plan = reconcile(changed, s.slices, o);
    writes = plan.stats.writes;
    bytes = plan.stats.bytes_written;
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["writes"] = static_cast<double>(writes);
  state.counters["bytes"] = static_cast<double>(bytes);
}

// One planner per (strategy, N), advanced by every iteration: each change removes a random live
// endpoint and adds a new one, so the layout stays settled and realistic.
struct planner_state {
  std::unique_ptr<slice_planner<ipv4>> planner;
  std::vector<std::uint64_t> live;
  std::uint64_t next = 0;
  std::uint64_t rng = 42;
};
planner_state& planner_for(reconcile_strategy strategy, std::size_t n) {
  static std::map<std::pair<int, std::size_t>, std::unique_ptr<planner_state>> cache;
  auto& slot = cache[{static_cast<int>(strategy), n}];
  if (!slot) {
    const settled& s = settled_layout(n);
    slot = std::make_unique<planner_state>();
    slot->planner = std::make_unique<slice_planner<ipv4>>(s.desired, s.slices, options_for(strategy), s.namer);
    slot->live.resize(n);
    for (std::size_t i = 0; i < n; ++i) slot->live[i] = i;
    slot->next = n;
  }
  return *slot;
}

void bm_planner(benchmark::State& state, std::size_t n, reconcile_strategy strategy) {
  planner_state& p = planner_for(strategy, n);
  double build_seconds = 0;
  std::size_t writes = 0, bytes = 0;
  for (auto _ : state) {
    p.rng = p.rng * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::size_t j = static_cast<std::size_t>((p.rng >> 33) % p.live.size());
    endpoint_change<ipv4> change;
    change.removed.push_back(world_endpoint(p.live[j]));
    change.added.push_back(world_endpoint(p.next));
    p.live[j] = p.next++;
    const auto t0 = std::chrono::steady_clock::now();
    auto decision = p.planner->decide(change);
    const auto t1 = std::chrono::steady_clock::now();
    auto plan = p.planner->build(decision);
    const auto t2 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    build_seconds += std::chrono::duration<double>(t2 - t1).count();
    writes = plan.stats.writes;
    bytes = plan.stats.bytes_written;
    p.planner->commit(change, plan);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["writes"] = static_cast<double>(writes);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["build_us"] = state.iterations() ? build_seconds * 1e6 / static_cast<double>(state.iterations()) : 0.0;
}

const int registered = [] {
  for (auto strategy : {reconcile_strategy::kubernetes, reconcile_strategy::minimal}) {
    const std::string s(to_string(strategy));
    for (std::int64_t n : {1000, 10000, 100000}) {
      benchmark::RegisterBenchmark(("BM_Reconcile/" + s + "/" + std::to_string(n)).c_str(),
                                   [strategy, n](benchmark::State& st) { bm_reconcile(st, static_cast<std::size_t>(n), strategy, true); })
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (auto strategy : {reconcile_strategy::kubernetes, reconcile_strategy::minimal}) {
    const std::string s(to_string(strategy));
    for (std::int64_t n : {1000, 10000, 100000}) {
      benchmark::RegisterBenchmark(("BM_ReconcileCopy/" + s + "/" + std::to_string(n)).c_str(),
                                   [strategy, n](benchmark::State& st) { bm_reconcile(st, static_cast<std::size_t>(n), strategy, false); })
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (auto strategy : {reconcile_strategy::kubernetes, reconcile_strategy::minimal}) {
    const std::string s(to_string(strategy));
    for (std::int64_t n : {1000, 10000, 100000})
      benchmark::RegisterBenchmark(("BM_ReconcileOneChange/" + s + "/" + std::to_string(n)).c_str(),
                                   [strategy, n](benchmark::State& st) { bm_one_change(st, static_cast<std::size_t>(n), strategy); })
          ->Unit(benchmark::kMillisecond);
  }
  for (std::int64_t n : {1000, 10000, 100000, 1000000}) {
    benchmark::RegisterBenchmark(("BM_PlannerOneChange/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& st) { bm_planner(st, static_cast<std::size_t>(n), reconcile_strategy::kubernetes); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_PlannerOneChangeMinimal/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& st) { bm_planner(st, static_cast<std::size_t>(n), reconcile_strategy::minimal); })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
