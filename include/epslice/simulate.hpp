// SPDX-License-Identifier: Apache-2.0
// Churn scenarios of scenarios.md run through a layout: writes, watch events and bytes (a pure simulation).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "error.hpp"
#include "reconcile.hpp"
#include "sizes.hpp"
#include "types.hpp"

namespace epslice {

/// The scenarios of scenarios.md.
enum class scenario_kind : std::uint8_t {
  create,          ///< S1: N pods, one reconcile from no slices
  rolling_update,  ///< S2: N pods, then N/B times remove the B lowest live pods, add B
  scale_up,        ///< S3: N/B times add B pods, from nothing
  scale_down,      ///< S4: N pods, then remove B random pods per step (default: until N/10 remain)
  churn,           ///< S5: N pods, then remove P% of N at random and add as many, per step
};

/// How a simulation stores the Service's endpoints.
enum class simulation_layout : std::uint8_t {
  slices,     ///< EndpointSlices as the reconciler packs them (every watcher gets every write)
  endpoints,  ///< one legacy Endpoints object (convert.hpp's projection), every watcher gets it
  by_zone,    ///< EndpointSlices holding one zone each; a watcher sees only its own zone's slices
};

/// `slices`, `endpoints` or `by-zone`.
[[nodiscard]] constexpr std::string_view to_string(simulation_layout l) noexcept {
  return l == simulation_layout::endpoints ? "endpoints" : l == simulation_layout::by_zone ? "by-zone" : "slices";
}

/// One counted step of a simulation (recorded when simulation_options::record_steps is set).
struct simulation_step {
  std::size_t endpoints = 0;  ///< live endpoints after the step
  std::size_t slices = 0;     ///< objects after the step (the Endpoints object counts as one)
  double fullness = 0;        ///< endpoints / (slices x max per slice); 1 for the endpoints layout
  std::size_t writes = 0;
  std::uint64_t bytes_delivered_json = 0;
  std::uint64_t bytes_delivered_protobuf = 0;
};

/// Parameters of a simulation; zero `batch` means the scenario's default (1 for rolling_update,
/// 10 for scale_up and scale_down).
struct simulation_options {
  scenario_kind scenario = scenario_kind::create;
  std::size_t endpoints = 1000;
  std::size_t batch = 0;
  std::optional<std::size_t> steps;  ///< caps the number of counted steps
  double churn_percent = 1.0;
  std::uint64_t seed = 42;
  reconcile_options reconcile;
  simulation_layout layout = simulation_layout::slices;
  /// endpoints layout: keep at most max_endpoints_capacity (1000) addresses, as Kubernetes now
  /// does; otherwise the object holds every endpoint, as before truncation.
  bool truncate = false;
  std::size_t zones = 3;     ///< zones the world's 100 nodes are spread over (node k: zone k mod Z), 1..100
  std::size_t watchers = 1;  ///< watchers of the Service's objects; by_zone spreads them evenly over zones
  bool measure_bytes = true; ///< compute the byte counters (JSON and protobuf sizes of every write)
  bool record_steps = false; ///< fill simulation_result::trace
  /// Called after every counted step with (steps done, steps in all), e.g. to show progress.
  std::function<void(std::size_t, std::size_t)> progress;
  /// When set, read before and after every planning call (reconcile, or the Endpoints projection);
  /// the differences add up to simulation_result::planning_seconds. The simulation reads no clock
  /// itself.
  std::function<double()> clock;
};

/// Counters of a simulation, over the counted reconciles only (never the setup one).
///
/// Bytes: a create or update writes its object (the request body; a delete sends none) and every
/// watcher that sees the object receives one watch event: ADDED, MODIFIED, or DELETED carrying the
/// object's last state. Delivered bytes are whole watch events (sizes.hpp: the object plus the
/// event framing) times the watchers that receive them. Objects are as the controller writes them,
/// without the fields the API server adds (uid, resourceVersion, creationTimestamp, managedFields).
struct simulation_result {
  std::size_t reconciles = 0;
  std::size_t creates = 0;
  std::size_t updates = 0;
  std::size_t deletes = 0;
  std::size_t writes = 0;
  std::size_t endpoints_written = 0;
  std::size_t final_endpoints = 0;
  std::size_t final_slices = 0;
  std::size_t ideal_slices = 0;  ///< ceil(N / M), 1 when N is 0 (1 for the endpoints layout)
  double final_fullness = 0;     ///< N / (slices x M) after the last reconcile
  double mean_fullness = 0;
  double min_fullness = 0;
  std::size_t endpoint_changes = 0;  ///< endpoints added plus endpoints removed by the counted steps
  std::uint64_t bytes_written_json = 0;
  std::uint64_t bytes_written_protobuf = 0;
  std::uint64_t watch_events = 0;  ///< events delivered, summed over watchers
  std::uint64_t bytes_delivered_json = 0;
  std::uint64_t bytes_delivered_protobuf = 0;
  std::size_t max_object_json = 0;      ///< largest object written, JSON bytes
  std::size_t max_object_protobuf = 0;  ///< largest object written, protobuf bytes (etcd stores protobuf)
  /// Writes of an object whose protobuf form exceeds etcd_request_limit (etcd would refuse them).
  std::size_t writes_over_etcd_limit = 0;
  double planning_seconds = 0;  ///< see simulation_options::clock
  std::vector<simulation_step> trace;
};

/// splitmix64 as scenarios.md specifies it.
struct splitmix64 {
  std::uint64_t state = 0;
  /// The next 64-bit value.
  std::uint64_t next() noexcept {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// next() mod n (n > 0).
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
};

/// The endpoint of pod i of the scenario world: IP 10.<i>>16>.<i>>8>.<i>, node `node-<i mod 100>`,
/// zone a/b/c by node, ready and serving, targetRef to `default/pod-<i>` with the world's uid.
[[nodiscard]] inline endpoint_v4 scenario_endpoint(std::uint64_t i) {
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

/// The scenario Service `default/svc` with one port `http` TCP 80, no endpoints yet.
[[nodiscard]] inline desired_state<ipv4> scenario_service() {
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
  return d;
}

/// The name of zone k of the scenario world: `zone-a` ... `zone-z`, then `zone-26`, `zone-27`, ...
[[nodiscard]] inline std::string scenario_zone_name(std::size_t k) {
  if (k < 26) return std::string("zone-") + static_cast<char>('a' + k);
  return "zone-" + std::to_string(k);
}

/// scenario_endpoint(i) with the world's nodes spread over `zones` zones (node k in zone k mod
/// `zones`); with 3 zones it is scenario_endpoint(i).
[[nodiscard]] inline endpoint_v4 scenario_endpoint(std::uint64_t i, std::size_t zones) {
  endpoint_v4 e = scenario_endpoint(i);
  if (zones != 3 && zones > 0) e.zone = scenario_zone_name(static_cast<std::size_t>(i % 100) % zones);
  return e;
}

namespace detail {

/// The legacy Endpoints object projected from live endpoints (slices_to_endpoints: one subset,
/// addresses in IP text order, truncated to max_endpoints_capacity when asked), with its sizes kept
/// up to date as endpoints come and go, in time proportional to the change (plus the kept 1000
/// when truncating). Sizes are exact: they add the encoders' bytes of each address to those of the
/// object without addresses.
class endpoints_object_model {
 public:
  endpoints_object_model(const desired_state<ipv4>& d, bool truncate) : truncate_(truncate) {
    for (auto with_annotation : {false, true}) {
      endpoints ep;
      ep.metadata.name = d.service.name;
      ep.metadata.namespace_ = d.service.namespace_;
      ep.metadata.labels = d.service.labels;
      if (d.service.headless) ep.metadata.labels.insert_or_assign(std::string(well_known::headless_label), std::string());
      if (with_annotation)
        ep.metadata.annotations.emplace(std::string(well_known::over_capacity_annotation),
                                        std::string(over_capacity_truncated));
      auto& t = templates_[with_annotation ? 1 : 0];
      t.empty = sizes_of(ep);
      t.meta_pb = protobuf_message_size(ep);
      endpoint_subset sub;
      if (!d.groups.empty())
        for (const auto& p : d.groups[0].ports)
          if (p.port)
            sub.ports.push_back(endpoints_port{p.name.value_or(""), *p.port, p.protocol.value_or("TCP"), p.app_protocol, {}});
      pb::sizer ports;
      pb::endpoint_subset_fields(ports, sub);
      t.ports_pb = ports.n;
      ep.subsets.push_back(std::move(sub));
      t.ports_only_json = json_size(ep);
    }
  }

  /// Add endpoint `e` under key `id` (unique while present).
  void add(std::uint64_t id, const endpoint_v4& e) {
    endpoint_address a;
    ipv4::format(a.ip, e.addresses.front());
    a.node_name = e.node_name;
    a.target_ref = std::optional<object_reference>(e.target_ref);
    pb::sizer s;
    pb::endpoint_address_fields(s, a);
    std::string json;
    write_endpoint_address(json, a);
    entry en{std::move(a.ip), id, json.size(), 1 + pb::varint_size(s.n) + s.n};
    sum_json_ += en.json;
    sum_pb_ += en.pb_field;
    by_id_.emplace(id, en);
    ordered_.insert(std::move(en));
  }
  /// Remove the endpoint added under `id`.
  void remove(std::uint64_t id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    sum_json_ -= it->second.json;
    sum_pb_ -= it->second.pb_field;
    ordered_.erase(it->second);
    by_id_.erase(it);
  }
  /// Addresses in the object.
  [[nodiscard]] std::size_t kept() const noexcept {
    return truncate_ ? std::min(ordered_.size(), max_endpoints_capacity) : ordered_.size();
  }
  /// True when the object is truncated.
  [[nodiscard]] bool truncated() const noexcept { return truncate_ && ordered_.size() > max_endpoints_capacity; }
  /// The object's sizes.
  [[nodiscard]] object_sizes sizes() const {
    const bool cut = truncated();
    const auto& t = templates_[cut ? 1 : 0];
    const std::size_t k = kept();
    if (k == 0) return t.empty;
    std::size_t json = 0, pb_fields = 0;
    if (cut) {
      std::size_t n = 0;
      for (auto it = ordered_.begin(); n < k; ++it, ++n) {
        json += it->json;
        pb_fields += it->pb_field;
      }
    } else {
      json = sum_json_;
      pb_fields = sum_pb_;
    }
    // `"addresses":[` + addresses and their commas + `],`.
    json += t.ports_only_json + 13 + (k - 1) + 2;
    const std::size_t subset = pb_fields + t.ports_pb;
    const std::size_t message = t.meta_pb + 1 + pb::varint_size(subset) + subset;
    return {json, message + protobuf_envelope_overhead("v1", "Endpoints", message)};
  }

 private:
  struct entry {
    std::string ip;
    std::uint64_t id = 0;
    std::size_t json = 0;      // bytes of the address object in JSON
    std::size_t pb_field = 0;  // bytes of the address as a field of the subset message
    bool operator<(const entry& o) const { return ip != o.ip ? ip < o.ip : id < o.id; }
  };
  struct object_template {
    object_sizes empty;           // no subsets at all
    std::size_t ports_only_json = 0;  // one subset holding the ports only
    std::size_t meta_pb = 0;      // the metadata field of the message
    std::size_t ports_pb = 0;     // the port fields of the subset message
  };
  bool truncate_;
  object_template templates_[2];
  std::set<entry> ordered_;
  std::map<std::uint64_t, entry> by_id_;
  std::size_t sum_json_ = 0, sum_pb_ = 0;
};

/// The zone all endpoints of a slice share, or -1 when they do not share one (or there are none).
[[nodiscard]] inline long slice_zone(const endpoint_slice_v4& s, const std::vector<std::string>& zones) {
  long z = -1;
  for (const auto& e : s.endpoints) {
    long k = -1;
    if (e.zone)
      for (std::size_t i = 0; i < zones.size(); ++i)
        if (zones[i] == *e.zone) k = static_cast<long>(i);
    if (k < 0 || (z >= 0 && k != z)) return -1;
    z = k;
  }
  return z;
}

/// epslice::apply(plan, slices, namer) done in place: the same result (slices sorted by name), in
/// time proportional to the plan rather than to the number of slices.
inline void apply_in_place(const slice_plan<ipv4>& plan, std::vector<endpoint_slice_v4>& slices, slice_namer& namer) {
  const auto at = [&](const std::string& name) {
    return std::lower_bound(slices.begin(), slices.end(), name,
                            [](const endpoint_slice_v4& s, const std::string& k) { return s.metadata.name < k; });
  };
  const auto existing = [&](const std::string& name) {
    auto it = at(name);
    if (it == slices.end() || it->metadata.name != name)
      throw_error("metadata.name", "apply: slice \"" + name + "\" does not exist");
    return it;
  };
  for (const auto& c : plan.create) {
    endpoint_slice_v4 s = c;
    s.metadata.name = namer(s.metadata);
    auto it = at(s.metadata.name);
    if (it != slices.end() && it->metadata.name == s.metadata.name)
      throw_error("metadata.name", "apply: created slice name \"" + s.metadata.name + "\" is taken");
    slices.insert(it, std::move(s));
  }
  for (const auto& u : plan.update) *existing(u.metadata.name) = u;
  for (const auto& d : plan.remove) slices.erase(existing(d.metadata.name));
}

}  // namespace detail

/// Run one scenario of scenarios.md through a layout and return its counters. Deterministic: the
/// same options always give the same result.
///
/// 1. The scenario's steps add and remove pods of the scenario world (scenario_endpoint).
/// 2. After each step, the slices layouts reconcile the live endpoints against the slices written
///    so far and apply the plan; the endpoints layout projects them into the one Endpoints object
///    (written whenever the endpoint set changed: created first, then updated).
/// 3. Each write is measured (sizes.hpp) and delivered to the watchers that see it: every watcher,
///    or in the by_zone layout the watchers of the slice's zone (a slice that changes zone reaches
///    the old zone's watchers as a DELETED event).
///
/// Throws epslice::error for invalid reconcile options or zones outside 1..100.
[[nodiscard]] inline simulation_result simulate(const simulation_options& o) {
  const std::size_t n = o.endpoints;
  const std::size_t m = o.reconcile.max_endpoints_per_slice;
  if (o.zones < 1 || o.zones > 100)
    detail::throw_error("zones", "invalid value \"" + std::to_string(o.zones) + "\": must be between 1 and 100");
  reconcile_options ropt = o.reconcile;
  if (o.layout == simulation_layout::by_zone) ropt.layout = slice_layout::by_zone;
  detail::check_options(ropt);
  std::size_t batch = o.batch;
  if (batch == 0) batch = o.scenario == scenario_kind::rolling_update ? 1 : 10;
  std::size_t steps = 0;
  switch (o.scenario) {
    case scenario_kind::create: steps = 1; break;
    case scenario_kind::rolling_update:
    case scenario_kind::scale_up: steps = n / batch; break;
    case scenario_kind::scale_down: steps = (n - n / 10) / batch; break;
    case scenario_kind::churn: steps = 200; break;
  }
  if (o.steps && *o.steps < steps) steps = *o.steps;

  const bool monolithic = o.layout == simulation_layout::endpoints;
  splitmix64 rng{o.seed};
  std::vector<std::uint64_t> live;
  std::uint64_t next_pod = 0;
  std::vector<endpoint_slice_v4> slices;
  slice_namer namer;
  desired_state<ipv4> desired = scenario_service();
  std::optional<detail::endpoints_object_model> object;
  if (monolithic) object.emplace(desired, o.truncate);
  bool object_exists = false, dirty = false;
  simulation_result r;
  double fullness_sum = 0;

  // Watchers per group: one group holding everyone, or one group per zone.
  std::vector<std::string> zone_names;
  for (std::size_t z = 0; z < o.zones; ++z) zone_names.push_back(scenario_zone_name(z));
  const bool zoned = o.layout == simulation_layout::by_zone;
  std::vector<std::uint64_t> group_watchers;
  if (zoned)
    for (std::size_t z = 0; z < o.zones; ++z) group_watchers.push_back(o.watchers / o.zones + (z < o.watchers % o.zones ? 1 : 0));
  else
    group_watchers.push_back(o.watchers);

  simulation_step step;
  const auto deliver = [&](watch_event_type t, const object_sizes& sz, std::uint64_t watchers) {
    if (watchers == 0) return;
    const object_sizes ev = watch_event_sizes(t, sz);
    r.watch_events += watchers;
    r.bytes_delivered_json += watchers * ev.json;
    r.bytes_delivered_protobuf += watchers * ev.protobuf;
    step.bytes_delivered_json += watchers * ev.json;
    step.bytes_delivered_protobuf += watchers * ev.protobuf;
  };
  const auto written = [&](const object_sizes& sz) {
    r.bytes_written_json += sz.json;
    r.bytes_written_protobuf += sz.protobuf;
    r.max_object_json = std::max(r.max_object_json, sz.json);
    r.max_object_protobuf = std::max(r.max_object_protobuf, sz.protobuf);
    if (sz.protobuf > etcd_request_limit) ++r.writes_over_etcd_limit;
  };
  // A slice write: `before` is the slice's previous state (null for a create), `after` its new
  // state (null for a delete).
  const auto slice_write = [&](const endpoint_slice_v4* before, const endpoint_slice_v4* after) {
    const object_sizes sb = before ? sizes_of(*before) : object_sizes{};
    const object_sizes sa = after ? sizes_of(*after) : object_sizes{};
    if (!zoned) {
      if (after) deliver(before ? watch_event_type::modified : watch_event_type::added, sa, group_watchers[0]);
      else deliver(watch_event_type::deleted, sb, group_watchers[0]);
      return;
    }
    const long zb = before ? detail::slice_zone(*before, zone_names) : -2;
    const long za = after ? detail::slice_zone(*after, zone_names) : -2;
    for (std::size_t z = 0; z < o.zones; ++z) {
      const auto zl = static_cast<long>(z);
      const bool in_before = before && (zb == -1 || zb == zl);
      const bool in_after = after && (za == -1 || za == zl);
      if (in_after) deliver(in_before ? watch_event_type::modified : watch_event_type::added, sa, group_watchers[z]);
      else if (in_before) deliver(watch_event_type::deleted, sb, group_watchers[z]);
    }
  };

  // The desired endpoints are kept in step with `live` (same order), so that a step costs the
  // change, not a rebuild.
  auto& eps = desired.groups[0].endpoints;
  const auto add = [&](std::size_t k) {
    for (std::size_t j = 0; j < k; ++j) {
      eps.push_back(scenario_endpoint(next_pod, o.zones));
      if (object) object->add(next_pod, eps.back());
      live.push_back(next_pod++);
      dirty = true;
    }
  };
  const auto remove_at = [&](std::size_t at) {
    if (object) object->remove(live[at]);
    live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    eps.erase(eps.begin() + static_cast<std::ptrdiff_t>(at));
    dirty = true;
  };
  const auto remove_random = [&](std::size_t k) {
    for (std::size_t j = 0; j < k && !live.empty(); ++j) remove_at(static_cast<std::size_t>(rng.below(live.size())));
  };
  const auto remove_lowest = [&](std::size_t k) {
    const std::size_t c = std::min(k, live.size());
    if (object)
      for (std::size_t j = 0; j < c; ++j) object->remove(live[j]);
    live.erase(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(c));
    eps.erase(eps.begin(), eps.begin() + static_cast<std::ptrdiff_t>(c));
    dirty = dirty || c > 0;
  };

  const auto run_endpoints = [&](bool counted) {
    const double t0 = o.clock ? o.clock() : 0.0;
    const bool write = dirty || !object_exists;
    object_sizes sz;
    if (write && counted && o.measure_bytes) sz = object->sizes();
    if (o.clock) r.planning_seconds += counted ? o.clock() - t0 : 0.0;
    dirty = false;
    const bool created = !object_exists;
    object_exists = true;
    if (!counted || !write) return;
    (created ? r.creates : r.updates) += 1;
    r.endpoints_written += object->kept();
    ++step.writes;
    if (o.measure_bytes) {
      written(sz);
      deliver(created ? watch_event_type::added : watch_event_type::modified, sz, o.watchers);
    }
  };

  const auto run_slices = [&](bool counted) {
    const double t0 = o.clock ? o.clock() : 0.0;
    const auto plan = reconcile(desired, slices, ropt);
    if (o.clock && counted) r.planning_seconds += o.clock() - t0;
    if (counted) {
      r.creates += plan.stats.creates;
      r.updates += plan.stats.updates;
      r.deletes += plan.stats.deletes;
      r.endpoints_written += plan.stats.endpoints_written;
      step.writes += plan.stats.writes;
      if (o.measure_bytes) {
        slice_namer preview = namer;  // the names apply() is about to give the creates
        for (const auto& c : plan.create) {
          written(sizes_of(c));
          endpoint_slice_v4 named = c;
          named.metadata.name = preview(named.metadata);
          slice_write(nullptr, &named);
        }
        const auto find = [&](const std::string& name) -> const endpoint_slice_v4* {
          auto it = std::lower_bound(slices.begin(), slices.end(), name,
                                     [](const endpoint_slice_v4& s, const std::string& k) { return s.metadata.name < k; });
          return it != slices.end() && it->metadata.name == name ? &*it : nullptr;
        };
        for (const auto& u : plan.update) {
          written(sizes_of(u));
          slice_write(find(u.metadata.name), &u);
        }
        for (const auto& d : plan.remove) slice_write(&d, nullptr);
      }
    }
    detail::apply_in_place(plan, slices, namer);
  };

  const auto run = [&](bool counted) {
    step = simulation_step{};
    if (monolithic) run_endpoints(counted);
    else run_slices(counted);
    if (!counted) return;
    ++r.reconciles;
    double f = 0.0;
    std::size_t objects = slices.size();
    if (monolithic) {
      objects = object_exists ? 1 : 0;
      f = object_exists ? 1.0 : 0.0;
    } else if (!slices.empty()) {
      f = static_cast<double>(live.size()) / (static_cast<double>(slices.size()) * static_cast<double>(m));
    }
    fullness_sum += f;
    r.min_fullness = r.reconciles == 1 ? f : std::min(r.min_fullness, f);
    r.final_fullness = f;
    if (o.record_steps) {
      step.endpoints = live.size();
      step.slices = objects;
      step.fullness = f;
      r.trace.push_back(step);
    }
    if (o.progress) o.progress(r.reconciles, steps);
  };

  switch (o.scenario) {
    case scenario_kind::create:
      add(n);
      r.endpoint_changes += n;
      run(true);
      break;
    case scenario_kind::rolling_update:
      add(n);
      run(false);
      for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t before = live.size();
        remove_lowest(batch);
        add(batch);
        r.endpoint_changes += std::min(batch, before) + batch;
        run(true);
      }
      break;
    case scenario_kind::scale_up:
      for (std::size_t s = 0; s < steps; ++s) {
        add(batch);
        r.endpoint_changes += batch;
        run(true);
      }
      break;
    case scenario_kind::scale_down:
      add(n);
      run(false);
      for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t before = live.size();
        remove_random(batch);
        r.endpoint_changes += before - live.size();
        run(true);
      }
      break;
    case scenario_kind::churn: {
      add(n);
      run(false);
      const auto k = static_cast<std::size_t>(static_cast<double>(n) * o.churn_percent / 100.0 + 0.5);
      for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t before = live.size();
        remove_random(k);
        r.endpoint_changes += before - live.size() + k;
        add(k);
        run(true);
      }
      break;
    }
  }
  r.writes = r.creates + r.updates + r.deletes;
  r.final_endpoints = live.size();
  if (monolithic) {
    r.final_slices = object_exists ? 1 : 0;
    r.ideal_slices = 1;
  } else {
    r.final_slices = slices.size();
    r.ideal_slices = live.empty() ? 1 : (live.size() + m - 1) / m;
  }
  r.mean_fullness = r.reconciles ? fullness_sum / static_cast<double>(r.reconciles) : 0.0;
  return r;
}

}  // namespace epslice
