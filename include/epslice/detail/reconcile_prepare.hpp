// SPDX-License-Identifier: Apache-2.0
// The reconciler's front end: the prepared state of one address family (groups, ownership, what each slice keeps).
//
// prepare() reads the desired state and the family's existing slices once and records what both
// strategies start from; this is step 1 of upstream's reconcileByPortMapping
// (staging/src/k8s.io/endpointslice/reconciler.go) for every port-set group at once, with the
// ownership and cross-group checks of reconcileByAddressType. The strategies, compaction and
// finishing read a prepared state and never change it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../reconcile_types.hpp"
#include "../types.hpp"
#include "label_value.hpp"
#include "reconcile_draft.hpp"
#include "reconcile_keys.hpp"

namespace epslice::detail {

/// Throws epslice::error listing every problem of `o` (see validate(const reconcile_options&)).
inline void check_options(const reconcile_options& o) {
  auto errors = validate(o);
  if (!errors.empty()) throw_error(std::move(errors));
}

/// Set the trigger-time annotation of a written slice, or remove it when the options have none.
inline void set_trigger_time(object_meta& m, const reconcile_options& o) {
  if (o.trigger_time)
    m.annotations.insert_or_assign(std::string(well_known::trigger_time_annotation), *o.trigger_time);
  else if (auto it = m.annotations.find(well_known::trigger_time_annotation); it != m.annotations.end())
    m.annotations.erase(it);
}

/// The zone partition of an endpoint (absent and empty zones share the no-zone partition).
template <class F>
[[nodiscard]] std::string_view zone_partition(const basic_endpoint<F>& e) noexcept {
  // A zone that is no label value cannot name a slice's zone label: such endpoints share the
  // slices without one (docs/semantics.md "Beyond upstream: zone-partitioned layout").
  if (!e.zone || !label_value_format(*e.zone)) return {};
  return *e.zone;
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

/// What the front end found in one owned existing slice of a group.
struct slice_state {
  std::uint32_t existing = 0;        ///< the existing slice
  std::vector<std::uint32_t> kept;   ///< desired endpoints it holds (numbers in the group), first copies only
  bool eps_changed = false;          ///< it loses an entry, or holds an endpoint whose desired version differs
  bool labels_changed = false;       ///< its labels differ from the Service's (labels_changed_for_layout)
};

/// One port-set group (and zone partition in the by_zone layout) of a prepared family.
template <class F>
struct prepared_group {
  const nullable_vector<endpoint_port>* ports = nullptr;  ///< the group's port set
  std::uint64_t key = 0;                                   ///< port_set_hash(*ports)
  std::string zone;                                        ///< the zone partition (by_zone layout only)
  std::vector<const basic_endpoint<F>*> eps;  ///< unique desired endpoints, in order (the last value of each)
  /// Position of each endpoint's value in the desired state, counting every endpoint of every
  /// group in order (prepare() only; a hand-built group has none).
  std::vector<std::uint32_t> pos;
  std::vector<std::int32_t> origin;       ///< existing slice where each endpoint was found, or -1
  std::vector<std::int32_t> elsewhere;    ///< by_zone: slice of another partition holding it before, or -1
  std::vector<std::uint32_t> slices;      ///< owned existing slices of the group, by name
  std::vector<std::uint32_t> remaining;   ///< desired endpoints found in no slice, in order
  identity_index<F> index;                ///< identity -> endpoint number (prepare() only)
};

/// Whether the desired version of an endpoint kept in its slice differs beyond identity.
enum class kept_endpoint : std::uint8_t {
  same,     ///< equal beyond identity: the slice need not be written for it
  changed,  ///< node, zone, conditions or targetRef differ: the slice is written
};

/// The prepared state of one address family: its port-set groups with their unique desired
/// endpoints, the existing slices by name with their ownership, what every owned slice keeps, and
/// the counters of the plan (endpoints added, changed, removed). Built by prepare(), or by hand
/// through the named writers (slice_planner builds the small problem of a change this way, tests
/// build cases for one strategy). It refers to the service, the options, the desired endpoints
/// and the existing slices it was built from: they must outlive it, unchanged.
template <class F>
class prepared_family {
 public:
  using slice_type = basic_endpoint_slice<F>;
  using endpoint_type = basic_endpoint<F>;
  using group_type = prepared_group<F>;

  /// An empty prepared state (no group, no slice) of a family of `total_slices` slices, to be
  /// filled through add_group(), add_owned_slice(), add_unowned_slice(), keep_endpoint(),
  /// drop_endpoint() and add_remaining().
  prepared_family(const service_identity& service, const reconcile_options& options, std::size_t total_slices = 0)
      : service_(&service),
        options_(&options),
        labels_(endpoint_slice_labels(service, options.controller_name)),
        total_slices_(total_slices) {}

  /// The front end (see prepare()).
  prepared_family(const desired_state<F>& desired, std::vector<const slice_type*> existing, const reconcile_options& options)
      : prepared_family(desired.service, options, existing.size()) {
    existing_ = std::move(existing);
    const auto served = build_groups(desired);
    classify_existing(served);
    step_one();
  }

  // ---- reading ------------------------------------------------------------------------------------

  [[nodiscard]] const service_identity& service() const noexcept { return *service_; }
  [[nodiscard]] const reconcile_options& options() const noexcept { return *options_; }
  /// Maximum endpoints per slice.
  [[nodiscard]] std::size_t max() const noexcept { return options_->max_endpoints_per_slice; }
  [[nodiscard]] bool by_zone() const noexcept { return options_->layout == slice_layout::by_zone; }
  /// The labels of the slices the controller writes (endpoint_slice_labels()).
  [[nodiscard]] const string_map& labels() const noexcept { return labels_; }
  /// The existing slices of the problem, in the order given (numbers index this list).
  [[nodiscard]] const std::vector<const slice_type*>& existing() const noexcept { return existing_; }
  [[nodiscard]] const slice_type& existing(std::size_t s) const noexcept { return *existing_[s]; }
  /// The number of endpoint entries of existing slice `s`.
  [[nodiscard]] std::size_t existing_size(std::size_t s) const noexcept { return existing_[s]->endpoints.size(); }
  /// Every slice of the family (the planner's small problem holds only some of them).
  [[nodiscard]] std::size_t total_slices() const noexcept { return total_slices_; }
  [[nodiscard]] const std::vector<group_type>& groups() const noexcept { return groups_; }
  /// What the owned slices of group `gi` keep, in name order.
  [[nodiscard]] const std::vector<slice_state>& states(std::size_t gi) const noexcept { return states_[gi]; }
  /// The position of existing slice `s` in name order.
  [[nodiscard]] std::uint32_t rank(std::size_t s) const noexcept { return rank_[s]; }
  /// True when existing slice `s` is owned by the Service.
  [[nodiscard]] bool owned(std::size_t s) const noexcept { return owned_[s] != 0; }
  /// Existing slices not owned by the Service, in name order (deleted).
  [[nodiscard]] const std::vector<std::uint32_t>& unowned() const noexcept { return unowned_; }
  /// Owned slices of port sets no longer desired, in name order (deleted).
  [[nodiscard]] const std::vector<std::uint32_t>& unserved() const noexcept { return unserved_; }
  /// by_zone: true when some endpoint changes zone partition (updates must then be ordered).
  [[nodiscard]] bool crosses_partitions() const noexcept { return !loses_.empty(); }
  /// Desired endpoints not present before in an owned slice of their group.
  [[nodiscard]] std::size_t added() const noexcept { return added_; }
  /// Endpoints kept whose desired version differs beyond identity.
  [[nodiscard]] std::size_t changed() const noexcept { return changed_; }
  /// Entries of existing slices that are dropped.
  [[nodiscard]] std::size_t removed_entries() const noexcept { return removed_entries_; }
  /// The group of port set `ports` (key: port_set_hash(ports)) and zone partition `zone` (empty in
  /// the packed layout), or placeholder_group when there is none.
  [[nodiscard]] std::uint32_t find_group(const nullable_vector<endpoint_port>& ports, std::uint64_t key,
                                         std::string_view zone = {}) const {
    for (std::uint32_t gi = 0; gi < groups_.size(); ++gi)
      if (groups_[gi].key == key && groups_[gi].zone == zone && same_port_set(*groups_[gi].ports, ports)) return gi;
    return placeholder_group;
  }
  /// The number of endpoints a drafted slice holds.
  [[nodiscard]] std::size_t draft_size(const slice_draft& o) const noexcept {
    return (o.keep_existing ? existing_size(static_cast<std::size_t>(o.src)) : 0) + o.eps.size();
  }

  // ---- building by hand -----------------------------------------------------------------------------

  /// Empty the state for another problem of the same Service (the labels are kept), keeping the
  /// memory of its vectors. `service` and `options` replace the ones referred to (they must be
  /// equal to the ones given at construction).
  void restart(const service_identity& service, const reconcile_options& options, std::size_t total_slices) {
    service_ = &service;
    options_ = &options;
    total_slices_ = total_slices;
    existing_.clear();
    by_name_.clear();
    rank_.clear();
    owned_.clear();
    unowned_.clear();
    unserved_.clear();
    loses_.clear();
    added_ = changed_ = removed_entries_ = 0;
    unlisted_ = false;
    for (auto& list : states_)
      for (auto& st : list) spare_states_.push_back(std::move(st));
    states_.clear();
    for (auto& g : groups_) spare_groups_.push_back(std::move(g));
    groups_.clear();
  }

  /// Add a port-set group (key: port_set_hash(ports)); returns its number.
  std::uint32_t add_group(const nullable_vector<endpoint_port>& ports, std::uint64_t key) {
    group_type g;
    if (!spare_groups_.empty()) {
      g = std::move(spare_groups_.back());
      spare_groups_.pop_back();
      g.zone.clear();
      g.eps.clear();
      g.pos.clear();
      g.origin.clear();
      g.elsewhere.clear();
      g.slices.clear();
      g.remaining.clear();
    }
    g.ports = &ports;
    g.key = key;
    groups_.push_back(std::move(g));
    states_.emplace_back();
    return static_cast<std::uint32_t>(groups_.size() - 1);
  }

  /// Add an existing slice owned by the Service, after every slice added before in name order;
  /// returns its number. In group `gi` its entries follow through keep_endpoint() and
  /// drop_endpoint(), before the next slice is added; with `gi` == placeholder_group its port set
  /// is not desired, and it is deleted.
  std::uint32_t add_owned_slice(const slice_type& s, std::uint32_t gi) {
    const std::uint32_t k = add_existing(s, true);
    if (gi == placeholder_group) {
      unserved_.push_back(k);
      removed_entries_ += s.endpoints.size();
      return k;
    }
    groups_[gi].slices.push_back(k);
    slice_state st = take_state();
    st.existing = k;
    st.kept.reserve(s.endpoints.size());
    states_[gi].push_back(std::move(st));
    open_ = gi;
    return k;
  }

  /// Add an existing slice owned by the Service, of group `gi`, that keeps every endpoint it holds
  /// unchanged, without listing them (its state keeps none; the strategies only ever add
  /// endpoints to such a slice, and read its size). After every slice added before in name order;
  /// returns its number. Compaction, which empties unchanged slices, refuses a prepared state with
  /// such slices.
  std::uint32_t add_unchanged_slice(const slice_type& s, std::uint32_t gi) {
    const std::uint32_t k = add_existing(s, true);
    groups_[gi].slices.push_back(k);
    slice_state st = take_state();
    st.existing = k;
    states_[gi].push_back(std::move(st));
    unlisted_ = true;
    return k;
  }

  /// False when a slice was added by add_unchanged_slice(): its endpoints are not listed.
  [[nodiscard]] bool lists_every_endpoint() const noexcept { return !unlisted_; }

  /// Add an existing slice not owned by the Service, after every slice added before in name order
  /// (deleted); returns its number.
  std::uint32_t add_unowned_slice(const slice_type& s) {
    const std::uint32_t k = add_existing(s, false);
    unowned_.push_back(k);
    removed_entries_ += s.endpoints.size();
    return k;
  }

  /// The next entry of the last owned slice added is desired endpoint `value` (a new endpoint of
  /// its group, found in that slice). Returns its number in the group.
  std::uint32_t keep_endpoint(const endpoint_type& value, kept_endpoint status) {
    group_type& g = groups_[open_];
    slice_state& st = states_[open_].back();
    const auto d = static_cast<std::uint32_t>(g.eps.size());
    g.eps.push_back(&value);
    g.origin.push_back(static_cast<std::int32_t>(st.existing));
    st.kept.push_back(d);
    if (status == kept_endpoint::changed) {
      st.eps_changed = true;
      ++changed_;
    }
    return d;
  }

  /// The next entry of the last owned slice added is not desired any more (or is a second copy).
  void drop_endpoint() {
    states_[open_].back().eps_changed = true;
    ++removed_entries_;
  }

  /// A desired endpoint of group `gi` found in no slice; returns its number in the group.
  std::uint32_t add_remaining(std::uint32_t gi, const endpoint_type& e) {
    group_type& g = groups_[gi];
    const auto d = static_cast<std::uint32_t>(g.eps.size());
    g.eps.push_back(&e);
    g.origin.push_back(-1);
    g.remaining.push_back(d);
    ++added_;
    return d;
  }

 private:
  std::uint32_t add_existing(const slice_type& s, bool owned) {
    const auto k = static_cast<std::uint32_t>(existing_.size());
    existing_.push_back(&s);
    by_name_.push_back(k);
    rank_.push_back(k);
    owned_.push_back(owned ? 1 : 0);
    return k;
  }

  slice_state take_state() {
    if (spare_states_.empty()) return {};
    slice_state st = std::move(spare_states_.back());
    spare_states_.pop_back();
    st.kept.clear();
    st.eps_changed = st.labels_changed = false;
    return st;
  }

  // ---- the front end ----------------------------------------------------------------------------------

  // The group of port set `ports` (hash `key`) and zone partition `zone` (always empty when packed).
  [[nodiscard]] std::uint32_t group_of(const nullable_vector<endpoint_port>& ports, std::uint64_t key,
                                       std::string_view zone, bool create, std::size_t expected) {
    if (const std::uint32_t found = find_group(ports, key, zone); found != placeholder_group || !create) return found;
    const std::uint32_t gi = add_group(ports, key);
    groups_[gi].zone = std::string(zone);
    groups_[gi].index.reserve(expected);
    return gi;
  }

  // Groups the desired endpoints by port set (and zone partition); returns the served port sets
  // (by_zone only: packed groups exist for every served port set anyway).
  std::vector<const nullable_vector<endpoint_port>*> build_groups(const desired_state<F>& desired) {
    std::vector<const nullable_vector<endpoint_port>*> served;
    const bool by_zone = this->by_zone();
    std::size_t total = 0;
    std::uint32_t pos = 0;
    for (const auto& g : desired.groups) total += g.endpoints.size();
    for (const auto& dg : desired.groups) {
      const std::uint64_t key = port_set_hash(dg.ports);
      const std::size_t expected = desired.groups.size() == 1 ? total : dg.endpoints.size();
      // The port-set group exists even with no endpoint (upstream creates it first).
      std::uint32_t gi = group_of(dg.ports, key, {}, !by_zone, expected);
      std::string_view last_zone;
      // Packed: one group for the whole run, whose keys are computed ahead (by_zone: the group
      // follows the zones, and keys are computed when needed).
      std::optional<lookahead_keys<F>> keys;
      if (!by_zone) keys.emplace(groups_[gi].index, dg.endpoints);
      for (std::size_t i = 0; i < dg.endpoints.size(); ++i, ++pos) {
        const auto& e = dg.endpoints[i];
        const std::uint64_t early = keys ? keys->next(i) : 0;
        if (e.addresses.empty()) continue;
        if (by_zone && (gi == placeholder_group || zone_partition(e) != last_zone)) {
          last_zone = zone_partition(e);
          gi = group_of(dg.ports, key, last_zone, true, expected);
        }
        group_type& g = groups_[gi];
        const std::uint64_t h = by_zone ? g.index.key(e) : early;
        const auto idx = static_cast<std::uint32_t>(g.eps.size());
        const std::uint32_t at = g.index.insert(h, idx, [&](std::uint32_t v) { return same_endpoint_identity(*g.eps[v], e); });
        if (at == idx) {
          g.eps.push_back(&e);
          g.pos.push_back(pos);
        } else {
          g.eps[at] = &e;  // the last value wins, at the first position
          g.pos[at] = pos;
        }
        g.index.settle([&g](std::uint32_t v) -> const endpoint_type& { return *g.eps[v]; });
      }
      if (by_zone) served.push_back(&dg.ports);
    }
    if (by_zone) {
      // The same identity in two partitions (its zone changed between duplicates): the last value
      // wins, so it leaves every partition but the one of its last value.
      for (std::size_t a = 0; a < groups_.size(); ++a)
        for (std::size_t b = 0; b < groups_.size(); ++b)
          if (a != b && groups_[a].key == groups_[b].key && same_port_set(*groups_[a].ports, *groups_[b].ports))
            drop_shadowed(groups_[a], groups_[b]);
    }
    for (auto& g : groups_) {
      g.origin.assign(g.eps.size(), -1);
      if (by_zone) g.elsewhere.assign(g.eps.size(), -1);
    }
    return served;
  }

  // by_zone: drops the endpoints of `a` also in `b` whose value in `b` comes later in the desired state.
  static void drop_shadowed(group_type& a, const group_type& b) {
    if (a.eps.empty() || b.eps.empty()) return;
    std::vector<const endpoint_type*> kept;
    std::vector<std::uint32_t> kept_pos;
    bool dropped = false;
    for (std::size_t i = 0; i < a.eps.size(); ++i) {
      const endpoint_type* e = a.eps[i];
      const std::uint32_t d = b.index.find(b.index.key(*e), [&](std::uint32_t v) { return same_endpoint_identity(*b.eps[v], *e); });
      if (d != flat_index::npos && b.pos[d] > a.pos[i]) {
        dropped = true;
        continue;
      }
      kept.push_back(e);
      kept_pos.push_back(a.pos[i]);
    }
    if (!dropped) return;
    a.eps = std::move(kept);
    a.pos = std::move(kept_pos);
    a.index.reserve(a.eps.size());
    for (std::uint32_t i = 0; i < a.eps.size(); ++i) {
      a.index.insert(a.index.key(*a.eps[i]), i, [](std::uint32_t) { return false; });
      a.index.settle([&a](std::uint32_t v) -> const endpoint_type& { return *a.eps[v]; });
    }
  }

  // Ownership (upstream's ownedBy, staging/src/k8s.io/endpointslice/utils.go) and the group of
  // every owned slice; slices of port sets no longer desired are deleted.
  void classify_existing(const std::vector<const nullable_vector<endpoint_port>*>& served) {
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
      if (!is_owned_by(sl.metadata, *service_, options_->controller_name)) {
        unowned_.push_back(s);
        removed_entries_ += sl.endpoints.size();
        continue;
      }
      owned_[s] = 1;
      const std::uint64_t key = port_set_hash(sl.ports);
      std::uint32_t gi = placeholder_group;
      if (!by_zone()) {
        gi = group_of(sl.ports, key, {}, false, 0);
      } else {
        for (const auto* ps : served) {
          if (port_set_hash(*ps) == key && same_port_set(*ps, sl.ports)) {
            // A partition of a served port set: its group, empty when no endpoint is desired there.
            gi = group_of(*ps, key, zone_partition(sl.metadata), true, 0);
            group_type& g = groups_[gi];
            if (g.origin.size() != g.eps.size()) g.origin.assign(g.eps.size(), -1);
            if (g.elsewhere.size() != g.eps.size()) g.elsewhere.assign(g.eps.size(), -1);
            break;
          }
        }
      }
      if (gi != placeholder_group) {
        groups_[gi].slices.push_back(s);
      } else {
        unserved_.push_back(s);
        removed_entries_ += sl.endpoints.size();
      }
    }
  }

  // Step 1 of upstream's reconcileByPortMapping: walk every owned slice of each group, keep the
  // desired version of each endpoint found (first copy only), note what changed.
  void step_one() {
    const bool by_zone = this->by_zone();
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      group_type& g = groups_[gi];
      for (std::uint32_t s : g.slices) {
        const slice_type& sl = *existing_[s];
        slice_state st;
        st.existing = s;
        st.kept.reserve(sl.endpoints.size());
        for (const auto& e : sl.endpoints) {
          const std::uint32_t d = g.index.find(g.index.key(e), [&](std::uint32_t v) { return same_endpoint_identity(*g.eps[v], e); });
          if (d == flat_index::npos) {
            if (by_zone) note_elsewhere(gi, e, s);
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
        // placeholder, see finish_draft()).
        if (by_zone && g.eps.empty()) st.eps_changed = true;
        st.labels_changed = labels_changed_for_layout(sl.metadata.labels, service_->labels, options_->layout);
        states_[gi].push_back(std::move(st));
      }
    }
    for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
      group_type& g = groups_[gi];
      g.remaining.reserve(g.eps.size());
      for (std::uint32_t d = 0; d < g.eps.size(); ++d)
        if (g.origin[d] < 0) g.remaining.push_back(d);
      added_ += g.remaining.size();
      if (by_zone)
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
      group_type& other = groups_[o];
      const std::uint32_t d = other.index.find(other.index.key(e), [&](std::uint32_t v) { return same_endpoint_identity(*other.eps[v], e); });
      if (d != flat_index::npos) {
        if (other.elsewhere[d] < 0) other.elsewhere[d] = static_cast<std::int32_t>(s);
        loses_.push_back(s);
        return;
      }
    }
  }

  const service_identity* service_;
  const reconcile_options* options_;
  string_map labels_;
  std::vector<const slice_type*> existing_;
  std::size_t total_slices_ = 0;
  std::vector<group_type> groups_;
  std::vector<std::vector<slice_state>> states_;  // per group, in name order
  std::vector<std::uint32_t> by_name_, rank_;
  std::vector<std::uint8_t> owned_;
  std::vector<std::uint32_t> unowned_, unserved_;
  std::vector<std::uint32_t> loses_;  // by_zone: slices holding endpoints that change partition
  std::size_t added_ = 0, changed_ = 0, removed_entries_ = 0;
  std::uint32_t open_ = 0;  // the group of the last owned slice added by hand
  bool unlisted_ = false;   // some slice was added by add_unchanged_slice()
  std::vector<slice_state> spare_states_;  // of earlier problems, for reuse (restart())
  std::vector<group_type> spare_groups_;
};

/// The front end of the reconciler for one address family: groups the desired endpoints by port
/// set (and zone partition in the by_zone layout), collapses equal identities (the last value at
/// the first position), sorts the existing slices by name, decides ownership, and walks every owned
/// slice to find what it keeps (upstream's step 1). `existing` are the family's slices as listed
/// (any owner); `desired`, the options and the slices must outlive the result, unchanged.
template <class F>
[[nodiscard]] prepared_family<F> prepare(const desired_state<F>& desired, std::vector<const basic_endpoint_slice<F>*> existing,
                                         const reconcile_options& options) {
  return prepared_family<F>(desired, std::move(existing), options);
}

}  // namespace epslice::detail
