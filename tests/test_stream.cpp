// SPDX-License-Identifier: Apache-2.0
// Tests of stream.hpp and the reader behind it: chunked input, stream shapes, limits, numbers,
// repeated keys, hostile input through every entry point, and agreement with nlohmann's parser.
#include <epslice/json.hpp>
#include <epslice/stream.hpp>
#include <epslice/validation.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef EPSLICE_TEST_DATA_DIR
#error "define EPSLICE_TEST_DATA_DIR to the tests/data directory"
#endif

using namespace epslice;

namespace {

std::string read_sample(const std::string& name) {
  std::ifstream in(std::string(EPSLICE_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> messages(const field_errors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.message());
  return out;
}

// Deterministic random numbers (splitmix64).
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

// Everything a decoder gave, as text, to compare runs: events, problems outside objects and lists,
// each in its order (they are taken apart, so their interleaving depends on when one looks).
struct transcript_parts {
  std::string events, outside, lists;
  [[nodiscard]] std::string text() const { return events + outside + lists; }
};
void transcript(stream_decoder& d, transcript_parts& parts) {
  std::string& out = parts.events;
  while (auto e = d.next()) {
    out += std::string(to_string(e->type)) + " " + std::string(to_string(e->shape)) + " " + e->object.location + " #" +
           std::to_string(e->object.document) + " " + std::string(e->object.kind()) + (e->object.kind_inferred ? "*" : "") +
           " " + std::string(e->object.api_version()) + (e->object.api_version_inferred ? "*" : "") + " " +
           encode(e->object, encode_options{}) + "\n";
    if (!e->resource_version.empty()) out += "  rv " + e->resource_version + "\n";
    if (e->status) out += "  status " + std::to_string(e->status->code) + " " + e->status->reason + " " + e->status->message + "\n";
    for (const auto& p : e->object.problems) out += "  problem " + p.message() + "\n";
    for (const auto& p : e->object.duplicates) out += "  duplicate " + p.message() + "\n";
  }
  for (const auto& p : d.take_problems()) parts.outside += "outside " + p.message() + "\n";
  for (const auto& l : d.take_lists())
    parts.lists += "list " + l.kind + " " + l.api_version + " rv=" + l.metadata.resource_version + " items=" +
                   std::to_string(l.items) + "\n";
}

std::string finish_transcript(stream_decoder& d, transcript_parts& parts) {
  d.finish();
  transcript(d, parts);
  std::string out = parts.text();
  if (const auto& e = d.syntax_error())
    out += "syntax " + std::to_string(e->line) + ":" + std::to_string(e->column) + " @" + std::to_string(e->offset) + " " +
           e->message + "\n";
  out += "values " + std::to_string(d.values()) + (d.had_list() ? " list" : "") + "\n";
  return out;
}

// The transcript of `text` fed whole, and fed in pieces of the sizes `rng` picks (1 byte each
// when `rng` is null). Events are taken after every piece, as a consumer would.
std::string decode_in_pieces(std::string_view text, splitmix* rng, const decode_limits& limits = {}) {
  stream_decoder d(limits);
  transcript_parts parts;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = rng ? 1 + rng->below(rng->below(2) ? 8 : 4096) : 1;
    d.feed(text.substr(i, n));
    transcript(d, parts);
    i += n;
  }
  return finish_transcript(d, parts);
}
std::string decode_whole(std::string_view text, const decode_limits& limits = {}) {
  stream_decoder d(limits);
  d.feed(text);
  transcript_parts parts;
  return finish_transcript(d, parts);
}

// A watch stream as `kubectl get endpointslices --watch -o json --output-watch-events` prints it
// (4-space indentation, one event per value), ending with a BOOKMARK and a 410 ERROR.
const std::string watch_capture = R"json({
    "type": "ADDED",
    "object": {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-9kq2x", "namespace": "shop", "resourceVersion": "1001",
                     "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.244.1.10"], "conditions": {"ready": true}, "nodeName": "node-a1"}],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
    }
}
{
    "type": "MODIFIED",
    "object": {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-9kq2x", "namespace": "shop", "resourceVersion": "1002",
                     "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.244.1.10"], "conditions": {"ready": false}, "nodeName": "node-a1"}],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
    }
}
{
    "type": "DELETED",
    "object": {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-9kq2x", "namespace": "shop", "resourceVersion": "1003"},
        "addressType": "IPv4",
        "endpoints": null,
        "ports": null
    }
}
{
    "type": "BOOKMARK",
    "object": {
        "kind": "EndpointSlice",
        "apiVersion": "discovery.k8s.io/v1",
        "metadata": {"resourceVersion": "1050", "annotations": {"k8s.io/initial-events-end": "true"}},
        "addressType": 7
    }
}
{
    "type": "ERROR",
    "object": {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "too old resource version: 1000 (1050)",
        "reason": "Expired",
        "code": 410
    }
}
)json";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Shapes

TEST_CASE("stream: --output-watch-events with a BOOKMARK and a 410 ERROR", "[stream]") {
  const decoded_document d = decode_document(watch_capture);
  REQUIRE_FALSE(d.syntax_error);
  CHECK(d.problems.empty());
  CHECK(d.values == 5);
  CHECK_FALSE(d.had_list);
  REQUIRE(d.events.size() == 5);
  const watch_event_type types[] = {watch_event_type::added, watch_event_type::modified, watch_event_type::deleted,
                                    watch_event_type::bookmark, watch_event_type::error};
  for (std::size_t i = 0; i < 5; ++i) {
    INFO(i);
    CHECK(d.events[i].type == types[i]);
    CHECK(d.events[i].shape == stream_shape::watch_event);
    CHECK(d.events[i].object.location == "object");
    CHECK(d.events[i].object.document == i);
    CHECK(d.events[i].object.problems.empty());
  }
  const auto& added = std::get<endpoint_slice_v4>(d.events[0].object.value.get<any_endpoint_slice>());
  CHECK(added.metadata.resource_version == "1001");
  CHECK(added.endpoints.at(0).conditions.ready == true);
  CHECK(std::get<endpoint_slice_v4>(d.events[1].object.value.get<any_endpoint_slice>()).endpoints.at(0).conditions.ready == false);
  CHECK(d.events[2].object.value.holds<any_endpoint_slice>());
  // The BOOKMARK's object is not a state: never decoded as a slice (its addressType of 7 would be
  // a problem), only its resourceVersion is read.
  const watch_event& bookmark = d.events[3];
  CHECK(bookmark.resource_version == "1050");
  REQUIRE(bookmark.object.value.holds<raw_object>());
  CHECK(bookmark.object.kind() == "EndpointSlice");
  CHECK(validate(bookmark.object).empty());
  CHECK_FALSE(bookmark.status);
  // The ERROR carries the Status.
  const watch_event& error = d.events[4];
  REQUIRE(error.status);
  CHECK(*error.status == api_status{"Failure", "too old resource version: 1000 (1050)", "Expired", 410});
  CHECK(error.object.kind() == "Status");
  CHECK(error.resource_version.empty());
  CHECK(to_string(watch_event_type::bookmark) == "BOOKMARK");
  CHECK(to_string(watch_event_type::error) == "ERROR");
}

TEST_CASE("stream: every shape kubectl and client-go print", "[stream]") {
  SECTION("client-go's field names") {
    const decoded_document d = decode_document(
        R"({"Type":"ADDED","Object":{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"a"}}}
{"Object":{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"a"}},"Type":"DELETED"})");
    REQUIRE(d.events.size() == 2);
    CHECK(d.events[0].shape == stream_shape::go_watch_event);
    CHECK(d.events[0].type == watch_event_type::added);
    CHECK(d.events[1].type == watch_event_type::deleted);
    CHECK(d.events[1].object.location == "Object");
    CHECK(d.events[1].object.value.get<endpoints>().metadata.name == "a");
  }
  SECTION("plain objects, as `kubectl get -o json --watch` prints them: each an upsert") {
    const decoded_document d = decode_document(read_sample("endpoints-web.json") + read_sample("service-web.json"));
    REQUIRE(d.events.size() == 2);
    for (const auto& e : d.events) {
      CHECK(e.type == watch_event_type::added);
      CHECK(e.shape == stream_shape::object);
    }
  }
  SECTION("kubectl's List: keys sorted, items with their own kind") {
    const std::string text = read_sample("endpointslices-web.json");
    const decoded_document d = decode_document(text);
    CHECK(d.had_list);
    REQUIRE(d.events.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(d.events[i].shape == stream_shape::list_item);
      CHECK(d.events[i].object.location == "items[" + std::to_string(i) + "]");
      CHECK_FALSE(d.events[i].object.kind_inferred);
    }
    REQUIRE(d.lists.size() == 1);
    CHECK(d.lists[0].kind == "List");
    CHECK(d.lists[0].api_version == "v1");
    CHECK(d.lists[0].items == 3);
  }
  SECTION("typed lists as the API server returns them: items take kind and apiVersion") {
    struct row {
      std::string list_kind, api_version, item_kind;
    };
    const std::vector<row> rows = {{"PodList", "v1", "Pod"},
                                   {"NodeList", "v1", "Node"},
                                   {"ServiceList", "v1", "Service"},
                                   {"EndpointsList", "v1", "Endpoints"},
                                   {"EndpointSliceList", "discovery.k8s.io/v1", "EndpointSlice"}};
    for (const row& r : rows) {
      INFO(r.list_kind);
      const std::string text = R"({"kind":")" + r.list_kind + R"(","apiVersion":")" + r.api_version +
                               R"(","metadata":{"resourceVersion":"42"},"items":[{"metadata":{"name":"x"}}]})";
      const decoded_document d = decode_document(text);
      REQUIRE(d.events.size() == 1);
      const decoded_object& o = d.events[0].object;
      CHECK(o.kind() == r.item_kind);
      CHECK(o.api_version() == r.api_version);
      CHECK(o.kind_inferred);
      CHECK(o.api_version_inferred);
      CHECK(encode(o, encode_options{}).find("\"kind\"") == std::string::npos);
      CHECK(encode(o, encode_options{.inferred_type_fields = true})
                .starts_with(R"({"kind":")" + r.item_kind + R"(","apiVersion":")" + r.api_version + "\""));
      REQUIRE(d.lists.size() == 1);
      CHECK(d.lists[0].metadata.resource_version == "42");
    }
    // The views decode items of typed lists.
    const decoded_document pods = decode_document(R"({"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"p"},"spec":{"nodeName":"n"}}]})");
    REQUIRE(pods.events.size() == 1);
    CHECK(decode_pod(pods.events[0].object.value.get<raw_object>()).node_name == "n");
  }
  SECTION("items of a List must carry their own kind") {
    const decoded_document d = decode_document(R"({"kind":"List","apiVersion":"v1","items":[{"metadata":{"name":"x"}}]})");
    REQUIRE(d.events.size() == 1);
    CHECK(d.events[0].object.kind().empty());
    CHECK(d.events[0].object.api_version().empty());
  }
  SECTION("a single object with kind and no apiVersion takes its kind's") {
    const decoded_document d = decode_document(R"({"kind":"EndpointSlice","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[]})");
    REQUIRE(d.events.size() == 1);
    const decoded_object& o = d.events[0].object;
    CHECK(o.api_version() == "discovery.k8s.io/v1");
    CHECK(o.api_version_inferred);
    CHECK_FALSE(o.kind_inferred);
    CHECK(encode(o, encode_options{}) == R"({"kind":"EndpointSlice","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[],"ports":null})");
  }
  SECTION("v1beta1 items of a typed list are converted like v1beta1 slices") {
    const decoded_document d = decode_document(R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1beta1","items":[
      {"metadata":{"name":"b"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"topology":{"topology.kubernetes.io/zone":"z1","rack":"r"}}]}]})");
    REQUIRE(d.events.size() == 1);
    const auto& s = std::get<endpoint_slice_v4>(d.events[0].object.value.get<any_endpoint_slice>());
    CHECK(s.api_version == "discovery.k8s.io/v1");
    CHECK(s.endpoints.at(0).zone == "z1");
    CHECK(s.endpoints.at(0).deprecated_topology == string_map{{"rack", "r"}});
    CHECK(s.endpoints.at(0).extra.empty());
  }
  SECTION("a list whose kind comes after its items (keys sorted as jq -S sorts them)") {
    const std::string text =
        R"({"apiVersion":"v1","items":[{"metadata":{"name":"a"}},{"kind":"Node","metadata":{"name":"b"}}],"kind":"PodList","metadata":{"resourceVersion":"9"}})";
    // Fed one byte at a time: the items without kind wait for the list's kind, in order.
    stream_decoder dec;
    std::size_t before_kind = 0;
    const std::size_t kind_at = text.find("\"kind\":\"PodList\"");
    for (std::size_t i = 0; i < text.size(); ++i) {
      dec.feed(text.substr(i, 1));
      if (i < kind_at) before_kind += dec.pending();
    }
    CHECK(before_kind == 0);
    dec.finish();
    auto a = dec.next();
    auto b = dec.next();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->object.kind() == "Pod");
    CHECK(a->object.kind_inferred);
    CHECK(b->object.kind() == "Node");
    CHECK(b->object.api_version() == "v1");  // from its (typed) list
    CHECK_FALSE(dec.next());
    const auto lists = dec.take_lists();
    REQUIRE(lists.size() == 1);
    CHECK(lists[0].metadata.resource_version == "9");
    CHECK(lists[0].items == 2);
  }
  SECTION("a List's items are each one object: none waits for the list's end") {
    stream_decoder dec;
    dec.feed(R"({"kind":"List","apiVersion":"v1","items":[{"kind":"Pod","metadata":{"name":"a"}},)");
    CHECK(dec.pending() == 1);
    dec.feed(R"({"kind":"Pod","metadata":{"name":"b"}})");
    CHECK(dec.pending() == 2);
    CHECK(dec.take_lists().empty());
    dec.feed("]}");
    dec.finish();
    CHECK(dec.take_lists().size() == 1);
    CHECK_FALSE(dec.syntax_error());
  }
}

TEST_CASE("stream: the same input in any pieces gives the same events", "[stream]") {
  std::vector<std::string> inputs;
  for (const char* name : {"endpoints-web.json", "endpointslices-web.json", "nodes.json", "pods-web.json", "service-web.json"})
    inputs.push_back(read_sample(name));
  inputs.push_back(watch_capture);
  inputs.push_back(R"({"apiVersion":"v1","items":[{"metadata":{"name":"a"}}],"kind":"PodList","metadata":{}} [1,{"kind":"Pod"}] "s" 5)");
  inputs.push_back("\xEF\xBB\xBF" + read_sample("service-web.json"));
  inputs.push_back(R"({"kind":"EndpointSlice","metadata":{"name":"a","name":"b","labels":{"x":"1","x":"2"}},"zz":1,"zz":[2],"kind":"Service"})");
  inputs.push_back(R"({"kind":"EndpointSlice","ports":[{"port":1e400},{"port":18446744073709551616}],"endpoints":[{"addresses":["10.0.0.1"]}],"addressType":"IPv4"})");
  inputs.push_back(R"({"a":"\ud83d\ude00 \u00e9 é 😀","b":[true,false,null,-0.5e-3]} {"kind":"Pod" "x":1})");
  inputs.push_back(R"([{"kind":"Pod"},{"kind":"Pod","metadata":{"name":"toolong-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}},{"kind":"Pod"}])");
  inputs.push_back(std::string("{\"kind\":\"Node\",\"x\":") + std::string(3000, '[') + std::string(3000, ']') + "} {\"kind\":\"Pod\"}");
  decode_limits small;
  small.max_object_bytes = 60;
  small.max_depth = 64;
  splitmix rng{7};
  for (const auto& text : inputs) {
    for (const decode_limits& limits : {decode_limits{}, small}) {
      INFO(text.substr(0, 120));
      const std::string whole = decode_whole(text, limits);
      CHECK(decode_in_pieces(text, nullptr, limits) == whole);
      for (int k = 0; k < 3; ++k) CHECK(decode_in_pieces(text, &rng, limits) == whole);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Limits

TEST_CASE("stream: limits are checked, and bad values refused", "[stream]") {
  decode_limits l;
  l.max_depth = 0;
  CHECK_THROWS_WITH(stream_decoder(l), "max_depth: Invalid value: must be between 1 and 100000, not 0");
  l.max_depth = 100001;
  CHECK_THROWS_WITH(stream_decoder(l), "max_depth: Invalid value: must be between 1 and 100000, not 100001");
  CHECK_THROWS_AS(decode_document(std::string_view("{}"), l), epslice::error);
  l.max_depth = 100000;
  l.max_object_bytes = 0;
  CHECK_THROWS_WITH(stream_decoder(l), "max_object_bytes: Invalid value: must be at least 1");
  l.max_object_bytes = 1;
  CHECK_NOTHROW(stream_decoder(l));
}

TEST_CASE("stream: an object over max_object_bytes is a problem of that object, and the next ones are read", "[stream]") {
  const std::string big = R"({"kind":"Pod","metadata":{"name":")" + std::string(200, 'a') + R"("}})";
  const std::string list = R"({"kind":"List","apiVersion":"v1","items":[{"kind":"Pod"},)" + big + R"(,{"kind":"Pod"}]})";
  decode_limits l;
  l.max_object_bytes = 100;
  const decoded_document d = decode_document(list, l);
  REQUIRE_FALSE(d.syntax_error);
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[0].object.problems.empty());
  REQUIRE(d.events[1].object.problems.size() == 1);
  const field_error& e = d.events[1].object.problems.get()[0];
  CHECK(e.path.empty());
  CHECK(d.events[1].object.location == "items[1]");
  CHECK(e.message() == "<root>: Too long: must be no more than 100 bytes (decode limit max_object_bytes)");
  CHECK(d.events[1].object.kind() == "Pod");  // read before the limit
  CHECK(d.events[1].object.value.get<raw_object>().json.empty());
  CHECK(d.events[2].object.problems.empty());
  // The throwing decoders name the object and the limit.
  CHECK_THROWS_WITH(decode_endpoint_slice(big, l), "<root>: Too long: must be no more than 100 bytes (decode limit max_object_bytes)");
  // The same object under the default limit is read.
  CHECK(decode_document(list).events[1].object.problems.empty());
  // An object exactly at the limit is read; one byte more is not.
  const std::string exact = R"({"kind":"Pod","x":")" + std::string(100 - 21, 'b') + "\"}";
  REQUIRE(exact.size() == 100);
  CHECK(decode_document(exact, l).events.at(0).object.problems.empty());
  CHECK_FALSE(decode_document(exact.substr(0, 99) + " }", l).events.at(0).object.problems.empty());
  // A number that ends exactly at the limit is within it.
  l.max_object_bytes = 5;
  CHECK(decode_document(std::string_view("12345 7"), l).problems.size() == 2);
  const decoded_document six = decode_document(std::string_view("123456 7"), l);
  REQUIRE(six.events.size() == 1);
  CHECK(messages(six.events[0].object.problems) ==
        std::vector<std::string>{"<root>: Too long: must be no more than 5 bytes (decode limit max_object_bytes)"});
  CHECK(six.problems.size() == 1);
}

TEST_CASE("stream: nesting past max_depth is a problem with a readable path, in linear time", "[stream]") {
  const std::size_t n = 100000;
  const std::string deep = std::string(n, '[') + std::string(n, ']');
  const std::string node = R"({"kind":"Node","metadata":{"name":"n"},"status":{"allocatable":{"cpu":)" + deep + "}}}";
  const std::string path_start = "status.allocatable.cpu[0][0][0]";
  const std::string want_reason = ": Invalid value: must not nest deeper than 1000 levels (decode limit max_depth)";

  // The text readers: decode_document, the stream decoder, the throwing decoders, the views.
  const decoded_document d = decode_document(node + R"({"kind":"Pod"})");
  REQUIRE_FALSE(d.syntax_error);
  REQUIRE(d.events.size() == 2);
  REQUIRE(d.events[0].object.problems.size() == 1);
  const std::string msg = d.events[0].object.problems.get()[0].message();
  INFO(msg);
  CHECK(msg.starts_with(path_start));
  CHECK(msg.ends_with("[0]..." + want_reason));
  CHECK(msg.size() < 400);
  CHECK(d.events[0].object.kind() == "Node");
  CHECK(d.events[1].object.problems.empty());  // reading goes on
  for (auto decode : {+[](std::string_view t) { (void)decode_endpoint_slice(t); }, +[](std::string_view t) { (void)decode_endpoints(t); },
                      +[](std::string_view t) { (void)decode_service(t); }, +[](std::string_view t) { (void)decode_node(t); },
                      +[](std::string_view t) { (void)decode_pod(t); }}) {
    try {
      decode(node);
      FAIL("no exception");
    } catch (const epslice::error& e) {
      CHECK(std::string(e.what()).ends_with(want_reason));
    }
  }
  // The DOM readers: nlohmann parses and destroys deep values without recursion; epslice reads
  // them without recursion either, with the same limit.
  const nlohmann::json j = nlohmann::json::parse(node);
  const decoded_document dj = decode_document(j);
  REQUIRE(dj.events.size() == 1);
  CHECK(dj.events[0].object.problems.get().at(0).message().ends_with(want_reason));
  CHECK_THROWS_AS(j.get<any_endpoint_slice>(), epslice::error);
  CHECK_THROWS_AS(j.get<endpoints>(), epslice::error);
  CHECK_THROWS_AS(j.get<endpoint_slice_v4>(), epslice::error);
  // The views read only their fields; the wrong value is echoed cut, never dumped whole.
  try {
    (void)decode_node(j);
    FAIL("no exception");
  } catch (const epslice::error& e) {
    CHECK(std::string(e.what()) == "status.allocatable.cpu: Invalid value: " + std::string(200, '[') + " ... (" +
                                       std::to_string(2 * n) + " bytes): must be a quantity such as 4, 3500m or 1.5");
  }
  const nlohmann::json svc = nlohmann::json::parse(R"({"spec":{"selector":)" + deep + "}}");
  CHECK_THROWS_WITH(decode_service(svc), "spec.selector: Invalid value: " + std::string(200, '[') + " ... (" +
                                             std::to_string(2 * n) + " bytes): must be an object of strings");
  const nlohmann::json pod_j = nlohmann::json::parse(R"({"status":{"podIP":)" + deep + "}}");
  CHECK_THROWS_WITH(decode_pod(pod_j), "status.podIP: Invalid value: " + std::string(200, '[') + " ... (" +
                                           std::to_string(2 * n) + " bytes): must be a string");
  // A raw object built by hand, nested past the limit.
  CHECK_THROWS_WITH(decode_node(raw_object{"Node", "v1", node}),
                    Catch::Matchers::StartsWith(path_start) && Catch::Matchers::EndsWith(want_reason));

  // Raised to 100,000, the same input is read.
  decode_limits l;
  l.max_depth = 100000;
  const decoded_document deep_ok = decode_document(R"({"kind":"Pod","x":)" + std::string(n - 1, '[') + std::string(n - 1, ']') + "}", l);
  REQUIRE(deep_ok.events.size() == 1);
  CHECK(deep_ok.events[0].object.problems.empty());
  CHECK(deep_ok.events[0].object.value.get<raw_object>().json.size() == 2 * (n - 1) + 19);
  // And one level more is not.
  const decoded_document too_deep = decode_document(R"({"kind":"Pod","x":)" + deep + "}", l);
  CHECK(messages(too_deep.events.at(0).object.problems).at(0).ends_with(
      ": Invalid value: must not nest deeper than 100000 levels (decode limit max_depth)"));
}

// ---------------------------------------------------------------------------------------------
// Numbers, BOM, empty and endless input

TEST_CASE("stream: numbers valid in JSON but out of range are problems of their field", "[stream]") {
  const std::string digits(5000, '9');
  const std::string text = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"generation":)" + digits +
                           R"(},"addressType":"IPv4","endpoints":[],"ports":[{"port":1e400},{"port":-1e400},{"port":18446744073709551616},{"port":)" +
                           digits + R"(},{"port":80}],"x":1e400})";
  const decoded_document d = decode_document(text);
  REQUIRE_FALSE(d.syntax_error);  // valid JSON: never "not JSON"
  REQUIRE(d.events.size() == 1);
  const std::string cut = std::string(200, '9') + " ... (5000 bytes)";
  CHECK(messages(d.events[0].object.problems) ==
        std::vector<std::string>{
            "metadata.generation: Invalid value: " + cut +
                ": out of range: must be between -9223372036854775808 and 9223372036854775807",
            "ports[0].port: Invalid value: 1e400: out of range: must be between -2147483648 and 2147483647",
            "ports[1].port: Invalid value: -1e400: out of range: must be between -2147483648 and 2147483647",
            "ports[2].port: Invalid value: 18446744073709551616: out of range: must be between -2147483648 and 2147483647",
            "ports[3].port: Invalid value: " + cut + ": out of range: must be between -2147483648 and 2147483647",
        });
  // An unknown field keeps its number as written.
  const auto& s = std::get<endpoint_slice_v4>(d.events[0].object.value.get<any_endpoint_slice>());
  CHECK(s.extra == unknown_fields{{"x", "1e400"}});
  CHECK(s.ports.at(4).port == 80);
  CHECK_THROWS_WITH(decode_endpoint_slice(
                        R"({"kind":"EndpointSlice","addressType":"IPv4","ports":[{"port":18446744073709551616}]})"),
                    "ports[0].port: Invalid value: 18446744073709551616: out of range: must be between -2147483648 and 2147483647");
}

TEST_CASE("stream: a UTF-8 BOM is skipped, empty input is empty, endless bad input fails at once", "[stream]") {
  const std::string svc = read_sample("service-web.json");
  const decoded_document with_bom = decode_document("\xEF\xBB\xBF" + svc);
  REQUIRE_FALSE(with_bom.syntax_error);
  REQUIRE(with_bom.events.size() == 1);
  CHECK(encode(with_bom.events[0].object, encode_options{}) == encode(decode_document(svc).events.at(0).object, encode_options{}));
  const decoded_document bad_bom = decode_document(std::string_view("\xEF\xBB{}"));
  REQUIRE(bad_bom.syntax_error);
  CHECK(bad_bom.syntax_error->message ==
        "syntax error while parsing value - invalid BOM; must be 0xEF 0xBB 0xBF if given; last read: '\xEF\xBB{'");
  // A BOM alone is empty input; so is nothing at all, and white space.
  for (std::string_view empty : {std::string_view(""), std::string_view("\xEF\xBB\xBF"), std::string_view(" \n\t\r ")}) {
    const decoded_document d = decode_document(empty);
    REQUIRE(d.syntax_error);
    CHECK(d.syntax_error->message == "empty input");
  }
  // /dev/zero: the first byte is the error; further input is ignored, whatever its length.
  stream_decoder zeros;
  const std::string chunk(1 << 16, '\0');
  zeros.feed(chunk);
  REQUIRE(zeros.syntax_error());
  CHECK(zeros.syntax_error()->offset == 0);
  CHECK(zeros.syntax_error()->message == "syntax error while parsing value - invalid literal; last read: '<U+0000>'");
  for (int i = 0; i < 100; ++i) zeros.feed(chunk);
  zeros.finish();
  CHECK(zeros.syntax_error()->offset == 0);
  CHECK_FALSE(zeros.next());
}

// ---------------------------------------------------------------------------------------------
// Repeated keys

TEST_CASE("stream: a repeated key keeps its last value everywhere, and is recorded", "[stream]") {
  SECTION("kind decides the type by its last value") {
    const decoded_document d =
        decode_document(R"({"kind":"EndpointSlice","apiVersion":"v1","metadata":{"name":"a"},"kind":"Service"})");
    REQUIRE(d.events.size() == 1);
    const decoded_object& o = d.events[0].object;
    CHECK(o.kind() == "Service");
    CHECK(o.value.get<raw_object>().json == R"({"apiVersion":"v1","metadata":{"name":"a"},"kind":"Service"})");
    CHECK(messages(o.duplicates) == std::vector<std::string>{R"(kind: Duplicate value: "kind")"});
    CHECK(o.problems.empty());
    // Read as a Service, it is one.
    CHECK(decode_service(R"({"kind":"EndpointSlice","metadata":{"name":"a"},"kind":"Service"})").metadata.name == "a");
    CHECK_THROWS_WITH(decode_endpoint_slice(R"({"kind":"EndpointSlice","kind":"Service"})"),
                      "kind: Invalid value: expected EndpointSlice, got Service");
  }
  SECTION("every field of a slice, labels, annotations and unknown fields") {
    const std::string text = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
      "metadata":{"name":"x","name":"y","labels":{"app":"a","app":"b","k":"v"},"annotations":{"n":"1"},"annotations":{"m":"2"},
                  "ownerReferences":[{"name":"o1"}],"ownerReferences":[{"name":"o2","uid":"u","uid":"w"}],"zz":1,"zz":2},
      "addressType":"IPv4",
      "endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true,"ready":false},"nodeName":"n1","nodeName":"n2",
                    "hints":{"forZones":[{"name":"a"}],"forZones":[{"name":"b"}]},"u":1,"u":{"v":2}}],
      "ports":[{"port":80,"port":81,"name":"p"}],
      "extra":[1],"extra":[2],"extra":[3]})";
    const decoded_document d = decode_document(text);
    REQUIRE(d.events.size() == 1);
    const decoded_object& o = d.events[0].object;
    CHECK(o.problems.empty());
    CHECK(messages(o.duplicates) == std::vector<std::string>{
                                        R"(metadata.name: Duplicate value: "name")",
                                        R"(metadata.labels.app: Duplicate value: "app")",
                                        R"(metadata.annotations: Duplicate value: "annotations")",
                                        R"(metadata.ownerReferences: Duplicate value: "ownerReferences")",
                                        R"(metadata.ownerReferences[0].uid: Duplicate value: "uid")",
                                        R"(metadata.zz: Duplicate value: "zz")",
                                        R"(endpoints[0].conditions.ready: Duplicate value: "ready")",
                                        R"(endpoints[0].nodeName: Duplicate value: "nodeName")",
                                        R"(endpoints[0].hints.forZones: Duplicate value: "forZones")",
                                        R"(endpoints[0].u: Duplicate value: "u")",
                                        R"(ports[0].port: Duplicate value: "port")",
                                        R"(extra: Duplicate value: "extra")",
                                        R"(extra: Duplicate value: "extra")",
                                    });
    const auto& s = std::get<endpoint_slice_v4>(o.value.get<any_endpoint_slice>());
    CHECK(s.metadata.name == "y");
    CHECK(s.metadata.labels == string_map{{"app", "b"}, {"k", "v"}});
    CHECK(s.metadata.annotations == string_map{{"m", "2"}});
    REQUIRE(s.metadata.owner_references.size() == 1);
    CHECK(s.metadata.owner_references[0].name == "o2");
    CHECK(s.metadata.owner_references[0].uid == "w");
    CHECK(s.metadata.extra == unknown_fields{{"zz", "2"}});
    CHECK(s.endpoints.at(0).conditions.ready == false);
    CHECK(s.endpoints.at(0).node_name == "n2");
    CHECK(s.endpoints.at(0).hints->for_zones == std::vector<for_zone>{{"b"}});
    CHECK(s.endpoints.at(0).extra == unknown_fields{{"u", R"({"v":2})"}});
    CHECK(s.ports.at(0).port == 81);
    CHECK(s.extra == unknown_fields{{"extra", "[3]"}});
    // Repeated keys do not make the decoders throw; validate reports them as the API server's
    // strict field validation does, with the object's own problems.
    CHECK_NOTHROW(decode_endpoint_slice(text));
    const field_errors v = validate(o);
    REQUIRE(v.size() >= 13);
    CHECK(v[1].message() == R"(metadata.labels.app: Duplicate value: "app")");
    // What is written back reads back the same, with no repetition left.
    const std::string out = encode(o, encode_options{});
    const decoded_document again = decode_document(out);
    CHECK(again.events.at(0).object.value == o.value);
    CHECK(again.events.at(0).object.duplicates.empty());
  }
  SECTION("raw objects, Endpoints, Lists and watch events") {
    const decoded_document d = decode_document(
        R"({"kind":"Pod","spec":{"a":1,"b":{"c":1,"c":2},"a":[3]},"metadata":{"name":"p"}}
{"kind":"Endpoints","subsets":[{"addresses":[{"ip":"10.0.0.1"}],"addresses":[{"ip":"10.0.0.2"}]}]}
{"kind":"List","items":[],"metadata":{"resourceVersion":"1","resourceVersion":"2"}}
{"type":"ADDED","type":"MODIFIED","object":{"kind":"Pod"}})");
    REQUIRE(d.events.size() == 3);
    CHECK(d.events[0].object.value.get<raw_object>().json == R"({"kind":"Pod","spec":{"b":{"c":2},"a":[3]},"metadata":{"name":"p"}})");
    CHECK(messages(d.events[0].object.duplicates) ==
          std::vector<std::string>{R"(spec.b.c: Duplicate value: "c")", R"(spec.a: Duplicate value: "a")"});
    const auto& e = d.events[1].object.value.get<endpoints>();
    REQUIRE(e.subsets.at(0).addresses.size() == 1);
    CHECK(e.subsets[0].addresses[0].ip == "10.0.0.2");
    CHECK(messages(d.events[1].object.duplicates) == std::vector<std::string>{R"(subsets[0].addresses: Duplicate value: "addresses")"});
    REQUIRE(d.lists.size() == 1);
    CHECK(d.lists[0].metadata.resource_version == "2");
    CHECK(messages(d.lists[0].duplicates) ==
          std::vector<std::string>{R"(metadata.resourceVersion: Duplicate value: "resourceVersion")"});
    CHECK(d.events[2].type == watch_event_type::modified);
    CHECK(messages(d.problems) == std::vector<std::string>{R"(type: Duplicate value: "type")"});
  }
  SECTION("a service read from text keeps the last value too") {
    const service s = decode_service(R"({"kind":"Service","spec":{"selector":{"app":"a"},"selector":{"app":"b"},"clusterIP":"1.2.3.4"}})");
    REQUIRE(s.selector);
    CHECK(*s.selector == string_map{{"app", "b"}});
  }
  SECTION("detection is linear in the number of keys") {
    // 100,000 distinct keys, then each of them again: quadratic detection would take minutes.
    std::string text = R"({"kind":"Pod","spec":{)";
    for (int round = 0; round < 2; ++round)
      for (int i = 0; i < 100000; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(round) + ",";
    text.back() = '}';
    text += "}";
    const decoded_document d = decode_document(text);
    REQUIRE(d.events.size() == 1);
    CHECK(d.events[0].object.duplicates.size() == 100000);
    const std::string& json = d.events[0].object.value.get<raw_object>().json;
    CHECK(json.find("\"k99999\":1}") != std::string::npos);
    CHECK(json.find(":0") == std::string::npos);
    // The same in a slice's unknown fields.
    std::string slice = R"({"kind":"EndpointSlice","addressType":"IPv4",)";
    for (int round = 0; round < 2; ++round)
      for (int i = 0; i < 50000; ++i) slice += "\"u" + std::to_string(i) + "\":" + std::to_string(round) + ",";
    slice.back() = '}';
    const decoded_document ds = decode_document(slice);
    REQUIRE(ds.events.size() == 1);
    CHECK(ds.events[0].object.duplicates.size() == 50000);
    const auto& raw = std::get<endpoint_slice_v4>(ds.events[0].object.value.get<any_endpoint_slice>());
    REQUIRE(raw.extra.size() == 50000);
    CHECK(raw.extra.front() == unknown_field{"u0", "1"});
  }
}

// ---------------------------------------------------------------------------------------------
// Echoed values and memory

TEST_CASE("stream: a huge name is echoed once, cut, with its length", "[stream]") {
  // Three megabytes stand for the 200 MB name of the hostile input.
  const std::string name(3 << 20, 'a');
  const decoded_document d = decode_document(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":")" +
                                             name + R"(","namespace":"default"},"addressType":"IPv4","endpoints":[]})");
  REQUIRE(d.events.size() == 1);
  const field_errors v = validate(d.events[0].object);
  REQUIRE_FALSE(v.empty());
  CHECK(v[0].message() == "metadata.name: Invalid value: \"" + std::string(200, 'a') +
                              "\" ... (3145728 bytes): must be no more than 253 characters");
  // A wrong type echoes the value cut as well.
  const decoded_document t = decode_document(R"({"kind":"EndpointSlice","metadata":{"name":")" + name + R"("},"addressType":")" +
                                             name + R"(","endpoints":[{"addresses":")" + name + R"("}]})");
  REQUIRE(t.events.size() == 1);
  CHECK(messages(t.events[0].object.problems) ==
        std::vector<std::string>{"endpoints[0].addresses: Invalid value: \"" + std::string(200, 'a') +
                                 "\" ... (3145728 bytes): must be an array, not a string"});
}

TEST_CASE("stream: a decoded object costs memory in proportion to its content", "[stream]") {
  // The value is held out of line: a small object does not pay for the largest alternative.
  static_assert(sizeof(object_value) <= 16);
  static_assert(sizeof(decoded_object) <= 80);
  CHECK(sizeof(watch_event) <= 128);
  CHECK(sizeof(any_endpoint_slice) > 4 * sizeof(decoded_object));
  const decoded_document d = decode_document(std::string_view("{}{}{}"));
  REQUIRE(d.events.size() == 3);
  CHECK(d.events[2].object.value.get<raw_object>().json == "{}");
  CHECK(d.events[2].object.problems.empty());
}

// ---------------------------------------------------------------------------------------------
// Agreement with nlohmann's parser

namespace {

// A random JSON text of values of every kind, with strings of every escape and UTF-8 length.
void random_value(splitmix& rng, std::string& out, int depth) {
  switch (rng.below(depth > 4 ? 6 : 8)) {
    case 0: out += rng.below(2) ? "true" : "false"; break;
    case 1: out += "null"; break;
    case 2: {
      static constexpr const char* numbers[] = {"0", "-0", "1", "-1", "12345678901234567890", "9223372036854775807",
                                                "-9223372036854775808", "18446744073709551615", "0.5", "-1.25e-3",
                                                "1E+10", "2e308", "1e-400", "123456789012345678901234567890", "3.0"};
      out += numbers[rng.below(std::size(numbers))];
      break;
    }
    case 3:
    case 4:
    case 5: {
      static constexpr const char* pieces[] = {"a", "kind", " ", "\\n", "\\\"", "\\\\", "\\/", "\\u00e9", "\\ud83d\\ude00",
                                               "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\\t", "<&>", "\\u0000"};
      out += '"';
      for (std::size_t k = rng.below(6); k-- > 0;) out += pieces[rng.below(std::size(pieces))];
      out += '"';
      break;
    }
    case 6: {
      out += '[';
      for (std::size_t k = rng.below(4); k-- > 0;) {
        random_value(rng, out, depth + 1);
        if (k) out += rng.below(8) ? "," : " , ";
      }
      out += ']';
      break;
    }
    default: {
      out += '{';
      for (std::size_t k = rng.below(4); k-- > 0;) {
        out += rng.below(4) ? "\"k" + std::to_string(rng.below(3)) + "\":" : "\"kind\" : ";
        random_value(rng, out, depth + 1);
        if (k) out += ',';
      }
      out += '}';
      break;
    }
  }
}

std::string mutate(std::string text, splitmix& rng) {
  static constexpr std::string_view alphabet = "{}[]\":,0123456789-+.eE tfnulx\\\n\x01\x7f\x80\xC3\xBF\xED\xF4";
  for (std::size_t k = 1 + rng.below(3); k-- > 0 && !text.empty();) {
    const std::size_t at = rng.below(text.size());
    switch (rng.below(4)) {
      case 0: text[at] = alphabet[rng.below(alphabet.size())]; break;
      case 1: text.insert(at, 1, alphabet[rng.below(alphabet.size())]); break;
      case 2: text.erase(at, 1 + rng.below(3)); break;
      default: text.resize(at); break;
    }
  }
  return text;
}

// True when a number of the (valid) text is beyond the range of a double.
bool has_number_beyond_double(std::string_view text) {
  struct finder {
    bool found = false;
    void start_object() {}
    void end_object() {}
    void start_array() {}
    void end_array() {}
    void key(std::string_view, bool) {}
    void string(std::string_view) {}
    void number(const detail::json_number& n) { found = found || n.beyond_double(); }
    void boolean(bool) {}
    void null() {}
  } f;
  detail::validated_parser p;
  p.parse(text, f);
  return f.found;
}

}  // namespace

TEST_CASE("stream: accepts exactly what nlohmann accepts, with the same values", "[stream]") {
  splitmix rng{20250101};
  std::size_t accepted = 0, rejected = 0;
#if defined(EPSLICE_SANITIZE_BUILD)
  const int cases = 3000;
#else
  const int cases = 30000;
#endif
  for (int c = 0; c < cases; ++c) {
    std::string text;
    random_value(rng, text, 0);
    if (rng.below(2)) text = mutate(text, rng);
    if (rng.below(8) == 0) text = " \n" + text + "\t ";
    // nlohmann ends its input at a NUL byte outside strings (RFC 8259 has no such rule): left out.
    if (text.find('\0') != std::string::npos) continue;
    INFO("case " << c << ": " << text);
    const bool theirs = nlohmann::json::accept(text);
    bool ours = true;
    nlohmann::json value;
    try {
      value = detail::parse_dom(text, "value");
    } catch (const epslice::error&) {
      ours = false;
    }
    if (ours && !theirs) {
      // The one difference: nlohmann refuses numbers beyond a double (1e400), which are valid JSON.
      CHECK(has_number_beyond_double(text));
      continue;
    }
    CHECK(ours == theirs);
    if (ours && theirs) {
      ++accepted;
      CHECK(value == nlohmann::json::parse(text));
    } else {
      ++rejected;
    }
    // The stream decoder agrees with itself in any pieces.
    if (c % 16 == 0) CHECK(decode_in_pieces(text, &rng) == decode_whole(text));
  }
  CHECK(accepted > static_cast<std::size_t>(cases) / 4);
  CHECK(rejected > static_cast<std::size_t>(cases) / 8);
}

TEST_CASE("stream: escaped keys keep their text however many an object holds", "[stream]") {
  // The reader keeps unescaped keys in an arena while it reads an object; growing the arena must
  // not move the keys it already handed out (a use-after-free once caught by the simdjson
  // differential test on `{"kind":"Endpoints","b\\s":{"b\u0061":false}}`).
  const auto first = decode_document(R"({"kind":"Endpoints","b\\s":{"b\u0061":false}})");
  REQUIRE(first.events.size() == 1);
  CHECK(encode(first.events[0].object) == R"({"kind":"Endpoints","metadata":{},"b\\s":{"ba":false}})");
  std::string text = R"({"kind":"Endpoints","apiVersion":"v1","metadata":{},"x":{)";
  std::string expected = text;
  for (int i = 0; i < 200; ++i) {
    text += (i ? "," : "") + std::string(R"("k\u0030)") + std::to_string(i) + R"(":{"\u0061)" + std::to_string(i) + R"(":1})";
    expected += (i ? "," : "") + std::string(R"("k0)") + std::to_string(i) + R"(":{"a)" + std::to_string(i) + R"(":1})";
  }
  text += "}}";
  expected += "}}";
  const auto many = decode_document(text);
  REQUIRE(many.events.size() == 1);
  CHECK(encode(many.events[0].object) == expected);
}
