// SPDX-License-Identifier: Apache-2.0
// Tests of validation.hpp: upstream's EndpointSlice validation vectors, Endpoints rules, metadata.
#include <catch2/catch.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "epslice/validation.hpp"

using namespace epslice;

namespace {

object_meta std_meta() {
  object_meta m;
  m.name = "hello";
  m.namespace_ = "world";
  return m;
}

endpoint_port port(std::string name, std::optional<std::string> protocol = std::string("TCP")) {
  endpoint_port p;
  p.name = std::move(name);
  p.protocol = std::move(protocol);
  return p;
}

// n addresses 10.1.2.<i>, as upstream's generateIPAddresses.
std::vector<std::string> addr(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("10.1.2." + std::to_string(i % 256));
  return out;
}

template <class F>
basic_endpoint<F> endpoint_of(const std::vector<std::string>& texts) {
  basic_endpoint<F> e;
  e.addresses.set_empty_not_nil();
  for (const auto& t : texts) {
    auto a = F::parse(t);
    REQUIRE(a.has_value());
    e.addresses.push_back(*a);
  }
  return e;
}

template <class F>
basic_endpoint_slice<F> slice_of(std::vector<basic_endpoint<F>> endpoints, std::vector<endpoint_port> ports) {
  basic_endpoint_slice<F> s;
  s.metadata = std_meta();
  s.endpoints = std::move(endpoints);
  s.endpoints.set_empty_not_nil();
  s.ports = std::move(ports);
  s.ports.set_empty_not_nil();
  return s;
}

// The upstream fixture: IPv4, port http/TCP, one endpoint with one address and a hostname.
endpoint_slice_v4 good_v4() {
  auto e = endpoint_of<ipv4>(addr(1));
  e.hostname = "valid-123";
  return slice_of<ipv4>({e}, {port("http")});
}

// A raw slice: address type and addresses kept as text.
endpoint_slice_raw raw_of(std::optional<std::string> type, std::vector<std::vector<std::string>> endpoints) {
  endpoint_slice_raw s;
  s.metadata = std_meta();
  s.address_type = std::move(type);
  s.endpoints.set_empty_not_nil();
  for (auto& texts : endpoints) {
    endpoint_raw e;
    e.addresses.set_empty_not_nil();
    for (auto& t : texts) e.addresses.push_back(std::move(t));
    s.endpoints.push_back(std::move(e));
  }
  s.ports = std::vector<endpoint_port>{port("http")};
  return s;
}

std::vector<std::string> messages(const field_errors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.message());
  return out;
}

struct count_case {
  std::string name;
  any_endpoint_slice slice;
  std::size_t want;
};

// Every count case is also checked through the raw form of the slice: a typed slice and its
// raw text must get the same errors.
void check_counts(const std::vector<count_case>& cases) {
  for (const auto& c : cases) {
    INFO(c.name);
    const field_errors got = validate(c.slice);
    INFO(Catch::Detail::stringify(messages(got)));
    CHECK(got.size() == c.want);
    const endpoint_slice_raw as_raw = std::visit([](const auto& s) { return to_raw(s); }, c.slice);
    CHECK(validate(as_raw) == got);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TestValidateEndpointSlice (pkg/apis/discovery/validation/validation_test.go)

TEST_CASE("validation: upstream TestValidateEndpointSlice valid cases", "[validation]") {
  std::vector<count_case> cases;
  cases.push_back({"good-slice", good_v4(), 0});
  cases.push_back({"good-ipv6", slice_of<ipv6>({endpoint_of<ipv6>({"a00:100::4"})}, {port("http")}), 0});
  cases.push_back({"good-fqdns",
                   slice_of<fqdn>({endpoint_of<fqdn>({"foo.example.com", "example.com", "example.com.",
                                                      "hyphens-are-good.example.com"})},
                                  {port("http")}),
                   0});
  cases.push_back({"all-protocols",
                   slice_of<ipv4>({endpoint_of<ipv4>(addr(1))},
                                  {port("tcp", "TCP"), port("udp", "UDP"), port("sctp", "SCTP")}),
                   0});
  {
    std::vector<endpoint_port> ports;
    for (const char* ap : {"HTTP", "https", "my-protocol", "example.com/custom-protocol"}) {
      ports.push_back(port(std::string("p-") + std::to_string(ports.size())));
      ports.back().app_protocol = ap;
    }
    cases.push_back({"app-protocols", slice_of<ipv4>({endpoint_of<ipv4>(addr(1))}, ports), 0});
  }
  cases.push_back({"empty-port-name", slice_of<ipv4>({endpoint_of<ipv4>(addr(1))}, {port(""), port("http")}), 0});
  cases.push_back({"long-port-name", slice_of<ipv4>({endpoint_of<ipv4>(addr(1))}, {port(std::string(63, 'a'))}), 0});
  cases.push_back({"empty-ports-and-endpoints", slice_of<ipv4>({}, {}), 0});
  {
    std::vector<endpoint_v4> eps(1000, endpoint_of<ipv4>(addr(1)));
    cases.push_back({"max-endpoints", slice_of<ipv4>(eps, {port("http")}), 0});
  }
  {
    std::vector<endpoint_port> ports;
    for (int i = 0; i < 20000; ++i) ports.push_back(port("http-" + std::to_string(i)));
    cases.push_back({"max-ports", slice_of<ipv4>({endpoint_of<ipv4>(addr(1))}, ports), 0});
  }
  cases.push_back({"max-addresses", slice_of<ipv4>({endpoint_of<ipv4>(addr(100))}, {port("http")}), 0});
  {
    auto e = endpoint_of<ipv4>(addr(1));
    for (int i = 0; i < 16; ++i) e.deprecated_topology["key-" + std::to_string(i)] = "value";
    cases.push_back({"max-topology-keys", slice_of<ipv4>({e}, {port("http")}), 0});
  }
  {
    auto e = endpoint_of<ipv4>(addr(1));
    e.hints = endpoint_hints{{{"zone-a"}}, {}, {}};
    cases.push_back({"valid-hints", slice_of<ipv4>({e}, {port("http")}), 0});
  }
  check_counts(cases);
}

TEST_CASE("validation: upstream TestValidateEndpointSlice invalid cases", "[validation]") {
  std::vector<count_case> cases;
  const auto one_ep = [] { return endpoint_of<ipv4>(addr(1)); };
  cases.push_back({"duplicate-port-name", slice_of<ipv4>({one_ep()}, {port(""), port("")}), 1});
  cases.push_back({"bad-port-name-caps", slice_of<ipv4>({one_ep()}, {port("aCapital")}), 1});
  cases.push_back({"bad-port-name-chars", slice_of<ipv4>({one_ep()}, {port("almost_valid")}), 1});
  cases.push_back({"bad-port-name-length", slice_of<ipv4>({one_ep()}, {port(std::string(64, 'a'))}), 1});
  cases.push_back({"invalid-port-protocol", slice_of<ipv4>({one_ep()}, {port("http", "foo")}), 1});
  {
    std::vector<endpoint_port> ports;
    for (int i = 0; i < 20001; ++i) ports.push_back(port("http-" + std::to_string(i)));
    cases.push_back({"too-many-ports", slice_of<ipv4>({one_ep()}, ports), 1});
  }
  {
    std::vector<endpoint_v4> eps(1001, one_ep());
    cases.push_back({"too-many-endpoints", slice_of<ipv4>(eps, {port("http")}), 1});
  }
  cases.push_back({"no-endpoint-addresses", slice_of<ipv4>({endpoint_of<ipv4>({})}, {port("http")}), 1});
  cases.push_back({"too-many-addresses", slice_of<ipv4>({endpoint_of<ipv4>(addr(101))}, {port("http")}), 1});
  {
    auto e = one_ep();
    e.deprecated_topology["--INVALID"] = "example";
    cases.push_back({"bad-topology-key", slice_of<ipv4>({e}, {port("http")}), 1});
  }
  {
    auto e = one_ep();
    for (int i = 0; i < 17; ++i) e.deprecated_topology["key-" + std::to_string(i)] = "value";
    cases.push_back({"too-many-topology-keys", slice_of<ipv4>({e}, {port("http")}), 1});
  }
  {
    auto e = one_ep();
    e.hostname = "--INVALID";
    cases.push_back({"bad-hostname", slice_of<ipv4>({e}, {port("http")}), 1});
  }
  {
    auto s = good_v4();
    s.metadata.name = "*&^";
    cases.push_back({"bad-meta", s, 1});
  }
  cases.push_back({"bad-ip", raw_of("IPv4", {{"123.456.789.012"}}), 1});
  cases.push_back({"bad-ipv4", raw_of("IPv4", {{"123.456.789.012", "2001:4860:4860::8888"}}), 2});
  cases.push_back({"bad-ipv6", raw_of("IPv6", {{"123.456.789.012", "2001:4860:4860:defg"}}), 2});
  {
    basic_endpoint<fqdn> e;
    e.addresses.set_empty_not_nil();
    for (const char* name : {"foo.*", "FOO.example.com", "underscores_are_bad.example.com", "*.example.com"})
      e.addresses.push_back(name);
    cases.push_back({"bad-fqdns", slice_of<fqdn>({e}, {port("http")}), 4});
  }
  {
    auto p = port("http");
    p.app_protocol = "--";
    cases.push_back({"bad-app-protocol", slice_of<ipv4>({one_ep()}, {p}), 1});
  }
  {
    auto e = one_ep();
    e.hints = endpoint_hints{{{"inv@lid"}}, {}, {}};
    cases.push_back({"invalid-hints", slice_of<ipv4>({e}, {port("http")}), 1});
  }
  {
    auto e = one_ep();
    e.hints = endpoint_hints{{{"zone-a"}, {"zone-b"}, {"zone-a"}}, {}, {}};
    cases.push_back({"overlapping-hints", slice_of<ipv4>({e}, {port("http")}), 1});
  }
  {
    auto e = one_ep();
    e.hints.emplace();
    for (int i = 0; i < 9; ++i) e.hints->for_zones.push_back({"zone-" + std::to_string(i)});
    cases.push_back({"too-many-hints", slice_of<ipv4>({e}, {port("http")}), 1});
  }
  cases.push_back({"empty-everything", endpoint_slice_raw{}, 3});
  {
    auto e = one_ep();
    e.deprecated_topology[std::string(well_known::zone_label)] = "zone1";
    cases.push_back({"zone-key-topology", slice_of<ipv4>({e}, {port("http")}), 1});
  }
  cases.push_back({"special-ipv4", slice_of<ipv4>({endpoint_of<ipv4>({"127.0.0.1"})}, {port("http")}), 1});
  cases.push_back(
      {"special-ipv6", slice_of<ipv6>({endpoint_of<ipv6>({"fe80::9656:d028:8652:66b6"})}, {port("http")}), 1});
  check_counts(cases);
}

// ---------------------------------------------------------------------------------------------
// TestValidateEndpointSliceCreate (pkg/apis/discovery/validation/validation_test.go)

TEST_CASE("validation: upstream TestValidateEndpointSliceCreate", "[validation]") {
  std::vector<count_case> cases;
  cases.push_back({"good-slice", good_v4(), 0});
  {
    auto s = good_v4();
    s.endpoints[0].node_name = "valid-node-name";
    cases.push_back({"good-slice-node-name", s, 0});
  }
  {
    auto s = good_v4();
    s.endpoints[0].node_name = "INvalid-node-name";
    cases.push_back({"bad-node-name", s, 1});
  }
  cases.push_back({"deprecated-address-type", raw_of("IP", {{"10.1.2.3"}}), 1});
  cases.push_back({"bad-address-type", raw_of("other", {{"10.1.2.3"}}), 1});
  check_counts(cases);
}

// ---------------------------------------------------------------------------------------------
// TestValidateEndpointSliceUpdate (pkg/apis/discovery/validation/validation_test.go)

TEST_CASE("validation: upstream TestValidateEndpointSliceUpdate", "[validation]") {
  struct update_case {
    std::string name;
    any_endpoint_slice old_slice;
    any_endpoint_slice new_slice;
    std::size_t want;
  };
  std::vector<update_case> cases;
  {
    auto s = slice_of<ipv6>({endpoint_of<ipv6>({"a00:100::4"})}, {port("http")});
    cases.push_back({"valid and identical (IPv6)", s, s, 0});
  }
  {
    auto old_slice = slice_of<ipv4>({endpoint_of<ipv4>({"10.1.2.3"})}, {port("http")});
    auto new_slice = old_slice;
    new_slice.endpoints[0].node_name = "INVALID foo";
    cases.push_back({"invalid node name set", old_slice, new_slice, 1});
  }
  {
    auto s = raw_of("IP", {{"10.1.2.3"}});
    cases.push_back({"deprecated address type", s, s, 1});
  }
  cases.push_back({"address type changed",
                   raw_of("other", {{"10.1.2.3"}}),
                   slice_of<ipv4>({endpoint_of<ipv4>({"10.1.2.3"})}, {port("http")}), 1});
  {
    auto old_slice = slice_of<ipv4>({endpoint_of<ipv4>({"10.1.2.3"})}, {port("http")});
    auto new_slice = old_slice;
    new_slice.ports[0].protocol = "invalid";
    cases.push_back({"invalid protocol", old_slice, new_slice, 1});
  }
  for (const auto& c : cases) {
    INFO(c.name);
    const field_errors got = validate_update(c.old_slice, c.new_slice);
    INFO(Catch::Detail::stringify(messages(got)));
    CHECK(got.size() == c.want);
  }
}

TEST_CASE("validation: addressType is immutable on update", "[validation]") {
  const any_endpoint_slice v4 = slice_of<ipv4>({endpoint_of<ipv4>({"10.1.2.3"})}, {port("http")});
  const any_endpoint_slice v6 = slice_of<ipv6>({endpoint_of<ipv6>({"2001:db8::1"})}, {port("http")});
  const field_errors got = validate_update(v4, v6);
  REQUIRE(got.size() == 1);
  CHECK(got[0].path == "addressType");
  CHECK(got[0].type == error_type::invalid);
  CHECK(got[0].message() == R"(addressType: Invalid value: "IPv6": may not be changed after creation (was "IPv4"))");
  // An absent type and an empty one are the same value.
  CHECK(validate_update(raw_of(std::nullopt, {}), raw_of("", {})).size() == 1);  // only Required
  CHECK(validate_update(v4, to_raw(std::get<endpoint_slice_v4>(v4))).empty());
}

// ---------------------------------------------------------------------------------------------
// Paths, types, values and whole messages

TEST_CASE("validation: messages of representative slice errors", "[validation]") {
  SECTION("empty object") {
    const auto got = validate(endpoint_slice_raw{});
    CHECK(messages(got) == std::vector<std::string>{
                               "metadata.name: Required value: either name or generateName must be set",
                               "metadata.namespace: Required value: the object must name its namespace",
                               "addressType: Required value: must be IPv4, IPv6 or FQDN",
                           });
  }
  SECTION("unparseable and special IPv4 addresses") {
    const auto got = validate(raw_of("IPv4", {{"10.0.0.1"}, {"10.0.0.2", "123.456.789.012", "169.254.1.1"}}));
    CHECK(messages(got) == std::vector<std::string>{
                               R"(endpoints[1].addresses[1]: Invalid value: "123.456.789.012": must be a valid IPv4 address)",
                               R"(endpoints[1].addresses[2]: Invalid value: "169.254.1.1": must not be a link-local address)",
                           });
  }
  SECTION("every special range, typed IPv4 and IPv6") {
    const std::vector<std::pair<std::string, std::string>> v4 = {
        {"0.0.0.0", "must not be the unspecified address"},
        {"127.0.0.1", "must not be a loopback address"},
        {"127.255.0.9", "must not be a loopback address"},
        {"169.254.169.254", "must not be a link-local address"},
        {"224.0.0.251", "must not be a link-local multicast address"},
    };
    for (const auto& [text, words] : v4) {
      INFO(text);
      const auto got = validate(slice_of<ipv4>({endpoint_of<ipv4>({text})}, {}));
      REQUIRE(got.size() == 1);
      CHECK(got[0].path == "endpoints[0].addresses[0]");
      CHECK(got[0].type == error_type::invalid);
      CHECK(got[0].value == quote_value(text));
      CHECK(got[0].detail == words);
    }
    const std::vector<std::pair<std::string, std::string>> v6 = {
        {"::", "must not be the unspecified address"},
        {"::1", "must not be a loopback address"},
        {"fe80::1", "must not be a link-local address"},
        {"febf::1", "must not be a link-local address"},
        {"ff02::fb", "must not be a link-local multicast address"},
    };
    for (const auto& [text, words] : v6) {
      INFO(text);
      const auto got = validate(slice_of<ipv6>({endpoint_of<ipv6>({text})}, {}));
      REQUIRE(got.size() == 1);
      CHECK(got[0].detail == words);
    }
    // Global multicast and ordinary unicast are accepted, as upstream does.
    CHECK(validate(slice_of<ipv4>({endpoint_of<ipv4>({"239.1.2.3", "224.0.1.1", "1.1.1.1"})}, {})).empty());
    CHECK(validate(slice_of<ipv6>({endpoint_of<ipv6>({"ff05::1", "2001:db8::1", "fec0::1"})}, {})).empty());
  }
  SECTION("too many endpoints stops endpoint validation") {
    std::vector<endpoint_raw> eps(1001);  // each with no address: would be 1001 Required errors
    auto s = raw_of("IPv4", {});
    s.endpoints = eps;
    const auto got = validate(s);
    CHECK(messages(got) == std::vector<std::string>{"endpoints: Too many: 1001: must have at most 1000 items"});
    CHECK(got[0].type == error_type::too_many);
    CHECK(got[0].value == "1001");
  }
  SECTION("too many ports stops port validation") {
    std::vector<endpoint_port> ports(20001, port("BAD", "foo"));
    const auto got = validate(slice_of<ipv4>({}, ports));
    CHECK(messages(got) == std::vector<std::string>{"ports: Too many: 20001: must have at most 20000 items"});
    ports.pop_back();
    CHECK(validate(slice_of<ipv4>({}, ports)).size() == 3 * 20000 - 1);  // name, protocol; duplicates
  }
  SECTION("port errors") {
    auto with_app = port("http");
    with_app.app_protocol = "a/b/c";
    const auto got = validate(slice_of<ipv4>({}, {port("http"), port("http", "foo"), port("Http", std::nullopt), with_app}));
    CHECK(messages(got) ==
          std::vector<std::string>{
              R"(ports[1].name: Duplicate value: "http": port names must be unique within the slice (one port may have an empty name))",
              R"(ports[1].protocol: Unsupported value: "foo": supported values: "SCTP", "TCP", "UDP")",
              R"(ports[2].name: Invalid value: "Http": must consist of lowercase letters, digits and '-', and start and end with a letter or digit (e.g. 'my-name' or '123-abc'))",
              "ports[2].protocol: Required value: must be TCP, UDP or SCTP",
              R"(ports[3].name: Duplicate value: "http": port names must be unique within the slice (one port may have an empty name))",
              R"(ports[3].appProtocol: Invalid value: "a/b/c": must be a name of at most 63 characters that must consist of letters, digits, '-', '_' and '.', and start and end with a letter or digit (e.g. 'MyName', 'my.name' or '123-abc'), with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName'))",
          });
  }
  SECTION("absent port names default to the empty name") {
    endpoint_port unnamed;
    unnamed.protocol = "UDP";
    const auto got = validate(slice_of<ipv4>({}, {unnamed, port("")}));
    REQUIRE(got.size() == 1);
    CHECK(got[0].path == "ports[1].name");
    CHECK(got[0].type == error_type::duplicate);
    CHECK(got[0].value == R"("")");
  }
  SECTION("hints") {
    auto e = endpoint_of<ipv4>(addr(1));
    e.hints = endpoint_hints{{{"a"}, {"b"}, {"a"}, {"-x"}}, {{"node-1"}, {"Node_2"}}, {}};
    const auto got = validate(slice_of<ipv4>({e}, {}));
    REQUIRE(got.size() == 3);
    CHECK(got[0].path == "endpoints[0].hints.forZones[2].name");
    CHECK(got[0].type == error_type::duplicate);
    CHECK(got[0].value == R"("a")");
    CHECK(got[1].path == "endpoints[0].hints.forZones[3].name");
    CHECK(got[1].type == error_type::invalid);
    CHECK(got[2].path == "endpoints[0].hints.forNodes[1].name");
    CHECK(got[2].type == error_type::invalid);
    e.hints->for_zones.clear();
    for (int i = 0; i < 9; ++i) e.hints->for_nodes.push_back({"node-" + std::to_string(i)});
    const auto nodes = validate(slice_of<ipv4>({e}, {}));
    CHECK(messages(nodes) == std::vector<std::string>{"endpoints[0].hints.forNodes: Too many: 11: must have at most 8 items"});
    e.hints->for_nodes.resize(8);
    CHECK(validate(slice_of<ipv4>({e}, {})).size() == 1);  // Node_2 only
  }
  SECTION("deprecatedTopology with the zone key") {
    auto e = endpoint_of<ipv4>(addr(1));
    e.deprecated_topology[std::string(well_known::zone_label)] = "zone-a";
    e.deprecated_topology["example.com/rack"] = "r1";
    const auto got = validate(slice_of<ipv4>({e}, {}));
    REQUIRE(got.size() == 1);
    CHECK(got[0].type == error_type::internal);
    CHECK(got[0].path == "endpoints[0].deprecatedTopology[topology.kubernetes.io/zone]");
    CHECK(got[0].message() ==
          "endpoints[0].deprecatedTopology[topology.kubernetes.io/zone]: Internal error: the zone key is "
          "reserved: conversion to v1 should have moved it to the zone field");
  }
  SECTION("deprecatedTopology limits and labels") {
    auto e = endpoint_of<ipv4>(addr(1));
    for (int i = 0; i < 17; ++i) e.deprecated_topology["k" + std::to_string(i)] = "v";
    e.deprecated_topology["k0"] = "-bad";
    const auto got = validate(slice_of<ipv4>({e}, {}));
    REQUIRE(got.size() == 2);
    CHECK(got[0].message() == "endpoints[0].deprecatedTopology: Too many: 17: must have at most 16 items");
    CHECK(got[1].path == "endpoints[0].deprecatedTopology");
    CHECK(got[1].value == R"("-bad")");
  }
  SECTION("address count and hostname and nodeName") {
    auto e = endpoint_of<ipv4>(addr(101));
    e.hostname = "a.b";
    e.node_name = "";
    auto none = endpoint_of<ipv4>({});
    const auto got = validate(slice_of<ipv4>({e, none}, {}));
    CHECK(messages(got) == std::vector<std::string>{
                               "endpoints[0].addresses: Too many: 101: must have at most 100 items",
                               R"(endpoints[0].nodeName: Invalid value: "": must consist of lowercase letters, digits, '-' and '.', and start and end with a letter or digit (e.g. 'example.com'))",
                               R"(endpoints[0].hostname: Invalid value: "a.b": must not contain dots)",
                               "endpoints[1].addresses: Required value: must contain at least 1 address",
                           });
  }
}

// ---------------------------------------------------------------------------------------------
// Raw slices

TEST_CASE("validation: raw slice address types", "[validation]") {
  SECTION("missing or empty addressType is Required, addresses unchecked") {
    for (auto type : {std::optional<std::string>{}, std::optional<std::string>{""}}) {
      const auto got = validate(raw_of(type, {{"not an address"}}));
      REQUIRE(got.size() == 1);
      CHECK(got[0].path == "addressType");
      CHECK(got[0].type == error_type::required);
    }
  }
  SECTION("legacy IP and unknown types are NotSupported, addresses unchecked") {
    for (const char* type : {"IP", "ipv4", "other"}) {
      INFO(type);
      const auto got = validate(raw_of(type, {{"not an address", "127.0.0.1"}}));
      REQUIRE(got.size() == 1);
      CHECK(got[0].message() == std::string("addressType: Unsupported value: \"") + type +
                                    R"(": supported values: "FQDN", "IPv4", "IPv6")");
      CHECK(got[0].type == error_type::not_supported);
    }
  }
  SECTION("addresses are checked by the address type text") {
    struct address_case {
      std::string type;
      std::string address;
      std::string detail;  // empty: valid
    };
    const std::vector<address_case> cases = {
        {"IPv4", "10.1.2.3", ""},
        {"IPv4", "010.1.2.3", "must be a valid IPv4 address (leading zeros are ambiguous and not accepted)"},
        {"IPv4", "10.1.2.03", "must be a valid IPv4 address (leading zeros are ambiguous and not accepted)"},
        {"IPv4", "10.1.2", "must be a valid IPv4 address"},
        {"IPv4", "", "must be a valid IPv4 address"},
        {"IPv4", " 10.1.2.3", "must be a valid IPv4 address"},
        {"IPv4", "::ffff:10.1.2.3", "must be a valid IPv4 address"},
        {"IPv4", "2001:db8::1", "must be a valid IPv4 address"},
        {"IPv4", "0.0.0.0", "must not be the unspecified address"},
        {"IPv6", "2001:db8::1", ""},
        {"IPv6", "2001:DB8:0:0:0:0:0:1", ""},  // parses; canonical form is not required
        {"IPv6", "10.1.2.3", "must be a valid IPv6 address"},
        {"IPv6", "::ffff:10.1.2.3", "must be a valid IPv6 address (an IPv4-mapped address belongs in an IPv4 slice)"},
        {"IPv6", "::ffff:127.0.0.1", "must be a valid IPv6 address (an IPv4-mapped address belongs in an IPv4 slice)"},
        {"IPv6", "fe80::1%eth0", "must be a valid IPv6 address"},
        {"IPv6", "::1", "must not be a loopback address"},
        {"FQDN", "example.com", ""},
        {"FQDN", "a.b.c.example.com.", ""},
        {"FQDN", "localhost",
         "must be a fully qualified domain name with at least two labels separated by dots"},
        {"FQDN", "localhost.",
         "must be a fully qualified domain name with at least two labels separated by dots"},
        {"FQDN", ".", "must be a fully qualified domain name: lowercase letters, digits, '-' and '.', each label starting and ending with a letter or digit (e.g. 'example.com')"},
        {"FQDN", "example..com", "must be a fully qualified domain name: lowercase letters, digits, '-' and '.', each label starting and ending with a letter or digit (e.g. 'example.com')"},
        {"FQDN", std::string(63, 'a') + ".com", ""},
        {"FQDN", std::string(64, 'a') + ".com",
         "must be a fully qualified domain name whose labels have no more than 63 characters"},
        {"FQDN", "10.1.2.3", ""},  // four numeric labels form a valid name, as upstream accepts
    };
    for (const auto& c : cases) {
      INFO(c.type << " " << c.address);
      const auto got = validate(raw_of(c.type, {{"" + c.address}}));
      if (c.detail.empty()) {
        CHECK(got.empty());
      } else {
        REQUIRE(got.size() == 1);
        CHECK(got[0].path == "endpoints[0].addresses[0]");
        CHECK(got[0].type == error_type::invalid);
        CHECK(got[0].value == quote_value(c.address));
        CHECK(got[0].detail == c.detail);
      }
    }
  }
  SECTION("an empty FQDN address is Required") {
    const auto got = validate(raw_of("FQDN", {{""}}));
    REQUIRE(got.size() == 1);
    CHECK(got[0].type == error_type::required);
    CHECK(got[0].path == "endpoints[0].addresses[0]");
  }
  SECTION("typed IPv6 slices refuse IPv4-mapped addresses") {
    const auto got = validate(slice_of<ipv6>({endpoint_of<ipv6>({"2001:db8::2", "::ffff:10.1.2.3"})}, {}));
    REQUIRE(got.size() == 1);
    CHECK(got[0].message() ==
          R"(endpoints[0].addresses[1]: Invalid value: "::ffff:10.1.2.3": must be a valid IPv6 address (an IPv4-mapped address belongs in an IPv4 slice))");
  }
}

// ---------------------------------------------------------------------------------------------
// Metadata

TEST_CASE("validation: metadata name, generateName and namespace", "[validation]") {
  struct meta_case {
    std::string name;
    std::string generate_name;
    std::string namespace_;
    std::vector<std::string> want_paths;
  };
  const std::vector<meta_case> cases = {
      {"hello", "", "world", {}},
      {"a.b-c.d", "", "world", {}},
      {"", "hello-", "world", {}},
      {"", "hello", "world", {}},
      {"hello-x1", "hello-", "world", {}},
      {"", "", "world", {"metadata.name"}},
      {"", "Hello-", "world", {"metadata.generateName"}},
      {"", "-", "world", {"metadata.generateName"}},
      {"", "hello--", "world", {}},  // only the last '-' is masked: "hello-a"
      {"", "hello_-", "world", {"metadata.generateName"}},
      {"hello-", "", "world", {"metadata.name"}},
      {"Hello", "", "world", {"metadata.name"}},
      {std::string(253, 'a'), "", "world", {}},
      {std::string(254, 'a'), "", "world", {"metadata.name"}},
      {std::string(254, 'A'), "", "world", {"metadata.name", "metadata.name"}},  // length and format
      {"hello", "", "", {"metadata.namespace"}},
      {"hello", "", "a.b", {"metadata.namespace"}},
      {"hello", "", std::string(64, 'a'), {"metadata.namespace"}},
      {"hello", "", std::string(64, 'A'), {"metadata.namespace", "metadata.namespace"}},
      {"", "", "", {"metadata.name", "metadata.namespace"}},
  };
  for (const auto& c : cases) {
    INFO("name=" << c.name << " generateName=" << c.generate_name << " namespace=" << c.namespace_);
    auto s = slice_of<ipv4>({}, {});
    s.metadata.name = c.name;
    s.metadata.generate_name = c.generate_name;
    s.metadata.namespace_ = c.namespace_;
    std::vector<std::string> paths;
    for (const auto& e : validate(s)) paths.push_back(e.path);
    CHECK(paths == c.want_paths);
  }
  auto s = slice_of<ipv4>({}, {});
  s.metadata.namespace_ = "a.b";
  CHECK(messages(validate(s)) ==
        std::vector<std::string>{R"(metadata.namespace: Invalid value: "a.b": must not contain dots)"});
  s.metadata.namespace_ = "world";
  s.metadata.name = "Bad";
  CHECK(messages(validate(s)) ==
        std::vector<std::string>{
            R"(metadata.name: Invalid value: "Bad": must consist of lowercase letters, digits, '-' and '.', and start and end with a letter or digit (e.g. 'example.com'))"});
  s.metadata.name = "ok";
  s.metadata.generation = -1;
  CHECK(messages(validate(s)) ==
        std::vector<std::string>{"metadata.generation: Invalid value: -1: must be greater than or equal to 0"});
}

TEST_CASE("validation: metadata labels", "[validation]") {
  struct label_case {
    std::string key;
    std::string value;
    std::size_t want;
  };
  const std::vector<label_case> cases = {
      {"app", "web", 0},
      {"kubernetes.io/service-name", "svc", 0},
      {"Example_Key.v1", "", 0},
      {"a", std::string(63, 'x'), 0},
      {std::string(63, 'k'), "v", 0},
      {std::string(253, 'p') + "/" + std::string(63, 'n'), "v", 0},
      {std::string(254, 'p') + "/name", "v", 1},
      {"Example.com/name", "v", 1},
      {"/name", "v", 1},
      {"example.com/", "v", 2},  // empty name part, and it does not match the name format
      {"", "v", 2},
      {"a/b/c", "v", 1},
      {std::string(64, 'k'), "v", 1},
      {"-key", "v", 1},
      {"key", std::string(64, 'x'), 1},
      {"key", std::string(64, '-'), 2},
      {"key", "-v", 1},
      {"key", "v_", 1},
      {"key", "a b", 1},
      {"--INVALID", "--", 2},
  };
  for (const auto& c : cases) {
    INFO(c.key << "=" << c.value);
    auto s = slice_of<ipv4>({}, {});
    s.metadata.labels[c.key] = c.value;
    const auto got = validate(s);
    CHECK(got.size() == c.want);
    for (const auto& e : got) {
      CHECK(e.path == "metadata.labels");
      CHECK(e.type == error_type::invalid);
    }
    CHECK(is_qualified_name(c.key) == detail::qualified_name_problems(c.key).empty());
    CHECK(is_label_value(c.value) == detail::label_value_problems(c.value).empty());
  }
  auto s = slice_of<ipv4>({}, {});
  s.metadata.labels["bad key"] = "bad value";
  const auto got = validate(s);
  REQUIRE(got.size() == 2);
  CHECK(got[0].value == R"("bad key")");
  CHECK(got[1].value == R"("bad value")");
  CHECK(got[1].message() ==
        R"(metadata.labels: Invalid value: "bad value": must be empty or consist of letters, digits, '-', '_' and '.', and start and end with a letter or digit (e.g. 'MyValue', 'my_value' or '12345'))");
}

TEST_CASE("validation: metadata annotations", "[validation]") {
  auto s = slice_of<ipv4>({}, {});
  s.metadata.annotations["Example.COM/Key"] = "any value at all, even with spaces";
  s.metadata.annotations[std::string(well_known::trigger_time_annotation)] = "2024-01-01T00:00:00Z";
  CHECK(validate(s).empty());
  CHECK(is_annotation_key("Example.COM/Key"));
  CHECK_FALSE(is_qualified_name("Example.COM/Key"));

  s.metadata.annotations["bad key"] = "";
  auto got = validate(s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].path == "metadata.annotations");
  CHECK(got[0].value == R"("bad key")");
  s.metadata.annotations.erase("bad key");

  // 256 KiB of keys and values together is the limit.
  s.metadata.annotations.clear();
  const std::string key = "big";
  s.metadata.annotations[key] = std::string(validation_limits::max_annotations_bytes - key.size(), 'x');
  CHECK(validate(s).empty());
  s.metadata.annotations[key] += 'x';
  got = validate(s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].type == error_type::too_long);
  CHECK(got[0].path == "metadata.annotations");
  CHECK(got[0].message() ==
        "metadata.annotations: Too long: keys and values together must have at most 262144 bytes (they have 262145)");
}

TEST_CASE("validation: metadata owner references", "[validation]") {
  owner_reference ref;
  ref.api_version = "v1";
  ref.kind = "Service";
  ref.name = "svc";
  ref.uid = "u-1";
  ref.controller = true;
  auto s = slice_of<ipv4>({}, {});
  s.metadata.owner_references = {ref};
  CHECK(validate(s).empty());

  auto second = ref;
  second.name = "other";
  s.metadata.owner_references = {ref, second};
  auto got = validate(s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].path == "metadata.ownerReferences");

  second.controller = false;
  second.api_version = "apps/v1/extra";
  second.kind.clear();
  second.uid.clear();
  second.name.clear();
  s.metadata.owner_references = {ref, second};
  std::vector<std::string> paths;
  for (const auto& e : validate(s)) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"metadata.ownerReferences.apiVersion", "metadata.ownerReferences.kind",
                                          "metadata.ownerReferences.name", "metadata.ownerReferences.uid"});

  auto event = ref;
  event.kind = "Event";
  s.metadata.owner_references = {event};
  CHECK(validate(s).size() == 1);
  event.api_version = "events.k8s.io/v1";
  s.metadata.owner_references = {event};
  CHECK(validate(s).empty());
}

// ---------------------------------------------------------------------------------------------
// Predicates

TEST_CASE("validation: predicates", "[validation]") {
  CHECK(is_qualified_name("MyName"));
  CHECK(is_qualified_name("my.name"));
  CHECK(is_qualified_name("123-abc"));
  CHECK(is_qualified_name("example.com/MyName"));
  CHECK(is_qualified_name("HTTP"));
  CHECK_FALSE(is_qualified_name(""));
  CHECK_FALSE(is_qualified_name("--"));
  CHECK_FALSE(is_qualified_name("a/b/c"));
  CHECK_FALSE(is_qualified_name("/a"));
  CHECK_FALSE(is_qualified_name("a/"));
  CHECK_FALSE(is_qualified_name("EXAMPLE.com/a"));
  CHECK_FALSE(is_qualified_name(std::string(64, 'a')));

  CHECK(is_label_value(""));
  CHECK(is_label_value("zone-a"));
  CHECK(is_label_value("A_b.C"));
  CHECK_FALSE(is_label_value("inv@lid"));
  CHECK_FALSE(is_label_value("_a"));
  CHECK_FALSE(is_label_value(std::string(64, 'a')));

  CHECK(is_valid_node_name("node-1"));
  CHECK(is_valid_node_name("ip-10-0-0-1.ec2.internal"));
  CHECK_FALSE(is_valid_node_name("INvalid-node-name"));
  CHECK_FALSE(is_valid_node_name("INVALID foo"));
  CHECK_FALSE(is_valid_node_name(""));

  CHECK(is_valid_generate_name("foo-"));
  CHECK(is_valid_generate_name("foo"));
  CHECK_FALSE(is_valid_generate_name("-"));
  CHECK(is_valid_generate_name("foo--"));
  CHECK_FALSE(is_valid_generate_name("foo.-."));
  CHECK_FALSE(is_valid_generate_name("Foo-"));

  CHECK(is_valid_port_number(1));
  CHECK(is_valid_port_number(65535));
  CHECK_FALSE(is_valid_port_number(0));
  CHECK_FALSE(is_valid_port_number(65536));
  CHECK_FALSE(is_valid_port_number(-1));

  CHECK(is_supported_protocol("SCTP"));
  CHECK_FALSE(is_supported_protocol("tcp"));
  CHECK_FALSE(is_supported_protocol(""));

  static_assert(is_qualified_name("example.com/x"));
  static_assert(!is_label_value("-"));
}

// ---------------------------------------------------------------------------------------------
// Legacy Endpoints (core/v1 ValidateEndpoints)

namespace {

endpoint_address ep_addr(std::string ip) {
  endpoint_address a;
  a.ip = std::move(ip);
  return a;
}

endpoints_port ep_port(std::string name, std::int32_t number, std::string protocol = "TCP") {
  endpoints_port p;
  p.name = std::move(name);
  p.port = number;
  p.protocol = std::move(protocol);
  return p;
}

endpoints endpoints_of(std::vector<endpoint_subset> subsets) {
  endpoints e;
  e.metadata = std_meta();
  e.subsets = std::move(subsets);
  return e;
}

endpoint_subset subset_of(std::vector<endpoint_address> ready, std::vector<endpoint_address> not_ready,
                          std::vector<endpoints_port> ports) {
  endpoint_subset s;
  s.addresses = std::move(ready);
  s.not_ready_addresses = std::move(not_ready);
  s.ports = std::move(ports);
  return s;
}

}  // namespace

TEST_CASE("validation: Endpoints valid objects", "[validation]") {
  auto full = ep_addr("10.0.0.1");
  full.hostname = "web-0";
  full.node_name = "node-1";
  full.target_ref = object_reference{"Pod", "world", "web-0", "uid-1", "", "", "", {}};
  auto app = ep_port("https", 443);
  app.app_protocol = "kubernetes.io/h2c";
  const std::vector<endpoints> good = {
      endpoints_of({}),
      endpoints_of({subset_of({full}, {}, {ep_port("", 80)})}),
      endpoints_of({subset_of({}, {ep_addr("2001:db8::1")}, {})}),  // headless: no ports
      endpoints_of({subset_of({ep_addr("10.0.0.1"), ep_addr("239.1.1.1")}, {ep_addr("10.0.0.2")},
                              {ep_port("http", 80, "TCP"), ep_port("dns", 53, "UDP"), app, ep_port("max", 65535, "SCTP")})}),
      // Port names are not required to be unique in a subset (upstream checks no such thing).
      endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("http", 80), ep_port("http", 81)})}),
  };
  for (std::size_t i = 0; i < good.size(); ++i) {
    INFO(i);
    const auto got = validate(good[i]);
    INFO(Catch::Detail::stringify(messages(got)));
    CHECK(got.empty());
  }
}

TEST_CASE("validation: Endpoints rules, one failure each", "[validation]") {
  struct endpoints_case {
    std::string name;
    endpoints object;
    std::vector<std::string> want;  // whole messages
  };
  std::vector<endpoints_case> cases;
  cases.push_back({"empty subset", endpoints_of({subset_of({}, {}, {ep_port("", 80)})}),
                   {"subsets[0]: Required value: a subset must have at least one entry in addresses or notReadyAddresses"}});
  cases.push_back({"bad ip", endpoints_of({subset_of({ep_addr("1.2.3")}, {}, {})}),
                   {R"(subsets[0].addresses[0].ip: Invalid value: "1.2.3": must be a valid IP address)"}});
  cases.push_back({"leading zeros", endpoints_of({subset_of({ep_addr("10.0.0.01")}, {}, {})}),
                   {R"(subsets[0].addresses[0].ip: Invalid value: "10.0.0.01": must be a valid IP address (leading zeros are ambiguous and not accepted))"}});
  cases.push_back({"empty ip", endpoints_of({subset_of({ep_addr("")}, {}, {})}),
                   {R"(subsets[0].addresses[0].ip: Invalid value: "": must be a valid IP address)"}});
  cases.push_back({"loopback in notReadyAddresses",
                   endpoints_of({subset_of({}, {ep_addr("10.0.0.1"), ep_addr("10.0.0.2"), ep_addr("::1")}, {})}),
                   {R"(subsets[0].notReadyAddresses[2].ip: Invalid value: "::1": must not be a loopback address)"}});
  cases.push_back({"mapped loopback", endpoints_of({subset_of({ep_addr("::ffff:127.0.0.1")}, {}, {})}),
                   {R"(subsets[0].addresses[0].ip: Invalid value: "::ffff:127.0.0.1": must not be a loopback address)"}});
  cases.push_back({"unspecified", endpoints_of({subset_of({ep_addr("0.0.0.0")}, {}, {})}),
                   {R"(subsets[0].addresses[0].ip: Invalid value: "0.0.0.0": must not be the unspecified address)"}});
  cases.push_back({"link-local", endpoints_of({subset_of({ep_addr("fe80::1")}, {}, {})}),
                   {R"(subsets[0].addresses[0].ip: Invalid value: "fe80::1": must not be a link-local address)"}});
  cases.push_back({"link-local multicast", endpoints_of({subset_of({ep_addr("224.0.0.1")}, {}, {})}),
                   {R"(subsets[0].addresses[0].ip: Invalid value: "224.0.0.1": must not be a link-local multicast address)"}});
  {
    auto a = ep_addr("10.0.0.1");
    a.hostname = "Web_0";
    cases.push_back({"bad hostname", endpoints_of({subset_of({a}, {}, {})}),
                     {R"(subsets[0].addresses[0].hostname: Invalid value: "Web_0": must consist of lowercase letters, digits and '-', and start and end with a letter or digit (e.g. 'my-name' or '123-abc'))"}});
  }
  {
    auto a = ep_addr("10.0.0.1");
    a.node_name = "INvalid-node-name";
    cases.push_back({"bad nodeName", endpoints_of({subset_of({}, {a}, {})}),
                     {R"(subsets[0].notReadyAddresses[0].nodeName: Invalid value: "INvalid-node-name": must consist of lowercase letters, digits, '-' and '.', and start and end with a letter or digit (e.g. 'example.com'))"}});
  }
  cases.push_back({"unnamed port among two",
                   endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("http", 80), ep_port("", 81)})}),
                   {"subsets[0].ports[1].name: Required value: every port must be named when a subset has more than one port"}});
  cases.push_back({"bad port name", endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("HTTP", 80)})}),
                   {R"(subsets[0].ports[0].name: Invalid value: "HTTP": must consist of lowercase letters, digits and '-', and start and end with a letter or digit (e.g. 'my-name' or '123-abc'))"}});
  cases.push_back({"port zero", endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("", 0)})}),
                   {"subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"}});
  cases.push_back({"port too big", endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("", 65536)})}),
                   {"subsets[0].ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive"}});
  cases.push_back({"port negative", endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("", -80)})}),
                   {"subsets[0].ports[0].port: Invalid value: -80: must be between 1 and 65535, inclusive"}});
  cases.push_back({"protocol missing", endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("", 80, "")})}),
                   {"subsets[0].ports[0].protocol: Required value: must be TCP, UDP or SCTP"}});
  cases.push_back({"protocol lowercase", endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("", 80, "tcp")})}),
                   {R"(subsets[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP")"}});
  {
    auto p = ep_port("", 80);
    p.app_protocol = "--";
    cases.push_back({"bad appProtocol", endpoints_of({subset_of({ep_addr("10.0.0.1")}, {}, {p})}),
                     {R"(subsets[0].ports[0].appProtocol: Invalid value: "--": name part must consist of letters, digits, '-', '_' and '.', and start and end with a letter or digit (e.g. 'MyName', 'my.name' or '123-abc'))"}});
  }
  {
    auto e = endpoints_of({});
    e.metadata.namespace_.clear();
    cases.push_back({"namespace required", e, {"metadata.namespace: Required value: the object must name its namespace"}});
  }
  for (const auto& c : cases) {
    INFO(c.name);
    CHECK(messages(validate(c.object)) == c.want);
  }
}

TEST_CASE("validation: Endpoints errors accumulate across subsets", "[validation]") {
  auto bad = ep_addr("127.0.0.1");
  bad.hostname = "a.b";
  const auto got = validate(endpoints_of({
      subset_of({ep_addr("10.0.0.1")}, {}, {ep_port("a", 80), ep_port("", 0, "x")}),
      subset_of({}, {}, {}),
      subset_of({bad}, {ep_addr("nope")}, {}),
  }));
  std::vector<std::string> paths;
  for (const auto& e : got) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{
                     "subsets[0].ports[1].name", "subsets[0].ports[1].port", "subsets[0].ports[1].protocol",
                     "subsets[1]", "subsets[2].addresses[0].ip", "subsets[2].addresses[0].hostname",
                     "subsets[2].notReadyAddresses[0].ip"});
}

// ---------------------------------------------------------------------------------------------
// Limits at their boundaries, typed and raw

TEST_CASE("validation: endpoint and port count boundaries", "[validation]") {
  auto s = slice_of<ipv4>({}, {});
  s.endpoints.assign(1000, endpoint_of<ipv4>({"10.0.0.1"}));
  CHECK(validate(s).empty());
  s.endpoints.push_back(endpoint_of<ipv4>({"127.0.0.1"}));  // not looked at: the list is too long
  auto got = validate(s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].path == "endpoints");
  CHECK(got[0].value == "1001");

  auto p = slice_of<ipv6>({}, {});
  for (int i = 0; i < 20000; ++i) p.ports.push_back(port("p" + std::to_string(i), "UDP"));
  CHECK(validate(p).empty());
  p.ports.push_back(port("p0", "bad"));
  got = validate(p);
  REQUIRE(got.size() == 1);
  CHECK(got[0].message() == "ports: Too many: 20001: must have at most 20000 items");

  auto a = slice_of<fqdn>({}, {});
  basic_endpoint<fqdn> e;
  for (int i = 0; i < 100; ++i) e.addresses.push_back("host-" + std::to_string(i) + ".example.com");
  a.endpoints = {e};
  CHECK(validate(a).empty());
  a.endpoints[0].addresses.push_back("Bad.example.com");  // too many, and still checked one by one
  got = validate(a);
  REQUIRE(got.size() == 2);
  CHECK(got[0].message() == "endpoints[0].addresses: Too many: 101: must have at most 100 items");
  CHECK(got[1].path == "endpoints[0].addresses[100]");
}

TEST_CASE("validation: FQDN rule agrees with is_fully_qualified_domain_name", "[validation]") {
  const std::vector<std::string> names = {
      "example.com", "example.com.", "a.b", "localhost", "localhost.", ".", "", "a..b", "-a.com", "a-.com",
      "A.com", "a_b.com", "*.example.com", "foo.*", std::string(63, 'a') + ".com", std::string(64, 'a') + ".com",
      std::string(120, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c'),
      std::string(126, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c'), "1.2.3.4", "a.b.",
      "a.b..",
  };
  for (const auto& n : names) {
    INFO(n);
    field_errors got;
    detail::check_fqdn_address(got, "x", n);
    CHECK(got.empty() == is_fully_qualified_domain_name(n));
  }
}

TEST_CASE("validation: options can lift the endpoint limit for desired sets", "[validation]") {
  endpoint_slice_v4 s;
  s.metadata.name = "hello";
  s.metadata.namespace_ = "world";
  s.ports.set_empty_not_nil();
  for (std::uint32_t i = 0; i < 1001; ++i) {
    endpoint_v4 e;
    e.addresses.push_back(ipv4_address::from_uint(0x0a000000u + i + 1));
    s.endpoints.push_back(e);
  }
  s.endpoints[1000].hostname = "--bad";
  const auto limited = validate(s);
  REQUIRE(limited.size() == 1);
  CHECK(limited[0].message() == "endpoints: Too many: 1001: must have at most 1000 items");
  // Without the limit every endpoint is looked at, and the last one's problem shows.
  const auto unlimited = validate(s, validation_options{.limit_endpoints = false});
  REQUIRE(unlimited.size() == 1);
  CHECK(unlimited[0].path == "endpoints[1000].hostname");
  CHECK(validate(any_endpoint_slice{s}, validation_options{.limit_endpoints = false}) == unlimited);
}

TEST_CASE("validation: the legacy IP address type is accepted only when asked", "[validation]") {
  endpoint_slice_raw s;
  s.metadata.name = "old";
  s.metadata.namespace_ = "world";
  s.address_type = "IP";
  endpoint_raw e;
  e.addresses.push_back("not an address");  // a type not known: addresses are not checked
  s.endpoints.push_back(e);
  s.ports.set_empty_not_nil();
  const auto strict = validate(s);
  REQUIRE(strict.size() == 1);
  CHECK(strict[0].message() == R"(addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6")");
  const validation_options read{.accept_legacy_ip_type = true};
  CHECK(validate(s, read).empty());
  CHECK(validate(any_endpoint_slice{s}, read).empty());
  // Only `IP`: other unknown types, and an absent one, are refused still.
  s.address_type = "ip";
  CHECK(validate(s, read).size() == 1);
  s.address_type.reset();
  REQUIRE(validate(s, read).size() == 1);
  CHECK(validate(s, read)[0].message() == "addressType: Required value: must be IPv4, IPv6 or FQDN");
}

TEST_CASE("validation: echoed values are cut at 200 bytes with their length", "[validation]") {
  CHECK(quote_value("web") == R"("web")");
  CHECK(quote_value("a\"b\\c\n") == R"("a\"b\\c\u000a")");
  const std::string exact(max_echoed_bytes, 'a');
  CHECK(quote_value(exact) == "\"" + exact + "\"");
  // A few megabytes stand for the 200 MB name of the hostile input: only 200 bytes are echoed.
  const std::string huge(3 * 1024 * 1024, 'a');
  CHECK(quote_value(huge) == "\"" + exact + "\" ... (3145728 bytes)");
  // The cut never splits a UTF-8 sequence: "é" is two bytes, the 200th byte is a lead byte.
  const std::string accents = std::string(199, 'a') + "\xC3\xA9" + "tail";
  CHECK(quote_value(accents) == "\"" + std::string(199, 'a') + "\" ... (205 bytes)");
  CHECK(echo_value("12345") == "12345");
  const std::string digits(5000, '7');
  CHECK(echo_value(digits) == std::string(200, '7') + " ... (5000 bytes)");

  // Validation echoes through quote_value, so a long name is shown once and cut.
  endpoint_slice_v4 s;
  s.metadata.name = huge;  // a valid format, too long
  s.metadata.namespace_ = "default";
  s.endpoints.set_empty_not_nil();
  s.ports.set_empty_not_nil();
  const field_errors errors = validate(s);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].message() == "metadata.name: Invalid value: \"" + exact +
                                   "\" ... (3145728 bytes): must be no more than 253 characters");
}

TEST_CASE("validation: an error always has a path to give", "[validation]") {
  const epslice::error one("spec.ports[0]", "bad");
  CHECK(one.path() == "spec.ports[0]");
  CHECK(std::string(one.what()) == "spec.ports[0]: Invalid value: bad");
  // The library throws through detail::throw_error, which never builds an error without problems.
  try {
    detail::throw_error(field_errors{});
    FAIL("no exception");
  } catch (const epslice::error& e) {
    REQUIRE(e.errors().size() == 1);
    CHECK(e.errors()[0].type == error_type::internal);
    CHECK(e.path().empty());
  }
}
