// SPDX-License-Identifier: Apache-2.0
// Tests of simulate.hpp: the scenario world, the cost model and the simulator's counters.
#include <catch2/catch.hpp>

#include <epslice/convert.hpp>
#include <epslice/json.hpp>
#include <epslice/simulate.hpp>
#include <epslice/sizes.hpp>

#include <cstddef>
#include <map>
#include <optional>
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

simulation_options sized(scenario_kind kind, std::size_t n, simulation_layout layout, std::size_t watchers,
                         measured_form form = measured_form::stored) {
  simulation_options o;
  o.scenario = kind;
  o.endpoints = n;
  o.layout = layout;
  o.watchers = watchers;
  o.form = form;
  o.reconcile.trigger_time = "2024-01-01T00:00:00Z";
  return o;
}

// The fields the simulated API server sets on the object named `name`.
server_fields server_fields_of(const std::string& name, std::uint64_t resource_version, std::int64_t generation,
                               std::string fields_v1) {
  server_fields f;
  f.uid = scenario_uid(name);
  f.resource_version = resource_version;
  f.generation = generation;
  f.fields_v1 = std::move(fields_v1);
  return f;
}

// A slice as the API server stores it, built in full.
endpoint_slice_v4 stored_slice(const endpoint_slice_v4& s, std::uint64_t resource_version, std::int64_t generation) {
  return stored_object(s, server_fields_of(s.metadata.name, resource_version, generation, controller_fields_v1(s)));
}

// Both sizes of an object from its full encodings (not from the sizers).
template <class T>
object_sizes encoded_sizes(const T& x) {
  return {encode(x).size(), protobuf_encode(x).size()};
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
    // Stored: the projection with the server's fields, built and encoded in full.
    for (std::uint64_t rv : {scenario_first_resource_version, std::uint64_t{99999999999}}) {
      const auto stored = stored_object(projected.object, server_fields_of("svc", rv, 0, controller_fields_v1(projected.object)));
      CHECK(model.sizes(measured_form::stored, rv) == encoded_sizes(stored));
    }
  }
  // An Endpoints object with no addresses has no subsets, so its controller owns no field and the
  // server records no managedFields entry.
  CHECK(controller_fields_v1(hand_endpoints(0, 0)).empty());
  CHECK(controller_fields_v1(hand_endpoints(0, 1)) == R"({"f:subsets":{}})");
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
  const auto stored = stored_object(projected.object, server_fields_of("svc", 1000000123, 0, controller_fields_v1(projected.object)));
  CHECK(controller_fields_v1(projected.object) ==
        R"({"f:metadata":{"f:annotations":{".":{},"f:endpoints.kubernetes.io/over-capacity":{}}},"f:subsets":{}})");
  CHECK(cut.sizes(measured_form::stored, 1000000123) == encoded_sizes(stored));
  CHECK(full.sizes(measured_form::stored, 1000000123) ==
        encoded_sizes(stored_object(hand_endpoints(10, n + 10), server_fields_of("svc", 1000000123, 0, R"({"f:subsets":{}})"))));
}

TEST_CASE("simulate: docs/scenarios.md sizes and the etcd limit", "[simulate]") {
  // docs/scenarios.md's figures are those of the objects as the controllers write them.
  auto o = sized(scenario_kind::create, 100, simulation_layout::endpoints, 1, measured_form::bare);
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

  // A created slice is measured with the name the API server gives it (`svc-00000`): 24,363 bytes
  // written and delivered.
  auto s = sized(scenario_kind::create, 100, simulation_layout::slices, 1, measured_form::bare);
  const auto r = simulate(s);
  CHECK(r.creates == 1);
  CHECK(r.bytes_written_json == 24363);
  CHECK(r.bytes_delivered_json == json_watch_event_size(watch_event_type::added, 24363));
}

TEST_CASE("simulate: the stored form of a created slice, worked out by hand", "[simulate]") {
  desired_state<ipv4> d = scenario_service();
  for (std::uint64_t i = 0; i < 100; ++i) d.groups[0].endpoints.push_back(scenario_endpoint(i));
  reconcile_options ro;
  ro.trigger_time = "2024-01-01T00:00:00Z";  // as simulate's world sets it
  const auto slices = epslice::apply(reconcile(d, {}, ro), {});
  REQUIRE(slices.size() == 1);
  const auto& slice = slices[0];
  REQUIRE(slice.metadata.name == "svc-00000");
  // The controller's field set of issue #15 (atomic endpoints and ports, so it does not grow).
  CHECK(controller_fields_v1(slice) ==
        R"({"f:addressType":{},"f:endpoints":{},"f:metadata":{"f:annotations":{".":{},"f:endpoints.kubernetes.io/last-change-trigger-time":{}},)"
        R"("f:generateName":{},"f:labels":{".":{},"f:endpointslice.kubernetes.io/managed-by":{},"f:kubernetes.io/service-name":{}},)"
        R"("f:ownerReferences":{".":{},"k:{\"uid\":\"11111111-2222-4333-8444-555555555555\"}":{}}},"f:ports":{}})");
  CHECK(controller_fields_v1(slice).size() == 353);
  const std::string uid = scenario_uid("svc-00000");
  CHECK(uid.size() == 36);
  CHECK(uid.rfind("00000000-0000-4000-8000-", 0) == 0);
  CHECK(uid != scenario_uid("svc-00001"));

  // JSON: the 24,363 bytes of the named slice, and
  //   ,"uid":"<36>"                                    45
  //   ,"resourceVersion":"1000000000"                  31   (the run's first write)
  //   ,"generation":1                                  15
  //   ,"creationTimestamp":"2024-01-01T00:00:00Z"      43
  //   ,"managedFields":[{"manager":"kube-controller-manager","operation":"Update",
  //     "apiVersion":"discovery.k8s.io/v1","time":"2024-01-01T00:00:00Z","fieldsType":"FieldsV1",
  //     "fieldsV1":<353 bytes>}]                       17 + 161 + 353 = 531
  // = 24,363 + 665 = 25,028.
  const auto stored = stored_slice(slice, scenario_first_resource_version, 1);
  CHECK(encode(stored).size() == 25028);
  CHECK(json_size(stored) == 25028);
  // Protobuf: uid 36 and resourceVersion 10 more bytes of string, generation 1 the same one byte
  // of varint as 0, creationTimestamp 8 bytes of Timestamp, and the managedFields entry: manager
  // 25, operation 8, apiVersion 21, time 10, fieldsType 10, fieldsV1 1 + 2 + (1 + 2 + 353) = 359,
  // subresource 2: 435 bytes behind 2 of tag and 2 of length. The metadata (and the message) keep
  // their lengths' widths.
  const std::size_t added = 36 + 10 + 0 + 8 + (2 + 2 + 435);
  CHECK(protobuf_size(stored) == protobuf_size(slice) + added);
  CHECK(protobuf_encode(stored).size() == protobuf_size(stored));

  auto o = sized(scenario_kind::create, 100, simulation_layout::slices, 2);
  const auto r = simulate(o);
  CHECK(r.bytes_written_json == 25028);
  CHECK(r.bytes_written_protobuf == protobuf_size(slice) + added);
  CHECK(r.bytes_delivered_json == 2 * json_watch_event_size(watch_event_type::added, 25028));
  CHECK(r.max_object_json == 25028);
}

TEST_CASE("simulate: stored sizes by arithmetic equal the stored objects encoded in full", "[simulate]") {
  // Across the widths that change: resourceVersion 10 -> 11 digits, generation 127 -> 128 (a
  // one- then two-byte varint), metadata and message lengths across 128 and 16,384 bytes.
  detail::slice_additions_cache additions;
  for (std::uint64_t n : {0u, 1u, 2u, 70u, 1000u}) {
    desired_state<ipv4> d = scenario_service();
    for (std::uint64_t i = 0; i < n; ++i) d.groups[0].endpoints.push_back(scenario_endpoint(i));
    reconcile_options ro;
    ro.max_endpoints_per_slice = 1000;
    ro.trigger_time = "2024-01-01T00:00:00Z";
    for (bool annotated : {true, false}) {
      ro.trigger_time = annotated ? std::optional<std::string>("2024-01-01T00:00:00Z") : std::nullopt;
      const auto slices = epslice::apply(reconcile(d, {}, ro), {});
      REQUIRE(slices.size() == 1);
      const auto& s = slices[0];
      detail::pb::sizer meta;
      detail::pb::object_meta_fields(meta, s.metadata);
      for (std::uint64_t rv : {std::uint64_t{1000000000}, std::uint64_t{9999999999}, std::uint64_t{10000000000}})
        for (std::int64_t generation : {1, 127, 128, 20000}) {
          INFO(n << " endpoints, rv " << rv << ", generation " << generation << ", annotated " << annotated);
          const auto by_arithmetic = detail::stored_sizes(json_size(s), protobuf_message_size(s), meta.n, additions.get(s),
                                                          sent_api_version(s), sent_kind(s), rv, generation);
          CHECK(by_arithmetic == encoded_sizes(stored_slice(s, rv, generation)));
        }
    }
  }
}

TEST_CASE("simulate: writes, events and bytes follow the plans (reference replay)", "[simulate]") {
  // Replays S4 (scale-down) with the minimal strategy, which deletes slices, and counts what every
  // watcher receives from the plans directly, each object built and encoded in full: as the
  // controller writes it (named when created), and as the API server stores it, with every write
  // taking the next resourceVersion and a slice's generation counting its writes.
  for (const auto form : {measured_form::bare, measured_form::stored}) {
    INFO(to_string(form));
    const std::size_t watchers = 7;
    auto o = sized(scenario_kind::scale_down, 300, simulation_layout::slices, watchers, form);
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
    std::uint64_t rv = scenario_first_resource_version + slices.size();
    std::map<std::string, std::int64_t> generation;
    for (const auto& x : slices) generation[x.metadata.name] = 1;
    const auto measured = [&](const endpoint_slice_v4& x, std::uint64_t version) {
      return form == measured_form::bare ? encoded_sizes(x) : encoded_sizes(stored_slice(x, version, generation[x.metadata.name]));
    };
    splitmix64 rng{42};
    std::uint64_t written_json = 0, written_pb = 0, delivered_json = 0, delivered_pb = 0, events = 0;
    std::size_t steps = 0;
    while (live.size() > 30) {
      for (int k = 0; k < 10; ++k) live.erase(live.begin() + static_cast<std::ptrdiff_t>(rng.below(live.size())));
      desired_of();
      const auto plan = reconcile(d, slices, o.reconcile);
      auto next = epslice::apply(plan, slices, namer);
      for (std::size_t c = 0; c < plan.create.size(); ++c) {
        // apply() names the creates in order, each the first name not taken.
        const auto& named = *std::find_if(next.begin(), next.end(), [&](const endpoint_slice_v4& x) {
          return std::none_of(slices.begin(), slices.end(), [&](const endpoint_slice_v4& t) { return t.metadata.name == x.metadata.name; }) &&
                 !generation.count(x.metadata.name);
        });
        generation[named.metadata.name] = 1;
        const auto sz = measured(named, rv++);
        written_json += sz.json;
        written_pb += sz.protobuf;
        delivered_json += watchers * json_watch_event_size(watch_event_type::added, sz.json);
        delivered_pb += watchers * protobuf_watch_event_size(watch_event_type::added, sz.protobuf);
      }
      for (const auto& u : plan.update) {
        ++generation[u.metadata.name];
        const auto sz = measured(u, rv++);
        written_json += sz.json;
        written_pb += sz.protobuf;
        delivered_json += watchers * json_watch_event_size(watch_event_type::modified, sz.json);
        delivered_pb += watchers * protobuf_watch_event_size(watch_event_type::modified, sz.protobuf);
      }
      for (const auto& x : plan.remove) {
        const auto sz = measured(x, rv++);  // the last state, with the delete's resourceVersion
        generation.erase(x.metadata.name);
        delivered_json += watchers * json_watch_event_size(watch_event_type::deleted, sz.json);
        delivered_pb += watchers * protobuf_watch_event_size(watch_event_type::deleted, sz.protobuf);
      }
      events += watchers * plan.stats.writes;
      slices = std::move(next);
      ++steps;
    }
    CHECK(r.reconciles == steps);
    CHECK(r.trace.size() == steps);
    CHECK(r.watch_events == events);
    CHECK(r.bytes_written_json == written_json);
    CHECK(r.bytes_written_protobuf == written_pb);
    CHECK(r.bytes_delivered_json == delivered_json);
    CHECK(r.bytes_delivered_protobuf == delivered_pb);
    CHECK(r.endpoint_changes == 270);
    CHECK(r.trace.back().slices == r.final_slices);
    std::uint64_t traced = 0;
    for (const auto& x : r.trace) traced += x.bytes_delivered_json;
    CHECK(traced == r.bytes_delivered_json);
  }
}

TEST_CASE("simulate: the endpoints layout writes the whole object each change", "[simulate]") {
  auto o = sized(scenario_kind::rolling_update, 20, simulation_layout::endpoints, 10, measured_form::bare);
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
  // Stored: the setup's write took resourceVersion 1000000000, this update the next one.
  o.form = measured_form::stored;
  const auto one_stored = simulate(o);
  const auto stored = encoded_sizes(
      stored_object(hand_endpoints(1, 21), server_fields_of("svc", scenario_first_resource_version + 1, 0, R"({"f:subsets":{}})")));
  CHECK(one_stored.bytes_written_json == stored.json);
  CHECK(one_stored.bytes_written_protobuf == stored.protobuf);
  CHECK(one_stored.bytes_delivered_protobuf == 10 * protobuf_watch_event_size(watch_event_type::modified, stored.protobuf));
  o.form = measured_form::bare;

  // Both strategies see the same single object.
  o.steps.reset();
  const auto k = simulate(o);
  o.reconcile.strategy = reconcile_strategy::minimal;
  const auto m = simulate(o);
  CHECK(k.writes == 20);
  CHECK(m.bytes_delivered_json == k.bytes_delivered_json);

  // Scale-up from nothing: the first write creates the object.
  auto up = sized(scenario_kind::scale_up, 30, simulation_layout::endpoints, 1, measured_form::bare);
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

TEST_CASE("simulate: the live pods agree with a list of them under random removals", "[simulate]") {
  // The Fenwick tree against the plain ordered list it replaced (whose erase cost O(n) each),
  // through growth, shrinking (removed slots dropped) and growth again.
  detail::live_pods live;
  std::vector<std::uint64_t> reference;
  splitmix64 rng{7};
  for (int round = 0; round < 30000; ++round) {
    const auto op = rng.below(10);
    const bool growing = round < 10000 || round >= 20000;
    if ((growing ? op < 5 : op < 2) || reference.empty()) {
      for (std::uint64_t k = rng.below(5) + 1; k > 0; --k) reference.push_back(live.add());
    } else if (op < 8) {
      const auto at = static_cast<std::size_t>(rng.below(reference.size()));
      REQUIRE(live.at(at) == reference[at]);
      live.remove(reference[at]);
      reference.erase(reference.begin() + static_cast<std::ptrdiff_t>(at));
    } else {
      REQUIRE(live.at(0) == reference.front());  // the oldest, as a rolling update removes it
      live.remove(reference.front());
      reference.erase(reference.begin());
    }
    REQUIRE(live.size() == reference.size());
  }
  for (std::size_t k = 0; k < reference.size(); ++k) REQUIRE(live.at(k) == reference[k]);
  std::vector<std::uint64_t> listed;
  live.for_each([&](std::uint64_t id) { listed.push_back(id); });
  CHECK(listed == reference);
  CHECK(live.alive(reference.back()));
  CHECK_FALSE(live.alive(1u << 30));
}

// ---- the churn scenarios of simulate.hpp (docs/scenarios.md) --------------------------------------------

namespace {
simulation_result run_scenario(scenario_kind kind, std::size_t n, std::size_t batch, std::optional<std::size_t> steps,
                               reconcile_strategy strategy, compaction_options compaction = {}) {
  simulation_options o;
  o.scenario = kind;
  o.endpoints = n;
  o.batch = batch;
  o.steps = steps;
  o.reconcile.strategy = strategy;
  o.reconcile.compaction = compaction;
  return simulate(o);
}
}  // namespace

TEST_CASE("simulate: splitmix64 and the scenario world", "[simulate]") {
  splitmix64 rng{42};
  const std::uint64_t first = rng.next();
  splitmix64 again{42};
  CHECK(again.next() == first);
  CHECK(splitmix64{0}.next() == 0xE220A8397B1DCDAFULL);  // the reference splitmix64 output for state 0
  const auto e = scenario_endpoint(26);
  CHECK(to_string(e.addresses.at(0)) == "10.0.0.26");
  CHECK(e.target_ref->uid == "00000000-0000-4000-8000-00000000001a");
  CHECK(e.node_name == "node-26");
  CHECK(e.zone == "zone-c");
  CHECK(to_string(scenario_endpoint(70000).addresses.at(0)) == "10.1.17.112");
}

TEST_CASE("simulate: kubernetes strategy reproduces the fixed-order table of docs/scenarios.md", "[simulate]") {
  const auto k = reconcile_strategy::kubernetes;
  struct row {
    const char* name;
    scenario_kind kind;
    std::size_t n, batch;
    std::optional<std::size_t> steps;
    std::size_t creates, updates, deletes, written, slices;
    double final_f, mean_f, min_f;
  };
  std::vector<row> rows = {
      {"S1 1000", scenario_kind::create, 1000, 0, {}, 10, 0, 0, 1000, 10, 1, 1, 1},
      {"S1 10000", scenario_kind::create, 10000, 0, {}, 100, 0, 0, 10000, 100, 1, 1, 1},
      {"S2 1-by-1", scenario_kind::rolling_update, 1000, 1, {}, 0, 1000, 0, 100000, 10, 1, 1, 1},
      {"S2 batch", scenario_kind::rolling_update, 1000, 25, {}, 0, 40, 0, 4000, 10, 1, 1, 1},
      {"S3", scenario_kind::scale_up, 1000, 10, {}, 10, 90, 0, 5500, 10, 1, 0.868, 0.100},
      {"S4", scenario_kind::scale_down, 1000, 10, 90, 0, 591, 0, 32282, 10, 0.100, 0.545, 0.100},
#ifndef EPSLICE_SANITIZE_BUILD
      {"S5", scenario_kind::churn, 10000, 0, 200, 0, 12700, 0, 1270000, 100, 1, 1, 1},
#endif
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto got = run_scenario(r.kind, r.n, r.batch, r.steps, k);
    CHECK(got.creates == r.creates);
    CHECK(got.updates == r.updates);
    CHECK(got.deletes == r.deletes);
    CHECK(got.writes == r.creates + r.updates + r.deletes);
    CHECK(got.endpoints_written == r.written);
    CHECK(got.final_slices == r.slices);
    CHECK(got.final_fullness == Approx(r.final_f).margin(0.0005));
    CHECK(got.mean_fullness == Approx(r.mean_f).margin(0.0005));
    CHECK(got.min_fullness == Approx(r.min_f).margin(0.0005));
  }
}

TEST_CASE("simulate: minimal meets the churn targets and never writes more than kubernetes", "[simulate]") {
  const auto k = reconcile_strategy::kubernetes;
  const auto m = reconcile_strategy::minimal;
  const auto batch_m = run_scenario(scenario_kind::rolling_update, 1000, 25, {}, m);
  CHECK(batch_m.writes <= 40);
  const auto s4_m = run_scenario(scenario_kind::scale_down, 1000, 10, 90, m);
  const auto s4_k = run_scenario(scenario_kind::scale_down, 1000, 10, 90, k);
  CHECK(s4_m.final_slices == 1);
  CHECK(s4_m.writes <= 440);
  CHECK(s4_m.writes < s4_k.writes);
  struct row {
    scenario_kind kind;
    std::size_t n, batch;
    std::optional<std::size_t> steps;
  };
  const std::vector<row> rows = {{scenario_kind::create, 1000, 0, {}},
                                 {scenario_kind::rolling_update, 1000, 1, {}},
                                 {scenario_kind::scale_up, 1000, 10, {}},
#ifdef EPSLICE_SANITIZE_BUILD
                                 {scenario_kind::churn, 10000, 0, 10}};
#else
                                 {scenario_kind::churn, 10000, 0, 200}};
#endif
  for (const auto& r : rows) {
    const auto a = run_scenario(r.kind, r.n, r.batch, r.steps, m);
    const auto b = run_scenario(r.kind, r.n, r.batch, r.steps, k);
    CHECK(a.writes <= b.writes);
    CHECK(a.final_endpoints == b.final_endpoints);
    if (a.writes == b.writes) CHECK(a.final_slices <= b.final_slices);
    // Slices that stay full leave compaction nothing to do.
    const auto c = run_scenario(r.kind, r.n, r.batch, r.steps, m, compaction_options::recommended());
    CHECK(c.writes == a.writes);
    CHECK(c.final_slices == a.final_slices);
  }
  // S4 with the recommended compaction: fewer writes for both strategies, and one slice at the end.
  const auto s4_mc = run_scenario(scenario_kind::scale_down, 1000, 10, 90, m, compaction_options::recommended());
  const auto s4_kc = run_scenario(scenario_kind::scale_down, 1000, 10, 90, k, compaction_options::recommended());
  CHECK(s4_mc.writes < s4_m.writes);
  CHECK(s4_mc.final_slices == 1);
  CHECK(s4_kc.writes < s4_k.writes);
  CHECK(s4_kc.final_slices == 1);
}
