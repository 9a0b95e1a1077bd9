// strtod for the WebAssembly build.
//
// Emscripten's libc (musl) converts decimal text to double through a
// long-double scanner; in wasm32 long double is a 128-bit type emulated in
// software, so every floating-point number nlohmann::json parses costs
// microseconds. Profiling the browser start-up showed ~30% of Engine::Create
// (catalogs, corpus snapshot, ~8,000 split thresholds and leaf values of the
// HP predictor) inside that scanner (docs/performance.md, cold start).
//
// wasm/CMakeLists.txt compiles the engine with -Dstrtod=ftconfig_strtod, so
// every strtod the engine's code and its headers (nlohmann's lexer) call is
// this one; libc's stays for libc's own callers. Plain decimals
// whose significand fits in 53 bits and whose decimal exponent is within
// ±22 - nearly every number in the bundle - are converted with one IEEE
// multiplication or division of two exactly representable doubles, which is
// correctly rounded (Clinger's fast path). Everything else (more digits,
// larger exponents, hex, inf/nan, malformed text) goes to libc's own strtod,
// so the result and the end position are always strtod's.
#undef strtod  // this file calls libc's; the rest of the engine calls ftconfig_strtod

#include <cstdint>
#include <cstdlib>

namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// libc's own strtod, for everything the fast path does not take. This file
// is compiled without the -Dstrtod=ftconfig_strtod rename (#undef above), so
// the name here is libc's.
double Libc(const char* s, char** end) { return std::strtod(s, end); }

}  // namespace

// The conversion itself, under its own name so native tests can compare it
// with the platform's strtod bit for bit (tests/engine/strtod_test.cpp).
extern "C" double ftconfig_strtod(const char* s, char** end) {
  const char* p = s;
  while (IsSpace(*p)) ++p;
  bool negative = false;
  if (*p == '+' || *p == '-') negative = *p++ == '-';
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) return Libc(s, end);
  std::uint64_t mantissa = 0;
  int digits = 0;    // significant digits accumulated (leading zeros skipped)
  int exponent = 0;  // decimal exponent applied to mantissa
  bool any = false, exact = true;
  auto take = [&](char c) {
    if (mantissa == 0 && c == '0') return;
    if (++digits > 19) {
      exact = false;
      return;
    }
    mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
  };
  for (; IsDigit(*p); ++p) {
    any = true;
    take(*p);
    if (!exact) ++exponent;  // digits past the 19th still scale the value
  }
  if (*p == '.') {
    ++p;
    for (; IsDigit(*p); ++p) {
      any = true;
      if (exact) --exponent;
      take(*p);
      if (!exact) ++exponent;
    }
  }
  if (!any) return Libc(s, end);  // inf, nan, or no number at all
  if (*p == 'e' || *p == 'E') {
    // An exponent counts only with at least one digit: "1e" and "1e+x" end
    // before the 'e', as in strtod.
    const char* q = p + 1;
    bool exp_negative = false;
    if (*q == '+' || *q == '-') exp_negative = *q++ == '-';
    if (IsDigit(*q)) {
      long e = 0;
      for (; IsDigit(*q); ++q)
        if (e < 100000) e = e * 10 + (*q - '0');
      exponent += static_cast<int>(exp_negative ? -e : e);
      p = q;
    }
  }
  if (!exact || mantissa > (std::uint64_t{1} << 53) || exponent < -22 || exponent > 22)
    return Libc(s, end);  // correct rounding needs the full scanner
  double v = static_cast<double>(mantissa);
  v = exponent < 0 ? v / kPow10[-exponent] : v * kPow10[exponent];
  if (end) *end = const_cast<char*>(p);
  return negative ? -v : v;
}
