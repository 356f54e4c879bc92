// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the address parsers and formatters against glibc's inet_pton/inet_ntop.
//
// The input is the text of an address (any bytes); its first 16 bytes are also read as a binary
// IPv6 address and its first 4 as an IPv4 address. Invariants:
//  1. parse_ipv4 and parse_ipv6 accept exactly what inet_pton accepts, with the same bytes (text
//     with a NUL byte, which inet_pton would cut short, is refused);
//  2. parse_ip is parse_ipv4, else parse_ipv6;
//  3. every address, parsed or binary, formats to text that parses back to it, and its canonical
//     form to the text inet_ntop writes, but for the known difference below; a parsed IPv6
//     address formats to exactly the text it was parsed from, and is canonical (written == 0)
//     exactly when that text is the canonical one;
//  4. an IPv4 or IPv6 slice's validation reports an error on `endpoints[0].addresses[0]` exactly
//     when the text does not parse or names the unspecified, loopback or link-local ranges, or, in
//     an IPv6 slice, an IPv4-mapped address; a dotted quad with a leading zero is named as such;
//  5. an FQDN address is accepted by fqdn::parse and by validation exactly when a reference
//     implementation of the API's rule accepts it (an optional trailing dot, at most 253
//     characters, at least two labels, each 1..63 of [a-z0-9-] starting and ending with [a-z0-9]).
//
// Accepted differences with glibc (issue #13's decision):
//  - inet_ntop writes an IPv4-compatible address (96 zero bits, then anything but ::/::1's
//    pattern) as `::1.2.3.4`; Kubernetes, like Go, writes `::102:304`, and so does epslice; only
//    IPv4-mapped addresses are written in mixed notation (`::ffff:1.2.3.4`) by both;
//  - inet_pton accepts IPv4-mapped forms (`::ffff:1.2.3.4`), and so does parse_ipv6: it is the
//    validation of IPv6 slices that refuses them (step 4);
//  - IPv4 with leading zeros (`010.0.0.1`): epslice refuses it as ambiguous; glibc 2.36 refuses
//    it as well, so step 1 checks that they agree.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <epslice/address.hpp>
#include <epslice/validation.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_support.hpp"

namespace {

using namespace epslice;

std::optional<ipv4_address> glibc_v4(const std::string& s) {
  ipv4_address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}
std::optional<ipv6_address> glibc_v6(const std::string& s) {
  ipv6_address a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}
std::string glibc_text(const ipv4_address& a) {
  char buf[INET_ADDRSTRLEN];
  const char* r = inet_ntop(AF_INET, a.bytes.data(), buf, sizeof buf);
  EPSLICE_FUZZ_CHECK(r != nullptr, "inet_ntop(AF_INET) failed");
  return buf;
}
std::string glibc_text(const ipv6_address& a) {
  char buf[INET6_ADDRSTRLEN];
  const char* r = inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf);
  EPSLICE_FUZZ_CHECK(r != nullptr, "inet_ntop(AF_INET6) failed");
  return buf;
}

void check_format(const ipv4_address& a) {
  const std::string text = to_string(a);
  EPSLICE_FUZZ_CHECK(parse_ipv4(text) == a, "IPv4 " + text + " does not parse back");
  EPSLICE_FUZZ_CHECK(text == glibc_text(a), "IPv4 " + text + ", glibc " + glibc_text(a));
}

void check_format(const ipv6_address& written) {
  EPSLICE_FUZZ_CHECK(parse_ipv6(to_string(written)) == written, "IPv6 " + to_string(written) + " does not parse back");
  const ipv6_address a = written.canonical();
  const std::string text = to_string(a);
  EPSLICE_FUZZ_CHECK(parse_ipv6(text) == a, "IPv6 " + text + " does not parse back");
  const std::string glibc = glibc_text(a);
  if (glibc.find('.') != std::string::npos && !a.is_v4_mapped()) {
    // The accepted difference: glibc's `::a.b.c.d`, Kubernetes' hex groups.
    EPSLICE_FUZZ_CHECK(text.find('.') == std::string::npos, "IPv6 " + text + " in mixed notation, not mapped");
    EPSLICE_FUZZ_CHECK(glibc_v6(glibc) == a, glibc);
  } else {
    EPSLICE_FUZZ_CHECK(text == glibc, "IPv6 " + text + ", glibc " + glibc);
  }
}

template <class Address>
bool special(const Address& a) {
  return is_unspecified(a) || is_loopback(a) || is_link_local_unicast(a) || is_link_local_multicast(a);
}

// The errors of a raw slice holding one endpoint with this address.
field_errors address_errors(std::string_view type, std::string_view text) {
  endpoint_slice_raw s;
  s.metadata.name = "a";
  s.metadata.namespace_ = "b";
  s.address_type = std::string(type);
  endpoint_raw e;
  e.addresses.push_back(std::string(text));
  s.endpoints.push_back(std::move(e));
  field_errors out;
  for (auto& err : validate(s))
    if (err.path.rfind("endpoints[0].addresses", 0) == 0) out.push_back(std::move(err));
  return out;
}

bool has_leading_zero_quad(std::string_view s) {
  int parts = 0;
  bool zero = false;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    const std::size_t len = i - start;
    if (len == 0 || len > 3 || std::stoi(std::string(s.substr(start, len))) > 255) return false;
    if (len > 1 && s[start] == '0') zero = true;
    ++parts;
    if (i == s.size()) return parts == 4 && zero;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

bool reference_fqdn(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  std::size_t labels = 0, start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(label.front()) || !alnum(label.back())) return false;
    for (char c : label)
      if (!alnum(c) && c != '-') return false;
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const bool has_nul = text.find('\0') != std::string::npos;

  // 1. Parsing against inet_pton.
  const auto v4 = parse_ipv4(text);
  const auto v6 = parse_ipv6(text);
  if (has_nul) {
    EPSLICE_FUZZ_CHECK(!v4 && !v6, "text with a NUL byte parses");
  } else {
    const auto g4 = glibc_v4(text);
    const auto g6 = glibc_v6(text);
    EPSLICE_FUZZ_CHECK(v4 == g4, "parse_ipv4 and inet_pton disagree on \"" + text + "\"");
    EPSLICE_FUZZ_CHECK(v6.has_value() == g6.has_value() && (!v6 || v6->bytes == g6->bytes),
                       "parse_ipv6 and inet_pton disagree on \"" + text + "\"");
  }
  EPSLICE_FUZZ_CHECK(!(v4 && v6), "text parses as both families: " + text);

  // 2. parse_ip.
  const auto ip = parse_ip(text);
  if (v4) EPSLICE_FUZZ_CHECK(ip && std::get_if<ipv4_address>(&*ip) && *std::get_if<ipv4_address>(&*ip) == *v4, text);
  else if (v6) EPSLICE_FUZZ_CHECK(ip && std::get_if<ipv6_address>(&*ip) && *std::get_if<ipv6_address>(&*ip) == *v6, text);
  else EPSLICE_FUZZ_CHECK(!ip, "parse_ip accepts " + text);

  // 3. Formatting.
  if (v4) check_format(*v4);
  if (v6) {
    check_format(*v6);
    EPSLICE_FUZZ_CHECK(to_string(*v6) == text, "IPv6 \"" + text + "\" is written back as " + to_string(*v6));
    EPSLICE_FUZZ_CHECK((v6->written == 0) == (to_string(v6->canonical()) == text),
                       "IPv6 \"" + text + "\": canonical mark wrong");
  }
  if (size >= 4) {
    ipv4_address a;
    std::memcpy(a.bytes.data(), data, 4);
    check_format(a);
  }
  if (size >= 16) {
    ipv6_address a;
    std::memcpy(a.bytes.data(), data, 16);
    check_format(a);
  }

  // 4. Validation of IP addresses.
  const field_errors e4 = address_errors("IPv4", text);
  const bool bad4 = !v4 || special(*v4);
  EPSLICE_FUZZ_CHECK(bad4 == !e4.empty(), "IPv4 slice validation of \"" + text + "\"");
  EPSLICE_FUZZ_CHECK(e4.size() <= 1, "several errors for one IPv4 address");
  if (!v4 && has_leading_zero_quad(text))
    EPSLICE_FUZZ_CHECK(e4.front().detail.find("leading zeros") != std::string::npos, e4.front().message());
  const field_errors e6 = address_errors("IPv6", text);
  const bool bad6 = !v6 || special(*v6) || v6->is_v4_mapped();
  EPSLICE_FUZZ_CHECK(bad6 == !e6.empty(), "IPv6 slice validation of \"" + text + "\"");
  EPSLICE_FUZZ_CHECK(e6.size() <= 1, "several errors for one IPv6 address");

  // 5. FQDN.
  const bool fqdn_ok = reference_fqdn(text);
  EPSLICE_FUZZ_CHECK(fqdn::parse(text).has_value() == fqdn_ok, "fqdn::parse of \"" + text + "\"");
  const field_errors ef = address_errors("FQDN", text);
  EPSLICE_FUZZ_CHECK(fqdn_ok == ef.empty(), "FQDN slice validation of \"" + text + "\"");
  EPSLICE_FUZZ_CHECK(ef.size() <= 1, "several errors for one FQDN address");
  return 0;
}
