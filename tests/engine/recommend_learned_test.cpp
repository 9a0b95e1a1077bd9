// What the engine learns from the whole corpus (engine/src/recommend_learned.cpp):
// a repository's rows speak once, so no house template decides alone.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "../../engine/src/recommend_internal.h"
#include "test_util.h"

namespace {

using ftconfig::ConfigRecord;
using nlohmann::json;

ConfigRecord Row(const std::string& repo, const std::string& adapter, const std::string& scheduler, double warmup) {
  ConfigRecord r;
  r.source_repo = repo;
  r.adapter_type = adapter;
  r.lr_scheduler = scheduler;
  r.warmup_ratio = warmup;
  r.learning_rate = 2e-4;
  return r;
}

// One repository with many rows of its template, and `others` with one row each.
std::vector<ConfigRecord> HouseAndOthers(const std::string& adapter, const char* house_scheduler, double house_warmup,
                                         const char* other_scheduler, double other_warmup, int others) {
  std::vector<ConfigRecord> recs;
  for (int i = 0; i < 20; ++i) recs.push_back(Row("house/templates", adapter, house_scheduler, house_warmup));
  for (int i = 0; i < others; ++i)
    recs.push_back(Row("other/repo-" + std::to_string(i), adapter, other_scheduler, other_warmup));
  return recs;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recommend_learned)

BOOST_AUTO_TEST_CASE(the_scheduler_is_what_most_repositories_use_not_most_rows) {
  auto learned = ftconfig::internal::LearnFromCorpus(HouseAndOthers("lora", "linear", 0.05, "cosine", 0.05, 2));
  BOOST_TEST(learned.adapter_schedule.scheduler == "cosine");  // 2 repositories against 1, though 20 rows against 2
  learned = ftconfig::internal::LearnFromCorpus(HouseAndOthers("none", "cosine", 0.05, "constant", 0.05, 3));
  BOOST_TEST(learned.full_schedule.scheduler == "constant");
  BOOST_TEST(learned.adapter_schedule.scheduler == "cosine");  // no adapter rows: the default
  // Schedulers the engine does not serve (step, cosine_with_min_lr, unknown) do not vote.
  learned = ftconfig::internal::LearnFromCorpus(HouseAndOthers("lora", "linear", 0.05, "step", 0.05, 5));
  BOOST_TEST(learned.adapter_schedule.scheduler == "linear");
}

BOOST_AUTO_TEST_CASE(the_optimizer_is_what_most_repositories_use) {
  auto recs = HouseAndOthers("qlora", "cosine", 0.05, "cosine", 0.05, 2);
  for (size_t i = 0; i < recs.size(); ++i) recs[i].optimizer = i < 20 ? "adamw_8bit" : "paged_adamw_32bit";
  // Two repositories of paged 32-bit AdamW (AdamW's states, paged) outvote one of 20 8-bit rows.
  BOOST_TEST(ftconfig::internal::LearnFromCorpus(recs).adapter_schedule.optimizer == "adamw");
  for (size_t i = 20; i < recs.size(); ++i) recs[i].optimizer = "adafactor";  // not served: no vote
  BOOST_TEST(ftconfig::internal::LearnFromCorpus(recs).adapter_schedule.optimizer == "adamw_8bit");
}

BOOST_AUTO_TEST_CASE(the_warmup_is_within_2x_of_the_most_repositories) {
  // 0.05 is within 2x of both 0.03 and 0.1: it agrees with every repository.
  auto learned = ftconfig::internal::LearnFromCorpus(HouseAndOthers("qlora", "cosine", 0.03, "cosine", 0.1, 2));
  BOOST_TEST(learned.adapter_schedule.warmup_ratio == 0.05);
  // Repositories that warm up not at all.
  learned = ftconfig::internal::LearnFromCorpus(HouseAndOthers("none", "cosine", 0.1, "linear", 0.0, 3));
  BOOST_TEST(learned.full_schedule.warmup_ratio == 0.0);
  learned = ftconfig::internal::LearnFromCorpus(HouseAndOthers("none", "cosine", 0.0, "linear", 0.15, 3));
  BOOST_TEST(learned.full_schedule.warmup_ratio == 0.1);
}

BOOST_AUTO_TEST_CASE(answers_say_the_corpus_set_the_schedule_and_a_rule_the_batch) {
  const auto& engine = ftconfig::test::BundledEngine();
  for (const char* adapter : {"lora", "none"}) {
    json req = {{"gpu", "A100 80GB"}, {"model", "meta-llama/Llama-3.2-1B"}, {"adapter_type", adapter}};
    auto r = engine.Recommend(req.dump());
    BOOST_TEST_REQUIRE(r.ok());
    const json& resp = r.value();
    BOOST_TEST(resp["provenance"]["lr_scheduler"] == "corpus");
    BOOST_TEST(resp["provenance"]["warmup_ratio"] == "corpus");
    BOOST_TEST(resp["provenance"]["effective_batch_size"] == "rule");
    BOOST_TEST(resp["why"]["lr_scheduler"].get<std::string>().find("repositor") != std::string::npos);
    BOOST_TEST(resp["hyperparameters"]["effective_batch_size"] == (std::string(adapter) == "none" ? 16 : 8));
  }
}

BOOST_AUTO_TEST_SUITE_END()
