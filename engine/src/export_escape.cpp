// Escaping for every language an export writes. See export_internal.h.
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <vector>

#include "export_internal.h"
#include "json_fast.h"

namespace ftconfig::internal {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes UTF-8 into code points; each invalid sequence (bad lead byte,
// truncated or overlong sequence, surrogate, > U+10FFFF) yields one U+FFFD.
std::vector<char32_t> Decode(const std::string& s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
    else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    bool ok = i + static_cast<size_t>(len) <= n;
    for (int k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out.push_back(kReplacement);
      ++i;  // resynchronize on the next byte
      continue;
    }
    out.push_back(cp);
    i += static_cast<size_t>(len);
  }
  return out;
}

// \xNN, \uNNNN or \UNNNNNNNN: the escapes Python and YAML double-quoted
// scalars share.
std::string HexEscape(char32_t cp) {
  char buf[16];
  if (cp < 0x100) std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
  else if (cp < 0x10000) std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
  else std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
  return buf;
}

// Both Python and YAML double-quoted strings: printable ASCII verbatim except
// '"' and '\\'; everything else escaped.
std::string QuotedAscii(const std::string& s) {
  std::string out = "\"";
  for (char32_t cp : Decode(s)) {
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (cp >= 0x20 && cp < 0x7F) out.push_back(static_cast<char>(cp));
        else out += HexEscape(cp);
    }
  }
  out += "\"";
  return out;
}

bool IsLineBreakOrControl(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029;
}

// Bidirectional embedding/override/isolate controls and zero-width
// characters: they change how surrounding text displays.
bool IsInvisibleFormat(char32_t cp) {
  return (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
         cp == 0xFEFF;
}

}  // namespace

std::string SanitizeUtf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t cp : Decode(s)) AppendUtf8(static_cast<uint32_t>(cp), &out);
  return out;
}

std::string PyString(const std::string& s) { return QuotedAscii(s); }

std::string YamlString(const std::string& s) { return QuotedAscii(s); }

std::string MarkdownText(const std::string& s) {
  std::string out;
  bool prev_cr = false;
  for (char32_t cp : Decode(s)) {
    if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) {
      if (!(cp == '\n' && prev_cr)) out += "<br>";
      prev_cr = cp == '\r';
      continue;
    }
    prev_cr = false;
    if (cp == '\t') {
      out += ' ';
      continue;
    }
    if (IsLineBreakOrControl(cp) || IsInvisibleFormat(cp)) continue;
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\\': case '`': case '*': case '_': case '{': case '}': case '[': case ']': case '(': case ')':
      case '#': case '+': case '-': case '.': case '!': case '|': case '~': case '$': case '=': case ':':
      case '\'':
        out.push_back('\\');
        out.push_back(static_cast<char>(cp));
        break;
      default: AppendUtf8(static_cast<uint32_t>(cp), &out);
    }
  }
  return out;
}

std::string CommentText(const std::string& s) {
  std::string out;
  for (char32_t cp : Decode(s)) {
    if (IsLineBreakOrControl(cp)) out.push_back(' ');
    else if (cp < 0x80) out.push_back(static_cast<char>(cp));
    else out += HexEscape(cp);
  }
  return out;
}

std::string FloatText(double d) {
  if (!std::isfinite(d)) return "null";
  std::string t = json(d).dump();  // shortest round-trip form, e.g. 2e-05, 0.0002, 3.0
  size_t e = t.find_first_of("eE");
  std::string mant = e == std::string::npos ? t : t.substr(0, e);
  std::string exp = e == std::string::npos ? "" : t.substr(e + 1);
  if (mant.find('.') == std::string::npos) mant += ".0";
  if (exp.empty()) return mant;
  if (exp[0] != '+' && exp[0] != '-') exp = "+" + exp;
  return mant + "e" + exp;
}

std::string PyValue(const ojson& v, int indent, int level) {
  const std::string pad(static_cast<size_t>(indent * (level + 1)), ' ');
  const std::string close_pad(static_cast<size_t>(indent * level), ' ');
  switch (v.type()) {
    case ojson::value_t::null: return "None";
    case ojson::value_t::boolean: return v.get<bool>() ? "True" : "False";
    case ojson::value_t::number_integer: return std::to_string(v.get<int64_t>());
    case ojson::value_t::number_unsigned: return std::to_string(v.get<uint64_t>());
    case ojson::value_t::number_float: {
      std::string f = FloatText(v.get<double>());
      return f == "null" ? "None" : f;
    }
    case ojson::value_t::string: return PyString(v.get<std::string>());
    case ojson::value_t::array: {
      if (v.empty()) return "[]";
      bool flat = true;
      for (const auto& x : v) flat = flat && !x.is_structured();
      std::string out = "[";
      bool first = true;
      for (const auto& x : v) {
        if (!first) out += ", ";
        out += flat ? PyValue(x, indent, level) : "\n" + pad + PyValue(x, indent, level + 1);
        first = false;
      }
      return out + (flat ? "]" : ",\n" + close_pad + "]");
    }
    case ojson::value_t::object: {
      if (v.empty()) return "{}";
      std::string out = "{\n";
      for (const auto& [k, x] : v.items()) out += pad + PyString(k) + ": " + PyValue(x, indent, level + 1) + ",\n";
      return out + close_pad + "}";
    }
    default: return "None";
  }
}

std::string YamlValue(const ojson& v) {
  switch (v.type()) {
    case ojson::value_t::null: return "null";
    case ojson::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case ojson::value_t::number_integer: return std::to_string(v.get<int64_t>());
    case ojson::value_t::number_unsigned: return std::to_string(v.get<uint64_t>());
    case ojson::value_t::number_float: return FloatText(v.get<double>());
    case ojson::value_t::string: return YamlString(v.get<std::string>());
    default: return YamlString(v.dump(-1, ' ', true, ojson::error_handler_t::replace));
  }
}

}  // namespace ftconfig::internal
