// SPDX-License-Identifier: Apache-2.0
// Tests of store.hpp (watch events reduced to the final state) and of the tool reading watch
// streams through it: DELETED removes, later versions replace, BOOKMARK and ERROR carry no object.
#include <catch2/catch.hpp>

#include <epslice/json.hpp>
#include <epslice/merge.hpp>
#include <epslice/store.hpp>
#include <epslice/stream.hpp>

#include <string>
#include <vector>

using namespace epslice;

namespace {

// A one-endpoint slice of Service `web` in the API server's field order.
std::string slice(const std::string& name, const std::string& uid, const std::string& ip, const std::string& rv = "1") {
  return R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":")" + name +
         R"(","namespace":"shop","uid":")" + uid + R"(","resourceVersion":")" + rv +
         R"(","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":[")" + ip +
         R"("],"conditions":{"ready":true}}],"ports":[{"name":"http","protocol":"TCP","port":8080}]})";
}

std::string event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}";
}

const std::string bookmark =
    R"({"type":"BOOKMARK","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"12345"}}})";
const std::string gone =
    R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
    R"x("message":"too old resource version: 1 (2)","reason":"Expired","code":410}})x";

std::vector<store_change> apply_all(object_store& store, const std::string& text) {
  auto doc = decode_document(text);
  REQUIRE_FALSE(doc.syntax_error);
  std::vector<store_change> out;
  for (auto& e : doc.events) out.push_back(store.apply(std::move(e)));
  return out;
}

std::vector<std::string> names(const object_store& store) {
  std::vector<std::string> out;
  store.for_each([&](const decoded_object& o) { out.push_back(identity_of(o).name); });
  return out;
}

std::string first_address(const decoded_object& o) {
  const auto& s = std::get<endpoint_slice_v4>(o.value.get<any_endpoint_slice>());
  std::string text;
  ipv4::format(text, s.endpoints.at(0).addresses.at(0));
  return text;
}

}  // namespace

TEST_CASE("store: upserts replace, DELETED removes, a DELETED of an unknown object is ignored", "[store]") {
  object_store store;
  const auto changes = apply_all(store, event("ADDED", slice("web-a", "ua", "10.0.0.1")) +
                                            event("ADDED", slice("web-b", "ub", "10.0.0.2")) +
                                            event("MODIFIED", slice("web-a", "ua", "10.0.0.3", "2")) +
                                            event("DELETED", slice("web-b", "ub", "10.0.0.2", "3")) +
                                            event("DELETED", slice("web-c", "uc", "10.0.0.4")));
  CHECK(changes == std::vector<store_change>{store_change::added, store_change::added, store_change::updated,
                                             store_change::deleted, store_change::ignored});
  REQUIRE(store.size() == 1);
  const auto objects = store.objects();
  CHECK(identity_of(objects[0]) == object_identity{"EndpointSlice", "shop", "web-a", "ua", false});
  CHECK(first_address(objects[0]) == "10.0.0.3");

  // Plain objects (`kubectl get -o json --watch` without events) are upserts in stream order;
  // resourceVersion is never compared.
  object_store plain;
  (void)apply_all(plain, slice("web-a", "ua", "10.0.0.9", "9") + slice("web-a", "ua", "10.0.0.8", "1"));
  REQUIRE(plain.size() == 1);
  CHECK(first_address(plain.objects()[0]) == "10.0.0.8");
}

TEST_CASE("store: a new uid under the same name is a replacement, and objects keep their first place", "[store]") {
  object_store store;
  const auto changes = apply_all(store, slice("web-a", "u1", "10.0.0.1") + slice("web-b", "u2", "10.0.0.2") +
                                            slice("web-a", "u3", "10.0.0.3") + slice("web-a", "", "10.0.0.4"));
  CHECK(changes == std::vector<store_change>{store_change::added, store_change::added, store_change::replaced,
                                             store_change::updated});
  CHECK(names(store) == std::vector<std::string>{"web-a", "web-b"});
  // Deleted and added again: it counts from its new appearance.
  (void)apply_all(store, event("DELETED", slice("web-a", "u3", "")) + event("ADDED", slice("web-a", "u5", "10.0.0.5")));
  CHECK(names(store) == std::vector<std::string>{"web-b", "web-a"});
}

TEST_CASE("store: BOOKMARK and ERROR change nothing but are remembered", "[store]") {
  object_store store;
  const auto changes = apply_all(store, event("ADDED", slice("web-a", "ua", "10.0.0.1")) + bookmark + gone +
                                            event("ADDED", slice("web-b", "ub", "10.0.0.2")));
  CHECK(changes == std::vector<store_change>{store_change::added, store_change::ignored, store_change::error,
                                             store_change::added});
  CHECK(store.size() == 2);
  CHECK(store.last_bookmark() == "12345");
  REQUIRE(store.error());
  CHECK(store.error()->code == 410);
  CHECK(store.error()->reason == "Expired");
  CHECK(store.error()->message == "too old resource version: 1 (2)");
}

TEST_CASE("store: objects of other kinds are keyed by kind, namespace and name from their JSON", "[store]") {
  // A PodList's items have no kind of their own: they take it from the list.
  const std::string pods =
      R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"5"},"items":[)"
      R"({"metadata":{"name":"p","namespace":"a","uid":"1","labels":{"x":"y"}},"spec":{"nodeName":"n"}},)"
      R"({"metadata":{"name":"p","namespace":"b","uid":"2"}},)"
      R"({"spec":{"containers":[[[[]]]]},"metadata":{"namespace":"a","name":"p","uid":"1"}}]})";
  object_store store;
  const auto changes = apply_all(store, pods);
  CHECK(changes == std::vector<store_change>{store_change::added, store_change::added, store_change::updated});
  REQUIRE(store.size() == 2);
  const auto objects = store.objects();
  CHECK(identity_of(objects[0]) == object_identity{"Pod", "a", "p", "1", false});
  CHECK(identity_of(objects[1]) == object_identity{"Pod", "b", "p", "2", false});
  CHECK(objects[0].value.get<raw_object>().json.find("containers") != std::string::npos);
  // A Service and a Pod of one name are different objects.
  (void)apply_all(store, R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"p","namespace":"a"}})");
  CHECK(store.size() == 3);
}

TEST_CASE("store: objects without a name are never taken for one another", "[store]") {
  const std::string created =
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"generateName":"web-","namespace":"shop"},"addressType":"IPv4","endpoints":[],"ports":[]})";
  object_store store;
  const auto changes = apply_all(store, created + created + event("DELETED", created));
  CHECK(changes == std::vector<store_change>{store_change::added, store_change::added, store_change::ignored});
  CHECK(names(store) == std::vector<std::string>{"web-*", "web-*"});
}

TEST_CASE("store: many deletions keep the order and the count, and tags follow the latest state", "[store]") {
  object_store store;
  std::string text;
  for (int i = 0; i < 1000; ++i) text += slice("s" + std::to_string(i), "u" + std::to_string(i), "10.0.0.1");
  (void)apply_all(store, text);
  std::string deletes;
  for (int i = 0; i < 1000; ++i)
    if (i % 100 != 7) deletes += event("DELETED", slice("s" + std::to_string(i), "", "10.0.0.1"));
  (void)apply_all(store, deletes);
  std::vector<std::string> expected;
  for (int i = 7; i < 1000; i += 100) expected.push_back("s" + std::to_string(i));
  CHECK(names(store) == expected);
  // Updates after compaction find their objects.
  auto doc = decode_document(slice("s507", "u507", "10.9.9.9") + slice("s1000", "u", "10.0.0.1"));
  CHECK(store.apply(std::move(doc.events[0]), 7) == store_change::updated);
  CHECK(store.apply(std::move(doc.events[1]), 8) == store_change::added);
  std::vector<std::size_t> tags;
  store.for_each([&](const decoded_object&, std::size_t tag) { tags.push_back(tag); });
  CHECK(tags == std::vector<std::size_t>{0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 8});
  std::vector<std::string> drained;
  store.drain([&](decoded_object&& o, std::size_t) { drained.push_back(identity_of(o).name); });
  CHECK(drained.size() == 11);
  CHECK(store.empty());
}

TEST_CASE("store: endpoint_cache applies watch events as the final state", "[store][merge]") {
  const std::string a = slice("web-a", "ua", "10.0.0.1"), b = slice("web-b", "ub", "10.0.0.2");
  const std::string a2 = slice("web-a", "ua", "10.0.0.3", "2");
  stream_decoder decoder;
  decoder.feed(event("ADDED", a) + event("ADDED", b) + event("MODIFIED", a2) + bookmark + event("DELETED", b) +
               event("DELETED", slice("web-z", "uz", "10.0.0.9")) + gone +
               R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"shop"}})");
  decoder.finish();
  endpoint_cache<ipv4> watched;
  std::vector<bool> changed;
  while (auto e = decoder.next()) changed.push_back(watched.apply(*e));
  CHECK(changed == std::vector<bool>{true, true, true, false, true, false, false, false});
  endpoint_cache<ipv4> final_state;
  (void)final_state.update(decode_endpoint_slice(a2));
  CHECK(watched.snapshot() == final_state.snapshot());
  CHECK(watched.slice_count() == 1);
}

#ifdef EPSLICE_CLI_PATH

#include "cli_runner.hpp"

using epslice_test::run;

TEST_CASE("cli store: commands see the final state of a watch stream", "[cli][store]") {
  const std::string a = slice("web-a", "ua", "10.0.0.1"), b = slice("web-b", "ub", "10.0.0.2");
  const std::string a2 = slice("web-a", "ua", "10.0.0.3", "2");
  const std::string stream = event("ADDED", a) + "\n" + event("ADDED", b) + "\n" + event("MODIFIED", a2) + "\n" +
                             event("DELETED", b) + "\n" + bookmark + "\n";
  for (const std::string command : {"select --compact --family IPv4 --node n1 --slices -", "eds --compact --family IPv4 --slices -",
                                    "convert --to endpoints -"}) {
    INFO(command);
    const auto watched = run(command, stream);
    const auto final_state = run(command, a2);
    CHECK(watched.code == 0);
    CHECK(watched.err == final_state.err);
    CHECK(watched.out == final_state.out);
    CHECK(watched.out.find("10.0.0.3") != std::string::npos);
    CHECK(watched.out.find("10.0.0.1") == std::string::npos);
    CHECK(watched.out.find("10.0.0.2") == std::string::npos);
  }
  // validate sees every version and skips the BOOKMARK (not an EndpointSlice to check).
  const auto v = run("validate -", stream);
  CHECK(v.code == 0);
  CHECK(v.err.empty());
}

TEST_CASE("cli store: an ERROR event is a warning and exit 1, the result is the events before it", "[cli][store]") {
  const std::string a = slice("web-a", "ua", "10.0.0.1");
  const auto r = run("select --compact --family IPv4 --node n1 --slices -", event("ADDED", a) + gone);
  const auto before = run("select --compact --family IPv4 --node n1 --slices -", event("ADDED", a));
  CHECK(r.code == 1);
  CHECK(r.out == before.out);
  CHECK(r.err == before.err +
                     "-: warning: the stream reported an error (code 410 Expired: too old resource version: 1 (2)): "
                     "the objects are those before it\n");
}

TEST_CASE("cli store: fmt prints a watch stream as events and a typed list as itself", "[cli][store]") {
  const std::string a = slice("web-a", "ua", "10.0.0.1");
  const std::string stream = event("ADDED", a) + "\n" + event("DELETED", a) + "\n" + bookmark + "\n" +
                             R"({"Type":"MODIFIED","Object":)" + a + "}\n";
  const auto r = run("fmt --compact -", stream);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  CHECK(r.out == stream);

  // Items without kind and apiVersion (as the API server lists them) stay without them.
  std::string item = a;
  item.erase(1, std::string(R"("kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",)").size());
  const std::string list = R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSliceList","metadata":{"resourceVersion":"777"},"items":[)" +
                           item + "]}\n";
  const auto l = run("fmt --compact -", list);
  CHECK(l.code == 0);
  CHECK(l.err.empty());
  CHECK(l.out == list);
  // describe names the items by their inferred kind.
  const auto d = run("describe -", list);
  CHECK(d.out.rfind("-: EndpointSlice shop/web-a", 0) == 0);
}

#endif

#ifdef EPSLICE_CLI_PATH

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// The tool running with a pipe on each side: events are written one at a time and the lines they
// cause read back before the next, as a watch delivers them.
class piped_tool {
 public:
  explicit piped_tool(const std::vector<std::string>& args) : err_path_(epslice_test::scratch_path("follow.err")) {
    int in[2], out[2];
    REQUIRE(::pipe(in) == 0);
    REQUIRE(::pipe(out) == 0);
    pid_ = epslice_test::spawn_tool(args, in[0], out[1], err_path_, {in[0], in[1], out[0], out[1]});
    REQUIRE(pid_ >= 0);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
  }
  ~piped_tool() {
    if (to_ >= 0) ::close(to_);
    if (from_ >= 0) ::close(from_);
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::remove(err_path_.c_str());
  }
  void write(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
      const auto n = ::write(to_, text.data() + done, text.size() - done);
      REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }
  // The next line the tool prints; empty when none comes within `wait_ms` (the tool is not
  // expected to print anything then).
  std::string line(int wait_ms = 20000) {
    while (true) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string out = buffer_.substr(0, nl + 1);
        buffer_.erase(0, nl + 1);
        return out;
      }
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, wait_ms) <= 0) return {};
      char chunk[4096];
      const auto n = ::read(from_, chunk, sizeof chunk);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // Closes the tool's input and returns its exit code.
  int finish() {
    ::close(to_);
    to_ = -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // What the tool wrote on standard error (read after finish()).
  [[nodiscard]] std::string err() const { return epslice_test::slurp(err_path_); }

 private:
  std::string err_path_;
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string buffer_;
};

}  // namespace

TEST_CASE("cli store: select --follow and eds --follow answer each event through a pipe", "[cli][store]") {
  std::signal(SIGPIPE, SIG_IGN);
  const std::string a = slice("web-a", "ua", "10.0.0.1"), b = slice("web-b", "ub", "10.0.0.2");
  const std::string a2 = slice("web-a", "ua", "10.0.0.3", "2");
  {
    piped_tool tool({"select", "--follow", "--slices", "-", "--node", "n1"});
    tool.write(event("ADDED", a) + "\n");
    CHECK(tool.line() == R"({"shop/web:http/TCP":{"cluster":["10.0.0.1:8080"],"local":[],"all":["10.0.0.1:8080"]}})"
                         "\n");
    tool.write(event("ADDED", b) + "\n");
    CHECK(tool.line() ==
          R"({"shop/web:http/TCP":{"cluster":["10.0.0.1:8080","10.0.0.2:8080"],"local":[],"all":["10.0.0.1:8080","10.0.0.2:8080"]}})"
          "\n");
    // A new version with the same endpoints, and a BOOKMARK: nothing changed, nothing printed.
    tool.write(event("MODIFIED", slice("web-b", "ub", "10.0.0.2", "7")) + "\n" + bookmark + "\n");
    tool.write(event("MODIFIED", a2) + "\n");
    CHECK(tool.line() ==
          R"({"shop/web:http/TCP":{"cluster":["10.0.0.2:8080","10.0.0.3:8080"],"local":[],"all":["10.0.0.2:8080","10.0.0.3:8080"]}})"
          "\n");
    tool.write(event("DELETED", a2) + "\n" + event("DELETED", b) + "\n");
    // Both deletes may arrive in one read (one line) or two (the last says the port is gone).
    std::string last = tool.line();
    if (last != "{\"shop/web:http/TCP\":null}\n") last = tool.line();
    CHECK(last == "{\"shop/web:http/TCP\":null}\n");
    CHECK(tool.finish() == 0);
    CHECK(tool.line(0).empty());
    CHECK(tool.err().empty());
  }
  {
    piped_tool tool({"eds", "--follow", "--slices", "-"});
    tool.write(event("ADDED", a) + "\n");
    CHECK(tool.line() ==
          R"({"cluster_name":"shop/web:http","endpoints":[{"locality":{},"lb_endpoints":[{"endpoint":{"address":{"socket_address":{"address":"10.0.0.1","port_value":8080}}},"health_status":"HEALTHY"}]}]})"
          "\n");
    tool.write(event("DELETED", a) + "\n");
    CHECK(tool.line() == R"({"cluster_name":"shop/web:http","endpoints":[]})"
                         "\n");
    // An ERROR ends the stream's truth: a warning on stderr and exit code 1.
    tool.write(gone + "\n");
    CHECK(tool.finish() == 1);
    CHECK(tool.err() == "-: warning: the stream reported an error (code 410 Expired: too old resource version: 1 (2)): "
                        "the objects are those before it\n");
  }
}

TEST_CASE("cli store: --follow refuses what it cannot follow", "[cli][store]") {
  const auto two = run("eds --follow --slices a.json --slices b.json");
  CHECK(two.code == 2);
  CHECK(two.err == "epslice eds: --follow reads one --slices input\nrun `epslice eds --help` for usage\n");
  const auto invalid = run("eds --follow --slices -", event("ADDED", slice("web-a", "ua", "10.0.0.300")) + "\n");
  CHECK(invalid.code == 1);
  CHECK(invalid.out.empty());
  CHECK(invalid.err == "-: EndpointSlice shop/web-a: endpoints[0].addresses[0]: Invalid value: \"10.0.0.300\": must be "
                       "a valid IPv4 address\n");
  const auto not_json = run("select --follow --node n --slices -", "{\"kind\":");
  CHECK(not_json.code == 2);
  CHECK(not_json.err.rfind("-:1:9: not JSON: ", 0) == 0);
  // YAML is followed too, read whole: the same answer as the same slice in JSON.
  const std::string yaml = "kind: EndpointSlice\napiVersion: discovery.k8s.io/v1\n"
                           "metadata: {name: web-a, namespace: shop, labels: {kubernetes.io/service-name: web}}\n"
                           "addressType: IPv4\nendpoints: [{addresses: [10.0.0.1]}]\nports: [{name: http, port: 8080, protocol: TCP}]\n";
  const std::string json = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-a",)"
                           R"("namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4",)"
                           R"("endpoints":[{"addresses":["10.0.0.1"]}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]})";
  const auto from_yaml = run("eds --follow --slices -", yaml);
  CHECK(from_yaml.code == 0);
  CHECK(from_yaml.err.empty());
  CHECK(from_yaml.out.find("10.0.0.1") != std::string::npos);
  CHECK(from_yaml.out == run("eds --follow --slices -", json).out);
}

#endif

TEST_CASE("store: list items measure with the type they take from their list", "[store][sizes]") {
  // The API server lists items without kind and apiVersion; their protobuf envelope and the JSON
  // it sends for them carry the list's type all the same.
  const std::string own = slice("web-a", "ua", "10.0.0.1");
  std::string item = own;
  item.erase(1, std::string(R"("kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",)").size());
  const auto listed = decode_document(R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{},"items":[)" +
                                      item + "]}");
  const auto single = decode_document(own);
  REQUIRE(listed.events.size() == 1);
  REQUIRE(single.events.size() == 1);
  const auto& a = listed.events[0].object;
  const auto& b = single.events[0].object;
  CHECK(a.kind_inferred);
  CHECK(a.api_version_inferred);
  CHECK(protobuf_size(a.value.get<any_endpoint_slice>()) == protobuf_size(b.value.get<any_endpoint_slice>()));
  CHECK(json_size(a.value.get<any_endpoint_slice>()) == own.size());
  // Written back, the item stays as it came; with its type fields, it is the object as sent.
  CHECK(encode(a) == item);
  CHECK(encode(a, {.inferred_type_fields = true}) == own);
}
