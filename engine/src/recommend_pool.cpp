// Stage 2 of the recommendation: the corpus configs a request draws on — the
// profile of its group (with fallback), the members that fit as written, and
// for the ranked strategies the neighbours scored by similarity, memory
// headroom and (hybrid_ml) the trained reranker; then the evidence shown to
// people, the requested model's family first.
#include <algorithm>
#include <cmath>

#include "corpus_index.h"
#include "json_util.h"
#include "outline.h"
#include "recommend_internal.h"

FTCONFIG_OPTIMIZE_FOR_SIZE_BEGIN

namespace ftconfig::internal {

namespace {

struct Scored {
  size_t idx;
  double score;
  double headroom;
};

bool ByScore(const Scored& a, const Scored& b) { return a.score != b.score ? a.score > b.score : a.idx < b.idx; }

// Hyperparameter distance between two configs, for MMR diversity: learning
// rate in log10, effective batch, rank and sequence in log2.
double ConfigDistance(const ConfigRecord& a, const ConfigRecord& b) {
  double d = std::fabs(std::log10(a.learning_rate / b.learning_rate));
  d += 0.25 * std::fabs(std::log2(std::max(1, a.effective_batch_size) / double(std::max(1, b.effective_batch_size))));
  if (a.lora_r && b.lora_r) d += 0.25 * std::fabs(std::log2(double(*a.lora_r) / *b.lora_r));
  if (a.max_seq_length && b.max_seq_length)
    d += 0.25 * std::fabs(std::log2(double(*a.max_seq_length) / *b.max_seq_length));
  if (a.model_name != b.model_name) d += 0.2;
  return d;
}

// The members whose config, as written, fits the request's model and GPU;
// each shape (corpus_index.h) is checked once. `misfits`: the shapes that do
// not fit, in order of first appearance (with the group, they name the safe set).
FTCONFIG_NOINLINE std::vector<size_t> FitsAsWritten(const PoolInputs& in, const std::vector<size_t>& members,
                                                    const std::string& adapter, const Context& ctx,
                                                    std::string* misfits) {
  std::vector<int8_t> fits(in.index.shape_count(), -1);  // -1: not checked yet
  std::vector<size_t> out;
  for (size_t i : members) {
    int8_t& f = fits[in.index.shape(i)];
    if (f < 0) {
      f = Check(FromRecord(in.corpus.records()[i], adapter, *ctx.gpu, ctx.num_gpus), ctx).fits;
      if (!f) *misfits += std::to_string(in.index.shape(i)) + ",";
    }
    if (f) out.push_back(i);
  }
  return out;
}

void ChooseStrategy(const PoolInputs& in, const Request& req, const Target& t, Pool* p) {
  const bool have_reranker = in.reranker != nullptr;
  if (req.strategy == "auto") {
    p->strategy_used = have_reranker ? "hybrid_ml" : "hybrid";
    p->strategy_why = have_reranker ? "auto: a trained reranker is loaded, so hybrid_ml ran"
                                    : "auto: no trained reranker is loaded, so the hybrid ranking ran";
    BrainDecision d = DecideStrategy(req.evidence ? &*req.evidence : nullptr,
                                     {t.task, req.adapter_type, p->key.size_bucket}, p->strategy_used, have_reranker);
    if (d.applied) p->strategy_used = d.chosen, p->strategy_why = "auto, learning brain: " + d.reason;
    p->strategy_decision = DecisionJson(d);
  } else if (req.strategy == "hybrid_ml" && !have_reranker) {
    p->strategy_used = "hybrid";
    p->strategy_why = "hybrid_ml requested but no reranker artifact is loaded: fell back to hybrid";
  } else {
    p->strategy_used = req.strategy;
    p->strategy_why = "requested";
  }
}

// The profile of the request's group and its members that fit as written.
void ProfilePool(const PoolInputs& in, const Target& t, const Context& ctx, Pool* p) {
  p->key = GroupKey{t.task, SizeBucket(t.arch.params_b), t.adapter};
  p->match = in.profiles.Lookup(p->key);
  p->task_in_corpus = in.index.HasTask(t.task);
  p->ood_task = !p->task_in_corpus || (t.task_info && !t.task_info->corpus_supported);
  const std::string& group = p->match.group;
  switch (p->match.level) {
    case FallbackLevel::kExact: break;
    case FallbackLevel::kTaskAdapter:
      p->penalties.push_back({0.15, "no exact profile for " + p->key.ToString() +
                                        ": used the same task and adapter across model sizes (" + group + ")"});
      break;
    case FallbackLevel::kAdapterSize:
      p->penalties.push_back({0.25, "no profile for task \"" + t.task + "\" with " + t.adapter +
                                        ": used the same adapter and model size (" + group + ")"});
      break;
    case FallbackLevel::kGlobal:
      p->penalties.push_back({0.4, "no close profile: used the global " + group + " profile"});
      break;
  }
  if (p->ood_task) p->penalties.push_back({0.3, "task \"" + t.task + "\" has no direct support in the corpus"});
  if (p->match.profile.weight_sum < 8)
    p->penalties.push_back({0.1, "thin profile: " + std::to_string(p->match.profile.count) + " configs from " +
                                     std::to_string(p->match.profile.sources) + " source(s)"});
  std::string misfits;
  p->safe = FitsAsWritten(in, p->match.profile.members, t.adapter, ctx, &misfits);
  p->pool = p->match.profile;
  p->label = "profile " + group;
  if (!p->safe.empty()) {
    // Every member fits: the safe pool is the profile, already summarized;
    // else the summary of this group without these shapes, once.
    if (!misfits.empty())
      p->pool = in.index.Cached<Profile>("safe|" + group + "|" + misfits,
                                         [&] { return Summarize(in.corpus.records(), p->safe); });
    p->label = "safe pool of the profile " + group;
  }
  p->voters = p->match.profile.members;
  p->voters_key = group;
  for (size_t i : p->voters) p->voter_weights.push_back(in.corpus.records()[i].weight);
}

QueryContext MakeQuery(const Request& req, const Target& t, const std::string& bucket) {
  QueryContext q;
  q.task_type = t.task;
  q.size_bucket = bucket;
  q.adapter_type = t.adapter;
  q.family = t.family;
  q.params_b = t.arch.params_b;
  q.seq_len = req.max_seq_length.value_or(0);
  q.gpu_usable_gb = t.gpu->usable_vram_gb;
  q.dataset_size = req.dataset_size.value_or(0);
  q.num_gpus = t.num_gpus;
  return q;
}

// The compatible score classes (LoRA and QLoRA rank together; full
// fine-tuning alone) with their similarity score, best first.
std::vector<std::pair<double, uint32_t>> ClassScores(const PoolInputs& in, const QueryContext& q, const Target& t) {
  const auto& classes = in.index.classes();
  const bool adapter = t.adapter != "none";
  std::vector<std::pair<double, uint32_t>> out;
  for (uint32_t k = 0; k < classes.size(); ++k)
    if (classes[k].adapter == adapter)
      out.push_back({HeuristicScore(q, in.corpus.records()[classes[k].rep], 0.0, in.hybrid_weights), k});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

// The best `n` compatible configs by similarity (ties by row), as a full sort
// of every row would give them: whole classes down to the n-th row's score.
// Every compatible row votes with its class's score (at least 1e-3).
std::vector<Scored> Shortlist(const PoolInputs& in, const QueryContext& q, const Target& t, size_t n, Pool* p) {
  const auto& classes = in.index.classes();
  const auto scores = ClassScores(in, q, t);
  p->class_weights.assign(classes.size(), std::nan(""));
  for (const auto& [score, k] : scores) p->class_weights[k] = std::max(score, 1e-3);
  std::vector<Scored> top;
  for (size_t k = 0; k < scores.size() && (top.size() < n || scores[k].first == scores[k - 1].first); ++k)
    for (uint32_t i : classes[scores[k].second].rows) top.push_back({i, scores[k].first, 0.0});
  std::sort(top.begin(), top.end(), ByScore);
  if (top.size() > n) top.resize(n);
  return top;
}

// Every compatible config by similarity; the best kShortlist re-scored with
// their memory headroom, and for hybrid_ml the best kRerankDepth by the
// reranker (every compatible config votes: Shortlist).
FTCONFIG_NOINLINE std::vector<Scored> Rank(const PoolInputs& in, const QueryContext& q, const Target& t,
                                           const Context& ctx, bool ml, Pool* p) {
  constexpr size_t kShortlist = 60, kRerankDepth = 50;
  const auto& recs = in.corpus.records();
  std::vector<Scored> ranked = Shortlist(in, q, t, kShortlist, p);
  for (auto& sc : ranked) {
    sc.headroom = Headroom(FromRecord(recs[sc.idx], t.adapter, *t.gpu, t.num_gpus), ctx);
    sc.score = HeuristicScore(q, recs[sc.idx], sc.headroom, in.hybrid_weights);
  }
  std::sort(ranked.begin(), ranked.end(), ByScore);
  if (ml && !ranked.empty()) {
    size_t depth = std::min(kRerankDepth, ranked.size());
    for (size_t k = 0; k < depth; ++k) {
      double s = in.reranker->Score(PairFeatures(q, recs[ranked[k].idx], ranked[k].headroom));
      ranked[k].score = 1.0 / (1.0 + std::exp(-s));  // squashed to (0, 1) so it can weigh medians
    }
    std::sort(ranked.begin(), ranked.begin() + depth, ByScore);
  }
  return ranked;
}

// The positions among the top 30 whose model is within 4x of the requested
// size (a 7B request is not shown a 600B MoE as evidence); then, while fewer
// than 5, those of unknown size; then all 30.
std::vector<size_t> SizeRelevant(const std::vector<ConfigRecord>& recs, const std::vector<Scored>& ranked,
                                 const Target& t) {
  constexpr double kMaxSizeRatio = 4.0;
  const size_t n = std::min<size_t>(ranked.size(), 30);
  const double a = t.arch.params_b;
  std::vector<size_t> all, near, unknown;
  for (size_t k = 0; k < n; ++k) {
    all.push_back(k);
    const auto& b = recs[ranked[k].idx].model_params_b;
    if (!b || *b <= 0 || a <= 0)
      unknown.push_back(k);
    else if (std::max(a, *b) / std::min(a, *b) <= kMaxSizeRatio)
      near.push_back(k);
  }
  if (near.size() >= 5) return near;
  near.insert(near.end(), unknown.begin(), unknown.end());
  return near.size() >= 5 ? near : all;
}

// Maximal marginal relevance over the size-relevant top 30, so that the
// alternatives differ meaningfully; then the requested family first, each
// part by score.
FTCONFIG_NOINLINE json Alternatives(const PoolInputs& in, const std::vector<Scored>& ranked, const Target& t) {
  const auto& recs = in.corpus.records();
  std::vector<size_t> chosen;
  const std::vector<size_t> pool = SizeRelevant(recs, ranked, t);
  while (chosen.size() < 5 && chosen.size() < pool.size()) {
    double best_v = -1e18;
    size_t best_k = 0;
    for (size_t k : pool) {
      if (std::find(chosen.begin(), chosen.end(), k) != chosen.end()) continue;
      double max_sim = 0;
      for (size_t c2 : chosen)
        max_sim = std::max(max_sim, std::exp(-ConfigDistance(recs[ranked[k].idx], recs[ranked[c2].idx])));
      double v = in.mmr_lambda * ranked[k].score - (1 - in.mmr_lambda) * max_sim;
      if (v > best_v) best_v = v, best_k = k;
    }
    chosen.push_back(best_k);
  }
  auto same_family = [&](size_t k) { return !t.family.empty() && recs[ranked[k].idx].model_family == t.family; };
  std::stable_sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
    if (same_family(a) != same_family(b)) return same_family(a);
    return ranked[a].score > ranked[b].score;
  });
  json out = json::array();
  for (size_t k : chosen) {
    const ConfigRecord& r = recs[ranked[k].idx];
    out.push_back({{"rank", out.size() + 1}, {"id", r.id}, {"source_repo", r.source_repo},
                   {"source_path", r.source_path}, {"model_name", r.model_name}, {"same_family", same_family(k)},
                   {"task_type", r.task_type}, {"adapter_type", r.adapter_type}, {"score", Round3(ranked[k].score)},
                   {"learning_rate", r.learning_rate}, {"effective_batch_size", r.effective_batch_size},
                   {"batch_size_per_device", r.batch_size_per_device},
                   {"max_seq_length", r.max_seq_length ? json(*r.max_seq_length) : json(nullptr)},
                   {"lora_r", r.lora_r ? json(*r.lora_r) : json(nullptr)},
                   {"fits_as_written", ranked[k].headroom >= 0}});
  }
  return out;
}

// The ranked strategies: the top neighbours (those that fit as written
// first) replace the profile as the pool; every ranked config votes.
void RankedPool(const PoolInputs& in, const Request& req, const Target& t, const Context& ctx, Pool* p) {
  constexpr size_t kTopK = 10;
  const bool ml = p->strategy_used == "hybrid_ml";
  QueryContext q = MakeQuery(req, t, p->key.size_bucket);
  const auto& recs = in.corpus.records();
  p->voters.clear();
  p->voter_weights.clear();
  p->voters_key.clear();
  std::vector<Scored> ranked = Rank(in, q, t, ctx, ml, p);
  for (const auto& sc : ranked) p->own_weights.push_back({sc.idx, std::max(sc.score, 1e-3)});
  std::vector<size_t> top;
  std::vector<double> top_w;
  for (const auto& sc : ranked)
    if (sc.headroom >= 0 && top.size() < kTopK) top.push_back(sc.idx), top_w.push_back(std::max(sc.score, 1e-3));
  if (top.size() < 3)
    for (const auto& sc : ranked)
      if (sc.headroom < 0 && top.size() < kTopK) top.push_back(sc.idx), top_w.push_back(std::max(sc.score, 1e-3));
  if (!top.empty()) {
    p->pool = Summarize(recs, top, &top_w);
    p->label = "score-weighted top " + std::to_string(top.size()) + " neighbours (" + p->strategy_used + ")";
  }
  p->candidates = Alternatives(in, ranked, t);
  if (ml && in.hp_predictor) {
    p->predictor = json::object();
    for (const auto& [name, pr] : in.hp_predictor->Predict(QueryFeatures(q)))
      p->predictor[name] = {{"value", pr.value}, {"lo", pr.lo}, {"hi", pr.hi}};
  }
}

}  // namespace

Pool BuildPool(const PoolInputs& in, const Request& req, const Target& t, const Context& ctx) {
  Pool p;
  ProfilePool(in, t, ctx, &p);
  ChooseStrategy(in, req, t, &p);
  if (p.strategy_used == "hybrid" || p.strategy_used == "hybrid_ml") RankedPool(in, req, t, ctx, &p);
  return p;
}

}  // namespace ftconfig::internal

FTCONFIG_OPTIMIZE_FOR_SIZE_END
