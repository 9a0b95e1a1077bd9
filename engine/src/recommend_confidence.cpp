// Stage 5 of the recommendation: how likely a practitioner in this context
// would start from the same values. The score is a logistic model of the
// evidence (how many source repositories agree with the learning rate and the
// sequence, how close the profile is, whether the model is known, the memory
// margin); its coefficients and its reliability table, measured leave-one-
// source-out, are in docs/realism.md. Every level names its reasons, good and bad.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {

namespace {

// Logistic coefficients (docs/realism.md, "Confidence"): the intercept, then
// per feature. Features are in [0, 1].
struct Coefficients {
  double intercept = -0.4;
  double lr_support = 1.6;     // share of repositories within 2x of the learning rate
  double seq_support = 1.0;    // share within 2x of the sequence
  double penalties = -2.5;     // sum of the target's and pool's deductions
  double thin_margin = -0.4;   // the estimate uses more than 84% of the GPU
};

std::string Percent(double share) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", share * 100);
  return buf;
}

}  // namespace

Confidence Score(const Target& t, const Pool& pool, const Values& v, const PlanOutcome& plan) {
  Confidence c;
  if (!plan.fit.fits) {
    c.level = "none";
    c.reasons.push_back("the configuration does not fit the GPU");
    return c;
  }
  const Coefficients k;
  double penalty = 0;
  for (const auto* list : {&t.penalties, &pool.penalties})
    for (const auto& [amount, reason] : *list) penalty += amount, c.reasons.push_back(reason);
  const double margin = (t.gpu->usable_vram_gb - plan.fit.peak_gb) / t.gpu->usable_vram_gb;
  const bool thin = margin < 0.16;
  if (thin) c.reasons.push_back("thin memory margin: the estimate uses most of the GPU");
  double z = k.intercept + k.lr_support * v.lr_support + k.seq_support * v.seq_support +
             k.penalties * std::min(penalty, 1.0) + k.thin_margin * (thin ? 1 : 0);
  c.score = 1.0 / (1.0 + std::exp(-z));
  c.level = c.score >= 0.7 ? "high" : c.score >= 0.45 ? "medium" : "low";
  if (v.lr_repos > 0)
    c.reasons.push_back(Percent(v.lr_support) + " of " + std::to_string(v.lr_repos) +
                        " source repositories use a learning rate within 2x of this one");
  else
    c.reasons.push_back("no source repository in the corpus trains this task with this adapter: the learning rate is a rule of practice");
  if (v.seq_repos > 0)
    c.reasons.push_back(Percent(v.seq_support) + " of " + std::to_string(v.seq_repos) +
                        " source repositories use a sequence within 2x of this one");
  return c;
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
