// SPDX-License-Identifier: Apache-2.0
// Reading the tool's inputs: chunked reads, the JSON/YAML decision, the one-line reasons.
#include "cli.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#ifdef EPSLICE_TOOL_SIMDJSON
#include <epslice/simdjson.hpp>
#endif

namespace cli {

namespace {

// The reason for an errno of open(2), read(2) or fstat(2), as the one line says it.
std::string reason_of(int error) {
  switch (error) {
    case ENOENT: return "no such file";
    case ENOTDIR: return "no such file (a part of the path is not a directory)";
    case EACCES:
    case EPERM: return "permission denied";
    case EISDIR: return "is a directory";
    default: return std::strerror(error);
  }
}

[[noreturn]] void unreadable(const std::string& name, const std::string& reason) {
  throw unreadable_input{"epslice: " + name + ": " + reason};
}

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Text echoed in a message: at most max_echoed_bytes of it, then its length when it was longer
// (a 200 MB name must not land in every line about its object).
std::string cut(std::string_view text) {
  std::string out(text.substr(0, epslice::detail::utf8_prefix_length(text, epslice::max_echoed_bytes)));
  if (text.size() > epslice::max_echoed_bytes) epslice::detail::append_cut_mark(out, text.size());
  return out;
}


}  // namespace

// ---- input_source ----------------------------------------------------------------------------

input_source::input_source(std::string name) : name_(std::move(name)) {
  if (name_ == "-") {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) unreadable(name_, reason_of(errno));
    owned_ = true;
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
    if (owned_) ::close(fd_);
    fd_ = -1;
    unreadable(name_, "is a directory");
  }
  buffer_.resize(chunk_size);
}

input_source::~input_source() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

std::string_view input_source::next() {
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
    if (n >= 0) return {buffer_.data(), static_cast<std::size_t>(n)};
    if (errno == EINTR) continue;
    const int error = errno;
    unreadable(name_, error == EISDIR ? reason_of(error) : "read error: " + reason_of(error));
  }
}

// ---- input_decoder ---------------------------------------------------------------------------

#ifdef EPSLICE_TOOL_SIMDJSON
namespace {
bool fast_path_disabled() {
  const char* v = std::getenv("EPSLICE_SIMDJSON");
  return v != nullptr && std::string_view(v) == "0";
}
}  // namespace
#endif

std::unique_ptr<epslice::framed_object_decoder> fast_object_decoder() {
#ifdef EPSLICE_TOOL_SIMDJSON
  if (!fast_path_disabled()) return std::make_unique<epslice::simdjson_object_decoder>();
#endif
  return nullptr;
}

std::string_view fast_path_state() {
#ifdef EPSLICE_TOOL_SIMDJSON
  return fast_path_disabled() ? "the standard reader (EPSLICE_SIMDJSON=0)"
                              : "simdjson (EPSLICE_SIMDJSON=0 in the environment selects the standard reader; the output\n"
                                "is the same)";
#else
  return "the standard reader (built without simdjson)";
#endif
}

void input_decoder::feed(std::string_view chunk) {
  if (format_ == input_format::json) {
    events_.feed(chunk);
    return;
  }
  if (format_ == input_format::yaml) {
    check_.feed(chunk);
    text_.append(chunk);
    return;
  }
  std::size_t i = 0;
  // A UTF-8 byte order mark does not decide the format; kubectl skips it too.
  static constexpr std::string_view bom = "\xEF\xBB\xBF";
  while (i < chunk.size() && bom_seen_ < bom.size() && text_.size() + i == bom_seen_ && chunk[i] == bom[bom_seen_]) {
    ++bom_seen_;
    ++i;
  }
  while (i < chunk.size() && is_json_space(chunk[i])) ++i;
  if (i == chunk.size()) {
    text_.append(chunk);  // white space (and a BOM) only so far: the format is still open
    return;
  }
  format_ = chunk[i] == '{' || chunk[i] == '[' ? input_format::json : input_format::yaml;
  if (format_ == input_format::json) {
    // What came before is white space: given to the decoder too, so that lines and columns count it.
    events_.feed(text_);
    events_.feed(chunk);
    text_.clear();
    text_.shrink_to_fit();
  } else {
    check_.feed(text_);
    check_.feed(chunk);
    text_.append(chunk);
  }
}

bool input_decoder::finish() {
  switch (format_) {
    case input_format::unknown: return false;
    case input_format::json: events_.finish(); return true;
    case input_format::yaml: break;
  }
  check_.finish();
  std::string json;
  // Aliases may expand to as much JSON as one object may hold (--max-object-bytes).
  const std::size_t documents = yaml_to_json(text_, json, yaml_limits{.max_alias_bytes = input_limits().max_object_bytes});
  text_.clear();
  text_.shrink_to_fit();
  if (documents == 0) return false;
  events_.feed(json);
  events_.finish();
  return true;
}

// ---- loading ---------------------------------------------------------------------------------

std::string status_text(const epslice::watch_event& e) {
  if (!e.status) return "no Status";
  const auto& s = *e.status;
  std::string out = "code " + std::to_string(s.code);
  if (!s.reason.empty()) out += " " + s.reason;
  if (!s.message.empty()) out += ": " + cut(s.message);  // the server's text: cut as values are
  return out;
}

std::string describe(const epslice::decoded_object& o) {
  // The store's identity: a raw object's metadata read without a DOM, generateName* for no name.
  const epslice::object_identity id = epslice::identity_of(o);
  const std::string kind = id.kind.empty() ? std::string("<no kind>") : cut(id.kind);
  // Cluster-scoped objects (Node) have no namespace.
  const std::string name = id.name.empty() ? std::string("<no name>") : cut(id.name);
  return kind + " " + (id.namespace_.empty() ? name : cut(id.namespace_) + "/" + name);
}

stream_summary stream_input(const std::string& name, const event_sink& sink, const std::function<void()>& batch_end) {
  stream_summary s;
  input_decoder decoder(input_limits());
  epslice::stream_decoder& events = decoder.events();
  // Everything the decoder completed: problems outside objects first, then each event with its
  // object's problems, then the Lists that ended.
  const auto drain = [&] {
    bool any = false;
    for (const auto& p : events.take_problems()) {
      std::cerr << name << ": " << p.message() << "\n";
      s.code = std::max(s.code, exit_invalid);
    }
    while (auto e = events.next()) {
      if (holds_object(*e))
        for (const auto& p : e->object.problems) {
          std::cerr << name << ": " << describe(e->object) << ": " << p.message() << "\n";
          s.code = std::max(s.code, exit_invalid);
        }
      // An ERROR event ends a watch: what follows in the input (if anything) is a new watch, but
      // the state the stream described is incomplete.
      if (e->type == epslice::watch_event_type::error) {
        std::cerr << name << ": warning: the stream reported an error (" << status_text(*e)
                  << "): the objects are those before it\n";
        stream_error_seen() = true;
      }
      any = true;
      sink(std::move(*e));
    }
    for (auto& l : events.take_lists()) s.lists.push_back(std::move(l));
    if (any && batch_end) batch_end();
  };
  try {
    input_source source(name);
    // Reading stops at a syntax error: nothing after it is decoded (`/dev/zero` ends at once).
    for (auto chunk = source.next(); !chunk.empty() && !events.syntax_error(); chunk = source.next()) {
      decoder.feed(chunk);
      drain();
    }
    s.format = decoder.format();
    const bool any = decoder.finish();
    drain();
    if (!any)
      unreadable(name, s.format == input_format::yaml ? "empty input (no YAML document holds a value)" : "empty input");
  } catch (const unreadable_input& e) {
    std::cerr << e.message << "\n";
    s.code = exit_usage;
    return s;
  } catch (const text_error& e) {
    std::cerr << name << ":" << e.line << ":" << e.column << ": " << e.reason << "\n";
    s.code = exit_usage;
    return s;
  }
  s.values = events.values();
  s.had_list = events.had_list();
  if (const auto& e = events.syntax_error()) {
    // YAML is converted to valid JSON: a syntax error is always in JSON input.
    std::cerr << name << ":" << e->line << ":" << e->column << ": not JSON: " << e->message << "\n";
    s.code = exit_usage;
  }
  return s;
}

std::vector<loaded_file> load_all(const std::vector<std::string>& names, int& code) {
  std::vector<loaded_file> files(names.size());
  epslice::object_store store;
  for (std::size_t i = 0; i < names.size(); ++i) {
    files[i].name = names[i];
    files[i].code = stream_input(names[i], [&](epslice::watch_event&& e) {
                      if (holds_object(e)) (void)store.apply(std::move(e), i);
                    }).code;
    code = std::max(code, files[i].code);
  }
  store.drain([&](epslice::decoded_object&& o, std::size_t i) {
    epslice::watch_event e;
    e.object = std::move(o);
    files[i].doc.events.push_back(std::move(e));
  });
  return files;
}

}  // namespace cli
