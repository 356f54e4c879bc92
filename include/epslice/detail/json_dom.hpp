// SPDX-License-Identifier: Apache-2.0
// nlohmann values: reading the views (Service, Node, Pod) out of them with field paths, writing
// them as text without recursion, and building them from checked text.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../document.hpp"
#include "../error.hpp"
#include "../types.hpp"
#include "json_framer.hpp"
#include "json_lexer.hpp"
#include "json_writer.hpp"

namespace epslice::detail {

/// Append a double as nlohmann writes it: the shortest text that reads back the same, with `.0`
/// when it would otherwise read as an integer; `null` for infinities and NaN (not JSON numbers).
inline void write_dom_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out += text;
  if (text.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

/// Where write_dom writes: all of it, or (`limit`) only its first bytes while counting the rest.
class dom_output {
 public:
  explicit dom_output(std::string& out, std::size_t limit = static_cast<std::size_t>(-1)) : out_(out), limit_(limit) {}
  void text(std::string_view t) {
    total_ += t.size();
    if (out_.size() < limit_) out_.append(t.substr(0, std::min(t.size(), limit_ - out_.size())));
  }
  void string(std::string_view s) {
    // Escaped in pieces cut at UTF-8 boundaries, so that a huge string is never copied whole when
    // only its first bytes are kept.
    text("\"");
    while (!s.empty()) {
      const std::size_t n = utf8_prefix_length(s, 65536);
      scratch_.clear();
      write_json_string(scratch_, s.substr(0, n));
      text(std::string_view(scratch_).substr(1, scratch_.size() - 2));
      s.remove_prefix(n);
    }
    text("\"");
  }
  [[nodiscard]] std::size_t total() const noexcept { return total_; }

 private:
  std::string& out_;
  std::size_t limit_;
  std::size_t total_ = 0;
  std::string scratch_;
};

/// Write an nlohmann value as compact JSON (Go's string escaping), iteratively: nesting of any
/// depth costs heap, never stack.
inline void write_dom(const nlohmann::json& root, dom_output& out) {
  using value_t = nlohmann::json::value_t;
  struct level {
    const nlohmann::json* v;
    nlohmann::json::const_iterator it;
    bool first;
  };
  std::vector<level> stack;
  std::string num;
  const auto value = [&](const nlohmann::json& v) {
    switch (v.type()) {
      case value_t::object:
      case value_t::array:
        out.text(v.is_object() ? "{" : "[");
        stack.push_back(level{&v, v.cbegin(), true});
        return;
      case value_t::string: out.string(v.get_ref<const std::string&>()); return;
      case value_t::boolean: out.text(v.get<bool>() ? "true" : "false"); return;
      case value_t::number_integer:
        num.clear();
        write_int(num, v.get<std::int64_t>());
        out.text(num);
        return;
      case value_t::number_unsigned: out.text(std::to_string(v.get<std::uint64_t>())); return;
      case value_t::number_float:
        num.clear();
        write_dom_double(num, v.get<double>());
        out.text(num);
        return;
      default: out.text("null"); return;  // null, binary, discarded
    }
  };
  value(root);
  while (!stack.empty()) {
    level& l = stack.back();
    if (l.it == l.v->cend()) {
      out.text(l.v->is_object() ? "}" : "]");
      stack.pop_back();
      continue;
    }
    if (!l.first) out.text(",");
    l.first = false;
    const nlohmann::json& child = *l.it;
    if (l.v->is_object()) {
      out.string(l.it.key());
      out.text(":");
    }
    ++l.it;
    value(child);  // may grow the stack: `l` is not used after this
  }
}

/// The compact JSON text of an nlohmann value (see write_dom).
[[nodiscard]] inline std::string dom_text(const nlohmann::json& j) {
  std::string out;
  dom_output o(out);
  write_dom(j, o);
  return out;
}

/// An nlohmann value as the `value` of a field error: strings quoted, other values as compact
/// JSON; cut at max_echoed_bytes with the full length given.
[[nodiscard]] inline std::string dom_echo(const nlohmann::json& v) {
  if (v.is_string()) return quote_value(v.get_ref<const std::string&>());
  std::string out;
  dom_output o(out, max_echoed_bytes);
  write_dom(v, o);
  if (o.total() > out.size()) {
    out.resize(utf8_prefix_length(out, out.size()));
    append_cut_mark(out, o.total());
  }
  return out;
}

/// Builds an nlohmann value from the parser's calls (validated_parser), iteratively. A repeated
/// key keeps its last value.
class dom_builder {
 public:
  nlohmann::json root;

  void start_object() { open(nlohmann::json::object()); }
  void start_array() { open(nlohmann::json::array()); }
  void end_object() { close(); }
  void end_array() { close(); }
  void key(std::string_view k, bool) { key_.assign(k); }
  void string(std::string_view s) { slot() = std::string(s); }
  void boolean(bool b) { slot() = b; }
  void null() { slot() = nullptr; }
  void number(const json_number& n) {
    switch (n.k) {
      case json_number::kind::integer: slot() = n.i; break;
      case json_number::kind::unsigned_integer: slot() = n.u; break;
      default: slot() = n.d; break;  // as nlohmann holds numbers past 64 bits (maybe infinite)
    }
  }

 private:
  nlohmann::json& slot() {
    if (stack_.empty()) return root;
    nlohmann::json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(nullptr);
      return top.back();
    }
    return top[key_];
  }
  void open(nlohmann::json v) {
    nlohmann::json& s = slot();
    s = std::move(v);
    stack_.push_back(&s);
  }
  void close() {
    if (!stack_.empty()) stack_.pop_back();
  }
  std::vector<nlohmann::json*> stack_;  // the open containers (a container's address is stable
                                        // while it is open: only its last element grows)
  std::string key_;
};

/// The nlohmann value of one JSON text, checked by the framer first (syntax and limits).
/// Throws epslice::error with `what` in the reason when the text is not one JSON value or passes
/// a limit.
[[nodiscard]] inline nlohmann::json parse_dom(std::string_view text, std::string_view what,
                                              const decode_limits& limits = {}) {
  struct counting_sink {
    std::size_t units = 0;
    std::optional<field_error> limit;
    void on_unit(const framed_unit& u) {
      ++units;
      if (u.limit && !limit) limit = u.limit;
    }
  } sink;
  framer f(limits, false);
  f.feed(text, sink);
  f.finish(sink);
  if (f.syntax_error() || sink.units != 1 || f.values() != 1)
    throw_error("", "the JSON text of the " + std::string(what) + " is not JSON");
  if (sink.limit) {
    field_error e = *sink.limit;
    throw_error(field_errors{std::move(e)});
  }
  dom_builder b;
  validated_parser p;
  p.parse(text, b);
  return std::move(b.root);
}


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
    // dom_echo, not dump(): iterative (a value may nest 100,000 deep), cut at max_echoed_bytes, and
    // a value built in C++ with invalid UTF-8 does not throw.
    errors.push_back(field_error{path, error_type::invalid, dom_echo(v), "must be " + std::string(expected)});
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
