// What the engine learns from the whole corpus at creation (CorpusLearned):
// the LoRA alpha / rank ratios, the rules' agreement per task, and the
// scheduler and warmup per adapter class. Each is learned so that no
// repository's house template dominates: a repository's rows speak once.
//
// The scheduler, warmup and optimizer used to be the pool's mode and median;
// held out by source repository (docs/realism.md), the pool's neighbours -
// often one repository's template - agreed with the held-out practitioners
// less often than a constant (scheduler: 39% of sources against cosine's 72%).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {
namespace {

using Keep = std::function<bool(const ConfigRecord&)>;

bool IsServableScheduler(const std::string& s) {
  return s == "cosine" || s == "linear" || s == "constant" || s == "constant_with_warmup";
}

// The optimizer's canonical name as the engine serves it: a paged 32-bit
// AdamW is AdamW with paging (same states), anything else is not learned.
std::string ServableOptimizer(const std::string& s) {
  if (s == "paged_adamw_32bit") return "adamw";
  return s == "adamw" || s == "adamw_8bit" || s == "paged_adamw_8bit" ? s : "";
}

// The value most repositories use: each repository's own weighted mode of
// `value` (empty: no vote) over the rows `keep` accepts is one vote (ties:
// the name first in order); `fallback` when no repository votes.
std::string RepositoryMode(const std::vector<ConfigRecord>& recs, const Keep& keep,
                           const std::function<std::string(const ConfigRecord&)>& value, const char* fallback) {
  std::map<std::string, std::map<std::string, double>> by_repo;  // repository -> value -> weight
  for (const ConfigRecord& r : recs) {
    if (!keep(r)) continue;
    const std::string v = value(r);
    if (!v.empty()) by_repo[r.source_repo.str()][v] += r.weight;
  }
  std::map<std::string, int> votes;
  for (const auto& [repo, weights] : by_repo)
    ++votes[std::max_element(weights.begin(), weights.end(),
                             [](const auto& a, const auto& b) { return a.second < b.second; })->first];
  if (votes.empty()) return fallback;
  return std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

bool WarmupAgrees(double a, double b) {
  if (a <= 1e-12 || b <= 1e-12) return a <= 1e-12 && b <= 1e-12;
  return std::max(a, b) / std::min(a, b) <= 2.0001;
}

// The warmup ratio, of the usual values, within 2x of (or, for 0, equal to)
// the most rows - each repository's share of its own rows counted once.
double CoveringWarmup(const std::vector<ConfigRecord>& recs, const Keep& keep) {
  std::map<std::string, std::vector<double>> by_repo;
  for (const ConfigRecord& r : recs)
    if (keep(r) && r.warmup_ratio && *r.warmup_ratio >= 0 && *r.warmup_ratio <= 1)
      by_repo[r.source_repo.str()].push_back(*r.warmup_ratio);
  double best = 0.05, best_share = -1;
  for (double candidate : {0.05, 0.03, 0.1, 0.02, 0.01, 0.0}) {
    double share = 0;
    for (const auto& [repo, ratios] : by_repo)
      share += double(std::count_if(ratios.begin(), ratios.end(),
                                    [&](double w) { return WarmupAgrees(candidate, w); })) / ratios.size();
    if (share > best_share + 1e-9) best = candidate, best_share = share;
  }
  return best;
}

LearnedSchedule LearnSchedule(const std::vector<ConfigRecord>& recs, const Keep& keep) {
  LearnedSchedule s;
  s.scheduler = RepositoryMode(
      recs, keep, [](const ConfigRecord& r) { return IsServableScheduler(r.lr_scheduler.str()) ? r.lr_scheduler.str() : ""; },
      "cosine");
  s.warmup_ratio = CoveringWarmup(recs, keep);
  s.optimizer =
      RepositoryMode(recs, keep, [](const ConfigRecord& r) { return ServableOptimizer(r.optimizer.str()); }, "adamw");
  return s;
}

}  // namespace

CorpusLearned LearnFromCorpus(const std::vector<ConfigRecord>& recs) {
  const AlphaRatios alpha = LoraAlphaRatios(recs);
  CorpusLearned out;
  out.lora_alpha_ratio = alpha.lora;
  out.qlora_alpha_ratio = alpha.qlora;
  out.rule_agreement = RuleAgreement(recs);
  out.adapter_schedule = LearnSchedule(recs, [](const ConfigRecord& r) { return r.adapter_type != "none"; });
  out.full_schedule = LearnSchedule(recs, [](const ConfigRecord& r) { return r.adapter_type == "none"; });
  return out;
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
