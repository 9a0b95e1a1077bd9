// The telemetry calibration as its own artifact (docs/retraining.md,
// "Calibration"): fitted per context (model family x framework x GPU class)
// from measured runs, shrunk toward its parent when evidence is thin, with
// OOM runs as censored observations, and gated on held-out runs.
#ifndef FTCONFIG_COMPANION_CALIBRATION_FIT_H_
#define FTCONFIG_COMPANION_CALIBRATION_FIT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ftconfig/calibration.h"
#include "retrain.h"

namespace ftconfig::cli {

using json = nlohmann::json;

struct CalibrationFitOptions {
  int min_runs = 5;           // runs (successful or OOM) a fit needs at all
  double prior_runs = 8;      // shrinkage: a group's estimate weighs n / (n + prior_runs) against its parent's
  int min_guard_runs = 3;     // runs a context needs for its own memory guard (p95)
  double held_out_share = 0.2;  // runs (by run id) kept out of the fit for the gates
  std::string version;
};

// One measured run as the calibration sees it: the log of measured /
// uncalibrated-estimated peak (a lower bound when the run ran out of memory)
// and of measured / estimated tokens/s.
struct CalibrationObservation {
  CalibrationContext context;
  std::string run_id;
  double log_ratio = 0;
  bool censored = false;  // OOM: the true ratio is at least exp(log_ratio)
  std::optional<double> log_tps_ratio;
};
// Runs with an uncalibrated estimate and a measured peak that ended in
// success or OOM.
std::vector<CalibrationObservation> ObservationsOf(const std::vector<MeasuredRun>& runs);

// Median of log ratios with right-censored values (Kaplan-Meier); when more
// than half are censored above every exact value, the largest lower bound.
double CensoredMedian(const std::vector<std::pair<double, bool>>& value_censored);

// The format_version 2 artifact: global, per-family and per-context memory
// scales and guards, throughput scales only where they beat the parent's on
// held-out runs. Null when fewer than min_runs runs measured memory.
json FitCalibration(const std::vector<CalibrationObservation>& obs, const CalibrationFitOptions& opt);

// Whether a run is held out of the fit (a stable hash of its run id).
bool HeldOut(const std::string& run_id, double share);

// How a calibration does on runs: median |calibrated estimate / measured - 1|
// over successful runs, and missed OOMs (runs that ran out of memory, or
// whose measured peak exceeds the GPU, although the calibrated reserved
// estimate fitted within the engine's fit fraction) per run.
struct CalibrationScore {
  int runs = 0, successes = 0, ooms = 0, missed_ooms = 0;
  double median_abs_error = 0;
  double median_error = 0;  // signed: estimate / measured - 1
  double missed_oom_rate = 0;
  json ToJson() const;
};
CalibrationScore ScoreCalibration(const Calibration& cal, const std::vector<const MeasuredRun*>& runs);

// The calibration's release gates: on held-out runs, the candidate's median
// memory error must be lower than the baseline's (or both within 3%) and
// its missed-OOM rate no higher. Each gate {name, passed, detail}.
json CalibrationGates(const CalibrationScore& candidate, const CalibrationScore& baseline);

// A calibration candidate: fitted on the runs that are not held out, scored
// with the production calibration on the held-out ones, gated.
struct CalibrationCandidate {
  json artifact;  // null: too few runs
  json gates = json::array();
  bool passed = false;
  json scores;    // {"held_out": {"candidate", "production"}, "fit_runs", "held_out_runs"}
};
CalibrationCandidate TrainCalibration(const std::vector<MeasuredRun>& runs, const Calibration& production,
                                      const CalibrationFitOptions& opt);

}  // namespace ftconfig::cli

#endif  // FTCONFIG_COMPANION_CALIBRATION_FIT_H_
