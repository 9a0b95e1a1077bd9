// The recommendation engine: request in, safe configuration out.
//
// Engine is the one handle class. It is built once from the bundled data and
// answers any number of requests; Recommend() is const and never throws for a
// bad request (errors are values naming the field).
#ifndef FTCONFIG_RECOMMEND_H_
#define FTCONFIG_RECOMMEND_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ftconfig/brain.h"
#include "ftconfig/calibration.h"
#include "ftconfig/catalog.h"
#include "ftconfig/corpus.h"
#include "ftconfig/memory.h"
#include "ftconfig/profiles.h"
#include "ftconfig/ranking.h"

namespace ftconfig {

// Token counts of the user's training examples (what the site counts from a
// dropped sample, or what a person measured): the sequence is set to cover
// p95. Each in 1..1,048,576 and p50 <= p95 <= max where given.
struct DataTokens {
  std::optional<int> p50, p95, max;
};

// A parsed, validated request. See docs/api.md for the JSON form.
struct Request {
  std::string platform;  // platform id/alias; may be empty when gpu_override is set
  std::string plan;
  std::string gpu_override;
  std::optional<int> num_gpus;
  std::string model;  // catalog id or alias, or any Hub id when model_params_b is given
  std::optional<double> model_params_b;
  std::optional<ModelArch> model_arch;  // when architecture fields were given
  std::string model_size_bucket;        // small | medium | large
  std::string task_type = "instruction_following";
  std::string adapter_type = "lora";  // none | lora | qlora
  std::string strategy = "auto";      // auto | deterministic | hybrid | hybrid_ml
  std::optional<double> dataset_size;  // training examples
  std::string dataset_name;
  std::optional<int> max_seq_length;
  std::optional<DataTokens> data_tokens;
  bool allow_qlora = true;
  std::string output_dir;
  std::string notes;  // free text carried into exports
  std::string framework;  // the trainer the memory figures are for (ftconfig/frameworks.h); "" = hf-trainer
  // When set, the response carries "exploration": with probability 0.1 (the
  // same for the same seed and context) an alternative learning rate marked
  // as exploration; the main answer is unchanged.
  std::optional<uint32_t> exploration_seed;
  // Feedback aggregated by the caller for this request's context; consulted
  // only by strategy "auto" (the learning brain, brain.h).
  std::optional<BrainEvidence> evidence;
};

// Parses the request JSON object. Errors: kInvalidJson, kInvalidType,
// kInvalidValue, kMissingField, kUnknownField — each naming the field.
Result<Request> ParseRequest(const json& j);
Result<Request> ParseRequest(const std::string& text);

struct EngineData {
  CatalogFiles catalog;
  std::vector<CorpusSource> corpus;
  // Alternative to `corpus`: a snapshot made by Corpus::ToSnapshot (JSON
  // text). When set, `corpus` is ignored; the browser bundle uses it because
  // it loads several times faster than raw JSONL.
  std::string corpus_snapshot_json;
  // Alternative to both: a binary snapshot (Corpus::ToBinarySnapshot), what
  // the native CLI loads when data/corpus/corpus.snapshot matches the corpus
  // files. When set, `corpus` and `corpus_snapshot_json` are ignored.
  std::string corpus_snapshot_binary;
  // Optional trained artifacts (JSON text; empty = not loaded). A malformed
  // artifact is an error of Create (kDataError naming it), never silently
  // ignored.
  std::string reranker_json;
  std::string hp_predictor_json;
  // Optional telemetry calibration (ftconfig/calibration.h); empty = none.
  std::string calibration_json;
  // MMR trade-off for the alternatives shown (1 = relevance only).
  double mmr_lambda = 0.7;
};

// Memory headroom of a corpus configuration applied as written — its batch,
// accumulation, sequence length, LoRA rank and targets, optimizer and
// gradient checkpointing — to another model, adapter and task on `num_gpus`
// data-parallel copies of `gpu`: (usable × Engine::kFitFraction − peak) /
// usable, where peak is the larger of the training and evaluation peaks and
// the task's memory terms apply (two sequences per preference example, a
// reference model for full-parameter DPO). Negative: it does not fit. This is
// the engine's own candidate check (safe pool, ranking) and what training
// labels and reranker features use.
double ConfigHeadroom(const ConfigRecord& config, const ModelArch& arch, const Gpu& gpu, int num_gpus,
                      const std::string& task_type, const std::string& adapter_type);

namespace internal {
class CorpusIndex;
}

class Engine {
 public:
  static Result<std::shared_ptr<const Engine>> Create(const EngineData& data);

  // The response JSON documented in docs/api.md. A request that cannot fit
  // any configuration on the chosen GPU is not an error: the response has
  // "fits": false and names the smallest GPU/plan that would.
  Result<json> Recommend(const Request& request) const;
  Result<json> Recommend(const std::string& request_json) const;

  const Catalog& catalog() const { return catalog_; }
  const Corpus& corpus() const { return corpus_; }
  const ProfileTable& profiles() const { return profiles_; }
  const Reranker* reranker() const { return reranker_ ? &*reranker_ : nullptr; }
  const HpPredictor* hp_predictor() const { return hp_predictor_ ? &*hp_predictor_ : nullptr; }
  const Calibration& calibration() const { return calibration_; }
  static const char* Version();

  // Safety margin: a configuration fits when its estimated peak is at most
  // usable_vram_gb × kFitFraction. 12% covers the worst measured
  // under-estimates of the memory model (down to −13.4%): placed at this
  // limit, every scored measurement still fits, and 0.898 is the largest
  // fraction that keeps them all fitting (scripts/validate-memory, "Fit
  // margin"; docs/memory-validation.md). peak_gb also counts the CUDA context
  // that usable_vram_gb already excludes, a further ~0.5 GB of margin.
  static constexpr double kFitFraction = 0.88;

 private:
  Engine() = default;
  Engine(const Engine&) = delete;  // profiles_ reads corpus_ in place
  Engine& operator=(const Engine&) = delete;
  Catalog catalog_;
  Corpus corpus_;
  ProfileTable profiles_;
  std::shared_ptr<const internal::CorpusIndex> index_;  // engine/src/corpus_index.h
  std::optional<Reranker> reranker_;
  std::optional<HpPredictor> hp_predictor_;
  Calibration calibration_;
  HybridWeights hybrid_weights_;
  double mmr_lambda_ = 0.7;
  // What the whole corpus taught (engine/src/recommend_learned.cpp): LoRA
  // alpha / rank per adapter; per task, how many configs agree (within 2x)
  // with the rules' learning rate, sequence and rank, the confidence's base
  // rate (recommend_confidence.cpp); scheduler and warmup per adapter class.
  CorpusLearned learned_;
};

}  // namespace ftconfig

#endif  // FTCONFIG_RECOMMEND_H_
