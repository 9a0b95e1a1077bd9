#include "ftconfig/calibration.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "json_fast.h"

namespace ftconfig {

namespace {
Error Bad(const std::string& key, const std::string& what) {
  return Error{ErrorCode::kDataError, "calibration." + key, "calibration: " + key + " " + what};
}

std::string Fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}
}  // namespace

Result<Calibration> Calibration::Load(const std::string& text) {
  nlohmann::json j = internal::ParseJson(text);
  if (j.is_discarded() || !j.is_object()) return Bad("artifact", "is not a JSON object");
  if (j.contains("artifact") && j["artifact"] != "ftconfig.calibration")
    return Bad("artifact", "must be \"ftconfig.calibration\"");
  if (j.contains("format_version") && (!j["format_version"].is_number_integer() || j["format_version"].get<double>() != 1))
    return Bad("format_version", "must be 1");
  Calibration c;
  c.version = j.contains("version") && j["version"].is_string() ? j["version"].get<std::string>() : "unversioned";
  auto scale = [&](const char* section, double lo, double hi, double* out) -> Result<bool> {
    if (!j.contains(section) || j[section].is_null()) return true;
    const auto& s = j[section];
    if (!s.is_object()) return Bad(section, "must be an object {scale, ...}");
    if (!s.contains("scale") || s["scale"].is_null()) return true;
    if (!s["scale"].is_number()) return Bad(std::string(section) + ".scale", "must be a number");
    double v = s["scale"].get<double>();
    if (!(v >= lo && v <= hi))
      return Bad(std::string(section) + ".scale", "must be between " + Fixed(lo) + " and " + Fixed(hi));
    *out = v;
    return true;
  };
  FTCONFIG_ASSIGN_OR_RETURN(t, scale("throughput", kMinThroughputScale, kMaxThroughputScale, &c.throughput_scale));
  FTCONFIG_ASSIGN_OR_RETURN(m, scale("memory", 0.5, kMaxMemoryScale, &c.memory_scale));
  (void)t;
  (void)m;
  if (c.memory_scale < 1.0) c.memory_scale = 1.0;
  return c;
}

void Calibration::ApplyMemory(MemoryEstimate* e) const {
  if (memory_scale == 1.0) return;
  const double s = memory_scale;
  MemoryBreakdown& b = e->breakdown;
  for (double* v : {&b.weights_gb, &b.adapters_gb, &b.gradients_gb, &b.optimizer_gb, &b.activations_gb, &b.logits_gb,
                    &b.overhead_gb})
    *v *= s;
  for (double* v : {&e->peak_gb, &e->max_allocated_gb, &e->reserved_gb, &e->eval_peak_gb, &e->merge_peak_gb}) *v *= s;
  e->notes.push_back("memory estimate scaled x" + Fixed(s) + " by telemetry calibration " + version);
}

void Calibration::ApplyThroughput(ThroughputEstimate* t) const {
  if (throughput_scale == 1.0) return;
  t->tokens_per_sec *= throughput_scale;
  t->efficiency *= throughput_scale;
  if (t->seconds_per_microbatch > 0) t->seconds_per_microbatch /= throughput_scale;
  t->notes.push_back("throughput scaled x" + Fixed(throughput_scale) + " by telemetry calibration " + version);
}

}  // namespace ftconfig
