// ftconfig canary report: canary vs production health from telemetry
// (docs/retraining.md, "Canary health"). Runs are assigned to a version by
// the model_version their run_start (else run_complete) carries.
// Exit 0 the canary is not worse (promote), 1 it is significantly worse (roll
// back), 10 too few runs to tell, 2 bad input.
#include <algorithm>
#include <cmath>
#include <iostream>

#include "commands.h"
#include "data_files.h"
#include "model_registry.h"
#include "retrain.h"
#include "telemetry_store.h"

namespace ftconfig::cli {

namespace {

constexpr int kExitRollback = 1, kExitWait = 10;

struct CanaryOptions {
  std::string store, registry;
  int min_runs = 20;
  double alpha = 0.05;
};

struct SlotHealth {
  std::string version;
  int runs = 0, ooms = 0, successes = 0;
  std::vector<double> abs_memory_error;  // successful runs, with the version's calibration
  json ToJson() const {
    std::vector<double> e = abs_memory_error;
    std::sort(e.begin(), e.end());
    double median = e.empty() ? 0 : (e.size() % 2 ? e[e.size() / 2] : 0.5 * (e[e.size() / 2 - 1] + e[e.size() / 2]));
    return {{"version", version},
            {"runs", runs},
            {"oom_rate", runs ? json(Round4(static_cast<double>(ooms) / runs)) : json(nullptr)},
            {"success_rate", runs ? json(Round4(static_cast<double>(successes) / runs)) : json(nullptr)},
            {"median_abs_memory_error", e.empty() ? json(nullptr) : json(Round4(median))}};
  }
};

// P(Z >= z) for a standard normal.
double UpperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

// One-sided two-proportion z-test: is the canary's rate higher (worse)?
double ProportionWorse(int bad_c, int n_c, int bad_p, int n_p) {
  if (n_c == 0 || n_p == 0) return 1;
  const double pc = static_cast<double>(bad_c) / n_c, pp = static_cast<double>(bad_p) / n_p;
  const double pool = static_cast<double>(bad_c + bad_p) / (n_c + n_p);
  const double se = std::sqrt(pool * (1 - pool) * (1.0 / n_c + 1.0 / n_p));
  if (se == 0) return pc > pp ? 0 : 1;
  return UpperTail((pc - pp) / se);
}

// One-sided Mann-Whitney U (normal approximation, mid-ranks for ties): are
// the canary's values larger?
double RanksLarger(const std::vector<double>& c, const std::vector<double>& p) {
  if (c.empty() || p.empty()) return 1;
  std::vector<std::pair<double, int>> all;
  for (double v : c) all.push_back({v, 0});
  for (double v : p) all.push_back({v, 1});
  std::sort(all.begin(), all.end());
  double rank_sum_c = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double mid = (i + 1 + j) / 2.0;  // ranks i+1..j
    for (size_t k = i; k < j; ++k)
      if (all[k].second == 0) rank_sum_c += mid;
    i = j;
  }
  const double n1 = c.size(), n2 = p.size();
  const double u = rank_sum_c - n1 * (n1 + 1) / 2;
  const double sd = std::sqrt(n1 * n2 * (n1 + n2 + 1) / 12.0);
  return sd == 0 ? 1 : UpperTail((u - n1 * n2 / 2) / sd);
}

std::string RunVersion(const MeasuredRun& r) {
  for (const json* e : {&r.start, &r.complete})
    if (e->is_object() && e->contains("model_version") && (*e)["model_version"].is_string())
      return (*e)["model_version"].get<std::string>();
  return "";
}

void Count(const MeasuredRun& r, const Calibration& cal, SlotHealth* h) {
  if (r.outcome != "success" && r.outcome != "oom" && r.outcome != "error") return;
  ++h->runs;
  if (r.outcome == "oom") ++h->ooms;
  if (r.outcome != "success") return;
  ++h->successes;
  if (r.uncalibrated_gb && r.measured_gb && *r.measured_gb > 0)
    h->abs_memory_error.push_back(
        std::fabs(*r.uncalibrated_gb * cal.ForContext(r.context).memory_scale / *r.measured_gb - 1));
}

int RunReport(const CanaryOptions& o, const Context& ctx) {
  if (o.min_runs < 1) return ReportError({ErrorCode::kInvalidValue, "--min-runs", "must be at least 1"});
  if (!(o.alpha > 0 && o.alpha < 0.5)) return ReportError({ErrorCode::kInvalidValue, "--alpha", "must be in (0, 0.5)"});
  const std::string reg_path = o.registry.empty() ? (ctx.models_dir.empty() ? std::string("models") : ctx.models_dir) + "/registry.json" : o.registry;
  auto reg = ModelRegistry::Load(reg_path);
  if (!reg.ok()) return ReportError(reg.error());
  const std::string canary = reg.value().Alias("canary"), production = reg.value().Alias("production");
  if (canary.empty()) return ReportError({ErrorCode::kInvalidValue, "--registry", "the registry has no canary"});
  auto cal_c = VersionCalibration(reg.value(), canary);
  auto cal_p = VersionCalibration(reg.value(), production);
  if (!cal_c.ok()) return ReportError(cal_c.error());
  if (!cal_p.ok()) return ReportError(cal_p.error());
  auto runs = ReadMeasuredRuns(o.store.empty() ? telemetry::DefaultStorePath() : o.store);
  if (!runs.ok()) return ReportError(runs.error());
  auto catalog = LoadCatalog(ctx.data_dir);
  if (!catalog.ok()) return ReportError(catalog.error());
  SlotHealth c, p;
  c.version = canary;
  p.version = production;
  for (auto& r : runs.value()) {
    Reestimate(&r, catalog.value(), Calibration{});
    const std::string v = RunVersion(r);
    if (v == canary) Count(r, cal_c.value(), &c);
    else if (v == production) Count(r, cal_p.value(), &p);
  }
  json tests = {
      {"oom_rate_higher_p", Round4(ProportionWorse(c.ooms, c.runs, p.ooms, p.runs))},
      {"success_rate_lower_p", Round4(ProportionWorse(c.runs - c.successes, c.runs, p.runs - p.successes, p.runs))},
      {"memory_error_larger_p", Round4(RanksLarger(c.abs_memory_error, p.abs_memory_error))}};
  bool worse = false;
  for (const auto& [name, pv] : tests.items()) worse = worse || pv.get<double>() < o.alpha;
  const bool enough = c.runs >= o.min_runs && p.runs >= o.min_runs;
  const std::string verdict = worse ? "rollback" : enough ? "promote" : "wait";
  std::cout << json{{"canary", c.ToJson()},
                    {"production", p.ToJson()},
                    {"tests", tests},
                    {"alpha", o.alpha},
                    {"min_runs", o.min_runs},
                    {"verdict", verdict}}
                   .dump(2)
            << std::endl;
  return verdict == "rollback" ? kExitRollback : verdict == "wait" ? kExitWait : 0;
}

}  // namespace

void AddCanaryCommand(CLI::App& app, Context& ctx) {
  auto* canary = app.add_subcommand("canary", "Canary health from telemetry");
  canary->require_subcommand(1);
  auto o = std::make_shared<CanaryOptions>();
  auto* cmd = canary->add_subcommand(
      "report", "Canary vs production: OOM rate, success, memory error, one-sided tests; exit 0 promote, 1 roll back, 10 wait");
  cmd->add_option("--store", o->store, "Telemetry store (default: $FTCONFIG_TELEMETRY_STORE or the user's store)");
  cmd->add_option("--registry", o->registry, "Model registry (default: MODELS_DIR/registry.json)");
  cmd->add_option("--min-runs", o->min_runs, "Runs each side needs before a promote verdict (default 20)");
  cmd->add_option("--alpha", o->alpha, "Significance level of the one-sided tests (default 0.05)");
  cmd->callback([o, &ctx]() { ctx.exit_code = RunGuarded([&] { return RunReport(*o, ctx); }); });
}

}  // namespace ftconfig::cli
