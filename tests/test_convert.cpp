// SPDX-License-Identifier: Apache-2.0
// Tests of convert.hpp: pods to endpoints, repacking, truncation, mirroring, slices to Endpoints.
#include <catch2/catch.hpp>

#include <epslice/convert.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

using namespace epslice;

namespace {

// Upstream's reconciler test fixtures (docs/semantics.md#reconciler-test-fixtures): Service foo in
// test, selector foo=bar, IPv4, port foo:80->80.
service make_service() {
  service s;
  s.metadata.name = "foo";
  s.metadata.namespace_ = "test";
  s.metadata.uid = "test-foo";
  s.selector = string_map{{"foo", "bar"}};
  s.ip_families = {"IPv4"};
  service_port p;
  p.name = "foo";
  p.protocol = "TCP";
  p.port = 80;
  p.target_port = int_or_string{std::int32_t{80}};
  s.ports.push_back(p);
  return s;
}

pod make_pod(std::string name, std::vector<std::string> ips, bool ready, bool terminating = false) {
  pod p;
  p.metadata.name = std::move(name);
  p.metadata.namespace_ = "test";
  p.metadata.labels = {{"foo", "bar"}};
  p.node_name = "node-1";
  p.phase = "Running";
  if (!ips.empty()) p.pod_ip = ips.front();
  p.pod_ips = std::move(ips);
  p.ready_condition = ready ? "True" : "False";
  if (terminating) p.metadata.deletion_timestamp = "2024-01-01T00:00:00Z";
  return p;
}

node make_node(std::string name, std::string zone = {}) {
  node n;
  n.metadata.name = std::move(name);
  if (!zone.empty()) n.metadata.labels.emplace(std::string(well_known::zone_label), std::move(zone));
  n.ready = true;
  return n;
}

endpoint_port eport(std::string name, std::int32_t port, std::string protocol = "TCP",
                    std::optional<std::string> app = std::nullopt) {
  endpoint_port p;
  p.name = std::move(name);
  p.port = port;
  p.protocol = std::move(protocol);
  p.app_protocol = std::move(app);
  return p;
}

endpoints_port lport(std::int32_t port, std::string name = "", std::string protocol = "TCP") {
  endpoints_port p;
  p.name = std::move(name);
  p.port = port;
  p.protocol = std::move(protocol);
  return p;
}

endpoint_address addr(std::string ip, std::string uid = {}, std::string ref_name = {}) {
  endpoint_address a;
  a.ip = std::move(ip);
  if (!uid.empty() || !ref_name.empty()) {
    object_reference r;
    r.kind = "Pod";
    r.name = std::move(ref_name);
    r.uid = std::move(uid);
    a.target_ref = r;
  }
  return a;
}

endpoint_subset subset(std::vector<endpoint_address> ready, std::vector<endpoint_address> not_ready,
                       std::vector<endpoints_port> ports) {
  endpoint_subset s;
  s.addresses = std::move(ready);
  s.not_ready_addresses = std::move(not_ready);
  s.ports = std::move(ports);
  return s;
}

std::vector<std::string> texts(const address_list<ipv4_address>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.push_back(to_string(a));
  return out;
}

// Subsets compared as an unordered collection (docs/semantics.md#departure-repack-order).
bool same_subsets(std::vector<endpoint_subset> a, std::vector<endpoint_subset> b) {
  if (a.size() != b.size()) return false;
  for (const auto& s : a) {
    auto it = std::find(b.begin(), b.end(), s);
    if (it == b.end()) return false;
    b.erase(it);
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pods -> endpoints.

// Upstream TestPodToEndpoint (endpointslice/utils_test.go).
TEST_CASE("convert: pod to endpoint conditions and fields", "[convert]") {
  struct row {
    const char* name;
    bool ready;
    bool terminating;
    bool publish_not_ready;
    bool node_zone;
    std::vector<std::string> ips;
    bool hostname;
    bool want_ready, want_serving, want_terminating;
    std::vector<std::string> want_addresses;
  };
  const std::vector<row> rows = {
      {"ready pod", true, false, false, false, {"1.2.3.5"}, false, true, true, false, {"1.2.3.5"}},
      {"ready pod, publishNotReadyAddresses", true, false, true, false, {"1.2.3.5"}, false, true, true, false, {"1.2.3.5"}},
      {"unready pod", false, false, false, false, {"1.2.3.5"}, false, false, false, false, {"1.2.3.5"}},
      {"unready pod, publishNotReadyAddresses", false, false, true, false, {"1.2.3.5"}, false, true, false, false, {"1.2.3.5"}},
      {"ready pod, node labels", true, false, false, true, {"1.2.3.5"}, false, true, true, false, {"1.2.3.5"}},
      {"multi-IP pod, node labels", true, false, false, true, {"1.2.3.4", "1234::5678:0000:0000:9abc:def0"}, false, true, true, false, {"1.2.3.4"}},
      {"ready pod, hostname", true, false, false, true, {"1.2.3.5"}, true, true, true, false, {"1.2.3.5"}},
      {"ready terminating pod", true, true, false, false, {"1.2.3.5"}, false, false, true, true, {"1.2.3.5"}},
      {"not ready terminating pod", false, true, false, false, {"1.2.3.5"}, false, false, false, true, {"1.2.3.5"}},
      {"terminating pod, publishNotReadyAddresses", false, true, true, false, {"1.2.3.5"}, false, true, false, true, {"1.2.3.5"}},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      service svc = make_service();
      svc.publish_not_ready_addresses = r.publish_not_ready;
      pod p = make_pod("pod1", r.ips, r.ready, r.terminating);
      if (r.hostname) {
        p.hostname = "example-hostname";
        p.subdomain = "foo";
      }
      const node n = make_node("node-1", r.node_zone ? "us-central1-a" : "");
      const auto ep = pod_to_endpoint<ipv4>(p, &n, svc);
      CHECK(ep.conditions.ready == std::optional<bool>(r.want_ready));
      CHECK(ep.conditions.serving == std::optional<bool>(r.want_serving));
      CHECK(ep.conditions.terminating == std::optional<bool>(r.want_terminating));
      CHECK(texts(ep.addresses) == r.want_addresses);
      CHECK(ep.node_name == std::optional<std::string>("node-1"));
      CHECK(ep.zone == (r.node_zone ? std::optional<std::string>("us-central1-a") : std::nullopt));
      CHECK(ep.hostname == (r.hostname ? std::optional<std::string>("example-hostname") : std::nullopt));
      REQUIRE(ep.target_ref.has_value());
      object_reference want_ref;
      want_ref.kind = "Pod";
      want_ref.namespace_ = "test";
      want_ref.name = "pod1";
      CHECK(*ep.target_ref == want_ref);
      CHECK_FALSE(ep.hints.has_value());
    }
  }
}

TEST_CASE("convert: pod to endpoint by family, node and address text", "[convert]") {
  const service svc = make_service();
  pod p = make_pod("pod1", {"1.2.3.4", "1234::5678:0000:0000:9abc:def0"}, true);
  const auto v6 = pod_to_endpoint<ipv6>(p, std::optional<node>{}, svc);
  REQUIRE(v6.addresses.size() == 1);
  CHECK(to_string(v6.addresses[0]) == "1234::5678:0000:0000:9abc:def0");  // the pod's text, as upstream keeps it
  CHECK_FALSE(v6.zone.has_value());
  // status.podIP alone is not read; leading zeros read as decimal; mapped IPv6 counts as IPv4.
  p.pod_ips = {"010.001.002.003", "::ffff:5.6.7.8", "not-an-ip"};
  const auto v4 = pod_to_endpoint<ipv4>(p, nullptr, svc);
  CHECK(texts(v4.addresses) == std::vector<std::string>{"10.1.2.3", "5.6.7.8"});
  p.pod_ips.clear();
  CHECK(pod_to_endpoint<ipv4>(p, nullptr, svc).addresses.empty());
  // nodeName is nil when the pod has none.
  p.node_name.clear();
  CHECK_FALSE(pod_to_endpoint<ipv4>(p, nullptr, svc).node_name.has_value());
}

// Upstream TestGetEndpointPorts (endpointslice/utils_test.go).
TEST_CASE("convert: endpoint ports of a pod", "[convert]") {
  const auto sp = [](std::string name, std::int32_t port, int_or_string target,
                     std::optional<std::string> app = std::nullopt) {
    service_port p;
    p.name = std::move(name);
    p.port = port;
    p.target_port = std::move(target);
    p.app_protocol = std::move(app);
    return p;
  };
  const auto cport = [](std::string name, std::int32_t port) {
    container_port_spec c;
    c.name = std::move(name);
    c.container_port = port;
    return c;
  };
  container sidecar;
  sidecar.restart_policy = "Always";
  sidecar.ports = {cport("http-sidecar", 8080)};
  container sidecar_http = sidecar;
  sidecar_http.ports = {cport("http", 8080)};
  container app_http;
  app_http.ports = {cport("http", 8090)};
  container app_https;
  app_https.ports = {cport("https", 443)};
  struct row {
    const char* name;
    std::vector<service_port> ports;
    std::vector<container> containers, init;
    std::vector<endpoint_port> want;
  };
  const std::vector<row> rows = {
      {"app protocol", {sp("http", 80, std::int32_t{80}, "example.com/custom-protocol")}, {}, {},
       {eport("http", 80, "TCP", "example.com/custom-protocol")}},
      {"named port", {sp("http", 80, std::int32_t{80}), sp("https", 443, std::string("https"), "https")},
       {app_https}, {}, {eport("http", 80), eport("https", 443, "TCP", "https")}},
      {"sidecar ports", {sp("http-sidecar", 8080, std::int32_t{8080}), sp("http", 8090, std::string("http"))},
       {app_http}, {sidecar}, {eport("http-sidecar", 8080), eport("http", 8090)}},
      {"regular container wins", {sp("http", 80, std::string("http"))}, {app_http}, {sidecar_http},
       {eport("http", 8090)}},
      {"unresolved port left out", {sp("http", 80, std::string("nope")), sp("dns", 53, std::int32_t{53})}, {}, {},
       {eport("dns", 53)}},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      service svc = make_service();
      svc.ports = r.ports;
      pod p = make_pod("pod1", {"1.2.3.4"}, true);
      p.containers = r.containers;
      p.init_containers = r.init;
      CHECK(endpoint_ports_for_pod(svc, p) == r.want);
    }
  }
  SECTION("service without ports") {
    service svc = make_service();
    svc.ports.clear();
    svc.cluster_ip = "None";
    CHECK(endpoint_ports_for_pod(svc, make_pod("p", {"1.2.3.4"}, true)).empty());
  }
}

// Upstream TestFindPort (endpointslice/utils_test.go).
TEST_CASE("convert: find port", "[convert]") {
  const auto cp = [](std::string name, std::int32_t port, std::string protocol = "TCP") {
    container_port_spec c;
    c.name = std::move(name);
    c.container_port = port;
    c.protocol = std::move(protocol);
    return c;
  };
  const auto ctr = [](std::vector<container_port_spec> ports, std::optional<std::string> restart = std::nullopt) {
    container c;
    c.ports = std::move(ports);
    c.restart_policy = std::move(restart);
    return c;
  };
  struct row {
    const char* name;
    int_or_string target;
    std::vector<container> containers, init;
    std::optional<std::int32_t> want;
  };
  const std::vector<row> rows = {
      {"int, no ports", std::int32_t{93}, {ctr({})}, {}, 93},
      {"int, ports", std::int32_t{93}, {ctr({cp("", 11), cp("p", 22)})}, {}, 93},
      {"name, no ports", std::string("p"), {ctr({})}, {}, std::nullopt},
      {"name, found", std::string("q"), {ctr({cp("", 11, "UDP"), cp("p", 22), cp("q", 33)})}, {}, 33},
      {"name, found in 2nd container", std::string("q"), {ctr({}), ctr({cp("", 11, "UDP"), cp("p", 22), cp("q", 33)})}, {}, 33},
      {"name, same number as other", std::string("q"), {ctr({cp("", 11, "UDP"), cp("p", 22), cp("q", 22)})}, {}, 22},
      {"name, wrong protocol", std::string("a"), {ctr({cp("a", 11, "snmp")})}, {}, std::nullopt},
      {"name, negative number", std::string("a"), {ctr({cp("a", -1)})}, {}, -1},
      {"sidecar", std::string("a"), {}, {ctr({cp("a", 80)}, "Always")}, 80},
      {"init without restartPolicy", std::string("a"), {}, {ctr({cp("a", 80)})}, std::nullopt},
      {"init with restartPolicy Never", std::string("a"), {}, {ctr({cp("a", 80)}, "Never")}, std::nullopt},
      {"regular before sidecar", std::string("a"), {ctr({cp("a", 81)}), ctr({cp("a", 82)})}, {ctr({cp("a", 80)}, "Always")}, 81},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      pod p = make_pod("pod1", {"1.2.3.4"}, true);
      p.containers = r.containers;
      p.init_containers = r.init;
      service_port sp;
      sp.protocol = "TCP";
      sp.port = 1;
      sp.target_port = r.target;
      CHECK(find_port(p, sp) == r.want);
    }
  }
  SECTION("absent targetPort is the service port") {
    service_port sp;
    sp.port = 8443;
    CHECK(find_port(make_pod("p", {"1.2.3.4"}, true), sp) == std::optional<std::int32_t>(8443));
  }
}

// Upstream TestSupportedServiceAddressType (endpointslice/utils_test.go).
TEST_CASE("convert: service address types", "[convert]") {
  using at = address_type;
  struct row {
    const char* name;
    std::string cluster_ip;
    std::vector<std::string> families;
    std::vector<at> want;
  };
  const std::vector<row> rows = {
      {"clusterIP v4, no families", "10.0.0.10", {}, {at::ipv4}},
      {"clusterIP v6, no families", "2000::1", {}, {at::ipv6}},
      {"families IPv4", "", {"IPv4"}, {at::ipv4}},
      {"families IPv6", "", {"IPv6"}, {at::ipv6}},
      {"families IPv4, IPv6", "", {"IPv4", "IPv6"}, {at::ipv4, at::ipv6}},
      {"families IPv6, IPv4", "", {"IPv6", "IPv4"}, {at::ipv4, at::ipv6}},
      {"headless, no families", "None", {}, {at::ipv4, at::ipv6}},
      {"headless, dual families", "None", {"IPv4", "IPv6"}, {at::ipv4, at::ipv6}},
      {"no clusterIP, no families", "", {}, {at::ipv4, at::ipv6}},
      {"families win over clusterIP", "10.0.0.10", {"IPv6"}, {at::ipv6}},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      service svc = make_service();
      svc.cluster_ip = r.cluster_ip;
      svc.ip_families = r.families;
      CHECK(service_address_types(svc) == r.want);
      svc.selector.reset();  // with or without a selector
      CHECK(service_address_types(svc) == r.want);
    }
  }
}

// Upstream TestShouldPodBeInEndpoints (endpointslice/util/controller_utils_test.go).
TEST_CASE("convert: should pod be in endpoints", "[convert]") {
  struct row {
    const char* name;
    std::string phase;
    std::string pod_ip;
    std::vector<std::string> pod_ips;
    bool terminating;
    bool include_terminating;
    bool want;
  };
  const std::vector<row> rows = {
      {"failed", "Failed", "1.2.3.4", {"1.2.3.4"}, false, true, false},
      {"succeeded", "Succeeded", "1.2.3.4", {"1.2.3.4"}, false, true, false},
      {"running without IPs", "Running", "", {}, false, true, false},
      {"terminating, not included", "Running", "1.2.3.4", {"1.2.3.4"}, true, false, false},
      {"pending", "Pending", "1.2.3.4", {}, false, false, true},
      {"unknown", "Unknown", "1.2.3.4", {}, false, false, true},
      {"running", "Running", "1.2.3.4", {}, false, false, true},
      {"running with podIPs only", "Running", "", {"1.2.3.4", "2001:db8::1"}, false, false, true},
      {"terminating, included", "Running", "1.2.3.4", {"1.2.3.4"}, true, true, true},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      pod p = make_pod("p", {}, true, r.terminating);
      p.phase = r.phase;
      p.pod_ip = r.pod_ip;
      p.pod_ips = r.pod_ips;
      CHECK(should_pod_be_in_endpoints(p, r.include_terminating) == r.want);
    }
  }
}

// Upstream TestShouldSetHostname (endpointslice/util/controller_utils_test.go).
TEST_CASE("convert: should set hostname", "[convert]") {
  struct row {
    const char* name;
    std::string pod_ns, hostname, subdomain;
    bool want;
  };
  const std::vector<row> rows = {
      {"all match", "ns", "foo", "svc-name", true},
      {"empty hostname", "ns", "", "svc-name", false},
      {"other subdomain", "ns", "foo", "other", false},
      {"other namespace", "other", "foo", "svc-name", false},
  };
  service svc;
  svc.metadata.name = "svc-name";
  svc.metadata.namespace_ = "ns";
  for (const auto& r : rows) {
    SECTION(r.name) {
      pod p;
      p.metadata.namespace_ = r.pod_ns;
      p.hostname = r.hostname;
      p.subdomain = r.subdomain;
      CHECK(should_set_hostname(p, svc) == r.want);
    }
  }
}

TEST_CASE("convert: endpoints from pods with selector, missing nodes and port groups", "[convert]") {
  service svc = make_service();
  const std::vector<node> nodes = {make_node("node-1", "zone-a")};
  pod on_node = make_pod("a", {"10.0.0.1"}, true);
  pod lost = make_pod("b", {"10.0.0.2"}, true);
  lost.node_name = "node-gone";
  pod other_label = make_pod("c", {"10.0.0.3"}, true);
  other_label.metadata.labels = {{"foo", "baz"}};
  pod other_ns = make_pod("d", {"10.0.0.4"}, true);
  other_ns.metadata.namespace_ = "elsewhere";
  pod v6_only = make_pod("e", {"2001:db8::5"}, true);
  pod failed = make_pod("f", {"10.0.0.6"}, true);
  failed.phase = "Failed";
  const std::vector<pod> pods = {on_node, lost, other_label, other_ns, v6_only, failed};

  SECTION("missing node skipped and reported") {
    const auto r = endpoints_from_pods<ipv4>(svc, pods, nodes);
    REQUIRE(r.endpoints.size() == 1);
    CHECK(texts(r.endpoints[0].endpoint.addresses) == std::vector<std::string>{"10.0.0.1"});
    CHECK(r.endpoints[0].endpoint.zone == std::optional<std::string>("zone-a"));
    CHECK(r.ports_of(r.endpoints[0]) == std::vector<endpoint_port>{eport("foo", 80)});
    CHECK(r.port_lists == std::vector<std::vector<endpoint_port>>{{eport("foo", 80)}});
    CHECK(r.missing_node_pods == std::vector<std::string>{"test/b"});
    CHECK(r.empty_port_groups.empty());  // the port group has an endpoint
  }
  SECTION("publishNotReadyAddresses keeps a pod whose node is missing, without zone") {
    svc.publish_not_ready_addresses = true;
    const auto r = endpoints_from_pods<ipv4>(svc, pods, nodes);
    REQUIRE(r.endpoints.size() == 2);
    CHECK(texts(r.endpoints[1].endpoint.addresses) == std::vector<std::string>{"10.0.0.2"});
    CHECK_FALSE(r.endpoints[1].endpoint.zone.has_value());
    CHECK(r.missing_node_pods.empty());
  }
  SECTION("a port group with no endpoint is still reported") {
    pod named = make_pod("g", {"10.0.0.7"}, true);
    container c;
    container_port_spec cp;
    cp.name = "web";
    cp.container_port = 8080;
    c.ports = {cp};
    named.containers = {c};
    named.node_name = "node-gone";
    svc.ports[0].target_port = int_or_string{std::string("web")};
    const std::vector<pod> two = {on_node, named};
    const auto r = endpoints_from_pods<ipv4>(svc, two, nodes);
    // "web" does not resolve on pod a: its endpoint has no ports; pod g has no node, its group
    // (foo:8080) is desired without endpoints.
    REQUIRE(r.endpoints.size() == 1);
    CHECK(r.ports_of(r.endpoints[0]).empty());
    // Both resolved port lists, in pod order; the endpoint names the first.
    CHECK(r.endpoints[0].port_list == 0);
    CHECK(r.port_lists == std::vector<std::vector<endpoint_port>>{{}, {eport("foo", 8080)}});
    CHECK(r.empty_port_groups == std::vector<std::vector<endpoint_port>>{{eport("foo", 8080)}});
    CHECK(r.missing_node_pods == std::vector<std::string>{"test/g"});
    const auto r6 = endpoints_from_pods<ipv6>(svc, two, nodes);
    CHECK(r6.endpoints.empty());
    // ... pod a has no IPv6 address and pod g no node: both groups exist without endpoints.
    REQUIRE(r6.empty_port_groups.size() == 2);
    CHECK(r6.empty_port_groups[0].empty());
    CHECK(r6.empty_port_groups[1] == std::vector<endpoint_port>{eport("foo", 8080)});
  }
  SECTION("IPv6 family") {
    const auto r = endpoints_from_pods<ipv6>(svc, pods, nodes);
    REQUIRE(r.endpoints.size() == 1);
    CHECK(to_string(r.endpoints[0].endpoint.addresses[0]) == "2001:db8::5");
  }
  SECTION("ExternalName and selector-less services give nothing") {
    service ext = svc;
    ext.type = "ExternalName";
    CHECK(endpoints_from_pods<ipv4>(ext, pods, nodes).endpoints.empty());
    service manual = svc;
    manual.selector.reset();
    CHECK(endpoints_from_pods<ipv4>(manual, pods, nodes).endpoints.empty());
    service all = svc;
    all.selector = string_map{};  // empty selector: every pod of the namespace
    CHECK(endpoints_from_pods<ipv4>(all, pods, nodes).endpoints.size() == 2);
  }
}

TEST_CASE("convert: pod endpoint skip reasons", "[convert]") {
  const service svc = make_service();
  const node n = make_node("node-1");
  pod p = make_pod("p", {"10.0.0.1"}, true);
  CHECK(pod_endpoint<ipv4>(p, &n, svc).included());
  CHECK(pod_endpoint<ipv4>(p, nullptr, svc).skipped == pod_skip_reason::node_missing);
  CHECK(pod_endpoint<ipv4>(p, nullptr, svc).ports == std::vector<endpoint_port>{eport("foo", 80)});
  CHECK(pod_endpoint<ipv6>(p, &n, svc).skipped == pod_skip_reason::no_address);
  p.phase = "Succeeded";
  const auto r = pod_endpoint<ipv4>(p, &n, svc);
  CHECK(r.skipped == pod_skip_reason::not_in_endpoints);
  CHECK(r.ports.empty());
}

// ---------------------------------------------------------------------------------------------
// Repacking and truncation.

// Upstream TestPackSubsets (pkg/api/v1/endpoints/util_test.go).
TEST_CASE("convert: repack subsets", "[convert]") {
  struct row {
    const char* name;
    std::vector<endpoint_subset> given, want;
  };
  const auto a = [](const char* ip) { return addr(ip); };
  const std::vector<row> rows = {
      {"empty", {subset({}, {}, {})}, {}},
      {"no addresses", {subset({}, {}, {lport(111)})}, {}},
      {"one ready", {subset({a("1.2.3.4")}, {}, {lport(111)})}, {subset({a("1.2.3.4")}, {}, {lport(111)})}},
      {"ready and not ready in one subset", {subset({a("1.2.3.4")}, {a("1.2.3.4")}, {lport(111)})},
       {subset({}, {a("1.2.3.4")}, {lport(111)})}},
      {"duplicate address", {subset({a("1.2.3.4"), a("1.2.3.4")}, {}, {lport(111)})},
       {subset({a("1.2.3.4")}, {}, {lport(111)})}},
      {"same ip, refs without uid: first kept",
       {subset({addr("1.2.3.4", "", "foo"), addr("1.2.3.4", "", "bar")}, {}, {lport(111)})},
       {subset({addr("1.2.3.4", "", "foo")}, {}, {lport(111)})}},
      {"first copy kept, not ready wins",
       {subset({addr("1.2.3.4", "", "foo")}, {addr("1.2.3.4", "", "bar")}, {lport(111)})},
       {subset({}, {addr("1.2.3.4", "", "foo")}, {lport(111)})}},
      {"duplicate port", {subset({a("1.2.3.4")}, {}, {lport(111), lport(111)})},
       {subset({a("1.2.3.4")}, {}, {lport(111)})}},
      {"ready and not ready across subsets",
       {subset({a("1.2.3.4")}, {}, {lport(111)}), subset({}, {a("1.2.3.4")}, {lport(111)})},
       {subset({}, {a("1.2.3.4")}, {lport(111)})}},
      {"ports merged",
       {subset({a("1.2.3.4")}, {}, {lport(111)}), subset({a("1.2.3.4")}, {}, {lport(222)})},
       {subset({a("1.2.3.4")}, {}, {lport(111), lport(222)})}},
      {"readiness differs per port",
       {subset({addr("1.2.3.4", "uid-1")}, {}, {lport(111)}), subset({}, {addr("1.2.3.4", "uid-1")}, {lport(222)})},
       {subset({addr("1.2.3.4", "uid-1")}, {}, {lport(111)}), subset({}, {addr("1.2.3.4", "uid-1")}, {lport(222)})}},
      {"same ip, different uids",
       {subset({addr("1.2.3.4", "uid-1")}, {}, {lport(111)}), subset({addr("1.2.3.4", "uid-2")}, {}, {lport(111)})},
       {subset({addr("1.2.3.4", "uid-1"), addr("1.2.3.4", "uid-2")}, {}, {lport(111)})}},
      {"disjoint", {subset({a("1.2.3.4")}, {}, {lport(111)}), subset({a("5.6.7.8")}, {}, {lport(222)})},
       {subset({a("1.2.3.4")}, {}, {lport(111)}), subset({a("5.6.7.8")}, {}, {lport(222)})}},
      {"four into two",
       {subset({a("1.2.3.4")}, {}, {lport(111)}), subset({a("1.2.3.5")}, {}, {lport(222)}),
        subset({a("1.2.3.6")}, {}, {lport(111)}), subset({a("1.2.3.5")}, {}, {lport(333)})},
       {subset({a("1.2.3.4"), a("1.2.3.6")}, {}, {lport(111)}), subset({a("1.2.3.5")}, {}, {lport(222), lport(333)})}},
      {"uid ordering",
       {subset({a("5.6.7.8")}, {}, {lport(111)}), subset({}, {addr("5.6.7.8", "uid-1")}, {lport(111)}),
        subset({}, {addr("1.2.3.4", "uid-1")}, {lport(111)}), subset({}, {a("1.2.3.4")}, {lport(111)})},
       {subset({a("5.6.7.8")}, {a("1.2.3.4"), addr("1.2.3.4", "uid-1"), addr("5.6.7.8", "uid-1")}, {lport(111)})}},
      {"port-less subset kept", {subset({a("1.2.3.4")}, {}, {})}, {subset({a("1.2.3.4")}, {}, {})}},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      const auto got = repack_subsets(r.given);
      CHECK(same_subsets(got, r.want));
      // Addresses come out sorted exactly as listed in the expectation.
      for (const auto& s : got) {
        CHECK(std::is_sorted(s.addresses.begin(), s.addresses.end(), detail::endpoint_address_less));
        CHECK(std::is_sorted(s.not_ready_addresses.begin(), s.not_ready_addresses.end(),
                             detail::endpoint_address_less));
      }
    }
  }
}

TEST_CASE("convert: repack order is documented and independent of input order", "[convert]") {
  const std::vector<endpoint_subset> given = {
      subset({addr("10.0.0.10")}, {}, {lport(333, "c")}),
      subset({addr("10.0.0.2")}, {}, {lport(111, "a", "UDP")}),
      subset({addr("10.0.0.9")}, {}, {}),
      subset({addr("10.0.0.2")}, {}, {lport(111, "a", "TCP")}),
  };
  const auto got = repack_subsets(given);
  REQUIRE(got.size() == 3);
  CHECK(got[0].ports.empty());  // port-less first
  CHECK(got[0].addresses == std::vector<endpoint_address>{addr("10.0.0.9")});
  CHECK(got[1].ports == std::vector<endpoints_port>{lport(111, "a", "TCP"), lport(111, "a", "UDP")});
  CHECK(got[2].ports == std::vector<endpoints_port>{lport(333, "c")});
  std::vector<endpoint_subset> reversed(given.rbegin(), given.rend());
  CHECK(repack_subsets(reversed) == got);
  // IP text order is byte-wise, as upstream: "10.0.0.10" before "10.0.0.2".
  const auto one = repack_subsets(std::vector<endpoint_subset>{
      subset({addr("10.0.0.2"), addr("10.0.0.10")}, {}, {lport(1)})});
  CHECK(one[0].addresses == std::vector<endpoint_address>{addr("10.0.0.10"), addr("10.0.0.2")});
}

// Upstream TestTruncateEndpoints (pkg/controller/endpoint/endpoints_controller_test.go).
TEST_CASE("convert: truncate endpoints", "[convert]") {
  struct row {
    const char* name;
    std::vector<std::size_t> ready, not_ready, want_ready, want_not_ready;
    bool want_truncated;
  };
  const std::vector<row> rows = {
      {"empty", {}, {}, {}, {}, false},
      {"under capacity", {50, 100, 100, 100, 100}, {50, 100, 100, 100, 100},
       {50, 100, 100, 100, 100}, {50, 100, 100, 100, 100}, false},
      {"exactly at capacity", {100, 100, 100, 100, 100}, {100, 100, 100, 100, 100},
       {100, 100, 100, 100, 100}, {100, 100, 100, 100, 100}, false},
      {"not ready truncated", {90, 110, 50, 10, 20}, {101, 200, 200, 201, 298},
       {90, 110, 50, 10, 20}, {73, 144, 144, 145, 214}, true},
      {"ready truncated", {205, 400, 402, 400, 693}, {100, 200, 200, 200, 300},
       {98, 191, 192, 191, 328}, {0, 0, 0, 0, 0}, true},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      endpoints ep;
      std::uint32_t next = 0x0a000000;
      const auto make = [&](std::size_t n) {
        std::vector<endpoint_address> v;
        for (std::size_t i = 0; i < n; ++i) v.push_back(addr(to_string(ipv4_address::from_uint(next++))));
        return v;
      };
      for (std::size_t i = 0; i < r.ready.size(); ++i)
        ep.subsets.push_back(subset(make(r.ready[i]), make(r.not_ready[i]), {lport(80)}));
      const endpoints before = ep;
      CHECK(truncate_endpoints(ep) == r.want_truncated);
      REQUIRE(ep.subsets.size() == r.ready.size());
      for (std::size_t i = 0; i < ep.subsets.size(); ++i) {
        CHECK(ep.subsets[i].addresses.size() == r.want_ready[i]);
        CHECK(ep.subsets[i].not_ready_addresses.size() == r.want_not_ready[i]);
        // The first addresses of each list are the ones kept.
        CHECK(std::equal(ep.subsets[i].addresses.begin(), ep.subsets[i].addresses.end(),
                         before.subsets[i].addresses.begin()));
        CHECK(std::equal(ep.subsets[i].not_ready_addresses.begin(), ep.subsets[i].not_ready_addresses.end(),
                         before.subsets[i].not_ready_addresses.begin()));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Slices -> Endpoints.

// Upstream TestSyncServiceAddresses (pkg/controller/endpoint/endpoints_controller_test.go).
TEST_CASE("convert: slices to endpoints address shape per pod state", "[convert]") {
  struct row {
    const char* phase;
    bool ready, terminating, publish;
    std::size_t want_ready, want_not_ready;
  };
  const std::vector<row> rows = {
      {"Running", true, false, false, 1, 0}, {"Running", true, true, false, 0, 0},
      {"Unknown", true, false, false, 1, 0}, {"Unknown", true, true, false, 0, 0},
      {"Pending", true, false, false, 1, 0}, {"Pending", true, true, false, 0, 0},
      {"Unknown", false, false, false, 0, 1}, {"Pending", false, false, false, 0, 1},
      {"Failed", false, false, false, 0, 0}, {"Succeeded", false, false, false, 0, 0},
      {"Running", false, false, true, 1, 0}, {"Running", false, true, true, 1, 0},
      {"Unknown", false, false, true, 1, 0}, {"Unknown", false, true, true, 1, 0},
      {"Pending", false, false, true, 1, 0}, {"Pending", false, true, true, 1, 0},
      {"Failed", false, false, true, 0, 0}, {"Succeeded", false, false, true, 0, 0},
  };
  for (const auto& r : rows) {
    DYNAMIC_SECTION(r.phase << " ready=" << r.ready << " terminating=" << r.terminating
                            << " publish=" << r.publish) {
      service svc = make_service();
      svc.cluster_ip = "1.1.1.1";
      svc.publish_not_ready_addresses = r.publish;
      pod p = make_pod("pod0", {"10.1.1.1"}, r.ready, r.terminating);
      p.phase = r.phase;
      const std::vector<node> nodes = {make_node("node-1")};
      const auto desired = endpoints_from_pods<ipv4>(svc, std::vector<pod>{p}, nodes);
      endpoint_slice_v4 slice;
      slice.metadata.namespace_ = "test";
      slice.metadata.labels = {{std::string(well_known::service_name_label), "foo"}};
      slice.ports = {eport("foo", 80)};
      for (const auto& e : desired.endpoints) slice.endpoints.push_back(e.endpoint);
      const auto proj = slices_to_endpoints(std::vector<endpoint_slice_v4>{slice}, {}, &svc);
      std::size_t ready = 0, not_ready = 0;
      for (const auto& s : proj.object.subsets) {
        ready += s.addresses.size();
        not_ready += s.not_ready_addresses.size();
        for (const auto& a : s.addresses) CHECK(a.ip == "10.1.1.1");
        for (const auto& a : s.not_ready_addresses) CHECK(a.ip == "10.1.1.1");
        if (!s.addresses.empty() || !s.not_ready_addresses.empty())
          CHECK(s.ports == std::vector<endpoints_port>{lport(80, "foo")});
      }
      CHECK(ready == r.want_ready);
      CHECK(not_ready == r.want_not_ready);
      CHECK_FALSE(proj.truncated);
    }
  }
}

TEST_CASE("convert: slices to endpoints metadata, family and truncation", "[convert]") {
  service svc = make_service();
  svc.metadata.labels = {{"app", "web"}};
  const auto make_slice4 = [](std::size_t n, std::uint32_t base, bool ready) {
    endpoint_slice_v4 s;
    s.metadata.namespace_ = "test";
    s.metadata.labels = {{std::string(well_known::service_name_label), "foo"},
                         {std::string(well_known::managed_by_label), std::string(well_known::endpointslice_controller)},
                         {std::string(well_known::headless_label), ""},
                         {"app", "web"}};
    s.ports = {eport("foo", 80)};
    for (std::size_t i = 0; i < n; ++i) {
      endpoint_v4 e;
      e.addresses.push_back(ipv4_address::from_uint(base + static_cast<std::uint32_t>(i)));
      e.conditions.ready = ready;
      s.endpoints.push_back(e);
    }
    return s;
  };
  endpoint_slice_v6 s6;
  s6.metadata.namespace_ = "test";
  s6.metadata.labels = {{std::string(well_known::service_name_label), "foo"}};
  endpoint_v6 e6;
  e6.addresses.push_back(*parse_ipv6("2001:db8::1"));
  s6.endpoints.push_back(e6);
  const std::vector<endpoint_slice_v6> v6s = {s6};

  SECTION("labels from the Service, headless label by cluster IP") {
    const std::vector<endpoint_slice_v4> v4s = {make_slice4(2, 0x0a000001, true)};
    const auto proj = slices_to_endpoints(v4s, v6s, &svc);
    CHECK(proj.family == address_type::ipv4);
    CHECK(proj.object.metadata.name == "foo");
    CHECK(proj.object.metadata.namespace_ == "test");
    CHECK(proj.object.metadata.labels == string_map{{"app", "web"}, {std::string(well_known::headless_label), ""}});
    CHECK(proj.object.metadata.annotations.empty());
    svc.cluster_ip = "10.96.0.1";
    svc.metadata.labels.emplace(std::string(well_known::headless_label), "");
    CHECK(slices_to_endpoints(v4s, v6s, &svc).object.metadata.labels == string_map{{"app", "web"}});
  }
  SECTION("without a Service view") {
    const std::vector<endpoint_slice_v4> v4s = {make_slice4(1, 0x0a000001, true)};
    const auto proj = slices_to_endpoints(v4s, v6s);
    CHECK(proj.object.metadata.name == "foo");
    CHECK(proj.object.metadata.labels == string_map{{"app", "web"}, {std::string(well_known::headless_label), ""}});
  }
  SECTION("IPv6 when there is no IPv4 slice, or when chosen") {
    auto proj = slices_to_endpoints({}, v6s);
    CHECK(proj.family == address_type::ipv6);
    REQUIRE(proj.object.subsets.size() == 1);
    CHECK(proj.object.subsets[0].addresses == std::vector<endpoint_address>{addr("2001:db8::1")});
    const std::vector<endpoint_slice_v4> v4s = {make_slice4(1, 0x0a000001, true)};
    proj = slices_to_endpoints(v4s, v6s, nullptr, {address_type::ipv6});
    CHECK(proj.family == address_type::ipv6);
    CHECK(proj.object.subsets[0].addresses[0].ip == "2001:db8::1");
  }
  SECTION("over capacity: truncated and annotated") {
    const std::vector<endpoint_slice_v4> v4s = {make_slice4(700, 0x0a000000, true),
                                                make_slice4(500, 0x0b000000, false)};
    const auto proj = slices_to_endpoints(v4s, {}, &svc);
    CHECK(proj.truncated);
    CHECK(proj.object.metadata.annotations ==
          string_map{{std::string(well_known::over_capacity_annotation), "truncated"}});
    std::size_t ready = 0, not_ready = 0;
    for (const auto& s : proj.object.subsets) {
      ready += s.addresses.size();
      not_ready += s.not_ready_addresses.size();
    }
    CHECK(ready == 700);
    CHECK(not_ready == 300);
  }
  SECTION("port-less slices count only for a headless Service without ports") {
    auto s = make_slice4(1, 0x0a000001, true);
    s.ports.clear();
    const std::vector<endpoint_slice_v4> v4s = {s};
    CHECK(slices_to_endpoints(v4s, {}, &svc).object.subsets.empty());
    svc.ports.clear();
    CHECK(slices_to_endpoints(v4s, {}, &svc).object.subsets.empty());  // clusterIP "" is not "None"
    svc.cluster_ip = "None";
    const auto proj = slices_to_endpoints(v4s, {}, &svc);
    REQUIRE(proj.object.subsets.size() == 1);
    CHECK(proj.object.subsets[0].ports.empty());
    CHECK(proj.object.subsets[0].addresses.size() == 1);
    CHECK(slices_to_endpoints(v4s, {}).object.subsets.size() == 1);  // no view: kept
  }
}

// ---------------------------------------------------------------------------------------------
// Mirroring.

TEST_CASE("convert: which Endpoints are mirrored", "[convert]") {
  endpoints ep;
  ep.metadata.name = "test-ep";
  ep.metadata.namespace_ = "test";
  service svc;
  svc.metadata.name = "test-ep";
  svc.metadata.namespace_ = "test";
  CHECK(should_mirror(ep, &svc) == mirror_decision::mirror);
  CHECK(should_mirror(ep, nullptr) == mirror_decision::no_service);
  service other = svc;
  other.metadata.namespace_ = "other";
  CHECK(should_mirror(ep, &other) == mirror_decision::no_service);
  service with_selector = svc;
  with_selector.selector = string_map{};
  CHECK(should_mirror(ep, &with_selector) == mirror_decision::service_has_selector);
  endpoints skip = ep;
  skip.metadata.labels.emplace(std::string(well_known::skip_mirror_label), "true");
  CHECK(should_mirror(skip) == mirror_decision::skip_mirror_label);
  CHECK(should_mirror(skip, &svc) == mirror_decision::skip_mirror_label);
  skip.metadata.labels[std::string(well_known::skip_mirror_label)] = "True";  // exactly "true" only
  CHECK(should_mirror(skip) == mirror_decision::mirror);
  endpoints leader = ep;
  leader.metadata.annotations.emplace(std::string(well_known::leader_annotation), "{}");
  CHECK(should_mirror(leader, &svc) == mirror_decision::leader_election);
}

// Upstream TestReconcile (pkg/controller/endpointslicemirroring/reconciler_test.go).
TEST_CASE("convert: mirrored slice counts", "[convert]") {
  const auto p80 = lport(80, "http");
  const auto p443 = lport(443, "https");
  const auto p443udp = lport(443, "https", "UDP");
  const auto p3000 = lport(3000, "foo");
  const auto p3001 = lport(3001, "bar");
  const auto a = [](const char* ip) { return addr(ip); };
  struct row {
    const char* name;
    std::vector<endpoint_subset> subsets;
    std::size_t max_per_subset;
    std::size_t want_v4, want_v6, want_endpoints, want_skipped, want_invalid;
  };
  const std::vector<row> rows = {
      {"no subsets", {}, 1000, 0, 0, 0, 0, 0},
      {"no addresses", {subset({}, {}, {p80})}, 1000, 0, 0, 0, 0, 0},
      {"1 subset, port, address", {subset({addr("10.0.0.1", "", "pod-1")}, {}, {p80})}, 1000, 1, 0, 1, 0, 0},
      {"2 subsets, different port and address",
       {subset({a("10.0.0.1")}, {}, {p80}), subset({a("10.0.0.2")}, {}, {p443})}, 1000, 2, 0, 2, 0, 0},
      {"2 subsets, different port, same address",
       {subset({a("10.0.0.1")}, {}, {p80}), subset({a("10.0.0.1")}, {}, {p443})}, 1000, 1, 0, 1, 0, 0},
      {"2 subsets, different address, same port",
       {subset({a("10.0.0.1")}, {}, {p80}), subset({a("10.0.0.2")}, {}, {p80})}, 1000, 1, 0, 2, 0, 0},
      {"1 subset, 2 ports, 2 ready", {subset({a("10.0.0.1"), a("10.0.0.2")}, {}, {p80, p443udp})}, 1000, 1, 0, 2, 0, 0},
      {"1 subset, 2 ports, 2 not ready", {subset({}, {a("10.0.0.1"), a("10.0.0.2")}, {p80, p443udp})}, 1000, 1, 0, 2, 0, 0},
      {"1 subset, 2 ready, 2 not ready",
       {subset({a("10.0.0.1"), a("10.0.0.2")}, {a("10.0.0.3"), a("10.0.0.4")}, {p80, p443udp})}, 1000, 1, 0, 4, 0, 0},
      {"2 subsets, 2 and 3 addresses",
       {subset({a("10.0.0.1"), a("10.0.0.2")}, {}, {p80, p443}),
        subset({a("10.0.1.1"), a("10.0.1.2"), a("10.0.1.3")}, {}, {p3000, p3001})}, 1000, 2, 0, 5, 0, 0},
      {"dual-stack addresses",
       {subset({a("2001:db8:2222:3333:4444:5555:6666:7777"), a("10.0.0.2")}, {}, {p80, p443}),
        subset({a("10.0.1.1"), a("10.0.1.2"), a("2001:db8:3333:4444:5555:6666:7777:8888")}, {}, {p3000, p3001})},
       1000, 2, 2, 5, 0, 0},
      {"IPv6 only",
       {subset({a("2001:db8::1"), a("2001:db8::2")}, {}, {p80, p443}),
        subset({a("2001:db8::3"), a("2001:db8::4"), a("2001:db8::5")}, {}, {p3000, p3001})}, 1000, 0, 2, 5, 0, 0},
      {"some invalid addresses",
       {subset({a("2001:db8::1"), a("this-is-not-an-ip")}, {}, {p80, p443}),
        subset({a("this-is-also-not-an-ip"), a("2001:db8::4"), a("2001:db8::5")}, {}, {p3000, p3001})},
       1000, 0, 2, 3, 2, 2},
      {"all invalid",
       {subset({a("this-is-not-an-ip"), a("this-is-also-not-an-ip")}, {}, {p80, p443}),
        subset({a("not-an-ip"), a("nor-this"), a("nor-that")}, {}, {p3000, p3001})}, 1000, 0, 0, 0, 5, 5},
      {"max 2 per subset",
       {subset({a("10.0.0.1"), a("10.0.0.2")}, {}, {p80, p443}),
        subset({a("10.0.1.1"), a("10.0.1.2"), a("10.0.1.3")}, {}, {p3000, p3001})}, 2, 2, 0, 4, 1, 0},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      endpoints ep;
      ep.metadata.name = "test-ep";
      ep.metadata.namespace_ = "test";
      ep.subsets = r.subsets;
      mirroring_options opt;
      opt.max_endpoints_per_subset = r.max_per_subset;
      const auto m = mirror_endpoints(ep, opt);
      CHECK(m.ipv4.size() == r.want_v4);
      CHECK(m.ipv6.size() == r.want_v6);
      std::size_t n = 0;
      for (const auto& s : m.ipv4) {
        n += s.endpoints.size();
        CHECK(s.endpoints.size() <= r.max_per_subset);
      }
      for (const auto& s : m.ipv6) n += s.endpoints.size();
      CHECK(n == r.want_endpoints);
      CHECK(m.report.skipped_addresses == r.want_skipped);
      CHECK(m.report.invalid_addresses.size() == r.want_invalid);
      CHECK(m.report.over_cap() == r.want_skipped - r.want_invalid);
      CHECK_FALSE(m.report.deletion_pending);
    }
  }
}

TEST_CASE("convert: mirrored slice content, labels, annotations, owner", "[convert]") {
  endpoints ep;
  ep.metadata.name = "test-ep";
  ep.metadata.namespace_ = "test";
  ep.metadata.uid = "uid-ep";
  ep.metadata.labels = {{"foo", "bar"}, {std::string(well_known::service_name_label), "other"}};
  ep.metadata.annotations = {{"keep", "me"},
                             {std::string(well_known::last_applied_annotation), "{}"},
                             {std::string(well_known::trigger_time_annotation), "2024-01-01T00:00:00Z"}};
  endpoint_address ready = addr("010.0.0.1", "uid-1", "pod-1");  // lenient text, canonical output
  ready.hostname = "pod-1";
  ready.node_name = "node-1";
  endpoint_address not_ready = addr("10.0.0.2");
  ep.subsets = {subset({ready}, {not_ready}, {lport(80, "http")})};
  const auto m = mirror_endpoints(ep);
  REQUIRE(m.ipv4.size() == 1);
  const auto& s = m.ipv4[0];
  CHECK(s.metadata.generate_name == "test-ep-");
  CHECK(s.metadata.name.empty());
  CHECK(s.metadata.namespace_ == "test");
  CHECK(s.metadata.labels == string_map{{"foo", "bar"},
                                        {std::string(well_known::service_name_label), "test-ep"},
                                        {std::string(well_known::managed_by_label),
                                         std::string(well_known::mirroring_controller)}});
  CHECK(s.metadata.annotations == string_map{{"keep", "me"}});
  REQUIRE(s.metadata.owner_references.size() == 1);
  const auto& o = s.metadata.owner_references[0];
  CHECK(o.api_version == "v1");
  CHECK(o.kind == "Endpoints");
  CHECK(o.name == "test-ep");
  CHECK(o.uid == "uid-ep");
  CHECK(o.controller == std::optional<bool>(true));
  CHECK(o.block_owner_deletion == std::optional<bool>(true));
  CHECK(s.ports == nullable_vector<endpoint_port>{eport("http", 80)});
  REQUIRE(s.endpoints.size() == 2);
  CHECK(texts(s.endpoints[0].addresses) == std::vector<std::string>{"10.0.0.1"});
  CHECK(s.endpoints[0].conditions == endpoint_conditions{true, std::nullopt, std::nullopt});
  CHECK(s.endpoints[0].hostname == std::optional<std::string>("pod-1"));
  CHECK(s.endpoints[0].node_name == std::optional<std::string>("node-1"));
  CHECK(s.endpoints[0].target_ref == ready.target_ref);
  CHECK(texts(s.endpoints[1].addresses) == std::vector<std::string>{"10.0.0.2"});
  CHECK(s.endpoints[1].conditions == endpoint_conditions{false, std::nullopt, std::nullopt});
  CHECK_FALSE(s.endpoints[1].hostname.has_value());
  CHECK_FALSE(s.endpoints[1].zone.has_value());

  SECTION("port-less subset gives a slice with an empty, non-nil port list") {
    endpoints headless = ep;
    headless.subsets = {subset({addr("10.0.0.1")}, {}, {})};
    const auto hm = mirror_endpoints(headless);
    REQUIRE(hm.ipv4.size() == 1);
    CHECK(hm.ipv4[0].ports.empty());
    CHECK_FALSE(hm.ipv4[0].ports.is_nil());
  }
  SECTION("deletion pending is reported") {
    endpoints deleting = ep;
    deleting.metadata.deletion_timestamp = "2024-01-01T00:00:00Z";
    CHECK(mirror_endpoints(deleting).report.deletion_pending);
  }
  SECTION("same identity collapses within a group, the later copy wins") {
    endpoints dup = ep;
    dup.subsets = {subset({addr("10.0.0.1", "uid-1", "pod-1")}, {addr("10.0.0.1", "uid-2", "pod-1")}, {lport(80)})};
    const auto dm = mirror_endpoints(dup);
    REQUIRE(dm.ipv4.size() == 1);
    REQUIRE(dm.ipv4[0].endpoints.size() == 1);
    CHECK(dm.ipv4[0].endpoints[0].conditions.ready == std::optional<bool>(false));
    CHECK(dm.ipv4[0].endpoints[0].target_ref->uid == "uid-2");
    CHECK(dm.report.skipped_addresses == 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Mirroring against existing slices (the cases of upstream's mirroring TestReconcile with existing
// slices).

namespace {

endpoint_address named_addr(std::string ip, std::string hostname, std::optional<std::string> node = std::nullopt) {
  endpoint_address a;
  a.ip = std::move(ip);
  a.hostname = std::move(hostname);
  a.node_name = std::move(node);
  return a;
}

endpoint_port sport(std::string name, std::int32_t port, std::string protocol) { return eport(std::move(name), port, std::move(protocol)); }

endpoint_v4 sendpoint(std::vector<std::string> ips, std::optional<std::string> hostname,
                      std::optional<std::string> node = std::nullopt, std::optional<bool> ready = std::nullopt) {
  endpoint_v4 e;
  e.addresses.set_empty_not_nil();
  for (const auto& ip : ips) e.addresses.push_back(*ipv4::parse(ip));
  e.hostname = std::move(hostname);
  e.node_name = std::move(node);
  e.conditions.ready = ready;
  return e;
}

// A slice as the upstream test creates it: listed by the mirroring labels, in namespace test.
template <class F = ipv4>
basic_endpoint_slice<F> existing_slice(std::string name, std::vector<endpoint_port> ports,
                                       std::vector<basic_endpoint<F>> endpoints = {}) {
  basic_endpoint_slice<F> s;
  s.metadata.name = std::move(name);
  s.metadata.namespace_ = "test";
  s.metadata.labels = {{std::string(well_known::service_name_label), "test-ep"},
                       {std::string(well_known::managed_by_label), std::string(well_known::mirroring_controller)}};
  s.ports = std::move(ports);
  s.endpoints = std::move(endpoints);
  return s;
}

owner_reference endpoints_owner(std::string uid) {
  owner_reference o;
  o.api_version = "v1";
  o.kind = "Endpoints";
  o.name = "test-ep";
  o.uid = std::move(uid);
  return o;
}

std::size_t count_mirrored(const std::vector<any_endpoint_slice>& slices, const endpoints& ep) {
  return static_cast<std::size_t>(std::count_if(slices.begin(), slices.end(), [&](const any_endpoint_slice& s) {
    return is_mirrored_slice(metadata_of(s), ep);
  }));
}

// Apply a mirroring plan as the API server would (creates named <generateName>N).
std::vector<any_endpoint_slice> apply_plan(const mirroring_plan& m, const std::vector<any_endpoint_slice>& existing) {
  std::map<std::string, any_endpoint_slice> out;
  for (const auto& s : existing) out.insert_or_assign(metadata_of(s).name, s);
  int n = 0;
  for (auto c : m.create) {
    std::visit([&](auto& x) { x.metadata.name = x.metadata.generate_name + std::to_string(n++); }, c);
    REQUIRE(out.count(metadata_of(c).name) == 0);
    out.emplace(metadata_of(c).name, c);
  }
  for (const auto& u : m.update) {
    REQUIRE(out.count(metadata_of(u).name) == 1);
    out[metadata_of(u).name] = u;
  }
  for (const auto& d : m.remove) REQUIRE(out.erase(metadata_of(d).name) == 1);
  std::vector<any_endpoint_slice> result;
  for (auto& [k, v] : out) result.push_back(v);
  return result;
}

}  // namespace

// Upstream TestReconcile (pkg/controller/endpointslicemirroring/reconciler_test.go).
TEST_CASE("convert: mirroring plan against existing slices", "[convert]") {
  const auto http = lport(80, "http");
  const std::vector<endpoint_subset> one = {subset({named_addr("10.0.0.1", "pod-1")}, {}, {http})};
  const auto p80 = lport(80, "http", "TCP"), p443 = lport(443, "https", "UDP");
  const auto p3000 = lport(3000, "http", "TCP"), p3001 = lport(3001, "https", "UDP");
  const std::vector<endpoint_subset> two = {
      subset({named_addr("10.0.0.1", "pod-1", "node-1"), named_addr("10.0.0.2", "pod-2", "node-2")}, {}, {p80, p443}),
      subset({named_addr("10.0.1.1", "pod-11", "node-1"), named_addr("10.0.1.2", "pod-12", "node-2"),
              named_addr("10.0.1.3", "pod-13", "node-3")},
             {}, {p3000, p3001})};
  const std::vector<endpoint_port> ports_80 = {sport("http", 80, "TCP")};
  const std::vector<endpoint_port> ports_80_443 = {sport("http", 80, "TCP"), sport("https", 443, "UDP")};
  const std::string uid = "d8f2c1f6-5285-4b3c-b3c1-9b89f9e7ed7a";
  const std::string last_applied = R"({"apiVersion":"v1","kind":"Endpoints","subsets":[]})";

  struct row {
    const char* name;
    std::vector<endpoint_subset> subsets;
    string_map ep_labels;
    string_map ep_annotations;
    std::string ep_uid;
    bool deletion_pending;
    std::vector<any_endpoint_slice> existing;
    std::size_t want_slices, want_actions;
    // Upstream's per-sync metrics: endpoints added, updated, removed; slices created, updated.
    std::size_t want_added, want_updated, want_removed, want_created, want_updated_slices;
  };
  const auto same_fields = [&](std::optional<std::string> owner_uid) {
    auto s = existing_slice("test-ep-1", ports_80, {sendpoint({"10.0.0.1"}, "pod-1", std::nullopt, true)});
    if (owner_uid) s.metadata.owner_references.push_back(endpoints_owner(*owner_uid));
    return s;
  };
  auto annotated = same_fields(std::nullopt);
  annotated.metadata.annotations = {{"foo", "bar"}};
  auto last_applied_slice = same_fields(std::nullopt);
  last_applied_slice.metadata.annotations = {{std::string(well_known::last_applied_annotation), last_applied}};

  const std::vector<row> rows = {
      {"existing slice with same fields", one, {}, {}, uid, false, {same_fields(uid)}, 1, 0, 0, 0, 0, 0, 0},
      {"existing slice with same fields but different OwnerReferences", one, {}, {}, uid, false,
       {same_fields("fb91e798-1875-4857-b5eb-e2c878157b4d")}, 1, 1, 0, 0, 0, 0, 1},
      {"existing slice with an additional annotation", one, {}, {}, "", false, {annotated}, 1, 1, 0, 0, 0, 0, 1},
      {"Endpoints label missing on the existing slice", one, {{"foo", "bar"}}, {}, "", false, {annotated}, 1, 1, 0, 0, 0, 0, 1},
      {"2 subsets, existing empty EndpointSlice", two, {}, {}, "", false, {existing_slice("test-ep-1", ports_80_443)},
       2, 2, 5, 0, 0, 1, 1},
      {"2 subsets, existing EndpointSlice with some addresses", two, {}, {}, "", false,
       {existing_slice("test-ep-1", ports_80_443,
                       {sendpoint({"10.0.0.2"}, "pod-2"), sendpoint({"10.0.0.1", "10.0.0.3"}, "pod-1")})},
       2, 2, 4, 1, 1, 1, 1},
      {"2 subsets, existing EndpointSlice identical to subset", two, {}, {}, "", false,
       {existing_slice("test-ep-1", ports_80_443,
                       {sendpoint({"10.0.0.1"}, "pod-1", "node-1", true), sendpoint({"10.0.0.2"}, "pod-2", "node-2", true)})},
       2, 1, 3, 0, 0, 1, 0},
      {"last-applied-configuration is removed from an existing slice", one, {}, {}, "", false, {last_applied_slice},
       1, 1, 0, 0, 0, 0, 1},
      {"last-applied-configuration on the Endpoints is not mirrored", one, {},
       {{std::string(well_known::last_applied_annotation), last_applied}}, "", false, {}, 1, 1, 1, 0, 0, 1, 0},
      {"pending deletion", one, {}, {}, "", true, {}, 0, 0, 1, 0, 0, 0, 0},
  };
  for (const auto& r : rows) {
    SECTION(r.name) {
      endpoints ep;
      ep.metadata.name = "test-ep";
      ep.metadata.namespace_ = "test";
      ep.metadata.uid = r.ep_uid;
      ep.metadata.labels = r.ep_labels;
      ep.metadata.annotations = r.ep_annotations;
      if (r.deletion_pending) ep.metadata.deletion_timestamp = "2024-01-01T00:00:00Z";
      ep.subsets = r.subsets;
      const auto m = plan_mirroring(ep, mirror_decision::mirror, r.existing);
      CHECK(m.writes() == r.want_actions);
      CHECK(m.totals.added == r.want_added);
      CHECK(m.totals.updated == r.want_updated);
      CHECK(m.totals.removed == r.want_removed);
      CHECK(m.create.size() == r.want_created);
      CHECK(m.update.size() == r.want_updated_slices);
      CHECK(m.remove.empty());
      CHECK(m.creates_skipped == (r.deletion_pending ? 1u : 0u));
      const auto after = apply_plan(m, r.existing);
      CHECK(count_mirrored(after, ep) == r.want_slices);
      // What upstream's test checks of every slice after the sync.
      for (const auto& s : after) {
        const auto& md = metadata_of(s);
        CHECK(md.name.rfind("test-ep", 0) == 0);
        CHECK(md.labels.at(std::string(well_known::service_name_label)) == "test-ep");
        CHECK(md.annotations.count(std::string(well_known::last_applied_annotation)) == 0);
      }
      // Every write carries the content a new mirrored slice has; an update keeps the name.
      for (const auto& s : m.update) {
        const auto& md = metadata_of(s);
        CHECK(md.generate_name.empty());
        if (r.ep_uid.empty()) {
          CHECK(md.owner_references.empty());  // the API server refuses an owner reference without a uid
        } else {
          REQUIRE(md.owner_references.size() == 1);
          CHECK(md.owner_references[0].uid == r.ep_uid);
        }
        string_map want_labels = r.ep_labels;
        want_labels[std::string(well_known::service_name_label)] = "test-ep";
        want_labels[std::string(well_known::managed_by_label)] = std::string(well_known::mirroring_controller);
        CHECK(md.labels == want_labels);
        CHECK(md.annotations == string_map{});
      }
    }
  }
}

TEST_CASE("convert: mirroring settles when the Endpoints carries the labels the mirror sets", "[convert]") {
  // An Endpoints labelled with service-name and managed-by of other values: its slices carry the
  // mirror's own values, so those two labels are compared on neither side, and mirroring again
  // after the first plan is applied writes nothing (a fuzzed input once got one more update).
  endpoints ep;
  ep.metadata.name = "web";
  ep.metadata.namespace_ = "shop";
  ep.metadata.uid = "uid-web";
  ep.metadata.labels = {{std::string(well_known::service_name_label), "other"},
                        {std::string(well_known::managed_by_label), "someone"},
                        {"team", "a"}};
  ep.subsets = {subset({named_addr("10.0.0.1", "pod-1")}, {}, {lport(80, "http")})};
  const auto first = plan_mirroring(ep, mirror_decision::mirror, std::vector<any_endpoint_slice>{});
  REQUIRE(first.create.size() == 1);
  const auto& labels = metadata_of(first.create[0]).labels;
  CHECK(labels.at(std::string(well_known::service_name_label)) == "web");
  CHECK(labels.at(std::string(well_known::managed_by_label)) == well_known::mirroring_controller);
  CHECK(labels.at("team") == "a");
  any_slice_plan plan;
  plan.create = first.create;
  const auto after = epslice::apply(plan, std::vector<any_endpoint_slice>{});
  CHECK(plan_mirroring(ep, mirror_decision::mirror, after).empty());
  // Another label of the Endpoints still makes the slice follow it.
  ep.metadata.labels["team"] = "b";
  const auto changed = plan_mirroring(ep, mirror_decision::mirror, after);
  REQUIRE(changed.update.size() == 1);
  CHECK(metadata_of(changed.update[0]).labels.at("team") == "b");
}

TEST_CASE("convert: mirroring plan deletes, recycles and ignores foreign slices", "[convert]") {
  endpoints ep;
  ep.metadata.name = "test-ep";
  ep.metadata.namespace_ = "test";
  ep.metadata.uid = "uid-ep";
  ep.subsets = {subset({named_addr("10.0.0.1", "pod-1")}, {named_addr("10.0.0.2", "")}, {lport(80, "http")})};
  const std::vector<endpoint_port> ports_80 = {sport("http", 80, "TCP")};
  const std::vector<endpoint_port> ports_81 = {sport("http", 81, "TCP")};
  const auto want = mirror_endpoints(ep);
  REQUIRE(want.ipv4.size() == 1);

  SECTION("a slice of a port set no longer served is recycled into the create") {
    const std::vector<any_endpoint_slice> existing = {existing_slice("test-ep-old", ports_81, {sendpoint({"10.0.0.9"}, "x")})};
    const auto m = plan_mirroring(ep, mirror_decision::mirror, existing);
    CHECK(m.create.empty());
    CHECK(m.remove.empty());
    REQUIRE(m.update.size() == 1);
    const auto& u = std::get<endpoint_slice_v4>(m.update[0]);
    CHECK(u.metadata.name == "test-ep-old");
    CHECK(u.metadata.generate_name == "test-ep-");  // upstream keeps it on a recycled create
    CHECK(u.endpoints == want.ipv4[0].endpoints);
    CHECK(u.ports == want.ipv4[0].ports);
    CHECK(m.totals.added == 2);
    CHECK(m.totals.removed == 0);  // upstream counts no removals for dropped groups
  }
  SECTION("extra slices of a group are deleted, the first by name is rewritten") {
    const std::vector<any_endpoint_slice> existing = {
        existing_slice("test-ep-b", ports_80, {sendpoint({"10.0.0.1"}, "pod-1", std::nullopt, true)}),
        existing_slice("test-ep-a", ports_80, {sendpoint({"10.0.0.7"}, std::nullopt, std::nullopt, true)})};
    const auto m = plan_mirroring(ep, mirror_decision::mirror, existing);
    REQUIRE(m.update.size() == 1);
    CHECK(metadata_of(m.update[0]).name == "test-ep-a");
    REQUIRE(m.remove.size() == 1);
    CHECK(metadata_of(m.remove[0]).name == "test-ep-b");
    CHECK(m.totals.removed == 1);
    CHECK(m.totals.added == 2);
  }
  SECTION("an unchanged first slice stays even when others of its group are deleted") {
    auto same = existing_slice("test-ep-a", ports_80,
                               {sendpoint({"10.0.0.1"}, "pod-1", std::nullopt, true),
                                sendpoint({"10.0.0.2"}, std::nullopt, std::nullopt, false)});
    const std::vector<any_endpoint_slice> existing = {same, existing_slice("test-ep-z", ports_80)};
    const auto m = plan_mirroring(ep, mirror_decision::mirror, existing);
    CHECK(m.update.empty());
    CHECK(m.create.empty());
    REQUIRE(m.remove.size() == 1);
    CHECK(metadata_of(m.remove[0]).name == "test-ep-z");
  }
  SECTION("an IPv6 slice of a served port set is deleted when no IPv6 address is left") {
    endpoint_slice_v6 v6 = existing_slice<ipv6>("test-ep-6", ports_80);
    basic_endpoint<ipv6> e;
    e.addresses.push_back(*ipv6::parse("2001:db8::1"));
    v6.endpoints.push_back(e);
    const std::vector<any_endpoint_slice> existing = {v6};
    const auto m = plan_mirroring(ep, mirror_decision::mirror, existing);
    // The IPv4 create is not recycled onto the IPv6 slice: recycling stays within a type.
    CHECK(m.create.size() == 1);
    CHECK(m.update.empty());
    REQUIRE(m.remove.size() == 1);
    CHECK(metadata_of(m.remove[0]).name == "test-ep-6");
    CHECK(m.totals.removed == 1);
  }
  SECTION("slices not mirrored for this Endpoints are never touched") {
    auto other_ns = existing_slice("test-ep-1", ports_81);
    other_ns.metadata.namespace_ = "other";
    auto other_manager = existing_slice("test-ep-2", ports_81);
    other_manager.metadata.labels[std::string(well_known::managed_by_label)] = "someone-else";
    auto other_service = existing_slice("test-ep-3", ports_81);
    other_service.metadata.labels[std::string(well_known::service_name_label)] = "other";
    const std::vector<any_endpoint_slice> existing = {other_ns, other_manager, other_service};
    const auto m = plan_mirroring(ep, mirror_decision::mirror, existing);
    CHECK(m.create.size() == 1);
    CHECK(m.update.empty());
    CHECK(m.remove.empty());
  }
  SECTION("not mirrored: every mirrored slice is deleted and nothing else happens") {
    const std::vector<any_endpoint_slice> existing = {existing_slice("test-ep-b", ports_80), existing_slice("test-ep-a", ports_81)};
    for (auto d : {mirror_decision::skip_mirror_label, mirror_decision::leader_election, mirror_decision::no_service,
                   mirror_decision::service_has_selector}) {
      const auto m = plan_mirroring(ep, d, existing);
      CHECK(m.decision == d);
      CHECK(m.create.empty());
      CHECK(m.update.empty());
      REQUIRE(m.remove.size() == 2);
      CHECK(metadata_of(m.remove[0]).name == "test-ep-a");
      CHECK(metadata_of(m.remove[1]).name == "test-ep-b");
    }
    service svc;
    svc.metadata.name = "test-ep";
    svc.metadata.namespace_ = "test";
    CHECK(plan_mirroring(ep, &svc, existing).decision == mirror_decision::mirror);
    svc.selector = string_map{{"app", "x"}};
    CHECK(plan_mirroring(ep, &svc, existing).remove.size() == 2);
    CHECK(plan_mirroring(ep, nullptr, existing).decision == mirror_decision::no_service);
  }
  SECTION("deletion pending: recycled creates still happen as updates, plain creates are dropped") {
    endpoints deleting = ep;
    deleting.metadata.deletion_timestamp = "2024-01-01T00:00:00Z";
    const std::vector<any_endpoint_slice> recyclable = {existing_slice("test-ep-old", ports_81)};
    const auto m = plan_mirroring(deleting, mirror_decision::mirror, recyclable);
    CHECK(m.update.size() == 1);
    CHECK(m.creates_skipped == 0);
    const auto none = plan_mirroring(deleting, mirror_decision::mirror, std::vector<any_endpoint_slice>{});
    CHECK(none.empty());
    CHECK(none.creates_skipped == 1);
  }
  SECTION("a raw slice of the group is rewritten, its endpoints counted as removed") {
    endpoint_slice_raw raw;
    raw.metadata = existing_slice("test-ep-r", ports_80).metadata;
    raw.address_type = "IPv4";
    raw.ports = ports_80;
    endpoint_raw bad;
    bad.addresses = {"10.0.0.300"};
    raw.endpoints.push_back(bad);
    const std::vector<any_endpoint_slice> existing = {raw};
    const auto m = plan_mirroring(ep, mirror_decision::mirror, existing);
    REQUIRE(m.update.size() == 1);
    CHECK(metadata_of(m.update[0]).name == "test-ep-r");
    CHECK(std::holds_alternative<endpoint_slice_v4>(m.update[0]));
    CHECK(m.totals == mirroring_totals{2, 0, 1});
  }
  SECTION("an existing slice repeating a desired endpoint is rewritten") {
    const auto e1 = sendpoint({"10.0.0.1"}, "pod-1", std::nullopt, true);
    const auto e2 = sendpoint({"10.0.0.2"}, std::nullopt, std::nullopt, false);
    const std::vector<any_endpoint_slice> existing = {existing_slice("test-ep-a", ports_80, {e1, e2, e1})};
    const auto m = plan_mirroring(ep, mirror_decision::mirror, existing);
    CHECK(m.update.size() == 1);
    CHECK(m.totals == mirroring_totals{0, 0, 0});  // upstream's "added" goes below zero; reported as 0
    const std::vector<any_endpoint_slice> clean = {existing_slice("test-ep-a", ports_80, {e2, e1})};
    CHECK(plan_mirroring(ep, mirror_decision::mirror, clean).empty());
  }
  SECTION("applying the plan and planning again writes nothing") {
    const std::vector<any_endpoint_slice> existing = {
        existing_slice("test-ep-b", ports_80, {sendpoint({"10.0.0.1"}, "pod-1", std::nullopt, true)}),
        existing_slice("test-ep-a", ports_81)};
    const auto m = plan_mirroring(ep, mirror_decision::mirror, existing);
    const auto after = apply_plan(m, existing);
    const auto again = plan_mirroring(ep, mirror_decision::mirror, after);
    CHECK(again.empty());
    CHECK(again.totals.added == 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Round trip.

TEST_CASE("convert: Endpoints -> slices -> Endpoints keeps addresses, ports, readiness", "[convert]") {
#ifdef EPSLICE_SANITIZE_BUILD
  const int cases = 40;
#else
  const int cases = 400;
#endif
  std::mt19937 rng(20240607);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int c = 0; c < cases; ++c) {
    const bool v6 = pick(0, 3) == 0;
    // A pool of pods (unique IP, UID and name each) and a pool of ports.
    const int npods = pick(1, 40);
    std::vector<endpoint_address> pool;
    for (int i = 0; i < npods; ++i) {
      const auto u = static_cast<std::uint32_t>(i);
      endpoint_address a;
      if (v6) {
        ipv6_address x{};
        x.bytes[0] = 0x20;
        x.bytes[1] = 0x01;
        x.bytes[14] = static_cast<std::uint8_t>(u >> 8);
        x.bytes[15] = static_cast<std::uint8_t>(u + 1);
        a.ip = to_string(x);
      } else {
        a.ip = to_string(ipv4_address::from_uint(0x0a000001u + u * 7));
      }
      if (pick(0, 4) != 0) {
        object_reference r;
        r.kind = "Pod";
        r.namespace_ = "ns";
        r.name = "pod-" + std::to_string(i);
        r.uid = "uid-" + std::to_string(i);
        a.target_ref = r;
      }
      if (pick(0, 2) == 0) a.hostname = "host-" + std::to_string(i);
      if (pick(0, 1) == 0) a.node_name = "node-" + std::to_string(pick(0, 3));
      pool.push_back(a);
    }
    std::vector<endpoints_port> port_pool;
    for (int i = 0; i < 6; ++i) {
      endpoints_port p = lport(8000 + i, "p" + std::to_string(i), i % 3 == 2 ? "UDP" : "TCP");
      if (i == 4) p.app_protocol = "http";
      port_pool.push_back(p);
    }
    endpoints ep;
    ep.metadata.name = "svc";
    ep.metadata.namespace_ = "ns";
    const int nsubsets = pick(0, 5);
    for (int s = 0; s < nsubsets; ++s) {
      endpoint_subset sub;
      for (const auto& a : pool) {
        const int roll = pick(0, 5);
        if (roll == 0) sub.addresses.push_back(a);
        if (roll == 1) sub.not_ready_addresses.push_back(a);
      }
      if (pick(0, 9) != 0)
        for (const auto& p : port_pool)
          if (pick(0, 2) == 0) sub.ports.push_back(p);
      ep.subsets.push_back(sub);
    }
    const auto want = repack_subsets(ep.subsets);
    const auto m = mirror_endpoints(ep);
    CHECK(m.report.skipped_addresses == 0);
    CHECK((v6 ? m.ipv4.empty() : m.ipv6.empty()));
    if (m.ipv4.empty() && m.ipv6.empty()) {
      // With no slice there is no Service name to give the object: an error, not a nameless object.
      CHECK(want.empty());
      CHECK_THROWS_WITH(slices_to_endpoints(m.ipv4, m.ipv6, nullptr, {v6 ? address_type::ipv6 : address_type::ipv4}),
                        "svc: Required value: the Service must be given when there is no EndpointSlice to name it");
      continue;
    }
    const auto back = slices_to_endpoints(m.ipv4, m.ipv6, nullptr, {v6 ? address_type::ipv6 : address_type::ipv4});
    CHECK_FALSE(back.truncated);
    // Expand both sides to (address, port, readiness) triples and compare exactly.
    using triple = std::tuple<std::string, std::string, std::optional<detail::legacy_port_key>, bool>;
    const auto expand = [](const std::vector<endpoint_subset>& subsets) {
      std::set<triple> out;
      for (const auto& s : subsets) {
        std::vector<std::optional<detail::legacy_port_key>> ports;
        for (const auto& p : s.ports) ports.emplace_back(detail::port_key_of(p));
        if (ports.empty()) ports.emplace_back(std::nullopt);
        for (const auto& port : ports) {
          for (const auto& a : s.addresses)
            out.emplace(a.ip, a.target_ref ? a.target_ref->uid : "", port, true);
          for (const auto& a : s.not_ready_addresses)
            out.emplace(a.ip, a.target_ref ? a.target_ref->uid : "", port, false);
        }
      }
      return out;
    };
    INFO("case " << c);
    CHECK(expand(back.object.subsets) == expand(want));
    // With subset order fixed by repack_subsets, the whole subsets agree too (hostname, nodeName
    // and targetRef travel with each address).
    CHECK(back.object.subsets == want);
    CHECK(back.object.metadata.name == "svc");
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions emit valid objects: what they leave out is reported.

namespace {

std::string joined(const field_errors& errors) {
  std::string out;
  for (const auto& e : errors) out += e.message() + "\n";
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

endpoint_slice_v4 web_slice(std::string name, std::vector<endpoint_port> ports, std::vector<std::string> ips) {
  endpoint_slice_v4 s;
  s.metadata.name = std::move(name);
  s.metadata.namespace_ = "test";
  s.metadata.labels = {{std::string(well_known::service_name_label), "web"}};
  s.ports = std::move(ports);
  for (const auto& ip : ips) {
    endpoint_v4 e;
    e.addresses.push_back(*parse_ipv4(ip));
    e.conditions.ready = true;
    s.endpoints.push_back(e);
  }
  return s;
}

endpoint_port unnamed_port(std::optional<std::int32_t> number) {
  endpoint_port p;
  p.port = number;
  p.protocol = "TCP";
  return p;
}

}  // namespace

TEST_CASE("convert: slices to endpoints leaves out an unnamed port of a subset of several", "[convert]") {
  // The issue's slice: valid as a slice (one port may be unnamed), but Endpoints require a name on
  // every port of a subset of several.
  const auto s = web_slice("web-1", {unnamed_port(8080), eport("metrics", 9090)}, {"10.0.0.1", "10.0.0.2"});
  REQUIRE(validate(s).empty());
  const auto proj = slices_to_endpoints(std::vector<endpoint_slice_v4>{s}, {});
  INFO(joined(validate(proj.object)));
  CHECK(validate(proj.object).empty());
  REQUIRE(proj.object.subsets.size() == 1);
  CHECK(proj.object.subsets[0].ports == std::vector<endpoints_port>{lport(9090, "metrics")});
  CHECK(proj.object.subsets[0].addresses.size() == 2);
  CHECK(proj.warnings == std::vector<std::string>{
                             "port 8080/TCP has no name, which a subset of 2 ports requires: left out of the subset "
                             "of 2 addresses"});
  SECTION("alone, an unnamed port stays") {
    const auto one = web_slice("web-1", {unnamed_port(8080)}, {"10.0.0.1"});
    const auto p = slices_to_endpoints(std::vector<endpoint_slice_v4>{one}, {});
    CHECK(p.warnings.empty());
    REQUIRE(p.object.subsets.size() == 1);
    CHECK(p.object.subsets[0].ports == std::vector<endpoints_port>{lport(8080)});
  }
  SECTION("unnamed ports of two slices meet in one subset: both left out, and the subset") {
    const std::vector<endpoint_slice_v4> two = {web_slice("web-1", {unnamed_port(80)}, {"10.0.0.1"}),
                                                web_slice("web-2", {unnamed_port(81)}, {"10.0.0.1"})};
    const auto p = slices_to_endpoints(two, {});
    CHECK(validate(p.object).empty());
    CHECK(p.object.subsets.empty());
    CHECK(p.warnings == std::vector<std::string>{
                            "port 80/TCP has no name, which a subset of 2 ports requires: left out of the subset of 1 addresses",
                            "port 81/TCP has no name, which a subset of 2 ports requires: left out of the subset of 1 addresses",
                            "a subset of 1 addresses has no named port left: left out"});
  }
}

TEST_CASE("convert: slices to endpoints leaves out ports outside 1..65535 and all-ports entries", "[convert]") {
  const auto s = web_slice("web-1", {eport("http", 80), eport("big", 70000), eport("zero", 0), eport("neg", -5),
                                     endpoint_port{std::string("all"), std::string("TCP"), std::nullopt, std::nullopt, {}}},
                           {"10.0.0.1"});
  REQUIRE(validate(s).empty());  // slices do not bound port numbers
  const auto proj = slices_to_endpoints(std::vector<endpoint_slice_v4>{s}, {});
  CHECK(validate(proj.object).empty());
  REQUIRE(proj.object.subsets.size() == 1);
  CHECK(proj.object.subsets[0].ports == std::vector<endpoints_port>{lport(80, "http")});
  CHECK(proj.warnings ==
        std::vector<std::string>{
            "EndpointSlice web-1: ports[1] (big:70000/TCP) is outside 1..65535, which Endpoints require: left out",
            "EndpointSlice web-1: ports[2] (zero:0/TCP) is outside 1..65535, which Endpoints require: left out",
            "EndpointSlice web-1: ports[3] (neg:-5/TCP) is outside 1..65535, which Endpoints require: left out",
            "EndpointSlice web-1: ports[4] has no port number (all ports), which Endpoints cannot express: left out"});
  SECTION("a slice with no port left gives no subset, not a port-less one") {
    const auto bad = web_slice("web-2", {eport("big", 65536)}, {"10.0.0.1", "10.0.0.2"});
    const auto p = slices_to_endpoints(std::vector<endpoint_slice_v4>{bad}, {});
    CHECK(p.object.subsets.empty());
    CHECK(validate(p.object).empty());
    CHECK(p.warnings.back() == "EndpointSlice web-2: no port left: its 2 endpoints are left out");
  }
}

TEST_CASE("convert: slices to endpoints needs a Service name", "[convert]") {
  auto s = web_slice("web-1", {eport("http", 80)}, {"10.0.0.1"});
  s.metadata.labels.clear();
  const std::vector<endpoint_slice_v4> v4 = {s};
  CHECK_THROWS_WITH(slices_to_endpoints(v4, {}),
                    "metadata.labels[kubernetes.io/service-name]: Required value: EndpointSlice web-1 names no "
                    "Service, and no Service was given");
  CHECK_THROWS_WITH(slices_to_endpoints({}, {}),
                    "svc: Required value: the Service must be given when there is no EndpointSlice to name it");
  s.metadata.labels = {{std::string(well_known::service_name_label), "Web_1"}};  // a label value, no name
  REQUIRE(validate(s).empty());
  CHECK_THROWS_WITH(slices_to_endpoints(std::vector<endpoint_slice_v4>{s}, {}),
                    "metadata.labels[kubernetes.io/service-name]: Invalid value: \"Web_1\": EndpointSlice web-1 names "
                    "a Service that cannot exist (an Endpoints name must be a DNS-1123 subdomain)");
  // With a Service, its name counts.
  const service svc = make_service();
  const auto p = slices_to_endpoints(std::vector<endpoint_slice_v4>{s}, {}, &svc);
  CHECK(p.object.metadata.name == "foo");
  CHECK(validate(p.object).empty());
  // The name of the other family's slices serves when the chosen family has none.
  endpoint_slice_v6 s6;
  s6.metadata.name = "web-v6";
  s6.metadata.namespace_ = "test";
  s6.metadata.labels = {{std::string(well_known::service_name_label), "web"}};
  const auto other = slices_to_endpoints({}, std::vector<endpoint_slice_v6>{s6}, nullptr, {address_type::ipv4});
  CHECK(other.object.metadata.name == "web");
  CHECK(validate(other.object).empty());
}

TEST_CASE("convert: truncation leaves no empty subset", "[convert]") {
  // 1,001 one-address subsets: each share rounds up to one address, so the last keeps none.
  std::vector<endpoint_slice_v4> slices;
  for (int i = 0; i < 1001; ++i)
    slices.push_back(web_slice("web-" + std::to_string(i), {eport("p" + std::to_string(i), 1000 + i)},
                               {to_string(ipv4_address::from_uint(0x0a000001U + static_cast<std::uint32_t>(i)))}));
  const auto p = slices_to_endpoints(slices, {});
  CHECK(p.truncated);
  CHECK(p.object.subsets.size() == 1000);
  CHECK(validate(p.object).empty());
}

TEST_CASE("convert: mirroring an Endpoints without uid writes no owner reference", "[convert]") {
  endpoints ep;
  ep.metadata.name = "web";
  ep.metadata.namespace_ = "test";
  ep.subsets = {subset({addr("10.0.0.1")}, {}, {lport(80, "http")})};
  REQUIRE(validate(ep).empty());
  const auto m = mirror_endpoints(ep);
  REQUIRE(m.ipv4.size() == 1);
  CHECK(m.ipv4[0].metadata.owner_references.empty());
  CHECK(validate(m.ipv4[0]).empty());
  CHECK(m.report.warnings == std::vector<std::string>{
                                 "Endpoints test/web has no metadata.uid: its slices get no owner reference (the API "
                                 "server refuses one without a uid)"});
  // The plan neither writes nor requires one: an existing slice with an owner reference stays.
  auto existing = m.ipv4[0];
  existing.metadata.name = "web-abcde";
  owner_reference o;
  o.api_version = "v1";
  o.kind = "Endpoints";
  o.name = "web";
  o.uid = "some-uid";
  existing.metadata.owner_references = {o};
  const std::vector<any_endpoint_slice> current = {existing};
  CHECK(plan_mirroring(ep, mirror_decision::mirror, current).empty());
  // With a uid, the same Endpoints gets its owner reference and no warning.
  ep.metadata.uid = "uid-web";
  const auto owned = mirror_endpoints(ep);
  REQUIRE(owned.ipv4[0].metadata.owner_references.size() == 1);
  CHECK(owned.ipv4[0].metadata.owner_references[0].uid == "uid-web");
  CHECK(owned.report.warnings.empty());
}

TEST_CASE("convert: mirroring leaves out ports a slice cannot hold", "[convert]") {
  endpoints ep;
  ep.metadata.name = "web";
  ep.metadata.namespace_ = "test";
  ep.metadata.uid = "uid-web";
  // Valid: each subset has one unnamed port. Repacking puts both ports in one subset, where a
  // slice may not hold two ports named "".
  ep.subsets = {subset({addr("10.0.0.1")}, {}, {lport(80)}), subset({addr("10.0.0.1")}, {}, {lport(81)})};
  REQUIRE(validate(ep).empty());
  const auto m = mirror_endpoints(ep);
  REQUIRE(m.ipv4.size() == 1);
  CHECK(validate(m.ipv4[0]).empty());
  CHECK(m.ipv4[0].ports == nullable_vector<endpoint_port>{eport("", 80)});
  CHECK(m.report.warnings ==
        std::vector<std::string>{"Endpoints test/web: port 81/TCP of subset 0 (repacked) has no name, as another "
                                 "port of the subset: left out"});
  SECTION("a repeated name: the first port in repacked order stays") {
    ep.subsets = {subset({addr("10.0.0.1")}, {}, {lport(80, "http"), lport(80, "http", "UDP")})};
    REQUIRE(validate(ep).empty());
    const auto r = mirror_endpoints(ep);
    REQUIRE(r.ipv4.size() == 1);
    CHECK(validate(r.ipv4[0]).empty());
    CHECK(r.ipv4[0].ports == nullable_vector<endpoint_port>{eport("http", 80)});
    CHECK(r.report.warnings.size() == 1);
  }
  SECTION("invalid input: a port out of range, and a subset with no port left") {
    ep.subsets = {subset({addr("10.0.0.1")}, {}, {lport(0, "zero"), lport(80, "http")}),
                  subset({addr("10.0.0.2")}, {}, {lport(70000, "big")})};
    const auto r = mirror_endpoints(ep);
    REQUIRE(r.ipv4.size() == 1);
    CHECK(validate(r.ipv4[0]).empty());
    CHECK(texts(r.ipv4[0].endpoints[0].addresses) == std::vector<std::string>{"10.0.0.1"});
    CHECK(r.report.warnings.size() == 3);
  }
  SECTION("a name no Service can have mirrors nothing") {
    ep.metadata.name = std::string(64, 'a');
    REQUIRE(validate(ep).empty());
    const auto r = mirror_endpoints(ep);
    CHECK(r.ipv4.empty());
    CHECK(r.ipv6.empty());
    CHECK(r.report.warnings == std::vector<std::string>{"Endpoints test/" + std::string(64, 'a') +
                                                        ": its name is no valid label value (64 characters, at most "
                                                        "63): nothing is mirrored"});
  }
  SECTION("the per-subset cap is 1..1000") {
    for (const std::size_t bad : {std::size_t{0}, std::size_t{1001}}) {
      mirroring_options o;
      o.max_endpoints_per_subset = bad;
      CHECK_THROWS_WITH(mirror_endpoints(ep, o),
                        "max_endpoints_per_subset: Invalid value: " + std::to_string(bad) + ": must be from 1 to 1000");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Property: every object a conversion emits validates.

namespace {

template <class F>
basic_endpoint_slice<F> random_valid_slice(std::mt19937& rng, int k) {
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  basic_endpoint_slice<F> s;
  s.metadata.name = "web-" + std::to_string(k);
  s.metadata.namespace_ = "test";
  s.metadata.labels = {{std::string(well_known::service_name_label), "web"}};
  if (pick(0, 1) == 0) s.metadata.labels.emplace("app", "web");
  const std::optional<std::string> names[] = {std::nullopt, std::string(""), std::string("http"), std::string("metrics"),
                                              std::string("dns")};
  const std::optional<std::int32_t> numbers[] = {std::nullopt, 0, 80, 8080, 9090, 65535, 65536, 70000, -1, 2147483647};
  const char* protocols[] = {"TCP", "UDP", "SCTP"};
  std::set<std::string> used;
  for (int n = pick(0, 4); n > 0; --n) {
    endpoint_port p;
    p.name = names[pick(0, 4)];
    if (!used.insert(p.name.value_or("")).second) continue;  // names are unique in a valid slice
    p.port = numbers[pick(0, 9)];
    p.protocol = protocols[pick(0, 2)];
    if (pick(0, 3) == 0) p.app_protocol = "http";
    s.ports.push_back(p);
  }
  for (int n = pick(0, 6); n > 0; --n) {
    basic_endpoint<F> e;
    const auto u = static_cast<std::uint32_t>(pick(1, 12));
    if constexpr (std::is_same_v<F, ipv4>) {
      e.addresses.push_back(ipv4_address::from_uint(0x0a000000U + u));
    } else {
      ipv6_address x{};
      x.bytes[0] = 0x20;
      x.bytes[1] = 0x01;
      x.bytes[2] = 0x0d;
      x.bytes[3] = 0xb8;
      x.bytes[15] = static_cast<std::uint8_t>(u);
      e.addresses.push_back(x);
    }
    const auto opt_bool = [&]() -> std::optional<bool> {
      const int v = pick(0, 2);
      if (v == 0) return std::nullopt;
      return v == 1;
    };
    e.conditions = {opt_bool(), opt_bool(), opt_bool()};
    if (pick(0, 2) == 0) e.hostname = "host-" + std::to_string(u);
    if (pick(0, 1) == 0) e.node_name = "node-" + std::to_string(pick(0, 3));
    if (pick(0, 1) == 0) {
      object_reference r;
      r.kind = "Pod";
      r.namespace_ = "test";
      r.name = "pod-" + std::to_string(u);
      r.uid = "uid-" + std::to_string(u);
      e.target_ref = r;
    }
    s.endpoints.push_back(std::move(e));
  }
  return s;
}

}  // namespace

TEST_CASE("convert: property: slices to endpoints emits valid objects", "[convert]") {
#ifdef EPSLICE_SANITIZE_BUILD
  const int cases = 60;
#else
  const int cases = 600;
#endif
  std::mt19937 rng(7001);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::size_t warned = 0;
  for (int c = 0; c < cases; ++c) {
    std::vector<endpoint_slice_v4> v4;
    std::vector<endpoint_slice_v6> v6;
    for (int k = pick(1, 4); k > 0; --k) v4.push_back(random_valid_slice<ipv4>(rng, k));
    for (int k = pick(0, 2); k > 0; --k) v6.push_back(random_valid_slice<ipv6>(rng, 10 + k));
    for (const auto& s : v4) REQUIRE(validate(s).empty());
    for (const auto& s : v6) REQUIRE(validate(s).empty());
    std::optional<service> svc;
    if (pick(0, 2) == 0) {
      svc = make_service();
      svc->cluster_ip = pick(0, 1) == 0 ? "None" : "10.96.0.1";
      if (pick(0, 1) == 0) svc->ports.clear();
    }
    to_endpoints_options options;
    if (pick(0, 3) == 0) options.family = address_type::ipv6;
    const auto proj = slices_to_endpoints(v4, v6, svc ? &*svc : nullptr, options);
    INFO("case " << c << "\n" << joined(proj.warnings));
    const auto errors = validate(proj.object);
    INFO(joined(errors));
    REQUIRE(errors.empty());
    // Every slice port outside 1..65535 or without a number (of the family read) is reported.
    std::size_t bad_ports = 0;
    const auto count = [&](const auto& slices) {
      for (const auto& s : slices)
        for (const auto& p : s.ports)
          if (!p.port || *p.port < 1 || *p.port > 65535) ++bad_ports;
    };
    if (proj.family == address_type::ipv4) count(v4);
    else count(v6);
    CHECK(proj.warnings.size() >= bad_ports);
    if (!proj.warnings.empty()) ++warned;
  }
  CHECK(warned > 0);  // the generator reaches the cases that need leaving out
}

TEST_CASE("convert: property: mirroring emits valid slices and writes", "[convert]") {
#ifdef EPSLICE_SANITIZE_BUILD
  const int cases = 60;
#else
  const int cases = 500;
#endif
  std::mt19937 rng(7002);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::size_t checked = 0, warned = 0;
  for (int c = 0; c < cases; ++c) {
    endpoints ep;
    ep.metadata.name = pick(0, 9) == 0 ? std::string(70, 'w') : "web";
    ep.metadata.namespace_ = "test";
    if (pick(0, 2) != 0) ep.metadata.uid = "uid-web";
    if (pick(0, 1) == 0) ep.metadata.labels = {{"app", "web"}};
    for (int k = pick(0, 4); k > 0; --k) {
      endpoint_subset sub;
      for (int n = pick(0, 5); n > 0; --n) {
        const auto u = static_cast<std::uint32_t>(pick(1, 20));
        endpoint_address a;
        if (pick(0, 3) == 0) {
          ipv6_address x{};
          x.bytes[0] = 0x20;
          x.bytes[1] = 0x01;
          x.bytes[15] = static_cast<std::uint8_t>(u);
          a.ip = to_string(x);
        } else {
          a.ip = to_string(ipv4_address::from_uint(0x0a000000U + u));
        }
        if (pick(0, 2) == 0) a.hostname = "host-" + std::to_string(u);
        if (pick(0, 1) == 0) a.node_name = "node-" + std::to_string(pick(0, 3));
        if (pick(0, 1) == 0) {
          object_reference r;
          r.kind = "Pod";
          r.namespace_ = "test";
          r.name = "pod-" + std::to_string(u);
          r.uid = "uid-" + std::to_string(u);
          a.target_ref = r;
        }
        (pick(0, 2) == 0 ? sub.not_ready_addresses : sub.addresses).push_back(a);
      }
      const int nports = pick(0, 3);
      const char* names[] = {"http", "metrics", "dns"};
      for (int n = 0; n < nports; ++n) {
        // A subset of several ports names every one (names may repeat); a single one may not.
        const std::string name = nports == 1 && pick(0, 1) == 0 ? "" : names[pick(0, 2)];
        sub.ports.push_back(lport(80 + pick(0, 3), name, pick(0, 3) == 0 ? "UDP" : "TCP"));
      }
      ep.subsets.push_back(sub);
    }
    if (!validate(ep).empty()) continue;  // the property is about valid Endpoints
    ++checked;
    const auto m = mirror_endpoints(ep);
    INFO("case " << c << "\n" << joined(m.report.warnings));
    for (const auto& s : m.ipv4) {
      INFO(joined(validate(s)));
      REQUIRE(validate(s).empty());
    }
    for (const auto& s : m.ipv6) {
      INFO(joined(validate(s)));
      REQUIRE(validate(s).empty());
    }
    if (!m.report.warnings.empty()) ++warned;
    // The writes against slices mirrored before (named, some edited) validate too.
    std::vector<any_endpoint_slice> existing;
    int n = 0;
    for (auto s : m.ipv4) {
      s.metadata.name = "web-" + std::to_string(n++);
      if (!s.endpoints.empty() && pick(0, 1) == 0) s.endpoints.pop_back();
      existing.emplace_back(std::move(s));
    }
    for (auto s : m.ipv6) {
      s.metadata.name = "web-" + std::to_string(n++);
      existing.emplace_back(std::move(s));
    }
    ep.subsets.push_back(subset({addr("10.0.1.1")}, {}, {lport(443, "https")}));
    const auto plan = plan_mirroring(ep, mirror_decision::mirror, existing);
    for (const auto* list : {&plan.create, &plan.update})
      for (const auto& s : *list) {
        INFO(joined(validate(s)));
        REQUIRE(validate(s).empty());
      }
  }
  CHECK(checked > static_cast<std::size_t>(cases) / 2);
  CHECK(warned > 0);
}

// ---------------------------------------------------------------------------------------------
// Pods to a desired state.

namespace {

// A random Service and pods over a few nodes: named and numeric target ports that resolve
// differently per pod, missing nodes, both families, pods that are not selected or not in
// endpoints.
struct pod_world {
  service svc;
  std::vector<pod> pods;
  std::vector<node> nodes;
};

pod_world random_pod_world(std::mt19937& rng) {
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  pod_world w;
  w.svc = make_service();
  w.svc.ports.clear();
  const char* port_names[] = {"http", "metrics", "grpc"};
  for (int k = pick(0, 3); k > 0; --k) {
    service_port sp;
    sp.name = port_names[k - 1];
    sp.port = 80 + k;
    sp.protocol = pick(0, 4) == 0 ? "UDP" : "TCP";
    const int t = pick(0, 2);
    if (t == 1) sp.target_port = int_or_string{std::int32_t{8000 + k}};
    if (t == 2) sp.target_port = int_or_string{std::string(pick(0, 1) == 0 ? "web" : "alt")};
    if (pick(0, 3) == 0) sp.app_protocol = "http";
    w.svc.ports.push_back(sp);
  }
  w.svc.publish_not_ready_addresses = pick(0, 3) == 0;
  const int fam = pick(0, 3);
  w.svc.ip_families = fam == 0 ? std::vector<std::string>{"IPv4"}
                      : fam == 1 ? std::vector<std::string>{"IPv6"}
                      : fam == 2 ? std::vector<std::string>{"IPv4", "IPv6"}
                                 : std::vector<std::string>{};
  if (fam == 3) w.svc.cluster_ip = pick(0, 1) == 0 ? "None" : "10.96.0.1";
  if (pick(0, 9) == 0) w.svc.selector.reset();
  if (pick(0, 19) == 0) w.svc.type = "ExternalName";
  for (int k = 0; k < 4; ++k) w.nodes.push_back(make_node("node-" + std::to_string(k), k == 3 ? "" : "zone-" + std::to_string(k)));
  w.nodes.push_back(make_node("node-1", "zone-shadowed"));  // the first of a name counts
  const int npods = pick(0, 30);
  for (int i = 0; i < npods; ++i) {
    std::vector<std::string> ips;
    const int shape = pick(0, 5);
    const std::string v4 = "10.0." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1);
    const std::string v6 = "fd00::" + std::to_string(i + 1);
    if (shape == 0 || shape == 2) ips.push_back(v4);
    if (shape == 1 || shape == 2) ips.push_back(v6);
    if (shape == 3) ips = {"not-an-ip", v4};
    if (shape == 4) ips = {"010.0.0." + std::to_string(i % 200 + 1)};  // lenient text
    pod p = make_pod("pod-" + std::to_string(i), ips, pick(0, 3) != 0, pick(0, 5) == 0);
    p.metadata.uid = "uid-" + std::to_string(i);
    if (pick(0, 7) == 0) p.metadata.labels = {{"foo", "other"}};
    if (pick(0, 11) == 0) p.metadata.namespace_ = "elsewhere";
    if (pick(0, 9) == 0) p.phase = pick(0, 1) == 0 ? "Failed" : "Succeeded";
    p.node_name = "node-" + std::to_string(pick(0, 5));  // node-4 and node-5 do not exist
    if (pick(0, 4) == 0) {
      p.hostname = "h" + std::to_string(i);
      p.subdomain = pick(0, 1) == 0 ? "foo" : "bar";
    }
    container c;
    c.name = "main";
    if (pick(0, 2) != 0) c.ports.push_back(container_port_spec{"web", 9000 + pick(0, 2), "TCP"});
    if (pick(0, 2) == 0) c.ports.push_back(container_port_spec{"alt", 9100, pick(0, 1) == 0 ? "TCP" : "UDP"});
    p.containers.push_back(c);
    if (pick(0, 5) == 0) {
      container sidecar;
      sidecar.name = "side";
      sidecar.restart_policy = "Always";
      sidecar.ports.push_back(container_port_spec{"alt", 9200, "TCP"});
      p.init_containers.push_back(sidecar);
    }
    w.pods.push_back(std::move(p));
  }
  return w;
}

// The desired state built the plain way: per pod the primitives (selects, pod_endpoint with a
// linear node search), grouped by port set in the order of first endpoint, then port lists of
// pods without endpoints.
template <class F>
desired_state<F> reference_state(const pod_world& w, std::vector<std::string>* missing = nullptr) {
  desired_state<F> st;
  st.service = service_identity_of(w.svc);
  if (w.svc.type == "ExternalName" || !w.svc.selector) return st;
  std::vector<std::pair<std::vector<endpoint_port>, std::vector<basic_endpoint<F>>>> with;
  std::vector<std::vector<endpoint_port>> without;
  const auto same_set = [](std::vector<endpoint_port> a, std::vector<endpoint_port> b) {
    const auto key = [](const endpoint_port& p) { return std::tuple(p.name, p.port, p.protocol, p.app_protocol); };
    const auto less = [&](const endpoint_port& x, const endpoint_port& y) { return key(x) < key(y); };
    std::sort(a.begin(), a.end(), less);
    std::sort(b.begin(), b.end(), less);
    return a == b;
  };
  for (const auto& p : w.pods) {
    if (!selects(w.svc, p)) continue;
    const node* n = nullptr;
    for (const auto& x : w.nodes)
      if (x.metadata.name == p.node_name) {
        n = &x;
        break;
      }
    auto r = pod_endpoint<F>(p, n, w.svc);
    if (r.skipped == pod_skip_reason::not_in_endpoints) continue;
    if (!n && missing) missing->push_back(p.metadata.namespace_ + "/" + p.metadata.name);
    if (r.included()) {
      auto it = std::find_if(with.begin(), with.end(), [&](const auto& g) { return same_set(g.first, r.ports); });
      if (it == with.end()) it = with.insert(with.end(), {r.ports, {}});
      it->second.push_back(r.endpoint);
    } else if (std::none_of(without.begin(), without.end(), [&](const auto& g) { return same_set(g, r.ports); })) {
      without.push_back(r.ports);
    }
  }
  for (auto& [ports, eps] : with) {
    endpoint_group<F> g;
    g.ports = ports;
    g.ports.set_empty_not_nil();
    g.endpoints = eps;
    st.groups.push_back(std::move(g));
  }
  for (auto& ports : without) {
    if (std::any_of(with.begin(), with.end(), [&](const auto& g) { return same_set(g.first, ports); })) continue;
    endpoint_group<F> g;
    g.ports = ports;
    g.ports.set_empty_not_nil();
    st.groups.push_back(std::move(g));
  }
  return st;
}

}  // namespace

TEST_CASE("convert: property: desired state from pods equals the per-pod primitives", "[convert]") {
#ifdef EPSLICE_SANITIZE_BUILD
  const int cases = 80;
#else
  const int cases = 800;
#endif
  std::mt19937 rng(8001);
  std::size_t several_groups = 0;
  for (int c = 0; c < cases; ++c) {
    const auto w = random_pod_world(rng);
    INFO("case " << c);
    const auto want4 = reference_state<ipv4>(w);
    const auto want6 = reference_state<ipv6>(w);
    CHECK(desired_state_from_pods<ipv4>(w.svc, w.pods, w.nodes) == want4);
    CHECK(desired_state_from_pods<ipv6>(w.svc, w.pods, w.nodes) == want6);
    auto copy = w.pods;
    CHECK(desired_state_from_pods<ipv4>(w.svc, std::move(copy), w.nodes) == want4);
    if (want4.groups.size() > 1) ++several_groups;

    // Every family the Service uses, and the pods without a node, listed once.
    std::vector<std::string> missing;
    const auto types = service_address_types(w.svc);
    const bool v4 = std::find(types.begin(), types.end(), address_type::ipv4) != types.end();
    const bool v6 = std::find(types.begin(), types.end(), address_type::ipv6) != types.end();
    (void)reference_state<ipv4>(w, &missing);
    const bool managed = w.svc.type != "ExternalName" && w.svc.selector.has_value();
    for (const bool moved : {false, true}) {
      auto pods = w.pods;
      const auto all = moved ? desired_state_from_pods(w.svc, std::move(pods), w.nodes)
                             : desired_state_from_pods(w.svc, pods, w.nodes);
      INFO("moved " << moved);
      CHECK(all.managed == managed);
      CHECK(all.desired.ipv4_state == (managed && v4 ? std::optional(want4) : std::nullopt));
      CHECK(all.desired.ipv6_state == (managed && v6 ? std::optional(want6) : std::nullopt));
      CHECK_FALSE(all.desired.fqdn_state);
      CHECK(all.missing_node_pods == (managed ? missing : std::vector<std::string>{}));
    }
  }
  CHECK(several_groups > 10);  // named target ports split the pods into groups
}

TEST_CASE("convert: property: endpoints from pods equals the per-pod primitives", "[convert]") {
  std::mt19937 rng(8002);
  for (int c = 0; c < 300; ++c) {
    const auto w = random_pod_world(rng);
    INFO("case " << c);
    const auto got = endpoints_from_pods<ipv4>(w.svc, w.pods, w.nodes);
    // The former implementation: sorted port tuples as the group key.
    service_pod_endpoints<ipv4> want;
    std::vector<std::vector<endpoint_port>> want_ports;  // per endpoint
    if (w.svc.type != "ExternalName" && w.svc.selector) {
      using tuple_key = std::vector<std::tuple<std::optional<std::string>, std::optional<std::int32_t>,
                                           std::optional<std::string>, std::optional<std::string>>>;
      const auto key_of = [](const std::vector<endpoint_port>& ports) {
        tuple_key k;
        for (const auto& p : ports) k.emplace_back(p.name, p.port, p.protocol, p.app_protocol);
        std::sort(k.begin(), k.end());
        return k;
      };
      std::map<tuple_key, bool> groups;
      std::vector<std::pair<tuple_key, std::vector<endpoint_port>>> empties;
      for (const auto& p : w.pods) {
        if (!selects(w.svc, p)) continue;
        const node* n = nullptr;
        for (const auto& x : w.nodes)
          if (x.metadata.name == p.node_name) {
            n = &x;
            break;
          }
        auto r = pod_endpoint<ipv4>(p, n, w.svc);
        if (r.skipped == pod_skip_reason::not_in_endpoints) continue;
        auto key = key_of(r.ports);
        if (r.skipped == pod_skip_reason::node_missing) want.missing_node_pods.push_back(p.metadata.namespace_ + "/" + p.metadata.name);
        if (r.included()) {
          groups[key] = true;
          want.endpoints.push_back({r.endpoint, 0});
          want_ports.push_back(r.ports);
        } else if (groups.try_emplace(key, false).second) {
          empties.emplace_back(key, r.ports);
        }
      }
      for (auto& [key, ports] : empties)
        if (!groups[key]) want.empty_port_groups.push_back(ports);
    }
    REQUIRE(got.endpoints.size() == want.endpoints.size());
    for (std::size_t i = 0; i < got.endpoints.size(); ++i) {
      CHECK(got.endpoints[i].endpoint == want.endpoints[i].endpoint);
      CHECK(got.ports_of(got.endpoints[i]) == want_ports[i]);
    }

    CHECK(got.empty_port_groups == want.empty_port_groups);
    CHECK(got.missing_node_pods == want.missing_node_pods);
  }
}

TEST_CASE("convert: desired state from pods of the scenario world", "[convert]") {
  // Service svc (selector app=web, port http 80 -> 80), pods 0..9 on nodes node-<i mod 3>.
  service svc;
  svc.metadata.name = "svc";
  svc.metadata.namespace_ = "default";
  svc.metadata.uid = "11111111-2222-4333-8444-555555555555";
  svc.cluster_ip = "10.96.0.10";
  svc.ip_families = {"IPv4"};
  svc.selector = string_map{{"app", "web"}};
  service_port sp;
  sp.name = "http";
  sp.port = 80;
  sp.target_port = int_or_string{std::int32_t{80}};
  svc.ports = {sp};
  std::vector<node> nodes;
  for (int k = 0; k < 3; ++k) nodes.push_back(make_node("node-" + std::to_string(k), "zone-" + std::string(1, static_cast<char>('a' + k))));
  std::vector<pod> pods;
  for (int i = 0; i < 10; ++i) {
    pod p = make_pod("pod-" + std::to_string(i), {"10.0.0." + std::to_string(i)}, true);
    p.metadata.namespace_ = "default";
    p.metadata.labels = {{"app", "web"}};
    p.metadata.uid = "uid-" + std::to_string(i);
    p.node_name = "node-" + std::to_string(i % 3);
    pods.push_back(p);
  }
  const auto st = desired_state_from_pods(svc, pods, nodes);
  REQUIRE(st.managed);
  REQUIRE(st.desired.ipv4_state);
  const auto& d = *st.desired.ipv4_state;
  CHECK(d.service == service_identity{"default", "svc", "11111111-2222-4333-8444-555555555555", {}, false});
  REQUIRE(d.groups.size() == 1);
  CHECK(d.groups[0].ports == nullable_vector<endpoint_port>{eport("http", 80)});
  REQUIRE(d.groups[0].endpoints.size() == 10);
  const auto& e = d.groups[0].endpoints[4];
  CHECK(texts(e.addresses) == std::vector<std::string>{"10.0.0.4"});
  CHECK(e.conditions == endpoint_conditions{true, true, false});
  CHECK(e.node_name == std::optional<std::string>("node-1"));
  CHECK(e.zone == std::optional<std::string>("zone-b"));
  REQUIRE(e.target_ref);
  CHECK(e.target_ref->kind == "Pod");
  CHECK(e.target_ref->name == "pod-4");
  CHECK(e.target_ref->uid == "uid-4");
  CHECK(st.missing_node_pods.empty());
  // Ready for the reconciler: one slice of the ten endpoints.
  const auto plan = reconcile(*st.desired.ipv4_state, std::span<const endpoint_slice_v4>());
  REQUIRE(plan.create.size() == 1);
  CHECK(plan.create[0].endpoints.size() == 10);
  // Not managed: no selector.
  svc.selector.reset();
  const auto none = desired_state_from_pods(svc, pods, nodes);
  CHECK_FALSE(none.managed);
  CHECK_FALSE(none.desired.ipv4_state);
}

TEST_CASE("convert: the Service identity desired slices name", "[convert]") {
  const auto slice = [](std::string ns, std::optional<std::string> service, std::string uid = "") {
    endpoint_slice_v4 s;
    s.metadata.namespace_ = std::move(ns);
    s.metadata.name = "x";
    if (service) s.metadata.labels.emplace(std::string(well_known::service_name_label), *service);
    s.metadata.labels.emplace("team", "a");
    s.metadata.labels.emplace(std::string(well_known::managed_by_label), "someone");
    if (!uid.empty()) s.metadata.owner_references.push_back(owner_reference{"v1", "Service", service.value_or(""), uid, true, true, {}});
    return any_endpoint_slice{s};
  };
  // Agreeing slices: namespace, name, the uid of the owner reference, labels less reserved keys.
  auto ok = service_identity_of_slices({slice("shop", "web"), slice("shop", "web", "u-1"), slice("shop", "web", "u-1")});
  REQUIRE(ok.identity);
  CHECK(ok.conflicts.empty());
  CHECK(ok.identity->namespace_ == "shop");
  CHECK(ok.identity->name == "web");
  CHECK(ok.identity->uid == "u-1");
  CHECK(ok.identity->labels == string_map{{"team", "a"}});
  CHECK_FALSE(ok.identity->headless);
  // Each disagreement, in slice order, with the slice it disagrees with.
  auto bad = service_identity_of_slices(
      {slice("shop", std::nullopt), slice("shop", "web", "u-1"), slice("test", "web"), slice("shop", "web", "u-2")});
  CHECK_FALSE(bad.identity);
  REQUIRE(bad.conflicts.size() == 3);
  CHECK(bad.conflicts[0].slice == 0);
  CHECK(bad.conflicts[0].what == identity_conflict::no_service_label);
  CHECK(bad.conflicts[1].slice == 2);
  CHECK(bad.conflicts[1].what == identity_conflict::other_service);
  CHECK(bad.conflicts[1].earlier == 1);
  CHECK(bad.conflicts[1].named == "test/web");
  CHECK(bad.conflicts[1].expected == "shop/web");
  CHECK(bad.conflicts[2].what == identity_conflict::other_uid);
  CHECK(bad.conflicts[2].earlier == 1);
  CHECK(bad.conflicts[2].named == "u-2");
  CHECK(bad.conflicts[2].expected == "u-1");
  // No slice at all: no identity and nothing wrong.
  const auto none = service_identity_of_slices(std::vector<any_endpoint_slice>{});
  CHECK_FALSE(none.identity);
  CHECK(none.conflicts.empty());
}
