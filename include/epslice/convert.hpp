// SPDX-License-Identifier: Apache-2.0
// Conversions: pods + service + nodes -> desired endpoints; legacy Endpoints <-> EndpointSlices.
//
// Three directions, each a pure function:
//  - pods to endpoints, as the EndpointSlice controller derives them (docs/semantics.md#pods-to-endpoints);
//  - legacy Endpoints to EndpointSlices, as the mirroring controller desires them, and the
//    creates, updates and deletes it makes against the slices it mirrored before
//    (docs/semantics.md#mirroring-writes);
//  - EndpointSlices to one legacy Endpoints object, the projection legacy consumers need
//    (docs/semantics.md#beyond-upstream-slices-to-endpoints).
// Where upstream depends on Go map order or on MD5 of Go dumps, epslice uses the orders
// documented at each function.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "address.hpp"
#include "detail/convert_repack.hpp"
#include "detail/flat_index.hpp"
#include "detail/identity.hpp"
#include "detail/merge_table.hpp"
#include "detail/reconcile_keys.hpp"
#include "error.hpp"
#include "reconcile.hpp"
#include "pod.hpp"
#include "types.hpp"
#include "validation.hpp"

namespace epslice {

// ---------------------------------------------------------------------------------------------
// The pod view.

/// A pod is ready when its `Ready` condition exists with status `True`.
[[nodiscard]] inline bool is_pod_ready(const pod& p) noexcept {
  return p.ready_condition && std::string_view(*p.ready_condition) == "True";
}

/// A pod is terminating when it has a deletion timestamp.
[[nodiscard]] inline bool is_pod_terminating(const pod& p) noexcept {
  return p.metadata.deletion_timestamp.has_value();
}

/// Whether a pod belongs in a Service's endpoints (upstream ShouldPodBeInEndpoints,
/// docs/semantics.md#pods-that-count):
/// 1. pods in phase `Failed` or `Succeeded` never do;
/// 2. pods with neither `status.podIP` nor `status.podIPs` do not;
/// 3. terminating pods do only when `include_terminating` (the EndpointSlice controller passes
///    true; the legacy Endpoints controller passes the Service's publishNotReadyAddresses).
[[nodiscard]] inline bool should_pod_be_in_endpoints(const pod& p, bool include_terminating) noexcept {
  const std::string_view phase = p.phase;  // compares the length first, unlike std::string == "..."
  if (phase == "Failed" || phase == "Succeeded") return false;
  if (p.pod_ip.empty() && p.pod_ips.empty()) return false;
  if (!include_terminating && is_pod_terminating(p)) return false;
  return true;
}

/// Whether the endpoint of a pod carries the pod's hostname (docs/semantics.md#hostname-rule): the
/// pod has a hostname, its subdomain is the Service's name, and it is in the Service's namespace.
[[nodiscard]] inline bool should_set_hostname(const pod& p, const service& svc) noexcept {
  return !p.hostname.empty() && p.subdomain == svc.metadata.name &&
         p.metadata.namespace_ == svc.metadata.namespace_;
}

/// Whether a Service selects a pod: the Service has a selector (nil selects nothing), the pod is in
/// the Service's namespace and carries every selector label with its value (an empty selector
/// selects every pod of the namespace).
[[nodiscard]] inline bool selects(const service& svc, const pod& p) {
  if (!svc.selector) return false;
  if (!detail::same_text(p.metadata.namespace_, svc.metadata.namespace_)) return false;
  // Both maps are sorted by key: one walk over the labels, equal keys found without ordering them.
  auto it = p.metadata.labels.begin();
  const auto end = p.metadata.labels.end();
  std::size_t left = svc.selector->size();
  for (const auto& [key, value] : *svc.selector) {
    while (it != end && !detail::same_text(it->first, key) && it->first < key) ++it;
    if (it == end || !detail::same_text(it->first, key) || !detail::same_text(it->second, value)) return false;
    if (--left != 0) ++it;  // (a step through the tree is a call: none after the last key)
  }
  return true;
}

/// Resolve a Service port's target port on a pod (upstream FindPort, docs/semantics.md#endpoint-ports):
/// 1. a numeric targetPort is the answer as it is (no container check, any value);
/// 2. a named targetPort is the first container port (containers in order, then their ports in
///    order) with that name and the Service port's protocol;
/// 3. failing that, the same search over init containers whose restartPolicy is `Always`
///    (sidecars); regular containers win over sidecars.
/// An absent targetPort stands for the Service port's number (the API server defaults it so).
/// Returns nullopt when a named port is not found.
[[nodiscard]] inline std::optional<std::int32_t> find_port(const pod& p, const service_port& sp) {
  if (!sp.target_port) return sp.port;
  if (const auto* number = std::get_if<std::int32_t>(&*sp.target_port)) return *number;
  const std::string& name = std::get<std::string>(*sp.target_port);
  const auto search = [&](const container& c) -> std::optional<std::int32_t> {
    for (const auto& cp : c.ports)
      if (cp.name == name && cp.protocol == sp.protocol) return cp.container_port;
    return std::nullopt;
  };
  for (const auto& c : p.containers)
    if (auto found = search(c)) return found;
  for (const auto& c : p.init_containers) {
    if (!c.restart_policy || *c.restart_policy != "Always") continue;
    if (auto found = search(c)) return found;
  }
  return std::nullopt;
}

/// The endpoint ports of a pod for a Service (upstream getEndpointPorts,
/// docs/semantics.md#endpoint-ports), in Service port order: `{name, resolved port, protocol,
/// appProtocol}` for every Service port whose target port resolves on this pod (a port that does
/// not resolve is left out for this pod only).
/// A Service without ports gives an empty list.
[[nodiscard]] inline std::vector<endpoint_port> endpoint_ports_for_pod(const service& svc, const pod& p) {
  std::vector<endpoint_port> out;
  out.reserve(svc.ports.size());
  for (const auto& sp : svc.ports) {
    auto number = find_port(p, sp);
    if (!number) continue;
    endpoint_port ep;
    ep.name = sp.name;
    ep.port = *number;
    ep.protocol = sp.protocol;
    ep.app_protocol = sp.app_protocol;
    out.push_back(std::move(ep));
  }
  return out;
}

/// The address types a Service's EndpointSlices use (upstream getAddressTypesForService,
/// docs/semantics.md#address-types-of-a-service),
/// IPv4 before IPv6:
/// 1. the families named in `spec.ipFamilies`, if any;
/// 2. else the family of `spec.clusterIP` when it is set and not `None`;
/// 3. else (headless, no families) both.
[[nodiscard]] inline std::vector<address_type> service_address_types(const service& svc) {
  bool v4 = false, v6 = false;
  for (const auto& f : svc.ip_families) {
    if (f == "IPv4") v4 = true;
    if (f == "IPv6") v6 = true;
  }
  if (!v4 && !v6) {
    if (!svc.cluster_ip.empty() && svc.cluster_ip != "None") {
      (detail::is_ipv6_text(svc.cluster_ip) ? v6 : v4) = true;
    } else {
      v4 = v6 = true;
    }
  }
  std::vector<address_type> out;
  if (v4) out.push_back(address_type::ipv4);
  if (v6) out.push_back(address_type::ipv6);
  return out;
}

/// The endpoint of a pod for a Service in family F (ipv4 or ipv6), as upstream podToEndpoint
/// builds it (docs/semantics.md#endpoint-of-a-pod):
/// 1. conditions: serving = pod ready; terminating = pod has a deletion timestamp;
///    ready = publishNotReadyAddresses or (serving and not terminating); all three set;
/// 2. addresses: the entries of `status.podIPs` of family F, in order, canonical text
///    (`status.podIP` is not read; an entry that is no IP is left out);
/// 3. targetRef `{kind: Pod, namespace, name, uid}`; nodeName when set; zone from the node's
///    `topology.kubernetes.io/zone` label when the node is known and the label non-empty;
///    hostname per should_set_hostname. No hints.
/// `n` is the pod's node, or nullptr when it is not known.
template <class F>
[[nodiscard]] basic_endpoint<F> pod_to_endpoint(const pod& p, const node* n, const service& svc) {
  static_assert(std::is_same_v<F, ipv4> || std::is_same_v<F, ipv6>, "pods have IP addresses only");
  basic_endpoint<F> ep;
  ep.addresses.set_empty_not_nil();
  for (const auto& text : p.pod_ips) {
    auto ip = detail::parse_ip_lenient(text);
    if (!ip) continue;
    if (auto* a = std::get_if<typename F::address>(&*ip)) ep.addresses.push_back(*a);
  }
  const bool serving = is_pod_ready(p);
  const bool terminating = is_pod_terminating(p);
  ep.conditions.ready = svc.publish_not_ready_addresses || (serving && !terminating);
  ep.conditions.serving = serving;
  ep.conditions.terminating = terminating;
  object_reference ref;
  ref.kind = "Pod";
  ref.namespace_ = p.metadata.namespace_;
  ref.name = p.metadata.name;
  ref.uid = p.metadata.uid;
  ep.target_ref = std::move(ref);
  if (!p.node_name.empty()) ep.node_name = p.node_name;
  if (n && !n->zone().empty()) ep.zone = std::string(n->zone());
  if (should_set_hostname(p, svc)) ep.hostname = p.hostname;
  return ep;
}

/// pod_to_endpoint with the node as an optional.
template <class F>
[[nodiscard]] basic_endpoint<F> pod_to_endpoint(const pod& p, const std::optional<node>& n, const service& svc) {
  return pod_to_endpoint<F>(p, n ? &*n : nullptr, svc);
}

/// Why a pod gave no endpoint.
enum class pod_skip_reason : std::uint8_t {
  none,              ///< the pod gave an endpoint
  not_in_endpoints,  ///< should_pod_be_in_endpoints(pod, true) is false
  node_missing,      ///< the pod's node is unknown and publishNotReadyAddresses is false
  no_address,        ///< the pod has no IP of the family
};

/// What one pod contributes to a Service's desired endpoints in one family.
template <class F>
struct pod_endpoint_result {
  pod_skip_reason skipped = pod_skip_reason::none;
  basic_endpoint<F> endpoint;  ///< meaningful when skipped == none
  /// The pod's endpoint ports. Set whenever the pod passed should_pod_be_in_endpoints (also when
  /// it is then skipped): upstream creates the port group before it looks at the node.
  std::vector<endpoint_port> ports;
  [[nodiscard]] bool included() const noexcept { return skipped == pod_skip_reason::none; }
};

/// One pod's contribution in family F, as the EndpointSlice controller's per-pod step
/// (docs/semantics.md#desired-endpoints-from-pods):
/// 1. skip unless should_pod_be_in_endpoints(pod, true);
/// 2. ports = endpoint_ports_for_pod;
/// 3. a missing node (`n == nullptr`) skips the pod unless publishNotReadyAddresses, in which
///    case it is kept without a zone;
/// 4. endpoint = pod_to_endpoint; skipped when it has no address of family F.
template <class F>
[[nodiscard]] pod_endpoint_result<F> pod_endpoint(const pod& p, const node* n, const service& svc) {
  pod_endpoint_result<F> out;
  if (!should_pod_be_in_endpoints(p, true)) {
    out.skipped = pod_skip_reason::not_in_endpoints;
    return out;
  }
  out.ports = endpoint_ports_for_pod(svc, p);
  if (!n && !svc.publish_not_ready_addresses) {
    out.skipped = pod_skip_reason::node_missing;
    return out;
  }
  out.endpoint = pod_to_endpoint<F>(p, n, svc);
  if (out.endpoint.addresses.empty()) out.skipped = pod_skip_reason::no_address;
  return out;
}

/// An endpoint and the ports it offers: the list `port_list` of its service_pod_endpoints
/// (`result.ports_of(e)`), which the endpoints of pods that resolve their ports alike share.
template <class F>
struct endpoint_with_ports {
  basic_endpoint<F> endpoint;
  std::uint32_t port_list = 0;  ///< its position in service_pod_endpoints::port_lists
};

/// The desired endpoints of a Service in one family, derived from pods and nodes.
template <class F>
struct service_pod_endpoints {
  /// One entry per pod that gives an endpoint, in pod input order.
  std::vector<endpoint_with_ports<F>> endpoints;
  /// The port lists of the selected pods (endpoint_ports_for_pod, in Service port order): one per
  /// way the pods resolve the Service's target ports (usually one for all), in the order of the
  /// first pod that resolves them so.
  std::vector<std::vector<endpoint_port>> port_lists;
  /// Distinct port lists (order-insensitive, first seen first) of pods that passed
  /// should_pod_be_in_endpoints but gave no endpoint and whose port list no endpoint has: upstream
  /// still makes these port groups desired (with no endpoints).
  std::vector<std::vector<endpoint_port>> empty_port_groups;
  /// `namespace/name` of each selected pod left out because its node is missing (upstream
  /// records an error for the sync and retries it).
  std::vector<std::string> missing_node_pods;

  /// The ports of one of `endpoints`.
  [[nodiscard]] const std::vector<endpoint_port>& ports_of(const endpoint_with_ports<F>& e) const {
    return port_lists.at(e.port_list);
  }
};

namespace detail {

/// Node name -> node, for many lookups: one hash per lookup, no allocation. When several nodes
/// share a name the first one counts.
class node_index {
 public:
  explicit node_index(std::span<const node> nodes) : nodes_(nodes), index_(nodes.size()) {
    zones_.reserve(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      zones_.push_back(nodes[i].zone());
      const std::string_view name = nodes[i].metadata.name;
      (void)index_.insert(hash_bytes(name, seed), static_cast<std::uint32_t>(i),
                          [&](std::uint32_t v) { return same_text(nodes_[v].metadata.name, name); });
    }
  }
  /// The position of the first node of that name, or flat_index::npos.
  [[nodiscard]] std::uint32_t find(std::string_view name) const {
    return index_.find(hash_bytes(name, seed), [&](std::uint32_t v) { return same_text(nodes_[v].metadata.name, name); });
  }
  [[nodiscard]] const node& operator[](std::uint32_t i) const noexcept { return nodes_[i]; }
  /// The zone label of the node at a position ("" when it has none).
  [[nodiscard]] std::string_view zone(std::uint32_t i) const noexcept { return zones_[i]; }

 private:
  static constexpr std::uint64_t seed = 0x6E6F64655F696478ULL;
  std::span<const node> nodes_;
  std::vector<std::string_view> zones_;
  flat_index index_;
};

/// The ports of a Service resolved on pods: the port numbers each pod offers, as a group number
/// shared by the pods that resolve every Service port alike (usually all of them), and the
/// endpoint ports of each group.
class pod_port_groups {
 public:
  explicit pod_port_groups(const service& svc) : svc_(svc) {
    const pod nobody;
    for (const auto& sp : svc.ports) {
      // An absent or numeric target port is the same on every pod.
      const bool fixed = !sp.target_port || std::holds_alternative<std::int32_t>(*sp.target_port);
      fixed_.push_back(fixed ? find_port(nobody, sp) : std::nullopt);
      any_named_ = any_named_ || !fixed;
    }
  }
  /// The group of a pod's resolved ports (see find_port); adds it when new.
  [[nodiscard]] std::uint32_t group_of(const pod& p) {
    if (!any_named_ && !keys_.empty()) return 0;  // nothing depends on the pod
    key_.clear();
    for (std::size_t i = 0; i < svc_.ports.size(); ++i) {
      const auto n = fixed_[i] ? fixed_[i] : find_port(p, svc_.ports[i]);
      key_.push_back(n ? static_cast<std::int64_t>(*n) : unresolved);
    }
    if (!keys_.empty() && keys_[last_] == key_) return last_;
    std::uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (const std::int64_t v : key_) h = mix64(h ^ static_cast<std::uint64_t>(v)) + 0x632BE59BD9B4E019ULL;
    const auto id = static_cast<std::uint32_t>(keys_.size());
    last_ = index_.insert(h, id, [&](std::uint32_t v) { return keys_[v] == key_; });
    if (last_ == id) keys_.push_back(key_);
    return last_;
  }
  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
  /// The endpoint ports of a group, in Service port order (endpoint_ports_for_pod).
  [[nodiscard]] std::vector<endpoint_port> ports(std::uint32_t group) const {
    std::vector<endpoint_port> out;
    const auto& key = keys_[group];
    for (std::size_t i = 0; i < key.size(); ++i) {
      if (key[i] == unresolved) continue;
      const service_port& sp = svc_.ports[i];
      endpoint_port ep;
      ep.name = sp.name;
      ep.port = static_cast<std::int32_t>(key[i]);
      ep.protocol = sp.protocol;
      ep.app_protocol = sp.app_protocol;
      out.push_back(std::move(ep));
    }
    return out;
  }

 private:
  static constexpr std::int64_t unresolved = std::int64_t{1} << 40;
  const service& svc_;
  std::vector<std::optional<std::int32_t>> fixed_;  // the number, when it does not depend on the pod
  bool any_named_ = false;
  std::vector<std::vector<std::int64_t>> keys_;
  std::vector<std::int64_t> key_;
  std::uint32_t last_ = 0;
  flat_index index_;
};

/// The endpoint of a pod in family F, as pod_to_endpoint builds it; with `Move` the pod's strings
/// are moved into it (the pod is left valid but unspecified). `zone` is the node's zone label
/// ("" when the node is unknown or has none). Returns false, leaving `ep` unspecified, when the
/// pod has no address of the family.
template <class F, bool Move, class Pod>
bool build_pod_endpoint(Pod& p, std::string_view zone, const service& svc, basic_endpoint<F>& ep) {
  ep.addresses.set_empty_not_nil();
  for (const auto& text : p.pod_ips) {
    const auto ip = parse_ip_lenient(text);
    if (!ip) continue;
    if (const auto* a = std::get_if<typename F::address>(&*ip)) ep.addresses.push_back(*a);
  }
  if (ep.addresses.empty()) return false;
  const bool serving = is_pod_ready(p);
  const bool terminating = is_pod_terminating(p);
  ep.conditions.ready = svc.publish_not_ready_addresses || (serving && !terminating);
  ep.conditions.serving = serving;
  ep.conditions.terminating = terminating;
  const bool hostname = should_set_hostname(p, svc);
  object_reference& ref = detail::heap_access::fresh(ep.target_ref);
  ref.kind.assign("Pod", 3);
  if constexpr (Move) {
    ref.namespace_ = std::move(p.metadata.namespace_);
    ref.name = std::move(p.metadata.name);
    ref.uid = std::move(p.metadata.uid);
    if (!p.node_name.empty()) ep.node_name.emplace(std::move(p.node_name));
    if (hostname) ep.hostname = std::move(p.hostname);
  } else {
    ref.namespace_ = p.metadata.namespace_;
    ref.name = p.metadata.name;
    ref.uid = p.metadata.uid;
    if (!p.node_name.empty()) ep.node_name.emplace(p.node_name);
    if (hostname) ep.hostname = p.hostname;
  }
  if (!zone.empty()) ep.zone.emplace(zone);
  return true;
}

}  // namespace detail

/// The desired endpoints of family F for a Service (docs/semantics.md#services-that-get-slices,
/// docs/semantics.md#desired-endpoints-from-pods): nothing for an ExternalName
/// Service or one without a selector; otherwise pod_endpoint for every pod the Service selects,
/// its node looked up by `spec.nodeName` among `nodes`. Duplicate identities are not merged here.
/// Endpoints whose pods resolve the ports alike share one entry of `port_lists`.
template <class F>
[[nodiscard]] service_pod_endpoints<F> endpoints_from_pods(const service& svc, std::span<const pod> pods,
                                                           std::span<const node> nodes) {
  service_pod_endpoints<F> out;
  if (svc.type == "ExternalName" || !svc.selector) return out;
  const detail::node_index by_name(nodes);
  detail::pod_port_groups raw(svc);
  std::vector<std::vector<endpoint_port>>& raw_ports = out.port_lists;  // per group of resolved ports
  std::vector<bool> raw_used;                                           // a pod of the group gave an endpoint
  out.endpoints.reserve(pods.size());
  for (const pod& p : pods) {
    if (!selects(svc, p) || !should_pod_be_in_endpoints(p, true)) continue;
    const std::uint32_t g = raw.group_of(p);
    if (g == raw_ports.size()) {
      raw_ports.push_back(raw.ports(g));
      raw_used.push_back(false);
    }
    const std::uint32_t n = by_name.find(p.node_name);
    if (n == detail::flat_index::npos && !svc.publish_not_ready_addresses) {
      out.missing_node_pods.push_back(p.metadata.namespace_ + "/" + p.metadata.name);
      continue;
    }
    endpoint_with_ports<F>& e = out.endpoints.emplace_back();
    if (!detail::build_pod_endpoint<F, false>(p, n == detail::flat_index::npos ? std::string_view() : by_name.zone(n),
                                              svc, e.endpoint)) {
      out.endpoints.pop_back();
      continue;
    }
    e.port_list = g;
    raw_used[g] = true;
  }
  // Port lists no endpoint has (as port sets), each once, in the order their first pod came.
  std::vector<std::uint32_t> set_first;  // per port set: its first group
  std::vector<bool> set_used;
  detail::flat_index by_set;
  for (std::uint32_t g = 0; g < raw_ports.size(); ++g) {
    const auto id = static_cast<std::uint32_t>(set_first.size());
    const std::uint32_t set = by_set.insert(detail::port_set_hash(raw_ports[g]), id, [&](std::uint32_t v) {
      return detail::same_port_set(raw_ports[g], raw_ports[set_first[v]]);
    });
    if (set == id) {
      set_first.push_back(g);
      set_used.push_back(false);
    }
    set_used[set] = set_used[set] || raw_used[g];
  }
  for (std::size_t k = 0; k < set_first.size(); ++k)
    if (!set_used[k]) out.empty_port_groups.push_back(raw_ports[set_first[k]]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pods to a desired state (what the EndpointSlice controller hands its reconciler).

/// The Service a desired state from this Service belongs to: namespace, name, uid, labels and
/// headlessness (clusterIP empty or `None`).
[[nodiscard]] inline service_identity service_identity_of(const service& svc) {
  return {svc.metadata.namespace_, svc.metadata.name, svc.metadata.uid, svc.metadata.labels, svc.is_headless()};
}

/// Why a slice disagrees on the Service a set of slices names (see service_identity_of_slices).
enum class identity_conflict : std::uint8_t {
  no_service_label,  ///< no `kubernetes.io/service-name` label, or an empty one
  other_service,     ///< names another Service (namespace and label) than the first slice did
  other_uid,         ///< an owner reference to the Service with another uid than an earlier one
};

/// One slice that disagrees, with the slice it disagrees with.
struct slice_identity_conflict {
  std::size_t slice = 0;    ///< its position
  identity_conflict what = identity_conflict::no_service_label;
  std::size_t earlier = 0;  ///< other_service: the first slice; other_uid: the slice that gave the uid
  std::string named;        ///< other_service: the Service it names (`ns/name`); other_uid: its uid
  std::string expected;     ///< the same of the earlier slice
};

/// The Service identity a set of slices names, and the slices that disagree.
struct slices_service_identity {
  /// Set when some slice names a Service and none disagrees.
  std::optional<service_identity> identity;
  std::vector<slice_identity_conflict> conflicts;  ///< in slice order
};

/// The Service identity that desired slices name, for a reconcile without the Service object:
/// the namespace and `kubernetes.io/service-name` label of the slices (all must agree), the uid
/// of an owner reference of kind Service, apiVersion v1 and that name with a non-empty uid (all
/// such must agree), the first naming slice's labels without the reserved keys, and headless
/// when that slice carries the headless label. `metadata(x)` gives the object_meta of an element.
template <class T, class Metadata>
[[nodiscard]] slices_service_identity service_identity_of_slices(const std::vector<T>& slices, Metadata metadata) {
  slices_service_identity out;
  service_identity id;
  std::optional<std::size_t> first, uid_from;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const object_meta& m = metadata(slices[i]);
    const auto svc = service_of(m);
    if (!svc) {
      out.conflicts.push_back({i, identity_conflict::no_service_label, 0, {}, {}});
      continue;
    }
    if (!first) {
      first = i;
      id.namespace_ = m.namespace_;
      id.name = svc->name;
      for (const auto& [k, v] : m.labels)
        if (!is_reserved_label_key(k)) id.labels.emplace(k, v);
      id.headless = m.labels.count(well_known::headless_label) != 0;
    } else if (m.namespace_ != id.namespace_ || svc->name != id.name) {
      out.conflicts.push_back(
          {i, identity_conflict::other_service, *first, m.namespace_ + "/" + svc->name, id.namespace_ + "/" + id.name});
      continue;
    }
    for (const auto& o : m.owner_references) {
      if (o.kind != "Service" || o.api_version != "v1" || o.name != id.name || o.uid.empty()) continue;
      if (!uid_from) {
        uid_from = i;
        id.uid = o.uid;
      } else if (o.uid != id.uid) {
        out.conflicts.push_back({i, identity_conflict::other_uid, *uid_from, o.uid, id.uid});
      }
    }
  }
  if (first && out.conflicts.empty()) out.identity = std::move(id);
  return out;
}
/// service_identity_of_slices over slices of any family.
[[nodiscard]] inline slices_service_identity service_identity_of_slices(const std::vector<any_endpoint_slice>& slices) {
  return service_identity_of_slices(slices, [](const any_endpoint_slice& s) -> const object_meta& { return metadata_of(s); });
}

namespace detail {

/// desired_state_from_pods<F> (see there); `Move` moves the pods' strings into the endpoints. `missing` (when not null) receives `namespace/name` of
/// every selected pod whose node is unknown.
template <class F, bool Move, class Pod>
desired_state<F> state_from_pods(const service& svc, std::span<Pod> pods, std::span<const node> nodes,
                                 std::vector<std::string>* missing) {
  desired_state<F> out;
  out.service = service_identity_of(svc);
  if (svc.type == "ExternalName" || !svc.selector) return out;
  const node_index by_name(nodes);
  pod_port_groups raw(svc);
  constexpr std::uint32_t none = 0xffffffffU;
  std::vector<basic_endpoint<F>> eps;
  std::vector<std::uint32_t> eps_group;  // raw group of each endpoint
  eps.reserve(pods.size());
  eps_group.reserve(pods.size());
  for (Pod& p : pods) {
    if (!selects(svc, p) || !should_pod_be_in_endpoints(p, true)) continue;
    const std::uint32_t g = raw.group_of(p);
    const std::uint32_t n = by_name.find(p.node_name);
    if (n == flat_index::npos) {
      if (missing) missing->push_back(p.metadata.namespace_ + "/" + p.metadata.name);
      if (!svc.publish_not_ready_addresses) continue;
    }
    basic_endpoint<F>& ep = eps.emplace_back();
    if (!build_pod_endpoint<F, Move>(p, n == flat_index::npos ? std::string_view() : by_name.zone(n), svc, ep)) {
      eps.pop_back();
      continue;
    }
    eps_group.push_back(g);
  }
  // Raw groups with equal port sets are one group (port_set_hash): first the groups in the order
  // of their first endpoint, then those without endpoints, in the order their first pod came.
  std::vector<std::uint32_t> final_of(raw.size(), none);
  std::vector<std::vector<endpoint_port>> group_ports;
  flat_index by_set;
  const auto assign = [&](std::uint32_t g) {
    if (final_of[g] != none) return;
    auto ports = raw.ports(g);
    const auto id = static_cast<std::uint32_t>(group_ports.size());
    final_of[g] = by_set.insert(port_set_hash(ports), id, [&](std::uint32_t v) { return same_port_set(group_ports[v], ports); });
    if (final_of[g] == id) group_ports.push_back(std::move(ports));
  };
  for (const std::uint32_t g : eps_group) assign(g);
  const std::size_t with_endpoints = group_ports.size();
  for (std::uint32_t g = 0; g < raw.size(); ++g) assign(g);
  out.groups.resize(group_ports.size());
  for (std::size_t k = 0; k < group_ports.size(); ++k) {
    out.groups[k].ports.assign(std::make_move_iterator(group_ports[k].begin()), std::make_move_iterator(group_ports[k].end()));
    out.groups[k].ports.set_empty_not_nil();
  }
  if (with_endpoints == 1) {
    out.groups[0].endpoints = std::move(eps);  // the usual case: every pod offers the same ports
  } else {
    for (std::size_t i = 0; i < eps.size(); ++i) out.groups[final_of[eps_group[i]]].endpoints.push_back(std::move(eps[i]));
  }
  return out;
}

}  // namespace detail

/// The desired state of family F (ipv4 or ipv6) of a Service, derived from its pods and nodes as
/// the EndpointSlice controller derives it (docs/semantics.md "Desired endpoints from pods"), ready for reconcile():
/// 1. identity: service_identity_of(svc); an ExternalName Service or one without a selector gets
///    no group (the controller does not manage its slices; see pod_desired_state::managed);
/// 2. for every pod the Service selects (`selects`) that should be in endpoints
///    (`should_pod_be_in_endpoints(pod, true)`), in input order: its endpoint ports
///    (`endpoint_ports_for_pod`) name its group; its node is looked up by `spec.nodeName` among
///    `nodes` (the first of a name); without a node the pod is left out unless
///    publishNotReadyAddresses, which keeps it without a zone; its endpoint is
///    `pod_to_endpoint`'s, left out when it has no address of the family;
/// 3. groups are port sets (order-insensitive, as the reconciler keys them) with their ports in
///    Service port order: first the groups with endpoints, in the order of their first endpoint,
///    each with its endpoints in pod order; then the groups of pods that gave no endpoint, in
///    the order of their first pod, empty (upstream still creates these port groups).
/// Equal to building the groups from endpoints_from_pods, in O(pods + nodes) time.
template <class F>
[[nodiscard]] desired_state<F> desired_state_from_pods(const service& svc, std::span<const pod> pods,
                                                       std::span<const node> nodes) {
  static_assert(std::is_same_v<F, ipv4> || std::is_same_v<F, ipv6>, "pods have IP addresses only");
  return detail::state_from_pods<F, false>(svc, pods, nodes, nullptr);
}

/// desired_state_from_pods for pods handed over: their strings (names, uids, node names,
/// hostnames) move into the endpoints instead of being copied; `pods` is left valid but
/// unspecified.
template <class F>
[[nodiscard]] desired_state<F> desired_state_from_pods(const service& svc, std::vector<pod>&& pods,
                                                       std::span<const node> nodes) {
  static_assert(std::is_same_v<F, ipv4> || std::is_same_v<F, ipv6>, "pods have IP addresses only");
  return detail::state_from_pods<F, true>(svc, std::span<pod>(pods), nodes, nullptr);
}

/// A Service's desired state over its address families, derived from pods.
struct pod_desired_state {
  /// False for an ExternalName Service or one without a selector: the EndpointSlice controller
  /// leaves its slices alone, so `desired` must not be reconciled (it would delete them).
  bool managed = false;
  /// One state per address type the Service uses (service_address_types), empty otherwise.
  dual_stack_desired desired;
  /// `namespace/name` of each selected pod (that should be in endpoints) whose node is not among
  /// the nodes given, in pod order: left out, or kept without a zone when the Service publishes
  /// not-ready addresses. Upstream records an error for such a sync and retries it.
  std::vector<std::string> missing_node_pods;
};

namespace detail {
template <bool Move, class Pod>
pod_desired_state pods_desired(const service& svc, std::span<Pod> pods, std::span<const node> nodes) {
  pod_desired_state out;
  out.managed = svc.type != "ExternalName" && svc.selector.has_value();
  if (!out.managed) return out;
  const auto types = service_address_types(svc);
  const bool v4 = std::find(types.begin(), types.end(), address_type::ipv4) != types.end();
  const bool v6 = std::find(types.begin(), types.end(), address_type::ipv6) != types.end();
  // Strings move in the last family read only; pods with a missing node are listed once.
  if (v4 && v6) {
    out.desired.ipv4_state = state_from_pods<ipv4, false>(svc, pods, nodes, &out.missing_node_pods);
    out.desired.ipv6_state = state_from_pods<ipv6, Move>(svc, pods, nodes, nullptr);
  } else if (v4) {
    out.desired.ipv4_state = state_from_pods<ipv4, Move>(svc, pods, nodes, &out.missing_node_pods);
  } else if (v6) {
    out.desired.ipv6_state = state_from_pods<ipv6, Move>(svc, pods, nodes, &out.missing_node_pods);
  }
  return out;
}
}  // namespace detail

/// The desired state of a Service over every address type it uses (service_address_types: IPv4
/// and/or IPv6), derived from its pods and nodes (see desired_state_from_pods<F>), with the pods
/// whose node is missing; ready for reconcile(const dual_stack_desired&, ...) when `managed`.
[[nodiscard]] inline pod_desired_state desired_state_from_pods(const service& svc, std::span<const pod> pods,
                                                             std::span<const node> nodes) {
  return detail::pods_desired<false>(svc, pods, nodes);
}

/// desired_state_from_pods for pods handed over: their strings move into the endpoints of the
/// last family derived; `pods` is left valid but unspecified.
[[nodiscard]] inline pod_desired_state desired_state_from_pods(const service& svc, std::vector<pod>&& pods,
                                                             std::span<const node> nodes) {
  return detail::pods_desired<true>(svc, std::span<pod>(pods), nodes);
}

// ---------------------------------------------------------------------------------------------
// Legacy Endpoints: repacking and truncation.

/// The most addresses (ready plus not-ready) one legacy Endpoints object holds.
inline constexpr std::size_t max_endpoints_capacity = 1000;

/// The value of the over-capacity annotation on a truncated Endpoints object.
inline constexpr std::string_view over_capacity_truncated = "truncated";

/// Repack legacy subsets into their canonical layout (upstream RepackSubsets,
/// docs/semantics.md#subset-repacking):
/// 1. every (address, port) pair is expanded; addresses are identified by (IP, targetRef UID)
///    and the first copy seen is kept;
/// 2. for each port, an address that is not ready in any subset is not ready (not-ready wins);
/// 3. ports offered by the same addresses with the same readiness form one subset;
/// 4. subsets with addresses but no ports are kept (port-less subsets of headless Services);
///    subsets without addresses vanish;
/// 5. order (epslice's, deterministic; upstream orders ports and subsets by MD5 of a Go dump):
///    addresses by IP text byte-wise, then no targetRef before one, then targetRef UID; ports by
///    (port, protocol, name, appProtocol); subsets by their port lists, then their addresses.
/// Ports are compared by value (name, port, protocol, appProtocol).
[[nodiscard]] inline std::vector<endpoint_subset> repack_subsets(std::span<const endpoint_subset> subsets) {
  return detail::repack(subsets);
}

/// Truncate an Endpoints object to max_endpoints_capacity addresses (upstream truncateEndpoints,
/// docs/semantics.md#truncation-at-1000). Returns false, changing nothing, when it holds at most that
/// many. Otherwise:
/// 1. with more ready addresses than the capacity, every not-ready address is dropped and the
///    ready ones are truncated to the capacity; else only not-ready ones are truncated, to the
///    room the ready ones leave;
/// 2. subsets in their order each keep the first ceil(count / total * room) addresses (computed
///    in doubles), capped by what is still left;
/// 3. subsets left without any address are removed (shares are rounded up, so the last subsets
///    may keep nothing; the API server refuses an empty subset, which upstream would write);
/// 4. returns true.
/// It does not touch annotations (see slices_to_endpoints).
inline bool truncate_endpoints(endpoints& ep) {
  std::size_t ready = 0, not_ready = 0;
  for (const auto& s : ep.subsets) {
    ready += s.addresses.size();
    not_ready += s.not_ready_addresses.size();
  }
  if (ready + not_ready <= max_endpoints_capacity) return false;
  const bool truncate_ready = ready > max_endpoints_capacity;
  const std::size_t room = truncate_ready ? max_endpoints_capacity : max_endpoints_capacity - ready;
  const std::size_t total = truncate_ready ? ready : not_ready;
  std::size_t left = room;
  for (auto& s : ep.subsets) {
    auto& list = truncate_ready ? s.addresses : s.not_ready_addresses;
    const double share = std::ceil(static_cast<double>(list.size()) / static_cast<double>(total) *
                                   static_cast<double>(room));
    std::size_t keep = static_cast<std::size_t>(share);
    keep = std::min(keep, left);
    if (list.size() > keep) list.resize(keep);
    left -= list.size();
    if (truncate_ready) s.not_ready_addresses.clear();
  }
  std::erase_if(ep.subsets, [](const endpoint_subset& s) { return s.addresses.empty() && s.not_ready_addresses.empty(); });
  return true;
}

// ---------------------------------------------------------------------------------------------
// EndpointSlices -> legacy Endpoints.

/// Options of slices_to_endpoints.
struct to_endpoints_options {
  /// The address family of the Endpoints object; nullopt: IPv4 when there is any IPv4 slice,
  /// else IPv6.
  std::optional<address_type> family;
};

/// The legacy Endpoints object projected from a Service's slices.
struct endpoints_projection {
  endpoints object;
  address_type family = address_type::ipv4;
  bool truncated = false;               ///< over capacity; the annotation is set
  std::size_t terminating_left_out = 0; ///< terminating, not-ready endpoints left out
  /// What the projection left out so that the object validates, one line each, in the order
  /// found: slice ports without a number ("all ports") or outside 1..65535, unnamed ports of
  /// subsets of several ports, and slices or subsets left without any port.
  std::vector<std::string> warnings;
};

namespace detail {

/// `<name>:<port>/<protocol>`, or `<port>/<protocol>` for a port without a name.
inline std::string port_text(std::string_view name, std::int64_t number, std::string_view protocol) {
  std::string out;
  if (!name.empty()) {
    out += name;
    out += ':';
  }
  out += std::to_string(number);
  out += '/';
  out += protocol;
  return out;
}

template <class F>
void add_slice_subsets(const basic_endpoint_slice<F>& slice, const service* svc,
                       std::vector<endpoint_subset>& subsets, std::size_t& terminating,
                       std::vector<std::string>& warnings) {
  endpoint_subset s;
  const auto warn = [&](std::size_t i, std::string what) {
    warnings.push_back("EndpointSlice " + slice.metadata.display_name() + ": ports[" + std::to_string(i) + "] " +
                       std::move(what) + ": left out");
  };
  for (std::size_t i = 0; i < slice.ports.size(); ++i) {
    const endpoint_port& p = slice.ports[i];
    if (!p.port) {
      warn(i, "has no port number (all ports), which Endpoints cannot express");
      continue;
    }
    if (!is_valid_port_number(*p.port)) {
      warn(i, "(" + port_text(p.name.value_or(""), *p.port, p.protocol.value_or("TCP")) +
                  ") is outside 1..65535, which Endpoints require");
      continue;
    }
    endpoints_port lp;
    lp.name = p.name.value_or("");
    lp.port = *p.port;
    lp.protocol = p.protocol.value_or("TCP");
    lp.app_protocol = p.app_protocol;
    s.ports.push_back(std::move(lp));
  }
  if (s.ports.empty() && !slice.ports.empty()) {
    // Port-less subsets mean "no ports" (headless Services); these endpoints have ports that
    // Endpoints cannot hold.
    std::size_t n = 0;
    for (const auto& e : slice.endpoints)
      if (!e.addresses.empty()) ++n;
    if (n > 0)
      warnings.push_back("EndpointSlice " + slice.metadata.display_name() + ": no port left: its " +
                         std::to_string(n) + (n == 1 ? " endpoint is" : " endpoints are") + " left out");
    return;
  }
  if (svc && s.ports.empty()) {
    // The legacy controller writes port-less subsets only for a headless Service without ports.
    if (!svc->ports.empty() || svc->cluster_ip != "None") return;
  }
  for (const auto& e : slice.endpoints) {
    if (e.addresses.empty()) continue;
    const bool ready = e.conditions.ready.value_or(true);
    // Terminating and ready happens only with publishNotReadyAddresses, where the legacy
    // controller keeps the pod; otherwise it leaves terminating pods out.
    if (e.conditions.terminating.value_or(false) && !ready) {
      ++terminating;
      continue;
    }
    endpoint_address a;
    F::format(a.ip, e.addresses.front());
    a.hostname = e.hostname.value_or("");
    a.node_name = e.node_name;
    a.target_ref = std::optional<object_reference>(e.target_ref);
    (ready ? s.addresses : s.not_ready_addresses).push_back(std::move(a));
  }
  subsets.push_back(std::move(s));
}

/// Leave out the unnamed ports of every subset of several ports (the API server requires a name
/// on each), and subsets left without a port, with a warning each; subsets keep epslice's order.
inline void drop_unnamed_ports(std::vector<endpoint_subset>& subsets, std::vector<std::string>& warnings) {
  const auto unnamed = [](const endpoints_port& p) { return p.name.empty(); };
  std::vector<endpoint_subset> kept;
  kept.reserve(subsets.size());
  bool changed = false;
  for (auto& s : subsets) {
    if (s.ports.size() < 2 || std::none_of(s.ports.begin(), s.ports.end(), unnamed)) {
      kept.push_back(std::move(s));
      continue;
    }
    changed = true;
    const std::string ports = std::to_string(s.ports.size());
    const std::string addresses = std::to_string(s.addresses.size() + s.not_ready_addresses.size());
    for (const auto& p : s.ports)
      if (unnamed(p))
        warnings.push_back("port " + port_text(p.name, p.port, p.protocol) + " has no name, which a subset of " +
                           ports + " ports requires: left out of the subset of " + addresses + " addresses");
    std::erase_if(s.ports, unnamed);
    if (s.ports.empty())
      warnings.push_back("a subset of " + addresses + " addresses has no named port left: left out");
    else
      kept.push_back(std::move(s));
  }
  subsets = std::move(kept);
  // The address sets of repacked subsets differ, so nothing merges; only the order may change.
  if (changed) std::sort(subsets.begin(), subsets.end(), endpoint_subset_less);
}

inline bool is_reserved_slice_label(std::string_view key) noexcept {
  return key == well_known::service_name_label || key == well_known::managed_by_label ||
         key == well_known::headless_label;
}
}  // namespace detail

/// The legacy Endpoints object of one Service, projected from its EndpointSlices (docs/semantics.md
/// "Beyond upstream: slices to Endpoints").
/// Every object it returns validates (validate(const endpoints&)) when the slices are valid and
/// `svc`, if given, is a valid Service; what it leaves out for that is listed in `warnings`.
/// 1. family: options.family, else IPv4 when `v4` is not empty, else IPv6; slices of the other
///    family are not read;
/// 2. each slice gives one subset: its ports (a missing protocol is TCP; a port with no number,
///    "all ports", or a number outside 1..65535 is left out with a warning, and a slice whose
///    every port is left out gives no subset) and one address per endpoint from its first
///    address, with hostname, nodeName and targetRef; ready (nil counts as ready) endpoints go
///    to `addresses`, others to `notReadyAddresses`; terminating endpoints that are not ready
///    are left out, as the legacy controller leaves out terminating pods (ready and terminating
///    means publishNotReadyAddresses, where it keeps them); with a Service view, port-less
///    slices count only for a headless (`None`) Service without ports;
/// 3. the subsets are repacked (repack_subsets); in a subset of several ports every port without
///    a name is left out with a warning (the API server requires names there), and a subset left
///    without ports is left out;
/// 4. the subsets are truncated (truncate_endpoints); a truncated object gets `endpoints.kubernetes.io/over-capacity: truncated`;
/// 5. metadata: name and namespace of the Service (from `svc`, else the service-name label and
///    namespace of the first slice of the family, or of the other family when it has none);
///    labels = the Service's labels plus `service.kubernetes.io/headless: ""` when it has no
///    cluster IP, else the headless label removed (without a Service view: that slice's labels
///    minus service-name and managed-by).
/// Throws epslice::error, without a Service view, when no slice is given or that slice's
/// service-name label is missing or is no valid object name (a DNS-1123 subdomain): the slices
/// then name no Service.
[[nodiscard]] inline endpoints_projection slices_to_endpoints(std::span<const endpoint_slice_v4> v4,
                                                              std::span<const endpoint_slice_v6> v6,
                                                              const service* svc = nullptr,
                                                              const to_endpoints_options& options = {}) {
  endpoints_projection out;
  out.family = options.family.value_or(v4.empty() ? address_type::ipv6 : address_type::ipv4);
  std::vector<endpoint_subset> subsets;
  const object_meta* first = nullptr;
  if (out.family == address_type::ipv4) {
    for (const auto& s : v4) {
      if (!first) first = &s.metadata;
      detail::add_slice_subsets(s, svc, subsets, out.terminating_left_out, out.warnings);
    }
  } else if (out.family == address_type::ipv6) {
    for (const auto& s : v6) {
      if (!first) first = &s.metadata;
      detail::add_slice_subsets(s, svc, subsets, out.terminating_left_out, out.warnings);
    }
  }
  if (!first) first = !v4.empty() ? &v4.front().metadata : !v6.empty() ? &v6.front().metadata : nullptr;
  std::string_view name;
  if (svc) {
    name = svc->metadata.name;
  } else {
    if (!first)
      detail::throw_error({field_error{"svc", error_type::required, {},
                                       "the Service must be given when there is no EndpointSlice to name it"}});
    const std::string label_path = "metadata.labels[" + std::string(well_known::service_name_label) + "]";
    const auto it = first->labels.find(well_known::service_name_label);
    if (it == first->labels.end())
      detail::throw_error({field_error{label_path, error_type::required, {},
                                       "EndpointSlice " + first->display_name() + " names no Service, and no Service was given"}});
    if (!is_dns1123_subdomain(it->second))
      detail::throw_error({field_error{label_path, error_type::invalid, quote_value(it->second),
                                       "EndpointSlice " + first->display_name() +
                                           " names a Service that cannot exist (an Endpoints name must be a DNS-1123 subdomain)"}});
    name = it->second;
  }
  endpoints& ep = out.object;
  ep.subsets = repack_subsets(subsets);
  detail::drop_unnamed_ports(ep.subsets, out.warnings);
  out.truncated = truncate_endpoints(ep);
  if (out.truncated)
    ep.metadata.annotations.emplace(std::string(well_known::over_capacity_annotation),
                                    std::string(over_capacity_truncated));
  ep.metadata.name = name;
  if (svc) {
    ep.metadata.namespace_ = svc->metadata.namespace_;
    ep.metadata.labels = svc->metadata.labels;
    if (svc->is_headless())
      ep.metadata.labels.insert_or_assign(std::string(well_known::headless_label), std::string());
    else
      ep.metadata.labels.erase(std::string(well_known::headless_label));
  } else {
    ep.metadata.namespace_ = first->namespace_;
    for (const auto& [k, v] : first->labels)
      if (k != well_known::service_name_label && k != well_known::managed_by_label)
        ep.metadata.labels.emplace(k, v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Legacy Endpoints -> EndpointSlices (mirroring).

/// Whether the mirroring controller mirrors an Endpoints object, and if not, why.
enum class mirror_decision : std::uint8_t {
  mirror,               ///< mirrored
  skip_mirror_label,    ///< label `endpointslice.kubernetes.io/skip-mirror` is `true`
  leader_election,      ///< has the leader-election annotation
  no_service,           ///< no Service of the same namespace and name
  service_has_selector, ///< the Service has a selector (the EndpointSlice controller owns it)
};

/// The checks on the Endpoints object alone (docs/semantics.md#which-endpoints-are-mirrored): the
/// skip-mirror label is exactly `true`, or the leader-election annotation is present, stops mirroring.
[[nodiscard]] inline mirror_decision should_mirror(const endpoints& ep) {
  auto it = ep.metadata.labels.find(well_known::skip_mirror_label);
  if (it != ep.metadata.labels.end() && it->second == "true") return mirror_decision::skip_mirror_label;
  if (ep.metadata.annotations.count(well_known::leader_annotation) != 0) return mirror_decision::leader_election;
  return mirror_decision::mirror;
}

/// The full upstream rule (docs/semantics.md#which-endpoints-are-mirrored): should_mirror(ep), then
/// a Service of the same namespace and name must exist (`svc` non-null and matching) and have a nil
/// selector.
[[nodiscard]] inline mirror_decision should_mirror(const endpoints& ep, const service* svc) {
  if (auto d = should_mirror(ep); d != mirror_decision::mirror) return d;
  if (!svc || svc->metadata.name != ep.metadata.name || svc->metadata.namespace_ != ep.metadata.namespace_)
    return mirror_decision::no_service;
  if (svc->selector) return mirror_decision::service_has_selector;
  return mirror_decision::mirror;
}

/// Options of mirror_endpoints.
struct mirroring_options {
  /// Most addresses mirrored per subset (`--mirroring-max-endpoints-per-subset`), 1..1000
  /// (a slice holds at most 1000 endpoints); default 1000.
  std::size_t max_endpoints_per_subset = 1000;
};

/// What mirroring left out.
struct mirroring_report {
  std::vector<std::string> invalid_addresses;  ///< addresses that are no IP, in input order
  std::size_t skipped_addresses = 0;  ///< left out: invalid or over the cap (upstream's metric)
  /// The Endpoints has a deletion timestamp: upstream creates no new slices for it (existing
  /// ones are still updated or deleted).
  bool deletion_pending = false;
  /// What mirroring left out so that every slice validates, one line each, in the order found:
  /// the owner reference of an Endpoints without `metadata.uid`, ports whose name repeats an
  /// earlier one of their subset or whose number is outside 1..65535, and everything of an
  /// Endpoints whose name cannot be a label value (longer than 63 characters).
  std::vector<std::string> warnings;

  /// Addresses left out because their subset exceeded the cap.
  [[nodiscard]] std::size_t over_cap() const noexcept { return skipped_addresses - invalid_addresses.size(); }
};

/// The EndpointSlices the mirroring controller desires for an Endpoints object, and the report.
struct mirrored_slices {
  std::vector<endpoint_slice_v4> ipv4;
  std::vector<endpoint_slice_v6> ipv6;
  mirroring_report report;
};

namespace detail {
template <class F>
struct mirror_group {
  std::vector<endpoint_port> ports;
  std::vector<basic_endpoint<F>> endpoints;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> index;

  // Insert by endpoint identity (address, hostname, targetRef namespace and name); a later
  // duplicate replaces the earlier one in its place, as upstream's set insert keeps the last.
  void insert(basic_endpoint<F> e, std::string ip_text) {
    std::string ns, name;
    if (const auto& ref = std::as_const(e).target_ref) {
      ns = ref->namespace_;
      name = ref->name;
    }
    auto [it, inserted] = index.try_emplace({std::move(ip_text), e.hostname.value_or(""), ns, name}, endpoints.size());
    if (inserted)
      endpoints.push_back(std::move(e));
    else
      endpoints[it->second] = std::move(e);
  }
};


template <class F>
basic_endpoint_slice<F> new_mirrored_slice(const endpoints& ep, mirror_group<F>& g, std::size_t cap,
                                           std::size_t& skipped) {
  basic_endpoint_slice<F> s;
  s.metadata.namespace_ = ep.metadata.namespace_;
  // `<name>-` unless that prefix is no valid name start (its trailing dash read as a letter).
  s.metadata.generate_name =
      is_dns1123_subdomain(ep.metadata.name + "a") ? ep.metadata.name + "-" : ep.metadata.name;
  s.metadata.labels = ep.metadata.labels;
  s.metadata.labels.insert_or_assign(std::string(well_known::service_name_label), ep.metadata.name);
  s.metadata.labels.insert_or_assign(std::string(well_known::managed_by_label),
                                     std::string(well_known::mirroring_controller));
  for (const auto& [k, v] : ep.metadata.annotations)
    if (k != well_known::trigger_time_annotation && k != well_known::last_applied_annotation)
      s.metadata.annotations.emplace(k, v);
  // The API server refuses an owner reference without a uid (mirror_desired warns).
  if (!ep.metadata.uid.empty()) {
    owner_reference owner;
    owner.api_version = "v1";
    owner.kind = "Endpoints";
    owner.name = ep.metadata.name;
    owner.uid = ep.metadata.uid;
    owner.controller = true;
    owner.block_owner_deletion = true;
    s.metadata.owner_references.push_back(std::move(owner));
  }
  s.ports = g.ports;
  s.ports.set_empty_not_nil();
  s.endpoints.set_empty_not_nil();
  if (g.endpoints.size() > cap) {
    skipped += g.endpoints.size() - cap;
    g.endpoints.resize(cap);
  }
  s.endpoints.assign(std::make_move_iterator(g.endpoints.begin()), std::make_move_iterator(g.endpoints.end()));
  return s;
}
// The desired state of mirroring: per subset (after repacking) one IPv4 and one IPv6 group
// (possibly empty), in subset order, and the report of what was left out.
struct mirror_desired_state {
  std::vector<mirror_group<ipv4>> g4;
  std::vector<mirror_group<ipv6>> g6;
  mirroring_report report;
};

inline mirror_desired_state mirror_desired(const endpoints& ep, const mirroring_options& options) {
  if (options.max_endpoints_per_subset < 1 || options.max_endpoints_per_subset > validation_limits::max_endpoints)
    throw_error({field_error{"max_endpoints_per_subset", error_type::invalid,
                             std::to_string(options.max_endpoints_per_subset), "must be from 1 to 1000"}});
  mirror_desired_state out;
  out.report.deletion_pending = ep.metadata.deletion_timestamp.has_value();
  const std::string what = "Endpoints " + (ep.metadata.namespace_.empty() ? ep.metadata.name
                                                                           : ep.metadata.namespace_ + "/" + ep.metadata.name);
  if (!is_label_value(ep.metadata.name)) {
    // The slices would carry the name as their service-name label; no Service can have it.
    out.report.warnings.push_back(what + ": its name is no valid label value (" +
                                  std::to_string(ep.metadata.name.size()) +
                                  " characters, at most 63): nothing is mirrored");
    return out;
  }
  if (ep.metadata.uid.empty())
    out.report.warnings.push_back(what + " has no metadata.uid: its slices get no owner reference "
                                         "(the API server refuses one without a uid)");
  const auto subsets = repack_subsets(ep.subsets);
  flat_index by_set;
  for (std::size_t si = 0; si < subsets.size(); ++si) {
    const auto& subset = subsets[si];
    std::vector<endpoint_port> ports;
    ports.reserve(subset.ports.size());
    std::vector<std::string_view> names;  // slice port names must be unique ("" included)
    for (const auto& p : subset.ports) {
      const auto warn = [&](const std::string& why) {
        out.report.warnings.push_back(what + ": port " + port_text(p.name, p.port, p.protocol) + " of subset " +
                                      std::to_string(si) + " (repacked) " + why + ": left out");
      };
      if (!is_valid_port_number(p.port)) {
        warn("is outside 1..65535");
        continue;
      }
      if (std::find(names.begin(), names.end(), std::string_view(p.name)) != names.end()) {
        warn(p.name.empty() ? "has no name, as another port of the subset" : "repeats a name of the subset");
        continue;
      }
      names.push_back(p.name);
      endpoint_port sp;
      sp.name = p.name;
      sp.port = p.port;
      sp.protocol = p.protocol;
      sp.app_protocol = p.app_protocol;
      ports.push_back(std::move(sp));
    }
    if (ports.empty() && !subset.ports.empty()) {
      out.report.warnings.push_back(what + ": subset " + std::to_string(si) + " (repacked) has no port left: its " +
                                    std::to_string(subset.addresses.size() + subset.not_ready_addresses.size()) +
                                    " addresses are left out");
      continue;
    }
    // Per port set (as the reconciler keys them) one IPv4 and one IPv6 group, at the same place.
    const auto id = static_cast<std::uint32_t>(out.g4.size());
    const std::uint32_t at = by_set.insert(port_set_hash(ports), id,
                                           [&](std::uint32_t v) { return same_port_set(out.g4[v].ports, ports); });
    if (at == id) {
      out.g4.push_back(mirror_group<ipv4>{ports, {}, {}});
      out.g6.push_back(mirror_group<ipv6>{std::move(ports), {}, {}});
    }
    auto& group4 = out.g4[at];
    auto& group6 = out.g6[at];
    const std::size_t total = subset.addresses.size() + subset.not_ready_addresses.size();
    std::size_t added = 0;
    const auto add = [&](const endpoint_address& a, bool ready) {
      if (added >= options.max_endpoints_per_subset) return;
      auto ip = parse_ip_lenient(a.ip);
      if (!ip) {
        out.report.invalid_addresses.push_back(a.ip);
        return;
      }
      ++added;
      const auto fill = [&](auto& e, auto address) {
        e.addresses.set_empty_not_nil();
        e.addresses.push_back(address);
        e.conditions.ready = ready;
        e.target_ref = a.target_ref;
        e.node_name = a.node_name;
        if (!a.hostname.empty()) e.hostname = a.hostname;
      };
      std::string text;
      if (const auto* v4 = std::get_if<ipv4_address>(&*ip)) {
        basic_endpoint<ipv4> e;
        fill(e, *v4);
        format_to(text, *v4);
        group4.insert(std::move(e), std::move(text));
      } else {
        const auto& v6 = std::get<ipv6_address>(*ip);
        basic_endpoint<ipv6> e;
        fill(e, v6);
        format_to(text, v6);
        group6.insert(std::move(e), std::move(text));
      }
    };
    for (const auto& a : subset.addresses) add(a, true);
    for (const auto& a : subset.not_ready_addresses) add(a, false);
    out.report.skipped_addresses += total - added;
  }
  return out;
}
}  // namespace detail

/// The EndpointSlices the mirroring controller desires for an Endpoints object
/// (docs/semantics.md#mirrored-slices), whether or
/// not it is mirrored at all (see should_mirror). Every slice it returns validates when the
/// Endpoints does; what it leaves out for that is listed in `report.warnings`.
/// 1. subsets are repacked (repack_subsets, so in epslice's subset order); an Endpoints whose
///    name is no label value (over 63 characters, so no Service has it) gives nothing;
/// 2. per subset, its ports convert 1:1 to slice ports, except a port outside 1..65535 and a port
///    whose name (absent counts as "") an earlier port of the subset has, each left out with a
///    warning (a subset left without ports gives nothing); ready addresses then not-ready ones
///    are taken until `max_endpoints_per_subset` have been accepted; an address that is no IP is
///    skipped and reported (it does not count against the cap); the rest of the subset is
///    skipped and counted; the address's family picks the group (family, port set);
/// 3. endpoint = `{addresses: [canonical IP], conditions: {ready}, targetRef, nodeName, hostname
///    if non-empty}`; endpoints of a group are unique by identity (a later one replaces an
///    earlier one);
/// 4. one slice per group with endpoints, at most `max_endpoints_per_subset` endpoints, in group
///    order (first subset first, IPv4 groups in `ipv4`, IPv6 groups in `ipv6`); each slice has
///    generateName `<name>-`, the Endpoints' labels with service-name = the Endpoints name and
///    managed-by = the mirroring controller, the Endpoints' annotations except the trigger-time
///    and last-applied-configuration ones, and a controller owner reference to the Endpoints
///    (none, with a warning, when the Endpoints has no uid).
/// Throws epslice::error when `options.max_endpoints_per_subset` is not 1..1000.
[[nodiscard]] inline mirrored_slices mirror_endpoints(const endpoints& ep, const mirroring_options& options = {}) {
  auto desired = detail::mirror_desired(ep, options);
  mirrored_slices out;
  out.report = std::move(desired.report);
  // A group that several subsets fed may exceed the cap; its excess counts as skipped too.
  std::size_t extra_skipped = 0;
  for (auto& g : desired.g4)
    if (!g.endpoints.empty())
      out.ipv4.push_back(detail::new_mirrored_slice(ep, g, options.max_endpoints_per_subset, extra_skipped));
  for (auto& g : desired.g6)
    if (!g.endpoints.empty())
      out.ipv6.push_back(detail::new_mirrored_slice(ep, g, options.max_endpoints_per_subset, extra_skipped));
  out.report.skipped_addresses += extra_skipped;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mirroring against the existing slices: the controller's writes.

/// Whether a slice is one the mirroring controller made for this Endpoints object: same
/// namespace, `kubernetes.io/service-name` = the Endpoints name and managed-by the mirroring
/// controller (the label selector upstream lists them with).
[[nodiscard]] inline bool is_mirrored_slice(const object_meta& m, const endpoints& ep) {
  if (m.namespace_ != ep.metadata.namespace_) return false;
  auto name = m.labels.find(well_known::service_name_label);
  auto by = m.labels.find(well_known::managed_by_label);
  return name != m.labels.end() && name->second == ep.metadata.name && by != m.labels.end() &&
         by->second == well_known::mirroring_controller;
}

/// Upstream's per-sync endpoint figures of a mirroring sync.
struct mirroring_totals {
  std::size_t added = 0;    ///< desired endpoints not in the first slice of their group
  std::size_t updated = 0;  ///< desired endpoints present but different beyond identity
  std::size_t removed = 0;  ///< endpoints of kept or emptied groups' slices no longer desired
  friend bool operator==(const mirroring_totals&, const mirroring_totals&) = default;
};

/// The writes of one mirroring sync (see plan_mirroring), in the order to apply them.
struct mirroring_plan {
  mirror_decision decision = mirror_decision::mirror;  ///< whether the Endpoints is mirrored
  std::vector<any_endpoint_slice> create;  ///< new slices: generateName set, no name
  std::vector<any_endpoint_slice> update;  ///< full replacements of the slices of the same name
  std::vector<any_endpoint_slice> remove;  ///< slices to delete, as they were given
  mirroring_totals totals;  ///< upstream's per-sync endpoint figures
  mirroring_report report;  ///< addresses left out (as mirror_endpoints reports them)
  /// Creates left out because the Endpoints has a deletion timestamp.
  std::size_t creates_skipped = 0;

  /// API writes: creates + updates + deletes.
  [[nodiscard]] std::size_t writes() const noexcept { return create.size() + update.size() + remove.size(); }
  /// True when the sync writes nothing.
  [[nodiscard]] bool empty() const noexcept { return writes() == 0; }
};

namespace detail {

inline string_map without_keys(const string_map& m, std::string_view a, std::string_view b) {
  string_map out = m;
  if (auto it = out.find(a); it != out.end()) out.erase(it);
  if (auto it = out.find(b); it != out.end()) out.erase(it);
  return out;
}

// An owner reference to an Endpoints object of this name with another UID: the Endpoints was
// recreated, and the slice must be rewritten to belong to the new one.
inline bool owned_by_older_endpoints(const object_meta& m, const endpoints& ep) {
  if (ep.metadata.uid.empty()) return false;  // no uid known: nothing to compare with
  for (const auto& o : m.owner_references)
    if (o.kind == "Endpoints" && o.name == ep.metadata.name && o.uid != ep.metadata.uid) return true;
  return false;
}

inline std::vector<endpoint_port> ports_of(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) { return std::vector<endpoint_port>(x.ports.begin(), x.ports.end()); }, s);
}

inline std::size_t endpoint_count(const any_endpoint_slice& s) {
  return std::visit([](const auto& x) { return x.endpoints.size(); }, s);
}

// Upstream's totalChanges of a slice against a group: endpoints of the slice not desired
// (removed), desired ones that differ beyond identity (updated), desired ones not in it (added).
struct mirror_totals {
  std::ptrdiff_t added = 0;  // may go below zero when the slice repeats an endpoint, as upstream
  std::size_t updated = 0;
  std::size_t removed = 0;
};

template <class F>
mirror_totals total_changes(const any_endpoint_slice& existing, const mirror_group<F>& g) {
  mirror_totals t;
  std::size_t matches = 0;
  if (const auto* s = std::get_if<basic_endpoint_slice<F>>(&existing)) {
    std::string text;
    for (const auto& e : s->endpoints) {
      // Desired endpoints have exactly one address; nothing else can share their identity.
      const basic_endpoint<F>* want = nullptr;
      if (e.addresses.size() == 1) {
        text.clear();
        F::format(text, e.addresses.front());
        auto it = g.index.find({text, e.hostname.value_or(""), std::string(target_ref_namespace(e.target_ref)),
                                std::string(target_ref_name(e.target_ref))});
        if (it != g.index.end()) want = &g.endpoints[it->second];
      }
      if (!want) {
        ++t.removed;
        continue;
      }
      ++matches;
      if (!endpoints_equal_beyond_identity(*want, e)) ++t.updated;
    }
  } else {
    // A raw slice of this address type: its endpoints cannot equal desired ones.
    t.removed = endpoint_count(existing);
  }
  t.added = static_cast<std::ptrdiff_t>(g.endpoints.size()) - static_cast<std::ptrdiff_t>(matches);
  return t;
}

struct mirror_planner {
  const endpoints& ep;
  const mirroring_options& options;
  std::vector<const any_endpoint_slice*> existing;  // mirrored slices, by name
  std::vector<bool> claimed;                        // existing slice belongs to a desired group
  std::vector<any_endpoint_slice> creates, updates;
  std::vector<const any_endpoint_slice*> deletes;
  std::ptrdiff_t added = 0;
  std::size_t updated = 0, removed = 0;

  template <class F>
  void plan_group(const mirror_group<F>& g) {
    std::vector<std::size_t> mine;
    for (std::size_t i = 0; i < existing.size(); ++i) {
      if (claimed[i] || address_type_name(*existing[i]) != F::name) continue;
      if (!same_port_set(ports_of(*existing[i]), g.ports)) continue;
      claimed[i] = true;
      mine.push_back(i);
    }
    if (g.endpoints.empty()) {
      for (std::size_t i : mine) {
        deletes.push_back(existing[i]);
        removed += endpoint_count(*existing[i]);
      }
      return;
    }
    std::string name;
    if (mine.empty()) {
      added += static_cast<std::ptrdiff_t>(g.endpoints.size());
    } else {
      for (std::size_t k = 1; k < mine.size(); ++k) deletes.push_back(existing[mine[k]]);
      const any_endpoint_slice& first = *existing[mine.front()];
      const object_meta& m = metadata_of(first);
      const auto t = total_changes(first, g);
      added += t.added;
      updated += t.updated;
      removed += t.removed;
      const bool same_endpoints = t.added == 0 && t.updated == 0 && t.removed == 0;
      // Both sides without the two labels the mirror sets itself: an Endpoints that carries them
      // (with other values) would otherwise make every sync rewrite the slice.
      const bool same_labels =
          without_keys(ep.metadata.labels, well_known::managed_by_label, well_known::service_name_label) ==
          without_keys(m.labels, well_known::managed_by_label, well_known::service_name_label);
      const bool same_annotations =
          without_keys(ep.metadata.annotations, well_known::trigger_time_annotation,
                       well_known::last_applied_annotation) == m.annotations;
      if (same_endpoints && same_labels && same_annotations && !owned_by_older_endpoints(m, ep)) return;
      name = m.name;
    }
    mirror_group<F> copy = g;
    std::size_t ignored = 0;
    auto slice = new_mirrored_slice(ep, copy, options.max_endpoints_per_subset, ignored);
    if (name.empty()) {
      creates.emplace_back(std::move(slice));
    } else {
      slice.metadata.generate_name.clear();
      slice.metadata.name = std::move(name);
      updates.emplace_back(std::move(slice));
    }
  }
};

}  // namespace detail

/// The writes the mirroring controller makes for an Endpoints object given the slices it mirrored
/// before (upstream syncEndpoints, reconcile, reconcileByPortMapping and finalize,
/// docs/semantics.md#mirroring-writes).
/// `existing` may hold any slices: only those is_mirrored_slice() accepts are read or written.
/// 1. `decision` other than mirror: every mirrored slice is deleted, nothing else.
/// 2. The desired groups are computed as mirror_endpoints does (same report): per subset one
///    IPv4 and one IPv6 group keyed by address type and port set, possibly empty.
/// 3. Per group, in subset order (IPv4 groups, then IPv6 groups), with the existing slices of
///    the same address type and port set in name order:
///    no desired endpoint: they are all deleted; none exists: one slice is created; otherwise
///    all but the first are deleted, and the first is left alone when its endpoints match the
///    desired ones (nothing added, removed or changed beyond identity), its labels without
///    service-name and managed-by equal the Endpoints' labels, its annotations equal the
///    Endpoints' annotations without the trigger-time and last-applied-configuration ones, and no
///    owner reference names an Endpoints of this name with another UID (not checked when the
///    Endpoints has no uid); else it is rewritten (an update carrying its name and the content a
///    new slice would have).
/// 4. Existing slices of no desired group (another port set or address type, FQDN) are deleted.
/// 5. Recycling, per address type (IPv4, then IPv6): the i-th create and the i-th delete of that
///    type become one update of the deleted slice's name (keeping generateName), appended to the
///    updates.
/// 6. With a deletion timestamp on the Endpoints, creates are dropped (`creates_skipped`).
/// Deterministic choices where upstream follows Go map order: group order as above, slices by
/// name (stable for equal names), endpoints in repacked subset order.
[[nodiscard]] inline mirroring_plan plan_mirroring(const endpoints& ep, mirror_decision decision,
                                                   std::span<const any_endpoint_slice> existing,
                                                   const mirroring_options& options = {}) {
  mirroring_plan out;
  out.decision = decision;
  std::vector<const any_endpoint_slice*> mirrored;
  for (const auto& s : existing)
    if (is_mirrored_slice(metadata_of(s), ep)) mirrored.push_back(&s);
  std::stable_sort(mirrored.begin(), mirrored.end(), [](const any_endpoint_slice* a, const any_endpoint_slice* b) {
    return metadata_of(*a).name < metadata_of(*b).name;
  });
  if (decision != mirror_decision::mirror) {
    for (const auto* s : mirrored) out.remove.push_back(*s);
  } else {
    auto desired = detail::mirror_desired(ep, options);
    out.report = desired.report;
    detail::mirror_planner p{ep, options, mirrored, std::vector<bool>(mirrored.size(), false), {}, {}, {}, 0, 0, 0};
    for (const auto& g : desired.g4) p.plan_group(g);
    for (const auto& g : desired.g6) p.plan_group(g);
    for (std::size_t i = 0; i < mirrored.size(); ++i)
      if (!p.claimed[i]) p.deletes.push_back(mirrored[i]);
    // Recycling: per address type, creates become updates of slices that would be deleted.
    std::vector<const any_endpoint_slice*> deletes = p.deletes;
    std::vector<bool> recycled(p.creates.size(), false);
    std::vector<any_endpoint_slice> creates;
    for (std::string_view type : {ipv4::name, ipv6::name}) {
      std::size_t d = 0;
      for (std::size_t c = 0; c < p.creates.size(); ++c) {
        if (address_type_name(p.creates[c]) != type) continue;
        while (d < deletes.size() && address_type_name(*deletes[d]) != type) ++d;
        if (d == deletes.size()) break;
        std::visit([&](auto& x) { x.metadata.name = metadata_of(*deletes[d]).name; }, p.creates[c]);
        p.updates.push_back(std::move(p.creates[c]));
        recycled[c] = true;
        deletes.erase(deletes.begin() + static_cast<std::ptrdiff_t>(d));
      }
    }
    for (std::size_t c = 0; c < p.creates.size(); ++c)
      if (!recycled[c]) creates.push_back(std::move(p.creates[c]));
    if (ep.metadata.deletion_timestamp) {
      out.creates_skipped = creates.size();
      creates.clear();
    }
    out.create = std::move(creates);
    out.update = std::move(p.updates);
    for (const auto* s : deletes) out.remove.push_back(*s);
    out.totals.added = p.added > 0 ? static_cast<std::size_t>(p.added) : 0;
    out.totals.updated = p.updated;
    out.totals.removed = p.removed;
  }
  return out;
}

/// plan_mirroring with the decision of should_mirror(ep, svc): a Service of the same namespace and
/// name with a nil selector is required (`svc` null: no such Service).
[[nodiscard]] inline mirroring_plan plan_mirroring(const endpoints& ep, const service* svc,
                                                   std::span<const any_endpoint_slice> existing,
                                                   const mirroring_options& options = {}) {
  return plan_mirroring(ep, should_mirror(ep, svc), existing, options);
}

}  // namespace epslice
