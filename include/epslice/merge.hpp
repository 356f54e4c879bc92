// SPDX-License-Identifier: Apache-2.0
// Consumer side: slices -> per-service-port endpoints (as kube-proxy builds them), change
// tracking between checkouts, and endpoint selection for a node.
//
// What this follows: kube-proxy's EndpointSliceCache (`pkg/proxy/endpointslicecache.go`), its
// change tracker (`endpointschangetracker.go`), `CategorizeEndpoints` (`topology.go`) and the
// service-port policy helpers (`serviceport.go`) of kubernetes/kubernetes.
//
// Differences from upstream, all deliberate:
//  1. Duplicates. When several copies of one `ip:port` reach a service port, upstream keeps a
//     non-terminating copy over a terminating one and otherwise the copy it met last, in Go map
//     order (random). Here the winner is the copy that is (a) not terminating, then (b) ready,
//     then (c) from the slice whose name sorts first (byte-wise), then (d) earliest in that
//     slice. Rule (a) is upstream's; (b)-(d) make the result independent of event order.
//  2. Slice identity. Upstream files a slice under (service, slice name), so a slice whose
//     `kubernetes.io/service-name` label changes stays cached under its old service too, and an
//     update that loses the label is ignored (the old content stays). Here a slice is identified
//     by (namespace, name): every event replaces the previous content of that slice, and an event
//     for a slice without the label (or of another address family, or a raw slice) removes it.
//     So the cache always equals a merge from scratch of the last event of every slice.
//  3. Port names. Upstream skips a port whose `name` is absent (it never is once the API server
//     has defaulted it). Here an absent name is the API server's default, `""`; an absent
//     `protocol` is its default, `TCP` (upstream would dereference nil).
//  4. Change detection. Upstream compares whole slice objects; `update` here reports a change
//     only when something kube-proxy reads changed (addresses[0], conditions, node name, zone,
//     hints, usable ports, in order). Reordering endpoints or ports is still a change, as
//     upstream; a new hostname or targetRef alone is not.
//  5. Node hints are always read, as kube-proxy does with PreferSameTrafficDistribution on.
//  6. Selection (`select_endpoints`): `cluster` is absent exactly when the service port does not
//     use cluster endpoints and `local` exactly when it does not use local ones (upstream also
//     returns nil lists when there are no endpoints at all). `all` is sorted by `ip:port` (upstream
//     leaves a union unordered); `cluster` and `local` keep the input order, which from the cache
//     is sorted by `ip:port`.
//  7. Addresses are parsed strictly by the slice's family (address.hpp); upstream parses
//     `addresses[0]` sloppily. Valid API objects behave the same.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "address.hpp"
#include "detail/flat_index.hpp"
#include "detail/merge_table.hpp"
#include "document.hpp"
#include "error.hpp"
#include "types.hpp"

namespace epslice {

/// A service port as kube-proxy names it: (namespace, service, port name, protocol). Ordered
/// field by field, byte-wise.
struct service_port_name {
  std::string namespace_;
  std::string service;
  std::string port_name;  ///< "" for a port without a name
  std::string protocol;   ///< TCP, UDP or SCTP
  friend auto operator<=>(const service_port_name&, const service_port_name&) = default;
  friend bool operator==(const service_port_name&, const service_port_name&) = default;

  /// `<namespace>/<service>:<port name>/<protocol>`, e.g. `ns1/svc1:http/TCP` (`ns1/svc1:/TCP`
  /// for a port without a name).
  [[nodiscard]] std::string to_string() const {
    std::string out;
    out.reserve(namespace_.size() + service.size() + port_name.size() + protocol.size() + 3);
    out += namespace_;
    out += '/';
    out += service;
    out += ':';
    out += port_name;
    out += '/';
    out += protocol;
    return out;
  }
};

/// Append the endpoint key `ip:port` (`[ip]:port` for IPv6), as Go's net.JoinHostPort.
inline void append_endpoint_key(std::string& out, const ipv4_address& a, std::int32_t port) {
  format_to(out, a);
  out += ':';
  out += std::to_string(port);
}
/// Append the endpoint key `[ip]:port` of an IPv6 address.
inline void append_endpoint_key(std::string& out, const ipv6_address& a, std::int32_t port) {
  out += '[';
  format_to(out, a);
  out += "]:";
  out += std::to_string(port);
}

/// One endpoint of a service port, as kube-proxy sees it (its BaseEndpointInfo).
template <class F>
struct endpoint_info {
  static_assert(std::is_same_v<F, ipv4> || std::is_same_v<F, ipv6>, "kube-proxy endpoints are IPv4 or IPv6");
  typename F::address address{};  ///< the endpoint's addresses[0]
  std::int32_t port = 0;
  bool ready = false;        ///< conditions.ready nil or true
  bool serving = false;      ///< conditions.serving nil or true
  bool terminating = false;  ///< conditions.terminating true
  std::string node_name;     ///< "" when absent
  std::string zone;          ///< "" when absent
  std::vector<std::string> zone_hints;  ///< hints.forZones names, sorted, unique
  std::vector<std::string> node_hints;  ///< hints.forNodes names, sorted, unique
  friend bool operator==(const endpoint_info&, const endpoint_info&) = default;

  /// `ip:port`, or `[ip]:port` for IPv6.
  [[nodiscard]] std::string key() const {
    std::string out;
    append_endpoint_key(out, address, port);
    return out;
  }
  /// True when the endpoint runs on the named node (a non-empty name equal to `node_name`).
  [[nodiscard]] bool is_local(std::string_view node) const noexcept { return !node.empty() && node_name == node; }
  /// True when `zone_hints` names the zone.
  [[nodiscard]] bool hinted_for_zone(std::string_view z) const noexcept {
    return std::binary_search(zone_hints.begin(), zone_hints.end(), z, std::less<>{});
  }
  /// True when `node_hints` names the node.
  [[nodiscard]] bool hinted_for_node(std::string_view n) const noexcept {
    return std::binary_search(node_hints.begin(), node_hints.end(), n, std::less<>{});
  }
};

namespace detail {

/// An endpoint key `ip:port` (`[ip]:port`) formatted into a fixed buffer, without allocating;
/// ordered byte-wise like the text.
template <std::size_t N>
struct key_text {
  std::array<char, N> bytes{};
  std::size_t size = 0;
  void append(std::string_view s) noexcept {
    const std::size_t n = std::min(s.size(), N - size);
    std::copy_n(s.data(), n, bytes.data() + size);
    size += n;
  }
  friend bool operator<(const key_text& a, const key_text& b) noexcept {
    return std::string_view(a.bytes.data(), a.size) < std::string_view(b.bytes.data(), b.size);
  }
};

/// The key of an endpoint: at most 27 bytes for IPv4, 59 for IPv6 (any 32-bit port).
inline key_text<32> make_key_text(const ipv4_address& a, std::int32_t port) {
  key_text<32> k;
  char buf[16];
  std::size_t n = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i) buf[n++] = '.';
    const unsigned v = a.bytes[i];
    if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) buf[n++] = static_cast<char>('0' + v / 10 % 10);
    buf[n++] = static_cast<char>('0' + v % 10);
  }
  k.append(std::string_view(buf, n));
  k.append(":");
  k.append(std::to_string(port));  // short: kept inline by the small-string optimisation
  return k;
}
inline key_text<64> make_key_text(const ipv6_address& a, std::int32_t port) {
  key_text<64> k;
  std::string text;
  append_endpoint_key(text, a, port);
  k.append(text);
  return k;
}

}  // namespace detail

/// Sort endpoints by their `ip:port` key, byte-wise (`10.0.1.10:80` before `10.0.1.1:80`), as
/// kube-proxy orders them.
template <class F>
void sort_by_key(std::vector<endpoint_info<F>>& endpoints) {
  using key_type = decltype(detail::make_key_text(endpoints.front().address, 0));
  std::vector<std::pair<key_type, std::size_t>> keys;
  keys.reserve(endpoints.size());
  for (std::size_t i = 0; i < endpoints.size(); ++i)
    keys.emplace_back(detail::make_key_text(endpoints[i].address, endpoints[i].port), i);
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<endpoint_info<F>> out;
  out.reserve(endpoints.size());
  for (auto& k : keys) out.push_back(std::move(endpoints[k.second]));
  endpoints = std::move(out);
}

/// Per service port, its endpoints sorted by `ip:port`. Only service ports with at least one
/// endpoint appear.
template <class F>
using endpoints_map = std::map<service_port_name, std::vector<endpoint_info<F>>>;

/// An endpoint whose key stayed but whose attributes (conditions, node, zone, hints) changed.
template <class F>
struct endpoint_update {
  endpoint_info<F> previous;
  endpoint_info<F> current;
  friend bool operator==(const endpoint_update&, const endpoint_update&) = default;
};

/// What changed for one service port between two checkouts. Each list is sorted by `ip:port`.
template <class F>
struct service_port_change {
  service_port_name name;
  std::vector<endpoint_info<F>> added;
  std::vector<endpoint_info<F>> removed;
  std::vector<endpoint_update<F>> changed;
  friend bool operator==(const service_port_change&, const service_port_change&) = default;
};

/// Apply changes (as returned by endpoint_cache::checkout) to a state, in order: for each service
/// port remove `removed`, replace `changed`, insert `added`; keep each list sorted by `ip:port` and
/// drop service ports left without endpoints.
template <class F>
void apply_changes(endpoints_map<F>& state, std::span<const service_port_change<F>> changes) {
  for (const auto& c : changes) {
    std::map<std::string, endpoint_info<F>> by_key;
    if (auto it = state.find(c.name); it != state.end())
      for (auto& e : it->second) by_key.emplace(e.key(), std::move(e));
    for (const auto& e : c.removed) by_key.erase(e.key());
    for (const auto& u : c.changed) by_key.insert_or_assign(u.current.key(), u.current);
    for (const auto& e : c.added) by_key.insert_or_assign(e.key(), e);
    if (by_key.empty()) {
      state.erase(c.name);
      continue;
    }
    auto& list = state[c.name];
    list.clear();
    for (auto& kv : by_key) list.push_back(std::move(kv.second));
  }
}

/// Per Service, the number of distinct IPs among its ready endpoints on `node_name`, over all its
/// service ports (kube-proxy's LocalReadyEndpoints, the count behind health-check node ports):
/// 10.0.0.1:80 and 10.0.0.1:443 count once. Serving-but-terminating endpoints do not count.
/// Services without such endpoints are absent; an empty `node_name` matches no endpoint.
template <class F>
[[nodiscard]] std::map<service_name, std::size_t> local_ready_endpoints(const endpoints_map<F>& state,
                                                                       std::string_view node_name) {
  std::map<service_name, std::vector<typename F::address>> ips;
  for (const auto& [port, list] : state)
    for (const auto& e : list)
      if (e.ready && e.is_local(node_name)) ips[service_name{port.namespace_, port.service}].push_back(e.address);
  std::map<service_name, std::size_t> out;
  for (auto& [svc, v] : ips) {
    std::sort(v.begin(), v.end());
    out.emplace(svc, static_cast<std::size_t>(std::unique(v.begin(), v.end()) - v.begin()));
  }
  return out;
}

namespace detail {

/// The service a slice belongs to (its `kubernetes.io/service-name` label), or nullopt when the
/// slice is not usable by a proxy (no label, an empty label, no name or no namespace).
[[nodiscard]] inline std::optional<std::string_view> proxied_service_of(const object_meta& m) noexcept {
  if (m.namespace_.empty() || m.name.empty()) return std::nullopt;
  const auto it = m.labels.find(well_known::service_name_label);
  if (it == m.labels.end() || it->second.empty()) return std::nullopt;
  return std::string_view(it->second);
}

/// A port kube-proxy uses: a number that is present and not 0. Name defaults to "", protocol to
/// TCP.
struct usable_port {
  std::string_view name;
  std::string_view protocol;
  std::int32_t number = 0;
};
[[nodiscard]] inline std::optional<usable_port> usable(const endpoint_port& p) noexcept {
  if (!p.port || *p.port == 0) return std::nullopt;
  return usable_port{p.name ? std::string_view(*p.name) : std::string_view(),
                     p.protocol ? std::string_view(*p.protocol) : std::string_view("TCP"), *p.port};
}

/// Sorted unique names of a hint list.
template <class Hint>
[[nodiscard]] std::vector<std::string> hint_names(const std::vector<Hint>& hints) {
  std::vector<std::string> out;
  out.reserve(hints.size());
  for (const auto& h : hints) out.push_back(h.name);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// True when candidate `a` beats candidate `b` for one `ip:port` (difference 1 in the header
/// comment): not terminating, then ready, then slice name, then position in the slice.
[[nodiscard]] inline bool beats(bool a_terminating, bool a_ready, std::string_view a_slice, std::size_t a_pos,
                                bool b_terminating, bool b_ready, std::string_view b_slice,
                                std::size_t b_pos) noexcept {
  if (a_terminating != b_terminating) return !a_terminating;
  if (a_ready != b_ready) return a_ready;
  if (a_slice != b_slice) return a_slice < b_slice;
  return a_pos < b_pos;
}

}  // namespace detail

/// Merge a set of slices from scratch, the reference the cache is tested against. Each slice is an
/// event: when several share (namespace, name), the last one counts. Steps:
///  1. Keep the last slice of each (namespace, name) that has the service-name label.
///  2. For each of its ports with a number (not 0), service port = (namespace, service, port name
///     or "", protocol or TCP); for each endpoint with an address, key = `addresses[0]:port`.
///  3. Among copies of one key, keep the winner of the header's duplicate rule.
///  4. Sort every list by key.
template <class F>
[[nodiscard]] endpoints_map<F> merge_slices(std::span<const basic_endpoint_slice<F>> slices) {
  static_assert(std::is_same_v<F, ipv4> || std::is_same_v<F, ipv6>, "kube-proxy merges IPv4 or IPv6 slices");
  std::map<std::pair<std::string_view, std::string_view>, const basic_endpoint_slice<F>*> last;
  for (const auto& s : slices) {
    if (s.metadata.namespace_.empty() || s.metadata.name.empty()) continue;
    last[{s.metadata.namespace_, s.metadata.name}] = &s;
  }
  struct candidate {
    endpoint_info<F> info;
    std::string_view slice;
    std::size_t pos;
  };
  std::map<service_port_name, std::map<std::string, candidate>> merged;
  for (const auto& [id, s] : last) {
    const auto svc = detail::proxied_service_of(s->metadata);
    if (!svc) continue;
    for (const auto& p : s->ports) {
      const auto u = detail::usable(p);
      if (!u) continue;
      auto& set = merged[service_port_name{s->metadata.namespace_, std::string(*svc), std::string(u->name),
                                           std::string(u->protocol)}];
      std::size_t pos = 0;
      for (const auto& e : s->endpoints) {
        if (e.addresses.empty()) continue;
        candidate c{{}, s->metadata.name, pos++};
        c.info.address = e.addresses[0];
        c.info.port = u->number;
        c.info.ready = !e.conditions.ready || *e.conditions.ready;
        c.info.serving = !e.conditions.serving || *e.conditions.serving;
        c.info.terminating = e.conditions.terminating && *e.conditions.terminating;
        if (e.node_name) c.info.node_name = *e.node_name;
        if (e.zone) c.info.zone = *e.zone;
        if (e.hints) {
          c.info.zone_hints = detail::hint_names(e.hints->for_zones);
          c.info.node_hints = detail::hint_names(e.hints->for_nodes);
        }
        auto key = c.info.key();
        auto it = set.find(key);
        if (it == set.end()) {
          set.emplace(std::move(key), std::move(c));
        } else if (detail::beats(c.info.terminating, c.info.ready, c.slice, c.pos, it->second.info.terminating,
                                 it->second.info.ready, it->second.slice, it->second.pos)) {
          it->second = std::move(c);
        }
      }
    }
  }
  endpoints_map<F> out;
  for (auto& [name, set] : merged) {
    if (set.empty()) continue;
    auto& list = out[name];
    for (auto& kv : set) list.push_back(std::move(kv.second.info));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Selection for a node (kube-proxy's CategorizeEndpoints).

/// The traffic policies of a service port, as kube-proxy's ServicePort reports them.
struct traffic_policy {
  bool internal_local = false;         ///< internalTrafficPolicy: Local
  bool external_local = false;         ///< externalTrafficPolicy: Local
  bool externally_accessible = false;  ///< a node port, a load-balancer IP or an external IP

  /// The port needs cluster-wide endpoints: internal policy Cluster, or any external traffic
  /// (even with external policy Local, for short-circuiting in-cluster traffic).
  [[nodiscard]] constexpr bool uses_cluster_endpoints() const noexcept { return !internal_local || externally_accessible; }
  /// The port needs node-local endpoints: internal policy Local, or external policy Local with
  /// external traffic.
  [[nodiscard]] constexpr bool uses_local_endpoints() const noexcept {
    return internal_local || (external_local && externally_accessible);
  }
};

/// Where cluster endpoints are restricted to, as derived from the hints.
enum class topology_mode : std::uint8_t {
  none,              ///< every ready endpoint
  prefer_same_zone,  ///< endpoints hinted for the node's zone
  prefer_same_node,  ///< endpoints hinted for the node
};

/// The topology mode the hints call for (kube-proxy's topologyModeFromHints):
///  1. only ready endpoints count; none ready -> none;
///  2. every ready endpoint has a node hint and one is hinted for `node_name` -> prefer_same_node;
///  3. every ready endpoint has a zone hint and one is hinted for `node_zone` -> prefer_same_zone;
///  4. otherwise none.
template <class F>
[[nodiscard]] topology_mode topology_mode_from_hints(std::span<const endpoint_info<F>> endpoints,
                                                     std::string_view node_name, std::string_view node_zone) {
  bool any_ready = false, all_node_hints = true, for_node = false, all_zone_hints = true, for_zone = false;
  for (const auto& e : endpoints) {
    if (!e.ready) continue;
    any_ready = true;
    if (e.node_hints.empty()) all_node_hints = false;
    else if (e.hinted_for_node(node_name)) for_node = true;
    if (e.zone_hints.empty()) all_zone_hints = false;
    else if (e.hinted_for_zone(node_zone)) for_zone = true;
  }
  if (!any_ready) return topology_mode::none;
  if (all_node_hints && for_node) return topology_mode::prefer_same_node;
  if (all_zone_hints && for_zone) return topology_mode::prefer_same_zone;
  return topology_mode::none;
}

/// The endpoints a node uses for one service port.
template <class F>
struct endpoint_selection {
  /// Ready endpoints allowed by the topology mode, else serving-and-terminating ones; absent when
  /// the port does not use cluster endpoints.
  std::optional<std::vector<endpoint_info<F>>> cluster;
  /// Ready local endpoints, else serving-and-terminating local ones (topology never applies);
  /// absent when the port does not use local endpoints.
  std::optional<std::vector<endpoint_info<F>>> local;
  /// Every endpoint reachable from the node (union of the two), sorted by `ip:port`.
  std::vector<endpoint_info<F>> all;
  /// The service has usable endpoints somewhere in the cluster (may be true while `all` is empty).
  bool has_any = false;
  /// The topology mode applied to `cluster`.
  topology_mode mode = topology_mode::none;
  friend bool operator==(const endpoint_selection&, const endpoint_selection&) = default;
};

/// Categorise the endpoints of one service port for a node, as kube-proxy's CategorizeEndpoints:
///  1. cluster (if used): ready endpoints available for the hint-derived topology mode; if none,
///     serving-and-terminating endpoints regardless of topology; has_any = cluster non-empty;
///  2. local (if used): local ready endpoints if any exist, else local serving-and-terminating
///     ones; has_any also when any endpoint is ready or serving-and-terminating;
///  3. all = cluster when local is unused, local when cluster is unused, cluster when no topology
///     and no terminating fallback applied to local, else the union.
/// `node_zone` is the node's `topology.kubernetes.io/zone` label ("" when absent).
template <class F>
[[nodiscard]] endpoint_selection<F> select_endpoints(std::span<const endpoint_info<F>> endpoints,
                                                     std::string_view node_name, std::string_view node_zone,
                                                     const traffic_policy& policy) {
  endpoint_selection<F> out;
  const bool uses_cluster = policy.uses_cluster_endpoints();
  const bool uses_local = policy.uses_local_endpoints();
  if (uses_cluster) out.cluster.emplace();
  if (uses_local) out.local.emplace();
  if (endpoints.empty()) return out;

  const auto sorted_copy = [](const std::vector<endpoint_info<F>>& v) {
    auto c = v;
    sort_by_key(c);
    return c;
  };
  if (uses_cluster) {
    out.mode = topology_mode_from_hints(endpoints, node_name, node_zone);
    for (const auto& e : endpoints) {
      if (!e.ready) continue;
      const bool available = out.mode == topology_mode::none ||
                             (out.mode == topology_mode::prefer_same_node && e.hinted_for_node(node_name)) ||
                             (out.mode == topology_mode::prefer_same_zone && e.hinted_for_zone(node_zone));
      if (available) out.cluster->push_back(e);
    }
    if (out.cluster->empty())
      for (const auto& e : endpoints)
        if (e.serving && e.terminating) out.cluster->push_back(e);
    out.has_any = !out.cluster->empty();
  }
  if (!uses_local) {
    out.all = sorted_copy(*out.cluster);
    return out;
  }
  bool local_ready = false, local_serving_terminating = false;
  for (const auto& e : endpoints) {
    if (e.ready) {
      out.has_any = true;
      if (e.is_local(node_name)) local_ready = true;
    } else if (e.serving && e.terminating) {
      out.has_any = true;
      if (e.is_local(node_name)) local_serving_terminating = true;
    }
  }
  bool use_serving_terminating = false;
  if (local_ready) {
    for (const auto& e : endpoints)
      if (e.is_local(node_name) && e.ready) out.local->push_back(e);
  } else if (local_serving_terminating) {
    use_serving_terminating = true;
    for (const auto& e : endpoints)
      if (e.is_local(node_name) && e.serving && e.terminating) out.local->push_back(e);
  }
  if (!uses_cluster) {
    out.all = sorted_copy(*out.local);
    return out;
  }
  if (out.mode == topology_mode::none && !use_serving_terminating) {
    out.all = sorted_copy(*out.cluster);  // every ready endpoint: a superset of local
    return out;
  }
  std::vector<std::pair<std::string, const endpoint_info<F>*>> both;
  for (const auto& e : *out.cluster) both.emplace_back(e.key(), &e);
  for (const auto& e : *out.local) both.emplace_back(e.key(), &e);
  std::stable_sort(both.begin(), both.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < both.size(); ++i)
    if (i == 0 || both[i].first != both[i - 1].first) out.all.push_back(*both[i].second);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The endpoint cache.

/// An endpoint cache for one address family (ipv4 or ipv6), fed slice by slice, that yields per
/// service port the merged endpoint list (as `merge_slices` of the last event of every slice) and
/// the changes since the previous checkout.
///
/// Storage: a slice keeps its usable ports and, per endpoint, addresses[0] plus three 32-bit ids
/// (node name, zone, hint set with the three condition bits); names are interned once. Each
/// service port has an open-addressing table from (address, port) to the winning copy. That is
/// 16 + about 16..40 bytes per IPv4 endpoint (28 + 28..70 for IPv6).
///
/// Cost: `update`, `remove` and `checkout` take time proportional to the slice(s) changed and the
/// keys they touch, not to the size of the cache. An update that only changes some endpoints of a
/// slice, keeping the others at their positions, touches only those. A key that several slices
/// carry keeps its copies ordered by the duplicate rule, so each edit of it costs O(log copies):
/// 100,000 slices with the same `ip:port` load in O(n log n), not O(n^2).
///
/// Keys touched since the last checkout are remembered (with their earlier value) until the next
/// `checkout`, so call it regularly. Interned names (namespaces, services, port names, nodes,
/// zones, hint sets) stay for the life of the cache. Not thread-safe; copyable and movable.
template <class F>
class endpoint_cache {
  static_assert(std::is_same_v<F, ipv4> || std::is_same_v<F, ipv6>, "kube-proxy caches IPv4 or IPv6 slices");

 public:
  using family_type = F;
  using address_type = typename F::address;

  /// Apply an add or update event. Returns true when what the cache reads from the slice changed
  /// (difference 4). A slice without a name or namespace is ignored (false); a slice without the
  /// `kubernetes.io/service-name` label removes an earlier version of itself.
  bool update(const basic_endpoint_slice<F>& slice) {
    const auto& m = slice.metadata;
    if (m.namespace_.empty() || m.name.empty()) return false;
    const auto svc = detail::proxied_service_of(m);
    if (!svc) return remove(m.namespace_, m.name);
    set_key(m.namespace_, m.name);
    const std::uint64_t key_hash = detail::hash_text(key_);
    const std::uint32_t found = find_slot(key_hash);
    std::vector<port_ref>& ports = ports_scratch_;
    std::vector<ep_rec>& eps = eps_scratch_;
    ports.clear();
    eps.clear();
    build(slice, *svc, ports, eps, found == detail::flat_index::npos ? nullptr : &slices_[found]);
    std::uint32_t slot;
    if (found != detail::flat_index::npos) {
      slot = found;
      if (slices_[slot].ports == ports && slices_[slot].endpoints == eps) return false;
    } else {
      if (free_slots_.empty()) {
        slot = static_cast<std::uint32_t>(slices_.size());
        slices_.emplace_back();
      } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
      }
      slices_[slot].key = key_;
      slot_index_.insert_new(key_hash, slot);
    }
    replace(slot, ports, eps);
    return true;
  }

  /// Apply an event for a slice of any family: a slice of this family updates; any other slice
  /// (another family, FQDN, raw) removes an earlier version of the same (namespace, name).
  bool update(const any_endpoint_slice& slice) {
    if (const auto* s = std::get_if<basic_endpoint_slice<F>>(&slice)) return update(*s);
    const auto& m = metadata_of(slice);
    return remove(m.namespace_, m.name);
  }

  /// Apply a delete event. Returns false when the slice is not cached (nothing happens).
  bool remove(std::string_view namespace_, std::string_view name) {
    set_key(namespace_, name);
    const std::uint64_t key_hash = detail::hash_text(key_);
    const std::uint32_t slot = find_slot(key_hash);
    if (slot == detail::flat_index::npos) return false;
    slot_index_.erase(key_hash, slot);
    ports_scratch_.clear();
    eps_scratch_.clear();
    replace(slot, ports_scratch_, eps_scratch_);
    slice_rec& rec = slices_[slot];
    rec.key.clear();
    rec.key.shrink_to_fit();
    rec.ports.shrink_to_fit();
    rec.endpoints.shrink_to_fit();
    free_slots_.push_back(slot);
    return true;
  }
  /// Apply a delete event for this slice (its namespace and name).
  bool remove(const basic_endpoint_slice<F>& slice) { return remove(slice.metadata.namespace_, slice.metadata.name); }

  /// Apply a watch event as a stream_decoder yields it: ADDED and MODIFIED of an EndpointSlice
  /// update (see update(const any_endpoint_slice&)), DELETED removes it; BOOKMARK, ERROR and
  /// objects of other kinds change nothing. Returns true when what the cache reads changed. (An
  /// ERROR event means the watch ended: the caller lists and watches again.)
  bool apply(const watch_event& event) {
    const auto* slice = event.object.value.get_if<any_endpoint_slice>();
    if (!slice) return false;
    switch (event.type) {
      case watch_event_type::added:
      case watch_event_type::modified: return update(*slice);
      case watch_event_type::deleted: {
        const auto& m = metadata_of(*slice);
        return remove(m.namespace_, m.name);
      }
      case watch_event_type::bookmark:
      case watch_event_type::error: return false;
    }
    return false;
  }

  /// The service ports that have at least one endpoint, sorted.
  [[nodiscard]] std::vector<service_port_name> service_ports() const {
    std::vector<service_port_name> out;
    for (const auto& sp : sps_)
      if (sp.in_use && sp.live > 0) out.push_back(name_of(sp));
    std::sort(out.begin(), out.end());
    return out;
  }

  /// The merged endpoints of a service port, sorted by `ip:port` (empty when it has none).
  [[nodiscard]] std::vector<endpoint_info<F>> endpoints(const service_port_name& name) const {
    const auto sp = find_sp(name);
    if (!sp) return {};
    return endpoints_of(sps_[*sp]);
  }

  /// Every service port with its endpoints.
  [[nodiscard]] endpoints_map<F> snapshot() const {
    endpoints_map<F> out;
    for (const auto& sp : sps_)
      if (sp.in_use && sp.live > 0) out.emplace(name_of(sp), endpoints_of(sp));
    return out;
  }

  /// The endpoints one node uses for a service port (see select_endpoints).
  [[nodiscard]] endpoint_selection<F> select(const service_port_name& name, std::string_view node_name,
                                             std::string_view node_zone, const traffic_policy& policy) const {
    const auto eps = endpoints(name);
    return select_endpoints<F>(eps, node_name, node_zone, policy);
  }

  /// Per Service, the number of distinct IPs among its ready endpoints on `node_name` (see the
  /// free function local_ready_endpoints), computed from the cache without a snapshot. Time
  /// proportional to the endpoints cached.
  [[nodiscard]] std::map<service_name, std::size_t> local_ready_endpoints(std::string_view node_name) const {
    std::map<service_name, std::size_t> out;
    if (node_name.empty()) return out;
    const std::uint32_t node = strings_.find(node_name);
    if (node == decltype(strings_)::npos) return out;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<address_type>> ips;
    for (const auto& sp : sps_) {
      if (!sp.in_use || sp.live == 0) continue;
      std::vector<address_type>* list = nullptr;
      sp.table.for_each([&](const slot_type& e) {
        if (!e.has_candidate()) return;
        const ep_rec& r = slices_[e.slice].endpoints[e.index()];
        if (!r.ready() || r.node != node) return;
        if (!list) list = &ips[{sp.key.ns, sp.key.svc}];
        list->push_back(r.address);
      });
    }
    for (auto& [key, v] : ips) {
      std::sort(v.begin(), v.end());
      out.emplace(service_name{strings_[key.first], strings_[key.second]},
                  static_cast<std::size_t>(std::unique(v.begin(), v.end()) - v.begin()));
    }
    return out;
  }

  /// The changes since the previous checkout (since construction for the first one), per service
  /// port with at least one change, sorted by service port. Endpoints that changed and changed
  /// back are not reported. Applying every checkout in turn to an empty map with apply_changes
  /// gives snapshot().
  [[nodiscard]] std::vector<service_port_change<F>> checkout() {
    std::vector<service_port_change<F>> out;
    for (const std::uint32_t idx : dirty_) {
      sp_state& sp = sps_[idx];
      service_port_change<F> change;
      for (const log_rec& r : sp.log) {
        slot_type* e = sp.table.find(r.address, r.port);
        const bool now = e->has_candidate();
        if (now) {
          const ep_rec& cur = slices_[e->slice].endpoints[e->index()];
          if (!r.existed) change.added.push_back(info_of(cur, r.port));
          else if (!(cur == r.before)) change.changed.push_back({info_of(r.before, r.port), info_of(cur, r.port)});
          e->bits &= ~slot_type::touched_bit;
        } else {
          if (r.existed) change.removed.push_back(info_of(r.before, r.port));
          sp.table.erase(e);
        }
      }
      sp.log.clear();
      if (sp.log.capacity() > 64) {
        // Release the memory, but keep one buffer (the largest, up to a limit) for the next event.
        if (sp.log.capacity() <= spare_log_limit && sp.log.capacity() > spare_log_.capacity()) spare_log_.swap(sp.log);
        std::vector<log_rec>().swap(sp.log);
      }
      sp.dirty = false;
      if (!change.added.empty() || !change.removed.empty() || !change.changed.empty()) {
        change.name = name_of(sp);
        sort_by_key(change.added);
        sort_by_key(change.removed);
        if (change.changed.size() > 1) {
          using key_type = decltype(detail::make_key_text(address_type{}, 0));
          std::vector<std::pair<key_type, std::size_t>> keys;
          keys.reserve(change.changed.size());
          for (std::size_t i = 0; i < change.changed.size(); ++i)
            keys.emplace_back(detail::make_key_text(change.changed[i].current.address, change.changed[i].current.port), i);
          std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
          std::vector<endpoint_update<F>> sorted;
          sorted.reserve(keys.size());
          for (auto& k : keys) sorted.push_back(std::move(change.changed[k.second]));
          change.changed = std::move(sorted);
        }
        out.push_back(std::move(change));
      }
      maybe_release(idx);
    }
    dirty_.clear();
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  /// Number of slices cached (those with the service-name label).
  [[nodiscard]] std::size_t slice_count() const noexcept { return slot_index_.size(); }
  /// Number of merged endpoints over every service port.
  [[nodiscard]] std::size_t endpoint_count() const noexcept {
    std::size_t n = 0;
    for (const auto& sp : sps_) n += sp.in_use ? sp.live : 0;
    return n;
  }
  /// Bytes the cache holds: vector capacities, table arrays, interned names, and an estimate of
  /// the node-based maps (node size plus 16 bytes of allocator overhead, bucket arrays).
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    constexpr std::size_t node_overhead = 16 + sizeof(void*) + sizeof(std::size_t);
    std::size_t n = sizeof(*this) + slices_.capacity() * sizeof(slice_rec) + sps_.capacity() * sizeof(sp_state);
    for (const auto& s : slices_) {
      n += s.key.capacity() > 15 ? s.key.capacity() + 1 : 0;
      n += s.ports.capacity() * sizeof(port_ref) + s.endpoints.capacity() * sizeof(ep_rec);
    }
    n += slot_index_.memory_bytes();
    n += sp_by_key_.bucket_count() * sizeof(void*) +
         sp_by_key_.size() * (node_overhead + sizeof(std::pair<const sp_key, std::uint32_t>));
    for (const auto& sp : sps_) {
      n += sp.table.memory_bytes() + sp.log.capacity() * sizeof(log_rec);
      n += sp.dups.bucket_count() * sizeof(void*);
      for (const auto& [k, v] : sp.dups) {
        n += node_overhead + sizeof(std::pair<const ep_key, dup_set>);
        // A tree node: three pointers and a colour word, then the element.
        for (const dup_entry& d : v)
          n += node_overhead + 4 * sizeof(void*) + sizeof(dup_entry) + (d.name.capacity() > 15 ? d.name.capacity() + 1 : 0);
      }
    }
    n += dirty_.capacity() * sizeof(std::uint32_t) + free_slots_.capacity() * sizeof(std::uint32_t) +
         free_sps_.capacity() * sizeof(std::uint32_t) +
         hint_scratch_.capacity() * sizeof(std::uint32_t) + key_.capacity() +
         (ports_scratch_.capacity() + prev_ports_.capacity()) * sizeof(port_ref) +
         eps_scratch_.capacity() * sizeof(ep_rec) + ops_.capacity() * sizeof(key_op) +
         spare_log_.capacity() * sizeof(log_rec);
    n += strings_.memory_bytes() + hint_sets_.memory_bytes();
    return n;
  }

 private:
  using slot_type = detail::endpoint_slot<address_type>;
  static constexpr std::uint32_t ready_bit = 0x80000000U;
  static constexpr std::uint32_t serving_bit = 0x40000000U;
  static constexpr std::uint32_t terminating_bit = 0x20000000U;
  static constexpr std::uint32_t hints_mask = 0x1fffffffU;

  // One endpoint of a cached slice: addresses[0] and interned attributes. 16 bytes for IPv4.
  struct ep_rec {
    address_type address{};
    std::uint32_t node = 0;         // interned node name, 0 = ""
    std::uint32_t zone = 0;         // interned zone, 0 = ""
    std::uint32_t hints_flags = 0;  // condition bits | interned hint set (0 = no hints)
    friend bool operator==(const ep_rec& a, const ep_rec& b) noexcept {
      return detail::same_address(a.address, b.address) && a.node == b.node && a.zone == b.zone &&
             a.hints_flags == b.hints_flags;
    }
    [[nodiscard]] bool ready() const noexcept { return (hints_flags & ready_bit) != 0; }
    [[nodiscard]] bool terminating() const noexcept { return (hints_flags & terminating_bit) != 0; }
    // The first two keys of the duplicate rule as one number, lower serves better: 0 not
    // terminating and ready, 1 not terminating and not ready, 2 terminating and ready, 3 neither.
    [[nodiscard]] std::uint32_t rank() const noexcept { return (terminating() ? 2U : 0U) | (ready() ? 0U : 1U); }
  };
  // A usable port of a slice: its service port and number.
  struct port_ref {
    std::uint32_t sp = 0;
    std::int32_t number = 0;
    friend bool operator==(const port_ref&, const port_ref&) = default;
  };
  struct slice_rec {
    std::string key;  // namespace '/' name; empty when the slot is free
    std::vector<port_ref> ports;
    std::vector<ep_rec> endpoints;
  };
  // One copy of a key that several copies share, ordered by the duplicate rule: rank, then the
  // slice's key (every slice of a service port has the same namespace, so this orders by slice
  // name), then position. The key text is held here, not looked up, so that the set keeps its
  // order with no reference to the cache (which may be copied or moved).
  struct dup_entry {
    std::uint32_t rank = 0;
    std::uint32_t slice = 0;
    std::uint32_t index = 0;
    std::string name;
  };
  // A lookup key for a copy (no string copied).
  struct dup_probe {
    std::uint32_t rank = 0;
    std::string_view name;
    std::uint32_t index = 0;
  };
  struct dup_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const noexcept {
      if (a.rank != b.rank) return a.rank < b.rank;
      if (const int c = std::string_view(a.name).compare(std::string_view(b.name)); c != 0) return c < 0;
      return a.index < b.index;
    }
  };
  using dup_set = std::set<dup_entry, dup_less>;
  struct ep_key {
    address_type address{};
    std::int32_t port = 0;
    friend bool operator==(const ep_key&, const ep_key&) = default;
  };
  struct ep_key_hash {
    std::size_t operator()(const ep_key& k) const noexcept {
      return static_cast<std::size_t>(detail::hash_endpoint_key(k.address, k.port));
    }
  };
  // The value of a key when it was first touched after a checkout.
  struct log_rec {
    address_type address{};
    std::int32_t port = 0;
    bool existed = false;
    ep_rec before{};
  };
  struct sp_key {
    std::uint32_t ns = 0, svc = 0, port_name = 0, protocol = 0;
    friend bool operator==(const sp_key&, const sp_key&) = default;
  };
  struct sp_key_hash {
    std::size_t operator()(const sp_key& k) const noexcept {
      return static_cast<std::size_t>(detail::mix64((std::uint64_t{k.ns} << 32 | k.svc) ^
                                                    detail::mix64(std::uint64_t{k.port_name} << 32 | k.protocol)));
    }
  };
  struct sp_state {
    sp_key key;
    detail::endpoint_table<address_type> table;
    std::unordered_map<ep_key, dup_set, ep_key_hash> dups;  // keys with several copies: all of them
    std::vector<log_rec> log;                                        // keys touched since checkout
    std::uint32_t refs = 0;  // usable slice ports pointing here
    std::uint32_t live = 0;  // keys with at least one copy
    bool dirty = false;
    bool in_use = false;
  };
  // One key edit of an update (see replace).
  enum class key_op_kind : std::uint8_t { recheck, remove, add };
  struct key_op {
    std::uint64_t hash = 0;  // hash_endpoint_key(address, port)
    address_type address{};
    std::int32_t port = 0;
    std::uint32_t sp = 0;
    std::uint32_t index = 0;  // position of the endpoint in the slice
    key_op_kind kind = key_op_kind::recheck;
    std::uint8_t rank = 0;      // the copy's rank: added (add, recheck) or removed (remove)
    std::uint8_t old_rank = 0;  // recheck: the rank the copy had before
  };

  void set_key(std::string_view ns, std::string_view name) {
    key_.assign(ns);
    key_ += '/';
    key_ += name;
  }

  // The slot of the slice named key_ (of hash `h`), or flat_index::npos.
  [[nodiscard]] std::uint32_t find_slot(std::uint64_t h) const {
    return slot_index_.find(h, [this](std::uint32_t slot) { return slices_[slot].key == key_; });
  }

  [[nodiscard]] std::optional<std::uint32_t> find_sp(const service_port_name& n) const {
    const sp_key k{strings_.find(n.namespace_), strings_.find(n.service), strings_.find(n.port_name),
                   strings_.find(n.protocol)};
    const auto it = sp_by_key_.find(k);
    if (it == sp_by_key_.end()) return std::nullopt;
    return it->second;
  }
  [[nodiscard]] std::uint32_t find_or_add_sp(const sp_key& k) {
    if (const auto it = sp_by_key_.find(k); it != sp_by_key_.end()) return it->second;
    std::uint32_t idx;
    if (free_sps_.empty()) {
      idx = static_cast<std::uint32_t>(sps_.size());
      sps_.emplace_back();
    } else {
      idx = free_sps_.back();
      free_sps_.pop_back();
    }
    sps_[idx].key = k;
    sps_[idx].in_use = true;
    sp_by_key_.emplace(k, idx);
    return idx;
  }
  void maybe_release(std::uint32_t idx) {
    sp_state& sp = sps_[idx];
    if (!sp.in_use || sp.refs != 0 || sp.dirty || sp.table.size() != 0) return;
    sp_by_key_.erase(sp.key);
    sp = sp_state{};
    free_sps_.push_back(idx);
  }
  [[nodiscard]] service_port_name name_of(const sp_state& sp) const {
    return {strings_[sp.key.ns], strings_[sp.key.svc], strings_[sp.key.port_name], strings_[sp.key.protocol]};
  }

  [[nodiscard]] std::uint32_t intern_hints(const endpoint_hints& h) {
    if (h.for_zones.empty() && h.for_nodes.empty()) return 0;
    hint_scratch_.clear();
    hint_scratch_.push_back(0);
    const auto add = [&](const auto& list) {
      const std::size_t start = hint_scratch_.size();
      for (const auto& x : list) hint_scratch_.push_back(strings_.intern(x.name));
      // Sort by text so the set reads back sorted; drop duplicates.
      std::sort(hint_scratch_.begin() + static_cast<std::ptrdiff_t>(start), hint_scratch_.end(),
                [&](std::uint32_t a, std::uint32_t b) { return strings_[a] < strings_[b]; });
      hint_scratch_.erase(std::unique(hint_scratch_.begin() + static_cast<std::ptrdiff_t>(start), hint_scratch_.end()),
                          hint_scratch_.end());
      return hint_scratch_.size() - start;
    };
    hint_scratch_[0] = static_cast<std::uint32_t>(add(h.for_zones));
    (void)add(h.for_nodes);
    const std::uint32_t id = hint_sets_.intern(hint_scratch_);
    if (id > hints_mask) detail::throw_error("", "endpoint cache: too many distinct hint sets");
    return id;
  }

  // True when the hints are exactly (same names, same order) the interned hint set `id`.
  [[nodiscard, gnu::always_inline]] bool same_hints(const endpoint_hints& h, std::uint32_t id) const noexcept {
    if (id == 0) return h.for_zones.empty() && h.for_nodes.empty();
    const auto& ids = hint_sets_[id];
    const std::size_t nz = ids[0];
    if (h.for_zones.size() != nz || h.for_nodes.size() != ids.size() - 1 - nz) return false;
    for (std::size_t k = 0; k < nz; ++k)
      if (!detail::same_text(strings_[ids[1 + k]], h.for_zones[k].name)) return false;
    for (std::size_t k = 0; k < h.for_nodes.size(); ++k)
      if (!detail::same_text(strings_[ids[1 + nz + k]], h.for_nodes[k].name)) return false;
    return true;
  }

  // The id of an optional name ("" when absent): `a` or `b` when it has the same text, else
  // interned. Inlined: it runs twice per endpoint of every update.
  [[nodiscard, gnu::always_inline]] std::uint32_t text_id(const std::optional<std::string>& v, std::uint32_t a,
                                                          std::uint32_t b) {
    if (!v || v->empty()) return 0;
    if (a != 0 && detail::same_text(strings_[a], *v)) return a;
    if (b != 0 && detail::same_text(strings_[b], *v)) return b;
    return strings_.intern(*v);
  }

  // Translate a slice into its compact record. `prev` is the slice's current record, if any:
  // names equal to those at the same position there are reused without hashing.
  void build(const basic_endpoint_slice<F>& s, std::string_view svc, std::vector<port_ref>& ports,
             std::vector<ep_rec>& eps, const slice_rec* prev) {
    // A port names the service port of the previous record's port at the same place when the
    // four names are the same (the usual case); only otherwise are the names interned.
    constexpr std::uint32_t unset = 0xffffffffU;
    std::uint32_t ns = unset, sv = unset;
    for (const auto& p : s.ports) {
      const auto u = detail::usable(p);
      if (!u) continue;
      std::uint32_t spi = unset;
      if (prev && ports.size() < prev->ports.size()) {
        const std::uint32_t c = prev->ports[ports.size()].sp;
        const sp_key& k = sps_[c].key;
        if (detail::same_text(strings_[k.port_name], u->name) && detail::same_text(strings_[k.protocol], u->protocol) &&
            detail::same_text(strings_[k.svc], svc) && detail::same_text(strings_[k.ns], s.metadata.namespace_))
          spi = c;
      }
      if (spi == unset) {
        if (ns == unset) {
          ns = strings_.intern(s.metadata.namespace_);
          sv = strings_.intern(svc);
        }
        spi = find_or_add_sp(sp_key{ns, sv, strings_.intern(u->name), strings_.intern(u->protocol)});
      }
      const port_ref r{spi, u->number};
      if (std::find(ports.begin(), ports.end(), r) == ports.end()) ports.push_back(r);
    }
    if (ports.empty()) return;  // endpoints without a usable port contribute nothing
    eps.reserve(s.endpoints.size());
    // Most updates change few endpoints, and neighbours share zones and hints: reuse the ids of
    // the endpoint at the same position in the previous record, or of the previous endpoint,
    // when the text is the same, and hash only otherwise.
    const auto hints_id = [&](const endpoint_hints& h, std::uint32_t a, std::uint32_t b) {
      if (a != 0 && same_hints(h, a)) return a;
      if (b != 0 && same_hints(h, b)) return b;
      return intern_hints(h);
    };
    for (const auto& e : s.endpoints) {
      if (e.addresses.empty()) continue;
      if (eps.size() > slot_type::index_mask) detail::throw_error("", "endpoint cache: slice too large");
      const ep_rec none{};
      const ep_rec& same = prev && eps.size() < prev->endpoints.size() ? prev->endpoints[eps.size()] : none;
      const ep_rec& before = eps.empty() ? none : eps.back();
      ep_rec r;
      r.address = e.addresses[0];
      r.node = text_id(e.node_name, same.node, before.node);
      r.zone = text_id(e.zone, same.zone, before.zone);
      if (e.hints) {
        const endpoint_hints& h = *e.hints;
        if (r.zone != 0 && h.for_zones.size() == 1 && h.for_nodes.empty() &&
            detail::same_text(h.for_zones[0].name, *e.zone)) {
          // The commonest hints (the EndpointSlice controller's): the endpoint's own zone only.
          auto& memo = own_zone_hints_[r.zone % own_zone_hints_.size()];
          if (memo.first != r.zone) memo = {r.zone, intern_hints(h)};
          r.hints_flags = memo.second;
        } else {
          r.hints_flags = hints_id(h, same.hints_flags & hints_mask, before.hints_flags & hints_mask);
        }
      }
      if (!e.conditions.ready || *e.conditions.ready) r.hints_flags |= ready_bit;
      if (!e.conditions.serving || *e.conditions.serving) r.hints_flags |= serving_bit;
      if (e.conditions.terminating && *e.conditions.terminating) r.hints_flags |= terminating_bit;
      eps.push_back(r);
    }
  }

  [[nodiscard]] endpoint_info<F> info_of(const ep_rec& r, std::int32_t port) const {
    endpoint_info<F> out;
    out.address = r.address;
    out.port = port;
    out.ready = (r.hints_flags & ready_bit) != 0;
    out.serving = (r.hints_flags & serving_bit) != 0;
    out.terminating = (r.hints_flags & terminating_bit) != 0;
    out.node_name = strings_[r.node];
    out.zone = strings_[r.zone];
    const std::uint32_t h = r.hints_flags & hints_mask;
    if (h != 0) {
      const auto& ids = hint_sets_[h];
      const std::size_t nz = ids[0];
      for (std::size_t k = 1; k < ids.size(); ++k) (k <= nz ? out.zone_hints : out.node_hints).push_back(strings_[ids[k]]);
    }
    return out;
  }
  [[nodiscard]] std::vector<endpoint_info<F>> endpoints_of(const sp_state& sp) const {
    std::vector<endpoint_info<F>> out;
    out.reserve(sp.live);
    sp.table.for_each([&](const slot_type& e) {
      if (e.has_candidate()) out.push_back(info_of(slices_[e.slice].endpoints[e.index()], e.port));
    });
    sort_by_key(out);
    return out;
  }

  // Remember the value of a key before this update (once per checkout); inserts the key. The
  // entry returned stays valid until the next insertion into the same table.
  slot_type& touch(std::uint32_t spi, const address_type& a, std::int32_t port, std::uint64_t hash) {
    sp_state& sp = sps_[spi];
    slot_type& e = sp.table.find_or_insert(a, port, hash);
    if (e.touched()) return e;
    // Written field by field in place: a record assembled on the stack and copied would be read
    // back with wide loads over narrow stores (a store-forwarding stall per key).
    log_rec& r = sp.log.emplace_back();
    r.address = a;
    r.port = port;
    r.existed = e.has_candidate();
    if (r.existed) r.before = slices_[e.slice].endpoints[e.index()];
    e.bits |= slot_type::touched_bit;
    if (!sp.dirty) {
      sp.dirty = true;
      dirty_.push_back(spi);
    }
    return e;
  }
  // The entry's winner becomes the first copy of its (non-empty) set.
  static void take_first(slot_type& e, const dup_set& set) noexcept {
    const dup_entry& w = *set.begin();
    e.set_candidate(w.slice, w.index, w.rank);
  }
  // Add the copy (slot, index, rank) to the entry `e` (just touched) of key (a, port):
  // O(log copies).
  void add_candidate(std::uint32_t spi, slot_type& e, const address_type& a, std::int32_t port, std::uint32_t slot,
                     std::uint32_t index, std::uint32_t rank) {
    sp_state& sp = sps_[spi];
    if (!e.has_candidate()) {
      e.set_candidate(slot, index, rank);
      ++sp.live;
      return;
    }
    dup_set& set = sp.dups[ep_key{a, port}];
    if (!e.dup()) {
      set.insert(dup_entry{e.rank(), e.slice, e.index(), slices_[e.slice].key});
      e.bits |= slot_type::dup_bit;
    }
    set.insert(dup_entry{rank, slot, index, slices_[slot].key});
    take_first(e, set);
  }
  // Remove the copy (slot, index, rank) from the entry `e` (just touched) of key (a, port):
  // O(log copies).
  void remove_candidate(std::uint32_t spi, slot_type& e, const address_type& a, std::int32_t port, std::uint32_t slot,
                        std::uint32_t index, std::uint32_t rank) {
    sp_state& sp = sps_[spi];
    if (!e.dup()) {
      e.slice = slot_type::no_slice;
      --sp.live;
      return;
    }
    const auto it = sp.dups.find(ep_key{a, port});
    dup_set& set = it->second;
    set.erase(set.find(dup_probe{rank, slices_[slot].key, index}));
    take_first(e, set);
    if (set.size() == 1) {
      e.bits &= ~slot_type::dup_bit;
      sp.dups.erase(it);
    }
  }
  // The copy (slot, index) of the entry `e` (just touched) keeps its key but may change rank.
  void rerank_candidate(std::uint32_t spi, slot_type& e, const address_type& a, std::int32_t port, std::uint32_t slot,
                        std::uint32_t index, std::uint32_t old_rank, std::uint32_t rank) {
    if (!e.dup()) {
      e.set_rank(rank);  // the only copy is this one
      return;
    }
    if (old_rank == rank) return;
    dup_set& set = sps_[spi].dups.find(ep_key{a, port})->second;
    auto node = set.extract(set.find(dup_probe{old_rank, slices_[slot].key, index}));
    node.value().rank = rank;
    set.insert(std::move(node));
    take_first(e, set);
  }

  // Replace the content of a slot (old -> new), touching only keys whose copy changes.
  //  A. list the key edits (remove the slot's copy of a key, add one, or re-rank a copy that
  //     changed attributes), with the hash of each key and the ranks of the copies;
  //  B. perform them in order, while the old content is still in place: touch each key (its
  //     first touch logs the value it had before this event) and, with the entry the touch
  //     returned, edit its copies; a key with several copies keeps them ordered by the duplicate
  //     rule, so its winner follows in O(log copies) (no content is read, so the old content
  //     serves);
  //  C. install the new content.
  // During B the table entry of the edit `lookahead` places ahead is prefetched: in a large
  // service port each lookup would otherwise wait for memory in turn.
  void replace(std::uint32_t slot, const std::vector<port_ref>& ports, const std::vector<ep_rec>& eps) {
    slice_rec& rec = slices_[slot];
    const std::vector<port_ref>& old_ports = rec.ports;
    const std::vector<ep_rec>& old_eps = rec.endpoints;
    const bool same_ports = old_ports == ports;
    const std::size_t common = same_ports ? std::min(old_eps.size(), eps.size()) : 0;
    // A. Into ops_, sized once for the most edits this event can list (ops_ keeps its memory).
    const std::size_t most = ports.size() * (2 * common + (eps.size() - common)) +
                             old_ports.size() * (old_eps.size() - common);
    if (ops_.size() < most) ops_.resize(most);
    key_op* const ops = ops_.data();
    std::size_t n = 0;
    const auto add_op = [&](key_op_kind kind, const port_ref& p, const ep_rec& r, std::size_t i,
                            std::uint32_t old_rank = 0) {
      key_op& o = ops[n++];
      o.hash = detail::hash_endpoint_key(r.address, p.number);
      o.address = r.address;
      o.port = p.number;
      o.sp = p.sp;
      o.index = static_cast<std::uint32_t>(i);
      o.kind = kind;
      o.rank = static_cast<std::uint8_t>(r.rank());
      o.old_rank = static_cast<std::uint8_t>(old_rank);
    };
    for (std::size_t i = 0; i < common; ++i) {
      if (old_eps[i] == eps[i]) continue;
      if (detail::same_address(old_eps[i].address, eps[i].address)) {
        // Same key, other attributes: the copy stays and may change rank.
        for (const port_ref& p : ports) add_op(key_op_kind::recheck, p, eps[i], i, old_eps[i].rank());
      } else {
        for (const port_ref& p : ports) {
          add_op(key_op_kind::remove, p, old_eps[i], i);
          add_op(key_op_kind::add, p, eps[i], i);
        }
      }
    }
    for (const port_ref& p : old_ports)
      for (std::size_t i = common; i < old_eps.size(); ++i) add_op(key_op_kind::remove, p, old_eps[i], i);
    for (const port_ref& p : ports)
      for (std::size_t i = common; i < eps.size(); ++i) add_op(key_op_kind::add, p, eps[i], i);
    // At most two log records per endpoint and port: grow each log once, geometrically.
    for (const port_ref& p : ports) {
      auto& log = sps_[p.sp].log;
      const std::size_t need = log.size() + 2 * std::max(old_eps.size(), eps.size());
      if (log.capacity() >= need) continue;
      if (log.empty() && spare_log_.capacity() >= need) log.swap(spare_log_);
      else log.reserve(std::max(need, 2 * log.capacity()));
    }
    // B.
    constexpr std::size_t lookahead = 16;
    for (std::size_t j = 0; j < std::min(n, lookahead); ++j) sps_[ops[j].sp].table.prefetch(ops[j].hash);
    for (std::size_t j = 0; j < n; ++j) {
      if (j + lookahead < n) sps_[ops[j + lookahead].sp].table.prefetch(ops[j + lookahead].hash);
      const key_op& o = ops[j];
      slot_type& e = touch(o.sp, o.address, o.port, o.hash);
      switch (o.kind) {
        case key_op_kind::recheck:
          rerank_candidate(o.sp, e, o.address, o.port, slot, o.index, o.old_rank, o.rank);
          break;
        case key_op_kind::remove:
          remove_candidate(o.sp, e, o.address, o.port, slot, o.index, o.rank);
          break;
        case key_op_kind::add:
          add_candidate(o.sp, e, o.address, o.port, slot, o.index, o.rank);
          break;
      }
    }
    // C. The new content is copied into the slot's own vectors, which keep their memory when
    // the size stays (nearly) the same.
    for (const port_ref& p : ports) ++sps_[p.sp].refs;
    prev_ports_.assign(rec.ports.begin(), rec.ports.end());
    assign_exact(rec.ports, ports);
    assign_exact(rec.endpoints, eps);
    for (const port_ref& p : prev_ports_) {
      --sps_[p.sp].refs;
      maybe_release(p.sp);
    }
  }
  // dst = src, reusing dst's memory when it fits without wasting more than an eighth.
  template <class T>
  static void assign_exact(std::vector<T>& dst, const std::vector<T>& src) {
    const std::size_t n = src.size();
    if (dst.capacity() >= n && dst.capacity() - n <= n / 8) dst.assign(src.begin(), src.end());
    else dst = std::vector<T>(src.begin(), src.end());
  }

  std::vector<slice_rec> slices_;
  std::vector<std::uint32_t> free_slots_;
  detail::flat_index slot_index_;  // slice key -> slot
  std::vector<sp_state> sps_;
  std::vector<std::uint32_t> free_sps_;
  std::unordered_map<sp_key, std::uint32_t, sp_key_hash> sp_by_key_;
  std::vector<std::uint32_t> dirty_;
  detail::interner<detail::text_traits> strings_;
  detail::interner<detail::ids_traits> hint_sets_;
  // Scratch space reused across calls.
  std::string key_;
  std::vector<std::uint32_t> hint_scratch_;
  // By zone id (direct-mapped): the hint set {that zone}, as (zone id, hint set id); 0 = none.
  std::array<std::pair<std::uint32_t, std::uint32_t>, 16> own_zone_hints_{};
  std::vector<port_ref> ports_scratch_, prev_ports_;
  std::vector<ep_rec> eps_scratch_;
  std::vector<key_op> ops_;
  // A log buffer released by checkout, for the next event (at most spare_log_limit records).
  static constexpr std::size_t spare_log_limit = 4096;
  std::vector<log_rec> spare_log_;
};

/// The IPv4 and IPv6 caches.
using endpoint_cache_v4 = endpoint_cache<ipv4>;
using endpoint_cache_v6 = endpoint_cache<ipv6>;

}  // namespace epslice
