// SPDX-License-Identifier: Apache-2.0
// Tests of topology.hpp: upstream's topologycache and trafficdist tables, precedence, stable hints.
#include <epslice/reconcile.hpp>
#include <epslice/simulate.hpp>
#include <epslice/topology.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace epslice;
using ep = endpoint_v4;
using slice = endpoint_slice_v4;
using slices = std::vector<slice>;
using opt_str = std::optional<std::string>;

std::uint32_t next_ip = 0x0a000001;

// An endpoint with an address, zone and ready condition (nullopt: no condition).
ep make_ep(std::string_view ip, opt_str zone, std::optional<bool> ready = true, opt_str node = std::nullopt) {
  ep e;
  e.addresses.push_back(*parse_ipv4(ip));
  e.zone = std::move(zone);
  e.conditions.ready = ready;
  e.node_name = std::move(node);
  return e;
}

endpoint_hints hints(std::vector<std::string> zones, std::vector<std::string> nodes = {}) {
  endpoint_hints h;
  for (auto& z : zones) h.for_zones.push_back({std::move(z)});
  for (auto& n : nodes) h.for_nodes.push_back({std::move(n)});
  return h;
}

ep hinted(ep e, std::vector<std::string> zones, std::vector<std::string> nodes = {}) {
  e.hints = hints(std::move(zones), std::move(nodes));
  return e;
}

slice make_slice(std::vector<ep> eps) {
  slice s;
  s.endpoints.set_empty_not_nil();
  for (auto& e : eps) s.endpoints.push_back(std::move(e));
  return s;
}

// The hinted zone of every endpoint ("-" for none, "a+b" for several), slice by slice.
std::vector<std::vector<std::string>> hint_zones(const slices& ss) {
  std::vector<std::vector<std::string>> out;
  for (const auto& s : ss) {
    std::vector<std::string> row;
    for (const auto& e : s.endpoints) {
      if (!e.hints) {
        row.push_back("-");
        continue;
      }
      std::string z;
      for (const auto& f : e.hints->for_zones) z += (z.empty() ? "" : "+") + f.name;
      if (!e.hints->for_nodes.empty()) {
        z += "@";
        for (const auto& f : e.hints->for_nodes) z += f.name;
      }
      row.push_back(z);
    }
    out.push_back(row);
  }
  return out;
}

// A slice of `ready` ready and `unready` not-ready endpoints (upstream's sliceWithNEndpoints).
slice slice_with_n(int ready, int unready) {
  std::vector<ep> eps;
  for (int i = 0; i < ready + unready; ++i) {
    ep e;
    e.addresses.push_back(ipv4_address::from_uint(next_ip++));
    e.conditions.ready = i < ready;
    eps.push_back(e);
  }
  return make_slice(std::move(eps));
}

node make_node(std::string name, std::string zone, std::string_view cpu, bool ready, string_map labels = {}) {
  node n;
  n.metadata.name = std::move(name);
  n.metadata.labels = std::move(labels);
  if (!zone.empty()) n.metadata.labels[std::string(well_known::zone_label)] = zone;
  n.ready = ready;
  n.allocatable_cpu_millis = parse_quantity_millis(cpu);
  return n;
}

zone_allocations desired_only(std::vector<std::pair<std::string, double>> d) {
  zone_allocations out;
  for (auto& [z, v] : d) out[z] = zone_allocation{0, 0, v};
  return out;
}

zone_allocations maximum_only(std::vector<std::pair<std::string, std::int64_t>> d) {
  zone_allocations out;
  for (auto& [z, v] : d) out[z] = zone_allocation{0, v, 0};
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Test_hintsEnabled (endpointslice/utils_test.go)

TEST_CASE("topology: hints enabled by annotation (Test_hintsEnabled)", "[topology]") {
  const std::string dep(well_known::topology_aware_hints_annotation);
  const std::string mode(well_known::topology_mode_annotation);
  struct row {
    const char* name;
    string_map annotations;
    bool want;
  };
  const std::vector<row> rows = {
      {"empty annotations", {}, false},
      {"different annotations", {{"topology-hints", "enabled"}}, false},
      {"hints annotation == enabled", {{dep, "enabled"}}, false},
      {"hints annotation == aUto", {{dep, "aUto"}}, false},
      {"hints annotation == auto", {{dep, "auto"}}, true},
      {"hints annotation == Auto", {{dep, "Auto"}}, true},
      {"hints annotation == disabled", {{dep, "disabled"}}, false},
      {"mode annotation == enabled", {{mode, "enabled"}}, false},
      {"mode annotation == aUto", {{mode, "aUto"}}, false},
      {"mode annotation == auto", {{mode, "auto"}}, true},
      {"mode annotation == Auto", {{mode, "Auto"}}, true},
      {"mode annotation == disabled", {{mode, "disabled"}}, false},
      {"mode annotation == disabled, hints annotation == auto", {{mode, "disabled"}, {dep, "auto"}}, true},
      {"mode annotation == auto, hints annotation == disabled", {{mode, "auto"}, {dep, "disabled"}}, false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(topology_hints_enabled(r.annotations) == r.want);
  }
}

// ---------------------------------------------------------------------------------------------
// TestSetNodes (endpointslice/topologycache/topologycache_test.go)

TEST_CASE("topology: zone capacity from nodes (TestSetNodes)", "[topology]") {
  const string_map cp{{std::string(well_known::control_plane_label), ""}};
  struct row {
    const char* name;
    std::vector<node> nodes;
    bool sufficient;
    zone_counts cpu;
    zone_ratios ratios;
  };
  const std::vector<row> rows = {
      {"empty", {}, false, {}, {}},
      {"single node", {make_node("n1", "zone-a", "1000m", true)}, false, {}, {}},
      {"single zone", {make_node("n1", "zone-a", "1000m", true), make_node("n2", "zone-a", "1000m", true)}, false, {}, {}},
      {"2 zones",
       {make_node("n1", "zone-a", "1000m", true), make_node("n2", "zone-b", "1000m", true)},
       true,
       {{"zone-a", 1000}, {"zone-b", 1000}},
       {{"zone-a", 0.5}, {"zone-b", 0.5}}},
      {"2 zones, unready node in 1, ready node in 1",
       {make_node("n1", "zone-a", "1000m", false), make_node("n2", "zone-b", "1000m", true)}, false, {}, {}},
      {"2 zones, control plane node in 1, ready node in 1",
       {make_node("n1", "zone-a", "1000m", true), make_node("n2", "zone-b", "1000m", true, cp)}, false, {}, {}},
      {"2 zones, unready node in 1, ready node in 2",
       {make_node("n1", "zone-a", "1000m", true), make_node("n2", "zone-b", "1000m", true),
        make_node("n3", "zone-b", "1000m", false)},
       true,
       {{"zone-a", 1000}, {"zone-b", 1000}},
       {{"zone-a", 0.5}, {"zone-b", 0.5}}},
      {"2 zones, control plane node in 1, ready node in 2",
       {make_node("n1", "zone-a", "1000m", true), make_node("n2", "zone-b", "1000m", true),
        make_node("n3", "zone-b", "1000m", true, cp)},
       true,
       {{"zone-a", 1000}, {"zone-b", 1000}},
       {{"zone-a", 0.5}, {"zone-b", 0.5}}},
      {"3 zones, 4 nodes in 1, 2 nodes in 1, 1 node in 1",
       {make_node("n1", "zone-a", "1000m", true), make_node("n2", "zone-a", "1000m", true),
        make_node("n3", "zone-a", "1000m", true), make_node("n4", "zone-a", "2000m", true),
        make_node("n5", "zone-b", "3000m", true), make_node("n6", "zone-b", "1500m", true),
        make_node("n7", "zone-c", "500m", true)},
       true,
       {{"zone-a", 5000}, {"zone-b", 4500}, {"zone-c", 500}},
       {{"zone-a", 0.5}, {"zone-b", 0.45}, {"zone-c", 0.05}}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto cap = compute_zone_capacity(r.nodes);
    CHECK(cap.sufficient == r.sufficient);
    CHECK(cap.ratios.has_value() == r.sufficient);
    CHECK(cap.cpu_millis == r.cpu);
    if (cap.ratios) CHECK(*cap.ratios == r.ratios);  // exact doubles, as upstream compares
  }
}

TEST_CASE("topology: zone capacity problems", "[topology]") {
  SECTION("a counted node without zone makes everything insufficient") {
    const std::vector<node> nodes = {make_node("a1", "zone-a", "1", true), make_node("x", "", "1", true),
                                     make_node("b1", "zone-b", "1", true)};
    const auto cap = compute_zone_capacity(nodes);
    CHECK_FALSE(cap.sufficient);
    CHECK(cap.problem == capacity_problem::node_missing_zone_or_cpu);
    CHECK(cap.offending_node == "x");
    CHECK(cap.cpu_millis.empty());
  }
  SECTION("a counted node without CPU, or with zero CPU") {
    auto no_cpu = make_node("x", "zone-b", "1", true);
    no_cpu.allocatable_cpu_millis.reset();
    for (const auto& bad : {no_cpu, make_node("y", "zone-b", "0", true)}) {
      const std::vector<node> nodes = {make_node("a1", "zone-a", "1", true), bad};
      const auto cap = compute_zone_capacity(nodes);
      CHECK(cap.problem == capacity_problem::node_missing_zone_or_cpu);
      CHECK(cap.offending_node == bad.metadata.name);
    }
  }
  SECTION("nodes lacking information are fine when not counted (unready, control plane)") {
    const string_map master{{std::string(well_known::master_label), "true"}};
    const std::vector<node> nodes = {make_node("a1", "zone-a", "1", true), make_node("x", "", "0", false),
                                     make_node("y", "", "0", true, master), make_node("b1", "zone-b", "3", true)};
    const auto cap = compute_zone_capacity(nodes);
    REQUIRE(cap.sufficient);
    CHECK(cap.total_cpu_millis == 4000);
    CHECK(*cap.ratios == zone_ratios{{"zone-a", 0.25}, {"zone-b", 0.75}});
  }
  SECTION("single zone and no nodes") {
    const std::vector<node> one = {make_node("a1", "zone-a", "1", true)};
    CHECK(compute_zone_capacity(one).problem == capacity_problem::fewer_than_two_zones);
    CHECK(compute_zone_capacity(std::span<const node>()).problem == capacity_problem::no_cpu);
  }
  SECTION("a counted node with negative CPU is a node without CPU") {
    const std::vector<node> nodes = {make_node("a1", "zone-a", "4", true), make_node("b1", "zone-b", "-1", true),
                                     make_node("c1", "zone-c", "4", true)};
    REQUIRE(nodes[1].allocatable_cpu_millis == -1000);
    const auto cap = compute_zone_capacity(nodes);
    CHECK_FALSE(cap.sufficient);
    CHECK(cap.problem == capacity_problem::node_missing_zone_or_cpu);
    CHECK(cap.offending_node == "b1");
    CHECK_FALSE(cap.ratios);
  }
}

TEST_CASE("topology: CPU sums beyond 64 bits are refused, up to the limit they are exact", "[topology]") {
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  SECTION("the largest quantity plus one millicore overflows, in either order") {
    for (const bool huge_first : {true, false}) {
      std::vector<node> nodes = {make_node("small", "zone-a", "1m", true),
                                 make_node("huge", "zone-b", "9223372036854775807m", true)};
      if (huge_first) std::swap(nodes[0], nodes[1]);
      REQUIRE(nodes[huge_first ? 0 : 1].allocatable_cpu_millis == max);
      const auto cap = compute_zone_capacity(nodes);
      INFO("huge first: " << huge_first);
      CHECK_FALSE(cap.sufficient);
      CHECK(cap.problem == capacity_problem::cpu_overflow);
      CHECK(cap.offending_node == nodes[1].metadata.name);
      CHECK_FALSE(cap.ratios);
      CHECK(cap.cpu_millis.empty());
      CHECK(cap.total_cpu_millis == 0);
      // No ratios: hints are not used, and nothing is hinted for a zone.
      slice_set<ipv4> in;
      in.update.push_back(make_slice({make_ep("10.0.0.1", "zone-a"), make_ep("10.0.0.2", "zone-b")}));
      const auto res = add_hints(in, cap.ratios, false);
      REQUIRE(res.unavailable);
      CHECK(res.unavailable->problem == hints_problem::insufficient_node_info);
      CHECK(hint_zones(res.slices.update) == std::vector<std::vector<std::string>>{{"-", "-"}});
    }
  }
  SECTION("a sum of exactly 2^63 - 1 millicores is sufficient, with shares in (0, 1]") {
    const std::vector<node> nodes = {make_node("a1", "zone-a", "9223372036854775806m", true),
                                     make_node("b1", "zone-b", "1m", true)};
    const auto cap = compute_zone_capacity(nodes);
    REQUIRE(cap.sufficient);
    CHECK(cap.total_cpu_millis == max);
    CHECK(cap.cpu_millis == zone_counts{{"zone-a", max - 1}, {"zone-b", 1}});
    REQUIRE(cap.ratios);
    for (const auto& [zone, r] : *cap.ratios) {
      INFO(zone);
      CHECK(r > 0.0);
      CHECK(r <= 1.0);
    }
  }
  SECTION("many large nodes in one zone overflow at the node that passes the limit") {
    std::vector<node> nodes = {make_node("b0", "zone-b", "1", true)};
    for (int i = 0; i < 5; ++i)
      nodes.push_back(make_node("a" + std::to_string(i), "zone-a", "3000000000000000000m", true));
    const auto cap = compute_zone_capacity(nodes);
    CHECK(cap.problem == capacity_problem::cpu_overflow);
    CHECK(cap.offending_node == "a3");  // 1000 + 3 * 3e18 fits; the fourth does not
  }
}

TEST_CASE("topology: allocations refuse ratios that are no shares, and stay exact for huge counts", "[topology]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const double bad : {nan, inf, -inf, -0.25, 1.5}) {
    INFO("ratio " << bad);
    const auto a = compute_allocations(zone_ratios{{"zone-a", 0.5}, {"zone-b", bad}}, 10);
    REQUIRE(a.error);
    CHECK(a.error->problem == hints_problem::insufficient_node_info);
    CHECK(a.allocations.empty());
  }
  // The extremes of a share are accepted.
  CHECK_FALSE(compute_allocations(zone_ratios{{"zone-a", 0.0}, {"zone-b", 1.0}}, 10).error);
  // N up to 2^63 - 1: every bound is within [0, N] and the minimums add up to at most N.
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  for (const std::int64_t n : {max, max - 1, max / 2, std::int64_t{100}}) {
    INFO("N = " << n);
    const auto a = compute_allocations(zone_ratios{{"zone-a", 0.5}, {"zone-b", 0.3}, {"zone-c", 0.2}}, n);
    REQUIRE_FALSE(a.error);
    std::int64_t min_total = 0;
    for (const auto& [zone, z] : a.allocations) {
      INFO(zone);
      CHECK(z.minimum >= 0);
      CHECK(z.minimum <= z.maximum);
      CHECK(z.maximum <= n);
      min_total += z.minimum;
    }
    CHECK(min_total <= n);
  }
  const auto skewed = compute_allocations(zone_ratios{{"zone-a", 1.0}, {"zone-b", 1.0}}, max);
  REQUIRE(skewed.error);  // both minimums are about 0.83 N
  CHECK(skewed.error->problem == hints_problem::min_allocation_exceeds_overload_threshold);
}

// ---------------------------------------------------------------------------------------------
// Allocations (docs/semantics.md#allocations).

TEST_CASE("topology: allocations and their errors", "[topology]") {
  CHECK(min_allocation_factor == 0.8333333333333334);
  const zone_ratios thirds{{"zone-a", 1.0 / 3}, {"zone-b", 1.0 / 3}, {"zone-c", 1.0 / 3}};
  struct row {
    const char* name;
    std::optional<zone_ratios> ratios;
    std::int64_t n;
    std::optional<hints_problem> problem;
    std::string message;
  };
  const std::vector<row> rows = {
      {"nil ratios", std::nullopt, 10, hints_problem::insufficient_node_info,
       "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes"},
      {"empty ratios", zone_ratios{}, 10, hints_problem::nodes_ready_in_one_zone_only, "Nodes only ready in one zone"},
      {"one zone", zone_ratios{{"zone-a", 1.0}}, 10, hints_problem::nodes_ready_in_one_zone_only,
       "Nodes only ready in one zone"},
      {"3 zones, 2 endpoints", thirds, 2, hints_problem::insufficient_number_of_endpoints,
       "Insufficient number of endpoints (2 endpoints, 3 zones)"},
      {"3 equal zones, 4 endpoints", thirds, 4, hints_problem::min_allocation_exceeds_overload_threshold,
       "Unable to allocate minimum required endpoints to each zone without exceeding overload threshold (4 endpoints, 3 zones)"},
      {"3 equal zones, 9 endpoints", thirds, 9, std::nullopt, ""},
      // Order of the checks: each row would also fail a later check.
      {"nil ratios, 0 endpoints", std::nullopt, 0, hints_problem::insufficient_node_info,
       "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes"},
      {"one zone, 0 endpoints", zone_ratios{{"zone-a", 1.0}}, 0, hints_problem::nodes_ready_in_one_zone_only,
       "Nodes only ready in one zone"},
      {"2 zones, 0 endpoints", zone_ratios{{"zone-a", 0.5}, {"zone-b", 0.5}}, 0,
       hints_problem::insufficient_number_of_endpoints, "Insufficient number of endpoints (0 endpoints, 2 zones)"},
      {"2 zones, 2 endpoints, skewed (minimums 2 + 1)", zone_ratios{{"zone-a", 0.9}, {"zone-b", 0.1}}, 2,
       hints_problem::min_allocation_exceeds_overload_threshold,
       "Unable to allocate minimum required endpoints to each zone without exceeding overload threshold (2 endpoints, 2 zones)"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto a = compute_allocations(r.ratios, r.n);
    if (r.problem) {
      REQUIRE(a.error);
      CHECK(a.error->problem == *r.problem);
      CHECK(a.error->message == r.message);
      CHECK(a.allocations.empty());
    } else {
      CHECK_FALSE(a.error);
    }
  }
  const auto nine = compute_allocations(thirds, 9);
  for (const auto& [zone, a] : nine.allocations) {
    INFO(zone);
    CHECK(a.minimum == 3);  // ceil(3 * 0.8333) = ceil(2.5)
    CHECK(a.maximum == 3);
    CHECK(a.desired == Approx(3.0));
  }
  // Desired is raised to the minimum: ratio .05 of 10 endpoints wants 0.5 but needs 1.
  const auto skew = compute_allocations(zone_ratios{{"zone-a", 0.5}, {"zone-b", 0.45}, {"zone-c", 0.05}}, 20);
  REQUIRE_FALSE(skew.error);
  CHECK(skew.allocations.at("zone-a") == zone_allocation{9, 11, 10.0});
  CHECK(skew.allocations.at("zone-b").minimum == 8);  // ceil(9 * 0.8333) = ceil(7.5)
  CHECK(skew.allocations.at("zone-b").maximum == 10);
  CHECK(skew.allocations.at("zone-c") == zone_allocation{1, 3, 1.0});
}

// ---------------------------------------------------------------------------------------------
// TestAddHints (endpointslice/topologycache/topologycache_test.go)

TEST_CASE("topology: add hints (TestAddHints)", "[topology]") {
  using Z = std::vector<std::vector<std::string>>;
  const std::string insufficient =
      "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes, addressType: IPv4";
  struct row {
    const char* name;
    std::optional<zone_ratios> ratios;
    slice_set<ipv4> in;
    Z want_create, want_update;
    std::optional<zone_counts> want_counts;
    topology_event want_event;
  };
  const topology_event enabled{"Normal", "TopologyAwareHintsEnabled", "Topology Aware Hints has been enabled, addressType: IPv4"};
  const std::vector<row> rows = {
      {"empty", std::nullopt, {}, {}, {}, std::nullopt, {"Warning", "TopologyAwareHintsDisabled", insufficient}},
      {"slice to create, no zone ratios",
       std::nullopt,
       {{make_slice({make_ep("10.1.2.3", "zone-a")})}, {}, {}},
       {{"-"}},
       {},
       std::nullopt,
       {"Warning", "TopologyAwareHintsDisabled", insufficient}},
      {"slice to create with 2 endpoints, zone ratios require 3",
       zone_ratios{{"zone-a", 0.3}, {"zone-b", 0.4}, {"zone-c", 0.3}},
       {{make_slice({make_ep("10.1.2.3", "zone-a"), make_ep("10.1.2.4", "zone-b")})}, {}, {}},
       {{"-", "-"}},
       {},
       std::nullopt,
       {"Warning", "TopologyAwareHintsDisabled",
        "Insufficient number of endpoints (2 endpoints, 3 zones), addressType: IPv4"}},
      {"slice to create with 2 endpoints, zone ratios only require 2",
       zone_ratios{{"zone-a", 0.45}, {"zone-b", 0.55}},
       {{make_slice({make_ep("10.1.2.3", "zone-a"), make_ep("10.1.2.4", "zone-b")})}, {}, {}},
       {{"zone-a", "zone-b"}},
       {},
       zone_counts{{"zone-a", 1}, {"zone-b", 1}},
       enabled},
      {"slice to create with 2 ready, 1 unready, 1 unknown endpoints, zone ratios only require 2",
       zone_ratios{{"zone-a", 0.45}, {"zone-b", 0.55}},
       {{make_slice({make_ep("10.1.2.3", "zone-a"), make_ep("10.1.2.4", "zone-b"), make_ep("10.1.2.5", "zone-b", false),
                     make_ep("10.1.2.6", "zone-b", std::nullopt)})},
        {},
        {}},
       {{"zone-a", "zone-b", "-", "-"}},
       {},
       zone_counts{{"zone-a", 1}, {"zone-b", 1}},
       enabled},
      {"slices to create and update within 3 zone threshold",
       zone_ratios{{"zone-a", 0.35}, {"zone-b", 0.35}, {"zone-c", 0.30}},
       {{make_slice({make_ep("10.1.2.3", "zone-a"), make_ep("10.1.2.4", "zone-b")}),
         make_slice({make_ep("10.1.3.3", "zone-c"), make_ep("10.1.3.4", "zone-c"), make_ep("10.1.3.4", "zone-a")})},
        {make_slice({make_ep("10.2.2.3", "zone-a"), make_ep("10.2.2.4", "zone-a")}),
         make_slice({make_ep("10.2.3.3", "zone-b"), make_ep("10.2.3.4", "zone-c"), make_ep("10.2.3.4", "zone-a")})},
        {}},
       {{"zone-b", "zone-b"}, {"zone-c", "zone-c", "zone-a"}},
       {{"zone-a", "zone-a"}, {"zone-b", "zone-c", "zone-a"}},
       zone_counts{{"zone-a", 4}, {"zone-b", 3}, {"zone-c", 3}},
       enabled},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto res = add_hints(r.in, r.ratios, false);
    CHECK(hint_zones(res.slices.create) == r.want_create);
    CHECK(hint_zones(res.slices.update) == r.want_update);
    CHECK(res.hinted_by_zone == r.want_counts);
    CHECK(res.hints_populated == r.want_counts.has_value());
    REQUIRE(res.events.size() == 1);
    CHECK(res.events[0] == r.want_event);
    CHECK(res.unavailable.has_value() != r.want_counts.has_value());
    if (res.unavailable) CHECK(res.unavailable->message == r.want_event.message);
    // Everything but hints is left alone.
    REQUIRE(res.slices.create.size() == r.in.create.size());
    for (std::size_t i = 0; i < r.in.create.size(); ++i)
      for (std::size_t j = 0; j < r.in.create[i].endpoints.size(); ++j) {
        auto a = res.slices.create[i].endpoints[j];
        auto b = r.in.create[i].endpoints[j];
        a.hints.reset();
        b.hints.reset();
        CHECK(a == b);
      }
  }
}

TEST_CASE("topology: add hints details (events, unchanged slices, stale hints, no zone)", "[topology]") {
  const zone_ratios ab{{"zone-a", 0.5}, {"zone-b", 0.5}};
  SECTION("no Enabled event when hints were already populated; IPv6 suffix") {
    slice_set<ipv6> in;
    endpoint_v6 e1, e2;
    e1.addresses.push_back(*parse_ipv6("fd00::1"));
    e1.zone = "zone-a";
    e1.conditions.ready = true;
    e2 = e1;
    e2.addresses[0] = *parse_ipv6("fd00::2");
    e2.zone = "zone-b";
    endpoint_slice_v6 s;
    s.endpoints.push_back(e1);
    s.endpoints.push_back(e2);
    in.create.push_back(s);
    const auto again = add_hints(in, ab, true);
    CHECK(again.events.empty());
    CHECK(again.hints_populated);
    const auto first = add_hints(in, ab, false);
    REQUIRE(first.events.size() == 1);
    CHECK(first.events[0].message == "Topology Aware Hints has been enabled, addressType: IPv6");
  }
  SECTION("valid unchanged slices stay, invalid ones move to the end of update") {
    slice_set<ipv4> in;
    in.update.push_back(make_slice({make_ep("10.0.0.1", "zone-b")}));
    in.unchanged.push_back(make_slice({hinted(make_ep("10.0.0.2", "zone-a"), {"zone-a"})}));
    in.unchanged.push_back(make_slice({make_ep("10.0.0.3", "zone-b")}));  // no hints: invalid
    in.unchanged.push_back(make_slice({hinted(make_ep("10.0.0.4", "zone-a"), {"zone-x"})}));  // unknown zone
    const auto res = add_hints(in, ab, false);
    REQUIRE(res.slices.unchanged.size() == 1);
    CHECK(res.slices.unchanged[0] == in.unchanged[0]);
    CHECK(hint_zones(res.slices.update) ==
          std::vector<std::vector<std::string>>{{"zone-b"}, {"zone-b"}, {"zone-a"}});
    CHECK(res.hinted_by_zone == zone_counts{{"zone-a", 2}, {"zone-b", 2}});
    CHECK(res.hint_changes == 3);
  }
  SECTION("a not-ready endpoint keeps a stale hint (upstream clears only a copy)") {
    slice_set<ipv4> in;
    in.create.push_back(make_slice({make_ep("10.0.0.1", "zone-a"), make_ep("10.0.0.2", "zone-b"),
                                       hinted(make_ep("10.0.0.3", "zone-b", false), {"zone-a"})}));
    const auto res = add_hints(in, ab, false);
    CHECK(hint_zones(res.slices.create) == std::vector<std::vector<std::string>>{{"zone-a", "zone-b", "zone-a"}});
  }
  SECTION("a ready endpoint without zone removes every hint, unchanged ones too") {
    for (opt_str missing : {opt_str(), opt_str("")}) {
      slice_set<ipv4> in;
      in.create.push_back(make_slice({make_ep("10.0.0.1", "zone-a"), make_ep("10.0.0.2", missing)}));
      in.update.push_back(make_slice({hinted(make_ep("10.0.0.5", "zone-b"), {"zone-b"})}));
      in.unchanged.push_back(make_slice({hinted(make_ep("10.0.0.3", "zone-a"), {"zone-a"})}));
      in.unchanged.push_back(make_slice({make_ep("10.0.0.4", "zone-b", false)}));
      const auto res = add_hints(in, ab, true);
      REQUIRE(res.unavailable);
      CHECK(res.unavailable->problem == hints_problem::no_zone_specified);
      REQUIRE(res.events.size() == 1);
      CHECK(res.events[0] == topology_event{"Warning", "TopologyAwareHintsDisabled",
                                            "One or more endpoints do not have a zone specified, addressType: IPv4"});
      CHECK_FALSE(res.hinted_by_zone);
      CHECK_FALSE(res.hints_populated);
      CHECK(hint_zones(res.slices.create) == std::vector<std::vector<std::string>>{{"-", "-"}});
      CHECK(hint_zones(res.slices.update) == std::vector<std::vector<std::string>>{{"-"}, {"-"}});
      REQUIRE(res.slices.unchanged.size() == 1);
      CHECK(res.slices.unchanged[0] == in.unchanged[1]);
      CHECK(res.hint_changes == 2);
    }
  }
  SECTION("an unready endpoint without zone does not matter") {
    slice_set<ipv4> in;
    in.create.push_back(
        make_slice({make_ep("10.0.0.1", "zone-a"), make_ep("10.0.0.2", "zone-b"), make_ep("10.0.0.3", std::nullopt, false)}));
    const auto res = add_hints(in, ab, false);
    CHECK_FALSE(res.unavailable);
  }
}

// ---------------------------------------------------------------------------------------------
// Test_redistributeHints (endpointslice/topologycache/utils_test.go)

TEST_CASE("topology: redistribute hints (Test_redistributeHints)", "[topology]") {
  const auto a = hinted(make_ep("10.0.0.1", "zone-a"), {"zone-a"});
  struct row {
    const char* name;
    slices in;
    zone_counts giving, receiving, want;
  };
  const std::vector<row> rows = {
      {"empty", {}, {}, {}, {}},
      {"single endpoint", {make_slice({a})}, {{"zone-a", 1}}, {{"zone-b", 1}}, {{"zone-a", -1}, {"zone-b", 1}}},
      {"endpoints from 1 zone redistributed to 2 other zones",
       {make_slice({a, a, a})},
       {{"zone-a", 2}},
       {{"zone-b", 1}, {"zone-c", 1}},
       {{"zone-a", -2}, {"zone-b", 1}, {"zone-c", 1}}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto res = redistribute_hints(r.in, r.giving, r.receiving);
    CHECK(res.redistributions == r.want);
  }
  // Which endpoints move (our deterministic rule: walk order, receiving zones by name).
  const auto res = redistribute_hints(rows[2].in, rows[2].giving, rows[2].receiving);
  CHECK(hint_zones(res.slices) == std::vector<std::vector<std::string>>{{"zone-b", "zone-c", "zone-a"}});
}

// ---------------------------------------------------------------------------------------------
// Test_getGivingAndReceivingZones (endpointslice/topologycache/utils_test.go)

TEST_CASE("topology: giving and receiving zones (Test_getGivingAndReceivingZones)", "[topology]") {
  struct row {
    const char* name;
    zone_allocations allocations;
    zone_counts allocated, giving, receiving;
  };
  const auto five = desired_only({{"zone-a", 5.0}, {"zone-b", 5.0}, {"zone-c", 5.0}});
  const std::vector<row> rows = {
      {"empty", {}, {}, {}, {}},
      {"simple allocation with no need for rebalancing",
       desired_only({{"zone-a", 1.2}, {"zone-b", 1.1}, {"zone-c", 1.0}}),
       {{"zone-a", 1}, {"zone-b", 1}, {"zone-c", 1}},
       {},
       {}},
      {"preference for same zone even when giving an extra endpoint would result in slightly better distribution",
       desired_only({{"zone-a", 5.1}, {"zone-b", 5.1}, {"zone-c", 5.8}}),
       {{"zone-a", 16}},
       {{"zone-a", 10}},
       {{"zone-b", 5}, {"zone-c", 5}}},
      {"when 2 zones need < 1 endpoint, give to zone that needs endpoint most",
       desired_only({{"zone-a", 5.0}, {"zone-b", 5.6}, {"zone-c", 5.4}}),
       {{"zone-a", 16}},
       {{"zone-a", 11}},
       {{"zone-b", 6}, {"zone-c", 5}}},
      {"when 2 zones have extra endpoints, give from zone with most extra",
       desired_only({{"zone-a", 5.0}, {"zone-b", 5.6}, {"zone-c", 5.4}}),
       {{"zone-b", 8}, {"zone-c", 8}},
       {{"zone-b", 2}, {"zone-c", 3}},
       {{"zone-a", 5}}},
      {"ensure function can handle unexpected data (more allocated than allocations)",
       five,
       {{"zone-a", 6}, {"zone-b", 6}, {"zone-c", 6}},
       {},
       {}},
      {"ensure function can handle unexpected data (negative allocations)",
       desired_only({{"zone-a", -5.0}, {"zone-b", -5.0}, {"zone-c", -5.0}}),
       {{"zone-a", 6}, {"zone-b", 6}, {"zone-c", 6}},
       {},
       {}},
      {"ensure function can handle unexpected data (negative allocated)",
       five,
       {{"zone-a", -4}, {"zone-b", -3}, {"zone-c", -2}},
       {},
       {}},
      {"ensure function can handle unexpected data (negative for 1 zone)",
       five,
       {{"zone-a", -40}, {"zone-b", 20}, {"zone-c", 20}},
       {{"zone-b", 15}, {"zone-c", 15}},
       {{"zone-a", 30}}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto gr = giving_and_receiving_zones(r.allocations, r.allocated);
    CHECK(gr.giving == r.giving);
    CHECK(gr.receiving == r.receiving);
  }
}

// ---------------------------------------------------------------------------------------------
// Test_getHintsByZone (endpointslice/topologycache/utils_test.go)

TEST_CASE("topology: hints by zone of an unchanged slice (Test_getHintsByZone)", "[topology]") {
  struct row {
    const char* name;
    slice in;
    zone_counts so_far;
    zone_allocations allocations;
    std::optional<zone_counts> want;
  };
  const auto a_to_a = hinted(make_ep("10.0.0.1", "zone-a"), {"zone-a"});
  auto empty_hints = make_ep("10.0.0.1", "zone-a");
  empty_hints.hints = endpoint_hints{};
  const std::vector<row> rows = {
      {"empty", slice{}, {}, {}, zone_counts{}},
      {"single zone hint", make_slice({a_to_a}), {{"zone-a", 1}}, maximum_only({{"zone-a", 3}}), zone_counts{{"zone-a", 1}}},
      {"single zone hint with 1 unready endpoint and 1 unknown endpoint",
       make_slice({a_to_a, hinted(make_ep("10.0.0.2", "zone-a", false), {"zone-a"}),
                   hinted(make_ep("10.0.0.3", "zone-a", std::nullopt), {"zone-a"})}),
       {{"zone-a", 1}},
       maximum_only({{"zone-a", 3}}),
       zone_counts{{"zone-a", 1}}},
      {"multiple zone hints",
       make_slice({a_to_a, hinted(make_ep("10.0.0.2", "zone-a"), {"zone-b"}), hinted(make_ep("10.0.0.3", "zone-b"), {"zone-b"})}),
       {{"zone-a", 1}, {"zone-b", 1}, {"zone-c", 1}},
       maximum_only({{"zone-a", 3}, {"zone-b", 3}, {"zone-c", 3}}),
       zone_counts{{"zone-a", 1}, {"zone-b", 2}}},
      {"invalid by zones that no longer requires any allocations",
       make_slice({hinted(make_ep("10.0.0.1", "zone-a"), {"zone-non-existent"})}),
       {{"zone-a", 1}, {"zone-b", 1}, {"zone-c", 1}},
       maximum_only({{"zone-a", 3}}),
       std::nullopt},
      {"invalid by endpoints with nil hints", make_slice({make_ep("10.0.0.1", "zone-a")}), {}, maximum_only({{"zone-a", 3}}),
       std::nullopt},
      {"invalid by endpoint with no hints", make_slice({empty_hints}), {}, maximum_only({{"zone-a", 3}}), std::nullopt},
      {"invalid by hints that would make minimum allocations impossible",
       make_slice({a_to_a, a_to_a}),
       {{"zone-a", 1}},
       maximum_only({{"zone-a", 2}}),
       std::nullopt},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(hints_by_zone(r.in, r.so_far, r.allocations) == r.want);
  }
  // An endpoint hinted for two zones counts in both.
  const auto two = make_slice({hinted(make_ep("10.0.0.1", "zone-a"), {"zone-a", "zone-b"})});
  CHECK(hints_by_zone(two, {}, maximum_only({{"zone-a", 3}, {"zone-b", 3}})) == zone_counts{{"zone-a", 1}, {"zone-b", 1}});
}

// ---------------------------------------------------------------------------------------------
// Test_getTotalReadyEndpoints (endpointslice/topologycache/sliceinfo_test.go)

TEST_CASE("topology: total ready endpoints (Test_getTotalReadyEndpoints)", "[topology]") {
  struct row {
    const char* name;
    slice_set<ipv4> in;
    std::int64_t ready;
    std::size_t total;
  };
  const std::vector<row> rows = {
      {"empty", {}, 0, 0},
      {"empty slice", {{slice_with_n(0, 0)}, {}, {}}, 0, 0},
      {"multiple slices", {{slice_with_n(15, 0), slice_with_n(8, 0)}, {}, {}}, 23, 23},
      {"slices for all",
       {{slice_with_n(15, 0), slice_with_n(8, 0)}, {slice_with_n(2, 0)}, {slice_with_n(100, 0), slice_with_n(90, 0)}},
       215,
       215},
      {"slices for all with some unready",
       {{slice_with_n(15, 3), slice_with_n(5, 4)}, {slice_with_n(3, 8)}, {slice_with_n(98, 2), slice_with_n(90, 6)}},
       211,
       234},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    std::size_t total = 0;
    for (const auto* l : {&r.in.create, &r.in.update, &r.in.unchanged})
      for (const auto& s : *l) total += s.endpoints.size();
    CHECK(total == r.total);
    CHECK(total_ready_endpoints(r.in) == r.ready);
  }
}

// ---------------------------------------------------------------------------------------------
// Removing hints (docs/semantics.md#removing-hints), overload (docs/semantics.md#overload-detection)

TEST_CASE("topology: remove hints", "[topology]") {
  slice_set<ipv4> in;
  in.create.push_back(make_slice({hinted(make_ep("10.0.0.1", "zone-a"), {"zone-a"}), make_ep("10.0.0.2", "zone-b")}));
  in.update.push_back(make_slice({hinted(make_ep("10.0.0.3", "zone-a", false), {}, {"n1"})}));
  in.unchanged.push_back(make_slice({make_ep("10.0.0.4", "zone-a")}));
  in.unchanged.push_back(make_slice({make_ep("10.0.0.5", "zone-a"), hinted(make_ep("10.0.0.6", "zone-b"), {"zone-b"})}));
  in.unchanged.push_back(make_slice({make_ep("10.0.0.7", "zone-a", false)}));
  const auto res = remove_hints(in);
  CHECK(res.hint_changes == 3);
  CHECK(hint_zones(res.slices.create) == std::vector<std::vector<std::string>>{{"-", "-"}});
  CHECK(hint_zones(res.slices.update) == std::vector<std::vector<std::string>>{{"-"}, {"-", "-"}});
  REQUIRE(res.slices.unchanged.size() == 2);
  CHECK(res.slices.unchanged[0] == in.unchanged[0]);
  CHECK(res.slices.unchanged[1] == in.unchanged[2]);
}

TEST_CASE("topology: overload detection (serviceOverloaded)", "[topology]") {
  const zone_ratios thirds{{"zone-a", 1.0 / 3}, {"zone-b", 1.0 / 3}, {"zone-c", 1.0 / 3}};
  struct row {
    const char* name;
    zone_counts counts;
    std::optional<zone_ratios> ratios;
    bool want;
  };
  const std::vector<row> rows = {
      {"no counts", {}, std::nullopt, false},
      {"counts, nil ratios", {{"zone-a", 3}}, std::nullopt, true},
      {"counts, empty ratios", {{"zone-a", 3}}, zone_ratios{}, true},
      {"balanced", {{"zone-a", 3}, {"zone-b", 3}, {"zone-c", 3}}, thirds, false},
      {"a zone without count", {{"zone-a", 3}, {"zone-b", 3}}, thirds, true},
      {"at the minimum (ceil(9/3/1.2) = 3)", {{"zone-a", 4}, {"zone-b", 2}, {"zone-c", 3}}, thirds, true},
      {"28 of 100 is the minimum (ceil(27.8))", {{"zone-a", 44}, {"zone-b", 28}, {"zone-c", 28}}, thirds, false},
      {"27 of 100 is below", {{"zone-a", 45}, {"zone-b", 28}, {"zone-c", 27}}, thirds, true},
      {"a counted zone without ratio is ignored", {{"zone-a", 3}, {"zone-b", 3}, {"zone-c", 3}, {"zone-d", 0}}, thirds, false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    CHECK(service_overloaded(r.counts, r.ratios) == r.want);
  }
  service_hint_counts stored;
  stored["ns/b"]["IPv4"] = {{"zone-a", 3}, {"zone-b", 3}, {"zone-c", 3}};
  stored["ns/b"]["IPv6"] = {{"zone-a", 9}};
  stored["ns/a"]["IPv4"] = {{"zone-a", 9}};
  stored["ns/c"]["IPv4"] = {{"zone-a", 3}, {"zone-b", 3}, {"zone-c", 3}};
  CHECK(overloaded_services(stored, thirds) == std::vector<std::string>{"ns/a", "ns/b"});
}

// ---------------------------------------------------------------------------------------------
// TestReconcileHints (endpointslice/trafficdist/trafficdist_test.go)

TEST_CASE("topology: trafficDistribution hints (TestReconcileHints)", "[topology]") {
  using Z = std::vector<std::vector<std::string>>;
  const auto e = [](const char* ip, const char* zone, const char* node) { return make_ep(ip, opt_str(zone), true, opt_str(node)); };
  const auto en = [](const char* ip, const char* node) { return make_ep(ip, std::nullopt, true, opt_str(node)); };
  const slice_set<ipv4> zoned{{make_slice({e("10.0.0.1", "zone-a", "node-1"), e("10.0.0.2", "zone-b", "node-2")}),
                               make_slice({e("10.0.0.3", "zone-a", "node-3"), e("10.0.0.4", "zone-b", "node-4")})},
                              {make_slice({e("10.0.0.5", "zone-a", "node-5"), e("10.0.0.6", "zone-a", "node-6")}),
                               make_slice({e("10.0.0.7", "zone-b", "node-7"), e("10.0.0.8", "zone-c", "node-8")})},
                              {}};
  const slice_set<ipv4> unzoned{{make_slice({en("10.0.0.1", "node-1"), en("10.0.0.2", "node-2")}),
                                 make_slice({en("10.0.0.3", "node-3"), en("10.0.0.4", "node-4")})},
                                {make_slice({en("10.0.0.5", "node-5"), en("10.0.0.6", "node-6")}),
                                 make_slice({en("10.0.0.7", "node-7"), en("10.0.0.8", "node-8")})},
                                {}};
  struct row {
    const char* name;
    std::optional<std::string> td;
    slice_set<ipv4> in;
    Z create, update, unchanged;
  };
  const std::vector<row> rows = {
      {"should set zone hints with PreferClose", "PreferClose", zoned,
       Z{{"zone-a", "zone-b"}, {"zone-a", "zone-b"}}, Z{{"zone-a", "zone-a"}, {"zone-b", "zone-c"}}, Z{}},
      {"should set zone hints with PreferSameZone", "PreferSameZone", zoned,
       Z{{"zone-a", "zone-b"}, {"zone-a", "zone-b"}}, Z{{"zone-a", "zone-a"}, {"zone-b", "zone-c"}}, Z{}},
      {"should set zone and node hints with PreferSameNode", "PreferSameNode", zoned,
       Z{{"zone-a@node-1", "zone-b@node-2"}, {"zone-a@node-3", "zone-b@node-4"}},
       Z{{"zone-a@node-5", "zone-a@node-6"}, {"zone-b@node-7", "zone-c@node-8"}}, Z{}},
      {"should correct incorrect hints with PreferClose", "PreferClose",
       {{},
        {make_slice({hinted(e("10.0.0.1", "zone-a", "node-1"), {"zone-b"})})},
        {make_slice({hinted(e("10.0.0.2", "zone-b", "node-2"), {"zone-c"})}), make_slice({e("10.0.0.3", "zone-c", "node-3")})}},
       Z{}, Z{{"zone-a"}, {"zone-b"}, {"zone-c"}}, Z{}},
      {"should not create hints with PreferClose if there are no zones", "PreferClose", unzoned,
       Z{{"-", "-"}, {"-", "-"}}, Z{{"-", "-"}, {"-", "-"}}, Z{}},
      {"should create only node hints with PreferSameNode if there are no zones", "PreferSameNode", unzoned,
       Z{{"@node-1", "@node-2"}, {"@node-3", "@node-4"}}, Z{{"@node-5", "@node-6"}, {"@node-7", "@node-8"}}, Z{}},
      {"unready endpoints should not trigger updates", "PreferClose",
       {{}, {}, {make_slice({make_ep("10.0.0.2", "zone-b", false, "node-2")})}}, Z{}, Z{}, Z{{"-"}}},
      {"should remove hints when trafficDistribution is unrecognized", "Unknown",
       {{make_slice({hinted(e("10.0.0.1", "zone-a", "node-1"), {"zone-a"}), hinted(e("10.0.0.2", "zone-b", "node-2"), {"zone-b"})}),
         make_slice({hinted(e("10.0.0.3", "zone-a", "node-3"), {"zone-a"})})},
        {make_slice({hinted(e("10.0.0.5", "zone-a", "node-5"), {"zone-a"})})},
        {}},
       Z{{"-", "-"}, {"-"}}, Z{{"-"}}, Z{}},
      {"should remove hints when trafficDistribution is unset", std::nullopt,
       {{},
        {make_slice({hinted(e("10.0.0.5", "zone-a", "node-5"), {"zone-a"})})},
        {make_slice({hinted(e("10.0.0.6", "zone-b", "node-6"), {"zone-b"})})}},
       Z{}, Z{{"-"}, {"-"}}, Z{}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    std::optional<std::string_view> td;
    if (r.td) td = *r.td;
    const auto res = apply_traffic_distribution(r.in, td);
    CHECK(hint_zones(res.slices.create) == r.create);
    CHECK(hint_zones(res.slices.update) == r.update);
    CHECK(hint_zones(res.slices.unchanged) == r.unchanged);
    // Addresses stay in place: the moved slices are appended after the existing updates.
    std::vector<std::string> ips;
    for (const auto* l : {&res.slices.update})
      for (const auto& s : *l)
        for (const auto& x : s.endpoints) {
          std::string t;
          format_to(t, x.addresses[0]);
          ips.push_back(t);
        }
    std::vector<std::string> want_ips;
    for (const auto* l : {&r.in.update, &r.in.unchanged})
      for (const auto& s : *l)
        for (const auto& x : s.endpoints) {
          std::string t;
          format_to(t, x.addresses[0]);
          want_ips.push_back(t);
        }
    if (r.unchanged.empty()) CHECK(ips == want_ips);
  }
}

TEST_CASE("topology: trafficDistribution does not touch slices it keeps, counts changes", "[topology]") {
  slice_set<ipv4> in;
  in.unchanged.push_back(make_slice({hinted(make_ep("10.0.0.1", "zone-a", true, "node-1"), {"zone-a"})}));
  in.unchanged.push_back(make_slice({hinted(make_ep("10.0.0.2", "zone-a", true, "node-1"), {"zone-a"}, {"node-9"})}));
  in.create.push_back(make_slice({make_ep("10.0.0.3", "zone-b", true, "node-3"), make_ep("10.0.0.4", "zone-b", false)}));
  const auto res = apply_traffic_distribution(in, "PreferClose");
  REQUIRE(res.slices.unchanged.size() == 1);
  CHECK(res.slices.unchanged[0] == in.unchanged[0]);
  CHECK(hint_zones(res.slices.update) == std::vector<std::vector<std::string>>{{"zone-a"}});  // stale node hint dropped
  CHECK(hint_zones(res.slices.create) == std::vector<std::vector<std::string>>{{"zone-b", "-"}});
  CHECK(res.hint_changes == 2);
  CHECK(traffic_heuristic_for(std::nullopt) == traffic_heuristic::remove_hints);
  CHECK(traffic_heuristic_for("preferclose") == traffic_heuristic::remove_hints);
  CHECK(traffic_heuristic_for("PreferSameNode") == traffic_heuristic::same_node);
}

// ---------------------------------------------------------------------------------------------
// Hints precedence (docs/semantics.md#hints-precedence): the cases of TestReconcileTopology and
// TestReconcile_TrafficDistribution (endpointslice/reconciler_test.go).

TEST_CASE("topology: precedence of annotation and trafficDistribution", "[topology]") {
  const std::string mode(well_known::topology_mode_annotation);
  const std::string dep(well_known::topology_aware_hints_annotation);
  struct row {
    const char* name;
    string_map annotations;
    std::optional<std::string> td;
    hints_policy policy;
    hints_action action;
    traffic_heuristic heuristic;
    bool usable;
    bool forget;
  };
  using A = hints_action;
  using H = traffic_heuristic;
  const std::vector<row> rows = {
      {"PreferClose, annotation Disabled", {{dep, "Disabled"}}, "PreferClose", {}, A::traffic_distribution, H::same_zone, true, true},
      {"PreferClose, annotation Auto", {{dep, "Auto"}}, "PreferClose", {}, A::topology_aware_hints, H::remove_hints, false, false},
      {"nil, empty annotation", {{dep, ""}}, std::nullopt, {}, A::remove_hints, H::remove_hints, false, true},
      {"PreferSameNode, option on", {{dep, "Disabled"}}, "PreferSameNode", {true, true}, A::traffic_distribution, H::same_node, true, true},
      {"PreferSameZone, option off", {{dep, "Disabled"}}, "PreferSameZone", {}, A::remove_hints, H::remove_hints, false, true},
      {"PreferSameZone, option on", {}, "PreferSameZone", {true, true}, A::traffic_distribution, H::same_zone, true, true},
      {"unknown value", {}, "Elsewhere", {true, true}, A::remove_hints, H::remove_hints, false, true},
      {"no topology cache, annotation auto", {{mode, "auto"}}, std::nullopt, {false, false}, A::remove_hints, H::remove_hints, false, false},
      {"no topology cache, annotation auto wins over PreferClose", {{mode, "auto"}}, "PreferClose", {false, false},
       A::remove_hints, H::remove_hints, false, false},
      {"no topology cache, PreferClose", {}, "PreferClose", {false, false}, A::traffic_distribution, H::same_zone, true, false},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    std::optional<std::string_view> td;
    if (r.td) td = *r.td;
    const auto d = decide_hints(r.annotations, td, r.policy);
    CHECK(d.action == r.action);
    CHECK(d.heuristic == r.heuristic);
    CHECK(d.traffic_distribution_usable == r.usable);
    CHECK(d.forget_topology_state == r.forget);
  }
  service svc;
  svc.metadata.annotations[mode] = "Auto";
  svc.traffic_distribution = "PreferClose";
  CHECK(decide_hints(svc).action == A::topology_aware_hints);
  CHECK(hints_disabled_event("IPv4") ==
        topology_event{"Warning", "TopologyAwareHintsDisabled", "Topology Aware Hints has been disabled, addressType: IPv4"});
}

namespace {

// Count ready endpoints hinted per zone and those hinted away from their own zone.
struct hint_stats {
  zone_counts per_zone;
  int cross_zone = 0;
  int unhinted = 0;
};
hint_stats stats_of(const slice_set<ipv4>& s) {
  hint_stats out;
  for (const auto* l : {&s.create, &s.update, &s.unchanged})
    for (const auto& sl : *l)
      for (const auto& e : sl.endpoints) {
        if (!endpoint_ready(e)) continue;  // not-ready endpoints may keep stale hints
        if (!e.hints || e.hints->for_zones.empty()) {
          ++out.unhinted;
          continue;
        }
        for (const auto& z : e.hints->for_zones) ++out.per_zone[z.name];
        if (e.hints->for_zones[0].name != e.zone.value_or("")) ++out.cross_zone;
      }
  return out;
}

}  // namespace

TEST_CASE("topology: TestReconcileTopology hint stage", "[topology]") {
  std::vector<node> nodes;
  for (const char* z : {"zone-a", "zone-b", "zone-c"})
    for (int j = 0; j < 10; ++j) nodes.push_back(make_node(std::string(z) + "-" + std::to_string(j), z, "100m", true));
  const auto cap = compute_zone_capacity(nodes);
  REQUIRE(cap.sufficient);
  const auto eps = [](std::vector<const char*> zones, int base) {
    std::vector<ep> out;
    for (const char* z : zones) out.push_back(make_ep("10.0.0." + std::to_string(base++), opt_str(z)));
    return out;
  };
  const slice zone_a_b = make_slice(eps({"zone-a", "zone-a", "zone-b", "zone-b", "zone-b"}, 1));
  const slice zone_a_c = make_slice(eps({"zone-a", "zone-a", "zone-c", "zone-c"}, 10));
  const slice zone_c = make_slice(eps({"zone-c", "zone-c", "zone-c"}, 20));
  struct row {
    const char* name;
    bool cache;
    const char* annotation;
    slices existing;
    zone_counts want;
    int cross;
    std::size_t updated;
  };
  const std::vector<row> rows = {
      {"no change, cache disabled", false, "auto", {zone_c}, {}, 0, 0},
      {"enabling cache", true, "auto", {zone_c}, {{"zone-a", 1}, {"zone-b", 1}, {"zone-c", 1}}, 2, 1},
      {"ratio beyond threshold", true, "auto", {zone_a_c}, {}, 0, 0},
      {"more slices and endpoints", true, "Auto", {zone_a_c, zone_a_b}, {{"zone-a", 3}, {"zone-b", 3}, {"zone-c", 3}}, 1, 2},
      {"annotation disabled", true, "disabled", {zone_a_c, zone_a_b}, {}, 0, 0},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    slice_set<ipv4> in{{}, {}, r.existing};
    const string_map ann{{std::string(well_known::topology_aware_hints_annotation), r.annotation}};
    const auto d = decide_hints(ann, std::nullopt, hints_policy{r.cache, false});
    slice_set<ipv4> out;
    if (d.action == hints_action::topology_aware_hints) {
      out = add_hints(in, cap.ratios, false).slices;
    } else {
      REQUIRE(d.action == hints_action::remove_hints);
      out = remove_hints(in).slices;
    }
    const auto st = stats_of(out);
    CHECK(st.per_zone == r.want);
    CHECK(st.cross_zone == r.cross);
    CHECK(out.update.size() == r.updated);
  }
}

TEST_CASE("topology: TestReconcile_TrafficDistribution hint stage", "[topology]") {
  const std::vector<node> nodes = {make_node("node-0", "zone-a", "100m", true), make_node("node-1", "zone-b", "100m", true),
                                   make_node("node-2", "zone-c", "100m", true)};
  const auto cap = compute_zone_capacity(nodes);
  const std::vector<std::pair<const char*, const char*>> pods = {
      {"node-0", "zone-a"}, {"node-1", "zone-b"}, {"node-1", "zone-b"}, {"node-1", "zone-b"}, {"node-2", "zone-c"}, {"node-2", "zone-c"}};
  std::vector<ep> eps;
  int i = 0;
  for (const auto& [n, z] : pods) eps.push_back(make_ep("10.0.1." + std::to_string(++i), opt_str(z), true, opt_str(n)));
  struct row {
    const char* name;
    bool prefer_same;
    std::optional<std::string> td;
    const char* annotation;
    zone_counts zones;
    std::map<std::string, int> nodes_hinted;
    int cross;
  };
  const std::vector<row> rows = {
      {"PreferClose, annotation Disabled", false, "PreferClose", "Disabled", {{"zone-a", 1}, {"zone-b", 3}, {"zone-c", 2}}, {}, 0},
      {"PreferClose, annotation Auto", false, "PreferClose", "Auto", {{"zone-a", 2}, {"zone-b", 2}, {"zone-c", 2}}, {}, 1},
      {"nil, empty annotation", false, std::nullopt, "", {}, {}, 0},
      {"PreferSameNode, option on", true, "PreferSameNode", "Disabled", {{"zone-a", 1}, {"zone-b", 3}, {"zone-c", 2}},
       {{"node-0", 1}, {"node-1", 3}, {"node-2", 2}}, 0},
      {"PreferSameZone, option off", false, "PreferSameZone", "Disabled", {}, {}, 0},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    slice_set<ipv4> in{{make_slice(eps)}, {}, {}};
    const string_map ann{{std::string(well_known::topology_aware_hints_annotation), r.annotation}};
    std::optional<std::string_view> td;
    if (r.td) td = *r.td;
    const auto d = decide_hints(ann, td, hints_policy{true, r.prefer_same});
    slice_set<ipv4> out;
    switch (d.action) {
      case hints_action::topology_aware_hints: out = add_hints(in, cap.ratios, false).slices; break;
      case hints_action::traffic_distribution: out = apply_traffic_distribution(in, td).slices; break;
      case hints_action::remove_hints: out = remove_hints(in).slices; break;
    }
    const auto st = stats_of(out);
    CHECK(st.per_zone == r.zones);
    CHECK(st.cross_zone == r.cross);
    std::map<std::string, int> node_hints;
    for (const auto& e : out.create.at(0).endpoints)
      if (e.hints)
        for (const auto& n : e.hints->for_nodes) ++node_hints[n.name];
    CHECK(node_hints == r.nodes_hinted);
    CHECK(out.create.size() == 1);
  }
}

// ---------------------------------------------------------------------------------------------
// The hints stage over a reconcile plan, end to end (reconcile, then hint_plan).

namespace {

const char* const world_uid = "11111111-2222-4333-8444-555555555555";

// Pod i's endpoint: IP 10.0.<i/256>.<i%256>, ready, on `node` in `zone`, targetRef default/pod-i.
ep pod_endpoint(int i, const std::string& node_name, const std::string& zone) {
  ep e = make_ep("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), zone, true, node_name);
  e.conditions.serving = true;
  e.conditions.terminating = false;
  object_reference ref;
  ref.kind = "Pod";
  ref.namespace_ = "default";
  ref.name = "pod-" + std::to_string(i);
  e.target_ref = ref;
  return e;
}

endpoint_port http_port() {
  endpoint_port p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 80;
  return p;
}

desired_state<ipv4> world_desired(std::vector<ep> eps) {
  desired_state<ipv4> d;
  d.service.namespace_ = "default";
  d.service.name = "svc";
  d.service.uid = world_uid;
  d.groups.emplace_back();
  d.groups[0].ports.push_back(http_port());
  d.groups[0].endpoints = std::move(eps);
  return d;
}

// A slice as the controller wrote it for the world's Service.
slice owned_slice(std::string name, std::vector<ep> eps) {
  slice s = make_slice(std::move(eps));
  s.metadata.name = std::move(name);
  s.metadata.namespace_ = "default";
  s.metadata.labels[std::string(well_known::service_name_label)] = "svc";
  s.metadata.labels[std::string(well_known::managed_by_label)] =
      std::string(well_known::endpointslice_controller);
  owner_reference o;
  o.api_version = "v1";
  o.kind = "Service";
  o.name = "svc";
  o.uid = world_uid;
  o.controller = true;
  s.metadata.owner_references.push_back(o);
  s.ports.push_back(http_port());
  return s;
}

hint_stats stats_of_plan(const slice_plan<ipv4>& p) {
  return stats_of(slice_set<ipv4>{p.create, p.update, {}});
}

}  // namespace

TEST_CASE("topology: hint_plan, TestReconcileTopology end to end", "[topology]") {
  // Zones a, b, c with 10 nodes of 100m each; pod i*100+j runs on node j of zone i.
  std::vector<node> nodes;
  const std::vector<std::string> zones = {"zone-a", "zone-b", "zone-c"};
  for (const auto& z : zones)
    for (int j = 0; j < 10; ++j) nodes.push_back(make_node(z + "-" + std::to_string(j), z, "100m", true));
  const auto cap = compute_zone_capacity(nodes);
  REQUIRE(cap.sufficient);
  // List index k (0..29) is pod (k/10)*100 + k%10.
  const auto pod = [&](int k) {
    const auto zi = static_cast<std::size_t>(k / 10);
    return pod_endpoint(k / 10 * 100 + k % 10, zones[zi] + "-" + std::to_string(k % 10), zones[zi]);
  };
  const auto pods = [&](std::vector<int> ks) {
    std::vector<ep> out;
    for (int k : ks) out.push_back(pod(k));
    return out;
  };
  const slice zone_a_b = owned_slice("zone-a-b", pods({7, 8, 16, 17, 18}));
  const slice zone_a_c = owned_slice("zone-a-c", pods({5, 6, 25, 26}));
  const slice zone_c = owned_slice("zone-c", pods({27, 28, 29}));
  struct row {
    const char* name;
    bool cache;
    const char* annotation;
    slices existing;
    std::vector<int> desired;  // list indices, in pod order
    zone_counts want;
    int cross;
    std::size_t updated;  // slices written by the plan (metrics "updated")
    std::size_t actual;   // slices after the plan
    std::size_t hint_changes;
  };
  const std::vector<row> rows = {
      {"no change, cache disabled", false, "auto", {zone_c}, {27, 28, 29}, {}, 0, 0, 1, 0},
      {"enabling cache",
       true,
       "auto",
       {zone_c},
       {27, 28, 29},
       {{"zone-a", 1}, {"zone-b", 1}, {"zone-c", 1}},
       2,
       1,
       1,
       3},
      {"ratio beyond threshold", true, "auto", {zone_a_c}, {5, 6, 25, 26}, {}, 0, 0, 1, 0},
      {"more slices and endpoints",
       true,
       "Auto",
       {zone_a_c, zone_a_b},
       {5, 6, 7, 8, 16, 17, 18, 25, 26},
       {{"zone-a", 3}, {"zone-b", 3}, {"zone-c", 3}},
       1,
       2,
       2,
       9},
      {"annotation disabled",
       true,
       "disabled",
       {zone_a_c, zone_a_b},
       {5, 6, 7, 8, 16, 17, 18, 25, 26},
       {},
       0,
       0,
       2,
       0},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto desired = world_desired(pods(r.desired));
    auto plan = reconcile(desired, r.existing);
    REQUIRE(plan.empty());  // the endpoints are already in place: only hints can cause writes
    service svc;
    svc.metadata.annotations[std::string(well_known::topology_aware_hints_annotation)] = r.annotation;
    plan_hints_options opt;
    opt.policy.topology_cache = r.cache;
    opt.trigger_time = "2024-01-01T00:00:00Z";
    const auto h = hint_plan<ipv4>(plan, r.existing, svc, cap.ratios, opt);
    CHECK(h.plan.create.empty());
    CHECK(h.plan.update.size() == r.updated);
    CHECK(h.moved_to_update == r.updated);
    CHECK(h.plan.stats.updates == r.updated);
    CHECK(h.plan.stats.writes == r.updated);
    const auto st = stats_of_plan(h.plan);
    CHECK(st.per_zone == r.want);
    CHECK(st.cross_zone == r.cross);
    CHECK(h.hint_changes == r.hint_changes);
    CHECK(h.plan.stats.hint_changes == r.hint_changes);
    for (const auto& u : h.plan.update)
      CHECK(u.metadata.annotations.at(std::string(well_known::trigger_time_annotation)) ==
            "2024-01-01T00:00:00Z");
    const auto after = epslice::apply(h.plan, r.existing);
    CHECK(after.size() == r.actual);
    std::size_t endpoints_after = 0;
    for (const auto& s : after) endpoints_after += s.endpoints.size();
    CHECK(endpoints_after == r.desired.size());
    // Hinted counts cover every ready endpoint, once the slices are written.
    if (!r.want.empty()) {
      CHECK(h.hinted_by_zone == r.want);
      CHECK(h.hints_populated);
      CHECK(h.events.size() == 1);
      CHECK(h.events.at(0).reason == "TopologyAwareHintsEnabled");
      // A second reconcile of the written state changes nothing, hints included.
      auto again = hint_plan<ipv4>(reconcile(desired, after), after, svc, cap.ratios, opt);
      CHECK(again.plan.empty());
      CHECK(again.hint_changes == 0);
    } else {
      CHECK_FALSE(h.hinted_by_zone);
    }
  }
  SECTION("ratio beyond threshold reports upstream's reason") {
    service svc;
    svc.metadata.annotations[std::string(well_known::topology_mode_annotation)] = "Auto";
    const auto h = hint_plan<ipv4>(reconcile(world_desired(pods({5, 6, 25, 26})), slices{zone_a_c}),
                                   slices{zone_a_c}, svc, cap.ratios);
    REQUIRE(h.unavailable);
    CHECK(h.unavailable->message ==
          "Unable to allocate minimum required endpoints to each zone without exceeding overload threshold "
          "(4 endpoints, "
          "3 zones), addressType: IPv4");
    CHECK(h.events ==
          std::vector<topology_event>{{"Warning", "TopologyAwareHintsDisabled", h.unavailable->message}});
  }
  SECTION("turning the annotation off emits the Disabled event and removes the hints") {
    service on;
    on.metadata.annotations[std::string(well_known::topology_mode_annotation)] = "Auto";
    const slices existing{zone_a_c, zone_a_b};
    const auto desired = world_desired(pods({5, 6, 7, 8, 16, 17, 18, 25, 26}));
    const auto first = hint_plan<ipv4>(reconcile(desired, existing), existing, on, cap.ratios);
    const auto hinted = epslice::apply(first.plan, existing);
    service off;
    off.metadata.annotations[std::string(well_known::topology_mode_annotation)] = "Disabled";
    plan_hints_options opt;
    opt.hints_populated = first.hints_populated;
    const auto second = hint_plan<ipv4>(reconcile(desired, hinted), hinted, off, cap.ratios, opt);
    CHECK(second.decision.action == hints_action::remove_hints);
    CHECK(second.events == std::vector<topology_event>{hints_disabled_event("IPv4")});
    CHECK_FALSE(second.hints_populated);
    CHECK(second.plan.update.size() == 2);
    CHECK(second.hint_changes == 9);
    CHECK(second.plan.update[0].metadata.annotations.count(
              std::string(well_known::trigger_time_annotation)) == 0);
    CHECK(stats_of_plan(second.plan).unhinted == 9);
  }
}

TEST_CASE("topology: hint_plan, TestReconcile_TrafficDistribution end to end", "[topology]") {
  const std::vector<node> nodes = {make_node("node-0", "zone-a", "100m", true),
                                   make_node("node-1", "zone-b", "100m", true),
                                   make_node("node-2", "zone-c", "100m", true)};
  const auto cap = compute_zone_capacity(nodes);
  const std::vector<std::pair<std::string, std::string>> placement = {
      {"node-0", "zone-a"}, {"node-1", "zone-b"}, {"node-1", "zone-b"},
      {"node-1", "zone-b"}, {"node-2", "zone-c"}, {"node-2", "zone-c"}};
  std::vector<ep> eps;
  for (std::size_t i = 0; i < placement.size(); ++i)
    eps.push_back(pod_endpoint(static_cast<int>(i), placement[i].first, placement[i].second));
  const auto desired = world_desired(eps);
  struct row {
    const char* name;
    bool prefer_same;
    std::optional<std::string> td;
    const char* annotation;
    hints_action action;
    zone_counts zones;
    std::map<std::string, int> nodes_hinted;
    int cross;
    std::size_t hint_changes;
  };
  const std::vector<row> rows = {
      {"PreferClose, annotation Disabled",
       false,
       "PreferClose",
       "Disabled",
       hints_action::traffic_distribution,
       {{"zone-a", 1}, {"zone-b", 3}, {"zone-c", 2}},
       {},
       0,
       6},
      {"PreferClose, annotation Auto",
       false,
       "PreferClose",
       "Auto",
       hints_action::topology_aware_hints,
       {{"zone-a", 2}, {"zone-b", 2}, {"zone-c", 2}},
       {},
       1,
       6},
      {"nil, empty annotation", false, std::nullopt, "", hints_action::remove_hints, {}, {}, 0, 0},
      {"PreferSameNode, option on",
       true,
       "PreferSameNode",
       "Disabled",
       hints_action::traffic_distribution,
       {{"zone-a", 1}, {"zone-b", 3}, {"zone-c", 2}},
       {{"node-0", 1}, {"node-1", 3}, {"node-2", 2}},
       0,
       6},
      {"PreferSameZone, option off",
       false,
       "PreferSameZone",
       "Disabled",
       hints_action::remove_hints,
       {},
       {},
       0,
       0},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const slices existing;
    auto plan = reconcile(desired, existing);
    REQUIRE(plan.create.size() == 1);
    service svc;
    svc.metadata.annotations[std::string(well_known::topology_aware_hints_annotation)] = r.annotation;
    svc.traffic_distribution = r.td;
    plan_hints_options opt;
    opt.policy.prefer_same_traffic_distribution = r.prefer_same;
    const auto h = hint_plan<ipv4>(plan, existing, svc, cap.ratios, opt);
    CHECK(h.decision.action == r.action);
    REQUIRE(h.plan.create.size() == 1);
    CHECK(h.plan.update.empty());
    CHECK(h.plan.stats.writes == 1);
    CHECK(h.plan.stats.endpoints_written == 6);
    const auto st = stats_of_plan(h.plan);
    CHECK(st.per_zone == r.zones);
    CHECK(st.cross_zone == r.cross);
    CHECK(h.hint_changes == r.hint_changes);
    CHECK(h.plan.stats.hint_changes == r.hint_changes);
    std::map<std::string, int> node_hints;
    for (const auto& e : h.plan.create[0].endpoints)
      if (e.hints)
        for (const auto& n : e.hints->for_nodes) ++node_hints[n.name];
    CHECK(node_hints == r.nodes_hinted);
  }
}

// ---------------------------------------------------------------------------------------------
// Stable hints.

TEST_CASE("topology: stable mode keeps valid hints", "[topology]") {
  const zone_ratios thirds{{"zone-a", 1.0 / 3}, {"zone-b", 1.0 / 3}, {"zone-c", 1.0 / 3}};
  SECTION("a balanced cross-zone layout stays as it is; upstream rewrites it") {
    slice_set<ipv4> in;
    in.update.push_back(make_slice({hinted(make_ep("10.0.0.1", "zone-a"), {"zone-b"}), hinted(make_ep("10.0.0.2", "zone-a"), {"zone-a"}),
                                       hinted(make_ep("10.0.0.3", "zone-a"), {"zone-a"}), hinted(make_ep("10.0.0.4", "zone-b"), {"zone-b"}),
                                       hinted(make_ep("10.0.0.5", "zone-b"), {"zone-c"}), hinted(make_ep("10.0.0.6", "zone-c"), {"zone-c"})}));
    const auto stable = add_hints(in, thirds, true, hint_mode::stable);
    const auto upstream = add_hints(in, thirds, true, hint_mode::upstream);
    CHECK(stable.hint_changes == 0);
    CHECK(stable.slices == in);
    CHECK(stable.hinted_by_zone == zone_counts{{"zone-a", 2}, {"zone-b", 2}, {"zone-c", 2}});
    CHECK(upstream.hint_changes == 2);  // .1 (first of zone-a, which gives one) -> zone-c; .5 -> zone-b
    CHECK(upstream.hinted_by_zone == zone_counts{{"zone-a", 2}, {"zone-b", 2}, {"zone-c", 2}});
  }
  SECTION("a new endpoint joins a zone that has room; nothing else moves") {
    // 9 endpoints, previously balanced, one more in zone-a: desired 3.33, minimum 3, maximum 4.
    slice_set<ipv4> in;
    std::vector<ep> eps;
    int i = 0;
    for (const char* z : {"zone-a", "zone-a", "zone-a", "zone-b", "zone-b", "zone-b", "zone-b", "zone-c", "zone-c"})
      eps.push_back(make_ep("10.0.0." + std::to_string(++i), opt_str(z)));
    eps[6].hints = hints({"zone-c"});  // the fourth zone-b endpoint serves zone-c
    for (int k = 0; k < 9; ++k)
      if (!eps[static_cast<std::size_t>(k)].hints) eps[static_cast<std::size_t>(k)].hints = hints({*eps[static_cast<std::size_t>(k)].zone});
    eps.push_back(make_ep("10.0.0.10", "zone-a"));
    in.update.push_back(make_slice(eps));
    const auto stable = add_hints(in, thirds, true, hint_mode::stable);
    CHECK(stable.hint_changes == 1);
    CHECK(hint_zones(stable.slices.update)[0] ==
          std::vector<std::string>{"zone-a", "zone-a", "zone-a", "zone-b", "zone-b", "zone-b", "zone-c", "zone-c", "zone-c", "zone-a"});
    const auto upstream = add_hints(in, thirds, true, hint_mode::upstream);
    CHECK(upstream.hint_changes >= stable.hint_changes);
  }
  SECTION("an over-full zone gives away an endpoint that serves it from elsewhere first") {
    // zone-a holds 5 hints (max 4 for 10 endpoints over 3 zones, min 3): release one.
    slice_set<ipv4> in;
    in.update.push_back(make_slice({hinted(make_ep("10.0.0.1", "zone-a"), {"zone-a"}), hinted(make_ep("10.0.0.2", "zone-a"), {"zone-a"}),
                                       hinted(make_ep("10.0.0.3", "zone-a"), {"zone-a"}), hinted(make_ep("10.0.0.4", "zone-c"), {"zone-a"}),
                                       hinted(make_ep("10.0.0.5", "zone-a"), {"zone-a"}), hinted(make_ep("10.0.0.6", "zone-b"), {"zone-b"}),
                                       hinted(make_ep("10.0.0.7", "zone-b"), {"zone-b"}), hinted(make_ep("10.0.0.8", "zone-b"), {"zone-b"}),
                                       hinted(make_ep("10.0.0.9", "zone-c"), {"zone-c"}), hinted(make_ep("10.0.0.10", "zone-c"), {"zone-c"})}));
    const auto stable = add_hints(in, thirds, true, hint_mode::stable);
    CHECK(stable.hint_changes == 1);
    CHECK(hint_zones(stable.slices.update)[0][3] == "zone-c");
    CHECK(stable.hinted_by_zone == zone_counts{{"zone-a", 4}, {"zone-b", 3}, {"zone-c", 3}});
  }
  SECTION("upstream can leave a zone below its minimum; stable does not") {
    // desired a 4.7, b 4.8, c 0.5 raised to its minimum 1. Upstream's surpluses (0.3, 0.2) are
    // below 0.5 so nothing moves and zone-c gets no endpoint at all.
    const zone_ratios skew{{"zone-a", 0.47}, {"zone-b", 0.48}, {"zone-c", 0.05}};
    std::vector<ep> eps;
    for (int k = 0; k < 10; ++k) eps.push_back(make_ep("10.0.0." + std::to_string(k + 1), opt_str(k < 5 ? "zone-a" : "zone-b")));
    const slice_set<ipv4> in{{make_slice(eps)}, {}, {}};
    const auto upstream = add_hints(in, skew, false);
    CHECK(upstream.hinted_by_zone == zone_counts{{"zone-a", 5}, {"zone-b", 5}});
    CHECK(upstream.allocations.at("zone-c") == zone_allocation{1, 2, 1.0});
    CHECK(service_overloaded(*upstream.hinted_by_zone, skew));
    const auto stable = add_hints(in, skew, false, hint_mode::stable);
    CHECK(stable.hinted_by_zone == zone_counts{{"zone-a", 4}, {"zone-b", 5}, {"zone-c", 1}});
    CHECK(hint_zones(stable.slices.create)[0] ==
          std::vector<std::string>{"zone-a", "zone-a", "zone-a", "zone-a", "zone-c", "zone-b", "zone-b", "zone-b", "zone-b", "zone-b"});
    CHECK_FALSE(service_overloaded(*stable.hinted_by_zone, skew));
  }
  SECTION("errors are the same as upstream's") {
    slice_set<ipv4> in{{make_slice({make_ep("10.0.0.1", "zone-a"), make_ep("10.0.0.2", "zone-b")})}, {}, {}};
    const auto stable = add_hints(in, thirds, false, hint_mode::stable);
    REQUIRE(stable.unavailable);
    CHECK(stable.unavailable->problem == hints_problem::insufficient_number_of_endpoints);
  }
}

namespace {

// Scenario S5 of docs/scenarios.md, reduced, with the Service's topology annotation on and the
// world's 100 nodes (zone by node index mod 3) of equal CPU; reconcile, hint_plan and apply per step.
struct churn_run {
  std::size_t hint_changes = 0;
  std::size_t added = 0;        // new pods, each of which must get a hint once
  std::size_t hint_writes = 0;  // slices written for their hints alone
  std::size_t fallbacks = 0;
  std::size_t out_of_bounds = 0;  // reconciles that left a zone outside its minimum..maximum
  std::vector<endpoint_slice_v4> final_slices;
  desired_state<ipv4> final_desired;
  bool populated = false;
};

churn_run hinted_churn(std::size_t n, std::size_t steps, hint_mode mode,
                       const std::optional<zone_ratios>& ratios) {
  const string_map annotations{{std::string(well_known::topology_mode_annotation), "Auto"}};
  splitmix64 rand{42};
  std::vector<std::uint64_t> live;
  std::uint64_t next_pod = 0;
  std::vector<endpoint_slice_v4> current;
  slice_namer namer;
  desired_state<ipv4> desired = scenario_service();
  plan_hints_options opt;
  opt.mode = mode;
  churn_run out;
  const auto step = [&](bool counted) {
    auto& eps = desired.groups[0].endpoints;
    eps.clear();
    for (std::uint64_t i : live) eps.push_back(scenario_endpoint(i));
    auto h = hint_plan<ipv4>(reconcile(desired, current), current, annotations, std::nullopt, ratios, opt);
    REQUIRE_FALSE(h.unavailable);
    opt.hints_populated = h.hints_populated;
    current = epslice::apply(h.plan, current, namer);
    for (const auto& [zone, a] : h.allocations) {
      const auto c = h.hinted_by_zone->count(zone) ? h.hinted_by_zone->at(zone) : 0;
      if (c < a.minimum || c > a.maximum) {
        ++out.out_of_bounds;
        break;
      }
    }
    if (!counted) return;
    out.hint_changes += h.hint_changes;
    out.hint_writes += h.moved_to_update;
    out.fallbacks += h.stable_fallback ? 1 : 0;
  };
  for (std::size_t j = 0; j < n; ++j) live.push_back(next_pod++);
  step(false);
  const std::size_t k = (n + 50) / 100;
  for (std::size_t s = 0; s < steps; ++s) {
    for (std::size_t j = 0; j < k && !live.empty(); ++j)
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(rand.below(live.size())));
    for (std::size_t j = 0; j < k; ++j) live.push_back(next_pod++);
    out.added += k;
    step(true);
  }
  out.final_slices = std::move(current);
  out.final_desired = std::move(desired);
  out.populated = opt.hints_populated;
  return out;
}

}  // namespace

TEST_CASE("topology: stable hints change no more than upstream's over a reduced S5", "[topology]") {
#ifdef EPSLICE_SANITIZE_BUILD
  const std::size_t pods = 300, steps = 8;
#else
  const std::size_t pods = 1000, steps = 20;
#endif
  std::vector<node> nodes;
  for (int k = 0; k < 100; ++k) {
    static const char* const zone_names[] = {"zone-a", "zone-b", "zone-c"};
    nodes.push_back(make_node("node-" + std::to_string(k), zone_names[k % 3], "4", true));
  }
  const auto cap = compute_zone_capacity(nodes);
  REQUIRE(cap.ratios == zone_ratios{{"zone-a", 0.34}, {"zone-b", 0.33}, {"zone-c", 0.33}});
  const auto up = hinted_churn(pods, steps, hint_mode::upstream, cap.ratios);
  const auto st = hinted_churn(pods, steps, hint_mode::stable, cap.ratios);
  INFO("upstream " << up.hint_changes << ", stable " << st.hint_changes << ", new pods " << st.added);
  CHECK(st.hint_changes <= up.hint_changes);
  // Every new ready pod gets a hint once, in either mode.
  CHECK(st.hint_changes >= st.added);
  CHECK(up.hint_changes >= up.added);
  CHECK(st.fallbacks == 0);
  CHECK(st.out_of_bounds == 0);
  // Same placement in both modes (hints never decide placement), and a settled state stays put.
  REQUIRE(st.final_slices.size() == up.final_slices.size());
  for (const auto* r : {&up, &st}) {
    plan_hints_options opt;
    opt.mode = r == &up ? hint_mode::upstream : hint_mode::stable;
    opt.hints_populated = r->populated;
    const string_map annotations{{std::string(well_known::topology_mode_annotation), "Auto"}};
    const auto again = hint_plan<ipv4>(reconcile(r->final_desired, r->final_slices), r->final_slices,
                                       annotations, std::nullopt, cap.ratios, opt);
    CHECK(again.plan.empty());
    CHECK(again.hint_changes == 0);
  }
}

TEST_CASE("topology: carry over hints from existing slices", "[topology]") {
  object_reference pod;
  pod.kind = "Pod";
  pod.namespace_ = "ns";
  pod.name = "p1";
  auto prev1 = hinted(make_ep("10.0.0.1", "zone-a"), {"zone-b"});
  prev1.target_ref = pod;
  auto prev2 = hinted(make_ep("10.0.0.2", "zone-a"), {"zone-a"});
  const slices previous{make_slice({prev1, prev2})};
  auto now1 = make_ep("10.0.0.1", "zone-a");
  now1.target_ref = pod;
  auto other_pod = make_ep("10.0.0.1", "zone-a");  // same address, no targetRef: another identity
  const auto already = hinted(make_ep("10.0.0.2", "zone-a"), {"zone-c"});
  slice_set<ipv4> in{{make_slice({now1, other_pod})}, {make_slice({already, make_ep("10.0.0.2", "zone-a")})},
                     {make_slice({make_ep("10.0.0.2", "zone-a")})}};
  const auto out = carry_over_hints(in, std::span<const slice>(previous));
  CHECK(hint_zones(out.create) == std::vector<std::vector<std::string>>{{"zone-b", "-"}});
  CHECK(hint_zones(out.update) == std::vector<std::vector<std::string>>{{"zone-c", "zone-a"}});
  CHECK(out.unchanged == in.unchanged);
  // With the previous hints in place, stable mode writes nothing new for a balanced layout.
  const zone_ratios ab{{"zone-a", 0.5}, {"zone-b", 0.5}};
  slice_set<ipv4> written{{}, {make_slice({make_ep("10.0.0.1", "zone-a"), make_ep("10.0.0.3", "zone-b")})}, {}};
  const slices existing{make_slice({hinted(make_ep("10.0.0.1", "zone-a"), {"zone-b"}), hinted(make_ep("10.0.0.3", "zone-b"), {"zone-a"})})};
  const auto carried = carry_over_hints(written, std::span<const slice>(existing));
  CHECK(add_hints(carried, ab, true, hint_mode::stable).hint_changes == 0);
  CHECK(add_hints(carried, ab, true, hint_mode::upstream).hint_changes == 2);
}

namespace {

// splitmix64: a fixed, portable random sequence.
struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
};

#ifdef EPSLICE_SANITIZE_BUILD
constexpr int property_cases = 300;
#else
constexpr int property_cases = 3000;
#endif

struct random_case {
  std::optional<zone_ratios> ratios;
  slice_set<ipv4> in;
};

random_case make_random_case(rng& r) {
  random_case c;
  const int zones = 2 + r.below(4);
  std::vector<node> nodes;
  std::vector<std::string> names;
  for (int z = 0; z < zones; ++z) {
    names.push_back("zone-" + std::string(1, static_cast<char>('a' + z)));
    const int count = 1 + r.below(3);
    for (int k = 0; k < count; ++k)
      nodes.push_back(make_node(names.back() + std::to_string(k), names.back(), std::to_string(100 * (1 + r.below(40))) + "m", true));
  }
  c.ratios = compute_zone_capacity(nodes).ratios;
  const int n_slices = 1 + r.below(6);
  std::uint32_t ip = 0x0a000001;
  for (int s = 0; s < n_slices; ++s) {
    std::vector<ep> eps;
    const int n = r.below(30);
    for (int k = 0; k < n; ++k) {
      ep e;
      e.addresses.push_back(ipv4_address::from_uint(ip++));
      e.zone = names[static_cast<std::size_t>(r.below(zones))];
      const int ready = r.below(10);
      e.conditions.ready = ready == 0 ? std::optional<bool>(false) : ready == 1 ? std::nullopt : std::optional<bool>(true);
      const int h = r.below(6);
      if (h == 1 || h == 2) e.hints = hints({*e.zone});
      else if (h == 3) e.hints = hints({names[static_cast<std::size_t>(r.below(zones))]});
      else if (h == 4 && r.below(4) == 0) e.hints = hints({"zone-gone"});
      eps.push_back(e);
    }
    const int where = r.below(3);
    (where == 0 ? c.in.create : where == 1 ? c.in.update : c.in.unchanged).push_back(make_slice(eps));
  }
  return c;
}

}  // namespace

TEST_CASE("topology: property: allocations cover N and bound every zone", "[topology]") {
  rng r{42};
  int checked = 0;
  for (int iter = 0; iter < property_cases; ++iter) {
    const auto c = make_random_case(r);
    const std::int64_t n = 1 + r.below(200);
    const auto a = compute_allocations(c.ratios, n);
    if (a.error) continue;
    ++checked;
    std::int64_t min_total = 0;
    for (const auto& [zone, z] : a.allocations) {
      min_total += z.minimum;
      CHECK(z.minimum >= 1);
      CHECK(static_cast<double>(z.minimum) <= z.desired);
      CHECK(z.maximum >= z.minimum);
    }
    CHECK(min_total <= n);
    for (const auto& [zone, z] : a.allocations) CHECK(z.maximum == z.minimum + n - min_total);
  }
  CHECK(checked > property_cases / 4);
}

TEST_CASE("topology: property: hinted counts cover N, stay in bounds, stable never changes more", "[topology]") {
  rng r{7};
  int hinted_cases = 0, stable_fewer = 0;
  for (int iter = 0; iter < property_cases; ++iter) {
    const auto c = make_random_case(r);
    const auto up = add_hints(c.in, c.ratios, true, hint_mode::upstream);
    const auto st = add_hints(c.in, c.ratios, true, hint_mode::stable);
    INFO("case " << iter);
    REQUIRE(up.unavailable.has_value() == st.unavailable.has_value());
    if (up.unavailable) {
      CHECK(up.slices == st.slices);
      continue;
    }
    ++hinted_cases;
    const std::int64_t n = total_ready_endpoints(c.in);
    for (const auto* res : {&up, &st}) {
      INFO((res == &up ? "upstream" : "stable"));
      std::int64_t sum = 0;
      for (const auto& [zone, count] : *res->hinted_by_zone) sum += count;
      CHECK(sum == n);  // every ready endpoint hinted for exactly one zone
      CHECK(stats_of(res->slices).per_zone == *res->hinted_by_zone);
    }
    // Stable mode keeps every zone between its minimum and maximum. Upstream does not always
    // (see "upstream can leave a zone below its minimum"), so only stable is held to it.
    for (const auto& [zone, a] : st.allocations) {
      INFO(zone);
      const auto it = st.hinted_by_zone->find(zone);
      REQUIRE(it != st.hinted_by_zone->end());
      CHECK(it->second >= a.minimum);
      CHECK(it->second <= a.maximum);
    }
    CHECK_FALSE(st.stable_fallback);
    CHECK_FALSE(service_overloaded(*st.hinted_by_zone, c.ratios));
    CHECK(st.hint_changes <= up.hint_changes);
    if (st.hint_changes < up.hint_changes) ++stable_fewer;
    // Same slices are written in both modes (the unchanged check is shared).
    CHECK(st.slices.unchanged.size() == up.slices.unchanged.size());
  }
  CHECK(hinted_cases > property_cases / 4);
  CHECK(stable_fewer > 0);
}

// ---------------------------------------------------------------------------------------------
// Hints over existing slices (hint_slices): the dispatch of hint_plan on slices that are all
// written, in the order given.

TEST_CASE("topology: hint_slices applies the decision as the primitives do", "[topology]") {
  const std::vector<node> nodes = {make_node("n-a", "zone-a", "4", true), make_node("n-b", "zone-b", "4", true),
                                   make_node("n-c", "zone-c", "8", true)};
  const auto cap = compute_zone_capacity(nodes);
  REQUIRE(cap.ratios);
  // Two slices with stale, missing and node hints, a not-ready endpoint and one outside any zone
  // allocation (zone-d).
  const slices in = {
      make_slice({hinted(make_ep("10.0.0.1", "zone-a", true, "n-a"), {"zone-c"}), make_ep("10.0.0.2", "zone-b", true, "n-b"),
                  make_ep("10.0.0.3", "zone-c", false, "n-c")}),
      make_slice({make_ep("10.0.0.4", "zone-c", true, "n-c"), hinted(make_ep("10.0.0.5", "zone-c", true, "n-c"), {"zone-c"}, {"n-c"}),
                  make_ep("10.0.0.6", "zone-a", true, "n-a"), make_ep("10.0.0.7", "zone-b", true, "n-b")}),
  };
  const auto as_set = [&] {
    slice_set<ipv4> s;
    s.update = in;
    return s;
  };
  struct row {
    const char* name;
    hints_decision decision;
  };
  hints_decision forget_remove = traffic_distribution_decision(std::nullopt);
  forget_remove.forget_topology_state = true;
  const std::vector<row> rows = {
      {"topology-aware", topology_hints_decision()},
      {"PreferClose", traffic_distribution_decision("PreferClose")},
      {"PreferSameZone", traffic_distribution_decision("PreferSameZone")},
      {"PreferSameNode", traffic_distribution_decision("PreferSameNode")},
      {"unknown value", traffic_distribution_decision("Nearby")},
      {"no value, the cache forgets", forget_remove},
  };
  for (const auto& r : rows) {
    for (const bool populated : {false, true}) {
      for (const hint_mode mode : {hint_mode::upstream, hint_mode::stable}) {
        INFO(r.name << " populated=" << populated << " stable=" << (mode == hint_mode::stable));
        slice_hints_options opt;
        opt.hints_populated = populated;
        opt.mode = mode;
        const auto got = hint_slices(in, r.decision, cap.ratios, opt);
        CHECK(got.decision == r.decision);
        std::vector<topology_event> want_events;
        switch (r.decision.action) {
          case hints_action::topology_aware_hints: {
            const auto want = add_hints(as_set(), cap.ratios, populated, mode);
            CHECK(got.slices == want.slices.update);
            CHECK(got.hint_changes == want.hint_changes);
            CHECK(got.hinted_by_zone == want.hinted_by_zone);
            CHECK(got.hints_populated == want.hints_populated);
            CHECK(got.allocations == want.allocations);
            CHECK(got.stable_fallback == want.stable_fallback);
            want_events = want.events;
            break;
          }
          case hints_action::traffic_distribution: {
            const auto want = apply_traffic_heuristic(as_set(), r.decision.heuristic);
            CHECK(got.slices == want.slices.update);
            CHECK(got.hint_changes == want.hint_changes);
            CHECK(got.hints_populated == populated);
            break;
          }
          case hints_action::remove_hints: {
            const auto want = remove_hints(as_set());
            CHECK(got.slices == want.slices.update);
            CHECK(got.hint_changes == want.hint_changes);
            CHECK(got.hints_populated == (populated && !r.decision.forget_topology_state));
            if (populated && r.decision.forget_topology_state) want_events.push_back(hints_disabled_event("IPv4"));
            break;
          }
        }
        CHECK(got.events == want_events);
        CHECK(got.slices.size() == in.size());
      }
    }
  }
}

TEST_CASE("topology: hint_slices decides from the Service as hint_plan does", "[topology]") {
  const std::vector<node> nodes = {make_node("n-a", "zone-a", "4", true), make_node("n-b", "zone-b", "4", true)};
  const auto cap = compute_zone_capacity(nodes);
  const slices in = {make_slice({make_ep("10.0.0.1", "zone-a", true, "n-a"), make_ep("10.0.0.2", "zone-b", true, "n-b"),
                                 make_ep("10.0.0.3", "zone-a", true, "n-a"), make_ep("10.0.0.4", "zone-b", true, "n-b")})};
  service svc;
  svc.metadata.name = "svc";
  svc.metadata.namespace_ = "default";
  SECTION("annotation: topology-aware hints, Enabled event unless populated") {
    svc.metadata.annotations.emplace(std::string(well_known::topology_mode_annotation), "Auto");
    svc.traffic_distribution = "PreferClose";  // the annotation wins
    const auto got = hint_slices(in, svc, cap.ratios);
    CHECK(got.decision.action == hints_action::topology_aware_hints);
    CHECK(hint_zones(got.slices) == std::vector<std::vector<std::string>>{{"zone-a", "zone-b", "zone-a", "zone-b"}});
    REQUIRE(got.events.size() == 1);
    CHECK(got.events[0].reason == topology_messages::reason_enabled);
    CHECK(got.hinted_by_zone == zone_counts{{"zone-a", 2}, {"zone-b", 2}});
    CHECK(got.hints_populated);
    slice_hints_options populated;
    populated.hints_populated = true;
    CHECK(hint_slices(in, svc, cap.ratios, populated).events.empty());
  }
  SECTION("trafficDistribution: PreferSameNode only when the policy honours it") {
    svc.traffic_distribution = "PreferSameNode";
    slice_hints_options opt;
    opt.policy = hints_policy{true, true};
    auto got = hint_slices(in, svc, cap.ratios, opt);
    CHECK(got.decision.action == hints_action::traffic_distribution);
    CHECK(hint_zones(got.slices)[0][0] == "zone-a@n-a");
    opt.policy = hints_policy{true, false};
    opt.hints_populated = true;
    got = hint_slices(in, svc, cap.ratios, opt);
    CHECK(got.decision.action == hints_action::remove_hints);
    CHECK(hint_zones(got.slices)[0][0] == "-");
    CHECK(got.events == std::vector<topology_event>{hints_disabled_event("IPv4")});
    CHECK_FALSE(got.hints_populated);
  }
  SECTION("the same as the hints stage of a plan whose every slice is an update") {
    svc.metadata.annotations.emplace(std::string(well_known::topology_mode_annotation), "auto");
    slice_plan<ipv4> plan;
    plan.update = in;
    const auto staged = hint_plan<ipv4>(plan, std::span<const slice>(), svc, cap.ratios);
    const auto got = hint_slices(in, svc, cap.ratios);
    CHECK(got.slices == staged.plan.update);
    CHECK(got.events == staged.events);
    CHECK(got.hinted_by_zone == staged.hinted_by_zone);
  }
}
