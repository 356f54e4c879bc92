// SPDX-License-Identifier: Apache-2.0
// The command-line contracts of `epslice select` and `epslice eds`, checked by running the tool.
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "cli_runner.hpp"

namespace {

using epslice_test::run;
using epslice_test::slurp;

const std::string web = std::string(EPSLICE_TEST_DATA_DIR) + "/endpointslices-web.json";

// `["a","b",...]`
std::string arr(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ",\"" : "\"") + items[i] + "\"";
  return out + "]";
}

// `"<key>":{"cluster":[...],"local":[...],"all":[...]}`
std::string entry(const std::string& key, const std::vector<std::string>& cluster,
                  const std::vector<std::string>& local, const std::vector<std::string>& all) {
  return "\"" + key + "\":{\"cluster\":" + arr(cluster) + ",\"local\":" + arr(local) + ",\"all\":" + arr(all) + "}";
}

// Endpoints `<prefix><suffix>:<port>` for each suffix.
std::vector<std::string> eps(const std::string& prefix, const std::vector<std::string>& suffixes, int port,
                             bool v6 = false) {
  std::vector<std::string> out;
  for (const auto& s : suffixes)
    out.push_back(v6 ? "[" + prefix + s + "]:" + std::to_string(port) : prefix + s + ":" + std::to_string(port));
  return out;
}

// One lb_endpoint of a ClusterLoadAssignment.
std::string lb(const std::string& ip, int port, const std::string& health) {
  return R"({"endpoint":{"address":{"socket_address":{"address":")" + ip + R"(","port_value":)" +
         std::to_string(port) + R"(}}},"health_status":")" + health + "\"}";
}

// One locality group.
std::string locality(const std::string& zone, const std::vector<std::string>& lbs) {
  std::string out = "{\"locality\":{";
  if (!zone.empty()) out += "\"zone\":\"" + zone + "\"";
  out += "},\"lb_endpoints\":[";
  for (std::size_t i = 0; i < lbs.size(); ++i) out += (i ? "," : "") + lbs[i];
  return out + "]}";
}

std::string cla(const std::string& cluster, const std::vector<std::string>& localities) {
  std::string out = "{\"cluster_name\":\"" + cluster + "\",\"endpoints\":[";
  for (std::size_t i = 0; i < localities.size(); ++i) out += (i ? "," : "") + localities[i];
  return out + "]}";
}

// A small slice: `endpoints` and `ports` are JSON array texts.
std::string slice_json(const std::string& name, const std::string& service, const std::string& type,
                       const std::string& endpoints, const std::string& ports, const std::string& ns = "ns1") {
  std::string labels = service.empty() ? "{}" : R"({"kubernetes.io/service-name":")" + service + "\"}";
  return R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":")" + name +
         R"(","namespace":")" + ns + R"(","labels":)" + labels + R"(},"addressType":")" + type +
         R"(","endpoints":)" + endpoints + R"(,"ports":)" + ports + "}";
}

const char* broken_slice =
    R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-1","namespace":"shop",)"
    R"("labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4",)"
    R"("endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.300"]}],"ports":[]})";

}  // namespace

TEST_CASE("cli merge: select on the sample slices, IPv4, zone hints", "[cli][merge]") {
  // Every ready endpoint carries a zone hint and some name eu-west-1a: cluster endpoints are the
  // ready ones hinted for that zone. Policies default to Cluster, so `local` is empty.
  const auto r = run("select --compact --slices " + web + " --node node-a1 --zone eu-west-1a");
  REQUIRE(r.code == 0);
  // The sample is dual-stack: without --family, IPv4, with a notice.
  CHECK(r.err == "epslice select: notice: the slices are of address types IPv4 and IPv6: using IPv4 (--family "
                 "chooses)\n");
  const std::vector<std::string> a_zone = {"1.10", "1.16", "2.11", "2.17"};
  CHECK(r.out == "{" + entry("shop/web:http/TCP", eps("10.244.", a_zone, 8080), {}, eps("10.244.", a_zone, 8080)) +
                     "," + entry("shop/web:metrics/TCP", eps("10.244.", a_zone, 9090), {}, eps("10.244.", a_zone, 9090)) +
                     "}\n");

  // A node without a zone: no zone matches, so every ready endpoint (byte-wise order).
  const auto nz = run("select --compact --slices " + web + " --node node-a1 --family IPv4");
  REQUIRE(nz.code == 0);
  const std::vector<std::string> ready = {"1.10", "1.16", "2.11", "2.17", "3.12", "4.13", "5.14"};
  CHECK(nz.out == "{" + entry("shop/web:http/TCP", eps("10.244.", ready, 8080), {}, eps("10.244.", ready, 8080)) +
                      "," + entry("shop/web:metrics/TCP", eps("10.244.", ready, 9090), {}, eps("10.244.", ready, 9090)) +
                      "}\n");
}

TEST_CASE("cli merge: select on the sample slices, IPv6, local policies and terminating fallback", "[cli][merge]") {
  // node-c2 runs only the serving-and-terminating fd00:10:244:6::15: it is the local fallback;
  // topology does not apply (no zone given), and `all` is the union.
  const auto r = run("select --compact --slices " + web +
                     " --node node-c2 --family IPv6 --external-traffic-policy Local --externally-accessible");
  REQUIRE(r.code == 0);
  const std::vector<std::string> ready = {"1::10", "1::16", "2::11", "2::17", "3::12", "4::13", "5::14"};
  const std::vector<std::string> all = {"1::10", "1::16", "2::11", "2::17", "3::12", "4::13", "5::14", "6::15"};
  CHECK(r.out == "{" +
                     entry("shop/web:http/TCP", eps("fd00:10:244:", ready, 8080, true),
                           eps("fd00:10:244:", {"6::15"}, 8080, true), eps("fd00:10:244:", all, 8080, true)) +
                     "," +
                     entry("shop/web:metrics/TCP", eps("fd00:10:244:", ready, 9090, true),
                           eps("fd00:10:244:", {"6::15"}, 9090, true), eps("fd00:10:244:", all, 9090, true)) +
                     "}\n");

  // Internal policy Local, not externally accessible: no cluster endpoints; node-a1 has two
  // ready ones (topology never filters local endpoints).
  const auto l = run("select --compact --slices " + web +
                     " --node node-a1 --zone eu-west-1b --family IPv6 --internal-traffic-policy Local");
  REQUIRE(l.code == 0);
  CHECK(l.out == "{" +
                     entry("shop/web:http/TCP", {}, eps("fd00:10:244:", {"1::10", "1::16"}, 8080, true),
                           eps("fd00:10:244:", {"1::10", "1::16"}, 8080, true)) +
                     "," +
                     entry("shop/web:metrics/TCP", {}, eps("fd00:10:244:", {"1::10", "1::16"}, 9090, true),
                           eps("fd00:10:244:", {"1::10", "1::16"}, 9090, true)) +
                     "}\n");

  // External policy Local without external access is ignored (only cluster endpoints).
  const auto e = run("select --compact --slices " + web +
                     " --node node-b1 --zone eu-west-1b --family IPv6 --external-traffic-policy Local");
  REQUIRE(e.code == 0);
  const std::vector<std::string> b_zone = {"3::12", "4::13"};
  CHECK(e.out == "{" +
                     entry("shop/web:http/TCP", eps("fd00:10:244:", b_zone, 8080, true), {},
                           eps("fd00:10:244:", b_zone, 8080, true)) +
                     "," +
                     entry("shop/web:metrics/TCP", eps("fd00:10:244:", b_zone, 9090, true), {},
                           eps("fd00:10:244:", b_zone, 9090, true)) +
                     "}\n");
}

TEST_CASE("cli merge: select prints indented JSON by default", "[cli][merge]") {
  const auto r = run("select --slices - --node n1",
                     slice_json("a", "svc", "IPv4", R"([{"addresses":["10.0.0.2"],"nodeName":"n1"}])",
                                R"([{"port":80,"protocol":"UDP"}])"));
  REQUIRE(r.code == 0);
  CHECK(r.out ==
        "{\n"
        "    \"ns1/svc:/UDP\": {\n"
        "        \"cluster\": [\n"
        "            \"10.0.0.2:80\"\n"
        "        ],\n"
        "        \"local\": [],\n"
        "        \"all\": [\n"
        "            \"10.0.0.2:80\"\n"
        "        ]\n"
        "    }\n"
        "}\n");
}

TEST_CASE("cli merge: select merges slices as kube-proxy", "[cli][merge]") {
  // Two slices of svc share 10.0.0.1: the non-terminating copy wins. An unnamed port is keyed
  // `:` + `/TCP`; a slice without the service label, an IPv6 slice and a port without a number
  // contribute nothing; only addresses[0] counts.
  const std::string in =
      slice_json("svc-a", "svc", "IPv4",
                 R"([{"addresses":["10.0.0.1"],"conditions":{"ready":false,"serving":true,"terminating":true}},)"
                 R"({"addresses":["10.0.0.10","10.0.0.99"],"nodeName":"n1"}])",
                 R"([{"port":8080,"protocol":"TCP"},{"name":"x","protocol":"TCP"}])") +
      "\n" +
      slice_json("svc-b", "svc", "IPv4", R"([{"addresses":["10.0.0.1"],"conditions":{"ready":true}}])",
                 R"([{"port":8080,"protocol":"TCP"}])") +
      "\n" + slice_json("orphan", "", "IPv4", R"([{"addresses":["10.9.9.9"]}])", R"([{"port":1,"protocol":"TCP"}])") + "\n" +
      slice_json("svc-v6", "svc", "IPv6", R"([{"addresses":["fd00::1"]}])", R"([{"port":8080,"protocol":"TCP"}])");
  const auto r = run("select --compact --slices - --node n1 --internal-traffic-policy Local --externally-accessible",
                     in);
  REQUIRE(r.code == 0);
  CHECK(r.out == "{" + entry("ns1/svc:/TCP", {"10.0.0.10:8080", "10.0.0.1:8080"}, {"10.0.0.10:8080"},
                             {"10.0.0.10:8080", "10.0.0.1:8080"}) +
                     "}\n");
  CHECK(r.err == "epslice select: notice: the slices are of address types IPv4 and IPv6: using IPv4 (--family "
                 "chooses)\n"
                 "-: notice: EndpointSlice ns1/orphan: no kubernetes.io/service-name label: not used\n");
  // The same input as IPv6: only the IPv6 slice (the orphan is IPv4: no notice).
  const auto v6 = run("select --compact --slices - --node n1 --family IPv6", in);
  REQUIRE(v6.code == 0);
  CHECK(v6.out == "{" + entry("ns1/svc:/TCP", {"[fd00::1]:8080"}, {}, {"[fd00::1]:8080"}) + "}\n");
  CHECK(v6.err.empty());

  // Later objects for the same slice replace earlier ones (a watch stream).
  const auto later =
      run("select --compact --slices - --node n1",
          slice_json("s", "svc", "IPv4", R"([{"addresses":["10.0.0.1"]}])", R"([{"name":"p","port":1,"protocol":"TCP"}])") + "\n" +
              slice_json("s", "svc", "IPv4", R"([{"addresses":["10.0.0.2"]}])", R"([{"name":"p","port":1,"protocol":"TCP"}])"));
  REQUIRE(later.code == 0);
  CHECK(later.out == "{" + entry("ns1/svc:p/TCP", {"10.0.0.2:1"}, {}, {"10.0.0.2:1"}) + "}\n");

  // Nothing usable: an empty object.
  const auto none = run("select --compact --slices - --node n1",
                        slice_json("orphan", "", "IPv4", R"([{"addresses":["10.9.9.9"]}])", R"([{"port":1,"protocol":"TCP"}])"));
  REQUIRE(none.code == 0);
  CHECK(none.out == "{}\n");
  CHECK(none.err == "-: notice: EndpointSlice ns1/orphan: no kubernetes.io/service-name label: not used\n");
}

TEST_CASE("cli merge: select follows node hints before zone hints", "[cli][merge]") {
  const std::string in = slice_json(
      "s", "svc", "IPv4",
      R"([{"addresses":["10.0.0.1"],"nodeName":"n1","zone":"z1","hints":{"forZones":[{"name":"z1"}],"forNodes":[{"name":"n1"}]}},)"
      R"({"addresses":["10.0.0.2"],"nodeName":"n2","zone":"z1","hints":{"forZones":[{"name":"z1"}],"forNodes":[{"name":"n2"}]}},)"
      R"({"addresses":["10.0.0.3"],"nodeName":"n3","zone":"z2","hints":{"forZones":[{"name":"z2"}],"forNodes":[{"name":"n3"}]}}])",
      R"([{"name":"http","port":80,"protocol":"TCP"}])");
  const auto n1 = run("select --compact --slices - --node n1 --zone z1", in);
  REQUIRE(n1.code == 0);
  CHECK(n1.out == "{" + entry("ns1/svc:http/TCP", {"10.0.0.1:80"}, {}, {"10.0.0.1:80"}) + "}\n");
  // A node no endpoint is hinted for falls back to its zone.
  const auto n4 = run("select --compact --slices - --node n4 --zone z1", in);
  REQUIRE(n4.code == 0);
  CHECK(n4.out == "{" + entry("ns1/svc:http/TCP", {"10.0.0.1:80", "10.0.0.2:80"}, {}, {"10.0.0.1:80", "10.0.0.2:80"}) +
                      "}\n");
  // Cluster and local with topology: `all` is the union.
  const auto both =
      run("select --compact --slices - --node n4 --zone z2 --internal-traffic-policy Local "
          "--external-traffic-policy Local --externally-accessible",
          in);
  REQUIRE(both.code == 0);
  CHECK(both.out == "{" + entry("ns1/svc:http/TCP", {"10.0.0.3:80"}, {}, {"10.0.0.3:80"}) + "}\n");
}

TEST_CASE("cli merge: eds on the sample slices, both families", "[cli][merge]") {
  for (const bool v6 : {false, true}) {
    INFO((v6 ? "IPv6" : "IPv4"));
    const auto r = run("eds --compact --slices " + web + (v6 ? " --family IPv6" : ""));
    REQUIRE(r.code == 0);
    // The sample is dual-stack: without --family, IPv4, with a notice.
    CHECK(r.err == (v6 ? "" : "epslice eds: notice: the slices are of address types IPv4 and IPv6: using IPv4 "
                              "(--family chooses)\n"));
    const auto ip = [&](const std::string& v4, const std::string& v6_suffix) {
      return v6 ? "fd00:10:244:" + v6_suffix : "10.244." + v4;
    };
    std::string want = "[";
    for (const int port : {8080, 9090}) {
      if (port == 9090) want += ",";
      want += cla(std::string("shop/web:") + (port == 8080 ? "http" : "metrics"),
                  {locality("eu-west-1a", {lb(ip("1.10", "1::10"), port, "HEALTHY"), lb(ip("1.16", "1::16"), port, "HEALTHY"),
                                           lb(ip("2.11", "2::11"), port, "HEALTHY"), lb(ip("2.17", "2::17"), port, "HEALTHY")}),
                   locality("eu-west-1b", {lb(ip("3.12", "3::12"), port, "HEALTHY"), lb(ip("3.18", "3::18"), port, "UNHEALTHY"),
                                           lb(ip("4.13", "4::13"), port, "HEALTHY")}),
                   locality("eu-west-1c", {lb(ip("5.14", "5::14"), port, "HEALTHY"), lb(ip("6.15", "6::15"), port, "DRAINING")})});
    }
    want += "]\n";
    CHECK(r.out == want);
  }
}

TEST_CASE("cli merge: eds on small inputs", "[cli][merge]") {
  // An unnamed port gives `<ns>/<svc>:`; a UDP port names its protocol; endpoints without a zone
  // form the `{}` locality, first.
  const std::string in =
      slice_json("dns-1", "dns", "IPv4",
                 R"([{"addresses":["10.0.0.5"],"zone":"z1","conditions":{"ready":false,"serving":false}},)"
                 R"({"addresses":["10.0.0.4"]}])",
                 R"([{"port":53,"protocol":"UDP"}])", "kube-system");
  const auto r = run("eds --compact --slices -", in);
  REQUIRE(r.code == 0);
  CHECK(r.out ==
        "[" +
            cla("kube-system/dns:",
                {R"({"locality":{},"lb_endpoints":[{"endpoint":{"address":{"socket_address":{"protocol":"UDP","address":"10.0.0.4","port_value":53}}},"health_status":"HEALTHY"}]})",
                 R"({"locality":{"zone":"z1"},"lb_endpoints":[{"endpoint":{"address":{"socket_address":{"protocol":"UDP","address":"10.0.0.5","port_value":53}}},"health_status":"UNHEALTHY"}]})"}) +
            "]\n");
  // No slice of the family: an empty array (indented form too).
  const auto none = run("eds --slices - --family IPv6", in);
  REQUIRE(none.code == 0);
  CHECK(none.out == "[]\n");
}

TEST_CASE("cli merge: usage errors exit 2", "[cli][merge]") {
  const std::vector<std::string> bad = {
      "select --node n1",
      "select --slices " + web,
      "select --slices " + web + " --node",
      "select --slices " + web + " --node ''",
      "select --slices " + web + " --node n1 --family ipv4",
      "select --slices " + web + " --node n1 --family FQDN",
      "select --slices " + web + " --node n1 --internal-traffic-policy local",
      "select --slices " + web + " --node n1 --external-traffic-policy Both",
      "select --slices " + web + " --node n1 --externally-accessible=yes",
      "select --slices " + web + " --node n1 --no-such-option",
      "select --slices " + web + " --node n1 " + web,
      "eds",
      "eds --slices " + web + " --family IPv5",
      "eds --slices " + web + " extra",
      "eds --slices " + web + " --node n1",
  };
  for (const auto& args : bad) {
    INFO(args);
    const auto r = run(args);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("run `epslice ") != std::string::npos);
  }
  CHECK(run("select --help").code == 0);
  CHECK(run("eds --help").code == 0);
  const auto help = run("--help");
  CHECK(help.out.find("  select") != std::string::npos);
  CHECK(help.out.find("  eds") != std::string::npos);
}

TEST_CASE("cli merge: bad input exits as validate does, with its messages", "[cli][merge]") {
  for (const std::string cmd : {"select --slices - --node n1", "eds --slices -"}) {
    INFO(cmd);
    // Invalid slice: 1, the same lines as `epslice validate`, nothing on standard output.
    const auto invalid = run(cmd, broken_slice);
    const auto validate = run("validate -", broken_slice);
    REQUIRE(validate.code == 1);
    CHECK(invalid.code == 1);
    CHECK(invalid.out.empty());
    CHECK(invalid.err == validate.err);
    CHECK(invalid.err.find("-: EndpointSlice shop/web-1: endpoints[1].addresses[0]: Invalid value: \"10.0.0.300\"") ==
          0);
    // A wrong JSON type: 1, reported by the decoder.
    const std::string typed = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a",)"
                              R"("namespace":"b"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],)"
                              R"("conditions":{"ready":"yes"}}],"ports":null})";
    const auto t = run(cmd, typed);
    CHECK(t.code == 1);
    CHECK(t.err == run("validate -", typed).err);
    // Not JSON, empty input, a missing file: 2.
    const auto nj = run(cmd, "{\"kind\":\n  [1,}");
    CHECK(nj.code == 2);
    CHECK(nj.err.find("-:2:6: not JSON:") == 0);
    CHECK(run(cmd, "").code == 2);
    // Another kind of object in --slices: 1.
    const auto svc = run(cmd, R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"shop"}})");
    CHECK(svc.code == 1);
    CHECK(svc.err == "-: Service shop/web: --slices takes EndpointSlice objects\n");
    CHECK(svc.out.empty());
  }
  const auto missing = run("select --slices /nonexistent/file.json --node n1");
  CHECK(missing.code == 2);
  CHECK(missing.err.find("/nonexistent/file.json") != std::string::npos);
  CHECK(run("eds --slices /nonexistent/file.json").code == 2);
}

#endif  // EPSLICE_CLI_PATH
