// The learning brain for strategy "auto" (engine/src/brain.cpp): thresholds,
// the OOM penalty, deterministic tie-breaks, plain auto without evidence,
// evidence parsing with field-named errors, aggregation from telemetry
// events, and the engine's response.
#include <boost/test/unit_test.hpp>

#include "ftconfig/brain.h"
#include "test_util.h"

namespace ftconfig {
namespace {

const BrainContext kCtx{"instruction_following", "qlora", "large"};

// `n` signals, all ratings of `rating`, `oom` of them OOM and the rest success.
StrategyEvidence Rated(int n, double rating, int oom = 0) {
  StrategyEvidence e;
  e.recommendations = n;
  e.feedback = n;
  e.ratings = n;
  e.mean_rating = rating;
  e.oom = oom;
  e.success = n - oom;
  e.mean_confidence = 0.8;
  e.mean_vram_utilization = 0.7;
  return e;
}

BrainEvidence With(std::map<std::string, StrategyEvidence> s) {
  BrainEvidence e;
  e.strategies = std::move(s);
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(brain)

BOOST_AUTO_TEST_CASE(no_evidence_is_plain_auto) {
  BrainDecision d = DecideStrategy(nullptr, kCtx, "hybrid_ml", true);
  BOOST_TEST(!d.applied);
  BOOST_TEST(d.chosen == "hybrid_ml");
  BOOST_TEST(d.reason.find("plain auto") != std::string::npos);
  json j = DecisionJson(d);
  BOOST_TEST(j["evidence"].is_null());
  BOOST_TEST(j["min_evidence"] == 5);
  BOOST_TEST(j["context"]["model_size_bucket"] == "large");

  BrainEvidence empty;  // evidence given, but nothing in it
  d = DecideStrategy(&empty, kCtx, "hybrid", false);
  BOOST_TEST(!d.applied);
  BOOST_TEST(d.chosen == "hybrid");
  BOOST_TEST(d.reason.find("not enough feedback") != std::string::npos);
  BOOST_TEST(DecisionJson(d)["evidence"]["hybrid"]["signals"] == 0);
}

BOOST_AUTO_TEST_CASE(threshold_min_evidence) {
  // 4 great signals for deterministic: below the threshold of 5, plain auto.
  BrainEvidence e = With({{"deterministic", Rated(4, 5)}});
  BrainDecision d = DecideStrategy(&e, kCtx, "hybrid", false);
  BOOST_TEST(!d.applied);
  BOOST_TEST(d.chosen == "hybrid");
  BOOST_TEST(d.reason.find("deterministic 4") != std::string::npos);
  // The fifth makes it eligible.
  e = With({{"deterministic", Rated(5, 5)}});
  d = DecideStrategy(&e, kCtx, "hybrid", false);
  BOOST_TEST(d.applied);
  BOOST_TEST(d.chosen == "deterministic");
  // Interactions count as signals too (used 1.0, saved 0.8, ...).
  StrategyEvidence i;
  i.interactions = 5;
  i.mean_label = 0.9;
  e = With({{"hybrid", i}});
  d = DecideStrategy(&e, kCtx, "hybrid_ml", true);
  BOOST_TEST(d.applied);
  BOOST_TEST(d.chosen == "hybrid");
  // A configurable threshold.
  BrainConfig c;
  c.min_evidence = 10;
  d = DecideStrategy(&e, kCtx, "hybrid_ml", true, c);
  BOOST_TEST(!d.applied);
  BOOST_TEST(DecisionJson(d)["min_evidence"] == 10);
}

BOOST_AUTO_TEST_CASE(oom_weighs_heavily) {
  // hybrid_ml is rated higher, but 2 of its 10 runs ran out of memory.
  BrainEvidence e = With({{"hybrid_ml", Rated(10, 5, 2)}, {"hybrid", Rated(10, 3.5)}});
  BrainDecision d = DecideStrategy(&e, kCtx, "hybrid_ml", true);
  BOOST_TEST(d.applied);
  BOOST_TEST(d.chosen == "hybrid");
  BOOST_TEST(d.scores[2].oom_rate == 0.2);
  BOOST_TEST(d.scores[1].score > d.scores[2].score);
  // Without the OOMs, hybrid_ml wins.
  e = With({{"hybrid_ml", Rated(10, 5)}, {"hybrid", Rated(10, 3.5)}});
  BOOST_TEST(DecideStrategy(&e, kCtx, "hybrid_ml", true).chosen == "hybrid_ml");
  // Only one strategy has enough feedback and it mostly OOMs: try another
  // available strategy rather than keep the failing one.
  e = With({{"hybrid_ml", Rated(6, 4, 4)}});
  d = DecideStrategy(&e, kCtx, "hybrid_ml", true);
  BOOST_TEST(d.applied);
  BOOST_TEST(d.chosen == "deterministic");
  BOOST_TEST(d.reason.find("ran out of memory") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(vram_risk_and_confidence) {
  StrategyEvidence tight = Rated(8, 4), roomy = Rated(8, 4);
  tight.mean_vram_utilization = 0.87;
  roomy.mean_vram_utilization = 0.5;
  BrainEvidence e = With({{"deterministic", tight}, {"hybrid", roomy}});
  BrainDecision d = DecideStrategy(&e, kCtx, "hybrid", false);
  BOOST_TEST(d.chosen == "hybrid");
  BOOST_TEST(d.scores[0].vram_risk > 0.9);
  BOOST_TEST(d.scores[1].vram_risk == 0.0);
  StrategyEvidence sure = Rated(8, 4), unsure = Rated(8, 4);
  sure.mean_confidence = 0.9;
  unsure.mean_confidence = 0.3;
  e = With({{"deterministic", unsure}, {"hybrid", sure}});
  BOOST_TEST(DecideStrategy(&e, kCtx, "hybrid", false).chosen == "hybrid");
}

BOOST_AUTO_TEST_CASE(deterministic_tie_breaks) {
  // Same evidence for all three: the fixed order picks deterministic.
  BrainEvidence e = With({{"hybrid_ml", Rated(6, 4)}, {"hybrid", Rated(6, 4)}, {"deterministic", Rated(6, 4)}});
  for (int i = 0; i < 3; ++i) BOOST_TEST(DecideStrategy(&e, kCtx, "hybrid_ml", true).chosen == "deterministic");
  // Same score, more signals wins (a success rate and rating that do not
  // depend on the count: no outcomes, same mean rating).
  StrategyEvidence a, b;
  a.feedback = a.ratings = 6;
  a.mean_rating = 4;
  b.feedback = b.ratings = 9;
  b.mean_rating = 4;
  e = With({{"deterministic", a}, {"hybrid", b}});
  BOOST_TEST(DecideStrategy(&e, kCtx, "hybrid", false).chosen == "hybrid");
  // The same input always gives the same JSON.
  BOOST_TEST(DecisionJson(DecideStrategy(&e, kCtx, "hybrid", false)).dump() ==
             DecisionJson(DecideStrategy(&e, kCtx, "hybrid", false)).dump());
}

BOOST_AUTO_TEST_CASE(hybrid_ml_needs_a_reranker) {
  BrainEvidence e = With({{"hybrid_ml", Rated(20, 5)}, {"hybrid", Rated(6, 3)}});
  BrainDecision d = DecideStrategy(&e, kCtx, "hybrid", /*have_reranker=*/false);
  BOOST_TEST(d.chosen == "hybrid");
  BOOST_TEST(!d.scores[2].available);
  BOOST_TEST(!d.scores[2].eligible);
  BOOST_TEST(DecideStrategy(&e, kCtx, "hybrid_ml", true).chosen == "hybrid_ml");
}

BOOST_AUTO_TEST_CASE(context_must_match) {
  BrainEvidence e = With({{"deterministic", Rated(9, 5)}});
  e.task_type = "chat";
  BrainDecision d = DecideStrategy(&e, kCtx, "hybrid", false);
  BOOST_TEST(!d.applied);
  BOOST_TEST(d.context_mismatch);
  e.task_type = kCtx.task_type;
  e.adapter_type = kCtx.adapter_type;
  e.model_size_bucket = kCtx.model_size_bucket;
  BOOST_TEST(DecideStrategy(&e, kCtx, "hybrid", false).applied);
}

BOOST_AUTO_TEST_CASE(parse_evidence_round_trip_and_errors) {
  BrainEvidence e = With({{"hybrid", Rated(7, 4.25, 1)}});
  e.task_type = "chat";
  auto back = ParseEvidence(EvidenceJson(e));
  BOOST_REQUIRE(back.ok());
  BOOST_TEST(EvidenceJson(back.value()).dump() == EvidenceJson(e).dump());

  struct Case {
    const char* json;
    ErrorCode code;
    const char* field;
  };
  const Case cases[] = {
      {R"([])", ErrorCode::kInvalidType, "evidence"},
      {R"({})", ErrorCode::kMissingField, "evidence.strategies"},
      {R"({"strategies": [], "x": 1})", ErrorCode::kUnknownField, "evidence.x"},
      {R"({"strategies": {"magic": {}}})", ErrorCode::kUnknownField, "evidence.strategies.magic"},
      {R"({"strategies": {"hybrid": 3}})", ErrorCode::kInvalidType, "evidence.strategies.hybrid"},
      {R"({"strategies": {"hybrid": {"feedback": -1}}})", ErrorCode::kInvalidValue, "evidence.strategies.hybrid.feedback"},
      {R"({"strategies": {"hybrid": {"feedback": 1.5}}})", ErrorCode::kInvalidValue, "evidence.strategies.hybrid.feedback"},
      {R"({"strategies": {"hybrid": {"feedback": "3"}}})", ErrorCode::kInvalidType, "evidence.strategies.hybrid.feedback"},
      {R"({"strategies": {"hybrid": {"feedback": 2, "ratings": 2, "mean_rating": 7}}})", ErrorCode::kInvalidValue,
       "evidence.strategies.hybrid.mean_rating"},
      {R"({"strategies": {"hybrid": {"feedback": 2, "ratings": 2}}})", ErrorCode::kMissingField,
       "evidence.strategies.hybrid.mean_rating"},
      {R"({"strategies": {"hybrid": {"feedback": 1, "ratings": 2, "mean_rating": 3}}})", ErrorCode::kInvalidValue,
       "evidence.strategies.hybrid.ratings"},
      {R"({"strategies": {"hybrid": {"feedback": 1, "oom": 2}}})", ErrorCode::kInvalidValue,
       "evidence.strategies.hybrid.success"},
      {R"({"strategies": {"hybrid": {"interactions": 2, "mean_label": 1.5}}})", ErrorCode::kInvalidValue,
       "evidence.strategies.hybrid.mean_label"},
      {R"({"strategies": {"hybrid": {"votes": 2}}})", ErrorCode::kUnknownField, "evidence.strategies.hybrid.votes"},
      {R"({"strategies": {}, "context": {"model_size_bucket": "huge"}})", ErrorCode::kInvalidValue,
       "evidence.context.model_size_bucket"},
      {R"({"strategies": {}, "context": {"task": "chat"}})", ErrorCode::kUnknownField, "evidence.context.task"},
  };
  for (const auto& c : cases) {
    auto r = ParseEvidence(json::parse(c.json));
    BOOST_TEST_CONTEXT(c.json) {
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST(r.error().code == c.code);
      BOOST_TEST(r.error().field == c.field);
      BOOST_TEST(r.error().message.find(c.field) != std::string::npos);
    }
  }
  // Through the request parser: the field is named the same way.
  auto req = ParseRequest(json{{"gpu", "T4"}, {"model", "llama2-7b"},
                               {"evidence", {{"strategies", {{"hybrid", {{"oom", -3}}}}}}}});
  BOOST_REQUIRE(!req.ok());
  BOOST_TEST(req.error().field == "evidence.strategies.hybrid.oom");
  BOOST_TEST(ParseRequest(json{{"gpu", "T4"}, {"model", "llama2-7b"}, {"evidence", nullptr}}).ok());
}

BOOST_AUTO_TEST_CASE(interaction_labels) {
  BOOST_TEST(*LabelForInteraction("used") == 1.0);
  BOOST_TEST(*LabelForInteraction("saved") == 0.8);
  BOOST_TEST(*LabelForInteraction("dismissed") == 0.0);
  BOOST_TEST(*LabelForInteraction("rated", 1) == 0.1);
  BOOST_TEST(*LabelForInteraction("rated", 5) == 1.0);
  BOOST_TEST(std::abs(*LabelForInteraction("rated", 3) - 0.55) < 1e-12);
  BOOST_TEST(!LabelForInteraction("rated", 0));
  BOOST_TEST(!LabelForInteraction("clicked"));
}

BOOST_AUTO_TEST_CASE(evidence_from_events) {
  auto rec = [](const std::string& id, const std::string& strategy, double params_b, double conf, double per) {
    return json{{"event", "recommendation"}, {"event_id", id}, {"strategy", strategy},
                {"request", json::object()},
                {"response", {{"request", {{"task_type", "chat"}, {"adapter_type", "lora"}, {"model_params_b", params_b}}},
                              {"confidence", {{"score", conf}}},
                              {"vram", {{"per_gpu_gb", per}, {"usable_gb", 10.0}}}}}};
  };
  const std::string a = "00000000-0000-4000-8000-00000000000a", b = "00000000-0000-4000-8000-00000000000b",
                    c = "00000000-0000-4000-8000-00000000000c";
  std::vector<json> events = {
      rec(a, "hybrid", 8.0, 0.8, 6.0),
      rec(b, "hybrid", 13.0, 0.6, 8.0),
      rec(c, "deterministic", 3.0, 0.9, 5.0),  // medium: another context
      {{"event", "feedback"}, {"event_id", "f1"}, {"recommendation_event_id", a}, {"rating", 4}, {"outcome", "success"}},
      {{"event", "feedback"}, {"event_id", "f2"}, {"recommendation_event_id", b}, {"rating", 2}, {"outcome", "oom"}},
      {{"event", "feedback"}, {"event_id", "f2"}, {"recommendation_event_id", b}, {"rating", 2}, {"outcome", "oom"}},  // dup
      {{"event", "feedback"}, {"event_id", "f3"}, {"recommendation_event_id", c}, {"rating", 5}},
      {{"event", "interaction"}, {"event_id", "i1"}, {"recommendation_event_id", a}, {"action", "used"}, {"label", 1.0}},
      {{"event", "interaction"}, {"event_id", "i2"}, {"recommendation_event_id", b}, {"action", "saved"}},
      {{"event", "interaction"}, {"event_id", "i3"}, {"recommendation_event_id", "nope"}, {"action", "used"}},
      "not an object",
  };
  BrainEvidence e = EvidenceFromEvents(events, "chat", "lora", "large");
  BOOST_REQUIRE(e.strategies.count("hybrid"));
  BOOST_TEST(!e.strategies.count("deterministic"));
  const StrategyEvidence& h = e.strategies["hybrid"];
  BOOST_TEST(h.recommendations == 2);
  BOOST_TEST(h.feedback == 2);
  BOOST_TEST(h.ratings == 2);
  BOOST_TEST(*h.mean_rating == 3.0);
  BOOST_TEST(h.success == 1);
  BOOST_TEST(h.oom == 1);
  BOOST_TEST(h.interactions == 2);
  BOOST_TEST(std::abs(*h.mean_label - 0.9) < 1e-12);
  BOOST_TEST(std::abs(*h.mean_confidence - 0.7) < 1e-12);
  BOOST_TEST(std::abs(*h.mean_vram_utilization - 0.7) < 1e-12);
  BOOST_TEST(h.Signals() == 4);
  // What it aggregates parses as request evidence.
  BOOST_TEST(ParseEvidence(EvidenceJson(e)).ok());
}

BOOST_AUTO_TEST_CASE(engine_response_shows_the_decision) {
  const Engine& engine = test::BundledEngine();
  json base = {{"gpu_override", "A100 80GB"}, {"model", "meta-llama/Llama-3.1-8B"}, {"adapter_type", "lora"},
               {"task_type", "instruction_following"}};
  auto plain = engine.Recommend(base.dump());
  BOOST_REQUIRE(plain.ok());
  const json& pd = plain.value()["strategy_decision"];
  BOOST_TEST(pd["applied"] == false);
  BOOST_TEST(pd["chosen"] == "hybrid");
  BOOST_TEST(pd["evidence"].is_null());
  BOOST_TEST(pd["context"]["model_size_bucket"] == "large");
  BOOST_TEST(plain.value()["strategy"]["used"] == "hybrid");

  json req = base;
  req["evidence"] = EvidenceJson(With({{"deterministic", Rated(6, 5)}, {"hybrid", Rated(6, 3, 2)}}));
  auto r = engine.Recommend(req.dump());
  BOOST_REQUIRE(r.ok());
  const json& d = r.value()["strategy_decision"];
  BOOST_TEST(d["applied"] == true);
  BOOST_TEST(d["chosen"] == "deterministic");
  BOOST_TEST(d["evidence"]["deterministic"]["feedback"] == 6);
  BOOST_TEST(d["evidence"]["hybrid"]["oom"] == 2);
  BOOST_TEST(r.value()["strategy"]["used"] == "deterministic");
  BOOST_TEST(r.value()["strategy"]["why"].get<std::string>().find("learning brain") != std::string::npos);
  BOOST_TEST(r.value()["candidates"].empty());  // deterministic ranks nothing
  // An explicit strategy ignores the evidence and carries no decision.
  req["strategy"] = "hybrid";
  auto h = engine.Recommend(req.dump());
  BOOST_REQUIRE(h.ok());
  BOOST_TEST(h.value()["strategy"]["used"] == "hybrid");
  BOOST_TEST(!h.value().contains("strategy_decision"));
  // Evidence for another context: plain auto.
  req["strategy"] = "auto";
  req["evidence"]["context"] = {{"task_type", "chat"}};
  auto m = engine.Recommend(req.dump());
  BOOST_REQUIRE(m.ok());
  BOOST_TEST(m.value()["strategy_decision"]["applied"] == false);
  BOOST_TEST(m.value()["strategy"]["used"] == "hybrid");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace ftconfig
