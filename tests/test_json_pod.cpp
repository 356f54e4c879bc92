// SPDX-License-Identifier: Apache-2.0
// Tests of detail/json_pod.hpp: the pod view decoded from Pod JSON, and its error messages.
#include <epslice/convert.hpp>
#include <epslice/detail/json_pod.hpp>
#include <epslice/json.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#ifndef EPSLICE_TEST_DATA_DIR
#error "define EPSLICE_TEST_DATA_DIR to the tests/data directory"
#endif

using namespace epslice;
using nlohmann::json;

namespace {

std::string read_sample(const std::string& name) {
  std::ifstream in(std::string(EPSLICE_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every problem of decoding `j` as a pod, one message per line; empty when it decodes.
std::string decode_problems(const json& j) {
  try {
    (void)decode_pod(j);
    return {};
  } catch (const epslice::error& e) {
    return e.what();
  }
}

struct expected_pod {
  std::string name;
  std::string node;
  std::string ready;
  std::vector<std::string> ips;
  bool terminating;
};

}  // namespace

TEST_CASE("json pod: the nine sample pods decode with every field endpoint derivation reads", "[json][pod]") {
  const decoded_document doc = decode_document(read_sample("pods-web.json"));
  REQUIRE_FALSE(doc.syntax_error);
  REQUIRE(doc.events.size() == 9);
  const std::vector<expected_pod> want = {
      {"web-7d9f8c6b5-x2lq9", "node-a1", "True", {"10.244.1.10", "fd00:10:244:1::10"}, false},
      {"web-7d9f8c6b5-k8m4p", "node-a2", "True", {"10.244.2.11", "fd00:10:244:2::11"}, false},
      {"web-7d9f8c6b5-r7t2w", "node-b1", "True", {"10.244.3.12", "fd00:10:244:3::12"}, false},
      {"web-7d9f8c6b5-z9c3d", "node-b2", "True", {"10.244.4.13", "fd00:10:244:4::13"}, false},
      {"web-7d9f8c6b5-q4n8h", "node-c1", "True", {"10.244.5.14", "fd00:10:244:5::14"}, false},
      {"web-7d9f8c6b5-b6v1s", "node-c2", "True", {"10.244.6.15", "fd00:10:244:6::15"}, true},
      {"web-7d9f8c6b5-m3j7f", "node-a1", "True", {"10.244.1.16", "fd00:10:244:1::16"}, false},
      {"web-7d9f8c6b5-t5y2k", "node-a2", "True", {"10.244.2.17", "fd00:10:244:2::17"}, false},
      {"web-7d9f8c6b5-h8w4e", "node-b1", "False", {"10.244.3.18", "fd00:10:244:3::18"}, false},
  };
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(want[i].name);
    const auto* raw = doc.events[i].object.value.get_if<raw_object>();
    REQUIRE(raw != nullptr);
    const pod p = decode_pod(*raw);
    CHECK(p.metadata.name == want[i].name);
    CHECK(p.metadata.namespace_ == "shop");
    CHECK(p.metadata.uid == "a3c2000" + std::to_string(i) + "-1f2e-4d3c-8b7a-5e000000000" + std::to_string(i));
    CHECK(p.metadata.labels == string_map{{"app.kubernetes.io/name", "web"}, {"pod-template-hash", "7d9f8c6b5"}});
    CHECK(p.node_name == want[i].node);
    CHECK(p.hostname.empty());
    CHECK(p.subdomain.empty());
    CHECK(p.phase == "Running");
    CHECK(p.pod_ip == want[i].ips.front());
    CHECK(p.pod_ips == want[i].ips);
    CHECK(p.ready_condition == std::optional<std::string>(want[i].ready));
    CHECK(is_pod_terminating(p) == want[i].terminating);
    if (want[i].terminating) CHECK(p.metadata.deletion_timestamp == std::optional<std::string>("2026-11-26T16:42:10Z"));
    REQUIRE(p.containers.size() == 1);
    CHECK(p.containers[0].name == "web");
    CHECK_FALSE(p.containers[0].restart_policy);
    CHECK(p.containers[0].ports ==
          std::vector<container_port_spec>{{"http", 8080, "TCP"}, {"metrics", 9090, "TCP"}});
    CHECK(p.init_containers.empty());
  }
}

TEST_CASE("json pod: the decoded view drives endpoint derivation", "[json][pod]") {
  const decoded_document pods_doc = decode_document(read_sample("pods-web.json"));
  const decoded_document svc_doc = decode_document(read_sample("service-web.json"));
  REQUIRE(svc_doc.events.size() == 1);
  const service svc = decode_service(svc_doc.events[0].object.value.get<raw_object>());
  std::vector<pod> pods;
  for (const auto& e : pods_doc.events) pods.push_back(decode_pod(e.object.value.get<raw_object>()));
  const auto r = endpoints_from_pods<ipv6>(svc, pods, {});
  // Without nodes every pod is left out (publishNotReadyAddresses is false).
  CHECK(r.endpoints.empty());
  CHECK(r.missing_node_pods.size() == 9);
  // The named target port `http` resolves through the decoded container ports.
  REQUIRE(r.empty_port_groups.size() == 1);
  REQUIRE(r.empty_port_groups[0].size() == 2);
  CHECK(r.empty_port_groups[0][0].port == std::optional<std::int32_t>(8080));
  CHECK(r.empty_port_groups[0][1].port == std::optional<std::int32_t>(9090));
}

TEST_CASE("json pod: every optional part and its defaults", "[json][pod]") {
  const json j = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "db-0", "generateName": "db-", "namespace": "data", "uid": "u1",
                 "resourceVersion": "7", "creationTimestamp": "2026-01-01T00:00:00Z",
                 "annotations": {"a": "b"}, "finalizers": ["x"], "ownerReferences": [{"kind": "StatefulSet"}]},
    "spec": {"nodeName": "n1", "hostname": "db-0", "subdomain": "db", "restartPolicy": "Always",
             "containers": [{"name": "db", "image": "pg", "ports": [{"containerPort": 5432}, null]}, null],
             "initContainers": [{"name": "proxy", "restartPolicy": "Always",
                                 "ports": [{"name": "proxy", "containerPort": 15001, "protocol": "UDP"}]},
                                {"name": "setup"}]},
    "status": {"phase": "Pending", "podIP": null, "podIPs": [{"ip": "fd00::1"}, {}],
               "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "Unknown"},
                              {"type": "Ready", "status": "True"}, null],
               "containerStatuses": [{"ready": false}]}
  })");
  const pod p = decode_pod(j);
  CHECK(p.metadata.name == "db-0");
  CHECK(p.metadata.generate_name == "db-");
  CHECK(p.metadata.resource_version == "7");
  CHECK(p.metadata.creation_timestamp == std::optional<std::string>("2026-01-01T00:00:00Z"));
  CHECK(p.metadata.annotations == string_map{{"a", "b"}});
  CHECK_FALSE(p.metadata.deletion_timestamp);
  CHECK(p.hostname == "db-0");
  CHECK(p.subdomain == "db");
  REQUIRE(p.containers.size() == 2);
  CHECK(p.containers[0].ports == std::vector<container_port_spec>{{"", 5432, "TCP"}, {"", 0, "TCP"}});
  CHECK(p.containers[1] == container{});
  REQUIRE(p.init_containers.size() == 2);
  CHECK(p.init_containers[0].restart_policy == std::optional<std::string>("Always"));
  CHECK(p.init_containers[0].ports == std::vector<container_port_spec>{{"proxy", 15001, "UDP"}});
  CHECK_FALSE(p.init_containers[1].restart_policy);
  CHECK(p.pod_ip.empty());
  CHECK(p.pod_ips == std::vector<std::string>{"fd00::1", ""});
  // The first Ready condition counts.
  CHECK(p.ready_condition == std::optional<std::string>("Unknown"));
  CHECK_FALSE(is_pod_ready(p));

  // A pod with nothing but a kind decodes to the empty view.
  CHECK(decode_pod(json::parse(R"({"kind":"Pod"})")) == pod{});
  CHECK(decode_pod(json::parse(R"({"metadata":null,"spec":null,"status":null})")) == pod{});
}

TEST_CASE("json pod: wrong types are reported with their paths, all at once", "[json][pod]") {
  CHECK(decode_problems(json::parse(R"({"metadata": {"name": 5, "labels": {"app": 1, "ok": "x"},
                                                    "deletionTimestamp": true}})")) ==
        "metadata.name: Invalid value: 5: must be a string\n"
        "metadata.deletionTimestamp: Invalid value: true: must be a string\n"
        "metadata.labels.app: Invalid value: 1: must be a string");
  CHECK(decode_problems(json::parse(R"({"spec": {"nodeName": ["a"], "hostname": 1, "subdomain": {},
      "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": "8080", "protocol": 6}]},
                     "oops", {"ports": {"x": 1}}, {"restartPolicy": false}],
      "initContainers": {"name": "i"}}})")) ==
        "spec.nodeName: Invalid value: [\"a\"]: must be a string\n"
        "spec.hostname: Invalid value: 1: must be a string\n"
        "spec.subdomain: Invalid value: {}: must be a string\n"
        "spec.containers[0].ports[0].containerPort: Invalid value: \"8080\": must be a 32-bit integer\n"
        "spec.containers[0].ports[0].protocol: Invalid value: 6: must be a string\n"
        "spec.containers[1]: Invalid value: \"oops\": must be an object\n"
        "spec.containers[2].ports: Invalid value: {\"x\":1}: must be an array\n"
        "spec.containers[3].restartPolicy: Invalid value: false: must be a string\n"
        "spec.initContainers: Invalid value: {\"name\":\"i\"}: must be an array");
  CHECK(decode_problems(json::parse(R"({"spec": {"containers": [{"ports": [{"containerPort": 2147483648},
      {"containerPort": -2147483649}, {"containerPort": 18446744073709551615}, {"containerPort": 80.5}, 7]}]}})")) ==
        "spec.containers[0].ports[0].containerPort: Invalid value: 2147483648: must be a 32-bit integer\n"
        "spec.containers[0].ports[1].containerPort: Invalid value: -2147483649: must be a 32-bit integer\n"
        "spec.containers[0].ports[2].containerPort: Invalid value: 18446744073709551615: must be a 32-bit integer\n"
        "spec.containers[0].ports[3].containerPort: Invalid value: 80.5: must be a 32-bit integer\n"
        "spec.containers[0].ports[4]: Invalid value: 7: must be an object");
  CHECK(decode_problems(json::parse(R"({"status": {"phase": 1, "podIP": 2, "podIPs": [{"ip": 3}, "10.0.0.1"],
      "conditions": [{"type": "Ready", "status": true}, 4]}})")) ==
        "status.phase: Invalid value: 1: must be a string\n"
        "status.podIP: Invalid value: 2: must be a string\n"
        "status.podIPs[0].ip: Invalid value: 3: must be a string\n"
        "status.podIPs[1]: Invalid value: \"10.0.0.1\": must be an object\n"
        "status.conditions[0].status: Invalid value: true: must be a string\n"
        "status.conditions[1]: Invalid value: 4: must be an object");
  CHECK(decode_problems(json::parse(R"({"status": {"podIPs": "10.0.0.1", "conditions": {}}})")) ==
        "status.podIPs: Invalid value: \"10.0.0.1\": must be an array\n"
        "status.conditions: Invalid value: {}: must be an array");
  CHECK(decode_problems(json::parse(R"({"metadata": [], "spec": "x", "status": 1})")) ==
        "metadata: Invalid value: []: must be an object\n"
        "spec: Invalid value: \"x\": must be an object\n"
        "status: Invalid value: 1: must be an object");
  CHECK(decode_problems(json::parse(R"({"kind": "Service"})")) == "kind: Invalid value: \"Service\": must be Pod");
  CHECK(decode_problems(json::parse(R"({"kind": 1})")) == "kind: Invalid value: 1: must be a string");
  CHECK(decode_problems(json::parse(R"([1])")) == "<root>: Invalid value: a Pod must be a JSON object");

  // The exception carries each problem as a field error.
  try {
    (void)decode_pod(json::parse(R"({"spec": {"nodeName": 1}, "status": {"phase": 2}})"));
    FAIL("no exception");
  } catch (const epslice::error& e) {
    REQUIRE(e.errors().size() == 2);
    CHECK(e.errors()[0] == field_error{"spec.nodeName", error_type::invalid, "1", "must be a string"});
    CHECK(e.path() == "spec.nodeName");
    CHECK(e.errors()[1].path == "status.phase");
  }
}

TEST_CASE("json pod: raw objects, including text that is not JSON", "[json][pod]") {
  const raw_object ok{"Pod", "v1", R"({"kind":"Pod","metadata":{"name":"a"},"spec":{"nodeName":"n"}})"};
  const pod p = decode_pod(ok);
  CHECK(p.metadata.name == "a");
  CHECK(p.node_name == "n");
  const raw_object bad{"Pod", "v1", "{not json"};
  try {
    (void)decode_pod(bad);
    FAIL("no exception");
  } catch (const epslice::error& e) {
    CHECK(std::string(e.what()) == "<root>: Invalid value: the JSON text of the Pod is not JSON");
  }
  const raw_object wrong{"Pod", "v1", R"({"status":{"podIPs":[{"ip":false}]}})"};
  try {
    (void)decode_pod(wrong);
    FAIL("no exception");
  } catch (const epslice::error& e) {
    CHECK(std::string(e.what()) == "status.podIPs[0].ip: Invalid value: false: must be a string");
  }
}
