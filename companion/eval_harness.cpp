#include "eval_harness.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "data_files.h"
#include "model_registry.h"
#include "realism.h"
#include "ftconfig/memory.h"

namespace fs = std::filesystem;

namespace ftconfig::cli {

namespace {

const double kLog3 = std::log10(3.0);

std::string F(double v, int prec = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}
std::string F(const json& v, int prec = 3) { return v.is_number() ? F(v.get<double>(), prec) : "–"; }
double Round6(double v) { return std::round(v * 1e6) / 1e6; }

struct Acc {
  double sum = 0, w = 0;
  void Add(double v, double weight = 1) { sum += v * weight, w += weight; }
  double value() const { return w > 0 ? sum / w : 0; }
  json ToJson() const { return w > 0 ? json(Round6(value())) : json(); }
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Result<std::string> Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error{ErrorCode::kInvalidValue, p.string(), "cannot read \"" + p.string() + "\""};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The request a held-out record stands for, on the GPU it is evaluated on.
std::optional<json> RequestFromRecord(const TrainingSet& ts, size_t i, const std::string& strategy) {
  const ConfigRecord& r = ts.corpus.records()[i];
  json req = {{"gpu_override", ts.query_gpu[i]->id},
              {"task_type", r.task_type},
              {"adapter_type", r.adapter_type},
              {"strategy", strategy}};
  if (r.num_gpus > 1) req["num_gpus"] = r.num_gpus;
  if (const Model* m = ts.catalog.FindModel(r.model_name)) {
    req["model"] = m->id;
  } else if (r.model_params_b) {
    req["model"] = r.model_name.empty() ? "custom" : r.model_name;
    req["model_params_b"] = *r.model_params_b;
  } else {
    return std::nullopt;
  }
  if (r.max_seq_length && *r.max_seq_length >= 16) req["max_seq_length"] = *r.max_seq_length;
  if (r.dataset_size && *r.dataset_size >= 1) req["dataset_size"] = static_cast<long long>(std::llround(*r.dataset_size));
  return req;
}

// Independent OOM check of a response: rebuilds the training setup from the
// returned hyperparameters and re-estimates the peak. Returns the peak and the
// limit (usable x fit fraction); empty when the response does not fit anyway.
struct OomCheck {
  bool claims_fit = false;
  double peak_gb = 0, limit_gb = 0;
  bool violation() const { return claims_fit && peak_gb > limit_gb * 1.02; }  // 2%: rounding of the response
};

OomCheck CheckResponse(const json& resp, const Catalog& catalog) {
  OomCheck c;
  c.claims_fit = resp.value("fits", false);
  if (!c.claims_fit) return c;
  const json& hp = resp["hyperparameters"];
  const json& req = resp["request"];
  const json& gpu = resp["gpu"];
  ModelArch arch;
  if (const Model* m = catalog.FindModel(req.value("model", ""))) arch = m->arch;
  else arch = TypicalArchForParams(req.value("model_params_b", 1.0));
  const int count = gpu.contains("count") && gpu["count"].is_number_integer() ? gpu["count"].get<int>() : 1;
  TrainSetup s = SetupFromHyperparameters(hp, req.value("task_type", ""), count);
  MemoryEstimate e = EstimateMemory(arch, s);
  c.peak_gb = std::max(e.peak_gb, e.eval_peak_gb);
  // The engine's stated limit (usable x its fit fraction); the peak is ours.
  c.limit_gb = resp.contains("vram") && resp["vram"].contains("limit_gb") && resp["vram"]["limit_gb"].is_number()
                   ? resp["vram"]["limit_gb"].get<double>()
                   : gpu.value("usable_gb", 0.0) * Engine::kFitFraction;
  return c;
}

// Checks one golden expectation; returns the failures (empty: passed).
std::vector<std::string> CheckGolden(const json& expect, const Result<json>& resp) {
  std::vector<std::string> fails;
  if (expect.contains("error_code")) {
    if (resp.ok()) fails.push_back("expected error " + expect["error_code"].get<std::string>() + ", got a response");
    else if (ToString(resp.error().code) != expect["error_code"].get<std::string>())
      fails.push_back(std::string("expected error ") + expect["error_code"].get<std::string>() + ", got " +
                      ToString(resp.error().code));
    return fails;
  }
  if (!resp.ok()) {
    fails.push_back(std::string("error ") + ToString(resp.error().code) + ": " + resp.error().message);
    return fails;
  }
  const json& r = resp.value();
  const json& hp = r["hyperparameters"];
  if (expect.contains("fits") && r.value("fits", false) != expect["fits"].get<bool>())
    fails.push_back(std::string("fits is ") + (r.value("fits", false) ? "true" : "false"));
  if (!r.value("fits", false)) return fails;  // nothing else to check on a refusal
  auto range = [&](const char* key, const char* field) {
    if (!expect.contains(key)) return;
    const json& e = expect[key];
    if (!hp.contains(field) || !hp[field].is_number()) {
      fails.push_back(std::string(field) + " missing");
      return;
    }
    double v = hp[field].get<double>();
    if (e.contains("min") && v < e["min"].get<double>() * (1 - 1e-9))
      fails.push_back(std::string(field) + " " + F(v, 8) + " < " + F(e["min"], 8));
    if (e.contains("max") && v > e["max"].get<double>() * (1 + 1e-9))
      fails.push_back(std::string(field) + " " + F(v, 8) + " > " + F(e["max"], 8));
  };
  range("learning_rate", "learning_rate");
  range("effective_batch_size", "effective_batch_size");
  range("max_seq_length", "max_seq_length");
  range("lora_r", "lora_r");
  range("batch_size_per_device", "batch_size_per_device");
  auto one_of = [&](const char* key, const char* field) {
    if (!expect.contains(key)) return;
    std::string v = hp.value(field, "");
    for (const auto& ok : expect[key])
      if (ok == v) return;
    fails.push_back(std::string(field) + " \"" + v + "\" not in " + expect[key].dump());
  };
  one_of("precision", "precision");
  one_of("adapter_type", "adapter_type");
  one_of("optimizer", "optimizer");
  if (expect.contains("gradient_checkpointing") &&
      hp.value("gradient_checkpointing", false) != expect["gradient_checkpointing"].get<bool>())
    fails.push_back("gradient_checkpointing differs");
  return fails;
}

// Predictor metrics over records (as-is artifact): MAE in the target space,
// within-3x, coverage of [lo, hi] against the artifact's nominal coverage.
json PredictorMetrics(const TrainingSet& ts, const HpPredictor& p, const std::vector<size_t>& records,
                      std::map<std::string, double>* lr_mae_out) {
  json nominal = json::object();
  const json saved = p.Save();
  for (const auto& t : saved["targets"]) nominal[t.value("name", "")] = t["interval"].value("coverage", 0.0);
  json out = json::object();
  for (const auto& t : HpTargets()) {
    Acc mae, within, covered;
    for (size_t i : records) {
      auto y = HpTargetValue(ts.corpus.records()[i], t.name);
      if (!y) continue;
      auto pred = p.Predict(HpFeatures(ts, i, t.name));
      auto it = pred.find(t.name);
      if (it == pred.end() || !(it->second.value > 0)) continue;
      auto space = [&](double v) { return std::string(t.space) == "log10" ? std::log10(v) : std::log2(v); };
      double err = std::fabs(space(it->second.value) - *y);
      double w = ts.corpus.records()[i].weight;
      mae.Add(err, w);
      within.Add(err <= (std::string(t.space) == "log10" ? kLog3 : std::log2(3.0)) + 1e-12 ? 1 : 0, w);
      covered.Add(*y >= space(it->second.lo) - 1e-12 && *y <= space(it->second.hi) + 1e-12 ? 1 : 0, w);
    }
    if (mae.w == 0) continue;
    out[t.name] = {{"mae", mae.ToJson()},
                   {"within_3x", within.ToJson()},
                   {"coverage", covered.ToJson()},
                   {"nominal_coverage", nominal.value(std::string(t.name), 0.0)}};
    if (lr_mae_out && std::string(t.name) == "learning_rate") (*lr_mae_out)["v"] = mae.value();
  }
  return out;
}

// Training options recorded in an artifact by `ftconfig train` (the recipe).
RerankerOptions RerankerRecipe(const Reranker& r) {
  RerankerOptions o;
  const json& t = r.training();
  o.seed = t.value("seed", o.seed);
  o.select = r.kind();
  if (t.contains("linear")) {
    o.linear.l1 = t["linear"].value("l1", o.linear.l1);
    o.linear.l2 = t["linear"].value("l2", o.linear.l2);
  }
  if (t.contains("trees")) {
    const json& tr = t["trees"];
    o.rounds = tr.value("rounds", o.rounds);
    o.max_depth = tr.value("max_depth", o.max_depth);
    o.eta = tr.value("eta", o.eta);
    o.subsample = tr.value("subsample", o.subsample);
    o.colsample = tr.value("colsample_bytree", o.colsample);
    o.min_child_weight = tr.value("min_child_weight", o.min_child_weight);
  }
  return o;
}

HpOptions HpRecipe(const HpPredictor& p) {
  HpOptions o;
  const json& t = p.training();
  o.seed = t.value("seed", o.seed);
  o.objective = t.value("objective", o.objective);
  o.rounds = t.value("rounds", o.rounds);
  o.max_depth = t.value("max_depth", o.max_depth);
  o.eta = t.value("eta", o.eta);
  o.subsample = t.value("subsample", o.subsample);
  o.min_child_weight = t.value("min_child_weight", o.min_child_weight);
  return o;
}

bool TrainedByUs(const json& training) {
  return training.is_object() && training.value("command", "").rfind("ftconfig train", 0) == 0;
}

std::map<std::string, std::pair<double, double>> IntervalsOf(const HpPredictor& p) {
  std::map<std::string, std::pair<double, double>> out;
  const json saved = p.Save();
  for (const auto& t : saved["targets"])
    out[t.value("name", "")] = {t["interval"].value("lo", 0.0), t["interval"].value("hi", 0.0)};
  return out;
}

}  // namespace

std::vector<CorpusSource> FilterSources(const std::vector<CorpusSource>& sources, const std::set<std::string>& drop) {
  std::vector<CorpusSource> out;
  for (const auto& s : sources) {
    CorpusSource f{s.name, ""};
    std::istringstream in(s.jsonl);
    std::string line;
    while (std::getline(in, line)) {
      json row = json::parse(line, nullptr, false);
      if (!row.is_discarded() && row.is_object() && row.contains("source_repo") && row["source_repo"].is_string() &&
          drop.count(row["source_repo"].get<std::string>()))
        continue;
      f.jsonl += line + "\n";
    }
    out.push_back(std::move(f));
  }
  return out;
}

bool CanRetrain(const ArtifactSet& set) {
  return set.reranker && set.hp_predictor && TrainedByUs(set.reranker->training()) &&
         TrainedByUs(set.hp_predictor->training());
}

Result<FoldArtifacts> RetrainArtifacts(const TrainingSet& ts, const ArtifactSet& set,
                                       const std::function<bool(size_t)>& in_train) {
  if (!CanRetrain(set)) return Error{ErrorCode::kInvalidValue, "candidate", "the artifacts carry no training recipe"};
  auto groups = BuildRankGroups(ts, 50, nullptr, in_train, in_train);
  std::vector<const RankGroup*> gptr;
  for (const auto& g : groups) gptr.push_back(&g);
  FTCONFIG_ASSIGN_OR_RETURN(reranker, FitReranker(gptr, set.reranker->kind(), RerankerRecipe(*set.reranker), nullptr));
  std::vector<size_t> train;
  for (size_t i = 0; i < ts.corpus.records().size(); ++i)
    if (in_train(i)) train.push_back(i);
  FTCONFIG_ASSIGN_OR_RETURN(predictor, FitHpPredictor(ts, train, HpRecipe(*set.hp_predictor),
                                                      IntervalsOf(*set.hp_predictor), nullptr));
  return FoldArtifacts{std::move(reranker), std::move(predictor)};
}

const std::vector<std::string>& EvaluatedStrategies() {
  static const std::vector<std::string> s = {"deterministic", "hybrid", "hybrid_ml", "auto"};
  return s;
}

Result<ArtifactSet> LoadArtifactSet(const std::string& dir, const std::string& registry_file) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Error{ErrorCode::kInvalidValue, "candidate", "\"" + dir + "\" is not a directory of model artifacts"};
  ArtifactSet set;
  set.dir = dir;
  fs::path reg = registry_file.empty() ? fs::path(dir) / "registry.json" : fs::path(registry_file);
  if (fs::exists(reg, ec)) {
    // format_version 2 (its production alias) or 1 (production slot).
    FTCONFIG_ASSIGN_OR_RETURN(registry, ModelRegistry::Load(reg.string()));
    FTCONFIG_ASSIGN_OR_RETURN(slot, registry.Resolve("production"));
    set.reranker_path = slot.reranker_path;
    set.hp_predictor_path = slot.hp_predictor_path;
  } else {
    if (fs::exists(fs::path(dir) / "reranker.json", ec)) set.reranker_path = (fs::path(dir) / "reranker.json").string();
    if (fs::exists(fs::path(dir) / "hp_predictor.json", ec))
      set.hp_predictor_path = (fs::path(dir) / "hp_predictor.json").string();
  }
  auto load = [&](const std::string& path, const char* what, std::string* text_out, auto loader, auto* slot) {
    if (path.empty()) {
      set.load_errors.push_back(std::string(what) + ": no artifact in " + dir);
      return;
    }
    auto text = Slurp(path);
    if (!text.ok()) {
      set.load_errors.push_back(std::string(what) + ": " + text.error().message);
      return;
    }
    json j = json::parse(text.value(), nullptr, false);
    if (j.is_discarded()) {
      set.load_errors.push_back(std::string(what) + ": " + path + " is not valid JSON");
      return;
    }
    auto m = loader(j);
    if (!m.ok()) {
      set.load_errors.push_back(std::string(what) + ": " + m.error().message);
      return;
    }
    *text_out = text.value();
    slot->emplace(std::move(m).value());
  };
  load(set.reranker_path, "reranker", &set.reranker_json, [](const json& j) { return Reranker::Load(j); }, &set.reranker);
  load(set.hp_predictor_path, "hp_predictor", &set.hp_predictor_json, [](const json& j) { return HpPredictor::Load(j); },
       &set.hp_predictor);
  return set;
}

namespace {

// The realism gate from the metrics file of `ftconfig realism`.
Gate RealismGateFromFile(const std::string& path, const std::string& corpus_sha256, json* metrics_out) {
  auto text = Slurp(path);
  json m = text.ok() ? json::parse(text.value(), nullptr, false) : json();
  if (!text.ok() || !m.is_object() || !m.contains("results"))
    return {"realism: served strategy not worse than the best baseline on any headline field",
            "cannot read realism metrics from \"" + path + "\" (run scripts/realism.sh)", false};
  Gate g = RealismGate(m);
  const std::string sha = m.contains("corpus") ? m["corpus"].value("sha256", "") : "";
  if (sha != corpus_sha256) {
    g.passed = false;
    g.detail = "computed on another corpus (sha256 " + sha.substr(0, 12) + ", this one " +
               corpus_sha256.substr(0, 12) + "): rerun scripts/realism.sh; " + g.detail;
  }
  *metrics_out = {{"file", path}, {"served_strategy", m.value("served_strategy", "")}, {"gate", g.detail}};
  return g;
}

}  // namespace

bool EvalReport::passed() const {
  return std::all_of(gates.begin(), gates.end(), [](const Gate& g) { return g.passed; });
}

namespace {

// One evaluation, in stages (Evaluate runs them in order): the report, the
// training set, and what the stages share (the served-OOM tally).
class EvalRun {
 public:
  EvalRun(const ArtifactSet& cand, const ArtifactSet* base, const EvalOptions& opt, const Progress& progress,
          EvalReport* rep)
      : cand_(cand), base_(base), opt_(opt), G_(opt.gates), progress_(progress), rep_(*rep), M_(rep->metrics) {}

  void Describe();
  bool LoadData();
  void RankingInCorpus();
  void PredictorInCorpus();
  void Golden();
  void HeldOutEngine();
  void RealismAndServedOom();

 private:
  // What the held-out engine runs accumulate over the folds.
  struct HeldOut {
    std::map<std::string, std::vector<double>> lr_err;
    std::map<std::string, Acc> within;
    std::map<std::string, std::map<std::string, Acc>> by_conf;  // strategy -> confidence level -> within-3x
    std::map<std::string, std::map<std::string, int>> strategy_used;
    RankingStats rank_cand, rank_hybrid;
    Acc cov_lr;
    int skipped = 0;
    std::ofstream runs_out;
  };

  void Gate(const std::string& name, bool ok, const std::string& detail) { rep_.gates.push_back({name, detail, ok}); }
  Result<std::shared_ptr<const Engine>> EngineFor(const ArtifactSet* set, const std::vector<CorpusSource>& corpus,
                                                  const std::string& rr, const std::string& hp) const;
  void TrackOom(const json& resp, const std::string& what);
  void GoldenStrategy(const Engine& engine, const std::vector<json>& golden, const std::string& s, json* per,
                      std::vector<std::string>* failures);
  bool HeldOutFold(int f, const std::vector<int>& fold, bool retrain, HeldOut* h);
  void HeldOutRetrainedMetrics(const Reranker& fr, const HpPredictor& fp, int f, const std::vector<int>& fold,
                               HeldOut* h) const;
  void HeldOutRun(const json& r, size_t i, int f, const std::string& s, HeldOut* h);
  json HeldOutSummary(const HeldOut& h) const;
  void CalibrationGate(bool retrain, const HeldOut& h);

  const ArtifactSet& cand_;
  const ArtifactSet* base_;
  const EvalOptions& opt_;
  const GateOptions& G_;
  const Progress& progress_;
  EvalReport& rep_;
  json& M_;
  std::optional<TrainingSet> ts_;
  std::vector<RankGroup> groups_;
  int served_oom_ = 0, served_runs_ = 0;
  std::vector<std::string> oom_examples_;
};

void EvalRun::Describe() {
  M_["candidate"] = {{"dir", cand_.dir},
                     {"reranker", cand_.reranker ? json(cand_.reranker->version()) : json()},
                     {"reranker_kind", cand_.reranker ? json(cand_.reranker->kind()) : json()},
                     {"hp_predictor", cand_.hp_predictor ? json(cand_.hp_predictor->version()) : json()}};
  if (base_)
    M_["baseline"] = {{"dir", base_->dir},
                      {"reranker", base_->reranker ? json(base_->reranker->version()) : json()},
                      {"hp_predictor", base_->hp_predictor ? json(base_->hp_predictor->version()) : json()}};
  std::string detail;
  for (const auto& e : cand_.load_errors) detail += (detail.empty() ? "" : "; ") + e;
  Gate("artifacts load", cand_.load_errors.empty(), detail.empty() ? "reranker and hp_predictor load" : detail);
}

bool EvalRun::LoadData() {
  progress_("evaluate: loading " + opt_.data_dir);
  auto tsr = LoadTrainingSet(opt_.data_dir);
  if (!tsr.ok()) {
    Gate("data loads", false, tsr.error().message);
    return false;
  }
  ts_.emplace(std::move(tsr.value()));
  groups_ = BuildRankGroups(*ts_, 50);
  M_["corpus"] = {{"records", ts_->corpus.records().size()}, {"repositories", ts_->repos.size()},
                  {"queries", groups_.size()}, {"sha256", ts_->corpus_sha256}};
  return true;
}

// ---- 1. ranking, artifacts as they are, on the leave-one-source-out groups
void EvalRun::RankingInCorpus() {
  const TrainingSet& ts = *ts_;
  progress_("evaluate: ranking metrics on " + std::to_string(groups_.size()) + " leave-one-source-out queries");
  std::map<std::string, RankingStats> rank;
  for (const auto& g : groups_) {
    rank["deterministic"].Add(ts, g, BaselineScores(ts, g, "deterministic"));
    rank["hybrid"].Add(ts, g, BaselineScores(ts, g, "heuristic"));
    auto score = [&](const Reranker& r) {
      std::vector<double> s;
      for (const auto& x : g.x) s.push_back(r.Score(x));
      return s;
    };
    if (cand_.reranker) rank["candidate"].Add(ts, g, score(*cand_.reranker));
    if (base_ && base_->reranker) rank["baseline"].Add(ts, g, score(*base_->reranker));
  }
  json ranking = json::object();
  for (const auto& [k, v] : rank) ranking[k] = v.ToJson();
  M_["ranking_in_corpus"] = ranking;
  if (!cand_.reranker) return;
  const std::string ref = rank.count("baseline") ? "baseline" : "hybrid";
  double c = RankingStats::Value(rank["candidate"].ndcg), r = RankingStats::Value(rank[ref].ndcg);
  Gate("NDCG@5 no regression", c >= r - G_.ndcg_tolerance,
       "candidate " + F(c) + " vs " + ref + " " + F(r) + " (tolerance " + F(G_.ndcg_tolerance) + ")");
  double co = RankingStats::Value(rank["candidate"].top1_oom), ro = RankingStats::Value(rank[ref].top1_oom);
  Gate("ranking OOM violations", co <= ro + G_.oom_rate_tolerance,
       "top-1 non-fitting where a fitting candidate existed: candidate " + F(co) + " vs " + ref + " " + F(ro));
  std::string worst;
  bool ok = true;
  for (const auto& [task, acc] : rank["candidate"].ndcg_by_task) {
    int n = rank["candidate"].queries_by_task[task];
    if (n < G_.category_min_queries || !rank[ref].ndcg_by_task.count(task)) continue;
    double cv = RankingStats::Value(acc), rv = RankingStats::Value(rank[ref].ndcg_by_task[task]);
    if (cv < rv - G_.category_tolerance) {
      ok = false;
      worst += (worst.empty() ? "" : ", ") + task + " " + F(cv) + " < " + F(rv);
    }
  }
  Gate("no per-category regression", ok,
       ok ? "every task with >= " + std::to_string(G_.category_min_queries) + " queries within " +
                F(G_.category_tolerance) + " of " + ref
          : worst);
}

// ---- 2. predictor, as it is, against the deterministic and hybrid baselines
void EvalRun::PredictorInCorpus() {
  if (!cand_.hp_predictor) return;
  const TrainingSet& ts = *ts_;
  const auto& recs = ts.corpus.records();
  progress_("evaluate: predictor metrics");
  std::vector<size_t> all(recs.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  std::map<std::string, double> cand_mae, base_mae;
  json pm = {{"candidate", PredictorMetrics(ts, *cand_.hp_predictor, all, &cand_mae)}};
  if (base_ && base_->hp_predictor) pm["baseline"] = PredictorMetrics(ts, *base_->hp_predictor, all, &base_mae);
  std::vector<const RankGroup*> group_of(recs.size(), nullptr);
  for (const auto& g : groups_) group_of[g.query] = &g;
  json det = json::object(), hyb = json::object();
  for (const auto& t : HpTargets()) {
    Acc md, mh;
    for (size_t i = 0; i < recs.size(); ++i) {
      auto y = HpTargetValue(recs[i], t.name);
      if (!y) continue;
      int repo = ts.repo_of[i];
      if (auto d = ProfileMedian(ts, i, t.name, [&](size_t j) { return ts.repo_of[j] != repo; }))
        md.Add(std::fabs(*d - *y), recs[i].weight);
      if (group_of[i])
        if (auto h = TopKMedian(ts, *group_of[i], group_of[i]->heuristic, t.name, 10))
          mh.Add(std::fabs(*h - *y), recs[i].weight);
    }
    det[t.name] = {{"mae", md.ToJson()}};
    hyb[t.name] = {{"mae", mh.ToJson()}};
  }
  pm["deterministic"] = det;
  pm["hybrid"] = hyb;
  M_["predictor_in_corpus"] = pm;
  double ref_mae = base_mae.count("v") ? base_mae["v"] : det["learning_rate"]["mae"].get<double>();
  Gate("predictor LR accuracy", cand_mae["v"] <= ref_mae + G_.lr_mae_tolerance,
       "learning-rate MAE (log10) candidate " + F(cand_mae["v"]) + " vs " +
           (base_mae.count("v") ? "baseline " : "deterministic ") + F(ref_mae));
}

Result<std::shared_ptr<const Engine>> EvalRun::EngineFor(const ArtifactSet* set, const std::vector<CorpusSource>& corpus,
                                                         const std::string& rr, const std::string& hp) const {
  EngineData d;
  FTCONFIG_ASSIGN_OR_RETURN(cat, ReadCatalogFiles(opt_.data_dir));
  d.catalog = std::move(cat);
  d.corpus = corpus;
  d.reranker_json = set ? set->reranker_json : rr;
  d.hp_predictor_json = set ? set->hp_predictor_json : hp;
  return Engine::Create(d);
}

void EvalRun::TrackOom(const json& resp, const std::string& what) {
  OomCheck c = CheckResponse(resp, ts_->catalog);
  ++served_runs_;
  if (!c.violation()) return;
  ++served_oom_;
  if (oom_examples_.size() < 5) oom_examples_.push_back(what + " (" + F(c.peak_gb, 1) + " GB > " + F(c.limit_gb, 1) + " GB)");
}

// One strategy over the golden requests: pass counts per category, the share
// within the learning-rate band, and the failures.
void EvalRun::GoldenStrategy(const Engine& engine, const std::vector<json>& golden, const std::string& s, json* per,
                             std::vector<std::string>* failures) {
  int pass = 0, lr_total = 0, lr_pass = 0;
  std::map<std::string, std::pair<int, int>> by_cat;
  for (const auto& g : golden) {
    json req = g["request"];
    req["strategy"] = s;
    auto resp = engine.Recommend(req.dump());
    const json& expect = g["expect"];
    auto fails = CheckGolden(expect, resp);
    if (resp.ok()) TrackOom(resp.value(), "golden " + g.value("id", "") + " / " + s);
    bool ok = fails.empty();
    pass += ok;
    auto& bc = by_cat[g.value("category", "other")];
    bc.first += ok, bc.second += 1;
    if (expect.contains("learning_rate") && !expect.contains("error_code")) {
      ++lr_total;
      bool lr_ok = std::none_of(fails.begin(), fails.end(),
                                [](const std::string& f) { return f.rfind("learning_rate", 0) == 0; }) &&
                   resp.ok() && resp.value().value("fits", false);
      lr_pass += lr_ok;
    }
    if (!ok)
      for (const auto& f : fails) failures->push_back(g.value("id", "?") + ": " + f);
  }
  json cats = json::object();
  for (const auto& [c, pr] : by_cat) cats[c] = {{"passed", pr.first}, {"total", pr.second}};
  (*per)[s] = {{"passed", pass},
               {"total", golden.size()},
               {"learning_rate_in_band", lr_total ? json(Round6(double(lr_pass) / lr_total)) : json()},
               {"by_category", cats},
               {"failures", *failures}};
}

// ---- 3. golden requests through the engine, per strategy
void EvalRun::Golden() {
  if (opt_.golden_path.empty()) return;
  progress_("evaluate: golden requests " + opt_.golden_path);
  auto text = Slurp(opt_.golden_path);
  auto engine = EngineFor(&cand_, ts_->sources, "", "");
  if (!text.ok() || !engine.ok()) {
    Gate("golden set", false, !text.ok() ? text.error().message : engine.error().message);
    return;
  }
  std::vector<json> golden;
  std::istringstream in(text.value());
  std::string line;
  while (std::getline(in, line))
    if (auto j = json::parse(line, nullptr, false); !j.is_discarded() && j.is_object()) golden.push_back(j);
  json per = json::object();
  std::map<std::string, std::vector<std::string>> failures;
  for (const auto& s : EvaluatedStrategies()) GoldenStrategy(*engine.value(), golden, s, &per, &failures[s]);
  M_["golden"] = per;
  const std::string served = cand_.reranker ? "hybrid_ml" : "hybrid";
  double rate = per[served]["learning_rate_in_band"].is_number() ? per[served]["learning_rate_in_band"].get<double>() : 0;
  Gate("golden learning-rate band", rate >= G_.golden_lr_pass_rate,
       served + ": " + F(rate) + " of golden requests within their learning-rate band (>= " +
           F(G_.golden_lr_pass_rate) + ")");
  // Everything but the learning rate (which has the rate gate above) is a
  // rule: must fit / must refuse, precision, adapter, sequence, rank, errors.
  std::vector<std::string> rule_fails;
  for (const auto& s : EvaluatedStrategies())
    for (const auto& f : failures[s])
      if (f.find(": learning_rate ") == std::string::npos) rule_fails.push_back(s + ": " + f);
  Gate("golden must-fit and precision rules", rule_fails.empty(),
       rule_fails.empty() ? "all " + std::to_string(golden.size()) + " golden requests keep their rules under every strategy"
                          : std::to_string(rule_fails.size()) + " rule failures, e.g. " + rule_fails.front());
}

// The fold's retrained artifacts: held-out ranking and learning-rate interval coverage.
void EvalRun::HeldOutRetrainedMetrics(const Reranker& fr, const HpPredictor& fp, int f, const std::vector<int>& fold,
                                      HeldOut* h) const {
  const TrainingSet& ts = *ts_;
  const auto& recs = ts.corpus.records();
  for (const auto& g : groups_) {
    if (fold[g.query] != f) continue;
    std::vector<double> s;
    for (const auto& x : g.x) s.push_back(fr.Score(x));
    h->rank_cand.Add(ts, g, s);
    h->rank_hybrid.Add(ts, g, g.heuristic);
  }
  for (size_t i = 0; i < recs.size(); ++i) {
    if (fold[i] != f) continue;
    auto pr = fp.Predict(HpFeatures(ts, i, "learning_rate"));
    if (auto it = pr.find("learning_rate"); it != pr.end())
      h->cov_lr.Add(recs[i].learning_rate >= it->second.lo && recs[i].learning_rate <= it->second.hi ? 1 : 0,
                    recs[i].weight);
  }
}

// One held-out answer: its learning-rate error, and its line in --runs.
void EvalRun::HeldOutRun(const json& r, size_t i, int f, const std::string& s, HeldOut* h) {
  const ConfigRecord& rec = ts_->corpus.records()[i];
  TrackOom(r, "held-out " + rec.id + " / " + s);
  ++h->strategy_used[s][r["strategy"].value("used", "?")];
  if (!r.value("fits", false) || !r["hyperparameters"].contains("learning_rate")) return;
  double lr = r["hyperparameters"]["learning_rate"].get<double>();
  double err = std::fabs(std::log10(lr / rec.learning_rate));
  if (h->runs_out) {
    json cand_lr = json::array();
    for (const auto& c : r["candidates"]) cand_lr.push_back(c.value("learning_rate", 0.0));
    json row = {{"id", rec.id}, {"repo", rec.source_repo}, {"fold", f}, {"strategy", s},
                {"task", rec.task_type}, {"adapter", rec.adapter_type}, {"bucket", rec.size_bucket},
                {"params_b", rec.model_params_b ? json(*rec.model_params_b) : json()},
                {"weight", rec.weight}, {"lr_true", rec.learning_rate}, {"lr", lr},
                {"within_3x", err <= kLog3 + 1e-9}, {"used", r["strategy"].value("used", "")},
                {"lr_source", r["provenance"].value("learning_rate", "")},
                {"lr_why", r["why"].value("learning_rate", "")},
                {"profile", r["profile"].value("group", "")},
                {"fallback", r["profile"].value("fallback_level", "")},
                {"lr_iqr", r["profile"]["lr_iqr"]}, {"candidates_lr", cand_lr},
                {"predicted_lr", r["strategy"].contains("hp_predictions") &&
                                         r["strategy"]["hp_predictions"].contains("learning_rate")
                                     ? r["strategy"]["hp_predictions"]["learning_rate"]
                                     : json()},
                {"clamps", r["diagnostics"]["clamps"]}, {"confidence", r["confidence"].value("level", "")}};
    h->runs_out << row.dump() << "\n";
  }
  h->lr_err[s].push_back(err);
  bool ok = err <= kLog3 + 1e-9;
  h->within[s].Add(ok ? 1 : 0, rec.weight);
  h->by_conf[s][r["confidence"].value("level", "?")].Add(ok ? 1 : 0, rec.weight);
}

// One fold: its repositories left out of the corpus (and, with a recipe, of
// the artifacts' training), every strategy asked for each of its records.
// False when the fold cannot run (a gate says why).
bool EvalRun::HeldOutFold(int f, const std::vector<int>& fold, bool retrain, HeldOut* h) {
  const auto& recs = ts_->corpus.records();
  std::set<std::string> drop;
  for (size_t i = 0; i < recs.size(); ++i)
    if (fold[i] == f) drop.insert(recs[i].source_repo);
  progress_("evaluate: held-out fold " + std::to_string(f + 1) + "/" + std::to_string(opt_.folds) + " (" +
            std::to_string(drop.size()) + " repositories left out)");
  std::string rr = cand_.reranker_json, hp = cand_.hp_predictor_json;
  if (retrain) {
    auto fa = RetrainArtifacts(*ts_, cand_, [&](size_t i) { return fold[i] != f; });
    if (!fa.ok()) {
      Gate("held-out retraining", false, fa.error().message);
      return false;
    }
    rr = fa.value().reranker.dump();
    hp = fa.value().hp_predictor.dump();
    HeldOutRetrainedMetrics(Reranker::Load(fa.value().reranker).value(), HpPredictor::Load(fa.value().hp_predictor).value(),
                            f, fold, h);
  }
  auto engine = EngineFor(nullptr, FilterSources(ts_->sources, drop), rr, hp);
  if (!engine.ok()) {
    Gate("held-out engine", false, engine.error().message);
    return false;
  }
  for (size_t i = 0; i < recs.size(); ++i) {
    if (fold[i] != f) continue;
    for (const auto& s : EvaluatedStrategies()) {
      auto req = RequestFromRecord(*ts_, i, s);
      if (!req) {
        ++h->skipped;
        continue;
      }
      auto resp = engine.value()->Recommend(req->dump());
      if (!resp.ok()) {
        ++h->skipped;
        continue;
      }
      HeldOutRun(resp.value(), i, f, s, h);
    }
  }
  return true;
}

json EvalRun::HeldOutSummary(const HeldOut& h) const {
  json he = json::object();
  for (const auto& s : EvaluatedStrategies()) {
    json conf = json::object();
    auto by_conf = h.by_conf.find(s);
    if (by_conf != h.by_conf.end())
      for (const auto& [lvl, acc] : by_conf->second) conf[lvl] = {{"lr_within_3x", acc.ToJson()}, {"n", acc.w}};
    auto lr_err = h.lr_err.find(s);
    const std::vector<double> errs = lr_err == h.lr_err.end() ? std::vector<double>() : lr_err->second;
    auto within = h.within.find(s);
    auto used = h.strategy_used.find(s);
    he[s] = {{"lr_within_3x", within == h.within.end() ? Acc().ToJson() : within->second.ToJson()},
             {"median_abs_log10_lr_error", Round6(Median(errs))},
             {"runs", errs.size()},
             {"strategy_used", used == h.strategy_used.end() ? std::map<std::string, int>() : used->second},
             {"lr_within_3x_by_confidence", conf}};
  }
  return he;
}

// Held-out interval coverage against nominal (retrained per fold), or the
// in-corpus coverage of the artifacts as they are.
void EvalRun::CalibrationGate(bool retrain, const HeldOut& h) {
  if (retrain) {
    double nominal = 0;
    const json saved = cand_.hp_predictor->Save();
    for (const auto& t : saved["targets"])
      if (t.value("name", "") == "learning_rate") nominal = t["interval"].value("coverage", 0.0);
    double drift = std::fabs(h.cov_lr.value() - nominal);
    bool ok = drift <= G_.calibration_drift;
    std::string detail = "held-out learning-rate interval coverage " + F(h.cov_lr.value()) + " vs nominal " + F(nominal);
    if (base_ && base_->hp_predictor && M_.contains("predictor_in_corpus") &&
        M_["predictor_in_corpus"].contains("baseline")) {
      double cb = M_["predictor_in_corpus"]["baseline"]["learning_rate"].value("coverage", 0.0);
      double cc = M_["predictor_in_corpus"]["candidate"]["learning_rate"].value("coverage", 0.0);
      ok = ok && std::fabs(cc - cb) <= G_.calibration_drift;
      detail += "; in-corpus coverage candidate " + F(cc) + " vs baseline " + F(cb);
    }
    Gate("confidence calibration drift", ok, detail + " (max drift " + F(G_.calibration_drift) + ")");
  } else if (cand_.hp_predictor && M_.contains("predictor_in_corpus")) {
    const json& c = M_["predictor_in_corpus"]["candidate"];
    bool ok = true;
    std::string detail;
    for (const auto& [name, m] : c.items()) {
      double drift = std::fabs(m.value("coverage", 0.0) - m.value("nominal_coverage", 0.0));
      ok = ok && drift <= G_.calibration_drift;
      detail += (detail.empty() ? "" : ", ") + name + " " + F(m.value("coverage", 0.0)) + "/" +
                F(m.value("nominal_coverage", 0.0));
    }
    Gate("confidence calibration drift", ok, "interval coverage/nominal: " + detail);
  }
}

// ---- 4. held-out engine runs: leave source repositories out, per strategy
void EvalRun::HeldOutEngine() {
  if (!opt_.held_out_engine) return;
  std::vector<int> fold = RepoFolds(*ts_, opt_.folds);
  const bool retrain = CanRetrain(cand_);
  M_["held_out_engine_mode"] = retrain ? "retrained per fold with the candidate's recipe"
                                       : "candidate artifacts as they are (no recipe in the artifacts)";
  HeldOut h;
  if (!opt_.runs_path.empty()) h.runs_out.open(opt_.runs_path, std::ios::binary | std::ios::trunc);
  for (int f = 0; f < opt_.folds; ++f)
    if (!HeldOutFold(f, fold, retrain, &h)) break;
  json he = HeldOutSummary(h);
  M_["held_out_engine"] = he;
  M_["held_out_engine_skipped"] = h.skipped;
  if (retrain) {
    M_["held_out_ranking"] = {{"candidate_recipe", h.rank_cand.ToJson()}, {"hybrid", h.rank_hybrid.ToJson()}};
    M_["held_out_lr_interval_coverage"] = h.cov_lr.ToJson();
    double c = RankingStats::Value(h.rank_cand.ndcg), hy = RankingStats::Value(h.rank_hybrid.ndcg);
    Gate("held-out NDCG@5 beats hybrid", c > hy, "candidate recipe " + F(c) + " vs hybrid " + F(hy));
  }
  CalibrationGate(retrain, h);
  const std::string served = cand_.reranker ? "hybrid_ml" : "hybrid";
  double med = he[served]["median_abs_log10_lr_error"].get<double>();
  Gate("learning-rate error bound", med <= G_.lr_error_bound,
       served + ": median |log10(recommended / practitioner's)| " + F(med) + " (bound " + F(G_.lr_error_bound) +
           " = 3x); within 3x: " + F(he[served]["lr_within_3x"]));
}

void EvalRun::RealismAndServedOom() {
  if (!opt_.realism_path.empty()) {
    json realism;
    rep_.gates.push_back(RealismGateFromFile(opt_.realism_path, ts_->corpus_sha256, &realism));
    M_["realism"] = realism;
  }
  M_["served_oom"] = {{"runs", served_runs_}, {"violations", served_oom_}, {"examples", oom_examples_}};
  Gate("served OOM violations = 0", served_oom_ == 0,
       std::to_string(served_oom_) + " of " + std::to_string(served_runs_) +
           " recommendations claim to fit but re-estimate above the limit" +
           (oom_examples_.empty() ? "" : ", e.g. " + oom_examples_.front()));
}

}  // namespace

EvalReport Evaluate(const ArtifactSet& cand, const ArtifactSet* base, const EvalOptions& opt, const Progress& progress) {
  EvalReport rep;
  EvalRun run(cand, base, opt, progress, &rep);
  run.Describe();
  if (!run.LoadData()) return rep;
  run.RankingInCorpus();
  run.PredictorInCorpus();
  run.Golden();
  run.HeldOutEngine();
  run.RealismAndServedOom();
  return rep;
}

std::string EvalReport::Markdown() const {
  std::ostringstream o;
  const json& M = metrics;
  o << "# ftconfig evaluate: " << (passed() ? "PASS" : "FAIL") << "\n\n";
  o << "Candidate: `" << M["candidate"].value("dir", "") << "` (reranker "
    << M["candidate"]["reranker"].dump() << ", " << M["candidate"]["reranker_kind"].dump() << "; predictor "
    << M["candidate"]["hp_predictor"].dump() << ")";
  if (M.contains("baseline")) o << "; baseline: `" << M["baseline"].value("dir", "") << "`";
  o << "\n\n## Gates\n\n| gate | result | detail |\n| --- | --- | --- |\n";
  for (const auto& g : gates) o << "| " << g.name << " | " << (g.passed ? "PASS" : "**FAIL**") << " | " << g.detail << " |\n";
  if (M.contains("ranking_in_corpus")) {
    o << "\n## Ranking (artifacts as they are; leave-one-source-out queries)\n\n"
      << "| method | NDCG@5 | top-1 regret | top-1 OOM violations | top-5 OOM violations | LR within 3x (top-10 median) |\n"
      << "| --- | --- | --- | --- | --- | --- |\n";
    for (const auto& [k, v] : M["ranking_in_corpus"].items())
      o << "| " << k << " | " << F(v["ndcg_at_5"]) << " | " << F(v["top1_regret"]) << " | "
        << F(v["top1_oom_violation_rate"]) << " | " << F(v["top5_oom_violation_rate"]) << " | "
        << F(v["lr_within_3x_top10_median"]) << " |\n";
    o << "\nA production artifact was trained on these queries: read these as a sanity check of the artifact, and "
         "the held-out figures below (or the metrics file beside the artifact) as its accuracy.\n";
  }
  if (M.contains("held_out_ranking")) {
    o << "\n## Ranking, held out (retrained per fold with the candidate's recipe)\n\n| method | NDCG@5 | top-1 regret | top-1 OOM violations |\n| --- | --- | --- | --- |\n";
    for (const auto& [k, v] : M["held_out_ranking"].items())
      o << "| " << k << " | " << F(v["ndcg_at_5"]) << " | " << F(v["top1_regret"]) << " | "
        << F(v["top1_oom_violation_rate"]) << " |\n";
  }
  if (M.contains("predictor_in_corpus")) {
    o << "\n## Hyperparameter predictor (MAE in log space: log10 for the learning rate, log2 otherwise)\n\n"
      << "| target | candidate MAE | coverage / nominal | deterministic MAE | hybrid MAE |";
    bool has_base = M["predictor_in_corpus"].contains("baseline");
    if (has_base) o << " baseline MAE |";
    o << "\n| --- | --- | --- | --- | --- |" << (has_base ? " --- |" : "") << "\n";
    for (const auto& [t, v] : M["predictor_in_corpus"]["candidate"].items()) {
      o << "| " << t << " | " << F(v["mae"]) << " | " << F(v["coverage"], 2) << " / " << F(v["nominal_coverage"], 2)
        << " | " << F(M["predictor_in_corpus"]["deterministic"][t]["mae"]) << " | "
        << F(M["predictor_in_corpus"]["hybrid"][t]["mae"]) << " |";
      if (has_base) o << " " << F(M["predictor_in_corpus"]["baseline"].value(t, json::object())["mae"]) << " |";
      o << "\n";
    }
  }
  if (M.contains("held_out_engine")) {
    o << "\n## Served learning rate on held-out real configs (" << M.value("held_out_engine_mode", "") << ")\n\n"
      << "| strategy | within 3x of the practitioner's | median abs log10 error | runs | strategy that ran |\n"
      << "| --- | --- | --- | --- | --- |\n";
    for (const auto& s : EvaluatedStrategies()) {
      const json& v = M["held_out_engine"][s];
      o << "| " << s << " | " << F(v["lr_within_3x"]) << " | " << F(v["median_abs_log10_lr_error"]) << " | "
        << v["runs"].dump() << " | " << v["strategy_used"].dump() << " |\n";
    }
  }
  if (M.contains("golden")) {
    o << "\n## Golden requests\n\n| strategy | passed | learning rate in band |\n| --- | --- | --- |\n";
    for (const auto& s : EvaluatedStrategies()) {
      const json& v = M["golden"][s];
      o << "| " << s << " | " << v["passed"].dump() << "/" << v["total"].dump() << " | " << F(v["learning_rate_in_band"])
        << " |\n";
    }
    for (const auto& s : EvaluatedStrategies())
      for (const auto& f : M["golden"][s]["failures"]) o << "- " << s << ": " << f.get<std::string>() << "\n";
  }
  o << "\nServed OOM check: " << M["served_oom"].value("violations", 0) << " violations in "
    << M["served_oom"].value("runs", 0) << " recommendations.\n";
  return o.str();
}

}  // namespace ftconfig::cli
