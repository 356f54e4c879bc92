// SPDX-License-Identifier: Apache-2.0
// Tests of address.hpp: IPv4/IPv6 parsing and RFC 5952 text, ordering, hashing, special ranges, DNS names.
#include <epslice/address.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#if defined(__has_include)
#if __has_include(<arpa/inet.h>)
#include <arpa/inet.h>
#define EPSLICE_TEST_HAVE_INET 1
#endif
#endif

namespace {

using epslice::ipv4_address;
using epslice::ipv6_address;

#ifdef EPSLICE_SANITIZE_BUILD
constexpr int property_cases = 2000;
#else
constexpr int property_cases = 20000;
#endif

using bytes16 = std::array<std::uint8_t, 16>;

// Test-side decoder of the full form "xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx" (exactly 8 groups of
// exactly 4 hex digits), independent of the parser under test.
bytes16 full_form(std::string_view s) {
  REQUIRE(s.size() == 39);
  bytes16 out{};
  std::size_t n = 0;
  unsigned acc = 0;
  int digits = 0;
  for (char c : s) {
    if (c == ':') {
      REQUIRE(digits == 0);  // a group of four was just completed
      continue;
    }
    unsigned v = 0;
    if (c >= '0' && c <= '9') v = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') v = static_cast<unsigned>(c - 'a' + 10);
    else FAIL("bad test vector " << s);
    acc = (acc << 4) | v;
    if (++digits == 4) {
      out[n++] = static_cast<std::uint8_t>(acc >> 8);
      out[n++] = static_cast<std::uint8_t>(acc & 0xff);
      acc = 0;
      digits = 0;
    }
  }
  REQUIRE(n == 16);
  return out;
}

ipv6_address v6(std::string_view full) { return ipv6_address{full_form(full)}; }

// Test-side RFC 5952 formatter, written independently of the library's.
std::string reference_rfc5952(const ipv6_address& a) {
  static constexpr char hex[] = "0123456789abcdef";
  std::array<unsigned, 8> g{};
  for (std::size_t k = 0; k < 8; ++k) g[k] = (unsigned{a.bytes[2 * k]} << 8) | a.bytes[2 * k + 1];
  bool mapped = g[5] == 0xffff;
  for (std::size_t k = 0; k < 5; ++k) mapped = mapped && g[k] == 0;
  if (mapped) {
    return "::ffff:" + std::to_string(a.bytes[12]) + "." + std::to_string(a.bytes[13]) + "." +
           std::to_string(a.bytes[14]) + "." + std::to_string(a.bytes[15]);
  }
  // Longest run of zero groups by brute force, the first one winning ties.
  std::size_t best = 8, best_len = 0;
  for (std::size_t start = 0; start < 8; ++start) {
    std::size_t len = 0;
    while (start + len < 8 && g[start + len] == 0) ++len;
    if (len > best_len) {
      best = start;
      best_len = len;
    }
  }
  if (best_len < 2) best = 8;
  auto group_text = [&](unsigned v) {
    std::string t;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (v >> shift) & 15u;
      if (!t.empty() || d != 0 || shift == 0) t += hex[d];
    }
    return t;
  };
  std::string out;
  for (std::size_t k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    out += group_text(g[k]);
  }
  return out;
}

struct rng {
  std::mt19937_64 engine;
  explicit rng(std::uint64_t seed) : engine(seed) {}
  // Raw engine bits only: the engine's output sequence is fixed by the standard, distributions are not.
  std::uint64_t bits() { return engine(); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(bits() % n); }
  bool coin() { return (bits() & 1u) != 0; }
};

// A random IPv6 address with many zero groups and short groups, so that compression and leading
// zero removal are exercised; one in eight is IPv4-mapped.
ipv6_address random_v6(rng& r) {
  ipv6_address a;
  if (r.below(8) == 0) {
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    for (std::size_t k = 12; k < 16; ++k) a.bytes[k] = static_cast<std::uint8_t>(r.bits());
    return a;
  }
  for (std::size_t k = 0; k < 8; ++k) {
    unsigned v = 0;
    switch (r.below(4)) {
      case 0:
      case 1: v = 0; break;
      case 2: v = static_cast<unsigned>(r.bits() & 0xffffu); break;
      default: v = static_cast<unsigned>(r.bits() & ((1u << (1 + r.below(16))) - 1u)); break;
    }
    a.bytes[2 * k] = static_cast<std::uint8_t>(v >> 8);
    a.bytes[2 * k + 1] = static_cast<std::uint8_t>(v & 0xff);
  }
  return a;
}

// A random valid but usually non-canonical text of `a`: random padding, random case, any run of
// zero groups (maximal or not) as "::", and sometimes a dotted quad for the last 32 bits.
std::string random_text(rng& r, const ipv6_address& a) {
  static constexpr char lower[] = "0123456789abcdef";
  static constexpr char upper[] = "0123456789ABCDEF";
  const bool dotted = r.below(4) == 0;
  const std::size_t n = dotted ? 6 : 8;
  std::vector<std::string> groups;
  for (std::size_t k = 0; k < n; ++k) {
    const unsigned v = (unsigned{a.bytes[2 * k]} << 8) | a.bytes[2 * k + 1];
    std::string t;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (v >> shift) & 15u;
      if (!t.empty() || d != 0 || shift == 0) t += r.coin() ? upper[d] : lower[d];
    }
    const std::size_t width = t.size() + r.below(5 - t.size());
    groups.push_back(std::string(width - t.size(), '0') + t);
  }
  // Candidate runs: every [start, end) of zero groups.
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t e = s + 1; e <= n; ++e) {
      bool zero = true;
      for (std::size_t k = s; k < e; ++k)
        zero = zero && a.bytes[2 * k] == 0 && a.bytes[2 * k + 1] == 0;
      if (zero) runs.emplace_back(s, e);
    }
  const std::string quad = std::to_string(a.bytes[12]) + "." + std::to_string(a.bytes[13]) + "." +
                           std::to_string(a.bytes[14]) + "." + std::to_string(a.bytes[15]);
  auto join = [&](std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t k = from; k < to; ++k) {
      if (k > from) out += ':';
      out += groups[k];
    }
    return out;
  };
  if (runs.empty() || r.below(3) == 0) {
    std::string out = join(0, n);
    if (dotted) out += ":" + quad;
    return out;
  }
  const auto [s, e] = runs[r.below(runs.size())];
  std::string right = join(e, n);
  if (dotted) right += (right.empty() ? "" : ":") + quad;
  return join(0, s) + "::" + right;
}

std::string mutate(rng& r, std::string s) {
  static constexpr std::string_view alphabet = "0123456789abcdefABCDEFg:.:.%/ x-";
  const std::size_t edits = 1 + r.below(3);
  for (std::size_t k = 0; k < edits; ++k) {
    const std::size_t pos = s.empty() ? 0 : r.below(s.size() + 1);
    const char c = alphabet[r.below(alphabet.size())];
    switch (r.below(4)) {
      case 0:
        if (pos < s.size()) s.erase(pos, 1);
        break;
      case 1: s.insert(pos, 1, c); break;
      case 2:
        if (pos < s.size()) s[pos] = c;
        break;
      default:
        if (pos < s.size()) s.insert(pos, s.substr(pos, 1 + r.below(3)));
        break;
    }
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// IPv4

TEST_CASE("address: IPv4 valid dotted quads", "[address]") {
  struct case_t {
    std::string_view input;
    std::array<std::uint8_t, 4> want;
  };
  const case_t cases[] = {
      {"0.0.0.0", {0, 0, 0, 0}},
      {"255.255.255.255", {255, 255, 255, 255}},
      {"1.2.3.4", {1, 2, 3, 4}},
      {"10.0.0.1", {10, 0, 0, 1}},
      {"10.1.2.3", {10, 1, 2, 3}},
      {"192.168.1.1", {192, 168, 1, 1}},
      {"127.0.0.1", {127, 0, 0, 1}},
      {"100.64.0.0", {100, 64, 0, 0}},
      {"8.8.8.8", {8, 8, 8, 8}},
      {"1.0.0.0", {1, 0, 0, 0}},
      {"0.0.0.1", {0, 0, 0, 1}},
      {"9.99.199.249", {9, 99, 199, 249}},
      {"250.251.252.253", {250, 251, 252, 253}},
      {"172.16.254.1", {172, 16, 254, 1}},
      {"224.0.0.251", {224, 0, 0, 251}},
      {"169.254.169.254", {169, 254, 169, 254}},
      {"0.10.100.200", {0, 10, 100, 200}},
      {"199.200.201.255", {199, 200, 201, 255}},
      {"123.45.67.89", {123, 45, 67, 89}},
      {"20.30.40.50", {20, 30, 40, 50}},
      {"254.0.0.254", {254, 0, 0, 254}},
      {"192.0.2.1", {192, 0, 2, 1}},
  };
  for (const auto& tc : cases) {
    INFO("input: " << tc.input);
    const auto got = epslice::parse_ipv4(tc.input);
    REQUIRE(got.has_value());
    CHECK(got->bytes == tc.want);
    // Every valid input here is already in canonical form.
    CHECK(epslice::to_string(*got) == tc.input);
    const auto ip = epslice::parse_ip(tc.input);
    REQUIRE(ip.has_value());
    REQUIRE(std::holds_alternative<ipv4_address>(*ip));
    CHECK(std::get<ipv4_address>(*ip) == *got);
    // IPv4 text is never IPv6 text.
    CHECK_FALSE(epslice::parse_ipv6(tc.input).has_value());
  }
}

TEST_CASE("address: IPv4 invalid text", "[address]") {
  struct case_t {
    std::string_view name;
    std::string_view input;
  };
  const case_t cases[] = {
      {"empty", ""},
      {"dot", "."},
      {"one part", "1"},
      {"single integer", "4294967295"},
      {"two parts", "127.1"},
      {"three parts", "1.2.3"},
      {"five parts", "1.2.3.4.5"},
      {"trailing dot", "1.2.3.4."},
      {"leading dot", ".1.2.3.4"},
      {"empty part", "1..2.3"},
      {"empty last part", "1.2.3."},
      {"three dots only", "..."},
      {"256 first", "256.0.0.0"},
      {"256 last", "0.0.0.256"},
      {"300", "300.1.1.1"},
      {"999", "999.0.0.0"},
      {"four digits", "1000.0.0.0"},
      {"vector bad-ip", "123.456.789.012"},
      {"leading zero first", "01.2.3.4"},
      {"leading zero second", "1.02.3.4"},
      {"leading zero last", "1.2.3.04"},
      {"double zero", "00.0.0.0"},
      {"octal-looking", "010.0.0.1"},
      {"four-digit octal-looking", "0127.0.0.1"},
      {"leading zero 255", "1.2.3.0255"},
      {"hex part", "0x1.2.3.4"},
      {"hex loopback", "0x7f.0.0.1"},
      {"hex last part", "1.2.3.0x4"},
      {"letters", "a.b.c.d"},
      {"letter last", "1.2.3.a"},
      {"exponent", "1e0.0.0.0"},
      {"leading space", " 1.2.3.4"},
      {"trailing space", "1.2.3.4 "},
      {"inner space", "1. 2.3.4"},
      {"trailing newline", "1.2.3.4\n"},
      {"tab", "1.2.3.4\t"},
      {"plus sign", "+1.2.3.4"},
      {"minus sign", "-1.2.3.4"},
      {"inner plus", "1.+2.3.4"},
      {"inner minus", "1.-2.3.4"},
      {"negative zero", "1.2.3.-0"},
      {"prefix", "1.2.3.4/32"},
      {"port", "1.2.3.4:80"},
      {"zone", "1.2.3.4%eth0"},
      {"brackets", "[1.2.3.4]"},
      {"commas", "1,2,3,4"},
      {"IPv4-mapped IPv6", "::ffff:1.2.3.4"},
      {"IPv4-compatible IPv6", "::1.2.3.4"},
      {"IPv6 loopback", "::1"},
      {"IPv6 full", "1:2:3:4:5:6:7:8"},
      {"arabic-indic digits", "\xd9\xa1.\xd9\xa2.\xd9\xa3.\xd9\xa4"},
      {"fullwidth digit", "\xef\xbc\x91.2.3.4"},
      {"embedded NUL", std::string_view("1.2.3.4\0", 8)},
      {"NUL inside", std::string_view("1.2\0.3.4", 8)},
  };
  for (const auto& tc : cases) {
    INFO(tc.name << ": \"" << tc.input << "\"");
    CHECK_FALSE(epslice::parse_ipv4(tc.input).has_value());
    CHECK_FALSE(epslice::ipv4::parse(tc.input).has_value());
  }
}

TEST_CASE("address: IPv4 integer conversion", "[address]") {
  CHECK(epslice::parse_ipv4("10.0.0.1")->to_uint() == 0x0a000001u);
  CHECK(epslice::parse_ipv4("255.255.255.255")->to_uint() == 0xffffffffu);
  CHECK(epslice::parse_ipv4("0.0.0.0")->to_uint() == 0u);
  CHECK(epslice::parse_ipv4("1.2.3.4")->to_uint() == 0x01020304u);
  CHECK(ipv4_address::from_uint(0xc0000201u) == *epslice::parse_ipv4("192.0.2.1"));
  rng r(0x5eed0001);
  for (int k = 0; k < property_cases; ++k) {
    const auto v = static_cast<std::uint32_t>(r.bits());
    const auto a = ipv4_address::from_uint(v);
    REQUIRE(a.to_uint() == v);
    const std::string text = epslice::to_string(a);
    const auto back = epslice::parse_ipv4(text);
    REQUIRE(back.has_value());
    REQUIRE(*back == a);
  }
}

// ---------------------------------------------------------------------------------------------
// IPv6

TEST_CASE("address: IPv6 valid forms and their RFC 5952 text", "[address]") {
  struct case_t {
    std::string_view input;
    std::string_view full;       // the 16 bytes, as 8 groups of 4 hex digits
    std::string_view canonical;  // RFC 5952
  };
  const case_t cases[] = {
      // Full form, with and without leading zeros.
      {"2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"},
      {"2001:db8:0:0:0:ff00:42:8329", "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"},
      {"2001:db8::ff00:42:8329", "2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"},
      {"1:2:3:4:5:6:7:8", "0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8"},
      {"abcd:ef01:2345:6789:abcd:ef01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"0000:0000:0000:0000:0000:0000:0000:0001", "0000:0000:0000:0000:0000:0000:0000:0001", "::1"},
      {"0:0:0:0:0:0:0:0", "0000:0000:0000:0000:0000:0000:0000:0000", "::"},
      // Upper case hex is accepted and printed lower case.
      {"ABCD:EF01:2345:6789:ABCD:EF01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"},
      {"FE80::1", "fe80:0000:0000:0000:0000:0000:0000:0001", "fe80::1"},
      {"FE80:0000:0000:0000:0202:B3FF:FE1E:8329", "fe80:0000:0000:0000:0202:b3ff:fe1e:8329", "fe80::202:b3ff:fe1e:8329"},
      {"2001:DB8::A", "2001:0db8:0000:0000:0000:0000:0000:000a", "2001:db8::a"},
      {"2001:Db8::aB", "2001:0db8:0000:0000:0000:0000:0000:00ab", "2001:db8::ab"},
      // "::" alone, at the start, in the middle, at the end.
      {"::", "0000:0000:0000:0000:0000:0000:0000:0000", "::"},
      {"::1", "0000:0000:0000:0000:0000:0000:0000:0001", "::1"},
      {"::2", "0000:0000:0000:0000:0000:0000:0000:0002", "::2"},
      {"1::", "0001:0000:0000:0000:0000:0000:0000:0000", "1::"},
      {"fe80::", "fe80:0000:0000:0000:0000:0000:0000:0000", "fe80::"},
      {"ffff::", "ffff:0000:0000:0000:0000:0000:0000:0000", "ffff::"},
      {"fe80::1", "fe80:0000:0000:0000:0000:0000:0000:0001", "fe80::1"},
      {"ff02::1", "ff02:0000:0000:0000:0000:0000:0000:0001", "ff02::1"},
      {"2001:db8::", "2001:0db8:0000:0000:0000:0000:0000:0000", "2001:db8::"},
      {"2001:db8:85a3::8a2e:370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3::8a2e:370:7334"},
      {"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8:85a3::8a2e:370:7334"},
      {"2001:4860:4860::8888", "2001:4860:4860:0000:0000:0000:0000:8888", "2001:4860:4860::8888"},
      {"a00:100::4", "0a00:0100:0000:0000:0000:0000:0000:0004", "a00:100::4"},
      {"::a:b:c:d:e:f", "0000:0000:000a:000b:000c:000d:000e:000f", "::a:b:c:d:e:f"},
      {"a:b:c:d:e:f::", "000a:000b:000c:000d:000e:000f:0000:0000", "a:b:c:d:e:f::"},
      {"1:2:3:4::5:6:7", "0001:0002:0003:0004:0000:0005:0006:0007", "1:2:3:4:0:5:6:7"},
      // "::" standing for a single group: accepted, but RFC 5952 4.2.2 prints the single 0.
      {"1:2:3:4:5:6:7::", "0001:0002:0003:0004:0005:0006:0007:0000", "1:2:3:4:5:6:7:0"},
      {"::2:3:4:5:6:7:8", "0000:0002:0003:0004:0005:0006:0007:0008", "0:2:3:4:5:6:7:8"},
      {"1::3:4:5:6:7:8", "0001:0000:0003:0004:0005:0006:0007:0008", "1:0:3:4:5:6:7:8"},
      {"1:2:3:4:5:6::8", "0001:0002:0003:0004:0005:0006:0000:0008", "1:2:3:4:5:6:0:8"},
      {"2001:db8:0:1:1:1:1:1", "2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"},
      // "::" written in a non-maximal place, or beside explicit zero groups.
      {"0:0::0:0", "0000:0000:0000:0000:0000:0000:0000:0000", "::"},
      {"::0:0:0:0:0:0:0", "0000:0000:0000:0000:0000:0000:0000:0000", "::"},
      {"0:0:0:0:0:0:0::", "0000:0000:0000:0000:0000:0000:0000:0000", "::"},
      {"0:0:0::1", "0000:0000:0000:0000:0000:0000:0000:0001", "::1"},
      {"1:0::0:2", "0001:0000:0000:0000:0000:0000:0000:0002", "1::2"},
      // Longest run wins; the first of equal runs wins.
      {"2001:0:0:1:0:0:0:1", "2001:0000:0000:0001:0000:0000:0000:0001", "2001:0:0:1::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"},
      {"1:0:0:2:0:0:3:4", "0001:0000:0000:0002:0000:0000:0003:0004", "1::2:0:0:3:4"},
      {"0:0:1:0:0:1:0:0", "0000:0000:0001:0000:0000:0001:0000:0000", "::1:0:0:1:0:0"},
      {"1:0:0:0:1:0:0:0", "0001:0000:0000:0000:0001:0000:0000:0000", "1::1:0:0:0"},
      {"0:0:0:1:0:0:0:0", "0000:0000:0000:0001:0000:0000:0000:0000", "0:0:0:1::"},
      {"1:0:0:1:0:0:0:1", "0001:0000:0000:0001:0000:0000:0000:0001", "1:0:0:1::1"},
      // No run of two zero groups: nothing compressed.
      {"1:0:1:0:1:0:1:0", "0001:0000:0001:0000:0001:0000:0001:0000", "1:0:1:0:1:0:1:0"},
      {"0:1:0:1:0:1:0:1", "0000:0001:0000:0001:0000:0001:0000:0001", "0:1:0:1:0:1:0:1"},
      // Leading zeros inside groups are dropped, a zero group prints as "0".
      {"0001:0010:0100:1000:000a:00a0:0a00:a000", "0001:0010:0100:1000:000a:00a0:0a00:a000", "1:10:100:1000:a:a0:a00:a000"},
      {"0:1::", "0000:0001:0000:0000:0000:0000:0000:0000", "0:1::"},
      // Embedded IPv4: IPv4-mapped addresses print in mixed notation...
      {"::ffff:1.2.3.4", "0000:0000:0000:0000:0000:ffff:0102:0304", "::ffff:1.2.3.4"},
      {"::ffff:0102:0304", "0000:0000:0000:0000:0000:ffff:0102:0304", "::ffff:1.2.3.4"},
      {"::FFFF:192.0.2.128", "0000:0000:0000:0000:0000:ffff:c000:0280", "::ffff:192.0.2.128"},
      {"0:0:0:0:0:ffff:10.0.0.1", "0000:0000:0000:0000:0000:ffff:0a00:0001", "::ffff:10.0.0.1"},
      {"0000:0000:0000:0000:0000:FFFF:0A00:0001", "0000:0000:0000:0000:0000:ffff:0a00:0001", "::ffff:10.0.0.1"},
      {"::ffff:0.0.0.0", "0000:0000:0000:0000:0000:ffff:0000:0000", "::ffff:0.0.0.0"},
      {"::ffff:0:0", "0000:0000:0000:0000:0000:ffff:0000:0000", "::ffff:0.0.0.0"},
      {"::ffff:255.255.255.255", "0000:0000:0000:0000:0000:ffff:ffff:ffff", "::ffff:255.255.255.255"},
      {"::ffff:1:2", "0000:0000:0000:0000:0000:ffff:0001:0002", "::ffff:0.1.0.2"},
      {"::ffff:127.0.0.1", "0000:0000:0000:0000:0000:ffff:7f00:0001", "::ffff:127.0.0.1"},
      // ...every other embedded IPv4 prints in hex, as Go's net/netip do.
      {"64:ff9b::192.0.2.1", "0064:ff9b:0000:0000:0000:0000:c000:0201", "64:ff9b::c000:201"},
      {"::1.2.3.4", "0000:0000:0000:0000:0000:0000:0102:0304", "::102:304"},
      {"::0.0.0.1", "0000:0000:0000:0000:0000:0000:0000:0001", "::1"},
      {"::0.0.0.0", "0000:0000:0000:0000:0000:0000:0000:0000", "::"},
      {"::ffff:0:1.2.3.4", "0000:0000:0000:0000:ffff:0000:0102:0304", "::ffff:0:102:304"},
      {"1:2:3:4:5:6:1.2.3.4", "0001:0002:0003:0004:0005:0006:0102:0304", "1:2:3:4:5:6:102:304"},
      {"1::1.2.3.4", "0001:0000:0000:0000:0000:0000:0102:0304", "1::102:304"},
      {"fe80::10.0.0.1", "fe80:0000:0000:0000:0000:0000:0a00:0001", "fe80::a00:1"},
      {"2001:db8:1:2:3:4:255.255.255.255", "2001:0db8:0001:0002:0003:0004:ffff:ffff", "2001:db8:1:2:3:4:ffff:ffff"},
      {"1:2:3:4:5::0.0.0.0", "0001:0002:0003:0004:0005:0000:0000:0000", "1:2:3:4:5::"},
  };
  for (const auto& tc : cases) {
    INFO("input: " << tc.input);
    const auto got = epslice::parse_ipv6(tc.input);
    REQUIRE(got.has_value());
    CHECK(got->bytes == full_form(tc.full));
    // Written back as written; canonical() gives the RFC 5952 text.
    CHECK(epslice::to_string(*got) == tc.input);
    CHECK((got->written == 0) == (tc.input == tc.canonical));
    CHECK(epslice::to_string(got->canonical()) == tc.canonical);
    CHECK(reference_rfc5952(*got) == tc.canonical);
    // The canonical text parses back to the same bytes, canonical, and is a fixed point; it is
    // the same address as the input only when the input is that text (upstream compares text).
    const auto again = epslice::parse_ipv6(tc.canonical);
    REQUIRE(again.has_value());
    CHECK(*again == got->canonical());
    CHECK(again->written == 0);
    CHECK((*again == *got) == (tc.input == tc.canonical));
    CHECK(epslice::to_string(*again) == tc.canonical);
    // IPv6 text never parses as IPv4; parse_ip gives the IPv6 alternative (also when mapped).
    CHECK_FALSE(epslice::parse_ipv4(tc.input).has_value());
    const auto ip = epslice::parse_ip(tc.input);
    REQUIRE(ip.has_value());
    REQUIRE(std::holds_alternative<ipv6_address>(*ip));
    CHECK(std::get<ipv6_address>(*ip) == *got);
    // The family policy formats what it parses.
    std::string text;
    epslice::ipv6::format(text, *epslice::ipv6::parse(tc.input));
    CHECK(text == tc.input);
  }
}

TEST_CASE("address: IPv6 invalid text", "[address]") {
  struct case_t {
    std::string_view name;
    std::string_view input;
  };
  const case_t cases[] = {
      {"empty", ""},
      {"single colon", ":"},
      {"three colons", ":::"},
      {"four colons", "::::"},
      {"lone group", "1"},
      {"seven groups", "1:2:3:4:5:6:7"},
      {"nine groups", "1:2:3:4:5:6:7:8:9"},
      {"eight groups and trailing ::", "1:2:3:4:5:6:7:8::"},
      {"leading :: and eight groups", "::1:2:3:4:5:6:7:8"},
      {":: standing for nothing", "1:2:3:4::5:6:7:8"},
      {":: inside eight groups", "1::2:3:4:5:6:7:8"},
      {"two ::", "1::2::3"},
      {"two :: at the ends", "::1::"},
      {"two :: adjacent groups", "2001:db8::1::"},
      {"triple colon inside", "1:::2"},
      {"triple colon after group", "fe80:::1"},
      {"triple colon before group", "2001:db8:::1"},
      {"leading single colon", ":1::"},
      {"leading single colon full", ":1:2:3:4:5:6:7:8"},
      {"leading single colon then ::", ":2001:db8::1"},
      {"trailing single colon", "1:2:3:4:5:6:7:"},
      {"trailing single colon after ::", "1::2:"},
      {"trailing single colon full", "1:2:3:4:5:6:7:8:"},
      {"5-digit group last", "1:2:3:4:5:6:7:12345"},
      {"5-digit group first", "12345::"},
      {"5-digit group after ::", "::12345"},
      {"5-digit group of zeros", "00000::1"},
      {"5-digit group with leading zero", "01234::"},
      {"non-hex letter", "g::1"},
      {"non-hex letter last", "::g"},
      {"hex prefix", "0x1::"},
      {"plus sign", "+1::"},
      {"minus sign", "-1::"},
      {"minus inside", "1::-1"},
      {"zone name", "fe80::1%eth0"},
      {"zone number", "fe80::1%1"},
      {"empty zone", "fe80::1%"},
      {"zone on full", "1:2:3:4:5:6:7:8%0"},
      {"zone after dotted", "::ffff:1.2.3.4%eth0"},
      {"brackets", "[::1]"},
      {"brackets with port", "[::1]:80"},
      {"prefix /128", "::1/128"},
      {"prefix /64", "2001:db8::/64"},
      {"prefix on full", "1:2:3:4:5:6:7:8/64"},
      {"leading space", " ::1"},
      {"trailing space", "::1 "},
      {"inner space", ":: 1"},
      {"trailing newline", "::1\n"},
      {"embedded NUL", std::string_view("::1\0", 4)},
      {"IPv4 text", "1.2.3.4"},
      {"embedded IPv4 not at the end", "::1.2.3.4:1"},
      {"embedded IPv4 first", "1.2.3.4::"},
      {"embedded IPv4 in the middle", "1::1.2.3.4:2"},
      {"embedded IPv4 three parts", "::1.2.3"},
      {"embedded IPv4 five parts", "::1.2.3.4.5"},
      {"embedded IPv4 out of range", "::256.1.1.1"},
      {"embedded IPv4 leading zero", "::ffff:01.2.3.4"},
      {"embedded IPv4 leading zero last", "::ffff:1.2.3.04"},
      {"embedded IPv4 octal-looking", "64:ff9b::010.0.0.1"},
      {"embedded IPv4 trailing dot", "::ffff:1.2.3.4."},
      {"embedded IPv4 leading dot", "::ffff:.1.2.3"},
      {"embedded IPv4 hex parts", "::ffff:a.b.c.d"},
      {"embedded IPv4 after hex digits", "::ffff:1a.2.3.4"},
      {"embedded IPv4 after 7 groups", "1:2:3:4:5:6:7:1.2.3.4"},
      {"embedded IPv4 after 8 groups", "1:2:3:4:5:6:7:8:1.2.3.4"},
      {"embedded IPv4 after 5 groups without ::", "1:2:3:4:5:1.2.3.4"},
      {":: standing for nothing before IPv4", "1:2:3:4:5:6::1.2.3.4"},
      {"dotted with a sign", "::ffff:+1.2.3.4"},
      {"unicode", "fe80::\xc3\xa9"},
  };
  for (const auto& tc : cases) {
    INFO(tc.name << ": \"" << tc.input << "\"");
    CHECK_FALSE(epslice::parse_ipv6(tc.input).has_value());
    CHECK_FALSE(epslice::ipv6::parse(tc.input).has_value());
    // parse_ip accepts exactly what one of the two parsers accepts.
    const auto ip = epslice::parse_ip(tc.input);
    const auto as_v4 = epslice::parse_ipv4(tc.input);
    CHECK(ip.has_value() == as_v4.has_value());
    if (ip && as_v4) CHECK(std::get<ipv4_address>(*ip) == *as_v4);
  }
}

TEST_CASE("address: IPv6 canonical text of addresses given as bytes", "[address]") {
  // One case per RFC 5952 rule, starting from bytes rather than text.
  struct case_t {
    std::string_view rule;
    std::string_view full;
    std::string_view want;
  };
  const case_t cases[] = {
      {"4.1 leading zeros suppressed", "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"},
      {"4.2.1 shorten as much as possible", "2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"},
      {"4.2.2 single zero group not shortened", "2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1"},
      {"4.2.3 longest run", "2001:0000:0000:0001:0000:0000:0000:0001", "2001:0:0:1::1"},
      {"4.2.3 first of equal runs", "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"},
      {"4.3 lower case", "2001:0db8:abcd:ef00:0000:0000:0000:00ff", "2001:db8:abcd:ef00::ff"},
      {"5 IPv4-mapped in mixed notation", "0000:0000:0000:0000:0000:ffff:c000:0201", "::ffff:192.0.2.1"},
      {"all zero", "0000:0000:0000:0000:0000:0000:0000:0000", "::"},
      {"run at the end", "0001:0000:0000:0000:0000:0000:0000:0000", "1::"},
      {"run at the start", "0000:0000:0000:0000:0000:0000:0000:0001", "::1"},
      {"two-group run at the end", "0001:0002:0003:0004:0005:0006:0000:0000", "1:2:3:4:5:6::"},
      {"two-group run at the start", "0000:0000:0003:0004:0005:0006:0007:0008", "::3:4:5:6:7:8"},
      {"seven zero groups then ffff is not mapped", "0000:0000:0000:0000:0000:0000:0000:ffff", "::ffff"},
      {"ffff in group 4 is not mapped", "0000:0000:0000:0000:ffff:0000:0000:0000", "::ffff:0:0:0"},
      {"ffff in group 4, longer run after", "0001:0000:0000:0001:ffff:0000:0000:0000", "1:0:0:1:ffff::"},
      {"ffff:0 prefix is not mapped", "0000:0000:0000:0000:ffff:0000:0102:0304", "::ffff:0:102:304"},
      {"mapped with non-zero prefix is not mapped", "0001:0000:0000:0000:0000:ffff:0102:0304", "1::ffff:102:304"},
  };
  for (const auto& tc : cases) {
    INFO(tc.rule);
    const ipv6_address a = v6(tc.full);
    CHECK(epslice::to_string(a) == tc.want);
    std::string appended = "x=";
    epslice::format_to(appended, a);
    CHECK(appended == "x=" + std::string(tc.want));
  }
}

TEST_CASE("address: IPv6 round trip over random addresses", "[address][property]") {
  rng r(0x5eed0002);
  for (int k = 0; k < property_cases; ++k) {
    const ipv6_address a = random_v6(r);
    const std::string text = epslice::to_string(a);
    INFO("address " << reference_rfc5952(a) << " printed as " << text);
    REQUIRE(text == reference_rfc5952(a));
    const auto back = epslice::parse_ipv6(text);
    REQUIRE(back.has_value());
    REQUIRE(*back == a);
    // Any other valid spelling of the same address parses to its bytes, prints as written, and
    // is the same address exactly when it is the canonical spelling.
    const std::string other = random_text(r, a);
    INFO("other spelling " << other);
    const auto parsed = epslice::parse_ipv6(other);
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->bytes == a.bytes);
    REQUIRE(parsed->canonical() == a);
    REQUIRE(epslice::to_string(*parsed) == other);
    REQUIRE((*parsed == a) == (other == text));
    REQUIRE(epslice::parse_ipv6(epslice::to_string(*parsed)) == *parsed);
  }
}

#ifdef EPSLICE_TEST_HAVE_INET
TEST_CASE("address: parsing agrees with inet_pton on mutated text", "[address][property]") {
  // The C library's inet_pton follows the same grammar (RFC 4291 text, dotted quads without
  // leading zeros, no zones or prefixes), so it serves as an independent oracle.
  rng r(0x5eed0003);
  int accepted6 = 0, accepted4 = 0;
  for (int k = 0; k < property_cases; ++k) {
    const ipv6_address a = random_v6(r);
    const std::string text6 = mutate(r, r.coin() ? random_text(r, a) : epslice::to_string(a));
    const auto b4 = ipv4_address::from_uint(static_cast<std::uint32_t>(r.bits()));
    const std::string text4 = mutate(r, epslice::to_string(b4));
    for (const std::string& text : {text6, text4}) {
      INFO("text \"" << text << "\"");
      unsigned char buf6[16] = {};
      const bool ok6 = inet_pton(AF_INET6, text.c_str(), buf6) == 1;
      const auto ours6 = epslice::parse_ipv6(text);
      REQUIRE(ours6.has_value() == ok6);
      if (ok6) {
        REQUIRE(std::memcmp(ours6->bytes.data(), buf6, 16) == 0);
        ++accepted6;
      }
      unsigned char buf4[4] = {};
      const bool ok4 = inet_pton(AF_INET, text.c_str(), buf4) == 1;
      const auto ours4 = epslice::parse_ipv4(text);
      REQUIRE(ours4.has_value() == ok4);
      if (ok4) {
        REQUIRE(std::memcmp(ours4->bytes.data(), buf4, 4) == 0);
        ++accepted4;
      }
    }
  }
  // The mutations must leave a fair share valid, or the comparison says little.
  CHECK(accepted6 > property_cases / 20);
  CHECK(accepted4 > property_cases / 20);
}

TEST_CASE("address: formatting agrees with inet_ntop", "[address][property]") {
  // inet_ntop also prints RFC 5952 text, except that it writes the deprecated IPv4-compatible
  // form (::a.b.c.d) where Go and we print hex; those addresses are left out.
  rng r(0x5eed0004);
  int compared = 0;
  for (int k = 0; k < property_cases; ++k) {
    const ipv6_address a = random_v6(r);
    bool compat = true;
    for (std::size_t i = 0; i < 12; ++i) compat = compat && a.bytes[i] == 0;
    if (compat) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    REQUIRE(inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof buf) != nullptr);
    REQUIRE(epslice::to_string(a) == std::string(buf));
    ++compared;
  }
  CHECK(compared > property_cases / 2);
}
#endif

// ---------------------------------------------------------------------------------------------
// Ordering and hashing

TEST_CASE("address: ordering is byte-wise", "[address]") {
  const auto p4 = [](std::string_view s) { return *epslice::parse_ipv4(s); };
  const auto p6 = [](std::string_view s) { return *epslice::parse_ipv6(s); };
  CHECK(p4("9.255.255.255") < p4("10.0.0.0"));
  CHECK(p4("10.0.0.2") < p4("10.0.0.10"));  // numeric, not textual
  CHECK(p4("1.2.3.4") == p4("1.2.3.4"));
  CHECK((p4("0.0.0.0") <=> p4("255.255.255.255")) == std::strong_ordering::less);
  CHECK((p4("200.0.0.0") <=> p4("100.255.255.255")) == std::strong_ordering::greater);
  CHECK(p6("::") < p6("::1"));
  CHECK(p6("::ffff:255.255.255.255") < p6("1::"));
  CHECK(p6("2001:db8::2") < p6("2001:db8::10"));
  CHECK(p6("fe80::1") > p6("2001:db8::1"));
  CHECK((p6("::1").canonical() <=> p6("0:0:0:0:0:0:0:1").canonical()) == std::strong_ordering::equal);
  // Spellings of one address are ordered after its canonical text, which has no written form.
  CHECK(p6("::1") < p6("0:0:0:0:0:0:0:1"));
  CHECK(p6("0:0:0:0:0:0:0:1") < p6("::2"));

  rng r(0x5eed0005);
  const int n = property_cases / 10;
  std::vector<ipv6_address> six;
  std::vector<ipv4_address> four;
  for (int k = 0; k < n; ++k) {
    six.push_back(random_v6(r));
    four.push_back(ipv4_address::from_uint(static_cast<std::uint32_t>(r.bits())));
  }
  for (std::size_t k = 0; k + 1 < six.size(); ++k) {
    const auto& x = six[k];
    const auto& y = six[k + 1];
    const int c = std::memcmp(x.bytes.data(), y.bytes.data(), 16);
    REQUIRE((x <=> y) == (c <=> 0));
    REQUIRE((x == y) == (c == 0));
    const auto& u = four[k];
    const auto& v = four[k + 1];
    REQUIRE((u <=> v) == (u.to_uint() <=> v.to_uint()));
    REQUIRE((u <=> v) == (std::memcmp(u.bytes.data(), v.bytes.data(), 4) <=> 0));
  }
  std::sort(six.begin(), six.end());
  CHECK(std::is_sorted(six.begin(), six.end(), [](const ipv6_address& x, const ipv6_address& y) {
    return std::memcmp(x.bytes.data(), y.bytes.data(), 16) < 0;
  }));
}

TEST_CASE("address: hash is consistent with equality", "[address]") {
  const std::hash<ipv6_address> h6;
  const std::hash<ipv4_address> h4;
  // Different spellings of one address are different addresses, as their texts are (upstream
  // compares the text): five set elements; the same spelling twice hashes alike; canonical()
  // makes them one.
  const std::string_view spellings[] = {"2001:db8::1", "2001:DB8::1", "2001:0db8:0:0:0:0:0:1",
                                        "2001:db8:0::0:1", "2001:db8::0.0.0.1"};
  std::unordered_set<ipv6_address> set6, canonical6;
  for (auto s : spellings) {
    INFO(s);
    const auto a = epslice::parse_ipv6(s);
    REQUIRE(a.has_value());
    CHECK(h6(*a) == h6(*epslice::parse_ipv6(s)));
    CHECK(h6(a->canonical()) == h6(*epslice::parse_ipv6("2001:db8::1")));
    set6.insert(*a);
    canonical6.insert(a->canonical());
  }
  CHECK(set6.size() == 5);
  CHECK(canonical6.size() == 1);
  CHECK(h4(*epslice::parse_ipv4("10.0.0.1")) == h4(ipv4_address::from_uint(0x0a000001u)));

  rng r(0x5eed0006);
  std::unordered_set<ipv6_address> distinct6;
  std::unordered_set<std::size_t> hashes6;
  std::unordered_set<ipv4_address> distinct4;
  std::unordered_set<std::size_t> hashes4;
  for (int k = 0; k < property_cases; ++k) {
    ipv6_address a;
    for (auto& b : a.bytes) b = static_cast<std::uint8_t>(r.bits());
    const ipv6_address copy = *epslice::parse_ipv6(epslice::to_string(a));
    REQUIRE(h6(copy) == h6(a));
    distinct6.insert(a);
    hashes6.insert(h6(a));
    const auto v = ipv4_address::from_uint(static_cast<std::uint32_t>(r.bits()));
    distinct4.insert(v);
    hashes4.insert(h4(v));
  }
  // A 64-bit mix of the whole address: no collisions among these few thousand.
  CHECK(hashes6.size() == distinct6.size());
  CHECK(hashes4.size() == distinct4.size());
  // Addresses that differ in one bit anywhere hash differently.
  ipv6_address base{};
  std::unordered_set<std::size_t> one_bit{h6(base)};
  for (std::size_t byte = 0; byte < 16; ++byte)
    for (unsigned bit = 0; bit < 8; ++bit) {
      ipv6_address x = base;
      x.bytes[byte] = static_cast<std::uint8_t>(1u << bit);
      one_bit.insert(h6(x));
    }
  CHECK(one_bit.size() == 129);
}

// ---------------------------------------------------------------------------------------------
// Special ranges

TEST_CASE("address: special-range predicates", "[address]") {
  struct case_t {
    std::string_view input;
    bool unspecified, loopback, link_local_unicast, link_local_multicast;
  };
  const case_t cases[] = {
      // IPv4
      {"0.0.0.0", true, false, false, false},
      {"0.0.0.1", false, false, false, false},
      {"127.0.0.1", false, true, false, false},
      {"127.0.0.0", false, true, false, false},
      {"127.255.255.255", false, true, false, false},
      {"126.255.255.255", false, false, false, false},
      {"128.0.0.1", false, false, false, false},
      {"169.254.0.1", false, false, true, false},
      {"169.254.169.254", false, false, true, false},
      {"169.254.255.255", false, false, true, false},
      {"169.253.255.255", false, false, false, false},
      {"169.255.0.0", false, false, false, false},
      {"224.0.0.1", false, false, false, true},
      {"224.0.0.255", false, false, false, true},
      {"224.0.1.0", false, false, false, false},
      {"223.255.255.255", false, false, false, false},
      {"239.255.255.250", false, false, false, false},  // global multicast is allowed
      {"10.0.0.1", false, false, false, false},
      {"255.255.255.255", false, false, false, false},
      // IPv6
      {"::", true, false, false, false},
      {"::1", false, true, false, false},
      {"::2", false, false, false, false},
      {"1::", false, false, false, false},
      {"fe80::1", false, false, true, false},
      {"fe80::", false, false, true, false},
      {"febf:ffff::", false, false, true, false},
      {"fe7f::1", false, false, false, false},
      {"fec0::1", false, false, false, false},
      {"ff02::1", false, false, false, true},
      {"ff02::1:ff00:1", false, false, false, true},
      {"ff12::1", false, false, false, true},
      {"ff32::", false, false, false, true},
      {"ff01::1", false, false, false, false},
      {"ff05::2", false, false, false, false},
      {"ff0e::1", false, false, false, false},
      {"fe02::1", false, false, false, false},
      {"2001:db8::1", false, false, false, false},
      // IPv4-mapped: judged by the IPv4 part, as Go's net.IP does.
      {"::ffff:0.0.0.0", true, false, false, false},
      {"::ffff:127.0.0.1", false, true, false, false},
      {"::ffff:127.1.2.3", false, true, false, false},
      {"::ffff:169.254.1.1", false, false, true, false},
      {"::ffff:224.0.0.5", false, false, false, true},
      {"::ffff:10.0.0.1", false, false, false, false},
      {"::ffff:1.2.3.4", false, false, false, false},
      // Other embedded forms are plain IPv6.
      {"::127.0.0.1", false, false, false, false},
      {"::ffff:0:127.0.0.1", false, false, false, false},
      {"::169.254.1.1", false, false, false, false},
      {"64:ff9b::127.0.0.1", false, false, false, false},
  };
  for (const auto& tc : cases) {
    INFO(tc.input);
    const auto ip = epslice::parse_ip(tc.input);
    REQUIRE(ip.has_value());
    std::visit(
        [&](const auto& a) {
          CHECK(epslice::is_unspecified(a) == tc.unspecified);
          CHECK(epslice::is_loopback(a) == tc.loopback);
          CHECK(epslice::is_link_local_unicast(a) == tc.link_local_unicast);
          CHECK(epslice::is_link_local_multicast(a) == tc.link_local_multicast);
        },
        *ip);
  }
  // The mapped address and its IPv4 part always agree.
  rng r(0x5eed0007);
  for (int k = 0; k < property_cases / 10; ++k) {
    // Bias towards the special ranges.
    static constexpr std::uint8_t firsts[] = {0, 127, 169, 224, 10};
    ipv4_address v = ipv4_address::from_uint(static_cast<std::uint32_t>(r.bits()));
    v.bytes[0] = firsts[r.below(5)];
    if (r.coin()) v.bytes[1] = v.bytes[0] == 169 ? 254 : 0;
    if (r.coin()) v.bytes[2] = 0;
    ipv6_address m{};
    m.bytes[10] = m.bytes[11] = 0xff;
    std::copy(v.bytes.begin(), v.bytes.end(), m.bytes.begin() + 12);
    REQUIRE(m.is_v4_mapped());
    REQUIRE(epslice::mapped_ipv4(m) == v);
    REQUIRE(epslice::is_unspecified(m) == epslice::is_unspecified(v));
    REQUIRE(epslice::is_loopback(m) == epslice::is_loopback(v));
    REQUIRE(epslice::is_link_local_unicast(m) == epslice::is_link_local_unicast(v));
    REQUIRE(epslice::is_link_local_multicast(m) == epslice::is_link_local_multicast(v));
  }
}

TEST_CASE("address: IPv4-mapped detection", "[address]") {
  CHECK(v6("0000:0000:0000:0000:0000:ffff:0102:0304").is_v4_mapped());
  CHECK(v6("0000:0000:0000:0000:0000:ffff:0000:0000").is_v4_mapped());
  CHECK_FALSE(v6("0000:0000:0000:0000:0000:fffe:0102:0304").is_v4_mapped());
  CHECK_FALSE(v6("0000:0000:0000:0000:0000:0000:0102:0304").is_v4_mapped());
  CHECK_FALSE(v6("0000:0000:0000:0000:ffff:ffff:0102:0304").is_v4_mapped());
  CHECK_FALSE(v6("0100:0000:0000:0000:0000:ffff:0102:0304").is_v4_mapped());
  CHECK_FALSE(v6("0000:0000:0000:0000:0000:ff00:0102:0304").is_v4_mapped());
  CHECK_FALSE(ipv6_address{}.is_v4_mapped());
}

// ---------------------------------------------------------------------------------------------
// DNS names

namespace {
std::string repeat(char c, std::size_t n) { return std::string(n, c); }
}  // namespace

TEST_CASE("address: DNS-1123 labels", "[address]") {
  struct case_t {
    std::string input;
    bool want;
  };
  const case_t cases[] = {
      {"a", true},
      {"0", true},
      {"abc", true},
      {"a-b", true},
      {"a--b", true},
      {"1-2", true},
      {"123", true},
      {"a1", true},
      {"1a", true},
      {"my-name", true},
      {"123-abc", true},
      {"valid-123", true},
      {repeat('a', 63), true},
      {"a" + repeat('-', 61) + "z", true},
      {"", false},
      {"-", false},
      {"-a", false},
      {"a-", false},
      {"--INVALID", false},
      {"A", false},
      {"aB", false},
      {"a_b", false},
      {"a.b", false},
      {"a b", false},
      {" a", false},
      {"a\n", false},
      {"*", false},
      {"\xc3\xa4", false},
      {repeat('a', 64), false},
  };
  for (const auto& tc : cases) {
    INFO("\"" << tc.input << "\"");
    CHECK(epslice::is_dns1123_label(tc.input) == tc.want);
  }
}

TEST_CASE("address: DNS-1123 subdomains", "[address]") {
  // 253 characters in four labels of at most 63.
  const std::string max_name = repeat('a', 63) + "." + repeat('b', 63) + "." + repeat('c', 63) + "." + repeat('d', 61);
  REQUIRE(max_name.size() == 253);
  struct case_t {
    std::string input;
    bool want;
  };
  const case_t cases[] = {
      {"a", true},
      {"a.b", true},
      {"example.com", true},
      {"a-b.c-d", true},
      {"0.0", true},
      {"1.2.3.4", true},
      {"a.b.c.d.e", true},
      {"hello", true},
      {max_name, true},
      {repeat('a', 253), true},
      // A subdomain's labels are not limited to 63 (the regular expression does not count).
      {repeat('a', 100) + ".com", true},
      {"", false},
      {".", false},
      {"a.", false},
      {".a", false},
      {"a..b", false},
      {"-a.b", false},
      {"a-.b", false},
      {"a.-b", false},
      {"a.b-", false},
      {"A.b", false},
      {"a.B", false},
      {"a_b.c", false},
      {"*.a", false},
      {"a b", false},
      {"*&^", false},
      {max_name + "e", false},
      {repeat('a', 254), false},
  };
  for (const auto& tc : cases) {
    INFO("\"" << tc.input << "\"");
    CHECK(epslice::is_dns1123_subdomain(tc.input) == tc.want);
  }
}

TEST_CASE("address: fully qualified domain names", "[address]") {
  const std::string max_name = repeat('a', 63) + "." + repeat('b', 63) + "." + repeat('c', 63) + "." + repeat('d', 61);
  REQUIRE(max_name.size() == 253);
  struct case_t {
    std::string input;
    bool want;
  };
  const case_t cases[] = {
      // upstream TestValidateEndpointSlice, good-fqdns
      {"foo.example.com", true},
      {"example.com", true},
      {"example.com.", true},
      {"hyphens-are-good.example.com", true},
      // upstream TestValidateEndpointSlice, bad-fqdns (docs/semantics.md#fqdn-addresses)
      {"foo.*", false},
      {"FOO.example.com", false},
      {"underscores_are_bad.example.com", false},
      {"*.example.com", false},
      // more
      {"a.b", true},
      {"a.b.", true},
      {"x.y.z", true},
      {"1.2.3.4", true},
      {"0.com", true},
      {"a--b.example.com", true},
      {repeat('a', 63) + ".com", true},
      {"com." + repeat('a', 63), true},
      {max_name, true},
      {max_name + ".", true},  // the trailing dot does not count towards 253
      {"", false},
      {".", false},
      {"..", false},
      {"com", false},
      {"com.", false},
      {"localhost", false},
      {"example..com", false},
      {".example.com", false},
      {"example.com..", false},
      {"-example.com", false},
      {"example-.com", false},
      {"example.-com", false},
      {"exa mple.com", false},
      {"example.com/", false},
      {"example.com:80", false},
      {"Example.com", false},
      // Each label is a DNS-1123 label: at most 63 characters.
      {repeat('a', 64) + ".com", false},
      {"com." + repeat('a', 64), false},
      {"a." + repeat('b', 64) + ".c", false},
      {repeat('a', 100) + ".com", false},
      {max_name + "e", false},
      {max_name + "e.", false},
      {repeat('a', 63) + "." + repeat('b', 63) + "." + repeat('c', 63) + "." + repeat('d', 63), false},
  };
  for (const auto& tc : cases) {
    INFO("\"" << tc.input << "\" (" << tc.input.size() << " chars)");
    CHECK(epslice::is_fully_qualified_domain_name(tc.input) == tc.want);
    const auto parsed = epslice::fqdn::parse(tc.input);
    CHECK(parsed.has_value() == tc.want);
    if (parsed) CHECK(*parsed == tc.input);  // kept as given, trailing dot included
  }
}

// ---------------------------------------------------------------------------------------------
// Address types and families

TEST_CASE("address: address type names", "[address]") {
  using epslice::address_type;
  CHECK(epslice::parse_address_type("IPv4") == address_type::ipv4);
  CHECK(epslice::parse_address_type("IPv6") == address_type::ipv6);
  CHECK(epslice::parse_address_type("FQDN") == address_type::fqdn);
  const std::string_view rejected[] = {"", "IP", "ipv4", "IPV4", "ipv6", "IPV6", "fqdn", "Fqdn",
                                       "IPv4 ", " IPv4", "IPv46", "IPv", "FQDN\n", "raw"};
  for (auto s : rejected) {
    INFO("\"" << s << "\"");
    CHECK_FALSE(epslice::parse_address_type(s).has_value());
  }
  for (auto t : {address_type::ipv4, address_type::ipv6, address_type::fqdn})
    CHECK(epslice::parse_address_type(epslice::to_string(t)) == t);
  CHECK(epslice::to_string(address_type::ipv4) == "IPv4");
  CHECK(epslice::to_string(address_type::ipv6) == "IPv6");
  CHECK(epslice::to_string(address_type::fqdn) == "FQDN");
}

TEST_CASE("address: family policies", "[address]") {
  STATIC_REQUIRE(epslice::ipv4::type == epslice::address_type::ipv4);
  STATIC_REQUIRE(epslice::ipv6::type == epslice::address_type::ipv6);
  STATIC_REQUIRE(epslice::fqdn::type == epslice::address_type::fqdn);
  STATIC_REQUIRE(epslice::ipv4::name == "IPv4");
  STATIC_REQUIRE(epslice::ipv6::name == "IPv6");
  STATIC_REQUIRE(epslice::fqdn::name == "FQDN");
  STATIC_REQUIRE(epslice::raw::name == "raw");
  STATIC_REQUIRE(epslice::is_typed_family_v<epslice::ipv4>);
  STATIC_REQUIRE(epslice::is_typed_family_v<epslice::ipv6>);
  STATIC_REQUIRE(epslice::is_typed_family_v<epslice::fqdn>);
  STATIC_REQUIRE_FALSE(epslice::is_typed_family_v<epslice::raw>);
  STATIC_REQUIRE_FALSE(epslice::is_typed_family_v<int>);
  STATIC_REQUIRE(sizeof(epslice::ipv4::address) == 4);
  // 16 bytes and the written form of a non-canonical text (one word, 0 when canonical).
  STATIC_REQUIRE(sizeof(epslice::ipv6::address) == 24);
  // Parsing is usable in constant expressions.
  STATIC_REQUIRE(epslice::parse_ipv4("10.0.0.1")->to_uint() == 0x0a000001u);
  STATIC_REQUIRE_FALSE(epslice::parse_ipv4("010.0.0.1").has_value());
  STATIC_REQUIRE(epslice::parse_ipv6("::1")->bytes[15] == 1);
  STATIC_REQUIRE(epslice::parse_ipv6("::ffff:1.2.3.4")->is_v4_mapped());
  STATIC_REQUIRE_FALSE(epslice::parse_ipv6("1::2::3").has_value());
  STATIC_REQUIRE(epslice::is_fully_qualified_domain_name("example.com."));

  std::string out = "[";
  epslice::ipv4::format(out, *epslice::ipv4::parse("10.1.2.3"));
  out += "][";
  epslice::ipv6::format(out, epslice::ipv6::parse("2001:DB8:0::1")->canonical());
  out += "][";
  epslice::fqdn::format(out, *epslice::fqdn::parse("example.com."));
  out += "][";
  epslice::raw::format(out, *epslice::raw::parse("not an address"));
  out += "]";
  CHECK(out == "[10.1.2.3][2001:db8::1][example.com.][not an address]");
  // raw keeps anything, including empty text.
  CHECK(epslice::raw::parse("") == std::string());
  CHECK(epslice::raw::parse("010.0.0.1") == std::string("010.0.0.1"));
  CHECK_FALSE(epslice::ipv4::parse("::1").has_value());
  CHECK_FALSE(epslice::ipv6::parse("10.0.0.1").has_value());
  CHECK_FALSE(epslice::fqdn::parse("10.0.0.1:80").has_value());
  CHECK_FALSE(epslice::parse_ip("example.com").has_value());
}
