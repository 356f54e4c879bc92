// SPDX-License-Identifier: Apache-2.0
// epslice eds: merged endpoints of every service port as Envoy v3 ClusterLoadAssignments.
#include "cli.hpp"
#include "proxy_input.hpp"

#include <epslice/envoy.hpp>
#include <epslice/merge.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <variant>
#include <vector>

namespace cli {

namespace {

template <class F>
std::string eds_json(const std::vector<input_slice>& slices) {
  notice_unused_slices<F>(slices);
  epslice::endpoint_cache<F> cache;
  for (const auto& s : slices) (void)cache.update(s.slice);
  return epslice::cluster_load_assignments_json<F>(cache);
}

// --follow: one ClusterLoadAssignment line per service port whose endpoints changed (with no
// endpoints when it has none left).
template <class F>
int eds_follow(const std::string& input) {
  return follow_stream<F>(input, [](const epslice::endpoint_cache<F>& cache, const epslice::service_port_name& name) {
    const auto endpoints = cache.endpoints(name);
    std::cout << epslice::cluster_load_assignment_json<F>(name, endpoints) << '\n';
  });
}

}  // namespace

int cmd_eds(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout
        << "usage: epslice eds --slices FILE... [--family IPv4|IPv6] [--compact | --follow]\n\n"
           "Merges the EndpointSlices as kube-proxy does (one address family, addresses[0] only, one copy\n"
           "of each ip:port) and prints a JSON array of Envoy v3 ClusterLoadAssignments, one per service\n"
           "port, sorted by namespace, service, port name and protocol:\n"
           "  cluster_name   <namespace>/<service>:<port name>\n"
           "  endpoints      one entry per zone (locality {} for endpoints without a zone), sorted by\n"
           "                 zone; lb_endpoints sorted by ip:port\n"
           "  health_status  HEALTHY when ready, DRAINING when serving and terminating, else UNHEALTHY\n"
           "UDP ports carry \"protocol\":\"UDP\" in socket_address. Field names follow the proto3 JSON\n"
           "mapping with original names, as Envoy reads them.\n"
           "  --slices   EndpointSlices, JSON or YAML; repeat it for several inputs\n"
           "  --family   address family of the slices used; by default IPv4 when the input has IPv4\n"
           "             slices, else IPv6 (a notice names the families when there are several; FQDN\n"
           "             slices alone give no endpoints)\n"
           "  --compact  one line instead of kubectl's 4-space indentation\n"
           "  --follow   read one --slices input (e.g. `-`) as a watch stream while it arrives (YAML is\n"
           "             read whole), e.g. kubectl get endpointslices -A --watch -o json\n"
           "             --output-watch-events | epslice eds --follow --slices -; after each batch of\n"
           "             events, print one compact line per\n"
           "             service port whose endpoints changed: its ClusterLoadAssignment, with\n"
           "             \"endpoints\":[] when it has none left. The family is --family, else IPv4.\n"
           "A slice of the family without the kubernetes.io/service-name label is not used (a notice says so).\n"
           "Exit 0: printed; 1: invalid input objects (messages as `epslice validate`); 2: usage errors,\n"
           "unreadable input, or not JSON or YAML.\n";
    return exit_ok;
  }
  const args a(argv, {"family"}, {"compact", "follow"}, {"slices"});
  if (!a.positionals().empty()) throw usage_error{"unexpected argument " + a.positionals().front()};
  const auto slice_files = a.values("slices");
  if (slice_files.empty()) throw usage_error{"missing --slices FILE"};
  check_stdin_once(slice_files);
  check_family_option(a);

  if (a.flag("follow")) {
    const std::string& input = follow_input(a, slice_files);
    return follow_family(a) == slice_family::ipv6 ? eds_follow<epslice::ipv6>(input) : eds_follow<epslice::ipv4>(input);
  }
  std::vector<input_slice> slices;
  const int code = load_valid_slices(slice_files, "--slices", slices);
  if (code != exit_ok) return code;
  std::string out = "[]";
  switch (choose_family(a, slices, "eds")) {
    case slice_family::ipv4: out = eds_json<epslice::ipv4>(slices); break;
    case slice_family::ipv6: out = eds_json<epslice::ipv6>(slices); break;
    case slice_family::fqdn: break;  // Envoy's EDS takes IP addresses, as kube-proxy does
  }
  print_json_value(out, a.flag("compact"));
  return exit_ok;
}

namespace {
const registrar eds_command{"eds", cmd_eds, "merged endpoints as Envoy v3 ClusterLoadAssignments (JSON)", 80};
}  // namespace

}  // namespace cli
