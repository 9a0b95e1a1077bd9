// ftconfig::JsonText must write exactly what nlohmann's dump() writes - the
// same bytes for every value, the same exception where dump() throws.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>

#include "ftconfig/json_text.h"
#include "test_util.h"

namespace {

using nlohmann::json;

// JsonText(v, indent) == v.dump(indent), or both throw the same nlohmann error id.
void CheckLayout(const json& v, int indent) {
  std::string want, got;
  int want_error = 0, got_error = 0;
  try {
    want = v.dump(indent);
  } catch (const json::exception& e) {
    want_error = e.id;
  }
  try {
    got = ftconfig::JsonText(v, indent);
  } catch (const json::exception& e) {
    got_error = e.id;
  }
  BOOST_TEST(got_error == want_error, "error id " << got_error << ", dump(" << indent << ") " << want_error);
  BOOST_TEST(got == want, "JsonText differs from dump(" << indent << "):\n  got  " << got.substr(0, 300)
                                                         << "\n  want " << want.substr(0, 300));
}

// Compact, and indented as the CLI prints.
void Check(const json& v) {
  CheckLayout(v, -1);
  CheckLayout(v, 2);
  CheckLayout(v, 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_write)

BOOST_AUTO_TEST_CASE(scalars_and_numbers_are_written_as_dump_writes_them) {
  const double inf = std::numeric_limits<double>::infinity();
  for (const json& v : {
           json(nullptr), json(true), json(false), json(0), json(-1), json(42u),
           json(std::numeric_limits<std::int64_t>::min()), json(std::numeric_limits<std::int64_t>::max()),
           json(std::numeric_limits<std::uint64_t>::max()), json(0.0), json(-0.0), json(1.0), json(2048.0),
           json(2e-4), json(1e-5), json(0.1), json(0.30000000000000004), json(1e300), json(-1.5e-300),
           json(5e-324), json(std::numeric_limits<double>::max()), json(inf), json(-inf),
           json(std::nan("")), json(123456789.125), json(1e21), json(1e22), json(3.0e-7),
       })
    Check(v);
}

BOOST_AUTO_TEST_CASE(strings_escape_as_dump_escapes_them) {
  std::string every_control;
  for (int c = 0; c < 0x20; ++c) every_control.push_back(static_cast<char>(c));
  for (const std::string& s : {
           std::string(), std::string("plain"), std::string("q\"uote and back\\slash /"), every_control,
           std::string("tab\there\nnew\rline\bbell\fform\x7f"), std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
           std::string("\xff"), std::string("ok then \xc3"), std::string("\xed\xa0\x80"), std::string(1, '\0'),
           std::string(5000, 'x') + "\"" + std::string(5000, 'y'),
       }) {
    Check(json(s));
    Check(json{{s, s}});  // the same string as an object key
  }
}

BOOST_AUTO_TEST_CASE(containers_and_key_order_are_dumps) {
  Check(json::object());
  Check(json::array());
  Check(json::parse(R"({"b":[1,2.5,"x",null,{},[]],"a":{"z":true,"y":[[[]]]},"":0})"));
  Check(json::binary({1, 2, 3}));
  Check(json(json::value_t::discarded));
}

BOOST_AUTO_TEST_CASE(random_documents_are_dumps) {
  std::mt19937_64 rng(20261205);
  auto random_string = [&] {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>(rng() % 3 == 0 ? rng() % 256 : 32 + rng() % 95));
    return s;
  };
  std::function<json(int)> random_value = [&](int depth) -> json {
    switch (rng() % (depth > 3 ? 6 : 8)) {
      case 0: return nullptr;
      case 1: return rng() % 2 == 0;
      case 2: return static_cast<std::int64_t>(rng());
      case 3: return std::ldexp(static_cast<double>(rng() % 1000000) - 500000.0, static_cast<int>(rng() % 80) - 40);
      case 4: return static_cast<std::uint64_t>(rng());
      case 5: return random_string();
      case 6: {
        json a = json::array();
        for (int i = static_cast<int>(rng() % 5); i > 0; --i) a.push_back(random_value(depth + 1));
        return a;
      }
      default: {
        json o = json::object();
        for (int i = static_cast<int>(rng() % 5); i > 0; --i) o[random_string()] = random_value(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 3000; ++i) Check(random_value(0));
}

BOOST_AUTO_TEST_CASE(every_golden_answer_is_its_dump) {
  std::istringstream lines(ftconfig::test::ReadFile(std::string(FTCONFIG_TEST_FIXTURES) + "/../golden/requests.jsonl"));
  std::string line;
  int answers = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto r = ftconfig::test::BundledEngine().Recommend(json::parse(line)["request"].dump());
    if (!r.ok()) continue;
    Check(r.value());
    ++answers;
  }
  BOOST_TEST(answers >= 20);
}

BOOST_AUTO_TEST_SUITE_END()
