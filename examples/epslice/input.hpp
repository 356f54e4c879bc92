// SPDX-License-Identifier: Apache-2.0
// The tool's input: files, pipes and standard input read in chunks, decoded as JSON or YAML.
#pragma once

#include "yaml_input.hpp"

#include <epslice/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

/// An input that cannot be read: the whole line to print (`epslice: <name>: <reason>`).
struct unreadable_input {
  std::string message;
};

/// One input read in chunks as read(2) returns them, at most chunk_size bytes each: a file, a
/// pipe or a device, or standard input for "-". Nothing is read before the first next(), so a
/// reader can stop at the first bytes that cannot be decoded (`/dev/zero`).
class input_source {
 public:
  static constexpr std::size_t chunk_size = 64 * 1024;

  /// Opens `name`. Throws unreadable_input when it does not exist, may not be read or is a
  /// directory.
  explicit input_source(std::string name);
  ~input_source();
  input_source(const input_source&) = delete;
  input_source& operator=(const input_source&) = delete;

  /// The next bytes, valid until the next call; empty at the end of the input. Throws
  /// unreadable_input when reading fails.
  [[nodiscard]] std::string_view next();
  /// The name the input was opened with ("-" for standard input).
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
  int fd_ = -1;
  bool owned_ = false;  // opened here, so closed here (not standard input)
  std::vector<char> buffer_;
};

/// How an input is decoded: JSON when its first byte other than JSON white space (after a UTF-8
/// byte order mark) is `{` or `[`, YAML otherwise.
enum class input_format { unknown, json, yaml };

/// Decodes one input fed chunk by chunk. The format is decided at the first byte that is not
/// white space. JSON text is kept and decoded at the end with epslice::decode_document (the whole
/// text at once, until a stream decoder takes the chunks as they come); YAML text is checked as it
/// arrives, so bytes that cannot be YAML stop the reading at once, and converted to JSON text at
/// the end (yaml_to_json), so that errors in objects keep their field paths.
class input_decoder {
 public:
  /// Takes the next chunk. Throws text_error when the bytes cannot be YAML.
  void feed(std::string_view chunk);
  /// The format seen so far; unknown while nothing but white space arrived.
  [[nodiscard]] input_format format() const noexcept { return format_; }
  /// Decodes everything fed: the document, or nullopt when the input holds no value (only white
  /// space, or YAML comments and empty documents). A JSON syntax error is reported in the
  /// document as decode_document reports it. Throws text_error when YAML does not parse or
  /// convert.
  [[nodiscard]] std::optional<epslice::decoded_document> finish();

 private:
  input_format format_ = input_format::unknown;
  std::string text_;
  std::size_t bom_seen_ = 0;  // bytes of a leading UTF-8 byte order mark seen so far
  yaml_text_check check_;
};

/// One input decoded. `code` is exit_usage when it could not be read or is not JSON or YAML (the
/// message is already printed), exit_invalid when it has structural or decoding problems (also
/// printed), else exit_ok.
struct loaded_file {
  std::string name;
  input_format format = input_format::unknown;
  epslice::decoded_document doc;
  int code = 0;
};

/// `<Kind> <namespace>/<name>` of a decoded object, for messages.
[[nodiscard]] std::string describe(const epslice::decoded_object& o);

/// Reads and decodes one input ("-" for standard input), printing why it cannot be read, where it
/// stops being JSON or YAML, and the decoding problems of its objects, one line each:
///   epslice: <name>: is a directory              (no such file, permission denied, empty input)
///   <name>:<line>:<column>: not JSON: <reason>   (not YAML: <reason>)
///   <name>: <Kind> <namespace>/<name>: <field path>: <message>
[[nodiscard]] loaded_file load(const std::string& name);

}  // namespace cli
