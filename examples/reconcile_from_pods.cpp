// SPDX-License-Identifier: Apache-2.0
// From pods to EndpointSlice writes, as the EndpointSlice controller does it: derive a Service's
// desired endpoints from its pods and nodes, plan the slices, apply the plan, then see that a
// second sync writes nothing and that one pod turning not ready rewrites one slice.
#include <epslice/epslice.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace {

epslice::pod make_pod(int i) {
  const std::string n = std::to_string(i);
  return epslice::decode_pod(
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-)" + n + R"(","namespace":"shop","uid":"pod-)" + n +
      R"(","labels":{"app":"web"}},"spec":{"nodeName":"node-)" + (i % 2 ? std::string("b") : std::string("a")) +
      R"(","containers":[{"name":"web","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}]}]},)"
      R"("status":{"phase":"Running","podIPs":[{"ip":"10.1.)" + std::to_string(i / 200) + "." +
      std::to_string(i % 200 + 1) + R"("}],"conditions":[{"type":"Ready","status":"True"}]}})");
}

std::size_t writes(const epslice::any_slice_plan& p) { return p.create.size() + p.update.size() + p.remove.size(); }

}  // namespace

int main() {
  const epslice::service svc = epslice::decode_service(
      R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"shop","uid":"svc-web"},)"
      R"("spec":{"selector":{"app":"web"},"clusterIP":"10.96.0.10","ipFamilies":["IPv4"],)"
      R"("ports":[{"name":"http","port":80,"targetPort":"http","protocol":"TCP"}]}})");
  std::vector<epslice::node> nodes;
  for (const std::string zone : {"a", "b"})
    nodes.push_back(epslice::decode_node(R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"node-)" + zone +
                                         R"(","labels":{"topology.kubernetes.io/zone":"zone-)" + zone +
                                         R"("}},"status":{"allocatable":{"cpu":"4"},)"
                                         R"("conditions":[{"type":"Ready","status":"True"}]}})"));
  std::vector<epslice::pod> pods;
  for (int i = 0; i < 250; ++i) pods.push_back(make_pod(i));

  // 1. What the Service should serve: one group per port set, endpoints in pod order.
  const epslice::pod_desired_state derived = epslice::desired_state_from_pods(svc, pods, nodes);
  // 2. The writes that get there from no slice at all: 250 endpoints, at most 100 per slice.
  const epslice::any_slice_plan first = epslice::reconcile(derived.desired, {});
  std::cout << "first sync: " << first.create.size() << " slices to create\n";
  // 3. What the API server then holds (created slices named by generateName).
  const std::vector<epslice::any_endpoint_slice> cluster = epslice::apply(first, {});
  for (const auto& s : cluster)
    std::cout << "  " << epslice::metadata_of(s).name << ": "
              << std::get<epslice::endpoint_slice_v4>(s).endpoints.size() << " endpoints\n";
  // 4. Nothing changed: nothing to write.
  const epslice::any_slice_plan again = epslice::reconcile(derived.desired, cluster);
  std::cout << "second sync: " << writes(again) << " writes\n";
  // 5. One pod is no longer ready: only the slice holding it is rewritten.
  pods[7].ready_condition = "False";
  const auto changed = epslice::reconcile(epslice::desired_state_from_pods(svc, pods, nodes).desired, cluster);
  std::cout << "pod web-7 not ready: " << changed.update.size() << " slice updated, " << writes(changed)
            << " writes in all\n";

  const bool ok = derived.managed && derived.missing_node_pods.empty() && first.create.size() == 3 &&
                  cluster.size() == 3 && writes(again) == 0 && changed.update.size() == 1 && writes(changed) == 1;
  return ok ? 0 : 1;
}
