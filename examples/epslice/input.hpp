// SPDX-License-Identifier: Apache-2.0
// The tool's input: files, pipes and standard input read in chunks, decoded as JSON or YAML.
#pragma once

#include "yaml_input.hpp"

#include <epslice/json.hpp>
#include <epslice/store.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
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
/// white space. JSON is decoded as it arrives by an epslice::stream_decoder, so that each event
/// can be taken (events()) before the next chunk is read and memory holds one object; YAML text
/// is checked as it arrives, so bytes that cannot be YAML stop the reading at once, and converted
/// to JSON text at the end (yaml_to_json), so that errors in objects keep their field paths.
/// The decoder the tool's stream decoders try first on every object: the simdjson fast path when
/// the tool was built with simdjson (see README "The epslice tool"), unless the environment sets
/// EPSLICE_SIMDJSON=0; else none (the standard reader alone). The events are the same either way.
[[nodiscard]] std::unique_ptr<epslice::framed_object_decoder> fast_object_decoder();

/// Which decoder fast_object_decoder() gives, as `epslice --help` says it.
[[nodiscard]] std::string_view fast_path_state();

class input_decoder {
 public:
  explicit input_decoder(const epslice::decode_limits& limits)
      : objects_(fast_object_decoder()), events_(limits, objects_.get()) {}
  /// Takes the next chunk. Throws text_error when the bytes cannot be YAML.
  void feed(std::string_view chunk);
  /// The format seen so far; unknown while nothing but white space arrived.
  [[nodiscard]] input_format format() const noexcept { return format_; }
  /// The input has ended: the last JSON events are completed, or the YAML is converted and decoded.
  /// Returns false when the input holds no value (only white space, or YAML comments and empty
  /// documents). Throws text_error when YAML does not parse or convert.
  [[nodiscard]] bool finish();
  /// The decoder the events, problems, lists and syntax error come from.
  [[nodiscard]] epslice::stream_decoder& events() noexcept { return events_; }

 private:
  input_format format_ = input_format::unknown;
  std::string text_;  // white space before the first value; the whole text of YAML
  std::size_t bom_seen_ = 0;  // bytes of a leading UTF-8 byte order mark seen so far
  yaml_text_check check_;
  std::unique_ptr<epslice::framed_object_decoder> objects_;  // on the heap: events_ holds its address
  epslice::stream_decoder events_;
};

/// True for every event but BOOKMARK and ERROR, which carry no object of the stream.
[[nodiscard]] inline bool holds_object(const epslice::watch_event& e) noexcept {
  return e.type != epslice::watch_event_type::bookmark && e.type != epslice::watch_event_type::error;
}

/// One input's share of the final state (see load_all). `code` is exit_usage when it could not be
/// read or is not JSON or YAML (the message is already printed), exit_invalid when it has
/// structural or decoding problems (also printed), else exit_ok.
struct loaded_file {
  /// The objects whose final state this input gave, as ADDED events, in order of first appearance.
  struct document {
    std::vector<epslice::watch_event> events;

    /// The objects of the events, in order: every event but BOOKMARK and ERROR, which carry no
    /// object of the stream. (A hand-written view: clang 14 cannot compile libstdc++ 12's
    /// std::views.)
    class object_view {
     public:
      class iterator {
       public:
        using value_type = epslice::decoded_object;
        using difference_type = std::ptrdiff_t;
        iterator(const epslice::watch_event* at, const epslice::watch_event* end) : at_(at), end_(end) { skip(); }
        const epslice::decoded_object& operator*() const { return at_->object; }
        const epslice::decoded_object* operator->() const { return &at_->object; }
        iterator& operator++() {
          ++at_;
          skip();
          return *this;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.at_ == b.at_; }

       private:
        void skip() {
          while (at_ != end_ && !holds_object(*at_)) ++at_;
        }
        const epslice::watch_event* at_;
        const epslice::watch_event* end_;
      };
      explicit object_view(const std::vector<epslice::watch_event>& events)
          : first_(events.data()), last_(events.data() + events.size()) {}
      [[nodiscard]] iterator begin() const { return {first_, last_}; }
      [[nodiscard]] iterator end() const { return {last_, last_}; }

     private:
      const epslice::watch_event* first_;
      const epslice::watch_event* last_;
    };
    [[nodiscard]] object_view objects() const { return object_view(events); }
    /// How many objects objects() yields.
    [[nodiscard]] std::size_t object_count() const {
      return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), holds_object));
    }
  };
  std::string name;
  document doc;
  int code = 0;
};

/// Set by stream_input() when an input's watch stream reported an ERROR event. The command still works
/// on the objects before it; main() then exits 1 (the stream is incomplete). The one piece of
/// process state of the tool, so that every command gets this rule without passing it around.
[[nodiscard]] inline bool& stream_error_seen() noexcept {
  static bool seen = false;
  return seen;
}

/// The decode limits of every input (the global options --max-depth and --max-object-bytes,
/// taken by main() before the command runs).
[[nodiscard]] inline epslice::decode_limits& input_limits() noexcept {
  static epslice::decode_limits limits;
  return limits;
}

/// `code 410 Expired: too old resource version: 1 (2)`: the Status of an ERROR event, its
/// message cut as values in messages are.
[[nodiscard]] std::string status_text(const epslice::watch_event& e);

/// `<Kind> <namespace>/<name>` of a decoded object, for messages.
[[nodiscard]] std::string describe(const epslice::decoded_object& o);

/// What stream_input read of an input besides its events.
struct stream_summary {
  input_format format = input_format::unknown;
  std::vector<epslice::list_header> lists;  ///< the Lists' own fields, in the order they ended
  std::size_t values = 0;                    ///< top-level JSON values
  bool had_list = false;                     ///< a top-level value was a List or an array
  int code = 0;                              ///< as loaded_file::code
};

/// Called by stream_input with each event of an input, in input order.
using event_sink = std::function<void(epslice::watch_event&&)>;

/// Reads one input ("-" for standard input) as it arrives and hands each event to `sink` as soon
/// as it is decoded, after printing why the input cannot be read, where it stops being JSON or
/// YAML, and the decoding problems of its objects, one line each:
///   epslice: <name>: is a directory              (no such file, permission denied, empty input)
///   <name>:<line>:<column>: not JSON: <reason>   (not YAML: <reason>)
///   <name>: <Kind> <namespace>/<name>: <field path>: <message>
///   <name>: warning: the stream reported an error (code 410 Expired: ...): the objects are
///   those before it                              (exit code 1: the stream is incomplete)
/// A command working object by object holds one object, never the stream. The events before a
/// syntax error are handed out; the error is printed at the end and `code` is exit_usage.
/// `batch_end`, when given, is called after each read of the input that handed out events, once
/// they all are (a follower acts once per batch of events waiting in a pipe).
[[nodiscard]] stream_summary stream_input(const std::string& name, const event_sink& sink,
                                          const std::function<void()>& batch_end = {});

/// Reads every input of `names` in order (all of them, so that every problem is reported at
/// once), each as it arrives, and reduces their events (in command-line order, then stream order)
/// to the final state of every object, as epslice::object_store applies them: the last state
/// wins, DELETED removes, BOOKMARK and ERROR change nothing. Memory holds the final state, not the
/// streams. Each returned input holds the objects whose final state it gave. `code` is raised to
/// the highest code of the inputs.
[[nodiscard]] std::vector<loaded_file> load_all(const std::vector<std::string>& names, int& code);

}  // namespace cli
