// SPDX-License-Identifier: Apache-2.0
// Reading JSON text that the framer has already checked: tokens, numbers, strings, and a parser
// that drives a handler with one call per value, iteratively.
//
// The framer (json_framer.hpp) checks every byte of the input against RFC 8259 as it arrives and
// hands out one object's text at a time; the parser here reads that text again to decode it. It
// assumes the text is valid JSON, but stays memory-safe on any text (it never reads past the end
// and never recurses), so that a disagreement between the two can only give wrong values, never
// undefined behaviour.
#pragma once

#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "utf8.hpp"

namespace epslice::detail {

[[nodiscard]] constexpr bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
[[nodiscard]] constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// The value of a hex digit, or -1.
[[nodiscard]] constexpr int json_hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Word-at-a-time: flags the bytes of `w` equal to `"` or `\`. The lowest flagged byte is the
/// first such byte (a false flag can only follow a true one).
[[nodiscard, gnu::always_inline]] constexpr std::uint64_t quote_or_backslash_flags(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const auto zero_byte = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  return zero_byte(w ^ (ones * '"')) | zero_byte(w ^ (ones * '\\'));
}

/// The first `"` or `\` at or after `p`, or `end`.
[[nodiscard]] inline const char* find_quote_or_backslash(const char* p, const char* end) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (const std::uint64_t f = quote_or_backslash_flags(w); f != 0) return p + std::countr_zero(f) / 8;
      p += 8;
    }
  }
  while (p < end && *p != '"' && *p != '\\') ++p;
  return p;
}

/// Decode the escapes of the content of a valid JSON string (between its quotes) into `out`.
/// Malformed escapes (only possible when the text was not checked) decode as U+FFFD.
inline void unescape_json_string(std::string_view raw, std::string& out) {
  out.clear();
  out.reserve(raw.size());
  const char* p = raw.data();
  const char* const end = p + raw.size();
  while (p < end) {
    const char* q = p;
    while (q < end && *q != '\\') ++q;
    out.append(p, static_cast<std::size_t>(q - p));
    if (q >= end) break;
    p = q + 1;  // after the backslash
    if (p >= end) break;
    const char c = *p++;
    switch (c) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        const auto hex4 = [&](std::uint32_t& v) {
          if (end - p < 4) return false;
          v = 0;
          for (int k = 0; k < 4; ++k) {
            const int h = json_hex_value(p[k]);
            if (h < 0) return false;
            v = v * 16 + static_cast<std::uint32_t>(h);
          }
          p += 4;
          return true;
        };
        std::uint32_t cp = 0;
        if (!hex4(cp)) {
          append_utf8(out, 0xFFFD);
          break;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          std::uint32_t lo = 0;
          if (end - p >= 2 && p[0] == '\\' && p[1] == 'u') {
            p += 2;
            if (hex4(lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
              append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
              break;
            }
          }
          append_utf8(out, 0xFFFD);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          append_utf8(out, 0xFFFD);
        } else {
          append_utf8(out, cp);
        }
        break;
      }
      default: append_utf8(out, 0xFFFD); break;
    }
  }
}

/// A number token, classified. `text` is the token as written.
struct json_number {
  enum class kind : std::uint8_t {
    integer,           ///< fits std::int64_t (`i`)
    unsigned_integer,  ///< above INT64_MAX, fits std::uint64_t (`u`)
    big_integer,       ///< an integer beyond 64 bits (`d` holds it as a double, maybe infinite)
    floating,          ///< a fraction or exponent, finite as a double (`d`)
    overflow,          ///< a fraction or exponent beyond the range of a double (`d` infinite)
  };
  kind k = kind::integer;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string_view text;

  /// True when the value does not fit a double (1e400, a 400-digit integer).
  [[nodiscard]] bool beyond_double() const noexcept {
    return k == kind::overflow || (k == kind::big_integer && (d > std::numeric_limits<double>::max() ||
                                                              d < -std::numeric_limits<double>::max()));
  }
};

/// The double value of a number token; infinite (with the token's sign) when it is beyond the
/// range of a double, 0 when it is too small to be told from 0.
[[nodiscard]] inline double number_as_double(std::string_view text) noexcept {
  double d = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  const bool negative = first < last && *first == '-';
  const auto r = std::from_chars(first, last, d);  // from_chars takes no leading '+', JSON has none
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow or underflow: the decimal exponent of the first significant digit tells which.
    long long magnitude = 0;
    bool seen_dot = false, significant = false;
    const char* p = first + (negative ? 1 : 0);
    for (; p < last && (is_digit(*p) || *p == '.'); ++p) {
      if (*p == '.') {
        seen_dot = true;
        continue;
      }
      if (!significant && *p != '0') significant = true;
      if (significant && !seen_dot) ++magnitude;
      if (!significant && seen_dot) --magnitude;
    }
    long long exponent = 0;
    if (p < last && (*p == 'e' || *p == 'E')) {
      ++p;
      bool eneg = false;
      if (p < last && (*p == '+' || *p == '-')) eneg = *p++ == '-';
      for (; p < last && is_digit(*p); ++p) exponent = std::min<long long>(exponent * 10 + (*p - '0'), 1000000000LL);
      if (eneg) exponent = -exponent;
    }
    if (magnitude + exponent > 0)
      return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return negative ? -0.0 : 0.0;
  }
  return d;
}

/// Classify a valid JSON number token.
[[nodiscard]] inline json_number classify_number(std::string_view text) noexcept {
  json_number n;
  n.text = text;
  std::size_t k = 0;
  const bool negative = k < text.size() && text[k] == '-';
  if (negative) ++k;
  std::uint64_t v = 0;
  bool overflow = false;
  for (; k < text.size() && is_digit(text[k]); ++k) {
    const auto digit = static_cast<std::uint64_t>(text[k] - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) overflow = true;
    else v = v * 10 + digit;
  }
  if (k < text.size()) {  // a fraction or an exponent
    n.d = number_as_double(text);
    n.k = (n.d > std::numeric_limits<double>::max() || n.d < -std::numeric_limits<double>::max())
              ? json_number::kind::overflow
              : json_number::kind::floating;
    return n;
  }
  constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!overflow && negative && v <= int64_max + 1) {
    n.k = json_number::kind::integer;
    n.i = v == int64_max + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(v);
  } else if (!overflow && !negative && v <= int64_max) {
    n.k = json_number::kind::integer;
    n.i = static_cast<std::int64_t>(v);
  } else if (!overflow && !negative) {
    n.k = json_number::kind::unsigned_integer;
    n.u = v;
  } else {
    n.k = json_number::kind::big_integer;
    n.d = number_as_double(text);
  }
  return n;
}

/// Parses a JSON value held whole in memory, calling the handler once per token:
/// start_object(), key(text, stable), end_object(), start_array(), end_array(),
/// string(text), number(const json_number&), boolean(bool), null().
/// A string or key is handed over unescaped; `stable` says that the key's text points into
/// `text` (and so lives as long as it), else it points into a buffer that the next key
/// overwrites. String values are valid until the next string value. Iterative: nesting costs a
/// byte of `stack` per level. Returns one past the value's end.
class validated_parser {
 public:
  template <class Handler>
  std::size_t parse(std::string_view text, Handler& h) {
    const char* p = text.data();
    const char* const end = p + text.size();
    stack_.clear();
    bool key_next = false;
    do {
      while (p < end && is_json_space(*p)) ++p;
      if (p >= end) break;
      const char c = *p;
      switch (c) {
        case '{':
          ++p;
          h.start_object();
          stack_.push_back('{');
          key_next = true;
          continue;
        case '[':
          ++p;
          h.start_array();
          stack_.push_back('[');
          key_next = false;
          continue;
        case '}':
        case ']':
          ++p;
          if (!stack_.empty()) stack_.pop_back();
          if (c == '}') h.end_object();
          else h.end_array();
          key_next = false;
          break;
        case ',':
          ++p;
          key_next = !stack_.empty() && stack_.back() == '{';
          continue;
        case ':':
          ++p;
          continue;
        case '"': {
          ++p;
          const char* q = find_quote_or_backslash(p, end);
          std::string_view s;
          bool stable = true;
          if (q < end && *q == '"') {
            s = std::string_view(p, static_cast<std::size_t>(q - p));
            p = q + 1;
          } else {
            // Escapes: find the closing quote (a quote preceded by an odd run of backslashes is
            // escaped), then decode.
            while (q < end) {
              if (*q == '\\') {
                q += 2;
                continue;
              }
              if (*q == '"') break;
              q = find_quote_or_backslash(q, end);
            }
            if (q > end) q = end;
            std::string& buf = key_next ? key_buf_ : value_buf_;
            unescape_json_string(std::string_view(p, static_cast<std::size_t>(q - p)), buf);
            s = buf;
            stable = false;
            p = q < end ? q + 1 : end;
          }
          if (key_next) {
            h.key(s, stable);
            key_next = false;
            continue;
          }
          h.string(s);
          break;
        }
        case 't':
          p += std::min<std::ptrdiff_t>(4, end - p);
          h.boolean(true);
          break;
        case 'f':
          p += std::min<std::ptrdiff_t>(5, end - p);
          h.boolean(false);
          break;
        case 'n':
          p += std::min<std::ptrdiff_t>(4, end - p);
          h.null();
          break;
        default: {
          const char* q = p;
          while (q < end && (is_digit(*q) || *q == '-' || *q == '+' || *q == '.' || *q == 'e' || *q == 'E')) ++q;
          if (q == p) ++q;  // not a JSON byte: skip it (unchecked text only)
          h.number(classify_number(std::string_view(p, static_cast<std::size_t>(q - p))));
          p = q;
          break;
        }
      }
    } while (!stack_.empty());
    return static_cast<std::size_t>(p - text.data());
  }

 private:
  std::vector<char> stack_;
  std::string key_buf_;
  std::string value_buf_;
};

}  // namespace epslice::detail
