// SPDX-License-Identifier: Apache-2.0
// The core types stand alone: types.hpp compiles by itself and pulls in no JSON library.
#include <epslice/types.hpp>

// Checked before anything else is included, so that only types.hpp can have defined these.
#if defined(NLOHMANN_JSON_VERSION_MAJOR) || defined(INCLUDE_NLOHMANN_JSON_HPP_) || \
    defined(INCLUDE_NLOHMANN_JSON_FWD_HPP_) || defined(NLOHMANN_JSON_NAMESPACE)
#error "epslice/types.hpp must not include nlohmann/json (only json.hpp may)"
#endif

#include <catch2/catch.hpp>

TEST_CASE("hygiene: types.hpp alone gives usable types", "[hygiene]") {
  epslice::endpoint_slice_v4 slice;
  slice.metadata.name = "web-1";
  slice.metadata.namespace_ = "default";
  epslice::endpoint_v4 endpoint;
  const auto address = epslice::parse_ipv4("10.0.0.1");
  REQUIRE(address.has_value());
  endpoint.addresses.push_back(*address);
  endpoint.conditions.ready = true;
  slice.endpoints.push_back(endpoint);

  const epslice::endpoint_slice_raw raw = epslice::to_raw(slice);
  REQUIRE(raw.endpoints.size() == 1);
  CHECK(raw.endpoints[0].addresses[0] == "10.0.0.1");
  const epslice::any_endpoint_slice typed = epslice::to_typed(raw);
  REQUIRE(std::holds_alternative<epslice::endpoint_slice_v4>(typed));
  CHECK(std::get<epslice::endpoint_slice_v4>(typed) == slice);
  CHECK(epslice::address_type_name(typed) == "IPv4");
  CHECK(epslice::metadata_of(typed).display_name() == "web-1");
  CHECK(epslice::parse_quantity_millis("1500m") == 1500);
}
