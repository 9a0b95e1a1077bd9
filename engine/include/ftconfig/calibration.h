// Telemetry calibration of the memory and time models: a small artifact
// written by `ftconfig retrain run` (docs/retraining.md) from measured runs,
// applied by the engine on top of EstimateMemory / EstimateThroughput.
//
//   {"artifact": "ftconfig.calibration", "format_version": 2, "version": "...",
//    "throughput": {"scale": 0.8, ...}, "memory": {"scale": 1.05, ...},
//    "contexts": [{"family": "gemma", "framework": "*", "gpu_class": "*",
//                  "memory": {"scale": 1.28, "guard": 1.33, ...},
//                  "throughput": {"scale": 0.9, ...}}, ...]}
//
// The throughput scale multiplies the estimated tokens/s (the efficiency
// factor); the memory scale multiplies the estimated peaks. format_version 1
// has the global scales only, and a memory scale below 1 is read as 1.
//
// format_version 2 adds per-context entries (model family × training
// framework × GPU class, "*" for any): ForContext() picks the most specific
// entry matching a request. The trainer writes each entry already shrunk
// toward its parent (context -> family -> global), so a thin context stays
// close to the global value. A context's memory scale may be below 1 (an
// over-estimate corrected) down to kMinMemoryScale, because its `guard`
// keeps the fit check above the measured peaks: the memory guard (seed 004)
// is the 95th percentile of measured / estimated peak of the context's runs,
// and GuardPeakGb() is kGuardFactor (1.2) x that x the uncalibrated reserved
// estimate — the engine requires it to fit the GPU's usable memory.
#ifndef FTCONFIG_CALIBRATION_H_
#define FTCONFIG_CALIBRATION_H_

#include <string>
#include <vector>

#include "ftconfig/memory.h"
#include "ftconfig/result.h"

namespace ftconfig {

// Where a run (or a request) happened, as the calibration keys it. Empty or
// unknown parts are "unknown"; the framework is "unknown" until the events
// carry one.
struct CalibrationContext {
  std::string family = "unknown";     // model family of the catalog ("gemma")
  std::string framework = "unknown";  // trl | axolotl | llamafactory | ... | unknown
  std::string gpu_class = "unknown";  // GpuClass(): the catalog GPU's memory tier ("24gb")
};

struct Calibration {
  static constexpr double kMinThroughputScale = 0.2, kMaxThroughputScale = 5.0;
  static constexpr double kMaxMemoryScale = 1.5;
  static constexpr double kMinMemoryScale = 0.7;  // format_version 2 contexts only
  static constexpr double kGuardFactor = 1.2;     // seed 004: headroom >= 1.2 x observed p95 peak

  struct Entry {
    std::string family = "*", framework = "*", gpu_class = "*";
    double memory_scale = 1.0;
    double memory_guard = 0;        // p95 of measured / uncalibrated estimate; 0 = none
    double throughput_scale = 0;    // 0 = inherit
  };

  std::string version;          // "" when none is loaded
  double throughput_scale = 1.0;
  double memory_scale = 1.0;    // >= 1 for format_version 1
  double memory_guard = 0;      // 0 = no guard
  std::string context;          // the entry ForContext() chose ("" = global)
  std::vector<Entry> contexts;  // format_version 2

  // Parses the artifact text; kDataError naming the key on bad input.
  static Result<Calibration> Load(const std::string& json_text);
  bool loaded() const { return !version.empty(); }
  // The calibration for one context: the most specific matching entry's
  // scales (an entry's throughput scale only where it has one), else the
  // global ones. The result has no contexts.
  Calibration ForContext(const CalibrationContext& c) const;
  void ApplyMemory(MemoryEstimate* e) const;
  void ApplyThroughput(ThroughputEstimate* t) const;
  // The memory the guard requires, for a memory estimate this calibration
  // has scaled (ApplyMemory): kGuardFactor x memory_guard x the uncalibrated
  // reserved figure; 0 when there is no guard. Compare with usable VRAM.
  double GuardPeakGb(const MemoryEstimate& calibrated) const;
  // This calibration as artifact text (format_version 2; its contexts
  // included), e.g. one narrowed by ForContext for an engine that applies
  // the global scales.
  std::string ToArtifact() const;
};

// The calibration's GPU class of a catalog GPU: its memory tier ("16gb"),
// else "unknown".
std::string GpuClass(const std::string& tier);

}  // namespace ftconfig

#endif  // FTCONFIG_CALIBRATION_H_
