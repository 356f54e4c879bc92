// SPDX-License-Identifier: Apache-2.0
// Tests of time.hpp: RFC 3339 times to seconds, and to the UTC RFC3339Nano text Kubernetes writes.
#include <catch2/catch.hpp>

#include <epslice/time.hpp>

#include <optional>
#include <string>

using epslice::normalize_rfc3339;
using epslice::rfc3339_seconds;

TEST_CASE("time: civil dates and days", "[time]") {
  using epslice::detail::civil_from_days;
  using epslice::detail::days_from_civil;
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(days_from_civil(1, 1, 1) == -719162);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  // Round trips over four centuries around the epoch and the ends of years 0 and 9999.
  for (std::int64_t d : {-719528, -719162, -1, 0, 59, 60, 11016, 11017, 2932896}) {
    const auto c = civil_from_days(d);
    INFO(d);
    CHECK(days_from_civil(c.year, c.month, c.day) == d);
  }
  const auto leap_day = civil_from_days(days_from_civil(2024, 2, 29));
  CHECK((leap_day.year == 2024 && leap_day.month == 2 && leap_day.day == 29));
}

TEST_CASE("time: rfc3339_seconds", "[time]") {
  CHECK(rfc3339_seconds("1970-01-01T00:00:00Z") == 0);
  CHECK(rfc3339_seconds("2024-01-01T00:00:00Z") == 1704067200);
  CHECK(rfc3339_seconds("2024-01-01t00:00:00z") == 1704067200);
  CHECK(rfc3339_seconds("2023-12-31T19:00:00-05:00") == 1704067200);
  CHECK(rfc3339_seconds("2024-01-01T00:00:00.999999999Z") == 1704067200);  // the fraction is dropped
  CHECK(rfc3339_seconds("1969-12-31T23:59:59Z") == -1);
  CHECK_FALSE(rfc3339_seconds(""));
  CHECK_FALSE(rfc3339_seconds("2024-01-01T00:00:00"));
  CHECK_FALSE(rfc3339_seconds("2024-01-01T00:00:00.Z"));
  CHECK_FALSE(rfc3339_seconds("2024-01-01T00:00:00+01"));
  CHECK_FALSE(rfc3339_seconds("2024-01-01T00:00:00+01:00x"));
  CHECK_FALSE(rfc3339_seconds("2024-01-01T24:00:00Z"));
}

TEST_CASE("time: normalize_rfc3339 writes UTC RFC3339Nano", "[time]") {
  struct row {
    std::string in;
    std::optional<std::string> want;
  };
  const row rows[] = {
      {"2026-11-26T16:42:11Z", "2026-11-26T16:42:11Z"},
      {"2026-11-27T09:30:00.250000+02:00", "2026-11-27T07:30:00.25Z"},  // offset applied, zeros trimmed
      {"2026-11-26T17:42:11.5+01:00", "2026-11-26T16:42:11.5Z"},
      {"2026-11-26T16:42:11.000000000Z", "2026-11-26T16:42:11Z"},       // an all-zero fraction goes
      {"2026-11-26T16:42:11.123456789Z", "2026-11-26T16:42:11.123456789Z"},
      {"2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00Z"},            // across a year
      {"2024-03-01T00:30:00+01:00", "2024-02-29T23:30:00Z"},            // back into a leap day
      {"0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"},
      {"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
      // Refused: what Go's RFC 3339 layout refuses, and UTC dates outside four-digit years.
      {"yesterday", std::nullopt},
      {"2026-02-29T00:00:00Z", std::nullopt},              // not a leap year
      {"2026-11-26T16:42:11", std::nullopt},               // no zone
      {"2026-11-26T16:42:11.1234567891Z", std::nullopt},   // ten digits of fraction
      {"2026-11-26T16:42:11.Z", std::nullopt},
      {"2026-11-26t16:42:11Z", std::nullopt},
      {"2026-11-26T16:42:11z", std::nullopt},
      {"2026-11-26T16:42:60Z", std::nullopt},
      {"2026-11-26T16:42:11+24:00", std::nullopt},
      {"2026-11-26T16:42:11+01:60", std::nullopt},
      {"2026-11-26T16:42:11+0100", std::nullopt},
      {"2026-11-26T16:42:11Z ", std::nullopt},
      {"2026-1-26T16:42:11Z", std::nullopt},
      {"0000-01-01T00:30:00+01:00", std::nullopt},         // UTC falls in year -1
      {"9999-12-31T23:30:00-01:00", std::nullopt},         // UTC falls in year 10000
      {"", std::nullopt},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    CHECK(normalize_rfc3339(r.in) == r.want);
    // Whatever is accepted reads back as the same instant.
    if (r.want) CHECK(rfc3339_seconds(*r.want) == rfc3339_seconds(r.in));
  }
}
