// The recommendation pipeline's stages and what they hand each other. Engine::Recommend
// (recommend.cpp) runs them in order:
//
//   resolve the target   recommend_target.cpp      GPU, platform/plan, model, task, adapter
//   build the pool       recommend_pool.cpp        profile, safe pool, ranked neighbours, evidence
//   base values          recommend_values.cpp      rules of practice, bounded corpus votes
//   memory plan          memory_plan.cpp           techniques in order of cost, then the sequence
//   confidence           recommend_confidence.cpp  calibrated score and its reasons
//   response             recommend_response.cpp    the JSON of docs/api.md
//   exploration          recommend_explore.cpp     an alternative marked "exploration" (seeded, p = 0.1)
//
// Internal: nothing here is part of the public API.
#ifndef FTCONFIG_RECOMMEND_INTERNAL_H_
#define FTCONFIG_RECOMMEND_INTERNAL_H_

#include <map>
#include <string>
#include <vector>

#include "ftconfig/frameworks.h"
#include "ftconfig/recommend.h"

namespace ftconfig::internal {

class CorpusIndex;  // corpus_index.h
struct Context;  // stage 4: the GPU and model a candidate is checked against

// ---- stage 1: the target -------------------------------------------------------

struct Target {
  const Platform* platform = nullptr;
  const Plan* plan = nullptr;
  const Gpu* gpu = nullptr;
  int num_gpus = 1;
  ModelArch arch;
  const Model* model = nullptr;  // null outside the catalog
  std::string model_id, model_source, family;
  std::optional<double> params_from_name;  // billions a name outside the catalog states (NominalParamsFromName)
  std::string task;         // canonical task id
  std::string task_family;  // sft | preference | reward | classification | pretraining
  const TaskType* task_info = nullptr;
  std::string adapter;  // none | lora | qlora, after the GPU's 4-bit support
  const FrameworkProfile* framework = nullptr;  // the trainer the memory figures are for
  std::vector<std::string> warnings;
  std::vector<std::pair<double, std::string>> penalties;  // confidence deductions with reasons
};

Result<Target> ResolveTarget(const Catalog& catalog, const Request& req);

// Whether QLoRA is a real option: bitsandbytes 4-bit on the GPU, and a model
// whose weights it can quantize. gpt-oss keeps its MoE experts as 3-D
// parameters (MXFP4 on the hub, no backward pass: training dequantizes them to
// bf16), which bitsandbytes leaves alone, unless the framework loads a
// checkpoint of its own with NF4 experts (Unsloth).
bool QloraPossible(const Gpu& gpu, const ModelArch& arch, const FrameworkProfile* framework);
// MoE experts stored as 3-D parameters, not nn.Linear (ModelArch::experts_linear false).
bool FusedExperts(const ModelArch& arch);

// sft | preference | reward | classification | pretraining
std::string TaskFamily(const std::string& task);
bool IsPreferenceTask(const std::string& task);  // two sequences per example

// ---- stage 2: the pool ---------------------------------------------------------

struct Pool {
  ProfileMatch match;          // the profile the request's group fell back to
  GroupKey key;                // the requested group
  Profile pool;                // the configs the values draw on
  std::vector<size_t> safe;    // profile members that fit as written
  std::string label;           // what `pool` is, for explanations
  std::string strategy_used;   // deterministic | hybrid | hybrid_ml
  std::string strategy_why;
  json strategy_decision;      // the learning brain's decision (auto only)
  json candidates = json::array();
  json predictor;              // hp predictions (hybrid_ml), null otherwise
  bool task_in_corpus = false;
  bool ood_task = false;
  // The configs whose conventions vote on the learning rate and LoRA shape,
  // with their weights (ranking score or profile weight); configs that do not
  // fit as written vote too: a convention does not change memory.
  std::vector<size_t> voters;
  std::vector<double> voter_weights;
  // Set when the voters are a profile's members with their own weights (the
  // profile's group name): the vote is then the same for every request of a
  // task family and adapter class, and kept (recommend_values.cpp).
  std::string voters_key;
  // The ranked strategies instead: every compatible config votes, with its
  // score class's weight (per class, NaN: not compatible) or, for the
  // shortlist, its own (row, weight).
  std::vector<double> class_weights;
  std::vector<std::pair<size_t, double>> own_weights;
  std::vector<std::pair<double, std::string>> penalties;
};

struct PoolInputs {
  const Corpus& corpus;
  const CorpusIndex& index;
  const ProfileTable& profiles;
  const Reranker* reranker;
  const HpPredictor* hp_predictor;
  const HybridWeights& hybrid_weights;
  double mmr_lambda;
};

Pool BuildPool(const PoolInputs& in, const Request& req, const Target& t, const Context& ctx);

// ---- stage 3: base values --------------------------------------------------------

// A value with what set it: `source` is one of request | data | rule | vote |
// pool | predictor | clamp | plan, `why` a sentence for people.
template <typename T>
struct Set {
  T value{};
  std::string source, why;
};

struct Values {
  Set<double> learning_rate;
  Set<int> effective_batch;
  Set<int> seq;          // the sequence the data needs (plan never goes below `seq_floor`)
  int seq_floor = 1024;  // shortest acceptable: the data's p95, or 1024 when unknown
  Set<int> lora_r;
  Set<int> lora_alpha;
  Set<std::string> lora_target;  // all_linear | attention | qv
  Set<double> epochs;
  Set<std::string> scheduler;
  Set<double> warmup_ratio;
  Set<double> weight_decay;
  Set<double> lora_dropout;
  Set<std::string> optimizer;  // canonical: adamw | adamw_8bit | paged_adamw_8bit | ...
  bool grad_ckpt = true;
  // Agreement of the corpus's source repositories with the chosen values:
  // the share whose own learning rate (sequence) is within 2x, of how many.
  double lr_support = 0, seq_support = 0;
  int lr_repos = 0, seq_repos = 0;
  double dataset_size = 0;       // examples (assumed 10,000 when unknown)
  double tokens_per_example = 0; // mean tokens, for time
  std::vector<std::string> assumptions;
};

// Per task id: (configs, configs whose learning rate, sequence and rank are
// all within 2x of what the rules give their context).
std::map<std::string, std::pair<double, double>> RuleAgreement(const std::vector<ConfigRecord>& recs);

// LoRA alpha / rank per adapter (QLoRA recipes keep alpha low at high rank;
// LoRA recipes mostly use 2r): the corpus's weighted median alpha/r of that
// adapter's configurations (ConfigRecord::weight, so a repository's repeated
// template counts about once), snapped to 1 (Unsloth's guide) or 2.
struct AlphaRatios {
  int lora = 1, qlora = 1;
};
AlphaRatios LoraAlphaRatios(const std::vector<ConfigRecord>& recs);

// Everything above that the engine learns from the whole corpus at creation
// (Corpus::Distill keeps it for the sample).
CorpusLearned LearnFromCorpus(const std::vector<ConfigRecord>& recs);

Values BaseValues(const Catalog& catalog, const CorpusIndex& index, const Request& req, const Target& t,
                  const Pool& pool, const CorpusLearned& learned);

// ---- stage 4: the memory plan ------------------------------------------------------

struct Candidate {
  std::string adapter;  // none | lora | qlora
  int batch = 1;
  int accum = 1;
  int seq = 2048;
  bool grad_ckpt = true;
  int lora_r = 16;
  std::string lora_target = "all_linear";
  std::string optimizer = "adamw";
  bool bf16 = true;
  bool fp32 = false;
  bool pure_bf16 = false;          // bf16 weights and optimizer math, no fp32 master copy
  std::string distribution = "none";  // none | ddp | zero2 | zero3 | zero3_offload
};

struct Context {
  const Gpu* gpu = nullptr;
  int num_gpus = 1;
  ModelArch arch;
  std::string task;               // canonical task id: its memory terms (ApplyTaskMemoryTerms)
  int sequences_per_example = 1;  // 2 for pairwise tasks (chosen + rejected): tokens per example for the time
  const Calibration* calibration = nullptr;
  const FrameworkProfile* framework = nullptr;  // its memory techniques and defaults
};

struct FitResult {
  MemoryEstimate estimate;
  double limit_gb = 0;
  double peak_gb = 0;  // max of the training and evaluation peaks
  bool fits = false;
};

TrainSetup ToSetup(const Candidate& c, const Context& ctx);
FitResult Check(const Candidate& c, const Context& ctx);

struct PlanStep {
  std::string field;  // what changed: gradient_checkpointing, batch_size_per_device, optimizer, ...
  std::string what;   // a sentence: what changed and why
};

struct PlanOutcome {
  Candidate cand;
  FitResult fit;
  std::vector<PlanStep> steps;
};

// Techniques in order of cost to quality and speed (docs/recommendation.md,
// "Memory plan"); the sequence last and never below `seq_floor`.
PlanOutcome PlanMemory(Candidate start, const Context& ctx, bool allow_qlora, int seq_floor);

// A corpus config as written (its batch, sequence, rank, targets, optimizer,
// checkpointing), applied to the request's model, adapter and GPU.
Candidate FromRecord(const ConfigRecord& r, const std::string& adapter, const Gpu& gpu, int num_gpus);
// (limit - peak) / usable memory; negative: it does not fit.
double Headroom(const Candidate& c, const Context& ctx);
Context MakeContext(const Gpu& gpu, int num_gpus, const ModelArch& arch, const std::string& task);

// ---- stage 5: confidence --------------------------------------------------------

struct Confidence {
  double score = 0;    // estimated probability that a practitioner's learning rate and sequence agree (within 2x)
  std::string level;   // high | medium | low | none
  json reasons = json::array();
  json features = json::object();  // the model's inputs, for the calibration script
};

// `agreement`: the task's entry of RuleAgreement (configs, agreeing configs).
Confidence Score(const Target& t, const Pool& pool, const Values& v, const PlanOutcome& plan,
                 std::pair<double, double> agreement);

// ---- stage 6: the response ------------------------------------------------------

struct ResponseInputs {
  const Catalog& catalog;
  const Calibration& calibration;
  const Reranker* reranker;
  const HpPredictor* hp_predictor;
  const std::vector<ConfigRecord>& records;
  std::pair<double, double> agreement;  // the task's RuleAgreement
};

json BuildResponse(const ResponseInputs& in, const Request& req, const Target& t, const Pool& pool, const Values& v,
                   const Context& ctx, const PlanOutcome& plan, const Candidate& start);
// "does_not_fit": the message, the smallest fitting GPU and the options that fit.
json DoesNotFit(const Catalog& catalog, const Request& req, const Target& t, const Values& v, const Context& ctx,
                const Candidate& start, const PlanOutcome& plan);

// ---- exploration (recommend_explore.cpp) ---------------------------------------------

// The documented probability that a request with an exploration_seed gets an
// exploring alternative (docs/recommendation.md, "Exploration").
constexpr double kExplorationProbability = 0.1;

// null without req.exploration_seed; else {probability, drawn, alternative}:
// the alternative (when drawn) changes only the learning rate, to the region
// around the main one the pool's configurations tried least.
json Exploration(const Request& req, const Target& t, const Pool& pool, const Values& v,
                 const std::vector<ConfigRecord>& recs);

// ---- helpers shared by the stages ----------------------------------------------------

int NearestPow2(double v, int lo, int hi);
bool Within(double a, double b, double factor);  // both positive, at most `factor` apart
bool Is8bit(const std::string& optimizer);       // a bitsandbytes 8-bit optimizer
std::string Gb(double v);  // "12.3 GB"
double RoundSig2(double v);
std::string HfOptimizer(const std::string& canonical);
Optimizer ModelOptimizer(const std::string& canonical);

}  // namespace ftconfig::internal

#endif  // FTCONFIG_RECOMMEND_INTERNAL_H_
