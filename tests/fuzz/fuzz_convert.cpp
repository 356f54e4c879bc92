// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the conversions (slices -> Endpoints, Endpoints -> slices, pods -> endpoints,
// nodes -> zone capacity); everything emitted from valid input validates.
//
// The input is a document (any text) that may hold slices, Endpoints, Services, Pods and Nodes.
// Invariants:
//  1. slices_to_endpoints (with and without the first Service): nothing but epslice::error
//     escapes; at most 1000 addresses, the over-capacity annotation exactly when truncated; the
//     subsets of an object not truncated are repacked (repacking them again changes nothing);
//     when every slice read is valid (and the Service's name, namespace and labels are valid
//     metadata), the Endpoints validates;
//  2. repack_subsets is idempotent;
//  3. mirror_endpoints of a valid Endpoints gives valid slices, each with at most
//     max_endpoints_per_subset endpoints; plan_mirroring against the decoded slices writes valid
//     slices, names only existing mirrored slices (each at most once) and creates without a name;
//     applied, a second plan_mirroring writes nothing;
//  4. endpoints_from_pods for the first Service: every endpoint has an address of the family, one
//     of the pod's `status.podIPs` (read as the API server accepts pod IPs: a dotted quad may
//     have leading zeros, which are decimal), a targetRef to a pod of that name, and a port
//     list that a pod of that name resolves (endpoint_ports_for_pod);
//  5. compute_zone_capacity: when sufficient and every counted CPU is positive, the zone CPUs add
//     up to the total and the ratios lie in (0, 1] and add up to 1.
//
// No filter masks a known defect: the inputs once found (ports outside 1..65535 or unnamed among
// several carried into a subset, an Endpoints without uid mirrored into slices with an empty
// owner uid, an overflowing CPU sum) are replayed from tests/fuzz/regressions/fuzz_convert/
// (UBSan catches an overflow of step 5's sum; a total past 2^63 - 1 millicores is reported
// insufficient), and the views are decoded at any depth (fuzz_decode replays deep ones).
#include <epslice/convert.hpp>
#include <epslice/json.hpp>
#include <epslice/reconcile.hpp>
#include <epslice/topology.hpp>
#include <epslice/validation.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace epslice;

std::string first_error(const field_errors& e) { return e.empty() ? std::string() : e.front().message(); }

struct inputs {
  std::vector<endpoint_slice_v4> v4;
  std::vector<endpoint_slice_v6> v6;
  std::vector<any_endpoint_slice> all_slices;
  std::vector<endpoints> endpoints_objects;
  std::vector<service> services;
  std::vector<pod> pods;
  std::vector<node> nodes;
};

inputs read_inputs(std::string_view text) {
  inputs in;
  const decoded_document doc = decode_document(text);
  for (const auto& ev : doc.events) {
    const decoded_object& o = ev.object;
    // A bookmark's object is never decoded as its kind; an error's is a Status.
    if (ev.type == watch_event_type::bookmark || ev.type == watch_event_type::error) continue;
    if (const auto* s = o.value.get_if<any_endpoint_slice>()) {
      in.all_slices.push_back(*s);
      if (const auto* a = std::get_if<endpoint_slice_v4>(s)) in.v4.push_back(*a);
      if (const auto* b = std::get_if<endpoint_slice_v6>(s)) in.v6.push_back(*b);
    } else if (const auto* e = o.value.get_if<endpoints>()) {
      in.endpoints_objects.push_back(*e);
    } else {
      const auto& r = o.value.get<raw_object>();
      if (r.kind == "Service") EPSLICE_FUZZ_MAY_REJECT("decode_service", [&] { in.services.push_back(decode_service(r)); });
      else if (r.kind == "Pod") EPSLICE_FUZZ_MAY_REJECT("decode_pod", [&] { in.pods.push_back(decode_pod(r)); });
      else if (r.kind == "Node") EPSLICE_FUZZ_MAY_REJECT("decode_node", [&] { in.nodes.push_back(decode_node(r)); });
    }
  }
  return in;
}


// 1. Slices -> Endpoints.
void check_to_endpoints(const inputs& in, const service* svc) {
  endpoints_projection p;
  if (!EPSLICE_FUZZ_MAY_REJECT("slices_to_endpoints", [&] { p = slices_to_endpoints(in.v4, in.v6, svc); })) return;
  std::size_t addresses = 0;
  for (const auto& s : p.object.subsets) addresses += s.addresses.size() + s.not_ready_addresses.size();
  EPSLICE_FUZZ_CHECK(addresses <= max_endpoints_capacity, std::to_string(addresses) + " addresses");
  const bool annotated = p.object.metadata.annotations.count(std::string(well_known::over_capacity_annotation)) != 0;
  EPSLICE_FUZZ_CHECK(annotated == p.truncated, "the over-capacity annotation and the truncated flag disagree");
  if (!p.truncated)
    EPSLICE_FUZZ_CHECK(repack_subsets(p.object.subsets) == p.object.subsets, "the projected subsets are not repacked");

  bool valid_input = true;
  if (p.family == address_type::ipv4) {
    for (const auto& s : in.v4) valid_input = valid_input && validate(s).empty();
  } else {
    for (const auto& s : in.v6) valid_input = valid_input && validate(s).empty();
  }
  if (svc) {
    // The Service's metadata must be valid metadata for an Endpoints object of that name.
    endpoints probe;
    probe.metadata.name = svc->metadata.name;
    probe.metadata.namespace_ = svc->metadata.namespace_;
    probe.metadata.labels = svc->metadata.labels;
    valid_input = valid_input && validate(probe).empty();
  } else {
    // Without a Service the name comes from the first slice's service-name label.
    const object_meta* first = nullptr;
    if (p.family == address_type::ipv4 && !in.v4.empty()) first = &in.v4.front().metadata;
    if (p.family == address_type::ipv6 && !in.v6.empty()) first = &in.v6.front().metadata;
    if (!first) return;
    const auto it = first->labels.find(well_known::service_name_label);
    valid_input = valid_input && it != first->labels.end() && is_dns1123_subdomain(it->second);
  }
  if (!valid_input) return;
  const field_errors errors = validate(p.object);
  EPSLICE_FUZZ_CHECK(errors.empty(), "slices_to_endpoints of valid slices gives an invalid Endpoints: " +
                                         first_error(errors) + " in " + encode(p.object));
}

// 2 and 3. Endpoints -> slices.
any_slice_plan as_plan(const mirroring_plan& m) {
  any_slice_plan p;
  p.create = m.create;
  p.update = m.update;
  p.remove = m.remove;
  return p;
}

void check_mirroring(const endpoints& e, std::span<const any_endpoint_slice> existing) {
  const auto once = repack_subsets(e.subsets);
  EPSLICE_FUZZ_CHECK(repack_subsets(once) == once, "repack_subsets is not idempotent");

  const bool valid = validate(e).empty();
  mirroring_options options;
  options.max_endpoints_per_subset = 1 + e.metadata.name.size() % 4;  // small caps come up
  mirrored_slices m;
  if (!EPSLICE_FUZZ_MAY_REJECT("mirror_endpoints", [&] { m = mirror_endpoints(e, options); })) return;
  const auto check_slice = [&](const auto& s) {
    EPSLICE_FUZZ_CHECK(s.endpoints.size() <= options.max_endpoints_per_subset, "a mirrored slice over the cap");
    if (valid) {
      const field_errors errors = validate(s);
      EPSLICE_FUZZ_CHECK(errors.empty(), "mirroring a valid Endpoints gives an invalid slice: " + first_error(errors) +
                                             " in " + encode(s));
    }
  };
  for (const auto& s : m.ipv4) check_slice(s);
  for (const auto& s : m.ipv6) check_slice(s);

  // Only slices with distinct non-empty names, as the API server lists them.
  std::vector<any_endpoint_slice> listed;
  std::set<std::string> names;
  for (const auto& s : existing)
    if (!metadata_of(s).name.empty() && names.insert(metadata_of(s).name).second) listed.push_back(s);
  mirroring_plan plan;
  if (!EPSLICE_FUZZ_MAY_REJECT("plan_mirroring", [&] { plan = plan_mirroring(e, mirror_decision::mirror, listed, options); }))
    return;
  std::set<std::string> written;
  for (const auto& s : plan.create) EPSLICE_FUZZ_CHECK(metadata_of(s).name.empty(), "a mirroring create with a name");
  for (const auto* list : {&plan.update, &plan.remove})
    for (const auto& s : *list) {
      EPSLICE_FUZZ_CHECK(names.count(metadata_of(s).name) == 1 && is_mirrored_slice(metadata_of(s), e),
                         "plan_mirroring writes a slice it does not own: " + metadata_of(s).name);
      EPSLICE_FUZZ_CHECK(written.insert(metadata_of(s).name).second, "plan_mirroring writes one slice twice");
    }
  // An update keeps the listed slice's own metadata (its name, as upstream does): written slices
  // must validate when the Endpoints and the listed slices are valid, as the API server holds them.
  bool listed_valid = true;
  for (const auto& s : listed) listed_valid = listed_valid && validate(s).empty();
  if (valid && listed_valid)
    for (const auto* list : {&plan.create, &plan.update})
      for (const auto& s : *list) {
        const field_errors errors = validate(s);
        EPSLICE_FUZZ_CHECK(errors.empty(), "plan_mirroring of a valid Endpoints writes an invalid slice: " +
                                               first_error(errors) + " in " + encode(s));
      }
  if (e.metadata.deletion_timestamp) return;  // creates are held back until the object is gone
  std::vector<any_endpoint_slice> after;
  if (!EPSLICE_FUZZ_MAY_REJECT("apply(mirroring plan)", [&] { after = epslice::apply(as_plan(plan), listed); })) return;
  const mirroring_plan again = plan_mirroring(e, mirror_decision::mirror, after, options);
  EPSLICE_FUZZ_CHECK(again.empty(), "mirroring again writes " + std::to_string(again.create.size()) + " creates, " +
                                        std::to_string(again.update.size()) + " updates, " +
                                        std::to_string(again.remove.size()) + " deletes");
}

// 4. Pods -> desired endpoints.

// A pod IP as the API server accepts it: leading zeros in a dotted quad (also the tail of an
// IPv6 address) are decimal and dropped, then the text must be an address of family F.
template <class F>
std::optional<typename F::address> pod_ip_of(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  const std::size_t tail = colon == std::string_view::npos ? 0 : colon + 1;
  std::string out(text.substr(0, tail));
  const std::string_view quad = text.substr(tail);
  if (quad.find('.') == std::string_view::npos) return F::parse(text);
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = quad.find('.', start);
    std::string_view part = quad.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    while (part.size() > 1 && part.front() == '0') part.remove_prefix(1);
    out += part;
    if (dot == std::string_view::npos) break;
    out += '.';
    start = dot + 1;
  }
  return F::parse(out);
}

template <class F>
void check_pods(const service& svc, const inputs& in) {
  service_pod_endpoints<F> r;
  if (!EPSLICE_FUZZ_MAY_REJECT("endpoints_from_pods", [&] { r = endpoints_from_pods<F>(svc, in.pods, in.nodes); })) return;
  for (const auto& ep : r.endpoints) {
    const auto& e = ep.endpoint;
    EPSLICE_FUZZ_CHECK(!e.addresses.empty(), "an endpoint from a pod without an address");
    EPSLICE_FUZZ_CHECK(e.target_ref.has_value(), "an endpoint from a pod without a targetRef");
    bool from_a_pod = false;
    EPSLICE_FUZZ_CHECK(ep.port_list < r.port_lists.size(), "an endpoint names no port list");
    bool ports_of_a_pod = false;
    for (const auto& p : in.pods) {
      if (p.metadata.name != e.target_ref->name) continue;
      for (const auto& ip : p.pod_ips)
        if (auto a = pod_ip_of<F>(ip); a && *a == e.addresses.front()) from_a_pod = true;
      if (r.ports_of(ep) == endpoint_ports_for_pod(svc, p)) ports_of_a_pod = true;
    }
    EPSLICE_FUZZ_CHECK(from_a_pod, "an endpoint address that is no IP of its pod");
    EPSLICE_FUZZ_CHECK(ports_of_a_pod, "an endpoint's ports are not those its pod resolves");
  }
}

// 5. Nodes -> zone capacity.
void check_capacity(const std::vector<node>& nodes) {
  zone_capacity c;
  EPSLICE_FUZZ_NO_THROW("compute_zone_capacity", [&] { c = compute_zone_capacity(nodes); });
  EPSLICE_FUZZ_CHECK(c.sufficient == c.ratios.has_value(), "sufficient and ratios disagree");
  if (!c.sufficient) return;
  bool positive = true;
  for (const auto& [zone, millis] : c.cpu_millis) positive = positive && millis > 0;
  if (!positive) return;  // a negative allocatable CPU is no valid Node
  std::int64_t sum = 0;
  double ratio_sum = 0;
  for (const auto& [zone, millis] : c.cpu_millis) sum += millis;
  for (const auto& [zone, r] : *c.ratios) {
    EPSLICE_FUZZ_CHECK(r > 0 && r <= 1, "zone " + zone + " has ratio " + std::to_string(r));
    ratio_sum += r;
  }
  EPSLICE_FUZZ_CHECK(sum == c.total_cpu_millis, "zone CPUs do not add up to the total");
  EPSLICE_FUZZ_CHECK(std::fabs(ratio_sum - 1.0) < 1e-9, "ratios add up to " + std::to_string(ratio_sum));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const inputs in = read_inputs(std::string_view(reinterpret_cast<const char*>(data), size));
  check_to_endpoints(in, nullptr);
  if (!in.services.empty()) check_to_endpoints(in, &in.services.front());
  for (const auto& e : in.endpoints_objects) check_mirroring(e, in.all_slices);
  if (!in.services.empty()) {
    check_pods<ipv4>(in.services.front(), in);
    check_pods<ipv6>(in.services.front(), in);
  }
  check_capacity(in.nodes);
  return 0;
}
