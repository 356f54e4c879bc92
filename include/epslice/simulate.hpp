// SPDX-License-Identifier: Apache-2.0
// Churn scenarios (docs/scenarios.md) run through a layout: writes, watch events and bytes (a pure
// simulation).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "detail/json_writer.hpp"
#include "error.hpp"
#include "reconcile.hpp"
#include "sizes.hpp"
#include "types.hpp"

namespace epslice {

/// The scenarios of docs/scenarios.md#the-scenarios.
enum class scenario_kind : std::uint8_t {
  create,          ///< S1: N pods, one reconcile from no slices
  rolling_update,  ///< S2: N pods, then N/B times remove the B lowest live pods, add B
  scale_up,        ///< S3: N/B times add B pods, from nothing
  scale_down,      ///< S4: N pods, then remove B random pods per step (default: until N/10 remain)
  churn,           ///< S5: N pods, then remove P% of N at random and add as many, per step
};

/// How a simulation stores the Service's endpoints.
enum class simulation_layout : std::uint8_t {
  slices,     ///< EndpointSlices as the reconciler packs them (every watcher gets every write)
  endpoints,  ///< one legacy Endpoints object (convert.hpp's projection), every watcher gets it
  by_zone,    ///< EndpointSlices holding one zone each; a watcher sees only its own zone's slices
};

/// `slices`, `endpoints` or `by-zone`.
[[nodiscard]] constexpr std::string_view to_string(simulation_layout l) noexcept {
  return l == simulation_layout::endpoints ? "endpoints" : l == simulation_layout::by_zone ? "by-zone" : "slices";
}

/// What a simulation measures of each object it writes.
enum class measured_form : std::uint8_t {
  /// The object as the API server stores it and sends it to watchers: the controller's object with
  /// its name and the fields the server sets (see server_fields and stored_object).
  stored,
  /// The object as the controller writes it, plus the name the API server gives a created slice.
  bare,
};

/// `stored` or `bare`.
[[nodiscard]] constexpr std::string_view to_string(measured_form f) noexcept {
  return f == measured_form::bare ? "bare" : "stored";
}

/// The time the simulated API server stamps on the objects it stores (creationTimestamp and the
/// managedFields entry's time).
inline constexpr std::string_view scenario_server_time = "2024-01-01T00:00:00Z";
/// The resourceVersion of a simulation's first write; each write (create, update or delete) takes
/// the next one. Ten digits, as in a long-running cluster.
inline constexpr std::uint64_t scenario_first_resource_version = 1000000000;
/// The field manager the API server records for the controllers (kube-controller-manager runs the
/// EndpointSlice and the Endpoints controllers).
inline constexpr std::string_view scenario_field_manager = "kube-controller-manager";

/// The uid the simulated API server gives the object named `name`, in the scenario world's UUID
/// format (36 characters: `00000000-0000-4000-8000-` and 12 hex digits, here the low 48 bits of the
/// name's 64-bit FNV-1a hash).
[[nodiscard]] inline std::string scenario_uid(std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  std::string uid = "00000000-0000-4000-8000-";
  static constexpr char hex[] = "0123456789abcdef";
  for (int shift = 44; shift >= 0; shift -= 4) uid += hex[(h >> shift) & 15];
  return uid;
}

/// The fields the API server sets on an object it stores, for stored_object().
struct server_fields {
  std::string uid;                   ///< metadata.uid
  std::uint64_t resource_version = 0;  ///< metadata.resourceVersion, written in decimal
  /// metadata.generation: the EndpointSlice strategy counts the writes of a slice from 1; the
  /// Endpoints strategy keeps none (0, not written).
  std::int64_t generation = 0;
  std::string time = std::string(scenario_server_time);  ///< creationTimestamp and managedFields time
  std::string manager = std::string(scenario_field_manager);
  /// The writer's managed field set (compact JSON), e.g. controller_fields_v1(); empty: the object
  /// gets no managedFields entry (the API server drops the entry of a manager that owns nothing).
  std::string fields_v1;
};

namespace detail {

// The managed field set of the object members present in `top` and of the metadata fields the
// writer set, as structured-merge-diff writes it: members sorted, a map's or list's own entry "."
// first, a map key as `f:<key>`, an owner reference as `k:{"uid":"<uid>"}`.
inline std::string fields_v1_of(const object_meta& m, std::initializer_list<std::string_view> top) {
  std::string out = "{";
  bool first_top = true;
  const auto member = [](std::string& o, bool& first, std::string_view key) -> std::string& {
    if (!first) o += ',';
    first = false;
    write_json_string(o, key);
    o += ':';
    return o;
  };
  std::string meta = "{";
  bool first_meta = true;
  const auto keyed = [&](std::string_view field, const string_map& map) {
    if (map.empty()) return;
    std::string& o = member(meta, first_meta, field);
    o += "{\".\":{}";
    for (const auto& kv : map) {
      o += ',';
      write_json_string(o, "f:" + kv.first);
      o += ":{}";
    }
    o += '}';
  };
  keyed("f:annotations", m.annotations);
  if (!m.generate_name.empty()) member(meta, first_meta, "f:generateName") += "{}";
  keyed("f:labels", m.labels);
  if (!m.owner_references.empty()) {
    std::vector<std::string> uids;
    for (const auto& r : m.owner_references) uids.push_back(r.uid);
    std::sort(uids.begin(), uids.end());
    std::string& o = member(meta, first_meta, "f:ownerReferences");
    o += "{\".\":{}";
    for (const auto& uid : uids) {
      std::string key = "k:{\"uid\":";
      write_json_string(key, uid);
      key += '}';
      o += ',';
      write_json_string(o, key);
      o += ":{}";
    }
    o += '}';
  }
  meta += '}';
  for (std::string_view field : top) {
    if (field == "f:metadata") {
      if (!first_meta) member(out, first_top, field) += meta;
    } else {
      member(out, first_top, field) += "{}";
    }
  }
  out += '}';
  return out == "{}" ? std::string() : out;
}

}  // namespace detail

/// The managed field set (the `fieldsV1` of its managedFields entry) of the EndpointSlice controller
/// for a slice it wrote: `addressType`, `endpoints` and `ports` (atomic lists, so the set does not
/// grow with the endpoints), and in the metadata `generateName` and the keys of the labels,
/// annotations and owner references the slice carries. For the scenario Service's slices:
/// `{"f:addressType":{},"f:endpoints":{},"f:metadata":{"f:annotations":{".":{},"f:endpoints.kubernetes.io/last-change-trigger-time":{}},`
/// `"f:generateName":{},"f:labels":{".":{},"f:endpointslice.kubernetes.io/managed-by":{},"f:kubernetes.io/service-name":{}},`
/// `"f:ownerReferences":{".":{},"k:{\"uid\":\"<Service uid>\"}":{}}},"f:ports":{}}`.
template <class F>
[[nodiscard]] std::string controller_fields_v1(const basic_endpoint_slice<F>& s) {
  return detail::fields_v1_of(s.metadata, {"f:addressType", "f:endpoints", "f:metadata", "f:ports"});
}

/// The managed field set of the Endpoints controller for an Endpoints object it wrote: the keys of
/// its labels and annotations, and `subsets` (an atomic list) when it has any. Empty when the
/// object carries none of them.
[[nodiscard]] inline std::string controller_fields_v1(const endpoints& e) {
  if (e.subsets.empty()) return detail::fields_v1_of(e.metadata, {"f:metadata"});
  return detail::fields_v1_of(e.metadata, {"f:metadata", "f:subsets"});
}

/// The value of `metadata.managedFields` (compact JSON, as object_meta::extra holds it) holding
/// the one entry of an Update by `f.manager` through `api_version`: manager, operation `Update`,
/// apiVersion, time, fieldsType `FieldsV1` and fieldsV1, in Go's field order. Precondition:
/// `f.fields_v1` is non-empty compact JSON.
[[nodiscard]] inline std::string managed_fields_json(std::string_view api_version, const server_fields& f) {
  std::string out = "[";
  detail::object_writer w(out);
  w.string("manager", f.manager);
  w.string("operation", "Update");
  w.string("apiVersion", api_version);
  w.string("time", f.time);
  w.string("fieldsType", "FieldsV1");
  w.raw("fieldsV1", f.fields_v1);
  w.close();
  out += ']';
  return out;
}

/// `x` as the API server stores it and sends it to watchers: the object with `f`'s uid,
/// resourceVersion, generation (when non-zero) and creationTimestamp, and the managedFields entry
/// of managed_fields_json() (when `f.fields_v1` is non-empty) replacing any it had. Unknown fields
/// are not removed: the caller passes an object without them, as the API server would store it.
template <class T>
[[nodiscard]] T stored_object(T x, const server_fields& f) {
  auto& m = x.metadata;
  m.uid = f.uid;
  m.resource_version = std::to_string(f.resource_version);
  m.generation = f.generation;
  m.creation_timestamp = f.time;
  std::erase_if(m.extra, [](const unknown_field& u) { return u.key == "managedFields"; });
  if (!f.fields_v1.empty()) m.extra.push_back(unknown_field{"managedFields", managed_fields_json(sent_api_version(x), f)});
  return x;
}

namespace detail {

/// Decimal digits of `v`, with its sign.
[[nodiscard]] constexpr std::size_t decimal_digits(std::int64_t v) noexcept {
  std::size_t n = v < 0 ? 2 : 1;
  for (std::uint64_t u = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v); u >= 10; u /= 10) ++n;
  return n;
}

/// What the API server adds to one object apart from the parts that vary by write (the digits of
/// resourceVersion, and generation): measured once per object shape with the encoders themselves.
struct server_additions {
  std::size_t json = 0;     ///< JSON: uid, creationTimestamp, managedFields and `,"resourceVersion":""`
  std::size_t meta_pb = 0;  ///< protobuf: what uid, creationTimestamp and managedFields add to the metadata message
};

/// server_additions of an object of `api_version` stored with `f` (its resource_version and
/// generation are not used).
[[nodiscard]] inline server_additions measure_server_additions(std::string_view api_version, const server_fields& f) {
  object_meta m;
  m.name = "x";  // a metadata object that already has a member, as every stored object's has
  std::string before, after;
  write_object_meta(before, m);
  pb::sizer pb_before, pb_after;
  pb::object_meta_fields(pb_before, m);
  m.uid = f.uid;
  m.creation_timestamp = f.time;
  if (!f.fields_v1.empty()) m.extra.push_back(unknown_field{"managedFields", managed_fields_json(api_version, f)});
  write_object_meta(after, m);
  pb::object_meta_fields(pb_after, m);
  return {after.size() - before.size() + std::string_view(R"(,"resourceVersion":"")").size(), pb_after.n - pb_before.n};
}

/// The sizes of an object measured bare (`json` bytes of JSON, a protobuf message of `message`
/// bytes whose metadata message is `meta` bytes) once the API server has added `a`, the
/// resourceVersion `rv` and the generation `generation` (0: none). Precondition: the bare object
/// has a name and no uid, resourceVersion, generation, creationTimestamp or managedFields.
[[nodiscard]] inline object_sizes stored_sizes(std::size_t json, std::size_t message, std::size_t meta,
                                               const server_additions& a, std::string_view api_version,
                                               std::string_view kind, std::uint64_t rv,
                                               std::int64_t generation) noexcept {
  using pb::varint_size;
  const std::size_t rv_digits = decimal_digits(static_cast<std::int64_t>(rv));
  const std::size_t stored_json =
      json + a.json + rv_digits + (generation != 0 ? std::string_view(R"(,"generation":)").size() + decimal_digits(generation) : 0);
  // resourceVersion and generation are always on the wire (empty and 0 when bare); both grow by
  // their new bytes, the metadata's length prefix by what its new length needs.
  const std::size_t stored_meta = meta + a.meta_pb + rv_digits + (varint_size(pb::int_bits(generation)) - 1);
  const std::size_t stored_message = message + (stored_meta - meta) + varint_size(stored_meta) - varint_size(meta);
  return {stored_json, stored_message + protobuf_envelope_overhead(api_version, kind, stored_message)};
}

/// server_additions for the EndpointSlice controller's slices, measured again only when a slice's
/// managed field set differs from the last one's (the keys of its labels, annotations and owner
/// references, or its generateName).
class slice_additions_cache {
 public:
  const server_additions& get(const endpoint_slice_v4& s) {
    if (!valid_ || !same_shape(s.metadata)) {
      shape_ = s.metadata;
      server_fields f;
      f.uid = scenario_uid(s.metadata.name);
      f.fields_v1 = controller_fields_v1(s);
      additions_ = measure_server_additions(sent_api_version(s), f);
      valid_ = true;
    }
    return additions_;
  }

 private:
  [[nodiscard]] bool same_shape(const object_meta& m) const {
    const auto same_keys = [](const string_map& a, const string_map& b) {
      return a.size() == b.size() &&
             std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) { return x.first == y.first; });
    };
    return m.generate_name.empty() == shape_.generate_name.empty() && same_keys(m.labels, shape_.labels) &&
           same_keys(m.annotations, shape_.annotations) &&
           std::equal(m.owner_references.begin(), m.owner_references.end(), shape_.owner_references.begin(),
                      shape_.owner_references.end(), [](const auto& x, const auto& y) { return x.uid == y.uid; });
  }
  bool valid_ = false;
  object_meta shape_;
  server_additions additions_;
};

}  // namespace detail

/// One counted step of a simulation (recorded when simulation_options::record_steps is set).
struct simulation_step {
  std::size_t endpoints = 0;  ///< live endpoints after the step
  std::size_t slices = 0;     ///< objects after the step (the Endpoints object counts as one)
  double fullness = 0;        ///< endpoints / (slices x max per slice); 1 for the endpoints layout
  std::size_t writes = 0;
  std::uint64_t bytes_delivered_json = 0;
  std::uint64_t bytes_delivered_protobuf = 0;
};

/// Parameters of a simulation; zero `batch` means the scenario's default (1 for rolling_update,
/// 10 for scale_up and scale_down).
struct simulation_options {
  scenario_kind scenario = scenario_kind::create;
  std::size_t endpoints = 1000;
  std::size_t batch = 0;
  std::optional<std::size_t> steps;  ///< caps the number of counted steps
  double churn_percent = 1.0;
  std::uint64_t seed = 42;
  reconcile_options reconcile;
  simulation_layout layout = simulation_layout::slices;
  /// endpoints layout: keep at most max_endpoints_capacity (1000) addresses, as Kubernetes now
  /// does; otherwise the object holds every endpoint, as before truncation.
  bool truncate = false;
  std::size_t zones = 3;     ///< zones the world's 100 nodes are spread over (node k: zone k mod Z), 1..100
  std::size_t watchers = 1;  ///< watchers of the Service's objects; by_zone spreads them evenly over zones
  bool measure_bytes = true; ///< compute the byte counters (JSON and protobuf sizes of every write)
  measured_form form = measured_form::stored;  ///< the objects the byte counters measure
  bool record_steps = false; ///< fill simulation_result::trace
  /// Called after every counted step with (steps done, steps in all), e.g. to show progress.
  std::function<void(std::size_t, std::size_t)> progress;
  /// When set, read before and after every planning call (reconcile, or the Endpoints projection);
  /// the differences add up to simulation_result::planning_seconds. The simulation reads no clock
  /// itself.
  std::function<double()> clock;
};

/// Counters of a simulation, over the counted reconciles only (never the setup one).
///
/// Bytes: a create or update writes its object (a delete sends none) and every watcher that sees
/// the object receives one watch event: ADDED, MODIFIED, or DELETED carrying the object's last
/// state. Delivered bytes are whole watch events (sizes.hpp: the object plus the event framing)
/// times the watchers that receive them. Objects are measured in simulation_options::form: by
/// default as the API server stores and sends them (a created slice with its name, and uid,
/// resourceVersion, generation, creationTimestamp and the controller's managedFields entry), so
/// that written and delivered bytes are those of the stored object; `bare` measures them as the
/// controller writes them plus the name of a created slice.
struct simulation_result {
  std::size_t reconciles = 0;
  std::size_t creates = 0;
  std::size_t updates = 0;
  std::size_t deletes = 0;
  std::size_t writes = 0;
  std::size_t endpoints_written = 0;
  std::size_t final_endpoints = 0;
  std::size_t final_slices = 0;
  std::size_t ideal_slices = 0;  ///< ceil(N / M), 1 when N is 0 (1 for the endpoints layout)
  double final_fullness = 0;     ///< N / (slices x M) after the last reconcile
  double mean_fullness = 0;
  double min_fullness = 0;
  std::size_t endpoint_changes = 0;  ///< endpoints added plus endpoints removed by the counted steps
  std::uint64_t bytes_written_json = 0;
  std::uint64_t bytes_written_protobuf = 0;
  std::uint64_t watch_events = 0;  ///< events delivered, summed over watchers
  std::uint64_t bytes_delivered_json = 0;
  std::uint64_t bytes_delivered_protobuf = 0;
  std::size_t max_object_json = 0;      ///< largest object written, JSON bytes
  std::size_t max_object_protobuf = 0;  ///< largest object written, protobuf bytes (etcd stores protobuf)
  /// Writes of an object whose protobuf form exceeds etcd_request_limit (etcd would refuse them).
  std::size_t writes_over_etcd_limit = 0;
  double planning_seconds = 0;  ///< see simulation_options::clock
  std::vector<simulation_step> trace;
};

/// splitmix64 as docs/scenarios.md#the-world specifies it.
struct splitmix64 {
  std::uint64_t state = 0;
  /// The next 64-bit value.
  std::uint64_t next() noexcept {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// next() mod n (n > 0).
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
};

/// The endpoint of pod i of the scenario world: IP 10.<i>>16>.<i>>8>.<i>, node `node-<i mod 100>`,
/// zone a/b/c by node, ready and serving, targetRef to `default/pod-<i>` with the world's uid.
[[nodiscard]] inline endpoint_v4 scenario_endpoint(std::uint64_t i) {
  endpoint_v4 e;
  e.addresses.push_back(ipv4_address{{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                                      static_cast<std::uint8_t>(i)}});
  e.conditions = endpoint_conditions{true, true, false};
  const std::uint64_t node = i % 100;
  e.node_name = "node-" + std::to_string(node);
  static constexpr const char* zones[] = {"zone-a", "zone-b", "zone-c"};
  e.zone = std::string(zones[node % 3]);
  object_reference ref;
  ref.kind = "Pod";
  ref.namespace_ = "default";
  ref.name = "pod-" + std::to_string(i);
  ref.uid = "00000000-0000-4000-8000-";
  static constexpr char hex[] = "0123456789abcdef";
  for (int shift = 44; shift >= 0; shift -= 4) ref.uid += hex[(i >> shift) & 15];
  e.target_ref = std::move(ref);
  return e;
}

/// The scenario Service `default/svc` with one port `http` TCP 80, no endpoints yet.
[[nodiscard]] inline desired_state<ipv4> scenario_service() {
  desired_state<ipv4> d;
  d.service.namespace_ = "default";
  d.service.name = "svc";
  d.service.uid = "11111111-2222-4333-8444-555555555555";
  d.groups.emplace_back();
  endpoint_port p;
  p.name = "http";
  p.protocol = "TCP";
  p.port = 80;
  d.groups[0].ports.push_back(p);
  return d;
}

/// The name of zone k of the scenario world: `zone-a` ... `zone-z`, then `zone-26`, `zone-27`, ...
[[nodiscard]] inline std::string scenario_zone_name(std::size_t k) {
  if (k < 26) return std::string("zone-") + static_cast<char>('a' + k);
  return "zone-" + std::to_string(k);
}

/// scenario_endpoint(i) with the world's nodes spread over `zones` zones (node k in zone k mod
/// `zones`); with 3 zones it is scenario_endpoint(i).
[[nodiscard]] inline endpoint_v4 scenario_endpoint(std::uint64_t i, std::size_t zones) {
  endpoint_v4 e = scenario_endpoint(i);
  if (zones != 3 && zones > 0) e.zone = scenario_zone_name(static_cast<std::size_t>(i % 100) % zones);
  return e;
}

namespace detail {

/// The legacy Endpoints object projected from live endpoints (slices_to_endpoints: one subset,
/// addresses in IP text order, truncated to max_endpoints_capacity when asked), with its sizes kept
/// up to date as endpoints come and go, in time proportional to the change (plus the kept 1000
/// when truncating). Sizes are exact: they add the encoders' bytes of each address to those of the
/// object without addresses, and for the stored form what the API server adds (its uid, a
/// resourceVersion, creationTimestamp and the Endpoints controller's managedFields entry; the
/// Endpoints strategy keeps no generation).
class endpoints_object_model {
 public:
  endpoints_object_model(const desired_state<ipv4>& d, bool truncate) : truncate_(truncate) {
    for (auto with_annotation : {false, true}) {
      endpoints ep;
      ep.metadata.name = d.service.name;
      ep.metadata.namespace_ = d.service.namespace_;
      ep.metadata.labels = d.service.labels;
      if (d.service.headless) ep.metadata.labels.insert_or_assign(std::string(well_known::headless_label), std::string());
      if (with_annotation)
        ep.metadata.annotations.emplace(std::string(well_known::over_capacity_annotation),
                                        std::string(over_capacity_truncated));
      auto& t = templates_[with_annotation ? 1 : 0];
      server_fields f;
      f.uid = scenario_uid(ep.metadata.name);
      f.fields_v1 = controller_fields_v1(ep);
      t.stored_empty = measure_server_additions(ep.api_version, f);
      t.empty_json = json_size(ep);
      t.empty_message = protobuf_message_size(ep);
      pb::sizer meta;
      pb::object_meta_fields(meta, ep.metadata);
      t.meta_message = meta.n;
      endpoint_subset sub;
      if (!d.groups.empty())
        for (const auto& p : d.groups[0].ports)
          if (p.port)
            sub.ports.push_back(endpoints_port{p.name.value_or(""), *p.port, p.protocol.value_or("TCP"), p.app_protocol, {}});
      pb::sizer ports;
      pb::endpoint_subset_fields(ports, sub);
      t.ports_pb = ports.n;
      ep.subsets.push_back(std::move(sub));
      t.ports_only_json = json_size(ep);
      f.fields_v1 = controller_fields_v1(ep);
      t.stored = measure_server_additions(ep.api_version, f);
    }
  }

  /// Add endpoint `e` under key `id` (unique while present).
  void add(std::uint64_t id, const endpoint_v4& e) {
    endpoint_address a;
    ipv4::format(a.ip, e.addresses.front());
    a.node_name = e.node_name;
    a.target_ref = std::optional<object_reference>(e.target_ref);
    pb::sizer s;
    pb::endpoint_address_fields(s, a);
    std::string json;
    write_endpoint_address(json, a);
    entry en{std::move(a.ip), id, json.size(), 1 + pb::varint_size(s.n) + s.n};
    sum_json_ += en.json;
    sum_pb_ += en.pb_field;
    by_id_.emplace(id, en);
    ordered_.insert(std::move(en));
  }
  /// Remove the endpoint added under `id`.
  void remove(std::uint64_t id) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    sum_json_ -= it->second.json;
    sum_pb_ -= it->second.pb_field;
    ordered_.erase(it->second);
    by_id_.erase(it);
  }
  /// Addresses in the object.
  [[nodiscard]] std::size_t kept() const noexcept {
    return truncate_ ? std::min(ordered_.size(), max_endpoints_capacity) : ordered_.size();
  }
  /// True when the object is truncated.
  [[nodiscard]] bool truncated() const noexcept { return truncate_ && ordered_.size() > max_endpoints_capacity; }
  /// The object's sizes as the controller writes it.
  [[nodiscard]] object_sizes sizes() const { return sizes(measured_form::bare, 0); }
  /// The object's sizes in `form`; a stored object has the resourceVersion `rv`.
  [[nodiscard]] object_sizes sizes(measured_form form, std::uint64_t rv) const {
    const bool cut = truncated();
    const auto& t = templates_[cut ? 1 : 0];
    const std::size_t k = kept();
    std::size_t json = t.empty_json, message = t.empty_message;
    if (k > 0) {
      std::size_t pb_fields = 0;
      json = 0;
      if (cut) {
        std::size_t n = 0;
        for (auto it = ordered_.begin(); n < k; ++it, ++n) {
          json += it->json;
          pb_fields += it->pb_field;
        }
      } else {
        json = sum_json_;
        pb_fields = sum_pb_;
      }
      // `"addresses":[` + addresses and their commas + `],`.
      json += t.ports_only_json + 13 + (k - 1) + 2;
      const std::size_t subset = pb_fields + t.ports_pb;
      message = 1 + pb::varint_size(t.meta_message) + t.meta_message + 1 + pb::varint_size(subset) + subset;
    }
    if (form == measured_form::bare) return {json, message + protobuf_envelope_overhead("v1", "Endpoints", message)};
    return stored_sizes(json, message, t.meta_message, k > 0 ? t.stored : t.stored_empty, "v1", "Endpoints", rv, 0);
  }

 private:
  struct entry {
    std::string ip;
    std::uint64_t id = 0;
    std::size_t json = 0;      // bytes of the address object in JSON
    std::size_t pb_field = 0;  // bytes of the address as a field of the subset message
    bool operator<(const entry& o) const { return ip != o.ip ? ip < o.ip : id < o.id; }
  };
  struct object_template {
    std::size_t empty_json = 0;       // no subsets at all
    std::size_t empty_message = 0;
    std::size_t ports_only_json = 0;  // one subset holding the ports only
    std::size_t meta_message = 0;     // the metadata message
    std::size_t ports_pb = 0;         // the port fields of the subset message
    server_additions stored;          // what the API server adds, with subsets
    server_additions stored_empty;    // and without
  };
  bool truncate_;
  object_template templates_[2];
  std::set<entry> ordered_;
  std::map<std::uint64_t, entry> by_id_;
  std::size_t sum_json_ = 0, sum_pb_ = 0;
};

/// The live pods of a simulation. Pods are numbered in the order they are added, so their order
/// of creation is the order of their ids. The k-th live pod is found and removed in O(log n)
/// through a Fenwick tree of live counts over slots holding pod ids, which keeps random and
/// oldest-first removals linear in the number of removals rather than in the number of pods; the
/// slots of removed pods are dropped once they outnumber the live ones, so memory stays linear in
/// the live pods however many come and go.
class live_pods {
 public:
  /// Adds the next pod; returns its id.
  std::uint64_t add() {
    if (ids_.size() >= 2 * size_ + 1024) compact();
    push(next_id_);
    return next_id_++;
  }
  /// Live pods.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// True while pod `id` is live.
  [[nodiscard]] bool alive(std::uint64_t id) const noexcept {
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    return it != ids_.end() && *it == id && alive_[static_cast<std::size_t>(it - ids_.begin())];
  }
  /// The id of the k-th live pod in creation order (k < size()).
  [[nodiscard]] std::uint64_t at(std::size_t k) const noexcept {
    std::size_t pos = 0, rest = k + 1;
    for (std::size_t step = top_; step > 0; step >>= 1)
      if (pos + step <= tree_.size() && tree_[pos + step - 1] < rest) {
        pos += step;
        rest -= tree_[pos - 1];
      }
    return ids_[pos];  // the slot after the `pos` slots whose live count is below k + 1
  }
  /// Removes live pod `id`.
  void remove(std::uint64_t id) noexcept {
    const auto slot = static_cast<std::size_t>(std::lower_bound(ids_.begin(), ids_.end(), id) - ids_.begin());
    alive_[slot] = false;
    --size_;
    for (std::size_t i = slot + 1; i <= tree_.size(); i += i & (0 - i)) --tree_[i - 1];
  }
  /// Calls fn(id) for every live pod in creation order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < ids_.size(); ++i)
      if (alive_[i]) fn(ids_[i]);
  }

 private:
  void push(std::uint64_t id) {
    const std::size_t i = tree_.size() + 1;  // 1-based: tree_[i - 1] counts the slots (i - lowbit(i), i]
    std::uint32_t count = 1;
    for (std::size_t j = i - 1; j > i - (i & (0 - i)); j -= j & (0 - j)) count += tree_[j - 1];
    tree_.push_back(count);
    ids_.push_back(id);
    alive_.push_back(true);
    while (top_ < i) top_ = top_ ? top_ * 2 : 1;  // the descent's first step: a power of two >= the slots
    ++size_;
  }
  void compact() {
    std::vector<std::uint64_t> live;
    live.reserve(size_);
    for_each([&](std::uint64_t id) { live.push_back(id); });
    ids_.clear();
    tree_.clear();
    alive_.clear();
    size_ = 0;
    top_ = 0;
    for (std::uint64_t id : live) push(id);
  }

  std::vector<std::uint64_t> ids_;  // slot -> pod id, increasing
  std::vector<std::uint32_t> tree_;
  std::vector<bool> alive_;
  std::size_t size_ = 0;
  std::size_t top_ = 0;
  std::uint64_t next_id_ = 0;
};

/// The zone all endpoints of a slice share, or -1 when they do not share one (or there are none).
[[nodiscard]] inline long slice_zone(const endpoint_slice_v4& s, const std::vector<std::string>& zones) {
  long z = -1;
  for (const auto& e : s.endpoints) {
    long k = -1;
    if (e.zone)
      for (std::size_t i = 0; i < zones.size(); ++i)
        if (zones[i] == *e.zone) k = static_cast<long>(i);
    if (k < 0 || (z >= 0 && k != z)) return -1;
    z = k;
  }
  return z;
}

/// The slice named `name` in `slices` (sorted by name), or end().
inline std::vector<endpoint_slice_v4>::iterator find_slice(std::vector<endpoint_slice_v4>& slices, std::string_view name) {
  auto it = std::lower_bound(slices.begin(), slices.end(), name,
                             [](const endpoint_slice_v4& s, std::string_view k) { return s.metadata.name < k; });
  return it != slices.end() && it->metadata.name == name ? it : slices.end();
}

/// epslice::apply(plan, slices, namer) done in place: the same result (slices sorted by name), in
/// time proportional to the plan rather than to the number of slices. Moves the created and
/// updated slices out of `plan` (its `remove` stays as it was); returns the names given to the
/// created slices, in the plan's order.
inline std::vector<std::string> apply_in_place(slice_plan<ipv4>& plan, std::vector<endpoint_slice_v4>& slices,
                                               slice_namer& namer) {
  std::vector<std::string> created;
  created.reserve(plan.create.size());
  for (auto& c : plan.create) {
    c.metadata.name = namer(c.metadata);
    auto it = std::lower_bound(slices.begin(), slices.end(), c.metadata.name,
                               [](const endpoint_slice_v4& s, const std::string& k) { return s.metadata.name < k; });
    if (it != slices.end() && it->metadata.name == c.metadata.name)
      throw_error("metadata.name", "apply: created slice name \"" + c.metadata.name + "\" is taken");
    created.push_back(c.metadata.name);
    slices.insert(it, std::move(c));
  }
  const auto existing = [&](const std::string& name) {
    auto it = find_slice(slices, name);
    if (it == slices.end()) throw_error("metadata.name", "apply: slice \"" + name + "\" does not exist");
    return it;
  };
  for (auto& u : plan.update) {
    const auto it = existing(u.metadata.name);
    *it = std::move(u);
  }
  for (const auto& d : plan.remove) slices.erase(existing(d.metadata.name));
  return created;
}

/// `a + b`, or epslice::error when the sum does not fit 64 bits (counters never wrap silently).
[[nodiscard]] inline std::uint64_t checked_add(std::uint64_t a, std::uint64_t b) {
  if (b > UINT64_MAX - a)
    throw_error("watchers", "the byte counters exceed 2^64 - 1: simulate fewer watchers, endpoints or steps");
  return a + b;
}
/// `a * b`, or epslice::error as checked_add.
[[nodiscard]] inline std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a)
    throw_error("watchers", "the byte counters exceed 2^64 - 1: simulate fewer watchers, endpoints or steps");
  return a * b;
}

}  // namespace detail

/// Run one scenario of docs/scenarios.md through a layout and return its counters. Deterministic: the
/// same options always give the same result.
///
/// 1. The scenario's steps add and remove pods of the scenario world (scenario_endpoint).
/// 2. After each step, the slices layouts reconcile the live endpoints against the slices written
///    so far and apply the plan; the endpoints layout projects them into the one Endpoints object
///    (written whenever the endpoint set changed: created first, then updated).
/// 3. Each write is measured (sizes.hpp) in options.form, by default as the API server stores it:
///    every write, the setup's included, takes the next resourceVersion from
///    scenario_first_resource_version, a slice's generation counts its writes, and its uid, time
///    and managedFields entry are those of server_fields for controller_fields_v1().
/// 4. Each write is delivered to the watchers that see it: every watcher, or in the by_zone layout
///    the watchers of the slice's zone (a slice that changes zone reaches the old zone's watchers as
///    a DELETED event). A DELETED event carries the object's last state with the delete's
///    resourceVersion.
///
/// Time and memory: linear in the endpoints for the Service's state, and per step in the change
/// for the endpoints layout, in the endpoints for the slices layouts (each step reconciles them all).
///
/// Throws epslice::error for invalid reconcile options, zones outside 1..100, or byte counters that
/// would exceed 64 bits.
[[nodiscard]] inline simulation_result simulate(const simulation_options& o) {
  const std::size_t n = o.endpoints;
  const std::size_t m = o.reconcile.max_endpoints_per_slice;
  if (o.zones < 1 || o.zones > 100)
    detail::throw_error("zones", "invalid value \"" + std::to_string(o.zones) + "\": must be between 1 and 100");
  reconcile_options ropt = o.reconcile;
  if (o.layout == simulation_layout::by_zone) ropt.layout = slice_layout::by_zone;
  detail::check_options(ropt);
  std::size_t batch = o.batch;
  if (batch == 0) batch = o.scenario == scenario_kind::rolling_update ? 1 : 10;
  std::size_t steps = 0;
  switch (o.scenario) {
    case scenario_kind::create: steps = 1; break;
    case scenario_kind::rolling_update:
    case scenario_kind::scale_up: steps = n / batch; break;
    case scenario_kind::scale_down: steps = (n - n / 10) / batch; break;
    case scenario_kind::churn: steps = 200; break;
  }
  if (o.steps && *o.steps < steps) steps = *o.steps;

  const bool monolithic = o.layout == simulation_layout::endpoints;
  const bool stored = o.form == measured_form::stored;
  splitmix64 rng{o.seed};
  detail::live_pods live;
  std::vector<endpoint_slice_v4> slices;
  slice_namer namer;
  desired_state<ipv4> desired = scenario_service();
  std::optional<detail::endpoints_object_model> object;
  if (monolithic) object.emplace(desired, o.truncate);
  bool object_exists = false, dirty = false;
  simulation_result r;
  double fullness_sum = 0;

  // The server's bookkeeping for the stored form: the next resourceVersion, and each slice's
  // generation (its writes so far).
  std::uint64_t next_rv = scenario_first_resource_version;
  std::unordered_map<std::string, std::int64_t> generations;
  detail::slice_additions_cache additions;

  // Watchers per group: one group holding everyone, or one group per zone.
  std::vector<std::string> zone_names;
  for (std::size_t z = 0; z < o.zones; ++z) zone_names.push_back(scenario_zone_name(z));
  const bool zoned = o.layout == simulation_layout::by_zone;
  std::vector<std::uint64_t> group_watchers;
  if (zoned)
    for (std::size_t z = 0; z < o.zones; ++z) group_watchers.push_back(o.watchers / o.zones + (z < o.watchers % o.zones ? 1 : 0));
  else
    group_watchers.push_back(o.watchers);

  simulation_step step;
  const auto deliver = [&](watch_event_type t, const object_sizes& sz, std::uint64_t watchers) {
    if (watchers == 0) return;
    const object_sizes ev = watch_event_sizes(t, sz);
    const std::uint64_t json = detail::checked_mul(watchers, ev.json), pb = detail::checked_mul(watchers, ev.protobuf);
    r.watch_events = detail::checked_add(r.watch_events, watchers);
    r.bytes_delivered_json = detail::checked_add(r.bytes_delivered_json, json);
    r.bytes_delivered_protobuf = detail::checked_add(r.bytes_delivered_protobuf, pb);
    step.bytes_delivered_json += json;
    step.bytes_delivered_protobuf += pb;
  };
  const auto written = [&](const object_sizes& sz) {
    r.bytes_written_json = detail::checked_add(r.bytes_written_json, sz.json);
    r.bytes_written_protobuf = detail::checked_add(r.bytes_written_protobuf, sz.protobuf);
    r.max_object_json = std::max(r.max_object_json, sz.json);
    r.max_object_protobuf = std::max(r.max_object_protobuf, sz.protobuf);
    if (sz.protobuf > etcd_request_limit) ++r.writes_over_etcd_limit;
  };
  // A slice's sizes in the measured form, stored with resourceVersion `rv` and `generation`.
  const auto slice_sizes = [&](const endpoint_slice_v4& s, std::uint64_t rv, std::int64_t generation) {
    const std::size_t json = json_size(s), message = protobuf_message_size(s);
    if (!stored) return object_sizes{json, message + protobuf_envelope_overhead(sent_api_version(s), sent_kind(s), message)};
    detail::pb::sizer meta;
    detail::pb::object_meta_fields(meta, s.metadata);
    return detail::stored_sizes(json, message, meta.n, additions.get(s), sent_api_version(s), sent_kind(s), rv, generation);
  };
  // A slice write: `before` is the slice's previous state (null for a create), `after` its new
  // state (null for a delete); zb and za their zones (by_zone only).
  const auto slice_write = [&](const endpoint_slice_v4* before, const object_sizes& sb, long zb,
                               const endpoint_slice_v4* after, const object_sizes& sa, long za) {
    if (!zoned) {
      if (after) deliver(before ? watch_event_type::modified : watch_event_type::added, sa, group_watchers[0]);
      else deliver(watch_event_type::deleted, sb, group_watchers[0]);
      return;
    }
    for (std::size_t z = 0; z < o.zones; ++z) {
      const auto zl = static_cast<long>(z);
      const bool in_before = before && (zb == -1 || zb == zl);
      const bool in_after = after && (za == -1 || za == zl);
      if (in_after) deliver(in_before ? watch_event_type::modified : watch_event_type::added, sa, group_watchers[z]);
      else if (in_before) deliver(watch_event_type::deleted, sb, group_watchers[z]);
    }
  };

  // The desired endpoints (slices layouts only), in creation order as the live pods are, with
  // their pod ids beside them. Removals only mark pods dead; the list is compacted once before
  // the next reconcile, so that a step costs one pass however many pods it removes.
  auto& eps = desired.groups[0].endpoints;
  std::vector<std::uint64_t> eps_ids;
  bool eps_stale = false;
  const auto add = [&](std::size_t k) {
    for (std::size_t j = 0; j < k; ++j) {
      const std::uint64_t id = live.add();
      if (object) {
        object->add(id, scenario_endpoint(id, o.zones));
      } else {
        eps.push_back(scenario_endpoint(id, o.zones));
        eps_ids.push_back(id);
      }
      dirty = true;
    }
  };
  const auto remove_pod = [&](std::uint64_t id) {
    if (object) object->remove(id);
    live.remove(id);
    eps_stale = !object;
    dirty = true;
  };
  const auto remove_random = [&](std::size_t k) {
    for (std::size_t j = 0; j < k && live.size() > 0; ++j) remove_pod(live.at(static_cast<std::size_t>(rng.below(live.size()))));
  };
  const auto remove_lowest = [&](std::size_t k) {
    for (std::size_t j = 0; j < k && live.size() > 0; ++j) remove_pod(live.at(0));
  };
  const auto compact_desired = [&] {
    if (!eps_stale) return;
    // Both lists are in creation order and the live pods are a subsequence of the listed ones:
    // keep each listed pod that is the next live one.
    std::size_t kept = 0, i = 0;
    live.for_each([&](std::uint64_t id) {
      while (eps_ids[i] != id) ++i;
      if (kept != i) {
        eps[kept] = std::move(eps[i]);
        eps_ids[kept] = id;
      }
      ++kept;
      ++i;
    });
    eps.erase(eps.begin() + static_cast<std::ptrdiff_t>(kept), eps.end());
    eps_ids.resize(kept);
    eps_stale = false;
  };

  const auto run_endpoints = [&](bool counted) {
    const double t0 = o.clock ? o.clock() : 0.0;
    const bool write = dirty || !object_exists;
    const std::uint64_t rv = write ? next_rv++ : 0;
    object_sizes sz;
    if (write && counted && o.measure_bytes) sz = object->sizes(o.form, rv);
    if (o.clock) r.planning_seconds += counted ? o.clock() - t0 : 0.0;
    dirty = false;
    const bool created = !object_exists;
    object_exists = true;
    if (!counted || !write) return;
    (created ? r.creates : r.updates) += 1;
    r.endpoints_written += object->kept();
    ++step.writes;
    if (o.measure_bytes) {
      written(sz);
      deliver(created ? watch_event_type::added : watch_event_type::modified, sz, o.watchers);
    }
  };

  const auto run_slices = [&](bool counted) {
    compact_desired();
    const double t0 = o.clock ? o.clock() : 0.0;
    auto plan = reconcile(desired, slices, ropt);
    if (o.clock && counted) r.planning_seconds += o.clock() - t0;
    const bool measure = counted && o.measure_bytes;
    const bool track = o.measure_bytes && stored;  // the server's resourceVersions and generations
    if (counted) {
      r.creates += plan.stats.creates;
      r.updates += plan.stats.updates;
      r.deletes += plan.stats.deletes;
      r.endpoints_written += plan.stats.endpoints_written;
      step.writes += plan.stats.writes;
    }
    // The server takes the writes in order (creates, updates, deletes), each with the next
    // resourceVersion. Before apply replaces them: each updated slice's zone and, when its zone
    // changes, its previous state, which the old zone's watchers receive as DELETED.
    struct update_record {
      std::string name;
      long zone_before = -1;
      object_sizes before;
    };
    std::vector<update_record> updates;
    if (!track && !measure) {  // nothing to count: apply only
      detail::apply_in_place(plan, slices, namer);
      return;
    }
    updates.reserve(plan.update.size());
    const std::uint64_t first_update_rv = next_rv + plan.create.size();
    for (const auto& u : plan.update) {
      update_record rec{u.metadata.name, -1, {}};
      if (measure && zoned) {
        const auto it = detail::find_slice(slices, u.metadata.name);
        if (it != slices.end()) {
          rec.zone_before = detail::slice_zone(*it, zone_names);
          if (rec.zone_before != detail::slice_zone(u, zone_names)) {
            const auto g = generations.find(u.metadata.name);
            rec.before = slice_sizes(*it, first_update_rv + updates.size(), g != generations.end() ? g->second : 1);
          }
        }
      }
      updates.push_back(std::move(rec));
    }
    const auto created = detail::apply_in_place(plan, slices, namer);

    for (const auto& name : created) {
      const std::uint64_t rv = next_rv++;
      if (track) generations[name] = 1;
      if (!measure) continue;
      const auto& s = *detail::find_slice(slices, name);
      const object_sizes sz = slice_sizes(s, rv, 1);
      written(sz);
      slice_write(nullptr, {}, 0, &s, sz, zoned ? detail::slice_zone(s, zone_names) : -1);
    }
    for (const auto& u : updates) {
      const std::uint64_t rv = next_rv++;
      const std::int64_t generation = track ? ++generations[u.name] : 0;
      if (!measure) continue;
      const auto& s = *detail::find_slice(slices, u.name);
      const object_sizes sz = slice_sizes(s, rv, generation);
      written(sz);
      slice_write(&s, u.before, u.zone_before, &s, sz, zoned ? detail::slice_zone(s, zone_names) : -1);
    }
    for (const auto& d : plan.remove) {
      const std::uint64_t rv = next_rv++;
      std::int64_t generation = 0;
      if (const auto g = generations.find(d.metadata.name); g != generations.end()) {
        generation = g->second;
        generations.erase(g);
      }
      if (!measure) continue;
      slice_write(&d, slice_sizes(d, rv, generation), zoned ? detail::slice_zone(d, zone_names) : -1, nullptr, {}, 0);
    }
  };

  const auto run = [&](bool counted) {
    step = simulation_step{};
    if (monolithic) run_endpoints(counted);
    else run_slices(counted);
    if (!counted) return;
    ++r.reconciles;
    double f = 0.0;
    std::size_t objects = slices.size();
    if (monolithic) {
      objects = object_exists ? 1 : 0;
      f = object_exists ? 1.0 : 0.0;
    } else if (!slices.empty()) {
      f = static_cast<double>(live.size()) / (static_cast<double>(slices.size()) * static_cast<double>(m));
    }
    fullness_sum += f;
    r.min_fullness = r.reconciles == 1 ? f : std::min(r.min_fullness, f);
    r.final_fullness = f;
    if (o.record_steps) {
      step.endpoints = live.size();
      step.slices = objects;
      step.fullness = f;
      r.trace.push_back(step);
    }
    if (o.progress) o.progress(r.reconciles, steps);
  };

  switch (o.scenario) {
    case scenario_kind::create:
      add(n);
      r.endpoint_changes += n;
      run(true);
      break;
    case scenario_kind::rolling_update:
      add(n);
      run(false);
      for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t before = live.size();
        remove_lowest(batch);
        add(batch);
        r.endpoint_changes += std::min(batch, before) + batch;
        run(true);
      }
      break;
    case scenario_kind::scale_up:
      for (std::size_t s = 0; s < steps; ++s) {
        add(batch);
        r.endpoint_changes += batch;
        run(true);
      }
      break;
    case scenario_kind::scale_down:
      add(n);
      run(false);
      for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t before = live.size();
        remove_random(batch);
        r.endpoint_changes += before - live.size();
        run(true);
      }
      break;
    case scenario_kind::churn: {
      add(n);
      run(false);
      const auto k = static_cast<std::size_t>(static_cast<double>(n) * o.churn_percent / 100.0 + 0.5);
      for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t before = live.size();
        remove_random(k);
        r.endpoint_changes += before - live.size() + k;
        add(k);
        run(true);
      }
      break;
    }
  }
  r.writes = r.creates + r.updates + r.deletes;
  r.final_endpoints = live.size();
  if (monolithic) {
    r.final_slices = object_exists ? 1 : 0;
    r.ideal_slices = 1;
  } else {
    r.final_slices = slices.size();
    r.ideal_slices = live.size() == 0 ? 1 : (live.size() + m - 1) / m;
  }
  r.mean_fullness = r.reconciles ? fullness_sum / static_cast<double>(r.reconciles) : 0.0;
  return r;
}

}  // namespace epslice
