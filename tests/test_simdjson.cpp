// SPDX-License-Identifier: Apache-2.0
// Tests of simdjson.hpp: the fast decode path gives what the nlohmann reader gives, on every input.
//
// Differential throughout: every input goes through both paths, and the decoded values (or the
// error messages) must be equal. The inputs are every JSON text of the JSON tests and of
// tests/data, thousands of generated objects (every family, unknown fields everywhere, escapes,
// unicode, nulls, empty lists, v1beta1, stored metadata with managedFields), inputs made to
// fall back, and mutations of all of these.
#include <epslice/simdjson.hpp>

#include <catch2/catch.hpp>

#include "world_fixture.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#ifndef EPSLICE_TEST_DATA_DIR
#error "define EPSLICE_TEST_DATA_DIR to the tests/data directory"
#endif

using namespace epslice;

namespace {

#if defined(EPSLICE_SANITIZE_BUILD)
constexpr int generated_cases = 400;
constexpr int mutated_cases = 600;
#else
constexpr int generated_cases = 3000;
constexpr int mutated_cases = 4000;
#endif

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Deterministic random numbers (splitmix64), the same on every platform.
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
  bool one_in(std::size_t n) { return below(n) == 0; }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }
};

// ---- comparing the two paths ------------------------------------------------------------------

std::vector<std::string> messages(const field_errors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.message());
  return out;
}

// A value of a decoded object in words, for failure output.
std::string describe(const object_value& v) {
  if (const auto* a = v.get_if<any_endpoint_slice>()) return "slice/" + std::to_string(a->index()) + " " + encode(*a);
  if (const auto* e = v.get_if<endpoints>()) return "endpoints " + encode(*e);
  const auto& r = v.get<raw_object>();
  return "raw kind '" + r.kind + "' apiVersion '" + r.api_version + "' " + r.json;
}

// A decoded document in words, for failure output.
std::string describe(const decoded_document& d) {
  std::string s = "values=" + std::to_string(d.values) + " had_list=" + std::to_string(d.had_list);
  if (d.syntax_error)
    s += " syntax_error@" + std::to_string(d.syntax_error->offset) + " " + std::to_string(d.syntax_error->line) + ":" +
         std::to_string(d.syntax_error->column) + " " + d.syntax_error->message;
  for (const auto& p : messages(d.problems)) s += "\n  problem: " + p;
  for (const auto& l : d.lists) {
    s += "\n  list '" + l.kind + "' '" + l.api_version + "' doc " + std::to_string(l.document) + " items " +
         std::to_string(l.items) + " resourceVersion '" + l.metadata.resource_version + "'";
    for (const auto& p : messages(l.duplicates)) s += "\n    duplicate: " + p;
  }
  for (const auto& e : d.events) {
    const decoded_object& o = e.object;
    s += "\n  event " + std::string(to_string(e.type)) + " shape " + std::string(to_string(e.shape)) + " object '" +
         o.location + "' doc " + std::to_string(o.document) + " kind '" + std::string(o.kind()) + "'" +
         (o.kind_inferred ? " (inferred)" : "") + " apiVersion '" + std::string(o.api_version()) + "'" +
         (o.api_version_inferred ? " (inferred)" : "") + " " + describe(o.value);
    if (!e.resource_version.empty()) s += "\n    resourceVersion " + e.resource_version;
    if (e.status) s += "\n    status " + std::to_string(e.status->code) + " " + e.status->reason + " " + e.status->message;
    for (const auto& p : messages(o.problems)) s += "\n    problem: " + p;
    for (const auto& p : messages(o.duplicates)) s += "\n    duplicate: " + p;
  }
  return s;
}

bool same_object(const decoded_object& x, const decoded_object& y) {
  return x.location == y.location && x.document == y.document && x.kind_inferred == y.kind_inferred &&
         x.api_version_inferred == y.api_version_inferred && messages(x.problems) == messages(y.problems) &&
         messages(x.duplicates) == messages(y.duplicates) && x.value == y.value;
}

bool same_document(const decoded_document& a, const decoded_document& b) {
  if (a.values != b.values || a.had_list != b.had_list || messages(a.problems) != messages(b.problems)) return false;
  if (a.syntax_error.has_value() != b.syntax_error.has_value()) return false;
  if (a.syntax_error && (a.syntax_error->offset != b.syntax_error->offset || a.syntax_error->line != b.syntax_error->line ||
                         a.syntax_error->column != b.syntax_error->column ||
                         a.syntax_error->message != b.syntax_error->message))
    return false;
  if (a.lists.size() != b.lists.size()) return false;
  for (std::size_t i = 0; i < a.lists.size(); ++i) {
    const auto& x = a.lists[i];
    const auto& y = b.lists[i];
    if (x.kind != y.kind || x.api_version != y.api_version || !(x.metadata == y.metadata) || x.document != y.document ||
        x.items != y.items || messages(x.duplicates) != messages(y.duplicates))
      return false;
  }
  if (a.events.size() != b.events.size()) return false;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto& x = a.events[i];
    const auto& y = b.events[i];
    if (x.type != y.type || x.shape != y.shape || x.resource_version != y.resource_version || !(x.status == y.status) ||
        !same_object(x.object, y.object))
      return false;
  }
  return true;
}

// The value a decode function returned, or the message of the epslice::error it threw (anything
// else escapes and fails the test).
template <class T>
struct outcome {
  std::optional<T> value;
  std::string error;
  std::vector<std::string> errors;
};
template <class Fn>
auto run(Fn&& fn) -> outcome<decltype(fn())> {
  try {
    return {fn(), {}, {}};
  } catch (const epslice::error& e) {
    return {std::nullopt, e.what(), messages(e.errors())};
  }
}
template <class T>
bool same_outcome(const outcome<T>& a, const outcome<T>& b) {
  if (a.value.has_value() != b.value.has_value()) return false;
  if (a.value) return *a.value == *b.value;
  return a.error == b.error && a.errors == b.errors;
}
template <class T>
std::string describe(const outcome<T>& o) {
  if (!o.value) return "error: " + o.error;
  return "value: " + encode(*o.value);
}

// Every decode entry point, through both paths; true when the fast path took every one that the
// object's kind lets it take (decode_document always; the typed decoders when `kind` names them).
struct check_result {
  bool document_fast = false;
  bool slice_fast = false;
  bool endpoints_fast = false;
  simdjson_fallback document_why = simdjson_fallback::none;  // why decode_document fell back
  std::uint64_t stream_objects_fell_back = 0;  // objects a stream decoder left to its reader
};

// The input as failure output shows it: cut, since some inputs are megabytes.
std::string shown(const std::string& text) {
  return text.size() <= 4000 ? text : text.substr(0, 4000) + "... (" + std::to_string(text.size()) + " bytes)";
}

// A check that builds its failure message only when it fails (descriptions encode whole objects).
void expect_same(bool same, const std::string& text, const std::function<std::string()>& what) {
  if (same) {
    CHECK(same);
    return;
  }
  FAIL_CHECK("input: " << shown(text) << "\n" << what());
}

// The text through a stream decoder with `objects` (or without, when null), fed in chunks of
// `chunk` bytes (whole when 0), its events taken after every chunk.
decoded_document stream_decode(const std::string& text, const decode_limits& limits, framed_object_decoder* objects,
                               std::size_t chunk = 0) {
  decoded_document out;
  stream_decoder d(limits, objects);
  if (chunk == 0) chunk = std::max<std::size_t>(text.size(), 1);
  for (std::size_t at = 0; at < text.size(); at += chunk) {
    d.feed(std::string_view(text).substr(at, chunk));
    while (auto ev = d.next()) out.events.push_back(std::move(*ev));
  }
  d.finish();
  while (auto ev = d.next()) out.events.push_back(std::move(*ev));
  out.problems = d.take_problems();
  out.lists = d.take_lists();
  out.values = d.values();
  out.had_list = d.had_list();
  out.syntax_error = d.syntax_error();
  return out;
}

check_result check_both_paths(simdjson_decoder& fast, const std::string& text, const decode_limits& limits = {}) {
  check_result r;
  const decoded_document reader = epslice::decode_document(text, limits);
  {
    const auto before = fast.fallbacks();
    const decoded_document a = fast.decode_document(text, limits);
    r.document_fast = fast.fallbacks() == before;
    r.document_why = fast.last_fallback();
    expect_same(same_document(a, reader), text, [&] { return "fast: " + describe(a) + "\nreader: " + describe(reader); });
  }
  {
    // The stream decoder with the fast path for its objects; one object decoder for every input,
    // as a program keeps one, so that what one decode leaves behind meets the next.
    static simdjson_object_decoder objects;
    const auto before = objects.fallbacks();
    const decoded_document a = stream_decode(text, limits, &objects);
    r.stream_objects_fell_back = objects.fallbacks() - before;
    expect_same(same_document(a, reader), text,
                [&] { return "stream, fast: " + describe(a) + "\nreader: " + describe(reader); });
  }
  {
    const auto before = fast.fallbacks();
    const auto a = run([&] { return fast.decode_endpoint_slice(text, limits); });
    r.slice_fast = fast.fallbacks() == before;
    const auto b = run([&] { return epslice::decode_endpoint_slice(text, limits); });
    expect_same(same_outcome(a, b), text, [&] { return "slice fast: " + describe(a) + "\nreader: " + describe(b); });
  }
  {
    const auto before = fast.fallbacks();
    const auto a = run([&] { return fast.decode_endpoints(text, limits); });
    r.endpoints_fast = fast.fallbacks() == before;
    const auto b = run([&] { return epslice::decode_endpoints(text, limits); });
    expect_same(same_outcome(a, b), text, [&] { return "endpoints fast: " + describe(a) + "\nreader: " + describe(b); });
  }
  const auto typed = [&](auto family) {
    using F = decltype(family);
    const auto a = run([&] { return fast.decode_endpoint_slice_as<F>(text, limits); });
    const auto b = run([&] { return epslice::decode_endpoint_slice_as<F>(text, limits); });
    expect_same(same_outcome(a, b), text, [&] {
      return "family " + std::string(F::name) + " fast: " + describe(a) + "\nreader: " + describe(b);
    });
  };
  typed(ipv4{});
  typed(ipv6{});
  typed(fqdn{});
  typed(raw{});
  return r;
}

// ---- the JSON texts of the other tests --------------------------------------------------------

// The string literals of a C++ source, adjacent ones joined as the compiler joins them, escapes
// resolved: the inputs the JSON tests feed the reader.
std::vector<std::string> string_literals(std::string_view src) {
  std::vector<std::string> out;
  std::string current;
  bool in_run = false;  // the last token was a string literal
  const auto flush = [&] {
    if (in_run) out.push_back(current);
    current.clear();
    in_run = false;
  };
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::size_t i = 0;
  while (i < src.size()) {
    const char c = src[i];
    if (c == '/' && i + 1 < src.size() && src[i + 1] == '/') {
      i = src.find('\n', i);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (c == '/' && i + 1 < src.size() && src[i + 1] == '*') {
      i = src.find("*/", i + 2);
      if (i == std::string_view::npos) break;
      i += 2;
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    const bool word_before = i > 0 && (std::isalnum(static_cast<unsigned char>(src[i - 1])) || src[i - 1] == '_');
    if (c == 'R' && !word_before && i + 1 < src.size() && src[i + 1] == '"') {
      const std::size_t open = src.find('(', i + 2);
      const std::string close = ")" + std::string(src.substr(i + 2, open - (i + 2))) + "\"";
      const std::size_t end = src.find(close, open + 1);
      current += src.substr(open + 1, end - (open + 1));
      in_run = true;
      i = end + close.size();
      continue;
    }
    if (c == '"') {
      ++i;
      while (i < src.size() && src[i] != '"') {
        if (src[i] != '\\') {
          current += src[i++];
          continue;
        }
        const char e = src[i + 1];
        i += 2;
        switch (e) {
          case 'n': current += '\n'; break;
          case 't': current += '\t'; break;
          case 'r': current += '\r'; break;
          case 'b': current += '\b'; break;
          case 'f': current += '\f'; break;
          case 'v': current += '\v'; break;
          case 'a': current += '\a'; break;
          case 'x': {
            int v = 0;
            while (i < src.size() && hex(src[i]) >= 0) v = v * 16 + hex(src[i++]);
            current += static_cast<char>(v);
            break;
          }
          default:
            if (e >= '0' && e <= '7') {
              int v = e - '0';
              for (int k = 0; k < 2 && i < src.size() && src[i] >= '0' && src[i] <= '7'; ++k) v = v * 8 + (src[i++] - '0');
              current += static_cast<char>(v);
            } else {
              current += e;  // \" \\ \' \?
            }
        }
      }
      ++i;
      in_run = true;
      continue;
    }
    if (c == '\'' && !word_before) {  // a character literal (a quote after a digit separates digits)
      i = src.find('\'', i + (src[i + 1] == '\\' ? 3 : 2)) + 1;
      flush();
      continue;
    }
    flush();
    ++i;
  }
  flush();
  return out;
}

// The literals of the JSON tests that look like JSON documents (what they decode), and the
// fragments they build documents from (which are inputs too: mostly not JSON).
std::vector<std::string> json_test_inputs() {
  const std::filesystem::path tests = std::filesystem::path(EPSLICE_TEST_DATA_DIR).parent_path();
  std::vector<std::string> inputs;
  for (const char* file : {"test_json.cpp", "test_json_pod.cpp", "test_stream.cpp"}) {
    for (auto& s : string_literals(read_file(tests / file))) {
      const std::size_t first = s.find_first_not_of(" \t\r\n");
      if (first != std::string::npos && (s[first] == '{' || s[first] == '[')) inputs.push_back(std::move(s));
    }
  }
  return inputs;
}

std::vector<std::string> data_files() {
  std::vector<std::string> out;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(EPSLICE_TEST_DATA_DIR))
    if (e.path().extension() == ".json") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) out.push_back(read_file(p));
  return out;
}

// ---- generated objects ------------------------------------------------------------------------

// Valid JSON of the shapes the API server and kubectl write and of rarer ones the reader accepts:
// keys in Go's order, in kubectl's (sorted) or shuffled, optional whitespace, strings escaped in
// every legal way, unicode, nulls, empty and nil lists, unknown fields at every level. Nothing in
// it is a reason to fall back (no repeated key, no null label, no known key spelled with escapes).
class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_{seed} {}

  splitmix& rng() { return rng_; }

  std::string slice() {
    const char* families[] = {"IPv4", "IPv6", "FQDN"};
    std::string family = rng_.pick(families);
    const bool beta = rng_.one_in(8);
    members m;
    m.emplace_back("kind", str("EndpointSlice", false));
    m.emplace_back("apiVersion", str(beta ? "discovery.k8s.io/v1beta1" : rng_.one_in(20) ? "example.com/v9" : "discovery.k8s.io/v1", false));
    if (!rng_.one_in(10)) m.emplace_back("metadata", meta());
    // The address type: usually a family; sometimes absent, empty, null or the legacy IP.
    switch (rng_.below(16)) {
      case 0: family.clear(); break;
      case 1: m.emplace_back("addressType", "\"\""); family.clear(); break;
      case 2: m.emplace_back("addressType", "null"); family.clear(); break;
      case 3: m.emplace_back("addressType", "\"IP\""); family = "IP"; break;
      default: m.emplace_back("addressType", str(family, false)); break;
    }
    if (!rng_.one_in(10)) {
      if (rng_.one_in(10)) {
        m.emplace_back("endpoints", "null");
      } else {
        const std::size_t n = rng_.one_in(10) ? 0 : 1 + rng_.below(rng_.one_in(5) ? 60 : 6);
        const bool bad = rng_.one_in(8);  // one address that does not parse: a raw slice
        const std::size_t bad_at = rng_.below(n + 1);
        std::vector<std::string> eps;
        for (std::size_t i = 0; i < n; ++i) eps.push_back(endpoint(family, beta, bad && i == bad_at));
        m.emplace_back("endpoints", array(eps));
      }
    }
    if (!rng_.one_in(10)) m.emplace_back("ports", slice_ports());
    unknowns(m, 3);
    // A v1beta1 topology read before the apiVersion is the reader's: keep the apiVersion first.
    return object(m, !beta);
  }

  std::string endpoints_object() {
    members m;
    m.emplace_back("kind", "\"Endpoints\"");
    m.emplace_back("apiVersion", "\"v1\"");
    if (!rng_.one_in(10)) m.emplace_back("metadata", meta());
    if (!rng_.one_in(6)) {
      std::vector<std::string> subsets;
      for (std::size_t i = 0, n = rng_.below(4); i < n; ++i) {
        members s;
        if (!rng_.one_in(5)) s.emplace_back("addresses", endpoint_addresses());
        if (rng_.one_in(2)) s.emplace_back("notReadyAddresses", endpoint_addresses());
        if (!rng_.one_in(5)) {
          std::vector<std::string> ports;
          for (std::size_t k = 0, np = rng_.below(3); k < np; ++k) {
            members p;
            if (!rng_.one_in(4)) p.emplace_back("name", rng_.one_in(8) ? "null" : str(text(), true));
            if (!rng_.one_in(6)) p.emplace_back("port", rng_.one_in(8) ? "null" : std::to_string(rng_.below(65536)));
            if (!rng_.one_in(4)) p.emplace_back("protocol", rng_.one_in(8) ? "null" : str(rng_.one_in(2) ? "TCP" : "UDP", true));
            if (rng_.one_in(4)) p.emplace_back("appProtocol", rng_.one_in(3) ? "null" : str(text(), true));
            unknowns(p, 1);
            ports.push_back(object(p));
          }
          s.emplace_back("ports", rng_.one_in(8) ? "null" : array(ports));
        }
        unknowns(s, 1);
        subsets.push_back(object(s));
      }
      m.emplace_back("subsets", rng_.one_in(8) ? "null" : array(subsets));
    }
    unknowns(m, 2);
    return object(m);
  }

  // An object of another kind, kept whole as a raw object.
  std::string other_object() {
    const char* kinds[] = {"Pod", "Service", "Node", "ConfigMap", ""};
    members m;
    m.emplace_back("apiVersion", rng_.one_in(5) ? "7" : "\"v1\"");
    m.emplace_back("kind", str(rng_.pick(kinds), false));
    m.emplace_back("metadata", meta());
    unknowns(m, 4);
    return object(m);
  }

  // A List, EndpointSliceList or EndpointsList, in Go's key order or kubectl's.
  std::string list() {
    const int which = static_cast<int>(rng_.below(3));
    const char* kinds[] = {"List", "EndpointSliceList", "EndpointsList"};
    std::vector<std::string> items;
    for (std::size_t i = 0, n = rng_.below(5); i < n; ++i) {
      if (which == 1) items.push_back(slice());
      else if (which == 2) items.push_back(endpoints_object());
      else items.push_back(rng_.one_in(3) ? slice() : rng_.one_in(2) ? endpoints_object() : other_object());
    }
    members m;
    m.emplace_back("apiVersion", which == 1 ? "\"discovery.k8s.io/v1\"" : "\"v1\"");
    m.emplace_back("items", rng_.one_in(10) ? "null" : array(items));
    m.emplace_back("kind", str(kinds[which], false));
    m.emplace_back("metadata", rng_.one_in(2) ? R"({"resourceVersion":""})" : R"({"resourceVersion":"12345","continue":"x"})");
    unknowns(m, 1);
    if (rng_.one_in(2)) std::swap(m[1], m[2]);  // kind before items
    return object(m, false);
  }

 private:
  // A member of an object: its key, its JSON value, and whether the key may be written with
  // escapes (a key of the model may not: spelled with escapes, it makes the fast path fall back).
  struct member {
    member(std::string k, std::string v, bool escapable = false)
        : key(std::move(k)), value(std::move(v)), key_escapable(escapable) {}
    std::string key;
    std::string value;
    bool key_escapable;
  };
  using members = std::vector<member>;
  splitmix rng_;

  std::string space() {
    if (!rng_.one_in(6)) return {};
    const char* spaces[] = {" ", "\n", "\t", "\r\n    ", "  "};
    return rng_.pick(spaces);
  }

  // `s` (valid UTF-8) as a JSON string literal; with `escapes`, characters are escaped at random
  // in any legal way (\uXXXX, surrogate pairs, \/), as other encoders than Go's do.
  std::string str(std::string_view s, bool escapes) {
    std::string out = "\"";
    const auto u_escape = [&](unsigned cp) {
      char buf[8];
      std::snprintf(buf, sizeof buf, rng_.one_in(2) ? "\\u%04x" : "\\u%04X", cp);
      out += buf;
    };
    for (std::size_t i = 0; i < s.size();) {
      const auto b = static_cast<unsigned char>(s[i]);
      std::size_t len = 1;
      unsigned cp = b;
      if (b >= 0xF0) {
        len = 4;
        cp = b & 0x07u;
      } else if (b >= 0xE0) {
        len = 3;
        cp = b & 0x0Fu;
      } else if (b >= 0xC0) {
        len = 2;
        cp = b & 0x1Fu;
      }
      for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
      const bool escape = escapes && rng_.one_in(6);
      if (cp == '"' || cp == '\\') {
        if (escape) u_escape(cp);
        else (out += '\\') += static_cast<char>(cp);
      } else if (cp < 0x20) {
        const char* shorts = nullptr;
        switch (cp) {
          case '\n': shorts = "\\n"; break;
          case '\t': shorts = "\\t"; break;
          case '\r': shorts = "\\r"; break;
          case '\b': shorts = "\\b"; break;
          case '\f': shorts = "\\f"; break;
          default: break;
        }
        if (shorts && !escape) out += shorts;
        else u_escape(cp);
      } else if (!escape) {
        out.append(s.substr(i, len));
      } else if (cp == '/') {
        out += "\\/";
      } else if (cp < 0x10000) {
        u_escape(cp);
      } else {
        u_escape(0xD800 + ((cp - 0x10000) >> 10));
        u_escape(0xDC00 + ((cp - 0x10000) & 0x3FF));
      }
      i += len;
    }
    return out + "\"";
  }

  std::string text() {
    const char* pieces[] = {"web", "zone-a", "node-1", "default", "x", "", "\xc3\xa9t\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
                            "\xf0\x9f\x98\x80", "<b>&amp;", "a\"b", "back\\slash", "line\nbreak", "tab\there",
                            "\xe2\x80\xa8", "\x01\x1f", "/path/x", "kubernetes.io/service-name", "\x7f"};
    std::string s;
    for (std::size_t i = 0, n = 1 + rng_.below(3); i < n; ++i) s += rng_.pick(pieces);
    return s;
  }

  std::string number() {
    const char* numbers[] = {"0", "-0", "42", "-7", "9223372036854775807", "-9223372036854775808",
                             "18446744073709551615", "1.5", "2.50", "1E5", "-0.0", "1e-7", "3.0e+2", "1e-400", "0.1"};
    return rng_.pick(numbers);
  }

  // Any JSON value, for unknown fields.
  std::string value(int depth) {
    switch (rng_.below(depth > 3 ? 5 : 8)) {
      case 0: return "null";
      case 1: return rng_.one_in(2) ? "true" : "false";
      case 2: return number();
      case 3:
      case 4: return str(text(), true);
      case 5: {
        std::vector<std::string> items;
        for (std::size_t i = 0, n = rng_.below(4); i < n; ++i) items.push_back(value(depth + 1));
        return array(items);
      }
      default: {
        members m;
        unknowns(m, 4, depth + 1);
        return object(m, false);
      }
    }
  }

  // Up to `most` unknown fields, with keys no object of the model knows and no two the same.
  void unknowns(members& m, std::size_t most, int depth = 0) {
    const char* keys[] = {"x", "extra", "fooBar", "\xc3\xbcnic\xc3\xb6\x64\x65", "with space", "a<b&c>", "q\"uote", "",
                          "spec", "status", "z9", "back\\slash", "\xe2\x80\xa9"};
    std::set<std::string> used;
    for (const auto& kv : m) used.insert(kv.key);
    for (std::size_t i = 0, n = rng_.below(most + 1); i < n; ++i) {
      if (!rng_.one_in(3)) continue;
      const std::string k = rng_.pick(keys);
      if (!used.insert(k).second) continue;
      m.emplace_back(k, value(depth), true);
    }
  }

  std::string array(const std::vector<std::string>& items) {
    std::string out = "[" + space();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += "," + space();
      out += items[i];
    }
    return out + space() + "]";
  }

  // The members in their order, now and then shuffled (the reader takes any order).
  std::string object(members m, bool may_shuffle = true) {
    if (may_shuffle && rng_.one_in(6))
      for (std::size_t i = m.size(); i > 1; --i) std::swap(m[i - 1], m[rng_.below(i)]);
    std::string out = "{" + space();
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (i) out += "," + space();
      out += str(m[i].key, m[i].key_escapable) + space() + ":" + space() + m[i].value;
    }
    return out + space() + "}";
  }

  std::string map_value() {
    if (rng_.one_in(8)) return rng_.one_in(2) ? "null" : "{}";
    std::set<std::string> keys;
    for (std::size_t i = 0, n = 1 + rng_.below(4); i < n; ++i) keys.insert(text() + std::to_string(rng_.below(5)));
    members m;
    for (const auto& k : keys) m.emplace_back(k, str(text(), true), true);
    return object(m, true);
  }

  std::string managed_fields() {
    std::string uid = "11111111-2222-4333-8444-" + std::to_string(100000000000 + rng_.below(900000000000));
    std::string entry = R"({"manager":"kube-controller-manager","operation":"Update","apiVersion":"discovery.k8s.io/v1",)"
                        R"("time":"2024-05-01T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:addressType":{},)"
                        R"("f:endpoints":{},"f:metadata":{"f:generateName":{},"f:labels":{".":{},)"
                        R"("f:endpointslice.kubernetes.io/managed-by":{},"f:kubernetes.io/service-name":{}},)"
                        R"("f:ownerReferences":{".":{},"k:{\"uid\":\")" + uid + R"(\"}":{}}},"f:ports":{}}})";
    if (rng_.one_in(3))
      entry += R"(,{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","time":"2024-05-01T10:00:01Z",)"
               R"("fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}})";
    return "[" + entry + "]";
  }

  std::string meta() {
    members m;
    if (!rng_.one_in(5)) m.emplace_back("name", rng_.one_in(10) ? "null" : str("svc-" + text(), true));
    if (rng_.one_in(2)) m.emplace_back("generateName", str("svc-", false));
    if (!rng_.one_in(4)) m.emplace_back("namespace", str(rng_.one_in(2) ? "default" : text(), true));
    const bool stored = rng_.one_in(2);  // the stored form: everything the API server adds
    if (stored || rng_.one_in(4)) m.emplace_back("uid", str("0b7e1203-9d1a-4e55-a0c4-7f3b2d1e9c07", false));
    if (stored || rng_.one_in(4)) m.emplace_back("resourceVersion", str(std::to_string(rng_.below(1000000)), false));
    if (stored || rng_.one_in(4)) m.emplace_back("generation", rng_.one_in(10) ? "null" : std::to_string(rng_.below(100)));
    if (stored || rng_.one_in(4))
      m.emplace_back("creationTimestamp", rng_.one_in(5) ? "null" : str("2024-05-01T10:00:00Z", false));
    if (rng_.one_in(8)) m.emplace_back("deletionTimestamp", rng_.one_in(3) ? "null" : str("2024-05-02T10:00:00Z", false));
    if (rng_.one_in(8)) m.emplace_back("deletionGracePeriodSeconds", "30");
    if (rng_.one_in(6)) m.emplace_back("selfLink", str("/apis/x", true));
    if (!rng_.one_in(3)) m.emplace_back("labels", map_value());
    if (rng_.one_in(2)) m.emplace_back("annotations", map_value());
    if (stored || rng_.one_in(3)) {
      std::vector<std::string> refs;
      for (std::size_t i = 0, n = rng_.below(3); i < n; ++i) {
        members r;
        r.emplace_back("apiVersion", str("v1", false));
        r.emplace_back("kind", str("Service", false));
        r.emplace_back("name", str(text(), true));
        r.emplace_back("uid", str("u-" + std::to_string(i), false));
        if (!rng_.one_in(3)) r.emplace_back("controller", rng_.one_in(5) ? "null" : rng_.one_in(2) ? "true" : "false");
        if (!rng_.one_in(3)) r.emplace_back("blockOwnerDeletion", rng_.one_in(5) ? "null" : "true");
        unknowns(r, 1);
        refs.push_back(object(r));
      }
      m.emplace_back("ownerReferences", rng_.one_in(8) ? "null" : array(refs));
    }
    if (rng_.one_in(6)) m.emplace_back("finalizers", R"(["a/b",)" + str(text(), true) + "]");
    if (stored) m.emplace_back("managedFields", managed_fields());
    unknowns(m, 2);
    return object(m);
  }

  std::string address(const std::string& family, bool bad) {
    if (family == "IPv4") {
      if (bad) {
        const char* bads[] = {"10.0.0.300", "010.0.0.1", "fd00::1", "", "1.2.3"};
        return rng_.pick(bads);
      }
      return "10." + std::to_string(rng_.below(256)) + "." + std::to_string(rng_.below(256)) + "." + std::to_string(rng_.below(256));
    }
    if (family == "IPv6") {
      if (bad) {
        const char* bads[] = {"10.0.0.1", "::g", "fd00:::1", ""};
        return rng_.pick(bads);
      }
      // Canonical and non-canonical forms (they print canonically).
      const char* forms[] = {"fd00::%x", "FD00:0:0:0:0:0:0:%X", "2001:0db8::%04x", "fd00:10:244:1::%x", "::ffff:%x"};
      char buf[64];
      std::snprintf(buf, sizeof buf, rng_.pick(forms), static_cast<unsigned>(1 + rng_.below(0xfffe)));
      return buf;
    }
    if (family == "FQDN") {
      if (bad) {
        const char* bads[] = {"-bad-", "a..b", "", "UPPER_case"};
        return rng_.pick(bads);
      }
      return "db-" + std::to_string(rng_.below(100)) + ".example.com";
    }
    return rng_.one_in(2) ? "10.0.0." + std::to_string(rng_.below(256)) : std::string("not an address");
  }

  std::string endpoint(const std::string& family, bool beta, bool bad) {
    members m;
    if (!rng_.one_in(12)) {
      if (rng_.one_in(12) && !bad) {
        m.emplace_back("addresses", rng_.one_in(2) ? "null" : "[]");
      } else {
        std::vector<std::string> as;
        const std::size_t n = 1 + (rng_.one_in(4) ? rng_.below(3) : 0);
        const std::size_t bad_at = rng_.below(n);
        for (std::size_t i = 0; i < n; ++i) as.push_back(str(address(family, bad && i == bad_at), true));
        m.emplace_back("addresses", array(as));
      }
    } else if (bad) {
      m.emplace_back("addresses", "[" + str(address(family, true), false) + "]");
    }
    if (!rng_.one_in(6)) {
      if (rng_.one_in(10)) {
        m.emplace_back("conditions", "null");
      } else {
        members c;
        const char* bools[] = {"true", "false", "null"};
        if (!rng_.one_in(4)) c.emplace_back("ready", rng_.pick(bools));
        if (!rng_.one_in(4)) c.emplace_back("serving", rng_.pick(bools));
        if (!rng_.one_in(4)) c.emplace_back("terminating", rng_.pick(bools));
        unknowns(c, 1);  // dropped by the reader
        m.emplace_back("conditions", object(c));
      }
    }
    if (rng_.one_in(5)) m.emplace_back("hostname", rng_.one_in(4) ? "null" : str(text(), true));
    if (!rng_.one_in(4)) {
      if (rng_.one_in(10)) {
        m.emplace_back("targetRef", "null");
      } else {
        members r;
        r.emplace_back("kind", str("Pod", false));
        r.emplace_back("namespace", str("default", true));
        r.emplace_back("name", str("pod-" + text(), true));
        r.emplace_back("uid", rng_.one_in(10) ? "null" : str("00000000-0000-4000-8000-000000000001", false));
        if (rng_.one_in(5)) r.emplace_back("apiVersion", str("v1", false));
        if (rng_.one_in(5)) r.emplace_back("resourceVersion", str("9", false));
        if (rng_.one_in(8)) r.emplace_back("fieldPath", str("spec.containers{x}", true));
        unknowns(r, 1);
        m.emplace_back("targetRef", object(r));
      }
    }
    if (rng_.one_in(8)) m.emplace_back("deprecatedTopology", map_value());
    if (!rng_.one_in(3)) m.emplace_back("nodeName", rng_.one_in(10) ? "null" : str("node-" + text(), true));
    if (!rng_.one_in(3)) m.emplace_back("zone", rng_.one_in(10) ? "null" : str(text(), true));
    if (rng_.one_in(4)) {
      if (rng_.one_in(6)) {
        m.emplace_back("hints", "null");
      } else {
        members h;
        const auto names = [&] {
          std::vector<std::string> items;
          for (std::size_t i = 0, n = rng_.below(3); i < n; ++i) {
            members item;
            item.emplace_back("name", rng_.one_in(10) ? "null" : str(text(), true));
            unknowns(item, 1);  // dropped by the reader
            items.push_back(object(item));
          }
          return rng_.one_in(8) ? std::string("null") : array(items);
        };
        if (!rng_.one_in(3)) h.emplace_back("forZones", names());
        if (rng_.one_in(3)) h.emplace_back("forNodes", names());
        unknowns(h, 1);
        m.emplace_back("hints", object(h));
      }
    }
    if (beta && rng_.one_in(2)) {
      // v1beta1's topology: an object of strings, or null.
      if (rng_.one_in(6)) {
        m.emplace_back("topology", "null");
      } else {
        members t;
        if (rng_.one_in(2)) t.emplace_back("kubernetes.io/hostname", str(rng_.one_in(2) ? "node-x" : text(), true));
        if (rng_.one_in(2)) t.emplace_back("topology.kubernetes.io/zone", str(text(), true));
        if (rng_.one_in(3)) t.emplace_back("rack", str(text(), true));
        m.emplace_back("topology", object(t));
      }
    }
    unknowns(m, 2);
    return object(m);
  }

  std::string slice_ports() {
    if (rng_.one_in(8)) return rng_.one_in(2) ? "null" : "[]";
    std::vector<std::string> ports;
    for (std::size_t i = 0, n = 1 + rng_.below(3); i < n; ++i) {
      members p;
      if (!rng_.one_in(4)) p.emplace_back("name", rng_.one_in(8) ? "null" : str(text(), true));
      if (!rng_.one_in(4)) p.emplace_back("protocol", rng_.one_in(8) ? "null" : str(rng_.one_in(2) ? "TCP" : "SCTP", true));
      if (!rng_.one_in(5)) {
        const char* ports_text[] = {"80", "0", "-1", "65535", "2147483647", "-2147483648", "null", "-0"};
        p.emplace_back("port", rng_.pick(ports_text));
      }
      if (rng_.one_in(4)) p.emplace_back("appProtocol", rng_.one_in(3) ? "null" : str("kubernetes.io/h2c", true));
      unknowns(p, 1);
      ports.push_back(object(p));
    }
    return array(ports);
  }

  std::string endpoint_addresses() {
    if (rng_.one_in(8)) return rng_.one_in(2) ? "null" : "[]";
    std::vector<std::string> out;
    for (std::size_t i = 0, n = 1 + rng_.below(4); i < n; ++i) {
      members a;
      a.emplace_back("ip", rng_.one_in(10) ? "null" : str(address(rng_.one_in(4) ? "IPv6" : "IPv4", rng_.one_in(10)), true));
      if (rng_.one_in(4)) a.emplace_back("hostname", str(text(), true));
      if (!rng_.one_in(3)) a.emplace_back("nodeName", rng_.one_in(8) ? "null" : str(text(), true));
      if (!rng_.one_in(3)) {
        members r;
        r.emplace_back("kind", str("Pod", false));
        r.emplace_back("name", str(text(), true));
        unknowns(r, 1);
        a.emplace_back("targetRef", rng_.one_in(10) ? "null" : object(r));
      }
      unknowns(a, 1);
      out.push_back(object(a));
    }
    return array(out);
  }
};

// ---- mutations --------------------------------------------------------------------------------

// Bytes replaced, inserted, deleted, ranges duplicated or cut, values swapped for values of
// another JSON type: mostly not JSON any more, or JSON with problems, and sometimes still clean.
std::string mutate(std::string text, splitmix& rng) {
  static constexpr std::string_view alphabet = "{}[]\":,0123456789-.eE tfnulx\\\n";
  for (std::size_t k = 0, edits = 1 + rng.below(3); k < edits && !text.empty(); ++k) {
    const std::size_t at = rng.below(text.size());
    switch (rng.below(9)) {
      case 0: text[at] = alphabet[rng.below(alphabet.size())]; break;
      case 1: text.insert(at, 1, alphabet[rng.below(alphabet.size())]); break;
      case 2: text.erase(at, 1 + rng.below(8)); break;
      case 3: text.insert(at, text.substr(rng.below(text.size()), 1 + rng.below(64))); break;
      case 4: text.resize(at); break;
      case 5: text[at] = static_cast<char>(rng.below(256)); break;
      default: {
        static constexpr std::string_view values[] = {"5", "true", "null", "[]", "{}", "1.5", "-1", "\"x\"", "[1,\"a\"]",
                                                      "{\"k\":[]}", "4294967296", "\"\"", "1e400", "\"\\ud800\""};
        const std::size_t colon = text.find(':', at);
        if (colon == std::string::npos) break;
        std::size_t b = colon + 1;
        while (b < text.size() && (text[b] == ' ' || text[b] == '\n')) ++b;
        if (b >= text.size() || text[b] == '{' || text[b] == '[') break;
        std::size_t e = b;
        if (text[b] == '"') {
          e = b + 1;
          while (e < text.size() && text[e] != '"') e += text[e] == '\\' ? std::size_t{2} : std::size_t{1};
          ++e;
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

// ---------------------------------------------------------------------------------------------

TEST_CASE("simdjson: copies of endpoints decoded on the fast path share their targetRef and hints", "[simdjson]") {
  simdjson_decoder fast;
  const auto s = fast.decode_endpoint_slice_as<ipv4>(std::string(epslice_test::slice_with_references_json));
  CHECK(fast.fallbacks() == 0);
  REQUIRE(s.endpoints.size() == 1);
  CHECK(epslice_test::copy_shares_values(s.endpoints[0]));
}

TEST_CASE("simdjson: the world slice and Endpoints take the fast path and decode as the reader does", "[simdjson]") {
  simdjson_decoder fast;
  const endpoint_slice_v4 s = epslice_test::world_slice(100);
  const std::string text = encode(s);
  REQUIRE(text.size() == 24363);
  CHECK(fast.decode_endpoint_slice_as<ipv4>(text) == s);
  CHECK(std::get<endpoint_slice_v4>(fast.decode_endpoint_slice(text)) == s);
  const endpoints e = epslice_test::world_endpoints(1000);
  CHECK(fast.decode_endpoints(encode(e)) == e);
  const decoded_document d = fast.decode_document(text);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].object.value.get<any_endpoint_slice>() == any_endpoint_slice{s});
  CHECK(d.events[0].shape == stream_shape::object);
  CHECK(d.events[0].type == watch_event_type::added);
  CHECK(fast.decodes() == 4);
  CHECK(fast.fallbacks() == 0);
  CHECK(fast.last_fallback() == simdjson_fallback::none);
}

TEST_CASE("simdjson: every sample of tests/data takes the fast path and decodes as the reader does", "[simdjson]") {
  simdjson_decoder fast;
  const auto samples = data_files();
  REQUIRE(samples.size() >= 5);
  for (const auto& text : samples) {
    const check_result r = check_both_paths(fast, text);
    CHECK(r.document_fast);
    // Reformatted compactly and in kubectl's sorted key order, too.
    const std::string sorted = nlohmann::json::parse(text).dump();
    CHECK(check_both_paths(fast, sorted).document_fast);
  }
}

TEST_CASE("simdjson: every JSON text of the JSON tests decodes as the reader decodes it", "[simdjson]") {
  simdjson_decoder fast;
  const auto inputs = json_test_inputs();
  // The tests hold well over a hundred documents; finding few means the extraction broke.
  REQUIRE(inputs.size() > 100);
  std::size_t fast_documents = 0;
  for (const auto& text : inputs)
    if (check_both_paths(fast, text).document_fast) ++fast_documents;
  // Many of them are made to fail (syntax, wrong types, repeated keys): those fall back.
  CHECK(fast_documents > inputs.size() / 3);
  CHECK(fast.fallbacks() > 0);
}

TEST_CASE("simdjson: generated objects take the fast path and decode as the reader does", "[simdjson]") {
  simdjson_decoder fast;
  generator gen(20240501);
  std::size_t slices = 0, raw_slices = 0, lists = 0;
  for (int c = 0; c < generated_cases; ++c) {
    std::string text;
    const std::size_t form = gen.rng().below(10);
    if (form < 6) text = gen.slice();
    else if (form < 8) text = gen.endpoints_object();
    else if (form < 9) text = gen.list();
    else text = gen.other_object();
    INFO("case " << c);
    const check_result r = check_both_paths(fast, text);
    INFO("fallback " << static_cast<int>(r.document_why) << " on " << shown(text));
    CHECK(r.document_fast);
    if (form < 6) {
      CHECK(r.slice_fast);
      ++slices;
      const decoded_document d = fast.decode_document(text);
      if (d.events.size() == 1 && d.events[0].object.value.holds<any_endpoint_slice>() &&
          std::holds_alternative<endpoint_slice_raw>(d.events[0].object.value.get<any_endpoint_slice>()))
        ++raw_slices;
    } else if (form < 8) {
      CHECK(r.endpoints_fast);
    } else if (form < 9) {
      ++lists;
    }
  }
  // Every form was generated.
  CHECK(slices > static_cast<std::size_t>(generated_cases) / 3);
  CHECK(raw_slices > 0);
  CHECK(lists > 0);
}

TEST_CASE("simdjson: an address that does not parse gives the reader's raw slice", "[simdjson]") {
  simdjson_decoder fast;
  // Every address keeps its text: those before the bad one were read typed, the rest as text.
  const std::string text =
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{},"addressType":"IPv6","endpoints":[)"
      R"({"addresses":["FD00::A","fd00:0::b"],"zone":"z"},{"addresses":["FD00::C","::g","FD00::D"],"conditions":{"ready":true}},)"
      R"({"addresses":null},{"addresses":[]},{"addresses":["FD00::E"]}],"ports":[]})";
  const any_endpoint_slice s = fast.decode_endpoint_slice(text);
  CHECK(fast.fallbacks() == 0);
  CHECK(s == epslice::decode_endpoint_slice(text));
  REQUIRE(std::holds_alternative<endpoint_slice_raw>(s));
  const auto& r = std::get<endpoint_slice_raw>(s);
  CHECK(r.endpoints.at(0).addresses == address_list<std::string>{std::vector<std::string>{"FD00::A", "fd00:0::b"}});
  CHECK(r.endpoints.at(1).addresses == address_list<std::string>{std::vector<std::string>{"FD00::C", "::g", "FD00::D"}});
  CHECK(r.endpoints.at(2).addresses.is_nil());
  CHECK_FALSE(r.endpoints.at(3).addresses.is_nil());
  CHECK(r.endpoints.at(4).addresses == address_list<std::string>{std::vector<std::string>{"FD00::E"}});
  CHECK(r.endpoints.at(1).conditions.ready == true);
  CHECK(r.endpoints.at(0).zone == "z");
}

TEST_CASE("simdjson: the stored form keeps managedFields and every metadata field on the fast path", "[simdjson]") {
  simdjson_decoder fast;
  endpoint_slice_v4 s = epslice_test::world_slice(10);
  s.metadata.uid = "0b7e1203-9d1a-4e55-a0c4-7f3b2d1e9c07";
  s.metadata.resource_version = "481203";
  s.metadata.generation = 7;
  s.metadata.creation_timestamp = "2024-05-01T10:00:00Z";
  s.metadata.extra.push_back(unknown_field{
      "managedFields",
      R"([{"manager":"kube-controller-manager","operation":"Update","apiVersion":"discovery.k8s.io/v1","time":"2024-05-01T10:00:00Z",)"
      R"("fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:ownerReferences":{".":{},"k:{\"uid\":\"11111111-2222-4333-8444-555555555555\"}":{}}}}}])"});
  const std::string text = encode(s);
  CHECK(fast.decode_endpoint_slice_as<ipv4>(text) == s);
  CHECK(fast.fallbacks() == 0);
  CHECK(encode(fast.decode_endpoint_slice(text)) == text);
}

TEST_CASE("simdjson: what the fast path does not take goes to the reader, with the same result", "[simdjson]") {
  const std::string head = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv4",)";
  std::string many_keys = "{";
  for (int i = 0; i < 40; ++i) many_keys += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  many_keys += R"("k17":0})";
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  struct row {
    const char* name;
    std::string text;
    simdjson_fallback why;
  };
  const std::vector<row> rows = {
      {"repeated known key", head + R"("endpoints":[],"endpoints":null})", simdjson_fallback::duplicate_key},
      {"repeated kind", R"({"kind":"EndpointSlice","kind":"Service","metadata":{}})", simdjson_fallback::duplicate_key},
      {"repeated unknown key", head + R"("x":1,"x":2})", simdjson_fallback::duplicate_key},
      {"repeated key inside an unknown value", head + R"("x":{"a":1,"a":2}})", simdjson_fallback::duplicate_key},
      {"repeated key among many", head + R"("x":)" + many_keys + "}", simdjson_fallback::duplicate_key},
      {"repeated label", R"({"kind":"Endpoints","metadata":{"labels":{"a":"1","b":"2","a":"3"}}})", simdjson_fallback::duplicate_key},
      {"repeated condition", head + R"("endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true,"ready":false}}]})",
       simdjson_fallback::duplicate_key},
      {"null label", R"({"kind":"Endpoints","metadata":{"labels":{"a":null}}})", simdjson_fallback::shape},
      {"known key spelled with an escape", head + R"("endpoint\u0073":[]})", simdjson_fallback::shape},
      {"kind spelled with an escape", R"({"kin\u0064":"Endpoints","metadata":{}})", simdjson_fallback::shape},
      {"deep unknown value", head + R"("x":)" + deep + "}", simdjson_fallback::limit},
      {"watch event", R"({"type":"ADDED","object":{"kind":"Endpoints","metadata":{"name":"w"}}})", simdjson_fallback::shape},
      {"stream of two objects", R"({"kind":"Endpoints"} {"kind":"Endpoints"})", simdjson_fallback::shape},
      {"bare array", R"([{"kind":"Endpoints"}])", simdjson_fallback::shape},
      {"typed list item without kind", R"({"kind":"EndpointsList","items":[{"metadata":{"name":"a"}}]})", simdjson_fallback::shape},
      {"typed list item of another kind", R"({"kind":"EndpointsList","items":[{"kind":"Pod"}]})", simdjson_fallback::shape},
      {"list in a list", R"({"kind":"List","items":[{"kind":"PodList","items":[]}]})", simdjson_fallback::shape},
      {"byte order mark", "\xef\xbb\xbf{\"kind\":\"Endpoints\"}", simdjson_fallback::shape},
      {"garbage after the object", R"({"kind":"Endpoints"} x)", simdjson_fallback::syntax},
      {"missing comma", R"({"kind":"Endpoints" "metadata":{}})", simdjson_fallback::syntax},
      {"truncated", R"({"kind":"Endpoints","metadata":{"name":"a")", simdjson_fallback::syntax},
      {"empty", "", simdjson_fallback::shape},
      {"whitespace only", " \n\t ", simdjson_fallback::shape},
      {"wrong type", head + R"("endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":"yes"}}]})", simdjson_fallback::type},
      {"port as a string", head + R"("ports":[{"port":"80"}]})", simdjson_fallback::type},
      {"port out of range", head + R"("ports":[{"port":70000000000}]})", simdjson_fallback::number},
      {"port with a fraction", head + R"("ports":[{"port":80.0}]})", simdjson_fallback::number},
      {"generation past int64", R"({"kind":"Endpoints","metadata":{"generation":9223372036854775808}})", simdjson_fallback::number},
      {"integer past uint64 in an unknown field", head + R"("x":18446744073709551616})", simdjson_fallback::number},
      {"number overflow", head + R"("x":1e400})", simdjson_fallback::number},
      {"lone surrogate", head + R"("x":"\ud800"})", simdjson_fallback::syntax},
      {"control character in a string", head + "\"x\":\"a\x01\"}", simdjson_fallback::syntax},
      {"invalid UTF-8", head + "\"x\":\"\xff\"}", simdjson_fallback::syntax},
      {"v1beta1 topology of the wrong type",
       R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1beta1","addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"topology":"x"}]})",
       simdjson_fallback::type},
      {"document over 64 MiB", std::string(std::size_t{64} << 20, ' ') + R"({"kind":"Endpoints"})", simdjson_fallback::limit},
  };
  simdjson_decoder fast;
  for (const auto& r : rows) {
    INFO(r.name);
    const auto before = fast.fallbacks();
    const check_result c = check_both_paths(fast, r.text);
    CHECK_FALSE(c.document_fast);
    CHECK(fast.fallbacks() > before);
    // The reason of the first decode (decode_document's) is what the row names.
    (void)fast.decode_document(r.text);
    CHECK(fast.last_fallback() == r.why);
  }
  // A typed decode of another family: the fast path decodes, the reader words the error.
  const std::string v6 = R"({"kind":"EndpointSlice","addressType":"IPv6","endpoints":[{"addresses":["fd00::1"]}]})";
  CHECK_THROWS_WITH(fast.decode_endpoint_slice_as<ipv4>(v6), "addressType: Invalid value: expected IPv4, got IPv6");
  CHECK(fast.last_fallback() == simdjson_fallback::family);
  CHECK(fast.decode_endpoint_slice_as<ipv6>(v6).endpoints.size() == 1);
  CHECK(fast.last_fallback() == simdjson_fallback::none);
}

TEST_CASE("simdjson: mutated inputs decode as the reader decodes them", "[simdjson]") {
  std::vector<std::string> seeds = data_files();
  for (auto& s : json_test_inputs()) seeds.push_back(std::move(s));
  generator gen(7);
  for (int i = 0; i < 40; ++i) seeds.push_back(i % 4 == 0 ? gen.endpoints_object() : i % 4 == 1 ? gen.list() : gen.slice());
  seeds.push_back(encode(epslice_test::world_slice(20)));
  seeds.push_back(encode(epslice_test::world_endpoints(20)));
  simdjson_decoder fast;
  splitmix rng{20240502};
  std::size_t fast_documents = 0;
  for (int c = 0; c < mutated_cases; ++c) {
    const std::string text = mutate(seeds[rng.below(seeds.size())], rng);
    INFO("case " << c);
    if (check_both_paths(fast, text).document_fast) ++fast_documents;
  }
  // Both outcomes are reached: mutations that stay clean take the fast path, the others fall back.
  CHECK(fast_documents > static_cast<std::size_t>(mutated_cases) / 20);
  CHECK(fast.fallbacks() > static_cast<std::size_t>(mutated_cases) / 2);
}

TEST_CASE("simdjson: one decoder reads documents of any size in any order", "[simdjson]") {
  simdjson_decoder fast;
  const std::string big = encode(epslice_test::world_slice(1000));
  const std::string small = encode(epslice_test::world_slice(1));
  for (int round = 0; round < 3; ++round) {
    CHECK(fast.decode_endpoint_slice(big) == epslice::decode_endpoint_slice(big));
    CHECK(fast.decode_endpoint_slice(small) == epslice::decode_endpoint_slice(small));
    // A failure between two decodes leaves nothing behind.
    CHECK_THROWS_AS(fast.decode_endpoint_slice("{\"kind\":"), epslice::error);
  }
  CHECK(fast.decodes() == 9);
  CHECK(fast.fallbacks() == 3);
  simdjson_decoder moved = std::move(fast);
  CHECK(moved.decode_endpoint_slice(small) == epslice::decode_endpoint_slice(small));
  CHECK(moved.decodes() == 10);
}

TEST_CASE("simdjson: the reader's new shapes (events, typed lists, limits) fall back and decode as the reader does", "[simdjson]") {
  const std::string deep_ok = std::string(900, '[') + std::string(900, ']');
  const std::string deep_over = std::string(1200, '[') + std::string(1200, ']');
  struct row {
    const char* name;
    std::string text;
    simdjson_fallback why;
  };
  const std::vector<row> rows = {
      {"repeated kind, the last one wins", R"({"kind":"Service","kind":"Endpoints","apiVersion":"v1","metadata":{"name":"a"}})",
       simdjson_fallback::duplicate_key},
      {"repeated label in a List item",
       R"({"kind":"List","apiVersion":"v1","items":[{"kind":"Endpoints","apiVersion":"v1","metadata":{"labels":{"a":"1","a":"2"}}}]})",
       simdjson_fallback::duplicate_key},
      {"repeated key of a List's own fields", R"({"kind":"List","apiVersion":"v1","metadata":{},"metadata":{"resourceVersion":"9"},"items":[]})",
       simdjson_fallback::duplicate_key},
      {"typed list whose apiVersion follows its items",
       R"({"kind":"EndpointSliceList","items":[{"metadata":{"name":"a"},"addressType":"IPv4","endpoints":[]}],)"
       R"("apiVersion":"discovery.k8s.io/v1"})",
       simdjson_fallback::shape},
      {"typed list item with an empty kind",
       R"({"kind":"EndpointsList","apiVersion":"v1","items":[{"kind":"","metadata":{"name":"e"}}]})",
       simdjson_fallback::shape},
      {"PodList items without kind", R"({"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"p"},"spec":{}}]})",
       simdjson_fallback::shape},
      {"typed list whose kind and apiVersion follow its items (jq -S)",
       R"({"apiVersion":"v1","items":[{"metadata":{"name":"e"},"subsets":[]}],"kind":"EndpointsList","metadata":{}})",
       simdjson_fallback::shape},
      {"v1beta1 items of a typed list take the list's apiVersion",
       R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1beta1","items":[{"addressType":"IPv4",)"
       R"("endpoints":[{"addresses":["10.0.0.1"],"topology":{"topology.kubernetes.io/zone":"z"}}]}]})",
       simdjson_fallback::shape},
      {"watch events with BOOKMARK and ERROR",
       R"({"type":"ADDED","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[]}})"
       "\n"
       R"({"type":"BOOKMARK","object":{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"12"}}})"
       "\n"
       R"({"type":"DELETED","object":{"kind":"Endpoints","metadata":{"name":"a"}}})"
       "\n"
       R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}})j",
       simdjson_fallback::shape},
      {"one watch event after its object's kind", R"({"object":{"kind":"Endpoints"},"type":"MODIFIED"})", simdjson_fallback::shape},
      {"client-go watch event", R"({"Type":"MODIFIED","Object":{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"g"}}})",
       simdjson_fallback::shape},
      {"watch event of an unknown type", R"({"type":"RESYNC","object":{"kind":"Endpoints"}})", simdjson_fallback::shape},
      {"items before a kind that is not a list", R"({"items":[{"kind":"Pod"}],"kind":"ConfigMap"})", simdjson_fallback::shape},
      {"byte order mark before a slice",
       "\xef\xbb\xbf" R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","addressType":"IPv4","endpoints":[]})",
       simdjson_fallback::shape},
      {"1e400 in a raw object", R"({"kind":"Pod","apiVersion":"v1","spec":{"x":1e400}})", simdjson_fallback::number},
      {"1e400 as a port", R"({"kind":"EndpointSlice","addressType":"IPv4","ports":[{"port":1e400}]})", simdjson_fallback::number},
      {"nesting within the reader's depth", R"({"kind":"Pod","x":)" + deep_ok + "}", simdjson_fallback::limit},
      {"nesting past the reader's depth", R"({"kind":"Pod","x":)" + deep_over + "}", simdjson_fallback::limit},
      {"nesting past the reader's depth in a List item",
       R"({"kind":"List","items":[{"kind":"Pod","apiVersion":"v1"},{"kind":"Pod","x":)" + deep_over + R"(},{"kind":"Node","apiVersion":"v1"}]})",
       simdjson_fallback::limit},
  };
  simdjson_decoder fast;
  for (const auto& r : rows) {
    INFO(r.name);
    const check_result c = check_both_paths(fast, r.text);
    CHECK_FALSE(c.document_fast);
    CHECK(c.document_why == r.why);
  }
  // The stream's events as the reader gives them, through the fast decoder.
  const auto named = [&](std::string_view name) -> const std::string& {
    const auto it = std::find_if(rows.begin(), rows.end(), [&](const row& r) { return r.name == name; });
    REQUIRE(it != rows.end());
    return it->text;
  };
  const decoded_document w = fast.decode_document(named("watch events with BOOKMARK and ERROR"));
  REQUIRE(w.events.size() == 4);
  CHECK(w.events[1].type == watch_event_type::bookmark);
  CHECK(w.events[1].resource_version == "12");
  CHECK(w.events[2].object.api_version_inferred);
  REQUIRE(w.events[3].status);
  CHECK(w.events[3].status->code == 410);
  // Repeated keys are recorded, the last value kept.
  const decoded_document dup = fast.decode_document(named("repeated kind, the last one wins"));
  REQUIRE(dup.events.size() == 1);
  CHECK(dup.events[0].object.value.holds<endpoints>());
  CHECK(dup.events[0].object.duplicates.size() == 1);
}

TEST_CASE("simdjson: inferred apiVersions and plain Lists take the fast path", "[simdjson]") {
  const std::vector<std::string> texts = {
      R"({"kind":"EndpointSlice","metadata":{"name":"a"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}]})",
      R"({"kind":"EndpointSlice","apiVersion":"","addressType":"FQDN","endpoints":[]})",
      R"({"kind":"Endpoints","metadata":{"name":"e"},"subsets":[]})",
      R"({"kind":"Pod","metadata":{"name":"p"}})",
      R"({"kind":"ConfigMap","metadata":{"name":"c"}})",
      R"({"kind":"Pod","apiVersion":"","metadata":{"name":"p"}})",
      R"({"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":[)"
      R"({"kind":"EndpointSlice","addressType":"IPv4","endpoints":[]},{"kind":"Service","metadata":{"name":"s"}},)"
      R"({"metadata":{"name":"no-kind"}},{"kind":"Endpoints","apiVersion":"v1"}]})",
      R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"5"},"items":[)"
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"x"},"addressType":"IPv6","endpoints":[]}]})",
      R"({"kind":"PodList","apiVersion":"v1","items":null})",
      // As the API server lists them: items without kind and apiVersion take their list's.
      R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"7"},"items":[)"
      R"({"metadata":{"name":"a"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}]},)"
      R"({"kind":"EndpointSlice","metadata":{"name":"b"},"addressType":"IPv6","endpoints":[]},)"
      R"({"kind":"Endpoints","metadata":{"name":"c"}}]})",
      R"({"kind":"EndpointsList","apiVersion":"","items":[{"metadata":{"name":"e"},"subsets":[]}]})",
      R"({"kind":"EndpointsList","apiVersion":null,"items":[{"apiVersion":"v1","metadata":{"name":"e"}}]})",
      R"({"kind":"List","apiVersion":"v1"})",
      R"({"apiVersion":"v1","items":[{"kind":"Pod","apiVersion":"v1"}],"kind":"List","metadata":{}})",
  };
  simdjson_decoder fast;
  for (const auto& t : texts) {
    INFO(t);
    const check_result c = check_both_paths(fast, t);
    CHECK(c.document_fast);
    CHECK(c.document_why == simdjson_fallback::none);
  }
  const decoded_document d = fast.decode_document(texts[0]);
  REQUIRE(d.events.size() == 1);
  CHECK(d.events[0].object.api_version_inferred);
  CHECK(d.events[0].object.api_version() == "discovery.k8s.io/v1");
  CHECK_FALSE(d.events[0].object.kind_inferred);
  const decoded_document l = fast.decode_document(texts[6]);
  CHECK(fast.last_fallback() == simdjson_fallback::none);
  REQUIRE(l.lists.size() == 1);
  CHECK(l.lists[0].items == 4);
  CHECK(l.lists[0].metadata.resource_version == "42");
  REQUIRE(l.events.size() == 4);
  CHECK(l.events[2].shape == stream_shape::list_item);
  CHECK(l.events[2].object.location == "items[2]");
  CHECK(l.events[1].object.api_version_inferred);
  CHECK_FALSE(l.events[2].object.api_version_inferred);
  // Items of a typed list: an own kind stays, a missing one and a missing apiVersion are the list's.
  const decoded_document t = fast.decode_document(texts[9]);
  CHECK(fast.last_fallback() == simdjson_fallback::none);
  REQUIRE(t.events.size() == 3);
  CHECK(t.events[0].object.kind_inferred);
  CHECK(t.events[0].object.api_version_inferred);
  REQUIRE(t.events[0].object.value.holds<any_endpoint_slice>());
  CHECK(std::holds_alternative<endpoint_slice_v4>(t.events[0].object.value.get<any_endpoint_slice>()));
  CHECK(t.events[0].object.api_version() == "discovery.k8s.io/v1");
  CHECK_FALSE(t.events[1].object.kind_inferred);
  CHECK(t.events[1].object.api_version_inferred);
  CHECK(t.events[2].object.value.holds<endpoints>());
  CHECK(t.events[2].object.api_version() == "discovery.k8s.io/v1");
  const decoded_document e = fast.decode_document(texts[10]);
  REQUIRE(e.events.size() == 1);
  CHECK(e.events[0].object.kind_inferred);
  CHECK(e.events[0].object.api_version() == "v1");
}

TEST_CASE("simdjson: the caller's limits apply, by the reader when the fast path could pass them", "[simdjson]") {
  simdjson_decoder fast;
  const std::string slice = encode(epslice_test::world_slice(3));
  // Within the limits: the fast path.
  CHECK(check_both_paths(fast, slice, decode_limits{slice.size(), 64}).document_fast);
  // One byte short, or a depth too small to read on the fast path: the reader, which reports it.
  check_result c = check_both_paths(fast, slice, decode_limits{slice.size() - 1, 64});
  CHECK_FALSE(c.document_fast);
  CHECK(c.document_why == simdjson_fallback::limit);
  CHECK_FALSE(fast.decode_document(slice, decode_limits{slice.size() - 1, 64}).events.at(0).object.problems.empty());
  c = check_both_paths(fast, slice, decode_limits{std::size_t{1} << 20, 3});
  CHECK_FALSE(c.document_fast);
  CHECK(c.document_why == simdjson_fallback::limit);
  // Nesting the fast path reads under the default limits goes to the reader under a lower one.
  const std::string nested = R"({"kind":"Pod","x":)" + std::string(30, '[') + std::string(30, ']') + "}";
  CHECK(check_both_paths(fast, nested).document_fast);
  c = check_both_paths(fast, nested, decode_limits{std::size_t{1} << 20, 25});
  CHECK_FALSE(c.document_fast);
  CHECK(c.document_why == simdjson_fallback::limit);
  // Limits out of range throw as the reader throws.
  CHECK_THROWS_AS(fast.decode_document(slice, decode_limits{0, 10}), epslice::error);
  CHECK_THROWS_AS(fast.decode_endpoint_slice(slice, decode_limits{1 << 20, 0}), epslice::error);
}

TEST_CASE("simdjson: a stream decoder with simdjson_object_decoder gives the reader's events", "[simdjson][stream]") {
  const std::string slice = encode(epslice_test::world_slice(100));
  const std::string eps = encode(epslice_test::world_endpoints(100));
  std::string item = slice;  // as the API server lists it: no kind, no apiVersion
  for (const std::string_view field : {R"("kind":"EndpointSlice",)", R"("apiVersion":"discovery.k8s.io/v1",)"}) {
    const auto at = item.find(field);
    REQUIRE(at != std::string::npos);
    item.erase(at, field.size());
  }
  struct row {
    const char* name;
    std::string text;
    std::uint64_t objects;  // objects the fast path takes
  };
  const std::vector<row> rows = {
      {"objects one after another (kubectl get -o json --watch)", slice + "\n" + eps + "\n" + slice, 3},
      {"watch events", R"({"type":"ADDED","object":)" + slice + "}\n" + R"({"type":"MODIFIED","object":)" + eps +
                           "}\n" + R"({"type":"DELETED","object":)" + slice + "}",
       3},
      {"client-go watch events", R"({"Type":"MODIFIED","Object":)" + slice + "}", 1},
      {"a relist as the API server writes it",
       R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"9"},"items":[)" +
           item + "," + item + "]}",
       2},
      {"kubectl's List", R"({"apiVersion":"v1","items":[)" + slice + "," + eps + R"(],"kind":"List","metadata":{}})", 2},
      {"an array of objects", "[" + slice + "," + eps + "]", 2},
      // BOOKMARK and ERROR objects are read raw by the reader, never offered.
      {"bookmark and error", R"({"type":"BOOKMARK","object":{"kind":"EndpointSlice","metadata":{"resourceVersion":"5"}}})"
                             R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","code":410}})",
       0},
  };
  simdjson_object_decoder objects;
  for (const auto& r : rows) {
    INFO(r.name);
    const decoded_document reader = epslice::decode_document(r.text);
    REQUIRE_FALSE(reader.syntax_error);
    const std::uint64_t offered = objects.decodes(), left = objects.fallbacks();
    // Fed whole and one odd-sized chunk at a time: the same events either way.
    for (const std::size_t chunk : {std::size_t{0}, std::size_t{977}})
      CHECK(same_document(stream_decode(r.text, {}, &objects, chunk), reader));
    CHECK(objects.decodes() - offered == 2 * r.objects);
    CHECK(objects.fallbacks() == left);
  }
  // An object the fast path does not take (a repeated key) is the reader's, with its duplicate.
  const std::string dup = R"({"kind":"Endpoints","kind":"Endpoints","metadata":{"name":"a"}})";
  stream_decoder d({}, &objects);
  d.feed(dup);
  d.finish();
  const auto ev = d.next();
  REQUIRE(ev);
  CHECK(ev->object.duplicates.size() == 1);
  CHECK(objects.last_fallback() == simdjson_fallback::duplicate_key);
}
