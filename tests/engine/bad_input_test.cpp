// The bad-input table (tests/fixtures/bad-input/cases.json): every case gives
// its documented error code and field natively, never a crash or `internal`.
// tests/js/bad_input.test.mjs runs the same table through the WebAssembly module.
#include <boost/test/unit_test.hpp>

#include "ftconfig/estimate.h"
#include "ftconfig/json_text.h"
#include "test_util.h"

using namespace ftconfig;

namespace {

// {code, field} of the error the engine gives for one case.
std::pair<std::string, std::string> Outcome(const json& c) {
  const Engine& engine = test::BundledEngine();
  if (c["api"] == "recommend") {
    auto r = engine.Recommend(c["input"].dump());
    if (r.ok()) return {"ok", ""};
    return {ToString(r.error().code), r.error().field};
  }
  const Catalog* catalog = &engine.catalog();
  auto [out, code] = EstimateFromJson(c["input"], [catalog]() -> Result<const Catalog*> { return catalog; },
                                      engine.calibration());
  if (code != 2) return {"ok", ""};
  return {out["error"]["code"].get<std::string>(), out["error"]["field"].get<std::string>()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(bad_input_table_gives_code_and_field_natively) {
  const json table = json::parse(test::Fixture("bad-input/cases.json"));
  BOOST_TEST_REQUIRE(table["cases"].size() >= 60u);
  for (const auto& c : table["cases"]) {
    auto [code, field] = Outcome(c);
    const std::string name = c["api"].get<std::string>() + ": " + c["name"].get<std::string>();
    BOOST_TEST(code == c["code"].get<std::string>(), name << " gave " << code << " (" << field << ")");
    BOOST_TEST(field == c["field"].get<std::string>(), name << " named field \"" << field << "\"");
  }
}

BOOST_AUTO_TEST_SUITE_END()
