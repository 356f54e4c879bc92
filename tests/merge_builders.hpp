// SPDX-License-Identifier: Apache-2.0
// Builders of slices, endpoints and service port names for the tests of merge.hpp and envoy.hpp.
#pragma once

#include <catch2/catch.hpp>

#include <epslice/merge.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace merge_test {

using namespace epslice;

template <class F>
typename F::address addr(const std::string& text) {
  auto a = F::parse(text);
  REQUIRE(a.has_value());
  return *a;
}

inline endpoint_port port(std::optional<std::string> name, std::optional<std::int32_t> number,
                   std::optional<std::string> protocol = std::string("TCP")) {
  endpoint_port p;
  p.name = std::move(name);
  p.port = number;
  p.protocol = std::move(protocol);
  return p;
}

template <class F>
basic_endpoint_slice<F> slice(const std::string& ns, const std::string& name, std::optional<std::string> service,
                              std::vector<endpoint_port> ports) {
  basic_endpoint_slice<F> s;
  s.metadata.namespace_ = ns;
  s.metadata.name = name;
  if (service) s.metadata.labels[std::string(well_known::service_name_label)] = *service;
  s.ports = std::move(ports);
  return s;
}

template <class F>
basic_endpoint<F> endpoint(const std::string& ip, std::optional<bool> ready = std::nullopt,
                           std::optional<bool> serving = std::nullopt, std::optional<bool> terminating = std::nullopt,
                           std::optional<std::string> node = std::nullopt) {
  basic_endpoint<F> e;
  e.addresses.push_back(addr<F>(ip));
  e.conditions = endpoint_conditions{ready, serving, terminating};
  e.node_name = std::move(node);
  return e;
}

inline service_port_name spn(const std::string& ns, const std::string& svc, const std::string& port_name,
                      const std::string& protocol = "TCP") {
  return service_port_name{ns, svc, port_name, protocol};
}

}  // namespace merge_test
