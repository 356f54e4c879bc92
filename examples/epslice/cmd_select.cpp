// SPDX-License-Identifier: Apache-2.0
// epslice select: the endpoints one node uses for every service port, as kube-proxy picks them.
#include "cli.hpp"

#include <epslice/merge.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cli {

namespace {

// `Cluster` -> false, `Local` -> true; anything else is a usage error.
bool local_policy(const args& a, const std::string& option) {
  const auto v = a.value(option);
  if (!v || *v == "Cluster") return false;
  if (*v == "Local") return true;
  throw usage_error{"unknown --" + option + " " + *v + " (Cluster or Local)"};
}

// A JSON array of the endpoints' `ip:port` keys, sorted byte-wise.
template <class F>
void append_keys(std::string& out, const std::vector<epslice::endpoint_info<F>>* endpoints) {
  std::vector<std::string> keys;
  if (endpoints) {
    keys.reserve(endpoints->size());
    for (const auto& e : *endpoints) keys.push_back(e.key());
  }
  std::sort(keys.begin(), keys.end());
  out += '[';
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ',';
    epslice::detail::write_json_string(out, keys[i]);
  }
  out += ']';
}

template <class F>
std::string select_json(const std::vector<epslice::any_endpoint_slice>& slices, const std::string& node,
                        const std::string& zone, const epslice::traffic_policy& policy) {
  epslice::endpoint_cache<F> cache;
  for (const auto& s : slices) (void)cache.update(s);
  std::string out = "{";
  bool first = true;
  for (const auto& name : cache.service_ports()) {
    const auto sel = cache.select(name, node, zone, policy);
    if (!first) out += ',';
    first = false;
    epslice::detail::write_json_string(out, name.to_string());
    out += ":{\"cluster\":";
    append_keys<F>(out, sel.cluster ? &*sel.cluster : nullptr);
    out += ",\"local\":";
    append_keys<F>(out, sel.local ? &*sel.local : nullptr);
    out += ",\"all\":";
    append_keys<F>(out, &sel.all);
    out += '}';
  }
  out += '}';
  return out;
}

}  // namespace

int cmd_select(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout
        << "usage: epslice select --slices FILE --node NAME [--zone ZONE] [--family IPv4|IPv6]\n"
           "                      [--internal-traffic-policy Cluster|Local]\n"
           "                      [--external-traffic-policy Cluster|Local] [--externally-accessible]\n"
           "                      [--compact]\n\n"
           "Merges the EndpointSlices as kube-proxy does (one address family, addresses[0] only, one copy\n"
           "of each ip:port) and prints, per service port, the endpoints the node uses:\n"
           "  {\"<namespace>/<service>:<port name>/<protocol>\": {\"cluster\": [...], \"local\": [...],\n"
           "                                                   \"all\": [...]}, ...}\n"
           "Each array holds `ip:port` strings (`[ip]:port` for IPv6) sorted byte-wise. `cluster` is empty\n"
           "when the service does not use cluster endpoints (internal policy Local, not externally\n"
           "accessible); `local` is empty when it does not use local ones (internal policy Cluster and,\n"
           "when externally accessible, external policy Cluster). Ready endpoints first, else serving and\n"
           "terminating ones; cluster endpoints follow node hints (when every ready endpoint has one and\n"
           "one names --node) or zone hints (likewise with --zone).\n"
           "  --family                   address family of the slices used (default IPv4)\n"
           "  --zone                     the node's topology.kubernetes.io/zone label (default none)\n"
           "  --*-traffic-policy         the Service's traffic policies (default Cluster)\n"
           "  --externally-accessible    the Service has a node port, a load-balancer IP or an external IP\n"
           "  --compact                  one line instead of kubectl's 4-space indentation\n"
           "Exit 0: printed; 1: invalid input objects (messages as `epslice validate`); 2: usage errors,\n"
           "unreadable input or not JSON.\n";
    return exit_ok;
  }
  const args a(argv, {"slices", "node", "zone", "family", "internal-traffic-policy", "external-traffic-policy"},
               {"externally-accessible", "compact"});
  if (!a.positionals().empty()) throw usage_error{"unexpected argument " + a.positionals().front()};
  const auto slices_file = a.value("slices");
  if (!slices_file) throw usage_error{"missing --slices FILE"};
  const auto node = a.value("node");
  if (!node) throw usage_error{"missing --node NAME"};
  if (node->empty()) throw usage_error{"--node needs a non-empty name"};
  const std::string family = a.value("family").value_or("IPv4");
  if (family != "IPv4" && family != "IPv6") throw usage_error{"unknown --family " + family + " (IPv4 or IPv6)"};
  epslice::traffic_policy policy;
  policy.internal_local = local_policy(a, "internal-traffic-policy");
  policy.external_local = local_policy(a, "external-traffic-policy");
  policy.externally_accessible = a.flag("externally-accessible");
  const std::string zone = a.value("zone").value_or("");

  std::vector<epslice::any_endpoint_slice> slices;
  const int code = load_valid_slices(*slices_file, slices);
  if (code != exit_ok) return code;
  const std::string out = family == "IPv4" ? select_json<epslice::ipv4>(slices, *node, zone, policy)
                                           : select_json<epslice::ipv6>(slices, *node, zone, policy);
  std::cout << (a.flag("compact") ? out : indent_json(out)) << "\n";
  return exit_ok;
}

namespace {
const registrar select_command{"select", cmd_select, "the endpoints a node uses per service port, as kube-proxy", 70};
}  // namespace

}  // namespace cli
