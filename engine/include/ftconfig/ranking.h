// Ranking of corpus configurations for a request, and the learned models that
// refine it: the reranker (pairwise features -> relevance) and the direct
// hyperparameter predictor (query features -> per-target prediction with an
// interval). Features are defined once here and used by training (companion)
// and inference (engine, native and WASM) alike. See docs/ranking.md.
#ifndef FTCONFIG_RANKING_H_
#define FTCONFIG_RANKING_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ftconfig/catalog.h"
#include "ftconfig/corpus.h"

namespace ftconfig {

// What a request (or a held-out corpus config used as a query) asks for.
struct QueryContext {
  std::string task_type;
  std::string size_bucket;
  std::string adapter_type;  // none | lora | qlora
  std::string family;        // model family when known ("llama", "qwen", ...), else ""
  double params_b = 1.0;
  int seq_len = 0;            // requested max sequence length; 0 = unspecified
  double gpu_usable_gb = 0;   // 0 = unknown (training queries from the corpus)
  double dataset_size = 0;    // examples; 0 = unknown
  int num_gpus = 1;
};

// The query a held-out corpus record represents (leave-one-source-out training).
QueryContext QueryFromRecord(const ConfigRecord& r, const Catalog& catalog);

// Pairwise features of (query, candidate), in the fixed order of
// PairFeatureNames(). `headroom` is the candidate's memory headroom on the
// query's GPU as a fraction of usable memory (negative: does not fit;
// 0 when unknown).
std::vector<double> PairFeatures(const QueryContext& q, const ConfigRecord& c, double headroom);
const std::vector<std::string>& PairFeatureNames();

// Query-only features for the hyperparameter predictor, in the fixed order
// of QueryFeatureNames().
std::vector<double> QueryFeatures(const QueryContext& q);
const std::vector<std::string>& QueryFeatureNames();

// Weights of the heuristic (hybrid) score; defaults documented in docs/ranking.md.
struct HybridWeights {
  double similarity = 0.6;
  double performance = 0.25;
  double efficiency = 0.15;
};

// The hybrid strategy's score of a candidate in [0, 1]: weighted similarity
// (model size in log space, family, task, adapter, sequence length, GPU memory
// class, dataset size) + performance (reported eval metric, measured peak
// present) + efficiency (VRAM headroom).
double HeuristicScore(const QueryContext& q, const ConfigRecord& c, double headroom,
                      const HybridWeights& w = HybridWeights());

namespace internal {
class ScoringModel;  // engine/src/models_internal.h: linear weights or XGBoost-style trees
}  // namespace internal

// A trained reranker: linear (weights over named pairwise features) or
// gradient-boosted trees (XGBoost's JSON tree arrays, evaluated here without
// XGBoost, natively and in WASM). Artifact layout: docs/ranking.md.
//
// Immutable once loaded; copies share the learned state.
class Reranker {
 public:
  // The layout Save() writes. Load() reads 1..kFormatVersion:
  //   1: draft layout: linear only, positional weights over the first N
  //      PairFeatureNames() with the bias last, optional mean/scale.
  //   2: named features; model.kind "linear" or "trees" (compact XGBoost tree
  //      arrays, or XGBoost's own saved JSON document under model.xgboost).
  static constexpr int kFormatVersion = 2;

  Reranker();  // empty: Score() returns 0, kind() and version() are ""
  // Reads a versioned artifact. Tolerant of missing optional keys (training,
  // metrics, mean/scale, bias, base_score, default_left) and of keys it does
  // not know. Errors: kDataError; field names the key (e.g.
  // "model.trees[3].left_children") and the message says what is accepted.
  static Result<Reranker> Load(const json& artifact);
  // The artifact in the current layout (kFormatVersion). Load(Save()) scores
  // identically, and Save(Load(Save())) == Save().
  json Save() const;
  // Relevance score for one candidate (higher is better). `pair_features` is
  // PairFeatures() output (order of PairFeatureNames()); missing trailing
  // entries and NaN count as missing values.
  double Score(const std::vector<double>& pair_features) const;
  const std::string& version() const { return version_; }
  const std::string& kind() const { return kind_; }  // "linear" | "trees"
  // The artifact's format_version as read (Save() always writes the current one).
  int format_version() const { return format_version_; }
  // Features the model reads, by name (a subset of PairFeatureNames()).
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  // Free-form training description and held-out metrics carried in the artifact.
  const json& training() const { return training_; }
  const json& metrics() const { return metrics_; }

 private:
  std::string version_, kind_;
  int format_version_ = 0;
  std::vector<std::string> feature_names_;
  std::vector<int> feature_index_;  // model feature i -> index into PairFeatures()
  json training_, metrics_;
  std::shared_ptr<const internal::ScoringModel> model_;
};

// Per-target regressors over QueryFeatures: "learning_rate" (log10 space),
// "effective_batch_size" (log2), "max_seq_length" (log2), "lora_r" (log2).
// Each target carries an interval from held-out residual quantiles.
class HpPredictor {
 public:
  static constexpr int kFormatVersion = 1;

  struct Prediction {
    double value = 0;  // in natural units (e.g. a learning rate)
    double lo = 0;     // interval bounds, natural units
    double hi = 0;
  };
  HpPredictor();  // empty: Predict() returns no targets
  // Errors: kDataError naming the key, as Reranker::Load.
  static Result<HpPredictor> Load(const json& artifact);
  json Save() const;
  // One entry per target the artifact holds. `query_features` is
  // QueryFeatures() output; missing trailing entries and NaN count as missing.
  std::map<std::string, Prediction> Predict(const std::vector<double>& query_features) const;
  const std::string& version() const { return version_; }
  int format_version() const { return format_version_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  std::vector<std::string> target_names() const;
  // Nominal coverage of a target's [lo, hi] interval (e.g. 0.5: the central
  // half of held-out errors); 0 when the target is unknown or has no interval.
  double interval_coverage(const std::string& target) const;
  const json& training() const { return training_; }
  const json& metrics() const { return metrics_; }

 private:
  struct Target {
    std::string name, space;        // space: "log10" | "log2"
    double interval_lo = 0;         // residual quantiles, in `space`
    double interval_hi = 0;
    double coverage = 0;            // nominal coverage of [lo, hi] (e.g. 0.9)
    std::optional<double> min, max; // clip of the prediction, in `space`
    std::shared_ptr<const internal::ScoringModel> model;
  };
  std::string version_;
  int format_version_ = 0;
  std::vector<std::string> feature_names_;
  std::vector<int> feature_index_;  // model feature i -> index into QueryFeatures()
  json training_, metrics_;
  std::vector<Target> targets_;
};

}  // namespace ftconfig

#endif  // FTCONFIG_RANKING_H_
