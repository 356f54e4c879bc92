// SPDX-License-Identifier: Apache-2.0
// Internals of convert.hpp: lenient IP parsing as Kubernetes' controllers do it, and legacy subset
// repacking with a documented deterministic order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "../address.hpp"
#include "../types.hpp"

namespace epslice {
namespace detail {

/// Dotted quad whose parts may carry leading zeros, read as decimal (`010.1.2.3` is 10.1.2.3),
/// which is how the controllers' lenient parser reads them.
[[nodiscard]] constexpr std::optional<ipv4_address> parse_ipv4_lenient(std::string_view s) noexcept {
  ipv4_address a;
  std::size_t i = 0;
  for (std::size_t part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
    const std::size_t start = i;
    unsigned value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      if (value > 255) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    a.bytes[part] = static_cast<std::uint8_t>(value);
  }
  if (i != s.size()) return std::nullopt;
  return a;
}

/// Parse an IP address the way the EndpointSlice and mirroring controllers do before they
/// re-stringify it: IPv4 parts may have leading zeros, and an IPv4-mapped IPv6 address
/// (`::ffff:1.2.3.4`) counts as the IPv4 address it maps.
[[nodiscard]] constexpr std::optional<ip_address> parse_ip_lenient(std::string_view s) noexcept {
  if (auto v4 = parse_ipv4_lenient(s)) return ip_address{*v4};
  if (auto v6 = parse_ipv6(s)) {
    if (v6->is_v4_mapped()) return ip_address{mapped_ipv4(*v6)};
    return ip_address{*v6};
  }
  return std::nullopt;
}

/// True when the text is an IPv6 address by the lenient rule (used for cluster IPs and pod IPs).
[[nodiscard]] constexpr bool is_ipv6_text(std::string_view s) noexcept {
  auto ip = parse_ip_lenient(s);
  return ip && std::holds_alternative<ipv6_address>(*ip);
}

/// Order of legacy addresses: by IP text byte-wise, then an address without targetRef before
/// one with, then by targetRef UID (Kubernetes' LessEndpointAddress).
[[nodiscard]] inline bool endpoint_address_less(const endpoint_address& a, const endpoint_address& b) noexcept {
  if (a.ip != b.ip) return a.ip < b.ip;
  if (!b.target_ref) return false;
  if (!a.target_ref) return true;
  return a.target_ref->uid < b.target_ref->uid;
}

/// The fields of a legacy port that identify it (name, port, protocol, appProtocol).
using legacy_port_key = std::tuple<std::int32_t, std::string, std::string, std::optional<std::string>>;
[[nodiscard]] inline legacy_port_key port_key_of(const endpoints_port& p) {
  return {p.port, p.protocol, p.name, p.app_protocol};
}
/// epslice's port order inside a subset: port number, then protocol, name, appProtocol.
[[nodiscard]] inline bool endpoints_port_less(const endpoints_port& a, const endpoints_port& b) {
  return port_key_of(a) < port_key_of(b);
}

/// epslice's subset order: by the sorted port list (a port-less subset first), then by the ready
/// addresses, then the not-ready addresses, each compared element-wise.
[[nodiscard]] inline bool endpoint_subset_less(const endpoint_subset& a, const endpoint_subset& b) {
  if (std::lexicographical_compare(a.ports.begin(), a.ports.end(), b.ports.begin(), b.ports.end(),
                                   endpoints_port_less))
    return true;
  if (std::lexicographical_compare(b.ports.begin(), b.ports.end(), a.ports.begin(), a.ports.end(),
                                   endpoints_port_less))
    return false;
  if (std::lexicographical_compare(a.addresses.begin(), a.addresses.end(), b.addresses.begin(),
                                   b.addresses.end(), endpoint_address_less))
    return true;
  if (std::lexicographical_compare(b.addresses.begin(), b.addresses.end(), a.addresses.begin(),
                                   a.addresses.end(), endpoint_address_less))
    return false;
  return std::lexicographical_compare(a.not_ready_addresses.begin(), a.not_ready_addresses.end(),
                                      b.not_ready_addresses.begin(), b.not_ready_addresses.end(),
                                      endpoint_address_less);
}

/// Repack legacy subsets (see epslice::repack_subsets for the rules).
[[nodiscard]] inline std::vector<endpoint_subset> repack(std::span<const endpoint_subset> subsets) {
  // Addresses by (ip, targetRef uid); the first copy seen is the one kept.
  std::vector<const endpoint_address*> addrs;
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> addr_index;
  // Ports in first-seen order; nullopt stands for "no ports" (a port-less subset).
  std::vector<std::optional<endpoints_port>> ports;
  std::map<std::optional<legacy_port_key>, std::size_t> port_index;
  // Per port: address index -> ready. Not-ready wins over ready.
  std::vector<std::map<std::size_t, bool>> offered;

  const auto intern_address = [&](const endpoint_address& a) {
    const std::string_view uid = a.target_ref ? std::string_view(a.target_ref->uid) : std::string_view();
    auto [it, inserted] = addr_index.try_emplace({std::string_view(a.ip), uid}, addrs.size());
    if (inserted) addrs.push_back(&a);
    return it->second;
  };
  const auto intern_port = [&](const endpoints_port* p) {
    std::optional<legacy_port_key> key;
    if (p) key = port_key_of(*p);
    auto [it, inserted] = port_index.try_emplace(std::move(key), ports.size());
    if (inserted) {
      ports.push_back(p ? std::optional<endpoints_port>(*p) : std::nullopt);
      offered.emplace_back();
    }
    return it->second;
  };
  const auto record = [&](std::size_t port, const endpoint_address& a, bool ready) {
    const std::size_t ai = intern_address(a);
    auto [it, inserted] = offered[port].try_emplace(ai, ready);
    if (!inserted && it->second) it->second = ready;
  };

  for (const auto& s : subsets) {
    if (s.addresses.empty() && s.not_ready_addresses.empty()) continue;
    const auto visit_port = [&](const endpoints_port* p) {
      const std::size_t pi = intern_port(p);
      for (const auto& a : s.addresses) record(pi, a, true);
      for (const auto& a : s.not_ready_addresses) record(pi, a, false);
    };
    if (s.ports.empty()) {
      visit_port(nullptr);
    } else {
      for (const auto& p : s.ports) visit_port(&p);
    }
  }

  // Ports offered by exactly the same addresses with the same readiness form one subset.
  std::map<std::vector<std::pair<std::size_t, bool>>, std::size_t> group_index;
  std::vector<std::vector<std::size_t>> group_ports;
  std::vector<const std::map<std::size_t, bool>*> group_addrs;
  for (std::size_t pi = 0; pi < ports.size(); ++pi) {
    std::vector<std::pair<std::size_t, bool>> key(offered[pi].begin(), offered[pi].end());
    auto [it, inserted] = group_index.try_emplace(std::move(key), group_ports.size());
    if (inserted) {
      group_ports.emplace_back();
      group_addrs.push_back(&offered[pi]);
    }
    group_ports[it->second].push_back(pi);
  }

  std::vector<endpoint_subset> out;
  out.reserve(group_ports.size());
  for (std::size_t g = 0; g < group_ports.size(); ++g) {
    endpoint_subset s;
    for (const auto& [ai, ready] : *group_addrs[g])
      (ready ? s.addresses : s.not_ready_addresses).push_back(*addrs[ai]);
    for (std::size_t pi : group_ports[g])
      if (ports[pi]) s.ports.push_back(*ports[pi]);
    std::sort(s.addresses.begin(), s.addresses.end(), endpoint_address_less);
    std::sort(s.not_ready_addresses.begin(), s.not_ready_addresses.end(), endpoint_address_less);
    std::sort(s.ports.begin(), s.ports.end(), endpoints_port_less);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), endpoint_subset_less);
  return out;
}

}  // namespace detail
}  // namespace epslice
