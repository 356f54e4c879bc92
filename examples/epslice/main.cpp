// SPDX-License-Identifier: Apache-2.0
// The epslice command-line tool: dispatches to the subcommands.
#include "cli.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <exception>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

void print_help(std::ostream& out) {
  out << "epslice: Kubernetes Endpoints and EndpointSlices, exact and measured.\n\n"
         "usage: epslice <command> [options] [FILE|-]...\n\n"
         "Input is a single object, a List (or EndpointSliceList, EndpointsList, ...), or a stream of\n"
         "objects as `kubectl get -o json --watch` prints them, in JSON, or in YAML (`kubectl get -o yaml`,\n"
         "documents separated by ---): input whose first byte other than white space is { or [ is JSON,\n"
         "anything else YAML. No FILE, or -, reads standard input. Input options (--slices, --nodes, ...)\n"
         "may be repeated; their inputs are read in order, as kubectl -f a -f b reads both.\n\n"
         "commands:\n";
  for (const auto& c : cli::command_table()) {
    out << "  " << c.name;
    for (std::size_t i = c.name.size(); i < 12; ++i) out << ' ';
    out << c.summary << "\n";
  }
  out << "\nglobal options (with any command):\n"
         "  --max-depth N           refuse objects nested deeper than N levels (default 1000, at most 100000)\n"
         "  --max-object-bytes N    refuse objects larger than N bytes of JSON (default 67108864, 64 MiB)\n"
         "  An object over a limit is a problem of that object (exit 1); the others are still read.\n"
         "\nfast decoding: " << cli::fast_path_state() << "\n"
         "\nexit codes: 0 success, 1 invalid input objects or a watch stream that reported an ERROR, 2 usage\n"
         "errors and unreadable input (no such file, permission denied, is a directory, empty input, not\n"
         "JSON or YAML).\n"
         "`epslice <command> --help` describes a command.\n";
}

// Takes the global options --max-depth N and --max-object-bytes N (also `--option=N`) out of a
// command's arguments into cli::input_limits(). Throws usage_error for a value that is not a
// number in range or an option given twice.
void take_limit_options(std::vector<std::string>& args) {
  bool seen_depth = false, seen_bytes = false;
  for (std::size_t i = 0; i < args.size();) {
    std::string name = args[i], value;
    bool inline_value = false;
    if (const auto eq = name.find('='); eq != std::string::npos && name.rfind("--", 0) == 0) {
      value = name.substr(eq + 1);
      name.resize(eq);
      inline_value = true;
    }
    if (name == "--") break;
    const bool depth = name == "--max-depth", bytes = name == "--max-object-bytes";
    if (!depth && !bytes) {
      ++i;
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) throw cli::usage_error{name + " needs a value"};
      value = args[i + 1];
    }
    bool& seen = depth ? seen_depth : seen_bytes;
    if (seen) throw cli::usage_error{name + " is given more than once"};
    seen = true;
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    const std::uint64_t max = depth ? epslice::decode_limits::max_depth_limit : std::numeric_limits<std::uint64_t>::max();
    if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > max)
      throw cli::usage_error{name + " must be a number from 1 to " + std::to_string(max) + ", not \"" + value + "\""};
    if (depth) cli::input_limits().max_depth = static_cast<std::size_t>(n);
    else cli::input_limits().max_object_bytes = static_cast<std::size_t>(n);
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i + (inline_value ? 1 : 2)));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Messages reach standard error a line at a time: one write per line instead of one per piece
  // (validate of a million objects prints a million lines), never a line cut by another.
  static char stderr_buffer[64 * 1024];
  std::setvbuf(stderr, stderr_buffer, _IOLBF, sizeof stderr_buffer);
  std::cerr << std::nounitbuf;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_help(std::cerr);
    return cli::exit_usage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help(std::cout);
    return cli::exit_ok;
  }
  for (const auto& c : cli::command_table()) {
    if (args[0] != c.name) continue;
    std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
      take_limit_options(rest);
      const int code = c.run(rest);
      // A watch stream that reported an ERROR is incomplete: the command did its work on the
      // events before it and says so with exit code 1 (see cli::stream_input).
      return cli::stream_error_seen() ? std::max(code, cli::exit_invalid) : code;
    } catch (const cli::usage_error& e) {
      std::cerr << "epslice " << c.name << ": " << e.message << "\n"
                << "run `epslice " << c.name << " --help` for usage\n";
      return cli::exit_usage;
    } catch (const epslice::error& e) {
      std::cerr << "epslice " << c.name << ": " << e.what() << "\n";
      return cli::exit_invalid;
    } catch (const std::exception& e) {
      std::cerr << "epslice " << c.name << ": " << e.what() << "\n";
      return cli::exit_usage;
    }
  }
  std::cerr << "epslice: unknown command '" << args[0] << "'\n";
  print_help(std::cerr);
  return cli::exit_usage;
}
