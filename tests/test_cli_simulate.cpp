// SPDX-License-Identifier: Apache-2.0
// The command-line contract of `epslice simulate`, checked by running the tool.
#include <catch2/catch.hpp>

#ifdef EPSLICE_CLI_PATH

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

#include "cli_runner.hpp"

namespace {

using epslice_test::run;

nlohmann::json run_json(const std::string& args) {
  const auto r = run("simulate " + args + " --format json");
  REQUIRE(r.code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("cli simulate: the fixed-order figures of docs/scenarios.md", "[cli][simulate]") {
  const auto s2 = run_json("--scenario rolling-update --endpoints 1000 --batch 25");
  CHECK(s2["reconciles"] == 40);
  CHECK(s2["creates"] == 0);
  CHECK(s2["updates"] == 40);
  CHECK(s2["deletes"] == 0);
  CHECK(s2["writes"] == 40);
  CHECK(s2["endpoints_written"] == 4000);
  CHECK(s2["final_endpoints"] == 1000);
  CHECK(s2["final_slices"] == 10);
  CHECK(s2["ideal_slices"] == 10);
  CHECK(s2["final_fullness"].get<double>() == Approx(1.0));
  CHECK(s2["min_fullness"].get<double>() == Approx(1.0));

  const auto s3 = run_json("--scenario scale-up --endpoints 1000 --batch 10");
  CHECK(s3["creates"] == 10);
  CHECK(s3["updates"] == 90);
  CHECK(s3["deletes"] == 0);
  CHECK(s3["endpoints_written"] == 5500);
  CHECK(s3["final_slices"] == 10);
  CHECK(s3["final_fullness"].get<double>() == Approx(1.0).margin(0.0005));
  CHECK(s3["mean_fullness"].get<double>() == Approx(0.868).margin(0.0005));
  CHECK(s3["min_fullness"].get<double>() == Approx(0.100).margin(0.0005));

  const auto s4 = run_json("--scenario scale-down --endpoints 1000 --batch 10 --steps 90");
  CHECK(s4["reconciles"] == 90);
  CHECK(s4["creates"] == 0);
  CHECK(s4["updates"] == 591);
  CHECK(s4["deletes"] == 0);
  CHECK(s4["writes"] == 591);
  CHECK(s4["endpoints_written"] == 32282);
  CHECK(s4["final_endpoints"] == 100);
  CHECK(s4["final_slices"] == 10);
  CHECK(s4["ideal_slices"] == 1);
  CHECK(s4["final_fullness"].get<double>() == Approx(0.100).margin(0.0005));
  CHECK(s4["mean_fullness"].get<double>() == Approx(0.545).margin(0.0005));
  CHECK(s4["min_fullness"].get<double>() == Approx(0.100).margin(0.0005));
  // One watcher: one event per write, and every write's bytes arrive with the event framing.
  CHECK(s4["watch_events"] == 591);
  CHECK(s4["bytes_delivered_json"].get<std::uint64_t>() > s4["bytes_written_json"].get<std::uint64_t>());
  CHECK(s4["bytes_delivered_protobuf"].get<std::uint64_t>() < s4["bytes_delivered_json"].get<std::uint64_t>());
}

TEST_CASE("cli simulate: compaction options reach the reconciler", "[cli][simulate]") {
  const auto plain = run_json("--scenario scale-down --endpoints 1000 --batch 10 --steps 90");
  CHECK(plain["compact_below"].get<double>() == 0.0);
  CHECK(plain["compaction_budget"] == 0);
  const auto compacted = run_json("--scenario scale-down --endpoints 1000 --batch 10 --steps 90 --compact-below 0.8 --compaction-budget 1");
  CHECK(compacted["compact_below"].get<double>() == Approx(0.8));
  CHECK(compacted["compaction_budget"] == 1);
  CHECK(compacted["final_slices"] == 1);
  CHECK(compacted["final_endpoints"] == 100);
  CHECK(compacted["writes"].get<std::uint64_t>() < plain["writes"].get<std::uint64_t>());
  const auto table = run("simulate --scenario scale-down --endpoints 1000 --batch 10 --steps 90 --compact-below 0.8 --compaction-budget 1");
  REQUIRE(table.code == 0);
  CHECK_THAT(table.out, Catch::Contains("compaction          below 0.8 full, at most 1 extra write per reconcile"));
  CHECK_THAT(table.out, Catch::Contains("final slices        1 (ideal 1)"));
  CHECK_THAT(run("simulate --scenario scale-down --endpoints 1000 --batch 10 --steps 90").out,
             !Catch::Contains("compaction"));
  const auto bad = run("simulate --scenario scale-down --endpoints 1000 --compaction-budget 1");
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("go together"));
}

TEST_CASE("cli simulate: layouts, watchers and the table", "[cli][simulate]") {
  const auto ep = run_json("--scenario create --endpoints 100 --layout endpoints --watchers 5 --bare-objects");
  CHECK(ep["layout"] == "endpoints");
  CHECK(ep["writes"] == 1);
  CHECK(ep["watch_events"] == 5);
  CHECK(ep["bytes_written_json"] == 15137);  // docs/scenarios.md#sizes: the Endpoints object of 100 addresses
  CHECK(ep["bytes_delivered_json"] == 5 * (15137 + std::string_view("{\"type\":\"ADDED\",\"object\":}\n").size()));
  // Stored, the same object gains ,"uid":"<36>" (45), ,"resourceVersion":"1000000000" (31),
  // ,"creationTimestamp":"2024-01-01T00:00:00Z" (43) and ,"managedFields":[{...}] (17 + 160), whose
  // entry of apiVersion v1 is 144 bytes around the 16 of {"f:subsets":{}}; the Endpoints strategy
  // keeps no generation.
  const auto ep_stored = run_json("--scenario create --endpoints 100 --layout endpoints");
  CHECK(ep_stored["bytes_written_json"] == 15137 + 45 + 31 + 43 + 17 + 144 + 16);

  const auto big = run_json("--scenario create --endpoints 20000 --layout endpoints");
  CHECK(big["writes_over_etcd_limit"] == 1);
  const auto cut = run_json("--scenario create --endpoints 20000 --layout endpoints --truncate");
  CHECK(cut["writes_over_etcd_limit"] == 0);
  CHECK(cut["endpoints_written"] == 1000);

  const auto w = run_json("--scenario rolling-update --endpoints 1000 --batch 25 --watchers 3000");
  CHECK(w["watch_events"] == 40 * 3000);

  const auto t = run("simulate --scenario scale-down --endpoints 1000 --batch 10 --steps 90");
  CHECK(t.code == 0);
  CHECK(t.out.find("updates             591\n") != std::string::npos);
  CHECK(t.out.find("endpoints written   32,282\n") != std::string::npos);
  CHECK(t.out.find("0.100 final / 0.545 mean / 0.100 min") != std::string::npos);
}

TEST_CASE("cli simulate: objects as stored, or bare with --bare-objects", "[cli][simulate]") {
  // issue #15: the created slice with its name, as the controller writes it, is 24,363 bytes; as
  // the API server stores it 25,028 (the uid, resourceVersion, generation, creationTimestamp and
  // managedFields of test_simulate.cpp's worked example).
  const auto bare = run_json("--scenario create --endpoints 100 --bare-objects");
  CHECK(bare["objects"] == "bare");
  CHECK(bare["bytes_written_json"] == 24363);
  const auto stored = run_json("--scenario create --endpoints 100");
  CHECK(stored["objects"] == "stored");
  CHECK(stored["bytes_written_json"] == 25028);
  CHECK(stored["bytes_delivered_json"] == 25028 + std::string_view("{\"type\":\"ADDED\",\"object\":}\n").size());
  const auto table = run("simulate --scenario create --endpoints 100");
  REQUIRE(table.code == 0);
  CHECK_THAT(table.out, Catch::Contains("objects             stored: as the API server stores and sends them (uid, "
                                        "resourceVersion, generation, creationTimestamp, managedFields)\n"));
  CHECK_THAT(table.out, Catch::Contains("bytes written       25,028 JSON"));
  CHECK_THAT(run("simulate --scenario create --endpoints 100 --bare-objects").out,
             Catch::Contains("objects             bare: as the controller writes them, plus a created slice's name\n"));
}

TEST_CASE("cli simulate: arguments and output paths are checked before running", "[cli][simulate]") {
  const auto too_many = run("simulate --scenario create --endpoints 2000001");
  CHECK(too_many.code == 2);
  CHECK_THAT(too_many.err, Catch::StartsWith("epslice simulate: --endpoints: 2000001 is out of range 0..2000000\n"));
  CHECK(run("simulate --scenario create --endpoints 10000000").code == 2);
  // Every seed of the documented range, and nothing past it.
  const auto seed = run_json("--scenario churn --endpoints 100 --steps 3 --seed 18446744073709551615");
  CHECK(seed["seed"].get<std::uint64_t>() == 18446744073709551615ULL);
  const auto past = run("simulate --scenario churn --endpoints 100 --seed 18446744073709551616");
  CHECK(past.code == 2);
  CHECK_THAT(past.err, Catch::StartsWith("epslice simulate: --seed: 18446744073709551616 is out of range 0..18446744073709551615\n"));
  // A percentage too small for a normal double is still a percentage (it rounds to no pods).
  const auto tiny = run_json("--scenario churn --endpoints 100 --steps 3 --churn-percent 1e-320");
  CHECK(tiny["endpoint_changes"] == 0);
  CHECK(run("simulate --scenario churn --endpoints 100 --churn-percent 1e400").code == 2);
  CHECK(run("simulate --scenario churn --endpoints 100 --churn-percent 100.5").code == 2);
  CHECK(run("simulate --scenario churn --endpoints 100 --churn-percent nan").code == 2);
  // An unwritable --svg fails at once, before the comparison prints (or computes) anything.
  const auto svg = run("simulate --compare --scenario rolling-update --endpoints 2000000 --svg /nonexistent");
  CHECK(svg.code == 2);
  CHECK(svg.out.empty());
  CHECK_THAT(svg.err, Catch::StartsWith("epslice simulate: --svg /nonexistent: not a directory\n"));
}

TEST_CASE("cli simulate: usage errors", "[cli][simulate]") {
  CHECK(run("simulate --help").code == 0);
  CHECK(run("simulate --endpoints 10").code == 2);
  CHECK(run("simulate --scenario nope --endpoints 10").code == 2);
  CHECK(run("simulate --scenario create --endpoints ten").code == 2);
  CHECK(run("simulate --scenario create --endpoints 10 --layout pile").code == 2);
  CHECK(run("simulate --scenario create --endpoints 10 --max-endpoints-per-slice 1001").code == 2);
  CHECK(run("simulate --scenario create --endpoints 10 --format xml").code == 2);
  CHECK(run("simulate --scenario create --endpoints 10 --zones 0").code == 2);
  const auto e = run("simulate --scenario create --endpoints 10 --churn-percent x");
  CHECK(e.code == 2);
  CHECK(e.err.find("--churn-percent") != std::string::npos);
}

#endif  // EPSLICE_CLI_PATH
