// SPDX-License-Identifier: Apache-2.0
// Shared helpers of the fuzz targets: failure reports, a byte reader, input measurements.
//
// Every target defines LLVMFuzzerTestOneInput, its body. The same file links either with
// libFuzzer (clang, -fsanitize=fuzzer) or with replay_main.cpp, which runs the files of a
// directory through the body (any compiler); ctest replays the committed corpora that way.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <epslice/error.hpp>

namespace epslice_fuzz {

/// Report a broken invariant and stop: libFuzzer saves the input as a crash, a replay fails.
[[noreturn]] inline void fail(const char* file, int line, std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant failed: %.*s", file, line, static_cast<int>(what.size()), what.data());
  if (!detail.empty()) std::fprintf(stderr, ": %.*s", static_cast<int>(detail.size()), detail.data());
  std::fputc('\n', stderr);
  std::fflush(stderr);
  std::abort();
}

/// Run `f`, which may throw epslice::error (a documented rejection) but nothing else: any other
/// exception is a defect and stops the run. Returns true when `f` returned normally.
template <class Fn>
bool only_epslice_error(const char* file, int line, const char* what, Fn&& f) {
  try {
    std::forward<Fn>(f)();
    return true;
  } catch (const epslice::error& e) {
    // A rejection must name at least one problem, each on one line.
    if (e.errors().empty()) fail(file, line, what, "epslice::error without a field error");
    for (const auto& fe : e.errors()) {
      const std::string m = fe.message();
      if (m.find('\n') != std::string::npos || m.find('\r') != std::string::npos)
        fail(file, line, what, "a field error message spans several lines: " + m);
    }
    return false;
  } catch (const std::exception& e) {
    fail(file, line, what, std::string("an exception other than epslice::error escaped: ") + e.what());
  } catch (...) {
    fail(file, line, what, "a non-standard exception escaped");
  }
}

/// Run `f`, which must not throw at all.
template <class Fn>
void no_exception(const char* file, int line, const char* what, Fn&& f) {
  try {
    std::forward<Fn>(f)();
  } catch (const std::exception& e) {
    fail(file, line, what, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    fail(file, line, what, "a non-standard exception escaped");
  }
}

}  // namespace epslice_fuzz

/// Check an invariant of a fuzz target; on failure print where and what, then abort.
#define EPSLICE_FUZZ_CHECK(cond, detail)                                                      \
  do {                                                                                       \
    if (!(cond)) ::epslice_fuzz::fail(__FILE__, __LINE__, #cond, (detail));                 \
  } while (false)

/// Run a block that may throw epslice::error and nothing else; true when it did not throw.
#define EPSLICE_FUZZ_MAY_REJECT(what, ...) ::epslice_fuzz::only_epslice_error(__FILE__, __LINE__, what, __VA_ARGS__)
/// Run a block that must not throw.
#define EPSLICE_FUZZ_NO_THROW(what, ...) ::epslice_fuzz::no_exception(__FILE__, __LINE__, what, __VA_ARGS__)

namespace epslice_fuzz {

/// Reads a fuzz input as a sequence of small decisions. Reading past the end yields zeros, so
/// every input, however short, describes a complete case.
class byte_reader {
 public:
  byte_reader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  /// True when every byte has been read.
  [[nodiscard]] bool done() const noexcept { return pos_ >= size_; }

  /// The next byte (0 past the end).
  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : std::uint8_t{0}; }
  /// One bit of the next byte.
  bool flag() noexcept { return (byte() & 1) != 0; }
  /// Text up to the next NUL byte (or the end); the NUL is consumed.
  std::string_view until_nul() noexcept {
    const std::size_t start = pos_;
    while (pos_ < size_ && data_[pos_] != 0) ++pos_;
    const std::string_view out(reinterpret_cast<const char*>(data_) + start, pos_ - start);
    if (pos_ < size_) ++pos_;
    return out;
  }
  /// Every byte not read yet, as text.
  std::string_view rest() noexcept {
    const std::size_t start = pos_ < size_ ? pos_ : size_;
    pos_ = size_;
    return {reinterpret_cast<const char*>(data_) + start, size_ - start};
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// The deepest nesting of `[` and `{` outside strings in a (possibly malformed) JSON text.
[[nodiscard]] inline std::size_t nesting_depth(std::string_view t) noexcept {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace epslice_fuzz
