// SPDX-License-Identifier: Apache-2.0
// The reconciler's vocabulary: options, the desired state, plans, and the labels, names and ownership of slices.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "address.hpp"
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
  /// 0.8 and one write per reconcile: in the scale-down scenario (simulate.hpp,
  /// scenario_kind::scale_down: 1,000 pods scaled down to 100) it takes `minimal` from 437 to 435
  /// writes and `kubernetes` from 591 writes and 10 slices to 441 and 1; the create, rolling-update,
  /// scale-up and churn scenarios are unchanged (their slices stay full).
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
  /// Endpoints present before whose desired version differs beyond identity (upstream's
  /// EndpointsEqualBeyondHash, staging/src/k8s.io/endpointslice/util/controller_utils.go).
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

/// Reserved label keys that a Service cannot set on its slices (upstream's isReservedLabelKey,
/// staging/src/k8s.io/endpointslice/utils.go).
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
/// namer is passed again, so that a sequence of reconciles names slices deterministically (as
/// simulate() does).
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

}  // namespace epslice
