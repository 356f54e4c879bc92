// SPDX-License-Identifier: Apache-2.0
// The command-line contract of `epslice reconcile` (--desired and --pods forms), checked by running
// the tool: exact plans on small inputs, the sample service, every error path, and idempotence
// (applying the printed plan and reconciling again gives an empty plan).
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include <sys/wait.h>

#include "cli_runner.hpp"

using nlohmann::json;

namespace {

using epslice_test::run;
using epslice_test::slurp;

// A scratch file (unique to this process), removed at the end of the test case.
class scratch {
 public:
  scratch() = default;
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  ~scratch() {
    for (const auto& p : paths_) std::remove(p.c_str());
  }
  std::string write(const std::string& name, const std::string& content) {
    const std::string path = epslice_test::scratch_path("reconcile_" + name);
    std::ofstream out(path, std::ios::binary);
    out << content;
    paths_.push_back(path);
    return path;
  }

 private:
  std::vector<std::string> paths_;
};

const std::string data = EPSLICE_TEST_DATA_DIR;

json list_of(const json& items) { return json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}; }

json slice(const std::string& name, const std::string& type, const json& endpoints, const json& labels,
           const json& ports = json::array()) {
  json s = {{"kind", "EndpointSlice"},
            {"apiVersion", "discovery.k8s.io/v1"},
            {"metadata", {{"name", name}, {"namespace", "ns"}, {"labels", labels}}},
            {"addressType", type},
            {"endpoints", endpoints},
            {"ports", ports}};
  return s;
}

const json managed_labels = {{"kubernetes.io/service-name", "svc"},
                             {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}};

json v4_endpoints(int from, int to) {
  json eps = json::array();
  for (int i = from; i < to; ++i)
    eps.push_back({{"addresses", {"10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1)}}});
  return eps;
}

std::vector<std::string> names(const json& plan, const char* part) {
  std::vector<std::string> out;
  for (const auto& s : plan.at(part)) out.push_back(s.at("metadata").value("name", ""));
  return out;
}

std::vector<std::size_t> sizes(const json& plan, const char* part) {
  std::vector<std::size_t> out;
  for (const auto& s : plan.at(part)) out.push_back(s.at("endpoints").size());
  return out;
}

// Apply a printed plan to the existing slices as the API server would: creates get a name from
// their generateName, updates replace the slice of that name, deletes remove it.
json apply(const json& existing_items, const json& plan) {
  std::map<std::string, json> by_name;
  for (const auto& s : existing_items) by_name[s.at("metadata").at("name").get<std::string>()] = s;
  int n = 0;
  for (auto s : plan.at("create")) {
    REQUIRE_FALSE(s.at("metadata").contains("name"));
    const std::string name = s.at("metadata").at("generateName").get<std::string>() + "gen" + std::to_string(n++);
    REQUIRE(by_name.count(name) == 0);
    s["metadata"]["name"] = name;
    by_name[name] = s;
  }
  for (const auto& s : plan.at("update")) {
    const std::string name = s.at("metadata").at("name").get<std::string>();
    REQUIRE(by_name.count(name) == 1);
    by_name[name] = s;
  }
  for (const auto& s : plan.at("delete")) REQUIRE(by_name.erase(s.at("metadata").at("name").get<std::string>()) == 1);
  json out = json::array();
  for (auto& [name, s] : by_name) out.push_back(std::move(s));
  return out;
}

const char* empty_plan_pretty = "{\n    \"create\": [],\n    \"update\": [],\n    \"delete\": []\n}\n";
const char* empty_plan_compact = "{\"create\":[],\"update\":[],\"delete\":[]}\n";

// Runs `reconcile <args> --existing <existing> --compact`, applies the plan, runs again on the
// result and checks that nothing is left to write. Returns the first plan.
json check_settles(scratch& files, const std::string& args, const json& existing_items, const std::string& tag) {
  const std::string existing = files.write(tag + "-existing.json", list_of(existing_items).dump());
  auto first = run("reconcile " + args + " --existing " + existing + " --compact");
  INFO(first.err);
  REQUIRE(first.code == 0);
  const json plan = json::parse(first.out);
  const json after = apply(existing_items, plan);
  const std::string next = files.write(tag + "-after.json", list_of(after).dump());
  auto second = run("reconcile " + args + " --existing " + next + " --compact");
  INFO(second.err);
  CHECK(second.code == 0);
  CHECK(second.out == empty_plan_compact);
  return plan;
}

json sample(const std::string& name) { return json::parse(slurp(data + "/" + name)); }

}  // namespace

TEST_CASE("cli reconcile: help and usage errors exit 2 with a message", "[cli][reconcile]") {
  auto help = run("reconcile --help");
  CHECK(help.code == 0);
  CHECK(help.out.find("--desired FILE [--existing FILE]") != std::string::npos);
  CHECK(help.out.find("--pods FILE --service FILE --nodes FILE [--existing FILE]") != std::string::npos);
  CHECK(run("--help").out.find("reconcile") != std::string::npos);

  const std::string d = data + "/endpointslices-web.json";
  const std::string usage_line = "run `epslice reconcile --help` for usage\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--existing " + d, "--desired FILE or --pods FILE is required"},
      {"--desired " + d + " --pods " + d + " --existing " + d, "give either --desired or --pods, not both"},
      {"--pods " + d + " --nodes " + d + " --existing " + d, "--pods needs --service FILE"},
      {"--pods " + d + " --service " + d + " --existing " + d, "--pods needs --nodes FILE"},
      {"--desired " + d + " --nodes " + d + " --existing " + d, "--nodes goes with --pods, not with --desired"},
      {"--desired " + d + " --existing " + d + " extra", "unexpected argument extra"},
      {"--desired - --existing -", "only one input can be standard input (-)"},
      {"--desired " + d + " --existing " + d + " --max-endpoints-per-slice 0",
       "--max-endpoints-per-slice 0: must be an integer from 1 to 1000"},
      {"--desired " + d + " --existing " + d + " --max-endpoints-per-slice 1001",
       "--max-endpoints-per-slice 1001: must be an integer from 1 to 1000"},
      {"--desired " + d + " --existing " + d + " --max-endpoints-per-slice=-5",
       "--max-endpoints-per-slice -5: must be an integer from 1 to 1000"},
      {"--desired " + d + " --existing " + d + " --max-endpoints-per-slice ten",
       "--max-endpoints-per-slice ten: must be an integer from 1 to 1000"},
      {"--desired " + d + " --existing " + d + " --max-endpoints-per-slice 99999999999",
       "--max-endpoints-per-slice 99999999999: must be an integer from 1 to 1000"},
      {"--desired " + d + " --existing " + d + " --strategy fastest", "--strategy fastest: must be kubernetes or minimal"},
      {"--desired " + d + " --existing " + d + " --controller-name=", "--controller-name must not be empty"},
      {"--desired " + d + " --existing " + d + " --trigger-time yesterday",
       "--trigger-time yesterday: must be an RFC 3339 time such as 2026-11-26T16:42:11Z"},
      {"--desired " + d + " --existing " + d + " --trigger-time 2026-02-29T00:00:00Z",
       "--trigger-time 2026-02-29T00:00:00Z: must be an RFC 3339 time such as 2026-11-26T16:42:11Z"},
      {"--desired " + d + " --existing " + d + " --trigger-time 2026-11-26T16:42:11",
       "--trigger-time 2026-11-26T16:42:11: must be an RFC 3339 time such as 2026-11-26T16:42:11Z"},
      {"--desired " + d + " --existing " + d + " --trigger-time 2026-11-26T16:42:11.1234567891Z",
       "--trigger-time 2026-11-26T16:42:11.1234567891Z: must be an RFC 3339 time such as 2026-11-26T16:42:11Z"},
      {"--desired " + d + " --existing " + d + " --no-such-option", "unknown option --no-such-option"},
  };
  for (const auto& [args, message] : cases) {
    INFO(args);
    auto r = run("reconcile " + args);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == "epslice reconcile: " + message + "\n" + usage_line);
  }
  // The bounds themselves are accepted.
  CHECK(run("reconcile --desired " + d + " --existing " + d + " --max-endpoints-per-slice 1").code == 0);
  CHECK(run("reconcile --desired " + d + " --existing " + d + " --max-endpoints-per-slice 1000").code == 0);
}

TEST_CASE("cli reconcile: unreadable input and text that is not JSON exit 2", "[cli][reconcile]") {
  const std::string d = data + "/endpointslices-web.json";
  auto missing = run("reconcile --desired /nonexistent/want.json --existing " + d);
  CHECK(missing.code == 2);
  CHECK(missing.out.empty());
  CHECK(missing.err == "epslice: /nonexistent/want.json: no such file\n");
  auto not_json = run("reconcile --desired " + d + " --existing -", "{\"kind\":\n  [1,}");
  CHECK(not_json.code == 2);
  CHECK(not_json.err.find("-:2:6: not JSON:") == 0);
  auto empty = run("reconcile --pods - --service " + data + "/service-web.json --nodes " + data +
                   "/nodes.json --existing " + d);
  CHECK(empty.code == 2);
  CHECK(empty.err == "epslice: -: empty input\n");
  // Unreadable input wins over invalid objects in another file.
  auto both = run("reconcile --desired - --existing /nonexistent/x.json",
                  R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[]})");
  CHECK(both.code == 2);
  // An empty desired list names no service: --service is needed.
  scratch files;
  const std::string none = files.write("none.json", list_of(json::array()).dump());
  auto unknown = run("reconcile --desired " + none + " --existing " + none);
  CHECK(unknown.code == 2);
  CHECK(unknown.err ==
        "epslice reconcile: the service is not known: --desired holds no EndpointSlice; give --service FILE\n"
        "run `epslice reconcile --help` for usage\n");
}

TEST_CASE("cli reconcile: the sample service's pods against its slices: nothing to write", "[cli][reconcile]") {
  const std::string common = "reconcile --pods " + data + "/pods-web.json --service " + data + "/service-web.json --nodes " +
                             data + "/nodes.json --existing " + data + "/endpointslices-web.json";
  for (const char* strategy : {"kubernetes", "minimal"}) {
    INFO(strategy);
    auto r = run(common + " --strategy " + strategy);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out == empty_plan_pretty);
    // A trigger time is written only on slices that are written.
    CHECK(run(common + " --trigger-time 2026-12-01T00:00:00Z --compact").out == empty_plan_compact);
  }
  // The sample slices as the desired state, against themselves.
  auto same = run("reconcile --desired " + data + "/endpointslices-web.json --existing " + data +
                  "/endpointslices-web.json --service " + data + "/service-web.json --compact");
  CHECK(same.code == 0);
  CHECK(same.err.empty());
  CHECK(same.out == empty_plan_compact);
}

TEST_CASE("cli reconcile: the sample pods from scratch give a dual-stack plan that settles", "[cli][reconcile]") {
  scratch files;
  const std::string args = "--pods " + data + "/pods-web.json --service " + data + "/service-web.json --nodes " + data +
                           "/nodes.json";
  for (const char* strategy : {"kubernetes", "minimal"}) {
    INFO(strategy);
    const json plan = check_settles(files, args + " --strategy " + strategy, json::array(), std::string("scratch-") + strategy);
    REQUIRE(plan.at("create").size() == 2);
    CHECK(plan.at("update").empty());
    CHECK(plan.at("delete").empty());
    const json& v4 = plan["create"][0];
    const json& v6 = plan["create"][1];
    CHECK(v4["addressType"] == "IPv4");
    CHECK(v6["addressType"] == "IPv6");
    for (const json* s : {&v4, &v6}) {
      const json& m = (*s)["metadata"];
      CHECK_FALSE(m.contains("name"));
      CHECK(m["generateName"] == "web-");
      CHECK(m["namespace"] == "shop");
      CHECK(m["labels"] == json{{"app.kubernetes.io/name", "web"},
                                {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"},
                                {"kubernetes.io/service-name", "web"}});
      CHECK_FALSE(m.contains("annotations"));
      CHECK(m["ownerReferences"] == json::parse(R"([{"apiVersion":"v1","kind":"Service","name":"web",
          "uid":"6f1c9a2e-4b7d-4c53-9e0f-2d8b1a7c3e51","controller":true,"blockOwnerDeletion":true}])"));
      CHECK((*s)["ports"] == json::parse(R"([{"name":"http","protocol":"TCP","port":8080,"appProtocol":"http"},
                                             {"name":"metrics","protocol":"TCP","port":9090}])"));
      CHECK((*s)["endpoints"].size() == 9);
    }
    // The endpoints are those of the sample slices (upstream wrote them from the same pods), hints aside.
    const json existing = sample("endpointslices-web.json")["items"];
    json want4 = existing[0]["endpoints"], want6 = existing[2]["endpoints"];
    for (const auto& e : existing[1]["endpoints"]) want4.push_back(e);
    for (json* list : {&want4, &want6})
      for (auto& e : *list) e.erase("hints");
    CHECK(v4["endpoints"] == want4);
    CHECK(v6["endpoints"] == want6);
  }
  // At most 4 endpoints per slice: 4 + 4 + 1 per family, IPv4 first.
  const json small = check_settles(files, args + " --max-endpoints-per-slice 4", json::array(), "max4");
  CHECK(sizes(small, "create") == std::vector<std::size_t>{4, 4, 1, 4, 4, 1});
  std::vector<std::string> types;
  for (const auto& s : small["create"]) types.push_back(s["addressType"]);
  CHECK(types == std::vector<std::string>{"IPv4", "IPv4", "IPv4", "IPv6", "IPv6", "IPv6"});
}

TEST_CASE("cli reconcile: pod changes update the slices that hold them", "[cli][reconcile]") {
  scratch files;
  json pods = sample("pods-web.json");
  // web-7d9f8c6b5-b6v1s (terminating, in web-9kq2x and web-p2m8d) goes away; web-7d9f8c6b5-h8w4e
  // (in web-fw7tn) becomes ready; a pod of another app and one in another namespace are ignored.
  auto& items = pods["items"];
  items.erase(items.begin() + 5);
  for (auto& c : items[7]["status"]["conditions"])
    if (c["type"] == "Ready") c["status"] = "True";
  json other = items[0];
  other["metadata"]["name"] = "api-1";
  other["metadata"]["labels"] = {{"app.kubernetes.io/name", "api"}};
  other["status"]["podIPs"] = json::parse(R"([{"ip":"10.244.9.9"}])");
  items.push_back(other);
  json elsewhere = items[0];
  elsewhere["metadata"]["namespace"] = "other";
  elsewhere["status"]["podIPs"] = json::parse(R"([{"ip":"10.244.9.10"}])");
  items.push_back(elsewhere);
  const std::string pods_file = files.write("changed-pods.json", pods.dump());
  const std::string args = "--pods " + pods_file + " --service " + data + "/service-web.json --nodes " + data +
                           "/nodes.json --trigger-time 2026-11-27T09:30:00.250000+02:00";
  const json existing = sample("endpointslices-web.json")["items"];
  const json plan = check_settles(files, args, existing, "changed");
  CHECK(plan["create"].empty());
  CHECK(names(plan, "update") == std::vector<std::string>{"web-9kq2x", "web-fw7tn", "web-p2m8d"});
  CHECK(sizes(plan, "update") == std::vector<std::size_t>{5, 3, 8});
  CHECK(plan["delete"].empty());
  for (const auto& s : plan["update"]) {
    // Written slices carry the trigger time in UTC, RFC3339Nano; everything else in their metadata stays.
    CHECK(s["metadata"]["annotations"] ==
          json{{"endpoints.kubernetes.io/last-change-trigger-time", "2026-11-27T07:30:00.25Z"}});
    CHECK(s["metadata"].contains("uid"));
    CHECK(s["metadata"].contains("resourceVersion"));
  }
  const json& ready = plan["update"][1]["endpoints"][2];
  CHECK(ready["targetRef"]["name"] == "web-7d9f8c6b5-h8w4e");
  CHECK(ready["conditions"] == json{{"ready", true}, {"serving", true}, {"terminating", false}});

  // Without --trigger-time the annotation is removed from written slices.
  const std::string bare = "--pods " + pods_file + " --service " + data + "/service-web.json --nodes " + data + "/nodes.json";
  const json plain = check_settles(files, bare, existing, "changed-bare");
  REQUIRE(plain["update"].size() == 3);
  for (const auto& s : plain["update"]) CHECK_FALSE(s["metadata"].contains("annotations"));
}

TEST_CASE("cli reconcile: a pod whose node is missing is handled as upstream, with a warning", "[cli][reconcile]") {
  scratch files;
  json nodes = sample("nodes.json");
  auto& items = nodes["items"];
  items.erase(std::remove_if(items.begin(), items.end(), [](const json& n) { return n["metadata"]["name"] == "node-c2"; }),
              items.end());
  const std::string nodes_file = files.write("nodes-without-c2.json", nodes.dump());
  const json existing = sample("endpointslices-web.json")["items"];
  const std::string args = "--pods " + data + "/pods-web.json --nodes " + nodes_file;

  // publishNotReadyAddresses false: the pod is left out.
  const std::string existing_file = files.write("missing-existing.json", list_of(existing).dump());
  auto r = run("reconcile " + args + " --service " + data + "/service-web.json --existing " + existing_file + " --compact");
  CHECK(r.code == 0);
  CHECK(r.err ==
        "epslice reconcile: warning: Pod shop/web-7d9f8c6b5-b6v1s: node \"node-c2\" not found: left out of the endpoints\n");
  const json plan = json::parse(r.out);
  CHECK(names(plan, "update") == std::vector<std::string>{"web-9kq2x", "web-p2m8d"});
  CHECK(sizes(plan, "update") == std::vector<std::size_t>{5, 8});
  (void)check_settles(files, args + " --service " + data + "/service-web.json", existing, "missing");

  // publishNotReadyAddresses true: the pod stays, without a zone (and every endpoint is ready).
  json svc = sample("service-web.json");
  svc["spec"]["publishNotReadyAddresses"] = true;
  const std::string svc_file = files.write("service-pnra.json", svc.dump());
  auto k = run("reconcile " + args + " --service " + svc_file + " --existing " + existing_file + " --compact");
  CHECK(k.code == 0);
  CHECK(k.err == "epslice reconcile: warning: Pod shop/web-7d9f8c6b5-b6v1s: node \"node-c2\" not found: kept without "
                 "a zone (publishNotReadyAddresses)\n");
  const json kept = json::parse(k.out);
  CHECK(names(kept, "update") == std::vector<std::string>{"web-9kq2x", "web-fw7tn", "web-p2m8d"});
  CHECK(sizes(kept, "update") == std::vector<std::size_t>{6, 3, 9});
  const json& pod = kept["update"][0]["endpoints"][5];
  CHECK(pod["targetRef"]["name"] == "web-7d9f8c6b5-b6v1s");
  CHECK_FALSE(pod.contains("zone"));
  CHECK(pod["nodeName"] == "node-c2");
  CHECK(pod["conditions"] == json{{"ready", true}, {"serving", true}, {"terminating", true}});
  (void)check_settles(files, args + " --service " + svc_file, existing, "missing-pnra");
}

TEST_CASE("cli reconcile: Services the controller leaves alone give an empty plan", "[cli][reconcile]") {
  scratch files;
  json svc = sample("service-web.json");
  svc["spec"].erase("selector");
  const std::string no_selector = files.write("service-no-selector.json", svc.dump());
  const std::string rest = " --pods " + data + "/pods-web.json --nodes " + data + "/nodes.json --existing " + data +
                           "/endpointslices-web.json";
  auto r = run("reconcile --service " + no_selector + rest);
  CHECK(r.code == 0);
  CHECK(r.out == empty_plan_pretty);
  CHECK(r.err == "epslice reconcile: notice: Service shop/web has no selector: the EndpointSlice controller does not "
                 "manage its slices\n");
  svc = sample("service-web.json");
  svc["spec"]["type"] = "ExternalName";
  const std::string external = files.write("service-external.json", svc.dump());
  auto x = run("reconcile --service " + external + rest);
  CHECK(x.code == 0);
  CHECK(x.out == empty_plan_pretty);
  CHECK(x.err == "epslice reconcile: notice: Service shop/web is of type ExternalName: the EndpointSlice controller "
                 "does not manage its slices\n");
}

TEST_CASE("cli reconcile: desired slices against existing ones, exact output", "[cli][reconcile]") {
  scratch files;
  const json want = slice("want", "IPv4",
                          json::parse(R"([{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2"],"conditions":{"ready":false}}])"),
                          {{"kubernetes.io/service-name", "svc"}, {"team", "a"}},
                          json::parse(R"([{"name":"http","port":80,"protocol":"TCP"}])"));
  const std::string desired = files.write("exact-desired.json", want.dump());
  // A legacy `IP` slice of the service (removed) and one of another controller (left alone, with
  // a notice).
  json legacy = slice("svc-old", "IP", json::parse(R"([{"addresses":["10.0.0.9"]}])"), managed_labels);
  json foreign = slice("svc-foreign", "IPv4", json::parse(R"([{"addresses":["10.0.0.8"]}])"),
                       {{"kubernetes.io/service-name", "svc"}, {"endpointslice.kubernetes.io/managed-by", "me"}});
  const std::string existing = files.write("exact-existing.json", list_of(json::array({legacy, foreign})).dump());
  auto r = run("reconcile --desired " + desired + " --existing " + existing + " --compact");
  CHECK(r.code == 0);
  CHECK(r.err == existing + ": notice: EndpointSlice ns/svc-foreign: managed by \"me\" "
                            "(endpointslice.kubernetes.io/managed-by), not by endpointslice-controller.k8s.io: ignored\n");
  CHECK(r.out ==
        R"({"create":[{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"generateName":"svc-",)"
        R"("namespace":"ns","labels":{"endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io",)"
        R"("kubernetes.io/service-name":"svc","team":"a"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],)"
        R"("conditions":{}},{"addresses":["10.0.0.2"],"conditions":{"ready":false}}],"ports":[{"name":"http",)"
        R"("protocol":"TCP","port":80}]}],"update":[],"delete":[{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",)"
        R"("metadata":{"name":"svc-old","namespace":"ns","labels":{"endpointslice.kubernetes.io/managed-by":)"
        R"("endpointslice-controller.k8s.io","kubernetes.io/service-name":"svc"}},"addressType":"IP","endpoints":[{)"
        R"("addresses":["10.0.0.9"],"conditions":{}}],"ports":[]}]})"
        "\n");
  // Pretty-printed by default: the same value, kubectl's indentation.
  auto pretty = run("reconcile --desired " + desired + " --existing " + existing);
  CHECK(pretty.code == 0);
  CHECK(pretty.out.rfind("{\n    \"create\": [\n        {\n            \"kind\": \"EndpointSlice\",", 0) == 0);
  CHECK(json::parse(pretty.out) == json::parse(r.out));
  (void)check_settles(files, "--desired " + desired, json::array({legacy, foreign}), "exact");

  // Another controller name: only its slices take part (the foreign one, which is not wanted).
  auto me = run("reconcile --desired " + desired + " --existing " + existing + " --controller-name me --compact");
  CHECK(me.code == 0);
  CHECK(me.err == existing + ": notice: EndpointSlice ns/svc-old: managed by \"endpointslice-controller.k8s.io\" "
                             "(endpointslice.kubernetes.io/managed-by), not by me: ignored\n");
  const json plan = json::parse(me.out);
  CHECK(plan["create"].empty());
  CHECK(names(plan, "update") == std::vector<std::string>{"svc-foreign"});
  CHECK(plan["update"][0]["metadata"]["labels"] ==
        json{{"endpointslice.kubernetes.io/managed-by", "me"}, {"kubernetes.io/service-name", "svc"}, {"team", "a"}});
  CHECK(sizes(plan, "update") == std::vector<std::size_t>{2});
  CHECK(plan["delete"].empty());
}

TEST_CASE("cli reconcile: the service identity with and without --service", "[cli][reconcile]") {
  scratch files;
  json want = slice("want", "IPv4", json::parse(R"([{"addresses":["10.0.0.1"]}])"),
                    {{"kubernetes.io/service-name", "svc"}, {"endpointslice.kubernetes.io/managed-by", "x"},
                     {"service.kubernetes.io/headless", ""}, {"team", "a"}});
  want["metadata"]["ownerReferences"] =
      json::parse(R"([{"apiVersion":"v1","kind":"Service","name":"svc","uid":"uid-1","controller":true}])");
  const std::string desired = files.write("identity-desired.json", want.dump());
  json old = slice("svc-old", "IPv4", json::parse(R"([{"addresses":["10.0.0.5"]}])"), managed_labels);
  old["metadata"]["ownerReferences"] = json::parse(R"([{"apiVersion":"v1","kind":"Service","name":"svc","uid":"uid-0"}])");
  const std::string existing = files.write("identity-existing.json", list_of(json::array({old})).dump());

  // Without --service: uid from the owner reference, labels minus reserved keys, headless label
  // kept. The existing slice belongs to an earlier Service of the same name: deleted, not recycled.
  auto r = run("reconcile --desired " + desired + " --existing " + existing + " --compact");
  INFO(r.err);
  REQUIRE(r.code == 0);
  json plan = json::parse(r.out);
  REQUIRE(plan["create"].size() == 1);
  CHECK(plan["create"][0]["metadata"]["labels"] ==
        json{{"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"},
             {"kubernetes.io/service-name", "svc"}, {"service.kubernetes.io/headless", ""}, {"team", "a"}});
  CHECK(plan["create"][0]["metadata"]["ownerReferences"] ==
        json::parse(R"([{"apiVersion":"v1","kind":"Service","name":"svc","uid":"uid-1","controller":true,"blockOwnerDeletion":true}])"));
  CHECK(plan["update"].empty());
  CHECK(names(plan, "delete") == std::vector<std::string>{"svc-old"});
  (void)check_settles(files, "--desired " + desired, json::array({old}), "identity-uid");

  // No uid known: ownership by the labels alone, so the old slice is recycled; no owner reference.
  want["metadata"].erase("ownerReferences");
  const std::string no_uid = files.write("identity-no-uid.json", want.dump());
  auto n = run("reconcile --desired " + no_uid + " --existing " + existing + " --compact");
  CHECK(n.code == 0);
  plan = json::parse(n.out);
  CHECK(plan["create"].empty());
  CHECK(names(plan, "update") == std::vector<std::string>{"svc-old"});
  CHECK(plan["update"][0]["endpoints"] == json::parse(R"([{"addresses":["10.0.0.1"],"conditions":{}}])"));
  CHECK(plan["delete"].empty());

  // --service decides: its uid, labels, headlessness and address types (IPv6 gets a placeholder).
  const json svc = json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"svc","namespace":"ns",
      "uid":"uid-0","labels":{"team":"b","kubernetes.io/service-name":"ignored"}},
      "spec":{"selector":{},"clusterIP":"10.96.0.1","ipFamilies":["IPv4","IPv6"]}})");
  const std::string svc_file = files.write("identity-service.json", svc.dump());
  auto s = run("reconcile --desired " + desired + " --existing " + existing + " --service " + svc_file + " --compact");
  CHECK(s.code == 0);
  plan = json::parse(s.out);
  REQUIRE(plan["create"].size() == 1);
  CHECK(plan["create"][0]["addressType"] == "IPv6");
  CHECK(plan["create"][0]["endpoints"] == json::array());
  CHECK(plan["create"][0]["ports"] == json::array());
  REQUIRE(names(plan, "update") == std::vector<std::string>{"svc-old"});
  CHECK(plan["update"][0]["metadata"]["labels"] ==
        json{{"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"},
             {"kubernetes.io/service-name", "svc"}, {"team", "b"}});
  // A create recycled onto a slice being deleted is the freshly built object under the old name.
  CHECK(plan["update"][0]["metadata"]["ownerReferences"] ==
        json::parse(R"([{"apiVersion":"v1","kind":"Service","name":"svc","uid":"uid-0","controller":true,"blockOwnerDeletion":true}])"));
  CHECK(plan["delete"].empty());
  (void)check_settles(files, "--desired " + desired + " --service " + svc_file, json::array({old}), "identity-service");
}

TEST_CASE("cli reconcile: strategies differ where minimal saves a slice", "[cli][reconcile]") {
  scratch files;
  const json a = slice("svc-a", "IPv4", v4_endpoints(0, 5), managed_labels);
  const json b = slice("svc-b", "IPv4", v4_endpoints(5, 10), managed_labels);
  json eps = v4_endpoints(1, 5);
  for (const auto& e : v4_endpoints(6, 10)) eps.push_back(e);
  const std::string desired = files.write("strategy-desired.json", slice("want", "IPv4", eps, managed_labels).dump());
  const std::string args = "--desired " + desired + " --max-endpoints-per-slice 10";
  const json k = check_settles(files, args, json::array({a, b}), "strategy-k");
  CHECK(names(k, "update") == std::vector<std::string>{"svc-a", "svc-b"});
  CHECK(sizes(k, "update") == std::vector<std::size_t>{4, 4});
  CHECK(k["delete"].empty());
  const json m = check_settles(files, args + " --strategy minimal", json::array({a, b}), "strategy-m");
  CHECK(m["create"].empty());
  CHECK(names(m, "update") == std::vector<std::string>{"svc-a"});
  CHECK(sizes(m, "update") == std::vector<std::size_t>{8});
  CHECK(names(m, "delete") == std::vector<std::string>{"svc-b"});
}

TEST_CASE("cli reconcile: compaction merges underfull slices within its budget", "[cli][reconcile]") {
  scratch files;
  // Four slices of 5 (max 10, 50% full) that neither strategy would touch.
  json existing = json::array();
  for (int k = 0; k < 4; ++k) existing.push_back(slice("svc-" + std::to_string(k), "IPv4", v4_endpoints(5 * k, 5 * k + 5), managed_labels));
  const std::string desired = files.write("compact-desired.json", slice("want", "IPv4", v4_endpoints(0, 20), managed_labels).dump());
  const std::string args = "--desired " + desired + " --max-endpoints-per-slice 10";
  CHECK(check_settles(files, args, existing, "compact-off") == json::parse(empty_plan_compact));
  // Full: svc-0 is emptied into svc-1, svc-2 into svc-3 (two updates, two deletes).
  for (const char* strategy : {"kubernetes", "minimal"}) {
    INFO(strategy);
    const json plan = check_settles(files, args + " --strategy " + strategy + " --compact-below 1 --compaction-budget 4", existing,
                                    std::string("compact-") + strategy);
    CHECK(names(plan, "update") == std::vector<std::string>{"svc-1", "svc-3"});
    CHECK(sizes(plan, "update") == std::vector<std::size_t>{10, 10});
    CHECK(names(plan, "delete") == std::vector<std::string>{"svc-0", "svc-2"});
  }
  // A budget of two writes: one merge.
  const std::string existing_file = files.write("compact-existing.json", list_of(existing).dump());
  const auto two = run("reconcile " + args + " --existing " + existing_file + " --compact-below 1 --compaction-budget 2 --compact");
  REQUIRE(two.code == 0);
  const json plan = json::parse(two.out);
  CHECK(plan["update"].size() + plan["delete"].size() == 2);
  // Bad values and a setting without the other are usage errors.
  for (const char* bad : {"--compact-below 1.5 --compaction-budget 2", "--compact-below x --compaction-budget 2",
                          "--compact-below 0.5 --compaction-budget -1", "--compact-below 0.5"}) {
    INFO(bad);
    const auto r = run("reconcile " + args + " --existing " + existing_file + " " + bad);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains("--compact"));
  }
}

TEST_CASE("cli reconcile: a desired slice may hold more than 1000 endpoints", "[cli][reconcile]") {
  scratch files;
  const std::string desired = files.write("big-desired.json", slice("want", "IPv4", v4_endpoints(0, 1200), managed_labels).dump());
  const json plan = check_settles(files, "--desired " + desired + " --max-endpoints-per-slice 1000", json::array(), "big");
  CHECK(sizes(plan, "create") == std::vector<std::size_t>{1000, 200});
  const json by100 = check_settles(files, "--desired " + desired, json::array(), "big100");
  CHECK(by100["create"].size() == 12);
}

TEST_CASE("cli reconcile: invalid slices exit 1 with the messages of validate", "[cli][reconcile]") {
  scratch files;
  const std::string ok = files.write("valid.json", slice("want", "IPv4", v4_endpoints(0, 3), managed_labels).dump());
  json bad = slice("Bad_Name", "IPv4", v4_endpoints(0, 1000), managed_labels,
                   json::parse(R"([{"name":"HTTP","port":80,"protocol":"TCP"}])"));
  bad["endpoints"][3]["addresses"][0] = "10.0.0.300";
  bad["endpoints"][999]["hostname"] = "No_Host";
  const std::string bad_file = files.write("invalid.json", bad.dump());
  const auto validated = run("validate " + bad_file);
  REQUIRE(validated.code == 1);
  REQUIRE(std::count(validated.err.begin(), validated.err.end(), '\n') == 4);

  // In the desired slices and in the existing ones.
  auto d = run("reconcile --desired " + bad_file + " --existing " + ok);
  CHECK(d.code == 1);
  CHECK(d.out.empty());
  CHECK(d.err == validated.err);
  auto e = run("reconcile --desired " + ok + " --existing " + bad_file);
  CHECK(e.code == 1);
  CHECK(e.err == validated.err);
  auto p = run("reconcile --pods " + data + "/pods-web.json --service " + data + "/service-web.json --nodes " + data +
               "/nodes.json --existing " + bad_file);
  CHECK(p.code == 1);
  CHECK(p.err == validated.err);

  // Beyond 1000 endpoints only the count limit is skipped: the same messages, in validate's order.
  json big = bad;
  for (const auto& x : v4_endpoints(1000, 1200)) big["endpoints"].push_back(x);
  big["endpoints"][1100]["addresses"][0] = "10.0.4.300";
  const std::string big_file = files.write("invalid-big.json", big.dump());
  auto b = run("reconcile --desired " + big_file + " --existing " + ok);
  CHECK(b.code == 1);
  std::vector<std::string> lines;
  std::istringstream ls(b.err);
  for (std::string line; std::getline(ls, line);) lines.push_back(line);
  std::vector<std::string> want;
  std::istringstream vs(validated.err);
  for (std::string line; std::getline(vs, line);) want.push_back(line);
  REQUIRE(want.size() == 4);
  const std::string prefix = big_file + ": EndpointSlice ns/Bad_Name: ";
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == want[0].replace(0, bad_file.size(), big_file));
  CHECK(lines[1] == want[1].replace(0, bad_file.size(), big_file));
  CHECK(lines[2] == want[2].replace(0, bad_file.size(), big_file));
  CHECK(lines[3].rfind(prefix + "endpoints[1100].addresses[0]: Invalid value: \"10.0.4.300\"", 0) == 0);
  CHECK(lines[4] == want[3].replace(0, bad_file.size(), big_file));
  CHECK(lines[4].find("ports[0].name") != std::string::npos);
  // An existing slice may not exceed the limit.
  json too_big = slice("svc-big", "IPv4", v4_endpoints(0, 1001), managed_labels);
  const std::string too_big_file = files.write("too-big.json", too_big.dump());
  const auto too_big_validated = run("validate " + too_big_file);
  REQUIRE(too_big_validated.code == 1);
  auto t = run("reconcile --desired " + ok + " --existing " + too_big_file);
  CHECK(t.code == 1);
  CHECK(t.err == too_big_validated.err);
  // Wrong JSON types are reported as load() reports them for validate, exit 1 too.
  const std::string typed = files.write(
      "wrong-type.json",
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","namespace":"b"},)"
      R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":"yes"}}],"ports":null})");
  auto w = run("reconcile --desired " + typed + " --existing " + ok);
  CHECK(w.code == 1);
  CHECK(w.err == run("validate " + typed).err);
}

TEST_CASE("cli reconcile: objects of the wrong kind or the wrong service exit 1", "[cli][reconcile]") {
  scratch files;
  const std::string slices = data + "/endpointslices-web.json";
  const std::string svc = data + "/service-web.json";
  const std::string nodes = data + "/nodes.json";
  const std::string pods = data + "/pods-web.json";

  auto r = run("reconcile --desired " + svc + " --existing " + slices);
  CHECK(r.code == 1);
  CHECK(r.err == svc + ": Service shop/web: --desired takes EndpointSlice objects\n");
  r = run("reconcile --desired " + slices + " --existing " + nodes);
  CHECK(r.code == 1);
  CHECK(r.err.rfind(nodes + ": Node node-a1: --existing takes EndpointSlice objects\n", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 6);
  r = run("reconcile --pods " + slices + " --service " + svc + " --nodes " + nodes + " --existing " + slices);
  CHECK(r.code == 1);
  CHECK(r.err.rfind(slices + ": EndpointSlice shop/web-9kq2x: --pods takes Pod objects\n", 0) == 0);
  r = run("reconcile --pods " + pods + " --service " + svc + " --nodes " + pods + " --existing " + slices);
  CHECK(r.code == 1);
  CHECK(r.err.rfind(pods + ": Pod shop/web-7d9f8c6b5-x2lq9: --nodes takes Node objects\n", 0) == 0);
  r = run("reconcile --pods " + pods + " --service " + nodes + " --nodes " + nodes + " --existing " + slices);
  CHECK(r.code == 1);
  CHECK(r.err.rfind(nodes + ": Node node-a1: --service takes Service objects\n", 0) == 0);
  CHECK(r.err.find(nodes + ": expected one Service, found 6 objects\n") != std::string::npos);

  // Pods, nodes and services with fields of the wrong type: every problem, with its path.
  const std::string bad_pods = files.write(
      "bad-pods.json", list_of(json::parse(R"([{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"shop"},
        "spec":{"nodeName":1},"status":{"podIPs":["10.0.0.1"]}}])")).dump());
  const std::string bad_nodes = files.write(
      "bad-nodes.json", json::parse(R"({"kind":"Node","apiVersion":"v1","metadata":{"name":"n"},
        "status":{"allocatable":{"cpu":"lots"}}})").dump());
  const std::string bad_service = files.write(
      "bad-service.json", json::parse(R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"s","namespace":"shop"},
        "spec":{"clusterIP":7}})").dump());
  r = run("reconcile --pods " + bad_pods + " --service " + bad_service + " --nodes " + bad_nodes + " --existing " + slices);
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == bad_pods + ": Pod shop/p: spec.nodeName: Invalid value: 1: must be a string\n" +
                     bad_pods + ": Pod shop/p: status.podIPs[0]: Invalid value: \"10.0.0.1\": must be an object\n" +
                     bad_nodes + ": Node n: status.allocatable.cpu: Invalid value: \"lots\": must be a quantity such as 4, "
                                 "3500m or 1.5\n" +
                     bad_service + ": Service shop/s: spec.clusterIP: Invalid value: 7: must be a string\n");

  // Without --service the desired slices must name one service.
  json a = slice("a", "IPv4", v4_endpoints(0, 1), managed_labels);
  json b = slice("b", "IPv4", v4_endpoints(1, 2), {{"kubernetes.io/service-name", "other"}});
  json c = slice("c", "IPv4", v4_endpoints(2, 3), {{"team", "x"}});
  const std::string mixed = files.write("mixed.json", list_of(json::array({a, b, c})).dump());
  r = run("reconcile --desired " + mixed + " --existing " + slices);
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == mixed + ": EndpointSlice ns/b: names service ns/other, but EndpointSlice ns/a names ns/svc\n" + mixed +
                     ": EndpointSlice ns/c: metadata.labels: Required value: the kubernetes.io/service-name label "
                     "names the service (or give --service)\n");
  // ... and agree on its uid.
  a["metadata"]["ownerReferences"] = json::parse(R"([{"apiVersion":"v1","kind":"Service","name":"svc","uid":"u1"}])");
  b = slice("b", "IPv4", v4_endpoints(1, 2), managed_labels);
  b["metadata"]["ownerReferences"] = json::parse(R"([{"apiVersion":"v1","kind":"Service","name":"svc","uid":"u2"}])");
  const std::string uids = files.write("uids.json", list_of(json::array({a, b})).dump());
  r = run("reconcile --desired " + uids + " --existing " + slices);
  CHECK(r.code == 1);
  CHECK(r.err == uids + ": EndpointSlice ns/b: owner reference to Service svc has uid u2, but EndpointSlice ns/a names "
                        "uid u1\n");
  // With --service the desired slices' labels do not matter.
  const json svc_obj = json::parse(R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","namespace":"ns"},
      "spec":{"clusterIP":"10.0.0.1"}})");
  const std::string svc_file = files.write("svc.json", svc_obj.dump());
  CHECK(run("reconcile --desired " + mixed + " --service " + svc_file).code == 0);
}

TEST_CASE("cli reconcile: without --existing the Service has no slice yet", "[cli][reconcile]") {
  scratch files;
  const std::string none = files.write("none-existing.json", list_of(json::array()).dump());
  const std::string d = data + "/endpointslices-web.json";
  auto bare = run("reconcile --compact --desired " + d);
  auto empty = run("reconcile --compact --desired " + d + " --existing " + none);
  REQUIRE(bare.code == 0);
  CHECK(bare.err.empty());
  CHECK(bare.out == empty.out);
  CHECK(json::parse(bare.out)["create"].size() == 2);  // one slice per address type
  const std::string from_pods = "reconcile --compact --pods " + data + "/pods-web.json --service " + data +
                                "/service-web.json --nodes " + data + "/nodes.json";
  auto pods = run(from_pods);
  REQUIRE(pods.code == 0);
  CHECK(pods.out == run(from_pods + " --existing " + none).out);
  CHECK(json::parse(pods.out)["update"].empty());
}

TEST_CASE("cli reconcile: existing slices of other Services are a usage error", "[cli][reconcile]") {
  scratch files;
  const json want = slice("want", "IPv4", v4_endpoints(0, 2), {{"kubernetes.io/service-name", "svc"}});
  const std::string desired = files.write("others-desired.json", want.dump());
  const auto of = [](const std::string& name, const std::string& service, const std::string& ns = "ns") {
    json s = slice(name, "IPv4", v4_endpoints(5, 6), {{"kubernetes.io/service-name", service},
                                                      {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}});
    s["metadata"]["namespace"] = ns;
    return s;
  };
  // What `kubectl get endpointslices -A` prints: the slices of every Service.
  const std::string all = files.write(
      "others-all.json", list_of(json::array({of("svc-1", "svc"), of("api-1", "api"), of("svc-2", "svc"),
                                              of("svc-x", "svc", "other")})).dump());
  auto r = run("reconcile --desired " + desired + " --existing " + all);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "epslice reconcile: --existing holds slices of Services ns/api, ns/svc and other/svc, but reconcile "
                 "plans Service ns/svc: give its slices alone (kubectl get endpointslices -n ns -l "
                 "kubernetes.io/service-name=svc)\n"
                 "run `epslice reconcile --help` for usage\n");
  // The slices of one other Service only, over two inputs.
  const std::string api = files.write("others-api.json", of("api-1", "api").dump());
  r = run("reconcile --desired " + desired + " --existing " + api + " --existing " + api);
  CHECK(r.code == 2);
  CHECK(r.err == "epslice reconcile: --existing holds slices of Service ns/api, but reconcile plans Service ns/svc: "
                 "give its slices alone (kubectl get endpointslices -n ns -l kubernetes.io/service-name=svc)\n"
                 "run `epslice reconcile --help` for usage\n");
  // Many Services: the first five are named.
  json many = json::array();
  for (const char* name : {"a", "b", "c", "d", "e", "f", "g"}) many.push_back(of(std::string(name) + "-1", name));
  r = run("reconcile --desired " + desired + " --existing " + files.write("others-many.json", list_of(many).dump()));
  CHECK(r.code == 2);
  CHECK(r.err.rfind("epslice reconcile: --existing holds slices of Services ns/a, ns/b, ns/c, ns/d, ns/e and 2 more, "
                    "but reconcile plans Service ns/svc:", 0) == 0);
}

TEST_CASE("cli reconcile: existing slices that are not the controller's are listed with the reason", "[cli][reconcile]") {
  scratch files;
  const json want = slice("want", "IPv4", v4_endpoints(0, 2), {{"kubernetes.io/service-name", "svc"}});
  const std::string desired = files.write("notmine-desired.json", want.dump());
  const json svc = json::parse(R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","namespace":"ns",
      "uid":"uid-1"},"spec":{"clusterIP":"10.96.0.1","ipFamilies":["IPv4"]}})");
  const std::string service = files.write("notmine-service.json", svc.dump());
  const json owner = json::parse(R"([{"apiVersion":"v1","kind":"Service","name":"svc","uid":"uid-1","controller":true}])");

  json unlabelled = slice("loose", "IPv4", v4_endpoints(7, 8), {{"team", "a"}});
  json other_manager = slice("svc-hand", "IPv4", v4_endpoints(8, 9),
                             {{"kubernetes.io/service-name", "svc"}, {"endpointslice.kubernetes.io/managed-by", "me"}});
  json unmanaged = slice("svc-bare", "IPv4", v4_endpoints(9, 10), {{"kubernetes.io/service-name", "svc"}});
  json deleting = slice("svc-going", "IPv4", v4_endpoints(0, 1), managed_labels);
  deleting["metadata"]["deletionTimestamp"] = "2026-11-26T16:42:11Z";
  deleting["metadata"]["ownerReferences"] = owner;
  json orphaned = slice("svc-orphan", "IPv4", v4_endpoints(1, 2), managed_labels);  // no owner reference
  json mine = slice("svc-mine", "IPv4", v4_endpoints(0, 1), managed_labels);
  mine["metadata"]["ownerReferences"] = owner;
  const std::string existing = files.write(
      "notmine-existing.json",
      list_of(json::array({unlabelled, other_manager, unmanaged, deleting, orphaned, mine})).dump());
  auto r = run("reconcile --compact --desired " + desired + " --service " + service + " --existing " + existing);
  CHECK(r.code == 0);
  CHECK(r.err ==
        existing + ": notice: EndpointSlice ns/loose: no kubernetes.io/service-name label: ignored\n" + existing +
        ": notice: EndpointSlice ns/svc-hand: managed by \"me\" (endpointslice.kubernetes.io/managed-by), not by "
        "endpointslice-controller.k8s.io: ignored\n" +
        existing + ": notice: EndpointSlice ns/svc-bare: no endpointslice.kubernetes.io/managed-by label, not by "
                   "endpointslice-controller.k8s.io: ignored\n" +
        existing + ": notice: EndpointSlice ns/svc-going: being deleted (metadata.deletionTimestamp is set): ignored, as "
                   "the controller ignores it\n" +
        existing + ": notice: EndpointSlice ns/svc-orphan: not owned by Service ns/svc (no owner reference to uid "
                   "uid-1): deleted, as the controller deletes it\n");
  const json plan = json::parse(r.out);
  // The owned slice takes the desired endpoints; the one the Service does not own goes.
  CHECK(names(plan, "update") == std::vector<std::string>{"svc-mine"});
  CHECK(plan["create"].empty());
  CHECK(names(plan, "delete") == std::vector<std::string>{"svc-orphan"});
}

#endif  // EPSLICE_CLI_PATH
