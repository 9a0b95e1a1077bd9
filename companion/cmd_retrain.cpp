// ftconfig retrain check | run: when to retrain, and retraining from the
// corpus plus telemetry into a gated candidate version (docs/retraining.md).
//
// check: exit 0 no trigger, 10 retraining triggered, 2 bad input.
// run:   exit 0 candidate registered and its gates passed, 1 registered but a
//        gate failed (it cannot be promoted), 2 bad input.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "calibration_fit.h"
#include "data_files.h"
#include "eval_harness.h"
#include "model_registry.h"
#include "retrain.h"
#include "telemetry_store.h"
#include "train_data.h"
#include "train_models.h"

namespace fs = std::filesystem;

namespace ftconfig::cli {

namespace {

constexpr int kExitTrigger = 10;

struct RetrainOptions {
  std::string store, registry, data_dir, summary, now;
  CheckOptions check;
  // run
  std::string version, report, golden, reason;
  int seed = 7, folds = 5, min_calibration_runs = 5;
  bool no_held_out = false, quiet = false;
};

std::string RegistryPath(const RetrainOptions& o, const Context& ctx) {
  if (!o.registry.empty()) return o.registry;
  return (ctx.models_dir.empty() ? std::string("models") : ctx.models_dir) + "/registry.json";
}

// When the served models were trained: the production version's
// training.trained_at, else its created_at; nullopt when unknown. Only a
// promotion moves this clock: a candidate that failed its gates never served,
// so the runs since production's training are still new.
std::optional<double> LastTraining(const ModelRegistry& reg) {
  const json* p = reg.Find(reg.Alias("production"));
  if (!p) return std::nullopt;
  if (p->contains("training") && (*p)["training"].is_object()) {
    const json& t = (*p)["training"];
    if (t.contains("trained_at") && t["trained_at"].is_string())
      if (auto at = ParseUtc(t["trained_at"])) return at;
  }
  if (p->contains("created_at") && (*p)["created_at"].is_string()) return ParseUtc((*p)["created_at"]);
  return std::nullopt;
}

Result<Calibration> ProductionCalibration(const ModelRegistry& reg) { return VersionCalibration(reg, "production"); }

Result<bool> WriteText(const fs::path& p, const std::string& text) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return Error{ErrorCode::kInvalidValue, p.string(), "cannot write \"" + p.string() + "\""};
  return true;
}

struct Loaded {
  std::unique_ptr<ModelRegistry> registry;
  std::vector<MeasuredRun> runs;
  Catalog catalog;
  std::string data_dir;
};

Result<Loaded> LoadInputs(const RetrainOptions& o, const Context& ctx, bool calibrated) {
  Loaded l;
  l.data_dir = o.data_dir.empty() ? ctx.data_dir : o.data_dir;
  FTCONFIG_ASSIGN_OR_RETURN(reg, ModelRegistry::Load(RegistryPath(o, ctx)));
  l.registry = std::make_unique<ModelRegistry>(std::move(reg));
  std::string store = o.store.empty() ? telemetry::DefaultStorePath() : o.store;
  FTCONFIG_ASSIGN_OR_RETURN(runs, ReadMeasuredRuns(store));
  FTCONFIG_ASSIGN_OR_RETURN(catalog, LoadCatalog(l.data_dir));
  l.catalog = std::move(catalog);
  Calibration cal;
  if (calibrated) {
    FTCONFIG_ASSIGN_OR_RETURN(c, ProductionCalibration(*l.registry));
    cal = c;
  }
  for (auto& r : runs) Reestimate(&r, l.catalog, cal);
  l.runs = std::move(runs);
  return l;
}

int RunCheck(const RetrainOptions& o, const Context& ctx) {
  if (o.check.min_new_runs < 1) return ReportError({ErrorCode::kInvalidValue, "--min-new-runs", "must be at least 1"});
  if (o.check.min_runs < 1) return ReportError({ErrorCode::kInvalidValue, "--min-runs", "must be at least 1"});
  for (auto [v, name] : {std::pair<double, const char*>{o.check.max_memory_error, "--max-memory-error"},
                         {o.check.max_time_error, "--max-time-error"},
                         {o.check.max_oom_rate, "--max-oom-rate"},
                         {o.check.max_age_days, "--max-age-days"}})
    if (!(v >= 0)) return ReportError({ErrorCode::kInvalidValue, name, std::string(name) + " must be >= 0"});
  CheckOptions co = o.check;
  if (!o.now.empty()) {
    co.now = ParseUtc(o.now);
    if (!co.now) return ReportError({ErrorCode::kInvalidValue, "--now", "--now must be an ISO 8601 UTC time"});
  }
  auto l = LoadInputs(o, ctx, /*calibrated=*/true);
  if (!l.ok()) return ReportError(l.error());
  auto last = LastTraining(*l.value().registry);
  json report = CheckTriggers(l.value().runs, last, co);
  report["production"] = l.value().registry->Alias("production");
  report["last_training"] = last ? json(IsoUtc(*last)) : json(nullptr);
  report["store"] = o.store.empty() ? telemetry::DefaultStorePath() : o.store;
  report["registry"] = l.value().registry->path();
  std::string md = CheckMarkdown(report);
  if (!o.summary.empty()) {
    if (auto w = WriteText(o.summary, md); !w.ok()) return ReportError({ErrorCode::kInvalidValue, "--summary", w.error().message});
  } else if (const char* gh = std::getenv("GITHUB_STEP_SUMMARY"); gh && *gh) {
    std::ofstream out(gh, std::ios::app);
    out << md << "\n";
  }
  std::cout << report.dump(2) << std::endl;
  return report["trigger"].get<bool>() ? kExitTrigger : 0;
}

// A version id from the UTC time and a digest: r20260501T120000-abcdef.
std::string NewVersionId(const std::string& prefix, const std::string& trained_at, const std::string& digest_of) {
  std::string stamp = trained_at;
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }), stamp.end());
  return prefix + stamp.substr(0, 15) + "-" + Sha256Hex(digest_of).substr(0, 6);
}

json RerankerSummary(const json& metrics) {
  const json& h = metrics["held_out"];
  const std::string sel = metrics.value("selected", "linear");
  return {{"held_out_ndcg_at_5", h[sel]["ndcg_at_5"]},
          {"held_out_ndcg_at_5_hybrid", h["heuristic"]["ndcg_at_5"]},
          {"held_out_top1_oom_violation_rate", h[sel]["top1_oom_violation_rate"]}};
}

json PredictorSummary(const json& metrics) {
  json s = json::object();
  for (const auto& [name, m] : metrics["held_out"].items())
    s[name] = {{"held_out_mae", m["mae"]["predictor"]}, {"held_out_coverage", m["interval"]["held_out_coverage"]}};
  return s;
}

namespace {

std::optional<Error> CheckRetrainOptions(const RetrainOptions& o) {
  if (o.folds < 2 || o.folds > 20) return Error{ErrorCode::kInvalidValue, "--folds", "--folds must be 2..20"};
  if (o.min_calibration_runs < 1) return Error{ErrorCode::kInvalidValue, "--min-calibration-runs", "must be at least 1"};
  return std::nullopt;
}

std::optional<Error> CheckNewVersion(const RetrainOptions& o, const ModelRegistry& reg) {
  if (!o.version.empty() && !ValidId(o.version))
    return Error{ErrorCode::kInvalidValue, "--version",
                 "\"" + o.version + "\" is not a valid version id (1-80 characters of A-Z a-z 0-9 . _ -)"};
  if (!o.version.empty() && reg.Find(o.version))
    return Error{ErrorCode::kInvalidValue, "--version", "version \"" + o.version + "\" exists: versions are immutable"};
  return std::nullopt;
}

// 1. Corpus + telemetry in a scratch data folder (the trainers read a folder):
// the bundled corpus files, the telemetry rows as one more file, the catalog linked.
std::optional<Error> PrepareScratch(const std::string& data_dir, const std::string& telemetry_rows,
                                    const fs::path& scratch) {
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch / "corpus", ec);
  fs::create_directory_symlink(fs::absolute(fs::path(data_dir) / "catalog"), scratch / "catalog", ec);
  if (ec) return Error{ErrorCode::kInvalidValue, "--data", "cannot prepare " + scratch.string() + ": " + ec.message()};
  FTCONFIG_ASSIGN_OR_RETURN(sources, ReadCorpusFiles(data_dir));
  for (const auto& s : sources)
    if (auto w = WriteText(scratch / "corpus" / s.name, s.jsonl); !w.ok()) return w.error();
  if (!telemetry_rows.empty())
    if (auto w = WriteText(scratch / "corpus" / "real_world_zz_telemetry.jsonl", telemetry_rows); !w.ok())
      return w.error();
  return std::nullopt;
}

struct TrainedModels {
  TrainedArtifact reranker, predictor;
  std::string rr_text, hp_text;  // the artifacts as written
};

// 2. Both models, with the existing trainers.
Result<TrainedModels> TrainModels(const TrainingSet& ts, const RetrainOptions& o, const Progress& progress) {
  const size_t depth = 50;
  auto groups = BuildRankGroups(ts, depth);
  RerankerOptions ro;
  ro.seed = o.seed;
  ro.folds = o.folds;
  ro.depth = depth;
  FTCONFIG_ASSIGN_OR_RETURN(reranker, TrainReranker(ts, groups, ro, progress));
  HpOptions ho;
  ho.seed = o.seed;
  ho.folds = o.folds;
  FTCONFIG_ASSIGN_OR_RETURN(predictor, TrainHpPredictor(ts, groups, ho, progress));
  TrainedModels m{std::move(reranker), std::move(predictor), "", ""};
  m.rr_text = m.reranker.artifact.dump() + "\n";
  m.hp_text = m.predictor.artifact.dump() + "\n";
  return m;
}

// 4. The version's folder (immutable: a fresh one per version) and its
// artifacts; returns the registry's "artifacts" entry.
Result<json> WriteVersionArtifacts(const ModelRegistry& reg, const std::string& id, const TrainedModels& m,
                                   const json& calibration, const Progress& progress) {
  const fs::path rel_dir = fs::path("versions") / id;
  const fs::path dir = fs::path(reg.dir()) / rel_dir;
  if (reg.Find(id))
    return Error{ErrorCode::kInvalidValue, "--version", "version \"" + id + "\" exists: versions are immutable"};
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    // Not registered (and the registry is locked): a killed run's leftover, which must not block the id.
    fs::remove_all(dir, ec);
    if (ec) return Error{ErrorCode::kInvalidValue, "--version", "cannot remove " + dir.string() + ": " + ec.message()};
    progress("removed " + dir.string() + ", left unregistered by an interrupted run");
  }
  json artifacts = json::object();
  auto put = [&](const std::string& kind, const std::string& text, const json& artifact, json metrics) -> Result<bool> {
    FTCONFIG_ASSIGN_OR_RETURN(w, WriteText(dir / (kind + ".json"), text));
    (void)w;
    std::string sha = Sha256Hex(text);
    if (!metrics.is_null()) {
      metrics["artifact_sha256"] = sha;
      FTCONFIG_ASSIGN_OR_RETURN(w2, WriteText(dir / (kind + ".metrics.json"), metrics.dump(1) + "\n"));
      (void)w2;
    }
    artifacts[kind] = {{"path", (rel_dir / (kind + ".json")).generic_string()},
                       {"sha256", sha},
                       {"version", artifact.value("version", id)}};
    return true;
  };
  if (auto w = put("reranker", m.rr_text, m.reranker.artifact, m.reranker.metrics); !w.ok()) return w.error();
  if (auto w = put("hp_predictor", m.hp_text, m.predictor.artifact, m.predictor.metrics); !w.ok()) return w.error();
  if (!calibration.is_null())
    if (auto w = put("calibration", calibration.dump(1) + "\n", calibration, nullptr); !w.ok()) return w.error();
  progress("wrote " + dir.string());
  return artifacts;
}

struct GateOutcome {
  bool passed = false;
  json gates = json::array();
  std::string baseline;  // the production version gated against; "" for the hybrid baseline
};

// 5. Gates: the existing harness, candidate against the current production
// (a new calibration adds its own); the reports are written beside the artifacts.
Result<GateOutcome> GateVersion(const RetrainOptions& o, const ModelRegistry& reg, const std::string& registry_path,
                                const std::string& data_dir, const fs::path& scratch, const fs::path& dir,
                                const CalibrationCandidate& cal_cand, const Progress& progress) {
  FTCONFIG_ASSIGN_OR_RETURN(cand, LoadArtifactSet(dir.string()));
  std::optional<ArtifactSet> base;
  GateOutcome out;
  out.baseline = reg.Alias("production");
  if (!out.baseline.empty()) {
    FTCONFIG_ASSIGN_OR_RETURN(b, LoadArtifactSet(reg.dir(), registry_path));
    base = std::move(b);
  }
  EvalOptions eo;
  eo.data_dir = scratch.string();
  eo.golden_path = o.golden.empty() ? data_dir + "/golden/requests.jsonl" : o.golden;
  if (o.golden.empty() && !std::ifstream(eo.golden_path)) eo.golden_path.clear();
  eo.held_out_engine = !o.no_held_out;
  eo.folds = o.folds;
  progress("evaluating the gates against " + (out.baseline.empty() ? std::string("the hybrid baseline") : out.baseline));
  EvalReport rep = Evaluate(cand, base ? &*base : nullptr, eo, progress);
  for (const auto& g : rep.gates) out.gates.push_back({{"name", g.name}, {"passed", g.passed}, {"detail", g.detail}});
  // A new calibration has gates of its own (held-out telemetry runs); a
  // carried one was gated when it was made.
  out.passed = rep.passed();
  if (!cal_cand.artifact.is_null())
    for (const auto& g : cal_cand.gates) {
      out.gates.push_back(g);
      out.passed = out.passed && g["passed"].get<bool>();
    }
  if (auto w = WriteText(dir / "evaluation.md", rep.Markdown()); !w.ok()) return w.error();
  const json evaluation = {{"passed", out.passed}, {"gates", out.gates}, {"metrics", rep.metrics}, {"calibration", cal_cand.scores}};
  if (auto w = WriteText(dir / "evaluation.json", evaluation.dump(1) + "\n"); !w.ok()) return w.error();
  if (!o.report.empty())
    if (auto w = WriteText(o.report, rep.Markdown()); !w.ok())
      return Error{ErrorCode::kInvalidValue, "--report", w.error().message};
  return out;
}

}  // namespace

int RunRetrain(const RetrainOptions& o, const Context& ctx) {
  const ProgressLog progress(o.quiet);
  if (auto e = CheckRetrainOptions(o)) return ReportError(*e);
  const std::string registry_path = RegistryPath(o, ctx);
  RegistryLock lock(registry_path);
  // Uncalibrated estimates: the calibration artifact is absolute.
  auto loaded = LoadInputs(o, ctx, /*calibrated=*/false);
  if (!loaded.ok()) return ReportError(loaded.error());
  Loaded& l = loaded.value();
  ModelRegistry& reg = *l.registry;
  if (auto e = CheckNewVersion(o, reg)) return ReportError(*e);

  // 1. Corpus + telemetry in a scratch data folder.
  std::vector<std::pair<std::string, bool>> outcomes;
  const std::string telemetry_rows = RunsAsCorpusJsonl(l.runs, &outcomes);
  RemoveLeftoversOfDeadProcesses(fs::temp_directory_path().string(), "ftconfig-retrain-");  // killed runs' copies
  fs::path scratch = fs::temp_directory_path() / ("ftconfig-retrain-" + std::to_string(::getpid()));
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{scratch};
  if (auto e = PrepareScratch(l.data_dir, telemetry_rows, scratch)) return ReportError(*e);
  // The run outcomes label the reranker's training AND its gates: the
  // evaluation below rebuilds its groups from the same rows, and must grade
  // them the same way (cleared only when this function returns).
  SetMeasuredOutcomes(outcomes);
  struct ClearOutcomes {
    ~ClearOutcomes() { SetMeasuredOutcomes({}); }
  } clear_outcomes;
  progress("telemetry: " + std::to_string(l.runs.size()) + " completed runs, " + std::to_string(outcomes.size()) +
           " usable as labelled corpus rows");

  // 2. Train both models.
  auto ts = LoadTrainingSet(scratch.string());
  if (!ts.ok()) return ReportError(ts.error());
  progress("corpus + telemetry: " + std::to_string(ts.value().corpus.records().size()) + " records");
  auto models = TrainModels(ts.value(), o, progress);
  if (!models.ok()) return ReportError(models.error());
  const TrainedModels& m = models.value();

  // 3. Calibration of the time (and, when telemetry shows a systematic
  // under-estimate, memory) model.
  const std::string trained_at = UtcNow();
  const std::string id = o.version.empty() ? NewVersionId("r", trained_at, m.rr_text + m.hp_text) : o.version;
  auto prod_cal = ProductionCalibration(reg);
  if (!prod_cal.ok()) return ReportError(prod_cal.error());
  CalibrationFitOptions fo;
  fo.min_runs = o.min_calibration_runs;
  fo.version = "calibration-" + id;
  CalibrationCandidate cal_cand = TrainCalibration(l.runs, prod_cal.value(), fo);
  json calibration = cal_cand.artifact;
  // Too few runs for a new calibration: production's is carried unchanged,
  // so a smaller or pruned store never resets the correction.
  if (calibration.is_null() && prod_cal.value().loaded()) calibration = json::parse(prod_cal.value().ToArtifact());

  // 4. Write the version's artifacts; 5. gate them.
  auto artifacts = WriteVersionArtifacts(reg, id, m, calibration, progress);
  if (!artifacts.ok()) return ReportError(artifacts.error());
  const fs::path rel_dir = fs::path("versions") / id;
  auto gated = GateVersion(o, reg, registry_path, l.data_dir, scratch, fs::path(reg.dir()) / rel_dir, cal_cand, progress);
  if (!gated.ok()) return ReportError(gated.error());
  const GateOutcome& g = gated.value();

  // 6. Register the candidate.
  std::string last_run;
  for (const auto& r : l.runs) last_run = r.completed_at_text;
  json entry = {{"version", id},
                {"stage", "candidate"},
                {"created_at", trained_at},
                {"artifacts", artifacts.value()},
                {"metrics",
                 {{"reranker", RerankerSummary(m.reranker.metrics)},
                  {"hp_predictor", PredictorSummary(m.predictor.metrics)},
                  {"calibration", calibration.is_null() ? json(nullptr) : calibration}}},
                {"gates",
                 {{"evaluated", true},
                  {"passed", g.passed},
                  {"results", g.gates},
                  {"baseline", g.baseline.empty() ? json(nullptr) : json(g.baseline)},
                  {"held_out_engine", !o.no_held_out},
                  {"held_out", !o.no_held_out},
                  {"evaluated_at", UtcNow()},
                  {"report", (rel_dir / "evaluation.md").generic_string()}}},
                {"training",
                 {{"trained_at", trained_at},
                  {"seed", o.seed},
                  {"folds", o.folds},
                  {"corpus_records", ts.value().corpus.records().size()},
                  {"telemetry_runs", l.runs.size()},
                  {"telemetry_rows", outcomes.size()},
                  {"telemetry_until", last_run.empty() ? json(nullptr) : json(last_run)}}}};
  if (auto a = reg.AddVersion(entry, o.reason.empty() ? "ftconfig retrain run" : o.reason); !a.ok())
    return ReportError(a.error());
  if (auto w = reg.Save(); !w.ok()) return ReportError(w.error());
  progress(std::string("registered ") + id + " as a candidate; gates " + (g.passed ? "passed" : "FAILED"));
  for (const auto& r : g.gates)
    if (!r["passed"].get<bool>())
      std::cerr << "ftconfig retrain run: gate failed: " << r["name"].get<std::string>() << ": "
                << r["detail"].get<std::string>() << std::endl;
  std::cout << json{{"version", id},
                    {"stage", "candidate"},
                    {"gates_passed", g.passed},
                    {"gates", g.gates},
                    {"artifacts", artifacts.value()},
                    {"calibration", calibration},
                    {"telemetry_rows", outcomes.size()},
                    {"registry", reg.path()}}
                   .dump(2)
            << std::endl;
  return g.passed ? 0 : 1;
}

// ftconfig retrain calibrate: the calibration alone, as a version whose
// reranker and predictor are production's (docs/retraining.md).
int RunCalibrate(const RetrainOptions& o, const Context& ctx) {
  if (o.min_calibration_runs < 1)
    return ReportError({ErrorCode::kInvalidValue, "--min-calibration-runs", "must be at least 1"});
  const std::string registry_path = RegistryPath(o, ctx);
  RegistryLock lock(registry_path);
  auto loaded = LoadInputs(o, ctx, /*calibrated=*/false);
  if (!loaded.ok()) return ReportError(loaded.error());
  ModelRegistry& reg = *loaded.value().registry;
  const json* prod = reg.Find(reg.Alias("production"));
  if (!prod) return ReportError({ErrorCode::kInvalidValue, "--registry", "the registry has no production version"});
  if (!o.version.empty() && (!ValidId(o.version) || reg.Find(o.version)))
    return ReportError({ErrorCode::kInvalidValue, "--version", "\"" + o.version + "\" is not a new valid version id"});
  auto prod_cal = ProductionCalibration(reg);
  if (!prod_cal.ok()) return ReportError(prod_cal.error());
  const std::string trained_at = UtcNow();
  CalibrationFitOptions fo;
  fo.min_runs = o.min_calibration_runs;
  CalibrationCandidate cand = TrainCalibration(loaded.value().runs, prod_cal.value(), fo);
  if (cand.artifact.is_null()) {
    std::cout << json{{"version", nullptr}, {"gates_passed", false}, {"gates", cand.gates}}.dump(2) << std::endl;
    return 1;
  }
  const std::string id = o.version.empty() ? NewVersionId("c", trained_at, cand.artifact.dump()) : o.version;
  cand.artifact["version"] = "calibration-" + id;
  const std::string text = cand.artifact.dump(1) + "\n";
  const fs::path rel = fs::path("versions") / id / "calibration.json";
  std::error_code ec;
  if (fs::exists(fs::path(reg.dir()) / rel.parent_path(), ec))
    return ReportError({ErrorCode::kInvalidValue, "--version", rel.parent_path().string() + " exists: versions are immutable"});
  if (auto w = WriteText(fs::path(reg.dir()) / rel, text); !w.ok()) return ReportError(w.error());
  json artifacts = (*prod)["artifacts"];
  artifacts["calibration"] = {{"path", rel.generic_string()}, {"sha256", Sha256Hex(text)}, {"version", "calibration-" + id}};
  std::string last_run;
  for (const auto& r : loaded.value().runs) last_run = r.completed_at_text;
  json entry = {{"version", id},
                {"stage", "candidate"},
                {"created_at", trained_at},
                {"artifacts", artifacts},
                {"metrics", {{"calibration", cand.scores}}},
                {"gates",
                 {{"evaluated", true},
                  {"passed", cand.passed},
                  {"results", cand.gates},
                  {"baseline", reg.Alias("production")},
                  {"held_out", true},
                  {"kind", "calibration"},
                  {"evaluated_at", UtcNow()}}},
                {"training",
                 {{"trained_at", trained_at},
                  {"kind", "calibration"},
                  {"models_from", reg.Alias("production")},
                  {"telemetry_runs", loaded.value().runs.size()},
                  {"telemetry_until", last_run.empty() ? json(nullptr) : json(last_run)}}}};
  if (auto a = reg.AddVersion(entry, o.reason.empty() ? "ftconfig retrain calibrate" : o.reason); !a.ok())
    return ReportError(a.error());
  if (auto w = reg.Save(); !w.ok()) return ReportError(w.error());
  for (const auto& g : cand.gates)
    if (!g["passed"].get<bool>())
      std::cerr << "ftconfig retrain calibrate: gate failed: " << g["name"].get<std::string>() << ": "
                << g["detail"].get<std::string>() << std::endl;
  std::cout << json{{"version", id},     {"stage", "candidate"},   {"gates_passed", cand.passed},
                    {"gates", cand.gates}, {"scores", cand.scores}, {"registry", reg.path()}}
                   .dump(2)
            << std::endl;
  return cand.passed ? 0 : 1;
}

json EstimateFigures(const MemoryEstimate& m, const std::optional<ThroughputEstimate>& t) {
  return {{"peak_gb", Round4(m.peak_gb)},
          {"reserved_gb", Round4(m.reserved_gb)},
          {"max_allocated_gb", Round4(m.max_allocated_gb)},
          {"tokens_per_sec", t ? json(Round4(t->tokens_per_sec)) : json(nullptr)}};
}

// One answer line: the recommendation of a run_start (or of {"recommendation":
// ...}) re-estimated without and with the served calibration.
json ReestimateLine(const json& event, const Catalog& catalog, const Calibration& served) {
  if (!event.is_object()) return {{"error", "not a JSON object"}};
  const json rec = event.contains("recommendation") ? event["recommendation"] : json(nullptr);
  Reestimation r = ReestimateRecommendation(rec, catalog);
  const Calibration cal = served.ForContext({r.family, r.framework, r.gpu_class});
  json out = {{"run_id", event.value("run_id", json(nullptr))},
              {"family", r.family},
              {"gpu_class", r.gpu_class},
              {"gpu_usable_gb", r.gpu_usable_gb},
              {"error", r.error.empty() ? json(nullptr) : json(r.error)}};
  if (!r.memory) return out;
  out["uncalibrated"] = EstimateFigures(*r.memory, r.throughput);
  MemoryEstimate m = *r.memory;
  cal.ApplyMemory(&m);
  std::optional<ThroughputEstimate> t = r.throughput;
  if (t) cal.ApplyThroughput(&*t);
  out["calibrated"] = EstimateFigures(m, t);
  out["calibration"] = cal.loaded() ? json(cal.version) : json(nullptr);
  out["calibration_context"] = cal.context.empty() ? json(nullptr) : json(cal.context);
  out["guard_gb"] = cal.GuardPeakGb(m) > 0 ? json(Round4(cal.GuardPeakGb(m))) : json(nullptr);
  return out;
}

int RunReestimate(const std::string& input, const Context& ctx) {
  auto text = ReadInput(input, "input");
  if (!text.ok()) return ReportError(text.error());
  auto catalog = LoadCatalog(ctx.data_dir);
  if (!catalog.ok()) return ReportError(catalog.error());
  auto served = ReadCalibration(ctx.models_dir);
  if (!served.ok()) return ReportError(served.error());
  std::istringstream lines(text.value());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json event = json::parse(line, nullptr, false);
    std::cout << ReestimateLine(event, catalog.value(), served.value()).dump() << "\n";
  }
  std::cout.flush();
  return 0;
}

void AddCommon(CLI::App* cmd, RetrainOptions* o) {
  cmd->add_option("--store", o->store, "Telemetry store (default: $FTCONFIG_TELEMETRY_STORE or the user's store)");
  cmd->add_option("--registry", o->registry, "Model registry (default: MODELS_DIR/registry.json)");
  cmd->add_option("--data", o->data_dir, "Data folder with catalog/ and corpus/ (default: --data-dir)");
}

}  // namespace

void AddRetrainCommand(CLI::App& app, Context& ctx) {
  auto* retrain = app.add_subcommand("retrain", "Retraining triggers and retraining from corpus + telemetry");
  retrain->require_subcommand(1);
  {
    auto o = std::make_shared<RetrainOptions>();
    auto* cmd = retrain->add_subcommand("check", "Should the models be retrained? Exit 10 when a trigger fires");
    AddCommon(cmd, o.get());
    cmd->add_option("--min-new-runs", o->check.min_new_runs, "Completed runs since the last training (default 50)");
    cmd->add_option("--max-memory-error", o->check.max_memory_error,
                    "Median |estimate/measured - 1| of peak memory (default 0.20)");
    cmd->add_option("--max-time-error", o->check.max_time_error, "Median training-time error (default 0.20)");
    cmd->add_option("--max-oom-rate", o->check.max_oom_rate, "Share of runs ending in OOM (default 0.10)");
    cmd->add_option("--max-age-days", o->check.max_age_days, "Days since the last training (default 30)");
    cmd->add_option("--min-runs", o->check.min_runs, "Runs needed before drift and OOM rate count (default 5)");
    cmd->add_option("--summary", o->summary, "Write the markdown summary here (default: append to $GITHUB_STEP_SUMMARY)");
    cmd->add_option("--now", o->now, "Evaluate as of this UTC time (ISO 8601)")->group("");
    cmd->callback([o, &ctx]() { ctx.exit_code = RunGuarded([&] { return RunCheck(*o, ctx); }); });
  }
  {
    auto o = std::make_shared<RetrainOptions>();
    auto* cmd = retrain->add_subcommand(
        "run", "Train a candidate (reranker, HP predictor, calibration) on corpus + telemetry, gate it, register it");
    AddCommon(cmd, o.get());
    cmd->add_option("--version", o->version, "Version id (default: r<UTC time>-<digest>)");
    cmd->add_option("--seed", o->seed, "Random seed (default 7)");
    cmd->add_option("--folds", o->folds, "Cross-validation folds (default 5)");
    cmd->add_option("--min-calibration-runs", o->min_calibration_runs,
                    "Successful measured runs needed to calibrate (default 5)");
    cmd->add_option("--golden", o->golden, "Golden requests (default: DATA/golden/requests.jsonl)");
    cmd->add_option("--report", o->report, "Also write the evaluation markdown here");
    cmd->add_option("--reason", o->reason, "Recorded in the registry history");
    cmd->add_flag("--no-held-out", o->no_held_out, "Skip the held-out engine runs of the evaluation (faster)");
    cmd->add_flag("--quiet", o->quiet, "No progress on stderr");
    cmd->callback([o, &ctx]() { ctx.exit_code = RunGuarded([&] { return RunRetrain(*o, ctx); }); });
  }
  {
    auto o = std::make_shared<RetrainOptions>();
    auto* cmd = retrain->add_subcommand(
        "calibrate", "Fit the telemetry calibration alone, gate it on held-out runs, register it as a candidate");
    AddCommon(cmd, o.get());
    cmd->add_option("--version", o->version, "Version id (default: c<UTC time>-<digest>)");
    cmd->add_option("--min-calibration-runs", o->min_calibration_runs, "Measured runs needed to calibrate (default 5)");
    cmd->add_option("--reason", o->reason, "Recorded in the registry history");
    cmd->callback([o, &ctx]() { ctx.exit_code = RunGuarded([&] { return RunCalibrate(*o, ctx); }); });
  }
  {
    auto input = std::make_shared<std::string>("-");
    auto* cmd = retrain->add_subcommand(
        "reestimate", "Re-estimate run_start recommendations (JSONL) without and with the served calibration");
    cmd->add_option("input", *input, "JSONL of run_start events (default: stdin)");
    cmd->callback([input, &ctx]() { ctx.exit_code = RunGuarded([&] { return RunReestimate(*input, ctx); }); });
  }
}

}  // namespace ftconfig::cli
