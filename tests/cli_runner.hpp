// SPDX-License-Identifier: Apache-2.0
// Runs the epslice tool for the command-line contract tests (needs EPSLICE_CLI_PATH).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace epslice_test {

struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A path for a scratch file, unique to this process (ctest runs test cases in parallel).
inline std::string scratch_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("epslice_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// Runs `epslice <args>` with `input` on standard input; captures both streams.
inline run_result run(const std::string& args, const std::string& input = "") {
  // ctest runs test cases as parallel processes: names carry the process id.
  static int counter = 0;
  const std::string base = (std::filesystem::temp_directory_path() /
                            ("epslice_cli_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter)))
                               .string();
  const std::string in_path = base + ".in", out_path = base + ".out", err_path = base + ".err";
  {
    std::ofstream in(in_path, std::ios::binary);
    in << input;
  }
  const std::string cmd = std::string("'") + EPSLICE_CLI_PATH + "' " + args + " <" + in_path + " >" + out_path +
                          " 2>" + err_path;
  const int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

}  // namespace epslice_test
