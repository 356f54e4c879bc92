// SPDX-License-Identifier: Apache-2.0
// RFC 3339 times: seconds since the Unix epoch, and the UTC RFC3339Nano text Kubernetes writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace epslice {

namespace detail {

/// Days since 1970-01-01 of a date of the proleptic Gregorian calendar (Howard Hinnant's
/// days_from_civil); `month` 1..12, `day` 1..31.
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t year, std::int64_t month, std::int64_t day) noexcept {
  const std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/// The date `days` after 1970-01-01 (the inverse of days_from_civil).
struct civil_date {
  std::int64_t year = 0;
  std::int64_t month = 0;
  std::int64_t day = 0;
};
[[nodiscard]] constexpr civil_date civil_from_days(std::int64_t days) noexcept {
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return civil_date{yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - (153 * mp + 2) / 5 + 1};
}

/// Reads `count` decimal digits of `t` at `at`; nullopt when they are not all there.
[[nodiscard]] constexpr std::optional<std::int64_t> rfc3339_digits(std::string_view t, std::size_t at,
                                                                  std::size_t count) noexcept {
  if (at > t.size() || count > t.size() - at) return std::nullopt;
  std::int64_t v = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
    v = v * 10 + (t[i] - '0');
  }
  return v;
}

}  // namespace detail

/// Seconds since the Unix epoch of an RFC 3339 time (`2024-01-01T00:00:00Z`; a fraction and a
/// numeric offset are allowed, the fraction is dropped). Lenient where the protobuf encoding does
/// not care: `t` and `z` in lower case, a day 31 in any month and a leap second 60 are accepted
/// (the date rolls over). nullopt when the text is not such a time. Never throws.
[[nodiscard]] constexpr std::optional<std::int64_t> rfc3339_seconds(std::string_view t) noexcept {
  using detail::rfc3339_digits;
  const auto y = rfc3339_digits(t, 0, 4), mo = rfc3339_digits(t, 5, 2), d = rfc3339_digits(t, 8, 2),
             h = rfc3339_digits(t, 11, 2), mi = rfc3339_digits(t, 14, 2), se = rfc3339_digits(t, 17, 2);
  if (!y || !mo || !d || !h || !mi || !se || t.size() < 20 || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != 't') || t[13] != ':' || t[16] != ':')
    return std::nullopt;
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60) return std::nullopt;
  std::size_t i = 19;
  if (t[i] == '.') {
    ++i;
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    const auto oh = rfc3339_digits(t, i + 1, 2), om = rfc3339_digits(t, i + 4, 2);
    if (!oh || !om || t[i + 3] != ':') return std::nullopt;
    offset = (*oh * 60 + *om) * 60 * (t[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  return detail::days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *se - offset;
}

/// An RFC 3339 time as Kubernetes writes it with Go's `t.UTC().Format(time.RFC3339Nano)` (the
/// endpoints.kubernetes.io/last-change-trigger-time annotation, for one): converted to UTC, `Z`,
/// the fraction of a second kept without its trailing zeros (none when it is all zeros).
/// `2026-11-26T17:42:11.500+01:00` becomes `2026-11-26T16:42:11.5Z`.
///
/// Strict: `YYYY-MM-DDTHH:MM:SS[.F]Z` or with a `+HH:MM`/`-HH:MM` offset, an upper-case `T` and
/// `Z`, a real calendar date, seconds 00..59, a fraction of 1 to 9 digits, offset hours 00..23.
/// Returns nullopt when `t` is not such a time or its UTC date falls outside the years 0000..9999.
/// Does not throw except std::bad_alloc.
[[nodiscard]] inline std::optional<std::string> normalize_rfc3339(std::string_view t) {
  std::size_t i = 0;
  bool ok = true;
  const auto number = [&](std::size_t digits, std::int64_t lo, std::int64_t hi) -> std::int64_t {
    const auto v = detail::rfc3339_digits(t, i, digits);
    if (!v || *v < lo || *v > hi) {
      ok = false;
      return lo;
    }
    i += digits;
    return *v;
  };
  const auto expect = [&](char c) {
    if (i >= t.size() || t[i] != c) ok = false;
    else ++i;
  };
  const std::int64_t year = number(4, 0, 9999);
  expect('-');
  const std::int64_t month = ok ? number(2, 1, 12) : 1;
  expect('-');
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  static constexpr std::int64_t month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const std::int64_t day = ok ? number(2, 1, month_days[month - 1] + (month == 2 && leap ? 1 : 0)) : 1;
  expect('T');
  const std::int64_t hour = ok ? number(2, 0, 23) : 0;
  expect(':');
  const std::int64_t minute = ok ? number(2, 0, 59) : 0;
  expect(':');
  const std::int64_t second = ok ? number(2, 0, 59) : 0;
  if (!ok) return std::nullopt;
  std::string_view fraction;
  if (i < t.size() && t[i] == '.') {
    const std::size_t start = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    fraction = t.substr(start, i - start);
    if (fraction.empty() || fraction.size() > 9) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (i < t.size() && t[i] == 'Z') {
    ++i;
  } else if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
    const bool negative = t[i++] == '-';
    const std::int64_t oh = number(2, 0, 23);
    expect(':');
    const std::int64_t om = ok ? number(2, 0, 59) : 0;
    if (!ok) return std::nullopt;
    offset = (negative ? -1 : 1) * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;

  const std::int64_t total = detail::days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  std::int64_t days = total / 86400, rest = total % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  const detail::civil_date utc = detail::civil_from_days(days);
  if (utc.year < 0 || utc.year > 9999) return std::nullopt;
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);

  std::string out;
  out.reserve(20 + (fraction.empty() ? 0 : 1 + fraction.size()));
  const auto put = [&](std::int64_t v, int width) {
    char digits[4];
    for (int k = width - 1; k >= 0; --k) {
      digits[k] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    out.append(digits, static_cast<std::size_t>(width));
  };
  put(utc.year, 4);
  out += '-';
  put(utc.month, 2);
  out += '-';
  put(utc.day, 2);
  out += 'T';
  put(rest / 3600, 2);
  out += ':';
  put(rest / 60 % 60, 2);
  out += ':';
  put(rest % 60, 2);
  if (!fraction.empty()) {
    out += '.';
    out += fraction;
  }
  out += 'Z';
  return out;
}

}  // namespace epslice
