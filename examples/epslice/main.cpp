// SPDX-License-Identifier: Apache-2.0
// The epslice command-line tool: dispatches to the subcommands.
#include "cli.hpp"

#include <exception>
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
  out << "\nexit codes: 0 success, 1 invalid input objects, 2 usage errors and unreadable input (no such\n"
         "file, permission denied, is a directory, empty input, not JSON or YAML).\n"
         "`epslice <command> --help` describes a command.\n";
}

}  // namespace

int main(int argc, char** argv) {
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
      return c.run(rest);
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
