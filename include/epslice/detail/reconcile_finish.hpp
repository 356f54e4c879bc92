// SPDX-License-Identifier: Apache-2.0
// Finishing a draft: the placeholder, recycling, write order, then the slice objects, their labels and their JSON bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../reconcile_types.hpp"
#include "../types.hpp"
#include "json_size.hpp"
#include "reconcile_draft.hpp"
#include "reconcile_prepare.hpp"

namespace epslice::detail {

// ---- the slice objects --------------------------------------------------------------------------------

/// The labels of a slice written for group `gi`: the controller's labels, plus the zone label of
/// the group's partition in the by_zone layout.
template <class F>
[[nodiscard]] string_map labels_for(const prepared_family<F>& p, std::uint32_t gi) {
  if (!p.by_zone() || gi == placeholder_group || p.groups()[gi].zone.empty()) return p.labels();
  string_map labels = p.labels();
  labels.insert_or_assign(std::string(well_known::zone_label), p.groups()[gi].zone);
  return labels;
}

/// A new slice of the draft's group with no endpoint (an empty, non-nil list), as upstream's
/// newEndpointSlice (staging/src/k8s.io/endpointslice/utils.go) makes it: generateName, namespace,
/// labels, an owner reference to the Service when its uid is known, the group's ports.
template <class F>
[[nodiscard]] basic_endpoint_slice<F> new_slice(const prepared_family<F>& p, const slice_draft& o) {
  const service_identity& svc = p.service();
  basic_endpoint_slice<F> s;
  s.metadata.generate_name = endpoint_slice_prefix(svc.name);
  s.metadata.namespace_ = svc.namespace_;
  s.metadata.labels = labels_for(p, o.group);
  if (!svc.uid.empty()) s.metadata.owner_references.push_back(owner_reference{"v1", "Service", svc.name, svc.uid, true, true, {}});
  if (o.group != placeholder_group) s.ports.assign(p.groups()[o.group].ports->begin(), p.groups()[o.group].ports->end());
  s.ports.set_empty_not_nil();
  s.endpoints.set_empty_not_nil();
  return s;
}

/// The object written for `o` without its endpoints (an empty, non-nil list): a new slice (named
/// after the slice it is recycled onto, if any), or the existing slice's header, relabelled unless
/// `o` keeps its labels; the trigger-time annotation set or removed.
template <class F>
[[nodiscard]] basic_endpoint_slice<F> make_header(const prepared_family<F>& p, const slice_draft& o) {
  basic_endpoint_slice<F> s;
  if (o.src < 0) {  // a new slice, or a create recycled onto a slice being deleted
    s = new_slice(p, o);
    if (o.target >= 0) s.metadata.name = p.existing(static_cast<std::size_t>(o.target)).metadata.name;
  } else {
    copy_slice_header(p.existing(static_cast<std::size_t>(o.src)), s);
    s.endpoints.set_empty_not_nil();
    if (o.relabel) {
      const bool zoned = p.by_zone() && o.group != placeholder_group && !p.groups()[o.group].zone.empty();
      // A slice written before usually carries the labels already: then they are not copied again.
      if (zoned)
        s.metadata.labels = labels_for(p, o.group);
      else if (s.metadata.labels != p.labels())
        s.metadata.labels = p.labels();
    }
  }
  set_trigger_time(s.metadata, p.options());
  return s;
}

/// Desired endpoints a caller handed over (reconcile(desired_state&&, ...)): they are moved into
/// the written slices instead of copied. Each desired endpoint is written at most once per plan.
template <class F>
class handed_over_endpoints {
 public:
  /// `desired` is the state the prepared family was built from by prepare().
  explicit handed_over_endpoints(desired_state<F>& desired) : desired_(&desired) {
    std::size_t start = 0;
    starts_.reserve(desired.groups.size());
    for (const auto& g : desired.groups) {
      starts_.push_back(start);
      start += g.endpoints.size();
    }
  }

  /// The desired endpoint at position `pos` (prepared_group::pos) of the desired state.
  [[nodiscard]] basic_endpoint<F>& at(std::size_t pos) noexcept {
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), pos);
    const auto g = static_cast<std::size_t>(it - starts_.begin()) - 1;
    return desired_->groups[g].endpoints[pos - starts_[g]];
  }
  /// The endpoints of group `g` of the desired state.
  [[nodiscard]] std::span<basic_endpoint<F>> group(std::size_t g) noexcept { return desired_->groups[g].endpoints; }

 private:
  desired_state<F>* desired_;
  std::vector<std::size_t> starts_;  // position of each group's first endpoint
};

/// Bring endpoints `eps` of `g`, and their targetRef values, into the cache before they are
/// copied. In a large layout each endpoint and each value sits anywhere in memory, and copying the
/// endpoints one by one waits for each line in turn (a copy counts one more owner of the value).
/// Plain loads (not prefetch hints, which the processor may drop when the page is not in its TLB)
/// issued for all of them first overlap those waits: first every line of the endpoints, then
/// their values.
template <class F>
void warm_endpoints(const prepared_group<F>& g, const std::vector<std::uint32_t>& eps) {
  unsigned sum = 0;
  for (std::uint32_t e : eps) {
    const auto* bytes = reinterpret_cast<const volatile unsigned char*>(g.eps[e]);
    for (std::size_t at = 0; at < sizeof(basic_endpoint<F>); at += 64) sum += bytes[at];
    sum += bytes[sizeof(basic_endpoint<F>) - 1];
  }
  for (std::uint32_t e : eps) sum += heap_access::touch(g.eps[e]->target_ref);
#if defined(__GNUC__) || defined(__clang__)
  asm volatile("" : : "r"(sum));  // keep the loads
#else
  static_cast<void>(sum);
#endif
}

/// The object written for `o`: make_header(), the existing slice's endpoints when `o` keeps them,
/// then the desired endpoints of `o` (copied, or moved out of `handed_over` when given).
template <class F>
[[nodiscard]] basic_endpoint_slice<F> make_slice(const prepared_family<F>& p, const slice_draft& o,
                                                 std::type_identity_t<handed_over_endpoints<F>>* handed_over) {
  basic_endpoint_slice<F> s = make_header(p, o);
  if (o.src >= 0 && o.keep_existing) {
    const auto& kept = p.existing(static_cast<std::size_t>(o.src)).endpoints;
    s.endpoints.reserve(kept.size() + o.eps.size());
    s.endpoints.insert(s.endpoints.end(), kept.begin(), kept.end());
  }
  if (o.group == placeholder_group) return s;
  const prepared_group<F>& g = p.groups()[o.group];
  s.endpoints.reserve(s.endpoints.size() + o.eps.size());
  if (handed_over) {
    for (std::uint32_t e : o.eps) s.endpoints.push_back(std::move(handed_over->at(g.pos[e])));
  } else {
    warm_endpoints(g, o.eps);
    for (std::uint32_t e : o.eps) s.endpoints.push_back(*g.eps[e]);
  }
  return s;
}

// ---- finishing a draft --------------------------------------------------------------------------------

/// Counts the endpoints of `o` that were in another slice before (`moved`).
template <class F>
void count_moves(const prepared_family<F>& p, const slice_draft& o, std::size_t& moved) {
  if (o.group == placeholder_group) return;
  const prepared_group<F>& g = p.groups()[o.group];
  const bool by_zone = p.by_zone();
  for (std::uint32_t e : o.eps)
    if (g.origin[e] >= 0 ? g.origin[e] != o.target : (by_zone && g.elsewhere[e] >= 0)) ++moved;
}

/// by_zone: an endpoint that changes partition leaves a slice that is updated (or recycled); the
/// update that receives it must be written first. Updates are put in an order where every
/// receiver comes before the update of the slice the endpoint leaves (a topological order that
/// keeps the previous order wherever it can). Endpoints swapping zones can make a cycle; it is
/// broken by moving the endpoints that close it into new slices, which are created first (each
/// one an extra write, needed for make-before-break).
template <class F>
void order_cross_partition(const prepared_family<F>& p, draft_plan& d) {
  const std::size_t max = p.max();
  const auto& groups = p.groups();
  const std::size_t nu = d.updates.size();
  std::vector<std::int32_t> update_of(p.existing().size(), -1);
  for (std::size_t i = 0; i < nu; ++i)
    if (d.updates[i].target >= 0) update_of[static_cast<std::size_t>(d.updates[i].target)] = static_cast<std::int32_t>(i);
  std::vector<std::vector<std::int32_t>> receiver(groups.size());
  for (std::size_t gi = 0; gi < groups.size(); ++gi) receiver[gi].assign(groups[gi].eps.size(), -1);
  for (std::size_t i = 0; i < nu; ++i)
    if (d.updates[i].group != placeholder_group)
      for (std::uint32_t e : d.updates[i].eps) receiver[d.updates[i].group][e] = static_cast<std::int32_t>(i);
  std::vector<std::vector<std::uint32_t>> after(nu), before(nu);
  std::vector<std::uint32_t> pending(nu, 0);
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    const prepared_group<F>& g = groups[gi];
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
  std::vector<slice_draft> ordered;
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
        slice_draft& o = d.updates[r];
        const prepared_group<F>& g = groups[o.group];
        std::vector<std::uint32_t> keep, moved;
        for (std::uint32_t e : o.eps) {
          const std::int32_t holder = g.origin[e] >= 0 ? g.origin[e] : g.elsewhere[e];
          const bool from_i = holder >= 0 && update_of[static_cast<std::size_t>(holder)] == static_cast<std::int32_t>(i);
          (from_i ? moved : keep).push_back(e);
        }
        o.eps = std::move(keep);
        for (std::size_t k = 0; k < moved.size(); k += max) {
          slice_draft c;
          c.group = o.group;
          c.eps.assign(moved.begin() + static_cast<std::ptrdiff_t>(k),
                       moved.begin() + static_cast<std::ptrdiff_t>(std::min(moved.size(), k + max)));
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
  std::erase_if(d.updates, [&](const slice_draft& o) {
    const bool emptied = o.group != placeholder_group && o.target >= 0 && p.draft_size(o) == 0;
    if (emptied) d.deletes.push_back(static_cast<std::uint32_t>(o.target));
    return emptied;
  });
}

/// Finish a strategy's draft, as upstream's reconcileByAddressType and finalize
/// (staging/src/k8s.io/endpointslice/reconciler.go) do:
/// 1. a family with no slice left and nothing to create gets the empty placeholder slice (unless
///    the one slice deleted is equal to it under placeholder_slice_equal(): then nothing happens);
/// 2. recycling: the last create takes the name of the next owned slice being deleted, and becomes
///    an update (after the plain updates, which may receive endpoints the recycled slice loses);
/// 3. by_zone: updates are ordered so that every moved endpoint is written before it is removed;
/// 4. `moved` and `written` are counted.
template <class F>
void finish_draft(const prepared_family<F>& p, draft_plan& d) {
  if (p.total_slices() == d.deletes.size() && d.creates.empty() && d.updates.empty()) {
    slice_draft placeholder;
    placeholder.group = placeholder_group;
    if (d.deletes.size() == 1 && placeholder_slice_equal(p.existing(d.deletes[0]), new_slice(p, placeholder)))
      d.deletes.clear();
    else
      d.creates.push_back(std::move(placeholder));
  }
  std::vector<slice_draft> recycled;
  for (std::size_t i = 0; i < d.deletes.size() && !d.creates.empty();) {
    const std::uint32_t s = d.deletes[i];
    if (p.owned(s)) {
      slice_draft o = std::move(d.creates.back());
      d.creates.pop_back();
      o.target = static_cast<std::int32_t>(s);
      recycled.push_back(std::move(o));
      d.deletes.erase(d.deletes.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  for (auto& o : d.updates) o.target = o.src;
  for (auto& o : recycled) d.updates.push_back(std::move(o));
  if (p.by_zone() && p.crosses_partitions()) order_cross_partition(p, d);
  d.moved = 0;
  d.written = 0;
  for (const auto& o : d.updates) {
    count_moves(p, o, d.moved);
    d.written += o.src >= 0 && o.keep_existing ? p.draft_size(o) : o.eps.size();
  }
  for (const auto& o : d.creates) {
    count_moves(p, o, d.moved);
    d.written += o.eps.size();
  }
}

// ---- bytes written ------------------------------------------------------------------------------------

/// The JSON size of slice `s` with an empty endpoint list (its header): its endpoints are set
/// aside while it is encoded, then put back.
template <class F>
[[nodiscard]] std::size_t slice_header_json_size(basic_endpoint_slice<F>& s, std::string& buffer) {
  nullable_vector<basic_endpoint<F>> eps = std::move(s.endpoints);
  s.endpoints = nullable_vector<basic_endpoint<F>>();
  s.endpoints.set_empty_not_nil();
  const std::size_t n = encoded_json_size(s, buffer);
  s.endpoints = std::move(eps);
  return n;
}

/// Whether two slices have the same header: every field but the endpoints.
template <class F>
[[nodiscard]] bool same_slice_header(const basic_endpoint_slice<F>& a, const basic_endpoint_slice<F>& b) {
  return a.metadata == b.metadata && a.ports == b.ports && a.extra == b.extra && a.api_version == b.api_version &&
         a.kind == b.kind && a.address_type == b.address_type;
}

/// The JSON sizes a plan needs, each measured once: desired endpoints, the endpoints of existing
/// slices, the header of a new slice of each group. Tied to one prepared state (clear() it for
/// another); measuring reuses one buffer, so a meter is not for use from two threads at once.
template <class F>
class plan_meter {
 public:
  using slice_type = basic_endpoint_slice<F>;
  using endpoint_type = basic_endpoint<F>;

  /// Forget every size (for another prepared state), keeping the memory (slice_planner reuses a
  /// meter for every decision: allocating anew each time costs more than the sizes save).
  void clear() noexcept {
    for (auto& sizes : desired_bytes_) sizes.clear();
    existing_bytes_.clear();
    existing_header_bytes_.clear();
    new_header_bytes_.clear();
  }

  /// Record the header size (slice_header_json_size) of existing slice `s`, measured before
  /// (slice_planner keeps it for every slice it holds). An update of `s` whose labels and
  /// annotations stay as they are (make_header changes nothing else) has that header.
  void know_existing_header(std::uint32_t s, std::size_t bytes) {
    if (existing_header_bytes_.size() <= s) existing_header_bytes_.resize(s + 1, unmeasured);
    existing_header_bytes_[s] = bytes;
  }

  /// The JSON size of desired endpoint `e` of group `gi`, measured on `value` (an equal endpoint,
  /// e.g. the copy written into a slice) or on the desired endpoint itself.
  [[nodiscard]] std::size_t desired_endpoint(const prepared_family<F>& p, std::uint32_t gi, std::uint32_t e,
                                             const endpoint_type* value) {
    if (gi == placeholder_group) return 0;
    if (desired_bytes_.size() < p.groups().size()) desired_bytes_.resize(p.groups().size());
    auto& sizes = desired_bytes_[gi];
    if (sizes.size() < p.groups()[gi].eps.size()) sizes.resize(p.groups()[gi].eps.size(), 0);
    if (sizes[e] == 0) sizes[e] = static_cast<std::uint32_t>(endpoint_json_size(value ? *value : *p.groups()[gi].eps[e], buffer_));
    return sizes[e];
  }

  /// Record the JSON sizes of the first desired endpoints of group `gi`, measured before
  /// (slice_planner keeps the size of every endpoint it holds); 0 for one not measured yet.
  void know_desired(std::uint32_t gi, std::span<const std::uint32_t> bytes) {
    if (desired_bytes_.size() <= gi) desired_bytes_.resize(gi + 1);
    auto& sizes = desired_bytes_[gi];
    if (sizes.size() < bytes.size()) sizes.resize(bytes.size(), 0);
    std::copy(bytes.begin(), bytes.end(), sizes.begin());
  }

  /// The JSON size of the endpoints of existing slice `s` (without separators).
  [[nodiscard]] std::size_t existing_endpoints(const prepared_family<F>& p, std::uint32_t s) {
    if (existing_bytes_.size() < p.existing().size()) existing_bytes_.resize(p.existing().size(), unmeasured);
    if (existing_bytes_[s] == unmeasured) {
      std::size_t n = 0;
      for (const auto& e : p.existing(s).endpoints) n += endpoint_json_size(e, buffer_);
      existing_bytes_[s] = n;
    }
    return existing_bytes_[s];
  }

  /// The JSON size of the object written for `o` with an empty endpoint list: measured on `built`
  /// (that object, its endpoints set aside for a moment) or on a header made for it. A new
  /// slice's header depends only on its group (generateName, labels, owner, ports), so it is
  /// measured once per group.
  [[nodiscard]] std::size_t header(const prepared_family<F>& p, const slice_draft& o, slice_type* built) {
    const bool fresh = o.src < 0 && o.target < 0;
    const std::size_t slot = o.group == placeholder_group ? p.groups().size() : o.group;
    if (fresh && slot < new_header_bytes_.size() && new_header_bytes_[slot] != unmeasured) return new_header_bytes_[slot];
    if (built && o.src >= 0 && static_cast<std::size_t>(o.src) < existing_header_bytes_.size() &&
        existing_header_bytes_[static_cast<std::size_t>(o.src)] != unmeasured) {
      const object_meta& was = p.existing(static_cast<std::size_t>(o.src)).metadata;
      if (built->metadata.labels == was.labels && built->metadata.annotations == was.annotations)
        return existing_header_bytes_[static_cast<std::size_t>(o.src)];
    }
    std::size_t n = 0;
    if (built) {
      n = slice_header_json_size(*built, buffer_);
    } else {
      n = encoded_json_size(make_header(p, o), buffer_);
    }
    if (fresh) {
      if (new_header_bytes_.size() <= slot) new_header_bytes_.resize(slot + 1, unmeasured);
      new_header_bytes_[slot] = n;
    }
    return n;
  }

  /// The JSON size of slice `s` built for `o`: its header's size, its endpoints' cached sizes.
  [[nodiscard]] std::size_t written(const prepared_family<F>& p, slice_type& s, const slice_draft& o) {
    if (s.endpoints.is_nil()) return encoded_json_size(s, buffer_);
    const std::size_t head = header(p, o, &s);
    const std::size_t kept = s.endpoints.size() - o.eps.size();
    std::size_t bytes = kept ? existing_endpoints(p, static_cast<std::uint32_t>(o.src)) : 0;
    for (std::size_t i = 0; i < o.eps.size(); ++i) bytes += desired_endpoint(p, o.group, o.eps[i], &s.endpoints[kept + i]);
    return slice_json_size(head, s.endpoints.size(), bytes);
  }

  /// The JSON bytes a draft writes: each object's header encoded, plus the cached sizes of its
  /// endpoints (the endpoint lists are never built).
  [[nodiscard]] std::size_t draft(const prepared_family<F>& p, const draft_plan& d) {
    std::size_t total = 0;
    const auto add = [&](const slice_draft& o) {
      const std::size_t kept = o.src >= 0 && o.keep_existing ? p.existing_size(static_cast<std::size_t>(o.src)) : 0;
      std::size_t bytes = kept ? existing_endpoints(p, static_cast<std::uint32_t>(o.src)) : 0;
      for (std::uint32_t e : o.eps) bytes += desired_endpoint(p, o.group, e, nullptr);
      total += slice_json_size(header(p, o, nullptr), kept + o.eps.size(), bytes);
    };
    for (const slice_draft& o : d.creates) add(o);
    for (const slice_draft& o : d.updates) add(o);
    return total;
  }

  /// The buffer measurements encode into.
  [[nodiscard]] std::string& buffer() noexcept { return buffer_; }

 private:
  static constexpr std::size_t unmeasured = static_cast<std::size_t>(-1);
  std::vector<std::vector<std::uint32_t>> desired_bytes_;  // per group and endpoint; 0: not yet
  std::vector<std::size_t> existing_bytes_;                // per existing slice; unmeasured: not yet
  std::vector<std::size_t> existing_header_bytes_;         // per existing slice, when known; unmeasured: not
  std::vector<std::size_t> new_header_bytes_;              // per group (placeholder last): a new slice's header
  std::string buffer_;
};

// ---- the plan ---------------------------------------------------------------------------------------------

/// The plan of a finished draft: the slice objects (make_slice()), in the draft's order, and the
/// plan's counters; plan_stats::bytes_written when the options measure bytes. Desired endpoints
/// are copied, or moved out of `handed_over` when given.
template <class F>
[[nodiscard]] slice_plan<F> build_plan(const prepared_family<F>& p, const draft_plan& d, plan_meter<F>& meter,
                                       std::type_identity_t<handed_over_endpoints<F>>* handed_over = nullptr) {
  const bool measure = p.options().measure_bytes;
  slice_plan<F> plan;
  plan.create.reserve(d.creates.size());
  for (const slice_draft& o : d.creates) {
    plan.create.push_back(make_slice(p, o, handed_over));
    plan.stats.endpoints_written += plan.create.back().endpoints.size();
    if (measure) plan.stats.bytes_written += meter.written(p, plan.create.back(), o);
  }
  plan.update.reserve(d.updates.size());
  for (const slice_draft& o : d.updates) {
    plan.update.push_back(make_slice(p, o, handed_over));
    plan.stats.endpoints_written += plan.update.back().endpoints.size();
    if (measure) plan.stats.bytes_written += meter.written(p, plan.update.back(), o);
  }
  plan.remove.reserve(d.deletes.size());
  for (std::uint32_t s : d.deletes) plan.remove.push_back(p.existing(s));
  plan.stats.creates = plan.create.size();
  plan.stats.updates = plan.update.size();
  plan.stats.deletes = plan.remove.size();
  plan.stats.writes = plan.stats.creates + plan.stats.updates + plan.stats.deletes;
  plan.stats.endpoints_added = p.added();
  plan.stats.endpoints_changed = p.changed();
  plan.stats.endpoints_removed = p.removed_entries();
  plan.stats.endpoints_moved = d.moved;
  plan.stats.compaction_writes = d.compaction_writes;
  plan.stats.slices_compacted = d.slices_compacted;
  return plan;
}

}  // namespace epslice::detail
