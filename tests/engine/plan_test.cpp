// Planning under a budget (issue 20): the Pareto front, the best option,
// sessions and calendar time, and every bad field named.
#include <algorithm>
#include <random>
#include <cmath>
#include <set>

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "../../engine/src/plan_internal.h"
#include "ftconfig/plan.h"
#include "test_util.h"

namespace ftconfig {
namespace {

namespace bdata = boost::unit_test::data;

json PlanOf(const json& request) {
  auto r = PlanTraining(test::BundledEngine(), request.dump());
  BOOST_REQUIRE_MESSAGE(r.ok(), request.dump() + ": " + (r.ok() ? "" : r.error().message));
  return r.value();
}

Error PlanError(const json& request) {
  auto r = PlanTraining(test::BundledEngine(), request.dump());
  BOOST_REQUIRE_MESSAGE(!r.ok(), "expected an error for " + request.dump());
  return r.error();
}

PlanPoint PointOf(const json& o) {
  return {o["cost_usd"].get<double>(), o["calendar_hours"].get<double>(), o["risk"]["score"].get<double>()};
}

bool Qualifies(const json& o) { return o["excluded_because"].empty(); }

// Every option on the front is undominated among the qualifying options,
// every qualifying option off the front is dominated by one of them, and
// nothing that fails a constraint is on the front.
void CheckFront(const json& plan) {
  std::vector<const json*> qualifying;
  for (const json& o : plan["options"])
    if (Qualifies(o)) qualifying.push_back(&o);
  for (const json& o : plan["options"]) {
    if (!Qualifies(o)) {
      BOOST_CHECK_MESSAGE(!o.value("on_front", false), o["id"].get<std::string>() + " fails a constraint yet is on the front");
      continue;
    }
    bool dominated = std::any_of(qualifying.begin(), qualifying.end(),
                                 [&](const json* q) { return Dominates(PointOf(*q), PointOf(o)); });
    BOOST_CHECK_MESSAGE(dominated != o["on_front"].get<bool>(),
                        o["id"].get<std::string>() + (dominated ? " is dominated but on the front" : " is undominated but off the front"));
  }
  const json& best = plan["best"]["id"];
  if (best.is_null()) {
    BOOST_CHECK(qualifying.empty());
    return;
  }
  auto it = std::find_if(qualifying.begin(), qualifying.end(), [&](const json* o) { return (*o)["id"] == best; });
  BOOST_REQUIRE(it != qualifying.end());
  BOOST_CHECK((**it)["on_front"].get<bool>());
}

BOOST_AUTO_TEST_SUITE(plan)

// The "done when": Llama-3.1-8B QLoRA on 50k examples with a $20 budget.
BOOST_AUTO_TEST_CASE(llama_8b_qlora_50k_under_20_dollars_lists_free_and_paid_options_and_marks_the_front) {
  json plan = PlanOf({{"model", "meta-llama/Llama-3.1-8B"}, {"adapter_type", "qlora"}, {"dataset_size", 50000},
                      {"constraints", {{"budget_usd", 20}}}});
  bool free = false, paid = false, front = false;
  for (const json& o : plan["options"]) {
    if (!Qualifies(o)) continue;
    free = free || o["cost_usd"].get<double>() == 0;
    paid = paid || o["cost_usd"].get<double>() > 0;
    front = front || o["on_front"].get<bool>();
    BOOST_CHECK_LE(o["cost_usd"].get<double>(), 20.0);
  }
  BOOST_CHECK(free);
  BOOST_CHECK(paid);
  BOOST_CHECK(front);
  BOOST_CHECK(!plan["best"]["id"].is_null());
  BOOST_CHECK(!plan["best"]["reason"].get<std::string>().empty());
  CheckFront(plan);
  // Colab's free T4 needs about 13 h against a 12 h session: two sessions with checkpoints.
  for (const json& o : plan["options"])
    if (o["id"] == "colab/free/1x/qlora") {
      BOOST_CHECK_EQUAL(o["sessions"].get<int>(), 2);
      BOOST_CHECK(!o["gives_up"].empty());
    }
  BOOST_CHECK_EQUAL(plan["managed_apis"]["included"].get<bool>(), false);
}

BOOST_AUTO_TEST_CASE(options_over_budget_or_past_the_deadline_say_why) {
  json plan = PlanOf({{"model", "meta-llama/Llama-3.1-8B"}, {"adapter_type", "qlora"}, {"dataset_size", 50000},
                      {"constraints", {{"budget_usd", 0}, {"deadline_hours", 8}}}});
  for (const json& o : plan["options"]) {
    if (!o["fits"].get<bool>() || o["cost_usd"].is_null()) continue;
    std::set<std::string> codes;
    for (const json& e : o["excluded_because"]) codes.insert(e["code"].get<std::string>());
    BOOST_CHECK_EQUAL(codes.count("over_budget"), o["cost_usd"].get<double>() > 0 ? 1u : 0u);
    BOOST_CHECK_EQUAL(codes.count("past_deadline"), o["calendar_hours"].get<double>() > 8 ? 1u : 0u);
  }
  CheckFront(plan);
}

BOOST_AUTO_TEST_CASE(nothing_qualifies_gives_no_best_and_the_reasons) {
  json plan = PlanOf({{"model", "meta-llama/Llama-3.1-8B"}, {"dataset_size", 50000},
                      {"constraints", {{"budget_usd", 0}, {"deadline_hours", 0.5}}}});
  BOOST_CHECK(plan["best"]["id"].is_null());
  BOOST_CHECK(plan["best"]["reason"].get<std::string>().find("past_deadline") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_model_too_large_for_a_gpu_is_listed_as_not_fitting) {
  json plan = PlanOf({{"model", "meta-llama/Llama-3.1-8B"}, {"adapter_type", "none"}, {"dataset_size", 1000},
                      {"constraints", {{"platforms", {"colab", "runpod"}}, {"max_gpus", 1}}}});
  bool refused = false;
  for (const json& o : plan["options"])
    if (!o["fits"].get<bool>()) {
      refused = true;
      BOOST_CHECK_EQUAL(o["excluded_because"][0]["code"].get<std::string>(), "does_not_fit");
      BOOST_CHECK(!o["on_front"].get<bool>());
    }
  BOOST_CHECK(refused);
}

BOOST_AUTO_TEST_CASE(lora_on_a_t4_gives_up_lora_for_qlora_and_frameworks_are_compared) {
  json plan = PlanOf({{"model", "meta-llama/Llama-3.1-8B"}, {"adapter_type", "lora"}, {"dataset_size", 2000},
                      {"constraints", {{"platforms", {"colab"}}, {"frameworks", {"hf-trainer", "unsloth"}}, {"max_gpus", 1}}}});
  bool switched = false, unsloth = false;
  for (const json& o : plan["options"]) {
    unsloth = unsloth || o["id"].get<std::string>().find("/unsloth") != std::string::npos;
    if (o["id"] == "colab/free/1x/lora/hf-trainer") {
      BOOST_REQUIRE(o["fits"].get<bool>());
      BOOST_CHECK_EQUAL(o["configuration"]["adapter_type"].get<std::string>(), "qlora");
      for (const json& g : o["gives_up"]) switched = switched || g.get<std::string>().rfind("QLoRA instead of LoRA", 0) == 0;
      BOOST_CHECK_EQUAL(o["request_patch"]["framework"].get<std::string>(), "hf-trainer");
    }
  }
  BOOST_CHECK(switched);
  BOOST_CHECK(unsloth);
  CheckFront(plan);
}

BOOST_AUTO_TEST_CASE(a_huge_dataset_is_counted_not_overflowed) {
  json plan = PlanOf({{"model", "Qwen/Qwen2.5-0.5B"}, {"dataset_size", 10000000000.0},
                      {"constraints", {{"platforms", {"kaggle", "colab"}}}}});
  for (const json& o : plan["options"])
    if (o["fits"].get<bool>()) {
      BOOST_CHECK_GE(o["sessions"].get<long long>(), 1);
      BOOST_CHECK(std::isfinite(o["calendar_hours"].get<double>()));
    }
  CheckFront(plan);
}

BOOST_AUTO_TEST_CASE(sessions_count_restarts_and_the_weekly_quota_spreads_over_weeks) {
  using plan_internal::CountSessions;
  auto one = CountSessions(5, 12.0, std::nullopt);
  BOOST_CHECK_EQUAL(one.sessions, 1);
  BOOST_CHECK_CLOSE(one.total_hours, 5.25, 1e-9);
  auto two = CountSessions(13, 12.0, std::nullopt);  // 13.25 h with the start: 12 h, then 1.25 + 0.25 h
  BOOST_CHECK_EQUAL(two.sessions, 2);
  BOOST_CHECK_CLOSE(two.total_hours, 13.5, 1e-9);
  auto weeks = CountSessions(40, 12.0, 30.0);  // 41.0 billed hours > 30 a week: a second week
  BOOST_CHECK_EQUAL(weeks.sessions, 4);
  BOOST_CHECK_CLOSE(weeks.calendar_hours, 168 + (weeks.total_hours - 30), 1e-9);
}

BOOST_AUTO_TEST_CASE(pareto_front_of_points_keeps_ties_and_drops_the_dominated) {
  std::vector<PlanPoint> p = {{1, 1, 0.1}, {1, 1, 0.1}, {2, 2, 0.2}, {0, 5, 0.5}, {1, 0.5, 0.3}};
  std::vector<size_t> front = ParetoFront(p);
  BOOST_CHECK((front == std::vector<size_t>{0, 1, 3, 4}));
}

BOOST_DATA_TEST_CASE(front_is_exactly_the_undominated_points, bdata::xrange(200), seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(0, 4);
  std::vector<PlanPoint> points(1 + seed % 30);
  for (auto& p : points) p = {double(level(rng)), double(level(rng)), level(rng) / 4.0};
  std::vector<size_t> front = ParetoFront(points);
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = std::any_of(points.begin(), points.end(), [&](const PlanPoint& q) { return Dominates(q, points[i]); });
    BOOST_CHECK_EQUAL(std::count(front.begin(), front.end(), i) == 1, !dominated);
  }
}

// Random requests through the whole planner: the front is exactly the
// undominated qualifying options, and the best option is on it.
BOOST_DATA_TEST_CASE(random_requests_mark_exactly_the_undominated_options, bdata::xrange(16), seed) {
  std::mt19937 rng(1000 + seed);
  auto pick = [&](std::vector<json> v) { return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)]; };
  json c = {{"objective", pick({"balanced", "cost", "time", "risk"})},
            {"max_gpus", pick({1, 2, 4, 8})}};
  if (rng() % 2) c["budget_usd"] = pick({0, 1, 5, 20, 100});
  if (rng() % 2) c["deadline_hours"] = pick({1, 6, 24, 200});
  if (rng() % 3 == 0) c["platforms"] = pick({json{"colab", "kaggle"}, json{"runpod", "lambda", "aws"}, json{"vastai", "modal"}});
  if (rng() % 3 == 0) c["adapters"] = pick({json{"lora", "qlora"}, json{"qlora", "none"}});
  json request = {{"model", pick({"meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-0.5B", "mistralai/Mistral-7B-v0.1",
                                  "meta-llama/Llama-2-13b-hf"})},
                  {"adapter_type", pick({"lora", "qlora"})},
                  {"dataset_size", pick({500, 5000, 50000, 300000})},
                  {"constraints", c}};
  BOOST_TEST_CONTEXT(request.dump()) { CheckFront(PlanOf(request)); }
}

BOOST_AUTO_TEST_CASE(bad_fields_are_named) {
  const json base = {{"model", "meta-llama/Llama-3.1-8B"}};
  auto with = [&](const json& constraints) {
    json r = base;
    r["constraints"] = constraints;
    return r;
  };
  struct Case {
    json request;
    ErrorCode code;
    std::string field;
  };
  std::string long_name(300, 'x');
  std::vector<std::string> many(65, "colab");
  const std::vector<Case> cases = {
      {with({{"budget_usd", -1}}), ErrorCode::kInvalidValue, "constraints.budget_usd"},
      {with({{"budget_usd", "20"}}), ErrorCode::kInvalidType, "constraints.budget_usd"},
      {with({{"deadline_hours", 0}}), ErrorCode::kInvalidValue, "constraints.deadline_hours"},
      {with({{"min_gpus", 4}, {"max_gpus", 2}}), ErrorCode::kInvalidValue, "constraints.min_gpus"},
      {with({{"max_gpus", 1.5}}), ErrorCode::kInvalidValue, "constraints.max_gpus"},
      {with({{"platforms", {"colab", "nowhere"}}}), ErrorCode::kUnknownPlatform, "constraints.platforms[1]"},
      {with({{"platforms", many}}), ErrorCode::kInvalidValue, "constraints.platforms"},
      {with({{"exclude_platforms", {long_name}}}), ErrorCode::kInvalidValue, "constraints.exclude_platforms[0]"},
      {with({{"adapters", {"lora", "dora"}}}), ErrorCode::kInvalidValue, "constraints.adapters[1]"},
      {with({{"frameworks", {"keras"}}}), ErrorCode::kInvalidValue, "constraints.frameworks[0]"},
      {with({{"objective", "fun"}}), ErrorCode::kInvalidValue, "constraints.objective"},
      {with({{"budget", 20}}), ErrorCode::kUnknownField, "constraints.budget"},
      {with("cheap"), ErrorCode::kInvalidType, "constraints"},
      {{{"model", "meta-llama/Llama-3.1-8B"}, {"platform", "colab"}}, ErrorCode::kInvalidValue, "platform"},
      {{{"model", "meta-llama/Llama-3.1-8B"}, {"num_gpus", 2}}, ErrorCode::kInvalidValue, "num_gpus"},
      {{{"model", "meta-llama/Llama-3.1-8B"}, {"dataset_size", 0}}, ErrorCode::kInvalidValue, "dataset_size"},
      {{{"model", "no-such/model"}}, ErrorCode::kUnknownModel, "model"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.request.dump().substr(0, 200)) {
      Error e = PlanError(c.request);
      BOOST_CHECK_EQUAL(e.code, c.code);
      BOOST_CHECK_EQUAL(e.field, c.field);
      BOOST_CHECK(!e.message.empty());
    }
  }
  BOOST_CHECK_EQUAL(PlanTraining(test::BundledEngine(), "{not json").error().code, ErrorCode::kInvalidJson);
  BOOST_CHECK_EQUAL(PlanError({{"model", "meta-llama/Llama-3.1-8B"}, {"constraints", {{"min_gpus", 16}, {"max_gpus", 16}}}}).field,
                    "constraints");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace ftconfig
