// SPDX-License-Identifier: Apache-2.0
// epslice select: the endpoints one node uses for every service port, as kube-proxy picks them.
#include "cli.hpp"
#include "proxy_input.hpp"

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

// `"<port>":{"cluster":[...],"local":[...],"all":[...]}` of one service port.
template <class F>
void append_port(std::string& out, const epslice::endpoint_cache<F>& cache, const epslice::service_port_name& name,
                 const std::string& node, const std::string& zone, const epslice::traffic_policy& policy) {
  const auto sel = cache.select(name, node, zone, policy);
  epslice::detail::write_json_string(out, name.to_string());
  out += ":{\"cluster\":";
  append_keys<F>(out, sel.cluster ? &*sel.cluster : nullptr);
  out += ",\"local\":";
  append_keys<F>(out, sel.local ? &*sel.local : nullptr);
  out += ",\"all\":";
  append_keys<F>(out, &sel.all);
  out += '}';
}

template <class F>
std::string select_json(const std::vector<input_slice>& slices, const std::string& node, const std::string& zone,
                        const epslice::traffic_policy& policy) {
  notice_unused_slices<F>(slices);
  epslice::endpoint_cache<F> cache;
  for (const auto& s : slices) (void)cache.update(s.slice);
  std::string out = "{";
  bool first = true;
  for (const auto& name : cache.service_ports()) {
    if (!first) out += ',';
    first = false;
    append_port<F>(out, cache, name, node, zone, policy);
  }
  out += '}';
  return out;
}

// --follow: one line per service port whose endpoints changed, `{"<port>":null}` when it has none left.
template <class F>
int select_follow(const std::string& input, const std::string& node, const std::string& zone,
                  const epslice::traffic_policy& policy) {
  return follow_stream<F>(input, [&](const epslice::endpoint_cache<F>& cache, const epslice::service_port_name& name) {
    std::string line = "{";
    if (cache.endpoints(name).empty()) {
      epslice::detail::write_json_string(line, name.to_string());
      line += ":null";
    } else {
      append_port<F>(line, cache, name, node, zone, policy);
    }
    line += "}\n";
    std::cout << line;
  });
}

}  // namespace

int cmd_select(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout
        << "usage: epslice select --slices FILE... --node NAME [--zone ZONE] [--family IPv4|IPv6]\n"
           "                      [--internal-traffic-policy Cluster|Local]\n"
           "                      [--external-traffic-policy Cluster|Local] [--externally-accessible]\n"
           "                      [--compact | --follow]\n\n"
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
           "  --slices                   EndpointSlices, JSON or YAML; repeat it for several inputs\n"
           "  --family                   address family of the slices used; by default IPv4 when the input\n"
           "                             has IPv4 slices, else IPv6 (a notice names the families when\n"
           "                             there are several; FQDN slices alone give no endpoints)\n"
           "  --zone                     the node's topology.kubernetes.io/zone label (default none)\n"
           "  --*-traffic-policy         the Service's traffic policies (default Cluster)\n"
           "  --externally-accessible    the Service has a node port, a load-balancer IP or an external IP\n"
           "  --compact                  one line instead of kubectl's 4-space indentation\n"
           "  --follow                   read one --slices input (e.g. `-`) as a watch stream while it\n"
           "                             arrives (YAML is read whole), e.g. kubectl get endpointslices -A --watch -o json\n"
           "                             --output-watch-events | epslice select --follow --slices - --node N;\n"
           "                             after each batch of events, print one compact line per service port\n"
           "                             whose endpoints changed, {\"<port>\":{\"cluster\":...}}, or\n"
           "                             {\"<port>\":null} when it has none left; nothing when nothing changed.\n"
           "                             The family is --family, else IPv4.\n"
           "A slice of the family without the kubernetes.io/service-name label is not used (a notice says so).\n"
           "Exit 0: printed; 1: invalid input objects (messages as `epslice validate`); 2: usage errors,\n"
           "unreadable input, or not JSON or YAML.\n";
    return exit_ok;
  }
  const args a(argv, {"node", "zone", "family", "internal-traffic-policy", "external-traffic-policy"},
               {"externally-accessible", "compact", "follow"}, {"slices"});
  if (!a.positionals().empty()) throw usage_error{"unexpected argument " + a.positionals().front()};
  const auto slice_files = a.values("slices");
  if (slice_files.empty()) throw usage_error{"missing --slices FILE"};
  check_stdin_once(slice_files);
  const auto node = a.value("node");
  if (!node) throw usage_error{"missing --node NAME"};
  if (node->empty()) throw usage_error{"--node needs a non-empty name"};
  check_family_option(a);
  epslice::traffic_policy policy;
  policy.internal_local = local_policy(a, "internal-traffic-policy");
  policy.external_local = local_policy(a, "external-traffic-policy");
  policy.externally_accessible = a.flag("externally-accessible");
  const std::string zone = a.value("zone").value_or("");

  if (a.flag("follow")) {
    const std::string& input = follow_input(a, slice_files);
    if (follow_family(a) == slice_family::ipv6) return select_follow<epslice::ipv6>(input, *node, zone, policy);
    return select_follow<epslice::ipv4>(input, *node, zone, policy);
  }
  std::vector<input_slice> slices;
  const int code = load_valid_slices(slice_files, "--slices", slices);
  if (code != exit_ok) return code;
  std::string out = "{}";
  switch (choose_family(a, slices, "select")) {
    case slice_family::ipv4: out = select_json<epslice::ipv4>(slices, *node, zone, policy); break;
    case slice_family::ipv6: out = select_json<epslice::ipv6>(slices, *node, zone, policy); break;
    case slice_family::fqdn: break;  // kube-proxy does not use FQDN slices
  }
  print_json_value(out, a.flag("compact"));
  return exit_ok;
}

namespace {
const registrar select_command{"select", cmd_select, "the endpoints a node uses per service port, as kube-proxy", 70};
}  // namespace

}  // namespace cli
