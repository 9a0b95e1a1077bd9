// Retraining from telemetry (docs/retraining.md): the trigger checks of
// `ftconfig retrain check` and the pieces `ftconfig retrain run` builds on —
// measured runs read from the telemetry store, re-estimated with the engine's
// memory and time models, turned into corpus rows and into a calibration
// artifact.
#ifndef FTCONFIG_COMPANION_RETRAIN_H_
#define FTCONFIG_COMPANION_RETRAIN_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftconfig/calibration.h"
#include "ftconfig/catalog.h"
#include "ftconfig/memory.h"
#include "ftconfig/result.h"

namespace ftconfig::cli {

using json = nlohmann::json;

// One run: its run_complete event and, when recorded, its run_start.
struct MeasuredRun {
  std::string run_id;
  std::string outcome;             // success | oom | error | interrupted
  double completed_at = 0;         // the run_complete timestamp, seconds since the epoch
  std::string completed_at_text;   // as written
  json start;                      // run_start event (null when missing)
  json complete;                   // run_complete event
  // Filled by Reestimate() when the run_start's recommendation allows it.
  std::optional<double> measured_gb, estimated_gb;  // peak reserved (else allocated) vs the model's
  std::optional<double> measured_tps, estimated_tps;
  std::string reestimate_error;    // why no estimate ("" when there is one)
  // Also filled by Reestimate(): where the run happened and the estimates
  // without any calibration (what a calibration is fitted on).
  CalibrationContext context;
  double gpu_usable_gb = 0;        // 0: unknown GPU
  std::optional<double> uncalibrated_gb, uncalibrated_tps;
};

// Reads every run_complete (joined with its run_start by run_id) from the
// SQLite store at `path`, oldest first. A missing or unreadable store is a
// kInvalidValue naming `--store`.
Result<std::vector<MeasuredRun>> ReadMeasuredRuns(const std::string& path);

// A recommendation (a run_start's "recommendation": model, task_type,
// adapter_type, hyperparameters, gpu {id|name, count}) re-estimated with the
// engine's memory and time models, uncalibrated.
struct Reestimation {
  std::optional<MemoryEstimate> memory;
  std::optional<ThroughputEstimate> throughput;  // needs a catalog GPU
  std::string family = "unknown", gpu_class = "unknown";
  std::string framework = "unknown";  // the recommendation's "framework" when it names one
  double gpu_usable_gb = 0;
  std::string error;  // why something is missing ("" when complete)
};
Reestimation ReestimateRecommendation(const json& recommendation, const Catalog& catalog);

// Re-estimates a run's configuration (its run_start recommendation: model,
// GPU, hyperparameters) with the engine's memory and time models, with
// `calibration` for the run's context applied (the production one: drift is
// measured against what the site serves), and fills measured_* / estimated_*,
// context and uncalibrated_*.
void Reestimate(MeasuredRun* run, const Catalog& catalog, const Calibration& calibration);

// Seconds since the epoch as ISO 8601 UTC: 2026-05-01T12:00:00Z.
std::string IsoUtc(double t);

// Rounded to 4 decimals (the figures of the reports).
double Round4(double v);

// Parses ISO 8601 UTC ("2026-05-01T12:00:00Z", "...+00:00", fractions) to
// seconds since the epoch; nullopt when it is not one.
std::optional<double> ParseUtc(const std::string& s);

struct CheckOptions {
  int min_new_runs = 50;
  double max_memory_error = 0.20;   // median |estimate / measured - 1|
  double max_time_error = 0.20;     // median |measured tok/s / estimated tok/s - 1| (= time error)
  double max_oom_rate = 0.10;
  double max_age_days = 30;
  int min_runs = 5;                 // drift and OOM rate need at least this many new runs
  std::optional<double> now;        // seconds since the epoch (tests); default: the clock
  double clock_skew_s = 600;        // runs dated later than now + this are ignored
};

// The trigger report: {"trigger", "reasons", "checks": {...}, "runs": {...}}.
// Memory drift and the OOM rate are checked over all new runs and per
// context (each model family, each GPU class, with at least min_runs runs):
// one context over its threshold fires. `last_training` is seconds since the
// epoch (nullopt: never trained).
json CheckTriggers(const std::vector<MeasuredRun>& runs, std::optional<double> last_training,
                   const CheckOptions& opt);
// The report as markdown (for $GITHUB_STEP_SUMMARY).
std::string CheckMarkdown(const json& report);

// Completed runs as corpus rows (canonical schema, source_repo "telemetry",
// id "telemetry:RUN_ID"), for runs whose run_start names the configuration.
// Interrupted runs say nothing about the configuration and are left out.
std::string RunsAsCorpusJsonl(const std::vector<MeasuredRun>& runs, std::vector<std::pair<std::string, bool>>* outcomes);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_RETRAIN_H_
