// SPDX-License-Identifier: Apache-2.0
// The `minimal` strategy: the fewest writes, then the fewest slices, then the fewest endpoints moved.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "reconcile_draft.hpp"
#include "reconcile_prepare.hpp"

namespace epslice::detail {

/// The draft of the `minimal` strategy for every group of `p` (beyond upstream). Deletes as
/// plan_kubernetes(): slices not owned, then those each group empties, then slices of port sets
/// no longer desired.
///
/// 1. Slices that must be written anyway (an endpoint lost or changed, labels changed) are
///    repacked for free: the fewest of them that hold their kept endpoints and the group's new
///    endpoints are kept (those keeping the most, so that few endpoints move), the others are
///    emptied and deleted.
/// 2. New endpoints, then the endpoints of the emptied slices, fill the kept ones, those with the
///    most room first.
/// 3. What does not fit goes to new slices while slices being deleted can be recycled into them
///    (no extra write), then to the fewest extra writes, preferring unchanged slices with room
///    (fewer slices) over new slices.
/// Updates come out in name order.
template <class F>
[[nodiscard]] draft_plan plan_minimal(const prepared_family<F>& p) {
  const std::size_t max = p.max();
  draft_plan d;
  d.deletes = p.unowned();
  struct pending {
    std::uint32_t group;
    std::vector<std::uint32_t> overflow;
    std::vector<std::uint32_t> clean;  // unchanged slices of the group, by name
  };
  std::vector<pending> overflows;
  std::size_t dead = p.unserved().size();
  std::vector<slice_draft> all_updates;
  for (std::uint32_t gi = 0; gi < p.groups().size(); ++gi) {
    const prepared_group<F>& g = p.groups()[gi];
    std::vector<const slice_state*> dirty;
    std::vector<std::uint32_t> clean;
    std::size_t pool = g.remaining.size();
    for (const slice_state& st : p.states(gi)) {
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
    const std::size_t needed = (pool + max - 1) / max;
    const std::size_t keep = std::min(needed, dirty.size());
    std::vector<slice_draft> receivers;
    std::vector<std::uint32_t> moving;
    for (std::size_t r = 0; r < order.size(); ++r) {
      const slice_state& st = *dirty[order[r]];
      if (r < keep) {
        slice_draft o;
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
                     [&](const slice_draft& a, const slice_draft& b) { return a.eps.size() < b.eps.size(); });
    std::size_t pos = 0;
    for (slice_draft& o : receivers)
      while (pos < queue.size() && o.eps.size() < max) o.eps.push_back(queue[pos++]);
    if (pos < queue.size())
      overflows.push_back({gi, std::vector<std::uint32_t>(queue.begin() + static_cast<std::ptrdiff_t>(pos), queue.end()), clean});
    for (auto& o : receivers) all_updates.push_back(std::move(o));
  }
  // Overflow: new slices while slices being deleted can be recycled into them (free), then the
  // fewest extra writes, preferring clean slices with room over new slices (fewer slices).
  std::vector<slice_draft> fills;
  for (const pending& q : overflows) {
    const std::size_t o_total = q.overflow.size();
    std::size_t free_new = std::min(dead, (o_total + max - 1) / max);
    dead -= free_new;
    std::size_t pos = 0;
    const auto new_slice = [&]() {
      slice_draft o;
      o.group = q.group;
      for (; pos < o_total && o.eps.size() < max;) o.eps.push_back(q.overflow[pos++]);
      d.creates.push_back(std::move(o));
    };
    for (std::size_t k = 0; k < free_new; ++k) new_slice();
    const std::size_t rest = o_total - pos;
    if (rest == 0) continue;
    const std::size_t k_min = (rest + max - 1) / max;
    std::vector<std::uint32_t> clean = q.clean;
    std::stable_sort(clean.begin(), clean.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return p.existing_size(a) < p.existing_size(b); });
    std::size_t j = k_min;  // number of new slices
    for (std::size_t jj = 0; jj <= k_min; ++jj) {
      const std::size_t use = k_min - jj;
      if (use > clean.size()) continue;
      std::size_t capacity = jj * max;
      for (std::size_t c = 0; c < use; ++c) capacity += max - std::min(max, p.existing_size(clean[c]));
      if (capacity >= rest) {
        j = jj;
        break;
      }
    }
    for (std::size_t c = 0; c < k_min - j; ++c) {
      slice_draft o;
      o.src = static_cast<std::int32_t>(clean[c]);
      o.group = q.group;
      o.keep_existing = true;
      o.relabel = false;
      for (std::size_t sz = p.existing_size(clean[c]); pos < o_total && sz < max; ++sz) o.eps.push_back(q.overflow[pos++]);
      if (!o.eps.empty()) fills.push_back(std::move(o));
    }
    while (pos < o_total) new_slice();
  }
  for (auto& o : fills) all_updates.push_back(std::move(o));
  std::sort(all_updates.begin(), all_updates.end(), [&](const slice_draft& a, const slice_draft& b) {
    return p.rank(static_cast<std::size_t>(a.src)) < p.rank(static_cast<std::size_t>(b.src));
  });
  d.updates = std::move(all_updates);
  d.deletes.insert(d.deletes.end(), p.unserved().begin(), p.unserved().end());
  return d;
}

}  // namespace epslice::detail
