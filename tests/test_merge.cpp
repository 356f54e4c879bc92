// SPDX-License-Identifier: Apache-2.0
// Tests of merge.hpp (endpoint cache, change tracking, selection).
#include <catch2/catch.hpp>

#include <epslice/merge.hpp>

#include "merge_builders.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

using namespace epslice;
using namespace merge_test;

namespace {

#ifdef EPSLICE_SANITIZE_BUILD
constexpr int property_rounds = 25;
#else
constexpr int property_rounds = 300;
#endif

// kube-proxy's test generator (endpointslicecache_test.go): slice `<svc>-<n>`, ports `port-<k>`
// TCP, endpoints i = 1..count at 10.0.<offset>.<i>, serving = i % unready_mod != 0,
// terminating = i % terminating_mod == 0, ready = serving && !terminating, node hosts[i % size].
endpoint_slice_v4 generated(const std::string& svc, const std::string& ns, int n, int offset, int count, int unready_mod,
                            int terminating_mod, const std::vector<std::string>& hosts,
                            const std::vector<std::optional<std::int32_t>>& port_numbers) {
  std::vector<endpoint_port> ports;
  for (std::size_t k = 0; k < port_numbers.size(); ++k)
    ports.push_back(port("port-" + std::to_string(k), port_numbers[k]));
  auto s = slice<ipv4>(ns, svc + "-" + std::to_string(n), svc, ports);
  for (int i = 1; i <= count; ++i) {
    const bool serving = i % unready_mod != 0;
    const bool terminating = i % terminating_mod == 0;
    auto e = endpoint<ipv4>("10.0." + std::to_string(offset) + "." + std::to_string(i), serving && !terminating,
                            serving, terminating);
    if (!hosts.empty()) e.node_name = hosts[static_cast<std::size_t>(i) % hosts.size()];
    s.endpoints.push_back(std::move(e));
  }
  return s;
}
endpoint_slice_v4 generated(const std::string& svc, const std::string& ns, int n, int count, int unready_mod,
                            int terminating_mod, const std::vector<std::string>& hosts,
                            const std::vector<std::optional<std::int32_t>>& port_numbers) {
  return generated(svc, ns, n, n, count, unready_mod, terminating_mod, hosts, port_numbers);
}


// What kube-proxy's tests compare for one endpoint.
struct want_endpoint {
  std::string key;
  bool local = false;
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  friend bool operator==(const want_endpoint&, const want_endpoint&) = default;
};
std::ostream& operator<<(std::ostream& os, const want_endpoint& w) {
  return os << "{" << w.key << " local=" << w.local << " ready=" << w.ready << " serving=" << w.serving
            << " terminating=" << w.terminating << "}";
}

template <class F>
std::vector<want_endpoint> observed(const std::vector<endpoint_info<F>>& eps, const std::string& node) {
  std::vector<want_endpoint> out;
  for (const auto& e : eps) out.push_back({e.key(), e.is_local(node), e.ready, e.serving, e.terminating});
  return out;
}

std::vector<want_endpoint> plain(const std::vector<std::string>& keys, const std::set<std::string>& local = {}) {
  std::vector<want_endpoint> out;
  for (const auto& k : keys) out.push_back({k, local.count(k) > 0});
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TestEndpointsMapFromESC, TestEndpointInfoByServicePort (pkg/proxy/endpointslicecache_test.go):
// kube-proxy's endpoint map cases.

TEST_CASE("merge: kube-proxy endpoints map cases (TestEndpointsMapFromESC)", "[merge]") {
  struct tc {
    std::string name;
    std::string node;
    std::vector<endpoint_slice_v4> slices;
    std::map<service_port_name, std::vector<want_endpoint>> want;  // for ns1/svc1
  };
  const std::vector<std::string> hosts{"host1", "host2"};
  const auto p0 = spn("ns1", "svc1", "port-0");
  const auto p1 = spn("ns1", "svc1", "port-1");
  std::vector<want_endpoint> unready_rows, terminating_rows, all_unready_rows;
  for (int i : {10, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
    const std::string key = "10.0.1." + std::to_string(i) + ":80";
    unready_rows.push_back({key, false, i != 6, i != 6, false});
    const bool t = i == 5 || i == 10;
    terminating_rows.push_back({key, false, !t && i != 6, i != 6, t});
    all_unready_rows.push_back({key, false, false, false, false});
  }
  const std::vector<tc> cases{
      {"1 slice, 2 hosts, ports 80,443",
       "host1",
       {generated("svc1", "ns1", 1, 3, 999, 999, hosts, {80, 443})},
       {{p0, plain({"10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80"}, {"10.0.1.2:80"})},
        {p1, plain({"10.0.1.1:443", "10.0.1.2:443", "10.0.1.3:443"}, {"10.0.1.2:443"})}}},
      {"2 slices, same port",
       "",
       {generated("svc1", "ns1", 1, 3, 999, 999, {}, {80}), generated("svc1", "ns1", 2, 3, 999, 999, {}, {80})},
       {{p0, plain({"10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80", "10.0.2.1:80", "10.0.2.2:80", "10.0.2.3:80"})}}},
      {"2 overlapping slices, same name",
       "",
       {generated("svc1", "ns1", 1, 3, 999, 999, {}, {80}), generated("svc1", "ns1", 1, 4, 999, 999, {}, {80})},
       {{p0, plain({"10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80", "10.0.1.4:80"})}}},
      {"some unready, same name",
       "",
       {generated("svc1", "ns1", 1, 10, 3, 999, {}, {80}), generated("svc1", "ns1", 1, 10, 6, 999, {}, {80})},
       {{p0, unready_rows}}},
      {"some unready and terminating",
       "",
       {generated("svc1", "ns1", 1, 10, 3, 5, {}, {80}), generated("svc1", "ns1", 1, 10, 6, 5, {}, {80})},
       {{p0, terminating_rows}}},
      {"all unready",
       "",
       {generated("svc1", "ns1", 1, 10, 1, 999, {}, {80}), generated("svc1", "ns1", 1, 10, 1, 999, {}, {80})},
       {{p0, all_unready_rows}}},
      {"3 slices, different services and namespaces",
       "",
       {generated("svc1", "ns1", 1, 3, 999, 999, {}, {80}), generated("svc2", "ns1", 2, 3, 999, 999, {}, {80}),
        generated("svc1", "ns2", 3, 3, 999, 999, {}, {80})},
       {{p0, plain({"10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80"})}}},
      {"nil port", "host1", {generated("svc1", "ns1", 1, 3, 999, 999, hosts, {std::nullopt})}, {}},
      {"different endpoints with duplicate IPs",
       "host1",
       {generated("svc1", "ns1", 1, 1, 2, 999, 999, hosts, {80}), generated("svc1", "ns1", 2, 1, 2, 999, 999, hosts, {8080})},
       {{p0, plain({"10.0.1.1:80", "10.0.1.1:8080", "10.0.1.2:80", "10.0.1.2:8080"},
                   {"10.0.1.2:80", "10.0.1.2:8080"})}}},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      endpoint_cache_v4 cache;
      for (const auto& s : c.slices) cache.update(s);
      std::map<service_port_name, std::vector<want_endpoint>> got;
      for (const auto& [name, eps] : cache.snapshot())
        if (name.namespace_ == "ns1" && name.service == "svc1") got[name] = observed(eps, c.node);
      CHECK(got == c.want);
      // The reference merge agrees.
      std::map<service_port_name, std::vector<want_endpoint>> ref;
      for (const auto& [name, eps] : merge_slices<ipv4>(c.slices))
        if (name.namespace_ == "ns1" && name.service == "svc1") ref[name] = observed(eps, c.node);
      CHECK(ref == c.want);
    }
  }
}

TEST_CASE("merge: other services and namespaces are kept apart", "[merge]") {
  endpoint_cache_v4 cache;
  cache.update(generated("svc1", "ns1", 1, 3, 999, 999, {}, {80}));
  cache.update(generated("svc2", "ns1", 2, 3, 999, 999, {}, {80}));
  cache.update(generated("svc1", "ns2", 3, 3, 999, 999, {}, {80}));
  CHECK(cache.service_ports() ==
        std::vector<service_port_name>{spn("ns1", "svc1", "port-0"), spn("ns1", "svc2", "port-0"),
                                       spn("ns2", "svc1", "port-0")});
  CHECK(observed(cache.endpoints(spn("ns1", "svc2", "port-0")), "") ==
        plain({"10.0.2.1:80", "10.0.2.2:80", "10.0.2.3:80"}));
  CHECK(observed(cache.endpoints(spn("ns2", "svc1", "port-0")), "") ==
        plain({"10.0.3.1:80", "10.0.3.2:80", "10.0.3.3:80"}));
  CHECK(cache.endpoints(spn("ns1", "svc1", "port-0", "UDP")).empty());
  CHECK(cache.slice_count() == 3);
  CHECK(cache.endpoint_count() == 9);
}

TEST_CASE("merge: endpoint info by service port (TestEndpointInfoByServicePort)", "[merge]") {
  endpoint_cache_v4 cache;
  cache.update(generated("svc1", "ns1", 1, 3, 999, 999, {"host1", "host2"}, {80}));
  const auto eps = cache.endpoints(spn("ns1", "svc1", "port-0"));
  REQUIRE(eps.size() == 3);
  CHECK(eps[0].node_name == "host2");
  CHECK(eps[1].node_name == "host1");
  CHECK(eps[1].is_local("host1"));
  CHECK_FALSE(eps[1].is_local(""));
  CHECK(observed(eps, "host1") == plain({"10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80"}, {"10.0.1.2:80"}));
}

TEST_CASE("merge: update reports whether what the cache reads changed (TestEsDataChanged)", "[merge]") {
  const auto base = [] {
    auto s = generated("svc1", "ns1", 1, 3, 999, 999, {"host1"}, {443, 80});
    return s;
  };
  struct tc {
    std::string name;
    endpoint_slice_v4 next;
    bool changed;
  };
  auto reordered_ports = base();
  std::swap(reordered_ports.ports[0], reordered_ports.ports[1]);
  auto port_removed = base();
  port_removed.ports.pop_back();
  auto port_added = base();
  port_added.ports.push_back(port("port-2", 8080));
  auto reordered_endpoints = base();
  std::swap(reordered_endpoints.endpoints[0], reordered_endpoints.endpoints[2]);
  auto endpoint_added = base();
  endpoint_added.endpoints.push_back(endpoint<ipv4>("10.0.1.4"));
  auto hostname_only = base();
  hostname_only.endpoints[0].hostname = "pod-1";
  const std::vector<tc> cases{
      {"identical ports and endpoints", base(), false},
      {"ports reordered", reordered_ports, true},
      {"port removed", port_removed, true},
      {"port added", port_added, true},
      {"endpoints reordered", reordered_endpoints, true},
      {"endpoint added", endpoint_added, true},
      {"hostname only (not read by the cache)", hostname_only, false},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      endpoint_cache_v4 cache;
      CHECK(cache.update(base()));
      (void)cache.checkout();
      CHECK(cache.update(c.next) == c.changed);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Cache rules.

TEST_CASE("merge: events are tolerated in any order and repeated", "[merge]") {
  endpoint_cache_v4 cache;
  const auto s1 = generated("svc1", "ns1", 1, 3, 999, 999, {}, {80});
  CHECK_FALSE(cache.remove("ns1", "svc1-1"));  // unknown: nothing happens
  CHECK(cache.update(s1));
  CHECK_FALSE(cache.update(s1));  // repeated
  CHECK(cache.endpoint_count() == 3);
  CHECK(cache.remove(s1));
  CHECK_FALSE(cache.remove(s1));
  CHECK(cache.snapshot().empty());
  CHECK(cache.slice_count() == 0);
  CHECK(cache.update(s1));
  CHECK(cache.endpoint_count() == 3);
}

TEST_CASE("merge: slices without service label, name or namespace", "[merge]") {
  endpoint_cache_v4 cache;
  auto s = generated("svc1", "ns1", 1, 3, 999, 999, {}, {80});
  auto unlabelled = s;
  unlabelled.metadata.labels.clear();
  CHECK_FALSE(cache.update(unlabelled));
  CHECK(cache.snapshot().empty());
  auto empty_label = s;
  empty_label.metadata.labels[std::string(well_known::service_name_label)] = "";
  CHECK_FALSE(cache.update(empty_label));
  auto no_ns = s;
  no_ns.metadata.namespace_.clear();
  CHECK_FALSE(cache.update(no_ns));
  CHECK(cache.snapshot().empty());
  // A later event that drops the label removes the earlier version (difference 2).
  CHECK(cache.update(s));
  CHECK(cache.endpoint_count() == 3);
  CHECK(cache.update(unlabelled));
  CHECK(cache.snapshot().empty());
  // A label change moves the slice to the other service.
  CHECK(cache.update(s));
  auto moved = s;
  moved.metadata.labels[std::string(well_known::service_name_label)] = "svc9";
  CHECK(cache.update(moved));
  CHECK(cache.service_ports() == std::vector<service_port_name>{spn("ns1", "svc9", "port-0")});
}

TEST_CASE("merge: ports: absent name is \"\", absent protocol is TCP, nil and 0 skipped", "[merge]") {
  endpoint_cache_v4 cache;
  auto s = slice<ipv4>("ns", "web-abc", "web",
                       {port(std::nullopt, 80, std::nullopt), port("dns", 53, "UDP"), port("none", std::nullopt),
                        port("zero", 0)});
  s.endpoints.push_back(endpoint<ipv4>("10.0.0.1"));
  basic_endpoint<ipv4> no_address;
  s.endpoints.push_back(no_address);  // skipped: no address
  cache.update(s);
  CHECK(cache.service_ports() == std::vector<service_port_name>{spn("ns", "web", "", "TCP"), spn("ns", "web", "dns", "UDP")});
  CHECK(spn("ns", "web", "", "TCP").to_string() == "ns/web:/TCP");
  CHECK(observed(cache.endpoints(spn("ns", "web", "dns", "UDP")), "") == plain({"10.0.0.1:53"}));
}

TEST_CASE("merge: only addresses[0] is used, conditions nil mean ready and serving", "[merge]") {
  endpoint_cache_v4 cache;
  auto s = slice<ipv4>("ns", "a", "svc", {port("p", 80)});
  auto e = endpoint<ipv4>("10.0.0.2");
  e.addresses.push_back(addr<ipv4>("10.0.0.3"));
  s.endpoints.push_back(e);
  cache.update(s);
  const auto eps = cache.endpoints(spn("ns", "svc", "p"));
  REQUIRE(eps.size() == 1);
  CHECK(eps[0].key() == "10.0.0.2:80");
  CHECK(eps[0].ready);
  CHECK(eps[0].serving);
  CHECK_FALSE(eps[0].terminating);
}

TEST_CASE("merge: endpoint attributes: node, zone, hints sorted and unique", "[merge]") {
  endpoint_cache_v4 cache;
  auto s = slice<ipv4>("ns", "a", "svc", {port("p", 80)});
  auto e = endpoint<ipv4>("10.0.0.2", false, true, true, std::string("node-1"));
  e.zone = "zone-b";
  e.hints = endpoint_hints{{{"zone-b"}, {"zone-a"}, {"zone-b"}}, {{"node-1"}}, {}};
  s.endpoints.push_back(e);
  cache.update(s);
  const auto eps = cache.endpoints(spn("ns", "svc", "p"));
  REQUIRE(eps.size() == 1);
  CHECK(eps[0].node_name == "node-1");
  CHECK(eps[0].zone == "zone-b");
  CHECK(eps[0].zone_hints == std::vector<std::string>{"zone-a", "zone-b"});
  CHECK(eps[0].node_hints == std::vector<std::string>{"node-1"});
  CHECK_FALSE(eps[0].ready);
  CHECK(eps[0].serving);
  CHECK(eps[0].terminating);
  CHECK(merge_slices<ipv4>(std::vector{s}).at(spn("ns", "svc", "p")) == eps);
}

TEST_CASE("merge: IPv6 keys are [ip]:port and sorted byte-wise", "[merge]") {
  endpoint_cache_v6 cache;
  auto s = slice<ipv6>("ns", "a", "svc", {port("p", 443)});
  s.endpoints.push_back(endpoint<ipv6>("2001:db8::10"));
  s.endpoints.push_back(endpoint<ipv6>("2001:db8::1"));
  // The address text as written is the key, as kube-proxy keys it: another spelling of
  // 2001:db8::1 is another endpoint.
  s.endpoints.push_back(endpoint<ipv6>("2001:0db8:0:0::1"));
  cache.update(s);
  const auto eps = cache.endpoints(spn("ns", "svc", "p"));
  REQUIRE(eps.size() == 3);
  CHECK(eps[0].key() == "[2001:0db8:0:0::1]:443");
  CHECK(eps[1].key() == "[2001:db8::10]:443");
  CHECK(eps[2].key() == "[2001:db8::1]:443");
  // Slices of another family are not this cache's: they remove an earlier version.
  CHECK(cache.update(any_endpoint_slice{slice<ipv4>("ns", "b", "svc", {port("p", 443)})}) == false);
  CHECK(cache.update(any_endpoint_slice{slice<ipv4>("ns", "a", "svc", {port("p", 443)})}));
  CHECK(cache.snapshot().empty());
}

TEST_CASE("merge: duplicates across slices follow the documented rule", "[merge]") {
  const auto one = [](const std::string& name, std::optional<bool> ready, std::optional<bool> terminating,
                      const std::string& node) {
    auto s = slice<ipv4>("ns", name, "svc", {port("p", 80)});
    s.endpoints.push_back(endpoint<ipv4>("10.0.0.1", ready, true, terminating, node));
    return s;
  };
  struct tc {
    std::string name;
    std::vector<endpoint_slice_v4> slices;
    std::string want_node;
  };
  const std::vector<tc> cases{
      {"non-terminating beats terminating (upstream)", {one("a", false, true, "n1"), one("b", false, false, "n2")}, "n2"},
      {"non-terminating beats terminating, other order", {one("b", false, false, "n2"), one("a", false, true, "n1")}, "n2"},
      {"then ready beats not ready", {one("a", false, false, "n1"), one("b", true, false, "n2")}, "n2"},
      {"then the slice whose name sorts first", {one("b", true, false, "n2"), one("a", true, false, "n1")}, "n1"},
      {"both terminating: name first", {one("z", false, true, "n2"), one("m", false, true, "n1")}, "n1"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      endpoint_cache_v4 cache;
      for (const auto& s : c.slices) cache.update(s);
      const auto eps = cache.endpoints(spn("ns", "svc", "p"));
      REQUIRE(eps.size() == 1);
      CHECK(eps[0].node_name == c.want_node);
      CHECK(merge_slices<ipv4>(c.slices).at(spn("ns", "svc", "p")) == eps);
      // Removing the winner brings the other copy back.
      const auto winner = std::find_if(c.slices.begin(), c.slices.end(), [&](const auto& s) {
        return s.endpoints[0].node_name == c.want_node;
      });
      cache.remove(*winner);
      const auto rest = cache.endpoints(spn("ns", "svc", "p"));
      REQUIRE(rest.size() == 1);
      CHECK(rest[0].node_name != c.want_node);
    }
  }
  SECTION("same slice twice: the first position wins") {
    auto s = slice<ipv4>("ns", "a", "svc", {port("p", 80)});
    s.endpoints.push_back(endpoint<ipv4>("10.0.0.1", true, true, false, "first"));
    s.endpoints.push_back(endpoint<ipv4>("10.0.0.1", true, true, false, "second"));
    endpoint_cache_v4 cache;
    cache.update(s);
    const auto eps = cache.endpoints(spn("ns", "svc", "p"));
    REQUIRE(eps.size() == 1);
    CHECK(eps[0].node_name == "first");
  }
}

// ---------------------------------------------------------------------------------------------
// Change tracking.

TEST_CASE("merge: checkout reports added, removed and changed endpoints", "[merge]") {
  endpoint_cache_v4 cache;
  const auto name = spn("ns1", "svc1", "port-0");
  cache.update(generated("svc1", "ns1", 1, 3, 999, 999, {}, {80}));
  auto first = cache.checkout();
  REQUIRE(first.size() == 1);
  CHECK(first[0].name == name);
  CHECK(observed(first[0].added, "") == plain({"10.0.1.1:80", "10.0.1.2:80", "10.0.1.3:80"}));
  CHECK(first[0].removed.empty());
  CHECK(first[0].changed.empty());
  CHECK(cache.checkout().empty());

  // .2 becomes not ready, .3 goes away, .4 arrives.
  auto next = generated("svc1", "ns1", 1, 4, 2, 999, {}, {80});  // .2 and .4 not serving
  next.endpoints.erase(next.endpoints.begin() + 2);               // drop .3
  cache.update(next);
  auto second = cache.checkout();
  REQUIRE(second.size() == 1);
  CHECK(observed(second[0].added, "") == std::vector<want_endpoint>{{"10.0.1.4:80", false, false, false, false}});
  CHECK(observed(second[0].removed, "") == plain({"10.0.1.3:80"}));
  REQUIRE(second[0].changed.size() == 1);
  CHECK(second[0].changed[0].previous.key() == "10.0.1.2:80");
  CHECK(second[0].changed[0].previous.ready);
  CHECK_FALSE(second[0].changed[0].current.ready);

  // A change undone before the checkout is not reported.
  cache.update(generated("svc1", "ns1", 1, 9, 999, 999, {}, {80}));
  cache.update(next);
  CHECK(cache.checkout().empty());

  // Removing the slice removes everything.
  cache.remove("ns1", "svc1-1");
  auto last = cache.checkout();
  REQUIRE(last.size() == 1);
  CHECK(last[0].removed.size() == 3);
  CHECK(cache.snapshot().empty());
  CHECK(cache.service_ports().empty());
}

TEST_CASE("merge: endpoints moving between slices are not reported as changes", "[merge]") {
  endpoint_cache_v4 cache;
  auto a = slice<ipv4>("ns", "a", "svc", {port("p", 80)});
  a.endpoints = {endpoint<ipv4>("10.0.0.1"), endpoint<ipv4>("10.0.0.2")};
  auto b = slice<ipv4>("ns", "b", "svc", {port("p", 80)});
  cache.update(a);
  cache.update(b);
  (void)cache.checkout();
  // .2 moves from a to b: added to b first, then removed from a.
  b.endpoints = {endpoint<ipv4>("10.0.0.2")};
  cache.update(b);
  a.endpoints.pop_back();
  cache.update(a);
  CHECK(cache.checkout().empty());
  CHECK(observed(cache.endpoints(spn("ns", "svc", "p")), "") == plain({"10.0.0.1:80", "10.0.0.2:80"}));
}

// ---------------------------------------------------------------------------------------------
// TestCategorizeEndpoints (pkg/proxy/topology_test.go).

namespace {
struct e1_endpoint {
  std::string ip;
  bool ready = false, serving = false, terminating = false, local = false;
  std::vector<std::string> zone_hints;
};
e1_endpoint R(const std::string& ip, std::vector<std::string> hints = {}) { return {ip, true, true, false, false, std::move(hints)}; }
e1_endpoint RL(const std::string& ip, std::vector<std::string> hints = {}) { return {ip, true, true, false, true, std::move(hints)}; }
e1_endpoint NR(const std::string& ip, std::vector<std::string> hints = {}) { return {ip, false, false, false, false, std::move(hints)}; }
e1_endpoint ST(const std::string& ip, bool local = false) { return {ip, false, true, true, local, {}}; }
using keys = std::optional<std::vector<std::string>>;
const keys empty_keys = std::vector<std::string>{};
}  // namespace

TEST_CASE("merge: categorize endpoints (TestCategorizeEndpoints)", "[merge]") {
  struct tc {
    std::string name;
    std::string zone;
    traffic_policy policy;
    std::vector<e1_endpoint> endpoints;
    keys cluster, local;
    std::vector<std::string> all;
    bool has_any;
  };
  const traffic_policy cluster_only{};
  const traffic_policy etp_local_np{false, true, true};
  const traffic_policy itp_local_np{true, false, true};
  const traffic_policy itp_local{true, false, false};
  const traffic_policy both_local_np{true, true, true};
  const traffic_policy etp_local_no_np{false, true, false};
  const std::string a = "10.1.2.", z = "10.0.0.";
  const std::vector<tc> cases{
      {"hints enabled, hints annotation == auto", "zone-a", cluster_only,
       {R(a + "3", {"zone-a"}), R(a + "4", {"zone-b"}), R(a + "5", {"zone-c"}), R(a + "6", {"zone-a"})},
       keys{{a + "3:80", a + "6:80"}}, std::nullopt, {a + "3:80", a + "6:80"}, true},
      {"externalTrafficPolicy: Local, topology ignored for Local endpoints", "zone-a", etp_local_np,
       {RL(a + "3", {"zone-a"}), RL(a + "4", {"zone-b"}), R(a + "5", {"zone-c"}), R(a + "6", {"zone-a"})},
       keys{{a + "3:80", a + "6:80"}}, keys{{a + "3:80", a + "4:80"}}, {a + "3:80", a + "4:80", a + "6:80"}, true},
      {"internalTrafficPolicy: Local, topology ignored for Local endpoints", "zone-a", itp_local_np,
       {RL(a + "3", {"zone-a"}), RL(a + "4", {"zone-b"}), R(a + "5", {"zone-c"}), R(a + "6", {"zone-a"})},
       keys{{a + "3:80", a + "6:80"}}, keys{{a + "3:80", a + "4:80"}}, {a + "3:80", a + "4:80", a + "6:80"}, true},
      {"empty node labels", "", cluster_only, {R(a + "3", {"zone-a"})}, keys{{a + "3:80"}}, std::nullopt, {a + "3:80"}, true},
      {"empty zone label", "", cluster_only, {R(a + "3", {"zone-a"})}, keys{{a + "3:80"}}, std::nullopt, {a + "3:80"}, true},
      {"node in different zone, no endpoint filtering", "zone-b", cluster_only, {R(a + "3", {"zone-a"})},
       keys{{a + "3:80"}}, std::nullopt, {a + "3:80"}, true},
      {"unready endpoint", "zone-a", cluster_only,
       {R(a + "3", {"zone-a"}), R(a + "4", {"zone-b"}), R(a + "5", {"zone-c"}), NR(a + "6", {"zone-a"})},
       keys{{a + "3:80"}}, std::nullopt, {a + "3:80"}, true},
      {"only unready endpoints in same zone (should not filter)", "zone-a", cluster_only,
       {NR(a + "3", {"zone-a"}), R(a + "4", {"zone-b"}), R(a + "5", {"zone-c"}), NR(a + "6", {"zone-a"})},
       keys{{a + "4:80", a + "5:80"}}, std::nullopt, {a + "4:80", a + "5:80"}, true},
      {"missing hints, no filtering applied", "zone-a", cluster_only,
       {R(a + "3", {"zone-a"}), R(a + "4", {"zone-b"}), R(a + "5"), R(a + "6", {"zone-a"})},
       keys{{a + "3:80", a + "4:80", a + "5:80", a + "6:80"}}, std::nullopt,
       {a + "3:80", a + "4:80", a + "5:80", a + "6:80"}, true},
      {"multiple hints per endpoint, filtering includes any endpoint with zone included", "zone-c", cluster_only,
       {R(a + "3", {"zone-a", "zone-b", "zone-c"}), R(a + "4", {"zone-b", "zone-c"}), R(a + "5", {"zone-b", "zone-d"}),
        R(a + "6", {"zone-c"})},
       keys{{a + "3:80", a + "4:80", a + "6:80"}}, std::nullopt, {a + "3:80", a + "4:80", a + "6:80"}, true},
      {"conflicting topology and localness require merging allEndpoints", "zone-a", etp_local_np,
       {RL(z + "0", {"zone-a"}), RL(z + "1", {"zone-b"}), R(z + "2", {"zone-a"}), R(z + "3", {"zone-b"})},
       keys{{z + "0:80", z + "2:80"}}, keys{{z + "0:80", z + "1:80"}}, {z + "0:80", z + "1:80", z + "2:80"}, true},
      {"internalTrafficPolicy: Local, with empty endpoints", "", itp_local, {}, std::nullopt, empty_keys, {}, false},
      {"internalTrafficPolicy: Local, but all endpoints are remote", "", itp_local, {R(z + "0"), R(z + "1")},
       std::nullopt, empty_keys, {}, true},
      {"internalTrafficPolicy: Local, all endpoints are local", "", itp_local, {RL(z + "0"), RL(z + "1")},
       std::nullopt, keys{{z + "0:80", z + "1:80"}}, {z + "0:80", z + "1:80"}, true},
      {"internalTrafficPolicy: Local, some endpoints are local", "", itp_local, {RL(z + "0"), R(z + "1")},
       std::nullopt, keys{{z + "0:80"}}, {z + "0:80"}, true},
      {"Cluster traffic policy, endpoints not Ready", "", cluster_only, {NR(z + "0"), NR(z + "1")}, empty_keys,
       std::nullopt, {}, false},
      {"Cluster traffic policy, some endpoints are Ready", "", cluster_only, {NR(z + "0"), R(z + "1")},
       keys{{z + "1:80"}}, std::nullopt, {z + "1:80"}, true},
      {"Cluster traffic policy, all endpoints are terminating", "", cluster_only, {ST(z + "0", true), ST(z + "1")},
       keys{{z + "0:80", z + "1:80"}}, std::nullopt, {z + "0:80", z + "1:80"}, true},
      {"iTP: Local, eTP: Cluster, some endpoints local", "", itp_local_np, {RL(z + "0"), R(z + "1")},
       keys{{z + "0:80", z + "1:80"}}, keys{{z + "0:80"}}, {z + "0:80", z + "1:80"}, true},
      {"iTP: Cluster, eTP: Local, some endpoints local", "", etp_local_np, {RL(z + "0"), R(z + "1")},
       keys{{z + "0:80", z + "1:80"}}, keys{{z + "0:80"}}, {z + "0:80", z + "1:80"}, true},
      {"iTP: Local, eTP: Local, some endpoints local", "", both_local_np, {RL(z + "0"), R(z + "1")},
       keys{{z + "0:80", z + "1:80"}}, keys{{z + "0:80"}}, {z + "0:80", z + "1:80"}, true},
      {"iTP: Local, eTP: Local, all endpoints remote", "", both_local_np, {R(z + "0"), R(z + "1")},
       keys{{z + "0:80", z + "1:80"}}, empty_keys, {z + "0:80", z + "1:80"}, true},
      {"iTP: Local, eTP: Local, all endpoints remote and terminating", "", both_local_np, {ST(z + "0"), ST(z + "1")},
       keys{{z + "0:80", z + "1:80"}}, empty_keys, {z + "0:80", z + "1:80"}, true},
      {"iTP: Cluster, eTP: Local, with terminating endpoints", "", etp_local_np,
       {R(z + "0"), e1_endpoint{z + "1", false, false, false, true, {}}, ST(z + "2", true), ST(z + "3")},
       keys{{z + "0:80"}}, keys{{z + "2:80"}}, {z + "0:80", z + "2:80"}, true},
      {"externalTrafficPolicy ignored if not externally accessible", "", etp_local_no_np, {R(z + "0"), RL(z + "1")},
       keys{{z + "0:80", z + "1:80"}}, std::nullopt, {z + "0:80", z + "1:80"}, true},
      {"no cluster endpoints for iTP:Local internal-only service", "", itp_local, {R(z + "0"), RL(z + "1")},
       std::nullopt, keys{{z + "1:80"}}, {z + "1:80"}, true},
  };
  const auto key_list = [](const std::vector<endpoint_info<ipv4>>& v) {
    std::vector<std::string> out;
    for (const auto& e : v) out.push_back(e.key());
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      std::vector<endpoint_info<ipv4>> eps;
      for (const auto& e : c.endpoints) {
        endpoint_info<ipv4> info;
        info.address = addr<ipv4>(e.ip);
        info.port = 80;
        info.ready = e.ready;
        info.serving = e.serving;
        info.terminating = e.terminating;
        info.node_name = e.local ? "test-node" : "other-node";
        info.zone_hints = e.zone_hints;
        eps.push_back(info);
      }
      const auto got = select_endpoints<ipv4>(eps, "test-node", c.zone, c.policy);
      REQUIRE(got.cluster.has_value() == c.cluster.has_value());
      if (c.cluster) CHECK(key_list(*got.cluster) == sorted(*c.cluster));
      REQUIRE(got.local.has_value() == c.local.has_value());
      if (c.local) CHECK(key_list(*got.local) == sorted(*c.local));
      CHECK(key_list(got.all) == sorted(c.all));
      std::vector<std::string> all_in_order;
      for (const auto& e : got.all) all_in_order.push_back(e.key());
      CHECK(std::is_sorted(all_in_order.begin(), all_in_order.end()));
      CHECK(got.has_any == c.has_any);
    }
  }
}

TEST_CASE("merge: node hints select same-node endpoints, else zone hints apply", "[merge]") {
  const auto ep = [](const std::string& ip, std::vector<std::string> zones, std::vector<std::string> nodes) {
    endpoint_info<ipv4> e;
    e.address = addr<ipv4>(ip);
    e.port = 80;
    e.ready = e.serving = true;
    e.zone_hints = std::move(zones);
    e.node_hints = std::move(nodes);
    return e;
  };
  std::vector<endpoint_info<ipv4>> eps{ep("10.0.0.1", {"za"}, {"n1"}), ep("10.0.0.2", {"za"}, {"n2"}),
                                       ep("10.0.0.3", {"zb"}, {"n3"})};
  auto on_n1 = select_endpoints<ipv4>(eps, "n1", "za", {});
  CHECK(on_n1.mode == topology_mode::prefer_same_node);
  REQUIRE(on_n1.cluster->size() == 1);
  CHECK((*on_n1.cluster)[0].key() == "10.0.0.1:80");
  // No endpoint is hinted for n9: zone hints take over.
  auto on_n9 = select_endpoints<ipv4>(eps, "n9", "za", {});
  CHECK(on_n9.mode == topology_mode::prefer_same_zone);
  CHECK(on_n9.cluster->size() == 2);
  // One ready endpoint without node hint: node hints are ignored.
  eps[2].node_hints.clear();
  CHECK(topology_mode_from_hints<ipv4>(eps, "n1", "za") == topology_mode::prefer_same_zone);
  // Unready endpoints do not count.
  eps[2].ready = false;
  CHECK(topology_mode_from_hints<ipv4>(eps, "n1", "za") == topology_mode::prefer_same_node);
}

TEST_CASE("merge: cache select uses the merged endpoints", "[merge]") {
  endpoint_cache_v4 cache;
  cache.update(generated("svc1", "ns1", 1, 3, 999, 999, {"host1", "host2"}, {80}));
  const auto sel = cache.select(spn("ns1", "svc1", "port-0"), "host1", "", traffic_policy{true, false, false});
  CHECK_FALSE(sel.cluster.has_value());
  REQUIRE(sel.local.has_value());
  REQUIRE(sel.local->size() == 1);
  CHECK((*sel.local)[0].key() == "10.0.1.2:80");
  const auto none = cache.select(spn("ns1", "svc1", "nope"), "host1", "", traffic_policy{});
  CHECK(none.cluster.has_value());
  CHECK(none.cluster->empty());
  CHECK_FALSE(none.has_any);
}

// ---------------------------------------------------------------------------------------------
// Property tests.

namespace {

template <class F>
std::string random_ip(std::mt19937& rng) {
  const int k = std::uniform_int_distribution<int>(1, 12)(rng);
  if constexpr (std::is_same_v<F, ipv4>) return "10.0.0." + std::to_string(k);
  else return "fd00::" + std::to_string(k);
}

template <class F>
basic_endpoint<F> random_endpoint(std::mt19937& rng) {
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const auto opt_bool = [&]() -> std::optional<bool> {
    const int v = pick(3);
    if (v == 0) return std::nullopt;
    return v == 1;
  };
  basic_endpoint<F> e;
  if (pick(20) != 0) e.addresses.push_back(addr<F>(random_ip<F>(rng)));
  if (pick(6) == 0) e.addresses.push_back(addr<F>(random_ip<F>(rng)));
  e.conditions = {opt_bool(), opt_bool(), opt_bool()};
  const char* nodes[] = {"n1", "n2", "n3"};
  if (pick(4) != 0) e.node_name = nodes[pick(3)];
  const char* zones[] = {"za", "zb"};
  if (pick(3) != 0) e.zone = zones[pick(2)];
  if (pick(3) == 0) {
    endpoint_hints h;
    for (int k = pick(3); k > 0; --k) h.for_zones.push_back({zones[pick(2)]});
    for (int k = pick(3); k > 0; --k) h.for_nodes.push_back({nodes[pick(3)]});
    e.hints = h;
  }
  return e;
}

template <class F>
basic_endpoint_slice<F> random_slice(std::mt19937& rng, const std::string& ns, const std::string& name) {
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const char* services[] = {"a", "b"};
  std::optional<std::string> svc;
  if (pick(10) != 0) svc = services[pick(2)];
  std::vector<endpoint_port> ports;
  const std::optional<std::string> names[] = {std::nullopt, std::string(""), std::string("http"), std::string("dns")};
  const std::optional<std::int32_t> numbers[] = {80, 8080, 53, 0, std::nullopt};
  const std::optional<std::string> protocols[] = {std::string("TCP"), std::string("UDP"), std::nullopt};
  for (int k = pick(4); k > 0; --k) ports.push_back(port(names[pick(4)], numbers[pick(5)], protocols[pick(3)]));
  auto s = slice<F>(ns, name, svc, ports);
  for (int k = pick(8); k > 0; --k) s.endpoints.push_back(random_endpoint<F>(rng));
  return s;
}

// A new version of a slice: mostly small edits that keep the ports (the cache's fast path).
template <class F>
basic_endpoint_slice<F> next_version(std::mt19937& rng, const basic_endpoint_slice<F>& prev) {
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  if (pick(3) == 0) return random_slice<F>(rng, prev.metadata.namespace_, prev.metadata.name);
  auto s = prev;
  for (int k = pick(3) + 1; k > 0; --k) {
    const int what = pick(5);
    if (what == 0 || s.endpoints.empty()) s.endpoints.push_back(random_endpoint<F>(rng));
    else if (what == 1) s.endpoints.erase(s.endpoints.begin() + pick(static_cast<int>(s.endpoints.size())));
    else if (what == 2) s.endpoints[static_cast<std::size_t>(pick(static_cast<int>(s.endpoints.size())))] = random_endpoint<F>(rng);
    else if (what == 3) {
      auto& e = s.endpoints[static_cast<std::size_t>(pick(static_cast<int>(s.endpoints.size())))];
      e.conditions.ready = !(e.conditions.ready.value_or(true));
    } else {
      std::shuffle(s.endpoints.begin(), s.endpoints.end(), rng);
    }
  }
  return s;
}

template <class F>
void check_arrival_order(std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<basic_endpoint_slice<F>> slices;
  const int n = std::uniform_int_distribution<int>(1, 8)(rng);
  for (int k = 0; k < n; ++k)
    slices.push_back(random_slice<F>(rng, k % 3 == 0 ? "ns2" : "ns1", "s" + std::to_string(k)));
  const auto want = merge_slices<F>(slices);
  for (int round = 0; round < 4; ++round) {
    std::shuffle(slices.begin(), slices.end(), rng);
    endpoint_cache<F> cache;
    for (const auto& s : slices) cache.update(s);
    INFO("seed " << seed << " round " << round);
    REQUIRE(cache.snapshot() == want);
    REQUIRE(merge_slices<F>(slices) == want);
  }
}

template <class F>
void check_events(std::uint32_t seed) {
  std::mt19937 rng(seed);
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  endpoint_cache<F> cache;
  std::map<std::string, basic_endpoint_slice<F>> current;  // name -> last version (one namespace each)
  endpoints_map<F> rebuilt;
  const int events = 60;
  for (int ev = 0; ev < events; ++ev) {
    const std::string ns = pick(4) == 0 ? "ns2" : "ns1";
    const std::string name = "s" + std::to_string(pick(6));
    const std::string id = ns + "/" + name;
    if (pick(5) == 0) {
      const auto it = current.find(id);
      const bool known = it != current.end() && detail::proxied_service_of(it->second.metadata).has_value();
      if (it != current.end()) current.erase(it);
      CHECK(cache.remove(ns, name) == known);
    } else {
      const auto it = current.find(id);
      auto s = it == current.end() ? random_slice<F>(rng, ns, name) : next_version<F>(rng, it->second);
      cache.update(s);
      if (pick(8) == 0) cache.update(s);  // repeated event
      current[id] = s;
    }
    if (pick(4) == 0) {
      const auto changes = cache.checkout();
      apply_changes<F>(rebuilt, changes);
      INFO("seed " << seed << " event " << ev);
      REQUIRE(rebuilt == cache.snapshot());
      REQUIRE(cache.checkout().empty());
    }
    std::vector<basic_endpoint_slice<F>> finals;
    for (const auto& kv : current) finals.push_back(kv.second);
    INFO("seed " << seed << " event " << ev);
    const auto want = merge_slices<F>(finals);
    REQUIRE(cache.snapshot() == want);
    for (const char* node : {"n1", "n2", "n9", ""})
      REQUIRE(cache.local_ready_endpoints(node) == local_ready_endpoints<F>(want, node));
    std::size_t count = 0;
    for (const auto& kv : want) count += kv.second.size();
    REQUIRE(cache.endpoint_count() == count);
  }
  apply_changes<F>(rebuilt, cache.checkout());
  REQUIRE(rebuilt == cache.snapshot());
  // Removing everything empties the cache and releases its service ports.
  for (const auto& kv : current) {
    const auto slash = kv.first.find('/');
    CHECK(cache.remove(kv.first.substr(0, slash), kv.first.substr(slash + 1)) ==
          detail::proxied_service_of(kv.second.metadata).has_value());
  }
  apply_changes<F>(rebuilt, cache.checkout());
  CHECK(rebuilt.empty());
  CHECK(cache.snapshot().empty());
  CHECK(cache.endpoint_count() == 0);
  CHECK(cache.slice_count() == 0);
}

}  // namespace

TEST_CASE("merge: property: result does not depend on arrival order", "[merge]") {
  for (int k = 0; k < property_rounds; ++k) {
    check_arrival_order<ipv4>(1000u + static_cast<std::uint32_t>(k));
    check_arrival_order<ipv6>(5000u + static_cast<std::uint32_t>(k));
  }
}

TEST_CASE("merge: property: cache equals a merge from scratch, checkouts rebuild the state", "[merge]") {
  for (int k = 0; k < property_rounds; ++k) {
    check_events<ipv4>(2000u + static_cast<std::uint32_t>(k));
    check_events<ipv6>(7000u + static_cast<std::uint32_t>(k));
  }
}

namespace {

// Many slices of one service whose endpoints come from three addresses, so that every key has
// many copies; conditions flip often, so copies change rank in place.
template <class F>
void check_crowded(std::uint32_t seed) {
  std::mt19937 rng(seed);
  const auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
  const std::string ips[] = {std::is_same_v<F, ipv4> ? "10.0.0.1" : "fd00::1",
                             std::is_same_v<F, ipv4> ? "10.0.0.2" : "fd00::2",
                             std::is_same_v<F, ipv4> ? "10.0.0.3" : "fd00::3"};
  const auto crowded_endpoint = [&] {
    const auto opt_bool = [&]() -> std::optional<bool> {
      const int v = pick(3);
      if (v == 0) return std::nullopt;
      return v == 1;
    };
    auto e = endpoint<F>(ips[pick(3)], opt_bool(), opt_bool(), opt_bool());
    e.node_name = "n" + std::to_string(pick(50));  // tells copies apart in the result
    return e;
  };
  const auto crowded_slice = [&](const std::string& name) {
    auto s = slice<F>("ns", name, std::string("svc"), {port(std::string("http"), 80), port(std::string("alt"), 81)});
    for (int k = pick(4) + 1; k > 0; --k) s.endpoints.push_back(crowded_endpoint());
    return s;
  };
  endpoint_cache<F> cache;
  std::map<std::string, basic_endpoint_slice<F>> current;
  endpoints_map<F> rebuilt;
  for (int ev = 0; ev < 150; ++ev) {
    const std::string name = "s" + std::to_string(pick(30));
    const auto it = current.find(name);
    const int what = pick(6);
    if (what == 0 && it != current.end()) {
      CHECK(cache.remove("ns", name));
      current.erase(it);
    } else if (it == current.end() || what == 1) {
      current[name] = crowded_slice(name);
      cache.update(current[name]);
    } else {
      // Same addresses at the same positions, other conditions: copies change rank in place.
      auto& s = it->second;
      for (auto& e : s.endpoints)
        if (pick(2) == 0) e = endpoint<F>(to_string(e.addresses[0]), pick(2) == 0, true, pick(3) == 0, *e.node_name);
      if (pick(4) == 0) s.endpoints.push_back(crowded_endpoint());
      cache.update(s);
    }
    std::vector<basic_endpoint_slice<F>> finals;
    for (const auto& kv : current) finals.push_back(kv.second);
    INFO("seed " << seed << " event " << ev);
    REQUIRE(cache.snapshot() == merge_slices<F>(finals));
    if (pick(3) == 0) {
      apply_changes<F>(rebuilt, cache.checkout());
      REQUIRE(rebuilt == cache.snapshot());
    }
  }
  apply_changes<F>(rebuilt, cache.checkout());
  REQUIRE(rebuilt == cache.snapshot());
}

}  // namespace

TEST_CASE("merge: property: keys held by many slices keep the documented winner", "[merge]") {
  for (int k = 0; k < property_rounds / 3; ++k) {
    check_crowded<ipv4>(3000u + static_cast<std::uint32_t>(k));
    check_crowded<ipv6>(9000u + static_cast<std::uint32_t>(k));
  }
}

TEST_CASE("merge: one ip:port in thousands of slices: winner after every removal", "[merge]") {
#ifdef EPSLICE_SANITIZE_BUILD
  constexpr int n = 600;
#else
  constexpr int n = 4000;
#endif
  // Slice k carries 10.0.0.1:80, on node n<k>; one in three is terminating and one in five not
  // ready. Arrival and removal orders are random; the winner is always the first copy by
  // (terminating, not ready, slice name), which the reference merge confirms at checkpoints.
  std::vector<endpoint_slice_v4> slices;
  for (int k = 0; k < n; ++k) {
    auto s = slice<ipv4>("ns", "s" + std::to_string(k), std::string("svc"), {port(std::string("http"), 80)});
    s.endpoints.push_back(endpoint<ipv4>("10.0.0.1", k % 5 != 0, true, k % 3 == 0, "n" + std::to_string(k)));
    slices.push_back(std::move(s));
  }
  std::mt19937 rng(4242);
  std::shuffle(slices.begin(), slices.end(), rng);
  endpoint_cache_v4 cache;
  for (const auto& s : slices) cache.update(s);
  const auto expected_winner = [](const std::vector<endpoint_slice_v4>& live) {
    const endpoint_slice_v4* best = nullptr;
    for (const auto& s : live) {
      const auto& e = s.endpoints[0];
      const auto rank = [](const basic_endpoint<ipv4>& x) {
        return std::pair(x.conditions.terminating.value_or(false), !x.conditions.ready.value_or(true));
      };
      if (!best || rank(e) < rank(best->endpoints[0]) ||
          (rank(e) == rank(best->endpoints[0]) && s.metadata.name < best->metadata.name))
        best = &s;
    }
    return *best->endpoints[0].node_name;
  };
  std::shuffle(slices.begin(), slices.end(), rng);
  for (int round = 0; !slices.empty(); ++round) {
    const auto eps = cache.endpoints(spn("ns", "svc", "http"));
    REQUIRE(eps.size() == 1);
    INFO("round " << round);
    REQUIRE(eps[0].node_name == expected_winner(slices));
    if (round % 500 == 0) REQUIRE(cache.snapshot() == merge_slices<ipv4>(slices));
    REQUIRE(cache.remove(slices.back()));
    slices.pop_back();
  }
  CHECK(cache.endpoint_count() == 0);
}

TEST_CASE("merge: many slices: lookup by name survives growth, removal and slot reuse", "[merge]") {
#ifdef EPSLICE_SANITIZE_BUILD
  constexpr int n = 400;
#else
  constexpr int n = 3000;
#endif
  // Slice k (namespace ns<k % 7>, name s<k>) holds one endpoint whose address encodes k and the
  // version, so that every slice and version is told apart in the merged result.
  const auto make = [](int k, int version) {
    auto s = slice<ipv4>("ns" + std::to_string(k % 7), "s" + std::to_string(k), std::string("svc"),
                         {port(std::string("http"), 80)});
    basic_endpoint<ipv4> e;
    e.addresses.push_back(ipv4_address::from_uint(0x0a000000U + static_cast<std::uint32_t>(k) * 4U +
                                                  static_cast<std::uint32_t>(version)));
    s.endpoints.push_back(e);
    return s;
  };
  endpoint_cache<ipv4> cache;
  std::vector<endpoint_slice_v4> last(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) {
    last[static_cast<std::size_t>(k)] = make(k, 0);
    REQUIRE(cache.update(last[static_cast<std::size_t>(k)]));
  }
  REQUIRE(cache.slice_count() == static_cast<std::size_t>(n));
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) order[static_cast<std::size_t>(k)] = k;
  std::mt19937 rng(77);
  std::shuffle(order.begin(), order.end(), rng);
  // Remove two thirds in random order (the index shrinks); each removal finds its slice once.
  const std::size_t removed = order.size() * 2 / 3;
  for (std::size_t i = 0; i < removed; ++i) {
    const int k = order[i];
    REQUIRE(cache.remove("ns" + std::to_string(k % 7), "s" + std::to_string(k)));
    REQUIRE_FALSE(cache.remove("ns" + std::to_string(k % 7), "s" + std::to_string(k)));
    REQUIRE_FALSE(cache.remove("ns" + std::to_string((k + 1) % 7), "s" + std::to_string(k)));
  }
  REQUIRE(cache.slice_count() == order.size() - removed);
  // The others are still found: a new version is a change, the same version again is not.
  for (std::size_t i = removed; i < order.size(); ++i) {
    const int k = order[i];
    last[static_cast<std::size_t>(k)] = make(k, 1);
    REQUIRE(cache.update(last[static_cast<std::size_t>(k)]));
    REQUIRE_FALSE(cache.update(last[static_cast<std::size_t>(k)]));
  }
  // The removed ones come back (in reused slots).
  for (std::size_t i = 0; i < removed; ++i) {
    const int k = order[i];
    last[static_cast<std::size_t>(k)] = make(k, 2);
    REQUIRE(cache.update(last[static_cast<std::size_t>(k)]));
  }
  REQUIRE(cache.slice_count() == static_cast<std::size_t>(n));
  REQUIRE(cache.snapshot() == merge_slices<ipv4>(last));
}

TEST_CASE("merge: name comparison word by word agrees with string equality", "[merge]") {
  // Every length up to 21 (whole words, a 4-byte step, single bytes), a difference at each
  // position, and lengths that differ.
  const std::string base = "ip-10-0-1-23.internal-zone";
  for (std::size_t n = 0; n <= 21; ++n) {
    const std::string a = base.substr(0, n);
    CHECK(detail::same_text(a, std::string(a)));
    CHECK_FALSE(detail::same_text(a, base.substr(0, n + 1)));
    for (std::size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = static_cast<char>(b[i] ^ 0x20);
      INFO("length " << n << " position " << i);
      CHECK_FALSE(detail::same_text(a, b));
      CHECK_FALSE(detail::same_text(b, a));
    }
  }
}

TEST_CASE("merge: large events: checkouts stay exact while log buffers are reused", "[merge]") {
  // Slices of 150 endpoints (distinct addresses, random attributes) in two services; each round
  // replaces every address of some slices and edits others, moves endpoints between slices,
  // then checks out. Every event touches far more keys than a small log holds.
  std::mt19937 rng(99);
  const auto fresh = [&] {
    auto e = random_endpoint<ipv4>(rng);
    e.addresses = {ipv4_address::from_uint(0x0a000000U | (static_cast<std::uint32_t>(rng()) & 0x00ffffffU))};
    return e;
  };
  std::vector<endpoint_slice_v4> current;
  for (int k = 0; k < 4; ++k) {
    current.push_back(slice<ipv4>("ns", "big" + std::to_string(k), std::string(k == 3 ? "b" : "a"),
                                  {port(std::string("http"), 80), port(std::string("alt"), 81)}));
    for (int i = 0; i < 150; ++i) current.back().endpoints.push_back(fresh());
  }
  endpoint_cache<ipv4> cache;
  endpoints_map<ipv4> rebuilt;
  for (int round = 0; round < 10; ++round) {
    for (std::size_t k = 0; k < current.size(); ++k) {
      auto& s = current[k];
      if ((static_cast<std::size_t>(round) + k) % 3 == 0) {
        for (auto& e : s.endpoints) e = fresh();
      } else if ((static_cast<std::size_t>(round) + k) % 3 == 1) {
        for (std::size_t i = 0; i < s.endpoints.size(); i += 7) s.endpoints[i].conditions.ready = (rng() & 1U) != 0;
        s.endpoints.push_back(current[(k + 1) % current.size()].endpoints[5]);  // a copy in two slices
      } else {
        s.endpoints.erase(s.endpoints.begin(), s.endpoints.begin() + 40);
        for (int i = 0; i < 60; ++i) s.endpoints.push_back(fresh());
      }
      cache.update(s);
    }
    INFO("round " << round);
    apply_changes<ipv4>(rebuilt, cache.checkout());
    REQUIRE(rebuilt == cache.snapshot());
    REQUIRE(cache.snapshot() == merge_slices<ipv4>(current));
    REQUIRE(cache.checkout().empty());
  }
}

TEST_CASE("merge: local ready endpoints count distinct IPs per service (LocalReadyEndpoints)", "[merge]") {
  // ns1/svc1: 10.0.0.1 on two ports of slice a and again under another port number in slice b
  // counts once; 10.0.0.3 is serving but terminating and 10.0.0.6 not ready: not counted;
  // 10.0.0.5 is terminating in slice a but ready in slice c, and the ready copy wins.
  auto a = slice<ipv4>("ns1", "svc1-a", "svc1", {port("http", 80), port("https", 443)});
  a.endpoints = {endpoint<ipv4>("10.0.0.1", true, true, false, "host1"),
                 endpoint<ipv4>("10.0.0.2", true, true, false, "host2"),
                 endpoint<ipv4>("10.0.0.3", false, true, true, "host1"),
                 endpoint<ipv4>("10.0.0.4", std::nullopt, std::nullopt, std::nullopt, "host1"),
                 endpoint<ipv4>("10.0.0.5", false, true, true, "host1"),
                 endpoint<ipv4>("10.0.0.6", false, false, false, "host1")};
  auto b = slice<ipv4>("ns1", "svc1-b", "svc1", {port("http", 8080)});
  b.endpoints = {endpoint<ipv4>("10.0.0.1", true, true, false, "host1")};
  auto c = slice<ipv4>("ns1", "svc1-c", "svc1", {port("http", 80)});
  c.endpoints = {endpoint<ipv4>("10.0.0.5", true, true, false, "host1")};
  auto d = slice<ipv4>("ns1", "svc2-a", "svc2", {port("", 53, std::string("UDP"))});
  d.endpoints = {endpoint<ipv4>("10.0.1.1", true, true, false, "host2"),
                 endpoint<ipv4>("10.0.1.2", true, true, false)};  // no node: never local
  auto e = slice<ipv4>("ns2", "svc1-a", "svc1", {port("http", 80)});
  e.endpoints = {endpoint<ipv4>("10.0.2.1", true, true, false, "host1")};
  const std::vector<endpoint_slice_v4> slices = {a, b, c, d, e};
  const auto merged = merge_slices<ipv4>(slices);
  endpoint_cache_v4 cache;
  for (const auto& s : slices) cache.update(s);

  using counts = std::map<service_name, std::size_t>;
  const counts host1 = {{{"ns1", "svc1"}, 3}, {{"ns2", "svc1"}, 1}};
  const counts host2 = {{{"ns1", "svc1"}, 1}, {{"ns1", "svc2"}, 1}};
  CHECK(local_ready_endpoints<ipv4>(merged, "host1") == host1);
  CHECK(local_ready_endpoints<ipv4>(merged, "host2") == host2);
  CHECK(local_ready_endpoints<ipv4>(merged, "host3").empty());
  CHECK(local_ready_endpoints<ipv4>(merged, "").empty());
  CHECK(cache.local_ready_endpoints("host1") == host1);
  CHECK(cache.local_ready_endpoints("host2") == host2);
  CHECK(cache.local_ready_endpoints("host3").empty());
  CHECK(cache.local_ready_endpoints("").empty());

  // The ready copy of 10.0.0.5 goes away: the terminating one is left and does not count.
  cache.remove("ns1", "svc1-c");
  CHECK(cache.local_ready_endpoints("host1") == counts{{{"ns1", "svc1"}, 2}, {{"ns2", "svc1"}, 1}});
  // A service whose last local endpoint stops being ready disappears from the map.
  e.endpoints[0].conditions.ready = false;
  cache.update(e);
  CHECK(cache.local_ready_endpoints("host1") == counts{{{"ns1", "svc1"}, 2}});

  // IPv6: one address on two ports counts once.
  auto v6 = slice<ipv6>("ns1", "svc1-v6", "svc1", {port("http", 80), port("https", 443)});
  v6.endpoints = {endpoint<ipv6>("fd00::1", true, true, false, "host1"),
                  endpoint<ipv6>("fd00::2", true, true, false, "host1")};
  endpoint_cache_v6 cache6;
  cache6.update(v6);
  CHECK(cache6.local_ready_endpoints("host1") == counts{{{"ns1", "svc1"}, 2}});
}

TEST_CASE("merge: memory per cached IPv4 endpoint", "[merge]") {
  // 100 slices of 100 endpoints, one port each, 10 services; node and zone names shared.
  endpoint_cache_v4 cache;
  for (int n = 0; n < 100; ++n) {
    auto s = slice<ipv4>("ns", "svc" + std::to_string(n % 10) + "-" + std::to_string(n), "svc" + std::to_string(n % 10),
                         {port("http", 8080)});
    for (int i = 0; i < 100; ++i) {
      auto e = endpoint<ipv4>("10." + std::to_string(n / 250) + "." + std::to_string(n % 250) + "." + std::to_string(i + 1),
                              true, true, false, "node-" + std::to_string(i % 50));
      e.zone = "zone-" + std::to_string(i % 3);
      s.endpoints.push_back(e);
    }
    cache.update(s);
  }
  REQUIRE(cache.endpoint_count() == 10000);
  // Pending change records are released by the checkout; measure the steady state.
  CHECK(cache.checkout().size() == 10);
  const double per_endpoint = static_cast<double>(cache.memory_bytes()) / 10000.0;
  INFO("bytes per endpoint: " << per_endpoint);
  CHECK(per_endpoint <= 64.0);
}
