// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the endpoint cache fed a fuzzed event sequence, against a merge from scratch.
//
// The input is a program: the first byte picks the family (IPv4 or IPv6), then each event takes a
// few bytes. Slices are built from bytes over a small universe (2 namespaces, 5 slice names with
// one empty, 3 Services or none, 8 addresses, port numbers 0, 80, 443, 8080 or none, names,
// protocols, conditions, nodes, zones and hints), so that copies of one `ip:port` in several
// slices, renamed Services, lost labels and ports come up often. Events:
//   update (of a slice of this family), update through the any_endpoint_slice overload, an event
//   of another family (which removes the slice), delete, checkout.
// Invariants:
//  1. after every event, snapshot() equals merge_slices() of the last event of every slice;
//     service_ports() and endpoints(name) agree with the snapshot; local_ready_endpoints() of the
//     cache equals the free function on the snapshot, for every node;
//  2. update() returning false leaves the snapshot unchanged; remove() returns whether the
//     slice was cached;
//  3. applying every checkout in turn to an empty map with apply_changes() gives snapshot();
//     each change list is sorted by `ip:port`;
//  4. select_endpoints() for each service port: `cluster` and `local` present exactly when the
//     policy uses them, `local` holds local endpoints only, `all` is sorted and drawn from the
//     port's endpoints.
#include <epslice/merge.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace epslice;
using epslice_fuzz::byte_reader;

// Events per input: enough for long histories of one slice, few enough that the checks after
// every event keep an input cheap.
constexpr std::size_t max_events = 64;

constexpr const char* namespaces[] = {"ns1", "ns2"};
constexpr const char* slice_names[] = {"a", "b", "c", "web-1", ""};
constexpr const char* services[] = {"svc1", "svc2", "svc3"};
constexpr const char* nodes[] = {"n1", "n2", "n3"};
constexpr const char* zones[] = {"z1", "z2", ""};

template <class F>
typename F::address address_of(std::size_t i) {
  if constexpr (std::is_same_v<F, ipv4>) {
    return ipv4_address::from_uint(0x0a000001u + static_cast<std::uint32_t>(i));
  } else {
    ipv6_address a;
    a.bytes[0] = 0xfd;
    a.bytes[15] = static_cast<std::uint8_t>(i + 1);
    return a;
  }
}

std::optional<bool> tristate(std::uint8_t bits, unsigned shift) {
  switch ((bits >> shift) & 3) {
    case 0: return std::nullopt;
    case 1: return false;
    default: return true;
  }
}

template <class F>
basic_endpoint_slice<F> read_slice(byte_reader& in, std::size_t ns, std::size_t name) {
  basic_endpoint_slice<F> s;
  s.metadata.namespace_ = namespaces[ns];
  s.metadata.name = slice_names[name];
  const std::uint8_t head = in.byte();
  if ((head & 3) != 3) s.metadata.labels[std::string(well_known::service_name_label)] = services[head & 3];
  const std::size_t port_count = (head >> 2) & 3;
  for (std::size_t k = 0; k < port_count; ++k) {
    const std::uint8_t b = in.byte();
    endpoint_port p;
    static constexpr std::int32_t numbers[] = {0, 80, 443, 8080};
    if (b & 4) p.port = numbers[b & 3];
    static constexpr const char* port_names[] = {"", "http", "https"};
    if ((b >> 3) & 3) p.name = port_names[((b >> 3) & 3) - 1];
    if (b & 0x20) p.protocol = (b & 0x40) ? "UDP" : "TCP";
    s.ports.push_back(std::move(p));
  }
  const std::size_t endpoint_count = (head >> 4) & 7;
  for (std::size_t k = 0; k < endpoint_count; ++k) {
    const std::uint8_t a = in.byte();
    const std::uint8_t b = in.byte();
    basic_endpoint<F> e;
    if ((a & 0xF8) != 0xF8) {  // rarely: no address at all
      e.addresses.push_back(address_of<F>(a & 7));
      if (a & 0x08) e.addresses.push_back(address_of<F>((a >> 4) & 7));
    }
    e.conditions.ready = tristate(b, 0);
    e.conditions.serving = tristate(b, 2);
    e.conditions.terminating = tristate(b, 4);
    const std::uint8_t c = in.byte();
    if (c & 3) e.node_name = nodes[(c & 3) - 1];
    if ((c >> 2) & 3) e.zone = zones[((c >> 2) & 3) - 1];
    if (c & 0x30) {
      endpoint_hints h;
      if (c & 0x10) h.for_zones.push_back(for_zone{zones[(c >> 6) % 3]});
      if (c & 0x20) h.for_nodes.push_back(for_node{nodes[(c >> 6) % 3]});
      if ((c & 0xC0) == 0xC0) h.for_zones.push_back(for_zone{"z1"});  // a repeated or second zone
      e.hints = std::move(h);
    }
    s.endpoints.push_back(std::move(e));
  }
  return s;
}

using slice_id = std::pair<std::string, std::string>;

template <class F>
void check_cache(const endpoint_cache<F>& cache, const std::map<slice_id, basic_endpoint_slice<F>>& state) {
  std::vector<basic_endpoint_slice<F>> slices;
  for (const auto& [id, s] : state) slices.push_back(s);
  const auto want = merge_slices<F>(slices);
  const auto got = cache.snapshot();
  EPSLICE_FUZZ_CHECK(got == want, "the cache differs from merge_slices() of the last events (" +
                                      std::to_string(got.size()) + " and " + std::to_string(want.size()) +
                                      " service ports)");
  std::vector<service_port_name> names;
  for (const auto& [name, list] : want) {
    names.push_back(name);
    EPSLICE_FUZZ_CHECK(cache.endpoints(name) == list, name.to_string());
  }
  EPSLICE_FUZZ_CHECK(cache.service_ports() == names, "service_ports() differs from the snapshot");
  for (const char* node : nodes)
    EPSLICE_FUZZ_CHECK(cache.local_ready_endpoints(node) == local_ready_endpoints(want, node), node);
  EPSLICE_FUZZ_CHECK(cache.local_ready_endpoints("").empty(), "an empty node name matches");
}

template <class F>
bool sorted_by_key(const std::vector<endpoint_info<F>>& v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if (!(v[i - 1].key() < v[i].key())) return false;
  return true;
}

template <class F>
void check_selection(const endpoints_map<F>& snapshot) {
  for (const auto& [name, list] : snapshot) {
    EPSLICE_FUZZ_CHECK(sorted_by_key(list), name.to_string() + ": endpoints not sorted by ip:port");
    for (unsigned bits = 0; bits < 8; ++bits) {
      const traffic_policy policy{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0};
      for (const char* node : nodes)
        for (const char* zone : zones) {
          const auto sel = select_endpoints<F>(list, node, zone, policy);
          EPSLICE_FUZZ_CHECK(sel.cluster.has_value() == policy.uses_cluster_endpoints(), name.to_string());
          EPSLICE_FUZZ_CHECK(sel.local.has_value() == policy.uses_local_endpoints(), name.to_string());
          if (sel.local)
            for (const auto& e : *sel.local) EPSLICE_FUZZ_CHECK(e.is_local(node), name.to_string() + ": a remote endpoint in local");
          EPSLICE_FUZZ_CHECK(sorted_by_key(sel.all), name.to_string() + ": all is not sorted");
          for (const auto& e : sel.all)
            EPSLICE_FUZZ_CHECK(std::find(list.begin(), list.end(), e) != list.end(), name.to_string() + ": all holds a stranger");
        }
    }
  }
}

template <class F>
void check_changes(const std::vector<service_port_change<F>>& changes) {
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    if (i > 0) EPSLICE_FUZZ_CHECK(changes[i - 1].name < c.name, "checkout() is not sorted by service port");
    EPSLICE_FUZZ_CHECK(sorted_by_key(c.added) && sorted_by_key(c.removed), c.name.to_string());
    for (std::size_t k = 1; k < c.changed.size(); ++k)
      EPSLICE_FUZZ_CHECK(c.changed[k - 1].current.key() < c.changed[k].current.key(), c.name.to_string());
    EPSLICE_FUZZ_CHECK(!c.added.empty() || !c.removed.empty() || !c.changed.empty(), c.name.to_string() + ": an empty change");
  }
}

template <class F>
void run(byte_reader& in) {
  using other_family = std::conditional_t<std::is_same_v<F, ipv4>, ipv6, ipv4>;
  endpoint_cache<F> cache;
  std::map<slice_id, basic_endpoint_slice<F>> state;
  endpoints_map<F> replayed;  // every checkout applied in turn
  std::size_t events = 0;
  while (!in.done() && events < max_events) {
    ++events;
    const std::uint8_t op = in.byte();
    const std::size_t ns = op & 1;
    const std::size_t name = (op >> 1) % 5;
    const slice_id id{namespaces[ns], slice_names[name]};
    const auto before = cache.snapshot();
    switch (op >> 5) {
      case 0:
      case 1:
      case 2: {  // update
        auto s = read_slice<F>(in, ns, name);
        bool changed = false;
        EPSLICE_FUZZ_NO_THROW("endpoint_cache::update", [&] { changed = cache.update(s); });
        if (!slice_names[name][0]) {
          EPSLICE_FUZZ_CHECK(!changed, "a slice without a name changed the cache");
        } else {
          state[id] = std::move(s);
        }
        if (!changed) EPSLICE_FUZZ_CHECK(cache.snapshot() == before, "update() returned false but the cache changed");
        break;
      }
      case 3: {  // update through the variant
        auto s = read_slice<F>(in, ns, name);
        const any_endpoint_slice any = s;
        bool changed = false;
        EPSLICE_FUZZ_NO_THROW("endpoint_cache::update(any)", [&] { changed = cache.update(any); });
        if (slice_names[name][0]) state[id] = std::move(s);
        if (!changed) EPSLICE_FUZZ_CHECK(cache.snapshot() == before, "update(any) returned false but the cache changed");
        break;
      }
      case 4: {  // an event of another family, FQDN or raw: removes the slice
        any_endpoint_slice other;
        const std::uint8_t kind = in.byte() % 3;
        if (kind == 0) other = basic_endpoint_slice<other_family>{};
        else if (kind == 1) other = endpoint_slice_fqdn{};
        else other = endpoint_slice_raw{};
        std::visit([&](auto& x) {
          x.metadata.namespace_ = namespaces[ns];
          x.metadata.name = slice_names[name];
          x.metadata.labels[std::string(well_known::service_name_label)] = "svc1";
        }, other);
        EPSLICE_FUZZ_NO_THROW("endpoint_cache::update(other family)", [&] { (void)cache.update(other); });
        state.erase(id);
        break;
      }
      case 5:
      case 6: {  // delete
        const bool cached = state.count(id) != 0 &&
                            detail::proxied_service_of(state.at(id).metadata).has_value();
        bool removed = false;
        EPSLICE_FUZZ_NO_THROW("endpoint_cache::remove", [&] { removed = cache.remove(id.first, id.second); });
        if (cached) EPSLICE_FUZZ_CHECK(removed, "remove() of a cached slice returned false");
        if (!removed) EPSLICE_FUZZ_CHECK(cache.snapshot() == before, "remove() returned false but the cache changed");
        state.erase(id);
        break;
      }
      default: {  // checkout
        const auto changes = cache.checkout();
        check_changes(changes);
        apply_changes<F>(replayed, changes);
        EPSLICE_FUZZ_CHECK(replayed == cache.snapshot(), "the checkouts applied in turn differ from snapshot()");
        break;
      }
    }
    check_cache(cache, state);
  }
  const auto changes = cache.checkout();
  check_changes(changes);
  apply_changes<F>(replayed, changes);
  EPSLICE_FUZZ_CHECK(replayed == cache.snapshot(), "the checkouts applied in turn differ from snapshot()");
  EPSLICE_FUZZ_CHECK(cache.checkout().empty(), "a second checkout without events is not empty");
  check_selection(cache.snapshot());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  byte_reader in(data, size);
  if (in.flag()) run<ipv6>(in);
  else run<ipv4>(in);
  return 0;
}
