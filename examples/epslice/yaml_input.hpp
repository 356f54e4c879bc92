// SPDX-License-Identifier: Apache-2.0
// YAML input for the tool: YAML documents converted to JSON text as kubectl converts them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cli {

/// Where an input stops being JSON or YAML, or cannot be converted: 1-based line and column, and
/// the reason (`not YAML: illegal map value`).
struct text_error {
  std::size_t line = 1;
  std::size_t column = 1;
  std::string reason;
};

/// How far yaml_to_json lets aliases take a document.
struct yaml_limits {
  /// What aliases may expand to, in bytes of JSON, in one input: by default the per-object size
  /// limit (64 MiB; the tool passes --max-object-bytes). Everything else converts to JSON about as
  /// large as its YAML, so the output stays linear in the input and a billion-laughs document is
  /// an error, not an explosion.
  std::size_t max_alias_bytes = std::size_t{64} << 20;
  /// The deepest nesting of a converted document once aliases are expanded. The conversion
  /// recurses once per level, so this bounds its stack: the tool keeps it at 1,000 whatever
  /// --max-depth says (yaml-cpp itself stops a document at its recursion guard of 2,000 parser
  /// calls, about 500 nested collections; only aliases nest deeper).
  std::size_t max_depth = 1000;
};

/// Checks YAML text as it arrives, so that input that cannot be YAML (binary data, `/dev/zero`)
/// stops at its first bad byte instead of being read to the end. YAML allows tab, line feed,
/// carriage return and the printable Unicode characters, in UTF-8.
class yaml_text_check {
 public:
  /// Checks the next bytes. Throws text_error (`not YAML: control character U+0000`, `not YAML:
  /// invalid UTF-8`) at the first character YAML does not allow.
  void feed(std::string_view bytes);
  /// Checks that the text does not end inside a UTF-8 sequence. Throws text_error.
  void finish() const;

 private:
  [[noreturn]] void fail(const std::string& reason) const;
  void character(std::uint32_t c);
  std::size_t line_ = 1;
  std::size_t column_ = 1;
  std::uint32_t code_ = 0;  // the code point being assembled
  int pending_ = 0;         // continuation bytes still expected
  int length_ = 0;          // length of the sequence being assembled
};

/// Converts YAML text to JSON text, one compact JSON value per document that holds a value (empty
/// documents and null ones are skipped, as kubectl skips them), each followed by a line feed.
/// Scalars resolve as kubectl's sigs.k8s.io/yaml resolves them (YAML 1.1 through go-yaml v2):
///  1. quoted and block scalars, and `!!str`, are strings;
///  2. plain `true`/`false`, `yes`/`no`, `on`/`off`, `y`/`n` (in their three casings) are booleans;
///     `~`, `null` and empty are null;
///  3. plain integers as Go's strconv.ParseInt with base prefixes (`0x1F`, `0o17`, `017`, `0b101`,
///     `_` separators), then unsigned 64-bit, then decimal floats; `.inf` and `.nan` have no JSON
///     form and are errors;
///  4. explicit tags (`!!int "80"`) must fit their value; `!!binary` is base64-decoded; other tags
///     give the text as a string;
///  5. mapping keys become strings: integers in decimal, floats as Go prints a float32, booleans as
///     `true`/`false`; null keys, unsigned 64-bit keys and collection keys are errors;
///  6. `<<` merge keys merge mappings (later keys win; in a merged sequence, earlier maps win);
///     other repeated keys are kept in order, for the JSON reader's duplicate-key rule;
///  7. aliases are expanded (keys merged through an alias count as expanded), within
///     `limits.max_alias_bytes` per input and `limits.max_depth` levels.
/// Returns the number of documents converted. Throws text_error with the YAML line and column.
[[nodiscard]] std::size_t yaml_to_json(std::string_view yaml, std::string& json, const yaml_limits& limits = {});

}  // namespace cli
