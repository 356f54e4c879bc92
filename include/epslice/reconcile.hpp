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
#include <map>
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

/// Compaction of the `minimal` strategy: extra writes spent to merge underfull clean slices into
/// slices that are written anyway. Compaction only runs when the fullness of the port-set group
/// (endpoints / (slices x max)) after the plan is below `min_fullness`, and spends at most
/// `max_extra_writes` writes per reconcile (each one deletes a clean slice). Every such write is
/// reported in `plan_stats::compaction_writes`. The defaults spend nothing, so that `minimal` never
/// writes more than `kubernetes` on the same input.
struct compaction_settings {
  double min_fullness = 0.0;
  std::size_t max_extra_writes = 0;
  friend bool operator==(const compaction_settings&, const compaction_settings&) = default;
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
  compaction_settings compaction;
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
    errors.push_back({"compaction.min_fullness", error_type::invalid, {}, "must be between 0 and 1"});
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
  /// Writes spent by compaction (included in `writes`).
  std::size_t compaction_writes = 0;

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
    compaction_writes += o.compaction_writes;
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

/// Plans one address family. Existing slices are the family's slices as listed (any owner).
template <class F>
class family_reconciler {
 public:
  using slice_type = basic_endpoint_slice<F>;
  using endpoint_type = basic_endpoint<F>;
  static constexpr std::uint32_t placeholder_group = 0xFFFFFFFFu;

  family_reconciler(const desired_state<F>& desired, std::vector<const slice_type*> existing,
                    const reconcile_options& options)
      : desired_(desired), existing_(std::move(existing)), opt_(options), max_(options.max_endpoints_per_slice) {
    build_groups();
    classify_existing();
    step_one();
  }

  /// The plan for the configured strategy.
  [[nodiscard]] slice_plan<F> run() {
    draft k = plan_kubernetes();
    finish(k);
    if (opt_.strategy == reconcile_strategy::kubernetes) return build(k);
    draft m = plan_minimal();
    finish(m);
    // `minimal` is never worse than `kubernetes` under its objective (writes, then slices, then
    // endpoints moved, then endpoints written). On a tie the kubernetes plan is taken, so that the
    // two strategies keep the same layout as long as repacking gains nothing.
    const auto key = [&](const draft& d) {
      return std::tuple(d.creates.size() + d.updates.size() + d.deletes.size(),
                        existing_.size() + d.creates.size() - d.deletes.size(), d.moved, d.written);
    };
    return key(k) <= key(m) ? build(k) : build(m);
  }

 private:
  struct group {
    const nullable_vector<endpoint_port>* ports = nullptr;
    std::uint64_t key = 0;
    std::vector<const endpoint_type*> eps;  // unique desired endpoints, in order
    hash_index index;
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
  };

  // ---- front end ---------------------------------------------------------------------------------

  void build_groups() {
    std::size_t total = 0;
    for (const auto& g : desired_.groups) total += g.endpoints.size();
    for (const auto& dg : desired_.groups) {
      const std::uint64_t key = port_set_hash(dg.ports);
      std::uint32_t gi = 0;
      while (gi < groups_.size() && !(groups_[gi].key == key && same_port_set(*groups_[gi].ports, dg.ports))) ++gi;
      if (gi == groups_.size()) {
        groups_.emplace_back();
        groups_.back().ports = &dg.ports;
        groups_.back().key = key;
        groups_.back().index.reserve(desired_.groups.size() == 1 ? total : dg.endpoints.size());
      }
      group& g = groups_[gi];
      for (const auto& e : dg.endpoints) {
        if (e.addresses.empty()) continue;
        const std::uint64_t h = endpoint_identity_hash(e);
        const auto idx = static_cast<std::uint32_t>(g.eps.size());
        const std::uint32_t at = g.index.insert(h, idx, [&](std::uint32_t v) { return same_endpoint_identity(*g.eps[v], e); });
        if (at == idx)
          g.eps.push_back(&e);
        else
          g.eps[at] = &e;  // the last value wins, at the first position
      }
    }
    for (auto& g : groups_) g.origin.assign(g.eps.size(), -1);
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
      if (!is_owned_by(sl.metadata, desired_.service, opt_.controller_name)) {
        unowned_.push_back(s);
        removed_entries_ += sl.endpoints.size();
        continue;
      }
      owned_[s] = 1;
      const std::uint64_t key = port_set_hash(sl.ports);
      bool found = false;
      for (auto& g : groups_) {
        if (g.key == key && same_port_set(*g.ports, sl.ports)) {
          g.slices.push_back(s);
          found = true;
          break;
        }
      }
      if (!found) {
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
          const std::uint64_t h = endpoint_identity_hash(e);
          const std::uint32_t d = g.index.find(h, [&](std::uint32_t v) { return same_endpoint_identity(*g.eps[v], e); });
          if (d == hash_index::npos || g.origin[d] >= 0) continue;
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
        st.labels_changed = slice_labels_changed(sl.metadata.labels, desired_.service.labels);
        states_[gi].push_back(std::move(st));
      }
      g.remaining.reserve(g.eps.size());
      for (std::uint32_t d = 0; d < g.eps.size(); ++d)
        if (g.origin[d] < 0) g.remaining.push_back(d);
      added_ += g.remaining.size();
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

  // ---- shared end: placeholder, recycling, counting moves ----------------------------------------

  [[nodiscard]] bool is_placeholder_equal(const slice_type& s) const {
    out o;
    o.group = placeholder_group;
    return placeholder_slice_equal(s, new_slice(o));
  }

  void finish(draft& d) const {
    // The placeholder (c.9): a family with no slice left and nothing to create gets an empty slice.
    if (existing_.size() == d.deletes.size() && d.creates.empty() && d.updates.empty()) {
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
      if (g.origin[e] >= 0 && g.origin[e] != o.target) ++moved;
  }

  // ---- building the objects ----------------------------------------------------------------------

  [[nodiscard]] slice_type new_slice(const out& o) const {
    slice_type s;
    s.metadata.generate_name = endpoint_slice_prefix(desired_.service.name);
    s.metadata.namespace_ = desired_.service.namespace_;
    s.metadata.labels = labels_;
    if (!desired_.service.uid.empty())
      s.metadata.owner_references.push_back(
          owner_reference{"v1", "Service", desired_.service.name, desired_.service.uid, true, true, {}});
    if (o.group != placeholder_group) s.ports.assign(groups_[o.group].ports->begin(), groups_[o.group].ports->end());
    s.ports.set_empty_not_nil();
    s.endpoints.set_empty_not_nil();
    return s;
  }

  void append_endpoints(slice_type& s, const out& o) const {
    if (o.group == placeholder_group) return;
    const group& g = groups_[o.group];
    s.endpoints.reserve(s.endpoints.size() + o.eps.size());
    for (std::uint32_t e : o.eps) s.endpoints.push_back(*g.eps[e]);
  }

  [[nodiscard]] slice_plan<F> build(const draft& d) const {
    slice_plan<F> plan;
    plan.create.reserve(d.creates.size());
    for (const out& o : d.creates) {
      slice_type s = new_slice(o);
      append_endpoints(s, o);
      set_trigger_time(s.metadata, opt_);
      plan.stats.endpoints_written += s.endpoints.size();
      plan.create.push_back(std::move(s));
    }
    plan.update.reserve(d.updates.size());
    for (const out& o : d.updates) {
      slice_type s;
      if (o.src < 0) {  // a create recycled onto a slice being deleted
        s = new_slice(o);
        s.metadata.name = existing_[static_cast<std::size_t>(o.target)]->metadata.name;
      } else {
        const slice_type& src = *existing_[static_cast<std::size_t>(o.src)];
        s.api_version = src.api_version;
        s.kind = src.kind;
        s.metadata = src.metadata;
        s.address_type = src.address_type;
        s.ports = src.ports;
        s.extra = src.extra;
        if (o.keep_existing) s.endpoints = src.endpoints;
        s.endpoints.set_empty_not_nil();
        if (o.relabel) s.metadata.labels = labels_;
      }
      append_endpoints(s, o);
      set_trigger_time(s.metadata, opt_);
      plan.stats.endpoints_written += s.endpoints.size();
      plan.update.push_back(std::move(s));
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
    return plan;
  }

  const desired_state<F>& desired_;
  std::vector<const slice_type*> existing_;
  const reconcile_options& opt_;
  std::size_t max_;
  string_map labels_ = endpoint_slice_labels(desired_.service, opt_.controller_name);
  std::vector<group> groups_;
  std::vector<std::vector<slice_state>> states_;
  std::vector<std::uint32_t> by_name_, rank_;
  std::vector<std::uint8_t> owned_;
  std::vector<std::uint32_t> unowned_, dead_groups_;
  std::size_t added_ = 0, changed_ = 0, removed_entries_ = 0;
};

}  // namespace detail

/// Plan the writes that turn `existing` (the family's slices as the controller lists them, see
/// is_managed_slice) into slices holding exactly the desired endpoints.
///
/// 1. Group desired endpoints by port set; collapse endpoints of equal identity.
/// 2. Existing slices not owned by the Service are deleted; owned ones are grouped by port set;
///    groups no longer desired are deleted.
/// 3. Per group, the chosen strategy places endpoints (kubernetes: k8s-semantics c.7 steps 1-3;
///    minimal: free repacking of slices that are written anyway, then the fewest extra writes).
/// 4. A family left with no slice gets the empty placeholder slice (c.9); creates are recycled into
///    updates of owned slices being deleted (c.10).
/// 5. Created and updated slices get the labels of c.8 and the trigger-time annotation.
///
/// Throws epslice::error when the options are invalid (see validate(const reconcile_options&)).
template <class F>
[[nodiscard]] slice_plan<F> reconcile(const desired_state<F>& desired,
                                      std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing,
                                      const reconcile_options& options = {}) {
  static_assert(is_typed_family_v<F>, "reconcile plans typed families only");
  detail::check_options(options);
  std::vector<const basic_endpoint_slice<F>*> ptrs;
  ptrs.reserve(existing.size());
  for (const auto& s : existing) ptrs.push_back(&s);
  return detail::family_reconciler<F>(desired, std::move(ptrs), options).run();
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

}  // namespace epslice
