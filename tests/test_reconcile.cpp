// SPDX-License-Identifier: Apache-2.0
// Tests of reconcile.hpp and slice_planner.hpp: upstream reconciler vectors, safety properties, the planner.
#include <catch2/catch.hpp>

#include <epslice/reconcile.hpp>
#include <epslice/simulate.hpp>
#include <epslice/slice_planner.hpp>
#include <epslice/topology.hpp>
#include <epslice/validation.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace epslice;

namespace {

// ---- the fixtures of upstream's reconciler_test.go (staging/src/k8s.io/endpointslice) -------------

endpoint_port fixture_port(std::int32_t port = 80) {
  endpoint_port p;
  p.name = "foo";
  p.protocol = "TCP";
  p.port = port;
  return p;
}

service_identity fixture_service() {
  service_identity s;
  s.namespace_ = "test";
  s.name = "foo";
  s.uid = "test-foo";
  s.headless = true;  // the fixture Service has an empty clusterIP
  return s;
}

// pod<n>: a valid unique IP per n (upstream's newPod writes 1.2.3.<4+n>, which is no address from n = 252
// on; the expected counts do not depend on it), node-1, no zone.
endpoint_v4 pod_endpoint(unsigned n, bool ready = true) {
  endpoint_v4 e;
  e.addresses.push_back(ipv4_address::from_uint(0x0a000000u + n));
  e.conditions = endpoint_conditions{ready, ready, false};
  e.node_name = "node-1";
  object_reference r;
  r.kind = "Pod";
  r.namespace_ = "test";
  r.name = "pod" + std::to_string(n);
  e.target_ref = r;
  return e;
}

// With no pods upstream has no port-set group at all (a group exists once a pod maps to it).
desired_state<ipv4> fixture_desired(const std::vector<unsigned>& pods, std::int32_t port = 80) {
  desired_state<ipv4> d;
  d.service = fixture_service();
  if (pods.empty()) return d;
  d.groups.emplace_back();
  d.groups[0].ports.push_back(fixture_port(port));
  for (unsigned n : pods) d.groups[0].endpoints.push_back(pod_endpoint(n));
  return d;
}

std::vector<unsigned> range(unsigned from, unsigned to, unsigned step = 1) {
  std::vector<unsigned> v;
  for (unsigned i = from; i < to; i += step) v.push_back(i);
  return v;
}

// "Existing slice built from pods": owned, fixture ports, reserved labels, endpoints as desired.
endpoint_slice_v4 fixture_slice(const std::string& name, const std::vector<unsigned>& pods) {
  endpoint_slice_v4 s;
  s.metadata.name = name;
  s.metadata.namespace_ = "test";
  s.metadata.labels = {{std::string(well_known::service_name_label), "foo"},
                       {std::string(well_known::managed_by_label), std::string(well_known::endpointslice_controller)}};
  s.metadata.owner_references.push_back(owner_reference{"v1", "Service", "foo", "test-foo", true, true, {}});
  s.ports.push_back(fixture_port());
  s.endpoints.set_empty_not_nil();
  for (unsigned n : pods) s.endpoints.push_back(pod_endpoint(n));
  return s;
}

template <class Slice>
std::multiset<std::size_t> sizes(const std::vector<Slice>& slices) {
  std::multiset<std::size_t> out;
  for (const auto& s : slices) out.insert(s.endpoints.size());
  return out;
}

reconcile_options with_strategy(reconcile_strategy s, std::size_t max = 100) {
  reconcile_options o;
  o.strategy = s;
  o.max_endpoints_per_slice = max;
  return o;
}

const reconcile_strategy both_strategies[] = {reconcile_strategy::kubernetes, reconcile_strategy::minimal};

// Two plans write the same objects, in the same order, with the same stats.
template <class F>
bool same_plan(const slice_plan<F>& a, const slice_plan<F>& b) {
  return a.create == b.create && a.update == b.update && a.remove == b.remove && a.stats == b.stats;
}

}  // namespace

// ---- options, labels, helpers ---------------------------------------------------------------------

TEST_CASE("reconcile: invalid options throw with kube-controller-manager's messages", "[reconcile]") {
  const auto d = fixture_desired({1});
  const std::vector<endpoint_slice_v4> none;
  reconcile_options o;
  o.max_endpoints_per_slice = 0;
  CHECK_THROWS_WITH(reconcile(d, none, o), "max_endpoints_per_slice: Invalid value: 0: must not be less than 1");
  o.max_endpoints_per_slice = 1001;
  CHECK_THROWS_WITH(reconcile(d, none, o), "max_endpoints_per_slice: Invalid value: 1001: must not be more than 1000");
  o.max_endpoints_per_slice = 1000;
  CHECK_NOTHROW(reconcile(d, none, o));
  o.controller_name.clear();
  CHECK_THROWS_WITH(reconcile(d, none, o), "controller_name: Required value: must not be empty");
}

TEST_CASE("reconcile: slice labels and labels-changed follow TestSetEndpointSliceLabels", "[reconcile]") {
  const std::string sn(well_known::service_name_label), mb(well_known::managed_by_label), hl(well_known::headless_label);
  const std::string ctl(well_known::endpointslice_controller);
  struct row {
    const char* name;
    string_map slice;
    string_map service;
    bool headless;
    string_map want;
    bool changed;
  };
  const std::vector<row> rows = {
      {"none/none", {}, {}, false, {{sn, "foo"}, {mb, ctl}}, false},
      {"none/headless+foo", {}, {{"foo", "bar"}}, true, {{sn, "foo"}, {mb, ctl}, {hl, ""}, {"foo", "bar"}}, true},
      {"none/headless", {}, {}, true, {{sn, "foo"}, {mb, ctl}, {hl, ""}}, false},
      {"none/headless label only", {}, {{hl, ""}}, false, {{sn, "foo"}, {mb, ctl}}, false},
      {"reserved/headless label only", {{sn, "foo"}, {mb, ctl}, {hl, ""}}, {{hl, ""}}, false, {{sn, "foo"}, {mb, ctl}}, false},
      {"reserved+headless/none", {{sn, "foo"}, {mb, ctl}, {hl, ""}}, {}, false, {{sn, "foo"}, {mb, ctl}}, false},
      {"foo/headless+foo", {{sn, "foo"}, {mb, ctl}, {"foo", "bar"}}, {{"foo", "bar"}}, true,
       {{sn, "foo"}, {mb, ctl}, {hl, ""}, {"foo", "bar"}}, false},
      {"none/foo", {}, {{"foo", "bar"}}, false, {{sn, "foo"}, {mb, ctl}, {"foo", "bar"}}, true},
      {"foo/none", {{sn, "foo"}, {mb, ctl}, {"foo", "bar"}}, {}, false, {{sn, "foo"}, {mb, ctl}}, true},
      {"reserved/foo", {{sn, "foo"}, {mb, ctl}}, {{"foo", "bar"}}, false, {{sn, "foo"}, {mb, ctl}, {"foo", "bar"}}, true},
      {"reserved/bad reserved", {{sn, "foo"}, {mb, ctl}}, {{sn, "bad"}, {mb, "actor"}, {hl, "invalid"}}, false,
       {{sn, "foo"}, {mb, ctl}}, false},
      {"reserved/bad reserved+foo", {{sn, "foo"}, {mb, ctl}}, {{sn, "bad"}, {mb, "actor"}, {"foo", "bar"}}, false,
       {{sn, "foo"}, {mb, ctl}, {"foo", "bar"}}, true},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    service_identity svc;
    svc.name = "foo";
    svc.labels = r.service;
    svc.headless = r.headless;
    CHECK(endpoint_slice_labels(svc, ctl) == r.want);
    CHECK(slice_labels_changed(r.slice, r.service) == r.changed);
  }
}

TEST_CASE("reconcile: placeholderSliceCompare (TestPlaceHolderSliceCompare)", "[reconcile]") {
  endpoint_slice_v4 a, b;
  CHECK(placeholder_slice_equal(a, b));
  a.metadata.name = "foo";
  b.metadata.name = "bar";
  CHECK(placeholder_slice_equal(a, b));
  a.metadata.creation_timestamp = "2024-01-01T00:00:01Z";
  b.metadata.creation_timestamp = "2024-01-01T00:00:02Z";
  CHECK(placeholder_slice_equal(a, b));
  a.ports.set_empty_not_nil();  // nil and empty ports compare equal
  CHECK(placeholder_slice_equal(a, b));
  a.metadata.labels = {{"foo", "true"}};
  b.metadata.labels = {{"bar", "true"}};
  CHECK_FALSE(placeholder_slice_equal(a, b));
  endpoint_slice_raw r1, r2;
  r1.address_type = "IPv4";
  r2.address_type = "IPv6";
  CHECK_FALSE(placeholder_slice_equal(r1, r2));
}

TEST_CASE("reconcile: generateName, namer and ownership", "[reconcile]") {
  CHECK(endpoint_slice_prefix("foo") == "foo-");
  CHECK(endpoint_slice_prefix(std::string(253, 'a')) == std::string(253, 'a'));
  CHECK(endpoint_slice_prefix(std::string(252, 'a')) == std::string(252, 'a') + "-");
  slice_namer n;
  object_meta m;
  m.generate_name = "svc-";
  CHECK(n(m) == "svc-00000");
  CHECK(n(m) == "svc-00001");
  n.next = 123456;
  CHECK(n(m) == "svc-123456");
  const auto svc = fixture_service();
  auto s = fixture_slice("foo-1", {});
  CHECK(is_owned_by(s.metadata, svc, well_known::endpointslice_controller));
  s.metadata.owner_references[0].uid = "different";
  CHECK_FALSE(is_owned_by(s.metadata, svc, well_known::endpointslice_controller));
  auto no_uid = svc;
  no_uid.uid.clear();
  CHECK(is_owned_by(s.metadata, no_uid, well_known::endpointslice_controller));
  CHECK_FALSE(is_owned_by(s.metadata, no_uid, "other-controller"));
  CHECK(is_managed_slice(s.metadata, svc, well_known::endpointslice_controller));
  s.metadata.deletion_timestamp = "2024-01-01T00:00:00Z";
  CHECK_FALSE(is_managed_slice(s.metadata, svc, well_known::endpointslice_controller));
}

// ---- upstream's reconciler tests (staging/src/k8s.io/endpointslice/reconciler_test.go) ------------

TEST_CASE("reconcile: TestReconcileEmpty creates the placeholder", "[reconcile]") {
  for (auto strategy : both_strategies) {
    const auto d = fixture_desired({});
    const std::vector<endpoint_slice_v4> none;
    const auto plan = reconcile(d, none, with_strategy(strategy));
    REQUIRE(plan.create.size() == 1);
    CHECK(plan.update.empty());
    CHECK(plan.remove.empty());
    const auto& s = plan.create[0];
    CHECK(s.metadata.name.empty());
    CHECK(s.metadata.generate_name == "foo-");
    CHECK(s.metadata.labels.at(std::string(well_known::service_name_label)) == "foo");
    CHECK(s.ports.empty());
    CHECK_FALSE(s.ports.is_nil());
    CHECK(s.endpoints.empty());
    CHECK_FALSE(s.endpoints.is_nil());
    CHECK(plan.stats.writes == 1);
  }
}

TEST_CASE("reconcile: TestReconcile1Pod, one endpoint per family, dual-stack and new-slice metadata", "[reconcile]") {
  dual_stack_desired d;
  d.ipv4_state = fixture_desired({1});
  d.ipv4_state->service.headless = false;
  d.ipv4_state->service.labels = {{"foo", "bar"}, {std::string(well_known::service_name_label), "bad"}};
  desired_state<ipv6> v6;
  v6.service = d.ipv4_state->service;
  v6.groups.emplace_back();
  v6.groups[0].ports.push_back(fixture_port());
  endpoint_v6 e6;
  e6.addresses.push_back(*parse_ipv6("1234::5678:0000:0000:9abc:def0"));
  e6.target_ref = object_reference{"Pod", "test", "pod1", "", "", "", "", {}};
  v6.groups[0].endpoints.push_back(e6);
  d.ipv6_state = v6;
  reconcile_options o;
  o.trigger_time = "2024-01-01T00:00:00Z";
  const std::vector<any_endpoint_slice> none;
  const auto plan = reconcile(d, none, o);
  REQUIRE(plan.create.size() == 2);
  CHECK(plan.stats.creates == 2);
  CHECK(plan.stats.endpoints_added == 2);
  const auto& a = std::get<endpoint_slice_v4>(plan.create[0]);
  const auto& b = std::get<endpoint_slice_v6>(plan.create[1]);
  CHECK(a.endpoints.size() == 1);
  CHECK(b.endpoints.size() == 1);
  CHECK(to_string(b.endpoints[0].addresses[0]) == "1234::5678:0000:0000:9abc:def0");
  const string_map want = {{"foo", "bar"},
                           {std::string(well_known::service_name_label), "foo"},
                           {std::string(well_known::managed_by_label), std::string(well_known::endpointslice_controller)}};
  CHECK(a.metadata.labels == want);
  CHECK(a.metadata.annotations.at(std::string(well_known::trigger_time_annotation)) == "2024-01-01T00:00:00Z");
  REQUIRE(a.metadata.owner_references.size() == 1);
  CHECK(a.metadata.owner_references[0] == owner_reference{"v1", "Service", "foo", "test-foo", true, true, {}});
  CHECK(a.metadata.namespace_ == "test");
  const auto after = epslice::apply(plan, none);
  REQUIRE(after.size() == 2);
  CHECK(metadata_of(after[0]).name == "foo-00000");
  CHECK(metadata_of(after[1]).name == "foo-00001");
}

TEST_CASE("reconcile: TestReconcile1EndpointSlice, placeholder handling with no endpoints", "[reconcile]") {
  for (auto strategy : both_strategies) {
    const auto d = fixture_desired({});
    const auto o = with_strategy(strategy);
    // An existing placeholder that is the same: nothing to do.
    const std::vector<endpoint_slice_v4> none;
    auto same = reconcile(d, none, o).create.at(0);
    same.metadata.name = "foo-abcde";
    same.metadata.annotations = {{"other", "x"}};
    const std::vector<endpoint_slice_v4> existing_same = {same};
    CHECK(reconcile(d, existing_same, o).empty());
    // An existing placeholder that is different: the placeholder create is recycled into an update.
    auto different = fixture_slice("foo-1", {});
    different.metadata.labels = {{"bar", "baz"}};
    const std::vector<endpoint_slice_v4> existing_diff = {different};
    const auto plan = reconcile(d, existing_diff, o);
    CHECK(plan.create.empty());
    REQUIRE(plan.update.size() == 1);
    CHECK(plan.remove.empty());
    CHECK(plan.update[0].metadata.name == "foo-1");
    CHECK(plan.update[0].ports.empty());
  }
}

TEST_CASE("reconcile: TestReconcileManyPods and TestReconcileMaxEndpointsPerSlice, creates from scratch by max endpoints per slice", "[reconcile]") {
  struct row {
    unsigned pods;
    std::size_t max;
    std::multiset<std::size_t> want;
  };
  const std::vector<row> rows = {
      {50, 100, {50}},          {250, 100, {100, 100, 50}},     {250, 50, {50, 50, 50, 50, 50}},
      {250, 80, {80, 80, 80, 10}}, {250, 150, {150, 100}},     {250, 250, {250}},
      {250, 500, {250}},
  };
  for (auto strategy : both_strategies) {
    for (const auto& r : rows) {
      INFO(r.pods << " pods, max " << r.max);
      const auto d = fixture_desired(range(0, r.pods));
      const std::vector<endpoint_slice_v4> none;
      const auto plan = reconcile(d, none, with_strategy(strategy, r.max));
      CHECK(plan.update.empty());
      CHECK(plan.remove.empty());
      CHECK(sizes(plan.create) == r.want);
      CHECK(plan.stats.endpoints_added == r.pods);
      CHECK(plan.stats.endpoints_written == r.pods);
    }
  }
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesSomePreexisting, one create then one update, sizes 89 61 100", "[reconcile]") {
  const auto d = fixture_desired(range(0, 250));
  const std::vector<endpoint_slice_v4> existing = {fixture_slice("foo-1", range(1, 246, 4)),
                                                   fixture_slice("foo-2", range(3, 246, 4))};
  REQUIRE(existing[0].endpoints.size() == 62);
  REQUIRE(existing[1].endpoints.size() == 61);
  const auto plan = reconcile(d, existing);
  CHECK(plan.create.size() == 1);
  REQUIRE(plan.update.size() == 1);
  CHECK(plan.remove.empty());
  CHECK(plan.update[0].metadata.name == "foo-1");
  CHECK(plan.stats.endpoints_added == 127);
  CHECK(sizes(epslice::apply(plan, existing)) == std::multiset<std::size_t>{89, 61, 100});
  // The informer's objects are not mutated.
  CHECK(existing[0].endpoints.size() == 62);
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesSomePreexistingWorseAllocation, two creates, sizes 74 74 100 52", "[reconcile]") {
  const auto d = fixture_desired(range(0, 300));
  const std::vector<endpoint_slice_v4> existing = {fixture_slice("foo-1", range(1, 296, 4)),
                                                   fixture_slice("foo-2", range(3, 296, 4))};
  const auto plan = reconcile(d, existing);
  CHECK(plan.create.size() == 2);
  CHECK(plan.update.empty());
  CHECK(plan.remove.empty());
  CHECK(plan.stats.endpoints_added == 152);
  CHECK(sizes(epslice::apply(plan, existing)) == std::multiset<std::size_t>{74, 74, 100, 52});
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesUpdating and ServicesLabelsUpdating, ServicesReservedLabels on 3 slices", "[reconcile]") {
  for (auto strategy : both_strategies) {
    const auto o = with_strategy(strategy);
    const std::vector<endpoint_slice_v4> none;
    const auto first = epslice::apply(reconcile(fixture_desired(range(0, 250)), none, o), none);
    REQUIRE(sizes(first) == std::multiset<std::size_t>{100, 100, 50});
    // The target port changes: 3 creates recycled onto the 3 deleted slices.
    const auto p9 = reconcile(fixture_desired(range(0, 250), 81), first, o);
    CHECK(p9.create.empty());
    CHECK(p9.update.size() == 3);
    CHECK(p9.remove.empty());
    CHECK(sizes(epslice::apply(p9, first)) == std::multiset<std::size_t>{100, 100, 50});
    // Service labels: 3 updates carrying the label.
    auto d10 = fixture_desired(range(0, 250));
    d10.service.labels = {{"foo", "bar"}};
    const auto p10 = reconcile(d10, first, o);
    CHECK(p10.create.empty());
    CHECK(p10.update.size() == 3);
    CHECK(p10.remove.empty());
    for (const auto& s : epslice::apply(p10, first)) CHECK(s.metadata.labels.at("foo") == "bar");
    // Reserved labels only: nothing to do.
    auto d11 = fixture_desired(range(0, 250));
    d11.service.labels = {{std::string(well_known::service_name_label), "bad"},
                          {std::string(well_known::managed_by_label), "actor"},
                          {std::string(well_known::headless_label), "invalid"}};
    CHECK(reconcile(d11, first, o).empty());
  }
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesRecycling, 10 slices of 30, port change -> 3 updates + 7 deletes", "[reconcile]") {
  for (auto strategy : both_strategies) {
    const auto o = with_strategy(strategy);
    std::vector<endpoint_slice_v4> existing;
    for (unsigned k = 0; k < 10; ++k) existing.push_back(fixture_slice("foo-" + std::to_string(k), range(30 * k, 30 * k + 30)));
    CHECK(reconcile(fixture_desired(range(0, 300)), existing, o).empty());
    const auto plan = reconcile(fixture_desired(range(0, 300), 81), existing, o);
    CHECK(plan.create.empty());
    CHECK(plan.update.size() == 3);
    CHECK(plan.remove.size() == 7);
    CHECK(plan.stats.writes == 10);
    CHECK(sizes(epslice::apply(plan, existing)) == std::multiset<std::size_t>{100, 100, 100});
  }
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesUpdatePacking, new endpoints go to the fuller slice (95, 20)", "[reconcile]") {
  std::vector<unsigned> pods = range(0, 80);
  for (unsigned n : range(100, 120)) pods.push_back(n);
  const std::vector<endpoint_slice_v4> existing = {fixture_slice("foo-1", range(0, 80)), fixture_slice("foo-2", range(100, 120))};
  auto d = fixture_desired({0});
  d.groups[0].endpoints.clear();
  for (std::size_t i = 0; i < pods.size(); ++i) d.groups[0].endpoints.push_back(pod_endpoint(pods[i], i % 10 != 0));
  for (unsigned n : range(200, 215)) d.groups[0].endpoints.push_back(pod_endpoint(n));
  const auto plan = reconcile(d, existing);
  CHECK(plan.create.empty());
  CHECK(plan.update.size() == 2);
  CHECK(plan.remove.empty());
  CHECK(plan.stats.endpoints_added == 15);
  CHECK(plan.stats.endpoints_changed == 10);
  CHECK(sizes(epslice::apply(plan, existing)) == std::multiset<std::size_t>{95, 20});
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesReplaceDeprecated, IP slices are replaced by IPv4 slices and deleted last", "[reconcile]") {
  for (auto strategy : both_strategies) {
    std::vector<any_endpoint_slice> existing;
    for (const auto& [name, pods] : {std::pair{std::string("foo-1"), range(0, 80)}, std::pair{std::string("foo-2"), range(100, 150)}}) {
      endpoint_slice_raw r = to_raw(fixture_slice(name, pods));
      r.address_type = "IP";
      existing.push_back(r);
    }
    std::vector<unsigned> pods = range(0, 80);
    for (unsigned n : range(100, 150)) pods.push_back(n);
    dual_stack_desired d;
    d.ipv4_state = fixture_desired(pods);
    const auto plan = reconcile(d, existing, with_strategy(strategy));
    CHECK(plan.create.size() == 2);
    CHECK(plan.update.empty());
    REQUIRE(plan.remove.size() == 2);
    CHECK(std::holds_alternative<endpoint_slice_raw>(plan.remove[0]));
    const auto after = epslice::apply(plan, existing);
    std::vector<endpoint_slice_v4> typed;
    for (const auto& s : after) typed.push_back(std::get<endpoint_slice_v4>(s));
    CHECK(sizes(typed) == std::multiset<std::size_t>{100, 30});
  }
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesRecreation, a slice owned by an older Service is replaced", "[reconcile]") {
  for (auto strategy : both_strategies) {
    const auto d = fixture_desired({1});
    std::vector<endpoint_slice_v4> existing = {fixture_slice("foo-1", {1})};
    CHECK(reconcile(d, existing, with_strategy(strategy)).empty());
    existing[0].metadata.owner_references[0].uid = "different";
    const auto plan = reconcile(d, existing, with_strategy(strategy));
    CHECK(plan.create.size() == 1);
    CHECK(plan.update.empty());
    CHECK(plan.remove.size() == 1);
    CHECK(epslice::apply(plan, existing).size() == 1);
  }
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesNamedPorts, one group per resolved port, 5 slices of 60", "[reconcile]") {
  desired_state<ipv4> d;
  d.service = fixture_service();
  for (std::int32_t k = 0; k < 5; ++k) {
    d.groups.emplace_back();
    endpoint_port p;
    p.name = "";
    p.protocol = "TCP";
    p.port = 8080 + k;
    d.groups.back().ports.push_back(p);
  }
  for (unsigned i = 0; i < 300; ++i) d.groups[i % 5].endpoints.push_back(pod_endpoint(i));
  const std::vector<endpoint_slice_v4> none;
  const auto plan = reconcile(d, none);
  REQUIRE(plan.create.size() == 5);
  for (std::size_t k = 0; k < 5; ++k) {
    CHECK(plan.create[k].endpoints.size() == 60);
    REQUIRE(plan.create[k].ports.size() == 1);
    CHECK(plan.create[k].ports[0].port == 8080 + static_cast<std::int32_t>(k));
  }
}

TEST_CASE("reconcile: TestReconcileEndpointSlicesMetrics, added and removed endpoints", "[reconcile]") {
  const std::vector<endpoint_slice_v4> none;
  const auto first = epslice::apply(reconcile(fixture_desired(range(0, 20)), none), none);
  const auto plan = reconcile(fixture_desired(range(0, 10)), first);
  CHECK(plan.stats.updates == 1);
  CHECK(plan.stats.endpoints_removed == 10);
  CHECK(plan.stats.endpoints_added == 0);
  const std::vector<endpoint_slice_v4> one = {fixture_slice("foo-1", {1})};
  const auto add = reconcile(fixture_desired({1, 2}), one);
  CHECK(add.stats.endpoints_added == 1);
  CHECK(add.stats.endpoints_removed == 0);
  const std::vector<endpoint_slice_v4> two = {fixture_slice("foo-1", {0, 1})};
  const auto rem = reconcile(fixture_desired({1}), two);
  CHECK(rem.stats.endpoints_added == 0);
  CHECK(rem.stats.endpoints_removed == 1);
}

TEST_CASE("reconcile: TestReconcilerPodMissingNode, all endpoints gone: the placeholder is recycled onto the emptied slice", "[reconcile]") {
  for (auto strategy : both_strategies) {
    const std::vector<endpoint_slice_v4> existing = {fixture_slice("foo-1", {0, 1})};
    // Both pods skipped (their nodes are missing): the group exists with no endpoints.
    auto d = fixture_desired({});
    d.groups.emplace_back();
    d.groups[0].ports.push_back(fixture_port());
    const auto plan = reconcile(d, existing, with_strategy(strategy));
    CHECK(plan.create.empty());
    REQUIRE(plan.update.size() == 1);
    CHECK(plan.remove.empty());
    CHECK(plan.update[0].endpoints.empty());
    CHECK(plan.update[0].ports.empty());
    // Some endpoints left: a plain update of the slice (nodes missing for one pod).
    const auto one = reconcile(fixture_desired({0}), existing, with_strategy(strategy));
    CHECK(one.stats.updates == 1);
    CHECK(one.stats.writes == 1);
  }
}

TEST_CASE("reconcile: TestReconcileHeadlessServiceNoPorts, nil ports and empty ports are the same port set", "[reconcile]") {
  desired_state<ipv4> d;
  d.service = fixture_service();
  d.service.name = "headless-no-ports";
  d.groups.emplace_back();
  d.groups[0].endpoints.push_back(pod_endpoint(1));
  const std::vector<endpoint_slice_v4> none;
  auto after = epslice::apply(reconcile(d, none), none);
  REQUIRE(after.size() == 1);
  CHECK_FALSE(after[0].ports.is_nil());
  after[0].ports.set_nil();
  CHECK(reconcile(d, after).empty());
}

TEST_CASE("reconcile: port sets are order-insensitive multisets", "[reconcile]") {
  endpoint_port a = fixture_port(80), b = fixture_port(443);
  b.name = "https";
  desired_state<ipv4> d;
  d.service = fixture_service();
  d.groups.emplace_back();
  d.groups[0].ports = {a, b};
  d.groups[0].endpoints.push_back(pod_endpoint(1));
  d.groups.emplace_back();
  d.groups[1].ports = {b, a};  // the same set: merged into the first group
  d.groups[1].endpoints.push_back(pod_endpoint(2));
  const std::vector<endpoint_slice_v4> none;
  const auto plan = reconcile(d, none);
  REQUIRE(plan.create.size() == 1);
  CHECK(plan.create[0].endpoints.size() == 2);
  auto after = epslice::apply(plan, none);
  std::reverse(after[0].ports.begin(), after[0].ports.end());
  CHECK(reconcile(d, after).empty());
  // {a, a} is not {a}.
  d.groups[1].ports = {a, a};
  CHECK(reconcile(d, none).create.size() == 2);
}

TEST_CASE("reconcile: endpoint identity ignores address order and changes beyond it cause updates", "[reconcile]") {
  auto d = fixture_desired({1});
  d.groups[0].endpoints.clear();
  auto e = pod_endpoint(1);
  e.addresses.push_back(ipv4_address::from_uint(0x0b000001u));
  d.groups[0].endpoints.push_back(e);
  const std::vector<endpoint_slice_v4> none;
  auto after = epslice::apply(reconcile(d, none), none);
  std::reverse(after[0].endpoints[0].addresses.begin(), after[0].endpoints[0].addresses.end());
  after[0].endpoints[0].target_ref->resource_version = "7";  // ignored
  after[0].endpoints[0].hints = endpoint_hints{{for_zone{"a"}}, {}, {}};  // not compared
  CHECK(reconcile(d, after).empty());
  after[0].endpoints[0].conditions.serving.reset();  // nil vs true differs
  const auto plan = reconcile(d, after);
  CHECK(plan.update.size() == 1);
  CHECK(plan.stats.endpoints_changed == 1);
  // Duplicates in the desired list collapse; the last value wins.
  auto dup = fixture_desired({5, 5});
  dup.groups[0].endpoints[1].zone = "z";
  const auto p = reconcile(dup, none);
  REQUIRE(p.create.at(0).endpoints.size() == 1);
  CHECK(p.create[0].endpoints[0].zone == "z");
}

TEST_CASE("reconcile: flat_index agrees with a map through inserts, erases, shrinking and re-keying", "[reconcile]") {
  // Keys are 64-bit numbers; their hashes share the low 32 bits in groups of four, so tags
  // collide and the caller's comparison decides.
  std::map<std::uint64_t, std::uint32_t> want;
  std::vector<std::uint64_t> key_of;  // value -> key
  detail::flat_index idx;
  const auto hash = [](std::uint64_t k) { return (((k / 4) * 0x9E3779B97F4A7C15ULL) & 0xffffffffULL) | (k % 4) << 40; };
  const auto lookup = [&](std::uint64_t k) { return idx.find(hash(k), [&](std::uint32_t v) { return key_of[v] == k; }); };
  splitmix64 rng{5};
  for (int step = 0; step < 20000; ++step) {
    const std::uint64_t k = rng.below(step < 12000 ? 3000 : 400);
    const auto it = want.find(k);
    if (rng.below(3) != 0) {
      const auto v = static_cast<std::uint32_t>(key_of.size());
      const std::uint32_t got = idx.insert(hash(k), v, [&](std::uint32_t x) { return key_of[x] == k; });
      if (it == want.end()) {
        key_of.push_back(k);
        want[k] = v;
        CHECK(got == v);
      } else {
        CHECK(got == it->second);
      }
    } else if (it != want.end()) {
      idx.erase(hash(k), it->second);
      want.erase(it);
    } else {
      idx.erase(hash(k), 12345);  // absent: nothing happens
    }
    CHECK(idx.size() == want.size());
  }
  for (std::uint64_t k = 0; k < 3000; ++k) {
    const auto it = want.find(k);
    CHECK(lookup(k) == (it == want.end() ? detail::flat_index::npos : it->second));
  }
  // Re-keyed under new hashes, every value is found under its new hash only.
  const auto hash2 = [](std::uint64_t k) { return (k * 0xC2B2AE3D27D4EB4FULL) ^ (k >> 3); };
  idx.rekey([&](std::uint32_t v) { return hash2(key_of[v]); });
  for (const auto& [k, v] : want) CHECK(idx.find(hash2(k), [&, k = k](std::uint32_t x) { return key_of[x] == k; }) == v);
  CHECK(idx.size() == want.size());
  // Emptied down to 10 of 1,000 entries, it shrinks (8 bytes an entry, at most 1/2 full when
  // growing, under 1/8 when shrinking).
  detail::flat_index shrink;
  for (std::uint32_t v = 0; v < 1000; ++v) shrink.insert_new(hash2(v), v);
  CHECK(shrink.memory_bytes() == 8 * 2048);
  for (std::uint32_t v = 10; v < 1000; ++v) shrink.erase(hash2(v), v);
  CHECK(shrink.memory_bytes() <= 8 * 128);
  for (std::uint32_t v = 0; v < 10; ++v) CHECK(shrink.find(hash2(v), [v](std::uint32_t x) { return x == v; }) == v);
  detail::flat_index fresh;
  CHECK(fresh.find(1, [](std::uint32_t) { return true; }) == detail::flat_index::npos);
  fresh.insert_new(7, 3);
  CHECK(fresh.find(7, [](std::uint32_t v) { return v == 3; }) == 3);
}

TEST_CASE("reconcile: endpoints sharing an address stay distinct, a crowded index re-keys itself", "[reconcile]") {
  // Different pods behind one IP (hostNetwork, reuse) are different endpoints. The identity index
  // keys by address first, and switches to full identity keys when one address gathers many.
  const auto shared_ip = [](unsigned n) {
    auto e = pod_endpoint(n);
    e.addresses[0] = ipv4_address::from_uint(0x0a0000feu);
    return e;
  };
  const auto fill = [&](detail::identity_index<ipv4>& idx, std::vector<endpoint_v4>& eps, unsigned n) {
    for (unsigned i = 0; i < n; ++i) eps.push_back(shared_ip(i));
    idx.reserve(eps.size());
    const auto of = [&](std::uint32_t v) -> const endpoint_v4& { return eps[v]; };
    for (std::uint32_t i = 0; i < eps.size(); ++i) {
      CHECK(idx.insert(idx.key(eps[i]), i, [&](std::uint32_t v) { return detail::same_endpoint_identity(eps[v], eps[i]); }) == i);
      idx.settle(of);
    }
  };
  detail::identity_index<ipv4> few, many;
  std::vector<endpoint_v4> few_eps, many_eps;
  fill(few, few_eps, detail::identity_index<ipv4>::crowd_limit);
  fill(many, many_eps, 300);
  CHECK_FALSE(few.full_keys());
  CHECK(many.full_keys());
  for (const auto* t : {&few, &many}) {
    const auto& eps = t == &few ? few_eps : many_eps;
    CHECK(t->size() == eps.size());
    for (std::uint32_t i = 0; i < eps.size(); ++i)
      CHECK(t->find(t->key(eps[i]), [&](std::uint32_t v) { return detail::same_endpoint_identity(eps[v], eps[i]); }) == i);
    CHECK(t->find(t->key(pod_endpoint(7)), [&](std::uint32_t v) { return detail::same_endpoint_identity(eps[v], pod_endpoint(7)); }) ==
          detail::identity_index<ipv4>::npos);
  }

  // Through reconcile and the planner: 2,500 pods on one IP, half of them already in slices.
  for (auto strategy : both_strategies) {
    INFO(to_string(strategy));
    const reconcile_options o = with_strategy(strategy);
    desired_state<ipv4> half = fixture_desired({0}), all = fixture_desired({0});
    half.groups[0].endpoints.clear();
    all.groups[0].endpoints.clear();
    for (unsigned i = 0; i < 2500; ++i) {
      all.groups[0].endpoints.push_back(shared_ip(i));
      if (i % 2) half.groups[0].endpoints.push_back(shared_ip(i));
    }
    all.groups[0].endpoints.push_back(shared_ip(17));  // a true duplicate still collapses
    const std::vector<endpoint_slice_v4> none;
    const auto before = epslice::apply(reconcile(half, none, o), none);
    const auto plan = reconcile(all, before, o);
    CHECK(plan.stats.endpoints_added == 1250);
    const auto after = epslice::apply(plan, before);
    std::multiset<std::string> names;
    for (const auto& s : after)
      for (const auto& e : s.endpoints) names.insert(e.target_ref->name);
    CHECK(names.size() == 2500);
    CHECK(std::set<std::string>(names.begin(), names.end()).size() == 2500);
    CHECK(reconcile(all, after, o).empty());
    const slice_planner<ipv4> planner(all, after, o);
    endpoint_change<ipv4> c;
    c.removed.push_back(shared_ip(4));
    c.added.push_back(shared_ip(9000));
    auto next = all;
    auto& eps = next.groups[0].endpoints;
    eps.erase(std::remove_if(eps.begin(), eps.end(), [](const endpoint_v4& e) { return e.target_ref->name == "pod4"; }), eps.end());
    eps.push_back(shared_ip(9000));
    const auto want = reconcile(next, after, o);
    CHECK(same_plan(planner.plan(c), want));
  }
}

TEST_CASE("reconcile: trigger time is set on written slices and removed when absent", "[reconcile]") {
  auto existing = std::vector<endpoint_slice_v4>{fixture_slice("foo-1", {1, 2})};
  existing[0].metadata.annotations[std::string(well_known::trigger_time_annotation)] = "old";
  const auto plan = reconcile(fixture_desired({1}), existing);
  REQUIRE(plan.update.size() == 1);
  CHECK(plan.update[0].metadata.annotations.count(std::string(well_known::trigger_time_annotation)) == 0);
  reconcile_options o;
  o.trigger_time = "2024-01-01T00:00:00Z";
  const auto p2 = reconcile(fixture_desired({1}), existing, o);
  CHECK(p2.update.at(0).metadata.annotations.at(std::string(well_known::trigger_time_annotation)) == "2024-01-01T00:00:00Z");
}

TEST_CASE("reconcile: apply refuses plans that do not match the slices", "[reconcile]") {
  slice_plan<ipv4> plan;
  plan.update.push_back(fixture_slice("missing", {}));
  const std::vector<endpoint_slice_v4> none;
  CHECK_THROWS_WITH(epslice::apply(plan, none), "metadata.name: Invalid value: apply: updated slice \"missing\" does not exist");
}

// ---- safety properties over random cases -----------------------------------------------------------

namespace {

#ifdef EPSLICE_SANITIZE_BUILD
constexpr int property_cases = 1000;
#else
constexpr int property_cases = 10000;
#endif

template <class F>
typename F::address property_address(unsigned id) {
  if constexpr (std::is_same_v<F, ipv4>) {
    return ipv4_address::from_uint(0x0a000000u + id);
  } else if constexpr (std::is_same_v<F, ipv6>) {
    ipv6_address a{};
    a.bytes[0] = 0x20;
    a.bytes[1] = 0x01;
    a.bytes[14] = static_cast<std::uint8_t>(id >> 8);
    a.bytes[15] = static_cast<std::uint8_t>(id);
    return a;
  } else {
    return "h" + std::to_string(id) + ".example.com";
  }
}

// Endpoint `id` with variable conditions/node/zone drawn from `rng`.
template <class F>
basic_endpoint<F> property_endpoint(unsigned id, splitmix64& rng) {
  basic_endpoint<F> e;
  // Now and then two pods share an IP (hostNetwork, reuse): different endpoints, one address.
  e.addresses.push_back(property_address<F>(id % 13 == 5 ? id - 5 : id));
  if (id % 7 == 0) e.addresses.push_back(property_address<F>(id + 5000));
  if (rng.below(2)) e.conditions.ready = rng.below(2) == 0;
  e.conditions.serving = true;
  e.node_name = "node-" + std::to_string(rng.below(3));
  if (rng.below(2)) e.zone = "zone-" + std::to_string(rng.below(2));
  e.target_ref = object_reference{"Pod", "test", "pod" + std::to_string(id), "", "", "", "", {}};
  return e;
}

// The key of an endpoint in a group: its port set (sorted text) and identity (sorted addresses,
// hostname, targetRef namespace/name), as independent text to check the library against.
template <class F>
std::string property_key(const std::vector<endpoint_port>& ports, const basic_endpoint<F>& e) {
  std::vector<std::string> ps;
  for (const auto& p : ports)
    ps.push_back((p.name ? "n" + *p.name : "-") + "/" + (p.protocol ? *p.protocol : "-") + "/" +
                 (p.port ? std::to_string(*p.port) : "-"));
  std::sort(ps.begin(), ps.end());
  std::vector<std::string> as;
  for (const auto& a : e.addresses) {
    std::string t;
    F::format(t, a);
    as.push_back(t);
  }
  std::sort(as.begin(), as.end());
  std::string k;
  for (const auto& p : ps) k += p + ",";
  k += "|";
  for (const auto& a : as) k += a + ",";
  k += "|" + e.hostname.value_or("") + "|" + (e.target_ref ? e.target_ref->namespace_ + "/" + e.target_ref->name : "");
  return k;
}

std::vector<endpoint_port> property_ports(std::uint64_t which) {
  const auto port = [](const char* name, std::int32_t n) {
    endpoint_port p;
    p.name = name;
    p.protocol = "TCP";
    p.port = n;
    return p;
  };
  switch (which) {
    case 0: return {port("http", 80)};
    case 1: return {port("http", 80), port("https", 443)};
    case 2: return {port("https", 443), port("http", 80)};  // the same set as 1
    case 3: return {};
    default: return {port("http", 81)};
  }
}

template <class F>
desired_state<F> property_desired(splitmix64& rng, const service_identity& svc, unsigned universe) {
  desired_state<F> d;
  d.service = svc;
  const std::uint64_t groups = 1 + rng.below(3);
  for (std::uint64_t g = 0; g < groups; ++g) {
    endpoint_group<F> grp;
    auto ports = property_ports(rng.below(5));
    grp.ports.assign(ports.begin(), ports.end());
    if (rng.below(2)) grp.ports.set_empty_not_nil();
    const std::uint64_t n = rng.below(universe);
    for (std::uint64_t k = 0; k < n; ++k) grp.endpoints.push_back(property_endpoint<F>(static_cast<unsigned>(rng.below(universe)), rng));
    d.groups.push_back(std::move(grp));
  }
  return d;
}

template <class F>
std::map<std::string, int> desired_keys(const desired_state<F>& d) {
  std::map<std::string, int> out;
  for (const auto& g : d.groups)
    for (const auto& e : g.endpoints)
      if (!e.addresses.empty()) out[property_key<F>(g.ports, e)] = 1;
  return out;
}

template <class F>
void count_slice(std::map<std::string, int>& counts, const basic_endpoint_slice<F>& s, int delta) {
  for (const auto& e : s.endpoints) counts[property_key<F>(s.ports, e)] += delta;
}

struct property_totals {
  std::size_t cases = 0, minimal_fewer_writes = 0, minimal_fewer_slices = 0;
};

template <class F>
void check_plan_safety(const desired_state<F>& desired, const std::vector<basic_endpoint_slice<F>>& existing,
                       const slice_plan<F>& plan, std::size_t max) {
  const auto want = desired_keys(desired);
  std::map<std::string, int> counts;
  for (const auto& s : existing) count_slice(counts, s, 1);
  // Endpoints desired before (present) and after must stay present at every step.
  std::vector<std::string> guarded;
  for (const auto& [k, c] : counts)
    if (c > 0 && want.count(k)) guarded.push_back(k);
  std::map<std::string, const basic_endpoint_slice<F>*> by_name;
  for (const auto& s : existing) by_name[s.metadata.name] = &s;
  const auto check_guarded = [&] {
    for (const auto& k : guarded)
      if (counts[k] <= 0) FAIL("endpoint " << k << " absent in an intermediate state");
  };
  for (const auto& s : plan.create) {
    REQUIRE(s.endpoints.size() <= max);
    count_slice(counts, s, 1);
  }
  for (const auto& s : plan.update) {
    REQUIRE(s.endpoints.size() <= max);
    REQUIRE(by_name.count(s.metadata.name) == 1);
    count_slice(counts, s, 1);
    count_slice(counts, *by_name[s.metadata.name], -1);
    check_guarded();
  }
  for (const auto& s : plan.remove) {
    REQUIRE(by_name.count(s.metadata.name) == 1);
    count_slice(counts, *by_name[s.metadata.name], -1);
    check_guarded();
  }
  const auto after = epslice::apply(plan, existing);
  std::map<std::string, int> final_counts;
  for (const auto& s : after) {
    REQUIRE(s.endpoints.size() <= max);
    count_slice(final_counts, s, 1);
  }
  for (auto it = final_counts.begin(); it != final_counts.end();) it = it->second == 0 ? final_counts.erase(it) : std::next(it);
  REQUIRE(final_counts == want);  // every desired endpoint exactly once, nothing else
  REQUIRE(!after.empty());        // at least the placeholder
}

template <class F>
void run_property_case(std::uint64_t seed, property_totals& totals) {
  splitmix64 rng{seed};
  const std::size_t maxes[] = {1, 2, 3, 5, 10, 100};
  const std::size_t max = maxes[rng.below(6)];
  const unsigned universe = 1 + static_cast<unsigned>(rng.below(40));
  service_identity svc = fixture_service();
  svc.headless = rng.below(2) == 0;
  if (rng.below(3) == 0) svc.labels = {{"team", "a"}};
  // The existing layout: what an earlier reconcile wrote, then disturbed.
  const auto old = property_desired<F>(rng, svc, universe);
  reconcile_options setup;
  setup.max_endpoints_per_slice = max;
  setup.strategy = rng.below(2) ? reconcile_strategy::kubernetes : reconcile_strategy::minimal;
  const std::vector<basic_endpoint_slice<F>> none;
  std::vector<basic_endpoint_slice<F>> existing = epslice::apply(reconcile(old, none, setup), none);
  if (!existing.empty() && rng.below(3) == 0) {  // a duplicate of an endpoint in another slice
    auto& from = existing[rng.below(existing.size())];
    auto& to = existing[rng.below(existing.size())];
    if (!from.endpoints.empty() && to.endpoints.size() < max && from.ports == to.ports)
      to.endpoints.push_back(from.endpoints[rng.below(from.endpoints.size())]);
  }
  if (rng.below(4) == 0) {  // a slice owned by an older Service with the same name
    basic_endpoint_slice<F> foreign;
    foreign.metadata.name = "foo-foreign";
    foreign.metadata.namespace_ = "test";
    foreign.metadata.owner_references.push_back(owner_reference{"v1", "Service", "foo", "old-uid", true, true, {}});
    auto ports = property_ports(rng.below(5));
    foreign.ports.assign(ports.begin(), ports.end());
    for (std::uint64_t k = 0, n = rng.below(max + 1); k < n; ++k)
      foreign.endpoints.push_back(property_endpoint<F>(static_cast<unsigned>(rng.below(universe)), rng));
    existing.push_back(foreign);
  }
  if (!existing.empty() && rng.below(4) == 0) existing[rng.below(existing.size())].metadata.labels["team"] = "b";
  // The new desired state: churn of the old one (removals, additions, condition changes).
  desired_state<F> now = rng.below(5) == 0 ? property_desired<F>(rng, svc, universe) : old;
  for (auto& g : now.groups) {
    std::vector<basic_endpoint<F>> eps;
    for (auto& e : g.endpoints) {
      const auto r = rng.below(10);
      if (r == 0) continue;                                    // removed
      if (r == 1) e.conditions.ready = !e.conditions.ready.value_or(true);  // changed
      eps.push_back(e);
    }
    for (std::uint64_t k = 0, n = rng.below(universe / 2 + 1); k < n; ++k)
      eps.push_back(property_endpoint<F>(static_cast<unsigned>(rng.below(universe * 2)), rng));
    g.endpoints = std::move(eps);
  }
  if (rng.below(10) == 0) now.groups.clear();
  reconcile_options o;
  o.max_endpoints_per_slice = max;
  std::size_t writes[2] = {0, 0}, slices[2] = {0, 0};
  for (auto strategy : both_strategies) {
    o.strategy = strategy;
    const auto plan = reconcile(now, existing, o);
    check_plan_safety(now, existing, plan, max);
    const auto after = epslice::apply(plan, existing);
    REQUIRE(reconcile(now, after, o).empty());
    const auto k = static_cast<std::size_t>(strategy);
    writes[k] = plan.stats.writes;
    slices[k] = after.size();
    REQUIRE(plan.stats.writes == plan.create.size() + plan.update.size() + plan.remove.size());
  }
  REQUIRE(writes[1] <= writes[0]);
  if (writes[1] == writes[0]) REQUIRE(slices[1] <= slices[0]);
  // The zone-partitioned layout keeps the same safety properties, and every slice holds one zone.
  o.layout = slice_layout::by_zone;
  for (auto strategy : both_strategies) {
    o.strategy = strategy;
    const auto plan = reconcile(now, existing, o);
    check_plan_safety(now, existing, plan, max);
    const auto after = epslice::apply(plan, existing);
    REQUIRE(reconcile(now, after, o).empty());
    for (const auto& sl : after) {
      // An empty slice is the family's placeholder, or an unchanged slice of a partition that
      // still has endpoints (kubernetes keeps those, as upstream does); never the last slice of a
      // partition nobody is in.
      if (sl.endpoints.empty() && after.size() > 1) {
        const auto zone_of = [](const basic_endpoint_slice<F>& x) {
          const auto z = x.metadata.labels.find(std::string(well_known::zone_label));
          return z == x.metadata.labels.end() ? std::string() : z->second;
        };
        const bool partition_used = std::any_of(after.begin(), after.end(), [&](const basic_endpoint_slice<F>& x) {
          return !x.endpoints.empty() && zone_of(x) == zone_of(sl) &&
                 property_key(std::vector<endpoint_port>(x.ports.begin(), x.ports.end()), basic_endpoint<F>{}) ==
                     property_key(std::vector<endpoint_port>(sl.ports.begin(), sl.ports.end()), basic_endpoint<F>{});
        });
        REQUIRE(partition_used);
      }
      const auto label = sl.metadata.labels.find(std::string(well_known::zone_label));
      for (const auto& e : sl.endpoints) {
        if (e.zone && !e.zone->empty()) {
          REQUIRE(label != sl.metadata.labels.end());
          REQUIRE(label->second == *e.zone);
        } else {
          REQUIRE(label == sl.metadata.labels.end());
        }
      }
    }
  }
  // Compaction: still safe and exact; spends at most its budget; with a large budget every group
  // ends at the threshold or with the fewest slices that hold it, and a second reconcile does nothing.
  {
    const double thresholds[] = {0.3, 0.6, 1.0};
    const std::size_t budgets[] = {1, 3, 1000};
    reconcile_options c = o;
    c.compaction.min_fullness = thresholds[rng.below(3)];
    c.compaction.max_extra_writes = budgets[rng.below(3)];
    for (auto layout : {slice_layout::packed, slice_layout::by_zone})
      for (auto strategy : both_strategies) {
        c.layout = o.layout = layout;
        c.strategy = o.strategy = strategy;
        INFO("compaction " << c.compaction.min_fullness << "/" << c.compaction.max_extra_writes << ", " << to_string(layout)
                           << ", " << to_string(strategy) << ", max " << max);
        const auto base = reconcile(now, existing, o);
        const auto plan = reconcile(now, existing, c);
        check_plan_safety(now, existing, plan, max);
        REQUIRE(plan.stats.compaction_writes <= c.compaction.max_extra_writes);
        REQUIRE(plan.stats.writes <= base.stats.writes + plan.stats.compaction_writes);
        // by_zone: breaking a cycle of endpoints that swap zones creates slices after compaction
        // (make-before-break needs them), so the end state is checked for the packed layout.
        if (c.compaction.max_extra_writes < 1000 || layout != slice_layout::packed) continue;
        const auto after = epslice::apply(plan, existing);
        std::map<std::string, std::pair<std::size_t, std::size_t>> groups;  // slices, endpoints
        for (const auto& sl : after) {
          std::string key;
          std::vector<endpoint_port> ports(sl.ports.begin(), sl.ports.end());
          key = property_key(ports, basic_endpoint<F>{});
          const auto z = sl.metadata.labels.find(std::string(well_known::zone_label));
          if (z != sl.metadata.labels.end()) key += "@" + z->second;
          ++groups[key].first;
          groups[key].second += sl.endpoints.size();
        }
        for (const auto& [key, g] : groups) {
          INFO("group " << key << ": " << g.first << " slices, " << g.second << " endpoints, max " << max);
          const bool full_enough = static_cast<double>(g.second) >= c.compaction.min_fullness * static_cast<double>(g.first * max);
          const bool fewest = g.first <= 1 || g.second > (g.first - 1) * max;
          REQUIRE((full_enough || fewest));
        }
        REQUIRE(reconcile(now, after, c).empty());
      }
  }
  ++totals.cases;
  if (writes[1] < writes[0]) ++totals.minimal_fewer_writes;
  if (writes[1] == writes[0] && slices[1] < slices[0]) ++totals.minimal_fewer_slices;
}

}  // namespace

TEST_CASE("reconcile: random plans are safe, exact, idempotent, and minimal is never worse", "[reconcile][property]") {
  property_totals totals;
  for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(property_cases); ++i) {
    const std::uint64_t seed = i * std::uint64_t{0x9E3779B97F4A7C15u} + 1;
    INFO("case " << i);
    switch (i % 3) {
      case 0: run_property_case<ipv4>(seed, totals); break;
      case 1: run_property_case<ipv6>(seed, totals); break;
      default: run_property_case<fqdn>(seed, totals); break;
    }
  }
  CHECK(totals.cases == static_cast<std::size_t>(property_cases));
  // The property cases exercise the difference between the strategies.
  CHECK(totals.minimal_fewer_writes + totals.minimal_fewer_slices > 0);
}

TEST_CASE("reconcile: compaction merges underfull slices within its budget", "[reconcile]") {
  // Ten slices of ten endpoints (10% full) that nothing else would touch.
  std::vector<endpoint_slice_v4> existing;
  for (unsigned k = 0; k < 10; ++k) existing.push_back(fixture_slice("foo-" + std::to_string(k), range(k * 10, k * 10 + 10)));
  const auto desired = fixture_desired(range(0, 100));
  for (auto strategy : both_strategies) {
    INFO(to_string(strategy));
    reconcile_options o = with_strategy(strategy);
    REQUIRE(reconcile(desired, existing, o).empty());
    // Off unless both settings are set.
    o.compaction.min_fullness = 0.5;
    REQUIRE(reconcile(desired, existing, o).empty());
    // Half full at least: slices are emptied into one receiver (an update) and deleted until two
    // slices hold the hundred endpoints (100 / (2 x 100) = 0.5): one update, eight deletes.
    o.compaction.max_extra_writes = 100;
    auto plan = reconcile(desired, existing, o);
    CHECK(plan.stats.updates == 1);
    CHECK(plan.stats.deletes == 8);
    CHECK(plan.stats.creates == 0);
    CHECK(plan.stats.writes == 9);
    CHECK(plan.stats.compaction_writes == 9);
    CHECK(plan.stats.slices_compacted == 8);
    CHECK(plan.stats.endpoints_moved == 80);
    auto after = epslice::apply(plan, existing);
    CHECK(sizes(after) == std::multiset<std::size_t>{10, 90});
    CHECK(reconcile(desired, after, o).empty());
    // Full: down to the one slice that holds them all.
    o.compaction.min_fullness = 1.0;
    plan = reconcile(desired, existing, o);
    CHECK(plan.stats.writes == 10);
    after = epslice::apply(plan, existing);
    CHECK(sizes(after) == std::multiset<std::size_t>{100});
    CHECK(reconcile(desired, after, o).empty());
    // A budget of three writes: one receiver and two deletes; the next reconcile goes on.
    o.compaction.max_extra_writes = 3;
    plan = reconcile(desired, existing, o);
    CHECK(plan.stats.writes == 3);
    CHECK(plan.stats.compaction_writes == 3);
    after = epslice::apply(plan, existing);
    CHECK(sizes(after) == std::multiset<std::size_t>{10, 10, 10, 10, 10, 10, 10, 30});
    plan = reconcile(desired, after, o);
    CHECK(plan.stats.writes == 3);
    CHECK(sizes(epslice::apply(plan, after)) == std::multiset<std::size_t>{10, 10, 10, 10, 10, 50});
  }
}

TEST_CASE("reconcile: compaction rides on slices written anyway", "[reconcile]") {
  // Five slices of 20; 10 new endpoints arrive, so the strategy writes one slice anyway. Emptying the
  // other slices into it costs their deletes only.
  std::vector<endpoint_slice_v4> existing;
  for (unsigned k = 0; k < 5; ++k) existing.push_back(fixture_slice("foo-" + std::to_string(k), range(k * 20, k * 20 + 20)));
  const auto desired = fixture_desired(range(0, 110));
  reconcile_options o = with_strategy(reconcile_strategy::minimal);
  const auto base = reconcile(desired, existing, o);
  REQUIRE(base.stats.writes == 1);
  o.compaction = {0.9, 10};
  const auto plan = reconcile(desired, existing, o);
  check_plan_safety(desired, existing, plan, 100);
  // 110 endpoints need two slices: three unchanged slices are emptied into the one written anyway
  // (three deletes, no extra update).
  CHECK(sizes(epslice::apply(plan, existing)) == std::multiset<std::size_t>{20, 90});
  CHECK(plan.stats.compaction_writes == 3);
  CHECK(plan.stats.slices_compacted == 3);
  CHECK(plan.stats.writes == base.stats.writes + plan.stats.compaction_writes);
}

TEST_CASE("reconcile: compaction options are checked and the planner refuses them", "[reconcile]") {
  reconcile_options o;
  o.compaction.min_fullness = 1.5;
  const auto errors = validate(o);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "compaction.min_fullness");
  CHECK_THROWS_AS(reconcile(fixture_desired({1}), std::vector<endpoint_slice_v4>{}, o), error);
  o.compaction = {0.5, 4};
  CHECK_THROWS_WITH(slice_planner<ipv4>(fixture_desired({}), {}, o), Catch::Contains("compaction"));
  // Either setting at zero turns compaction off: the planner takes such options (with a settled
  // layout, as it always needs).
  CHECK(o.compaction.enabled());
  CHECK(compaction_options::recommended().enabled());
  const auto d = fixture_desired({1, 2});
  const std::vector<endpoint_slice_v4> none;
  const auto settled = epslice::apply(reconcile(d, none), none);
  for (const compaction_options off : {compaction_options{}, compaction_options{0.0, 4}, compaction_options{0.5, 0}}) {
    CHECK_FALSE(off.enabled());
    o.compaction = off;
    CHECK_NOTHROW(slice_planner<ipv4>(d, settled, o));
  }
}

// ---- the stages on hand-built prepared states ----------------------------------------------------------

namespace {
// A prepared family built by hand, the way slice_planner builds the small problem of a change:
// owned slices in name order with what each keeps, then the endpoints found in no slice. The
// service, options, slices and endpoints it refers to live here, beside it.
struct hand_built {
  service_identity svc = fixture_service();
  reconcile_options options;
  std::vector<endpoint_slice_v4> slices;  // owned, fixture ports, in name order
  std::vector<endpoint_v4> fresh;
  std::optional<detail::prepared_family<ipv4>> p;

  // `changed[k]`: slice k's first endpoint has a new desired version; `lost[k]`: it loses its
  // last entry. The group of every slice is the fixture's port set. With `unlisted`, slices that
  // neither change nor lose anything are added without their endpoints (as slice_planner does).
  void build(const std::vector<bool>& changed, const std::vector<bool>& lost, bool unlisted = false) {
    p.emplace(svc, options, slices.size());
    const auto gi = p->add_group(slices.at(0).ports, detail::port_set_hash(slices.at(0).ports));
    for (std::size_t k = 0; k < slices.size(); ++k) {
      if (unlisted && !changed[k] && !lost[k]) {
        CHECK(p->add_unchanged_slice(slices[k], gi) == k);
        continue;
      }
      CHECK(p->add_owned_slice(slices[k], gi) == k);
      const auto& eps = slices[k].endpoints;
      for (std::size_t i = 0; i < eps.size(); ++i) {
        if (lost[k] && i + 1 == eps.size()) {
          p->drop_endpoint();
          continue;
        }
        const bool change = changed[k] && i == 0;
        p->keep_endpoint(eps[i], change ? detail::kept_endpoint::changed : detail::kept_endpoint::same);
      }
    }
    for (const auto& e : fresh) p->add_remaining(gi, e);
  }
};

std::vector<std::size_t> draft_sizes(const detail::prepared_family<ipv4>& p, const std::vector<detail::slice_draft>& v) {
  std::vector<std::size_t> out;
  for (const auto& o : v) out.push_back(p.draft_size(o));
  return out;
}
}  // namespace

TEST_CASE("reconcile stages: plan_kubernetes fills updated slices fullest first, then the closest fit", "[reconcile]") {
  // Upstream's TestReconcileEndpointSlicesUpdatePacking: slices of 80 and 20 are both updated; 15
  // new endpoints go to the fuller one.
  hand_built h;
  h.options = with_strategy(reconcile_strategy::kubernetes);
  h.slices = {fixture_slice("foo-1", range(0, 80)), fixture_slice("foo-2", range(100, 120))};
  for (unsigned n : range(200, 215)) h.fresh.push_back(pod_endpoint(n));
  h.build({true, true}, {false, false});
  CHECK(h.p->added() == 15);
  CHECK(h.p->changed() == 2);
  auto d = detail::plan_kubernetes(*h.p);
  CHECK(d.creates.empty());
  CHECK(d.deletes.empty());
  REQUIRE(d.updates.size() == 2);
  CHECK(d.updates[0].src == 0);  // name order
  CHECK(draft_sizes(*h.p, d.updates) == std::vector<std::size_t>{95, 20});
  CHECK_FALSE(d.updates[0].keep_existing);

  // Upstream's TestReconcileEndpointSlicesSomePreexisting: unchanged slices of 62 and 61, 127 new
  // endpoints: a new slice of 100, and the 27 left go to the slice they fill closest to full.
  hand_built g;
  g.options = with_strategy(reconcile_strategy::kubernetes);
  g.slices = {fixture_slice("foo-1", range(0, 62)), fixture_slice("foo-2", range(100, 161))};
  for (unsigned n : range(200, 327)) g.fresh.push_back(pod_endpoint(n));
  g.build({false, false}, {false, false});
  d = detail::plan_kubernetes(*g.p);
  REQUIRE(d.creates.size() == 1);
  CHECK(d.creates[0].eps.size() == 100);
  REQUIRE(d.updates.size() == 1);
  CHECK(d.updates[0].src == 0);
  CHECK(d.updates[0].keep_existing);
  CHECK_FALSE(d.updates[0].relabel);
  CHECK(g.p->draft_size(d.updates[0]) == 89);
  // The same plan when the unchanged slices are added without their endpoints.
  detail::plan_meter<ipv4> meter;
  detail::finish_draft(*g.p, d);
  const auto listed = detail::build_plan(*g.p, d, meter);
  g.build({false, false}, {false, false}, true);
  CHECK_FALSE(g.p->lists_every_endpoint());
  auto u = detail::plan_kubernetes(*g.p);
  detail::finish_draft(*g.p, u);
  meter.clear();
  CHECK(same_plan(detail::build_plan(*g.p, u, meter), listed));
}

TEST_CASE("reconcile stages: plan_minimal repacks slices written anyway and deletes the rest", "[reconcile]") {
  // Three slices of 30 each lose one endpoint; with 5 new endpoints the 92 endpoints fit in one
  // slice: minimal keeps the first (most kept, then name order) and empties the other two into it;
  // kubernetes updates all three.
  hand_built h;
  h.options = with_strategy(reconcile_strategy::minimal);
  h.slices = {fixture_slice("foo-1", range(0, 30)), fixture_slice("foo-2", range(30, 60)), fixture_slice("foo-3", range(60, 90))};
  for (unsigned n : range(200, 205)) h.fresh.push_back(pod_endpoint(n));
  h.build({false, false, false}, {true, true, true});
  CHECK(h.p->removed_entries() == 3);
  const auto m = detail::plan_minimal(*h.p);
  CHECK(m.creates.empty());
  REQUIRE(m.updates.size() == 1);
  CHECK(m.updates[0].src == 0);
  CHECK(m.updates[0].eps.size() == 92);
  CHECK(m.deletes == std::vector<std::uint32_t>{1, 2});
  const auto k = detail::plan_kubernetes(*h.p);
  CHECK(k.updates.size() == 3);
  CHECK(k.deletes.empty());
  // Finished, minimal's draft wins on writes (3 against 3) and slices (1 against 3).
  detail::plan_meter<ipv4> meter;
  const auto chosen = detail::decide_family(*h.p, meter);
  CHECK(detail::same_shape(chosen, [&] {
    auto x = m;
    detail::finish_draft(*h.p, x);
    return x;
  }()));
  CHECK(chosen.moved == 58);
}

TEST_CASE("reconcile stages: compact empties underfull slices within its budget", "[reconcile]") {
  hand_built h;
  h.options = with_strategy(reconcile_strategy::kubernetes);
  for (unsigned k = 0; k < 10; ++k) h.slices.push_back(fixture_slice("foo-" + std::to_string(k), range(k * 10, k * 10 + 10)));
  h.options.compaction = {0.5, 100};
  h.build(std::vector<bool>(10, false), std::vector<bool>(10, false));
  const auto plain = detail::plan_kubernetes(*h.p);
  CHECK(plain.writes() == 0);
  const auto c = detail::compact(*h.p, plain);
  // One unchanged slice receives the endpoints of eight others (one update), which are deleted.
  CHECK(c.slices_compacted == 8);
  REQUIRE(c.updates.size() == 1);
  CHECK(c.updates[0].keep_existing);
  CHECK(h.p->draft_size(c.updates[0]) == 90);
  CHECK(c.deletes.size() == 8);
  // A budget of three writes: one receiver, two deletes.
  h.options.compaction.max_extra_writes = 3;
  const auto small = detail::compact(*h.p, plain);
  CHECK(small.writes() == 3);
  CHECK(small.slices_compacted == 2);
  // Compaction empties unchanged slices: it needs their endpoints listed.
  h.build(std::vector<bool>(10, false), std::vector<bool>(10, false), true);
  CHECK_THROWS_WITH(detail::compact(*h.p, detail::plan_kubernetes(*h.p)),
                    "compaction: Invalid value: compaction needs the endpoints of every slice (a slice was added unlisted)");
}

TEST_CASE("reconcile stages: finish_draft adds the placeholder and recycles creates into deleted slices", "[reconcile]") {
  // Every endpoint of both slices is gone: both are deleted, so the family gets the placeholder,
  // which takes the name of the first slice deleted.
  hand_built h;
  h.options = with_strategy(reconcile_strategy::kubernetes);
  h.slices = {fixture_slice("foo-1", {1}), fixture_slice("foo-2", {2})};
  h.build({false, false}, {true, true});
  auto d = detail::plan_kubernetes(*h.p);
  CHECK(d.deletes == std::vector<std::uint32_t>{0, 1});
  detail::finish_draft(*h.p, d);
  CHECK(d.creates.empty());
  REQUIRE(d.updates.size() == 1);
  CHECK(d.updates[0].group == detail::placeholder_group);
  CHECK(d.updates[0].target == 0);
  CHECK(d.deletes == std::vector<std::uint32_t>{1});
  // Built, it is the empty placeholder under foo-1's name.
  detail::plan_meter<ipv4> meter;
  const auto plan = detail::build_plan(*h.p, d, meter);
  REQUIRE(plan.update.size() == 1);
  CHECK(plan.update[0].metadata.name == "foo-1");
  CHECK(plan.update[0].endpoints.empty());
  CHECK(plan.update[0].ports.empty());
  CHECK(plan.stats.endpoints_removed == 2);
  REQUIRE(plan.remove.size() == 1);
  CHECK(plan.remove[0].metadata.name == "foo-2");
  // The same as reconcile() on the same input.
  const std::vector<endpoint_slice_v4> slices = h.slices;
  CHECK(same_plan(plan, reconcile(fixture_desired({}), slices, h.options)));
}

// ---- one identity for every user (detail/identity.hpp) ---------------------------------------------

namespace {
// An endpoint drawn from a small vocabulary, so that pairs often share an identity: one or two
// of three addresses in either order, hostname nil / "" / "h", targetRef absent / empty / one of
// two names, fields beyond identity varied.
endpoint_v4 vocabulary_endpoint(splitmix64& rng) {
  endpoint_v4 e;
  const unsigned first = static_cast<unsigned>(rng.below(3));
  e.addresses.push_back(ipv4_address::from_uint(0x0a000000u + first));
  if (rng.below(2)) e.addresses.push_back(ipv4_address::from_uint(0x0a000000u + (first + 1 + static_cast<unsigned>(rng.below(2))) % 3));
  if (rng.below(2) && e.addresses.size() == 2) std::swap(e.addresses[0], e.addresses[1]);
  switch (rng.below(3)) {
    case 0: break;
    case 1: e.hostname = ""; break;
    default: e.hostname = "h"; break;
  }
  switch (rng.below(4)) {
    case 0: break;
    case 1: e.target_ref = object_reference{}; break;
    default: e.target_ref = object_reference{"Pod", "ns", rng.below(2) ? "a" : "b", "uid-" + std::to_string(rng.below(3)), "", "", "", {}};
  }
  e.node_name = "node-" + std::to_string(rng.below(2));
  if (rng.below(2)) e.conditions.ready = rng.below(2) == 0;
  return e;
}

// Endpoint identity as independent text: sorted addresses, hostname (nil == ""), targetRef
// namespace and name (an absent reference has empty ones).
std::string identity_text(const endpoint_v4& e) {
  std::vector<std::string> addresses;
  for (const auto& a : e.addresses) {
    std::string text;
    ipv4::format(text, a);
    addresses.push_back(text);
  }
  std::sort(addresses.begin(), addresses.end());
  std::string out;
  for (const auto& a : addresses) out += a + ",";
  out += "|" + e.hostname.value_or("") + "|";
  out += e.target_ref ? e.target_ref->namespace_ + "/" + e.target_ref->name : std::string("/");
  return out;
}

// A port list drawn from a small vocabulary: up to three ports, nil and empty fields apart.
nullable_vector<endpoint_port> vocabulary_ports(splitmix64& rng) {
  nullable_vector<endpoint_port> out;
  if (rng.below(2)) out.set_empty_not_nil();
  for (std::uint64_t k = 0, n = rng.below(4); k < n; ++k) {
    endpoint_port p;
    if (rng.below(3)) p.name = rng.below(2) ? "http" : "";
    if (rng.below(3)) p.protocol = "TCP";
    if (rng.below(4)) p.port = 80;
    if (rng.below(4) == 0) p.app_protocol = "h2";
    out.push_back(p);
  }
  return out;
}

// Port-set identity as independent text: each port's fields with nil marked, sorted.
std::string port_set_text(const std::vector<endpoint_port>& ports) {
  std::vector<std::string> each;
  const auto field = [](const std::optional<std::string>& v) { return v ? "=" + *v : std::string("-"); };
  for (const auto& p : ports)
    each.push_back(field(p.name) + field(p.protocol) + (p.port ? "=" + std::to_string(*p.port) : "-") + field(p.app_protocol));
  std::sort(each.begin(), each.end());
  std::string out;
  for (const auto& x : each) out += x + ";";
  return out;
}
}  // namespace

TEST_CASE("identity: reconcile, topology and convert agree on endpoint and port-set identity", "[reconcile][identity]") {
  splitmix64 rng{2024};
  const std::vector<endpoint_slice_v4> none;
  for (int i = 0; i < 3000; ++i) {
    INFO("case " << i);
    const endpoint_v4 a = vocabulary_endpoint(rng), b = vocabulary_endpoint(rng);
    const bool same = identity_text(a) == identity_text(b);
    CHECK(detail::same_endpoint_identity(a, b) == same);
    if (same) CHECK(detail::endpoint_identity_hash(a) == detail::endpoint_identity_hash(b));
    // reconcile: two desired endpoints of one identity collapse into one.
    desired_state<ipv4> d = fixture_desired({});
    d.groups.emplace_back();
    d.groups[0].endpoints = {a, b};
    CHECK(reconcile(d, none).stats.endpoints_written == (same ? 1u : 2u));
    // topology: the hints of a previous endpoint carry over to an endpoint of the same identity.
    endpoint_slice_v4 previous = fixture_slice("foo-1", {});
    previous.endpoints.push_back(a);
    previous.endpoints.back().hints.emplace();
    previous.endpoints.back().hints->for_zones.push_back({"zone-a"});
    slice_set<ipv4> set;
    set.update.push_back(fixture_slice("foo-1", {}));
    set.update[0].endpoints.push_back(b);
    const auto carried = carry_over_hints(set, std::span<const endpoint_slice_v4>(&previous, 1));
    CHECK(carried.update[0].endpoints[0].hints.has_value() == same);

    const auto x = vocabulary_ports(rng), y = vocabulary_ports(rng);
    const bool same_ports = port_set_text(x) == port_set_text(y);
    CHECK(detail::same_port_set(x, y) == same_ports);
    if (same_ports) CHECK(detail::port_set_hash(x) == detail::port_set_hash(y));
    // reconcile: groups of the same port set merge into one set of slices.
    desired_state<ipv4> g = fixture_desired({});
    g.groups.resize(2);
    g.groups[0].ports = x;
    g.groups[1].ports = y;
    g.groups[0].endpoints.push_back(pod_endpoint(1));
    g.groups[1].endpoints.push_back(pod_endpoint(2));
    CHECK(reconcile(g, none).create.size() == (same_ports ? 1u : 2u));
    // convert: the mirroring controller puts subsets of the same port set into one slice.
    endpoints ep;
    ep.metadata.name = "foo";
    ep.metadata.namespace_ = "test";
    for (const auto* ports : {&x, &y}) {
      endpoint_subset subset;
      subset.addresses.push_back(endpoint_address{ports == &x ? "10.1.0.1" : "10.1.0.2", "", std::nullopt, std::nullopt, {}});
      for (const auto& p : *ports) {
        endpoints_port lp;
        lp.name = p.name.value_or("");
        lp.protocol = p.protocol.value_or("");
        lp.port = p.port.value_or(0);
        lp.app_protocol = p.app_protocol;
        subset.ports.push_back(lp);
      }
      ep.subsets.push_back(subset);
    }
    // (Legacy ports have no nil name or protocol: compare the lists the mirror sees.)
    const auto legacy = [](const nullable_vector<endpoint_port>& ports) {
      std::vector<endpoint_port> out;
      for (auto p : ports) {
        p.name = p.name.value_or("");
        p.protocol = p.protocol.value_or("");
        p.port = p.port.value_or(0);
        out.push_back(p);
      }
      return out;
    };
    // Mirroring leaves out ports a slice cannot hold (a number outside 1..65535, a name repeated
    // within the subset; test_convert.cpp covers those), so only lists of keepable ports compare.
    const auto all_kept = [](const std::vector<endpoint_port>& ports) {
      for (std::size_t m = 0; m < ports.size(); ++m) {
        if (*ports[m].port < 1 || *ports[m].port > 65535) return false;
        for (std::size_t k = m + 1; k < ports.size(); ++k)
          if (*ports[m].name == *ports[k].name) return false;
      }
      return true;
    };
    if (!all_kept(legacy(x)) || !all_kept(legacy(y))) continue;
    // Repacking splits subsets by the addresses of each port, so different port sets can make
    // more than two slices; the same port set makes exactly one.
    const bool same_legacy = detail::same_port_set(legacy(x), legacy(y));
    CHECK((mirror_endpoints(ep).ipv4.size() == 1) == same_legacy);
  }
}

// ---- speed paths, bytes written, the incremental planner -------------------------------------------

#include <epslice/detail/json_size.hpp>
#include <epslice/detail/json_writer.hpp>

TEST_CASE("reconcile: a handed-over desired state gives the same plan, bytes_written is the JSON size", "[reconcile]") {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    splitmix64 rng{seed};
    const auto now = property_desired<ipv4>(rng, fixture_service(), 40);
    const auto old = property_desired<ipv4>(rng, fixture_service(), 40);
    const std::vector<endpoint_slice_v4> none;
    for (auto strategy : both_strategies) {
      reconcile_options o;
      o.max_endpoints_per_slice = 1 + rng.below(10);
      o.strategy = strategy;
      const auto existing = epslice::apply(reconcile(old, none, o), none);
      const auto plan = reconcile(now, existing, o);
      auto copy = now;
      const auto moved = reconcile(std::move(copy), existing, o);
      REQUIRE(same_plan(moved, plan));
      std::size_t bytes = 0;
      for (const auto* list : {&plan.create, &plan.update})
        for (const auto& s : *list) {
          std::string text;
          detail::write_endpoint_slice(text, s);
          bytes += text.size();
        }
      REQUIRE(plan.stats.bytes_written == bytes);
      o.measure_bytes = false;
      CHECK(reconcile(now, existing, o).stats.bytes_written == 0);
    }
  }
}

TEST_CASE("reconcile: a plan's endpoints share their references with the desired state until written", "[reconcile]") {
  // Copying an endpoint into a plan costs no allocation for its targetRef: the plan and the
  // desired state read the same value, and a write to either leaves the other alone.
  desired_state<ipv4> d = scenario_service();
  for (std::uint64_t i = 0; i < 250; ++i) d.groups[0].endpoints.push_back(scenario_endpoint(i));
  const std::vector<endpoint_slice_v4> none;
  slice_plan<ipv4> plan = reconcile(d, none, reconcile_options{});
  REQUIRE(plan.create.size() == 3);
  const auto& first = std::as_const(d.groups[0].endpoints[0].target_ref);
  const auto& written = std::as_const(plan.create[0].endpoints[0].target_ref);
  REQUIRE(written == first);
  CHECK(&*written == &*first);
  plan.create[0].endpoints[0].target_ref->name = "renamed";
  CHECK(std::as_const(plan.create[0].endpoints[0].target_ref)->name == "renamed");
  CHECK(first->name == "pod-0");
  CHECK(&*std::as_const(plan.create[0].endpoints[0].target_ref) != &*first);
  // The other endpoints still share theirs.
  CHECK(&*std::as_const(plan.create[0].endpoints[1].target_ref) == &*std::as_const(d.groups[0].endpoints[1].target_ref));
}

// Text that exercises every branch of the JSON string writer: plain ASCII, characters escaped
// short or as \u00XX, HTML characters, multi-byte UTF-8, U+2028, invalid UTF-8.
std::string tricky_text(splitmix64& rng) {
  static const char* const pieces[] = {"a", "pod-7", "\"", "\\", "\n", "\t", "\x01", "<", ">", "&", "\xc3\xa9",
                                       "\xe2\x80\xa8", "\xe2\x80\xa9", "\xf0\x9f\x98\x80", "\xff", "\xc3", " ", "z9"};
  std::string out;
  const auto n = rng.below(6);
  for (std::uint64_t k = 0; k < n; ++k) out += pieces[rng.below(rng.below(4) == 0 ? std::size(pieces) : 2)];
  return out;
}

template <class F>
basic_endpoint<F> tricky_endpoint(unsigned id, splitmix64& rng) {
  basic_endpoint<F> e;
  const auto text = [&]() -> std::optional<std::string> {
    if (rng.below(3) == 0) return std::nullopt;
    return tricky_text(rng);
  };
  if (rng.below(8) == 0) {
    e.addresses.set_nil();
  } else {
    e.addresses.set_empty_not_nil();
    const auto count = rng.below(4);
    for (unsigned k = 0; k < count; ++k) {
      if constexpr (std::is_same_v<F, fqdn>)
        e.addresses.push_back("h" + std::to_string(id) + tricky_text(rng));
      else
        e.addresses.push_back(property_address<F>(static_cast<unsigned>(rng.below(70000)) * 4099u + id));
    }
  }
  if (rng.below(2)) e.conditions.ready = rng.below(2) == 0;
  if (rng.below(2)) e.conditions.serving = rng.below(2) == 0;
  if (rng.below(2)) e.conditions.terminating = rng.below(2) == 0;
  e.hostname = text();
  if (rng.below(4)) {
    object_reference r;
    for (std::string* f : {&r.kind, &r.namespace_, &r.name, &r.uid})
      if (rng.below(2)) *f = tricky_text(rng);
    for (heap_string* f : {&r.api_version, &r.resource_version, &r.field_path})
      if (rng.below(2)) *f = tricky_text(rng);
    if (rng.below(6) == 0) r.extra->push_back({"x" + tricky_text(rng), "[1,2]"});
    e.target_ref = std::move(r);
  }
  e.node_name = text();
  e.zone = text();
  if (rng.below(6) == 0) e.deprecated_topology[tricky_text(rng)] = tricky_text(rng);
  if (rng.below(6) == 0) {
    e.hints.emplace();
    e.hints->for_zones.push_back({tricky_text(rng)});
  }
  if (rng.below(6) == 0) e.extra.edit().push_back({"future", "{\"a\":true}"});
  return e;
}

template <class F>
void check_endpoint_sizes(std::uint64_t seed) {
  splitmix64 rng{seed};
  std::string buffer, text;
  for (unsigned i = 0; i < 2000; ++i) {
    const auto e = tricky_endpoint<F>(i, rng);
    text.clear();
    detail::write_endpoint(text, e);
    INFO(text);
    REQUIRE(detail::endpoint_json_size(e, buffer) == text.size());
  }
}

namespace {
template <class F>
void check_one_pass_plan(splitmix64& rng) {
  reconcile_options o;
  o.strategy = rng.below(2) ? reconcile_strategy::minimal : reconcile_strategy::kubernetes;
  o.max_endpoints_per_slice = 1 + rng.below(7);
  o.measure_bytes = rng.below(4) != 0;
  if (rng.below(3) == 0) o.trigger_time = "2024-01-01T00:00:00Z";
  service_identity svc = fixture_service();
  if (rng.below(2)) svc.labels = {{"app", "web"}, {"tier", "front\"<edge>\""}};
  if (rng.below(4) == 0) svc.uid.clear();
  desired_state<F> d = property_desired<F>(rng, svc, 1 + static_cast<unsigned>(rng.below(40)));
  if (!d.groups.empty() && rng.below(4) == 0) {  // an endpoint without addresses is skipped
    auto e = property_endpoint<F>(7, rng);
    e.addresses.clear();
    d.groups[rng.below(d.groups.size())].endpoints.push_back(e);
  }
  const std::vector<basic_endpoint_slice<F>> none;
  const auto direct = detail::reconcile_family<F>(d, none, o, detail::scratch_path::one_pass);
  const auto general = detail::reconcile_family<F>(d, none, o, detail::scratch_path::general);
  CHECK(same_plan(direct, general));
  desired_state<F> d1 = d, d2 = d;  // handed over: endpoints are moved
  CHECK(same_plan(detail::reconcile_family<F>(std::move(d1), none, o, detail::scratch_path::one_pass), general));
  CHECK(same_plan(detail::reconcile_family<F>(std::move(d2), none, o, detail::scratch_path::general), general));
  check_plan_safety(d, none, direct, o.max_endpoints_per_slice);
}
}  // namespace

TEST_CASE("reconcile: a family with no slice is planned in one pass exactly as by the general path", "[reconcile][property]") {
#ifdef EPSLICE_SANITIZE_BUILD
  constexpr int cases = 300;
#else
  constexpr int cases = 3000;
#endif
  for (int i = 0; i < cases; ++i) {
    INFO("case " << i);
    splitmix64 rng{static_cast<std::uint64_t>(i) * std::uint64_t{0x9E3779B97F4A7C15u} + 11};
    if (i % 2)
      check_one_pass_plan<ipv4>(rng);
    else
      check_one_pass_plan<fqdn>(rng);
  }
}

TEST_CASE("reconcile: an endpoint's measured size is its encoded size, for every field and escape", "[reconcile]") {
  check_endpoint_sizes<ipv4>(11);
  check_endpoint_sizes<ipv6>(12);
  check_endpoint_sizes<fqdn>(13);
}

TEST_CASE("reconcile: bytes_written is the JSON size with hostile content, kept and recycled slices", "[reconcile]") {
#ifdef EPSLICE_SANITIZE_BUILD
  const std::uint64_t seeds = 20;
#else
  const std::uint64_t seeds = 150;
#endif
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    splitmix64 rng{seed * 7919};
    const auto make = [&](unsigned count) {
      desired_state<ipv4> d;
      d.service = fixture_service();
      d.groups.emplace_back();
      d.groups[0].ports.push_back(endpoint_port{std::string("http"), std::string("TCP"), 80, std::nullopt, {}});
      for (unsigned i = 0; i < count; ++i) {
        auto e = tricky_endpoint<ipv4>(static_cast<unsigned>(rng.below(60)), rng);
        if (e.addresses.empty()) e.addresses.push_back(property_address<ipv4>(static_cast<unsigned>(rng.below(60))));
        d.groups[0].endpoints.push_back(std::move(e));
      }
      return d;
    };
    const auto old = make(static_cast<unsigned>(rng.below(40)));
    auto now = old;
    for (unsigned k = static_cast<unsigned>(rng.below(12)); k > 0; --k) {
      auto more = make(1);
      now.groups[0].endpoints.push_back(std::move(more.groups[0].endpoints[0]));
    }
    if (!now.groups[0].endpoints.empty() && rng.below(2)) now.groups[0].endpoints.erase(now.groups[0].endpoints.begin());
    if (rng.below(3) == 0) now.service.labels["team"] = tricky_text(rng);
    const std::vector<endpoint_slice_v4> none;
    for (auto strategy : both_strategies) {
      reconcile_options o;
      o.max_endpoints_per_slice = 1 + rng.below(12);
      o.strategy = strategy;
      if (rng.below(2)) o.trigger_time = "2024-01-01T00:00:00Z";
      auto existing = epslice::apply(reconcile(old, none, o), none);
      if (!existing.empty() && rng.below(3) == 0) existing[0].extra.push_back({"future", "\"<x>\""});
      const auto plan = reconcile(now, existing, o);
      std::size_t bytes = 0;
      for (const auto* list : {&plan.create, &plan.update})
        for (const auto& s : *list) {
          std::string text;
          detail::write_endpoint_slice(text, s);
          bytes += text.size();
        }
      REQUIRE(plan.stats.bytes_written == bytes);
    }
  }
}

TEST_CASE("reconcile: by_zone layout labels each slice with its zone, no-zone endpoints have their own slices", "[reconcile]") {
  desired_state<ipv4> d;
  d.service = fixture_service();
  d.groups.emplace_back();
  for (unsigned i = 0; i < 7; ++i) {
    endpoint_v4 e;
    e.addresses.push_back(ipv4_address::from_uint(0x0a000000u + i));
    if (i % 3 != 2) e.zone = i % 3 == 0 ? "zone-a" : "zone-b";
    d.groups[0].endpoints.push_back(e);
  }
  reconcile_options o;
  o.layout = slice_layout::by_zone;
  o.max_endpoints_per_slice = 2;
  const std::vector<endpoint_slice_v4> none;
  const auto plan = reconcile(d, none, o);
  // zone-a: 3 endpoints (2 slices), zone-b: 2 (1 slice), no zone: 2 (1 slice).
  REQUIRE(plan.create.size() == 4);
  std::map<std::string, std::size_t> per_zone;
  for (const auto& s : plan.create) {
    const auto it = s.metadata.labels.find(std::string(well_known::zone_label));
    const std::string zone = it == s.metadata.labels.end() ? "-" : it->second;
    for (const auto& e : s.endpoints) CHECK(e.zone.value_or("-") == zone);
    per_zone[zone] += s.endpoints.size();
  }
  CHECK(per_zone == std::map<std::string, std::size_t>{{"-", 2}, {"zone-a", 3}, {"zone-b", 2}});
  // Switching the layout back rewrites the labelled slices into packed ones.
  const auto slices = epslice::apply(plan, none);
  REQUIRE(reconcile(d, slices, o).empty());
  o.layout = slice_layout::packed;
  const auto back = epslice::apply(reconcile(d, slices, o), slices);
  for (const auto& s : back) CHECK(s.metadata.labels.count(std::string(well_known::zone_label)) == 0);
  REQUIRE(reconcile(d, back, o).empty());
}

TEST_CASE("reconcile: by_zone puts endpoints whose zone is no label value in the slices without a zone", "[reconcile]") {
  // A zone label value is at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends;
  // slice validation does not check an endpoint's zone, so any text can arrive there.
  desired_state<ipv4> d;
  d.service = fixture_service();
  d.groups.emplace_back();
  const std::vector<std::optional<std::string>> zones = {"zone-a", std::string(64, 'z'), "-bad-", std::nullopt,
                                                         std::string(63, 'z')};
  for (unsigned i = 0; i < zones.size(); ++i) {
    endpoint_v4 e;
    e.addresses.push_back(ipv4_address::from_uint(0x0a000000u + i));
    if (zones[i]) e.zone = *zones[i];
    d.groups[0].endpoints.push_back(e);
  }
  reconcile_options o;
  o.layout = slice_layout::by_zone;
  const std::vector<endpoint_slice_v4> none;
  const auto plan = reconcile(d, none, o);
  std::map<std::string, std::size_t> per_label;
  for (const auto& s : plan.create) {
    CHECK(validate(s).empty());
    const auto it = s.metadata.labels.find(std::string(well_known::zone_label));
    per_label[it == s.metadata.labels.end() ? "-" : it->second] += s.endpoints.size();
  }
  CHECK(per_label == std::map<std::string, std::size_t>{{"-", 3}, {"zone-a", 1}, {std::string(63, 'z'), 1}});
  // The endpoints keep their zone as written; a second reconcile has nothing to do.
  REQUIRE(reconcile(d, epslice::apply(plan, none), o).empty());
}

namespace {
template <class F>
void run_planner_sequence(std::uint64_t seed, reconcile_strategy strategy) {
  splitmix64 rng{seed};
  reconcile_options o;
  o.strategy = strategy;
  o.max_endpoints_per_slice = std::size_t{1} + rng.below(6);
  desired_state<F> desired;
  desired.service = fixture_service();
  const std::uint64_t groups = 1 + rng.below(2);
  unsigned next_id = 0;
  for (std::uint64_t g = 0; g < groups; ++g) {
    endpoint_group<F> grp;
    auto ports = property_ports(g == 0 ? 0 : 4);
    grp.ports.assign(ports.begin(), ports.end());
    for (std::uint64_t k = 0, n = rng.below(25); k < n; ++k) grp.endpoints.push_back(property_endpoint<F>(next_id++, rng));
    desired.groups.push_back(std::move(grp));
  }
  const std::vector<basic_endpoint_slice<F>> none;
  slice_namer namer;
  std::vector<basic_endpoint_slice<F>> slices = epslice::apply(reconcile(desired, none, o), none, namer);
  slice_planner<F> planner(desired, slices, o, namer);
  for (int step = 0; step < 12; ++step) {
    endpoint_change<F> c;
    c.group = rng.below(desired.groups.size());
    auto& eps = desired.groups[c.group].endpoints;
    // Removals and updates of present endpoints (distinct identities), then additions.
    std::set<std::size_t> touched;
    for (std::uint64_t k = 0, n = eps.empty() ? 0 : rng.below(4); k < n; ++k) touched.insert(rng.below(eps.size()));
    std::vector<std::size_t> gone;
    for (std::size_t at : touched) {
      if (rng.below(2)) {
        c.removed.push_back(eps[at]);
        gone.push_back(at);
      } else {
        auto e = eps[at];
        e.conditions.ready = !e.conditions.ready.value_or(true);
        if (rng.below(3) == 0) e.node_name = "node-9";
        c.updated.push_back(e);
        eps[at] = e;
      }
    }
    for (auto it = gone.rbegin(); it != gone.rend(); ++it) eps.erase(eps.begin() + static_cast<std::ptrdiff_t>(*it));
    for (std::uint64_t k = 0, n = rng.below(step % 4 == 3 ? 12 : 4); k < n; ++k) {
      c.added.push_back(property_endpoint<F>(next_id++, rng));
      eps.push_back(c.added.back());
    }
    const auto want = reconcile(desired, slices, o);
    const auto got = planner.plan(c);
    REQUIRE(same_plan(got, want));
    REQUIRE(planner.decide(c).writes() == want.stats.writes);
    planner.commit(c, got);
    slices = epslice::apply(want, slices, namer);
    REQUIRE(planner.slices() == slices);
  }
}
}  // namespace

TEST_CASE("reconcile: slice_planner plans exactly as reconcile over random change sequences", "[reconcile][planner][property]") {
#ifdef EPSLICE_SANITIZE_BUILD
  constexpr int sequences = 60;
#else
  constexpr int sequences = 600;
#endif
  for (int i = 0; i < sequences; ++i) {
    INFO("sequence " << i);
    const std::uint64_t seed = static_cast<std::uint64_t>(i) * std::uint64_t{0xD1B54A32D192ED03u} + 7;
    const auto strategy = i % 2 ? reconcile_strategy::minimal : reconcile_strategy::kubernetes;
    switch (i % 3) {
      case 0: run_planner_sequence<ipv4>(seed, strategy); break;
      case 1: run_planner_sequence<ipv6>(seed, strategy); break;
      default: run_planner_sequence<fqdn>(seed, strategy); break;
    }
  }
}

TEST_CASE("reconcile: slice_planner decisions held together, moved or dropped stay correct", "[reconcile][planner]") {
  for (auto strategy : both_strategies) {
    splitmix64 rng{99};
    reconcile_options o;
    o.strategy = strategy;
    o.max_endpoints_per_slice = 4;
    desired_state<ipv4> d;
    d.service = fixture_service();
    d.groups.emplace_back();
    auto ports = property_ports(0);
    d.groups[0].ports.assign(ports.begin(), ports.end());
    for (unsigned i = 0; i < 21; ++i) d.groups[0].endpoints.push_back(property_endpoint<ipv4>(i, rng));
    const std::vector<endpoint_slice_v4> none;
    const auto slices = epslice::apply(reconcile(d, none, o), none);
    const slice_planner<ipv4> planner(d, slices, o);
    endpoint_change<ipv4> c1, c2;
    c1.removed.push_back(d.groups[0].endpoints[3]);
    c1.removed.push_back(d.groups[0].endpoints[9]);
    for (unsigned i = 100; i < 106; ++i) c2.added.push_back(property_endpoint<ipv4>(i, rng));
    auto d1 = d, d2 = d;
    d1.groups[0].endpoints.erase(d1.groups[0].endpoints.begin() + 9);
    d1.groups[0].endpoints.erase(d1.groups[0].endpoints.begin() + 3);
    for (const auto& e : c2.added) d2.groups[0].endpoints.push_back(e);
    const auto want1 = reconcile(d1, slices, o), want2 = reconcile(d2, slices, o);
    const auto same = [](const slice_plan<ipv4>& a, const slice_plan<ipv4>& b) { return same_plan(a, b); };
    auto first = planner.decide(c1);
    auto second = planner.decide(c2);  // made while the first is alive
    auto moved = std::move(first);
    { const auto dropped = planner.decide(c2); }  // its memory goes back to the planner
    const auto reused = planner.decide(c1);       // and is used again here
    CHECK(same(planner.build(moved), want1));
    CHECK(same(planner.build(second), want2));
    CHECK(same(planner.build(reused), want1));
    CHECK(same(planner.plan(c2), want2));
    second = planner.decide(c1);  // move assignment gives the old decision's memory back
    CHECK(same(planner.build(second), want1));
  }
}

TEST_CASE("reconcile: slice_planner plans stay valid and unchanged after the planner moves on", "[reconcile][planner]") {
  for (auto strategy : both_strategies) {
    splitmix64 rng{7};
    reconcile_options o;
    o.strategy = strategy;
    o.max_endpoints_per_slice = 5;
    desired_state<ipv4> d;
    d.service = fixture_service();
    d.groups.emplace_back();
    auto ports = property_ports(0);
    d.groups[0].ports.assign(ports.begin(), ports.end());
    for (unsigned i = 0; i < 23; ++i) d.groups[0].endpoints.push_back(property_endpoint<ipv4>(i, rng));
    const std::vector<endpoint_slice_v4> none;
    slice_namer namer;
    auto slices = epslice::apply(reconcile(d, none, o), none, namer);
    std::vector<slice_plan<ipv4>> plans, copies;
    // The text of every plan as it was made: a snapshot that shares nothing with the plans.
    const auto text_of = [](const slice_plan<ipv4>& plan) {
      std::string text;
      for (const auto* list : {&plan.create, &plan.update, &plan.remove})
        for (const auto& s : *list) detail::write_endpoint_slice(text, s);
      return text;
    };
    std::vector<std::string> snapshots;
    {
      slice_planner<ipv4> planner(d, slices, o, namer);
      for (unsigned step = 0; step < 8; ++step) {
        endpoint_change<ipv4> c;
        c.removed.push_back(d.groups[0].endpoints[step]);  // each removed once: the planner held it
        c.added.push_back(property_endpoint<ipv4>(100 + step, rng));
        auto u = d.groups[0].endpoints[step + 10];
        u.conditions.ready = !u.conditions.ready.value_or(true);
        c.updated.push_back(u);
        plans.push_back(planner.apply(c));
        copies.push_back(plans.back());
        snapshots.push_back(text_of(plans.back()));
        // A caller editing its copy of a plan (the copy shares the endpoints' references with the
        // plan and the planner until written) changes neither of them.
        slice_plan<ipv4> edited = plans.back();
        for (auto& s : edited.update)
          for (auto& e : s.endpoints)
            if (e.target_ref) e.target_ref->name += "-edited";
        for (auto& s : edited.create)
          for (auto& e : s.endpoints) e.hints.emplace().for_zones.push_back({"edited"});
        CHECK(text_of(plans.back()) == snapshots.back());
      }
    }  // the planner is gone; the plans it made are the caller's
    REQUIRE(plans.size() == copies.size());
    for (std::size_t i = 0; i < plans.size(); ++i) {
      INFO("plan " << i);
      CHECK(same_plan(plans[i], copies[i]));
      CHECK(text_of(plans[i]) == snapshots[i]);
      CHECK(text_of(copies[i]) == snapshots[i]);
      CHECK_FALSE(plans[i].empty());
      for (const auto& sl : plans[i].update) CHECK(sl.endpoints.size() <= o.max_endpoints_per_slice);
    }
  }
}

// The planner keeps each slice's header size and reuses it for an update whose labels and
// annotations stay; here the first write of every slice changes its annotations (a stale trigger
// time dropped, or replaced by the option's), so both the reused and the measured sizes are used.
TEST_CASE("reconcile: slice_planner's bytes_written stays exact when a written slice's header changes", "[reconcile][planner]") {
  for (const auto strategy : both_strategies) {
    for (const bool trigger : {false, true}) {
      INFO(to_string(strategy) << (trigger ? " with" : " without") << " a trigger time");
      reconcile_options o = with_strategy(strategy, 3);
      if (trigger) o.trigger_time = "2024-01-01T00:00:00Z";
      desired_state<ipv4> d = fixture_desired(range(1, 10));
      const std::vector<endpoint_slice_v4> none;
      slice_namer namer;
      auto slices = epslice::apply(reconcile(d, none, o), none, namer);
      for (auto& s : slices) s.metadata.annotations[std::string(well_known::trigger_time_annotation)] = "stale";
      REQUIRE(reconcile(d, slices, o).empty());
      slice_planner<ipv4> planner(d, slices, o, namer);
      unsigned next = 100;
      for (int step = 0; step < 8; ++step) {
        INFO("step " << step);
        endpoint_change<ipv4> c;
        auto& eps = d.groups[0].endpoints;
        // Replace the endpoint at a position that walks over the slices, so that each is
        // written more than once.
        const std::size_t at = static_cast<std::size_t>(step * 4) % eps.size();
        c.removed.push_back(eps[at]);
        eps.erase(eps.begin() + static_cast<std::ptrdiff_t>(at));
        c.added.push_back(pod_endpoint(next++));
        eps.push_back(c.added.back());
        const auto want = reconcile(d, slices, o);
        REQUIRE(want.stats.bytes_written > 0);
        const auto got = planner.plan(c);
        REQUIRE(same_plan(got, want));
        planner.commit(c, got);
        slices = epslice::apply(want, slices, namer);
        REQUIRE(planner.slices() == slices);
      }
    }
  }
}

TEST_CASE("reconcile: slice_planner refuses unsettled layouts and the by_zone layout", "[reconcile][planner]") {
  desired_state<ipv4> d;
  d.service = fixture_service();
  d.groups.emplace_back();
  endpoint_v4 e;
  e.addresses.push_back(ipv4_address::from_uint(0x0a000001u));
  d.groups[0].endpoints.push_back(e);
  const std::vector<endpoint_slice_v4> none;
  CHECK_THROWS_AS(slice_planner<ipv4>(d, none, {}), epslice::error);
  reconcile_options o;
  o.layout = slice_layout::by_zone;
  CHECK_THROWS_AS(slice_planner<ipv4>(d, epslice::apply(reconcile(d, none, o), none), o), epslice::error);
}
