// What the engine learns from the whole corpus at creation (CorpusLearned):
// the LoRA alpha / rank ratios, the rules' agreement per task, and the
// scheduler, warmup and optimizer per adapter class. Each is learned so no
// repository's house template dominates: a repository's rows speak once.
//
// The scheduler, warmup and optimizer used to be the pool's mode and median;
// held out by source repository (docs/realism.md), the pool's neighbours -
// often one repository's template - agreed with the held-out practitioners
// less often than a constant (scheduler: 39% of sources against cosine's 72%).
#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {
namespace {

template <size_t N>
std::array<SharedString, N> Interned(const std::array<std::string_view, N>& names) {
  std::array<SharedString, N> out;
  for (size_t i = 0; i < N; ++i) out[i] = SharedString(names[i]);
  return out;
}

template <size_t N>
bool Contains(const std::array<SharedString, N>& set, const SharedString& s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

// Interned once: the learners compare record fields by address (a million rows
// must not cost a million string comparisons per learned value).
struct Names {
  SharedString none{"none"}, adamw{"adamw"}, paged_adamw_32bit{"paged_adamw_32bit"};
  std::array<SharedString, LearnedSchedule::kSchedulers.size()> schedulers = Interned(LearnedSchedule::kSchedulers);
  std::array<SharedString, LearnedSchedule::kOptimizers.size()> optimizers = Interned(LearnedSchedule::kOptimizers);
};
const Names& Known() {
  static const Names names;
  return names;
}

// The optimizer's canonical name as the engine serves it: a paged 32-bit
// AdamW is AdamW with paging (same states), anything else is not learned.
SharedString ServableOptimizer(const SharedString& s) {
  const Names& n = Known();
  if (s == n.paged_adamw_32bit) return n.adamw;
  return Contains(n.optimizers, s) ? s : SharedString();
}

// Both no warmup, or within 2x of each other.
bool WarmupAgrees(double a, double b) { return (a <= 1e-12 && b <= 1e-12) || Within(a, b, 2); }

// The warmup ratios the learner chooses from, in order of preference on ties.
constexpr std::array<double, 6> kWarmups = {0.05, 0.03, 0.1, 0.02, 0.01, 0.0};

// What one repository's rows of one adapter class say: the weight of each
// scheduler and optimizer (a few values each, by interned address) and how
// many warmups each candidate ratio agrees with.
struct RepoTally {
  using Weights = std::vector<std::pair<const std::string*, double>>;
  Weights scheduler, optimizer;
  std::array<int, kWarmups.size()> warmup_agrees{};
  int warmups = 0;

  static void AddWeight(Weights* w, const std::string* value, double weight) {
    for (auto& [v, total] : *w)
      if (v == value) {
        total += weight;
        return;
      }
    w->push_back({value, weight});
  }

  void Add(const ConfigRecord& r) {
    if (Contains(Known().schedulers, r.lr_scheduler)) AddWeight(&scheduler, r.lr_scheduler.id(), r.weight);
    const SharedString opt = ServableOptimizer(r.optimizer);
    if (!opt.empty()) AddWeight(&optimizer, opt.id(), r.weight);
    if (!r.warmup_ratio || !(*r.warmup_ratio >= 0 && *r.warmup_ratio <= 1)) return;
    ++warmups;
    for (size_t i = 0; i < kWarmups.size(); ++i) warmup_agrees[i] += WarmupAgrees(kWarmups[i], *r.warmup_ratio);
  }
};

// One adapter class: repository -> its tally (one hash lookup per row).
using ClassTally = std::unordered_map<const std::string*, RepoTally>;

// The value most repositories use: each repository's own weighted mode is
// one vote (ties: the name first in order, within a repository and between
// values); `fallback` when no repository votes.
std::string RepositoryMode(const ClassTally& tally, RepoTally::Weights RepoTally::*field, const char* fallback) {
  std::map<std::string, int> votes;
  for (const auto& [repo, t] : tally) {
    const std::string* mode = nullptr;
    double most = -1;
    for (const auto& [v, w] : t.*field)
      if (w > most || (w == most && *v < *mode)) mode = v, most = w;
    if (mode) ++votes[*mode];
  }
  if (votes.empty()) return fallback;
  return std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

// The warmup ratio, of kWarmups, within 2x of (or, for 0, equal to) the most
// rows - each repository's share of its own rows counted once.
double CoveringWarmup(const ClassTally& tally) {
  double best = kWarmups[0], best_share = -1;
  for (size_t i = 0; i < kWarmups.size(); ++i) {
    double share = 0;
    for (const auto& [repo, t] : tally)
      if (t.warmups > 0) share += double(t.warmup_agrees[i]) / t.warmups;
    if (share > best_share + 1e-9) best = kWarmups[i], best_share = share;
  }
  return best;
}

LearnedSchedule LearnSchedule(const ClassTally& t) {
  LearnedSchedule s;
  s.scheduler = RepositoryMode(t, &RepoTally::scheduler, "cosine");
  s.warmup_ratio = CoveringWarmup(t);
  s.optimizer = RepositoryMode(t, &RepoTally::optimizer, "adamw");
  return s;
}

}  // namespace

CorpusLearned LearnFromCorpus(const std::vector<ConfigRecord>& recs) {
  const AlphaRatios alpha = LoraAlphaRatios(recs);
  CorpusLearned out;
  out.lora_alpha_ratio = alpha.lora;
  out.qlora_alpha_ratio = alpha.qlora;
  out.rule_agreement = RuleAgreement(recs);
  ClassTally adapters, full;  // one pass over the rows for both classes
  const SharedString& none = Known().none;
  for (const ConfigRecord& r : recs) (r.adapter_type == none ? full : adapters)[r.source_repo.id()].Add(r);
  out.adapter_schedule = LearnSchedule(adapters);
  out.full_schedule = LearnSchedule(full);
  return out;
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
