// SPDX-License-Identifier: Apache-2.0
// YAML documents to JSON text with kubectl's scalar rules, through yaml-cpp's event parser.
#include "yaml_input.hpp"

#include <epslice/json.hpp>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <istream>
#include <limits>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cli {

namespace {

std::string code_point_name(std::uint32_t c) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string digits;
  for (std::uint32_t v = c; v != 0 || digits.size() < 4; v >>= 4) digits.insert(digits.begin(), hex[v & 15]);
  return "U+" + digits;
}

std::string byte_name(unsigned char b) {
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("0x") + hex[b >> 4] + hex[b & 15];
}

}  // namespace

// ---- the byte check --------------------------------------------------------------------------

void yaml_text_check::fail(const std::string& reason) const {
  throw text_error{line_, column_, "not YAML: " + reason};
}

void yaml_text_check::character(std::uint32_t c) {
  // The printable set of YAML 1.1 (what go-yaml's reader accepts).
  const bool allowed = c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
                       (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
  if (!allowed) fail((c < 0x20 || (c >= 0x7F && c < 0xA0) ? "control character " : "character ") +
                     code_point_name(c) + " is not allowed");
  if (c == '\n') {
    ++line_;
    column_ = 1;
  } else {
    ++column_;
  }
}

void yaml_text_check::feed(std::string_view bytes) {
  for (const char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (pending_ == 0) {
      if (b < 0x80) {
        character(b);
      } else if (b >= 0xC2 && b <= 0xDF) {
        code_ = b & 0x1Fu;
        length_ = 2;
        pending_ = 1;
      } else if (b >= 0xE0 && b <= 0xEF) {
        code_ = b & 0x0Fu;
        length_ = 3;
        pending_ = 2;
      } else if (b >= 0xF0 && b <= 0xF4) {
        code_ = b & 0x07u;
        length_ = 4;
        pending_ = 3;
      } else {
        fail("invalid UTF-8 (byte " + byte_name(b) + ")");
      }
      continue;
    }
    if ((b & 0xC0) != 0x80) fail("invalid UTF-8 (byte " + byte_name(b) + " inside a multi-byte character)");
    code_ = (code_ << 6) | (b & 0x3Fu);
    if (--pending_ == 0) {
      if ((length_ == 3 && code_ < 0x800) || (length_ == 4 && (code_ < 0x10000 || code_ > 0x10FFFF)) ||
          (code_ >= 0xD800 && code_ <= 0xDFFF))
        fail("invalid UTF-8 (an overlong form, a surrogate or a code point above U+10FFFF)");
      character(code_);
    }
  }
}

void yaml_text_check::finish() const {
  if (pending_ != 0) fail("invalid UTF-8 (the text ends inside a multi-byte character)");
}

namespace {

// ---- Go's number syntax ----------------------------------------------------------------------
// sigs.k8s.io/yaml resolves plain scalars with go-yaml v2, which calls Go's strconv; these follow
// strconv's rules for the inputs go-yaml hands it.

enum class parse_status : std::uint8_t { ok, syntax, range };

struct unsigned_result {
  parse_status status = parse_status::syntax;
  std::uint64_t value = 0;
};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// strconv.ParseUint(s, 0, 64): `0b`, `0o`, `0x` prefixes, a leading `0` for octal.
unsigned_result go_parse_uint(std::string_view s) {
  if (s.empty()) return {};
  unsigned base = 10;
  if (s[0] == '0') {
    const char p = s.size() >= 3 ? lower(s[1]) : '\0';
    if (p == 'b' || p == 'o' || p == 'x') {
      base = p == 'b' ? 2 : p == 'o' ? 8 : 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  std::uint64_t n = 0;
  for (const char c : s) {
    unsigned d = 0;
    if (is_digit(c)) d = static_cast<unsigned>(c - '0');
    else if (lower(c) >= 'a' && lower(c) <= 'z') d = static_cast<unsigned>(lower(c) - 'a') + 10;
    else return {};
    if (d >= base) return {};
    if (n > (std::numeric_limits<std::uint64_t>::max() - d) / base) return {parse_status::range, 0};
    n = n * base + d;
  }
  return {parse_status::ok, n};
}

// strconv.ParseInt(s, 0, 64).
std::optional<std::int64_t> go_parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const auto u = go_parse_uint(s);
  if (u.status != parse_status::ok) return std::nullopt;
  constexpr std::uint64_t limit = std::uint64_t{1} << 63;
  if (negative ? u.value > limit : u.value >= limit) return std::nullopt;
  return negative ? static_cast<std::int64_t>(0 - u.value) : static_cast<std::int64_t>(u.value);
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yaml_style_float(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i > start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      (void)digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// A decimal float text (as yaml_style_float accepts it) as strconv.ParseFloat(s, 64) reads it:
// nullopt when it overflows; an underflow is zero (or the nearest denormal).
std::optional<double> parse_decimal(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (end != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Overflow or underflow: the decimal exponent of the first significant digit tells which.
    std::int64_t before_point = 0, first = -1, position = 0;
    std::size_t i = 0;
    bool point = false;
    for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
      if (s[i] == '.') {
        point = true;
        continue;
      }
      if (!point) ++before_point;
      if (first < 0 && s[i] != '0') first = position;
      ++position;
    }
    std::int64_t exponent = 0;
    if (i < s.size()) {
      bool exp_negative = false;
      ++i;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
      for (; i < s.size(); ++i) exponent = std::min<std::int64_t>(exponent * 10 + (s[i] - '0'), 1'000'000'000);
      if (exp_negative) exponent = -exponent;
    }
    if (first >= 0 && before_point - 1 - first + exponent > 0) return std::nullopt;  // beyond the largest double
    v = 0;
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

// strconv's underscoreOK for a text without sign or base prefix: `_` only between digits.
bool underscores_ok(std::string_view s) {
  char saw = '^';
  for (const char c : s) {
    if (is_digit(c)) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

// strconv.ParseFloat(s, 64) for a text that starts with `.` (go-yaml's float hint).
std::optional<double> parse_dot_float(std::string_view s) {
  if (!underscores_ok(s)) return std::nullopt;
  std::string plain;
  for (const char c : s)
    if (c != '_') plain += c;
  if (plain.size() < 2 || plain[0] != '.' || !yaml_style_float(plain)) return std::nullopt;
  return parse_decimal(plain);
}

// go-yaml's parseTimestamp: Go's time.Parse with the layouts `2006-1-2T15:4:5.999999999Z07:00`
// (also with a lower-case t), `2006-1-2 15:4:5.999999999` and `2006-1-2`.
bool parse_timestamp(std::string_view s) {
  std::size_t i = 0;
  const auto number = [&](std::size_t min_digits, std::size_t max_digits, int lo, int hi, int& out) {
    std::size_t n = 0;
    int v = 0;
    while (i < s.size() && n < max_digits && is_digit(s[i])) {
      v = v * 10 + (s[i++] - '0');
      ++n;
    }
    out = v;
    return n >= min_digits && v >= lo && v <= hi;
  };
  const auto expect = [&](char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  };
  int year = 0, month = 0, day = 0, unused = 0;
  if (!number(4, 4, 0, 9999, year) || !expect('-') || !number(1, 2, 1, 12, month) || !expect('-') ||
      !number(1, 2, 1, 31, day))
    return false;
  static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (day > month_days[month - 1] || (month == 2 && day == 29 && !leap)) return false;
  if (i == s.size()) return true;
  const char separator = s[i++];
  if (separator != 'T' && separator != 't' && separator != ' ') return false;
  if (!number(1, 2, 0, 23, unused) || !expect(':') || !number(1, 2, 0, 59, unused) || !expect(':') ||
      !number(1, 2, 0, 59, unused))
    return false;
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && is_digit(s[i + 1])) {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (separator == ' ') return i == s.size();
  if (expect('Z')) return i == s.size();
  if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
  ++i;
  if (!number(2, 2, 0, 99, unused) || !expect(':') || !number(2, 2, 0, 99, unused)) return false;
  return i == s.size();
}

// ---- scalar resolution -----------------------------------------------------------------------

constexpr std::string_view tag_prefix = "tag:yaml.org,2002:";

enum class value_kind : std::uint8_t { null_value, boolean, integer, unsigned_integer, floating, string, timestamp };

struct scalar_value {
  value_kind kind = value_kind::string;
  bool boolean = false;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double floating = 0;
  std::string text;  // strings and timestamps (a !!binary value decoded)
};

std::string_view kind_tag(value_kind k) {
  switch (k) {
    case value_kind::null_value: return "null";
    case value_kind::boolean: return "bool";
    case value_kind::integer:
    case value_kind::unsigned_integer: return "int";
    case value_kind::floating: return "float";
    case value_kind::string: return "str";
    case value_kind::timestamp: return "timestamp";
  }
  return "str";
}

// `!!int` for `tag:yaml.org,2002:int`, other tags as they are.
std::string short_tag(std::string_view tag) {
  if (tag.substr(0, tag_prefix.size()) == tag_prefix) return "!!" + std::string(tag.substr(tag_prefix.size()));
  return std::string(tag);
}

// The values go-yaml's resolve table maps plain texts to.
std::optional<scalar_value> table_value(std::string_view in) {
  static const std::unordered_map<std::string_view, int> table = {
      {"y", 1}, {"Y", 1}, {"yes", 1}, {"Yes", 1}, {"YES", 1}, {"true", 1}, {"True", 1}, {"TRUE", 1},
      {"on", 1}, {"On", 1}, {"ON", 1}, {"n", 0}, {"N", 0}, {"no", 0}, {"No", 0}, {"NO", 0},
      {"false", 0}, {"False", 0}, {"FALSE", 0}, {"off", 0}, {"Off", 0}, {"OFF", 0}, {"", 2}, {"~", 2},
      {"null", 2}, {"Null", 2}, {"NULL", 2}, {".nan", 3}, {".NaN", 3}, {".NAN", 3}, {".inf", 4},
      {".Inf", 4}, {".INF", 4}, {"+.inf", 4}, {"+.Inf", 4}, {"+.INF", 4}, {"-.inf", 5}, {"-.Inf", 5},
      {"-.INF", 5}};
  const auto it = table.find(in);
  if (it == table.end()) return std::nullopt;
  scalar_value v;
  switch (it->second) {
    case 0:
    case 1:
      v.kind = value_kind::boolean;
      v.boolean = it->second == 1;
      break;
    case 2: v.kind = value_kind::null_value; break;
    default:
      v.kind = value_kind::floating;
      v.floating = it->second == 3 ? std::numeric_limits<double>::quiet_NaN()
                                   : (it->second == 4 ? 1.0 : -1.0) * std::numeric_limits<double>::infinity();
      break;
  }
  return v;
}

// go-yaml's resolve() for a plain scalar (tag "") or one with an explicit tag.
scalar_value resolve(std::string_view tag, std::string_view in) {
  scalar_value v;
  v.text = std::string(in);
  const std::string_view name = tag.substr(0, tag_prefix.size()) == tag_prefix ? tag.substr(tag_prefix.size()) : "?";
  const bool resolvable = tag.empty() || name == "str" || name == "bool" || name == "int" || name == "float" ||
                          name == "null" || name == "timestamp";
  if (!resolvable) return v;  // the text, as a string
  const char first = in.empty() ? 'N' : in[0];
  const bool sign = first == '+' || first == '-';
  const bool hinted = in.empty() || sign || is_digit(first) || first == '.' ||
                      std::string_view("yYnNtTfFoO~").find(first) != std::string_view::npos;
  if (hinted && name != "str") {
    if (auto t = table_value(in)) {
      v = std::move(*t);
    } else if (first == '.') {
      if (auto f = parse_dot_float(in)) {
        v.kind = value_kind::floating;
        v.floating = *f;
      }
    } else if (sign || is_digit(first)) {
      std::string plain;
      for (const char c : in)
        if (c != '_') plain += c;
      if ((tag.empty() || name == "timestamp") && parse_timestamp(in)) {
        v.kind = value_kind::timestamp;
      } else if (auto i = go_parse_int(plain)) {
        v.kind = value_kind::integer;
        v.integer = *i;
      } else if (auto u = go_parse_uint(plain); u.status == parse_status::ok) {
        v.kind = value_kind::unsigned_integer;
        v.unsigned_integer = u.value;
      } else if (yaml_style_float(plain)) {
        if (auto f = parse_decimal(plain)) {
          v.kind = value_kind::floating;
          v.floating = *f;
        }
      }
    }
  }
  if (tag.empty() || name == "str" || kind_tag(v.kind) == name) return v;
  if (name == "float" && v.kind == value_kind::integer) {
    v.kind = value_kind::floating;
    v.floating = static_cast<double>(v.integer);
    return v;
  }
  throw text_error{0, 0, "cannot decode !!" + std::string(kind_tag(v.kind)) + " `" + std::string(in) + "` as a " +
                             short_tag(tag)};
}

// Go's base64.StdEncoding.DecodeString (line breaks ignored); nullopt for invalid data.
std::optional<std::string> decode_base64(std::string_view s) {
  std::string out;
  std::uint32_t acc = 0;
  int n = 0, padding = 0;
  for (const char c : s) {
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding) return std::nullopt;
    int d = -1;
    if (c >= 'A' && c <= 'Z') d = c - 'A';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
    else if (is_digit(c)) d = c - '0' + 52;
    else if (c == '+') d = 62;
    else if (c == '/') d = 63;
    if (d < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    if (++n == 4) {
      out += static_cast<char>((acc >> 16) & 0xFF);
      out += static_cast<char>((acc >> 8) & 0xFF);
      out += static_cast<char>(acc & 0xFF);
      acc = 0;
      n = 0;
    }
  }
  if (n == 0 && padding == 0) return out;
  if (n == 2 && padding == 2) {
    out += static_cast<char>((acc >> 4) & 0xFF);
    return out;
  }
  if (n == 3 && padding == 1) {
    out += static_cast<char>((acc >> 10) & 0xFF);
    out += static_cast<char>((acc >> 2) & 0xFF);
    return out;
  }
  return std::nullopt;
}

// Go's encoding/json writes each byte that is not part of valid UTF-8 as U+FFFD.
std::string valid_utf8(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >= 0xC2 && b <= 0xDF) ? 2 : (b >= 0xE0 && b <= 0xEF) ? 3 : (b >= 0xF0 && b <= 0xF4) ? 4 : 0;
    bool ok = n != 0 && i + n <= s.size();
    std::uint32_t c = n == 2 ? (b & 0x1Fu) : n == 3 ? (b & 0x0Fu) : (b & 0x07u);
    for (std::size_t k = 1; ok && k < n; ++k) {
      const auto t = static_cast<unsigned char>(s[i + k]);
      ok = (t & 0xC0) == 0x80;
      c = (c << 6) | (t & 0x3Fu);
    }
    if (ok && n >= 3)
      ok = !(n == 3 && c < 0x800) && !(n == 4 && (c < 0x10000 || c > 0x10FFFF)) && !(c >= 0xD800 && c <= 0xDFFF);
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// ---- Go's float formatting -------------------------------------------------------------------

// encoding/json's float64: shortest digits, fixed notation unless below 1e-6 or from 1e21 on,
// `e-07` written `e-7`.
std::string go_json_float(double f) {
  const double a = std::fabs(f);
  const bool exponent = a != 0 && (a < 1e-6 || a >= 1e21);
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, f, exponent ? std::chars_format::scientific : std::chars_format::fixed);
  std::string out(buf, r.ptr);
  const std::size_t n = out.size();
  if (exponent && n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
  return out;
}

// strconv.FormatFloat(f, 'g', -1, 32) with go-yaml's names for the special values: the form
// sigs.k8s.io/yaml gives a float mapping key.
std::string go_float32_key(double d) {
  if (std::isnan(d)) return ".nan";
  // float32(d): to the nearest float, infinite from half an ulp above the largest one.
  constexpr double overflow = 3.4028235677973366e38;
  if (std::isinf(d) || std::fabs(d) >= overflow) return d < 0 ? "-.inf" : ".inf";
  const float f = std::fabs(d) > static_cast<double>(FLT_MAX) ? std::copysign(FLT_MAX, static_cast<float>(d > 0 ? 1 : -1))
                                                              : static_cast<float>(d);
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  const bool negative = sci[0] == '-';
  const std::size_t e = sci.find('e');
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e; ++i)
    if (sci[i] != '.') digits += sci[i];
  int exp10 = 0;
  (void)std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp10);
  std::string out = negative ? "-" : "";
  const int nd = static_cast<int>(digits.size());
  if (exp10 < -4 || exp10 >= 6) {  // %e, at least two exponent digits
    out += digits[0];
    if (nd > 1) out += "." + digits.substr(1);
    out += exp10 < 0 ? "e-" : "e+";
    const std::string x = std::to_string(std::abs(exp10));
    out += (x.size() < 2 ? "0" : "") + x;
    return out;
  }
  const int dp = exp10 + 1;  // digits before the point
  if (dp > 0) {
    for (int i = 0; i < dp; ++i) out += i < nd ? digits[static_cast<std::size_t>(i)] : '0';
  } else {
    out += '0';
  }
  const int decimals = std::max(nd - dp, 0);
  if (decimals > 0) {
    out += '.';
    for (int i = 0; i < decimals; ++i) {
      const int j = dp + i;
      out += j >= 0 && j < nd ? digits[static_cast<std::size_t>(j)] : '0';
    }
  }
  return out;
}

// ---- the document tree -----------------------------------------------------------------------

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

enum class node_kind : std::uint8_t { null_value, scalar, sequence, mapping, alias };

// One node of a document, 48 bytes; scalar texts and tags live in the builder's arena.
struct node {
  node_kind kind = node_kind::null_value;
  bool open = false;  // a collection whose end has not been seen yet
  std::uint32_t line = 0, column = 0;  // 0-based, as yaml-cpp marks them
  std::uint32_t first = none, last = none, next = none;  // children, siblings
  std::uint32_t target = none;                            // an alias: the anchored node
  std::uint32_t tag_size = 0;
  std::size_t text = 0, text_size = 0;  // the tag, then the text, in the arena
};

std::uint32_t clamp32(int v) { return v < 0 ? 0 : static_cast<std::uint32_t>(v); }

// Builds the tree of one document from yaml-cpp's events.
class tree_builder final : public YAML::EventHandler {
 public:
  std::vector<node> nodes;
  std::string arena;
  std::uint32_t root = none;

  [[nodiscard]] std::string_view tag(const node& n) const { return std::string_view(arena).substr(n.text, n.tag_size); }
  [[nodiscard]] std::string_view text(const node& n) const {
    return std::string_view(arena).substr(n.text + n.tag_size, n.text_size);
  }

  void OnDocumentStart(const YAML::Mark&) override {
    nodes.clear();
    arena.clear();
    stack_.clear();
    anchors_.clear();
    anchor_names_.clear();
    pending_name_.clear();
    root = none;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { (void)add(node_kind::null_value, mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const std::uint32_t target = anchor < anchors_.size() ? anchors_[anchor] : none;
    if (target == none)
      throw text_error{static_cast<std::size_t>(clamp32(mark.line)) + 1, static_cast<std::size_t>(clamp32(mark.column)) + 1,
                       "not YAML: the referenced anchor is not defined"};
    if (nodes[target].open)
      throw text_error{static_cast<std::size_t>(clamp32(mark.line)) + 1, static_cast<std::size_t>(clamp32(mark.column)) + 1,
                       "not YAML: anchor '" + anchor_names_[anchor] + "' value contains itself"};
    nodes[add(node_kind::alias, mark, 0)].target = target;
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    node& n = nodes[add(node_kind::scalar, mark, anchor)];
    n.text = arena.size();
    n.tag_size = static_cast<std::uint32_t>(tag.size());
    n.text_size = value.size();
    arena += tag;
    arena += value;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(node_kind::sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(node_kind::mapping, mark, anchor);
  }
  void OnMapEnd() override { close(); }
  void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_name_ = name; }

 private:
  std::uint32_t add(node_kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (nodes.size() >= none - 1)
      throw text_error{static_cast<std::size_t>(clamp32(mark.line)) + 1, static_cast<std::size_t>(clamp32(mark.column)) + 1,
                       "YAML document has more than 4294967293 nodes"};
    const auto index = static_cast<std::uint32_t>(nodes.size());
    node n;
    n.kind = kind;
    n.line = clamp32(mark.line);
    n.column = clamp32(mark.column);
    nodes.push_back(n);
    if (stack_.empty()) {
      root = index;
    } else {
      node& parent = nodes[stack_.back()];
      if (parent.last == none) parent.first = index;
      else nodes[parent.last].next = index;
      parent.last = index;
    }
    if (anchor != 0) {
      if (anchors_.size() <= anchor) {
        anchors_.resize(anchor + 1, none);
        anchor_names_.resize(anchor + 1);
      }
      anchors_[anchor] = index;
      anchor_names_[anchor] = std::move(pending_name_);
    }
    pending_name_.clear();
    return index;
  }
  void open(node_kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    const std::uint32_t index = add(kind, mark, anchor);
    nodes[index].open = true;
    stack_.push_back(index);
  }
  void close() {
    nodes[stack_.back()].open = false;
    stack_.pop_back();
  }

  std::vector<std::uint32_t> stack_;
  std::vector<std::uint32_t> anchors_;  // by yaml-cpp's anchor number
  std::vector<std::string> anchor_names_;
  std::string pending_name_;
};

// ---- the conversion --------------------------------------------------------------------------

class converter {
 public:
  /// `alias_bytes` counts what aliases expanded to in earlier documents of the same input.
  converter(const tree_builder& tree, std::string& out, std::size_t& alias_bytes, const yaml_limits& limits)
      : t_(tree), out_(out), alias_bytes_(alias_bytes), limits_(limits) {}

  void document() { emit(t_.root, 0); }

 private:
  [[noreturn]] void fail(const node& at, std::string reason) const {
    throw text_error{std::size_t{at.line} + 1, std::size_t{at.column} + 1, std::move(reason)};
  }
  [[nodiscard]] const node& deref(std::uint32_t index) const {
    const node* n = &t_.nodes[index];
    if (n->kind == node_kind::alias) n = &t_.nodes[n->target];
    return *n;
  }

  // What aliases expand to is counted against one budget per input, so that output stays linear
  // in the input: without aliases, JSON is never much larger than its YAML.
  void begin_alias(const node& at) {
    alias_active_ = true;
    alias_start_ = out_.size();
    alias_at_ = &at;
  }
  void end_alias() {
    alias_bytes_ += out_.size() - alias_start_;
    alias_active_ = false;
  }
  void check_budget() const {
    if (alias_active_ && alias_bytes_ + (out_.size() - alias_start_) > limits_.max_alias_bytes)
      fail(*alias_at_, too_large());
  }
  [[nodiscard]] std::string too_large() const {
    return "YAML aliases expand to more than " + std::to_string(limits_.max_alias_bytes) +
           " bytes of JSON in this input (the per-object size limit, --max-object-bytes)";
  }

  scalar_value scalar_of(const node& n) const {
    const std::string_view tag = t_.tag(n);
    const std::string_view text = t_.text(n);
    if (tag == "!") {  // quoted, literal or folded: a string, whatever it looks like
      scalar_value v;
      v.text = std::string(text);
      return v;
    }
    if (tag == std::string(tag_prefix) + "binary") {
      auto data = decode_base64(text);
      if (!data) fail(n, "YAML !!binary value contains invalid base64 data");
      scalar_value v;
      v.text = valid_utf8(*data);
      return v;
    }
    try {
      return resolve(tag == "?" ? std::string_view() : tag, text);
    } catch (const text_error& e) {
      fail(n, "YAML " + e.reason);
    }
  }

  void emit_scalar(const node& n) {
    const scalar_value v = scalar_of(n);
    switch (v.kind) {
      case value_kind::null_value: out_ += "null"; break;
      case value_kind::boolean: out_ += v.boolean ? "true" : "false"; break;
      case value_kind::integer: out_ += std::to_string(v.integer); break;
      case value_kind::unsigned_integer: out_ += std::to_string(v.unsigned_integer); break;
      case value_kind::floating:
        if (!std::isfinite(v.floating))
          fail(n, "YAML value `" + std::string(t_.text(n)) + "` is not a JSON number (kubectl refuses it too)");
        out_ += go_json_float(v.floating);
        break;
      case value_kind::string:
      case value_kind::timestamp: epslice::detail::write_json_string(out_, v.text); break;
    }
  }

  [[nodiscard]] bool is_merge_key(const node& key) const {
    if (key.kind != node_kind::scalar || t_.text(key) != "<<") return false;
    const std::string_view tag = t_.tag(key);
    return tag == "?" || tag == std::string(tag_prefix) + "merge";
  }

  // A mapping key as sigs.k8s.io/yaml turns it into a JSON object key.
  std::string key_text(std::uint32_t index) const {
    const node& n = deref(index);
    if (n.kind == node_kind::sequence || n.kind == node_kind::mapping)
      fail(n, "YAML mapping key that is a sequence or a mapping has no JSON form");
    if (n.kind == node_kind::null_value) fail(n, "YAML mapping key null has no JSON form");
    scalar_value v = scalar_of(n);
    switch (v.kind) {
      case value_kind::null_value: fail(n, "YAML mapping key null has no JSON form");
      case value_kind::boolean: return v.boolean ? "true" : "false";
      case value_kind::integer: return std::to_string(v.integer);
      case value_kind::unsigned_integer:
        fail(n, "YAML mapping key " + std::to_string(v.unsigned_integer) +
                    " is an unsigned 64-bit integer, which kubectl refuses as a key");
      case value_kind::floating: return go_float32_key(v.floating);
      case value_kind::string:
      case value_kind::timestamp: break;
    }
    return std::move(v.text);
  }

  // One key of a mapping with merges: its text, its value, and the alias it was merged through
  // (nullptr when written in the mapping itself or merged from a mapping written in place).
  struct entry {
    std::string key;
    std::uint32_t value;
    const node* via_alias;
  };

  // go-yaml's mapping decoding with `<<` merges: every key assignment in order, the last wins.
  void collect(const node& map, std::vector<entry>& out, std::unordered_map<std::string, std::size_t>& index,
               std::size_t depth, const node* via_alias) {
    if (depth >= limits_.max_depth) fail(map, too_deep());
    for (std::uint32_t k = map.first; k != none; k = t_.nodes[t_.nodes[k].next].next) {
      const std::uint32_t v = t_.nodes[k].next;
      if (!is_merge_key(t_.nodes[k])) {
        std::string key = key_text(k);
        if (via_alias || alias_active_) {
          // Merging the same anchors again and again costs work without growing the output: the
          // work counts against the alias budget too, a key assignment as 64 bytes more than its
          // text (about what a hash map insertion costs against copying bytes).
          alias_bytes_ += key.size() + 64;
          if (!alias_active_ && alias_bytes_ > limits_.max_alias_bytes) fail(*via_alias, too_large());
          check_budget();
        }
        auto [it, inserted] = index.try_emplace(key, out.size());
        if (inserted) out.push_back(entry{std::move(key), v, via_alias});
        else out[it->second] = entry{std::move(out[it->second].key), v, via_alias};
        continue;
      }
      const auto merge = [&](std::uint32_t m) {
        const node& raw = t_.nodes[m];
        const node& target = deref(m);
        if (target.kind != node_kind::mapping)
          fail(target, "YAML map merge requires map or sequence of maps as the value");
        collect(target, out, index, depth + 1, via_alias ? via_alias : raw.kind == node_kind::alias ? &raw : nullptr);
      };
      const node& value = deref(v);
      if (value.kind == node_kind::sequence) {
        // Earlier maps of the sequence win: merge them last.
        std::vector<std::uint32_t> items;
        for (std::uint32_t c = value.first; c != none; c = t_.nodes[c].next) items.push_back(c);
        for (auto it = items.rbegin(); it != items.rend(); ++it) merge(*it);
      } else {
        merge(v);
      }
    }
  }

  [[nodiscard]] std::string too_deep() const {
    return "YAML nested deeper than " + std::to_string(limits_.max_depth) + " levels once its aliases are expanded";
  }

  void emit(std::uint32_t index, std::size_t depth) {
    const node& raw = t_.nodes[index];
    const bool counting = raw.kind == node_kind::alias && !alias_active_;
    if (counting) begin_alias(raw);
    const node& n = deref(index);
    switch (n.kind) {
      case node_kind::null_value:
      case node_kind::alias: out_ += "null"; break;
      case node_kind::scalar: emit_scalar(n); break;
      case node_kind::sequence:
        if (depth >= limits_.max_depth) fail(n, too_deep());
        out_ += '[';
        for (std::uint32_t c = n.first; c != none; c = t_.nodes[c].next) {
          if (c != n.first) out_ += ',';
          emit(c, depth + 1);
        }
        out_ += ']';
        break;
      case node_kind::mapping:
        if (depth >= limits_.max_depth) fail(n, too_deep());
        emit_mapping(n, depth);
        break;
    }
    check_budget();
    if (counting) end_alias();
  }

  void emit_mapping(const node& n, std::size_t depth) {
    out_ += '{';
    bool merges = false;
    for (std::uint32_t k = n.first; k != none && !merges; k = t_.nodes[t_.nodes[k].next].next)
      merges = is_merge_key(t_.nodes[k]);
    if (!merges) {
      for (std::uint32_t k = n.first; k != none; k = t_.nodes[t_.nodes[k].next].next) {
        if (k != n.first) out_ += ',';
        epslice::detail::write_json_string(out_, key_text(k));
        out_ += ':';
        emit(t_.nodes[k].next, depth + 1);
      }
    } else {
      std::vector<entry> all;
      std::unordered_map<std::string, std::size_t> index_of;
      collect(n, all, index_of, depth, nullptr);
      for (std::size_t i = 0; i < all.size(); ++i) {
        if (i) out_ += ',';
        // A key merged through an alias is expanded from the anchor: it counts as alias output.
        const bool counting = all[i].via_alias && !alias_active_;
        if (counting) begin_alias(*all[i].via_alias);
        epslice::detail::write_json_string(out_, all[i].key);
        out_ += ':';
        emit(all[i].value, depth + 1);
        check_budget();
        if (counting) end_alias();
      }
    }
    out_ += '}';
  }

  const tree_builder& t_;
  std::string& out_;
  std::size_t& alias_bytes_;
  const yaml_limits& limits_;
  bool alias_active_ = false;
  std::size_t alias_start_ = 0;
  const node* alias_at_ = nullptr;
};

// An input stream over text held elsewhere (nothing is ever written through it).
class view_buffer final : public std::streambuf {
 public:
  explicit view_buffer(std::string_view s) {
    char* p = const_cast<char*>(s.data());
    setg(p, p, p + s.size());
  }
};

}  // namespace

std::size_t yaml_to_json(std::string_view yaml, std::string& json, const yaml_limits& limits) {
  view_buffer buffer(yaml);
  std::istream in(&buffer);
  std::size_t documents = 0;
  try {
    YAML::Parser parser(in);
    tree_builder tree;
    std::size_t alias_bytes = 0;
    while (parser.HandleNextDocument(tree)) {
      if (tree.root == none || tree.nodes[tree.root].kind == node_kind::null_value) continue;
      converter(tree, json, alias_bytes, limits).document();
      json += '\n';
      ++documents;
    }
  } catch (const YAML::DeepRecursion& e) {
    throw text_error{static_cast<std::size_t>(clamp32(e.mark.line)) + 1, static_cast<std::size_t>(clamp32(e.mark.column)) + 1,
                     "not YAML: nested too deep for yaml-cpp (its recursion guard of 2000 parser calls stops a "
                     "document at about 500 levels)"};
  } catch (const YAML::Exception& e) {
    throw text_error{static_cast<std::size_t>(clamp32(e.mark.line)) + 1, static_cast<std::size_t>(clamp32(e.mark.column)) + 1,
                     "not YAML: " + e.msg};
  }
  return documents;
}

}  // namespace cli
