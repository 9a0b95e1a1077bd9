// The WebAssembly build's strtod (wasm/fast_strtod.cpp) must give exactly the
// platform strtod's double and end position for every input: the golden
// parity between native and WASM answers depends on it.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

extern "C" double ftconfig_strtod(const char* s, char** end);

namespace {

void Check(const std::string& text) {
  char* end_a = nullptr;
  char* end_b = nullptr;
  double a = ftconfig_strtod(text.c_str(), &end_a);
  double b = std::strtod(text.c_str(), &end_b);
  std::uint64_t ba, bb;
  std::memcpy(&ba, &a, 8);
  std::memcpy(&bb, &b, 8);
  bool same_nan = std::isnan(a) && std::isnan(b);
  BOOST_TEST((ba == bb || same_nan), "value of \"" << text << "\": " << a << " vs " << b);
  BOOST_TEST(end_a - text.c_str() == end_b - text.c_str(), "end of \"" << text << "\"");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(strtod_wasm)

BOOST_AUTO_TEST_CASE(edge_cases_match_the_platform) {
  for (const char* s :
       {"0", "-0", "0.0", "-0.0", "1", "1.0", "2e-4", "0.0002", "2E-05", "1e22", "1e23", "1e-22", "1e-23",
        "9007199254740992", "9007199254740993", "90071992547409921", "0.1", "0.3333333333333333",
        "0.45418101289268176", "-2.5228787452803374", "123456789012345678901234567890", "1e308", "1e309",
        "4.9e-324", "2.2250738585072014e-308", "  42.5", "+7", "-.5", ".5", "5.", "1e", "1e+", "1e-x", "abc", "",
        "-", ".", "inf", "-Infinity", "nan", "0x1p-2", "1.5e3xyz", "12,5", "1e0001", "000000123.4500000",
        "0.000000000000000000000012", "1e-400", "1e99999999999", "0x", "0xg", "-0x", "infin", "nan(x", "nan(123)",
        "INF", "+nan", "0x1.8p1", "1e+5e", "12e-", "  -", "\t\n7"})
    Check(s);
}

BOOST_AUTO_TEST_CASE(random_numbers_match_the_platform) {
  std::mt19937_64 rng(20261122);
  char buf[64];
  for (int i = 0; i < 200000; ++i) {
    double v;
    switch (i % 4) {
      case 0: {  // arbitrary bit patterns (finite)
        std::uint64_t bits = rng();
        std::memcpy(&v, &bits, 8);
        if (!std::isfinite(v)) continue;
        std::snprintf(buf, sizeof buf, "%.17g", v);
        break;
      }
      case 1:  // short decimals, as artifacts and catalogs write them
        v = std::uniform_real_distribution<double>(-1e4, 1e4)(rng);
        std::snprintf(buf, sizeof buf, "%.*g", 1 + static_cast<int>(rng() % 15), v);
        break;
      case 2:  // learning-rate-like magnitudes
        v = std::pow(10.0, std::uniform_real_distribution<double>(-9, 3)(rng));
        std::snprintf(buf, sizeof buf, "%.*e", static_cast<int>(rng() % 16), v);
        break;
      default:  // float32 values printed as nlohmann prints them
        v = static_cast<float>(std::uniform_real_distribution<double>(-1, 1)(rng));
        std::snprintf(buf, sizeof buf, "%.9g", v);
    }
    Check(buf);
  }
}

BOOST_AUTO_TEST_SUITE_END()
