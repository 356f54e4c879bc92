// SPDX-License-Identifier: Apache-2.0
// The objects of docs/scenarios.md#the-world, built field by field (independently of simulate.hpp),
// for the JSON tests (exact sizes) and the JSON benchmark.
#pragma once

#include <epslice/types.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace epslice_test {

/// One slice whose endpoint has a hostname, a targetRef with an unknown field, and hints: what
/// copies of decoded endpoints share.
inline constexpr std::string_view slice_with_references_json =
    R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s"},"addressType":"IPv4",)"
    R"("endpoints":[{"addresses":["10.0.0.1"],"hostname":"web-0","targetRef":{"kind":"Pod","namespace":"default","name":"web-0",)"
    R"("uid":"u-0","x":1},"hints":{"forZones":[{"name":"zone-a"}],"forNodes":[{"name":"n"}]}}],"ports":null})";

/// Whether a copy of `e` (which has a hostname, a targetRef and hints) equals it and shares those
/// three values with it instead of copying them.
inline bool copy_shares_values(const epslice::endpoint_v4& e) {
  const epslice::endpoint_v4 copy = e;
  return copy == e && &*copy.target_ref == &*e.target_ref && &*copy.hints == &*e.hints && &*copy.hostname == &*e.hostname;
}

inline std::string pod_ip(int i) {
  return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
}
inline std::string pod_uid(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012x", static_cast<unsigned>(i));
  return buf;
}
inline epslice::object_reference pod_ref(int i) {
  epslice::object_reference r;
  r.kind = "Pod";
  r.namespace_ = "default";
  r.name = "pod-" + std::to_string(i);
  r.uid = pod_uid(i);
  return r;
}

// The slice of pods 0..n-1 of docs/scenarios.md#the-world, as the controller writes it (n = 100:
// the 24,363-byte slice of docs/scenarios.md#sizes).
inline epslice::endpoint_slice_v4 world_slice(int n = 100) {
  epslice::endpoint_slice_v4 s;
  s.metadata.name = "svc-00000";
  s.metadata.generate_name = "svc-";
  s.metadata.namespace_ = "default";
  s.metadata.labels.emplace(std::string(epslice::well_known::service_name_label), "svc");
  s.metadata.labels.emplace(std::string(epslice::well_known::managed_by_label), std::string(epslice::well_known::endpointslice_controller));
  s.metadata.annotations.emplace(std::string(epslice::well_known::trigger_time_annotation), "2024-01-01T00:00:00Z");
  epslice::owner_reference o;
  o.api_version = "v1";
  o.kind = "Service";
  o.name = "svc";
  o.uid = "11111111-2222-4333-8444-555555555555";
  o.controller = true;
  o.block_owner_deletion = true;
  s.metadata.owner_references.push_back(o);
  static constexpr const char* zones[] = {"zone-a", "zone-b", "zone-c"};
  for (int i = 0; i < n; ++i) {
    epslice::endpoint_v4 e;
    e.addresses.push_back(*epslice::ipv4::parse(pod_ip(i)));
    e.conditions = epslice::endpoint_conditions{true, true, false};
    e.target_ref = pod_ref(i);
    e.node_name = "node-" + std::to_string(i % 100);
    e.zone = zones[(i % 100) % 3];
    s.endpoints.push_back(std::move(e));
  }
  epslice::endpoint_port p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 80;
  s.ports.push_back(p);
  return s;
}

// The legacy Endpoints object of pods 0..n-1 in one subset. The figures of docs/scenarios.md#sizes
// assume metadata {name, namespace} only; each address has ip, nodeName and targetRef.
inline epslice::endpoints world_endpoints(int n) {
  epslice::endpoints e;
  e.metadata.name = "svc";
  e.metadata.namespace_ = "default";
  epslice::endpoint_subset sub;
  for (int i = 0; i < n; ++i) {
    epslice::endpoint_address a;
    a.ip = pod_ip(i);
    a.node_name = "node-" + std::to_string(i % 100);
    a.target_ref = pod_ref(i);
    sub.addresses.push_back(std::move(a));
  }
  epslice::endpoints_port p;
  p.name = "http";
  p.port = 80;
  p.protocol = "TCP";
  sub.ports.push_back(p);
  e.subsets.push_back(std::move(sub));
  return e;
}

}  // namespace epslice_test
