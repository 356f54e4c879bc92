// SPDX-License-Identifier: Apache-2.0
// A proxy's side: feed a watch stream (as `kubectl get endpointslices --watch -o json
// --output-watch-events` prints it) into an endpoint cache, chunk by chunk, and read what changed
// and which endpoints a node should use, as kube-proxy selects them.
#include <epslice/epslice.hpp>

#include <iostream>
#include <string>
#include <string_view>

namespace {

std::string slice(const std::string& name, const std::string& ip, const std::string& node, bool ready) {
  return R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":")" + name +
         R"(","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4",)"
         R"("endpoints":[{"addresses":[")" + ip + R"("],"conditions":{"ready":)" + (ready ? "true" : "false") +
         R"(},"nodeName":")" + node + R"("}],"ports":[{"name":"http","protocol":"TCP","port":8080}]})";
}

std::string event(const char* type, const std::string& object) {
  return std::string(R"({"type":")") + type + R"(","object":)" + object + "}\n";
}

}  // namespace

int main() {
  const std::string stream = event("ADDED", slice("web-1", "10.1.0.1", "node-a", true)) +
                             event("ADDED", slice("web-2", "10.1.0.2", "node-b", true)) +
                             event("MODIFIED", slice("web-2", "10.1.0.2", "node-b", false)) +
                             event("ADDED", slice("web-3", "10.1.0.3", "node-a", true)) +
                             event("DELETED", slice("web-1", "10.1.0.1", "node-a", true));

  epslice::stream_decoder decoder;
  epslice::endpoint_cache_v4 cache;
  std::size_t applied = 0;
  // Bytes arrive in pieces of any size; every completed event is applied at once.
  for (std::size_t at = 0; at < stream.size(); at += 100) {
    decoder.feed(std::string_view(stream).substr(at, 100));
    while (auto e = decoder.next()) applied += cache.apply(*e) ? 1U : 0U;
  }
  decoder.finish();
  if (decoder.syntax_error()) return 1;

  // What changed since the last look: one line per service port.
  for (const auto& change : cache.checkout()) std::cout << "changed: " << change.name.to_string() << "\n";
  const epslice::service_port_name port{"shop", "web", "http", "TCP"};
  const auto all = cache.endpoints(port);
  for (const auto& e : all) std::cout << "  " << e.key() << (e.ready ? " ready" : " not ready") << " on " << e.node_name << "\n";

  // The endpoints node-a's proxy uses for this port (internalTrafficPolicy Cluster: the ready ones).
  const auto selected = cache.select(port, "node-a", "zone-a", epslice::traffic_policy{});
  std::cout << "node-a uses " << selected.cluster->size() << " endpoint(s)\n";

  // web-1 was deleted, web-2 is not ready: only 10.1.0.3 serves.
  const bool ok = applied == 5 && all.size() == 2 && selected.cluster && selected.cluster->size() == 1 &&
                  selected.cluster->front().key() == "10.1.0.3:8080" && !selected.local;
  return ok ? 0 : 1;
}
