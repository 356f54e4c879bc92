// SPDX-License-Identifier: Apache-2.0
// Conversions: pods + service + nodes -> desired endpoints; legacy Endpoints <-> EndpointSlices.
//
// Three directions, each a pure function:
//  - pods to endpoints, as the EndpointSlice controller derives them (k8s-semantics.md c.1, c.2, d);
//  - legacy Endpoints to EndpointSlices, as the mirroring controller desires them, and the
//    creates, updates and deletes it makes against the slices it mirrored before (g.4);
//  - EndpointSlices to one legacy Endpoints object, the projection legacy consumers need (g.1-g.3).
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
#include "detail/reconcile_keys.hpp"
#include "pod.hpp"
#include "types.hpp"

namespace epslice {

// ---------------------------------------------------------------------------------------------
// The pod view.

/// A pod is ready when its `Ready` condition exists with status `True`.
[[nodiscard]] inline bool is_pod_ready(const pod& p) noexcept {
  return p.ready_condition && *p.ready_condition == "True";
}

/// A pod is terminating when it has a deletion timestamp.
[[nodiscard]] inline bool is_pod_terminating(const pod& p) noexcept {
  return p.metadata.deletion_timestamp.has_value();
}

/// Whether a pod belongs in a Service's endpoints (upstream ShouldPodBeInEndpoints, §d.1):
/// 1. pods in phase `Failed` or `Succeeded` never do;
/// 2. pods with neither `status.podIP` nor `status.podIPs` do not;
/// 3. terminating pods do only when `include_terminating` (the EndpointSlice controller passes
///    true; the legacy Endpoints controller passes the Service's publishNotReadyAddresses).
[[nodiscard]] inline bool should_pod_be_in_endpoints(const pod& p, bool include_terminating) noexcept {
  if (p.phase == "Failed" || p.phase == "Succeeded") return false;
  if (p.pod_ip.empty() && p.pod_ips.empty()) return false;
  if (!include_terminating && is_pod_terminating(p)) return false;
  return true;
}

/// Whether the endpoint of a pod carries the pod's hostname (§d.3): the pod has a hostname, its
/// subdomain is the Service's name, and it is in the Service's namespace.
[[nodiscard]] inline bool should_set_hostname(const pod& p, const service& svc) noexcept {
  return !p.hostname.empty() && p.subdomain == svc.metadata.name &&
         p.metadata.namespace_ == svc.metadata.namespace_;
}

/// Whether a Service selects a pod: the Service has a selector (nil selects nothing), the pod is in
/// the Service's namespace and carries every selector label with its value (an empty selector
/// selects every pod of the namespace).
[[nodiscard]] inline bool selects(const service& svc, const pod& p) {
  if (!svc.selector) return false;
  if (p.metadata.namespace_ != svc.metadata.namespace_) return false;
  for (const auto& [key, value] : *svc.selector) {
    auto it = p.metadata.labels.find(key);
    if (it == p.metadata.labels.end() || it->second != value) return false;
  }
  return true;
}

/// Resolve a Service port's target port on a pod (upstream FindPort, §d.4):
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

/// The endpoint ports of a pod for a Service (upstream getEndpointPorts, §d.4), in Service port
/// order: `{name, resolved port, protocol, appProtocol}` for every Service port whose target
/// port resolves on this pod (a port that does not resolve is left out for this pod only).
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

/// The address types a Service's EndpointSlices use (upstream getAddressTypesForService, §c.2),
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
/// builds it (§d.2):
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

/// One pod's contribution in family F, as the EndpointSlice controller's per-pod step (§c.4):
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

/// An endpoint and the ports it offers.
template <class F>
struct endpoint_with_ports {
  basic_endpoint<F> endpoint;
  std::vector<endpoint_port> ports;
};

/// The desired endpoints of a Service in one family, derived from pods and nodes.
template <class F>
struct service_pod_endpoints {
  /// One entry per pod that gives an endpoint, in pod input order.
  std::vector<endpoint_with_ports<F>> endpoints;
  /// Distinct port lists (order-insensitive, first seen first) of pods that passed
  /// should_pod_be_in_endpoints but gave no endpoint and whose port list no endpoint has: upstream
  /// still makes these port groups desired (with no endpoints).
  std::vector<std::vector<endpoint_port>> empty_port_groups;
  /// `namespace/name` of each selected pod left out because its node is missing (upstream
  /// records an error for the sync and retries it).
  std::vector<std::string> missing_node_pods;
};

namespace detail {
using port_identity = std::tuple<std::optional<std::string>, std::optional<std::int32_t>,
                                 std::optional<std::string>, std::optional<std::string>>;
[[nodiscard]] inline std::vector<port_identity> port_list_key(const std::vector<endpoint_port>& ports) {
  std::vector<port_identity> key;
  key.reserve(ports.size());
  for (const auto& p : ports) key.emplace_back(p.name, p.port, p.protocol, p.app_protocol);
  std::sort(key.begin(), key.end());
  return key;
}
}  // namespace detail

/// The desired endpoints of family F for a Service (§c.1, §c.4): nothing for an ExternalName
/// Service or one without a selector; otherwise pod_endpoint for every pod the Service selects,
/// its node looked up by `spec.nodeName` among `nodes`. Duplicate identities are not merged here.
template <class F>
[[nodiscard]] service_pod_endpoints<F> endpoints_from_pods(const service& svc, std::span<const pod> pods,
                                                           std::span<const node> nodes) {
  service_pod_endpoints<F> out;
  if (svc.type == "ExternalName" || !svc.selector) return out;
  std::map<std::string_view, const node*, std::less<>> by_name;
  for (const auto& n : nodes) by_name.try_emplace(n.metadata.name, &n);
  std::map<std::vector<detail::port_identity>, bool> groups;  // key -> has an endpoint
  std::vector<std::pair<std::vector<detail::port_identity>, std::vector<endpoint_port>>> empties;
  for (const auto& p : pods) {
    if (!selects(svc, p)) continue;
    auto it = by_name.find(p.node_name);
    auto r = pod_endpoint<F>(p, it == by_name.end() ? nullptr : it->second, svc);
    if (r.skipped == pod_skip_reason::not_in_endpoints) continue;
    auto key = detail::port_list_key(r.ports);
    if (r.skipped == pod_skip_reason::node_missing)
      out.missing_node_pods.push_back(p.metadata.namespace_ + "/" + p.metadata.name);
    if (r.included()) {
      groups[std::move(key)] = true;
      out.endpoints.push_back({std::move(r.endpoint), std::move(r.ports)});
    } else if (groups.try_emplace(key, false).second) {
      empties.emplace_back(std::move(key), std::move(r.ports));
    }
  }
  for (auto& [key, ports] : empties)
    if (!groups[key]) out.empty_port_groups.push_back(std::move(ports));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Legacy Endpoints: repacking and truncation.

/// The most addresses (ready plus not-ready) one legacy Endpoints object holds.
inline constexpr std::size_t max_endpoints_capacity = 1000;

/// The value of the over-capacity annotation on a truncated Endpoints object.
inline constexpr std::string_view over_capacity_truncated = "truncated";

/// Repack legacy subsets into their canonical layout (upstream RepackSubsets, §g.2):
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
/// §g.3). Returns false, changing nothing, when it holds at most that many. Otherwise:
/// 1. with more ready addresses than the capacity, every not-ready address is dropped and the
///    ready ones are truncated to the capacity; else only not-ready ones are truncated, to the
///    room the ready ones leave;
/// 2. subsets in their order each keep the first ceil(count / total * room) addresses (computed
///    in doubles), capped by what is still left;
/// 3. returns true.
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
};

namespace detail {
template <class F>
void add_slice_subsets(const basic_endpoint_slice<F>& slice, const service* svc,
                       std::vector<endpoint_subset>& subsets, std::size_t& terminating) {
  endpoint_subset s;
  for (const auto& p : slice.ports) {
    if (!p.port) continue;  // "all ports" has no legacy form
    endpoints_port lp;
    lp.name = p.name.value_or("");
    lp.port = *p.port;
    lp.protocol = p.protocol.value_or("TCP");
    lp.app_protocol = p.app_protocol;
    s.ports.push_back(std::move(lp));
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

inline bool is_reserved_slice_label(std::string_view key) noexcept {
  return key == well_known::service_name_label || key == well_known::managed_by_label ||
         key == well_known::headless_label;
}
}  // namespace detail

/// The legacy Endpoints object of one Service, projected from its EndpointSlices (§g.1-g.3):
/// 1. family: options.family, else IPv4 when `v4` is not empty, else IPv6; slices of the other
///    family are not read;
/// 2. each slice gives one subset: its ports (a port with no number is left out; a missing
///    protocol is TCP) and one address per endpoint from its first address, with hostname,
///    nodeName and targetRef; ready (nil counts as ready) endpoints go to `addresses`, others to
///    `notReadyAddresses`; terminating endpoints that are not ready are left out, as the legacy
///    controller leaves out terminating pods (ready and terminating means publishNotReadyAddresses,
///    where it keeps them); with a Service view, port-less slices count only for a headless
///    (`None`) Service without ports;
/// 3. the subsets are repacked (repack_subsets) and truncated (truncate_endpoints); a truncated
///    object gets `endpoints.kubernetes.io/over-capacity: truncated`;
/// 4. metadata: name and namespace of the Service (from `svc`, else the first slice's
///    service-name label and namespace); labels = the Service's labels plus
///    `service.kubernetes.io/headless: ""` when it has no cluster IP, else the headless label
///    removed (without a Service view: the first slice's labels minus service-name and
///    managed-by).
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
      detail::add_slice_subsets(s, svc, subsets, out.terminating_left_out);
    }
  } else if (out.family == address_type::ipv6) {
    for (const auto& s : v6) {
      if (!first) first = &s.metadata;
      detail::add_slice_subsets(s, svc, subsets, out.terminating_left_out);
    }
  }
  endpoints& ep = out.object;
  ep.subsets = repack_subsets(subsets);
  out.truncated = truncate_endpoints(ep);
  if (out.truncated)
    ep.metadata.annotations.emplace(std::string(well_known::over_capacity_annotation),
                                    std::string(over_capacity_truncated));
  if (svc) {
    ep.metadata.name = svc->metadata.name;
    ep.metadata.namespace_ = svc->metadata.namespace_;
    ep.metadata.labels = svc->metadata.labels;
    if (svc->is_headless())
      ep.metadata.labels.insert_or_assign(std::string(well_known::headless_label), std::string());
    else
      ep.metadata.labels.erase(std::string(well_known::headless_label));
  } else if (first) {
    auto it = first->labels.find(well_known::service_name_label);
    if (it != first->labels.end()) ep.metadata.name = it->second;
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

/// The checks on the Endpoints object alone (§g.4): the skip-mirror label is exactly `true`, or
/// the leader-election annotation is present, stops mirroring.
[[nodiscard]] inline mirror_decision should_mirror(const endpoints& ep) {
  auto it = ep.metadata.labels.find(well_known::skip_mirror_label);
  if (it != ep.metadata.labels.end() && it->second == "true") return mirror_decision::skip_mirror_label;
  if (ep.metadata.annotations.count(well_known::leader_annotation) != 0) return mirror_decision::leader_election;
  return mirror_decision::mirror;
}

/// The full upstream rule (§g.4): should_mirror(ep), then a Service of the same namespace and
/// name must exist (`svc` non-null and matching) and have a nil selector.
[[nodiscard]] inline mirror_decision should_mirror(const endpoints& ep, const service* svc) {
  if (auto d = should_mirror(ep); d != mirror_decision::mirror) return d;
  if (!svc || svc->metadata.name != ep.metadata.name || svc->metadata.namespace_ != ep.metadata.namespace_)
    return mirror_decision::no_service;
  if (svc->selector) return mirror_decision::service_has_selector;
  return mirror_decision::mirror;
}

/// Options of mirror_endpoints.
struct mirroring_options {
  /// Most addresses mirrored per subset (`--mirroring-max-endpoints-per-subset`, default 1000).
  std::size_t max_endpoints_per_subset = 1000;
};

/// What mirroring left out.
struct mirroring_report {
  std::vector<std::string> invalid_addresses;  ///< addresses that are no IP, in input order
  std::size_t skipped_addresses = 0;  ///< left out: invalid or over the cap (upstream's metric)
  /// The Endpoints has a deletion timestamp: upstream creates no new slices for it (existing
  /// ones are still updated or deleted).
  bool deletion_pending = false;

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
  std::vector<port_identity> key;
  std::vector<endpoint_port> ports;
  std::vector<basic_endpoint<F>> endpoints;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> index;

  // Insert by endpoint identity (address, hostname, targetRef namespace and name); a later
  // duplicate replaces the earlier one in its place, as upstream's set insert keeps the last.
  void insert(basic_endpoint<F> e, std::string ip_text) {
    std::string ns, name;
    if (e.target_ref) {
      ns = e.target_ref->namespace_;
      name = e.target_ref->name;
    }
    auto [it, inserted] = index.try_emplace({std::move(ip_text), e.hostname.value_or(""), ns, name}, endpoints.size());
    if (inserted)
      endpoints.push_back(std::move(e));
    else
      endpoints[it->second] = std::move(e);
  }
};

template <class F>
mirror_group<F>& find_group(std::vector<mirror_group<F>>& groups, const std::vector<port_identity>& key,
                            const std::vector<endpoint_port>& ports) {
  for (auto& g : groups)
    if (g.key == key) return g;
  groups.push_back(mirror_group<F>{key, ports, {}, {}});
  return groups.back();
}

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
  owner_reference owner;
  owner.api_version = "v1";
  owner.kind = "Endpoints";
  owner.name = ep.metadata.name;
  owner.uid = ep.metadata.uid;
  owner.controller = true;
  owner.block_owner_deletion = true;
  s.metadata.owner_references.push_back(std::move(owner));
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
  mirror_desired_state out;
  out.report.deletion_pending = ep.metadata.deletion_timestamp.has_value();
  const auto subsets = repack_subsets(ep.subsets);
  for (const auto& subset : subsets) {
    std::vector<endpoint_port> ports;
    ports.reserve(subset.ports.size());
    for (const auto& p : subset.ports) {
      endpoint_port sp;
      sp.name = p.name;
      sp.port = p.port;
      sp.protocol = p.protocol;
      sp.app_protocol = p.app_protocol;
      ports.push_back(std::move(sp));
    }
    const auto key = port_list_key(ports);
    auto& group4 = find_group(out.g4, key, ports);
    auto& group6 = find_group(out.g6, key, ports);
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

/// The EndpointSlices the mirroring controller desires for an Endpoints object (§g.4), whether or
/// not it is mirrored at all (see should_mirror):
/// 1. subsets are repacked (repack_subsets, so in epslice's subset order);
/// 2. per subset, its ports convert 1:1 to slice ports; ready addresses then not-ready ones are
///    taken until `max_endpoints_per_subset` have been accepted; an address that is no IP is
///    skipped and reported (it does not count against the cap); the rest of the subset is
///    skipped and counted; the address's family picks the group (family, port set);
/// 3. endpoint = `{addresses: [canonical IP], conditions: {ready}, targetRef, nodeName, hostname
///    if non-empty}`; endpoints of a group are unique by identity (a later one replaces an
///    earlier one);
/// 4. one slice per group with endpoints, at most `max_endpoints_per_subset` endpoints, in group
///    order (first subset first, IPv4 groups in `ipv4`, IPv6 groups in `ipv6`); each slice has
///    generateName `<name>-`, the Endpoints' labels with service-name = the Endpoints name and
///    managed-by = the mirroring controller, the Endpoints' annotations except the trigger-time
///    and last-applied-configuration ones, and a controller owner reference to the Endpoints.
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
      const bool same_labels =
          ep.metadata.labels == without_keys(m.labels, well_known::managed_by_label, well_known::service_name_label);
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
/// before (upstream syncEndpoints, reconcile, reconcileByPortMapping and finalize, §g.4).
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
///    owner reference names an Endpoints of this name with another UID; else it is rewritten
///    (an update carrying its name and the content a new slice would have).
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
