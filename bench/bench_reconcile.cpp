// SPDX-License-Identifier: Apache-2.0
// Speed of reconcile.hpp and slice_planner.hpp: plans from scratch, one change in a settled layout, the incremental planner.
//
// Inputs are the endpoints of the scenario world (simulate.hpp scenario_endpoint(i): IP 10.x.y.z,
// node, zone, targetRef), one port set, at most 100 endpoints per slice.
// - BM_Reconcile/<strategy>/<N>: a plan from no slices. The desired state is handed over (moved),
//   so endpoints move into the created slices; the copy of the input and the destruction of the
//   plan are not timed. BM_ReconcileNoBytes/<strategy>/<N>: the same with
//   reconcile_options::measure_bytes off. BM_ReconcileCopy/<strategy>/<N> keeps the input
//   (endpoints copied).
// - BM_ReconcileOneChange/<strategy>/<N>: one endpoint replaced in a settled layout of N.
// - BM_PlannerOneChange/<N> (kubernetes) and BM_PlannerOneChangeMinimal/<N>: the same change
//   through slice_planner, what a user pays for it: the decision and the slice objects of the plan
//   (build). Counters: `decide_us` and `build_us`, the two parts; `commit_us`, advancing the
//   planner past the plan (not in the time); `decide_cpu_us` and `build_cpu_us`, the two parts in
//   CPU time of the thread (steadier than wall time when other processes share the cores).
// - BM_PlannerDecision/<N> and BM_PlannerDecisionMinimal/<N>: the decision alone.
// - BM_CopySlice/<N>: the reference for a build: one slice of the settled layout (100 endpoints)
//   copied and the JSON size of its endpoints measured, a different slice each time.
// Counters: `writes` per plan, `bytes` written per plan (plan_stats::bytes_written); from scratch,
// `faults`: minor page faults per plan (the kernel mapping fresh memory for the written slices;
// costly at 100,000 whenever the allocator has returned the last plan's memory to the system).
#include <epslice/detail/json_size.hpp>
#include <epslice/reconcile.hpp>
#include <epslice/simulate.hpp>
#include <epslice/slice_planner.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#if __has_include(<sys/resource.h>)
#include <sys/resource.h>
#define EPSLICE_BENCH_HAS_RUSAGE 1
#endif
#include <ctime>

namespace {

using namespace epslice;

// Minor page faults of the process so far (0 where getrusage is missing).
long minor_faults() {
#ifdef EPSLICE_BENCH_HAS_RUSAGE
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
#else
  return 0;
#endif
}

// CPU time of the calling thread in seconds (0 where the clock is missing): on a shared machine
// it moves less than wall time, which counts the time other processes hold the core.
double thread_cpu_seconds() {
#ifdef CLOCK_THREAD_CPUTIME_ID
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
#else
  return 0;
#endif
}

desired_state<ipv4> world_desired(std::size_t n) {
  desired_state<ipv4> d = scenario_service();
  d.groups[0].endpoints.reserve(n);
  for (std::size_t i = 0; i < n; ++i) d.groups[0].endpoints.push_back(scenario_endpoint(i));
  return d;
}

reconcile_options options_for(reconcile_strategy s, bool measure_bytes = true) {
  reconcile_options o;
  o.strategy = s;
  o.measure_bytes = measure_bytes;
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

void bm_reconcile(benchmark::State& state, std::size_t n, reconcile_strategy strategy, bool move, bool measure_bytes) {
  const desired_state<ipv4>& desired = settled_layout(n).desired;
  const std::vector<endpoint_slice_v4> none;
  const reconcile_options o = options_for(strategy, measure_bytes);
  std::size_t writes = 0, bytes = 0;
  long faults = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto input = std::make_unique<desired_state<ipv4>>(desired);
    const long faults_before = minor_faults();
    state.ResumeTiming();
    auto plan = std::make_unique<slice_plan<ipv4>>(move ? reconcile(std::move(*input), none, o) : reconcile(*input, none, o));
    state.PauseTiming();
    faults += minor_faults() - faults_before;
    writes = plan->stats.writes;
    bytes = plan->stats.bytes_written;
    plan.reset();
    input.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.counters["writes"] = static_cast<double>(writes);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["faults"] = static_cast<double>(faults) / static_cast<double>(state.iterations());
  state.counters["ns_per_endpoint"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void bm_one_change(benchmark::State& state, std::size_t n, reconcile_strategy strategy) {
  const settled& s = settled_layout(n);
  desired_state<ipv4> changed = s.desired;
  changed.groups[0].endpoints.erase(changed.groups[0].endpoints.begin() + static_cast<std::ptrdiff_t>(n / 2));
  changed.groups[0].endpoints.push_back(scenario_endpoint(n + 1));
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

// What a planner iteration reports as its time.
enum class planner_time : std::uint8_t { decision, decision_and_build };

void bm_planner(benchmark::State& state, std::size_t n, reconcile_strategy strategy, planner_time timed) {
  planner_state& p = planner_for(strategy, n);
  double decide_seconds = 0, build_seconds = 0, commit_seconds = 0, decide_cpu = 0, build_cpu = 0;
  std::size_t writes = 0, bytes = 0;
  for (auto _ : state) {
    p.rng = p.rng * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::size_t j = static_cast<std::size_t>((p.rng >> 33) % p.live.size());
    endpoint_change<ipv4> change;
    change.removed.push_back(scenario_endpoint(p.live[j]));
    change.added.push_back(scenario_endpoint(p.next));
    p.live[j] = p.next++;
    // Reading the thread's CPU clock is a system call (about a microsecond here): the wall-clock
    // spans leave it out (the build is timed from t1b, after the read between the two parts).
    const double c0 = thread_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    auto decision = p.planner->decide(change);
    const auto t1 = std::chrono::steady_clock::now();
    const double c1 = thread_cpu_seconds();
    const auto t1b = std::chrono::steady_clock::now();
    auto plan = p.planner->build(decision);
    const auto t2 = std::chrono::steady_clock::now();
    const double c2 = thread_cpu_seconds();
    decide_cpu += c1 - c0;
    build_cpu += c2 - c1;
    const auto t2b = std::chrono::steady_clock::now();
    p.planner->commit(change, plan);
    const auto t3 = std::chrono::steady_clock::now();
    const double decide_s = std::chrono::duration<double>(t1 - t0).count();
    const double build_s = std::chrono::duration<double>(t2 - t1b).count();
    state.SetIterationTime(timed == planner_time::decision ? decide_s : decide_s + build_s);
    decide_seconds += decide_s;
    build_seconds += build_s;
    commit_seconds += std::chrono::duration<double>(t3 - t2b).count();
    writes = plan.stats.writes;
    bytes = plan.stats.bytes_written;
  }
  const auto per_iteration_us = [&](double seconds) {
    return state.iterations() ? seconds * 1e6 / static_cast<double>(state.iterations()) : 0.0;
  };
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["writes"] = static_cast<double>(writes);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["decide_us"] = per_iteration_us(decide_seconds);
  state.counters["build_us"] = per_iteration_us(build_seconds);
  state.counters["commit_us"] = per_iteration_us(commit_seconds);
  state.counters["decide_cpu_us"] = per_iteration_us(decide_cpu);
  state.counters["build_cpu_us"] = per_iteration_us(build_cpu);
}

// The floor of a build: copy one slice of the settled layout and measure its endpoints' JSON.
void bm_copy_slice(benchmark::State& state, std::size_t n) {
  const settled& s = settled_layout(n);
  std::string buffer;
  std::uint64_t rng = 42;
  std::size_t bytes = 0;
  for (auto _ : state) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    const endpoint_slice_v4& from = s.slices[static_cast<std::size_t>((rng >> 33) % s.slices.size())];
    endpoint_slice_v4 copy = from;
    bytes = 0;
    for (const auto& e : copy.endpoints) bytes += detail::endpoint_json_size(e, buffer);
    benchmark::DoNotOptimize(copy);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["endpoint_bytes"] = static_cast<double>(bytes);
}

const int registered = [] {
  for (auto strategy : {reconcile_strategy::kubernetes, reconcile_strategy::minimal}) {
    const std::string s(to_string(strategy));
    for (std::int64_t n : {1000, 10000, 100000}) {
      benchmark::RegisterBenchmark(("BM_Reconcile/" + s + "/" + std::to_string(n)).c_str(),
                                   [strategy, n](benchmark::State& st) { bm_reconcile(st, static_cast<std::size_t>(n), strategy, true, true); })
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (auto strategy : {reconcile_strategy::kubernetes, reconcile_strategy::minimal}) {
    const std::string s(to_string(strategy));
    for (std::int64_t n : {1000, 10000, 100000}) {
      benchmark::RegisterBenchmark(("BM_ReconcileNoBytes/" + s + "/" + std::to_string(n)).c_str(),
                                   [strategy, n](benchmark::State& st) { bm_reconcile(st, static_cast<std::size_t>(n), strategy, true, false); })
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (auto strategy : {reconcile_strategy::kubernetes, reconcile_strategy::minimal}) {
    const std::string s(to_string(strategy));
    for (std::int64_t n : {1000, 10000, 100000}) {
      benchmark::RegisterBenchmark(("BM_ReconcileCopy/" + s + "/" + std::to_string(n)).c_str(),
                                   [strategy, n](benchmark::State& st) { bm_reconcile(st, static_cast<std::size_t>(n), strategy, false, true); })
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
  const struct {
    const char* name;
    reconcile_strategy strategy;
    planner_time timed;
  } planners[] = {{"BM_PlannerOneChange/", reconcile_strategy::kubernetes, planner_time::decision_and_build},
                  {"BM_PlannerOneChangeMinimal/", reconcile_strategy::minimal, planner_time::decision_and_build},
                  {"BM_PlannerDecision/", reconcile_strategy::kubernetes, planner_time::decision},
                  {"BM_PlannerDecisionMinimal/", reconcile_strategy::minimal, planner_time::decision}};
  for (std::int64_t n : {1000, 10000, 100000, 1000000}) {
    for (const auto& b : planners)
      benchmark::RegisterBenchmark((b.name + std::to_string(n)).c_str(),
                                   [n, b](benchmark::State& st) { bm_planner(st, static_cast<std::size_t>(n), b.strategy, b.timed); })
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_CopySlice/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& st) { bm_copy_slice(st, static_cast<std::size_t>(n)); })
        ->Unit(benchmark::kMicrosecond);
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
