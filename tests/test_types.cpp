// SPDX-License-Identifier: Apache-2.0
// Tests of types.hpp: nullable lists, address lists, raw/typed slice conversion, small views, Kubernetes quantities.
#include <epslice/types.hpp>
#include <epslice/address.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace {

#ifdef EPSLICE_SANITIZE_BUILD
constexpr int property_cases = 2000;
#else
constexpr int property_cases = 20000;
#endif

using namespace epslice;

object_meta sample_meta() {
  object_meta m;
  m.name = "web-abc12";
  m.generate_name = "web-";
  m.namespace_ = "default";
  m.uid = "0b3c8e4e-0000-4000-8000-000000000001";
  m.resource_version = "4711";
  m.generation = 3;
  m.creation_timestamp = "2024-01-02T03:04:05Z";
  m.labels = {{std::string(well_known::service_name_label), "web"},
              {std::string(well_known::managed_by_label), std::string(well_known::endpointslice_controller)}};
  m.annotations = {{"note", "x"}};
  m.owner_references.push_back(owner_reference{"v1", "Service", "web", "svc-uid", true, true, {}});
  m.extra.push_back(unknown_field{"finalizers", R"(["a"])"});
  return m;
}

std::vector<endpoint_port> sample_ports() {
  std::vector<endpoint_port> p;
  p.push_back(endpoint_port{std::string("http"), std::string("TCP"), 80, std::string("http"), {}});
  p.push_back(endpoint_port{std::nullopt, std::nullopt, std::nullopt, std::nullopt, {{"x", "1"}}});
  return p;
}

// A slice of family F with every field set, one endpoint per address list given, plus one
// endpoint with an empty (non-nil) address list and one with a nil list.
template <class F>
basic_endpoint_slice<F> sample_slice(const std::vector<std::vector<typename F::address>>& lists) {
  basic_endpoint_slice<F> s;
  s.metadata = sample_meta();
  s.endpoints.set_empty_not_nil();
  int i = 0;
  for (const auto& list : lists) {
    basic_endpoint<F> e;
    e.addresses = address_list<typename F::address>(list);
    e.addresses.set_empty_not_nil();
    e.conditions = endpoint_conditions{true, i % 2 == 0, std::nullopt};
    e.hostname = "pod-" + std::to_string(i);
    e.target_ref = object_reference{"Pod", "default", "pod-" + std::to_string(i), "uid-" + std::to_string(i), "", "", "", {}};
    e.deprecated_topology = {{"topology.kubernetes.io/region", "r1"}};
    e.node_name = "node-" + std::to_string(i);
    e.zone = "zone-a";
    e.hints = endpoint_hints{{for_zone{"zone-a"}}, {for_node{"node-0"}}, {}};
    e.extra.edit().push_back(unknown_field{"futureField", "true"});
    s.endpoints.push_back(std::move(e));
    ++i;
  }
  basic_endpoint<F> empty_list;
  empty_list.addresses.set_empty_not_nil();
  s.endpoints.push_back(empty_list);
  basic_endpoint<F> nil_list;
  nil_list.addresses.set_nil();
  s.endpoints.push_back(nil_list);
  s.ports = nullable_vector<endpoint_port>(sample_ports());
  s.ports.set_empty_not_nil();
  s.extra.push_back(unknown_field{"status", "{}"});
  return s;
}

// Everything but the addresses and the address type must be carried over unchanged.
template <class A, class B>
void check_same_except_addresses(const basic_endpoint_slice<A>& a, const basic_endpoint_slice<B>& b) {
  CHECK(a.api_version == b.api_version);
  CHECK(a.kind == b.kind);
  CHECK(a.metadata == b.metadata);
  CHECK(a.ports == b.ports);
  CHECK(a.ports.is_nil() == b.ports.is_nil());
  CHECK(a.extra == b.extra);
  CHECK(a.endpoints.is_nil() == b.endpoints.is_nil());
  REQUIRE(a.endpoints.size() == b.endpoints.size());
  for (std::size_t k = 0; k < a.endpoints.size(); ++k) {
    INFO("endpoint " << k);
    const auto& x = a.endpoints[k];
    const auto& y = b.endpoints[k];
    CHECK(x.addresses.size() == y.addresses.size());
    CHECK(x.addresses.is_nil() == y.addresses.is_nil());
    CHECK(x.conditions == y.conditions);
    CHECK(x.hostname == y.hostname);
    CHECK(x.target_ref == y.target_ref);
    CHECK(x.deprecated_topology == y.deprecated_topology);
    CHECK(x.node_name == y.node_name);
    CHECK(x.zone == y.zone);
    CHECK(x.hints == y.hints);
    CHECK(x.extra == y.extra);
  }
}

std::vector<std::string> raw_addresses(const endpoint_slice_raw& s, std::size_t endpoint) {
  return {s.endpoints[endpoint].addresses.begin(), s.endpoints[endpoint].addresses.end()};
}

endpoint_slice_raw raw_slice(std::optional<std::string> type, std::vector<std::string> addresses) {
  endpoint_slice_raw s;
  s.metadata.name = "raw";
  s.address_type = std::move(type);
  endpoint_raw e;
  e.addresses = address_list<std::string>(std::move(addresses));
  e.addresses.set_empty_not_nil();
  s.endpoints.push_back(std::move(e));
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// nullable_vector

TEST_CASE("types: nullable_vector nil and empty", "[types]") {
  nullable_vector<int> nil;
  CHECK(nil.is_nil());
  CHECK(nil.empty());

  nullable_vector<int> empty;
  empty.set_empty_not_nil();
  CHECK_FALSE(empty.is_nil());
  CHECK(empty.empty());

  // nil and [] are different lists; two nils and two []s are equal.
  CHECK(nil != empty);
  CHECK_FALSE(nil == empty);
  CHECK(nil == nullable_vector<int>{});
  nullable_vector<int> empty2;
  empty2.set_empty_not_nil();
  CHECK(empty == empty2);

  // A non-empty list is never nil, whatever its flag; equality is by elements then.
  nullable_vector<int> a{1, 2, 3};
  CHECK_FALSE(a.is_nil());
  nullable_vector<int> b;
  b.set_empty_not_nil();
  b.push_back(1);
  b.push_back(2);
  b.push_back(3);
  CHECK(a == b);
  b.back() = 4;
  CHECK(a != b);
  CHECK(a != nil);
  CHECK(a != empty);

  nullable_vector<int> grown = nil;
  grown.push_back(7);
  CHECK_FALSE(grown.is_nil());
  CHECK(grown.size() == 1);

  // set_nil clears and marks nil; set_empty_not_nil turns it into [] again.
  a.set_nil();
  CHECK(a.empty());
  CHECK(a.is_nil());
  CHECK(a == nil);
  a.set_empty_not_nil();
  CHECK_FALSE(a.is_nil());
  CHECK(a == empty);

  // Copies keep the flag.
  const nullable_vector<int> copy_of_empty = empty;
  CHECK_FALSE(copy_of_empty.is_nil());
  const nullable_vector<int> copy_of_nil = nil;
  CHECK(copy_of_nil.is_nil());

  // Built from a std::vector: the elements, in order.
  const nullable_vector<std::string> from_vector(std::vector<std::string>{"x", "y"});
  CHECK(from_vector.size() == 2);
  CHECK(from_vector[0] == "x");
  CHECK(from_vector[1] == "y");
  CHECK_FALSE(from_vector.is_nil());
}

namespace {
// An element whose copies can be made to fail, counting the live ones (to see leaks and double
// destruction in address_list's manual lifetime handling).
struct counted {
  static inline int live = 0;
  static inline bool fail_copies = false;
  std::string text;
  explicit counted(std::string t = {}) : text(std::move(t)) { ++live; }
  counted(const counted& o) : text(o.text) {
    if (fail_copies) throw std::runtime_error("copy refused");
    ++live;
  }
  counted(counted&& o) noexcept : text(std::move(o.text)) { ++live; }
  counted& operator=(const counted&) = default;
  counted& operator=(counted&&) noexcept = default;
  ~counted() { --live; }
  friend bool operator==(const counted& a, const counted& b) { return a.text == b.text; }
};
std::string long_text(int i) { return "a-long-enough-address-text-to-live-on-the-heap-" + std::to_string(i); }
}  // namespace
TEST_CASE("types: address_list keeps one element inline and behaves as a vector", "[types]") {
  address_list<int> nil;
  CHECK(nil.is_nil());
  CHECK(nil.empty());
  CHECK(nil.begin() == nil.end());
  CHECK(nil.capacity() == 1);

  // The first element lives inside the object; the second moves them all to the heap.
  address_list<int> a;
  a.push_back(1);
  CHECK_FALSE(a.is_nil());
  CHECK(a.capacity() == 1);
  const void* inside = static_cast<const void*>(&a);
  const void* past = static_cast<const void*>(&a + 1);
  CHECK(static_cast<const void*>(a.data()) >= inside);
  CHECK(static_cast<const void*>(a.data()) < past);
  a.push_back(2);
  a.emplace_back(3);
  CHECK(a.capacity() >= 3);
  CHECK((static_cast<const void*>(a.data()) < inside || static_cast<const void*>(a.data()) >= past));
  CHECK(std::vector<int>(a.begin(), a.end()) == std::vector<int>{1, 2, 3});
  CHECK(a.front() == 1);
  CHECK(a.back() == 3);
  CHECK(a.at(2) == 3);
  CHECK_THROWS_AS(a.at(3), std::out_of_range);
  CHECK(std::vector<int>(a.rbegin(), a.rend()) == std::vector<int>{3, 2, 1});

  // Growing from a reference to one of its own elements copies the old value.
  address_list<int> self{5};
  self.push_back(self.front());
  CHECK(self == address_list<int>{5, 5});

  // Insert, erase, resize, pop.
  a.insert(a.begin(), 0);
  a.emplace(a.begin() + 2, 9);
  CHECK(a == address_list<int>{0, 1, 9, 2, 3});
  CHECK(*a.erase(a.begin() + 2) == 2);
  CHECK(a == address_list<int>{0, 1, 2, 3});
  CHECK(a.erase(a.begin() + 1, a.begin() + 3) == a.begin() + 1);
  CHECK(a == address_list<int>{0, 3});
  a.resize(4);
  CHECK(a == address_list<int>{0, 3, 0, 0});
  a.resize(1);
  a.pop_back();
  CHECK(a.empty());
  CHECK(a.is_nil());  // the flag stays: built from nil, emptied, nil again (as nullable_vector)
  a.set_empty_not_nil();
  CHECK_FALSE(a.is_nil());
  a.assign({7, 8});
  CHECK(a == address_list<int>{7, 8});

  // nil and [] differ; a non-empty list is never nil; set_nil clears.
  address_list<int> empty;
  empty.set_empty_not_nil();
  CHECK(nil != empty);
  CHECK(nil == address_list<int>{});
  a.set_nil();
  CHECK(a.is_nil());
  CHECK(a == nil);
  const address_list<int> copy_of_empty = empty;
  CHECK_FALSE(copy_of_empty.is_nil());
  const address_list<int> copy_of_nil = nil;
  CHECK(copy_of_nil.is_nil());
  const address_list<std::string> from_vector(std::vector<std::string>{"x", "y"});
  CHECK(from_vector.size() == 2);
  CHECK(from_vector[1] == "y");
  CHECK_FALSE(from_vector.is_nil());
}

TEST_CASE("types: address_list manages its elements' lifetimes", "[types]") {
  counted::live = 0;
  {
    address_list<counted> one, many;
    one.emplace_back(long_text(0));
    for (int i = 0; i < 9; ++i) many.emplace_back(long_text(i));
    CHECK(counted::live == 10);

    // Copies and moves, inline and on the heap, each way round.
    address_list<counted> c1 = one, c9 = many;
    CHECK(counted::live == 20);
    CHECK(c1 == one);
    CHECK(c9 == many);
    address_list<counted> m1 = std::move(c1), m9 = std::move(c9);
    CHECK(counted::live == 20);
    CHECK(c1.empty());
    CHECK(c9.empty());
    CHECK(m1 == one);
    CHECK(m9 == many);
    m1 = many;
    m9 = one;
    CHECK(counted::live == 20);
    CHECK(m1 == many);
    CHECK(m9 == one);
    m1.swap(m9);
    CHECK(m1 == one);
    CHECK(m9 == many);
    m9 = std::move(m1);
    CHECK(m9 == one);
    CHECK(counted::live == 11);
    const auto& alias = m9;
    m9 = alias;  // self-assignment keeps the contents
    CHECK(m9 == one);

    // A copy that throws while growing leaves the list as it was.
    address_list<counted> keep;
    keep.emplace_back(long_text(1));
    const counted extra(long_text(2));
    counted::fail_copies = true;
    CHECK_THROWS(keep.push_back(extra));
    CHECK_THROWS(address_list<counted>(many));
    counted::fail_copies = false;
    REQUIRE(keep.size() == 1);
    CHECK(keep[0].text == long_text(1));
    CHECK(keep.capacity() == 1);
    keep.erase(keep.begin());
    keep.clear();
    CHECK(counted::live == 12);
  }
  CHECK(counted::live == 0);
}

TEST_CASE("types: nil and empty lists make slices differ", "[types]") {
  endpoint_slice_v4 a;
  endpoint_slice_v4 b;
  CHECK(a == b);
  CHECK(a.endpoints.is_nil());
  CHECK(a.ports.is_nil());
  b.endpoints.set_empty_not_nil();
  CHECK(a != b);
  a.endpoints.set_empty_not_nil();
  CHECK(a == b);
  a.ports.set_empty_not_nil();
  CHECK(a != b);

  endpoint_v4 e1;
  endpoint_v4 e2;
  e2.addresses.set_empty_not_nil();
  CHECK(e1 != e2);
}

// ---------------------------------------------------------------------------------------------
// raw <-> typed

TEST_CASE("types: IPv4 slice to raw and back", "[types]") {
  const auto s = sample_slice<ipv4>({{*parse_ipv4("10.0.0.1"), *parse_ipv4("10.0.0.2")}, {*parse_ipv4("192.168.0.1")}});
  const endpoint_slice_raw r = to_raw(s);
  REQUIRE(r.address_type.has_value());
  CHECK(*r.address_type == "IPv4");
  CHECK(address_type_name(r) == "IPv4");
  check_same_except_addresses(s, r);
  CHECK(raw_addresses(r, 0) == std::vector<std::string>{"10.0.0.1", "10.0.0.2"});
  CHECK(raw_addresses(r, 1) == std::vector<std::string>{"192.168.0.1"});
  CHECK_FALSE(r.endpoints[2].addresses.is_nil());
  CHECK(r.endpoints[3].addresses.is_nil());

  const auto back = from_raw<ipv4>(r);
  REQUIRE(back.has_value());
  CHECK(*back == s);
  const any_endpoint_slice typed = to_typed(r);
  REQUIRE(std::holds_alternative<endpoint_slice_v4>(typed));
  CHECK(std::get<endpoint_slice_v4>(typed) == s);
  CHECK(address_type_name(typed) == "IPv4");
  CHECK(metadata_of(typed) == s.metadata);
  // A raw slice is its own raw form.
  CHECK(to_raw(r) == r);
  // Other families do not claim it.
  CHECK_FALSE(from_raw<ipv6>(r).has_value());
  CHECK_FALSE(from_raw<fqdn>(r).has_value());
}

TEST_CASE("types: IPv6 slice to raw and back, text as written", "[types]") {
  const auto s = sample_slice<ipv6>({{*parse_ipv6("2001:db8::1"), *parse_ipv6("::ffff:10.0.0.1")}, {*parse_ipv6("fd00::a:b")}});
  const endpoint_slice_raw r = to_raw(s);
  CHECK(r.address_type == std::optional<std::string>("IPv6"));
  check_same_except_addresses(s, r);
  CHECK(raw_addresses(r, 0) == std::vector<std::string>{"2001:db8::1", "::ffff:10.0.0.1"});
  CHECK(raw_addresses(r, 1) == std::vector<std::string>{"fd00::a:b"});
  const any_endpoint_slice typed = to_typed(r);
  REQUIRE(std::holds_alternative<endpoint_slice_v6>(typed));
  CHECK(std::get<endpoint_slice_v6>(typed) == s);
  CHECK(address_type_name(typed) == "IPv6");

  // Non-canonical text types, and keeps its text through the typed form.
  const auto loose = raw_slice("IPv6", {"2001:DB8:0:0:0:0:0:0001", "FD00::A:B"});
  const any_endpoint_slice t2 = to_typed(loose);
  REQUIRE(std::holds_alternative<endpoint_slice_v6>(t2));
  CHECK(raw_addresses(to_raw(std::get<endpoint_slice_v6>(t2)), 0) ==
        std::vector<std::string>{"2001:DB8:0:0:0:0:0:0001", "FD00::A:B"});
}

TEST_CASE("types: FQDN slice to raw and back", "[types]") {
  const auto s = sample_slice<fqdn>({{"foo.example.com", "example.com."}, {"hyphens-are-good.example.com"}});
  const endpoint_slice_raw r = to_raw(s);
  CHECK(r.address_type == std::optional<std::string>("FQDN"));
  check_same_except_addresses(s, r);
  CHECK(raw_addresses(r, 0) == std::vector<std::string>{"foo.example.com", "example.com."});
  const any_endpoint_slice typed = to_typed(r);
  REQUIRE(std::holds_alternative<endpoint_slice_fqdn>(typed));
  CHECK(std::get<endpoint_slice_fqdn>(typed) == s);
  CHECK(address_type_name(typed) == "FQDN");
}

TEST_CASE("types: raw slices that have no typed form stay raw", "[types]") {
  struct case_t {
    std::string_view name;
    std::optional<std::string> type;
    std::vector<std::string> addresses;
  };
  const case_t cases[] = {
      {"IPv4 address out of range", "IPv4", {"10.0.0.1", "10.0.0.300"}},
      {"IPv4 with leading zeros", "IPv4", {"010.0.0.1"}},
      {"IPv6 text in an IPv4 slice", "IPv4", {"2001:4860:4860::8888"}},
      {"IPv4-mapped text in an IPv4 slice", "IPv4", {"::ffff:10.0.0.1"}},
      {"IPv4 text in an IPv6 slice", "IPv6", {"2001:db8::1", "10.0.0.1"}},
      {"IPv6 with a zone", "IPv6", {"fe80::1%eth0"}},
      {"upper case FQDN", "FQDN", {"FOO.example.com"}},
      {"wildcard FQDN", "FQDN", {"*.example.com"}},
      {"single-label FQDN", "FQDN", {"localhost"}},
      {"IP in an FQDN slice", "FQDN", {"example.com", ""}},
      {"legacy IP type", "IP", {"10.0.0.1"}},
      {"lower case type", "ipv4", {"10.0.0.1"}},
      {"empty type", "", {"10.0.0.1"}},
      {"missing type", std::nullopt, {"10.0.0.1"}},
  };
  for (const auto& tc : cases) {
    INFO(tc.name);
    const endpoint_slice_raw r = raw_slice(tc.type, tc.addresses);
    const any_endpoint_slice typed = to_typed(r);
    REQUIRE(std::holds_alternative<endpoint_slice_raw>(typed));
    CHECK(std::get<endpoint_slice_raw>(typed) == r);
    CHECK(address_type_name(typed) == (tc.type ? std::string_view(*tc.type) : std::string_view()));
    CHECK(metadata_of(typed).name == "raw");
    CHECK_FALSE(from_raw<ipv4>(r).has_value());
    CHECK_FALSE(from_raw<ipv6>(r).has_value());
    CHECK_FALSE(from_raw<fqdn>(r).has_value());
  }
}

TEST_CASE("types: nil and empty lists survive raw/typed conversion", "[types]") {
  for (const bool endpoints_nil : {true, false})
    for (const bool ports_nil : {true, false})
      for (const bool addresses_nil : {true, false}) {
        INFO("endpoints nil " << endpoints_nil << ", ports nil " << ports_nil << ", addresses nil " << addresses_nil);
        endpoint_slice_raw r;
        r.address_type = "IPv4";
        if (endpoints_nil) r.endpoints.set_nil(); else r.endpoints.set_empty_not_nil();
        if (ports_nil) r.ports.set_nil(); else r.ports.set_empty_not_nil();
        if (!endpoints_nil) {
          endpoint_raw e;
          if (addresses_nil) e.addresses.set_nil(); else e.addresses.set_empty_not_nil();
          r.endpoints.push_back(e);
        }
        const auto typed = from_raw<ipv4>(r);
        REQUIRE(typed.has_value());
        CHECK(typed->endpoints.is_nil() == endpoints_nil);
        CHECK(typed->ports.is_nil() == ports_nil);
        if (!endpoints_nil) CHECK(typed->endpoints[0].addresses.is_nil() == addresses_nil);
        CHECK(to_raw(*typed) == r);
        const any_endpoint_slice any = to_typed(r);
        REQUIRE(std::holds_alternative<endpoint_slice_v4>(any));
        CHECK(std::get<endpoint_slice_v4>(any) == *typed);
      }
}

TEST_CASE("types: address type names", "[types]") {
  CHECK(address_type_name(endpoint_slice_v4{}) == "IPv4");
  CHECK(address_type_name(endpoint_slice_v6{}) == "IPv6");
  CHECK(address_type_name(endpoint_slice_fqdn{}) == "FQDN");
  endpoint_slice_raw r;
  CHECK(address_type_name(r).empty());
  r.address_type = "IP";
  CHECK(address_type_name(r) == "IP");
  r.address_type = "";
  CHECK(address_type_name(r).empty());
  CHECK(address_type_name(any_endpoint_slice{endpoint_slice_v6{}}) == "IPv6");
  CHECK(address_type_name(any_endpoint_slice{endpoint_slice_fqdn{}}) == "FQDN");
  r.address_type = "Other";
  CHECK(address_type_name(any_endpoint_slice{r}) == "Other");
  // Defaults of a new slice.
  const endpoint_slice_v4 s;
  CHECK(s.api_version == "discovery.k8s.io/v1");
  CHECK(s.kind == "EndpointSlice");
  CHECK(endpoints{}.api_version == "v1");
  CHECK(endpoints{}.kind == "Endpoints");
}

// ---------------------------------------------------------------------------------------------
// Small views

TEST_CASE("types: object_meta display name", "[types]") {
  object_meta m;
  CHECK(m.display_name().empty());
  m.generate_name = "web-";
  CHECK(m.display_name() == "web-*");
  m.name = "web-x1y2z";
  CHECK(m.display_name() == "web-x1y2z");
  m.generate_name.clear();
  CHECK(m.display_name() == "web-x1y2z");
}

TEST_CASE("types: service headless", "[types]") {
  struct case_t {
    std::string cluster_ip;
    bool want;
  };
  const case_t cases[] = {
      {"", true}, {"None", true}, {"none", false}, {"NONE", false}, {"10.0.0.1", false}, {"2001:db8::1", false}, {" None", false},
  };
  for (const auto& tc : cases) {
    INFO("\"" << tc.cluster_ip << "\"");
    service s;
    s.cluster_ip = tc.cluster_ip;
    CHECK(s.is_headless() == tc.want);
  }
  CHECK(service{}.ports.empty());
  CHECK(service_port{}.protocol == "TCP");
  CHECK_FALSE(service{}.selector.has_value());
}

TEST_CASE("types: node zone", "[types]") {
  node n;
  CHECK(n.zone().empty());
  n.metadata.labels["failure-domain.beta.kubernetes.io/zone"] = "old-zone";
  CHECK(n.zone().empty());
  n.metadata.labels["topology.kubernetes.io/zone"] = "zone-b";
  CHECK(n.zone() == "zone-b");
  n.metadata.labels["topology.kubernetes.io/zone"] = "";
  CHECK(n.zone().empty());
  CHECK_FALSE(n.ready);
  CHECK_FALSE(n.allocatable_cpu_millis.has_value());
}

// ---------------------------------------------------------------------------------------------
// Quantities

namespace {

// Test-side reference: the exact value of a quantity, times 1000, rounded up in magnitude (as
// Kubernetes' MilliValue does for the int64 fast path), nullopt when it does not fit in 64 bits
// or the text is not a quantity of the documented grammar. Exact decimal arithmetic on digit
// strings, with the binary multiplier applied before rounding.
std::optional<std::int64_t> reference_quantity_millis(std::string_view s) {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  std::string digits;  // significant digits, no leading zeros
  long long frac = 0;
  bool any = false, dot = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      any = true;
      if (dot) ++frac;
      if (!digits.empty() || c != '0') digits += c;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!any) return std::nullopt;
  const std::string_view suffix = s.substr(i);
  long long exp10 = 0;
  unsigned shift = 0;
  const std::pair<std::string_view, int> decimal[] = {{"", 0}, {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3},
                                                      {"M", 6}, {"G", 9}, {"T", 12}, {"P", 15}, {"E", 18}};
  const std::pair<std::string_view, unsigned> binary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  bool known = false;
  for (const auto& [name, e] : decimal)
    if (suffix == name) known = true, exp10 = e;
  for (const auto& [name, b] : binary)
    if (suffix == name) known = true, shift = b;
  if (!known) {
    if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return std::nullopt;
    std::size_t k = 1;
    const bool eneg = suffix[k] == '-';
    if (suffix[k] == '+' || suffix[k] == '-') ++k;
    if (k == suffix.size()) return std::nullopt;
    for (; k < suffix.size(); ++k) {
      if (suffix[k] < '0' || suffix[k] > '9') return std::nullopt;
      exp10 = std::min(exp10 * 10 + (suffix[k] - '0'), 1000000LL);
    }
    if (eneg) exp10 = -exp10;
  }
  if (digits.empty()) return 0;
  // digits *= 2^shift, exactly.
  for (unsigned b = 0; b < shift; ++b) {
    int carry = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
      const int d = (*it - '0') * 2 + carry;
      *it = static_cast<char>('0' + d % 10);
      carry = d / 10;
    }
    if (carry) digits.insert(digits.begin(), static_cast<char>('0' + carry));
  }
  const long long scale = exp10 - frac + 3;
  // Without leading zeros, 20 or more digits are at least 1e19 > INT64_MAX; 19 fit in 64 bits.
  std::uint64_t v = 0;
  if (scale >= 0) {
    if (static_cast<long long>(digits.size()) + scale > 19) return std::nullopt;
    for (char c : digits) v = v * 10 + static_cast<unsigned>(c - '0');
    for (long long k = 0; k < scale; ++k) v *= 10;
  } else {
    const long long keep = static_cast<long long>(digits.size()) + scale;
    if (keep > 19) return std::nullopt;
    bool rest = false;
    for (long long k = 0; k < static_cast<long long>(digits.size()); ++k) {
      if (k < keep) v = v * 10 + static_cast<unsigned>(digits[static_cast<std::size_t>(k)] - '0');
      else rest = rest || digits[static_cast<std::size_t>(k)] != '0';
    }
    if (rest) ++v;
  }
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  const auto m = static_cast<std::int64_t>(v);
  return negative ? -m : m;
}

struct quantity_case {
  std::string input;
  std::optional<std::int64_t> want;
};

}  // namespace

TEST_CASE("types: quantities in millis", "[types]") {
  const quantity_case cases[] = {
      // Plain and milli values.
      {"4", 4000}, {"3500m", 3500}, {"1.5", 1500}, {"0.1", 100}, {"100m", 100}, {"0", 0}, {"1", 1000},
      {"+1", 1000}, {"0.5", 500}, {"1.25", 1250}, {"0.001", 1}, {"1m", 1}, {"0m", 0}, {"00001", 1000},
      {"0.000", 0}, {"000", 0}, {"1.", 1000}, {".001", 1}, {".5", 500}, {"64", 64000}, {"250m", 250},
      // Rounded up to the next milli.
      {"250u", 1}, {"0.0001", 1}, {"0.0011", 2}, {"0.5m", 1}, {"999u", 1}, {"1000u", 1}, {"1001u", 2},
      {"1n", 1}, {"0.9n", 1}, {"3.001n", 1}, {"1.5e-3", 2}, {"1.0000000001", 1001}, {"0.00000012345", 1},
      {"1e-3", 1}, {"1E-3", 1}, {"1e-4", 1}, {"0.5e-9", 1},
      // Decimal SI suffixes.
      {"2k", 2000000}, {"1M", 1000000000}, {"1G", 1000000000000}, {"1T", 1000000000000000},
      {"1P", 1000000000000000000}, {"9P", 9000000000000000000}, {"100.035k", 100035000}, {"0.0005k", 500},
      {".0001k", 100}, {"1.G", 1000000000000}, {"7.123456M", 7123456000}, {"0n", 0}, {"0T", 0}, {"0E", 0},
      // Binary SI suffixes.
      {"1Ki", 1024000}, {"1Mi", 1048576000}, {"1Gi", 1073741824000}, {"1Ti", 1099511627776000},
      {"1Pi", 1125899906842624000}, {"8Pi", 9007199254740992000}, {"1.5Ki", 1536000}, {"0.5Mi", 524288000},
      {"100.035Ki", 102435840}, {"0.05Gi", 53687091200}, {"0.025Ti", 27487790694400}, {"0.001Ki", 1024},
      {"0Ki", 0}, {"0Ei", 0},
      // Decimal exponents.
      {"5e3", 5000000}, {"1E2", 100000}, {"1e3", 1000000}, {"1e0", 1000}, {"1.2e3", 1200000},
      {"1.3E+6", 1300000000}, {"0.5e-1", 50}, {"0.5e0", 500}, {"1e15", 1000000000000000000}, {"1e+0", 1000},
      // Signs (negative values round away from zero).
      {"-1", -1000}, {"-1.5m", -2}, {"-0.5", -500}, {"-250u", -1}, {"-0", 0},
      // The int64 limits.
      {"9223372036854775807m", INT64_MAX}, {"9223372036854775.807", INT64_MAX},
      {"-9223372036854775807m", -INT64_MAX}, {"9223372036854775806.1m", INT64_MAX},
      // Too large for 64 bits.
      {"9223372036854775808m", std::nullopt}, {"9223372036854775.808", std::nullopt},
      {"9223372036854775807", std::nullopt}, {"10P", std::nullopt}, {"1E", std::nullopt}, {"12E", std::nullopt},
      {"9Pi", std::nullopt}, {"1Ei", std::nullopt}, {"8Ei", std::nullopt}, {"1e16", std::nullopt},
      {"1e18", std::nullopt}, {"1e100", std::nullopt}, {"99999999999999999999999", std::nullopt},
      // Not quantities.
      {"", std::nullopt}, {"m", std::nullopt}, {"1.2.3", std::nullopt}, {"1x", std::nullopt},
      {"--1", std::nullopt}, {"-", std::nullopt}, {"+", std::nullopt}, {".", std::nullopt}, {"k", std::nullopt},
      {"Ki", std::nullopt}, {"e3", std::nullopt}, {" 1", std::nullopt}, {"1 ", std::nullopt},
      {"1.1.M", std::nullopt}, {"1+1.0M", std::nullopt}, {"0.1mi", std::nullopt}, {"0.1am", std::nullopt},
      {"aoeu", std::nullopt}, {".5i", std::nullopt}, {"1i", std::nullopt}, {"-3.01i", std::nullopt},
      {"-3.01e-", std::nullopt}, {"1e", std::nullopt}, {"1e+", std::nullopt}, {"1K", std::nullopt},
      {"1ki", std::nullopt}, {"1mm", std::nullopt}, {"1KiB", std::nullopt}, {"1e3m", std::nullopt},
      {"1m3", std::nullopt}, {"++1", std::nullopt}, {"+-1", std::nullopt}, {"1,5", std::nullopt},
      {"1_000", std::nullopt}, {"0x10", std::nullopt}, {"1e1.5", std::nullopt}, {"1 m", std::nullopt},
      {"1e4294967297", std::nullopt}, {"1E-", std::nullopt}, {"1b", std::nullopt},
  };
  for (const auto& tc : cases) {
    INFO("\"" << tc.input << "\"");
    CHECK(parse_quantity_millis(tc.input) == tc.want);
    // The test's own reference agrees on every case of the table.
    CHECK(reference_quantity_millis(tc.input) == tc.want);
  }
}

namespace {

// A random quantity text: sign, digits (with leading and trailing zeros), fraction, suffix.
std::string random_quantity(std::mt19937_64& r, bool binary_fractions, int max_digits, int max_exponent) {
  const auto below = [&](std::uint64_t n) { return r() % n; };
  std::string s;
  switch (below(10)) {
    case 0: s += '-'; break;
    case 1: s += '+'; break;
    default: break;
  }
  const auto digits = [&](std::uint64_t n) {
    for (std::uint64_t k = 0; k < n; ++k) s += static_cast<char>('0' + (below(3) == 0 ? 0 : below(10)));
  };
  const std::uint64_t int_digits = below(static_cast<std::uint64_t>(max_digits / 2));
  digits(int_digits);
  const bool fraction = below(2) == 0 || int_digits == 0;
  if (fraction) {
    s += '.';
    digits(1 + below(static_cast<std::uint64_t>(max_digits / 2)));
  }
  static constexpr std::string_view suffixes[] = {"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  if (below(4) == 0) {
    s += below(2) == 0 ? 'e' : 'E';
    if (below(2) == 0) s += below(2) == 0 ? '-' : '+';
    s += std::to_string(below(static_cast<std::uint64_t>(max_exponent) + 1));
  } else {
    std::string_view suffix = suffixes[below(std::size(suffixes))];
    if (!binary_fractions && fraction && suffix.size() == 2) suffix = "";
    s += suffix;
  }
  return s;
}

}  // namespace

TEST_CASE("types: quantities agree with the exact reference", "[types][property]") {
  // Inputs of the shapes nodes report (at most 30 digits, exponents up to 30, no fractional
  // binary quantities): see the known-deviation case below for the rest.
  std::mt19937_64 r(0x5eed0101);
  int parsed = 0;
  for (int k = 0; k < property_cases; ++k) {
    const std::string s = random_quantity(r, false, 30, 30);
    INFO("\"" << s << "\"");
    const auto want = reference_quantity_millis(s);
    REQUIRE(parse_quantity_millis(s) == want);
    if (want) ++parsed;
  }
  CHECK(parsed > property_cases / 4);
}

// Cases that need exact arithmetic: the binary multiplier before rounding, digits past 40, exponents past 100.
TEST_CASE("types: quantities with binary suffixes, long fractions and large exponents", "[types]") {
  const quantity_case cases[] = {
      // The binary multiplier must be applied before rounding up.
      {"0.0001Ki", 103},
      {"1.0001Ki", 1024103},
      {".000001Ki", 2},
      {"0.000000000001Ki", 1},
      // Leading zeros are not significant digits.
      {std::string(45, '0') + "1", 1000},
      // Fraction digits past the 40th still make the value round up.
      {"0." + std::string(45, '0') + "1", 1},
      // Exponents beyond 100 in magnitude: tiny values round up to 1m, zero stays zero.
      {"1e-200", 1},
      {"5e-101", 1},
      {"0e200", 0},
  };
  for (const auto& tc : cases) {
    INFO("\"" << tc.input << "\"");
    CHECK(reference_quantity_millis(tc.input) == tc.want);
    CHECK(parse_quantity_millis(tc.input) == tc.want);
  }
  std::mt19937_64 r(0x5eed0102);
  int mismatches = 0;
  std::string first;
  for (int k = 0; k < property_cases; ++k) {
    const std::string s = random_quantity(r, true, 90, 300);
    if (parse_quantity_millis(s) != reference_quantity_millis(s) && mismatches++ == 0) first = s;
  }
  INFO(mismatches << " random quantities differ, the first: \"" << first << "\"");
  CHECK(mismatches == 0);
}

TEST_CASE("types: heap_optional behaves as std::optional with its value on the heap", "[types]") {
  heap_optional<object_reference> a;
  CHECK_FALSE(a.has_value());
  CHECK_FALSE(static_cast<bool>(a));
  CHECK(a == std::nullopt);
  CHECK_THROWS_AS(a.value(), std::bad_optional_access);
  object_reference r;
  r.kind = "Pod";
  r.name = "web-0";
  a = r;
  REQUIRE(a.has_value());
  CHECK(a->name == "web-0");
  CHECK(a == r);
  CHECK_FALSE(a == std::nullopt);
  // Copies are deep: changing the copy leaves the original alone.
  heap_optional<object_reference> b = a;
  b->name = "web-1";
  CHECK(a->name == "web-0");
  CHECK_FALSE(a == b);
  b = a;
  CHECK(a == b);
  // Moves take the value and leave the source empty.
  heap_optional<object_reference> c = std::move(b);
  CHECK(c == a);
  CHECK_FALSE(b.has_value());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  // Conversions to and from std::optional, and comparisons with it.
  const std::optional<object_reference> o = c;
  REQUIRE(o.has_value());
  CHECK(o->name == "web-0");
  CHECK(c == o);
  heap_optional<object_reference> d = std::optional<object_reference>{};
  CHECK_FALSE(d.has_value());
  CHECK(d == std::optional<object_reference>{});
  CHECK_FALSE(c == std::optional<object_reference>{});
  d.emplace().uid = "u";
  CHECK(d->uid == "u");
  CHECK(d.value_or(object_reference{}).uid == "u");
  d.reset();
  CHECK(d.value_or(r).name == "web-0");
  // Self-assignment keeps the value.
  auto& alias = c;
  c = alias;
  CHECK(c->name == "web-0");
  // The point of it: a small endpoint.
  CHECK(sizeof(heap_optional<object_reference>) == sizeof(void*));
  CHECK(sizeof(endpoint_v4) < sizeof(std::optional<object_reference>) + sizeof(std::optional<endpoint_hints>));
}

TEST_CASE("types: heap_optional copies share their value until one of them is written", "[types]") {
  object_reference r;
  r.kind = "Pod";
  r.name = "web-0";
  const auto at = [](const heap_optional<object_reference>& h) { return &*h; };
  heap_optional<object_reference> a = r;
  heap_optional<object_reference> b = a;
  CHECK(at(a) == at(b));  // one value, counted twice
  heap_optional<object_reference> c;
  c = b;
  CHECK(at(c) == at(a));
  // A write through one copy gives it a value of its own first.
  b->name = "web-1";
  CHECK(at(b) != at(a));
  CHECK(std::as_const(a)->name == "web-0");
  CHECK(std::as_const(c)->name == "web-0");
  CHECK(std::as_const(b)->name == "web-1");
  // Assigning a value to a shared copy does not reach the others.
  c = object_reference{"Pod", "ns", "web-2", "", "", "", "", {}};
  CHECK(std::as_const(a)->name == "web-0");
  CHECK(std::as_const(c)->name == "web-2");
  // A mutable reference keeps writing to its own heap_optional only, even across later copies:
  // once handed out, the value is copied deeply.
  object_reference& held = *a;
  const heap_optional<object_reference> d = a;
  CHECK(at(d) != at(a));
  held.name = "web-3";
  CHECK(std::as_const(a)->name == "web-3");
  CHECK(d->name == "web-0");
  object_reference& fresh = c.emplace();
  const heap_optional<object_reference> e = c;
  fresh.uid = "u";
  CHECK(e->uid.empty());
  CHECK(std::as_const(c)->uid == "u");
  // value() writes as * does.
  heap_optional<object_reference> f = d;
  f.value().namespace_ = "other";
  CHECK(d->namespace_.empty());
  // Equal values compare equal whether shared or not; the last owner frees the value (ASan checks).
  CHECK(heap_optional<object_reference>(d) == d);
  heap_optional<object_reference> g = d;
  g.reset();
  CHECK_FALSE(g.has_value());
  CHECK(d->name == "web-0");
}

TEST_CASE("types: copies of an endpoint may live on different threads", "[types]") {
  // The count of a shared value is atomic: threads copy, write and drop copies of one endpoint
  // while the original stays as it was (ASan and UBSan watch the last owner freeing it).
  endpoint_v4 original;
  original.addresses.push_back(ipv4_address{{10, 0, 0, 1}});
  original.target_ref = object_reference{"Pod", "default", "web-0", "uid-0", "", "", "", {}};
  original.hints = endpoint_hints{{for_zone{"zone-a"}}, {}, {}};
  const endpoint_v4& shared = original;
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&shared, &failures, t] {
      for (int i = 0; i < 2000; ++i) {
        std::vector<endpoint_v4> copies(3, shared);
        copies[1].target_ref->name = "web-" + std::to_string(t);
        copies[2].hints.reset();
        if (std::as_const(copies[0]).target_ref->name != "web-0" || std::as_const(copies[1]).target_ref->name != "web-" + std::to_string(t) ||
            !copies[0].hints.has_value())
          ++failures[static_cast<std::size_t>(t)];
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures == std::vector<int>(4, 0));
  CHECK(std::as_const(original).target_ref->name == "web-0");
  CHECK(std::as_const(original).hints->for_zones.size() == 1);
}

TEST_CASE("types: heap_optional<std::string> compares with text like std::optional<std::string>", "[types]") {
  heap_optional<std::string> h;
  CHECK_FALSE(h == "web-0");
  CHECK_FALSE(h == std::string_view());
  h = "web-0";
  CHECK(h == "web-0");
  CHECK(h == std::string("web-0"));
  CHECK(h == std::string_view("web-0"));
  CHECK_FALSE(h == "web-1");
  CHECK(h == std::optional<std::string>("web-0"));
  CHECK(h.value_or("") == "web-0");
  h.reset();
  CHECK(h.value_or("none") == "none");
  // Assignable both ways with std::optional<std::string>, as the legacy Endpoints type uses it.
  std::optional<std::string> o = heap_optional<std::string>("x");
  CHECK(o == "x");
  h = o;
  CHECK(h == "x");
}

TEST_CASE("types: heap_value reads as its container and allocates only when written", "[types]") {
  heap_value<string_map> m;
  CHECK(m.empty());
  CHECK(m.size() == 0);
  CHECK(m.begin() == m.end());
  CHECK(m.count("a") == 0);
  CHECK(m.find("a") == m.get().end());
  const string_map& view = m;  // reads as the map
  CHECK(view.empty());
  // An unallocated box equals an allocated empty one, and an empty map.
  heap_value<string_map> allocated;
  allocated.edit();
  CHECK(allocated.empty());
  CHECK(m == allocated);
  CHECK(m == string_map{});
  // Writes.
  m["zone"] = "a";
  m.edit().insert_or_assign("rack", "r1");
  CHECK(m.size() == 2);
  CHECK(m.count("zone") == 1);
  CHECK(m.find("rack")->second == "r1");
  CHECK(m == string_map{{"rack", "r1"}, {"zone", "a"}});
  CHECK(m->at("zone") == "a");
  // Copies are deep; moves take the container.
  heap_value<string_map> copy = m;
  copy["zone"] = "b";
  CHECK(m.get().at("zone") == "a");
  CHECK_FALSE(copy == m);
  heap_value<string_map> moved = std::move(copy);
  CHECK(moved.get().at("zone") == "b");
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  // Assignment from the container and from a braced list; clear() empties it.
  moved = string_map{{"k", "v"}};
  CHECK(moved == string_map{{"k", "v"}});
  moved = {{"x", "y"}, {"z", "w"}};
  CHECK(moved.size() == 2);
  moved = string_map{};
  CHECK(moved.empty());
  m.clear();
  CHECK(m.empty());
  CHECK(m == allocated);
  // Self-assignment keeps the value.
  moved = {{"x", "y"}};
  auto& alias = moved;
  moved = alias;
  CHECK(moved == string_map{{"x", "y"}});
  // Lists: iteration in order, writes through edit() or ->.
  heap_value<unknown_fields> extra;
  extra->push_back(unknown_field{"a", "1"});
  extra.edit().push_back(unknown_field{"b", "2"});
  std::string keys;
  for (const auto& f : extra) keys += f.key;
  CHECK(keys == "ab");
  CHECK(sizeof(heap_value<string_map>) == sizeof(void*));
}

TEST_CASE("types: an endpoint stays compact", "[types]") {
  // The fields most endpoints leave empty live on the heap (hostname, targetRef, hints,
  // deprecatedTopology, unknown fields), and the conditions share the padding after the address
  // list's nil flag. Every byte here is copied or moved per endpoint into each written slice.
  // The first address is inline too (address_list); an IPv6 address carries one word for the
  // form a non-canonical text was written in.
  CHECK(sizeof(endpoint_v4) <= 144);
  CHECK(sizeof(endpoint_v6) <= 160);
  // The reference every pod endpoint allocates: kind, namespace, name and uid inline, the fields
  // endpoints nearly never set (apiVersion, resourceVersion, fieldPath, unknown fields) one
  // pointer each.
  CHECK(sizeof(object_reference) == 4 * sizeof(std::string) + 4 * sizeof(void*));
}

TEST_CASE("types: heap_string reads as its string and allocates only when written", "[types]") {
  heap_string s;
  CHECK(s.empty());
  CHECK(s.size() == 0);
  CHECK(s.begin() == s.end());
  CHECK(std::string_view(s.c_str()).empty());
  const std::string& view = s;  // reads as the string
  CHECK(view.empty());
  CHECK(std::string_view(s).empty());
  // An unallocated string equals an allocated empty one, and the empty text.
  heap_string allocated;
  allocated.edit();
  CHECK(allocated.empty());
  CHECK(s == allocated);
  CHECK(s == "");
  CHECK(s == std::string());
  heap_string from_empty = std::string();  // an empty value allocates nothing
  CHECK(from_empty == s);
  // Writes: assignment from text of every kind, assign(), edit().
  s = "v1";
  CHECK(s == "v1");
  CHECK("v1" == s);
  CHECK(s == std::string("v1"));
  CHECK(s == std::string_view("v1"));
  CHECK(s != "v2");
  CHECK(s.size() == 2);
  CHECK(std::string(s.data(), s.size()) == "v1");
  s = std::string_view("apps/v1");
  CHECK(s.str() == "apps/v1");
  s.assign("batch/v1");
  CHECK(s.view() == "batch/v1");
  s.edit() += "beta1";
  CHECK(s == "batch/v1beta1");
  std::string moved_in = "a long value that is not held inside a std::string object";
  s = std::move(moved_in);
  CHECK(s == "a long value that is not held inside a std::string object");
  // Ordering is the text's.
  CHECK(heap_string("a") < heap_string("b"));
  CHECK(heap_string("b") > "a");
  CHECK(heap_string() < "a");
  // Copies are deep; moves take the string.
  heap_string copy = s;
  copy.edit()[0] = 'A';
  CHECK(s.view().front() == 'a');
  CHECK(copy != s);
  heap_string moved = std::move(copy);
  CHECK(moved.view().front() == 'A');
  CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  // Self-assignment keeps the value; clear() empties it.
  auto& alias = moved;
  moved = alias;
  CHECK(moved.view().front() == 'A');
  moved.clear();
  CHECK(moved.empty());
  CHECK(moved == allocated);
  // Assigning the empty text to an allocated string keeps it empty and equal to an unallocated one.
  s = "";
  CHECK(s.empty());
  CHECK(s == heap_string());
  CHECK(sizeof(heap_string) == sizeof(void*));
  // In an object reference it reads and writes like the std::string it replaces.
  object_reference r;
  r.api_version = "v1";
  r.field_path = std::string("spec.containers{web}");
  CHECK(r.api_version == "v1");
  CHECK(r.resource_version.empty());
  const std::string& path = r.field_path;
  CHECK(path == "spec.containers{web}");
  object_reference same = r;
  CHECK(same == r);
  same.resource_version = "12";
  CHECK_FALSE(same == r);
}

TEST_CASE("types: service_of and group_by_service", "[types]") {
  const auto slice = [](std::string ns, std::string name, std::optional<std::string> service) {
    epslice::endpoint_slice_v4 s;
    s.metadata.namespace_ = std::move(ns);
    s.metadata.name = std::move(name);
    if (service) s.metadata.labels.emplace(std::string(epslice::well_known::service_name_label), *service);
    return s;
  };
  CHECK(epslice::service_of(slice("shop", "a", "web")) == epslice::service_name{"shop", "web"});
  CHECK_FALSE(epslice::service_of(slice("shop", "a", std::nullopt)));
  CHECK_FALSE(epslice::service_of(slice("shop", "a", "")));  // an empty label names no Service
  CHECK(epslice::service_name{"shop", "web"}.to_string() == "shop/web");
  CHECK(epslice::service_name{"", "web"}.to_string() == "web");

  // Groups in order of first appearance, positions in input order; the same label in another
  // namespace is another Service; slices without a label are set apart.
  std::vector<epslice::any_endpoint_slice> slices = {
      slice("shop", "a", "web"), slice("shop", "b", "api"), slice("shop", "c", std::nullopt),
      slice("shop", "d", "web"), slice("test", "e", "web"), slice("shop", "f", ""), slice("shop", "g", "api"),
  };
  const auto g = epslice::group_by_service(slices);
  REQUIRE(g.groups.size() == 3);
  CHECK(g.groups[0].service == epslice::service_name{"shop", "web"});
  CHECK(g.groups[0].positions == std::vector<std::size_t>{0, 3});
  CHECK(g.groups[1].service == epslice::service_name{"shop", "api"});
  CHECK(g.groups[1].positions == std::vector<std::size_t>{1, 6});
  CHECK(g.groups[2].service == epslice::service_name{"test", "web"});
  CHECK(g.groups[2].positions == std::vector<std::size_t>{4});
  CHECK(g.without_service == std::vector<std::size_t>{2, 5});
  // Typed slices, and anything with a projection to its metadata.
  std::vector<epslice::endpoint_slice_v4> typed = {slice("n", "x", "s"), slice("n", "y", "s")};
  CHECK(epslice::group_by_service(typed).groups.at(0).positions == std::vector<std::size_t>{0, 1});
  struct held {
    std::string file;
    epslice::endpoint_slice_v4 slice;
  };
  std::vector<held> wrapped = {{"f1", slice("n", "x", "s")}, {"f2", slice("n", "y", std::nullopt)}};
  const auto w = epslice::group_by_service(wrapped, [](const held& h) -> const epslice::object_meta& { return h.slice.metadata; });
  CHECK(w.groups.size() == 1);
  CHECK(w.without_service == std::vector<std::size_t>{1});
  CHECK(epslice::group_by_service(std::vector<epslice::any_endpoint_slice>{}).groups.empty());
}
