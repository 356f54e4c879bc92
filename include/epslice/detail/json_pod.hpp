// SPDX-License-Identifier: Apache-2.0
// The pod view decoded from a Pod's JSON: the fields endpoint derivation reads, with field paths.
//
// Included by json.hpp (this header must not include it back). Decoding works on an nlohmann
// value: metadata, spec.nodeName/hostname/subdomain, containers and initContainers (name,
// restartPolicy, ports), status.phase/podIP/podIPs and the Ready condition. Everything else in the
// object is accepted and ignored; a needed field of the wrong JSON type is an error with its path,
// and every such problem is reported at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "../convert.hpp"
#include "../error.hpp"
#include "../types.hpp"
#include "json_reader.hpp"

namespace epslice {

namespace detail {

/// Reads the pod view out of an nlohmann value, collecting every problem. A JSON `null` counts as
/// absent, as it does for the API server's decoder.
class pod_json_reader {
 public:
  field_errors errors;

  [[nodiscard]] static const nlohmann::json* child(const nlohmann::json& j, std::string_view key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(std::string(key));
    if (it == j.end() || it->is_null()) return nullptr;
    return &*it;
  }

  [[nodiscard]] static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  [[nodiscard]] static std::string indexed(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  void wrong(const std::string& path, const nlohmann::json& v, std::string_view expected) {
    // dump() with `replace`: a value built in C++ may hold invalid UTF-8, which must not throw.
    errors.push_back(field_error{path, error_type::invalid,
                                 v.is_string() ? quote_value(v.get<std::string>())
                                               : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                 "must be " + std::string(expected)});
  }

  // The object at `key`, or nullptr (absent, null, or of the wrong type: then reported).
  const nlohmann::json* object(const nlohmann::json& j, std::string_view key, const std::string& path) {
    const auto* v = child(j, key);
    if (v && !v->is_object()) {
      wrong(join(path, key), *v, "an object");
      return nullptr;
    }
    return v;
  }

  // The array at `key`, or nullptr (absent, null, or of the wrong type: then reported).
  const nlohmann::json* array(const nlohmann::json& j, std::string_view key, const std::string& path) {
    const auto* v = child(j, key);
    if (v && !v->is_array()) {
      wrong(join(path, key), *v, "an array");
      return nullptr;
    }
    return v;
  }

  void str(const nlohmann::json& j, std::string_view key, const std::string& path, std::string& out) {
    if (const auto* v = child(j, key)) {
      if (v->is_string()) out = v->get<std::string>();
      else wrong(join(path, key), *v, "a string");
    }
  }

  void opt_str(const nlohmann::json& j, std::string_view key, const std::string& path,
               std::optional<std::string>& out) {
    if (const auto* v = child(j, key)) {
      if (v->is_string()) out = v->get<std::string>();
      else wrong(join(path, key), *v, "a string");
    }
  }

  void int32(const nlohmann::json& j, std::string_view key, const std::string& path, std::int32_t& out) {
    if (const auto* v = child(j, key)) {
      if (v->is_number_integer() && v->get<std::int64_t>() >= INT32_MIN && v->get<std::int64_t>() <= INT32_MAX &&
          !(v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT32_MAX)))
        out = static_cast<std::int32_t>(v->get<std::int64_t>());
      else
        wrong(join(path, key), *v, "a 32-bit integer");
    }
  }

  void map(const nlohmann::json& j, std::string_view key, const std::string& path, string_map& out) {
    if (const auto* v = child(j, key)) {
      if (!v->is_object()) return wrong(join(path, key), *v, "an object of strings");
      for (const auto& [k, x] : v->items()) {
        if (x.is_string()) out.insert_or_assign(k, x.get<std::string>());
        else wrong(join(path, key) + "." + k, x, "a string");
      }
    }
  }

  void meta(const nlohmann::json& j, object_meta& m) {
    const auto* md = object(j, "metadata", "");
    if (!md) return;
    const std::string path = "metadata";
    str(*md, "name", path, m.name);
    str(*md, "generateName", path, m.generate_name);
    str(*md, "namespace", path, m.namespace_);
    str(*md, "uid", path, m.uid);
    str(*md, "resourceVersion", path, m.resource_version);
    opt_str(*md, "creationTimestamp", path, m.creation_timestamp);
    opt_str(*md, "deletionTimestamp", path, m.deletion_timestamp);
    map(*md, "labels", path, m.labels);
    map(*md, "annotations", path, m.annotations);
  }

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

// The JSON of a raw object; raw objects can be built by hand, so their text may not be JSON.
inline nlohmann::json pod_json_of(const raw_object& o) {
  nlohmann::json j = nlohmann::json::parse(o.json, nullptr, false);
  if (j.is_discarded())
    throw_error("", "the JSON text of the " + (o.kind.empty() ? std::string("object") : o.kind) + " is not JSON");
  return j;
}

}  // namespace detail

/// Decode the pod view from a Pod object (k8s-semantics d): metadata (name, generateName,
/// namespace, uid, resourceVersion, creation and deletion timestamps, labels, annotations),
/// spec.nodeName, spec.hostname, spec.subdomain, spec.containers and spec.initContainers (name,
/// restartPolicy, ports[].name/containerPort/protocol, protocol defaulting to TCP), status.phase,
/// status.podIP, status.podIPs[].ip and the status of the first `Ready` condition. Other fields
/// are accepted and ignored; `null` counts as absent.
/// Throws epslice::error listing every problem (a needed field of the wrong JSON type, a `kind`
/// other than `Pod`), each with its field path, e.g.
/// `spec.containers[0].ports[1].containerPort: Invalid value: "http": must be a 32-bit integer`.
[[nodiscard]] inline pod decode_pod(const nlohmann::json& j) {
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

/// Decode the pod view from a raw object read by decode_document (see decode_pod(const
/// nlohmann::json&)). Throws epslice::error listing every problem, also when the raw text is not
/// JSON.
[[nodiscard]] inline pod decode_pod(const raw_object& o) { return decode_pod(detail::pod_json_of(o)); }

}  // namespace epslice
