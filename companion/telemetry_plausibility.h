// Telemetry plausibility: the semantic checks an event passes before the
// models may learn from it (docs/telemetry.md, "Plausibility and quarantine").
//
// ValidateEvent (telemetry_event.h) checks that an event is well formed; these
// checks ask whether it can be true: a peak no GPU of the run could hold, or
// below the model's own weights; throughput beyond what the hardware computes;
// a timestamp in the future beyond the clock skew; a second run_complete for a
// run; more events from one collector token than its quota; absurd values in
// a run_start's recommendation. The store calls CheckPlausibility() for every
// new event (Store::Insert, the one place every path goes through); an event
// that fails is kept apart in the quarantine table, reported, and never read
// by retraining.
#ifndef FTCONFIG_COMPANION_TELEMETRY_PLAUSIBILITY_H_
#define FTCONFIG_COMPANION_TELEMETRY_PLAUSIBILITY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "ftconfig/catalog.h"
#include "telemetry_event.h"

namespace ftconfig::telemetry {

struct PlausibilityRules {
  double clock_skew_s = 600;                 // a timestamp at most this far ahead of the receiver's clock
  std::string earliest = "2020-01-01T00:00:00Z";  // nothing happened before this
  double max_gpu_memory_gb = 300;            // per-GPU peak bound when the GPU is unknown
  double unknown_gpu_tflops = 2500;          // dense bf16 TFLOP/s bound when the GPU is unknown
  double max_tokens_per_sec_per_gpu = 1e7;   // when neither GPU nor model is known
  std::int64_t quota_per_token_per_day = 20000;  // events per collector token ("collect:NAME") per 24 h
  std::optional<double> now;                 // seconds since the epoch (tests); default: the clock
  std::shared_ptr<const Catalog> catalog;    // GPU memory and TFLOP/s, model sizes (optional)
};

// What the checks need to know about the store (inside the insert's
// transaction, so earlier events of the same batch count).
class PlausibilityView {
 public:
  virtual ~PlausibilityView() = default;
  // The stored run_start of `run_id` (null when there is none).
  virtual json RunStart(const std::string& run_id) = 0;
  // Whether a run_complete of `run_id` is stored (or quarantined).
  virtual bool HasCompletion(const std::string& run_id) = 0;
  // Events (stored or quarantined) received from `source` since `since_iso`.
  virtual std::int64_t ReceivedFrom(const std::string& source, const std::string& since_iso) = 0;
};

// Why an event was quarantined; empty `rule` when it is plausible.
struct Verdict {
  std::string rule;    // peak_memory | throughput | timestamp | duplicate_completion | quota | recommendation
  std::string field;   // the offending field (dotted)
  std::string reason;  // one sentence naming the bound
  bool plausible() const { return rule.empty(); }
};

// The default rules with the catalog of `data_dir` when it loads (without
// it, the GPU- and model-specific bounds fall back to the generic ones).
PlausibilityRules DefaultPlausibilityRules(const std::string& data_dir);

// `source` is the store's insert source ("record", "import", "collect:NAME").
Verdict CheckPlausibility(const Event& e, const std::string& source, const PlausibilityRules& rules,
                          PlausibilityView& view);

}  // namespace ftconfig::telemetry

#endif  // FTCONFIG_COMPANION_TELEMETRY_PLAUSIBILITY_H_
