// The realism evaluation behind `ftconfig realism` (docs/realism.md): every
// source repository of the corpus is held out in turn; an engine built from
// the other repositories answers each held-out configuration as a new user
// would ask for it (model, task, adapter, GPU, GPU count, dataset size), and
// the answers of every strategy and of three fixed baselines are compared
// field by field with what the practitioner chose.
#ifndef FTCONFIG_COMPANION_REALISM_H_
#define FTCONFIG_COMPANION_REALISM_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "eval_harness.h"
#include "ftconfig/recommend.h"
#include "train_data.h"

namespace ftconfig::cli {

// The values of one answer that are compared with the practitioner's; empty
// where the answer does not give the field (a refusal gives none).
struct RealismAnswer {
  bool fits = true;
  std::optional<double> learning_rate, max_seq_length, lora_r, lora_alpha, effective_batch, num_epochs, warmup_ratio;
  std::string target_class;      // TargetClass(): all_linear | attention | ""
  std::string scheduler;         // CanonicalScheduler()
  std::string optimizer_family;  // OptimizerFamily(): adamw | 8bit | other | ""
  std::optional<double> confidence_score;  // engine answers only
  std::string confidence_level;
  // No answer (a refusal, an error): every compared field is absent.
  static RealismAnswer Refusal() {
    RealismAnswer a;
    a.fits = false;
    return a;
  }
};

// all_linear (every linear layer, with or without embeddings) | attention
// (attention projections only, q/v included) | "" (unknown). Accepts a
// corpus class (qv, attention, all_linear, all_linear_embed), the response's
// lora_target_class (all_linear | attention | qv) or its lora_target
// ("all-linear" or a comma list of module names).
std::string TargetClass(const std::string& target);
// adamw (AdamW in 32 bits, paged or not) | 8bit (8- or 4-bit states) | other
// (Adafactor, SGD, ...) | "" (unknown); `optimizer` is any spelling.
std::string OptimizerFamily(const std::string& optimizer);
// sft | preference (DPO, ORPO, KTO, reward modelling) | pretraining | vision.
std::string TaskFamily(const std::string& task_type);
bool IsPreferenceTask(const std::string& task_type);

// The answer's values from an engine response (Engine::Recommend).
RealismAnswer AnswerFromResponse(const json& response);

// The request a new user would make for the practitioner's configuration `r`
// on `gpu`: model (catalog id, else model_params_b), task, adapter (dora is
// lora, freeze is none, 4-bit is qlora: the corpus's adapter_type), GPU,
// GPU count (`num_gpus`, RequestGpuCount), dataset size — never its sequence
// length, learning rate or rank. Empty when the model is neither in the
// catalog nor has a size.
std::optional<json> UserRequest(const ConfigRecord& r, const Catalog& catalog, const Gpu& gpu, int num_gpus,
                                const std::string& strategy);

// The GPU count a practitioner asks with: the source's; where it states none
// and its configuration fits no single GPU of the ladder (`gpu_source`
// "smallest_fitting" and no headroom on `gpu`, the largest), one node of 8:
// such a configuration ran sharded (ZeRO-3 / FSDP), and its author knows
// their node.
int RequestGpuCount(const ConfigRecord& r, const ModelArch& arch, const Gpu& gpu, const std::string& gpu_source);

// Baselines (docs/realism.md, "Baselines", with their sources).
RealismAnswer UnslothAnswer(const ConfigRecord& r);
RealismAnswer LlamaFactoryWebUiAnswer(const ConfigRecord& r);
// Per adapter (none | lora | qlora): the weighted median of the training
// rows' values (the mode for scheduler, optimizer family and target class).
class AdapterConstants {
 public:
  static AdapterConstants Fit(const std::vector<ConfigRecord>& records, const std::function<bool(size_t)>& in_train);
  RealismAnswer For(const ConfigRecord& r) const;

 private:
  std::map<std::string, RealismAnswer> by_adapter_;
};

// The compared fields, in report order.
struct RealismField {
  const char* name;   // "lr_2x", ...
  const char* label;  // what the report prints
  bool headline;      // part of the release gate
};
const std::vector<RealismField>& RealismFields();
// Whether `a` agrees with the practitioner's `r` on `field`; empty where the
// practitioner's configuration does not give the field (not counted). An
// answer without the field (a refusal, a missing value) disagrees.
std::optional<bool> FieldAgrees(const std::string& field, const ConfigRecord& r, const RealismAnswer& a);
// Agreement for confidence calibration: learning rate within 2x and, where the
// practitioner gives them, sequence within 2x and (adapters) rank within 2x.
bool Agreement(const ConfigRecord& r, const RealismAnswer& a);

// Area under the ROC curve of `score` for `label` (ties count one half);
// empty when either class is absent.
std::optional<double> Auc(const std::vector<std::pair<double, bool>>& score_label);

// Builds the engine that answers the fold of `held_out` from the training
// repositories' corpus sources (tests watch what reaches it); it may retrain
// artifacts on the same repositories (RetrainArtifacts).
using EngineFactory = std::function<Result<std::shared_ptr<const Engine>>(const std::vector<CorpusSource>& sources,
                                                                          const std::string& held_out)>;

struct RealismOptions {
  std::vector<std::string> strategies;  // engine strategies to ask (auto first)
  std::ostream* runs = nullptr;         // one JSON line per (record, answerer) when set
};

// Runs the whole evaluation; the metrics JSON documented in docs/realism.md.
json RunRealism(const TrainingSet& ts, const EngineFactory& make_engine, const RealismOptions& opt,
                const Progress& progress);

// The release gate: the served strategy ("auto") is not worse than the best
// baseline on any headline field (per-config share).
Gate RealismGate(const json& metrics);

// docs/realism.md from the metrics.
std::string RealismMarkdown(const json& metrics);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_REALISM_H_
