// SPDX-License-Identifier: Apache-2.0
// The command-line contract of `epslice hints`, checked by running the tool.
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace {

using epslice_test::run;
using epslice_test::slurp;

// A file that lives as long as the object.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    static int counter = 0;
    path = epslice_test::scratch_path("hints_input_" + std::to_string(++counter) + ".json");
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
};

const std::string data = EPSLICE_TEST_DATA_DIR;

std::string node_json(const std::string& name, const std::string& zone, const std::string& cpu, bool ready,
                      const std::string& extra_label = "") {
  std::string labels = R"("topology.kubernetes.io/zone":")" + zone + "\"";
  if (!extra_label.empty()) labels += "," + extra_label;
  return R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" + name + R"(","labels":{)" + labels +
         R"(}},"status":{"allocatable":{"cpu":")" + cpu + R"("},"conditions":[{"type":"Ready","status":")" +
         (ready ? "True" : "False") + R"("}]}})";
}

std::string list_of(const std::vector<std::string>& items) {
  std::string out = R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

// zone-a and zone-b with 2 CPUs each; a control-plane node and a not-ready node in zone-c do not count.
const std::string small_nodes =
    list_of({node_json("n1", "zone-a", "2", true), node_json("n2", "zone-b", "2000m", true),
             node_json("cp", "zone-c", "8", true, R"("node-role.kubernetes.io/control-plane":"")"),
             node_json("down", "zone-c", "8", false)});

// An endpoint as the encoder writes it (hints: "" for none, else the JSON of `hints`).
std::string endpoint_json(const std::string& ip, bool ready, const std::string& node, const std::string& zone,
                          const std::string& hints = "") {
  std::string out = R"({"addresses":[")" + ip + R"("],"conditions":{"ready":)" + (ready ? "true" : "false") +
                    R"(},"nodeName":")" + node + R"(","zone":")" + zone + "\"";
  if (!hints.empty()) out += R"(,"hints":)" + hints;
  return out + "}";
}

std::string zone_hint(const std::string& zone) {
  return R"({"forZones":[{"name":")" + zone + R"("}]})";
}

std::string slice_json(const std::string& name, const std::vector<std::string>& endpoints,
                       const std::string& service = "svc") {
  std::string eps;
  for (std::size_t i = 0; i < endpoints.size(); ++i) eps += (i ? "," : "") + endpoints[i];
  return R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":")" + name +
         R"(","namespace":"ns","labels":{"kubernetes.io/service-name":")" + service +
         R"("}},"addressType":"IPv4","endpoints":[)" + eps + R"(],"ports":[]})";
}

std::string service_json(const std::string& annotations, const std::string& traffic_distribution) {
  std::string out = R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"svc","namespace":"ns")";
  if (!annotations.empty()) out += R"(,"annotations":{)" + annotations + "}";
  out += R"(},"spec":{"clusterIP":"10.96.0.1")";
  if (!traffic_distribution.empty()) out += R"(,"trafficDistribution":")" + traffic_distribution + "\"";
  return out + "}}";
}

// Three ready endpoints in zone-a, one in zone-b, one not ready (with a stale hint), spread over
// two slices; the first zone-a endpoint carries a hint that does not matter.
const std::string small_slices =
    list_of({slice_json("s1", {endpoint_json("10.0.0.1", true, "n1", "zone-a", zone_hint("zone-a")),
                               endpoint_json("10.0.0.2", true, "n1", "zone-a"),
                               endpoint_json("10.0.0.3", false, "n2", "zone-b", zone_hint("zone-b"))}),
             slice_json("s2", {endpoint_json("10.0.0.4", true, "n1", "zone-a"),
                               endpoint_json("10.0.0.5", true, "n2", "zone-b")})});

// The hints of every endpoint of a List of slices ("-" when none), e.g. "zone-a@node-1".
std::vector<std::string> hints_of(const std::string& list_text) {
  std::vector<std::string> out;
  const auto j = nlohmann::json::parse(list_text);
  for (const auto& s : j.at("items"))
    for (const auto& e : s.at("endpoints")) {
      if (!e.contains("hints")) {
        out.push_back("-");
        continue;
      }
      std::string h;
      for (const auto& z : e["hints"].value("forZones", nlohmann::json::array()))
        h += (h.empty() ? "" : "+") + z.at("name").get<std::string>();
      for (const auto& n : e["hints"].value("forNodes", nlohmann::json::array()))
        h += "@" + n.at("name").get<std::string>();
      out.push_back(h);
    }
  return out;
}

// The List with every `hints` field removed.
nlohmann::json without_hints(nlohmann::json j) {
  if (j.contains("items"))
    for (auto& s : j["items"])
      for (auto& e : s["endpoints"]) e.erase("hints");
  return j;
}

}  // namespace

TEST_CASE("cli hints: help and usage errors exit 2", "[cli]") {
  auto help = run("hints --help");
  CHECK(help.code == 0);
  CHECK(help.out.find("usage: epslice hints --nodes FILE... --slices FILE... [--service FILE...]") == 0);
  CHECK(run("--help").out.find("hints") != std::string::npos);
  const temp_file nodes(small_nodes), slices(small_slices);
  auto no_nodes = run("hints --slices " + slices.path);
  CHECK(no_nodes.code == 2);
  CHECK(no_nodes.err == "epslice hints: missing --nodes FILE\nrun `epslice hints --help` for usage\n");
  CHECK(run("hints --nodes " + nodes.path).code == 2);
  auto bad_mode = run("hints --nodes " + nodes.path + " --slices " + slices.path + " --mode Auto");
  CHECK(bad_mode.code == 2);
  CHECK(bad_mode.err.find(
            "epslice hints: unknown --mode Auto (auto, PreferClose, PreferSameZone or PreferSameNode)\n") ==
        0);
  CHECK(run("hints --nodes " + nodes.path + " --slices " + slices.path + " extra").code == 2);
  auto missing = run("hints --nodes /nonexistent/nodes.json --slices " + slices.path);
  CHECK(missing.code == 2);
  CHECK(missing.err == "epslice: /nonexistent/nodes.json: no such file\n");
  CHECK(missing.out.empty());
  auto not_json = run("hints --nodes " + nodes.path + " --slices -", "{\"kind\":\n  [1,}");
  CHECK(not_json.code == 2);
  CHECK(not_json.err.find("-:2:6: not JSON:") == 0);
}

TEST_CASE("cli hints: invalid input objects exit 1", "[cli]") {
  const temp_file nodes(small_nodes), slices(small_slices);
  // A slice the API server would reject.
  auto bad_slice = run("hints --nodes " + nodes.path + " --slices -",
                       slice_json("s1", {endpoint_json("10.0.0.300", true, "n1", "zone-a")}));
  CHECK(bad_slice.code == 1);
  CHECK(bad_slice.err.find(
            "-: EndpointSlice ns/s1: endpoints[0].addresses[0]: Invalid value: \"10.0.0.300\"") == 0);
  CHECK(bad_slice.out.empty());
  // Objects of the wrong kind.
  auto node_as_slice =
      run("hints --nodes " + nodes.path + " --slices -", node_json("n1", "zone-a", "1", true));
  CHECK(node_as_slice.code == 1);
  CHECK(node_as_slice.err == "-: Node n1: not an EndpointSlice\n");
  auto slice_as_node = run("hints --slices " + slices.path + " --nodes -", slice_json("s9", {}));
  CHECK(slice_as_node.code == 1);
  CHECK(slice_as_node.err == "-: EndpointSlice ns/s9: not a Node\n");
  // A node that decode_node rejects.
  auto bad_cpu = run("hints --slices " + slices.path + " --nodes -", node_json("n1", "zone-a", "lots", true));
  CHECK(bad_cpu.code == 1);
  CHECK(bad_cpu.err.find("-: Node n1: status.allocatable.cpu: ") == 0);
  // Slices of two Services.
  auto two = run("hints --nodes " + nodes.path + " --slices -",
                 list_of({slice_json("s1", {}), slice_json("t1", {}, "other")}));
  CHECK(two.code == 1);
  CHECK(two.err ==
        "-: EndpointSlice ns/t1: belongs to Service ns/other, not to ns/svc as the slices before it\n");
  // A Service file must hold the slices' Service.
  auto other_service =
      run("hints --nodes " + nodes.path + " --slices " + slices.path + " --service -",
          R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"ns"}})");
  CHECK(other_service.code == 1);
  CHECK(other_service.err == "-: Service ns/web: the slices belong to Service ns/svc\n");
  // (Two versions of one Service are one Service, its last state; two Services are too many.)
  std::string other_service_json = service_json("", "");
  other_service_json.replace(other_service_json.find(R"("name":"svc")"), 12, R"("name":"sv2")");
  auto two_services = run("hints --nodes " + nodes.path + " --slices " + slices.path + " --service -",
                          list_of({service_json("", ""), other_service_json}));
  CHECK(two_services.code == 1);
  CHECK(two_services.err == "-: expected one Service, found 2 objects\n");
  // The highest code wins: unreadable input beats invalid objects.
  CHECK(run("hints --nodes /nonexistent/nodes.json --slices -",
            slice_json("s1", {endpoint_json("10.0.0.300", true, "n1", "zone-a")}))
            .code == 2);
}

TEST_CASE("cli hints: auto on a small input, exact output", "[cli]") {
  const temp_file nodes(small_nodes), slices(small_slices);
  // N = 4 ready endpoints over 2 zones of equal CPU: desired 2, minimum ceil(2/1.2) = 2, maximum 2.
  // Own zones give a 3, b 1: zone-a gives one endpoint, the first one in walk order (10.0.0.1).
  // The not-ready endpoint keeps its stale hint, as upstream.
  const std::string want =
      list_of({slice_json("s1", {endpoint_json("10.0.0.1", true, "n1", "zone-a", zone_hint("zone-b")),
                                 endpoint_json("10.0.0.2", true, "n1", "zone-a", zone_hint("zone-a")),
                                 endpoint_json("10.0.0.3", false, "n2", "zone-b", zone_hint("zone-b"))}),
               slice_json("s2", {endpoint_json("10.0.0.4", true, "n1", "zone-a", zone_hint("zone-a")),
                                 endpoint_json("10.0.0.5", true, "n2", "zone-b", zone_hint("zone-b"))})});
  const std::string want_err =
      "zone zone-a (IPv4): cpu ratio 0.5000, desired 2.00, minimum 2, maximum 2, hinted 2\n"
      "zone zone-b (IPv4): cpu ratio 0.5000, desired 2.00, minimum 2, maximum 2, hinted 2\n";
  for (const std::string& mode : {std::string(), std::string(" --mode auto")}) {
    INFO(mode);
    auto r = run("hints --compact --nodes " + nodes.path + " --slices " + slices.path + mode);
    CHECK(r.code == 0);
    CHECK(r.out == want + "\n");
    CHECK(r.err == want_err);
  }
  // Indented output by default, the same value.
  auto indented = run("hints --nodes " + nodes.path + " --slices " + slices.path);
  CHECK(indented.out.find("{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"List\",") == 0);
  CHECK(nlohmann::json::parse(indented.out) == nlohmann::json::parse(want));
  // Standard input works for either file.
  auto piped = run("hints --compact --nodes - --slices " + slices.path, small_nodes);
  CHECK(piped.out == want + "\n");
}

TEST_CASE("cli hints: when hints cannot be used, the reason and no hints, exit 0", "[cli]") {
  const temp_file nodes(small_nodes);
  // One ready endpoint for two zones.
  const std::string one =
      slice_json("s1", {endpoint_json("10.0.0.1", true, "n1", "zone-a", zone_hint("zone-b")),
                        endpoint_json("10.0.0.3", false, "n2", "zone-b", zone_hint("zone-b"))});
  auto r = run("hints --compact --nodes " + nodes.path + " --slices -", one);
  CHECK(r.code == 0);
  CHECK(r.err ==
        "Warning TopologyAwareHintsDisabled: Insufficient number of endpoints (1 endpoints, 2 zones), "
        "addressType: IPv4\n");
  CHECK(r.out == list_of({slice_json("s1", {endpoint_json("10.0.0.1", true, "n1", "zone-a"),
                                            endpoint_json("10.0.0.3", false, "n2", "zone-b")})}) +
                     "\n");
  // Nodes in one zone only.
  const temp_file one_zone(
      list_of({node_json("n1", "zone-a", "2", true), node_json("n2", "zone-a", "2", true)}));
  const temp_file slices(small_slices);
  auto z = run("hints --compact --nodes " + one_zone.path + " --slices " + slices.path);
  CHECK(z.code == 0);
  // Upstream's SetNodes treats fewer than 2 zones as insufficient node information.
  CHECK(z.err ==
        "Warning TopologyAwareHintsDisabled: Insufficient Node information: allocatable CPU or zone not "
        "specified on one "
        "or more nodes, addressType: IPv4\n"
        "the Ready nodes outside the control plane are in fewer than 2 zones\n");
  CHECK(hints_of(z.out) == std::vector<std::string>{"-", "-", "-", "-", "-"});
  // A Ready node without CPU: the cluster's node information is insufficient.
  const temp_file no_cpu(list_of(
      {node_json("n1", "zone-a", "2", true),
       R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"bare","labels":{"topology.kubernetes.io/zone":"zone-b"}},"status":{"conditions":[{"type":"Ready","status":"True"}]}})"}));
  auto c = run("hints --compact --nodes " + no_cpu.path + " --slices " + slices.path);
  CHECK(c.code == 0);
  CHECK(c.err ==
        "Warning TopologyAwareHintsDisabled: Insufficient Node information: allocatable CPU or zone not "
        "specified on one "
        "or more nodes, addressType: IPv4\n"
        "node bare is Ready but has no zone label or no allocatable CPU\n");
  CHECK(hints_of(c.out) == std::vector<std::string>{"-", "-", "-", "-", "-"});
  // A ready endpoint without zone.
  auto nz = run("hints --compact --nodes " + nodes.path + " --slices -",
                slice_json("s1", {endpoint_json("10.0.0.1", true, "n1", "zone-a"),
                                  endpoint_json("10.0.0.2", true, "n2", "zone-b"),
                                  endpoint_json("10.0.0.4", true, "n1", "zone-a"),
                                  R"({"addresses":["10.0.0.3"],"conditions":{"ready":true}})"}));
  CHECK(nz.code == 0);
  CHECK(nz.err ==
        "Warning TopologyAwareHintsDisabled: One or more endpoints do not have a zone specified, "
        "addressType: IPv4\n");
  CHECK(hints_of(nz.out) == std::vector<std::string>{"-", "-", "-", "-"});
}

TEST_CASE("cli hints: trafficDistribution modes", "[cli]") {
  const temp_file nodes(small_nodes), slices(small_slices);
  const auto base = "hints --compact --nodes " + nodes.path + " --slices " + slices.path;
  for (const char* mode : {"PreferClose", "PreferSameZone"}) {
    INFO(mode);
    auto r = run(base + " --mode " + mode);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    // Ready endpoints get their own zone; the not-ready one is left as it is.
    CHECK(hints_of(r.out) == std::vector<std::string>{"zone-a", "zone-a", "zone-b", "zone-a", "zone-b"});
  }
  auto node = run(base + " --mode PreferSameNode");
  CHECK(node.code == 0);
  CHECK(node.err.empty());
  CHECK(
      node.out ==
      list_of(
          {slice_json("s1", {endpoint_json("10.0.0.1", true, "n1", "zone-a",
                                           R"({"forZones":[{"name":"zone-a"}],"forNodes":[{"name":"n1"}]})"),
                             endpoint_json("10.0.0.2", true, "n1", "zone-a",
                                           R"({"forZones":[{"name":"zone-a"}],"forNodes":[{"name":"n1"}]})"),
                             endpoint_json("10.0.0.3", false, "n2", "zone-b", zone_hint("zone-b"))}),
           slice_json("s2",
                      {endpoint_json("10.0.0.4", true, "n1", "zone-a",
                                     R"({"forZones":[{"name":"zone-a"}],"forNodes":[{"name":"n1"}]})"),
                       endpoint_json("10.0.0.5", true, "n2", "zone-b",
                                     R"({"forZones":[{"name":"zone-b"}],"forNodes":[{"name":"n2"}]})")})}) +
          "\n");
}

TEST_CASE("cli hints: the Service decides without --mode", "[cli]") {
  const temp_file nodes(small_nodes), slices(small_slices);
  const auto base = "hints --compact --nodes " + nodes.path + " --slices " + slices.path + " --service -";
  const std::vector<std::string> topology = {"zone-b", "zone-a", "zone-b", "zone-a", "zone-b"};
  const std::vector<std::string> own_zone = {"zone-a", "zone-a", "zone-b", "zone-a", "zone-b"};
  const std::vector<std::string> own_node = {"zone-a@n1", "zone-a@n1", "zone-b", "zone-a@n1", "zone-b@n2"};
  const std::vector<std::string> none = {"-", "-", "-", "-", "-"};
  struct row {
    std::string annotations, td;
    std::vector<std::string> want;
    bool zone_lines;
  };
  const std::vector<row> rows = {
      // The annotation wins over trafficDistribution.
      {R"("service.kubernetes.io/topology-mode":"Auto")", "PreferClose", topology, true},
      {R"("service.kubernetes.io/topology-aware-hints":"auto","service.kubernetes.io/topology-mode":"Disabled")",
       "", topology, true},
      {R"("service.kubernetes.io/topology-mode":"disabled")", "PreferClose", own_zone, false},
      {"", "PreferSameZone", own_zone, false},
      {"", "PreferSameNode", own_node, false},
      {"", "", none, false},
      {"", "PreferFarAway", none, false},
  };
  for (const auto& r : rows) {
    INFO(r.annotations << " / " << r.td);
    auto out = run(base, service_json(r.annotations, r.td));
    CHECK(out.code == 0);
    CHECK(hints_of(out.out) == r.want);
    if (r.zone_lines)
      CHECK(out.err.find("zone zone-a (IPv4): cpu ratio 0.5000") == 0);
    else if (r.want == none)
      CHECK(out.err.find("no hints: ") == 0);
    else
      CHECK(out.err.empty());
  }
  // --mode overrides the Service.
  auto forced = run(base + " --mode auto", service_json("", "PreferSameNode"));
  CHECK(hints_of(forced.out) == topology);
  auto none_note = run(base, service_json("", ""));
  CHECK(none_note.err ==
        "no hints: the Service enables neither topology-aware hints nor a trafficDistribution\n");
}

TEST_CASE("cli hints: the sample data", "[cli]") {
  const auto nodes = data + "/nodes.json", slices = data + "/endpointslices-web.json",
             service = data + "/service-web.json";
  const auto input = nlohmann::json::parse(slurp(slices));
  // Capacity: eu-west-1a 8 CPUs, 1b 11.5, 1c 4 (23.5 in all). 7 ready endpoints per family:
  // desired 2.38 / 3.43 / 1.19, own zones 4 / 2 / 1, so 1a gives one endpoint to 1b.
  auto r = run("hints --nodes " + nodes + " --slices " + slices);
  CHECK(r.code == 0);
  CHECK(r.err ==
        "zone eu-west-1a (IPv4): cpu ratio 0.3404, desired 2.38, minimum 2, maximum 3, hinted 3\n"
        "zone eu-west-1b (IPv4): cpu ratio 0.4894, desired 3.43, minimum 3, maximum 4, hinted 3\n"
        "zone eu-west-1c (IPv4): cpu ratio 0.1702, desired 1.19, minimum 1, maximum 2, hinted 1\n"
        "zone eu-west-1a (IPv6): cpu ratio 0.3404, desired 2.38, minimum 2, maximum 3, hinted 3\n"
        "zone eu-west-1b (IPv6): cpu ratio 0.4894, desired 3.43, minimum 3, maximum 4, hinted 3\n"
        "zone eu-west-1c (IPv6): cpu ratio 0.1702, desired 1.19, minimum 1, maximum 2, hinted 1\n");
  const std::vector<std::string> topology = {
      // web-9kq2x (IPv4)
      "eu-west-1b", "eu-west-1a", "eu-west-1b", "eu-west-1b", "eu-west-1c", "-",
      // web-fw7tn (IPv4)
      "eu-west-1a", "eu-west-1a", "-",
      // web-p2m8d (IPv6)
      "eu-west-1b", "eu-west-1a", "eu-west-1b", "eu-west-1b", "eu-west-1c", "-", "eu-west-1a", "eu-west-1a",
      "-"};
  CHECK(hints_of(r.out) == topology);
  // Nothing but hints changes.
  CHECK(without_hints(nlohmann::json::parse(r.out)) == without_hints(input));

  // The sample Service asks for PreferSameZone: every ready endpoint gets its own zone.
  auto svc = run("hints --nodes " + nodes + " --slices " + slices + " --service " + service);
  CHECK(svc.code == 0);
  CHECK(svc.err.empty());
  const std::vector<std::string> own = {"eu-west-1a", "eu-west-1a", "eu-west-1b", "eu-west-1b", "eu-west-1c",
                                        "-",          "eu-west-1a", "eu-west-1a", "-",          "eu-west-1a",
                                        "eu-west-1a", "eu-west-1b", "eu-west-1b", "eu-west-1c", "-",
                                        "eu-west-1a", "eu-west-1a", "-"};
  CHECK(hints_of(svc.out) == own);
  CHECK(nlohmann::json::parse(svc.out) == input);  // the sample already carries exactly those hints

  auto same_node = run("hints --nodes " + nodes + " --slices " + slices + " --service " + service +
                       " --mode PreferSameNode");
  CHECK(same_node.code == 0);
  const std::vector<std::string> nodes_too = {
      "eu-west-1a@node-a1", "eu-west-1a@node-a2", "eu-west-1b@node-b1",
      "eu-west-1b@node-b2", "eu-west-1c@node-c1", "-",
      "eu-west-1a@node-a1", "eu-west-1a@node-a2", "-",
      "eu-west-1a@node-a1", "eu-west-1a@node-a2", "eu-west-1b@node-b1",
      "eu-west-1b@node-b2", "eu-west-1c@node-c1", "-",
      "eu-west-1a@node-a1", "eu-west-1a@node-a2", "-"};
  CHECK(hints_of(same_node.out) == nodes_too);
  CHECK(without_hints(nlohmann::json::parse(same_node.out)) == without_hints(input));
}

#endif  // EPSLICE_CLI_PATH
