// SPDX-License-Identifier: Apache-2.0
// Tests of simulate.hpp: the scenario world, the cost model and the simulator's counters.
#include <catch2/catch.hpp>

#include <epslice/convert.hpp>
#include <epslice/json.hpp>
#include <epslice/simulate.hpp>
#include <epslice/sizes.hpp>

#include <string>
#include <vector>

using namespace epslice;
using namespace std::literals;

namespace {

service scenario_service_view() {
  service svc;
  svc.metadata.name = "svc";
  svc.metadata.namespace_ = "default";
  svc.cluster_ip = "10.96.0.10";
  svc.ports.push_back(service_port{"http", "TCP", 80, 80, std::nullopt, 0});
  return svc;
}

// The slices of pods [first, last) as the controller writes them from scratch.
std::vector<endpoint_slice_v4> scenario_slices(std::uint64_t first, std::uint64_t last) {
  desired_state<ipv4> d = scenario_service();
  for (std::uint64_t i = first; i < last; ++i) d.groups[0].endpoints.push_back(scenario_endpoint(i));
  return epslice::apply(reconcile(d, {}, {}), {});
}

// The legacy Endpoints object of pods [first, last), untruncated, built by hand: one subset,
// addresses in IP text order.
endpoints hand_endpoints(std::uint64_t first, std::uint64_t last) {
  endpoints ep;
  ep.metadata.name = "svc";
  ep.metadata.namespace_ = "default";
  if (first == last) return ep;
  endpoint_subset sub;
  for (std::uint64_t i = first; i < last; ++i) {
    const auto e = scenario_endpoint(i);
    endpoint_address a;
    a.ip = to_string(e.addresses[0]);
    a.node_name = e.node_name;
    a.target_ref = e.target_ref;
    sub.addresses.push_back(a);
  }
  std::sort(sub.addresses.begin(), sub.addresses.end(),
            [](const endpoint_address& a, const endpoint_address& b) { return a.ip < b.ip; });
  sub.ports.push_back(endpoints_port{"http", 80, "TCP", std::nullopt, {}});
  ep.subsets.push_back(sub);
  return ep;
}

simulation_options sized(scenario_kind kind, std::size_t n, simulation_layout layout, std::size_t watchers) {
  simulation_options o;
  o.scenario = kind;
  o.endpoints = n;
  o.layout = layout;
  o.watchers = watchers;
  o.reconcile.trigger_time = "2024-01-01T00:00:00Z";
  return o;
}

}  // namespace

TEST_CASE("simulate: the Endpoints model is the projection, byte for byte", "[simulate]") {
  const service svc = scenario_service_view();
  for (std::uint64_t n : {0u, 1u, 2u, 100u, 1000u}) {
    INFO(n);
    const auto slices = scenario_slices(0, n);
    const auto projected = slices_to_endpoints(slices, {}, &svc);
    REQUIRE_FALSE(projected.truncated);
    CHECK(encode(projected.object) == encode(hand_endpoints(0, n)));
    detail::endpoints_object_model model(scenario_service(), false);
    for (std::uint64_t i = 0; i < n; ++i) model.add(i, scenario_endpoint(i));
    CHECK(model.sizes() == sizes_of(projected.object));
    CHECK(model.kept() == n);
  }
  // Past 1000: the untruncated object by hand, the truncated one from the projection.
  const std::uint64_t n = 1500;
  detail::endpoints_object_model full(scenario_service(), false), cut(scenario_service(), true);
  for (std::uint64_t i = 0; i < n + 10; ++i) {
    full.add(i, scenario_endpoint(i));
    cut.add(i, scenario_endpoint(i));
  }
  for (std::uint64_t i = 0; i < 10; ++i) {  // removals keep the sums exact
    full.remove(i);
    cut.remove(i);
  }
  CHECK(full.sizes() == sizes_of(hand_endpoints(10, n + 10)));
  const auto projected = slices_to_endpoints(scenario_slices(10, n + 10), {}, &svc);
  REQUIRE(projected.truncated);
  CHECK(cut.truncated());
  CHECK(cut.kept() == 1000);
  CHECK(cut.sizes() == sizes_of(projected.object));
}

TEST_CASE("simulate: scenarios.md sizes and the etcd limit", "[simulate]") {
  auto o = sized(scenario_kind::create, 100, simulation_layout::endpoints, 1);
  CHECK(simulate(o).max_object_json == 15137);
  o.endpoints = 1000;
  CHECK(simulate(o).max_object_json == 151517);
  o.endpoints = 10000;
  const auto r10k = simulate(o);
  CHECK(r10k.max_object_json == 1531181);
  CHECK(r10k.writes_over_etcd_limit == 0);  // etcd stores protobuf: about 0.94 MB here
  o.endpoints = 20000;
  const auto r20k = simulate(o);
  CHECK(r20k.max_object_protobuf > etcd_request_limit);
  CHECK(r20k.writes_over_etcd_limit == 1);
  o.truncate = true;
  const auto t20k = simulate(o);
  CHECK(t20k.writes_over_etcd_limit == 0);
  CHECK(t20k.endpoints_written == 1000);
  CHECK(t20k.max_object_json < 160000);

  auto s = sized(scenario_kind::create, 100, simulation_layout::slices, 1);
  const auto r = simulate(s);
  CHECK(r.creates == 1);
  // The request body has generateName and no name; the object delivered has its name `svc-00000`.
  CHECK(r.bytes_written_json == 24363 - std::string_view(R"("name":"svc-00000",)").size());
  CHECK(r.bytes_delivered_json == json_watch_event_size(watch_event_type::added, 24363));
}

TEST_CASE("simulate: writes, events and bytes follow the plans (reference replay)", "[simulate]") {
  // Replays S4 (scale-down) with the minimal strategy, which deletes slices, and counts what every
  // watcher receives from the plans directly.
  const std::size_t watchers = 7;
  auto o = sized(scenario_kind::scale_down, 300, simulation_layout::slices, watchers);
  o.batch = 10;
  o.reconcile.strategy = reconcile_strategy::minimal;
  o.record_steps = true;
  const auto r = simulate(o);
  REQUIRE(r.deletes > 0);

  desired_state<ipv4> d = scenario_service();
  std::vector<std::uint64_t> live;
  for (std::uint64_t i = 0; i < 300; ++i) live.push_back(i);
  const auto desired_of = [&] {
    d.groups[0].endpoints.clear();
    for (auto i : live) d.groups[0].endpoints.push_back(scenario_endpoint(i));
  };
  desired_of();
  slice_namer namer;
  auto slices = epslice::apply(reconcile(d, {}, o.reconcile), {}, namer);
  splitmix64 rng{42};
  std::uint64_t written_json = 0, delivered_json = 0, delivered_pb = 0, events = 0;
  std::size_t steps = 0;
  while (live.size() > 30) {
    for (int k = 0; k < 10; ++k) live.erase(live.begin() + static_cast<std::ptrdiff_t>(rng.below(live.size())));
    desired_of();
    const auto plan = reconcile(d, slices, o.reconcile);
    auto next = epslice::apply(plan, slices, namer);
    for (const auto& c : plan.create) {
      written_json += json_size(c);
      const auto& named = *std::find_if(next.begin(), next.end(), [&](const endpoint_slice_v4& s) {
        return std::none_of(slices.begin(), slices.end(),
                            [&](const endpoint_slice_v4& t) { return t.metadata.name == s.metadata.name; });
      });
      delivered_json += watchers * json_watch_event_size(watch_event_type::added, json_size(named));
      delivered_pb += watchers * protobuf_watch_event_size(watch_event_type::added, protobuf_size(named));
    }
    for (const auto& u : plan.update) {
      written_json += json_size(u);
      delivered_json += watchers * json_watch_event_size(watch_event_type::modified, json_size(u));
      delivered_pb += watchers * protobuf_watch_event_size(watch_event_type::modified, protobuf_size(u));
    }
    for (const auto& x : plan.remove) {
      delivered_json += watchers * json_watch_event_size(watch_event_type::deleted, json_size(x));
      delivered_pb += watchers * protobuf_watch_event_size(watch_event_type::deleted, protobuf_size(x));
    }
    events += watchers * plan.stats.writes;
    slices = std::move(next);
    ++steps;
  }
  CHECK(r.reconciles == steps);
  CHECK(r.trace.size() == steps);
  CHECK(r.watch_events == events);
  CHECK(r.bytes_written_json == written_json);
  CHECK(r.bytes_delivered_json == delivered_json);
  CHECK(r.bytes_delivered_protobuf == delivered_pb);
  CHECK(r.endpoint_changes == 270);
  CHECK(r.trace.back().slices == r.final_slices);
  std::uint64_t traced = 0;
  for (const auto& s : r.trace) traced += s.bytes_delivered_json;
  CHECK(traced == r.bytes_delivered_json);
}

TEST_CASE("simulate: the endpoints layout writes the whole object each change", "[simulate]") {
  auto o = sized(scenario_kind::rolling_update, 20, simulation_layout::endpoints, 10);
  o.steps = 1;
  const auto one = simulate(o);
  CHECK(one.creates == 0);
  CHECK(one.updates == 1);
  CHECK(one.watch_events == 10);
  const auto after = sizes_of(hand_endpoints(1, 21));
  CHECK(one.bytes_written_json == after.json);
  CHECK(one.bytes_written_protobuf == after.protobuf);
  CHECK(one.bytes_delivered_json == 10 * json_watch_event_size(watch_event_type::modified, after.json));
  CHECK(one.bytes_delivered_protobuf == 10 * protobuf_watch_event_size(watch_event_type::modified, after.protobuf));
  CHECK(one.endpoint_changes == 2);
  CHECK(one.final_slices == 1);
  CHECK(one.final_fullness == 1.0);

  // Both strategies see the same single object.
  o.steps.reset();
  const auto k = simulate(o);
  o.reconcile.strategy = reconcile_strategy::minimal;
  const auto m = simulate(o);
  CHECK(k.writes == 20);
  CHECK(m.bytes_delivered_json == k.bytes_delivered_json);

  // Scale-up from nothing: the first write creates the object.
  auto up = sized(scenario_kind::scale_up, 30, simulation_layout::endpoints, 1);
  const auto u = simulate(up);
  CHECK(u.creates == 1);
  CHECK(u.updates == 2);
  CHECK(u.max_object_json == json_size(hand_endpoints(0, 30)));
}

TEST_CASE("simulate: zones, watchers and the by-zone layout", "[simulate]") {
  CHECK(scenario_zone_name(0) == "zone-a");
  CHECK(scenario_zone_name(25) == "zone-z");
  CHECK(scenario_zone_name(26) == "zone-26");
  CHECK(scenario_endpoint(7, 3) == scenario_endpoint(7));
  CHECK(scenario_endpoint(7, 5).zone == "zone-c");
  CHECK(scenario_endpoint(107, 5).zone == "zone-c");

  auto o = sized(scenario_kind::churn, 600, simulation_layout::slices, 3000);
  o.steps = 5;
  o.zones = 0;
  CHECK_THROWS_AS(simulate(o), epslice::error);
  o.zones = 3;
  const auto packed = simulate(o);
  CHECK(packed.watch_events == 3000 * packed.writes);

  o.layout = simulation_layout::by_zone;
  const auto zoned = simulate(o);
  // Each write reaches the watchers of one zone only, about a third of them.
  CHECK(zoned.watch_events < 3000 * zoned.writes);
  CHECK(zoned.watch_events >= 1000 * zoned.writes);
  CHECK(zoned.final_endpoints == packed.final_endpoints);
}
