// Training-side ranking logic (companion/train_*.cpp): labels, metrics,
// folds, the learners, and the `ftconfig train` / `ftconfig evaluate`
// commands (evaluate must block a deliberately bad candidate).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "eval_harness.h"
#include "ftconfig/ranking.h"
#include "test_util.h"
#include "train_data.h"
#include "train_linear.h"
#include "train_models.h"
#include "train_xgb.h"

using namespace ftconfig;
using namespace ftconfig::cli;
namespace fs = std::filesystem;

namespace {

template <typename T>
std::string Why(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message;
}

const TrainingSet& BundledTrainingSet() {
  static const TrainingSet ts = [] {
    auto r = LoadTrainingSet(FTCONFIG_DATA_DIR);
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return std::move(r).value();
  }();
  return ts;
}

const std::vector<RankGroup>& BundledGroups() {
  static const std::vector<RankGroup> g = BuildRankGroups(BundledTrainingSet(), 50);
  return g;
}

ConfigRecord Rec(double lr, int eff, std::optional<int> r, std::optional<int> seq) {
  ConfigRecord c;
  c.learning_rate = lr;
  c.effective_batch_size = eff;
  c.lora_r = r;
  c.max_seq_length = seq;
  c.adapter_type = "lora";
  return c;
}

std::string ModelsDir() { return std::string(FTCONFIG_DATA_DIR) + "/../models"; }

std::string TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("ftconfig_ranking_test_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

json ParseOut(const test::CliResult& r) {
  json j = json::parse(r.out, nullptr, false);
  BOOST_TEST_REQUIRE(!j.is_discarded(), "stdout is not JSON: " + r.out.substr(0, 400));
  return j;
}

bool GatePassed(const json& out, const std::string& name) {
  for (const auto& g : out["gates"])
    if (g["name"] == name) return g["passed"].get<bool>();
  BOOST_FAIL("no gate named " + name);
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ranking)

BOOST_AUTO_TEST_CASE(relevance_rewards_hyperparameters_close_to_the_practitioners) {
  ConfigRecord q = Rec(2e-4, 16, 16, 2048);
  BOOST_TEST(RelevanceGrade(q, Rec(2e-4, 16, 16, 2048), 0.3) == 4);
  BOOST_TEST(RelevanceGrade(q, Rec(6e-4, 16, 16, 2048), 0.3) == 2);  // 3x learning rate: d = 0.55
  BOOST_TEST(RelevanceGrade(q, Rec(2e-3, 16, 16, 2048), 0.3) == 0);  // 10x
  BOOST_TEST(RelevanceGrade(q, Rec(2e-4, 64, 64, 8192), 0.3) == 2);  // 4x batch, rank and sequence: d = 0.45
  BOOST_TEST(RelevanceGrade(q, Rec(2e-4, 16, std::nullopt, std::nullopt), 0.3) == 4);  // unknowns are not penalized
  BOOST_TEST(RelevanceGrade(q, Rec(2e-4, 16, 16, 2048), -0.01) == 0);  // does not fit the query's GPU
  BOOST_TEST(!MeasuredOutcome(q).has_value());
}

BOOST_AUTO_TEST_CASE(ndcg_regret_and_oom_violations_by_hand) {
  RankGroup g;
  g.cands = {0, 1, 2};
  g.label = {0, 2, 4};
  g.headroom = {0.1, -0.2, 0.3};
  g.heuristic = {0, 0, 0};
  g.x.assign(3, {});
  GroupMetrics m = ScoreGroup(g, {3, 2, 1});  // order 0, 1, 2
  double dcg = 3 / std::log2(3.0) + 15 / 2.0, idcg = 15 + 3 / std::log2(3.0);
  BOOST_TEST_REQUIRE(m.ndcg5.has_value());
  BOOST_TEST(std::fabs(*m.ndcg5 - dcg / idcg) < 1e-12);
  BOOST_TEST(m.top1_regret == 1.0);
  BOOST_TEST(!m.top1_oom);
  BOOST_TEST(m.top5_oom == 0);  // the pool has 3: the non-fitting one is in any top 5
  GroupMetrics bad = ScoreGroup(g, {2, 3, 1});  // the non-fitting candidate first
  BOOST_TEST(bad.top1_oom);
  g.headroom = {-0.1, -0.2, -0.3};  // nothing fits: not the ranking's fault
  BOOST_TEST(!ScoreGroup(g, {2, 3, 1}).top1_oom);
  g.label = {0, 0, 0};
  BOOST_TEST(!ScoreGroup(g, {1, 2, 3}).ndcg5.has_value());
}

BOOST_AUTO_TEST_CASE(weighted_quantiles) {
  BOOST_TEST(WeightedMedian({{1, 1}, {2, 1}, {3, 1}}) == 2.0);
  BOOST_TEST(WeightedMedian({{1, 1}, {2, 1}, {10, 4}}) == 10.0);
  BOOST_TEST(WeightedQuantile({{0, 1}, {10, 1}}, 0.5) == 5.0);
  BOOST_TEST(WeightedQuantile({{0, 1}, {10, 1}}, 0.0) == 0.0);
  BOOST_TEST(WeightedMedian({}) == 0.0);
}

BOOST_AUTO_TEST_CASE(folds_keep_each_source_repository_together) {
  const TrainingSet& ts = BundledTrainingSet();
  auto fold = RepoFolds(ts, 5);
  std::map<int, std::set<int>> folds_of_repo;
  std::set<int> used;
  for (size_t i = 0; i < fold.size(); ++i) folds_of_repo[ts.repo_of[i]].insert(fold[i]), used.insert(fold[i]);
  for (const auto& [repo, fs_] : folds_of_repo) BOOST_TEST(fs_.size() == 1u, ts.repos[repo]);
  BOOST_TEST(used.size() == 5u);
  BOOST_TEST(ts.repos.size() >= 10u);
}

BOOST_AUTO_TEST_CASE(groups_leave_the_query_source_out) {
  const TrainingSet& ts = BundledTrainingSet();
  const auto& groups = BundledGroups();
  BOOST_TEST(groups.size() > 500u);
  for (const auto& g : groups) {
    BOOST_TEST_REQUIRE(g.cands.size() <= 50u);
    for (size_t i = 0; i < g.cands.size(); ++i) {
      BOOST_TEST_REQUIRE(ts.repo_of[g.cands[i]] != ts.repo_of[g.query]);
      BOOST_TEST_REQUIRE(g.x[i].size() == PairFeatureNames().size());
      BOOST_TEST_REQUIRE((g.label[i] >= 0 && g.label[i] <= 4));
      if (g.headroom[i] < 0) BOOST_TEST_REQUIRE(g.label[i] == 0);
    }
    // Pool order is the heuristic's.
    BOOST_TEST_REQUIRE(std::is_sorted(g.heuristic.rbegin(), g.heuristic.rend()));
  }
  for (size_t i = 0; i < ts.queries.size(); ++i) BOOST_TEST_REQUIRE(ts.query_gpu[i] != nullptr);
}

BOOST_AUTO_TEST_CASE(pairwise_linear_model_learns_the_labelled_direction) {
  // Label = rank of feature 0; feature 1 is noise.
  std::vector<RankGroup> groups(20);
  unsigned s = 7;
  for (auto& g : groups) {
    for (int i = 0; i < 6; ++i) {
      s = s * 1664525u + 1013904223u;
      double noise = ((s >> 8) % 1000) / 1000.0;
      g.x.push_back({static_cast<double>(i), noise});
      g.label.push_back(i * 4 / 5);
    }
  }
  std::vector<const RankGroup*> ptr;
  for (const auto& g : groups) ptr.push_back(&g);
  LinearFit fit = FitPairwiseLinear(ptr, LinearOptions());
  BOOST_TEST_REQUIRE(fit.weights.size() == 2u);
  BOOST_TEST(fit.weights[0] > 0.5);
  BOOST_TEST(std::fabs(fit.weights[1]) < 0.1 * fit.weights[0]);
}

BOOST_AUTO_TEST_CASE(engine_tree_evaluation_matches_xgboost) {
  XgbData d;
  d.cols = 2;
  unsigned s = 11;
  for (int g = 0; g < 10; ++g) {
    for (int i = 0; i < 8; ++i) {
      s = s * 1664525u + 1013904223u;
      float a = ((s >> 8) % 1000) / 250.0f, b = ((s >> 18) % 7) * 1.0f;
      if (i == 3) b = std::numeric_limits<float>::quiet_NaN();
      d.x.insert(d.x.end(), {a, b});
      d.label.push_back(static_cast<float>(std::min(4, static_cast<int>(a))));
      ++d.rows;
    }
    d.group.push_back(8);
  }
  auto r = XgbTrain(d, {{"objective", "rank:ndcg"}, {"max_depth", "3"}, {"seed", "3"}}, 10);
  BOOST_TEST_REQUIRE(r.ok(), Why(r));
  json artifact = {{"format_version", 2},
                   {"features", {"same_task", "same_adapter"}},
                   {"model", {{"kind", "trees"}, {"xgboost", r.value().model}}}};
  auto rr = Reranker::Load(artifact);
  BOOST_TEST_REQUIRE(rr.ok(), Why(rr));
  for (size_t i = 0; i < d.rows; ++i) {
    std::vector<double> x = {d.x[2 * i], d.x[2 * i + 1]};
    BOOST_TEST(std::fabs(rr.value().Score(x) - r.value().train_pred[i]) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(fitting_is_reproducible) {
  std::vector<const RankGroup*> some;
  for (size_t i = 0; i < BundledGroups().size(); i += 6) some.push_back(&BundledGroups()[i]);
  RerankerOptions opt;
  opt.rounds = 10;
  for (const char* kind : {"linear", "trees"}) {
    auto a = FitReranker(some, kind, opt, nullptr);
    auto b = FitReranker(some, kind, opt, nullptr);
    BOOST_TEST_REQUIRE(a.ok(), Why(a));
    BOOST_TEST_REQUIRE(b.ok());
    BOOST_TEST(a.value() == b.value(), kind);
    BOOST_TEST(a.value()["model"]["kind"] == kind);
  }
}

BOOST_AUTO_TEST_CASE(train_writes_a_versioned_artifact_and_metrics) {
  std::string dir = TempDir("train");
  auto r = test::RunCli("train reranker --out " + dir + "/reranker.json --folds 2 --select linear --quiet");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.out);
  json out = ParseOut(r);
  BOOST_TEST(out["selected"] == "linear");
  json artifact = json::parse(test::ReadFile(dir + "/reranker.json"));
  json metrics = json::parse(test::ReadFile(dir + "/reranker.metrics.json"));
  BOOST_TEST(artifact["format_version"] == Reranker::kFormatVersion);
  BOOST_TEST(metrics["format_version"] == 1);
  BOOST_TEST(metrics["model_version"] == artifact["version"]);
  BOOST_TEST(metrics["artifact_sha256"] == Sha256Hex(test::ReadFile(dir + "/reranker.json")));
  BOOST_TEST(metrics["held_out"]["heuristic"]["ndcg_at_5"].is_number());
  BOOST_TEST(Reranker::Load(artifact).ok());
  auto bad = test::RunCli("train forest --out " + dir + "/x.json");
  BOOST_TEST(bad.exit_code == 2);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(evaluate_passes_the_shipped_models) {
  std::string dir = TempDir("report");
  auto r = test::RunCli("evaluate --candidate " + ModelsDir() + " --no-held-out --quiet --report " + dir + "/r.md");
  json out = ParseOut(r);
  BOOST_TEST(r.exit_code == 0, out["gates"].dump());
  BOOST_TEST(out["passed"] == true);
  BOOST_TEST(GatePassed(out, "served OOM violations = 0"));
  std::string md = test::ReadFile(dir + "/r.md");
  BOOST_TEST(md.find("# ftconfig evaluate: PASS") == 0u);
  BOOST_TEST(md.find("| gate | result | detail |") != std::string::npos);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(evaluate_blocks_a_deliberately_bad_candidate) {
  // The shipped reranker with its headroom weights inverted: it now prefers
  // configurations that do not fit the GPU, and those least similar.
  std::string dir = TempDir("bad");
  json rr = json::parse(test::ReadFile(ModelsDir() + "/reranker.json"));
  BOOST_TEST_REQUIRE(rr["model"]["kind"] == "linear");
  auto& w = rr["model"]["weights"];
  for (size_t i = 0; i < w.size(); ++i) w[i] = -w[i].get<double>();
  rr["version"] = "deliberately-bad";
  rr.erase("training");  // hand-made: no recipe, evaluated as it is
  std::ofstream(dir + "/reranker.json") << rr.dump();
  fs::copy_file(ModelsDir() + "/hp_predictor.json", dir + "/hp_predictor.json");
  auto r = test::RunCli("evaluate --candidate " + dir + " --baseline " + ModelsDir() + " --no-held-out --quiet");
  BOOST_TEST(r.exit_code == 1);
  json out = ParseOut(r);
  BOOST_TEST(out["passed"] == false);
  BOOST_TEST(!GatePassed(out, "NDCG@5 no regression"));
  BOOST_TEST(!GatePassed(out, "ranking OOM violations"));
  BOOST_TEST(GatePassed(out, "artifacts load"));

  // A corrupt artifact fails the load gate (exit 1), a missing folder is bad input (exit 2).
  std::ofstream(dir + "/reranker.json") << "{\"format_version\": 2, \"features\": [\"nope\"]}";
  auto corrupt = test::RunCli("evaluate --candidate " + dir + " --no-held-out --quiet");
  BOOST_TEST(corrupt.exit_code == 1);
  BOOST_TEST(!GatePassed(ParseOut(corrupt), "artifacts load"));
  auto missing = test::RunCli("evaluate --candidate /nonexistent/models --quiet");
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(ParseOut(missing)["error"]["field"] == "candidate");
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(evaluated_strategies_are_accepted_by_the_engine) {
  BOOST_TEST(EvaluatedStrategies().size() == 4u);
  for (const auto& s : EvaluatedStrategies()) {
    auto req = ParseRequest(json{{"gpu_override", "T4"}, {"model", "llama2-7b"}, {"strategy", s}});
    BOOST_TEST(req.ok(), s);
  }
}

BOOST_AUTO_TEST_SUITE_END()
