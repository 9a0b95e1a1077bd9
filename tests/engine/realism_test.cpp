// The realism evaluation (companion/realism.h) on a small fixture corpus:
// held-out rows never reach the engine that answers them, the baselines'
// values, fields counted only where the practitioner gives them, the AUC.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "realism.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace ftconfig;
using namespace ftconfig::cli;

namespace {

// data/catalog with the fixture corpus (tests/fixtures/realism: 8 rows, 4 repositories).
std::string FixtureDataDir() {
  static const std::string dir = [] {
    fs::path p = fs::temp_directory_path() / ("ftconfig_realism_test_" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p / "corpus");
    fs::copy(fs::path(FTCONFIG_DATA_DIR) / "catalog", p / "catalog", fs::copy_options::recursive);
    fs::copy_file(fs::path(FTCONFIG_TEST_FIXTURES) / "realism" / "configs.jsonl", p / "corpus" / "configs.jsonl");
    return p.string();
  }();
  return dir;
}

const TrainingSet& FixtureSet() {
  static const TrainingSet ts = [] {
    auto r = LoadTrainingSet(FixtureDataDir());
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return std::move(r).value();
  }();
  return ts;
}

std::set<std::string> ReposIn(const std::vector<CorpusSource>& sources) {
  std::set<std::string> repos;
  for (const auto& s : sources) {
    std::istringstream in(s.jsonl);
    std::string line;
    while (std::getline(in, line)) {
      json row = json::parse(line, nullptr, false);
      if (row.is_object() && row.contains("source_repo")) repos.insert(row["source_repo"].get<std::string>());
    }
  }
  return repos;
}

// `seen`: the repositories of each fold's sources; `held_out`: the repository
// each fold was told it holds out.
EngineFactory Factory(std::vector<std::set<std::string>>* seen = nullptr, std::vector<std::string>* held_out = nullptr) {
  return [seen, held_out](const std::vector<CorpusSource>& sources, const std::string& repo) {
    if (seen) seen->push_back(ReposIn(sources));
    if (held_out) held_out->push_back(repo);
    EngineData d;
    d.catalog = test::CatalogFilesIn(FTCONFIG_DATA_DIR);
    d.corpus = sources;
    return Engine::Create(d);
  };
}

ConfigRecord Rec(const std::string& task, const std::string& adapter, int num_gpus = 1) {
  ConfigRecord r;
  r.task_type = task;
  r.adapter_type = adapter;
  r.num_gpus = num_gpus;
  r.learning_rate = 2e-4;
  return r;
}

void NoProgress(const std::string&) {}

}  // namespace

BOOST_AUTO_TEST_SUITE(realism)

BOOST_AUTO_TEST_CASE(held_out_rows_never_reach_the_engine_that_answers_them) {
  const TrainingSet& ts = FixtureSet();
  BOOST_REQUIRE_EQUAL(ts.repos.size(), 4u);
  std::vector<std::set<std::string>> seen;
  std::vector<std::string> told;
  std::ostringstream runs;
  RealismOptions opt;
  opt.strategies = {"auto", "deterministic"};
  opt.runs = &runs;
  json M = RunRealism(ts, Factory(&seen, &told), opt, NoProgress);
  BOOST_TEST(M["fold_errors"].empty());
  BOOST_REQUIRE_EQUAL(seen.size(), ts.repos.size());
  for (size_t k = 0; k < seen.size(); ++k) {
    BOOST_TEST(told[k] == ts.repos[k]);  // what a factory retrains artifacts without
    BOOST_TEST(!seen[k].count(ts.repos[k]), "fold " << k << " engine holds " << ts.repos[k]);
    BOOST_TEST(seen[k].size() == ts.repos.size() - 1);
  }
  std::istringstream in(runs.str());
  std::string line;
  int engine_runs = 0;
  while (std::getline(in, line)) {
    json run = json::parse(line);
    BOOST_TEST(!seen[run["fold"].get<int>()].count(run["repo"].get<std::string>()));
    engine_runs += run["answerer"] == "auto";
  }
  BOOST_TEST(engine_runs == 8);  // every fixture row answered once by the served strategy
}

BOOST_AUTO_TEST_CASE(an_engine_that_holds_the_held_out_rows_is_refused) {
  const TrainingSet& ts = FixtureSet();
  // Hands every fold the whole corpus: the leak check must refuse each fold.
  EngineFactory leaky = [&](const std::vector<CorpusSource>&, const std::string& held_out) {
    return Factory()(ts.sources, held_out);
  };
  RealismOptions opt;
  opt.strategies = {"deterministic"};
  json M = RunRealism(ts, leaky, opt, NoProgress);
  BOOST_TEST(M["fold_errors"].size() == ts.repos.size());
  BOOST_TEST(M["results"]["deterministic"]["lr_2x"].value("n", -1) == 0);
}

BOOST_AUTO_TEST_CASE(unsloth_baseline_values) {
  RealismAnswer q = UnslothAnswer(Rec("instruction_following", "qlora", 2));
  BOOST_TEST(*q.learning_rate == 2e-4);
  BOOST_TEST(*q.lora_r == 16);
  BOOST_TEST(*q.lora_alpha == 16);
  BOOST_TEST(q.target_class == "all_linear");
  BOOST_TEST(*q.max_seq_length == 2048);
  BOOST_TEST(*q.effective_batch == 16);  // 2 x 4 per GPU, 2 GPUs
  BOOST_TEST(q.scheduler == "linear");
  BOOST_TEST(q.optimizer_family == "8bit");
  BOOST_TEST(*UnslothAnswer(Rec("preference_dpo", "lora")).learning_rate == 5e-6);
  BOOST_TEST(*UnslothAnswer(Rec("reward_modeling", "none")).learning_rate == 5e-6);
  RealismAnswer full = UnslothAnswer(Rec("chat", "none"));
  BOOST_TEST(*full.learning_rate == 2e-5);
  BOOST_TEST(!full.lora_r.has_value());
  BOOST_TEST(full.target_class.empty());
}

BOOST_AUTO_TEST_CASE(llamafactory_webui_baseline_values) {
  RealismAnswer a = LlamaFactoryWebUiAnswer(Rec("preference_dpo", "lora"));
  BOOST_TEST(*a.learning_rate == 5e-5);
  BOOST_TEST(*a.lora_r == 8);
  BOOST_TEST(*a.lora_alpha == 16);
  BOOST_TEST(*a.max_seq_length == 2048);
  BOOST_TEST(*a.effective_batch == 16);
  BOOST_TEST(*a.num_epochs == 3);
  BOOST_TEST(*a.warmup_ratio == 0);
  BOOST_TEST(a.scheduler == "cosine");
  BOOST_TEST(a.optimizer_family == "adamw");
}

BOOST_AUTO_TEST_CASE(a_field_is_counted_only_where_the_practitioner_gives_it) {
  ConfigRecord r = Rec("chat", "lora");
  RealismAnswer a = UnslothAnswer(r);
  BOOST_TEST(!FieldAgrees("seq_2x", r, a).has_value());      // no sequence length given
  BOOST_TEST(!FieldAgrees("rank_2x", r, a).has_value());     // no rank given
  BOOST_TEST(!FieldAgrees("pref_lr_3x", r, a).has_value());  // not a preference task
  BOOST_TEST(*FieldAgrees("lr_2x", r, a));
  r.max_seq_length = 8192;
  BOOST_TEST(!*FieldAgrees("seq_2x", r, a));  // 2048 is 4x shorter
  r.max_seq_length = 4096;
  BOOST_TEST(*FieldAgrees("seq_2x", r, a));
  RealismAnswer refusal = RealismAnswer::Refusal();
  BOOST_TEST(!*FieldAgrees("seq_2x", r, refusal));  // a refusal disagrees where the field is given
  r.warmup_ratio = 0.0;
  a.warmup_ratio = 0.0;
  BOOST_TEST(*FieldAgrees("warmup_2x", r, a));  // both zero
  a.warmup_ratio = 0.03;
  BOOST_TEST(!*FieldAgrees("warmup_2x", r, a));

  // Over the fixture corpus: 7 of 8 rows give a sequence length, 6 of the 7
  // adapter rows give a target module list.
  RealismOptions opt;
  opt.strategies = {"deterministic"};
  json M = RunRealism(FixtureSet(), Factory(), opt, NoProgress);
  BOOST_TEST(M["results"]["unsloth"]["seq_2x"]["n"].get<int>() == 7);
  BOOST_TEST(M["results"]["unsloth"]["lr_2x"]["n"].get<int>() == 8);
  BOOST_TEST(M["results"]["unsloth"]["target_class"]["n"].get<int>() == 6);
  BOOST_TEST(M["results"]["unsloth"]["pref_lr_3x"]["n"].get<int>() == 1);
  BOOST_TEST(M["results"]["deterministic"]["lr_2x"]["n"].get<int>() == 8);
}

BOOST_AUTO_TEST_CASE(target_class_prefers_the_response_class) {
  BOOST_TEST(TargetClass("all-linear") == "all_linear");
  BOOST_TEST(TargetClass("q_proj,v_proj") == "attention");
  BOOST_TEST(TargetClass("q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj") == "all_linear");
  BOOST_TEST(TargetClass("qv") == "attention");
  json resp = {{"fits", true},
               {"hyperparameters",
                {{"adapter_type", "lora"}, {"lora_target", "q_proj,v_proj"}, {"lora_target_class", "all_linear"}}}};
  BOOST_TEST(AnswerFromResponse(resp).target_class == "all_linear");
  resp["hyperparameters"].erase("lora_target_class");
  BOOST_TEST(AnswerFromResponse(resp).target_class == "attention");
}

BOOST_AUTO_TEST_CASE(auc_of_a_known_case) {
  // Positives 0.35 and 0.8, negatives 0.1 and 0.4: 3 of 4 pairs ordered.
  BOOST_TEST(*Auc({{0.1, false}, {0.4, false}, {0.35, true}, {0.8, true}}) == 0.75);
  BOOST_TEST(*Auc({{0.5, true}, {0.5, false}}) == 0.5);  // a tie counts one half
  BOOST_TEST(*Auc({{0.9, false}, {0.1, true}}) == 0.0);
  BOOST_TEST(!Auc({{0.5, true}, {0.7, true}}).has_value());
}

BOOST_AUTO_TEST_CASE(gate_fails_when_the_served_strategy_loses_a_headline_field) {
  json M = {{"served_strategy", "auto"}, {"results", json::object()}};
  for (const auto& f : RealismFields()) {
    M["results"]["auto"][f.name] = {{"share", 0.8}, {"n", 10}};
    M["results"]["unsloth"][f.name] = {{"share", 0.7}, {"n", 10}};
  }
  BOOST_TEST(RealismGate(M).passed);
  M["results"]["unsloth"]["seq_2x"]["share"] = 0.9;
  Gate g = RealismGate(M);
  BOOST_TEST(!g.passed);
  BOOST_TEST(g.detail.find("seq_2x 0.800 vs unsloth 0.900") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cli_writes_the_report_and_the_gate_sets_the_exit_code) {
  const std::string dir = FixtureDataDir();
  const std::string args = "--models-dir '' realism --quiet --data " + dir + " --json " + dir + "/realism.json --markdown " +
                           dir + "/realism.md";
  auto r = test::RunCli(args);
  BOOST_TEST(r.exit_code == 0);
  json M = json::parse(test::ReadFile(dir + "/realism.json"));
  BOOST_TEST(M["strategies"].size() == 3u);  // no artifacts: no hybrid_ml
  BOOST_TEST(M["corpus"]["records"].get<int>() == 8);
  const std::string md = test::ReadFile(dir + "/realism.md");
  BOOST_TEST(md.find("Regenerate with `bash scripts/realism.sh`") != std::string::npos);
  BOOST_TEST(md.find("| learning rate within 2x **(headline)** |") != std::string::npos);
  // --gate: exit 1 exactly when the gate in the metrics failed.
  auto g = test::RunCli(args + " --gate");
  BOOST_TEST(g.exit_code == (M["gate"]["passed"].get<bool>() ? 0 : 1));
  BOOST_TEST(test::RunCli("realism --data /nonexistent/ftconfig").exit_code == 2);
}

BOOST_AUTO_TEST_CASE(a_binary_corpus_snapshot_does_not_leak_the_held_out_source) {
  // scripts/build.sh writes data/corpus/corpus.snapshot; the folds must still
  // build each engine from the training sources only (a leak shows as fold
  // errors: "the engine for held-out ... holds its row").
  const std::string dir = FixtureDataDir();
  BOOST_TEST_REQUIRE(test::RunCli("--data-dir " + dir + " corpus snapshot --format binary --out " + dir +
                                  "/corpus/corpus.snapshot")
                         .exit_code == 0);
  auto r = test::RunCli("--models-dir '' realism --quiet --data " + dir + " --json " + dir + "/realism.json");
  BOOST_TEST(r.exit_code == 0);
  json M = json::parse(test::ReadFile(dir + "/realism.json"));
  BOOST_TEST(M["fold_errors"].empty(), M["fold_errors"].dump());
  BOOST_TEST(M["results"]["auto"]["lr_2x"]["n"].get<int>() > 0);
  fs::remove(fs::path(dir) / "corpus" / "corpus.snapshot");
}

BOOST_AUTO_TEST_SUITE_END()
