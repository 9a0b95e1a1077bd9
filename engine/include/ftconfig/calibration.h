// Telemetry calibration of the memory and time models: a small artifact
// written by `ftconfig retrain run` (docs/retraining.md) from measured runs,
// applied by the engine on top of EstimateMemory / EstimateThroughput.
//
//   {"artifact": "ftconfig.calibration", "format_version": 1, "version": "...",
//    "throughput": {"scale": 0.8, ...}, "memory": {"scale": 1.05, ...}}
//
// The throughput scale multiplies the estimated tokens/s (the efficiency
// factor); the memory scale multiplies the estimated peaks. OOM prevention
// comes first: a memory scale below 1 is read as 1 (telemetry may make the
// estimate more cautious, never less), and scales outside the accepted ranges
// are refused as data errors.
#ifndef FTCONFIG_CALIBRATION_H_
#define FTCONFIG_CALIBRATION_H_

#include <string>

#include "ftconfig/memory.h"
#include "ftconfig/result.h"

namespace ftconfig {

struct Calibration {
  static constexpr double kMinThroughputScale = 0.2, kMaxThroughputScale = 5.0;
  static constexpr double kMaxMemoryScale = 1.5;

  std::string version;          // "" when none is loaded
  double throughput_scale = 1.0;
  double memory_scale = 1.0;    // >= 1

  // Parses the artifact text; kDataError naming the key on bad input.
  static Result<Calibration> Load(const std::string& json_text);
  bool loaded() const { return !version.empty(); }
  void ApplyMemory(MemoryEstimate* e) const;
  void ApplyThroughput(ThroughputEstimate* t) const;
};

}  // namespace ftconfig

#endif  // FTCONFIG_CALIBRATION_H_
