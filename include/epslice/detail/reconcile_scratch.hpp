// SPDX-License-Identifier: Apache-2.0
// The plan of a family with no slice yet, made in one pass over the desired endpoints.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "../reconcile_types.hpp"
#include "../types.hpp"
#include "json_size.hpp"
#include "reconcile_draft.hpp"
#include "reconcile_finish.hpp"
#include "reconcile_prepare.hpp"

namespace epslice::detail {

/// True when plan_from_scratch() makes the plan of a family: no slice exists yet, the layout is
/// packed and compaction is off.
[[nodiscard]] inline bool plans_from_scratch(std::size_t existing_slices, const reconcile_options& options) noexcept {
  return existing_slices == 0 && options.layout == slice_layout::packed && !options.compaction.enabled();
}

/// The plan of a family with no existing slice (see plans_from_scratch()). Both strategies make
/// the same plan then: ceil(n / max) creates per group are the fewest writes and slices, nothing
/// moves, and the bytes are the same however the endpoints are spread. So, per port-set group in
/// group order, its unique endpoints in order of first appearance (the last value of each) fill
/// new slices of the maximum size; a family with no endpoint gets the placeholder.
///
/// The general path (prepare(), a strategy, finish_draft(), build_plan()) gives identical plans
/// (tested) but reads the endpoints twice and keeps bookkeeping this plan does not need: here each
/// endpoint is keyed, deduplicated and written into its slice (moved out of `handed_over` when
/// given) while its memory is hot, and measured there. `options` must be valid.
template <class F>
[[nodiscard]] slice_plan<F> plan_from_scratch(const desired_state<F>& desired, std::type_identity_t<handed_over_endpoints<F>>* handed_over,
                                              const reconcile_options& options) {
  using slice_type = basic_endpoint_slice<F>;
  using endpoint_type = basic_endpoint<F>;
  const std::size_t max = options.max_endpoints_per_slice;
  const bool measure = options.measure_bytes;
  prepared_family<F> p(desired.service, options);  // the port-set groups, for the slices' headers
  plan_meter<F> meter;
  struct made {
    std::vector<slice_type> slices;
    std::vector<std::size_t> bytes;  // endpoint bytes of each slice
    slice_type header;
    identity_index<F> index;
    std::uint32_t count = 0;  // unique endpoints so far
  };
  std::vector<made> out_of;  // per group
  std::size_t total = 0;
  for (const auto& g : desired.groups) total += g.endpoints.size();
  for (std::size_t dgi = 0; dgi < desired.groups.size(); ++dgi) {
    const endpoint_group<F>& dg = desired.groups[dgi];
    const std::uint64_t key = port_set_hash(dg.ports);
    std::uint32_t gi = p.find_group(dg.ports, key);
    if (gi == placeholder_group) {
      gi = p.add_group(dg.ports, key);
      out_of.emplace_back();
      out_of[gi].index.reserve(desired.groups.size() == 1 ? total : dg.endpoints.size());
      slice_draft o;
      o.group = gi;
      out_of[gi].header = make_header(p, o);
    }
    made& m = out_of[gi];
    identity_index<F>& index = m.index;
    const std::span<endpoint_type> movable = handed_over ? handed_over->group(dgi) : std::span<endpoint_type>();
    const auto at = [&m, max](std::uint32_t v) -> endpoint_type& { return m.slices[v / max].endpoints[v % max]; };
    lookahead_keys<F> keys(index, dg.endpoints);
    const std::size_t count = dg.endpoints.size();
    for (std::size_t i = 0; i < count; ++i) {
      const endpoint_type& e = dg.endpoints[i];
      const std::uint64_t h = keys.next(i);
      if (e.addresses.empty()) continue;
      const std::uint32_t next = m.count;
      const std::uint32_t found = index.insert(h, next, [&](std::uint32_t v) { return same_endpoint_identity(at(v), e); });
      if (found == next) {
        if (next % max == 0) {
          m.slices.push_back(m.header);
          m.slices.back().endpoints.reserve(std::min(max, count - i));
          m.bytes.push_back(0);
        }
        slice_type& sl = m.slices.back();
        if (handed_over)
          sl.endpoints.push_back(std::move(movable[i]));
        else
          sl.endpoints.push_back(e);
        if (measure) m.bytes.back() += endpoint_json_size(sl.endpoints.back(), meter.buffer());
        ++m.count;
      } else {
        // A duplicate: the last value wins, at the first position.
        endpoint_type& slot = at(found);
        const std::size_t k = found / max;
        if (measure) m.bytes[k] -= endpoint_json_size(slot, meter.buffer());
        if (handed_over)
          slot = std::move(movable[i]);
        else
          slot = e;
        if (measure) m.bytes[k] += endpoint_json_size(slot, meter.buffer());
      }
      index.settle(at);
    }
  }
  slice_plan<F> plan;
  std::size_t slices = 0, unique = 0;
  for (const made& m : out_of) {
    slices += m.slices.size();
    unique += m.count;
  }
  plan.create.reserve(slices == 0 ? 1 : slices);
  for (std::uint32_t gi = 0; gi < out_of.size(); ++gi) {
    made& m = out_of[gi];
    slice_draft o;
    o.group = gi;
    const std::size_t header = measure && !m.slices.empty() ? meter.header(p, o, &m.header) : 0;
    for (std::size_t k = 0; k < m.slices.size(); ++k) {
      if (measure) plan.stats.bytes_written += slice_json_size(header, m.slices[k].endpoints.size(), m.bytes[k]);
      plan.create.push_back(std::move(m.slices[k]));
    }
  }
  if (plan.create.empty()) {  // the placeholder (reconcileByAddressType)
    slice_draft o;
    o.group = placeholder_group;
    plan.create.push_back(make_slice(p, o, nullptr));
    if (measure) plan.stats.bytes_written += meter.written(p, plan.create.back(), o);
  }
  plan.stats.creates = plan.stats.writes = plan.create.size();
  plan.stats.endpoints_added = plan.stats.endpoints_written = unique;
  return plan;
}

}  // namespace epslice::detail
