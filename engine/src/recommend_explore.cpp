// Exploration (seed 004): with a small, documented probability a request that
// carries an `exploration_seed` gets one alternative that tries a learning-rate
// region the configurations behind the answer have not tried, marked as such.
// It is never the main answer and never touches memory: only the learning rate
// differs, so batch, sequence, rank, precision and the memory plan are the main
// answer's (docs/recommendation.md, "Exploration").
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "json_util.h"
#include "recommend_internal.h"

namespace ftconfig::internal {

namespace {

// splitmix64: a well-mixed 64-bit value from the seed and the request's context.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A uniform draw in [0, 1), the same for the same seed and context: a client
// that keeps its seed sees the same answer on every visit.
double Draw(uint64_t seed, const Target& t) {
  const std::string context = t.model_id + "|" + t.task + "|" + t.adapter + "|" + t.gpu->id + "|" +
                              std::to_string(t.num_gpus);
  return static_cast<double>(Mix(seed ^ Fnv1a64(context)) >> 11) / 9007199254740992.0;  // 2^53
}

// How many of the pool's voters (of the request's adapter class and task
// family) used a learning rate within 1.5x of `lr`.
int TriedNear(const std::vector<ConfigRecord>& recs, const Pool& pool, const Target& t, double lr) {
  const bool adapter = t.adapter != "none";
  int n = 0;
  for (size_t k : pool.voters) {
    const ConfigRecord& r = recs[k];
    if ((r.adapter_type != "none") != adapter || TaskFamily(r.task_type) != t.task_family) continue;
    if (r.learning_rate > 0 && std::fabs(std::log(r.learning_rate / lr)) <= std::log(1.5)) n++;
  }
  return n;
}

std::string Sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

}  // namespace

json Exploration(const Request& req, const Target& t, const Pool& pool, const Values& v,
                 const std::vector<ConfigRecord>& recs) {
  if (!req.exploration_seed) return nullptr;
  json out = {{"probability", kExplorationProbability}, {"drawn", false}, {"alternative", nullptr}};
  if (!(Draw(*req.exploration_seed, t) < kExplorationProbability)) return out;
  // The least-tried of four regions around the main learning rate; the far
  // ones (x0.25, x4) count as if kFarPenalty more configurations had tried
  // them, so a near region wins unless it is well trodden (ties: nearer, lower).
  constexpr int kFarPenalty = 3;
  const double main_lr = v.learning_rate.value;
  double best = 0;
  int best_score = 0, best_tried = 0;
  for (double factor : {0.5, 2.0, 0.25, 4.0}) {
    const int tried = TriedNear(recs, pool, t, main_lr * factor);
    const int score = tried + (factor < 0.3 || factor > 3 ? kFarPenalty : 0);
    if (best == 0 || score < best_score) best = main_lr * factor, best_score = score, best_tried = tried;
  }
  const double lr = RoundSig2(best);
  out["drawn"] = true;
  out["alternative"] = {
      {"marked", "exploration"},
      {"learning_rate", lr},
      {"changes", {{"learning_rate", {{"from", RoundSig2(main_lr)}, {"to", lr}}}}},
      {"tried_nearby", best_tried},
      {"memory", "the main answer's: only the learning rate differs"},
      {"why", "exploration (drawn with probability " + Sci(kExplorationProbability) + "): a learning rate of " +
                  Sci(lr) + " instead of " + Sci(main_lr) + "; " + std::to_string(best_tried) +
                  " of the configurations behind this answer used one within 1.5x of it. Reporting the run's "
                  "outcome teaches ftconfig whether this region is better"}};
  return out;
}

}  // namespace ftconfig::internal
