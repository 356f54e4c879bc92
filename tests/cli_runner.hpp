// SPDX-License-Identifier: Apache-2.0
// Runs the epslice tool for the command-line contract tests (needs EPSLICE_CLI_PATH).
#pragma once

#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>
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

// Runs `<prefix>epslice <args>` through the shell and captures both streams. Standard input is
// `input` unless `input` is null (then the prefix provides it, e.g. `producer | `).
inline run_result run_in_shell(const std::string& prefix, const std::string& args, const std::string* input) {
  // ctest runs test cases as parallel processes: names carry the process id.
  static int counter = 0;
  const std::string base = (std::filesystem::temp_directory_path() /
                            ("epslice_cli_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter)))
                               .string();
  const std::string in_path = base + ".in", out_path = base + ".out", err_path = base + ".err";
  if (input) {
    std::ofstream in(in_path, std::ios::binary);
    in << *input;
  }
  const std::string cmd = prefix + "'" + EPSLICE_CLI_PATH + "' " + args + (input ? " <" + in_path : std::string()) +
                          " >" + out_path + " 2>" + err_path;
  const int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  if (input) std::remove(in_path.c_str());
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

// Runs `epslice <args>` with `input` on standard input; captures both streams.
inline run_result run(const std::string& args, const std::string& input = "") { return run_in_shell("", args, &input); }

// Runs `<producer> | epslice <args>`: standard input is a pipe.
inline run_result run_piped(const std::string& producer, const std::string& args) {
  return run_in_shell(producer + " | ", args, nullptr);
}

// Starts `epslice <args>` as a child process: its standard input and output are the descriptors
// `in` and `out`, its standard error the file `err_path`; `close_in_child` are closed in the
// child (the other ends of pipes); `alarm_seconds` > 0 ends a hung child with SIGALRM. Returns the
// child's pid (negative when fork fails), for waitpid or wait4.
inline pid_t spawn_tool(const std::vector<std::string>& args, int in, int out, const std::string& err_path,
                        std::initializer_list<int> close_in_child = {}, unsigned alarm_seconds = 0) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  if (err >= 0) ::dup2(err, STDERR_FILENO);
  for (const int fd : close_in_child) ::close(fd);
  std::string path = EPSLICE_CLI_PATH;
  std::vector<std::string> copy = args;
  std::vector<char*> argv{path.data()};
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (alarm_seconds > 0) ::alarm(alarm_seconds);
  ::execv(path.c_str(), argv.data());
  ::_exit(127);
}

// Scratch files (unique to this process), removed at the end of the test case.
class scratch_files {
 public:
  scratch_files() = default;
  scratch_files(const scratch_files&) = delete;
  scratch_files& operator=(const scratch_files&) = delete;
  ~scratch_files() {
    for (const auto& p : paths_) {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  }
  // Writes `content` to a new scratch file; returns its path.
  std::string write(const std::string& name, const std::string& content) {
    const std::string path = scratch_path(name);
    std::ofstream out(path, std::ios::binary);
    out << content;
    paths_.push_back(path);
    return path;
  }
  // Makes a new scratch directory; returns its path.
  std::string directory(const std::string& name) {
    const std::string path = scratch_path(name);
    std::filesystem::create_directory(path);
    paths_.push_back(path);
    return path;
  }

 private:
  std::vector<std::string> paths_;
};

}  // namespace epslice_test
