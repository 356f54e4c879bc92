// SPDX-License-Identifier: Apache-2.0
// Tests of sizes.hpp: exact JSON and protobuf bytes of objects and watch events.
#include <catch2/catch.hpp>

#include <epslice/convert.hpp>
#include <epslice/json.hpp>
#include <epslice/simulate.hpp>
#include <epslice/sizes.hpp>

#include <string>
#include <vector>

using namespace epslice;
using namespace std::literals;

namespace {

// Bytes written as text: "\x0a\x01" "a" ..., so that a test reads like the hand computation.
std::string bytes(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out.append(p.data(), p.size());
  return out;
}

std::string hex(const std::string& s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 15];
    out += ' ';
  }
  return out;
}

}  // namespace

TEST_CASE("sizes: varints and RFC 3339 seconds", "[sizes]") {
  using detail::pb::varint_size;
  CHECK(varint_size(0) == 1);
  CHECK(varint_size(127) == 1);
  CHECK(varint_size(128) == 2);
  CHECK(varint_size(16383) == 2);
  CHECK(varint_size(16384) == 3);
  CHECK(varint_size(~std::uint64_t{0}) == 10);
  std::string out;
  detail::pb::put_varint(out, 300);
  CHECK(out == "\xac\x02");
  CHECK(rfc3339_seconds("1970-01-01T00:00:00Z") == 0);
  CHECK(rfc3339_seconds("2024-01-01T00:00:00Z") == 1704067200);
  CHECK(rfc3339_seconds("2024-01-01T01:00:00+01:00") == 1704067200);
  CHECK(rfc3339_seconds("2024-02-29T12:34:56.789Z") == 1709210096);
  CHECK(rfc3339_seconds("0001-01-01T00:00:00Z") == -62135596800);
  CHECK_FALSE(rfc3339_seconds("2024-01-01 00:00:00"));
  CHECK_FALSE(rfc3339_seconds("2024-13-01T00:00:00Z"));
}

TEST_CASE("sizes: a small EndpointSlice, bytes worked out by hand", "[sizes]") {
  endpoint_slice_v4 s;
  s.metadata.name = "a";
  endpoint_v4 e;
  e.addresses.push_back(*ipv4::parse("10.0.0.1"));
  e.conditions.ready = true;
  s.endpoints.push_back(e);
  endpoint_port p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 80;
  s.ports.push_back(p);

  // ObjectMeta: name "a", then generateName, namespace, selfLink, uid, resourceVersion (empty
  // strings), generation 0 and an empty creationTimestamp message: 17 bytes.
  const std::string meta = bytes({"\x0a\x01" "a"sv, "\x12\x00"sv, "\x1a\x00"sv, "\x22\x00"sv, "\x2a\x00"sv, "\x32\x00"sv,
                                  "\x38\x00"sv, "\x42\x00"sv});
  REQUIRE(meta.size() == 17);
  const std::string endpoint = bytes({"\x0a\x08" "10.0.0.1"sv, "\x12\x02\x08\x01"sv});  // conditions{ready: true}
  const std::string port = bytes({"\x0a\x04" "http"sv, "\x12\x03" "TCP"sv, "\x18\x50"sv});
  const std::string message = bytes({"\x0a\x11"sv, meta, "\x12\x0e"sv, endpoint, "\x1a\x0d"sv, port, "\x22\x04" "IPv4"sv});
  REQUIRE(message.size() == 56);
  CHECK(hex(protobuf_message(s)) == hex(message));
  CHECK(protobuf_message_size(s) == 56);

  const std::string type_meta = bytes({"\x0a\x13" "discovery.k8s.io/v1"sv, "\x12\x0d" "EndpointSlice"sv});
  const std::string wire = bytes({"k8s\0"sv, "\x0a\x24"sv, type_meta, "\x12\x38"sv, message,
                                  "\x1a\x00"sv, "\x22\x00"sv});
  REQUIRE(wire.size() == 104);
  CHECK(hex(protobuf_encode(s)) == hex(wire));
  CHECK(protobuf_size(s) == 104);
  CHECK(protobuf_size(any_endpoint_slice(s)) == 104);
  CHECK(protobuf_envelope_overhead("discovery.k8s.io/v1", "EndpointSlice", 56) == 48);

  const std::string json = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},)"
                           R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true}}],)"
                           R"("ports":[{"name":"http","protocol":"TCP","port":80}]})";
  CHECK(json_size(s) == json.size());
  CHECK(sizes_of(s) == object_sizes{json.size(), 104});
}

TEST_CASE("sizes: two-byte lengths, maps, owner references and a creation time", "[sizes]") {
  endpoint_slice_fqdn s;
  s.metadata.name = "x";
  s.metadata.labels["k"] = "v";
  s.metadata.creation_timestamp = "2024-01-01T00:00:00Z";
  s.metadata.owner_references.push_back(owner_reference{"v1", "Service", "s", "u", true, std::nullopt, {}});
  endpoint_fqdn e;
  e.addresses.push_back(std::string(130, 'a'));
  s.endpoints.push_back(e);

  const std::string meta = bytes({"\x0a\x01" "x"sv, "\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00"sv,
                                  "\x42\x08\x08\x80\x81\xc8\xac\x06\x10\x00"sv,  // Timestamp{1704067200, 0}
                                  "\x5a\x06\x0a\x01" "k" "\x12\x01" "v"sv,       // labels entry
                                  "\x6a\x15\x0a\x07" "Service" "\x1a\x01" "s" "\x22\x01" "u" "\x2a\x02" "v1" "\x30\x01"sv});
  REQUIRE(meta.size() == 56);
  const std::string endpoint = bytes({"\x0a\x82\x01"sv, std::string(130, 'a'), "\x12\x00"sv});  // empty conditions
  REQUIRE(endpoint.size() == 135);
  const std::string message = bytes({"\x0a\x38"sv, meta, "\x12\x87\x01"sv, endpoint, "\x22\x04" "FQDN"sv});
  REQUIRE(message.size() == 202);
  CHECK(hex(protobuf_message(s)) == hex(message));
  CHECK(protobuf_size(s) == 4 + 38 + 1 + 2 + 202 + 4);
  CHECK(protobuf_encode(s).size() == protobuf_size(s));

  // A negative port takes ten bytes (int32 sign-extended to 64 bits).
  endpoint_slice_v4 n;
  endpoint_port p;
  p.port = -1;
  n.ports.push_back(p);
  const std::string with_port = protobuf_message(n);
  CHECK(with_port.find(bytes({"\x1a\x0b\x18\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"sv})) != std::string::npos);
}

TEST_CASE("sizes: a small Endpoints object, bytes worked out by hand", "[sizes]") {
  endpoints ep;
  ep.metadata.name = "s";
  ep.metadata.namespace_ = "d";
  endpoint_subset sub;
  endpoint_address a;
  a.ip = "10.0.0.1";
  sub.addresses.push_back(a);
  sub.ports.push_back(endpoints_port{"", 80, "TCP", std::nullopt, {}});
  ep.subsets.push_back(sub);

  const std::string meta = bytes({"\x0a\x01" "s"sv, "\x12\x00"sv, "\x1a\x01" "d"sv, "\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00"sv});
  const std::string address = bytes({"\x0a\x08" "10.0.0.1"sv, "\x1a\x00"sv});  // ip, empty hostname
  const std::string port = bytes({"\x0a\x00"sv, "\x10\x50"sv, "\x1a\x03" "TCP"sv});
  const std::string subset = bytes({"\x0a\x0c"sv, address, "\x1a\x09"sv, port});
  const std::string message = bytes({"\x0a\x12"sv, meta, "\x12\x19"sv, subset});
  REQUIRE(message.size() == 47);
  CHECK(hex(protobuf_message(ep)) == hex(message));
  const std::string wire = bytes({"k8s\0"sv, "\x0a\x0f\x0a\x02" "v1" "\x12\x09" "Endpoints"sv,
                                  "\x12\x2f"sv, message, "\x1a\x00\x22\x00"sv});
  CHECK(hex(protobuf_encode(ep)) == hex(wire));
  CHECK(protobuf_size(ep) == 74);

  // A targetRef writes all seven ObjectReference strings, empty ones included.
  ep.subsets[0].addresses[0].target_ref = object_reference{"Pod", "d", "p", "", "", "", "", {}};
  CHECK(protobuf_size(ep) == 74 + (2 + 5 + 3 + 3 + 2 + 2 + 2 + 2));

  const std::string json = R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"s","namespace":"d"},)"
                           R"("subsets":[{"addresses":[{"ip":"10.0.0.1","targetRef":{"kind":"Pod","namespace":"d","name":"p"}}],)"
                           R"("ports":[{"port":80,"protocol":"TCP"}]}]})";
  CHECK(json_size(ep) == json.size());
}

TEST_CASE("sizes: watch event framing", "[sizes]") {
  CHECK(json_watch_event_size(watch_event_type::added, 2) == std::string_view("{\"type\":\"ADDED\",\"object\":{}}\n").size());
  CHECK(json_watch_event_size(watch_event_type::modified, 2) ==
        std::string_view("{\"type\":\"MODIFIED\",\"object\":{}}\n").size());
  CHECK(json_watch_event_size(watch_event_type::deleted, 10) ==
        std::string_view("{\"type\":\"DELETED\",\"object\":}\n").size() + 10);
  // 4-byte frame + 0a 05 "ADDED" + 12 6a { 0a 68 <104 bytes> }.
  CHECK(protobuf_watch_event_size(watch_event_type::added, 104) == 4 + 7 + 2 + 2 + 104);
  // A 200-byte object needs two-byte lengths twice.
  CHECK(protobuf_watch_event_size(watch_event_type::modified, 200) == 4 + 10 + 3 + 3 + 200);
  CHECK(watch_event_sizes(watch_event_type::deleted, {5, 7}) ==
        object_sizes{json_watch_event_size(watch_event_type::deleted, 5),
                     protobuf_watch_event_size(watch_event_type::deleted, 7)});
}

TEST_CASE("sizes: json_size is the encoder's byte count on real objects", "[sizes]") {
  desired_state<ipv4> d = scenario_service();
  for (std::uint64_t i = 0; i < 100; ++i) d.groups[0].endpoints.push_back(scenario_endpoint(i));
  reconcile_options o;
  o.trigger_time = "2024-01-01T00:00:00Z";
  const auto plan = reconcile(d, {}, o);
  REQUIRE(plan.create.size() == 1);
  auto slices = epslice::apply(plan, {});
  REQUIRE(slices.size() == 1);
  // scenarios.md: one slice of pods 0..99 as the controller writes it is 24,363 bytes.
  CHECK(json_size(slices[0]) == 24363);
  CHECK(json_size(slices[0]) == encode(slices[0]).size());
  CHECK(protobuf_encode(slices[0]).size() == protobuf_size(slices[0]));
}
