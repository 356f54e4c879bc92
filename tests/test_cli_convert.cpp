// SPDX-License-Identifier: Apache-2.0
// The command-line contract of `epslice convert`, checked by running the tool.
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>

#include "cli_runner.hpp"
#include <tuple>

namespace {

using epslice_test::run;
using epslice_test::slurp;

const std::string data = EPSLICE_TEST_DATA_DIR;

const std::string list_head = R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[)";

// A legacy Endpoints object with ready and not-ready IPv4 addresses and one IPv6 address.
const std::string small_endpoints =
    R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"db","namespace":"ns","uid":"u1","labels":{"team":"a"},)"
    R"("annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"2024-01-01T00:00:00Z","note":"x"}},)"
    R"("subsets":[{"addresses":[{"ip":"10.0.0.2","hostname":"db-1"},{"ip":"2001:db8::1"}],)"
    R"("notReadyAddresses":[{"ip":"10.0.0.1","nodeName":"n1"}],"ports":[{"name":"pg","port":5432,"protocol":"TCP"}]}]})";

const std::string small_mirrored_meta =
    R"("metadata":{"generateName":"db-","namespace":"ns","labels":{"endpointslice.kubernetes.io/managed-by":)"
    R"("endpointslicemirroring-controller.k8s.io","kubernetes.io/service-name":"db","team":"a"},"annotations":{"note":"x"},)"
    R"("ownerReferences":[{"apiVersion":"v1","kind":"Endpoints","name":"db","uid":"u1","controller":true,"blockOwnerDeletion":true}]})";

const std::string small_mirrored =
    list_head + R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",)" + small_mirrored_meta +
    R"(,"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.2"],"conditions":{"ready":true},"hostname":"db-1"},)"
    R"({"addresses":["10.0.0.1"],"conditions":{"ready":false},"nodeName":"n1"}],"ports":[{"name":"pg","protocol":"TCP","port":5432}]},)"
    R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",)" + small_mirrored_meta +
    R"(,"addressType":"IPv6","endpoints":[{"addresses":["2001:db8::1"],"conditions":{"ready":true}}],)"
    R"("ports":[{"name":"pg","protocol":"TCP","port":5432}]}]})" + "\n";

// The slices of Service db: IPv4 (ready, not ready, terminating) and IPv6.
const std::string small_slices =
    R"({"kind":"List","apiVersion":"v1","items":[)"
    R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"db-a","namespace":"ns","labels":)"
    R"({"kubernetes.io/service-name":"db","team":"a","endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io"}},)"
    R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.2"],"conditions":{"ready":true},"hostname":"db-1"},)"
    R"({"addresses":["10.0.0.1"],"conditions":{"ready":false},"nodeName":"n1"},)"
    R"({"addresses":["10.0.0.3"],"conditions":{"ready":false,"serving":true,"terminating":true}}],)"
    R"("ports":[{"name":"pg","port":5432,"protocol":"TCP"}]},)"
    R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"db-b","namespace":"ns","labels":)"
    R"({"kubernetes.io/service-name":"db"}},"addressType":"IPv6","endpoints":[{"addresses":["2001:db8::1"]}],)"
    R"("ports":[{"name":"pg","port":5432,"protocol":"TCP"}]}]})";

const std::string small_endpoints_v4 =
    list_head + R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"db","namespace":"ns","labels":{"team":"a"}},)"
    R"("subsets":[{"addresses":[{"ip":"10.0.0.2","hostname":"db-1"}],"notReadyAddresses":[{"ip":"10.0.0.1","nodeName":"n1"}],)"
    R"("ports":[{"name":"pg","port":5432,"protocol":"TCP"}]}]}]})" + "\n";

nlohmann::json parse(const std::string& s) { return nlohmann::json::parse(s); }

// A legacy address as a comparable tuple: ip, hostname, nodeName, targetRef (as JSON text).
using address_key = std::tuple<std::string, std::string, std::string, std::string>;
using subset_keys = std::tuple<std::set<address_key>, std::set<address_key>, std::set<std::string>>;

std::set<address_key> address_keys(const nlohmann::json& subset, const char* field) {
  std::set<address_key> out;
  if (!subset.contains(field)) return out;
  for (const auto& a : subset.at(field))
    out.emplace(a.at("ip").get<std::string>(), a.value("hostname", ""), a.value("nodeName", ""),
                a.contains("targetRef") ? a.at("targetRef").dump() : "");
  return out;
}

// Subsets as an unordered collection of (ready, not ready, ports), each itself unordered.
std::multiset<subset_keys> subsets_of(const nlohmann::json& endpoints) {
  std::multiset<subset_keys> out;
  for (const auto& s : endpoints.at("subsets")) {
    std::set<std::string> ports;
    for (const auto& p : s.at("ports")) ports.insert(p.dump());
    out.emplace(address_keys(s, "addresses"), address_keys(s, "notReadyAddresses"), ports);
  }
  return out;
}

}  // namespace

TEST_CASE("cli convert: Endpoints to mirrored EndpointSlices, exact output", "[cli]") {
  auto r = run("convert --to endpointslices --compact", small_endpoints);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out == small_mirrored);
  // Without --compact the same List, indented as kubectl prints it.
  auto indented = run("convert --to endpointslices -", small_endpoints);
  CHECK(indented.code == 0);
  CHECK(indented.out.find("\n    \"items\": [\n") != std::string::npos);
  CHECK(parse(indented.out) == parse(r.out));
}

TEST_CASE("cli convert: EndpointSlices to Endpoints, exact output and --family", "[cli]") {
  auto r = run("convert --to endpoints --compact", small_slices);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out == small_endpoints_v4);
  auto v6 = run("convert --to endpoints --compact --family IPv6", small_slices);
  CHECK(v6.code == 0);
  CHECK(v6.out == list_head +
                      R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"db","namespace":"ns"},)"
                      R"("subsets":[{"addresses":[{"ip":"2001:db8::1"}],"ports":[{"name":"pg","port":5432,"protocol":"TCP"}]}]}]})" +
                      "\n");
  auto v4 = run("convert --to endpoints --compact --family=IPv4", small_slices);
  CHECK(v4.out == small_endpoints_v4);
}

TEST_CASE("cli convert: Endpoints -> slices -> Endpoints through the tool", "[cli]") {
  auto slices = run("convert --to endpointslices --compact", small_endpoints);
  REQUIRE(slices.code == 0);
  auto back = run("convert --to endpoints --compact -", slices.out);
  CHECK(back.code == 0);
  CHECK(back.err.empty());
  // Every address, port and readiness of the IPv4 family comes back; labels too.
  CHECK(back.out == small_endpoints_v4);
  auto back6 = run("convert --to endpoints --compact --family IPv6", slices.out);
  CHECK(back6.out == list_head +
                         R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"db","namespace":"ns","labels":{"team":"a"}},)"
                         R"("subsets":[{"addresses":[{"ip":"2001:db8::1"}],"ports":[{"name":"pg","port":5432,"protocol":"TCP"}]}]}]})" +
                         "\n");
}

TEST_CASE("cli convert: sample Endpoints to slices", "[cli]") {
  auto r = run("convert --to endpointslices " + data + "/endpoints-web.json");
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  const auto list = parse(r.out);
  CHECK(list.at("kind") == "List");
  REQUIRE(list.at("items").size() == 1);
  const auto& s = list.at("items")[0];
  CHECK(s.at("addressType") == "IPv4");
  CHECK(s.at("metadata").at("generateName") == "web-");
  CHECK_FALSE(s.at("metadata").contains("name"));
  CHECK(s.at("metadata").at("namespace") == "shop");
  CHECK(s.at("metadata").at("labels") ==
        parse(R"({"app.kubernetes.io/name":"web","endpointslice.kubernetes.io/managed-by":"endpointslicemirroring-controller.k8s.io",)"
              R"("kubernetes.io/service-name":"web"})"));
  CHECK_FALSE(s.at("metadata").contains("annotations"));  // only the trigger time, which is not mirrored
  CHECK(s.at("metadata").at("ownerReferences") ==
        parse(R"([{"apiVersion":"v1","kind":"Endpoints","name":"web","uid":"c41d7e0a-2b9f-4a6d-8e13-5f0c9b2a7d64",)"
              R"("controller":true,"blockOwnerDeletion":true}])"));
  CHECK(s.at("ports") == parse(R"([{"name":"http","protocol":"TCP","port":8080,"appProtocol":"http"},)"
                               R"({"name":"metrics","protocol":"TCP","port":9090}])"));
  // Ready addresses in address order, then the not-ready one; each keeps nodeName and targetRef.
  std::string addresses;
  for (const auto& e : s.at("endpoints"))
    addresses += e.at("addresses")[0].get<std::string>() + (e.at("conditions").at("ready").get<bool>() ? "+" : "-") +
                 e.at("nodeName").get<std::string>() + "/" + e.at("targetRef").at("name").get<std::string>() + " ";
  CHECK(addresses ==
        "10.244.1.10+node-a1/web-7d9f8c6b5-x2lq9 10.244.1.16+node-a1/web-7d9f8c6b5-m3j7f "
        "10.244.2.11+node-a2/web-7d9f8c6b5-k8m4p 10.244.2.17+node-a2/web-7d9f8c6b5-t5y2k "
        "10.244.3.12+node-b1/web-7d9f8c6b5-r7t2w 10.244.4.13+node-b2/web-7d9f8c6b5-z9c3d "
        "10.244.5.14+node-c1/web-7d9f8c6b5-q4n8h 10.244.3.18-node-b1/web-7d9f8c6b5-h8w4e ");
  // The slices the tool prints pass validation as creates.
  auto v = run("validate -", r.out);
  CHECK(v.code == 0);
}

TEST_CASE("cli convert: a Service with a selector in the input stops mirroring", "[cli]") {
  auto r = run("convert --to endpointslices --compact " + data + "/endpoints-web.json " + data + "/service-web.json");
  CHECK(r.code == 0);
  CHECK(r.out == list_head + "]}\n");
  CHECK(r.err == data + "/endpoints-web.json: notice: Endpoints shop/web: not mirrored: Service shop/web has a selector "
                        "(the EndpointSlice controller makes its slices)\n");
}

TEST_CASE("cli convert: sample slices to Endpoints match the sample Endpoints", "[cli]") {
  auto r = run("convert --to endpoints " + data + "/endpointslices-web.json");
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  const auto list = parse(r.out);
  REQUIRE(list.at("items").size() == 1);
  const auto& got = list.at("items")[0];
  const auto want = parse(slurp(data + "/endpoints-web.json"));
  CHECK(got.at("metadata").at("name") == "web");
  CHECK(got.at("metadata").at("namespace") == "shop");
  CHECK(got.at("metadata").at("labels") == want.at("metadata").at("labels"));
  CHECK(subsets_of(got) == subsets_of(want));
  // The IPv6 projection: the same pods by name, the terminating one left out.
  auto v6 = run("convert --to endpoints --compact --family IPv6 " + data + "/endpointslices-web.json");
  CHECK(v6.code == 0);
  const auto e6 = parse(v6.out).at("items")[0];
  REQUIRE(e6.at("subsets").size() == 1);
  CHECK(e6.at("subsets")[0].at("addresses").size() == 7);
  CHECK(e6.at("subsets")[0].at("notReadyAddresses").size() == 1);
  CHECK(e6.at("subsets")[0].at("notReadyAddresses")[0].at("ip") == "fd00:10:244:3::18");
  CHECK(e6.at("subsets")[0].at("notReadyAddresses")[0].at("targetRef").at("name") == "web-7d9f8c6b5-h8w4e");
}

TEST_CASE("cli convert: sample round trip through the tool keeps every address, port and readiness", "[cli]") {
  auto slices = run("convert --to endpointslices --compact " + data + "/endpoints-web.json");
  REQUIRE(slices.code == 0);
  auto back = run("convert --to endpoints", slices.out);
  CHECK(back.code == 0);
  CHECK(back.err.empty());
  const auto got = parse(back.out).at("items").at(0);
  const auto want = parse(slurp(data + "/endpoints-web.json"));
  CHECK(got.at("metadata").at("name") == want.at("metadata").at("name"));
  CHECK(got.at("metadata").at("namespace") == want.at("metadata").at("namespace"));
  CHECK(got.at("metadata").at("labels") == want.at("metadata").at("labels"));
  CHECK(subsets_of(got) == subsets_of(want));
}

TEST_CASE("cli convert: skipped and invalid addresses are reported, invalid input exits 1", "[cli]") {
  const std::string input =
      R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"db","namespace":"ns","uid":"u1"},"subsets":[{"addresses":)"
      R"([{"ip":"10.0.0.1"},{"ip":"1.2.3"},{"ip":"10.0.0.2"},{"ip":"10.0.0.3"}],"ports":[{"port":80,"protocol":"TCP"}]}]})";
  auto r = run("convert --compact --to endpointslices --max-endpoints-per-subset 2", input);
  CHECK(r.code == 1);
  // Addresses in repacked order: "1.2.3" (no IP, skipped), 10.0.0.1, 10.0.0.2, then the cap.
  CHECK(r.out == list_head +
                     R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"generateName":"db-","namespace":"ns",)"
                     R"("labels":{"endpointslice.kubernetes.io/managed-by":"endpointslicemirroring-controller.k8s.io",)"
                     R"("kubernetes.io/service-name":"db"},"ownerReferences":[{"apiVersion":"v1","kind":"Endpoints","name":"db",)"
                     R"("uid":"u1","controller":true,"blockOwnerDeletion":true}]},"addressType":"IPv4","endpoints":[)"
                     R"({"addresses":["10.0.0.1"],"conditions":{"ready":true}},{"addresses":["10.0.0.2"],"conditions":{"ready":true}}],)"
                     R"("ports":[{"name":"","protocol":"TCP","port":80}]}]})" + "\n");
  CHECK(r.err ==
        "-: Endpoints ns/db: subsets[0].addresses[1].ip: Invalid value: \"1.2.3\": must be a valid IP address\n"
        "-: warning: Endpoints ns/db: skipped 1 invalid IP address when mirroring to EndpointSlices: \"1.2.3\"\n"
        "-: warning: Endpoints ns/db: a max of 2 addresses can be mirrored to EndpointSlices per Endpoints subset; "
        "1 address was skipped\n");
  // A valid Endpoints over the cap: the warning, and exit 0.
  const std::string over =
      R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"db","namespace":"ns"},"subsets":[{"addresses":)"
      R"([{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],"notReadyAddresses":[{"ip":"10.0.0.3"}]}]})";
  auto capped = run("convert --compact --to endpointslices --max-endpoints-per-subset=1", over);
  CHECK(capped.code == 0);
  CHECK(capped.err == "-: warning: Endpoints ns/db: a max of 1 addresses can be mirrored to EndpointSlices per Endpoints "
                      "subset; 2 addresses were skipped\n"
                      "-: warning: Endpoints ns/db has no metadata.uid: its slices get no owner reference (the API "
                      "server refuses one without a uid)\n");
  CHECK(parse(capped.out).at("items").at(0).at("endpoints").size() == 1);
}

TEST_CASE("cli convert: which Endpoints are mirrored, and other kinds", "[cli]") {
  const std::string input =
      R"([{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"a","namespace":"ns","labels":{"endpointslice.kubernetes.io/skip-mirror":"true"}},"subsets":[{"addresses":[{"ip":"10.0.0.1"}]}]},)"
      R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"b","namespace":"ns","deletionTimestamp":"2024-01-01T00:00:00Z"},"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]},)"
      R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"c","namespace":"ns","uid":"uc"},"subsets":[{"addresses":[{"ip":"10.0.0.3"}]}]},)"
      R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"c","namespace":"ns"},"spec":{"clusterIP":"None"}},)"
      R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"d","namespace":"ns","annotations":{"control-plane.alpha.kubernetes.io/leader":"{}"}},"subsets":[{"addresses":[{"ip":"10.0.0.4"}]}]},)"
      R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"ns"}}])";
  auto r = run("convert --compact --to endpointslices", input);
  CHECK(r.code == 0);
  // Service c has no selector, so c is mirrored; its port-less subset gives an empty port list.
  CHECK(r.out == list_head +
                     R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"generateName":"c-","namespace":"ns",)"
                     R"("labels":{"endpointslice.kubernetes.io/managed-by":"endpointslicemirroring-controller.k8s.io",)"
                     R"("kubernetes.io/service-name":"c"},"ownerReferences":[{"apiVersion":"v1","kind":"Endpoints","name":"c",)"
                     R"("uid":"uc","controller":true,"blockOwnerDeletion":true}]},"addressType":"IPv4","endpoints":[)"
                     R"({"addresses":["10.0.0.3"],"conditions":{"ready":true}}],"ports":[]}]})" + "\n");
  CHECK(r.err ==
        "-: notice: Endpoints ns/a: not mirrored: label endpointslice.kubernetes.io/skip-mirror is \"true\"\n"
        "-: notice: Endpoints ns/b: has a deletion timestamp: no EndpointSlices are created for it\n"
        "-: notice: Endpoints ns/d: not mirrored: it has the control-plane.alpha.kubernetes.io/leader annotation\n"
        "-: notice: Pod ns/p: ignored (convert --to endpointslices reads Endpoints and Services)\n");
}

TEST_CASE("cli convert: slices that cannot be projected", "[cli]") {
  const std::string input =
      R"([{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"x","namespace":"ns"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}],"ports":[]},)"
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"f","namespace":"ns","labels":{"kubernetes.io/service-name":"db"}},"addressType":"FQDN","endpoints":[{"addresses":["db.example.com"]}],"ports":[]},)"
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"r","namespace":"ns","labels":{"kubernetes.io/service-name":"db"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.300"]}],"ports":[]}])";
  auto r = run("convert --compact --to endpoints", input);
  CHECK(r.code == 1);
  CHECK(r.out == list_head + "]}\n");
  CHECK(r.err == "-: notice: EndpointSlice ns/x: no kubernetes.io/service-name label: not converted\n"
                 "-: notice: EndpointSlice ns/f: FQDN addresses have no Endpoints form: not converted\n"
                 "-: EndpointSlice ns/r: endpoints[0].addresses[0]: Invalid value: \"10.0.0.300\": must be a valid IPv4 address\n");
}

TEST_CASE("cli convert: over 1000 addresses are truncated and annotated", "[cli]") {
  std::string endpoints;
  for (int i = 0; i < 1003; ++i) {
    if (i) endpoints += ',';
    endpoints += R"({"addresses":["10.1.)" + std::to_string(i / 256) + "." + std::to_string(i % 256) + R"("]})";
  }
  // Two slices of one port set: 1000 + 3 ready endpoints repack into one subset of 1003.
  const std::string slice_a = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"big-a","namespace":"ns",)"
                              R"("labels":{"kubernetes.io/service-name":"big"}},"addressType":"IPv4","endpoints":[)";
  const std::string ports = R"(],"ports":[{"name":"","port":80,"protocol":"TCP"}]})";
  const std::string first = endpoints.substr(0, endpoints.find(R"({"addresses":["10.1.3.232"]})") - 1);
  const std::string rest = endpoints.substr(endpoints.find(R"({"addresses":["10.1.3.232"]})"));
  const std::string input = "[" + slice_a + first + ports + "," + slice_a.substr(0, slice_a.find("big-a")) + "big-b" +
                            slice_a.substr(slice_a.find("big-a") + 5) + rest + ports + "]";
  auto r = run("convert --compact --to endpoints", input);
  CHECK(r.code == 0);
  CHECK(r.err == "-: warning: Endpoints ns/big: over capacity: truncated to 1000 addresses "
                 "(endpoints.kubernetes.io/over-capacity: truncated)\n");
  const auto e = parse(r.out).at("items").at(0);
  CHECK(e.at("metadata").at("annotations") == parse(R"({"endpoints.kubernetes.io/over-capacity":"truncated"})"));
  REQUIRE(e.at("subsets").size() == 1);
  CHECK(e.at("subsets")[0].at("addresses").size() == 1000);
}

TEST_CASE("cli convert: usage errors exit 2", "[cli]") {
  const struct {
    const char* args;
    const char* first_line;
  } rows[] = {
      {"convert", "epslice convert: --to is required: endpointslices or endpoints"},
      {"convert --to yaml", "epslice convert: --to must be endpointslices or endpoints, not \"yaml\""},
      {"convert --to endpoints --family IPv5", "epslice convert: --family must be IPv4 or IPv6, not \"IPv5\""},
      {"convert --to endpointslices --family IPv4", "epslice convert: --family applies to --to endpoints only"},
      {"convert --to endpointslices --max-endpoints-per-subset 0",
       "epslice convert: --max-endpoints-per-subset must be a number from 1 to 1000, not \"0\""},
      {"convert --to endpointslices --max-endpoints-per-subset 1001",
       "epslice convert: --max-endpoints-per-subset must be a number from 1 to 1000, not \"1001\""},
      {"convert --to endpointslices --max-endpoints-per-subset 5x",
       "epslice convert: --max-endpoints-per-subset must be a number from 1 to 1000, not \"5x\""},
      {"convert --to endpoints --max-endpoints-per-subset 5",
       "epslice convert: --max-endpoints-per-subset applies to --to endpointslices only"},
      {"convert --to endpoints --no-such-option", "epslice convert: unknown option --no-such-option"},
      {"convert --to", "epslice convert: option --to needs a value"},
  };
  for (const auto& row : rows) {
    INFO(row.args);
    auto r = run(row.args, small_endpoints);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == std::string(row.first_line) + "\nrun `epslice convert --help` for usage\n");
  }
  auto help = run("convert --help");
  CHECK(help.code == 0);
  CHECK(help.out.rfind("usage: epslice convert --to endpointslices", 0) == 0);
  CHECK(run("--help").out.find("convert") != std::string::npos);
}

TEST_CASE("cli convert: unreadable input exits 2, undecodable objects exit 1, nothing printed", "[cli]") {
  auto missing = run("convert --to endpoints /nonexistent/epslice-input.json");
  CHECK(missing.code == 2);
  CHECK(missing.out.empty());
  CHECK(missing.err == "epslice: /nonexistent/epslice-input.json: no such file\n");
  auto not_json = run("convert --to endpointslices", R"({"kind":"Endpoints")");
  CHECK(not_json.code == 2);
  CHECK(not_json.out.empty());
  auto wrong_type = run("convert --to endpointslices",
                        R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"db","namespace":"ns"},"subsets":[{"addresses":[{"ip":5}]}]})");
  CHECK(wrong_type.code == 1);
  CHECK(wrong_type.out.empty());
  CHECK(wrong_type.err == "-: Endpoints ns/db: subsets[0].addresses[0].ip: Invalid value: 5: must be a string, not a number\n");
  auto bad_service = run("convert --to endpointslices",
                         R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"db","namespace":"ns"},"spec":{"selector":"x"}})");
  CHECK(bad_service.code == 1);
  CHECK(bad_service.out == "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    },\n    \"items\": []\n}\n");
  CHECK(bad_service.err.rfind("-: Service ns/db: spec.selector: ", 0) == 0);
}

#endif  // EPSLICE_CLI_PATH

#ifdef EPSLICE_CLI_PATH
TEST_CASE("cli convert: what the target cannot hold is left out with a warning", "[cli][convert]") {
  // An Endpoints without a uid: its slices get no owner reference (the API server would refuse
  // an empty uid), and a warning says why.
  const auto no_uid = epslice_test::run(
      "convert --to endpointslices --compact -",
      R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"db","namespace":"ns"},)"
      R"("subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":5432,"protocol":"TCP"}]}]})");
  CHECK(no_uid.code == 0);
  CHECK(no_uid.out.find("ownerReferences") == std::string::npos);
  CHECK(no_uid.err.rfind("-: warning: Endpoints ns/db has no metadata.uid", 0) == 0);
  CHECK(std::count(no_uid.err.begin(), no_uid.err.end(), '\n') == 1);
  // A slice whose unnamed port sits beside a named one: the Endpoints keeps the named one.
  const auto unnamed = epslice_test::run(
      "convert --to endpoints --compact -",
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-1","namespace":"ns",)"
      R"("labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}],)"
      R"("ports":[{"protocol":"TCP","port":8080},{"name":"metrics","protocol":"TCP","port":9090}]})");
  CHECK(unnamed.code == 0);
  CHECK(unnamed.out.find("8080") == std::string::npos);
  CHECK(unnamed.out.find("9090") != std::string::npos);
  CHECK(unnamed.err == "-: warning: port 8080/TCP has no name, which a subset of 2 ports requires: left out of the "
                       "subset of 1 addresses\n");
}
#endif
