// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the epslice command-line tool: arguments, input, diagnostics, output.
#pragma once

#include "input.hpp"

#include <epslice/epslice.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

/// Exit codes, the same for every subcommand.
inline constexpr int exit_ok = 0;
inline constexpr int exit_invalid = 1;  ///< input objects are invalid
inline constexpr int exit_usage = 2;    ///< usage error or unreadable input

/// Thrown for usage errors; main prints the message and exits 2.
struct usage_error {
  std::string message;
};

/// Parsed command line of one subcommand: `--name value`, `--name=value`, `--flag`, positionals.
/// An input option (`--slices FILE`, ...) may be repeated: its values are kept in command-line
/// order, as `kubectl -f a -f b` reads both. Any other value option given twice is a usage error.
class args {
 public:
  /// Parses `argv` (the arguments after the subcommand name). `value_options` take one value
  /// each, `input_options` one or more (one per occurrence), `flags` none. Throws usage_error for
  /// an unknown option, a missing value, a value given to a flag, or a repeated value option.
  args(std::vector<std::string> argv, std::vector<std::string> value_options, std::vector<std::string> flags,
       std::vector<std::string> input_options = {})
      : value_options_(std::move(value_options)), flags_(std::move(flags)), input_options_(std::move(input_options)) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a.size() > 2 && a.rfind("--", 0) == 0) {
        std::string name = a.substr(2), value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
          value = name.substr(eq + 1);
          name = name.substr(0, eq);
          has_value = true;
        }
        if (contains(flags_, name)) {
          if (has_value) throw usage_error{"option --" + name + " takes no value"};
          set_flags_.push_back(name);
        } else if (contains(value_options_, name) || contains(input_options_, name)) {
          if (!has_value) {
            if (i + 1 >= argv.size()) throw usage_error{"option --" + name + " needs a value"};
            value = argv[++i];
          }
          auto& list = values_[name];
          if (!list.empty() && contains(value_options_, name))
            throw usage_error{"option --" + name + " given twice (" + list.front() + ", " + value +
                              "): it takes one value"};
          list.push_back(std::move(value));
        } else {
          throw usage_error{"unknown option --" + name};
        }
      } else {
        positionals_.push_back(a);
      }
    }
  }
  /// True when the flag was given.
  [[nodiscard]] bool flag(const std::string& name) const { return contains(set_flags_, name); }
  /// The value of a value option, nullopt when absent.
  [[nodiscard]] std::optional<std::string> value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second.front();
  }
  /// Every value of an input option, in command-line order (empty when absent).
  [[nodiscard]] std::vector<std::string> values(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }
  /// The arguments that are not options, in order.
  [[nodiscard]] const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  static bool contains(const std::vector<std::string>& list, const std::string& n) {
    return std::find(list.begin(), list.end(), n) != list.end();
  }
  std::vector<std::string> value_options_, flags_, input_options_, set_flags_, positionals_;
  std::map<std::string, std::vector<std::string>> values_;
};

/// Throws usage_error when standard input (`-`) is named more than once among `names`: it can be
/// read only once.
inline void check_stdin_once(const std::vector<std::string>& names) {
  if (std::count(names.begin(), names.end(), "-") > 1)
    throw usage_error{"only one input can be standard input (-)"};
}

/// Print validation problems of object `o` read from `file`, one line each, as `epslice validate`
/// prints them. Returns true when there were none.
inline bool report_errors(const std::string& file, const epslice::decoded_object& o,
                          const epslice::field_errors& errors) {
  for (const auto& e : errors) std::cerr << file << ": " << describe(o) << ": " << e.message() << "\n";
  return errors.empty();
}

/// An EndpointSlice read from an input, with what messages name it by.
struct input_slice {
  std::string file;
  std::string what;  ///< describe() of the object
  epslice::any_endpoint_slice slice;
};

/// The EndpointSlices of a loaded input, in input order, each checked with `check` (a function
/// of the slice returning field errors). Problems are printed as `epslice validate` prints them,
/// objects of other kinds as `<file>: <Kind> <ns>/<name>: <option> takes EndpointSlice objects`;
/// either raises `code` to exit_invalid and leaves the object out.
template <class Check>
void slices_of(const loaded_file& f, std::string_view option, Check check, std::vector<input_slice>& out, int& code) {
  for (const auto& o : f.doc.objects()) {
    const auto* s = o.value.get_if<epslice::any_endpoint_slice>();
    if (!s) {
      std::cerr << f.name << ": " << describe(o) << ": " << option << " takes EndpointSlice objects\n";
      code = std::max(code, exit_invalid);
      continue;
    }
    if (!o.problems.empty()) continue;  // printed by stream_input()
    if (!report_errors(f.name, o, check(*s))) {
      code = std::max(code, exit_invalid);
      continue;
    }
    out.push_back({f.name, describe(o), *s});
  }
}

/// The valid EndpointSlices of every input of an input option, in command-line and input order
/// (see slices_of). Returns the exit code so far: exit_usage when an input is unreadable or not
/// JSON or YAML, exit_invalid when an object is invalid or of another kind.
inline int load_valid_slices(const std::vector<std::string>& files, std::string_view option,
                             std::vector<input_slice>& out) {
  int code = exit_ok;
  const auto loaded = load_all(files, code);
  if (code == exit_usage) return code;
  for (const auto& f : loaded)
    slices_of(f, option, [](const epslice::any_endpoint_slice& s) { return epslice::validate(s); }, out, code);
  return code;
}

/// The inputs named on the command line (standard input when there are none). Throws usage_error
/// when standard input is named twice.
inline std::vector<std::string> inputs(const args& a) {
  std::vector<std::string> names = a.positionals();
  if (names.empty()) names.push_back("-");
  check_stdin_once(names);
  return names;
}

/// Writes compact JSON text to a stream, as is (compact) or indented as kubectl prints it
/// (epslice::json_indenter: 4 spaces, indentation stops growing at 32 levels so that the output
/// stays linear in the input). The text may arrive in pieces split anywhere; it is written out in
/// blocks of 64 KiB.
class json_printer {
 public:
  json_printer(std::ostream& out, bool compact) : out_(out), compact_(compact) {}
  json_printer(const json_printer&) = delete;
  json_printer& operator=(const json_printer&) = delete;
  ~json_printer() { flush(); }

  /// Writes the next piece of the text.
  void write(std::string_view text) {
    if (compact_) buffer_ += text;
    else indenter_.append(text, buffer_);
    if (buffer_.size() >= flush_size) flush();
  }
  /// Ends the value with a line feed and writes out what is buffered.
  void finish() {
    buffer_ += '\n';
    flush();
  }

 private:
  static constexpr std::size_t flush_size = 64 * 1024;
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

  std::ostream& out_;
  bool compact_;
  std::string buffer_;
  epslice::json_indenter indenter_;
};

/// Prints one compact JSON value on standard output, as json_printer writes it, and a line feed.
inline void print_json_value(std::string_view compact_text, bool compact) {
  json_printer p(std::cout, compact);
  p.write(compact_text);
  p.finish();
}

/// Compact JSON of a decoded object.
inline std::string encode_object(const epslice::decoded_object& o) {
  return epslice::encode(o, epslice::encode_options{});
}


/// A subcommand. Each cmd_*.cpp registers its commands with a `registrar` at namespace scope, so
/// that adding a command touches no shared file.
struct command {
  std::string name;
  int (*run)(const std::vector<std::string>& argv);
  std::string summary;
  int order = 100;  ///< position in `epslice --help`
};

/// The commands of the tool, in help order.
inline std::vector<command>& command_table() {
  static std::vector<command> table;
  return table;
}

struct registrar {
  registrar(std::string name, int (*run)(const std::vector<std::string>&), std::string summary, int order = 100) {
    auto& t = command_table();
    command c{std::move(name), run, std::move(summary), order};
    auto it = t.begin();
    while (it != t.end() && it->order <= order) ++it;
    t.insert(it, std::move(c));
  }
};

/// Help lines of the compaction options shared by `reconcile` and `simulate`: `prefix` before each
/// option, descriptions from column `column`, wrapped before column 96.
inline std::string compaction_help(std::string_view prefix, std::size_t column) {
  const std::pair<std::string_view, std::string_view> items[] = {
      {"--compact-below F",
       "compaction (beyond upstream): while a port set's slices are less than F full (0 to 1) and "
       "one slice fewer holds them, empty the cheapest slice into the others; needs"},
      {"--compaction-budget N",
       "the extra writes one reconcile may spend on it (0 to 1000000); 0.8 and 1 are the "
       "recommended pair"}};
  std::string out;
  for (const auto& [option, text] : items) {
    std::string line = std::string(prefix) + std::string(option);
    if (line.size() >= column) {
      out += line + "\n";
      line.clear();
    }
    line.resize(column, ' ');
    std::size_t pos = 0;
    bool empty = true;
    while (pos < text.size()) {
      std::size_t next = text.find(' ', pos);
      if (next == std::string_view::npos) next = text.size();
      const std::string_view word = text.substr(pos, next - pos);
      if (!empty && line.size() + 1 + word.size() > 96) {
        out += line + "\n";
        line.assign(column, ' ');
        empty = true;
      }
      if (!empty) line += ' ';
      line += word;
      empty = false;
      pos = next + 1;
    }
    out += line + "\n";
  }
  return out;
}

/// The compaction settings of `--compact-below F --compaction-budget N` (both or neither; off
/// when neither is given). Throws usage_error for bad values.
inline epslice::compaction_options compaction_of(const args& a) {
  epslice::compaction_options c;
  const auto below = a.value("compact-below");
  const auto budget = a.value("compaction-budget");
  if (below.has_value() != budget.has_value())
    throw usage_error{"--compact-below and --compaction-budget go together"};
  if (!below) return c;
  const std::string fullness_message = "--compact-below " + *below + ": must be a number from 0 to 1";
  const bool plain_number = !below->empty() && std::all_of(below->begin(), below->end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || ch == '.';
  });
  if (!plain_number) throw usage_error{fullness_message};
  std::size_t used = 0;
  try {
    c.min_fullness = std::stod(*below, &used);
  } catch (const std::exception&) {
    throw usage_error{fullness_message};
  }
  if (used != below->size() || !(c.min_fullness >= 0.0 && c.min_fullness <= 1.0)) throw usage_error{fullness_message};
  const std::string budget_message = "--compaction-budget " + *budget + ": must be an integer from 0 to 1000000";
  if (budget->empty() || budget->size() > 7 ||
      !std::all_of(budget->begin(), budget->end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    throw usage_error{budget_message};
  c.max_extra_writes = std::stoul(*budget);
  if (c.max_extra_writes > 1000000) throw usage_error{budget_message};
  return c;
}

/// True when the arguments ask for the command's help.
inline bool wants_help(const std::vector<std::string>& argv) {
  for (const auto& a : argv)
    if (a == "--help" || a == "-h") return true;
  return false;
}

}  // namespace cli
