// SPDX-License-Identifier: Apache-2.0
// Decode an EndpointSlice, validate it as the API server would, and re-encode it byte-exactly.
#include <epslice/epslice.hpp>

#include <iostream>
#include <string>

int main() {
  const std::string text =
      R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",)"
      R"("metadata":{"name":"web-abcde","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},)"
      R"("addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true}},)"
      R"({"addresses":["10.0.0.300"],"conditions":{"ready":true}}],)"
      R"("ports":[{"name":"http","protocol":"TCP","port":80}]})";

  // Decoding never fails on invalid content: the second address does not parse, so the slice
  // comes back raw (addresses kept as text) and validation says what is wrong.
  epslice::any_endpoint_slice slice = epslice::decode_endpoint_slice(text);
  const epslice::field_errors errors = epslice::validate(slice);
  for (const auto& e : errors) std::cout << e.message() << "\n";

  // Re-encoding gives back the same bytes.
  const bool same = epslice::encode(slice) == text;
  std::cout << "round trip " << (same ? "exact" : "changed") << "\n";
  return errors.size() == 1 && same ? 0 : 1;
}
