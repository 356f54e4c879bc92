// SPDX-License-Identifier: Apache-2.0
// The incremental, limited front of the JSON readers: checks bytes as they arrive and cuts objects out.
//
// The framer is fed the input in chunks of any size (down to one byte). It checks every byte
// against RFC 8259 (strings of valid UTF-8, escapes and surrogate pairs, the number grammar), with
// nlohmann's words and positions for syntax errors, and cuts the input into units, each handed
// to a sink as soon as its last byte has arrived:
//  - a top-level value (an object, a watch event, a scalar);
//  - each item of a List (`{"kind":"...List","items":[...]}`) and each element of a top-level
//    array, so that a list of any length never has to fit in memory;
//  - a List's own fields (kind, apiVersion, metadata), with its items left out, after its end.
// While cutting it reads each unit's type fields (the last `kind` and `apiVersion`, a watch
// event's `type` and its object's kind), so that the decoder knows the type before it reads the
// unit, whatever the key order.
//
// Limits (decode_limits) apply to each unit: a unit whose text passes max_object_bytes, or whose
// nesting passes max_depth, is handed out without text and with the problem; the framer stops
// storing it and skips to its end counting brackets. The framer holds at most the current unit
// (and a List's own fields), never the stream. Time is linear in the input for every input.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../document.hpp"
#include "../error.hpp"
#include "json_lexer.hpp"

namespace epslice::detail {

/// A string field read by the framer: absent, a string (its decoded value), or another JSON
/// value. The last occurrence of the key wins.
struct scanned_string {
  enum class state : std::uint8_t { absent, string, other };
  state st = state::absent;
  bool too_long = false;  // a string longer than the framer keeps (never a kind or a version)
  std::string value;

  /// The value when it is a string the framer kept, else empty.
  [[nodiscard]] std::string_view text() const noexcept {
    return st == state::string && !too_long ? std::string_view(value) : std::string_view();
  }
  [[nodiscard]] bool present() const noexcept { return st != state::absent; }
  /// The object has a value of its own: present and not "" (Go cannot tell "" from absent).
  [[nodiscard]] bool own() const noexcept { return st == state::other || (st == state::string && (too_long || !value.empty())); }
  void clear() noexcept {
    st = state::absent;
    too_long = false;
    value.clear();
  }
};

/// The type fields of one unit, as the framer read them.
struct type_fields {
  scanned_string kind, api_version;
  scanned_string type, go_type;  // a watch event's `type` / `Type`
  bool has_object = false;       // a watch event's `object` key
  bool has_go_object = false;    // ... or `Object`
  scanned_string object_kind, object_api_version;        // the kind of the value of `object`
  scanned_string go_object_kind, go_object_api_version;  // ... of `Object`
  bool list_items = false;  // an `items` array came while the kind said nothing else: read as a List
  void clear() noexcept {
    list_items = false;
    kind.clear();
    api_version.clear();
    type.clear();
    go_type.clear();
    has_object = has_go_object = false;
    object_kind.clear();
    object_api_version.clear();
    go_object_kind.clear();
    go_object_api_version.clear();
  }
};

/// True for `List` and kinds that end in `List` (`PodList`, ...).
[[nodiscard]] constexpr bool is_list_kind(std::string_view kind) noexcept {
  return kind == "List" || (kind.size() > 4 && kind.substr(kind.size() - 4) == "List");
}

enum class unit_role : std::uint8_t {
  value,        // a top-level value
  list_item,    // an item of a List
  array_item,   // an element of a top-level array
  list_header,  // a List's own fields, its items left out (`"items":[]`)
};

/// One unit cut out of the input, valid during the sink's call.
struct framed_unit {
  unit_role role = unit_role::value;
  std::string_view text;  // empty when over a limit
  std::size_t document = 0;
  std::size_t index = 0;  // of an item
  const type_fields* types = nullptr;
  std::optional<field_error> limit;  // the limit it passed, path relative to the unit
  bool split = false;                // list_header: its items were read apart
};

/// The path (`spec.selector[0][2]`) of the value that begins right after `prefix`, a valid JSON
/// text cut inside a value; cut after about max_echoed_bytes with `...`.
[[nodiscard]] inline std::string json_path_at_end(std::string_view prefix) {
  struct level {
    bool object;
    std::size_t index;
    std::string key;
  };
  std::vector<level> levels;
  std::string scratch;
  bool key_next = false;
  for (std::size_t i = 0; i < prefix.size();) {
    const char c = prefix[i];
    if (c == '{' || c == '[') {
      levels.push_back(level{c == '{', 0, {}});
      key_next = c == '{';
      ++i;
    } else if (c == '}' || c == ']') {
      if (!levels.empty()) levels.pop_back();
      key_next = false;
      ++i;
    } else if (c == ',') {
      if (!levels.empty()) {
        if (levels.back().object) key_next = true;
        else ++levels.back().index;
      }
      ++i;
    } else if (c == '"') {
      std::size_t j = i + 1;
      while (j < prefix.size() && prefix[j] != '"') j += prefix[j] == '\\' ? std::size_t{2} : std::size_t{1};
      if (key_next && !levels.empty()) {
        unescape_json_string(prefix.substr(i + 1, std::min(j, prefix.size()) - (i + 1)), scratch);
        levels.back().key = scratch;
        key_next = false;
      }
      i = j + 1;
    } else {
      ++i;
    }
  }
  std::string out;
  for (const level& l : levels) {
    if (out.size() > max_echoed_bytes) {
      out += "...";
      break;
    }
    if (l.object) {
      if (!out.empty()) out += '.';
      out += l.key;
    } else {
      out += '[';
      out += std::to_string(l.index);
      out += ']';
    }
  }
  return out;
}

/// The framer (see the file comment). Feed it chunks; it calls `sink.on_unit(const framed_unit&)`.
class framer {
 public:
  /// With `split` false the framer cuts top-level values only (Lists and arrays whole).
  explicit framer(const decode_limits& limits, bool split = true) : limits_(limits), split_(split) {
    check_limits(limits);
    stack_.reserve(64);
  }

  /// Read the next chunk of input. Does nothing after a syntax error.
  template <class Sink>
  void feed(std::string_view chunk, Sink& sink) {
    if (failed_ || chunk.empty()) return;
    chunk_ = chunk.data();
    chunk_end_ = chunk.data() + chunk.size();
    outer_ret_.chunk_begin(chunk_);
    item_ret_.chunk_begin(chunk_);
    const char* p = chunk_;
    while (p < chunk_end_ && !failed_) {
      const char* stop = chunk_end_;
      if (limit_end_ != npos && !skip_) {
        const std::size_t at = offset_of(p);
        if (limit_end_ <= at) {
          p = limit_reached(p, sink);
          continue;
        }
        if (limit_end_ - chunk_offset_ < chunk.size()) stop = chunk_ + (limit_end_ - chunk_offset_);
      }
      p = step(p, stop, sink);
    }
    if (failed_) return;
    outer_ret_.chunk_end(chunk_end_);
    item_ret_.chunk_end(chunk_end_);
    count_lines(chunk_, chunk_end_);
    history_.append(chunk);
    if (history_.size() > 2 * history_keep) history_.erase(0, history_.size() - history_keep);
    chunk_offset_ += chunk.size();
    chunk_ = chunk_end_ = nullptr;
  }

  /// The input has ended: complete a number that ends it, or record the syntax error (unexpected
  /// end of input, or empty input when there was no value at all).
  template <class Sink>
  void finish(Sink& sink) {
    if (failed_) return;
    const std::size_t eof = chunk_offset_;
    if (skip_) {
      fail_at(eof, "syntax error while parsing value - unexpected end of input");
      return;
    }
    switch (tok_) {
      case tok_t::none: break;
      case tok_t::number:
        if (number_accepting()) {
          number_at_end(sink);
        } else {
          lex_error_at(eof, number_error());
          return;
        }
        break;
      case tok_t::string: lex_error_at(eof, string_eof_error()); return;
      case tok_t::literal: lex_error_at(eof, "invalid literal"); return;
      case tok_t::bom: lex_error_at(eof, "invalid BOM; must be 0xEF 0xBB 0xBF if given"); return;
    }
    if (failed_) return;
    if (!stack_.empty()) {
      unexpected_at(eof, "end of input");
      return;
    }
    if (values_ == 0) fail_at(eof, "empty input");
  }

  [[nodiscard]] bool failed() const noexcept { return failed_; }
  [[nodiscard]] const std::optional<syntax_error_info>& syntax_error() const noexcept { return error_; }
  /// Top-level values begun so far.
  [[nodiscard]] std::size_t values() const noexcept { return values_; }
  /// The type fields a List has shown so far (during its items and its header).
  [[nodiscard]] const type_fields& list_types() const noexcept { return outer_types_; }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  static constexpr std::size_t history_keep = 256;  // bytes kept for "last read" across chunks
  static constexpr std::size_t scan_cap = 256;      // longest kind/apiVersion/type the framer keeps

  enum class expect_t : std::uint8_t { top, value, first_value, first_key, key, colon, next };
  enum class tok_t : std::uint8_t { none, string, number, literal, bom };
  enum class str_t : std::uint8_t { plain, escape, hex, high_backslash, high_u, low_hex, utf8 };
  enum class num_t : std::uint8_t { minus, zero, int_digits, dot, frac, exp, exp_sign, exp_digits };
  enum class field_t : std::uint8_t { none, kind, api_version, type, go_type, object, go_object, items, other };

  // Bytes of one unit: a view into the chunk while the unit lies in it, else a copy.
  struct retainer {
    std::string buf;
    const char* from = nullptr;  // start of the current run in the current chunk
    bool running = false;        // bytes from `from` on belong to the unit
    bool spilled = false;        // `buf` holds bytes of earlier runs
    void begin(const char* p) {
      release();
      from = p;
      running = true;
    }
    void chunk_begin(const char* begin) noexcept {
      if (running) from = begin;
    }
    void chunk_end(const char* end) {
      if (!running) return;
      buf.append(from, static_cast<std::size_t>(end - from));
      spilled = true;
    }
    void pause(const char* p) {  // keep [from, p), stop
      buf.append(from, static_cast<std::size_t>(p - from));
      spilled = true;
      running = false;
    }
    void resume(const char* p) noexcept {
      from = p;
      running = true;
    }
    std::string_view end_at(const char* p) {
      running = false;
      if (!spilled) return std::string_view(from, static_cast<std::size_t>(p - from));
      buf.append(from, static_cast<std::size_t>(p - from));
      return buf;
    }
    // The bytes so far, up to p (for the path of a depth problem).
    [[nodiscard]] std::string prefix(const char* p) const {
      std::string out = buf;
      if (running) out.append(from, static_cast<std::size_t>(p - from));
      return out;
    }
    void release() {
      running = spilled = false;
      buf.clear();
      if (buf.capacity() > (std::size_t{1} << 20)) std::string().swap(buf);  // give a large object's memory back
    }
  };

  // The key the framer is inside of, at depth 1 and 2 of a unit.
  struct scan_state {
    field_t d1 = field_t::none;
    field_t d2 = field_t::none;
  };

  decode_limits limits_;
  bool split_ = true;

  // input position
  const char* chunk_ = nullptr;
  const char* chunk_end_ = nullptr;
  std::size_t chunk_offset_ = 0;  // offset of chunk_[0]
  std::size_t lines_ = 0;         // newlines before chunk_
  std::size_t line_start_ = 0;    // offset of the first byte of the line chunk_ is in
  std::string history_;           // the last bytes before chunk_
  std::size_t reset_offset_ = 0;  // start of nlohmann's "last read" text

  // grammar
  std::vector<char> stack_;
  expect_t expect_ = expect_t::top;
  tok_t tok_ = tok_t::none;
  bool doomed_ = false;  // the token in progress is not allowed where it stands
  const char* doomed_name_ = "";
  bool tok_key_ = false;
  str_t str_ = str_t::plain;
  num_t num_ = num_t::minus;
  const char* lit_ = "";
  std::size_t lit_pos_ = 0;
  std::size_t lit_len_ = 0;
  int hex_n_ = 0;
  std::uint32_t cp_ = 0;
  int utf8_need_ = 0;
  unsigned char utf8_lo_ = 0x80, utf8_hi_ = 0xBF;
  std::size_t bom_pos_ = 0;

  // units
  std::size_t values_ = 0;
  std::size_t document_ = 0;
  bool outer_open_ = false;
  std::size_t outer_start_ = 0;
  bool array_mode_ = false;  // the top-level value is an array: its elements are units
  bool list_mode_ = false;   // the top-level object's items are read apart
  bool in_items_ = false;    // inside that items array
  std::size_t header_used_ = 0;    // bytes of the List's own fields so far
  std::size_t header_resume_ = 0;  // where its current run of bytes began
  bool item_open_ = false;
  std::size_t item_base_ = 0;  // stack depth around the item
  std::size_t item_start_ = 0;
  std::size_t items_seen_ = 0;
  unit_role item_role_ = unit_role::list_item;
  std::size_t limit_end_ = npos;  // offset at which the unit being stored passes max_object_bytes
  retainer outer_ret_, item_ret_;
  type_fields outer_types_, item_types_;
  scan_state outer_scan_, item_scan_;

  // scanning of type fields
  enum class cap_t : std::uint8_t { none, key1, key2, value };
  cap_t cap_ = cap_t::none;
  scanned_string* cap_field_ = nullptr;
  std::string cap_text_;
  bool cap_escaped_ = false;
  bool cap_long_ = false;

  // skipping a unit over a limit
  bool skip_ = false;
  bool skip_item_ = false;   // the unit skipped is the item (else the outer value)
  std::size_t skip_depth_ = 0;
  bool skip_in_string_ = false;
  bool skip_escape_ = false;
  bool skip_scalar_ = false;
  std::optional<field_error> skip_problem_;

  bool failed_ = false;
  std::optional<syntax_error_info> error_;

  // ---- positions ----------------------------------------------------------------------------
  [[nodiscard]] std::size_t offset_of(const char* p) const noexcept {
    return chunk_offset_ + static_cast<std::size_t>(p - chunk_);
  }
  void count_lines(const char* from, const char* to) noexcept {
    for (const char* p = from; p < to;) {
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(to - p));
      if (!nl) break;
      p = static_cast<const char*>(nl) + 1;
      ++lines_;
      line_start_ = offset_of(p);
    }
  }

  // ---- errors ---------------------------------------------------------------------------------
  void fail_at(std::size_t offset, std::string message) {
    failed_ = true;
    syntax_error_info e;
    e.offset = offset;
    std::size_t lines = lines_, start = line_start_;
    if (chunk_ && offset >= chunk_offset_) {
      const char* to = chunk_ + std::min(offset - chunk_offset_, static_cast<std::size_t>(chunk_end_ - chunk_));
      for (const char* p = chunk_; p < to;) {
        const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(to - p));
        if (!nl) break;
        p = static_cast<const char*>(nl) + 1;
        ++lines;
        start = offset_of(p);
      }
    }
    e.line = lines + 1;
    e.column = offset - start + 1;
    e.message = std::move(message);
    error_ = std::move(e);
  }

  // nlohmann's words for where the parser was.
  [[nodiscard]] std::string_view context() const noexcept {
    switch (expect_) {
      case expect_t::first_key:
      case expect_t::key: return "object key";
      case expect_t::colon: return "object separator";
      case expect_t::next: return !stack_.empty() && stack_.back() == '[' ? "array" : "object";
      default: return "value";
    }
  }
  [[nodiscard]] std::string_view expected() const noexcept {
    switch (expect_) {
      case expect_t::first_key:
      case expect_t::key: return "string literal";
      case expect_t::colon: return "':'";
      case expect_t::next: return !stack_.empty() && stack_.back() == '[' ? "']'" : "'}'";
      default: return "'[', '{', or a literal";
    }
  }
  [[nodiscard]] bool value_context() const noexcept {
    return expect_ == expect_t::top || expect_ == expect_t::value || expect_ == expect_t::first_value;
  }

  // The text nlohmann shows as "last read": from the start of the last string or number (or of
  // the top-level value) to the byte at `offset` (excluded when it is the end of input); at most
  // the last 200 bytes, with control characters as <U+XXXX>.
  [[nodiscard]] std::string last_read(std::size_t offset, bool include) const {
    const std::size_t to = include ? offset + 1 : offset;
    const std::size_t history_start = chunk_offset_ - history_.size();
    std::size_t from = std::max(reset_offset_, history_start);
    bool cut = false;
    if (to > from + max_echoed_bytes) {
      from = to - max_echoed_bytes;
      cut = true;
    }
    std::string raw;
    for (std::size_t o = from; o < to; ++o) {
      if (o < chunk_offset_) raw += history_[o - history_start];
      else if (chunk_ && o - chunk_offset_ < static_cast<std::size_t>(chunk_end_ - chunk_)) raw += chunk_[o - chunk_offset_];
    }
    std::string out = cut ? "..." : "";
    for (const char c : raw) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x1F) {
        static constexpr char hex[] = "0123456789ABCDEF";
        out += "<U+00";
        out += hex[u >> 4];
        out += hex[u & 15];
        out += '>';
      } else {
        out += c;
      }
    }
    return out;
  }
  void lex_error_at(std::size_t offset, std::string_view reason) {
    const bool include = offset < chunk_offset_ + static_cast<std::size_t>(chunk_end_ - chunk_) && chunk_ != nullptr;
    std::string m = "syntax error while parsing ";
    m += context();
    m += " - ";
    m += reason;
    m += "; last read: '";
    m += last_read(offset, include);
    m += '\'';
    if (!value_context()) {
      m += "; expected ";
      m += expected();
    }
    fail_at(offset, std::move(m));
  }
  const char* lex_error(const char* p, std::string_view reason) {
    lex_error_at(offset_of(p), reason);
    return chunk_end_;
  }
  void unexpected_at(std::size_t offset, std::string_view token) {
    std::string m = "syntax error while parsing ";
    m += context();
    m += " - unexpected ";
    m += token;
    m += "; expected ";
    m += expected();
    fail_at(offset, std::move(m));
  }
  const char* unexpected(const char* p, std::string_view token) {
    unexpected_at(offset_of(p), token);
    return chunk_end_;
  }

  [[nodiscard]] static std::string_view control_message(unsigned char c) noexcept {
    static constexpr std::string_view messages[32] = {
        "invalid string: control character U+0000 (NUL) must be escaped to \\u0000",
        "invalid string: control character U+0001 (SOH) must be escaped to \\u0001",
        "invalid string: control character U+0002 (STX) must be escaped to \\u0002",
        "invalid string: control character U+0003 (ETX) must be escaped to \\u0003",
        "invalid string: control character U+0004 (EOT) must be escaped to \\u0004",
        "invalid string: control character U+0005 (ENQ) must be escaped to \\u0005",
        "invalid string: control character U+0006 (ACK) must be escaped to \\u0006",
        "invalid string: control character U+0007 (BEL) must be escaped to \\u0007",
        "invalid string: control character U+0008 (BS) must be escaped to \\u0008 or \\b",
        "invalid string: control character U+0009 (HT) must be escaped to \\u0009 or \\t",
        "invalid string: control character U+000A (LF) must be escaped to \\u000A or \\n",
        "invalid string: control character U+000B (VT) must be escaped to \\u000B",
        "invalid string: control character U+000C (FF) must be escaped to \\u000C or \\f",
        "invalid string: control character U+000D (CR) must be escaped to \\u000D or \\r",
        "invalid string: control character U+000E (SO) must be escaped to \\u000E",
        "invalid string: control character U+000F (SI) must be escaped to \\u000F",
        "invalid string: control character U+0010 (DLE) must be escaped to \\u0010",
        "invalid string: control character U+0011 (DC1) must be escaped to \\u0011",
        "invalid string: control character U+0012 (DC2) must be escaped to \\u0012",
        "invalid string: control character U+0013 (DC3) must be escaped to \\u0013",
        "invalid string: control character U+0014 (DC4) must be escaped to \\u0014",
        "invalid string: control character U+0015 (NAK) must be escaped to \\u0015",
        "invalid string: control character U+0016 (SYN) must be escaped to \\u0016",
        "invalid string: control character U+0017 (ETB) must be escaped to \\u0017",
        "invalid string: control character U+0018 (CAN) must be escaped to \\u0018",
        "invalid string: control character U+0019 (EM) must be escaped to \\u0019",
        "invalid string: control character U+001A (SUB) must be escaped to \\u001A",
        "invalid string: control character U+001B (ESC) must be escaped to \\u001B",
        "invalid string: control character U+001C (FS) must be escaped to \\u001C",
        "invalid string: control character U+001D (GS) must be escaped to \\u001D",
        "invalid string: control character U+001E (RS) must be escaped to \\u001E",
        "invalid string: control character U+001F (US) must be escaped to \\u001F",
    };
    return messages[c & 31];
  }
  [[nodiscard]] std::string_view string_eof_error() const noexcept {
    switch (str_) {
      case str_t::plain: return "invalid string: missing closing quote";
      case str_t::escape: return "invalid string: forbidden character after backslash";
      case str_t::hex:
      case str_t::low_hex: return "invalid string: '\\u' must be followed by 4 hex digits";
      case str_t::high_backslash:
      case str_t::high_u: return "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF";
      case str_t::utf8: return "invalid string: ill-formed UTF-8 byte";
    }
    return "invalid string: missing closing quote";
  }
  [[nodiscard]] bool number_accepting() const noexcept {
    return num_ == num_t::zero || num_ == num_t::int_digits || num_ == num_t::frac || num_ == num_t::exp_digits;
  }
  [[nodiscard]] std::string_view number_error() const noexcept {
    switch (num_) {
      case num_t::minus: return "invalid number; expected digit after '-'";
      case num_t::dot: return "invalid number; expected digit after '.'";
      case num_t::exp: return "invalid number; expected '+', '-', or digit after exponent";
      case num_t::exp_sign: return "invalid number; expected digit after exponent sign";
      default: return "invalid number";
    }
  }
  // Whether byte c would continue the number in progress (for a number that reaches a limit).
  [[nodiscard]] bool number_continues(char c) const noexcept {
    switch (num_) {
      case num_t::zero: return c == '.' || c == 'e' || c == 'E';
      case num_t::int_digits: return is_digit(c) || c == '.' || c == 'e' || c == 'E';
      case num_t::frac: return is_digit(c) || c == 'e' || c == 'E';
      case num_t::exp_digits: return is_digit(c);
      default: return true;
    }
  }

  // ---- units --------------------------------------------------------------------------------
  [[nodiscard]] std::size_t unit_base() const noexcept { return item_open_ ? item_base_ : 0; }
  [[nodiscard]] bool unit_open() const noexcept { return item_open_ || outer_open_; }
  type_fields& unit_types() noexcept { return item_open_ ? item_types_ : outer_types_; }
  scan_state& unit_scan() noexcept { return item_open_ ? item_scan_ : outer_scan_; }

  // A value begins at `p` (its first byte `c`): count top-level values, open units.
  void begin_value(const char* p, char c) {
    const std::size_t off = offset_of(p);
    if (stack_.empty()) {
      ++values_;
      document_ = values_ - 1;
      reset_offset_ = off;
      if (c == '[' && split_) {
        array_mode_ = true;
        items_seen_ = 0;
        return;
      }
      outer_open_ = true;
      outer_start_ = off;
      outer_ret_.begin(p);
      outer_types_.clear();
      outer_scan_ = scan_state{};
      list_mode_ = in_items_ = false;
      header_used_ = 0;
      header_resume_ = off;
      limit_end_ = off + limits_.max_object_bytes;
      return;
    }
    if (item_open_) return;
    if ((array_mode_ && stack_.size() == 1) || (in_items_ && stack_.size() == 2)) {
      item_open_ = true;
      item_role_ = array_mode_ ? unit_role::array_item : unit_role::list_item;
      item_base_ = stack_.size();
      item_start_ = off;
      item_ret_.begin(p);
      item_types_.clear();
      item_scan_ = scan_state{};
      limit_end_ = off + limits_.max_object_bytes;
    }
  }

  template <class Sink>
  void emit(Sink& sink, unit_role role, std::string_view text, std::size_t index, const type_fields& types,
            std::optional<field_error> limit, bool split) {
    framed_unit u;
    u.role = role;
    u.text = text;
    u.document = document_;
    u.index = index;
    u.types = &types;
    u.limit = std::move(limit);
    u.split = split;
    sink.on_unit(u);
  }

  // The unit whose root value ended just before `p_after`.
  template <class Sink>
  void end_item(const char* p_after, Sink& sink) {
    item_open_ = false;
    limit_end_ = npos;
    const std::string_view text = item_ret_.end_at(p_after);
    emit(sink, item_role_, text, items_seen_++, item_types_, std::nullopt, false);
    item_ret_.release();
  }
  template <class Sink>
  void end_outer(const char* p_after, Sink& sink) {
    outer_open_ = false;
    limit_end_ = npos;
    const std::string_view text = outer_ret_.end_at(p_after);
    emit(sink, list_mode_ ? unit_role::list_header : unit_role::value, text, 0, outer_types_, std::nullopt, list_mode_);
    outer_ret_.release();
    list_mode_ = in_items_ = false;
  }

  // ---- the type fields ----------------------------------------------------------------------
  [[nodiscard]] static field_t classify_key(std::string_view k) noexcept {
    if (k == "kind") return field_t::kind;
    if (k == "apiVersion") return field_t::api_version;
    if (k == "type") return field_t::type;
    if (k == "Type") return field_t::go_type;
    if (k == "object") return field_t::object;
    if (k == "Object") return field_t::go_object;
    if (k == "items") return field_t::items;
    return field_t::other;
  }
  void begin_capture(cap_t what, scanned_string* field) {
    cap_ = what;
    cap_field_ = field;
    cap_text_.clear();
    cap_escaped_ = cap_long_ = false;
  }
  void capture(const char* from, const char* to) {
    const auto n = static_cast<std::size_t>(to - from);
    if (cap_text_.size() + n > scan_cap) {
      cap_long_ = true;
      return;
    }
    cap_text_.append(from, n);
  }
  [[nodiscard]] std::string captured() const {
    if (!cap_escaped_) return cap_text_;
    std::string out;
    unescape_json_string(cap_text_, out);
    return out;
  }
  // Where the value beginning now stands, for the type fields: returns the field it sets.
  scanned_string* scanned_value_field() noexcept {
    if (!unit_open()) return nullptr;
    const std::size_t rel = stack_.size() - unit_base();
    scan_state& s = unit_scan();
    type_fields& t = unit_types();
    if (rel == 1) {
      switch (s.d1) {
        case field_t::kind: return &t.kind;
        case field_t::api_version: return &t.api_version;
        case field_t::type: return &t.type;
        case field_t::go_type: return &t.go_type;
        default: return nullptr;
      }
    }
    if (rel == 2 && (s.d1 == field_t::object || s.d1 == field_t::go_object)) {
      const bool go = s.d1 == field_t::go_object;
      if (s.d2 == field_t::kind) return go ? &t.go_object_kind : &t.object_kind;
      if (s.d2 == field_t::api_version) return go ? &t.go_object_api_version : &t.object_api_version;
    }
    return nullptr;
  }
  // A value that is not a string (or a string no type field wants) begins in a unit.
  void scan_non_string(char c) {
    if (scanned_string* f = scanned_value_field()) {
      f->clear();
      // null is Go's "no value" for a string: as "" (none of its own in a slice, kept in raw text).
      f->st = c == 'n' ? scanned_string::state::string : scanned_string::state::other;
    }
    if (!unit_open()) return;
    if (stack_.size() - unit_base() == 1) {
      scan_state& s = unit_scan();
      if (s.d1 == field_t::object) unit_types().has_object = true;
      if (s.d1 == field_t::go_object) unit_types().has_go_object = true;
    }
  }

  // ---- tokens -------------------------------------------------------------------------------
  template <class Sink>
  const char* step(const char* p, const char* stop, Sink& sink) {
    if (skip_) return skip_run(p, sink);
    switch (tok_) {
      case tok_t::string: return lex_string(p, stop, sink);
      case tok_t::number: return lex_number(p, stop, sink);
      case tok_t::literal: return lex_literal(p, stop, sink);
      case tok_t::bom: return lex_bom(p, stop);
      case tok_t::none: break;
    }
    if (is_json_space(*p)) {
      ++p;
      while (p < stop && is_json_space(*p)) ++p;
      return p;
    }
    return token_start(p, sink);
  }

  template <class Sink>
  const char* token_start(const char* p, Sink& sink) {
    const char c = *p;
    if (offset_of(p) == 0 && static_cast<unsigned char>(c) == 0xEF) {
      tok_ = tok_t::bom;
      bom_pos_ = 1;
      return p + 1;
    }
    switch (c) {
      case '{':
      case '[': {
        if (!value_context()) return unexpected(p, c == '{' ? "'{'" : "'['");
        begin_value(p, c);
        scan_non_string(c);
        if (unit_open() && stack_.size() + 1 > limits_.max_depth) return depth_passed(p);
        const scanned_string& kind = unit_types().kind;
        const bool kind_says_other = kind.st == scanned_string::state::string && kind.own() && !is_list_kind(kind.text());
        const bool list_items = c == '[' && unit_open() && stack_.size() - unit_base() == 1 &&
                                unit_scan().d1 == field_t::items && !kind_says_other;
        if (list_items) unit_types().list_items = true;
        if (list_items && split_ && outer_open_ && !item_open_) {
          // The items of a List (or of an object whose kind is not known yet, as kubectl writes
          // `items` before `kind`): cut apart. The header keeps `"items":[`.
          stack_.push_back('[');
          expect_ = expect_t::first_value;
          list_mode_ = in_items_ = true;
          items_seen_ = 0;
          outer_ret_.pause(p + 1);
          header_used_ += offset_of(p + 1) - header_resume_;
          limit_end_ = npos;
          return p + 1;
        }
        stack_.push_back(c);
        expect_ = c == '{' ? expect_t::first_key : expect_t::first_value;
        if (unit_open()) {
          const std::size_t rel = stack_.size() - unit_base();
          if (rel == 1) unit_scan().d1 = field_t::none;
          if (rel == 2) unit_scan().d2 = field_t::none;
        }
        return p + 1;
      }
      case '}':
      case ']': {
        const char open = c == '}' ? '{' : '[';
        const bool allowed = (c == '}' && expect_ == expect_t::first_key) ||
                             (c == ']' && expect_ == expect_t::first_value) ||
                             (expect_ == expect_t::next && !stack_.empty() && stack_.back() == open);
        if (!allowed) return unexpected(p, c == '}' ? "'}'" : "']'");
        return close(p, sink);
      }
      case ':':
        if (expect_ != expect_t::colon) return unexpected(p, "':'");
        expect_ = expect_t::value;
        return p + 1;
      case ',':
        if (expect_ != expect_t::next) return unexpected(p, "','");
        expect_ = stack_.back() == '{' ? expect_t::key : expect_t::value;
        return p + 1;
      case '"': {
        tok_ = tok_t::string;
        str_ = str_t::plain;
        reset_offset_ = offset_of(p);
        tok_key_ = expect_ == expect_t::first_key || expect_ == expect_t::key;
        doomed_ = !tok_key_ && !value_context();
        doomed_name_ = "string literal";
        cap_ = cap_t::none;
        if (tok_key_) {
          if (unit_open()) {
            const std::size_t rel = stack_.size() - unit_base();
            const scan_state& s = unit_scan();
            if (rel == 1) begin_capture(cap_t::key1, nullptr);
            else if (rel == 2 && (s.d1 == field_t::object || s.d1 == field_t::go_object)) begin_capture(cap_t::key2, nullptr);
          }
        } else if (!doomed_) {
          begin_value(p, c);
          if (scanned_string* f = scanned_value_field()) begin_capture(cap_t::value, f);
          else if (unit_open() && stack_.size() - unit_base() == 1) scan_non_string(c);
        }
        return p + 1;
      }
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        tok_ = tok_t::number;
        reset_offset_ = offset_of(p);
        doomed_ = !value_context();
        doomed_name_ = "number literal";
        if (!doomed_) {
          begin_value(p, c);
          scan_non_string(c);
        }
        num_ = c == '-' ? num_t::minus : c == '0' ? num_t::zero : num_t::int_digits;
        return p + 1;
      case 't':
      case 'f':
      case 'n':
        tok_ = tok_t::literal;
        lit_ = c == 't' ? "true" : c == 'f' ? "false" : "null";
        lit_len_ = c == 'f' ? 5 : 4;
        lit_pos_ = 1;
        doomed_ = !value_context();
        doomed_name_ = c == 't' ? "true literal" : c == 'f' ? "false literal" : "null literal";
        if (!doomed_) {
          begin_value(p, c);
          scan_non_string(c);
        }
        return p + 1;
      default:
        if (stack_.empty() && value_context()) reset_offset_ = offset_of(p);
        return lex_error(p, "invalid literal");
    }
  }

  template <class Sink>
  const char* close(const char* p, Sink& sink) {
    const char* const after = p + 1;
    if (in_items_ && stack_.size() == 2 && !item_open_) {
      // The end of a List's items: the header goes on from this bracket.
      stack_.pop_back();
      in_items_ = false;
      expect_ = expect_t::next;
      outer_ret_.resume(p);
      header_resume_ = offset_of(p);
      limit_end_ = header_used_ >= limits_.max_object_bytes ? offset_of(p)
                                                            : offset_of(p) + (limits_.max_object_bytes - header_used_);
      return p + 1;
    }
    stack_.pop_back();
    if (stack_.empty()) {
      expect_ = expect_t::top;
      if (array_mode_) {
        array_mode_ = false;
        return after;
      }
      end_outer(after, sink);
      return after;
    }
    expect_ = expect_t::next;
    if (item_open_ && stack_.size() == item_base_) end_item(after, sink);
    return after;
  }

  // A value token (string, number, literal) ended just before `p_after`.
  template <class Sink>
  const char* value_done(const char* p_after, Sink& sink) {
    tok_ = tok_t::none;
    if (doomed_) return unexpected(p_after - 1, doomed_name_);
    if (cap_ == cap_t::value && cap_field_) {
      cap_field_->st = scanned_string::state::string;
      cap_field_->too_long = cap_long_;
      cap_field_->value = cap_long_ ? std::string() : captured();
    }
    cap_ = cap_t::none;
    if (stack_.empty()) {
      expect_ = expect_t::top;
      end_outer(p_after, sink);
      return p_after;
    }
    expect_ = expect_t::next;
    if (item_open_ && stack_.size() == item_base_) end_item(p_after, sink);
    return p_after;
  }
  // A number ends the input: its unit's bytes are all in the retainer's buffer by now.
  template <class Sink>
  void number_at_end(Sink& sink) {
    tok_ = tok_t::none;
    const std::size_t eof = chunk_offset_;
    if (doomed_) {
      unexpected_at(eof - 1, doomed_name_);
      return;
    }
    if (stack_.empty()) {
      expect_ = expect_t::top;
      outer_open_ = false;
      limit_end_ = npos;
      outer_ret_.running = false;
      emit(sink, unit_role::value, outer_ret_.buf, 0, outer_types_, std::nullopt, false);
      outer_ret_.release();
      return;
    }
    expect_ = expect_t::next;
    if (item_open_ && stack_.size() == item_base_) {
      item_open_ = false;
      limit_end_ = npos;
      item_ret_.running = false;
      emit(sink, item_role_, item_ret_.buf, items_seen_++, item_types_, std::nullopt, false);
      item_ret_.release();
    }
  }

  template <class Sink>
  const char* lex_string(const char* p, const char* stop, Sink& sink) {
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    while (p < stop) {
      switch (str_) {
        case str_t::plain: {
          // Bytes that need nothing: >= 0x20, < 0x80, not `"` or `\`.
          const char* q = p;
          while (stop - q >= 8) {
            std::uint64_t w;
            std::memcpy(&w, q, 8);
            const std::uint64_t f = (((w - ones * 0x20) | w) & highs) | quote_or_backslash_flags(w);
            if (f != 0) {
              q += std::countr_zero(f) / 8;
              goto found;
            }
            q += 8;
          }
          while (q < stop) {
            const auto u = static_cast<unsigned char>(*q);
            if (u < 0x20 || u >= 0x80 || u == '"' || u == '\\') break;
            ++q;
          }
        found:
          if (cap_ != cap_t::none) capture(p, q);
          p = q;
          if (p >= stop) return p;
          const auto u = static_cast<unsigned char>(*p);
          if (u == '"') return string_done(p + 1, sink);
          if (u == '\\') {
            if (cap_ != cap_t::none) {
              cap_escaped_ = true;
              capture(p, p + 1);
            }
            str_ = str_t::escape;
            ++p;
            continue;
          }
          if (u < 0x20) return lex_error(p, control_message(u));
          // A UTF-8 lead byte: the ranges of RFC 3629 (no overlongs, no surrogates, <= U+10FFFF).
          if (u >= 0xC2 && u <= 0xDF) {
            utf8_need_ = 1;
            utf8_lo_ = 0x80;
            utf8_hi_ = 0xBF;
          } else if (u == 0xE0) {
            utf8_need_ = 2;
            utf8_lo_ = 0xA0;
            utf8_hi_ = 0xBF;
          } else if ((u >= 0xE1 && u <= 0xEC) || u == 0xEE || u == 0xEF) {
            utf8_need_ = 2;
            utf8_lo_ = 0x80;
            utf8_hi_ = 0xBF;
          } else if (u == 0xED) {
            utf8_need_ = 2;
            utf8_lo_ = 0x80;
            utf8_hi_ = 0x9F;
          } else if (u == 0xF0) {
            utf8_need_ = 3;
            utf8_lo_ = 0x90;
            utf8_hi_ = 0xBF;
          } else if (u >= 0xF1 && u <= 0xF3) {
            utf8_need_ = 3;
            utf8_lo_ = 0x80;
            utf8_hi_ = 0xBF;
          } else if (u == 0xF4) {
            utf8_need_ = 3;
            utf8_lo_ = 0x80;
            utf8_hi_ = 0x8F;
          } else {
            return lex_error(p, "invalid string: ill-formed UTF-8 byte");
          }
          if (cap_ != cap_t::none) capture(p, p + 1);
          str_ = str_t::utf8;
          ++p;
          continue;
        }
        case str_t::utf8: {
          const auto u = static_cast<unsigned char>(*p);
          if (u < utf8_lo_ || u > utf8_hi_) return lex_error(p, "invalid string: ill-formed UTF-8 byte");
          if (cap_ != cap_t::none) capture(p, p + 1);
          ++p;
          utf8_lo_ = 0x80;
          utf8_hi_ = 0xBF;
          if (--utf8_need_ == 0) str_ = str_t::plain;
          continue;
        }
        case str_t::escape: {
          const char c = *p;
          if (cap_ != cap_t::none) capture(p, p + 1);
          switch (c) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
              str_ = str_t::plain;
              ++p;
              continue;
            case 'u':
              str_ = str_t::hex;
              hex_n_ = 0;
              cp_ = 0;
              ++p;
              continue;
            default:
              return lex_error(p, "invalid string: forbidden character after backslash");
          }
        }
        case str_t::hex:
        case str_t::low_hex: {
          const int h = json_hex_value(*p);
          if (h < 0) return lex_error(p, "invalid string: '\\u' must be followed by 4 hex digits");
          if (cap_ != cap_t::none) capture(p, p + 1);
          cp_ = cp_ * 16 + static_cast<std::uint32_t>(h);
          ++p;
          if (++hex_n_ < 4) continue;
          if (str_ == str_t::hex) {
            if (cp_ >= 0xD800 && cp_ <= 0xDBFF) {
              str_ = str_t::high_backslash;
              continue;
            }
            if (cp_ >= 0xDC00 && cp_ <= 0xDFFF)
              return lex_error(p - 1, "invalid string: surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF");
          } else if (cp_ < 0xDC00 || cp_ > 0xDFFF) {
            return lex_error(p - 1, "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF");
          }
          str_ = str_t::plain;
          continue;
        }
        case str_t::high_backslash:
          if (*p != '\\') return lex_error(p, "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF");
          if (cap_ != cap_t::none) capture(p, p + 1);
          str_ = str_t::high_u;
          ++p;
          continue;
        case str_t::high_u:
          if (*p != 'u') return lex_error(p, "invalid string: surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF");
          if (cap_ != cap_t::none) capture(p, p + 1);
          str_ = str_t::low_hex;
          hex_n_ = 0;
          cp_ = 0;
          ++p;
          continue;
      }
    }
    return p;
  }

  template <class Sink>
  const char* string_done(const char* p_after, Sink& sink) {
    if (tok_key_) {
      tok_ = tok_t::none;
      if (cap_ == cap_t::key1 || cap_ == cap_t::key2) {
        const field_t f = cap_long_ ? field_t::other : classify_key(captured());
        scan_state& s = unit_scan();
        if (cap_ == cap_t::key1) {
          s.d1 = f;
          s.d2 = field_t::none;
        } else {
          s.d2 = f;
        }
      }
      cap_ = cap_t::none;
      expect_ = expect_t::colon;
      return p_after;
    }
    return value_done(p_after, sink);
  }

  template <class Sink>
  const char* lex_number(const char* p, const char* stop, Sink& sink) {
    while (p < stop) {
      const char c = *p;
      switch (num_) {
        case num_t::minus:
          if (c == '0') num_ = num_t::zero;
          else if (is_digit(c)) num_ = num_t::int_digits;
          else return lex_error(p, number_error());
          ++p;
          continue;
        case num_t::zero:
          if (c == '.') num_ = num_t::dot;
          else if (c == 'e' || c == 'E') num_ = num_t::exp;
          else return value_done(p, sink);
          ++p;
          continue;
        case num_t::int_digits:
          while (p < stop && is_digit(*p)) ++p;
          if (p >= stop) return p;
          if (*p == '.') num_ = num_t::dot;
          else if (*p == 'e' || *p == 'E') num_ = num_t::exp;
          else return value_done(p, sink);
          ++p;
          continue;
        case num_t::dot:
          if (!is_digit(c)) return lex_error(p, number_error());
          num_ = num_t::frac;
          ++p;
          continue;
        case num_t::frac:
          while (p < stop && is_digit(*p)) ++p;
          if (p >= stop) return p;
          if (*p == 'e' || *p == 'E') num_ = num_t::exp;
          else return value_done(p, sink);
          ++p;
          continue;
        case num_t::exp:
          if (c == '+' || c == '-') num_ = num_t::exp_sign;
          else if (is_digit(c)) num_ = num_t::exp_digits;
          else return lex_error(p, number_error());
          ++p;
          continue;
        case num_t::exp_sign:
          if (!is_digit(c)) return lex_error(p, number_error());
          num_ = num_t::exp_digits;
          ++p;
          continue;
        case num_t::exp_digits:
          while (p < stop && is_digit(*p)) ++p;
          if (p >= stop) return p;
          return value_done(p, sink);
      }
    }
    return p;
  }

  template <class Sink>
  const char* lex_literal(const char* p, const char* stop, Sink& sink) {
    while (p < stop) {
      if (*p != lit_[lit_pos_]) return lex_error(p, "invalid literal");
      ++p;
      if (++lit_pos_ == lit_len_) return value_done(p, sink);
    }
    return p;
  }

  const char* lex_bom(const char* p, const char* stop) {
    static constexpr unsigned char bom[] = {0xEF, 0xBB, 0xBF};
    while (p < stop) {
      if (static_cast<unsigned char>(*p) != bom[bom_pos_]) {
        reset_offset_ = 0;
        return lex_error(p, "invalid BOM; must be 0xEF 0xBB 0xBF if given");
      }
      ++p;
      if (++bom_pos_ == 3) {
        tok_ = tok_t::none;
        return p;
      }
    }
    return p;
  }

  // ---- limits -------------------------------------------------------------------------------
  // `p` is the first byte past the stored unit's max_object_bytes.
  template <class Sink>
  const char* limit_reached(const char* p, Sink& sink) {
    if (tok_ == tok_t::number && number_accepting() && !number_continues(*p)) return value_done(p, sink);
    field_error e{{}, error_type::too_long, {},
                  "must be no more than " + std::to_string(limits_.max_object_bytes) +
                      " bytes (decode limit max_object_bytes)"};
    begin_skip(std::move(e), 0);
    return p;
  }

  // `p` opens a container one level deeper than max_depth allows.
  const char* depth_passed(const char* p) {
    const retainer& r = item_open_ ? item_ret_ : outer_ret_;
    std::string prefix = r.prefix(p);
    field_error e{json_path_at_end(prefix), error_type::invalid, {},
                  "must not nest deeper than " + std::to_string(limits_.max_depth) +
                      " levels (decode limit max_depth)"};
    begin_skip(std::move(e), 1);
    return p + 1;
  }

  // Stop storing the current unit and skip to its end; `opened` brackets were just opened.
  void begin_skip(field_error problem, std::size_t opened) {
    skip_ = true;
    skip_item_ = item_open_;
    const std::size_t base = unit_base();
    skip_depth_ = stack_.size() - base + opened;
    skip_in_string_ = tok_ == tok_t::string;
    skip_escape_ = skip_in_string_ && str_ == str_t::escape;
    skip_scalar_ = (tok_ == tok_t::number || tok_ == tok_t::literal) && skip_depth_ == 0;
    tok_ = tok_t::none;
    cap_ = cap_t::none;
    doomed_ = false;
    skip_problem_ = std::move(problem);
    limit_end_ = npos;
    if (skip_item_) {
      item_ret_.release();
    } else {
      outer_ret_.release();
      in_items_ = false;
    }
  }

  template <class Sink>
  const char* skip_run(const char* p, Sink& sink) {
    const char* const end = chunk_end_;
    while (p < end) {
      if (skip_scalar_) {
        const char c = *p;
        if (is_digit(c) || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' || c == 'E') {
          ++p;
          continue;
        }
        end_skip(sink);
        return p;
      }
      if (skip_in_string_) {
        if (skip_escape_) {
          skip_escape_ = false;
          ++p;
          continue;
        }
        p = find_quote_or_backslash(p, end);
        if (p >= end) return p;
        if (*p == '\\') {
          skip_escape_ = true;
          ++p;
          continue;
        }
        ++p;  // the closing quote
        skip_in_string_ = false;
        if (skip_depth_ == 0) {
          end_skip(sink);
          return p;
        }
        continue;
      }
      const char c = *p++;
      if (c == '"') {
        skip_in_string_ = true;
      } else if (c == '{' || c == '[') {
        ++skip_depth_;
      } else if (c == '}' || c == ']') {
        if (skip_depth_ > 0 && --skip_depth_ == 0) {
          end_skip(sink);
          return p;
        }
      }
    }
    return p;
  }

  template <class Sink>
  void end_skip(Sink& sink) {
    skip_ = false;
    const std::size_t base = skip_item_ ? item_base_ : 0;
    stack_.resize(base);
    expect_ = stack_.empty() ? expect_t::top : expect_t::next;
    if (skip_item_) {
      item_open_ = false;
      emit(sink, item_role_, std::string_view(), items_seen_++, item_types_, std::move(skip_problem_), false);
    } else {
      outer_open_ = false;
      const bool was_list = list_mode_;
      list_mode_ = in_items_ = false;
      emit(sink, was_list ? unit_role::list_header : unit_role::value, std::string_view(), 0, outer_types_,
           std::move(skip_problem_), was_list);
    }
    skip_problem_.reset();
  }
};

}  // namespace epslice::detail
