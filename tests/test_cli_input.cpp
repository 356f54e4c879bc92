// SPDX-License-Identifier: Apache-2.0
// The tool's inputs: repeated options, the family select and eds choose, unreadable input, fmt's output size.
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include "cli_runner.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using epslice_test::run;
using epslice_test::run_in_shell;
using epslice_test::run_piped;
using epslice_test::scratch_files;

const std::string data = EPSLICE_TEST_DATA_DIR;

// A small slice; `labels` and `endpoints` are JSON texts.
std::string slice(const std::string& name, const std::string& type, const std::string& endpoints,
                  const std::string& labels = R"({"kubernetes.io/service-name":"svc"})") {
  return R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":")" + name +
         R"(","namespace":"ns1","labels":)" + labels +
         R"(},"addressType":")" + type + R"(","endpoints":)" + endpoints +
         R"(,"ports":[{"name":"http","port":80,"protocol":"TCP"}]})";
}

std::string usage(const std::string& command, const std::string& message) {
  return "epslice " + command + ": " + message + "\nrun `epslice " + command + " --help` for usage\n";
}

}  // namespace

TEST_CASE("cli input: repeated input options read every input in command-line order", "[cli][input]") {
  scratch_files files;
  const std::string a = files.write("input_a.json", slice("a", "IPv4", R"([{"addresses":["10.0.0.1"]}])"));
  const std::string b = files.write("input_b.json", slice("b", "IPv4", R"([{"addresses":["10.0.0.2"]}])"));
  // A later version of slice a: the last one read wins, so the order of the options matters.
  const std::string a2 = files.write("input_a2.json", slice("a", "IPv4", R"([{"addresses":["10.0.0.3"]}])"));

  const auto both = run("select --compact --node n1 --slices " + a + " --slices=" + b);
  REQUIRE(both.code == 0);
  CHECK(both.err.empty());
  CHECK(both.out == R"({"ns1/svc:http/TCP":{"cluster":["10.0.0.1:80","10.0.0.2:80"],"local":[],"all":["10.0.0.1:80","10.0.0.2:80"]}})"
                    "\n");
  const auto later = run("select --compact --node n1 --slices " + a + " --slices " + a2);
  REQUIRE(later.code == 0);
  CHECK(later.out == R"({"ns1/svc:http/TCP":{"cluster":["10.0.0.3:80"],"local":[],"all":["10.0.0.3:80"]}})"
                     "\n");
  const auto earlier = run("select --compact --node n1 --slices " + a2 + " --slices " + a);
  REQUIRE(earlier.code == 0);
  CHECK(earlier.out == R"({"ns1/svc:http/TCP":{"cluster":["10.0.0.1:80"],"local":[],"all":["10.0.0.1:80"]}})"
                       "\n");
  // Standard input is one of them.
  const auto piped = run("select --compact --node n1 --slices " + a + " --slices -",
                         slice("b", "IPv4", R"([{"addresses":["10.0.0.2"]}])"));
  CHECK(piped.out == both.out);

  const auto eds = run("eds --compact --slices " + a + " --slices " + b);
  REQUIRE(eds.code == 0);
  CHECK(eds.out ==
        R"([{"cluster_name":"ns1/svc:http","endpoints":[{"locality":{},"lb_endpoints":[)"
        R"({"endpoint":{"address":{"socket_address":{"address":"10.0.0.1","port_value":80}}},"health_status":"HEALTHY"},)"
        R"({"endpoint":{"address":{"socket_address":{"address":"10.0.0.2","port_value":80}}},"health_status":"HEALTHY"}]}]}])"
        "\n");

  // Problems of every input are reported, each with its file.
  const std::string bad = files.write("input_bad.json", slice("c", "IPv4", R"([{"addresses":["10.0.0.300"]}])"));
  const std::string bad2 = files.write("input_bad2.json", slice("d", "IPv4", R"([{"addresses":["10.0.0.300"]}])"));
  const auto invalid = run("eds --slices " + bad + " --slices " + a + " --slices " + bad2);
  CHECK(invalid.code == 1);
  CHECK(invalid.out.empty());
  const auto line = [](const std::string& file, const std::string& name) {
    return file + ": EndpointSlice ns1/" + name +
           ": endpoints[0].addresses[0]: Invalid value: \"10.0.0.300\": must be a valid IPv4 address\n";
  };
  CHECK(invalid.err == line(bad, "c") + line(bad2, "d"));
  // The same object in two inputs is one object, its last state (as a watch stream's versions).
  const auto twice = run("eds --slices " + bad + " --slices " + a + " --slices " + bad);
  CHECK(twice.code == 1);
  CHECK(twice.err == line(bad, "c"));
}

TEST_CASE("cli input: inputs split over repeated options give what one input gives", "[cli][input]") {
  scratch_files files;
  // Each sample List split in two: its first half and its second half.
  // `<first> --<option> <second>`, to follow `--<option>`.
  const auto split = [&](const std::string& name, const std::string& option) {
    const auto list = nlohmann::json::parse(epslice_test::slurp(data + "/" + name));
    const auto& items = list.at("items");
    const std::size_t half = items.size() / 2;
    REQUIRE(half > 0);
    nlohmann::json first = list, second = list;
    first["items"] = nlohmann::json(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(half));
    second["items"] = nlohmann::json(items.begin() + static_cast<std::ptrdiff_t>(half), items.end());
    return files.write("split1_" + name, first.dump()) + " --" + option + " " + files.write("split2_" + name, second.dump());
  };
  const std::string slices = data + "/endpointslices-web.json";
  const std::string nodes = data + "/nodes.json";
  const std::string pods = data + "/pods-web.json";
  const std::string service = data + "/service-web.json";

  const auto whole = run("hints --compact --nodes " + nodes + " --slices " + slices + " --service " + service);
  REQUIRE(whole.code == 0);
  const auto parts = run("hints --compact --nodes " + split("nodes.json", "nodes") + " --slices " +
                         split("endpointslices-web.json", "slices") + " --service " + service);
  CHECK(parts.code == 0);
  CHECK(parts.out == whole.out);
  CHECK(parts.err == whole.err);

  const auto plan = run("reconcile --compact --pods " + pods + " --service " + service + " --nodes " + nodes +
                        " --existing " + slices);
  REQUIRE(plan.code == 0);
  const auto plan_parts = run("reconcile --compact --pods " + split("pods-web.json", "pods") + " --service " + service +
                              " --nodes " + split("nodes.json", "nodes") + " --existing " + slices);
  CHECK(plan_parts.code == 0);
  CHECK(plan_parts.out == plan.out);
  CHECK(plan_parts.err == plan.err);
}

TEST_CASE("cli input: a repeated single-value option and a second standard input are usage errors",
          "[cli][input]") {
  const std::string slices = data + "/endpointslices-web.json";
  const std::string nodes = data + "/nodes.json";
  const struct {
    std::string args;
    std::string command;
    std::string message;
  } cases[] = {
      {"select --slices " + slices + " --node a --node b", "select", "option --node given twice (a, b): it takes one value"},
      {"select --slices " + slices + " --node a --zone z --zone=z", "select",
       "option --zone given twice (z, z): it takes one value"},
      {"eds --slices " + slices + " --family IPv4 --family=IPv6", "eds",
       "option --family given twice (IPv4, IPv6): it takes one value"},
      {"hints --nodes " + nodes + " --slices " + slices + " --mode auto --mode auto", "hints",
       "option --mode given twice (auto, auto): it takes one value"},
      {"reconcile --desired " + slices + " --strategy minimal --strategy kubernetes", "reconcile",
       "option --strategy given twice (minimal, kubernetes): it takes one value"},
      {"convert --to endpoints --to endpointslices " + slices, "convert",
       "option --to given twice (endpoints, endpointslices): it takes one value"},
      {"select --slices - --slices - --node a", "select", "only one input can be standard input (-)"},
      {"eds --slices - --slices " + slices + " --slices -", "eds", "only one input can be standard input (-)"},
      {"hints --nodes - --slices -", "hints", "only one input can be standard input (-)"},
      {"validate - " + slices + " -", "validate", "only one input can be standard input (-)"},
      {"fmt - -", "fmt", "only one input can be standard input (-)"},
      {"reconcile --desired - --existing -", "reconcile", "only one input can be standard input (-)"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    const auto r = run(c.args);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == usage(c.command, c.message));
  }
}

TEST_CASE("cli input: select and eds use the family the input has", "[cli][input]") {
  const std::string v4 = slice("s4", "IPv4", R"([{"addresses":["10.0.0.1"]}])");
  const std::string v6 = slice("s6", "IPv6", R"([{"addresses":["fd00::1"]}])");
  const std::string names = slice("sn", "FQDN", R"([{"addresses":["db.example.com"]}])");
  const std::string v6_out = R"({"ns1/svc:http/TCP":{"cluster":["[fd00::1]:80"],"local":[],"all":["[fd00::1]:80"]}})"
                             "\n";
  const std::string v4_out = R"({"ns1/svc:http/TCP":{"cluster":["10.0.0.1:80"],"local":[],"all":["10.0.0.1:80"]}})"
                             "\n";

  // IPv6 only: IPv6, silently (it is the only family there is).
  auto r = run("select --compact --node n1 --slices -", v6);
  REQUIRE(r.code == 0);
  CHECK(r.out == v6_out);
  CHECK(r.err.empty());
  r = run("eds --compact --slices -", v6);
  REQUIRE(r.code == 0);
  CHECK(r.out ==
        R"([{"cluster_name":"ns1/svc:http","endpoints":[{"locality":{},"lb_endpoints":[{"endpoint":{"address":)"
        R"({"socket_address":{"address":"fd00::1","port_value":80}}},"health_status":"HEALTHY"}]}]}])"
        "\n");
  CHECK(r.err.empty());

  // Several families: IPv4 first, then IPv6; a notice names them.
  r = run("select --compact --node n1 --slices -", names + v6 + v4);
  REQUIRE(r.code == 0);
  CHECK(r.out == v4_out);
  CHECK(r.err == "epslice select: notice: the slices are of address types IPv4, IPv6 and FQDN: using IPv4 (--family "
                 "chooses)\n");
  r = run("select --compact --node n1 --slices -", names + v6);
  REQUIRE(r.code == 0);
  CHECK(r.out == v6_out);
  CHECK(r.err == "epslice select: notice: the slices are of address types IPv6 and FQDN: using IPv6 (--family chooses)\n");
  r = run("eds --compact --slices -", v6 + v4);
  REQUIRE(r.code == 0);
  CHECK(r.err == "epslice eds: notice: the slices are of address types IPv4 and IPv6: using IPv4 (--family chooses)\n");
  // --family chooses without a notice.
  r = run("select --compact --node n1 --family IPv6 --slices -", names + v6 + v4);
  REQUIRE(r.code == 0);
  CHECK(r.out == v6_out);
  CHECK(r.err.empty());

  // FQDN only: kube-proxy (and Envoy's EDS) take IP addresses; a notice says why nothing comes out.
  r = run("select --compact --node n1 --slices -", names);
  REQUIRE(r.code == 0);
  CHECK(r.out == "{}\n");
  CHECK(r.err == "epslice select: notice: the slices are all of address type FQDN, which kube-proxy does not use: no "
                 "endpoints\n");
  r = run("eds --slices -", names);
  REQUIRE(r.code == 0);
  CHECK(r.out == "[]\n");
  CHECK(r.err == "epslice eds: notice: the slices are all of address type FQDN, which kube-proxy does not use: no "
                 "endpoints\n");

  // Slices of the family that kube-proxy skips get convert's kind of notice.
  const std::string skipped = slice("nolabel", "IPv4", R"([{"addresses":["10.0.0.7"]}])", "{}") +
                              slice("empty", "IPv4", R"([{"addresses":["10.0.0.8"]}])",
                                    R"({"kubernetes.io/service-name":""})") +
                              R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{)"
                              R"("generateName":"svc-","namespace":"ns1","labels":{"kubernetes.io/service-name":"svc"}},)"
                              R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.9"]}],"ports":[]})";
  for (const std::string command : {"select --node n1", "eds"}) {
    INFO(command);
    r = run(command + " --compact --slices -", skipped + v4);
    REQUIRE(r.code == 0);
    CHECK(r.err == "-: notice: EndpointSlice ns1/nolabel: no kubernetes.io/service-name label: not used\n"
                   "-: notice: EndpointSlice ns1/empty: empty kubernetes.io/service-name label: not used\n"
                   "-: notice: EndpointSlice ns1/svc-*: no metadata.name: not used\n");
  }
}

TEST_CASE("cli input: unreadable input gets its reason on one line and exit 2", "[cli][input]") {
  scratch_files files;
  const std::string dir = files.directory("input_dir");
  const std::string file = files.write("input_file.json", slice("a", "IPv4", R"([{"addresses":["10.0.0.1"]}])"));

  // Every subcommand that reads input says the same.
  const std::vector<std::string> commands = {
      "validate " + dir,
      "fmt " + dir,
      "describe " + dir,
      "convert --to endpoints " + dir,
      "select --node n1 --slices " + dir,
      "eds --slices " + dir,
      "hints --nodes " + dir + " --slices " + file,
      "reconcile --desired " + dir,
      "reconcile --desired " + file + " --existing " + dir,
  };
  for (const auto& c : commands) {
    INFO(c);
    const auto r = run(c);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == "epslice: " + dir + ": is a directory\n");
  }

  auto r = run("validate /nonexistent/epslice.json");
  CHECK(r.code == 2);
  CHECK(r.err == "epslice: /nonexistent/epslice.json: no such file\n");
  r = run("validate " + file + "/x");
  CHECK(r.code == 2);
  CHECK(r.err == "epslice: " + file + "/x: no such file (a part of the path is not a directory)\n");
  r = run("validate /dev/null");
  CHECK(r.code == 2);
  CHECK(r.err == "epslice: /dev/null: empty input\n");
  r = run("validate", " \n\t\r\n");
  CHECK(r.code == 2);
  CHECK(r.err == "epslice: -: empty input\n");
  r = run("validate", "# nothing but comments\n---\n...\n");
  CHECK(r.code == 2);
  CHECK(r.err == "epslice: -: empty input (no YAML document holds a value)\n");

  // Bytes that can be neither JSON nor YAML stop the reading at the first one: /dev/zero never
  // ends, so a reader that read it to the end would be stopped by `timeout` (exit 124).
  r = run_in_shell("timeout 60 ", "validate /dev/zero", nullptr);
  CHECK(r.code == 2);
  CHECK(r.err == "/dev/zero:1:1: not YAML: control character U+0000 is not allowed\n");
  r = run_in_shell("cat /dev/zero | timeout 60 ", "select --node n1 --slices -", nullptr);
  CHECK(r.code == 2);
  CHECK(r.err == "-:1:1: not YAML: control character U+0000 is not allowed\n");
  r = run("validate", "kind: x\nname: \xff\n");
  CHECK(r.code == 2);
  CHECK(r.err == "-:2:7: not YAML: invalid UTF-8 (byte 0xff)\n");

  // A file that may not be read: as root, through setpriv as an unprivileged user.
  const std::string locked = files.write("input_locked.json", slice("a", "IPv4", "[]"));
  REQUIRE(::chmod(locked.c_str(), 0) == 0);
  const std::string prefix = ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  r = run_in_shell(prefix, "validate " + locked, nullptr);
  CHECK(r.code == 2);
  CHECK(r.err == "epslice: " + locked + ": permission denied\n");
}

TEST_CASE("cli input: a pipe is read in chunks to its end", "[cli][input]") {
  // More than one read(2) chunk, through a real pipe, in both formats.
  scratch_files files;
  std::string many = R"({"apiVersion":"v1","kind":"List","items":[)";
  std::string many_yaml = "apiVersion: v1\nkind: List\nitems:\n";
  for (int i = 0; i < 2000; ++i) {
    const std::string ip = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    many += (i ? "," : "") + slice("s" + std::to_string(i), "IPv4", R"([{"addresses":[")" + ip + R"("]}])");
    many_yaml += "- kind: EndpointSlice\n  apiVersion: discovery.k8s.io/v1\n  metadata:\n    name: s" + std::to_string(i) +
                 "\n    namespace: ns1\n    labels:\n      kubernetes.io/service-name: svc\n  addressType: IPv4\n"
                 "  endpoints:\n  - addresses: [" + ip + "]\n  ports:\n  - {name: http, port: 80, protocol: TCP}\n";
  }
  many += "]}";
  REQUIRE(many.size() > 3 * 64 * 1024);
  const std::string json_file = files.write("input_many.json", many);
  const std::string yaml_file = files.write("input_many.yaml", many_yaml);
  const auto direct = run("eds --compact --slices " + json_file);
  REQUIRE(direct.code == 0);
  CHECK(std::count(direct.out.begin(), direct.out.end(), '{') > 4 * 2000);
  const auto piped = run_piped("cat " + json_file, "eds --compact --slices -");
  CHECK(piped.code == 0);
  CHECK(piped.out == direct.out);
  const auto yaml = run_piped("cat " + yaml_file, "eds --compact --slices -");
  CHECK(yaml.code == 0);
  CHECK(yaml.err.empty());
  CHECK(yaml.out == direct.out);
}

TEST_CASE("cli input: fmt output stays linear in the nesting depth", "[cli][input]") {
  // A 16 KB slice with an unknown field nested 8,000 deep: kubectl's indentation would write
  // 256 MB; indentation stops growing at 32 levels.
  scratch_files files;
  const std::size_t depth = 8000;
  const std::string input = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a",)"
                            R"("namespace":"b"},"addressType":"IPv4","endpoints":[],"ports":[],"deep":)" +
                            std::string(depth, '[') + "1" + std::string(depth, ']') + "}";
  REQUIRE(input.size() > 16000);
  const std::string path = files.write("input_deep.json", input);
  // Deeper than the default limit (1000 levels): a problem of that object, with the limit named.
  const auto refused = run("fmt " + path);
  CHECK(refused.code == 1);
  CHECK(refused.out.empty());
  CHECK(refused.err.find("must not nest deeper than 1000 levels (decode limit max_depth)\n") != std::string::npos);
  const auto out_of_range = run("fmt --max-depth 100001 " + path);
  CHECK(out_of_range.code == 2);
  CHECK(out_of_range.err == "epslice fmt: --max-depth must be a number from 1 to 100000, not \"100001\"\n"
                            "run `epslice fmt --help` for usage\n");
  CHECK(run("fmt --max-depth 9 --max-depth=10 " + path).err.rfind("epslice fmt: --max-depth is given more than once\n", 0) == 0);
  // --max-object-bytes below the object's size refuses it the same way.
  const auto small = run("fmt --max-object-bytes 100 --max-depth 10000 " + path);
  CHECK(small.code == 1);
  CHECK(small.err.find("max_object_bytes") != std::string::npos);
  const auto pretty = run("fmt --max-depth 10000 " + path);
  REQUIRE(pretty.code == 0);
  // At most 32 x 4 spaces of indentation and one line per bracket: linear in the input.
  std::size_t widest = 0, lines = 0;
  for (std::size_t start = 0; start < pretty.out.size();) {
    const std::size_t end = pretty.out.find('\n', start);
    const std::size_t spaces = pretty.out.find_first_not_of(' ', start) - start;
    widest = std::max(widest, spaces);
    ++lines;
    start = end + 1;
  }
  CHECK(widest == 128);
  CHECK(lines == 2 * depth + 12);  // 10 lines before `"deep": [`, a line per bracket and the 1, `}`
  CHECK(pretty.out.size() < 140 * input.size());
  // The same value: re-read compactly, it is what the input gives.
  const std::string pretty_path = files.write("input_deep_pretty.json", pretty.out);
  const auto compact = run("fmt --compact --max-depth=10000 " + pretty_path);
  REQUIRE(compact.code == 0);
  CHECK(compact.out == run("fmt --compact --max-depth 10000 " + path).out);
  // Shallow objects keep kubectl's indentation exactly.
  const auto shallow = run("fmt -", R"({"kind":"X","a":{"b":[1,{}],"c":[]}})");
  CHECK(shallow.out ==
        "{\n    \"kind\": \"X\",\n    \"a\": {\n        \"b\": [\n            1,\n            {}\n        ],\n"
        "        \"c\": []\n    }\n}\n");
}

#endif  // EPSLICE_CLI_PATH

TEST_CASE("cli input: the simdjson fast path and the standard reader give the same output", "[cli][input]") {
  // Whether the tool was built with simdjson or not, EPSLICE_SIMDJSON=0 gives the standard reader
  // alone; the help says which path is in use.
  const auto help = run("--help");
  CHECK(help.out.find("fast decoding: ") != std::string::npos);
  const auto help_off = run_in_shell("EPSLICE_SIMDJSON=0 ", "--help", nullptr);
  CHECK(help_off.out.find("fast decoding: simdjson") == std::string::npos);
  const std::string item = R"({"metadata":{"name":"a","namespace":"ns1","labels":{"kubernetes.io/service-name":"svc"}},)"
                           R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"zone":"z"}],"ports":[]})";
  const std::vector<std::string> inputs = {
      // A relist as the API server writes it, a watch stream, kubectl's List, a bad object, and
      // a syntax error after an object.
      R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"3"},"items":[)" +
          item + "]}",
      R"({"type":"ADDED","object":)" + slice("a", "IPv4", R"([{"addresses":["10.0.0.1"]}])") + "}\n" +
          R"({"type":"DELETED","object":)" + slice("a", "IPv4", "[]") + "}\n",
      R"({"apiVersion":"v1","kind":"List","metadata":{},"items":[)" + slice("b", "IPv6", R"([{"addresses":["FD00::1"]}])") +
          "]}",
      slice("c", "IPv4", R"([{"addresses":["10.0.0.300"]}])"),
      slice("d", "IPv4", "[]") + R"({"kind":"Endpoints",)",
  };
  for (const auto& input : inputs) {
    INFO(input);
    for (const char* command : {"validate", "describe", "fmt"}) {
      INFO(command);
      const auto fast = run(command, input);
      const auto reader = run_in_shell("EPSLICE_SIMDJSON=0 ", command, &input);
      CHECK(fast.code == reader.code);
      CHECK(fast.out == reader.out);
      CHECK(fast.err == reader.err);
    }
  }
  // Commands that merge or convert what they read.
  for (const std::string& args :
       {"eds --slices " + data + "/endpointslices-web.json", "convert --to endpointslices " + data + "/endpoints-web.json",
        "select --node node-1 --slices " + data + "/endpointslices-web.json"}) {
    INFO(args);
    const auto fast = run_in_shell("", args, nullptr);
    const auto reader = run_in_shell("EPSLICE_SIMDJSON=0 ", args, nullptr);
    CHECK(fast.code == 0);
    CHECK(fast.code == reader.code);
    CHECK(fast.out == reader.out);
    CHECK(fast.err == reader.err);
  }
}
