// SPDX-License-Identifier: Apache-2.0
// The `kubernetes` strategy: upstream's placement of endpoints, with deterministic tie-breaks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "reconcile_draft.hpp"
#include "reconcile_prepare.hpp"

namespace epslice::detail {

/// The draft of upstream's reconcileByPortMapping (staging/src/k8s.io/endpointslice/reconciler.go)
/// for every group of `p`, with the deletes of reconcileByAddressType: slices not owned first,
/// then per group the slices left empty, then the slices of port sets no longer desired.
///
/// 1. (prepare()) Every owned slice keeps the desired version of the endpoints it holds; it is
///    updated when it lost or changed one or its labels changed, deleted when it keeps none.
/// 2. The endpoints found nowhere fill the slices being updated, fullest first (a stable sort:
///    name order among equals, where upstream's order is unspecified).
/// 3. The rest goes to new slices of the maximum size; a last chunk smaller than the maximum goes
///    to the unchanged slice it fills closest to full (upstream's getSliceToFill; the first in
///    name order on a tie), or to a new slice when none can take it.
/// Updates come out in name order. Endpoints are taken in the order of the desired state.
template <class F>
[[nodiscard]] draft_plan plan_kubernetes(const prepared_family<F>& p) {
  const std::size_t max = p.max();
  draft_plan d;
  d.deletes = p.unowned();
  for (std::uint32_t gi = 0; gi < p.groups().size(); ++gi) {
    const prepared_group<F>& g = p.groups()[gi];
    std::vector<slice_draft> updates;
    std::vector<std::uint32_t> unchanged;
    for (const slice_state& st : p.states(gi)) {
      if (st.eps_changed) {
        if (st.kept.empty()) {
          d.deletes.push_back(st.existing);
        } else {
          slice_draft o;
          o.src = static_cast<std::int32_t>(st.existing);
          o.group = gi;
          o.eps = st.kept;
          updates.push_back(std::move(o));
        }
      } else if (st.labels_changed) {
        slice_draft o;
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
                       [&](std::size_t a, std::size_t b) { return p.draft_size(updates[a]) > p.draft_size(updates[b]); });
      for (std::size_t k : order) {
        slice_draft& o = updates[k];
        for (std::size_t sz = p.draft_size(o); pos < rem.size() && sz < max; ++sz) o.eps.push_back(rem[pos++]);
      }
    }
    // Step 3: the rest goes to the unchanged slice that ends closest to full, or to new slices.
    while (pos < rem.size()) {
      const std::size_t left = rem.size() - pos;
      std::size_t chosen = unchanged.size();
      if (left < max && !unchanged.empty()) {
        std::size_t closest = max;
        for (std::size_t k = 0; k < unchanged.size(); ++k) {
          const std::size_t total = left + p.existing_size(unchanged[k]);
          if (total > max) continue;
          const std::size_t diff = max - total;
          if (diff < closest) {
            closest = diff;
            chosen = k;
            if (diff == 0) break;
          }
        }
      }
      slice_draft o;
      o.group = gi;
      std::size_t sz = 0;
      if (chosen < unchanged.size()) {
        o.src = static_cast<std::int32_t>(unchanged[chosen]);
        o.keep_existing = true;
        o.relabel = false;
        sz = p.existing_size(unchanged[chosen]);
        unchanged.erase(unchanged.begin() + static_cast<std::ptrdiff_t>(chosen));
      }
      for (; pos < rem.size() && sz < max; ++sz) o.eps.push_back(rem[pos++]);
      if (o.src >= 0)
        updates.push_back(std::move(o));
      else
        d.creates.push_back(std::move(o));
    }
    std::sort(updates.begin(), updates.end(), [&](const slice_draft& a, const slice_draft& b) {
      return p.rank(static_cast<std::size_t>(a.src)) < p.rank(static_cast<std::size_t>(b.src));
    });
    for (auto& o : updates) d.updates.push_back(std::move(o));
  }
  d.deletes.insert(d.deletes.end(), p.unserved().begin(), p.unserved().end());
  return d;
}

}  // namespace epslice::detail
