// ftconfig realism [--json FILE] [--markdown FILE] [--runs FILE] [--gate]:
// the leave-one-source-out realism evaluation (realism.h, docs/realism.md).
// Exit 0: done (and, with --gate, the release gate passed); 1: --gate and the
// gate failed; 2: bad input. stdout: the metrics JSON unless --json is given.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "data_files.h"
#include "realism.h"

namespace ftconfig::cli {

namespace {

struct RealismCmdOptions {
  std::string data_dir, json_out, markdown_out, runs_out;
  bool gate = false, no_artifacts = false, as_is = false, quiet = false;
};

Result<std::ofstream> OpenOut(const std::string& path, const char* field) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error{ErrorCode::kInvalidValue, field, "cannot write \"" + path + "\""};
  return out;
}

int Run(const RealismCmdOptions& o, const Context& ctx) {
  const std::string data_dir = o.data_dir.empty() ? ctx.data_dir : o.data_dir;
  ProgressLog progress(o.quiet);
  progress("realism: loading " + data_dir);
  auto ts = LoadTrainingSet(data_dir);
  if (!ts.ok()) return ReportError(ts.error());
  // Catalog and the served artifacts (the registry's production slot, as
  // `ftconfig recommend` loads them); each fold replaces the corpus.
  auto base = ReadEngineData(data_dir, o.no_artifacts ? "" : ctx.models_dir);
  if (!base.ok()) return ReportError(base.error());
  EngineData data = std::move(base).value();
  data.corpus_snapshot_json.clear();  // each fold builds its engine from its own rows:
  data.corpus_snapshot_binary.clear();  // a snapshot would hold the held-out source too
  RealismOptions ro;
  ro.strategies = {"auto", "deterministic", "hybrid"};
  if (!data.reranker_json.empty()) ro.strategies.push_back("hybrid_ml");
  std::ofstream runs;
  if (!o.runs_out.empty()) {
    auto r = OpenOut(o.runs_out, "runs");
    if (!r.ok()) return ReportError(r.error());
    runs = std::move(r).value();
    ro.runs = &runs;
  }
  // Artifacts trained by `ftconfig train` are retrained on each fold's
  // training repositories with their own recipe: as they are, they have seen
  // the held-out rows.
  std::optional<ArtifactSet> recipes;
  if (!data.reranker_json.empty() && !o.as_is) {
    auto set = LoadArtifactSet(ctx.models_dir);
    if (set.ok() && CanRetrain(set.value())) recipes = std::move(set).value();
  }
  const TrainingSet& set = ts.value();
  EngineFactory factory = [&](const std::vector<CorpusSource>& sources, const std::string& held_out) {
    EngineData d = data;
    d.corpus = sources;
    if (recipes) {
      auto fa = RetrainArtifacts(set, *recipes, [&](size_t i) { return set.repos[set.repo_of[i]] != held_out; });
      if (!fa.ok()) return Result<std::shared_ptr<const Engine>>(fa.error());
      d.reranker_json = fa.value().reranker.dump();
      d.hp_predictor_json = fa.value().hp_predictor.dump();
    }
    return Engine::Create(d);
  };
  json M = RunRealism(ts.value(), factory, ro, [&](const std::string& line) { progress(line); });
  const std::string slot = "the served slot of " + std::filesystem::path(ctx.models_dir).filename().string() + "/";
  M["artifacts"] = data.reranker_json.empty() ? "none"
                   : recipes               ? slot + ", retrained on each fold's training repositories with its recipe"
                                           : slot + ", as they are (trained on every repository, held-out ones included)";
  if (!o.markdown_out.empty()) {
    auto out = OpenOut(o.markdown_out, "markdown");
    if (!out.ok()) return ReportError(out.error());
    out.value() << RealismMarkdown(M);
  }
  if (!o.json_out.empty()) {
    auto out = OpenOut(o.json_out, "json");
    if (!out.ok()) return ReportError(out.error());
    out.value() << M.dump(1) << "\n";
  } else {
    std::cout << M.dump(1) << std::endl;
  }
  const bool passed = M["gate"].value("passed", false);
  std::cerr << "ftconfig realism: gate " << (passed ? "passed" : "FAILED") << ": "
            << M["gate"].value("detail", "") << std::endl;
  return o.gate && !passed ? 1 : 0;
}

}  // namespace

void AddRealismCommand(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<RealismCmdOptions>();
  auto* cmd = app.add_subcommand(
      "realism", "Leave-one-source-out realism evaluation: every strategy and three baselines against held-out "
                 "practitioner configurations (docs/realism.md)");
  cmd->add_option("--data", opts->data_dir, "Data folder with catalog/ and corpus/ (default: --data-dir)");
  cmd->add_option("--json", opts->json_out, "Write the metrics JSON here instead of stdout (e.g. build/realism.json)");
  cmd->add_option("--markdown", opts->markdown_out, "Write the report here (e.g. docs/realism.md)");
  cmd->add_option("--runs", opts->runs_out, "Write one JSON line per answer here (error analysis)");
  cmd->add_flag("--gate", opts->gate,
                "Exit 1 when the served strategy is worse than the best baseline on a headline field");
  cmd->add_flag("--no-artifacts", opts->no_artifacts, "Do not load the trained artifacts (no hybrid_ml)");
  cmd->add_flag("--as-is-artifacts", opts->as_is,
                "Serve the artifacts as they are instead of retraining them per fold (faster; they have seen the "
                "held-out rows)");
  cmd->add_flag("--quiet", opts->quiet, "No progress on stderr");
  cmd->callback([opts, &ctx]() { ctx.exit_code = RunGuarded([&]() { return Run(*opts, ctx); }); });
}

}  // namespace ftconfig::cli
