// See json_fast.h. A recursive-descent reader over the text in place: plain
// runs of string characters are appended in one go, integers are read
// without strtoull, and numbers with a fraction or an exponent go through the
// same std::strtod nlohmann calls (in the WebAssembly build, the engine's
// correctly rounded strtod: wasm/fast_strtod.cpp).
#include "json_fast.h"
#include "export_internal.h"

#include "ftconfig/json_text.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace ftconfig::internal {

namespace {

using json = nlohmann::json;

constexpr int kMaxDepth = 256;

class Reader {
 public:
  Reader(const char* begin, const char* end) : p_(begin), end_(end) {}

  bool Document(json* out) {
    SkipSpace();
    if (!Value(out, 0)) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Literal(const char* word, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return false;
    p_ += n;
    return true;
  }

  bool Value(json* out, int depth) {
    if (p_ == end_ || depth > kMaxDepth) return false;
    switch (*p_) {
      case '{':
        return Object(out, depth);
      case '[':
        return Array(out, depth);
      case '"': {
        std::string s;
        if (!String(&s)) return false;
        *out = std::move(s);
        return true;
      }
      case 't':
        if (!Literal("true", 4)) return false;
        *out = true;
        return true;
      case 'f':
        if (!Literal("false", 5)) return false;
        *out = false;
        return true;
      case 'n':
        if (!Literal("null", 4)) return false;
        *out = nullptr;
        return true;
      default:
        return Number(out);
    }
  }

  // Skips `c` (after spaces) when it comes next.
  bool Take(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // After a member or an element: ',' (more follow) or `close` (*done).
  bool Separator(char close, bool* done) {
    if (Take(',')) return true;
    *done = true;
    return Take(close);
  }

  bool Object(json* out, int depth) {
    ++p_;  // {
    *out = json::object();
    auto& object = out->get_ref<json::object_t&>();
    if (Take('}')) return true;
    std::string key;
    for (bool done = false; !done;) {
      SkipSpace();
      if (p_ == end_ || *p_ != '"') return false;
      key.clear();
      if (!String(&key) || !Take(':')) return false;
      SkipSpace();
      // The last of duplicate keys wins, as in nlohmann's parser.
      if (!Value(&object[key], depth + 1) || !Separator('}', &done)) return false;
    }
    return true;
  }

  bool Array(json* out, int depth) {
    ++p_;  // [
    *out = json::array();
    auto& array = out->get_ref<json::array_t&>();
    if (Take(']')) return true;
    for (bool done = false; !done;) {
      SkipSpace();
      array.emplace_back();
      if (!Value(&array.back(), depth + 1) || !Separator(']', &done)) return false;
    }
    return true;
  }

  static bool Cont(unsigned char c, unsigned char lo = 0x80, unsigned char hi = 0xBF) { return c >= lo && c <= hi; }

  // One UTF-8 sequence starting at p_ (a byte >= 0x80), by RFC 3629 as
  // nlohmann checks it: no overlong forms, no surrogates, at most U+10FFFF.
  bool Utf8(std::string* out) {
    const auto* u = reinterpret_cast<const unsigned char*>(p_);
    const size_t left = static_cast<size_t>(end_ - p_);
    size_t n = 0;
    const unsigned char c = u[0];
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
      if (left < n || !Cont(u[1])) return false;
    } else if (c == 0xE0) {
      n = 3;
      if (left < n || !Cont(u[1], 0xA0) || !Cont(u[2])) return false;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      n = 3;
      if (left < n || !Cont(u[1]) || !Cont(u[2])) return false;
    } else if (c == 0xED) {
      n = 3;
      if (left < n || !Cont(u[1], 0x80, 0x9F) || !Cont(u[2])) return false;
    } else if (c == 0xF0) {
      n = 4;
      if (left < n || !Cont(u[1], 0x90) || !Cont(u[2]) || !Cont(u[3])) return false;
    } else if (c >= 0xF1 && c <= 0xF3) {
      n = 4;
      if (left < n || !Cont(u[1]) || !Cont(u[2]) || !Cont(u[3])) return false;
    } else if (c == 0xF4) {
      n = 4;
      if (left < n || !Cont(u[1], 0x80, 0x8F) || !Cont(u[2]) || !Cont(u[3])) return false;
    } else {
      return false;
    }
    out->append(p_, n);
    p_ += n;
    return true;
  }

  bool Hex4(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    uint32_t x = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = p_[i];
      x <<= 4;
      if (c >= '0' && c <= '9') x |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') x |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') x |= static_cast<uint32_t>(c - 'A' + 10);
      else return false;
    }
    p_ += 4;
    *v = x;
    return true;
  }

  bool Escape(std::string* out) {
    ++p_;  // backslash
    if (p_ == end_) return false;
    const char c = *p_++;
    switch (c) {
      case '"': out->push_back('"'); return true;
      case '\\': out->push_back('\\'); return true;
      case '/': out->push_back('/'); return true;
      case 'b': out->push_back('\b'); return true;
      case 'f': out->push_back('\f'); return true;
      case 'n': out->push_back('\n'); return true;
      case 'r': out->push_back('\r'); return true;
      case 't': out->push_back('\t'); return true;
      case 'u': {
        uint32_t cp;
        if (!Hex4(&cp)) return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate first
        if (cp >= 0xD800 && cp <= 0xDBFF) {               // a high one: its low one must follow
          uint32_t low;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
          p_ += 2;
          if (!Hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(cp, out);
        return true;
      }
      default:
        return false;
    }
  }

  bool String(std::string* out) {
    ++p_;  // opening quote
    for (;;) {
      const char* run = p_;
      while (p_ < end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        if (!Escape(out)) return false;
      } else if (c >= 0x80) {
        if (!Utf8(out)) return false;
      } else {
        return false;  // a control character
      }
    }
  }

  static bool Digit(char c) { return c >= '0' && c <= '9'; }

  bool Number(json* out) {
    const char* start = p_;
    bool negative = false;
    if (*p_ == '-') {
      negative = true;
      ++p_;
    }
    if (p_ == end_ || !Digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ < end_ && Digit(*p_)) ++p_;
    }
    const char* int_end = p_;
    bool is_float = false;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !Digit(*p_)) return false;
      while (p_ < end_ && Digit(*p_)) ++p_;
      is_float = true;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !Digit(*p_)) return false;
      while (p_ < end_ && Digit(*p_)) ++p_;
      is_float = true;
    }
    const size_t len = static_cast<size_t>(p_ - start);
    if (!is_float) {
      const char* digits = start + (negative ? 1 : 0);
      const size_t nd = static_cast<size_t>(int_end - digits);
      if (nd <= 18) {  // fits: no overflow check needed
        uint64_t v = 0;
        for (const char* d = digits; d < int_end; ++d) v = v * 10 + static_cast<uint64_t>(*d - '0');
        if (negative) *out = -static_cast<int64_t>(v);
        else *out = v;
        return true;
      }
    }
    // The rest as nlohmann reads it: strtoull / strtoll for integers (a
    // float when out of range), strtod otherwise, on a terminated copy.
    char small[64];
    std::string big;
    char* text = small;
    if (len < sizeof small) {
      std::memcpy(small, start, len);
      small[len] = '\0';
    } else {
      big.assign(start, len);
      text = &big[0];
    }
    char* endptr = nullptr;
    if (!is_float) {
      errno = 0;
      if (negative) {
        const long long x = std::strtoll(text, &endptr, 10);
        if (errno == 0) {
          *out = static_cast<int64_t>(x);
          return true;
        }
      } else {
        const unsigned long long x = std::strtoull(text, &endptr, 10);
        if (errno == 0) {
          *out = static_cast<uint64_t>(x);
          return true;
        }
      }
    }
    const double d = std::strtod(text, &endptr);
    if (!std::isfinite(d)) return false;  // nlohmann: "number overflow"
    *out = d;
    return true;
  }

  const char* p_;
  const char* end_;
};

}  // namespace

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool ParseJsonFastOnly(std::string_view text, nlohmann::json* out) {
  Reader reader(text.data(), text.data() + text.size());
  return reader.Document(out);
}


nlohmann::json ParseJson(std::string_view text) {
  json out;
  if (ParseJsonFastOnly(text, &out)) return out;
  return json::parse(text.begin(), text.end(), nullptr, false);
}

}  // namespace ftconfig::internal

namespace ftconfig {

nlohmann::json ErrorObject(const Error& error) {
  // Valid UTF-8 whatever the error quotes: a message quoting half a character
  // used to make dump() throw, and the error became `internal` with no field.
  return {{"code", ToString(error.code)},
          {"field", internal::SanitizeUtf8(error.field)},
          {"message", internal::SanitizeUtf8(error.message)}};
}

size_t JsonDepth(const nlohmann::json& root) {
  size_t deepest = 0;
  std::vector<std::pair<const nlohmann::json*, size_t>> todo = {{&root, 1}};
  while (!todo.empty()) {
    auto [j, d] = todo.back();
    todo.pop_back();
    if (!j->is_structured()) continue;
    deepest = std::max(deepest, d);
    for (const auto& child : *j) todo.emplace_back(&child, d + 1);
  }
  return deepest;
}

std::string JsonSyntaxError(std::string_view text) {
  try {
    const nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end());
    (void)parsed;
    return "";
  } catch (const nlohmann::json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> "line 1, column 2: ..."
    std::string what = e.what();
    const size_t at = what.find(" at line ");
    if (at != std::string::npos) return what.substr(at + 4);
    const size_t close = what.find("] ");
    return close == std::string::npos ? what : what.substr(close + 2);
  }
}

}  // namespace ftconfig
