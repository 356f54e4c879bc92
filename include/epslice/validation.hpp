// SPDX-License-Identifier: Apache-2.0
// The API server's validation of EndpointSlices and Endpoints, as lists of field errors.
//
// Every function here is pure and never throws a validation problem: it returns the list of
// problems found (empty when the object is valid), in the order the API server reports them, with
// field paths relative to the object (`metadata.name`, `endpoints[3].addresses[0]`,
// `subsets[0].notReadyAddresses[2].ip`). Error types and error counts follow upstream
// (kubernetes/kubernetes `pkg/apis/discovery/validation`, `pkg/apis/core/validation`
// `ValidateEndpoints`, apimachinery's object metadata rules); the detail sentences are our own.
//
// IP addresses are parsed strictly, as newer Kubernetes releases do for new objects: IPv4 parts
// with leading zeros (`010.1.2.3`) and IPv4-mapped IPv6 forms in IPv4 or IPv6 slices are refused.
// Each bad address gets exactly one error: either it does not parse, or it parses and lies in a
// range endpoints may not use (unspecified, loopback, link-local unicast or multicast).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "address.hpp"
#include "detail/label_value.hpp"
#include "document.hpp"
#include "error.hpp"
#include "types.hpp"

namespace epslice {

/// The limits the API server enforces (discovery validation and object metadata).
namespace validation_limits {
inline constexpr std::size_t max_endpoints = 1000;        ///< endpoints per slice
inline constexpr std::size_t max_addresses = 100;         ///< addresses per endpoint
inline constexpr std::size_t max_ports = 20000;           ///< ports per slice (the type doc says 100)
inline constexpr std::size_t max_topology_labels = 16;    ///< deprecatedTopology entries
inline constexpr std::size_t max_zone_hints = 8;          ///< hints.forZones entries
inline constexpr std::size_t max_node_hints = 8;          ///< hints.forNodes entries
inline constexpr std::size_t max_annotations_bytes = 256 * 1024;  ///< keys + values of annotations
inline constexpr std::size_t dns1123_label_max = 63;      ///< DNS-1123 label length
inline constexpr std::size_t dns1123_subdomain_max = 253; ///< DNS-1123 subdomain length
inline constexpr std::size_t qualified_name_max = 63;     ///< name part of a qualified name
inline constexpr std::size_t label_value_max = detail::label_value_max_length;  ///< label value length
}  // namespace validation_limits

/// Switches for rules that do not apply to every use of a slice.
struct validation_options {
  /// Apply the limit of 1000 endpoints per slice. Off for slices that describe a desired set of
  /// endpoints rather than an object to write (they may hold any number).
  bool limit_endpoints = true;
  /// Accept the legacy `IP` address type of discovery.k8s.io/v1beta1 in a raw slice (its addresses
  /// are then not checked, as for any type not known). Off: NotSupported, as the API server says.
  /// On for slices read rather than written: the EndpointSlice controller lists such slices and
  /// deletes them.
  bool accept_legacy_ip_type = false;
};

namespace detail {


// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, any length.
constexpr bool dns1123_label_format(std::string_view s) noexcept {
  if (s.empty() || !is_alnum_lower(s.front()) || !is_alnum_lower(s.back())) return false;
  for (char c : s)
    if (!is_dns_label_char(c)) return false;
  return true;
}

// Dot-separated DNS-1123 label formats, any length.
constexpr bool dns1123_subdomain_format(std::string_view s) noexcept {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!dns1123_label_format(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}


constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Words used by several problem lists (one entry per problem the API server reports).
inline constexpr std::string_view label_format_words =
    "must consist of lowercase letters, digits and '-', and start and end with a letter or digit "
    "(e.g. 'my-name' or '123-abc')";
inline constexpr std::string_view subdomain_format_words =
    "must consist of lowercase letters, digits, '-' and '.', and start and end with a letter or "
    "digit (e.g. 'example.com')";
inline constexpr std::string_view name_part_format_words =
    "must consist of letters, digits, '-', '_' and '.', and start and end with a letter or digit "
    "(e.g. 'MyName', 'my.name' or '123-abc')";

inline std::string no_more_than(std::size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

/// One detail sentence per problem, as the API server counts them.
using problem_list = std::vector<std::string>;

// DNS-1123 label: a length problem and a format problem are counted apart.
inline problem_list dns1123_label_problems(std::string_view s) {
  problem_list out;
  if (s.size() > validation_limits::dns1123_label_max) out.push_back(no_more_than(validation_limits::dns1123_label_max));
  if (!dns1123_label_format(s)) {
    if (dns1123_subdomain_format(s))
      out.emplace_back("must not contain dots");
    else
      out.emplace_back(label_format_words);
  }
  return out;
}

// DNS-1123 subdomain: a length problem and a format problem are counted apart.
inline problem_list dns1123_subdomain_problems(std::string_view s, std::string_view prefix = {}) {
  problem_list out;
  if (s.size() > validation_limits::dns1123_subdomain_max)
    out.push_back(std::string(prefix) + no_more_than(validation_limits::dns1123_subdomain_max));
  if (!dns1123_subdomain_format(s)) out.push_back(std::string(prefix) + std::string(subdomain_format_words));
  return out;
}

// Qualified name (label key): optional DNS-1123 subdomain prefix and '/', then a name part of at
// most 63 characters. With `lowercase_prefix` the prefix is compared case-insensitively (the rule
// for annotation keys, which the API server lowercases before checking).
inline problem_list qualified_name_problems(std::string_view s, bool lowercase_prefix = false) {
  problem_list out;
  const std::size_t slash = s.find('/');
  std::string_view name = s;
  if (slash != std::string_view::npos) {
    if (s.find('/', slash + 1) != std::string_view::npos) {
      out.push_back(std::string("must be a name of at most 63 characters that ") +
                    std::string(name_part_format_words) +
                    ", with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return out;
    }
    const std::string_view prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (prefix.empty()) {
      out.emplace_back("prefix part must not be empty");
    } else if (lowercase_prefix) {
      std::string lowered(prefix);
      for (char& c : lowered) c = ascii_lower(c);
      for (auto& p : dns1123_subdomain_problems(lowered, "prefix part ")) out.push_back(std::move(p));
    } else {
      for (auto& p : dns1123_subdomain_problems(prefix, "prefix part ")) out.push_back(std::move(p));
    }
  }
  if (name.empty())
    out.emplace_back("name part must not be empty");
  else if (name.size() > validation_limits::qualified_name_max)
    out.push_back("name part " + no_more_than(validation_limits::qualified_name_max));
  if (!qualified_name_part_format(name)) out.push_back("name part " + std::string(name_part_format_words));
  return out;
}

// Label value: empty, or at most 63 characters of the qualified name part's format.
inline problem_list label_value_problems(std::string_view s) {
  problem_list out;
  if (s.size() > validation_limits::label_value_max) out.push_back(no_more_than(validation_limits::label_value_max));
  if (!s.empty() && !qualified_name_part_format(s))
    out.emplace_back(
        "must be empty or consist of letters, digits, '-', '_' and '.', and start and end with a "
        "letter or digit (e.g. 'MyValue', 'my_value' or '12345')");
  return out;
}

}  // namespace detail

/// True for a qualified name (a label key, also the rule for `appProtocol`): an optional
/// DNS-1123 subdomain prefix of at most 253 characters and '/', then a name of 1..63 letters,
/// digits, '-', '_' and '.', starting and ending with a letter or digit.
[[nodiscard]] constexpr bool is_qualified_name(std::string_view s) noexcept {
  const std::size_t slash = s.find('/');
  std::string_view name = s;
  if (slash != std::string_view::npos) {
    const std::string_view prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (name.find('/') != std::string_view::npos) return false;
    if (!is_dns1123_subdomain(prefix)) return false;
  }
  return name.size() <= validation_limits::qualified_name_max && detail::qualified_name_part_format(name);
}

/// True for a valid annotation key: a qualified name whose prefix may use upper case letters
/// (the API server lowercases annotation keys before checking them).
[[nodiscard]] inline bool is_annotation_key(std::string_view s) {
  return detail::qualified_name_problems(s, true).empty();
}

/// True for a valid label value: empty, or 1..63 letters, digits, '-', '_' and '.', starting and
/// ending with a letter or digit.
[[nodiscard]] constexpr bool is_label_value(std::string_view s) noexcept {
  return detail::label_value_format(s);
}

/// True for a valid Node name (a DNS-1123 subdomain), the rule for `nodeName` and
/// `hints.forNodes[].name`.
[[nodiscard]] constexpr bool is_valid_node_name(std::string_view s) noexcept { return is_dns1123_subdomain(s); }

/// True for a valid `generateName` of an object named by DNS-1123 subdomains: the prefix is
/// checked as a name once a trailing '-' (if the prefix is longer than one character) is masked.
[[nodiscard]] inline bool is_valid_generate_name(std::string_view s) {
  std::string masked(s);
  if (masked.size() > 1 && masked.back() == '-') masked.back() = 'a';
  return is_dns1123_subdomain(masked);
}

/// True for a port number the legacy Endpoints accept: 1..65535.
[[nodiscard]] constexpr bool is_valid_port_number(std::int64_t port) noexcept { return port >= 1 && port <= 65535; }

/// True for `TCP`, `UDP` or `SCTP` (exact, case-sensitive).
[[nodiscard]] constexpr bool is_supported_protocol(std::string_view s) noexcept {
  return s == "TCP" || s == "UDP" || s == "SCTP";
}

namespace detail {

inline void add_error(field_errors& out, std::string path, error_type type, std::string value, std::string detail) {
  out.push_back(field_error{std::move(path), type, std::move(value), std::move(detail)});
}

inline std::string indexed(std::string_view base, std::size_t i) {
  std::string out(base);
  out += '[';
  out += std::to_string(i);
  out += ']';
  return out;
}

inline std::string child(std::string_view base, std::string_view name) {
  std::string out(base);
  if (!out.empty()) out += '.';
  out += name;
  return out;
}

inline void add_each(field_errors& out, const std::string& path, std::string_view value, problem_list problems) {
  for (auto& p : problems) add_error(out, path, error_type::invalid, quote_value(value), std::move(p));
}

inline void add_too_many(field_errors& out, std::string path, std::size_t count, std::size_t max) {
  add_error(out, std::move(path), error_type::too_many, std::to_string(count),
            "must have at most " + std::to_string(max) + " items");
}

inline constexpr std::string_view supported_protocols_words = R"(supported values: "SCTP", "TCP", "UDP")";
inline constexpr std::string_view supported_address_types_words = R"(supported values: "FQDN", "IPv4", "IPv6")";

// Text that would be a dotted quad if leading zeros were allowed: worth a more precise message.
constexpr bool is_dotted_quad_with_leading_zeros(std::string_view s) noexcept {
  int parts = 0;
  bool leading_zero = false;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    unsigned value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 4) {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    const std::size_t len = i - start;
    if (len == 0 || len > 3 || value > 255) return false;
    if (len > 1 && s[start] == '0') leading_zero = true;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4 && leading_zero;
}

inline std::string not_an_ip_words(std::string_view family_words, std::string_view text) {
  std::string out = "must be a valid ";
  out += family_words;
  if (is_dotted_quad_with_leading_zeros(text)) out += " (leading zeros are ambiguous and not accepted)";
  return out;
}

// The range an endpoint address may not use, or nullptr. At most one applies to any address.
template <class Address>
constexpr const char* special_address_words(const Address& a) noexcept {
  if (is_unspecified(a)) return "must not be the unspecified address";
  if (is_loopback(a)) return "must not be a loopback address";
  if (is_link_local_unicast(a)) return "must not be a link-local address";
  if (is_link_local_multicast(a)) return "must not be a link-local multicast address";
  return nullptr;
}

template <class Address>
void check_special(field_errors& out, const std::string& path, std::string_view text, const Address& a) {
  if (const char* words = special_address_words(a)) add_error(out, path, error_type::invalid, quote_value(text), words);
}

inline void check_ipv4_address(field_errors& out, const std::string& path, std::string_view text) {
  if (auto a = parse_ipv4(text))
    check_special(out, path, text, *a);
  else
    add_error(out, path, error_type::invalid, quote_value(text), not_an_ip_words("IPv4 address", text));
}

inline void check_ipv6_address(field_errors& out, const std::string& path, std::string_view text, const ipv6_address& a) {
  if (a.is_v4_mapped())
    add_error(out, path, error_type::invalid, quote_value(text),
              "must be a valid IPv6 address (an IPv4-mapped address belongs in an IPv4 slice)");
  else
    check_special(out, path, text, a);
}

inline void check_ipv6_address(field_errors& out, const std::string& path, std::string_view text) {
  if (auto a = parse_ipv6(text))
    check_ipv6_address(out, path, text, *a);
  else
    add_error(out, path, error_type::invalid, quote_value(text), not_an_ip_words("IPv6 address", text));
}

// The API's FQDN rule: an optional trailing dot, then a lowercase DNS-1123 subdomain of at least
// two labels, each at most 63 characters. One error per bad address.
inline void check_fqdn_address(field_errors& out, const std::string& path, std::string_view text) {
  if (text.empty()) {
    add_error(out, path, error_type::required, {}, "must be a fully qualified domain name");
    return;
  }
  std::string_view name = text;
  if (name.back() == '.') name.remove_suffix(1);
  const char* words = nullptr;
  if (name.size() > validation_limits::dns1123_subdomain_max || !dns1123_subdomain_format(name)) {
    words = "must be a fully qualified domain name: lowercase letters, digits, '-' and '.', each "
            "label starting and ending with a letter or digit (e.g. 'example.com')";
  } else if (name.find('.') == std::string_view::npos) {
    words = "must be a fully qualified domain name with at least two labels separated by dots";
  } else {
    std::size_t start = 0;
    while (start <= name.size()) {
      std::size_t dot = name.find('.', start);
      if (dot == std::string_view::npos) dot = name.size();
      if (dot - start > validation_limits::dns1123_label_max) {
        words = "must be a fully qualified domain name whose labels have no more than 63 characters";
        break;
      }
      start = dot + 1;
    }
  }
  if (words) add_error(out, path, error_type::invalid, quote_value(text), words);
}

inline void check_dns1123_label(field_errors& out, const std::string& path, std::string_view value) {
  add_each(out, path, value, dns1123_label_problems(value));
}

inline void check_labels(field_errors& out, const std::string& path, const string_map& labels) {
  for (const auto& [key, value] : labels) {
    add_each(out, path, key, qualified_name_problems(key));
    add_each(out, path, value, label_value_problems(value));
  }
}

// Object metadata as the API server checks it on create (name rule: DNS-1123 subdomain;
// namespaced).
inline void validate_object_meta(field_errors& out, const object_meta& m) {
  if (!m.generate_name.empty()) {
    std::string masked = m.generate_name;
    if (masked.size() > 1 && masked.back() == '-') masked.back() = 'a';
    add_each(out, "metadata.generateName", m.generate_name, dns1123_subdomain_problems(masked));
  }
  if (m.name.empty()) {
    if (m.generate_name.empty())
      add_error(out, "metadata.name", error_type::required, {}, "either name or generateName must be set");
  } else {
    add_each(out, "metadata.name", m.name, dns1123_subdomain_problems(m.name));
  }
  if (m.namespace_.empty())
    add_error(out, "metadata.namespace", error_type::required, {}, "the object must name its namespace");
  else
    add_each(out, "metadata.namespace", m.namespace_, dns1123_label_problems(m.namespace_));
  if (m.generation < 0)
    add_error(out, "metadata.generation", error_type::invalid, std::to_string(m.generation),
              "must be greater than or equal to 0");
  check_labels(out, "metadata.labels", m.labels);
  std::size_t annotation_bytes = 0;
  for (const auto& [key, value] : m.annotations) {
    add_each(out, "metadata.annotations", key, qualified_name_problems(key, true));
    annotation_bytes += key.size() + value.size();
  }
  if (annotation_bytes > validation_limits::max_annotations_bytes)
    add_error(out, "metadata.annotations", error_type::too_long, {},
              "keys and values together must have at most " +
                  std::to_string(validation_limits::max_annotations_bytes) + " bytes (they have " +
                  std::to_string(annotation_bytes) + ")");
  // Owner references: the path is the list's, as upstream reports it.
  const std::string owners = "metadata.ownerReferences";
  bool seen_controller = false;
  for (const auto& ref : m.owner_references) {
    // The version is what follows the group and '/'; an apiVersion with more than one '/' has none.
    std::string_view version = ref.api_version;
    std::string_view group;
    if (const std::size_t slash = version.find('/'); slash != std::string_view::npos) {
      group = version.substr(0, slash);
      version = version.substr(slash + 1);
      if (version.find('/') != std::string_view::npos) version = {};
    }
    if (version.empty())
      add_error(out, owners + ".apiVersion", error_type::invalid, quote_value(ref.api_version),
                "must name a version");
    if (ref.kind.empty()) add_error(out, owners + ".kind", error_type::invalid, quote_value(ref.kind), "must not be empty");
    if (ref.name.empty()) add_error(out, owners + ".name", error_type::invalid, quote_value(ref.name), "must not be empty");
    if (ref.uid.empty()) add_error(out, owners + ".uid", error_type::invalid, quote_value(ref.uid), "must not be empty");
    if (group.empty() && version == "v1" && ref.kind == "Event")
      add_error(out, owners, error_type::invalid, quote_value(ref.kind), "an Event may not own other objects");
    if (ref.controller.value_or(false)) {
      if (seen_controller)
        add_error(out, owners, error_type::invalid, quote_value(ref.kind + "/" + ref.name),
                  "only one owner reference may be marked as the controller");
      seen_controller = true;
    }
  }
}

// Address kind used to check the addresses of a slice: the family of a typed slice, the parsed
// address type text of a raw slice (nullopt: unknown, addresses not checked).
template <class F>
std::optional<address_type> address_kind(const basic_endpoint_slice<F>& s) noexcept {
  if constexpr (std::is_same_v<F, raw>) {
    return s.address_type ? parse_address_type(*s.address_type) : std::nullopt;
  } else {
    return F::type;
  }
}

template <class F>
void check_slice_address(field_errors& out, const std::string& path, const typename F::address& a,
                         std::optional<address_type> kind) {
  if constexpr (std::is_same_v<F, ipv4>) {
    // Typed addresses parsed already; only the special ranges remain (text formatted on error).
    if (special_address_words(a)) check_special(out, path, to_string(a), a);
  } else if constexpr (std::is_same_v<F, ipv6>) {
    if (special_address_words(a) || a.is_v4_mapped()) check_ipv6_address(out, path, to_string(a), a);
  } else {
    // fqdn and raw hold text.
    if (!kind) return;
    switch (*kind) {
      case address_type::ipv4: check_ipv4_address(out, path, a); break;
      case address_type::ipv6: check_ipv6_address(out, path, a); break;
      case address_type::fqdn: check_fqdn_address(out, path, a); break;
    }
  }
}

inline void check_hints(field_errors& out, const std::string& path, const endpoint_hints& hints) {
  const std::string zones_path = child(path, "forZones");
  if (hints.for_zones.size() > validation_limits::max_zone_hints) {
    add_too_many(out, zones_path, hints.for_zones.size(), validation_limits::max_zone_hints);
  } else {
    std::set<std::string_view> seen;
    for (std::size_t k = 0; k < hints.for_zones.size(); ++k) {
      const std::string& zone = hints.for_zones[k].name;
      const std::string zone_path = child(indexed(zones_path, k), "name");
      if (!seen.insert(zone).second)
        add_error(out, zone_path, error_type::duplicate, quote_value(zone), "zone hints must be unique");
      add_each(out, zone_path, zone, label_value_problems(zone));
    }
  }
  const std::string nodes_path = child(path, "forNodes");
  if (hints.for_nodes.size() > validation_limits::max_node_hints) {
    add_too_many(out, nodes_path, hints.for_nodes.size(), validation_limits::max_node_hints);
  } else {
    for (std::size_t k = 0; k < hints.for_nodes.size(); ++k) {
      const std::string& node_name = hints.for_nodes[k].name;
      add_each(out, child(indexed(nodes_path, k), "name"), node_name, dns1123_subdomain_problems(node_name));
    }
  }
}

template <class F>
void validate_slice_endpoints(field_errors& out, const basic_endpoint_slice<F>& s, bool limit_endpoints = true) {
  if (limit_endpoints && s.endpoints.size() > validation_limits::max_endpoints) {
    // Upstream stops here: no endpoint of an oversized list is looked at.
    add_too_many(out, "endpoints", s.endpoints.size(), validation_limits::max_endpoints);
    return;
  }
  const std::optional<address_type> kind = address_kind(s);
  for (std::size_t i = 0; i < s.endpoints.size(); ++i) {
    const auto& e = s.endpoints[i];
    const std::string ep = indexed("endpoints", i);
    const std::string addresses_path = child(ep, "addresses");
    if (e.addresses.empty())
      add_error(out, addresses_path, error_type::required, {}, "must contain at least 1 address");
    else if (e.addresses.size() > validation_limits::max_addresses)
      add_too_many(out, addresses_path, e.addresses.size(), validation_limits::max_addresses);
    for (std::size_t j = 0; j < e.addresses.size(); ++j) {
      // The path is built only when an address has a problem.
      field_errors found;
      check_slice_address<F>(found, std::string(), e.addresses[j], kind);
      for (auto& err : found) {
        err.path = indexed(addresses_path, j);
        out.push_back(std::move(err));
      }
    }
    if (e.node_name) add_each(out, child(ep, "nodeName"), *e.node_name, dns1123_subdomain_problems(*e.node_name));
    if (!e.deprecated_topology.empty()) {
      const std::string topology_path = child(ep, "deprecatedTopology");
      if (e.deprecated_topology.size() > validation_limits::max_topology_labels)
        add_too_many(out, topology_path, e.deprecated_topology.size(), validation_limits::max_topology_labels);
      check_labels(out, topology_path, e.deprecated_topology);
      if (e.deprecated_topology.count(well_known::zone_label) != 0)
        add_error(out, topology_path + "[" + std::string(well_known::zone_label) + "]", error_type::internal, {},
                  "the zone key is reserved: conversion to v1 should have moved it to the zone field");
    }
    if (e.hostname) check_dns1123_label(out, child(ep, "hostname"), *e.hostname);
    if (e.hints) check_hints(out, child(ep, "hints"), *e.hints);
  }
}

inline void validate_slice_ports(field_errors& out, const std::vector<endpoint_port>& ports) {
  if (ports.size() > validation_limits::max_ports) {
    add_too_many(out, "ports", ports.size(), validation_limits::max_ports);
    return;
  }
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const endpoint_port& p = ports[i];
    const std::string port_path = indexed("ports", i);
    // An absent name is what the API server defaults to "".
    const std::string_view name = p.name ? std::string_view(*p.name) : std::string_view();
    if (!name.empty()) check_dns1123_label(out, child(port_path, "name"), name);
    if (!names.insert(name).second)
      add_error(out, child(port_path, "name"), error_type::duplicate, quote_value(name),
                "port names must be unique within the slice (one port may have an empty name)");
    if (!p.protocol)
      add_error(out, child(port_path, "protocol"), error_type::required, {}, "must be TCP, UDP or SCTP");
    else if (!is_supported_protocol(*p.protocol))
      add_error(out, child(port_path, "protocol"), error_type::not_supported, quote_value(*p.protocol),
                std::string(supported_protocols_words));
    if (p.app_protocol)
      add_each(out, child(port_path, "appProtocol"), *p.app_protocol, qualified_name_problems(*p.app_protocol));
  }
}

template <class F>
void validate_address_type(field_errors& out, const basic_endpoint_slice<F>& s, const validation_options& options) {
  if constexpr (std::is_same_v<F, raw>) {
    if (!s.address_type || s.address_type->empty())
      add_error(out, "addressType", error_type::required, {}, "must be IPv4, IPv6 or FQDN");
    else if (options.accept_legacy_ip_type && *s.address_type == "IP")
      return;
    else if (!parse_address_type(*s.address_type))
      add_error(out, "addressType", error_type::not_supported, quote_value(*s.address_type),
                std::string(supported_address_types_words));
  } else {
    (void)out;
    (void)s;
    (void)options;
  }
}

// One address of a legacy Endpoints subset.
inline void validate_endpoint_address(field_errors& out, const std::string& path, const endpoint_address& a) {
  const std::string ip_path = child(path, "ip");
  if (auto ip = parse_ip(a.ip)) {
    std::visit([&](const auto& x) { check_special(out, ip_path, a.ip, x); }, *ip);
  } else {
    add_error(out, ip_path, error_type::invalid, quote_value(a.ip), not_an_ip_words("IP address", a.ip));
  }
  if (!a.hostname.empty()) check_dns1123_label(out, child(path, "hostname"), a.hostname);
  if (a.node_name) add_each(out, child(path, "nodeName"), *a.node_name, dns1123_subdomain_problems(*a.node_name));
}

// One port of a legacy Endpoints subset; `require_name` when the subset has more than one port.
inline void validate_endpoints_port(field_errors& out, const std::string& path, const endpoints_port& p,
                                    bool require_name) {
  if (require_name && p.name.empty())
    add_error(out, child(path, "name"), error_type::required, {},
              "every port must be named when a subset has more than one port");
  else if (!p.name.empty())
    check_dns1123_label(out, child(path, "name"), p.name);
  if (!is_valid_port_number(p.port))
    add_error(out, child(path, "port"), error_type::invalid, std::to_string(p.port), "must be between 1 and 65535, inclusive");
  if (p.protocol.empty())
    add_error(out, child(path, "protocol"), error_type::required, {}, "must be TCP, UDP or SCTP");
  else if (!is_supported_protocol(p.protocol))
    add_error(out, child(path, "protocol"), error_type::not_supported, quote_value(p.protocol),
              std::string(supported_protocols_words));
  if (p.app_protocol)
    add_each(out, child(path, "appProtocol"), *p.app_protocol, qualified_name_problems(*p.app_protocol));
}

}  // namespace detail

/// Validate an EndpointSlice as the API server does on create; returns every problem found
/// (empty when valid) and never throws a validation problem (only std::bad_alloc).
///
/// Steps, in the API server's order:
/// 1. metadata: name a DNS-1123 subdomain (or generateName), namespace required and a DNS-1123
///    label, labels, annotations (keys and 256 KiB total), owner references;
/// 2. addressType (raw slices only; a typed slice's family is its address type): absent or empty
///    is Required, anything but `IPv4`, `IPv6`, `FQDN` (including the legacy `IP`) NotSupported;
/// 3. endpoints: at most 1000 (else one TooMany and nothing more about endpoints); per endpoint
///    1..100 addresses, each address by the address type (strict IP parsing, no special ranges;
///    FQDN rule; unknown types unchecked), nodeName, deprecatedTopology (<= 16 valid labels, no
///    zone key), hostname (DNS-1123 label), hints (<= 8 unique zone names that are label values,
///    <= 8 node names);
/// 4. ports: at most 20000 (else one TooMany); names DNS-1123 labels and unique (an absent name
///    counts as ""), protocol present and TCP/UDP/SCTP, appProtocol a qualified name.
template <class F>
[[nodiscard]] field_errors validate(const basic_endpoint_slice<F>& slice) {
  return validate(slice, validation_options{});
}

/// Validate a slice of any family (see the template overload).
[[nodiscard]] inline field_errors validate(const any_endpoint_slice& slice) {
  return std::visit([](const auto& s) { return validate(s); }, slice);
}

/// Validate a slice with options: every rule of validate(slice), less those the options turn off.
template <class F>
[[nodiscard]] field_errors validate(const basic_endpoint_slice<F>& slice, const validation_options& options) {
  field_errors out;
  detail::validate_object_meta(out, slice.metadata);
  detail::validate_address_type(out, slice, options);
  detail::validate_slice_endpoints(out, slice, options.limit_endpoints);
  detail::validate_slice_ports(out, slice.ports);
  return out;
}

/// Validate a slice of any family with options.
[[nodiscard]] inline field_errors validate(const any_endpoint_slice& slice, const validation_options& options) {
  return std::visit([&](const auto& s) { return validate(s, options); }, slice);
}

/// Validate an update of a slice: the create rules applied to `new_slice`, plus the immutability
/// of `addressType` (an Invalid error on `addressType` when the text differs from the old one;
/// an absent type and an empty one are the same). Metadata update rules (resourceVersion,
/// immutable name) belong to the generic API machinery and are not checked here, as upstream's
/// ValidateEndpointSliceUpdate does not check them.
[[nodiscard]] inline field_errors validate_update(const any_endpoint_slice& old_slice,
                                                  const any_endpoint_slice& new_slice) {
  field_errors out = validate(new_slice);
  const std::string_view before = address_type_name(old_slice);
  const std::string_view after = address_type_name(new_slice);
  if (before != after)
    detail::add_error(out, "addressType", error_type::invalid, quote_value(after),
                      "may not be changed after creation (was " + quote_value(before) + ")");
  return out;
}

/// Validate a legacy Endpoints object as the API server does (create and update alike).
///
/// 1. metadata, as for slices (name a DNS-1123 subdomain, namespace required);
/// 2. per subset: at least one address or notReadyAddress (Required on `subsets[i]`);
/// 3. per address (`addresses[j]` and `notReadyAddresses[j]`): `ip` an IPv4 or IPv6 address
///    (strict parsing) outside the unspecified, loopback and link-local ranges, exactly one
///    error when it is not; `hostname` if set a DNS-1123 label; `nodeName` if set a valid node
///    name;
/// 4. per port: a name is required when the subset has more than one port, and a set name must be
///    a DNS-1123 label; port 1..65535; protocol present and TCP/UDP/SCTP; appProtocol a qualified
///    name. Like upstream, port names are not checked for uniqueness.
[[nodiscard]] inline field_errors validate(const endpoints& eps) {
  field_errors out;
  detail::validate_object_meta(out, eps.metadata);
  for (std::size_t i = 0; i < eps.subsets.size(); ++i) {
    const endpoint_subset& ss = eps.subsets[i];
    const std::string subset_path = detail::indexed("subsets", i);
    if (ss.addresses.empty() && ss.not_ready_addresses.empty())
      detail::add_error(out, subset_path, error_type::required, {},
                        "a subset must have at least one entry in addresses or notReadyAddresses");
    const std::string ready_path = detail::child(subset_path, "addresses");
    for (std::size_t j = 0; j < ss.addresses.size(); ++j)
      detail::validate_endpoint_address(out, detail::indexed(ready_path, j), ss.addresses[j]);
    const std::string not_ready_path = detail::child(subset_path, "notReadyAddresses");
    for (std::size_t j = 0; j < ss.not_ready_addresses.size(); ++j)
      detail::validate_endpoint_address(out, detail::indexed(not_ready_path, j), ss.not_ready_addresses[j]);
    const std::string ports_path = detail::child(subset_path, "ports");
    for (std::size_t j = 0; j < ss.ports.size(); ++j)
      detail::validate_endpoints_port(out, detail::indexed(ports_path, j), ss.ports[j], ss.ports.size() > 1);
  }
  return out;
}

/// Validate a decoded object with the API server's strict view (strict field validation on): the
/// problems found while decoding it (wrong JSON types, numbers out of range, a limit passed),
/// then every repeated key (`metadata.labels.app: Duplicate value: "app"`), then, when it decoded
/// without problems, its value by validate() (EndpointSlices and Endpoints; raw objects have no
/// value rules here). Paths are relative to the object (see decoded_object::location).
[[nodiscard]] inline field_errors validate(const decoded_object& o) {
  field_errors out(o.problems.begin(), o.problems.end());
  out.insert(out.end(), o.duplicates.begin(), o.duplicates.end());
  if (!o.problems.empty()) return out;
  field_errors value;
  if (const auto* s = o.value.get_if<any_endpoint_slice>()) value = validate(*s);
  else if (const auto* e = o.value.get_if<endpoints>()) value = validate(*e);
  out.insert(out.end(), std::make_move_iterator(value.begin()), std::make_move_iterator(value.end()));
  return out;
}

}  // namespace epslice
