// The learning brain for strategy "auto": given what users reported about
// earlier recommendations in the same (task, adapter, model size bucket)
// context, pick deterministic, hybrid or hybrid_ml by a weighted score, or
// keep the plain auto choice when there is not enough feedback.
//
// The engine never reads feedback itself (it has no storage): the caller
// aggregates its log into a StrategyEvidence per strategy (the browser from
// IndexedDB, `ftconfig recommend --feedback-store` from the telemetry store)
// and passes it as the request's "evidence" field. Pure C++17, no I/O, so the
// CLI and the WebAssembly build decide identically. docs/recommendation.md,
// "Learning brain", documents the score.
#ifndef FTCONFIG_BRAIN_H_
#define FTCONFIG_BRAIN_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ftconfig/catalog.h"  // json
#include "ftconfig/result.h"

namespace ftconfig {

// An optional number. (Copies of std::optional<double> members trip GCC's
// -Wmaybe-uninitialized false positive at -O2, which -Werror turns fatal.)
class MaybeNumber {
 public:
  MaybeNumber() = default;
  MaybeNumber(double v) : has_(true), v_(v) {}  // NOLINT: implicit by design
  explicit operator bool() const { return has_; }
  double operator*() const { return v_; }
  double value_or(double fallback) const { return has_ ? v_ : fallback; }

 private:
  bool has_ = false;
  double v_ = 0;
};

// What the log says about one strategy in one context. Counts are of events;
// means are over the events that carry the value (null/absent when none).
struct StrategyEvidence {
  int recommendations = 0;  // recommendations made with this strategy
  int feedback = 0;         // feedback events about them
  int ratings = 0;          // feedback events with a rating
  MaybeNumber mean_rating;  // 1..5
  int interactions = 0;     // interaction events (used, saved, rated, dismissed)
  MaybeNumber mean_label;   // 0..1 (used 1.0, saved 0.8, rated 0.1..1.0, dismissed 0)
  int success = 0;          // feedback outcomes
  int failed = 0;
  int oom = 0;
  MaybeNumber mean_confidence;        // the recommendations' confidence.score, 0..1
  MaybeNumber mean_vram_utilization;  // their vram.per_gpu_gb / vram.usable_gb, 0..2

  int Outcomes() const { return success + failed + oom; }
  // The amount of user signal: feedback events plus interactions.
  int Signals() const { return feedback + interactions; }
};

// The request's "evidence" field.
struct BrainEvidence {
  // Optional: the context the evidence was gathered for; when given it must
  // match the request's resolved context, else the evidence is not used.
  std::string task_type, adapter_type, model_size_bucket;
  std::map<std::string, StrategyEvidence> strategies;  // deterministic | hybrid | hybrid_ml
};

// Parses {"context"?: {task_type, adapter_type, model_size_bucket},
// "strategies": {"hybrid": {...}, ...}}. Errors name the field, e.g.
// "evidence.strategies.hybrid.mean_rating".
Result<BrainEvidence> ParseEvidence(const json& j, const std::string& field = "evidence");

struct BrainConfig {
  int min_evidence = 5;  // signals (feedback + interactions) a strategy needs to be scored
  // Score weights (docs/recommendation.md).
  double w_rating = 0.35;
  double w_success = 0.30;
  double w_confidence = 0.20;
  double w_vram = 0.15;   // penalty for running close to the memory limit
  double w_oom = 1.00;    // penalty per unit OOM rate: outweighs every positive term
};

struct StrategyScore {
  std::string strategy;
  bool eligible = false;  // enough signals and available
  bool available = true;  // hybrid_ml needs a loaded reranker
  double score = 0;       // only meaningful when eligible
  double rating = 0, success = 0, confidence = 0, vram_risk = 0, oom_rate = 0;  // the terms
};

// The context a decision is for: the request's canonical task, its adapter
// (as requested) and the model's size bucket (small, medium, large).
struct BrainContext {
  std::string task_type, adapter_type, model_size_bucket;
};

struct BrainDecision {
  bool applied = false;        // false: plain auto
  std::string plain_auto;      // what auto runs without the brain
  std::string chosen;          // what runs
  std::string reason;
  BrainContext context;
  std::optional<BrainEvidence> evidence;  // as given in the request
  std::vector<StrategyScore> scores;      // deterministic, hybrid, hybrid_ml
  int min_evidence = 0;
  bool context_mismatch = false;
};

// Scores the strategies and picks one. `plain_auto` is what auto runs
// without evidence; `have_reranker` says whether hybrid_ml can run. A
// strategy is scored once it has config.min_evidence signals; the best score
// wins, ties broken by more signals, then by the fixed order deterministic,
// hybrid, hybrid_ml (the simpler strategy wins). A strategy whose score is
// negative (dominated by OOM outcomes) is only chosen when every available
// strategy is. `evidence` null: plain auto.
BrainDecision DecideStrategy(const BrainEvidence* evidence, const BrainContext& context,
                             const std::string& plain_auto, bool have_reranker,
                             const BrainConfig& config = BrainConfig());

// The response's "strategy_decision" object: {applied, chosen, plain_auto,
// reason, min_evidence, context, evidence: {strategy: {counts, means,
// signals, available, eligible, score, terms}} or null}.
json DecisionJson(const BrainDecision& d);

// The strategies the brain chooses among, in tie-break order.
const std::vector<std::string>& BrainStrategies();

// Label of an interaction (seed 003): used 1.0, saved 0.8, dismissed 0,
// rated 0.1 + 0.225 × (rating − 1). Unknown actions: nullopt.
std::optional<double> LabelForInteraction(const std::string& action, int rating = 0);

// Aggregates telemetry events (docs/telemetry.md: recommendation, feedback,
// interaction) into evidence for one context, as the browser's worker does:
// a recommendation counts when its request's resolved context (the summary's
// task_type, adapter_type, model_size_bucket) matches; feedback and
// interactions count for the strategy of the recommendation they name
// (recommendation_event_id); "rated" interactions are skipped (the rating
// counts through its feedback event). A run_complete that names its
// recommendation (the notebook's and the script's telemetry) counts as
// feedback with its outcome (error as failed; interrupted runs and a second
// completion of the same run_id not at all). Events that do not parse are skipped.
BrainEvidence EvidenceFromEvents(const std::vector<json>& events, const std::string& task_type,
                                 const std::string& adapter_type, const std::string& model_size_bucket);

// Evidence as the request's "evidence" JSON (inverse of ParseEvidence).
json EvidenceJson(const BrainEvidence& e);

}  // namespace ftconfig

#endif  // FTCONFIG_BRAIN_H_
