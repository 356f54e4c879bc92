// SPDX-License-Identifier: Apache-2.0
// Consumer smoke test: decode, validate and re-encode one slice through the umbrella header.
#include <epslice/epslice.hpp>

#include <iostream>

int main() {
  const char* text = R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",)"
                     R"("metadata":{"name":"web-abcde","namespace":"shop"},"addressType":"IPv4",)"
                     R"("endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true}}],)"
                     R"("ports":[{"name":"http","protocol":"TCP","port":80}]})";
  auto slice = epslice::decode_endpoint_slice(text);
  auto errors = epslice::validate(slice);
  if (!errors.empty()) {
    std::cerr << "unexpected validation errors\n";
    return 1;
  }
  if (epslice::encode(slice) != text) {
    std::cerr << "round trip changed the object\n";
    return 1;
  }
  std::cout << "ok\n";
  return 0;
}
