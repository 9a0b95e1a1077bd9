// ftconfig evaluate --candidate DIR [--baseline DIR] [--report FILE.md]:
// offline metrics of a set of trained artifacts against the deterministic and
// hybrid baselines (and a baseline set), the release gates, and a markdown
// report for a CI summary. Exit 0: every gate passed; 1: a gate failed;
// 2: bad input. stdout: {"passed", "gates", "metrics"}.
#include <fstream>
#include <iostream>

#include "commands.h"
#include "eval_harness.h"

namespace ftconfig::cli {

namespace {

struct EvaluateOptions {
  std::string candidate, baseline, report, golden, data_dir, runs, realism;
  bool no_held_out = false;
  bool quiet = false;
  int folds = 5;
};

}  // namespace

void AddEvaluateCommand(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<EvaluateOptions>();
  auto* cmd = app.add_subcommand("evaluate", "Offline metrics and release gates for trained artifacts");
  cmd->add_option("--candidate", opts->candidate,
                  "Folder with the candidate artifacts (registry.json, or reranker.json + hp_predictor.json)")
      ->required();
  cmd->add_option("--baseline", opts->baseline, "Folder with the artifacts to compare against (e.g. models/)");
  cmd->add_option("--report", opts->report, "Write the markdown report here (e.g. for $GITHUB_STEP_SUMMARY)");
  cmd->add_option("--golden", opts->golden, "Golden requests, JSONL (default: DATA/golden/requests.jsonl)");
  cmd->add_option("--data", opts->data_dir, "Data folder with catalog/ and corpus/ (default: --data-dir)");
  cmd->add_option("--folds", opts->folds, "Folds of the held-out engine runs (default 5)");
  cmd->add_option("--runs", opts->runs, "Write one JSON line per held-out engine run here (error analysis)");
  cmd->add_option("--realism", opts->realism,
                  "Metrics of `ftconfig realism` (build/realism.json): adds the gate \"served strategy not worse than "
                  "the best baseline on any headline field\"");
  cmd->add_flag("--no-held-out", opts->no_held_out, "Skip the held-out engine runs (faster)");
  cmd->add_flag("--quiet", opts->quiet, "No progress on stderr");
  cmd->callback([opts, &ctx]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto cand = LoadArtifactSet(opts->candidate);
      if (!cand.ok()) return ReportError(cand.error());
      std::optional<ArtifactSet> base;
      if (!opts->baseline.empty()) {
        auto b = LoadArtifactSet(opts->baseline);
        if (!b.ok()) {
          Error e = b.error();
          if (e.field == "candidate") e.field = "baseline";
          return ReportError(e);
        }
        base = std::move(b).value();
      }
      if (opts->folds < 2 || opts->folds > 20) return ReportError({ErrorCode::kInvalidValue, "folds", "--folds must be 2..20"});
      EvalOptions eo;
      eo.data_dir = opts->data_dir.empty() ? ctx.data_dir : opts->data_dir;
      eo.golden_path = opts->golden.empty() ? eo.data_dir + "/golden/requests.jsonl" : opts->golden;
      if (opts->golden.empty() && !std::ifstream(eo.golden_path)) eo.golden_path.clear();
      eo.held_out_engine = !opts->no_held_out;
      eo.folds = opts->folds;
      eo.runs_path = opts->runs;
      eo.realism_path = opts->realism;
      auto progress = [&](const std::string& line) {
        if (!opts->quiet) std::cerr << line << std::endl;
      };
      EvalReport rep = Evaluate(cand.value(), base ? &*base : nullptr, eo, progress);
      if (!opts->report.empty()) {
        std::ofstream out(opts->report, std::ios::binary | std::ios::trunc);
        if (!out) return ReportError({ErrorCode::kInvalidValue, "report", "cannot write \"" + opts->report + "\""});
        out << rep.Markdown();
      }
      json gates = json::array();
      for (const auto& g : rep.gates) gates.push_back({{"name", g.name}, {"passed", g.passed}, {"detail", g.detail}});
      std::cout << json{{"passed", rep.passed()}, {"gates", gates}, {"metrics", rep.metrics}}.dump(2) << std::endl;
      for (const auto& g : rep.gates)
        if (!g.passed) std::cerr << "ftconfig evaluate: gate failed: " << g.name << ": " << g.detail << std::endl;
      return rep.passed() ? 0 : 1;
    });
  });
}

}  // namespace ftconfig::cli
