// SPDX-License-Identifier: Apache-2.0
// Fuzz target: validation of every decoded slice and Endpoints object.
//
// The input is a document (any text); every slice and Endpoints object decoded from it is
// validated. Invariants:
//  1. validate() never throws, is deterministic, and every field error is one line;
//  2. a raw slice (no or an unknown address type, an address that does not parse) is never valid;
//  3. a typed slice and its raw form (to_raw) get the same field errors;
//  4. validate(s, {limit_endpoints = false}) reports what validate(s) does, less the one TooMany
//     on `endpoints`;
//  5. validate_update(a, b) is validate(b), plus one error on `addressType` exactly when the two
//     address types differ; validate_update(s, s) is validate(s);
//  6. a small independent oracle of the rules: a slice with no name and no generateName, no
//     namespace, an endpoint without addresses or with more than 100, more than 1000 endpoints,
//     a port without protocol or with another one than TCP/UDP/SCTP, two ports of one name, an
//     IPv4-mapped, unspecified, loopback or link-local address is invalid, with an error on
//     that field's path; an Endpoints subset without addresses is invalid;
//  7. validate(const decoded_object&) never throws, lists every decoding problem and every
//     repeated key of the object, and finds nothing exactly when the object decoded cleanly,
//     without a repeated key, and its value validates.
#include <epslice/json.hpp>
#include <epslice/validation.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_support.hpp"

namespace {

using namespace epslice;

std::string joined(const field_errors& errors) {
  std::string out;
  for (const auto& e : errors) out += e.message() + " | ";
  return out;
}

bool has_error_at(const field_errors& errors, std::string_view path_prefix) {
  for (const auto& e : errors)
    if (std::string_view(e.path).substr(0, path_prefix.size()) == path_prefix) return true;
  return false;
}

void check_lines(const field_errors& errors) {
  for (const auto& e : errors) {
    const std::string m = e.message();
    EPSLICE_FUZZ_CHECK(m.find('\n') == std::string::npos && m.find('\r') == std::string::npos,
                       "a field error spans several lines: " + m);
  }
}

template <class Address>
bool special(const Address& a) {
  return is_unspecified(a) || is_loopback(a) || is_link_local_unicast(a) || is_link_local_multicast(a);
}

// The oracle of step 6 for a slice of family F: each rule broken must give an error at its path.
template <class F>
void check_oracle(const basic_endpoint_slice<F>& s, const field_errors& errors) {
  const std::string all = joined(errors);
  if (s.metadata.name.empty() && s.metadata.generate_name.empty())
    EPSLICE_FUZZ_CHECK(has_error_at(errors, "metadata.name"), all);
  if (s.metadata.namespace_.empty()) EPSLICE_FUZZ_CHECK(has_error_at(errors, "metadata.namespace"), all);
  if (s.endpoints.size() > validation_limits::max_endpoints) {
    EPSLICE_FUZZ_CHECK(has_error_at(errors, "endpoints"), all);
  } else {
    for (std::size_t i = 0; i < s.endpoints.size(); ++i) {
      const auto& e = s.endpoints[i];
      const std::string path = "endpoints[" + std::to_string(i) + "].addresses";
      if (e.addresses.empty() || e.addresses.size() > validation_limits::max_addresses)
        EPSLICE_FUZZ_CHECK(has_error_at(errors, path), all);
      if constexpr (std::is_same_v<F, ipv4>) {
        for (const auto& a : e.addresses)
          if (special(a)) EPSLICE_FUZZ_CHECK(has_error_at(errors, path), all);
      } else if constexpr (std::is_same_v<F, ipv6>) {
        for (const auto& a : e.addresses)
          if (special(a) || a.is_v4_mapped()) EPSLICE_FUZZ_CHECK(has_error_at(errors, path), all);
      }
    }
  }
  if (s.ports.size() <= validation_limits::max_ports) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < s.ports.size(); ++i) {
      const auto& p = s.ports[i];
      const std::string path = "ports[" + std::to_string(i) + "]";
      if (!p.protocol || (*p.protocol != "TCP" && *p.protocol != "UDP" && *p.protocol != "SCTP"))
        EPSLICE_FUZZ_CHECK(has_error_at(errors, path + ".protocol"), all);
      if (!names.insert(p.name.value_or("")).second) EPSLICE_FUZZ_CHECK(has_error_at(errors, path + ".name"), all);
    }
  }
}

void check_slice(const any_endpoint_slice& s) {
  field_errors errors;
  EPSLICE_FUZZ_NO_THROW("validate(slice)", [&] { errors = validate(s); });
  check_lines(errors);
  EPSLICE_FUZZ_CHECK(errors == validate(s), "validate() is not deterministic");
  const std::string all = joined(errors);

  // 2 and 3: the raw form.
  if (std::holds_alternative<endpoint_slice_raw>(s)) {
    EPSLICE_FUZZ_CHECK(!errors.empty(), "a raw slice validates: " + encode(s));
  } else {
    const endpoint_slice_raw r = std::visit([](const auto& x) { return to_raw(x); }, s);
    const field_errors raw_errors = validate(r);
    EPSLICE_FUZZ_CHECK(raw_errors == errors, "typed: " + all + " raw: " + joined(raw_errors));
  }

  // 4: without the endpoint limit.
  const field_errors unlimited = validate(s, validation_options{false});
  check_lines(unlimited);
  const std::size_t count = std::visit([](const auto& x) { return x.endpoints.size(); }, s);
  if (count <= validation_limits::max_endpoints) {
    EPSLICE_FUZZ_CHECK(unlimited == errors, "limit off: " + joined(unlimited) + " on: " + all);
  } else {
    EPSLICE_FUZZ_CHECK(has_error_at(errors, "endpoints"), all);
    for (const auto& e : errors)
      if (e.type != error_type::too_many || e.path != "endpoints")
        EPSLICE_FUZZ_CHECK(std::find(unlimited.begin(), unlimited.end(), e) != unlimited.end(),
                           "limit off lost " + e.message());
  }

  // 5: an update to the same slice.
  EPSLICE_FUZZ_CHECK(validate_update(s, s) == errors, "validate_update(s, s) != validate(s)");

  // 6: the oracle.
  std::visit([&](const auto& x) { check_oracle(x, errors); }, s);
}

void check_update(const any_endpoint_slice& a, const any_endpoint_slice& b) {
  field_errors errors;
  EPSLICE_FUZZ_NO_THROW("validate_update", [&] { errors = validate_update(a, b); });
  check_lines(errors);
  field_errors want = validate(b);
  const bool changed = address_type_name(a) != address_type_name(b);
  EPSLICE_FUZZ_CHECK(errors.size() == want.size() + (changed ? 1 : 0), joined(errors));
  EPSLICE_FUZZ_CHECK(std::equal(want.begin(), want.end(), errors.begin()), joined(errors));
  if (changed) EPSLICE_FUZZ_CHECK(errors.back().path == "addressType", joined(errors));
}

void check_endpoints(const endpoints& e) {
  field_errors errors;
  EPSLICE_FUZZ_NO_THROW("validate(endpoints)", [&] { errors = validate(e); });
  check_lines(errors);
  const std::string all = joined(errors);
  if (e.metadata.name.empty() && e.metadata.generate_name.empty())
    EPSLICE_FUZZ_CHECK(has_error_at(errors, "metadata.name"), all);
  for (std::size_t i = 0; i < e.subsets.size(); ++i) {
    const auto& ss = e.subsets[i];
    const std::string path = "subsets[" + std::to_string(i) + "]";
    if (ss.addresses.empty() && ss.not_ready_addresses.empty()) EPSLICE_FUZZ_CHECK(has_error_at(errors, path), all);
    for (std::size_t j = 0; j < ss.addresses.size(); ++j) {
      const auto ip = parse_ip(ss.addresses[j].ip);
      const bool bad = !ip || std::visit([](const auto& a) { return special(a); }, *ip);
      if (bad) EPSLICE_FUZZ_CHECK(has_error_at(errors, path + ".addresses[" + std::to_string(j) + "]"), all);
    }
    for (std::size_t j = 0; j < ss.ports.size(); ++j) {
      const auto& p = ss.ports[j];
      if (p.port < 1 || p.port > 65535 || (ss.ports.size() > 1 && p.name.empty()))
        EPSLICE_FUZZ_CHECK(has_error_at(errors, path + ".ports[" + std::to_string(j) + "]"), all);
    }
  }
}

// 7. The strict view of a decoded object.
void check_decoded(const decoded_object& o) {
  field_errors all;
  EPSLICE_FUZZ_NO_THROW("validate(decoded_object)", [&] { all = validate(o); });
  for (const auto& e : all) EPSLICE_FUZZ_CHECK(e.message().find('\n') == std::string::npos, e.message());
  for (const auto* list : {&o.problems, &o.duplicates})
    for (const auto& e : *list)
      EPSLICE_FUZZ_CHECK(std::find(all.begin(), all.end(), e) != all.end(),
                         "validate(decoded_object) leaves out " + e.message() + ": " + joined(all));
  bool value_valid = true;
  if (const auto* s = o.value.get_if<any_endpoint_slice>()) value_valid = validate(*s).empty();
  else if (const auto* e = o.value.get_if<endpoints>()) value_valid = validate(*e).empty();
  const bool clean = o.problems.empty() && o.duplicates.empty() && value_valid;
  EPSLICE_FUZZ_CHECK(all.empty() == clean, "validate(decoded_object) and its parts disagree: " + joined(all));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const decoded_document doc = decode_document(text);
  const any_endpoint_slice* previous = nullptr;
  for (const auto& ev : doc.events) {
    const decoded_object& o = ev.object;
    check_decoded(o);
    if (const auto* s = o.value.get_if<any_endpoint_slice>()) {
      check_slice(*s);
      if (previous) check_update(*previous, *s);
      previous = s;
    } else if (const auto* e = o.value.get_if<endpoints>()) {
      check_endpoints(*e);
    }
  }
  return 0;
}
