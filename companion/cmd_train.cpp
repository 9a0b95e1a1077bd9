// ftconfig train reranker|hp-predictor: trains a model from the corpus and
// writes a versioned JSON artifact plus a metrics JSON beside it
// (FILE.json -> FILE.metrics.json). Reproducible: same data and seed give
// byte-identical files. Progress goes to stderr; stdout gets a JSON summary.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "model_registry.h"
#include "train_data.h"
#include "train_models.h"

namespace ftconfig::cli {

namespace {

struct TrainOptions {
  std::string data_dir;
  std::string out;
  int seed = 7;
  int folds = 5;
  std::string select = "auto";
  std::string registry;  // registry.json to record the artifact in (production slot)
  bool quiet = false;
  // Model knobs; 0 = the documented default of RerankerOptions / HpOptions.
  int rounds = 0, max_depth = 0;
  double eta = 0, l1 = -1, coverage = 0;
};

std::string MetricsPathFor(const std::string& artifact_path) {
  std::filesystem::path p(artifact_path);
  std::string stem = p.extension() == ".json" ? p.stem().string() : p.filename().string();
  return (p.parent_path() / (stem + ".metrics.json")).string();
}

// indent < 0: compact (artifacts, which the site downloads); else pretty.
Result<bool> WriteJson(const std::string& path, const json& j, int indent = 1) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error{ErrorCode::kInvalidValue, "out", "cannot write \"" + path + "\""};
  out << j.dump(indent) << "\n";
  if (!out) return Error{ErrorCode::kInvalidValue, "out", "cannot write \"" + path + "\""};
  return true;
}

// A format_version 2 registry (model_registry.h): the artifact becomes a new
// candidate version whose other artifacts are the production version's;
// promote it with `ftconfig promote` once its gates were evaluated.
Result<bool> RegisterCandidate(const std::string& registry_path, const std::string& kind,
                               const std::string& artifact_path, const json& artifact, const json& metrics) {
  namespace fs = std::filesystem;
  FTCONFIG_ASSIGN_OR_RETURN(reg, ModelRegistry::Load(registry_path));
  fs::path base = fs::absolute(fs::path(registry_path)).parent_path();
  std::string rel = fs::absolute(fs::path(artifact_path)).lexically_relative(base).generic_string();
  json artifacts = json::object();
  if (const json* prod = reg.Find(reg.Alias("production")))
    for (const auto& [k, a] : (*prod)["artifacts"].items())
      if (k != kind) artifacts[k] = a;
  artifacts[kind] = {{"path", rel}, {"sha256", metrics["artifact_sha256"]}, {"version", artifact["version"]}};
  std::string id = "train-" + Sha256Hex(artifacts.dump()).substr(0, 12);
  json entry = {{"version", id},
                {"stage", "candidate"},
                {"artifacts", artifacts},
                {"metrics", {{kind, metrics.contains("held_out") ? metrics["held_out"] : json(nullptr)}}},
                {"gates", {{"evaluated", false}}}};
  FTCONFIG_ASSIGN_OR_RETURN(added, reg.AddVersion(entry, "ftconfig train " + kind));
  (void)added;
  return reg.Save();
}

// Records the artifact in a registry.json ({format_version, models: [{name,
// kind, version, path, sha256, slot, metrics}]}) as the production model of
// its kind; other entries are kept. `path` is relative to the registry's folder.
Result<bool> Register(const std::string& registry_path, const std::string& kind, const std::string& artifact_path,
                      const json& artifact, const json& metrics) {
  namespace fs = std::filesystem;
  json reg = {{"format_version", 1}, {"models", json::array()}};
  if (std::ifstream probe(registry_path); probe) {
    json j = json::parse(probe, nullptr, false);
    if (j.is_object() && j.value("format_version", 1) >= 2)
      return RegisterCandidate(registry_path, kind, artifact_path, artifact, metrics);
  }
  if (std::ifstream in(registry_path); in) {
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("models") || !j["models"].is_array())
      return Error{ErrorCode::kDataError, "registry", registry_path + " must be a JSON object with a \"models\" array"};
    reg = j;
  }
  fs::path base = fs::absolute(fs::path(registry_path)).parent_path();
  std::string rel = fs::absolute(fs::path(artifact_path)).lexically_relative(base).generic_string();
  json summary = json::object();
  if (kind == "reranker") {
    const json& h = metrics["held_out"];
    const std::string sel = metrics.value("selected", "linear");
    summary = {{"held_out_ndcg_at_5", h[sel]["ndcg_at_5"]},
               {"held_out_ndcg_at_5_hybrid", h["heuristic"]["ndcg_at_5"]},
               {"held_out_top1_oom_violation_rate", h[sel]["top1_oom_violation_rate"]}};
  } else {
    for (const auto& [name, m] : metrics["held_out"].items())
      summary[name] = {{"held_out_mae", m["mae"]["predictor"]}, {"held_out_coverage", m["interval"]["held_out_coverage"]}};
  }
  json entry = {{"name", kind},
                {"kind", kind},
                {"version", artifact["version"]},
                {"path", rel},
                {"sha256", metrics["artifact_sha256"]},
                {"slot", "production"},
                {"metrics", summary}};
  json models = json::array();
  for (const auto& m : reg["models"])
    if (!(m.is_object() && m.value("kind", "") == kind && m.value("slot", "") == "production")) models.push_back(m);
  models.push_back(entry);
  std::sort(models.begin(), models.end(), [](const json& a, const json& b) {
    return a.value("kind", "") + a.value("slot", "") < b.value("kind", "") + b.value("slot", "");
  });
  reg["models"] = models;
  return WriteJson(registry_path, reg);
}

int RunTrain(const std::string& what, const TrainOptions& o, const Context& ctx) {
  const ProgressLog progress(o.quiet);
  if (o.folds < 2 || o.folds > 20) return ReportError({ErrorCode::kInvalidValue, "folds", "--folds must be 2..20"});
  const std::string data_dir = o.data_dir.empty() ? ctx.data_dir : o.data_dir;
  progress("loading " + data_dir);
  auto ts = LoadTrainingSet(data_dir);
  if (!ts.ok()) return ReportError(ts.error());
  progress("corpus: " + std::to_string(ts.value().corpus.records().size()) + " records from " +
           std::to_string(ts.value().repos.size()) + " source repositories");
  const size_t depth = 50;
  auto groups = BuildRankGroups(ts.value(), depth, [&](size_t i, size_t n) {
    progress("ranking groups: " + std::to_string(i) + "/" + std::to_string(n) + " queries");
  });
  Result<TrainedArtifact> trained = Error{ErrorCode::kInternal, "", "not trained"};
  if (what == "reranker") {
    RerankerOptions opt;
    opt.seed = o.seed;
    opt.folds = o.folds;
    opt.depth = depth;
    opt.select = o.select;
    if (o.rounds > 0) opt.rounds = o.rounds;
    if (o.max_depth > 0) opt.max_depth = o.max_depth;
    if (o.eta > 0) opt.eta = o.eta;
    if (o.l1 >= 0) opt.linear.l1 = o.l1;
    trained = TrainReranker(ts.value(), groups, opt, progress);
  } else {
    HpOptions opt;
    opt.seed = o.seed;
    opt.folds = o.folds;
    if (o.rounds > 0) opt.rounds = o.rounds;
    if (o.max_depth > 0) opt.max_depth = o.max_depth;
    if (o.eta > 0) opt.eta = o.eta;
    if (o.coverage > 0) opt.coverage = o.coverage;
    trained = TrainHpPredictor(ts.value(), groups, opt, progress);
  }
  if (!trained.ok()) return ReportError(trained.error());
  const std::string metrics_path = MetricsPathFor(o.out);
  json metrics = trained.value().metrics;
  metrics["artifact_sha256"] = Sha256Hex(trained.value().artifact.dump() + "\n");
  if (auto w = WriteJson(o.out, trained.value().artifact, -1); !w.ok()) return ReportError(w.error());
  if (auto w = WriteJson(metrics_path, metrics); !w.ok()) return ReportError(w.error());
  progress("wrote " + o.out + " and " + metrics_path);
  if (!o.registry.empty()) {
    auto r = Register(o.registry, what == "reranker" ? "reranker" : "hp_predictor", o.out, trained.value().artifact,
                      metrics);
    if (!r.ok()) return ReportError(r.error());
    progress("recorded in " + o.registry + " (format_version 1: production slot; 2: a new candidate version)");
  }
  json summary = {{"artifact", o.out},
                  {"metrics", metrics_path},
                  {"version", trained.value().artifact["version"]},
                  {"sha256", metrics["artifact_sha256"]}};
  if (metrics.contains("selected")) summary["selected"] = metrics["selected"];
  std::cout << summary.dump(2) << std::endl;
  return 0;
}

}  // namespace

void AddTrainCommand(CLI::App& app, Context& ctx) {
  auto* train = app.add_subcommand("train", "Train the reranker or the hyperparameter predictor from the corpus");
  train->require_subcommand(1);
  for (const std::string what : {"reranker", "hp-predictor"}) {
    auto opts = std::make_shared<TrainOptions>();
    auto* cmd = train->add_subcommand(
        what, what == "reranker" ? "Learning-to-rank model over pairwise features (linear or XGBoost rank:ndcg)"
                                 : "Per-target XGBoost regressors with residual-quantile intervals");
    cmd->add_option("--data", opts->data_dir, "Data folder with catalog/ and corpus/ (default: --data-dir)");
    cmd->add_option("--out", opts->out, "Artifact path (FILE.json; metrics go to FILE.metrics.json)")->required();
    cmd->add_option("--seed", opts->seed, "Random seed (default 7)");
    cmd->add_option("--folds", opts->folds, "Cross-validation folds, grouped by source repository (default 5)");
    if (what == "reranker")
      cmd->add_option("--select", opts->select, "auto | linear | trees (default auto: best held-out NDCG@5)")
          ->check(CLI::IsMember({"auto", "linear", "trees"}));
    cmd->add_option("--rounds", opts->rounds, "Boosting rounds (default: see docs/ranking.md)");
    cmd->add_option("--max-depth", opts->max_depth, "Tree depth");
    cmd->add_option("--eta", opts->eta, "Learning rate of the boosting");
    if (what == "reranker") cmd->add_option("--l1", opts->l1, "L1 penalty of the linear model");
    if (what == "hp-predictor")
      cmd->add_option("--coverage", opts->coverage, "Nominal coverage of the prediction intervals (default 0.5)")
          ->check(CLI::Range(0.05, 0.99));
    cmd->add_option("--registry", opts->registry,
                    "Also record the artifact as the production model in this registry.json");
    cmd->add_flag("--quiet", opts->quiet, "No progress on stderr");
    cmd->callback([opts, what, &ctx]() { ctx.exit_code = RunGuarded([&] { return RunTrain(what, *opts, ctx); }); });
  }
}

}  // namespace ftconfig::cli
