// SPDX-License-Identifier: Apache-2.0
// epslice hints: topology-aware or trafficDistribution hints on the slices of one Service.
#include "cli.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cli {

namespace {

bool known_mode(std::string_view m) {
  return m == "auto" || m == epslice::traffic_distribution::prefer_close ||
         m == epslice::traffic_distribution::prefer_same_zone ||
         m == epslice::traffic_distribution::prefer_same_node;
}

// Why a Service's slices get no hints, for the notice.
std::string why_no_hints(const epslice::service& svc) {
  return svc.traffic_distribution
             ? "the Service's trafficDistribution \"" + *svc.traffic_distribution + "\" is not known"
             : "the Service enables neither topology-aware hints nor a trafficDistribution";
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The slices of one typed family, with their positions in the input.
template <class F>
struct family_slices {
  std::vector<std::size_t> positions;
  std::vector<epslice::basic_endpoint_slice<F>> slices;
};

// Hints for one family (epslice::hint_slices: every slice about to be written, walked in input
// order); the results go back to their input positions, what was decided to standard error.
template <class F>
void hint_family(family_slices<F>& fam, const epslice::hints_decision& decision, const epslice::zone_capacity& capacity,
                 std::vector<epslice::any_endpoint_slice>& all) {
  if (fam.slices.empty()) return;
  auto r = epslice::hint_slices(std::move(fam.slices), decision, capacity.ratios);
  if (decision.action == epslice::hints_action::topology_aware_hints) {
    if (r.unavailable) {
      std::cerr << "Warning " << epslice::topology_messages::reason_disabled << ": " << r.unavailable->message
                << "\n";
      if (r.unavailable->problem == epslice::hints_problem::insufficient_node_info) {
        switch (capacity.problem) {
          case epslice::capacity_problem::node_missing_zone_or_cpu:
            std::cerr << "node " << capacity.offending_node
                      << " is Ready but has no zone label or no allocatable CPU\n";
            break;
          case epslice::capacity_problem::no_cpu:
            std::cerr << "no Ready node outside the control plane has allocatable CPU\n";
            break;
          case epslice::capacity_problem::fewer_than_two_zones:
            std::cerr << "the Ready nodes outside the control plane are in fewer than 2 zones\n";
            break;
          case epslice::capacity_problem::cpu_overflow:
            std::cerr << "the allocatable CPU of the Ready nodes adds up to more than 2^63-1 millicores (at node "
                      << capacity.offending_node << ")\n";
            break;
          case epslice::capacity_problem::none:
            break;
        }
      }
    } else if (r.hinted_by_zone) {
      epslice::zone_counts zones = *r.hinted_by_zone;
      for (const auto& [zone, a] : r.allocations) zones.emplace(zone, 0);
      for (const auto& [zone, hinted] : zones) {
        const auto a = r.allocations.find(zone);
        const bool has = a != r.allocations.end();
        const double ratio = has ? capacity.ratios->at(zone) : 0.0;
        std::cerr << "zone " << zone << " (" << F::name << "): cpu ratio " << fixed(ratio, 4) << ", desired "
                  << fixed(has ? a->second.desired : 0.0, 2) << ", minimum " << (has ? a->second.minimum : 0)
                  << ", maximum " << (has ? a->second.maximum : 0) << ", hinted " << hinted << "\n";
      }
    }
  }
  for (std::size_t i = 0; i < fam.positions.size(); ++i) all[fam.positions[i]] = std::move(r.slices[i]);
}

}  // namespace

int cmd_hints(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout
        << "usage: epslice hints --nodes FILE... --slices FILE... [--service FILE...]\n"
           "                     [--mode auto|PreferClose|PreferSameZone|PreferSameNode] [--compact]\n\n"
           "Sets hints on the EndpointSlices of one Service, taken as its complete current state and all\n"
           "about to be written (walked in input order), and prints them as a List.\n"
           "  auto            topology-aware hints: each zone's share of the Ready nodes' allocatable CPU\n"
           "                  (control-plane nodes excluded), at most 20% overload, as "
           "kube-controller-manager\n"
           "                  assigns them. One line per zone and address type on standard error:\n"
           "                    zone <zone> (<addressType>): cpu ratio R, desired D, minimum MIN, maximum "
           "MAX, hinted H\n"
           "                  When hints cannot be used, the slices get none and standard error carries\n"
           "                  the controller's reason (e.g. `Insufficient number of endpoints ...`).\n"
           "  PreferClose, PreferSameZone\n"
           "                  every ready endpoint is hinted for its own zone;\n"
           "  PreferSameNode  and for its own node as well.\n"
           "Without --mode: the Service's topology annotation when it enables hints (Auto/auto), else its\n"
           "trafficDistribution, else no hints at all; without --service either: auto.\n"
           "Exit 0: hints computed (also when they cannot be used); 1: invalid input objects;\n"
           "2: usage errors, unreadable input, or not JSON or YAML. Inputs are JSON or YAML; each input\n"
           "option may be repeated, its inputs read in order.\n";
    return exit_ok;
  }
  const args a(argv, {"mode"}, {"compact"}, {"nodes", "slices", "service"});
  if (!a.positionals().empty()) throw usage_error{"unexpected argument " + a.positionals().front()};
  const auto node_files = a.values("nodes");
  const auto slice_files = a.values("slices");
  const auto service_files = a.values("service");
  if (node_files.empty()) throw usage_error{"missing --nodes FILE"};
  if (slice_files.empty()) throw usage_error{"missing --slices FILE"};
  const auto mode = a.value("mode");
  if (mode && !known_mode(*mode))
    throw usage_error{"unknown --mode " + *mode + " (auto, PreferClose, PreferSameZone or PreferSameNode)"};
  std::vector<std::string> all_files = node_files;
  all_files.insert(all_files.end(), slice_files.begin(), slice_files.end());
  all_files.insert(all_files.end(), service_files.begin(), service_files.end());
  check_stdin_once(all_files);

  int code = exit_ok;
  const auto node_inputs = load_all(node_files, code);
  const auto slice_inputs = load_all(slice_files, code);
  const auto service_inputs = load_all(service_files, code);
  if (code != exit_ok) return code;

  // Nodes.
  std::vector<epslice::node> nodes;
  for (const auto& f : node_inputs)
    for (const auto& o : f.doc.objects()) {
      const auto* raw = o.value.get_if<epslice::raw_object>();
      if (!raw || raw->kind != "Node") {
        std::cerr << f.name << ": " << describe(o) << ": not a Node\n";
        code = exit_invalid;
        continue;
      }
      try {
        nodes.push_back(epslice::decode_node(*raw));
      } catch (const epslice::error& e) {
        std::cerr << f.name << ": " << describe(o) << ": " << e.what() << "\n";
        code = exit_invalid;
      }
    }

  // Slices: valid EndpointSlices of one Service.
  std::vector<epslice::any_endpoint_slice> slices;
  std::optional<std::string> owner;
  for (const auto& f : slice_inputs)
    for (const auto& o : f.doc.objects()) {
      const auto* s = o.value.get_if<epslice::any_endpoint_slice>();
      if (!s) {
        std::cerr << f.name << ": " << describe(o) << ": not an EndpointSlice\n";
        code = exit_invalid;
        continue;
      }
      bool ok = report_errors(f.name, o, epslice::validate(*s));
      // The Service of the slice; slices without the label are one group per namespace.
      const auto& meta = epslice::metadata_of(*s);
      const std::string key = epslice::service_of(meta).value_or(epslice::service_name{meta.namespace_, ""}).to_string();
      if (!owner) owner = key;
      if (*owner != key) {
        std::cerr << f.name << ": " << describe(o) << ": belongs to Service " << key << ", not to " << *owner
                  << " as the slices before it\n";
        ok = false;
      }
      if (!ok) {
        code = exit_invalid;
        continue;
      }
      slices.push_back(*s);
    }

  // Service: one object in all of --service.
  std::optional<epslice::service> svc;
  if (!service_inputs.empty()) {
    std::vector<std::pair<const loaded_file*, const epslice::decoded_object*>> objs;
    for (const auto& f : service_inputs)
      for (const auto& o : f.doc.objects()) objs.emplace_back(&f, &o);
    if (objs.size() != 1) {
      std::cerr << service_inputs.front().name << (service_inputs.size() > 1 ? " and the other --service inputs" : "")
                << ": expected one Service, found " << objs.size() << " objects\n";
      code = exit_invalid;
    } else if (const auto* raw = objs[0].second->value.get_if<epslice::raw_object>();
               !raw || raw->kind != "Service") {
      std::cerr << objs[0].first->name << ": " << describe(*objs[0].second) << ": not a Service\n";
      code = exit_invalid;
    } else {
      try {
        svc = epslice::decode_service(*raw);
        const std::string key = epslice::service_name{svc->metadata.namespace_, svc->metadata.name}.to_string();
        if (owner && *owner != key) {
          std::cerr << objs[0].first->name << ": " << describe(*objs[0].second) << ": the slices belong to Service "
                    << *owner << "\n";
          code = exit_invalid;
        }
      } catch (const epslice::error& e) {
        std::cerr << objs[0].first->name << ": " << describe(*objs[0].second) << ": " << e.what() << "\n";
        code = exit_invalid;
      }
    }
  }
  if (code != exit_ok) return code;

  // --mode, else upstream's precedence on the Service (epslice::decide_hints, with a topology
  // cache and PreferSameZone / PreferSameNode honoured), else topology-aware hints.
  epslice::hints_decision decision = epslice::topology_hints_decision();
  if (mode && *mode != "auto") {
    decision = epslice::traffic_distribution_decision(*mode);
  } else if (!mode && svc) {
    decision = epslice::decide_hints(*svc, epslice::hints_policy{true, true});
    if (decision.action == epslice::hints_action::remove_hints) std::cerr << "no hints: " << why_no_hints(*svc) << "\n";
  }

  const auto capacity = epslice::compute_zone_capacity(nodes);
  family_slices<epslice::ipv4> v4;
  family_slices<epslice::ipv6> v6;
  family_slices<epslice::fqdn> names;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    std::visit(
        [&](auto& s) {
          using F = typename std::decay_t<decltype(s)>::family_type;
          if constexpr (std::is_same_v<F, epslice::ipv4>) {
            v4.positions.push_back(i);
            v4.slices.push_back(std::move(s));
          } else if constexpr (std::is_same_v<F, epslice::ipv6>) {
            v6.positions.push_back(i);
            v6.slices.push_back(std::move(s));
          } else if constexpr (std::is_same_v<F, epslice::fqdn>) {
            names.positions.push_back(i);
            names.slices.push_back(std::move(s));
          } else {
            std::cerr << "EndpointSlice " << s.metadata.namespace_ << "/" << s.metadata.display_name()
                      << ": not hinted (addressType " << epslice::address_type_name(s) << ")\n";
          }
        },
        slices[i]);
  }
  hint_family(v4, decision, capacity, slices);
  hint_family(v6, decision, capacity, slices);
  hint_family(names, decision, capacity, slices);
  print_json_value(epslice::encode_list(slices), a.flag("compact"));
  return exit_ok;
}

namespace {
const registrar hints_command{"hints", cmd_hints, "set topology-aware or trafficDistribution hints on slices",
                              60};
}  // namespace

}  // namespace cli
