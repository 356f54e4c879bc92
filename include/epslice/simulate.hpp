// SPDX-License-Identifier: Apache-2.0
// Churn scenarios of scenarios.md (create, rolling update, scale up/down, random churn): a pure simulation.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcile.hpp"
#include "types.hpp"

namespace epslice {

/// The scenarios of scenarios.md.
enum class scenario_kind : std::uint8_t {
  create,          ///< S1: N pods, one reconcile from no slices
  rolling_update,  ///< S2: N pods, then N/B times remove the B lowest live pods, add B
  scale_up,        ///< S3: N/B times add B pods, from nothing
  scale_down,      ///< S4: N pods, then remove B random pods per step (default: until N/10 remain)
  churn,           ///< S5: N pods, then remove P% of N at random and add as many, per step
};

/// Parameters of a simulation; zero `batch` means the scenario's default (1 for rolling_update,
/// 10 for scale_up and scale_down).
struct simulation_options {
  scenario_kind scenario = scenario_kind::create;
  std::size_t endpoints = 1000;
  std::size_t batch = 0;
  std::optional<std::size_t> steps;  ///< caps the number of counted steps
  double churn_percent = 1.0;
  std::uint64_t seed = 42;
  reconcile_options reconcile;
};

/// Counters of a simulation, over the counted reconciles only (never the setup one).
struct simulation_result {
  std::size_t reconciles = 0;
  std::size_t creates = 0;
  std::size_t updates = 0;
  std::size_t deletes = 0;
  std::size_t writes = 0;
  std::size_t endpoints_written = 0;
  std::size_t final_endpoints = 0;
  std::size_t final_slices = 0;
  std::size_t ideal_slices = 0;  ///< ceil(N / M), 1 when N is 0
  double final_fullness = 0;     ///< N / (slices x M) after the last reconcile
  double mean_fullness = 0;
  double min_fullness = 0;
};

/// splitmix64 as scenarios.md specifies it.
struct splitmix64 {
  std::uint64_t state = 0;
  /// The next 64-bit value.
  std::uint64_t next() noexcept {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// next() mod n (n > 0).
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
};

/// The endpoint of pod i of the scenario world: IP 10.<i>>16>.<i>>8>.<i>, node `node-<i mod 100>`,
/// zone a/b/c by node, ready and serving, targetRef to `default/pod-<i>` with the world's uid.
[[nodiscard]] inline endpoint_v4 scenario_endpoint(std::uint64_t i) {
  endpoint_v4 e;
  e.addresses.push_back(ipv4_address{{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                      static_cast<std::uint8_t>(i)}});
  e.conditions = endpoint_conditions{true, true, false};
  const std::uint64_t node = i % 100;
  e.node_name = "node-" + std::to_string(node);
  static constexpr const char* zones[] = {"zone-a", "zone-b", "zone-c"};
  e.zone = std::string(zones[node % 3]);
  object_reference ref;
  ref.kind = "Pod";
  ref.namespace_ = "default";
  ref.name = "pod-" + std::to_string(i);
  ref.uid = "00000000-0000-4000-8000-";
  static constexpr char hex[] = "0123456789abcdef";
  for (int shift = 44; shift >= 0; shift -= 4) ref.uid += hex[(i >> shift) & 15];
  e.target_ref = std::move(ref);
  return e;
}

/// The scenario Service `default/svc` with one port `http` TCP 80, no endpoints yet.
[[nodiscard]] inline desired_state<ipv4> scenario_service() {
  desired_state<ipv4> d;
  d.service.namespace_ = "default";
  d.service.name = "svc";
  d.service.uid = "11111111-2222-4333-8444-555555555555";
  d.groups.emplace_back();
  endpoint_port p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 80;
  d.groups[0].ports.push_back(p);
  return d;
}

/// Run one scenario of scenarios.md and return its counters. Deterministic: the same options
/// always give the same result. Throws epslice::error for invalid reconcile options.
[[nodiscard]] inline simulation_result simulate(const simulation_options& o) {
  const std::size_t n = o.endpoints;
  const std::size_t m = o.reconcile.max_endpoints_per_slice;
  std::size_t batch = o.batch;
  if (batch == 0) batch = o.scenario == scenario_kind::rolling_update ? 1 : 10;
  std::size_t steps = 0;
  switch (o.scenario) {
    case scenario_kind::create: steps = 1; break;
    case scenario_kind::rolling_update:
    case scenario_kind::scale_up: steps = n / batch; break;
    case scenario_kind::scale_down: steps = (n - n / 10) / batch; break;
    case scenario_kind::churn: steps = 200; break;
  }
  if (o.steps && *o.steps < steps) steps = *o.steps;

  splitmix64 rng{o.seed};
  std::vector<endpoint_v4> pods;  // endpoint of pod i, built once
  std::vector<std::uint64_t> live;
  std::uint64_t next_pod = 0;
  std::vector<endpoint_slice_v4> slices;
  slice_namer namer;
  desired_state<ipv4> desired = scenario_service();
  simulation_result r;
  double fullness_sum = 0;

  const auto add = [&](std::size_t k) {
    for (std::size_t j = 0; j < k; ++j) {
      pods.push_back(scenario_endpoint(next_pod));
      live.push_back(next_pod++);
    }
  };
  const auto remove_random = [&](std::size_t k) {
    for (std::size_t j = 0; j < k && !live.empty(); ++j) {
      const auto at = static_cast<std::ptrdiff_t>(rng.below(live.size()));
      live.erase(live.begin() + at);
    }
  };
  const auto run = [&](bool counted) {
    auto& eps = desired.groups[0].endpoints;
    eps.clear();
    eps.reserve(live.size());
    for (std::uint64_t i : live) eps.push_back(pods[i]);
    const auto plan = reconcile(desired, slices, o.reconcile);
    slices = apply(plan, slices, namer);
    if (!counted) return;
    ++r.reconciles;
    r.creates += plan.stats.creates;
    r.updates += plan.stats.updates;
    r.deletes += plan.stats.deletes;
    r.endpoints_written += plan.stats.endpoints_written;
    const double f = slices.empty() ? 0.0
                                    : static_cast<double>(live.size()) / (static_cast<double>(slices.size()) * static_cast<double>(m));
    fullness_sum += f;
    r.min_fullness = r.reconciles == 1 ? f : std::min(r.min_fullness, f);
    r.final_fullness = f;
  };

  switch (o.scenario) {
    case scenario_kind::create:
      add(n);
      run(true);
      break;
    case scenario_kind::rolling_update:
      add(n);
      run(false);
      for (std::size_t s = 0; s < steps; ++s) {
        live.erase(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(std::min(batch, live.size())));
        add(batch);
        run(true);
      }
      break;
    case scenario_kind::scale_up:
      for (std::size_t s = 0; s < steps; ++s) {
        add(batch);
        run(true);
      }
      break;
    case scenario_kind::scale_down:
      add(n);
      run(false);
      for (std::size_t s = 0; s < steps; ++s) {
        remove_random(batch);
        run(true);
      }
      break;
    case scenario_kind::churn: {
      add(n);
      run(false);
      const auto k = static_cast<std::size_t>(static_cast<double>(n) * o.churn_percent / 100.0 + 0.5);
      for (std::size_t s = 0; s < steps; ++s) {
        remove_random(k);
        add(k);
        run(true);
      }
      break;
    }
  }
  r.writes = r.creates + r.updates + r.deletes;
  r.final_endpoints = live.size();
  r.final_slices = slices.size();
  r.ideal_slices = live.empty() ? 1 : (live.size() + m - 1) / m;
  r.mean_fullness = r.reconciles ? fullness_sum / static_cast<double>(r.reconciles) : 0.0;
  return r;
}

}  // namespace epslice
