// Stage 5 of the recommendation: how likely a practitioner in this context
// would start from the same values. The score is the share of the corpus's
// configurations of the request's task whose learning rate, sequence and rank
// lie within 2x of the rules' (shrunk toward one half when the task has few),
// lowered by the target's and the pool's doubts (fallback profile, unknown
// task, thin profile) and by a thin memory margin. Its reliability table and
// AUC, measured leave-one-source-out, are in docs/realism.md ("Confidence
// calibration"); the repositories' support of the learning rate and sequence
// is shown as features, not scored (held out it did not predict agreement).
// Every level names its reasons, good and bad.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "json_util.h"
#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {

namespace {

// Shrinkage of a task's measured agreement toward one half: a task with few
// configs says little (docs/realism.md, "Confidence").
constexpr double kPriorConfigs = 10;
// Levels: measured agreement of held-out practitioners with the answer.
constexpr double kHigh = 0.65, kMedium = 0.45;

std::string Percent(double share) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", share * 100);
  return buf;
}

}  // namespace

Confidence Score(const Target& t, const Pool& pool, const Values& v, const PlanOutcome& plan,
                 std::pair<double, double> agreement) {
  Confidence c;
  if (!plan.fit.fits) {
    c.level = "none";
    c.reasons.push_back("the configuration does not fit the GPU");
    return c;
  }
  const auto [configs, agreeing] = agreement;
  const double base = (agreeing + 0.5 * kPriorConfigs) / (configs + kPriorConfigs);
  double penalty = 0;
  std::vector<std::string> doubts;
  for (const auto* list : {&t.penalties, &pool.penalties})
    for (const auto& [amount, reason] : *list) penalty += amount, doubts.push_back(reason);
  const double margin = (t.gpu->usable_vram_gb - plan.fit.peak_gb) / t.gpu->usable_vram_gb;
  const bool thin = margin < 0.16;
  if (thin) doubts.push_back("thin memory margin: the estimate uses most of the GPU");
  c.score = std::clamp(base * (1 - 0.5 * std::min(penalty, 1.0)) - (thin ? 0.05 : 0), 0.02, 0.98);
  c.level = c.score >= kHigh ? "high" : c.score >= kMedium ? "medium" : "low";
  c.reasons.push_back(configs > 0 ? Percent(agreeing / configs) + " of the corpus's " +
                                        std::to_string(static_cast<int>(configs)) + " " + t.task +
                                        " configurations use a learning rate, sequence and rank within 2x of this answer's rules"
                                  : "no corpus configuration of this task: the values are rules of practice");
  for (auto& d : doubts) c.reasons.push_back(d);
  if (v.lr_repos > 0)
    c.reasons.push_back(Percent(v.lr_support) + " of " + std::to_string(v.lr_repos) +
                        " source repositories use a learning rate within 2x of this one");
  c.features = {{"task_agreement", Round3(base)}, {"task_configs", configs},
                {"lr_support", Round3(v.lr_support)}, {"seq_support", Round3(v.seq_support)},
                {"penalty", Round3(std::min(penalty, 1.0))}, {"thin_margin", thin ? 1 : 0}};
  return c;
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
