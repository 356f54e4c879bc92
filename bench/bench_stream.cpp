// SPDX-License-Identifier: Apache-2.0
// Speed and memory of stream.hpp: Lists and watch streams decoded object by object, as generated.
//
// Inputs are generated while they are read, in 64 KiB chunks, so that the input never has to be
// held: what the benchmark allocates is the decoder's. The slices are those of the JSON
// benchmark (the 24,363-byte, 100-endpoint slice of the world fixture), each with its own name.
//  - BM_list_decode/<slices>: a List of that many slices as `kubectl get endpointslices -A -o
//    json` prints it (keys sorted, 4-space indentation left out), 10,000 slices being 1,000,000
//    endpoints (about 244 MB in one List). Counters: input_bytes, peak_alloc_bytes (the most the
//    decoder and its events held at once, one chunk's events being taken after each chunk) and
//    peak_alloc_per_input_byte (flat as the list grows: memory is one object's, not the list's).
//  - BM_watch_decode/<events>: 100,000 (1,000 in the smoke run) `--output-watch-events` events
//    over 1,000 distinct slices (ADDED first, then MODIFIED with a new resourceVersion; every 10th
//    a DELETED then ADDED again), decoded into events. BM_watch_store: the same events applied to
//    an object_store as they are decoded (counter objects_kept: the final state's objects).
//    BM_watch_nlohmann_dom: nlohmann's DOM parse of the same bytes, event by event (the same-run
//    reference).
//  - BM_list_decode_simdjson, BM_watch_decode_simdjson, BM_watch_store_simdjson (where simdjson
//    is installed): the same with a simdjson_object_decoder given to the stream decoder; an
//    object left to the reader fails the benchmark.
//  - BM_decoded_memory: the bytes one decoded object holds (allocations alive after decoding):
//    a `{}` and the 100-endpoint slice.
// Allocations are counted by replacing the global operator new of this program.
#include <epslice/json.hpp>
#include <epslice/store.hpp>
#include <epslice/stream.hpp>
#ifdef EPSLICE_BENCH_SIMDJSON
#include <epslice/simdjson.hpp>
#endif

#include <benchmark/benchmark.h>

#include "../tests/world_fixture.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <sys/resource.h>

// ---- allocation counting (this program only) ------------------------------------------------

namespace {
std::size_t g_live = 0;  // bytes allocated and not freed
std::size_t g_peak = 0;
constexpr std::size_t header = 16;  // keeps the default alignment of new

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n + header);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  g_live += n;
  if (g_live > g_peak) g_peak = g_live;
  return static_cast<char*>(p) + header;
}
void counted_free(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - header;
  g_live -= *reinterpret_cast<std::size_t*>(base);
  std::free(base);
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

namespace {

using epslice_test::world_slice;

constexpr std::size_t chunk_size = 64 * 1024;

// The text of the world slice with a placeholder name and resourceVersion, cut around them.
struct slice_template {
  std::string before_name, between, after_version;
  slice_template() {
    epslice::endpoint_slice_v4 s = world_slice(100);
    s.metadata.name = "@NAME@";
    s.metadata.resource_version = "@RV@";
    const std::string t = epslice::encode(s);
    const std::size_t n = t.find("@NAME@");
    const std::size_t r = t.find("@RV@");
    before_name = t.substr(0, n);
    between = t.substr(n + 6, r - (n + 6));
    after_version = t.substr(r + 4);
  }
  void append(std::string& out, std::size_t index, std::uint64_t version) const {
    char name[32];
    char rv[32];
    std::snprintf(name, sizeof name, "svc-%05zu", index);
    std::snprintf(rv, sizeof rv, "%010llu", static_cast<unsigned long long>(version));
    out += before_name;
    out += name;
    out += between;
    out += rv;
    out += after_version;
  }
};

const slice_template& slice_text() {
  static const slice_template t;
  return t;
}

// Feeds `chunk`-sized pieces of generated text to `consume`, taking `produce(i, out)` for item i.
template <class Produce, class Consume>
std::size_t generate(std::size_t items, std::string_view head, std::string_view separator, std::string_view tail,
                     Produce&& produce, Consume&& consume) {
  std::string buf;
  buf.reserve(chunk_size + 64 * 1024);
  std::size_t bytes = 0;
  buf += head;
  for (std::size_t i = 0; i < items; ++i) {
    if (i) buf += separator;
    produce(i, buf);
    if (buf.size() >= chunk_size) {
      bytes += buf.size();
      consume(std::string_view(buf));
      buf.clear();
    }
  }
  buf += tail;
  bytes += buf.size();
  consume(std::string_view(buf));
  return bytes;
}

void list_decode(benchmark::State& state, epslice::framed_object_decoder* objects) {
  const auto slices = static_cast<std::size_t>(state.range(0));
  const slice_template& t = slice_text();
  std::size_t bytes = 0, events = 0, peak = 0;
  for (auto _ : state) {
    const std::size_t base = g_live;
    g_peak = g_live;
    epslice::stream_decoder d({}, objects);
    events = 0;
    bytes = generate(
        slices, R"({"apiVersion":"v1","items":[)", ",", R"(],"kind":"List","metadata":{"resourceVersion":""}})",
        [&](std::size_t i, std::string& out) { t.append(out, i, 1000000000 + i); },
        [&](std::string_view chunk) {
          d.feed(chunk);
          while (auto e = d.next()) {
            ++events;
            benchmark::DoNotOptimize(e);
          }
        });
    d.finish();
    if (d.syntax_error() || events != slices) state.SkipWithError("the list did not decode");
    // The generator's buffer (chunk_size plus one slice) is counted too; it is small and fixed.
    peak = g_peak - base;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(static_cast<std::size_t>(state.iterations()) * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<std::size_t>(state.iterations()) * events));
  state.counters["input_bytes"] = static_cast<double>(bytes);
  state.counters["endpoints"] = static_cast<double>(slices * 100);
  state.counters["peak_alloc_bytes"] = static_cast<double>(peak);
  state.counters["peak_alloc_per_input_byte"] = static_cast<double>(peak) / static_cast<double>(bytes);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["max_rss_kib"] = static_cast<double>(ru.ru_maxrss);
}

void BM_list_decode(benchmark::State& state) { list_decode(state, nullptr); }

// The watch stream: event i is on slice i % 1000.
void watch_event_text(std::size_t i, std::string& out) {
  const std::size_t slice = i % 1000;
  const std::size_t round = i / 1000;
  const char* type = round == 0 ? "ADDED" : "MODIFIED";
  if (round > 0 && slice % 10 == round % 10) type = round % 2 ? "DELETED" : "ADDED";
  out += R"({"type":")";
  out += type;
  out += R"(","object":)";
  slice_text().append(out, slice, 1000000000 + i);
  out += "}\n";
}

// Decodes the generated stream of state.range(0) events once per iteration, handing each event to
// a fresh `Sink` per iteration (its `take()`; its `kept()` ends up in counter objects_kept
// when it has one), and reports bytes, events and the decoder's peak allocation.
template <class Sink>
void run_watch(benchmark::State& state, epslice::framed_object_decoder* objects = nullptr) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::size_t bytes = 0, events = 0, peak = 0, kept = 0;
  for (auto _ : state) {
    const std::size_t base = g_live;
    g_peak = g_live;
    epslice::stream_decoder d({}, objects);
    Sink sink;
    events = 0;
    bytes = generate(n, "", "", "", watch_event_text, [&](std::string_view chunk) {
      d.feed(chunk);
      while (auto e = d.next()) {
        ++events;
        sink.take(std::move(*e));
      }
    });
    d.finish();
    if (d.syntax_error() || events != n) state.SkipWithError("the stream did not decode");
    kept = sink.kept();
    peak = g_peak - base;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(static_cast<std::size_t>(state.iterations()) * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<std::size_t>(state.iterations()) * events));
  state.counters["input_bytes"] = static_cast<double>(bytes);
  state.counters["peak_alloc_bytes"] = static_cast<double>(peak);
  if (kept) state.counters["objects_kept"] = static_cast<double>(kept);
}

// Events decoded and dropped.
struct drop_events {
  void take(epslice::watch_event&& e) { benchmark::DoNotOptimize(e); }
  [[nodiscard]] std::size_t kept() const { return 0; }
};
// The same stream reduced into an object_store as it is decoded: what a command reading a watch
// capture does (the last state of each of the 1,000 slices stays; DELETED removes).
struct store_events {
  epslice::object_store store;
  void take(epslice::watch_event&& e) { benchmark::DoNotOptimize(store.apply(std::move(e))); }
  [[nodiscard]] std::size_t kept() const { return store.size(); }
};

void BM_watch_decode(benchmark::State& state) { run_watch<drop_events>(state); }
void BM_watch_store(benchmark::State& state) { run_watch<store_events>(state); }

#ifdef EPSLICE_BENCH_SIMDJSON
// The same through the simdjson fast path (one object decoder, kept across iterations). Objects
// it left to the reader would make the figure another path's: not reported.
template <class Run>
void with_simdjson(benchmark::State& state, Run run) {
  epslice::simdjson_object_decoder objects;
  run(state, &objects);
  if (objects.fallbacks() != 0) state.SkipWithError("the simdjson object decoder left objects to the reader");
}
void BM_list_decode_simdjson(benchmark::State& state) { with_simdjson(state, list_decode); }
void BM_watch_decode_simdjson(benchmark::State& state) { with_simdjson(state, run_watch<drop_events>); }
void BM_watch_store_simdjson(benchmark::State& state) { with_simdjson(state, run_watch<store_events>); }
#endif

void BM_watch_nlohmann_dom(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::size_t bytes = 0, events = 0;
  std::string one;
  for (auto _ : state) {
    events = 0;
    bytes = 0;
    // The same bytes, event by event (nlohmann parses one value at a time).
    for (std::size_t i = 0; i < n; ++i) {
      one.clear();
      watch_event_text(i, one);
      bytes += one.size();
      auto j = nlohmann::json::parse(one);
      ++events;
      benchmark::DoNotOptimize(j);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(static_cast<std::size_t>(state.iterations()) * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(static_cast<std::size_t>(state.iterations()) * events));
  state.counters["input_bytes"] = static_cast<double>(bytes);
}

// Bytes held by decoded objects: `{}` (arg 0) or the 100-endpoint slice (arg 1).
void BM_decoded_memory(benchmark::State& state) {
  std::string text;
  if (state.range(0) == 0) {
    text = "{}";
  } else {
    slice_text().append(text, 0, 1000000000);
  }
  const std::size_t count = state.range(0) == 0 ? 100000 : 100;
  std::size_t per_object = 0;
  for (auto _ : state) {
    std::vector<epslice::watch_event> kept;
    kept.reserve(count);
    const std::size_t base = g_live;
    {
      epslice::stream_decoder d;
      for (std::size_t i = 0; i < count; ++i) {
        d.feed(text);
        while (auto e = d.next()) kept.push_back(std::move(*e));
      }
      d.finish();
      while (auto e = d.next()) kept.push_back(std::move(*e));
    }
    // What the kept events hold: their heap (counted after the decoder is gone) and their slots.
    const std::size_t held = g_live - base + kept.capacity() * sizeof(epslice::watch_event);
    per_object = held / kept.size();
    benchmark::DoNotOptimize(kept);
  }
  state.counters["bytes_per_object"] = static_cast<double>(per_object);
  state.counters["input_bytes_per_object"] = static_cast<double>(text.size());
  state.counters["sizeof_watch_event"] = static_cast<double>(sizeof(epslice::watch_event));
}

}  // namespace

BENCHMARK(BM_list_decode)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_watch_decode)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_watch_store)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
#ifdef EPSLICE_BENCH_SIMDJSON
BENCHMARK(BM_list_decode_simdjson)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_watch_decode_simdjson)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_watch_store_simdjson)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
#endif
BENCHMARK(BM_watch_nlohmann_dom)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_decoded_memory)->Arg(0)->Arg(1)->Iterations(1);

BENCHMARK_MAIN();
