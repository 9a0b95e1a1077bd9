// ftconfig suggest RUNS.jsonl: a project's runs -> the next experiments
// (suggest.h; docs/planning.md, "Suggesting the next experiments").
#include <iostream>
#include <sstream>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/json_text.h"
#include "suggest.h"

namespace ftconfig::cli {

namespace {

struct SuggestCliOptions {
  std::string runs_file, output_file;
  suggest::SuggestOptions options;
};

// One event per line; a line that is not a JSON object is an error naming file:line.
Result<std::vector<nlohmann::json>> ParseEvents(const std::string& text, const std::string& name) {
  std::vector<nlohmann::json> events;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object())
      return Error{ErrorCode::kInvalidJson, name + ":" + std::to_string(n), "line " + std::to_string(n) + " is not a JSON object"};
    events.push_back(std::move(e));
  }
  return events;
}

}  // namespace

void AddSuggestCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SuggestCliOptions>();
  auto* cmd = app.add_subcommand("suggest", "Propose the next experiments from a project's runs (telemetry JSONL)");
  cmd->add_option("runs", o->runs_file, "Telemetry events (JSONL: run_start and run_complete), or - for stdin")->required();
  cmd->add_option("--model", o->options.model, "Only runs of this model (default: the project with the most runs)");
  cmd->add_option("-k,--count", o->options.count, "How many suggestions (1-20, default 3)");
  cmd->add_option("--seed", o->options.seed, "Seed of the candidate points (default 1)");
  cmd->add_option("--objective", o->options.objective, "eval_loss | final_loss | train_loss (lower is better)");
  cmd->add_option("-o,--output", o->output_file, "Write the JSON to FILE instead of stdout (only on success)");
  cmd->callback([o, &ctx]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto text = ReadInput(o->runs_file, "runs");
      if (!text.ok()) return ReportError(text.error());
      auto events = ParseEvents(text.value(), o->runs_file);
      if (!events.ok()) return ReportError(events.error());
      auto catalog = LoadCatalog(ctx.data_dir);
      if (!catalog.ok()) return ReportError(catalog.error());
      auto answer = suggest::SuggestFromEvents(events.value(), catalog.value(), o->options);
      if (!answer.ok()) return ReportError(answer.error());
      std::string out = answer.value().dump(2) + "\n";
      if (o->output_file.empty()) {
        std::cout << out;
        return 0;
      }
      auto written = WriteOutputFile(o->output_file, out, "--output");
      return written.ok() ? 0 : ReportError(written.error());
    });
  });
}

}  // namespace ftconfig::cli
