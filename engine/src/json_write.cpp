// JSON text of an nlohmann::json value, byte for byte what value.dump(indent)
// writes (compact or indented), in a fraction of the time.
//
// nlohmann's serializer writes through a virtual output adapter one token (often
// one character) at a time and runs a UTF-8 decoder over every byte of every
// string; on the ~10 KB recommendation it was ~9% of a request natively and
// ~11% in WebAssembly, where the indirect calls cost more (docs/performance.md,
// #21). Here ASCII strings are copied in runs between the characters that need
// escaping, numbers are written by nlohmann's own formatters (the same digits),
// and anything unusual - a string with non-ASCII bytes, a binary value, a
// discarded value - is handed to nlohmann's serializer, so its text and its
// errors (invalid UTF-8: type_error 316) are the library's.
#include <charconv>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "ftconfig/json_text.h"

namespace ftconfig {
namespace {

using json = nlohmann::json;

// nlohmann's escapes for the characters JSON requires escaped (ensure_ascii off).
void AppendEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '"': out->append("\\\""); return;
    case '\\': out->append("\\\\"); return;
    case '\b': out->append("\\b"); return;
    case '\f': out->append("\\f"); return;
    case '\n': out->append("\\n"); return;
    case '\r': out->append("\\r"); return;
    case '\t': out->append("\\t"); return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char code[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out->append(code, sizeof code);
    }
  }
}

void AppendString(const std::string& s, std::string* out) {
  const size_t start = out->size();
  out->push_back('"');
  const char* run = s.data();
  const char* end = s.data() + s.size();
  for (const char* p = run; p != end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {  // UTF-8: nlohmann's own validation and text
      out->resize(start);
      out->append(json(s).dump());
      return;
    }
    if (c < 0x20 || c == '"' || c == '\\') {
      out->append(run, static_cast<size_t>(p - run));
      AppendEscape(c, out);
      run = p + 1;
    }
  }
  out->append(run, static_cast<size_t>(end - run));
  out->push_back('"');
}

template <typename Integer>
void AppendInteger(Integer v, std::string* out) {
  char buffer[24];
  auto written = std::to_chars(buffer, buffer + sizeof buffer, v);
  out->append(buffer, written.ptr);
}

void AppendFloat(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buffer[64];
  char* end = nlohmann::detail::to_chars(buffer, buffer + sizeof buffer, v);
  out->append(buffer, end);
}

// How dump(indent) lays out containers: compact (indent < 0), or one member per
// line, `indent` spaces per level, ": " between key and value.
struct Layout {
  int indent = -1;
  bool pretty() const { return indent >= 0; }
  void NewLine(int level, std::string* out) const {
    if (!pretty()) return;
    out->push_back('\n');
    out->append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
  }
};

void AppendValue(const json& v, const Layout& layout, int level, std::string* out);

void AppendObject(const json::object_t& object, const Layout& layout, int level, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : object) {
    if (!first) out->push_back(',');
    first = false;
    layout.NewLine(level + 1, out);
    AppendString(key, out);
    out->append(layout.pretty() ? ": " : ":");
    AppendValue(value, layout, level + 1, out);
  }
  if (!object.empty()) layout.NewLine(level, out);
  out->push_back('}');
}

void AppendArray(const json::array_t& array, const Layout& layout, int level, std::string* out) {
  out->push_back('[');
  bool first = true;
  for (const auto& value : array) {
    if (!first) out->push_back(',');
    first = false;
    layout.NewLine(level + 1, out);
    AppendValue(value, layout, level + 1, out);
  }
  if (!array.empty()) layout.NewLine(level, out);
  out->push_back(']');
}

void AppendValue(const json& v, const Layout& layout, int level, std::string* out) {
  switch (v.type()) {
    case json::value_t::object: AppendObject(v.get_ref<const json::object_t&>(), layout, level, out); return;
    case json::value_t::array: AppendArray(v.get_ref<const json::array_t&>(), layout, level, out); return;
    case json::value_t::string: AppendString(v.get_ref<const std::string&>(), out); return;
    case json::value_t::boolean: out->append(v.get<bool>() ? "true" : "false"); return;
    case json::value_t::number_integer: AppendInteger(v.get<json::number_integer_t>(), out); return;
    case json::value_t::number_unsigned: AppendInteger(v.get<json::number_unsigned_t>(), out); return;
    case json::value_t::number_float: AppendFloat(v.get<double>(), out); return;
    case json::value_t::null: out->append("null"); return;
    default: out->append(v.dump(layout.indent)); return;  // binary, discarded
  }
}

}  // namespace

void AppendJsonText(const nlohmann::json& value, std::string* out, int indent) {
  AppendValue(value, Layout{indent < 0 ? -1 : indent}, 0, out);
}

std::string JsonText(const nlohmann::json& value, int indent) {
  std::string out;
  out.reserve(4096);
  AppendJsonText(value, &out, indent);
  return out;
}

}  // namespace ftconfig
