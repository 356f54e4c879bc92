// SPDX-License-Identifier: Apache-2.0
// epslice validate, fmt and describe.
#include "cli.hpp"

#include <algorithm>
#include <iostream>

namespace cli {

namespace {

// The API server's strict view of an EndpointSlice or Endpoints: every repeated key (its strict
// field validation), then the value's rules. Decoding problems are printed by load().
epslice::field_errors validate_object(const epslice::decoded_object& o) {
  if (o.value.holds<epslice::raw_object>()) return {};
  return epslice::validate(o);
}

}  // namespace

int cmd_validate(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << "usage: epslice validate [FILE|-]...\n\n"
                 "Checks every EndpointSlice and Endpoints object with the API server's validation rules.\n"
                 "One line per problem on standard error:\n"
                 "  <file>: <Kind> <namespace>/<name>: <field path>: <message>\n"
                 "Objects of other kinds are accepted without validation (one notice line each).\n"
                 "Exit 0: all valid; 1: some object would be rejected; 2: unreadable input, or not JSON or YAML.\n";
    return exit_ok;
  }
  const args a(argv, {}, {});
  int code = exit_ok;
  for (const auto& name : inputs(a)) {
    loaded_file f = load(name);
    code = std::max(code, f.code);
    if (f.code == exit_usage) continue;
    for (const auto& o : f.doc.objects()) {
      const bool modelled = !o.value.holds<epslice::raw_object>();
      if (!modelled) {
        std::cerr << name << ": notice: " << describe(o)
                  << ": not validated (epslice validates EndpointSlice and Endpoints)\n";
        continue;
      }
      if (!o.problems.empty()) continue;  // already reported by load()
      if (!report_errors(name, o, validate_object(o))) code = std::max(code, exit_invalid);
    }
  }
  return code;
}

int cmd_fmt(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << "usage: epslice fmt [--compact] [FILE|-]...\n\n"
                 "Decodes and re-encodes objects, every version in input order. One object prints as that\n"
                 "object; one typed list (EndpointSliceList, PodList, ...) as that list with its kind,\n"
                 "apiVersion and resourceVersion; several objects or Lists as one List (apiVersion v1, kind\n"
                 "List). A watch stream (`kubectl get --watch --output-watch-events`) prints as events, one\n"
                 "value each, in order. EndpointSlices and Endpoints are written as the API server writes them\n"
                 "(v1beta1 slices as v1); other kinds pass through; a kind or apiVersion an item took from its\n"
                 "typed list is not written into the item.\n"
                 "--compact prints one line instead of kubectl's 4-space indentation (which stops growing at\n"
                 "32 levels: deeper lines are indented as level 32, so the output stays linear in the input).\n";
    return exit_ok;
  }
  const args a(argv, {}, {"compact"});
  int code = exit_ok;
  const auto files = load_all(inputs(a), code, reduction::every_version);
  if (code != exit_ok) return code;
  const bool compact = a.flag("compact");

  bool events = false;
  for (const auto& f : files) events = events || f.doc.has_watch_events();
  if (events) {
    // Each event as one value, as kubectl prints them; objects outside events as themselves.
    for (const auto& f : files)
      for (const auto& e : f.doc.events) {
        json_printer out(std::cout, compact);
        const bool go = e.shape == epslice::stream_shape::go_watch_event;
        const bool event = go || e.shape == epslice::stream_shape::watch_event;
        if (event) {
          out.write(go ? R"({"Type":")" : R"({"type":")");
          out.write(epslice::to_string(e.type));
          out.write(go ? R"(","Object":)" : R"(","object":)");
        }
        out.write(encode_object(e.object));
        if (event) out.write("}");
        out.finish();
      }
    return exit_ok;
  }

  bool list = files.size() > 1;
  std::size_t count = 0;
  for (const auto& f : files) {
    list = list || f.doc.had_list || f.doc.values > 1;
    count += f.doc.object_count();
  }
  list = list || count != 1;
  // One typed list keeps its own kind, apiVersion and resourceVersion (a client resumes a watch
  // from it); anything else gathered is a plain List.
  std::string prefix(list_prefix);
  if (files.size() == 1 && files[0].doc.values == 1 && files[0].doc.lists.size() == 1) {
    const auto& l = files[0].doc.lists[0];
    prefix = R"({"apiVersion":)" + nlohmann::json(l.api_version.empty() ? "v1" : l.api_version).dump() +
             R"(,"kind":)" + nlohmann::json(l.kind.empty() ? "List" : l.kind).dump() +
             R"(,"metadata":{"resourceVersion":)" + nlohmann::json(l.metadata.resource_version).dump() +
             R"(},"items":[)";
  }
  // Written object by object as it is encoded, never held whole.
  json_printer out(std::cout, compact);
  if (list) out.write(prefix);
  bool first = true;
  for (const auto& f : files)
    for (const auto& o : f.doc.objects()) {
      if (!first) out.write(",");
      first = false;
      out.write(encode_object(o));
    }
  if (list) out.write(list_suffix);
  out.finish();
  return exit_ok;
}

int cmd_describe(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << "usage: epslice describe [FILE|-]...\n\n"
                 "One line per object: file, kind, namespace/name, and for EndpointSlices the address type,\n"
                 "endpoint count (ready/serving/terminating), ports and validation result; for Endpoints\n"
                 "the subsets, ready and not-ready addresses.\n";
    return exit_ok;
  }
  const args a(argv, {}, {});
  int code = exit_ok;
  for (const auto& name : inputs(a)) {
    loaded_file f = load(name);
    code = std::max(code, f.code);
    if (f.code == exit_usage) continue;
    for (const auto& o : f.doc.objects()) {
      std::cout << name << ": " << describe(o);
      if (const auto* s = o.value.get_if<epslice::any_endpoint_slice>()) {
        std::visit(
            [&](const auto& x) {
              std::size_t ready = 0, serving = 0, terminating = 0;
              for (const auto& e : x.endpoints) {
                if (e.conditions.ready.value_or(true)) ++ready;
                if (e.conditions.serving.value_or(true)) ++serving;
                if (e.conditions.terminating.value_or(false)) ++terminating;
              }
              std::cout << ": " << (address_type_name(x).empty() ? "<no addressType>" : address_type_name(x))
                        << ", " << x.endpoints.size() << " endpoints (" << ready << " ready, " << serving
                        << " serving, " << terminating << " terminating), ports [";
              for (std::size_t i = 0; i < x.ports.size(); ++i) {
                const auto& p = x.ports[i];
                if (i) std::cout << ", ";
                std::cout << p.name.value_or("") << ":" << (p.port ? std::to_string(*p.port) : "*") << "/"
                          << p.protocol.value_or("TCP");
              }
              std::cout << "]";
            },
            *s);
      } else if (const auto* e = o.value.get_if<epslice::endpoints>()) {
        std::size_t ready = 0, not_ready = 0;
        for (const auto& subset : e->subsets) {
          ready += subset.addresses.size();
          not_ready += subset.not_ready_addresses.size();
        }
        std::cout << ": " << e->subsets.size() << " subsets, " << ready << " ready and " << not_ready
                  << " not-ready addresses";
      }
      if (!o.value.holds<epslice::raw_object>()) {
        const auto errors = validate_object(o);
        if (!o.problems.empty() || !errors.empty()) {
          std::cout << ": INVALID (" << (o.problems.size() + errors.size()) << " problems)";
          code = std::max(code, exit_invalid);
        } else {
          std::cout << ": valid";
        }
      }
      std::cout << "\n";
    }
  }
  return code;
}

namespace {
const registrar validate_command{"validate", cmd_validate,
                                 "check objects against the API server's validation rules", 10};
const registrar fmt_command{"fmt", cmd_fmt, "decode and re-encode objects as Kubernetes writes them", 20};
const registrar describe_command{"describe", cmd_describe,
                                 "one line per object: kind, name, address type, endpoints, ports", 30};
}  // namespace

}  // namespace cli
