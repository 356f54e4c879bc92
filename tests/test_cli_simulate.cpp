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

TEST_CASE("cli simulate: the fixed-order figures of scenarios.md", "[cli_simulate]") {
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

TEST_CASE("cli simulate: compaction options reach the reconciler", "[cli_simulate]") {
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

TEST_CASE("cli simulate: layouts, watchers and the table", "[cli_simulate]") {
  const auto ep = run_json("--scenario create --endpoints 100 --layout endpoints --watchers 5");
  CHECK(ep["layout"] == "endpoints");
  CHECK(ep["writes"] == 1);
  CHECK(ep["watch_events"] == 5);
  CHECK(ep["bytes_written_json"] == 15137);  // scenarios.md: the Endpoints object of 100 addresses
  CHECK(ep["bytes_delivered_json"] == 5 * (15137 + std::string_view("{\"type\":\"ADDED\",\"object\":}\n").size()));

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

TEST_CASE("cli simulate: usage errors", "[cli_simulate]") {
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
