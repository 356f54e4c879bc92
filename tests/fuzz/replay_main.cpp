// SPDX-License-Identifier: Apache-2.0
// A main for fuzz targets built without libFuzzer: runs every file it is given through the body.
//
// Usage: <target>_replay PATH...  where each PATH is a file or a directory (its regular files,
// in name order; subdirectories are not read). A directory that does not exist counts as empty,
// so that a target without regression inputs yet replays its corpus alone. Exits 0 when every
// input ran; an input that breaks an invariant aborts the run (its name is printed first).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool read_file(const std::filesystem::path& p, std::vector<std::uint8_t>& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Runs one input; the body's own checks abort on a failure.
bool run(const std::filesystem::path& p) {
  std::vector<std::uint8_t> bytes;
  if (!read_file(p, bytes)) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.string().c_str());
    return false;
  }
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", p.string().c_str(), bytes.size());
  std::fflush(stderr);
  // An empty vector's data() may be null; libFuzzer hands the body a valid pointer.
  static const std::uint8_t none = 0;
  LLVMFuzzerTestOneInput(bytes.empty() ? &none : bytes.data(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t inputs = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
      if (ec) {
        std::fprintf(stderr, "replay: cannot list %s: %s\n", arg.string().c_str(), ec.message().c_str());
        ok = false;
        continue;
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        ok = run(f) && ok;
        ++inputs;
      }
    } else if (std::filesystem::exists(arg, ec)) {
      ok = run(arg) && ok;
      ++inputs;
    } else {
      std::fprintf(stderr, "replay: %s does not exist (no inputs)\n", arg.string().c_str());
    }
  }
  std::printf("replay: %zu inputs, %s\n", inputs, ok ? "all passed" : "some could not be read");
  return ok ? 0 : 1;
}
