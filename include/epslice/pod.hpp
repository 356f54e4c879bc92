// SPDX-License-Identifier: Apache-2.0
// The pod view: the parts of a Pod that endpoint derivation reads (no JSON library needed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "types.hpp"

namespace epslice {

/// A port a container declares (`spec.containers[].ports[]`). The API server defaults the
/// protocol to TCP.
struct container_port_spec {
  std::string name;
  std::int32_t container_port = 0;  ///< containerPort
  std::string protocol = "TCP";
  friend bool operator==(const container_port_spec&, const container_port_spec&) = default;
};

/// A container or init container: its name, restartPolicy (init containers with `Always` are
/// sidecars) and ports.
struct container {
  std::string name;
  std::optional<std::string> restart_policy;
  std::vector<container_port_spec> ports;
  friend bool operator==(const container&, const container&) = default;
};

/// The parts of a Pod that endpoint derivation reads.
struct pod {
  object_meta metadata;
  std::string node_name;  ///< spec.nodeName
  std::string hostname;   ///< spec.hostname
  std::string subdomain;  ///< spec.subdomain
  std::vector<container> containers;
  std::vector<container> init_containers;
  std::string phase;                ///< status.phase
  std::string pod_ip;               ///< status.podIP
  std::vector<std::string> pod_ips; ///< status.podIPs[].ip
  /// Status of the `Ready` condition (`True`, `False`, `Unknown`); nullopt when there is none.
  std::optional<std::string> ready_condition;
  friend bool operator==(const pod&, const pod&) = default;
};

}  // namespace epslice
