// engine/src/json_fast.cpp must give exactly what nlohmann::json::parse(text,
// nullptr, false) gives - the same value with the same number types, or a
// discarded value - for the engine's own data and for anything else.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "../../engine/src/json_fast.h"
#include "ftconfig/json_text.h"
#include "ftconfig/recommend.h"

namespace {

using nlohmann::json;
using ftconfig::internal::ParseJson;
using ftconfig::internal::ParseJsonFastOnly;

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// json's operator== calls 1, 1u and 1.0 equal; here the types must match too.
bool Same(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  if (a.is_discarded()) return true;  // (discarded values never compare equal)
  switch (a.type()) {
    case json::value_t::object: {
      if (a.size() != b.size()) return false;
      auto ib = b.begin();
      for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib)
        if (ia.key() != ib.key() || !Same(ia.value(), ib.value())) return false;
      return true;
    }
    case json::value_t::array:
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!Same(a[i], b[i])) return false;
      return true;
    case json::value_t::number_float: {
      double x = a.get<double>(), y = b.get<double>();
      return std::memcmp(&x, &y, sizeof x) == 0 || (x != x && y != y);
    }
    default:
      return a == b;
  }
}

void Check(const std::string& text) {
  const json want = json::parse(text, nullptr, false);
  const json got = ParseJson(text);
  BOOST_TEST(Same(got, want), "ParseJson differs from nlohmann on: " << text.substr(0, 200));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_fast)

BOOST_AUTO_TEST_CASE(the_bundled_data_takes_the_fast_path_and_reads_the_same) {
  namespace fs = std::filesystem;
  size_t files = 0, rows = 0;
  for (const auto& entry : fs::recursive_directory_iterator(FTCONFIG_DATA_DIR)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension();
    const std::string text = ReadAll(entry.path());
    if (ext == ".json") {
      json fast;
      BOOST_TEST(ParseJsonFastOnly(text, &fast), entry.path() << " left the fast path");
      BOOST_TEST(Same(fast, json::parse(text, nullptr, false)), entry.path() << " reads differently");
      ++files;
    } else if (ext == ".jsonl") {
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.empty()) continue;
        json fast;
        BOOST_TEST(ParseJsonFastOnly(line, &fast), entry.path() << " row left the fast path");
        BOOST_TEST(Same(fast, json::parse(line, nullptr, false)), entry.path() << " row reads differently");
        ++rows;
      }
    }
  }
  BOOST_TEST(files >= 6u);
  BOOST_TEST(rows >= 600u);
}

BOOST_AUTO_TEST_CASE(values_and_number_types_match_nlohmann) {
  for (const char* s : {
           "0", "-0", "1", "-1", "0.0", "-0.0", "1.5", "-1.5e3", "1E2", "1e+2", "1e-2", "2.5E-05",
           "123456789012345678", "-123456789012345678", "1234567890123456789", "-1234567890123456789",
           "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
           "99999999999999999999999999", "1e400", "-1e400", "1e-400", "0.1", "0.30000000000000004",
           "true", "false", "null", "\"\"", "\"abc\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
           "\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"", "\"\\u0000x\"", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
           "[]", "{}", "[1,2,3]", " [ 1 , [ ] , { } ] ", "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}",
           "{\"a\":1,\"a\":2}", "{\"b\":1,\"a\":2}", "\t\r\n {\"k\" : \"v\"} \n", "[-0,0,-0.0]",
       })
    Check(s);
}

BOOST_AUTO_TEST_CASE(malformed_text_is_discarded_as_nlohmann_does) {
  for (const char* s : {
           "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "{\"a\":1,}", "01", "-01",
           "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "tru", "nul", "falsey", "\"abc",
           "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\x01\"",
           "\"\xff\"", "\"\xc3\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
           "[1] 2", "{} {}", "\xef\xbb\xbf[1]", "\xef\xbb[1]", "[1]\x00", "// c\n1", "[1 /* c */]",
       })
    Check(s);
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_left_to_nlohmann) {
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  json fast;
  BOOST_TEST(!ParseJsonFastOnly(deep, &fast));
  Check(deep);
  Check(std::string(200, '[') + "1" + std::string(200, ']'));
}

BOOST_AUTO_TEST_CASE(random_documents_and_mutations_match_nlohmann) {
  std::mt19937 rng(20261122);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* atoms[] = {"0", "-0", "7", "-42", "3.25", "-1e-7", "6.02E23", "1234567890123456789012", "true", "false",
                         "null", "\"\"", "\"x\"", "\"\\n\\u00e9\"", "\"\xc3\xa9\"", "\"\\ud834\\udd1e\""};
  const char* spaces[] = {"", " ", "\n", "\t", "\r\n  "};
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const int kind = depth > 4 ? 2 : pick(3);
    const std::string ws = spaces[pick(5)];
    if (kind == 0) {
      std::string s = "[" + ws;
      const int n = pick(4);
      for (int i = 0; i < n; ++i) s += (i ? "," + ws : "") + gen(depth + 1) + ws;
      return s + "]";
    }
    if (kind == 1) {
      std::string s = "{" + ws;
      const int n = pick(4);
      for (int i = 0; i < n; ++i) s += (i ? "," : "") + ws + "\"k" + std::to_string(pick(3)) + "\"" + ws + ":" + gen(depth + 1);
      return s + "}";
    }
    return atoms[pick(16)];
  };
  const char mutations[] = {'"', '\\', ',', ':', '[', ']', '{', '}', '0', '-', '.', 'e', ' ', '\x01', '\x80', '\xff'};
  for (int i = 0; i < 4000; ++i) {
    std::string doc = std::string(spaces[pick(5)]) + gen(0) + spaces[pick(5)];
    Check(doc);
    for (int m = 0; m < 3 && !doc.empty(); ++m) {
      std::string bad = doc;
      const size_t at = static_cast<size_t>(pick(static_cast<int>(bad.size())));
      switch (pick(3)) {
        case 0: bad[at] = mutations[pick(16)]; break;
        case 1: bad.erase(at, 1); break;
        default: bad.insert(at, 1, mutations[pick(16)]); break;
      }
      Check(bad);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_errors)

BOOST_AUTO_TEST_CASE(syntax_errors_say_where) {
  BOOST_TEST(ftconfig::JsonSyntaxError("{\"a\": 1}").empty());
  const std::string e = ftconfig::JsonSyntaxError("{\n  \"a\": 1,\n  \"b\": }\n");
  BOOST_TEST(e.rfind("line 3, column 8: ", 0) == 0u, e);
  BOOST_TEST(e.find("unexpected '}'") != std::string::npos, e);
  const std::string empty = ftconfig::JsonSyntaxError("");
  BOOST_TEST(!empty.empty());
}

BOOST_AUTO_TEST_CASE(a_bad_request_text_names_line_and_column) {
  auto r = ftconfig::ParseRequest(std::string("{\"model\": \"llama2-7b\",\n \"gpu\": T4}"));
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("line 2, column 9") != std::string::npos, r.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
