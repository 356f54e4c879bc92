// SPDX-License-Identifier: Apache-2.0
// Comparison of two decodings of the same bytes, shared by the decoding fuzz targets.
//
// fuzz_decode compares decode_document with the stream decoder, fuzz_simdjson compares it with
// the simdjson fast path; both need every field of a decoded_document to agree, a short
// description of a document for their failure reports, and a stream decoder fed in chunks.
#pragma once

#include <epslice/json.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace epslice_fuzz {

/// A one-line summary of a decoded document: counts, syntax error and problems.
inline std::string describe(const epslice::decoded_document& d) {
  std::string out = std::to_string(d.events.size()) + " events, " + std::to_string(d.lists.size()) + " lists, " +
                    std::to_string(d.values) + " values";
  if (d.syntax_error) out += ", syntax error: " + d.syntax_error->message;
  for (const auto& p : d.problems) out += ", problem: " + p.message();
  for (const auto& ev : d.events)
    for (const auto& p : ev.object.problems) out += ", object problem: " + p.message();
  return out;
}

/// Everything two decodings of the same object must agree on (the first difference, or "").
inline std::string difference(const epslice::decoded_object& a, const epslice::decoded_object& b) {
  if (a.location != b.location) return "location " + a.location + " vs " + b.location;
  if (a.document != b.document) return "document index";
  if (!(a.value == b.value))
    return "value " + epslice::encode(a, {.inferred_type_fields = true}) + " vs " +
           epslice::encode(b, {.inferred_type_fields = true});
  if (!(a.problems == b.problems)) return "problems";
  if (!(a.duplicates == b.duplicates)) return "duplicates";
  if (a.kind_inferred != b.kind_inferred || a.api_version_inferred != b.api_version_inferred) return "inferred fields";
  return {};
}

/// Everything two decodings of the same bytes must agree on: counts, syntax error, problems,
/// events and lists (the first difference, or "").
inline std::string difference(const epslice::decoded_document& a, const epslice::decoded_document& b) {
  if (a.values != b.values) return "values " + std::to_string(a.values) + " vs " + std::to_string(b.values);
  if (a.had_list != b.had_list) return "had_list";
  if (a.syntax_error.has_value() != b.syntax_error.has_value()) return "syntax error presence";
  if (a.syntax_error) {
    const auto &x = *a.syntax_error, &y = *b.syntax_error;
    if (x.offset != y.offset || x.line != y.line || x.column != y.column || x.message != y.message)
      return "syntax error " + x.message + " at " + std::to_string(x.offset) + " vs " + y.message + " at " +
             std::to_string(y.offset);
  }
  if (!(a.problems == b.problems)) return "problems";
  if (a.events.size() != b.events.size())
    return "events " + std::to_string(a.events.size()) + " vs " + std::to_string(b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const auto &x = a.events[i], &y = b.events[i];
    const std::string at = "event " + std::to_string(i) + ": ";
    if (x.type != y.type) return at + "type";
    if (x.shape != y.shape) return at + "shape";
    if (x.resource_version != y.resource_version) return at + "resource_version";
    if (!(x.status == y.status)) return at + "status";
    if (std::string d = difference(x.object, y.object); !d.empty()) return at + d;
  }
  if (a.lists.size() != b.lists.size()) return "lists";
  for (std::size_t i = 0; i < a.lists.size(); ++i) {
    const auto &x = a.lists[i], &y = b.lists[i];
    if (x.kind != y.kind || x.api_version != y.api_version || !(x.metadata == y.metadata) || x.document != y.document ||
        x.items != y.items || !(x.duplicates == y.duplicates))
      return "list " + std::to_string(i);
  }
  return {};
}

/// `text` through `d`, fed in chunks: the k-th chunk (from 0) is next_len(k) bytes (at least 1,
/// cut at the end of the text); events, problems and lists are taken after every chunk.
template <class NextLen>
epslice::decoded_document feed_in_chunks(epslice::stream_decoder& d, std::string_view text, NextLen next_len) {
  epslice::decoded_document out;
  const auto drain = [&] {
    while (auto ev = d.next()) out.events.push_back(std::move(*ev));
    for (auto& p : d.take_problems()) out.problems.push_back(std::move(p));
    for (auto& l : d.take_lists()) out.lists.push_back(std::move(l));
  };
  for (std::size_t at = 0, k = 0; at < text.size(); ++k) {
    const std::size_t len = std::min(text.size() - at, std::max<std::size_t>(1, next_len(k)));
    d.feed(text.substr(at, len));
    at += len;
    drain();
  }
  d.finish();
  drain();
  out.values = d.values();
  out.had_list = d.had_list();
  out.syntax_error = d.syntax_error();
  return out;
}

}  // namespace epslice_fuzz
