// SPDX-License-Identifier: Apache-2.0
// Hostile input through every subcommand: the right exit code, short one-line reasons, and time
// and memory within generous watchdogs (wait4's rusage; speed goals live in benchmarks).
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace {
// True when the tool (built with the tests) runs under AddressSanitizer.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif
#else
constexpr bool sanitized = false;
#endif
}  // namespace

namespace {

struct hostile_run {
  int code = -1;  // -1: killed by a signal
  std::string err;
  long max_rss_kb = 0;
  double seconds = 0;
};

// Runs the tool with `args` (stdin from /dev/null, stdout discarded) and measures it with wait4.
hostile_run run_measured(const std::vector<std::string>& args) {
  const std::string err_path = epslice_test::scratch_path("hostile.err");
  const auto start = std::chrono::steady_clock::now();
  const int in = ::open("/dev/null", O_RDONLY), out = ::open("/dev/null", O_WRONLY);
  // A hang ends as a signal (the 120 s alarm), which the test reports.
  const pid_t pid = epslice_test::spawn_tool(args, in, out, err_path, {in, out}, 120);
  ::close(in);
  ::close(out);
  REQUIRE(pid >= 0);
  int status = 0;
  rusage usage{};
  REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
  hostile_run r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.max_rss_kb = usage.ru_maxrss;
  r.err = epslice_test::slurp(err_path);
  std::remove(err_path.c_str());
  return r;
}

struct hostile_file {
  std::string name;
  std::string path;
  int validate_code;  // what `validate` must exit with
};

const std::string slice_head =
    R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"a","namespace":"n",)"
    R"("labels":{"kubernetes.io/service-name":"s"}},"addressType":"IPv4",)";

}  // namespace

TEST_CASE("cli hostile: every subcommand on every class of hostile file", "[cli][hostile]") {
  epslice_test::scratch_files files;
  std::vector<hostile_file> inputs;
  const auto add = [&](const std::string& name, const std::string& text, int validate_code) {
    inputs.push_back({name, files.write("hostile_" + name + ".json", text), validate_code});
  };
  add("deep", slice_head + R"("endpoints":[],"ports":[],"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}", 1);
  add("huge-name", R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":")" +
                       std::string(8 << 20, 'a') + R"(","namespace":"n"},"addressType":"IPv4","endpoints":[],"ports":[]})",
      1);
  add("duplicate-keys", slice_head + R"("endpoints":[],"ports":[],"ports":[]})", 1);
  add("bom", "\xEF\xBB\xBF" + slice_head + R"("endpoints":[],"ports":[]})", 0);
  add("number-out-of-range", slice_head + R"("endpoints":[],"ports":[{"port":1e400}]})", 1);
  add("many-objects", [] {
    std::string s;
    for (int i = 0; i < 20000; ++i) s += "{}";
    return s;
  }(), 0);
  add("invalid-utf8", slice_head + "\"endpoints\":[],\"ports\":[],\"x\":\"\xC3\x28\"}", 2);
  add("truncated", slice_head + R"("endpoints":[{"addresses":["10.0.)", 2);
  add("empty", "", 2);
  add("garbage", std::string("\x01\x02\x03\xFF\x00\x7F", 6) + std::string(4096, '\x00'), 2);
  inputs.push_back({"directory", std::string(EPSLICE_TEST_DATA_DIR), 2});
  inputs.push_back({"dev-null", "/dev/null", 2});
  inputs.push_back({"missing", files.write("hostile_present.json", "{}") + ".missing", 2});

  for (const auto& in : inputs) {
    const std::vector<std::vector<std::string>> commands = {
        {"validate", in.path},
        {"fmt", in.path},
        {"describe", in.path},
        {"select", "--node", "n1", "--slices", in.path},
        {"eds", "--slices", in.path},
        {"convert", "--to", "endpoints", in.path},
        {"hints", "--nodes", in.path, "--slices", in.path},
        {"reconcile", "--desired", in.path},
    };
    for (const auto& args : commands) {
      INFO(in.name << ": epslice " << args[0]);
      const auto r = run_measured(args);
      REQUIRE(r.code >= 0);  // never killed (crash, abort, or the 120 s alarm)
      if (args[0] == "validate") CHECK(r.code == in.validate_code);
      if (in.validate_code == 2) CHECK(r.code == 2);  // unreadable or not JSON, whatever the command
      // Every message is one line naming the input or the command, and short (values are cut).
      std::size_t start = 0;
      while (start < r.err.size()) {
        const auto end = r.err.find('\n', start);
        REQUIRE(end != std::string::npos);
        const std::string line = r.err.substr(start, end - start);
        CHECK(line.size() <= 2000);
        CHECK((line.rfind(in.path, 0) == 0 || line.rfind("epslice", 0) == 0 || line.rfind("run `epslice", 0) == 0 ||
               line.rfind("-:", 0) == 0 || line.rfind("no hints", 0) == 0));
        start = end + 1;
      }
      // Generous watchdogs, in the release build only (a sanitizer's shadow memory and slowdown
      // say nothing about the tool): linear work on inputs of at most a few MB.
      if (!sanitized) {
        CHECK(r.seconds < 30);
        CHECK(r.max_rss_kb < 1024 * 1024);
      }
    }
  }
}

#endif
