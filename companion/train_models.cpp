#include "train_models.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "train_xgb.h"

namespace ftconfig::cli {

namespace {

std::string Fmt(double v, int prec = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

double Round6(double v) { return std::round(v * 1e6) / 1e6; }

// Weighted mean accumulator.
struct Mean {
  double sum = 0, w = 0;
  void Add(double v, double weight = 1) {
    sum += v * weight;
    w += weight;
  }
  double value() const { return w > 0 ? sum / w : 0; }
  json ToJson() const { return w > 0 ? json(Round6(value())) : json(); }
};

std::string ShortHash(const json& j) { return Sha256Hex(j.dump()).substr(0, 12); }

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

XgbData GroupsToXgb(const std::vector<const RankGroup*>& groups) {
  XgbData d;
  d.cols = groups.empty() ? 0 : groups.front()->x.front().size();
  for (const RankGroup* g : groups) {
    for (size_t i = 0; i < g->x.size(); ++i) {
      for (double v : g->x[i]) d.x.push_back(static_cast<float>(v));
      d.label.push_back(static_cast<float>(g->label[i]));
      ++d.rows;
    }
    d.group.push_back(static_cast<unsigned>(g->x.size()));
    d.weight.push_back(static_cast<float>(g->weight));
  }
  return d;
}

std::vector<double> ScoreWith(const Reranker& r, const RankGroup& g) {
  std::vector<double> s;
  s.reserve(g.x.size());
  for (const auto& x : g.x) s.push_back(r.Score(x));
  return s;
}

}  // namespace

void RankingStats::Add(const TrainingSet& ts, const RankGroup& g, const std::vector<double>& scores) {
  GroupMetrics m = ScoreGroup(g, scores);
  const std::string& task = ts.corpus.records()[g.query].task_type;
  auto add = [](std::pair<double, double>& acc, double v, double w) { acc.first += v * w, acc.second += w; };
  if (m.ndcg5) {
    add(ndcg, *m.ndcg5, g.weight);
    add(ndcg_by_task[task], *m.ndcg5, g.weight);
    ++queries_by_task[task];
  }
  add(regret, m.top1_regret, g.weight);
  add(top1_oom, m.top1_oom ? 1 : 0, g.weight);
  add(top5_oom, m.top5_oom / 5.0, g.weight);
  if (auto lr = TopKMedian(ts, g, scores, "learning_rate", 10)) {
    double truth = std::log10(ts.corpus.records()[g.query].learning_rate);
    add(lr3x, std::fabs(*lr - truth) <= std::log10(3.0) + 1e-12 ? 1 : 0, g.weight);
  }
  ++queries;
}

double RankingStats::Value(const std::pair<double, double>& acc) { return acc.second > 0 ? acc.first / acc.second : 0; }

json RankingStats::ToJson() const {
  auto j = [](const std::pair<double, double>& acc) {
    return acc.second > 0 ? json(std::round(acc.first / acc.second * 1e6) / 1e6) : json();
  };
  json by_task = json::object(), count_by_task = json::object();
  for (const auto& [t, m] : ndcg_by_task) by_task[t] = j(m), count_by_task[t] = queries_by_task.at(t);
  return {{"ndcg_at_5", j(ndcg)},
          {"top1_regret", j(regret)},
          {"top1_oom_violation_rate", j(top1_oom)},
          {"top5_oom_violation_rate", j(top5_oom)},
          {"lr_within_3x_top10_median", j(lr3x)},
          {"ndcg_at_5_by_task", by_task},
          {"queries_by_task", count_by_task},
          {"queries", queries}};
}

std::vector<double> BaselineScores(const TrainingSet& ts, const RankGroup& g, const std::string& method) {
  std::vector<double> s(g.cands.size());
  if (method == "heuristic") return g.heuristic;
  const ConfigRecord& q = ts.corpus.records()[g.query];
  for (size_t i = 0; i < g.cands.size(); ++i) {
    const ConfigRecord& c = ts.corpus.records()[g.cands[i]];
    double level = (c.task_type == q.task_type && c.size_bucket == q.size_bucket && c.adapter_type == q.adapter_type) ? 3
                   : (c.task_type == q.task_type && c.adapter_type == q.adapter_type)                           ? 2
                   : (c.size_bucket == q.size_bucket && c.adapter_type == q.adapter_type)                       ? 1
                                                                                                                : 0;
    // Within a level, corpus order: the deterministic strategy does not rank.
    s[i] = level - 1e-6 * static_cast<double>(g.cands[i]);
  }
  return s;
}

std::optional<double> ProfileMedian(const TrainingSet& ts, size_t q, const std::string& target,
                                    const std::function<bool(size_t)>& use) {
  const auto& recs = ts.corpus.records();
  const ConfigRecord& qr = recs[q];
  using Match = std::function<bool(const ConfigRecord&)>;
  const Match levels[] = {
      [&](const ConfigRecord& c) {
        return c.task_type == qr.task_type && c.size_bucket == qr.size_bucket && c.adapter_type == qr.adapter_type;
      },
      [&](const ConfigRecord& c) { return c.task_type == qr.task_type && c.adapter_type == qr.adapter_type; },
      [&](const ConfigRecord& c) { return c.size_bucket == qr.size_bucket && c.adapter_type == qr.adapter_type; },
      [&](const ConfigRecord&) { return true; },
  };
  for (const auto& match : levels) {
    std::vector<std::pair<double, double>> vw;
    double w = 0;
    for (size_t i = 0; i < recs.size(); ++i) {
      if (!use(i) || !match(recs[i])) continue;
      if (auto v = HpTargetValue(recs[i], target)) {
        vw.push_back({*v, recs[i].weight});
        w += recs[i].weight;
      }
    }
    if (w >= 3) return WeightedMedian(vw);
  }
  return std::nullopt;
}

std::optional<double> TopKMedian(const TrainingSet& ts, const RankGroup& g, const std::vector<double>& scores,
                                 const std::string& target, size_t k) {
  GroupMetrics m = ScoreGroup(g, scores);
  std::vector<std::pair<double, double>> vw;
  for (size_t pos : m.order) {
    if (g.headroom[pos] < 0) continue;
    if (auto v = HpTargetValue(ts.corpus.records()[g.cands[pos]], target)) vw.push_back({*v, 1.0});
    if (vw.size() >= k) break;
  }
  if (vw.size() < 3)  // too few that fit: the engine then lets non-fitting neighbours inform too
    for (size_t pos : m.order) {
      if (g.headroom[pos] >= 0) continue;
      if (auto v = HpTargetValue(ts.corpus.records()[g.cands[pos]], target)) vw.push_back({*v, 1.0});
      if (vw.size() >= k) break;
    }
  if (vw.empty()) return std::nullopt;
  return WeightedMedian(vw);
}

// ------------------------------------------------------------------ reranker

Result<json> FitReranker(const std::vector<const RankGroup*>& groups, const std::string& kind,
                         const RerankerOptions& opt, json* info) {
  json artifact = {{"format_version", Reranker::kFormatVersion},
                   {"artifact", "ftconfig.reranker"},
                   {"features", PairFeatureNames()}};
  if (kind == "linear") {
    LinearFit fit = FitPairwiseLinear(groups, opt.linear);
    artifact["model"] = {{"kind", "linear"}, {"weights", fit.weights}, {"bias", 0.0}, {"mean", fit.mean},
                         {"scale", fit.scale}};
    if (info) *info = {{"nonzero_weights", fit.nonzero}};
  } else if (kind == "trees") {
    XgbData d = GroupsToXgb(groups);
    std::vector<std::pair<std::string, std::string>> params = {
        {"objective", "rank:ndcg"},       {"eval_metric", "ndcg@5"},
        {"tree_method", "hist"},          {"eta", Num(opt.eta)},
        {"max_depth", std::to_string(opt.max_depth)},
        {"subsample", Num(opt.subsample)}, {"colsample_bytree", Num(opt.colsample)},
        {"min_child_weight", Num(opt.min_child_weight)},
        {"seed", std::to_string(opt.seed)}};
    FTCONFIG_ASSIGN_OR_RETURN(res, XgbTrain(d, params, opt.rounds));
    artifact["model"] = {{"kind", "trees"}, {"xgboost", res.model}};
    // Parity: the engine's evaluation of the exported trees against XGBoost's own.
    auto loaded = Reranker::Load(artifact);
    if (!loaded.ok()) return loaded.error();
    double max_diff = 0;
    size_t row = 0;
    for (const RankGroup* g : groups)
      for (const auto& x : g->x) max_diff = std::max(max_diff, std::fabs(loaded.value().Score(x) - res.train_pred[row++]));
    if (max_diff > 1e-4)
      return Error{ErrorCode::kInternal, "model",
                   "the engine's tree evaluation differs from XGBoost's by " + Num(max_diff) + " on training rows"};
    if (info) *info = {{"xgboost_version", XgbVersion()}, {"trees", opt.rounds}, {"parity_max_abs_diff", max_diff}};
  } else {
    return Error{ErrorCode::kInvalidValue, "kind", "reranker kind must be linear or trees"};
  }
  auto loaded = Reranker::Load(artifact);
  if (!loaded.ok()) return loaded.error();
  json canonical = loaded.value().Save();
  canonical["version"] = "reranker-" + kind + "-" + ShortHash(canonical["model"]);
  return canonical;
}

Result<TrainedArtifact> TrainReranker(const TrainingSet& ts, const std::vector<RankGroup>& groups,
                                      const RerankerOptions& opt, const Progress& progress) {
  std::vector<int> fold = RepoFolds(ts, opt.folds);
  const std::vector<std::string> methods = {"deterministic", "heuristic", "linear", "trees"};
  std::map<std::string, RankingStats> stats;
  for (int f = 0; f < opt.folds; ++f) {
    std::vector<const RankGroup*> train, test;
    for (const auto& g : groups) (fold[g.query] == f ? test : train).push_back(&g);
    if (test.empty() || train.empty()) continue;
    progress("reranker: fold " + std::to_string(f + 1) + "/" + std::to_string(opt.folds) + " (" +
             std::to_string(train.size()) + " training queries, " + std::to_string(test.size()) + " held out)");
    for (const char* kind : {"linear", "trees"}) {
      FTCONFIG_ASSIGN_OR_RETURN(art, FitReranker(train, kind, opt, nullptr));
      Reranker r = Reranker::Load(art).value();
      for (const RankGroup* g : test) stats[kind].Add(ts, *g, ScoreWith(r, *g));
    }
    for (const char* base : {"deterministic", "heuristic"})
      for (const RankGroup* g : test) stats[base].Add(ts, *g, BaselineScores(ts, *g, base));
  }
  std::string chosen = opt.select;
  if (chosen == "auto") chosen = RankingStats::Value(stats["trees"].ndcg) > RankingStats::Value(stats["linear"].ndcg) ? "trees" : "linear";
  progress("reranker: held-out NDCG@5 heuristic " + Fmt(RankingStats::Value(stats["heuristic"].ndcg)) + ", linear " +
           Fmt(RankingStats::Value(stats["linear"].ndcg)) + ", trees " + Fmt(RankingStats::Value(stats["trees"].ndcg)) + " -> " + chosen);
  std::vector<const RankGroup*> all;
  for (const auto& g : groups) all.push_back(&g);
  progress("reranker: fitting " + chosen + " on all " + std::to_string(all.size()) + " queries");
  json info;
  FTCONFIG_ASSIGN_OR_RETURN(artifact, FitReranker(all, chosen, opt, &info));
  json held_out = json::object();
  for (const auto& m : methods) held_out[m] = stats[m].ToJson();
  artifact["training"] = {
      {"command", "ftconfig train reranker"},
      {"seed", opt.seed},
      {"folds", opt.folds},
      {"candidates_per_query", opt.depth},
      {"selection", opt.select == "auto" ? "best held-out NDCG@5 of linear and trees" : "forced: " + opt.select},
      {"label", "loso_hp_closeness_v1"},
      {"corpus_sha256", ts.corpus_sha256},
      {"queries", groups.size()},
      {"linear", {{"l1", opt.linear.l1}, {"l2", opt.linear.l2}}},
      {"trees",
       {{"objective", "rank:ndcg"}, {"rounds", opt.rounds}, {"max_depth", opt.max_depth}, {"eta", opt.eta},
        {"subsample", opt.subsample}, {"colsample_bytree", opt.colsample}, {"min_child_weight", opt.min_child_weight}}},
      {"fit", info}};
  artifact["metrics"] = {{"held_out_ndcg_at_5", held_out[chosen]["ndcg_at_5"]},
                         {"held_out_ndcg_at_5_heuristic", held_out["heuristic"]["ndcg_at_5"]},
                         {"held_out_top1_oom_violation_rate", held_out[chosen]["top1_oom_violation_rate"]}};
  // Canonical again (training/metrics are carried verbatim).
  artifact = Reranker::Load(artifact).value().Save();
  json metrics = {{"format_version", 1},
                  {"artifact", "ftconfig.reranker.metrics"},
                  {"model_version", artifact["version"]},
                  {"selected", chosen},
                  {"evaluation", "grouped cross-validation by source repository (" + std::to_string(opt.folds) +
                                     " folds); each query is a held-out real config, candidates come from other "
                                     "repositories (docs/ranking.md)"},
                  {"held_out", held_out},
                  {"fit", info}};
  return TrainedArtifact{artifact, metrics};
}

// ------------------------------------------------------------ hp predictor

Result<json> FitHpPredictor(const TrainingSet& ts, const std::vector<size_t>& records, const HpOptions& opt,
                            const std::map<std::string, std::pair<double, double>>& intervals, json* info) {
  const auto& recs = ts.corpus.records();
  json targets = json::array();
  json fit_info = json::object();
  for (const auto& t : HpTargets()) {
    XgbData d;
    d.cols = QueryFeatureNames().size();
    double lo = 1e300, hi = -1e300, sum = 0, wsum = 0;
    for (size_t i : records) {
      auto y = HpTargetValue(recs[i], t.name);
      if (!y) continue;
      for (double v : HpFeatures(ts, i, t.name)) d.x.push_back(static_cast<float>(v));
      d.label.push_back(static_cast<float>(*y));
      d.weight.push_back(static_cast<float>(recs[i].weight));
      lo = std::min(lo, *y), hi = std::max(hi, *y);
      sum += *y * recs[i].weight, wsum += recs[i].weight;
      ++d.rows;
    }
    if (d.rows < 10) continue;
    std::vector<std::pair<std::string, std::string>> params = {
        {"objective", opt.objective}, {"tree_method", "hist"},
        {"base_score", Num(sum / wsum)},   {"eta", Num(opt.eta)},
        {"max_depth", std::to_string(opt.max_depth)},
        {"subsample", Num(opt.subsample)}, {"min_child_weight", Num(opt.min_child_weight)},
        {"seed", std::to_string(opt.seed)}};
    FTCONFIG_ASSIGN_OR_RETURN(res, XgbTrain(d, params, opt.rounds));
    auto iv = intervals.find(t.name);
    json target = {{"name", t.name},
                   {"space", t.space},
                   {"interval",
                    {{"lo", iv == intervals.end() ? 0.0 : iv->second.first},
                     {"hi", iv == intervals.end() ? 0.0 : iv->second.second},
                     {"coverage", opt.coverage}}},
                   {"clip", {{"min", lo}, {"max", hi}}},
                   {"model", {{"kind", "trees"}, {"xgboost", res.model}}}};
    targets.push_back(target);
    // Parity of the engine's evaluation with XGBoost's on the training rows.
    json one = {{"format_version", HpPredictor::kFormatVersion}, {"features", QueryFeatureNames()},
                {"targets", json::array({target})}};
    one["targets"][0].erase("clip");
    one["targets"][0]["interval"] = {{"lo", 0}, {"hi", 0}};
    auto p = HpPredictor::Load(one);
    if (!p.ok()) return p.error();
    double max_diff = 0;
    for (size_t r = 0; r < d.rows; ++r) {
      std::vector<double> x(d.x.begin() + r * d.cols, d.x.begin() + (r + 1) * d.cols);
      double v = p.value().Predict(x).at(t.name).value;
      double mine = std::string(t.space) == "log10" ? std::log10(v) : std::log2(v);
      max_diff = std::max(max_diff, std::fabs(mine - res.train_pred[r]));
    }
    if (max_diff > 1e-4)
      return Error{ErrorCode::kInternal, t.name,
                   "the engine's tree evaluation differs from XGBoost's by " + Num(max_diff) + " on training rows"};
    fit_info[t.name] = {{"rows", d.rows}, {"parity_max_abs_diff", max_diff}};
  }
  if (info) *info = {{"xgboost_version", XgbVersion()}, {"targets", fit_info}};
  json artifact = {{"format_version", HpPredictor::kFormatVersion},
                   {"artifact", "ftconfig.hp_predictor"},
                   {"features", QueryFeatureNames()},
                   {"targets", targets}};
  auto loaded = HpPredictor::Load(artifact);
  if (!loaded.ok()) return loaded.error();
  json canonical = loaded.value().Save();
  canonical["version"] = "hp-predictor-" + ShortHash(canonical["targets"]);
  return canonical;
}

Result<TrainedArtifact> TrainHpPredictor(const TrainingSet& ts, const std::vector<RankGroup>& groups,
                                         const HpOptions& opt, const Progress& progress) {
  const auto& recs = ts.corpus.records();
  std::vector<int> fold = RepoFolds(ts, opt.folds);
  // Out-of-fold predictions in each target's space.
  std::map<std::string, std::vector<std::optional<double>>> oof;
  for (const auto& t : HpTargets()) oof[t.name].assign(recs.size(), std::nullopt);
  for (int f = 0; f < opt.folds; ++f) {
    std::vector<size_t> train;
    for (size_t i = 0; i < recs.size(); ++i)
      if (fold[i] != f) train.push_back(i);
    progress("hp-predictor: fold " + std::to_string(f + 1) + "/" + std::to_string(opt.folds));
    FTCONFIG_ASSIGN_OR_RETURN(art, FitHpPredictor(ts, train, opt, {}, nullptr));
    HpPredictor p = HpPredictor::Load(art).value();
    for (size_t i = 0; i < recs.size(); ++i) {
      if (fold[i] != f) continue;
      for (const auto& t : HpTargets()) {
        auto pred = p.Predict(HpFeatures(ts, i, t.name));
        auto it = pred.find(t.name);
        if (it == pred.end()) continue;
        oof[t.name][i] = std::string(t.space) == "log10" ? std::log10(it->second.value) : std::log2(it->second.value);
      }
    }
  }
  // Per-query hybrid and reranker-free baselines for the same held-out rows.
  std::vector<const RankGroup*> group_of(recs.size(), nullptr);
  for (const auto& g : groups) group_of[g.query] = &g;
  const double q_lo = (1 - opt.coverage) / 2, q_hi = 1 - q_lo;
  std::map<std::string, std::pair<double, double>> intervals;
  json per_target = json::object();
  for (const auto& t : HpTargets()) {
    Mean mae_pred, mae_det, mae_hyb, within3x_pred, within3x_det, within3x_hyb, covered;
    std::vector<std::pair<double, double>> residuals;
    std::vector<std::vector<std::pair<double, double>>> residuals_by_fold(opt.folds);
    for (size_t i = 0; i < recs.size(); ++i) {
      auto y = HpTargetValue(recs[i], t.name);
      if (!y || !oof[t.name][i]) continue;
      residuals.push_back({*y - *oof[t.name][i], recs[i].weight});
      residuals_by_fold[fold[i]].push_back(residuals.back());
    }
    const double tol3x = std::string(t.space) == "log10" ? std::log10(3.0) : std::log2(3.0);
    for (size_t i = 0; i < recs.size(); ++i) {
      auto y = HpTargetValue(recs[i], t.name);
      if (!y || !oof[t.name][i]) continue;
      const double w = recs[i].weight;
      double pred = *oof[t.name][i];
      mae_pred.Add(std::fabs(pred - *y), w);
      within3x_pred.Add(std::fabs(pred - *y) <= tol3x + 1e-12 ? 1 : 0, w);
      const int fi = fold[i];
      auto det = ProfileMedian(ts, i, t.name, [&](size_t j) { return fold[j] != fi; });
      if (det) {
        mae_det.Add(std::fabs(*det - *y), w);
        within3x_det.Add(std::fabs(*det - *y) <= tol3x + 1e-12 ? 1 : 0, w);
      }
      if (group_of[i])
        if (auto hyb = TopKMedian(ts, *group_of[i], group_of[i]->heuristic, t.name, 10)) {
          mae_hyb.Add(std::fabs(*hyb - *y), w);
          within3x_hyb.Add(std::fabs(*hyb - *y) <= tol3x + 1e-12 ? 1 : 0, w);
        }
      // Honest coverage: the interval from the other folds' residuals.
      std::vector<std::pair<double, double>> others;
      for (int f = 0; f < opt.folds; ++f)
        if (f != fi) others.insert(others.end(), residuals_by_fold[f].begin(), residuals_by_fold[f].end());
      double lo = WeightedQuantile(others, q_lo), hi = WeightedQuantile(others, q_hi);
      covered.Add(*y >= pred + lo && *y <= pred + hi ? 1 : 0, w);
    }
    intervals[t.name] = {WeightedQuantile(residuals, q_lo), WeightedQuantile(residuals, q_hi)};
    per_target[t.name] = {
        {"space", t.space},
        {"rows", residuals.size()},
        {"mae", {{"predictor", mae_pred.ToJson()}, {"deterministic", mae_det.ToJson()}, {"hybrid", mae_hyb.ToJson()}}},
        {"within_3x",
         {{"predictor", within3x_pred.ToJson()}, {"deterministic", within3x_det.ToJson()}, {"hybrid", within3x_hyb.ToJson()}}},
        {"interval", {{"lo", Round6(intervals[t.name].first)}, {"hi", Round6(intervals[t.name].second)},
                      {"nominal_coverage", opt.coverage}, {"held_out_coverage", covered.ToJson()}}}};
    progress("hp-predictor: " + std::string(t.name) + " held-out MAE (" + t.space + ") predictor " +
             Fmt(mae_pred.value(), 3) + ", deterministic " + Fmt(mae_det.value(), 3) + ", hybrid " +
             Fmt(mae_hyb.value(), 3) + "; coverage " + Fmt(covered.value(), 3));
  }
  std::vector<size_t> all(recs.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  progress("hp-predictor: fitting on all " + std::to_string(all.size()) + " records");
  json info;
  FTCONFIG_ASSIGN_OR_RETURN(artifact, FitHpPredictor(ts, all, opt, intervals, &info));
  artifact["training"] = {{"command", "ftconfig train hp-predictor"},
                          {"seed", opt.seed},
                          {"folds", opt.folds},
                          {"objective", opt.objective},
                          {"rounds", opt.rounds},
                          {"max_depth", opt.max_depth},
                          {"eta", opt.eta},
                          {"subsample", opt.subsample},
                          {"min_child_weight", opt.min_child_weight},
                          {"interval", "weighted residual quantiles of out-of-fold predictions"},
                          {"corpus_sha256", ts.corpus_sha256},
                          {"fit", info}};
  json summary = json::object();
  for (const auto& [name, m] : per_target.items())
    summary[name] = {{"held_out_mae", m["mae"]["predictor"]}, {"held_out_coverage", m["interval"]["held_out_coverage"]}};
  artifact["metrics"] = summary;
  artifact = HpPredictor::Load(artifact).value().Save();
  json metrics = {{"format_version", 1},
                  {"artifact", "ftconfig.hp_predictor.metrics"},
                  {"model_version", artifact["version"]},
                  {"evaluation", "grouped cross-validation by source repository (" + std::to_string(opt.folds) +
                                     " folds); errors in each target's log space (docs/ranking.md)"},
                  {"held_out", per_target},
                  {"fit", info}};
  return TrainedArtifact{artifact, metrics};
}

}  // namespace ftconfig::cli
