// Training and evaluation data for the learned models (docs/ranking.md):
// leave-one-source-out ranking groups, hyperparameter targets, grouped folds
// and the ranking metrics. Shared by `ftconfig train` and `ftconfig evaluate`.
#ifndef FTCONFIG_COMPANION_TRAIN_DATA_H_
#define FTCONFIG_COMPANION_TRAIN_DATA_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ftconfig/catalog.h"
#include "ftconfig/corpus.h"
#include "ftconfig/memory.h"
#include "ftconfig/ranking.h"

namespace ftconfig::cli {

// The corpus as training sees it: one query per accepted record, each with
// the GPU it is evaluated on.
struct TrainingSet {
  Catalog catalog;
  Corpus corpus;
  std::vector<CorpusSource> sources;  // raw files, to build per-fold engines
  std::vector<QueryContext> queries;  // one per record (QueryFromRecord + GPU)
  std::vector<const Gpu*> query_gpu;  // never null
  std::vector<std::string> gpu_source;  // "record" | "stated_size" | "smallest_fitting"
  std::vector<ModelArch> query_arch;
  std::vector<std::string> repos;     // distinct source repositories, sorted
  std::vector<int> repo_of;           // record -> index into repos
  std::string corpus_sha256;          // of the concatenated source texts
};

// Predictor features of record `i` for `target`: QueryFeatures of its query
// with the GPU only when the source states one (the GPU assigned from the
// practitioner's own batch shape would leak the targets), and without the
// sequence length when it is the target.
std::vector<double> HpFeatures(const TrainingSet& ts, size_t i, const std::string& target);

// Reads data_dir/catalog and data_dir/corpus (ReadCorpusFiles).
Result<TrainingSet> LoadTrainingSet(const std::string& data_dir);

// The GPU a held-out record is evaluated on: the GPU its source names when the
// catalog knows it (or a catalog GPU of the stated memory size), else the
// smallest of T4, A10G, L40S, A100 80GB, H200 on which the practitioner's own
// configuration fits (it ran, so it fitted somewhere).
// The GPU size a free-text GPU type states ("2x48GB GPU" -> 48); nullopt when
// none (or more than 6 digits).
std::optional<double> StatedGpuGb(const std::string& gpu_type);
const Gpu* AssignGpu(const ConfigRecord& r, const Catalog& catalog, const ModelArch& arch, std::string* why);

// Memory headroom of candidate `c` applied to the query's model, adapter and
// GPU, as a fraction of usable memory; negative: does not fit as written.
// The engine's own candidate check (ConfigHeadroom, ftconfig/recommend.h):
// batch, accumulation, sequence, rank, optimizer of the candidate; adapter,
// model, task, GPU count of the query.
double CandidateHeadroom(const ConfigRecord& c, const QueryContext& q, const ModelArch& arch, const Gpu& gpu);

// The memory-model setup of a recommendation's `hyperparameters` object (an
// engine response, or the copy a run_start event keeps), for re-estimating
// what was served: evaluate's served-OOM check and retrain's drift check.
// Missing or mistyped fields take the engine's defaults; `adapter_fallback`
// is used when the object has no adapter_type.
TrainSetup SetupFromHyperparameters(const json& hp, const std::string& task_type, int num_gpus,
                                    const std::string& adapter_fallback = "lora");

// Graded relevance 0..4 of a candidate for a held-out query (docs/ranking.md,
// "Labels"): closeness of the candidate's hyperparameters to the
// practitioner's (learning rate in log10 weighs most; effective batch, LoRA
// rank, sequence length in log2), 0 when it would not fit the query's GPU as
// written. A measured outcome from telemetry, when the record carries one,
// dominates: a failed run is 0, a successful one at least 3.
int RelevanceGrade(const ConfigRecord& query, const ConfigRecord& cand, double headroom);
// Outcome of a measured run of `r` (telemetry): the corpus schema has no such
// field, so outcomes are registered by record id (`ftconfig retrain run` adds
// completed runs as rows "telemetry:RUN_ID"); empty for every other record.
std::optional<bool> MeasuredOutcome(const ConfigRecord& r);
// Replaces the registered outcomes: record id -> succeeded.
void SetMeasuredOutcomes(const std::vector<std::pair<std::string, bool>>& by_record_id);

// One leave-one-source-out query: the heuristic's top `depth` candidates from
// other source repositories (adapter-compatible, as the engine pools them).
struct RankGroup {
  size_t query = 0;                        // record index
  std::vector<size_t> cands;               // record indices, heuristic order
  std::vector<std::vector<double>> x;      // PairFeatures per candidate
  std::vector<int> label;                  // RelevanceGrade per candidate
  std::vector<double> heuristic, headroom;
  double weight = 1;                       // the query record's weight
};

// `query_ok` / `cand_ok` (record index -> bool) restrict queries and
// candidates, e.g. to the training folds; null = all.
std::vector<RankGroup> BuildRankGroups(const TrainingSet& ts, size_t depth,
                                       const std::function<void(size_t, size_t)>& progress = nullptr,
                                       const std::function<bool(size_t)>& query_ok = nullptr,
                                       const std::function<bool(size_t)>& cand_ok = nullptr);

// Grouped folds: every record of a source repository lands in the same fold;
// repositories are spread greedily by size (largest first), so folds are
// deterministic for a corpus.
std::vector<int> RepoFolds(const TrainingSet& ts, int k);  // record -> fold

// Ranking metrics of one scored group. NDCG uses gains 2^rel - 1 and the
// ideal order of the group's own labels; `ndcg` is empty when every label is 0.
struct GroupMetrics {
  std::optional<double> ndcg5;
  double top1_regret = 0;     // (best label - label of top-1) / 4
  // OOM violations: a candidate that does not fit the query's GPU as written,
  // ranked where one that fits could have been.
  bool top1_oom = false;
  int top5_oom = 0;           // such candidates among the top 5
  std::vector<size_t> order;  // candidate positions, best first
};
GroupMetrics ScoreGroup(const RankGroup& g, const std::vector<double>& scores);

// Weighted median (weights > 0): the value where the cumulative weight
// crosses half (the mean of two at an exact tie); 0 for an empty input.
double WeightedMedian(std::vector<std::pair<double, double>> value_weight);
// Weighted quantile q in [0, 1] (linear in the cumulative weight).
double WeightedQuantile(std::vector<std::pair<double, double>> value_weight, double q);

// The hyperparameter targets the predictor learns, in their training space.
struct HpTarget {
  const char* name;   // "learning_rate", ...
  const char* space;  // "log10" | "log2"
};
const std::vector<HpTarget>& HpTargets();
// The target's value for a record in its space; empty when the record lacks it
// (lora_r for full fine-tuning, an unknown sequence length).
std::optional<double> HpTargetValue(const ConfigRecord& r, const std::string& target);

std::string Sha256Hex(const std::string& data);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_TRAIN_DATA_H_
