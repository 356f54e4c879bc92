// SPDX-License-Identifier: Apache-2.0
// The draft plan the reconciler's strategies return: which endpoints go to which slice, before any object is built.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace epslice::detail {

/// The group index of a slice that belongs to no port-set group: the family's empty placeholder.
inline constexpr std::uint32_t placeholder_group = 0xFFFFFFFFu;

/// One slice a draft writes (created or updated). Endpoints are numbers within the group of the
/// prepared state (prepared_group::eps); slices are numbers of the prepared state's existing slices.
struct slice_draft {
  std::int32_t src = -1;           ///< existing slice the content is based on; -1 for a new slice
  std::uint32_t group = 0;         ///< port-set group, or placeholder_group
  bool keep_existing = false;      ///< endpoints = the existing slice's endpoints, then `eps`
  bool relabel = true;             ///< labels = the labels the controller computes (else kept)
  std::vector<std::uint32_t> eps;  ///< desired endpoints of the group, in order
  std::int32_t target = -1;        ///< the slice whose name the written object takes (set by finish)
};

/// A strategy's plan before the objects are built. finish_draft() orders it, recycles creates into
/// updates of deleted slices and counts `moved` and `written`.
struct draft_plan {
  std::vector<slice_draft> creates;
  std::vector<slice_draft> updates;
  std::vector<std::uint32_t> deletes;  ///< existing slices
  std::size_t moved = 0;               ///< endpoints that end up in another slice than before
  std::size_t written = 0;             ///< endpoints of the created and updated slices
  std::size_t compaction_writes = 0;   ///< writes spent by compaction (see compaction_options)
  std::size_t slices_compacted = 0;    ///< slices compaction emptied

  /// Creates + updates + deletes.
  [[nodiscard]] std::size_t writes() const noexcept { return creates.size() + updates.size() + deletes.size(); }
};

/// True when two drafts write the same objects in the same order.
[[nodiscard]] inline bool same_shape(const draft_plan& a, const draft_plan& b) {
  const auto same = [](const std::vector<slice_draft>& x, const std::vector<slice_draft>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].src != y[i].src || x[i].target != y[i].target || x[i].group != y[i].group ||
          x[i].keep_existing != y[i].keep_existing || x[i].relabel != y[i].relabel || x[i].eps != y[i].eps)
        return false;
    return true;
  };
  return a.deletes == b.deletes && same(a.creates, b.creates) && same(a.updates, b.updates);
}

}  // namespace epslice::detail
