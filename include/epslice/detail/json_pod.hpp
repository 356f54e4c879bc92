// SPDX-License-Identifier: Apache-2.0
// The pod view decoded from a Pod's JSON: the fields endpoint derivation reads, with field paths.
//
// Included by json.hpp (this header must not include it back; json.hpp adds decoding from text).
// Decoding works on an nlohmann value: metadata, spec.nodeName/hostname/subdomain, containers and initContainers (name,
// restartPolicy, ports), status.phase/podIP/podIPs and the Ready condition. Everything else in the
// object is accepted and ignored; a needed field of the wrong JSON type is an error with its path,
// and every such problem is reported at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../pod.hpp"
#include "../error.hpp"
#include "../types.hpp"
#include "json_dom.hpp"

namespace epslice {

namespace detail {

/// Reads the pod view out of an nlohmann value, collecting every problem.
class pod_json_reader : public dom_reader {
 public:
  void containers(const nlohmann::json& spec, std::string_view key, std::vector<container>& out) {
    const auto* list = array(spec, key, "spec");
    if (!list) return;
    const std::string path = join("spec", key);
    out.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      const auto& cj = (*list)[i];
      const std::string cpath = indexed(path, i);
      if (!cj.is_object()) {
        // A null entry decodes to an empty container in Go; keep the position either way.
        if (!cj.is_null()) wrong(cpath, cj, "an object");
        out.emplace_back();
        continue;
      }
      container c;
      str(cj, "name", cpath, c.name);
      opt_str(cj, "restartPolicy", cpath, c.restart_policy);
      if (const auto* ports = array(cj, "ports", cpath)) {
        const std::string ppath = join(cpath, "ports");
        c.ports.reserve(ports->size());
        for (std::size_t k = 0; k < ports->size(); ++k) {
          const auto& pj = (*ports)[k];
          container_port_spec p;
          if (pj.is_object()) {
            const std::string kpath = indexed(ppath, k);
            str(pj, "name", kpath, p.name);
            int32(pj, "containerPort", kpath, p.container_port);
            str(pj, "protocol", kpath, p.protocol);
            if (p.protocol.empty()) p.protocol = "TCP";  // the API server's default
          } else if (!pj.is_null()) {
            wrong(indexed(ppath, k), pj, "an object");
          }
          c.ports.push_back(std::move(p));
        }
      }
      out.push_back(std::move(c));
    }
  }

  void status(const nlohmann::json& st, pod& p) {
    const std::string path = "status";
    str(st, "phase", path, p.phase);
    str(st, "podIP", path, p.pod_ip);
    if (const auto* ips = array(st, "podIPs", path)) {
      const std::string ipath = join(path, "podIPs");
      for (std::size_t i = 0; i < ips->size(); ++i) {
        const auto& ij = (*ips)[i];
        std::string ip;
        if (ij.is_object()) str(ij, "ip", indexed(ipath, i), ip);
        else if (!ij.is_null()) wrong(indexed(ipath, i), ij, "an object");
        p.pod_ips.push_back(std::move(ip));
      }
    }
    if (const auto* conds = array(st, "conditions", path)) {
      const std::string cpath = join(path, "conditions");
      for (std::size_t i = 0; i < conds->size(); ++i) {
        const auto& cj = (*conds)[i];
        if (!cj.is_object()) {
          if (!cj.is_null()) wrong(indexed(cpath, i), cj, "an object");
          continue;
        }
        std::string type, value;
        str(cj, "type", indexed(cpath, i), type);
        str(cj, "status", indexed(cpath, i), value);
        // The first Ready condition counts, as upstream's GetPodCondition finds it.
        if (type == "Ready" && !p.ready_condition) p.ready_condition = std::move(value);
      }
    }
  }
};

}  // namespace detail

// The body of decode_pod(const nlohmann::json&), not a template.
namespace detail {
inline pod decode_pod_dom(const nlohmann::json& j) {
  if (!j.is_object()) detail::throw_error("", "a Pod must be a JSON object");
  detail::pod_json_reader r;
  pod p;
  if (const auto* kind = detail::pod_json_reader::child(j, "kind")) {
    if (!kind->is_string()) r.wrong("kind", *kind, "a string");
    else if (kind->get<std::string>() != "Pod") r.wrong("kind", *kind, "Pod");
  }
  r.meta(j, p.metadata);
  if (const auto* spec = r.object(j, "spec", "")) {
    r.str(*spec, "nodeName", "spec", p.node_name);
    r.str(*spec, "hostname", "spec", p.hostname);
    r.str(*spec, "subdomain", "spec", p.subdomain);
    r.containers(*spec, "containers", p.containers);
    r.containers(*spec, "initContainers", p.init_containers);
  }
  if (const auto* st = r.object(j, "status", "")) r.status(*st, p);
  if (!r.errors.empty()) detail::throw_error(std::move(r.errors));
  return p;
}
}  // namespace detail

/// Decode the pod view from a Pod object (docs/semantics.md#service-node-and-pod-views): metadata
/// (name, generateName, namespace, uid, resourceVersion, creation and deletion timestamps, labels,
/// annotations), spec.nodeName, spec.hostname, spec.subdomain, spec.containers and
/// spec.initContainers (name, restartPolicy, ports[].name/containerPort/protocol, protocol
/// defaulting to TCP), status.phase, status.podIP, status.podIPs[].ip and the status of the first
/// `Ready` condition. Other fields are accepted and ignored; `null` counts as absent. The value is only read, never walked
/// recursively, so any nesting is safe.
/// Throws epslice::error listing every problem (a needed field of the wrong JSON type, a `kind`
/// other than `Pod`), each with its field path, e.g.
/// `spec.containers[0].ports[1].containerPort: Invalid value: "http": must be a 32-bit integer`.
template <class Json>
  requires std::is_same_v<Json, nlohmann::json>
[[nodiscard]] pod decode_pod(const Json& j) {
  return detail::decode_pod_dom(j);
}

/// Decode the pod view from a raw object read by decode_document (see decode_pod(const
/// nlohmann::json&)). Throws epslice::error listing every problem, also when the raw text is not
/// JSON.
[[nodiscard]] inline pod decode_pod(const raw_object& o) {
  return decode_pod(detail::parse_dom(o.json, o.kind.empty() ? "object" : o.kind));
}

}  // namespace epslice
