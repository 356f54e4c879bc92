// SPDX-License-Identifier: Apache-2.0
// The incremental planner: plans changes to a settled layout in time proportional to the change.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "detail/flat_index.hpp"
#include "detail/json_size.hpp"
#include "detail/reconcile_draft.hpp"
#include "detail/reconcile_family.hpp"
#include "detail/reconcile_finish.hpp"
#include "detail/reconcile_keys.hpp"
#include "detail/reconcile_prepare.hpp"
#include "error.hpp"
#include "reconcile.hpp"
#include "reconcile_types.hpp"
#include "types.hpp"

namespace epslice {

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

namespace detail {
/// What a planner decision works in: the small prepared problem of a change and the sizes
/// measured for it. Kept between decisions (restarted), so that a decision allocates little.
template <class F>
struct planner_workspace {
  planner_workspace(const service_identity& service, const reconcile_options& options) : prepared(service, options) {}
  prepared_family<F> prepared;
  plan_meter<F> meter;
};
}  // namespace detail

template <class F>
class slice_planner;

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
      : work_(std::move(o.work_)), draft_(std::move(o.draft_)), pool_(std::exchange(o.pool_, nullptr)) {}
  /// Moves the decision; the source is left empty.
  planner_decision& operator=(planner_decision&& o) noexcept {
    if (this != &o) {
      give_back();
      work_ = std::move(o.work_);
      draft_ = std::move(o.draft_);
      pool_ = std::exchange(o.pool_, nullptr);
    }
    return *this;
  }
  /// Gives the decision's scratch memory back to the planner that made it.
  ~planner_decision() { give_back(); }

  /// Writes the plan will make (creates + updates + deletes).
  [[nodiscard]] std::size_t writes() const noexcept { return draft_.writes(); }

 private:
  // The planner makes decisions and reads them (build()); it never writes their members.
  friend class slice_planner<F>;
  using workspace = detail::planner_workspace<F>;

  planner_decision(std::unique_ptr<workspace> work, detail::draft_plan draft, std::unique_ptr<workspace>* pool) noexcept
      : work_(std::move(work)), draft_(std::move(draft)), pool_(pool) {}

  void give_back() noexcept {
    if (pool_ && work_ && !*pool_) *pool_ = std::move(work_);
    pool_ = nullptr;
  }

  std::unique_ptr<workspace> work_;
  detail::draft_plan draft_;
  std::unique_ptr<workspace>* pool_ = nullptr;  // the planner's spare slot
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
    if (change.group >= groups_.size()) detail::throw_error("group", "slice_planner: no such group");
    // The workspace of the last decision, when it was given back, is reused: its vectors keep
    // their memory, so a decision allocates little.
    std::unique_ptr<workspace> work = spare_ ? std::move(spare_) : std::make_unique<workspace>(svc_, opt_);
    detail::prepared_family<F>& p = work->prepared;
    p.restart(svc_, opt_, live_slices_);
    work->meter.clear();
    scratch& sc = scratch_;
    sc.clear();
    const pgroup& pg = groups_[change.group];
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
    const std::uint32_t gi = p.add_group(pg.ports, pg.key);
    auto& sizes = sc.sizes;
#if defined(__GNUC__) || defined(__clang__)
    // The records of a slice lie anywhere in the group's table: ask for all of them at once
    // rather than waiting on each in turn below.
    for (std::uint32_t sid : dirty)
      for (std::uint32_t rec : slices_[sid].recs) {
        __builtin_prefetch(pg.eps.data() + rec);
        __builtin_prefetch(pg.bytes.data() + rec);
      }
#endif
    for (std::uint32_t sid : involved) {
      const pslice& ps = slices_[sid];
      if (ps.group == dead_group) {
        work->meter.know_existing_header(p.add_owned_slice(ps.slice, detail::placeholder_group), ps.header_bytes);
        continue;
      }
      // A clean slice keeps its endpoints, unchanged: the strategies can only fill it, so its
      // endpoints need not be listed.
      if (!is_dirty(sid)) {
        work->meter.know_existing_header(p.add_unchanged_slice(ps.slice, gi), ps.header_bytes);
        continue;
      }
      work->meter.know_existing_header(p.add_owned_slice(ps.slice, gi), ps.header_bytes);
      for (std::uint32_t rec : ps.recs) {
        int kind = 0;
        for (const auto& [mr, mk] : marks)
          if (mr == rec) kind = mk;
        if (kind == 1) {
          p.drop_endpoint();
          continue;
        }
        const endpoint_type* value = pg.eps[rec].get();
        for (const auto& [rr, e] : replaced)
          if (rr == rec) value = e;
        p.keep_endpoint(*value, kind == 2 ? detail::kept_endpoint::changed : detail::kept_endpoint::same);
        sizes.push_back(value == pg.eps[rec].get() ? pg.bytes[rec] : 0);
      }
    }
    for (const endpoint_type* e : fresh) p.add_remaining(gi, *e);
    // The size of every desired endpoint held is known: build() and minimal's last tie-break need
    // not measure them again (0: a new value, measured when needed).
    work->meter.know_desired(gi, sizes);
    detail::draft_plan draft = detail::decide_family(p, work->meter);
    return planner_decision<F>(std::move(work), std::move(draft), &spare_);
  }

  /// The slice objects of a decision (cost proportional to the slices written).
  [[nodiscard]] slice_plan<F> build(const planner_decision<F>& d) const {
    if (!d.work_) detail::throw_error("decision", "slice_planner: the decision is empty (moved from)");
    return detail::build_plan(d.work_->prepared, d.draft_, d.work_->meter);
  }

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
      // The slot's previous endpoints and records: most of them are written again, in order.
      const std::uint32_t was_group = slices_[id].group;
      old_recs_.swap(slices_[id].recs);
      unplace(id, false);
      place(id, s, was_group);
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
  using workspace = detail::planner_workspace<F>;
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
    std::vector<std::uint32_t> bytes;                  // record -> JSON size of its desired value
    std::vector<std::uint32_t> slice_of, pos_of, free;  // record -> slice and position in it
    std::set<fill_key> by_fill;                        // the group's slices by fill level, then name
  };
  static constexpr std::size_t unknown_size = static_cast<std::size_t>(-1);
  struct pslice {
    slice_type slice;
    std::size_t header_bytes = unknown_size;  // detail::slice_header_json_size(slice)
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
      pg.bytes[at] = static_cast<std::uint32_t>(detail::endpoint_json_size(*pg.eps[at], size_buffer_));
      return;
    }
    std::uint32_t rec;
    if (!pg.free.empty()) {
      rec = pg.free.back();
      pg.free.pop_back();
    } else {
      rec = static_cast<std::uint32_t>(pg.eps.size());
      pg.eps.emplace_back();
      pg.bytes.push_back(0);
      pg.slice_of.push_back(0);
      pg.pos_of.push_back(0);
    }
    pg.eps[rec] = std::make_unique<endpoint_type>(std::forward<E>(e));
    pg.bytes[rec] = static_cast<std::uint32_t>(detail::endpoint_json_size(*pg.eps[rec], size_buffer_));
    pg.index.insert(pg.index.key(*pg.eps[rec]), rec, [](std::uint32_t) { return false; });
    pg.index.settle([&pg](std::uint32_t v) -> const endpoint_type& { return *pg.eps[v]; });
  }

  [[nodiscard]] std::uint32_t lookup(const std::string& name) const {
    const auto it = names_.find(name);
    if (it == names_.end()) detail::throw_error("metadata.name", "slice_planner: no slice \"" + name + "\"");
    return it->second;
  }

  // Whether endpoint `n` has the identity of `held` (a record's value): decided on the inline
  // addresses and the shared reference when the two are copies of one value (the usual case for
  // an endpoint written again), else by the full comparison.
  [[nodiscard]] static bool same_identity_quick(const endpoint_type& n, const endpoint_type& held) {
    const std::size_t count = n.addresses.size();
    if (count != held.addresses.size()) return false;
    if (count == 1 && !(n.addresses[0] == held.addresses[0])) return false;  // decided without the reference
    const auto& nr = std::as_const(n.target_ref);
    const auto& hr = std::as_const(held.target_ref);
    const bool same_ref = nr.has_value() == hr.has_value() && (!nr || &*nr == &*hr);
    if (same_ref && !n.hostname && !held.hostname && std::equal(n.addresses.begin(), n.addresses.end(), held.addresses.begin()))
      return true;
    return detail::same_endpoint_identity(n, held);
  }

  // Put slice `s` at `id` (given as a value to move in, or copied over the slot's previous
  // content, which reuses the memory of its endpoints when the slot held a slice before).
  // `was_group`: for an update, the slot's group before, with its records in old_recs_ (in the
  // order of its endpoints): an endpoint written again at its old position or the next one (an
  // endpoint before it left out) is checked against that record's value and takes it without a
  // lookup in the index.
  template <class S>
  void place(std::uint32_t id, S&& s, std::uint32_t was_group = dead_group) {
    pslice& ps = slices_[id];
    // The header size stays known while the slot is rewritten with the same header (an update
    // that changes only endpoints, the usual case); otherwise it is measured again.
    const bool same_header = ps.header_bytes != unknown_size && detail::same_slice_header(ps.slice, std::as_const(s));
    std::uint32_t group = dead_group;
    {
      const std::uint64_t key = detail::port_set_hash(s.ports);
      for (std::uint32_t gi = 0; gi < groups_.size(); ++gi)
        if (groups_[gi].key == key && detail::same_port_set(groups_[gi].ports, s.ports)) group = gi;
    }
    ps.recs.clear();
    if (group != dead_group && group == was_group) reuse_records(ps, s.endpoints, groups_[group]);
    ps.slice = std::forward<S>(s);
    if (!same_header) ps.header_bytes = opt_.measure_bytes ? detail::slice_header_json_size(ps.slice, size_buffer_) : unknown_size;
    ps.live = true;
    ps.group = group;
    ++live_slices_;
    names_[ps.slice.metadata.name] = id;
    if (ps.group == dead_group) {
      dead_.push_back(id);
      return;
    }
    pgroup& pg = groups_[ps.group];
    const auto& eps = ps.slice.endpoints;
    if (!ps.recs.empty()) {
      // Records taken over (reuse_records); the others are looked up.
      for (std::uint32_t k = 0; k < eps.size(); ++k) {
        std::uint32_t& rec = ps.recs[k];
        if (rec == detail::flat_index::npos) {
          rec = find(pg, eps[k]);
          if (rec == detail::flat_index::npos) detail::throw_error("endpoints", "slice_planner: a slice holds an endpoint that is not desired");
        }
        pg.slice_of[rec] = id;
        pg.pos_of[rec] = k;
      }
    } else {
      ps.recs.reserve(eps.size());
      // Each endpoint's record: the index entries are asked for a few endpoints ahead, so that the
      // lookups of a slice wait on memory together rather than one after the other.
      detail::lookahead_keys<F> keys(pg.index, std::span<const endpoint_type>(eps.data(), eps.size()));
      for (std::uint32_t k = 0; k < eps.size(); ++k) {
        const endpoint_type& e = eps[k];
        const std::uint32_t rec =
            pg.index.find(keys.next(k), [&](std::uint32_t v) { return detail::same_endpoint_identity(*pg.eps[v], e); });
        if (rec == detail::flat_index::npos) detail::throw_error("endpoints", "slice_planner: a slice holds an endpoint that is not desired");
        ps.recs.push_back(rec);
        pg.slice_of[rec] = id;
        pg.pos_of[rec] = k;
      }
    }
    pg.by_fill.insert(fill_key{ps.slice.endpoints.size(), ps.slice.metadata.name, id});
  }

  // For each endpoint of `next`, its record when old_recs_ holds it at the next old position or
  // the one after, else npos; into ps.recs (left empty when no endpoint was found there).
  template <class Endpoints>
  void reuse_records(pslice& ps, const Endpoints& next, const pgroup& pg) {
    if (old_recs_.empty()) return;
    ps.recs.assign(next.size(), detail::flat_index::npos);
    std::size_t j = 0;
    bool any = false;
    for (std::size_t k = 0; k < next.size(); ++k) {
      for (std::size_t t = j; t < old_recs_.size() && t < j + 2; ++t) {
        const std::uint32_t rec = old_recs_[t];
        if (rec >= pg.eps.size() || !pg.eps[rec] || !same_identity_quick(next[k], *pg.eps[rec])) continue;
        ps.recs[k] = rec;
        j = t + 1;
        any = true;
        break;
      }
    }
    if (!any) ps.recs.clear();
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
  std::vector<pgroup> groups_;
  std::vector<pslice> slices_;
  std::vector<std::uint32_t> free_slices_, dead_;
  std::map<std::string, std::uint32_t, std::less<>> names_;
  std::size_t live_slices_ = 0;
  std::string size_buffer_;  // measuring desired endpoints (upsert())
  // Scratch memory of decide(), kept between calls (decide() is const, but not for concurrent use).
  struct scratch {
    std::vector<std::uint32_t> dirty;                                     // planner slice ids
    std::vector<std::pair<std::uint32_t, int>> marks;                     // record -> 1 removed, 2 changed
    std::vector<const endpoint_type*> fresh;                              // endpoints not desired before
    std::vector<std::pair<std::uint32_t, const endpoint_type*>> replaced;  // record -> new value
    std::vector<std::uint32_t> involved;                                  // slices of the small problem
    std::vector<std::uint32_t> sizes;                                     // JSON size of each kept endpoint, or 0
    void clear() noexcept {
      dirty.clear();
      marks.clear();
      fresh.clear();
      replaced.clear();
      involved.clear();
      sizes.clear();
    }
  };
  mutable scratch scratch_;
  mutable std::unique_ptr<workspace> spare_;  // given back by the last decision
  // Scratch memory of commit(): the records of the slot being rewritten, in its old order.
  std::vector<std::uint32_t> old_recs_;
};

}  // namespace epslice
