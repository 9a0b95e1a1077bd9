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

using Json = nlohmann::json;

// Reads `section.key` of `j` into *out when present: a number in [lo, hi].
Result<bool> ReadScale(const Json& j, const std::string& path, const char* section, const char* key, double lo,
                       double hi, double* out) {
  if (!j.contains(section) || j[section].is_null()) return true;
  const auto& s = j[section];
  const std::string where = path + section;
  if (!s.is_object()) return Bad(where, "must be an object {scale, ...}");
  if (!s.contains(key) || s[key].is_null()) return true;
  if (!s[key].is_number()) return Bad(where + "." + key, "must be a number");
  double v = s[key].get<double>();
  if (!(v >= lo && v <= hi)) return Bad(where + "." + key, "must be between " + Fixed(lo) + " and " + Fixed(hi));
  *out = v;
  return true;
}

Result<std::string> ReadKey(const Json& e, const std::string& path, const char* key) {
  if (!e.contains(key) || e[key].is_null()) return std::string("*");
  if (!e[key].is_string() || e[key].get<std::string>().empty() || e[key].get<std::string>().size() > 64)
    return Bad(path + key, "must be a string of 1-64 characters (\"*\" for any)");
  return e[key].get<std::string>();
}

constexpr size_t kMaxContexts = 10000;

Result<Calibration::Entry> ReadEntry(const Json& e, const std::string& path) {
  if (!e.is_object()) return Bad(path.substr(0, path.size() - 1), "must be an object {family, framework, gpu_class, memory, throughput}");
  Calibration::Entry out;
  FTCONFIG_ASSIGN_OR_RETURN(f, ReadKey(e, path, "family"));
  FTCONFIG_ASSIGN_OR_RETURN(fw, ReadKey(e, path, "framework"));
  FTCONFIG_ASSIGN_OR_RETURN(g, ReadKey(e, path, "gpu_class"));
  out.family = f, out.framework = fw, out.gpu_class = g;
  FTCONFIG_ASSIGN_OR_RETURN(m, ReadScale(e, path, "memory", "scale", Calibration::kMinMemoryScale,
                                         Calibration::kMaxMemoryScale, &out.memory_scale));
  FTCONFIG_ASSIGN_OR_RETURN(gd, ReadScale(e, path, "memory", "guard", 0.0, 3.0, &out.memory_guard));
  FTCONFIG_ASSIGN_OR_RETURN(t, ReadScale(e, path, "throughput", "scale", Calibration::kMinThroughputScale,
                                         Calibration::kMaxThroughputScale, &out.throughput_scale));
  (void)m, (void)gd, (void)t;
  return out;
}

bool Matches(const std::string& pattern, const std::string& value) { return pattern == "*" || pattern == value; }

int Specificity(const Calibration::Entry& e) {
  return (e.family != "*" ? 4 : 0) + (e.framework != "*" ? 2 : 0) + (e.gpu_class != "*" ? 1 : 0);
}
}  // namespace

Result<Calibration> Calibration::Load(const std::string& text) {
  Json j = internal::ParseJson(text);
  if (j.is_discarded() || !j.is_object()) return Bad("artifact", "is not a JSON object");
  if (j.contains("artifact") && j["artifact"] != "ftconfig.calibration")
    return Bad("artifact", "must be \"ftconfig.calibration\"");
  int format = 1;
  if (j.contains("format_version")) {
    // Compared before narrowing: 4294967297 must not read as 1.
    if (!j["format_version"].is_number_integer() || j["format_version"].get<double>() < 1 ||
        j["format_version"].get<double>() > 2)
      return Bad("format_version", "must be 1 or 2");
    format = j["format_version"].get<int>();
  }
  Calibration c;
  c.version = j.contains("version") && j["version"].is_string() ? j["version"].get<std::string>() : "unversioned";
  FTCONFIG_ASSIGN_OR_RETURN(t, ReadScale(j, "", "throughput", "scale", kMinThroughputScale, kMaxThroughputScale, &c.throughput_scale));
  FTCONFIG_ASSIGN_OR_RETURN(m, ReadScale(j, "", "memory", "scale", 0.5, kMaxMemoryScale, &c.memory_scale));
  FTCONFIG_ASSIGN_OR_RETURN(g, ReadScale(j, "", "memory", "guard", 0.0, 3.0, &c.memory_guard));
  (void)t, (void)m, (void)g;
  if (j.contains("context") && j["context"].is_string() && j["context"].get<std::string>().size() <= 200)
    c.context = j["context"].get<std::string>();
  if (format == 1 && c.memory_scale < 1.0) c.memory_scale = 1.0;
  if (format == 2 && c.memory_scale < kMinMemoryScale) return Bad("memory.scale", "must be at least " + Fixed(kMinMemoryScale));
  if (format == 2 && j.contains("contexts") && !j["contexts"].is_null()) {
    const auto& list = j["contexts"];
    if (!list.is_array() || list.size() > kMaxContexts)
      return Bad("contexts", "must be an array of at most " + std::to_string(kMaxContexts) + " entries");
    for (size_t i = 0; i < list.size(); ++i) {
      FTCONFIG_ASSIGN_OR_RETURN(e, ReadEntry(list[i], "contexts[" + std::to_string(i) + "]."));
      c.contexts.push_back(e);
    }
  }
  return c;
}

Calibration Calibration::ForContext(const CalibrationContext& ctx) const {
  Calibration out = *this;
  out.contexts.clear();
  const Entry* best = nullptr;
  for (const Entry& e : contexts)
    if (Matches(e.family, ctx.family) && Matches(e.framework, ctx.framework) && Matches(e.gpu_class, ctx.gpu_class) &&
        (!best || Specificity(e) > Specificity(*best)))
      best = &e;
  if (!best) return out;
  out.memory_scale = best->memory_scale;
  out.memory_guard = best->memory_guard;
  if (best->throughput_scale > 0) out.throughput_scale = best->throughput_scale;
  out.context = best->family + "/" + best->framework + "/" + best->gpu_class;
  return out;
}

void Calibration::ApplyMemory(MemoryEstimate* e) const {
  if (memory_scale == 1.0) return;
  const double s = memory_scale;
  MemoryBreakdown& b = e->breakdown;
  for (double* v : {&b.weights_gb, &b.adapters_gb, &b.gradients_gb, &b.optimizer_gb, &b.activations_gb, &b.logits_gb,
                    &b.overhead_gb})
    *v *= s;
  for (double* v : {&e->peak_gb, &e->max_allocated_gb, &e->reserved_gb, &e->eval_peak_gb, &e->merge_peak_gb}) *v *= s;
  e->notes.push_back("memory estimate scaled x" + Fixed(s) + " by telemetry calibration " + version +
                     (context.empty() ? "" : " (context " + context + ")"));
}

void Calibration::ApplyThroughput(ThroughputEstimate* t) const {
  if (throughput_scale == 1.0) return;
  t->tokens_per_sec *= throughput_scale;
  t->efficiency *= throughput_scale;
  if (t->seconds_per_microbatch > 0) t->seconds_per_microbatch /= throughput_scale;
  t->notes.push_back("throughput scaled x" + Fixed(throughput_scale) + " by telemetry calibration " + version +
                     (context.empty() ? "" : " (context " + context + ")"));
}

double Calibration::GuardPeakGb(const MemoryEstimate& calibrated) const {
  if (!(memory_guard > 0) || !(memory_scale > 0)) return 0;
  return kGuardFactor * memory_guard * calibrated.reserved_gb / memory_scale;
}

std::string Calibration::ToArtifact() const {
  Json j = {{"artifact", "ftconfig.calibration"}, {"format_version", 2}, {"version", version},
            {"memory", {{"scale", memory_scale}}}, {"throughput", {{"scale", throughput_scale}}}};
  if (memory_guard > 0) j["memory"]["guard"] = memory_guard;
  if (!context.empty()) j["context"] = context;
  if (!contexts.empty()) {
    Json list = Json::array();
    for (const Entry& e : contexts) {
      Json x = {{"family", e.family}, {"framework", e.framework}, {"gpu_class", e.gpu_class},
                {"memory", {{"scale", e.memory_scale}}}};
      if (e.memory_guard > 0) x["memory"]["guard"] = e.memory_guard;
      if (e.throughput_scale > 0) x["throughput"] = {{"scale", e.throughput_scale}};
      list.push_back(x);
    }
    j["contexts"] = list;
  }
  return j.dump();
}

std::string GpuClass(const std::string& tier) { return tier.empty() ? "unknown" : tier; }

}  // namespace ftconfig
