// SPDX-License-Identifier: Apache-2.0
// One address family from desired state to plan: prepare, the strategy (and compaction), finish, build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../reconcile_types.hpp"
#include "../types.hpp"
#include "reconcile_compaction.hpp"
#include "reconcile_draft.hpp"
#include "reconcile_finish.hpp"
#include "reconcile_kubernetes.hpp"
#include "reconcile_minimal.hpp"
#include "reconcile_prepare.hpp"
#include "reconcile_scratch.hpp"

namespace epslice::detail {

/// Finishes the strategies' drafts and returns the one to make: `k` (kubernetes) unless `minimal`;
/// then the better of the two under minimal's objective: fewer writes, then fewer slices, then
/// fewer endpoints moved, then fewer bytes written. On a tie the kubernetes draft is taken, so
/// that both strategies keep the same layout as long as repacking gains nothing; so `minimal` is
/// never worse than `kubernetes`.
template <class F>
[[nodiscard]] draft_plan choose_draft(const prepared_family<F>& p, plan_meter<F>& meter, draft_plan k, draft_plan m, bool minimal) {
  finish_draft(p, k);
  if (!minimal) return k;
  finish_draft(p, m);
  const auto key = [&](const draft_plan& d) {
    return std::tuple(d.writes(), p.total_slices() + d.creates.size() - d.deletes.size(), d.moved);
  };
  const auto a = key(k), b = key(m);
  if (a < b) return k;
  if (b < a) return m;
  if (k.written == m.written && same_shape(k, m)) return k;
  return meter.draft(p, k) <= meter.draft(p, m) ? k : m;
}

/// The finished draft of the configured strategy for a prepared family:
/// 1. plan_kubernetes(); for `minimal`, also plan_minimal() (with no existing slice, kubernetes's
///    draft already meets minimal's objective and wins every tie, so minimal's is not made);
/// 2. with compaction enabled, both drafts compacted as copies, and the compacted choice taken
///    unless it spends more writes than the budget over the uncompacted choice (in the by_zone
///    layout, the slices that break cycles of zone-swapping endpoints can differ once slices were
///    merged: never spend more than allowed);
/// 3. choose_draft().
template <class F>
[[nodiscard]] draft_plan decide_family(const prepared_family<F>& p, plan_meter<F>& meter) {
  const bool minimal = p.options().strategy == reconcile_strategy::minimal && !p.existing().empty();
  draft_plan k = plan_kubernetes(p);
  draft_plan m = minimal ? plan_minimal(p) : draft_plan{};
  const compaction_options& c = p.options().compaction;
  if (!c.enabled()) return choose_draft(p, meter, std::move(k), std::move(m), minimal);
  // Compaction's cost is counted against the plan the strategy makes without it.
  draft_plan kc = compact(p, k);
  draft_plan mc = minimal ? compact(p, m) : m;
  draft_plan base = choose_draft(p, meter, std::move(k), std::move(m), minimal);
  draft_plan d = choose_draft(p, meter, std::move(kc), std::move(mc), minimal);
  d.compaction_writes = d.writes() > base.writes() ? d.writes() - base.writes() : 0;
  if (d.compaction_writes > c.max_extra_writes) return base;
  return d;
}

/// How a family with no slice yet is planned.
enum class scratch_path : std::uint8_t {
  one_pass,  ///< plan_from_scratch() whenever plans_from_scratch() holds (what reconcile() does)
  general,   ///< always prepare(), a strategy, finish and build (tests compare both paths)
};

/// The plan for one address family; `existing` are the family's slices as listed (any owner).
/// Desired endpoints are copied, or moved out of `handed_over` (which refers to `desired`).
/// `options` must be valid.
template <class F>
[[nodiscard]] slice_plan<F> plan_family(const desired_state<F>& desired, std::type_identity_t<handed_over_endpoints<F>>* handed_over,
                                        std::vector<const basic_endpoint_slice<F>*> existing, const reconcile_options& options,
                                        scratch_path path = scratch_path::one_pass) {
  static_assert(is_typed_family_v<F>, "reconcile plans typed families only");
  if (path == scratch_path::one_pass && plans_from_scratch(existing.size(), options))
    return plan_from_scratch(desired, handed_over, options);
  const prepared_family<F> p = prepare(desired, std::move(existing), options);
  plan_meter<F> meter;
  const draft_plan d = decide_family(p, meter);
  return build_plan(p, d, meter, handed_over);
}

/// reconcile() for one family, with the path of a family with no slice named (tests).
/// Throws epslice::error when the options are invalid.
template <class F>
[[nodiscard]] slice_plan<F> reconcile_family(const desired_state<F>& desired, std::span<const basic_endpoint_slice<F>> existing,
                                             const reconcile_options& options, scratch_path path = scratch_path::one_pass) {
  check_options(options);
  std::vector<const basic_endpoint_slice<F>*> ptrs;
  ptrs.reserve(existing.size());
  for (const auto& s : existing) ptrs.push_back(&s);
  return plan_family(desired, nullptr, std::move(ptrs), options, path);
}

/// reconcile_family() for a desired state the caller hands over: its endpoints are moved into the
/// written slices. Throws epslice::error when the options are invalid.
template <class F>
[[nodiscard]] slice_plan<F> reconcile_family(desired_state<F>&& desired, std::span<const basic_endpoint_slice<F>> existing,
                                             const reconcile_options& options, scratch_path path = scratch_path::one_pass) {
  check_options(options);
  std::vector<const basic_endpoint_slice<F>*> ptrs;
  ptrs.reserve(existing.size());
  for (const auto& s : existing) ptrs.push_back(&s);
  handed_over_endpoints<F> handed_over(desired);
  return plan_family(desired, &handed_over, std::move(ptrs), options, path);
}

}  // namespace epslice::detail
