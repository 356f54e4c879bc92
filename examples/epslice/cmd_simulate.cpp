// SPDX-License-Identifier: Apache-2.0
// epslice simulate: churn scenarios through a layout; writes, watch events and bytes; published figures.
#include "cli.hpp"

#include <epslice/simulate.hpp>
#include <epslice/sizes.hpp>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace cli {

namespace {

constexpr const char* simulate_help =
    "usage: epslice simulate --scenario create|rolling-update|scale-up|scale-down|churn --endpoints N\n"
    "                        [--layout endpoints|slices|by-zone] [--max-endpoints-per-slice M]\n"
    "                        [--strategy kubernetes|minimal] [--batch B] [--steps S] [--churn-percent P]\n"
    "                        [--zones Z] [--watchers W] [--truncate] [--seed S] [--format table|json]\n"
    "                        [--bare-objects] [--compact-below F --compaction-budget N]\n"
    "       epslice simulate --compare [scenario options] [--svg DIR]\n"
    "       epslice simulate --published\n\n"
    "Runs a churn scenario of docs/scenarios.md (Service default/svc, pods on 100 nodes) and reports\n"
    "the writes, watch events and bytes it costs.\n\n"
    "  create          N pods, one reconcile from nothing\n"
    "  rolling-update  N pods, then N/B times: remove the B lowest pods, add B (default B = 1)\n"
    "  scale-up        N/B times add B pods, from nothing (default B = 10)\n"
    "  scale-down      N pods, then remove B random pods per step until N/10 remain (default B = 10)\n"
    "  churn           N pods, then per step remove P% of N at random and add as many (200 steps,\n"
    "                  P = 1)\n\n"
    "--endpoints N     0 to 2,000,000 (see Cost below)\n"
    "--layout          slices (default): EndpointSlices; endpoints: the one legacy Endpoints object\n"
    "                  (untruncated unless --truncate, which keeps 1000 addresses as Kubernetes\n"
    "                  does); by-zone: slices holding one zone each\n"
    "--watchers W      watchers of the Service's objects (default 1, at most 100,000,000); each\n"
    "                  write reaches every watcher, or with by-zone the watchers of its zone\n"
    "--zones Z         zones the 100 nodes are spread over (default 3)\n"
    "--batch B         pods per step, 1 to 10,000,000\n"
    "--steps S         caps the counted steps\n"
    "--churn-percent P a decimal number from 0 to 100\n"
    "--seed S          the splitmix64 seed, 0 to 18446744073709551615 (default 42)\n"
    "--format          table (default) or json (one object)\n"
    "--trace           with --format json, add the per-step slice count, fullness and bytes\n"
    "--bare-objects    measure the objects as the controller writes them (plus a created slice's\n"
    "                  name) instead of as the API server stores and sends them\n"
    "--compare         run the scenario through every layout and both strategies; one table\n"
    "--svg DIR         with --compare: write bytes-per-change.svg, churn-slices.svg and\n"
    "                  churn-fullness.svg to DIR (checked before anything runs)\n"
    "--published       the KEP-0752 and 2020 blog figures beside ours (--bare-objects applies)\n"
    ;
constexpr const char* simulate_help_tail =
    "\n"
    "Bytes: JSON is compact Kubernetes JSON; protobuf is what the API server sends protobuf clients\n"
    "(`k8s\\0` + runtime.Unknown). A create or update writes its object; every watcher that sees it\n"
    "receives a watch event (a delete carries the last state). Objects are measured as the API\n"
    "server stores and sends them: a created slice with its name (generateName + 5 characters), and\n"
    "uid, resourceVersion (the write's number from 1000000000), generation (the slice's writes),\n"
    "creationTimestamp and kube-controller-manager's managedFields entry; no unknown fields.\n\n"
    "Cost (one core of a 2-core machine, release build): memory is linear in N, about 1 KB per\n"
    "endpoint for the slices layouts (create: 1.0 GB at N = 1,000,000, the peak; 2.0 GB at the\n"
    "2,000,000 maximum) and 0.3 KB for the endpoints layout. Time: the slices layouts reconcile\n"
    "all N endpoints every step, about 0.1 s per step at N = 100,000 (so a rolling update of N\n"
    "steps is quadratic: cap it with --steps or raise --batch); the endpoints layout costs per step\n"
    "only the pods that change.\n"
    "Exit 0: done; 2: usage errors.\n";

const std::vector<std::string> value_options = {"scenario", "endpoints", "layout", "max-endpoints-per-slice",
                                                "strategy", "batch", "steps", "churn-percent", "zones",
                                                "watchers", "seed", "format", "svg", "compact-below",
                                                "compaction-budget"};
const std::vector<std::string> flag_options = {"truncate", "compare", "published", "trace", "bare-objects"};

// The largest --endpoints: memory grows by about 1 KB per endpoint (see the help's Cost).
constexpr std::uint64_t max_endpoints = 2000000;

std::uint64_t parse_count(const args& a, const std::string& name, std::uint64_t fallback, std::uint64_t min,
                          std::uint64_t max) {
  const auto v = a.value(name);
  if (!v) return fallback;
  std::uint64_t x = 0;
  if (v->empty()) throw usage_error{"--" + name + ": not a number: " + *v};
  bool too_big = false;
  for (char c : *v) {
    if (c < '0' || c > '9') throw usage_error{"--" + name + ": not a number: " + *v};
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (x > (UINT64_MAX - digit) / 10) too_big = true;
    else x = x * 10 + digit;
  }
  if (too_big || x < min || x > max)
    throw usage_error{"--" + name + ": " + *v + " is out of range " + std::to_string(min) + ".." + std::to_string(max)};
  return x;
}

// A percentage from 0 to 100 written as a decimal number. Values too small for a normal double
// (1e-320) are kept as strtod reads them (tiny or zero) rather than refused.
double parse_percent(const std::string& name, const std::string& text) {
  const std::string message = "--" + name + ": not a percentage between 0 and 100: " + text;
  const bool plain = !text.empty() && text.find_first_not_of("0123456789.eE+-") == std::string::npos &&
                     ((text[0] >= '0' && text[0] <= '9') || text[0] == '.');
  if (!plain) throw usage_error{message};
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  const bool underflow = errno == ERANGE && std::fabs(v) <= 1.0;
  if (end != text.c_str() + text.size() || (errno == ERANGE && !underflow) || !(v >= 0.0 && v <= 100.0))
    throw usage_error{message};
  return v;
}

std::string thousands(std::uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Bytes with a decimal unit: 1.50 MB, 22.5 TB.
std::string human_bytes(double v) {
  static constexpr const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (v >= 1000.0 && u < 5) {
    v /= 1000.0;
    ++u;
  }
  return fixed(v, v < 10 ? 2 : v < 100 ? 1 : 0) + " " + units[u];
}

// A JSON number for a double: shortest of %.6f with trailing zeros trimmed.
std::string json_double(double v) {
  std::string s = fixed(v, 6);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string_view scenario_name(epslice::scenario_kind k) {
  switch (k) {
    case epslice::scenario_kind::create: return "create";
    case epslice::scenario_kind::rolling_update: return "rolling-update";
    case epslice::scenario_kind::scale_up: return "scale-up";
    case epslice::scenario_kind::scale_down: return "scale-down";
    case epslice::scenario_kind::churn: return "churn";
  }
  return "create";
}

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// Progress on stderr for long runs (the counters go to stdout): a bar when stderr is a terminal,
// otherwise, once a run has taken more than two seconds, one line per tenth of its steps.
struct progress_bar {
  std::string label;
  bool tty = isatty(2) != 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  void operator()(std::size_t done, std::size_t total) const {
    if (total < 50) return;
    if (!tty) {
      const std::size_t group = (total + 9) / 10;
      if ((done == total || done % group == 0) &&
          std::chrono::steady_clock::now() - start > std::chrono::seconds(2))
        std::cerr << label << ": " << done << "/" << total << " steps\n";
      return;
    }
    if (done != total && done % std::max<std::size_t>(1, total / 50) != 0) return;
    const std::size_t width = 30, filled = total ? done * width / total : width;
    std::cerr << "\r" << label << " [" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << done
              << "/" << total << (done == total ? "\r" + std::string(label.size() + width + 30, ' ') + "\r" : "")
              << std::flush;
  }
};

epslice::simulation_options parse_options(const args& a) {
  epslice::simulation_options o;
  const auto scenario = a.value("scenario");
  if (!scenario) throw usage_error{"--scenario is required"};
  if (*scenario == "create") o.scenario = epslice::scenario_kind::create;
  else if (*scenario == "rolling-update") o.scenario = epslice::scenario_kind::rolling_update;
  else if (*scenario == "scale-up") o.scenario = epslice::scenario_kind::scale_up;
  else if (*scenario == "scale-down") o.scenario = epslice::scenario_kind::scale_down;
  else if (*scenario == "churn") o.scenario = epslice::scenario_kind::churn;
  else throw usage_error{"--scenario: unknown scenario " + *scenario};
  if (!a.value("endpoints")) throw usage_error{"--endpoints is required"};
  o.endpoints = parse_count(a, "endpoints", 1000, 0, max_endpoints);
  o.batch = parse_count(a, "batch", 0, 1, 10000000);
  if (a.value("steps")) o.steps = parse_count(a, "steps", 0, 0, 100000000);
  if (const auto p = a.value("churn-percent")) o.churn_percent = parse_percent("churn-percent", *p);
  o.seed = parse_count(a, "seed", 42, 0, UINT64_MAX);
  if (a.flag("bare-objects")) o.form = epslice::measured_form::bare;
  o.zones = parse_count(a, "zones", 3, 1, 100);
  o.watchers = parse_count(a, "watchers", 1, 0, 100000000);
  o.truncate = a.flag("truncate");
  o.reconcile.max_endpoints_per_slice = parse_count(a, "max-endpoints-per-slice", 100, 1, 1000);
  o.reconcile.trigger_time = "2024-01-01T00:00:00Z";
  o.reconcile.compaction = compaction_of(a);
  if (const auto s = a.value("strategy")) {
    if (*s == "kubernetes") o.reconcile.strategy = epslice::reconcile_strategy::kubernetes;
    else if (*s == "minimal") o.reconcile.strategy = epslice::reconcile_strategy::minimal;
    else throw usage_error{"--strategy: unknown strategy " + *s};
  }
  if (const auto l = a.value("layout")) {
    if (*l == "slices") o.layout = epslice::simulation_layout::slices;
    else if (*l == "endpoints") o.layout = epslice::simulation_layout::endpoints;
    else if (*l == "by-zone") o.layout = epslice::simulation_layout::by_zone;
    else throw usage_error{"--layout: unknown layout " + *l};
  }
  return o;
}

void print_json(const epslice::simulation_options& o, const epslice::simulation_result& r, bool trace) {
  std::ostringstream out;
  out << "{\"scenario\":\"" << scenario_name(o.scenario) << "\",\"layout\":\"" << epslice::to_string(o.layout)
      << "\",\"strategy\":\"" << epslice::to_string(o.reconcile.strategy) << "\",\"endpoints\":" << o.endpoints
      << ",\"max_endpoints_per_slice\":" << o.reconcile.max_endpoints_per_slice << ",\"compact_below\":"
      << o.reconcile.compaction.min_fullness << ",\"compaction_budget\":" << o.reconcile.compaction.max_extra_writes
      << ",\"truncate\":"
      << (o.truncate ? "true" : "false") << ",\"zones\":" << o.zones << ",\"watchers\":" << o.watchers
      << ",\"seed\":" << o.seed << ",\"objects\":\"" << epslice::to_string(o.form) << "\",\"reconciles\":" << r.reconciles << ",\"creates\":" << r.creates
      << ",\"updates\":" << r.updates << ",\"deletes\":" << r.deletes << ",\"writes\":" << r.writes
      << ",\"endpoints_written\":" << r.endpoints_written << ",\"final_endpoints\":" << r.final_endpoints
      << ",\"final_slices\":" << r.final_slices << ",\"ideal_slices\":" << r.ideal_slices
      << ",\"final_fullness\":" << json_double(r.final_fullness) << ",\"mean_fullness\":"
      << json_double(r.mean_fullness) << ",\"min_fullness\":" << json_double(r.min_fullness)
      << ",\"endpoint_changes\":" << r.endpoint_changes << ",\"bytes_written_json\":" << r.bytes_written_json
      << ",\"bytes_written_protobuf\":" << r.bytes_written_protobuf << ",\"watch_events\":" << r.watch_events
      << ",\"bytes_delivered_json\":" << r.bytes_delivered_json
      << ",\"bytes_delivered_protobuf\":" << r.bytes_delivered_protobuf << ",\"max_object_json\":"
      << r.max_object_json << ",\"max_object_protobuf\":" << r.max_object_protobuf
      << ",\"writes_over_etcd_limit\":" << r.writes_over_etcd_limit;
  if (trace) {
    out << ",\"trace\":[";
    for (std::size_t i = 0; i < r.trace.size(); ++i) {
      const auto& s = r.trace[i];
      out << (i ? "," : "") << "{\"endpoints\":" << s.endpoints << ",\"slices\":" << s.slices
          << ",\"fullness\":" << json_double(s.fullness) << ",\"writes\":" << s.writes
          << ",\"bytes_delivered_json\":" << s.bytes_delivered_json
          << ",\"bytes_delivered_protobuf\":" << s.bytes_delivered_protobuf << "}";
    }
    out << "]";
  }
  out << "}";
  std::cout << out.str() << "\n";
}

// What the byte counters measure, in a few words.
std::string objects_measured(epslice::measured_form form) {
  return form == epslice::measured_form::bare
             ? "bare: as the controller writes them, plus a created slice's name"
             : "stored: as the API server stores and sends them (uid, resourceVersion, generation, "
               "creationTimestamp, managedFields)";
}

void print_table(const epslice::simulation_options& o, const epslice::simulation_result& r) {
  const auto row = [](std::string_view k, const std::string& v) {
    std::cout << k << std::string(k.size() < 20 ? 20 - k.size() : 1, ' ') << v << "\n";
  };
  std::string layout(epslice::to_string(o.layout));
  if (o.layout == epslice::simulation_layout::endpoints) layout += o.truncate ? " (truncated at 1000)" : " (untruncated)";
  else layout += " (max " + std::to_string(o.reconcile.max_endpoints_per_slice) + " per slice)";
  row("scenario", std::string(scenario_name(o.scenario)) + ", " + thousands(o.endpoints) + " endpoints, " +
                      thousands(r.reconciles) + " steps");
  row("layout", layout + ", strategy " + std::string(epslice::to_string(o.reconcile.strategy)));
  if (const auto& c = o.reconcile.compaction; c.enabled()) {
    std::ostringstream text;
    text << "below " << c.min_fullness << " full, at most " << c.max_extra_writes << " extra write"
         << (c.max_extra_writes == 1 ? "" : "s") << " per reconcile";
    row("compaction", text.str());
  }
  row("watchers", thousands(o.watchers) + " (" + std::to_string(o.zones) + " zones)");
  row("objects", objects_measured(o.form));
  row("creates", thousands(r.creates));
  row("updates", thousands(r.updates));
  row("deletes", thousands(r.deletes));
  row("writes", thousands(r.writes));
  row("endpoints written", thousands(r.endpoints_written));
  row("final endpoints", thousands(r.final_endpoints));
  row("final slices", thousands(r.final_slices) + " (ideal " + thousands(r.ideal_slices) + ")");
  row("fullness", fixed(r.final_fullness, 3) + " final / " + fixed(r.mean_fullness, 3) + " mean / " +
                      fixed(r.min_fullness, 3) + " min");
  row("bytes written", thousands(r.bytes_written_json) + " JSON, " + thousands(r.bytes_written_protobuf) + " protobuf");
  row("watch events", thousands(r.watch_events));
  row("bytes delivered", thousands(r.bytes_delivered_json) + " JSON (" + human_bytes(static_cast<double>(r.bytes_delivered_json)) +
                             "), " + thousands(r.bytes_delivered_protobuf) + " protobuf (" +
                             human_bytes(static_cast<double>(r.bytes_delivered_protobuf)) + ")");
  row("largest object", thousands(r.max_object_json) + " JSON, " + thousands(r.max_object_protobuf) + " protobuf" +
                            (r.writes_over_etcd_limit ? ": " + thousands(r.writes_over_etcd_limit) +
                                                            " writes over etcd's 1.5 MiB limit"
                                                      : ""));
}

// ---- --compare ----------------------------------------------------------------------------------

struct variant {
  std::string name;
  epslice::simulation_layout layout;
  std::size_t max;
  epslice::reconcile_strategy strategy;
  bool truncate;
};

std::vector<variant> all_variants() {
  using epslice::reconcile_strategy;
  using epslice::simulation_layout;
  std::vector<variant> v = {
      {"endpoints (untruncated)", simulation_layout::endpoints, 100, reconcile_strategy::kubernetes, false},
      {"endpoints (truncated)", simulation_layout::endpoints, 100, reconcile_strategy::kubernetes, true}};
  for (std::size_t m : {std::size_t{1}, std::size_t{10}, std::size_t{100}, std::size_t{1000}})
    for (auto s : {reconcile_strategy::kubernetes, reconcile_strategy::minimal})
      v.push_back({"slices max " + std::to_string(m) + " " + std::string(epslice::to_string(s)), simulation_layout::slices, m, s,
                   false});
  for (auto s : {reconcile_strategy::kubernetes, reconcile_strategy::minimal})
    v.push_back({"by-zone max 100 " + std::string(epslice::to_string(s)), simulation_layout::by_zone, 100, s, false});
  return v;
}

std::string pad(std::string s, std::size_t w, bool right = true) {
  if (s.size() >= w) return s;
  return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

// One point of the bytes-per-change plot: bytes delivered by one single-endpoint replacement.
struct plot_series {
  std::string name;
  std::vector<std::pair<double, double>> points;
};

std::string svg_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

constexpr const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// A line chart with optional log axes, written as plain SVG.
std::string svg_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                      const std::vector<plot_series>& series, bool logx, bool logy, std::optional<double> ymin_fixed = {},
                      std::optional<double> ymax_fixed = {}) {
  const double W = 900, H = 560, L = 100, R = 250, T = 50, B = 70;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  const auto fx = [&](double v) { return logx ? std::log10(v) : v; };
  const auto fy = [&](double v) { return logy ? std::log10(v) : v; };
  for (const auto& s : series)
    for (const auto& [x, y] : s.points) {
      if ((logx && x <= 0) || (logy && y <= 0)) continue;
      x0 = std::min(x0, fx(x));
      x1 = std::max(x1, fx(x));
      y0 = std::min(y0, fy(y));
      y1 = std::max(y1, fy(y));
    }
  if (ymin_fixed) y0 = *ymin_fixed;
  if (ymax_fixed) y1 = *ymax_fixed;
  if (logx) {
    x0 = std::floor(x0);
    x1 = std::ceil(x1);
  }
  if (logy) {
    y0 = std::floor(y0);
    y1 = std::ceil(y1);
  }
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  const auto px = [&](double v) { return L + (fx(v) - x0) / (x1 - x0) * (W - L - R); };
  const auto py = [&](double v) { return H - B - (fy(v) - y0) / (y1 - y0) * (H - T - B); };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W
    << " " << H << "\" font-family=\"sans-serif\" font-size=\"13\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << W / 2 << "\" y=\"28\" text-anchor=\"middle\" font-size=\"17\">" << svg_escape(title) << "</text>\n";
  // Grid and ticks.
  const auto tick_label = [](double v, bool log) {
    if (!log) {
      std::string s = fixed(v, std::fabs(v) < 10 && v != std::floor(v) ? 2 : 0);
      return s;
    }
    static constexpr const char* sup[] = {"1", "10", "100", "1k", "10k", "100k", "1M", "10M", "100M", "1G", "10G", "100G", "1T", "10T", "100T"};
    const int e = static_cast<int>(std::lround(v));
    return e >= 0 && e < 15 ? std::string(sup[e]) : "1e" + std::to_string(e);
  };
  const int xt = logx ? static_cast<int>(x1 - x0) : 10, yt = logy ? static_cast<int>(y1 - y0) : 10;
  for (int i = 0; i <= xt; ++i) {
    const double v = x0 + (x1 - x0) * i / xt;
    const double X = L + (v - x0) / (x1 - x0) * (W - L - R);
    o << "<line x1=\"" << X << "\" y1=\"" << T << "\" x2=\"" << X << "\" y2=\"" << H - B << "\" stroke=\"#ddd\"/>\n"
      << "<text x=\"" << X << "\" y=\"" << H - B + 18 << "\" text-anchor=\"middle\">" << tick_label(v, logx) << "</text>\n";
  }
  for (int i = 0; i <= yt; ++i) {
    const double v = y0 + (y1 - y0) * i / yt;
    const double Y = H - B - (v - y0) / (y1 - y0) * (H - T - B);
    o << "<line x1=\"" << L << "\" y1=\"" << Y << "\" x2=\"" << W - R << "\" y2=\"" << Y << "\" stroke=\"#ddd\"/>\n"
      << "<text x=\"" << L - 8 << "\" y=\"" << Y + 4 << "\" text-anchor=\"end\">"
      << (logy ? tick_label(v, true) + "B" : tick_label(v, false)) << "</text>\n";
  }
  o << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << W - L - R << "\" height=\"" << H - T - B
    << "\" fill=\"none\" stroke=\"black\"/>\n"
    << "<text x=\"" << L + (W - L - R) / 2 << "\" y=\"" << H - 22 << "\" text-anchor=\"middle\">" << svg_escape(xlabel)
    << "</text>\n"
    << "<text transform=\"translate(22," << T + (H - T - B) / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << svg_escape(ylabel) << "</text>\n";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const char* color = palette[i % std::size(palette)];
    const char* dash = i >= std::size(palette) ? " stroke-dasharray=\"6,3\"" : "";
    o << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\"" << dash << " points=\"";
    for (const auto& [x, y] : series[i].points)
      if ((!logx || x > 0) && (!logy || y > 0)) o << px(x) << "," << py(y) << " ";
    o << "\"/>\n";
    if (series[i].points.size() <= 12)
      for (const auto& [x, y] : series[i].points)
        if ((!logx || x > 0) && (!logy || y > 0))
          o << "<circle cx=\"" << px(x) << "\" cy=\"" << py(y) << "\" r=\"3\" fill=\"" << color << "\"/>\n";
    const double ly = T + 10 + 20.0 * static_cast<double>(i);
    o << "<line x1=\"" << W - R + 12 << "\" y1=\"" << ly << "\" x2=\"" << W - R + 36 << "\" y2=\"" << ly << "\" stroke=\""
      << color << "\" stroke-width=\"2\"" << dash << "/>\n"
      << "<text x=\"" << W - R + 42 << "\" y=\"" << ly + 4 << "\">" << svg_escape(series[i].name) << "</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  return static_cast<bool>(f);
}

epslice::simulation_options with_variant(epslice::simulation_options o, const variant& v) {
  o.layout = v.layout;
  o.reconcile.max_endpoints_per_slice = v.max;
  o.reconcile.strategy = v.strategy;
  o.truncate = v.truncate;
  return o;
}

// The files --svg writes, checked before a long run rather than after it.
constexpr const char* svg_files[] = {"bytes-per-change.svg", "churn-slices.svg", "churn-fullness.svg"};

void check_svg_dir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw usage_error{"--svg " + dir + ": not a directory"};
  for (const char* file : svg_files) {
    const std::string path = dir + "/" + file;
    std::ofstream probe(path, std::ios::binary | std::ios::app);  // creates, never truncates
    if (!probe) throw usage_error{"--svg " + dir + ": cannot write " + path};
  }
}

int run_compare(const args& a, const epslice::simulation_options& base) {
  std::cout << "scenario " << scenario_name(base.scenario) << ", " << thousands(base.endpoints) << " endpoints in "
            << base.zones << " zones, " << thousands(base.watchers) << " watchers\n"
            << "objects " << objects_measured(base.form) << "\n\n";
  std::cout << pad("layout", 28, false) << pad("writes", 9) << pad("events", 13) << pad("JSON/change", 13)
            << pad("proto/change", 13) << pad("JSON total", 11) << pad("proto total", 12) << pad("slices", 8)
            << pad("fullness", 10) << pad("max object", 12) << pad("CPU s", 8) << "\n";
  for (const auto& v : all_variants()) {
    auto o = with_variant(base, v);
    o.clock = cpu_seconds;
    o.progress = progress_bar{v.name};
    const auto r = epslice::simulate(o);
    const double changes = std::max<double>(1.0, static_cast<double>(r.endpoint_changes));
    std::cout << pad(v.name, 28, false) << pad(thousands(r.writes), 9) << pad(thousands(r.watch_events), 13)
              << pad(human_bytes(static_cast<double>(r.bytes_delivered_json) / changes), 13)
              << pad(human_bytes(static_cast<double>(r.bytes_delivered_protobuf) / changes), 13)
              << pad(human_bytes(static_cast<double>(r.bytes_delivered_json)), 11)
              << pad(human_bytes(static_cast<double>(r.bytes_delivered_protobuf)), 12) << pad(thousands(r.final_slices), 8)
              << pad(fixed(r.final_fullness, 3), 10)
              << pad(human_bytes(static_cast<double>(r.max_object_json)) + (r.writes_over_etcd_limit ? "*" : ""), 12)
              << pad(fixed(r.planning_seconds, 2), 8) << "\n"
              << std::flush;
  }
  std::cout << "\nper change: bytes delivered to all watchers per endpoint added or removed; max object: largest\n"
               "object written (JSON; * = its protobuf form passes etcd's 1.5 MiB request limit); CPU s: planning.\n";
  const auto svg = a.value("svg");
  if (!svg) return exit_ok;

  // Plot 1: bytes delivered by one single-endpoint replacement, against service size.
  std::vector<plot_series> per_change;
  const std::vector<std::size_t> sizes = {10, 30, 100, 300, 1000, 3000, 10000, 30000};
  for (const auto& v : all_variants()) {
    if (v.strategy == epslice::reconcile_strategy::minimal) continue;  // same as kubernetes for one change
    plot_series s{v.name, {}};
    if (s.name.size() > 11 && s.name.compare(s.name.size() - 11, 11, " kubernetes") == 0) s.name.resize(s.name.size() - 11);
    for (std::size_t n : sizes) {
      auto o = with_variant(base, v);
      o.scenario = epslice::scenario_kind::rolling_update;
      o.endpoints = n;
      o.batch = 1;
      o.steps = 1;
      const auto r = epslice::simulate(o);
      s.points.emplace_back(static_cast<double>(n), static_cast<double>(r.bytes_delivered_protobuf));
    }
    per_change.push_back(std::move(s));
  }
  const std::string p1 = *svg + "/" + svg_files[0];
  if (!write_file(p1, svg_chart("Bytes delivered for one endpoint replaced (protobuf, " + thousands(base.watchers) +
                                    " watchers)",
                                "endpoints in the Service", "bytes delivered to all watchers", per_change, true, true))) {
    std::cerr << "epslice simulate: " << p1 << ": cannot write\n";
    return exit_usage;
  }
  // Plots 2 and 3: slice count and fullness step by step, both strategies (slices, max 100), over
  // the churn run and over a scale-down to a tenth (50 random endpoints removed per step).
  std::vector<plot_series> counts, fullness;
  for (auto kind : {epslice::scenario_kind::churn, epslice::scenario_kind::scale_down})
  for (auto strategy : {epslice::reconcile_strategy::kubernetes, epslice::reconcile_strategy::minimal}) {
    auto o = base;
    o.scenario = kind;
    if (kind == epslice::scenario_kind::scale_down) {
      o.batch = std::max<std::size_t>(1, base.endpoints / 100);
      o.steps.reset();
    }
    o.layout = epslice::simulation_layout::slices;
    o.reconcile.max_endpoints_per_slice = 100;
    o.reconcile.strategy = strategy;
    o.record_steps = true;
    o.measure_bytes = false;
    const auto r = epslice::simulate(o);
    const std::string name = std::string(scenario_name(kind)) + ", " + std::string(epslice::to_string(strategy));
    plot_series c{name, {}};
    plot_series f{name, {}};
    for (std::size_t i = 0; i < r.trace.size(); ++i) {
      c.points.emplace_back(static_cast<double>(i + 1), static_cast<double>(r.trace[i].slices));
      f.points.emplace_back(static_cast<double>(i + 1), r.trace[i].fullness);
    }
    counts.push_back(std::move(c));
    fullness.push_back(std::move(f));
  }
  const std::string p2 = *svg + "/" + svg_files[1], p3 = *svg + "/" + svg_files[2];
  const std::string runs = thousands(base.endpoints) + " endpoints: churn " + json_double(base.churn_percent) +
                           "% per step; scale-down to a tenth (max 100 per slice)";
  if (!write_file(p2, svg_chart("Slices, " + runs, "step", "slices", counts, false, false, 0.0)) ||
      !write_file(p3, svg_chart("Fullness, " + runs, "step", "fullness", fullness, false, false, 0.0, 1.0))) {
    std::cerr << "epslice simulate: " << *svg << ": cannot write\n";
    return exit_usage;
  }
  std::cout << "wrote " << p1 << ", " << p2 << ", " << p3 << "\n";
  return exit_ok;
}

// ---- --published ----------------------------------------------------------------------------------

struct published_row {
  std::string label;
  std::string published;  // the figure as published
  epslice::simulation_result ours;
  double scale = 1;  // rolling updates measured over fewer steps are scaled to all of them
};

int run_published(epslice::measured_form form) {
  using epslice::scenario_kind;
  using epslice::simulation_layout;
  const auto run = [form](scenario_kind k, std::size_t n, std::size_t watchers, simulation_layout layout, std::size_t max,
                          std::optional<std::size_t> steps) {
    epslice::simulation_options o;
    o.form = form;
    o.scenario = k;
    o.endpoints = n;
    o.batch = 1;
    o.steps = steps;
    o.watchers = watchers;
    o.layout = layout;
    o.reconcile.max_endpoints_per_slice = max;
    o.reconcile.trigger_time = "2024-01-01T00:00:00Z";
    o.progress = progress_bar{"published figures"};
    return epslice::simulate(o);
  };
  struct layout_col {
    std::string name;
    simulation_layout layout;
    std::size_t max;
  };
  const std::vector<layout_col> cols = {{"Endpoints", simulation_layout::endpoints, 100},
                                        {"100 per slice", simulation_layout::slices, 100},
                                        {"1 per slice", simulation_layout::slices, 1}};
  const auto header = [] {
    std::cout << pad("", 44, false) << pad("writes", 9) << pad("events", 14) << pad("object JSON", 13)
              << pad("total JSON", 12) << pad("total proto", 13) << "   published\n";
  };
  const auto line = [](const std::string& label, const epslice::simulation_result& r, double scale,
                       const std::string& published) {
    const double writes = static_cast<double>(r.writes) * scale;
    const double object = r.writes ? static_cast<double>(r.bytes_written_json) / static_cast<double>(r.writes) : 0.0;
    std::cout << pad(label, 44, false) << pad(thousands(static_cast<std::uint64_t>(std::llround(writes))), 9)
              << pad(thousands(static_cast<std::uint64_t>(std::llround(static_cast<double>(r.watch_events) * scale))), 14)
              << pad(human_bytes(object), 13) << pad(human_bytes(static_cast<double>(r.bytes_delivered_json) * scale), 12)
              << pad(human_bytes(static_cast<double>(r.bytes_delivered_protobuf) * scale), 13) << "   " << published << "\n";
  };
  // KEP-0752 sample cases.
  struct kep_case {
    std::string title;
    std::size_t pods, nodes;
    std::vector<std::string> create, single, rolling;  // published figures per column
  };
  const std::vector<kep_case> cases = {
      {"KEP-0752 sample case 1: 20,000 endpoints, 5,000 nodes", 20000, 5000,
       {"1 write, 5,000 events, ~2.0 MB x 5000 = 10 GB", "200 writes, 1,000,000 events, 10 KB x 5000 x 200 = 10 GB",
        "20,000 writes, 100,000,000 events, ~10 GB"},
       {"1 write, 5,000 events, ~2.0 MB x 5000 = 10 GB", "1 write, 5,000 events, ~10 KB x 5000 = 50 MB",
        "1 write, 5,000 events, ~1 KB x 5000 = ~5 MB"},
       {"20k writes, 5000 x 20k events, 2.0 MB x 5000 x 20k = 200 TB", "20k writes, 5000 x 20k events, 10 KB x 5000 x 20k = 1 TB",
        "20k writes, 5000 x 20k events, ~1 KB x 5000 x 20k = ~100 GB"}},
      {"KEP-0752 sample case 2: 20 endpoints, 10 nodes", 20, 10,
       {"1 write, 10 events, ~1 KB x 10 = 10 KB", "1 write, 10 events, ~1 KB x 10 = 10 KB",
        "20 writes, 200 events, ~1 KB x 200 = 200 KB"},
       {"1 write, 1 event, ~1 KB x 10 = 10 KB", "1 write, 1 event, ~1 KB x 10 = 10 KB", "1 write, 1 event, ~1 KB x 10 = 10 KB"},
       {"20 writes, 10 x 20 events, ~1 KB x 10 x 20 = 200 KB", "20 writes, 10 x 20 events, ~1 KB x 10 x 20 = 200 KB",
        "20 writes, 10 x 20 events, ~1 KB x 10 x 20 = 200 KB"}},
  };
  // Rolling updates of large services through slices are measured over their first steps and
  // scaled (every step writes the same kind of slice; the Endpoints column is run in full).
  const std::size_t sampled_steps = 200;
  for (const auto& c : cases) {
    std::cout << c.title << "\n";
    header();
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const auto& col = cols[i];
      line("  creation, " + col.name, run(scenario_kind::create, c.pods, c.nodes, col.layout, col.max, {}), 1, c.create[i]);
    }
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const auto& col = cols[i];
      line("  one endpoint update, " + col.name, run(scenario_kind::rolling_update, c.pods, c.nodes, col.layout, col.max, 1),
           1, c.single[i]);
    }
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const auto& col = cols[i];
      const bool sample = col.layout != simulation_layout::endpoints && c.pods > sampled_steps;
      const auto r = run(scenario_kind::rolling_update, c.pods, c.nodes, col.layout, col.max,
                         sample ? std::optional<std::size_t>(sampled_steps) : std::nullopt);
      line("  rolling update, " + col.name + (sample ? " (*)" : ""), r,
           sample ? static_cast<double>(c.pods) / static_cast<double>(r.reconciles) : 1.0, c.rolling[i]);
    }
    std::cout << "\n";
  }
  std::cout << "2020 blog \"Scaling Kubernetes Networking With EndpointSlices\": 5,000 pods, 3,000 nodes\n";
  header();
  const auto one = run(scenario_kind::rolling_update, 5000, 3000, simulation_layout::endpoints, 100, 1);
  line("  one update, Endpoints", one, 1, "1.5 MB x 3,000 nodes = 4.5 GB per update");
  const auto all = run(scenario_kind::rolling_update, 5000, 3000, simulation_layout::endpoints, 100, {});
  line("  rolling update, Endpoints", all, 1, "more than 22 TB");
  const auto slices_all = run(scenario_kind::rolling_update, 5000, 3000, simulation_layout::slices, 100, sampled_steps);
  line("  rolling update, 100 per slice (*)", slices_all, 5000.0 / static_cast<double>(slices_all.reconciles),
       "(not published)");
  std::cout << "\nours: the scenario world of docs/scenarios.md (pod IPs 10.x.y.z, node names, zones, targetRefs), objects\n"
            << (form == epslice::measured_form::bare
                    ? "as the controllers write them (a created slice with its name)"
                    : "as the API server stores and sends them (with uid, resourceVersion, generation,\n"
                      "creationTimestamp and managedFields)")
            << "; totals are bytes delivered to all watchers as watch events, JSON and\n"
               "protobuf. (*) measured over the first "
            << sampled_steps << " steps and scaled to all of them.\n";
  return exit_ok;
}

}  // namespace

int cmd_simulate(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << simulate_help << compaction_help("", 18) << simulate_help_tail;
    return exit_ok;
  }
  const args a(argv, value_options, flag_options);
  if (!a.positionals().empty()) throw usage_error{"unexpected argument " + a.positionals().front()};
  if (a.flag("published")) return run_published(a.flag("bare-objects") ? epslice::measured_form::bare : epslice::measured_form::stored);
  auto o = parse_options(a);
  const std::string format = a.value("format").value_or("table");
  if (format != "table" && format != "json") throw usage_error{"--format: unknown format " + format};
  if (a.value("svg") && !a.flag("compare")) throw usage_error{"--svg needs --compare"};
  if (const auto svg = a.value("svg")) check_svg_dir(*svg);
  if (a.flag("compare")) return run_compare(a, o);
  o.record_steps = a.flag("trace");
  o.progress = progress_bar{"simulate"};
  const auto r = epslice::simulate(o);
  if (format == "json") print_json(o, r, a.flag("trace"));
  else print_table(o, r);
  return exit_ok;
}

const registrar simulate_command{"simulate", cmd_simulate, "churn scenarios: writes, watch events and bytes per layout", 90};

}  // namespace cli
