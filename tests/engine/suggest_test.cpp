// ftconfig suggest (issue 20): the Gaussian process, expected improvement,
// the scaling fit, and suggestions that the memory model says fit.
#include <cmath>
#include <random>

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "suggest.h"
#include "test_util.h"

namespace ftconfig {
namespace {

namespace bdata = boost::unit_test::data;
using nlohmann::json;
using namespace suggest;

struct RunSpec {
  double lr;
  int rank, effective_batch;
  double epochs, loss, tokens;
};

// run_start / run_complete pairs of one project, as the notebook writes them (the fields suggest reads).
std::vector<json> Events(const std::string& model, const std::string& gpu, const std::string& adapter, int batch,
                         int seq, const std::vector<RunSpec>& runs) {
  std::vector<json> out;
  int n = 0;
  for (const RunSpec& r : runs) {
    std::string id = "run-" + std::to_string(n++);
    json hp = {{"learning_rate", r.lr},       {"lora_r", r.rank},          {"lora_alpha", r.rank},
               {"effective_batch_size", r.effective_batch}, {"batch_size_per_device", batch},
               {"num_epochs", r.epochs},      {"max_seq_length", seq},     {"adapter_type", adapter},
               {"optimizer", "paged_adamw_8bit"}, {"precision", "fp16"}, {"gradient_checkpointing", true},
               {"lora_target_class", "all_linear"}};
    out.push_back({{"event", "run_start"}, {"run_id", id},
                   {"recommendation", {{"model", model}, {"task_type", "instruction_following"}, {"adapter_type", adapter},
                                       {"gpu", {{"id", gpu}, {"count", 1}}}, {"hyperparameters", hp}}}});
    out.push_back({{"event", "run_complete"}, {"run_id", id}, {"outcome", "success"}, {"eval_loss", r.loss}, {"tokens_seen", r.tokens}});
  }
  return out;
}

const std::vector<RunSpec> kRuns = {{2e-4, 16, 8, 1, 1.30, 3e6}, {1e-4, 16, 8, 1, 1.34, 3e6}, {4e-4, 32, 16, 2, 1.25, 6e6},
                                    {5e-5, 8, 8, 1, 1.45, 1.5e6}, {2e-4, 64, 32, 2, 1.22, 6e6}};

BOOST_AUTO_TEST_SUITE(suggest_runs)

BOOST_AUTO_TEST_CASE(gaussian_process_interpolates_and_is_unsure_far_away) {
  std::vector<std::vector<double>> X = {{0.1, 0.1}, {0.5, 0.5}, {0.9, 0.2}, {0.3, 0.8}};
  std::vector<double> y;
  for (const auto& x : X) y.push_back(std::sin(3 * x[0]) + x[1] * x[1]);
  GaussianProcess gp;
  gp.Fit(X, y);
  for (size_t i = 0; i < X.size(); ++i) {
    auto [m, sd] = gp.Predict(X[i]);
    BOOST_CHECK_SMALL(m - y[i], 0.02);
    BOOST_CHECK_LT(sd, 0.05);
  }
  BOOST_CHECK_GT(gp.Predict({1.0, 1.0}).second, gp.Predict({0.5, 0.5}).second);
}

BOOST_AUTO_TEST_CASE(expected_improvement_rewards_a_lower_mean_and_more_doubt) {
  BOOST_CHECK_CLOSE(ExpectedImprovement(1.0, 0.0, 1.5), 0.5, 1e-9);
  BOOST_CHECK_EQUAL(ExpectedImprovement(2.0, 0.0, 1.5), 0.0);
  BOOST_CHECK_GT(ExpectedImprovement(1.0, 0.1, 1.5), ExpectedImprovement(1.2, 0.1, 1.5));
  BOOST_CHECK_GT(ExpectedImprovement(2.0, 0.5, 1.5), ExpectedImprovement(2.0, 0.1, 1.5));
  BOOST_CHECK_GE(ExpectedImprovement(5.0, 0.01, 1.5), 0.0);
}

BOOST_AUTO_TEST_CASE(scaling_fit_recovers_a_log_law_and_needs_three_runs) {
  std::vector<double> tokens = {1e6, 2e6, 4e6, 8e6}, loss;
  for (double t : tokens) loss.push_back(3.0 - 0.1 * std::log(t) + (t == 2e6 ? 0.003 : 0.0));
  ScalingFit f = FitScaling(tokens, loss);
  BOOST_REQUIRE(f.ok);
  BOOST_CHECK_CLOSE(f.b, -0.1, 3);
  BOOST_CHECK_EQUAL(f.verdict, "more data helps");
  BOOST_CHECK_LT(f.lo_2x, f.predicted_2x);
  BOOST_CHECK_GT(f.hi_2x, f.predicted_2x);
  BOOST_CHECK(!FitScaling({1e6, 2e6}, {1.0, 0.9}).ok);
  BOOST_CHECK(!FitScaling({1e6, 1e6, 1e6}, {1.0, 0.9, 1.1}).ok);
}

// The "done when": no suggestion the memory plan says does not fit.
// Llama-3.1-8B QLoRA on a T4 at 2048 tokens: ranks 128 and 256 do not fit.
BOOST_AUTO_TEST_CASE(suggestions_on_a_t4_fit_and_the_rest_are_rejected) {
  auto r = SuggestFromEvents(Events("meta-llama/Llama-3.1-8B", "t4", "qlora", 1, 2048, kRuns),
                             test::BundledEngine().catalog(), {});
  BOOST_REQUIRE_MESSAGE(r.ok(), std::string(r.ok() ? "" : r.error().message));
  const json& a = r.value();
  BOOST_CHECK_GT(a["candidates_rejected_by_memory"].get<int>(), 0);
  BOOST_REQUIRE_EQUAL(a["suggestions"].size(), 3u);
  for (const json& s : a["suggestions"]) {
    BOOST_CHECK_GE(s["memory_headroom"].get<double>(), 0.0);
    BOOST_CHECK_LE(s["hyperparameters"]["lora_r"].get<int>(), 64);
    BOOST_CHECK_GT(s["expected_improvement"].get<double>(), 0.0);
  }
  BOOST_CHECK(a["scaling"]["fitted"].get<bool>());
}

BOOST_AUTO_TEST_CASE(nothing_fits_gives_no_suggestion) {
  auto r = SuggestFromEvents(Events("meta-llama/Llama-3.1-8B", "t4", "qlora", 2, 4096, kRuns),
                             test::BundledEngine().catalog(), {});
  BOOST_REQUIRE(r.ok());
  BOOST_CHECK(r.value()["suggestions"].empty());
  BOOST_CHECK(!r.value()["none_because"].get<std::string>().empty());
}

// Random projects: every suggestion fits (independently recomputed with ConfigHeadroom) and was not tried.
BOOST_DATA_TEST_CASE(random_projects_never_get_a_suggestion_that_does_not_fit, bdata::xrange(8), seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> models = {"meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-3B", "mistralai/Mistral-7B-v0.1"};
  const std::vector<std::string> gpus = {"t4", "l4", "rtx-4090"};
  std::string model = models[rng() % models.size()], gpu = gpus[rng() % gpus.size()];
  int batch = 1 << (rng() % 3), seq = 1024 << (rng() % 3);
  std::vector<RunSpec> runs;
  for (int i = 0; i < 4; ++i)
    runs.push_back({1e-5 * (1 + rng() % 40), 4 << (rng() % 5), 8 << (rng() % 3), 1.0 + rng() % 3, 1.0 + (rng() % 100) / 200.0, 1e6 * (1 + rng() % 8)});
  auto r = SuggestFromEvents(Events(model, gpu, "qlora", batch, seq, runs), test::BundledEngine().catalog(), {3, static_cast<uint64_t>(seed) + 1, "", "eval_loss"});
  BOOST_REQUIRE(r.ok());
  const Catalog& c = test::BundledEngine().catalog();
  BOOST_TEST_MESSAGE(model << " on " << gpu << ": " << r.value()["suggestions"].size() << " suggestions, "
                           << r.value()["candidates_rejected_by_memory"] << " rejected");
  BOOST_CHECK(!r.value()["suggestions"].empty() || r.value()["none_because"].is_string());
  for (const json& s : r.value()["suggestions"]) {
    const json& hp = s["hyperparameters"];
    ConfigRecord rec;
    rec.adapter_type = "qlora";
    rec.lora_r = hp["lora_r"].get<int>();
    rec.lora_target = "all_linear";
    rec.batch_size_per_device = hp["batch_size_per_device"].get<int>();
    rec.gradient_accumulation_steps = hp["gradient_accumulation_steps"].get<int>();
    rec.max_seq_length = seq;
    rec.optimizer = "paged_adamw_8bit";
    rec.precision = "fp16";
    rec.gradient_checkpointing = true;
    double headroom = ConfigHeadroom(rec, c.FindModel(model)->arch, *c.GpuById(gpu), 1, "instruction_following", "qlora");
    BOOST_TEST_CONTEXT(model << " on " << gpu << " " << hp.dump()) { BOOST_CHECK_GE(headroom, 0.0); }
    for (const RunSpec& t : runs)
      BOOST_CHECK(!(t.rank == hp["lora_r"].get<int>() && t.effective_batch == hp["effective_batch_size"].get<int>() &&
                    t.epochs == hp["num_epochs"].get<double>() && std::abs(t.lr - hp["learning_rate"].get<double>()) < 1e-12));
  }
}

BOOST_AUTO_TEST_CASE(bad_input_is_named) {
  const Catalog& c = test::BundledEngine().catalog();
  auto events = Events("meta-llama/Llama-3.1-8B", "t4", "qlora", 1, 2048, kRuns);
  BOOST_CHECK_EQUAL(SuggestFromEvents(events, c, {0, 1, "", "eval_loss"}).error().field, "count");
  BOOST_CHECK_EQUAL(SuggestFromEvents(events, c, {3, 1, "", "accuracy"}).error().field, "objective");
  BOOST_CHECK_EQUAL(SuggestFromEvents(events, c, {3, 1, std::string(300, 'm'), "eval_loss"}).error().field, "model");
  auto one = Events("meta-llama/Llama-3.1-8B", "t4", "qlora", 1, 2048, {kRuns[0]});
  BOOST_CHECK_EQUAL(SuggestFromEvents(one, c, {}).error().code, ErrorCode::kMissingField);
  auto unknown = Events("someone/unknown-model", "t4", "qlora", 1, 2048, kRuns);
  BOOST_CHECK_EQUAL(SuggestFromEvents(unknown, c, {}).error().code, ErrorCode::kUnknownModel);
  auto cli = test::RunCli("suggest -", "{\"event\": \"run_start\"}\nnot json\n");
  BOOST_CHECK_EQUAL(cli.exit_code, 2);
  BOOST_CHECK(cli.out.find("-:2") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace ftconfig
