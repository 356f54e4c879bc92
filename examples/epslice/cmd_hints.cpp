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

// What the slices get: topology-aware hints, a trafficDistribution value, or no hints.
struct hints_choice {
  bool topology = false;
  std::optional<std::string> traffic_distribution;  // when !topology; nullopt: remove hints
  std::string why;                                  // how the choice was made, for the notice
};

bool known_mode(std::string_view m) {
  return m == "auto" || m == epslice::traffic_distribution::prefer_close ||
         m == epslice::traffic_distribution::prefer_same_zone ||
         m == epslice::traffic_distribution::prefer_same_node;
}

// Upstream's precedence (epslice::decide_hints) with a topology cache and PreferSameZone /
// PreferSameNode honoured.
hints_choice choice_for_service(const epslice::service& svc) {
  const auto d = epslice::decide_hints(svc, epslice::hints_policy{true, true});
  hints_choice c;
  switch (d.action) {
    case epslice::hints_action::topology_aware_hints:
      c.topology = true;
      break;
    case epslice::hints_action::traffic_distribution:
      c.traffic_distribution = svc.traffic_distribution;
      break;
    case epslice::hints_action::remove_hints:
      c.why = svc.traffic_distribution
                  ? "the Service's trafficDistribution \"" + *svc.traffic_distribution + "\" is not known"
                  : "the Service enables neither topology-aware hints nor a trafficDistribution";
      break;
  }
  return c;
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

// Hints for one family; the results go back to their input positions.
template <class F>
void hint_family(family_slices<F>& fam, const hints_choice& choice, const epslice::zone_capacity& capacity,
                 std::vector<epslice::any_endpoint_slice>& all) {
  if (fam.slices.empty()) return;
  // Every slice is about to be written: walk order is input order. The set is {creates, updates,
  // unchanged}, built and read by position.
  epslice::slice_set<F> set{{}, std::move(fam.slices), {}};
  if (choice.topology) {
    auto r = epslice::add_hints(std::move(set), capacity.ratios, true);
    set = std::move(r.slices);
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
    } else {
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
  } else if (choice.traffic_distribution) {
    set = epslice::apply_traffic_distribution(std::move(set), std::string_view(*choice.traffic_distribution))
              .slices;
  } else {
    set = epslice::remove_hints(std::move(set)).slices;
  }
  auto& [creates, updates, unchanged] = set;
  for (std::size_t i = 0; i < fam.positions.size(); ++i) all[fam.positions[i]] = std::move(updates[i]);
}

// `<namespace>/<service-name label>` of a slice ("" for the name when the label is absent).
std::string owner_key(const epslice::object_meta& m) {
  auto it = m.labels.find(epslice::well_known::service_name_label);
  return m.namespace_ + "/" + (it == m.labels.end() ? std::string() : it->second);
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
      const std::string key = owner_key(epslice::metadata_of(*s));
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
        const std::string key = svc->metadata.namespace_ + "/" + svc->metadata.name;
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

  hints_choice choice;
  if (mode) {
    choice.topology = *mode == "auto";
    if (!choice.topology) choice.traffic_distribution = *mode;
  } else if (svc) {
    choice = choice_for_service(*svc);
  } else {
    choice.topology = true;
  }
  if (!choice.topology && !choice.traffic_distribution) std::cerr << "no hints: " << choice.why << "\n";

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
  hint_family(v4, choice, capacity, slices);
  hint_family(v6, choice, capacity, slices);
  hint_family(names, choice, capacity, slices);

  std::vector<std::string> items;
  items.reserve(slices.size());
  for (const auto& s : slices) items.push_back(epslice::encode(s));
  const std::string out = list_json(items);
  print_json_value(out, a.flag("compact"));
  return exit_ok;
}

namespace {
const registrar hints_command{"hints", cmd_hints, "set topology-aware or trafficDistribution hints on slices",
                              60};
}  // namespace

}  // namespace cli
