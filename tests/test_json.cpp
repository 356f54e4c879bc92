// SPDX-License-Identifier: Apache-2.0
// Tests of json.hpp: decoding with field paths, byte-exact encoding, document forms, errors, fuzzing.
#include <epslice/json.hpp>

#include <catch2/catch.hpp>

#include "world_fixture.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#ifndef EPSLICE_TEST_DATA_DIR
#error "define EPSLICE_TEST_DATA_DIR to the tests/data directory"
#endif

using namespace epslice;
using epslice_test::pod_ip;
using epslice_test::pod_ref;
using epslice_test::world_endpoints;
using epslice_test::world_slice;

namespace {

#if defined(EPSLICE_JSON_FUZZ_CASES)
constexpr int fuzz_cases = EPSLICE_JSON_FUZZ_CASES;  // for long runs by hand
#elif defined(EPSLICE_SANITIZE_BUILD)
constexpr int fuzz_cases = 400;
#else
constexpr int fuzz_cases = 4000;
#endif

std::string read_sample(const std::string& name) {
  std::ifstream in(std::string(EPSLICE_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::vector<std::string>& sample_names() {
  static const std::vector<std::string> names = {"endpoints-web.json", "endpointslices-web.json", "nodes.json",
                                                 "pods-web.json", "service-web.json"};
  return names;
}

// The JSON text of one decoded object, as epslice writes it back (without the type fields it
// only inferred).
std::string encode_object(const decoded_object& o) { return encode(o, encode_options{}); }

std::vector<std::string> messages(const field_errors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.message());
  return out;
}

// Decode a document that must hold exactly one object and decode cleanly.
decoded_object decode_one(std::string_view text) {
  decoded_document d = decode_document(text);
  INFO(text);
  REQUIRE_FALSE(d.syntax_error);
  REQUIRE(d.problems.empty());
  REQUIRE(d.events.size() == 1);
  CHECK(messages(d.events.front().object.problems).empty());
  return std::move(d.events.front().object);
}

// decode + encode of a single clean object.
std::string reencode(std::string_view text) { return encode_object(decode_one(text)); }

// Deterministic random numbers (splitmix64) so that fuzz cases are the same on every platform.
struct splitmix {
  std::uint64_t state;
  std::uint64_t next() {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Samples

TEST_CASE("json: a message stays on one line when a key in its path holds a control character", "[json]") {
  // Found by fuzz_validate: a repeated key with an escaped newline put a raw newline in the path.
  const decoded_document d = decode_document(
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","addressType":"IPv4","a\nb\u0001":1,"a\nb\u0001":2})");
  REQUIRE(d.events.size() == 1);
  const auto& dups = d.events[0].object.duplicates.get();
  REQUIRE(dups.size() == 1);
  CHECK(dups[0].path == "a\nb\x01");
  CHECK(dups[0].message() == R"(a\u000ab\u0001: Duplicate value: "a\u000ab\u0001")");
  const field_error detailed{"x", error_type::invalid, "", "line\none"};
  CHECK(detailed.message() == R"(x: Invalid value: line\u000aone)");
}

TEST_CASE("json: copies of decoded endpoints share their targetRef and hints", "[json]") {
  // The reader fills the values it creates without pinning them, so copying a decoded slice (as
  // a plan or a cache does) copies no reference or hints.
  const auto s = decode_endpoint_slice_as<ipv4>(epslice_test::slice_with_references_json);
  REQUIRE(s.endpoints.size() == 1);
  CHECK(epslice_test::copy_shares_values(s.endpoints[0]));
  CHECK(s.endpoints[0].target_ref->extra.size() == 1);
  CHECK(s.endpoints[0].hints->for_nodes.size() == 1);
}

TEST_CASE("json: every sample decodes and re-encodes to the same JSON", "[json]") {
  for (const auto& name : sample_names()) {
    INFO(name);
    const std::string text = read_sample(name);
    const decoded_document d = decode_document(text);
    REQUIRE_FALSE(d.syntax_error);
    CHECK(d.problems.empty());
    CHECK(d.values == 1);
    const auto input = nlohmann::ordered_json::parse(text);
    const bool is_list = input.contains("items");
    CHECK(d.had_list == is_list);
    const std::size_t n = is_list ? input["items"].size() : 1;
    REQUIRE(d.events.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
      const decoded_object& o = d.events[i].object;
      const auto& item = is_list ? input["items"][i] : input;
      INFO(o.location);
      CHECK(o.location == (is_list ? "items[" + std::to_string(i) + "]" : std::string()));
      CHECK(o.document == 0);
      CHECK(d.events[i].type == watch_event_type::added);
      CHECK(d.events[i].shape == (is_list ? stream_shape::list_item : stream_shape::object));
      CHECK(messages(o.problems).empty());
      CHECK(o.kind() == item["kind"].get<std::string>());
      const std::string out = encode_object(o);
      // Same value, and since the samples are in the API server's order with nothing to escape,
      // the same bytes as the compact form of the input.
      CHECK(nlohmann::json::parse(out) == nlohmann::json::parse(item.dump()));
      CHECK(out == item.dump());
      const std::string kind = item["kind"].get<std::string>();
      if (kind == "EndpointSlice") {
        REQUIRE(o.value.holds<any_endpoint_slice>());
        const auto& s = o.value.get<any_endpoint_slice>();
        CHECK(address_type_name(s) == item["addressType"].get<std::string>());
        CHECK_FALSE(std::holds_alternative<endpoint_slice_raw>(s));
      } else if (kind == "Endpoints") {
        CHECK(o.value.holds<endpoints>());
      } else {
        REQUIRE(o.value.holds<raw_object>());
        const auto& r = o.value.get<raw_object>();
        CHECK(r.kind == kind);
        CHECK(r.api_version == item["apiVersion"].get<std::string>());
        CHECK(r.json == item.dump());
      }
    }
  }
}

TEST_CASE("json: decoded sample slices hold the sample's fields", "[json]") {
  const decoded_document d = decode_document(read_sample("endpointslices-web.json"));
  REQUIRE(d.events.size() == 3);
  const auto& s0 = std::get<endpoint_slice_v4>(d.events[0].object.value.get<any_endpoint_slice>());
  CHECK(s0.metadata.name == "web-9kq2x");
  CHECK(s0.metadata.generate_name == "web-");
  CHECK(s0.metadata.namespace_ == "shop");
  CHECK(s0.metadata.generation == 7);
  CHECK(s0.metadata.creation_timestamp == "2026-11-20T09:14:03Z");
  CHECK(s0.metadata.labels.at("kubernetes.io/service-name") == "web");
  REQUIRE(s0.metadata.owner_references.size() == 1);
  CHECK(s0.metadata.owner_references[0].controller == true);
  REQUIRE(s0.endpoints.size() == 6);
  CHECK(s0.endpoints[5].conditions == endpoint_conditions{false, true, true});
  CHECK(s0.endpoints[5].node_name == "node-c2");
  CHECK(s0.endpoints[5].zone == "eu-west-1c");
  REQUIRE(s0.ports.size() == 2);
  CHECK(s0.ports[0].name == "http");
  CHECK(s0.ports[0].port == 8080);
  CHECK(s0.ports[0].app_protocol == "http");
  CHECK_FALSE(s0.ports[1].app_protocol);
  const auto& s2 = std::get<endpoint_slice_v6>(d.events[2].object.value.get<any_endpoint_slice>());
  REQUIRE(s2.endpoints.size() == 9);
  CHECK(s2.endpoints[0].addresses.at(0) == *ipv6::parse("fd00:10:244:1::10"));
  REQUIRE(s2.endpoints[0].hints);
  CHECK(s2.endpoints[0].hints->for_zones == std::vector<for_zone>{{"eu-west-1a"}});
}

TEST_CASE("json: service and node views of the samples", "[json]") {
  const decoded_object so = decode_one(read_sample("service-web.json"));
  const service s = decode_service(so.value.get<raw_object>());
  CHECK(s.metadata.name == "web");
  CHECK(s.metadata.namespace_ == "shop");
  CHECK(s.metadata.uid == "6f1c9a2e-4b7d-4c53-9e0f-2d8b1a7c3e51");
  REQUIRE(s.selector);
  CHECK(*s.selector == string_map{{"app.kubernetes.io/name", "web"}});
  CHECK(s.type == "ClusterIP");
  CHECK(s.cluster_ip == "10.96.41.7");
  CHECK_FALSE(s.is_headless());
  CHECK(s.cluster_ips == std::vector<std::string>{"10.96.41.7", "fd00:10:96::4a1"});
  CHECK(s.ip_families == std::vector<std::string>{"IPv4", "IPv6"});
  CHECK(s.traffic_distribution == "PreferSameZone");
  CHECK(s.internal_traffic_policy == "Cluster");
  CHECK_FALSE(s.external_traffic_policy);
  CHECK_FALSE(s.publish_not_ready_addresses);
  REQUIRE(s.ports.size() == 2);
  CHECK(s.ports[0].name == "http");
  CHECK(s.ports[0].protocol == "TCP");
  CHECK(s.ports[0].port == 80);
  CHECK(s.ports[0].target_port == int_or_string{std::string("http")});
  CHECK(s.ports[0].app_protocol == "http");
  CHECK(s.ports[1].target_port == int_or_string{std::int32_t{9090}});
  CHECK_FALSE(s.ports[1].app_protocol);
  // The nlohmann overload gives the same view.
  CHECK(decode_service(nlohmann::json::parse(read_sample("service-web.json"))) == s);

  const decoded_document nd = decode_document(read_sample("nodes.json"));
  REQUIRE(nd.events.size() == 6);
  struct want_node {
    const char* name;
    const char* zone;
    std::int64_t cpu;
  };
  const want_node want[] = {{"node-a1", "eu-west-1a", 4000}, {"node-a2", "eu-west-1a", 4000},
                            {"node-b1", "eu-west-1b", 8000}, {"node-b2", "eu-west-1b", 3500},
                            {"node-c1", "eu-west-1c", 2000}, {"node-c2", "eu-west-1c", 2000}};
  for (std::size_t i = 0; i < 6; ++i) {
    const node n = decode_node(nd.events[i].object.value.get<raw_object>());
    CHECK(n.metadata.name == want[i].name);
    CHECK(n.zone() == want[i].zone);
    CHECK(n.ready);
    CHECK(n.allocatable_cpu_millis == want[i].cpu);
  }
}

TEST_CASE("json: service and node views: defaults and errors", "[json]") {
  const service s = decode_service(nlohmann::json::parse(
      R"({"kind":"Service","metadata":{"name":"h"},"spec":{"clusterIP":"None","ports":[{"port":53}]}})"));
  CHECK_FALSE(s.selector);
  CHECK(s.is_headless());
  REQUIRE(s.ports.size() == 1);
  CHECK(s.ports[0].protocol == "TCP");
  CHECK_FALSE(s.ports[0].target_port);

  const node n = decode_node(nlohmann::json::parse(
      R"({"kind":"Node","metadata":{"name":"n"},"status":{"allocatable":{"cpu":1.5},"conditions":[{"type":"Ready","status":"False"}]}})"));
  CHECK_FALSE(n.ready);
  CHECK(n.allocatable_cpu_millis == 1500);
  CHECK(n.zone().empty());

  try {
    (void)decode_service(nlohmann::json::parse(
        R"({"metadata":{"name":5},"spec":{"selector":{"a":1},"ports":[{"port":"x","targetPort":1.5},7]}})"));
    FAIL("no exception");
  } catch (const epslice::error& e) {
    CHECK(messages(e.errors()) == std::vector<std::string>{
                                     "metadata.name: Invalid value: 5: must be a string",
                                     "spec.selector.a: Invalid value: 1: must be a string",
                                     "spec.ports[0].port: Invalid value: \"x\": must be a 32-bit integer",
                                     "spec.ports[0].targetPort: Invalid value: 1.5: must be an integer or a string",
                                     "spec.ports[1]: Invalid value: 7: must be an object",
                                 });
  }
  try {
    (void)decode_node(nlohmann::json::parse(R"({"status":{"allocatable":{"cpu":"lots"}}})"));
    FAIL("no exception");
  } catch (const epslice::error& e) {
    CHECK(std::string(e.what()) ==
          "status.allocatable.cpu: Invalid value: \"lots\": must be a quantity such as 4, 3500m or 1.5");
  }
  // Unsigned numbers past int32 are refused, not wrapped to negative values.
  try {
    (void)decode_service(nlohmann::json::parse(
        R"({"spec":{"ports":[{"port":18446744073709551615,"targetPort":2147483648,"nodePort":2147483647}]}})"));
    FAIL("no exception");
  } catch (const epslice::error& e) {
    CHECK(messages(e.errors()) == std::vector<std::string>{
                                     "spec.ports[0].port: Invalid value: 18446744073709551615: must be a 32-bit integer",
                                     "spec.ports[0].targetPort: Invalid value: 2147483648: must be an integer or a string",
                                 });
  }
  CHECK_THROWS_AS(decode_service(nlohmann::json::parse("[1]")), epslice::error);
  CHECK_THROWS_AS(decode_node(nlohmann::json::parse("\"x\"")), epslice::error);
  // A raw object built by hand with text that is not JSON: our exception, not nlohmann's.
  CHECK_THROWS_AS(decode_service(raw_object{"Service", "v1", "{not json"}), epslice::error);
  CHECK_THROWS_AS(decode_node(raw_object{"Node", "v1", ""}), epslice::error);
}

// ---------------------------------------------------------------------------------------------
// Sizes (docs/scenarios.md#sizes)

TEST_CASE("json: the 100-endpoint world slice is 24,363 bytes with 434 of metadata", "[json]") {
  const endpoint_slice_v4 s = world_slice();
  const std::string text = encode(s);
  CHECK(text.size() == 24363);
  CHECK(encoded_size(s) == 24363);
  const auto j = nlohmann::ordered_json::parse(text);
  CHECK(j["metadata"].dump().size() == 434);
  endpoint_slice_v4 no_meta = s;
  no_meta.metadata = object_meta{};
  CHECK(text.size() - encode(no_meta).size() + 2 == 434);  // `{}` is what an empty metadata costs
  // The first bytes, in the API server's field order.
  const std::string head =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"svc-00000",)"
        R"("generateName":"svc-","namespace":"default","labels":{"endpointslice.kubernetes.io/managed-by":)"
        R"("endpointslice-controller.k8s.io","kubernetes.io/service-name":"svc"},"annotations":)"
        R"({"endpoints.kubernetes.io/last-change-trigger-time":"2024-01-01T00:00:00Z"},"ownerReferences":)"
        R"([{"apiVersion":"v1","kind":"Service","name":"svc","uid":"11111111-2222-4333-8444-555555555555",)"
        R"("controller":true,"blockOwnerDeletion":true}]},"addressType":"IPv4","endpoints":[)";
  const std::string first_endpoint =
        R"({"addresses":["10.0.0.0"],"conditions":{"ready":true,"serving":true,"terminating":false},)"
        R"("targetRef":{"kind":"Pod","namespace":"default","name":"pod-0","uid":"00000000-0000-4000-8000-)"
        R"(000000000000"},"nodeName":"node-0","zone":"zone-a"},)";
  const std::string tail = R"(],"ports":[{"name":"http","protocol":"TCP","port":80}]})";
  CHECK(text.substr(0, head.size()) == head);
  CHECK(text.substr(head.size(), first_endpoint.size()) == first_endpoint);
  CHECK(text.substr(text.size() - tail.size()) == tail);
  CHECK(head.size() - std::string_view(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":)"
                                        R"(,"addressType":"IPv4","endpoints":[)")
                          .size() ==
        434);
  CHECK(decode_endpoint_slice_as<ipv4>(text) == s);
  CHECK(std::get<endpoint_slice_v4>(decode_endpoint_slice(text)) == s);
}

TEST_CASE("json: legacy Endpoints sizes of the world", "[json]") {
  // The figures assume metadata {name: svc, namespace: default} and addresses with ip, nodeName
  // and targetRef {kind, namespace, name, uid}; one port {name: http, port: 80, protocol: TCP}.
  CHECK(encode(world_endpoints(100)).size() == 15137);
  CHECK(encode(world_endpoints(1000)).size() == 151517);
  CHECK(encode(world_endpoints(10000)).size() == 1531181);
  const endpoints e = world_endpoints(2);
  const std::string text = encode(e);
  CHECK(text ==
        R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"svc","namespace":"default"},"subsets":[{"addresses":[)"
        R"({"ip":"10.0.0.0","nodeName":"node-0","targetRef":{"kind":"Pod","namespace":"default","name":"pod-0","uid":"00000000-0000-4000-8000-000000000000"}},)"
        R"({"ip":"10.0.0.1","nodeName":"node-1","targetRef":{"kind":"Pod","namespace":"default","name":"pod-1","uid":"00000000-0000-4000-8000-000000000001"}}],)"
        R"("ports":[{"name":"http","port":80,"protocol":"TCP"}]}]})");
  CHECK(decode_endpoints(text) == e);
  const endpoints big = world_endpoints(1000);
  CHECK(decode_endpoints(encode(big)) == big);
}

// ---------------------------------------------------------------------------------------------
// Field order and omitempty

TEST_CASE("json: encode follows the API server's field order and omitempty", "[json]") {
  SECTION("defaults") {
    CHECK(encode(endpoint_slice_v4{}) ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"IPv4","endpoints":null,"ports":null})");
    endpoint_slice_fqdn f;
    f.endpoints.emplace_back();
    f.endpoints.set_empty_not_nil();
    f.ports.set_empty_not_nil();
    CHECK(encode(f) ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"FQDN","endpoints":[{"addresses":null,"conditions":{}}],"ports":[]})");
    endpoint_slice_raw r;
    CHECK(encode(r) ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"","endpoints":null,"ports":null})");
    CHECK(encode(endpoints{}) == R"({"kind":"Endpoints","apiVersion":"v1","metadata":{}})");
  }
  SECTION("every field, in order, round trips byte for byte") {
    const std::string text =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","generateName":"a-",)"
        R"("namespace":"ns","selfLink":"/apis/discovery.k8s.io/v1/namespaces/ns/endpointslices/a","uid":"u",)"
        R"("resourceVersion":"5","generation":3,"creationTimestamp":null,"deletionTimestamp":"2024-01-01T00:00:00Z",)"
        R"("deletionGracePeriodSeconds":30,"labels":{"a":"1","b":""},"annotations":{"x":"y"},"ownerReferences":)"
        R"([{"apiVersion":"v1","kind":"Service","name":"a","uid":"u2","controller":true,"blockOwnerDeletion":false,)"
        R"("ownerExtra":1}],"finalizers":["f"],"managedFields":[{"manager":"m","operation":"Update"}],)"
        R"("unknownMeta":{"n":[1,2.50,true,null,1E5]}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],)"
        R"("conditions":{},"hostname":"","targetRef":{"kind":"Pod","namespace":"ns","name":"p","uid":"pu",)"
        R"("apiVersion":"v1","resourceVersion":"9","fieldPath":"spec","refExtra":"x"},"deprecatedTopology":)"
        R"({"k":"v"},"nodeName":"","zone":"z","hints":{"forZones":[{"name":"z"}],"forNodes":[{"name":"n"}],)"
        R"("hintExtra":0},"endpointExtra":[]}],"ports":[{"name":"","protocol":"UDP","port":0,"appProtocol":"h2c",)"
        R"("portExtra":"q"}],"sliceExtra":{}})";
    CHECK(reencode(text) == text);
    const auto o = decode_one(text);
    const auto& s = std::get<endpoint_slice_v4>(o.value.get<any_endpoint_slice>());
    CHECK(s.metadata.name == "a");
    CHECK_FALSE(s.metadata.creation_timestamp);
    CHECK(s.metadata.deletion_timestamp == "2024-01-01T00:00:00Z");
    CHECK(s.endpoints.at(0).hostname == "");
    CHECK(s.endpoints.at(0).node_name == "");
    CHECK(s.endpoints.at(0).conditions == endpoint_conditions{});
    CHECK(s.ports.at(0).name == "");
    CHECK(s.ports.at(0).port == 0);
    CHECK(s.extra == unknown_fields{{"sliceExtra", "{}"}});
    CHECK(s.endpoints.at(0).extra == unknown_fields{{"endpointExtra", "[]"}});
    CHECK(s.endpoints.at(0).target_ref->extra == unknown_fields{{"refExtra", "\"x\""}});
    CHECK(s.ports.at(0).extra == unknown_fields{{"portExtra", "\"q\""}});
  }
  SECTION("nil and empty lists stay apart") {
    const std::string nil_lists =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[{"addresses":null,"conditions":{"ready":true}}],"ports":null})";
    const std::string empty_lists =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[{"addresses":[],"conditions":{"ready":true}}],"ports":[]})";
    const std::string no_endpoints =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv6","endpoints":null,"ports":[]})";
    const std::string empty_endpoints =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv6","endpoints":[],"ports":null})";
    for (const auto& t : {nil_lists, empty_lists, no_endpoints, empty_endpoints}) CHECK(reencode(t) == t);
    const auto a = std::get<endpoint_slice_v4>(decode_endpoint_slice(nil_lists));
    const auto b = std::get<endpoint_slice_v4>(decode_endpoint_slice(empty_lists));
    CHECK(a.endpoints[0].addresses.is_nil());
    CHECK_FALSE(b.endpoints[0].addresses.is_nil());
    CHECK(a.ports.is_nil());
    CHECK_FALSE(b.ports.is_nil());
    CHECK_FALSE(a == b);
    // Absent lists are nil, and are written as null (no omitempty on these fields).
    CHECK(reencode(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"IPv4","endpoints":[{}]})") ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"IPv4","endpoints":[{"addresses":null,"conditions":{}}],"ports":null})");
  }
  SECTION("omitted: empty maps, empty hints lists, nil optionals; no creationTimestamp added") {
    CHECK(reencode(
              R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","labels":{},"annotations":null,"ownerReferences":[],"generation":0,"deletionTimestamp":null},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":null,"serving":false},"hostname":null,"targetRef":null,"deprecatedTopology":{},"zone":null,"hints":{"forZones":[],"forNodes":null}}],"ports":[{"name":null,"port":null}]})") ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"serving":false},"hints":{}}],"ports":[{}]})");
    // An explicit creationTimestamp null is kept where the API server writes it.
    const std::string with_null =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","uid":"u","creationTimestamp":null,"labels":{"k":"v"}},"addressType":"IPv4","endpoints":null,"ports":null})";
    CHECK(reencode(with_null) == with_null);
  }
  SECTION("fields in another order are written in the API server's order") {
    CHECK(reencode(
              R"({"zExtra":1,"ports":[{"extra":true,"port":80,"name":"p"}],"endpoints":[{"hints":{"forNodes":[{"name":"n"}],"forZones":[{"name":"z"}]},"zone":"z","nodeName":"n","targetRef":{"uid":"u","kind":"Pod"},"conditions":{"terminating":true,"ready":false},"addresses":["10.0.0.1"]}],"addressType":"IPv4","metadata":{"unknownA":1,"managedFields":[],"finalizers":["x"],"ownerReferences":[{"uid":"o","kind":"Service"}],"annotations":{"b":"2","a":"1"},"labels":{"z":"1","a":"2"},"creationTimestamp":"t","generation":2,"resourceVersion":"1","uid":"u","selfLink":"/s","namespace":"ns","generateName":"g","name":"n","unknownB":2},"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice"})") ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"n","generateName":"g","namespace":"ns","selfLink":"/s","uid":"u","resourceVersion":"1","generation":2,"creationTimestamp":"t","labels":{"a":"2","z":"1"},"annotations":{"a":"1","b":"2"},"ownerReferences":[{"apiVersion":"","kind":"Service","name":"","uid":"o"}],"finalizers":["x"],"managedFields":[],"unknownA":1,"unknownB":2},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":false,"terminating":true},"targetRef":{"kind":"Pod","uid":"u"},"nodeName":"n","zone":"z","hints":{"forZones":[{"name":"z"}],"forNodes":[{"name":"n"}]}}],"ports":[{"name":"p","port":80,"extra":true}],"zExtra":1})");
  }
  SECTION("legacy Endpoints: omitempty of subsets, addresses, hostname, ports") {
    const std::string text =
        R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"s","namespace":"ns"},"subsets":[{"addresses":[{"ip":"10.0.0.1","hostname":"h","nodeName":"","targetRef":{"kind":"Pod","name":"p"},"addrExtra":1}],"notReadyAddresses":[{"ip":""}],"ports":[{"port":0},{"name":"p","port":8080,"protocol":"UDP","appProtocol":"x","portExtra":{}}],"subsetExtra":null}],"epExtra":"e"})";
    CHECK(reencode(text) == text);
    CHECK(reencode(R"({"kind":"Endpoints","apiVersion":"v1","metadata":{},"subsets":[{"addresses":[{"ip":"10.0.0.1","hostname":""}],"notReadyAddresses":[],"ports":null}]})") ==
          R"({"kind":"Endpoints","apiVersion":"v1","metadata":{},"subsets":[{"addresses":[{"ip":"10.0.0.1"}]}]})");
    CHECK(reencode(R"({"kind":"Endpoints","apiVersion":"v1","metadata":{},"subsets":[]})") ==
          R"({"kind":"Endpoints","apiVersion":"v1","metadata":{}})");
    const endpoints e = decode_endpoints(text);
    REQUIRE(e.subsets.size() == 1);
    CHECK(e.subsets[0].addresses.at(0).node_name == "");
    CHECK(e.subsets[0].not_ready_addresses.at(0).ip.empty());
    CHECK(e.subsets[0].ports.at(1).app_protocol == "x");
    CHECK(e.extra == unknown_fields{{"epExtra", "\"e\""}});
  }
}

// ---------------------------------------------------------------------------------------------
// Escaping

TEST_CASE("json: strings are escaped as Go's encoding/json escapes them", "[json]") {
  struct row {
    const char* name;
    std::string input;
    std::string want;  // the JSON string, quotes included
  };
  const std::vector<row> rows = {
      {"plain", "abc-1.2", R"("abc-1.2")"},
      {"html characters", "<a&b>", R"("\u003ca\u0026b\u003e")"},
      {"quote and backslash", "a\"b\\c/d", R"("a\"b\\c/d")"},
      {"short escapes", "\n\r\t\b\f", R"("\n\r\t\b\f")"},
      {"other control characters", std::string("\x00\x01\x1f\x7f", 4), R"("\u0000\u0001\u001f)" "\x7f\""},
      {"line and paragraph separators", "a\xe2\x80\xa8" "b\xe2\x80\xa9", R"("a\u2028b\u2029")"},
      {"valid multi-byte UTF-8", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
      {"a stray continuation byte", "a\x80z", R"("a\ufffdz")"},
      {"an invalid lead byte", "\xff\xfe", R"("\ufffd\ufffd")"},
      {"a truncated sequence", "\xe2\x82", R"("\ufffd\ufffd")"},
      {"a truncated sequence before ASCII", "\xe2\x82z", R"("\ufffd\ufffdz")"},
      {"an overlong encoding", "\xc0\xaf", R"("\ufffd\ufffd")"},
      {"an encoded surrogate", "\xed\xa0\x80", R"("\ufffd\ufffd\ufffd")"},
      {"beyond U+10FFFF", "\xf4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    endpoint_slice_v4 s;
    s.metadata.name = r.input;
    CHECK(encode(s) == R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":)" + r.want +
                           R"(},"addressType":"IPv4","endpoints":null,"ports":null})");
  }
  // Map keys and unknown-field keys are escaped the same way.
  endpoints e;
  e.metadata.labels.emplace("a<b", "c>d");
  e.extra.push_back(unknown_field{"x&y", "1"});
  CHECK(encode(e) ==
        R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"labels":{"a\u003cb":"c\u003ed"}},"x\u0026y":1})");
  // Escapes in the input decode to the characters, which are written Go's way.
  const std::string in2 =
      R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"\u003c\/\u00e9\ud83d\ude00\u2028"},"x":["<\"\u0007"]})";
  CHECK(reencode(in2) ==
        "{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"\\u003c/\xc3\xa9\xf0\x9f\x98\x80\\u2028\"},"
        "\"x\":[\"\\u003c\\\"\\u0007\"]}");
}

TEST_CASE("json: the word-at-a-time scan finds the first byte that needs care at every position", "[json]") {
  // Every byte value at every position of strings up to 40 bytes long, over plain text of each
  // kind (letters, digits and the punctuation next to the flagged characters).
  const std::string fillers[] = {"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", "0123456789-./:;=?@[]^_`{|}~!#$%'()*+,-./0",
                                 "!#$%'()*+,-./0123456789:;=?@ABCDEFGHIJKLMN"};
  std::size_t checked = 0;
  for (const auto& filler : fillers)
    for (std::size_t len = 1; len <= filler.size(); len += len < 17 ? 1 : 3)
      for (std::size_t pos = 0; pos < len; ++pos)
        for (int b = 0; b < 256; ++b) {
          std::string text = filler.substr(0, len);
          text[pos] = static_cast<char>(b);
          std::size_t want = 0;
          while (want < text.size() && detail::json_escapes.cls[static_cast<unsigned char>(text[want])] == 0) ++want;
          REQUIRE(detail::plain_json_prefix(text) == want);
          REQUIRE((detail::json_care_bits(text) != 0) == (want != text.size()));
          ++checked;
        }
  CHECK(checked > 100000);
  // Escapes deep inside long strings come out where they belong.
  const std::string body(37, 'x');
  for (std::size_t pos = 0; pos <= body.size(); ++pos) {
    std::string text = body;
    text.insert(pos, "<\"\xc3\xa9");
    std::string out;
    detail::write_json_string(out, text);
    CHECK(out == "\"" + body.substr(0, pos) + "\\u003c\\\"\xc3\xa9" + body.substr(pos) + "\"");
  }
}

// ---------------------------------------------------------------------------------------------
// Address families

TEST_CASE("json: address families", "[json]") {
  SECTION("IPv6: non-canonical text parses and prints as written, as the API server keeps it") {
    const auto s = decode_endpoint_slice(
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"IPv6","endpoints":[{"addresses":["2001:0DB8:0000:0001:0000:0000:0000:0001","FD00::A"]}],"ports":[]})");
    REQUIRE(std::holds_alternative<endpoint_slice_v6>(s));
    CHECK(encode(s) ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"IPv6","endpoints":[{"addresses":["2001:0DB8:0000:0001:0000:0000:0000:0001","FD00::A"],"conditions":{}}],"ports":[]})");
    // The sizes count the bytes as written.
    CHECK(encoded_size(s) == encode(s).size());
    const auto& a = std::get<endpoint_slice_v6>(s).endpoints[0].addresses[0];
    CHECK(to_string(a.canonical()) == "2001:db8:0:1::1");
  }
  SECTION("FQDN") {
    const std::string text =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"ext"},"addressType":"FQDN","endpoints":[{"addresses":["db.example.com"],"conditions":{"ready":true}}],"ports":[{"name":"pg","protocol":"TCP","port":5432}]})";
    const auto s = decode_endpoint_slice_as<fqdn>(text);
    CHECK(s.endpoints.at(0).addresses.at(0) == "db.example.com");
    CHECK(encode(s) == text);
  }
  SECTION("a dual-stack pair") {
    const decoded_document d = decode_document(R"({"kind":"List","apiVersion":"v1","items":[
      {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-4"},"addressType":"IPv4","endpoints":[{"addresses":["10.1.0.5"]}],"ports":[{"port":80}]},
      {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-6"},"addressType":"IPv6","endpoints":[{"addresses":["fd00::5"]}],"ports":[{"port":80}]}]})");
    REQUIRE(d.events.size() == 2);
    const auto& a = d.events[0].object.value.get<any_endpoint_slice>();
    const auto& b = d.events[1].object.value.get<any_endpoint_slice>();
    CHECK(std::get<endpoint_slice_v4>(a).endpoints.at(0).addresses.at(0) == *ipv4::parse("10.1.0.5"));
    CHECK(std::get<endpoint_slice_v6>(b).endpoints.at(0).addresses.at(0) == *ipv6::parse("fd00::5"));
  }
  SECTION("headless with no ports") {
    for (const char* ports : {"null", "[]"}) {
      const std::string text =
          std::string(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"h","labels":{"service.kubernetes.io/headless":""}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.9"],"conditions":{"ready":true},"hostname":"h-0"}],"ports":)") +
          ports + "}";
      const auto s = decode_endpoint_slice_as<ipv4>(text);
      CHECK(s.ports.empty());
      CHECK(s.ports.is_nil() == (std::string(ports) == "null"));
      CHECK(s.endpoints.at(0).hostname == "h-0");
      CHECK(encode(s) == text);
    }
  }
  SECTION("an address that does not parse keeps the slice raw, without a decode problem") {
    const std::string text =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"bad"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true},"nodeName":"n"},{"addresses":["10.0.0.300","010.0.0.1"],"conditions":{}},{"addresses":["10.0.0.3"],"conditions":{}}],"ports":null})";
    const decoded_object o = decode_one(text);
    const auto& s = o.value.get<any_endpoint_slice>();
    REQUIRE(std::holds_alternative<endpoint_slice_raw>(s));
    const auto& r = std::get<endpoint_slice_raw>(s);
    CHECK(r.address_type == "IPv4");
    REQUIRE(r.endpoints.size() == 3);
    CHECK(r.endpoints[0].addresses == address_list<std::string>{std::vector<std::string>{"10.0.0.1"}});
    CHECK(r.endpoints[0].node_name == "n");
    CHECK(r.endpoints[1].addresses == address_list<std::string>{std::vector<std::string>{"10.0.0.300", "010.0.0.1"}});
    CHECK(encode(s) == text);
    CHECK(address_type_name(s) == "IPv4");
    try {
      (void)decode_endpoint_slice_as<ipv4>(text);
      FAIL("no exception");
    } catch (const epslice::error& e) {
      CHECK(messages(e.errors()) ==
            std::vector<std::string>{R"(endpoints[1].addresses[0]: Invalid value: "10.0.0.300": must be a valid IPv4 address)",
                                     R"(endpoints[1].addresses[1]: Invalid value: "010.0.0.1": must be a valid IPv4 address)"});
    }
    CHECK_THROWS_WITH(decode_endpoint_slice_as<ipv6>(text), "addressType: Invalid value: expected IPv6, got IPv4");
    CHECK(std::get<endpoint_slice_raw>(decode_endpoint_slice(text)) == r);
    CHECK(decode_endpoint_slice_as<raw>(text) == r);
  }
  SECTION("addressType after the endpoints: still typed") {
    const auto s = decode_endpoint_slice(
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"endpoints":[{"addresses":["10.0.0.7"],"zone":"z"}],"ports":[],"addressType":"IPv4"})");
    REQUIRE(std::holds_alternative<endpoint_slice_v4>(s));
    CHECK(std::get<endpoint_slice_v4>(s).endpoints.at(0).addresses.at(0) == *ipv4::parse("10.0.0.7"));
    CHECK(std::get<endpoint_slice_v4>(s).endpoints.at(0).zone == "z");
  }
  SECTION("the last addressType wins") {
    const auto s = decode_endpoint_slice(
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.7"]}],"addressType":"IPv6"})");
    REQUIRE(std::holds_alternative<endpoint_slice_raw>(s));
    CHECK(address_type_name(s) == "IPv6");
    CHECK(std::get<endpoint_slice_raw>(s).endpoints.at(0).addresses.at(0) == "10.0.0.7");
  }
  SECTION("kind given last: the object is buffered, then decoded") {
    const auto s = decode_endpoint_slice(
        R"({"metadata":{"name":"late","labels":{"a":"b"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.8"],"conditions":{"ready":true},"x":[1,{"y":null}]}],"ports":[{"port":1}],"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice"})");
    REQUIRE(std::holds_alternative<endpoint_slice_v4>(s));
    CHECK(encode(s) ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"late","labels":{"a":"b"}},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.8"],"conditions":{"ready":true},"x":[1,{"y":null}]}],"ports":[{"port":1}]})");
  }
  SECTION("missing or unknown addressType: raw") {
    const std::string missing =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"endpoints":[{"addresses":["10.0.0.1"]}],"ports":null})";
    const auto s = decode_endpoint_slice(missing);
    REQUIRE(std::holds_alternative<endpoint_slice_raw>(s));
    CHECK_FALSE(std::get<endpoint_slice_raw>(s).address_type);
    // addressType has no omitempty: the API server writes "" for an absent one.
    CHECK(encode(s) ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"","endpoints":[{"addresses":["10.0.0.1"],"conditions":{}}],"ports":null})");
    const auto ip = decode_endpoint_slice(
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"IP","endpoints":[]})");
    REQUIRE(std::holds_alternative<endpoint_slice_raw>(ip));
    CHECK(std::get<endpoint_slice_raw>(ip).address_type == "IP");
    CHECK_THROWS_WITH(decode_endpoint_slice_as<ipv4>(missing), "addressType: Invalid value: expected IPv4, got ");
  }
}

// ---------------------------------------------------------------------------------------------
// Document forms

TEST_CASE("json: document forms", "[json]") {
  SECTION("a List of mixed kinds") {
    const decoded_document d = decode_document(R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[
      {"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"a"}},
      {"kind":"ConfigMap","apiVersion":"v1","data":{"k":"v"}},
      {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a-1"},"addressType":"FQDN","endpoints":[]}]})");
    REQUIRE_FALSE(d.syntax_error);
    CHECK(d.had_list);
    REQUIRE(d.events.size() == 3);
    CHECK(d.events[0].object.kind() == "Endpoints");
    CHECK(d.events[1].object.kind() == "ConfigMap");
    CHECK(d.events[1].object.value.get<raw_object>().json == R"({"kind":"ConfigMap","apiVersion":"v1","data":{"k":"v"}})");
    CHECK(std::holds_alternative<endpoint_slice_fqdn>(d.events[2].object.value.get<any_endpoint_slice>()));
    CHECK(d.events[2].object.location == "items[2]");
    // A list is not one object.
    CHECK_THROWS_AS(decode_endpoints(R"({"kind":"List","items":[{"kind":"Endpoints","metadata":{}}]})"), epslice::error);
  }
  SECTION("EndpointSliceList and EndpointsList items without kind and apiVersion") {
    const decoded_document d = decode_document(R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"7"},"items":[
      {"metadata":{"name":"s1"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}],"ports":null},
      {"metadata":{"name":"s2"},"addressType":"IPv6","endpoints":null,"ports":null}]})");
    REQUIRE(d.events.size() == 2);
    const auto& s1 = std::get<endpoint_slice_v4>(d.events[0].object.value.get<any_endpoint_slice>());
    CHECK(s1.metadata.name == "s1");
    // The type fields come from the list, marked as inferred: the object holds them (for sizes,
    // and as the API server sends it to a watcher) ...
    CHECK(s1.kind == "EndpointSlice");
    CHECK(s1.api_version == "discovery.k8s.io/v1");
    CHECK(d.events[0].object.kind_inferred);
    CHECK(d.events[0].object.api_version_inferred);
    CHECK(encode(s1) ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"s1"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{}}],"ports":null})");
    CHECK(encode(d.events[0].object, encode_options{.inferred_type_fields = true}) == encode(s1));
    // ... but nothing is added when the decoded object is written back.
    CHECK(encode_object(d.events[0].object) ==
          R"({"metadata":{"name":"s1"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{}}],"ports":null})");
    REQUIRE(d.lists.size() == 1);
    CHECK(d.lists[0].kind == "EndpointSliceList");
    CHECK(d.lists[0].api_version == "discovery.k8s.io/v1");
    CHECK(d.lists[0].metadata.resource_version == "7");
    CHECK(d.lists[0].items == 2);
    CHECK(std::holds_alternative<endpoint_slice_v6>(d.events[1].object.value.get<any_endpoint_slice>()));

    const decoded_document e = decode_document(R"({"kind":"EndpointsList","apiVersion":"v1","items":[
      {"metadata":{"name":"a"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]}]})");
    REQUIRE(e.events.size() == 1);
    const auto& ep = e.events[0].object.value.get<endpoints>();
    CHECK(ep.metadata.name == "a");
    CHECK(ep.subsets.at(0).addresses.at(0).ip == "10.0.0.1");
    CHECK(ep.subsets.at(0).ports.at(0).port == 80);
  }
  SECTION("a bare array") {
    const decoded_document d = decode_document(R"([{"kind":"Pod","metadata":{"name":"p"}},{"kind":"Endpoints","metadata":{}}, 5])");
    CHECK(d.had_list);
    REQUIRE(d.events.size() == 2);
    CHECK(d.events[0].object.location == "[0]");
    CHECK(d.events[1].object.location == "[1]");
    CHECK(messages(d.problems) == std::vector<std::string>{"[2]: Invalid value: 5: must be an object, not a number"});
  }
  SECTION("a stream of concatenated objects") {
    const decoded_document d = decode_document(
        "\n {\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"a\"}}{\"kind\":\"Pod\"}\r\n\t"
        "{\n  \"kind\": \"EndpointSlice\",\n  \"addressType\": \"IPv4\",\n  \"endpoints\": []\n}\n\n");
    REQUIRE_FALSE(d.syntax_error);
    CHECK(d.values == 3);
    CHECK_FALSE(d.had_list);
    REQUIRE(d.events.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(d.events[i].object.document == i);
      CHECK(d.events[i].object.location.empty());
    }
    CHECK(d.events[2].object.kind() == "EndpointSlice");
  }
  SECTION("--output-watch-events streams") {
    const decoded_document d = decode_document(
        R"({"type":"ADDED","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[],"ports":[]}}
{"type":"MODIFIED","object":{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"a"}}}
{"type":"DELETED","object":{"apiVersion":"v1","metadata":{"name":"p"},"kind":"Pod"}}
{"object":{"kind":"Pod","metadata":{"name":"q"}},"type":"BOOKMARK"})");
    REQUIRE_FALSE(d.syntax_error);
    REQUIRE(d.events.size() == 4);
    CHECK(d.events[0].type == watch_event_type::added);
    CHECK(d.events[1].type == watch_event_type::modified);
    CHECK(d.events[2].type == watch_event_type::deleted);
    for (const auto& e : d.events) CHECK(e.shape == stream_shape::watch_event);
    CHECK(d.events[0].object.location == "object");
    CHECK(d.events[2].object.kind() == "Pod");
    CHECK(d.events[2].object.value.get<raw_object>().json == R"({"apiVersion":"v1","metadata":{"name":"p"},"kind":"Pod"})");
    CHECK(d.events[3].object.value.get<raw_object>().kind == "Pod");
    CHECK(d.events[3].type == watch_event_type::bookmark);  // `type` after `object`
    for (std::size_t i = 0; i < 4; ++i) CHECK(d.events[i].object.document == i);
    // One watch event is a change, not an object: the single-object decoders refuse it (a
    // DELETED event read as its object would bring a deleted object back); decode_document keeps it.
    CHECK_THROWS_WITH(decode_endpoints(R"({"type":"ADDED","object":{"kind":"Endpoints","metadata":{"name":"w"}}})"),
                      "<root>: Invalid value: expected one Endpoints, found a watch event (ADDED)");
    CHECK(decode_document(R"({"type":"ADDED","object":{"kind":"Endpoints","metadata":{"name":"w"}}})")
              .events.front().object.value.get<endpoints>().metadata.name == "w");
  }
  SECTION("discovery.k8s.io/v1beta1 slices are converted to v1 (topology)") {
    const decoded_document d = decode_document(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1beta1","metadata":{"name":"b"},"addressType":"IPv4","endpoints":[
      {"addresses":["10.0.0.1"],"nodeName":"n1","topology":{"kubernetes.io/hostname":"n1","topology.kubernetes.io/zone":"z1","rack":"r1"}},
      {"addresses":["10.0.0.2"],"nodeName":"n2","topology":{"kubernetes.io/hostname":"other"}},
      {"addresses":["10.0.0.3"],"topology":{"topology.kubernetes.io/zone":"z3"}},
      {"addresses":["10.0.0.4"],"topology":null},
      {"addresses":["10.0.0.5"],"nodeName":"n5","topology":{"kubernetes.io/hostname":"n5"}}],"ports":[]})");
    REQUIRE(d.events.size() == 1);
    CHECK(d.events[0].object.problems.empty());
    const auto& s = std::get<endpoint_slice_v4>(d.events[0].object.value.get<any_endpoint_slice>());
    CHECK(s.api_version == "discovery.k8s.io/v1");
    REQUIRE(s.endpoints.size() == 5);
    CHECK(s.endpoints[0].zone == "z1");
    CHECK(s.endpoints[0].deprecated_topology == string_map{{"rack", "r1"}});
    CHECK(s.endpoints[1].deprecated_topology == string_map{{"kubernetes.io/hostname", "other"}});
    CHECK_FALSE(s.endpoints[1].zone);
    CHECK(s.endpoints[2].zone == "z3");
    CHECK(s.endpoints[2].deprecated_topology.empty());
    CHECK(s.endpoints[3].deprecated_topology.empty());
    CHECK(s.endpoints[4].deprecated_topology.empty());
    for (const auto& e : s.endpoints) CHECK(e.extra.empty());
    CHECK(encode(s) ==
          R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"b"},"addressType":"IPv4","endpoints":[)"
          R"({"addresses":["10.0.0.1"],"conditions":{},"deprecatedTopology":{"rack":"r1"},"nodeName":"n1","zone":"z1"},)"
          R"({"addresses":["10.0.0.2"],"conditions":{},"deprecatedTopology":{"kubernetes.io/hostname":"other"},"nodeName":"n2"},)"
          R"({"addresses":["10.0.0.3"],"conditions":{},"zone":"z3"},{"addresses":["10.0.0.4"],"conditions":{}},)"
          R"({"addresses":["10.0.0.5"],"conditions":{},"nodeName":"n5"}],"ports":[]})");
    // A topology of the wrong type is a problem with its path.
    const decoded_document bad = decode_document(
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1beta1","metadata":{},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"topology":{"a":1}},{"addresses":["10.0.0.2"],"topology":"x"}]})");
    REQUIRE(bad.events.size() == 1);
    CHECK(messages(bad.events[0].object.problems) ==
          std::vector<std::string>{"endpoints[0].topology.a: Invalid value: 1: must be a string, not a number",
                                   R"(endpoints[1].topology: Invalid value: "x": must be an object of strings, not a string)"});
  }
}

TEST_CASE("json: repeated keys and odd shapes", "[json]") {
  SECTION("the last of repeated keys wins") {
    const auto a = decode_one(
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"creationTimestamp":null,"creationTimestamp":"t","name":"x","name":"y"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}],"endpoints":null})");
    const auto& s = std::get<endpoint_slice_v4>(a.value.get<any_endpoint_slice>());
    CHECK(s.metadata.name == "y");
    CHECK(s.metadata.creation_timestamp == "t");
    CHECK(s.metadata.extra.empty());
    CHECK(s.endpoints.is_nil());
    CHECK(reencode(R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"creationTimestamp":"t","creationTimestamp":null}})") ==
          R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"creationTimestamp":null}})");
  }
  SECTION("unmodelled metadata fields are held in the order they are written") {
    const decoded_object o = decode_one(
        R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"zz":1,"managedFields":[],"finalizers":["f"],"aa":2,"deletionGracePeriodSeconds":0,"selfLink":"/s","name":"n"}})");
    const auto& m = o.value.get<endpoints>().metadata;
    CHECK(m.extra == unknown_fields{{"selfLink", "\"/s\""}, {"deletionGracePeriodSeconds", "0"}, {"finalizers", "[\"f\"]"},
                                    {"managedFields", "[]"}, {"zz", "1"}, {"aa", "2"}});
    const std::string out = encode_object(o);
    CHECK(out ==
          R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"n","selfLink":"/s","deletionGracePeriodSeconds":0,"finalizers":["f"],"managedFields":[],"zz":1,"aa":2}})");
    CHECK(decode_one(out).value == o.value);
  }
  SECTION("an empty addressType is an absent one, as in Go") {
    const std::string text =
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"","endpoints":null,"ports":null})";
    const auto s = decode_endpoint_slice(text);
    CHECK_FALSE(std::get<endpoint_slice_raw>(s).address_type);
    CHECK(encode(s) == text);
  }
  SECTION("a watch event whose type is not a string") {
    // Without a type the event means nothing: it is a problem of the stream, and skipped.
    const decoded_document d = decode_document(
        R"({"type":[{"a":1}],"object":{"kind":"Endpoints","metadata":{"name":"w"}}} {"type":{},"object":{"kind":"Pod"}})");
    REQUIRE_FALSE(d.syntax_error);
    CHECK(d.events.empty());
    CHECK(messages(d.problems) ==
          std::vector<std::string>{"type: Invalid value: must be a string", "type: Invalid value: must be a string"});
  }
  SECTION("a list with a repeated kind that is not a string") {
    const decoded_document d = decode_document(R"({"kind":"List","kind":[1,[2]],"items":[{"kind":"Pod"}],"metadata":{}})");
    REQUIRE_FALSE(d.syntax_error);
    REQUIRE(d.events.size() == 1);
    CHECK(d.events[0].object.kind() == "Pod");
  }
  SECTION("items of other lists are read by their own kind") {
    const decoded_document d = decode_document(
        R"({"kind":"FooList","items":[{"kind":"EndpointSlice","addressType":"IPv4","endpoints":[]},{"metadata":{"name":"p"}},{"kind":"Endpoints"}]})");
    REQUIRE(d.events.size() == 3);
    CHECK(d.events[0].object.value.holds<any_endpoint_slice>());
    CHECK(d.events[1].object.value.get<raw_object>().json == R"({"metadata":{"name":"p"}})");
    CHECK(d.events[2].object.value.holds<endpoints>());
  }
}

// ---------------------------------------------------------------------------------------------
// Problems

TEST_CASE("json: wrong types are reported with their paths, every one of them", "[json]") {
  const std::string bad_slice =
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
  "metadata":{"name":7,"labels":{"a":"1","b":false},"generation":"x","ownerReferences":[{"controller":"yes","name":"o"}]},
  "addressType":"IPv4",
  "endpoints":[
    {"addresses":["10.0.0.1",5],"conditions":{"ready":true},"nodeName":"n1"},
    {"addresses":["10.0.0.2"],"conditions":{"ready":"yes","serving":1},"zone":["z"]},
    {"addresses":"10.0.0.3","hostname":"h","targetRef":"pod","hints":{"forZones":[{"name":3}]}},
    "oops"
  ],
  "ports":[{"name":"http","port":"80"},{"port":70000000000},{"port":8.5,"protocol":"TCP"},{"port":-2147483649},{"port":80.0},{"port":1e2},{"port":18446744073709551615}]})";
  const std::vector<std::string> want = {
      "metadata.name: Invalid value: 7: must be a string, not a number",
      "metadata.labels.b: Invalid value: false: must be a string, not a boolean",
      R"(metadata.generation: Invalid value: "x": must be an integer, not a string)",
      R"(metadata.ownerReferences[0].controller: Invalid value: "yes": must be a boolean, not a string)",
      "endpoints[0].addresses[1]: Invalid value: 5: must be a string, not a number",
      R"(endpoints[1].conditions.ready: Invalid value: "yes": must be a boolean, not a string)",
      "endpoints[1].conditions.serving: Invalid value: 1: must be a boolean, not a number",
      "endpoints[1].zone: Invalid value: must be a string, not an array",
      R"(endpoints[2].addresses: Invalid value: "10.0.0.3": must be an array, not a string)",
      R"(endpoints[2].targetRef: Invalid value: "pod": must be an object, not a string)",
      "endpoints[2].hints.forZones[0].name: Invalid value: 3: must be a string, not a number",
      R"(endpoints[3]: Invalid value: "oops": must be an object, not a string)",
      R"(ports[0].port: Invalid value: "80": must be an integer, not a string)",
      "ports[1].port: Invalid value: 70000000000: out of range: must be between -2147483648 and 2147483647",
      "ports[2].port: Invalid value: 8.5: must be an integer",
      "ports[3].port: Invalid value: -2147483649: out of range: must be between -2147483648 and 2147483647",
      "ports[4].port: Invalid value: 80.0: must be an integer",
      "ports[5].port: Invalid value: 1e2: must be an integer",
      "ports[6].port: Invalid value: 18446744073709551615: out of range: must be between -2147483648 and 2147483647",
  };
  const decoded_document d = decode_document(bad_slice);
  REQUIRE_FALSE(d.syntax_error);
  REQUIRE(d.events.size() == 1);
  CHECK(messages(d.events[0].object.problems) == want);
  // The rest of the object is still read.
  const auto& s = std::get<endpoint_slice_v4>(d.events[0].object.value.get<any_endpoint_slice>());
  CHECK(s.metadata.name.empty());
  CHECK(s.metadata.labels == string_map{{"a", "1"}});
  CHECK(s.metadata.owner_references.at(0).name == "o");
  REQUIRE(s.endpoints.size() == 3);
  CHECK(s.endpoints[0].addresses == address_list<ipv4_address>{std::vector<ipv4_address>{*ipv4::parse("10.0.0.1")}});
  CHECK(s.endpoints[0].conditions.ready == true);
  CHECK(s.endpoints[0].node_name == "n1");
  CHECK_FALSE(s.endpoints[1].conditions.ready);
  CHECK_FALSE(s.endpoints[1].zone);
  CHECK(s.endpoints[2].addresses.is_nil());
  CHECK(s.endpoints[2].hostname == "h");
  CHECK_FALSE(s.endpoints[2].target_ref);
  REQUIRE(s.ports.size() == 7);
  CHECK(s.ports[0].name == "http");
  CHECK_FALSE(s.ports[0].port);
  CHECK(s.ports[2].protocol == "TCP");

  // The throwing decoder reports all of them in one error.
  try {
    (void)decode_endpoint_slice(bad_slice);
    FAIL("no exception");
  } catch (const epslice::error& e) {
    CHECK(messages(e.errors()) == want);
    std::string joined;
    for (const auto& m : want) joined += (joined.empty() ? "" : "\n") + m;
    CHECK(std::string(e.what()) == joined);
    CHECK(e.path() == "metadata.name");
  }

  // In a list the paths are absolute; problems of every item are reported, in order.
  const std::string list = R"({"kind":"List","items":[
    {"kind":"EndpointSlice","metadata":{"labels":{"k":null,"j":{}}},"addressType":"IPv4","endpoints":[]},
    {"kind":"Pod","metadata":{"name":1}},
    )" + bad_slice + "]}";
  try {
    (void)decode_endpoint_slice(list);
    FAIL("no exception");
  } catch (const epslice::error& e) {
    std::vector<std::string> all = {"items[0].metadata.labels.j: Invalid value: must be a string, not an object"};
    for (const auto& m : want) all.push_back("items[2]." + m);
    CHECK(messages(e.errors()) == all);
  }
  // In a watch event, below `object`.
  try {
    (void)decode_endpoints(R"({"type":"ADDED","object":{"kind":"Endpoints","subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":5}],"notReadyAddresses":[{"ip":"10.0.0.2","nodeName":false}],"ports":[{"port":65536.5}]}]}})");
    FAIL("no exception");
  } catch (const epslice::error& e) {
    CHECK(messages(e.errors()) ==
          std::vector<std::string>{"object.subsets[0].addresses[1].ip: Invalid value: 5: must be a string, not a number",
                                   "object.subsets[0].notReadyAddresses[0].nodeName: Invalid value: false: must be a string, not a boolean",
                                   "object.subsets[0].ports[0].port: Invalid value: 65536.5: must be an integer"});
  }
  // Problems outside any object.
  const decoded_document notes = decode_document(R"({"kind":"List","items":{"a":1}} "text" [1])");
  CHECK(messages(notes.problems) ==
        std::vector<std::string>{"items: Invalid value: must be an array, not an object",
                                 R"(<root>: Invalid value: "text": a document must hold objects, not a string)",
                                 "[0]: Invalid value: 1: must be an object, not a number"});
  CHECK_THROWS_WITH(decode_endpoint_slice(R"({"kind":"Endpoints"})"), "kind: Invalid value: expected EndpointSlice, got Endpoints");
  CHECK_THROWS_WITH(decode_endpoint_slice(R"({"kind":"EndpointSlice"}{"kind":"EndpointSlice"})"),
                    "<root>: Invalid value: expected one EndpointSlice, found 2 objects");
  // A watch event is a change, not the object: the single-object decoders refuse it whole
  // (a fuzz pass found decode_endpoint_slice returning the object of a clean ADDED event).
  CHECK_THROWS_WITH(decode_endpoint_slice(R"({"type":"DELETED","object":{"kind":"EndpointSlice","addressType":"IPv4","endpoints":[]}})"),
                    "<root>: Invalid value: expected one EndpointSlice, found a watch event (DELETED)");
  CHECK_THROWS_WITH(decode_endpoints(R"({"Type":"ADDED","Object":{"kind":"Endpoints"}})"),
                    "<root>: Invalid value: expected one Endpoints, found a watch event (ADDED)");
  CHECK_THROWS_WITH(decode_service(R"({"type":"MODIFIED","object":{"kind":"Service","metadata":{"name":"a"}}})"),
                    "<root>: Invalid value: expected one Service, found a watch event (MODIFIED)");
}

TEST_CASE("json: syntax errors carry line and column", "[json]") {
  struct row {
    const char* name;
    std::string text;
    std::size_t objects, line, column;
    std::string message;
  };
  const std::vector<row> rows = {
      {"empty", "", 0, 1, 1, "empty input"},
      {"whitespace only", "  \n\t \n ", 0, 3, 2, "empty input"},
      {"bad literal on line 3", "{\n  \"a\": 1,\n  \"b\": x\n}", 0, 3, 8,
       "syntax error while parsing value - invalid literal; last read: '\"b\": x'"},
      {"error in the 2nd object of a stream", "{\"kind\":\"Pod\"}\n{\"kind\":\"Pod\",\n\"b\":}", 1, 3, 5,
       "syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal"},
      {"truncated object", "{\"kind\":\"Pod\"", 0, 1, 14,
       "syntax error while parsing object - unexpected end of input; expected '}'"},
      {"truncated array", "[{\"kind\":\"Pod\"},", 1, 1, 17,
       "syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal"},
      {"truncated string", "{\"kind\":\"Po", 0, 1, 12,
       "syntax error while parsing value - invalid string: missing closing quote; last read: '\"Po'"},
      {"stray closing brace", "{} }", 1, 1, 4,
       "syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal"},
      {"garbage after an object", "{\"a\":1}x", 1, 1, 8, "syntax error while parsing value - invalid literal; last read: 'x'"},
      // The column is that of the last byte the parser read (here the end of the "b" token).
      {"missing comma", "{\"a\":1 \"b\":2}", 0, 1, 10,
       "syntax error while parsing object - unexpected string literal; expected '}'"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const decoded_document d = decode_document(r.text);
    REQUIRE(d.syntax_error);
    CHECK(d.events.size() == r.objects);
    CHECK(d.syntax_error->line == r.line);
    CHECK(d.syntax_error->column == r.column);
    CHECK(d.syntax_error->message == r.message);
    CHECK_THROWS_AS(decode_endpoint_slice(r.text), epslice::error);
  }
  CHECK_THROWS_WITH(decode_endpoints("{\n  \"a\": 1,\n  \"b\": x\n}"),
                    "<root>: Invalid value: not JSON: line 3, column 8: syntax error while parsing value - invalid "
                    "literal; last read: '\"b\": x'");
  // The byte offset is into the whole input.
  const decoded_document d = decode_document("{}\n{]");
  REQUIRE(d.syntax_error);
  CHECK(d.syntax_error->offset == 4);
}

// ---------------------------------------------------------------------------------------------
// Fuzzing

namespace {

// A mutation of `text`: bytes replaced, inserted, deleted, ranges duplicated or cut.
std::string mutate(std::string text, splitmix& rng) {
  static constexpr std::string_view alphabet = "{}[]\":,0123456789-.eE tfnulx\\\n";
  const std::size_t edits = 1 + rng.below(4);
  for (std::size_t k = 0; k < edits && !text.empty(); ++k) {
    const std::size_t at = rng.below(text.size());
    switch (rng.below(10)) {
      case 0: text[at] = alphabet[rng.below(alphabet.size())]; break;
      case 1: text.insert(at, 1, alphabet[rng.below(alphabet.size())]); break;
      case 2: text.erase(at, 1 + rng.below(8)); break;
      case 3: {
        const std::size_t len = 1 + rng.below(64);
        text.insert(at, text.substr(rng.below(text.size()), len));
        break;
      }
      case 4: text.resize(at); break;
      case 5: text[at] = static_cast<char>(rng.below(256)); break;
      default: {
        // Replace the value of a member near `at` by a value of another JSON type, keeping the
        // text JSON: this is what reaches the type checks.
        static constexpr std::string_view values[] = {"5", "true", "null", "[]", "{}", "1.5", "-1", "\"x\"",
                                                      "[1,\"a\"]", "{\"k\":[]}", "4294967296", "\"\""};
        const std::size_t colon = text.find(':', at);
        if (colon == std::string::npos) break;
        std::size_t b = colon + 1;
        while (b < text.size() && (text[b] == ' ' || text[b] == '\n')) ++b;
        if (b >= text.size()) break;
        std::size_t e = b;
        if (text[b] == '"') {
          e = b + 1;
          while (e < text.size() && text[e] != '"') e += text[e] == '\\' ? std::size_t{2} : std::size_t{1};
          ++e;
        } else if (text[b] == '{' || text[b] == '[') {
          break;
        } else {
          while (e < text.size() && text[e] != ',' && text[e] != '}' && text[e] != ']') ++e;
        }
        if (e > text.size()) break;
        text.replace(b, e - b, values[rng.below(std::size(values))]);
        break;
      }
    }
  }
  return text;
}

}  // namespace

TEST_CASE("json: fuzzed samples never throw, and clean objects round trip", "[json]") {
  std::vector<std::string> seeds;
  for (const auto& name : sample_names()) {
    const std::string text = read_sample(name);
    seeds.push_back(text);
    seeds.push_back(nlohmann::ordered_json::parse(text).dump());  // compact: edits hit more structure
  }
  seeds.push_back(encode(world_slice()));
  seeds.push_back(encode(world_endpoints(20)));
  // The other forms and paths of the reader: watch events, kind last, lists without kinds,
  // v1beta1, unknown fields, escapes, bare arrays.
  seeds.push_back(R"({"type":"ADDED","object":{"metadata":{"name":"a","finalizers":["f"],"selfLink":"/x","x":1},"endpoints":[{"addresses":["fd00::1"],"hints":{"forNodes":[{"name":"n"}]},"u":[1.50,{"v":null}]}],"addressType":"IPv6","kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1"}}
{"object":{"kind":"Endpoints","metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"10.0.0.1","targetRef":{"kind":"Pod","name":"p\u003c\n"}}],"notReadyAddresses":[{"ip":"10.0.0.2"}],"ports":[{"port":80,"x":true}]}]},"type":"MODIFIED"})");
  seeds.push_back(R"({"kind":"EndpointSliceList","items":[{"metadata":{"name":"s"},"addressType":"FQDN","endpoints":[{"addresses":["a.example.com"],"conditions":{"ready":false}}],"ports":[{"name":"p","port":1,"protocol":"UDP","appProtocol":"x"}]}]}
[{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1beta1","metadata":{"creationTimestamp":null},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"nodeName":"n","topology":{"kubernetes.io/hostname":"n","topology.kubernetes.io/zone":"z","r":"1"}}],"ports":null},{"kind":"EndpointsList","items":[{"metadata":{},"subsets":[]}]}])");
  splitmix rng{20241127};
  std::size_t clean = 0, with_problems = 0, syntax = 0;
  for (int c = 0; c < fuzz_cases; ++c) {
    const std::string text = mutate(seeds[rng.below(seeds.size())], rng);
    decoded_document d;
    try {
      d = decode_document(text);
    } catch (...) {
      FAIL("decode_document threw on case " << c << ": " << text);
    }
    if (d.syntax_error) ++syntax;
    // The throwing decoders throw epslice::error and nothing else.
    try {
      (void)decode_endpoint_slice(text);
    } catch (const epslice::error&) {
    } catch (...) {
      FAIL("decode_endpoint_slice threw something else than epslice::error on case " << c);
    }
    try {
      (void)decode_endpoints(text);
    } catch (const epslice::error&) {
    } catch (...) {
      FAIL("decode_endpoints threw something else than epslice::error on case " << c);
    }
    for (const auto& ev : d.events) {
      const decoded_object& o = ev.object;
      if (!o.problems.empty()) {
        ++with_problems;
        continue;
      }
      // With the type fields it took from its list, an item reads back alone as it was.
      const std::string again = encode(o, encode_options{.inferred_type_fields = true});
      const decoded_document d2 = decode_document(again);
      // An object that is itself a List, kept whole as an item of another, reads back alone as a
      // list: not one object.
      if (d2.had_list) continue;
      ++clean;
      INFO("case " << c << ": " << again);
      REQUIRE_FALSE(d2.syntax_error);
      REQUIRE(d2.events.size() == 1);
      CHECK(d2.events[0].object.problems.empty());
      if (o.value.holds<raw_object>()) CHECK(d2.events[0].object.value.get<raw_object>().json == again);
      else CHECK(d2.events[0].object.value == o.value);
      if (const auto* r = o.value.get_if<raw_object>()) {
        // Views never leak nlohmann's exceptions either.
        for (auto f : {+[](const raw_object& x) { (void)decode_service(x); },
                       +[](const raw_object& x) { (void)decode_node(x); }}) {
          try {
            f(*r);
          } catch (const epslice::error&) {
          } catch (...) {
            FAIL("a view decoder threw something else than epslice::error on case " << c);
          }
        }
      }
    }
  }
  // The mutations reach every outcome.
  CHECK(clean > static_cast<std::size_t>(fuzz_cases) / 4);
  CHECK(with_problems > 0);
  CHECK(syntax > static_cast<std::size_t>(fuzz_cases) / 4);
}

// ---------------------------------------------------------------------------------------------
// nlohmann interoperability

TEST_CASE("json: to_json and from_json round trips", "[json]") {
  const endpoint_slice_v4 s = world_slice();
  nlohmann::json j = s;
  CHECK(j == nlohmann::json::parse(encode(s)));
  CHECK(j.get<endpoint_slice_v4>() == s);
  CHECK(std::get<endpoint_slice_v4>(j.get<any_endpoint_slice>()) == s);
  CHECK_THROWS_WITH(j.get<endpoint_slice_v6>(), "addressType: Invalid value: expected IPv6, got IPv4");

  const any_endpoint_slice a = decode_endpoint_slice(
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"f"},"addressType":"FQDN","endpoints":[{"addresses":["a.example"]}],"ports":[]})");
  nlohmann::json ja = a;
  CHECK(ja["addressType"] == "FQDN");
  CHECK(ja.get<any_endpoint_slice>() == a);

  const endpoints e = world_endpoints(3);
  nlohmann::json je = e;
  CHECK(je["subsets"][0]["addresses"].size() == 3);
  CHECK(je.get<endpoints>() == e);

  // Problems found while reading a value are thrown with their paths.
  nlohmann::json bad = ja;
  bad["endpoints"][0]["conditions"] = {{"ready", "yes"}};
  CHECK_THROWS_WITH(bad.get<any_endpoint_slice>(),
                    R"(endpoints[0].conditions.ready: Invalid value: "yes": must be a boolean, not a string)");
  CHECK_THROWS_AS(nlohmann::json::parse("[1,2]").get<endpoints>(), epslice::error);

  // The DOM path decodes exactly as the text path does.
  for (const auto& name : sample_names()) {
    INFO(name);
    const std::string text = read_sample(name);
    const decoded_document from_text = decode_document(text);
    const decoded_document from_dom = decode_document(nlohmann::json::parse(text));
    REQUIRE(from_dom.events.size() == from_text.events.size());
    for (std::size_t i = 0; i < from_dom.events.size(); ++i) {
      // nlohmann::json sorts keys, so raw objects differ in key order only.
      if (from_text.events[i].object.value.holds<raw_object>())
        CHECK(nlohmann::json::parse(from_dom.events[i].object.value.get<raw_object>().json) ==
              nlohmann::json::parse(from_text.events[i].object.value.get<raw_object>().json));
      else
        CHECK(from_dom.events[i].object.value == from_text.events[i].object.value);
    }
  }
}

TEST_CASE("json: Lists and kubectl's indentation", "[json]") {
  std::vector<endpoints> items(2);
  items[0].metadata.name = "a";
  items[1].metadata.name = "b";
  CHECK(encode_list(items) == R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[)" +
                                  encode(items[0]) + "," + encode(items[1]) + "]}");
  list_header h;
  h.kind = "EndpointsList";
  h.metadata.resource_version = "42\"";
  CHECK(encode_list(std::vector<endpoints>{}, &h) ==
        R"({"apiVersion":"v1","kind":"EndpointsList","metadata":{"resourceVersion":"42\""},"items":[]})");
  // A List of decoded objects reads back as the same objects.
  const auto doc = decode_document(R"({"kind":"Thing","x":[1,{}]} {"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","addressType":"IPv4","endpoints":[]})");
  std::vector<decoded_object> objects;
  for (const auto& e : doc.events) objects.push_back(e.object);
  const auto back = decode_document(encode_list(objects));
  REQUIRE(back.events.size() == 2);
  CHECK(back.events[0].object.value == objects[0].value);
  CHECK(back.events[1].object.value == objects[1].value);

  // kubectl's 4-space form; `{}` and `[]` on one line; strings untouched, escapes included.
  CHECK(indent_json(R"({"a":[1,{}],"b":{"c":"x,y:{\"}"},"d":[]})") ==
        "{\n    \"a\": [\n        1,\n        {}\n    ],\n    \"b\": {\n        \"c\": \"x,y:{\\\"}\"\n    },\n    \"d\": []\n}");
  // Fed in pieces split anywhere (inside a string, after a backslash), the same text.
  const std::string text = R"({"k":"a\\\"b","l":[{"m":null}]})";
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    json_indenter in;
    std::string out;
    in.append(std::string_view(text).substr(0, cut), out);
    in.append(std::string_view(text).substr(cut), out);
    CHECK(out == indent_json(text));
  }
  // Indentation stops growing at 32 levels: linear output however deep.
  const std::string deep = std::string(100, '[') + "1" + std::string(100, ']');
  const std::string indented = indent_json(deep);
  CHECK(indented.find(std::string(32 * 4 + 1, ' ')) == std::string::npos);
  CHECK(indented.find("\n" + std::string(32 * 4, ' ') + "1\n") != std::string::npos);
}
