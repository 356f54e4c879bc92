// SPDX-License-Identifier: Apache-2.0
// Kubernetes JSON for the typed model: decoding with field paths, byte-exact encoding.
//
// Decoding reads text with epslice's own incremental, limited reader (stream.hpp) straight into
// the types (no DOM): single objects, Lists (`List`, `EndpointSliceList`, `PodList`, ...), streams
// of concatenated objects as `kubectl get -o json --watch` prints them, and watch events
// (`{"type": ..., "object": ...}`). discovery.k8s.io/v1beta1 slices are converted to v1. A repeated
// key keeps its last value (and is recorded on the object). nlohmann values are accepted too, and
// written to text first, without recursion.
// Encoding writes JSON straight from the types in the API server's field order with its omitempty
// rules and Go's string escaping, so sizes are byte-exact. This is the only public header that
// includes nlohmann/json.hpp.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "detail/json_dom.hpp"
#include "detail/json_pod.hpp"
#include "detail/json_writer.hpp"
#include "document.hpp"
#include "error.hpp"
#include "pod.hpp"
#include "stream.hpp"
#include "types.hpp"

namespace epslice {

// ---------------------------------------------------------------------------------------------
// Encoding

/// Append the compact Kubernetes JSON of a slice to `out`.
template <class F>
void encode_to(std::string& out, const basic_endpoint_slice<F>& s) {
  detail::write_endpoint_slice(out, s);
}
/// Append the compact Kubernetes JSON of a slice of any family to `out`.
inline void encode_to(std::string& out, const any_endpoint_slice& s) {
  std::visit([&](const auto& x) { detail::write_endpoint_slice(out, x); }, s);
}
/// Append the compact Kubernetes JSON of a legacy Endpoints object to `out`.
inline void encode_to(std::string& out, const endpoints& e) { detail::write_endpoints(out, e); }

/// Options of encoding a decoded object.
struct encode_options {
  /// Also write the `kind` and `apiVersion` an object took from its typed list or from its kind
  /// (decoded_object::kind_inferred, api_version_inferred), in front, as the API server sends the
  /// object to a watcher. Off (the default), the object is written as it was read, so that a
  /// List re-encoded around it reads back the same. The objects themselves hold these fields,
  /// so encode(slice) and the sizes of sizes.hpp always count them.
  bool inferred_type_fields = false;
};

/// Append the compact JSON of a decoded object to `out`: slices and Endpoints as the API server
/// writes them, raw objects as read (compacted, repeated keys resolved), without the type fields
/// it only inferred unless `options` asks for them.
inline void encode_to(std::string& out, const decoded_object& o, const encode_options& options = {}) {
  const bool kind = options.inferred_type_fields || !o.kind_inferred;
  const bool api_version = options.inferred_type_fields || !o.api_version_inferred;
  if (const auto* s = o.value.get_if<any_endpoint_slice>()) {
    std::visit([&](const auto& x) { detail::write_endpoint_slice(out, x, kind, api_version); }, *s);
    return;
  }
  if (const auto* e = o.value.get_if<endpoints>()) {
    detail::write_endpoints(out, *e, kind, api_version);
    return;
  }
  const raw_object& r = *o.value.get_if<raw_object>();
  const bool add_kind = options.inferred_type_fields && o.kind_inferred && !r.kind.empty();
  const bool add_api_version = options.inferred_type_fields && o.api_version_inferred && !r.api_version.empty();
  if ((!add_kind && !add_api_version) || r.json.size() < 2 || r.json.front() != '{') {
    out += r.json;
    return;
  }
  out += '{';
  if (add_kind) {
    out += "\"kind\":";
    detail::write_json_string(out, r.kind);
  }
  if (add_api_version) {
    if (add_kind) out += ',';
    out += "\"apiVersion\":";
    detail::write_json_string(out, r.api_version);
  }
  if (r.json != "{}") out += ',';
  out.append(r.json, 1, std::string::npos);
}
/// The compact JSON of a decoded object (see encode_to(std::string&, const decoded_object&, ...)).
[[nodiscard]] inline std::string encode(const decoded_object& o, const encode_options& options) {
  std::string out;
  encode_to(out, o, options);
  return out;
}

/// The compact Kubernetes JSON of an object, as the API server writes it (field order, omitempty,
/// escaping), without a trailing newline.
template <class T>
[[nodiscard]] std::string encode(const T& x) {
  std::string out;
  encode_to(out, x);
  return out;
}

/// The exact number of bytes of encode(x).
template <class T>
[[nodiscard]] std::size_t encoded_size(const T& x) {
  return encode(x).size();
}

// ---------------------------------------------------------------------------------------------
// Lists and kubectl's indentation

/// Append the compact JSON of a List up to its first item: `{"apiVersion":...,"kind":...,
/// "metadata":{"resourceVersion":...},"items":[`, the header's fields in the API server's order (a
/// reader learns the items' type before them). Without a header, or for empty fields, a plain
/// `List` of apiVersion `v1` with an empty resourceVersion, as `kubectl get -o json` prints.
/// End the List with append_list_end; separate items with `,`.
inline void append_list_begin(std::string& out, const list_header* header = nullptr) {
  const auto or_default = [](const std::string* v, std::string_view fallback) {
    return v && !v->empty() ? std::string_view(*v) : fallback;
  };
  out += R"({"apiVersion":)";
  detail::write_json_string(out, or_default(header ? &header->api_version : nullptr, "v1"));
  out += R"(,"kind":)";
  detail::write_json_string(out, or_default(header ? &header->kind : nullptr, "List"));
  out += R"(,"metadata":{"resourceVersion":)";
  detail::write_json_string(out, header ? std::string_view(header->metadata.resource_version) : std::string_view());
  out += R"(},"items":[)";
}
/// Append the end of a List begun with append_list_begin.
inline void append_list_end(std::string& out) { out += "]}"; }

/// The compact JSON of a List holding `items` (anything encode() takes), in order.
template <class T>
[[nodiscard]] std::string encode_list(const std::vector<T>& items, const list_header* header = nullptr) {
  std::string out;
  append_list_begin(out, header);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if constexpr (std::is_same_v<T, decoded_object>) {
      encode_to(out, items[i], encode_options{});
    } else {
      encode_to(out, items[i]);
    }
  }
  append_list_end(out);
  return out;
}

/// Re-indents compact JSON as kubectl prints it: `indent` spaces per level, `"key": value`, `{}`
/// and `[]` on one line. Fed in pieces split anywhere (a value may span calls); the output of each
/// piece is appended to `out`. Indentation stops growing at `max_depth` levels (deeper lines are
/// indented as that level), so the output stays linear in the input however deep a value nests.
/// The input must be compact JSON (no white space outside strings), as encode() writes it.
class json_indenter {
 public:
  explicit json_indenter(int indent = 4, int max_depth = 32) noexcept : indent_(indent), max_depth_(max_depth) {}

  /// Appends the indented form of the next piece to `out`.
  void append(std::string_view compact, std::string& out) {
    for (const char c : compact) put(c, out);
  }

 private:
  void newline(std::string& out) const {
    out += '\n';
    out.append(static_cast<std::size_t>(std::min(depth_, max_depth_) * indent_), ' ');
  }
  void put(char c, std::string& out) {
    if (in_string_) {
      out += c;
      if (escaped_) escaped_ = false;
      else if (c == '\\') escaped_ = true;
      else if (c == '"') in_string_ = false;
      return;
    }
    if (open_pending_) {
      // `{}` and `[]` stay on one line; anything else opens an indented block.
      open_pending_ = false;
      if (c == '}' || c == ']') {
        out += c;
        return;
      }
      ++depth_;
      newline(out);
    }
    switch (c) {
      case '"':
        in_string_ = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        open_pending_ = true;
        break;
      case '}':
      case ']':
        --depth_;
        newline(out);
        out += c;
        break;
      case ',':
        out += c;
        newline(out);
        break;
      case ':': out += ": "; break;
      default: out += c; break;
    }
  }

  int indent_;
  int max_depth_;
  int depth_ = 0;
  bool in_string_ = false, escaped_ = false, open_pending_ = false;
};

/// The compact JSON `compact` indented as kubectl prints it (see json_indenter), without a
/// trailing newline.
[[nodiscard]] inline std::string indent_json(std::string_view compact, int indent = 4) {
  std::string out;
  out.reserve(compact.size() + compact.size() / 2);
  json_indenter(indent).append(compact, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Decode every object of a whole input (see stream_decoder for the shapes it reads): a single
/// object, a List or typed list, a bare array of objects, a stream of concatenated top-level
/// values, watch events. Never throws for bad content: a syntax error stops the reading and is
/// reported in `syntax_error` (with line and column); wrong types, numbers out of range and
/// limits passed are reported per object; the rest of each object is still read. Empty input
/// is a syntax error. Throws epslice::error only when `limits` is out of range.
[[nodiscard]] inline decoded_document decode_document(std::string_view text, const decode_limits& limits = {}) {
  stream_decoder d(limits);
  d.feed(text);
  d.finish();
  decoded_document doc;
  while (auto e = d.next()) doc.events.push_back(std::move(*e));
  doc.lists = d.take_lists();
  doc.problems = d.take_problems();
  doc.values = d.values();
  doc.had_list = d.had_list();
  doc.syntax_error = d.syntax_error();
  return doc;
}

namespace detail {

inline std::string absolute_path(const decoded_object& o, const std::string& rel) {
  if (o.location.empty()) return rel;
  if (rel.empty()) return o.location;
  return o.location + "." + rel;
}

// The one object of a document, or throw with every problem found (repeated keys are not
// problems: the last value is kept).
template <class Want>
Want single_object(decoded_document&& doc, std::string_view what) {
  if (doc.syntax_error) {
    const auto& e = *doc.syntax_error;
    throw_error("", "not JSON: line " + std::to_string(e.line) + ", column " + std::to_string(e.column) +
                        ": " + e.message);
  }
  field_errors all = std::move(doc.problems);
  for (const auto& ev : doc.events)
    for (const auto& p : ev.object.problems) {
      field_error a = p;
      a.path = absolute_path(ev.object, p.path);
      all.push_back(std::move(a));
    }
  if (!all.empty()) throw_error(std::move(all));
  if (doc.had_list)
    throw_error("", "expected one " + std::string(what) + ", found a list of " +
                        std::to_string(doc.events.size()) + " objects");
  if (doc.events.size() != 1)
    throw_error("", "expected one " + std::string(what) + ", found " + std::to_string(doc.events.size()) +
                        " objects");
  // A watch event is a change to apply, not an object: an ADDED or DELETED wrapper read as the
  // object itself would lose what happened to it.
  if (const stream_shape shape = doc.events.front().shape; shape != stream_shape::object)
    throw_error("", "expected one " + std::string(what) + ", found " +
                        (shape == stream_shape::watch_event || shape == stream_shape::go_watch_event
                             ? "a watch event (" + std::string(to_string(doc.events.front().type)) + ")"
                             : "a " + std::string(to_string(shape))));
  decoded_object& o = doc.events.front().object;
  if (auto* w = o.value.get_if<Want>()) return std::move(*w);
  throw_error("kind", "expected " + std::string(what) + ", got " +
                          std::string(o.kind().empty() ? "an object without kind" : o.kind()));
}

// The one raw object of a document for a view decoder: of kind `kind`, or without a kind.
inline raw_object single_raw_object(decoded_document&& doc, std::string_view kind) {
  // A Service, Node or Pod is read raw: decode_document never types it.
  raw_object r = single_object<raw_object>(std::move(doc), kind);
  if (!r.kind.empty() && r.kind != kind)
    throw_error("kind", "expected " + std::string(kind) + ", got " + r.kind);
  return r;
}

}  // namespace detail

/// Decode exactly one EndpointSlice (any family; v1beta1 is converted to v1). Throws
/// epslice::error listing every problem, each with its field path
/// (`endpoints[3].conditions.ready: Invalid value: "yes": must be a boolean, not a string`).
/// Addresses that do not parse never throw: the slice is then returned as a raw slice, for
/// validate() to report. A repeated key is not a problem: its last value is kept.
[[nodiscard]] inline any_endpoint_slice decode_endpoint_slice(std::string_view text, const decode_limits& limits = {}) {
  return detail::single_object<any_endpoint_slice>(decode_document(text, limits), "EndpointSlice");
}

/// Decode exactly one EndpointSlice of family F; throws epslice::error when the document holds
/// another family or content that is not a valid F slice (an address that does not parse).
template <class F>
[[nodiscard]] basic_endpoint_slice<F> decode_endpoint_slice_as(std::string_view text, const decode_limits& limits = {}) {
  any_endpoint_slice s = decode_endpoint_slice(text, limits);
  if (auto* x = std::get_if<basic_endpoint_slice<F>>(&s)) return std::move(*x);
  if constexpr (!std::is_same_v<F, raw>) {
    if (auto* r = std::get_if<endpoint_slice_raw>(&s)) {
      if (r->address_type && *r->address_type == F::name) {
        field_errors bad;
        for (std::size_t i = 0; i < r->endpoints.size(); ++i)
          for (std::size_t k = 0; k < r->endpoints[i].addresses.size(); ++k)
            if (!F::parse(r->endpoints[i].addresses[k]))
              bad.push_back(field_error{"endpoints[" + std::to_string(i) + "].addresses[" + std::to_string(k) + "]",
                                        error_type::invalid, quote_value(r->endpoints[i].addresses[k]),
                                        "must be a valid " + std::string(F::name) + " address"});
        if (!bad.empty()) detail::throw_error(std::move(bad));
      }
    }
  }
  detail::throw_error("addressType", "expected " + std::string(F::name) + ", got " +
                                         std::string(address_type_name(s)));
}

/// Decode exactly one legacy Endpoints object. Throws epslice::error listing every problem.
[[nodiscard]] inline endpoints decode_endpoints(std::string_view text, const decode_limits& limits = {}) {
  return detail::single_object<endpoints>(decode_document(text, limits), "Endpoints");
}

/// Decode the objects of a document held as an nlohmann value, by the rules of decode_document
/// (the value is written as text first, without recursion, so any nesting is safe and the depth
/// limit applies). Throws epslice::error only when `limits` is out of range.
template <class Json>
  requires std::is_same_v<Json, nlohmann::json>
[[nodiscard]] decoded_document decode_document(const Json& j, const decode_limits& limits = {}) {
  return decode_document(detail::dom_text(j), limits);
}

// ---------------------------------------------------------------------------------------------
// Service and Node views, decoded from their JSON (the fields the algorithms need; everything
// else is accepted and ignored).

namespace detail {
// The body of decode_service(const nlohmann::json&), not a template.
inline service decode_service_dom(const nlohmann::json& j) {
  dom_reader r;
  service s;
  if (!j.is_object()) detail::throw_error("", "a Service must be a JSON object");
  r.meta(j, s.metadata);
  if (const auto* spec = r.child(j, "spec")) {
    if (const auto* sel = r.child(*spec, "selector")) {
      if (sel->is_object()) {
        s.selector.emplace();
        r.map(*spec, "selector", "spec", *s.selector);
      } else {
        r.wrong("spec.selector", *sel, "an object of strings");
      }
    }
    r.str(*spec, "type", "spec", s.type);
    r.str(*spec, "clusterIP", "spec", s.cluster_ip);
    r.strings(*spec, "clusterIPs", "spec", s.cluster_ips);
    r.strings(*spec, "ipFamilies", "spec", s.ip_families);
    r.strings(*spec, "externalIPs", "spec", s.external_ips);
    r.boolean(*spec, "publishNotReadyAddresses", "spec", s.publish_not_ready_addresses);
    r.opt_str(*spec, "trafficDistribution", "spec", s.traffic_distribution);
    r.opt_str(*spec, "internalTrafficPolicy", "spec", s.internal_traffic_policy);
    r.opt_str(*spec, "externalTrafficPolicy", "spec", s.external_traffic_policy);
    if (const auto* ports = r.child(*spec, "ports")) {
      if (!ports->is_array()) {
        r.wrong("spec.ports", *ports, "an array");
      } else {
        for (std::size_t i = 0; i < ports->size(); ++i) {
          const auto& pj = (*ports)[i];
          const std::string path = "spec.ports[" + std::to_string(i) + "]";
          if (!pj.is_object()) {
            r.wrong(path, pj, "an object");
            continue;
          }
          service_port p;
          r.str(pj, "name", path, p.name);
          r.str(pj, "protocol", path, p.protocol);
          if (p.protocol.empty()) p.protocol = "TCP";
          r.int32(pj, "port", path, p.port);
          r.int32(pj, "nodePort", path, p.node_port);
          r.opt_str(pj, "appProtocol", path, p.app_protocol);
          if (const auto* tp = r.child(pj, "targetPort")) {
            if (tp->is_string()) p.target_port = tp->get<std::string>();
            else if (std::int32_t number = 0; detail::dom_reader::as_int32(*tp, number)) p.target_port = number;
            else r.wrong(path + ".targetPort", *tp, "an integer or a string");
          }
          s.ports.push_back(std::move(p));
        }
      }
    }
  }
  if (const auto* status = r.child(j, "status"))
    if (const auto* lb = r.child(*status, "loadBalancer"))
      if (const auto* ing = r.child(*lb, "ingress"); ing && ing->is_array())
        for (const auto& x : *ing)
          if (const auto* ip = r.child(x, "ip"); ip && ip->is_string()) s.load_balancer_ips.push_back(ip->get<std::string>());
  if (!r.errors.empty()) detail::throw_error(std::move(r.errors));
  return s;
}
}  // namespace detail

/// Decode the Service view from a Service object. Throws epslice::error listing every problem.
/// The value is only read, never walked recursively, so any nesting is safe.
template <class Json>
  requires std::is_same_v<Json, nlohmann::json>
[[nodiscard]] service decode_service(const Json& j) {
  return detail::decode_service_dom(j);
}

namespace detail {
// The body of decode_node(const nlohmann::json&), not a template.
inline node decode_node_dom(const nlohmann::json& j) {
  dom_reader r;
  node n;
  if (!j.is_object()) detail::throw_error("", "a Node must be a JSON object");
  r.meta(j, n.metadata);
  if (const auto* status = r.child(j, "status")) {
    if (const auto* conds = r.child(*status, "conditions")) {
      if (!conds->is_array()) {
        r.wrong("status.conditions", *conds, "an array");
      } else {
        for (const auto& c : *conds) {
          const auto* type = r.child(c, "type");
          const auto* st = r.child(c, "status");
          if (type && type->is_string() && type->get<std::string>() == "Ready")
            n.ready = st && st->is_string() && st->get<std::string>() == "True";
        }
      }
    }
    if (const auto* alloc = r.child(*status, "allocatable")) {
      if (const auto* cpu = r.child(*alloc, "cpu")) {
        std::optional<std::int64_t> millis;
        if (cpu->is_string()) millis = parse_quantity_millis(cpu->get<std::string>());
        else if (cpu->is_number()) millis = parse_quantity_millis(detail::dom_text(*cpu));
        if (millis) n.allocatable_cpu_millis = *millis;
        else r.wrong("status.allocatable.cpu", *cpu, "a quantity such as 4, 3500m or 1.5");
      }
    }
  }
  if (!r.errors.empty()) detail::throw_error(std::move(r.errors));
  return n;
}
}  // namespace detail

/// Decode the Node view from a Node object. Throws epslice::error listing every problem. The
/// value is only read, never walked recursively, so any nesting is safe.
template <class Json>
  requires std::is_same_v<Json, nlohmann::json>
[[nodiscard]] node decode_node(const Json& j) {
  return detail::decode_node_dom(j);
}


/// Decode the Service view from a raw object read by decode_document. Throws epslice::error
/// listing every problem (also when the raw text, which may have been built by hand, is not JSON).
[[nodiscard]] inline service decode_service(const raw_object& o) {
  return decode_service(detail::parse_dom(o.json, o.kind.empty() ? "object" : o.kind));
}
/// Decode the Node view from a raw object read by decode_document. Throws epslice::error listing
/// every problem (also when the raw text is not JSON).
[[nodiscard]] inline node decode_node(const raw_object& o) {
  return decode_node(detail::parse_dom(o.json, o.kind.empty() ? "object" : o.kind));
}

/// Decode the Service view from JSON text holding one Service (its `kind` may be absent), read by
/// the limited reader (decode_document): a repeated key keeps its last value. Throws
/// epslice::error listing every problem (syntax, a limit passed, wrong types).
[[nodiscard]] inline service decode_service(std::string_view text, const decode_limits& limits = {}) {
  return decode_service(detail::single_raw_object(decode_document(text, limits), "Service"));
}
/// Decode the Node view from JSON text holding one Node (see decode_service(std::string_view)).
[[nodiscard]] inline node decode_node(std::string_view text, const decode_limits& limits = {}) {
  return decode_node(detail::single_raw_object(decode_document(text, limits), "Node"));
}
/// Decode the pod view from JSON text holding one Pod (see decode_service(std::string_view)).
[[nodiscard]] inline pod decode_pod(std::string_view text, const decode_limits& limits = {}) {
  return decode_pod(detail::single_raw_object(decode_document(text, limits), "Pod"));
}

// ---------------------------------------------------------------------------------------------
// nlohmann interoperability (ADL): for users who hold nlohmann values.

// The encoded text is read back with epslice's parser, not nlohmann's: an unknown field may hold a
// number beyond a double (1e400), which nlohmann refuses; it becomes an infinite double. The
// widest limits apply (the text is epslice's own); deeper than 100,000 levels throws epslice::error.
namespace detail {
inline constexpr decode_limits widest_limits{static_cast<std::size_t>(-1), decode_limits::max_depth_limit};
}  // namespace detail

/// The nlohmann value of a slice (its encode() text, parsed).
template <class F>
void to_json(nlohmann::json& j, const basic_endpoint_slice<F>& s) {
  j = detail::parse_dom(encode(s), "EndpointSlice", detail::widest_limits);
}
/// The nlohmann value of a slice of any family.
inline void to_json(nlohmann::json& j, const any_endpoint_slice& s) { j = detail::parse_dom(encode(s), "EndpointSlice", detail::widest_limits); }
/// The nlohmann value of an Endpoints object.
inline void to_json(nlohmann::json& j, const endpoints& e) { j = detail::parse_dom(encode(e), "Endpoints", detail::widest_limits); }

/// Decode a slice from an nlohmann value (as decode_document(const nlohmann::json&) reads it).
/// Throws epslice::error listing every problem.
inline void from_json(const nlohmann::json& j, any_endpoint_slice& s) {
  s = detail::single_object<any_endpoint_slice>(decode_document(j), "EndpointSlice");
}
template <class F>
void from_json(const nlohmann::json& j, basic_endpoint_slice<F>& s) {
  any_endpoint_slice a;
  from_json(j, a);
  if (auto* x = std::get_if<basic_endpoint_slice<F>>(&a)) {
    s = std::move(*x);
    return;
  }
  detail::throw_error("addressType", "expected " + std::string(F::name) + ", got " + std::string(address_type_name(a)));
}
inline void from_json(const nlohmann::json& j, endpoints& e) {
  e = detail::single_object<endpoints>(decode_document(j), "Endpoints");
}

}  // namespace epslice
