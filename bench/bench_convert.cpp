// SPDX-License-Identifier: Apache-2.0
// Speed of convert.hpp: pods to a desired state, and pods to a plan (the conversion, then reconcile).
//
// The pods are docs/scenarios.md "The world"'s pods 0..N-1 (name pod-<i>, namespace default, label
// app=web, its uid, node node-<i mod 100>, Running, Ready, one container port http:80, podIP and
// podIPs), each written as the API server's JSON and decoded with decode_pod once, before timing;
// the Service is the world's (selector app=web, port http 80 -> 80) and the nodes node-0..99
// (zones zone-a/b/c).
// - BM_PodsToPlan/<strategy>/<N>: desired_state_from_pods<ipv4> (pods kept, their strings copied)
//   and then reconcile() of that state handed over, from no slice. The time is the sum of both
//   parts (manual timing of each, nothing else: destroying the plan is not timed); counters
//   `convert_ns`, `reconcile_ns` and `total_ns` are per pod (wall clock), `convert_cpu_ns`,
//   `reconcile_cpu_ns` and `total_cpu_ns` the same in this thread's CPU time, which a loaded
//   machine does not inflate.
// - BM_PodsToPlanMoved/<strategy>/<N>: the same with the pods handed over (their strings move
//   into the endpoints); the copy of the pods it consumes is not timed.
// - BM_PodsToPlanTool/<strategy>/<N>: the same-run reference, the way the tool built its desired
//   state before desired_state_from_pods: endpoints_from_pods, then a std::map from a sorted port
//   key to the group, looked up for every endpoint.
// - BM_EndpointsFromPods/<N>: endpoints_from_pods<ipv4> alone, per pod in the counters
//   `ns_per_pod` (wall clock) and `cpu_ns_per_pod`.
// - BM_PodsFloor/<N>: the same-run floor of any conversion into epslice's types: per pod, only
//   what every endpoint built from it holds: its first IP parsed, a new targetRef with kind,
//   namespace, name and uid copied from the pod, and its node name, into a reserved vector (no
//   selection, readiness, node lookup or port groups). Counters as BM_EndpointsFromPods.
#include <epslice/convert.hpp>
#include <epslice/json.hpp>
#include <epslice/reconcile.hpp>

#include <benchmark/benchmark.h>

#include "../tests/world_fixture.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using namespace epslice;
using clock_type = std::chrono::steady_clock;

// This thread's CPU time in seconds (0 where the clock is missing): unlike the wall-clock time, it
// does not count the time the thread waits for a core on a loaded machine.
double thread_cpu_seconds() {
#ifdef CLOCK_THREAD_CPUTIME_ID
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
#else
  return 0;
#endif
}

// Pod i of the world as the API server returns it (the fields a controller's cache holds that
// endpoint derivation reads, and a few it does not).
std::string pod_json(int i) {
  const std::string ip = epslice_test::pod_ip(i);
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-)" + std::to_string(i) +
         R"(","namespace":"default","uid":")" + epslice_test::pod_uid(i) +
         R"(","resourceVersion":"1000","creationTimestamp":"2024-01-01T00:00:00Z","labels":{"app":"web"}},)"
         R"("spec":{"nodeName":"node-)" + std::to_string(i % 100) +
         R"(","containers":[{"name":"web","image":"nginx:1.25","ports":[{"name":"http","containerPort":80,"protocol":"TCP"}]}]},)"
         R"("status":{"phase":"Running","podIP":")" + ip + R"(","podIPs":[{"ip":")" + ip +
         R"("}],"conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"}]}})";
}

const std::vector<pod>& world_pods(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<std::vector<pod>>> cache;
  auto& slot = cache[n];
  if (!slot) {
    slot = std::make_unique<std::vector<pod>>();
    slot->reserve(n);
    for (std::size_t i = 0; i < n; ++i) slot->push_back(decode_pod(nlohmann::json::parse(pod_json(static_cast<int>(i)))));
  }
  return *slot;
}

service world_service() {
  service s;
  s.metadata.name = "svc";
  s.metadata.namespace_ = "default";
  s.metadata.uid = "11111111-2222-4333-8444-555555555555";
  s.cluster_ip = "10.96.0.10";
  s.ip_families = {"IPv4"};
  s.selector = string_map{{"app", "web"}};
  service_port p;
  p.name = "http";
  p.port = 80;
  p.target_port = int_or_string{std::int32_t{80}};
  s.ports.push_back(p);
  return s;
}

std::vector<node> world_nodes() {
  std::vector<node> out;
  for (int k = 0; k < 100; ++k) {
    node n;
    n.metadata.name = "node-" + std::to_string(k);
    n.metadata.labels.emplace(std::string(well_known::zone_label), "zone-" + std::string(1, static_cast<char>('a' + k % 3)));
    n.ready = true;
    n.allocatable_cpu_millis = 4000;
    out.push_back(std::move(n));
  }
  return out;
}

// The tool's former way: endpoints_from_pods, then groups keyed by the sorted port tuples.
desired_state<ipv4> tool_desired(const service& svc, const std::vector<pod>& pods, const std::vector<node>& nodes) {
  using port_key = std::vector<std::tuple<std::optional<std::string>, std::optional<std::int32_t>,
                                          std::optional<std::string>, std::optional<std::string>>>;
  desired_state<ipv4> st;
  st.service = service_identity_of(svc);
  auto derived = endpoints_from_pods<ipv4>(svc, pods, nodes);
  std::map<port_key, std::size_t> index;
  const auto group_for = [&](const std::vector<endpoint_port>& ports) -> endpoint_group<ipv4>& {
    port_key key;
    for (const auto& p : ports) key.emplace_back(p.name, p.port, p.protocol, p.app_protocol);
    std::sort(key.begin(), key.end());
    auto [it, inserted] = index.try_emplace(std::move(key), st.groups.size());
    if (inserted) {
      st.groups.emplace_back();
      st.groups.back().ports.assign(ports.begin(), ports.end());
      st.groups.back().ports.set_empty_not_nil();
    }
    return st.groups[it->second];
  };
  for (auto& e : derived.endpoints) group_for(derived.ports_of(e)).endpoints.push_back(std::move(e.endpoint));
  for (auto& ports : derived.empty_port_groups) (void)group_for(ports);
  return st;
}

enum class pods_path { copied, moved, tool };

void run_pods_to_plan(benchmark::State& state, pods_path path, reconcile_strategy strategy, std::size_t n) {
  const std::vector<pod>& pods = world_pods(n);
  const service svc = world_service();
  const std::vector<node> nodes = world_nodes();
  reconcile_options o;
  o.strategy = strategy;
  const std::vector<endpoint_slice_v4> none;
  double convert_s = 0, reconcile_s = 0, convert_cpu = 0, reconcile_cpu = 0;
  std::size_t endpoints = 0;
  for (auto _ : state) {
    std::vector<pod> handed;
    if (path == pods_path::moved) handed = pods;  // not timed (manual timing below)
    const double c0 = thread_cpu_seconds();
    const auto t0 = clock_type::now();
    desired_state<ipv4> d = path == pods_path::copied  ? desired_state_from_pods<ipv4>(svc, pods, nodes)
                            : path == pods_path::moved ? desired_state_from_pods<ipv4>(svc, std::move(handed), nodes)
                                                       : tool_desired(svc, pods, nodes);
    const auto t1 = clock_type::now();
    const double c1 = thread_cpu_seconds();  // a system call: left out of the wall-clock spans
    const auto t1b = clock_type::now();
    auto plan = reconcile(std::move(d), none, o);
    const auto t2 = clock_type::now();
    const double c2 = thread_cpu_seconds();
    convert_cpu += c1 - c0;
    reconcile_cpu += c2 - c1;
    const double c = std::chrono::duration<double>(t1 - t0).count();
    const double r = std::chrono::duration<double>(t2 - t1b).count();
    convert_s += c;
    reconcile_s += r;
    state.SetIterationTime(c + r);
    endpoints = plan.stats.endpoints_written;
    benchmark::DoNotOptimize(plan);
  }
  const double per_pod = 1e9 / static_cast<double>(state.iterations()) / static_cast<double>(n);
  state.counters["convert_ns"] = convert_s * per_pod;
  state.counters["reconcile_ns"] = reconcile_s * per_pod;
  state.counters["total_ns"] = (convert_s + reconcile_s) * per_pod;
  state.counters["convert_cpu_ns"] = convert_cpu * per_pod;
  state.counters["reconcile_cpu_ns"] = reconcile_cpu * per_pod;
  state.counters["total_cpu_ns"] = (convert_cpu + reconcile_cpu) * per_pod;
  state.counters["endpoints"] = static_cast<double>(endpoints);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

// Times `make` (which returns what it builds from the pods, destroyed untimed) per pod, in the
// counters `ns_per_pod` (wall clock) and `cpu_ns_per_pod`.
template <class Make>
void run_per_pod(benchmark::State& state, std::size_t n, Make make) {
  double total_s = 0, total_cpu = 0;
  for (auto _ : state) {
    const double c0 = thread_cpu_seconds();
    const auto t0 = clock_type::now();
    auto r = make();
    const double t = std::chrono::duration<double>(clock_type::now() - t0).count();
    total_cpu += thread_cpu_seconds() - c0;
    total_s += t;
    state.SetIterationTime(t);
    benchmark::DoNotOptimize(r);
  }
  state.counters["ns_per_pod"] = total_s * 1e9 / static_cast<double>(state.iterations()) / static_cast<double>(n);
  state.counters["cpu_ns_per_pod"] = total_cpu * 1e9 / static_cast<double>(state.iterations()) / static_cast<double>(n);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void run_endpoints_from_pods(benchmark::State& state, std::size_t n) {
  const std::vector<pod>& pods = world_pods(n);
  const service svc = world_service();
  const std::vector<node> nodes = world_nodes();
  run_per_pod(state, n, [&] { return endpoints_from_pods<ipv4>(svc, pods, nodes); });
}

// See BM_PodsFloor above.
void run_pods_floor(benchmark::State& state, std::size_t n) {
  const std::vector<pod>& pods = world_pods(n);
  run_per_pod(state, n, [&] {
    std::vector<endpoint_v4> out;
    out.reserve(pods.size());
    for (const pod& p : pods) {
      endpoint_v4& e = out.emplace_back();
      if (const auto a = ipv4::parse(p.pod_ips.front())) e.addresses.push_back(*a);
      object_reference& r = e.target_ref.emplace();
      r.kind = "Pod";
      r.namespace_ = p.metadata.namespace_;
      r.name = p.metadata.name;
      r.uid = p.metadata.uid;
      e.node_name.emplace(p.node_name);
    }
    return out;
  });
}

}  // namespace

// Registered by size, so that the paths of one size run side by side.
int main(int argc, char** argv) {
  for (const std::size_t n : {std::size_t{1000}, std::size_t{10000}, std::size_t{100000}}) {
    for (const auto strategy : {reconcile_strategy::kubernetes, reconcile_strategy::minimal}) {
      const std::string tail = std::string("/") + (strategy == reconcile_strategy::kubernetes ? "kubernetes" : "minimal") +
                               "/" + std::to_string(n);
      const std::pair<const char*, pods_path> paths[] = {
          {"BM_PodsToPlan", pods_path::copied}, {"BM_PodsToPlanMoved", pods_path::moved}, {"BM_PodsToPlanTool", pods_path::tool}};
      for (const auto& [name, path] : paths)
        benchmark::RegisterBenchmark((name + tail).c_str(), [path = path, strategy, n](benchmark::State& st) {
          run_pods_to_plan(st, path, strategy, n);
        })->UseManualTime()->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(("BM_EndpointsFromPods/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& st) { run_endpoints_from_pods(st, n); })
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_PodsFloor/" + std::to_string(n)).c_str(),
                                 [n](benchmark::State& st) { run_pods_floor(st, n); })
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
