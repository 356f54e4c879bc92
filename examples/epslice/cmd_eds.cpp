// SPDX-License-Identifier: Apache-2.0
// epslice eds: merged endpoints of every service port as Envoy v3 ClusterLoadAssignments.
#include "cli.hpp"

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
std::string eds_json(const std::vector<epslice::any_endpoint_slice>& slices) {
  epslice::endpoint_cache<F> cache;
  for (const auto& s : slices) (void)cache.update(s);
  return epslice::cluster_load_assignments_json<F>(cache);
}

}  // namespace

int cmd_eds(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout
        << "usage: epslice eds --slices FILE [--family IPv4|IPv6] [--compact]\n\n"
           "Merges the EndpointSlices as kube-proxy does (one address family, addresses[0] only, one copy\n"
           "of each ip:port) and prints a JSON array of Envoy v3 ClusterLoadAssignments, one per service\n"
           "port, sorted by namespace, service, port name and protocol:\n"
           "  cluster_name   <namespace>/<service>:<port name>\n"
           "  endpoints      one entry per zone (locality {} for endpoints without a zone), sorted by\n"
           "                 zone; lb_endpoints sorted by ip:port\n"
           "  health_status  HEALTHY when ready, DRAINING when serving and terminating, else UNHEALTHY\n"
           "UDP ports carry \"protocol\":\"UDP\" in socket_address. Field names follow the proto3 JSON\n"
           "mapping with original names, as Envoy reads them.\n"
           "  --family   address family of the slices used (default IPv4)\n"
           "  --compact  one line instead of kubectl's 4-space indentation\n"
           "Exit 0: printed; 1: invalid input objects (messages as `epslice validate`); 2: usage errors,\n"
           "unreadable input or not JSON.\n";
    return exit_ok;
  }
  const args a(argv, {"slices", "family"}, {"compact"});
  if (!a.positionals().empty()) throw usage_error{"unexpected argument " + a.positionals().front()};
  const auto slices_file = a.value("slices");
  if (!slices_file) throw usage_error{"missing --slices FILE"};
  const std::string family = a.value("family").value_or("IPv4");
  if (family != "IPv4" && family != "IPv6") throw usage_error{"unknown --family " + family + " (IPv4 or IPv6)"};

  std::vector<epslice::any_endpoint_slice> slices;
  const int code = load_valid_slices(*slices_file, slices);
  if (code != exit_ok) return code;
  const std::string out = family == "IPv4" ? eds_json<epslice::ipv4>(slices) : eds_json<epslice::ipv6>(slices);
  std::cout << (a.flag("compact") ? out : indent_json(out)) << "\n";
  return exit_ok;
}

namespace {
const registrar eds_command{"eds", cmd_eds, "merged endpoints as Envoy v3 ClusterLoadAssignments (JSON)", 80};
}  // namespace

}  // namespace cli
