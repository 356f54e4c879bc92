// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the epslice command-line tool: arguments, input, diagnostics, output.
#pragma once

#include <epslice/epslice.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

/// Exit codes, the same for every subcommand.
inline constexpr int exit_ok = 0;
inline constexpr int exit_invalid = 1;  ///< input objects are invalid
inline constexpr int exit_usage = 2;    ///< usage error or unreadable input

/// Thrown for usage errors; main prints the message and exits 2.
struct usage_error {
  std::string message;
};

/// Parsed command line of one subcommand: `--name value`, `--name=value`, `--flag`, positionals.
class args {
 public:
  args(std::vector<std::string> argv, std::vector<std::string> value_options, std::vector<std::string> flags)
      : value_options_(std::move(value_options)), flags_(std::move(flags)) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a.size() > 2 && a.rfind("--", 0) == 0) {
        std::string name = a.substr(2), value;
        bool has_value = false;
        if (auto eq = name.find('='); eq != std::string::npos) {
          value = name.substr(eq + 1);
          name = name.substr(0, eq);
          has_value = true;
        }
        if (is_flag(name)) {
          if (has_value) throw usage_error{"option --" + name + " takes no value"};
          set_flags_.push_back(name);
        } else if (is_value_option(name)) {
          if (!has_value) {
            if (i + 1 >= argv.size()) throw usage_error{"option --" + name + " needs a value"};
            value = argv[++i];
          }
          values_[name] = value;
        } else {
          throw usage_error{"unknown option --" + name};
        }
      } else {
        positionals_.push_back(a);
      }
    }
  }
  [[nodiscard]] bool flag(const std::string& name) const {
    for (const auto& f : set_flags_)
      if (f == name) return true;
    return false;
  }
  [[nodiscard]] std::optional<std::string> value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  [[nodiscard]] const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  bool is_flag(const std::string& n) const {
    for (const auto& f : flags_)
      if (f == n) return true;
    return false;
  }
  bool is_value_option(const std::string& n) const {
    for (const auto& f : value_options_)
      if (f == n) return true;
    return false;
  }
  std::vector<std::string> value_options_, flags_, set_flags_, positionals_;
  std::map<std::string, std::string> values_;
};

/// Read a whole file, or standard input for "-". nullopt (with a message on stderr) when it
/// cannot be read.
inline std::optional<std::string> read_input(const std::string& name) {
  if (name == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (std::cin.bad()) {
      std::cerr << "epslice: -: cannot read standard input\n";
      return std::nullopt;
    }
    return text;
  }
  std::ifstream in(name, std::ios::binary);
  if (!in) {
    std::cerr << "epslice: " << name << ": cannot open file\n";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    std::cerr << "epslice: " << name << ": cannot read file\n";
    return std::nullopt;
  }
  return ss.str();
}

/// `<Kind> <namespace>/<name>` of a decoded object, for messages.
inline std::string describe(const epslice::decoded_object& o) {
  std::string ns, name;
  if (const auto* s = o.value.get_if<epslice::any_endpoint_slice>()) {
    const auto& m = epslice::metadata_of(*s);
    ns = m.namespace_;
    name = m.display_name();
  } else if (const auto* e = o.value.get_if<epslice::endpoints>()) {
    ns = e->metadata.namespace_;
    name = e->metadata.display_name();
  } else {
    const auto& r = o.value.get<epslice::raw_object>();
    try {
      auto j = nlohmann::json::parse(r.json);
      if (auto md = j.find("metadata"); md != j.end() && md->is_object()) {
        if (auto n = md->find("namespace"); n != md->end() && n->is_string()) ns = n->get<std::string>();
        if (auto n = md->find("name"); n != md->end() && n->is_string()) name = n->get<std::string>();
        else if (auto g = md->find("generateName"); g != md->end() && g->is_string()) name = g->get<std::string>() + "*";
      }
    } catch (const nlohmann::json::exception&) {
    }
  }
  std::string kind(o.kind());
  if (kind.empty()) kind = "<no kind>";
  // Cluster-scoped objects (Node) have no namespace.
  return kind + " " + (ns.empty() ? name : ns + "/" + name);
}

/// One input file decoded. `code` is exit_usage when it could not be read or is not JSON (the
/// message is already printed), exit_invalid when it has structural or decoding problems (also
/// printed), else exit_ok.
struct loaded_file {
  /// The decoded input with the objects of its events (the library now reads events).
  struct document {
    std::vector<epslice::decoded_object> objects;
    std::size_t values = 0;
    bool had_list = false;
    epslice::field_errors problems;
    std::optional<epslice::syntax_error_info> syntax_error;
  };
  std::string name;
  document doc;
  int code = exit_ok;
};

inline loaded_file load(const std::string& name) {
  loaded_file f;
  f.name = name;
  auto text = read_input(name);
  if (!text) {
    f.code = exit_usage;
    return f;
  }
  epslice::decoded_document decoded = epslice::decode_document(*text);
  for (auto& e : decoded.events) f.doc.objects.push_back(std::move(e.object));
  f.doc.values = decoded.values;
  f.doc.had_list = decoded.had_list;
  f.doc.problems = std::move(decoded.problems);
  f.doc.syntax_error = std::move(decoded.syntax_error);
  if (f.doc.syntax_error) {
    const auto& e = *f.doc.syntax_error;
    std::cerr << name << ":" << e.line << ":" << e.column << ": not JSON: " << e.message << "\n";
    f.code = exit_usage;
    return f;
  }
  for (const auto& p : f.doc.problems) {
    std::cerr << name << ": " << p.message() << "\n";
    f.code = exit_invalid;
  }
  for (const auto& o : f.doc.objects)
    for (const auto& p : o.problems) {
      std::cerr << name << ": " << describe(o) << ": " << p.message() << "\n";
      f.code = exit_invalid;
    }
  return f;
}

/// Print validation problems of object `o` read from `file`, one line each, as `epslice validate`
/// prints them. Returns true when there were none.
inline bool report_errors(const std::string& file, const epslice::decoded_object& o,
                          const epslice::field_errors& errors) {
  for (const auto& e : errors) std::cerr << file << ": " << describe(o) << ": " << e.message() << "\n";
  return errors.empty();
}

/// The EndpointSlices of `file`, in input order, each checked with epslice::validate. Problems are
/// printed as `epslice validate` prints them; objects of other kinds are invalid here. Returns the
/// exit code so far (exit_usage when the file is unreadable or not JSON).
inline int load_valid_slices(const std::string& file, std::vector<epslice::any_endpoint_slice>& out,
                             std::string_view option = "--slices") {
  const loaded_file f = load(file);
  if (f.code == exit_usage) return f.code;
  int code = f.code;
  for (const auto& o : f.doc.objects) {
    const auto* s = o.value.get_if<epslice::any_endpoint_slice>();
    if (!s) {
      std::cerr << f.name << ": " << describe(o) << ": " << option << " takes EndpointSlice objects\n";
      code = std::max(code, exit_invalid);
      continue;
    }
    if (!o.problems.empty()) continue;  // reported by load()
    if (!report_errors(f.name, o, epslice::validate(*s))) {
      code = std::max(code, exit_invalid);
      continue;
    }
    out.push_back(*s);
  }
  return code;
}

/// The inputs named on the command line (standard input when there are none).
inline std::vector<std::string> inputs(const args& a) {
  std::vector<std::string> names = a.positionals();
  if (names.empty()) names.push_back("-");
  return names;
}

/// Re-indent compact JSON text (as the encoder writes it) with `indent` spaces, the way kubectl
/// prints objects. Keys keep their order and numbers their text.
inline std::string indent_json(std::string_view compact, int indent = 4) {
  std::string out;
  out.reserve(compact.size() * 2);
  int depth = 0;
  bool in_string = false;
  auto newline = [&] {
    out += '\n';
    out.append(static_cast<std::size_t>(depth * indent), ' ');
  };
  for (std::size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (in_string) {
      out += c;
      if (c == '\\') out += compact[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    switch (c) {
      case '"': in_string = true; out += c; break;
      case '{':
      case '[':
        out += c;
        if (i + 1 < compact.size() && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
          out += compact[++i];
        } else {
          ++depth;
          newline();
        }
        break;
      case '}':
      case ']':
        --depth;
        newline();
        out += c;
        break;
      case ',': out += c; newline(); break;
      case ':': out += ": "; break;
      default: out += c; break;
    }
  }
  return out;
}

/// Compact JSON of a decoded object.
inline std::string encode_object(const epslice::decoded_object& o) {
  return epslice::encode(o, epslice::encode_options{});
}

/// Compact JSON of a `List` (apiVersion v1, kind List) holding the given compact items.
inline std::string list_json(const std::vector<std::string>& items) {
  std::string out = R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  out += "]}";
  return out;
}

/// A subcommand. Each cmd_*.cpp registers its commands with a `registrar` at namespace scope, so
/// that adding a command touches no shared file.
struct command {
  std::string name;
  int (*run)(const std::vector<std::string>& argv);
  std::string summary;
  int order = 100;  ///< position in `epslice --help`
};

/// The commands of the tool, in help order.
inline std::vector<command>& command_table() {
  static std::vector<command> table;
  return table;
}

struct registrar {
  registrar(std::string name, int (*run)(const std::vector<std::string>&), std::string summary, int order = 100) {
    auto& t = command_table();
    command c{std::move(name), run, std::move(summary), order};
    auto it = t.begin();
    while (it != t.end() && it->order <= order) ++it;
    t.insert(it, std::move(c));
  }
};

/// Help lines of the compaction options shared by `reconcile` and `simulate`: `prefix` before each
/// option, descriptions from column `column`, wrapped before column 96.
inline std::string compaction_help(std::string_view prefix, std::size_t column) {
  const std::pair<std::string_view, std::string_view> items[] = {
      {"--compact-below F",
       "compaction (beyond upstream): while a port set's slices are less than F full (0 to 1) and "
       "one slice fewer holds them, empty the cheapest slice into the others; needs"},
      {"--compaction-budget N",
       "the extra writes one reconcile may spend on it (0 to 1000000); 0.8 and 1 are the "
       "recommended pair"}};
  std::string out;
  for (const auto& [option, text] : items) {
    std::string line = std::string(prefix) + std::string(option);
    if (line.size() >= column) {
      out += line + "\n";
      line.clear();
    }
    line.resize(column, ' ');
    std::size_t pos = 0;
    bool empty = true;
    while (pos < text.size()) {
      std::size_t next = text.find(' ', pos);
      if (next == std::string_view::npos) next = text.size();
      const std::string_view word = text.substr(pos, next - pos);
      if (!empty && line.size() + 1 + word.size() > 96) {
        out += line + "\n";
        line.assign(column, ' ');
        empty = true;
      }
      if (!empty) line += ' ';
      line += word;
      empty = false;
      pos = next + 1;
    }
    out += line + "\n";
  }
  return out;
}

/// The compaction settings of `--compact-below F --compaction-budget N` (both or neither; off
/// when neither is given). Throws usage_error for bad values.
inline epslice::compaction_options compaction_of(const args& a) {
  epslice::compaction_options c;
  const auto below = a.value("compact-below");
  const auto budget = a.value("compaction-budget");
  if (below.has_value() != budget.has_value())
    throw usage_error{"--compact-below and --compaction-budget go together"};
  if (!below) return c;
  const std::string fullness_message = "--compact-below " + *below + ": must be a number from 0 to 1";
  const bool plain_number = !below->empty() && std::all_of(below->begin(), below->end(), [](char ch) {
    return (ch >= '0' && ch <= '9') || ch == '.';
  });
  if (!plain_number) throw usage_error{fullness_message};
  std::size_t used = 0;
  try {
    c.min_fullness = std::stod(*below, &used);
  } catch (const std::exception&) {
    throw usage_error{fullness_message};
  }
  if (used != below->size() || !(c.min_fullness >= 0.0 && c.min_fullness <= 1.0)) throw usage_error{fullness_message};
  const std::string budget_message = "--compaction-budget " + *budget + ": must be an integer from 0 to 1000000";
  if (budget->empty() || budget->size() > 7 ||
      !std::all_of(budget->begin(), budget->end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    throw usage_error{budget_message};
  c.max_extra_writes = std::stoul(*budget);
  if (c.max_extra_writes > 1000000) throw usage_error{budget_message};
  return c;
}

/// True when the arguments ask for the command's help.
inline bool wants_help(const std::vector<std::string>& argv) {
  for (const auto& a : argv)
    if (a == "--help" || a == "-h") return true;
  return false;
}

}  // namespace cli
