// SPDX-License-Identifier: Apache-2.0
// Compaction (beyond upstream): extra writes spent to merge the underfull slices of a draft.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "reconcile_draft.hpp"
#include "reconcile_prepare.hpp"

namespace epslice::detail {

/// A strategy's draft with underfull groups compacted (see compaction_options; its options must
/// be enabled()). It works before finish_draft(), so that recycling can still turn a create and a
/// compaction delete into one update. Per group (and zone partition), while the group is below
/// the threshold and one slice fewer can hold it:
/// 1. every slice is a possible donor: the one whose emptying adds the fewest writes (then the
///    smallest) is chosen, with its receivers: slices written anyway first, fullest first (free);
///    then the fullest unchanged slice that takes the rest alone (one extra update); else
///    unchanged slices with the most room first (one update each);
/// 2. the step is taken only while its writes fit in what is left of the budget (over every
///    group); the donor's endpoints go to the receivers and the donor is deleted (or not created).
/// Receivers only gain endpoints and every emptied slice is deleted, after all creates and
/// updates: no endpoint desired before and after is ever absent while the plan is applied.
/// Throws epslice::error when `p` does not list the endpoints of every slice
/// (prepared_family::add_unchanged_slice()).
template <class F>
[[nodiscard]] draft_plan compact(const prepared_family<F>& p, draft_plan d) {
  if (!p.lists_every_endpoint())
    throw_error("compaction", "compaction needs the endpoints of every slice (a slice was added unlisted)");
  const compaction_options& c = p.options().compaction;  // enabled(): decide_family() calls it only then
  const std::size_t max = p.max();
  std::vector<std::uint8_t> written(p.existing().size(), 0);
  for (const slice_draft& o : d.updates) written[static_cast<std::size_t>(o.src)] = 1;
  for (std::uint32_t x : d.deletes) written[x] = 1;
  enum class kind : std::uint8_t { update, create, clean };
  struct bin {
    kind k;
    std::size_t index;  // into d.updates, d.creates, or the existing slice
    std::size_t size;
    bool gone = false;
  };
  std::vector<std::uint8_t> drop_update(d.updates.size(), 0), drop_create(d.creates.size(), 0);
  std::vector<const slice_state*> state_of(p.existing().size(), nullptr);
  long spent = 0;
  for (std::uint32_t gi = 0; gi < p.groups().size(); ++gi) {
    std::vector<bin> bins;
    std::size_t total = 0;
    for (const slice_state& st : p.states(gi)) {
      state_of[st.existing] = &st;
      if (!written[st.existing]) bins.push_back({kind::clean, st.existing, p.existing_size(st.existing)});
    }
    for (std::size_t u = 0; u < d.updates.size(); ++u)
      if (d.updates[u].group == gi) bins.push_back({kind::update, u, p.draft_size(d.updates[u])});
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
        need -= std::min(need, max - bins[r].size);
        to.push_back(r);
      }
      if (need == 0) return cost;
      std::size_t fit = bins.size();
      for (std::size_t r : clean_bins)
        if (r != donor && max - bins[r].size >= need && (fit == bins.size() || bins[r].size > bins[fit].size)) fit = r;
      if (fit != bins.size()) {
        to.push_back(fit);
        return cost + 1;
      }
      for (std::size_t r : clean_bins) {
        if (need == 0) break;
        if (r == donor) continue;
        need -= std::min(need, max - bins[r].size);
        to.push_back(r);
        ++cost;
      }
      return need == 0 ? cost : std::numeric_limits<long>::max();
    };
    while (live > 1 && static_cast<double>(total) < c.min_fullness * static_cast<double>(live * max) &&
           total <= (live - 1) * max) {
      written_bins.clear();
      clean_bins.clear();
      for (std::size_t b = 0; b < bins.size(); ++b)
        if (!bins[b].gone && bins[b].size < max) (bins[b].k == kind::clean ? clean_bins : written_bins).push_back(b);
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
        const slice_draft& o = d.updates[donor.index];
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
        slice_draft* o = nullptr;
        if (to.k == kind::clean) {
          slice_draft n;
          n.src = static_cast<std::int32_t>(to.index);
          n.group = gi;
          n.keep_existing = true;
          n.relabel = false;
          d.updates.push_back(std::move(n));
          drop_update.push_back(0);
          to = bin{kind::update, d.updates.size() - 1, to.size};
        }
        o = to.k == kind::update ? &d.updates[to.index] : &d.creates[to.index];
        for (; pos < members.size() && to.size < max; ++to.size) o->eps.push_back(members[pos++]);
      }
      spent += best_cost;
      ++d.slices_compacted;
    }
  }
  if (d.slices_compacted == 0) return d;
  const auto sweep = [](std::vector<slice_draft>& v, const std::vector<std::uint8_t>& drop) {
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
  return d;
}

}  // namespace epslice::detail
