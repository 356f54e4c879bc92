// SPDX-License-Identifier: Apache-2.0
// Kubernetes JSON for the typed model: decoding with field paths, byte-exact encoding.
//
// Decoding goes through nlohmann's SAX interface straight into the types (no DOM), reads single
// objects, Lists (`List`, `EndpointSliceList`, `EndpointsList`, ...), streams of concatenated
// objects as `kubectl get -o json --watch` prints them, and watch events
// (`{"type": ..., "object": ...}`). discovery.k8s.io/v1beta1 slices are converted to v1.
// Encoding writes JSON straight from the types in the API server's field order with its omitempty
// rules and Go's string escaping, so sizes are byte-exact. This is the only public header that
// includes nlohmann/json.hpp.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "detail/json_dom.hpp"
#include "detail/json_pod.hpp"
#include "detail/json_reader.hpp"
#include "detail/json_writer.hpp"
#include "error.hpp"
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
// Decoding

namespace detail {

inline bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// End of the JSON value starting at t[i] (a non-space character), found by bracket matching
// outside strings; the text itself is checked by the parser afterwards.
inline std::size_t json_value_end(std::string_view t, std::size_t i) noexcept {
  auto skip_string = [&](std::size_t k) {
    ++k;  // opening quote
    while (k < t.size()) {
      if (t[k] == '\\') k += 2;
      else if (t[k] == '"') return k + 1;
      else ++k;
    }
    return t.size();
  };
  const char c = t[i];
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < t.size()) {
      const char d = t[i];
      if (d == '"') {
        i = skip_string(i);
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      else if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return t.size();
  }
  if (c == '"') return skip_string(i);
  const std::size_t start = i;
  while (i < t.size() && !is_json_space(t[i]) && t[i] != '{' && t[i] != '[' && t[i] != '"' &&
         t[i] != ',' && t[i] != '}' && t[i] != ']')
    ++i;
  // A value cannot start with `}` `]` `,`: hand that one byte to the parser so that it reports it.
  return i == start ? start + 1 : i;
}

// An iterator over the input that records how far the parser has read.
struct tracking_iterator {
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  const char* p = nullptr;
  const char** mark = nullptr;  // one past the last byte read

  reference operator*() const noexcept { return *p; }
  tracking_iterator& operator++() noexcept {
    *mark = ++p;
    return *this;
  }
  tracking_iterator operator++(int) noexcept {
    tracking_iterator old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const tracking_iterator& a, const tracking_iterator& b) noexcept { return a.p == b.p; }
};

inline syntax_error_info make_syntax_error(std::string_view text, std::size_t offset, std::string message) {
  syntax_error_info e;
  e.offset = offset;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++e.line;
      e.column = 1;
    } else {
      ++e.column;
    }
  }
  e.message = std::move(message);
  return e;
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1,
// column 5: "; the position is ours to say, so keep only the reason.
inline std::string parse_reason(const std::string& what) {
  std::size_t p = what.find("column ");
  if (p != std::string::npos) {
    p = what.find(": ", p);
    if (p != std::string::npos) return what.substr(p + 2);
  }
  p = what.find("] ");
  return p == std::string::npos ? what : what.substr(p + 2);
}

inline void feed_dom(const nlohmann::json& j, reader& r) {
  using value_t = nlohmann::json::value_t;
  switch (j.type()) {
    case value_t::null: r.null(); break;
    case value_t::boolean: r.boolean(j.get<bool>()); break;
    case value_t::number_integer: r.number_integer(j.get<std::int64_t>()); break;
    case value_t::number_unsigned: r.number_unsigned(j.get<std::uint64_t>()); break;
    case value_t::number_float: {
      const double d = j.get<double>();
      r.number_float(d, j.dump());
      break;
    }
    case value_t::string: {
      std::string s = j.get<std::string>();
      r.string(s);
      break;
    }
    case value_t::object:
      r.start_object(j.size());
      for (const auto& [k, v] : j.items()) {
        std::string key = k;
        r.key(key);
        feed_dom(v, r);
      }
      r.end_object();
      break;
    case value_t::array:
      r.start_array(j.size());
      for (const auto& v : j) feed_dom(v, r);
      r.end_array();
      break;
    default:
      r.null();
      break;
  }
}

inline std::string absolute_path(const decoded_object& o, const std::string& rel) {
  if (o.location.empty()) return rel;
  if (rel.empty()) return o.location;
  return o.location + "." + rel;
}

// The one object of a document, or throw with every problem found.
template <class Want>
Want single_object(decoded_document&& doc, std::string_view what) {
  if (doc.syntax_error) {
    const auto& e = *doc.syntax_error;
    throw_error("", "not JSON: line " + std::to_string(e.line) + ", column " + std::to_string(e.column) +
                        ": " + e.message);
  }
  field_errors all = std::move(doc.problems);
  for (const auto& o : doc.objects)
    for (const auto& p : o.problems) {
      field_error a = p;
      a.path = absolute_path(o, p.path);
      all.push_back(std::move(a));
    }
  if (!all.empty()) throw_error(std::move(all));
  if (doc.had_list)
    throw_error("", "expected one " + std::string(what) + ", found a list of " +
                        std::to_string(doc.objects.size()) + " objects");
  if (doc.objects.size() != 1)
    throw_error("", "expected one " + std::string(what) + ", found " + std::to_string(doc.objects.size()) +
                        " objects");
  auto& v = doc.objects.front().value;
  if (auto* w = std::get_if<Want>(&v)) return std::move(*w);
  throw_error("kind", "expected " + std::string(what) + ", got " +
                          std::string(doc.objects.front().kind().empty() ? "an object without kind"
                                                                          : doc.objects.front().kind()));
}

}  // namespace detail

/// Decode every object of a document: a single object, a list, a bare array of objects, or a
/// stream of concatenated top-level values (each possibly a watch event). Never throws for bad
/// content: syntax errors stop the reading and are reported in `syntax_error` (with line and
/// column); wrong types and out-of-range numbers are reported per object in `problems`, and the
/// rest of the object is still read. Empty input is a syntax error.
[[nodiscard]] inline decoded_document decode_document(std::string_view text) {
  decoded_document doc;
  std::size_t i = 0;
  std::size_t index = 0;
  while (true) {
    while (i < text.size() && detail::is_json_space(text[i])) ++i;
    if (i >= text.size()) break;
    detail::reader r(doc, index);
    std::size_t end = 0;
    bool ok = false;
    if (text[i] == '{' || text[i] == '[') {
      // Objects and arrays end at their closing bracket, where the parser stops reading (not
      // strict: what follows is the next value); the iterator tells how far it read.
      const char* mark = text.data() + i;
      ok = nlohmann::json::sax_parse(detail::tracking_iterator{text.data() + i, &mark},
                                     detail::tracking_iterator{text.data() + text.size(), &mark}, &r,
                                     nlohmann::json::input_format_t::json, false, false);
      end = static_cast<std::size_t>(mark - text.data());
    } else {
      // A scalar: the parser would read one byte past a number, so find its end first.
      end = detail::json_value_end(text, i);
      ok = nlohmann::json::sax_parse(text.begin() + static_cast<std::ptrdiff_t>(i),
                                     text.begin() + static_cast<std::ptrdiff_t>(end), &r,
                                     nlohmann::json::input_format_t::json, true, false);
    }
    if (!ok) {
      const std::size_t pos = r.error_position().value_or(1);
      doc.syntax_error = detail::make_syntax_error(text, i + (pos > 0 ? pos - 1 : 0),
                                                   detail::parse_reason(r.error_message()));
      return doc;
    }
    ++doc.values;
    ++index;
    i = end;
  }
  if (doc.values == 0) doc.syntax_error = detail::make_syntax_error(text, text.size(), "empty input");
  return doc;
}

/// Decode exactly one EndpointSlice (any family; v1beta1 is converted to v1). Throws
/// epslice::error listing every problem, each with its field path
/// (`endpoints[3].conditions.ready: Invalid value: "yes": must be a boolean, not a string`).
/// Addresses that do not parse never throw: the slice is then returned as a raw slice, for
/// validate() to report.
[[nodiscard]] inline any_endpoint_slice decode_endpoint_slice(std::string_view text) {
  return detail::single_object<any_endpoint_slice>(decode_document(text), "EndpointSlice");
}

/// Decode exactly one EndpointSlice of family F; throws epslice::error when the document holds
/// another family or content that is not a valid F slice (an address that does not parse).
template <class F>
[[nodiscard]] basic_endpoint_slice<F> decode_endpoint_slice_as(std::string_view text) {
  any_endpoint_slice s = decode_endpoint_slice(text);
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
[[nodiscard]] inline endpoints decode_endpoints(std::string_view text) {
  return detail::single_object<endpoints>(decode_document(text), "Endpoints");
}

/// Decode the objects of a document held as an nlohmann value (same rules as decode_document).
template <class Json>
  requires std::is_same_v<Json, nlohmann::json>
[[nodiscard]] decoded_document decode_document(const Json& j) {
  decoded_document doc;
  detail::reader r(doc, 0);
  detail::feed_dom(j, r);
  doc.values = 1;
  return doc;
}

// ---------------------------------------------------------------------------------------------
// Service and Node views, decoded from their JSON (the fields the algorithms need; everything
// else is accepted and ignored).

/// Decode the Service view from a Service object. Throws epslice::error listing every problem.
[[nodiscard]] inline service decode_service(const nlohmann::json& j) {
  detail::dom_reader r;
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

/// Decode the Node view from a Node object. Throws epslice::error listing every problem.
[[nodiscard]] inline node decode_node(const nlohmann::json& j) {
  detail::dom_reader r;
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
        else if (cpu->is_number()) millis = parse_quantity_millis(cpu->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        if (millis) n.allocatable_cpu_millis = *millis;
        else r.wrong("status.allocatable.cpu", *cpu, "a quantity such as 4, 3500m or 1.5");
      }
    }
  }
  if (!r.errors.empty()) detail::throw_error(std::move(r.errors));
  return n;
}

namespace detail {
// The JSON of a raw object; raw objects can be built by hand, so their text may not be JSON.
inline nlohmann::json parse_raw_object(const raw_object& o) {
  nlohmann::json j = nlohmann::json::parse(o.json, nullptr, false);
  if (j.is_discarded()) throw_error("", "the JSON text of the " + (o.kind.empty() ? std::string("object") : o.kind) + " is not JSON");
  return j;
}
}  // namespace detail

/// Decode the Service view from a raw object read by decode_document. Throws epslice::error
/// listing every problem (also when the raw text is not JSON).
[[nodiscard]] inline service decode_service(const raw_object& o) { return decode_service(detail::parse_raw_object(o)); }
/// Decode the Node view from a raw object read by decode_document. Throws epslice::error listing
/// every problem (also when the raw text is not JSON).
[[nodiscard]] inline node decode_node(const raw_object& o) { return decode_node(detail::parse_raw_object(o)); }

// ---------------------------------------------------------------------------------------------
// nlohmann interoperability (ADL): for users who hold nlohmann values.

template <class F>
void to_json(nlohmann::json& j, const basic_endpoint_slice<F>& s) {
  j = nlohmann::json::parse(encode(s));
}
inline void to_json(nlohmann::json& j, const any_endpoint_slice& s) { j = nlohmann::json::parse(encode(s)); }
inline void to_json(nlohmann::json& j, const endpoints& e) { j = nlohmann::json::parse(encode(e)); }

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
