// SPDX-License-Identifier: Apache-2.0
// Reconcile: desired endpoints + existing EndpointSlices -> the plan of creates, updates and deletes.
//
// Two strategies share one front end (grouping by port set, ownership, endpoint identity):
// - `kubernetes` makes the decisions of upstream's EndpointSlice reconciler
//   (staging/src/k8s.io/endpointslice/reconciler.go: Reconcile, reconcileByAddressType,
//   reconcileByPortMapping, finalize) with fixed tie-breaks where upstream depends on Go map order:
//   remaining desired endpoints are taken in the order given, slices are considered in ascending
//   name order, the "fullest first" sort is stable.
// - `minimal` goes beyond upstream: it repacks the slices that must be written anyway, uses slices
//   that are being deleted as free containers, and fills clean slices only when that saves a slice at
//   the same number of writes; a plan is never worse than the `kubernetes` plan on the same input.
//
// The stages of one address family, one header each:
//   reconcile_types.hpp              options, desired state, plans, labels, names, ownership
//   detail/reconcile_prepare.hpp     prepare(): desired + existing -> prepared_family (groups, what slices keep)
//   detail/reconcile_kubernetes.hpp  plan_kubernetes(): prepared_family -> draft_plan
//   detail/reconcile_minimal.hpp     plan_minimal(): prepared_family -> draft_plan
//   detail/reconcile_compaction.hpp  compact(): draft_plan -> draft_plan with underfull slices merged
//   detail/reconcile_finish.hpp      finish_draft() (placeholder, recycling, order), build_plan() (objects, bytes)
//   detail/reconcile_scratch.hpp     plan_from_scratch(): a family with no slice, in one pass
//   detail/reconcile_family.hpp      decide_family(), plan_family(): the stages in order
// slice_planner.hpp plans changes to a settled layout incrementally with the same stages.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "address.hpp"
#include "detail/reconcile_family.hpp"
#include "error.hpp"
#include "reconcile_types.hpp"
#include "types.hpp"

namespace epslice {

/// Plan the writes that turn `existing` (the family's slices as the controller lists them, see
/// is_managed_slice) into slices holding exactly the desired endpoints.
///
/// 1. Group desired endpoints by port set; collapse endpoints of equal identity.
/// 2. Existing slices not owned by the Service are deleted; owned ones are grouped by port set;
///    groups no longer desired are deleted.
/// 3. Per group, the chosen strategy places endpoints (kubernetes: upstream's reconcileByPortMapping
///    steps 1-3; minimal: free repacking of slices that are written anyway, then the fewest extra
///    writes); with reconcile_options::compaction set, underfull groups are then compacted within
///    its budget.
/// 4. A family left with no slice gets the empty placeholder slice (reconcileByAddressType);
///    creates are recycled into updates of owned slices being deleted (finalize).
/// 5. Created and updated slices get the labels of setEndpointSliceLabels (utils.go) and the
///    trigger-time annotation.
/// (Upstream: staging/src/k8s.io/endpointslice/reconciler.go; detail/reconcile_*.hpp hold one
/// stage each.)
///
/// Throws epslice::error when the options are invalid (see validate(const reconcile_options&)).
template <class F>
[[nodiscard]] slice_plan<F> reconcile(const desired_state<F>& desired,
                                      std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing,
                                      const reconcile_options& options = {}) {
  return detail::reconcile_family<F>(desired, existing, options);
}

/// reconcile() for a desired state the caller hands over: the desired endpoints are moved into the
/// created and updated slices instead of copied (the fast path for large services).
template <class F>
[[nodiscard]] slice_plan<F> reconcile(desired_state<F>&& desired,
                                      std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing,
                                      const reconcile_options& options = {}) {
  return detail::reconcile_family<F>(std::move(desired), existing, options);
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
  if (desired.ipv4_state) add(detail::plan_family<ipv4>(*desired.ipv4_state, nullptr, std::move(v4), options));
  if (desired.ipv6_state) add(detail::plan_family<ipv6>(*desired.ipv6_state, nullptr, std::move(v6), options));
  if (desired.fqdn_state) add(detail::plan_family<fqdn>(*desired.fqdn_state, nullptr, std::move(fq), options));
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
/// The metadata of a typed or runtime-typed slice.
template <class Slice>
[[nodiscard]] const object_meta& meta_of(const Slice& s) noexcept {
  if constexpr (std::is_same_v<Slice, any_endpoint_slice>)
    return metadata_of(s);
  else
    return s.metadata;
}
/// The metadata of a typed or runtime-typed slice, for writing.
template <class Slice>
[[nodiscard]] object_meta& meta_of(Slice& s) noexcept {
  if constexpr (std::is_same_v<Slice, any_endpoint_slice>)
    return std::visit([](auto& x) -> object_meta& { return x.metadata; }, s);
  else
    return s.metadata;
}

/// What apply_plan() does when the namer gives a created slice a name already taken.
enum class taken_name : std::uint8_t {
  refuse,  ///< throw epslice::error
  skip,    ///< ask the namer again
};

/// apply() for plans of one family or of every family.
template <class Slice, class Namer>
[[nodiscard]] std::vector<Slice> apply_plan(const basic_slice_plan<Slice>& plan, std::span<const Slice> existing,
                                            Namer&& namer, taken_name taken) {
  // Slices by name; ordered, so the result comes out sorted by name.
  std::map<std::string, Slice, std::less<>> out;
  for (const auto& s : existing) out.insert_or_assign(meta_of(s).name, s);
  for (const auto& s : plan.create) {
    Slice c = s;
    std::string name;
    do {
      name = namer(meta_of(c));
    } while (taken == taken_name::skip && out.find(name) != out.end());
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
  return detail::apply_plan(plan, existing, namer, detail::taken_name::refuse);
}

/// apply() with a fresh slice_namer whose counter skips names already taken, so created slices are
/// named `<generateName>00000`, `<generateName>00001`, ... deterministically.
template <class F>
[[nodiscard]] std::vector<basic_endpoint_slice<F>> apply(const slice_plan<F>& plan,
                                                         std::type_identity_t<std::span<const basic_endpoint_slice<F>>> existing) {
  slice_namer namer;
  return detail::apply_plan(plan, existing, namer, detail::taken_name::skip);
}

/// apply() for a plan over every address family.
[[nodiscard]] inline std::vector<any_endpoint_slice> apply(const any_slice_plan& plan,
                                                           std::span<const any_endpoint_slice> existing,
                                                           slice_namer& namer) {
  return detail::apply_plan(plan, existing, namer, detail::taken_name::refuse);
}

/// apply() for a plan over every address family, with a fresh namer that skips taken names.
[[nodiscard]] inline std::vector<any_endpoint_slice> apply(const any_slice_plan& plan,
                                                           std::span<const any_endpoint_slice> existing) {
  slice_namer namer;
  return detail::apply_plan(plan, existing, namer, detail::taken_name::skip);
}

}  // namespace epslice
