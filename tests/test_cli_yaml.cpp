// SPDX-License-Identifier: Apache-2.0
// YAML input of the epslice tool: kubectl's output, hand-written files, kubectl's scalar rules, errors.
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include "cli_runner.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace {

using epslice_test::run;
using epslice_test::scratch_files;

const std::string data = EPSLICE_TEST_DATA_DIR;

}  // namespace

TEST_CASE("cli yaml: kubectl's -o yaml output reads as its JSON does", "[cli][yaml]") {
  const std::string yaml = data + "/cli/endpointslices-web.yaml";
  const std::string json = data + "/endpointslices-web.json";
  for (const std::string command : {"fmt --compact", "describe", "validate", "eds --compact --slices",
                                    "select --compact --node node-b1 --zone eu-west-1b --slices",
                                    "convert --to endpoints --compact", "reconcile --compact --desired"}) {
    INFO(command);
    const auto from_yaml = run(command + " " + yaml);
    const auto from_json = run(command + " " + json);
    CHECK(from_yaml.code == 0);
    CHECK(from_yaml.code == from_json.code);
    // The same, but for the file name (describe and messages name it).
    const auto renamed = [&](std::string text) {
      for (std::size_t at = text.find(json); at != std::string::npos; at = text.find(json, at + yaml.size()))
        text.replace(at, json.size(), yaml);
      return text;
    };
    CHECK(from_yaml.out == renamed(from_json.out));
    CHECK(from_yaml.err == renamed(from_json.err));
  }
}

TEST_CASE("cli yaml: hand-written multi-document slices", "[cli][yaml]") {
  const std::string file = data + "/cli/db-slices.yaml";
  const auto v = run("validate " + file);
  CHECK(v.code == 0);
  CHECK(v.err.empty());
  // Comments, flow and block styles, `yes`/`no`/`on` booleans, an anchor and its alias, `...`.
  const auto f = run("fmt --compact " + file);
  REQUIRE(f.code == 0);
  CHECK(f.out ==
        R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[{"kind":"EndpointSlice",)"
        R"("apiVersion":"discovery.k8s.io/v1","metadata":{"name":"db-1","namespace":"shop","labels":{)"
        R"("endpointslice.kubernetes.io/managed-by":"ops.example.com","kubernetes.io/service-name":"db"}},)"
        R"("addressType":"IPv4","endpoints":[{"addresses":["10.1.0.10"],"conditions":{"ready":true},"zone":"eu-west-1a"},)"
        R"({"addresses":["10.1.0.11"],"conditions":{"ready":false,"serving":true,"terminating":true},"zone":"eu-west-1b"},)"
        R"({"addresses":["10.1.0.13"],"conditions":{"ready":true},"zone":"eu-west-1b"}],"ports":[{"name":"postgres",)"
        R"("protocol":"TCP","port":5432}]},{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{)"
        R"("name":"db-2","namespace":"shop","labels":{"endpointslice.kubernetes.io/managed-by":"ops.example.com",)"
        R"("kubernetes.io/service-name":"db"}},"addressType":"IPv4","endpoints":[{"addresses":["10.1.0.12"],)"
        R"("conditions":{},"zone":"eu-west-1c"}],"ports":[{"name":"postgres","protocol":"TCP","port":5432}]}]})"
        "\n");
  const auto e = run("eds --compact --slices " + file);
  REQUIRE(e.code == 0);
  CHECK(e.out ==
        R"([{"cluster_name":"shop/db:postgres","endpoints":[{"locality":{"zone":"eu-west-1a"},"lb_endpoints":[)"
        R"({"endpoint":{"address":{"socket_address":{"address":"10.1.0.10","port_value":5432}}},"health_status":"HEALTHY"}]},)"
        R"({"locality":{"zone":"eu-west-1b"},"lb_endpoints":[{"endpoint":{"address":{"socket_address":{"address":)"
        R"("10.1.0.11","port_value":5432}}},"health_status":"DRAINING"},{"endpoint":{"address":{"socket_address":{)"
        R"("address":"10.1.0.13","port_value":5432}}},"health_status":"HEALTHY"}]},{"locality":{"zone":"eu-west-1c"},)"
        R"("lb_endpoints":[{"endpoint":{"address":{"socket_address":{"address":"10.1.0.12","port_value":5432}}},)"
        R"("health_status":"HEALTHY"}]}]}])"
        "\n");
}

TEST_CASE("cli yaml: every input option reads YAML", "[cli][yaml]") {
  // JSON is YAML: behind a document marker (`---` is not `{` or `[`), the sample files go through
  // the YAML reader and must give what they give as JSON.
  scratch_files files;
  const auto as_yaml = [&](const std::string& name) {
    return files.write("yaml_" + name, "--- " + epslice_test::slurp(data + "/" + name));
  };
  const std::string j = " " + data + "/";
  const std::string pods = as_yaml("pods-web.json"), service = as_yaml("service-web.json"), nodes = as_yaml("nodes.json"),
                    slices = as_yaml("endpointslices-web.json"), endpoints = as_yaml("endpoints-web.json");
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"reconcile --compact --pods " + pods + " --service " + service + " --nodes " + nodes,
       "reconcile --compact --pods" + j + "pods-web.json --service" + j + "service-web.json --nodes" + j + "nodes.json"},
      {"reconcile --compact --desired " + slices + " --service " + service,
       "reconcile --compact --desired" + j + "endpointslices-web.json --service" + j + "service-web.json"},
      {"hints --compact --nodes " + nodes + " --slices " + slices + " --service " + service,
       "hints --compact --nodes" + j + "nodes.json --slices" + j + "endpointslices-web.json --service" + j +
           "service-web.json"},
      {"convert --to endpointslices --compact " + endpoints, "convert --to endpointslices --compact" + j + "endpoints-web.json"},
      {"convert --to endpoints --compact " + slices + " " + service,
       "convert --to endpoints --compact" + j + "endpointslices-web.json" + j + "service-web.json"},
  };
  for (const auto& [yaml, json] : pairs) {
    INFO(yaml);
    const auto a = run(yaml);
    const auto b = run(json);
    CHECK(a.code == 0);
    CHECK(a.out == b.out);
    CHECK(a.out.find("\"addresses\"") != std::string::npos);  // something to compare
  }
}

TEST_CASE("cli yaml: scalars resolve as kubectl resolves them", "[cli][yaml]") {
  // A kind epslice does not model passes through fmt as the JSON the YAML converts to.
  const struct {
    std::string yaml;
    std::string json;
  } cases[] = {
      // YAML 1.1 booleans and nulls; quoted scalars stay strings.
      {"a: yes", R"("a":true)"},
      {"a: No", R"("a":false)"},
      {"a: on", R"("a":true)"},
      {"a: OFF", R"("a":false)"},
      {"a: y", R"("a":true)"},
      {"a: TRUE", R"("a":true)"},
      {"a: \"yes\"", R"("a":"yes")"},
      {"a: 'true'", R"("a":"true")"},
      {"a: tRUE", R"("a":"tRUE")"},
      {"a: ~", R"("a":null)"},
      {"a:", R"("a":null)"},
      {"a: Null", R"("a":null)"},
      {"a: nULL", R"("a":"nULL")"},
      {"a: \"null\"", R"("a":"null")"},
      // Integers as Go's strconv.ParseInt with base prefixes reads them, then unsigned 64-bit.
      {"a: 80", R"("a":80)"},
      {"a: \"80\"", R"("a":"80")"},
      {"a: +12", R"("a":12)"},
      {"a: 0x1F", R"("a":31)"},
      {"a: -0x10", R"("a":-16)"},
      {"a: 0o17", R"("a":15)"},
      {"a: 017", R"("a":15)"},
      {"a: 0b101", R"("a":5)"},
      {"a: 1_000", R"("a":1000)"},
      {"a: 08", R"("a":8)"},  // not octal: a float 8, which JSON writes as 8
      {"a: 9223372036854775807", R"("a":9223372036854775807)"},
      {"a: -9223372036854775808", R"("a":-9223372036854775808)"},
      {"a: 18446744073709551615", R"("a":18446744073709551615)"},
      {"a: 99999999999999999999", R"("a":100000000000000000000)"},
      {"a: 0x", R"("a":"0x")"},
      // Floats as encoding/json writes a float64; what overflows stays a string.
      {"a: 1.5", R"("a":1.5)"},
      {"a: 1e3", R"("a":1000)"},
      {"a: .5", R"("a":0.5)"},
      {"a: -.5e1", R"("a":-5)"},
      {"a: 1e-7", R"("a":1e-7)"},
      {"a: 1e21", R"("a":1e+21)"},
      {"a: 123456789012345678901234567890", R"("a":1.2345678901234568e+29)"},
      {"a: 1e400", R"("a":"1e400")"},
      {"a: 1e-400", R"("a":0)"},
      // Timestamps stay strings; other texts too.
      {"a: 2001-12-14", R"("a":"2001-12-14")"},
      {"a: 2001-12-14T21:59:43.10Z", R"("a":"2001-12-14T21:59:43.10Z")"},
      {"a: 1.2.3", R"("a":"1.2.3")"},
      {"a: 10.0.0.1", R"("a":"10.0.0.1")"},
      {"a: <<", R"("a":"\u003c\u003c")"},  // a string; JSON escapes < as encoding/json does
      // Explicit tags.
      {"a: !!str 5", R"("a":"5")"},
      {"a: !!int \"7\"", R"("a":7)"},
      {"a: !!float 1", R"("a":1)"},
      {"a: !!bool \"yes\"", R"("a":true)"},
      {"a: !!timestamp 2001-12-14", R"("a":"2001-12-14")"},
      {"a: !!binary aGVsbG8=", R"("a":"hello")"},
      {"a: !!binary /w==", "\"a\":\"\xef\xbf\xbd\""},  // not UTF-8: U+FFFD, as encoding/json writes it
      {"a: !custom text", R"("a":"text")"},
      // Block scalars are strings.
      {"a: |\n  two\n  lines", R"("a":"two\nlines\n")"},
      {"a: >-\n  folded\n  text", R"("a":"folded text")"},
      // Keys become strings as sigs.k8s.io/yaml writes them.
      {"1: a", R"("1":"a")"},
      {"0x10: a", R"("16":"a")"},
      {"1.5: a", R"("1.5":"a")"},
      {"0.1: a", R"("0.1":"a")"},
      {"1e6: a", R"("1e+06":"a")"},
      {"123456: a", R"("123456":"a")"},
      {"1234567.0: a", R"("1.234567e+06":"a")"},
      {"3.14159265358979: a", R"("3.1415927":"a")"},
      {".inf: a", R"(".inf":"a")"},
      {"true: a", R"("true":"a")"},
      {"no: a", R"("false":"a")"},
      {"\"no\": a", R"("no":"a")"},
      {"2001-12-14: a", R"("2001-12-14":"a")"},
      // Merge keys: later keys win, and earlier maps of a merged sequence win.
      {"b: &b {x: 1, z: 1}\nc: {<<: *b, z: 2}", R"("b":{"x":1,"z":1},"c":{"x":1,"z":2})"},
      {"b: &b {x: 1}\nc: {x: 3, <<: *b}", R"("b":{"x":1},"c":{"x":1})"},
      {"b: &b {x: 1}\nd: &d {x: 2, w: 2}\nc: {<<: [*b, *d]}", R"("b":{"x":1},"d":{"x":2,"w":2},"c":{"x":1,"w":2})"},
      // Aliases expand.
      {"b: &b [1, {c: d}]\ne: [*b, *b]", R"("b":[1,{"c":"d"}],"e":[[1,{"c":"d"}],[1,{"c":"d"}]])"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    const auto r = run("fmt --compact", "kind: Thing\n" + c.yaml + "\n");
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out == "{\"kind\":\"Thing\"," + c.json + "}\n");
  }
}

TEST_CASE("cli yaml: problems keep their field paths, YAML errors their line and column", "[cli][yaml]") {
  // A quoted port is a string, and wrong, as the API server says.
  const std::string slice = "kind: EndpointSlice\napiVersion: discovery.k8s.io/v1\nmetadata: {name: a, namespace: b}\n"
                            "addressType: IPv4\nendpoints:\n- addresses: [10.0.0.1]\n- addresses: [10.0.0.300]\n"
                            "ports:\n- {name: http, port: \"80\"}\n";
  auto r = run("validate", slice);
  CHECK(r.code == 1);
  CHECK(r.err == "-: EndpointSlice b/a: ports[0].port: Invalid value: \"80\": must be an integer, not a string\n");
  r = run("validate", "---\n" + slice + "---\n" + slice);
  CHECK(r.code == 1);
  CHECK(r.err == "-: EndpointSlice b/a: ports[0].port: Invalid value: \"80\": must be an integer, not a string\n"
                 "-: EndpointSlice b/a: ports[0].port: Invalid value: \"80\": must be an integer, not a string\n");
  r = run("validate", "apiVersion: v1\nkind: List\nitems:\n- kind: EndpointSlice\n  apiVersion: discovery.k8s.io/v1\n"
                      "  metadata: {name: a, namespace: b}\n  addressType: IPv4\n  endpoints:\n"
                      "  - addresses: [10.0.0.300]\n  ports: []\n");
  CHECK(r.code == 1);
  CHECK(r.err == "-: EndpointSlice b/a: endpoints[0].addresses[0]: Invalid value: \"10.0.0.300\": must be a valid IPv4 "
                 "address\n");

  const struct {
    std::string yaml;
    std::string err;
  } cases[] = {
      {"kind: X\na: b: c\n", "-:2:5: not YAML: illegal map value"},
      {"kind: X\na: [1\n", "-:3:1: not YAML: end of sequence flow not found"},
      {"kind: X\na:\n  - b\n c: d\n", "-:4:2: not YAML: end of map not found"},
      {"kind: X\nx: 1\n\tb: 2\n", "-:3:1: not YAML: illegal tab when looking for indentation"},
      {"kind: X\na: *nope\n", "-:2:4: not YAML: the referenced anchor is not defined"},
      {"kind: X\na: &x [1, *x]\n", "-:2:11: not YAML: anchor 'x' value contains itself"},
      {"kind: X\na: .inf\n", "-:2:4: YAML value `.inf` is not a JSON number (kubectl refuses it too)"},
      {"kind: X\na: -.Inf\n", "-:2:4: YAML value `-.Inf` is not a JSON number (kubectl refuses it too)"},
      {"kind: X\na: .nan\n", "-:2:4: YAML value `.nan` is not a JSON number (kubectl refuses it too)"},
      {"kind: X\n~: 2\n", "-:2:1: YAML mapping key null has no JSON form"},
      {"kind: X\n18446744073709551615: x\n",
       "-:2:1: YAML mapping key 18446744073709551615 is an unsigned 64-bit integer, which kubectl refuses as a key"},
      {"kind: X\n? [a]\n: b\n", "-:2:3: YAML mapping key that is a sequence or a mapping has no JSON form"},
      {"kind: X\na: !!int abc\n", "-:2:4: YAML cannot decode !!str `abc` as a !!int"},
      {"kind: X\na: !!null x\n", "-:2:4: YAML cannot decode !!str `x` as a !!null"},
      {"kind: X\na: !!timestamp 2001-02-30\n", "-:2:4: YAML cannot decode !!str `2001-02-30` as a !!timestamp"},
      {"kind: X\na: !!binary \"!!\"\n", "-:2:4: YAML !!binary value contains invalid base64 data"},
      {"kind: X\nb: {x: 1}\nc: {<<: 5}\n", "-:3:9: YAML map merge requires map or sequence of maps as the value"},
      {"kind: X\nname: \"caf\xc3\xa9\"\nb: \xc3\xa9\xff\n", "-:3:5: not YAML: invalid UTF-8 (byte 0xff)"},
      {"kind: X\nb: \x01\n", "-:2:4: not YAML: control character U+0001 is not allowed"},
      {"kind: X\nb: \xc2\x80\n", "-:2:4: not YAML: control character U+0080 is not allowed"},
      {"kind: X\nb: \xef\xbf\xbe\n", "-:2:4: not YAML: character U+FFFE is not allowed"},
      {"kind: X\nb: \xe0\x80\xaf\n", "-:2:4: not YAML: invalid UTF-8 (an overlong form, a surrogate or a code point above U+10FFFF)"},
      {"kind: X\nb: \xc3", "-:2:4: not YAML: invalid UTF-8 (the text ends inside a multi-byte character)"},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    r = run("fmt", c.yaml);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == c.err + "\n");
  }
  // A byte order mark is skipped, as kubectl skips it.
  r = run("fmt --compact", "\xef\xbb\xbfkind: X\n");
  CHECK(r.code == 0);
  CHECK(r.out == "{\"kind\":\"X\"}\n");
}

TEST_CASE("cli yaml: aliases expand within the limit, nesting within yaml-cpp's", "[cli][yaml]") {
  // A billion laughs: 10^9 strings from 10 lines. An error at the alias that crosses 64 MiB of
  // JSON, not an explosion (the time is a watchdog, far above what the error takes).
  std::string laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 10; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) laughs += (k ? ", *a" : "*a") + std::to_string(i - 1);
    laughs += "]\n";
  }
  const auto start = std::chrono::steady_clock::now();
  auto r = run("validate", laughs);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
  CHECK(r.code == 2);
  // a6 holds ten aliases of a5, 6.2 MB of JSON each; with the 6.9 MB that a1..a5 expanded to before
  // it, its tenth alias (line 7, column 55) crosses 64 MiB.
  CHECK(r.err == "-:7:55: YAML aliases expand to more than 67108864 bytes of JSON in this input (the per-object size "
                 "limit, --max-object-bytes)\n");
  // The budget is --max-object-bytes: a1's ten aliases of a0 expand to 610 bytes, and a2's first
  // alias (line 3, column 10) adds a1's 621 bytes, past 1,000.
  r = run("validate --max-object-bytes 1000", laughs);
  CHECK(r.code == 2);
  CHECK(r.err == "-:3:10: YAML aliases expand to more than 1000 bytes of JSON in this input (the per-object size "
                 "limit, --max-object-bytes)\n");
  // Merging the same maps again and again costs work, not output: it counts as well.
  std::string merges = "m0: &m0 {k0: 1, k1: 2}\n";
  for (int i = 1; i < 40; ++i)
    merges += "m" + std::to_string(i) + ": &m" + std::to_string(i) + " {<<: [*m" + std::to_string(i - 1) + ", *m" +
              std::to_string(i - 1) + ", *m" + std::to_string(i - 1) + "]}\n";
  r = run("validate", merges);
  CHECK(r.code == 2);
  CHECK(r.err.rfind("-:", 0) == 0);
  CHECK(r.err.find(": YAML aliases expand to more than 67108864 bytes of JSON in this input") != std::string::npos);
  // Smaller expansions are fine.
  r = run("fmt --compact", "kind: X\nb: &b [1, 2]\nc: [*b, *b, *b]\n");
  CHECK(r.code == 0);
  CHECK(r.out == "{\"kind\":\"X\",\"b\":[1,2],\"c\":[[1,2],[1,2],[1,2]]}\n");

  // yaml-cpp stops a document at about 500 nested collections.
  r = run("validate", "a: " + std::string(499, '[') + std::string(499, ']') + "\n");
  CHECK(r.code == 2);
  CHECK(r.err == "-:1:1002: not YAML: nested too deep for yaml-cpp (its recursion guard of 2000 parser calls stops a "
                 "document at about 500 levels)\n");
  r = run("fmt --compact", "kind: X\na: " + std::string(400, '[') + std::string(400, ']') + "\n");
  CHECK(r.code == 0);
  // Aliases nest deeper than that: at most 1000 levels once expanded.
  std::string deep = "d0: &d0 " + std::string(400, '[') + std::string(400, ']') + "\n";
  deep += "d1: &d1 " + std::string(400, '[') + "*d0" + std::string(400, ']') + "\n";
  deep += "d2: &d2 " + std::string(400, '[') + "*d1" + std::string(400, ']') + "\n";
  r = run("validate", deep);
  CHECK(r.code == 2);
  CHECK(r.err == "-:1:208: YAML nested deeper than 1000 levels once its aliases are expanded\n");
}

#endif  // EPSLICE_CLI_PATH
