// SPDX-License-Identifier: Apache-2.0
// Speed and memory of merge.hpp: slice events into a large endpoint cache, merges from scratch.
//
// The cluster: 10,000 slices, each of 100 ready endpoints with one port (`http`, 8080), a node
// name out of 1,000, a zone out of 3 and a zone hint for that zone, as the EndpointSlice
// controller writes them. Addresses are unique. Two layouts: 100 services of 100 slices (10,000
// endpoints per service port), or one service of 10,000 slices (a large service port: 1,000,000
// endpoints, where every table lookup misses the CPU caches).
//  - BM_cache_update/<mode>/<layout>: one 100-endpoint slice event in that cache. Mode 0
//    (`typical`): one pod replaced (new address at the same position) and another one turning
//    not ready; mode 1 (`replace_all`): every address of the slice replaced (a slice reused for
//    other pods). Events rotate over 256 slices, each alternating between its two versions, so
//    every event is a change and the tables are not cache-hot. BM_cache_update times the events
//    alone: in batches of 8 (consecutive targets), timed by reading a clock before and after
//    each batch, with a checkout between batches that is not timed; the time is per event.
//    (Pausing the timer around every event cost more than the event.) Counter cpu_us: the CPU
//    time of this thread per event in the same batches, which a loaded machine does not inflate
//    (the wall-clock time does: the thread waits for a core). BM_cache_update_checkout
//    times each event with the checkout that follows it (kube-proxy checks out once per sync,
//    usually after several events). Counter bytes_per_endpoint: memory of the cache
//    (memory_bytes) over the endpoints it holds, after a checkout.
//    In these two the input slice is cold: it was last read 256 events (and checkouts) earlier
//    and has left the core's caches, so the time includes fetching the input object's pieces
//    (endpoints, address lists, hint blocks) from memory: a pessimistic bound.
//  - BM_cache_update_warm/<mode>/<layout>: the same batches, but before each batch (not timed) the
//    inputs of its events are read (every address, node and zone name, hint name), as they are
//    in a consumer that calls update() right after decoding each slice from the watch stream.
//    This is the figure a proxy sees; the difference from BM_cache_update is the cost of the
//    input's cache misses, which the cache cannot avoid.
//  - BM_cache_update_paused/<mode>/<layout>: the former way of timing BM_cache_update, kept as
//    the same-run reference of that change: one event per iteration, with the timer paused and
//    resumed around the checkout after it (the pause itself is partly counted).
//  - BM_follow_event/<mode>/<layout>: the `--follow` loop's work per event without decoding and
//    output: a MODIFIED watch_event (built beforehand) through endpoint_cache::apply, then the
//    checkout; BM_cache_update_checkout is its same-run reference (update() instead of apply()).
//  - BM_cache_from_scratch: a new cache fed 1,000 slices (100,000 endpoints), then one checkout
//    (every endpoint reported as added); BM_merge_slices: the reference merge_slices over the same.
//  - BM_cache_one_key/<shared>/<N>: N one-endpoint slices that all carry one ip:port (shared:1,
//    one key with N copies) beside N slices of distinct endpoints (shared:0, the reference).
#include <epslice/merge.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace epslice;

constexpr int endpoints_per_slice = 100;

std::string zone_of(int node) { return "zone-" + std::string(1, static_cast<char>('a' + node % 3)); }

// Slice `n` of the cluster: service n / slices_per_service, endpoints of global indices 100 n .. 100 n + 99 at
// `base + index` (addresses 10.0.0.0 on for base 0x0a000000).
endpoint_slice_v4 make_slice(int n, int slices_per_service, std::uint32_t base = 0x0a000000U) {
  endpoint_slice_v4 s;
  const std::string svc = "svc-" + std::to_string(n / slices_per_service);
  s.metadata.namespace_ = "default";
  s.metadata.name = svc + "-" + std::to_string(n % slices_per_service);
  s.metadata.labels.emplace(std::string(well_known::service_name_label), svc);
  endpoint_port p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 8080;
  s.ports.push_back(p);
  s.endpoints.reserve(endpoints_per_slice);
  for (int i = 0; i < endpoints_per_slice; ++i) {
    const int g = n * endpoints_per_slice + i;
    const int node = g % 1000;
    endpoint_v4 e;
    e.addresses.push_back(ipv4_address::from_uint(base + static_cast<std::uint32_t>(g)));
    e.conditions = endpoint_conditions{true, true, false};
    e.node_name = "node-" + std::to_string(node);
    e.zone = zone_of(node);
    endpoint_hints h;
    h.for_zones.push_back(for_zone{*e.zone});
    e.hints = std::move(h);
    s.endpoints.push_back(std::move(e));
  }
  return s;
}

constexpr int targets = 256;  // slices the events rotate over, so that tables are not cache-hot

// A cache of `slices` slices (built once), with two more versions of each of its first
// `targets` slices.
struct world {
  endpoint_cache_v4 cache;
  std::vector<endpoint_slice_v4> base;
  std::vector<endpoint_slice_v4> typical;
  std::vector<endpoint_slice_v4> replace_all;

  world(int slices, int slices_per_service) {
    for (int n = 0; n < slices; ++n) (void)cache.update(make_slice(n, slices_per_service));
    (void)cache.checkout();
    for (int n = 0; n < targets; ++n) {
      base.push_back(make_slice(n, slices_per_service));
      typical.push_back(base.back());
      // Pod 7 replaced by a new pod (new address, same node), pod 42 no longer ready.
      const std::uint32_t first = static_cast<std::uint32_t>(n * endpoints_per_slice);
      typical.back().endpoints[7].addresses[0] = ipv4_address::from_uint(0x0b000000U + first + 7);
      typical.back().endpoints[42].conditions = endpoint_conditions{false, true, true};
      replace_all.push_back(make_slice(n, slices_per_service, 0x0b000000U));
    }
  }
};

// Layout 0: 100 services of 100 slices; layout 1: one service of 10,000 slices.
world& large_world(std::int64_t layout) {
  static std::unique_ptr<world> worlds[2];
  auto& w = worlds[layout == 0 ? 0 : 1];
  if (!w) w = std::make_unique<world>(10000, layout == 0 ? 100 : 10000);
  return *w;
}

// Read every field of a slice that update() reads, so that it is in the CPU caches.
std::size_t read_slice(const endpoint_slice_v4& s) {
  std::size_t sum = s.metadata.namespace_.size() + s.metadata.name.size() + s.metadata.labels.size();
  for (const auto& p : s.ports) sum += static_cast<std::size_t>(p.port.value_or(0)) + (p.name ? p.name->size() : 0);
  for (const auto& e : s.endpoints) {
    for (const auto& a : e.addresses)
      for (const auto b : a.bytes) sum += b;
    sum += e.node_name ? e.node_name->size() : 0;
    sum += e.zone ? e.zone->size() : 0;
    sum += e.conditions.ready.value_or(false) ? 1U : 0U;
    if (e.hints) {
      sum += e.hints->for_zones.size() + e.hints->for_nodes.size();
      for (const auto& z : e.hints->for_zones) sum += z.name.size();
      for (const auto& n : e.hints->for_nodes) sum += n.name.size();
    }
  }
  return sum;
}

enum class update_timing {
  event,           // the events alone, input cold
  event_checkout,  // each event and its checkout, input cold
  event_warm,      // the events alone, inputs read just before (untimed)
  event_paused,    // one event per iteration, timer paused around its checkout (reference)
};

constexpr std::size_t batch = 8;  // events per timed batch (their inputs fit in the core's caches)

// This thread's CPU time in seconds (0 where the clock is missing). The wall-clock time of a batch
// counts the time the thread waits for a core on a loaded machine; this does not.
double thread_cpu_seconds() {
#ifdef CLOCK_THREAD_CPUTIME_ID
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
#else
  return 0;
#endif
}

// Events rotate over the target slices; each target alternates between its base version and
// the other one. event and event_warm time batches of events with a clock of their own (manual
// time, per event) and check out between batches; event_checkout times each event with its
// checkout.
void run_update(benchmark::State& state, update_timing timing) {
  world& w = large_world(state.range(1));
  const auto& other = state.range(0) == 0 ? w.typical : w.replace_all;
  std::vector<bool> at_base(targets, true);
  std::size_t k = 0;
  const auto input = [&](std::size_t t) -> const endpoint_slice_v4& { return at_base[t] ? other[t] : w.base[t]; };
  double cpu = 0;  // seconds of this thread's CPU time in the timed batches
  for (auto _ : state) {
    if (timing == update_timing::event_checkout) {
      const std::size_t t = k++ % targets;
      benchmark::DoNotOptimize(w.cache.update(input(t)));
      at_base[t] = !at_base[t];
      benchmark::DoNotOptimize(w.cache.checkout());
      continue;
    }
    if (timing == update_timing::event_paused) {
      const std::size_t t = k++ % targets;
      benchmark::DoNotOptimize(w.cache.update(input(t)));
      at_base[t] = !at_base[t];
      state.PauseTiming();
      benchmark::DoNotOptimize(w.cache.checkout());
      state.ResumeTiming();
      continue;
    }
    if (timing == update_timing::event_warm)
      for (std::size_t j = 0; j < batch; ++j) benchmark::DoNotOptimize(read_slice(input((k + j) % targets)));
    const double cpu_start = thread_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t j = 0; j < batch; ++j) {
      const std::size_t t = k++ % targets;
      benchmark::DoNotOptimize(w.cache.update(input(t)));
      at_base[t] = !at_base[t];
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    cpu += thread_cpu_seconds() - cpu_start;
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count() / static_cast<double>(batch));
    benchmark::DoNotOptimize(w.cache.checkout());
  }
  if (timing == update_timing::event || timing == update_timing::event_warm)
    state.counters["cpu_us"] = cpu * 1e6 / (static_cast<double>(state.iterations()) * static_cast<double>(batch));
  for (std::size_t t = 0; t < targets; ++t) (void)w.cache.update(w.base[t]);
  (void)w.cache.checkout();
  state.SetLabel(std::string(state.range(0) == 0 ? "typical" : "replace_all") +
                 (state.range(1) == 0 ? ", 10k per port" : ", 1M per port"));
  state.counters["endpoints"] = static_cast<double>(w.cache.endpoint_count());
  state.counters["bytes_per_endpoint"] =
      static_cast<double>(w.cache.memory_bytes()) / static_cast<double>(w.cache.endpoint_count());
}

void BM_cache_update(benchmark::State& state) { run_update(state, update_timing::event); }
void BM_cache_update_checkout(benchmark::State& state) { run_update(state, update_timing::event_checkout); }
void BM_cache_update_warm(benchmark::State& state) { run_update(state, update_timing::event_warm); }
void BM_cache_update_paused(benchmark::State& state) { run_update(state, update_timing::event_paused); }
BENCHMARK(BM_cache_update)->ArgsProduct({{0, 1}, {0, 1}})->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_cache_update_paused)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_cache_update_checkout)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_cache_update_warm)->ArgsProduct({{0, 1}, {0, 1}})->UseManualTime()->Unit(benchmark::kMicrosecond);

// The --follow loop's work per event, decoding and output left out: a MODIFIED watch event
// applied with endpoint_cache::apply, then the checkout that names the changed service ports.
// The events are built beforehand (decoded objects, as the stream decoder hands them out) and
// rotate over the 256 targets like BM_cache_update_checkout, the same-run reference.
void BM_follow_event(benchmark::State& state) {
  world& w = large_world(state.range(1));
  const auto& other = state.range(0) == 0 ? w.typical : w.replace_all;
  const auto event_of = [](const endpoint_slice_v4& s) {
    watch_event e;
    e.type = watch_event_type::modified;
    e.shape = stream_shape::watch_event;
    e.object.value = any_endpoint_slice(s);
    return e;
  };
  std::vector<watch_event> to_other, to_base;
  for (std::size_t t = 0; t < targets; ++t) {
    to_other.push_back(event_of(other[t]));
    to_base.push_back(event_of(w.base[t]));
  }
  std::vector<bool> at_base(targets, true);
  std::size_t k = 0, changed = 0;
  for (auto _ : state) {
    const std::size_t t = k++ % targets;
    benchmark::DoNotOptimize(w.cache.apply(at_base[t] ? to_other[t] : to_base[t]));
    at_base[t] = !at_base[t];
    changed += w.cache.checkout().size();
  }
  for (std::size_t t = 0; t < targets; ++t) (void)w.cache.update(w.base[t]);
  (void)w.cache.checkout();
  state.SetLabel(std::string(state.range(0) == 0 ? "typical" : "replace_all") +
                 (state.range(1) == 0 ? ", 10k per port" : ", 1M per port"));
  state.counters["ports_changed_per_event"] =
      static_cast<double>(changed) / static_cast<double>(std::max<benchmark::IterationCount>(1, state.iterations()));
}
BENCHMARK(BM_follow_event)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMicrosecond);

const std::vector<endpoint_slice_v4>& scratch_slices() {
  static const std::vector<endpoint_slice_v4> slices = [] {
    std::vector<endpoint_slice_v4> out;
    for (int n = 0; n < 1000; ++n) out.push_back(make_slice(n, 100));
    return out;
  }();
  return slices;
}

void BM_cache_from_scratch(benchmark::State& state) {
  const auto& slices = scratch_slices();
  double bytes = 0, count = 0;
  for (auto _ : state) {
    endpoint_cache_v4 cache;
    for (const auto& s : slices) benchmark::DoNotOptimize(cache.update(s));
    benchmark::DoNotOptimize(cache.checkout());
    bytes = static_cast<double>(cache.memory_bytes());
    count = static_cast<double>(cache.endpoint_count());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 100000);
  state.counters["endpoints"] = count;
  state.counters["bytes_per_endpoint"] = bytes / count;
}
BENCHMARK(BM_cache_from_scratch)->Unit(benchmark::kMillisecond);

void BM_merge_slices(benchmark::State& state) {
  const auto& slices = scratch_slices();
  for (auto _ : state) benchmark::DoNotOptimize(merge_slices<ipv4>(slices));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 100000);
}
BENCHMARK(BM_merge_slices)->Unit(benchmark::kMillisecond);

// N one-endpoint slices of one service: every slice carries 10.0.0.1:8080 (`shared`, the worst
// case for duplicates: one key with N copies) or its own address (`distinct`, the reference).
// Copies differ in readiness and node, so the winner is decided by the full duplicate rule.
std::vector<endpoint_slice_v4> one_key_slices(std::int64_t n, bool shared) {
  std::vector<endpoint_slice_v4> out;
  out.reserve(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) {
    endpoint_slice_v4 s;
    s.metadata.namespace_ = "default";
    s.metadata.name = "svc-" + std::to_string(k);
    s.metadata.labels.emplace(std::string(well_known::service_name_label), "svc");
    endpoint_port p;
    p.name = "http";
    p.protocol = "TCP";
    p.port = 8080;
    s.ports.push_back(p);
    endpoint_v4 e;
    e.addresses.push_back(ipv4_address::from_uint(0x0a000001U + (shared ? 0U : static_cast<std::uint32_t>(k))));
    e.conditions = endpoint_conditions{k % 7 != 0, true, false};
    e.node_name = "node-" + std::to_string(k % 1000);
    s.endpoints.push_back(std::move(e));
    out.push_back(std::move(s));
  }
  return out;
}

// BM_cache_one_key/<shared>/<N>: a new cache fed the N slices in order (the names sort in
// another order than they arrive), one checkout, then every slice's endpoint flips readiness
// (N more events) and a second checkout. Time per run; items = events.
void BM_cache_one_key(benchmark::State& state) {
  const bool shared = state.range(0) == 1;
  const auto slices = one_key_slices(state.range(1), shared);
  auto flipped = slices;
  for (auto& s : flipped) s.endpoints[0].conditions.ready = !*s.endpoints[0].conditions.ready;
  std::size_t endpoints = 0;
  for (auto _ : state) {
    endpoint_cache_v4 cache;
    for (const auto& s : slices) benchmark::DoNotOptimize(cache.update(s));
    benchmark::DoNotOptimize(cache.checkout());
    for (const auto& s : flipped) benchmark::DoNotOptimize(cache.update(s));
    benchmark::DoNotOptimize(cache.checkout());
    endpoints = cache.endpoint_count();
  }
  state.SetLabel(shared ? "one ip:port in every slice" : "distinct endpoints");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2 * state.range(1));
  state.counters["endpoints"] = static_cast<double>(endpoints);
}
// Shared and distinct alternate at each size, so that each pair runs side by side.
BENCHMARK(BM_cache_one_key)
    ->Apply([](benchmark::internal::Benchmark* b) {
      for (const std::int64_t n : {1000, 10000, 100000})
        for (const std::int64_t shared : {0, 1}) b->Args({shared, n});
    })
    ->ArgNames({"shared", "slices"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
