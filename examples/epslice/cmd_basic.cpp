// SPDX-License-Identifier: Apache-2.0
// epslice validate, fmt and describe.
#include "cli.hpp"

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

namespace {

// The API server's strict view of an EndpointSlice or Endpoints: every repeated key (its strict
// field validation), then the value's rules. Decoding problems are printed by stream_input().
epslice::field_errors validate_object(const epslice::decoded_object& o) {
  if (o.value.holds<epslice::raw_object>()) return {};
  return epslice::validate(o);
}

// fmt's output, written while the inputs are read, in the form the whole input calls for:
//  - from the first watch event on, each value by itself (events as events, objects as
//    themselves), as kubectl prints a watch; a List already begun is closed first;
//  - several objects: one List, written item by item from the second object on;
//  - one object: that object; one List or typed list as the only value of the only input: that
//    list with its own kind, apiVersion and resourceVersion. Its items are held as compact text
//    until it ends, because those fields may follow the items (kubectl prints `kind` and
//    `metadata` last); the decoded objects are never held.
class fmt_output {
 public:
  fmt_output(bool compact, std::size_t inputs) : compact_(compact), inputs_(inputs) {}
  fmt_output(const fmt_output&) = delete;
  fmt_output& operator=(const fmt_output&) = delete;

  void event(const epslice::watch_event& e) {
    const bool go = e.shape == epslice::stream_shape::go_watch_event;
    const bool watch = go || e.shape == epslice::stream_shape::watch_event;
    if (watch || mode_ == mode::events) {
      to_events();
      json_printer out(std::cout, compact_);
      if (watch) {
        out.write(go ? R"({"Type":")" : R"({"type":")");
        out.write(epslice::to_string(e.type));
        out.write(go ? R"(","Object":)" : R"(","object":)");
      }
      out.write(encode_object(e.object));
      if (watch) out.write("}");
      out.finish();
      return;
    }
    ++objects_;
    if (mode_ == mode::list) {
      list_->write(",");
      list_->write(encode_object(e.object));
      return;
    }
    // Still open: the items of the first value of the only input, when it is a List, may be
    // printed under its own header.
    const bool may_be_own_list = inputs_ == 1 && e.shape == epslice::stream_shape::list_item && e.object.document == 0;
    if (objects_ > 1 && !may_be_own_list) {
      open_list(nullptr);
      list_->write(",");
      list_->write(encode_object(e.object));
      return;
    }
    held_begins_.push_back(held_.size());
    held_ += encode_object(e.object);
  }

  // The inputs have ended: `values` top-level values in all, `had_list` when one was a List or an
  // array, `lists` the Lists of the only input, `failed` when an input could not be read whole.
  // Nothing is printed when no object was printable and an input failed (an unreadable file, or
  // one whose only object was left out, is not an empty List).
  void end(std::size_t values, bool had_list, const std::vector<epslice::list_header>& lists, bool failed) {
    if (mode_ == mode::events) return;
    if (mode_ == mode::open && objects_ == 0 && failed) return;
    if (mode_ == mode::list) {
      close_list();
      return;
    }
    const bool list = inputs_ > 1 || had_list || values > 1 || objects_ != 1;
    if (!list) {
      print_json_value(held_, compact_);
      return;
    }
    // One typed list keeps its own kind, apiVersion and resourceVersion (a client resumes a watch
    // from it); anything else gathered is a plain List.
    open_list(inputs_ == 1 && values == 1 && lists.size() == 1 ? &lists[0] : nullptr);
    close_list();
  }

 private:
  enum class mode { open, list, events };

  // Starts the List, with the fields of `header` (a plain List without), and the held items.
  void open_list(const epslice::list_header* header) {
    list_.emplace(std::cout, compact_);
    std::string head;
    epslice::append_list_begin(head, header);
    list_->write(head);
    for (std::size_t i = 0; i < held_begins_.size(); ++i) {
      if (i) list_->write(",");
      list_->write(held(i));
    }
    drop_held();
    mode_ = mode::list;
  }
  void close_list() {
    std::string tail;
    epslice::append_list_end(tail);
    list_->write(tail);
    list_->finish();
    list_.reset();
  }
  // Watch events from now on: a List begun is closed, held objects are printed by themselves.
  void to_events() {
    if (mode_ == mode::list) close_list();
    if (mode_ == mode::open) {
      for (std::size_t i = 0; i < held_begins_.size(); ++i) print_json_value(held(i), compact_);
      drop_held();
    }
    mode_ = mode::events;
  }
  // The compact text of held object `i`.
  [[nodiscard]] std::string_view held(std::size_t i) const {
    const std::size_t end = i + 1 < held_begins_.size() ? held_begins_[i + 1] : held_.size();
    return std::string_view(held_).substr(held_begins_[i], end - held_begins_[i]);
  }
  void drop_held() {
    held_.clear();
    held_.shrink_to_fit();
    held_begins_.clear();
    held_begins_.shrink_to_fit();
  }

  bool compact_;
  std::size_t inputs_;
  mode mode_ = mode::open;
  std::size_t objects_ = 0;
  std::string held_;                    // compact text of the objects held, one after another
  std::vector<std::size_t> held_begins_;  // where each held object begins in held_
  std::optional<json_printer> list_;    // the List being written
};

}  // namespace

int cmd_validate(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << "usage: epslice validate [FILE|-]...\n\n"
                 "Checks every EndpointSlice and Endpoints object with the API server's validation rules.\n"
                 "One line per problem on standard error:\n"
                 "  <file>: <Kind> <namespace>/<name>: <field path>: <message>\n"
                 "Objects of other kinds are accepted without validation (one notice line each).\n"
                 "Objects are checked as they are read: memory holds one object, however long the stream.\n"
                 "Exit 0: all valid; 1: some object would be rejected; 2: unreadable input, or not JSON or YAML.\n";
    return exit_ok;
  }
  const args a(argv, {}, {});
  int code = exit_ok;
  for (const auto& name : inputs(a)) {
    // Object by object as the input is read: memory holds one object, however long the stream.
    const stream_summary s = stream_input(name, [&](epslice::watch_event&& e) {
      if (!holds_object(e)) return;
      const epslice::decoded_object& o = e.object;
      if (o.value.holds<epslice::raw_object>()) {
        std::cerr << name << ": notice: " << describe(o)
                  << ": not validated (epslice validates EndpointSlice and Endpoints)\n";
        return;
      }
      if (!o.problems.empty()) return;  // already printed by stream_input()
      if (!report_errors(name, o, validate_object(o))) code = std::max(code, exit_invalid);
    });
    code = std::max(code, s.code);
  }
  return code;
}

int cmd_fmt(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << "usage: epslice fmt [--compact] [FILE|-]...\n\n"
                 "Decodes and re-encodes objects, every version in input order. One object prints as that\n"
                 "object; one typed list (EndpointSliceList, PodList, ...) as that list with its kind,\n"
                 "apiVersion and resourceVersion; several objects or Lists as one List (apiVersion v1, kind\n"
                 "List). A watch stream (`kubectl get --watch --output-watch-events`) prints as events, one\n"
                 "value each, in order (objects before its first event print by themselves too). EndpointSlices\n"
                 "and Endpoints are written as the API server writes them (v1beta1 slices as v1); other kinds\n"
                 "pass through; a kind or apiVersion an item took from its typed list is not written into the item.\n"
                 "Output is written as the input is read: memory holds one object, or for a single List the\n"
                 "compact text of its items until its own fields are read. An object with problems is left out\n"
                 "(exit 1, each problem on standard error); at a syntax error the output ends with the objects\n"
                 "before it, still valid JSON (exit 2).\n"
                 "--compact prints one line instead of kubectl's 4-space indentation (which stops growing at\n"
                 "32 levels: deeper lines are indented as level 32, so the output stays linear in the input).\n";
    return exit_ok;
  }
  const args a(argv, {}, {"compact"});
  const auto names = inputs(a);
  int code = exit_ok;
  fmt_output out(a.flag("compact"), names.size());
  std::size_t values = 0;
  bool had_list = false;
  std::vector<epslice::list_header> lists;
  for (const auto& name : names) {
    stream_summary s = stream_input(name, [&](epslice::watch_event&& e) {
      if (holds_object(e) && !e.object.problems.empty()) return;  // printed, left out
      out.event(e);
    });
    code = std::max(code, s.code);
    values += s.values;
    had_list = had_list || s.had_list;
    lists = std::move(s.lists);
  }
  out.end(values, had_list, lists, code != exit_ok);
  return code;
}

int cmd_describe(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::cout << "usage: epslice describe [FILE|-]...\n\n"
                 "One line per object: file, kind, namespace/name, and for EndpointSlices the address type,\n"
                 "endpoint count (ready/serving/terminating), ports and validation result; for Endpoints\n"
                 "the subsets, ready and not-ready addresses. Objects are described as they are read: memory\n"
                 "holds one object, however long the stream.\n";
    return exit_ok;
  }
  const args a(argv, {}, {});
  int code = exit_ok;
  for (const auto& name : inputs(a)) {
    // Object by object as the input is read, as validate does.
    const stream_summary summary = stream_input(name, [&](epslice::watch_event&& event) {
      if (!holds_object(event)) return;
      const epslice::decoded_object& o = event.object;
      std::cout << name << ": " << describe(o);
      if (const auto* s = o.value.get_if<epslice::any_endpoint_slice>()) {
        std::visit(
            [&](const auto& x) {
              std::size_t ready = 0, serving = 0, terminating = 0;
              for (const auto& e : x.endpoints) {
                if (e.conditions.ready.value_or(true)) ++ready;
                if (e.conditions.serving.value_or(true)) ++serving;
                if (e.conditions.terminating.value_or(false)) ++terminating;
              }
              std::cout << ": " << (address_type_name(x).empty() ? "<no addressType>" : address_type_name(x))
                        << ", " << x.endpoints.size() << " endpoints (" << ready << " ready, " << serving
                        << " serving, " << terminating << " terminating), ports [";
              for (std::size_t i = 0; i < x.ports.size(); ++i) {
                const auto& p = x.ports[i];
                if (i) std::cout << ", ";
                std::cout << p.name.value_or("") << ":" << (p.port ? std::to_string(*p.port) : "*") << "/"
                          << p.protocol.value_or("TCP");
              }
              std::cout << "]";
            },
            *s);
      } else if (const auto* e = o.value.get_if<epslice::endpoints>()) {
        std::size_t ready = 0, not_ready = 0;
        for (const auto& subset : e->subsets) {
          ready += subset.addresses.size();
          not_ready += subset.not_ready_addresses.size();
        }
        std::cout << ": " << e->subsets.size() << " subsets, " << ready << " ready and " << not_ready
                  << " not-ready addresses";
      }
      if (!o.value.holds<epslice::raw_object>()) {
        const auto errors = validate_object(o);
        if (!o.problems.empty() || !errors.empty()) {
          std::cout << ": INVALID (" << (o.problems.size() + errors.size()) << " problems)";
          code = std::max(code, exit_invalid);
        } else {
          std::cout << ": valid";
        }
      }
      std::cout << "\n";
    });
    code = std::max(code, summary.code);
  }
  return code;
}

namespace {
const registrar validate_command{"validate", cmd_validate,
                                 "check objects against the API server's validation rules", 10};
const registrar fmt_command{"fmt", cmd_fmt, "decode and re-encode objects as Kubernetes writes them", 20};
const registrar describe_command{"describe", cmd_describe,
                                 "one line per object: kind, name, address type, endpoints, ports", 30};
}  // namespace

}  // namespace cli
