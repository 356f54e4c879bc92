// SPDX-License-Identifier: Apache-2.0
// Tests of envoy.hpp: a service port's endpoints as an Envoy v3 ClusterLoadAssignment.
#include <catch2/catch.hpp>

#include <epslice/envoy.hpp>

#include "merge_builders.hpp"

#include <optional>
#include <string>
#include <vector>

using namespace epslice;
using namespace merge_test;

TEST_CASE("envoy: ClusterLoadAssignment JSON", "[envoy]") {
  std::vector<endpoint_info<ipv4>> eps(4);
  eps[0].address = addr<ipv4>("10.0.0.2");
  eps[0].ready = eps[0].serving = true;
  eps[0].zone = "zone-b";
  eps[1].address = addr<ipv4>("10.0.0.10");
  eps[1].serving = eps[1].terminating = true;
  eps[1].zone = "zone-a";
  eps[2].address = addr<ipv4>("10.0.0.1");
  eps[2].zone = "zone-a";
  eps[3].address = addr<ipv4>("10.0.0.3");
  for (auto& e : eps) e.port = 8080;
  const std::string got = cluster_load_assignment_json<ipv4>(spn("ns", "web", "http"), eps);
  const std::string sa = "{\"endpoint\":{\"address\":{\"socket_address\":{\"address\":\"";
  CHECK(got ==
        "{\"cluster_name\":\"ns/web:http\",\"endpoints\":["
        "{\"locality\":{},\"lb_endpoints\":[" +
            sa + "10.0.0.3\",\"port_value\":8080}}},\"health_status\":\"UNHEALTHY\"}]},"
                 "{\"locality\":{\"zone\":\"zone-a\"},\"lb_endpoints\":[" +
            sa + "10.0.0.10\",\"port_value\":8080}}},\"health_status\":\"DRAINING\"}," + sa +
            "10.0.0.1\",\"port_value\":8080}}},\"health_status\":\"UNHEALTHY\"}]},"
            "{\"locality\":{\"zone\":\"zone-b\"},\"lb_endpoints\":[" +
            sa + "10.0.0.2\",\"port_value\":8080}}},\"health_status\":\"HEALTHY\"}]}]}");
}

TEST_CASE("envoy: IPv6, UDP, unnamed ports and the cache array", "[envoy]") {
  endpoint_cache_v6 cache;
  auto s = slice<ipv6>("ns", "a", "dns", {port(std::nullopt, 53, "UDP")});
  s.endpoints.push_back(endpoint<ipv6>("2001:db8::1", false, false, false));
  cache.update(s);
  CHECK(cluster_load_assignments_json(cache) ==
        "[{\"cluster_name\":\"ns/dns:\",\"endpoints\":[{\"locality\":{},\"lb_endpoints\":[{\"endpoint\":{\"address\":"
        "{\"socket_address\":{\"protocol\":\"UDP\",\"address\":\"2001:db8::1\",\"port_value\":53}}},"
        "\"health_status\":\"UNHEALTHY\"}]}]}]");
  CHECK(cluster_load_assignments_json(endpoint_cache_v4{}) == "[]");
}

TEST_CASE("envoy: strings are escaped", "[envoy]") {
  std::string out;
  detail::write_json_string(out, std::string("a\"b\\c\n\x01 \xc3\xa9 \xff \xe2\x82"));
  CHECK(out == "\"a\\\"b\\\\c\\n\\u0001 \xc3\xa9 \\ufffd \\ufffd\\ufffd\"");
  std::vector<endpoint_info<ipv4>> eps(1);
  eps[0].address = addr<ipv4>("10.0.0.1");
  eps[0].port = 1;
  eps[0].zone = "z\"1";
  const auto json = cluster_load_assignment_json<ipv4>(spn("n\"s", "s", "p\\"), eps);
  CHECK(json.find("\"cluster_name\":\"n\\\"s/s:p\\\\\"") != std::string::npos);
  CHECK(json.find("\"zone\":\"z\\\"1\"") != std::string::npos);
}
