// SPDX-License-Identifier: Apache-2.0
// The text rules of label values, shared by validation and the reconciler's zone-partitioned layout.
#pragma once

#include <cstddef>
#include <string_view>

namespace epslice::detail {

/// The longest label value the API accepts.
inline constexpr std::size_t label_value_max_length = 63;

/// True for an ASCII letter (either case) or digit.
[[nodiscard]] constexpr bool is_alnum_any_case(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, any length: the name part of a qualified name and
/// a non-empty label value.
[[nodiscard]] constexpr bool qualified_name_part_format(std::string_view s) noexcept {
  if (s.empty() || !is_alnum_any_case(s.front()) || !is_alnum_any_case(s.back())) return false;
  for (char c : s)
    if (!is_alnum_any_case(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

/// True for a valid label value: empty, or 1..63 letters, digits, '-', '_' and '.', starting and
/// ending with a letter or digit.
[[nodiscard]] constexpr bool label_value_format(std::string_view s) noexcept {
  return s.empty() || (s.size() <= label_value_max_length && qualified_name_part_format(s));
}

}  // namespace epslice::detail
