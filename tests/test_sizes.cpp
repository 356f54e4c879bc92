// SPDX-License-Identifier: Apache-2.0
// Tests of sizes.hpp: exact JSON and protobuf bytes of objects and watch events.
#include <catch2/catch.hpp>

#include <epslice/convert.hpp>
#include <epslice/json.hpp>
#include <epslice/simulate.hpp>
#include <epslice/sizes.hpp>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
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

TEST_CASE("sizes: an IPv6 address is counted as written, bytes worked out by hand", "[sizes]") {
  // The slice above with one IPv6 address, once in canonical text and once as a user wrote it.
  const auto slice_with = [](std::string_view text) {
    endpoint_slice_v6 s;
    s.metadata.name = "a";
    endpoint_v6 e;
    e.addresses.push_back(*ipv6::parse(text));
    e.conditions.ready = true;
    s.endpoints.push_back(e);
    return s;
  };
  const auto canonical = slice_with("fd00:10:244::1");    // 14 bytes of text
  const auto written = slice_with("FD00:10:244:0:0:0:0:1");  // 21 bytes
  // ObjectMeta as above (17 bytes); endpoint: addresses (tag, length, text) and conditions.
  const std::string meta = bytes({"\x0a\x01" "a"sv, "\x12\x00"sv, "\x1a\x00"sv, "\x22\x00"sv, "\x2a\x00"sv,
                                  "\x32\x00"sv, "\x38\x00"sv, "\x42\x00"sv});
  const std::string endpoint = bytes({"\x0a\x15" "FD00:10:244:0:0:0:0:1"sv, "\x12\x02\x08\x01"sv});
  REQUIRE(endpoint.size() == 27);
  const std::string message = bytes({"\x0a\x11"sv, meta, "\x12\x1b"sv, endpoint, "\x22\x04" "IPv6"sv});
  REQUIRE(message.size() == 54);
  CHECK(hex(protobuf_message(written)) == hex(message));
  // 7 more bytes of text, in a length that stays one byte: 7 more bytes in each encoding.
  CHECK(protobuf_message_size(written) == protobuf_message_size(canonical) + 7);
  CHECK(protobuf_size(written) == protobuf_size(canonical) + 7);
  CHECK(json_size(written) == json_size(canonical) + 7);
  CHECK(encode(written).find(R"("addresses":["FD00:10:244:0:0:0:0:1"])") != std::string::npos);
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
  // docs/scenarios.md#sizes: one slice of pods 0..99 as the controller writes it is 24,363 bytes.
  CHECK(json_size(slices[0]) == 24363);
  CHECK(json_size(slices[0]) == encode(slices[0]).size());
  CHECK(protobuf_encode(slices[0]).size() == protobuf_size(slices[0]));
}

// ---- fields the API server sets -------------------------------------------------------------------

TEST_CASE("sizes: a slice with every server-set field, protobuf assembled by hand", "[sizes]") {
  // The slice as the API server stores it. Decoded from JSON, so selfLink, deletionGracePeriodSeconds,
  // finalizers and managedFields are where the decoder keeps them (as JSON text in metadata.extra).
  const auto s = decode_endpoint_slice_as<ipv4>(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
    "metadata":{"name":"web-abcde","generateName":"web-","namespace":"default",
      "selfLink":"/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-abcde",
      "uid":"3f2a8c1e-7b4d-4e2a-9c1f-0a1b2c3d4e5f","resourceVersion":"1000000007","generation":3,
      "creationTimestamp":"2024-01-01T00:00:00Z","deletionTimestamp":"2024-01-01T00:01:00Z",
      "deletionGracePeriodSeconds":30,
      "labels":{"kubernetes.io/service-name":"web"},
      "annotations":{"endpoints.kubernetes.io/last-change-trigger-time":"2024-01-01T00:00:00Z"},
      "ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"web","uid":"11111111-2222-4333-8444-555555555555",
                          "controller":true,"blockOwnerDeletion":true}],
      "finalizers":["example.com/keep"],
      "managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"discovery.k8s.io/v1",
                        "time":"2024-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:addressType":{}}}]},
    "addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true}}],
    "ports":[{"name":"http","protocol":"TCP","port":80}]})");

  // Field numbers and wire types of generated.proto (meta/v1 and discovery/v1). A tag byte is
  // field << 3 | wire type, wire type 0 a varint, 2 length-delimited; field 17 needs two bytes.
  // Timestamp{seconds(1): 1704067200, nanos(2): 0}: 08 80 81 c8 ac 06 10 00 (8 bytes); 60 s later
  // the seconds are 1704067260 = bc 81 c8 ac 06.
  const std::string created = "\x08\x80\x81\xc8\xac\x06\x10\x00"s, deleted = "\x08\xbc\x81\xc8\xac\x06\x10\x00"s;
  const std::string managed_entry = bytes({
      "\x0a\x17" "kube-controller-manager"sv,  // manager(1, LEN) 23 bytes            -> 25
      "\x12\x06" "Update"sv,                   // operation(2, LEN) 6                  -> 8
      "\x1a\x13" "discovery.k8s.io/v1"sv,      // apiVersion(3, LEN) 19                -> 21
      "\x22\x08"sv, created,                   // time(4, LEN) Timestamp 8             -> 10
      "\x32\x08" "FieldsV1"sv,                 // fieldsType(6, LEN) 8                 -> 10
      "\x3a\x16" "\x0a\x14" R"({"f:addressType":{}})"sv,  // fieldsV1(7, LEN){Raw(1, LEN) 20}  -> 24
      "\x42\x00"sv,                            // subresource(8, LEN) "" (a Go string: always) -> 2
  });
  REQUIRE(managed_entry.size() == 25 + 8 + 21 + 10 + 10 + 24 + 2);  // 100
  const std::string owner = bytes({"\x0a\x07" "Service"sv, "\x1a\x03" "web"sv,
                                   "\x22\x24" "11111111-2222-4333-8444-555555555555"sv, "\x2a\x02" "v1"sv,
                                   "\x30\x01"sv, "\x38\x01"sv});  // kind 1, name 3, uid 4, apiVersion 5, controller 6, blockOwnerDeletion 7
  REQUIRE(owner.size() == 9 + 5 + 38 + 4 + 2 + 2);  // 60
  const std::string meta = bytes({
      "\x0a\x09" "web-abcde"sv,                                    // name(1)               11
      "\x12\x04" "web-"sv,                                         // generateName(2)        6
      "\x1a\x07" "default"sv,                                      // namespace(3)           9
      "\x22\x45" "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/web-abcde"sv,  // selfLink(4) 71
      "\x2a\x24" "3f2a8c1e-7b4d-4e2a-9c1f-0a1b2c3d4e5f"sv,         // uid(5)                38
      "\x32\x0a" "1000000007"sv,                                   // resourceVersion(6)    12
      "\x38\x03"sv,                                                // generation(7, VARINT)  2
      "\x42\x08"sv, created,                                       // creationTimestamp(8)  10
      "\x4a\x08"sv, deleted,                                       // deletionTimestamp(9)  10
      "\x50\x1e"sv,                                                // deletionGracePeriodSeconds(10, VARINT) 30: 2
      "\x5a\x21" "\x0a\x1a" "kubernetes.io/service-name" "\x12\x03" "web"sv,  // labels(11) entry  35
      "\x62\x48" "\x0a\x30" "endpoints.kubernetes.io/last-change-trigger-time"
      "\x12\x14" "2024-01-01T00:00:00Z"sv,                         // annotations(12) entry 74
      "\x6a\x3c"sv, owner,                                         // ownerReferences(13)   62
      "\x72\x10" "example.com/keep"sv,                             // finalizers(14)        18
      "\x8a\x01\x64"sv, managed_entry,                             // managedFields(17)    103
  });
  REQUIRE(meta.size() == 11 + 6 + 9 + 71 + 38 + 12 + 2 + 10 + 10 + 2 + 35 + 74 + 62 + 18 + 103);  // 463
  const std::string message = bytes({
      "\x0a\xcf\x03"sv, meta,                                      // metadata(1), 463 = cf 03   466
      "\x12\x0e" "\x0a\x08" "10.0.0.1" "\x12\x02\x08\x01"sv,       // endpoints(2)              16
      "\x1a\x0d" "\x0a\x04" "http" "\x12\x03" "TCP" "\x18\x50"sv,  // ports(3)                  15
      "\x22\x04" "IPv4"sv,                                         // addressType(4)             6
  });
  REQUIRE(message.size() == 466 + 16 + 15 + 6);  // 503
  const std::string wire = bytes({"k8s\0"sv, "\x0a\x24" "\x0a\x13" "discovery.k8s.io/v1" "\x12\x0d" "EndpointSlice"sv,
                                  "\x12\xf7\x03"sv, message, "\x1a\x00\x22\x00"sv});  // raw(2): 503 = f7 03
  REQUIRE(wire.size() == 4 + 38 + 3 + 503 + 4);  // 552

  CHECK(hex(protobuf_message(s)) == hex(message));
  CHECK(hex(protobuf_encode(s)) == hex(wire));
  CHECK(protobuf_message_size(s) == 503);
  CHECK(protobuf_size(s) == 552);
}

TEST_CASE("sizes: a slice captured from a cluster, with its managedFields", "[sizes]") {
  // kubectl get endpointslice -o json of kube-dns in a kind cluster (two CoreDNS pods), indented
  // and with its keys sorted as kubectl prints it.
  std::ifstream in(std::string(EPSLICE_TEST_DATA_DIR) + "/endpointslice-kube-dns.json", std::ios::binary);
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto s = decode_endpoint_slice_as<ipv4>(text);
  REQUIRE(s.metadata.extra.size() == 1);
  REQUIRE(s.metadata.extra[0].key == "managedFields");

  // JSON: the compact form of the capture, 2,050 bytes (the key order differs, the bytes do not).
  CHECK(json_size(s) == 2050);
  CHECK(json_size(s) == nlohmann::json::parse(text).dump().size());

  // Protobuf without the managedFields entry: 820 bytes, what sizes.hpp counted before it read the
  // ObjectMeta fields kept as JSON text.
  auto bare = s;
  bare.metadata.extra.clear();
  CHECK(protobuf_size(bare) == 820);
  CHECK(protobuf_message_size(bare) == 771);
  // The entry, worked out: manager 2 + 23, operation 2 + 6, apiVersion 2 + 19, time 2 + 8,
  // fieldsType 2 + 8, fieldsV1 1 + 2 + (1 + 2 + 431) with the compact fieldsV1 text of 431 bytes,
  // subresource 2: 513 bytes, and 2 (tag of field 17) + 2 (length) in front. The metadata (445 ->
  // 962 bytes) and the message (771 -> 1,288) keep two-byte lengths, so the object grows by 517.
  const auto parsed = nlohmann::json::parse(text);
  const auto& fields_v1 = parsed["metadata"]["managedFields"][0]["fieldsV1"];
  REQUIRE(fields_v1.dump().size() == 431);
  CHECK(protobuf_message_size(s) == 771 + 517);
  CHECK(protobuf_size(s) == 1337);
  CHECK(protobuf_encode(s).size() == 1337);
  const std::string raw = protobuf_encode(s);
  CHECK(raw.find(fields_v1.dump()) != std::string::npos);  // Raw holds the JSON text itself
}

TEST_CASE("sizes: ObjectMeta fields kept as JSON text, as Go decodes them", "[sizes]") {
  const auto with_meta = [](const std::string& meta) {
    return decode_endpoint_slice_as<ipv4>(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a",)" +
                                          meta + R"(},"addressType":"IPv4","endpoints":[]})");
  };
  const std::size_t plain = protobuf_message_size(with_meta(R"("uid":"")"));

  // null is Go's zero value: an empty selfLink (written anyway), no grace period, no finalizers,
  // no managedFields; a null entry is an entry of empty strings (5 x 2 bytes + 3 of tag and length).
  CHECK(protobuf_message_size(with_meta(R"("selfLink":null,"deletionGracePeriodSeconds":null,"finalizers":null,"managedFields":null)")) == plain);
  CHECK(protobuf_message_size(with_meta(R"("managedFields":[null])")) == plain + 3 + 10);
  // Escapes are decoded: é is 2 bytes of UTF-8, U+1F600 (a surrogate pair) 4, a lone surrogate
  // becomes U+FFFD (3 bytes).
  CHECK(protobuf_message_size(with_meta(R"("finalizers":["caf\u00e9"])")) == plain + 2 + 5);
  CHECK(protobuf_message_size(with_meta(R"("finalizers":["\ud83d\ude00"])")) == plain + 2 + 4);
  auto by_hand = with_meta(R"("uid":"")");  // text the JSON reader would refuse, set directly
  by_hand.metadata.extra.push_back(unknown_field{"finalizers", R"(["\ud83d", "\ud83d\u0041"])"});
  CHECK(protobuf_message_size(by_hand) == plain + 2 + 3 + 2 + 4);
  // fieldsV1 nested 100,000 deep is measured without recursion: Raw is its 200,000 bytes of text, in
  // an entry of 200,018 bytes behind a 2-byte tag and a 3-byte length; the metadata's own length
  // takes 3 bytes instead of 1.
  auto deep = with_meta(R"("uid":"")");
  deep.metadata.extra.push_back(
      unknown_field{"managedFields", R"([{"fieldsV1":)" + std::string(100000, '[') + std::string(100000, ']') + "}]"});
  CHECK(protobuf_message_size(deep) == plain + 2 + (2 + 3) + 10 + (1 + 3 + (1 + 3 + 200000)));
  by_hand.metadata.extra.back().json = R"(["a")";
  // A null finalizer is "" (2 bytes); a negative grace period takes ten bytes of varint.
  CHECK(protobuf_message_size(with_meta(R"("finalizers":[null])")) == plain + 2);
  CHECK(protobuf_message_size(with_meta(R"("deletionGracePeriodSeconds":-1)")) == plain + 1 + 10);
  // time and fieldsV1 are pointers: absent or null, not written; unknown keys are dropped.
  CHECK(protobuf_message_size(with_meta(R"("managedFields":[{"manager":"m","time":null,"fieldsV1":null,"x":[1,{"y":"}"}]}])")) ==
        plain + 3 + (3 + 2 + 2 + 2 + 2));
  // fieldsV1 {} is a 2-byte Raw.
  CHECK(protobuf_message_size(with_meta(R"("managedFields":[{"fieldsV1":{}}])")) == plain + 3 + 10 + (2 + 4));
  // A field the API server does not know is not counted; its JSON is.
  const auto unknown = with_meta(R"("clusterName":"x")");
  CHECK(protobuf_message_size(unknown) == plain);
  CHECK(json_size(unknown) == json_size(with_meta(R"("uid":"")")) + std::string_view(R"(,"clusterName":"x")").size());

  // Values Go refuses are errors naming the field.
  const auto error_of = [&](const std::string& meta) -> std::string {
    try {
      (void)protobuf_size(with_meta(meta));
    } catch (const epslice::error& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK(error_of(R"("finalizers":"x")") == "metadata.finalizers: Invalid value: must be a list of strings");
  CHECK(error_of(R"("finalizers":["a",5])") == "metadata.finalizers[1]: Invalid value: must be a string");
  CHECK(error_of(R"("selfLink":true)") == "metadata.selfLink: Invalid value: must be a string");
  CHECK(error_of(R"("deletionGracePeriodSeconds":1.5)") == "metadata.deletionGracePeriodSeconds: Invalid value: must be an integer");
  CHECK(error_of(R"("deletionGracePeriodSeconds":9223372036854775808)") ==
        "metadata.deletionGracePeriodSeconds: Invalid value: must be an integer that fits 64 bits");
  CHECK(error_of(R"("deletionGracePeriodSeconds":-9223372036854775808)") == "no error");
  CHECK(error_of(R"("managedFields":{})") == "metadata.managedFields: Invalid value: must be a list of objects");
  CHECK(error_of(R"("managedFields":[{},"x"])") == "metadata.managedFields[1]: Invalid value: must be an object");
  CHECK(error_of(R"("managedFields":[{"time":"yesterday"}])") ==
        "metadata.managedFields[0].time: Invalid value: not an RFC 3339 time: \"yesterday\"");
  CHECK(error_of(R"("managedFields":[{"manager":7}])") == "metadata.managedFields[0].manager: Invalid value: must be a string");
  CHECK_THROWS_WITH(protobuf_size(by_hand), "metadata.finalizers: Invalid value: not JSON: expected ']'");
}

TEST_CASE("sizes: kind and apiVersion are counted as the API server sends them", "[sizes]") {
  endpoint_slice_v4 typed;
  typed.metadata.name = "a";
  endpoint_slice_v4 bare = typed;
  bare.kind.clear();
  bare.api_version.clear();
  // encode() leaves out empty type fields; the API server sends the type's: `"kind":"EndpointSlice",`
  // (23 bytes) and `"apiVersion":"discovery.k8s.io/v1",` (35 bytes).
  CHECK(encode(bare).size() + 23 + 35 == encode(typed).size());
  CHECK(json_size(bare) == json_size(typed));
  CHECK(protobuf_size(bare) == protobuf_size(typed));
  CHECK(protobuf_encode(bare) == protobuf_encode(typed));
  CHECK(sent_kind(bare) == "EndpointSlice");
  CHECK(sent_api_version(bare) == "discovery.k8s.io/v1");
  bare.api_version = "discovery.k8s.io/v1";  // only kind missing
  CHECK(json_size(bare) == json_size(typed));

  endpoints e;
  e.metadata.name = "a";
  endpoints e_bare = e;
  e_bare.kind.clear();
  e_bare.api_version.clear();
  // `"kind":"Endpoints",` (19) and `"apiVersion":"v1",` (18).
  CHECK(encode(e_bare).size() + 19 + 18 == encode(e).size());
  CHECK(sizes_of(e_bare) == sizes_of(e));
  CHECK(protobuf_size(e) == 4 + (2 + 2 + 2 + 2 + 9) + 2 + protobuf_message_size(e) + 2 + 2);
}
