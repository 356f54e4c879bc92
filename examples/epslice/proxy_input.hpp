// SPDX-License-Identifier: Apache-2.0
// What `select` and `eds` share: the address family kube-proxy would watch, the slices it skips,
// and the --follow loop over a watch stream.
#pragma once

#include "cli.hpp"

#include <epslice/merge.hpp>
#include <epslice/validation.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cli {

/// The address families of EndpointSlices, in the order select and eds prefer them.
enum class slice_family { ipv4, ipv6, fqdn };

/// Checks `--family` before any input is read: absent, IPv4 or IPv6. Throws usage_error.
inline void check_family_option(const args& a) {
  if (const auto f = a.value("family"); f && *f != "IPv4" && *f != "IPv6")
    throw usage_error{"unknown --family " + *f + " (IPv4 or IPv6)"};
}

/// The family select and eds use: `--family` (IPv4 or IPv6) when given, else IPv4 when the slices
/// include IPv4 ones, else IPv6, else FQDN (IPv4 when there are no slices). Without --family and
/// with slices of several families, a notice names them and the one used:
///   epslice <command>: notice: the slices are of address types IPv4 and IPv6: using IPv4 (--family chooses)
/// Throws usage_error for another --family.
inline slice_family choose_family(const args& a, const std::vector<input_slice>& slices, std::string_view command) {
  check_family_option(a);
  if (const auto f = a.value("family")) return *f == "IPv6" ? slice_family::ipv6 : slice_family::ipv4;
  bool present[3] = {false, false, false};
  for (const auto& s : slices) {
    if (std::holds_alternative<epslice::endpoint_slice_v4>(s.slice)) present[0] = true;
    else if (std::holds_alternative<epslice::endpoint_slice_v6>(s.slice)) present[1] = true;
    else if (std::holds_alternative<epslice::endpoint_slice_fqdn>(s.slice)) present[2] = true;
  }
  static constexpr std::string_view names[] = {"IPv4", "IPv6", "FQDN"};
  std::vector<std::string_view> found;
  for (int i = 0; i < 3; ++i)
    if (present[i]) found.push_back(names[i]);
  const auto used = present[0] ? slice_family::ipv4 : present[1] ? slice_family::ipv6
                                                    : present[2] ? slice_family::fqdn
                                                                 : slice_family::ipv4;
  if (found.size() > 1) {
    std::cerr << "epslice " << command << ": notice: the slices are of address types ";
    for (std::size_t i = 0; i < found.size(); ++i)
      std::cerr << (i == 0 ? "" : i + 1 == found.size() ? " and " : ", ") << found[i];
    std::cerr << ": using " << names[static_cast<int>(used)] << " (--family chooses)\n";
  }
  if (used == slice_family::fqdn)
    std::cerr << "epslice " << command
              << ": notice: the slices are all of address type FQDN, which kube-proxy does not use: no endpoints\n";
  return used;
}

/// What `--follow` reads, checked as select and eds both need it: exactly one --slices input and
/// no --compact (its lines are compact). Throws usage_error.
inline const std::string& follow_input(const args& a, const std::vector<std::string>& slice_files) {
  if (slice_files.size() != 1) throw usage_error{"--follow reads one --slices input"};
  if (a.flag("compact")) throw usage_error{"--follow prints compact lines: --compact does not apply"};
  return slice_files.front();
}

/// The family `--follow` keeps: --family, else IPv4 (a stream has no slices yet to choose by).
[[nodiscard]] inline slice_family follow_family(const args& a) {
  return a.value("family").value_or("IPv4") == "IPv6" ? slice_family::ipv6 : slice_family::ipv4;
}

/// One notice line for each slice of family F that kube-proxy skips although it has the family:
/// no `kubernetes.io/service-name` label (or an empty one), or no name (only a generateName; a
/// valid slice always has a namespace).
///   <file>: notice: EndpointSlice <ns>/<name>: no kubernetes.io/service-name label: not used
template <class F>
void notice_unused_slices(const std::vector<input_slice>& slices) {
  for (const auto& s : slices) {
    const auto* x = std::get_if<epslice::basic_endpoint_slice<F>>(&s.slice);
    if (!x) continue;
    const auto& m = x->metadata;
    std::string reason;
    const auto label = m.labels.find(epslice::well_known::service_name_label);
    if (label == m.labels.end()) reason = "no " + std::string(epslice::well_known::service_name_label) + " label";
    else if (label->second.empty()) reason = "empty " + std::string(epslice::well_known::service_name_label) + " label";
    else if (m.name.empty()) reason = "no metadata.name";
    else continue;
    std::cerr << s.file << ": notice: " << s.what << ": " << reason << ": not used\n";
  }
}

/// `--follow`: reads `name` (a file or `-`) as a watch stream while it arrives and keeps an
/// endpoint cache of family F up to date, event by event (ADDED and MODIFIED update, DELETED
/// removes). After each read that completed events, calls emit(cache, port) for every service
/// port whose endpoints changed (the cache's checkout), then flushes standard output, so each
/// batch of events waiting in a pipe costs one pass. Problems are printed as stream_input prints
/// them; invalid slices are reported as `validate` reports them and not applied (exit code 1); an
/// ERROR event is a warning and exit code 1. YAML input is followed as a whole at its end.
/// Returns the exit code: exit_usage when the input cannot be read or stops being JSON or YAML.
template <class F, class Emit>
int follow_stream(const std::string& name, Emit emit) {
  epslice::endpoint_cache<F> cache;
  int code = exit_ok;
  const auto apply = [&](epslice::watch_event&& e) {
    if (!holds_object(e)) return;
    const epslice::decoded_object& o = e.object;
    // A DELETED event removes by identity, which a problem in its last state does not hide.
    if (e.type != epslice::watch_event_type::deleted) {
      if (!o.problems.empty()) return;  // printed by stream_input
      if (const auto* s = o.value.get_if<epslice::any_endpoint_slice>();
          s && !report_errors(name, o, epslice::validate(*s))) {
        code = std::max(code, exit_invalid);
        return;
      }
    }
    (void)cache.apply(e);
  };
  const auto batch_end = [&] {
    for (const auto& change : cache.checkout()) emit(cache, change.name);
    std::cout.flush();
  };
  return std::max(code, stream_input(name, apply, batch_end).code);
}

}  // namespace cli
