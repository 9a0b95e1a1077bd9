// The offline evaluation harness behind `ftconfig evaluate`: metrics of a
// candidate set of artifacts against the deterministic and hybrid baselines
// (and an optional baseline set of artifacts), the release gates, and the
// markdown report. See docs/ranking.md ("Evaluation and gates").
#ifndef FTCONFIG_COMPANION_EVAL_HARNESS_H_
#define FTCONFIG_COMPANION_EVAL_HARNESS_H_

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ftconfig/ranking.h"
#include "ftconfig/recommend.h"
#include "train_data.h"
#include "train_models.h"

namespace ftconfig::cli {

// The strategies every per-strategy figure is reported for: the one place to
// extend when the engine gains a strategy.
const std::vector<std::string>& EvaluatedStrategies();

// Corpus sources without the rows of the given source repositories (the
// training side of a leave-source-out fold).
std::vector<CorpusSource> FilterSources(const std::vector<CorpusSource>& sources, const std::set<std::string>& drop);

// Artifacts of one directory: DIR/registry.json (its "production" slot) when
// present, else DIR/reranker.json and DIR/hp_predictor.json.
struct ArtifactSet {
  std::string dir;
  std::string reranker_json, hp_predictor_json;  // raw text; empty when absent
  std::string reranker_path, hp_predictor_path;
  std::optional<Reranker> reranker;
  std::optional<HpPredictor> hp_predictor;
  std::vector<std::string> load_errors;  // "reranker: <message>" per artifact that failed to load
};
// `registry_file`: read the production version from this registry instead of
// DIR/registry.json (retrain run's --registry).
Result<ArtifactSet> LoadArtifactSet(const std::string& dir, const std::string& registry_file = "");

// Whether the artifacts were trained by `ftconfig train` (they carry the
// recipe RetrainArtifacts repeats).
bool CanRetrain(const ArtifactSet& set);
// The reranker and predictor retrained with `set`'s recipe on the records
// `in_train` selects (the training side of a held-out fold), as JSON
// artifacts.
struct FoldArtifacts {
  json reranker, hp_predictor;
};
Result<FoldArtifacts> RetrainArtifacts(const TrainingSet& ts, const ArtifactSet& set,
                                       const std::function<bool(size_t)>& in_train);

// Gate thresholds (defaults documented in docs/ranking.md).
struct GateOptions {
  double ndcg_tolerance = 0.01;        // candidate NDCG@5 >= reference - tolerance
  double category_tolerance = 0.05;    // per task, for tasks with >= category_min_queries
  int category_min_queries = 25;
  double oom_rate_tolerance = 0.02;    // ranking top-1 OOM violation rate <= reference + tolerance
  double lr_mae_tolerance = 0.05;      // predictor LR MAE (log10) <= reference + tolerance
  double lr_error_bound = 0.4771;      // median |log10 error| of the served learning rate <= log10(3)
  double calibration_drift = 0.10;     // |coverage - nominal| and |coverage - baseline coverage|
  double golden_lr_pass_rate = 0.9;    // golden requests whose learning rate lies in the band
};

struct EvalOptions {
  std::string data_dir;
  std::string golden_path;  // JSONL; empty: skip the golden set
  bool held_out_engine = true;  // leave-source-out engine runs (retrains per fold with the candidate's recipe)
  int folds = 5;
  // When set, one JSON line per held-out engine run (record, strategy, the
  // practitioner's and the served learning rate, where it came from) for
  // error analysis.
  std::string runs_path;
  // When set, the metrics of `ftconfig realism` (build/realism.json): adds the
  // gate "served strategy not worse than the best baseline on any headline
  // field" (realism.h), and fails it when they were computed on another corpus.
  std::string realism_path;
  GateOptions gates;
};

struct Gate {
  std::string name, detail;
  bool passed = true;
};

struct EvalReport {
  json metrics;             // everything measured
  std::vector<Gate> gates;
  bool passed() const;
  std::string Markdown() const;
};

EvalReport Evaluate(const ArtifactSet& candidate, const ArtifactSet* baseline, const EvalOptions& opt,
                    const Progress& progress);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_EVAL_HARNESS_H_
