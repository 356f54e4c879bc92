// SPDX-License-Identifier: Apache-2.0
// Address families of EndpointSlices (IPv4, IPv6, FQDN, raw text): parse, format, compare, hash.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace epslice {

/// The `addressType` of an EndpointSlice.
enum class address_type : std::uint8_t { ipv4, ipv6, fqdn };

/// The Kubernetes spelling of an address type: `IPv4`, `IPv6`, `FQDN`.
[[nodiscard]] constexpr std::string_view to_string(address_type t) noexcept {
  switch (t) {
    case address_type::ipv4: return "IPv4";
    case address_type::ipv6: return "IPv6";
    case address_type::fqdn: return "FQDN";
  }
  return "IPv4";
}

/// Parse `IPv4`, `IPv6` or `FQDN` (exact, case-sensitive as the API is); anything else, including
/// the legacy `IP`, is not an address type of discovery.k8s.io/v1.
[[nodiscard]] constexpr std::optional<address_type> parse_address_type(std::string_view s) noexcept {
  if (s == "IPv4") return address_type::ipv4;
  if (s == "IPv6") return address_type::ipv6;
  if (s == "FQDN") return address_type::fqdn;
  return std::nullopt;
}

/// An IPv4 address: 4 bytes in network order.
struct ipv4_address {
  std::array<std::uint8_t, 4> bytes{};

  /// The address as a host-order integer (10.0.0.1 -> 0x0a000001).
  [[nodiscard]] constexpr std::uint32_t to_uint() const noexcept {
    return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
           (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
  }
  /// The address of a host-order integer (0x0a000001 -> 10.0.0.1).
  [[nodiscard]] static constexpr ipv4_address from_uint(std::uint32_t v) noexcept {
    return ipv4_address{{static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                         static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}};
  }
  friend constexpr auto operator<=>(const ipv4_address&, const ipv4_address&) = default;
};

/// An IPv6 address: 16 bytes in network order.
struct ipv6_address {
  std::array<std::uint8_t, 16> bytes{};
  /// How the text was written, when it was not the canonical (RFC 5952) text of `bytes`: 0 for
  /// canonical text (and for addresses built from bytes). parse_ipv6 records it and format_to
  /// writes it back, so `FD00:10:244:0:0:0:0:1` round-trips as written, as the API server stores
  /// it. Equality, ordering and hashing include it: two addresses are equal when their texts are,
  /// as upstream compares address text. `canonical()` drops it; the special-range predicates
  /// (is_loopback, ...) read the bytes alone.
  std::uint64_t written = 0;

  /// The same address, written canonically.
  [[nodiscard]] constexpr ipv6_address canonical() const noexcept { return ipv6_address{bytes, 0}; }

  /// True for IPv4-mapped addresses (`::ffff:a.b.c.d`).
  [[nodiscard]] constexpr bool is_v4_mapped() const noexcept {
    for (int i = 0; i < 10; ++i)
      if (bytes[static_cast<std::size_t>(i)] != 0) return false;
    return bytes[10] == 0xff && bytes[11] == 0xff;
  }
  friend constexpr auto operator<=>(const ipv6_address&, const ipv6_address&) = default;
};

namespace detail {

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Dotted quad, exactly four decimal parts 0..255, no leading zeros ("010" is octal to some parsers
// and decimal to others, so it is refused as ambiguous), no sign, no spaces.
constexpr bool parse_dotted_quad(std::string_view s, std::uint8_t* out) noexcept {
  std::size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    const std::size_t start = i;
    unsigned value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      if (i - start > 3) return false;
    }
    const std::size_t len = i - start;
    if (len == 0 || value > 255) return false;
    if (len > 1 && s[start] == '0') return false;
    out[part] = static_cast<std::uint8_t>(value);
  }
  return i == s.size();
}

constexpr void append_decimal(std::string& out, unsigned v) {
  char buf[4];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) out += buf[--n];
}

}  // namespace detail

/// Parse a dotted-quad IPv4 address. Leading zeros (`010.0.0.1`) are ambiguous and refused, as
/// are IPv6 forms (also `::ffff:1.2.3.4`), surrounding spaces and anything else.
[[nodiscard]] constexpr std::optional<ipv4_address> parse_ipv4(std::string_view s) noexcept {
  ipv4_address a;
  if (!detail::parse_dotted_quad(s, a.bytes.data())) return std::nullopt;
  return a;
}

namespace detail {

// The written form of an IPv6 address (ipv6_address::written), one 64-bit word:
//   bits 6k .. 6k+5 (group k = 0..7): the number of hex digits written minus one (bits 0-1) and
//     which of them were upper case (bits 2-5, bit 2 for the first digit); 0 for groups that
//     `::` stands for or that the dotted quad holds;
//   bits 54-57: how many groups `::` stands for (0: no `::`); bits 58-61: the first of them;
//   bit 62: the last two groups written as a dotted quad; bit 63: set (not canonical).
inline constexpr std::uint64_t v6_present = std::uint64_t{1} << 63;
inline constexpr std::uint64_t v6_dotted = std::uint64_t{1} << 62;
constexpr std::uint64_t v6_ellipsis(unsigned start, unsigned length) noexcept {
  return (std::uint64_t{start} << 58) | (std::uint64_t{length} << 54);
}
constexpr unsigned v6_ellipsis_start(std::uint64_t w) noexcept { return static_cast<unsigned>((w >> 58) & 15); }
constexpr unsigned v6_ellipsis_length(std::uint64_t w) noexcept { return static_cast<unsigned>((w >> 54) & 15); }
constexpr std::uint64_t v6_group(unsigned k, unsigned digits, unsigned upper) noexcept {
  return std::uint64_t{((digits - 1) & 3) | ((upper & 15) << 2)} << (6 * k);
}
constexpr unsigned v6_group_digits(std::uint64_t w, unsigned k) noexcept {
  return static_cast<unsigned>((w >> (6 * k)) & 3) + 1;
}
constexpr unsigned v6_group_upper(std::uint64_t w, unsigned k) noexcept {
  return static_cast<unsigned>((w >> (6 * k + 2)) & 15);
}

// The form RFC 5952 writes for these bytes (without the `set` bit): lowercase hex without leading
// zeros, the longest run of two or more zero groups (the first of equal runs) as `::`, and
// IPv4-mapped addresses with a dotted quad (`::ffff:192.0.2.1`).
constexpr std::uint64_t canonical_v6_form(const std::array<std::uint8_t, 16>& bytes) noexcept {
  unsigned groups[8] = {};
  for (std::size_t k = 0; k < 8; ++k) groups[k] = (unsigned{bytes[2 * k]} << 8) | bytes[2 * k + 1];
  bool mapped = groups[5] == 0xffff;
  for (std::size_t k = 0; k < 5; ++k) mapped = mapped && groups[k] == 0;
  const unsigned hex_groups = mapped ? 6 : 8;
  unsigned best_start = 0, best_len = 0;
  for (unsigned k = 0; k < hex_groups;) {
    if (groups[k] != 0) {
      ++k;
      continue;
    }
    unsigned e = k;
    while (e < hex_groups && groups[e] == 0) ++e;
    if (e - k > best_len) {
      best_start = k;
      best_len = e - k;
    }
    k = e;
  }
  if (best_len < 2) best_len = 0;
  std::uint64_t form = mapped ? v6_dotted : 0;
  if (best_len) form |= v6_ellipsis(best_start, best_len);
  for (unsigned k = 0; k < hex_groups; ++k) {
    if (best_len && k >= best_start && k < best_start + best_len) continue;
    const unsigned g = groups[k];
    form |= v6_group(k, g >= 0x1000 ? 4 : g >= 0x100 ? 3 : g >= 0x10 ? 2 : 1, 0);
  }
  return form;
}

}  // namespace detail

/// Parse an IPv6 address in any RFC 4291 text form: eight groups of 1..4 hex digits, one `::`
/// standing for one or more zero groups, an optional trailing dotted quad in place of the last two
/// groups. Zone identifiers (`%eth0`), prefixes and brackets are refused, as are IPv4 addresses.
/// Text that is not the canonical form is recorded in `written` (see ipv6_address).
[[nodiscard]] constexpr std::optional<ipv6_address> parse_ipv6(std::string_view s) noexcept {
  ipv6_address a;
  std::size_t group = 0;         // next group index (0..8)
  std::ptrdiff_t ellipsis = -1;  // group index where `::` stands
  bool dotted = false;
  unsigned digits_of[8] = {}, upper_of[8] = {};  // per written group, before `::` is expanded
  std::size_t i = 0;
  if (s.size() < 2) return std::nullopt;
  if (s[0] == ':') {
    if (s[1] != ':') return std::nullopt;
    ellipsis = 0;
    i = 2;
    if (i == s.size()) return a;  // "::"
  }
  while (i < s.size()) {
    if (group == 8) return std::nullopt;
    // One group: hex digits, or a dotted quad when it is the tail.
    std::size_t j = i;
    unsigned value = 0, upper = 0;
    while (j < s.size() && j - i < 5 && detail::hex_value(s[j]) >= 0) {
      value = value * 16 + static_cast<unsigned>(detail::hex_value(s[j]));
      if (s[j] >= 'A' && s[j] <= 'F' && j - i < 4) upper |= 1U << (j - i);
      ++j;
    }
    if (j < s.size() && s[j] == '.') {
      // Embedded IPv4: must be the last thing and leave room for two groups.
      if (group > 6) return std::nullopt;
      if (!detail::parse_dotted_quad(s.substr(i), a.bytes.data() + group * 2)) return std::nullopt;
      group += 2;
      dotted = true;
      i = s.size();
      break;
    }
    const std::size_t digits = j - i;
    if (digits == 0 || digits > 4) return std::nullopt;
    a.bytes[group * 2] = static_cast<std::uint8_t>(value >> 8);
    a.bytes[group * 2 + 1] = static_cast<std::uint8_t>(value);
    digits_of[group] = static_cast<unsigned>(digits);
    upper_of[group] = upper;
    ++group;
    i = j;
    if (i == s.size()) break;
    if (s[i] != ':') return std::nullopt;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (ellipsis >= 0) return std::nullopt;  // a second "::"
      ellipsis = static_cast<std::ptrdiff_t>(group);
      ++i;
      if (i == s.size()) break;  // trailing "::"
    } else if (i == s.size()) {
      return std::nullopt;  // trailing single ':'
    }
  }
  std::size_t shift = 0;
  if (ellipsis >= 0) {
    // "::" must stand for at least one group.
    if (group == 8) return std::nullopt;
    const std::size_t n = group - static_cast<std::size_t>(ellipsis);
    shift = 8 - group;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t from = (group - 1 - k) * 2;
      const std::size_t to = from + shift * 2;
      a.bytes[to] = a.bytes[from];
      a.bytes[to + 1] = a.bytes[from + 1];
    }
    for (std::size_t k = static_cast<std::size_t>(ellipsis) * 2;
         k < (static_cast<std::size_t>(ellipsis) + shift) * 2; ++k)
      a.bytes[k] = 0;
  } else if (group != 8) {
    return std::nullopt;
  }
  // The form as written, kept when it is not the canonical one.
  std::uint64_t form = dotted ? detail::v6_dotted : 0;
  if (ellipsis >= 0) form |= detail::v6_ellipsis(static_cast<unsigned>(ellipsis), static_cast<unsigned>(shift));
  const std::size_t hex_written = dotted ? group - 2 : group;
  for (std::size_t w = 0; w < hex_written; ++w) {
    const std::size_t k = ellipsis >= 0 && w >= static_cast<std::size_t>(ellipsis) ? w + shift : w;
    form |= detail::v6_group(static_cast<unsigned>(k), digits_of[w], upper_of[w]);
  }
  if (form != detail::canonical_v6_form(a.bytes)) a.written = form | detail::v6_present;
  return a;
}

/// Append the dotted-quad text of an IPv4 address.
inline void format_to(std::string& out, const ipv4_address& a) {
  for (std::size_t k = 0; k < 4; ++k) {
    if (k) out += '.';
    detail::append_decimal(out, a.bytes[k]);
  }
}

/// Append the text of an IPv6 address: as it was written (ipv6_address::written), else canonical
/// (RFC 5952): lowercase hex without leading zeros, the longest run of two or more zero groups
/// (the first of equal runs) shortened to `::`, and IPv4-mapped addresses in mixed notation
/// (`::ffff:192.0.2.1`).
inline void format_to(std::string& out, const ipv6_address& a) {
  static constexpr char lower[] = "0123456789abcdef";
  static constexpr char upper[] = "0123456789ABCDEF";
  const std::uint64_t form = a.written ? a.written : detail::canonical_v6_form(a.bytes);
  const bool dotted = (form & detail::v6_dotted) != 0;
  const unsigned hex_groups = dotted ? 6 : 8;
  const unsigned es = detail::v6_ellipsis_start(form), el = detail::v6_ellipsis_length(form);
  for (unsigned k = 0; k < hex_groups; ++k) {
    if (el && k == es) {
      out += "::";
      k += el - 1;
      continue;
    }
    if (k > 0 && !(el && k == es + el)) out += ':';
    const unsigned g = (unsigned{a.bytes[2 * k]} << 8) | a.bytes[2 * k + 1];
    const unsigned digits = detail::v6_group_digits(form, k), caps = detail::v6_group_upper(form, k);
    for (unsigned j = 0; j < digits; ++j) {
      const unsigned d = (g >> (4 * (digits - 1 - j))) & 15;
      out += (caps >> j) & 1 ? upper[d] : lower[d];
    }
  }
  if (dotted) {
    if (!(el && es + el == 6)) out += ':';
    for (std::size_t k = 12; k < 16; ++k) {
      if (k > 12) out += '.';
      detail::append_decimal(out, a.bytes[k]);
    }
  }
}

/// The text of an address (for IPv6 as it was written; `a.canonical()` for the canonical text).
template <class Address>
  requires requires(std::string& out, const Address& a) { format_to(out, a); }
[[nodiscard]] std::string to_string(const Address& a) {
  std::string out;
  format_to(out, a);
  return out;
}

/// Any IP address, as returned by parse_ip.
using ip_address = std::variant<ipv4_address, ipv6_address>;

/// Parse an IPv4 (dotted quad) or IPv6 address.
[[nodiscard]] constexpr std::optional<ip_address> parse_ip(std::string_view s) noexcept {
  if (auto v4 = parse_ipv4(s)) return ip_address{*v4};
  if (auto v6 = parse_ipv6(s)) return ip_address{*v6};
  return std::nullopt;
}

/// The special ranges the API server refuses as endpoint addresses (Go's net.IP predicates; an
/// IPv4-mapped IPv6 address is judged by its IPv4 part, as Go does).
[[nodiscard]] constexpr bool is_unspecified(const ipv4_address& a) noexcept { return a.to_uint() == 0; }
[[nodiscard]] constexpr bool is_loopback(const ipv4_address& a) noexcept { return a.bytes[0] == 127; }
[[nodiscard]] constexpr bool is_link_local_unicast(const ipv4_address& a) noexcept {
  return a.bytes[0] == 169 && a.bytes[1] == 254;
}
[[nodiscard]] constexpr bool is_link_local_multicast(const ipv4_address& a) noexcept {
  return a.bytes[0] == 224 && a.bytes[1] == 0 && a.bytes[2] == 0;
}
/// The last four bytes of an IPv6 address as an IPv4 address (the IPv4 part of `::ffff:a.b.c.d`).
[[nodiscard]] constexpr ipv4_address mapped_ipv4(const ipv6_address& a) noexcept {
  return ipv4_address{{a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]}};
}
[[nodiscard]] constexpr bool is_unspecified(const ipv6_address& a) noexcept {
  return a.bytes == ipv6_address{}.bytes || (a.is_v4_mapped() && is_unspecified(mapped_ipv4(a)));
}
[[nodiscard]] constexpr bool is_loopback(const ipv6_address& a) noexcept {
  if (a.is_v4_mapped()) return is_loopback(mapped_ipv4(a));
  ipv6_address one{};
  one.bytes[15] = 1;
  return a.bytes == one.bytes;
}
[[nodiscard]] constexpr bool is_link_local_unicast(const ipv6_address& a) noexcept {
  if (a.is_v4_mapped()) return is_link_local_unicast(mapped_ipv4(a));
  return a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;
}
[[nodiscard]] constexpr bool is_link_local_multicast(const ipv6_address& a) noexcept {
  if (a.is_v4_mapped()) return is_link_local_multicast(mapped_ipv4(a));
  return a.bytes[0] == 0xff && (a.bytes[1] & 0x0f) == 0x02;
}

namespace detail {
constexpr bool is_dns_label_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}
constexpr bool is_alnum_lower(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
}  // namespace detail

/// A DNS-1123 label: 1..63 of lowercase alphanumerics and '-', alphanumeric at both ends.
[[nodiscard]] constexpr bool is_dns1123_label(std::string_view s) noexcept {
  if (s.empty() || s.size() > 63) return false;
  if (!detail::is_alnum_lower(s.front()) || !detail::is_alnum_lower(s.back())) return false;
  for (char c : s)
    if (!detail::is_dns_label_char(c)) return false;
  return true;
}

/// A DNS-1123 subdomain: at most 253 characters, dot-separated DNS-1123 labels (each label only
/// needs alphanumeric ends; Kubernetes does not limit the label length inside a subdomain beyond
/// the regular expression, which this follows).
[[nodiscard]] constexpr bool is_dns1123_subdomain(std::string_view s) noexcept {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || !detail::is_alnum_lower(label.front()) || !detail::is_alnum_lower(label.back()))
      return false;
    for (char c : label)
      if (!detail::is_dns_label_char(c)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

/// A fully qualified domain name as the API checks FQDN endpoint addresses: an optional trailing
/// dot, then a DNS-1123 subdomain (at most 253 characters without that dot) of at least two
/// labels, each of them a DNS-1123 label (so at most 63 characters).
[[nodiscard]] constexpr bool is_fully_qualified_domain_name(std::string_view s) noexcept {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (!is_dns1123_subdomain(s)) return false;
  if (s.find('.') == std::string_view::npos) return false;
  // Unlike a subdomain, every label of an FQDN is held to the DNS label length limit.
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? s.size() : dot;
    if (end - start > 63) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

/// The IPv4 address family: 4-byte addresses, `addressType: IPv4`.
struct ipv4 {
  using address = ipv4_address;
  static constexpr epslice::address_type type = epslice::address_type::ipv4;
  static constexpr std::string_view name = "IPv4";
  [[nodiscard]] static constexpr std::optional<address> parse(std::string_view s) noexcept { return parse_ipv4(s); }
  static void format(std::string& out, const address& a) { format_to(out, a); }
};

/// The IPv6 address family: 16-byte addresses, `addressType: IPv6`, RFC 5952 text.
struct ipv6 {
  using address = ipv6_address;
  static constexpr epslice::address_type type = epslice::address_type::ipv6;
  static constexpr std::string_view name = "IPv6";
  [[nodiscard]] static constexpr std::optional<address> parse(std::string_view s) noexcept { return parse_ipv6(s); }
  static void format(std::string& out, const address& a) { format_to(out, a); }
};

/// The FQDN address family: names kept as text, valid by the API's FQDN rule.
struct fqdn {
  using address = std::string;
  static constexpr epslice::address_type type = epslice::address_type::fqdn;
  static constexpr std::string_view name = "FQDN";
  [[nodiscard]] static std::optional<address> parse(std::string_view s) {
    if (!is_fully_qualified_domain_name(s)) return std::nullopt;
    return std::string(s);
  }
  static void format(std::string& out, const address& a) { out += a; }
};

/// The raw family: content that is not a valid typed slice (missing or unknown address type,
/// the legacy `IP` type, an address that does not parse). Address type and addresses stay as the
/// text they were given, so decoding never fails on them and validation can report each problem.
struct raw {
  using address = std::string;
  static constexpr std::string_view name = "raw";
  [[nodiscard]] static std::optional<address> parse(std::string_view s) { return std::string(s); }
  static void format(std::string& out, const address& a) { out += a; }
};

/// True for the three typed families (every family but raw).
template <class F>
inline constexpr bool is_typed_family_v =
    std::is_same_v<F, ipv4> || std::is_same_v<F, ipv6> || std::is_same_v<F, fqdn>;

namespace detail {
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace detail

}  // namespace epslice

template <>
struct std::hash<epslice::ipv4_address> {
  std::size_t operator()(const epslice::ipv4_address& a) const noexcept {
    return static_cast<std::size_t>(epslice::detail::mix64(a.to_uint()));
  }
};

template <>
struct std::hash<epslice::ipv6_address> {
  std::size_t operator()(const epslice::ipv6_address& a) const noexcept {
    std::uint64_t hi = 0, lo = 0;
    for (std::size_t k = 0; k < 8; ++k) hi = (hi << 8) | a.bytes[k];
    for (std::size_t k = 8; k < 16; ++k) lo = (lo << 8) | a.bytes[k];
    return static_cast<std::size_t>(epslice::detail::mix64(hi ^ epslice::detail::mix64(lo ^ a.written)));
  }
};
