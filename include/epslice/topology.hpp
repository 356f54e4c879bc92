// SPDX-License-Identifier: Apache-2.0
// Topology hints: zone capacity, allocations, topology-aware and trafficDistribution hints, a plan's hints stage.
//
// Upstream (k8s.io/endpointslice `topologycache` and `trafficdist`) keeps per-service state in a
// shared, locked cache. Here every function is pure: the cache's state is an explicit input
// (zone ratios, the service's "hints populated" mark) and an explicit output (the per-zone hint
// counts to store, the new mark, the events to emit).
//
// Deterministic rules where upstream iterates Go maps (documented once here, used everywhere):
//  - zones are always visited in ascending byte order of their names (`zone_map` is a std::map);
//  - when several zones have the same largest giving or receiving value, the one whose name sorts
//    first is taken;
//  - redistribution hints an endpoint for the receiving zone whose name sorts first among those
//    that still receive.
// None of these choices changes a count that upstream's tests assert.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "address.hpp"
#include "detail/identity.hpp"
#include "reconcile.hpp"
#include "types.hpp"

namespace epslice {

/// A map keyed by zone name, ordered by name (the deterministic iteration order of this header).
template <class T>
using zone_map = std::map<std::string, T, std::less<>>;
/// Share of the cluster's allocatable CPU per zone (0..1), upstream's `cpuRatiosByZone`.
using zone_ratios = zone_map<double>;
/// A number of endpoints (or hints) per zone, upstream's `EndpointZoneInfo`.
using zone_counts = zone_map<std::int64_t>;

/// Upstream's overload threshold: no endpoint should receive more than 20% above its fair share.
inline constexpr double overload_threshold = 0.2;
/// The factor applied to a zone's desired endpoints to get its minimum: 1 / (1 + 0.2) as an IEEE
/// double (0.8333333333333334), as upstream computes it.
inline constexpr double min_allocation_factor = 1.0 / (1.0 + overload_threshold);

// ---------------------------------------------------------------------------------------------
// Events and reasons.

/// Upstream's event texts (`topologycache/event.go`) and event reasons.
namespace topology_messages {
inline constexpr std::string_view no_zone_specified = "One or more endpoints do not have a zone specified";
inline constexpr std::string_view no_allocated_hints_for_zones = "No hints allocated for zones";
inline constexpr std::string_view hints_enabled = "Topology Aware Hints has been enabled";
inline constexpr std::string_view hints_disabled = "Topology Aware Hints has been disabled";
inline constexpr std::string_view insufficient_node_info =
    "Insufficient Node information: allocatable CPU or zone not specified on one or more nodes";
inline constexpr std::string_view nodes_ready_in_one_zone_only = "Nodes only ready in one zone";
inline constexpr std::string_view insufficient_number_of_endpoints = "Insufficient number of endpoints";
inline constexpr std::string_view min_allocation_exceeds_overload_threshold =
    "Unable to allocate minimum required endpoints to each zone without exceeding overload threshold";
inline constexpr std::string_view reason_enabled = "TopologyAwareHintsEnabled";
inline constexpr std::string_view reason_disabled = "TopologyAwareHintsDisabled";
inline constexpr std::string_view type_normal = "Normal";
inline constexpr std::string_view type_warning = "Warning";
}  // namespace topology_messages

/// Why topology-aware hints cannot be used, one value per upstream event message.
enum class hints_problem : std::uint8_t {
  insufficient_node_info,                     ///< no usable zone ratios
  nodes_ready_in_one_zone_only,               ///< ratios for fewer than 2 zones
  insufficient_number_of_endpoints,           ///< more zones than ready endpoints
  min_allocation_exceeds_overload_threshold,  ///< the zone minimums add up to more than N
  no_zone_specified,                          ///< a ready endpoint to write has no zone
  no_allocated_hints_for_zones,               ///< nothing was hinted at all
};

/// The upstream message (without counts or address type) of a problem.
[[nodiscard]] constexpr std::string_view message_of(hints_problem p) noexcept {
  switch (p) {
    case hints_problem::insufficient_node_info: return topology_messages::insufficient_node_info;
    case hints_problem::nodes_ready_in_one_zone_only: return topology_messages::nodes_ready_in_one_zone_only;
    case hints_problem::insufficient_number_of_endpoints: return topology_messages::insufficient_number_of_endpoints;
    case hints_problem::min_allocation_exceeds_overload_threshold:
      return topology_messages::min_allocation_exceeds_overload_threshold;
    case hints_problem::no_zone_specified: return topology_messages::no_zone_specified;
    case hints_problem::no_allocated_hints_for_zones: return topology_messages::no_allocated_hints_for_zones;
  }
  return topology_messages::insufficient_node_info;
}

/// Hints cannot be used: the problem and the full event message as upstream emits it
/// (e.g. `Insufficient number of endpoints (2 endpoints, 3 zones), addressType: IPv4`).
struct hints_unavailable {
  hints_problem problem = hints_problem::insufficient_node_info;
  std::string message;
  friend bool operator==(const hints_unavailable&, const hints_unavailable&) = default;
};

/// An event upstream records on the Service (type `Normal`/`Warning`, reason, message).
struct topology_event {
  std::string type;
  std::string reason;
  std::string message;
  friend bool operator==(const topology_event&, const topology_event&) = default;
};

/// `<message>, addressType: <type>`, upstream's `FormatWithAddressType`.
[[nodiscard]] inline std::string with_address_type(std::string_view message, std::string_view address_type) {
  std::string out(message);
  out += ", addressType: ";
  out += address_type;
  return out;
}

/// The Warning event upstream emits when a Service that had topology-aware hints loses them
/// because its annotation no longer enables them (`Topology Aware Hints has been disabled`).
[[nodiscard]] inline topology_event hints_disabled_event(std::string_view address_type) {
  return {std::string(topology_messages::type_warning), std::string(topology_messages::reason_disabled),
          with_address_type(topology_messages::hints_disabled, address_type)};
}

// ---------------------------------------------------------------------------------------------
// Zone capacity (upstream `TopologyCache.SetNodes`).

/// Why the node information does not support hints.
enum class capacity_problem : std::uint8_t {
  none,                     ///< sufficient
  node_missing_zone_or_cpu, ///< a counted node has no zone label, an empty one, or no CPU above zero
  no_cpu,                   ///< the counted nodes add up to zero CPU (also: no counted node)
  fewer_than_two_zones,     ///< the counted nodes span fewer than 2 zones
  /// The counted nodes' CPU adds up to more than 2^63 - 1 millicores (about 9.2 billion cores,
  /// far beyond any cluster): the node information is wrong, and no share can be computed.
  cpu_overflow,
};

/// The CPU capacity of the cluster per zone, and each zone's share of it.
struct zone_capacity {
  /// Upstream's `sufficientNodeInfo`: true iff `ratios` is set.
  bool sufficient = false;
  capacity_problem problem = capacity_problem::no_cpu;
  /// The name of the node that lacked a zone or CPU (problem `node_missing_zone_or_cpu`), or
  /// whose CPU made the sum overflow (problem `cpu_overflow`).
  std::string offending_node;
  /// Allocatable CPU in millicores per zone; empty unless sufficient.
  zone_counts cpu_millis;
  /// Total allocatable CPU in millicores over the counted nodes; 0 unless sufficient.
  std::int64_t total_cpu_millis = 0;
  /// `cpu_millis[zone] / total_cpu_millis` as doubles; nullopt (upstream nil) unless sufficient.
  std::optional<zone_ratios> ratios;
  friend bool operator==(const zone_capacity&, const zone_capacity&) = default;
};

/// True when a node carries either control-plane label (any value) and so is not counted.
[[nodiscard]] inline bool is_excluded_node(const node& n) noexcept {
  const auto& labels = n.metadata.labels;
  return labels.find(well_known::control_plane_label) != labels.end() ||
         labels.find(well_known::master_label) != labels.end();
}

/// Zone capacity from nodes, as upstream's `SetNodes`. Steps, for each node in input order:
///  1. skip it if it carries a control-plane label (`is_excluded_node`);
///  2. skip it unless it is Ready;
///  3. if its zone label is missing or empty, or its allocatable CPU is absent, zero or negative,
///     stop: the result is insufficient (`node_missing_zone_or_cpu`) whatever the other nodes
///     hold (upstream stops on zero; a negative allocatable is invalid for the API server and
///     would make shares negative);
///  4. add its CPU to its zone and to the total; when the total would pass 2^63 - 1 millicores,
///     stop: the result is insufficient (`cpu_overflow`), as no share can be computed exactly
///     (upstream's sum is exact but its shares then read wrapped 64-bit values).
/// Then: zero total CPU or fewer than 2 zones is insufficient; otherwise each zone's ratio is its
/// CPU divided by the total (millicores, as doubles), a number in (0, 1].
[[nodiscard]] inline zone_capacity compute_zone_capacity(std::span<const node> nodes) {
  zone_capacity out;
  zone_counts cpu;
  std::int64_t total = 0;
  for (const node& n : nodes) {
    if (is_excluded_node(n) || !n.ready) continue;
    const std::string_view zone = n.zone();
    if (zone.empty() || !n.allocatable_cpu_millis || *n.allocatable_cpu_millis <= 0) {
      out.problem = capacity_problem::node_missing_zone_or_cpu;
      out.offending_node = n.metadata.name;
      return out;
    }
    // Every value added is positive, so no zone's sum can overflow once the total does not.
    if (*n.allocatable_cpu_millis > std::numeric_limits<std::int64_t>::max() - total) {
      out.problem = capacity_problem::cpu_overflow;
      out.offending_node = n.metadata.name;
      return out;
    }
    total += *n.allocatable_cpu_millis;
    auto it = cpu.find(zone);
    if (it == cpu.end()) it = cpu.emplace(std::string(zone), 0).first;
    it->second += *n.allocatable_cpu_millis;
  }
  if (total == 0) {
    out.problem = capacity_problem::no_cpu;
    return out;
  }
  if (cpu.size() < 2) {
    out.problem = capacity_problem::fewer_than_two_zones;
    return out;
  }
  out.sufficient = true;
  out.problem = capacity_problem::none;
  out.total_cpu_millis = total;
  zone_ratios ratios;
  for (const auto& [zone, millis] : cpu)
    ratios.emplace(zone, static_cast<double>(millis) / static_cast<double>(total));
  out.ratios = std::move(ratios);
  out.cpu_millis = std::move(cpu);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Allocations (upstream `TopologyCache.getAllocations`).

/// How many endpoints a zone should be hinted for.
struct zone_allocation {
  std::int64_t minimum = 0;  ///< ceil(desired * 1/1.2): fewer would overload the zone's endpoints
  std::int64_t maximum = 0;  ///< minimum + N - sum of all minimums
  double desired = 0;        ///< max(ratio * N, minimum)
  friend bool operator==(const zone_allocation&, const zone_allocation&) = default;
};
/// Allocations of every zone that has a ratio.
using zone_allocations = zone_map<zone_allocation>;

/// Allocations, or why there are none.
struct allocation_result {
  zone_allocations allocations;              ///< empty when `error` is set
  std::optional<hints_unavailable> error;    ///< message without the address-type suffix
  friend bool operator==(const allocation_result&, const allocation_result&) = default;
};

/// Allocations for `ready_endpoints` (N) ready endpoints over the zones of `ratios`. Errors, in
/// upstream's order:
///  1. `ratios` is nullopt, or a ratio is not a number from 0 to 1 (NaN, infinite, negative or
///     above 1: not a share of the cluster's CPU, whatever built it) -> insufficient_node_info;
///  2. fewer than 2 zones -> nodes_ready_in_one_zone_only;
///  3. more zones than N -> insufficient_number_of_endpoints (`... (N endpoints, Z zones)`);
///  4. per zone `desired = ratio * N`, `minimum = ceil(desired * 1/1.2)`; once the minimums add up
///     to more than N -> min_allocation_exceeds_overload_threshold (`... (N endpoints, Z zones)`).
/// Otherwise each zone gets `desired = max(desired, minimum)` and `maximum = minimum + N - sum(minimum)`.
[[nodiscard]] inline allocation_result compute_allocations(const std::optional<zone_ratios>& ratios,
                                                           std::int64_t ready_endpoints) {
  allocation_result out;
  const auto fail = [&](hints_problem p, bool counts) {
    std::string msg(message_of(p));
    if (counts) {
      msg += " (";
      msg += std::to_string(ready_endpoints);
      msg += " endpoints, ";
      msg += std::to_string(ratios->size());
      msg += " zones)";
    }
    out.error = hints_unavailable{p, std::move(msg)};
    out.allocations.clear();
    return out;
  };
  if (!ratios) return fail(hints_problem::insufficient_node_info, false);
  for (const auto& [zone, ratio] : *ratios)
    if (!(ratio >= 0.0 && ratio <= 1.0)) return fail(hints_problem::insufficient_node_info, false);
  if (ratios->size() < 2) return fail(hints_problem::nodes_ready_in_one_zone_only, false);
  if (static_cast<std::int64_t>(ratios->size()) > ready_endpoints)
    return fail(hints_problem::insufficient_number_of_endpoints, true);
  const double n = static_cast<double>(ready_endpoints);
  // 0 <= desired <= N (as a double, at most 2^63), so each minimum fits in 64 bits; `remaining`
  // stays within [-N, N] and the maximums within [0, N].
  std::int64_t remaining = ready_endpoints;
  for (const auto& [zone, ratio] : *ratios) {
    const double desired = ratio * n;
    const auto minimum = static_cast<std::int64_t>(std::ceil(desired * min_allocation_factor));
    out.allocations.emplace(zone, zone_allocation{minimum, 0, std::max(desired, static_cast<double>(minimum))});
    remaining -= minimum;
    if (remaining < 0) return fail(hints_problem::min_allocation_exceeds_overload_threshold, true);
  }
  for (auto& [zone, a] : out.allocations) a.maximum = a.minimum + remaining;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Slices and the small helpers of the hints pipeline.

/// The slices of one Service and address type that a reconcile is about to handle: the ones it
/// creates, the ones it updates, and the existing ones it leaves alone (upstream's `SliceInfo`,
/// whose `ToCreate`/`ToUpdate` are named here as in `slice_plan`).
template <class F>
struct slice_set {
  std::vector<basic_endpoint_slice<F>> create;     ///< slices to create (as slice_plan::create)
  std::vector<basic_endpoint_slice<F>> update;     ///< slices to update (as slice_plan::update)
  std::vector<basic_endpoint_slice<F>> unchanged;  ///< existing slices not written
  friend bool operator==(const slice_set&, const slice_set&) = default;
};

/// Slices with hints set or removed, and how many endpoints' `hints` differ from the input.
template <class F>
struct hinted_slices {
  slice_set<F> slices;
  std::size_t hint_changes = 0;
};

/// True only for an explicit `ready: true` (the hints code does not read nil as ready).
template <class F>
[[nodiscard]] bool endpoint_ready(const basic_endpoint<F>& e) noexcept {
  return e.conditions.ready.value_or(false);
}

/// The number of ready endpoints over all slices of the set (upstream `getTotalReadyEndpoints`).
template <class F>
[[nodiscard]] std::int64_t total_ready_endpoints(const slice_set<F>& s) noexcept {
  std::int64_t n = 0;
  for (const auto* list : {&s.create, &s.update, &s.unchanged})
    for (const auto& slice : *list)
      for (const auto& e : slice.endpoints)
        if (endpoint_ready(e)) ++n;
  return n;
}

/// The hints of an unchanged slice per zone, or nullopt when the slice must be rewritten
/// (upstream `getHintsByZone`): a ready endpoint without zone hints, a hint for a zone without
/// an allocation, or hints that with `allocated_so_far` exceed a zone's maximum. An endpoint
/// hinted for several zones counts in each.
template <class F>
[[nodiscard]] std::optional<zone_counts> hints_by_zone(const basic_endpoint_slice<F>& slice,
                                                       const zone_counts& allocated_so_far,
                                                       const zone_allocations& allocations) {
  zone_counts out;
  for (const auto& e : slice.endpoints) {
    if (!endpoint_ready(e)) continue;
    if (!e.hints || e.hints->for_zones.empty()) return std::nullopt;
    for (const auto& z : e.hints->for_zones) {
      if (allocations.find(z.name) == allocations.end()) return std::nullopt;
      ++out[z.name];
    }
  }
  for (const auto& [zone, count] : out) {
    auto so_far = allocated_so_far.find(zone);
    const std::int64_t before = so_far == allocated_so_far.end() ? 0 : so_far->second;
    if (count + before > allocations.find(zone)->second.maximum) return std::nullopt;
  }
  return out;
}

/// Whole endpoints each zone gives to or receives from others.
struct giving_receiving {
  zone_counts giving;
  zone_counts receiving;
  friend bool operator==(const giving_receiving&, const giving_receiving&) = default;
};

/// Upstream `getGivingAndReceivingZones`. Steps:
///  1. for each zone with an allocation: `allocated > desired` gives the difference,
///     `allocated < desired` receives it (as doubles);
///  2. repeatedly take the zone with the largest positive giving value and the one with the
///     largest positive receiving value (ties: first name); stop when either is missing, both
///     values are below 1, or either is below 0.5; else move one endpoint between them.
[[nodiscard]] inline giving_receiving giving_and_receiving_zones(const zone_allocations& allocations,
                                                                 const zone_counts& allocated) {
  zone_map<double> giving_desired, receiving_desired;
  for (const auto& [zone, a] : allocations) {
    auto it = allocated.find(zone);
    const double have = it == allocated.end() ? 0.0 : static_cast<double>(it->second);
    if (have > a.desired) giving_desired.emplace(zone, have - a.desired);
    else if (have < a.desired) receiving_desired.emplace(zone, a.desired - have);
  }
  const auto most = [](zone_map<double>& m) {
    auto best = m.end();
    double num = 0.0;
    for (auto it = m.begin(); it != m.end(); ++it)
      if (it->second > num) {
        num = it->second;
        best = it;
      }
    return best;
  };
  giving_receiving out;
  while (true) {
    auto g = most(giving_desired);
    auto r = most(receiving_desired);
    if (g == giving_desired.end() || r == receiving_desired.end()) break;
    if ((g->second < 1.0 && r->second < 1.0) || g->second < 0.5 || r->second < 0.5) break;
    ++out.giving[g->first];
    g->second -= 1.0;
    ++out.receiving[r->first];
    r->second -= 1.0;
  }
  return out;
}

namespace detail {

/// One ready endpoint of a slice about to be written, during hint assignment.
template <class F>
struct hint_slot {
  basic_endpoint<F>* endpoint = nullptr;
  std::string_view own_zone;  ///< the endpoint's zone (may be empty before the zone check)
  std::string target;         ///< the zone it is to be hinted for
  bool keep = false;          ///< stable mode: its existing hint stays as it is
};

template <class F>
void collect_slots(std::vector<basic_endpoint_slice<F>>& slices, std::vector<hint_slot<F>>& out) {
  for (auto& slice : slices)
    for (auto& e : slice.endpoints)
      if (endpoint_ready(e)) {
        hint_slot<F> s;
        s.endpoint = &e;
        if (e.zone) s.own_zone = *e.zone;
        out.push_back(std::move(s));
      }
}

/// Upstream's `redistributeHints` walk over ready endpoints in order: an endpoint whose own zone
/// still gives is re-targeted at the first (by name) zone that still receives. Returns the change
/// per zone (+1 receiving, -1 giving). `moved` (when non-null) receives the slot indexes moved.
template <class F>
zone_counts redistribute_slots(std::vector<hint_slot<F>>& slots, zone_counts giving, zone_counts receiving,
                               std::vector<std::size_t>* moved) {
  zone_counts delta;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (giving.empty() || receiving.empty()) break;
    auto& s = slots[i];
    if (s.own_zone.empty()) continue;
    auto g = giving.find(s.own_zone);
    if (g == giving.end() || g->second <= 0) continue;
    for (auto r = receiving.begin(); r != receiving.end(); ++r) {
      if (r->second <= 0) continue;
      const std::string to = r->first;
      const std::string from = g->first;
      s.target = to;
      if (moved) moved->push_back(i);
      if (g->second == 1) giving.erase(g); else --g->second;
      if (r->second == 1) receiving.erase(r); else --r->second;
      ++delta[to];
      --delta[from];
      break;
    }
  }
  return delta;
}

inline endpoint_hints zone_hint(std::string zone) {
  endpoint_hints h;
  h.for_zones.push_back(for_zone{std::move(zone)});
  return h;
}

}  // namespace detail

/// Result of `redistribute_hints`.
template <class F>
struct redistribution_result {
  std::vector<basic_endpoint_slice<F>> slices;
  zone_counts redistributions;  ///< per zone: +1 per endpoint received, -1 per endpoint given
};

/// Upstream `redistributeHints` on its own: walks the slices' ready endpoints in order and hints
/// each endpoint whose zone still gives for the first (by name) zone that still receives, until
/// either side is exhausted. Only the re-hinted endpoints change.
template <class F>
[[nodiscard]] redistribution_result<F> redistribute_hints(std::vector<basic_endpoint_slice<F>> slices,
                                                          zone_counts giving, zone_counts receiving) {
  std::vector<detail::hint_slot<F>> slots;
  detail::collect_slots(slices, slots);
  std::vector<std::size_t> moved;
  redistribution_result<F> out;
  out.redistributions = detail::redistribute_slots(slots, std::move(giving), std::move(receiving), &moved);
  for (std::size_t i : moved) slots[i].endpoint->hints = detail::zone_hint(slots[i].target);
  out.slices = std::move(slices);
  return out;
}

/// Remove every hint (upstream `RemoveHintsFromSlices`). Steps:
///  1. clear the hints of every endpoint of the slices to create and to update;
///  2. every unchanged slice with an endpoint that has hints gets its hints cleared and moves to
///     the end of `update` (in its order); the others stay unchanged.
template <class F>
[[nodiscard]] hinted_slices<F> remove_hints(slice_set<F> s) {
  hinted_slices<F> out;
  for (auto* list : {&s.create, &s.update})
    for (auto& slice : *list)
      for (auto& e : slice.endpoints)
        if (e.hints) {
          e.hints.reset();
          ++out.hint_changes;
        }
  std::vector<basic_endpoint_slice<F>> still;
  for (auto& slice : s.unchanged) {
    bool changed = false;
    for (auto& e : slice.endpoints)
      if (e.hints) {
        e.hints.reset();
        ++out.hint_changes;
        changed = true;
      }
    (changed ? s.update : still).push_back(std::move(slice));
  }
  s.unchanged = std::move(still);
  out.slices = std::move(s);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Topology-aware hints (upstream `TopologyCache.AddHints`).

/// How hints are assigned once allocations exist.
enum class hint_mode : std::uint8_t {
  /// As upstream: every ready endpoint written is hinted for its own zone, then the first
  /// endpoints of over-served zones (walk order) move to under-served ones.
  upstream,
  /// Beyond upstream: keep every still-valid hint (one zone that has an allocation, no node
  /// hints) and re-hint the fewest endpoints that brings every zone between its minimum and
  /// maximum. Endpoints that must be (re)hinted go to their own zone when it lacks endpoints or
  /// has room, else to the zone that lacks the most (ties: first name). When the bounds cannot
  /// be met (only with endpoints in zones without allocations or unchanged slices that hint
  /// several zones per endpoint) the upstream assignment is used instead.
  stable,
};

namespace detail {

/// Endpoints by identity (detail/identity.hpp), to values of type V; the endpoints must outlive it.
template <class F, class V>
using endpoints_by_identity =
    std::unordered_map<const basic_endpoint<F>*, V, endpoint_identity_hasher<F>, endpoint_identity_equal<F>>;

/// carry_over_hints, optionally for ready endpoints only.
template <class F>
slice_set<F> carry_hints(slice_set<F> s, std::span<const basic_endpoint_slice<F>> previous, bool ready_only) {
  endpoints_by_identity<F, const endpoint_hints*> hints;
  for (const auto& slice : previous)
    for (const auto& e : slice.endpoints)
      if (e.hints) hints.emplace(&e, &*e.hints);
  if (hints.empty()) return s;
  for (auto* list : {&s.create, &s.update})
    for (auto& slice : *list)
      for (auto& e : slice.endpoints)
        if (!e.hints && (!ready_only || endpoint_ready(e))) {
          auto it = hints.find(&e);
          if (it != hints.end()) e.hints = *it->second;
        }
  return s;
}

}  // namespace detail

/// Copy hints from `previous` slices (the existing ones) to the endpoints of `create` and
/// `update` that have none and the same identity: sorted addresses, hostname, targetRef
/// namespace and name. The reconciler builds written slices from desired endpoints, which carry
/// no hints; stable mode needs the previous hints there to keep them. Unchanged slices are not
/// touched. When several previous endpoints share an identity, the first one's hints are used.
template <class F>
[[nodiscard]] slice_set<F> carry_over_hints(slice_set<F> s,
                                            std::span<const basic_endpoint_slice<F>> previous) {
  return detail::carry_hints(std::move(s), previous, false);
}

/// Everything `add_hints` decided.
template <class F>
struct add_hints_result {
  slice_set<F> slices;
  /// The per-zone hint counts to remember for this Service and address type (upstream's
  /// `endpointsByService[svc][type]`, input of `service_overloaded`); nullopt: forget them.
  std::optional<zone_counts> hinted_by_zone;
  /// The Service's "hints populated" mark after the call (upstream's `hintsPopulatedByService`).
  bool hints_populated = false;
  /// Set when hints cannot be used (the slices then carry no hints).
  std::optional<hints_unavailable> unavailable;
  /// The events upstream would record on the Service.
  std::vector<topology_event> events;
  /// Allocations used (empty when allocation failed).
  zone_allocations allocations;
  /// Endpoints whose `hints` differ from the input (across all three lists).
  std::size_t hint_changes = 0;
  /// Stable mode only: the bounds could not be met and the upstream assignment was used.
  bool stable_fallback = false;
};

namespace detail {

template <class F>
add_hints_result<F> hints_failed(slice_set<F> s, hints_problem p, std::string message, zone_allocations allocs) {
  add_hints_result<F> out;
  auto removed = remove_hints(std::move(s));
  out.slices = std::move(removed.slices);
  out.hint_changes = removed.hint_changes;
  out.unavailable = hints_unavailable{p, message};
  out.events.push_back({std::string(topology_messages::type_warning), std::string(topology_messages::reason_disabled),
                        std::move(message)});
  out.allocations = std::move(allocs);
  return out;
}

/// Upstream's own-zone assignment followed by redistribution. Returns the per-zone counts.
template <class F>
zone_counts assign_upstream(std::vector<hint_slot<F>>& slots, const zone_allocations& allocations,
                            zone_counts allocated) {
  for (auto& s : slots) {
    s.target = std::string(s.own_zone);
    s.keep = false;
    ++allocated[s.target];
  }
  auto gr = giving_and_receiving_zones(allocations, allocated);
  auto delta = redistribute_slots(slots, std::move(gr.giving), std::move(gr.receiving), nullptr);
  for (const auto& [zone, d] : delta) allocated[zone] += d;
  return allocated;
}

/// True when the endpoint's current hint can be kept by stable mode.
template <class F>
const std::string* keepable_hint(const basic_endpoint<F>& e, const zone_allocations& allocations) {
  if (!e.hints || e.hints->for_zones.size() != 1 || !e.hints->for_nodes.empty()) return nullptr;
  const std::string& z = e.hints->for_zones.front().name;
  return allocations.find(z) != allocations.end() ? &z : nullptr;
}

/// Stable assignment (see hint_mode::stable). Returns the counts, or nullopt when the bounds
/// cannot be met.
template <class F>
std::optional<zone_counts> assign_stable(std::vector<hint_slot<F>>& slots, const zone_allocations& allocations,
                                         const zone_counts& fixed) {
  zone_counts count;  // per allocation zone: fixed + kept + assigned
  for (const auto& [zone, a] : allocations) {
    auto it = fixed.find(zone);
    count[zone] = it == fixed.end() ? 0 : it->second;
  }
  zone_counts outside;  // endpoints of zones without an allocation: own zone, as upstream
  std::vector<std::size_t> free_slots;
  std::map<std::string, std::vector<std::size_t>, std::less<>> kept_by_zone;
  for (std::size_t i = 0; i < slots.size(); ++i) {
    auto& s = slots[i];
    s.keep = false;
    if (allocations.find(s.own_zone) == allocations.end()) {
      s.target = std::string(s.own_zone);
      ++outside[s.target];
      continue;
    }
    if (const std::string* h = keepable_hint(*s.endpoint, allocations)) {
      s.target = *h;
      s.keep = true;
      ++count[*h];
      kept_by_zone[*h].push_back(i);
    } else {
      free_slots.push_back(i);
    }
  }
  // Release one kept endpoint of `zone`: one hinted away from its own zone first, else the first.
  const auto release = [&](const std::string& zone) {
    auto& list = kept_by_zone[zone];
    if (list.empty()) return false;
    auto pick = std::find_if(list.begin(), list.end(), [&](std::size_t i) { return slots[i].own_zone != zone; });
    if (pick == list.end()) pick = list.begin();
    slots[*pick].keep = false;
    free_slots.push_back(*pick);
    list.erase(pick);
    --count[zone];
    return true;
  };
  // A: no zone above its maximum.
  for (const auto& [zone, a] : allocations)
    while (count[zone] > a.maximum)
      if (!release(zone)) break;
  // B: enough free endpoints to lift every zone to its minimum.
  const auto need = [&] {
    std::int64_t n = 0;
    for (const auto& [zone, a] : allocations) n += std::max<std::int64_t>(0, a.minimum - count[zone]);
    return n;
  };
  while (static_cast<std::int64_t>(free_slots.size()) < need()) {
    // Take from the zone with the largest surplus over its desired value that is above minimum.
    const std::string* from = nullptr;
    double best = 0;
    for (const auto& [zone, a] : allocations) {
      if (count[zone] <= a.minimum || kept_by_zone[zone].empty()) continue;
      const double surplus = static_cast<double>(count[zone]) - a.desired;
      if (!from || surplus > best) {
        from = &zone;
        best = surplus;
      }
    }
    if (!from || !release(*from)) break;
  }
  std::sort(free_slots.begin(), free_slots.end());
  // C: assign the free endpoints, walk order. First own zones that lack endpoints, then any zone
  // that lacks endpoints, then own zones with room, then the zone furthest below its desired value.
  std::vector<bool> done(slots.size(), false);
  const auto assign = [&](std::size_t i, const std::string& zone) {
    slots[i].target = zone;
    ++count[zone];
    done[i] = true;
  };
  for (std::size_t i : free_slots) {
    auto a = allocations.find(slots[i].own_zone);
    if (count[a->first] < a->second.minimum) assign(i, a->first);
  }
  for (std::size_t i : free_slots) {
    if (done[i]) continue;
    const std::string* to = nullptr;
    std::int64_t lack = 0;
    for (const auto& [zone, a] : allocations)
      if (a.minimum - count[zone] > lack) {
        lack = a.minimum - count[zone];
        to = &zone;
      }
    if (!to) break;
    assign(i, *to);
  }
  for (std::size_t i : free_slots) {
    if (done[i]) continue;
    auto a = allocations.find(slots[i].own_zone);
    if (count[a->first] < a->second.maximum) {
      assign(i, a->first);
      continue;
    }
    const std::string* to = nullptr;
    double best = 0;
    for (const auto& [zone, za] : allocations) {
      if (count[zone] >= za.maximum) continue;
      const double lack = za.desired - static_cast<double>(count[zone]);
      if (!to || lack > best) {
        to = &zone;
        best = lack;
      }
    }
    if (!to) return std::nullopt;
    assign(i, *to);
  }
  for (const auto& [zone, a] : allocations)
    if (count[zone] < a.minimum || count[zone] > a.maximum) return std::nullopt;
  // Counts as upstream stores them: fixed + every hinted zone, zones outside included.
  zone_counts out = fixed;
  for (const auto& s : slots) ++out[s.target];
  return out;
}

}  // namespace detail

/// Topology-aware hints for one Service and address type, as upstream's `AddHints`.
///
/// Inputs: the slices (`create`, `update`, `unchanged`), the zone ratios (nullopt when the
/// node information is insufficient), whether the Service had hints populated before (the
/// upstream cache's mark; decides the Enabled event), and the mode. Steps:
///  1. N = ready endpoints over all three lists (`total_ready_endpoints`);
///  2. allocations for N (`compute_allocations`); on error remove all hints (`remove_hints`);
///  3. unchanged slices are checked in order (`hints_by_zone` with the running counts): invalid
///     ones move to the end of `update`, valid ones keep their hints and add their counts;
///  4. every ready endpoint of `create` then `update` needs a zone, else remove all hints
///     (no_zone_specified); not-ready endpoints are left as they are (upstream keeps their hints);
///  5. upstream mode: hint each for its own zone, compute giving and receiving zones and
///     redistribute (walk order); stable mode: see `hint_mode::stable`;
///  6. no counts at all -> remove all hints (no_allocated_hints_for_zones);
///  7. write `hints = {forZones: [zone]}`; emit the Enabled event unless already populated.
/// Failures emit the Warning event whose message ends in `, addressType: <type>`.
template <class F>
[[nodiscard]] add_hints_result<F> add_hints(slice_set<F> slices, const std::optional<zone_ratios>& ratios,
                                            bool hints_populated, hint_mode mode = hint_mode::upstream) {
  static_assert(is_typed_family_v<F>, "hints are computed on typed slices only");
  const std::int64_t n = total_ready_endpoints(slices);
  auto alloc = compute_allocations(ratios, n);
  if (alloc.error) {
    const auto p = alloc.error->problem;
    return detail::hints_failed(std::move(slices), p, with_address_type(alloc.error->message, F::name), {});
  }
  const zone_allocations& allocations = alloc.allocations;

  // Step 3: unchanged slices with invalid hints are rewritten.
  zone_counts fixed;
  {
    std::vector<basic_endpoint_slice<F>> still;
    for (auto& slice : slices.unchanged) {
      if (auto counts = hints_by_zone(slice, fixed, allocations)) {
        for (const auto& [zone, c] : *counts) fixed[zone] += c;
        still.push_back(std::move(slice));
      } else {
        slices.update.push_back(std::move(slice));
      }
    }
    slices.unchanged = std::move(still);
  }

  // Step 4.
  std::vector<detail::hint_slot<F>> slots;
  detail::collect_slots(slices.create, slots);
  detail::collect_slots(slices.update, slots);
  for (const auto& s : slots)
    if (s.own_zone.empty())
      return detail::hints_failed(std::move(slices), hints_problem::no_zone_specified,
                                  with_address_type(topology_messages::no_zone_specified, F::name), allocations);

  // Step 5.
  add_hints_result<F> out;
  zone_counts allocated;
  if (mode == hint_mode::stable) {
    if (auto counts = detail::assign_stable(slots, allocations, fixed)) {
      allocated = std::move(*counts);
    } else {
      out.stable_fallback = true;
      allocated = detail::assign_upstream(slots, allocations, fixed);
    }
  } else {
    allocated = detail::assign_upstream(slots, allocations, fixed);
  }

  // Step 6.
  if (allocated.empty())
    return detail::hints_failed(std::move(slices), hints_problem::no_allocated_hints_for_zones,
                                with_address_type(topology_messages::no_allocated_hints_for_zones, F::name),
                                allocations);

  // Step 7.
  for (auto& s : slots) {
    if (s.keep) continue;
    auto h = detail::zone_hint(std::move(s.target));
    if (const auto& before = std::as_const(s.endpoint->hints); !before || !(*before == h)) ++out.hint_changes;
    s.endpoint->hints = std::move(h);
  }
  if (!hints_populated)
    out.events.push_back({std::string(topology_messages::type_normal), std::string(topology_messages::reason_enabled),
                          with_address_type(topology_messages::hints_enabled, F::name)});
  out.slices = std::move(slices);
  out.hinted_by_zone = std::move(allocated);
  out.hints_populated = true;
  out.allocations = allocations;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Overload detection (upstream `serviceOverloaded`, `GetOverloadedServices`).

/// True when stored hint counts no longer fit the zone ratios: counts are non-empty and (there
/// are no ratios, a zone with a ratio has no count, or a zone's count is below
/// `ceil(total * ratio * 1/1.2)`, total being the sum of the counts).
[[nodiscard]] inline bool service_overloaded(const zone_counts& counts, const std::optional<zone_ratios>& ratios) {
  if (counts.empty()) return false;
  if (!ratios || ratios->empty()) return true;
  double total = 0;
  for (const auto& [zone, c] : counts) total += static_cast<double>(c);
  for (const auto& [zone, ratio] : *ratios) {
    auto it = counts.find(zone);
    if (it == counts.end()) return true;
    const double minimum = std::ceil(total * ratio * min_allocation_factor);
    if (static_cast<double>(it->second) < minimum) return true;
  }
  return false;
}

/// Stored hint counts of many Services: Service key (`ns/name`) -> address type -> counts.
using service_hint_counts = std::map<std::string, std::map<std::string, zone_counts, std::less<>>, std::less<>>;

/// The Services (keys in ascending order) that any address type of which is overloaded under
/// `ratios`; upstream re-syncs these after a node change.
[[nodiscard]] inline std::vector<std::string> overloaded_services(const service_hint_counts& stored,
                                                                  const std::optional<zone_ratios>& ratios) {
  std::vector<std::string> out;
  for (const auto& [key, by_type] : stored)
    for (const auto& [type, counts] : by_type)
      if (service_overloaded(counts, ratios)) {
        out.push_back(key);
        break;
      }
  return out;
}

// ---------------------------------------------------------------------------------------------
// trafficDistribution (upstream `trafficdist.ReconcileHints`).

/// `spec.trafficDistribution` values.
namespace traffic_distribution {
inline constexpr std::string_view prefer_close = "PreferClose";
inline constexpr std::string_view prefer_same_zone = "PreferSameZone";
inline constexpr std::string_view prefer_same_node = "PreferSameNode";
}  // namespace traffic_distribution

/// What trafficDistribution hints look like.
enum class traffic_heuristic : std::uint8_t {
  remove_hints,  ///< nil or unknown value: no hints at all
  same_zone,     ///< PreferClose, PreferSameZone: `forZones: [own zone]`
  same_node,     ///< PreferSameNode: `forZones: [own zone]` and `forNodes: [own node]`
};

/// The heuristic for a trafficDistribution value.
[[nodiscard]] constexpr traffic_heuristic traffic_heuristic_for(std::optional<std::string_view> td) noexcept {
  if (!td) return traffic_heuristic::remove_hints;
  if (*td == traffic_distribution::prefer_close || *td == traffic_distribution::prefer_same_zone)
    return traffic_heuristic::same_zone;
  if (*td == traffic_distribution::prefer_same_node) return traffic_heuristic::same_node;
  return traffic_heuristic::remove_hints;
}

/// The hints a heuristic wants on an endpoint (nullopt: none). Meaningful for ready endpoints.
template <class F>
[[nodiscard]] std::optional<endpoint_hints> wanted_hints(traffic_heuristic h, const basic_endpoint<F>& e) {
  if (h == traffic_heuristic::remove_hints) return std::nullopt;
  endpoint_hints out;
  if (e.zone) out.for_zones.push_back(for_zone{*e.zone});
  if (e.node_name && h == traffic_heuristic::same_node) out.for_nodes.push_back(for_node{*e.node_name});
  if (out.for_zones.empty() && out.for_nodes.empty()) return std::nullopt;
  return out;
}

/// True when a slice's hints differ from what the heuristic wants. Remove-hints: any endpoint has
/// hints. Otherwise, over ready endpoints only: a wanted zone (node) hint that is missing or not
/// exactly `[own zone]` (`[own node]`), or a non-empty zone (node) hint list where none is wanted.
template <class F>
[[nodiscard]] bool traffic_hints_need_update(traffic_heuristic h, const basic_endpoint_slice<F>& slice) noexcept {
  for (const auto& e : slice.endpoints) {
    if (h == traffic_heuristic::remove_hints) {
      if (e.hints) return true;
      continue;
    }
    if (!endpoint_ready(e)) continue;
    if (e.zone) {
      if (!e.hints || e.hints->for_zones.size() != 1 || e.hints->for_zones.front().name != *e.zone) return true;
    } else if (e.hints && !e.hints->for_zones.empty()) {
      return true;
    }
    if (e.node_name && h == traffic_heuristic::same_node) {
      if (!e.hints || e.hints->for_nodes.size() != 1 || e.hints->for_nodes.front().name != *e.node_name) return true;
    } else if (e.hints && !e.hints->for_nodes.empty()) {
      return true;
    }
  }
  return false;
}

/// apply_traffic_distribution (below) with the heuristic already chosen: its steps 2 and 3.
template <class F>
[[nodiscard]] hinted_slices<F> apply_traffic_heuristic(slice_set<F> s, traffic_heuristic h) {
  hinted_slices<F> out;
  std::vector<basic_endpoint_slice<F>> still;
  for (auto& slice : s.unchanged)
    (traffic_hints_need_update(h, slice) ? s.update : still).push_back(std::move(slice));
  s.unchanged = std::move(still);
  for (auto* list : {&s.create, &s.update})
    for (auto& slice : *list)
      for (auto& e : slice.endpoints) {
        if (h != traffic_heuristic::remove_hints && !endpoint_ready(e)) continue;
        auto want = wanted_hints(h, e);
        if (e.hints != want) {
          ++out.hint_changes;
          e.hints = std::move(want);
        }
      }
  out.slices = std::move(s);
  return out;
}

/// trafficDistribution hints, as upstream's `ReconcileHints`. Steps:
///  1. choose the heuristic (`traffic_heuristic_for`);
///  2. unchanged slices that need an update (`traffic_hints_need_update`) move, in order, to the
///     end of `update`; the others are left exactly as they are;
///  3. in every slice to create or update: remove-hints clears all hints; otherwise each ready
///     endpoint gets the wanted hints (`wanted_hints`, nil when nothing is wanted) and not-ready
///     endpoints are left as they are.
template <class F>
[[nodiscard]] hinted_slices<F> apply_traffic_distribution(slice_set<F> s, std::optional<std::string_view> td) {
  return apply_traffic_heuristic(std::move(s), traffic_heuristic_for(td));
}

// ---------------------------------------------------------------------------------------------
// Precedence between the topology annotation and trafficDistribution.

/// True when the Service's annotations enable topology-aware hints: the deprecated
/// `service.kubernetes.io/topology-aware-hints` if present, else `service.kubernetes.io/topology-mode`
/// if present; enabled iff that value is exactly `Auto` or `auto`.
[[nodiscard]] inline bool topology_hints_enabled(const string_map& annotations) {
  auto it = annotations.find(well_known::topology_aware_hints_annotation);
  if (it == annotations.end()) {
    it = annotations.find(well_known::topology_mode_annotation);
    if (it == annotations.end()) return false;
  }
  return it->second == "Auto" || it->second == "auto";
}

/// True when the controller honours a trafficDistribution value: `PreferClose` always,
/// `PreferSameZone` and `PreferSameNode` only with `prefer_same_traffic_distribution`.
[[nodiscard]] constexpr bool valid_traffic_distribution(std::optional<std::string_view> td,
                                                        bool prefer_same_traffic_distribution) noexcept {
  if (!td) return false;
  if (*td == traffic_distribution::prefer_close) return true;
  if (!prefer_same_traffic_distribution) return false;
  return *td == traffic_distribution::prefer_same_zone || *td == traffic_distribution::prefer_same_node;
}

/// What a Service's slices get.
enum class hints_action : std::uint8_t {
  topology_aware_hints,  ///< `add_hints` (the annotation wins)
  traffic_distribution,  ///< `apply_traffic_distribution` with the Service's value
  remove_hints,          ///< `remove_hints`
};

/// Controller settings that take part in the decision.
struct hints_policy {
  bool topology_cache = true;                     ///< the controller runs a topology cache
  bool prefer_same_traffic_distribution = false;  ///< honour PreferSameZone / PreferSameNode
};

/// The decision and what goes with it.
struct hints_decision {
  hints_action action = hints_action::remove_hints;
  traffic_heuristic heuristic = traffic_heuristic::remove_hints;  ///< for traffic_distribution
  bool topology_enabled = false;                 ///< the annotation enables topology-aware hints
  bool traffic_distribution_usable = false;      ///< upstream's canUseTrafficDistribution (metrics)
  /// The topology cache must forget this Service's counts and mark (emitting
  /// `hints_disabled_event` first when the mark was set).
  bool forget_topology_state = false;
  friend bool operator==(const hints_decision&, const hints_decision&) = default;
};

/// The precedence of upstream's reconciler (`reconcileByAddressType`) as one decision:
///  1. usable trafficDistribution = valid (`valid_traffic_distribution`) and annotation not enabling;
///  2. topology cache on and annotation enabling -> topology-aware hints;
///  3. otherwise the cache (if any) forgets the Service; usable trafficDistribution -> its
///     hints, else remove all hints.
[[nodiscard]] inline hints_decision decide_hints(const string_map& annotations,
                                                 std::optional<std::string_view> traffic_distribution,
                                                 const hints_policy& policy = {}) {
  hints_decision d;
  d.topology_enabled = topology_hints_enabled(annotations);
  d.traffic_distribution_usable =
      valid_traffic_distribution(traffic_distribution, policy.prefer_same_traffic_distribution) && !d.topology_enabled;
  if (policy.topology_cache && d.topology_enabled) {
    d.action = hints_action::topology_aware_hints;
    return d;
  }
  d.forget_topology_state = policy.topology_cache;
  if (d.traffic_distribution_usable) {
    d.action = hints_action::traffic_distribution;
    d.heuristic = traffic_heuristic_for(traffic_distribution);
  } else {
    d.action = hints_action::remove_hints;
  }
  return d;
}

/// `decide_hints` for a Service view.
[[nodiscard]] inline hints_decision decide_hints(const service& svc, const hints_policy& policy = {}) {
  std::optional<std::string_view> td;
  if (svc.traffic_distribution) td = *svc.traffic_distribution;
  return decide_hints(svc.metadata.annotations, td, policy);
}

// ---------------------------------------------------------------------------------------------
// The hints stage of a reconcile (upstream `reconcileByAddressType` between placement and
// `finalize`).

/// Settings of the hints stage of a reconcile (`hint_plan`).
struct plan_hints_options {
  /// The controller's settings: topology cache on, PreferSameZone/PreferSameNode honoured.
  hints_policy policy;
  /// How topology-aware hints are assigned. In stable mode the hints the endpoints had in the
  /// existing slices are first carried over to the ready endpoints of the slices to write
  /// (the reconciler builds them from desired endpoints, which carry no hints).
  hint_mode mode = hint_mode::upstream;
  /// The topology cache's "hints populated" mark for this Service and address type before the call.
  bool hints_populated = false;
  /// The trigger-time annotation for slices that the stage moves from unchanged into updates: pass
  /// the reconcile's `reconcile_options::trigger_time` (upstream's finalize sets it on every
  /// updated slice, these included); absent removes the annotation from them.
  std::optional<std::string> trigger_time;
};

/// A plan with hints applied, and what the hints stage decided.
template <class F>
struct plan_hints_result {
  /// The plan with hints set or removed. Unchanged existing slices whose hints had to change are
  /// appended to `update`; its stats count them (updates, writes, endpoints written).
  slice_plan<F> plan;
  /// What the Service gets (`decide_hints`).
  hints_decision decision;
  /// Endpoints of the created and updated slices whose `hints` differ from the hints of the
  /// endpoint with the same identity in `existing` (none when it is new): what watchers see change.
  std::size_t hint_changes = 0;
  /// Unchanged existing slices that the stage rewrites.
  std::size_t moved_to_update = 0;
  /// The per-zone hint counts for the topology cache to store; nullopt: forget them.
  std::optional<zone_counts> hinted_by_zone;
  /// The "hints populated" mark after the call.
  bool hints_populated = false;
  /// Set when topology-aware hints were wanted but cannot be used (the slices carry none).
  std::optional<hints_unavailable> unavailable;
  /// The events upstream would record on the Service.
  std::vector<topology_event> events;
  /// Allocations used by topology-aware hints (empty otherwise or when allocation failed).
  zone_allocations allocations;
  /// Stable mode could not meet the bounds and used the upstream assignment.
  bool stable_fallback = false;
};

namespace detail {

/// What the hints stage decided and did (shared by hint_plan and hint_slices).
template <class F>
struct hints_stage_result {
  slice_set<F> slices;
  std::size_t hint_changes = 0;  // endpoints whose hints differ from the stage's input
  std::optional<zone_counts> hinted_by_zone;
  bool hints_populated = false;
  std::optional<hints_unavailable> unavailable;
  std::vector<topology_event> events;
  zone_allocations allocations;
  bool stable_fallback = false;
};

/// The dispatch of upstream's `reconcileByAddressType` on a decision: topology-aware hints
/// (`add_hints`; stable mode first carries hints over from `previous`), or, after the cache forgets
/// the Service (emitting `hints_disabled_event` when its mark was set), trafficDistribution hints
/// or no hints.
template <class F>
hints_stage_result<F> run_hints_stage(slice_set<F> set, const hints_decision& decision,
                                      std::span<const basic_endpoint_slice<F>> previous,
                                      const std::optional<zone_ratios>& ratios, hint_mode mode,
                                      bool hints_populated) {
  hints_stage_result<F> out;
  out.hints_populated = hints_populated;
  switch (decision.action) {
    case hints_action::topology_aware_hints: {
      if (mode == hint_mode::stable && !previous.empty()) set = carry_hints(std::move(set), previous, true);
      auto r = add_hints(std::move(set), ratios, hints_populated, mode);
      out.slices = std::move(r.slices);
      out.hint_changes = r.hint_changes;
      out.hinted_by_zone = std::move(r.hinted_by_zone);
      out.hints_populated = r.hints_populated;
      out.unavailable = std::move(r.unavailable);
      out.events = std::move(r.events);
      out.allocations = std::move(r.allocations);
      out.stable_fallback = r.stable_fallback;
      return out;
    }
    case hints_action::traffic_distribution:
    case hints_action::remove_hints:
      break;
  }
  if (decision.forget_topology_state) {
    if (hints_populated) out.events.push_back(hints_disabled_event(F::name));
    out.hints_populated = false;
  }
  auto r = decision.action == hints_action::traffic_distribution ? apply_traffic_heuristic(std::move(set), decision.heuristic)
                                                                 : remove_hints(std::move(set));
  out.slices = std::move(r.slices);
  out.hint_changes = r.hint_changes;
  return out;
}

}  // namespace detail

/// The hints stage over a reconcile plan of one address family. `existing` are the slices the
/// plan was made from (as given to `reconcile`); `ratios` are the zone ratios (nullopt when the
/// node information is insufficient, see `compute_zone_capacity`). Steps:
///  1. unchanged slices = existing slices whose name the plan neither updates nor removes, in order;
///  2. the decision (`decide_hints`) on the annotations and trafficDistribution;
///  3. topology-aware hints: `add_hints` over (creates, updates, unchanged) in `options.mode`
///     (stable mode carries previous hints over first);
///     otherwise, when the cache forgets the Service, a populated mark emits `hints_disabled_event`
///     and is cleared; then `apply_traffic_distribution` or `remove_hints`;
///  4. unchanged slices moved into updates (appended, in order) get the trigger time and count in
///     the stats;
///  5. hint changes are counted against `existing` by endpoint identity.
/// The walk order of redistribution is the plan's creates then updates (upstream walks its creates
/// before recycling turns some of them into updates).
template <class F>
[[nodiscard]] plan_hints_result<F> hint_plan(
    slice_plan<F> plan, std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing,
    const string_map& annotations, std::optional<std::string_view> traffic_distribution,
    const std::optional<zone_ratios>& ratios, const plan_hints_options& options = {}) {
  static_assert(is_typed_family_v<F>, "hints are computed on typed slices only");
  plan_hints_result<F> out;

  // Step 1.
  std::vector<std::string_view> written;
  written.reserve(plan.update.size() + plan.remove.size());
  for (const auto* list : {&plan.update, &plan.remove})
    for (const auto& s : *list) written.push_back(s.metadata.name);
  std::sort(written.begin(), written.end());
  slice_set<F> set;
  for (const auto& s : existing)
    if (!std::binary_search(written.begin(), written.end(), std::string_view(s.metadata.name)))
      set.unchanged.push_back(s);
  set.create = std::move(plan.create);
  set.update = std::move(plan.update);
  const std::size_t updates_before = set.update.size();

  // Steps 2 and 3.
  out.decision = decide_hints(annotations, traffic_distribution, options.policy);
  auto stage = detail::run_hints_stage(std::move(set), out.decision, existing, ratios, options.mode,
                                       options.hints_populated);
  set = std::move(stage.slices);
  out.hinted_by_zone = std::move(stage.hinted_by_zone);
  out.hints_populated = stage.hints_populated;
  out.unavailable = std::move(stage.unavailable);
  out.events = std::move(stage.events);
  out.allocations = std::move(stage.allocations);
  out.stable_fallback = stage.stable_fallback;

  // Step 4.
  out.moved_to_update = set.update.size() - updates_before;
  for (std::size_t i = updates_before; i < set.update.size(); ++i) {
    auto& m = set.update[i].metadata;
    if (options.trigger_time)
      m.annotations.insert_or_assign(std::string(well_known::trigger_time_annotation), *options.trigger_time);
    else if (auto it = m.annotations.find(well_known::trigger_time_annotation); it != m.annotations.end())
      m.annotations.erase(it);
    plan.stats.endpoints_written += set.update[i].endpoints.size();
  }
  plan.stats.updates += out.moved_to_update;
  plan.stats.writes += out.moved_to_update;
  plan.create = std::move(set.create);
  plan.update = std::move(set.update);

  // Step 5.
  detail::endpoints_by_identity<F, const heap_optional<endpoint_hints>*> before;
  for (const auto& s : existing)
    for (const auto& e : s.endpoints) before.emplace(&e, &e.hints);
  for (const auto* list : {&plan.create, &plan.update})
    for (const auto& s : *list)
      for (const auto& e : s.endpoints) {
        auto it = before.find(&e);
        const bool had = it != before.end() && it->second->has_value();
        if (had != e.hints.has_value() || (had && !(**it->second == *e.hints))) ++out.hint_changes;
      }
  plan.stats.hint_changes = out.hint_changes;
  out.plan = std::move(plan);
  return out;
}

/// `hint_plan` for a Service view (its annotations and trafficDistribution).
template <class F>
[[nodiscard]] plan_hints_result<F> hint_plan(
    slice_plan<F> plan, std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing,
    const service& svc, const std::optional<zone_ratios>& ratios, const plan_hints_options& options = {}) {
  std::optional<std::string_view> td;
  if (svc.traffic_distribution) td = *svc.traffic_distribution;
  return hint_plan<F>(std::move(plan), existing, svc.metadata.annotations, td, ratios, options);
}

// ---------------------------------------------------------------------------------------------
// Hints over existing slices (what `epslice hints` does).

/// A decision that does not read the Service: topology-aware hints.
[[nodiscard]] constexpr hints_decision topology_hints_decision() noexcept {
  hints_decision d;
  d.action = hints_action::topology_aware_hints;
  d.topology_enabled = true;
  return d;
}

/// A decision that does not read the Service: the hints of a trafficDistribution value
/// (`traffic_heuristic_for`; every value is honoured, PreferSameZone and PreferSameNode included);
/// an absent or unknown value removes every hint.
[[nodiscard]] constexpr hints_decision traffic_distribution_decision(std::optional<std::string_view> td) noexcept {
  hints_decision d;
  d.heuristic = traffic_heuristic_for(td);
  d.traffic_distribution_usable = d.heuristic != traffic_heuristic::remove_hints;
  d.action = d.traffic_distribution_usable ? hints_action::traffic_distribution : hints_action::remove_hints;
  return d;
}

/// Settings of hint_slices.
struct slice_hints_options {
  /// The controller's settings, read when the decision is made from the Service's fields.
  hints_policy policy;
  /// How topology-aware hints are assigned (stable mode keeps the slices' own valid hints).
  hint_mode mode = hint_mode::upstream;
  /// The topology cache's "hints populated" mark before the call: when set, enabling hints emits
  /// no `Topology Aware Hints has been enabled` event, and forgetting them emits the disabled one.
  bool hints_populated = false;
};

/// Slices with hints set or removed, and what was decided (see hint_slices).
template <class F>
struct slice_hints_result {
  /// The slices given, in the same order, with hints set or removed.
  std::vector<basic_endpoint_slice<F>> slices;
  /// The decision applied.
  hints_decision decision;
  /// Endpoints whose `hints` differ from the input.
  std::size_t hint_changes = 0;
  /// The per-zone hint counts for the topology cache to store; nullopt: forget them.
  std::optional<zone_counts> hinted_by_zone;
  /// The "hints populated" mark after the call.
  bool hints_populated = false;
  /// Set when topology-aware hints were wanted but cannot be used (the slices carry none).
  std::optional<hints_unavailable> unavailable;
  /// The events upstream would record on the Service.
  std::vector<topology_event> events;
  /// Allocations used by topology-aware hints (empty otherwise or when allocation failed).
  zone_allocations allocations;
  /// Stable mode could not meet the bounds and used the upstream assignment.
  bool stable_fallback = false;
};

/// Hints over the existing slices of one Service and address family, all taken as about to be
/// written (walk order: the order given), with the dispatch of hint_plan on a decision made
/// beforehand:
///  1. topology-aware hints: `add_hints` over the slices (as `update`) in `options.mode`;
///  2. otherwise, when `decision.forget_topology_state`, a set mark emits `hints_disabled_event`
///     and is cleared; then trafficDistribution hints with `decision.heuristic`
///     (`apply_traffic_heuristic`) or no hints at all (`remove_hints`).
/// Use decide_hints (or the overloads below) for the decision upstream's controller makes, or
/// topology_hints_decision / traffic_distribution_decision to choose one.
template <class F>
[[nodiscard]] slice_hints_result<F> hint_slices(std::vector<basic_endpoint_slice<F>> slices,
                                                const hints_decision& decision,
                                                const std::optional<zone_ratios>& ratios,
                                                const slice_hints_options& options = {}) {
  static_assert(is_typed_family_v<F>, "hints are computed on typed slices only");
  slice_set<F> set;
  set.update = std::move(slices);
  auto stage = detail::run_hints_stage(std::move(set), decision, std::span<const basic_endpoint_slice<F>>(), ratios,
                                       options.mode, options.hints_populated);
  slice_hints_result<F> out;
  out.slices = std::move(stage.slices.update);
  out.decision = decision;
  out.hint_changes = stage.hint_changes;
  out.hinted_by_zone = std::move(stage.hinted_by_zone);
  out.hints_populated = stage.hints_populated;
  out.unavailable = std::move(stage.unavailable);
  out.events = std::move(stage.events);
  out.allocations = std::move(stage.allocations);
  out.stable_fallback = stage.stable_fallback;
  return out;
}

/// hint_slices with upstream's decision (`decide_hints` with `options.policy`) on the Service's
/// annotations and trafficDistribution.
template <class F>
[[nodiscard]] slice_hints_result<F> hint_slices(std::vector<basic_endpoint_slice<F>> slices,
                                                const string_map& annotations,
                                                std::optional<std::string_view> traffic_distribution,
                                                const std::optional<zone_ratios>& ratios,
                                                const slice_hints_options& options = {}) {
  const hints_decision d = decide_hints(annotations, traffic_distribution, options.policy);
  return hint_slices<F>(std::move(slices), d, ratios, options);
}

/// hint_slices with upstream's decision on a Service view.
template <class F>
[[nodiscard]] slice_hints_result<F> hint_slices(std::vector<basic_endpoint_slice<F>> slices, const service& svc,
                                                const std::optional<zone_ratios>& ratios,
                                                const slice_hints_options& options = {}) {
  return hint_slices<F>(std::move(slices), decide_hints(svc, options.policy), ratios, options);
}

}  // namespace epslice
