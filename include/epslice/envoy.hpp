// SPDX-License-Identifier: Apache-2.0
// Envoy projection: a service port's endpoints as an Envoy v3 ClusterLoadAssignment in JSON.
//
// The text follows the proto3 JSON mapping Envoy reads (`envoy.config.endpoint.v3`): original
// field names (`cluster_name`, `lb_endpoints`, `socket_address`, `port_value`, `health_status`),
// enum values by name. It is written directly, without a JSON library. Output is compact and
// deterministic: localities sorted by zone (byte-wise, the zone-less group first as `{}`),
// endpoints inside a locality by `ip:port`. A UDP port adds `"protocol":"UDP"` to the socket
// address; TCP is Envoy's default and is left out; SCTP has no Envoy equivalent and is written like
// TCP. Strings are escaped as the rest of epslice escapes them (Go's rules); bytes that are not
// valid UTF-8 become U+FFFD.
// The cluster name leaves the protocol out, so two service ports that differ only by protocol
// (which a Service cannot have, as port names are unique) would share a cluster name.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "detail/json_writer.hpp"
#include "merge.hpp"

namespace epslice {

/// Envoy's `HealthStatus` of an endpoint, as derived from its conditions.
enum class envoy_health_status : std::uint8_t {
  healthy,    ///< ready
  draining,   ///< not ready, serving and terminating
  unhealthy,  ///< anything else
};

/// The proto enum name: `HEALTHY`, `DRAINING`, `UNHEALTHY`.
[[nodiscard]] constexpr std::string_view to_string(envoy_health_status s) noexcept {
  switch (s) {
    case envoy_health_status::healthy: return "HEALTHY";
    case envoy_health_status::draining: return "DRAINING";
    case envoy_health_status::unhealthy: return "UNHEALTHY";
  }
  return "UNHEALTHY";
}

/// ready -> healthy; serving and terminating -> draining; else unhealthy.
template <class F>
[[nodiscard]] constexpr envoy_health_status envoy_health(const endpoint_info<F>& e) noexcept {
  if (e.ready) return envoy_health_status::healthy;
  if (e.serving && e.terminating) return envoy_health_status::draining;
  return envoy_health_status::unhealthy;
}

/// The Envoy cluster name of a service port: `<namespace>/<service>:<port name>`.
[[nodiscard]] inline std::string envoy_cluster_name(const service_port_name& n) {
  std::string out = n.namespace_;
  out += '/';
  out += n.service;
  out += ':';
  out += n.port_name;
  return out;
}

/// Append one ClusterLoadAssignment: `{"cluster_name":..., "endpoints":[{"locality":{"zone":...},
/// "lb_endpoints":[{"endpoint":{"address":{"socket_address":{"address":...,"port_value":...}}},
/// "health_status":...}]}]}`. Endpoints are grouped by zone; the input order does not matter.
template <class F>
void append_cluster_load_assignment(std::string& out, const service_port_name& name,
                                    std::span<const endpoint_info<F>> endpoints) {
  std::map<std::string_view, std::vector<std::pair<std::string, const endpoint_info<F>*>>> by_zone;
  for (const auto& e : endpoints) by_zone[e.zone].emplace_back(e.key(), &e);
  out += "{\"cluster_name\":";
  detail::write_json_string(out, envoy_cluster_name(name));
  out += ",\"endpoints\":[";
  bool first_zone = true;
  for (auto& [zone, list] : by_zone) {
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (!first_zone) out += ',';
    first_zone = false;
    out += "{\"locality\":{";
    if (!zone.empty()) {
      out += "\"zone\":";
      detail::write_json_string(out, zone);
    }
    out += "},\"lb_endpoints\":[";
    for (std::size_t k = 0; k < list.size(); ++k) {
      const auto& e = *list[k].second;
      if (k) out += ',';
      out += "{\"endpoint\":{\"address\":{\"socket_address\":{";
      if (name.protocol == "UDP") out += "\"protocol\":\"UDP\",";
      out += "\"address\":";
      std::string ip;
      format_to(ip, e.address);
      detail::write_json_string(out, ip);
      out += ",\"port_value\":";
      out += std::to_string(e.port);
      out += "}}},\"health_status\":\"";
      out += to_string(envoy_health(e));
      out += "\"}";
    }
    out += "]}";
  }
  out += "]}";
}

/// One ClusterLoadAssignment as JSON text (see append_cluster_load_assignment).
template <class F>
[[nodiscard]] std::string cluster_load_assignment_json(const service_port_name& name,
                                                       std::span<const endpoint_info<F>> endpoints) {
  std::string out;
  append_cluster_load_assignment<F>(out, name, endpoints);
  return out;
}

/// A JSON array of ClusterLoadAssignments, one per service port of the map, in its order.
template <class F>
[[nodiscard]] std::string cluster_load_assignments_json(const endpoints_map<F>& state) {
  std::string out = "[";
  bool first = true;
  for (const auto& [name, list] : state) {
    if (!first) out += ',';
    first = false;
    append_cluster_load_assignment<F>(out, name, list);
  }
  out += ']';
  return out;
}

/// A JSON array of ClusterLoadAssignments for every service port of a cache, sorted by service port.
template <class F>
[[nodiscard]] std::string cluster_load_assignments_json(const endpoint_cache<F>& cache) {
  return cluster_load_assignments_json<F>(cache.snapshot());
}

}  // namespace epslice
