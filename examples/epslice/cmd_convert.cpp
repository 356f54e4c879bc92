// SPDX-License-Identifier: Apache-2.0
// epslice convert: legacy Endpoints to mirrored EndpointSlices, and EndpointSlices to Endpoints.
#include "cli.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cli {

namespace {

// An object of the input and the file it came from.
struct located {
  const std::string* file;
  const epslice::decoded_object* object;
};

using object_key = std::pair<std::string, std::string>;  // namespace, name

std::string key_text(const object_key& k) { return k.first.empty() ? k.second : k.first + "/" + k.second; }

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The Services of the input by namespace and name; problems are printed and raise `code`.
std::map<object_key, epslice::service> read_services(const std::vector<located>& objects, int& code) {
  std::map<object_key, epslice::service> out;
  for (const auto& [file, o] : objects) {
    const auto* raw = o->value.get_if<epslice::raw_object>();
    if (!raw || raw->kind != "Service") continue;
    try {
      epslice::service s = epslice::decode_service(*raw);
      object_key k{s.metadata.namespace_, s.metadata.name};
      out.insert_or_assign(std::move(k), std::move(s));
    } catch (const epslice::error& e) {
      for (const auto& fe : e.errors()) std::cerr << *file << ": " << describe(*o) << ": " << fe.message() << "\n";
      code = std::max(code, exit_invalid);
    }
  }
  return out;
}

// Validation problems of an object the conversion reads, printed as `epslice validate` prints them.
template <class T>
bool report_invalid(const std::string& file, const epslice::decoded_object& o, const T& value, int& code) {
  const bool ok = report_errors(file, o, epslice::validate(value));
  if (!ok) code = std::max(code, exit_invalid);
  return ok;
}

std::string not_mirrored_reason(epslice::mirror_decision d, const object_key& k) {
  switch (d) {
    case epslice::mirror_decision::skip_mirror_label:
      return "label " + std::string(epslice::well_known::skip_mirror_label) + " is \"true\"";
    case epslice::mirror_decision::leader_election:
      return "it has the " + std::string(epslice::well_known::leader_annotation) + " annotation";
    case epslice::mirror_decision::no_service: return "there is no Service " + key_text(k);
    case epslice::mirror_decision::service_has_selector:
      return "Service " + key_text(k) + " has a selector (the EndpointSlice controller makes its slices)";
    case epslice::mirror_decision::mirror: break;
  }
  return "mirrored";
}

int to_endpointslices(const std::vector<located>& objects, const epslice::mirroring_options& options,
                      std::vector<epslice::any_endpoint_slice>& items) {
  int code = exit_ok;
  const auto services = read_services(objects, code);
  for (const auto& [file, o] : objects) {
    const auto* ep = o->value.get_if<epslice::endpoints>();
    if (!ep) {
      const auto* raw = o->value.get_if<epslice::raw_object>();
      if (!raw || raw->kind != "Service")
        std::cerr << *file << ": notice: " << describe(*o) << ": ignored (convert --to endpointslices reads Endpoints and Services)\n";
      continue;
    }
    report_invalid(*file, *o, *ep, code);
    const object_key k{ep->metadata.namespace_, ep->metadata.name};
    auto svc = services.find(k);
    // A Service in the input decides as upstream does; without one, the Endpoints is mirrored
    // unless it opts out itself.
    const auto decision = svc == services.end() ? epslice::should_mirror(*ep) : epslice::should_mirror(*ep, &svc->second);
    if (decision != epslice::mirror_decision::mirror) {
      std::cerr << *file << ": notice: " << describe(*o) << ": not mirrored: " << not_mirrored_reason(decision, k) << "\n";
      continue;
    }
    auto m = epslice::mirror_endpoints(*ep, options);
    const auto& r = m.report;
    if (!r.invalid_addresses.empty()) {
      std::cerr << *file << ": warning: " << describe(*o) << ": skipped "
                << plural(r.invalid_addresses.size(), "invalid IP address", "invalid IP addresses")
                << " when mirroring to EndpointSlices:";
      for (std::size_t i = 0; i < r.invalid_addresses.size(); ++i)
        std::cerr << (i ? ", \"" : " \"") << r.invalid_addresses[i] << "\"";
      std::cerr << "\n";
    }
    if (r.over_cap() > 0)
      std::cerr << *file << ": warning: " << describe(*o) << ": a max of " << options.max_endpoints_per_subset
                << " addresses can be mirrored to EndpointSlices per Endpoints subset; "
                << plural(r.over_cap(), "address was", "addresses were") << " skipped\n";
    if (r.deletion_pending) {
      std::cerr << *file << ": notice: " << describe(*o)
                << ": has a deletion timestamp: no EndpointSlices are created for it\n";
      continue;
    }
    // What the slices could not hold (bad or repeated ports, an owner reference without a uid).
    for (const auto& w : r.warnings) std::cerr << *file << ": warning: " << w << "\n";
    for (auto& s : m.ipv4) items.emplace_back(std::move(s));
    for (auto& s : m.ipv6) items.emplace_back(std::move(s));
  }
  return code;
}

int to_endpoints(const std::vector<located>& objects, std::optional<epslice::address_type> family,
                 std::vector<epslice::endpoints>& items) {
  int code = exit_ok;
  const auto services = read_services(objects, code);
  // The IP slices to project, with where they came from.
  std::vector<epslice::any_endpoint_slice> slices;
  std::vector<const located*> origin;
  for (const auto& at : objects) {
    const auto& [file, o] = at;
    const auto* slice = o->value.get_if<epslice::any_endpoint_slice>();
    if (!slice) {
      const auto* raw = o->value.get_if<epslice::raw_object>();
      if (!raw || raw->kind != "Service")
        std::cerr << *file << ": notice: " << describe(*o) << ": ignored (convert --to endpoints reads EndpointSlices and Services)\n";
      continue;
    }
    if (!report_invalid(*file, *o, *slice, code) && std::holds_alternative<epslice::endpoint_slice_raw>(*slice))
      continue;  // addresses that do not parse: nothing to project
    if (std::holds_alternative<epslice::endpoint_slice_fqdn>(*slice)) {
      std::cerr << *file << ": notice: " << describe(*o) << ": FQDN addresses have no Endpoints form: not converted\n";
      continue;
    }
    if (!epslice::service_of(*slice)) {  // in input order with the other notices
      std::cerr << *file << ": notice: " << describe(*o) << ": no " << epslice::well_known::service_name_label
                << " label: not converted\n";
      continue;
    }
    slices.push_back(*slice);
    origin.push_back(&at);
  }
  const epslice::service_groups groups = epslice::group_by_service(slices);  // every slice has its Service
  epslice::to_endpoints_options options;
  options.family = family;
  for (const auto& g : groups.groups) {
    std::vector<epslice::endpoint_slice_v4> v4;
    std::vector<epslice::endpoint_slice_v6> v6;
    for (const std::size_t i : g.positions) {
      if (auto* x = std::get_if<epslice::endpoint_slice_v4>(&slices[i])) v4.push_back(std::move(*x));
      else if (auto* y = std::get_if<epslice::endpoint_slice_v6>(&slices[i])) v6.push_back(std::move(*y));
    }
    const std::string& file = *origin[g.positions.front()]->file;  // of the Service's first slice
    const auto svc = services.find(object_key{g.service.namespace_, g.service.name});
    auto p = epslice::slices_to_endpoints(v4, v6, svc == services.end() ? nullptr : &svc->second, options);
    if (p.truncated)
      std::cerr << file << ": warning: Endpoints " << g.service.to_string() << ": over capacity: truncated to "
                << epslice::max_endpoints_capacity << " addresses (" << epslice::well_known::over_capacity_annotation
                << ": " << epslice::over_capacity_truncated << ")\n";
    // What the Endpoints could not hold (unnamed ports among several, ports outside 1..65535).
    for (const auto& w : p.warnings) std::cerr << file << ": warning: " << w << "\n";
    items.push_back(std::move(p.object));
  }
  return code;
}

}  // namespace

int cmd_convert(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout
        << "usage: epslice convert --to endpointslices [--max-endpoints-per-subset N] [--compact] [FILE|-]...\n"
           "       epslice convert --to endpoints [--family IPv4|IPv6] [--compact] [FILE|-]...\n\n"
           "--to endpointslices prints, as a List, the EndpointSlices the EndpointSlice mirroring controller\n"
           "makes for the Endpoints objects of the input (to create: generateName <name>-). A Service of the\n"
           "same namespace and name in the input decides as upstream: only a Service without a selector is\n"
           "mirrored. Without one, every Endpoints is mirrored unless it has the skip-mirror label or the\n"
           "leader-election annotation. An Endpoints with a deletion timestamp gives no slices. Subsets are\n"
           "repacked; each gives one slice per address family, of at most N addresses (default 1000, 1..1000).\n"
           "Addresses that are no IP and addresses over N are skipped, with a warning line on standard error.\n\n"
           "--to endpoints prints, as a List, one legacy Endpoints object per Service found in the\n"
           "kubernetes.io/service-name label of the input's EndpointSlices: subsets repacked, terminating\n"
           "endpoints that are not ready left out, truncated to 1000 addresses (then annotated\n"
           "endpoints.kubernetes.io/over-capacity: truncated, with a warning). One address family per\n"
           "object: IPv4 when the Service has IPv4 slices, else IPv6; --family chooses. A Service of the\n"
           "same name in the input gives the labels (and decides which port-less slices count).\n\n"
           "Objects the conversion reads are validated; their problems are printed as `epslice validate`\n"
           "prints them and make the exit code 1 (the output is still printed). Other objects are ignored\n"
           "with a notice. Exit 0: converted; 1: invalid input objects; 2: usage error or unreadable input.\n";
    return exit_ok;
  }
  const args a(argv, {"to", "family", "max-endpoints-per-subset"}, {"compact"});
  const auto to = a.value("to");
  if (!to) throw usage_error{"--to is required: endpointslices or endpoints"};
  if (*to != "endpointslices" && *to != "endpoints")
    throw usage_error{"--to must be endpointslices or endpoints, not \"" + *to + "\""};
  std::optional<epslice::address_type> family;
  if (auto f = a.value("family")) {
    if (*to != "endpoints") throw usage_error{"--family applies to --to endpoints only"};
    if (*f == "IPv4") family = epslice::address_type::ipv4;
    else if (*f == "IPv6") family = epslice::address_type::ipv6;
    else throw usage_error{"--family must be IPv4 or IPv6, not \"" + *f + "\""};
  }
  epslice::mirroring_options mirroring;
  if (auto n = a.value("max-endpoints-per-subset")) {
    if (*to != "endpointslices") throw usage_error{"--max-endpoints-per-subset applies to --to endpointslices only"};
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(n->data(), n->data() + n->size(), value);
    if (ec != std::errc() || end != n->data() + n->size() || value < 1 || value > 1000)
      throw usage_error{"--max-endpoints-per-subset must be a number from 1 to 1000, not \"" + *n + "\""};
    mirroring.max_endpoints_per_subset = value;
  }

  int code = exit_ok;
  // The final state of every object (a watch capture's later versions replace earlier ones,
  // DELETED removes).
  const std::vector<loaded_file> files = load_all(inputs(a), code);
  if (code != exit_ok) return code;  // decoding problems are already printed
  std::vector<located> objects;
  for (const auto& f : files)
    for (const auto& o : f.doc.objects()) objects.push_back({&f.name, &o});

  std::string out;
  if (*to == "endpointslices") {
    std::vector<epslice::any_endpoint_slice> slices;
    code = to_endpointslices(objects, mirroring, slices);
    out = epslice::encode_list(slices);
  } else {
    std::vector<epslice::endpoints> endpoints;
    code = to_endpoints(objects, family, endpoints);
    out = epslice::encode_list(endpoints);
  }
  print_json_value(out, a.flag("compact"));
  return code;
}

namespace {
const registrar convert_command{"convert", cmd_convert,
                                "legacy Endpoints to mirrored EndpointSlices, EndpointSlices to Endpoints", 60};
}  // namespace

}  // namespace cli
