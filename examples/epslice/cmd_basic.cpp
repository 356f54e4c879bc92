// SPDX-License-Identifier: Apache-2.0
// epslice validate, fmt and describe.
#include "cli.hpp"

#include <algorithm>
#include <iostream>

namespace cli {

namespace {

epslice::field_errors validate_object(const epslice::decoded_object& o) {
  if (const auto* s = o.value.get_if<epslice::any_endpoint_slice>()) return epslice::validate(*s);
  if (const auto* e = o.value.get_if<epslice::endpoints>()) return epslice::validate(*e);
  return {};
}

}  // namespace

int cmd_validate(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << "usage: epslice validate [FILE|-]...\n\n"
                 "Checks every EndpointSlice and Endpoints object with the API server's validation rules.\n"
                 "One line per problem on standard error:\n"
                 "  <file>: <Kind> <namespace>/<name>: <field path>: <message>\n"
                 "Objects of other kinds are accepted without validation (one notice line each).\n"
                 "Exit 0: all valid; 1: some object would be rejected; 2: unreadable input or not JSON.\n";
    return exit_ok;
  }
  const args a(argv, {}, {});
  int code = exit_ok;
  for (const auto& name : inputs(a)) {
    loaded_file f = load(name);
    code = std::max(code, f.code);
    if (f.code == exit_usage) continue;
    for (const auto& o : f.doc.objects) {
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
                 "Decodes and re-encodes objects. One object prints as that object; several, a List or a\n"
                 "typed list print as one List (apiVersion v1, kind List). EndpointSlices and Endpoints are\n"
                 "written as the API server writes them (v1beta1 slices as v1); other kinds pass through.\n"
                 "--compact prints one line instead of kubectl's 4-space indentation.\n";
    return exit_ok;
  }
  const args a(argv, {}, {"compact"});
  int code = exit_ok;
  std::vector<std::string> items;
  bool list = false;
  std::size_t files = 0;
  for (const auto& name : inputs(a)) {
    loaded_file f = load(name);
    code = std::max(code, f.code);
    ++files;
    if (f.code != exit_ok) continue;
    list = list || f.doc.had_list || f.doc.values > 1;
    for (const auto& o : f.doc.objects) items.push_back(encode_object(o));
  }
  if (code != exit_ok) return code;
  list = list || files > 1 || items.size() != 1;
  const std::string out = list ? list_json(items) : items.front();
  std::cout << (a.flag("compact") ? out : indent_json(out)) << "\n";
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
    for (const auto& o : f.doc.objects) {
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
