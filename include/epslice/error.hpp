// SPDX-License-Identifier: Apache-2.0
// Field errors (as the API server reports them) and the one exception type of epslice.
#pragma once

#include <cassert>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace epslice {

/// The kind of a field error, named after Kubernetes' field.ErrorType values.
enum class error_type {
  required,       ///< "Required value": a needed field is missing or empty.
  invalid,        ///< "Invalid value": malformed value, or a value of the wrong JSON type.
  not_supported,  ///< "Unsupported value": not one of the allowed values.
  duplicate,      ///< "Duplicate value": a value that must be unique appears again.
  too_many,       ///< "Too many": a list longer than allowed.
  too_long,       ///< "Too long": a string longer than allowed.
  forbidden,      ///< "Forbidden": a value that may not be set.
  internal,       ///< "Internal error": inconsistent content (e.g. a reserved key left over).
};

/// The text Kubernetes prints for an error type ("Required value", "Invalid value", ...).
[[nodiscard]] constexpr std::string_view to_string(error_type t) noexcept {
  switch (t) {
    case error_type::required: return "Required value";
    case error_type::invalid: return "Invalid value";
    case error_type::not_supported: return "Unsupported value";
    case error_type::duplicate: return "Duplicate value";
    case error_type::too_many: return "Too many";
    case error_type::too_long: return "Too long";
    case error_type::forbidden: return "Forbidden";
    case error_type::internal: return "Internal error";
  }
  return "Invalid value";
}

namespace detail {
/// Append `text` with its control characters (U+0000..U+001F) shown as `\u00XX`, so that what a
/// message echoes stays on one line.
inline void append_without_controls(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20) {
      out += "\\u00";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
}
}  // namespace detail

/// One problem with one field: where (`endpoints[3].addresses[0]`), what kind, the offending value
/// as text (empty when there is none to show) and a human-readable detail.
struct field_error {
  std::string path;
  error_type type = error_type::invalid;
  std::string value;
  std::string detail;

  /// `path: Type: "value": detail`, the shape of Kubernetes' field error messages, on one line
  /// (a path made of object keys may hold any character: its control characters are shown as
  /// `\u00XX`). The value is shown only for types that carry one and only when non-empty.
  [[nodiscard]] std::string message() const {
    std::string out;
    if (path.empty())
      out = "<root>";
    else
      detail::append_without_controls(out, path);
    out += ": ";
    out += to_string(type);
    const bool shows_value = type == error_type::invalid || type == error_type::not_supported ||
                             type == error_type::duplicate || type == error_type::too_many ||
                             type == error_type::too_long;
    if (shows_value && !value.empty()) {
      out += ": ";
      out += value;
    }
    if (!detail.empty()) {
      out += ": ";
      detail::append_without_controls(out, detail);
    }
    return out;
  }

  friend bool operator==(const field_error&, const field_error&) = default;
};

/// A list of field errors; empty means valid.
using field_errors = std::vector<field_error>;

/// At most this many bytes of a value are echoed in a message or a field error's `value`; a
/// longer value is cut (at a UTF-8 boundary) and followed by its full length, so that a value of
/// hundreds of megabytes never lands in a message whole.
inline constexpr std::size_t max_echoed_bytes = 200;

namespace detail {
/// The length of the longest prefix of `s` of at most `n` bytes that does not end inside a UTF-8
/// sequence (text that is not UTF-8 is cut at `n`).
[[nodiscard]] constexpr std::size_t utf8_prefix_length(std::string_view s, std::size_t n) noexcept {
  if (s.size() <= n) return s.size();
  // A sequence is at most 4 bytes: back up over at most 3 continuation bytes to its lead byte.
  for (std::size_t k = n, steps = 0; k > 0 && steps < 4; --k, ++steps)
    if ((static_cast<unsigned char>(s[k]) & 0xC0) != 0x80) return k;
  return n;
}
/// ` ... (N bytes)`, the mark of a cut value.
inline void append_cut_mark(std::string& out, std::size_t full_length) {
  out += " ... (";
  out += std::to_string(full_length);
  out += " bytes)";
}
}  // namespace detail

/// Quote a string for use as the `value` of a field error: `"text"`, with `"` and `\` escaped and
/// control characters shown as `\u00XX`. A string longer than max_echoed_bytes is cut there and its
/// length given: `"aaaa" ... (209715200 bytes)`. Only the bytes shown are read.
[[nodiscard]] inline std::string quote_value(std::string_view s) {
  const std::size_t shown = detail::utf8_prefix_length(s, max_echoed_bytes);
  std::string out;
  out.reserve(shown + 2);
  out += '"';
  for (char c : s.substr(0, shown)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      detail::append_without_controls(out, std::string_view(&c, 1));
    }
  }
  out += '"';
  if (shown < s.size()) detail::append_cut_mark(out, s.size());
  return out;
}

/// The text of a value that is not a string (a number as written, JSON text) for use as the
/// `value` of a field error: as it is, or cut at max_echoed_bytes with its length given
/// (`123456... ... (5000 bytes)`).
[[nodiscard]] inline std::string echo_value(std::string_view text) {
  const std::size_t shown = detail::utf8_prefix_length(text, max_echoed_bytes);
  std::string out(text.substr(0, shown));
  if (shown < text.size()) detail::append_cut_mark(out, text.size());
  return out;
}

/// The one exception type epslice throws. It carries every problem found, each with its field
/// path, so that a caller can report all of them at once.
class error : public std::runtime_error {
 public:
  /// Precondition: `errors` is not empty (checked by an assertion in debug builds; the library
  /// itself throws through detail::throw_error, which never passes an empty list).
  explicit error(field_errors errors)
      : std::runtime_error(join(errors)), errors_(std::move(errors)) {
    assert(!errors_.empty() && "epslice::error needs at least one field error");
  }
  error(std::string path, std::string reason)
      : error(field_errors{field_error{std::move(path), error_type::invalid, {}, std::move(reason)}}) {}

  /// Every problem found, in document order.
  [[nodiscard]] const field_errors& errors() const noexcept { return errors_; }
  /// The field path of the first problem (empty if the error was built, against its
  /// precondition, from an empty list).
  [[nodiscard]] const std::string& path() const noexcept {
    static const std::string none;  // immutable: what an error without problems points at
    return errors_.empty() ? none : errors_.front().path;
  }

 private:
  static std::string join(const field_errors& errors) {
    std::string out;
    for (const auto& e : errors) {
      if (!out.empty()) out += '\n';
      out += e.message();
    }
    if (out.empty()) out = "epslice: unspecified error";
    return out;
  }
  field_errors errors_;
};

namespace detail {
/// Every throw of epslice goes through here.
[[noreturn]] inline void throw_error(field_errors errors) {
  if (errors.empty()) errors.push_back(field_error{{}, error_type::internal, {}, "unspecified error"});
  throw error(std::move(errors));
}
[[noreturn]] inline void throw_error(std::string path, std::string reason) {
  throw error(std::move(path), std::move(reason));
}
}  // namespace detail

}  // namespace epslice
