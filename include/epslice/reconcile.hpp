// SPDX-License-Identifier: Apache-2.0
// Reconcile: desired endpoints + existing EndpointSlices -> the plan of creates, updates and deletes.
//
// Two strategies share one front end (grouping by port set, ownership, endpoint identity):
// - `kubernetes` makes the decisions of upstream's EndpointSlice reconciler (k8s-semantics.md c.3 to
//   c.13) with fixed tie-breaks where upstream depends on Go map order: remaining desired endpoints
//   are taken in the order given, slices are considered in ascending name order, the "fullest first"
//   sort is stable.
// - `minimal` goes beyond upstream: it repacks the slices that must be written anyway, uses slices
//   that are being deleted as free containers, and fills clean slices only when that saves a slice at
//   the same number of writes; a plan is never worse than the `kubernetes` plan on the same input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "address.hpp"
#include "detail/json_size.hpp"
#include "detail/reconcile_keys.hpp"
#include "error.hpp"
#include "types.hpp"

namespace epslice {

/// How the reconciler places endpoints into slices.
enum class reconcile_strategy : std::uint8_t {
  kubernetes,  ///< upstream's decisions, with deterministic tie-breaks
  minimal,     ///< fewest writes, then fewest slices, then fewest endpoints moved
};

/// `kubernetes` or `minimal`.
[[nodiscard]] constexpr std::string_view to_string(reconcile_strategy s) noexcept {
  return s == reconcile_strategy::minimal ? "minimal" : "kubernetes";
}

/// How endpoints are spread over slices.
enum class slice_layout : std::uint8_t {
  packed,   ///< any endpoints of a port set share slices (upstream's layout)
  by_zone,  ///< every slice holds endpoints of one zone and carries the `topology.kubernetes.io/zone`
            ///< label; endpoints without a zone form their own partition, whose slices have no label
};

/// `packed` or `by_zone`.
[[nodiscard]] constexpr std::string_view to_string(slice_layout l) noexcept {
  return l == slice_layout::by_zone ? "by_zone" : "packed";
}

/// Compaction, beyond upstream: extra writes spent to merge underfull slices. Within each port-set
/// group (and zone partition), while the group's fullness (its endpoints over its slices times the
/// maximum) is below `min_fullness` and one slice fewer can hold them, the slice whose emptying
/// costs the fewest extra writes (then the smallest) is emptied into the others, slices written
/// anyway first, then the unchanged slices with the most room, and deleted. A step is taken only
/// while the writes it adds fit in what is left of `max_extra_writes` (per reconcile() call, over
/// every group). Off by default (min_fullness 0): both strategies then keep their own plans, and
/// `kubernetes` stays upstream's. slice_planner does not support it.
struct compaction_options {
  /// Fullness below which a group is compacted, 0 (never) to 1.
  double min_fullness = 0.0;
  /// Extra writes one reconcile may spend on compaction.
  std::size_t max_extra_writes = 0;
  /// 0.8 and one write per reconcile: in scenarios.md's S4 (1,000 pods scaled down to 100) it
  /// takes `minimal` from 437 to 435 writes and `kubernetes` from 591 writes and 10 slices to 441
  /// and 1; S1, S2, S3 and S5 are unchanged (their slices stay full).
  [[nodiscard]] static constexpr compaction_options recommended() noexcept { return {0.8, 1}; }
  /// True when compaction can take a step (a threshold above 0 and a budget of at least 1).
  [[nodiscard]] constexpr bool enabled() const noexcept { return min_fullness > 0.0 && max_extra_writes > 0; }
  friend bool operator==(const compaction_options&, const compaction_options&) = default;
};

/// Options of reconcile().
struct reconcile_options {
  /// Maximum endpoints per slice, 1..1000 (kube-controller-manager's `--max-endpoints-per-slice`).
  std::size_t max_endpoints_per_slice = 100;
  reconcile_strategy strategy = reconcile_strategy::kubernetes;
  /// Value of the `endpointslice.kubernetes.io/managed-by` label of the slices written.
  std::string controller_name = std::string(well_known::endpointslice_controller);
  /// Value of the trigger-time annotation set on every created and updated slice; when absent the
  /// annotation is removed from written slices (upstream's zero trigger time).
  std::optional<std::string> trigger_time;
  /// Zone partitioning of the slices (both strategies plan within each partition).
  slice_layout layout = slice_layout::packed;
  /// Compute plan_stats::bytes_written (each written slice's header is encoded, its endpoints'
  /// sizes are counted once per endpoint). The `minimal` strategy's last tie-break uses the sizes
  /// either way.
  bool measure_bytes = true;
  /// Merging of underfull slices at the cost of extra writes (off by default).
  compaction_options compaction;
};

/// The problems with a set of options (empty when valid). Messages follow kube-controller-manager.
[[nodiscard]] inline field_errors validate(const reconcile_options& o) {
  field_errors errors;
  if (o.max_endpoints_per_slice < 1)
    errors.push_back({"max_endpoints_per_slice", error_type::invalid, "0", "must not be less than 1"});
  if (o.max_endpoints_per_slice > 1000)
    errors.push_back({"max_endpoints_per_slice", error_type::invalid, std::to_string(o.max_endpoints_per_slice),
                      "must not be more than 1000"});
  if (o.controller_name.empty())
    errors.push_back({"controller_name", error_type::required, {}, "must not be empty"});
  if (!(o.compaction.min_fullness >= 0.0 && o.compaction.min_fullness <= 1.0))
    errors.push_back({"compaction.min_fullness", error_type::invalid, std::to_string(o.compaction.min_fullness),
                      "must be between 0 and 1"});
  return errors;
}

/// The Service a desired state belongs to: what ownership, owner references and labels use.
struct service_identity {
  std::string namespace_;  ///< `namespace` (a C++ keyword)
  std::string name;
  /// The Service's uid. Empty when unknown: ownership is then decided by the service-name and
  /// managed-by labels alone, and created slices carry no owner reference.
  std::string uid;
  string_map labels;      ///< the Service's labels (reserved keys are ignored)
  bool headless = false;  ///< clusterIP empty or `None`: slices get the headless label
  friend bool operator==(const service_identity&, const service_identity&) = default;
};

/// Desired endpoints that share one set of ports. Endpoints keep the order given; an endpoint
/// without addresses is ignored (as upstream does); endpoints with the same identity collapse (the
/// first position, the last value).
template <class F>
struct endpoint_group {
  nullable_vector<endpoint_port> ports;
  std::vector<basic_endpoint<F>> endpoints;
  friend bool operator==(const endpoint_group&, const endpoint_group&) = default;
};

/// The desired state of one address family of a Service: its identity and its endpoints grouped by
/// port set. Groups whose port sets are equal (order-insensitive, nil == empty) are merged, in the
/// order given. A group may be empty (upstream creates the group before any endpoint check).
template <class F>
struct desired_state {
  service_identity service;
  std::vector<endpoint_group<F>> groups;
  friend bool operator==(const desired_state&, const desired_state&) = default;
};

/// Counters of a plan.
struct plan_stats {
  std::size_t creates = 0;
  std::size_t updates = 0;  ///< including creates turned into updates of slices being deleted
  std::size_t deletes = 0;
  std::size_t writes = 0;  ///< creates + updates + deletes
  /// Desired endpoints not present before in an owned slice of their port-set group.
  std::size_t endpoints_added = 0;
  /// Endpoint entries dropped: not desired, duplicates, and every entry of a slice removed because
  /// it is not owned, its port set or its address type is no longer served.
  std::size_t endpoints_removed = 0;
  /// Endpoints present before whose desired version differs beyond identity (k8s-semantics c.5).
  std::size_t endpoints_changed = 0;
  /// Endpoints present before that end up in another slice.
  std::size_t endpoints_moved = 0;
  /// Endpoints of every created or updated slice.
  std::size_t endpoints_written = 0;
  /// Exact size of the compact JSON of every created and updated slice (as json.hpp encodes it);
  /// 0 when reconcile_options::measure_bytes is off.
  std::size_t bytes_written = 0;
  /// Writes spent by compaction (reconcile_options::compaction), included in `writes`: this plan's
  /// writes minus those of the plan the same strategy makes without compaction (0 when fewer).
  std::size_t compaction_writes = 0;
  /// Slices compaction emptied and removed (or did not create).
  std::size_t slices_compacted = 0;
  /// Endpoints of the written slices whose topology hints differ from before: set by hint_plan()
  /// (topology.hpp), which adds hints to a plan; reconcile() leaves it 0 (a change of hints in
  /// the desired endpoints counts in `endpoints_changed`).
  std::size_t hint_changes = 0;

  plan_stats& operator+=(const plan_stats& o) noexcept {
    creates += o.creates;
    updates += o.updates;
    deletes += o.deletes;
    writes += o.writes;
    endpoints_added += o.endpoints_added;
    endpoints_removed += o.endpoints_removed;
    endpoints_changed += o.endpoints_changed;
    endpoints_moved += o.endpoints_moved;
    endpoints_written += o.endpoints_written;
    bytes_written += o.bytes_written;
    compaction_writes += o.compaction_writes;
    slices_compacted += o.slices_compacted;
    hint_changes += o.hint_changes;
    return *this;
  }
  friend bool operator==(const plan_stats&, const plan_stats&) = default;
};

/// A plan: the slices to create (with `generateName`, no name), update and delete, each in the order
/// to apply them; creates, then updates, then deletes keep every endpoint that is desired before and
/// after present at every step (within updates, slices that receive moved endpoints come first).
template <class Slice>
struct basic_slice_plan {
  std::vector<Slice> create;
  std::vector<Slice> update;
  std::vector<Slice> remove;
  plan_stats stats;

  /// True when the plan writes nothing.
  [[nodiscard]] bool empty() const noexcept { return create.empty() && update.empty() && remove.empty(); }
};

/// The plan for one address family.
template <class F>
using slice_plan = basic_slice_plan<basic_endpoint_slice<F>>;
/// The plan for a Service over every address family (see reconcile(const dual_stack_desired&, ...)).
using any_slice_plan = basic_slice_plan<any_endpoint_slice>;

/// Reserved label keys that a Service cannot set on its slices (k8s-semantics c.8).
[[nodiscard]] inline bool is_reserved_label_key(std::string_view key) noexcept {
  return key == well_known::service_name_label || key == well_known::managed_by_label ||
         key == well_known::headless_label;
}

/// The labels of a slice the controller writes: the Service's labels minus reserved keys, the
/// headless label when headless, the service-name and managed-by labels.
[[nodiscard]] inline string_map endpoint_slice_labels(const service_identity& svc, std::string_view controller_name) {
  string_map out;
  for (const auto& [k, v] : svc.labels)
    if (!is_reserved_label_key(k)) out.emplace_hint(out.end(), k, v);
  if (svc.headless) out.emplace(std::string(well_known::headless_label), std::string());
  out.insert_or_assign(std::string(well_known::service_name_label), svc.name);
  out.insert_or_assign(std::string(well_known::managed_by_label), std::string(controller_name));
  return out;
}

/// True when a slice's labels minus reserved keys differ from the Service's labels minus reserved
/// keys (upstream's "labels changed"; a headless-only difference does not count).
[[nodiscard]] inline bool slice_labels_changed(const string_map& slice_labels, const string_map& service_labels) {
  auto a = slice_labels.begin();
  auto b = service_labels.begin();
  while (true) {
    while (a != slice_labels.end() && is_reserved_label_key(a->first)) ++a;
    while (b != service_labels.end() && is_reserved_label_key(b->first)) ++b;
    if (a == slice_labels.end() || b == service_labels.end())
      return !(a == slice_labels.end() && b == service_labels.end());
    if (a->first != b->first || a->second != b->second) return true;
    ++a;
    ++b;
  }
}

/// The `generateName` of slices created for a Service: `<name>-`, or `<name>` when the dash would
/// make the prefix invalid (names longer than 252 characters).
[[nodiscard]] inline std::string endpoint_slice_prefix(std::string_view service_name) {
  std::string masked(service_name);
  masked += 'a';
  if (!is_dns1123_subdomain(masked)) return std::string(service_name);
  masked.back() = '-';
  return masked;
}

/// True when a slice is owned by the Service: an owner reference with the Service's uid, kind
/// `Service` and apiVersion `v1` (the controller flag is not checked). With no uid known, the
/// slice's service-name and managed-by labels decide.
[[nodiscard]] inline bool is_owned_by(const object_meta& m, const service_identity& svc,
                                      std::string_view controller_name) {
  if (svc.uid.empty()) {
    const auto s = m.labels.find(well_known::service_name_label);
    const auto c = m.labels.find(well_known::managed_by_label);
    return s != m.labels.end() && s->second == svc.name && c != m.labels.end() && c->second == controller_name;
  }
  for (const auto& o : m.owner_references)
    if (o.uid == svc.uid && o.kind == "Service" && o.api_version == "v1") return true;
  return false;
}

/// True when upstream's controller lists a slice as one of the Service's: same namespace,
/// service-name label naming the Service, managed-by label naming the controller, no deletion
/// timestamp. reconcile() takes existing slices as given; use this to select them.
[[nodiscard]] inline bool is_managed_slice(const object_meta& m, const service_identity& svc,
                                           std::string_view controller_name) {
  if (m.namespace_ != svc.namespace_ || m.deletion_timestamp) return false;
  const auto s = m.labels.find(well_known::service_name_label);
  const auto c = m.labels.find(well_known::managed_by_label);
  return s != m.labels.end() && s->second == svc.name && c != m.labels.end() && c->second == controller_name;
}

/// Names slices that apply() creates: `<generateName>` followed by a decimal counter of at least
/// five digits (`svc-00000`, `svc-00001`, ...). The counter carries on between calls when the same
/// namer is passed again, so that a sequence of reconciles names slices as scenarios.md does.
struct slice_namer {
  std::uint64_t next = 0;

  /// The next name for a slice with this metadata.
  std::string operator()(const object_meta& m) {
    std::string digits = std::to_string(next++);
    std::string out = m.generate_name;
    if (digits.size() < 5) out.append(5 - digits.size(), '0');
    out += digits;
    return out;
  }
};

/// Upstream's placeholderSliceCompare: two slices are equal when their namespaces and labels are
/// equal and everything outside the metadata is equal, nil and empty lists alike (name,
/// generateName, annotations, owner references and every other metadata field are ignored).
template <class F>
[[nodiscard]] bool placeholder_slice_equal(const basic_endpoint_slice<F>& a, const basic_endpoint_slice<F>& b) {
  const auto same_list = [](const auto& x, const auto& y) {
    return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
  };
  return a.metadata.namespace_ == b.metadata.namespace_ && a.metadata.labels == b.metadata.labels &&
         a.api_version == b.api_version && a.kind == b.kind && a.address_type == b.address_type &&
         same_list(a.endpoints, b.endpoints) && same_list(a.ports, b.ports) && a.extra == b.extra;
}

namespace detail {

inline void check_options(const reconcile_options& o) {
  auto errors = validate(o);
  if (!errors.empty()) throw_error(std::move(errors));
}

inline void set_trigger_time(object_meta& m, const reconcile_options& o) {
  if (o.trigger_time)
    m.annotations.insert_or_assign(std::string(well_known::trigger_time_annotation), *o.trigger_time);
  else if (auto it = m.annotations.find(well_known::trigger_time_annotation); it != m.annotations.end())
    m.annotations.erase(it);
}

/// The zone partition of an endpoint (absent and empty zones share the no-zone partition).
template <class F>
[[nodiscard]] std::string_view zone_partition(const basic_endpoint<F>& e) noexcept {
  return e.zone ? std::string_view(*e.zone) : std::string_view();
}
/// The zone partition a slice's label puts it in.
[[nodiscard]] inline std::string_view zone_partition(const object_meta& m) noexcept {
  const auto it = m.labels.find(well_known::zone_label);
  return it == m.labels.end() ? std::string_view() : std::string_view(it->second);
}

/// slice_labels_changed(), with the zone label reserved as well in the by_zone layout.
[[nodiscard]] inline bool labels_changed_for_layout(const string_map& slice_labels, const string_map& service_labels,
                                                    slice_layout layout) {
  if (layout == slice_layout::packed) return slice_labels_changed(slice_labels, service_labels);
  const auto strip = [](const string_map& m) {
    string_map out = m;
    out.erase(std::string(well_known::zone_label));
    return out;
  };
  const bool a = slice_labels.count(well_known::zone_label) != 0, b = service_labels.count(well_known::zone_label) != 0;
  if (!a && !b) return slice_labels_changed(slice_labels, service_labels);
  return slice_labels_changed(a ? strip(slice_labels) : slice_labels, b ? strip(service_labels) : service_labels);
}

template <class F>
class family_reconciler;
}  // namespace detail

template <class F>
class slice_planner;

namespace detail {

/// Plans one address family. Existing slices are the family's slices as listed (any owner).
template <class F>
class family_reconciler {
 public:
  using slice_type = basic_endpoint_slice<F>;
  using endpoint_type = basic_endpoint<F>;
  static constexpr std::uint32_t placeholder_group = 0xFFFFFFFFu;

  /// `movable`: the desired endpoints may be moved into the plan (the caller gave up the state).
  /// `direct`: a family with no slice yet is planned in one pass (see from_scratch()).
  family_reconciler(const desired_state<F>& desired, std::vector<const slice_type*> existing,
                    const reconcile_options& options, bool movable = false, bool direct = true)
      : svc_(desired.service),
        existing_(std::move(existing)),
        opt_(options),
        max_(options.max_endpoints_per_slice),
        by_zone_(options.layout == slice_layout::by_zone),
        movable_(movable),
        total_slices_(existing_.size()) {
    if (direct && existing_.empty() && !by_zone_ && !opt_.compaction.enabled()) {
      scratch_ = &desired;
      return;
    }
    build_groups(desired);
    classify_existing();
    step_one();
  }

  /// The plan for the configured strategy.
  [[nodiscard]] slice_plan<F> run() { return scratch_ ? from_scratch(*scratch_) : build(decide()); }

  /// The decision (which endpoints go where) for the configured strategy.
  [[nodiscard]] auto decide() {
    // With no existing slice in the family, kubernetes's plan already meets minimal's objective:
    // ceil(n / max) creates per group (the fewest writes and slices), nothing moved, and the same
    // bytes however the endpoints are spread. choose() takes it on a tie, so minimal's own plan is
    // not made.
    const bool minimal = opt_.strategy == reconcile_strategy::minimal && !existing_.empty();
    draft k = plan_kubernetes();
    draft m = minimal ? plan_minimal() : draft{};
    const compaction_options& c = opt_.compaction;
    if (!c.enabled()) return choose(std::move(k), std::move(m), minimal);
    // With compaction, its cost is counted against the plan the strategy makes without it: the
    // strategies' drafts are compacted as copies.
    draft kc = k, mc = m;
    compact(kc);
    if (minimal) compact(mc);
    draft base = choose(std::move(k), std::move(m), minimal);
    draft d = choose(std::move(kc), std::move(mc), minimal);
    const auto writes = [](const draft& x) { return x.creates.size() + x.updates.size() + x.deletes.size(); };
    d.compaction_writes = writes(d) > writes(base) ? writes(d) - writes(base) : 0;
    // Each step stays within the budget, but in the by_zone layout the slices that break cycles of
    // zone-swapping endpoints can differ once slices were merged: never spend more than allowed.
    if (d.compaction_writes > c.max_extra_writes) return base;
    return d;
  }

 private:
  friend class epslice::slice_planner<F>;
  struct group;
  struct draft;

  // Finishes the strategies' drafts and returns the plan to make: `k` for kubernetes; for minimal
  // the better of the two under minimal's objective.
  [[nodiscard]] draft choose(draft k, draft m, bool minimal) const {
    finish(k);
    if (!minimal) return k;
    finish(m);
    // `minimal` is never worse than `kubernetes` under its objective (writes, then slices, then
    // endpoints moved, then bytes written). On a tie the kubernetes plan is taken, so that the
    // two strategies keep the same layout as long as repacking gains nothing.
    const auto key = [&](const draft& d) {
      return std::tuple(d.creates.size() + d.updates.size() + d.deletes.size(),
                        total_slices_ + d.creates.size() - d.deletes.size(), d.moved);
    };
    const auto a = key(k), b = key(m);
    if (a < b) return k;
    if (b < a) return m;
    if (k.written == m.written && same_shape(k, m)) return k;
    return draft_bytes(k) <= draft_bytes(m) ? k : m;
  }

  struct group {
    const nullable_vector<endpoint_port>* ports = nullptr;
    std::uint64_t key = 0;
    std::string zone;                       // the zone partition (by_zone layout only)
    std::vector<std::int32_t> elsewhere;   // by_zone: slice of another partition holding it before, or -1
    std::vector<std::size_t> seq;          // by_zone: position of each endpoint's value in the desired state
    std::vector<const endpoint_type*> eps;  // unique desired endpoints, in order
    identity_index<F> index;
    std::vector<std::int32_t> origin;      // existing slice where found in step 1, or -1
    std::vector<std::uint32_t> slices;     // owned existing slices of this group, by name
    std::vector<std::uint32_t> remaining;  // desired endpoints not found, in order
  };
  struct slice_state {
    std::uint32_t existing = 0;
    std::vector<std::uint32_t> kept;
    bool eps_changed = false;
    bool labels_changed = false;
  };
  struct out {
    std::int32_t src = -1;  // existing slice the content is based on; -1 for a new slice
    std::uint32_t group = 0;
    bool keep_existing = false;  // endpoints = the existing slice's endpoints, then `eps`
    bool relabel = true;         // labels = computed labels
    std::vector<std::uint32_t> eps;  // desired endpoints of the group
    std::int32_t target = -1;        // the slice whose name the written object takes
  };
  struct draft {
    std::vector<out> creates;
    std::vector<out> updates;
    std::vector<std::uint32_t> deletes;  // existing slices
    std::size_t moved = 0;
    std::size_t written = 0;
    std::size_t compaction_writes = 0;
    std::size_t slices_compacted = 0;
  };

  // ---- front end ---------------------------------------------------------------------------------

  // The group of port set `ports` (hash `key`) and zone partition `zone` (always empty when packed).
  [[nodiscard]] std::uint32_t group_of(const nullable_vector<endpoint_port>& ports, std::uint64_t key,
                                       std::string_view zone, bool create, std::size_t expected) {
    for (std::uint32_t gi = 0; gi < groups_.size(); ++gi)
      if (groups_[gi].key == key && groups_[gi].zone == zone && same_port_set(*groups_[gi].ports, ports)) return gi;
    if (!create) return placeholder_group;
    groups_.emplace_back();
    group& g = groups_.back();
    g.ports = &ports;
    g.key = key;
    g.zone = std::string(zone);
    g.index.reserve(expected);
    return static_cast<std::uint32_t>(groups_.size() - 1);
  }

  void build_groups(const desired_state<F>& desired) {
    std::size_t total = 0, seq = 0;
    for (const auto& g : desired.groups) total += g.endpoints.size();
    for (const auto& dg : desired.groups) {
      const std::uint64_t key = port_set_hash(dg.ports);
      const std::size_t expected = desired.groups.size() == 1 ? total : dg.endpoints.size();
      // The port-set group exists even with no endpoint (upstream creates it first).
      std::uint32_t gi = group_of(dg.ports, key, {}, !by_zone_, expected);
      std::string_view last_zone;
      // Packed: one group for the whole run, whose keys are computed ahead (by_zone: the group
      // follows the zones, and keys are computed when needed).
      std::optional<lookahead_keys<F>> keys;
      if (!by_zone_) keys.emplace(groups_[gi].index, dg.endpoints);
      for (std::size_t i = 0; i < dg.endpoints.size(); ++i) {
        const auto& e = dg.endpoints[i];
        const std::uint64_t early = keys ? keys->next(i) : 0;
        ++seq;
        if (e.addresses.empty()) continue;
        if (by_zone_ && (gi == placeholder_group || zone_partition(e) != last_zone)) {
          last_zone = zone_partition(e);
          gi = group_of(dg.ports, key, last_zone, true, expected);
        }
        group& g = groups_[gi];
        const std::uint64_t h = by_zone_ ? g.index.key(e) : early;
        const auto idx = static_cast<std::uint32_t>(g.eps.size());
        const std::uint32_t at = g.index.insert(h, idx, [&](std::uint32_t v) { return same_endpoint_identity(*g.eps[v], e); });
        if (at == idx)
          g.eps.push_back(&e);
        else
          g.eps[at] = &e;  // the last value wins, at the first position
        g.index.settle([&g](std::uint32_t v) -> const endpoint_type& { return *g.eps[v]; });
        if (by_zone_) {
          if (at == idx)
            g.seq.push_back(seq);
          else
            g.seq[at] = seq;
        }
      }
      if (by_zone_) live_port_sets_.push_back(&dg.ports);
    }
    if (by_zone_) {
      // The same identity in two partitions (its zone changed between duplicates): the last value
      // wins, so it leaves every partition but the one of its last value.
      for (std::size_t a = 0; a < groups_.size(); ++a)
        for (std::size_t b = 0; b < groups_.size(); ++b)
          if (a != b && groups_[a].key == groups_[b].key && same_port_set(*groups_[a].ports, *groups_[b].ports))
            drop_shadowed(groups_[a], groups_[b]);
    }
    for (auto& g : groups_) {
      g.origin.assign(g.eps.size(), -1);
      if (by_zone_) g.elsewhere.assign(g.eps.size(), -1);
    }
  }

  // by_zone: endpoints of `a` also in `b` whose value in `b` comes later in the desired state.
  static void drop_shadowed(group& a, group& b) {
    if (a.eps.empty() || b.eps.empty()) return;
    std::vector<const endpoint_type*> kept;
    std::vector<std::size_t> kept_seq;
    bool dropped = false;
    for (std::size_t i = 0; i < a.eps.size(); ++i) {
      const endpoint_type* e = a.eps[i];
      const std::uint32_t d = b.index.find(b.index.key(*e), [&](std::uint32_t v) { return same_endpoint_identity(*b.eps[v], *e); });
      if (d != flat_index::npos && b.seq[d] > a.seq[i]) {
        dropped = true;
        continue;
      }
      kept.push_back(e);
      kept_seq.push_back(a.seq[i]);
    }
    if (!dropped) return;
    a.eps = std::move(kept);
    a.seq = std::move(kept_seq);
    a.index.reserve(a.eps.size());
    for (std::uint32_t i = 0; i < a.eps.size(); ++i) {
      a.index.insert(a.index.key(*a.eps[i]), i, [](std::uint32_t) { return false; });
      a.index.settle([&a](std::uint32_t v) -> const endpoint_type& { return *a.eps[v]; });
    }
  }

  void classify_existing() {
    const std::size_t n = existing_.size();
    by_name_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) by_name_[i] = i;
    std::stable_sort(by_name_.begin(), by_name_.end(), [&](std::uint32_t a, std::uint32_t b) {
      return existing_[a]->metadata.name < existing_[b]->metadata.name;
    });
    rank_.resize(n);
    owned_.assign(n, 0);
    for (std::uint32_t r = 0; r < n; ++r) rank_[by_name_[r]] = r;
    for (std::uint32_t s : by_name_) {
      const slice_type& sl = *existing_[s];
      if (!is_owned_by(sl.metadata, svc_, opt_.controller_name)) {
        unowned_.push_back(s);
        removed_entries_ += sl.endpoints.size();
        continue;
      }
      owned_[s] = 1;
      const std::uint64_t key = port_set_hash(sl.ports);
      std::uint32_t gi = placeholder_group;
      if (!by_zone_) {
        gi = group_of(sl.ports, key, {}, false, 0);
      } else {
        for (const auto* ps : live_port_sets_) {
          if (port_set_hash(*ps) == key && same_port_set(*ps, sl.ports)) {
            // A partition of a served port set: its group, empty when no endpoint is desired there.
            gi = group_of(*ps, key, zone_partition(sl.metadata), true, 0);
            if (groups_[gi].origin.size() != groups_[gi].eps.size()) groups_[gi].origin.assign(groups_[gi].eps.size(), -1);
            if (groups_[gi].elsewhere.size() != groups_[gi].eps.size()) groups_[gi].elsewhere.assign(groups_[gi].eps.size(), -1);
            break;
          }
        }
      }
      if (gi != placeholder_group) {
        groups_[gi].slices.push_back(s);
      } else {
        dead_groups_.push_back(s);
        removed_entries_ += sl.endpoints.size();
      }
    }
  }

  // Step 1 of upstream's reconcileByPortMapping: walk every owned slice of each group, keep the
  // desired version of each endpoint found (first copy only), note what changed.
  void step_one() {
    states_.resize(groups_.size());
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      group& g = groups_[gi];
      for (std::uint32_t s : g.slices) {
        const slice_type& sl = *existing_[s];
        slice_state st;
        st.existing = s;
        st.kept.reserve(sl.endpoints.size());
        for (const auto& e : sl.endpoints) {
          const std::uint32_t d = g.index.find(g.index.key(e), [&](std::uint32_t v) { return same_endpoint_identity(*g.eps[v], e); });
          if (d == flat_index::npos) {
            if (by_zone_) note_elsewhere(gi, e, s);
            continue;
          }
          if (g.origin[d] >= 0) continue;
          g.origin[d] = static_cast<std::int32_t>(s);
          st.kept.push_back(d);
          if (!endpoints_equal_beyond_identity(*g.eps[d], e)) {
            st.eps_changed = true;
            ++changed_;
          }
        }
        if (st.kept.size() != sl.endpoints.size()) {
          st.eps_changed = true;
          removed_entries_ += sl.endpoints.size() - st.kept.size();
        }
        // by_zone: an empty slice of a partition where no endpoint is desired can never be filled
        // again; marking it changed gets it deleted (a family left empty still gets its
        // placeholder, see finish()).
        if (by_zone_ && g.eps.empty()) st.eps_changed = true;
        st.labels_changed = labels_changed_for_layout(sl.metadata.labels, svc_.labels, opt_.layout);
        states_[gi].push_back(std::move(st));
      }
    }
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      group& g = groups_[gi];
      g.remaining.reserve(g.eps.size());
      for (std::uint32_t d = 0; d < g.eps.size(); ++d)
        if (g.origin[d] < 0) g.remaining.push_back(d);
      added_ += g.remaining.size();
      if (by_zone_)
        for (std::uint32_t d : g.remaining)
          if (g.elsewhere[d] >= 0) --added_;  // it moves between partitions
    }
  }

  // by_zone: an existing endpoint not desired in its slice's partition may be desired in another
  // partition of the same port set; remember where it was, so that it counts as moved and the
  // slice that receives it is written before the slice that loses it.
  void note_elsewhere(std::size_t gi, const endpoint_type& e, std::uint32_t s) {
    for (std::size_t o = 0; o < groups_.size(); ++o) {
      if (o == gi || groups_[o].key != groups_[gi].key || !same_port_set(*groups_[o].ports, *groups_[gi].ports)) continue;
      group& other = groups_[o];
      const std::uint32_t d = other.index.find(other.index.key(e), [&](std::uint32_t v) { return same_endpoint_identity(*other.eps[v], e); });
      if (d != flat_index::npos) {
        if (other.elsewhere[d] < 0) other.elsewhere[d] = static_cast<std::int32_t>(s);
        loses_.push_back(s);
        return;
      }
    }
  }

  [[nodiscard]] std::size_t size_of(const out& o) const {
    return (o.keep_existing ? existing_[static_cast<std::size_t>(o.src)]->endpoints.size() : 0) + o.eps.size();
  }
  [[nodiscard]] std::size_t existing_size(std::uint32_t s) const { return existing_[s]->endpoints.size(); }

  // ---- strategy kubernetes -----------------------------------------------------------------------

  [[nodiscard]] draft plan_kubernetes() const {
    draft d;
    d.deletes = unowned_;
    for (std::uint32_t gi = 0; gi < groups_.size(); ++gi) {
      const group& g = groups_[gi];
      std::vector<out> updates;
      std::vector<std::uint32_t> unchanged;
      for (const slice_state& st : states_[gi]) {
        if (st.eps_changed) {
          if (st.kept.empty()) {
            d.deletes.push_back(st.existing);
          } else {
            out o;
            o.src = static_cast<std::int32_t>(st.existing);
            o.group = gi;
            o.eps = st.kept;
            updates.push_back(std::move(o));
          }
        } else if (st.labels_changed) {
          out o;
          o.src = static_cast<std::int32_t>(st.existing);
          o.group = gi;
          o.keep_existing = true;
          updates.push_back(std::move(o));
        } else {
          unchanged.push_back(st.existing);
        }
      }
      const auto& rem = g.remaining;
      std::size_t pos = 0;
      // Step 2: fill the slices being updated, fullest first (stable: name order among equals).
      if (pos < rem.size() && !updates.empty()) {
        std::vector<std::size_t> order(updates.size());
        for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return size_of(updates[a]) > size_of(updates[b]); });
        for (std::size_t k : order) {
          out& o = updates[k];
          for (std::size_t sz = size_of(o); pos < rem.size() && sz < max_; ++sz) o.eps.push_back(rem[pos++]);
        }
      }
      // Step 3: the rest goes to the unchanged slice that ends closest to full, or to new slices.
      while (pos < rem.size()) {
        const std::size_t left = rem.size() - pos;
        std::size_t chosen = unchanged.size();
        if (left < max_ && !unchanged.empty()) {
          std::size_t closest = max_;
          for (std::size_t k = 0; k < unchanged.size(); ++k) {
            const std::size_t total = left + existing_size(unchanged[k]);
            if (total > max_) continue;
            const std::size_t diff = max_ - total;
            if (diff < closest) {
              closest = diff;
              chosen = k;
              if (diff == 0) break;
            }
          }
        }
        out o;
        o.group = gi;
        std::size_t sz = 0;
        if (chosen < unchanged.size()) {
          o.src = static_cast<std::int32_t>(unchanged[chosen]);
          o.keep_existing = true;
          o.relabel = false;
          sz = existing_size(unchanged[chosen]);
          unchanged.erase(unchanged.begin() + static_cast<std::ptrdiff_t>(chosen));
        }
        for (; pos < rem.size() && sz < max_; ++sz) o.eps.push_back(rem[pos++]);
        if (o.src >= 0)
          updates.push_back(std::move(o));
        else
          d.creates.push_back(std::move(o));
      }
      std::sort(updates.begin(), updates.end(), [&](const out& a, const out& b) {
        return rank_[static_cast<std::size_t>(a.src)] < rank_[static_cast<std::size_t>(b.src)];
      });
      for (auto& o : updates) d.updates.push_back(std::move(o));
    }
    d.deletes.insert(d.deletes.end(), dead_groups_.begin(), dead_groups_.end());
    return d;
  }

  // ---- strategy minimal --------------------------------------------------------------------------

  [[nodiscard]] draft plan_minimal() const {
    draft d;
    d.deletes = unowned_;
    struct pending {
      std::uint32_t group;
      std::vector<std::uint32_t> overflow;
      std::vector<std::uint32_t> clean;  // unchanged slices of the group, by name
    };
    std::vector<pending> overflows;
    std::size_t dead = dead_groups_.size();
    std::vector<out> all_updates;
    for (std::uint32_t gi = 0; gi < groups_.size(); ++gi) {
      const group& g = groups_[gi];
      std::vector<const slice_state*> dirty;
      std::vector<std::uint32_t> clean;
      std::size_t pool = g.remaining.size();
      for (const slice_state& st : states_[gi]) {
        if (st.eps_changed || st.labels_changed) {
          dirty.push_back(&st);
          pool += st.kept.size();
        } else {
          clean.push_back(st.existing);
        }
      }
      // Slices that must be written anyway are repacked for free: keep the fewest that hold the
      // pool (those with the most kept endpoints, so that few endpoints move); empty the others.
      std::vector<std::size_t> order(dirty.size());
      for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return dirty[a]->kept.size() > dirty[b]->kept.size(); });
      const std::size_t needed = (pool + max_ - 1) / max_;
      const std::size_t keep = std::min(needed, dirty.size());
      std::vector<out> receivers;
      std::vector<std::uint32_t> moving;
      for (std::size_t r = 0; r < order.size(); ++r) {
        const slice_state& st = *dirty[order[r]];
        if (r < keep) {
          out o;
          o.src = static_cast<std::int32_t>(st.existing);
          o.group = gi;
          o.eps = st.kept;
          receivers.push_back(std::move(o));
        } else {
          moving.insert(moving.end(), st.kept.begin(), st.kept.end());
          d.deletes.push_back(st.existing);
          ++dead;
        }
      }
      // Arrivals first, together, into the receivers with the most room; then moved endpoints.
      std::vector<std::uint32_t> queue = g.remaining;
      queue.insert(queue.end(), moving.begin(), moving.end());
      std::stable_sort(receivers.begin(), receivers.end(),
                       [&](const out& a, const out& b) { return a.eps.size() < b.eps.size(); });
      std::size_t pos = 0;
      for (out& o : receivers)
        while (pos < queue.size() && o.eps.size() < max_) o.eps.push_back(queue[pos++]);
      if (pos < queue.size()) overflows.push_back({gi, std::vector<std::uint32_t>(queue.begin() + static_cast<std::ptrdiff_t>(pos), queue.end()), clean});
      for (auto& o : receivers) all_updates.push_back(std::move(o));
    }
    // Overflow: new slices while slices being deleted can be recycled into them (free), then the
    // fewest extra writes, preferring clean slices with room over new slices (fewer slices).
    std::vector<out> fills;
    for (const pending& p : overflows) {
      const std::size_t o_total = p.overflow.size();
      std::size_t free_new = std::min(dead, (o_total + max_ - 1) / max_);
      dead -= free_new;
      std::size_t pos = 0;
      const auto new_slice = [&]() {
        out o;
        o.group = p.group;
        for (; pos < o_total && o.eps.size() < max_;) o.eps.push_back(p.overflow[pos++]);
        d.creates.push_back(std::move(o));
      };
      for (std::size_t k = 0; k < free_new; ++k) new_slice();
      const std::size_t rest = o_total - pos;
      if (rest == 0) continue;
      const std::size_t k_min = (rest + max_ - 1) / max_;
      std::vector<std::uint32_t> clean = p.clean;
      std::stable_sort(clean.begin(), clean.end(),
                       [&](std::uint32_t a, std::uint32_t b) { return existing_size(a) < existing_size(b); });
      std::size_t j = k_min;  // number of new slices
      for (std::size_t jj = 0; jj <= k_min; ++jj) {
        const std::size_t use = k_min - jj;
        if (use > clean.size()) continue;
        std::size_t capacity = jj * max_;
        for (std::size_t c = 0; c < use; ++c) capacity += max_ - std::min(max_, existing_size(clean[c]));
        if (capacity >= rest) {
          j = jj;
          break;
        }
      }
      for (std::size_t c = 0; c < k_min - j; ++c) {
        out o;
        o.src = static_cast<std::int32_t>(clean[c]);
        o.group = p.group;
        o.keep_existing = true;
        o.relabel = false;
        for (std::size_t sz = existing_size(clean[c]); pos < o_total && sz < max_; ++sz) o.eps.push_back(p.overflow[pos++]);
        if (!o.eps.empty()) fills.push_back(std::move(o));
      }
      while (pos < o_total) new_slice();
    }
    for (auto& o : fills) all_updates.push_back(std::move(o));
    std::sort(all_updates.begin(), all_updates.end(), [&](const out& a, const out& b) {
      return rank_[static_cast<std::size_t>(a.src)] < rank_[static_cast<std::size_t>(b.src)];
    });
    d.updates = std::move(all_updates);
    d.deletes.insert(d.deletes.end(), dead_groups_.begin(), dead_groups_.end());
    return d;
  }

  // ---- compaction (beyond upstream) -------------------------------------------------------------

  // See compaction_options. Works on a strategy's draft before finish(), so that recycling can still
  // turn a create and a compaction delete into one update. Receivers only gain endpoints and every
  // emptied slice is deleted, after all creates and updates: make-before-break holds.
  void compact(draft& d) const {
    const compaction_options& c = opt_.compaction;  // enabled(): decide() calls it only then
    std::vector<std::uint8_t> written(existing_.size(), 0);
    for (const out& o : d.updates) written[static_cast<std::size_t>(o.src)] = 1;
    for (std::uint32_t x : d.deletes) written[x] = 1;
    enum class kind : std::uint8_t { update, create, clean };
    struct bin {
      kind k;
      std::size_t index;  // into d.updates, d.creates, or the existing slice
      std::size_t size;
      bool gone = false;
    };
    std::vector<std::uint8_t> drop_update(d.updates.size(), 0), drop_create(d.creates.size(), 0);
    std::vector<const slice_state*> state_of(existing_.size(), nullptr);
    long spent = 0;
    for (std::uint32_t gi = 0; gi < groups_.size(); ++gi) {
      std::vector<bin> bins;
      std::size_t total = 0;
      for (const slice_state& st : states_[gi]) {
        state_of[st.existing] = &st;
        if (!written[st.existing]) bins.push_back({kind::clean, st.existing, existing_size(st.existing)});
      }
      for (std::size_t u = 0; u < d.updates.size(); ++u)
        if (d.updates[u].group == gi) bins.push_back({kind::update, u, size_of(d.updates[u])});
      for (std::size_t k = 0; k < d.creates.size(); ++k)
        if (d.creates[k].group == gi) bins.push_back({kind::create, k, d.creates[k].eps.size()});
      for (const bin& b : bins) total += b.size;
      std::size_t live = bins.size();
      // The receivers of a donor and the writes its emptying adds: slices written anyway first,
      // fullest first (free); then, when one unchanged slice can take the rest, the fullest such
      // (one extra update); else unchanged slices with the most room first (one update each).
      std::vector<std::size_t> written_bins, clean_bins, picked, receivers;
      const auto pick = [&](std::size_t donor, std::vector<std::size_t>& to) -> long {
        to.clear();
        // Deleting an unchanged slice is a write; an update turned into a delete is not one more;
        // a create dropped is counted as saving nothing, since recycling might have absorbed it.
        long cost = bins[donor].k == kind::clean ? 1 : 0;
        std::size_t need = bins[donor].size;
        for (std::size_t r : written_bins) {
          if (need == 0) break;
          if (r == donor) continue;
          need -= std::min(need, max_ - bins[r].size);
          to.push_back(r);
        }
        if (need == 0) return cost;
        std::size_t fit = bins.size();
        for (std::size_t r : clean_bins)
          if (r != donor && max_ - bins[r].size >= need && (fit == bins.size() || bins[r].size > bins[fit].size)) fit = r;
        if (fit != bins.size()) {
          to.push_back(fit);
          return cost + 1;
        }
        for (std::size_t r : clean_bins) {
          if (need == 0) break;
          if (r == donor) continue;
          need -= std::min(need, max_ - bins[r].size);
          to.push_back(r);
          ++cost;
        }
        return need == 0 ? cost : std::numeric_limits<long>::max();
      };
      while (live > 1 && static_cast<double>(total) < c.min_fullness * static_cast<double>(live * max_) &&
             total <= (live - 1) * max_) {
        written_bins.clear();
        clean_bins.clear();
        for (std::size_t b = 0; b < bins.size(); ++b)
          if (!bins[b].gone && bins[b].size < max_) (bins[b].k == kind::clean ? clean_bins : written_bins).push_back(b);
        std::stable_sort(written_bins.begin(), written_bins.end(),
                         [&](std::size_t a, std::size_t b) { return bins[a].size > bins[b].size; });
        std::stable_sort(clean_bins.begin(), clean_bins.end(),
                         [&](std::size_t a, std::size_t b) { return bins[a].size < bins[b].size; });
        // The donor whose emptying adds the fewest writes, then the smallest.
        std::size_t best = bins.size();
        long best_cost = 0;
        for (std::size_t b = 0; b < bins.size(); ++b) {
          if (bins[b].gone) continue;
          const long cost = pick(b, picked);
          if (cost == std::numeric_limits<long>::max()) continue;
          if (best == bins.size() || cost < best_cost || (cost == best_cost && bins[b].size < bins[best].size)) {
            best = b;
            best_cost = cost;
            receivers.swap(picked);  // the best donor's receivers, kept
          }
        }
        if (best == bins.size() || spent + best_cost > static_cast<long>(c.max_extra_writes)) break;
        // Empty the donor.
        bin& donor = bins[best];
        std::vector<std::uint32_t> members;
        if (donor.k == kind::clean) {
          members = state_of[donor.index]->kept;
          d.deletes.push_back(static_cast<std::uint32_t>(donor.index));
        } else if (donor.k == kind::update) {
          const out& o = d.updates[donor.index];
          if (o.keep_existing) members = state_of[static_cast<std::size_t>(o.src)]->kept;
          members.insert(members.end(), o.eps.begin(), o.eps.end());
          drop_update[donor.index] = 1;
          d.deletes.push_back(static_cast<std::uint32_t>(o.src));
        } else {
          members = d.creates[donor.index].eps;
          drop_create[donor.index] = 1;
        }
        donor.gone = true;
        --live;
        std::size_t pos = 0;
        for (std::size_t r : receivers) {
          if (pos == members.size()) break;
          if (r == best) continue;
          bin& to = bins[r];
          out* o = nullptr;
          if (to.k == kind::clean) {
            out n;
            n.src = static_cast<std::int32_t>(to.index);
            n.group = gi;
            n.keep_existing = true;
            n.relabel = false;
            d.updates.push_back(std::move(n));
            drop_update.push_back(0);
            to = bin{kind::update, d.updates.size() - 1, to.size};
          }
          o = to.k == kind::update ? &d.updates[to.index] : &d.creates[to.index];
          for (; pos < members.size() && to.size < max_; ++to.size) o->eps.push_back(members[pos++]);
        }
        spent += best_cost;
        ++d.slices_compacted;
      }
    }
    if (d.slices_compacted == 0) return;
    const auto sweep = [](std::vector<out>& v, const std::vector<std::uint8_t>& drop) {
      std::size_t w = 0;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (drop[i]) continue;
        if (w != i) v[w] = std::move(v[i]);  // never move a vector onto itself
        ++w;
      }
      v.resize(w);
    };
    sweep(d.updates, drop_update);
    sweep(d.creates, drop_create);
  }

  // ---- shared end: placeholder, recycling, counting moves ----------------------------------------

  [[nodiscard]] bool is_placeholder_equal(const slice_type& s) const {
    out o;
    o.group = placeholder_group;
    return placeholder_slice_equal(s, new_slice(o));
  }

  void finish(draft& d) const {
    // The placeholder (c.9): a family with no slice left and nothing to create gets an empty slice.
    if (total_slices_ == d.deletes.size() && d.creates.empty() && d.updates.empty()) {
      if (d.deletes.size() == 1 && is_placeholder_equal(*existing_[d.deletes[0]])) {
        d.deletes.clear();
      } else {
        out o;
        o.group = placeholder_group;
        d.creates.push_back(std::move(o));
      }
    }
    // Recycling (c.10): the last create takes the name of the next owned slice being deleted.
    std::vector<out> recycled;
    for (std::size_t i = 0; i < d.deletes.size() && !d.creates.empty();) {
      const std::uint32_t s = d.deletes[i];
      if (owned_[s]) {
        out o = std::move(d.creates.back());
        d.creates.pop_back();
        o.target = static_cast<std::int32_t>(s);
        recycled.push_back(std::move(o));
        d.deletes.erase(d.deletes.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    for (auto& o : d.updates) o.target = o.src;
    // Receivers of moved endpoints are plain updates; recycled slices (which lose their old
    // content) come after them, deletes last.
    for (auto& o : recycled) d.updates.push_back(std::move(o));
    if (by_zone_ && !loses_.empty()) order_cross_partition(d);
    d.moved = 0;
    d.written = 0;
    for (const auto& o : d.updates) {
      count_moves(o, d.moved);
      d.written += o.src >= 0 && o.keep_existing ? size_of(o) : o.eps.size();
    }
    for (const auto& o : d.creates) {
      count_moves(o, d.moved);
      d.written += o.eps.size();
    }
  }

  void count_moves(const out& o, std::size_t& moved) const {
    if (o.group == placeholder_group) return;
    const group& g = groups_[o.group];
    for (std::uint32_t e : o.eps)
      if (g.origin[e] >= 0 ? g.origin[e] != o.target : (by_zone_ && g.elsewhere[e] >= 0)) ++moved;
  }

  // by_zone: an endpoint that changes partition leaves a slice that is updated (or recycled); the
  // update that receives it must be written first. Updates are put in an order where every
  // receiver comes before the update of the slice the endpoint leaves (a topological order that
  // keeps the previous order wherever it can). Endpoints swapping zones can make a cycle; it is
  // broken by moving the endpoints that close it into new slices, which are created first (each
  // one an extra write, needed for make-before-break).
  void order_cross_partition(draft& d) const {
    const std::size_t nu = d.updates.size();
    std::vector<std::int32_t> update_of(existing_.size(), -1);
    for (std::size_t i = 0; i < nu; ++i)
      if (d.updates[i].target >= 0) update_of[static_cast<std::size_t>(d.updates[i].target)] = static_cast<std::int32_t>(i);
    std::vector<std::vector<std::int32_t>> receiver(groups_.size());
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) receiver[gi].assign(groups_[gi].eps.size(), -1);
    for (std::size_t i = 0; i < nu; ++i)
      if (d.updates[i].group != placeholder_group)
        for (std::uint32_t e : d.updates[i].eps) receiver[d.updates[i].group][e] = static_cast<std::int32_t>(i);
    std::vector<std::vector<std::uint32_t>> after(nu), before(nu);
    std::vector<std::uint32_t> pending(nu, 0);
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      const group& g = groups_[gi];
      for (std::size_t e = 0; e < g.eps.size(); ++e) {
        const std::int32_t holder = g.origin[e] >= 0 ? g.origin[e] : g.elsewhere[e];
        const std::int32_t r = receiver[gi][e];
        if (holder < 0 || r < 0) continue;
        const std::int32_t u = update_of[static_cast<std::size_t>(holder)];
        if (u < 0 || u == r) continue;
        after[static_cast<std::size_t>(r)].push_back(static_cast<std::uint32_t>(u));
        before[static_cast<std::size_t>(u)].push_back(static_cast<std::uint32_t>(r));
        ++pending[static_cast<std::size_t>(u)];
      }
    }
    std::set<std::uint32_t> ready;
    for (std::uint32_t i = 0; i < nu; ++i)
      if (pending[i] == 0) ready.insert(i);
    std::vector<std::uint8_t> done(nu, 0);
    std::vector<out> ordered;
    ordered.reserve(nu);
    while (ordered.size() < nu) {
      std::uint32_t i = 0;
      if (!ready.empty()) {
        i = *ready.begin();
        ready.erase(ready.begin());
      } else {
        // A cycle: the first update left goes next; the pending updates that receive what it
        // loses get those endpoints in new slices instead.
        while (done[i]) ++i;
        for (std::uint32_t r : before[i]) {
          if (done[r]) continue;
          out& o = d.updates[r];
          const group& g = groups_[o.group];
          std::vector<std::uint32_t> keep, moved;
          for (std::uint32_t e : o.eps) {
            const std::int32_t holder = g.origin[e] >= 0 ? g.origin[e] : g.elsewhere[e];
            const bool from_i = holder >= 0 && update_of[static_cast<std::size_t>(holder)] == static_cast<std::int32_t>(i);
            (from_i ? moved : keep).push_back(e);
          }
          o.eps = std::move(keep);
          for (std::size_t k = 0; k < moved.size(); k += max_) {
            out c;
            c.group = o.group;
            c.eps.assign(moved.begin() + static_cast<std::ptrdiff_t>(k),
                         moved.begin() + static_cast<std::ptrdiff_t>(std::min(moved.size(), k + max_)));
            d.creates.push_back(std::move(c));
          }
        }
      }
      done[i] = 1;
      ordered.push_back(std::move(d.updates[i]));
      for (std::uint32_t u : after[i])
        if (!done[u] && --pending[u] == 0) ready.insert(u);
    }
    d.updates = std::move(ordered);
    // An update that breaking a cycle left with no endpoint would write an empty slice that no
    // later reconcile removes: delete it instead (the same number of writes, one slice fewer;
    // deletes come last, so every endpoint it held is already in its new slice).
    std::erase_if(d.updates, [&](const out& o) {
      const bool emptied = o.group != placeholder_group && o.target >= 0 && size_of(o) == 0;
      if (emptied) d.deletes.push_back(static_cast<std::uint32_t>(o.target));
      return emptied;
    });
  }

  // Two drafts that write the same objects.
  [[nodiscard]] static bool same_shape(const draft& a, const draft& b) {
    const auto same = [](const std::vector<out>& x, const std::vector<out>& y) {
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (x[i].src != y[i].src || x[i].target != y[i].target || x[i].group != y[i].group ||
            x[i].keep_existing != y[i].keep_existing || x[i].relabel != y[i].relabel || x[i].eps != y[i].eps)
          return false;
      return true;
    };
    return a.deletes == b.deletes && same(a.creates, b.creates) && same(a.updates, b.updates);
  }

  // The JSON bytes a draft writes: each object's header (the slice without endpoints) encoded,
  // plus the cached sizes of its endpoints (never building the endpoint lists).
  [[nodiscard]] std::size_t draft_bytes(const draft& d) const {
    std::size_t total = 0;
    const auto add = [&](const out& o) {
      const std::size_t kept = o.src >= 0 && o.keep_existing ? existing_size(static_cast<std::uint32_t>(o.src)) : 0;
      std::size_t bytes = kept ? existing_endpoint_bytes(static_cast<std::uint32_t>(o.src)) : 0;
      for (std::uint32_t e : o.eps) bytes += desired_endpoint_bytes(o.group, e, nullptr);
      total += slice_json_size(header_bytes(o, nullptr), kept + o.eps.size(), bytes);
    };
    for (const out& o : d.creates) add(o);
    for (const out& o : d.updates) add(o);
    return total;
  }

  // ---- sizes of endpoints, measured once -----------------------------------------------------------

  // The JSON size of desired endpoint `e` of group `gi`, measured on `value` (an equal endpoint,
  // e.g. the copy written into a slice) or on the desired endpoint itself, once.
  [[nodiscard]] std::size_t desired_endpoint_bytes(std::uint32_t gi, std::uint32_t e, const endpoint_type* value) const {
    if (gi == placeholder_group) return 0;
    if (desired_bytes_.size() < groups_.size()) desired_bytes_.resize(groups_.size());
    auto& sizes = desired_bytes_[gi];
    if (sizes.size() < groups_[gi].eps.size()) sizes.resize(groups_[gi].eps.size(), 0);
    if (sizes[e] == 0) sizes[e] = static_cast<std::uint32_t>(endpoint_json_size(value ? *value : *groups_[gi].eps[e], size_buffer_));
    return sizes[e];
  }

  // The JSON size of the endpoints of existing slice `s` (without separators), once.
  [[nodiscard]] std::size_t existing_endpoint_bytes(std::uint32_t s) const {
    if (existing_bytes_.size() < existing_.size()) existing_bytes_.resize(existing_.size(), unmeasured);
    if (existing_bytes_[s] == unmeasured) {
      std::size_t n = 0;
      for (const auto& e : existing_[s]->endpoints) n += endpoint_json_size(e, size_buffer_);
      existing_bytes_[s] = n;
    }
    return existing_bytes_[s];
  }

  // The JSON size of the object written for `o` with an empty endpoint list: measured on `built`
  // (that object, endpoints set aside for a moment) or on a header made for it. A new slice's
  // header depends only on its group (generateName, labels, owner, ports), so it is measured once
  // per group.
  [[nodiscard]] std::size_t header_bytes(const out& o, slice_type* built) const {
    const bool fresh = o.src < 0 && o.target < 0;
    const std::size_t slot = o.group == placeholder_group ? groups_.size() : o.group;
    if (fresh && slot < new_header_bytes_.size() && new_header_bytes_[slot] != unmeasured) return new_header_bytes_[slot];
    std::size_t n = 0;
    if (built) {
      nullable_vector<endpoint_type> eps = std::move(built->endpoints);
      built->endpoints = nullable_vector<endpoint_type>();
      built->endpoints.set_empty_not_nil();
      n = encoded_json_size(*built, size_buffer_);
      built->endpoints = std::move(eps);
    } else {
      n = encoded_json_size(make_header(o), size_buffer_);
    }
    if (fresh) {
      if (new_header_bytes_.size() <= slot) new_header_bytes_.resize(slot + 1, unmeasured);
      new_header_bytes_[slot] = n;
    }
    return n;
  }

  // The JSON size of slice `s` built for `o`: its header's size, its endpoints' cached sizes.
  [[nodiscard]] std::size_t written_bytes(slice_type& s, const out& o) const {
    if (s.endpoints.is_nil()) return encoded_json_size(s, size_buffer_);
    const std::size_t header = header_bytes(o, &s);
    const std::size_t kept = s.endpoints.size() - o.eps.size();
    std::size_t bytes = kept ? existing_endpoint_bytes(static_cast<std::uint32_t>(o.src)) : 0;
    for (std::size_t i = 0; i < o.eps.size(); ++i) bytes += desired_endpoint_bytes(o.group, o.eps[i], &s.endpoints[kept + i]);
    return slice_json_size(header, s.endpoints.size(), bytes);
  }

  // ---- building the objects ----------------------------------------------------------------------

  [[nodiscard]] string_map labels_for(std::uint32_t gi) const {
    if (!by_zone_ || gi == placeholder_group || groups_[gi].zone.empty()) return *labels_;
    string_map labels = *labels_;
    labels.insert_or_assign(std::string(well_known::zone_label), groups_[gi].zone);
    return labels;
  }

  [[nodiscard]] slice_type new_slice(const out& o) const {
    slice_type s;
    s.metadata.generate_name = endpoint_slice_prefix(svc_.name);
    s.metadata.namespace_ = svc_.namespace_;
    s.metadata.labels = labels_for(o.group);
    if (!svc_.uid.empty())
      s.metadata.owner_references.push_back(owner_reference{"v1", "Service", svc_.name, svc_.uid, true, true, {}});
    if (o.group != placeholder_group) s.ports.assign(groups_[o.group].ports->begin(), groups_[o.group].ports->end());
    s.ports.set_empty_not_nil();
    s.endpoints.set_empty_not_nil();
    return s;
  }

  void append_endpoints(slice_type& s, const out& o, bool move) const {
    if (o.group == placeholder_group) return;
    const group& g = groups_[o.group];
    s.endpoints.reserve(s.endpoints.size() + o.eps.size());
    if (move) {
      // The caller handed the desired state over (reconcile(desired_state&&, ...)): each desired
      // endpoint is written at most once per plan, so it can be moved instead of copied.
      for (std::uint32_t e : o.eps) s.endpoints.push_back(std::move(const_cast<endpoint_type&>(*g.eps[e])));
    } else {
      for (std::uint32_t e : o.eps) s.endpoints.push_back(*g.eps[e]);
    }
  }

  // The object written for `o` without its endpoints (an empty, non-nil list).
  [[nodiscard]] slice_type make_header(const out& o) const {
    slice_type s;
    if (o.src < 0) {  // a new slice, or a create recycled onto a slice being deleted
      s = new_slice(o);
      if (o.target >= 0) s.metadata.name = existing_[static_cast<std::size_t>(o.target)]->metadata.name;
    } else {
      copy_slice_header(*existing_[static_cast<std::size_t>(o.src)], s);
      s.endpoints.set_empty_not_nil();
      if (o.relabel) s.metadata.labels = labels_for(o.group);
    }
    set_trigger_time(s.metadata, opt_);
    return s;
  }

  [[nodiscard]] slice_type make_slice(const out& o, bool move) const {
    slice_type s = make_header(o);
    if (o.src >= 0 && o.keep_existing) {
      const auto& kept = existing_[static_cast<std::size_t>(o.src)]->endpoints;
      s.endpoints.reserve(kept.size() + o.eps.size());
      s.endpoints.insert(s.endpoints.end(), kept.begin(), kept.end());
    }
    append_endpoints(s, o, move);
    return s;
  }

  [[nodiscard]] slice_plan<F> build(const draft& d) const {
    slice_plan<F> plan;
    plan.create.reserve(d.creates.size());
    for (const out& o : d.creates) {
      plan.create.push_back(make_slice(o, movable_));
      plan.stats.endpoints_written += plan.create.back().endpoints.size();
      if (opt_.measure_bytes) plan.stats.bytes_written += written_bytes(plan.create.back(), o);
    }
    plan.update.reserve(d.updates.size());
    for (const out& o : d.updates) {
      plan.update.push_back(make_slice(o, movable_));
      plan.stats.endpoints_written += plan.update.back().endpoints.size();
      if (opt_.measure_bytes) plan.stats.bytes_written += written_bytes(plan.update.back(), o);
    }
    plan.remove.reserve(d.deletes.size());
    for (std::uint32_t s : d.deletes) plan.remove.push_back(*existing_[s]);
    plan.stats.creates = plan.create.size();
    plan.stats.updates = plan.update.size();
    plan.stats.deletes = plan.remove.size();
    plan.stats.writes = plan.stats.creates + plan.stats.updates + plan.stats.deletes;
    plan.stats.endpoints_added = added_;
    plan.stats.endpoints_changed = changed_;
    plan.stats.endpoints_removed = removed_entries_;
    plan.stats.endpoints_moved = d.moved;
    plan.stats.compaction_writes = d.compaction_writes;
    plan.stats.slices_compacted = d.slices_compacted;
    return plan;
  }

  // ---- a family with no slice yet ------------------------------------------------------------------

  // With no existing slice (packed layout, no compaction) both strategies make the same plan (see
  // decide()): per port-set group, in group order, its unique endpoints in order of first
  // appearance (the last value of each), in new slices of max_; the placeholder when there is none.
  // This makes that plan in one read of the desired state: each endpoint is keyed, deduplicated
  // and written into its slice (moved when movable_) while its memory is hot, and measured there.
  // The general path gives identical plans (tested); it reads the endpoints twice and keeps
  // per-endpoint bookkeeping this plan does not need.
  [[nodiscard]] slice_plan<F> from_scratch(const desired_state<F>& desired) {
    struct made {
      std::vector<slice_type> slices;
      std::vector<std::size_t> bytes;  // endpoint bytes of each slice
      slice_type header;
      std::uint32_t count = 0;  // unique endpoints so far
    };
    std::vector<made> out_of;  // per group
    std::size_t total = 0;
    for (const auto& g : desired.groups) total += g.endpoints.size();
    const bool measure = opt_.measure_bytes;
    for (const auto& dg : desired.groups) {
      const std::size_t expected = desired.groups.size() == 1 ? total : dg.endpoints.size();
      const std::uint32_t gi = group_of(dg.ports, port_set_hash(dg.ports), {}, true, expected);
      if (out_of.size() <= gi) {
        out_of.resize(gi + 1);
        out o;
        o.group = gi;
        out_of[gi].header = make_header(o);
      }
      made& m = out_of[gi];
      identity_index<F>& index = groups_[gi].index;
      const auto at = [&m, this](std::uint32_t v) -> endpoint_type& { return m.slices[v / max_].endpoints[v % max_]; };
      lookahead_keys<F> keys(index, dg.endpoints);
      const std::size_t count = dg.endpoints.size();
      for (std::size_t i = 0; i < count; ++i) {
        const endpoint_type& e = dg.endpoints[i];
        const std::uint64_t h = keys.next(i);
        if (e.addresses.empty()) continue;
        const std::uint32_t next = m.count;
        const std::uint32_t found = index.insert(h, next, [&](std::uint32_t v) { return same_endpoint_identity(at(v), e); });
        if (found == next) {
          if (next % max_ == 0) {
            m.slices.push_back(m.header);
            m.slices.back().endpoints.reserve(std::min(max_, count - i));
            m.bytes.push_back(0);
          }
          slice_type& sl = m.slices.back();
          if (movable_)
            sl.endpoints.push_back(std::move(const_cast<endpoint_type&>(e)));
          else
            sl.endpoints.push_back(e);
          if (measure) m.bytes.back() += endpoint_json_size(sl.endpoints.back(), size_buffer_);
          ++m.count;
        } else {
          // A duplicate: the last value wins, at the first position.
          endpoint_type& slot = at(found);
          const std::size_t k = found / max_;
          if (measure) m.bytes[k] -= endpoint_json_size(slot, size_buffer_);
          if (movable_)
            slot = std::move(const_cast<endpoint_type&>(e));
          else
            slot = e;
          if (measure) m.bytes[k] += endpoint_json_size(slot, size_buffer_);
        }
        index.settle(at);
      }
    }
    slice_plan<F> plan;
    std::size_t slices = 0, unique = 0;
    for (const made& m : out_of) {
      slices += m.slices.size();
      unique += m.count;
    }
    plan.create.reserve(slices == 0 ? 1 : slices);
    for (std::uint32_t gi = 0; gi < out_of.size(); ++gi) {
      made& m = out_of[gi];
      out o;
      o.group = gi;
      const std::size_t header = measure && !m.slices.empty() ? header_bytes(o, &m.header) : 0;
      for (std::size_t k = 0; k < m.slices.size(); ++k) {
        if (measure) plan.stats.bytes_written += slice_json_size(header, m.slices[k].endpoints.size(), m.bytes[k]);
        plan.create.push_back(std::move(m.slices[k]));
      }
    }
    if (plan.create.empty()) {  // the placeholder (c.9)
      out o;
      o.group = placeholder_group;
      plan.create.push_back(make_slice(o, false));
      if (measure) plan.stats.bytes_written += written_bytes(plan.create.back(), o);
    }
    plan.stats.creates = plan.stats.writes = plan.create.size();
    plan.stats.endpoints_added = plan.stats.endpoints_written = unique;
    return plan;
  }

  // slice_planner: make a used prepared form ready for another decision, keeping its memory.
  void reuse(std::size_t total_slices) {
    total_slices_ = total_slices;
    existing_.clear();
    by_name_.clear();
    rank_.clear();
    owned_.clear();
    unowned_.clear();
    dead_groups_.clear();
    loses_.clear();
    added_ = changed_ = removed_entries_ = 0;
    desired_bytes_.clear();
    existing_bytes_.clear();
    new_header_bytes_.clear();
    for (auto& st : states_)
      for (auto& x : st) spare_states_.push_back(std::move(x));
    states_.clear();
    if (groups_.size() > 1) groups_.resize(1);
    for (group& g : groups_) {
      g.eps.clear();
      g.origin.clear();
      g.slices.clear();
      g.remaining.clear();
    }
  }

  // slice_planner: a slice state whose `kept` keeps the memory of an earlier decision.
  [[nodiscard]] slice_state take_state() {
    if (spare_states_.empty()) return {};
    slice_state st = std::move(spare_states_.back());
    spare_states_.pop_back();
    st.kept.clear();
    st.eps_changed = st.labels_changed = false;
    return st;
  }

  // Members for the prepared form used by slice_planner (no front end).
  family_reconciler(const service_identity& svc, const reconcile_options& options, std::size_t total_slices,
                    const string_map& labels)
      : svc_(svc),
        opt_(options),
        max_(options.max_endpoints_per_slice),
        by_zone_(options.layout == slice_layout::by_zone),
        total_slices_(total_slices),
        labels_(&labels) {}

  const service_identity& svc_;
  std::vector<const slice_type*> existing_;
  const reconcile_options& opt_;
  std::size_t max_;
  bool by_zone_ = false;
  bool movable_ = false;
  const desired_state<F>* scratch_ = nullptr;  // planned by from_scratch()
  std::size_t total_slices_ = 0;  // every slice of the family (the planner passes only some)
  string_map own_labels_;
  const string_map* labels_ = &(own_labels_ = endpoint_slice_labels(svc_, opt_.controller_name));
  std::vector<group> groups_;
  std::vector<std::vector<slice_state>> states_;
  std::vector<std::uint32_t> by_name_, rank_;
  std::vector<std::uint8_t> owned_;
  std::vector<std::uint32_t> unowned_, dead_groups_;
  std::vector<const nullable_vector<endpoint_port>*> live_port_sets_;  // by_zone: served port sets
  std::vector<std::uint32_t> loses_;  // by_zone: slices holding endpoints that change partition
  std::size_t added_ = 0, changed_ = 0, removed_entries_ = 0;
  static constexpr std::size_t unmeasured = static_cast<std::size_t>(-1);
  mutable std::vector<std::vector<std::uint32_t>> desired_bytes_;  // per group and endpoint; 0: not yet
  mutable std::vector<std::size_t> existing_bytes_;                // per existing slice; unmeasured: not yet
  mutable std::vector<std::size_t> new_header_bytes_;  // per group (placeholder last): a new slice's header
  mutable std::string size_buffer_;
  std::vector<slice_state> spare_states_;  // slice_planner: states of earlier decisions, for reuse
};

/// Both reconcile() overloads: `movable` when the caller handed the desired state over. `direct`
/// lets a family with no slice take the one-pass plan (family_reconciler::from_scratch); tests turn
/// it off to compare with the general path.
template <class F>
[[nodiscard]] slice_plan<F> reconcile_family(const desired_state<F>& desired, std::span<const basic_endpoint_slice<F>> existing,
                                             const reconcile_options& options, bool movable, bool direct = true) {
  static_assert(is_typed_family_v<F>, "reconcile plans typed families only");
  check_options(options);
  std::vector<const basic_endpoint_slice<F>*> ptrs;
  ptrs.reserve(existing.size());
  for (const auto& s : existing) ptrs.push_back(&s);
  return family_reconciler<F>(desired, std::move(ptrs), options, movable, direct).run();
}

}  // namespace detail

/// Plan the writes that turn `existing` (the family's slices as the controller lists them, see
/// is_managed_slice) into slices holding exactly the desired endpoints.
///
/// 1. Group desired endpoints by port set; collapse endpoints of equal identity.
/// 2. Existing slices not owned by the Service are deleted; owned ones are grouped by port set;
///    groups no longer desired are deleted.
/// 3. Per group, the chosen strategy places endpoints (kubernetes: k8s-semantics c.7 steps 1-3;
///    minimal: free repacking of slices that are written anyway, then the fewest extra writes);
///    with reconcile_options::compaction set, underfull groups are then compacted within its budget.
/// 4. A family left with no slice gets the empty placeholder slice (c.9); creates are recycled into
///    updates of owned slices being deleted (c.10).
/// 5. Created and updated slices get the labels of c.8 and the trigger-time annotation.
///
/// Throws epslice::error when the options are invalid (see validate(const reconcile_options&)).
template <class F>
[[nodiscard]] slice_plan<F> reconcile(const desired_state<F>& desired,
                                      std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing,
                                      const reconcile_options& options = {}) {
  return detail::reconcile_family(desired, existing, options, false);
}

/// reconcile() for a desired state the caller hands over: the desired endpoints are moved into the
/// created and updated slices instead of copied (the fast path for large services).
template <class F>
[[nodiscard]] slice_plan<F> reconcile(desired_state<F>&& desired,
                                      std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing,
                                      const reconcile_options& options = {}) {
  return detail::reconcile_family(desired, existing, options, true);
}

/// The desired state of a Service over its address families: a family without a state is not
/// served, and its existing slices are removed.
struct dual_stack_desired {
  std::optional<desired_state<ipv4>> ipv4_state;
  std::optional<desired_state<ipv6>> ipv6_state;
  std::optional<desired_state<fqdn>> fqdn_state;
};

/// Reconcile every address family of a Service at once. Slices of a family with no desired state
/// and raw slices (the legacy `IP` type, or content that is not a valid typed slice) are removed
/// without recycling. Order: the creates of IPv4, IPv6, FQDN; their updates; their deletes, then the
/// removals of unserved slices (upstream issues each family's writes in turn; the effect is the same
/// because families never share endpoints).
/// Throws epslice::error when the options are invalid.
[[nodiscard]] inline any_slice_plan reconcile(const dual_stack_desired& desired, std::span<const any_endpoint_slice> existing,
                                              const reconcile_options& options = {}) {
  detail::check_options(options);
  any_slice_plan plan;
  std::vector<const any_endpoint_slice*> unserved;
  std::vector<const endpoint_slice_v4*> v4;
  std::vector<const endpoint_slice_v6*> v6;
  std::vector<const endpoint_slice_fqdn*> fq;
  for (const auto& s : existing) {
    if (const auto* a = std::get_if<endpoint_slice_v4>(&s); a && desired.ipv4_state) v4.push_back(a);
    else if (const auto* b = std::get_if<endpoint_slice_v6>(&s); b && desired.ipv6_state) v6.push_back(b);
    else if (const auto* c = std::get_if<endpoint_slice_fqdn>(&s); c && desired.fqdn_state) fq.push_back(c);
    else unserved.push_back(&s);
  }
  std::vector<any_slice_plan> parts;
  const auto add = [&](auto&& p) {
    any_slice_plan a;
    for (auto& s : p.create) a.create.emplace_back(std::move(s));
    for (auto& s : p.update) a.update.emplace_back(std::move(s));
    for (auto& s : p.remove) a.remove.emplace_back(std::move(s));
    a.stats = p.stats;
    parts.push_back(std::move(a));
  };
  if (desired.ipv4_state) add(detail::family_reconciler<ipv4>(*desired.ipv4_state, std::move(v4), options).run());
  if (desired.ipv6_state) add(detail::family_reconciler<ipv6>(*desired.ipv6_state, std::move(v6), options).run());
  if (desired.fqdn_state) add(detail::family_reconciler<fqdn>(*desired.fqdn_state, std::move(fq), options).run());
  for (auto& p : parts)
    for (auto& s : p.create) plan.create.push_back(std::move(s));
  for (auto& p : parts)
    for (auto& s : p.update) plan.update.push_back(std::move(s));
  for (auto& p : parts) {
    for (auto& s : p.remove) plan.remove.push_back(std::move(s));
    plan.stats += p.stats;
  }
  std::stable_sort(unserved.begin(), unserved.end(), [](const any_endpoint_slice* a, const any_endpoint_slice* b) {
    return metadata_of(*a).name < metadata_of(*b).name;
  });
  for (const auto* s : unserved) {
    plan.remove.push_back(*s);
    plan.stats.endpoints_removed += std::visit([](const auto& x) { return x.endpoints.size(); }, *s);
    ++plan.stats.deletes;
    ++plan.stats.writes;
  }
  return plan;
}

namespace detail {
template <class Slice>
[[nodiscard]] const object_meta& meta_of(const Slice& s) noexcept {
  if constexpr (std::is_same_v<Slice, any_endpoint_slice>)
    return metadata_of(s);
  else
    return s.metadata;
}
template <class Slice>
[[nodiscard]] object_meta& meta_of(Slice& s) noexcept {
  if constexpr (std::is_same_v<Slice, any_endpoint_slice>)
    return std::visit([](auto& x) -> object_meta& { return x.metadata; }, s);
  else
    return s.metadata;
}

template <class Slice, class Namer>
[[nodiscard]] std::vector<Slice> apply_plan(const basic_slice_plan<Slice>& plan, std::span<const Slice> existing,
                                            Namer&& namer, bool skip_taken) {
  // Slices by name; ordered, so the result comes out sorted by name.
  std::map<std::string, Slice, std::less<>> out;
  for (const auto& s : existing) out.insert_or_assign(meta_of(s).name, s);
  for (const auto& s : plan.create) {
    Slice c = s;
    std::string name;
    do {
      name = namer(meta_of(c));
    } while (skip_taken && out.find(name) != out.end());
    if (out.find(name) != out.end()) throw_error("metadata.name", "apply: created slice name \"" + name + "\" is taken");
    meta_of(c).name = name;
    out.emplace(std::move(name), std::move(c));
  }
  for (const auto& s : plan.update) {
    auto it = out.find(meta_of(s).name);
    if (it == out.end()) throw_error("metadata.name", "apply: updated slice \"" + meta_of(s).name + "\" does not exist");
    it->second = s;
  }
  for (const auto& s : plan.remove) {
    auto it = out.find(meta_of(s).name);
    if (it == out.end()) throw_error("metadata.name", "apply: removed slice \"" + meta_of(s).name + "\" does not exist");
    out.erase(it);
  }
  std::vector<Slice> result;
  result.reserve(out.size());
  for (auto& [k, v] : out) result.push_back(std::move(v));
  return result;
}
}  // namespace detail

/// Apply a plan to the slices it was made from, as the API server would: creates are named by
/// `namer` (see slice_namer), updates replace the slice of the same name, deletes remove it.
/// Call it qualified (`epslice::apply`): with std::vector arguments, an unqualified call also finds
/// std::apply through argument-dependent lookup.
/// Returns the resulting slices sorted by name. Throws epslice::error when an update or delete
/// names a slice that does not exist, or a created name is taken.
template <class F>
[[nodiscard]] std::vector<basic_endpoint_slice<F>> apply(const slice_plan<F>& plan,
                                                         std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing,
                                                         slice_namer& namer) {
  return detail::apply_plan(plan, existing, namer, false);
}

/// apply() with a fresh slice_namer whose counter skips names already taken, so created slices are
/// named `<generateName>00000`, `<generateName>00001`, ... deterministically.
template <class F>
[[nodiscard]] std::vector<basic_endpoint_slice<F>> apply(const slice_plan<F>& plan,
                                                         std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing) {
  slice_namer namer;
  return detail::apply_plan(plan, existing, namer, true);
}

/// apply() for a plan over every address family.
[[nodiscard]] inline std::vector<any_endpoint_slice> apply(const any_slice_plan& plan,
                                                           std::span<const any_endpoint_slice> existing,
                                                           slice_namer& namer) {
  return detail::apply_plan(plan, existing, namer, false);
}

/// apply() for a plan over every address family, with a fresh namer that skips taken names.
[[nodiscard]] inline std::vector<any_endpoint_slice> apply(const any_slice_plan& plan,
                                                           std::span<const any_endpoint_slice> existing) {
  slice_namer namer;
  return detail::apply_plan(plan, existing, namer, true);
}


/// A change to the desired endpoints of one port-set group, for slice_planner. Identities within
/// one change are distinct.
template <class F>
struct endpoint_change {
  std::size_t group = 0;  ///< index of the group in the planner's desired state
  /// New endpoints, appended to the group in this order (an identity already desired is an update).
  std::vector<basic_endpoint<F>> added;
  /// New values of desired endpoints, matched by identity (an unknown identity is added, after `added`).
  std::vector<basic_endpoint<F>> updated;
  /// Endpoints no longer desired, matched by identity (other fields are ignored; unknown ones too).
  std::vector<basic_endpoint<F>> removed;
};

/// The planner's decision for one change: which endpoints go to which slice. Cheap to compute (in
/// time proportional to the change); slice_planner::build() turns it into the slice objects.
/// Refers to the planner and to the change it was made for: both must outlive it, unchanged. When
/// destroyed, it gives its scratch memory back to the planner for the next decision.
template <class F>
class planner_decision {
 public:
  planner_decision() = default;
  planner_decision(const planner_decision&) = delete;
  planner_decision& operator=(const planner_decision&) = delete;
  /// Moves the decision; the source is left empty.
  planner_decision(planner_decision&& o) noexcept
      : rec_(std::move(o.rec_)), draft_(std::move(o.draft_)), pool_(std::exchange(o.pool_, nullptr)) {}
  /// Moves the decision; the source is left empty.
  planner_decision& operator=(planner_decision&& o) noexcept {
    if (this != &o) {
      give_back();
      rec_ = std::move(o.rec_);
      draft_ = std::move(o.draft_);
      pool_ = std::exchange(o.pool_, nullptr);
    }
    return *this;
  }
  /// Gives the decision's scratch memory back to the planner that made it.
  ~planner_decision() { give_back(); }

  /// Writes the plan will make (creates + updates + deletes).
  [[nodiscard]] std::size_t writes() const noexcept {
    return draft_.creates.size() + draft_.updates.size() + draft_.deletes.size();
  }

 private:
  friend class slice_planner<F>;
  using reconciler = detail::family_reconciler<F>;
  std::unique_ptr<reconciler> rec_;
  decltype(std::declval<reconciler&>().decide()) draft_;
  std::unique_ptr<reconciler>* pool_ = nullptr;  // the planner's spare slot

  void give_back() noexcept {
    if (pool_ && rec_ && !*pool_) *pool_ = std::move(rec_);
    pool_ = nullptr;
  }
};

/// The incremental planner: holds a settled layout (the desired endpoints, the slices, an index
/// from endpoint identity to its slice and the fill level of every slice) and plans a change in
/// time proportional to the change and the slices it touches, not to the size of the Service.
/// Its plans are identical to reconcile() on the same desired state (the change applied: removed
/// endpoints dropped, updated ones replaced in place, added ones appended) and the same slices.
/// Supports the packed layout.
///
/// 1. decide(change): the slices that hold a removed or changed endpoint are dirty; the added
///    endpoints and the dirty slices' kept endpoints form a small reconcile problem, together with
///    the clean slices either strategy could pick (the one closest to full that fits the rest, the
///    emptiest ones), found in the fill-level index.
/// 2. build(decision): the slice objects (proportional to the size of the slices written).
/// 3. commit(change, plan): the planner's state after the plan is applied; created slices are named
///    by the planner's slice_namer, skipping taken names.
template <class F>
class slice_planner {
 public:
  using slice_type = basic_endpoint_slice<F>;
  using endpoint_type = basic_endpoint<F>;

  /// Take over a settled state: reconcile(desired, slices, options) must be empty (throws
  /// epslice::error otherwise, and for invalid options or a layout other than packed).
  slice_planner(desired_state<F> desired, std::vector<slice_type> slices, reconcile_options options = {},
                slice_namer namer = {})
      : opt_(std::move(options)), svc_(std::move(desired.service)), namer_(namer) {
    detail::check_options(opt_);
    if (opt_.layout != slice_layout::packed) detail::throw_error("layout", "slice_planner supports the packed layout only");
    if (opt_.compaction.enabled())
      detail::throw_error("compaction", "slice_planner does not support compaction; use reconcile()");
    {
      desired_state<F> view;
      view.service = svc_;
      view.groups = desired.groups;
      if (!reconcile(view, slices, opt_).empty())
        detail::throw_error("slices", "slice_planner needs a settled layout (reconcile must give an empty plan)");
    }
    for (auto& dg : desired.groups) {
      const std::uint64_t key = detail::port_set_hash(dg.ports);
      std::size_t gi = 0;
      while (gi < groups_.size() && !(groups_[gi].key == key && detail::same_port_set(groups_[gi].ports, dg.ports))) ++gi;
      if (gi == groups_.size()) {
        groups_.emplace_back();
        groups_.back().ports = dg.ports;
        groups_.back().key = key;
        groups_.back().index.reserve(dg.endpoints.size());
      }
      for (auto& e : dg.endpoints)
        if (!e.addresses.empty()) upsert(groups_[gi], std::move(e));
    }
    for (auto& s : slices) {
      const auto id = static_cast<std::uint32_t>(slices_.size());
      slices_.emplace_back();
      place(id, std::move(s));
    }
  }

  /// The current slices, in no particular order (removed slots are skipped).
  [[nodiscard]] std::vector<slice_type> slices() const {
    std::vector<slice_type> out;
    for (const auto& s : slices_)
      if (s.live) out.push_back(s.slice);
    std::sort(out.begin(), out.end(), [](const slice_type& a, const slice_type& b) { return a.metadata.name < b.metadata.name; });
    return out;
  }
  /// Number of desired endpoints.
  [[nodiscard]] std::size_t endpoint_count() const noexcept {
    std::size_t n = 0;
    for (const auto& g : groups_) n += g.index.size();
    return n;
  }

  /// Decide the plan for a change (see the class comment). It reuses the planner's scratch memory:
  /// do not call it from two threads at once on one planner.
  [[nodiscard]] planner_decision<F> decide(const endpoint_change<F>& change) const {
    using rec_t = detail::family_reconciler<F>;
    planner_decision<F> out;
    // The reconciler of the last decision, when it was given back, is reused: its vectors keep
    // their memory, so a decision allocates little.
    if (spare_) {
      out.rec_ = std::move(spare_);
      out.rec_->reuse(live_slices_);
    } else {
      out.rec_.reset(new rec_t(svc_, opt_, live_slices_, labels_));
    }
    out.pool_ = &spare_;
    rec_t& r = *out.rec_;
    scratch& sc = scratch_;
    sc.clear();
    if (change.group >= groups_.size()) detail::throw_error("group", "slice_planner: no such group");
    const pgroup& pg = groups_[change.group];
    if (r.groups_.empty()) r.groups_.emplace_back();
    auto& g = r.groups_.front();
    g.ports = &pg.ports;
    g.key = pg.key;
    // Dirty slices and what they lose or change.
    auto& dirty = sc.dirty;
    auto& marks = sc.marks;
    const auto mark_dirty = [&](std::uint32_t sid) {
      if (std::find(dirty.begin(), dirty.end(), sid) == dirty.end()) dirty.push_back(sid);
    };
    auto& fresh = sc.fresh;
    auto& replaced = sc.replaced;
    for (const auto& e : change.removed) {
      const std::uint32_t rec = find(pg, e);
      if (rec == detail::flat_index::npos) continue;
      marks.emplace_back(rec, 1);
      mark_dirty(pg.slice_of[rec]);
    }
    const auto upd = [&](const endpoint_type& e) {
      if (e.addresses.empty()) return;
      const std::uint32_t rec = find(pg, e);
      if (rec == detail::flat_index::npos) {
        fresh.push_back(&e);
        return;
      }
      replaced.emplace_back(rec, &e);
      const auto& sl = slices_[pg.slice_of[rec]].slice;
      if (!detail::endpoints_equal_beyond_identity(e, sl.endpoints[pg.pos_of[rec]])) {
        marks.emplace_back(rec, 2);
        mark_dirty(pg.slice_of[rec]);
      }
    };
    for (const auto& e : change.added) upd(e);
    for (const auto& e : change.updated) upd(e);
    // The candidate clean slices: the closest to full for each strategy's last chunk, the emptiest.
    std::size_t kept_total = 0, room = 0;
    for (std::uint32_t sid : dirty) {
      const std::size_t n = slices_[sid].slice.endpoints.size();
      std::size_t lost = 0;
      for (const auto& [rec, kind] : marks)
        if (kind == 1 && pg.slice_of[rec] == sid) ++lost;
      kept_total += n - lost;
      if (n > lost && n - lost < opt_.max_endpoints_per_slice) room += opt_.max_endpoints_per_slice - (n - lost);
    }
    const std::size_t max = opt_.max_endpoints_per_slice;
    auto& involved = sc.involved;
    involved.assign(dirty.begin(), dirty.end());
    const auto is_dirty = [&](std::uint32_t sid) { return std::find(dirty.begin(), dirty.end(), sid) != dirty.end(); };
    if (fresh.size() > room) {
      const std::size_t last = (fresh.size() - room) % max;
      if (last > 0) {
        // Largest fill <= max - last, then the smallest name.
        auto it = pg.by_fill.lower_bound(fill_key{max - last + 1, std::string(), 0});
        while (it != pg.by_fill.begin()) {
          --it;
          const std::size_t size = it->size;
          auto first = pg.by_fill.lower_bound(fill_key{size, std::string(), 0});
          bool found = false;
          for (auto k = first; k != pg.by_fill.end() && k->size == size; ++k)
            if (!is_dirty(k->id)) {
              involved.push_back(k->id);
              found = true;
              break;
            }
          if (found) break;
          it = first;
        }
      }
    }
    if (opt_.strategy == reconcile_strategy::minimal) {
      std::size_t want = (fresh.size() + kept_total + max - 1) / max + 1;
      for (auto it = pg.by_fill.begin(); it != pg.by_fill.end() && want > 0; ++it)
        if (!is_dirty(it->id)) {
          if (std::find(involved.begin(), involved.end(), it->id) == involved.end()) involved.push_back(it->id);
          --want;
        }
    }
    for (std::uint32_t sid : dead_) involved.push_back(sid);
    std::sort(involved.begin(), involved.end(), [&](std::uint32_t a, std::uint32_t b) {
      return slices_[a].slice.metadata.name < slices_[b].slice.metadata.name;
    });
    // The small problem: its slices (by name), its endpoints (kept ones, then the fresh ones).
    const std::size_t n = involved.size();
    r.existing_.resize(n);
    r.by_name_.resize(n);
    r.rank_.resize(n);
    r.owned_.assign(n, 1);
    r.states_.resize(1);
    std::size_t sub_total = fresh.size();
    for (std::uint32_t sid : involved) {
      sub_total += slices_[sid].recs.size();
#if defined(__GNUC__) || defined(__clang__)
      // The records of a slice lie anywhere in the group's table: ask for all of them at once
      // rather than waiting on each in turn below.
      for (std::uint32_t rec : slices_[sid].recs) __builtin_prefetch(pg.eps.data() + rec);
#endif
    }
    g.eps.reserve(sub_total);
    g.origin.reserve(sub_total);
    g.remaining.reserve(fresh.size());
    for (std::uint32_t k = 0; k < n; ++k) {
      const std::uint32_t sid = involved[k];
      r.existing_[k] = &slices_[sid].slice;
      r.by_name_[k] = k;
      r.rank_[k] = k;
      if (slices_[sid].group == dead_group) {
        r.dead_groups_.push_back(k);
        r.removed_entries_ += slices_[sid].slice.endpoints.size();
        continue;
      }
      g.slices.push_back(k);
      typename rec_t::slice_state st = r.take_state();
      st.existing = k;
      const bool is_d = is_dirty(sid);
      st.kept.reserve(slices_[sid].recs.size());
      for (std::uint32_t rec : slices_[sid].recs) {
        int kind = 0;
        if (is_d)
          for (const auto& [mr, mk] : marks)
            if (mr == rec) kind = mk;
        if (kind == 1) {
          st.eps_changed = true;
          ++r.removed_entries_;
          continue;
        }
        if (kind == 2) {
          st.eps_changed = true;
          ++r.changed_;
        }
        const endpoint_type* value = pg.eps[rec].get();
        for (const auto& [rr, e] : replaced)
          if (rr == rec) value = e;
        st.kept.push_back(static_cast<std::uint32_t>(g.eps.size()));
        g.eps.push_back(value);
        g.origin.push_back(static_cast<std::int32_t>(k));
      }
      r.states_[0].push_back(std::move(st));
    }
    for (const endpoint_type* e : fresh) {
      g.remaining.push_back(static_cast<std::uint32_t>(g.eps.size()));
      g.eps.push_back(e);
      g.origin.push_back(-1);
    }
    r.added_ = fresh.size();
    out.draft_ = r.decide();
    return out;
  }

  /// The slice objects of a decision (cost proportional to the slices written).
  [[nodiscard]] slice_plan<F> build(const planner_decision<F>& d) const { return d.rec_->build(d.draft_); }

  /// decide() then build().
  [[nodiscard]] slice_plan<F> plan(const endpoint_change<F>& change) const { return build(decide(change)); }

  /// Make the planner's state the one after `plan` (made by plan() or build(decide()) for
  /// `change`) is applied. Throws epslice::error when the plan names slices the planner lacks.
  void commit(const endpoint_change<F>& change, const slice_plan<F>& p) {
    if (change.group >= groups_.size()) detail::throw_error("group", "slice_planner: no such group");
    pgroup& pg = groups_[change.group];
    for (const auto& e : change.removed) {
      const std::uint32_t rec = find(pg, e);
      if (rec == detail::flat_index::npos) continue;
      pg.index.erase(pg.index.key(*pg.eps[rec]), rec);
      pg.eps[rec].reset();
      pg.free.push_back(rec);
    }
    for (const auto& e : change.added)
      if (!e.addresses.empty()) upsert(pg, e);
    for (const auto& e : change.updated)
      if (!e.addresses.empty()) upsert(pg, e);
    for (const auto& s : p.remove) unplace(lookup(s.metadata.name), true);
    for (const auto& s : p.update) {
      const std::uint32_t id = lookup(s.metadata.name);
      unplace(id, false);
      place(id, s);
    }
    for (const auto& s : p.create) {
      slice_type c = s;
      do {
        c.metadata.name = namer_(c.metadata);
      } while (names_.count(c.metadata.name));
      std::uint32_t id;
      if (!free_slices_.empty()) {
        id = free_slices_.back();
        free_slices_.pop_back();
      } else {
        id = static_cast<std::uint32_t>(slices_.size());
        slices_.emplace_back();
      }
      place(id, std::move(c));
    }
  }

  /// plan() then commit(): the plan for a change, with the planner advanced past it.
  slice_plan<F> apply(const endpoint_change<F>& change) {
    slice_plan<F> p = plan(change);
    commit(change, p);
    return p;
  }

 private:
  static constexpr std::uint32_t dead_group = 0xFFFFFFFFu;
  struct fill_key {
    std::size_t size;
    std::string name;
    std::uint32_t id;
    friend bool operator<(const fill_key& a, const fill_key& b) {
      if (a.size != b.size) return a.size < b.size;
      if (a.name != b.name) return a.name < b.name;
      return a.id < b.id;
    }
  };
  struct pgroup {
    nullable_vector<endpoint_port> ports;
    std::uint64_t key = 0;
    detail::identity_index<F> index;                   // identity -> record
    std::vector<std::unique_ptr<endpoint_type>> eps;   // record -> desired value (null when free)
    std::vector<std::uint32_t> slice_of, pos_of, free;  // record -> slice and position in it
    std::set<fill_key> by_fill;                        // the group's slices by fill level, then name
  };
  struct pslice {
    slice_type slice;
    bool live = false;
    std::uint32_t group = dead_group;
    std::vector<std::uint32_t> recs;  // record of each endpoint (settled: every one is desired)
  };

  [[nodiscard]] std::uint32_t find(const pgroup& pg, const endpoint_type& e) const {
    return pg.index.find(pg.index.key(e),
                         [&](std::uint32_t v) { return detail::same_endpoint_identity(*pg.eps[v], e); });
  }

  template <class E>
  void upsert(pgroup& pg, E&& e) {
    const std::uint32_t at = find(pg, e);
    if (at != detail::flat_index::npos) {
      *pg.eps[at] = std::forward<E>(e);
      return;
    }
    std::uint32_t rec;
    if (!pg.free.empty()) {
      rec = pg.free.back();
      pg.free.pop_back();
    } else {
      rec = static_cast<std::uint32_t>(pg.eps.size());
      pg.eps.emplace_back();
      pg.slice_of.push_back(0);
      pg.pos_of.push_back(0);
    }
    pg.eps[rec] = std::make_unique<endpoint_type>(std::forward<E>(e));
    pg.index.insert(pg.index.key(*pg.eps[rec]), rec, [](std::uint32_t) { return false; });
    pg.index.settle([&pg](std::uint32_t v) -> const endpoint_type& { return *pg.eps[v]; });
  }

  [[nodiscard]] std::uint32_t lookup(const std::string& name) const {
    const auto it = names_.find(name);
    if (it == names_.end()) detail::throw_error("metadata.name", "slice_planner: no slice \"" + name + "\"");
    return it->second;
  }

  void place(std::uint32_t id, slice_type s) {
    pslice& ps = slices_[id];
    ps.slice = std::move(s);
    ps.live = true;
    ps.group = dead_group;
    ps.recs.clear();
    ++live_slices_;
    names_[ps.slice.metadata.name] = id;
    const std::uint64_t key = detail::port_set_hash(ps.slice.ports);
    for (std::uint32_t gi = 0; gi < groups_.size(); ++gi)
      if (groups_[gi].key == key && detail::same_port_set(groups_[gi].ports, ps.slice.ports)) ps.group = gi;
    if (ps.group == dead_group) {
      dead_.push_back(id);
      return;
    }
    pgroup& pg = groups_[ps.group];
    ps.recs.reserve(ps.slice.endpoints.size());
    for (std::uint32_t k = 0; k < ps.slice.endpoints.size(); ++k) {
      const std::uint32_t rec = find(pg, ps.slice.endpoints[k]);
      if (rec == detail::flat_index::npos) detail::throw_error("endpoints", "slice_planner: a slice holds an endpoint that is not desired");
      ps.recs.push_back(rec);
      pg.slice_of[rec] = id;
      pg.pos_of[rec] = k;
    }
    pg.by_fill.insert(fill_key{ps.slice.endpoints.size(), ps.slice.metadata.name, id});
  }

  void unplace(std::uint32_t id, bool release) {
    pslice& ps = slices_[id];
    if (ps.group == dead_group)
      dead_.erase(std::remove(dead_.begin(), dead_.end(), id), dead_.end());
    else
      groups_[ps.group].by_fill.erase(fill_key{ps.slice.endpoints.size(), ps.slice.metadata.name, id});
    names_.erase(ps.slice.metadata.name);
    ps.live = false;
    ps.recs.clear();
    --live_slices_;
    if (release) free_slices_.push_back(id);
  }

  reconcile_options opt_;
  service_identity svc_;
  slice_namer namer_;
  string_map labels_ = endpoint_slice_labels(svc_, opt_.controller_name);
  std::vector<pgroup> groups_;
  std::vector<pslice> slices_;
  std::vector<std::uint32_t> free_slices_, dead_;
  std::map<std::string, std::uint32_t, std::less<>> names_;
  std::size_t live_slices_ = 0;
  // Scratch memory of decide(), kept between calls (decide() is const, but not for concurrent use).
  struct scratch {
    std::vector<std::uint32_t> dirty;                                     // planner slice ids
    std::vector<std::pair<std::uint32_t, int>> marks;                     // record -> 1 removed, 2 changed
    std::vector<const endpoint_type*> fresh;                              // endpoints not desired before
    std::vector<std::pair<std::uint32_t, const endpoint_type*>> replaced;  // record -> new value
    std::vector<std::uint32_t> involved;                                  // slices of the small problem
    void clear() noexcept {
      dirty.clear();
      marks.clear();
      fresh.clear();
      replaced.clear();
      involved.clear();
    }
  };
  mutable scratch scratch_;
  mutable std::unique_ptr<detail::family_reconciler<F>> spare_;  // given back by the last decision
};

}  // namespace epslice
