// SPDX-License-Identifier: Apache-2.0
// Topology-aware hints over a plan, as kube-controller-manager sets them: each zone gets a share
// of the endpoints in proportion to its nodes' allocatable CPU, and every ready endpoint in the
// slices to write is hinted for one zone.
#include <epslice/epslice.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace {

// Zone a has twice the CPU of zones b and c; the pods are spread evenly.
const char* const zones[] = {"a", "b", "c"};

epslice::node make_node(const std::string& zone, const char* cpu) {
  return epslice::decode_node(R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"node-)" + zone +
                              R"(","labels":{"topology.kubernetes.io/zone":"zone-)" + zone +
                              R"("}},"status":{"allocatable":{"cpu":")" + cpu +
                              R"("},"conditions":[{"type":"Ready","status":"True"}]}})");
}

epslice::pod make_pod(int i) {
  const std::string n = std::to_string(i);
  return epslice::decode_pod(
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"api-)" + n + R"(","namespace":"shop","uid":"pod-)" + n +
      R"(","labels":{"app":"api"}},"spec":{"nodeName":"node-)" + zones[i % 3] +
      R"(","containers":[{"name":"api","ports":[{"name":"grpc","containerPort":9090,"protocol":"TCP"}]}]},)"
      R"("status":{"phase":"Running","podIPs":[{"ip":"10.2.0.)" + std::to_string(i + 1) +
      R"("}],"conditions":[{"type":"Ready","status":"True"}]}})");
}

}  // namespace

int main() {
  const epslice::service svc = epslice::decode_service(
      R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"api","namespace":"shop","uid":"svc-api",)"
      R"("annotations":{"service.kubernetes.io/topology-mode":"Auto"}},)"
      R"("spec":{"selector":{"app":"api"},"clusterIP":"10.96.0.20","ipFamilies":["IPv4"],)"
      R"("ports":[{"name":"grpc","port":9090,"targetPort":9090,"protocol":"TCP"}]}})");
  const std::vector<epslice::node> nodes = {make_node("a", "8"), make_node("b", "4"), make_node("c", "4")};
  std::vector<epslice::pod> pods;
  for (int i = 0; i < 60; ++i) pods.push_back(make_pod(i));

  // The plan for the IPv4 slices of the Service, from no slice yet.
  epslice::pod_desired_state derived = epslice::desired_state_from_pods(svc, pods, nodes);
  epslice::slice_plan<epslice::ipv4> plan = epslice::reconcile(std::move(*derived.desired.ipv4_state), {});

  // Each zone's share of the CPU, then hints over the slices the plan writes.
  const epslice::zone_capacity capacity = epslice::compute_zone_capacity(nodes);
  const auto hinted = epslice::hint_plan<epslice::ipv4>(std::move(plan), {}, svc, capacity.ratios);
  if (hinted.unavailable) {
    std::cout << "no hints: " << hinted.unavailable->message << "\n";
    return 1;
  }
  for (const auto& [zone, count] : *hinted.hinted_by_zone)
    std::cout << zone << ": " << count << " endpoints hinted (cpu ratio " << capacity.ratios->at(zone) << ")\n";

  // Every ready endpoint is hinted for exactly one zone.
  std::size_t endpoints = 0, with_one_hint = 0;
  for (const auto& s : hinted.plan.create)
    for (const auto& e : s.endpoints) {
      ++endpoints;
      if (e.hints && e.hints->for_zones.size() == 1) ++with_one_hint;
    }
  std::cout << with_one_hint << " of " << endpoints << " endpoints carry a zone hint\n";
  // Zone a holds half of the CPU: it is given half of the 60 endpoints.
  const bool ok = endpoints == 60 && with_one_hint == 60 && hinted.hinted_by_zone->at("zone-a") == 30 &&
                  hinted.hinted_by_zone->at("zone-b") == 15 && hinted.hinted_by_zone->at("zone-c") == 15;
  return ok ? 0 : 1;
}
