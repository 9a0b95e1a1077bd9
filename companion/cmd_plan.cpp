// ftconfig plan: one request and its constraints -> every option, the Pareto
// front over cost, time and risk, and the best option (docs/planning.md).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "commands.h"
#include "data_files.h"
#include "ftconfig/json_text.h"
#include "ftconfig/plan.h"

namespace ftconfig::cli {

namespace {

struct PlanOptions {
  std::string request_file;
  RequestFlags request;  // model, task, adapter, data, trainer (shared with `recommend`)
  std::string format = "json", output_file;
  std::optional<double> budget, deadline;
  std::optional<int> min_gpus, max_gpus;
  std::vector<std::string> platforms, exclude, adapters, frameworks;
  std::string objective;
};

// Flags over the request file: request fields at the top, constraints under "constraints".
json ApplyFlags(json req, const PlanOptions& o) {
  o.request.Apply(&req);
  json c = req.contains("constraints") && req["constraints"].is_object() ? req["constraints"] : json::object();
  if (o.budget) c["budget_usd"] = *o.budget;
  if (o.deadline) c["deadline_hours"] = *o.deadline;
  if (o.min_gpus) c["min_gpus"] = *o.min_gpus;
  if (o.max_gpus) c["max_gpus"] = *o.max_gpus;
  if (!o.platforms.empty()) c["platforms"] = o.platforms;
  if (!o.exclude.empty()) c["exclude_platforms"] = o.exclude;
  if (!o.adapters.empty()) c["adapters"] = o.adapters;
  if (!o.frameworks.empty()) c["frameworks"] = o.frameworks;
  if (!o.objective.empty()) c["objective"] = o.objective;
  if (!c.empty()) req["constraints"] = c;
  return req;
}

std::string Money(const json& v) {
  if (!v.is_number()) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.2f", v.get<double>());
  return buf;
}

void PrintOption(const json& o, std::ostream& out) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %s %-40s %-9s %7.1f h %3d sess  risk %.2f %-6s", o.value("on_front", false) ? "*" : " ",
                o.value("id", "").c_str(), Money(o["cost_usd"]).c_str(), o.value("calendar_hours", 0.0),
                o.value("sessions", 1), o["risk"].value("score", 0.0), o["risk"].value("level", "").c_str());
  out << buf;
  std::string gives;
  for (const auto& g : o["gives_up"]) gives += (gives.empty() ? "" : "; ") + g.get<std::string>();
  if (!gives.empty()) out << "  gives up: " << gives;
  out << "\n";
}

// The human-readable form (--format text): the best option, the front, the
// other qualifying options, and why the rest do not qualify.
void PrintText(const json& p, std::ostream& out) {
  const json& r = p["request"];
  out << "ftconfig plan — " << r.value("model", "?") << ", " << p["constraints"]["adapters"].dump() << ", "
      << r.value("dataset_size", json("?")).dump() << " examples";
  if (p["constraints"]["budget_usd"].is_number()) out << ", budget " << Money(p["constraints"]["budget_usd"]);
  if (p["constraints"]["deadline_hours"].is_number())
    out << ", deadline " << p["constraints"]["deadline_hours"].get<double>() << " h";
  out << "\n\nBest: " << (p["best"]["id"].is_null() ? "none" : p["best"]["id"].get<std::string>()) << "\n  "
      << p["best"].value("reason", "") << "\n\n";
  out << "Options that qualify (* = on the Pareto front over cost, calendar hours and risk):\n";
  std::map<std::string, int> excluded;
  for (const auto& o : p["options"]) {
    if (o["excluded_because"].empty()) PrintOption(o, out);
    for (const auto& e : o["excluded_because"]) excluded[e.value("code", "")] += 1;
  }
  out << "\nOptions that do not qualify (see \"excluded_because\" in the JSON):";
  for (const auto& [code, n] : excluded) out << " " << code << " " << n << ";";
  out << "\n" << p["managed_apis"].value("why", "") << "\n";
}

}  // namespace

void AddPlanCommand(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand("plan", "Compare every platform, GPU count and adapter under a budget and deadline");
  cmd->add_option("request", opts->request_file, "Plan request JSON file, or - for stdin (flags override its fields)");
  opts->request.Add(cmd);
  cmd->add_option("--budget", opts->budget, "Budget in US dollars (constraints.budget_usd)");
  cmd->add_option("--deadline-hours", opts->deadline, "Calendar hours until the run must be done");
  cmd->add_option("--platforms", opts->platforms, "Only these platforms (comma-separated)")->delimiter(',');
  cmd->add_option("--exclude-platforms", opts->exclude, "Never these platforms (comma-separated)")->delimiter(',');
  cmd->add_option("--min-gpus", opts->min_gpus, "Fewest GPUs per option (default 1)");
  cmd->add_option("--max-gpus", opts->max_gpus, "Most GPUs per option (default 8)");
  cmd->add_option("--adapters", opts->adapters, "Adapters to compare (comma-separated: none,lora,qlora)")->delimiter(',');
  cmd->add_option("--frameworks", opts->frameworks, "Frameworks to compare (comma-separated)")->delimiter(',');
  cmd->add_option("--objective", opts->objective, "How the best option is chosen: balanced | cost | time | risk");
  cmd->add_option("--format", opts->format, "json | text")->check(CLI::IsMember({"json", "text"}));
  cmd->add_option("-o,--output", opts->output_file, "Write the output to FILE instead of stdout (only on success)");
  cmd->callback([opts, &ctx]() {
    ctx.exit_code = RunGuarded([&]() -> int {
      auto base = RequestBase(opts->request_file);
      if (!base.ok()) return ReportError(base.error());
      json req = ApplyFlags(base.value(), *opts);
      if (req.empty())
        return ReportError({ErrorCode::kMissingField, "request",
                            "give a plan request file, pipe one on stdin, or use flags such as --model "
                            "meta-llama/Llama-3.1-8B --adapter qlora --dataset-size 50000 --budget 20"});
      auto data = ReadEngineData(ctx.data_dir, ctx.models_dir);
      if (!data.ok()) return ReportError(data.error());
      auto engine = Engine::Create(data.value());
      if (!engine.ok()) return ReportError(engine.error());
      auto parsed = ParsePlanRequest(req, engine.value()->catalog());
      if (!parsed.ok()) return ReportError(parsed.error());
      auto plan = PlanTraining(*engine.value(), parsed.value());
      if (!plan.ok()) return ReportError(plan.error());
      std::ostringstream out;
      if (opts->format == "text")
        PrintText(plan.value(), out);
      else
        out << JsonText(plan.value(), 2) << "\n";
      if (opts->output_file.empty()) {
        std::cout << out.str();
        return 0;
      }
      auto written = WriteOutputFile(opts->output_file, out.str(), "--output");
      return written.ok() ? 0 : ReportError(written.error());
    });
  });
}

}  // namespace ftconfig::cli
