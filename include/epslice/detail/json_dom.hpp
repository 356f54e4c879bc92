// SPDX-License-Identifier: Apache-2.0
// Reading the views (Service, Node, Pod) out of nlohmann values, with field paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../error.hpp"
#include "../types.hpp"

namespace epslice::detail {

/// Reads fields out of an nlohmann value, collecting every problem with its field path. A JSON
/// `null` counts as absent, as it does for the API server's decoder.
class dom_reader {
 public:
  field_errors errors;

  [[nodiscard]] static const nlohmann::json* child(const nlohmann::json& j, std::string_view key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(std::string(key));
    if (it == j.end() || it->is_null()) return nullptr;
    return &*it;
  }
  [[nodiscard]] static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  [[nodiscard]] static std::string indexed(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }
  void wrong(const std::string& path, const nlohmann::json& v, std::string_view expected) {
    // dump() with `replace`: a value built in C++ may hold invalid UTF-8, which must not throw.
    errors.push_back(field_error{path, error_type::invalid,
                                 v.is_string() ? quote_value(v.get<std::string>())
                                               : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                                 "must be " + std::string(expected)});
  }
  // The object at `key`, or nullptr (absent, null, or of the wrong type: then reported).
  const nlohmann::json* object(const nlohmann::json& j, std::string_view key, const std::string& path) {
    const auto* v = child(j, key);
    if (v && !v->is_object()) {
      wrong(join(path, key), *v, "an object");
      return nullptr;
    }
    return v;
  }
  // The array at `key`, or nullptr (absent, null, or of the wrong type: then reported).
  const nlohmann::json* array(const nlohmann::json& j, std::string_view key, const std::string& path) {
    const auto* v = child(j, key);
    if (v && !v->is_array()) {
      wrong(join(path, key), *v, "an array");
      return nullptr;
    }
    return v;
  }
  void str(const nlohmann::json& j, std::string_view key, const std::string& path, std::string& out) {
    if (const auto* v = child(j, key)) {
      if (v->is_string()) out = v->get<std::string>();
      else wrong(join(path, key), *v, "a string");
    }
  }
  void opt_str(const nlohmann::json& j, std::string_view key, const std::string& path,
               std::optional<std::string>& out) {
    if (const auto* v = child(j, key)) {
      if (v->is_string()) out = v->get<std::string>();
      else wrong(join(path, key), *v, "a string");
    }
  }
  void boolean(const nlohmann::json& j, std::string_view key, const std::string& path, bool& out) {
    if (const auto* v = child(j, key)) {
      if (v->is_boolean()) out = v->get<bool>();
      else wrong(join(path, key), *v, "a boolean");
    }
  }
  /// An int32 value; an unsigned value past INT32_MAX is refused rather than wrapped.
  [[nodiscard]] static bool as_int32(const nlohmann::json& v, std::int32_t& out) {
    if (!v.is_number_integer()) return false;
    if (v.is_number_unsigned()) {
      if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT32_MAX)) return false;
    } else if (v.get<std::int64_t>() < INT32_MIN || v.get<std::int64_t>() > INT32_MAX) {
      return false;
    }
    out = static_cast<std::int32_t>(v.get<std::int64_t>());
    return true;
  }
  void int32(const nlohmann::json& j, std::string_view key, const std::string& path, std::int32_t& out) {
    if (const auto* v = child(j, key))
      if (!as_int32(*v, out)) wrong(join(path, key), *v, "a 32-bit integer");
  }
  void strings(const nlohmann::json& j, std::string_view key, const std::string& path,
               std::vector<std::string>& out) {
    if (const auto* v = child(j, key)) {
      if (!v->is_array()) return wrong(join(path, key), *v, "an array of strings");
      for (std::size_t i = 0; i < v->size(); ++i) {
        if ((*v)[i].is_string()) out.push_back((*v)[i].get<std::string>());
        else wrong(indexed(join(path, key), i), (*v)[i], "a string");
      }
    }
  }
  void map(const nlohmann::json& j, std::string_view key, const std::string& path, string_map& out) {
    if (const auto* v = child(j, key)) {
      if (!v->is_object()) return wrong(join(path, key), *v, "an object of strings");
      for (const auto& [k, x] : v->items()) {
        if (x.is_string()) out.insert_or_assign(k, x.get<std::string>());
        else wrong(join(path, key) + "." + k, x, "a string");
      }
    }
  }
  void meta(const nlohmann::json& j, object_meta& m) {
    const auto* md = object(j, "metadata", "");
    if (!md) return;
    const std::string path = "metadata";
    str(*md, "name", path, m.name);
    str(*md, "generateName", path, m.generate_name);
    str(*md, "namespace", path, m.namespace_);
    str(*md, "uid", path, m.uid);
    str(*md, "resourceVersion", path, m.resource_version);
    opt_str(*md, "creationTimestamp", path, m.creation_timestamp);
    opt_str(*md, "deletionTimestamp", path, m.deletion_timestamp);
    map(*md, "labels", path, m.labels);
    map(*md, "annotations", path, m.annotations);
  }
};

}  // namespace epslice::detail
