// SPDX-License-Identifier: Apache-2.0
// The command-line contracts of `epslice validate`, `fmt` and `describe`, checked by running the tool.
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include "cli_runner.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using epslice_test::run;
using epslice_test::slurp;

const std::string data = EPSLICE_TEST_DATA_DIR;

const char* broken_slice =
    R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"generateName":"web-","namespace":"shop"},)"
    R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.300"]}],"ports":[]})";

}  // namespace

TEST_CASE("cli: help and usage errors", "[cli]") {
  auto r = run("--help");
  CHECK(r.code == 0);
  CHECK(r.out.find("validate") != std::string::npos);
  CHECK(r.out.find("fmt") != std::string::npos);
  CHECK(run("").code == 2);
  CHECK(run("no-such-command").code == 2);
  auto bad = run("validate --no-such-option");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("unknown option --no-such-option") != std::string::npos);
  CHECK(run("validate --help").code == 0);
  CHECK(run("fmt --help").code == 0);
}

TEST_CASE("cli: validate accepts every sample", "[cli]") {
  for (const char* f : {"endpointslices-web.json", "endpoints-web.json", "service-web.json", "nodes.json",
                        "pods-web.json"}) {
    INFO(f);
    auto r = run("validate " + data + "/" + f);
    CHECK(r.code == 0);
  }
  // Several files at once; other kinds give one notice line each and do not change the code.
  auto r = run("validate " + data + "/service-web.json " + data + "/endpointslices-web.json");
  CHECK(r.code == 0);
  CHECK(r.err == data + "/service-web.json: notice: Service shop/web: not validated (epslice validates "
                        "EndpointSlice and Endpoints)\n");
}

TEST_CASE("cli: validate reports each problem on its own line and exits 1", "[cli]") {
  auto r = run("validate -", broken_slice);
  CHECK(r.code == 1);
  CHECK(r.err.find("-: EndpointSlice shop/web-*: endpoints[1].addresses[0]: Invalid value: \"10.0.0.300\"") == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  // A wrong JSON type is invalid input too (the API server rejects it), with its field path.
  auto t = run("validate",
               R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","namespace":"b"},)"
               R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":"yes"}}],"ports":null})");
  CHECK(t.code == 1);
  CHECK(t.err == "-: EndpointSlice b/a: endpoints[0].conditions.ready: Invalid value: \"yes\": must be a boolean, "
                 "not a string\n");
}

TEST_CASE("cli: validate exit 2 for input that is not JSON or cannot be read", "[cli]") {
  auto r = run("validate -", "{\"kind\":\n  [1,}");
  CHECK(r.code == 2);
  CHECK(r.err.find("-:2:6: not JSON:") == 0);
  auto empty = run("validate -", "");
  CHECK(empty.code == 2);
  CHECK(empty.err == "epslice: -: empty input\n");
  auto missing = run("validate /nonexistent/file.json");
  CHECK(missing.code == 2);
  CHECK(missing.err == "epslice: /nonexistent/file.json: no such file\n");
  // The highest code wins across files.
  CHECK(run("validate - /nonexistent/file.json", broken_slice).code == 2);
}

TEST_CASE("cli: fmt returns every sample as the same JSON value", "[cli]") {
  for (const char* f : {"endpointslices-web.json", "endpoints-web.json", "service-web.json", "nodes.json",
                        "pods-web.json"}) {
    INFO(f);
    auto r = run("fmt " + data + "/" + f);
    REQUIRE(r.code == 0);
    const auto in = nlohmann::json::parse(slurp(data + "/" + f));
    const auto out = nlohmann::json::parse(r.out);
    CHECK(in == out);
  }
}

TEST_CASE("cli: fmt keeps nil and empty lists apart and prints lists as List", "[cli]") {
  const std::string a =
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","namespace":"n"},"addressType":"IPv4","endpoints":null,"ports":[]})";
  const std::string b =
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"b","namespace":"n"},"addressType":"IPv6","endpoints":[],"ports":null})";
  auto one = run("fmt --compact -", a);
  REQUIRE(one.code == 0);
  CHECK(one.out == a + "\n");
  auto stream = run("fmt --compact", a + "\n" + b);
  REQUIRE(stream.code == 0);
  CHECK(stream.out == R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[)" + a + "," + b +
                          "]}\n");
  // One typed list prints as itself: its kind and apiVersion stay (and its resourceVersion, which
  // a client resumes a watch from).
  auto typed = run("fmt --compact", R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","items":[)" + a + "]}");
  REQUIRE(typed.code == 0);
  CHECK(typed.out == R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSliceList","metadata":{"resourceVersion":""},"items":[)" +
                         a + "]}\n");
}

TEST_CASE("cli: fmt writes as it reads and says what it left out", "[cli]") {
  const std::string a = R"({"kind":"Thing","metadata":{"name":"a"}})";
  const std::string b = R"({"kind":"Thing","metadata":{"name":"b"}})";
  const std::string list_head = R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[)";
  // A syntax error ends the output with the objects before it, still one valid List; exit 2.
  auto cut = run("fmt --compact -", a + b + "{\"kind\":");
  CHECK(cut.code == 2);
  CHECK(cut.out == list_head + a + "," + b + "]}\n");
  CHECK(cut.err == "-:1:89: not JSON: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal\n");
  // An object with problems is left out (each problem on standard error); exit 1.
  auto bad = run("fmt --compact -", a + R"({"kind":"Endpoints","metadata":{"name":"e"},"subsets":7})" + b);
  CHECK(bad.code == 1);
  CHECK(bad.out == list_head + a + "," + b + "]}\n");
  CHECK(bad.err == "-: Endpoints e: subsets: Invalid value: 7: must be an array, not a number\n");
  // Objects, then a watch event: the List begun is closed, and the events print by themselves.
  const std::string ev = R"({"type":"DELETED","object":)" + a + "}";
  auto mixed = run("fmt --compact -", a + b + ev + b);
  CHECK(mixed.code == 0);
  CHECK(mixed.out == list_head + a + "," + b + "]}\n" + ev + "\n" + b + "\n");
  // One object before the first event prints by itself.
  auto before = run("fmt --compact -", a + ev);
  CHECK(before.out == a + "\n" + ev + "\n");
  // A List whose own fields follow its items (kubectl's order) still prints under them.
  auto late = run("fmt --compact -", R"({"apiVersion":"discovery.k8s.io/v1","items":[)" + a + "," + b +
                                         R"(],"kind":"EndpointSliceList","metadata":{"resourceVersion":"42"}})");
  CHECK(late.code == 0);
  CHECK(late.out == R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSliceList","metadata":{"resourceVersion":"42"},"items":[)" +
                        a + "," + b + "]}\n");
  // A List followed by another value: one plain List of everything.
  auto two = run("fmt --compact -", R"({"kind":"PodList","apiVersion":"v1","items":[)" + a + "]}" + b);
  CHECK(two.out == list_head + a + "," + b + "]}\n");
  // Nothing printable read and an input unreadable, or its objects left out: no output (not an
  // empty List).
  auto none = run("fmt --compact /nonexistent/x.json");
  CHECK(none.code == 2);
  CHECK(none.out.empty());
  auto all_bad = run("fmt --compact -", R"({"kind":"Endpoints","metadata":{"name":"e"},"subsets":7})");
  CHECK(all_bad.code == 1);
  CHECK(all_bad.out.empty());
  // An empty List read: an empty List printed.
  auto empty = run("fmt --compact -", R"({"kind":"List","apiVersion":"v1","items":[]})");
  CHECK(empty.code == 0);
  CHECK(empty.out == list_head + "]}\n");
}

TEST_CASE("cli: validate and describe report objects before a syntax error", "[cli]") {
  // Read object by object: what precedes the error is checked and described; exit 2.
  auto v = run("validate -", std::string(broken_slice) + "\n{");
  CHECK(v.code == 2);
  CHECK(v.err == "-: EndpointSlice shop/web-*: endpoints[1].addresses[0]: Invalid value: \"10.0.0.300\": must be a valid IPv4 address\n"
                 "-:2:2: not JSON: syntax error while parsing object key - unexpected end of input; expected string literal\n");
  auto d = run("describe -", std::string(broken_slice) + "\n{");
  CHECK(d.code == 2);
  CHECK(d.out.rfind("-: EndpointSlice shop/web-*: IPv4, 2 endpoints", 0) == 0);
  // An object without kind or name is named as such.
  auto n = run("validate -", "{}");
  CHECK(n.code == 0);
  CHECK(n.err == "-: notice: <no kind> <no name>: not validated (epslice validates EndpointSlice and Endpoints)\n");
}

TEST_CASE("cli: fmt converts v1beta1 slices to v1", "[cli]") {
  auto r = run("fmt --compact",
               R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1beta1","metadata":{"name":"a","namespace":"n"},)"
               R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{},"nodeName":"n1",)"
               R"("topology":{"topology.kubernetes.io/zone":"z1","kubernetes.io/hostname":"n1","rack":"r7"}}],"ports":[]})");
  REQUIRE(r.code == 0);
  CHECK(r.out ==
        R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","namespace":"n"},)"
        R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{},"deprecatedTopology":{"rack":"r7"},)"
        R"("nodeName":"n1","zone":"z1"}],"ports":[]})"
        "\n");
}

TEST_CASE("cli: describe summarises slices", "[cli]") {
  auto r = run("describe " + data + "/endpointslices-web.json");
  CHECK(r.code == 0);
  CHECK(r.out.find("EndpointSlice shop/web-9kq2x: IPv4, 6 endpoints (5 ready, 6 serving, 1 terminating), ports "
                   "[http:8080/TCP, metrics:9090/TCP]: valid") != std::string::npos);
}

#endif  // EPSLICE_CLI_PATH

#ifdef EPSLICE_CLI_PATH
TEST_CASE("cli: validate reports repeated keys as the API server's strict field validation does", "[cli]") {
  // The last value is the one kept (fmt prints it); validate names every repeated key, exit 1.
  const std::string text =
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","namespace":"n",)"
      R"("labels":{"x":"1","x":"2"}},"addressType":"IPv4","endpoints":[],"ports":[],"ports":[]})";
  const auto v = epslice_test::run("validate -", text);
  CHECK(v.code == 1);
  CHECK(v.err == "-: EndpointSlice n/a: metadata.labels.x: Duplicate value: \"x\"\n"
                 "-: EndpointSlice n/a: ports: Duplicate value: \"ports\"\n");
  const auto f = epslice_test::run("fmt --compact -", text);
  CHECK(f.code == 0);
  CHECK(f.out == R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","namespace":"n",)"
                 R"("labels":{"x":"2"}},"addressType":"IPv4","endpoints":[],"ports":[]})"
                 "\n");
}
#endif
