// SPDX-License-Identifier: Apache-2.0
// epslice reconcile: desired endpoints (slices, or pods + service + nodes) + existing slices -> plan.
#include "cli.hpp"

#include <epslice/time.hpp>


#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cli {

namespace {

using epslice::any_endpoint_slice;
using epslice::field_error;
using epslice::field_errors;

constexpr const char* reconcile_help =
    "usage: epslice reconcile --desired FILE [--existing FILE] [--service FILE] [options]\n"
    "       epslice reconcile --pods FILE --service FILE --nodes FILE [--existing FILE] [options]\n\n"
    "Prints the writes that turn the existing EndpointSlices of one Service into slices holding\n"
    "exactly the desired endpoints, as {\"create\": [...], \"update\": [...], \"delete\": [...]}, each an\n"
    "array of EndpointSlice objects in the order to apply them (creates carry generateName and no\n"
    "name; updates and deletes keep their name).\n\n"
    "--desired FILE   EndpointSlices (any slicing; a slice may hold more than 1000 endpoints) whose\n"
    "                 endpoints, per address type and port set, are the desired state.\n"
    "--pods FILE      Pods; with --service and --nodes, the desired state is what the EndpointSlice\n"
    "                 controller derives for the Service (every address family it serves). Pods the\n"
    "                 Service does not select are ignored; a pod whose node is missing is left out\n"
    "                 unless publishNotReadyAddresses (one warning line on stderr per such pod).\n"
    "--service FILE   the Service (namespace, name, uid, labels, cluster IP; with --desired its\n"
    "                 address families are served too, an empty one with a placeholder slice).\n"
    "                 Without it (--desired only), the namespace and kubernetes.io/service-name label\n"
    "                 of the desired slices name the Service, its uid comes from their owner reference\n"
    "                 to a Service, its labels are theirs minus the reserved keys (the headless label\n"
    "                 tells headlessness), and the address types of the desired slices are served.\n"
    "--nodes FILE     Nodes (zones of the endpoints).\n"
    "--existing FILE  the Service's current EndpointSlices (without it: no slice yet). Slices of\n"
    "                 other Services are a usage error (select one Service's with kubectl's\n"
    "                 -l kubernetes.io/service-name=NAME). Those managed by another controller, or\n"
    "                 being deleted, are ignored, and those the controller manages but the Service\n"
    "                 does not own are deleted, as upstream does: one notice line each on stderr.\n"
    "                 Slices of the legacy `IP` address type are accepted, and deleted.\n"
    "Inputs are JSON or YAML; every input option may be repeated, its inputs read in order.\n\n"
    "options:\n"
    "  --max-endpoints-per-slice N     1..1000, default 100\n"
    "  --strategy kubernetes|minimal   default kubernetes\n"
    "  --controller-name NAME          default endpointslice-controller.k8s.io\n"
    "  --trigger-time RFC3339          set endpoints.kubernetes.io/last-change-trigger-time on every\n"
    "                                  written slice (in UTC); without it the annotation is removed\n"
    ;
constexpr const char* reconcile_help_tail =
    "  --compact                       one line instead of kubectl's 4-space indentation\n\n"
    "Exit 0: plan printed; 1: invalid input objects (messages as `epslice validate`); 2: usage\n"
    "errors and unreadable input.\n";

// ---- options ---------------------------------------------------------------------------------

std::size_t parse_max_endpoints(const std::string& v) {
  const std::string message = "--max-endpoints-per-slice " + v + ": must be an integer from 1 to 1000";
  if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw usage_error{message};
  const std::size_t n = std::stoul(v);
  if (n < 1 || n > 1000) throw usage_error{message};
  return n;
}

epslice::reconcile_strategy parse_strategy(const std::string& v) {
  if (v == "kubernetes") return epslice::reconcile_strategy::kubernetes;
  if (v == "minimal") return epslice::reconcile_strategy::minimal;
  throw usage_error{"--strategy " + v + ": must be kubernetes or minimal"};
}

// An RFC 3339 time as upstream writes the trigger-time annotation (epslice::normalize_rfc3339:
// in UTC, RFC3339Nano).
std::string normalize_trigger_time(const std::string& t) {
  if (auto v = epslice::normalize_rfc3339(t)) return std::move(*v);
  throw usage_error{"--trigger-time " + t + ": must be an RFC 3339 time such as 2026-11-26T16:42:11Z"};
}

// ---- validation ------------------------------------------------------------------------------

// validate() for a desired slice: every rule except the limit of 1000 endpoints (a desired slice
// describes a set, not a slice to write).
field_errors validate_desired(const any_endpoint_slice& s) {
  return epslice::validate(s, epslice::validation_options{.limit_endpoints = false});
}

// validate() for an existing slice. The legacy `IP` address type (v1beta1) is accepted: upstream's
// controller reads such slices and deletes them.
field_errors validate_existing(const any_endpoint_slice& s) {
  return epslice::validate(s, epslice::validation_options{.accept_legacy_ip_type = true});
}

// ---- inputs ----------------------------------------------------------------------------------

// Reports an object of the wrong kind.
void wrong_kind(const std::string& file, const epslice::decoded_object& o, std::string_view option,
                std::string_view kind) {
  std::cerr << file << ": " << describe(o) << ": --" << option << " takes " << kind << " objects\n";
}

// The objects of one kind decoded with `decode` (pods, nodes, services) from every input of an
// option; problems printed.
template <class T, class Decode>
std::vector<T> views_of(const std::vector<loaded_file>& files, std::string_view option, std::string_view kind,
                        Decode decode, int& code) {
  std::vector<T> out;
  for (const auto& f : files) {
    for (const auto& o : f.doc.objects()) {
      const auto* raw = o.value.get_if<epslice::raw_object>();
      if (!raw || raw->kind != kind) {
        wrong_kind(f.name, o, option, kind);
        code = std::max(code, exit_invalid);
        continue;
      }
      try {
        out.push_back(decode(*raw));
      } catch (const epslice::error& e) {
        for (const auto& p : e.errors()) std::cerr << f.name << ": " << describe(o) << ": " << p.message() << "\n";
        code = std::max(code, exit_invalid);
      }
    }
  }
  return out;
}

// The Service identity named by the desired slices (no --service), as
// epslice::service_identity_of_slices finds it; each slice that disagrees is reported.
std::optional<epslice::service_identity> identity_from_slices(const std::vector<input_slice>& desired, int& code) {
  auto r = epslice::service_identity_of_slices(desired, [](const input_slice& d) -> const epslice::object_meta& {
    return epslice::metadata_of(d.slice);
  });
  for (const auto& c : r.conflicts) {
    const input_slice& d = desired[c.slice];
    std::cerr << d.file << ": " << d.what << ": ";
    switch (c.what) {
      case epslice::identity_conflict::no_service_label:
        std::cerr << "metadata.labels: Required value: the " << epslice::well_known::service_name_label
                  << " label names the service (or give --service)\n";
        break;
      case epslice::identity_conflict::other_service:
        std::cerr << "names service " << c.named << ", but " << desired[c.earlier].what << " names " << c.expected << "\n";
        break;
      case epslice::identity_conflict::other_uid:
        std::cerr << "owner reference to Service " << epslice::service_of(epslice::metadata_of(d.slice))->name
                  << " has uid " << c.named << ", but "
                  << desired[c.earlier].what << " names uid " << c.expected << "\n";
        break;
    }
  }
  if (!r.conflicts.empty()) code = std::max(code, exit_invalid);
  return std::move(r.identity);
}

// Refuses existing slices that name other Services than `id` (reconcile plans one Service at a
// time, as the controller does): a usage error naming them, with the kubectl selector that lists
// the right ones.
void check_existing_services(const std::vector<input_slice>& existing, const epslice::service_identity& id) {
  std::set<epslice::service_name> named;
  for (const auto& e : existing)
    if (auto svc = epslice::service_of(e.slice)) named.insert(std::move(*svc));
  const epslice::service_name want{id.namespace_, id.name};
  if (named.empty() || (named.size() == 1 && *named.begin() == want)) return;
  std::string list;
  std::size_t shown = 0;
  for (const auto& n : named) {
    if (shown == 5) {
      list += " and " + std::to_string(named.size() - shown) + " more";
      break;
    }
    list += (shown == 0 ? "" : shown + 1 == named.size() ? " and " : ", ") + n.to_string();
    ++shown;
  }
  throw usage_error{"--existing holds slices of " + std::string(named.size() == 1 ? "Service " : "Services ") + list +
                    ", but reconcile plans Service " + want.to_string() + ": give its slices alone (kubectl get endpointslices -n " +
                    id.namespace_ + " -l " + std::string(epslice::well_known::service_name_label) + "=" + id.name + ")"};
}

// The existing slices that take part, as upstream's controller lists them: the Service's slices
// managed by this controller and not being deleted. Every other one is listed on standard error
// with the reason, and so is a slice the controller manages but the Service does not own (the
// reconciler deletes it, as upstream's does).
std::vector<any_endpoint_slice> existing_taking_part(const std::vector<input_slice>& existing,
                                                     const epslice::service_identity& id,
                                                     const std::string& controller) {
  std::vector<any_endpoint_slice> out;
  const std::string managed_by(epslice::well_known::managed_by_label);
  for (const auto& e : existing) {
    const auto& m = epslice::metadata_of(e.slice);
    const auto notice = [&](const std::string& reason) {
      std::cerr << e.file << ": notice: " << e.what << ": " << reason << "\n";
    };
    if (!epslice::service_of(m)) {
      notice("no " + std::string(epslice::well_known::service_name_label) + " label: ignored");
      continue;
    }
    if (m.deletion_timestamp) {
      notice("being deleted (metadata.deletionTimestamp is set): ignored, as the controller ignores it");
      continue;
    }
    const auto by = m.labels.find(managed_by);
    if (by == m.labels.end() || by->second != controller) {
      notice((by == m.labels.end() ? "no " + managed_by + " label"
                                   : "managed by \"" + by->second + "\" (" + managed_by + ")") +
             ", not by " + controller + ": ignored");
      continue;
    }
    if (!epslice::is_managed_slice(m, id, controller)) continue;  // excluded by check_existing_services
    if (!epslice::is_owned_by(m, id, controller))
      notice("not owned by Service " + epslice::service_name{id.namespace_, id.name}.to_string() + " (no owner reference to uid " + id.uid +
             "): deleted, as the controller deletes it");
    out.push_back(e.slice);
  }
  return out;
}

// ---- desired states --------------------------------------------------------------------------

template <class F>
epslice::desired_state<F>& state_of(std::optional<epslice::desired_state<F>>& st, const epslice::service_identity& id) {
  if (!st) {
    st.emplace();
    st->service = id;
  }
  return *st;
}

void enable_family(epslice::dual_stack_desired& d, epslice::address_type t, const epslice::service_identity& id) {
  switch (t) {
    case epslice::address_type::ipv4: (void)state_of(d.ipv4_state, id); break;
    case epslice::address_type::ipv6: (void)state_of(d.ipv6_state, id); break;
    case epslice::address_type::fqdn: (void)state_of(d.fqdn_state, id); break;
  }
}

// One desired group per desired slice (the reconciler merges equal port sets, in order).
void add_desired(epslice::dual_stack_desired& d, const any_endpoint_slice& s, const epslice::service_identity& id) {
  std::visit(
      [&](const auto& x) {
        using F = typename std::decay_t<decltype(x)>::family_type;
        if constexpr (epslice::is_typed_family_v<F>) {
          epslice::endpoint_group<F> g;
          g.ports = x.ports;
          g.endpoints.assign(x.endpoints.begin(), x.endpoints.end());
          epslice::desired_state<F>* st = nullptr;
          if constexpr (std::is_same_v<F, epslice::ipv4>) st = &state_of(d.ipv4_state, id);
          else if constexpr (std::is_same_v<F, epslice::ipv6>) st = &state_of(d.ipv6_state, id);
          else st = &state_of(d.fqdn_state, id);
          st->groups.push_back(std::move(g));
        }
      },
      s);
}

// ---- output ----------------------------------------------------------------------------------

std::string plan_json(const epslice::any_slice_plan& plan) {
  std::string out = "{\"create\":[";
  const auto list = [&](const std::vector<any_endpoint_slice>& slices) {
    for (std::size_t i = 0; i < slices.size(); ++i) {
      if (i) out += ',';
      epslice::encode_to(out, slices[i]);
    }
  };
  list(plan.create);
  out += "],\"update\":[";
  list(plan.update);
  out += "],\"delete\":[";
  list(plan.remove);
  out += "]}";
  return out;
}

}  // namespace

int cmd_reconcile(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << reconcile_help << compaction_help("  ", 34) << reconcile_help_tail;
    return exit_ok;
  }
  const args a(argv,
               {"max-endpoints-per-slice", "strategy", "controller-name", "trigger-time", "compact-below",
                "compaction-budget"},
               {"compact"}, {"desired", "existing", "service", "pods", "nodes"});
  if (!a.positionals().empty()) throw usage_error{"unexpected argument " + a.positionals().front()};
  const auto desired_files = a.values("desired");
  const auto pods_files = a.values("pods");
  const auto service_files = a.values("service");
  const auto nodes_files = a.values("nodes");
  const auto existing_files = a.values("existing");
  const bool by_desired = !desired_files.empty();
  if (by_desired && !pods_files.empty()) throw usage_error{"give either --desired or --pods, not both"};
  if (!by_desired && pods_files.empty()) throw usage_error{"--desired FILE or --pods FILE is required"};
  if (!pods_files.empty() && service_files.empty()) throw usage_error{"--pods needs --service FILE"};
  if (!pods_files.empty() && nodes_files.empty()) throw usage_error{"--pods needs --nodes FILE"};
  if (by_desired && !nodes_files.empty()) throw usage_error{"--nodes goes with --pods, not with --desired"};

  epslice::reconcile_options options;
  if (auto v = a.value("max-endpoints-per-slice")) options.max_endpoints_per_slice = parse_max_endpoints(*v);
  if (auto v = a.value("strategy")) options.strategy = parse_strategy(*v);
  if (auto v = a.value("controller-name")) {
    if (v->empty()) throw usage_error{"--controller-name must not be empty"};
    options.controller_name = *v;
  }
  if (auto v = a.value("trigger-time")) options.trigger_time = normalize_trigger_time(*v);
  options.compaction = compaction_of(a);

  std::vector<std::string> files;
  for (const auto* list : {&desired_files, &pods_files, &service_files, &nodes_files, &existing_files})
    files.insert(files.end(), list->begin(), list->end());
  check_stdin_once(files);

  // Read everything first, so that every problem of every input is reported at once.
  int code = exit_ok;
  const auto desired_inputs = load_all(desired_files, code);
  const auto pods_inputs = load_all(pods_files, code);
  const auto service_inputs = load_all(service_files, code);
  const auto nodes_inputs = load_all(nodes_files, code);
  const auto existing_inputs = load_all(existing_files, code);
  if (code == exit_usage) return code;

  std::vector<input_slice> desired;
  std::vector<epslice::pod> pods;
  std::vector<epslice::node> nodes;
  std::optional<epslice::service> svc;
  if (by_desired) {
    for (const auto& f : desired_inputs)
      slices_of(f, "--desired", [](const any_endpoint_slice& s) { return validate_desired(s); }, desired, code);
  } else {
    pods = views_of<epslice::pod>(pods_inputs, "pods", "Pod",
                                  [](const epslice::raw_object& o) { return epslice::decode_pod(o); }, code);
    nodes = views_of<epslice::node>(nodes_inputs, "nodes", "Node",
                                    [](const epslice::raw_object& o) { return epslice::decode_node(o); }, code);
  }
  if (!service_inputs.empty()) {
    auto services = views_of<epslice::service>(service_inputs, "service", "Service",
                                               [](const epslice::raw_object& o) { return epslice::decode_service(o); },
                                               code);
    std::size_t objects = 0;
    for (const auto& f : service_inputs) objects += f.doc.object_count();
    if (objects != 1) {
      std::cerr << service_inputs.front().name << (service_inputs.size() > 1 ? " and the other --service inputs" : "")
                << ": expected one Service, found " << objects << " objects\n";
      code = std::max(code, exit_invalid);
    } else if (services.size() == 1) {
      svc = std::move(services.front());
    }
  }
  std::vector<input_slice> existing;
  for (const auto& f : existing_inputs)
    slices_of(f, "--existing", [](const any_endpoint_slice& s) { return validate_existing(s); }, existing, code);
  if (code != exit_ok) return code;

  // The Service and the desired state of each address family it serves.
  epslice::service_identity id;
  epslice::dual_stack_desired want;
  if (svc) {
    id = epslice::service_identity_of(*svc);
  } else {
    auto named = identity_from_slices(desired, code);
    if (code != exit_ok) return code;
    if (!named) throw usage_error{"the service is not known: --desired holds no EndpointSlice; give --service FILE"};
    id = std::move(*named);
  }
  check_existing_services(existing, id);
  if (by_desired) {
    if (svc)
      for (auto t : epslice::service_address_types(*svc)) enable_family(want, t, id);
    for (const auto& d : desired) add_desired(want, d.slice, id);
  } else {
    // Pods selected by the Service, grouped by port set, as the EndpointSlice controller derives
    // them (epslice::desired_state_from_pods).
    std::map<std::string, std::string, std::less<>> node_of;  // "namespace/name" -> spec.nodeName
    for (const auto& p : pods) node_of.emplace(p.metadata.namespace_ + "/" + p.metadata.name, p.node_name);
    epslice::pod_desired_state derived = epslice::desired_state_from_pods(*svc, std::move(pods), nodes);
    if (!derived.managed) {
      // The EndpointSlice controller leaves such Services alone: nothing to write.
      std::cerr << "epslice reconcile: notice: Service " << id.namespace_ << "/" << id.name
                << (svc->type == "ExternalName" ? " is of type ExternalName" : " has no selector")
                << ": the EndpointSlice controller does not manage its slices\n";
      print_json_value(plan_json({}), a.flag("compact"));
      return exit_ok;
    }
    // One warning per selected pod whose node is missing (upstream records an error and retries).
    for (const auto& name : derived.missing_node_pods)
      std::cerr << "epslice reconcile: warning: Pod " << name << ": node \"" << node_of[name] << "\" not found: "
                << (svc->publish_not_ready_addresses ? "kept without a zone (publishNotReadyAddresses)"
                                                     : "left out of the endpoints")
                << "\n";
    want = std::move(derived.desired);
  }

  const std::vector<any_endpoint_slice> current = existing_taking_part(existing, id, options.controller_name);
  const epslice::any_slice_plan plan = epslice::reconcile(want, current, options);
  const std::string out = plan_json(plan);
  print_json_value(out, a.flag("compact"));
  return exit_ok;
}

namespace {
const registrar reconcile_command{"reconcile", cmd_reconcile,
                                  "plan the slice writes for desired endpoints (or pods) and existing slices", 40};
}  // namespace

}  // namespace cli
