// SPDX-License-Identifier: Apache-2.0
// Fuzz target: reconcile from two fuzzed documents, with both strategies, apply() and the plan
// invariants; the incremental slice_planner against reconcile() from scratch.
//
// Input: four option bytes, then document A, a NUL byte, document B. The slices decoded from A
// give the desired state (each slice one port-set group of its endpoints; the Service identity
// from the first slice), those from B the existing slices. Options: maximum endpoints per slice,
// layout, compaction, Service uid and headless, and the families: one of IPv4, IPv6, FQDN, or all
// at once through the dual-stack reconcile().
//
// Precondition the harness provides, as the API server does: existing slices have distinct,
// non-empty names (later duplicates are dropped).
//
// Invariants, for each strategy (kubernetes, minimal):
//  1. the plan's counters match its lists; bytes_written is the size of the JSON of the written
//     slices; created slices have a generateName and no name; updates and deletes name existing
//     slices, each at most once;
//  2. no slice is created over the maximum, or updated to more endpoints than both the maximum
//     and what it held before;
//  3. make before break: applying creates, then updates, then deletes one at a time, every
//     endpoint (identity within its port set) desired and present before stays present;
//  4. after apply(), every desired endpoint is present exactly once, in a slice of its port set,
//     equal to its desired value beyond identity (node, zone, conditions, targetRef but its
//     resourceVersion), and nothing else; at least one slice is left (the placeholder);
//  5. reconciling the result again gives an empty plan (compaction off);
//  6. the overload that takes the desired state by value plans the same as the const& one;
//  7. without compaction and with the packed layout, minimal writes no more than kubernetes;
//  8. when every slice of A and B is valid and the Service name and namespace are DNS labels,
//     every written slice validates (B counts too: an endpoint equal beyond identity keeps its
//     existing value, hints included, as upstream keeps it);
//     (in the by_zone layout an endpoint whose zone is no label value goes to the slices without
//     a zone label: regressions/fuzz_reconcile/by-zone-long-zone.bin);
//  9. (single family, packed, compaction off) a slice_planner over the settled result plans a
//     change (some endpoints removed, some flipped, B's first slice's endpoints added) exactly
//     as reconcile() does from scratch on the changed desired state, and after commit() holds
//     the slices apply() gives.
// Every call may throw only epslice::error, and the options built here are valid, so none does.
#include <epslice/json.hpp>
#include <epslice/reconcile.hpp>
#include <epslice/slice_planner.hpp>
#include <epslice/validation.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "fuzz_support.hpp"

namespace {

using namespace epslice;

constexpr reconcile_strategy both_strategies[] = {reconcile_strategy::kubernetes, reconcile_strategy::minimal};

// ---------------------------------------------------------------------------------------------
// Keys of the oracle, independent of the library's own: text with length prefixes, so that no
// two different values share a key.

void put(std::string& k, std::string_view s) {
  k += std::to_string(s.size());
  k += ':';
  k += s;
}
void put_optional(std::string& k, const std::optional<std::string>& s) {
  if (s) {
    k += '+';
    put(k, std::string_view(*s));
  } else {
    k += '-';
  }
}

std::string port_set_key(const std::vector<endpoint_port>& ports) {
  std::vector<std::string> each;
  for (const auto& p : ports) {
    std::string k;
    put_optional(k, p.name);
    put_optional(k, p.protocol);
    k += p.port ? "+" + std::to_string(*p.port) : std::string("-");
    put_optional(k, p.app_protocol);
    each.push_back(std::move(k));
  }
  std::sort(each.begin(), each.end());
  std::string out;
  for (const auto& e : each) put(out, std::string_view(e));
  return out;
}

template <class F>
std::string identity_key(const basic_endpoint<F>& e) {
  std::vector<std::string> addresses;
  for (const auto& a : e.addresses) {
    std::string t;
    F::format(t, a);
    addresses.push_back(std::move(t));
  }
  std::sort(addresses.begin(), addresses.end());
  std::string k;
  for (const auto& a : addresses) put(k, std::string_view(a));
  k += '|';
  put(k, e.hostname ? std::string_view(*e.hostname) : std::string_view());
  put(k, e.target_ref ? std::string_view(e.target_ref->namespace_) : std::string_view());
  put(k, e.target_ref ? std::string_view(e.target_ref->name) : std::string_view());
  return k;
}

template <class F>
std::string endpoint_key(const std::vector<endpoint_port>& ports, const basic_endpoint<F>& e) {
  return port_set_key(ports) + "#" + identity_key(e);
}

// Equal beyond identity, as the controller compares: node, zone, conditions, targetRef without
// its resourceVersion.
template <class F>
bool same_beyond_identity(const basic_endpoint<F>& a, const basic_endpoint<F>& b) {
  if (a.node_name != b.node_name || a.zone != b.zone || !(a.conditions == b.conditions)) return false;
  if (a.target_ref.has_value() != b.target_ref.has_value()) return false;
  if (!a.target_ref) return true;
  object_reference x = *a.target_ref, y = *b.target_ref;
  x.resource_version.clear();
  y.resource_version.clear();
  return x == y;
}

std::string names_of(std::span<const std::string> names) {
  std::string out;
  for (const auto& n : names) out += n + " ";
  return out;
}

// ---------------------------------------------------------------------------------------------
// The case: options and the two documents.

struct fuzz_case {
  reconcile_options options;
  std::uint8_t families = 0;  // 0 IPv4, 1 IPv6, 2 FQDN, 3 dual-stack
  bool with_uid = false;
  bool headless = false;
  std::uint8_t change = 0;  // which endpoints the planner's change touches
  decoded_document a, b;
};

fuzz_case read_case(const std::uint8_t* data, std::size_t size) {
  epslice_fuzz::byte_reader in(data, size);
  fuzz_case c;
  static constexpr std::size_t maxes[] = {1, 2, 3, 5, 10, 100, 1000, 4};
  const std::uint8_t b0 = in.byte(), b1 = in.byte(), b2 = in.byte();
  c.change = in.byte();
  c.options.max_endpoints_per_slice = maxes[b0 & 7];
  c.families = static_cast<std::uint8_t>((b0 >> 3) & 3);
  c.options.layout = (b0 & 0x20) ? slice_layout::by_zone : slice_layout::packed;
  c.with_uid = (b0 & 0x40) != 0;
  c.headless = (b0 & 0x80) != 0;
  if (b1 & 1) {
    static constexpr double thresholds[] = {0.3, 0.6, 0.8, 1.0};
    static constexpr std::size_t budgets[] = {1, 2, 5, 1000};
    c.options.compaction.min_fullness = thresholds[(b1 >> 1) & 3];
    c.options.compaction.max_extra_writes = budgets[(b1 >> 3) & 3];
  }
  c.options.measure_bytes = (b1 & 0x20) == 0;
  if (b2 & 1) c.options.trigger_time = "2026-01-02T03:04:05Z";
  const std::string_view a = in.until_nul();
  const std::string_view b = in.rest();
  c.a = decode_document(a);
  c.b = decode_document(b);
  return c;
}

template <class Fn>
void each_slice(const decoded_document& d, Fn&& fn) {
  for (const auto& ev : d.events)
    if (const auto* s = ev.object.value.get_if<any_endpoint_slice>()) fn(*s);
}

service_identity identity_of(const fuzz_case& c) {
  service_identity svc;
  svc.name = "svc";
  bool first = true;
  each_slice(c.a, [&](const any_endpoint_slice& s) {
    if (!first) return;
    first = false;
    const object_meta& m = metadata_of(s);
    svc.namespace_ = m.namespace_;
    if (auto it = m.labels.find(well_known::service_name_label); it != m.labels.end()) svc.name = it->second;
    for (const auto& [k, v] : m.labels)
      if (!is_reserved_label_key(k)) svc.labels.emplace(k, v);
    if (c.with_uid)
      for (const auto& r : m.owner_references)
        if (r.kind == "Service") {
          svc.uid = r.uid;
          break;
        }
  });
  svc.headless = c.headless;
  return svc;
}

template <class F>
desired_state<F> desired_of(const fuzz_case& c, const service_identity& svc) {
  desired_state<F> d;
  d.service = svc;
  each_slice(c.a, [&](const any_endpoint_slice& s) {
    if (const auto* x = std::get_if<basic_endpoint_slice<F>>(&s)) {
      endpoint_group<F> g;
      g.ports = x->ports;
      g.endpoints.assign(x->endpoints.begin(), x->endpoints.end());
      d.groups.push_back(std::move(g));
    }
  });
  return d;
}

// Existing slices with distinct non-empty names (the API server's guarantee).
std::vector<any_endpoint_slice> existing_of(const fuzz_case& c) {
  std::vector<any_endpoint_slice> out;
  std::set<std::string> names;
  each_slice(c.b, [&](const any_endpoint_slice& s) {
    const std::string& name = metadata_of(s).name;
    if (!name.empty() && names.insert(name).second) out.push_back(s);
  });
  return out;
}

template <class F>
std::vector<basic_endpoint_slice<F>> family_slices(std::span<const any_endpoint_slice> all) {
  std::vector<basic_endpoint_slice<F>> out;
  for (const auto& s : all)
    if (const auto* x = std::get_if<basic_endpoint_slice<F>>(&s)) out.push_back(*x);
  return out;
}

bool input_is_valid(const fuzz_case& c, const service_identity& svc) {
  if (!is_dns1123_label(svc.name) || svc.name.size() > 63 || !is_dns1123_label(svc.namespace_) || svc.namespace_.size() > 63)
    return false;
  bool valid = true;
  each_slice(c.a, [&](const any_endpoint_slice& s) { valid = valid && validate(s).empty(); });
  each_slice(c.b, [&](const any_endpoint_slice& s) { valid = valid && validate(s).empty(); });
  return valid;
}

// ---------------------------------------------------------------------------------------------
// The plan invariants (1-5, 8) for one family.

template <class F>
void check_plan(const desired_state<F>& desired, std::span<const basic_endpoint_slice<F>> existing,
                const slice_plan<F>& plan, const reconcile_options& o, bool expect_valid, bool whole_plan) {
  using slice_t = basic_endpoint_slice<F>;
  const std::size_t max = o.max_endpoints_per_slice;
  const std::string where = std::string(to_string(o.strategy)) + ", " + std::string(to_string(o.layout)) + ", max " +
                            std::to_string(max);

  // 1. Counters and names.
  if (whole_plan) {
    EPSLICE_FUZZ_CHECK(plan.stats.creates == plan.create.size() && plan.stats.updates == plan.update.size() &&
                           plan.stats.deletes == plan.remove.size() &&
                           plan.stats.writes == plan.create.size() + plan.update.size() + plan.remove.size(),
                       where);
    std::size_t bytes = 0, written = 0;
    for (const auto* list : {&plan.create, &plan.update})
      for (const auto& s : *list) {
        bytes += encode(s).size();
        written += s.endpoints.size();
      }
    EPSLICE_FUZZ_CHECK(plan.stats.endpoints_written == written, where);
    if (o.measure_bytes)
      EPSLICE_FUZZ_CHECK(plan.stats.bytes_written == bytes,
                         where + ": bytes_written " + std::to_string(plan.stats.bytes_written) + ", encoded " +
                             std::to_string(bytes));
    else
      EPSLICE_FUZZ_CHECK(plan.stats.bytes_written == 0, where);
  }
  std::map<std::string, const slice_t*> by_name;
  for (const auto& s : existing) by_name[s.metadata.name] = &s;
  std::set<std::string> touched;
  for (const auto& s : plan.create)
    EPSLICE_FUZZ_CHECK(s.metadata.name.empty() && !s.metadata.generate_name.empty(), where + ": a create with a name");
  for (const auto* list : {&plan.update, &plan.remove})
    for (const auto& s : *list) {
      EPSLICE_FUZZ_CHECK(by_name.count(s.metadata.name) == 1, where + ": writes a slice that does not exist: " + s.metadata.name);
      EPSLICE_FUZZ_CHECK(touched.insert(s.metadata.name).second, where + ": writes one slice twice: " + s.metadata.name);
    }

  // 2. Sizes.
  for (const auto& s : plan.create)
    EPSLICE_FUZZ_CHECK(s.endpoints.size() <= max, where + ": creates a slice of " + std::to_string(s.endpoints.size()));
  for (const auto& s : plan.update) {
    const std::size_t before = by_name[s.metadata.name]->endpoints.size();
    EPSLICE_FUZZ_CHECK(s.endpoints.size() <= std::max(max, before),
                       where + ": grows " + s.metadata.name + " from " + std::to_string(before) + " to " +
                           std::to_string(s.endpoints.size()));
  }

  // 3. Make before break.
  std::map<std::string, const basic_endpoint<F>*> want;  // key -> last desired value
  for (const auto& g : desired.groups)
    for (const auto& e : g.endpoints)
      if (!e.addresses.empty()) want[endpoint_key<F>(g.ports, e)] = &e;
  std::map<std::string, long> counts;
  const auto count = [&](const slice_t& s, long delta) {
    for (const auto& e : s.endpoints) counts[endpoint_key<F>(s.ports, e)] += delta;
  };
  for (const auto& s : existing) count(s, 1);
  std::vector<std::string> guarded;
  for (const auto& [k, n] : counts)
    if (n > 0 && want.count(k)) guarded.push_back(k);
  const auto check_guarded = [&](const std::string& step) {
    for (const auto& k : guarded)
      EPSLICE_FUZZ_CHECK(counts[k] > 0, where + ": an endpoint is absent after " + step + ": " + k);
  };
  for (const auto& s : plan.create) count(s, 1);
  for (const auto& s : plan.update) {
    count(s, 1);
    count(*by_name[s.metadata.name], -1);
    check_guarded("updating " + s.metadata.name);
  }
  for (const auto& s : plan.remove) {
    count(*by_name[s.metadata.name], -1);
    check_guarded("deleting " + s.metadata.name);
  }

  // 4. The result.
  const std::vector<slice_t> after = epslice::apply(plan, existing);
  if (whole_plan) EPSLICE_FUZZ_CHECK(!after.empty(), where + ": no slice left, not even the placeholder");
  std::map<std::string, long> final_counts;
  for (const auto& s : after)
    for (const auto& e : s.endpoints) {
      const std::string k = endpoint_key<F>(s.ports, e);
      ++final_counts[k];
      const auto it = want.find(k);
      EPSLICE_FUZZ_CHECK(it != want.end(), where + ": an endpoint that is not desired is left in " + s.metadata.name + ": " + k);
      EPSLICE_FUZZ_CHECK(same_beyond_identity(e, *it->second), where + ": a stale value is left in " + s.metadata.name + ": " + k);
    }
  for (const auto& [k, e] : want)
    EPSLICE_FUZZ_CHECK(final_counts[k] == 1,
                       where + ": a desired endpoint is present " + std::to_string(final_counts[k]) + " times: " + k);

  // 5. Settled.
  if (!o.compaction.enabled()) {
    const auto again = reconcile(desired, after, o);
    std::vector<std::string> names;
    for (const auto& s : again.update) names.push_back("update " + s.metadata.name);
    for (const auto& s : again.remove) names.push_back("remove " + s.metadata.name);
    EPSLICE_FUZZ_CHECK(again.empty(), where + ": reconciling the result again writes " + std::to_string(again.create.size()) +
                                          " creates, " + names_of(names));
  }

  // 8. Valid output from valid input.
  if (expect_valid)
    for (const auto* list : {&plan.create, &plan.update})
      for (const auto& s : *list) {
        const field_errors errors = validate(s);
        EPSLICE_FUZZ_CHECK(errors.empty(), where + ": writes an invalid slice: " + errors.front().message());
      }
}

template <class F>
bool same_plan(const slice_plan<F>& a, const slice_plan<F>& b) {
  return a.create == b.create && a.update == b.update && a.remove == b.remove && a.stats == b.stats;
}

// ---------------------------------------------------------------------------------------------
// 9. The incremental planner against reconcile() from scratch.

template <class F>
void check_planner(const desired_state<F>& desired, const std::vector<basic_endpoint_slice<F>>& settled,
                   const reconcile_options& o, const fuzz_case& c) {
  if (desired.groups.empty()) return;
  // The planner's view of group 0: address-less endpoints dropped, equal identities collapsed
  // (first position, last value), other groups of the same port set merged in.
  const std::string key0 = port_set_key(desired.groups.front().ports);
  std::vector<basic_endpoint<F>> group;
  std::map<std::string, std::size_t> at;
  for (const auto& g : desired.groups) {
    if (port_set_key(g.ports) != key0) continue;
    for (const auto& e : g.endpoints) {
      if (e.addresses.empty()) continue;
      const auto [it, fresh] = at.emplace(identity_key(e), group.size());
      if (fresh) group.push_back(e);
      else group[it->second] = e;
    }
  }
  // The change: every endpoint whose position has bit (change & 3) set is removed, every one
  // with bit 2 of (change >> 2) flipped in readiness; the endpoints of B's first slice of F are
  // added. Identities within the change are distinct.
  endpoint_change<F> change;
  std::set<std::string> in_change;
  for (std::size_t i = 0; i < group.size(); ++i) {
    const unsigned pick = static_cast<unsigned>((i + c.change) % 4);
    if (pick == 0) {
      change.removed.push_back(group[i]);
      in_change.insert(identity_key(group[i]));
    } else if (pick == 1 && (c.change & 0x10)) {
      basic_endpoint<F> e = group[i];
      e.conditions.ready = !e.conditions.ready.value_or(true);
      change.updated.push_back(std::move(e));
      in_change.insert(identity_key(group[i]));
    }
  }
  bool first = true;
  each_slice(c.b, [&](const any_endpoint_slice& s) {
    const auto* x = std::get_if<basic_endpoint_slice<F>>(&s);
    if (!x || !first) return;
    first = false;
    for (const auto& e : x->endpoints)
      if (!e.addresses.empty() && in_change.insert(identity_key(e)).second) change.added.push_back(e);
  });
  // The same change applied to the desired state by hand: removed dropped, updated replaced in
  // place, added appended (or replacing in place when already desired).
  desired_state<F> next = desired;
  for (auto& g : next.groups) {
    if (port_set_key(g.ports) != key0) continue;
    g.endpoints.clear();
  }
  std::set<std::string> removed;
  for (const auto& e : change.removed) removed.insert(identity_key(e));
  std::vector<basic_endpoint<F>> result;
  std::map<std::string, std::size_t> pos;
  for (const auto& e : group)
    if (!removed.count(identity_key(e))) {
      pos[identity_key(e)] = result.size();
      result.push_back(e);
    }
  for (const auto* list : {&change.added, &change.updated})
    for (const auto& e : *list) {
      const auto it = pos.find(identity_key(e));
      if (it != pos.end()) {
        result[it->second] = e;
      } else {
        pos[identity_key(e)] = result.size();
        result.push_back(e);
      }
    }
  for (auto& g : next.groups)
    if (port_set_key(g.ports) == key0) {
      g.endpoints = std::move(result);
      break;
    }

  slice_planner<F> planner(desired, settled, o);
  const slice_plan<F> incremental = planner.plan(change);
  const slice_plan<F> scratch = reconcile(next, settled, o);
  EPSLICE_FUZZ_CHECK(same_plan(incremental, scratch),
                     std::string(to_string(o.strategy)) + ": slice_planner and reconcile() plan differently (" +
                         std::to_string(incremental.stats.writes) + " and " + std::to_string(scratch.stats.writes) +
                         " writes)");
  planner.commit(change, incremental);
  EPSLICE_FUZZ_CHECK(planner.slices() == epslice::apply(scratch, std::span<const basic_endpoint_slice<F>>(settled)),
                     "slice_planner's slices after commit differ from apply()");
}

// ---------------------------------------------------------------------------------------------
// One family on its own (steps 1-9).

template <class F>
void run_family(const fuzz_case& c) {
  const service_identity svc = identity_of(c);
  const desired_state<F> desired = desired_of<F>(c, svc);
  const std::vector<any_endpoint_slice> all = existing_of(c);
  const std::vector<basic_endpoint_slice<F>> existing = family_slices<F>(all);
  const bool expect_valid = input_is_valid(c, svc);
  reconcile_options o = c.options;
  std::size_t writes[2] = {0, 0};
  for (const auto strategy : both_strategies) {
    o.strategy = strategy;
    slice_plan<F> plan;
    EPSLICE_FUZZ_NO_THROW("reconcile", [&] { plan = reconcile(desired, existing, o); });
    check_plan<F>(desired, existing, plan, o, expect_valid, true);
    desired_state<F> moved = desired;
    EPSLICE_FUZZ_CHECK(same_plan(reconcile(std::move(moved), existing, o), plan),
                       std::string(to_string(strategy)) + ": reconcile(desired&&) and reconcile(const desired&) differ");
    writes[strategy == reconcile_strategy::minimal] = plan.stats.writes;
    if (o.layout == slice_layout::packed && !o.compaction.enabled()) {
      const auto settled = epslice::apply(plan, std::span<const basic_endpoint_slice<F>>(existing));
      EPSLICE_FUZZ_NO_THROW("slice_planner", [&] { check_planner<F>(desired, settled, o, c); });
    }
  }
  if (o.layout == slice_layout::packed && !o.compaction.enabled())
    EPSLICE_FUZZ_CHECK(writes[1] <= writes[0], "minimal writes " + std::to_string(writes[1]) + ", kubernetes " +
                                                  std::to_string(writes[0]));
}

// ---------------------------------------------------------------------------------------------
// Every family at once: the dual-stack reconcile(); each family's part of the plan keeps the
// invariants, and unserved and raw slices are removed.

template <class F>
slice_plan<F> part_of(const any_slice_plan& p) {
  slice_plan<F> out;
  for (const auto& s : p.create)
    if (const auto* x = std::get_if<basic_endpoint_slice<F>>(&s)) out.create.push_back(*x);
  for (const auto& s : p.update)
    if (const auto* x = std::get_if<basic_endpoint_slice<F>>(&s)) out.update.push_back(*x);
  for (const auto& s : p.remove)
    if (const auto* x = std::get_if<basic_endpoint_slice<F>>(&s)) out.remove.push_back(*x);
  return out;
}

void run_dual(const fuzz_case& c) {
  const service_identity svc = identity_of(c);
  dual_stack_desired desired;
  bool has[3] = {false, false, false};
  each_slice(c.a, [&](const any_endpoint_slice& s) {
    if (s.index() < 3) has[s.index()] = true;
  });
  if (has[0]) desired.ipv4_state = desired_of<ipv4>(c, svc);
  if (has[1]) desired.ipv6_state = desired_of<ipv6>(c, svc);
  if (has[2]) desired.fqdn_state = desired_of<fqdn>(c, svc);
  const std::vector<any_endpoint_slice> existing = existing_of(c);
  reconcile_options o = c.options;
  for (const auto strategy : both_strategies) {
    o.strategy = strategy;
    any_slice_plan plan;
    EPSLICE_FUZZ_NO_THROW("reconcile(dual)", [&] { plan = reconcile(desired, existing, o); });
    EPSLICE_FUZZ_CHECK(plan.stats.writes == plan.create.size() + plan.update.size() + plan.remove.size(), "dual counters");
    const auto family = [&](auto tag, const auto& state) {
      using F = decltype(tag);
      if (!state) return;
      const auto mine = family_slices<F>(existing);
      check_plan<F>(*state, mine, part_of<F>(plan), o, false, false);
    };
    family(ipv4{}, desired.ipv4_state);
    family(ipv6{}, desired.ipv6_state);
    family(fqdn{}, desired.fqdn_state);
    std::set<std::string> removed;
    for (const auto& s : plan.remove) removed.insert(metadata_of(s).name);
    for (const auto& s : existing) {
      const bool served = (s.index() == 0 && desired.ipv4_state) || (s.index() == 1 && desired.ipv6_state) ||
                          (s.index() == 2 && desired.fqdn_state);
      if (!served) EPSLICE_FUZZ_CHECK(removed.count(metadata_of(s).name) == 1, "an unserved slice is kept: " + metadata_of(s).name);
    }
    const auto after = epslice::apply(plan, existing);
    if (!o.compaction.enabled())
      EPSLICE_FUZZ_CHECK(reconcile(desired, after, o).empty(), "dual: reconciling the result again is not empty");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz_case c = read_case(data, size);
  switch (c.families) {
    case 0: run_family<ipv4>(c); break;
    case 1: run_family<ipv6>(c); break;
    case 2: run_family<fqdn>(c); break;
    default: run_dual(c); break;
  }
  return 0;
}
